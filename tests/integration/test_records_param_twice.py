"""A param (or property) given twice on the command line with two values is refused: the
record would keep the last one without a word, and a run has one value per param (MLflow
refuses to change a logged param). A metric given twice takes the last value, as MLflow's
latest metric does."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo, store_state

runner = CliRunner()


@pytest.fixture
def repo(churn_repo: GitRepo) -> GitRepo:
    return churn_repo


@pytest.mark.parametrize(("option", "kind"), [("--param", "run"), ("--prop", "run"),
                                              ("--prop", "alert")])
def test_a_key_given_twice_with_two_values_is_refused(repo: GitRepo, option: str,
                                                      kind: str) -> None:
    before = store_state(repo)
    extra = ["--model", "churn@v1", "--metric", "psi"] if kind == "alert" else []
    res = runner.invoke(app, ["record", kind, "-C", str(repo.path), *extra,
                              option, "lr=0.1", option, "lr=0.2"])
    assert res.exit_code == 2, res.output
    assert f"{option} lr" in res.stderr and "0.1" in res.stderr and "0.2" in res.stderr
    assert "Traceback" not in res.output
    assert store_state(repo) == before


def test_the_same_value_twice_and_a_metric_twice_are_fine(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--param", "lr=0.1",
                              "--param", "lr=0.1", "--metric", "auc=0.8", "--metric",
                              "auc=0.9", "--json"])
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)["record"]
    assert record["params"] == {"lr": 0.1} and record["metrics"] == {"auc": 0.9}
