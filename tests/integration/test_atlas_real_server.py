"""Opt-in: push to a real Apache Atlas. Runs only when ATLAS_URL is set (see docker/atlas/).

    ATLAS_URL=http://localhost:21000 ATLAS_USERNAME=admin ATLAS_PASSWORD=... \
        pytest -m atlas_server tests/integration/test_atlas_real_server.py
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from connectors.sinks.atlas.client import AtlasHttp
from connectors.sinks.atlas.sink import AtlasSink
from lineage.config import Config
from lineage.plugins import PushContext
from lineage.store import Store
from tests.standins import atlas_graph as G

# read before the autouse fixture of conftest clears ATLAS_URL for every other test
REAL = {k: os.environ.get(k) for k in ("ATLAS_URL", "ATLAS_USERNAME", "ATLAS_PASSWORD")}

pytestmark = [
    pytest.mark.atlas_server,
    pytest.mark.skipif(not REAL["ATLAS_URL"], reason="set ATLAS_URL to test a real Atlas"),
]


def test_push_and_read_lineage_back(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    options = {"url": REAL["ATLAS_URL"], "username": REAL["ATLAS_USERNAME"] or "admin",
               "password": REAL["ATLAS_PASSWORD"] or "admin"}
    ctx = PushContext(store, Config(), tmp_path, options=options)
    graph = G.build_graph()
    first = AtlasSink().push(graph, ctx)
    assert first.details["entities"] == len(AtlasSink().render(graph))
    again = AtlasSink().push(graph, ctx)
    assert again.details["requests"] == 0
    http = AtlasHttp(options["url"], options["username"], options["password"])
    dep = http.call("GET", "entity/uniqueAttribute/type/lineage_deployment",
                    params={"attr:qualifiedName": G.DEPLOY + "@lineage"})["entity"]["guid"]
    lin = http.lineage(dep, depth=5)
    types = {h["typeName"] for h in lin["guidEntityMap"].values()}
    assert {"lineage_deployment", "lineage_deployment_step", "lineage_model_version",
            "lineage_training_run", "lineage_data"} <= types
    # classification propagation is a deferred task since Atlas 2.2: wait for it
    version = http.call("GET", "entity/uniqueAttribute/type/lineage_model_version",
                                params={"attr:qualifiedName": G.V2 + "@lineage"})
    guid = version["entity"]["guid"]
    deadline = time.time() + 30
    names: list[str] = []
    while time.time() < deadline:
        names = [c["typeName"] for c in http.get_entity(guid)["entity"].get("classifications", [])]
        if "EUAIAct_High" in names:
            break
        time.sleep(1)
    assert "EUAIAct_High" in names
    assert uuid.UUID(guid)
    store.close()


def test_a_correction_clears_the_old_tier_and_business_attributes(tmp_path: Path) -> None:
    options = {"url": REAL["ATLAS_URL"], "username": REAL["ATLAS_USERNAME"] or "admin",
               "password": REAL["ATLAS_PASSWORD"] or "admin"}
    http = AtlasHttp(options["url"], options["username"], options["password"])

    def entity(type_name: str, node: str) -> dict[str, Any]:
        found = http.call("GET", f"entity/uniqueAttribute/type/{type_name}",
                          params={"attr:qualifiedName": node + "@lineage"})["entity"]
        return http.get_entity(found["guid"], minimal=True)["entity"]  # type: ignore[no-any-return]

    def own_tiers(e: dict[str, Any]) -> list[str]:
        return [c["typeName"] for c in e.get("classifications") or []
                if c.get("entityGuid") == e["guid"] and c["typeName"].startswith("EUAIAct_")]

    want = {i["node"]: i for i in AtlasSink().render(G.build_graph(corrected=True))}
    # the store that pushed the first graph records what it sent; a fresh store (a CI job
    # without one) reads what Atlas holds: both must end with the corrected facts only
    for fresh in (False, True):
        store = Store.init(tmp_path / f"store-{fresh}")
        ctx = PushContext(store, Config(), tmp_path, options=options)
        AtlasSink().push(G.build_graph(), ctx)
        if fresh:
            store.close()
            store = Store.init(tmp_path / "fresh")
            ctx = PushContext(store, Config(), tmp_path, options=options)
        AtlasSink().push(G.build_graph(corrected=True), ctx)
        group = entity("lineage_model", G.GROUP)
        assert own_tiers(group) == ["EUAIAct_Limited"]
        assert group["businessAttributes"]["lineage_risk_assessment"] == \
            want[G.GROUP]["businessAttributes"]["lineage_risk_assessment"]
        v2 = entity("lineage_model_version", G.V2)
        assert v2["businessAttributes"]["lineage_approval_status"] == {
            "status": "unapproved", "approvalCount": 0}
        assert "rationale" not in v2["businessAttributes"]["lineage_risk_assessment"]
        again = AtlasSink().push(G.build_graph(corrected=True), ctx)
        assert again.details["requests"] == 0
        store.close()


def test_remove_stale_soft_deletes_by_guid(tmp_path: Path) -> None:
    """An approval gone from the graph: left with the default, DELETED with remove_stale,
    still read by its guid; rendered again, it is created anew."""
    options = {"url": REAL["ATLAS_URL"], "username": REAL["ATLAS_USERNAME"] or "admin",
               "password": REAL["ATLAS_PASSWORD"] or "admin"}
    http = AtlasHttp(options["url"], options["username"], options["password"])
    store = Store.init(tmp_path / ".lineage")
    graph = G.build_graph()
    AtlasSink().push(graph, PushContext(store, Config(), tmp_path, options=options))
    guid = http.find_guid("lineage_approval", G.APPROVAL_DEP + "@lineage")
    assert guid
    smaller = graph.subgraph([n for n in graph.node_ids() if n != G.APPROVAL_DEP])
    kept = AtlasSink().push(smaller, PushContext(store, Config(), tmp_path, options=options))
    assert kept.details["stale_entities"] == 1
    assert http.get_entity(guid)["entity"]["status"] == "ACTIVE"
    gone = AtlasSink().push(smaller, PushContext(store, Config(), tmp_path,
                                                 options={**options, "remove_stale": "true"}))
    assert gone.details["removed_entities"] == 1
    assert http.get_entity(guid)["entity"]["status"] == "DELETED"
    assert http.find_guid("lineage_approval", G.APPROVAL_DEP + "@lineage") is None
    AtlasSink().push(graph, PushContext(store, Config(), tmp_path, options=options))
    again = http.find_guid("lineage_approval", G.APPROVAL_DEP + "@lineage")
    assert again and again != guid
    store.close()
