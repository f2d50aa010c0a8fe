"""Store write path: hashes from serialized bytes, bulk loads into an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.serialize import dumps
from lineage.store import Store, _edge_hash_raw, _node_hash_raw, edge_hash, node_hash

ODD_IDS = ["commit:abc", 'data:r:pa"th\\x@md5:1', "data:r:dåtä/ü 𝔘@md5:2", "stage:r:a\nb\t@x"]
ODD_ATTRS = [{}, {"path": 'a"b', "size": 3, "nested": {"z": [1.5, None, True], "a": "é"}},
             {"properties": {"k": "\u0000\u2028"}, "lr": 1e-3}]


@pytest.mark.parametrize("nid", ODD_IDS)
@pytest.mark.parametrize("attrs", ODD_ATTRS)
def test_hash_from_serialized_attrs_equals_canonical_hash(nid: str, attrs: dict) -> None:
    assert _node_hash_raw("data", nid, dumps(attrs)) == node_hash("data", nid, attrs)
    assert (_edge_hash_raw("input", nid, nid[::-1], dumps(attrs))
            == edge_hash("input", nid, nid[::-1], attrs))


def _data(i: int, **attrs: object) -> Node:
    return Node.trusted(NodeKind.DATA, f"data:r:f{i}@md5:{i}", {"path": f"f{i}", **attrs})


def _indexes(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")}


def test_bulk_load_merges_repeats_and_keeps_the_trail(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    before = _indexes(store)
    n = 30_000  # enough for the bulk path (indexes dropped and rebuilt)

    def facts():
        for i in range(n):
            yield _data(i, size=i)
            yield Edge.model_construct(kind=EdgeKind.INPUT, source=f"data:r:f{i}@md5:{i}",
                                       target="stage:r:s@1", attrs={"pin": "strong"})
        # the same facts again, far apart in the stream (other batches): merged, not new
        yield _data(7, remote="s3")
        yield _data(8, size=8)  # unchanged
        yield Edge.model_construct(kind=EdgeKind.INPUT, source="data:r:f9@md5:9",
                                   target="stage:r:s@1", attrs={"path": "f9"})

    with store.transaction():
        stats = store.upsert(facts())
        assert stats.nodes_new == {"data": n} and stats.edges_new == {"input": n}
        assert stats.nodes_changed == {"data": 1} and stats.edges_changed == {"input": 1}
        store.append_event("harvest", "test", {})
    assert _indexes(store) == before
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.get_node("data:r:f7@md5:7").attrs == {"path": "f7", "size": 7, "remote": "s3"}
    (e,) = [e for e in store.iter_edges("input") if e.source == "data:r:f9@md5:9"]
    assert e.attrs == {"pin": "strong", "path": "f9"}
    res = store.verify()
    assert res.ok and res.events == 1 and res.facts == 2 * n

    # a second transaction (store no longer empty) sees them as existing
    with store.transaction():
        again = store.upsert([_data(7, remote="s3"), _data(1, size=2)])
        assert again.nodes_new == {} and again.nodes_changed == {"data": 1}
        store.append_event("harvest", "test", {})
    assert store.verify().ok
    assert store.get_node("data:r:f1@md5:1").attrs["size"] == 2


def test_fact_changed_twice_in_one_event_verifies(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    with store.transaction():
        store.upsert([_data(1, size=1)])
        store.upsert([_data(1, size=2)])  # same event, a later version of the same fact
        store.append_event("harvest", "test", {})
    assert store.get_node("data:r:f1@md5:1").attrs["size"] == 2
    assert store.verify().ok


def test_failed_bulk_load_restores_indexes(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    before = _indexes(store)

    def boom():
        for i in range(25_000):
            yield _data(i)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError), store.transaction():
        store.upsert(boom())
    assert _indexes(store) == before
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.counts()["nodes"] == {}
