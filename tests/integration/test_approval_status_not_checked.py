"""A deployment's own approval status in DataHub (its proxy job's ``approvalStatus``) and
Atlas (its ``lineage_approval_status.status``) is the audit's verdict on it, from the one
function both sinks read (``connectors.sinks.approval.deployment_status``): ``approved``,
``unapproved``, or ``not checked`` when the policy applies no approval rule to it (a tier it
exempts, the rules off) — never ``approved`` on an approval the audit did not check it
against. Its version says the same per environment (``approvalByEnvironment``), where it runs
and where it ran (docs/datahub.md, "Approval status"; docs/atlas.md). A version with no
approval decision reads ``unapproved`` in both catalogs; the approver ownership type is dated
by the earliest approval. The quickstart demo's store, pushed to a real DataHub Lite file and
to the Atlas stand-in.

The demo: ``churn@v1.0.0`` runs in prod on two prod approvals and ran in staging (retired by
``churn#staging#3``) on two staging approvals; ``churn@v1.1.0`` runs in staging on its
author's approval alone and in prod (a record, 2026-01-20) on none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.standins.atlas import AtlasStandin

pytest.importorskip("datahub")

runner = CliRunner()
V100_PROD = "deployment:churn:prod:2026-01-07T09:30:00Z"
V100_STAGING = "deployment:churn:staging:2026-01-06T09:30:00Z"
V110_PROD = "deployment:churn-prod-2026-01-20"
V110_STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"
DEPLOYMENTS = (V100_PROD, V100_STAGING, V110_PROD, V110_STAGING)
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_{},PROD)"

# the demo's policy with the approval rules applied to a tier churn is not, or turned off
EXEMPT = """version: 1
rules:
  deployment-approved: {tiers: [unacceptable]}
  four-eyes: {tiers: [unacceptable]}
high_risk_documents: [model_card, data_governance, evaluation, bias_report]
"""
OFF = """version: 1
rules:
  deployment-approved: {enabled: false}
  four-eyes: {enabled: false}
high_risk_documents: [model_card, data_governance, evaluation, bias_report]
"""


def lineage(repo: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code == 0, res.output
    return res.stdout


def approval_checks(repo: Path) -> dict[str, str]:
    """Deployment → the audit's verdict on it (``passed`` / ``failed``) from its JUnit report,
    for the deployments its approval rules checked."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--format", "junit"])
    assert res.exit_code in (0, 1), res.output
    out: dict[str, str] = {}
    for suite in ElementTree.fromstring(res.stdout).iter("testsuite"):
        if suite.get("name") not in ("deployment-approved", "four-eyes"):
            continue
        for case in suite.iter("testcase"):
            subject = str(case.get("name"))
            failed = case.find("failure") is not None
            out[subject] = "failed" if failed or out.get(subject) == "failed" else "passed"
    return out


def lite_entities(repo: Path) -> dict[str, dict[str, Any]]:
    """``lineage push`` to the store's DataHub Lite file, then every entity it holds."""
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    lineage(repo, "push")
    lite = get_datahub_lite(lite_config(repo / ".lineage" / "datahub-lite.db", read_only=True),
                            read_only=True)
    try:
        return {urn: lite.get(urn, None) or {} for urn in lite.list_ids()}
    finally:
        lite.close()


def approval_props(entity: dict[str, Any]) -> dict[str, list[str]]:
    props = (entity.get("structuredProperties") or {}).get("properties", [])
    got = {p["propertyUrn"].rsplit(".", 1)[1]: [v.get("string") for v in p["values"]]
           for p in props}
    return {k: x for k, x in got.items() if k.startswith("approv")}


def deployment_jobs(entities: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """Deployment node → its proxy job's approval properties in DataHub."""
    out = {}
    for urn, e in entities.items():
        info = e.get("dataJobInfo") or {}
        nid = (info.get("customProperties") or {}).get("lineage_id")
        if urn.startswith("urn:li:dataJob:") and nid in DEPLOYMENTS:
            out[nid] = approval_props(e)
    return out


def atlas_status(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    entity = atlas.entity_of(type_name, node + "@lineage")
    return entity["businessAttributes"]["lineage_approval_status"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("policy", [EXEMPT, OFF], ids=["tier-exempt", "rules-off"])
def test_a_deployment_the_audit_did_not_check_reads_not_checked_in_both_catalogs(
        quickstart_demo: Path, atlas_env: AtlasStandin, policy: str) -> None:
    repo = quickstart_demo
    (repo / "lineage-policy.yaml").write_text(policy)
    assert approval_checks(repo) == {}  # the audit judges none of these deployments

    entities = lite_entities(repo)
    jobs = deployment_jobs(entities)
    # every deployment, live or retired, with approvals that would count or none: not checked
    assert {d: p.get("approvalStatus") for d, p in jobs.items()} == {
        d: ["not checked"] for d in DEPLOYMENTS}
    # the environments of the approvals on record that speak for it, as the version lists them
    assert {d: p.get("approvedEnvironments", []) for d, p in jobs.items()} == {
        V100_PROD: ["prod"], V100_STAGING: ["staging"], V110_PROD: [],
        V110_STAGING: ["staging"]}
    v100 = approval_props(entities[VERSION.format("v1.0.0")])
    v110 = approval_props(entities[VERSION.format("v1.1.0")])
    # where it runs and where it ran, the version says the audit did not check it either
    assert v100["approvalByEnvironment"] == ["prod: approved, not checked",
                                             "staging: approved, not checked, retired"]
    assert v110["approvalByEnvironment"] == ["prod: not checked, deployed",
                                             "staging: approved, not checked"]
    assert not any(x.endswith(": approved, retired") or x.endswith(": approved")
                   for x in v100["approvalByEnvironment"] + v110["approvalByEnvironment"])

    lineage(repo, "push", "--to", "atlas")
    for d in DEPLOYMENTS:
        status = atlas_status(atlas_env, "lineage_deployment", d)
        assert status["status"] == "not checked", d
        assert status.get("environments", []) == jobs[d].get("approvedEnvironments", []), d


def test_a_deployment_the_audit_checked_keeps_its_verdict_in_both_catalogs(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    """The demo's own policy: the audit judges every deployment, and each catalog says what
    the audit said of it (v1.1.0: no approval in prod, its author's alone in staging)."""
    repo = quickstart_demo
    verdicts = approval_checks(repo)
    assert verdicts == {V100_PROD: "passed", V100_STAGING: "passed", V110_PROD: "failed",
                        V110_STAGING: "failed"}
    want = {d: "approved" if v == "passed" else "unapproved" for d, v in verdicts.items()}
    jobs = deployment_jobs(lite_entities(repo))
    assert {d: p["approvalStatus"][0] for d, p in jobs.items()} == want
    lineage(repo, "push", "--to", "atlas")
    assert {d: atlas_status(atlas_env, "lineage_deployment", d)["status"]
            for d in DEPLOYMENTS} == want


def test_a_version_with_no_approval_decision_reads_unapproved_in_both_catalogs(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    """``churn@v1.2.0``, registered by a GTO tag and neither approved, rejected nor
    deployed: the audit holds no approval on record for it. Both catalogs say the same word,
    the audit's."""
    repo = quickstart_demo
    tagger = GitRepo.__new__(GitRepo)
    tagger.path, tagger.tick = repo, 21 * 24 + 9  # 2026-01-22T10:00Z
    tagger.tag("churn@v1.2.0", "Register churn v1.2.0", ref="churn@v1.1.0^{commit}")
    lineage(repo, "harvest")
    show = json.loads(lineage(repo, "show", "churn@v1.2.0", "--json"))
    assert show["governance"]["approvals"] == [] and show["governance"]["deployments"] == []

    v120 = approval_props(lite_entities(repo)[VERSION.format("v1.2.0")])
    assert v120["approvalStatus"] == ["unapproved"]
    lineage(repo, "push", "--to", "atlas")
    status = atlas_status(atlas_env, "lineage_model_version", "model:churn@v1.2.0")
    assert (status["status"], status["approvalCount"]) == ("unapproved", 0)


def test_the_approver_ownership_type_is_dated_by_the_earliest_approval(
        quickstart_demo: Path) -> None:
    """Not 1970: the decision date of the demo's first approval (max's, for v1.0.0 in
    staging, 2026-01-04T10:00Z); a push of the same store again sends nothing."""
    repo = quickstart_demo
    entities = lite_entities(repo)
    info = entities["urn:li:ownershipType:model_approver"]["ownershipTypeInfo"]
    first = int(datetime(2026, 1, 4, 10, 0, tzinfo=UTC).timestamp() * 1000)
    assert info["created"]["time"] == info["lastModified"]["time"] == first
    assert info["created"]["actor"] == "urn:li:corpuser:lineage"
    again = json.loads(lineage(repo, "push", "--json"))
    assert (again["written"], again["failed"]) == (0, 0), again
