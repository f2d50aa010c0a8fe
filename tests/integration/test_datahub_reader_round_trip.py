"""What the DataHub reader gives back of what the renderer wrote: a model group's labels, a
dataset's owners, a run's job only when the run named one."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import graph_from_mcps  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.model import EdgeKind, NodeKind  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402


def test_model_group_labels_round_trip() -> None:
    graph = fixed_graph()
    (group,) = graph.node_ids(NodeKind.MODEL_GROUP)
    graph.attrs(group)["labels"] = ["churn", "tabular"]
    back = graph_from_mcps(render(graph))
    assert back.attrs(group).get("labels") == ["churn", "tabular"]


def test_run_without_a_job_gets_no_job_from_its_dvc_stage() -> None:
    """The DVC stage a run instantiates is its parentTemplate in DataHub; a run that named no
    job must not come back with the stage's name as one."""
    graph = fixed_graph()
    runs = graph.node_ids(NodeKind.RUN)
    graph.attrs(runs[0]).pop("job", None)
    back = graph_from_mcps(render(graph))
    assert back.attrs(runs[0]).get("job") is None
    assert back.attrs(runs[1]).get("job") == "train"


def test_dataset_owners_round_trip() -> None:
    """An OpenLineage dataset's owners (its ``ownership`` facet, ``properties.owners``) are
    the dataset's ``ownership`` in DataHub, and come back on the version that named them."""
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    (data,) = [d for d in graph.predecessors(run, EdgeKind.INPUT)]
    owners = [{"name": "user:jdoe", "type": "TECHNICAL_OWNER"},
              {"name": "team:churn-ml", "type": "BUSINESS_OWNER"}]
    graph.attrs(data).setdefault("properties", {})["owners"] = json.dumps(owners)
    back = graph_from_mcps(render(graph))
    got = (back.attrs(data).get("properties") or {}).get("owners")
    assert got is not None and json.loads(got) == owners
    # read again and pushed again, the catalog holds the same owners
    assert [m for m in render(back) if m.aspectName == "ownership"
            and "dataset" in str(m.entityUrn)] == [
        m for m in render(graph) if m.aspectName == "ownership" and "dataset" in str(m.entityUrn)]


def test_previous_versions_run_shown_upstream_is_no_upstream_run_edge() -> None:
    """DataHub shows the run that trained the previous version as a run's upstream instance
    when the run names none; read back, that is no UPSTREAM_RUN edge, so the audit of the
    catalog under --model attributes the same runs to each version as the store's audit."""
    from datetime import UTC, datetime

    from lineage.audit import run_audit
    from lineage.model import Edge, Node

    graph = fixed_graph()
    run1, run2 = graph.node_ids(NodeKind.RUN)
    etl = "run:openlineage:0190a5b2-0000-7000-8000-0000000000aa"
    extra = "data:file:/repo/extra.csv@unversioned"
    graph.add([Node.make(NodeKind.RUN, etl, source="openlineage", run_id=etl.rsplit(":", 1)[1],
                         name="etl", job="etl.extract", status="COMPLETE",
                         start_time="2025-12-31T00:00:00Z"),
               Node.make(NodeKind.DATA, extra, path="/repo/extra.csv", namespace="file"),
               Edge.make(EdgeKind.OUTPUT, etl, extra, path="extra.csv"),
               Edge.make(EdgeKind.INPUT, extra, run1, pin="none", path="extra.csv")])
    mcps = render(graph)
    shown = [m.aspect.upstreamInstances for m in mcps
             if m.aspectName == "dataProcessInstanceRelationships"
             and m.aspect.upstreamInstances]
    assert shown  # the UI still shows the previous version's run upstream
    back = graph_from_mcps(mcps)
    assert not back.in_edges(run2, EdgeKind.UPSTREAM_RUN)
    now = datetime(2026, 1, 22, tzinfo=UTC)
    for model in ("churn@v1.0.0", "churn@v1.1.0"):
        local = {(f.rule, f.subject) for f in run_audit(graph, now=now, model=model).findings}
        assert {(f.rule, f.subject)
                for f in run_audit(back, now=now, model=model).findings} == local, model


def test_experiments_of_one_name_from_two_mlflow_servers_stay_apart() -> None:
    """Two tracking servers each have an experiment ``churn`` (ids 1 and 7): pushed, they
    are two experiment containers, and each run reads back its own server's experiment id."""
    from lineage.model import Node

    graph = fixed_graph()
    other = "run:mlflow:mlflow-b.example.com:run0009"
    graph.add([Node.make(NodeKind.RUN, other, source="mlflow", run_id="run0009",
                         name="train-b", experiment="churn", experiment_id="7",
                         status="FINISHED", tracking_uri="http://mlflow-b.example.com",
                         start_time="2026-01-04T01:00:00Z")])
    mcps = render(graph)
    containers = {m.aspect.container for m in mcps if m.aspectName == "container"}
    assert len(containers) == 2
    back = graph_from_mcps(mcps)
    assert back.attrs(other).get("experiment_id") == "7"
    for run in graph.node_ids(NodeKind.RUN):
        assert back.attrs(run).get("experiment_id") == graph.attrs(run)["experiment_id"], run


def test_one_server_keeps_the_container_datahubs_mlflow_source_makes() -> None:
    """With one tracking server the experiment is the container DataHub's MLflow source
    makes (``ExperimentKey(platform, id=name)``), so the two join."""
    from datahub.emitter.mcp_builder import ExperimentKey

    mcps = render(fixed_graph())
    (container,) = {m.aspect.container for m in mcps if m.aspectName == "container"}
    assert container == ExperimentKey(platform="urn:li:dataPlatform:mlflow", id="churn").as_urn()

