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
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datahub.configuration.common import ConfigModel
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.decorators import (
    SupportStatus,
    config_class,
    platform_name,
    support_status,
)
from datahub.ingestion.api.source import MetadataWorkUnitProcessor, Source, SourceReport
from datahub.ingestion.api.workunit import MetadataWorkUnit
from pydantic import Field, field_validator

from lineage.runtime import env_set


class LineageSourceConfig(ConfigModel):
    repo_path: str = Field(".", description="Path of the git work tree to read.")
    store_path: str | None = Field(
        None, description="Lineage store folder (default: `store` in lineage.yaml, else "
        ".lineage/ in the repository).")
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


@contextmanager
def _store_env(store_path: str | None) -> Iterator[None]:
    """``LINEAGE_STORE`` is how the core is told where the store is (env wins over file)."""
    if store_path is None:
        yield
        return
    with env_set("LINEAGE_STORE", str(Path(store_path).expanduser().resolve())):
        yield


@platform_name("Lineage (git, DVC, MLflow, governance records)", id="lineage")
@config_class(LineageSourceConfig)
@support_status(SupportStatus.ALPHA)
class LineageSource(Source):
    """ML lineage and governance of a git/DVC repository, as DataHub entities."""

    def __init__(self, config: LineageSourceConfig, ctx: PipelineContext) -> None:
        super().__init__(ctx)
        self.config = config
        self.report = LineageSourceReport()

    @classmethod
    def create(cls, config_dict: dict[str, Any], ctx: PipelineContext) -> LineageSource:
        return cls(LineageSourceConfig.model_validate(config_dict), ctx)

    def get_workunit_processors(self) -> list[MetadataWorkUnitProcessor | None]:
        # The MCPs are complete and validated as rendered; DataHub's default processors
        # would add aspects (status, browse paths) our validation never saw.
        return []

    def get_workunits_internal(self) -> Iterable[MetadataWorkUnit]:
        from lineage.errors import LineageError

        try:
            mcps = self._render()
        except LineageError as exc:
            self.report.failure(message="lineage could not read the repository",
                                context=str(exc), title="lineage source failed")
            return
        if not self._define_properties_first(mcps):
            return
        for i, mcp in enumerate(mcps):
            wu = MetadataWorkUnit(id=f"lineage-{i}-{mcp.entityUrn}-{mcp.aspectName}", mcp=mcp)
            self.report.report_workunit(wu)
            yield wu

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
        from connectors.sinks.datahub.render import render
        from connectors.sinks.datahub.sink import record_times, store_audit
        from connectors.sinks.datahub.validate import check_mcps
        from lineage import api
        from lineage.config import load_config

        with _store_env(self.config.store_path):
            root = api.find_repo_root(self.config.repo_path)
            if self.config.harvest:
                api.init(root)
                result = api.harvest(root, only=self.config.harvesters)
                self.report.harvested_facts = sum(h.stats.total for h in result.harvesters)
                self.report.harvest_warnings = len(result.report.warnings)
                for w in result.report.warnings[:20]:
                    self.report.warning(message="harvest warning", context=str(w))
            cfg = load_config(root)
            store = api.open_store(root, cfg)
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
        mcps = render(graph, platform=platform, env=env, lowercase_urns=lower,
                      record_times=times, audit=audit)
        check_mcps(mcps)
        self.report.mcps = len(mcps)
        return mcps

    def get_report(self) -> LineageSourceReport:
        return self.report


__all__ = ["LineageSource", "LineageSourceConfig", "LineageSourceReport"]
