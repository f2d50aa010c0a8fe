"""An MLflow model version whose artifact is a file (or folder) of a local artifact store
readable here is hashed as DVC hashes (the file's md5, a folder's ``.dir`` md5), so it joins
its byte-identical GTO twin (SAME_AS) and DVC's data of that hash (ARTIFACT) without a
``lineage.artifact_hash`` tag. Real git + DVC repository, GTO tags, store written by real
MLflow. A file of the work tree (it changes after the version is registered) and a remote
store are not hashed."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from lineage import api
from lineage.hashing import dir_md5
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

MODEL = '{"weights": [0.1, 0.2]}\n'

REGISTER = """
c = MlflowClient()
with mlflow.start_run() as r:
    mlflow.log_artifact("models/churn.json", "model")
    mlflow.log_artifacts("models/churn-dir", "model-dir")
au = r.info.artifact_uri
out["artifact_uri"] = au
for name in ("churn", "churn-dir"):
    c.create_registered_model(name)
# the local artifact store's file, as MLflow names it (an absolute path)
out["file"] = c.create_model_version("churn", au + "/model/churn.json", run_id=r.info.run_id).source
# its folder, written as a file URI
c.create_model_version("churn-dir", "file://" + au + "/model-dir", run_id=r.info.run_id)
# a file of the work tree: it changes after registration
c.create_model_version("churn", os.path.abspath("models/churn.json"), run_id=r.info.run_id)
# a remote store
c.create_model_version("churn", "s3://bucket/churn/model.json", run_id=r.info.run_id)
"""


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    r = git_repo
    r.dvc("init", "-q")
    r.write("models/churn.json", MODEL)
    r.write("models/churn-dir/weights.json", MODEL)
    r.write("models/churn-dir/meta.yaml", "kind: churn\n")
    r.dvc("add", "-q", "models/churn.json", "models/churn-dir")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.json\n    type: model\n"
            "  churn-dir:\n    path: models/churn-dir\n    type: model\n")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    r.commit("models trained")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn-dir@v1.0.0", "Registering artifact churn-dir version v1.0.0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    return r


def test_a_local_artifact_store_file_joins_its_gto_twin(repo: GitRepo) -> None:
    r = repo
    out = run_mlflow(r.path, REGISTER)
    assert out["file"].startswith(str(r.path / "mlruns"))  # what MLflow wrote: no tag, a path
    res = api.harvest(r.path)
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    file_md5 = "md5:" + hashlib.md5(MODEL.encode(), usedforsecurity=False).hexdigest()
    folder_md5 = "md5:" + dir_md5(r.path / "models" / "churn-dir")[0]
    assert graph.attrs("model:churn@1")["artifact_hash"] == file_md5
    assert graph.attrs("model:churn@1")["properties"]["artifact_hash_by"] == "file"
    assert graph.attrs("model:churn-dir@1")["artifact_hash"] == folder_md5
    # neither the work tree's file nor the remote store's is hashed
    for mid in ("model:churn@2", "model:churn@3"):
        assert graph.attrs(mid).get("artifact_hash") is None
        assert "artifact_hash_by" not in graph.attrs(mid)["properties"]
    same = {(e.source, e.target): e.attrs["hash"] for e in graph.edges(EdgeKind.SAME_AS)}
    assert same[("model:churn@v1.0.0", "model:churn@1")] == file_md5
    assert same[("model:churn-dir@v1.0.0", "model:churn-dir@1")] == folder_md5
    (art,) = [e for e in graph.in_edges("model:churn@1", EdgeKind.ARTIFACT)]
    assert art.attrs == {"path": "models/churn.json", "joined": "hash"}
    assert graph.attrs(art.source)["hash"] == file_md5
    (art,) = [e for e in graph.in_edges("model:churn-dir@1", EdgeKind.ARTIFACT)]
    assert graph.attrs(art.source)["path"] == "models/churn-dir"
    assert api.harvest(r.path).new_events == 0  # hashed again, unchanged: nothing written


def test_an_artifact_store_gone_takes_its_joins_away(repo: GitRepo) -> None:
    """The hash is of what is readable here: once the artifact store is gone (a clone that
    has the tracking store but not its files), the version is as MLflow alone describes it,
    and the joins the hash gave are withdrawn."""
    r = repo
    run_mlflow(r.path, REGISTER)
    api.harvest(r.path)
    shutil.rmtree(r.path / "mlruns")
    res = api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    assert graph.attrs("model:churn@1").get("artifact_hash") is None
    assert not [e for e in graph.edges(EdgeKind.SAME_AS) if e.target == "model:churn@1"]
    assert not list(graph.in_edges("model:churn@1", EdgeKind.ARTIFACT))
    joins = next(h for h in res.harvesters if h.name == "joins")
    assert joins.stats.edges_withdrawn == {"artifact": 2, "same_as": 2}
