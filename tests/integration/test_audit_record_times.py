"""`lineage audit --as-of T` sees the world as of T: a deployment made after T did not exist
then. A record dated after the store wrote it (a deployment, retirement, approval, assessment or
alert "from the future": forged, or a typo) is a `lineage-continuity` finding of its own, and
its date is not taken where it would let a gate pass: the deployment counts from when it was
recorded, a retirement that had not happened does not retire it, an approval or monitoring
evidence from the future is none, an assessment ages and an open alert falls due from its
recording."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import recording_repo

runner = CliRunner()
FAR = "2099-01-01T00:00:00Z"  # a date no test run reaches


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = recording_repo(tmp_path / "times", monkeypatch)
    Path("models").mkdir()
    Path("models/churn.json").write_text('{"w": 1}\n')
    record("run", "--name", "train", "--model", "churn@v1.0.0=models/churn.json", "--clean",
           "--end", "2026-01-02T00:00:00Z")
    return root


def record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def findings(*args: str) -> list[dict]:
    res = runner.invoke(app, ["audit", "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def about(found: list[dict], rule: str, subject: str) -> list[dict]:
    return [f for f in found if f["rule"] == rule and f["subject"] == subject]


def test_a_deployment_made_after_the_audit_date_did_not_exist_then(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "high", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
           "2026-05-01T00:00:00Z")
    dep = "deployment:churn:prod:2026-05-01T00:00:00Z"
    before = findings("--as-of", "2026-03-01")
    assert not [f for f in before if dep in f["evidence"]], before
    assert not [f for f in before if f["rule"] == "monitoring-active"], before
    after = findings("--as-of", "2026-06-01")
    assert about(after, "deployment-approved", dep)
    assert [f for f in after if f["rule"] == "monitoring-active"]
    # the deployment was recorded before it happened? no: it is dated before its recording
    assert not about(after, "lineage-continuity", dep)


def test_a_deployment_dated_after_it_was_recorded_is_audited_and_flagged(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "high", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at", FAR)
    record("approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver",
           "bob@example.com", "--role", "model-risk", "--decided-at", "2098-12-31T00:00:00Z",
           "--id", "later")
    dep = f"deployment:churn:prod:{FAR}"
    found = findings()
    [gate] = about(found, "deployment-approved", dep)
    assert "approval later is dated 2098-12-31T00:00:00Z, after it was recorded" in \
        gate["message"], gate["message"]
    assert gate["severity"] == "critical"
    [flag] = about(found, "lineage-continuity", dep)
    assert f"deployed_at {FAR} is after it was recorded" in flag["message"], flag["message"]
    assert "supersedes=" in flag["remediation"]
    assert about(found, "lineage-continuity", "approval:later")
    assert about(found, "monitoring-active", "model:churn@v1.0.0")
    # an audit of a date before the records were written sees neither, but still the forgery
    old = findings("--as-of", "2026-03-01")
    assert not about(old, "deployment-approved", dep)
    assert about(old, "lineage-continuity", dep)
    assert about(findings("--as-of", "2026-03-01", "--env", "prod"), "lineage-continuity", dep)


def test_a_retirement_dated_after_it_was_recorded_does_not_retire(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "unacceptable", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z", "--retired-at", FAR)
    found = findings("--as-of", "2099-06-01")
    assert about(found, "prohibited-not-deployed", "model:churn@v1.0.0")
    [flag] = about(found, "lineage-continuity", "deployment:churn:prod:2026-02-01T00:00:00Z")
    assert "retired_at" in flag["message"] and "still active" in flag["message"]
    # the printed fix (the record cannot be completed again) is a correction; run, it closes both
    [f] = about(found, "prohibited-not-deployed", "model:churn@v1.0.0")
    cmd = f["remediation"].split(": ", 1)[1]
    argv = [{"<new-id>": "churn-prod-retired", "<time>": "2026-03-01T00:00:00Z"}.get(a, a)
            for a in shlex.split(cmd)]
    assert argv[:3] == ["lineage", "record", "deployment"], cmd
    record(*argv[2:])
    found = findings("--as-of", "2099-06-01")
    assert not [f for f in found if f["rule"] == "prohibited-not-deployed"
                or f["subject"].startswith("deployment:") and f["rule"] == "lineage-continuity"
                ], [(f["subject"], f["message"]) for f in found]


def test_a_historical_audit_of_a_later_retired_deployment_says_it_retired(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "unacceptable", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z", "--retired-at", "2026-03-01T00:00:00Z")
    [f] = about(findings("--as-of", "2026-02-15"), "prohibited-not-deployed",
                "model:churn@v1.0.0")
    assert ("deployment:churn:prod:2026-02-01T00:00:00Z is recorded as retired at "
            "2026-03-01T00:00:00Z, after the audit date") in f["remediation"], f["remediation"]
    assert "supersedes" not in f["remediation"]
    assert not about(findings("--as-of", "2026-03-02"), "prohibited-not-deployed",
                     "model:churn@v1.0.0")


def test_an_open_alert_dated_in_the_future_falls_due_from_its_recording(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "high", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    record("alert", "--model", "churn@v1.0.0", "--metric", "psi", "--value", "0.4",
           "--threshold", "0.2", "--status", "open", "--at", FAR, "--id", "drift")
    found = findings("--as-of", "2090-01-01")
    [due] = about(found, "monitoring-active", "alert:drift")
    assert "no follow-up" in due["message"]
    assert about(found, "lineage-continuity", "alert:drift")


def test_an_assessment_dated_in_the_future_ages_from_its_recording(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "minimal", "--assessor",
           "risk@example.com", "--date", FAR, "--id", "forever")
    found = findings("--as-of", "2099-06-01")
    [stale] = about(found, "risk-tier-set", "model_group:churn")
    assert "older than 365 days" in stale["message"], stale["message"]
    [flag] = about(found, "lineage-continuity", "risk_assessment:forever")
    assert flag["group"] == "model_group:churn" and flag["tier"] == "minimal"


def test_a_correction_dated_after_it_was_recorded_removes_nothing(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "unacceptable", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z", "--id", "banned")
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z")
    # a "minimal" correction of the prohibited tier, dated after it was recorded
    record("assessment", "--group", "churn", "--tier", "minimal", "--assessor",
           "mallory@example.com", "--date", FAR, "--id", "lifted", "--prop",
           "supersedes=banned")
    found = findings()
    [f] = about(found, "prohibited-not-deployed", "model:churn@v1.0.0")
    assert f["tier"] == "unacceptable" and "risk_assessment:banned" in f["evidence"]
    assert about(found, "lineage-continuity", "risk_assessment:lifted")
    # nor does a deployment "correction" from the future make the live one vanish
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at", FAR,
           "--retired-at", "2099-01-02T00:00:00Z", "--id", "gone", "--prop",
           "supersedes=churn:prod:2026-02-01T00:00:00Z")
    [f] = about(findings(), "prohibited-not-deployed", "model:churn@v1.0.0")
    assert "deployment:churn:prod:2026-02-01T00:00:00Z" in f["evidence"]


def test_without_record_times_a_deployment_dated_after_the_audit_is_audited() -> None:
    """A graph rebuilt from DataHub keeps no record times: the audit's own start stands in,
    so a deployment dated in the future is audited now (and flagged), not left out."""
    from audit_fixture import make_fixture

    from lineage.audit import run_audit
    from lineage.model import EdgeKind, NodeKind

    fx = make_fixture(2, fixed=True)
    v = "model:s2-noappr@3"
    d = fx.node(NodeKind.DEPLOYMENT, "deployment:future", model=v, environment="canary",
                deployed_at=FAR)
    fx.edge(EdgeKind.DEPLOYED_AS, v, d)
    report = run_audit(fx.graph(), rules=["deployment-approved", "lineage-continuity"])
    assert {f.rule for f in report.findings if f.subject == d} == {
        "deployment-approved", "lineage-continuity"}
