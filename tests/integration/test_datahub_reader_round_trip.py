"""What the DataHub reader gives back of what the renderer wrote: a model group's labels, a
dataset's owners, a run's job only when the run named one."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import graph_from_mcps  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.model import Edge, EdgeKind, NodeKind  # noqa: E402
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
    containers = {m.aspect.container for m in mcps if m.aspectName == "container"
                  and m.entityType == "dataProcessInstance"}
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
    (container,) = {m.aspect.container for m in mcps if m.aspectName == "container"
                    and m.entityType == "dataProcessInstance"}
    assert container == ExperimentKey(platform="urn:li:dataPlatform:mlflow", id="churn").as_urn()


def test_dataset_owner_without_a_type_comes_back_without_one() -> None:
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    (data,) = [d for d in graph.predecessors(run, EdgeKind.INPUT)]
    owners = [{"name": "user:jdoe", "type": None},
              {"name": "team:churn-ml", "type": "TECHNICAL_OWNER"}]
    graph.attrs(data).setdefault("properties", {})["owners"] = json.dumps(owners)
    back = graph_from_mcps(render(graph))
    assert json.loads(back.attrs(data)["properties"]["owners"]) == owners


def test_run_param_types_round_trip() -> None:
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    params = {"lr": 0.1, "epochs": 10, "early_stop": True, "optimizer": "adam",
              "layers": [64, 32], "seed": "42"}
    graph.attrs(run)["params"] = params
    mcps = render(graph)
    # DataHub shows every value as text
    (trp,) = [m.aspect for m in mcps if m.aspectName == "mlTrainingRunProperties"
              and m.aspect.id == "run0001"]
    assert {p.name: p.value for p in trp.hyperParams}["epochs"] == "10"
    back = graph_from_mcps(mcps)
    assert back.attrs(run)["params"] == params
    # pushed again, the run's aspects are the same: nothing new to write
    runs = ("mlTrainingRunProperties", "dataProcessInstanceProperties")
    assert [m for m in render(back) if m.aspectName in runs] == \
        [m for m in mcps if m.aspectName in runs]


def test_data_version_size_and_file_count_round_trip() -> None:
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    (data,) = [d for d in graph.predecessors(run, EdgeKind.INPUT)]
    graph.attrs(data).update(size=1234, nfiles=3, is_dir=True)
    back = graph_from_mcps(render(graph))
    assert (back.attrs(data).get("size"), back.attrs(data).get("nfiles")) == (1234, 3)


def test_artifact_edge_keeps_its_commit() -> None:
    from lineage.model import Edge

    graph = fixed_graph()
    art = "data:github.com/acme/churn:models/churn.pkl@md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    graph.add([Edge.make(EdgeKind.ARTIFACT, art, "model:churn@v1.0.0", commit="1" * 40)])
    back = graph_from_mcps(render(graph))
    (e,) = [e for e in back.in_edges("model:churn@v1.0.0", EdgeKind.ARTIFACT)]
    assert e.source == art and dict(e.attrs) == {"commit": "1" * 40}
    (e2,) = [e for e in back.in_edges("model:churn@v1.1.0", EdgeKind.ARTIFACT)]
    assert dict(e2.attrs) == {}


def test_a_moved_gto_tag_keeps_its_edge_from_the_old_commit() -> None:
    """GTO moved ``churn@v1.0.0`` from commit 2… to commit 1…: the store keeps the TAGGED edge
    from the old commit (``moved_to``) next to the one from the version's commit."""
    from lineage.model import Edge

    graph = fixed_graph()
    old = "commit:" + "2" * 40
    graph.add([Edge.make(EdgeKind.TAGGED, "commit:" + "1" * 40, "model:churn@v1.0.0",
                         tag="churn@v1.0.0"),
               Edge.make(EdgeKind.TAGGED, old, "model:churn@v1.0.0", tag="churn@v1.0.0",
                         moved_to="1" * 40)])
    back = graph_from_mcps(render(graph))
    got = {e.source: dict(e.attrs) for e in back.in_edges("model:churn@v1.0.0",
                                                           EdgeKind.TAGGED)}
    assert got == {"commit:" + "1" * 40: {"tag": "churn@v1.0.0"},
                   old: {"tag": "churn@v1.0.0", "moved_to": "1" * 40}}


def test_one_run_id_from_two_tracking_stores_is_two_runs(tmp_path) -> None:
    """The same MLflow run id harvested from two tracking stores (a store moved from a SQLite
    file to a server keeps its run ids) is two run nodes: two dataProcessInstances, each read
    back, and a re-push of the unchanged graph writes nothing (one urn for both made every
    push rewrite it, and the catalog kept only one)."""
    from connectors.sinks.datahub.sink import DataHubFileSink
    from lineage.config import Config
    from lineage.model import Node
    from lineage.plugins import PushContext
    from lineage.store import Store

    graph = fixed_graph()
    moved = "run:mlflow:mlflow.example.com:run0001"
    graph.add([Node.make(NodeKind.RUN, moved, **{**graph.attrs("run:mlflow:run0001"),
                                                 "status": "FAILED"})])
    mcps = render(graph)
    runs = {m.entityUrn for m in mcps if m.entityType == "dataProcessInstance"}
    assert len(runs) == 3
    back = graph_from_mcps(mcps)
    assert back.attrs(moved)["status"] == "FAILED"
    assert back.attrs("run:mlflow:run0001")["status"] == "FINISHED"
    with Store.init(tmp_path / ".lineage") as store:
        ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                          options={"dest": str(tmp_path / "mcps.json")})
        assert DataHubFileSink().push(graph, ctx).written > 0
        graph.attrs("run:mlflow:run0002")["name"] = "train-2b"  # not the same graph object
        again = DataHubFileSink().push(graph, ctx)
        assert again.written == 1  # the renamed run's properties, nothing else


def test_stage_edges_keep_their_repository_path() -> None:
    graph = fixed_graph()
    train = "data:github.com/acme/churn:data/train.csv@md5:0f3c9a1e2b7d4c5f6a8b9c0d1e2f3a4b"
    stage = "stage:github.com/acme/churn:dvc.yaml:train@lock2"
    graph.add([Edge.make(EdgeKind.INPUT, train, stage, pin="strong", path="data/train.csv")])
    back = graph_from_mcps(render(graph))
    (e,) = [e for e in back.in_edges(stage, EdgeKind.INPUT) if e.source == train]
    assert dict(e.attrs) == {"pin": "strong", "path": "data/train.csv"}


def test_a_run_without_experiment_comes_back_without_one() -> None:
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    graph.attrs(run).pop("experiment")
    graph.attrs(run).pop("experiment_id")
    back = graph_from_mcps(render(graph))
    assert back.attrs(run).get("experiment") is None
    assert back.attrs(graph.node_ids(NodeKind.RUN)[1])["experiment"] == "churn"


def test_a_groups_purpose_given_only_by_its_assessment_stays_the_assessments() -> None:
    """DataHub shows the assessment's intended purpose on the group when the group states
    none; read back, the group still states none (the assessment keeps its own)."""
    graph = fixed_graph()
    (group,) = graph.node_ids(NodeKind.MODEL_GROUP)
    graph.attrs(group).pop("intended_purpose")
    graph.attrs("risk_assessment:RA-1")["intended_purpose"] = "Rank customers"
    mcps = render(graph)
    back = graph_from_mcps(mcps)
    assert back.attrs(group).get("intended_purpose") is None
    assert back.attrs("risk_assessment:RA-1")["intended_purpose"] == "Rank customers"
    assert [m for m in render(back) if m.aspectName == "structuredProperties"] == \
        [m for m in mcps if m.aspectName == "structuredProperties"]
