"""Model groups and versions are found by browsing their repository in DataHub, beside its DVC
files and pipelines: each carries a ``container`` (the repository's ``FolderKey`` container,
as DataHub's Vertex AI source puts its models in a container) and the ``browsePathsV2`` the
UI's browse panel reads. DataHub's entity registry gives both aspects to ``mlModel`` and
``mlModelGroup`` (checked with ``entity_supports_aspect`` by the validation every push runs,
and by the stand-in GMS, which answers 422 for an aspect GMS would refuse).

GTO: the quickstart demo, pushed to DataHub Lite and browsed with Lite's own ``ls``, and to
the stand-in GMS. MLflow: a real git history and MLflow SQLite store, harvested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.standins.gms import running_gms

pytest.importorskip("datahub")

runner = CliRunner()
DEMO = "github.com/example-org/churn-model"
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
VERSIONS = {"urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)",
            "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"}
TOP = "/data_platforms/dvc/instances/default/repositorys"


def _folder(repo_key: str) -> str:
    from datahub.emitter.mcp_builder import FolderKey

    return FolderKey(platform="urn:li:dataPlatform:dvc", env="PROD",
                     folder_abs_path=repo_key).as_urn()


def test_lite_browses_the_models_under_their_repository(quickstart_demo: Path,
                                                        tmp_path: Path) -> None:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    lite = tmp_path / "catalog.db"
    res = runner.invoke(app, ["push", str(lite), "-C", str(quickstart_demo)])
    assert res.exit_code == 0, res.output
    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        def ls(path: str) -> dict[str, str]:
            return {b.name: b.id for b in db.ls(path)}

        repo = ls(TOP)["churn-model"]
        assert repo == _folder(DEMO)
        assert set(ls(f"{TOP}/churn-model/mlmodels").values()) == VERSIONS
        assert set(ls(f"{TOP}/churn-model/mlmodelgroups").values()) == {GROUP}
        # beside the repository's DVC pipeline and folders
        assert {"dvc pipelines", "folders", "mlmodels", "mlmodelgroups"} <= \
            set(ls(f"{TOP}/churn-model"))
        for urn in (GROUP, *VERSIONS):
            got = db.get(urn, None)
            assert got["container"] == {"container": repo}, urn
            assert got["browsePathsV2"] == {"path": [{"id": repo, "urn": repo}]}, urn
        assert db.get(repo, None)["containerProperties"]["qualifiedName"] == DEMO
    finally:
        db.close()


def test_gms_takes_the_containers_of_models(quickstart_demo: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with running_gms() as gms:  # validates each aspect against its entity, as GMS does
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        res = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "-C", str(quickstart_demo)])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["failed"] == 0
        held = {u: dict(a) for u, a in gms.state.aspects.items()}
        # a re-push has nothing new to say
        res = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "-C", str(quickstart_demo)])
        assert res.exit_code == 0 and json.loads(res.stdout)["written"] == 0, res.output
    repo = _folder(DEMO)
    assert held[repo]["subTypes"]["typeNames"] == ["Repository"]
    for urn in (GROUP, *VERSIONS):
        assert held[urn]["container"]["container"] == repo, urn
        assert [e["urn"] for e in held[urn]["browsePathsV2"]["path"]] == [repo], urn


@pytest.fixture
def mlflow_repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """Three commits, the fixture MLflow store (registered model churn-model, version 1
    trained at the first commit, 2 at the third), harvested with git and the joins."""
    from tests.mlflow_history import commit_mlflow_history

    git_repo.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    commit_mlflow_history(git_repo, monkeypatch)
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "mlflow", "joins"])
    return git_repo


def _render(repo: GitRepo, extra: list[Any] | None = None) -> dict[str, dict[str, Any]]:
    from connectors.sinks.datahub.render import render
    from connectors.sinks.datahub.validate import check_mcps

    with api.open_store(repo.path) as store:
        graph = store.load_graph()
    if extra:
        graph.add(extra)
    mcps = render(graph)
    check_mcps(mcps)  # entity_supports_aspect among the rest: no aspect GMS would refuse
    out: dict[str, dict[str, Any]] = {}
    for m in mcps:
        out.setdefault(str(m.entityUrn), {})[str(m.aspectName)] = m.aspect.to_obj()
    return out


def test_mlflow_models_are_in_the_repository_their_runs_were_trained_in(
        mlflow_repo: GitRepo) -> None:
    by = _render(mlflow_repo)
    repo = _folder("github.com/acme/churn")
    models = {u: a for u, a in by.items() if u.startswith(("urn:li:mlModel:",
                                                           "urn:li:mlModelGroup:"))}
    # (registered in MLflow: the entities DataHub's MLflow source makes)
    assert set(models) == {
        "urn:li:mlModelGroup:(urn:li:dataPlatform:mlflow,churn-model,PROD)",
        "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn-model_1,PROD)",
        "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn-model_2,PROD)"}
    for urn, aspects in models.items():
        assert aspects["container"] == {"container": repo}, urn
        assert aspects["browsePathsV2"] == {"path": [{"id": repo, "urn": repo}]}, urn
    # the repository's container is pushed with them, though it holds no DVC file
    assert by[repo]["containerProperties"]["qualifiedName"] == "github.com/acme/churn"
    assert by[repo]["subTypes"] == {"typeNames": ["Repository"]}


def test_a_model_of_two_repositories_is_in_neither(mlflow_repo: GitRepo) -> None:
    """A store that knows two repositories places a version trained in one of them there;
    one whose commit it does not know, and a group whose versions were made in both, in
    none: which one holds them is not known."""
    from lineage.model import Edge, EdgeKind, Node, NodeKind

    other = "repository:gitlab.com/acme/features"
    sha = "f" * 40
    by = _render(mlflow_repo, [
        Node.make(NodeKind.REPOSITORY, other, url="https://gitlab.com/acme/features.git"),
        Node.make(NodeKind.COMMIT, f"commit:{sha}", sha=sha, repository=other),
        Node.make(NodeKind.MODEL, "model:churn-model@3", group="churn-model", version="3",
                  commit=sha),
        Edge.make(EdgeKind.VERSION_OF, "model:churn-model@3", "model_group:churn-model"),
        Node.make(NodeKind.MODEL, "model:features@1", group="features", version="1"),
    ])
    assert by["urn:li:mlModel:(urn:li:dataPlatform:dvc,churn-model_3,PROD)"]["container"] == \
        {"container": _folder("gitlab.com/acme/features")}
    assert by["urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn-model_1,PROD)"]["container"] == \
        {"container": _folder("github.com/acme/churn")}
    for urn in ("urn:li:mlModelGroup:(urn:li:dataPlatform:mlflow,churn-model,PROD)",
                "urn:li:mlModel:(urn:li:dataPlatform:dvc,features_1,PROD)"):
        assert "container" not in by[urn] and "browsePathsV2" not in by[urn], urn
