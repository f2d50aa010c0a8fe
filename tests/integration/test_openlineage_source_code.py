"""The commit an OpenLineage run's ``sourceCodeLocation.version`` names. Producers fill it from
``git rev-parse HEAD``; in Python, ``subprocess.check_output(...).decode()`` keeps the line
break git prints: the version is still that commit, not a commit no repository has."""

from __future__ import annotations

import json
import subprocess

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000d1"


def test_a_version_with_the_line_break_git_prints_is_the_commit(git_repo: GitRepo) -> None:
    git_repo.write("train.py", "print('train')\n")
    sha = git_repo.commit("train script")
    version = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=git_repo.path).decode()
    assert version == sha + "\n"
    api.init(git_repo.path)
    git_repo.write("openlineage/events.jsonl", json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
        "run": {"runId": RUN},
        "job": {"namespace": "airflow", "name": "train", "facets": {"sourceCodeLocation": {
            "type": "git", "url": "https://github.com/acme/churn", "version": version}}}})
        + "\n")
    api.harvest(git_repo.path)
    graph = api.open_store(git_repo.path).load_graph()
    rid = f"run:openlineage:{RUN}"
    assert graph.attrs(rid)["commit"] == sha
    assert [e.source for e in graph.in_edges(rid, EdgeKind.CODE)] == [f"commit:{sha}"]
    assert not graph.is_placeholder(f"commit:{sha}")


def test_a_store_harvested_before_loses_the_commit_with_the_line_break(
        git_repo: GitRepo) -> None:
    """An earlier version stored the run's commit with the line break (a CODE edge from a
    commit no repository has): the first harvest after the upgrade withdraws that edge."""
    from lineage.model import Edge, Node, NodeKind

    sha = git_repo.commit("train script")
    api.init(git_repo.path)
    git_repo.write("openlineage/events.jsonl", json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
        "run": {"runId": RUN},
        "job": {"namespace": "airflow", "name": "train", "facets": {"sourceCodeLocation": {
            "type": "git", "url": "https://github.com/acme/churn", "version": sha + "\n"}}}})
        + "\n")
    api.harvest(git_repo.path)
    rid = f"run:openlineage:{RUN}"
    with api.open_store(git_repo.path) as store, store.transaction():  # as it was stored
        store.upsert([Node.trusted(NodeKind.RUN, rid, {
                          **store.get_node(rid).attrs, "commit": sha + "\n"}),
                      Edge.make(EdgeKind.CODE, f"commit:{sha}\n", rid)])
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
    api.harvest(git_repo.path)
    graph = api.open_store(git_repo.path).load_graph()
    assert graph.attrs(rid)["commit"] == sha
    assert [e.source for e in graph.in_edges(rid, EdgeKind.CODE)] == [f"commit:{sha}"]
    with api.open_store(git_repo.path) as store:
        assert store.verify().ok
    assert api.harvest(git_repo.path).new_events == 0
