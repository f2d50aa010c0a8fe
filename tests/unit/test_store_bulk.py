"""Store write path: hashes from serialized bytes, bulk loads into an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.serialize import dumps
from lineage.store import (
    FactRows,
    Store,
    _edge_hash_raw,
    _node_hash_raw,
    edge_hash,
    edge_row,
    node_hash,
    node_row,
)

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


def _dump(store: Store) -> tuple[list, list, list]:
    c = store.conn
    return (c.execute("SELECT id, kind, attrs, hash, seq FROM nodes ORDER BY id").fetchall(),
            c.execute("SELECT * FROM edges ORDER BY source, target, kind").fetchall(),
            [(e.seq, e.payload) for e in store.events()])


def _as_rows(items: list[Node | Edge]) -> FactRows:
    return FactRows([node_row(str(n.kind), n.id, n.attrs) for n in items if isinstance(n, Node)],
                    [edge_row(str(e.kind), e.source, e.target, e.attrs)
                     for e in items if isinstance(e, Edge)])


def _mixed(n: int, offset: int = 0) -> list[Node | Edge]:
    out: list[Node | Edge] = []
    for i in range(offset, offset + n):
        out.append(_data(i, size=i, path=ODD_IDS[i % 4]))
        out.append(Edge.make(EdgeKind.INPUT, f"data:r:f{i}@md5:{i}", "stage:r:s@1",
                             pin="strong"))
        out.append(Edge.make(EdgeKind.DEFINES, "commit:abc", f"data:r:f{i}@md5:{i}"))
    return out


@pytest.mark.parametrize("n", [10, 30_000], ids=["small", "bulk"])
def test_fact_rows_write_what_the_same_facts_write(tmp_path: Path, n: int) -> None:
    """Facts handed over as rows (serialized and hashed elsewhere) give the store, event
    digests and stats that the same facts as Node/Edge objects give: into an empty store, then
    as an update of a store that holds some of them (merged, superseded versions logged), with
    a fact met twice in one batch of rows and a fact both as rows and as an object."""
    first = _mixed(n)
    again = [_data(1, remote="s3"), _data(1, size=-1), _data(2, size=2)] + _mixed(5, offset=n)
    later = [_data(3, remote="x")]
    results = []
    for mode in ("objects", "rows"):
        store = Store.init(tmp_path / mode)
        stats = []
        for batch in (first, again + later):
            with store.transaction():
                if mode == "objects":
                    s = store.upsert(batch)
                else:
                    rows = [_as_rows(batch[:-1] if batch is not first else batch)]
                    s = store.upsert([*rows, *(batch[-1:] if batch is not first else [])])
                stats.append(s.as_dict())
                store.append_event("harvest", "test", {"stats": s.as_dict()})
        assert store.verify().ok
        results.append((_dump(store), stats))
        store.close()
    assert results[0] == results[1]
    (nodes, _, events), stats = results[1]
    assert stats[1]["nodes_changed"] == {"data": 3}, stats
    assert dict((r[0], r[2]) for r in nodes)["data:r:f1@md5:1"].endswith('"size":-1}')


def test_fact_rows_into_a_store_holding_other_facts(tmp_path: Path) -> None:
    """A store that is not empty (no bulk path): rows of new facts are inserted, rows of
    stored ones merged."""
    store = Store.init(tmp_path / "s")
    with store.transaction():
        store.upsert([_data(0, size=0)])
        store.append_event("harvest", "test", {})
    with store.transaction():
        s = store.upsert([_as_rows([_data(0, remote="r"), _data(1), _data(1, size=1)])])
        store.append_event("harvest", "test", {})
    # f1 met twice in one batch is one new fact, as upsert counts Node objects; f0 changed
    assert s.nodes_new == {"data": 1} and s.nodes_changed == {"data": 1}
    assert store.get_node("data:r:f0@md5:0").attrs == {"path": "f0", "size": 0, "remote": "r"}
    assert store.get_node("data:r:f1@md5:1").attrs == {"path": "f1", "size": 1}
    assert store.verify().ok


def test_a_batch_mixing_new_and_written_facts_in_an_empty_store(tmp_path: Path) -> None:
    """A first load inserts each batch as new facts without lookups; a batch that meets a fact
    written earlier in the transaction is rolled back to its savepoint and merged through
    lookups: its new facts are still counted new, the repeat as changed (or unchanged)."""
    store = Store.init(tmp_path / ".lineage")
    first = [_data(i, size=i) for i in range(2000)]  # one batch (_BATCH)
    second = [_data(5, remote="s3"), _data(6, size=6)] + [_data(i) for i in range(2000, 3999)]
    with store.transaction():
        stats = store.upsert(first + second)
        store.append_event("harvest", "test", {})
    assert stats.nodes_new == {"data": 3999} and stats.nodes_changed == {"data": 1}
    assert store.get_node("data:r:f5@md5:5").attrs == {"path": "f5", "size": 5, "remote": "s3"}
    assert store.get_node("data:r:f3998@md5:3998") is not None
    assert store.conn.execute("SELECT count(*) FROM nodes").fetchone()[0] == 3999
    assert store.verify().ok


def test_fact_rows_repeating_a_fact_in_an_empty_store(tmp_path: Path) -> None:
    """One batch of rows naming a fact twice, into an empty store: the batch conflicts with
    itself, is rolled back and written through lookups — the repeat merged into the first, with
    the rows, stats and event digest that the same facts as objects give."""
    items: list[Node | Edge] = [
        _data(0, size=0), _data(1), _data(0, remote="r"),
        Edge.make(EdgeKind.INPUT, "data:r:f0@md5:0", "stage:r:s@1", pin="none"),
        Edge.make(EdgeKind.INPUT, "data:r:f0@md5:0", "stage:r:s@1", path="f0")]
    results = []
    for mode in ("objects", "rows"):
        store = Store.init(tmp_path / mode)
        with store.transaction():
            s = store.upsert(items if mode == "objects" else [_as_rows(items)])
            store.append_event("harvest", "test", {"stats": s.as_dict()})
        assert store.verify().ok
        results.append(_dump(store))
        assert s.nodes_new == {"data": 2} and not s.nodes_changed, mode
        assert s.edges_new == {"input": 1} and not s.edges_changed, mode
        assert store.get_node("data:r:f0@md5:0").attrs == {"path": "f0", "size": 0,
                                                            "remote": "r"}
        (e,) = store.iter_edges("input")
        assert e.attrs == {"pin": "none", "path": "f0"}
        store.close()
    assert results[0] == results[1]
