"""Per-run report: problems with single items go here, not into exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Warning_:
    source: str
    message: str
    file: str | None = None
    line: int | None = None
    commit: str | None = None
    field: str | None = None
    # the DVC experiment(s) whose commit ``commit`` is (``dvc exp`` names, "a, b" for several):
    # its sha alone does not tell a user which experiment a problem is in
    experiment: str | None = None

    def __str__(self) -> str:
        where = []
        if self.commit:
            where.append(f"commit {self.commit[:12]}"
                         + (f" (experiment {self.experiment})" if self.experiment else ""))
        elif self.experiment:
            where.append(f"experiment {self.experiment}")
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.field:
            where.append(f"field {self.field}")
        prefix = f"[{self.source}] " + (", ".join(where) + ": " if where else "")
        return prefix + self.message

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RunReport:
    warnings: list[Warning_] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[Warning_] = field(default_factory=list)  # worth telling, nothing wrong

    def warn(self, source: str, message: str, *, file: str | None = None,
             line: int | None = None, commit: str | None = None, field: str | None = None,
             experiment: str | None = None) -> None:
        self.warnings.append(Warning_(source, message, file, line, commit, field, experiment))

    def note(self, source: str, message: str, *, commit: str | None = None) -> None:
        """Something the user should know that is not a problem (e.g. older history that
        became available and was harvested)."""
        self.notes.append(Warning_(source, message, None, None, commit, None))
