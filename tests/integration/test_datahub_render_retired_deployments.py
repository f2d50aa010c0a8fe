"""What a version's approval properties say where it ran and runs no more (docs/datahub.md,
"Approval status"), on the quickstart demo: the audit's verdict on the deployments it had
there, said as retired. A deployment's approval is decided when it is made; retiring it
leaves the audit's finding on it in place, so a version whose retired deployments the audit
refused is called approved for none of those environments, nor approved as a whole.

The demo's ``churn@v1.0.0`` ran in staging (tag ``churn#staging#1``) until ``churn#staging#3``
gave staging to ``churn@v1.1.0``; both its deployments passed the audit. ``churn@v1.1.0`` runs
in prod with no approval and in staging on its author's approval alone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

pytest.importorskip("datahub")

runner = CliRunner()
V100 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
V110 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
PROD = "deployment:churn-prod-2026-01-20"
STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"
STAGING_AGAIN = "deployment:churn:staging:2026-01-21T09:00:00Z"


def lineage(repo: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code == 0, res.output
    return res.stdout


def pushed(repo: Path, out: Path) -> list[dict[str, Any]]:
    lineage(repo, "push", "--to", "datahub-file", str(out))
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def values(mcps: list[dict[str, Any]], urn: str) -> dict[str, list[str]]:
    """The approval structured property values an entity shows (its last
    ``structuredProperties``: the file is an append-only log)."""
    hits = [m["aspect"]["json"] for m in mcps
            if m["entityUrn"] == urn and m["aspectName"] == "structuredProperties"]
    got = {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
           for p in (hits[-1]["properties"] if hits else [])}
    return {k: x for k, x in got.items() if k.startswith("approv")}


def findings(repo: Path) -> set[tuple[str, str, str]]:
    """The approval findings of the audit: rule, subject, severity."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--json"])
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"], f["severity"]) for f in json.loads(res.stdout)["findings"]
            if f["rule"] in ("deployment-approved", "four-eyes")}


def gto_stage(repo: Path, tag: str, version_tag: str, at: str, message: str) -> None:
    """A GTO stage assignment: an annotated tag on the commit the version's tag names."""
    env = {**os.environ, "GIT_COMMITTER_DATE": at}
    subprocess.run(["git", "tag", "-a", tag, "-m", message, f"{version_tag}^{{commit}}"],
                   cwd=repo, env=env, check=True, capture_output=True)


def test_an_environment_it_ran_in_and_left_is_said_as_retired(quickstart_demo: Path,
                                                              tmp_path: Path) -> None:
    mcps = pushed(quickstart_demo, tmp_path / "mcps.json")
    assert values(mcps, V100) == {
        "approvalStatus": ["approved"],
        # staging passed the audit when it ran there: not "not deployed"
        "approvalByEnvironment": ["prod: approved", "staging: approved, retired"],
        "approvedEnvironments": ["prod", "staging"],
        "approvalRecordIds": ["churn-v1.0.0-prod", "churn-v1.0.0-prod-lead",
                              "churn-v1.0.0-staging", "churn-v1.0.0-staging-risk"],
        "approvedBy": ["max@example.com", "rita@example.com"],
        "approvedAt": ["2026-01-04"],
    }


def test_a_version_whose_retired_deployments_failed_the_audit_is_not_approved(
        quickstart_demo: Path, tmp_path: Path) -> None:
    """One prod approval (four-eyes asks two at the high tier), then prod retired by a
    record and staging given back to v1.0.0 by a later GTO stage tag: v1.1.0 runs nowhere,
    an approval in force names prod, and the audit keeps its critical four-eyes findings on
    both deployments it had."""
    repo = quickstart_demo
    lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer",
            "--decided-at", "2026-01-19T15:00:00Z", "--evidence", "ML-14")
    lineage(repo, "record", "deployment", "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at", "2026-01-21T08:00:00Z")
    gto_stage(repo, "churn#staging#4", "churn@v1.0.0", "2026-01-21T09:00:00Z",
              "Deploy churn v1.0.0 to staging")
    lineage(repo, "harvest")
    assert findings(repo) == {("four-eyes", PROD, "critical"),
                              ("four-eyes", STAGING, "critical")}
    show = json.loads(lineage(repo, "show", "churn@v1.1.0", "--json"))
    states = {d["id"]: d["state"] for d in show["governance"]["deployments"]}
    assert states[PROD].startswith("retired") and states[STAGING].startswith("retired")

    mcps = pushed(repo, tmp_path / "mcps.json")
    v = values(mcps, V110)
    assert v["approvalStatus"] == ["unapproved"]
    assert v["approvalByEnvironment"] == ["prod: unapproved, retired",
                                          "staging: unapproved, retired"]
    assert "approvedEnvironments" not in v
    # who signed is still said: both approvals are in force, four-eyes counts neither enough
    assert v["approvedBy"] == ["ada@example.com", "rita@example.com"]
    # v1.0.0 runs in staging again (its approvals counted for the new deployment too)
    assert values(mcps, V100)["approvalByEnvironment"] == ["prod: approved",
                                                           "staging: approved"]


def test_a_retired_deployment_the_audit_approved_keeps_its_environment_approved(
        quickstart_demo: Path, tmp_path: Path) -> None:
    """The two prod approvals the quickstart suggests, then prod retired: the environment is
    still approved (it was, when the version ran there); staging's refusal makes the version
    unapproved."""
    repo = quickstart_demo
    for who, role, at in (("rita@example.com", "risk-officer", "2026-01-19T15:00:00Z"),
                          ("omar@example.com", "product-owner", "2026-01-19T16:00:00Z")):
        lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--env", "prod",
                "--approver", who, "--role", role, "--decided-at", at, "--evidence", "ML-14")
    lineage(repo, "record", "deployment", "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at", "2026-01-21T08:00:00Z")
    assert findings(repo) == {("four-eyes", STAGING, "critical")}
    v = values(pushed(repo, tmp_path / "mcps.json"), V110)
    assert v["approvalByEnvironment"] == ["prod: approved, retired", "staging: unapproved"]
    assert v["approvedEnvironments"] == ["prod"]
    assert v["approvalStatus"] == ["unapproved"]
