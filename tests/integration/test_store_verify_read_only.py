"""`lineage verify` as an auditor runs it: on a copy of the store handed over on read-only
media or in a folder they may not write, possibly with a ``-wal`` file holding the last
commits. verify reads what is committed and writes nothing: the store file keeps its bytes
and its mtime, and no side file appears where none can be written.

We run as root, which file permissions do not stop: the folder and its files are made
immutable (``chattr +i``), which stops root too, as a read-only mount does.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import read_only

runner = CliRunner()
ALERT = ("record", "alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
         "--threshold", "0.2")


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _db(repo: Path) -> Path:
    return repo / ".lineage" / "lineage.db"


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file()}


def _frozen(repo: Path) -> list[Path]:
    folder = repo / ".lineage"
    return [folder, *(p for p in folder.iterdir() if p.is_file())]


def _head(repo: Path) -> str:
    conn = sqlite3.connect(_db(repo))
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key='head'").fetchone()[0])
    finally:
        conn.close()


def test_verify_a_store_in_a_folder_nobody_can_write(quickstart_demo: Path,
                                                     tmp_path: Path) -> None:
    r = str(quickstart_demo)
    code, out = lineage("verify", "--repo", r, "--json")
    assert code == 0, out
    kept = tmp_path / "kept-head.json"
    kept.write_text(out)
    folder = quickstart_demo / ".lineage"
    before = _files(folder)
    with read_only(*_frozen(quickstart_demo)):
        code, out = lineage("verify", "--repo", r)
        assert code == 0 and "OK: event log intact (8 events" in out, out
        code, out = lineage("verify", "--repo", r, "--expect-head", str(kept))
        assert code == 0 and "it holds the kept head (event 8)" in out, out
        code, out = lineage("verify", "--repo", r, "--json")
        assert code == 0 and json.loads(out)["head"] == json.loads(kept.read_text())["head"]
    assert _files(folder) == before  # no byte, no mtime, no side file


def test_a_tampered_store_in_a_read_only_folder_fails(quickstart_demo: Path) -> None:
    conn = sqlite3.connect(_db(quickstart_demo))
    with conn:
        conn.execute("UPDATE nodes SET attrs=json_set(attrs, '$.approver', 'mallory') "
                     "WHERE kind='approval'")
    conn.close()
    with read_only(*_frozen(quickstart_demo)):
        code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 1 and out.startswith("TAMPERED: ") and "approval:" in out, out


@contextmanager
def _wal_held(repo: Path) -> Iterator[None]:
    """Another connection keeps the store open: the commits made meanwhile stay in
    ``lineage.db-wal`` (it is checkpointed when the last connection closes)."""
    holder = sqlite3.connect(_db(repo), isolation_level=None)
    holder.execute("SELECT count(*) FROM events").fetchone()
    try:
        yield
    finally:
        holder.close()


def _copy_with_wal(src: Path, dest: Path, *, shm: bool) -> None:
    """The store as copied while it was open: lineage.db, its -wal (and maybe -shm)."""
    shutil.copytree(src, dest, symlinks=True)
    if not shm:
        (dest / ".lineage" / "lineage.db-shm").unlink(missing_ok=True)


@pytest.mark.parametrize("shm", [False, True], ids=["without-shm", "with-shm"])
@pytest.mark.parametrize("writable", [False, True], ids=["read-only", "writable"])
def test_a_copy_with_a_pending_wal_verifies_what_it_committed(
        quickstart_demo: Path, tmp_path: Path, writable: bool, shm: bool) -> None:
    copy = tmp_path / "copy"
    with _wal_held(quickstart_demo):
        code, out = lineage(*ALERT, "--repo", str(quickstart_demo))
        assert code == 0, out
        assert _db(quickstart_demo).with_name("lineage.db-wal").stat().st_size > 0
        _copy_with_wal(quickstart_demo, copy, shm=shm)
    head = _head(quickstart_demo)
    assert head.startswith("9:")
    folder = copy / ".lineage"
    before = _files(folder)
    if writable:
        code, out = lineage("verify", "--repo", str(copy), "--json")
    else:
        with read_only(*_frozen(copy)):
            code, out = lineage("verify", "--repo", str(copy), "--json")
    res = json.loads(out)
    assert code == 0 and res["ok"] and res["head"] == head, out  # the WAL's event 9 counts
    after = _files(folder)
    if writable:  # SQLite's own side files may appear; the store file is never touched
        for name in ("lineage.db", "lineage.db-wal"):
            assert after[name] == before[name], name
    else:
        assert after == before


# -- what is at the store's path is not a store: a failed verification --------------------
def _tampered(code: int, out: str, *needles: str) -> None:
    assert code == 1, out
    assert out.startswith("TAMPERED: ") and "Traceback" not in out, out
    for n in needles:
        assert n in out, (n, out)


@pytest.mark.parametrize("content", [b"this is not sqlite" * 100,
                                     b"SQLite format 3\0" + b"\xff" * 200],
                         ids=["random-bytes", "header-then-garbage"])
def test_a_file_that_is_not_a_database_fails_verification(quickstart_demo: Path,
                                                          content: bytes) -> None:
    db = _db(quickstart_demo)
    db.write_bytes(content)
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _tampered(code, out, str(db), "backup")
    res = runner.invoke(app, ["verify", "--repo", str(quickstart_demo), "--json"])
    verdict = json.loads(res.stdout)
    assert res.exit_code == 1 and verdict["ok"] is False, res.output
    assert str(db) in verdict["problem"], res.output
    assert db.read_bytes() == content


def test_a_truncated_store_fails_verification(quickstart_demo: Path) -> None:
    db = _db(quickstart_demo)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _tampered(code, out, str(db))
    db.write_bytes(b"")
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _tampered(code, out, f"{db} is not a lineage store: it is an empty file", "backup")
    assert db.stat().st_size == 0


def test_a_swapped_in_database_of_another_program_fails_verification(
        quickstart_demo: Path) -> None:
    db = _db(quickstart_demo)
    db.unlink()
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE runs (id TEXT)")
    other.commit()
    other.close()
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _tampered(code, out, f"{db} is not a lineage store", "without lineage's tables")
    conn = sqlite3.connect(db)  # still the other program's database, in its journal mode
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_write_interrupted_in_rollback_journal_mode_is_undone_in_a_copy(
        quickstart_demo: Path) -> None:
    """A process killed half way through a write in rollback-journal mode (as a first load
    runs) leaves a hot journal: reading the store would roll it back into lineage.db. verify
    reads the store as last committed from a copy, and leaves both files as they are."""
    script = (
        "import os, sqlite3\n"
        "c = sqlite3.connect('.lineage/lineage.db', isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=DELETE'); c.execute('PRAGMA cache_size=1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE nodes SET attrs=json_set(attrs, '$.forged', 1)\")\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script], cwd=quickstart_demo, check=True)
    folder = quickstart_demo / ".lineage"
    assert (folder / "lineage.db-journal").stat().st_size > 0
    before = _files(folder)
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 0 and "OK: event log intact (8 events" in out, out
    assert "lineage.db-journal holds a write to undo" in out and "unchanged" in out, out
    assert _files(folder) == before


# -- the store alone, without its repository ----------------------------------------------
def test_verify_the_store_file_alone_as_handed_to_an_auditor(quickstart_demo: Path,
                                                             tmp_path: Path) -> None:
    """An auditor gets the store file (named as they filed it), not the git repository:
    --store takes the file or its folder, and no repository is needed."""
    code, out = lineage("verify", "--repo", str(quickstart_demo), "--json")
    assert code == 0, out
    kept = tmp_path / "kept-head.json"
    kept.write_text(out)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    copy = evidence / "churn-lineage-2026-01.db"
    shutil.copyfile(_db(quickstart_demo), copy)
    before = _files(evidence)
    with read_only(evidence, copy):
        for given in (copy, evidence / "missing.db"):
            code, out = lineage("verify", "--store", str(given), "--expect-head", str(kept))
            if given == copy:
                assert code == 0 and "it holds the kept head (event 8)" in out, out
            else:
                assert code == 2 and f"no lineage store at {given}" in out, out
    assert _files(evidence) == before
    (quickstart_demo / ".lineage" / "lineage.db").rename(quickstart_demo / "moved.db")
    shutil.copytree(quickstart_demo / ".lineage", evidence / ".lineage")
    shutil.copyfile(quickstart_demo / "moved.db", evidence / ".lineage" / "lineage.db")
    code, out = lineage("verify", "--store", str(evidence / ".lineage"))
    assert code == 0 and "OK: event log intact (8 events" in out, out
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("UPDATE events SET actor='mallory' WHERE seq=1")
    conn.close()
    code, out = lineage("verify", "--store", str(copy))
    assert code == 1 and out.startswith("TAMPERED: event 1 (record) was modified"), out


@pytest.mark.parametrize("name", ["datahub-lite.db", "content-hashes.json"])
def test_a_store_path_naming_another_file_is_a_wrong_path_not_tampering(
        quickstart_demo: Path, name: str) -> None:
    """`--store .lineage/datahub-lite.db` (the catalog's database next to the store) is a
    path typed wrong: said so, exit 2, no integrity alarm and no advice to restore a backup.
    The same file in the store's own place is the store replaced: still TAMPERED."""
    other = quickstart_demo / ".lineage" / name
    for args in ((), ("--json",)):
        res = runner.invoke(app, ["verify", "--store", str(other), *args])
        assert res.exit_code == 2, res.output
        assert f"{other} is not a lineage store (" in res.output, res.output
        assert "check --store" in res.output and "TAMPERED" not in res.output, res.output
        assert "backup" not in res.output and res.stdout == "", res.output
    shutil.copyfile(other, _db(quickstart_demo))
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _tampered(code, out, f"{_db(quickstart_demo)} is not a lineage store", "backup")


@pytest.mark.parametrize("sql,says", [
    ("DROP TABLE meta", "table meta is missing"),
    ("DROP TABLE events", "table events is missing"),
    ("DELETE FROM meta", "no schema version"),
    ("DROP TABLE nodes; DROP TABLE edges; DROP TABLE events; DROP TABLE fact_log",
     "table nodes is missing"),
], ids=["meta", "events", "meta-emptied", "trail"])
def test_a_store_given_by_store_with_tables_dropped_is_still_tampered(
        quickstart_demo: Path, tmp_path: Path, sql: str, says: str) -> None:
    copy = tmp_path / "handed-over.db"
    shutil.copyfile(_db(quickstart_demo), copy)
    conn = sqlite3.connect(copy)
    conn.executescript(sql)
    conn.close()
    code, out = lineage("verify", "--store", str(copy))
    _tampered(code, out, says)
    copy.write_bytes(b"")  # emptied: a store truncated to nothing, not a wrong path
    code, out = lineage("verify", "--store", str(copy))
    _tampered(code, out, f"{copy} is not a lineage store: it is an empty file")


def test_a_store_written_while_read_without_locks_is_not_judged(
        quickstart_demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder this account cannot write, a store another account can: SQLite cannot make
    its lock file, so the store is read without locks. Written meanwhile, what was read may
    mix two states: verify says so and asks to run again, never TAMPERED nor OK."""
    from lineage.store import Store

    db = _db(quickstart_demo)
    real_verify = Store.verify

    def verify_while_written(self: Store, *args: object, **kwargs: object) -> object:
        res = real_verify(self, *args, **kwargs)  # type: ignore[arg-type]
        st = db.stat()
        os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # the other writer
        return res

    with read_only(quickstart_demo / ".lineage"):  # the folder only: the file stays writable
        code, out = lineage("verify", "--repo", str(quickstart_demo))
        assert code == 0, out
        monkeypatch.setattr(Store, "verify", verify_while_written)
        code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 2 and out.startswith("error: ") and "changed while verify read it" in out, out
    assert "TAMPERED" not in out and "OK" not in out, out


def test_a_store_file_filed_under_another_name_with_its_wal(quickstart_demo: Path,
                                                            tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    with _wal_held(quickstart_demo):
        assert lineage(*ALERT, "--repo", str(quickstart_demo))[0] == 0
        for suffix in ("", "-wal"):
            shutil.copyfile(_db(quickstart_demo).with_name("lineage.db" + suffix),
                            evidence / ("case-42.db" + suffix))
    head = _head(quickstart_demo)
    before = _files(evidence)
    with read_only(evidence, *evidence.iterdir()):
        code, out = lineage("verify", "--store", str(evidence / "case-42.db"), "--json")
    assert code == 0 and json.loads(out)["head"] == head, out
    assert _files(evidence) == before
