"""What the catalog shows after the governance facts change: corrections, retirements, and the
pushes after them (the quickstart demo, the CLI, a real DataHub Lite file read back)."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage.cli.main import app  # noqa: E402

runner = CliRunner()
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
V1 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
PROD_V2 = "urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,churn_v1.1.0_prod_20260120T080000Z,PROD)"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def push(repo: Path, *args: str) -> dict[str, Any]:
    return json.loads(lineage("push", "-C", str(repo), "--json", *args).stdout)  # type: ignore[no-any-return]


def lite_get(repo: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite(lite_config(repo / ".lineage" / "datahub-lite.db", read_only=True),
                            read_only=True)
    try:
        return lite.get(urn, None) or {}
    finally:
        lite.close()


def tier_of(entity: dict[str, Any]) -> tuple[list[str], list[str]]:
    props = {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
             for p in entity["structuredProperties"]["properties"]}
    terms = [t["urn"] for t in entity["glossaryTerms"]["terms"]]
    return props.get("riskTier", []), terms


def test_retired_deployment_stays_out_of_service_after_later_pushes(quickstart_demo: Path
                                                                    ) -> None:
    repo = quickstart_demo
    assert lite_get(repo, PROD_V2)["mlModelDeploymentProperties"]["status"] == "IN_SERVICE"
    # retire it as `lineage record deployment --help` says: the same model, env and time
    lineage("record", "deployment", "-C", str(repo), "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at", "2026-02-01T00:00:00Z",
            "--endpoint", "https://models.example.com/churn", "--deployed-by", "deploy-bot")
    push(repo)
    assert lite_get(repo, PROD_V2)["mlModelDeploymentProperties"]["status"] == "OUT_OF_SERVICE"
    # one MCP per entity and aspect: a file that replays to one state
    out = repo / "all.mcps.json"
    push(repo, "--to", "datahub-file", str(out))
    keys = collections.Counter((m["entityUrn"], m["aspectName"])
                               for m in json.loads(out.read_text()))
    assert [k for k, n in keys.items() if n > 1] == []
    model = lite_get(repo, V2)["mlModelProperties"]
    assert model["deployments"].count(PROD_V2) == 1
    # an unrelated fact later: the deployment must not come back into service
    lineage("record", "document", "-C", str(repo), "--model", "churn@v1.1.0", "--type",
            "bias_report", "--uri", "https://docs.example.com/churn-bias.pdf")
    later = push(repo)
    assert later["written"] > 0
    assert lite_get(repo, PROD_V2)["mlModelDeploymentProperties"]["status"] == "OUT_OF_SERVICE"
    assert push(repo)["written"] == 0


def test_superseded_risk_assessment_no_longer_shows_its_tier(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    assert tier_of(lite_get(repo, GROUP)) == (["high"], ["urn:li:glossaryTerm:EUAIAct.High"])
    # the assessment of record was wrong: a correction (assessed the day before the date the
    # wrong one carries) supersedes it
    lineage("record", "assessment", "-C", str(repo), "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-01-02", "--id", "churn-2026-fix",
            "--purpose", "Rank retail customers by churn likelihood",
            "--prop", "supersedes=churn-2026")
    audit = json.loads(lineage("audit", "-C", str(repo), "--json", "--fail-on", "never").stdout)
    assert {f["tier"] for f in audit["findings"]} == {"limited"}
    push(repo)
    limited = (["limited"], ["urn:li:glossaryTerm:EUAIAct.Limited"])
    for urn in (GROUP, V1, V2):
        assert tier_of(lite_get(repo, urn)) == limited, urn
    group = lite_get(repo, GROUP)["mlModelGroupProperties"]["customProperties"]
    assert group["risk_assessment"] == "churn-2026-fix"
    # the superseded record is still there, whole, for the catalog's audit
    assert "risk_assessment.churn-2026" in group


def test_superseded_approval_and_alert_are_not_shown_as_current(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    # the staging approval of v1.1.0 was recorded with the wrong evidence: its approver
    # corrects it (only she may)
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.1.0", "--env",
            "staging", "--approver", "ada@example.com", "--role", "ml-lead",
            "--decided-at", "2026-01-14T10:00:00Z", "--evidence",
            "https://tracker.example.com/browse/ML-13", "--id",
            "churn-v1.1.0-staging-fix", "--prop", "supersedes=churn-v1.1.0-staging")
    # the drift alert on v1.0.0 was a false alarm: corrected as resolved
    lineage("record", "alert", "-C", str(repo), "--model", "churn@v1.0.0", "--metric", "psi",
            "--value", "0.31", "--threshold", "0.2", "--at", "2026-01-09T06:00:00Z",
            "--status", "resolved", "--id", "churn-psi-2026-01-09-fix",
            "--prop", "supersedes=churn-psi-2026-01-09")
    push(repo)
    v2 = lite_get(repo, V2)
    props = {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
             for p in v2["structuredProperties"]["properties"]}
    assert props["approvedBy"] == ["ada@example.com"]
    assert props["approvalRecordIds"] == ["churn-v1.1.0-staging-fix"]
    approvers = [o["owner"] for o in v2["ownership"]["owners"] if o.get("typeUrn")]
    assert approvers == ["urn:li:corpuser:ada@example.com"]
    # the evidence link shown is the correction's, not the superseded record's (beside the
    # links to the version's documents)
    links = [e["url"] for e in v2["institutionalMemory"]["elements"]
             if e["description"].startswith("Approval ")]
    assert links == ["https://tracker.example.com/browse/ML-13"], links
    summary = lite_get(repo, V1)["incidentsSummary"]
    assert summary["activeIncidents"] == []
    assert len(summary["resolvedIncidents"]) == 2


def without_web_page(repo: Path) -> None:
    """The demo's remote removed and harvested: a repository with no web page, whose
    document files are no links, so v1.1.0's only link is its approval's evidence."""
    import subprocess

    subprocess.run(["git", "remote", "remove", "origin"], cwd=repo, check=True)
    lineage("harvest", "-C", str(repo))


def test_an_aspect_no_longer_rendered_is_cleared_in_the_catalog(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    without_web_page(repo)
    push(repo)  # (a copied repository: its first push from here sends everything)
    links = lite_get(repo, V2)["institutionalMemory"]["elements"]
    assert [e["url"] for e in links] == ["https://tracker.example.com/browse/ML-12"]
    out = repo / "log.mcps.json"
    push(repo, "--to", "datahub-file", str(out))
    # corrected by an approval with no evidence link: v1.1.0 has no link left to show
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.1.0", "--env",
            "staging", "--approver", "ada@example.com", "--role", "ml-lead",
            "--decided-at", "2026-01-14T10:00:00Z", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging")
    assert push(repo, "--to", "datahub-file", str(out))["written"] > 0
    push(repo)
    assert lite_get(repo, V2).get("institutionalMemory", {"elements": []})["elements"] == []
    # the MCP file, an append-only log, replays to the same state
    last = [m for m in json.loads(out.read_text())
            if (m["entityUrn"], m["aspectName"]) == (V2, "institutionalMemory")][-1]
    assert last["aspect"]["json"]["elements"] == []
    assert push(repo)["written"] == 0


def job_approvals(repo: Path, deployment: str) -> dict[str, list[str]]:
    job = ("urn:li:dataJob:(urn:li:dataFlow:(dvc,deployments/churn,PROD),"
           f"{deployment})")
    entity = lite_get(repo, job)
    assert entity["subTypes"]["typeNames"] == ["Model Deployment"]
    return {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
            for p in entity.get("structuredProperties", {}).get("properties", [])}


def test_deployment_page_shows_the_approvals_that_count_for_it(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    push(repo)
    # v1.0.0 went to prod on 2026-01-07 after two prod approvals (2026-01-04)
    prod = job_approvals(repo, "churn_v1.0.0_prod_20260107T093000Z")
    assert prod["approvalStatus"] == ["approved"]
    assert prod["approvedBy"] == ["max@example.com", "rita@example.com"]
    assert prod["approvedEnvironments"] == ["prod"]
    assert prod["approvalRecordIds"] == ["churn-v1.0.0-prod", "churn-v1.0.0-prod-lead"]
    # v1.1.0 went to prod with no prod approval: unapproved, as the audit finds it; one decided
    # later does not count for it
    unapproved = {"approvalStatus": ["unapproved"]}
    assert job_approvals(repo, "churn_v1.1.0_prod_20260120T080000Z") == unapproved
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer",
            "--decided-at", "2026-01-25T10:00:00Z", "--evidence", "ML-20")
    push(repo)
    assert job_approvals(repo, "churn_v1.1.0_prod_20260120T080000Z") == unapproved


def owners(entity: dict[str, Any]) -> set[tuple[str, str]]:
    return {(o["owner"], o.get("typeUrn") or o["type"]) for o in entity["ownership"]["owners"]}


def test_one_person_is_one_corpuser_across_creator_approver_and_deployer(
        quickstart_demo: Path) -> None:
    repo = quickstart_demo
    push(repo)
    # Ada tagged churn@v1.1.0 (GTO: "Ada Lovelace <ada@example.com>") and approved it for
    # staging as ada@example.com: the catalog must show her once, in both roles
    assert owners(lite_get(repo, V2)) == {
        ("urn:li:corpuser:ada@example.com", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:ada@example.com", "urn:li:ownershipType:model_approver")}
    created = lite_get(repo, V2)["mlModelProperties"]["created"]
    assert created["actor"] == "urn:li:corpuser:ada@example.com"
    # Max Müller <max@example.com> moved v1.0.0 to prod (GTO) and approved it as max@example.com
    dep = ("urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,"
           "churn_v1.0.0_prod_20260107T093000Z,PROD)")
    assert owners(lite_get(repo, dep)) == {("urn:li:corpuser:max@example.com", "TECHNICAL_OWNER")}
    assert ("urn:li:corpuser:max@example.com", "urn:li:ownershipType:model_approver") in \
        owners(lite_get(repo, V1))


def test_an_approver_who_withdrew_is_not_listed_as_approving(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    push(repo)
    # rita approved v1.0.0 for prod on 2026-01-04 and withdrew (rejected) on 2026-01-06
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decision",
            "rejected", "--decided-at", "2026-01-06T10:00:00Z", "--evidence", "ML-9")
    push(repo)
    v1 = lite_get(repo, V1)
    props = {p["propertyUrn"].rsplit(".", 1)[1]: [v["string"] for v in p["values"]]
             for p in v1["structuredProperties"]["properties"]}
    # she still approves staging (another decision), max still approves prod; but prod, a
    # high-risk deployment, now has one approver where the policy requires two: the audit
    # (four-eyes) no longer grants it, and the catalog says what the audit says
    assert props["approvedBy"] == ["max@example.com", "rita@example.com"]
    assert props["approvedEnvironments"] == ["staging"]
    prod = job_approvals(repo, "churn_v1.0.0_prod_20260107T093000Z")
    assert prod["approvalStatus"] == ["unapproved"]
    assert prod["approvedBy"] == ["max@example.com"]
    job = lite_get(repo, "urn:li:dataJob:(urn:li:dataFlow:(dvc,deployments/churn,PROD),"
                         "churn_v1.0.0_prod_20260107T093000Z)")
    assert {o["owner"] for o in job["ownership"]["owners"] if o.get("typeUrn")} == \
        {"urn:li:corpuser:max@example.com"}


def test_a_full_push_also_clears_what_the_graph_no_longer_renders(quickstart_demo: Path
                                                                 ) -> None:
    repo = quickstart_demo
    without_web_page(repo)
    push(repo)
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.1.0", "--env",
            "staging", "--approver", "ada@example.com", "--role", "ml-lead",
            "--decided-at", "2026-01-14T10:00:00Z", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging")
    push(repo, "--full")
    assert lite_get(repo, V2).get("institutionalMemory", {"elements": []})["elements"] == []
    # and a file rewritten by --full holds no empty aspect it never had
    out = repo / "full.mcps.json"
    push(repo, "--to", "datahub-file", str(out), "--full")
    assert V2 not in {m["entityUrn"] for m in json.loads(out.read_text())
                      if m["aspectName"] == "institutionalMemory"}
