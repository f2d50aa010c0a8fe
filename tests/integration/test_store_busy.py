"""Commands run while another process makes the first load of a store (a first harvest
writes an empty store with a rollback journal instead of WAL): they wait for it, as for any
write, instead of failing at once as busy; past the wait they say busy in one line.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import store as store_mod
from lineage.cli.main import app

runner = CliRunner()
ALERT = ("record", "alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
         "--threshold", "0.2")


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


@contextmanager
def first_load(repo: Path, seconds: float | None) -> Iterator[None]:
    """Another process's first load: the store in rollback-journal mode, its write lock
    held; let go (and back to WAL, as the harvest does) after ``seconds``, or at the end."""
    other = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None,
                            check_same_thread=False)
    assert other.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta VALUES ('loading', 'yes')")

    def done() -> None:
        other.execute("ROLLBACK")
        other.execute("PRAGMA journal_mode=WAL")

    timer = threading.Timer(seconds, done) if seconds is not None else None
    if timer is not None:
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.join()
        else:
            done()
        other.close()


@pytest.mark.parametrize("args", [("verify",), ALERT, ("export",)],
                         ids=["verify", "record", "export"])
def test_a_command_waits_for_a_first_load(quickstart_demo: Path, args: tuple[str, ...]) -> None:
    start = time.monotonic()
    with first_load(quickstart_demo, 1.0):
        code, out = lineage(*args, "--repo", str(quickstart_demo))
    assert code == 0, out
    assert time.monotonic() - start >= 1.0
    assert lineage("verify", "--repo", str(quickstart_demo))[0] == 0


def test_past_the_wait_it_is_busy_in_one_line(quickstart_demo: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "_BUSY_TIMEOUT", 0.3)
    with first_load(quickstart_demo, None):
        code, out = lineage(*ALERT, "--repo", str(quickstart_demo))
    assert code == 2 and out.startswith("error: ") and "Traceback" not in out, out
    assert "busy" in out and "another lineage process is writing it" in out, out


def test_verify_is_not_fooled_by_a_record_committed_while_it_reads(
        quickstart_demo: Path) -> None:
    """Another process records an event just as verify reads the head (after it read the
    log): verify must judge one state of the store, not report entries removed from the end
    of a log that only grew."""
    from lineage import api
    from lineage.model import Node, NodeKind
    from lineage.store import Store

    root = quickstart_demo / ".lineage"
    store = Store.open(root)
    fired: list[str] = []

    def record_meanwhile(sql: str) -> None:
        if not fired and "key='head'" in sql and "SELECT" in sql:
            fired.append(sql)
            with Store.open(root) as other:
                api.record(other, [Node.make(NodeKind.ALERT, "alert:meanwhile", metric="psi")],
                           event_kind="record", payload={"record_kind": "alert"})

    store.conn.set_trace_callback(record_meanwhile)
    try:
        res = store.verify()
    finally:
        store.conn.set_trace_callback(None)
        store.close()
    assert fired
    assert res.ok, res.problem
    assert lineage("verify", "--repo", str(quickstart_demo))[0] == 0


def test_the_wait_is_set_by_lineage_busy_timeout(quickstart_demo: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI job recording a run while a long first harvest writes the store can wait longer
    than the default; the error says how."""
    monkeypatch.setenv("LINEAGE_BUSY_TIMEOUT", "0.3")
    start = time.monotonic()
    with first_load(quickstart_demo, None):
        code, out = lineage(*ALERT, "--repo", str(quickstart_demo))
    assert code == 2 and "busy" in out, out
    assert time.monotonic() - start < 10
    assert "LINEAGE_BUSY_TIMEOUT" in out, out

    monkeypatch.setenv("LINEAGE_BUSY_TIMEOUT", "5")
    with first_load(quickstart_demo, 1.0):
        code, out = lineage(*ALERT, "--repo", str(quickstart_demo))
    assert code == 0, out


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_lineage_busy_timeout_is_one_line(quickstart_demo: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                value: str) -> None:
    monkeypatch.setenv("LINEAGE_BUSY_TIMEOUT", value)
    code, out = lineage("verify", "--repo", str(quickstart_demo))
    assert code == 2 and out.startswith("error: ") and "Traceback" not in out, out
    assert f"LINEAGE_BUSY_TIMEOUT={value}" in out and "seconds" in out, out
