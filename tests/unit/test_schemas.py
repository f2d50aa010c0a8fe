"""The committed JSON Schemas in schemas/nodes/ match the pydantic models."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.schemas import node_schemas, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(node_schemas()))
def test_committed_schema_matches_code(name: str) -> None:
    committed = (ROOT / "schemas" / "nodes" / name).read_text()
    assert committed == render(node_schemas()[name]), (
        f"schemas/nodes/{name} drifted from lineage/model.py: run `python -m lineage.schemas`"
    )


def test_export_validates_against_graph_schema() -> None:
    g = LineageGraph()
    g.add_node(Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn"))
    g.add_edge(Edge.make(EdgeKind.VERSION_OF, "model:churn@v1", "model_group:churn"))
    data = g.to_node_link()
    jsonschema.validate(data, node_schemas()["graph.schema.json"])
    model = next(n for n in data["nodes"] if n["id"] == "model:churn@v1")
    assert model["placeholder"] is True
    # each node's attrs validate against its kind's schema
    for n in data["nodes"]:
        if not n.get("placeholder"):
            jsonschema.validate(n["attrs"], node_schemas()[f"{n['kind']}.schema.json"])


def test_attrs_schema_rejects_unknown_field() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "bogus": 1}, node_schemas()["model_group.schema.json"])
