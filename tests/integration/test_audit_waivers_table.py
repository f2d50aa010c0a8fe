"""`lineage audit`'s waivers as a person reads them, in a CI log (80 columns) or a wide
terminal: the node a waiver names is an id, never cut with an ellipsis nor broken mid-id."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
NODE = "deployment:churn:staging:2026-01-16T09:30:00Z"
WAIVERS = f"""
waivers:
  - rule: deployment-approved
    node: {NODE}
    owner: rita.risk-officer@example.com
    reason: the staging deployment predates the approval workflow; redeployed after ML-19
    expires: 2026-12-31
  - rule: four-eyes
    node: {NODE}
    owner: rita@example.com
    reason: staging only
    expires: 2026-02-01
"""


@pytest.mark.parametrize("columns", [80, 120, 160])
def test_waived_nodes_are_whole_at_any_width(quickstart_demo: Path, columns: int) -> None:
    policy = quickstart_demo / "lineage-policy.yaml"
    policy.write_text(policy.read_text() + WAIVERS)
    res = runner.invoke(app, ["audit", "--fail-on", "never"], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    waivers = res.stdout.split("Waivers", 1)[1]
    assert "…" not in waivers, waivers
    assert all(len(x) <= columns for x in waivers.splitlines()), waivers
    lines = [x for x in waivers.splitlines() if NODE in x.replace("│", " ").split()]
    assert len(lines) == 2, waivers  # each waiver names it whole, on one line
    for whole in ("rita.risk-officer@example.com", "2026-12-31", "deployment-approved",
                  "four-eyes", "expired", "unused"):
        assert whole in waivers.replace("│", " ").split(), (whole, waivers)
