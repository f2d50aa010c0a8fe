"""`lineage show` reads a version as `lineage audit` does, policy included: a policy the audit
refuses (a misspelt environment) is an error for `show` too, not a version shown with no
findings."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def test_a_policy_the_audit_refuses_is_an_error_for_show(quickstart_demo: Path) -> None:
    (quickstart_demo / "lineage-policy.yaml").write_text(
        "version: 1\napprovals:\n  - tiers: [high]\n    environments: [stagng]\n    count: 3\n")
    args = ["-C", str(quickstart_demo), "--as-of", "2026-01-22"]
    audit = runner.invoke(app, ["audit", *args])
    assert audit.exit_code == 2, audit.output
    res = runner.invoke(app, ["show", "churn@v1.1.0", *args, "--json"])
    assert res.exit_code == 2, res.output
    assert "stagng" in res.output and "did you mean 'staging'?" in res.output, res.output


def test_a_version_only_a_deployment_names_still_shows(quickstart_demo: Path) -> None:
    res = runner.invoke(app, ["record", "deployment", "-C", str(quickstart_demo), "--model",
                              "ghost@v9.9.9", "--env", "prod",
                              "--deployed-at", "2026-01-21T00:00:00Z"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["show", "ghost@v9.9.9", "-C", str(quickstart_demo),
                              "--as-of", "2026-01-22"])
    assert res.exit_code == 0, res.output
