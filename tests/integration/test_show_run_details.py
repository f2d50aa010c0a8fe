"""What ``lineage show`` (text) says of a run beyond its status, as ``--json`` already does:
the other spelling of one job recorded by ``track_run`` inside an MLflow run (and both statuses
when the two sources disagree), the experiment that replaced a DVC experiment run again under
its name, and the commit that added a run's record file.

Real git + DVC repositories, a real SQLite MLflow store written by a real training script,
real ``dvc exp run``, the real CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.integration import test_run_join_mlflow_track as joined
from tests.integration.test_records_committed_runs import FINISHED, clone, committer_date
from tests.integration.test_run_join_mlflow_track import harvest, train

runner = CliRunner()
repo = joined.repo  # git + DVC, data/train.csv, MLflow SQLite store; the folder is the cwd
DVC = Path(sys.executable).with_name("dvc")

JOB = """
with mlflow.start_run() as r:
    with track_run(".", name="train", inputs=["data/train.csv"]) as run:
        path = train(run)
        run.log_model(path, name="churn", version="1")
out["mlflow"] = r.info.run_id
out["lineage"] = run.node_id
"""


def show(*args: str) -> str:
    # wide enough that no table is stacked and no tree line wraps
    res = runner.invoke(app, ["show", *args], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    return res.stdout


def runs_table(text: str) -> str:
    """The ``Training run · code · data`` table of ``show MODEL@VERSION``'s text."""
    return text[text.index("Training run · code · data"):text.index("Risk tier (")]


def lines_with(text: str, word: str) -> list[str]:
    return [ln for ln in text.splitlines() if word in ln]


def test_a_joined_run_names_its_mlflow_spelling(repo: GitRepo) -> None:
    pytest.importorskip("mlflow")
    out = train(repo, JOB)
    assert harvest()["warnings"] == []
    mlflow_run = f"mlflow:mlflow.db:{out['mlflow']}"
    text = show("churn@1")
    # the runs table, under the recorded run: its MLflow spelling, no conflict
    block = runs_table(text)
    assert out["lineage"].split(":", 1)[1] in block, block
    assert f"same as run {mlflow_run}" in block, block
    assert "conflict" not in text
    # --json: the same facts under the same keys
    (run,) = json.loads(show("churn@1", "--json"))["governance"]["runs"]
    assert run["same_as"] == [f"run:{mlflow_run}"] and run["status_conflict"] is None


def test_a_joined_run_whose_sources_disagree_says_both(repo: GitRepo) -> None:
    """The training block finished (track_run: FINISHED), the evaluation after it raised
    inside ``mlflow.start_run()`` (MLflow: FAILED): both words, and that they conflict."""
    pytest.importorskip("mlflow")
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
    block = runs_table(show("churn@1"))
    assert "status conflict" in block, block
    assert "FINISHED (lineage)" in block and "FAILED (mlflow)" in block, block
    assert f"same as run mlflow:mlflow.db:{out['mlflow']}" in block, block
    (run,) = json.loads(show("churn@1", "--json"))["governance"]["runs"]
    assert run["status"] == "FAILED" and run["status_conflict"]


@pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed")
def test_a_replaced_experiment_names_the_one_that_replaced_it(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.dvc("init", "-q")
    r.write("params.yaml", "lr: 0.1\n")
    r.write("train.py", 'open("out.txt", "w").write(open("params.yaml").read())\n')
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
            "    deps: [train.py]\n    params: [lr]\n    outs: [out.txt]\n")
    r.commit("baseline")
    r.dvc("exp", "run", "-q", "-n", "e1", "-S", "lr=0.2")
    first = r.git("for-each-ref", "--format=%(objectname)", "refs/exps/*/*/e1")
    api.init(r.path)
    api.harvest(r.path)
    r.dvc("exp", "run", "-q", "-f", "-n", "e1", "-S", "lr=0.3")
    second = r.git("for-each-ref", "--format=%(objectname)", "refs/exps/*/*/e1")
    api.harvest(r.path)

    text = show(f"run:dvc-exp:{first}", "-C", str(r.path))
    (line,) = lines_with(text, f"dvc-exp:{first}")
    assert f"(replaced by dvc-exp:{second})" in line, line
    assert "(deleted)" not in line
    live = show(f"run:dvc-exp:{second}", "-C", str(r.path))
    assert "replaced by" not in live and "(deleted)" not in live
    doc = json.loads(show(f"run:dvc-exp:{first}", "-C", str(r.path), "--json"))
    (node,) = [n for n in doc["nodes"] if n["id"] == f"run:dvc-exp:{first}"]
    assert node["attrs"]["properties"]["replaced_by"] == f"run:dvc-exp:{second}"


def test_a_run_from_a_committed_record_says_its_commit(git_repo: GitRepo,
                                                      tmp_path: Path) -> None:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("start")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    sha = git_repo.commit("record the training run")
    ci = clone(git_repo, tmp_path / "ci")
    text = show("run:lineage:train-1", "-C", str(ci))
    (line,) = lines_with(text, "lineage:train-1")
    assert (f"recorded in commit {sha[:12]} on {committer_date(git_repo, sha)}") in line, line
    doc = json.loads(show("run:lineage:train-1", "-C", str(ci), "--json"))
    (node,) = [n for n in doc["nodes"] if n["id"] == "run:lineage:train-1"]
    assert node["attrs"]["committed_in"] == sha


def test_a_run_recorded_by_the_store_says_no_commit(git_repo: GitRepo) -> None:
    """A record file not committed: the run has no commit; the line says none."""
    git_repo.write("README.md", "churn\n")
    git_repo.commit("start")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    text = show("run:lineage:train-1", "-C", str(git_repo.path))
    assert "recorded in commit" not in text
