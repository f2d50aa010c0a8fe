"""The joins' warnings, each told once per harvest, and an MLflow version whose artifact its
commit's DVC file lists with no hash, on real git + DVC repositories and stores written by
real MLflow, through ``lineage harvest``.

A run that logs the train and test splits of one file reads that path through two inputs:
a problem with the path at the run's commit is one problem, told once (it was told once per
input). An MLflow model version whose artifact is a repository path that its commit's DVC
file lists with no hash gets no ARTIFACT edge (no version is the commit's), and a warning
names the version, the path, the commit and the file, and says how to fix it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

DATA = "x,y\n1,0\n2,1\n3,1\n"

SPLITS = """
digest = os.environ.get("DIGEST")  # the user's own digest of the file, when set
with mlflow.start_run() as r:
    df = pd.read_csv("train.csv")
    for ctx, part in (("training", df.head(2)), ("testing", df.tail(1))):
        mlflow.log_input(mlflow.data.from_pandas(part, source="train.csv", name=ctx,
                                                 digest=digest), context=ctx)
out["run"] = r.info.run_id
"""


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """train.csv added with `dvc add` and committed; MLflow's store beside it, ignored."""
    r = git_repo
    r.dvc("init", "-q")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\nregister.py\n")
    r.write("train.csv", DATA)
    r.dvc("add", "-q", "train.csv")  # (adds /train.csv to .gitignore)
    r.commit("data added")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    return r


def _harvest(r: GitRepo) -> list[dict[str, Any]]:
    """``lineage harvest --json``: its warnings."""
    res = CliRunner().invoke(app, ["harvest", "-C", str(r.path), "--json"])
    assert res.exit_code == 0, res.output
    return list(json.loads(res.stdout)["warnings"])


def _said(warnings: list[dict[str, Any]], part: str) -> list[dict[str, Any]]:
    return [w for w in warnings if w["source"] == "joins" and part in w["message"]]


def test_a_run_reading_one_path_twice_at_a_commit_not_harvested_is_told_once(
        repo: GitRepo) -> None:
    r = repo
    rid = f"run:mlflow:mlflow.db:{run_mlflow(r.path, SPLITS)['run']}"
    trained_at = r.git("rev-parse", "HEAD")
    r.git("commit", "-q", "--amend", "-m", "data added (reworded)")  # gone from the history
    warnings = _harvest(r)
    (w,) = _said(warnings, "not in the git history")
    assert w["commit"] == trained_at and w["message"].startswith(f"{rid} reads train.csv")
    assert len(warnings) == len({json.dumps(x, sort_keys=True) for x in warnings}), warnings
    graph = api.open_store(r.path).load_graph()
    pins = sorted(str(e.attrs.get("pin")) for e in graph.in_edges(rid, EdgeKind.INPUT))
    assert pins == ["weak", "weak"]


def test_a_run_reporting_another_md5_through_two_inputs_is_told_once(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    r = repo
    edited = DATA + "4,0\n"  # changed in the work tree, never `dvc add`ed
    r.write("train.csv", edited)
    monkeypatch.setenv("DIGEST", hashlib.md5(edited.encode(), usedforsecurity=False).hexdigest())
    rid = f"run:mlflow:mlflow.db:{run_mlflow(r.path, SPLITS)['run']}"
    warnings = _harvest(r)
    (w,) = _said(warnings, "reports md5:")
    assert w["message"].startswith(f"{rid} reports md5:"), w
    assert len(warnings) == len({json.dumps(x, sort_keys=True) for x in warnings}), warnings


REGISTER = """
c = MlflowClient()
with mlflow.start_run() as r:
    pass
c.create_registered_model("churn")
out["version"] = c.create_model_version("churn", os.path.abspath("model.pkl"),
                                        run_id=r.info.run_id).version
"""


def test_an_mlflow_version_whose_artifact_its_commit_lists_with_no_hash_is_told(
        git_repo: GitRepo, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """model.pkl added with `dvc add` (c1), then an import of another file with `dvc
    import-url --no-download` (c2): c2's model.pkl.dvc tracks it with no hash. A version
    registered from a run at c2 gets no ARTIFACT edge (not the version c1 recorded), and a
    warning says why and what to do; one registered at c1 gets its edge, and no warning."""
    r = git_repo
    src = tmp_path / "elsewhere.pkl"
    src.write_text("another model\n")
    r.dvc("init", "-q")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\nregister.py\n")
    r.write("model.pkl", "model\n")
    r.dvc("add", "-q", "model.pkl")
    c1 = r.commit("model added")
    assert "model.pkl" not in r.git("ls-files").split()  # DVC's, not git's
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    at_c1 = run_mlflow(r.path, REGISTER, name="register.py")["version"]
    r.dvc("import-url", "-q", "--no-download", "--force", str(src), "model.pkl")
    c2 = r.commit("model imported, not downloaded")
    at_c2 = run_mlflow(r.path, REGISTER.replace('c.create_registered_model("churn")\n', ""),
                       name="register.py")["version"]
    api.init(r.path)
    warnings = _harvest(r)
    (w,) = _said(warnings, "lists with no hash")
    assert (w["commit"], w["file"]) == (c2, "model.pkl.dvc")
    for part in (f"churn@{at_c2}", "model.pkl", c2[:12], "no ARTIFACT edge", "dvc commit",
                 "register"):
        assert part in w["message"], (part, w["message"])
    graph = api.open_store(r.path).load_graph()
    assert list(graph.in_edges(f"model:churn@{at_c2}", EdgeKind.ARTIFACT)) == []
    (e,) = graph.in_edges(f"model:churn@{at_c1}", EdgeKind.ARTIFACT)
    assert graph.attrs(e.source)["first_commit"] == c1 and e.attrs["joined"] == "commit"
    # nothing new: no join, no warning again
    assert _said(_harvest(r), "lists with no hash") == []
