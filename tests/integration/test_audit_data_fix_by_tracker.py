"""`run-data-pinned` on a run that records no input: the fix names how the run's own tracker
records an input by its repository path (an MLflow run: ``mlflow.log_input`` with a
``source``; an OpenLineage run: a ``file`` dataset), not lineage's ``--input``, which those
jobs do not have."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow


def _data_fixes(r: GitRepo) -> dict[str, str]:
    res = CliRunner().invoke(app, ["audit", "-C", str(r.path), "--format", "json"])
    return {f["subject"]: f["remediation"] for f in json.loads(res.stdout)["findings"]
            if f["rule"] == "run-data-pinned"}


def test_an_openlineage_run_with_no_input_is_told_to_emit_a_file_dataset(
        git_repo: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("model.pkl", "model\n")
    r.dvc("add", "-q", "model.pkl")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n")
    sha = r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    event: dict[str, Any] = {
        "eventType": "COMPLETE", "eventTime": "2026-01-01T01:30:00Z",
        "producer": "https://example.com/ci",
        "run": {"runId": "0190a5b2-0000-7000-8000-0000000002f1"},
        "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
            "type": "git", "url": "https://example.com/repo", "version": sha}}},
        "inputs": [], "outputs": [{"namespace": "file", "name": str(r.path / "model.pkl")}]}
    r.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    api.init(r.path)
    api.harvest(r.path)
    fix = _data_fixes(r)["run:openlineage:0190a5b2-0000-7000-8000-0000000002f1"]
    assert fix.startswith("track the inputs with DVC"), fix
    assert "emitting each input as a file dataset (namespace file, name its path in the " \
           "repository)" in fix, fix
    assert "--input" not in fix


def test_an_mlflow_run_with_no_input_is_told_to_log_it_with_its_path(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    r = git_repo
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    r.write("model.pkl", "model\n")
    r.commit("model")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    out = run_mlflow(r.path, """
c = MlflowClient()
with mlflow.start_run() as r:
    pass
c.create_registered_model("churn")
c.create_model_version("churn", os.path.abspath("model.pkl"), run_id=r.info.run_id)
out["run"] = r.info.run_id
""")
    api.init(r.path)
    api.harvest(r.path)
    fixes = _data_fixes(r)
    (fix,) = [f for run, f in fixes.items() if run.endswith(out["run"])]
    assert 'mlflow.log_input(mlflow.data.from_pandas(df, source="data/train.csv"))' in fix, fix
    assert "--input" not in fix
