"""A repository's DVC files and pipelines are browsable as its tree in DataHub: the repository
and each folder are containers (``FolderKey``, as DataHub's S3 and GCS sources key folders),
each file's dataset and each ``dvc.yaml`` flow is in its folder, and every one carries the
``browsePathsV2`` the UI's browse panel reads (a stage job: its folder, then its flow, as
DataHub's SDK places a job).

A real git + DVC repository (a file two folders down, a pipeline in a sub-project), pushed
to DataHub Lite and browsed with Lite's own ``ls``; pushed to the stand-in GMS, which
validates every aspect as GMS does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.standins.gms import running_gms

pytest.importorskip("datahub")

runner = CliRunner()
REPO = "github.com/acme/churn"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    r = git_repo
    r.git("remote", "add", "origin", f"https://{REPO}.git")
    r.dvc("init", "-q")
    r.write("data/raw/customers.csv", "id,churned\n1,0\n2,1\n")
    r.dvc("add", "-q", "data/raw/customers.csv")
    r.write("train/dvc.yaml", "stages:\n  prepare:\n"
                              "    cmd: cp ../data/raw/customers.csv prepared.csv\n"
                              "    deps: [../data/raw/customers.csv]\n"
                              "    outs: [prepared.csv]\n")
    r.dvc("repro", "-q", "train/dvc.yaml")
    r.commit("data and a pipeline in train/")
    assert runner.invoke(app, ["init", "--repo", str(r.path)]).exit_code == 0
    res = runner.invoke(app, ["harvest", "--repo", str(r.path)])
    assert res.exit_code == 0, res.output
    return r


def _lite(repo: GitRepo) -> Any:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    lite = repo.path / ".lineage" / "datahub-lite.db"
    return get_datahub_lite(lite_config(lite, read_only=True), read_only=True)


def _ls(db: Any, path: str) -> dict[str, str]:
    return {b.name: b.id for b in db.ls(path)}


def test_lite_browses_the_repository_as_its_tree(repo: GitRepo) -> None:
    res = runner.invoke(app, ["push", "--to", "datahub-lite", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    db = _lite(repo)
    try:
        top = "/data_platforms/dvc/instances/default/repositorys"
        (repo_urn,) = _ls(db, top).values()
        assert _ls(db, f"{top}/churn")  # the repository, by its last name
        raw = f"{top}/churn/folders/data/folders/raw/dvc files"
        assert _ls(db, raw) == {"data/raw/customers.csv":
                                f"urn:li:dataset:(urn:li:dataPlatform:dvc,{REPO}/data/raw/"
                                "customers.csv,PROD)"}
        pipelines = _ls(db, f"{top}/churn/folders/train/dvc pipelines")
        assert list(pipelines.values()) == [f"urn:li:dataFlow:(dvc,{REPO}/train/dvc.yaml,PROD)"]
        assert _ls(db, f"{top}/churn/folders/train/dvc files")  # prepared.csv, beside it
        got = db.get(repo_urn, None)
        assert got["containerProperties"]["qualifiedName"] == REPO
        assert got["containerProperties"]["externalUrl"] == f"https://{REPO}"
        assert got["subTypes"]["typeNames"] == ["Repository"]
    finally:
        db.close()


def test_gms_takes_the_folders_and_every_entity_has_its_browse_path(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_gms() as gms:  # validates each aspect against its entity, as GMS does
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        res = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "--repo", str(repo.path)])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["failed"] == 0
        held = {u: dict(a) for u, a in gms.state.aspects.items()}

    def names(urn: str) -> list[str]:
        return [held[e["urn"]]["containerProperties"]["name"]
                for e in held[urn]["browsePathsV2"]["path"]]

    data = f"urn:li:dataset:(urn:li:dataPlatform:dvc,{REPO}/data/raw/customers.csv,PROD)"
    assert names(data) == ["churn", "data", "raw"]
    assert held[data]["container"]["container"] == \
        held[data]["browsePathsV2"]["path"][-1]["urn"]
    flow = f"urn:li:dataFlow:(dvc,{REPO}/train/dvc.yaml,PROD)"
    assert names(flow) == ["churn", "train"]
    job = f"urn:li:dataJob:({flow},prepare)"
    path = held[job]["browsePathsV2"]["path"]
    assert path[-1] == {"id": flow, "urn": flow}
    assert [held[e["urn"]]["containerProperties"]["name"] for e in path[:-1]] == \
        ["churn", "train"]
    assert "container" not in held[job]
    folders = {u: a for u, a in held.items() if a.get("subTypes", {}).get("typeNames")
               in (["Folder"], ["Repository"])}
    assert sorted(a["containerProperties"]["qualifiedName"] for a in folders.values()) == \
        [REPO, f"{REPO}/data", f"{REPO}/data/raw", f"{REPO}/train"]
    for urn, a in folders.items():  # each folder inside its parent
        parents = a["browsePathsV2"]["path"]
        if parents:
            assert a["container"]["container"] == parents[-1]["urn"], urn


def test_a_dataset_of_another_system_is_in_no_folder(repo: GitRepo) -> None:
    from connectors.sinks.datahub.render import render
    from lineage import api
    from lineage.model import Node, NodeKind

    with api.open_store(repo.path) as store:
        graph = store.load_graph()
    graph.add([Node.make(NodeKind.DATA, "data:s3://bucket/features.parquet@md5:" + "0" * 32,
                         path="s3://bucket/features.parquet", hash="md5:" + "0" * 32)])
    mcps = render(graph)
    s3 = [m for m in mcps if "dataPlatform:s3" in str(m.entityUrn)]
    assert s3 and not [m for m in s3 if m.aspectName in ("container", "browsePathsV2")]
