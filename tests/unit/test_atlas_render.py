"""Rendering the lineage graph to Atlas entities (golden file) and validating every payload.

Update the golden file after an intended mapping change with
``LINEAGE_UPDATE_GOLDEN=1 pytest tests/unit/test_atlas_render.py``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from connectors.sinks.atlas.render import ENTITY_TYPE, references
from connectors.sinks.atlas.sink import AtlasSink, build_request
from lineage.errors import ValidationFailed
from lineage.model import NodeKind
from lineage.serialize import dumps_pretty, loads
from tests.standins import atlas_graph as G

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "atlas" / "golden_rendered.json"


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return AtlasSink().render(G.build_graph())


def by_node(items: list[dict[str, Any]], node: str, type_name: str | None = None
            ) -> dict[str, Any]:
    hits = [i for i in items if i["node"] == node
            and (type_name is None or i["entity"]["typeName"] == type_name)]
    assert len(hits) == 1, node
    return hits[0]


def test_golden(items: list[dict[str, Any]]) -> None:
    text = dumps_pretty(items) + "\n"
    if os.environ.get("LINEAGE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert GOLDEN.exists(), "run with LINEAGE_UPDATE_GOLDEN=1 to create the golden file"
    assert loads(GOLDEN.read_text()) == loads(text), (
        "rendered Atlas entities changed; if intended, re-run with LINEAGE_UPDATE_GOLDEN=1")


def test_graph_has_every_kind_and_every_entity_kind_is_rendered(items: list[dict[str, Any]]
                                                                ) -> None:
    graph = G.build_graph()
    assert G.node_kinds(graph) == set(NodeKind)
    rendered_kinds = {graph.kind(i["node"]) for i in items}
    assert rendered_kinds == set(ENTITY_TYPE)
    entity_nodes = [n.id for n in graph.nodes() if n.kind in ENTITY_TYPE]
    # one entity per entity node, plus one deployment step per deployment
    assert len(items) == len(entity_nodes) + 1
    qns = [i["qualifiedName"] for i in items]
    assert len(set(qns)) == len(qns)
    assert qns == sorted(qns)


def test_rendering_is_deterministic() -> None:
    a = AtlasSink().render(G.build_graph())
    b = AtlasSink().render(G.build_graph())
    assert dumps_pretty(a) == dumps_pretty(b)
    assert a[0]["qualifiedName"] == a[0]["node"] + "@lineage"


def test_every_rendered_payload_validates(items: list[dict[str, Any]]) -> None:
    AtlasSink().validate(items)


def test_lineage_steps_are_processes_over_datasets(items: list[dict[str, Any]]) -> None:
    run = by_node(items, G.RUN2)["entity"]
    inputs = {r["uniqueAttributes"]["qualifiedName"] for r in run["attributes"]["inputs"]}
    outputs = {r["uniqueAttributes"]["qualifiedName"] for r in run["attributes"]["outputs"]}
    assert inputs == {G.FEAT + "@lineage", G.GHOST_COMMIT + "@lineage"}
    assert outputs == {G.V2 + "@lineage", G.MODEL_FILE + "@lineage"}
    assert run["attributes"]["inputPins"] == {G.FEAT + "@lineage": "weak"}
    step = by_node(items, G.DEPLOY, "lineage_deployment_step")["entity"]
    assert [r["uniqueAttributes"]["qualifiedName"] for r in step["attributes"]["inputs"]] == [
        G.V2 + "@lineage"]
    assert [r["uniqueAttributes"]["qualifiedName"] for r in step["attributes"]["outputs"]] == [
        G.DEPLOY + "@lineage"]


def test_governance_becomes_classifications_and_business_metadata(
        items: list[dict[str, Any]]) -> None:
    group = by_node(items, G.GROUP)
    [tier] = group["classifications"]
    assert tier["typeName"] == "EUAIAct_High" and tier["propagate"] is True
    assert group["businessAttributes"]["lineage_risk_assessment"]["tier"] == "high"
    v2 = by_node(items, G.V2)
    assert v2["classifications"] == []  # it gets the tier by propagation from the model
    bm = v2["businessAttributes"]
    assert bm["lineage_approval_status"]["approvers"] == ["erin"]
    assert bm["lineage_approval_status"]["status"] == "approved"
    assert bm["lineage_retraining"]["trigger"] == "drift"
    assert bm["lineage_retraining"]["previousVersion"] == "churn@v1.0.0"
    assert bm["lineage_retraining"]["alertMetric"] == "psi"
    assert v2["entity"]["attributes"]["documents"] == {
        "model_card:DOC-1": "https://docs.acme/churn"}
    v1 = by_node(items, G.V1)
    assert v1["businessAttributes"]["lineage_approval_status"] == {
        "status": "unapproved", "approvalCount": 0}
    assert "AL-1" in v1["entity"]["attributes"]["alerts"]
    ghost = by_node(items, G.GHOST_COMMIT)["entity"]["attributes"]
    assert ghost["lineagePlaceholder"] is True and ghost["sha"] == "9" * 40


def test_tier_follows_the_latest_assessment() -> None:
    items = AtlasSink().render(G.build_graph(tier="limited"))
    assert [c["typeName"] for c in by_node(items, G.GROUP)["classifications"]] == [
        "EUAIAct_Limited"]


def _mutate(item: dict[str, Any], how: str) -> None:
    e = item["entity"]
    if how == "unknown attribute":
        e["attributes"]["modelName"] = "x"
    elif how == "missing mandatory":
        del e["attributes"]["version"]
    elif how == "missing qualifiedName":
        del e["attributes"]["qualifiedName"]
    elif how == "wrong type":
        e["attributes"]["createdAt"] = "2026-01-04"
    elif how == "bad enum":
        item["businessAttributes"]["lineage_approval_status"]["status"] = "maybe"
    elif how == "wrong reference type":
        e["relationshipAttributes"]["registeredModel"] = {
            "typeName": "lineage_data", "uniqueAttributes": {"qualifiedName": "x"}}
    elif how == "unknown relationship":
        e["relationshipAttributes"]["model"] = e["relationshipAttributes"]["registeredModel"]
    elif how == "classification without propagate":
        item["classifications"] = [{"typeName": "EUAIAct_High", "attributes": {}}]
    elif how == "unknown classification":
        item["classifications"] = [{"typeName": "EUAIAct_Medium", "propagate": True}]
    elif how == "business metadata on the wrong type":
        item["businessAttributes"]["lineage_retraining"] = {"reason": "x"}
    elif how == "string too long":
        item["businessAttributes"]["lineage_approval_status"]["approvers"] = ["x" * 2000]


@pytest.mark.parametrize("how,words", [
    ("unknown attribute", "'modelName' is not defined"),
    ("missing mandatory", "mandatory attribute 'version'"),
    ("missing qualifiedName", "mandatory attribute 'qualifiedName'"),
    ("wrong type", "epoch milliseconds"),
    ("bad enum", "not a value of enum lineage_approval_state"),
    ("wrong reference type", "expected a lineage_model"),
    ("unknown relationship", "'model' is not defined"),
    ("classification without propagate", "propagate"),
    ("unknown classification", "unknown classification"),
    ("business metadata on the wrong type", "does not apply to lineage_approval"),
    ("string too long", "longer than"),
])
def test_validation_failures_name_the_node(items: list[dict[str, Any]], how: str, words: str
                                           ) -> None:
    node = G.APPROVAL if how == "business metadata on the wrong type" else G.V2
    bad = copy.deepcopy(by_node(items, node))
    _mutate(bad, how)
    with pytest.raises(ValidationFailed) as exc:
        AtlasSink().validate([bad])
    assert f"node {node} " in str(exc.value)
    assert words in str(exc.value)
    assert exc.value.exit_code == 1


def test_bulk_request_carries_the_closure(items: list[dict[str, Any]]) -> None:
    by_qn = {i["qualifiedName"]: i for i in items}
    for batch in ([by_node(items, G.RUN2)], [by_node(items, G.DEPLOY, "lineage_deployment_step")],
                  items[:5]):
        request, placeholders = build_request(batch, by_qn)
        sent = {e["guid"] for e in request["entities"]} | set(request["referredEntities"])
        assert set(placeholders) == sent
        assert all(g.startswith("-") for g in sent)
        text = dumps_pretty(request)
        assert "uniqueAttributes" not in text  # every reference is a guid of this request

        for e in [*request["entities"], *request["referredEntities"].values()]:
            for section in ("attributes", "relationshipAttributes"):
                for v in (e.get(section) or {}).values():
                    for ref in v if isinstance(v, list) else [v]:
                        if isinstance(ref, dict) and set(ref) == {"guid", "typeName"}:
                            assert ref["guid"] in sent
        for qn in (q for i in batch for q in references(i["entity"])):
            assert qn in placeholders.values()


def _doc_graph(url: str | None, pinned: bool) -> Any:
    from lineage.graph import LineageGraph
    from lineage.model import Edge, EdgeKind, Node

    # without a remote, the repository is known by its root commit: no web page
    repo = "repository:github.com/acme/churn" if url else "repository:root:" + "0" * 40
    g = LineageGraph()
    g.add([Node.make(NodeKind.REPOSITORY, repo, url=url),
           Node.make(NodeKind.COMMIT, "commit:" + "c" * 40, sha="c" * 40, repository=repo),
           Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn"),
           Node.make(NodeKind.MODEL, "model:churn@v1", group="churn", version="v1"),
           Edge.make(EdgeKind.VERSION_OF, "model:churn@v1", "model_group:churn"),
           Node.make(NodeKind.DOCUMENT, "document:card", doc_kind="model_card",
                     uri="docs/model card.md", content_hash="sha256:" + "a" * 64),
           Edge.make(EdgeKind.DOCUMENTS, "document:card", "model:churn@v1"),
           Node.make(NodeKind.DOCUMENT, "document:sheet", doc_kind="datasheet",
                     uri="https://wiki.acme/sheet"),
           Edge.make(EdgeKind.DOCUMENTS, "document:sheet", "model_group:churn")])
    if pinned:
        g.add([Edge.make(EdgeKind.DEFINES, "commit:" + "c" * 40, "document:card",
                         by="content_hash")])
    return g


@pytest.mark.parametrize("url,pinned,commits,links", [
    ("git@github.com:acme/churn.git", True, {"model_card:card": "c" * 40},
     {"model_card:card": f"https://github.com/acme/churn/blob/{'c' * 40}/docs/model%20card.md"}),
    # not committed when harvested: the default branch, as DataHub links it
    ("https://github.com/acme/churn.git", False, {},
     {"model_card:card": "https://github.com/acme/churn/blob/HEAD/docs/model%20card.md"}),
    # no web page: the commit still, no link
    (None, True, {"model_card:card": "c" * 40}, {}),
])
def test_a_repository_file_document_carries_the_commit_its_record_pins(
        url: str | None, pinned: bool, commits: dict[str, str], links: dict[str, str]) -> None:
    sink = AtlasSink()
    items = sink.render(_doc_graph(url, pinned))
    sink.validate(items)
    version = by_node(items, "model:churn@v1")["entity"]["attributes"]
    assert version["documents"] == {"model_card:card": "docs/model card.md"}
    assert (version["documentCommits"], version["documentLinks"]) == (commits, links)
    # a document given as a URL is neither pinned nor linked again: {} (which clears)
    group = by_node(items, "model_group:churn")["entity"]["attributes"]
    assert group["documents"] == {"datasheet:sheet": "https://wiki.acme/sheet"}
    assert (group["documentCommits"], group["documentLinks"]) == ({}, {})


def test_atlas_and_datahub_link_the_same_page() -> None:
    from connectors.sinks.datahub.render import render

    graph = _doc_graph("https://github.com/acme/churn", True)
    datahub = {e.url for m in render(graph) if m.aspectName == "institutionalMemory"
               and m.entityUrn.startswith("urn:li:mlModel:") for e in m.aspect.elements}
    atlas = by_node(AtlasSink().render(graph), "model:churn@v1")["entity"]["attributes"]
    assert set(atlas["documentLinks"].values()) == datahub != set()
