"""Opt-in: push to a real Apache Atlas. Runs only when ATLAS_URL is set (see docker/atlas/).

    ATLAS_URL=http://localhost:21000 ATLAS_USERNAME=admin ATLAS_PASSWORD=... \
        pytest -m atlas_server tests/integration/test_atlas_real_server.py
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

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
