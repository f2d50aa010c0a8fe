"""`lineage show REF` on real repositories: a model name as of a date (the latest version that
existed then) and git revisions (HEAD, branches, tags, ``HEAD~1``) as git names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    api.init(r.path)
    return r


def _harvest(repo: GitRepo) -> None:
    res = runner.invoke(app, ["harvest", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output


def _node(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, ["show", *args, "--repo", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    node: str = json.loads(res.stdout)["node"]
    return node


def _fails(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, ["show", *args, "--repo", str(repo.path)])
    assert res.exit_code == 2, res.output
    return res.output


# -- a model name as of a date -----------------------------------------------------------------

def test_model_name_as_of_a_date_is_the_latest_version_registered_by_then(
        repo: GitRepo) -> None:
    repo.commit("train")                      # 2026-01-01T01:00
    repo.tag("m@v1.0.0", "register")          # tag made 2026-01-01T02:00
    repo.commit("retrain")                    # 2026-01-01T03:00
    repo.tag("m@v1.1.0", "register")          # 2026-01-01T04:00
    _harvest(repo)
    assert _node(repo, "m") == "model:m@v1.1.0"
    assert _node(repo, "m", "--as-of", "2026-01-01T03:30:00Z") == "model:m@v1.0.0"
    assert _node(repo, "m", "--as-of", "2026-01-01T04:00:00Z") == "model:m@v1.1.0"
    out = _fails(repo, "m", "--as-of", "2026-01-01T01:30:00Z")
    assert "no version of model m existed as of 2026-01-01T01:30:00Z" in out
    assert "m@v1.0.0" in out and "Traceback" not in out
    # a version named explicitly is that version, whatever the date
    assert _node(repo, "m@v1.1.0", "--as-of", "2026-01-01T03:30:00Z") == "model:m@v1.1.0"


def test_quickstart_model_as_of_is_the_version_of_that_day(quickstart_demo: Path) -> None:
    def node(*args: str) -> str:
        res = runner.invoke(app, ["show", *args, "--json"])
        assert res.exit_code == 0, res.output
        return str(json.loads(res.stdout)["node"])

    assert node("churn", "--as-of", "2026-01-22") == "model:churn@v1.1.0"
    assert node("churn", "--as-of", "2026-01-10") == "model:churn@v1.0.0"  # v1.1.0: 01-14


# -- git revisions -----------------------------------------------------------------------------

def test_head_branch_and_tag_resolve_to_their_commit(repo: GitRepo) -> None:
    first = repo.commit("first")
    repo.tag("release-1", "a release")          # annotated
    repo.git("tag", "light", first)             # lightweight
    second = repo.commit("second")
    repo.git("branch", "topic", first)
    _harvest(repo)
    assert _node(repo, "HEAD") == f"commit:{second}"
    assert _node(repo, "main") == f"commit:{second}"
    assert _node(repo, "topic") == f"commit:{first}"
    assert _node(repo, "refs/heads/topic") == f"commit:{first}"
    assert _node(repo, "release-1") == f"commit:{first}"
    assert _node(repo, "light") == f"commit:{first}"
    assert _node(repo, "HEAD~1") == f"commit:{first}"


def test_git_revision_the_store_has_not_harvested_says_so(repo: GitRepo) -> None:
    repo.commit("first")
    _harvest(repo)
    new = repo.commit("not harvested yet")
    out = _fails(repo, "HEAD")
    assert f"HEAD is commit {new[:12]}" in out and "lineage harvest" in out


def test_git_revision_without_git_reads_the_store(repo: GitRepo) -> None:
    """The Python API with no git to ask: tags from the commits' refs, branch heads from the
    repository node, HEAD from the git files."""
    first = repo.commit("first")
    repo.tag("release-1", "a release")
    second = repo.commit("second")
    _harvest(repo)
    graph = api.open_store(repo.path).load_graph()
    assert api.resolve_ref(graph, "release-1") == f"commit:{first}"
    assert api.resolve_ref(graph, "main") == f"commit:{second}"
    assert api.resolve_ref(graph, "HEAD", repo=repo.path) == f"commit:{second}"


def test_model_name_that_is_also_a_git_ref_is_reported(repo: GitRepo) -> None:
    repo.commit("train")
    repo.tag("m@v1.0.0", "register")
    repo.commit("other work")
    repo.git("branch", "m")                    # branch m: not the version's commit
    _harvest(repo)
    out = _fails(repo, "m")
    assert "'m' is ambiguous" in out
    assert "model:m@v1.0.0" in out and "refs/heads/m" in out
    # spelled out, each resolves
    assert _node(repo, "model_group:m").startswith("model")
    assert _node(repo, "refs/heads/m").startswith("commit:")
    # a GTO tag names its own version: no ambiguity
    assert _node(repo, "m@v1.0.0") == "model:m@v1.0.0"


def test_model_name_as_of_a_date_before_a_deregistration_is_that_version(
        repo: GitRepo) -> None:
    repo.commit("train")                      # 2026-01-01T01:00
    repo.tag("m@v1.0.0", "register")          # 02:00
    repo.tag("m@v1.1.0", "register")          # 03:00
    repo.tag("m@v1.1.0!", "deregister")       # 04:00
    _harvest(repo)
    assert _node(repo, "m") == "model:m@v1.0.0"  # as gto show today
    assert _node(repo, "m", "--as-of", "2026-01-01T03:30:00Z") == "model:m@v1.1.0"
    assert _node(repo, "m", "--as-of", "2026-01-01T04:00:00Z") == "model:m@v1.0.0"


def test_model_version_whose_tag_moved_since_the_harvest_is_still_the_version(
        repo: GitRepo) -> None:
    """A GTO registration tag is the version's own name: moved to another commit after the
    harvest, it is no git revision competing with the version."""
    repo.commit("train")
    repo.tag("m@v1.0.0", "register")
    repo.commit("retrain")
    _harvest(repo)
    repo.git("tag", "-d", "m@v1.0.0")
    repo.tag("m@v1.0.0", "register again here")
    assert _node(repo, "m@v1.0.0") == "model:m@v1.0.0"
