"""Push state of a store written before state entries carried a hash, on the demo
repository: the next push trusts it as it stands (an unchanged graph sends nothing), and
from then on every entry carries its hash."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def _sql(repo: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _push(repo: Path) -> dict[str, object]:
    res = runner.invoke(app, ["push", "--repo", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


def _columns(repo: Path) -> list[str]:
    return [str(r[1]) for r in _sql(repo, "PRAGMA table_info(state)")]


def test_push_state_from_before_its_hashes_is_kept_then_hashed(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    first = _push(repo)  # the copy's own Lite path, first
    held = int(str(first["written"])) + int(str(first["unchanged"]))
    _sql(repo, "ALTER TABLE state DROP COLUMN hash")  # the layout stores were written with
    state = _sql(repo, "SELECT namespace, key, value FROM state ORDER BY 1, 2")
    out = _push(repo)  # taken as it stands: nothing sent again, nothing written
    assert out["written"] == 0 and out["unchanged"] == held > 100, out
    assert "hash" not in _columns(repo)
    res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                              "--value", "0.4", "--threshold", "0.2", "--repo", str(repo)])
    assert res.exit_code == 0, res.output
    out = _push(repo)  # only what the alert changed is sent; the state gets its hashes
    assert 0 < int(str(out["written"])) < 10, out
    assert _columns(repo) == ["namespace", "key", "value", "hash"]
    assert _sql(repo, "SELECT count(*) FROM state WHERE hash IS NULL") == [(0,)]
    after = set(_sql(repo, "SELECT namespace, key, value FROM state"))
    kept = [r for r in state if "|" in str(r[1])]  # aspect entries (graph entries change)
    assert len(kept) > 100 and len(set(kept) - after) <= int(str(out["written"])), out
    assert _push(repo)["written"] == 0
    res = runner.invoke(app, ["verify", "--repo", str(repo)])
    assert res.exit_code == 0, res.output


def test_verify_notes_side_entries_changed_outside_lineage(quickstart_demo: Path) -> None:
    """Push state, watermarks and cache are not part of the trail (verify passes), but an
    auditor is told that some were edited, and that lineage does not use them — on the
    terminal and in `--json`, which a CI job reads instead."""
    repo = quickstart_demo
    res = runner.invoke(app, ["verify", "--repo", str(repo)])
    assert res.exit_code == 0 and "note:" not in res.output, res.output
    out = json.loads(runner.invoke(app, ["verify", "--repo", str(repo), "--json"]).stdout)
    assert out["notes"] == [], out
    assert out["side_entries_changed"] == {"push_state": 0, "watermarks": 0, "cache": 0}, out
    _sql(repo, "UPDATE state SET value='0' || substr(value, 2) WHERE rowid IN "
               "(SELECT rowid FROM state WHERE key LIKE '%|%' LIMIT 2)")
    _sql(repo, "UPDATE watermarks SET value='{}' WHERE rowid = (SELECT min(rowid) FROM "
               "watermarks WHERE scope != 'clone')")
    res = runner.invoke(app, ["verify", "--repo", str(repo)])
    assert res.exit_code == 0 and res.stdout.startswith("OK: event log intact"), res.output
    assert ("note: 2 push state entries and 1 watermark do not match their hash (changed "
            "outside lineage): lineage does not use them") in res.output, res.output
    note = next(x for x in res.stderr.splitlines() if x.startswith("note: "))
    res = runner.invoke(app, ["verify", "--repo", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ok"] is True and "note:" not in res.stderr, res.output
    assert out["notes"] == [note.removeprefix("note: ")], out
    assert out["side_entries_changed"] == {"push_state": 2, "watermarks": 1, "cache": 0}, out
