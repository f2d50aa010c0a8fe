"""A run's input joins the data version of the repository as it is named now.

A remote added after a first harvest moves the repository's identity (data ids embed it):
the DVC facts are harvested again under the new id and the old id's stay in the audit trail.
A run harvested afterwards is pinned to the new id's data node, whatever the two ids' order.
"""

from __future__ import annotations

import json

import pytest
import yaml

from lineage import api, ids
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000f1"


@pytest.mark.parametrize("remote", ["https://source.example.com/acme/churn.git",
                                    "https://example.com/acme/churn.git"])
def test_a_run_after_a_remote_was_added_joins_the_new_identitys_version(
        git_repo: GitRepo, remote: str) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data/train.csv", "a,1\n")
    r.dvc("add", "-q", "data/train.csv")
    md5 = yaml.safe_load((r.path / "data/train.csv.dvc").read_text())["outs"][0]["md5"]
    sha = r.commit("data")
    api.init(r.path)
    api.harvest(r.path)
    old_key = ids.repo_key(f"repository:root:{r.git('rev-list', '--max-parents=0', 'HEAD')}")
    r.git("remote", "add", "origin", remote)
    api.harvest(r.path)
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-05T10:05:00Z",
             "producer": "https://example.com/ci", "run": {"runId": RUN},
             "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                 "type": "git", "url": remote, "version": sha}}},
             "inputs": [{"namespace": "file", "name": str(r.path / "data/train.csv")}]}
    r.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    assert api.harvest(r.path).report.warnings == []
    graph = api.open_store(r.path).load_graph()
    new_key = remote.removeprefix("https://").removesuffix(".git")
    assert f"data:{old_key}:data/train.csv@md5:{md5}" in graph  # the old id's stays
    strong = [e.source for e in graph.in_edges(f"run:openlineage:{RUN}", EdgeKind.INPUT)
              if e.attrs.get("pin") == "strong"]
    assert strong == [f"data:{new_key}:data/train.csv@md5:{md5}"]
