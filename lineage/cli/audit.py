"""`lineage audit`: completeness-gap rules over the lineage graph, as a CI gate."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from lineage.cli.common import (
    TAMPERED_HINT,
    RepoOpt,
    console,
    err_console,
    handle_errors,
    open_store_at,
    parse_as_of,
    progress_bar,
    read_whole,
    repo_path,
    store_option,
    write_output,
)
from lineage.cli.main import _expected_head, _head_problem, app

FAIL_ON = ("critical", "high", "medium", "low", "info", "never")
_NEVER = {"none": "never", "off": "never"}  # other spellings of "never" for --fail-on


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    from lineage.errors import ConfigError

    v = value.lower()
    if v in allowed:
        return v
    import difflib

    close = difflib.get_close_matches(v, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(allowed)}"
    raise ConfigError(f"unknown {what} {value!r}", hint=hint)


# `--option KEY=VALUE` keys each source reads (the others read none): the reader takes them
# as `lineage push --to datahub-rest` does (connectors.sinks.datahub.remote.rest_settings)
SOURCE_OPTIONS: dict[str, tuple[str, ...]] = {"datahub-rest": ("timeout",)}


def _source_options(pairs: list[str] | None, source: str) -> dict[str, str]:
    """``--option KEY=VALUE`` pairs as a dict, refused (exit 2, before anything is read) when
    one is not KEY=VALUE or names a key the source does not read: a typo would be ignored."""
    import difflib

    from lineage.errors import ConfigError

    valid = SOURCE_OPTIONS.get(source, ())
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--option {pair!r} is not KEY=VALUE",
                              hint="e.g. lineage audit --source datahub-rest URL --option "
                                   "timeout=60")
        if not valid:
            raise ConfigError(f"--option {key}: --source {source} takes no options",
                              hint="--option timeout=SECONDS is for --source datahub-rest")
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            raise ConfigError(f"unknown option {key!r} for --source {source}",
                              hint=(f"did you mean {close[0]}? " if close else "")
                              + f"options of --source {source}: {', '.join(valid)}")
        out[key] = value
    return out


def _output_is_an_option(output: Path | None) -> None:
    """``-o timeout=60`` (push's spelling of --option) is --output here: it would write the
    report to a file named ``timeout=60``, and the option would not be given."""
    from lineage.errors import ConfigError

    keys = {k for keys in SOURCE_OPTIONS.values() for k in keys}
    key, sep, _ = str(output or "").partition("=")
    if sep and key in keys:
        raise ConfigError(f"-o {output} is --output FILE for lineage audit, not an option",
                          hint=f"give the option as --option {output} (lineage push spells it "
                               "-o, lineage audit does not)")


def _load_source(source: str, location: str | None, root: Path | None, cfg: Any,
                 store_at: Path | None = None, options: dict[str, str] | None = None) -> Any:
    """The graph (or store) to audit, from the embedded store (the one ``store_at`` names,
    read-only, else the repository's) or a DataHub catalog (``options``: ``--option``
    pairs of the source, checked by :func:`_source_options`)."""
    from lineage import api
    from lineage.errors import ConfigError, LineageError
    from lineage.plugins import load_source

    if source == "local":
        if location is not None:
            raise ConfigError(f"--source local takes no location (got {location!r})",
                              hint="use --repo PATH to audit another repository")
        store = open_store_at(store_at, "audit") if store_at is not None else \
            api.open_store(repo_path(None) if root is None else root, cfg, read_only=True)
        # 0 checks on a store that holds no fact is no pass, whatever events it logged (a
        # push, a verify's kept head: events that write no fact)
        if store.is_empty():
            store.close()
            raise ConfigError(f"nothing to audit: the store {store.root} is empty (nothing "
                              "harvested or recorded yet)",
                              hint="run `lineage harvest` first (in CI: before `lineage audit`)")
        return store
    try:
        reader = load_source(source)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"graph source {source!r} is not available ({exc})",
                          hint="pip install 'lineage[datahub]', or audit the local store "
                               "(--source local)") from exc
    opts: dict[str, Any] = dict(options or {})
    lite: Path | None = None
    if source == "datahub-lite":
        lite = _lite_file(location, root, cfg)
        opts["path"] = str(lite)
    elif source == "datahub-rest":
        opts["server"] = location or (cfg.datahub.server if cfg is not None else None)
        token = cfg.datahub.token if cfg is not None else None
        opts["token"] = token.get_secret_value() if token is not None else None
    if lite is None:
        return reader(**opts)
    try:
        return reader(**opts)
    except LineageError:
        raise
    except Exception as exc:  # sqlite3/duckdb: a file that is no DataHub Lite database
        raise ConfigError(f"cannot open DataHub Lite file {lite}: {exc}",
                          hint="is it a DataHub Lite file? `lineage push --to datahub-lite` "
                               "writes one; audit the local store with --source local") from exc


def _lite_file(location: str | None, root: Path | None, cfg: Any) -> Path:
    """The DataHub Lite file to audit: LOCATION, else lineage.yaml ``datahub.lite_file``
    (relative to the repository), else the ``datahub-lite`` push target's default."""
    from lineage.errors import ConfigError

    if location is not None:
        file = Path(location)
    elif root is None or cfg is None:
        raise ConfigError("no DataHub Lite file given and not inside a git repository",
                          hint="name it: lineage audit --source datahub-lite FILE")
    elif cfg.datahub.lite_file:
        file = Path(cfg.datahub.lite_file)
        file = file if file.is_absolute() else root / file
    else:
        file = cfg.store_path(root) / "datahub-lite.db"
    if not file.is_file():
        what = "is not a file" if file.exists() else "does not exist"
        raise ConfigError(f"DataHub Lite file {file} {what}",
                          hint="run `lineage push --to datahub-lite` first, or name the file: "
                               "lineage audit --source datahub-lite FILE")
    return file


def _anchor(root: Path | None, policy_source: str, exclude: Path | None = None) -> str | None:
    """A repository file to anchor SARIF results that no file holds (GitHub code scanning
    rejects a whole log when one result has none): the policy file, else lineage.yaml,
    dvc.yaml or README.md, else a file git tracks (at the root first, e.g. ``.gitignore``),
    else ``.gitignore``; a path relative to the root, or None when the repository has none."""
    if root is None:
        return None

    def cands() -> Iterator[Path]:
        if policy_source != "built-in default":
            yield Path(policy_source)
        yield from (root / n for n in ("lineage.yaml", "dvc.yaml", "README.md"))
        yield from _tracked_files(root)  # the git index is read only when it comes to that
        yield root / ".gitignore"

    base = root.resolve()
    skip = exclude.resolve() if exclude is not None else None
    for c in cands():
        p = (c if c.is_absolute() else root / c).resolve()
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        if p != skip and p.is_file() and rel.parts and rel.parts[0] not in (".git", ".lineage"):
            return rel.as_posix()
    return None


def _tracked_files(root: Path, limit: int = 64) -> list[Path]:
    """Up to ``limit`` paths from the git index (the files git tracks, not a subprocess away),
    those at the repository root first; [] when there is no index or it cannot be read."""
    from lineage.gitfiles import git_dirs

    dirs = git_dirs(root)
    if dirs is None:
        return []
    try:
        data = (dirs[0] / "index").read_bytes()
    except OSError:
        return []
    if len(data) < 12 or data[:4] != b"DIRC":
        return []
    version = int.from_bytes(data[4:8], "big")
    count = int.from_bytes(data[8:12], "big")
    paths: list[str] = []
    pos, prev = 12, b""
    try:
        for _ in range(count):
            start = pos
            flags = int.from_bytes(data[pos + 60:pos + 62], "big")
            pos += 62
            if version >= 3 and flags & 0x4000:  # extended flags
                pos += 2
            if version >= 4:  # path prefix-compressed against the previous entry
                strip, shift = 0, 0
                while True:
                    b = data[pos]
                    pos += 1
                    strip |= (b & 0x7F) << shift
                    shift += 7
                    if not b & 0x80:
                        break
                end = data.index(b"\0", pos)
                name = prev[:len(prev) - strip] + data[pos:end]
                pos = end + 1
            else:
                end = data.index(b"\0", pos)
                name = data[pos:end]
                pos = start + ((end - start) // 8 + 1) * 8  # NUL-padded to 8 bytes
            prev = name
            paths.append(name.decode("utf-8", "surrogateescape"))
            if len(paths) >= limit * 4:
                break
    except (IndexError, ValueError):
        pass
    paths.sort(key=lambda p: ("/" in p, p))
    return [root / p for p in paths[:limit]]


def _tampered(problem: str) -> typer.Exit:
    """Say what ``lineage verify`` says of a tampered store (one line, then the hint); the
    exit that follows writes no report."""
    from rich.markup import escape

    err_console.print(f"[bold red]TAMPERED[/]: {escape(problem)}", soft_wrap=True)
    err_console.print(f"[yellow]hint:[/] {TAMPERED_HINT}; no audit report was written",
                      soft_wrap=True)
    return typer.Exit(1)


def _verify(store: Any, want: tuple[int, str] | None) -> str | None:
    """The store's chain checked as ``lineage verify`` checks it (and the kept head ``want``
    it must still hold), in the read transaction the audit then reads: None when it holds,
    else verify's one-line problem."""
    with progress_bar() as progress:
        res = store.verify(progress)
    problem = res.problem or "the event log is broken" if not res.ok else None
    if problem is None and want is not None:
        problem, _ = _head_problem(store, store.head()[0], *want)
    read_whole(store, "audit --verify")  # no verdict from a torn read
    return problem


def _without_repository(store_at: Path, policy: Path | None) -> str:
    """What a report of a store read with ``--store`` and no ``--repo`` says it lacks."""
    judged = "" if policy is not None else \
        "the built-in default policy judged it (not the repository's: --policy FILE), and "
    return (f"the store {store_at} was read without its repository (--store without --repo): "
            f"{judged}the report names no repository HEAD; add --repo PATH to read the "
            "repository's")


def _policy_file(where: str, root: Path | None) -> tuple[str | None, str | None]:
    """(path relative to the repository — absolute when outside it —, sha256) of the policy
    file read; (None, None) for the built-in default."""
    import hashlib

    if where == "built-in default":
        return None, None
    p = Path(where)
    try:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:  # it was read a moment ago: gone meanwhile
        digest = None
    if root is not None:
        try:
            return p.resolve().relative_to(root.resolve()).as_posix(), digest
        except ValueError:
            pass
    return str(p.resolve()), digest


# the report format an --output file's name asks for, when --format is not given
_BY_SUFFIX = ((".sarif", "sarif"), (".sarif.json", "sarif"), (".json", "json"),
              (".xml", "junit"), (".md", "markdown"), (".markdown", "markdown"))


def _format_of(output: Path) -> str | None:
    name = output.name.lower()
    return next((fmt for suffix, fmt in _BY_SUFFIX if name.endswith(suffix)), None)


@app.command()
def audit(
    command: typer.Context,
    location: str | None = typer.Argument(
        None, metavar="LOCATION", show_default=False,
        help="For --source datahub-lite: the Lite file; for datahub-rest: the GMS URL "
             "(default: DATAHUB_GMS_URL, else datahub.server in lineage.yaml)."),
    repo: Path | None = RepoOpt,
    source: str = typer.Option(
        "local", "--source", "-s", metavar="SOURCE",
        help="What to audit: local (the embedded store), datahub-lite, datahub-rest."),
    policy: Path | None = typer.Option(
        None, "--policy", "-p", show_default=False, metavar="FILE",
        help="Policy file (default: policy: in lineage.yaml, else lineage-policy.yaml at the "
             "repository root, else the built-in default)."),
    fmt: str = typer.Option("table", "--format", "-f", metavar="FORMAT",
                            help="table | json | junit | sarif | markdown."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    output: Path | None = typer.Option(None, "--output", "-o", show_default=False, metavar="FILE",
                                       help="Write the report to FILE instead of stdout (- is "
                                            "stdout). Without --format, FILE's extension "
                                            "chooses it: .sarif, .json, .xml (junit), .md."),
    fail_on: str = typer.Option(
        "low", "--fail-on", metavar="SEVERITY",
        help="Exit 1 when a finding is at or above: critical | high | medium | low | info | "
             "never (also none, off: report only)."),
    model: str | None = typer.Option(None, "--model", "-m", show_default=False, metavar="MODEL",
                                     help="Only this model (churn) or version (churn@v1.1.0)."),
    env: str | None = typer.Option(None, "--env", "-e", show_default=False, metavar="ENV",
                                   help="Only deployments to (and versions deployed in) ENV."),
    rules: list[str] | None = typer.Option(None, "--rule", "-r", show_default=False, metavar="RULE",
                                           help="Run only this rule (repeatable, or a comma-separated list; "
                                                "an unknown or disabled one is exit 2); harvest-complete runs "
                                                "under every selection."),
    as_of: str | None = typer.Option(
        None, "--as-of", show_default=False, metavar="DATE",
        help="Audit as of this date or time (default: now). A date alone is the end of that "
             "day, UTC (--as-of 2026-01-20 counts that day's deployments); a time without an "
             "offset is UTC. Staleness and waiver expiry are judged then, and versions, runs, "
             "deployments, records and documents made later are left out."),
    verify: bool = typer.Option(
        False, "--verify",
        help="Verify the store's event log first, as `lineage verify` does: a tampered store "
             "is exit 1 with verify's message, and no report. Without it the report says "
             "the store was not verified in this run."),
    expect_head: str | None = typer.Option(
        None, "--expect-head", metavar="SEQ:HASH|FILE", show_default=False,
        help="With --verify (implied): the store must still hold this head kept outside it, "
             "as for `lineage verify --expect-head` (SEQ:HASH, or the file `lineage verify "
             "--json` wrote)."),
    store_at: Path | None = store_option("Audit"),
    option: list[str] | None = typer.Option(
        None, "--option", metavar="KEY=VALUE", show_default=False,
        help="A setting of the source (repeatable). datahub-rest: timeout=SECONDS, how long "
             "GMS has to answer each request (default 30), as for `lineage push --to "
             "datahub-rest`."),
) -> None:
    """Audit the lineage graph against EU AI Act / ISO 42001 completeness rules.

    Every finding names its rule, severity (by risk tier), the article / control it serves, the node ids of its evidence and the command that fixes it. Rules, severities, approver requirements and waivers come from the policy (docs/audit.md).

    Every format names what the report judged: the store's chain head (SEQ:HASH, as `lineage verify` prints it) and whether this run verified it, the policy file and its sha256, what the policy asks less than the built-in default (rules turned off, weaker settings), the repository's HEAD commit, lineage's and the rules' versions, and the audit's clock.

    Exit codes: 0 no finding at or above --fail-on · 1 findings, or (--verify) a tampered store · 2 usage or policy error · 3 DataHub unreachable, not GMS, silent or refusing the token.

    With --verify, the chain is verified and the facts audited in one read of the store (one snapshot): the report judges exactly what was verified.

    With --store alone no repository is read (the current folder's is not taken for the store's): the policy is --policy FILE, else the built-in default, and the report names no repository HEAD (it says so); --repo PATH reads that repository's policy and HEAD.

    Examples:
      lineage audit
      lineage audit --model churn --env prod --fail-on high
      lineage audit -o audit.sarif      # SARIF, for GitHub code scanning
      lineage audit --format junit -o audit.xml          # CI test tab
      lineage audit --format markdown > comment.md       # pull-request comment
      lineage audit --source datahub-lite .lineage/datahub-lite.db
      lineage audit --source datahub-rest http://gms:8080 --option timeout=60
      lineage audit --policy lineage-policy.yaml --as-of 2026-06-30
      lineage audit --verify --expect-head kept-head.json
      lineage audit --store .lineage/lineage.db --repo . --verify
    """
    from lineage import api
    from lineage.audit import RULES, resolve_policy, run_audit
    from lineage.audit.formats import FORMATS, RENDERERS, Provenance
    from lineage.audit.policy import rules_off, weaker_than_default
    from lineage.config import load_config, secret_warnings
    from lineage.errors import ConfigError, IntegrityError, LineageError
    from lineage.gitfiles import git_head

    if output is not None and str(output) == "-":  # `-o -`: stdout, as for any Unix tool
        output = None
    with handle_errors():
        fmt_ = "json" if as_json else _choice(fmt, FORMATS, "format")
        given = command.get_parameter_source("fmt")
        if output is not None and not as_json and (given is None or given.name == "DEFAULT"):
            fmt_ = _format_of(output) or fmt_  # -o audit.sarif writes SARIF, not the table
        # `--fail-on none` / `off` (report only) is spelled `never` here
        fail = _choice(_NEVER.get(fail_on.lower(), fail_on), FAIL_ON, "severity for --fail-on")
        src = _choice(source, ("local", "datahub-lite", "datahub-rest"), "source")
        _output_is_an_option(output)
        source_options = _source_options(option, src)
        # the canonical ids: the engine matches rules by id (FOUR-EYES selected nothing)
        # --rule a --rule b, or --rule a,b
        rule_ids = None if rules is None else [
            _choice(r.strip(), tuple(RULES), "rule")
            for given in rules for r in (given.split(",") if "," in given else [given])
            if r.strip() or "," not in given]
        now = parse_as_of(as_of)
        want = _expected_head(expect_head) if expect_head is not None else None
        verify = verify or want is not None
        if store_at is not None and src != "local":
            raise ConfigError(f"--store: the {src} source reads no lineage store",
                              hint="leave --store out, or audit the store (--source local)")
        if verify and src != "local":
            raise ConfigError(f"--verify{' and --expect-head' if want is not None else ''}: "
                              f"the {src} source keeps no event log to verify",
                              hint="verify the local store (--source local), or leave "
                                   "--verify out")
        root: Path | None = None
        try:  # --store alone: no repository (not the current folder's: it may be another)
            if store_at is None or repo is not None:
                root = api.find_repo_root(repo_path(repo))
        except LineageError:
            if src == "local":
                raise
        cfg = load_config(root) if root is not None else None
        if cfg is not None and root is not None and src == "datahub-rest":
            for warning in secret_warnings(cfg, root):
                err_console.print(f"warning: {warning}", soft_wrap=True, markup=False,
                                  highlight=False)
        pol, where = resolve_policy(root, policy, cfg.policy if cfg is not None else None)
        head: tuple[int, str] | None = None
        target: Any = None
        try:
            target = _load_source(src, location, root, cfg, store_at, source_options)
            if src == "local":
                # one read transaction: the head, the verify and the audit read one snapshot
                # of the store, whatever another process commits meanwhile
                target.conn.execute("BEGIN")
                head = target.head()
        except IntegrityError as exc:  # damaged, emptied, replaced: what verify fails
            if src == "local" and target is not None:
                target.close()
            if not verify:
                raise
            raise _tampered(exc.message) from None
        if target is None:
            raise ConfigError(f"the {src} source returned no graph")
        try:
            if verify:
                problem = _verify(target, want)
                if problem is not None:
                    raise _tampered(problem)
            report = run_audit(target, pol, now=now, model=model, env=env, rules=rule_ids,
                               source_name=src if location is None else f"{src} {location}",
                               policy_source=where)
            if src == "local":  # (read without locks and written meanwhile: no report)
                read_whole(target, "audit")
        finally:
            close = getattr(target, "close", None)
            if src == "local" and close is not None:
                close()
        if store_at is not None and root is None:
            report.warnings.append(_without_repository(store_at, policy))
        policy_file, policy_sha = _policy_file(where, root)
        prov = Provenance(
            as_of=report.as_of or report.generated_at,
            verified=verify if src == "local" else "skipped", store_head=head,
            expected_head=want, policy_file=policy_file, policy_sha256=policy_sha,
            repository_head=git_head(root) if root is not None else None,
            rules_off=rules_off(pol), weaker=weaker_than_default(pol))
    report.anchor_file = _anchor(root, where, exclude=output)
    fileless = [f for f in (*report.findings, *report.waived)
                if not (f.location and f.location.get("file"))]
    if fmt_ == "sarif" and report.anchor_file is None and fileless:
        err_console.print(
            "[yellow]warning:[/] no repository file to anchor the SARIF results at: GitHub code "
            "scanning rejects a log with a result that names no file; commit a policy file "
            "(lineage-policy.yaml), lineage.yaml or README.md at the repository root"
            + ("" if root is not None else ", and run the audit inside that repository"),
            soft_wrap=True)
    rendered = RENDERERS[fmt_](report, prov)
    if fmt_ == "table":
        if output is not None:
            from rich.console import Console

            buf = Console(width=160, highlight=False, color_system=None, record=True,
                          file=io.StringIO())
            buf.print(rendered)
            with handle_errors():
                write_output(output, buf.export_text())
        else:
            console.print(rendered)
    elif output is not None:
        with handle_errors():
            write_output(output, rendered)
    else:
        typer.echo(rendered, nl=False)
    if output is not None:
        err_console.print(f"wrote {fmt_} report to {output}: {len(report.findings)} finding(s), "
                          f"{len(report.waived)} waived", soft_wrap=True, markup=False,
                          highlight=False)  # a path is never broken mid-name
    if fmt_ != "table" or output is not None:  # the table on the terminal says them itself
        for note in report.warnings:  # a CI job writing JUnit or SARIF to a file sees them
            from rich.text import Text

            err_console.print(Text.assemble(("warning: ", "yellow"), note), soft_wrap=True)
    expired = [w for w in report.waivers if w.status == "expired" and w.matched]
    for w in expired:
        err_console.print(f"[yellow]waiver expired[/] {w.waiver.expires}: {w.waiver.rule} on "
                          f"{w.waiver.node} (owner {w.waiver.owner}) no longer suppresses it",
                          soft_wrap=True)
    if report.fails(fail):
        raise typer.Exit(1)
