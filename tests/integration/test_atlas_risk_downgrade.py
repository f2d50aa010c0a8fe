"""A risk assessment lowering the tier after a deployment: Atlas shows the assessment in force
on the registered model (its tier classification, propagated) and, in `lineage_risk_assessment`
of a version and of each deployment, the assessment the audit holds it to — the strictest in
force since the version's first deployment / since the deployment was made — and the approval
status the audit gives. The quickstart demo: churn assessed high (churn-2026) on 2026-01-03,
churn@v1.1.0 deployed on 2026-01-16 and 2026-01-20; an independent assessor lowers it to
minimal on 2026-01-21, and the version goes to canary the day after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.standins.atlas import AtlasStandin

runner = CliRunner()
PROD = "deployment:churn-prod-2026-01-20"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def entity(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    return atlas.entity_of(type_name, node + "@lineage")


def test_a_downgrade_leaves_the_version_and_its_deployments_at_the_tier_the_audit_holds(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    repo = str(quickstart_demo)
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "dana@example.com", "--assessed-at", "2026-01-21", "--id",
            "churn-low", "--rationale", "the score no longer gates credit",
            "--annex-iii", "none")
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "canary",
            "--deployed-at", "2026-01-22T00:00:00Z", "--id", "canary")
    lineage("push", "--to", "atlas", "-C", repo)
    risk = json.loads(lineage("show", "model:churn@v1.1.0", "--json", "-C",
                              repo).stdout)["governance"]["risk"]
    assert (risk["tier"], risk["assessment"], risk["held_by"]) == (
        "high", "risk_assessment:churn-low", "risk_assessment:churn-2026")

    group = entity(atlas_env, "lineage_model", "model_group:churn")
    assert [c["typeName"] for c in group["classifications"]] == ["EUAIAct_Minimal"]
    assert group["businessAttributes"]["lineage_risk_assessment"]["assessmentId"] == \
        "risk_assessment:churn-low"
    version = entity(atlas_env, "lineage_model_version", "model:churn@v1.1.0")
    held = version["businessAttributes"]["lineage_risk_assessment"]
    assert (held["tier"], held["assessmentId"]) == ("high", "risk_assessment:churn-2026")
    # what the high tier still asks of it (high-risk-docs) is named, as the audit finds it
    assert held["documentsMissing"]
    prod = entity(atlas_env, "lineage_deployment", PROD)["businessAttributes"]
    assert prod["lineage_risk_assessment"]["tier"] == "high"
    canary = entity(atlas_env, "lineage_deployment", "deployment:canary")["businessAttributes"]
    assert canary["lineage_risk_assessment"]["tier"] == "minimal"
    # the audit's verdict: prod has no approval, so the version running there is unapproved
    res = runner.invoke(app, ["audit", "--json", "-C", repo])
    unapproved = {f["subject"] for f in json.loads(res.stdout)["findings"]
                  if f["rule"] in ("deployment-approved", "four-eyes")}
    assert PROD in unapproved and "deployment:canary" in unapproved
    assert prod["lineage_approval_status"]["status"] == "unapproved"
    assert version["businessAttributes"]["lineage_approval_status"]["status"] == "unapproved"


def test_atlas_and_datahub_give_the_audit_s_approval_verdict_alike(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    # v1.0.0 gets a second approver for prod: four-eyes passes there
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-05T10:00:00Z", "--id", "v100-prod-max")
    lineage("push", "--to", "atlas", "-C", repo)
    out = tmp_path / "mcps.json"
    lineage("push", "--to", "datahub-file", str(out), "-C", repo)
    mcps = json.loads(out.read_text())
    for version in ("v1.0.0", "v1.1.0"):
        urn = f"urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_{version},PROD)"
        hits = [m["aspect"]["json"] for m in mcps
                if m["entityUrn"] == urn and m["aspectName"] == "structuredProperties"]
        dh = {p["propertyUrn"].rsplit(".", 1)[-1]: [next(iter(x.values())) for x in p["values"]]
              for p in hits[-1]["properties"]}
        at = entity(atlas_env, "lineage_model_version", f"model:churn@{version}")[
            "businessAttributes"]["lineage_approval_status"]
        assert [at["status"]] == dh["approvalStatus"], version
        assert at.get("environments", []) == dh.get("approvedEnvironments", []), version
        if version == "v1.1.0":  # in prod unapproved, in staging on its author's word alone
            assert at["status"] == "unapproved" and "environments" not in at
