"""`lineage audit` as a CI gate on the quickstart demo: what a user does next to the demo
(record a new version, filter, bring a policy file, audit a DataHub Lite file) gives a finding
or a one-line error with exit 2, never a silent pass or a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    return quickstart_demo


def audit(repo: Path, *args: str):
    return runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, *args])


def one_line_error(res, needle: str) -> None:
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("error: ") and needle in lines[0], res.stderr
    assert all(ln.startswith(("error: ", "hint: ")) for ln in lines), res.stderr


def test_a_new_version_after_an_edge_linked_one_needs_a_retraining_record(demo: Path) -> None:
    before = audit(demo, "--rule", "retraining-logged", "--format", "json")
    assert before.exit_code == 0, before.output  # v1.1.0's retraining is on record
    assert json.loads(before.stdout)["summary"]["checks"] == 1
    (demo / "models" / "churn2.json").write_text('{"w": 1}\n')
    # (trained by the audit's date: a version made later is out of an --as-of audit's scope)
    rec = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "train", "--input",
                              "data/prepared", "--model", "churn@v1.2.0=models/churn2.json",
                              "--clean", "--start", "2026-01-21T10:00:00Z", "--end",
                              "2026-01-21T11:00:00Z"])
    assert rec.exit_code == 0, rec.output
    res = audit(demo, "--rule", "retraining-logged", "--format", "json")
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    [f] = data["findings"]
    assert f["subject"] == "model:churn@v1.2.0"
    assert f["message"] == "churn@v1.2.0 replaces churn@v1.1.0 but no retraining is recorded"
    assert "--previous churn@v1.1.0 --new churn@v1.2.0" in f["remediation"]
    assert data["summary"]["checks"] == 2
    # recording the retraining, with its date on the demo's timeline, closes it (one dated
    # today had not happened by the audit's date)
    rt = runner.invoke(app, ["record", "retraining", "-C", str(demo), "--previous",
                             "churn@v1.1.0", "--new", "churn@v1.2.0", "--trigger", "schedule",
                             "--reason", "monthly refresh", "--at", "2026-01-21T12:00:00Z"])
    assert rt.exit_code == 0, rt.output
    assert audit(demo, "--rule", "retraining-logged").exit_code == 0


@pytest.mark.parametrize(("args", "needle", "known"), [
    (["--model", "nosuch"], "no model version or group named 'nosuch'", "known: churn"),
    (["--model", "churn@v9"], "no model version named 'churn@v9'",
     "known versions of churn: churn@v1.0.0, churn@v1.1.0"),
    (["--env", "nowhere"], "no deployment to an environment named 'nowhere'",
     "known: prod, staging"),
])
def test_a_filter_that_names_nothing_is_a_usage_error(demo: Path, args, needle, known) -> None:
    res = audit(demo, *args)
    one_line_error(res, needle)
    assert known in res.stderr.splitlines()[0]


def test_a_misspelt_filter_suggests_the_close_name(demo: Path) -> None:
    res = audit(demo, "--env", "prd")
    one_line_error(res, "--env 'prd'")
    assert "hint: did you mean 'prod'?" in res.stderr
    assert audit(demo, "--model", "churn", "--env", "prod", "--fail-on", "never").exit_code == 0


@pytest.mark.parametrize("spelling", ["none", "Off", "NEVER"])
def test_report_only_has_the_spellings_users_reach_for(demo: Path, spelling: str) -> None:
    assert audit(demo, "--model", "churn", "--env", "prod").exit_code == 1  # gaps: it gates
    assert audit(demo, "--model", "churn", "--env", "prod", "--fail-on", spelling
                 ).exit_code == 0


def test_a_policy_date_that_does_not_exist_names_file_line_and_field(demo: Path) -> None:
    p = demo / "p.yaml"
    p.write_text("version: 1\nwaivers:\n  - rule: four-eyes\n    node: x\n    owner: a\n"
                 "    reason: r\n    expires: 2026-02-30\n")
    res = audit(demo, "--policy", str(p))
    one_line_error(res, f"{p}:7: field waivers.0.expires: invalid date '2026-02-30'")


def test_a_policy_file_that_is_not_utf8_is_a_config_error(demo: Path) -> None:
    p = demo / "p.yaml"
    p.write_bytes(b"\xff\xfe")
    one_line_error(audit(demo, "--policy", str(p)), f"{p}:1: not UTF-8 text")


def test_a_corrupt_datahub_lite_file_is_a_config_error(demo: Path) -> None:
    bad = demo / "x.db"
    bad.write_text("corrupt\n")
    res = audit(demo, "--source", "datahub-lite", str(bad))
    one_line_error(res, f"cannot open DataHub Lite file {bad}")


def test_a_missing_datahub_lite_file_hints_at_audit_arguments(demo: Path) -> None:
    res = audit(demo, "--source", "datahub-lite", str(demo / "none.db"))
    one_line_error(res, "does not exist")
    assert "--option" not in res.stderr
    assert "lineage audit --source datahub-lite FILE" in res.stderr
    # the default file (the datahub-lite push target) is found from the repository
    (demo / ".lineage" / "datahub-lite.db").unlink()
    res = audit(demo, "--source", "datahub-lite")
    one_line_error(res, f"DataHub Lite file {demo / '.lineage' / 'datahub-lite.db'} does not")
    assert "--option" not in res.stderr


def test_every_json_finding_has_the_documented_keys(demo: Path) -> None:
    res = audit(demo, "--format", "json")
    assert res.exit_code == 1, res.output
    findings = json.loads(res.stdout)["findings"]
    documented = {"rule", "title", "severity", "tier", "subject", "model", "group",
                  "environment", "aliases", "message", "evidence", "remediation", "articles",
                  "controls", "location"}
    assert findings and all(set(f) == documented for f in findings), findings
    docs = next(f for f in findings if f["rule"] == "high-risk-docs")
    assert docs["environment"] is None
