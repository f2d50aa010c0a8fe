"""A dangling reference in a retraining record (a run or alert no source describes) belongs to
the version it retrained: it carries that system's tier and severity and is kept by
``--model``, so a ``--fail-on high`` gate of a high-risk system does not pass over it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def test_a_retraining_naming_a_missing_run_is_a_finding_of_its_high_risk_version(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    rec = runner.invoke(app, ["record", "retraining", "-C", str(demo), "--previous",
                              "churn@v1.0.0", "--new", "churn@v1.1.0", "--trigger", "manual",
                              "--reason", "backfill", "--run", "run:mlflow:deadbeef",
                              "--alert", "no-such-alert", "--at", "2026-01-15T00:00:00Z"])
    assert rec.exit_code == 0, rec.output
    res = runner.invoke(app, ["audit", "-C", str(demo), *AS_OF, "--format", "json", "--rule",
                              "lineage-continuity", "--model", "churn", "--fail-on", "high"])
    assert res.exit_code == 1, res.output
    found = {f["subject"]: f for f in json.loads(res.stdout)["findings"]}
    for gone in ("run:mlflow:deadbeef", "alert:no-such-alert"):
        f = found[gone]
        assert (f["tier"], f["severity"], f["model"]) == ("high", "high", "model:churn@v1.1.0")
