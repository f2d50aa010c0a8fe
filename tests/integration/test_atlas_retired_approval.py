"""What Atlas's ``lineage_approval_status`` says of a version where it ran and runs no more
(docs/atlas.md, "Business metadata"): the audit's verdict on the deployments it had there, as
DataHub's ``approvalStatus`` and ``approvedEnvironments`` say it (docs/datahub.md, "Approval
status"). A deployment's approval is decided when it is made; retiring it leaves the audit's
finding on it in place. The quickstart demo, retired by GTO stage tags, pushed to the Atlas
stand-in and to a DataHub file.

The demo's ``churn@v1.1.0`` runs in prod (a record, 2026-01-20, no approval) and in staging
(tag ``churn#staging#3``, 2026-01-16) on its author's approval alone, which four-eyes does
not count at the high tier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.standins.atlas import AtlasStandin

pytest.importorskip("datahub")

runner = CliRunner()
V110 = "model:churn@v1.1.0"
V110_URN = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
PROD = "deployment:churn-prod-2026-01-20"
STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"
CANARY = "deployment:churn:canary:2026-01-17T09:00:00Z"


def lineage(repo: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code == 0, res.output
    return res.stdout


def gto_tag(demo: Path, tag: str, version: str, day: int, hour: int, message: str) -> None:
    """A GTO tag as GTO writes one: annotated, on the commit the version's tag names, dated
    2026-01-<day>T<hour>:00Z (a :class:`GitRepo` dates its next tag by its tick)."""
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = demo, (day - 1) * 24 + hour - 1
    repo.tag(tag, message, ref=f"{version}^{{commit}}")


def approve(repo: Path, who: str, role: str, at: str, *env: str) -> None:
    lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--approver", who,
            "--role", role, "--decided-at", at, "--evidence", "ML-14", *env)


def findings(repo: Path) -> set[tuple[str, str]]:
    """The audit's approval findings: rule, subject."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--json"])
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]
            if f["rule"] in ("deployment-approved", "four-eyes")}


def states(repo: Path) -> dict[str, str]:
    """Deployment → its state, as ``lineage show`` reads it (live, retired …)."""
    show = json.loads(lineage(repo, "show", "churn@v1.1.0", "--json"))
    return {d["id"]: d["state"].split()[0] for d in show["governance"]["deployments"]}


def atlas_status(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    entity = atlas.entity_of(type_name, node + "@lineage")
    return entity["businessAttributes"]["lineage_approval_status"]  # type: ignore[no-any-return]


def datahub_values(repo: Path, out: Path) -> dict[str, list[str]]:
    """v1.1.0's approval structured properties in a DataHub push (its last
    ``structuredProperties``: the file is an append-only log)."""
    lineage(repo, "push", "--to", "datahub-file", str(out))
    hits = [m["aspect"]["json"] for m in json.loads(out.read_text())
            if m["entityUrn"] == V110_URN and m["aspectName"] == "structuredProperties"]
    got = {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
           for p in hits[-1]["properties"]}
    return {k: x for k, x in got.items() if k.startswith("approv")}


def same_as_datahub(atlas: dict[str, Any], datahub: dict[str, list[str]]) -> None:
    assert [atlas["status"]] == datahub["approvalStatus"]
    assert atlas.get("environments", []) == datahub.get("approvedEnvironments", [])


def test_a_retired_deployment_that_failed_four_eyes_leaves_the_version_unapproved(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    """Two prod approvals, so the live prod deployment passes; then ``churn#staging#4`` gives
    staging back to v1.0.0: v1.1.0's staging deployment, refused by four-eyes, is retired.
    Atlas must not call v1.1.0 approved (its live deployments all are) nor approved for
    staging (its author's approval there is in force)."""
    repo = quickstart_demo
    approve(repo, "rita@example.com", "risk-officer", "2026-01-19T15:00:00Z", "--env", "prod")
    approve(repo, "omar@example.com", "product-owner", "2026-01-19T16:00:00Z", "--env", "prod")
    gto_tag(repo, "churn#staging#4", "churn@v1.0.0", 21, 9, "Deploy churn v1.0.0 to staging")
    lineage(repo, "harvest")
    assert findings(repo) == {("four-eyes", STAGING)}
    assert {d: s for d, s in states(repo).items() if d in (PROD, STAGING)} == {
        PROD: "live", STAGING: "retired"}

    lineage(repo, "push", "--to", "atlas")
    version = atlas_status(atlas_env, "lineage_model_version", V110)
    assert version["status"] == "unapproved"
    assert version["environments"] == ["prod"]
    # the approvals are still listed: all three in force, four-eyes counts ada's for none
    assert version["approvers"] == ["ada@example.com", "omar@example.com", "rita@example.com"]
    datahub = datahub_values(repo, tmp_path / "mcps.json")
    assert datahub["approvalByEnvironment"] == ["prod: approved", "staging: unapproved, retired"]
    same_as_datahub(version, datahub)
    # per environment, in Atlas's shape: the retired deployment keeps the audit's verdict
    staging = atlas_env.entity_of("lineage_deployment", STAGING + "@lineage")
    assert staging["attributes"]["properties"]["auditState"] == "retired"
    assert staging["businessAttributes"]["lineage_approval_status"]["status"] == "unapproved"

    # prod retired too: v1.1.0 runs nowhere, and the latest approval in force (omar's, for
    # prod) does not make it approved while the audit refuses the staging deployment it had
    lineage(repo, "record", "deployment", "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at", "2026-01-21T08:00:00Z",
            "--id", "churn-prod-2026-01-20")
    assert states(repo)[PROD] == "retired"
    lineage(repo, "push", "--to", "atlas")
    version = atlas_status(atlas_env, "lineage_model_version", V110)
    assert (version["status"], version["environments"]) == ("unapproved", ["prod"])
    datahub = datahub_values(repo, tmp_path / "mcps-2.json")
    assert datahub["approvalByEnvironment"] == ["prod: approved, retired",
                                                "staging: unapproved, retired"]
    same_as_datahub(version, datahub)


def test_a_retired_deployment_the_audit_approved_keeps_its_environment_approved(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    """Two approvals for every environment, decided before any deployment of v1.1.0, so
    each passes the audit; ``churn#canary#4`` deploys it to canary and ``churn#canary!#5``
    unassigns it. No approval names canary: the audit's verdict on the deployment v1.1.0
    had there is what makes canary one of its approved environments."""
    repo = quickstart_demo
    approve(repo, "rita@example.com", "risk-officer", "2026-01-15T15:00:00Z")
    approve(repo, "omar@example.com", "product-owner", "2026-01-15T16:00:00Z")
    gto_tag(repo, "churn#canary#4", "churn@v1.1.0", 17, 9, "Deploy churn v1.1.0 to canary")
    gto_tag(repo, "churn#canary!#5", "churn@v1.1.0", 18, 9, "Unassign churn from canary")
    lineage(repo, "harvest")
    assert findings(repo) == set()
    assert {d: s for d, s in states(repo).items() if d in (PROD, STAGING, CANARY)} == {
        PROD: "live", STAGING: "live", CANARY: "retired"}

    lineage(repo, "push", "--to", "atlas")
    version = atlas_status(atlas_env, "lineage_model_version", V110)
    assert version["status"] == "approved"
    assert version["environments"] == ["canary", "prod", "staging"]
    datahub = datahub_values(repo, tmp_path / "mcps.json")
    assert datahub["approvalByEnvironment"] == ["canary: approved, retired", "prod: approved",
                                                "staging: approved"]
    same_as_datahub(version, datahub)
    canary = atlas_env.entity_of("lineage_deployment", CANARY + "@lineage")
    assert canary["attributes"]["properties"]["auditState"] == "retired"
    assert canary["businessAttributes"]["lineage_approval_status"]["status"] == "approved"
