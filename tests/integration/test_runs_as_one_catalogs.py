"""One training job that logged to MLflow and was recorded by ``track_run`` (two runs joined by
``same_as``) is one training run in the catalogs too: one DataHub ``dataProcessInstance`` (the
MLflow run's, which DataHub's own MLflow source makes) that the model version lists once as its
training job and that names the recorded run's other spelling; one Atlas process.

Real git + DVC repository, real SQLite MLflow store written by real MLflow, real training
scripts (tests/integration/test_run_join_mlflow_track.py), a real DataHub Lite file read back
through acryl-datahub's Lite API, the Atlas stand-in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import GitRepo
from tests.integration import test_run_join_mlflow_track as joined
from tests.integration.test_run_join_mlflow_track import harvest, lineage, train
from tests.integration.test_runs_as_one import JOB, mlflow_id
from tests.standins.atlas import AtlasFail, AtlasStandin

pytest.importorskip("mlflow")

# the repository of test_run_join_mlflow_track: git + DVC, data/train.csv, MLflow SQLite store
repo = joined.repo
pytest.importorskip("datahub")

runner = CliRunner()


def dirty_job(repo: GitRepo) -> dict[str, Any]:
    """The job of test_runs_as_one, trained on a dirty tree (track_run's word)."""
    repo.write("params.yaml", "lr: 0.1\n")
    repo.commit("params")
    repo.write("params.yaml", "lr: 0.2\n")
    out = train(repo, JOB)
    harvest()
    return out


def read_lite(path: Path) -> dict[str, dict[str, Any]]:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    lite = get_datahub_lite(lite_config(path, read_only=True), read_only=True)
    try:
        return {u: lite.get(u, None) or {} for u in lite.list_ids()}
    finally:
        lite.close()


def run_urn(source: str, run_id: str) -> str:
    from datahub.emitter.mce_builder import datahub_guid

    return f"urn:li:dataProcessInstance:{datahub_guid({'orchestrator': source, 'id': run_id})}"


def test_datahub_shows_the_job_as_one_training_run(repo: GitRepo) -> None:
    out = dirty_job(repo)
    lineage("push")
    entities = read_lite(repo.path / ".lineage" / "datahub-lite.db")
    runs = {u: e for u, e in entities.items() if u.startswith("urn:li:dataProcessInstance:")}
    # one instance, the one DataHub's MLflow source names the MLflow run by
    host = run_urn("mlflow", out["mlflow"])
    assert list(runs) == [host]
    props = runs[host]["dataProcessInstanceProperties"]["customProperties"]
    assert props["lineage_id"] == out["lineage"]
    assert props["same_as"] == mlflow_id(out)
    assert props["mlflow_run_id"] == out["mlflow"]
    assert props["dirty"] == "true" and props["status"] == "FINISHED"
    # the data it read, pinned by content hash (the recorded run's md5)
    edges = runs[host]["dataProcessInstanceInput"]["inputEdges"]
    assert [(e["properties"].get("path"), e["properties"]["pin"]) for e in edges] == [
        ("data/train.csv", "strong")]
    # the model version lists it once as its training job
    (model,) = [e for u, e in entities.items() if u.startswith("urn:li:mlModel:")]
    assert model["mlModelProperties"]["trainingJobs"] == [host]
    # the audit of the catalog reads the job as the store's audit does: one run, its finding
    # under the recorded run
    from lineage.cli.main import app

    def audit(*args: str) -> dict[str, Any]:
        res = runner.invoke(app, ["audit", "--json", *args])
        assert res.exit_code in (0, 1), res.output
        return dict(json.loads(res.stdout))

    store, lite = audit(), audit("--source", "datahub-lite")
    assert store["stats"]["runs"] == lite["stats"]["runs"] == 1
    assert sorted((f["rule"], f["subject"]) for f in store["findings"]) == \
        sorted((f["rule"], f["subject"]) for f in lite["findings"])


def test_atlas_shows_the_job_as_one_process(repo: GitRepo, atlas_env: AtlasStandin) -> None:
    out = dirty_job(repo)
    lineage("push", "--to", "atlas")
    run = atlas_env.entity_of("lineage_training_run", out["lineage"] + "@lineage")
    attrs = run["attributes"]
    assert attrs["properties"]["sameAs"] == mlflow_id(out)
    assert attrs["dirty"] is True and attrs["runStatus"] == "FINISHED"
    assert attrs["experiment"] == "churn"  # the MLflow spelling's fact the record lacks
    pinned = {qn.removesuffix("@lineage").rsplit("@", 1)[0].rsplit(":", 1)[-1]: pin
              for qn, pin in attrs["inputPins"].items()}
    assert pinned["data/train.csv"] == "strong"
    outputs = {atlas_env.entities[o["guid"]]["attributes"]["qualifiedName"]
               for o in attrs["outputs"]}
    assert "model:churn@1@lineage" in outputs
    with pytest.raises((KeyError, AtlasFail)):
        atlas_env.entity_of("lineage_training_run", mlflow_id(out) + "@lineage")
