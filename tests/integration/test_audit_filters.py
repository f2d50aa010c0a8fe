"""`lineage audit` filters, SARIF anchors and `--as-of` as a user runs them in CI, on the
quickstart demo and on real git repositories: a filter never lets a gap through the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    return quickstart_demo


def audit(repo: Path, *args: str):
    return runner.invoke(app, ["audit", "-C", str(repo), *args])


def findings(res) -> set[tuple[str, str]]:
    return {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]}


def one_line_error(res, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("error: "), res.stderr
    for n in needles:
        assert n in res.stderr, (n, res.stderr)


# -- --rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["FOUR-EYES", "Four-Eyes", " four-eyes"])
def test_rule_name_in_any_case_runs_the_rule(demo: Path, spelling: str) -> None:
    want = audit(demo, "--rule", "four-eyes", "--format", "json", "--as-of", "2026-01-22")
    assert want.exit_code == 1, want.output
    got = audit(demo, "--rule", spelling, "--fail-on", "low", "--format", "json",
                "--as-of", "2026-01-22")
    assert got.exit_code == 1, got.output  # was 0: checks 0, findings 0, rules []
    data = json.loads(got.stdout)
    # harvest-complete runs under every selection (it finds nothing in a whole clone)
    assert [r["id"] for r in data["rules"]] == ["four-eyes", "harvest-complete"]
    assert findings(got) == findings(want) and findings(got)
    assert data["summary"]["checks"] == json.loads(want.stdout)["summary"]["checks"] > 0


def test_unknown_rule_is_a_usage_error(demo: Path) -> None:
    one_line_error(audit(demo, "--rule", "four-eye"), "four-eye", "did you mean 'four-eyes'")


@pytest.mark.parametrize(("option", "value", "meant"), [
    ("--env", "PROD", "prod"), ("--env", "Staging", "staging"), ("--env", "prdo", "prod"),
    ("--model", "CHURN", "churn")])
def test_a_filter_in_another_case_gets_a_did_you_mean(demo: Path, option: str, value: str,
                                                      meant: str) -> None:
    res = audit(demo, option, value)
    one_line_error(res, repr(value), f"did you mean '{meant}'?")
    assert "record the deployment" not in res.stderr


def test_rule_the_policy_turns_off_is_a_usage_error(demo: Path) -> None:
    pol = demo / "lineage-policy.yaml"
    pol.write_text(pol.read_text() + "rules:\n  four-eyes: {enabled: false}\n")
    one_line_error(audit(demo, "--rule", "four-eyes", "--rule", "risk-tier-set"),
                   "four-eyes", "enabled: false")
    # without --rule the policy's choice stands: the other rules run
    res = audit(demo, "--format", "json", "--fail-on", "never")
    assert res.exit_code == 0, res.output
    assert "four-eyes" not in {r["id"] for r in json.loads(res.stdout)["rules"]}


@pytest.mark.parametrize("args", [("--rule", "prohibited-not-deployed"), ()])
def test_a_policy_applying_a_rule_to_no_tier_is_a_usage_error(demo: Path,
                                                              args: tuple[str, ...]) -> None:
    # with or without --rule: `tiers: []` would turn Article 5's check off without saying so
    pol = demo / "lineage-policy.yaml"
    pol.write_text(pol.read_text() + "rules:\n  prohibited-not-deployed: {tiers: []}\n")
    one_line_error(audit(demo, *args), "rules.prohibited-not-deployed.tiers", "enabled: false")


def test_api_takes_rule_ids_in_any_case_and_refuses_unknown_ones(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from lineage.audit import run_audit
    from lineage.errors import ConfigError

    store = write_store(make_fixture(3), tmp_path / ".lineage")
    try:
        now = datetime(2026, 6, 1, tzinfo=UTC)
        lower = run_audit(store, rules=["four-eyes"], now=now)
        upper = run_audit(store, rules=["FOUR-EYES"], now=now)
        assert [r.id for r in upper.rules] == ["four-eyes", "harvest-complete"]
        assert len(upper.checks) == len(lower.checks) > 0
        with pytest.raises(ConfigError, match="four-eye"):
            run_audit(store, rules=["four-eye"], now=now)
    finally:
        store.close()


# -- --model NAME@VERSION ----------------------------------------------------------------------
def test_version_gate_includes_its_systems_missing_risk_tier(git_repo) -> None:
    for f, text in (("train.py", "print('train')\n"), ("data.csv", "a,b\n1,2\n"),
                    ("model.bin", "weights\n")):
        git_repo.write(f, text)
    git_repo.commit("init")
    init = runner.invoke(app, ["init", "-C", str(git_repo.path)])
    assert init.exit_code == 0, init.output
    rec = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--name", "train",
                              "--input", "data.csv", "--model", "fraud@1=model.bin", "--clean"])
    assert rec.exit_code == 0, rec.output
    args = ("--rule", "risk-tier-set", "--fail-on", "high", "--format", "json")
    group = audit(git_repo.path, "--model", "fraud", *args)
    assert group.exit_code == 1, group.output
    assert findings(group) == {("risk-tier-set", "model_group:fraud")}
    res = audit(git_repo.path, "--model", "fraud@1", *args)
    assert res.exit_code == 1, res.output  # was 0: the group-level finding was dropped
    assert findings(res) == {("risk-tier-set", "model_group:fraud")}
    # the whole audit of the version, as a CI gate runs it
    gate = audit(git_repo.path, "--model", "fraud@1", "--fail-on", "high", "--format", "json")
    assert gate.exit_code == 1, gate.output
    assert ("risk-tier-set", "model_group:fraud") in findings(gate)


def test_version_gate_includes_a_stale_risk_tier(demo: Path) -> None:
    # the demo's assessment is more than 365 days old by then
    res = audit(demo, "--model", "churn@v1.1.0", "--as-of", "2030-01-01", "--fail-on", "high",
                "--format", "json")
    assert res.exit_code == 1, res.output
    assert ("risk-tier-set", "model_group:churn") in findings(res)


def test_version_gate_leaves_out_other_versions_findings(git_repo) -> None:
    # the fixture has findings on several versions of several groups; a version's gate has
    # its own, and its group's group-level ones, nothing of a sibling version
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    everything = audit(git_repo.path, "--format", "json", "--as-of", "2026-06-01")
    data = json.loads(everything.stdout)["findings"]
    version = next(f["model"] for f in data if f["model"] and "@" in f["model"])
    group = next(f["group"] for f in data if f["model"] == version)
    res = audit(git_repo.path, "--model", version.removeprefix("model:"), "--format", "json",
                "--as-of", "2026-06-01")
    got = json.loads(res.stdout)["findings"]
    assert got
    for f in got:
        assert f["model"] == version or (f["model"] is None and f["group"] == group
                                         and not f["subject"].startswith("model:")), f
    assert {(f["rule"], f["subject"]) for f in data
            if f["model"] == version} <= {(f["rule"], f["subject"]) for f in got}


# -- SARIF anchor ------------------------------------------------------------------------------
def _bare_repo(git_repo, *files: str) -> Path:
    for f in files:
        git_repo.write(f, "x\n")
    if files:
        git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    return git_repo.path


def _uris(sarif: dict) -> list[str | None]:
    out = []
    for r in sarif["runs"][0]["results"]:
        phys = r["locations"][0].get("physicalLocation")
        out.append(phys["artifactLocation"]["uri"] if phys else None)
    return out


def test_sarif_anchor_in_a_repository_without_policy_config_or_readme(git_repo,
                                                                      tmp_path: Path) -> None:
    repo = _bare_repo(git_repo, "src/train.py", "data.csv", "model.bin")
    out = tmp_path / "audit.sarif"
    res = audit(repo, "--format", "sarif", "-o", str(out), "--as-of", "2026-06-01")
    assert res.exit_code == 1, res.output
    uris = _uris(json.loads(out.read_text()))
    assert uris and None not in uris  # GitHub code scanning needs a file on every result
    assert "data.csv" in uris  # a file git tracks, at the repository root first
    assert "GitHub code scanning" not in res.stderr


def test_sarif_anchor_is_gitignore_when_git_tracks_nothing(git_repo, tmp_path: Path) -> None:
    repo = _bare_repo(git_repo)
    (repo / ".gitignore").write_text(".lineage/\n")
    out = tmp_path / "audit.sarif"
    res = audit(repo, "--format", "sarif", "-o", str(out), "--as-of", "2026-06-01")
    assert res.exit_code == 1, res.output
    assert ".gitignore" in _uris(json.loads(out.read_text()))


def test_sarif_without_any_file_warns_that_github_rejects_it(git_repo, tmp_path: Path) -> None:
    repo = _bare_repo(git_repo)
    out = repo / "audit.sarif"  # the report itself is no anchor
    res = audit(repo, "--format", "sarif", "-o", str(out), "--as-of", "2026-06-01")
    assert res.exit_code == 1, res.output
    assert None in _uris(json.loads(out.read_text()))
    assert "GitHub code scanning rejects" in res.stderr
    assert "README.md" in res.stderr


# -- --as-of with an offset --------------------------------------------------------------------
@pytest.mark.parametrize(("as_of", "waived"), [
    ("2026-12-02T00:00:00+05:00", True),    # 2026-12-01 19:00 UTC: the last valid day
    ("2026-12-01", True),
    ("2026-12-01T23:59:59Z", True),
    ("2026-12-01T23:00:00-05:00", False),   # 2026-12-02 04:00 UTC: expired
    ("2026-12-02", False),
])
def test_waiver_expiry_is_a_utc_day(demo: Path, as_of: str, waived: bool) -> None:
    pol = demo / "lineage-policy.yaml"
    pol.write_text(pol.read_text() + "waivers:\n  - rule: high-risk-docs\n"
                   "    node: model:churn@v1.1.0\n    owner: dana@example.com\n"
                   "    reason: bias report in review\n    expires: 2026-12-01\n")
    res = audit(demo, "--rule", "high-risk-docs", "--model", "churn@v1.1.0", "--format",
                "json", "--as-of", as_of)
    data = json.loads(res.stdout)
    assert data["waivers"][0]["status"] == ("used" if waived else "expired"), data["waivers"]
    assert res.exit_code == (0 if waived else 1), res.output
    assert ("waiver expired" in res.stderr) is not waived
