"""`AuditContext.explain`: what the audit reads of one model version, the public reading
`lineage show` prints — in agreement with the findings of `lineage audit`."""

from __future__ import annotations

from audit_fixture import make_fixture

from lineage.audit import AuditContext, build_index, run_audit
from lineage.audit.policy import DEFAULT_POLICY


def _explain(version: str, seed: int = 3) -> dict:
    fx = make_fixture(seed)
    ctx = AuditContext(build_index(fx.graph()), DEFAULT_POLICY, fx.now)
    return ctx.explain(ctx.version_of(version))


def test_explain_reads_a_version_as_the_rules_do() -> None:
    fx = make_fixture(3)
    findings = {(f.rule, f.subject) for f in run_audit(fx.graph(), now=fx.now).findings}
    # no approval on record: the deployment has none that counts, as deployment-approved says
    e = _explain("model:s3-noappr@v1.1.0")
    # reported under the spelling its deployment names (its MLflow twin an alias)
    assert e["version"] == "model:s3-noappr@v1.1.0" and e["aliases"] == ["model:s3-noappr@3"]
    assert e["group"] == "model_group:s3-noappr" and e["risk"]["tier"] == "high"
    [dep] = e["deployments"]
    assert dep["state"] == "live" and dep["approved_by"] == []
    assert ("deployment-approved", dep["id"]) in findings
    # approved by two people before the deployment: both in force, counting for it
    e = _explain("model:s3-nodocs@3")
    [dep] = e["deployments"]
    assert dep["approved_by"] == [a["id"] for a in e["approvals"]]
    assert {a["status"] for a in e["approvals"]} == {"in force"}
    assert all(a["counts_for"] == [dep["id"]] for a in e["approvals"])
    # the document high-risk-docs misses
    assert e["documents_missing"] == ["bias_report"]
    assert ("high-risk-docs", "model:s3-nodocs@v1.1.0") in findings
    # the run, its commit and pinned input; the retraining that trained it; the alert
    [run] = e["runs"]
    assert run["status"] == "FINISHED" and run["inputs"][0]["pin"] == "strong"
    assert run["inputs"][0]["hash"].startswith("md5:")
    assert [(r["role"], r["counts"]) for r in e["retraining"]] == [("trained by", True)]
    assert [a["status"] for a in e["alerts"]] == ["resolved"]
