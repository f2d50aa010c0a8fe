"""Domain errors. Each says what went wrong, where, and what to do next.

    LineageError (exit 2 unless stated)
    ├── ConfigError                 bad or missing configuration / usage
    ├── NotARepositoryError         the path is not inside a git work tree
    ├── StoreError                  store missing, locked or unreadable
    │   └── StoreNotInitialized     no .lineage/ yet: run `lineage init`
    ├── InputError                  a file we read is malformed (file, line, field)
    ├── IntegrityError (exit 1)     the event log chain is broken
    │   └── NotAStoreError          the file holds none of lineage's tables (not a store)
    ├── ValidationFailed (exit 1)   payloads failed validation before leaving (a bug report)
    └── SinkError (exit 3)          push target unreachable / refused (auth, 5xx)

The CLI is the only place that prints them and exits.
"""

from __future__ import annotations

from collections.abc import Sequence


class LineageError(Exception):
    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(LineageError):
    pass


class NotARepositoryError(LineageError):
    pass


class StoreError(LineageError):
    pass


class StoreNotInitialized(StoreError):
    pass


class StoreNotWritable(StoreError):
    """The store (or its folder) cannot be written: commands that only read it open it
    read-only instead (:func:`lineage.api.open_store` with ``read_only=True``)."""


class InputError(LineageError):
    """A file or value we read is malformed: ``file:line (field): text``.

    ``problems`` are every problem found together (the fields of one record): each an
    InputError with its own place and hint, this one the first. With several, the message
    lists them all, one a line, each with its fix, and there is no hint of its own."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None,
        field: str | None = None, hint: str | None = None,
        problems: Sequence[InputError] = (),
    ) -> None:
        where = ""
        if file:
            where = file + (f":{line}" if line else "")
            if field:
                where += f" ({field})"
            where += ": "
        self.text = message  # without the place
        self.file, self.line, self.field = file, line, field
        self.problems: list[InputError] = list(problems) or [self]
        if len(self.problems) > 1:
            super().__init__("\n".join(str(p) for p in self.problems))
        else:
            super().__init__(where + message, hint=hint)

    @classmethod
    def of(cls, problems: Sequence[InputError]) -> InputError:
        """One error for ``problems`` (at least one): the problem itself when it is alone."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        return cls(first.text, file=first.file, line=first.line, field=first.field,
                   problems=problems)


class IntegrityError(LineageError):
    exit_code = 1


class NotAStoreError(IntegrityError):
    """A file that holds none of lineage's tables (another program's SQLite database, a file
    that is not an SQLite database). At the store's own path the store was replaced: a failed
    verify. Named by hand (``lineage verify --store``) it is most likely the wrong file: the
    CLI says so (exit 2). ``what`` says what the file is instead."""

    def __init__(self, message: str, *, what: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.what = what


class ValidationFailed(LineageError):
    exit_code = 1


class ServerError(LineageError):
    """A server lineage reads or writes (DataHub GMS, Kafka, Atlas, an MLflow tracking server)
    cannot be reached, or refused: exit 3, told apart from a usage or configuration error."""

    exit_code = 3


class SinkError(ServerError):
    """A push target cannot be reached, or refused what was sent."""


__all__ = [
    "ConfigError", "InputError", "IntegrityError", "LineageError", "NotARepositoryError",
    "NotAStoreError",
    "ServerError", "SinkError", "StoreError", "StoreNotInitialized", "ValidationFailed",
]
