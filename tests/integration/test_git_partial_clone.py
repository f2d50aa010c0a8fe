"""A partial clone (``git clone --filter=blob:none``, e.g. a CI checkout with a filter) lacks
the DVC files' contents: git fetches them from the clone's promisor remote when read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import NodeKind
from tests.conftest import GitRepo


def _dvc_repo(git_repo: GitRepo) -> None:
    git_repo.git("config", "uploadpack.allowFilter", "true")
    for i in range(3):
        git_repo.write("data.csv.dvc", f"outs:\n- md5: {'a' * 31}{i}\n  size: {i}\n"
                       "  path: data.csv\n")
        git_repo.commit(f"data {i}")


def _data(path: Path) -> set[str]:
    with api.open_store(path) as store:
        return {n.id for n in store.iter_nodes(NodeKind.DATA)}


def test_a_partial_clone_harvests_what_a_full_clone_does(git_repo: GitRepo,
                                                         tmp_path: Path) -> None:
    _dvc_repo(git_repo)
    full, partial = tmp_path / "full", tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", f"file://{git_repo.path}", str(full)], check=True)
    subprocess.run(["git", "clone", "-q", "--filter=blob:none", "--no-checkout",
                    f"file://{git_repo.path}", str(partial)], check=True)
    for path in (full, partial):
        api.init(path)
        api.harvest(path, only=["git", "dvc"])
    assert len(_data(full)) == 3
    assert _data(partial) == _data(full)
    # the three .dvc file versions came in one fetch (one pack), not one fetch (and pack) each
    packs = list((partial / ".git" / "objects" / "pack").glob("*.promisor"))
    assert len(packs) == 2  # the clone's, and the DVC files'


def test_a_partial_clone_whose_remote_is_gone_says_what_to_do(git_repo: GitRepo,
                                                              tmp_path: Path) -> None:
    _dvc_repo(git_repo)
    partial = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--filter=blob:none", "--no-checkout",
                    f"file://{git_repo.path}", str(partial)], check=True)
    git_repo.path.rename(tmp_path / "moved")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "-C", str(partial)]).exit_code == 0
    res = runner.invoke(app, ["harvest", "-C", str(partial)])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "partial clone" in out and "promisor remote" in out
    assert "without --filter" in out
    assert "git fsck" not in out  # the repository is not corrupt


def test_a_partial_clone_with_unpushed_dvc_files_fetches_the_others_at_once(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """The remote refuses a fetch naming an object only the clone has: those are not asked
    for (one fetch of the three it lacks, not one per file)."""
    _dvc_repo(git_repo)
    partial = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--filter=blob:none", "--no-checkout",
                    f"file://{git_repo.path}", str(partial)], check=True)
    local = GitRepo.__new__(GitRepo)
    local.path, local.tick = partial, git_repo.tick + 1
    local.git("reset", "-q", "HEAD")
    local.write("data.csv.dvc", f"outs:\n- md5: {'b' * 32}\n  size: 9\n  path: data.csv\n")
    local.git("add", "data.csv.dvc")
    local.git("commit", "-q", "-m", "unpushed data")
    api.init(partial)
    api.harvest(partial, only=["git", "dvc"])
    assert len(_data(partial)) == 4
    assert len(list((partial / ".git" / "objects" / "pack").glob("*.promisor"))) == 2
