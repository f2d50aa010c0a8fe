"""An event with more facts than the store tracks in memory: its digest is read back from the
rows that carry its seq, and must equal the digest of the in-memory path, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

import lineage.store as store_mod
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import Store


def _batches() -> list[list[Node | Edge]]:
    """Three events' writes: ids with non-ASCII text and with characters sorting before and
    after the fid separator '|', a fact written twice in one event, facts superseded later."""
    names = ["a", "a-b", "a|b", "a b", "z", "é", "données/é.csv", "日本", "😀", "A", "~x"]
    first: list[Node | Edge] = []
    for n in names:
        first.append(Node.make(NodeKind.DATA, f"data:repo:{n}@md5:1", path=n, hash="md5:1"))
        first.append(Node.make(NodeKind.STAGE, f"stage:repo:dvc.yaml:{n}@1", name=n))
        first.append(Edge.make(EdgeKind.INPUT, f"data:repo:{n}@md5:1",
                               f"stage:repo:dvc.yaml:{n}@1", pin="strong"))
        first.append(Edge.make(EdgeKind.OUTPUT, f"stage:repo:dvc.yaml:{n}@1",
                               f"data:repo:{n}-out@md5:2"))
    # written twice in the same event: the last version counts
    first.append(Node.make(NodeKind.DATA, "data:repo:a@md5:1", path="a", hash="md5:1", size=3))
    second = [Node.make(NodeKind.DATA, f"data:repo:{n}@md5:1", path=n, hash="md5:1", size=9)
              for n in names[:5]]
    second.append(Edge.make(EdgeKind.INPUT, "data:repo:é@md5:1", "stage:repo:dvc.yaml:é@1",
                            pin="none"))
    third = [Node.make(NodeKind.STAGE, f"stage:repo:dvc.yaml:{n}@1", name=n, cmd="run")
             for n in names[3:]]
    return [first, second, third]


def _harvest(root: Path, batches: list[list[Node | Edge]]) -> list[dict]:
    store = Store.init(root)
    try:
        with store.transaction():  # two events in one transaction, as a harvest writes them
            for batch in batches[:2]:
                store.upsert(batch)
                store.append_event("harvest", "test", {})
        with store.transaction():
            store.upsert(batches[2])
            store.append_event("harvest", "test", {})
        assert store.verify().ok
        return [e.payload["facts"] for e in store.events()]
    finally:
        store.close()


def test_digest_from_rows_equals_digest_from_memory(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    in_memory = _harvest(tmp_path / "memory", _batches())
    monkeypatch.setattr(store_mod, "_PENDING_MAX", 3)
    from_rows = _harvest(tmp_path / "rows", _batches())
    assert [f["count"] for f in in_memory] == [44, 6, 8]
    assert from_rows == in_memory


def test_large_event_still_detects_tampering(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    monkeypatch.setattr(store_mod, "_PENDING_MAX", 3)
    _harvest(tmp_path / "rows", _batches())
    conn = sqlite3.connect(tmp_path / "rows" / "lineage.db")
    conn.execute("UPDATE edges SET seq = 1 WHERE seq = 2")  # an edge moved to another event
    conn.commit()
    conn.close()
    store = Store.open(tmp_path / "rows")
    try:
        res = store.verify()
        assert not res.ok and res.bad_seq == 1
    finally:
        store.close()


def test_pending_count_is_kept_after_overflow(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "_PENDING_MAX", 3)
    store = Store.init(tmp_path / "s")
    try:
        with pytest.raises(store_mod.StoreError, match="without an event"), store.transaction():
            store.upsert(_batches()[0])
            assert store.pending_facts >= 44
    finally:
        store.close()


def test_verify_reports_its_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _harvest(tmp_path / "s", _batches())
    monkeypatch.setattr(store_mod, "_PROGRESS_ROWS", 10)
    calls: list[tuple[str, int, int | None]] = []
    store = Store.open(tmp_path / "s")
    try:
        rows = sum(store.counts()["nodes"].values()) + sum(store.counts()["edges"].values())
        logged = store.conn.execute("SELECT count(*) FROM fact_log").fetchone()[0]
        assert store.verify(lambda what, done, total: calls.append((what, done, total))).ok
    finally:
        store.close()
    facts = [c for c in calls if c[0] == "check facts"]
    events = [c for c in calls if c[0] == "check events"]
    assert logged > 0
    assert facts[0] == ("check facts", 0, rows) and facts[-1] == ("check facts", rows, rows)
    assert events[-1] == ("check events", rows + logged, rows + logged)
    assert len(facts) > 3 and len(events) > 3  # intermediate steps, every 10 rows
    assert [d for _, d, _ in events] == sorted(d for _, d, _ in events)
