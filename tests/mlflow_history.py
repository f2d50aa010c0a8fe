"""A real git history next to the MLflow fixture store, with the git and DVC facts written the
way their harvesters shape them: the set-up of the tests that join and audit MLflow runs
(test_runs_joins, test_audit_mlflow_runs, test_audit_datahub_roundtrip).

The history has three commits: data v1 (``c1``), data v2 (``c2``), a code change (``c3``). The
fixture store's ``baseline`` run was trained at ``c1`` and its ``tuned`` run at ``c3``;
``broken`` names a commit git lacks.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lineage import ids
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import Store
from tests.conftest import GitRepo

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mlflow"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
MD5_V1 = "md5:11111111111111111111111111111111"
MD5_V2 = "md5:22222222222222222222222222222222"
MD5_DIR = "md5:33333333333333333333333333333333.dir"


def _dvc_file(path: str, h: str) -> str:
    """A ``.dvc`` file tracking ``path`` with hash ``h`` (``md5:…``), as ``dvc add`` writes it."""
    name = path.rsplit("/", 1)[-1]
    return f"outs:\n- md5: '{h.removeprefix('md5:')}'\n  size: 3\n  hash: md5\n  path: {name}\n"


def mlflow_run(name: str) -> str:
    """The node id of a run of the fixture store (``baseline``, ``tuned``, ``broken``)."""
    return f"run:mlflow:mlflow.db:{EXPECTED['run_ids'][name]}"


def delete_in_mlflow(repo: GitRepo, *runs: str) -> None:
    """Mark runs of the fixture store deleted, as ``mlflow.delete_run`` does."""
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:
        for run in runs:
            conn.execute("UPDATE runs SET lifecycle_stage='deleted' WHERE run_uuid=?",
                         (EXPECTED["run_ids"][run],))
    conn.close()


def commit_mlflow_history(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                          first: str = "data v1") -> tuple[str, str, str]:
    """The three commits, and the fixture MLflow store copied next to them with its runs'
    commits set to ``c1`` / ``c3`` (``MLFLOW_TRACKING_URI`` points at it). Returns the shas."""
    # the DVC files of the versions write_history's callers record (what DVC tracks there)
    for path, h in (("data/train.csv", MD5_V1), ("data/images", MD5_DIR),
                    ("models/model.pkl", EXPECTED["model_md5"])):
        repo.write(f"{path}.dvc", _dvc_file(path, h))
    c1 = repo.commit(first)
    repo.write("data/train.csv.dvc", _dvc_file("data/train.csv", MD5_V2))
    c2 = repo.commit("data v2")
    repo.write("train.py", "print(1)\n")
    c3 = repo.commit("tune")
    shutil.copy(FIXTURES / "mlflow.db", repo.path / "mlflow.db")
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # the runs were trained at these commits
        for run, sha in (("baseline", c1), ("tuned", c3)):
            conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                         "run_uuid=?", (sha, EXPECTED["run_ids"][run]))
    conn.close()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    return c1, c2, c3


def write_history(repo: GitRepo, store_dir: Path, dvc: dict[str, dict[str, str]]) -> str:
    """Commits as the git harvester writes them; DVC outs (``{sha: {path: hash}}``) as the DVC
    harvester does (a data node per path+hash, DEFINES from the commit introducing it).
    Returns the repository key of the ids."""
    log = repo.git("log", "--format=%H %P|%cI|%cn").splitlines()
    root = log[-1].split()[0]
    repo_key = ids.repo_key(ids.repository_id(None, root))
    items: list[Node | Edge] = []
    seen: set[str] = set()
    for line in reversed(log):
        shas, time, name = line.split("|")
        sha, *parents = shas.split()
        items.append(Node.make(NodeKind.COMMIT, ids.commit_id(sha), sha=sha, parents=parents,
                               committer={"name": name, "time": time}))
        for p in parents:
            items.append(Edge.make(EdgeKind.PARENT, ids.commit_id(p), ids.commit_id(sha)))
        for path, h in dvc.get(sha, {}).items():
            did = ids.data_id(repo_key, path, h)
            if did in seen:
                continue
            seen.add(did)
            items.append(Node.make(NodeKind.DATA, did, path=path, hash=h, hash_kind="md5",
                                   first_commit=sha, is_dir=h.endswith(".dir")))
            items.append(Edge.make(EdgeKind.DEFINES, ids.commit_id(sha), did))
    store = Store.open(store_dir)
    with store.transaction():
        store.upsert(items)
        store.append_event("harvest", "test", {"harvester": "git+dvc (simulated)"})
    store.close()
    return repo_key


def dvc_versions_repo(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The three commits with the MLflow store, and a store holding the git facts and DVC
    versions v1, v2 of data/train.csv recorded at the first two commits."""
    from lineage import api

    c1, c2, _ = commit_mlflow_history(repo, monkeypatch)
    write_history(repo, api.init(repo.path), {c1: {"data/train.csv": MD5_V1},
                                              c2: {"data/train.csv": MD5_V2}})
    return repo
