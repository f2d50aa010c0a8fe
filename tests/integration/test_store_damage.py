"""A store file that is damaged, replaced, edited below the facts, or that cannot be written,
as a user meets it through the CLI on the demo repository: one line naming the file and what
to do, never a traceback, and nothing written to the store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
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
    for args in (("verify",), ("export",), ("audit",), ("harvest",), ALERT):
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
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    _one_error(code, out, 2, "is not a lineage store", "without lineage's tables")
    assert "permissions" not in out, out
    conn = sqlite3.connect(db)  # still the other program's database, in its journal mode
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
