"""What the clone lacks is evidence: the git harvester's ``clone`` watermark (a shallow CI
checkout, a clone that fetches no tags) is what ``harvest-complete`` reads, so it is logged in
the hash-chained event log whenever it changes. Deleting or editing its row in the SQLite file
no longer hides the finding, and ``lineage verify`` names the watermark (exit 1). A store
harvested before the state was logged verifies (with a note), audits as before, and is logged by
its next harvest. Real git repositories cloned with ``git clone --depth 1 file://…``; the store
tampered with sqlite3; everything else through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage import store as store_mod
from lineage.cli.main import app
from lineage.store import Store
from tests.conftest import GitRepo

runner = CliRunner()
ROW = "harvester='git' AND scope='clone'"


def _origin(tmp_path: Path) -> GitRepo:
    """A model registered and assigned to prod by GTO's tags on the first commit, and a commit
    after it: a clone of depth 1 holds neither the model's commit nor its tags."""
    r = GitRepo(tmp_path / "origin")
    r.write("model.bin", "m\n")
    r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    r.write("README.md", "churn\n")
    r.commit("readme")
    return r


def _clone(origin: GitRepo, dest: Path, *opts: str) -> GitRepo:
    origin.run("git", "clone", "-q", *opts, f"file://{origin.path}", str(dest))
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, 10
    return clone


def _lineage(repo: GitRepo, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, [*args, "--repo", str(repo.path)])
    return res.exit_code, res.output


def _findings(repo: GitRepo) -> set[str]:
    res = runner.invoke(app, ["audit", "--repo", str(repo.path), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    return {f["rule"] for f in json.loads(res.stdout)["findings"]}


def _verify_json(repo: GitRepo) -> dict[str, Any]:
    res = runner.invoke(app, ["verify", "--repo", str(repo.path), "--json"])
    out: dict[str, Any] = json.loads(res.stdout)
    assert res.exit_code == (0 if out["ok"] else 1), res.output
    return out


def _sql(repo: GitRepo, statement: str, *args: object) -> None:
    conn = sqlite3.connect(repo.path / ".lineage" / "lineage.db", isolation_level=None)
    try:
        assert conn.execute(statement, args).rowcount == 1, statement
    finally:
        conn.close()


def _logged(repo: GitRepo) -> list[tuple[int, dict[str, Any] | None]]:
    """(seq, clone state the event logged, or None) of every event."""
    with Store.open(repo.path / ".lineage") as store:
        return [(e.seq, json.loads(e.payload["watermarks"]["git"]["clone"])
                 if "watermarks" in e.payload else None) for e in store.events()]


def _side_hash(value: str) -> str:
    return store_mod._side_hash("git", "clone", value)


@pytest.fixture
def shallow(tmp_path: Path) -> GitRepo:
    """A depth 1 clone of :func:`_origin`, harvested: its store lacks the history."""
    clone = _clone(_origin(tmp_path), tmp_path / "shallow", "--depth", "1")
    api.init(clone.path)
    api.harvest(clone.path)
    return clone


def test_the_harvest_logs_the_clone_state_and_verify_passes(shallow: GitRepo) -> None:
    (seq, state), = _logged(shallow)
    boundary = shallow.git("rev-parse", "HEAD")
    assert state is not None and state["shallow"] == [boundary] and state["no_tags"] is False
    assert _findings(shallow) >= {"harvest-complete"}
    out = _verify_json(shallow)
    assert out["ok"] and out["notes"] == [], out
    # nothing changed: a re-harvest writes no event
    assert api.harvest(shallow.path).new_events == 0


@pytest.mark.parametrize("tamper,says", [
    ("delete", "was deleted outside lineage"),
    ("edit", "was changed outside lineage: it holds"),
    ("edit, hash recomputed", "was changed outside lineage: it holds"),
])
def test_tampering_with_the_clone_state_fails_verify_and_hides_nothing(
        shallow: GitRepo, tamper: str, says: str) -> None:
    whole = json.dumps({"no_tags": False, "repository": _logged(shallow)[0][1]["repository"],
                        "shallow": []}, separators=(",", ":"), sort_keys=True)
    if tamper == "delete":
        _sql(shallow, f"DELETE FROM watermarks WHERE {ROW}")
    elif tamper == "edit":
        _sql(shallow, f"UPDATE watermarks SET value=? WHERE {ROW}", whole)
    else:  # a forger who knows how the watermark's own hash is taken
        _sql(shallow, f"UPDATE watermarks SET value=?, hash=? WHERE {ROW}", whole,
             _side_hash(whole))

    code, out = _lineage(shallow, "verify")
    assert code == 1, out
    first = out.splitlines()[0]
    assert first.startswith("TAMPERED: the git harvester's clone watermark (what the clone the "
                            "store was harvested from lacks, which the audit reads: "
                            "harvest-complete) "), out
    assert says in first and "event 1 (harvest) logged it as" in first, out
    js = _verify_json(shallow)
    assert not js["ok"] and says in js["problem"] and js["head"] is None, js
    # the audit reads the logged state: the finding is still there
    assert "harvest-complete" in _findings(shallow)


def test_a_clone_made_whole_is_logged_and_its_old_state_cannot_be_put_back(
        shallow: GitRepo) -> None:
    shallow.git("fetch", "-q", "--unshallow", "--tags")
    api.harvest(shallow.path)
    logged = _logged(shallow)
    assert [s["shallow"] for _, s in logged if s is not None] == [
        [shallow.git("rev-parse", "HEAD")], []]
    assert "harvest-complete" not in _findings(shallow)
    assert _verify_json(shallow)["ok"]
    # the shallow state written back into the row (with its hash): the log says otherwise
    conn = sqlite3.connect(shallow.path / ".lineage" / "lineage.db")
    with conn:
        old = json.loads(conn.execute("SELECT payload FROM events WHERE seq = 1").fetchone()[0])
    conn.close()
    value = old["watermarks"]["git"]["clone"]
    _sql(shallow, f"UPDATE watermarks SET value=?, hash=? WHERE {ROW}", value, _side_hash(value))
    js = _verify_json(shallow)
    last = max(seq for seq, s in logged if s is not None)
    assert not js["ok"] and f"event {last} (harvest) logged it as" in js["problem"], js
    assert "harvest-complete" not in _findings(shallow)


def test_a_clone_state_change_with_no_fact_changed_is_an_event(tmp_path: Path) -> None:
    """A tag-less clone of a repository with no tag: setting the clone to fetch tags changes
    no fact, only what the clone lacks; the harvest logs it in an event of its own."""
    plain = GitRepo(tmp_path / "plain")
    plain.write("a.txt", "a\n")
    plain.commit("a")
    clone = _clone(plain, tmp_path / "clone", "--no-tags")
    api.init(clone.path)
    api.harvest(clone.path)
    assert [s["no_tags"] for _, s in _logged(clone) if s is not None] == [True]

    clone.git("config", "--unset", "remote.origin.tagOpt")
    res = api.harvest(clone.path)
    (git,) = [h for h in res.harvesters if h.name == "git"]
    assert git.stats.total == 0 and git.event_seq is not None and res.new_events == 1
    assert _logged(clone)[-1] == (git.event_seq, {**_logged(clone)[0][1], "no_tags": False})
    assert _verify_json(clone)["ok"]
    code, out = _lineage(clone, "log")
    assert code == 0 and "git: clone state logged" in out, out
    assert api.harvest(clone.path).new_events == 0


def test_a_store_harvested_before_the_clone_state_was_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Such a store holds the watermark and no logged state: verify passes and says it cannot
    hold it to the log, the audit reads it as before, and the next harvest logs it (an event
    even when nothing else changed); from then on, tampering with it fails verify."""
    clone = _clone(_origin(tmp_path), tmp_path / "shallow", "--depth", "1")
    api.init(clone.path)
    with monkeypatch.context() as m:  # as a lineage that did not log it
        m.setattr(store_mod, "LOGGED_WATERMARKS", {})
        api.harvest(clone.path)
    assert _logged(clone) == [(1, None)]

    js = _verify_json(clone)
    assert js["ok"], js
    assert js["notes"] == [
        "the git harvester's clone watermark (which the audit reads) is not in the event log yet "
        "(the store was harvested before lineage logged it): verify cannot tell whether it was "
        "changed outside lineage; the next `lineage harvest` logs it"], js
    code, out = _lineage(clone, "verify")
    assert code == 0 and "note: the git harvester's clone watermark" in out, out
    assert "harvest-complete" in _findings(clone)  # read from the row

    res = api.harvest(clone.path)
    assert res.new_events == 1 and _logged(clone)[-1][1] is not None
    js = _verify_json(clone)
    assert js["ok"] and js["notes"] == [], js
    _sql(clone, f"DELETE FROM watermarks WHERE {ROW}")
    code, out = _lineage(clone, "verify")
    assert code == 1 and "clone watermark" in out and "was deleted outside lineage" in out, out
    assert "harvest-complete" in _findings(clone)


def test_a_logged_watermark_written_without_an_event_is_refused(tmp_path: Path) -> None:
    store = Store.init(tmp_path / ".lineage")
    try:
        with pytest.raises(store_mod.StoreError, match="without an event"):
            with store.transaction():
                store.set_watermark("git", "clone", '{"shallow":[]}')
        assert store.get_watermark("git", "clone") is None  # rolled back
        with store.transaction():
            store.set_watermark("git", "clone", '{"shallow":[]}')
            assert store.pending_watermarks == 1
            store.append_event("harvest", "t", {})
            store.set_watermark("git", "clone", '{"shallow":[]}')  # the same: nothing to log
            assert store.pending_watermarks == 0
        assert store.get_watermark("git", "clone") == '{"shallow":[]}'
        assert store.verify().ok
    finally:
        store.close()


def _fetched(origin: GitRepo, dest: Path) -> GitRepo:
    """A clone of the whole history and no tag, as a CI checkout fetching branches only makes
    it (no ``remote.origin.tagOpt``)."""
    dest.mkdir()
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, 10
    branch = origin.git("symbolic-ref", "--short", "HEAD")
    clone.run("git", "init", "-q")
    clone.run("git", "remote", "add", "origin", f"file://{origin.path}")
    clone.run("git", "fetch", "-q", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
    clone.run("git", "checkout", "-q", "-B", branch, f"origin/{branch}")
    assert clone.git("tag") == ""
    return clone


def _declaring(tmp_path: Path) -> GitRepo:
    """:func:`_origin` whose dvc.yaml declares the churn model (GTO's artifacts)."""
    r = _origin(tmp_path)
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.bin\n    type: model\n")
    r.commit("declare churn")
    return r


def test_a_clone_holding_tags_keeps_the_watermark_it_had(tmp_path: Path) -> None:
    """``tagless`` is written only when true: the clone state of a clone holding tags is the
    JSON an earlier lineage wrote, so upgrading logs nothing new."""
    full = _clone(_origin(tmp_path), tmp_path / "full")
    api.init(full.path)
    api.harvest(full.path)
    with Store.open(full.path / ".lineage") as store:
        value = store.get_watermark("git", "clone")
    assert value is not None
    assert value == json.dumps({"no_tags": False, "repository": json.loads(value)["repository"],
                                "shallow": []}, separators=(",", ":"), sort_keys=True)


def test_a_clone_whose_fetch_brought_no_tags_is_logged_and_fetching_them_clears_it(
        tmp_path: Path) -> None:
    clone = _fetched(_declaring(tmp_path), tmp_path / "ci")
    api.init(clone.path)
    api.harvest(clone.path)
    (state,) = [s for _, s in _logged(clone) if s is not None]
    assert state["tagless"] is True and state["no_tags"] is False
    assert "harvest-complete" in _findings(clone)
    assert _verify_json(clone)["ok"]
    # the state edited back to a clone holding tags: verify fails, the audit still reads it
    whole = json.dumps({"no_tags": False, "repository": state["repository"], "shallow": []},
                       separators=(",", ":"), sort_keys=True)
    _sql(clone, f"UPDATE watermarks SET value=?, hash=? WHERE {ROW}", whole, _side_hash(whole))
    js = _verify_json(clone)
    assert not js["ok"] and "clone watermark" in js["problem"], js
    assert "harvest-complete" in _findings(clone)
    _sql(clone, f"UPDATE watermarks SET value=?, hash=? WHERE {ROW}", json.dumps(
        state, separators=(",", ":"), sort_keys=True), _side_hash(json.dumps(
            state, separators=(",", ":"), sort_keys=True)))
    assert _verify_json(clone)["ok"]

    clone.git("fetch", "-q", "--tags", "origin")
    api.harvest(clone.path)
    assert [s for _, s in _logged(clone) if s is not None][-1] == {
        k: v for k, v in state.items() if k not in ("tagless", "remote_gto")}
    assert "harvest-complete" not in _findings(clone)
    assert _verify_json(clone)["ok"]


def test_a_store_harvested_before_tagless_was_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose clone state an earlier lineage logged without ``tagless`` (a clone whose
    fetch brought no tags was not told from a complete one): it verifies and audits as then
    (nothing claimed); the next harvest logs the new state in an event of its own (no fact
    changed), verify passes, and the audit fails the gate."""
    from connectors.harvesters import git as git_harvester

    clone = _fetched(_declaring(tmp_path), tmp_path / "ci")
    api.init(clone.path)
    current = git_harvester.clone_state

    def earlier(*args: Any) -> str:  # the watermark as lineage wrote it before ``tagless``
        state = json.loads(current(*args))
        state.pop("tagless", None)
        return json.dumps(state, separators=(",", ":"), sort_keys=True)

    with monkeypatch.context() as m:
        m.setattr(git_harvester, "clone_state", earlier)
        api.harvest(clone.path)
    (old,) = [s for _, s in _logged(clone) if s is not None]
    assert "tagless" not in old and old["no_tags"] is False
    assert _verify_json(clone)["ok"]
    assert "harvest-complete" not in _findings(clone)

    res = api.harvest(clone.path)
    (git,) = [h for h in res.harvesters if h.name == "git"]
    assert git.stats.total == 0 and res.new_events == 1
    assert _logged(clone)[-1] == (git.event_seq, {**old, "tagless": True})
    js = _verify_json(clone)
    assert js["ok"] and js["notes"] == [], js
    assert "harvest-complete" in _findings(clone)
    assert api.harvest(clone.path).new_events == 0
