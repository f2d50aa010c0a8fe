"""What the DataHub reader gives back of facts the store keeps on runs, edges, labels and
owners: read back from what the renderer wrote, they are the store's."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import graph_from_mcps  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.model import Edge, EdgeKind, NodeKind  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402

TRAIN = "data:github.com/acme/churn:data/train.csv@md5:0f3c9a1e2b7d4c5f6a8b9c0d1e2f3a4b"


def _edge(graph: Any, kind: EdgeKind, source: str, target: str) -> dict[str, Any]:
    (e,) = [e for e in graph.in_edges(target, kind) if e.source == source]
    return dict(e.attrs)


def test_run_experiment_id_round_trips() -> None:
    graph = fixed_graph()
    back = graph_from_mcps(render(graph))
    for run in graph.node_ids(NodeKind.RUN):
        assert graph.attrs(run).get("experiment_id")
        assert back.attrs(run).get("experiment_id") == graph.attrs(run)["experiment_id"]


def test_upstream_run_edge_keeps_relation_and_job() -> None:
    graph = fixed_graph()
    run1, run2 = graph.node_ids(NodeKind.RUN)
    graph.add([Edge.make(EdgeKind.UPSTREAM_RUN, run1, run2, relation="parent",
                         job="airflow/nightly")])
    back = graph_from_mcps(render(graph))
    assert _edge(back, EdgeKind.UPSTREAM_RUN, run1, run2) == \
        {"relation": "parent", "job": "airflow/nightly"}


def test_input_edge_digest_and_tagged_edge_tag_round_trip() -> None:
    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    graph.add([Edge.make(EdgeKind.INPUT, TRAIN, run, pin="strong", path="data/train.csv",
                         digest="3f2a9c"),
               Edge.make(EdgeKind.TAGGED, "commit:" + "1" * 40, "model:churn@v1.0.0",
                         tag="churn@v1.0.0")])
    back = graph_from_mcps(render(graph))
    assert _edge(back, EdgeKind.INPUT, TRAIN, run).get("digest") == "3f2a9c"
    assert _edge(back, EdgeKind.TAGGED, "commit:" + "1" * 40,
                 "model:churn@v1.0.0").get("tag") == "churn@v1.0.0"
    # edges that had none get none
    other = graph.node_ids(NodeKind.RUN)[1]
    assert "digest" not in _edge(back, EdgeKind.INPUT, TRAIN, other)
    assert "tag" not in _edge(back, EdgeKind.TAGGED, "commit:" + "2" * 40, "model:churn@v1.1.0")


def test_label_with_a_comma_stays_one_label() -> None:
    graph = fixed_graph()
    (group,) = graph.node_ids(NodeKind.MODEL_GROUP)
    graph.attrs(group)["labels"] = ["churn, retail", "tabular"]
    back = graph_from_mcps(render(graph))
    assert back.attrs(group).get("labels") == ["churn, retail", "tabular"]


def test_dataset_owner_types_other_than_datahubs_round_trip() -> None:
    graph = fixed_graph()
    owners = [{"name": "user:jdoe", "type": "MAINTAINER"},
              {"name": "team:churn-ml", "type": "BUSINESS_OWNER"}]
    graph.attrs(TRAIN).setdefault("properties", {})["owners"] = json.dumps(owners)
    mcps = render(graph)
    # DataHub shows a type it does not know as a technical owner, as its OpenLineage
    # converter does
    (own,) = [m.aspect for m in mcps if m.aspectName == "ownership"
              and "dataset" in str(m.entityUrn)]
    assert [str(o.type) for o in own.owners] == ["TECHNICAL_OWNER", "BUSINESS_OWNER"]
    back = graph_from_mcps(mcps)
    assert json.loads(back.attrs(TRAIN)["properties"]["owners"]) == owners


def test_read_back_graph_renders_the_same_mcps() -> None:
    """Read back and pushed again, the aspects holding these facts are unchanged: nothing
    new to write for them."""
    graph = fixed_graph()
    run1, run2 = graph.node_ids(NodeKind.RUN)
    (group,) = graph.node_ids(NodeKind.MODEL_GROUP)
    graph.attrs(group)["labels"] = ["churn, retail", "tabular"]
    graph.add([Edge.make(EdgeKind.UPSTREAM_RUN, run1, run2, relation="parent", job="a/b"),
               Edge.make(EdgeKind.INPUT, TRAIN, run1, pin="strong", path="data/train.csv",
                         digest="3f2a9c"),
               Edge.make(EdgeKind.TAGGED, "commit:" + "1" * 40, "model:churn@v1.0.0",
                         tag="churn@v1.0.0")])
    graph.attrs(TRAIN).setdefault("properties", {})["owners"] = json.dumps(
        [{"name": "user:jdoe", "type": "MAINTAINER"}])
    first = render(graph)
    again = render(graph_from_mcps(first))
    key = {(m.entityUrn, m.aspectName): m.aspect.to_obj() for m in first}
    held = ("dataProcessInstanceProperties", "dataProcessInstanceInput",
            "dataProcessInstanceRelationships", "mlModelProperties",
            "mlModelGroupProperties", "datasetProperties", "ownership", "containerProperties")
    changed = [(m.entityUrn, m.aspectName) for m in again if m.aspectName in held
               and key.get((m.entityUrn, m.aspectName)) != m.aspect.to_obj()]
    assert changed == []
