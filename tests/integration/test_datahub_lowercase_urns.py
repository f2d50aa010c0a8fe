"""``-o lowercase_urns=true`` (``datahub.lowercase_urns``): dataset urns with lower-cased names,
as DataHub's sources write them with ``convert_urns_to_lowercase`` (its Snowflake source
lower-cases every table name), so our run edges join their tables. Off by default: names keep
their case, as DataHub's OpenLineage converter keeps them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from datahub.emitter.mce_builder import make_dataset_urn  # noqa: E402
from datahub.utilities.urns.urn_iter import lowercase_dataset_urn  # noqa: E402

from connectors.sinks.datahub.reader import graph_from_mcps  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()
TABLE = "data:snowflake://acme-eu:SALES.PUBLIC.Customers@unversioned"
RUN = "run:openlineage:0190a5b2-0000-7000-8000-000000000001"
DVC = "data:github.com/acme/churn:data/Train.CSV@md5:0f3c9a1e2b7d4c5f6a8b9c0d1e2f3a4b"


def _graph() -> LineageGraph:
    g = LineageGraph()
    g.add([Node.make(NodeKind.DATA, TABLE, path="SALES.PUBLIC.Customers",
                     namespace="snowflake://acme-eu"),
           Node.make(NodeKind.DATA, DVC, path="data/Train.CSV",
                     repository="repository:github.com/acme/churn",
                     hash="md5:0f3c9a1e2b7d4c5f6a8b9c0d1e2f3a4b", hash_kind="md5"),
           Node.make(NodeKind.RUN, RUN, source="openlineage", run_id=RUN.rsplit(":", 1)[1],
                     name="train", status="COMPLETE", start_time="2026-01-01T00:00:00Z"),
           Edge.make(EdgeKind.INPUT, TABLE, RUN, pin="none"),
           Edge.make(EdgeKind.INPUT, DVC, RUN, pin="strong", path="data/Train.CSV")])
    return g


def _datasets(mcps: list[Any]) -> set[str]:
    return {str(m.entityUrn) for m in mcps if str(m.entityUrn).startswith("urn:li:dataset:")}


def _inputs(mcps: list[Any]) -> set[str]:
    (inp,) = [m.aspect for m in mcps if m.aspectName == "dataProcessInstanceInput"]
    return {e.destinationUrn for e in inp.inputEdges}


def test_lowercase_urns_join_the_snowflake_sources_tables() -> None:
    snowflake = make_dataset_urn("snowflake", "sales.public.customers")  # as its source
    default = render(_graph())
    assert make_dataset_urn("snowflake", "SALES.PUBLIC.Customers") in _datasets(default)
    lower = render(_graph(), lowercase_urns=True)
    assert snowflake in _datasets(lower)
    # every dataset urn, and every reference to one, as DataHub's own lower-casing makes it
    assert _datasets(lower) == {lowercase_dataset_urn(u) for u in _datasets(default)}
    assert _inputs(lower) == {lowercase_dataset_urn(u) for u in _inputs(default)}
    # the names shown keep their case, and so does the graph read back
    (props,) = [m.aspect for m in lower if m.aspectName == "datasetProperties"
                and m.entityUrn == snowflake]
    assert props.name == "SALES.PUBLIC.Customers"
    back = graph_from_mcps(lower)
    assert back.attrs(TABLE)["path"] == "SALES.PUBLIC.Customers"
    assert back.attrs(DVC)["path"] == "data/Train.CSV"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("model.json", "{}\n")
    git_repo.commit("train")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--name", "train",
                              "--model", "churn@v1=model.json", "--input", "Data/Train.CSV"])
    assert res.exit_code == 0, res.output
    return git_repo


def _push(repo: GitRepo, dest: Path, *args: str) -> Any:
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--json", "--to", "datahub-file",
                              str(dest), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_push_option_switches_the_urns_and_pushes_them_again(repo: GitRepo,
                                                             tmp_path: Path) -> None:
    dest = tmp_path / "mcps.json"
    _push(repo, dest)
    before = {r["entityUrn"] for r in json.loads(dest.read_text())
              if r["entityType"] == "dataset"}
    assert any(u != u.lower() for u in before), before
    switched = _push(repo, dest, "-o", "lowercase_urns=true")
    assert switched["written"] > 0
    after = {r["entityUrn"] for r in json.loads(dest.read_text())
             if r["entityType"] == "dataset"}
    assert {lowercase_dataset_urn(u) for u in before} <= after
    assert _push(repo, dest, "-o", "lowercase_urns=true")["written"] == 0


def test_lowercase_urns_must_be_true_or_false(repo: GitRepo, tmp_path: Path) -> None:
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "datahub-file",
                              str(tmp_path / "m.json"), "-o", "lowercase_urns=maybe"])
    assert res.exit_code == 2, res.output
    assert "true or false" in res.output


def test_the_ingestion_source_takes_convert_urns_to_lowercase(git_repo: GitRepo) -> None:
    """``datahub ingest`` with ``source.type: lineage`` and ``convert_urns_to_lowercase: true``
    writes the urns ``-o lowercase_urns=true`` pushes (the setting's name in DataHub's own
    sources)."""
    from datahub.ingestion.api.common import PipelineContext

    from connectors.sinks.datahub.source import LineageSource
    from lineage import api

    git_repo.commit("init")
    api.init(git_repo.path)
    g = _graph()
    with api.open_store(git_repo.path) as st:
        api.record(st, [*g.nodes(include_placeholders=False), *g.edges()],
                   event_kind="harvest", payload={"fixture": "lowercase"})
    config = {"repo_path": str(git_repo.path), "harvest": False}
    default = LineageSource.create(config, PipelineContext(run_id="t"))._render()
    lower = LineageSource.create({**config, "convert_urns_to_lowercase": True},
                                 PipelineContext(run_id="t"))._render()
    assert _datasets(lower) == {lowercase_dataset_urn(u) for u in _datasets(default)}
    assert make_dataset_urn("snowflake", "sales.public.customers") in _datasets(lower)
