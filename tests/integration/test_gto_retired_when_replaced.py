"""A GTO stage tag moved (``git tag -f -a churn#prod#1 <other commit>``) replaces the deployment
it gave: the old deployment is retired at the date of the tag that replaced it (an annotated
tag's tagger date; a lightweight tag's commit date, the deployment time GTO reads for it), not
at the harvest that saw the move. A long-lived store and a fresh clone then agree on what was
live when, and an ``--as-of`` audit does not see the old deployment live after the move. A
store an earlier version retired at harvest time is corrected once. Real git repositories;
records, harvest, audit and show through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.harvesters import gto
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
OLD = "deployment:churn:prod:2026-01-01T03:00:00Z"
MOVED_AT = "2026-01-03T00:00:00Z"  # the moved tag's tagger date
AS_OF = "2026-01-10"  # after the move, long before any harvest (the clock is later)


def _cli(repo: Path, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, [*args, "--repo", str(repo)])
    assert res.exit_code in (0, 1), res.output
    out: dict[str, Any] = json.loads(res.stdout) if res.stdout.startswith("{") else {}
    return out


def _harvest(repo: Path) -> dict[str, Any]:
    return _cli(repo, "harvest", "--json")


def _origin(tmp_path: Path, *, annotated: bool = True) -> tuple[GitRepo, str]:
    """churn v1.0.0 (c1) to prod at 2026-01-01T03:00Z (lightweight: c1's date, 01:00Z), then
    v2.0.0 registered at c2 (04:00Z); returns c2."""
    r = GitRepo(tmp_path / "origin")
    r.write("model.bin", "v1\n")
    r.commit("c1")  # 2026-01-01T01:00Z
    r.tag("churn@v1.0.0", "register v1.0.0")
    r.tag("churn#prod#1", "v1.0.0 to prod" if annotated else None)
    r.write("model.bin", "v2\n")
    c2 = r.commit("c2")  # 04:00Z
    r.tag("churn@v2.0.0", "register v2.0.0")
    return r, c2


def _store(repo: Path) -> None:
    """The store of ``repo`` with churn assessed high-risk (monitoring-active applies)."""
    res = runner.invoke(app, ["init", "--repo", str(repo)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["record", "assessment", "-C", str(repo), "--group", "churn",
                              "--tier", "high", "--assessed-at", "2026-01-01",
                              "--assessor", "rita@example.com"])
    assert res.exit_code == 0, res.output


def _move(origin: GitRepo, c2: str, *, annotated: bool = True) -> None:
    origin.tick = 48  # 2026-01-03T00:00Z
    if annotated:
        origin.git("tag", "-f", "-a", "churn#prod#1", "-m", "v2.0.0 to prod", c2)
    else:
        origin.git("tag", "-f", "churn#prod#1", c2)


def _deployments(repo: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db")
    try:
        return {str(i): json.loads(a) for i, a in conn.execute(
            "SELECT id, attrs FROM nodes WHERE kind = 'deployment'")}
    finally:
        conn.close()


def _unmonitored(repo: Path) -> list[str]:
    """The versions ``monitoring-active`` finds deployed (live) at AS_OF."""
    res = runner.invoke(app, ["audit", "-C", str(repo), "--format", "json", "--rule",
                              "monitoring-active", "--as-of", AS_OF])
    assert res.exit_code in (0, 1), res.output
    return sorted(f["subject"] for f in json.loads(res.stdout)["findings"])


def _show(repo: Path, ref: str) -> dict[str, Any]:
    res = runner.invoke(app, ["show", ref, "-C", str(repo), "--json", "--as-of", AS_OF])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def _states(shown: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """deployment id → (state, retired_at) wherever ``show`` lists deployments."""
    found: dict[str, tuple[str, str | None]] = {}

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if str(x.get("id", "")).startswith("deployment:") and "state" in x:
                found[x["id"]] = (x["state"], x.get("retired_at"))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(shown)
    return found


def test_a_moved_stage_tag_retires_the_old_deployment_at_its_date(tmp_path: Path) -> None:
    origin, c2 = _origin(tmp_path)
    _store(origin.path)
    _harvest(origin.path)
    assert _deployments(origin.path)[OLD].get("retired_at") is None
    _move(origin, c2)
    _harvest(origin.path)

    old = _deployments(origin.path)[OLD]
    assert old["retired_at"] == MOVED_AT, old
    reason = old["properties"]["retired_reason"]
    assert "churn#prod#1" in reason and "retired_at is the date of churn#prod#1" in reason
    new = f"deployment:churn:prod:{MOVED_AT}"
    assert _deployments(origin.path)[new]["model"] == "model:churn@v2.0.0"
    # at AS_OF only v2.0.0 is live: the old deployment does not count as unmonitored
    assert _unmonitored(origin.path) == ["model:churn@v2.0.0"]
    states = _states(_show(origin.path, "churn@v1.0.0"))
    assert states.get(OLD) == ("retired", MOVED_AT), states
    # nothing changed: nothing is written again
    assert _harvest(origin.path)["new_events"] == 0

    # a fresh clone sees the same stage at AS_OF
    fresh = tmp_path / "fresh"
    origin.run("git", "clone", "-q", f"file://{origin.path}", str(fresh))
    _store(fresh)
    _harvest(fresh)
    assert _unmonitored(fresh) == _unmonitored(origin.path)


def test_a_moved_lightweight_stage_tag_retires_at_its_commit_date(tmp_path: Path) -> None:
    """A lightweight tag has no date of its own: GTO's deployment time for it is its commit's
    date, and the old deployment is retired then."""
    origin, c2 = _origin(tmp_path, annotated=False)
    _store(origin.path)
    _harvest(origin.path)
    old_id = "deployment:churn:prod:2026-01-01T01:00:00Z"  # c1's date
    assert old_id in _deployments(origin.path)
    _move(origin, c2, annotated=False)
    _harvest(origin.path)
    old = _deployments(origin.path)[old_id]
    assert old["retired_at"] == "2026-01-01T04:00:00Z", old  # c2's date
    assert _unmonitored(origin.path) == ["model:churn@v2.0.0"]


def test_a_deleted_stage_tag_with_no_later_assignment_retires_at_the_harvest(
        tmp_path: Path) -> None:
    """No tag replaced it: the harvest that saw the tag gone is all that is known."""
    origin, _ = _origin(tmp_path)
    _store(origin.path)
    _harvest(origin.path)
    origin.git("tag", "-d", "churn#prod#1")
    _harvest(origin.path)
    old = _deployments(origin.path)[OLD]
    assert old["retired_at"] > "2026-06-01", old
    assert old["properties"]["retired_reason"].endswith("first saw it gone")
    assert _unmonitored(origin.path) == ["model:churn@v1.0.0"]  # live at AS_OF, as far as known


def test_a_store_retired_at_harvest_time_by_an_earlier_version_is_corrected_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin, c2 = _origin(tmp_path)
    _store(origin.path)
    _harvest(origin.path)
    _move(origin, c2)
    with monkeypatch.context() as m:  # as a version that knew no replacing tag
        m.setattr(gto, "_when", lambda value: None)
        _harvest(origin.path)
    old = _deployments(origin.path)[OLD]
    assert old["retired_at"] > "2026-06-01" and old["properties"]["retired_reason"].endswith(
        "retired_at is the harvest that first saw it"), old
    conn = sqlite3.connect(origin.path / ".lineage" / "lineage.db", isolation_level=None)
    conn.execute("DELETE FROM watermarks WHERE harvester = 'gto' AND scope = 'retirements'")
    conn.close()
    assert _unmonitored(origin.path) == ["model:churn@v1.0.0", "model:churn@v2.0.0"]

    out = _harvest(origin.path)  # no tag changed
    assert out["new_events"] == 1, out
    old = _deployments(origin.path)[OLD]
    assert old["retired_at"] == MOVED_AT, old
    assert "retired_at is the date of churn#prod#1" in old["properties"]["retired_reason"]
    assert _unmonitored(origin.path) == ["model:churn@v2.0.0"]
    assert _harvest(origin.path)["new_events"] == 0
    assert _cli(origin.path, "verify", "--json")["ok"] is True
