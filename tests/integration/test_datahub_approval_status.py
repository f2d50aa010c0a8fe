"""The approval a DataHub catalog shows is what `lineage audit` grants (docs/datahub.md,
"Approval status"): on the quickstart demo, ``churn@v1.1.0`` runs in prod with no approval and
in staging on its author's approval alone (critical ``deployment-approved`` and ``four-eyes``),
so it is not "approved" anywhere, whatever approvals are on record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

pytest.importorskip("datahub")

runner = CliRunner()
V110 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
PROD = "deployment:churn-prod-2026-01-20"
STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"


def lineage(repo: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code == 0, res.output
    return res.stdout


def pushed(repo: Path, out: Path) -> list[dict[str, Any]]:
    lineage(repo, "push", "--to", "datahub-file", str(out))
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def values(mcps: list[dict[str, Any]], urn: str) -> dict[str, list[str]]:
    """The structured property values an entity shows (its last ``structuredProperties``:
    the file is an append-only log)."""
    hits = [m["aspect"]["json"] for m in mcps
            if m["entityUrn"] == urn and m["aspectName"] == "structuredProperties"]
    return {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
            for p in (hits[-1]["properties"] if hits else [])}


def job_of(mcps: list[dict[str, Any]], deployment: str) -> str:
    for m in mcps:
        if m["aspectName"] == "dataJobInfo" and \
                m["aspect"]["json"]["customProperties"].get("lineage_id") == deployment:
            return str(m["entityUrn"])
    raise AssertionError(f"no proxy job for {deployment}")


def findings(repo: Path) -> set[tuple[str, str]]:
    """The approval findings of the audit (of the rules the policy leaves on)."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--json"])
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]
            if f["rule"] in ("deployment-approved", "four-eyes")}


def test_a_version_running_unapproved_is_not_approved(quickstart_demo: Path,
                                                      tmp_path: Path) -> None:
    repo = quickstart_demo
    assert findings(repo) == {("deployment-approved", PROD), ("four-eyes", STAGING)}
    mcps = pushed(repo, tmp_path / "mcps.json")
    v = values(mcps, V110)
    assert v["approvalStatus"] == ["unapproved"]
    assert v["approvalByEnvironment"] == ["prod: unapproved", "staging: unapproved"]
    assert "approvedEnvironments" not in v
    # who signed is still said: her approval is in force, four-eyes does not count it
    assert v["approvedBy"] == ["ada@example.com"]
    staging = values(mcps, job_of(mcps, STAGING))
    assert staging["approvalStatus"] == ["unapproved"]
    assert "approvedEnvironments" not in staging
    prod = values(mcps, job_of(mcps, PROD))
    assert prod == {"approvalStatus": ["unapproved"]}


def test_the_environments_the_audit_approves_are_approved(quickstart_demo: Path,
                                                          tmp_path: Path) -> None:
    """The two prod approvals the quickstart suggests, decided before the deployment: prod is
    approved, staging still is not, so the version as a whole is not."""
    repo = quickstart_demo
    for who, role, at in (("rita@example.com", "risk-officer", "2026-01-19T15:00:00Z"),
                          ("omar@example.com", "product-owner", "2026-01-19T16:00:00Z")):
        lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--env", "prod",
                "--approver", who, "--role", role, "--decided-at", at, "--evidence", "ML-14")
    assert findings(repo) == {("four-eyes", STAGING)}
    mcps = pushed(repo, tmp_path / "mcps.json")
    v = values(mcps, V110)
    assert v["approvalStatus"] == ["unapproved"]
    assert v["approvalByEnvironment"] == ["prod: approved", "staging: unapproved"]
    assert v["approvedEnvironments"] == ["prod"]
    assert values(mcps, job_of(mcps, PROD))["approvalStatus"] == ["approved"]


def test_a_policy_edited_since_the_last_push_changes_what_is_shown(
        quickstart_demo: Path, tmp_path: Path) -> None:
    """The verdict is the policy's: turning four-eyes off approves staging (its approval
    counts for deployment-approved) at the next push, though the store wrote nothing."""
    repo = quickstart_demo
    out = tmp_path / "mcps.json"
    assert values(pushed(repo, out), V110)["approvalByEnvironment"] == [
        "prod: unapproved", "staging: unapproved"]
    (repo / "lineage-policy.yaml").write_text("rules:\n  four-eyes:\n    enabled: false\n")
    assert findings(repo) == {("deployment-approved", PROD)}
    v = values(pushed(repo, out), V110)
    assert v["approvalByEnvironment"] == ["prod: unapproved", "staging: approved"]
    assert v["approvedEnvironments"] == ["staging"]
    assert v["approvalStatus"] == ["unapproved"]  # prod still runs without one
