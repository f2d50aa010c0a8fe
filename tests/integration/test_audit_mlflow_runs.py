"""The audit of runs harvested from a real MLflow store and joined to DVC data: a dataset the
joins pinned strong is no finding; a run deleted in MLflow is not audited unless it produced a
model version.

The git and DVC facts are written into the store the way their harvesters shape them (a data
node per path + hash with ``first_commit`` and a DEFINES edge), from a real git history.
"""

from __future__ import annotations

import sqlite3

import pytest

from lineage import api
from lineage.audit import run_audit
from tests.conftest import GitRepo
from tests.mlflow_history import (
    EXPECTED,
    delete_in_mlflow,
    dvc_versions_repo,
    mlflow_run,
)


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """DVC versions v1, v2 of data/train.csv recorded at the first two commits; the runs
    trained at v1's commit and at the third ("broken" names a commit git lacks)."""
    return dvc_versions_repo(git_repo, monkeypatch)


def _findings(repo: GitRepo) -> dict[tuple[str, str], str]:
    store = api.open_store(repo.path)
    try:
        return {(f.rule, f.subject): f.message for f in run_audit(store).findings}
    finally:
        store.close()


def test_mlflow_dataset_joined_to_dvc_is_pinned(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow", "joins"])
    found = _findings(repo)
    for run in ("baseline", "tuned"):
        assert ("run-data-pinned", mlflow_run(run)) not in found, found.get(
            ("run-data-pinned", mlflow_run(run)))


def test_deleted_mlflow_runs(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow", "joins"])
    before = _findings(repo)
    assert ("run-code-pinned", mlflow_run("broken")) in before
    delete_in_mlflow(repo, "broken", "baseline")
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # and the deleted baseline turns out to name a commit git lacks
        conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                     "run_uuid=?", ("0" * 40, EXPECTED["run_ids"]["baseline"]))
    conn.close()
    api.harvest(repo.path, only=["mlflow", "joins"])
    store = api.open_store(repo.path)
    assert store.load_graph().attrs(mlflow_run("broken"))["properties"]["lifecycle_stage"] == \
        "deleted"
    store.close()
    after = _findings(repo)
    # the deleted experiment that produced nothing is no longer audited ...
    assert not [k for k in after if k[1] == mlflow_run("broken")]
    assert not [k for k in after if mlflow_run("broken") in after[k]]
    # ... the deleted run that produced churn-model version 1 still is, and says so
    assert after[("run-code-pinned", mlflow_run("baseline"))].startswith(
        f"{mlflow_run('baseline')} (deleted in MLflow, but it produced churn-model@1): its commit "
        "000000000000 is not in the repository history")
