"""`--as-of DATE` (a date without a time) is the end of that UTC day, in `lineage audit` as in
`lineage show` and the quickstart's own audit: "as of 20 January" counts the deployment made
that morning. A time is taken as given (`--as-of 2026-01-20T00:00:00Z`: the day's start)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
DEPLOYMENT = "deployment:churn-prod-2026-01-20"


def audit(repo: Path, *args: str) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["audit", "-C", str(repo), "--fail-on", "never", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def prod_findings(data: dict) -> list[str]:  # type: ignore[type-arg]
    return [f["rule"] for f in data["findings"] if f["environment"] == "prod"
            and "churn@v1.1.0" in (f["model"] or "")]


def test_a_date_counts_what_happened_that_day(quickstart_demo: Path) -> None:
    shown = runner.invoke(app, ["show", DEPLOYMENT, "--json"])
    assert shown.exit_code == 0, shown.output
    deployed = json.dumps(json.loads(shown.stdout))
    day = "2026-01-20"
    assert f"{day}T" in deployed  # the demo deploys churn@v1.1.0 to prod that day

    whole_day = audit(quickstart_demo, "--as-of", day)
    assert whole_day["as_of"] == f"{day}T23:59:59.999999Z"
    assert whole_day["provenance"]["as_of"] == whole_day["as_of"]
    assert "deployment-approved" in prod_findings(whole_day)  # the planted gap, that day

    start = audit(quickstart_demo, "--as-of", f"{day}T00:00:00Z")
    assert start["as_of"] == f"{day}T00:00:00Z"
    assert prod_findings(start) == []
    assert start["summary"]["after_as_of"]["deployments"] >= 1
    assert start["summary"]["after_as_of"]["deployments"] > \
        whole_day["summary"]["after_as_of"].get("deployments", 0)


def test_the_human_formats_say_end_of_day(quickstart_demo: Path) -> None:
    res = runner.invoke(app, ["audit", "-C", str(quickstart_demo), "--fail-on", "never",
                              "--as-of", "2026-01-20", "--format", "markdown"])
    assert res.exit_code == 0, res.output
    assert "as of 2026-01-20 (end of day, UTC)" in res.stdout, res.stdout


def test_show_reads_a_date_as_audit_does(quickstart_demo: Path) -> None:
    def prod(as_of: str) -> bool:
        res = runner.invoke(app, ["show", "churn@v1.1.0", "--json", "--as-of", as_of])
        assert res.exit_code == 0, res.output
        gov = json.loads(res.stdout)["governance"]
        assert gov["as_of"] == audit(quickstart_demo, "--as-of", as_of)["as_of"]
        return next(d["live"] for d in gov["deployments"] if d["id"] == DEPLOYMENT)

    assert prod("2026-01-20") is True  # deployed that morning: live at the end of the day
    assert prod("2026-01-20T00:00:00Z") is False
