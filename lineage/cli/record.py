"""`lineage record …`: post-run emission of runs and governance records (CI-friendly).

Each command builds one record (:mod:`lineage.records`), appends it to the hash-chained event
log (the event payload holds the record) and adds its nodes and edges to the graph.
``--write-file`` also writes it to ``governance/<kind>/<id>.yaml`` for review in a pull
request; harvesting that file later lands on the same node.

Exit codes: 0 recorded · 2 invalid record / usage / no store.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

from lineage.cli.common import (
    ARGS_KEY,
    JsonOpt,
    LineageGroup,
    RepoOpt,
    console,
    err_console,
    handle_errors,
    print_json,
    repo_path,
)
from lineage.cli.main import app

if TYPE_CHECKING:
    from lineage.model import Node
    from lineage.records import HeldBy

record_app = typer.Typer(
    name="record",
    help=(
        "Record a training run or a governance fact (approval, deployment, risk assessment, "
        "retraining, alert, document) in the audit trail.\n\n"
        "Works in CI (no TTY): the actor comes from LINEAGE_ACTOR / GITHUB_ACTOR / "
        "GITLAB_USER_LOGIN, the store from LINEAGE_STORE.\n\n"
        # the example on lines of its own (typer keeps the line breaks of these paragraphs),
        # its continuation lines indented under the command as a shell script writes them
        "Example:\n"
        "  lineage record approval --model churn@v1.1.0 --env prod \\\n"
        "      --approver rita@example.com --role risk-officer --decision approved \\\n"
        "      --evidence JIRA-123 --write-file"
    ),
    no_args_is_help=True,
    cls=LineageGroup,  # its commands' usage errors name `lineage record COMMAND --help`
    rich_markup_mode="rich",
)
app.add_typer(record_app, name="record")

# no word longer than the narrowest help column at 80 columns (record run's, 26 characters):
# a longer one is cut off with "…"
WriteFileOpt = typer.Option(False, "--write-file", help="Also write the record to "
                            "governance/KIND/ID.yaml, a file to commit in a pull request.")
IdOpt = typer.Option(None, "--id", help="The record's id (default: derived from its content).")
PropOpt = typer.Option(None, "--prop", metavar="KEY=VALUE",
                       help="A free-form fact, e.g. ticket=ML-42 (repeatable).")


def _allow_new(names: str) -> Any:
    """``--allow-new``, its help naming what the command itself gives (``names``)."""
    return typer.Option(False, "--allow-new", help=f"Accept {names} the store does not know, "
                        "even one a typo away from a known one (e.g. a version registered "
                        "later), or one of another model group than the record's other "
                        "names (with a warning).")


def _now(*, exact: bool = False) -> str:
    """Now in UTC, to the second; ``exact`` keeps the microseconds: a deployment without
    ``--id`` is named by its time, so two deployments of one version to one environment in one
    second (two regions from one CD job) are two deployments, not one merged into the other."""
    from lineage.serialize import now_utc, utc_iso

    now = now_utc()
    return utc_iso(now if exact else now.replace(microsecond=0)) or ""


_PAIR_EXAMPLES = {"--prop": "ticket=JIRA-123", "--param": "lr=0.1", "--metric": "auc=0.91"}


def _pairs(items: list[str] | None, what: str, *, parse: bool = False) -> dict[str, Any]:
    from lineage.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            example = _PAIR_EXAMPLES.get(what, "key=value")
            raise ConfigError(f"{what} {item!r} is not KEY=VALUE", hint=f"e.g. {what} {example}")
        value_of: Any = _value(value) if parse else value
        if key in out and out[key] != value_of and what != "--metric":
            # a run has one value per param (MLflow refuses to change one); the last would
            # win without a word. A metric given again is its latest value, as in MLflow
            raise ConfigError(f"{what} {key} is given twice, with {out[key]!r} and "
                              f"{value_of!r}", hint=f"give {what} {key}=… once")
        out[key] = value_of
    return out


def _value(text: str) -> Any:
    """A --param or --metric value: a number, boolean, list or mapping when the text is one
    as JSON writes it (``0.1``, ``6``, ``true``, ``[64, 32]``), else the text as given — YAML
    read ``1.10`` as 1.1, ``007`` as 7 and ``no`` as false, and dropped ``null``."""
    import json
    import math

    try:
        value = json.loads(text)
    except ValueError:
        return text
    if value is None:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return text  # NaN, Infinity: no JSON number, kept as written (as MLflow keeps params)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if json.dumps(value) == text else text
    return value


# record fields the command line gives under another name (the options' parameter names)
_FIELD_PARAMS = {"id": ("record_id", "run_id"), "environment": ("env",),
                 "model_group": ("group",), "annex_iii_area": ("annex_iii",),
                 "intended_purpose": ("purpose",), "previous_model": ("previous",),
                 "new_model": ("new",), "within_change_plan": ("within_plan",),
                 "properties": ("prop",), "start_time": ("start",), "end_time": ("end",)}


def _flag(ctx: typer.Context, field: str | None) -> str | None:
    """The option that gave the record's ``field``, spelt as it was typed (``doc_kind`` →
    ``--type`` or ``--doc-kind``; ``inputs.0.hash`` → ``--input``); the field itself when no
    option gives it (a run's ``user``)."""
    if not field:
        return field
    top = field.split(".", 1)[0]
    names = _FIELD_PARAMS.get(top, (top,))
    param = next((p for p in ctx.command.params if p.name in names), None)
    if param is None:
        return field
    opts = [*param.opts, *getattr(param, "secondary_opts", [])]
    typed = ctx.meta.get(ARGS_KEY, [])
    for opt in opts:
        if any(a == opt or a.startswith(opt + "=") for a in typed):
            return str(opt)
    return str(next((o for o in opts if o.startswith("--")), opts[0]))


def _flag_of(ctx: typer.Context, field: str) -> str:
    """The option that gave ``field``, for a name the store does not know: ``--prop
    supersedes`` for a correction's ``properties.supersedes``."""
    from lineage.records import SUPERSEDES

    flag = _flag(ctx, field) or field
    return f"{flag} supersedes" if field == SUPERSEDES else flag


def _unknown_named(ctx: typer.Context, warnings: list[str], unknown: list[Any]) -> list[str]:
    """``warnings`` with those of the names the store does not know (``unknown``) saying the
    option that gave each, as an error says it: ``command line (--run): the lineage store
    knows no run …``."""
    said = {u.warning(): u for u in unknown}
    return [f"command line ({_flag_of(ctx, said[w].field)}): {w}" if w in said else w
            for w in warnings]


def _named_by_flags(ctx: typer.Context, exc: Exception) -> Exception:
    """An error about the record given on the command line, its problems named by the
    options that were typed (``command line (--tier): …``) rather than by the record's
    fields; a refused name's hint names the flag that records it anyway."""
    from lineage.errors import InputError
    from lineage.records import UnknownNameError

    if isinstance(exc, UnknownNameError):
        also = [InputError(p.text, file="command line", field=_flag_of(ctx, p.field or ""),
                           hint=p.hint) for e in exc.also for p in e.problems]
        return UnknownNameError(exc.unknown, file="command line", allow="--allow-new",
                                field_name=lambda f: _flag_of(ctx, f), new=exc.new,
                                warnings=exc.warnings, also=also)
    if not isinstance(exc, InputError) or exc.file != "command line":
        return exc
    return InputError.of([InputError(p.text, file=p.file, line=p.line,
                                     field=_flag(ctx, p.field), hint=p.hint)
                          for p in exc.problems])


def _emit(ctx: typer.Context, data: dict[str, Any], prop: list[str] | None, repo: Path | None,
          write_file: bool, as_json: bool, warnings: list[str] | None = None, *,
          allow_new: bool = False, held_by: HeldBy | None = None,
          notes: list[str] | None = None) -> None:
    from lineage.errors import InputError
    from lineage.records import UnknownNameError, emit, validate_data

    with handle_errors():
        data = {**data, "properties": _pairs(prop, "--prop")}
        clean = {k: v for k, v in data.items() if v is not None and v != {} and v != []}
        try:
            record = validate_data(clean, file="command line", line=None)
            result = emit(record, repo_path(repo), write_file=write_file,
                          allow_new=allow_new, held_by=held_by)
        except UnknownNameError as exc:
            # every problem at once: the other names it does not know are said with the typo
            _print_warnings([*(warnings or []), *_unknown_named(ctx, exc.warnings, exc.new)])
            raise _named_by_flags(ctx, exc) from None
        except InputError as exc:
            raise _named_by_flags(ctx, exc) from None
    said = [*(warnings or []), *_unknown_named(ctx, result.warnings, result.unknown)]
    _print_warnings(said)
    _print_notes(notes or [])
    if as_json:
        print_json({**result.as_dict(), "warnings": said})
        return
    from rich.markup import escape

    # one line each, however narrow the terminal or the CI log (no terminal: 80 columns),
    # so that a job's log or a script reading it finds the id and the path whole
    console.print(f"Recorded {record.kind} [bold]{escape(result.node_id)}[/] (event "
                  f"{result.event_seq}, {result.facts_written} fact(s) written)", soft_wrap=True)
    if result.file:
        err_console.print(f"wrote {result.file}: commit it for review", markup=False,
                          soft_wrap=True)


def _print_warnings(notes: list[str]) -> None:
    from rich.markup import escape

    for note in notes:
        err_console.print(f"[yellow]warning:[/] {escape(note)}", soft_wrap=True)


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        err_console.print(f"note: {note}", markup=False, soft_wrap=True)


@record_app.command("approval")
def approval(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", "-m", help="Model version, name@version."),
    approver: str = typer.Option(..., help="Who decided."),
    decision: str = typer.Option("approved", help="approved | rejected | conditional."),
    env: str | None = typer.Option(None, "--env", "--environment", help="Environment, e.g. prod."),
    role: str | None = typer.Option(None, help="Approver's role, e.g. risk-officer."),
    decided_at: str | None = typer.Option(None, help="ISO time (default: now)."),
    evidence: str | None = typer.Option(None, help="Ticket or evidence URI, e.g. JIRA-123."),
    deployment: str | None = typer.Option(None, help="Deployment id, when approving one."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --model version, --env, --deployment or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record an approval of a model version for an environment.

    It counts for a deployment when decided before it and not before the version existed (--decided-at). A later rejection by the same approver withdraws it. Only its approver corrects a recorded approval (--prop supersedes=ID). A --deployment of another version or environment is refused: the audit never counts it.

    Example:
      lineage record approval --model churn@v1.1.0 --env prod \\
          --approver rita@example.com --role risk-officer --evidence JIRA-123
    """
    _emit(ctx, {"kind": "approval", "id": record_id, "model": model, "environment": env,
           "deployment": deployment, "approver": approver, "role": role, "decision": decision,
           "decided_at": decided_at or _now(), "evidence": evidence},
          prop, repo, write_file, as_json, allow_new=allow_new)


@record_app.command("deployment")
def deployment(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", "-m", help="Model version, name@version."),
    env: str = typer.Option(..., "--env", "--environment", help="Environment, e.g. prod."),
    endpoint: str | None = typer.Option(None, help="Serving endpoint URL or name."),
    deployed_at: str | None = typer.Option(
        None, help="ISO time (default: now, to the microsecond: it names the deployment)."),
    deployed_by: str | None = typer.Option(None, help="Who deployed (default: the CI actor)."),
    retired_at: str | None = typer.Option(None, help="ISO time the deployment ended."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --model version, --env or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record a deployment of a model version (from a CD job).

    In a GTO repository run it after `gto assign`: without --deployed-at, when GTO's tags have that version in --env, it completes the deployment the stage tag made (its time is the tag's; a rollback in GTO retires it) and says so; when they have another version there, it is a deployment of its own, deployed now, with a warning naming GTO's.

    To retire it later, record it again with the same --model, --env and --deployed-at (or the --id it was recorded with) and a --retired-at: that completes the deployment recorded for them, whatever its id (with --write-file, the file that recorded it).

    A CD step retried is the same deployment and writes nothing: give it a stable --id (the pipeline's run id); without --id or --deployed-at, a deployment of the version to --env at the same --endpoint while one is live there is that one (a warning says so).

    Example:
      lineage record deployment --model churn@v1.1.0 --env staging \\
          --endpoint https://staging.models.example.com/churn
    """
    from lineage.api import actor

    warnings: list[str] = []
    notes: list[str] = []
    if retired_at and not deployed_at:
        with handle_errors():
            deployed_at = _retired_deployment_time(model, env, retired_at, record_id, repo)
    retry = False
    if not retired_at and not deployed_at:
        # deployed now: GTO's registry, read from the repository's tags, may have made it
        deployed_at = _gto_deployed_at(model, env, record_id, repo, warnings, notes, {
            "endpoint": endpoint, "deployed_by": deployed_by or actor()})
        if deployed_at is None:
            # the same deployment recorded again: a retried CD step (its --id names it; without
            # one, the live deployment of the version there at the same endpoint)
            with handle_errors():
                deployed_at = _own_deployment_time(model, env, record_id, repo) \
                    if record_id else _live_deployment(model, env, endpoint, deployed_by, prop,
                                                       repo, warnings)
            retry = deployed_at is not None
    _emit(ctx, {"kind": "deployment", "id": record_id, "model": model, "environment": env,
           "endpoint": endpoint, "deployed_at": deployed_at or _now(exact=True),
           # a retirement names the deployment; it does not re-state who deployed it, nor
           # does a retry (another runner may act under another name)
           "deployed_by": deployed_by or (None if retired_at or retry else actor()),
           "retired_at": retired_at},
          prop, repo, write_file, as_json, warnings, allow_new=allow_new, notes=notes)


def _own_deployment_time(model: str, env: str, record_id: str, repo: Path | None
                         ) -> str | None:
    """The time of the deployment of ``model`` to ``env`` recorded under ``--id``
    ``record_id``, or None (none is: a new deployment, deployed now). A CD job passing a
    stable --id (its pipeline run id) retries its step as the same record: without this, its
    time would be the time now, and the retry a contradiction of the record it repeats."""
    from lineage import api
    from lineage.config import load_config
    from lineage.errors import LineageError
    from lineage.records import model_ref_id, with_aliases_ref

    try:
        root = api.find_repo_root(repo_path(repo))
        cfg = load_config(root)
        with api.open_store(root, cfg, read_only=True) as store:
            own = store.get_node(f"deployment:{record_id}")
    except LineageError:  # no repository, configuration or store: recording says so
        return None
    ref = with_aliases_ref(model, cfg.model_aliases)
    if own is None or own.attrs.get("model") != model_ref_id(ref) \
            or own.attrs.get("environment") != env or not own.attrs.get("deployed_at"):
        return None  # another record under that id: recording it says what differs
    return str(own.attrs["deployed_at"])


def _live_deployment(model: str, env: str, endpoint: str | None, deployed_by: str | None,
                     prop: list[str] | None, repo: Path | None, warnings: list[str]
                     ) -> str | None:
    """The time of the live deployment a deployment recorded now without --id or
    --deployed-at repeats, or None (a new deployment, named by the time now).

    Without --id a deployment is named by its time, to the microsecond: the same command run
    twice (a CD step retried after a timeout, a lost runner, a re-run job) would record two
    live deployments of one version, and retiring one later would leave the other live, a
    ghost the audit keeps judging. So a record of ``model`` to ``env`` at the same endpoint
    (none, when neither names one) while a deployment recorded so is live is that deployment,
    recorded again: it lands on it and writes nothing, and a warning says so, naming it and
    ``--id``, which records a separate deployment. One saying otherwise (who deployed it,
    --prop) is another deployment. Deployments GTO made are :func:`_gto_deployed_at`'s."""
    from lineage import api
    from lineage.config import load_config
    from lineage.errors import LineageError
    from lineage.model import NodeKind
    from lineage.records import model_ref_id, scrub_credentials, with_aliases_ref

    props = _pairs(prop, "--prop")
    try:
        root = api.find_repo_root(repo_path(repo))
        cfg = load_config(root)
        store = api.open_store(root, cfg, read_only=True)
    except LineageError:  # no repository, configuration or store: recording says so
        return None
    ref = with_aliases_ref(model, cfg.model_aliases)
    try:
        live = [n for n in store.find_nodes(NodeKind.DEPLOYMENT, model=model_ref_id(ref),
                                            environment=env)
                if not n.attrs.get("retired_at") and n.attrs.get("deployed_at")
                and n.attrs.get("source") in (None, "record")]
    finally:
        store.close()
    # (an endpoint is stored without credentials: compare it so)
    same = [n for n in live
            if n.attrs.get("endpoint") == (scrub_credentials(endpoint) if endpoint else None)
            and (deployed_by is None or n.attrs.get("deployed_by") == deployed_by)
            and all((n.attrs.get("properties") or {}).get(k) == v for k, v in props.items())]
    if not same:
        return None
    dep = max(same, key=lambda n: str(n.attrs["deployed_at"]))
    at = str(dep.attrs["deployed_at"])
    where = f" at {dep.attrs['endpoint']}" if dep.attrs.get("endpoint") else ""
    warnings.append(f"{model} is live in {env}{where} as deployment "
                    f"{dep.id.removeprefix('deployment:')} (deployed at {at}): this record "
                    "repeats it (a retried step) and records no new deployment; to record a "
                    "separate deployment of the same version, give it its own --id (e.g. the "
                    "pipeline's run id)")
    return at


class _GtoStage(NamedTuple):
    """What GTO's registry says of a model group in an environment."""

    model: str  # the recorded version's node id, under its canonical name
    live: Node | None  # the deployment GTO shows there now (its stage tag's), if any
    last: Node | None  # the latest deployment GTO made there (``live`` when there is one)
    stored: Node | None  # the store's node of ``live`` (harvested, or recorded before)


def _gto_stage(model: str, env: str, repo: Path | None) -> tuple[_GtoStage | None, str | None]:
    """(what GTO says of ``model``'s group in ``env``, None when it assigns the group no
    version there; a warning when its tags could not be read).

    Read from the repository's tags, as the harvest replays them: a CD job records the
    deployment right after ``gto assign``, before any harvest reads the new tag. A checkout
    holding none of the tags of that stage (a CI clone that fetched no tags) falls back on
    the deployments the store's last harvest read from them."""
    from connectors.harvesters.gto import stage_deployments
    from lineage import api
    from lineage.config import load_config
    from lineage.errors import LineageError
    from lineage.model import NodeKind
    from lineage.plugins import HarvestContext
    from lineage.records import model_ref_id, split_model_ref, with_aliases_ref
    from lineage.report import RunReport

    try:
        root = api.find_repo_root(repo_path(repo))
        cfg = load_config(root)
        store = api.open_store(root, cfg, read_only=True)
    except LineageError:  # no repository, configuration or store: recording says so
        return None, None
    ref = with_aliases_ref(model, cfg.model_aliases)
    group = split_model_ref(ref)[0]

    def here(n: Node) -> bool:  # a deployment of the group to the environment
        of = str(n.attrs.get("model") or "").removeprefix("model:").partition("@")[0]
        return of == group and n.attrs.get("environment") == env

    try:
        try:
            made = [n for n in stage_deployments(HarvestContext(root, cfg, store, RunReport(),
                                                                harvester="gto")) if here(n)]
        except (LineageError, OSError) as exc:
            return None, (f"GTO's tags could not be read ({exc}): {model} is recorded as a "
                          f"deployment of its own, deployed now, whatever GTO has in {env}")
        if not made:
            made = [n for n in store.find_nodes(NodeKind.DEPLOYMENT, source="gto",
                                                environment=env) if here(n)]
        if not made:
            return None, None
        made.sort(key=lambda n: str(n.attrs.get("deployed_at")))
        live = [n for n in made if not n.attrs.get("retired_at")]
        # (two artifacts one group by model_aliases may each have a version there)
        shown = next((n for n in live if n.attrs.get("model") == model_ref_id(ref)),
                     live[-1] if live else None)
        stored = store.get_node(shown.id) if shown is not None else None
    finally:
        store.close()
    return _GtoStage(model_ref_id(ref), shown, shown or made[-1], stored), None


def _gto_deployed_at(model: str, env: str, record_id: str | None, repo: Path | None,
                     warnings: list[str], notes: list[str], said: dict[str, str | None]
                     ) -> str | None:
    """The time of the deployment GTO made that a deployment recorded now completes, or None
    (a deployment of its own, named by the time now), with what to say about it in
    ``warnings`` and ``notes``. ``said``: what the record says that completes one (its
    endpoint, who deployed).

    When GTO's tags have ``model`` in ``env``, the record is of the deployment their stage tag
    made: recorded at the tag's time it is one deployment with GTO's (one group, environment
    and time), which GTO's rollback retires — recorded now it would be a second one, left
    live. Unless it has its own ``--id``, or the deployment is recorded already saying
    otherwise (another endpoint: a second region). When GTO has another version there, or
    none, the record is a deployment of its own, with a warning naming GTO's."""
    from connectors.harvesters.gto import parse_tag_name
    from lineage.records import recorded_clash_of, split_model_ref

    stage, problem = _gto_stage(model, env, repo)
    if problem:
        warnings.append(problem)
    if stage is None or stage.last is None:
        return None
    dep = stage.live or stage.last
    props = dep.attrs.get("properties") or {}
    tag = str(props.get("gto_tag") or "?")
    name = dep.id.removeprefix("deployment:")
    at = str(dep.attrs.get("deployed_at"))
    shown = str(dep.attrs.get("model")).removeprefix("model:")
    own = "this is a deployment of its own, deployed now, which GTO's stage changes do not retire"
    if stage.live is None:
        warnings.append(f"GTO's registry has no version of {shown.partition('@')[0]} in {env} "
                        f"now (the last, {shown}, by tag {tag}, left it at "
                        f"{dep.attrs.get('retired_at')}): {own}")
        return None
    if dep.attrs.get("model") != stage.model:
        parsed = parse_tag_name(tag)
        artifact = parsed.artifact if parsed is not None else shown.partition("@")[0]
        version = split_model_ref(model)[1]
        warnings.append(f"GTO's registry has {shown} in {env}, not {model} (tag {tag}, "
                        f"deployment {name}): {own}; `gto assign {artifact} --version {version} "
                        f"--stage {env}` assigns it there")
        return None
    if record_id:  # a deployment named by its own id is its own
        return None
    stored = stage.stored
    if stored is not None:
        mine = {k: v for k, v in said.items() if v is not None
                # who made GTO's deployment is GTO's to say (its tagger)
                and (k != "deployed_by" or stored.attrs.get("source") in (None, "record"))}
        other = recorded_clash_of(stored.attrs, mine)
        if other:
            was = ", ".join(f"{k} {v!r}" for k, v in other.items())
            notes.append(f"deployment {name} (GTO tag {tag}) is recorded with {was}: this is "
                         f"another deployment of {model} to {env}, deployed now, which GTO's "
                         "stage changes do not retire")
            return None
    notes.append(f"completes deployment {name} (GTO tag {tag}): deployed at the tag's time")
    return at


def _retired_deployment_time(model: str, env: str, retired_at: str, record_id: str | None,
                             repo: Path | None) -> str:
    """The time of the deployment --retired-at retires when --deployed-at is not given: that
    of the deployment recorded under --id (of this version and environment). Else an error: a
    deployment without --id is named by its time, and without one this would record a new
    deployment, deployed now and retired at once, and leave the live one live."""
    import shlex

    from lineage import api
    from lineage.config import load_config
    from lineage.errors import ConfigError
    from lineage.model import NodeKind
    from lineage.records import model_ref_id, with_aliases_ref

    live: list[str] = []
    try:
        root = api.find_repo_root(repo_path(repo))
        ref = with_aliases_ref(model, load_config(root).model_aliases)
        with api.open_store(root) as store:
            own = store.get_node(f"deployment:{record_id}") if record_id else None
            if (own is not None and own.attrs.get("model") == model_ref_id(ref)
                    and own.attrs.get("environment") == env and own.attrs.get("deployed_at")):
                return str(own.attrs["deployed_at"])
            live = sorted(str(n.attrs["deployed_at"]) for n in store.find_nodes(
                NodeKind.DEPLOYMENT, model=model_ref_id(ref), environment=env)
                if n.attrs.get("deployed_at") and not n.attrs.get("retired_at"))
    except Exception:  # only the hint depends on it; the error stands without
        live = []
    command = (f"lineage record deployment --model {shlex.quote(model)} --env "
               f"{shlex.quote(env)}" + (f" --id {shlex.quote(record_id)}" if record_id else "")
               + " --deployed-at {} --retired-at " + shlex.quote(retired_at))
    if live:
        hint = (f"{model} is live in {env}, deployed at {', '.join(live)}: e.g. "
                + command.format(live[-1]))
    else:
        hint = (f"no live deployment of {model} to {env} is recorded; its time is the end of "
                "its id (deployment:<group>:<env>:<time>): " + command.format("<that time>"))
    raise ConfigError("--retired-at retires a recorded deployment: give its --deployed-at, or "
                      "the --id it was recorded with (without either this would be a new "
                      "deployment, deployed now)", hint=hint)


@record_app.command("assessment")
def assessment(
    ctx: typer.Context,
    group: str = typer.Option(..., "--model-group", "--group", "-g",
                              help="Model group (AI system) name, e.g. churn."),
    tier: str = typer.Option(..., help="EU AI Act tier: unacceptable | high | limited | minimal."),
    annex_iii: str | None = typer.Option(None, "--annex-iii", help="Annex III area."),
    purpose: str | None = typer.Option(None, "--purpose", help="Intended purpose."),
    rationale: str | None = typer.Option(None, help="Why this tier."),
    assessor: str | None = typer.Option(None, help="Who assessed (default: the CI actor)."),
    assessed_at: str | None = typer.Option(None, "--date", "--assessed-at",
                                           help="ISO date (default: now)."),
    next_review: str | None = typer.Option(None, help="ISO date of the next review."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --group or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record an EU AI Act risk assessment of a model group.

    The tier decides which audit rules apply and how severe their findings are. The assessment goes stale after --next-review.

    Example:
      lineage record assessment --group churn --tier high --annex-iii "5(b)" \\
          --purpose "credit churn scoring" --next-review 2027-01-01 --write-file
    """
    from lineage.api import actor

    _emit(ctx, {"kind": "risk_assessment", "id": record_id, "model_group": group, "tier": tier,
           "annex_iii_area": annex_iii, "intended_purpose": purpose, "rationale": rationale,
           "assessor": assessor or actor(), "assessed_at": assessed_at or _now(),
           "next_review": next_review},
          prop, repo, write_file, as_json, allow_new=allow_new)


@record_app.command("retraining")
def retraining(
    ctx: typer.Context,
    trigger: str = typer.Option(..., help="drift | schedule | data-change | manual."),
    reason: str | None = typer.Option(None, help="Why it was retrained."),
    previous: str | None = typer.Option(None, "--previous", help="Previous version, name@version."),
    new: str | None = typer.Option(None, "--new", help="New version, name@version."),
    run: str | None = typer.Option(None, help="Run node id, e.g. run:lineage:<id>."),
    within_plan: bool | None = typer.Option(None, "--within-plan/--outside-plan",
                                            help="Within the pre-agreed change plan?"),
    at: str | None = typer.Option(None, help="ISO time (default: now)."),
    alert: str | None = typer.Option(None, help="Id of the alert that triggered it."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --previous or --new version, --run, --alert or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record a retraining: trigger, reason, previous → new version.

    Every version after a group's first needs one (rule retraining-logged). --alert links the drift alert that triggered it. A --previous version of another model group than --new (or --new itself), or an --alert on another group, is refused: the audit never counts it (a model moved to another group on purpose: --allow-new).

    Example:
      lineage record retraining --trigger drift --previous churn@v1.0.0 \\
          --new churn@v1.1.0 --reason "PSI 0.31 on monthly_charges" \\
          --within-plan --alert churn-psi-2026-01-09
    """
    _emit(ctx, {"kind": "retraining", "id": record_id, "trigger": trigger, "reason": reason,
           "previous_model": previous, "new_model": new, "run": run,
           "within_change_plan": within_plan, "at": at or _now(), "alert": alert},
          prop, repo, write_file, as_json, allow_new=allow_new)


@record_app.command("alert")
def alert(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", "-m", help="Model version, name@version."),
    metric: str = typer.Option(..., help="e.g. psi, kl_divergence, ks_statistic."),
    value: float | None = typer.Option(None, help="Measured value."),
    threshold: float | None = typer.Option(None, help="Alert threshold."),
    at: str | None = typer.Option(None, help="ISO time (default: now)."),
    status: str = typer.Option("open", help="open | acknowledged | resolved."),
    description: str | None = typer.Option(None, help="What was seen."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --model version or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record a monitoring alert (drift, incident) on a model version.

    A deployed high-risk version needs recent monitoring evidence. An open alert needs a follow-up: --status acknowledged or resolved, or a retraining recorded with --alert.

    Example:
      lineage record alert --model churn@v1.0.0 --metric psi --value 0.31 \\
          --threshold 0.2
    """
    _emit(ctx, {"kind": "alert", "id": record_id, "model": model, "metric": metric, "value": value,
           "threshold": threshold, "at": at or _now(), "status": status,
           "description": description},
          prop, repo, write_file, as_json, allow_new=allow_new)


@record_app.command("document")
def document(
    ctx: typer.Context,
    doc_kind: str = typer.Option(..., "--doc-kind", "--type", help="model_card | datasheet | "
                                 "bias_report | evaluation | transparency_notice | "
                                 "data_governance | other."),
    uri: str = typer.Option(..., help="The document's file (hashed; a relative path is "
                            "read from the current folder) or its URL."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model version, name@version."),
    group: str | None = typer.Option(None, "--model-group", "--group", "-g",
                                     help="Model group name."),
    title: str | None = typer.Option(None, help="Title."),
    content_hash: str | None = typer.Option(
        None, help="sha256:… (computed for repo files). Given, it names the file as it is or "
        "as a commit holds it (an earlier version)."),
    at: str | None = typer.Option(None, help="ISO time it was issued (default: none, it "
                                  "counts from when it is recorded)."),
    record_id: str | None = IdOpt, prop: list[str] | None = PropOpt,
    write_file: bool = WriteFileOpt, allow_new: bool = _allow_new(
        "a --model version, --group or --prop supersedes id"),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record a model card, datasheet, bias report or other document, pinned by content hash.

    A file of the repository is hashed now: the record pins this content, whatever the file becomes (a later version is a new record, with --prop supersedes=ID). A path naming no file is refused; a document kept elsewhere is recorded by its URL, unpinned.

    Example:
      lineage record document --type model_card --uri docs/model_card.md \\
          --model churn@v1.1.0
    """
    from functools import partial

    from connectors.harvesters.records import commit_holding
    from lineage.api import find_repo_root
    from lineage.errors import InputError
    from lineage.hashing import repo_path as pin_path
    from lineage.records import is_url, missing_document

    held_by: HeldBy | None = None
    if not is_url(uri) and uri.strip():
        with handle_errors():
            # read as --input and --model are: from the current folder, recorded
            # relative to the repository (outside it: by its absolute path)
            root = find_repo_root(repo_path(repo))
            uri, inside = pin_path(root, uri)
            # a --content-hash is the file as it is, or a version of it a commit holds
            # (the audit's correction of a record made before the file changed)
            held_by = partial(commit_holding, root) if inside else None
            if not (root / uri if inside else Path(uri)).exists() and not (
                    content_hash and held_by is not None and held_by(uri, content_hash)):
                # a did-you-mean as the user types it, from here (emit would name it from
                # the repository's root)
                cwd = Path.cwd()
                here = cwd if root == cwd or root in cwd.parents else root
                message, hint = missing_document(
                    uri, root, where=" in the repository" if inside else "",
                    shown_from=here)
                raise InputError(message, file="command line", field="--uri", hint=hint)
    _emit(ctx, {"kind": "document", "id": record_id, "doc_kind": doc_kind, "uri": uri,
           "content_hash": content_hash, "model": model, "model_group": group, "title": title,
           "at": at},
          prop, repo, write_file, as_json, allow_new=allow_new, held_by=held_by)


@record_app.command("run")
def run(
    ctx: typer.Context,
    name: str | None = typer.Option(None, help="Run name, e.g. train."),
    run_id: str | None = typer.Option(None, "--run-id", help="Run id (default: a new uuid)."),
    experiment: str | None = typer.Option(None, help="Experiment name."),
    commit: str | None = typer.Option(None, help="Code commit, a full sha or a unique prefix "
                                      "(default: the checked-out HEAD; $GITHUB_SHA / "
                                      "$CI_COMMIT_SHA when there is no git checkout)."),
    dirty: bool | None = typer.Option(None, "--dirty/--clean",
                                      help="Was the work tree dirty? (default: checked "
                                           "with git status when the run's commit is HEAD)"),
    status: str = typer.Option("FINISHED", help="FINISHED | FAILED | KILLED | RUNNING | "
                               "SCHEDULED (any case). A run recorded RUNNING or SCHEDULED is "
                               "ended later by recording it again with its --run-id."),
    start: str | None = typer.Option(None, help="ISO start time (default for RUNNING: now)."),
    end: str | None = typer.Option(None, help="ISO end time (default once it ended: now)."),
    inputs: list[str] | None = typer.Option(
        None, "--input", "-i", metavar="PATH",
        help="Input path (repeatable); pinned by its content hash."),
    params: list[str] | None = typer.Option(
        None, "--param", "-p", metavar="KEY=VALUE", help="A parameter, e.g. lr=0.01 (repeatable)."),
    metrics: list[str] | None = typer.Option(
        None, "--metric", metavar="KEY=NUMBER", help="A metric, e.g. auc=0.91 (repeatable)."),
    models: list[str] | None = typer.Option(
        None, "--model", metavar="NAME[@VERSION]=PATH",
        help="A model the run wrote (repeatable); hashed."),
    prop: list[str] | None = PropOpt, write_file: bool = WriteFileOpt,
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Record a training run: commit, inputs with content hashes, params, metrics, models.

    Run it right after training, in the same checkout: inputs and models are hashed as DVC hashes them, and the commit is the checked-out HEAD. A run recorded --status RUNNING when it starts is ended by recording it again with its --run-id and --status FINISHED (FAILED, KILLED): its end time, metrics, new params and models complete it; its commit stays the one it started at. The same command run again (a retried step) is the same record and writes nothing: it keeps the end and dirty flag the run was recorded with.

    Examples:
      lineage record run --name train --input data/prepared \\
          --param learning_rate=0.5 --metric accuracy=0.85 \\
          --model churn@v1.1.0=models/churn.json
      GITHUB_SHA=$(git rev-parse HEAD) lineage record run --name nightly --json
    """
    import uuid

    from lineage.api import actor, find_repo_root
    from lineage.errors import ConfigError, InputError
    from lineage.hashing import compute, content_hash
    from lineage.hashing import repo_path as pin_path
    from lineage.records import ENDED, default_version, is_url, run_stage, scrub_credentials

    with handle_errors():
        root = find_repo_root(repo_path(repo))
        notes: list[str] = []
        # a run recorded when it started (RUNNING), ended now: what it is was recorded then;
        # a run that ended already, recorded again (a CI step retried): what it was recorded as
        stored = _stored_run(root, run_id)
        started = stored if stored is not None and run_stage(stored.get("status")) < ENDED \
            else None
        ended = stored if stored is not None and started is None else None
        if stored is not None and commit is None and stored.get("commit"):
            sha: str | None = str(stored["commit"])
        else:
            sha = _run_commit(root, commit, notes)
        # (a run ended now had its work tree checked when it started, and one that ended
        # already when it was recorded: the training has rewritten its files since)
        if stored is None and dirty is None and sha is not None and sha == _head(root):
            # as track_run: tracked files changed since HEAD, other than what DVC writes
            from connectors.tracking import git_state

            dirty = git_state(root).dirty
        ins: list[dict[str, Any]] = []
        for p in inputs or []:
            if is_url(p):  # a remote dataset: its URL (credentials removed when validated)
                notes.append(f"input {scrub_credentials(p)} is a URL: recorded without a "
                             "content pin (lineage does not fetch it)")
                ins.append({"path": p})
                continue
            rel, inside = pin_path(root, p)
            if any(i["path"] == rel for i in ins):  # given twice: one input
                continue
            if not inside:
                notes.append(f"input {rel} is outside the repository {root}: recorded by its "
                             "absolute path and content hash, it cannot be joined to DVC data")
            h = content_hash(root, rel)
            if h is None:
                notes.append(f"input {rel} is not in the work tree nor tracked by DVC: "
                             "recorded without a content pin")
            ins.append({"path": rel, "hash": h.hash if h else None,
                        "size": h.size if h else None, "nfiles": h.nfiles if h else None})
        outs = []
        # only a run that finished produced its models: a failed or killed one claims none
        # (the version would hold its bytes, and the retry's would be refused), one that has
        # not ended claims none yet (it may fail); neither needs the file, which a failed
        # training may never have written (the job's failure step runs the same command)
        word = status.strip().upper()
        claims = word not in ("FAILED", "KILLED") and run_stage(status) == ENDED
        left_out: list[str] = []
        for spec in models or []:
            ref, sep, path = spec.partition("=")
            if not sep or not ref or not path:
                raise ConfigError(f"--model {spec!r} is not NAME[@VERSION]=PATH",
                                  hint="e.g. --model churn@v1.1.0=models/model.pkl")
            if is_url(path):
                raise ConfigError(f"--model {ref}={scrub_credentials(path)}: a model is a file "
                                  "the run wrote, not a URL",
                                  hint="give the path the run saved the model to, e.g. "
                                       "--model churn@v1.1.0=models/model.pkl")
            rel = pin_path(root, path)[0]
            if not claims:
                left_out.append(rel)
                continue
            if not (root / rel).exists():
                raise InputError(f"model file {rel} does not exist", field="model",
                                 hint="write the model before recording the run")
            h = compute(root / rel)
            mname, _, version = ref.partition("@")
            outs.append({"name": mname, "version": version or default_version(h.hash),
                         "path": rel, "hash": h.hash})
        if left_out and word in ("FAILED", "KILLED"):
            notes.append(f"a {word} run claims no model: {', '.join(left_out)} left out "
                         "(record the model with the run that finishes)")
        elif left_out:
            notes.append(f"a {word} run claims no model yet: {', '.join(left_out)} left out "
                         "(record them when the run ends, with --status FINISHED)")
        metric_values = _pairs(metrics, "--metric", parse=True)
        param_values = _pairs(params, "--param", parse=True)
    running = run_stage(status) < ENDED
    if end is None and ended is not None and ended.get("end_time") \
            and str(ended.get("status") or "").upper() == status.strip().upper():
        # the same end recorded again (a retried step): the end it was recorded with, not now
        end = str(ended["end_time"])
    _emit(ctx, {"kind": "run", "id": run_id or uuid.uuid4().hex, "name": name,
           "experiment": experiment, "commit": sha, "dirty": dirty, "status": status,
           "user": None if stored is not None and stored.get("user") else actor(),
           "start_time": start or (_now() if running and stored is None else None),
           "end_time": end or (None if running else _now()),
           "params": param_values, "metrics": metric_values,
           "inputs": ins, "models": outs,
           "repository": _repository_key(root) if ins or outs else None},
          prop, repo, write_file, as_json, notes)


_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _repository_key(root: Path) -> str | None:
    """The repository key data ids embed when neither the store (the git harvester's node)
    nor a remote names the repository: its root commit, as the git harvester and track_run
    name it (else the record's data would land on ``data:local:…``, joining no DVC data)."""
    from lineage import api
    from lineage.errors import LineageError
    from lineage.ids import repo_key
    from lineage.records import repository_of

    try:
        with api.open_store(root) as store:
            if repository_of(root, store) is not None:
                return None  # emit names it so
    except LineageError:  # no store: emit says so
        return None
    from connectors.tracking import git_state

    try:
        repository = git_state(root).repository
    except LineageError:
        return None
    return repo_key(repository) if repository else None


def _stored_run(root: Path, run_id: str | None) -> dict[str, Any] | None:
    """The stored attributes of the run ``--run-id`` names (recorded by lineage), else None.

    A run that has not ended (recorded RUNNING or SCHEDULED) is ended with what it started
    with; one that ended is being recorded again — a CI step retried after a timeout or a
    lost runner —, which is the same record only when it is judged as it was: its commit,
    and its dirty flag as checked then (the training has rewritten tracked files since)."""
    from lineage import api
    from lineage.errors import LineageError
    from lineage.records import RUN_SOURCE

    if not run_id:
        return None
    try:
        with api.open_store(root, read_only=True) as store:
            node = store.get_node(f"run:{RUN_SOURCE}:{run_id}")
    except LineageError:  # no store: emit says so
        return None
    return dict(node.attrs) if node is not None else None


def _head(root: Path) -> str | None:
    from lineage.records import git_head

    return git_head(root)


def _run_commit(root: Path, commit: str | None, notes: list[str]) -> str | None:
    """The commit a run is linked to: ``--commit`` (a short sha expanded), else the
    checked-out HEAD — what the inputs were hashed from —, else, with no git checkout, the
    CI variable ($GITHUB_SHA, …)."""
    from lineage.errors import ConfigError
    from lineage.hashing import COMMIT_ENV, ci_commit_note
    from lineage.records import git_head

    if commit:
        return _full_sha(root, commit.strip(), "--commit")
    head = git_head(root)
    if head:
        note = ci_commit_note(head)
        if note:
            notes.append(note)
        return head
    for var in COMMIT_ENV:
        value = os.environ.get(var, "").strip()
        if value:
            if not (_HEX.match(value) and len(value) in (40, 64)):
                raise ConfigError(f"${var} is {value!r}, not a full git commit sha",
                                  hint=f"unset {var} or pass --commit <sha>")
            return value.lower()
    return None


def _full_sha(root: Path, value: str, what: str) -> str:
    """A full sha for ``value``: itself when full, else the one commit it is a prefix of."""
    from lineage.errors import ConfigError

    hint = f"pass the full sha: {what} $(git rev-parse {value})"
    if not _HEX.match(value) or not 4 <= len(value) <= 64:
        raise ConfigError(f"{what} {value!r} is not a git commit sha (hex)",
                          hint="e.g. --commit $(git rev-parse HEAD)")
    value = value.lower()
    if len(value) in (40, 64):
        return value
    from lineage.gitfiles import git_dirs

    dirs = git_dirs(root)
    if dirs is None:
        raise ConfigError(f"{what} {value} is a short sha and {root} has no git checkout to "
                          "expand it", hint=hint)
    found = _commits_with_prefix(dirs[1] / "objects", value)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(f"{what} {value} names no commit of this repository", hint=hint)
    raise ConfigError(f"{what} {value} is ambiguous: {', '.join(sorted(found)[:4])}",
                      hint="give more digits of the sha")


def _commits_with_prefix(objects: Path, prefix: str) -> list[str]:
    """Commits whose sha starts with ``prefix``, read from loose objects and pack indexes
    (no git process: the CLI runs none)."""
    import struct
    import zlib

    found: set[str] = set()
    loose = objects / prefix[:2]
    if loose.is_dir():
        for f in loose.iterdir():
            if f.name.startswith(prefix[2:]):
                try:
                    head = zlib.decompressobj().decompress(f.read_bytes()[:512], 16)
                except (OSError, zlib.error):
                    continue
                if head.startswith(b"commit "):
                    found.add(prefix[:2] + f.name)
    for idx in (objects / "pack").glob("*.idx") if (objects / "pack").is_dir() else []:
        try:
            data = idx.read_bytes()
            if data[:8] != b"\377tOc\x00\x00\x00\x02":
                continue
            first = int(prefix[:2], 16)
            lo = struct.unpack(">I", data[8 + 4 * (first - 1):12 + 4 * (first - 1)])[0] \
                if first else 0
            hi, n = struct.unpack(">I", data[8 + 4 * first:12 + 4 * first])[0], \
                struct.unpack(">I", data[8 + 4 * 255:12 + 4 * 255])[0]
            shas = 8 + 1024
            offsets = shas + 24 * n
            with idx.with_suffix(".pack").open("rb") as pack:
                for i in range(lo, hi):
                    sha = data[shas + 20 * i:shas + 20 * i + 20].hex()
                    if not sha.startswith(prefix):
                        continue
                    off = struct.unpack(">I", data[offsets + 4 * i:offsets + 4 * i + 4])[0]
                    if off & 0x80000000:
                        big = offsets + 4 * n + 8 * (off & 0x7FFFFFFF)
                        off = struct.unpack(">Q", data[big:big + 8])[0]
                    pack.seek(off)
                    if (pack.read(1)[0] >> 4) & 7 == 1:  # object type 1: commit
                        found.add(sha)
        except (OSError, IndexError, struct.error, ValueError):
            continue
    return sorted(found)


def _no_missing_targets(targets: list[Path], root: Path, governance_dir: str, *,
                        given: bool) -> None:
    """A file or folder to validate that does not exist is a usage error naming it, with
    the record file or folder of the governance folder it likely meant (``governance/
    aprovals.yaml`` → ``governance/approvals.yaml``, or the folder ``governance/approval``
    that ``--write-file`` fills); without paths, the governance folder is what is missing."""
    import os

    from lineage.errors import ConfigError
    from lineage.records import record_files
    from lineage.spelling import closest

    missing = [p for p in targets if not p.exists()]
    if not missing:
        return
    folder = root / governance_dir
    if not given:
        raise ConfigError(f"no governance folder: {folder} does not exist",
                          hint=f"create {governance_dir}/ with record files (docs/records.md), "
                               "or pass record files or folders")
    hints = []
    for p in missing:
        places = {folder, p.parent} if p.parent.is_dir() else {folder}
        found = {f for d in places if d.is_dir() for f in record_files(d)}
        found |= {d for f in found for d in f.parents if folder in (d, *d.parents)}

        def spelt(f: Path, p: Path = p) -> str:  # as the missing one was typed
            return str(f) if p.is_absolute() else os.path.relpath(f)

        near = closest(str(p), {spelt(f) for f in found})
        if near is not None:
            near += "/" if Path(near).is_dir() else ""
            hints.append(near if len(missing) == 1 else f"{near} for {p}")
    raise ConfigError("no such file or folder: " + ", ".join(str(p) for p in missing),
                      hint=f"did you mean {', '.join(hints)}?" if hints else
                      f"pass record files or folders, e.g. {governance_dir}/")


def _store_if_any(root: Path, cfg: Any) -> Any:
    """The repository's store, to read the names it knows, or None when it has none (a pull
    request's CI job): the files are checked all the same."""
    from lineage import api
    from lineage.errors import StoreNotInitialized

    try:
        return api.open_store(root, cfg, read_only=True)
    except StoreNotInitialized:
        return None


@record_app.command("validate")
def validate(
    paths: list[Path] | None = typer.Argument(None, help="Record files or folders (default: "
                                              "the governance folder)."),
    allow_new: bool = typer.Option(False, "--allow-new", help="Accept a name or id one typo "
                                   "away from a known one (a warning, not an error)."),
    repo: Path | None = RepoOpt, as_json: bool = JsonOpt,
) -> None:
    """Check governance record files, reporting every problem of every bad file (for PR CI).

    A name or id one typo away from a known one (of the files, or of the repository's store when it has one) is an error; a run or record id the store does not hold is a warning. In a git repository a record changed in place since a commit recorded it is an error, as the harvest refuses it. Outside a git repository the files alone are checked (documents' files are not read).

    Exit code 0 when every file is valid, 1 when some are not, 2 on a usage error.

    Examples:
      lineage record validate
      lineage record validate governance/approvals.yaml --json
    """
    from lineage.api import find_repo_root
    from lineage.config import load_config
    from lineage.errors import NotARepositoryError
    from lineage.records import check_files, not_records

    with handle_errors():
        base = repo_path(repo)
        try:
            root, in_repo = find_repo_root(base), True
        except NotARepositoryError:
            if not base.exists():
                raise
            # the files alone: paths named from here, documents' files not read
            root, in_repo = base.resolve(), False
        cfg = load_config(root)
        targets = list(paths or [root / cfg.governance_dir])
        _no_missing_targets(targets, root, cfg.governance_dir, given=bool(paths))
        # the audit policy (and lineage.yaml) may be in the folder: the harvest skips them too
        store = _store_if_any(root, cfg) if in_repo else None
        held_by = None
        if in_repo:
            from functools import partial

            from connectors.harvesters.records import commit_holding

            held_by = partial(commit_holding, root)
        try:
            res = check_files(targets, root, cfg.model_aliases, not_records(root, cfg.policy),
                              documents=in_repo, store=store, allow_new=allow_new,
                              allow="--allow-new", held_by=held_by)
        finally:
            if store is not None:
                store.close()
        if in_repo:  # records edited in place since a commit recorded them, as the harvest
            from connectors.harvesters.records import edited_in_place

            res.errors += edited_in_place(root, res.records, cfg.model_aliases,
                                          cfg.governance_dir)
    if as_json:
        print_json({"ok": res.ok, "files": res.files, "records": len(res.records),
                    "errors": [{"file": e.file, "line": e.line, "field": e.field,
                                "message": str(e), "hint": e.hint} for e in res.errors],
                    "warnings": res.warnings, "notes": res.notes})
    else:
        from rich.markup import escape

        # as handle_errors prints: markup for the prefix, the message (paths, values) as text
        for e in res.errors:
            err_console.print(f"[bold red]error:[/] {escape(e.message)}", soft_wrap=True)
            if e.hint:
                err_console.print(f"[yellow]hint:[/] {escape(e.hint)}", soft_wrap=True)
        for w in res.warnings:
            err_console.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
        for n in res.notes:
            err_console.print(f"note: {escape(n)}", soft_wrap=True)
        status = "[green]OK[/]" if res.ok else f"[red]{len(res.errors)} error(s)[/]"
        console.print(f"{status}: {len(res.records)} record(s) in {res.files} file(s)")
    if not res.ok:
        raise typer.Exit(1)
