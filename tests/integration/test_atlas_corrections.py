"""What Atlas shows after a correction supersedes a governance record (the quickstart demo,
`lineage push --to atlas` against the stand-in Atlas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from connectors.sinks.atlas.client import AtlasHttp
from lineage.cli.main import app
from tests.standins.atlas import AtlasStandin

runner = CliRunner()


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def entity(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    return atlas.entity_of(type_name, node + "@lineage")


def test_superseded_assessment_and_approval_are_not_current_in_atlas(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_High"]
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-01-02", "--id", "churn-2026-fix",
            "--purpose", "Rank retail customers by churn likelihood",
            "--prop", "supersedes=churn-2026")
    # ada corrects her own staging approval (its evidence was another ticket)
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "staging",
            "--approver", "ada@example.com", "--role", "ml-engineer", "--decided-at",
            "2026-01-14T10:00:00Z", "--evidence", "ML-13", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging")
    lineage("push", "--to", "atlas", "-C", repo)
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_Limited"]
    risk = group["businessAttributes"]["lineage_risk_assessment"]
    assert (risk["tier"], risk["assessmentId"]) == ("limited", "risk_assessment:churn-2026-fix")
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    assert [c["typeName"] for c in v2["classifications"]] == ["EUAIAct_Limited"]
    status = v2["businessAttributes"]["lineage_approval_status"]
    assert status["evidence"] == ["ML-13"]
    assert status["approvalIds"] == ["approval:churn-v1.1.0-staging-fix"]


def test_deployment_approval_status_counts_its_versions_approvals(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # v1.0.0 went to prod (GTO, 2026-01-07) after two prod approvals of the version
    prod = entity(atlas_env, "lineage_deployment", "deployment:churn:prod:2026-01-07T09:30:00Z")
    status = prod["businessAttributes"]["lineage_approval_status"]
    assert (status["status"], status["approvalCount"]) == ("approved", 2)
    assert status["approvers"] == ["max@example.com", "rita@example.com"]
    assert status["environments"] == ["prod"]
    # v1.1.0 went to prod with none: unapproved, also once a later approval is recorded
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer",
            "--decided-at", "2026-01-25T10:00:00Z", "--evidence", "ML-20")
    lineage("push", "--to", "atlas", "-C", repo)
    late = entity(atlas_env, "lineage_deployment", "deployment:churn-prod-2026-01-20")
    assert late["businessAttributes"]["lineage_approval_status"]["status"] == "unapproved"


def test_a_withdrawn_approval_is_not_counted(quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # rita approved v1.0.0 for prod on 2026-01-04 and withdrew (rejected) on 2026-01-06
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decision",
            "rejected", "--decided-at", "2026-01-06T10:00:00Z", "--evidence", "ML-9")
    lineage("push", "--to", "atlas", "-C", repo)
    prod = entity(atlas_env, "lineage_deployment", "deployment:churn:prod:2026-01-07T09:30:00Z")
    status = prod["businessAttributes"]["lineage_approval_status"]
    # the audit's verdict on the deployment (rita's rejection is the latest decision on record)
    assert (status["status"], status["approvalCount"]) == ("unapproved", 1)


def test_a_correction_clears_what_the_superseded_record_said(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # another tool keeps its own business metadata on the same version
    other = AtlasHttp(atlas_env.url, "admin", "pw")
    other.create_typedefs({"businessMetadataDefs": [{
        "name": "dq", "attributeDefs": [{
            "name": "owner", "typeName": "string", "isOptional": True, "cardinality": "SINGLE",
            "options": {"applicableEntityTypes": '["DataSet"]', "maxStrLength": "50"}}]}]})
    v2_guid = atlas_env.unique[("lineage_model_version", "model:churn@v1.1.0@lineage")]
    other.add_business_metadata(v2_guid, {"dq": {"owner": "data-quality"}})
    # the reassessment gives no Annex III area, rationale or review date: Atlas must not keep
    # the high-risk rationale of the record it supersedes next to the new tier
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-01-02", "--id", "churn-2026-fix",
            "--purpose", "Rank retail customers by churn likelihood",
            "--prop", "supersedes=churn-2026")
    # ada's staging approval was recorded against the wrong version: v1.1.0 has none now
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.0.0", "--env", "staging",
            "--approver", "ada@example.com", "--role", "ml-engineer", "--decided-at",
            "2026-01-14T10:00:00Z", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging")
    lineage("push", "--to", "atlas", "-C", repo)
    limited = {"tier": "limited", "assessor": "rita@example.com",
               "assessedAt": 1767312000000, "assessmentId": "risk_assessment:churn-2026-fix",
               "intendedPurpose": "Rank retail customers by churn likelihood"}
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    risk = dict(group["businessAttributes"]["lineage_risk_assessment"])
    assert isinstance(risk.pop("recordedAt"), int)  # when this store wrote the correction
    assert risk == limited
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    # (a limited-risk system owes a transparency notice: the version has none)
    assert v2["businessAttributes"]["lineage_risk_assessment"] == {
        **limited, "recordedAt": group["businessAttributes"]["lineage_risk_assessment"][
            "recordedAt"], "documentsMissing": ["transparency_notice"]}
    unapproved = {"status": "unapproved", "approvalCount": 0}
    assert v2["businessAttributes"]["lineage_approval_status"] == {
        **unapproved, "approvalByEnvironment": ["prod: unapproved", "staging: unapproved"]}
    staging = entity(atlas_env, "lineage_deployment", "deployment:churn:staging:2026-01-16T09:30:00Z")
    assert staging["businessAttributes"]["lineage_approval_status"] == unapproved
    assert v2["businessAttributes"]["dq"] == {"owner": "data-quality"}  # not ours: kept
    n = len(atlas_env.requests)
    lineage("push", "--to", "atlas", "-C", repo)
    assert atlas_env.requests[n:] == []


def test_a_full_push_removes_a_tier_and_attributes_this_store_never_recorded(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-01-02", "--id", "churn-2026-fix",
            "--purpose", "Rank retail customers by churn likelihood",
            "--prop", "supersedes=churn-2026")
    # what a CI job pushing from a fresh clone does: no record of what Atlas holds
    lineage("push", "--to", "atlas", "-C", repo, "-o", "full=true")
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_Limited"]
    risk = group["businessAttributes"]["lineage_risk_assessment"]
    assert "rationale" not in risk and "annexIIIArea" not in risk
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    assert [c["typeName"] for c in v2["classifications"]] == ["EUAIAct_Limited"]
    assert "rationale" not in v2["businessAttributes"]["lineage_risk_assessment"]
    n = len(atlas_env.requests)
    lineage("push", "--to", "atlas", "-C", repo)
    assert atlas_env.requests[n:] == []


def audit_tiers(repo: str) -> set[str]:
    """The tiers `lineage audit` gives the churn system's findings."""
    import json

    res = runner.invoke(app, ["audit", "--json", "-C", repo])
    return {f["tier"] for f in json.loads(res.stdout)["findings"]
            if f.get("tier") not in (None, "unassessed")}


def tier_in_atlas(atlas_env: AtlasStandin) -> tuple[list[str], str]:
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    risk = group["businessAttributes"]["lineage_risk_assessment"]
    return [c["typeName"] for c in group["classifications"]], risk["assessmentId"]


def test_a_same_day_lower_tier_does_not_lift_the_high_risk_tier(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # a second assessor files 'minimal' the same day as the high-risk assessment: the audit
    # keeps the stricter tier, whatever the ids; Atlas must show the same
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2026-01-03", "--id", "churn-2026-z")
    lineage("push", "--to", "atlas", "-C", repo)
    assert audit_tiers(repo) == {"high"}
    assert tier_in_atlas(atlas_env) == (["EUAIAct_High"], "risk_assessment:churn-2026")
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    assert [c["typeName"] for c in v2["classifications"]] == ["EUAIAct_High"]
    assert v2["businessAttributes"]["lineage_risk_assessment"]["tier"] == "high"



def test_a_correction_about_another_system_leaves_this_ones_records(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # records of the credit system that name churn's records as the ones they correct: a
    # record about another AI system corrects nothing here (as the audit reads them)
    lineage("record", "assessment", "-C", repo, "--group", "credit", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2026-01-05", "--id", "credit-2026",
            "--prop", "supersedes=churn-2026")
    lineage("record", "approval", "-C", repo, "--model", "credit@v1", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-05T10:00:00Z", "--id", "credit-v1-prod",
            "--prop", "supersedes=churn-v1.0.0-prod")
    lineage("push", "--to", "atlas", "-C", repo)
    assert audit_tiers(repo) == {"high"}
    assert tier_in_atlas(atlas_env) == (["EUAIAct_High"], "risk_assessment:churn-2026")
    prod = entity(atlas_env, "lineage_deployment", "deployment:churn:prod:2026-01-07T09:30:00Z")
    status = prod["businessAttributes"]["lineage_approval_status"]
    assert status["approvalIds"] == ["approval:churn-v1.0.0-prod",
                                     "approval:churn-v1.0.0-prod-lead"]
    credit = entity(atlas_env, "lineage_model", "model_group:credit")
    assert [c["typeName"] for c in credit["classifications"]] == ["EUAIAct_Minimal"]


def test_an_assessment_dated_in_the_future_sets_no_tier_yet(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # a 'minimal' reassessment filed ahead of its date has not been made yet: the audit keeps
    # the high-risk rules, and Atlas keeps showing the tier in force
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2099-01-01", "--id", "churn-2099")
    lineage("push", "--to", "atlas", "-C", repo)
    assert audit_tiers(repo) == {"high"}
    assert tier_in_atlas(atlas_env) == (["EUAIAct_High"], "risk_assessment:churn-2026")


def audit_failed(repo: str, rule: str) -> set[str]:
    import json

    res = runner.invoke(app, ["audit", "--json", "-C", repo])
    return {f["subject"] for f in json.loads(res.stdout)["findings"]
            if f["rule"] == rule and f.get("status", "failed") == "failed"}


def test_a_deployment_counts_no_approval_its_approver_withdrew(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    late = "deployment:churn-prod-2026-01-20"  # churn@v1.1.0 to prod, 2026-01-20T08:00Z
    # max approved v1.1.0 for every environment, then rejected it for prod; rita approved it
    # for prod, then rejected it under another spelling of her address: before the
    # deployment, both withdrew their approval (as the audit reads them)
    for args in (
            ("--approver", "max@example.com", "--role", "ml-lead",
             "--decided-at", "2026-01-18T10:00:00Z", "--id", "v110-max"),
            ("--env", "prod", "--approver", "max@example.com", "--role", "ml-lead",
             "--decision", "rejected", "--decided-at", "2026-01-19T10:00:00Z",
             "--id", "v110-prod-max-no"),
            ("--env", "prod", "--approver", "rita@example.com", "--role", "risk-officer",
             "--decided-at", "2026-01-19T12:00:00Z", "--id", "v110-prod-rita"),
            ("--env", "prod", "--approver", "Rita R <Rita@Example.com>", "--role",
             "risk-officer", "--decision", "rejected", "--decided-at", "2026-01-19T13:00:00Z",
             "--id", "v110-prod-rita-no")):
        lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", *args)
    lineage("push", "--to", "atlas", "-C", repo)
    assert late in audit_failed(repo, "deployment-approved")
    status = entity(atlas_env, "lineage_deployment", late)["businessAttributes"][
        "lineage_approval_status"]
    assert (status["status"], status["approvalCount"]) == ("unapproved", 0)
    # max approves again before the deployment: his latest word counts again
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-19T15:00:00Z", "--id", "v110-prod-max-yes")
    lineage("push", "--to", "atlas", "-C", repo)
    assert late not in audit_failed(repo, "deployment-approved")
    status = entity(atlas_env, "lineage_deployment", late)["businessAttributes"][
        "lineage_approval_status"]
    # one approver of a high-risk system: four-eyes still finds it, so the audit's verdict
    # stays unapproved; the approval counts
    assert late in audit_failed(repo, "four-eyes")
    assert (status["status"], status["approvalCount"]) == ("unapproved", 1)


def test_a_superseded_deployment_is_marked_and_carries_no_governance_status(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # a CD job recorded v1.1.0 to staging; it went to canary: the correction supersedes it
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "staging",
            "--deployed-at", "2026-01-22T08:00:00Z", "--id", "dep-wrong")
    lineage("push", "--to", "atlas", "-C", repo)
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "canary",
            "--deployed-at", "2026-01-22T08:00:00Z", "--id", "dep-fix",
            "--prop", "supersedes=dep-wrong")
    lineage("push", "--to", "atlas", "-C", repo)
    assert "deployment:dep-wrong" not in audit_failed(repo, "deployment-approved")
    wrong = entity(atlas_env, "lineage_deployment", "deployment:dep-wrong")
    # not counted as a deployment any more: no approval status, no risk attributes to search
    assert not wrong.get("businessAttributes")
    assert wrong["attributes"]["name"] == "churn@v1.1.0 in staging (superseded)"
    assert wrong["attributes"]["properties"]["supersededBy"] == "deployment:dep-fix"
    step = atlas_env.entities[atlas_env.unique[("lineage_deployment_step",
                                        "deployment:dep-wrong#deploy@lineage")]]
    assert step["attributes"]["name"] == "deploy churn@v1.1.0 to staging (superseded)"
    fix = entity(atlas_env, "lineage_deployment", "deployment:dep-fix")
    assert fix["businessAttributes"]["lineage_approval_status"]["status"] == "unapproved"
    n = len(atlas_env.requests)
    lineage("push", "--to", "atlas", "-C", repo)
    assert atlas_env.requests[n:] == []


def test_a_stage_or_alias_a_version_lost_leaves_it_in_atlas(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    import os
    import subprocess
    import sys

    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    v1 = entity(atlas_env, "lineage_model_version", "model:churn@v1.0.0")
    assert v1["attributes"]["stage"] == "prod"
    # v1.1.0 is promoted to prod: GTO no longer shows v1.0.0 in any stage
    gto = Path(sys.executable).parent / "gto"
    subprocess.run([str(gto), "assign", "churn", "--version", "v1.1.0", "--stage", "prod"],
                   cwd=repo, check=True, capture_output=True, env=os.environ)
    lineage("harvest", "-C", repo)
    lineage("push", "--to", "atlas", "-C", repo)
    v1 = entity(atlas_env, "lineage_model_version", "model:churn@v1.0.0")
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    assert not v1["attributes"].get("stage")
    assert v2["attributes"]["stage"] == "prod"


def test_a_superseded_approval_is_marked_where_it_still_links(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # ada's staging approval was recorded against the wrong version: it stays linked to
    # v1.1.0 in Atlas (a fact: it was recorded), so it says it no longer counts
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.0.0", "--env", "staging",
            "--approver", "ada@example.com", "--role", "ml-engineer", "--decided-at",
            "2026-01-14T10:00:00Z", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging")
    lineage("push", "--to", "atlas", "-C", repo)
    old = entity(atlas_env, "lineage_approval", "approval:churn-v1.1.0-staging")
    assert old["attributes"]["name"] == "approved by ada@example.com (superseded)"
    assert old["attributes"]["properties"]["supersededBy"] == \
        "approval:churn-v1.1.0-staging-fix"
    fix = entity(atlas_env, "lineage_approval", "approval:churn-v1.1.0-staging-fix")
    assert fix["attributes"]["name"] == "approved by ada@example.com"


def test_a_cd_job_with_a_fresh_store_leaves_the_governance_it_does_not_know(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    before = {n: entity(atlas_env, t, n) for t, n in (
        ("lineage_model", "model_group:churn"), ("lineage_model_version", "model:churn@v1.1.0"))}
    # a CD job in a fresh clone records its deployment and pushes: the version and the model
    # are only named by that record in its store (placeholders); it knows nothing of their
    # tier, assessment or approvals and must not wipe them
    cd = tmp_path / "cd"
    subprocess.run(["git", "clone", "-q", repo, str(cd)], check=True)
    lineage("init", "-C", str(cd))
    lineage("record", "deployment", "-C", str(cd), "--model", "churn@v1.1.0", "--env",
            "canary", "--deployed-at", "2026-01-25T00:00:00Z", "--id", "churn-canary")
    lineage("push", "--to", "atlas", "-C", str(cd))
    for node, was in before.items():
        now = entity(atlas_env, was["typeName"], node)
        assert [c["typeName"] for c in now["classifications"]] == \
            [c["typeName"] for c in was["classifications"]] == ["EUAIAct_High"]
        assert now["businessAttributes"] == was["businessAttributes"]
        # nor mark them as only named by a record: the version was harvested and described
        assert now["attributes"] == was["attributes"]
    canary = entity(atlas_env, "lineage_deployment", "deployment:churn-canary")
    assert canary["relationshipAttributes"]["modelVersion"]["guid"] == before[
        "model:churn@v1.1.0"]["guid"]
    # the deployment retired later: the version is referenced again, still left as it is
    lineage("record", "deployment", "-C", str(cd), "--model", "churn@v1.1.0", "--env",
            "canary", "--deployed-at", "2026-01-25T00:00:00Z", "--retired-at",
            "2026-01-26T00:00:00Z")
    lineage("push", "--to", "atlas", "-C", str(cd))
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    assert v2["attributes"] == before["model:churn@v1.1.0"]["attributes"]
    assert entity(atlas_env, "lineage_deployment", "deployment:churn-canary")["attributes"][
        "retiredAt"]


def test_a_fresh_store_that_reassessed_a_system_it_only_names_replaces_its_tier(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # a governance job in a fresh clone records the yearly reassessment and pushes: it only
    # names the system, but the tier it records is the one in force: one tier, not two
    job = tmp_path / "job"
    subprocess.run(["git", "clone", "-q", repo, str(job)], check=True)
    lineage("init", "-C", str(job))
    lineage("record", "assessment", "-C", str(job), "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-02-01", "--id", "churn-2026-02")
    lineage("push", "--to", "atlas", "-C", str(job))
    assert tier_in_atlas(atlas_env) == (["EUAIAct_Limited"], "risk_assessment:churn-2026-02")
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert "rationale" not in group["businessAttributes"]["lineage_risk_assessment"]


def test_approvals_dated_in_the_future_do_not_approve_a_deployment(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # a deployment and its approvals all dated years ahead: a claim about the future is no
    # evidence (as the audit reads it); Atlas must not show the deployment approved
    for who, role in (("rita@example.com", "risk-officer"), ("max@example.com", "ml-lead")):
        lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
                "--approver", who, "--role", role, "--decided-at", "2099-01-01T00:00:00Z")
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2099-06-01T00:00:00Z", "--id", "churn-prod-2099")
    lineage("push", "--to", "atlas", "-C", repo)
    assert "deployment:churn-prod-2099" in audit_failed(repo, "deployment-approved")
    status = entity(atlas_env, "lineage_deployment", "deployment:churn-prod-2099")[
        "businessAttributes"]["lineage_approval_status"]
    assert status["approvalCount"] == 0
