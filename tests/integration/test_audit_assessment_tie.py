"""Two risk assessments of one system dated the same instant: the stricter tier wins (as a
rejection wins over an approval at the same instant), not the id that sorts last, so a
same-day "minimal" assessment cannot lift the high-risk rules by its name."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def test_the_higher_tier_wins_at_the_same_instant(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    for rid, tier in (("a-high", "high"), ("z-minimal", "minimal")):
        res = runner.invoke(app, ["record", "assessment", "-C", str(demo), "--group", "churn",
                                  "--tier", tier, "--assessor", "carol@example.com", "--date",
                                  "2026-01-21", "--id", rid])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["audit", "-C", str(demo), "--as-of", "2026-01-22", "--format",
                              "json", "--rule", "high-risk-docs"])
    assert res.exit_code == 1, res.output
    assert {f["tier"] for f in json.loads(res.stdout)["findings"]} == {"high"}
