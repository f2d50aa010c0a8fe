"""``model-has-run`` does not take a run that started after its model version was registered
as the run that produced it: the version existed before the run began, so the run cannot
have made it (a re-run, an evaluation, a run recorded with a wrong start or a start in the
future). A start up to :data:`lineage.audit.rules.RUN_START_SKEW` (5 minutes) after the
registration is taken as clock skew between the machines; a run without a start time is
judged as before (by its status alone).

Real git + DVC repository with a GTO registration tag (its date is the registration time),
runs recorded with ``lineage record run``; and the real SQLite MLflow fixture store, whose run
start and model version creation times are MLflow's own columns."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from audit_fixture import Fixture, _iso, make_fixture, write_store
from typer.testing import CliRunner

from lineage import api
from lineage.audit import run_audit
from lineage.cli.main import app
from lineage.model import EdgeKind, Node, NodeKind
from tests.conftest import GitRepo
from tests.mlflow_history import EXPECTED, FIXTURES, mlflow_run

runner = CliRunner()
VERSION = "model:churn@v1.0.0"


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def registered(git_repo: GitRepo) -> tuple[GitRepo, datetime]:
    """models/churn.bin added with ``dvc add``, declared a GTO artifact, committed and
    registered as churn@v1.0.0 by GTO's annotated tag, harvested; returns the tag's date."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("models/churn.bin", "weights v1\n")
    r.dvc("add", "-q", "models/churn.bin")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.bin\n    type: model\n")
    r.commit("train churn")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    when = r.git("for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/churn@v1.0.0")
    api.init(r.path)
    api.harvest(r.path)
    return r, datetime.fromisoformat(when)


def _record(r: GitRepo, run_id: str, *args: str) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(r.path), "--run-id", run_id,
                              "--name", "train", "--model", "churn@v1.0.0=models/churn.bin",
                              *args])
    assert res.exit_code == 0, res.output


def _model_has_run(r: GitRepo) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(r.path), "--rule", "model-has-run",
                              "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    return [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "model-has-run"]


def test_a_run_that_started_after_the_registration_did_not_produce_the_version(
        registered: tuple[GitRepo, datetime]) -> None:
    r, tagged = registered
    start, end = tagged + timedelta(hours=2), tagged + timedelta(hours=3)
    _record(r, "late", "--start", _z(start), "--end", _z(end))
    (f,) = _model_has_run(r)
    assert f["subject"] == VERSION
    msg = f["message"]
    # the run, its start and the registration (time, and what registered it) are named
    assert "run:lineage:late" in msg and f"started {_z(start)}" in msg, msg
    assert f"registered ({_z(tagged)}, its GTO tag churn@v1.0.0)" in msg, msg
    assert "did not produce it" in msg and "5 minutes" in msg, msg
    assert "run:lineage:late" in f["evidence"]
    fix = f["remediation"]
    assert "record the run that trained churn@v1.0.0" in fix, fix
    assert "lineage record run" in fix and "--start" in fix, fix
    assert "churn@v1.0.0=<model path>" in fix, fix
    assert "run:lineage:late" in fix and "its recorded start" in fix, fix

    # the fix, as the remediation says: the run that trained it, with its true start
    _record(r, "trained", "--start", _z(tagged - timedelta(minutes=40)),
            "--end", _z(tagged - timedelta(minutes=10)))
    assert _model_has_run(r) == []


def test_a_run_that_starts_in_the_future_did_not_produce_the_version(
        registered: tuple[GitRepo, datetime]) -> None:
    r, tagged = registered
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    _record(r, "future", "--start", _z(future), "--end", _z(future + timedelta(hours=1)))
    (f,) = _model_has_run(r)
    assert "run:lineage:future" in f["message"] and f"started {_z(future)}" in f["message"]
    assert _z(tagged) in f["message"]


def test_a_start_within_the_clock_skew_counts_and_one_beyond_it_does_not(
        registered: tuple[GitRepo, datetime]) -> None:
    """A run logged from a machine whose clock is a few minutes ahead of the one that tagged
    is the version's run; six minutes is no clock skew."""
    r, tagged = registered
    _record(r, "skewed", "--start", _z(tagged + timedelta(minutes=4)),
            "--end", _z(tagged + timedelta(minutes=30)))
    assert _model_has_run(r) == []


def test_six_minutes_after_the_registration_is_no_clock_skew(
        registered: tuple[GitRepo, datetime]) -> None:
    r, tagged = registered
    _record(r, "six", "--start", _z(tagged + timedelta(minutes=6)),
            "--end", _z(tagged + timedelta(minutes=30)))
    (f,) = _model_has_run(r)
    assert "run:lineage:six" in f["message"], f["message"]


def test_a_late_start_given_in_another_time_zone_is_compared_as_an_instant(
        registered: tuple[GitRepo, datetime]) -> None:
    """Before the tag, written in a zone whose clock reads hours later: the version's run."""
    r, tagged = registered
    start = (tagged - timedelta(minutes=30)).astimezone(timezone(timedelta(hours=9)))
    _record(r, "tokyo", "--start", start.isoformat(), "--end", _z(tagged))
    assert _model_has_run(r) == []


def test_a_run_without_a_start_time_is_judged_by_its_status_as_before(
        registered: tuple[GitRepo, datetime]) -> None:
    """No start recorded (only its end, after the tag): nothing says it started late."""
    r, tagged = registered
    _record(r, "undated", "--end", _z(tagged + timedelta(days=1)))
    assert _model_has_run(r) == []


# -- MLflow: the run's start_time and the model version's creation_time, MLflow's columns --------
@pytest.fixture
def mlflow_repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    r = git_repo
    r.write("train.py", "print(1)\n")
    r.commit("train")
    shutil.copy(FIXTURES / "mlflow.db", r.path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    return r


def _start_baseline(r: GitRepo, after_version_ms: int) -> int:
    """Sets the ``baseline`` run (which produced churn-model version 1) to start
    ``after_version_ms`` after the version was created; returns the start (ms)."""
    conn = sqlite3.connect(r.path / "mlflow.db")
    with conn:
        (created,) = conn.execute("SELECT creation_time FROM model_versions WHERE "
                                  "name='churn-model' AND version=1").fetchone()
        start = created + after_version_ms
        conn.execute("UPDATE runs SET start_time=?, end_time=? WHERE run_uuid=?",
                     (start, start + 60_000, EXPECTED["run_ids"]["baseline"]))
    conn.close()
    return int(start)


def _mlflow_findings(r: GitRepo) -> dict[str, dict[str, Any]]:
    api.harvest(r.path, only=["mlflow", "joins"])
    res = runner.invoke(app, ["audit", "-C", str(r.path), "--rule", "model-has-run",
                              "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    return {f["subject"]: f for f in json.loads(res.stdout)["findings"]}


def test_an_mlflow_run_that_started_after_mlflow_registered_the_version(
        mlflow_repo: GitRepo) -> None:
    start = _start_baseline(mlflow_repo, 3_600_000)
    found = _mlflow_findings(mlflow_repo)
    assert set(found) == {"model:churn-model@1"}, found
    msg = found["model:churn-model@1"]["message"]
    run = mlflow_run("baseline")
    started = _z(datetime.fromtimestamp(start / 1000, UTC))
    assert f"{run} started {started}" in msg, msg
    assert "churn-model@1 was registered (" in msg and ", in the MLflow registry)" in msg, msg


def test_an_mlflow_run_within_the_clock_skew_is_the_versions_run(mlflow_repo: GitRepo) -> None:
    _start_baseline(mlflow_repo, 180_000)
    assert _mlflow_findings(mlflow_repo) == {}


def test_the_mlflow_fixture_as_it_is_passes(mlflow_repo: GitRepo) -> None:
    """MLflow registers a version after the run that logged it started: no finding."""
    assert _mlflow_findings(mlflow_repo) == {}


def _fixture_run(fx: Fixture, version: str) -> str:
    return next(i.source for i in fx.items if not isinstance(i, Node)
                and i.kind == EdgeKind.PRODUCED and i.target == version)


def _replace(fx: Fixture, nid: str, **attrs: Any) -> None:
    for k, item in enumerate(fx.items):
        if isinstance(item, Node) and item.id == nid:
            fx.items[k] = Node.make(item.kind, nid, **{**item.attrs, **attrs})


def _fixture_findings(fx: Fixture, store_dir: Any) -> list[Any]:
    store = write_store(fx, store_dir)
    try:
        return list(run_audit(store, now=fx.now, rules=["model-has-run"]).findings)
    finally:
        store.close()


def test_a_late_run_and_a_run_that_did_not_finish_are_both_said(tmp_path: Any) -> None:
    """The version's MLflow run was killed, and a run recorded by lineage that names it
    started after it was registered: neither produced it, and the finding says why of each."""
    fx = make_fixture(0, fixed=True)
    twin = "model:s0-clean0@3"
    killed = _fixture_run(fx, twin)
    _replace(fx, killed, status="KILLED")
    created = datetime.fromisoformat(str(next(
        i.attrs["created_at"] for i in fx.items if isinstance(i, Node) and i.id == twin)))
    start = created + timedelta(hours=1)
    late = fx.node(NodeKind.RUN, "run:lineage:rerun", source="lineage", run_id="rerun",
                   status="FINISHED", start_time=_iso(start),
                   end_time=_iso(start + timedelta(hours=1)))
    fx.edge(EdgeKind.PRODUCED, late, twin)
    (f,) = _fixture_findings(fx, tmp_path / ".lineage")
    assert f.subject == "model:s0-clean0@v1.1.0"
    assert f"{killed}: KILLED" in f.message, f.message
    assert f"run:lineage:rerun started {_z(start)}" in f.message, f.message
    assert {killed, late} <= set(f.evidence)


def test_the_version_existed_from_its_first_registration_in_any_registry(
        tmp_path: Any) -> None:
    """GTO tagged v1.1.0 before the run that MLflow says logged its twin @3 started: the
    bytes existed before that run began. The finding names the GTO tag."""
    fx = make_fixture(0, fixed=True)
    gto, twin = "model:s0-clean0@v1.1.0", "model:s0-clean0@3"
    run = _fixture_run(fx, twin)
    start = datetime.fromisoformat(str(next(
        i.attrs["start_time"] for i in fx.items if isinstance(i, Node) and i.id == run)))
    tagged = start - timedelta(days=2)
    _replace(fx, gto, created_at=_iso(tagged),
             properties={"gto_tag": "s0-clean0@v1.1.0"})
    (f,) = _fixture_findings(fx, tmp_path / ".lineage")
    assert f.subject == gto
    assert f"{run} started {_z(start)}" in f.message, f.message
    assert f"({_z(tagged)}, its GTO tag s0-clean0@v1.1.0)" in f.message, f.message
