"""A store file that is damaged, replaced, edited below the facts, or that cannot be written,
as a user meets it through the CLI on the demo repository: one line naming the file and what
to do, never a traceback, and nothing written to the store.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ALERT = ("record", "alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
         "--threshold", "0.2")


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _one_error(code: int, out: str, expected: int, *needles: str) -> None:
    assert code == expected, out
    assert "Traceback" not in out, out
    assert out.splitlines()[0].startswith("error: "), out
    for n in needles:
        assert n in out, (n, out)


def _db(repo: Path) -> Path:
    return repo / ".lineage" / "lineage.db"


def _sql(repo: Path, *statements: str) -> None:
    conn = sqlite3.connect(_db(repo), isolation_level=None)
    try:
        for s in statements:
            conn.execute(s)
    finally:
        conn.close()


def _state(repo: Path) -> tuple[list[tuple[object, ...]], ...]:
    conn = sqlite3.connect(_db(repo))
    try:
        return tuple(conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                     for t in ("events", "nodes", "edges", "meta"))
    finally:
        conn.close()


# -- a file that is not a lineage store --------------------------------------------------------
def test_an_empty_store_file_is_named_and_left_as_it_is(quickstart_demo: Path) -> None:
    """A store file truncated to nothing: said so, not taken for a permission problem, and
    not turned into an empty database behind the user's back."""
    db = _db(quickstart_demo)
    db.write_bytes(b"")
    for args in (("export",), ("audit",), ("harvest",), ALERT):  # verify: a failed verify
        code, out = lineage(*args, "--repo", str(quickstart_demo))
        _one_error(code, out, 2, f"{db} is not a lineage store: it is an empty file", "backup")
        assert "permissions" not in out, out
    assert db.stat().st_size == 0


def test_another_sqlite_database_is_not_a_store(quickstart_demo: Path) -> None:
    db = _db(quickstart_demo)
    db.unlink()
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE runs (id TEXT)")
    other.commit()
    other.close()
    code, out = lineage("export", "--repo", str(quickstart_demo))  # verify: a failed verify
    _one_error(code, out, 2, "is not a lineage store", "without lineage's tables")
    assert "permissions" not in out, out
    conn = sqlite3.connect(db)  # still the other program's database, in its journal mode
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


@pytest.mark.parametrize("sql,says", [
    ("UPDATE meta SET value='two' WHERE key='schema_version'", "is 'two'"),
    ("DELETE FROM meta WHERE key='schema_version'", "is missing"),
], ids=["unreadable", "deleted"])
def test_a_schema_version_changed_outside_lineage(quickstart_demo: Path, sql: str,
                                                  says: str) -> None:
    """Read as some version, the store would be misread (or 'brought up to date' by init)."""
    _sql(quickstart_demo, sql)
    before = _state(quickstart_demo)
    for args in (("harvest",), ("init",)):
        code, out = lineage(*args, "--repo", str(quickstart_demo))
        _one_error(code, out, 1, "has no schema version lineage can read", says,
                   "changed outside lineage", "backup")
    code, out = lineage("verify", "--repo", str(quickstart_demo))  # a failed verification
    assert code == 1 and out.startswith("TAMPERED: ") and "Traceback" not in out, out
    assert "has no schema version lineage can read" in out and says in out, out
    assert _state(quickstart_demo) == before


# -- the head (meta) and the log disagree --------------------------------------------------
HEADS = {
    "head deleted": (["DELETE FROM meta WHERE key='head'"],
                     "the store's head (meta 'head') was deleted outside lineage",
                     "the head records event 0 but the log goes on to event 8"),
    "head set back one event": (
        ["UPDATE meta SET value=(SELECT seq || ':' || hash FROM events WHERE seq=7) "
         "WHERE key='head'"],
        "the head records event 7 but the log goes on to event 8",
        "the head records event 7 but the log goes on to event 8"),
    "head hash edited": (["UPDATE meta SET value='8:' || printf('%064d', 0) WHERE key='head'"],
                         "the head records event 8 with another hash than the log's event 8",
                         "the head records event 8 with another hash"),
    "head not readable": (["UPDATE meta SET value='ten' WHERE key='head'"],
                          "the store's head (meta 'head') cannot be read",
                          "the store's head (meta 'head': the last event's seq and hash) "
                          "cannot be read"),
}


@pytest.mark.parametrize("sql,verify_says,record_says", HEADS.values(), ids=list(HEADS))
def test_a_head_edited_outside_lineage(quickstart_demo: Path, sql: list[str], verify_says: str,
                                       record_says: str) -> None:
    """verify says what happened to the head; a write refuses to go on from it (it would fork
    the chain or collide with an event already in the log) and leaves the store as it was."""
    r = str(quickstart_demo)
    _sql(quickstart_demo, *sql)
    code, out = lineage("verify", "--repo", r, "--json")
    res = json.loads(out)
    assert code == 1 and not res["ok"] and verify_says in res["problem"], out
    before = _state(quickstart_demo)
    code, out = lineage(*ALERT, "--repo", r)
    _one_error(code, out, 1, record_says, "changed outside lineage", "lineage verify")
    assert _state(quickstart_demo) == before


def test_verify_tells_events_added_after_the_head_from_entries_removed(
        quickstart_demo: Path) -> None:
    _sql(quickstart_demo, "DELETE FROM events WHERE seq=8")
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 1 and "the log ends at event 7 but the head records event 8: entries were " \
        "removed from the end" in out, out


# -- the file below the facts: pages and indexes ------------------------------------------------
def test_an_index_that_hides_rows_from_the_audit_fails_verify(quickstart_demo: Path) -> None:
    """The kind index rebuilt without the deployments, its definition put back: every fact
    still matches its event, but the audit (which reads nodes by kind through the index) no
    longer sees the deployments and passes more of them. verify must fail."""
    r = str(quickstart_demo)
    code, out = lineage("audit", "--repo", r, "--format", "json")
    assert code == 1
    before = len(json.loads(out)["findings"])
    _sql(quickstart_demo, "DROP INDEX nodes_kind",
         "CREATE INDEX nodes_kind ON nodes(kind) WHERE kind != 'deployment'",
         "PRAGMA writable_schema=ON",
         "UPDATE sqlite_master SET sql='CREATE INDEX nodes_kind ON nodes(kind)' "
         "WHERE name='nodes_kind'")
    code, out = lineage("audit", "--repo", r, "--format", "json")
    assert len(json.loads(out)["findings"]) < before  # the bypass verify has to catch
    code, out = lineage("verify", "--repo", r)
    assert code == 1 and "TAMPERED" in out and "missing from index nodes_kind" in out, out


def _damage(repo: Path) -> None:
    """Overwrite the page holding the nodes table's root after its header (what a bad disk
    or a careless edit of the file does)."""
    conn = sqlite3.connect(_db(repo))
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='nodes'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with _db(repo).open("r+b") as f:
        f.seek((page - 1) * size + 12)
        f.write(b"\xff" * (size - 12))


def test_a_damaged_file_fails_verify_and_harvest_in_one_line(quickstart_demo: Path) -> None:
    r = str(quickstart_demo)
    _damage(quickstart_demo)
    code, out = lineage("verify", "--repo", r)
    assert code == 1 and "Traceback" not in out, out
    assert out.startswith("TAMPERED: the store file ") and "is damaged" in out, out
    code, out = lineage("harvest", "--repo", r)
    _one_error(code, out, 1, "cannot be read", "damaged", "nothing was written")


@pytest.mark.parametrize("cmd", [["export", "--format", "node-link"], ["audit"],
                                 ["show", "churn@v1.1.0"], ["push"]])
def test_every_command_on_a_damaged_file_is_one_line(quickstart_demo: Path,
                                                     cmd: list[str]) -> None:
    _damage(quickstart_demo)
    code, out = lineage(*cmd, "--repo", str(quickstart_demo))
    _one_error(code, out, 1, "damaged", "lineage verify")


# -- a write the disk refuses ------------------------------------------------------------------
def _limited(blocks: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (blocks * 1024, blocks * 1024))


@pytest.mark.parametrize("args", [ALERT, ("push",)], ids=["record", "push"])
def test_a_full_disk_is_one_line_and_the_store_is_unchanged(quickstart_demo: Path,
                                                          args: tuple[str, ...]) -> None:
    """The file size limit (as a full disk) stops the write half way: SQLite has already
    rolled the transaction back, which must not end in a traceback about the rollback."""
    before = _state(quickstart_demo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "lineage", *args], cwd=quickstart_demo,
                          env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: _limited(40))
    out = proc.stdout + proc.stderr
    _one_error(proc.returncode, out, 2, "cannot write the store", "disk full",
               "the store is as it was", "free some space")
    assert _state(quickstart_demo) == before
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 0, out


# -- the tables verify reads, removed or renamed -----------------------------------------------
@pytest.mark.parametrize("sql,says", [
    ("DROP TABLE events", "table events is missing"),
    ("ALTER TABLE events RENAME TO old_events", "table events is missing"),
    ("DROP TABLE fact_log", "table fact_log is missing"),
    ("DROP TABLE nodes", "table nodes is missing"),
    ("DROP TABLE edges", "table edges is missing"),
    ("ALTER TABLE nodes DROP COLUMN seq", "table nodes has no column seq"),
    ("ALTER TABLE edges DROP COLUMN seq", "table edges has no column seq"),
], ids=["events-dropped", "events-renamed", "fact_log-dropped", "nodes-dropped",
        "edges-dropped", "nodes-seq-dropped", "edges-seq-dropped"])
def test_a_table_of_the_trail_removed_fails_verify(quickstart_demo: Path, sql: str,
                                                   says: str) -> None:
    _sql(quickstart_demo, sql)
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 1 and out.startswith("TAMPERED: ") and "Traceback" not in out, out
    assert says in out and "changed outside lineage" in out, out
    res = runner.invoke(app, ["verify", "--repo", str(quickstart_demo), "--json"])
    assert res.exit_code == 1 and says in json.loads(res.stdout)["problem"], res.output
    # nor is it made again, empty, behind the reader's back: an audit of an empty graph
    # passes, and the next verify would find nothing missing
    before = _db(quickstart_demo).read_bytes()
    for args in (("audit",), ("init",), ALERT):
        code, out = lineage(*args, "--repo", str(quickstart_demo))
        _one_error(code, out, 1, says, "changed outside lineage", "lineage verify")
    assert _db(quickstart_demo).read_bytes() == before
