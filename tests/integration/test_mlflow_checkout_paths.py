"""MLflow paths of another checkout: a store written on a laptop names the laptop's absolute
paths (a dataset ``source``, a model version's ``source``); harvested in a CI clone of the
same repository (another absolute path) they are the repository paths they end in — when the
run names this repository (``mlflow.source.git.repoURL``, which MLflow sets from the clone's
remote) and that ending is a path DVC tracks — as OpenLineage paths of another checkout are
(:class:`connectors.harvesters.openlineage.CheckoutPaths`, shared). The clone's joins are the
laptop's. A path that stays unresolved while it would matter is a warning, not silence.

Real git + DVC repositories, a store written by real MLflow on the "laptop"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

REMOTE = "https://github.com/acme/churn.git"

TRAIN = """
root = os.getcwd()
c = MlflowClient()
with mlflow.start_run() as r:
    df = pd.read_csv(root + "/data/train.csv")
    mlflow.log_input(mlflow.data.from_pandas(df, source=root + "/data/train.csv", name="train"))
    # a file the repository keeps out of DVC
    mlflow.log_input(mlflow.data.from_pandas(df, source=root + "/notes/sample.csv", name="notes"))
out["run"] = r.info.run_id
c.create_registered_model("churn")
c.create_model_version("churn", root + "/models/churn.json", run_id=r.info.run_id)
with mlflow.start_run() as r2:  # from a clone without a remote: MLflow names no repository
    mlflow.log_input(mlflow.data.from_pandas(df, source=root + "/data/train.csv", name="train"))
c.delete_tag(r2.info.run_id, "mlflow.source.git.repoURL")
out["anonymous"] = r2.info.run_id
"""


@pytest.fixture
def laptop(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """The laptop's repository (remote set, data and model tracked with DVC) and the runs
    real MLflow wrote there; then the laptop's folder is renamed, as if it were elsewhere."""
    r = GitRepo(tmp_path / "home" / "ada" / "churn")
    r.git("remote", "add", "origin", REMOTE)
    r.dvc("init", "-q")
    r.write("data/train.csv", "x,y\n1,0\n2,1\n")
    r.write("models/churn.json", '{"w": 1}\n')
    r.dvc("add", "-q", "data/train.csv", "models/churn.json")
    r.write("notes/sample.csv", "x,y\n1,0\n")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    r.commit("data and model")
    runs = run_mlflow(r.path, TRAIN)
    return r, runs


def _clone(laptop: GitRepo, where: Path) -> GitRepo:
    """A CI clone of the laptop's repository at ``where``, with its remote the laptop's."""
    subprocess.run(["git", "clone", "-q", str(laptop.path), str(where)], check=True,
                   capture_output=True)
    ci = GitRepo.__new__(GitRepo)
    ci.path, ci.tick = where, 10
    ci.git("remote", "set-url", "origin", REMOTE)
    shutil.copy(laptop.path / "mlflow.db", where / "mlflow.db")  # the store, downloaded
    return ci


def _joined(repo: GitRepo, run: str) -> tuple[list[tuple[str, str]], list[str]]:
    graph = api.open_store(repo.path).load_graph()
    rid = f"run:mlflow:mlflow.db:{run}"
    pins = sorted((e.source, str(e.attrs.get("pin"))) for e in graph.in_edges(rid, EdgeKind.INPUT)
                  if e.attrs.get("pin") == "strong")
    arts = sorted(e.source for e in graph.in_edges("model:churn@1", EdgeKind.ARTIFACT))
    return pins, arts


def test_a_ci_clone_joins_the_laptops_paths(laptop: tuple[GitRepo, dict[str, str]],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    r, runs = laptop
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    api.harvest(r.path)
    on_laptop = _joined(r, runs["run"])
    pins, arts = on_laptop
    assert [p for _, p in pins] == ["strong"] and pins[0][0].endswith(":data/train.csv@md5:"
                                                                      + pins[0][0][-32:])
    assert len(arts) == 1 and ":models/churn.json@md5:" in arts[0]
    moved = tmp_path / "laptop-away"
    r.path.rename(moved)  # the laptop's paths name no file on this machine any more
    r.path = moved
    ci = _clone(r, tmp_path / "runner" / "work" / "churn" / "churn")
    api.init(ci.path)
    res = api.harvest(ci.path)
    assert _joined(ci, runs["run"]) == on_laptop  # the same lineage, the same ids
    graph = api.open_store(ci.path).load_graph()
    rid = f"run:mlflow:mlflow.db:{runs['run']}"
    (train,) = [e for e in graph.in_edges(rid, EdgeKind.INPUT)
                if e.attrs.get("pin") == "weak" and e.attrs.get("path") == "data/train.csv"]
    assert train.attrs["uri"].endswith("/home/ada/churn/data/train.csv")
    assert graph.attrs("model:churn@1")["properties"]["source_path"] == "models/churn.json"
    warned = sorted(w.message for w in res.report.warnings if w.source == "mlflow")
    assert len(warned) == 2, warned
    notes, anonymous = sorted(warned, key=lambda m: runs["anonymous"] in m)
    assert rid in notes and "/home/ada/churn/notes/sample.csv" in notes
    assert "no ending of it is a path DVC tracks" in notes
    assert runs["anonymous"] in anonymous and "names no repository" in anonymous
    assert "data/train.csv" in anonymous
    # the run that names no repository is not pinned: nothing says it is this repository's
    assert _joined(ci, runs["anonymous"])[0] == []
    assert api.harvest(ci.path).new_events == 0


def test_another_repositorys_run_is_not_resolved(laptop: tuple[GitRepo, dict[str, str]],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone whose remote is another repository (a fork's store, a shared tracking server)
    takes none of the laptop's paths for its own, and warns of none of the run that names
    the laptop's repository (only of the run that names none)."""
    r, runs = laptop
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    moved = tmp_path / "laptop-away"
    r.path.rename(moved)
    r.path = moved
    ci = _clone(r, tmp_path / "ci")
    ci.git("remote", "set-url", "origin", "https://github.com/other/churn.git")
    api.init(ci.path)
    res = api.harvest(ci.path)
    assert _joined(ci, runs["run"]) == ([], [])
    warned = [w.message for w in res.report.warnings if w.source == "mlflow"]
    assert len(warned) == 1 and runs["anonymous"] in warned[0], warned
