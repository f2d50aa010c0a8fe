"""The quickstart demo's history reads as a team's would: every commit and tag is made in order,
at or after the time of what it records and within the day, so `lineage show` marks no demo
record as recorded late, and no record is dated after it was written (the audit's
`lineage-continuity`)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
# each kind of record and the date it carries
DATED = {"assessments": "assessed_at", "approvals": "decided_at", "deployments": "deployed_at",
         "documents": "at", "retraining": "at", "alerts": "at"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def governance(version: str) -> dict[str, Any]:
    res = runner.invoke(app, ["show", version, "--json", "--as-of", "2026-01-22"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["governance"]  # type: ignore[no-any-return]


def test_every_demo_record_is_recorded_the_day_it_happens(quickstart_demo: Path) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for version in ("churn@v1.0.0", "churn@v1.1.0"):
        gov = governance(version)
        for key, attr in DATED.items():
            for r in gov[key]:
                seen[r["id"]] = {**r, "date": r[attr]}
    kinds = {nid.split(":", 1)[0] for nid in seen}
    assert kinds == {"risk_assessment", "approval", "deployment", "document", "retraining",
                     "alert"}, kinds
    for nid, r in seen.items():
        assert r["recorded_by"] in ("commit", "tag"), r
        recorded, date = time(r["recorded_at"]), time(r["date"])
        assert date <= recorded <= date + timedelta(days=1), (nid, r["date"], r["recorded_at"])
        assert r["recorded_late"] is None, r
    # the CD job's deployment and the monitoring job's alerts too: by their commits
    for nid in ("deployment:churn-prod-2026-01-20", "alert:churn-psi-2026-01-09",
                "alert:churn-psi-2026-01-21"):
        assert seen[nid]["recorded_by"] == "commit", seen[nid]
    out = runner.invoke(app, ["show", "churn@v1.1.0", "--as-of", "2026-01-22"],
                        env={"COLUMNS": "240"}).stdout
    assert "later" not in out.split("Risk tier (assessments", 1)[1], out


def test_the_demo_history_is_in_order(quickstart_demo: Path) -> None:
    # oldest first: each commit no earlier than its parent
    dates = [time(d) for d in git(quickstart_demo, "log", "--reverse", "--format=%cI")
             .splitlines()]
    assert dates == sorted(dates) and len(dates) >= 10, dates
    # a tag is made after the commit it names
    for line in git(quickstart_demo, "for-each-ref", "refs/tags",
                    "--format=%(refname:short) %(taggerdate:iso-strict) %(*objectname)"
                    ).splitlines():
        name, tagged, sha = line.split()
        committed = time(git(quickstart_demo, "show", "-s", "--format=%cI", sha))
        assert time(tagged) >= committed, (name, tagged, committed)


def test_no_demo_record_is_dated_after_it_was_written(quickstart_demo: Path) -> None:
    for as_of in (["--as-of", "2026-01-22"], []):
        res = runner.invoke(app, ["audit", "--format", "json", "--rule", "lineage-continuity",
                                  *as_of])
        assert res.exit_code in (0, 1), res.output
        assert json.loads(res.stdout)["findings"] == [], res.stdout
