"""OpenLineage file datasets named from another checkout of this repository: a CI job
(GitHub Actions checks out to ``/home/runner/work/<repo>/<repo>``) reports
``/home/runner/work/churn/churn/data/train.csv`` in namespace ``file``. When the run says it
ran this repository's code (``sourceCodeLocation.repoUrl``, without one its ``url``, or a
job namespace that is its URL) and the path ends in a path DVC tracks here, it is that repository path: ``joins`` then
pins the input to DVC's content hash, as for a run on this machine. Nothing is guessed across
repositories or for files DVC does not track."""

from __future__ import annotations

import json
import sys

import pytest

from lineage import api
from lineage.audit.engine import run_audit
from lineage.model import EdgeKind
from tests.conftest import GitRepo

pytest.importorskip("dvc")

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
RUN = "0190a5b2-0000-7000-8000-0000000000c1"
RID = f"run:openlineage:{RUN}"
CI = "/home/runner/work/churn/churn"


def dvc(repo: GitRepo, *args: str) -> str:
    return repo.run(sys.executable, "-m", "dvc", *args)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    r = git_repo
    r.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    dvc(r, "init", "-q")
    r.write("data/train.csv", "age,churn\n31,0\n")
    r.write("data/images/cat.png", "png")
    r.write("notes/readme.txt", "not tracked by DVC\n")
    dvc(r, "add", "-q", "data/train.csv", "data/images")
    r.write("train.py", "print('train')\n")
    r.git("add", "-A")
    r.commit("data and train script")
    api.init(r.path)
    return r


def _harvest(repo: GitRepo, inputs: list[str], *, repo_url: str | None,
             namespace: str = "github-actions",
             url: str = "https://github.com/acme/churn/blob/main/train.py") -> dict[str, dict]:
    """One COMPLETE event of the CI run reading ``inputs`` (file paths); the run's INPUT
    edges (source → attrs) after a harvest of git, DVC, OpenLineage and the joins."""
    code = {"type": "git", "url": url, "path": "train.py",
            "version": repo.git("rev-parse", "HEAD")}
    if repo_url:
        code["repoUrl"] = repo_url
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": PRODUCER,
             "run": {"runId": RUN},
             "job": {"namespace": namespace, "name": "train",
                     "facets": {"sourceCodeLocation": code}},
             "inputs": [{"namespace": "file", "name": p} for p in inputs]}
    repo.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    res = api.harvest(repo.path)
    assert [str(w) for w in res.report.warnings] == []
    graph = api.open_store(repo.path).load_graph()
    return {e.source: e.attrs for e in graph.in_edges(RID, EdgeKind.INPUT)}


def _strong(edges: dict[str, dict]) -> dict[str, dict]:
    return {s: a for s, a in edges.items() if a.get("pin") == "strong"}


def test_a_ci_checkout_path_of_a_dvc_file_is_pinned_to_its_content(repo: GitRepo) -> None:
    edges = _harvest(repo, [f"{CI}/data/train.csv", f"{CI}/data/images/cat.png"],
                     repo_url="https://github.com/acme/churn.git")
    assert edges[f"data:file:{CI}/data/train.csv@unversioned"]["path"] == "data/train.csv"
    assert edges[f"data:file:{CI}/data/images/cat.png@unversioned"]["path"] == \
        "data/images/cat.png"
    strong = _strong(edges)
    assert sorted(s.split("@")[0] for s in strong) == [
        "data:github.com/acme/churn:data/images", "data:github.com/acme/churn:data/train.csv"]
    assert sorted(a.get("member", "") for a in strong.values()) == ["", "cat.png"]
    findings = [f for f in run_audit(api.open_store(repo.path)).findings
                if f.rule == "run-data-pinned" and f.subject == RID]
    assert findings == []


def test_a_job_namespace_that_is_the_repository_url_identifies_it(repo: GitRepo) -> None:
    edges = _harvest(repo, [f"{CI}/data/train.csv"], repo_url=None,
                     namespace="https://github.com/acme/churn")
    assert edges[f"data:file:{CI}/data/train.csv@unversioned"]["path"] == "data/train.csv"
    assert len(_strong(edges)) == 1


OTHER_URL = "https://github.com/acme/other/blob/main/train.py"


@pytest.mark.parametrize("repo_url,url,path", [
    # another repository's run: its repoUrl decides, whatever its url says
    ("https://github.com/acme/other.git", OTHER_URL, f"{CI}/data/train.csv"),
    ("https://github.com/acme/other.git", "https://github.com/acme/churn/blob/main/train.py",
     f"{CI}/data/train.csv"),
    (None, OTHER_URL, f"{CI}/data/train.csv"),  # its url names another repository
    ("https://github.com/acme/churn.git", OTHER_URL, f"{CI}/notes/readme.txt"),  # not in DVC
])
def test_nothing_is_guessed(repo: GitRepo, repo_url: str | None, url: str, path: str) -> None:
    """(A run that names no repository at all is not joined either, and is told:
    test_openlineage_source_url.py.)"""
    edges = _harvest(repo, [path], repo_url=repo_url, url=url)
    assert edges == {f"data:file:{path}@unversioned": {"pin": "none"}}


def test_a_repository_harvested_before_its_remote_was_added(git_repo: GitRepo) -> None:
    """Harvested first without a remote (``repository:root:…``), then ``origin`` added: the
    store keeps the old repository node in its trail beside the new one, and the CI run of
    the repository the remote names is still this repository's."""
    r = git_repo
    dvc(r, "init", "-q")
    r.write("data/train.csv", "age,churn\n31,0\n")
    dvc(r, "add", "-q", "data/train.csv")
    r.git("add", "-A")
    r.commit("data")
    api.init(r.path)
    api.harvest(r.path)
    r.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": PRODUCER,
             "run": {"runId": RUN},
             "job": {"namespace": "github-actions", "name": "train", "facets": {
                 "sourceCodeLocation": {"type": "git", "url": "https://github.com/acme/churn",
                                        "repoUrl": "https://github.com/acme/churn.git",
                                        "version": r.git("rev-parse", "HEAD")}}},
             "inputs": [{"namespace": "file", "name": f"{CI}/data/train.csv"}]}
    r.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    edges = {e.source: e.attrs for e in graph.in_edges(RID, EdgeKind.INPUT)}
    assert edges[f"data:file:{CI}/data/train.csv@unversioned"]["path"] == "data/train.csv"
    assert len(_strong(edges)) == 1
