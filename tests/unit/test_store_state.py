"""Push state (what each push target already holds) edited outside lineage.

A push sends only the aspects whose hash differs from what the state says the target holds:
an entry edited or written by hand would make it skip metadata the target never received.
Each entry carries the sha256 of its namespace, key and value, as cache entries and
watermarks do; one that does not match is not read, so the aspect is sent again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lineage.store import Store

NS = "push:datahub-gms:http://gms:8080"
OTHER = "push:atlas:http://atlas:21000"

# the state table as stores were written before its entries carried a hash
_OLD_STATE = ("CREATE TABLE state (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT "
              "NULL, PRIMARY KEY (namespace, key))")


def _sql(root: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(root / "lineage.db", isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / ".lineage"
    with Store.init(root) as store, store.transaction():
        store.state_put_many(NS, [("urn:a|mlModelProperties", "h1"),
                                  ("urn:b|mlModelProperties", "h2")])
        store.state_put_many(OTHER, [("typedefs", "t1")])
    return root


def _state(root: Path, ns: str = NS) -> dict[str, str]:
    with Store.open(root) as store:
        return store.state_get_all(ns)


def test_state_reads_back_as_written(root: Path) -> None:
    assert _state(root) == {"urn:a|mlModelProperties": "h1", "urn:b|mlModelProperties": "h2"}
    assert _state(root, OTHER) == {"typedefs": "t1"}


@pytest.mark.parametrize("sql", [
    # the target is said to hold the new version of an aspect it never received
    "UPDATE state SET value='h-new' WHERE key='urn:a|mlModelProperties'",
    # an aspect never sent is said to be held
    "INSERT INTO state(namespace, key, value) VALUES ('" + NS + "', 'urn:c|mlModelProperties', "
    "'h3')",
    # an entry copied from another target, hash and all
    "INSERT INTO state SELECT '" + NS + "', 'urn:c|mlModelProperties', value, hash FROM state "
    "WHERE key='typedefs'",
    # an entry's key renamed (another aspect said to be held)
    "UPDATE state SET key='urn:c|mlModelProperties' WHERE key='urn:a|mlModelProperties'",
], ids=["value-edited", "row-added", "row-copied", "key-renamed"])
def test_a_state_entry_edited_outside_lineage_is_not_trusted(root: Path, sql: str) -> None:
    _sql(root, sql)
    state = _state(root)
    assert "urn:c|mlModelProperties" not in state
    assert state.get("urn:a|mlModelProperties") in (None, "h1")
    assert state["urn:b|mlModelProperties"] == "h2"  # the others stand


def _old_layout(root: Path) -> list[tuple[object, ...]]:
    """The store's state table put back as the code before state hashes wrote it."""
    rows = _sql(root, "SELECT namespace, key, value FROM state ORDER BY 1, 2")
    conn = sqlite3.connect(root / "lineage.db", isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP TABLE state")
        conn.execute(_OLD_STATE)
        conn.executemany("INSERT INTO state VALUES (?,?,?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return rows


def _columns(root: Path) -> list[str]:
    return [str(r[1]) for r in _sql(root, "PRAGMA table_info(state)")]


@pytest.mark.parametrize("in_transaction", [True, False])
def test_state_from_before_its_hashes_is_taken_as_it_stands_then_hashed(
        root: Path, in_transaction: bool) -> None:
    """Nothing is sent again for nothing: the entries stand until the first state write,
    which gives every one its hash in the same transaction (Atlas writes its state outside
    any transaction of its own)."""
    rows = _old_layout(root)
    assert _state(root) == {"urn:a|mlModelProperties": "h1", "urn:b|mlModelProperties": "h2"}
    with Store.open(root) as store:
        assert "hash" not in _columns(root)  # opening (reading) writes nothing
        if in_transaction:
            with store.transaction():
                store.state_put_many(NS, [("urn:c|mlModelProperties", "h3")])
        else:
            store.state_put_many(NS, [("urn:c|mlModelProperties", "h3")])
    assert _columns(root) == ["namespace", "key", "value", "hash"]
    assert _sql(root, "SELECT namespace, key, value FROM state WHERE key != "
                      "'urn:c|mlModelProperties' ORDER BY 1, 2") == rows
    assert _sql(root, "SELECT count(*) FROM state WHERE hash IS NULL") == [(0,)]
    assert _state(root)["urn:c|mlModelProperties"] == "h3"
    assert _state(root, OTHER) == {"typedefs": "t1"}
    # from now on an edit is seen
    _sql(root, "UPDATE state SET value='h-new' WHERE key='urn:a|mlModelProperties'")
    assert "urn:a|mlModelProperties" not in _state(root)
    with Store.open(root) as store:
        assert store.verify().ok


def test_a_delete_on_an_old_state_table_works_as_before(root: Path) -> None:
    _old_layout(root)
    with Store.open(root) as store, store.transaction():
        store.state_delete(NS, ["urn:a|mlModelProperties"])
    assert _state(root) == {"urn:b|mlModelProperties": "h2"}


def test_an_interrupted_state_upgrade_leaves_the_old_table(root: Path) -> None:
    rows = _old_layout(root)
    _sql(root, "CREATE TRIGGER stop BEFORE UPDATE ON state "
               "BEGIN SELECT RAISE(ABORT, 'interrupted'); END")
    with Store.open(root) as store, pytest.raises(sqlite3.DatabaseError, match="interrupted"):
        store.state_put_many(NS, [("urn:c|mlModelProperties", "h3")])
    assert "hash" not in _columns(root)
    assert _sql(root, "SELECT namespace, key, value FROM state ORDER BY 1, 2") == rows
    _sql(root, "DROP TRIGGER stop")
    with Store.open(root) as store:
        store.state_put_many(NS, [("urn:c|mlModelProperties", "h3")])
    assert _state(root)["urn:c|mlModelProperties"] == "h3"
