"""OpenLineage run ids: a ``runId`` is a UUID (the spec's format), and UUIDs are
case-insensitive (RFC 9562 §4): producers that upper-case them (a .NET or Java client,
``uuid.uuid4().hex.upper()``) name the same run as those that do not."""

from __future__ import annotations

import json

import pytest

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
RUN = "0190a5b2-0000-7000-8000-00000000abcd"
PARENT = "0190a5b2-0000-7000-8000-00000000ef01"


def _event(state: str, at: str, run_id: str, parent: str | None = None) -> dict:
    run: dict = {"runId": run_id}
    if parent:
        run["facets"] = {"parent": {"run": {"runId": parent},
                                    "job": {"namespace": "airflow", "name": "churn_dag"}}}
    return {"eventType": state, "eventTime": at, "producer": PRODUCER, "run": run,
            "job": {"namespace": "airflow", "name": "churn_dag.train"}}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("train script")
    api.init(git_repo.path)
    return git_repo


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_run_id_in_two_letter_cases_is_one_run(repo: GitRepo, harvests: int) -> None:
    """START upper-cases the runId (and names its parent upper-case), COMPLETE does not:
    one run, COMPLETE, started at START, with one parent run."""
    start = _event("START", "2026-01-03T10:00:00Z", RUN.upper(), parent=PARENT.upper())
    complete = _event("COMPLETE", "2026-01-03T10:05:00Z", RUN, parent=PARENT)
    parent = _event("COMPLETE", "2026-01-03T10:06:00Z", PARENT.upper())
    if harvests == 1:
        repo.write("openlineage/events.jsonl",
                   "".join(json.dumps(e) + "\n" for e in (start, complete, parent)))
    else:
        repo.write("openlineage/1.json", json.dumps(start))
        api.harvest(repo.path, only=["openlineage"])
        repo.write("openlineage/2.json", json.dumps([complete, parent]))
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    runs = sorted(n.id for n in graph.nodes() if n.id.startswith("run:openlineage:"))
    assert runs == [f"run:openlineage:{RUN}", f"run:openlineage:{PARENT}"]
    run = graph.attrs(f"run:openlineage:{RUN}")
    assert (run["status"], run["start_time"], run["end_time"], run["run_id"]) == (
        "COMPLETE", "2026-01-03T10:00:00Z", "2026-01-03T10:05:00Z", RUN)
    assert [e.source for e in graph.in_edges(f"run:openlineage:{RUN}",
                                             EdgeKind.UPSTREAM_RUN)] == [
        f"run:openlineage:{PARENT}"]
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_id_that_is_not_a_uuid_keeps_its_case(repo: GitRepo) -> None:
    """Only a UUID is case-insensitive: another producer's id is kept as written (with the
    warning the spec's format earns it)."""
    repo.write("openlineage/events.jsonl", json.dumps(
        _event("COMPLETE", "2026-01-03T10:05:00Z", "Train-Run-7")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    try:
        assert store.get_node("run:openlineage:Train-Run-7") is not None
    finally:
        store.close()


def test_a_run_stored_under_an_upper_case_id_is_one_run_after_the_upgrade(
        repo: GitRepo) -> None:
    """A store harvested before runIds were read in lower case holds the START (upper-case
    runId) and the COMPLETE (lower-case) as two runs: the first harvest after the upgrade
    reads the files again and leaves one run — the other is withdrawn with its edges, so no
    half-run is audited or pushed — and the store verifies."""
    from lineage.model import Edge, Node, NodeKind

    sha = repo.git("rev-parse", "HEAD")
    start = _event("START", "2026-01-03T10:00:00Z", RUN.upper())
    start["job"]["facets"] = {"sourceCodeLocation": {"type": "git", "url": "https://x/y",
                                                     "version": sha}}
    repo.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in (
        start, _event("COMPLETE", "2026-01-03T10:05:00Z", RUN))))
    api.harvest(repo.path, only=["openlineage"])
    ghost = f"run:openlineage:{RUN.upper()}"
    store = api.open_store(repo.path)
    with store.transaction():  # what the earlier version stored for the START
        store.upsert([Node.make(NodeKind.RUN, ghost, source="openlineage", run_id=RUN.upper(),
                                job="airflow/churn_dag.train", status="START",
                                start_time="2026-01-03T10:00:00Z", commit=sha),
                      Edge.make(EdgeKind.CODE, f"commit:{sha}", ghost),
                      Node.make(NodeKind.DATA, "data:pg:crm.t@unversioned", namespace="pg",
                                path="crm.t"),
                      Edge.make(EdgeKind.INPUT, "data:pg:crm.t@unversioned", ghost, pin="none")])
        store.cache_put_many("openlineage-runs", [(ghost, {"events": [
            ["2026-01-03T10:00:00Z", "START"]], "fields": {}})])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    assert sorted(n.id for n in graph.nodes(NodeKind.RUN)) == [f"run:openlineage:{RUN}"]
    assert "data:pg:crm.t@unversioned" not in graph  # it read nothing the run reads
    run = graph.attrs(f"run:openlineage:{RUN}")
    assert (run["status"], run["start_time"], run["commit"]) == (
        "COMPLETE", "2026-01-03T10:00:00Z", sha)
    store = api.open_store(repo.path)
    assert store.verify().ok
    assert store.cache_get_many("openlineage-runs", [ghost]) == {}
    store.close()
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


@pytest.mark.parametrize("cache", ["kept", "none"])
def test_an_upper_case_run_whose_file_is_gone_joins_the_lower_case_one(
        repo: GitRepo, cache: str) -> None:
    """The START (upper-case runId) was harvested from a file since deleted (rotated); the
    COMPLETE (lower-case) is still there. The upgrade's harvest makes them one run, with the
    START's time from what the store kept of it (its cache, or, from a store older than the
    cache, its node), not a run that starts at its COMPLETE."""
    from lineage.model import NodeKind

    repo.write("openlineage/1.json", json.dumps(
        _event("START", "2026-01-03T10:00:00Z", RUN.upper())))
    repo.write("openlineage/2.json", json.dumps(
        _event("COMPLETE", "2026-01-03T10:05:00Z", RUN)))
    api.harvest(repo.path, only=["openlineage"])
    ghost = f"run:openlineage:{RUN.upper()}"
    store = api.open_store(repo.path)
    with store.transaction():  # the START as the earlier version stored it, apart
        fresh = store.cache_get_many("openlineage-runs", [f"run:openlineage:{RUN}"])
        from lineage.model import Node

        store.upsert([Node.make(NodeKind.RUN, ghost, source="openlineage", run_id=RUN.upper(),
                                job="airflow/churn_dag.train", status="START",
                                start_time="2026-01-03T10:00:00Z")])
        both = fresh[f"run:openlineage:{RUN}"]
        complete = {**both, "events": [e for e in both["events"] if e[1] == "COMPLETE"]}
        store.cache_put_many("openlineage-runs", [(f"run:openlineage:{RUN}", complete)])
        store.upsert([Node.make(NodeKind.RUN, f"run:openlineage:{RUN}", source="openlineage",
                                run_id=RUN, start_time="2026-01-03T10:05:00Z")])
        if cache == "kept":
            start = {**both, "events": [e for e in both["events"] if e[1] == "START"]}
            store.cache_put_many("openlineage-runs", [(ghost, start)])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    (repo.path / "openlineage" / "1.json").unlink()
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [n.id for n in graph.nodes(NodeKind.RUN)] == [f"run:openlineage:{RUN}"]
    run = graph.attrs(f"run:openlineage:{RUN}")
    assert (run["status"], run["start_time"], run["end_time"]) == (
        "COMPLETE", "2026-01-03T10:00:00Z", "2026-01-03T10:05:00Z")


def test_an_upper_case_run_with_nothing_to_rebuild_it_from_stays(repo: GitRepo) -> None:
    """Its files gone and no cache of its events (a store older than the cache): nothing
    says what the lower-case run would be, so it stays as it was stored."""
    from lineage.model import Node, NodeKind

    repo.write("openlineage/1.json", json.dumps(
        _event("COMPLETE", "2026-01-03T10:05:00Z", PARENT)))
    api.harvest(repo.path, only=["openlineage"])
    ghost = f"run:openlineage:{RUN.upper()}"
    store = api.open_store(repo.path)
    with store.transaction():
        store.upsert([Node.make(NodeKind.RUN, ghost, source="openlineage", run_id=RUN.upper(),
                                job="airflow/churn_dag.train", status="COMPLETE",
                                start_time="2026-01-03T10:00:00Z")])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    assert sorted(n.id for n in graph.nodes(NodeKind.RUN)) == sorted([
        f"run:openlineage:{PARENT}", ghost])


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_run_id_without_hyphens_is_the_same_run(repo: GitRepo, harvests: int) -> None:
    """``uuid.uuid4().hex`` (no hyphens, some producers' spelling) and the canonical form
    name one UUID: one run under the canonical lower-case hyphenated id, its parent too."""
    hexed = RUN.replace("-", "").upper()
    start = _event("START", "2026-01-03T10:00:00Z", hexed, parent=PARENT.replace("-", ""))
    complete = _event("COMPLETE", "2026-01-03T10:05:00Z", RUN, parent=PARENT)
    parent = _event("COMPLETE", "2026-01-03T10:06:00Z", PARENT.replace("-", ""))
    if harvests == 1:
        repo.write("openlineage/events.jsonl",
                   "".join(json.dumps(e) + "\n" for e in (start, complete, parent)))
    else:
        repo.write("openlineage/1.json", json.dumps(start))
        api.harvest(repo.path, only=["openlineage"])
        repo.write("openlineage/2.json", json.dumps([complete, parent]))
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    runs = sorted(n.id for n in graph.nodes() if n.id.startswith("run:openlineage:"))
    assert runs == [f"run:openlineage:{RUN}", f"run:openlineage:{PARENT}"]
    run = graph.attrs(f"run:openlineage:{RUN}")
    assert (run["status"], run["start_time"], run["run_id"]) == (
        "COMPLETE", "2026-01-03T10:00:00Z", RUN)
    assert [e.source for e in graph.in_edges(f"run:openlineage:{RUN}",
                                             EdgeKind.UPSTREAM_RUN)] == [
        f"run:openlineage:{PARENT}"]
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_stored_under_a_hyphenless_id_is_one_run_after_the_upgrade(
        repo: GitRepo) -> None:
    """A store harvested before hyphenless runIds were read in the canonical form holds the
    START (hyphenless) apart from the COMPLETE: the first harvest after the upgrade leaves one
    run, the other withdrawn with its edges, and the store verifies."""
    from lineage.model import Edge, Node, NodeKind

    hexed = RUN.replace("-", "")
    sha = repo.git("rev-parse", "HEAD")
    repo.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in (
        _event("START", "2026-01-03T10:00:00Z", hexed),
        _event("COMPLETE", "2026-01-03T10:05:00Z", RUN))))
    api.harvest(repo.path, only=["openlineage"])
    ghost = f"run:openlineage:{hexed}"
    store = api.open_store(repo.path)
    with store.transaction():  # what the earlier version stored for the START
        store.upsert([Node.make(NodeKind.RUN, ghost, source="openlineage", run_id=hexed,
                                job="airflow/churn_dag.train", status="START",
                                start_time="2026-01-03T10:00:00Z", commit=sha),
                      Edge.make(EdgeKind.CODE, f"commit:{sha}", ghost)])
        store.cache_put_many("openlineage-runs", [(ghost, {"events": [
            ["2026-01-03T10:00:00Z", "START"]], "fields": {}})])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    assert sorted(n.id for n in graph.nodes(NodeKind.RUN)) == [f"run:openlineage:{RUN}"]
    run = graph.attrs(f"run:openlineage:{RUN}")
    assert (run["status"], run["start_time"]) == ("COMPLETE", "2026-01-03T10:00:00Z")
    store = api.open_store(repo.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_id_that_only_ends_like_a_uuid_is_kept_as_written(repo: GitRepo) -> None:
    """A runId with a line break after the UUID is not a UUID: a warning, the run kept under
    the id as written, and the harvest goes on (it raised on reading it as a UUID)."""
    repo.write("openlineage/events.jsonl", json.dumps(
        _event("COMPLETE", "2026-01-03T10:05:00Z", RUN + "\n")) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [w.field for w in res.report.warnings] == ["run.runId"]
    store = api.open_store(repo.path)
    try:
        assert store.get_node(f"run:openlineage:{RUN}\n") is not None
    finally:
        store.close()
