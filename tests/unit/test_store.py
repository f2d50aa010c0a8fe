"""Store: merge semantics, idempotence, atomicity and tamper evidence."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from lineage import store as store_mod
from lineage.errors import StoreError
from lineage.ids import commit_id, data_id, model_group_id, model_id
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.serialize import dumps_str
from lineage.store import Store, edge_hash, node_hash


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


# -- layout: current versions on the fact rows, superseded ones in fact_log ----------------
def _commit(message: str) -> Node:
    return Node.make(NodeKind.COMMIT, commit_id("a" * 40), sha="a" * 40, message=message)


C = commit_id("a" * 40)


def _rows(store: Store, sql: str, *params: object) -> list[tuple]:
    return [tuple(r) for r in store.conn.execute(sql, params)]


def test_fact_log_keeps_only_superseded_versions(store: Store) -> None:
    _write(store, _facts())
    assert _rows(store, "SELECT count(*) FROM fact_log") == [(0,)]
    assert _rows(store, "SELECT DISTINCT seq FROM nodes UNION SELECT DISTINCT seq FROM edges") \
        == [(1,)]
    (h1,), = _rows(store, "SELECT hash FROM nodes WHERE id=?", C)
    _write(store, [_commit("retrain")])
    assert _rows(store, "SELECT seq, fid, hash FROM fact_log") == [(1, "n|" + C, h1)]
    (seq, h2), = _rows(store, "SELECT seq, hash FROM nodes WHERE id=?", C)
    assert seq == 2 and h2 != h1
    assert store.verify().ok


def test_fact_rewritten_within_one_event_is_not_logged(store: Store) -> None:
    with store.transaction():
        store.upsert([_commit("one")])
        store.upsert([_commit("two")])
        store.upsert([_commit("three")])
        store.append_event("harvest", "test", {})
    assert _rows(store, "SELECT count(*) FROM fact_log") == [(0,)]
    assert store.get_node(C).attrs["message"] == "three"  # type: ignore[union-attr]
    assert store.verify().ok


def test_several_events_in_one_transaction(store: Store) -> None:
    with store.transaction():  # a first load: the existence lookups are skipped
        store.upsert(_facts())
        store.append_event("harvest", "test", {"harvester": "a"})
        store.upsert([_commit("retrain")])
        store.append_event("harvest", "test", {"harvester": "b"})
        store.upsert([_commit("again")])
        store.append_event("harvest", "test", {"harvester": "c"})
    assert _rows(store, "SELECT seq, fid FROM fact_log ORDER BY seq") == \
        [(1, "n|" + C), (2, "n|" + C)]
    assert _rows(store, "SELECT seq FROM nodes WHERE id=?", C) == [(3,)]
    assert store.verify().ok
    assert store.last_fact_event() == store.head()


def test_last_fact_event_ignores_events_without_facts(store: Store) -> None:
    assert store.last_fact_event() is None
    _write(store, _facts())
    first = store.head()
    with store.transaction():
        store.append_event("push", "test", {})
    assert store.last_fact_event() == first != store.head()
    _write(store, [_commit("retrain")])
    assert store.last_fact_event() == store.head()


@pytest.fixture
def history(store: Store) -> tuple[Store, list[tuple[int, str, str]]]:
    """Three events; the commit node has versions from events 1 and 2 superseded by event
    3. Returns the store and the commit's versions as (seq, attrs, hash)."""
    versions = []
    for i, message in enumerate(["train", "retrain", "final"], start=1):
        items: list[Node | Edge] = [_commit(message)]
        if i == 1:
            items += _facts()[1:4]
        if i == 3:
            items += _facts()[4:]
        _write(store, items)
        (attrs, h), = _rows(store, "SELECT attrs, hash FROM nodes WHERE id=?", C)
        versions.append((i, attrs, h))
    assert _rows(store, "SELECT seq FROM fact_log WHERE fid=? ORDER BY seq", "n|" + C) == \
        [(1,), (2,)]
    assert store.verify().ok
    return store, versions


def _problem(store: Store) -> str:
    res = store.verify()
    assert not res.ok
    return res.problem or ""


def test_superseded_version_edited_detected(history) -> None:
    store, _ = history
    _tamper(store, "UPDATE fact_log SET hash=? WHERE seq=1", "0" * 64)
    assert "modified" in _problem(store) and store.verify().bad_seq == 1


def test_superseded_version_deleted_detected(history) -> None:
    store, _ = history
    _tamper(store, "DELETE FROM fact_log WHERE seq=2")
    assert "deleted" in _problem(store) and store.verify().bad_seq == 2


def test_current_and_superseded_versions_swapped_detected(history) -> None:
    store, versions = history
    (_, attrs1, h1), (_, _, h3) = versions[0], versions[2]
    # every event keeps its facts digest: version 1 is current again, version 3 "superseded"
    _tamper(store, "UPDATE nodes SET attrs=?, hash=?, seq=1 WHERE id=?", attrs1, h1, C)
    _tamper(store, "DELETE FROM fact_log WHERE seq=1 AND fid=?", "n|" + C)
    _tamper(store, "INSERT INTO fact_log(seq, fid, hash) VALUES (3, ?, ?)", "n|" + C, h3)
    problem = _problem(store)
    assert "changed outside lineage" in problem and C in problem


def test_fact_moved_to_another_event_detected(history) -> None:
    store, _ = history
    _tamper(store, "UPDATE edges SET seq=2 WHERE kind='tagged'")
    assert "modified" in _problem(store) and store.verify().bad_seq == 2


def test_verify_names_the_fact_moved_or_added(history) -> None:
    """Not "deleted" nor "modified, added or removed": what happened, to which fact."""
    store, _ = history
    _tamper(store, "UPDATE edges SET seq=2 WHERE kind='tagged'")
    problem = _problem(store)
    assert "deleted" not in problem
    assert f"edge tagged {C} → model:churn@v1 was moved to it from event 3" in problem
    _tamper(store, "UPDATE edges SET seq=3 WHERE kind='tagged'")
    assert store.verify().ok
    _tamper(store, "UPDATE edges SET seq=7 WHERE kind='tagged'")
    problem = _problem(store)
    assert "event 3 (harvest) were modified outside lineage" in problem
    assert (f"edge tagged {C} → model:churn@v1 was moved from it to event 7, which is not in "
            "the event log") in problem


def test_verify_tells_a_move_it_cannot_afford_to_name(history,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming the fact is bounded work: on bigger events the counts still tell a move."""
    monkeypatch.setattr(store_mod, "_NAME_LINES", 1)
    store, _ = history
    _tamper(store, "UPDATE edges SET seq=2 WHERE kind='tagged'")
    problem = _problem(store)
    assert "event 2 (harvest) were modified outside lineage: 1 fact of event 3" in problem
    assert "moved to it" in problem and "deleted" not in problem and store.verify().bad_seq == 2


def test_fact_recorded_twice_for_one_event_detected(history) -> None:
    store, _ = history
    _tamper(store, "UPDATE nodes SET seq=2 WHERE id=?", C)
    problem = _problem(store)
    assert "twice for event 2" in problem and "changed outside lineage" in problem


def test_current_version_rehashed_detected(history) -> None:
    store, _ = history
    attrs = '{"message":"forged","sha":"' + "a" * 40 + '"}'
    _tamper(store, "UPDATE nodes SET attrs=?, hash=? WHERE id=?", attrs,
            node_hash("commit", C, {"message": "forged", "sha": "a" * 40}), C)
    assert "modified" in _problem(store) and store.verify().bad_seq == 3


def _insert_node(store: Store, seq: object) -> None:
    nid = commit_id("b" * 40)
    _tamper(store, "INSERT INTO nodes(id, kind, attrs, hash, seq) VALUES (?,?,?,?,?)", nid,
            "commit", '{"sha":"' + "b" * 40 + '"}', node_hash("commit", nid, {"sha": "b" * 40}),
            seq)


def test_fact_inserted_for_an_existing_event_detected(history) -> None:
    store, _ = history
    _insert_node(store, 2)
    assert "modified" in _problem(store) and store.verify().bad_seq == 2


@pytest.mark.parametrize(("seq", "says"), [(4, "event 4, which is not in the event log"),
                                           (None, "no event")])
def test_fact_inserted_outside_the_log_detected(history, seq: object, says: str) -> None:
    store, _ = history
    _insert_node(store, seq)
    problem = _problem(store)
    assert "changed outside lineage" in problem and says in problem


def test_superseded_versions_left_for_an_unknown_event_detected(history) -> None:
    store, _ = history
    _tamper(store, "INSERT INTO fact_log(seq, fid, hash) VALUES (9, ?, ?)", "n|" + C, "0" * 64)
    assert "event 9, which is not in the event log" in _problem(store)


def test_fact_with_superseded_versions_deleted_detected(history) -> None:
    store, versions = history
    _tamper(store, "DELETE FROM nodes WHERE id=?", C)
    assert "deleted" in _problem(store) and store.verify().bad_seq == 3
    # the same, with its last version moved to fact_log so that every digest still holds
    _tamper(store, "INSERT INTO fact_log(seq, fid, hash) VALUES (3, ?, ?)", "n|" + C,
            versions[2][2])
    problem = _problem(store)
    assert "deleted from the store" in problem and C in problem


def test_truncated_log_with_head_rewritten_detected(history) -> None:
    store, _ = history
    (h2,), = _rows(store, "SELECT hash FROM events WHERE seq=2")
    _tamper(store, "DELETE FROM events WHERE seq=3")
    _tamper(store, "UPDATE meta SET value=? WHERE key='head'", f"2:{h2}")
    assert "event 3, which is not in the event log" in _problem(store)


def test_overwriting_a_row_without_seq_keeps_it_visible(history) -> None:
    store, _ = history
    _insert_node(store, None)
    _write(store, [Node.make(NodeKind.COMMIT, commit_id("b" * 40), sha="b" * 40, message="m")])
    assert "event 0, which is not in the event log" in _problem(store)


# -- schema 1 stores (every version of every fact in fact_log) open and verify -------------
_V1_FACT_LOGS = {
    # the layouts schema 1 stores were written with
    "keyed": "CREATE TABLE fact_log (seq INTEGER NOT NULL, fid TEXT NOT NULL, hash TEXT NOT "
             "NULL, PRIMARY KEY (seq, fid)) WITHOUT ROWID",
    "rowid": "CREATE TABLE fact_log (seq INTEGER NOT NULL, fid TEXT NOT NULL, hash TEXT NOT "
             "NULL, PRIMARY KEY (fid, seq)); CREATE INDEX fact_log_seq ON fact_log(seq)",
}


def _v1_store(root: Path, batches: list[list[Node | Edge]], fact_log: str = "keyed") -> Path:
    """A schema 1 store written the way the schema 1 code wrote it: each batch of facts is
    one event; every write of a fact adds (seq, fid, hash) to fact_log."""
    root.mkdir(parents=True)
    db = sqlite3.connect(root / "lineage.db")
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, attrs TEXT NOT NULL,"
        " hash TEXT NOT NULL);"
        "CREATE TABLE edges (source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,"
        " attrs TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (source, target, kind));"
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, kind TEXT NOT NULL,"
        " actor TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL,"
        " hash TEXT NOT NULL);" + _V1_FACT_LOGS[fact_log] + ";"
        "INSERT INTO meta VALUES ('schema_version', '1');")
    prev = "0" * 64
    for seq, batch in enumerate(batches, start=1):
        lines = []
        for item in batch:
            attrs = dumps_str(item.attrs)
            if isinstance(item, Node):
                fid, h = "n|" + item.id, node_hash(str(item.kind), item.id, item.attrs)
                db.execute("INSERT OR REPLACE INTO nodes VALUES (?,?,?,?)",
                           (item.id, str(item.kind), attrs, h))
            else:
                fid = f"e|{item.source}|{item.target}|{item.kind}"
                h = edge_hash(str(item.kind), item.source, item.target, item.attrs)
                db.execute("INSERT OR REPLACE INTO edges VALUES (?,?,?,?,?)",
                           (item.source, item.target, str(item.kind), attrs, h))
            db.execute("INSERT INTO fact_log VALUES (?,?,?)", (seq, fid, h))
            lines.append(f"{fid} {h}")
        digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
        payload = dumps_str({"facts": {"count": len(lines), "digest": digest}})
        ts = f"2026-01-0{seq}T00:00:00Z"
        h = hashlib.sha256(f"{seq}\n{ts}\nharvest\ntest\n{payload}\n{prev}".encode()).hexdigest()
        db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                   (seq, ts, "harvest", "test", payload, prev, h))
        prev = h
    db.execute("INSERT INTO meta VALUES ('head', ?)", (f"{len(batches)}:{prev}",))
    db.commit()
    db.close()
    return root


def _v1_batches() -> list[list[Node | Edge]]:
    return [[_commit("train"), *_facts()[1:4]], [_commit("retrain")],
            [_commit("final"), *_facts()[4:]]]


def _schema(root: Path) -> str:
    db = sqlite3.connect(root / "lineage.db")
    try:
        return db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("fact_log", sorted(_V1_FACT_LOGS))
def test_schema_1_store_is_migrated_and_verifies(tmp_path: Path, fact_log: str) -> None:
    root = _v1_store(tmp_path / ".lineage", _v1_batches(), fact_log)
    with Store.open(root) as store:
        assert _schema(root) == "2"
        res = store.verify()
        assert res.ok and (res.events, res.facts) == (3, 6), res.problem
        assert _rows(store, "SELECT seq, fid FROM fact_log ORDER BY seq") == \
            [(1, "n|" + C), (2, "n|" + C)]
        assert _rows(store, "SELECT seq FROM nodes WHERE id=?", C) == [(3,)]
        assert _rows(store, "SELECT DISTINCT seq FROM edges") == [(3,)]
        # and it goes on being written the new way
        _write(store, [_commit("later")])
        assert store.verify().ok and len(_rows(store, "SELECT * FROM fact_log")) == 3
    with Store.open(root) as store:  # opening again changes nothing
        assert store.verify().ok and _schema(root) == "2"


@pytest.mark.parametrize("tampered", [False, True])
def test_schema_1_store_verifies_read_only_without_being_migrated(tmp_path: Path,
                                                                  tampered: bool) -> None:
    """verify reads only: an older store is migrated in a private copy, never in place."""
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    if tampered:
        _tamper_db(root, "UPDATE nodes SET attrs='{\"message\":\"forged\"}' WHERE id=?", C)
    db = root / "lineage.db"
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    with Store.open_read_only(root) as store:
        assert store.read_note is not None and "schema version 1" in store.read_note
        copy = Path(store.conn.execute("PRAGMA database_list").fetchone()[2])
        assert copy.parent != root
        res = store.verify()
        assert res.ok is not tampered, res.problem
        if not tampered:
            assert (res.events, res.facts) == (3, 6)
    assert not copy.exists()
    assert _schema(root) == "1" and (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in root.iterdir()) == ["lineage.db"]


@pytest.mark.parametrize("forged", [False, True])
def test_schema_1_store_tampered_before_migration_still_fails(tmp_path: Path,
                                                              forged: bool) -> None:
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    attrs = {"message": "forged", "sha": "a" * 40}
    forged_hash = node_hash("commit", C, attrs) if forged else None
    _tamper_db(root, "UPDATE nodes SET attrs=?, hash=coalesce(?, hash) WHERE id=?",
               dumps_str(attrs), forged_hash, C)
    with Store.open(root) as store:
        assert _schema(root) == "2"
        problem = _problem(store)
        assert ("twice for event 3" if forged else "changed outside lineage") in problem


def test_schema_1_store_tampered_after_migration_fails(tmp_path: Path) -> None:
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    with Store.open(root) as store:
        assert store.verify().ok
        _tamper(store, "DELETE FROM fact_log WHERE seq=1")
        assert "deleted" in _problem(store)


def test_interrupted_migration_leaves_schema_1(tmp_path: Path) -> None:
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    # the last statement of the migration fails: everything before it is rolled back
    _tamper_db(root, "CREATE TRIGGER stop BEFORE UPDATE ON meta "
                     "BEGIN SELECT RAISE(ABORT, 'interrupted'); END")
    with pytest.raises(StoreError, match="interrupted"):
        Store.open(root)
    db = sqlite3.connect(root / "lineage.db")
    assert "seq" not in {r[1] for r in db.execute("PRAGMA table_info(nodes)")}
    assert db.execute("SELECT count(*) FROM fact_log").fetchone() == (8,)
    db.close()
    assert _schema(root) == "1"
    _tamper_db(root, "DROP TRIGGER stop")
    with Store.open(root) as store:
        assert store.verify().ok and _schema(root) == "2"


def _tamper_db(root: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(root / "lineage.db")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_init_again_on_a_schema_1_store_migrates_it(tmp_path: Path) -> None:
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    with Store.init(root) as store:
        assert _schema(root) == "2" and store.verify().ok


def test_a_large_event_right_after_the_migration(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The first harvest after the upgrade writes more facts than are tracked in memory: its
    digest is read back with a sort on disk, on the connection the migration used (SQLite
    refuses to move temporary storage in a transaction once it has been used)."""
    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    monkeypatch.setattr(store_mod, "_PENDING_MAX", 2)
    with Store.open(root) as store:
        _write(store, [Node.make(NodeKind.COMMIT, commit_id(f"{i:040x}"), sha=f"{i:040x}")
                       for i in range(10)])
        res = store.verify()
        assert res.ok and res.events == 4, res.problem


def test_new_store_has_large_pages_and_old_stores_keep_theirs(tmp_path: Path) -> None:
    s = Store.init(tmp_path / "new")
    assert s.conn.execute("PRAGMA page_size").fetchone()[0] == 16384
    s.close()
    # a store created with SQLite's default page size (as stores were before) opens, takes
    # writes and verifies with its own page size
    old = tmp_path / "old"
    old.mkdir()
    conn = sqlite3.connect(old / "lineage.db")
    conn.execute("PRAGMA page_size=4096")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("DROP TABLE t")
    conn.close()
    s = Store.init(old)
    assert s.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert _write(s, _facts()) == 6
    assert s.verify().ok
    s.close()
    s = Store.open(old)
    assert s.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert s.verify().ok


def test_a_rolled_back_first_cache_and_watermark_write_leaves_them_readable(
        tmp_path: Path) -> None:
    """A store from before cache and watermark hashes: the first write adds the column, in
    the write's transaction. Rolled back (a harvester failed), the column is gone again and
    the same Store object must read and write them as before, not query a missing column."""
    root = tmp_path / ".lineage"
    with Store.init(root) as store, store.transaction():
        store.cache_put_many("ns", [("k", [1])])
        store.set_watermark("git", "refs", "w1")
    _tamper_db(root, "ALTER TABLE cache DROP COLUMN hash")
    _tamper_db(root, "ALTER TABLE watermarks DROP COLUMN hash")
    with Store.open(root) as store:
        with pytest.raises(RuntimeError, match="harvester failed"), store.transaction():
            store.cache_put_many("ns", [("k2", [2])])
            store.set_watermark("git", "refs", "w2")
            raise RuntimeError("harvester failed")
        assert store.get_watermark("git", "refs") == "w1"
        assert store.cache_get_many("ns", ["k", "k2"]) == {}  # not hashed: parsed again
        with store.transaction():
            store.cache_put_many("ns", [("k2", [2])])
            store.set_watermark("git", "refs", "w2")
        assert store.get_watermark("git", "refs") == "w2"
        assert store.cache_get_many("ns", ["k2"]) == {"k2": [2]}


@pytest.mark.parametrize("table", ["fact_log", "nodes"])
def test_schema_1_store_missing_a_trail_table_is_refused_not_upgraded(tmp_path: Path,
                                                                      table: str) -> None:
    """Not a disk or permission problem to fix and retry: the store was changed outside
    lineage, and verify fails naming the table."""
    from lineage.errors import IntegrityError

    root = _v1_store(tmp_path / ".lineage", _v1_batches())
    _tamper_db(root, f"DROP TABLE {table}")
    before = (root / "lineage.db").read_bytes()
    with pytest.raises(IntegrityError, match=f"table {table} is missing"):
        Store.open_read_only(root)
    assert (root / "lineage.db").read_bytes() == before
    with pytest.raises(IntegrityError, match=f"table {table} is missing"):
        Store.open(root)
    assert _schema(root) == "1"
