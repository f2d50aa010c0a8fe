"""`lineage verify` names the facts deleted from the store (not only how many), and
``Store.verify`` runs inside a read transaction its caller opened: one snapshot, verified and
read, whatever another process commits meanwhile."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app
from lineage.store import Store

runner = CliRunner()
DEPLOYMENT = "deployment:churn:prod:2026-01-07T09:30:00Z"  # written by event 5 (gto harvest)


def _db(repo: Path) -> Path:
    return repo / ".lineage" / "lineage.db"


def test_verify_names_a_deleted_node_and_the_kind_of_a_deleted_edge(
        quickstart_demo: Path) -> None:
    conn = sqlite3.connect(_db(quickstart_demo))
    with conn:
        assert conn.execute("SELECT seq FROM nodes WHERE id = ?", (DEPLOYMENT,)).fetchone() == (5,)
        conn.execute("DELETE FROM nodes WHERE id = ?", (DEPLOYMENT,))
        edge = conn.execute("SELECT rowid, seq FROM edges WHERE kind = 'tagged' ORDER BY source "
                            "LIMIT 1").fetchone()
        assert edge[1] == 5
        conn.execute("DELETE FROM edges WHERE rowid = ?", (edge[0],))
    conn.close()
    res = runner.invoke(app, ["verify"])
    assert res.exit_code == 1, res.output
    assert ("TAMPERED: 2 of the facts written by event 5 (harvest) were deleted from the "
            f"store: node {DEPLOYMENT}, a tagged edge (2 written, 1 left)") in res.output, \
        res.output


def test_verify_names_a_deleted_edge_with_an_earlier_version(quickstart_demo: Path) -> None:
    """The dvc harvest (event 4) rewrote the artifact edge a recorded run (event 1) wrote:
    the fact log keeps the run's version, so the edge deleted is named in full."""
    conn = sqlite3.connect(_db(quickstart_demo))
    with conn:
        source, target, seq = conn.execute(
            "SELECT source, target, seq FROM edges WHERE kind = 'artifact' AND target = "
            "'model:churn@v1.0.0'").fetchone()
        assert seq == 4
        conn.execute("DELETE FROM edges WHERE kind = 'artifact' AND target = ?", (target,))
    conn.close()
    res = runner.invoke(app, ["verify"])
    assert res.exit_code == 1, res.output
    assert ("TAMPERED: 1 of the facts written by event 4 (harvest) was deleted from the "
            f"store: edge artifact {source} → {target}") in res.output, res.output


def test_verify_inside_a_read_transaction_checks_that_snapshot(quickstart_demo: Path) -> None:
    store = Store.open_read_only(quickstart_demo / ".lineage")
    try:
        store.conn.execute("BEGIN")
        head = store.head()  # the snapshot starts here
        # another process records an alert meanwhile: a new event, new facts
        res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric",
                                  "psi", "--value", "0.4", "--threshold", "0.2"])
        assert res.exit_code == 0, res.output
        checked = store.verify()
        assert checked.ok and checked.events == head[0], checked
        assert store.conn.in_transaction and store.head() == head  # still that snapshot
        store.conn.execute("ROLLBACK")
        assert store.head()[0] == head[0] + 1  # the record, once the snapshot is left
        assert store.verify().ok
    finally:
        store.close()
