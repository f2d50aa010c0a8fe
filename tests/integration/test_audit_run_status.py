"""`model-has-run`: an OpenLineage run whose events never reached a terminal one (START then
OTHER, the harvester's status ``OTHER``) has not finished: a model version it produced is not
vouched for by a completed run."""

from __future__ import annotations

from datetime import timedelta

from audit_fixture import _iso, make_fixture

from lineage.audit import run_audit
from lineage.model import EdgeKind, NodeKind


def test_a_version_produced_only_by_a_run_with_no_terminal_event_is_a_finding() -> None:
    fx = make_fixture(2, fixed=True)
    group = "s2-noretrain"
    at = _iso(fx.now - timedelta(days=3))
    v = fx.node(NodeKind.MODEL, f"model:{group}@v1.2.0", group=group, version="v1.2.0",
                registry="gto", created_at=at)
    fx.edge(EdgeKind.VERSION_OF, v, f"model_group:{group}")
    run = fx.node(NodeKind.RUN, "run:openlineage:0e9b3c1d", source="openlineage",
                  run_id="0e9b3c1d", status="OTHER", start_time=at)
    fx.edge(EdgeKind.PRODUCED, run, v)
    report = run_audit(fx.graph(), now=fx.now, rules=["model-has-run"])
    [f] = report.findings
    assert f.subject == v
    assert "did not finish (run:openlineage:0e9b3c1d: OTHER)" in f.message, f.message
