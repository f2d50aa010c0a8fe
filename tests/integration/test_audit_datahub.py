"""The audit gives the same findings on the embedded store and on DataHub Lite.

Fixture graph → store → render + push to a DataHub Lite file → rebuild the graph from Lite →
audit both. Runs once the DataHub sink and reader are present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_fixture import make_fixture, write_store

from lineage.audit import run_audit

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("fixed", [False, True])
def test_local_and_datahub_lite_agree(git_repo, tmp_path: Path, fixed: bool) -> None:
    reader = pytest.importorskip("connectors.sinks.datahub.reader")
    sink_mod = pytest.importorskip("connectors.sinks.datahub.sink")
    from lineage.config import load_config
    from lineage.plugins import PushContext, load_source

    git_repo.commit("init")
    fx = make_fixture(9, fixed=fixed)
    store = write_store(fx, git_repo.path / ".lineage")
    lite = tmp_path / "datahub-lite.db"
    cfg = load_config(git_repo.path)
    cfg.datahub.lite_file = str(lite)
    graph = store.load_graph()
    sink = sink_mod.DataHubLiteSink()
    assert sink.render(graph), "the sink rendered nothing"
    with store.transaction():
        result = sink.push(graph, PushContext(store=store, config=cfg, repo_path=git_repo.path,
                                              options={"path": str(lite)}))
        if store.pending_facts:
            store.append_event("push", "test", {"target": "datahub-lite"})
    assert result.failed == 0, result.errors
    assert load_source("datahub-lite") is reader.read_lite
    from_lite = reader.read_lite(path=str(lite))

    local = run_audit(store, now=NOW)
    remote = run_audit(from_lite, now=NOW, source_name="datahub-lite")
    store.close()
    pairs = {(f.rule, f.subject) for f in local.findings}
    assert pairs == fx.expected
    assert {(f.rule, f.subject) for f in remote.findings} == pairs
    assert {(f.rule, f.subject, f.severity) for f in remote.findings} == \
        {(f.rule, f.subject, f.severity) for f in local.findings}
    # the whole findings: message, evidence, aliases, record file (SARIF location)
    assert [f.as_dict() for f in remote.findings] == [f.as_dict() for f in local.findings]
