"""An approval a passed `deployment-approved` gate counts that was first recorded more than a week
after its `decided_at` (back-dated, e.g. to close the gate after the fact) is said in every report's
warnings, with when and how it was recorded and what to check; an approval recorded when it
was decided says nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import recording_repo

runner = CliRunner()
PROD = "deployment:churn-prod-2026-01-20"


def lineage(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code in (0, 1), res.output
    return res.stdout


def late_warnings(report: dict) -> list[str]:
    return [w for w in report["warnings"] if "first recorded" in w]


def test_back_dated_approvals_that_close_the_prod_gate_are_said(quickstart_demo: Path) -> None:
    before = json.loads(lineage("audit", "--as-of", "2026-01-22", "--json"))
    assert PROD in {f["subject"] for f in before["findings"]
                    if f["rule"] == "deployment-approved"}
    assert late_warnings(before) == []  # the demo records each decision the day it is made
    # the two approvals the prod deployment lacked, recorded today, dated before it
    for who, role, at in (("rita@example.com", "risk-officer", "2026-01-19T15:00:00Z"),
                          ("omar@example.com", "product-owner", "2026-01-19T16:00:00Z")):
        lineage("record", "approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver",
                who, "--role", role, "--decided-at", at, "--evidence", "ML-14",
                "--id", f"late-{who.split('@')[0]}")
    after = json.loads(lineage("audit", "--as-of", "2026-01-22", "--json"))
    assert PROD not in {f["subject"] for f in after["findings"]
                        if f["rule"] == "deployment-approved"}
    late = late_warnings(after)
    assert len(late) == 2, after["warnings"]
    days = (datetime.now(UTC) - datetime(2026, 1, 19, 15, tzinfo=UTC)).days
    assert late[0].startswith(
        "approval late-omar (omar@example.com, decided 2026-01-19 16:00Z) counts for "
        "churn@v1.1.0 in prod but was first recorded "), late[0]
    assert f"recorded {days} days later" in late[1] or f"recorded {days - 1} days later" in late[1]
    assert "written to the store" in late[1] and "lineage show late-rita" in late[1]
    # the human formats carry it too, where a reviewer of the gate reads
    md = lineage("audit", "--as-of", "2026-01-22", "--format", "markdown")
    assert "**warning:** approval late-rita (rita@example.com" in md


def test_an_approval_recorded_when_it_was_decided_says_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording_repo(tmp_path / "prompt", monkeypatch)
    Path("models").mkdir()
    Path("models/churn.json").write_text('{"w": 1}\n')
    now = datetime.now(UTC).replace(microsecond=0)

    def at(hours: float) -> str:
        return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    lineage("record", "run", "--name", "train", "--model", "churn@v1.0.0=models/churn.json",
            "--clean", "--end", at(5))
    lineage("record", "assessment", "--group", "churn", "--tier", "limited", "--assessor",
            "risk@example.com", "--date", at(4))
    lineage("record", "approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver",
            "rita@example.com", "--decided-at", at(3), "--id", "prompt")
    lineage("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
            "--deployed-at", at(2), "--id", "prod")
    report = json.loads(lineage("audit", "--json"))
    assert "deployment:prod" not in {f["subject"] for f in report["findings"]
                                     if f["rule"] == "deployment-approved"}
    assert late_warnings(report) == []
    # one decided six days before it was written is routine (merged through a pull request);
    # one decided ten days before is said
    lineage("record", "approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver",
            "ann@example.com", "--decided-at", at(144), "--id", "week-old")
    lineage("record", "approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver",
            "omar@example.com", "--decided-at", at(240), "--id", "back-dated")
    late = late_warnings(json.loads(lineage("audit", "--json")))
    assert len(late) == 1 and late[0].startswith("approval back-dated (omar@example.com"), late
    assert "first recorded 10 days later" in late[0], late
