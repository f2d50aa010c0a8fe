"""Identity joins across every connector on one repository (DESIGN §3).

The demo repository (real git, real DVC pipeline, GTO tags, governance records) gets an MLflow
SQLite tracking store as well: the committed fixture store written by real MLflow, with its
training run re-pointed at the demo's commit, its dataset at the DVC-tracked training data and
its registered version tagged with the model file's hash — the rows MLflow itself writes for
`mlflow.set_tag` / `log_input` / `set_model_version_tag`. One `lineage harvest` must then give
one connected chain: deployment record → model version (GTO tag ≡ MLflow version, by artifact
hash) → MLflow run → git commit + DVC data version (strong pin) → DVC stage → raw data.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.demo.build import build_demo
from lineage.cli.main import app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow" / "mlflow.db"
RUN = "0040115d5967485b924eca38f4d67e51"  # the fixture's run behind churn-model version 1
RUN_V2 = "3619bb2acf9d48ceb0d45801fdf21fcf"  # … and behind version 2
runner = CliRunner()


def lineage(*args: str) -> dict:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code in (0, 1), res.stdout
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    demo = build_demo(tmp_path_factory.mktemp("joins") / "demo")
    repo = demo.path
    first = lineage("harvest", "-C", str(repo))
    assert first["warnings"] == []
    res = runner.invoke(app, ["export", "-C", str(repo)])
    nodes = {n["id"]: n for n in json.loads(res.stdout)["nodes"]}
    gto_v1 = nodes["model:churn@v1.0.0"]["attrs"]
    # a CI run that re-trains on the committed pipeline of v1.0.0 and logs to MLflow
    train_commit = demo.commits["v1.0.0"]

    db = repo / "mlflow.db"
    shutil.copy(FIXTURE, db)
    con = sqlite3.connect(db)
    con.execute("UPDATE tags SET value=? WHERE run_uuid=? AND key='mlflow.source.git.commit'",
                (train_commit, RUN))
    con.execute("UPDATE tags SET value=? WHERE run_uuid=? AND key='mlflow.source.git.commit'",
                (demo.commits["v1.1.0"], RUN_V2))
    con.execute("UPDATE datasets SET dataset_source=?", (json.dumps({"uri": "data/prepared"}),))
    con.execute("UPDATE model_version_tags SET value=? WHERE name='churn-model' AND version=1 "
                "AND key='artifact_hash'", (gto_v1["artifact_hash"],))
    con.commit()
    con.close()
    (repo / "lineage.yaml").write_text("mlflow:\n  tracking_uri: sqlite:///mlflow.db\n"
                                       "model_aliases:\n  churn-model: churn\n")
    second = lineage("harvest", "-C", str(repo))
    assert second["warnings"] == [], second["warnings"]
    assert {"mlflow", "joins"} <= set(second["harvesters"])
    res = runner.invoke(app, ["export", "-C", str(repo)])
    return repo, json.loads(res.stdout)


def _edges(graph: dict, kind: str) -> set[tuple[str, str]]:
    return {(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == kind}


def test_gto_tag_and_mlflow_version_are_one_model_version(harvested) -> None:
    _, graph = harvested
    same = _edges(graph, "same_as")
    assert ("model:churn@v1.0.0", "model:churn@1") in same or \
        ("model:churn@1", "model:churn@v1.0.0") in same
    groups = {n["id"] for n in graph["nodes"] if n["kind"] == "model_group"}
    assert groups == {"model_group:churn"}  # the MLflow name joined through model_aliases


def test_mlflow_run_joins_git_commit_and_dvc_data(harvested) -> None:
    _, graph = harvested
    nodes = {n["id"]: n for n in graph["nodes"]}
    run = next(i for i in nodes if i.startswith("run:mlflow:") and i.endswith(RUN))
    code = [s for s, t in _edges(graph, "code") if t == run]
    assert len(code) == 1 and not nodes[code[0]].get("placeholder")
    assert nodes[code[0]]["attrs"]["message"].startswith("Train churn model v1.0.0")
    strong = [e for e in graph["edges"] if e["kind"] == "input" and e["target"] == run
              and e["attrs"].get("pin") == "strong"]
    assert strong, "the MLflow dataset path must be pinned to DVC's data version"
    data = nodes[strong[0]["source"]]
    assert data["attrs"]["path"] == "data/prepared" and data["attrs"]["hash"].endswith(".dir")
    # …and that data version was produced by the DVC stage from the raw data
    stage = [s for s, t in _edges(graph, "output") if t == data["id"]]
    assert stage and nodes[stage[0]]["attrs"]["name"] == "prepare"
    raw = [s for s, t in _edges(graph, "input") if t == stage[0]]
    assert any(nodes[r]["attrs"]["path"] == "data/raw.csv" for r in raw)


def test_deployment_provenance_reaches_the_mlflow_run(harvested) -> None:
    repo, _ = harvested
    prov = lineage("show", "-C", str(repo), "churn@v1.0.0")
    ids = {n["id"] for n in prov["nodes"]}
    # the GTO spelling's provenance includes the MLflow spelling and the run behind it
    assert "model:churn@1" in ids
    assert any(i.startswith("run:mlflow:") and i.endswith(RUN) for i in ids)
    res = runner.invoke(app, ["show", "-C", str(repo), "--json",
                              "deployment:churn:prod:" + _prod_time(repo)])
    assert res.exit_code == 0, res.stdout
    chain = json.loads(res.stdout)
    kinds = {n["kind"] for n in chain["nodes"]}
    assert {"deployment", "model", "run", "commit", "data", "stage"} <= kinds


def _prod_time(repo: Path) -> str:
    res = runner.invoke(app, ["export", "-C", str(repo)])
    for n in json.loads(res.stdout)["nodes"]:
        if n["kind"] == "deployment" and n["attrs"].get("environment") == "prod" \
                and n["attrs"].get("model") == "model:churn@v1.0.0":
            return n["id"].split("prod:", 1)[1]
    raise AssertionError("no GTO prod deployment of v1.0.0")
