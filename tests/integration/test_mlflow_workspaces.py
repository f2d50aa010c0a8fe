"""MLflow 3 workspaces (``MLFLOW_ENABLE_WORKSPACES``): a registered model's name is unique
within its workspace only (the registry tables' primary keys start with ``workspace``), so two
teams' ``churn`` are two models, with their own versions, runs, tags and aliases."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from lineage import api
from tests.conftest import GitRepo

# what two teams (and a user of the default workspace) do with MLflow 3.17's own client
_MAKE = """
import json, os, sys
import mlflow
from mlflow import MlflowClient
uri = sys.argv[1]
out = {}
for ws in ("team-a", "team-b", "default"):
    if ws != "default":
        mlflow.create_workspace(ws)
    mlflow.set_workspace(ws)
    c = MlflowClient(uri)
    run = c.create_run(c.create_experiment("churn"))
    c.set_tag(run.info.run_id, "mlflow.source.git.commit", ws[-1] * 40)
    c.set_terminated(run.info.run_id)
    c.create_registered_model("churn", description=ws + " classifier", tags={"team": ws})
    mv = c.create_model_version("churn", run.info.artifact_uri + "/model",
                                run_id=run.info.run_id, tags={"artifact_hash": ws[-1] * 32})
    c.set_registered_model_alias("churn", "champion", mv.version)
    out[ws] = run.info.run_id
print(json.dumps(out))
"""


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, dict[str, str]]:
    pytest.importorskip("mlflow")
    import json

    db = git_repo.path / "mlflow.db"
    env = {**os.environ, "MLFLOW_ENABLE_WORKSPACES": "true",
           "MLFLOW_WORKSPACE_STORE_URI": f"sqlite:///{db}"}
    out = subprocess.run([sys.executable, "-c", _MAKE, f"sqlite:///{db}"], env=env,
                         cwd=git_repo.path, check=True, capture_output=True, text=True).stdout
    runs = json.loads(out.strip().splitlines()[-1])
    git_repo.write(".gitignore", "mlflow.db\nmlruns/\n")
    git_repo.commit("init")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    monkeypatch.delenv("MLFLOW_ENABLE_WORKSPACES", raising=False)
    api.init(git_repo.path)
    return git_repo, runs


def test_models_of_one_name_in_two_workspaces_are_two_models(
        repo: tuple[GitRepo, dict[str, str]]) -> None:
    r, runs = repo
    res = api.harvest(r.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(r.path)
    groups = {n.id: n.attrs for n in store.iter_nodes("model_group")}
    models = {n.id: n.attrs for n in store.iter_nodes("model")}
    produced = {(e.source, e.target) for e in store.iter_edges("produced")}
    store.close()
    # the default workspace's model keeps the name it always had
    assert set(groups) == {"model_group:churn", "model_group:team-a/churn",
                           "model_group:team-b/churn"}
    assert set(models) == {"model:churn@1", "model:team-a/churn@1", "model:team-b/churn@1"}
    for ws, gid, mid in (("team-a", "model_group:team-a/churn", "model:team-a/churn@1"),
                         ("team-b", "model_group:team-b/churn", "model:team-b/churn@1"),
                         ("default", "model_group:churn", "model:churn@1")):
        g, m = groups[gid], models[mid]
        assert g["description"] == f"{ws} classifier" and g["tags"] == {"team": ws}, gid
        assert m["run_id"] == f"run:mlflow:mlflow.db:{runs[ws]}", mid
        assert m["commit"] == ws[-1] * 40 and m["aliases"] == ["champion"], mid
        assert m["artifact_hash"] == "md5:" + ws[-1] * 32, mid
        assert produced & {(f"run:mlflow:mlflow.db:{u}", mid) for u in runs.values()} == \
            {(f"run:mlflow:mlflow.db:{runs[ws]}", mid)}
        if ws != "default":
            assert g["properties"] == {"mlflow_name": "churn", "workspace": ws}
            assert m["properties"]["workspace"] == ws
    assert api.harvest(r.path, only=["mlflow"]).new_events == 0


def test_a_workspace_model_maps_to_a_canonical_name(
        repo: tuple[GitRepo, dict[str, str]]) -> None:
    """``model_aliases`` names a workspace's model as the harvest does: ``team-a/churn``."""
    r, runs = repo
    r.write("lineage.yaml", "model_aliases:\n  team-a/churn: churn-a\n")
    api.harvest(r.path, only=["mlflow"])
    store = api.open_store(r.path)
    m = store.get_node("model:churn-a@1")
    g = store.get_node("model_group:churn-a")
    store.close()
    assert m is not None and m.attrs["run_id"] == f"run:mlflow:mlflow.db:{runs['team-a']}"
    assert g is not None and g.attrs["properties"] == {"mlflow_name": "churn",
                                                       "workspace": "team-a"}




def test_mlflows_client_names_a_workspaces_models_as_the_sqlite_reader(
        repo: tuple[GitRepo, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Read through MlflowClient (a tracking server, an unknown schema), a workspace is the
    client's active one (``MLFLOW_WORKSPACE``): its models are named as the SQLite reader
    names them."""
    from connectors.harvesters.mlflow import ClientReader, SqliteReader

    r, _ = repo
    db = r.path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_ENABLE_WORKSPACES", "true")
    monkeypatch.setenv("MLFLOW_WORKSPACE", "team-a")
    sql = SqliteReader(db)
    try:
        direct = sql.read({})
    finally:
        sql.close()
    client = ClientReader(f"sqlite:///{db}").read({})

    def team_a(snap: Any) -> tuple[list[Any], list[Any], dict[str, Any]]:
        keep = ("name", "description", "tags", "mlflow_name", "workspace")
        return ([{k: m.get(k) for k in keep} for m in snap.registered_models
                 if m["name"].startswith("team-a/")],
                [(v["name"], v["version"], v["run_uuid"], v.get("workspace"))
                 for v in snap.versions if v["name"].startswith("team-a/")],
                {n: a for n, a in snap.aliases.items() if n.startswith("team-a/")})

    assert team_a(client) == team_a(direct)
    assert team_a(client)[0] != []


def test_runs_name_the_experiment_of_their_workspace(
        repo: tuple[GitRepo, dict[str, str]]) -> None:
    """Experiment names are unique within a workspace: each team's ``churn`` runs are in
    ``team-a/churn`` and ``team-b/churn`` (one experiment in DataHub otherwise), the default
    workspace's in ``churn``."""
    r, runs = repo
    api.harvest(r.path, only=["mlflow"])
    store = api.open_store(r.path)
    got = {ws: store.get_node(f"run:mlflow:mlflow.db:{u}") for ws, u in runs.items()}
    store.close()
    assert {ws: n.attrs["experiment"] for ws, n in got.items() if n} == {
        "team-a": "team-a/churn", "team-b": "team-b/churn", "default": "churn"}
    assert got["team-a"] is not None
    assert got["team-a"].attrs["properties"]["workspace"] == "team-a"
    assert got["default"] is not None
    assert "workspace" not in got["default"].attrs.get("properties", {})
