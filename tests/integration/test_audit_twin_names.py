"""A version seen by two registries (GTO's ``churn@v1.0.0`` and its MLflow twin ``churn@1``,
joined by artifact hash) is one version for the audit; a finding about a deployment names the
version the deployment names, and the class is reported under the spelling records use (else
the GTO / semantic one), never MLflow's counter by the accident of sorting first. Real git +
DVC repository, GTO tags, the committed MLflow fixture store (written by real MLflow)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow" / "mlflow.db"
runner = CliRunner()


@pytest.fixture
def twins(git_repo: GitRepo) -> GitRepo:
    r = git_repo
    r.dvc("init", "-q")
    model = '{"w": 1}\n'
    r.write("models/m.json", model)
    r.dvc("add", "-q", "models/m.json")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/m.json\n    type: model\n")
    r.write(".gitignore", "mlflow.db\n")
    r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    md5 = "md5:" + hashlib.md5(model.encode(), usedforsecurity=False).hexdigest()
    db = r.path / "mlflow.db"
    shutil.copy(FIXTURE, db)
    con = sqlite3.connect(db)
    con.execute("UPDATE model_version_tags SET value=? WHERE name='churn-model' AND version=1 "
                "AND key='artifact_hash'", (md5,))
    con.commit()
    con.close()
    r.write("lineage.yaml", "mlflow:\n  tracking_uri: sqlite:///mlflow.db\n"
                            "model_aliases:\n  churn-model: churn\n")
    api.init(r.path)
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    twins = {(e.source, e.target) for e in graph.out_edges("model:churn@v1.0.0")
             if e.kind.value == "same_as"}
    assert twins == {("model:churn@v1.0.0", "model:churn@1")}, twins
    return r


def _findings(repo: GitRepo, *args: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", *args])
    assert res.exit_code == 1, res.output
    return list(json.loads(res.stdout)["findings"])


def test_a_gto_deployment_is_named_by_its_own_version(twins: GitRepo) -> None:
    findings = _findings(twins)
    (dep,) = [f for f in findings if f["rule"] == "deployment-approved"]
    assert dep["model"] == "model:churn@v1.0.0", dep
    assert dep["aliases"] == ["model:churn@1"]
    assert dep["message"].startswith("churn@v1.0.0 was deployed to prod")
    assert "lineage record approval --model churn@v1.0.0 --env prod" in dep["remediation"]
    # the version's own findings: under the spelling the deployment names, the twin an alias
    mine = [f for f in findings if f["model"] in ("model:churn@1", "model:churn@v1.0.0")]
    assert {f["rule"] for f in mine} > {"deployment-approved"}
    for f in mine:
        assert (f["model"], f["aliases"]) == ("model:churn@v1.0.0", ["model:churn@1"]), f
    # SARIF names it the same way
    res = runner.invoke(app, ["audit", "-C", str(twins.path), "--format", "sarif"])
    sarif = json.loads(res.stdout)
    models = {r["properties"].get("model") for run in sarif["runs"] for r in run["results"]
              if r["ruleId"] == "deployment-approved"}
    assert models == {"model:churn@v1.0.0"}, models


def test_a_deployment_recorded_under_the_mlflow_name_is_named_so(twins: GitRepo) -> None:
    res = runner.invoke(app, ["record", "deployment", "-C", str(twins.path), "--model",
                              "churn@1", "--env", "staging", "--deployed-at",
                              "2026-01-05T00:00:00Z"])
    assert res.exit_code == 0, res.output
    deps = {f["environment"]: f for f in _findings(twins) if f["rule"] == "deployment-approved"}
    assert deps["staging"]["model"] == "model:churn@1"
    assert deps["staging"]["aliases"] == ["model:churn@v1.0.0"]
    assert "--model churn@1 --env staging" in deps["staging"]["remediation"]
    assert deps["prod"]["model"] == "model:churn@v1.0.0"
    # --model takes either spelling, and keeps both deployments of the one version
    for name in ("churn@1", "churn@v1.0.0"):
        envs = {f["environment"] for f in _findings(twins, "--model", name)
                if f["rule"] == "deployment-approved"}
        assert envs == {"prod", "staging"}, name


def test_show_of_the_gto_version_shows_its_mlflow_twin_and_its_run(twins: GitRepo) -> None:
    """From either registry's side the tree shows the other: ``show churn@v1.0.0`` lists its
    MLflow twin (and what is upstream of it), as ``show churn@1`` lists the GTO version."""
    res = runner.invoke(app, ["show", "-C", str(twins.path), "churn@v1.0.0"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "same_as → " in res.output and "churn@1" in res.output, res.output
    twin_line = next(i for i, line in enumerate(res.output.splitlines())
                     if "same_as → " in line)
    below = res.output.splitlines()[twin_line + 1:]
    assert any("run" in line for line in below), res.output  # the twin's MLflow run
