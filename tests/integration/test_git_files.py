"""HEAD read from the git files (no git process): what a recorded run is linked to."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lineage.cli.main import app
from lineage.records import git_head
from tests.conftest import GitRepo


def test_a_branch_that_is_a_symbolic_ref_gives_its_target_commit(git_repo: GitRepo) -> None:
    """``master`` kept as a symbolic ref to ``main`` (a default branch renamed): HEAD →
    master → main, loose or packed."""
    git_repo.commit("one")
    head = git_repo.commit("two")
    git_repo.git("symbolic-ref", "refs/heads/master", "refs/heads/main")
    git_repo.git("symbolic-ref", "HEAD", "refs/heads/master")
    assert git_repo.git("rev-parse", "HEAD") == head
    assert git_head(git_repo.path) == head
    git_repo.git("pack-refs", "--all")
    assert git_head(git_repo.path) == head
    runner = CliRunner()
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--name", "train",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["commit"] == head


def test_a_symbolic_ref_loop_is_no_commit(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    (git_repo.path / ".git/refs/heads/a").write_text("ref: refs/heads/b\n")
    (git_repo.path / ".git/refs/heads/b").write_text("ref: refs/heads/a\n")
    git_repo.git("symbolic-ref", "HEAD", "refs/heads/a")
    assert git_head(git_repo.path) is None
