"""A run whose ``parent`` facet names the run itself (a producer that copies its own runId
into the facet): no run is its own upstream. The facet is a warning naming the file, line and
field; the rest of the event is kept."""

from __future__ import annotations

import json

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000e1"


def test_a_parent_facet_naming_the_run_itself_is_a_warning(git_repo: GitRepo) -> None:
    git_repo.commit("init")
    api.init(git_repo.path)
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
             "run": {"runId": RUN, "facets": {"parent": {
                 "run": {"runId": RUN.upper()},
                 "job": {"namespace": "airflow", "name": "train"}}}},
             "job": {"namespace": "airflow", "name": "train"},
             "outputs": [{"namespace": "s3://models", "name": "churn/model.pkl"}]}
    git_repo.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    res = api.harvest(git_repo.path)
    warnings = [w for w in res.report.warnings if "parent" in w.message]
    assert len(warnings) == 1, res.report.warnings
    assert warnings[0].line == 1 and warnings[0].field == "run.facets.parent.run.runId"
    assert "events.jsonl" in (warnings[0].file or "")
    graph = api.open_store(git_repo.path).load_graph()
    rid = f"run:openlineage:{RUN}"
    assert graph.in_edges(rid, EdgeKind.UPSTREAM_RUN) == []
    assert [e.target for e in graph.out_edges(rid, EdgeKind.OUTPUT)]
    assert api.harvest(git_repo.path).new_events == 0


def test_a_store_harvested_before_loses_the_loop(git_repo: GitRepo) -> None:
    from lineage.model import Edge

    git_repo.commit("init")
    api.init(git_repo.path)
    git_repo.write("openlineage/events.jsonl", json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
        "run": {"runId": RUN, "facets": {"parent": {"run": {"runId": RUN},
                                                   "job": {"namespace": "a", "name": "t"}}}},
        "job": {"namespace": "a", "name": "t"}}) + "\n")
    api.harvest(git_repo.path)
    rid = f"run:openlineage:{RUN}"
    with api.open_store(git_repo.path) as store, store.transaction():  # as it was stored
        store.upsert([Edge.make(EdgeKind.UPSTREAM_RUN, rid, rid, relation="parent", job="a/t")])
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
    api.harvest(git_repo.path)
    graph = api.open_store(git_repo.path).load_graph()
    assert graph.in_edges(rid, EdgeKind.UPSTREAM_RUN) == []
    with api.open_store(git_repo.path) as store:
        assert store.verify().ok
    assert api.harvest(git_repo.path).new_events == 0
