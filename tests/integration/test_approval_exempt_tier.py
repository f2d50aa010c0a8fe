"""What DataHub's approval properties and Atlas's ``lineage_approval_status`` say of a version
running where the audit judged none of its deployments: the policy does not apply the
approval rules at its tier, or turns them off (docs/datahub.md, "Approval status";
docs/atlas.md). A live environment is never *not deployed*, and one running with no approval
at all never makes the version approved. The quickstart demo, its policy rewritten, pushed to
a DataHub file and to the Atlas stand-in.

The demo's ``churn@v1.0.0`` runs in prod (tag ``churn#prod#2``) on two prod approvals and ran
in staging until ``churn#staging#3`` gave staging to ``churn@v1.1.0``, which runs there on
its author's approval alone and in prod (a record, 2026-01-20) with no approval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.standins.atlas import AtlasStandin

pytest.importorskip("datahub")

runner = CliRunner()
V100, V110 = "model:churn@v1.0.0", "model:churn@v1.1.0"
URN = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_{},PROD)"
V100_PROD = "deployment:churn:prod:2026-01-07T09:30:00Z"
V100_STAGING = "deployment:churn:staging:2026-01-06T09:30:00Z"
V110_PROD = "deployment:churn-prod-2026-01-20"
V110_STAGING = "deployment:churn:staging:2026-01-16T09:30:00Z"

# the demo's policy, the approval rules applied to a tier churn is not (its `approvals:`
# entry, for the high tier, removed: four-eyes no longer checks that tier), or turned off
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


def approval_checks(repo: Path) -> int:
    """How many deployments the audit's approval rules checked, passed or not (its JUnit
    report: one test case per check)."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--format", "junit"])
    assert res.exit_code in (0, 1), res.output
    suites = ElementTree.fromstring(res.stdout).iter("testsuite")
    return sum(int(s.get("tests", "0")) for s in suites
               if s.get("name") in ("deployment-approved", "four-eyes"))


def states(repo: Path, version: str) -> dict[str, str]:
    """Deployment → its state, as ``lineage show`` reads it (live, retired …)."""
    show = json.loads(lineage(repo, "show", version, "--json"))
    return {d["id"]: d["state"].split()[0] for d in show["governance"]["deployments"]}


def datahub_values(repo: Path, out: Path) -> dict[str, dict[str, list[str]]]:
    """Each version's approval structured properties in a DataHub push (its last
    ``structuredProperties``: the file is an append-only log)."""
    lineage(repo, "push", "--to", "datahub-file", str(out))
    mcps = json.loads(out.read_text())
    got: dict[str, dict[str, list[str]]] = {}
    for version in ("v1.0.0", "v1.1.0"):
        hits = [m["aspect"]["json"] for m in mcps if m["entityUrn"] == URN.format(version)
                and m["aspectName"] == "structuredProperties"]
        props = {p["propertyUrn"].rsplit(".", 1)[1]: [v.get("string") for v in p["values"]]
                 for p in hits[-1]["properties"]}
        got[version] = {k: x for k, x in props.items() if k.startswith("approv")}
    return got


def atlas_status(atlas: AtlasStandin, node: str) -> dict[str, Any]:
    entity = atlas.entity_of("lineage_model_version", node + "@lineage")
    return entity["businessAttributes"]["lineage_approval_status"]  # type: ignore[no-any-return]


def exempt_demo(repo: Path, policy: str) -> None:
    (repo / "lineage-policy.yaml").write_text(policy)
    assert approval_checks(repo) == 0  # the audit judges no deployment
    assert states(repo, "churn@v1.0.0") == {V100_PROD: "live", V100_STAGING: "retired"}
    assert states(repo, "churn@v1.1.0") == {V110_PROD: "live", V110_STAGING: "live"}


@pytest.mark.parametrize("policy", [EXEMPT, OFF], ids=["tier-exempt", "rules-off"])
def test_a_version_running_unchecked_is_neither_not_deployed_nor_approved(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path, policy: str) -> None:
    repo = quickstart_demo
    exempt_demo(repo, policy)

    datahub = datahub_values(repo, tmp_path / "mcps.json")
    v100, v110 = datahub["v1.0.0"], datahub["v1.1.0"]
    # live in prod on two approvals in force the audit did not check
    # ran in staging on two staging approvals in force the audit did not check either
    assert v100["approvalByEnvironment"] == ["prod: approved, not checked",
                                             "staging: approved, not checked, retired"]
    assert v100["approvalStatus"] == ["approved"]
    assert v100["approvedEnvironments"] == ["prod", "staging"]
    # live in staging on its author's approval, live in prod on none: nothing is approved
    # where it runs with no approval, and the audit approved nothing
    assert v110["approvalByEnvironment"] == ["prod: not checked, deployed",
                                             "staging: approved, not checked"]
    assert v110["approvalStatus"] == ["unapproved"]
    assert v110["approvedEnvironments"] == ["staging"]
    assert not any("not deployed" in x for v in datahub.values()
                   for x in v["approvalByEnvironment"])

    lineage(repo, "push", "--to", "atlas")
    atlas100, atlas110 = atlas_status(atlas_env, V100), atlas_status(atlas_env, V110)
    assert (atlas100["status"], atlas100["environments"]) == ("approved", ["prod", "staging"])
    # no decision where it runs is unapproved, as for no approval: the same word in both
    assert (atlas110["status"], atlas110["environments"]) == ("unapproved", ["staging"])
    # the approvals are still listed
    assert atlas110["approvers"] == ["ada@example.com"]


def test_an_approval_for_every_unchecked_environment_is_the_decision_held(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    """An approval for prod, after v1.1.0 went live there: the audit still checks nothing,
    and the version's status is the latest decision it holds; a rejection after it is."""
    repo = quickstart_demo
    exempt_demo(repo, EXEMPT)
    lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--approver",
            "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-21T09:00:00Z", "--evidence", "ML-14", "--env", "prod")
    v110 = datahub_values(repo, tmp_path / "mcps.json")["v1.1.0"]
    assert v110["approvalByEnvironment"] == ["prod: approved, not checked",
                                             "staging: approved, not checked"]
    assert v110["approvalStatus"] == ["approved"]
    assert v110["approvedEnvironments"] == ["prod", "staging"]
    lineage(repo, "push", "--to", "atlas")
    atlas = atlas_status(atlas_env, V110)
    assert (atlas["status"], atlas["environments"]) == ("approved", ["prod", "staging"])

    # ada withdraws hers for staging: staging runs with no approval in force again
    lineage(repo, "record", "approval", "--model", "churn@v1.1.0", "--approver",
            "ada@example.com", "--role", "data-scientist", "--decided-at",
            "2026-01-22T09:00:00Z", "--evidence", "ML-15", "--env", "staging",
            "--decision", "rejected")
    v110 = datahub_values(repo, tmp_path / "mcps-2.json")["v1.1.0"]
    assert v110["approvalByEnvironment"] == ["prod: approved, not checked",
                                             "staging: not checked, deployed"]
    assert v110["approvalStatus"] == ["rejected"]
    assert v110["approvedEnvironments"] == ["prod"]
    lineage(repo, "push", "--to", "atlas")
    atlas = atlas_status(atlas_env, V110)
    assert (atlas["status"], atlas["environments"]) == ("rejected", ["prod"])
