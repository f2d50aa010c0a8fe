"""Edges an OpenLineage producer withdraws: a later event of the run deletes its
``sourceCodeLocation`` (or names another commit) or its ``parent`` facet, or versions a
dataset START named unversioned. The run's provenance then shows the commit, parent and
dataset the producer states now — in ``show``, ``export`` and the store — while ``verify``
still passes, and still fails when the store is tampered with."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind, NodeKind
from tests.conftest import GitRepo

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
RUN = "0190a5b2-0000-7000-8000-000000000002"
PARENT = "0190a5b2-0000-7000-8000-000000000001"
RID = f"run:openlineage:{RUN}"
DELETED = {"_producer": PRODUCER, "_deleted": True}
TABLE = {"namespace": "postgres://db.internal:5432", "name": "crm.customers"}
runner = CliRunner()


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _event(state: str, at: str, *, code: Any = None, parent: Any = None,
           version: str | None = None) -> dict:
    run: dict = {"runId": RUN, "facets": {}}
    job: dict = {"namespace": "airflow", "name": "churn_dag.train", "facets": {}}
    if parent is not None:
        run["facets"]["parent"] = parent
    if code is not None:
        job["facets"]["sourceCodeLocation"] = code
    table = {**TABLE, "facets": {}}
    if version:
        table["facets"]["version"] = {"datasetVersion": version}
    return {"eventType": state, "eventTime": at, "producer": PRODUCER, "run": run, "job": job,
            "inputs": [table]}


def _code(sha: str) -> dict:
    return {"type": "git", "url": "https://github.com/acme/churn/blob/main/train.py",
            "repoUrl": "https://github.com/acme/churn.git", "path": "train.py", "version": sha}


PARENT_FACET = {"run": {"runId": PARENT}, "job": {"namespace": "airflow", "name": "churn_dag"}}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("train script")
    git_repo.write("train.py", "print('train v2')\n")
    git_repo.commit("train script v2")
    api.init(git_repo.path)
    return git_repo


def _harvest(repo: GitRepo, events: list[dict], harvests: int) -> None:
    """The run's events read in one harvest, or the first one alone and then the others (an
    append log read as it grows); a harvest more writes nothing."""
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir(exist_ok=True)
    batches = [events] if harvests == 1 else [events[:1], events[1:]]
    for batch in batches:
        with path.open("a") as f:
            f.writelines(json.dumps(e) + "\n" for e in batch)
        res = api.harvest(repo.path, only=["openlineage"])
        assert [str(w) for w in res.report.warnings] == []
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def _in_edges(repo: GitRepo, kind: EdgeKind) -> list[str]:
    graph = api.open_store(repo.path).load_graph()
    return sorted(e.source for e in graph.in_edges(RID, kind))


def _verified(repo: GitRepo) -> None:
    code, out = lineage("verify", "--repo", str(repo.path))
    assert code == 0, out


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_deleted_source_code_location_withdraws_the_commit(repo: GitRepo,
                                                              harvests: int) -> None:
    first = repo.git("rev-parse", "HEAD~1")
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", code=_code(first)),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", code=DELETED)], harvests)
    assert _in_edges(repo, EdgeKind.CODE) == []
    code, out = lineage("show", RID, "--repo", str(repo.path), "--json")
    assert code == 0 and first not in out, out
    code, out = lineage("export", "--repo", str(repo.path))
    edges = json.loads(out)["edges"]
    assert code == 0 and f"commit:{first}" not in {e["source"] for e in edges}, out
    assert [e for e in edges if e["target"] == RID and e["kind"] == "code"] == []
    _verified(repo)


@pytest.mark.parametrize("harvests", [1, 2])
def test_another_commit_replaces_the_one_named_before(repo: GitRepo, harvests: int) -> None:
    first, second = repo.git("rev-parse", "HEAD~1"), repo.git("rev-parse", "HEAD")
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", code=_code(first)),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", code=_code(second))], harvests)
    assert _in_edges(repo, EdgeKind.CODE) == [f"commit:{second}"]
    _verified(repo)


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_deleted_parent_withdraws_the_upstream_run(repo: GitRepo, harvests: int) -> None:
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", parent=PARENT_FACET),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", parent=DELETED)], harvests)
    assert _in_edges(repo, EdgeKind.UPSTREAM_RUN) == []
    _verified(repo)


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_dataset_versioned_at_complete_leaves_no_unversioned_input(repo: GitRepo,
                                                                     harvests: int) -> None:
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z"),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", version="v7")], harvests)
    assert _in_edges(repo, EdgeKind.INPUT) == [
        "data:postgres://db.internal:5432:crm.customers@v7"]
    # and the dataset version nothing links any more is gone
    graph = api.open_store(repo.path).load_graph()
    assert [n.id for n in graph.nodes(NodeKind.DATA)] == [
        "data:postgres://db.internal:5432:crm.customers@v7"]
    _verified(repo)


def test_a_dataset_another_run_still_reads_stays(repo: GitRepo) -> None:
    other = _event("COMPLETE", "2026-01-03T09:00:00Z")
    other["run"]["runId"] = "0190a5b2-0000-7000-8000-0000000000ff"
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z"), other,
                    _event("COMPLETE", "2026-01-03T10:05:00Z", version="v7")], 2)
    graph = api.open_store(repo.path).load_graph()
    assert sorted(n.id for n in graph.nodes(NodeKind.DATA)) == [
        "data:postgres://db.internal:5432:crm.customers@unversioned",
        "data:postgres://db.internal:5432:crm.customers@v7"]
    _verified(repo)


def _sql(repo: Path, statement: str) -> None:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)
    try:
        assert conn.execute(statement).rowcount > 0, statement
    finally:
        conn.close()


@pytest.mark.parametrize("statement", [
    # the withdrawn edge put back as the harvest before left it
    "INSERT INTO edges SELECT 'commit:' || '{first}', '{rid}', 'code', '{{}}', hash, seq "
    "FROM fact_log WHERE fid = 'e|commit:{first}|{rid}|code' AND hash != 'withdrawn'",
    # the withdrawal erased from the log
    "DELETE FROM fact_log WHERE hash = 'withdrawn'",
    # an edge that remains, edited
    "UPDATE edges SET attrs = '{{\"pin\":\"strong\"}}' WHERE kind = 'input'",
], ids=["withdrawn-edge-put-back", "withdrawal-erased", "remaining-edge-edited"])
def test_tampering_after_a_withdrawal_fails_verify(repo: GitRepo, statement: str) -> None:
    first = repo.git("rev-parse", "HEAD~1")
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", code=_code(first)),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", code=DELETED)], 2)
    _verified(repo)
    _sql(repo.path, statement.format(first=first, rid=RID))
    code, out = lineage("verify", "--repo", str(repo.path))
    assert code == 1, out


def test_a_store_harvested_before_loses_the_edges_the_producer_withdrew(repo: GitRepo) -> None:
    """A store harvested by an earlier version kept the START's unversioned input and the
    commit a later event deleted; its files are unchanged since: the first harvest after the
    upgrade reads them again and withdraws both."""
    from lineage.model import Edge

    first = repo.git("rev-parse", "HEAD~1")
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", code=_code(first)),
                    _event("COMPLETE", "2026-01-03T10:05:00Z", code=DELETED, version="v7")], 1)
    stale = [Edge.make(EdgeKind.INPUT, f"data:{TABLE['namespace']}:{TABLE['name']}@unversioned",
                       RID, pin="none"),
             Edge.make(EdgeKind.CODE, f"commit:{first}", RID)]
    store = api.open_store(repo.path)
    with store.transaction():
        store.upsert(stale)
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    assert _in_edges(repo, EdgeKind.CODE) == [f"commit:{first}"]
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.harvesters[0].stats.edges_withdrawn == {"code": 1, "input": 1}
    assert _in_edges(repo, EdgeKind.CODE) == []
    assert _in_edges(repo, EdgeKind.INPUT) == [
        "data:postgres://db.internal:5432:crm.customers@v7"]
    _verified(repo)
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_whose_earlier_events_are_unknown_withdraws_nothing(repo: GitRepo) -> None:
    """The cache of the run's earlier events cannot be trusted (edited outside lineage): a
    harvest that reads only the run's new events does not take what they leave out for
    withdrawn."""
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_event("START", "2026-01-03T10:00:00Z",
                                      parent=PARENT_FACET)) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    with store.transaction():
        store.conn.execute("UPDATE cache SET value = replace(value, 'START', 'RUNNING')")
    store.close()
    with path.open("a") as f:
        f.write(json.dumps(_event("COMPLETE", "2026-01-03T10:05:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    assert _in_edges(repo, EdgeKind.UPSTREAM_RUN) == [f"run:openlineage:{PARENT}"]


def test_runs_harvested_for_the_first_time_look_for_no_edge_to_withdraw(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run no earlier harvest stored has no edge to withdraw: its edges are not looked up
    (a first load into an empty store has no index on edge targets: 20,000 runs took 4× as
    long)."""
    from lineage.store import Store

    looked: list[str] = []
    edges_of = Store.edges_of
    monkeypatch.setattr(Store, "edges_of", lambda self, nid: looked.append(nid) or edges_of(
        self, nid))
    _harvest(repo, [_event("START", "2026-01-03T10:00:00Z", parent=PARENT_FACET)], 1)
    assert looked == []
    _harvest(repo, [_event("COMPLETE", "2026-01-03T10:05:00Z", parent=DELETED)], 1)
    assert looked == [RID]
    assert _in_edges(repo, EdgeKind.UPSTREAM_RUN) == []
