"""A policy that asks less than the built-in default says so in every report: the rules it
turns off and the settings it weakens, in the heading of the table and Markdown, as fields of
JSON and SARIF (and JUnit properties). A clean audit under such a policy is no ✅."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
from typer.testing import CliRunner

from lineage.cli.main import app

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
runner = CliRunner()

OFF = "rules:\n  deployment-approved: {enabled: false}\n  four-eyes: {enabled: false}\n"


def audit(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    res = runner.invoke(app, ["audit", "-C", str(repo), "--as-of", "2026-01-22",
                              "--fail-on", "never", *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.stdout


def test_rules_turned_off_are_in_the_heading_and_fields(quickstart_demo: Path) -> None:
    (quickstart_demo / "lineage-policy.yaml").write_text(OFF)
    table = audit(quickstart_demo)
    heading = " ".join(table.split("\n", 3)[:2])
    assert "weaker than the default: 2 rules off" in heading, table
    assert "rules off: deployment-approved, four-eyes" in " ".join(table.split()), table

    md = audit(quickstart_demo, "--format", "markdown")
    first = md.splitlines()[0]
    assert "policy weaker than the default (2 rules off)" in first, md
    assert "rules off: deployment-approved, four-eyes" in md

    data = json.loads(audit(quickstart_demo, "--json"))
    assert data["policy_weaker"] == {"rules_off": ["deployment-approved", "four-eyes"],
                                     "settings": []}
    assert {r["id"] for r in data["rules"]}.isdisjoint({"deployment-approved", "four-eyes"})

    sarif = json.loads(audit(quickstart_demo, "--format", "sarif"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    run = sarif["runs"][0]
    assert run["properties"]["policyWeaker"]["rulesOff"] == ["deployment-approved", "four-eyes"]
    notes = run["invocations"][0]["toolConfigurationNotifications"]
    assert any(n["descriptor"]["id"] == "policy-weaker"
               and "deployment-approved, four-eyes" in n["message"]["text"] for n in notes)

    suite = ET.fromstring(audit(quickstart_demo, "--format", "junit")).find("testsuite")
    assert suite is not None
    assert [p.get("value") for p in suite.iter("property") if p.get("name") == "rule_off"] == \
        ["deployment-approved", "four-eyes"]


def test_fewer_approvers_for_one_environment_is_a_weaker_setting(quickstart_demo: Path) -> None:
    # two approvers for prod only: a high-risk deployment to staging needs one
    (quickstart_demo / "lineage-policy.yaml").write_text(
        "approvals:\n  - tiers: [high]\n    environments: [prod]\n    count: 2\n"
        "monitoring:\n  max_age_days: 90\n")
    data = json.loads(audit(quickstart_demo, "--json"))
    settings = data["policy_weaker"]["settings"]
    assert data["policy_weaker"]["rules_off"] == []
    assert [(s["field"], s["value"], s["default"]) for s in settings] == [
        ("approvals", {"tier": "high", "environment": None, "count": 1, "roles": []},
         {"count": 2, "roles": []}),
        ("monitoring.max_age_days", 90, 30)]
    table = " ".join(audit(quickstart_demo).split())
    assert "(weaker than the default: 2 settings weaker)" in table, table
    assert ("four-eyes: high-risk deployments to other environments need 1 approver "
            "(default 2)") in table, table
    assert "monitoring evidence may be 90 days old (default 30)" in table


def test_a_policy_as_strict_as_the_default_or_stricter_says_nothing(
        quickstart_demo: Path) -> None:
    # the demo's policy writes the default out
    data = json.loads(audit(quickstart_demo, "--json"))
    assert data["policy_weaker"] == {"rules_off": [], "settings": []}
    assert "weaker" not in audit(quickstart_demo)
    (quickstart_demo / "lineage-policy.yaml").write_text(
        "approvals:\n  - tiers: [high]\n    count: 3\n    roles: [risk-officer]\n"
        "monitoring:\n  max_age_days: 7\n"
        "rules:\n  transparency-notice: {tiers: [limited, high]}\n")
    assert json.loads(audit(quickstart_demo, "--json"))["policy_weaker"] == {
        "rules_off": [], "settings": []}
    assert "weaker" not in audit(quickstart_demo, "--format", "markdown")


def test_no_finding_under_a_weaker_policy_is_no_green_tick(quickstart_demo: Path) -> None:
    (quickstart_demo / "lineage-policy.yaml").write_text(OFF)
    md = audit(quickstart_demo, "--format", "markdown", "--rule", "model-has-run")
    assert md.startswith("## ⚠️ lineage audit: 0 finding(s)"), md
