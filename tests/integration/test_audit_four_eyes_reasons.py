"""``four-eyes`` says why the approvals on record that it does not count do not count, as
``deployment-approved`` does: an approval for another deployment (``--deployment`` naming a
deployment id with a typo), superseded, withdrawn, decided after the deployment.

The quickstart demo audited as of 2026-01-22: the prod deployment of churn@v1.1.0
(``churn-prod-2026-01-20``, high risk, the policy requires 2 approvers) has no approval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
PROD = "deployment:churn-prod-2026-01-20"


def record(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", *args, "-C", str(repo)])
    assert res.exit_code == 0, res.output


def approve(repo: Path, rid: str, who: str, *extra: str) -> None:
    record(repo, "approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver", who,
           "--role", "model-risk", "--decided-at", "2026-01-19T10:00:00Z", "--id", rid,
           "--allow-new", *extra)


def four_eyes(repo: Path) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--as-of", "2026-01-22", "--format",
                              "json", "--rule", "four-eyes"])
    assert res.exit_code in (0, 1), res.output
    [f] = [f for f in json.loads(res.stdout)["findings"] if f["subject"] == PROD]
    return f  # type: ignore[no-any-return]


def test_an_approval_for_a_mistyped_deployment_is_named(quickstart_demo: Path) -> None:
    approve(quickstart_demo, "rita-ok", "rita@example.com")
    approve(quickstart_demo, "max-typo", "max@example.com", "--deployment",
            "churn-prod-2026-01-2")
    f = four_eyes(quickstart_demo)
    assert f["message"] == (
        "churn@v1.1.0 in prod: 1 independent approver(s), policy requires 2; approval "
        "max-typo is for another deployment (deployment:churn-prod-2026-01-2)")
    assert "approval:max-typo" in f["evidence"]


def test_a_withdrawn_and_a_late_approval_are_named(quickstart_demo: Path) -> None:
    approve(quickstart_demo, "rita-ok", "rita@example.com")
    approve(quickstart_demo, "max-yes", "max@example.com")
    record(quickstart_demo, "approval", "--model", "churn@v1.1.0", "--env", "prod",
           "--approver", "max@example.com", "--decision", "rejected", "--decided-at",
           "2026-01-19T12:00:00Z", "--id", "max-no")
    record(quickstart_demo, "approval", "--model", "churn@v1.1.0", "--env", "prod",
           "--approver", "dana@example.com", "--decided-at", "2026-01-21T09:00:00Z",
           "--id", "dana-late")
    f = four_eyes(quickstart_demo)
    assert f["message"].startswith(
        "churn@v1.1.0 in prod: 1 independent approver(s), policy requires 2; "), f["message"]
    assert ("approval dana-late was decided after the deployment (2026-01-21T09:00:00Z)"
            in f["message"]), f["message"]
    assert ("approval max-yes by max@example.com was withdrawn by their later decision max-no "
            "(rejected, 2026-01-19T12:00:00Z)") in f["message"], f["message"]
