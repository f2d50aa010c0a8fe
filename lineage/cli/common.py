"""Shared CLI plumbing: consoles, error reporting, progress, JSON output."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import typer
from rich.console import Console
from typer.core import TyperGroup

from lineage.errors import LineageError

try:  # typer 0.29 carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - typer on click itself
    from click.exceptions import UsageError  # type: ignore[assignment]

# ids such as ``deployment:ghost:prod:…`` are printed as they are: rich's emoji codes would turn
# ``:ghost:`` into a glyph, an id nobody could look up or paste into a waiver
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)
state: dict[str, Any] = {"verbose": False, "repo": Path(".")}
# what to do with a store `verify` finds tampered: it is evidence before it is a broken cache
TAMPERED_HINT = ("keep this copy as evidence (copy .lineage/ aside before anything writes to "
                 "it) and compare it with a backup or a kept head (lineage verify --expect-head); "
                 "then restore .lineage/ from a backup, or re-create it (lineage init in a fresh "
                 "store, then lineage harvest)")


# what typer 0.29 prints as a value's type (``<str>``, ``<int range>``) said as click always
# did: a word a user reads as "what to type here"
_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "int range": "INTEGER",
               "float range": "NUMBER", "datetime": "DATE", "path": "PATH"}


def _type_word(label: str) -> str:
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if "|" in inner:  # choices: shown as they are typed
        return inner
    return _TYPE_WORDS.get(inner, inner.upper())


def _flags_without_type() -> None:
    """No raw Python types in ``--help`` (typer 0.29 prints ``<bool>``, ``<str>``,
    ``<list[Path]>``, and ``{ref}`` for a required argument in the usage line).

    A flag takes no value: no type is shown. A value is named as click names it (``TEXT``,
    ``PATH``, ``INTEGER``), a repeatable one repeated (``PATH...``). An argument is named in
    capitals, in the help, the usage line (``REF``, ``[DEST]``) and errors ("Missing
    argument 'REF'").
    """
    try:
        from typer import core
    except ImportError:  # pragma: no cover - other typer layouts print neither
        return
    option_cls = getattr(core, "TyperOption", None)
    for cls in (option_cls, getattr(core, "TyperArgument", None)):
        shown = getattr(cls, "display_type_rich", None)
        if shown is None or getattr(shown, "_lineage", False):
            continue
        is_option = cls is option_cls

        def display_type_rich(self: Any, ctx: Any, _shown: Any = shown,
                              _is_option: bool = is_option) -> str | None:
            if self.metavar is not None and _is_option:
                return _shown(self, ctx)  # type: ignore[no-any-return]
            if getattr(self, "is_flag", False):
                return None
            desc: Any = getattr(self, "type_descriptor", None)
            if getattr(desc, "is_list", False) and not getattr(desc, "is_choice", False):
                (elem,) = get_args(desc.annotation) or (str,)
                return _type_word(getattr(elem, "__name__", "value").lower()) + "..."
            label = _shown(self, ctx)
            return None if label is None else _type_word(str(label))

        display_type_rich._lineage = True  # type: ignore[attr-defined]
        cls.display_type_rich = display_type_rich  # type: ignore[union-attr]
        if is_option or not hasattr(cls, "_usage_display_name"):
            continue

        def display_name_raw(self: Any) -> str:
            return str(self.metavar if self.metavar is not None else self.name.upper())

        def _usage_display_name(self: Any) -> str:
            name = str(self.display_name_raw)
            return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1
                                                                else "")

        cls.display_name_raw = property(display_name_raw)  # type: ignore[union-attr]
        cls._usage_display_name = _usage_display_name  # type: ignore[union-attr]


_flags_without_type()

def usage_error_line(exc: UsageError, command_path: str) -> str:
    """A usage error as one line: what click says (whitespace folded, so a value holding a
    newline cannot break it) and where the usage is, e.g. ``No such option: --frobnicate
    (see 'lineage harvest --help')``. ``command_path``: the command parsed, for the errors
    click raises without their context (``Option '-C' requires an argument``)."""
    text = re.sub(r"\s+", " ", exc.format_message()).strip()
    text = text[:-1] if text.endswith(".") and not text.endswith("..") else text
    ctx = exc.ctx
    if ctx is not None:
        if ctx.command.get_help_option(ctx) is None:
            return text
        command_path = ctx.command_path
    return f"{text} (see '{command_path} --help')"


@contextmanager
def usage_errors(command_path: Callable[[], str]) -> Iterator[None]:
    """A usage error (unknown option or command, missing argument, bad value) printed as the
    other errors are, in one line, exit 2, instead of typer's multi-line panel.
    ``lineage`` or ``lineage record`` alone still prints its help: click raises that as a
    usage error too (``NoArgsIsHelpError``, named as typer names it: older click has none)."""
    try:
        yield
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise
        from rich.markup import escape

        line = usage_error_line(exc, command_path())
        err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True,
                          highlight=False)
        raise typer.Exit(exc.exit_code) from None


# ctx.meta key of the arguments a group's command was given, as typed (see LineageGroup.invoke)
ARGS_KEY = "lineage.args"


class LineageGroup(TyperGroup):
    """A ``lineage`` command group (``lineage``, ``lineage record``): its usage errors and
    those of its commands (parsed in its :meth:`invoke`) go through :func:`usage_errors`.
    The arguments of the command it runs are kept, as typed, in ``ctx.meta[ARGS_KEY]`` (the
    contexts share ``meta``), so that an error can name an option as it was spelt (``--type``
    or ``--doc-kind``)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        def path() -> str:
            name = info_name or self.name or "lineage"
            return name if parent is None else f"{parent.command_path} {name}"

        with usage_errors(path):
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        ctx.meta[ARGS_KEY] = [*getattr(ctx, "_protected_args", []), *ctx.args]

        def path() -> str:  # the command being parsed, once resolved
            sub = ctx.invoked_subcommand
            return str(ctx.command_path if sub is None else f"{ctx.command_path} {sub}")

        with usage_errors(path):
            return super().invoke(ctx)


RepoOpt = typer.Option(None, "--repo", "-C", help="Repository path (default: current directory).",
                       show_default=False)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def repo_path(repo: Path | None) -> Path:
    return repo if repo is not None else state["repo"]


def store_option(verb: str = "Read") -> Any:
    """``--store DIR|FILE``, as ``verify``, ``audit``, ``show``, ``export`` and ``log`` take
    it: a store read on its own (read-only), e.g. a copy handed to an auditor."""
    return typer.Option(
        None, "--store", metavar="DIR|FILE", show_default=False,
        help=f"{verb} this store instead of the repository's: its folder (.lineage) or its file "
             "(lineage.db, under any name), e.g. a copy handed to an auditor. Opened read-only "
             "(a copy on read-only media works; it is never written). No git repository is "
             "needed.")


def open_store_at(path: Path, command: str) -> Any:
    """The store ``--store PATH`` names, opened read-only (:meth:`Store.open_read_only`).
    A file holding none of lineage's tables (another program's database, not an SQLite
    file) is a wrong path (:class:`ConfigError`, exit 2); a store damaged, emptied or with
    some of its tables dropped is an :class:`IntegrityError` (``lineage verify`` fails it).
    A note when a private copy is read instead (a ``-wal`` holding commits, an older
    schema) is printed on stderr, unless ``command`` is ``verify`` (which prints its notes
    itself)."""
    from lineage.errors import ConfigError, NotAStoreError
    from lineage.store import DB_NAME, Store

    try:
        store = Store.open_read_only(path)
    except NotAStoreError as exc:
        db = path if path.is_file() else path / DB_NAME
        raise ConfigError(f"{db} is not a lineage store ({exc.what}): check --store",
                          hint="give the store's folder (.lineage) or its file "
                               "(lineage.db, under any name)") from None
    if store.read_note and command != "verify":
        err_console.print(f"note: {store.read_note}", markup=False, highlight=False,
                          soft_wrap=True)
    return store


def open_read_store(repo: Path | None, store_at: Path | None, command: str) -> Any:
    """The store a command that only reads (audit, show, export, log) reads: the one
    ``--store`` names (read-only, no repository needed), else the repository's
    (:func:`lineage.api.open_store` with ``read_only``)."""
    if store_at is not None:
        return open_store_at(store_at, command)
    from lineage import api

    return api.open_store(repo_path(repo), read_only=True)


def read_whole(store: Any, command: str) -> None:
    """A store read without locks (a folder that cannot be written) and written meanwhile by
    another account: what was read may mix two states, so nothing is said of it
    (:class:`StoreError`, exit 2)."""
    from lineage.errors import StoreError

    if store.changed_while_read():
        raise StoreError(
            f"{store.db} changed while it was read: another process wrote it, and "
            f"{store.db.parent} cannot be written here, so it was read without locks",
            hint=f"run `lineage {command}` again when nothing is writing the store, or from an "
                 "account that can write its folder")


@contextmanager
def handle_errors(interrupted: Callable[[KeyboardInterrupt], str] | None = None
                  ) -> Iterator[None]:
    """Print expected errors as one clear line (+ hint) and exit with their code.

    Ctrl-C (and SIGTERM under :func:`sigterm_interrupts`) print what the interruption left:
    by default that nothing was written (a command that writes in one transaction);
    ``interrupted(exc)`` says it instead for a command that keeps what it did (``push``)."""
    try:
        yield
    except LineageError as exc:
        if state["verbose"]:
            traceback.print_exc()
        from rich.markup import escape

        # messages quote paths, refs, commit subjects, server answers: text, never markup
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True,
                          highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {escape(exc.hint)}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except sqlite3.DatabaseError as exc:
        from lineage.store import file_damaged

        if not file_damaged(exc):
            raise
        if state["verbose"]:
            traceback.print_exc()
        # a page of the store (or of a Lite file) SQLite cannot read: one line, as the
        # harvest says it, not a traceback (the commands that read only do not name the file)
        err_console.print(f"error: a database file cannot be read ({exc}): it is damaged or "
                          "was changed outside lineage", markup=False, highlight=False,
                          soft_wrap=True)
        err_console.print("hint: run `lineage verify` to check the store; restore .lineage/ "
                          "from a backup, or move it aside and rebuild it with `lineage init` "
                          "and `lineage harvest`", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt as exc:
        what = "nothing was written (the store is unchanged)"
        if interrupted is not None:
            try:
                what = interrupted(exc)
            except Exception:  # the message must not hide the interruption
                pass
        if isinstance(exc, Terminated):
            err_console.print(f"terminated: {what}", markup=False, highlight=False)
            raise typer.Exit(143) from None  # 128 + SIGTERM, as a shell reports it
        err_console.print(f"interrupted: {what}", markup=False, highlight=False)
        raise typer.Exit(130) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM, under :func:`sigterm_interrupts`: handled as Ctrl-C is, where it is caught."""


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """For the duration (a CLI command's work, never library code: it sets a process-wide
    handler), SIGTERM — CI cancelling a job, ``timeout``, ``kill`` — ends the command as Ctrl-C
    does: :class:`Terminated` (a ``KeyboardInterrupt``) is raised in the main thread, so the
    transaction is rolled back and the workers are ended on the way out. Further SIGTERMs while
    that unwinds are ignored (``timeout`` sends two: to the command, then to its group), so the
    clean-up is not cut short; SIGKILL still ends it outright. The previous handler is restored
    after. Outside the main thread (no handler can be set there) it does nothing."""
    import signal

    fired = False

    def on_sigterm(signum: int, frame: Any) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Terminated

    installed = True
    previous: Any = None
    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread
        installed = False
    try:
        yield
    finally:
        if installed:  # None: a handler set outside Python; back to the default then
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def write_output(path: Path, text: str) -> None:
    """Write an output file the user named, or fail with one line saying why."""
    from lineage.errors import ConfigError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}",
                          hint="choose a writable file path with --output") from None


def print_json(data: Any) -> None:
    from lineage.serialize import dumps_pretty

    sys.stdout.write(dumps_pretty(data) + "\n")


def interactive() -> bool:
    """Whether to draw progress (bars, spinners): stderr is a terminal and this is not CI.

    Some CI runners give jobs a terminal (``docker run -t``, shell executors with a pty);
    their logs would fill with redrawn bars. ``CI`` is set by GitHub Actions, GitLab,
    CircleCI, Travis, Buildkite, Azure Pipelines (``CI=false`` / ``0`` / ``no`` is not CI)."""
    ci = os.environ.get("CI", "").strip().lower()
    return err_console.is_terminal and ci in ("", "0", "false", "no")


@contextmanager
def status(text: str, enabled: bool = True) -> Iterator[None]:
    """A spinner on stderr while slow work runs, when :func:`interactive`; else nothing."""
    if not enabled or not interactive():
        yield
        return
    with err_console.status(text, spinner="dots"):
        yield


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress bar on stderr on a terminal; silent in CI / pipes / --json."""
    if not enabled or not interactive():
        yield lambda what, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as prog:

        def update(what: str, done: int, total: int | None) -> None:
            if what not in tasks:
                tasks[what] = prog.add_task(what, total=total)
            prog.update(tasks[what], completed=done, total=total)

        yield update


def parse_as_of(value: str | None) -> datetime | None:
    """``--as-of`` as ``lineage audit`` and ``lineage show`` read it: an ISO date, the end of
    that UTC day (its last instant: "as of 20 January" counts what happened on the 20th), or
    a time, UTC when it names no offset; None when not given."""
    from datetime import date, time

    from lineage.errors import ConfigError

    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        pass
    else:
        return datetime.combine(day, time.max, tzinfo=UTC)
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        why = str(exc)
        if why.startswith("Invalid isoformat string"):
            raise ConfigError(f"--as-of {value!r} is not an ISO date or time",
                              hint="e.g. --as-of 2026-06-30") from None
        # the shape is right, a value is not (2026-02-30): Python's reason, as the policy
        # and record readers give it ("day is out of range for month")
        if why.startswith("offset must be"):
            why = "its offset must be less than 24 hours"
        what = "time" if "T" in value.upper() or " " in value.strip() else "date"
        raise ConfigError(f"--as-of: invalid {what} {value!r} ({why})",
                          hint="give a real calendar date or time, e.g. --as-of 2026-06-30"
                          ) from None
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    try:
        t.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00: its UTC instant is past year 9999
        raise ConfigError(f"--as-of {value!r} is out of range: its UTC time is before year 1 "
                          "or after year 9999", hint="e.g. --as-of 2026-06-30") from None
    return t
