"""`lineage init/harvest/show/export/verify/log` end to end on real repositories."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    out = res.output + (getattr(res, "stderr", "") if res.stderr_bytes is not None else "")
    return res.exit_code, out


def _out(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture
def registry_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("add training code")
    git_repo.write("model.pkl", "weights-1")
    git_repo.commit("train model")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    git_repo.tag("churn#prod#1", "promote")
    return git_repo


def test_clear_errors(tmp_path: Path, git_repo: GitRepo) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, out = _run("harvest", "--repo", str(plain))
    assert code == 2
    assert "not inside a git repository" in out and "hint" in out
    code, out = _run("harvest", "--repo", str(git_repo.path))
    assert code == 2
    assert "lineage init" in out
    code, out = _run("harvest", "--repo", str(git_repo.path), "--only", "gitt")
    assert code == 2


def test_init_harvest_json_and_idempotent_reharvest(registry_repo: GitRepo) -> None:
    repo = str(registry_repo.path)
    assert "Initialized" in _out("init", "--repo", repo)
    first = json.loads(_out("harvest", "--repo", repo, "--json"))
    assert first["harvesters"]["git"]["nodes_new"] == {"commit": 2, "repository": 1}
    assert first["harvesters"]["gto"]["nodes_new"] == {"deployment": 1, "model": 1,
                                                        "model_group": 1}
    assert first["new_events"] == 2
    assert first["totals"]["nodes"]["commit"] == 2
    second = json.loads(_out("harvest", "--repo", repo, "--json"))
    assert second["new_events"] == 0
    assert second["totals"] == first["totals"]
    assert "Nothing new" in _out("harvest", "--repo", repo)
    events = json.loads(_out("log", "--repo", repo, "--json"))
    assert [e["payload"]["harvester"] for e in events] == ["git", "gto"]


def test_show_provenance_and_export(registry_repo: GitRepo) -> None:
    repo = str(registry_repo.path)
    _out("init", "--repo", repo)
    _out("harvest", "--repo", repo)
    tree = _out("show", "churn@v1.0.0", "--repo", repo)
    assert "model churn@v1.0.0" in tree
    assert "tagged" in tree and "train model" in tree
    prov = json.loads(_out("show", "churn@v1.0.0", "--repo", repo, "--json"))
    assert prov["node"] == "model:churn@v1.0.0"
    kinds = {n["kind"] for n in prov["nodes"]}
    assert {"model", "commit"} <= kinds
    code, out = _run("show", "churn@v9.9.9", "--repo", repo)
    assert code == 2 and "nothing in the lineage graph" in out
    data = json.loads(_out("export", "--format", "node-link", "--repo", repo))
    ids = {n["id"]: n for n in data["nodes"]}
    assert ids["model:churn@v1.0.0"]["kind"] == "model"
    assert ids["model:churn@v1.0.0"]["attrs"]["version"] == "v1.0.0"
    assert {"kind", "source", "target"} <= set(data["edges"][0])
    assert any(e["kind"] == "deployed_as" for e in data["edges"])
    code, _ = _run("export", "--format", "graphml", "--repo", repo)
    assert code == 2


def _db(repo: GitRepo) -> sqlite3.Connection:
    return sqlite3.connect(repo.path / ".lineage" / "lineage.db")


def test_verify_detects_tampering(registry_repo: GitRepo) -> None:
    repo = str(registry_repo.path)
    _out("init", "--repo", repo)
    _out("harvest", "--repo", repo)
    assert "OK" in _out("verify", "--repo", repo)
    ok = json.loads(_out("verify", "--repo", repo, "--json"))
    assert ok["ok"] is True and ok["events"] == 2

    # a fact edited in place
    with _db(registry_repo) as db:
        (nid, attrs), = db.execute("SELECT id, attrs FROM nodes WHERE id LIKE 'model:%'")
        db.execute("UPDATE nodes SET attrs=? WHERE id=?",
                   (attrs.replace("v1.0.0", "v6.6.6"), nid))
    code, out = _run("verify", "--repo", repo)
    assert code == 1 and "TAMPERED" in out and "model:churn@v1.0.0" in out
    with _db(registry_repo) as db:
        db.execute("UPDATE nodes SET attrs=? WHERE id=?", (attrs, nid))
    assert _run("verify", "--repo", repo)[0] == 0

    # an event payload edited
    with _db(registry_repo) as db:
        db.execute("UPDATE events SET actor='mallory' WHERE seq=1")
    res = json.loads(runner.invoke(app, ["verify", "--repo", repo, "--json"]).stdout)
    assert res["ok"] is False and res["bad_event"] == 1


def test_verify_detects_deleted_event(registry_repo: GitRepo) -> None:
    repo = str(registry_repo.path)
    _out("init", "--repo", repo)
    _out("harvest", "--repo", repo)
    with _db(registry_repo) as db:
        db.execute("DELETE FROM events WHERE seq=1")
    code, out = _run("verify", "--repo", repo)
    assert code == 1 and "event 1" in out


def test_show_tells_a_moved_registration_tag_from_the_current_one(git_repo: GitRepo) -> None:
    """A GTO tag deleted and made again on another commit: ``show`` keeps the old ``tagged``
    edge (the store is an audit trail) but says it moved, so two commits are not both read as
    the version's code."""
    git_repo.write("model.pkl", "w1")
    old = git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    repo = str(git_repo.path)
    _out("init", "--repo", repo)
    _out("harvest", "--repo", repo)
    git_repo.git("tag", "-d", "churn@v1.0.0")
    git_repo.write("model.pkl", "w2")
    new = git_repo.commit("train again")
    git_repo.tag("churn@v1.0.0", "register again")
    _out("harvest", "--repo", repo)
    lines = _out("show", "churn@v1.0.0", "--repo", repo).splitlines()
    old_line = next(ln for ln in lines if old[:12] in ln)
    new_line = next(ln for ln in lines if new[:12] in ln)
    assert f"tag moved to {new[:12]}" in old_line and "moved" not in new_line


def test_a_harvest_that_only_withdraws_says_so(git_repo: GitRepo) -> None:
    """A run's abbreviated commit (``sourceCodeLocation.version``) is corrected to a branch name
    that names no commit: the join's CODE edge is withdrawn, and the harvest that did only that
    says what it withdrew, in its table, its JSON and the event log."""
    r = git_repo
    r.write("train.py", "print('train')\n")
    sha = r.commit("train script")
    repo = str(r.path)

    def event(at: str, version: str) -> str:
        return json.dumps({
            "eventType": "COMPLETE", "eventTime": at, "producer": "https://example.com/ci",
            "run": {"runId": "0190a5b2-0000-7000-8000-0000000000f1"},
            "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/churn", "version": version}}}}) + "\n"

    r.write("openlineage/events.jsonl", event("2026-01-05T10:00:00Z", sha[:9]))
    _out("init", "--repo", repo)
    _out("harvest", "--repo", repo)
    with (r.path / "openlineage" / "events.jsonl").open("a") as f:
        f.write(event("2026-01-05T10:01:00Z", "main"))
    _out("harvest", "--repo", repo, "--only", "openlineage")
    res = runner.invoke(app, ["harvest", "--repo", repo, "--only", "joins"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Nothing new" not in res.stdout
    row = [line for line in res.stdout.splitlines() if "joins" in line]
    assert len(row) == 1 and "code" in row[0] and row[0].split("│")[-2].strip() == "1", \
        res.stdout
    assert "withdrawn" in res.stdout
    events = json.loads(_out("log", "--repo", repo, "--json"))
    assert events[-1]["payload"]["harvester"] == "joins"
    assert events[-1]["payload"]["edges_withdrawn"] == {"code": 1}
    res = runner.invoke(app, ["log", "--repo", repo], env={"COLUMNS": "200"})
    last = [line for line in res.stdout.splitlines() if "joins" in line][-1]
    assert "1 edge withdrawn" in last and "nothing new" not in last, res.stdout
    # the --json of a harvest names it as the event does
    with (r.path / "openlineage" / "events.jsonl").open("a") as f:
        f.write(event("2026-01-05T10:02:00Z", sha[:9]))
    _out("harvest", "--repo", repo, "--only", "openlineage")
    _out("harvest", "--repo", repo, "--only", "joins")
    with (r.path / "openlineage" / "events.jsonl").open("a") as f:
        f.write(event("2026-01-05T10:03:00Z", "main"))
    _out("harvest", "--repo", repo, "--only", "openlineage")
    out = json.loads(_out("harvest", "--repo", repo, "--only", "joins", "--json"))
    assert out["harvesters"]["joins"]["edges_withdrawn"] == {"code": 1}
    assert out["new_events"] == 1


def test_only_a_harvester_with_nothing_to_read_says_why(git_repo) -> None:
    """``--only mlflow`` with no tracking store set, ``--only OpenLineage`` with no events
    folder: each is named with what it lacks (in any case), not "nothing new"."""
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "--repo", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["harvest", "--repo", str(git_repo.path), "--only",
                              "mlflow,OpenLineage", "--json"], env={"MLFLOW_TRACKING_URI": ""})
    assert res.exit_code == 0, res.output
    notes = {n["source"]: n["message"] for n in json.loads(res.stdout)["notes"]}
    assert notes["mlflow"].startswith("not run: no MLflow tracking store is set")
    assert "MLFLOW_TRACKING_URI" in notes["mlflow"]
    assert notes["openlineage"].startswith("not run: no OpenLineage events folder")
    # a harvester that does run is not noted
    res = runner.invoke(app, ["harvest", "--repo", str(git_repo.path), "--only", "GIT"])
    assert res.exit_code == 0 and "not run" not in res.output, res.output
