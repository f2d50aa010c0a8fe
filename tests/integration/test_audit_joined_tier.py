"""Model groups joined by `same_as` versions (a GTO artifact and an MLflow registered model of
another name, same artifact hash) are one AI system with one risk tier: the strictest of the
groups' own latest assessments. A newer, lower assessment under the other name — registering
the prohibited model's artifact as "nice" and assessing "nice" minimal — does not lower it;
nor does a later reassessment of its own name lift a deployment made while it was prohibited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from audit_fixture import _iso, make_fixture, write_store

from lineage.audit import run_audit
from lineage.model import EdgeKind, NodeKind


def test_a_newer_lower_assessment_of_a_joined_name_does_not_lower_the_tier(
        tmp_path: Path) -> None:
    fx = make_fixture(2, fixed=True)
    ban = "s2-banned"  # unacceptable; v1.0.0's deployment is retired, prod is retired too
    live = fx.node(NodeKind.DEPLOYMENT, "deployment:ban-canary", model=f"model:{ban}@3",
                   environment="canary", deployed_at=_iso(fx.now - timedelta(days=2)))
    fx.edge(EdgeKind.DEPLOYED_AS, f"model:{ban}@3", live)
    gid = fx.node(NodeKind.MODEL_GROUP, "model_group:nice", name="nice", registry="mlflow")
    nice = fx.node(NodeKind.MODEL, "model:nice@1", group="nice", version="1", registry="mlflow",
                   created_at=_iso(fx.now - timedelta(days=20)))
    fx.edge(EdgeKind.VERSION_OF, nice, gid)
    fx.edge(EdgeKind.SAME_AS, f"model:{ban}@3", nice)
    ra = fx.node(NodeKind.RISK_ASSESSMENT, "risk_assessment:nice-ra", model_group=gid,
                 tier="minimal", assessor="mallory@example.com",
                 assessed_at=_iso(fx.now - timedelta(days=1)))
    fx.edge(EdgeKind.ASSESSES, ra, gid)
    store = write_store(fx, tmp_path / ".lineage")
    for source in (fx.graph(), store):
        report = run_audit(source, now=fx.now, rules=["prohibited-not-deployed"])
        [f] = report.findings
        assert f"model:{ban}@3" in {f.subject, *f.aliases} and f.tier == "unacceptable", f
        assert f"risk_assessment:{ban}-ra" in f.evidence
    store.close()
    # reassessed under its own name: the canary deployment, made while the system was
    # prohibited, stays a finding (a later downgrade does not lift what a deployment made
    # under a stricter tier owes) ...
    again = fx.node(NodeKind.RISK_ASSESSMENT, "risk_assessment:ban-again",
                    model_group=f"model_group:{ban}", tier="minimal", assessor="dana@example.com",
                    assessed_at=_iso(fx.now - timedelta(hours=1)))
    fx.edge(EdgeKind.ASSESSES, again, f"model_group:{ban}")
    [f] = run_audit(fx.graph(), now=fx.now, rules=["prohibited-not-deployed"]).findings
    assert f.tier == "unacceptable" and f"risk_assessment:{ban}-ra" in f.evidence, f
    # ... unless the prohibited assessment was wrong: a correction supersedes it
    fx.node(NodeKind.RISK_ASSESSMENT, again, model_group=f"model_group:{ban}", tier="minimal",
            assessor="dana@example.com", assessed_at=_iso(fx.now - timedelta(hours=1)),
            properties={"supersedes": f"{ban}-ra"})
    assert run_audit(fx.graph(), now=fx.now, rules=["prohibited-not-deployed"]).findings == []
