"""A run recorded before the first harvest names its repository as the git harvester will: its
inputs are the harvested DVC data, not a second copy under another repository id."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import GitRepo

DVC = str(Path(sys.executable).parent / "dvc")


def _dvc_repo(path: Path) -> GitRepo:
    repo = GitRepo(path)
    repo.run(DVC, "init", "-q")
    repo.write("data.csv", "x,y\n1,2\n")
    repo.run(DVC, "add", "-q", "data.csv")
    repo.commit("data")
    return repo


def _data_ids(root: Path) -> set[str]:
    from lineage import api
    from lineage.model import NodeKind

    with api.open_store(root) as store:
        return {n.id for n in store.iter_nodes(NodeKind.DATA)}


def _record_then_harvest(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    from lineage.cli.main import app

    monkeypatch.chdir(repo.path)
    runner = CliRunner()
    for cmd in (["init"], ["record", "run", "--name", "train", "-i", "data.csv"], ["harvest"]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 0, res.output
    return _data_ids(repo.path)


def test_a_run_recorded_before_the_first_harvest_names_a_remote_not_called_origin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _dvc_repo(tmp_path / "rr")
    repo.git("remote", "add", "upstream", "https://github.com/Org/RR.git")
    ids = _record_then_harvest(repo, monkeypatch)
    assert len(ids) == 1, ids
    assert next(iter(ids)).startswith("data:github.com/Org/RR:data.csv@md5:")


def test_a_run_recorded_before_the_first_harvest_names_the_root_of_head_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two root commits (an orphan branch merged in), no remote: the harvester names the first
    root of HEAD's history, and so does the run."""
    from connectors.harvesters.gitscan import repository_identity

    repo = _dvc_repo(tmp_path / "two-roots")
    main_root = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "--orphan", "docs")
    repo.git("rm", "-rq", "--cached", ".")
    # a docs root whose sha sorts before main's (the sorted-first root is then the wrong one)
    repo.tick += 1  # a day after main's root: HEAD's history reaches main's root first
    n = 0
    while True:
        repo.git("commit", "-q", "--allow-empty", "-m", f"docs root {n}")
        if repo.git("rev-parse", "HEAD") < main_root:
            break
        repo.git("update-ref", "-d", "refs/heads/docs")
        n += 1
    repo.git("checkout", "-q", "-f", "main")
    repo.tick += 1
    repo.git("merge", "-q", "--allow-unrelated-histories", "-m", "merge docs", "docs")
    roots = repo.git("rev-list", "--max-parents=0", "HEAD").split()
    assert len(roots) == 2 and sorted(roots)[0] != main_root
    assert repository_identity(repo.path) == f"repository:root:{main_root}"
    ids = _record_then_harvest(repo, monkeypatch)
    assert len(ids) == 1, ids
    assert next(iter(ids)).startswith(f"data:root:{main_root}:data.csv@md5:")


def test_track_run_before_the_first_harvest_names_a_remote_not_called_origin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.harvesters.gitscan import repository_identity
    from connectors.tracking import git_state, track_run
    from lineage import api

    repo = _dvc_repo(tmp_path / "rr")
    repo.git("remote", "add", "upstream", "https://github.com/Org/RR.git")
    assert git_state(repo.path).repository == repository_identity(repo.path)
    monkeypatch.chdir(repo.path)
    api.init(repo.path)
    with track_run(repo.path, name="train", inputs=["data.csv"]):
        pass
    res = CliRunner().invoke(__import__("lineage.cli.main", fromlist=["app"]).app, ["harvest"])
    assert res.exit_code == 0, res.output
    ids = _data_ids(repo.path)
    assert len(ids) == 1, ids


def test_a_run_recorded_after_a_remote_was_added_names_the_new_identity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Harvested without a remote (repository:root:…), then a remote added: a run recorded
    now reads the data the next harvest gives (github.com/…), not the store's old identity."""
    from lineage.cli.main import app

    repo = _dvc_repo(tmp_path / "moved")
    monkeypatch.chdir(repo.path)
    runner = CliRunner()
    for cmd in (["init"], ["harvest"]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 0, res.output
    repo.git("remote", "add", "origin", "https://github.com/Org/Moved.git")
    for cmd in (["record", "run", "--name", "train", "--run-id", "r1", "-i", "data.csv"],
                ["harvest"]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 0, res.output
    from lineage import api
    from lineage.model import EdgeKind

    with api.open_store(repo.path) as store:
        graph = store.load_graph()
    inputs = [e.source for e in graph.in_edges("run:lineage:r1", EdgeKind.INPUT)]
    assert len(inputs) == 1 and inputs[0].startswith("data:github.com/Org/Moved:data.csv@")
