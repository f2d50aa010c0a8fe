"""An approval that names a deployment counts for it only when it approves that deployment's
version (and environment): approvals of another model that name a high-risk deployment by
its id must not open the gate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def record(repo: Path, *args: str) -> dict:
    res = runner.invoke(app, ["record", *args, "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def gate(repo: Path) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              "deployment-approved", "--env", "eu-prod"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_approvals_of_another_version_naming_the_deployment_do_not_count(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    dep = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "eu-prod",
                 "--deployed-at", "2026-01-21T12:00:00Z")["node"]
    for who, role in (("rita@example.com", "model-risk"), ("bob@example.com", "product-owner")):
        record(demo, "approval", "--model", "churn@v1.0.0", "--env", "eu-prod", "--approver",
               who, "--role", role, "--decision", "approved", "--decided-at",
               "2026-01-21T09:00:00Z", "--deployment", dep,
               "--allow-new")  # (lineage record refuses it without: as a hand-written file)
    [f] = gate(demo)
    assert f["subject"] == dep
    assert "names the deployment but approves churn@v1.0.0" in f["message"], f["message"]


def test_an_approval_for_another_environment_naming_the_deployment_does_not_count(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    dep = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "eu-prod",
                 "--deployed-at", "2026-01-21T12:00:00Z")["node"]
    record(demo, "approval", "--model", "churn@v1.1.0", "--env", "dev", "--approver",
           "rita@example.com", "--decision", "approved", "--decided-at",
           "2026-01-21T09:00:00Z", "--deployment", dep, "--allow-new")
    [f] = gate(demo)
    assert "approves churn@v1.1.0 for dev" in f["message"], f["message"]
    # the same approval for this version and environment counts
    record(demo, "approval", "--model", "churn@v1.1.0", "--env", "eu-prod", "--approver",
           "rita@example.com", "--decision", "approved", "--decided-at",
           "2026-01-21T09:00:00Z", "--deployment", dep)
    assert gate(demo) == []


def test_an_approval_for_one_deployment_does_not_approve_another(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    canary = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "eu-canary",
                    "--deployed-at", "2026-01-21T10:00:00Z")["node"]
    # approved for the canary deployment, with no environment of its own
    record(demo, "approval", "--model", "churn@v1.1.0", "--approver", "rita@example.com",
           "--decision", "approved", "--decided-at", "2026-01-21T09:00:00Z",
           "--deployment", canary, "--id", "canary-ok")
    dep = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "eu-prod",
                 "--deployed-at", "2026-01-21T12:00:00Z")["node"]
    [f] = gate(demo)
    assert f["subject"] == dep
    assert f"approval canary-ok is for another deployment ({canary})" in f["message"], \
        f["message"]
    # an approval of the version for every environment, naming no deployment, counts
    record(demo, "approval", "--model", "churn@v1.1.0", "--approver", "rita@example.com",
           "--decision", "approved", "--decided-at", "2026-01-21T09:00:00Z", "--id", "all-ok")
    assert gate(demo) == []
