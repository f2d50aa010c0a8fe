"""`lineage verify` against edits of the store file that keep every event's facts digest
intact: the digest is taken over the facts' lines joined by newlines, and a table rebuilt
without its key takes a second row of one fact. Each must fail verify (exit 1) in one line
naming what changed; what lineage writes must keep passing it. The last test pins what the
chain alone cannot tell (the last events dropped with the facts they added) and that a kept
head catches it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
# every version of a fact with the event that wrote it, as verify reads them for the digests
_LINES = ("SELECT fid, hash, logged FROM (SELECT 'n|' || id AS fid, hash, 0 AS logged, seq "
          "FROM nodes UNION ALL SELECT 'e|' || source || '|' || target || '|' || kind, hash, 0, "
          "seq FROM edges UNION ALL SELECT fid, hash, 1, seq FROM fact_log) WHERE seq = ? "
          "ORDER BY fid, hash")


def _db(repo: Path) -> sqlite3.Connection:
    return sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)


def _verify(repo: Path, *extra: str):
    return runner.invoke(app, ["verify", "-C", str(repo), *extra])


def _tampered(repo: Path, *needles: str, event: int | None = None) -> None:
    res = _verify(repo)
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith("TAMPERED: ") and "Traceback" not in res.output, res.output
    line = res.stderr.splitlines()[0]
    assert res.stderr.splitlines()[1].startswith("hint: "), res.output  # one line, then the hint
    for n in needles:
        assert n in line, (n, line)
    out = json.loads(_verify(repo, "--json").stdout)
    assert out["ok"] is False and out["problem"] == line.removeprefix("TAMPERED: "), out
    assert out["bad_event"] == event, out


def _row_after_a_superseded_version(conn: sqlite3.Connection) -> tuple[int, tuple, tuple]:
    """An event, a superseded version of it (fact_log) and the current row that comes right
    after it in the event's digest lines."""
    for (seq,) in conn.execute("SELECT DISTINCT seq FROM fact_log ORDER BY seq").fetchall():
        lines = conn.execute(_LINES, (seq,)).fetchall()
        for old, row in itertools.pairwise(lines):
            if old[2] == 1 and row[2] == 0:
                return seq, old, row
    raise AssertionError("the demo has no current row after a superseded version")


def _delete_fact(conn: sqlite3.Connection, fid: str) -> None:
    if fid.startswith("n|"):
        conn.execute("DELETE FROM nodes WHERE id=?", (fid[2:],))
    else:
        source, target, kind = fid[2:].split("|")
        conn.execute("DELETE FROM edges WHERE source=? AND target=? AND kind=?",
                     (source, target, kind))
    assert conn.total_changes


def _name(fid: str) -> str:
    if fid.startswith("n|"):
        return "node " + fid[2:]
    source, target, kind = fid[2:].split("|")
    return f"edge {kind} {source} → {target}"


def test_a_fact_deleted_with_its_line_folded_into_a_superseded_version(
        quickstart_demo: Path) -> None:
    """The fact's digest line appended to the hash of the superseded version just before it:
    the event's lines, joined, are the same text, so its digest still matches."""
    assert _verify(quickstart_demo).exit_code == 0
    conn = _db(quickstart_demo)
    seq, (old_fid, old_hash, _), (fid, h, _) = _row_after_a_superseded_version(conn)
    conn.execute("UPDATE fact_log SET hash=? WHERE seq=? AND fid=?",
                 (f"{old_hash}\n{fid} {h}", seq, old_fid))
    _delete_fact(conn, fid)
    conn.close()
    _tampered(quickstart_demo, f"fact log entry for {_name(old_fid)} (event {seq}) was changed "
              "outside lineage", "neither a sha256 digest nor 'withdrawn'",
              f"it also holds the digest line of {_name(fid)}", event=seq)


def test_a_fact_deleted_with_its_line_folded_into_a_superseded_versions_id(
        quickstart_demo: Path) -> None:
    """The same with the line put in the superseded version's fact id: every hash is a
    sha256, but the event has one fact fewer than it recorded."""
    conn = _db(quickstart_demo)
    seq, (old_fid, old_hash, _), (fid, h, _) = _row_after_a_superseded_version(conn)
    kind = conn.execute("SELECT kind FROM events WHERE seq=?", (seq,)).fetchone()[0]
    conn.execute("UPDATE fact_log SET fid=?, hash=? WHERE seq=? AND fid=?",
                 (f"{old_fid} {old_hash}\n{fid}", h, seq, old_fid))
    _delete_fact(conn, fid)
    conn.close()
    _tampered(quickstart_demo, f"1 of the facts written by event {seq} ({kind}) was deleted",
              event=seq)


def _run(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo), "--run-id", "audit-1",
                              "--name", "train", *args])
    assert res.exit_code == 0, res.output


def test_a_superseded_version_put_back_beside_the_current_one(quickstart_demo: Path) -> None:
    """A run recorded RUNNING then FINISHED; the nodes table rebuilt without its key, the
    RUNNING row (from a copy taken before) put back beside the FINISHED one and its fact_log
    entry deleted: every event still has its facts, but the store holds two versions of the
    run, and readers may take the old one."""
    _run(quickstart_demo, "--status", "RUNNING", "--start", "2026-02-01T10:00:00Z")
    conn = _db(quickstart_demo)
    run_id, first = conn.execute("SELECT id, seq FROM nodes WHERE id LIKE 'run:%audit-1'"
                                 ).fetchone()
    running = conn.execute("SELECT id, kind, attrs, hash, seq FROM nodes WHERE id=?",
                           (run_id,)).fetchone()
    _run(quickstart_demo, "--status", "FINISHED", "--end", "2026-02-01T11:00:00Z")
    last = conn.execute("SELECT seq FROM nodes WHERE id=?", (run_id,)).fetchone()[0]
    assert last > first
    assert _verify(quickstart_demo).exit_code == 0
    conn.executescript("""
        BEGIN;
        CREATE TABLE rebuilt (id TEXT NOT NULL, kind TEXT NOT NULL, attrs TEXT NOT NULL,
                              hash TEXT NOT NULL, seq INTEGER);
        INSERT INTO rebuilt SELECT id, kind, attrs, hash, seq FROM nodes;
        DROP TABLE nodes;
        ALTER TABLE rebuilt RENAME TO nodes;
        CREATE INDEX nodes_kind ON nodes(kind);
        COMMIT;""")
    conn.execute("INSERT INTO nodes(id, kind, attrs, hash, seq) VALUES (?,?,?,?,?)", running)
    conn.execute("DELETE FROM fact_log WHERE fid=? AND seq=?", ("n|" + run_id, first))
    assert conn.total_changes
    conn.close()
    _tampered(quickstart_demo, f"node {run_id} has 2 current rows (from events {first} and "
              f"{last})", "the table nodes lost its key")


def test_legit_updates_records_and_pushes_keep_verify_passing(quickstart_demo: Path) -> None:
    """What the checks above read (fact_log hashes, facts per event, one row per fact) as
    lineage writes it: a run updated twice, an alert, a push, a harvest."""
    _run(quickstart_demo, "--status", "RUNNING", "--start", "2026-02-01T10:00:00Z")
    _run(quickstart_demo, "--status", "FINISHED", "--end", "2026-02-01T11:00:00Z",
         "--metric", "auc=0.9")
    for args in (["record", "alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value",
                  "0.3", "--threshold", "0.2"], ["push"], ["harvest"]):
        res = runner.invoke(app, [*args, "-C", str(quickstart_demo)])
        assert res.exit_code == 0, res.output
    conn = _db(quickstart_demo)
    assert conn.execute("SELECT count(*) FROM fact_log").fetchone()[0] > 0
    conn.close()
    res = _verify(quickstart_demo)
    assert res.exit_code == 0 and res.stdout.startswith("OK: event log intact"), res.output


def test_the_last_record_dropped_with_its_new_facts_needs_the_kept_head(
        quickstart_demo: Path, tmp_path: Path) -> None:
    """What the chain alone cannot tell: an alert recorded last, dropped with the facts it
    added (none superseded) and the head set back. verify passes; the head kept after the
    record does not."""
    res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                              "--value", "0.4", "--threshold", "0.2", "-C", str(quickstart_demo)])
    assert res.exit_code == 0, res.output
    res = _verify(quickstart_demo, "--json")
    assert res.exit_code == 0, res.output
    kept = tmp_path / "kept-head.json"
    kept.write_text(res.stdout)
    conn = _db(quickstart_demo)
    seq = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM fact_log WHERE seq=?", (seq,)).fetchone()[0] == 0
    dropped = conn.execute("SELECT count(*) FROM nodes WHERE seq=?", (seq,)).fetchone()[0]
    assert dropped >= 1  # the alert
    for table in ("nodes", "edges", "events"):
        conn.execute(f"DELETE FROM {table} WHERE seq=?", (seq,))
    conn.execute("UPDATE meta SET value=(SELECT seq || ':' || hash FROM events WHERE seq=?) "
                 "WHERE key='head'", (seq - 1,))
    conn.close()
    assert _verify(quickstart_demo).exit_code == 0  # the limit the docs state
    res = _verify(quickstart_demo, "--expect-head", str(kept))
    assert res.exit_code == 1 and res.stderr.startswith(
        f"TAMPERED: the log ends at event {seq - 1}, before the kept head (event {seq})"), \
        res.output


@pytest.mark.parametrize("payload,says", [
    ('{"facts": 5}', "its facts record is not a JSON object"),
    ("[1]", "it is not a JSON object"),
], ids=["facts-not-an-object", "payload-not-an-object"])
def test_an_event_payload_forged_with_its_hash_recomputed(quickstart_demo: Path, payload: str,
                                                          says: str) -> None:
    """The last event's payload replaced by JSON lineage never writes, its hash and the head
    recomputed as a forger would: one line naming the event, never a traceback."""
    conn = _db(quickstart_demo)
    seq, ts, kind, actor, prev = conn.execute(
        "SELECT seq, ts, kind, actor, prev_hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    h = hashlib.sha256(f"{seq}\n{ts}\n{kind}\n{actor}\n{payload}\n{prev}".encode()).hexdigest()
    conn.execute("UPDATE events SET payload=?, hash=? WHERE seq=?", (payload, h, seq))
    conn.execute("UPDATE meta SET value=? WHERE key='head'", (f"{seq}:{h}",))
    conn.close()
    _tampered(quickstart_demo, f"event {seq} ({kind}) payload was changed outside lineage",
              says, event=seq)


def test_a_trigger_planted_in_the_store_fails_verify(quickstart_demo: Path) -> None:
    """A trigger that silently drops the alerts later records write: every fact still matches
    its event until the next honest record, so verify has to name the trigger itself."""
    conn = _db(quickstart_demo)
    conn.execute("CREATE TRIGGER keep_quiet BEFORE INSERT ON nodes WHEN NEW.kind = 'alert' "
                 "BEGIN SELECT RAISE(IGNORE); END")
    conn.close()
    _tampered(quickstart_demo, "the store holds a trigger (keep_quiet), which lineage never "
              "makes", "changed outside lineage")


def test_a_view_planted_in_the_store_fails_verify(quickstart_demo: Path) -> None:
    conn = _db(quickstart_demo)
    conn.execute("CREATE VIEW approvals AS SELECT id FROM nodes WHERE kind = 'approval'")
    conn.close()
    _tampered(quickstart_demo, "the store holds a view (approvals)")


def test_a_fact_moved_between_two_events_numbers_is_named(quickstart_demo: Path) -> None:
    """A row's seq set to a number between two events' (3 → 3.5): the fact is still in the
    store, so verify names where it went rather than saying it was deleted."""
    conn = _db(quickstart_demo)
    seq, nid = conn.execute("SELECT seq, id FROM nodes WHERE seq > 1 ORDER BY seq, id LIMIT 1"
                            ).fetchone()
    kind = conn.execute("SELECT kind FROM events WHERE seq=?", (seq,)).fetchone()[0]
    conn.execute("UPDATE nodes SET seq=? WHERE id=?", (seq + 0.5, nid))
    conn.close()
    _tampered(quickstart_demo, f"the facts of event {seq} ({kind}) were modified outside "
              f"lineage: node {nid} was moved from it to event {seq + 0.5}, which is not in the "
              "event log", event=seq)


def test_side_entries_edited_with_their_hash_cleared_are_noted(quickstart_demo: Path) -> None:
    """A watermark and a push state entry edited and their hash set to NULL (lineage hashes
    every entry of both tables when it adds the column): not used, and the auditor is told,
    as for an entry whose hash does not match."""
    conn = _db(quickstart_demo)
    for table in ("watermarks", "state"):
        # (not the git harvester's clone watermark: the audit reads it, verify checks it)
        where = " WHERE scope != 'clone'" if table == "watermarks" else ""
        conn.execute(f"UPDATE {table} SET value='{{}}', hash=NULL WHERE rowid = "
                     f"(SELECT min(rowid) FROM {table}{where})")
        assert conn.total_changes
    conn.close()
    res = _verify(quickstart_demo)
    assert res.exit_code == 0 and res.stdout.startswith("OK: event log intact"), res.output
    assert ("note: 1 push state entry and 1 watermark do not match their hash (changed outside "
            "lineage)") in res.output, res.output
