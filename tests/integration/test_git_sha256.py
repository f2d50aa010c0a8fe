"""A SHA-256 repository (``git init --object-format=sha256``): commit ids are 64 hex digits.

The sha is the commit's identity across sources (an MLflow run's ``mlflow.source.git.commit``,
``lineage record run --commit``): it must be the whole sha, never its first 40 digits.
"""

from __future__ import annotations

from pathlib import Path

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def _sha256_repo(path: Path) -> GitRepo:
    path.mkdir(parents=True)
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = path, 0
    repo.git("init", "-q", "--object-format=sha256", "-b", "main")
    return repo


def test_commits_keep_their_whole_sha(tmp_path: Path) -> None:
    repo = _sha256_repo(tmp_path / "repo")
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    repo.git("checkout", "-q", "-b", "side")
    c3 = repo.commit("three")
    repo.git("checkout", "-q", "main")
    c4 = repo.commit("four")
    repo.tick += 1
    repo.git("merge", "-q", "--no-edit", "side")
    merge = repo.git("rev-parse", "HEAD")
    repo.tag("v1", "release", ref=c2)
    repo.git("checkout", "-q", "--detach", c3)
    detached = repo.commit("on a detached HEAD")
    assert len(c1) == 64
    api.init(repo.path)
    api.harvest(repo.path, only=["git"])
    with api.open_store(repo.path) as store:
        commits = {n.id: n.attrs for n in store.iter_nodes(NodeKind.COMMIT)}
        parents = {(e.source, e.target) for e in store.iter_edges("parent")}
        assert next(store.iter_nodes(NodeKind.REPOSITORY)).id == f"repository:root:{c1}"
    assert set(commits) == {f"commit:{c}" for c in (c1, c2, c3, c4, merge, detached)}
    assert commits[f"commit:{merge}"]["parents"] == [c4, c3]
    assert commits[f"commit:{c2}"]["refs"] == ["refs/tags/v1"]
    assert (f"commit:{c3}", f"commit:{detached}") in parents
    assert all(len(a["sha"]) == 64 for a in commits.values())


def test_the_streaming_parser_cuts_sha256_commits_alike(tmp_path: Path) -> None:
    import subprocess

    from connectors.harvesters import gitscan

    repo = _sha256_repo(tmp_path / "repo")
    for i in range(4):
        repo.write("dvc.lock", f"schema: '2.0'\n# {i}\n")
        repo.commit(f"c{i}")
    data = subprocess.run(["git", *gitscan._LOG_ARGS], cwd=repo.path, input=b"HEAD\n",
                          capture_output=True, check=True).stdout
    whole = gitscan.parse_log(data)
    assert [len(c.sha) for c in whole[0]] == [64] * 4 and len(whole[1]) == 4
    for size in (1, 7, 77, 78, 200, len(data)):
        p = gitscan.LogParser()
        cuts = 0
        for i in range(0, len(data), size):
            before = len(p.commits)
            p.feed(data[i : i + size])
            cuts += len(p.commits) > before
        assert p.finish() == whole
        if size < len(data) // 4:
            assert cuts >= 3  # commits parsed as they arrive, not all at the end
