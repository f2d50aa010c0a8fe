"""An approval of the prod deployment is no news on a staging deployment: it never counted for
staging, so neither ``deployment-approved`` nor ``four-eyes`` lists it among the approvals
that do not count there ("is for another deployment"). An approval that would count for the
environment but names another deployment of it is still said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
PROD = "deployment:churn-prod-2026-01-20"
STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"
runner = CliRunner()


def record(repo: Path, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["record", *args, "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def audit(repo: Path, *rules: str) -> dict[tuple[str, str], dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              ",".join(rules)])
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"]): f for f in json.loads(res.stdout)["findings"]}


def approve_prod(repo: Path, rid: str, who: str, role: str) -> None:
    record(repo, "approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver", who,
           "--role", role, "--decided-at", "2026-01-19T09:00:00Z", "--deployment", PROD,
           "--id", rid)


def test_a_prod_approval_is_not_listed_on_staging(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    approve_prod(demo, "prod-rita", "rita@example.com", "model-risk")
    approve_prod(demo, "prod-bob", "bob@example.com", "product-owner")
    found = audit(demo, "deployment-approved", "four-eyes")
    # prod is approved by two people; staging's four-eyes finding (the author approved it)
    # stays, without the prod approvals
    assert ("deployment-approved", PROD) not in found, found
    assert ("four-eyes", PROD) not in found, found
    staging = found[("four-eyes", STAGING)]["message"]
    assert "0 independent approver(s)" in staging, staging
    assert "prod-" not in staging and "another deployment" not in staging, staging
    assert not {"approval:prod-rita", "approval:prod-bob"} & set(
        found[("four-eyes", STAGING)]["evidence"])
    # a deployment to an environment nobody approved: no approval on record for it
    dev = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "dev",
                 "--deployed-at", "2026-01-21T12:00:00Z")["node"]
    message = audit(demo, "deployment-approved")[("deployment-approved", dev)]["message"]
    assert message == "churn@v1.1.0 was deployed to dev with no approval on record", message


def test_an_approval_of_another_deployment_of_the_environment_is_still_said(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    approve_prod(demo, "prod-rita", "rita@example.com", "model-risk")
    again = record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "prod",
                   "--deployed-at", "2026-01-21T12:00:00Z")["node"]
    message = audit(demo, "deployment-approved")[("deployment-approved", again)]["message"]
    assert f"approval prod-rita is for another deployment ({PROD})" in message, message
