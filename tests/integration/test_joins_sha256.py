"""OpenLineage runs of a SHA-256 repository (``git init --object-format=sha256``): the job's
``sourceCodeLocation.version`` is a 64-digit sha (or an abbreviation of one), and names the
commit the git harvester harvested, as a 40-digit sha does in a SHA-1 repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000e7"
RID = f"run:openlineage:{RUN}"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[GitRepo, str]:
    path = tmp_path / "repo"
    path.mkdir()
    r = GitRepo.__new__(GitRepo)
    r.path, r.tick = path, 0
    r.git("init", "-q", "--object-format=sha256", "-b", "main")
    r.write("train.py", "print('train')\n")
    sha = r.commit("train script")
    r.write("README", "x\n")
    r.commit("docs")
    assert len(sha) == 64
    return r, sha


@pytest.mark.parametrize("spell", ["full", "upper", "short", "describe"])
def test_the_run_is_linked_to_the_commit_its_version_names(repo: tuple[GitRepo, str],
                                                           spell: str) -> None:
    r, sha = repo
    version = {"full": sha, "upper": sha.upper(), "short": sha[:12],
               "describe": f"v1.0.0-1-g{sha[:10]}"}[spell]
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-05T10:00:00Z",
             "producer": "https://example.com/ci", "run": {"runId": RUN},
             "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                 "type": "git", "url": "https://example.com/churn", "version": version}}}}
    r.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    store = api.open_store(r.path)
    graph = store.load_graph()
    store.close()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.CODE)] == [f"commit:{sha}"]
    if spell in ("full", "upper"):
        assert graph.attrs(RID)["commit"] == sha
