"""`lineage record validate` as a reviewer runs it: every problem listed, hints that fit."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

BAD = "kind: approval\nmodel: churn\napprover: rita\ndecision: ok\ndecided_at: yesterday\n"


def _validate(repo: GitRepo, *args: str):
    return runner.invoke(app, ["record", "validate", "-C", str(repo.path), *args])


def test_every_problem_of_a_record_is_listed_in_text_and_json(git_repo: GitRepo) -> None:
    git_repo.write("governance/bad/x.yaml", BAD)
    res = _validate(git_repo, str(git_repo.path / "governance/bad/x.yaml"), "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert [(e["file"], e["line"], e["field"]) for e in out["errors"]] == [
        ("governance/bad/x.yaml", 2, "model"), ("governance/bad/x.yaml", 4, "decision"),
        ("governance/bad/x.yaml", 5, "decided_at")]
    assert out["errors"][1]["hint"] == "use one of the values listed"
    assert all("more problem" not in e["message"] for e in out["errors"])
    text = _validate(git_repo, str(git_repo.path / "governance/bad/x.yaml"))
    assert text.exit_code == 1
    errors = [x for x in text.stderr.splitlines() if x.startswith("error: ")]
    assert [x.split(" ", 2)[1] for x in errors] == [
        "governance/bad/x.yaml:2", "governance/bad/x.yaml:4", "governance/bad/x.yaml:5"]
    assert "3 error(s): 0 record(s) in 1 file(s)" in text.stdout


def test_the_policy_file_named_is_not_a_record_file(git_repo: GitRepo) -> None:
    git_repo.write("lineage-policy.yaml", "version: 1\napprovals:\n  - tiers: [high]\n"
                   "    count: 2\n")
    res = _validate(git_repo, str(git_repo.path / "lineage-policy.yaml"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["ok"], out["files"], out["errors"]) == (True, 0, [])
    assert out["notes"] == ["lineage-policy.yaml: the audit policy, not a record file: not "
                            "checked here (`lineage audit` reads it, and stops, exit 2, on a "
                            "problem in it)"]
    # a file that only looks like a policy, elsewhere, is still told where the policy goes
    git_repo.write("governance/policy.yaml", "approvals:\n  - count: 2\n")
    res = _validate(git_repo, str(git_repo.path / "governance/policy.yaml"))
    assert res.exit_code == 1 and "this looks like an audit policy" in res.stderr


def test_a_missing_file_is_named_with_the_record_file_meant(git_repo: GitRepo,
                                                            monkeypatch) -> None:
    git_repo.write("governance/approvals.yaml", "kind: approval\nmodel: churn@v1\n"
                   "approver: rita\ndecision: approved\ndecided_at: 2026-01-20\n")
    git_repo.write("governance/approval/r-1.yaml", "kind: approval\nmodel: churn@v1\n"
                   "approver: omar\ndecision: approved\ndecided_at: 2026-01-20\n")
    monkeypatch.chdir(git_repo.path)
    res = _validate(git_repo, "governance/aprovals.yaml")
    assert res.exit_code == 2
    assert res.stderr.splitlines() == ["error: no such file or folder: governance/aprovals.yaml",
                                       "hint: did you mean governance/approvals.yaml?"]
    res = _validate(git_repo, "governance/aproval")
    assert res.exit_code == 2 and "hint: did you mean governance/approval/?" in res.stderr
    (git_repo.path / "governance/approvals.yaml").unlink()
    (git_repo.path / "governance/approval/r-1.yaml").unlink()
    (git_repo.path / "governance/approval").rmdir()
    (git_repo.path / "governance").rmdir()
    res = _validate(git_repo)  # no governance folder, nothing named
    assert res.exit_code == 2 and "no governance folder" in res.stderr


def test_the_example_folder_passes_where_it_is_in_the_checkout() -> None:
    """docs/records.md: the example folder passes validation (its document is a file of
    lineage's own checkout, so it is read and its content hash checked)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    res = runner.invoke(app, ["record", "validate", "-C", str(root),
                              str(root / "docs/examples/governance"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["ok"], out["records"], out["warnings"]) == (True, 10, [])


def test_outside_a_git_repository_the_files_alone_are_checked(tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "docs/examples/governance"
    shutil.copytree(examples, tmp_path / "governance")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["record", "validate", "governance"])
    assert res.exit_code == 0, res.output
    assert "OK: 10 record(s) in 7 file(s)" in res.stdout
    notes = [x for x in res.stderr.splitlines() if x.startswith("note: ")]
    assert notes == ["note: not inside a git repository: every record is checked, but not the "
                     "files of documents (a document's uri is a path in a repository): neither "
                     "that they exist nor their content hash"]
    (tmp_path / "governance/bad.yaml").write_text(BAD)
    res = runner.invoke(app, ["record", "validate", "governance", "--json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert [(e["file"], e["line"], e["field"]) for e in out["errors"]] == [
        ("governance/bad.yaml", 2, "model"), ("governance/bad.yaml", 4, "decision"),
        ("governance/bad.yaml", 5, "decided_at")]
    assert len(out["notes"]) == 1
