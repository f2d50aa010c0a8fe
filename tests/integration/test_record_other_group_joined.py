"""Two registries' names of one model are one AI system: a retraining whose previous version is
MLflow's spelling (``fraud-a@1``, the same bytes as GTO's ``teams/a:fraud@v1.0.0``, joined by
``same_as``) and whose new version is GTO's is not refused as naming another model group,
and the audit counts it, as `lineage record` does.

Real git, DVC and GTO, a store written by real MLflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

runner = CliRunner()
BIN = Path(sys.executable).parent

REGISTER = """
import tempfile
c = MlflowClient()
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "fraud.pkl")
    with open(path, "w") as f:
        f.write("a v1\\n")
    with mlflow.start_run() as r:
        mlflow.log_artifact(path, "model")
c.create_registered_model("fraud-a")
out["v"] = c.create_model_version("fraud-a", r.info.artifact_uri + "/model/fraud.pkl",
                                  run_id=r.info.run_id).version
"""


def test_a_previous_version_of_the_same_model_in_another_registry_is_recorded(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (BIN / "gto").exists():
        pytest.skip("gto is not installed")
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("teams/a/models/fraud.pkl", "a v1\n")
    repo.write("teams/a/dvc.yaml", "artifacts:\n  fraud:\n    path: models/fraud.pkl\n")
    repo.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    repo.dvc("add", "-q", "teams/a/models/fraud.pkl")
    repo.commit("a v1")
    repo.run(str(BIN / "gto"), "register", "teams/a:fraud", "--version", "v1.0.0")
    repo.write("teams/a/models/fraud.pkl", "a v2\n")
    repo.dvc("add", "-q", "teams/a/models/fraud.pkl")
    repo.commit("a v2")
    repo.run(str(BIN / "gto"), "register", "teams/a:fraud", "--version", "v1.1.0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    assert str(run_mlflow(repo.path, REGISTER)["v"]) == "1"
    root = str(repo.path)
    for args in (["init"], ["harvest"]):
        res = runner.invoke(app, [*args, "-C", root])
        assert res.exit_code == 0, res.output
    export = json.loads(runner.invoke(app, ["export", "-C", root]).stdout)
    assert {(e["source"], e["target"]) for e in export["edges"] if e["kind"] == "same_as"} & {
        ("model:fraud-a@1", "model:teams/a:fraud@v1.0.0"),
        ("model:teams/a:fraud@v1.0.0", "model:fraud-a@1")}, "MLflow's version joins GTO's"

    res = runner.invoke(app, ["record", "retraining", "-C", root, "--trigger", "manual",
                              "--reason", "lr tuning", "--previous", "fraud-a@1", "--new",
                              "teams/a:fraud@v1.1.0", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    audit = runner.invoke(app, ["audit", "-C", root, "--format", "json", "--rule",
                                "retraining-logged"])
    assert json.loads(audit.stdout)["findings"] == [], audit.stdout
