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
