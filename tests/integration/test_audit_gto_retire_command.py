"""The command `prohibited-not-deployed` gives to retire a GTO deployment must be one GTO
takes: a stage assigned to a commit no version registers (the version is named by its sha)
cannot be unassigned with `gto deprecate NAME SHA STAGE` ("Version '<sha>' is not valid");
its assignment tag is deleted instead."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _finding(repo: GitRepo) -> dict:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              "prohibited-not-deployed"])
    assert res.exit_code == 1, res.output
    [finding] = json.loads(res.stdout)["findings"]
    return finding


def _assess(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "assessment", "-C", str(repo.path), "--group", "fraud",
                              "--tier", "unacceptable", "--assessor", "bob@example.com",
                              "--date", "2026-01-05", "--next-review", "2027-06-01"])
    assert res.exit_code == 0, res.output


def test_a_stage_of_a_commit_named_version_is_retired_by_deleting_its_tag(
        git_repo: GitRepo) -> None:
    git_repo.write("model.pkl", "1")
    sha = git_repo.commit("train")
    git_repo.tag("fraud#prod", "promote")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    _assess(git_repo)
    fix = _finding(git_repo)["remediation"]
    assert f"gto deprecate fraud {sha}" not in fix, fix
    assert "git tag -d 'fraud#prod'" in fix and "git push origin --delete 'fraud#prod'" in fix


def test_a_registered_version_is_unassigned_with_gto(git_repo: GitRepo) -> None:
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("fraud@v1.0.0", "register")
    git_repo.tag("fraud#prod", "promote")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    _assess(git_repo)
    assert "gto deprecate fraud v1.0.0 prod" in _finding(git_repo)["remediation"]
