"""`retraining-logged`: a retraining log is about one model lineage. A record whose previous
version belongs to another model group (after `same_as` joins) does not log the retraining of
this version, and its previous-version edge does not make that version this one's
predecessor; the finding says why."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from audit_fixture import _iso, make_fixture, write_store
from typer.testing import CliRunner

from lineage.audit import run_audit
from lineage.cli.main import app
from lineage.model import EdgeKind, NodeKind
from tests.conftest import recording_repo

runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = recording_repo(tmp_path / "retrain", monkeypatch)
    Path("models").mkdir()
    for name, version, day in (("churn", "v1.0.0", "01"), ("credit", "v1.0.0", "02"),
                               ("churn", "v2.0.0", "10")):
        Path(f"models/{name}-{version}.json").write_text(f'{{"{name}": "{version}"}}\n')
        record("run", "--name", f"train-{name}", "--model",
               f"{name}@{version}=models/{name}-{version}.json", "--clean", "--end",
               f"2026-01-{day}T00:00:00Z")
    return root


def record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def retraining_findings() -> list[dict]:
    res = runner.invoke(app, ["audit", "--format", "json", "--rule", "retraining-logged"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_a_previous_version_of_another_group_does_not_log_the_retraining(repo: Path) -> None:
    [before] = retraining_findings()
    assert before["subject"] == "model:churn@v2.0.0"
    record("retraining", "--trigger", "drift", "--reason", "PSI above 0.2", "--previous",
           "credit@v1.0.0", "--new", "churn@v2.0.0", "--id", "cross",
           "--allow-new")  # (lineage record refuses it without: as a hand-written file)
    [f] = retraining_findings()
    assert f["subject"] == "model:churn@v2.0.0"
    # the other group's version is not made churn@v2.0.0's predecessor either
    assert f["message"].startswith("churn@v2.0.0 replaces churn@v1.0.0 but no retraining "
                                   "record of it counts: "), f["message"]
    assert ("retraining record cross names credit@v1.0.0 as its previous version, a version "
            "of another model group (credit), not of churn") in f["message"], f["message"]
    assert "retraining:cross" in f["evidence"]
    assert "--previous churn@v1.0.0 --new churn@v2.0.0" in f["remediation"]
    # the record of churn's own lineage closes it
    record("retraining", "--trigger", "drift", "--reason", "PSI above 0.2", "--previous",
           "churn@v1.0.0", "--new", "churn@v2.0.0", "--id", "own")
    assert retraining_findings() == []


def test_a_record_naming_the_version_itself_as_previous_does_not_count(repo: Path) -> None:
    record("retraining", "--trigger", "manual", "--reason", "r", "--previous",
           "churn@v2.0.0", "--new", "churn@v2.0.0", "--id", "self", "--allow-new")
    [f] = retraining_findings()
    assert "retraining record self names churn@v2.0.0 itself as its previous version" in \
        f["message"], f["message"]


def _extra_version(fx, group: str, version: str, days_ago: int) -> tuple[str, str]:
    at = _iso(fx.now - timedelta(days=days_ago))
    v = fx.node(NodeKind.MODEL, f"model:{group}@{version}", group=group, version=version,
                registry="gto", created_at=at)
    fx.edge(EdgeKind.VERSION_OF, v, f"model_group:{group}")
    run = fx.node(NodeKind.RUN, f"run:lineage:{group}-{version}", source="lineage",
                  run_id=f"{group}-{version}", status="FINISHED", start_time=at)
    fx.edge(EdgeKind.PRODUCED, run, v)
    return v, run


def _retraining(fx, rid: str, previous: str | None, new: str | None, run: str | None) -> None:
    nid = fx.node(NodeKind.RETRAINING, f"retraining:{rid}", trigger="drift", reason="drift",
                  previous_model=previous, new_model=new, run=run,
                  at=_iso(fx.now - timedelta(days=1)))
    if previous:
        fx.edge(EdgeKind.RETRAINS, previous, nid)
    if new:
        fx.edge(EdgeKind.RETRAINS, nid, new)
    if run:
        fx.edge(EdgeKind.RETRAINS, nid, run)
    if previous and new:
        fx.edge(EdgeKind.PREVIOUS_VERSION, previous, new)


def test_groups_joined_by_same_as_are_one_lineage_and_a_run_is_no_back_door(
        tmp_path: Path) -> None:
    fx = make_fixture(2, fixed=True)
    a, b = "s2-noretrain", "s2-noreason"
    # an MLflow registered model of another name holds the same v1 as a (same_as): one system
    fx.node(NodeKind.MODEL_GROUP, f"model_group:{a}-mlflow", name=f"{a}-mlflow",
            registry="mlflow")
    alias = fx.node(NodeKind.MODEL, f"model:{a}-mlflow@1", group=f"{a}-mlflow", version="1",
                    registry="mlflow", created_at=_iso(fx.now - timedelta(days=120)))
    fx.edge(EdgeKind.VERSION_OF, alias, f"model_group:{a}-mlflow")
    fx.edge(EdgeKind.SAME_AS, f"model:{a}@v1.0.0", alias)
    joined, _ = _extra_version(fx, a, "v1.2.0", 5)
    _retraining(fx, "joined", alias, joined, None)
    # b's retraining names a's run but b's version as the new one: it is b's log, not a's
    foreign, run = _extra_version(fx, a, "v1.3.0", 2)
    _retraining(fx, "b-via-run", f"model:{b}@3", None, run)
    _retraining(fx, "b-new", f"model:{b}@3", f"model:{b}@v1.0.0", run)
    report = run_audit(fx.graph(), now=fx.now, rules=["retraining-logged"])
    msgs = {f.subject: f.message for f in report.findings}
    assert set(msgs) == {foreign}, msgs
    assert (f"retraining record b-via-run names {b}@3 as its previous version, a version of "
            f"another model group ({b}), not of {a}") in msgs[foreign]
    assert "b-new" not in msgs[foreign]  # about b@v1.0.0, not linked to a's version at all
    store = write_store(fx, tmp_path / ".lineage")
    from_store = run_audit(store, now=fx.now, rules=["retraining-logged"])
    store.close()
    assert [f.as_dict() for f in from_store.findings] == [f.as_dict() for f in report.findings]
