"""The governance DataHub shows (tier, deployment state, what a correction superseded) is what
`lineage audit` and `lineage show` read: the quickstart demo, `lineage push --to
datahub-file`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
LATE = "deployment:churn-prod-2026-01-20"  # churn@v1.1.0 to prod, 2026-01-20T08:00Z
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def show(repo: str, node: str) -> dict[str, Any]:
    out = json.loads(lineage("show", node, "--json", "-C", repo).stdout)
    return out["governance"]  # type: ignore[no-any-return]


def audit_failed(repo: str, rule: str) -> set[str]:
    res = runner.invoke(app, ["audit", "--json", "-C", repo])
    return {f["subject"] for f in json.loads(res.stdout)["findings"] if f["rule"] == rule}


def pushed(repo: str, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "mcps.json"
    lineage("push", "--to", "datahub-file", str(out), "-C", repo)
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def aspect(mcps: list[dict[str, Any]], urn: str, name: str) -> dict[str, Any] | None:
    hits = [m["aspect"]["json"] for m in mcps
            if m["entityUrn"] == urn and m["aspectName"] == name]
    return hits[-1] if hits else None


def group_tier(mcps: list[dict[str, Any]]) -> tuple[str | None, list[str]]:
    values = aspect(mcps, GROUP, "structuredProperties") or {"properties": []}
    tier = next((p["values"][0]["string"] for p in values["properties"]
                 if p["propertyUrn"].endswith("riskTier")), None)
    terms = aspect(mcps, GROUP, "glossaryTerms") or {"terms": []}
    return tier, [t["urn"] for t in terms["terms"]]


def deployment_of(mcps: list[dict[str, Any]], node: str) -> dict[str, Any]:
    for m in mcps:
        if m["aspectName"] == "mlModelDeploymentProperties" and \
                m["aspect"]["json"]["customProperties"].get("lineage_id") == node:
            return m["aspect"]["json"]  # type: ignore[no-any-return]
    raise AssertionError(f"no deployment {node}")


def test_an_assessment_dated_ahead_of_its_recording_sets_no_tier(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2099-01-01", "--id", "churn-2099")
    assert show(repo, "model:churn@v1.1.0")["risk"]["tier"] == "high"
    tier, terms = group_tier(pushed(repo, tmp_path))
    assert tier == "high"
    assert terms == ["urn:li:glossaryTerm:EUAIAct.High"]


def test_of_two_assessments_the_same_day_the_audit_s_is_shown(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "bob@example.com", "--date", "2026-01-03", "--id", "churn-2026-z")
    want = show(repo, "model:churn@v1.1.0")["risk"]["tier"]
    tier, terms = group_tier(pushed(repo, tmp_path))
    assert tier == want
    assert terms == [f"urn:li:glossaryTerm:EUAIAct.{want.capitalize()}"]


def test_a_correction_dated_ahead_leaves_the_deployment_in_service(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    lineage("record", "deployment", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2099-01-01T00:00:00Z", "--id", "churn-prod-2099",
            "--prop", "supersedes=churn-prod-2026-01-20")
    deps = {d["id"]: d for d in show(repo, "model:churn@v1.1.0")["deployments"]}
    assert deps[LATE]["state"] == "live"
    assert LATE in audit_failed(repo, "deployment-approved")
    late = deployment_of(pushed(repo, tmp_path), LATE)
    assert late["status"] == "IN_SERVICE"
    assert late["customProperties"]["audit_state"] == "live"


def structured(mcps: list[dict[str, Any]], urn: str) -> dict[str, list[Any]]:
    values = aspect(mcps, urn, "structuredProperties") or {"properties": []}
    return {p["propertyUrn"].rsplit(".", 1)[-1]: [next(iter(v.values())) for v in p["values"]]
            for p in values["properties"]}


def test_a_correction_recorded_before_the_approval_it_names_corrects_nothing(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    # max's approval names rita's as the one it corrects before rita's was recorded (an id
    # guessed ahead): it corrects nothing, both count, as the audit reads it
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "max@example.com", "--role", "ml-lead", "--decided-at",
            "2026-01-19T10:00:00Z", "--id", "v110-prod-max",
            "--prop", "supersedes=v110-prod-rita")
    lineage("record", "approval", "-C", repo, "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita@example.com", "--role", "risk-officer", "--decided-at",
            "2026-01-19T12:00:00Z", "--id", "v110-prod-rita")
    assert LATE not in audit_failed(repo, "deployment-approved")
    approvals = {a["id"]: a["status"] for a in show(repo, LATE)["approvals"]}
    assert approvals["approval:v110-prod-rita"] == "in force"
    mcps = pushed(repo, tmp_path)
    model = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
    assert {"max@example.com", "rita@example.com"} <= set(structured(mcps, model)["approvedBy"])
    job = deployment_of(mcps, LATE)["customProperties"]["model"]
    assert job == model
    jobs = [m["entityUrn"] for m in mcps if m["aspectName"] == "dataJobInfo"
            and m["aspect"]["json"]["customProperties"].get("lineage_id") == LATE]
    assert len(jobs) == 1
    assert structured(mcps, jobs[0])["approvedBy"] == ["max@example.com", "rita@example.com"]


def test_an_alert_record_names_the_follow_ups_the_audit_takes(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    alerts = show(repo, "model:churn@v1.0.0")["alerts"]
    assert alerts and all(a["follow_up"] for a in alerts)
    mcps = pushed(repo, tmp_path)
    model = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
    props = (aspect(mcps, model, "mlModelProperties") or {})["customProperties"]
    for a in alerts:
        record = json.loads(props["alert." + a["id"].removeprefix("alert:")])
        assert record["follow_up"] == a["follow_up"]
