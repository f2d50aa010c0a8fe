"""A correction (`--prop supersedes=<id>`) follows the record it corrects. One the store wrote
before that record existed (a deployment's id is derived from its model, environment and time,
so it can be named ahead) corrects nothing, and two records naming each other correct nothing:
neither can make a live deployment vanish from the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.audit import run_audit
from lineage.cli.main import app
from lineage.model import EdgeKind, NodeKind
from tests.conftest import recording_repo

runner = CliRunner()
LIVE = "deployment:ban:prod:2026-02-01T00:00:00Z"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = recording_repo(tmp_path / "order", monkeypatch)
    Path("models").mkdir()
    Path("models/ban.json").write_text('{"w": 1}\n')
    record("run", "--name", "train", "--model", "ban@v1=models/ban.json", "--clean", "--end",
           "2026-01-02T00:00:00Z")
    record("assessment", "--group", "ban", "--tier", "unacceptable", "--assessor",
           "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    return root


def record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def prohibited() -> list[dict]:
    res = runner.invoke(app, ["audit", "--format", "json", "--rule", "prohibited-not-deployed",
                              "--as-of", "2026-03-01"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_a_correction_recorded_before_the_record_it_names_corrects_nothing(repo: Path) -> None:
    # a retired deployment that "corrects" the live one recorded after it
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-01-05T00:00:00Z", "--retired-at", "2026-01-06T00:00:00Z", "--prop",
           f"supersedes={LIVE}")
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z")
    [f] = prohibited()
    assert LIVE in f["evidence"], f
    # the same correction recorded after it does correct it (what corrections are for)
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-01-07T00:00:00Z", "--retired-at", "2026-01-08T00:00:00Z", "--prop",
           f"supersedes={LIVE}")
    assert prohibited() == []


def test_records_that_supersede_each_other_correct_nothing(repo: Path) -> None:
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z", "--id", "d1", "--prop", "supersedes=d2")
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z", "--id", "d2", "--prop", "supersedes=d1")
    # d1 named d2 before it existed; d2, recorded after d1, corrects it
    [f] = prohibited()
    assert "deployment:d2" in f["evidence"], f


def test_records_written_together_that_supersede_each_other_correct_nothing(
        tmp_path: Path) -> None:
    fx = make_fixture(2, fixed=True)
    v = "model:s2-noappr@3"
    for me, other in (("c1", "c2"), ("c2", "c1")):
        d = fx.node(NodeKind.DEPLOYMENT, f"deployment:{me}", model=v, environment="canary",
                    deployed_at="2026-05-30T00:00:00Z", properties={"supersedes": other})
        fx.edge(EdgeKind.DEPLOYED_AS, v, d)
    store = write_store(fx, tmp_path / ".lineage")  # one event: both written at once
    for source in (fx.graph(), store):
        report = run_audit(source, now=fx.now, rules=["deployment-approved"])
        assert {f.subject for f in report.findings} == {"deployment:c1", "deployment:c2"}
    store.close()


def test_a_record_the_store_keeps_no_time_for_is_still_corrected(repo: Path) -> None:
    """Rows of a store written before facts carried their event's seq have no record time:
    their corrections apply as before (the order is checked only when both times are known)."""
    import sqlite3

    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-02-01T00:00:00Z")
    record("deployment", "--model", "ban@v1", "--env", "prod", "--deployed-at",
           "2026-01-07T00:00:00Z", "--retired-at", "2026-01-08T00:00:00Z", "--id", "fixed",
           "--prop", f"supersedes={LIVE}")
    assert prohibited() == []
    [db] = (repo / ".lineage").glob("*.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE nodes SET seq = NULL WHERE id = ?", (LIVE,))
    assert prohibited() == []
