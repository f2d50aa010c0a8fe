"""Plugin contracts and the one registry of harvesters, sinks and graph sources.

Writing a harvester
-------------------
A harvester is a class with a ``name`` and ``harvest(ctx) -> Iterable[Node | Edge | …]``. It
*yields* facts (a stream; it never builds the graph): nodes and edges; the withdrawal of an
edge (:class:`lineage.store.Withdrawal`) or a node (:class:`lineage.store.NodeWithdrawal`) its
source no longer states, in stream order; or rows already serialized and hashed
(:class:`lineage.store.FactRows`, e.g. built in worker processes). It reads its previous
watermark with ``ctx.watermark(scope)`` and sets the new one with ``ctx.set_watermark(scope, value)`` (both
are written in the same transaction as the facts), reports per-item problems with
``ctx.report.warn(...)`` instead of raising, and raises :class:`lineage.errors.LineageError`
only when it cannot go on at all. ``enabled(ctx)`` says whether it has anything to read here
(``lineage harvest`` skips it quietly otherwise).

Writing a sink
--------------
A sink has a ``name``, a pure ``render(graph)`` (graph → payloads, no I/O, golden-testable)
and ``push(graph, ctx) -> PushResult`` doing the I/O, incrementally: it keeps what it has
written in ``ctx.store`` state (``state_get_all``/``state_put_many`` under its namespace).
Its ``-o KEY=VALUE`` options are in ``ctx.options``; a true-or-false one is read with
:func:`option_flag`, so every sink takes the same words and refuses the same way.

Plugins are looked up by name here (built-ins) or through the entry point groups
``lineage.harvesters`` / ``lineage.sinks`` / ``lineage.sources``; heavy dependencies load only
when a plugin is used, so ``lineage --help`` stays instant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from lineage.errors import ConfigError
from lineage.report import RunReport

if TYPE_CHECKING:
    from lineage.config import Config
    from lineage.graph import LineageGraph
    from lineage.model import Edge, Node
    from lineage.store import FactRows, NodeWithdrawal, Store, Withdrawal

# name → "module:attribute"; order is the harvest order (upstream facts first)
HARVESTERS: dict[str, str] = {
    "git": "connectors.harvesters.git:GitHarvester",
    "dvc": "connectors.harvesters.dvc:DvcHarvester",
    "gto": "connectors.harvesters.gto:GtoHarvester",
    "dvc-exp": "connectors.harvesters.dvc_exp:DvcExpHarvester",
    "mlflow": "connectors.harvesters.mlflow:MlflowHarvester",
    "openlineage": "connectors.harvesters.openlineage:OpenLineageHarvester",
    "records": "connectors.harvesters.records:RecordsHarvester",
    "joins": "connectors.harvesters.joins:JoinsHarvester",  # last: joins what the others wrote
}

SINKS: dict[str, str] = {
    "datahub-lite": "connectors.sinks.datahub.sink:DataHubLiteSink",
    "datahub-file": "connectors.sinks.datahub.sink:DataHubFileSink",
    "datahub-rest": "connectors.sinks.datahub.remote:DataHubRestSink",
    "datahub-kafka": "connectors.sinks.datahub.remote:DataHubKafkaSink",
    "atlas": "connectors.sinks.atlas.sink:AtlasSink",
}

# graph sources for `lineage audit --source`: callables (**options) -> LineageGraph
SOURCES: dict[str, str] = {
    "datahub-lite": "connectors.sinks.datahub.reader:read_lite",
    "datahub-rest": "connectors.sinks.datahub.reader:read_rest",
}

# the demo repository builder used by `lineage quickstart`
DEMO = "connectors.demo.build:build_demo"

# (repo root, store | None) -> the repository node id the git harvester gives the checkout now,
# for records made before the first harvest or after the identity moved (runs git)
REPOSITORY_IDENTITY = "connectors.harvesters.gitscan:repository_identity"

EXTRA_FOR = {
    "datahub": "datahub", "atlas": "atlas", "apache_atlas": "atlas", "mlflow": "mlflow",
    "dvc": "dvc", "confluent_kafka": "kafka",
}


@dataclass
class HarvestContext:
    """What a harvester sees: the repository, configuration, store (read) and the report."""

    repo_path: Path
    config: Config
    store: Store
    report: RunReport
    progress: Callable[[str, int, int | None], None] = lambda what, done, total: None
    _watermarks: dict[tuple[str, str], str] = field(default_factory=dict)
    harvester: str = ""
    # one dict shared by all harvesters of one harvest run (e.g. a git log pass that the git,
    # dvc and gto harvesters all read, so the history is scanned once), keyed by what names
    # the work: a string, or a tuple of its parameters
    shared: dict[Any, Any] = field(default_factory=dict)

    def watermark(self, scope: str = "") -> str | None:
        return self.store.get_watermark(self.harvester, scope)

    def set_watermark(self, scope: str, value: str) -> None:
        self._watermarks[(self.harvester, scope)] = value


class Harvester(Protocol):
    name: ClassVar[str]

    def enabled(self, ctx: HarvestContext) -> bool: ...

    def harvest(self, ctx: HarvestContext
                ) -> Iterable[Node | Edge | Withdrawal | NodeWithdrawal | FactRows]: ...


@dataclass
class PushResult:
    target: str
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "written": self.written, "unchanged": self.unchanged,
                "failed": self.failed, "errors": self.errors, **self.details}


@dataclass
class PushContext:
    store: Store
    config: Config
    repo_path: Path
    options: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str, int, int | None], None] = lambda what, done, total: None


TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


def option_flag(options: Mapping[str, Any], key: str, hint: str | None = None) -> bool:
    """A true-or-false sink option, ``-o KEY=VALUE``: ``true``, ``yes``, ``on``, ``1`` or
    ``false``, ``no``, ``off``, ``0``, any case (a string Python would take as true, such as
    ``"false"``, is not); missing or empty is false, a bool (``--full``) is itself. Anything
    else is a :class:`ConfigError` naming the option, the value given and the words accepted,
    with ``hint`` (default: ``e.g. -o KEY=true``)."""
    raw = options.get(key)
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in (*FALSE_WORDS, ""):
        return False
    raise ConfigError(f"option {key}={raw!r} must be true or false: one of "
                      f"{', '.join((*TRUE_WORDS, *FALSE_WORDS))}",
                      hint=hint or f"e.g. -o {key}=true")


class Sink(Protocol):
    name: ClassVar[str]

    def render(self, graph: LineageGraph) -> list[Any]: ...

    def push(self, graph: LineageGraph, ctx: PushContext) -> PushResult: ...


def _load(registry: dict[str, str], group: str, name: str, what: str) -> Any:
    # names are lower case: ``--only git,DVC`` means dvc
    target = registry.get(name) or registry.get(name.lower())
    if target is None:
        for ep in entry_points(group=group):
            if ep.name == name:
                return ep.load()
        known = sorted(set(registry) | {ep.name for ep in entry_points(group=group)})
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        raise ConfigError(f"unknown {what} {name!r}", hint=hint)
    module, attr = target.split(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        extra = EXTRA_FOR.get(missing)
        if extra:
            raise ConfigError(
                f"{what} {name!r} is disabled: the {missing!r} package is not installed",
                hint=f"pip install 'lineage[{extra}]'",
            ) from exc
        raise


def load_harvester(name: str) -> type[Harvester]:
    return _load(HARVESTERS, "lineage.harvesters", name, "harvester")  # type: ignore[no-any-return]


def load_sink(name: str) -> type[Sink]:
    return _load(SINKS, "lineage.sinks", name, "push target")  # type: ignore[no-any-return]


def load_source(name: str) -> Callable[..., LineageGraph]:
    return _load(SOURCES, "lineage.sources", name, "graph source")  # type: ignore[no-any-return]


def load_demo() -> Callable[..., Any]:
    return _load({"demo": DEMO}, "lineage.demos", "demo", "demo")  # type: ignore[no-any-return]


def load_repository_identity() -> Callable[..., str | None]:
    found = _load({"git": REPOSITORY_IDENTITY}, "lineage.repository_identity", "git",
                  "repository identity")
    return found  # type: ignore[no-any-return]


def harvester_names() -> list[str]:
    names = list(HARVESTERS)
    names += [ep.name for ep in entry_points(group="lineage.harvesters") if ep.name not in names]
    return names
