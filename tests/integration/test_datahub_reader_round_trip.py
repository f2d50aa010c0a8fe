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
