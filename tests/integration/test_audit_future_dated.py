"""Records dated after the audit's clock (the real time, or ``--as-of``) have not happened yet
at that time: a risk assessment dated next year must not lower today's tier, and monitoring
evidence dated in the future must not keep a deployed version "monitored" for good."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    return quickstart_demo


def record(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", *args, "-C", str(repo)])
    assert res.exit_code == 0, res.output


def findings(repo: Path, *args: str) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_an_assessment_dated_after_the_audit_date_does_not_lower_the_tier(demo: Path) -> None:
    before = findings(demo, "--rule", "four-eyes", "--rule", "high-risk-docs")
    assert {f["rule"] for f in before} == {"four-eyes", "high-risk-docs"}
    assert {f["tier"] for f in before} == {"high"}
    record(demo, "assessment", "--group", "churn", "--tier", "minimal", "--assessor",
           "mallory@example.com", "--date", "2026-06-01", "--id", "churn-later")
    after = findings(demo, "--rule", "four-eyes", "--rule", "high-risk-docs")
    assert [(f["rule"], f["subject"], f["tier"]) for f in after] == \
        [(f["rule"], f["subject"], f["tier"]) for f in before]
    # on the day it was made, it is in force; churn@v1.1.0, deployed under the high tier
    # before it, is still audited at high (a later downgrade does not lift what that
    # deployment owes), and show says which assessment holds the tier
    res = runner.invoke(app, ["audit", "-C", str(demo), "--as-of", "2026-06-02", "--format",
                              "json", "--rule", "high-risk-docs"])
    assert res.exit_code == 1, res.output
    assert {f["tier"] for f in json.loads(res.stdout)["findings"]} == {"high"}
    res = runner.invoke(app, ["show", "churn@v1.1.0", "-C", str(demo), "--as-of",
                              "2026-06-02", "--json"])
    assert res.exit_code == 0, res.output
    risk = json.loads(res.stdout)["governance"]["risk"]
    assert (risk["assessment"], risk["tier"], risk["held_by"]) == (
        "risk_assessment:churn-later", "high", "risk_assessment:churn-2026")


def test_a_group_assessed_only_in_the_future_is_unassessed(demo: Path) -> None:
    (demo / "models" / "fraud.json").write_text('{"w": 2}\n')
    record(demo, "run", "--name", "train-fraud", "--input", "data/prepared", "--model",
           "fraud@v1.0.0=models/fraud.json", "--clean", "--end", "2026-01-10T00:00:00Z")
    record(demo, "assessment", "--group", "fraud", "--tier", "minimal", "--assessor",
           "mallory@example.com", "--date", "2026-06-01", "--id", "fraud-later")
    [f] = [f for f in findings(demo, "--rule", "risk-tier-set")
           if f["subject"] == "model_group:fraud"]
    assert f["tier"] == "unassessed"
    assert "dated after the audit date" in f["message"], f["message"]
    assert "risk_assessment:fraud-later" in f["evidence"]


def test_monitoring_evidence_dated_in_the_future_is_not_evidence(demo: Path) -> None:
    record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "canary", "--deployed-at",
           "2026-01-21T08:00:00Z", "--prop", "monitoring_checked_at=2099-01-01")
    record(demo, "alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.01",
           "--threshold", "0.2", "--status", "resolved", "--at", "2098-01-01T00:00:00Z")
    [f] = [f for f in findings(demo, "--rule", "monitoring-active", "--as-of", "2026-03-31")
           if f["subject"] == "model:churn@v1.1.0"]
    assert "2099" not in f["message"] and "2098" not in f["message"], f["message"]
