"""One training job that logs to MLflow and is wrapped in lineage's ``track_run`` is one
execution: the recorded run names the MLflow run it ran in (``properties.mlflow_run_id``,
and how it knew: ``mlflow_run_by``) and the ``joins`` harvester declares the two runs the same
(a ``same_as`` edge, ``by: mlflow_run_id``), as it declares two registries' versions of one
model the same. Only on evidence: a run with none, a block that started several MLflow runs
(a sweep) and an MLflow run that holds several blocks stay apart.

Real git + DVC repository, real SQLite MLflow store written by real MLflow, real training
scripts run as a user runs them (``python train.py``), then ``lineage harvest``, ``lineage
export --format node-link`` and ``lineage show --json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import PINNED_ENV, GitRepo

pytest.importorskip("mlflow")
pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

PROLOGUE = """
import json, os, sys
import mlflow, pandas as pd
from mlflow import MlflowClient
from connectors.tracking import track_run
mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment("churn")
out = {}

def train(run, name="model"):
    df = pd.read_csv("data/train.csv")
    mlflow.log_input(mlflow.data.from_pandas(df, source="data/train.csv"), context="training")
    mlflow.log_param("lr", 0.1)
    run.log_param("lr", 0.1)
    os.makedirs("models", exist_ok=True)
    path = f"models/{name}.json"
    with open(path, "w") as f:
        f.write('{"w": [1, 2]}\\n')
    mlflow.log_artifact(path, "model")
    mlflow.log_metric("auc", 0.9)
    run.log_metric("auc", 0.9)
    return path

def register(mlflow_run_id, path):
    # the MLflow version of the file the run logged, and the same file as track_run's version
    c = MlflowClient()
    if not c.search_registered_models("name = 'churn'"):
        c.create_registered_model("churn")
    au = c.get_run(mlflow_run_id).info.artifact_uri
    return str(c.create_model_version("churn", f"{au}/model/{os.path.basename(path)}",
                                      run_id=mlflow_run_id).version)
"""


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data/train.csv", "x,y\n1,2\n3,4\n")
    r.dvc("add", "-q", "data/train.csv")
    r.write(".gitignore", "mlflow.db\nmlruns/\nmodels/\n.lineage/\n*.py\n")
    r.commit("training data")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    monkeypatch.chdir(r.path)
    lineage("init")
    return r


def train(repo: GitRepo, body: str, name: str = "train.py",
          env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``body`` after :data:`PROLOGUE` as ``python <name>`` from the repository root;
    returns the ``out`` dict it fills."""
    script = repo.path / name
    script.write_text(PROLOGUE + body + "\nprint('OUT=' + json.dumps(out))\n")
    full = {**os.environ, **PINNED_ENV, "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db",
            "PYTHONPATH": str(ROOT), **(env or {})}
    full.pop("MLFLOW_RUN_ID", None) if "MLFLOW_RUN_ID" not in (env or {}) else None
    res = subprocess.run([sys.executable, name], cwd=repo.path, env=full, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    line = next(x for x in reversed(res.stdout.splitlines()) if x.startswith("OUT="))
    return dict(json.loads(line[len("OUT="):]))


def lineage(*args: str) -> Any:
    from lineage.cli.main import app

    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout) if "--json" in args or "node-link" in args else res.stdout


def harvest() -> dict[str, Any]:
    out = lineage("harvest", "--json")
    assert isinstance(out, dict)
    return out


def graph() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    doc = lineage("export", "--format", "node-link")
    return {n["id"]: n for n in doc["nodes"]}, doc["edges"]


def runs_of(nodes: dict[str, dict[str, Any]], source: str) -> list[str]:
    return sorted(n for n, d in nodes.items() if d["kind"] == "run"
                  and d["attrs"].get("source") == source)


def same_as(edges: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted((e["source"], e["target"], e.get("attrs") or {}) for e in edges
                  if e["kind"] == "same_as" and e["source"].startswith("run:"))


def test_a_track_run_inside_an_mlflow_run_is_that_run(repo: GitRepo) -> None:
    """The block runs inside ``mlflow.start_run()``: the recorded run names the active MLflow
    run, and the graph declares them one execution; ``lineage show`` of the model version
    shows it."""
    out = train(repo, """
with mlflow.start_run() as r:
    with track_run(".", name="train", inputs=["data/train.csv"]) as run:
        path = train(run)
        run.log_model(path, name="churn", version="1")
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
out["version"] = register(r.info.run_id, path)
""")
    assert out["version"] == "1"  # MLflow's version 1 and track_run's churn@1: one model node
    res = harvest()
    assert res["warnings"] == []
    nodes, edges = graph()
    mlflow_run = f"run:mlflow:mlflow.db:{out['mlflow']}"
    assert runs_of(nodes, "mlflow") == [mlflow_run]
    assert runs_of(nodes, "lineage") == [out["lineage"]]
    props = nodes[out["lineage"]]["attrs"]["properties"]
    assert props["mlflow_run_id"] == out["mlflow"]
    assert props["mlflow_run_by"] == "active"
    assert props["mlflow_tracking_uri"] == "sqlite:///mlflow.db"
    assert same_as(edges) == [(out["lineage"], mlflow_run,
                               {"by": "mlflow_run_id", "mlflow_run_id": out["mlflow"]})]
    # lineage show: the model's provenance says its two runs are one
    shown = lineage("show", "churn@1", "--json")
    kinds = {(e["source"], e["target"]): e["kind"] for e in shown["edges"]}
    assert kinds[(out["lineage"], mlflow_run)] == "same_as"
    # joined once: a harvest with nothing new writes nothing
    again = harvest()
    assert again["new_events"] == 0


def test_an_mlflow_run_started_inside_the_block_is_that_run(repo: GitRepo) -> None:
    """The platform wraps the job in ``track_run``; the training script starts its MLflow run
    (as autologging does) inside the block and ends it there."""
    out = train(repo, """
with track_run(".", name="train", inputs=["data/train.csv"]) as run:
    with mlflow.start_run() as r:
        path = train(run)
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
""")
    res = harvest()
    assert res["warnings"] == []
    nodes, edges = graph()
    props = nodes[out["lineage"]]["attrs"]["properties"]
    assert (props["mlflow_run_id"], props["mlflow_run_by"]) == (out["mlflow"], "started")
    assert same_as(edges) == [(out["lineage"], f"run:mlflow:mlflow.db:{out['mlflow']}",
                               {"by": "mlflow_run_id", "mlflow_run_id": out["mlflow"]})]


def test_mlflow_run_id_from_the_environment_is_that_run(repo: GitRepo) -> None:
    """``MLFLOW_RUN_ID`` (``mlflow run``, or a platform that created the run) names the MLflow
    run the job is; MLflow's ``start_run`` inside the block resumes it and clears the variable,
    so it is read when the block begins."""
    made = train(repo, """
c = MlflowClient()
out["id"] = c.create_run(mlflow.get_experiment_by_name("churn").experiment_id).info.run_id
""", name="create.py")
    out = train(repo, """
with track_run(".", name="train", inputs=["data/train.csv"]) as run:
    with mlflow.start_run() as r:
        path = train(run)
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
""", env={"MLFLOW_RUN_ID": made["id"]})
    assert out["mlflow"] == made["id"]
    harvest()
    nodes, edges = graph()
    props = nodes[out["lineage"]]["attrs"]["properties"]
    assert (props["mlflow_run_id"], props["mlflow_run_by"]) == (made["id"], "env")
    assert [(s, t) for s, t, _ in same_as(edges)] == [
        (out["lineage"], f"run:mlflow:mlflow.db:{made['id']}")]


def test_runs_without_evidence_stay_apart(repo: GitRepo) -> None:
    """An MLflow run and a recorded run of the same commit, data and time, in two processes
    (nothing says they are one), stay two runs; so does a recorded run naming an MLflow run no
    harvested store holds."""
    train(repo, """
with mlflow.start_run() as r:
    pass
""", name="log.py")
    out = train(repo, """
with track_run(".", name="train", inputs=["data/train.csv"]) as run:
    pass
out["lineage"] = run.node_id
""")
    res = lineage("record", "run", "--name", "elsewhere", "--prop",
                  "mlflow_run_id=0123456789abcdef0123456789abcdef", "--json")
    assert res["node"].startswith("run:lineage:")
    harvest()
    nodes, edges = graph()
    assert len(runs_of(nodes, "mlflow")) == 1 and len(runs_of(nodes, "lineage")) == 2
    assert "mlflow_run_id" not in (nodes[out["lineage"]]["attrs"].get("properties") or {})
    assert same_as(edges) == []


def test_a_recorded_run_naming_its_mlflow_run_joins_it(repo: GitRepo,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``lineage record run --prop mlflow_run_id=…`` (a CI step after ``mlflow run``) is the
    same evidence as ``track_run``'s; a store joined before this join existed gets it at the
    next harvest, though nothing new was written."""
    from connectors.harvesters import joins

    out = train(repo, """
with mlflow.start_run() as r:
    pass
out["mlflow"] = r.info.run_id
""", name="log.py")
    res = lineage("record", "run", "--name", "train", "-i", "data/train.csv", "--prop",
                  f"mlflow_run_id={out['mlflow']}", "--json")
    with monkeypatch.context() as m:  # joined by the rules before this join
        m.setattr(joins, "RULES_VERSION", "7")
        m.setattr(joins.JoinsHarvester, "_same_runs", lambda self, ctx, told: iter(()))
        harvest()
    assert same_as(graph()[1]) == []
    harvest()
    _, edges = graph()
    assert same_as(edges) == [(res["node"], f"run:mlflow:mlflow.db:{out['mlflow']}",
                               {"by": "mlflow_run_id", "mlflow_run_id": out["mlflow"]})]


def test_a_block_that_started_several_mlflow_runs_is_none_of_them(repo: GitRepo) -> None:
    """A sweep: one ``track_run`` block starts an MLflow run per setting. The block is no one
    of them: not joined, and the harvest says why and how to make it one."""
    out = train(repo, """
ids = []
with track_run(".", name="sweep", inputs=["data/train.csv"]) as run:
    for lr in (0.1, 0.2):
        with mlflow.start_run() as r:
            mlflow.log_param("lr", lr)
            ids.append(r.info.run_id)
out["mlflow"] = ids
out["lineage"] = run.node_id
""")
    res = harvest()
    nodes, edges = graph()
    assert nodes[out["lineage"]]["attrs"]["properties"]["mlflow_run_id"] == out["mlflow"][-1]
    assert same_as(edges) == []
    (warning,) = [w["message"] for w in res["warnings"] if w["source"] == "joins"]
    assert out["lineage"] in warning and out["mlflow"][0] in warning, warning


def test_an_mlflow_run_holding_two_blocks_is_neither(repo: GitRepo) -> None:
    """Two ``track_run`` blocks (train, then evaluate) inside one MLflow run are each a part of
    it, not the same run: neither is joined, and the harvest says so."""
    out = train(repo, """
with mlflow.start_run() as r:
    with track_run(".", name="train", inputs=["data/train.csv"]) as a:
        pass
    with track_run(".", name="evaluate", inputs=["data/train.csv"]) as b:
        pass
out["mlflow"] = r.info.run_id
out["lineage"] = [a.node_id, b.node_id]
""")
    res = harvest()
    _, edges = graph()
    assert same_as(edges) == []
    (warning,) = [w["message"] for w in res["warnings"] if w["source"] == "joins"]
    assert all(rid in warning for rid in out["lineage"]), warning
