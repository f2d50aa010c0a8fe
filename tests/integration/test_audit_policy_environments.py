"""An `approvals[].environments` entry of the policy names environments the graph's
deployments go to. One that names none of them applies to no deployment, and the deployments
it meant fall back to a weaker requirement (one approver): a typo (`prdo`, `stagng`) is a
configuration error naming the file, line and field; an environment nothing is deployed to
or approved for yet (`eu-west`) is a warning in every report format."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def _policy(repo: Path, envs: str) -> None:
    (repo / "lineage-policy.yaml").write_text(
        "version: 1\n"
        "approvals:\n"
        "  - tiers: [high]\n"
        f"    environments: [{envs}]\n"
        "    count: 3\n"
        "  - tiers: [high]\n"
        "    count: 1\n")


def _audit(repo: Path, *args: str):
    return runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--rule", "four-eyes", *args])


def test_a_misspelt_environment_is_an_error_naming_file_line_and_field(
        quickstart_demo: Path) -> None:
    _policy(quickstart_demo, "prod, stagng")
    res = _audit(quickstart_demo, "--format", "json")
    assert res.exit_code == 2, res.output
    assert "lineage-policy.yaml:4: field approvals.0.environments.1: no deployment or " \
           "approval names an environment 'stagng'" in res.output
    assert "did you mean 'staging'?" in res.output
    # written the way the deployments say it, the requirement applies: 3 approvers
    _policy(quickstart_demo, "prod, staging")
    res = _audit(quickstart_demo, "--format", "json")
    assert res.exit_code == 1, res.output
    msgs = [f["message"] for f in json.loads(res.stdout)["findings"]]
    assert any("churn@v1.0.0 in staging: 2 independent approver(s), policy requires 3" in m
               for m in msgs), msgs


def test_a_case_slip_is_a_typo_too(quickstart_demo: Path) -> None:
    _policy(quickstart_demo, "Staging")
    res = _audit(quickstart_demo)
    assert res.exit_code == 2, res.output
    assert "field approvals.0.environments.0" in res.output
    assert "did you mean 'staging'?" in res.output


def test_an_environment_not_deployed_to_yet_is_a_warning_in_every_format(
        quickstart_demo: Path) -> None:
    _policy(quickstart_demo, "staging, eu-west")
    said = ("lineage-policy.yaml:4: field approvals.0.environments.1: no deployment or "
            "approval names an environment 'eu-west'")
    res = _audit(quickstart_demo, "--format", "json")
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert len(data["warnings"]) == 1 and said in data["warnings"][0], data["warnings"]
    # the requirement still applies to the environment it names that exists
    assert any("policy requires 3" in f["message"] for f in data["findings"])
    table = " ".join(_audit(quickstart_demo).stdout.split())
    assert said.split(":4: ", 1)[1] in table, table
    # (Markdown escapes a colon that would open an emoji shortcode: `yaml\\:4:`)
    assert said in _audit(quickstart_demo, "--format", "markdown").stdout.replace("\\", "")
    sarif = json.loads(_audit(quickstart_demo, "--format", "sarif").stdout)
    notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    # (the policy's second entry, one approver for prod, is weaker than the default: a
    # notification of its own)
    weaker = [n for n in notes if n["descriptor"]["id"] == "policy-weaker"]
    notes = [n for n in notes if n["descriptor"]["id"] == "policy"]
    assert [n["level"] for n in notes] == ["warning"] and said in notes[0]["message"]["text"]
    assert [n["level"] for n in weaker] == ["warning"], weaker
    root = ET.fromstring(_audit(quickstart_demo, "--format", "junit").stdout)
    warned = [p.get("value") for p in root.iter("property") if p.get("name") == "warning"]
    assert warned and said in warned[0]


def test_an_environment_only_an_approval_names_is_known(quickstart_demo: Path) -> None:
    res = runner.invoke(app, ["record", "approval", "-C", str(quickstart_demo), "--model",
                              "churn@v1.1.0", "--env", "eu-west", "--approver",
                              "rita@example.com", "--decided-at", "2026-01-21T00:00:00Z"])
    assert res.exit_code == 0, res.output
    _policy(quickstart_demo, "staging, eu-west")
    res = _audit(quickstart_demo, "--format", "json")
    assert res.exit_code == 1, res.output
    assert json.loads(res.stdout)["warnings"] == []


def test_a_report_written_to_a_file_says_the_warning_on_the_terminal(
        quickstart_demo: Path, tmp_path: Path) -> None:
    """A CI job writes JUnit or SARIF to a file: the warning must reach its log too."""
    _policy(quickstart_demo, "staging, eu-west")
    for fmt in ("junit", "sarif", "json"):
        out = tmp_path / f"audit.{fmt}"
        res = _audit(quickstart_demo, "--format", fmt, "-o", str(out))
        assert res.exit_code == 1, res.output
        assert "warning:" in res.stderr and "'eu-west'" in res.stderr, res.stderr
    # on the terminal, the table says it once
    res = _audit(quickstart_demo)
    assert " ".join(res.output.split()).count("names an environment 'eu-west'") == 1
