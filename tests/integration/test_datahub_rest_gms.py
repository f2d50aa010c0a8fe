"""Opt-in: push to and read back from a real DataHub GMS (set DATAHUB_GMS_URL, and
DATAHUB_GMS_TOKEN when GMS has authentication on). Skipped otherwise.

    DATAHUB_GMS_URL=http://localhost:8080 pytest -m gms tests/integration/test_datahub_rest_gms.py
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

# read at import: the autouse fixture in conftest clears these variables inside each test
GMS_URL = os.environ.get("DATAHUB_GMS_URL")
GMS_TOKEN = os.environ.get("DATAHUB_GMS_TOKEN")

pytestmark = [
    pytest.mark.gms,
    pytest.mark.skipif(not GMS_URL, reason="set DATAHUB_GMS_URL to run against a real GMS"),
]


def test_push_and_read_back_from_a_real_gms(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from connectors.sinks.datahub.reader import read_rest
    from connectors.sinks.datahub.remote import DataHubRestSink
    from lineage.config import Config
    from lineage.model import EdgeKind
    from lineage.plugins import PushContext
    from lineage.store import Store
    from tests.golden.datahub.fixture_graph import fixed_graph

    store = Store.init(tmp_path / ".lineage")
    # a fresh platform per run keeps runs from colliding with earlier ones
    platform = f"lineage-test-{uuid.uuid4().hex[:8]}"
    opts = {"server": GMS_URL, "token": SecretStr(GMS_TOKEN) if GMS_TOKEN else None}
    ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                      options={k: v for k, v in opts.items() if v})
    res = DataHubRestSink(platform=platform).push(fixed_graph(), ctx)
    assert res.failed == 0 and res.written > 0
    again = DataHubRestSink(platform=platform).push(fixed_graph(), ctx)
    assert again.written == 0
    g = read_rest(GMS_URL, GMS_TOKEN, config=Config())
    model = "model:churn@v1.1.0"
    assert model in g
    assert g.predecessors(model, EdgeKind.PRODUCED)
    store.close()
