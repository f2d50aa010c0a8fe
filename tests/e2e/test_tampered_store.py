"""A store changed outside lineage, or busy, as a user meets it: the demo repository's store
edited with sqlite3, or write-locked by another process, then driven through the CLI.

The audit is a gate: on a row it cannot read (a kind lineage does not know, attrs that are
not a JSON object) it must fail like ``export`` and ``push`` do — one line naming the row,
pointing to ``lineage verify``, exit 1 — never drop the row and report fewer findings. A
store another process is writing is busy: one line, exit 2, and the store is left as it was.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import store as store_mod
from lineage.cli.main import app

runner = CliRunner()
DEPLOYMENT = "deployment:churn-prod-2026-01-20"
APPROVAL = "approval:churn-v1.0.0-prod"


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


@pytest.fixture
def repo(quickstart_demo: Path) -> Path:
    """A fresh copy of the demo repository and its store, for one test to change."""
    return quickstart_demo


def _sql(repo: Path, *statements: str) -> None:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)
    try:
        for s in statements:
            assert conn.execute(s).rowcount > 0, s
    finally:
        conn.close()


def _one_error(code: int, out: str, expected: int, *needles: str) -> None:
    assert code == expected, out
    assert "Traceback" not in out and "finding(s)" not in out, out
    assert out.splitlines()[0].startswith("error: "), out
    for n in needles:
        assert n in out, (n, out)


TAMPERED = {
    "node kind respelled": (
        "UPDATE nodes SET kind='Deployment' WHERE kind='deployment'",
        "node deployment:"),
    "approval of a bogus kind": (
        f"UPDATE nodes SET kind='bogus' WHERE id='{APPROVAL}'", f"node {APPROVAL}"),
    "edge of a bogus kind": (
        "UPDATE edges SET kind='bogus' WHERE kind='deployed_as'", "edge bogus"),
    "node attrs a JSON array": (
        f"UPDATE nodes SET attrs='[1,2]' WHERE id='{DEPLOYMENT}'", f"node {DEPLOYMENT}"),
    "node attrs a JSON string": (
        f"UPDATE nodes SET attrs='\"x\"' WHERE id='{APPROVAL}'", f"node {APPROVAL}"),
    "edge attrs a JSON array": (
        "UPDATE edges SET attrs='[1,2]' WHERE kind='deployed_as'", "edge deployed_as"),
    "commit attrs a JSON number": (
        "UPDATE nodes SET attrs='7' WHERE kind='commit'", "node commit:"),
}


def test_the_untampered_demo_audits_with_findings(repo: Path) -> None:
    code, out = lineage("audit", "--repo", str(repo), "--format", "json")
    assert code == 1 and json.loads(out)["findings"], out


@pytest.mark.parametrize("sql,names", TAMPERED.values(), ids=list(TAMPERED))
def test_a_row_lineage_cannot_read_fails_every_reader(repo: Path, sql: str, names: str) -> None:
    _sql(repo, sql)
    r = str(repo)
    for args in (("audit",), ("audit", "--format", "json"), ("audit", "--format", "sarif"),
                 ("export",), ("push", "--to", "datahub-file", str(repo / "mcps.json"))):
        code, out = lineage(*args, "--repo", r)
        _one_error(code, out, 1, names, "cannot be read", "changed outside lineage",
                   "lineage verify")
    code, out = lineage("verify", "--repo", r)
    assert code == 1 and "TAMPERED" in out, out


def test_show_names_a_node_whose_attrs_are_not_an_object(repo: Path) -> None:
    _sql(repo, f"UPDATE nodes SET attrs='[1,2]' WHERE id='{DEPLOYMENT}'")
    code, out = lineage("show", DEPLOYMENT, "--repo", str(repo))
    _one_error(code, out, 1, f"node {DEPLOYMENT}", "not a JSON object", "lineage verify")


# -- a busy store -----------------------------------------------------------------------------
def _state(repo: Path) -> tuple[list[tuple[object, ...]], ...]:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db")
    try:
        return tuple(conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                     for t in ("events", "nodes", "edges", "state", "meta"))
    finally:
        conn.close()


def test_a_store_another_process_is_writing_is_busy(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the write lock (WAL: readers go on): every writer says the store
    is busy, in one line with exit 2, and leaves it as it was."""
    monkeypatch.setattr(store_mod, "_BUSY_TIMEOUT", 0.2)
    r = str(repo)
    before = _state(repo)
    other = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO meta VALUES ('x', 'y')")
        for args in (("push",), ("push", "--to", "datahub-file", str(repo / "mcps.json")),
                     ("record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                      "--value", "0.4", "--threshold", "0.2"),
                     ("harvest",)):
            code, out = lineage(*args, "--repo", r)
            _one_error(code, out, 2, "busy", "another lineage process is writing it", "retry")
            assert "move it aside" not in out and "backup" not in out, out
        # reading is not writing: the audit still runs
        code, out = lineage("audit", "--repo", r, "--format", "json")
        assert code == 1 and json.loads(out)["findings"], out
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _state(repo) == before
    code, out = lineage("verify", "--repo", r)
    assert code == 0, out
    code, out = lineage("record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                        "--value", "0.4", "--threshold", "0.2", "--repo", r)
    assert code == 0, out


# -- what verify says -------------------------------------------------------------------------
def _verify(repo: Path) -> tuple[int, str]:
    code, out = lineage("verify", "--repo", str(repo))
    return code, out  # the problem on one line, however long its ids


@pytest.mark.parametrize("seq,says", [
    ("seq + 1", "event 6 (harvest) were modified outside lineage: node {id} was moved from it "
                "to event 7 (harvest)"),
    ("seq - 1", "event 5 (harvest) were modified outside lineage: node {id} was moved to it "
                "from event 6 (harvest)"),
    ("99", "event 6 (harvest) were modified outside lineage: node {id} was moved from it to "
           "event 99, which is not in the event log"),
    ("NULL", "event 6 (harvest) were modified outside lineage: node {id} was moved from it to "
             "no event"),
])
def test_verify_says_a_fact_moved_to_another_event(repo: Path, seq: str, says: str) -> None:
    """The seq of a fact changed: not a deletion, a move, and which fact."""
    _sql(repo, f"UPDATE nodes SET seq={seq} WHERE id='{DEPLOYMENT}'")
    code, out = _verify(repo)
    assert code == 1 and "deleted" not in out, out
    assert says.format(id=DEPLOYMENT) in out, out


def test_verify_names_a_fact_added_to_an_event(repo: Path) -> None:
    _sql(repo, "INSERT INTO nodes(id, kind, attrs, hash, seq) SELECT 'approval:forged', "
               f"'approval', attrs, hash, seq FROM nodes WHERE id='{APPROVAL}'")
    code, out = _verify(repo)
    assert code == 1 and "node approval:forged was added" in out, out


@pytest.mark.parametrize("ids,says", [
    ((APPROVAL,), "1 of the facts written by event 6 (harvest) was deleted from the store: "
                   f"node {APPROVAL}"),
    ((APPROVAL, "approval:churn-v1.1.0-staging"),
     "2 of the facts written by event 6 (harvest) were deleted from the store: "
     f"node {APPROVAL}, node approval:churn-v1.1.0-staging"),
], ids=["one fact", "two facts"])
def test_verify_names_a_fact_deleted_from_an_event(repo: Path, ids: tuple[str, ...],
                                                   says: str) -> None:
    _sql(repo, f"DELETE FROM nodes WHERE id IN ({', '.join(repr(i) for i in ids)})")
    code, out = _verify(repo)
    assert code == 1 and out.splitlines()[0] == f"TAMPERED: {says}", out


# -- values of another type than lineage writes -------------------------------------------------
RETYPED = {
    "node id a blob": f"UPDATE nodes SET id=CAST(id AS BLOB) WHERE id='{APPROVAL}'",
    "node attrs a blob": f"UPDATE nodes SET attrs=CAST(attrs AS BLOB) WHERE id='{APPROVAL}'",
    "node hash a blob": f"UPDATE nodes SET hash=CAST(hash AS BLOB) WHERE id='{APPROVAL}'",
    "node id NULL": f"UPDATE nodes SET id=NULL WHERE id='{APPROVAL}'",
    "edge source a blob": "UPDATE edges SET source=CAST(source AS BLOB) WHERE "
                          f"source='{APPROVAL}'",
    "edge attrs a blob": "UPDATE edges SET attrs=CAST(attrs AS BLOB) WHERE kind='deployed_as'",
    "fact log fid a blob": "UPDATE fact_log SET fid=CAST(fid AS BLOB) "
                           "WHERE fid=(SELECT min(fid) FROM fact_log)",
    "fact log hash a blob": "UPDATE fact_log SET hash=CAST(hash AS BLOB) "
                          "WHERE fid=(SELECT min(fid) FROM fact_log)",
}


@pytest.mark.parametrize("sql", RETYPED.values(), ids=list(RETYPED))
def test_a_value_of_another_type_fails_verify_in_one_line(repo: Path, sql: str) -> None:
    """The same bytes stored as a blob (or a NULL key) are not what lineage wrote: SQLite
    compares a blob and a text as different values, so the fact no longer answers to its id.
    verify says the store was changed, in one line, never a traceback."""
    _sql(repo, sql)
    code, out = lineage("verify", "--repo", str(repo))
    assert code == 1 and out.startswith("TAMPERED: ") and "Traceback" not in out, out
    assert "changed outside lineage" in out or "modified outside lineage" in out, out


@pytest.mark.parametrize("sql", [RETYPED["node id a blob"], RETYPED["node attrs a blob"],
                                 RETYPED["edge source a blob"]],
                         ids=["node id a blob", "node attrs a blob", "edge source a blob"])
def test_a_value_of_another_type_fails_the_graph_readers_in_one_line(repo: Path,
                                                                      sql: str) -> None:
    _sql(repo, sql)
    r = str(repo)
    for args in (("export",), ("show", "churn@v1.0.0"),
                 ("push", "--to", "datahub-file", str(repo / "mcps.json"))):
        code, out = lineage(*args, "--repo", r)
        _one_error(code, out, 1, APPROVAL, "cannot be read", "changed outside lineage",
                   "lineage verify")
