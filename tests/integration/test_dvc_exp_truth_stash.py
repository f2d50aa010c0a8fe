"""DVC's experiment bookkeeping is not the repository's history: the stash commits a queued
experiment leaves behind ``refs/exps/celery/stash`` (and DVC's other stash, apply, exec and
temp refs) are not harvested as commits; a store that holds them from an earlier version gets
them withdrawn. The experiments themselves (``refs/exps/<xx>/<sha>/<name>``) still are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.harvesters import gitscan
from connectors.harvesters.git import GitHarvester
from lineage import api
from tests.conftest import GitRepo

DVC = Path(sys.executable).with_name("dvc")
needs_dvc = pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed")
# what an earlier version left out of the walk
_BEFORE = ("refs/stash", "refs/notes/", "refs/replace/")


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("train.py", 'open("out.txt", "w").write(open("params.yaml").read())\n')
    repo.write("dvc.yaml", f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
               "    deps: [train.py]\n    params: [lr]\n    outs: [out.txt]\n")
    repo.commit("baseline")
    return repo


def _commits(repo: GitRepo) -> dict[str, str]:
    """Commit sha → message of the commit nodes the store holds, and the repository's
    ``contains`` edges agree."""
    store = api.open_store(repo.path)
    try:
        nodes = {n.attrs["sha"]: n.attrs["message"] for n in store.iter_nodes("commit")}
        contained = {e.target.removeprefix("commit:")
                     for e in store.iter_edges() if e.kind == "contains"}
        assert contained == set(nodes)
        assert store.verify().ok
    finally:
        store.close()
    return nodes


def _history(repo: GitRepo) -> set[str]:
    """The commits of the branches and the experiments (what `dvc exp show` lists)."""
    return set(repo.git("rev-list", "--branches", "--glob=refs/exps/??/*").split())


def _run_all(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dvc exp run --run-all`: DVC's queue worker is started as ``dvc`` from PATH."""
    monkeypatch.setenv("PATH", f"{DVC.parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run([str(DVC), "exp", "run", "--run-all"], cwd=repo.path, env=repo.env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr or out.stdout


@needs_dvc
def test_a_queued_experiment_leaves_no_commit_in_the_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    repo.dvc("exp", "run", "-q", "-n", "y1", "-S", "lr=0.2")
    repo.dvc("exp", "run", "-q", "--queue", "-n", "q1", "-S", "lr=0.5")
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/exps").split()
    assert "refs/exps/celery/stash" in refs
    stash = repo.git("rev-parse", "refs/exps/celery/stash")
    api.init(repo.path)
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    held = _commits(repo)
    assert set(held) == _history(repo), held
    assert stash not in held and not [m for m in held.values() if "stash" in m.lower()]
    _run_all(repo, monkeypatch)
    assert "refs/exps/celery/stash" not in repo.git("for-each-ref", "--format=%(refname)")
    api.harvest(repo.path)
    held = _commits(repo)
    assert set(held) == _history(repo)
    store = api.open_store(repo.path)
    names = {n.attrs["name"] for n in store.iter_nodes("run")}
    store.close()
    assert names == {"y1", "q1"}  # the queued experiment, run, is a run


@needs_dvc
@pytest.mark.parametrize("run_all", [False, True], ids=["still-queued", "run-all"])
def test_a_store_holding_stash_commits_gets_them_withdrawn(
        run_all: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store an earlier version harvested while an experiment was queued holds DVC's stash
    commits as the repository's; the next harvest withdraws them (logged: the trail names them
    and proves they were withdrawn), whether the experiment is still queued or `dvc exp run
    --run-all` ran it and dropped the stash."""
    repo = _repo(tmp_path)
    repo.dvc("exp", "run", "-q", "--queue", "-n", "q1", "-S", "lr=0.5")
    stash = repo.git("rev-parse", "refs/exps/celery/stash")
    index = repo.git("rev-parse", f"{stash}^2")
    api.init(repo.path)
    with monkeypatch.context() as m:  # the earlier version: DVC's stash walked, kept
        m.setattr(gitscan, "_EXCLUDED_REF_PREFIXES", _BEFORE)
        m.setattr(GitHarvester, "_dvc_stash_commits", lambda *a: iter(()))
        api.harvest(repo.path)
    held = _commits(repo)
    assert {stash, index} <= set(held)  # (what the earlier version wrote)
    if run_all:
        _run_all(repo, monkeypatch)
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    held = _commits(repo)
    assert set(held) == _history(repo)
    store = api.open_store(repo.path)
    try:
        withdrawn = {r[0] for r in store.conn.execute(
            "SELECT fid FROM fact_log WHERE hash = 'withdrawn'")}
        assert store.verify().ok
    finally:
        store.close()
    assert {f"n|commit:{stash}", f"n|commit:{index}"} <= withdrawn, withdrawn
    assert api.harvest(repo.path).new_events == 0


def test_dvc_bookkeeping_refs_are_not_walked(git_repo: GitRepo) -> None:
    """Every ref DVC keeps for its own work (dvc/repo/experiments/refs.py: the workspace and
    queue stashes, failed queue entries, exp apply's, a run's exec and temp refs) names
    commits that are not history; an experiment ref's commit is."""
    repo = git_repo
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    made: dict[str, str] = {}
    for ref in ("refs/exps/stash", "refs/exps/celery/stash", "refs/exps/celery/failed",
                "refs/exps/apply/stash", "refs/exps/apply/ORIG_HEAD",
                "refs/exps/exec/EXEC_MERGE", "refs/exps/temp/merge-0123"):
        sha = repo.git("commit-tree", tree, "-p", base, "-m", f"dvc-exp:{base}:{base}:x {ref}")
        repo.git("update-ref", ref, sha)
        made[ref] = sha
    exp = repo.git("commit-tree", tree, "-p", base, "-m", "dvc: commit experiment 0")
    repo.git("update-ref", f"refs/exps/{base[:2]}/{base[2:]}/e1", exp)
    api.init(repo.path)
    api.harvest(repo.path, only=["git"])
    held = _commits(repo)
    assert set(held) == {base, exp}, held


def _stash_commit(repo: GitRepo, base: str, name: str) -> tuple[str, str]:
    """(stash commit, its index commit) as DVC's queue makes them: a merge of the baseline
    and an "Index stash" commit, with DVC's stash message."""
    tree = repo.git("rev-parse", f"{base}^{{tree}}")
    index = repo.git("commit-tree", tree, "-p", base, "-m", "Index stash")
    stash = repo.git("commit-tree", tree, "-p", base, "-p", index, "-m",
                     f"dvc-exp:{base}:{base}:{name}")
    return stash, index


def test_a_stash_commit_a_branch_was_made_on_is_history(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Of the stash commits an earlier version harvested, one a branch now reaches is the
    repository's history and stays (a fresh harvest walks it); the others are withdrawn, and
    it is done once: a later harvest writes nothing."""
    repo = git_repo
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    kept, kept_index = _stash_commit(repo, base, "q1")
    gone, gone_index = _stash_commit(repo, base, "q2")
    repo.git("update-ref", "refs/exps/celery/stash", kept)
    repo.git("update-ref", "refs/exps/celery/failed", gone)
    api.init(repo.path)
    with monkeypatch.context() as m:
        m.setattr(gitscan, "_EXCLUDED_REF_PREFIXES", _BEFORE)
        m.setattr(GitHarvester, "_dvc_stash_commits", lambda *a: iter(()))
        api.harvest(repo.path, only=["git"])
    assert set(_commits(repo)) == {base, kept, kept_index, gone, gone_index}
    repo.git("branch", "from-stash", kept)
    repo.git("update-ref", "-d", "refs/exps/celery/failed")
    api.harvest(repo.path, only=["git"])
    assert set(_commits(repo)) == {base, kept, kept_index}
    assert api.harvest(repo.path, only=["git"]).new_events == 0
