"""Store: merge semantics, idempotence, atomicity and tamper evidence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lineage.ids import commit_id, data_id, model_group_id, model_id
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import Store


def _facts() -> list[Node | Edge]:
    c = Node.make(NodeKind.COMMIT, commit_id("a" * 40), sha="a" * 40, message="train")
    d = Node.make(NodeKind.DATA, data_id("repository:x/y", "data/raw.csv", "md5:1"),
                  path="data/raw.csv", hash="md5:1")
    m = Node.make(NodeKind.MODEL, model_id("churn", "v1"), group="churn", version="v1")
    g = Node.make(NodeKind.MODEL_GROUP, model_group_id("churn"), name="churn")
    return [c, d, m, g, Edge.make(EdgeKind.VERSION_OF, m.id, g.id),
            Edge.make(EdgeKind.TAGGED, c.id, m.id)]


def _write(store: Store, items: list[Node | Edge]) -> int:
    with store.transaction():
        stats = store.upsert(items)
        if stats.total:
            store.append_event("harvest", "test", {"harvester": "test"})
    return stats.total


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.init(tmp_path / ".lineage")


def test_rewrite_is_idempotent(store: Store) -> None:
    assert _write(store, _facts()) == 6
    assert _write(store, _facts()) == 0
    assert store.head()[0] == 1
    assert store.verify().ok


def test_partial_view_does_not_erase_facts(store: Store) -> None:
    _write(store, _facts())
    # a second source knows the commit by sha only
    _write(store, [Node.make(NodeKind.COMMIT, commit_id("a" * 40), sha="a" * 40)])
    node = store.get_node(commit_id("a" * 40))
    assert node is not None and node.attrs["message"] == "train"


def test_failed_transaction_leaves_store_unchanged(store: Store) -> None:
    _write(store, _facts()[:2])

    def boom():  # a harvester that dies half way
        yield from _facts()
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError), store.transaction():
        store.upsert(boom())
    assert store.counts()["nodes"] == {"commit": 1, "data": 1}
    assert store.head()[0] == 1
    assert store.verify().ok


def _tamper(store: Store, sql: str, *params: object) -> None:
    conn = sqlite3.connect(store.root / "lineage.db")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.fixture
def three_events(store: Store) -> Store:
    facts = _facts()
    for i in range(3):
        _write(store, facts[2 * i : 2 * i + 2])
    assert store.verify().ok
    return store


def test_edited_event_detected(three_events: Store) -> None:
    _tamper(three_events, "UPDATE events SET actor='mallory' WHERE seq=2")
    res = three_events.verify()
    assert not res.ok and res.bad_seq == 2 and "modified" in (res.problem or "")


def test_deleted_event_detected(three_events: Store) -> None:
    _tamper(three_events, "DELETE FROM events WHERE seq=2")
    res = three_events.verify()
    assert not res.ok and res.bad_seq == 2


def test_reordered_events_detected(three_events: Store) -> None:
    _tamper(three_events, "UPDATE events SET seq = seq + 10 WHERE seq = 2")
    _tamper(three_events, "UPDATE events SET seq = 2 WHERE seq = 3")
    _tamper(three_events, "UPDATE events SET seq = 3 WHERE seq = 12")
    res = three_events.verify()
    assert not res.ok and res.bad_seq == 2


def test_truncated_log_detected(three_events: Store) -> None:
    _tamper(three_events, "DELETE FROM events WHERE seq=3")
    _tamper(three_events, "DELETE FROM fact_log WHERE seq=3")
    res = three_events.verify()
    assert not res.ok and "removed from the end" in (res.problem or "")


def test_fact_edited_in_place_detected(three_events: Store) -> None:
    _tamper(three_events, "UPDATE nodes SET attrs='{\"sha\":\"b\"}' WHERE kind='commit'")
    res = three_events.verify()
    assert not res.ok and "changed outside lineage" in (res.problem or "")


def test_fact_deleted_detected(three_events: Store) -> None:
    _tamper(three_events, "DELETE FROM edges WHERE kind='tagged'")
    res = three_events.verify()
    assert not res.ok and "deleted" in (res.problem or "")
