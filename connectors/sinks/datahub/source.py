"""A DataHub ingestion source: ``datahub ingest`` runs the harvest + render of a repository.

For teams that drive DataHub with recipes: the lineage of a git/DVC repository becomes one
more source, sent by whatever DataHub sink the recipe names (``datahub-rest``,
``datahub-kafka``, ``file``, ``datahub-lite``)::

    source:
      type: lineage                 # entry point `datahub.ingestion.source.plugins`
      config:
        repo_path: /src/churn       # a git work tree
        harvest: true               # run `lineage harvest` first (else read the store as is)
        platform: dvc               # DataHub platform of datasets, flows and models
        env: PROD
    sink:
      type: datahub-rest
      config: {server: "http://localhost:8080", token: "${DATAHUB_GMS_TOKEN}"}

Every MCP is validated offline before it is yielded (the same checks as ``lineage push``); an
invalid one fails the run naming the node. Without the ``lineage`` package installed (e.g.
from a source checkout) use the class path as the type:
``type: connectors.sinks.datahub.source.LineageSource``.

``lineage push`` remembers what it sent and sends only changes; a recipe run sends the whole
rendered graph every time (DataHub upserts it), so prefer ``lineage push`` for frequent runs.

An entity the mapping gives a new urn (an MLflow-registered model, once on the ``dvc``
platform, now the entity DataHub's MLflow source makes) leaves its former urn behind. When the
run can read the DataHub it writes to (``ctx.graph``: a ``datahub-rest`` sink, or
``datahub_api`` in the recipe) the source soft-deletes each former urn DataHub holds live
(``status`` with ``removed: true``, after the rest), as ``lineage push`` does, and lists them
in its report (``moved_entities``, ``moved_urns``). When it cannot (a ``file``,
``datahub-kafka`` or ``datahub-lite`` sink without ``datahub_api``) it sends nothing for them
— a soft delete of an urn DataHub never held would create it — and warns how many former urns
it could not check (``former_urns_unchecked``).

``repo_path`` is relative to where ``datahub ingest`` runs; ``store_path`` to the repository,
as ``store:`` in lineage.yaml is.

A recipe the source cannot run with (an unknown key, a value of the wrong type, a
``repo_path`` outside git, a ``store_path`` that holds no lineage store — with ``harvest:
true``, one that is neither where ``lineage init`` would start the store nor an empty folder,
as a mistyped path is) fails when DataHub configures the source, before anything is harvested
or sent, with
:class:`LineageSourceConfigError`: one line per bad setting naming it, its value and the fix,
which ``datahub ingest`` prints without a traceback (exit 1).
"""

from __future__ import annotations

import difflib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datahub.configuration.common import ConfigModel, ConfigurationError
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.decorators import (
    SupportStatus,
    config_class,
    platform_name,
    support_status,
)
from datahub.ingestion.api.source import MetadataWorkUnitProcessor, Source, SourceReport
from datahub.ingestion.api.workunit import MetadataWorkUnit
from datahub.ingestion.run.pipeline import PipelineInitError
from pydantic import Field, ValidationError, field_validator

from lineage.runtime import env_set
from lineage.store import DB_NAME as _DB


class LineageSourceConfig(ConfigModel):
    repo_path: str = Field(".", description="Path of the git work tree to read.")
    store_path: str | None = Field(
        None, description="Lineage store folder, relative to the repository as `store` in "
        "lineage.yaml is (default: `store` in lineage.yaml, else .lineage/). With harvest: "
        "true a folder holding no store is started only where `lineage init` would start it "
        "or when it is empty; any other fails the recipe (a mistyped path would start a new, "
        "empty store).")
    harvest: bool = Field(
        True, description="Harvest the repository (git, DVC, GTO, runs, records) before "
        "rendering; false reads the store as the last `lineage harvest` left it.")
    harvesters: list[str] | None = Field(
        None, description="Harvesters to run (default: every enabled one).")
    platform: str | None = Field(
        None, description="DataHub platform of datasets, flows and models (default: "
        "datahub.platform in lineage.yaml, else `dvc`).")
    env: str | None = Field(None, description="DataHub environment (default: PROD).")
    convert_urns_to_lowercase: bool | None = Field(
        None, description="Lower-case the names in dataset urns, as DataHub's sources with "
        "the same setting do (default: false).")

    @field_validator("repo_path", "store_path")
    @classmethod
    def _some_path(cls, v: str | None) -> str | None:
        # an empty path would be read as the current directory (e.g. `${STORE}` unset)
        if v is not None and not v.strip():
            raise ValueError("an empty path: leave the key out for its default, or name a "
                             "folder")
        return v

    # checked as lineage.yaml's datahub.platform / datahub.env are: a bad one fails the recipe
    # before anything is harvested or sent, saying what is allowed
    @field_validator("platform")
    @classmethod
    def _platform_name(cls, v: str | None) -> str | None:
        from lineage.config import datahub_platform

        return None if v is None else datahub_platform(v)

    @field_validator("env")
    @classmethod
    def _fabric_type(cls, v: str | None) -> str | None:
        from lineage.config import datahub_env

        return None if v is None else datahub_env(v)

    @field_validator("harvesters")
    @classmethod
    def _some_harvester(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:  # "none" or a half-written list, never "all of them"
            raise ValueError("an empty list names no harvester: remove it to run every "
                             "harvester, or name the ones to run")
        return v


@dataclass
class LineageSourceReport(SourceReport):
    harvested_facts: int = 0
    graph_nodes: int = 0
    graph_edges: int = 0
    mcps: int = 0
    harvest_warnings: int = 0
    # former urns soft-deleted (former → current urn): ones DataHub held live
    moved_entities: int = 0
    moved_urns: dict[str, str] = field(default_factory=dict)
    # former urns the run could not look up (no DataHub to read): left as DataHub holds them
    former_urns_unchecked: int = 0


def _store_dir(value: str, root: Path) -> Path:
    """The folder ``store_path: value`` names: relative to the repository at ``root``, as
    lineage.yaml's ``store:`` is (not to where ``datahub ingest`` runs)."""
    return (root / Path(value).expanduser()).resolve()


@contextmanager
def _store_env(store: Path | None) -> Iterator[None]:
    """``LINEAGE_STORE`` is how the core is told where the store is (env wins over file)."""
    if store is None:
        yield
        return
    with env_set("LINEAGE_STORE", str(store)):
        yield


class LineageSourceConfigError(ConfigurationError, PipelineInitError):
    """The recipe's ``source.config`` cannot be run, found when the source is configured.

    ``str()`` is the whole message: ``Failed to configure the source (<type>): `` then one
    line per bad setting (``source.config.<key>: what is wrong — what to do``). A value is
    shown only where this source checked it itself (paths, names), never one pydantic refused
    by its type: it could be a secret put under the wrong key.

    Raised from :meth:`LineageSource.create`. It is a ``PipelineInitError`` so that
    DataHub's pipeline passes it on as it is (it wraps any other exception in its own), and
    ``SHOW_STACK_TRACE = False`` makes ``datahub ingest`` print it alone, in red, with no
    traceback (exit 1), as it prints pydantic's errors of its own sources.
    """

    SHOW_STACK_TRACE = False

    def __init__(self, source_type: str, problems: list[str]) -> None:
        self.problems = problems
        head = f"Failed to configure the source ({source_type}): "
        if len(problems) == 1:
            text = head + problems[0]
        else:
            text = head + f"{len(problems)} settings are wrong\n" + "\n".join(
                f"  {p}" for p in problems)
        super().__init__(text)


_TYPE_WANTED = {
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list of names",
    "dict_type": "expected a mapping of settings",
    "model_type": "expected a mapping of settings",
    "model_attributes_type": "expected a mapping of settings",
}


def _explain(err: Any) -> str:
    """One line for one pydantic error of :class:`LineageSourceConfig` (never its input)."""
    loc = ".".join(str(part) for part in err["loc"])
    where = f"source.config.{loc}" if loc else "source.config"
    if err["type"] == "extra_forbidden":
        keys = list(LineageSourceConfig.model_fields)
        if loc == "stateful_ingestion":
            hint = ("this source keeps no state between runs (`lineage push` sends only what "
                    "changed): remove the key")
        else:
            close = difflib.get_close_matches(loc, keys, n=1)
            known = ", ".join(keys)
            hint = f"did you mean {close[0]}? (keys: {known})" if close else f"keys: {known}"
        return f"source.config: unknown key {loc!r} — {hint}"
    msg = _TYPE_WANTED.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}"


def _shown(value: str, path: Path) -> str:
    """``value`` as the recipe wrote it, and the absolute path it names when that differs."""
    return repr(value) if str(path) == value else f"{value!r} ({path})"


def _not_a_store(db: Path) -> str | None:
    """Why the file ``db`` is no lineage store, or None when it is one (or it cannot be told
    here: a busy store is for the run itself to open). OSError: it cannot be read."""
    if db.is_dir():
        return "a folder"
    with db.open("rb") as fh:
        head = fh.read(16)
    if not head:
        return "an empty file"
    if head != b"SQLite format 3\x00":
        return "not an SQLite database"
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' "
                                 "AND name='meta'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if found else "an SQLite database without lineage's tables"


def _close_store(p: Path, own: Path) -> Path | None:
    """A store whose folder is named like ``p`` (``.lineag`` → ``.lineage``): a folder beside
    ``p`` holding a lineage.db, or the repository's own store ``own``."""
    try:
        found = [d for d in p.parent.iterdir() if d != p and (d / _DB).is_file()] \
            if p.parent.is_dir() else []
        if own != p and (own / _DB).is_file():
            found.append(own)
    except OSError:
        return None
    close = difflib.get_close_matches(p.name, [d.name for d in found], n=1, cutoff=0.7)
    return next((d for d in found if close and d.name == close[0]), None)


def _no_store_fix(p: Path, root: Path, own: Path, *, harvest: bool, exists: bool) -> str:
    """What to do about ``store_path`` naming the folder ``p``, which holds no store: point it
    at the store meant, or start one there (only where a harvest would not start it itself)."""
    if p == own:  # where `lineage init` starts the store: harvest: false only
        return f"run `lineage init` and `lineage harvest` in {root}, or set harvest: true"
    close = _close_store(p, own)
    if close is not None:
        fix = f"did you mean {close}? Fix the path"
    elif (own / _DB).is_file():
        fix = f"fix the path (the repository's store is {own})"
    else:
        fix = f"fix the path (the folder holding {_DB})"
    init = f"in {root} with LINEAGE_STORE={p}"
    if harvest:
        start = f"run `lineage init` {init} first" + ("" if exists else
                                                      " (or create the empty folder)")
    else:
        start = f"run `lineage init` and `lineage harvest` {init}"
        if not exists:
            start += " (or create the empty folder and set harvest: true)"
    return f"{fix}, or, to start a store there, {start}"


def _store_problem(value: str, root: Path, harvest: bool, own: Path) -> str | None:
    """What is wrong with ``store_path: value`` (the store's folder, holding lineage.db),
    for a repository at ``root`` whose store ``lineage init`` starts in ``own``; None when
    the run can open it or, harvesting, start it.

    A harvest starts a store only in ``own`` or in an empty folder (made for it): anywhere
    else a mistyped path (``.lineag``) would get a new, empty store, harvested and sent to
    DataHub without the team's records, or a folder of the repository (``data``) a lineage.db
    and a ``.gitignore`` of ``*`` hiding its files from git."""
    p = _store_dir(value, root)
    at = f"source.config.store_path: {_shown(value, p)}"
    point = f"point store_path at the folder holding {_DB} (.lineage/ in the repository)"
    try:
        if not p.exists():
            fix = _no_store_fix(p, root, own, harvest=harvest, exists=False)
            if not harvest:
                return f"{at} does not exist — {fix}"
            if p != own:
                return (f"{at} holds no lineage store (it does not exist): a harvest would "
                        f"start a new, empty one there — {fix}")
            # the harvest creates it (as `lineage init` does), below its nearest folder
            up = next(a for a in p.parents if a.exists())
            if not up.is_dir():
                return f"{at} cannot be created: {up} is a file — {point}"
            if not os.access(up, os.W_OK | os.X_OK):
                return (f"{at} does not exist and cannot be created: {up} is not writable "
                        f"— make it writable, or {point}")
            return None
        if p.is_file():
            if _not_a_store(p) is None:
                return f"{at} is the store's file, not its folder — point store_path at {p.parent}"
            return f"{at} is a file, not a lineage store folder — {point}"
        if not p.is_dir():
            return f"{at} is not a folder — {point}"
        if not os.access(p, os.R_OK | os.X_OK):
            return (f"{at} cannot be read (permission denied) — let the user running "
                    f"`datahub ingest` read it, or {point}")
        db = p / _DB
        if not db.exists():
            nested = p / ".lineage" / _DB
            if nested.exists():
                return (f"{at} holds no {_DB}, its .lineage/ folder does — point store_path "
                        f"at {nested.parent}")
            if p == root or p in root.parents:
                return (f"{at} is the repository's folder or one above it — {point}, or leave "
                        "store_path out for the store lineage.yaml names")
            empty = next(p.iterdir(), None) is None
            if harvest and (p == own or empty):
                return None
            if harvest:
                return (f"{at} holds no lineage store (no {_DB} in it) but other files: a "
                        "harvest would start a new, empty store among them — "
                        f"{_no_store_fix(p, root, own, harvest=True, exists=True)}")
            if empty and p != own:
                return (f"{at} holds no lineage store (no {_DB} in it) — set harvest: true, "
                        f"or run `lineage init` and `lineage harvest` in {root} with "
                        f"LINEAGE_STORE={p}")
            return (f"{at} holds no lineage store (no {_DB} in it) — "
                    f"{_no_store_fix(p, root, own, harvest=False, exists=True)}")
        what = _not_a_store(db)
        if what is not None:
            return (f"{at} holds a {_DB} that is no lineage store ({what}) — point store_path "
                    f"at the folder of another one, or move {db} aside and start the store "
                    f"there: run `lineage init` and `lineage harvest` in {root} with "
                    f"LINEAGE_STORE={p}")
    except OSError as exc:
        return (f"{at} cannot be read ({_why(exc)}) — let the user running `datahub ingest` "
                f"read it, or {point}")
    return None


def _why(exc: OSError) -> str:
    return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)


def _configure_problems(config: LineageSourceConfig) -> list[str]:
    """Everything checked before the run: the repository, the store and the harvesters, so
    that a recipe that cannot work fails as a configuration error and not, after a harvest,
    as a failure in the ingestion report."""
    from lineage import api
    from lineage.config import DEFAULT_STORE, load_config
    from lineage.errors import LineageError
    from lineage.plugins import load_harvester

    repo = Path(config.repo_path).expanduser()
    try:
        root = api.find_repo_root(repo)
    except (LineageError, OSError) as exc:
        if isinstance(exc, OSError):
            what = f"cannot be read ({_why(exc)})"
        else:
            what = "is not inside a git repository" if repo.exists() else "does not exist"
        return [f"source.config.repo_path: {_shown(config.repo_path, repo.resolve())} {what} "
                "— point repo_path at the git work tree to read (git init to start one)"]
    store = None if config.store_path is None else _store_dir(config.store_path, root)
    if config.store_path is not None:
        try:  # where `lineage init` would start the store (lineage.yaml, LINEAGE_STORE)
            own = load_config(root).store_path(root).resolve()
        except LineageError:  # said below, read with store_path
            own = (root / DEFAULT_STORE).resolve()
        problem = _store_problem(config.store_path, root, config.harvest, own)
        if problem:
            return [problem]
    try:
        with _store_env(store):
            cfg = load_config(root)
    except LineageError as exc:  # lineage.yaml: the message names its file, line and field
        return [str(exc)]
    problems = []
    if config.store_path is None and not config.harvest:
        # the store lineage.yaml (or LINEAGE_STORE) names, read as it is
        db = cfg.store_path(root) / _DB
        try:
            not_store = "it does not exist" if not db.exists() else _not_a_store(db)
        except OSError as exc:
            return [f"source.config.harvest: false, but the store {db} cannot be read "
                    f"({_why(exc)}) — let the user running `datahub ingest` read it"]
        if not_store is not None:
            problems.append(
                f"source.config.harvest: false, but {root} has no lineage store to read ({db}: "
                f"{not_store}) — run `lineage init` and `lineage harvest` there, set harvest: true, "
                f"or set store_path to the folder holding a {_DB}")
    for name in (config.harvesters or []) if config.harvest else []:
        try:
            load_harvester(name)
        except LineageError as exc:
            problems.append(f"source.config.harvesters: {exc}")
    return problems


@platform_name("Lineage (git, DVC, MLflow, governance records)", id="lineage")
@config_class(LineageSourceConfig)
@support_status(SupportStatus.ALPHA)
class LineageSource(Source):
    """ML lineage and governance of a git/DVC repository, as DataHub entities."""

    def __init__(self, config: LineageSourceConfig, ctx: PipelineContext) -> None:
        super().__init__(ctx)
        self.config = config
        self.report = LineageSourceReport()
        # former urn → current urn of the entities the mapping renamed (set by ``_render``)
        self.moved: dict[str, str] = {}

    @classmethod
    def create(cls, config_dict: dict[str, Any], ctx: PipelineContext) -> LineageSource:
        """The source for ``config_dict`` (the recipe's ``source.config``); a recipe it
        cannot run with raises :class:`LineageSourceConfigError` (before anything is read)."""
        kind = getattr(getattr(ctx.pipeline_config, "source", None), "type", None) or "lineage"
        try:
            config = LineageSourceConfig.model_validate(config_dict)
        except ValidationError as exc:
            raise LineageSourceConfigError(kind, [_explain(e) for e in exc.errors()]) from exc
        problems = _configure_problems(config)
        if problems:
            raise LineageSourceConfigError(kind, problems)
        return cls(config, ctx)

    def get_workunit_processors(self) -> list[MetadataWorkUnitProcessor | None]:
        # The MCPs are complete and validated as rendered; DataHub's default processors
        # would add aspects (status, browse paths) our validation never saw.
        return []

    def get_workunits_internal(self) -> Iterable[MetadataWorkUnit]:
        from lineage.errors import LineageError

        try:
            mcps = self._render()
            retire = self._retire_moved(self.moved)
        except LineageError as exc:
            self.report.failure(message="lineage could not read the repository",
                                context=str(exc), title="lineage source failed")
            return
        if not self._define_properties_first(mcps):
            return
        for i, mcp in enumerate([*mcps, *retire]):
            wu = MetadataWorkUnit(id=f"lineage-{i}-{mcp.entityUrn}-{mcp.aspectName}", mcp=mcp)
            self.report.report_workunit(wu)
            yield wu

    def _retire_moved(self, moved: dict[str, str]) -> list[Any]:
        """The soft deletes (``status`` with ``removed: true``) of the ``moved`` former urns
        (former → current urn) that the DataHub this run writes to holds live, decided as
        ``lineage push`` decides (:func:`sink.held_live`), validated as every MCP is; counted
        in the report. Without a DataHub to read (``ctx.graph``) nothing is sent for them — a
        soft delete of an urn DataHub never held would create it, a ghost entity — and one
        warning says how many were not checked and how to have them retired."""
        from connectors.sinks.datahub.render import removed
        from connectors.sinks.datahub.sink import held_live
        from connectors.sinks.datahub.validate import check_mcps

        if not moved:
            return []
        graph = self.ctx.graph
        if graph is None:
            cfg = self.ctx.pipeline_config
            sink = getattr(getattr(cfg, "sink", None), "type", None)
            self.report.former_urns_unchecked = len(moved)
            self.report.warning(
                title="former urns not retired",
                message="Former urns of entities the mapping renamed (MLflow-registered "
                "models, now on the mlflow platform) were not checked: this run cannot read "
                "the DataHub it writes to, so it sends nothing for them and DataHub may still "
                "show them next to the new entities. Add `datahub_api: {server: <GMS URL>, "
                "token: ...}` to the recipe (a datahub-rest sink reads its own GMS) to have "
                "the run soft-delete the ones DataHub holds live, or run `lineage push` to "
                "that DataHub once",
                context=f"{len(moved)} former urn(s) not checked "
                f"({f'{sink} sink' if sink else 'this sink'}, no datahub_api): "
                + ", ".join(sorted(moved)))
            return []

        def held(urn: str, aspect: str) -> dict[str, Any] | None:
            from datahub.emitter.aspect import ASPECT_MAP

            got = graph.get_aspect(urn, ASPECT_MAP[aspect])
            obj = got.to_obj() if got is not None else None
            return obj if isinstance(obj, dict) else None

        live: list[str] = []
        for i, urn in enumerate(sorted(moved)):
            try:
                if held_live(urn, held):
                    live.append(urn)
            except Exception as exc:  # noqa: BLE001 - whatever DataHub answered is the warning
                self.report.former_urns_unchecked = len(moved) - i
                self.report.warning(
                    title="former urns not retired",
                    message="DataHub could not be read to check the former urns of entities "
                    "the mapping renamed (MLflow-registered models): the ones not checked are "
                    "left as DataHub holds them; run the recipe again, or `lineage push`, once "
                    "DataHub answers",
                    context=f"{len(moved) - i} former urn(s) not checked, at {urn}: {exc}",
                    exc=exc)
                break
        out = [removed(urn) for urn in live]
        check_mcps(out)
        self.report.moved_entities = len(out)
        self.report.moved_urns = {urn: moved[urn] for urn in live}
        return out

    def _define_properties_first(self, mcps: list[Any]) -> bool:
        """Into a GMS (a ``datahub-rest`` sink), write the structured property definitions
        before any workunit: GMS checks a value against the definitions it holds when the
        value arrives, and the sink batches (and, by default, sends batches in parallel), so
        a definition yielded just before a value may reach GMS with it or after it and the
        value would be refused. False (a failure reported) when GMS refused them."""
        graph = self.ctx.graph
        cfg = self.ctx.pipeline_config
        sink = getattr(getattr(cfg, "sink", None), "type", None)
        defs = [m for m in mcps if m.aspectName == "propertyDefinition"]
        if not defs or graph is None or self.ctx.dry_run_mode or sink != "datahub-rest":
            return True
        try:
            graph.emit_mcps(defs)
        except Exception as exc:  # noqa: BLE001 - whatever GMS answered is the failure
            self.report.failure(message="DataHub GMS refused the structured property "
                                "definitions", context=str(exc), title="lineage source failed")
            return False
        return True

    def _render(self) -> list[Any]:
        """The validated MCPs of the graph, as ``render()`` makes them; the former urns of
        the entities the mapping renamed go to ``self.moved`` (:func:`sink.moved_urns`)."""
        from connectors.sinks.datahub.render import build, plan
        from connectors.sinks.datahub.sink import moved_urns, record_times, store_audit
        from connectors.sinks.datahub.validate import check_mcps
        from lineage import api
        from lineage.config import load_config

        root = api.find_repo_root(Path(self.config.repo_path).expanduser())
        value = self.config.store_path
        with _store_env(None if value is None else _store_dir(value, root)):
            if self.config.harvest:
                api.init(root)
                result = api.harvest(root, only=self.config.harvesters)
                self.report.harvested_facts = sum(h.stats.total for h in result.harvesters)
                self.report.harvest_warnings = len(result.report.warnings)
                for w in result.report.warnings[:20]:
                    self.report.warning(message="harvest warning", context=str(w))
            cfg = load_config(root)
            store = api.open_store(root, cfg, read_only=not self.config.harvest)
            try:
                graph = store.load_graph()
                times = record_times(store)
                audit = store_audit(graph, store, root, cfg)
            finally:
                store.close()
        self.report.graph_nodes = len(graph)
        self.report.graph_edges = graph.number_of_edges
        platform = self.config.platform or cfg.datahub.platform or "dvc"
        env = self.config.env or cfg.datahub.env or "PROD"
        lower = self.config.convert_urns_to_lowercase
        if lower is None:
            lower = bool(getattr(cfg.datahub, "lowercase_urns", False))
        # (what render() returns, with the plans kept for their former urns)
        plans = plan(graph, platform=platform, env=env, lowercase_urns=lower,
                     record_times=times, audit=audit)
        mcps = [m for p in plans for m in build(p)]
        check_mcps(mcps)
        self.report.mcps = len(mcps)
        self.moved = moved_urns(plans)
        return mcps

    def get_report(self) -> LineageSourceReport:
        return self.report


__all__ = ["LineageSource", "LineageSourceConfig", "LineageSourceConfigError",
           "LineageSourceReport"]
