"""The audit of a DataHub Lite file `lineage push` wrote gives the store's findings, also for the
facts DataHub has no field for: runs deleted in MLflow and a strong pin to a data version no
DVC file records.

The repository is the one of test_audit_mlflow_runs: a real git history whose DVC versions of
data/train.csv are written the way the git and DVC harvesters shape them (``first_commit`` and
a DEFINES edge), a real MLflow SQLite store harvested with the joins. On top of it, a run
tracked with ``track_run`` after data/train.csv changed without ``dvc add`` (its strong pin is
to a version DVC never recorded), and two runs deleted in MLflow (one produced a model version,
so it stays audited). Everything goes through the CLI: push, audit of the store, audit of Lite.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.mlflow_history import (
    EXPECTED,
    delete_in_mlflow,
    dvc_versions_repo,
    mlflow_run,
    write_history,
)

pytest.importorskip("datahub")

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """test_audit_mlflow_runs's repository: DVC versions v1, v2 of data/train.csv recorded at
    two commits, the MLflow runs trained at v1's commit and at a later one."""
    return dvc_versions_repo(git_repo, monkeypatch)


# the day after today: --as-of leaves out runs started after it, and the tracked run starts now
AS_OF = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


def _audit(repo: Path, *source: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "--repo", str(repo), "--as-of", AS_OF,
                              "--format", "json", *source])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]  # type: ignore[no-any-return]


def test_store_and_datahub_lite_audits_agree(repo: GitRepo) -> None:
    from connectors.tracking import track_run

    api.harvest(repo.path, only=["mlflow", "joins"])
    # data/train.csv changed after the last `dvc add`: the run pins a version DVC never recorded
    repo.write("data/train.csv", "a,b\n1,2\n")
    repo.commit("more data, forgot dvc add")
    with track_run(repo.path, name="retrain", run_id="r" * 32) as tracked:
        tracked.log_input("data/train.csv")
    write_history(repo, repo.path / ".lineage", {})  # git harvest of the new commit
    delete_in_mlflow(repo, "broken", "baseline")
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # the deleted baseline (it produced churn-model@1) names a commit git lacks
        conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                     "run_uuid=?", ("0" * 40, EXPECTED["run_ids"]["baseline"]))
    conn.close()
    api.harvest(repo.path, only=["mlflow", "joins"])

    local = _audit(repo.path)
    found = {(f["rule"], f["subject"]): f["message"] for f in local}
    tracked_run = "run:lineage:" + "r" * 32
    assert "which no DVC file in the history records" in found[("run-data-pinned", tracked_run)]
    assert not [k for k in found if k[1] == mlflow_run("broken")]
    assert ("run-data-pinned", mlflow_run("tuned")) not in found  # its MLflow input joined to DVC v1
    assert found[("run-code-pinned", mlflow_run("baseline"))].startswith(
        f"{mlflow_run('baseline')} (deleted in MLflow, but it produced churn-model@1)")

    push = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "datahub-lite", "--json"])
    assert push.exit_code == 0, push.output
    lite = repo.path / ".lineage" / "datahub-lite.db"
    assert lite.exists()
    remote = _audit(repo.path, "--source", "datahub-lite", str(lite))
    assert [(f["rule"], f["subject"], f["message"]) for f in remote] == \
        [(f["rule"], f["subject"], f["message"]) for f in local]
    assert remote == local
    # a new commit nothing in DataHub depends on: the store changed, so the graph is rendered
    # again and every entity's view compared, and none changed
    repo.commit("docs")
    write_history(repo, repo.path / ".lineage", {})
    again = json.loads(runner.invoke(app, ["push", "-C", str(repo.path), "--to",
                                           "datahub-lite", "--json"]).stdout)
    assert (again["written"], again["failed"]) == (0, 0)
    assert again["unchanged"] == json.loads(push.stdout)["written"]
