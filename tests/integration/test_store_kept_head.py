"""`lineage verify --expect-head`: the chain has no key, so a forger who can write the store
can drop the last events and set the head back, or replace the file with another store;
`verify` alone passes. A head kept outside the store catches both."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def _verify(demo: Path, *extra: str):
    return runner.invoke(app, ["verify", "-C", str(demo), *extra])


def _kept(demo: Path, tmp_path: Path) -> Path:
    res = _verify(demo, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    log = json.loads(runner.invoke(app, ["log", "-n", "1", "--json", "-C", str(demo)]).stdout)
    assert out["head"] == f"{log[0]['seq']}:{log[0]['hash']}"
    kept = tmp_path / "kept-head.json"
    kept.write_text(res.stdout)
    return kept


def test_the_kept_head_holds_while_the_log_only_grows(quickstart_demo: Path,
                                                      tmp_path: Path) -> None:
    kept = _kept(quickstart_demo, tmp_path)
    head = json.loads(kept.read_text())["head"]
    res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                              "--value", "0.1", "--threshold", "0.2", "--status", "resolved",
                              "-C", str(quickstart_demo)])
    assert res.exit_code == 0, res.output
    for given in (str(kept), head):
        res = _verify(quickstart_demo, "--expect-head", given)
        assert res.exit_code == 0, res.output
        assert f"it holds the kept head (event {head.split(':')[0]})" in res.stdout


def test_events_dropped_and_the_head_set_back_pass_verify_but_not_the_kept_head(
        quickstart_demo: Path, tmp_path: Path) -> None:
    kept = _kept(quickstart_demo, tmp_path)
    seq = int(json.loads(kept.read_text())["head"].split(":")[0])
    db = quickstart_demo / ".lineage" / "lineage.db"
    conn = sqlite3.connect(db)
    kind = conn.execute("SELECT kind FROM events WHERE seq=?", (seq,)).fetchone()[0]
    assert kind == "push"  # the quickstart ends with a push: it wrote no facts
    with conn:
        conn.execute("DELETE FROM events WHERE seq=?", (seq,))
        conn.execute("UPDATE meta SET value=(SELECT seq || ':' || hash FROM events WHERE seq=?) "
                     "WHERE key='head'", (seq - 1,))
    conn.close()
    assert _verify(quickstart_demo).exit_code == 0  # the chain alone cannot tell
    res = _verify(quickstart_demo, "--expect-head", str(kept))
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith(f"TAMPERED: the log ends at event {seq - 1}, before the kept "
                                 f"head (event {seq})"), res.stderr
    out = json.loads(_verify(quickstart_demo, "--expect-head", str(kept), "--json").stdout)
    assert out["ok"] is False and out["bad_event"] == seq


def test_another_stores_file_does_not_hold_the_kept_head(quickstart_demo: Path,
                                                         quickstart_built: Path,
                                                         tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(quickstart_built, other)
    for repo, value in ((other, "0.1"), (quickstart_demo, "0.2")):  # the histories part here
        res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric",
                                  "psi", "--value", value, "--threshold", "0.2", "-C", str(repo)])
        assert res.exit_code == 0, res.output
    kept = _kept(quickstart_demo, tmp_path)
    db = ".lineage/lineage.db"
    shutil.copy(other / db, quickstart_demo / db)  # a store of the same history, other events
    for extra in ("-wal", "-shm"):
        (quickstart_demo / (db + extra)).unlink(missing_ok=True)
    assert _verify(quickstart_demo).exit_code == 0
    seq = json.loads(kept.read_text())["head"].split(":")[0]
    res = _verify(quickstart_demo, "--expect-head", str(kept))
    assert res.exit_code == 1 and f"event {seq} has hash" in res.stderr, res.output
    assert "rewritten or replaced" in res.stderr


def test_a_bad_kept_head_is_a_usage_error(quickstart_demo: Path, tmp_path: Path) -> None:
    for given in ("12", "12:xyz", str(tmp_path)):
        res = _verify(quickstart_demo, "--expect-head", given)
        assert res.exit_code == 2 and res.output.startswith("error: --expect-head"), res.output
    junk = tmp_path / "junk.json"
    junk.write_text("[]")
    res = _verify(quickstart_demo, "--expect-head", str(junk))
    assert res.exit_code == 2 and "not the output of `lineage verify --json`" in res.output


def test_a_kept_head_not_written_as_verify_prints_it_is_refused(quickstart_demo: Path,
                                                                 tmp_path: Path) -> None:
    """`010:HASH` is not the head `10:HASH` verify printed (nor is an upper-case hash): one
    line saying the form expected, exit 2, given directly or in the kept file."""
    kept = _kept(quickstart_demo, tmp_path)
    head = json.loads(kept.read_text())["head"]
    seq, h = head.split(":")
    assert _verify(quickstart_demo, "--expect-head", head).exit_code == 0
    for given in (f"0{seq}:{h}", f"00:{'0' * 64}", f"{seq}:{h.upper()}", f" {head}",
                  f"+{seq}:{h}"):
        res = _verify(quickstart_demo, "--expect-head", given)
        assert res.exit_code == 2, res.output
        assert res.stdout == "" and res.stderr.splitlines()[0] == (
            f"error: --expect-head {given!r} is neither a file nor SEQ:HASH as `lineage "
            "verify` prints it (the event number without leading zeros, a colon, 64 "
            "lower-case hex digits)"), res.output
        assert len(res.stderr.splitlines()) == 2 and "hint: " in res.stderr, res.output
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"ok": True, "head": f"0{seq}:{h}"}))
    res = _verify(quickstart_demo, "--expect-head", str(edited))
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"error: --expect-head {edited}: its head '0{seq}:{h}' is "
                                 "not SEQ:HASH as `lineage verify` prints it"), res.output


def test_an_older_copy_put_back_does_not_hold_the_kept_head(quickstart_demo: Path,
                                                            tmp_path: Path) -> None:
    """The store file replayed from an earlier backup (an approval recorded since, gone):
    a whole, valid chain, so verify alone passes; the head kept after the approval fails."""
    db = quickstart_demo / ".lineage" / "lineage.db"
    older = tmp_path / "older.db"
    shutil.copyfile(db, older)
    res = runner.invoke(app, ["record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                              "--value", "0.4", "--threshold", "0.2", "-C", str(quickstart_demo)])
    assert res.exit_code == 0, res.output
    kept = _kept(quickstart_demo, tmp_path)
    shutil.copyfile(older, db)
    assert _verify(quickstart_demo).exit_code == 0
    res = _verify(quickstart_demo, "--expect-head", str(kept))
    assert res.exit_code == 1 and res.stderr.startswith(
        "TAMPERED: the log ends at event 8, before the kept head (event 9)"), res.output


def test_a_kept_head_that_names_no_head_is_refused(quickstart_demo: Path,
                                                  tmp_path: Path) -> None:
    """The file a failed verify wrote has no head: said so, not taken for something else;
    and event 0 is only ever the empty log's head."""
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({"ok": False, "head": None, "problem": "x"}))
    res = _verify(quickstart_demo, "--expect-head", str(failed))
    assert res.exit_code == 2 and "holds no head" in res.output, res.output
    res = _verify(quickstart_demo, "--expect-head", "0:" + "f" * 64)
    assert res.exit_code == 1 and "event 0 is the empty log's head" in res.output, res.output
    res = _verify(quickstart_demo, "--expect-head", "0:" + "0" * 64)
    assert res.exit_code == 0, res.output
