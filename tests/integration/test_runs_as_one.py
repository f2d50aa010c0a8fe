"""One training job that logged to MLflow and was recorded by ``track_run`` is one run for
``lineage show`` and ``lineage audit``, not two: the ``joins`` harvester declares
``run:lineage:…`` same_as ``run:mlflow:…`` (tests/integration/test_run_join_mlflow_track.py),
and everything after reads them as one run class, as it reads two registries' spellings of one
model version as one version.

Real git + DVC repository, real SQLite MLflow store written by real MLflow, real training
scripts run as a user runs them (``python train.py``), then ``lineage harvest``, ``lineage show
--json`` and ``lineage audit --json``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import GitRepo
from tests.integration import test_run_join_mlflow_track as joined
from tests.integration.test_run_join_mlflow_track import harvest, lineage, train

pytest.importorskip("mlflow")

# the repository of test_run_join_mlflow_track: git + DVC, data/train.csv, MLflow SQLite store
repo = joined.repo

runner = CliRunner()

# the job: MLflow logs the DataFrame it trained on (a dataset MLflow names by its digest only,
# source: code), track_run pins data/train.csv by the md5 of the bytes read; the version is
# registered in MLflow from the run and recorded by track_run: one model node, two runs
JOB = """
with mlflow.start_run() as r:
    with track_run(".", name="train", inputs=["data/train.csv"]) as run:
        df = pd.read_csv("data/train.csv")
        mlflow.log_input(mlflow.data.from_pandas(df, name="train"), context="training")
        path = train(run)
        run.log_model(path, name="churn", version="1")
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
out["version"] = register(r.info.run_id, path)
"""


def audit(*args: str) -> dict[str, Any]:
    from lineage.cli.main import app

    res = runner.invoke(app, ["audit", "--json", *args])
    assert res.exit_code in (0, 1), res.output
    return dict(json.loads(res.stdout))


def run_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["subject"].startswith("run:")
            or f["rule"] == "model-has-run"]


def mlflow_id(out: dict[str, Any]) -> str:
    return f"run:mlflow:mlflow.db:{out['mlflow']}"


def test_show_and_audit_count_the_job_once(repo: GitRepo) -> None:
    """``lineage show`` lists one run, under the run lineage recorded, naming its MLflow
    spelling, with the data it read pinned by content hash; the audit counts one run and
    judges it once: the DataFrame MLflow logged without a path is the file the recorded run
    pinned, so run-data-pinned passes."""
    out = train(repo, JOB)
    assert harvest()["warnings"] == []
    gov = lineage("show", "churn@1", "--json")["governance"]
    (run,) = gov["runs"]
    assert run["id"] == out["lineage"]
    assert run["same_as"] == [mlflow_id(out)]
    assert run["status"] == "FINISHED" and run["status_conflict"] is None
    assert run["dirty"] is False
    pins = {i["path"]: i["pin"] for i in run["inputs"] if i["covered_by"] is None}
    assert pins == {"data/train.csv": "strong"}
    report = audit()
    assert report["stats"]["runs"] == 1
    assert run_findings(report) == []


def test_a_file_only_mlflow_logged_is_one_finding_naming_both(repo: GitRepo) -> None:
    """An input only the MLflow spelling logged, by a path no DVC file tracks, is data the
    recorded run left out: one run-data-pinned finding, under the recorded run, naming its
    MLflow spelling, not a finding per spelling."""
    repo.write("data/extra.csv", "z\n5\n")
    out = train(repo, JOB.replace(
        'path = train(run)',
        'mlflow.log_input(mlflow.data.from_pandas(pd.read_csv("data/extra.csv"), '
        'source="data/extra.csv"), context="training")\n        path = train(run)'))
    harvest()
    report = audit()
    (f,) = [f for f in report["findings"] if f["rule"] == "run-data-pinned"]
    assert f["subject"] == out["lineage"]
    assert mlflow_id(out) in f["message"] and "data/extra.csv" not in f["subject"]
    assert "mlflow.log_input" in f["remediation"]  # the tracker that logged it says how
    assert mlflow_id(out) in f["evidence"]


def test_one_source_failed_the_other_finished_is_said(repo: GitRepo) -> None:
    """The training block finished (track_run recorded FINISHED) and the evaluation after it
    raised inside ``mlflow.start_run()`` (MLflow: FAILED): the job did not finish by every
    account. The audit does not take either word over the other: model-has-run fails saying
    both, and ``lineage show`` gives the status that says so with the conflict."""
    out = train(repo, """
try:
    with mlflow.start_run() as r:
        with track_run(".", name="train", inputs=["data/train.csv"]) as run:
            path = train(run)
            run.log_model(path, name="churn", version="1")
        raise RuntimeError("evaluation failed")
except RuntimeError:
    pass
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
""")
    harvest()
    (run,) = lineage("show", "churn@1", "--json")["governance"]["runs"]
    assert run["statuses"] == {out["lineage"]: "FINISHED", mlflow_id(out): "FAILED"}
    assert run["status"] == "FAILED"
    assert out["lineage"] in run["status_conflict"] and "MLflow tracking server" in \
        run["status_conflict"]
    report = audit()
    (f,) = [f for f in report["findings"] if f["rule"] == "model-has-run"]
    assert "FINISHED" in f["message"] and "FAILED" in f["message"], f["message"]
    assert "waive model-has-run" in f["remediation"]


def test_a_dirty_tree_is_the_recorded_runs_word_for_the_job(repo: GitRepo) -> None:
    """track_run saw uncommitted changes (MLflow says nothing of the tree): the job was
    trained on a dirty tree; one run-code-pinned finding, naming both spellings."""
    repo.write("params.yaml", "lr: 0.1\n")
    repo.commit("params")
    repo.write("params.yaml", "lr: 0.2\n")  # changed, not committed
    out = train(repo, JOB)
    harvest()
    (run,) = lineage("show", "churn@1", "--json")["governance"]["runs"]
    assert run["dirty"] is True
    report = audit()
    (f,) = [f for f in report["findings"] if f["rule"] == "run-code-pinned"]
    assert f["subject"] == out["lineage"] and mlflow_id(out) in f["message"]
    assert "dirty" in f["message"]


def test_a_waiver_naming_the_mlflow_run_covers_the_job(repo: GitRepo) -> None:
    """A waiver written for the MLflow run's finding (before the two were joined) waives the
    job's finding: it names a spelling of that run."""
    repo.write("params.yaml", "lr: 0.1\n")
    repo.commit("params")
    repo.write("params.yaml", "lr: 0.2\n")
    out = train(repo, JOB)
    harvest()
    repo.write("policy.yaml", "waivers:\n"
               f"  - {{rule: run-code-pinned, node: '{mlflow_id(out)}', owner: ml-lead, "
               "reason: experiment, expires: '2099-01-01'}\n")
    report = audit("--policy", str(repo.path / "policy.yaml"))
    assert [f for f in report["findings"] if f["rule"] == "run-code-pinned"] == []
    assert [f["subject"] for f in report["waived"]] == [out["lineage"]]


def test_runs_that_are_not_joined_stay_two(repo: GitRepo) -> None:
    """An MLflow run and a recorded run with no evidence that they are one job are two runs
    for the audit, each judged."""
    train(repo, """
with mlflow.start_run() as r:
    pass
""", name="log.py")
    train(repo, """
with track_run(".", name="train", inputs=["data/train.csv"]) as run:
    pass
""")
    harvest()
    assert audit()["stats"]["runs"] == 2
