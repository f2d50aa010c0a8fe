"""A CD job's `lineage record` steps are retried as they are (a CI step retry after a timeout,
a lost runner, a re-run job): the same command again is the same record, which changes
nothing, instead of failing (a run's end) or recording a second, ghost deployment.

Real git repositories, the CLI through typer's runner, the store read back."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.integration.test_record_deployment_gto import ENDPOINT, Churn

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    git_repo.write("data/train.csv", "a,b\n1,2\n")
    git_repo.write("models/churn.json", '{"w": 0}\n')  # tracked: training rewrites it
    git_repo.commit("data and model")
    api.init(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    return git_repo


def _lineage(repo: GitRepo, *args: str) -> Result:
    return runner.invoke(app, [*args[:2], "-C", str(repo.path), *args[2:]])


def _run(repo: GitRepo, *args: str) -> Result:
    return _lineage(repo, "record", "run", "--run-id", "r1", "--name", "train", *args, "--json")


def _run_node(repo: GitRepo) -> dict[str, Any]:
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r1")
        assert node is not None
        return dict(node.attrs)


FINISH = ("--status", "FINISHED", "--model", "churn@v1.0.0=models/churn.json")


@pytest.mark.parametrize("end", [(), ("--end", "2026-01-15T10:42:00Z")],
                         ids=["end-now", "explicit-end"])
def test_retrying_the_step_that_finishes_a_run_changes_nothing(repo: GitRepo,
                                                               end: tuple[str, ...]) -> None:
    """README's pattern: RUNNING, the training rewrites a git-tracked file, FINISHED; the
    FINISHED step run again as it was (no --end: its end was "now") is exit 0, 0 facts."""
    assert _run(repo, "--status", "RUNNING", "-i", "data/train.csv").exit_code == 0
    repo.write("models/churn.json", '{"w": 1}\n')  # the work tree is dirty now
    first = _run(repo, *FINISH, *end)
    assert first.exit_code == 0, first.output
    stored = _run_node(repo)
    assert stored["dirty"] is False  # as checked when the run started

    time.sleep(1.1)  # "now", to the second, has moved on
    retry = _run(repo, *FINISH, *end)
    assert retry.exit_code == 0, retry.output
    out = json.loads(retry.stdout)
    assert out["facts_written"] == 0
    assert out["record"]["end_time"] == stored["end_time"]
    assert _run_node(repo) == stored
    assert _lineage(repo, "verify", "--json").exit_code == 0


def test_a_retry_that_really_differs_is_still_refused(repo: GitRepo) -> None:
    assert _run(repo, "--status", "RUNNING", "-i", "data/train.csv").exit_code == 0
    repo.write("models/churn.json", '{"w": 1}\n')
    assert _run(repo, *FINISH).exit_code == 0
    stored = _run_node(repo)

    failed = _run(repo, "--status", "FAILED")  # another status
    assert failed.exit_code == 2
    assert "says otherwise about" in failed.output and "status" in failed.output

    repo.write("models/churn.json", '{"w": 2}\n')  # another model: other bytes
    other = _run(repo, *FINISH)
    assert other.exit_code == 2
    assert "churn@v1.0.0 is already recorded with artifact hash" in other.output

    later = _run(repo, *FINISH, "--end", "2030-01-01T00:00:00Z")  # another end
    assert later.exit_code == 2
    assert "end_time" in later.output
    assert _run_node(repo) == stored


def test_a_run_recorded_finished_at_once_is_retried_too(repo: GitRepo) -> None:
    """No RUNNING step: the first record checks the work tree; its retry, after the job wrote
    more tracked files, is judged as the run was recorded."""
    repo.write("models/churn.json", '{"w": 1}\n')
    first = _run(repo, *FINISH)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["record"]["dirty"] is True
    repo.write("data/train.csv", "a,b\n1,2\n")  # unchanged content, rewritten
    time.sleep(1.1)  # "now", to the second, has moved on
    retry = _run(repo, *FINISH)
    assert retry.exit_code == 0, retry.output
    assert json.loads(retry.stdout)["facts_written"] == 0


def test_retrying_with_write_file_keeps_the_file(repo: GitRepo) -> None:
    assert _run(repo, "--status", "RUNNING", "--write-file").exit_code == 0
    repo.write("models/churn.json", '{"w": 1}\n')
    first = _run(repo, *FINISH, "--write-file")
    assert first.exit_code == 0, first.output
    path = repo.path / json.loads(first.stdout)["file"]
    text = path.read_text()
    assert "status: FINISHED" in text
    retry = _run(repo, *FINISH, "--write-file")
    assert retry.exit_code == 0, retry.output
    assert json.loads(retry.stdout)["facts_written"] == 0
    assert path.read_text() == text
    repo.commit("the run's record")
    harvested = _lineage(repo, "harvest", "--json")
    assert harvested.exit_code == 0, harvested.output


# -- deployments ---------------------------------------------------------------------------


def _deploy(repo: GitRepo, *args: str) -> Result:
    return _lineage(repo, "record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                    *args, "--json")


def _live(repo: GitRepo) -> list[str]:
    with api.open_store(repo.path) as store:
        return sorted(n.id for n in store.iter_nodes("deployment")
                      if not n.attrs.get("retired_at"))


def test_the_same_deployment_recorded_twice_is_one_deployment(repo: GitRepo) -> None:
    first = _deploy(repo, "--endpoint", ENDPOINT)
    assert first.exit_code == 0, first.output
    node = json.loads(first.stdout)["node"]

    again = _deploy(repo, "--endpoint", ENDPOINT)  # the CD step retried
    assert again.exit_code == 0, again.output
    out = json.loads(again.stdout)
    assert out["node"] == node and out["facts_written"] == 0
    [warning] = out["warnings"]
    assert node.removeprefix("deployment:") in warning and "--id" in warning
    assert _live(repo) == [node]

    # retiring it leaves no ghost deployment live
    at = out["record"]["deployed_at"]
    retired = _deploy(repo, "--deployed-at", at, "--retired-at", at)
    assert retired.exit_code == 0, retired.output
    assert _live(repo) == []
    shown = _lineage(repo, "show", "churn@v1.0.0")
    assert shown.exit_code == 0, shown.output
    assert "state: live" not in shown.stdout and "state: retired" in shown.stdout


def test_other_deployments_are_still_recorded_apart(repo: GitRepo) -> None:
    a = json.loads(_deploy(repo, "--endpoint", ENDPOINT).stdout)["node"]
    region = _deploy(repo, "--endpoint", "https://eu.models.example.com/churn")
    assert region.exit_code == 0 and json.loads(region.stdout)["warnings"] == []
    own = _deploy(repo, "--endpoint", ENDPOINT, "--id", "pipeline-4711")
    assert own.exit_code == 0 and json.loads(own.stdout)["node"] == "deployment:pipeline-4711"
    assert len(_live(repo)) == 3 and a in _live(repo)
    # the retry of a deployment recorded with its --id is that one (the id names it)
    again = _deploy(repo, "--endpoint", ENDPOINT, "--id", "pipeline-4711")
    assert json.loads(again.stdout)["facts_written"] == 0
    # once retired, the same version deployed again is a new deployment
    at = json.loads(_deploy(repo, "--endpoint", "https://eu.models.example.com/churn")
                    .stdout)["record"]["deployed_at"]
    assert _deploy(repo, "--deployed-at", at, "--retired-at", "2099-01-01T00:00:00Z",
                   "--endpoint", "https://eu.models.example.com/churn").exit_code == 0
    redeploy = _deploy(repo, "--endpoint", "https://eu.models.example.com/churn")
    assert json.loads(redeploy.stdout)["facts_written"] > 0
    assert len(_live(repo)) == 3


def test_the_retry_of_a_deployment_gto_made_completes_it_once(git_repo: GitRepo) -> None:
    churn = Churn(git_repo)
    gto = churn.assign("churn#prod#2", churn.c2)
    args = ("--model", "churn@v1.2.0", "--env", "prod", "--endpoint", ENDPOINT, "--json")
    first = json.loads(churn.record(*args).stdout)
    again = json.loads(churn.record(*args).stdout)
    assert first["node"] == again["node"] == gto
    assert again["facts_written"] == 0
    churn.harvest()
    assert list(churn.deployments("v1.2.0")) == [gto]
