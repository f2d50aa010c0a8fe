"""Statuses are read whatever their case and stored in their canonical spelling: a CI job
writes `--status failed`, a file `status: Finished`, and both are the status MLflow spells."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.records import parse_file
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(churn_repo: GitRepo) -> GitRepo:
    return churn_repo


@pytest.mark.parametrize(("given", "stored"), [("failed", "FAILED"), ("Killed", "KILLED"),
                                               (" finished ", "FINISHED")])
def test_record_run_status_is_case_insensitive(repo: GitRepo, given: str, stored: str) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--name", "train",
                              "--status", given, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["status"] == stored
    with api.open_store(repo.path) as store:
        node = store.get_node(out["node"])
        assert node is not None and node.attrs["status"] == stored


def test_a_lower_case_failed_run_claims_no_model(repo: GitRepo) -> None:
    repo.write("models/m.pkl", "weights\n")
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--name", "train",
                              "--status", "failed", "--model", "churn@v1=models/m.pkl",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["status"] == "FAILED" and "models" not in out["record"]
    with api.open_store(repo.path) as store:
        assert store.get_node("model:churn@v1") is None


def test_record_file_statuses_are_read_in_any_case(repo: GitRepo) -> None:
    repo.write("governance/run.yaml", "kind: run\nid: r1\nstatus: finished\n")
    repo.write("governance/alert.yaml", "kind: alert\nmodel: churn@v1\nmetric: psi\n"
                                        "at: 2026-01-05\nstatus: Resolved\n")
    (run,) = parse_file(repo.path / "governance/run.yaml", repo.path)
    (alert,) = parse_file(repo.path / "governance/alert.yaml", repo.path)
    assert run.record.status == "FINISHED"  # type: ignore[attr-defined]
    assert alert.record.status == "resolved"  # type: ignore[attr-defined]
    # the same record in either spelling is one record (its id is its canonical content)
    repo.write("governance/alert2.yaml", "kind: alert\nmodel: churn@v1\nmetric: psi\n"
                                         "at: 2026-01-05\nstatus: resolved\n")
    (again,) = parse_file(repo.path / "governance/alert2.yaml", repo.path)
    assert again.node_id == alert.node_id


def test_record_alert_status_is_case_insensitive(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "alert", "-C", str(repo.path), "--model", "churn@v1",
                              "--metric", "psi", "--status", "Acknowledged", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["status"] == "acknowledged"


def test_an_unknown_status_still_names_the_values(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--status", "done"])
    assert res.exit_code == 2
    assert "'FINISHED'" in res.stderr and "done" in res.stderr


@pytest.mark.parametrize("status", ["FAILED", "killed", "RUNNING"])
def test_a_run_that_did_not_finish_is_recorded_without_its_unwritten_model(
        repo: GitRepo, status: str) -> None:
    # the CI job's failure step runs the same command line: the training never wrote the model
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--name", "train",
                              "--status", status, "--model", "churn@v2=models/never.pkl",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["status"] == status.upper() and "models" not in out["record"]
    assert any("models/never.pkl" in w and "left out" in w for w in out["warnings"])
