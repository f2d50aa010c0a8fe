"""`lineage push`: send the lineage graph to a catalog (DataHub Lite by default)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from lineage.cli.common import (
    JsonOpt,
    RepoOpt,
    console,
    err_console,
    handle_errors,
    print_json,
    progress_bar,
    repo_path,
    sigterm_interrupts,
    state,
)
from lineage.cli.main import app

TARGETS_HELP = ("datahub-lite (default: .lineage/datahub-lite.db), datahub-file PATH, "
                "datahub-rest, datahub-kafka, atlas")


def _parse_options(pairs: list[str] | None, to: str = "datahub-lite") -> dict[str, Any]:
    from lineage.errors import ConfigError

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            if not sep and to in ("datahub-file", "datahub-lite") and \
                    ("." in pair or "/" in pair or "\\" in pair):
                # `-o FILE`, as `export -o` and `audit -o` write one: here -o is --option
                hint = (f"-o is --option KEY=VALUE for push; the file is its DEST argument: "
                        f"lineage push --to {to} {shlex.quote(pair)}")
            elif not sep and pair.strip():
                hint = f"e.g. --option {pair.strip()}=VALUE (--option batch_size=200)"
            else:
                hint = "e.g. --option batch_size=200"
            raise ConfigError(f"--option {pair!r} is not KEY=VALUE", hint=hint)
        out[key.strip()] = value
    return out


def _check_option_keys(to: str, sink_cls: Any, keys: list[str]) -> None:
    """Refuse ``-o`` keys the target does not read (a typo would be silently ignored).
    A plugin target that declares no ``option_keys`` takes any."""
    import difflib

    from lineage.errors import ConfigError

    valid: tuple[str, ...] | None = getattr(sink_cls, "option_keys", None)
    if valid is None:
        return
    for key in keys:
        if key in valid or any(v.endswith(".") and key.startswith(v) for v in valid):
            continue
        close = difflib.get_close_matches(key, [v for v in valid if not v.endswith(".")], n=1)
        listed = ", ".join(f"{v}<key>" if v.endswith(".") else v for v in sorted(valid))
        hint = (f"did you mean {close[0]}? " if close else "") + \
            f"options of --to {to}: {listed}"
        raise ConfigError(f"unknown option {key!r} for push target {to!r}", hint=hint)


def _interrupted(exc: KeyboardInterrupt) -> str:
    """What an interrupted push leaves: every acknowledged batch is remembered. An interrupt
    that lands after the push finished (its ``push`` event is in the log) says so."""
    result = getattr(exc, "result", None)
    logged = getattr(exc, "logged", None)
    if result is None and logged is not None:
        seq, payload = logged
        unit = "entities" if payload.get("target") == "atlas" else "MCPs"
        return (f"the push had finished before the interrupt (event {seq}: "
                f"{payload.get('written', 0)} {unit} written); nothing is lost")
    sent = result.written if result is not None else 0
    if result is None or not sent:
        return "nothing was sent; run the push again"
    unit = "entities" if result.target == "atlas" else "MCPs"
    return f"{sent} {unit} were sent and are remembered; the next push resumes"


def _push_logged_since(store: Any, seq: int) -> tuple[int, dict[str, Any]] | None:
    """The ``push`` event this command wrote after event ``seq``, if it wrote one."""
    found = None
    for event in store.events(since=seq):
        if event.kind == "push":
            found = (event.seq, event.payload)
    return found


def _check_address_flags(to: str, sink_cls: Any, server: str | None,
                         token: str | None) -> None:
    """``--server`` / ``--token`` for a target that reads neither would be ignored: the graph
    would go to the default DataHub Lite file while the user meant a server."""
    from lineage.errors import ConfigError

    valid: tuple[str, ...] | None = getattr(sink_cls, "option_keys", None)
    if valid is None:
        return
    for flag, value, keys in (("--server", server, ("server", "url")),
                              ("--token", token, ("token",))):
        if value and not any(k in valid for k in keys):
            takers = "datahub-rest" if flag == "--token" else "datahub-rest or atlas"
            default = "; without --to, push writes DataHub Lite in .lineage/" \
                if to == "datahub-lite" else ""
            raise ConfigError(f"push target {to!r} takes no {flag} (it is for {takers})",
                              hint=f"to push to a DataHub server: lineage push --to "
                              f"datahub-rest {flag} …{default}")


@contextmanager
def _transport_log(to: str) -> Iterator[None]:
    """With ``lineage -v``, the Kafka client's own log (librdkafka: each connection attempt,
    why it failed) is printed on stderr for the duration of the push; otherwise it is not
    printed, the error says what could not be reached."""
    if not (state["verbose"] and to == "datahub-kafka"):
        yield
        return
    import logging
    import sys

    from connectors.sinks.datahub.remote import KAFKA_LOG

    handler = logging.StreamHandler(sys.stderr)  # (the stderr of this command)
    handler.setFormatter(logging.Formatter("librdkafka: %(levelname)s %(message)s"))
    level = KAFKA_LOG.level
    KAFKA_LOG.addHandler(handler)
    KAFKA_LOG.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        KAFKA_LOG.removeHandler(handler)
        KAFKA_LOG.setLevel(level)


def _server_note(config: Any) -> str | None:
    """A note when a DataHub server is configured but the push went to the default Lite
    file (no ``--to``): DATAHUB_GMS_URL set in a shell does not choose the target."""
    server = getattr(getattr(config, "datahub", None), "server", None)
    if not server:
        return None
    where = "DATAHUB_GMS_URL" if os.environ.get("DATAHUB_GMS_URL") else \
        "datahub.server in lineage.yaml"
    return (f"{where} names a DataHub server, but this push went to DataHub Lite (the "
            f"default target); lineage push --to datahub-rest sends the graph to the server")


@app.command()
def push(
    command: typer.Context,
    dest: str | None = typer.Argument(
        None, help="Destination: a file for datahub-file / datahub-lite (optional for Lite).",
        show_default=False),
    to: str = typer.Option("datahub-lite", "--to", "-t", metavar="TARGET", help=f"Push target: {TARGETS_HELP}."),
    server: str | None = typer.Option(
        None, "--server", metavar="URL", help="Server URL (datahub-rest: GMS, else DATAHUB_GMS_URL / "
        "datahub.server in lineage.yaml; atlas: ATLAS_URL).", show_default=False),
    token: str | None = typer.Option(
        None, "--token", metavar="TOKEN", help="Access token (else DATAHUB_GMS_TOKEN). Never printed.",
        show_default=False),
    full: bool = typer.Option(False, "--full", help="Send everything, not only what changed "
                              "since the last push to this destination."),
    option: list[str] | None = typer.Option(
        None, "--option", "-o", metavar="KEY=VALUE", help="Target-specific KEY=VALUE (repeatable), e.g. "
        "batch_size=200, retries=5, openapi=true.", show_default=False),
    repo: Path | None = RepoOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Push the lineage graph to DataHub (Lite, MCP file, REST, Kafka) or Atlas.

    Incremental: only what changed since the last push to a destination is sent. A push that failed half way resumes where it stopped.

    Examples:
      lineage push                                  # DataHub Lite in .lineage/
      lineage push --to datahub-file metadata.json  # for `datahub ingest`
      lineage push --to datahub-rest --server http://localhost:8080
      lineage push --json --full
      lineage push -o remove_stale=true   # soft-delete entities gone from it

    Exit codes: 0 pushed · 1 an MCP failed validation (a bug report) · 2 usage or configuration error · 3 target unreachable or refused (run again to resume).
    """
    from pydantic import SecretStr

    from lineage import api
    from lineage.config import load_config, secret_warnings
    from lineage.errors import ConfigError, LineageError
    from lineage.plugins import PushContext, load_sink

    result = None
    failure: LineageError | None = None
    empty: str | None = None  # the store's folder, when it holds no fact
    with sigterm_interrupts(), handle_errors(interrupted=_interrupted):
        options = _parse_options(option, to)
        option_keys = list(options)
        root = api.find_repo_root(repo_path(repo))
        config = load_config(root)
        for warning in secret_warnings(config, root):
            err_console.print(f"warning: {warning}", soft_wrap=True, markup=False,
                              highlight=False)
        if dest:  # relative to where the command runs, as `export -o` and `audit -o`
            options["dest"] = os.path.abspath(os.path.expanduser(dest))
        if server:
            options["server"] = server
        if token:
            options["token"] = SecretStr(token)
        if full:
            options["full"] = True
        try:
            sink_cls = load_sink(to)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"push target {to!r} is not available: module {exc.name!r} is "
                              "missing from this installation",
                              hint="reinstall lineage with the extra for that target") from exc
        _check_option_keys(to, sink_cls, option_keys)
        _check_address_flags(to, sink_cls, server, token)
        valid = getattr(sink_cls, "option_keys", None)
        if dest and valid is not None and "dest" not in valid:
            # ignored, it would send the graph elsewhere (DATAHUB_GMS_URL, ATLAS_URL)
            flag = "--server URL" if "server" in valid or "url" in valid else \
                "--option bootstrap=HOST:PORT" if "bootstrap" in valid else "--option KEY=VALUE"
            raise ConfigError(f"push target {to!r} takes no DEST (got {dest!r})",
                              hint=f"DEST is the file of datahub-file and datahub-lite; give "
                              f"the address of --to {to} with {flag}")
        if dest and to in ("datahub-file", "datahub-lite") and os.path.isdir(options["dest"]):
            # a wrong argument (exit 2), not a target that refused the graph (exit 3)
            raise ConfigError(f"{options['dest']} is a directory: DEST is the file --to {to} "
                              "writes",
                              hint=f"name a file, e.g. lineage push --to {to} "
                              f"{shlex.quote(os.path.join(dest, 'metadata.json'))}")
        if dest and to in ("datahub-file", "datahub-lite"):
            folder = os.path.dirname(os.path.abspath(options["dest"]))
            if not os.path.isdir(folder):  # as `audit -o` and `export -o`: no folder made
                raise ConfigError(f"cannot write {options['dest']}: the folder {folder} does "
                                  "not exist",
                                  hint=f"create it first (mkdir -p {shlex.quote(folder)}), or "
                                  "name a file in a folder that exists")
        store = api.open_store(root, config)
        empty = str(store.root) if store.is_empty() else None
        before = store.head()[0]
        try:
            with _transport_log(to), progress_bar(not as_json) as progress:
                ctx = PushContext(store=store, config=config, repo_path=root, options=options,
                                  progress=progress)
                sink = sink_cls()
                try:
                    # sinks that can tell "nothing new in the store" skip loading the graph
                    push_store = getattr(sink, "push_store", None)
                    result = push_store(ctx) if callable(push_store) \
                        else sink.push(store.load_graph(), ctx)
                except LineageError as exc:  # a refusal (exit 3) or a bad destination (2)
                    result = getattr(exc, "result", None)
                    failure = exc
        except KeyboardInterrupt as exc:
            if getattr(exc, "result", None) is None:  # after the sink returned, maybe
                exc.logged = _push_logged_since(store, before)  # type: ignore[attr-defined]
            raise
        finally:
            store.close()
        if failure is not None and result is None:
            raise failure
    if result is not None:
        if as_json:
            print_json(result.as_dict())
        else:
            _print_summary(result, failed=failure is not None)
        if empty is not None and failure is None:
            from rich.markup import escape

            err_console.print(f"[yellow]warning:[/] the store {escape(empty)} holds no facts "
                              "yet (nothing harvested or recorded): only lineage's definitions "
                              "were pushed; run `lineage harvest` first", soft_wrap=True)
        source = command.get_parameter_source("to")
        explicit = source is not None and source.name != "DEFAULT"
        note = _server_note(config) if not explicit and to == "datahub-lite" and \
            failure is None else None
        if note:
            err_console.print(f"note: {note}", soft_wrap=True, markup=False, highlight=False)
    if failure is not None:
        with handle_errors():
            raise failure


def _gone(result: Any) -> str:
    """What made the entities pushed before stale: the graph no longer renders them, or (a
    DataHub push) the repository's HEAD no longer defines them — a stage removed from
    dvc.yaml, a path DVC no longer tracks."""
    if not str(result.target).startswith("datahub"):
        return "no longer in the graph"
    gone = result.details.get("gone_from_repository")
    return ("no longer in the graph or the repository's HEAD"
            + (f" ({gone} gone from dvc.yaml / DVC-tracked paths at HEAD)" if gone else ""))


def _print_summary(result: Any, failed: bool = False) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Push to {result.target}")
    for col in ("written", "unchanged", "failed"):
        table.add_column(col, justify="right")
    table.add_row(str(result.written), str(result.unchanged), str(result.failed))
    console.print(table)
    if result.details.get("destination"):
        console.print(f"Destination: {result.details['destination']}", soft_wrap=True,
                      markup=False)
    rebuilt = result.details.get("rebuilt")
    if rebuilt:
        err_console.print(f"[yellow]rebuilt: {escape(rebuilt)}; everything was pushed "
                          "again[/]", soft_wrap=True)
    elif result.written == 0 and result.failed == 0:
        console.print("Nothing changed since the last push.")
    if result.target == "datahub-lite" and result.details.get("destination") and not failed:
        console.print("Browse it: [bold]datahub lite ls /[/] with ~/.datahubenv pointing at "
                      "this file (docs/datahub.md#datahub-lite-default)", soft_wrap=True)
    kept = result.details.get("kept_records")
    if kept:  # a partial store (a CI clone): what it left of the destination's fuller view
        shown = "; ".join(kept[:5]) + (f" (and {len(kept) - 5} more)" if len(kept) > 5 else "")
        err_console.print(
            f"[yellow]warning:[/] the destination holds governance records this store does "
            f"not know: {escape(shown)}; what shows them was left as it is (harvest the "
            "records, or push from the store that holds them; -o replace_records=true "
            "replaces them)", soft_wrap=True)
    stale = result.details.get("stale_entities")
    if stale:
        datahub = str(result.target).startswith("datahub")
        how = "; -o remove_stale=true soft-deletes them" if datahub else \
            "; -o remove_stale=true deletes them" if result.target == "atlas" else ""
        urns = result.details.get("stale_urns") or []
        named = (": " + ", ".join(urns[:5]) + (f" (and {len(urns) - 5} more: --json lists "
                                                "them as stale_urns)" if len(urns) > 5 else "")
                 ) if urns else ""
        err_console.print(f"[yellow]{stale} entities pushed before are {_gone(result)} "
                          f"(left in place{how}){escape(named)}[/]", soft_wrap=True)
    unchecked = result.details.get("stale_unchecked")
    if unchecked:  # (Kafka cannot be read)
        err_console.print(
            f"note: {unchecked} model versions and groups this store writes to "
            f"{result.details.get('destination')} for the first time were not checked for "
            "deployments another store pushed there that the graph no longer has (a deleted "
            "or moved GTO tag's): this target cannot read DataHub; push once to the same "
            "DataHub with --to datahub-rest to find them (-o remove_stale=true soft-deletes "
            "them)", soft_wrap=True, markup=False, highlight=False)
    odd = result.details.get("unchecked_deployments")
    if odd:  # (their entities were edited outside lineage: no commit to tell whose they are)
        shown = ", ".join(odd[:5]) + (f" (and {len(odd) - 5} more: --json lists them as "
                                       "unchecked_deployments)" if len(odd) > 5 else "")
        err_console.print(
            f"warning: {len(odd)} GTO deployments the destination lists live that this graph "
            f"does not render were left as they are: they do not name their stage tag's "
            f"commit (custom property commit), so whose they are cannot be told: {shown}; "
            "push from the store that pushed them, or soft-delete them in DataHub",
            soft_wrap=True, markup=False, highlight=False)
    removed = result.details.get("removed_entities")
    if removed:
        status = "status DELETED" if result.target == "atlas" else "status removed: true"
        console.print(f"Soft-deleted {removed} entities pushed before that are "
                      f"{_gone(result)} ({status}).")
    resolved = result.details.get("resolved_incidents")
    if resolved:
        console.print(f"Resolved {resolved} drift incidents pushed before whose check passed "
                      "(now a check run on the model; incidents have no soft delete).")
    moved = result.details.get("moved_entities")
    if moved:
        _print_moved(result.target, moved, result.details.get("moved_urns") or {})


# how to look at an entity a DataHub target soft-deleted (hidden from search and browse)
_SEE_SOFT_DELETED = {
    "datahub-lite": "datahub lite get --urn '<former urn>' --aspect status",
    "datahub-file": "once the file is ingested, datahub get --urn '<former urn>' --aspect status",
}


def _print_moved(target: str, moved: int, urns: dict[str, str], shown: int = 5) -> None:
    """The entities whose urn the mapping changed (MLflow-registered models, now on the
    ``mlflow`` platform): their former urns were soft-deleted, whatever ``remove_stale``."""
    console.print(f"Moved {moved} MLflow-registered model entities (groups, versions) to the "
                  "urns DataHub's MLflow source gives them (platform mlflow); their former "
                  "urns were soft-deleted (status removed: true: hidden from search and "
                  "browse, their aspects kept):", soft_wrap=True, markup=False, highlight=False)
    for former, now in list(urns.items())[:shown]:
        console.print(f"  {former} -> {now}", soft_wrap=True, markup=False, highlight=False)
    if len(urns) > shown:
        console.print(f"  (and {len(urns) - shown} more: lineage push --json lists them all "
                      "as moved_urns)", soft_wrap=True, markup=False, highlight=False)
    see = _SEE_SOFT_DELETED.get(target, "datahub get --urn '<former urn>' --aspect status")
    console.print(f"See one: {see} (docs/datahub.md#mlflow-registered-models)",
                  soft_wrap=True, markup=False, highlight=False)
