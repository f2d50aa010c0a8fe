"""A failed OpenLineage attempt produced no model version. Airflow retries a task under a new
runId: try 1 ends FAIL (or ABORT), try 2 ends COMPLETE, and both name the model file as their
output at the registration commit. Only the attempt that completed produced the version: the
PRODUCED edge, and DataHub's ``trainingJobs``, name it alone; the failed attempt keeps its run
and the OUTPUT edge of what it wrote. A run stored as COMPLETE whose later event says FAIL
(a task marked failed afterwards) loses the version, withdrawn in the trail; a run seen RUNNING
at one harvest and COMPLETE at the next gets it at the second. On a real git + DVC + GTO
repository, harvested and pushed to DataHub Lite through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

pytest.importorskip("dvc")
pytest.importorskip("datahub")

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0"
TRY1 = "01900000-0000-7000-8000-000000000001"
TRY2 = "01900000-0000-7000-8000-000000000002"
MODEL = "model:churn@v1.0.0"
runner = CliRunner()


def lineage(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """models/churn.json added with DVC, declared a GTO artifact and registered as
    churn@v1.0.0 at the commit that added it (2026-01-01T01:00Z)."""
    r = git_repo
    r.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    r.dvc("init", "-q")
    r.write("models/churn.json", '{"w": 1}\n')
    r.dvc("add", "-q", "models/churn.json")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.json\n    type: model\n")
    r.commit("model")
    r.git("tag", "-a", "churn@v1.0.0", "-m", "Registering artifact churn version v1.0.0")
    api.init(r.path)
    return r


def event(repo: GitRepo, run: str, state: str, at: str) -> dict[str, Any]:
    """An Airflow task's event: the model file as its output (no md5), its code the
    registration commit, its sourceCodeLocation as Airflow's provider writes it."""
    sha = repo.git("rev-parse", "HEAD")
    return {"eventType": state, "eventTime": at, "producer": PRODUCER,
            "run": {"runId": run},
            "job": {"namespace": "airflow", "name": "churn.train", "facets": {
                "sourceCodeLocation": {
                    "_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/"
                    "1-0-0/SourceCodeLocationJobFacet.json", "type": "git",
                    "url": f"https://github.com/acme/churn/blob/{sha}/dags/churn.py",
                    "repoUrl": "https://github.com/acme/churn.git", "version": sha}}},
            "inputs": [], "outputs": [{"namespace": "file", "name": "models/churn.json"}]}


def append(repo: GitRepo, *events: dict[str, Any]) -> None:
    path = repo.path / "openlineage" / "airflow.jsonl"
    path.parent.mkdir(exist_ok=True)
    with path.open("a") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


def produced(repo: GitRepo) -> list[str]:
    graph = api.open_store(repo.path).load_graph()
    return sorted(e.source for e in graph.in_edges(MODEL, EdgeKind.PRODUCED))


def outputs(repo: GitRepo, run: str) -> list[str]:
    graph = api.open_store(repo.path).load_graph()
    return sorted(e.target for e in graph.out_edges(f"run:openlineage:{run}", EdgeKind.OUTPUT))


def training_jobs(repo: GitRepo) -> dict[str, str | None]:
    """``lineage push`` to DataHub Lite, read back through acryl-datahub's Lite API: the model
    version's ``trainingJobs`` → each run's lineage id and result (SUCCESS, FAILURE)."""
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    lineage(repo, "push")
    lite = get_datahub_lite(lite_config(Path(repo.path / ".lineage" / "datahub-lite.db"),
                                        read_only=True), read_only=True)
    try:
        (urn,) = [u for u in lite.list_ids() if u.startswith("urn:li:mlModel:")
                  and "churn_v1.0.0" in u]
        jobs = (lite.get(urn, None)["mlModelProperties"].get("trainingJobs") or [])
        out = {}
        for job in jobs:
            dpi = lite.get(job, None)
            lid = dpi["dataProcessInstanceProperties"]["customProperties"]["lineage_id"]
            result = (dpi.get("dataProcessInstanceRunEvent") or {}).get("result") or {}
            out[lid] = result.get("type")
        return out
    finally:
        lite.close()


@pytest.mark.parametrize("ended", ["FAIL", "ABORT"])
def test_only_the_attempt_that_completed_produced_the_version(repo: GitRepo,
                                                               ended: str) -> None:
    append(repo, event(repo, TRY1, "START", "2025-12-31T22:00:00Z"),
           event(repo, TRY1, ended, "2025-12-31T22:05:00Z"),
           event(repo, TRY2, "START", "2025-12-31T22:10:00Z"),
           event(repo, TRY2, "COMPLETE", "2025-12-31T23:00:00Z"))
    lineage(repo, "harvest")
    assert produced(repo) == [f"run:openlineage:{TRY2}"]
    # the failed attempt is still shown as what it was, with what it wrote
    assert outputs(repo, TRY1) == ["data:file:models/churn.json@unversioned"]
    shown = lineage(repo, "show", "churn@v1.0.0")
    assert TRY2 in shown and TRY1 not in shown, shown
    assert training_jobs(repo) == {f"run:openlineage:{TRY2}": "SUCCESS"}


def test_a_run_marked_failed_after_it_completed_loses_the_version(repo: GitRepo) -> None:
    append(repo, event(repo, TRY2, "START", "2025-12-31T22:10:00Z"),
           event(repo, TRY2, "COMPLETE", "2025-12-31T23:00:00Z"))
    lineage(repo, "harvest")
    assert produced(repo) == [f"run:openlineage:{TRY2}"]
    assert training_jobs(repo) == {f"run:openlineage:{TRY2}": "SUCCESS"}
    # the task is marked failed in Airflow afterwards: its listener sends FAIL
    append(repo, event(repo, TRY2, "FAIL", "2025-12-31T23:30:00Z"))
    out = json.loads(lineage(repo, "harvest", "--json"))
    assert out["harvesters"]["joins"]["edges_withdrawn"] == {"produced": 1}
    assert produced(repo) == []
    assert training_jobs(repo) == {}
    log = json.loads(lineage(repo, "log", "--json"))
    joins = [e for e in log if e["kind"] == "harvest" and e["payload"]["harvester"] == "joins"]
    assert joins[-1]["payload"]["edges_withdrawn"] == {"produced": 1}
    assert json.loads(lineage(repo, "verify", "--json"))["ok"] is True


def test_a_run_running_at_one_harvest_gets_the_version_when_it_completes(
        repo: GitRepo) -> None:
    append(repo, event(repo, TRY2, "START", "2025-12-31T22:10:00Z"),
           event(repo, TRY2, "RUNNING", "2025-12-31T22:20:00Z"))
    lineage(repo, "harvest")
    assert produced(repo) == []  # its output is not final yet
    assert outputs(repo, TRY2) == ["data:file:models/churn.json@unversioned"]
    append(repo, event(repo, TRY2, "COMPLETE", "2025-12-31T23:00:00Z"))
    lineage(repo, "harvest")
    assert produced(repo) == [f"run:openlineage:{TRY2}"]
    assert training_jobs(repo) == {f"run:openlineage:{TRY2}": "SUCCESS"}
