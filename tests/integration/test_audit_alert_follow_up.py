"""An open alert past its follow-up window is a `monitoring-active` finding whose printed fix,
run as printed, closes it: records are immutable, so the fix is a new alert record that
supersedes the open one, not the same id again (which `lineage record` refuses)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def alert_findings(repo: Path) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json",
                              "--rule", "monitoring-active"])
    assert res.exit_code in (0, 1), res.output
    return [f for f in json.loads(res.stdout)["findings"] if f["subject"].startswith("alert:")]


def test_the_printed_follow_up_of_an_open_alert_closes_it(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    rec = runner.invoke(app, ["record", "alert", "-C", str(demo), "--model", "churn@v1.1.0",
                              "--metric", "psi", "--value", "0.4", "--threshold", "0.2",
                              "--at", "2026-01-02T06:00:00Z", "--id", "psi-jan"])
    assert rec.exit_code == 0, rec.output
    [f] = alert_findings(demo)
    assert f["subject"] == "alert:psi-jan"
    fix = f["remediation"]
    cmd = fix[fix.index("(lineage record alert ") + 1:fix.index(")")]
    argv = shlex.split(cmd)
    assert argv[:3] == ["lineage", "record", "alert"], cmd
    res = runner.invoke(app, [*argv[1:], "-C", str(demo)])
    assert res.exit_code == 0, res.output
    assert alert_findings(demo) == []


def test_a_retraining_of_another_system_or_from_before_the_alert_is_no_follow_up(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo

    def record(*args: str) -> None:
        res = runner.invoke(app, ["record", *args, "-C", str(demo)])
        assert res.exit_code == 0, res.output

    record("alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
           "--threshold", "0.2", "--at", "2026-01-02T06:00:00Z", "--id", "psi-jan")
    # another model group's retraining names churn's alert
    record("retraining", "--trigger", "drift", "--reason", "fraud drift", "--previous",
           "fraud@v1.0.0", "--alert", "psi-jan", "--at", "2026-01-03T00:00:00Z",
           "--id", "fraud-rt")
    # churn's own retraining, dated before the alert it names
    record("retraining", "--trigger", "drift", "--reason", "earlier drift", "--previous",
           "churn@v1.0.0", "--new", "churn@v1.1.0", "--alert", "psi-jan", "--at",
           "2026-01-01T00:00:00Z", "--id", "early-rt")
    [f] = alert_findings(demo)
    assert "retraining fraud-rt names it but retrained fraud, not churn" in f["message"]
    assert "retraining early-rt names it but is dated before it (2026-01-01T00:00:00Z)" in \
        f["message"], f["message"]
    # a retraining of churn after the alert follows it up
    record("retraining", "--trigger", "drift", "--reason", "PSI above 0.2", "--previous",
           "churn@v1.0.0", "--new", "churn@v1.1.0", "--alert", "psi-jan", "--at",
           "2026-01-04T00:00:00Z", "--id", "churn-rt")
    assert alert_findings(demo) == []


def test_a_retraining_after_the_audit_date_had_not_followed_the_alert_up_yet(
        quickstart_demo: Path) -> None:
    """`--as-of` sees the world at its date: a retraining dated after it (recorded with its
    real date, later) had not happened, so the alert was still without follow-up then."""
    demo = quickstart_demo

    def record(*args: str) -> None:
        res = runner.invoke(app, ["record", *args, "-C", str(demo)])
        assert res.exit_code == 0, res.output

    record("alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
           "--threshold", "0.2", "--at", "2026-01-02T06:00:00Z", "--id", "psi-jan")
    record("retraining", "--trigger", "drift", "--reason", "PSI above 0.2", "--previous",
           "churn@v1.0.0", "--new", "churn@v1.1.0", "--alert", "psi-jan", "--at",
           "2026-02-10T00:00:00Z", "--id", "late-rt")
    [f] = alert_findings(demo)  # as of 2026-01-22
    assert f["subject"] == "alert:psi-jan"
    assert "retraining late-rt names it but is dated after the audit date " \
        "(2026-02-10T00:00:00Z)" in f["message"], f["message"]
    res = runner.invoke(app, ["audit", "-C", str(demo), "--as-of", "2026-02-11", "--format",
                              "json", "--rule", "monitoring-active"])
    assert "alert:psi-jan" not in {f["subject"] for f in json.loads(res.stdout)["findings"]}
