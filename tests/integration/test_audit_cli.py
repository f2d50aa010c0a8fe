"""`lineage audit` through the CLI on a real store in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-06-01"]
SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
runner = CliRunner()


def _repo(git_repo, fixed: bool = False, seed: int = 3):
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    fx = make_fixture(seed, fixed=fixed)
    write_store(fx, git_repo.path / ".lineage").close()
    return git_repo.path, fx


def audit(repo: Path, *args: str):
    return runner.invoke(app, ["audit", "--repo", str(repo), *AS_OF, *args])


def test_findings_exit_1_and_clean_exit_0(git_repo, tmp_path: Path) -> None:
    repo, fx = _repo(git_repo)
    res = audit(repo, "--format", "json")
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert {(f["rule"], f["subject"]) for f in data["findings"]} == fx.expected
    assert audit(repo, "--fail-on", "never").exit_code == 0
    # only low-severity gaps in this model: --fail-on medium passes, --fail-on low fails
    assert audit(repo, "--model", "s3-noretrain", "--fail-on", "medium").exit_code == 0
    assert audit(repo, "--model", "s3-noretrain", "--fail-on", "low").exit_code == 1


def test_a_fix_by_lineage_record_says_to_write_and_commit_the_file(git_repo) -> None:
    """Without --write-file a record lives in this store alone: the local audit passes and a
    fresh clone's (CI's) still fails. The report says so once, under its findings."""
    repo, _ = _repo(git_repo)
    res = audit(repo, "--fail-on", "never")
    assert "lineage record" in res.stdout
    assert res.stdout.count("note: give `lineage record` --write-file") == 1, res.stdout
    fixed, _ = _repo(git_repo, fixed=True)
    assert "--write-file" not in audit(fixed).stdout


def test_fixed_repository_exits_0(git_repo) -> None:
    repo, _ = _repo(git_repo, fixed=True)
    res = audit(repo)
    assert res.exit_code == 0, res.output
    assert "0 finding(s)" in res.stdout


def test_output_files_in_every_format(git_repo, tmp_path: Path) -> None:
    repo, fx = _repo(git_repo)
    for fmt in ("json", "junit", "sarif", "markdown", "table"):
        out = tmp_path / f"report.{fmt}"
        res = audit(repo, "--format", fmt, "--output", str(out))
        assert res.exit_code == 1, res.output
        assert out.stat().st_size > 0
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    # every result has a file (the repository's README.md when nothing better is known)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert "README.md" in uris
    root = ET.parse(tmp_path / "report.junit").getroot()
    assert int(root.get("failures")) == len(fx.expected)
    assert "lineage audit" in (tmp_path / "report.table").read_text()


def test_policy_file_in_repo_and_waivers(git_repo) -> None:
    repo, fx = _repo(git_repo)
    (repo / "lineage-policy.yaml").write_text(
        "rules:\n  lineage-continuity: {enabled: false}\n"
        "waivers:\n"
        "  - rule: transparency-notice\n    node: model:s3-opaque@3\n    owner: erin\n"
        "    reason: notice in legal review\n    expires: 2026-05-01\n")
    res = audit(repo, "--format", "json")
    data = json.loads(res.stdout)
    got = {(f["rule"], f["subject"]) for f in data["findings"]}
    assert not any(r == "lineage-continuity" for r, _ in got)
    assert data["policy"].endswith("lineage-policy.yaml")
    assert data["waivers"][0]["status"] == "expired"
    # (the waiver names the MLflow spelling; the version is reported under its GTO one)
    assert ("transparency-notice", "model:s3-opaque@v1.1.0") in got
    assert "waiver expired" in res.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["--format", "yaml"], "unknown format"),
    (["--fail-on", "hihg"], "did you mean 'high'"),
    (["--rule", "four-eys"], "did you mean 'four-eyes'"),
    (["--as-of", "yesterday"], "not an ISO date"),
    (["--source", "datahub-lyte"], "did you mean 'datahub-lite'"),
])
def test_usage_errors_exit_2(git_repo, args, needle) -> None:
    repo, _ = _repo(git_repo)
    res = audit(repo, *args)
    assert res.exit_code == 2
    assert needle in res.stderr


def test_bad_policy_exits_2_naming_file_and_line(git_repo, tmp_path: Path) -> None:
    repo, _ = _repo(git_repo)
    bad = tmp_path / "policy.yaml"
    bad.write_text("approvals:\n  - count: zero\n")
    res = audit(repo, "--policy", str(bad))
    assert res.exit_code == 2
    assert f"{bad}:2: field approvals.0.count" in res.stderr


def test_unavailable_source_is_a_clear_error(git_repo, monkeypatch) -> None:
    from lineage import plugins

    repo, _ = _repo(git_repo)
    monkeypatch.setitem(plugins.SOURCES, "datahub-lite", "no_such_module.reader:read_lite")
    res = audit(repo, "--source", "datahub-lite", "x.db")
    assert res.exit_code == 2
    assert "graph source 'datahub-lite' is not available" in res.stderr


def test_no_store_exits_2(git_repo) -> None:
    git_repo.commit("init")
    res = audit(git_repo.path)
    assert res.exit_code == 2 and "lineage init" in res.stderr


def test_a_store_never_harvested_is_no_pass(git_repo) -> None:
    # `lineage init` then `lineage audit` (the harvest step forgotten in CI, or a store put
    # back empty): 0 checks must not pass the gate
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "--repo", str(git_repo.path)]).exit_code == 0
    res = audit(git_repo.path)
    assert res.exit_code == 2, res.output
    assert "lineage harvest" in res.stderr and "Traceback" not in res.output
    # a push (an event that writes no fact) leaves it as empty as before
    lite = git_repo.path / "catalog.db"
    pushed = runner.invoke(app, ["push", str(lite), "--repo", str(git_repo.path)])
    assert pushed.exit_code == 0 and "holds no facts yet" in pushed.stderr, pushed.output
    res = audit(git_repo.path)
    assert res.exit_code == 2 and "nothing to audit" in res.stderr, res.output
    # harvested (nothing to audit in it: no model) the audit runs and passes
    assert runner.invoke(app, ["harvest", "--repo", str(git_repo.path)]).exit_code == 0
    assert audit(git_repo.path).exit_code == 0


def test_rules_given_as_one_comma_separated_list(git_repo) -> None:
    repo, _ = _repo(git_repo)
    res = audit(repo, "--format", "json", "--rule", "four-eyes,Model-Has-Run")
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert [r["id"] for r in data["rules"]] == ["four-eyes", "model-has-run", "harvest-complete"]
    assert {f["rule"] for f in data["findings"]} == {"four-eyes", "model-has-run"}


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"])
def test_as_of_whose_utc_time_is_out_of_range_is_a_usage_error(quickstart_demo: Path,
                                                               as_of: str) -> None:
    # a valid ISO time whose UTC instant is past year 9999 (or before year 1) was a traceback
    for args in (["audit", "--format", "json"], ["audit", "--format", "sarif"],
                 ["show", "churn@v1.1.0"]):
        res = runner.invoke(app, [*args, "--as-of", as_of])
        assert res.exit_code == 2, res.output
        assert res.stdout == "" and "Traceback" not in res.output
        assert res.stderr.splitlines() == [
            f"error: --as-of {as_of!r} is out of range: its UTC time is before year 1 or "
            "after year 9999", "hint: e.g. --as-of 2026-06-30"]
    res = runner.invoke(app, ["audit", "--format", "json", "--as-of", "9999-12-31T23:59:59Z"])
    assert res.exit_code == 1 and json.loads(res.stdout)["as_of"].startswith("9999-12-31")
