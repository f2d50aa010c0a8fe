"""Withdrawing an edge a source no longer states: the edge leaves the store's current facts
(reads, graph, counts), the withdrawal is a fact of the event that made it (so ``verify``
still passes), and tampering with the withdrawn edge, its withdrawal or the edges that remain
is still detected."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lineage import store as store_mod
from lineage.ids import commit_id
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import NodeWithdrawal, Store, Withdrawal

RUN = "run:openlineage:0190a5b2-0000-7000-8000-000000000002"
OLD, NEW = commit_id("a" * 40), commit_id("b" * 40)
PARENT = "run:openlineage:0190a5b2-0000-7000-8000-000000000001"


def _run(rid: str, status: str) -> Node:
    return Node.make(NodeKind.RUN, rid, source="openlineage", run_id=rid.rsplit(":", 1)[1],
                     status=status)


def _facts() -> list[Node | Edge]:
    return [_run(RUN, "COMPLETE"), _run(PARENT, "COMPLETE"),
            Edge.make(EdgeKind.CODE, OLD, RUN),
            Edge.make(EdgeKind.UPSTREAM_RUN, PARENT, RUN, relation="parent")]


def _write(store: Store, items: list) -> int:
    with store.transaction():
        stats = store.upsert(items)
        if stats.total:
            store.append_event("harvest", "test", {"harvester": "test", **stats.as_dict()})
    return stats.total


def _edges(store: Store) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, str(e.kind)) for e in store.iter_edges()}


def _sql(store: Store, sql: str, *params: object) -> None:
    conn = sqlite3.connect(store.root / "lineage.db")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _schema(store: Store) -> str:
    return store.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.init(tmp_path / ".lineage")
    _write(s, _facts())
    return s


def test_a_withdrawn_edge_is_gone_and_the_store_verifies(store: Store) -> None:
    """The run's code moves to another commit: the old CODE edge is withdrawn, the new one
    written, in one event; reads, the graph and counts no longer show the old edge."""
    assert _schema(store) == "2"  # a store without withdrawals stays readable by 2
    assert _write(store, [Withdrawal(OLD, RUN, "code"), Edge.make(EdgeKind.CODE, NEW, RUN)]) == 2
    assert _edges(store) == {(NEW, RUN, "code"), (PARENT, RUN, "upstream_run")}
    graph = store.load_graph()
    assert [e.source for e in graph.in_edges(RUN, EdgeKind.CODE)] == [NEW]
    assert store.counts()["edges"] == {"code": 1, "upstream_run": 1}
    event = list(store.events())[-1]
    assert event.payload["edges_withdrawn"] == {"code": 1}
    assert event.payload["facts"]["count"] == 2
    res = store.verify()
    assert res.ok and res.events == 2, res.problem
    assert _schema(store) == "3"


def test_withdrawing_an_edge_the_store_does_not_hold_writes_nothing(store: Store) -> None:
    assert _write(store, [Withdrawal(NEW, RUN, "code"), *_facts()]) == 0
    assert store.head()[0] == 1 and _schema(store) == "2"


def test_an_edge_withdrawn_then_stated_again_starts_afresh(store: Store) -> None:
    """Stated again later (in another event, or later in the same one), the edge is a new
    fact: it keeps nothing of the attributes of the version withdrawn."""
    _write(store, [Withdrawal(PARENT, RUN, "upstream_run")])
    _write(store, [Edge.make(EdgeKind.UPSTREAM_RUN, PARENT, RUN, job="airflow/dag")])
    (edge,) = [e for e in store.iter_edges(EdgeKind.UPSTREAM_RUN)]
    assert edge.attrs == {"job": "airflow/dag"}
    _write(store, [Withdrawal(PARENT, RUN, "upstream_run"),
                   Edge.make(EdgeKind.UPSTREAM_RUN, PARENT, RUN, relation="parent")])
    (edge,) = [e for e in store.iter_edges(EdgeKind.UPSTREAM_RUN)]
    assert edge.attrs == {"relation": "parent"}
    res = store.verify()
    assert res.ok and res.events == 4, res.problem


def test_an_edge_written_and_withdrawn_in_one_event(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    _write(store, [*_facts(), Withdrawal(OLD, RUN, "code")])
    assert (OLD, RUN, "code") not in _edges(store)
    assert store.verify().ok, store.verify().problem


def test_withdraw_outside_a_stream(store: Store) -> None:
    with store.transaction():
        stats = store.withdraw([(OLD, RUN, "code"), (OLD, RUN, "code")])
        assert stats.edges_withdrawn == {"code": 1}
        store.append_event("harvest", "test", {})
    assert (OLD, RUN, "code") not in _edges(store) and store.verify().ok


def test_a_withdrawal_needs_an_event(store: Store) -> None:
    with pytest.raises(store_mod.StoreError, match="without an event"), store.transaction():
        store.upsert([Withdrawal(OLD, RUN, "code")])
    assert (OLD, RUN, "code") in _edges(store) and store.verify().ok


def test_a_large_event_withdraws_with_the_same_digest(store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the facts tracked in memory the event's digest is read back from the store: the
    withdrawal is part of it all the same."""
    monkeypatch.setattr(store_mod, "_PENDING_MAX", 1)
    _write(store, [Withdrawal(OLD, RUN, "code"), Edge.make(EdgeKind.CODE, NEW, RUN),
                   _run(RUN, "FAIL")])
    res = store.verify()
    assert res.ok, res.problem


@pytest.fixture
def withdrawn(store: Store) -> Store:
    _write(store, [Withdrawal(OLD, RUN, "code"), Edge.make(EdgeKind.CODE, NEW, RUN)])
    assert store.verify().ok
    return store


def _old_row(store: Store) -> tuple[str, str]:
    return store_mod.edge_row("code", OLD, RUN, {})[3:]


def test_a_withdrawn_edge_put_back_is_detected(withdrawn: Store) -> None:
    attrs, h = _old_row(withdrawn)
    _sql(withdrawn, "INSERT INTO edges VALUES (?,?,?,?,?,1)", OLD, RUN, "code", attrs, h)
    res = withdrawn.verify()
    assert not res.ok and "changed outside lineage" in (res.problem or ""), res.problem


def test_a_withdrawn_edge_put_back_without_its_logged_version_is_detected(
        withdrawn: Store) -> None:
    """Put back as the current version of event 1 and its logged copy removed, event 1's
    digest holds: the withdrawal, from a later event, still tells."""
    attrs, h = _old_row(withdrawn)
    _sql(withdrawn, "INSERT INTO edges VALUES (?,?,?,?,?,1)", OLD, RUN, "code", attrs, h)
    _sql(withdrawn, "DELETE FROM fact_log WHERE seq=1")
    res = withdrawn.verify()
    assert not res.ok and f"edge code {OLD} → {RUN}" in (res.problem or ""), res.problem
    assert "event 2 withdrew it" in (res.problem or "")


@pytest.mark.parametrize("sql", [
    "DELETE FROM fact_log WHERE seq=2",  # the withdrawal erased
    "DELETE FROM fact_log WHERE seq=1",  # the withdrawn version erased
    "UPDATE fact_log SET hash='0' WHERE seq=2",
    "UPDATE fact_log SET seq=5 WHERE seq=2",
    "DELETE FROM edges WHERE kind='upstream_run'",  # an edge that remains
    "UPDATE edges SET attrs='{\"dirty\":true}' WHERE kind='code'",
], ids=["withdrawal-deleted", "withdrawn-version-deleted", "withdrawal-edited",
        "withdrawal-moved", "remaining-edge-deleted", "remaining-edge-edited"])
def test_tampering_around_a_withdrawal_is_detected(withdrawn: Store, sql: str) -> None:
    _sql(withdrawn, sql)
    assert not withdrawn.verify().ok


def test_a_store_with_withdrawals_verifies_read_only_as_it_is(withdrawn: Store) -> None:
    withdrawn.close()
    with Store.open_read_only(withdrawn.root) as ro:
        assert ro.read_note is None
        assert ro.verify().ok


def test_a_lineage_reading_up_to_schema_2_refuses_it(withdrawn: Store,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An older lineage would take the withdrawal for an edge deleted outside lineage: it is
    told to upgrade instead."""
    withdrawn.close()
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", 2)
    with pytest.raises(store_mod.StoreError, match="schema version 3"):
        Store.open(withdrawn.root)


# -- a node withdrawn, with its edges ----------------------------------------------------------
def test_a_withdrawn_node_goes_with_its_edges_and_the_store_verifies(store: Store) -> None:
    """A run the source now knows under another id: the old node and every edge of it
    leave the store in one event; the other run and its facts stay."""
    assert _write(store, [NodeWithdrawal(PARENT)]) == 2
    assert store.get_node(PARENT) is None and store.get_node(RUN) is not None
    assert _edges(store) == {(OLD, RUN, "code")}
    assert PARENT not in store.load_graph()
    payload = list(store.events())[-1].payload
    assert (payload["nodes_withdrawn"], payload["edges_withdrawn"]) == (
        {"run": 1}, {"upstream_run": 1})
    res = store.verify()
    assert res.ok, res.problem
    assert _write(store, [NodeWithdrawal(PARENT)]) == 0  # gone already: nothing written


def test_a_node_withdrawn_then_stated_again(store: Store) -> None:
    _write(store, [NodeWithdrawal(PARENT), _run(PARENT, "FAIL")])
    node = store.get_node(PARENT)
    assert node is not None and node.attrs["status"] == "FAIL"
    _write(store, [NodeWithdrawal(PARENT)])
    _write(store, [_run(PARENT, "ABORT")])
    assert store.get_node(PARENT).attrs["status"] == "ABORT"  # type: ignore[union-attr]
    res = store.verify()
    assert res.ok, res.problem


def test_a_node_stated_earlier_in_the_stream_is_withdrawn(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    _write(store, [*_facts(), NodeWithdrawal(RUN)])
    assert store.get_node(RUN) is None and _edges(store) == set()
    assert store.verify().ok


@pytest.mark.parametrize("sql", [
    "INSERT INTO nodes SELECT substr(fid, 3), 'run', '{}', hash, seq FROM fact_log "
    "WHERE fid LIKE 'n|%' AND hash != 'withdrawn'",
    "DELETE FROM fact_log WHERE fid LIKE 'n|%' AND hash = 'withdrawn'",
], ids=["withdrawn-node-put-back", "node-withdrawal-erased"])
def test_tampering_with_a_withdrawn_node_is_detected(store: Store, sql: str) -> None:
    _write(store, [NodeWithdrawal(PARENT)])
    _sql(store, sql)
    assert not store.verify().ok


def test_a_node_withdrawn_only_once_nothing_links_it(store: Store) -> None:
    assert _write(store, [NodeWithdrawal(PARENT, unlinked=True)]) == 0
    _write(store, [Withdrawal(PARENT, RUN, "upstream_run"), NodeWithdrawal(PARENT, unlinked=True)])
    assert store.get_node(PARENT) is None and store.verify().ok


def test_the_cache_entries_of_a_withdrawn_node_can_be_forgotten(store: Store) -> None:
    with store.transaction():
        store.cache_put_many("runs", [(PARENT, {"events": []}), (RUN, {"events": []})])
        store.upsert([NodeWithdrawal(PARENT)])
        store.cache_delete("runs", [PARENT])
        store.append_event("harvest", "test", {})
    assert store.cache_get_many("runs", [PARENT, RUN]) == {RUN: {"events": []}}
