"""Reading HEAD and the remote from .git without running git (packed refs, worktrees)."""

from __future__ import annotations

from lineage.records import git_head, git_remote_url, repository_of
from tests.conftest import GitRepo


def test_head_from_loose_and_packed_refs_and_detached(git_repo: GitRepo) -> None:
    first = git_repo.commit("one")
    assert git_head(git_repo.path) == first
    second = git_repo.commit("two")
    git_repo.git("pack-refs", "--all")
    assert not (git_repo.path / ".git/refs/heads/main").exists()
    assert git_head(git_repo.path) == second
    git_repo.git("checkout", "-q", "--detach", first)
    assert git_head(git_repo.path) == first


def test_head_and_remote_in_a_linked_worktree(git_repo: GitRepo, tmp_path) -> None:
    git_repo.commit("one")
    git_repo.git("remote", "add", "origin", "https://user:secret@GitHub.com/Acme/churn.git")
    git_repo.git("branch", "feature")
    wt = tmp_path / "wt"
    git_repo.git("worktree", "add", "-q", str(wt), "feature")
    git_repo.git("-C", str(wt), "commit", "-q", "--allow-empty", "-m", "in worktree")
    assert (wt / ".git").is_file()
    tip = git_repo.git("-C", str(wt), "rev-parse", "HEAD")
    assert git_head(wt) == tip != git_head(git_repo.path)
    assert git_remote_url(wt) == "https://user:secret@GitHub.com/Acme/churn.git"
    assert repository_of(wt) == "repository:github.com/Acme/churn"


def test_no_remote_names_the_root_commit_as_the_git_harvester_does(git_repo: GitRepo) -> None:
    assert repository_of(git_repo.path) is None  # no commit, no remote: nothing names it
    first = git_repo.commit("one")
    git_repo.commit("two")
    assert git_remote_url(git_repo.path) is None
    assert repository_of(git_repo.path) == f"repository:root:{first}"
