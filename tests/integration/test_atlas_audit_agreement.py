"""The governance Atlas shows (tier, approval status, corrections, record times) is what
`lineage audit` and `lineage show` read: the quickstart demo, `lineage push --to atlas`
against the stand-in Atlas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.standins.atlas import AtlasStandin

runner = CliRunner()
LATE = "deployment:churn-prod-2026-01-20"  # churn@v1.1.0 to prod, 2026-01-20T08:00Z


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def entity(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    return atlas.entity_of(type_name, node + "@lineage")


def audit_failed(repo: str, rule: str) -> set[str]:
    res = runner.invoke(app, ["audit", "--json", "-C", repo])
    return {f["subject"] for f in json.loads(res.stdout)["findings"] if f["rule"] == rule}


def show(repo: str, node: str) -> dict[str, Any]:
    """What `lineage show --json` says the audit reads of a version or deployment."""
    out = json.loads(lineage("show", node, "--json", "-C", repo).stdout)
    return out["governance"]  # type: ignore[no-any-return]


def test_a_correction_dated_ahead_leaves_the_live_deployment_and_the_tier_in_force(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # records dated years after they were written that name the live prod deployment and the
    # assessment in force as the ones they correct: the audit takes no correction from the
    # future (the deployment still runs, the high-risk rules still apply); Atlas must not
    # drop the deployment's governance status nor the system's tier
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2099-01-01T00:00:00Z", "--id", "churn-prod-2099",
            "--prop", "supersedes=churn-prod-2026-01-20")
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2099-01-01", "--id", "churn-2099",
            "--prop", "supersedes=churn-2026")
    lineage("push", "--to", "atlas", "-C", repo)
    assert LATE in audit_failed(repo, "deployment-approved")
    assert show(repo, "model:churn@v1.1.0")["risk"]["tier"] == "high"
    late = entity(atlas_env, "lineage_deployment", LATE)
    assert "(superseded)" not in late["attributes"]["name"]
    assert late["businessAttributes"]["lineage_approval_status"]["status"] == "unapproved"
    assert late["businessAttributes"]["lineage_risk_assessment"]["tier"] == "high"
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_High"]
    assert group["businessAttributes"]["lineage_risk_assessment"]["assessmentId"] == \
        "risk_assessment:churn-2026"


def test_a_correction_recorded_before_the_approval_it_names_corrects_nothing(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # max's approval names rita's as the one it corrects before rita's was recorded (an id
    # guessed ahead): it corrects nothing, both count and the prod deployment has its two
    # approvers, as the audit reads it
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-19T10:00:00Z", "--id", "v110-prod-max",
            "--prop", "supersedes=v110-prod-rita")
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-19T12:00:00Z", "--id", "v110-prod-rita")
    lineage("push", "--to", "atlas", "-C", repo)
    assert LATE not in audit_failed(repo, "deployment-approved")
    approvals = {a["id"]: a["status"] for a in show(repo, LATE)["approvals"]}
    assert approvals["approval:v110-prod-rita"] == "in force"
    status = entity(atlas_env, "lineage_deployment", LATE)["businessAttributes"][
        "lineage_approval_status"]
    assert (status["status"], status["approvalCount"]) == ("approved", 2)
    assert status["approvers"] == ["max@example.com", "rita@example.com"]
    rita = entity(atlas_env, "lineage_approval", "approval:v110-prod-rita")
    assert rita["attributes"]["name"] == "approved by rita@example.com"


def test_records_show_when_the_store_wrote_them(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    import time

    repo = str(quickstart_demo)
    before = int(time.time() * 1000) - 1000
    # records written today about decisions dated in January: an auditor tells a decision
    # recorded when it was made from one written down months later by when it was recorded
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-19T12:00:00Z", "--id", "v110-prod-rita")
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "high",
            "--assessor", "rita@example.com", "--date", "2026-01-10", "--id", "churn-2026-b",
            "--purpose", "Rank retail customers by churn likelihood")
    lineage("record", "alert", "-C", repo, "--model", "churn@v1.1.0", "--metric", "psi",
            "--value", "0.25", "--threshold", "0.2", "--at", "2026-01-22T06:00:00Z",
            "--id", "churn-psi-2026-01-22")
    lineage("record", "retraining", "-C", repo, "--trigger", "drift", "--reason",
            "PSI 0.25", "--previous", "churn@v1.0.0", "--new", "churn@v1.1.0",
            "--at", "2026-01-13T00:00:00Z", "--id", "churn-retrain-b",
            "--alert", "churn-psi-2026-01-09")
    after = int(time.time() * 1000) + 1000
    lineage("push", "--to", "atlas", "-C", repo)

    def today(ms: Any) -> bool:
        return isinstance(ms, int) and before <= ms <= after

    rita = entity(atlas_env, "lineage_approval", "approval:v110-prod-rita")
    assert today(rita["attributes"]["recordedAt"])
    assert rita["attributes"]["decidedAt"] < before
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    risk = group["businessAttributes"]["lineage_risk_assessment"]
    assert risk["assessmentId"] == "risk_assessment:churn-2026-b"
    assert today(risk["recordedAt"])
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    retraining = v2["businessAttributes"]["lineage_retraining"]
    assert retraining["retrainingId"] == "retraining:churn-retrain-b"
    assert today(retraining["recordedAt"])
    alert = v2["attributes"]["alerts"]["churn-psi-2026-01-22"]
    assert "at=2026-01-22T06:00:00Z" in alert and " recorded=2026-" in alert
    # the demo's deployment recorded by its CD job: when it was recorded too
    late = entity(atlas_env, "lineage_deployment", LATE)
    assert isinstance(late["attributes"]["recordedAt"], int)


def test_a_server_with_the_earlier_typedefs_takes_the_record_times(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    import copy

    from connectors.sinks.atlas.client import AtlasHttp
    from connectors.sinks.atlas.typesystem import load_typedefs

    repo = str(quickstart_demo)
    # an Atlas that an earlier version of lineage set up: the same types without recordedAt
    earlier = copy.deepcopy(load_typedefs())
    for category in ("entityDefs", "businessMetadataDefs"):
        for d in earlier[category]:
            d["attributeDefs"] = [a for a in d["attributeDefs"] if a["name"] != "recordedAt"]
    AtlasHttp(atlas_env.url, "admin", "pw").create_typedefs(earlier)
    res = lineage("push", "--to", "atlas", "-C", repo, "--json")
    assert json.loads(res.stdout)["typedefs"] == "updated"
    approval = entity(atlas_env, "lineage_approval", "approval:churn-v1.0.0-prod")
    assert isinstance(approval["attributes"]["recordedAt"], int)
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert isinstance(group["businessAttributes"]["lineage_risk_assessment"]["recordedAt"], int)


def test_a_fresh_store_that_knows_one_approval_of_a_version_it_names_leaves_its_status(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    v1 = "model:churn@v1.0.0"
    before = entity(atlas_env, "lineage_model_version", v1)["businessAttributes"][
        "lineage_approval_status"]
    assert before["approvalCount"] >= 2
    # a release job in a fresh clone records one more approval of v1.0.0 and pushes: its
    # store knows that one approval of the version only; the status the store that holds
    # them all pushed must stay (one approval of three is not the version's status)
    job = tmp_path / "job"
    subprocess.run(["git", "clone", "-q", repo, str(job)], check=True)
    lineage("init", "-C", str(job))
    lineage("record", "approval", "-C", str(job), "--model", "churn@v1.0.0", "--env",
            "canary", "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-25T10:00:00Z", "--id", "v100-canary-max")
    lineage("push", "--to", "atlas", "-C", str(job))
    assert entity(atlas_env, "lineage_model_version", v1)["businessAttributes"][
        "lineage_approval_status"] == before
    # and deploys it: the deployment names the version, still known by name only
    lineage("record", "deployment", "-C", str(job), "--model", "churn@v1.0.0", "--env",
            "canary", "--deployed-at", "2026-01-26T00:00:00Z", "--id", "v100-canary")
    lineage("push", "--to", "atlas", "-C", str(job))
    after = entity(atlas_env, "lineage_model_version", v1)["businessAttributes"][
        "lineage_approval_status"]
    assert after == before
    # the approval itself is in Atlas, linked to the version; the deployment approved by it
    new = entity(atlas_env, "lineage_approval", "approval:v100-canary-max")
    assert new["relationshipAttributes"]["approvedVersions"]
    canary = entity(atlas_env, "lineage_deployment", "deployment:v100-canary")
    assert canary["businessAttributes"]["lineage_approval_status"]["approvalIds"] == [
        "approval:v100-canary-max"]


def test_a_fresh_clone_that_lacks_an_approval_leaves_the_fuller_status_in_atlas(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    repo = str(quickstart_demo)
    # max's approval of v1.1.0 for prod is recorded in this store only (no governance file)
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-19T10:00:00Z", "--id", "v110-prod-max")
    lineage("push", "--to", "atlas", "-C", repo)
    v2 = "model:churn@v1.1.0"

    def status(node: str = v2, type_name: str = "lineage_model_version") -> dict[str, Any]:
        return entity(atlas_env, type_name, node)["businessAttributes"][  # type: ignore[no-any-return]
            "lineage_approval_status"]

    before, late = status(), status(LATE, "lineage_deployment")
    assert "approval:v110-prod-max" in before["approvalIds"]
    assert late["approvalIds"] == ["approval:v110-prod-max"]
    # a CI job harvests a fresh clone and pushes: it knows the approvals in the repository's
    # files, not max's; what it does not know must not replace what Atlas shows
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", repo, str(ci)], check=True)
    lineage("init", "-C", str(ci))
    lineage("harvest", "-C", str(ci))
    res = lineage("push", "--to", "atlas", "-C", str(ci))
    assert status() == before
    # and says what it left (a partial store's push is no silent half)
    said = " ".join(res.stderr.split())
    assert "warning:" in said and "lineage_approval_status on model:churn@v1.1.0" in said, said
    assert status(LATE, "lineage_deployment") == late
    # the store that knows them all pushes again: nothing changed in Atlas, nothing to send
    n = len(atlas_env.requests)
    lineage("push", "--to", "atlas", "-C", repo)
    assert status() == before and atlas_env.requests[n:] == []
    # --full is the way to make one store's reading the one Atlas shows (a store that
    # recorded approvals is gone): the status it knows replaces the other
    lineage("push", "--to", "atlas", "-C", str(ci), "--full")
    assert "approval:v110-prod-max" not in status()["approvalIds"]
    assert status(LATE, "lineage_deployment") == {"status": "unapproved", "approvalCount": 0}


def test_an_alert_says_what_followed_it_up_as_the_audit_reads_it(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # an open drift alert on v2 that a retraining dated before it names as its trigger:
    # not a follow-up (monitoring-active); the demo's January alert was followed up
    lineage("record", "alert", "-C", repo, "--model", "churn@v1.1.0", "--metric", "psi",
            "--value", "0.4", "--threshold", "0.2", "--at", "2026-01-23T06:00:00Z",
            "--id", "churn-psi-2026-01-23", "--description", "PSI of tenure above 0.2")
    lineage("record", "retraining", "-C", repo, "--trigger", "drift", "--reason", "PSI",
            "--previous", "churn@v1.0.0", "--new", "churn@v1.1.0",
            "--at", "2026-01-22T00:00:00Z", "--id", "too-early",
            "--alert", "churn-psi-2026-01-23")
    lineage("push", "--to", "atlas", "-C", repo)
    facts = {a["id"]: a for a in show(repo, "model:churn@v1.1.0")["alerts"]}
    assert facts["alert:churn-psi-2026-01-23"]["follow_up"] == []
    assert "model:churn@v1.1.0" in audit_failed(repo, "monitoring-active")
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")["attributes"]["alerts"]
    assert "follow_up=" not in v2["churn-psi-2026-01-23"]
    assert v2["churn-psi-2026-01-23"].endswith(" — PSI of tenure above 0.2")
    v1 = entity(atlas_env, "lineage_model_version", "model:churn@v1.0.0")["attributes"]["alerts"]
    assert " follow_up=retraining:churn-v1.1.0" in v1["churn-psi-2026-01-09"]


def test_an_approval_its_approver_withdrew_says_so(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    # rita approved v1.1.0 for prod, then rejected it: her approval no longer counts
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-19T12:00:00Z", "--id", "v110-prod-rita")
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "Rita R <rita@example.com>", "--role", "risk-officer",
            "--decision", "rejected", "--decided-at", "2026-01-19T13:00:00Z",
            "--id", "v110-prod-rita-no")
    lineage("push", "--to", "atlas", "-C", repo)
    facts = {a["id"]: a for a in show(repo, "model:churn@v1.1.0")["approvals"]}
    assert facts["approval:v110-prod-rita"]["status"] == "withdrawn"
    rita = entity(atlas_env, "lineage_approval", "approval:v110-prod-rita")["attributes"]
    assert rita["name"] == "approved by rita@example.com (withdrawn)"
    assert rita["properties"]["withdrawnBy"] == "approval:v110-prod-rita-no"
    no = entity(atlas_env, "lineage_approval", "approval:v110-prod-rita-no")["attributes"]
    assert no["name"] == "rejected by Rita R <rita@example.com>"
    # an approval in force says nothing more
    ada = entity(atlas_env, "lineage_approval", "approval:churn-v1.1.0-staging")["attributes"]
    assert ada["name"] == "approved by ada@example.com" and "withdrawnBy" not in \
        ada["properties"]


def test_a_fresh_clone_that_lacks_a_reassessment_leaves_the_tier_in_atlas(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    repo = str(quickstart_demo)
    # the yearly reassessment and a retraining are recorded in this store only (no file)
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "limited",
            "--assessor", "rita@example.com", "--date", "2026-02-01", "--id", "churn-2026-02")
    lineage("record", "retraining", "-C", repo, "--trigger", "schedule", "--reason",
            "monthly", "--previous", "churn@v1.0.0", "--new", "churn@v1.1.0",
            "--at", "2026-01-13T00:00:00Z", "--id", "churn-retrain-b")
    lineage("push", "--to", "atlas", "-C", repo)
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_Limited"]
    v2 = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")["businessAttributes"]
    # a CI job harvests a fresh clone and pushes: it knows the 2026-01-03 assessment and the
    # retraining in the repository's files only; the later ones stay what Atlas shows
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", repo, str(ci)], check=True)
    lineage("init", "-C", str(ci))
    lineage("harvest", "-C", str(ci))
    lineage("push", "--to", "atlas", "-C", str(ci))
    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_Limited"]
    assert group["businessAttributes"]["lineage_risk_assessment"]["assessmentId"] == \
        "risk_assessment:churn-2026-02"
    after = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")["businessAttributes"]
    # the version, deployed under the high assessment both stores know, is held to it
    # (recordedAt: each store's own time of writing it)
    assert v2["lineage_risk_assessment"]["assessmentId"] == "risk_assessment:churn-2026"
    assert {k: x for k, x in after["lineage_risk_assessment"].items() if k != "recordedAt"} \
        == {k: x for k, x in v2["lineage_risk_assessment"].items() if k != "recordedAt"}
    assert after["lineage_retraining"] == v2["lineage_retraining"]


def test_a_store_that_sent_a_status_for_a_version_it_only_names_leaves_it(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    import subprocess

    from connectors.sinks.atlas.sink import namespace
    from lineage import api
    from lineage.serialize import dumps_str

    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    v1 = "model:churn@v1.0.0"
    before = entity(atlas_env, "lineage_model_version", v1)["businessAttributes"]
    job = tmp_path / "job"
    subprocess.run(["git", "clone", "-q", repo, str(job)], check=True)
    lineage("init", "-C", str(job))
    lineage("record", "approval", "-C", str(job), "--model", "churn@v1.0.0", "--env",
            "canary", "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-25T10:00:00Z", "--id", "v100-canary-max")
    lineage("push", "--to", "atlas", "-C", str(job))
    # what an earlier version of lineage remembered after sending this store's partial
    # status for the version: the store no longer sends one, and must not remove the status
    # Atlas shows (the full one, from the store that harvested the version)
    store = api.open_store(job)
    try:
        store.state_put_many(namespace(atlas_env.url), [
            ("b|" + v1 + "@lineage", "sent-before"),
            ("a|" + v1 + "@lineage", dumps_str({"lineage_approval_status": [
                "approvalCount", "approvalIds", "approvers", "status"]}))])
    finally:
        store.close()
    lineage("push", "--to", "atlas", "-C", str(job))
    assert entity(atlas_env, "lineage_model_version", v1)["businessAttributes"] == before


def test_a_deployment_says_whether_the_audit_takes_it_as_live(quickstart_demo: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from connectors.sinks.atlas.render import audit_context, render_graph
    from lineage import api

    repo = str(quickstart_demo)
    soon = datetime.now(UTC) + timedelta(days=1)
    # canary was retired the day after it went out; shadow's record claims a retirement
    # ahead of its writing: a claim about the future, so the audit keeps taking it as live
    # (it needs monitoring) also once that date has passed
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "canary",
            "--deployed-at", "2026-01-22T00:00:00Z", "--retired-at", "2026-01-23T00:00:00Z",
            "--id", "canary")
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "shadow",
            "--deployed-at", "2026-01-22T00:00:00Z", "--retired-at",
            soon.isoformat().replace("+00:00", "Z"), "--id", "shadow")
    later = soon + timedelta(days=1)
    store = api.open_store(quickstart_demo)
    try:
        graph = store.load_graph()
        audit = audit_context(store, now=later)
        items = {i["qualifiedName"]: i for i in render_graph(graph, audit=audit)}
        facts = {d["id"]: d["state"] for d in audit.explain(
            audit.version_of("model:churn@v1.1.0"))["deployments"]}
    finally:
        store.close()
    assert (facts["deployment:canary"], facts["deployment:shadow"]) == ("retired", "live")

    def state(node: str) -> str:
        return items[node + "@lineage"]["entity"]["attributes"]["properties"]["auditState"]  # type: ignore[no-any-return]

    assert (state("deployment:canary"), state("deployment:shadow")) == ("retired", "live")
    assert state(LATE) == "live"


def test_a_version_names_the_documents_its_tier_still_needs(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("push", "--to", "atlas", "-C", repo)
    # v1.1.0 (high risk) has no bias report: high-risk-docs fails, lineage show names it
    assert show(repo, "model:churn@v1.1.0")["documents_missing"] == ["bias_report"]
    assert "model:churn@v1.1.0" in audit_failed(repo, "high-risk-docs")
    def risk(node: str) -> dict[str, Any]:
        return entity(atlas_env, "lineage_model_version", node)["businessAttributes"][  # type: ignore[no-any-return]
            "lineage_risk_assessment"]

    assert risk("model:churn@v1.1.0")["documentsMissing"] == ["bias_report"]
    assert "documentsMissing" not in risk("model:churn@v1.0.0")
    # once filed, the attribute goes
    lineage("record", "document", "-C", repo, "--model", "churn@v1.1.0", "--doc-kind",
            "bias_report", "--uri", "docs/bias_report.md", "--id", "churn-v1.1.0-bias")
    lineage("push", "--to", "atlas", "-C", repo)
    assert "documentsMissing" not in risk("model:churn@v1.1.0")
    assert "model:churn@v1.1.0" not in audit_failed(repo, "high-risk-docs")


def test_a_document_of_a_repository_file_is_pinned_as_datahub_links_it(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    """A document record naming a file of the repository pins its content: Atlas carries the
    first commit holding that content and the file's page at that commit, the link DataHub
    shows, and the commit is the Atlas entity of that commit. A correction clears both."""
    import hashlib
    import subprocess

    repo = str(quickstart_demo)
    web = "https://github.com/example-org/churn-model"
    lineage("push", "--to", "atlas", "-C", repo)
    mcps_file = tmp_path / "mcps.json"
    lineage("push", "--to", "datahub-file", str(mcps_file), "-C", repo)
    mcps = json.loads(mcps_file.read_text())

    def datahub_links(urn: str) -> set[str]:
        mem = [m["aspect"]["json"] for m in mcps
               if m["entityUrn"] == urn and m["aspectName"] == "institutionalMemory"]
        return {e["url"] for e in mem[-1]["elements"] if e["url"].startswith(f"{web}/blob/")}

    version = entity(atlas_env, "lineage_model_version", "model:churn@v1.0.0")["attributes"]
    card = "model_card:churn-v1.0.0-model-card"
    sha = version["documentCommits"][card]
    assert version["documentLinks"][card] == f"{web}/blob/{sha}/docs/model_card.md"
    # every repository file the version's records name, pinned as DataHub links it
    assert set(version["documentCommits"]) == set(version["documentLinks"]) == \
        {card, "bias_report:churn-v1.0.0-bias-report", "evaluation:churn-v1.0.0-evaluation"}
    assert set(version["documentLinks"].values()) == datahub_links(
        "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)")
    group = entity(atlas_env, "lineage_model", "model_group:churn")["attributes"]
    assert set(group["documentLinks"].values()) == datahub_links(
        "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)") != set()
    # the pinned commit holds the content the record pins, and is Atlas's commit entity
    blob = subprocess.run(["git", "-C", repo, "show", f"{sha}:docs/model_card.md"],
                          capture_output=True, check=True).stdout
    record = json.loads(lineage("show", "document:churn-v1.0.0-model-card", "--json", "-C",
                                repo).stdout)
    assert "sha256:" + hashlib.sha256(blob).hexdigest() in json.dumps(record)
    assert entity(atlas_env, "lineage_commit", f"commit:{sha}")["attributes"]["sha"] == sha

    # a correction naming a web page instead: the pin and the link go from Atlas too
    lineage("record", "document", "-C", repo, "--model", "churn@v1.0.0", "--doc-kind",
            "model_card", "--uri", "https://wiki.example.com/churn-card", "--id", "card-web",
            "--prop", "supersedes=churn-v1.0.0-model-card")
    lineage("push", "--to", "atlas", "-C", repo)
    version = entity(atlas_env, "lineage_model_version", "model:churn@v1.0.0")["attributes"]
    assert card not in version["documentCommits"] and card not in version["documentLinks"]
    assert version["documents"]["model_card:card-web"] == "https://wiki.example.com/churn-card"
    assert "model_card:card-web" not in version["documentLinks"]
