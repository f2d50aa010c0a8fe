"""`lineage` command line. Commands only: the work is in :mod:`lineage.api`.

Exit codes: 0 ok · 1 findings / integrity failure / validation failure · 2 usage or
configuration error · 3 push target unreachable or refused · 130 interrupted · 143 terminated.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

import typer

from lineage.cli.common import (
    TAMPERED_HINT,
    JsonOpt,
    LineageGroup,
    RepoOpt,
    console,
    err_console,
    handle_errors,
    open_read_store,
    open_store_at,
    print_json,
    progress_bar,
    read_whole,
    repo_path,
    sigterm_interrupts,
    state,
    store_option,
    write_output,
)

app = typer.Typer(
    name="lineage",
    help=(
        "ML lineage and audit trail: harvest git/DVC/GTO/MLflow/OpenLineage and governance "
        "records into one graph, push it to DataHub or Atlas, audit it.\n\n"
        # each command on a line of its own (typer keeps these line breaks): at 80 columns
        # the second would wrap in the middle
        "Start with:\n  lineage quickstart   (a demo repository end to end)\n\n"
        "In your repository:\n  lineage init && lineage harvest && lineage show MODEL@VERSION"
    ),
    no_args_is_help=True,
    cls=LineageGroup,  # usage errors in one line, as the other errors
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# command modules register themselves on `app`; each imports its heavy parts lazily
COMMAND_MODULES = ["record", "push", "audit", "quickstart"]


def _print_version(value: bool) -> None:
    # eager: runs while the options are parsed, before click asks for a command
    if value:
        from lineage import __version__

        console.print(f"lineage {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks on errors."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                 callback=_print_version, is_eager=True),
) -> None:
    state["verbose"] = verbose


@app.command()
def init(repo: Path | None = RepoOpt) -> None:
    """Create the lineage store (.lineage/) in a git repository.

    Example:  lineage init
    """
    from lineage import api
    from lineage.config import load_config
    from lineage.store import DB_NAME

    with handle_errors():
        root = api.find_repo_root(repo_path(repo))
        existed = (load_config(root).store_path(root) / DB_NAME).is_file()
        path = api.init(root)
        if existed:  # an audit trail already: say what it holds, never that it is new
            store = api.open_store(root)
            try:
                events = store.head()[0]
            finally:
                store.close()
    if existed:
        console.print(f"Lineage store already exists in {path} ({_count(events, 'event')}); "
                      "nothing changed", markup=False, soft_wrap=True)
        return
    console.print(f"Initialized lineage store in {path}", markup=False, soft_wrap=True)
    console.print("Next: [bold]lineage harvest[/]")


@app.command()
def harvest(
    repo: Path | None = RepoOpt,
    only: list[str] | None = typer.Option(
        None, "--only", metavar="NAME[,NAME…]",
        help="Run only these harvesters, comma-separated or repeated: git, dvc, gto, dvc-exp, "
             "mlflow, openlineage, records, joins."),
    as_json: bool = JsonOpt,
) -> None:
    """Harvest git, DVC, GTO, runs and governance records into the store.

    Incremental: a re-harvest with nothing new writes nothing.

    Examples:
      lineage harvest
      lineage harvest --only git,gto
      lineage harvest --only dvc --only records --json
    """
    from lineage import api

    # `--only git,gto` and `--only git --only gto` alike
    names = [n.strip() for item in only or [] for n in item.split(",") if n.strip()]
    # SIGTERM (CI cancelling, `timeout`) as Ctrl-C: rolled back, workers ended, one line
    with handle_errors(), sigterm_interrupts(), progress_bar(not as_json) as progress:
        if only and not names:
            from lineage.errors import ConfigError

            raise ConfigError("--only names no harvester", hint="e.g. --only git,gto")
        result = api.harvest(repo_path(repo), only=names or None, progress=progress)
    if as_json:
        print_json(result.as_dict())
        return
    _print_harvest(result)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _print_harvest(result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Harvest", show_lines=False)
    table.add_column("harvester")
    table.add_column("what")
    table.add_column("kind")
    table.add_column("new", justify="right")
    table.add_column("changed", justify="right")
    # facts a source no longer states (Withdrawal, NodeWithdrawal): a column of their own,
    # shown when a harvester withdrew any
    withdrew = any(h.stats.nodes_withdrawn or h.stats.edges_withdrawn for h in result.harvesters)
    if withdrew:
        table.add_column("withdrawn", justify="right")
    any_row = False
    for h in result.harvesters:
        s = h.stats
        for what, new, changed, gone in (
                ("nodes", s.nodes_new, s.nodes_changed, s.nodes_withdrawn),
                ("edges", s.edges_new, s.edges_changed, s.edges_withdrawn)):
            for kind in sorted(set(new) | set(changed) | set(gone)):
                cells = [h.name, what, kind, str(new.get(kind, 0)), str(changed.get(kind, 0))]
                table.add_row(*cells, *([str(gone.get(kind, 0))] if withdrew else []))
                any_row = True
    totals = result.counts
    n_nodes = sum(totals.get("nodes", {}).values())
    n_edges = sum(totals.get("edges", {}).values())
    if any_row:
        console.print(table)
    elif n_nodes == 0:
        console.print("Nothing to harvest yet: no commits, and no records or runs found.")
    else:
        console.print("Nothing new since the last harvest.")
    console.print(f"Store: {_count(n_nodes, 'node')}, {_count(n_edges, 'edge')} · "
                  f"new events: {result.new_events}")
    for name, why in result.skipped.items():
        # the reason holds an install hint: pip install 'lineage[mlflow]' is text, not markup
        err_console.print(f"[dim]skipped {escape(name)}: {escape(why)}[/]", soft_wrap=True)
    for n in result.report.notes:
        err_console.print(f"[dim]note:[/] {escape(str(n))}", soft_wrap=True)
    if result.report.warnings:
        err_console.print(f"[yellow]{len(result.report.warnings)} warning(s):[/]")
        for w in result.report.warnings[:50]:
            err_console.print(f"  [yellow]![/] {escape(str(w))}", soft_wrap=True)
        if len(result.report.warnings) > 50:
            err_console.print(f"  … and {len(result.report.warnings) - 50} more (use --json)")


# `show` lives in its own module (lineage/cli/show.py); registered here, between harvest
# and export, so the help lists the commands in the order a user meets them
app.command()(importlib.import_module("lineage.cli.show").show)


@app.command()
def export(
    repo: Path | None = RepoOpt,
    fmt: str = typer.Option("node-link", "--format", "-f", metavar="FORMAT",
                            help="Output format: node-link."),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                       help="Write to FILE instead of stdout (- is stdout)."),
    store_at: Path | None = store_option(),
) -> None:
    """Export the whole graph as JSON (every node with kind, id, attrs; every edge).

    With --store, that store is read on its own: read-only (a copy on read-only media works), no repository needed.

    Examples:
      lineage export --format node-link -o graph.json
      lineage export --store .lineage/lineage.db -o graph.json
    """
    from lineage.errors import ConfigError
    from lineage.serialize import dumps_pretty

    with handle_errors():
        if fmt != "node-link":
            raise ConfigError(f"unknown export format {fmt!r}", hint="use --format node-link")
        store = open_read_store(repo, store_at, "export")
        try:
            data = store.load_graph().to_node_link()
            read_whole(store, "export")
        finally:
            store.close()
    text = dumps_pretty(data) + "\n"
    if output is not None and str(output) != "-":  # `-o -`: stdout
        with handle_errors():
            write_output(output, text)
        err_console.print(f"wrote {_count(len(data['nodes']), 'node')}, "
                          f"{_count(len(data['edges']), 'edge')} to {output}")
    else:
        typer.echo(text, nl=False)


@app.command()
def verify(repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
           expect_head: str | None = typer.Option(
               None, "--expect-head", metavar="SEQ:HASH|FILE",
               help="A head kept outside the store: SEQ:HASH, or the file an earlier "
                    "`lineage verify --json` wrote (its key head). The log must still hold "
                    "that event with that hash."),
           store_at: Path | None = store_option("Check")) -> None:
    """Check the tamper-evident event log: exit 0 when intact, 1 naming the first bad entry.

    The chain has no key: whoever can write the store can recompute every hash, replace the file, or drop the last events with the facts they added and set the head back. Keep the head it prints somewhere the store's writers cannot change, and give it back with --expect-head to catch that.

    Reads only: a copy of the store on read-only media verifies as it is, and is left byte for byte as it was. At the repository's store path, a file that is not a lineage store fails (exit 1); a --store file holding none of lineage's tables (another program's database, not an SQLite file) is a wrong path (exit 2), while a store damaged, emptied or missing some of its tables still fails.

    Examples:
      lineage verify
      lineage verify --json > kept-head.json
      lineage verify --expect-head kept-head.json
      lineage verify --store .lineage/lineage.db --expect-head kept-head.json
    """
    from rich.markup import escape

    from lineage import api
    from lineage.config import load_config
    from lineage.errors import IntegrityError, NotAStoreError, StoreError
    from lineage.store import Store, VerifyResult

    note = side = unlogged = None
    changed: dict[str, int] | None = None  # side entries not matching their hash, by table
    with handle_errors(), progress_bar(not as_json) as progress:
        want = _expected_head(expect_head) if expect_head is not None else None
        given = store_at is not None
        if store_at is None:
            root = api.find_repo_root(repo_path(repo))
            store_at = load_config(root).store_path(root)
        head = None
        try:  # read only: the store may be a copy on read-only media, and is evidence
            # (a --store path typed by hand naming another file, .lineage/datahub-lite.db:
            # a wrong path, exit 2)
            store = open_store_at(store_at, "verify") if given else \
                Store.open_read_only(store_at)
        except NotAStoreError as exc:  # the repository's own store replaced: tampered
            res = VerifyResult(False, 0, 0, exc.message)
            problem, bad = res.problem, None
        except IntegrityError as exc:  # damaged, truncated, emptied: a failed verify
            res = VerifyResult(False, 0, 0, exc.message)
            problem, bad = res.problem, None
        else:
            try:
                note = store.read_note
                res = store.verify(progress)
                problem, bad = res.problem, res.bad_seq
                if res.ok:  # a head that cannot be read is verify's own finding
                    seq, head_hash = store.head()
                    head = f"{seq}:{head_hash}"
                    if want is not None:
                        problem, bad = _head_problem(store, seq, *want)
                    changed = store.side_entries_changed()
                    side = _side_note(changed)
                    unlogged = _unlogged_note(store.unlogged_watermarks())
                if store.changed_while_read():  # no verdict from a torn read
                    raise StoreError(
                        f"{store.db} changed while verify read it: another process wrote it, "
                        f"and {store.db.parent} cannot be written here, so it was read "
                        "without locks", hint="run `lineage verify` again when nothing is "
                        "writing the store, or from an account that can write its folder")
            finally:
                store.close()
    for text in (note, side, unlogged) if not as_json else ():
        if text:
            err_console.print(f"note: {text}", markup=False, highlight=False, soft_wrap=True)
    ok = res.ok and problem is None
    if as_json:
        # the notes as the human output prints them, and the side-table counts behind one
        # (null when verify did not get that far)
        side_counts = None if changed is None else {
            label: changed.get(table, 0) for table, label in _SIDE_TABLES.items()}
        print_json({"ok": ok, "events": res.events, "facts": res.facts, "head": head,
                    "problem": problem, "bad_event": bad,
                    "notes": [t for t in (note, side, unlogged) if t],
                    "side_entries_changed": side_counts})
    elif ok:
        kept = f"; it holds the kept head (event {want[0]})" if want is not None else ""
        console.print(f"[green]OK[/]: event log intact ({res.events} events, {res.facts} facts)"
                      f"{kept}; head {head}", soft_wrap=True)
    else:
        # one line however long the ids (for grep and CI logs), printed as text
        err_console.print(f"[bold red]TAMPERED[/]: {escape(problem or '')}", soft_wrap=True)
        err_console.print(f"[yellow]hint:[/] {TAMPERED_HINT}", soft_wrap=True)
    if not ok:
        raise typer.Exit(1)


# side tables verify checks (not part of the trail), as `verify --json` names them
_SIDE_TABLES = {"state": "push_state", "watermarks": "watermarks", "cache": "cache"}


def _side_note(changed: dict[str, int]) -> str | None:
    """What verify says of push state, watermarks and cache entries changed outside lineage
    (not part of the trail: lineage does not use them)."""
    names = {"state": ("push state entry", "push state entries"),
             "watermarks": ("watermark", "watermarks"), "cache": ("cache entry", "cache entries")}
    parts = [f"{n} {names[t][n != 1]}" for t, n in changed.items()]
    if not parts:
        return None
    one = sum(changed.values()) == 1
    return (f"{' and '.join([', '.join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)} "
            f"{'does' if one else 'do'} not match {'its' if one else 'their'} hash (changed "
            "outside lineage): lineage does not use "
            f"{'it' if one else 'them'}, the next harvest or push does that work again")


def _unlogged_note(watermarks: list[tuple[str, str]]) -> str | None:
    """What verify says of watermarks the audit reads that no event logged yet (a store
    harvested before lineage logged them): it cannot hold them to the log."""
    if not watermarks:
        return None
    names = " and ".join(f"the {h} harvester's {scope} watermark" for h, scope in watermarks)
    one = len(watermarks) == 1
    return (f"{names} (which the audit reads) {'is' if one else 'are'} not in the event log "
            "yet (the store was harvested before lineage logged "
            f"{'it' if one else 'them'}): verify cannot tell whether "
            f"{'it was' if one else 'they were'} changed outside lineage; the next "
            f"`lineage harvest` logs {'it' if one else 'them'}")


def _expected_head(value: str) -> tuple[int, str]:
    import json

    from lineage.errors import ConfigError

    text = value
    from_file = Path(value).is_file()
    if from_file:  # what `lineage verify --json` wrote
        try:
            kept = json.loads(Path(value).read_text())["head"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"--expect-head {value}: not the output of `lineage verify "
                              f"--json` ({exc})",
                              hint="give SEQ:HASH, or the file `lineage verify --json` wrote"
                              ) from None
        if kept is None:
            raise ConfigError(f"--expect-head {value} holds no head: the verify that wrote it "
                              "failed", hint="keep the head of a verify that passed")
        text = str(kept)
    # exactly as verify prints it: `010:…`, an upper-case hash or spaces were typed or edited
    # by hand, not kept from verify's output, so they are refused rather than guessed at
    m = re.fullmatch(r"(0|[1-9][0-9]*):([0-9a-f]{64})", text)
    if m is None:
        what = (f"--expect-head {value}: its head {text!r} is not" if from_file else
                f"--expect-head {value!r} is neither a file nor")
        raise ConfigError(f"{what} SEQ:HASH as `lineage verify` prints it (the event number "
                          "without leading zeros, a colon, 64 lower-case hex digits)",
                          hint="give the head an earlier `lineage verify --json` printed "
                               "(key head), e.g. --expect-head 12:<64 hex digits>")
    return int(m[1]), m[2]


def _head_problem(store: Any, head_seq: int, seq: int, h: str) -> tuple[str | None, int | None]:
    """Why the verified log does not hold event ``seq`` with hash ``h``, else None."""
    from lineage.store import GENESIS

    if seq == 0:  # nothing was kept: any log holds the empty one
        if h != GENESIS:
            return (f"the kept head 0:{h} is not a head: event 0 is the empty log's head "
                    f"(0:{GENESIS})", None)
        return None, None
    if seq > head_seq:
        return (f"the log ends at event {head_seq}, before the kept head (event {seq}): "
                "events were removed since that head was kept", head_seq + 1)
    found = next((e for e in store.events(since=seq - 1)), None)
    if found is None or found.seq != seq:
        return f"event {seq} of the kept head is not in the log", seq
    if found.hash != h:
        return (f"event {seq} has hash {found.hash}, not the kept head's {h}: the log was "
                "rewritten or replaced since that head was kept", seq)
    return None, None


@app.command("log")
def log_(repo: Path | None = RepoOpt,
         limit: int = typer.Option(20, "-n", metavar="N", min=1,
                                   help="How many of the latest events."),
         as_json: bool = JsonOpt, store_at: Path | None = store_option()) -> None:
    """List the latest events of the audit trail (harvests, records, pushes).

    With --store, that store is read on its own: read-only (a copy on read-only media works), no repository needed.

    Examples:
      lineage log -n 5
      lineage log --store .lineage -n 50
    """
    with handle_errors():
        store = open_read_store(repo, store_at, "log")
        try:
            head, _ = store.head()
            events = list(store.events(since=max(0, head - limit)))
            read_whole(store, "log")
        finally:
            store.close()
    if as_json:
        print_json([e.__dict__ for e in events])
        return
    if not events:
        console.print("The event log is empty: nothing harvested, recorded or pushed yet.")
        return
    console.print(_EventLog([(str(e.seq), e.ts[:19].replace("T", " "), e.kind, e.actor,
                              _event_summary(e.kind, e.payload), e.hash[:12])
                             for e in events]))


class _EventLog:
    """The events as a table when every cell fits whole (the summary wrapped at its words),
    else stacked (an 80-column terminal, a CI log): each event on a line of fixed-width
    fields, its summary on the lines below. Ids, emails and hashes are never cut: an id
    broken over two lines cannot be searched for or pasted back."""

    COLUMNS = ("seq", "time (UTC)", "kind", "actor", "summary", "hash")
    SUMMARY = 4
    SUMMARY_MIN = 30  # the narrowest summary column the table is shown with

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        self.rows = rows

    def _width(self, i: int) -> int:
        return max(len(x) for x in (self.COLUMNS[i], *(r[i] for r in self.rows)))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.table import Table

        width = options.max_width
        # a box table takes 3 characters per column and 1 more: borders and padding
        fixed = sum(self._width(i) for i in range(len(self.COLUMNS)) if i != self.SUMMARY)
        room = width - fixed - 3 * len(self.COLUMNS) - 1
        longest = max(len(w) for r in self.rows for w in [*r[self.SUMMARY].split(), "summary"])
        # a summary squeezed into a dozen columns reads as badly as one cut: stacked then
        if room >= max(longest, min(self.SUMMARY_MIN, self._width(self.SUMMARY))):
            table = Table(title="Event log")
            for i, col in enumerate(self.COLUMNS):
                if i == self.SUMMARY:  # wrapped at its words, in the room left
                    table.add_column(col, width=min(room, self._width(i)))
                else:
                    table.add_column(col, no_wrap=True)
            for row in self.rows:
                table.add_row(*row)
            yield table
            return
        yield from self._stacked(console, width)

    def _stacked(self, console: Any, width: int) -> Any:
        from rich.text import Text

        w = [self._width(i) for i in range(3)] + [self._width(5)]
        yield Text("Event log", style="italic")
        yield Text("  ".join([self.COLUMNS[0].rjust(w[0]), self.COLUMNS[1].ljust(w[1]),
                              self.COLUMNS[2].ljust(w[2]), self.COLUMNS[5].ljust(w[3]),
                              self.COLUMNS[3]]), style="bold")
        indent = " " * (w[0] + 2)  # under the time: the seq column stays clear
        for seq, ts, kind, actor, summary, h in self.rows:
            head = "  ".join([seq.rjust(w[0]), ts.ljust(w[1]), kind.ljust(w[2]),
                              h.ljust(w[3]), actor])
            for n, line in enumerate(Text(head).wrap(console, width, overflow="fold")):
                line.rstrip()
                # an actor too long for the line goes below, under the time
                yield line if n == 0 else Text.assemble(indent, line)
            room = max(20, width - len(indent))
            for line in Text(summary).wrap(console, room, overflow="fold") if summary else ():
                line.rstrip()
                yield Text.assemble(indent, line)


def _event_summary(kind: str, p: dict[str, Any]) -> str:
    """One line saying what an event did: what a harvester wrote, which record, how a push
    went (a refused or interrupted push must not read like one that worked)."""
    if kind == "harvest":
        parts = []
        for what in ("nodes", "edges"):
            new = sum((p.get(f"{what}_new") or {}).values())
            changed = sum((p.get(f"{what}_changed") or {}).values())
            gone = sum((p.get(f"{what}_withdrawn") or {}).values())
            if new or changed:
                parts.append(f"{_count(new, what[:-1])}" + (f" new, {changed} changed"
                                                           if changed else " new")
                             + (f", {gone} withdrawn" if gone else ""))
            elif gone:
                parts.append(f"{_count(gone, what[:-1])} withdrawn")
        # a watermark the audit reads, logged when it changed (the clone's state)
        logged = p.get("watermarks")
        parts += [f"{scope} state logged" for scopes in
                  (logged.values() if isinstance(logged, dict) else ())
                  for scope in (scopes if isinstance(scopes, dict) else ())]
        text = f"{p.get('harvester', '')}: {'; '.join(parts) or 'nothing new'}"
        if p.get("warnings"):
            text += f" ({_count(int(p['warnings']), 'warning')})"
        return text
    if kind == "record":
        record = p.get("record")
        kind_ = record.get("kind") if isinstance(record, dict) else None
        return str(p.get("node") or p.get("record_kind") or kind_ or "")
    if kind == "push":
        how = "interrupted" if p.get("interrupted") else \
            "FAILED" if p.get("ok") is False else "ok"
        return (f"{p.get('target', '')} {how}: {p.get('written', 0)} written, "
                f"{p.get('unchanged', 0)} unchanged, {p.get('failed', 0)} failed")
    return str(p.get("harvester") or p.get("target") or p.get("record_kind") or "")


def _register() -> None:
    for mod in COMMAND_MODULES:
        try:
            importlib.import_module(f"lineage.cli.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"lineage.cli.{mod}":
                raise


_register()


def _file_id(fd: int) -> tuple[int, int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_rdev


def _reader_gone(fd: int) -> bool:
    """Whether ``fd`` is a pipe whose reader has closed it. A large write into such a pipe
    may end without an error (the bytes the pipe took are "written"), so ask the pipe."""
    import select
    import stat

    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) or not hasattr(select, "poll"):
            return False
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poller.poll(0))
    except OSError:
        return False


def main() -> None:
    # `python -m lineage` is the `lineage` command: usage lines and hints name it, and the
    # shell completion script completes `lineage` (click would derive "python -m lineage",
    # and a completion variable `_PYTHON _M LINEAGE_COMPLETE` that no shell can set)
    before = _file_id(1)
    try:
        app(prog_name="lineage")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    # A reader that stops early (`lineage audit | head -1`) ends the command as it ends any
    # Unix tool: status 141 (128 + SIGPIPE), without a word. rich and click exit 1 there
    # (rich after pointing stdout at /dev/null, click after wrapping it), which reads as
    # "findings" or "tampered" to a CI script; output still buffered when the pipe closed
    # would make Python exit 120 after a traceback.
    st = os.stat(os.devnull)
    null = (st.st_dev, st.st_ino, st.st_rdev)
    broken = type(sys.stdout).__name__.endswith("PacifyFlushWrapper") or \
        (before != null and _file_id(1) == null)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        broken = True
    broken = broken or _reader_gone(1)
    if broken:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more is written to the closed pipe
        code = 141
    sys.exit(code)
