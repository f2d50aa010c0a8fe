"""A store that knows only part of the governance records (a CD job that recorded one approval
in a fresh clone) must not push its partial view over the fuller one DataHub holds: an upsert
replaces an aspect whole, so the approval it does not know would vanish from the catalog (and
from ``lineage audit --source datahub-…``, where a rejection gone reads as approved). The push
leaves the aspects holding records it does not know, warns naming them, and sends everything
else; ``-o replace_records=true`` replaces them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import read_lite  # noqa: E402
from connectors.sinks.datahub.remote import DataHubRestSink  # noqa: E402
from connectors.sinks.datahub.sink import DataHubLiteSink  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

MODEL = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"


def _partial() -> LineageGraph:
    """What a fresh CD job's store holds: the versions, and only the approval it recorded."""
    g = LineageGraph()
    full = fixed_graph()
    for nid in full.node_ids():
        if nid == "approval:APR-7":
            continue
        g.add_node(Node.make(full.kind(nid), nid, **full.attrs(nid)))
    for e in full.edges():
        if "approval:APR-7" not in (e.source, e.target):
            g.add_edge(e)
    g.add([Node.make(NodeKind.APPROVAL, "approval:APR-8", approver="dora@example.com",
                     role="ml-lead", decision="approved", decided_at="2026-01-04T10:00:00Z",
                     model="model:churn@v1.1.0", environment="prod"),
           Edge.make(EdgeKind.APPROVES, "approval:APR-8", "model:churn@v1.1.0")])
    return g


def _ctx(tmp_path: Path, name: str, **options: Any) -> PushContext:
    store = Store.init(tmp_path / name / ".lineage")
    return PushContext(store=store, config=Config(), repo_path=tmp_path / name, options=options)


def test_a_partial_store_does_not_replace_the_approvals_datahub_holds(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lite = tmp_path / "catalog.db"
    full = _ctx(tmp_path, "ci", dest=str(lite))
    DataHubLiteSink().push(fixed_graph(), full)
    partial = _ctx(tmp_path, "cd", dest=str(lite))
    with caplog.at_level("WARNING", logger="lineage.sinks.datahub"):
        res = DataHubLiteSink().push(_partial(), partial)
    # one warning names what was left; everything else went
    warned = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert len(warned) == 1 and "approval APR-7" in warned[0] and MODEL in warned[0]
    assert "replace_records" in warned[0]
    assert f"approval APR-7 on {MODEL}" in res.details["kept_records"]
    assert res.written > 0 and res.failed == 0
    # the catalog still holds the approval the partial store never saw
    assert "approval:APR-7" in read_lite(str(lite)).node_ids(NodeKind.APPROVAL)
    # the aspect left is looked at again on the next push (and left again)
    caplog.clear()
    with caplog.at_level("WARNING", logger="lineage.sinks.datahub"):
        again = DataHubLiteSink().push(_partial(), partial)
    assert f"approval APR-7 on {MODEL}" in again.details["kept_records"]
    assert "approval:APR-7" in read_lite(str(lite)).node_ids(NodeKind.APPROVAL)
    # the store that knows every record pushes as before
    both = fixed_graph()
    both.add(list(_partial().nodes(NodeKind.APPROVAL)) + [
        Edge.make(EdgeKind.APPROVES, "approval:APR-8", "model:churn@v1.1.0")])
    assert DataHubLiteSink().push(both, full).written > 0
    # asked to, the partial view replaces the fuller one
    forced = _ctx(tmp_path, "cd2", dest=str(lite), replace_records="true")
    DataHubLiteSink().push(_partial(), forced)
    assert set(read_lite(str(lite)).node_ids(NodeKind.APPROVAL)) == {"approval:APR-8"}


def test_a_partial_store_leaves_the_records_gms_holds_too(tmp_path: Path) -> None:
    with running_gms() as gms:
        DataHubRestSink().push(fixed_graph(), _ctx(tmp_path, "ci", server=gms.url))
        sent = len(gms.proposals)
        res = DataHubRestSink().push(_partial(), _ctx(tmp_path, "cd", server=gms.url))
        assert f"approval APR-7 on {MODEL}" in res.details["kept_records"]
        assert len(gms.proposals) > sent
        again = {f"{p['entityUrn']}|{p['aspectName']}" for p in gms.proposals[sent:]}
        # the records, and the approval status and approvers shown from them, are left
        for name in ("mlModelProperties", "structuredProperties", "ownership"):
            assert f"{MODEL}|{name}" not in again
        status = gms.aspect(MODEL, "structuredProperties")["properties"]
        approved_by = next(p["values"] for p in status if p["propertyUrn"].endswith("approvedBy"))
        assert {"string": "bob@example.com"} in approved_by
        held = gms.aspect(MODEL, "mlModelProperties")["customProperties"]
        assert json.loads(held["approval.APR-7"])["attrs"]["approver"] == "bob@example.com"
