"""The audit of runs harvested from a real MLflow store and joined to DVC data: a dataset the
joins pinned strong is no finding; a run deleted in MLflow is not audited unless it produced a
model version.

The git and DVC facts are written into the store the way their harvesters shape them (a data
node per path + hash with ``first_commit`` and a DEFINES edge), from a real git history.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lineage import api, ids
from lineage.audit import run_audit
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import Store
from tests.conftest import GitRepo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
MD5_V1 = "md5:11111111111111111111111111111111"
MD5_V2 = "md5:22222222222222222222222222222222"


def _run(name: str) -> str:
    return f"run:mlflow:mlflow.db:{EXPECTED['run_ids'][name]}"


def _write_history(repo: GitRepo, store_dir: Path, dvc: dict[str, dict[str, str]]) -> None:
    log = repo.git("log", "--format=%H %P|%cI|%cn").splitlines()
    key = ids.repo_key(ids.repository_id(None, log[-1].split()[0]))
    items: list[Node | Edge] = []
    for line in reversed(log):
        shas, time, name = line.split("|")
        sha, *parents = shas.split()
        items.append(Node.make(NodeKind.COMMIT, ids.commit_id(sha), sha=sha, parents=parents,
                               committer={"name": name, "time": time}))
        items += [Edge.make(EdgeKind.PARENT, ids.commit_id(p), ids.commit_id(sha))
                  for p in parents]
        for path, h in dvc.get(sha, {}).items():
            did = ids.data_id(key, path, h)
            items.append(Node.make(NodeKind.DATA, did, path=path, hash=h, hash_kind="md5",
                                   first_commit=sha))
            items.append(Edge.make(EdgeKind.DEFINES, ids.commit_id(sha), did))
    store = Store.open(store_dir)
    with store.transaction():
        store.upsert(items)
        store.append_event("harvest", "test", {"harvester": "git+dvc (simulated)"})
    store.close()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    r = git_repo
    r.write("dvc.lock", "v1\n")
    c1 = r.commit("data v1")
    r.write("dvc.lock", "v2\n")
    c2 = r.commit("data v2")
    r.write("train.py", "print(1)\n")
    c3 = r.commit("tune")
    shutil.copy(FIXTURES / "mlflow.db", r.path / "mlflow.db")
    conn = sqlite3.connect(r.path / "mlflow.db")
    with conn:  # the runs were trained at these commits; "broken" names a commit git lacks
        for run, sha in (("baseline", c1), ("tuned", c3)):
            conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                         "run_uuid=?", (sha, EXPECTED["run_ids"][run]))
    conn.close()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    _write_history(r, api.init(r.path), {c1: {"data/train.csv": MD5_V1},
                                         c2: {"data/train.csv": MD5_V2}})
    return r


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
        assert ("run-data-pinned", _run(run)) not in found, found.get(
            ("run-data-pinned", _run(run)))


def _delete_in_mlflow(repo: GitRepo, *runs: str) -> None:
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:
        for run in runs:
            conn.execute("UPDATE runs SET lifecycle_stage='deleted' WHERE run_uuid=?",
                         (EXPECTED["run_ids"][run],))
    conn.close()


def test_deleted_mlflow_runs(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow", "joins"])
    before = _findings(repo)
    assert ("run-code-pinned", _run("broken")) in before
    _delete_in_mlflow(repo, "broken", "baseline")
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # and the deleted baseline turns out to name a commit git lacks
        conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                     "run_uuid=?", ("0" * 40, EXPECTED["run_ids"]["baseline"]))
    conn.close()
    api.harvest(repo.path, only=["mlflow", "joins"])
    store = api.open_store(repo.path)
    assert store.load_graph().attrs(_run("broken"))["properties"]["lifecycle_stage"] == \
        "deleted"
    store.close()
    after = _findings(repo)
    # the deleted experiment that produced nothing is no longer audited ...
    assert not [k for k in after if k[1] == _run("broken")]
    assert not [k for k in after if _run("broken") in after[k]]
    # ... the deleted run that produced churn-model version 1 still is, and says so
    assert after[("run-code-pinned", _run("baseline"))].startswith(
        f"run {_run('baseline')} (deleted in MLflow, but it produced churn-model@1): its commit "
        "000000000000 is not in the repository history")
