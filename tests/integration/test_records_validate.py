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
