"""MLflow-registered model groups and versions are pushed as the entities DataHub's own MLflow
source makes (``mlflow`` platform, ``<name>_<version>``), so a team running both sees one
model with our governance on it; GTO versions stay on the ``dvc`` platform. The urns an earlier
mapping gave them on the ``dvc`` platform are soft-deleted by the next push, to DataHub Lite, an
MCP file and GMS (stand-in), also by a store that never pushed there (a CI clone).

Real git + DVC repository with a GTO tag, a SQLite tracking store written by real MLflow, the
real DataHub MLflow source read over it, real DataHub Lite.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub import render as render_module  # noqa: E402
from connectors.sinks.datahub.remote import DataHubRestSink  # noqa: E402
from connectors.sinks.datahub.sink import (  # noqa: E402
    DataHubFileSink,
    DataHubLiteSink,
    lite_config,
)
from lineage import api  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.mlflow_train import run_mlflow  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

MODEL = '{"weights": [0.1, 0.2]}\n'

REGISTER = """
c = MlflowClient()
with mlflow.start_run() as r:
    mlflow.log_artifact("models/churn.json", "model")
c.create_registered_model("churn")
c.create_model_version("churn", r.info.artifact_uri + "/model/churn.json", run_id=r.info.run_id)
c.set_registered_model_alias("churn", "champion", "1")
"""

# what the mapping before this one named them: every model on the configured platform
OLD_GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
OLD_VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_1,PROD)"
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:mlflow,churn,PROD)"
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn_1,PROD)"
GTO_VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """churn@v1.0.0 tagged by GTO and, byte for byte, registered in MLflow as churn 1."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("models/churn.json", MODEL)
    r.dvc("add", "-q", "models/churn.json")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.json\n    type: model\n")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    r.commit("model trained")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    run_mlflow(r.path, REGISTER)
    api.harvest(r.path)
    return r


def _graph(r: GitRepo) -> LineageGraph:
    store = api.open_store(r.path)
    try:
        return store.load_graph()
    finally:
        store.close()


def _ctx(store: Store, root: Path, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=root, options=options)


@contextmanager
def _earlier_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lineage before this mapping: its render code (another render.py) put MLflow's
    registered models on the configured platform like every other model."""
    older = tmp_path / "older-render.py"
    shutil.copy(render_module.__file__, older)
    older.write_text(older.read_text() + "\n# an earlier release\n")
    with monkeypatch.context() as m:
        m.setattr(render_module, "__file__", str(older))
        m.setattr(render_module._Planner, "mlflow_name", lambda self, nid: None)
        yield


def _lite(path: Path) -> Any:
    from datahub.lite.lite_util import get_datahub_lite

    return get_datahub_lite(lite_config(path, read_only=True), read_only=True)


def _live(aspects: dict[tuple[str, str], Any], urn: str) -> bool:
    """An entity the catalog shows: it holds aspects and no soft delete."""
    status = aspects.get((urn, "status"))
    return any(u == urn for u, _ in aspects) and not (status or {}).get("removed")


def _lite_aspects(path: Path, *urns: str) -> dict[tuple[str, str], Any]:
    lite = _lite(path)
    try:
        return {(u, name): value for u in urns
                for name, value in (lite.get(u, None) or {}).items()}
    finally:
        lite.close()


def _file_aspects(path: Path) -> dict[tuple[str, str], Any]:
    """The MCP file replayed: its last record of each aspect counts (a change log)."""
    return {(m["entityUrn"], m["aspectName"]): m["aspect"]["json"]
            for m in json.loads(path.read_text())}


def test_mlflow_versions_are_the_entities_datahubs_mlflow_source_makes(
        repo: GitRepo, tmp_path: Path) -> None:
    """Our urns are the ones the real DataHub MLflow source emits over the same tracking
    store, and so is the versionProperties aspect both write on the version."""
    from datahub.ingestion.api.common import PipelineContext
    from datahub.ingestion.source.mlflow import MLflowSource

    source = MLflowSource.create({"tracking_uri": f"sqlite:///{repo.path / 'mlflow.db'}"},
                                 PipelineContext(run_id="mlflow-source"))
    theirs: dict[tuple[str, str], Any] = {}
    for wu in source.get_workunits_internal():
        mcp = wu.metadata
        theirs[(str(mcp.entityUrn), str(mcp.aspectName))] = mcp.aspect
    their_models = {u for u, _ in theirs if u.startswith(("urn:li:mlModel:",
                                                           "urn:li:mlModelGroup:"))}
    assert their_models == {GROUP, VERSION}

    dest = tmp_path / "lite.db"
    store = api.open_store(repo.path)
    try:
        res = DataHubLiteSink().push(_graph(repo), _ctx(store, repo.path, dest=str(dest)))
    finally:
        store.close()
    assert res.failed == 0
    ours = _lite_aspects(dest, GROUP, VERSION, GTO_VERSION, OLD_GROUP, OLD_VERSION)
    for urn in (GROUP, VERSION, GTO_VERSION):
        assert _live(ours, urn), urn
    assert not any(u in (OLD_GROUP, OLD_VERSION) for u, _ in ours)
    # our governance is on their entity
    assert ours[(VERSION, "structuredProperties")]["properties"]
    assert ours[(GROUP, "mlModelGroupProperties")]["customProperties"]["lineage_id"] \
        == "model_group:churn"
    # the same version set and order, whichever of the two wrote the aspect last
    theirs_vp = theirs[(VERSION, "versionProperties")]
    ours_vp = ours[(VERSION, "versionProperties")]
    assert ours_vp["versionSet"] == theirs_vp.versionSet
    assert ours_vp["sortId"] == theirs_vp.sortId
    assert ours_vp["version"]["versionTag"] == theirs_vp.version.versionTag
    # (aliases: ours are the registry's; the source lists none, as MLflow's
    # search_model_versions, which it reads, gives versions without their aliases)
    assert [a["versionTag"] for a in ours_vp["aliases"]] == ["champion"]
    assert theirs_vp.aliases == []
    # the GTO twin keeps its urn, in the same group, each twin naming the other
    gto = ours[(GTO_VERSION, "mlModelProperties")]
    mlf = ours[(VERSION, "mlModelProperties")]
    assert gto["groups"] == mlf["groups"] == [GROUP]
    assert gto["customProperties"]["same_as"] == "model:churn@1"  # (the store's edge)
    assert gto["customProperties"]["same_as_urns"] == VERSION
    assert mlf["customProperties"]["same_as_urns"] == GTO_VERSION
    assert ours[(GTO_VERSION, "versionProperties")]["versionSet"] != ours_vp["versionSet"]


@pytest.mark.parametrize("target", ["datahub-lite", "datahub-file", "datahub-rest"])
def test_a_push_retires_the_dvc_urns_an_earlier_mapping_gave_mlflow_models(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    graph = _graph(repo)
    urns = (GROUP, VERSION, GTO_VERSION, OLD_GROUP, OLD_VERSION)
    with running_gms() as gms:
        sink: Any
        if target == "datahub-lite":
            dest = tmp_path / "lite.db"
            sink, options = DataHubLiteSink, {"dest": str(dest)}

            def held() -> dict[tuple[str, str], Any]:
                return _lite_aspects(dest, *urns)
        elif target == "datahub-file":
            dest = tmp_path / "mcps.json"
            sink, options = DataHubFileSink, {"dest": str(dest)}

            def held() -> dict[tuple[str, str], Any]:
                return _file_aspects(dest)
        else:
            sink, options = DataHubRestSink, {"server": gms.url, "backoff": 0.01}

            def held() -> dict[tuple[str, str], Any]:
                return {(u, a): v for u, aspects in gms.state.aspects.items()
                        for a, v in aspects.items()}

        store = api.open_store(repo.path)
        try:
            with _earlier_mapping(tmp_path, monkeypatch):
                assert sink().push(graph, _ctx(store, repo.path, **options)).failed == 0
            before = held()
            assert _live(before, OLD_GROUP) and _live(before, OLD_VERSION)
            assert not _live(before, VERSION)

            res = sink().push(graph, _ctx(store, repo.path, **options))
            after = held()
            assert res.failed == 0
            assert res.details["moved_entities"] == 2
            assert res.details["moved_urns"] == {OLD_GROUP: GROUP, OLD_VERSION: VERSION}
            assert "stale_entities" not in res.details  # retired, not merely counted
            for urn in (GROUP, VERSION, GTO_VERSION):
                assert _live(after, urn), urn
            for urn in (OLD_GROUP, OLD_VERSION):
                assert after[(urn, "status")] == {"removed": True}, urn
            # the GTO version now names the group DataHub's MLflow source makes
            assert after[(GTO_VERSION, "mlModelProperties")]["groups"] == [GROUP]

            again = sink().push(graph, _ctx(store, repo.path, **options))
            assert again.written == 0 and "moved_entities" not in again.details
        finally:
            store.close()


@pytest.mark.parametrize("target", ["datahub-lite", "datahub-rest"])
def test_a_store_that_never_pushed_there_retires_the_former_urns_the_destination_holds(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """A CI job's fresh clone pushing to a DataHub that a lineage of the earlier mapping
    pushed to: its state knows no urn, it reads the destination."""
    graph = _graph(repo)
    with running_gms() as gms:
        sink: Any
        if target == "datahub-lite":
            dest = tmp_path / "lite.db"
            sink, options = DataHubLiteSink, {"dest": str(dest)}

            def held() -> dict[tuple[str, str], Any]:
                return _lite_aspects(dest, GROUP, VERSION, OLD_GROUP, OLD_VERSION)
        else:
            sink, options = DataHubRestSink, {"server": gms.url, "backoff": 0.01}

            def held() -> dict[tuple[str, str], Any]:
                return {(u, a): v for u, aspects in gms.state.aspects.items()
                        for a, v in aspects.items()}

        store = api.open_store(repo.path)
        try:
            with _earlier_mapping(tmp_path, monkeypatch):
                assert sink().push(graph, _ctx(store, repo.path, **options)).failed == 0
        finally:
            store.close()
        assert _live(held(), OLD_VERSION)

        clone = Store.init(tmp_path / "clone" / ".lineage")
        try:
            res = sink().push(graph, _ctx(clone, repo.path, **options))
            assert res.failed == 0 and res.details["moved_entities"] == 2
            assert res.details["moved_urns"] == {OLD_GROUP: GROUP, OLD_VERSION: VERSION}
            after = held()
            for urn in (OLD_GROUP, OLD_VERSION):
                assert after[(urn, "status")] == {"removed": True}, urn
            assert _live(after, GROUP) and _live(after, VERSION)
            # remembered: the next push neither reads nor sends them again
            again = sink().push(graph, _ctx(clone, repo.path, **options))
            assert again.written == 0 and "moved_entities" not in again.details
        finally:
            clone.close()


def test_push_says_which_models_moved_and_how_to_see_their_soft_deleted_former_urns(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "lite.db"

    def push(*extra: str) -> str:
        res = CliRunner().invoke(app, ["push", str(dest), "--repo", str(repo.path), *extra])
        assert res.exit_code == 0, res.output
        return res.stdout

    with _earlier_mapping(tmp_path, monkeypatch):
        assert "Moved" not in push()
    out = push()
    assert "Moved 2 MLflow-registered model entities" in out
    assert "former urns were soft-deleted (status removed: true" in out
    assert f"  {OLD_GROUP} -> {GROUP}\n" in out
    assert f"  {OLD_VERSION} -> {VERSION}\n" in out
    assert "See one: datahub lite get --urn '<former urn>' --aspect status" in out
    held = _lite_aspects(dest, OLD_GROUP, OLD_VERSION)  # as the catalog holds them
    assert held[(OLD_GROUP, "status")] == held[(OLD_VERSION, "status")] == {"removed": True}
    assert "Moved" not in push()  # told once: the next push moves nothing
