"""A clone's replace refs (``git replace``, grafts) are its private view: every harvester and
``track_run`` read the objects a sha names everywhere, as the git harvester does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import GitRepo

DVC = str(Path(sys.executable).parent / "dvc")


def test_a_model_version_is_the_artifact_its_tagged_commit_holds_despite_a_replace_ref(
        tmp_path: Path) -> None:
    """GTO tag on commit A; this clone replaces A by B: the version is still A's model."""
    from lineage import api
    from lineage.model import EdgeKind

    repo = GitRepo(tmp_path / "r")
    repo.run(DVC, "init", "-q")
    repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n")
    repo.write("model.pkl", "v1\n")
    repo.run(DVC, "add", "-q", "model.pkl")
    first = repo.commit("v1")
    repo.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    v1 = (repo.path / "model.pkl.dvc").read_text()
    repo.write("model.pkl", "v2\n")
    repo.run(DVC, "add", "-q", "model.pkl")
    second = repo.commit("v2")
    repo.git("replace", first, second)
    api.init(repo.path)
    api.harvest(repo.path)
    graph = api.open_store(repo.path).load_graph()
    artifacts = graph.in_edges("model:churn@v1.0.0", EdgeKind.ARTIFACT)
    md5 = next(line.split()[-1] for line in v1.splitlines() if "md5:" in line)
    assert [e.source.rsplit("@md5:", 1)[1] for e in artifacts] == [md5]


def test_track_run_reads_head_as_it_is_not_as_a_replace_ref_shows_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean checkout whose HEAD this clone replaces by an older commit: not dirty."""
    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("train.py", "print(1)\n")
    old = repo.commit("one")
    repo.write("train.py", "print(2)\n")
    head = repo.commit("two")
    repo.git("replace", head, old)
    state = git_state(repo.path)
    assert state.commit == head
    assert state.dirty is False
