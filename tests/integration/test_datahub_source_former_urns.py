"""A recipe run of the lineage ingestion source retires the urns an earlier mapping gave
MLflow-registered models (``dvc`` platform) when it can read the DataHub it writes to, as
``lineage push`` does, and warns — sending nothing for them — when it cannot.

The real ``datahub ingest`` CLI runs each recipe; the DataHub it writes to is the GMS stand-in
(validating every proposal as GMS does), a real MCP file or a real DataHub Lite file. The
repository is a real git + DVC repository with a GTO tag and a SQLite tracking store written by
real MLflow, harvested by lineage.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub import render as render_module  # noqa: E402
from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage import api  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.mlflow_train import run_mlflow  # noqa: E402
from tests.standins.gms import StandInGms, running_gms  # noqa: E402

WORKTREE = Path(__file__).resolve().parents[2]
DATAHUB = Path(sys.executable).with_name("datahub")
# the project is not installed where the tests run: recipes name the source by its class path
SOURCE_TYPE = "connectors.sinks.datahub.source.LineageSource"

pytestmark = pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")

MODEL = '{"weights": [0.1, 0.2]}\n'
REGISTER = """
c = MlflowClient()
with mlflow.start_run() as r:
    mlflow.log_artifact("models/churn.json", "model")
c.create_registered_model("churn")
c.create_model_version("churn", r.info.artifact_uri + "/model/churn.json", run_id=r.info.run_id)
"""

# the urns an earlier mapping gave the registered model (every model on the dvc platform) …
OLD_GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
OLD_VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_1,PROD)"
FORMER = (OLD_GROUP, OLD_VERSION)
# … and the ones DataHub's MLflow source makes, which the mapping gives them now
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:mlflow,churn,PROD)"
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn_1,PROD)"
GTO_VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
WARNING_TITLE = "former urns not retired"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """churn@v1.0.0 tagged by GTO and, byte for byte, registered in MLflow as churn 1;
    harvested into the repository's store."""
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


@contextmanager
def _earlier_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lineage release before this mapping: its render code put MLflow's registered
    models on the configured platform like every other model."""
    older = tmp_path / "older-render.py"
    shutil.copy(render_module.__file__, older)
    older.write_text(older.read_text() + "\n# an earlier release\n")
    with monkeypatch.context() as m:
        m.setattr(render_module, "__file__", str(older))
        m.setattr(render_module._Planner, "mlflow_name", lambda self, nid: None)
        yield


def _earlier_run(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What a recipe run of that earlier release sent: the graph rendered by its mapping."""
    with api.open_store(repo.path) as store:
        graph = store.load_graph()
    with _earlier_mapping(tmp_path, monkeypatch):
        mcps = render_module.render(graph)
    assert {str(m.entityUrn) for m in mcps} >= set(FORMER)
    return mcps


def _emit(gms: StandInGms, mcps: list[Any]) -> None:
    """Into the GMS through acryl-datahub's emitter: the structured property definitions
    first (GMS checks a value against the definitions it already holds), as the source does."""
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    emitter = DataHubRestEmitter(gms.url)
    try:
        for part in ([m for m in mcps if m.aspectName == "propertyDefinition"],
                     [m for m in mcps if m.aspectName != "propertyDefinition"]):
            if part:
                emitter.emit_mcps(part)
    finally:
        emitter.close()


def ingest(tmp_path: Path, repo: GitRepo, sink: dict[str, Any],
           datahub_api: str | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                    dict[str, Any]]:
    """``datahub ingest -c recipe.yml`` with the lineage source over ``repo``'s store; the
    finished run and the source report it printed."""
    import yaml

    recipe: dict[str, Any] = {
        "source": {"type": SOURCE_TYPE, "config": {"repo_path": str(repo.path),
                                                   "harvest": False}},
        "sink": sink,
    }
    if datahub_api is not None:
        recipe["datahub_api"] = {"server": datahub_api}
    path = tmp_path / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))
    env = {**os.environ, "PYTHONPATH": str(WORKTREE), "HOME": str(tmp_path),
           "DATAHUB_TELEMETRY_ENABLED": "false", "DATAHUB_SUPPRESS_LOGGING_MANAGER": "1"}
    env.pop("DATAHUB_GMS_URL", None)
    env.pop("DATAHUB_GMS_TOKEN", None)
    proc = subprocess.run([str(DATAHUB), "ingest", "-c", str(path)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc, _source_report(proc.stdout)


def _source_report(stdout: str) -> dict[str, Any]:
    """The source report ``datahub ingest`` prints (``Source (<type>) report:``, then the
    report as a Python literal)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(f"Source ({SOURCE_TYPE}) report:"))
    text: list[str] = []
    for line in lines[start + 1:]:
        text.append(line)
        if line.rstrip().endswith("}"):
            try:
                report = ast.literal_eval("\n".join(text))
            except (SyntaxError, ValueError):
                continue
            assert isinstance(report, dict)
            return report
    raise AssertionError(f"no source report in:\n{stdout[-4000:]}")


def _former_warnings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in report["warnings"] if w.get("title") == WARNING_TITLE]


def _rest_sink(gms: StandInGms) -> dict[str, Any]:
    return {"type": "datahub-rest", "config": {"server": gms.url}}


def _sent_for(gms: StandInGms, urns: tuple[str, ...], since: int = 0) -> list[dict[str, Any]]:
    return [p for p in gms.proposals[since:] if p["entityUrn"] in urns]


def _checked(gms: StandInGms, urn: str) -> bool:
    """The run asked GMS for the urn's status (``GET /aspects/<urn>?aspect=status``)."""
    from urllib.parse import quote

    return any(r.method == "GET" and r.path.startswith(f"/aspects/{quote(urn, safe='')}?")
               and "aspect=status" in r.path for r in gms.requests)


def test_a_recipe_run_into_gms_soft_deletes_the_live_former_urns_of_mlflow_models(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A team that ran the recipe with the earlier release: GMS shows churn version 1 as
    (dvc,churn_1) and (dvc,churn). The next run of the recipe, with the release that puts
    it where DataHub's MLflow source does, leaves one live entity of each."""
    with running_gms() as gms:
        _emit(gms, _earlier_run(repo, tmp_path, monkeypatch))
        for urn in FORMER:
            assert gms.aspect(urn, "status") == {"removed": False}, urn
        assert gms.aspect(VERSION, "status") is None
        before = len(gms.proposals)

        proc, report = ingest(tmp_path, repo, _rest_sink(gms))

        for urn in FORMER:
            assert gms.aspect(urn, "status") == {"removed": True}, urn
        # a soft delete and nothing else: the former entities keep the aspects they had
        sent = _sent_for(gms, FORMER, before)
        assert sorted((p["entityUrn"], p["aspectName"], json.loads(p["aspect"]["value"]))
                      for p in sent) == [(OLD_VERSION, "status", {"removed": True}),
                                         (OLD_GROUP, "status", {"removed": True})]
        assert gms.aspect(OLD_VERSION, "mlModelProperties")["customProperties"]["lineage_id"]
        for urn in (GROUP, VERSION, GTO_VERSION):
            assert gms.aspect(urn, "status") == {"removed": False}, urn
        assert gms.aspect(VERSION, "mlModelProperties")["groups"] == [GROUP]
        assert gms.aspect(GTO_VERSION, "mlModelProperties")["groups"] == [GROUP]
        assert report["moved_entities"] == 2
        assert report["moved_urns"] == {OLD_GROUP: GROUP, OLD_VERSION: VERSION}
        assert report["former_urns_unchecked"] == 0
        assert not _former_warnings(report) and not report["failures"]

        # run again: they are soft-deleted already, nothing is sent for them
        again = len(gms.proposals)
        _, report = ingest(tmp_path, repo, _rest_sink(gms))
        assert _sent_for(gms, FORMER, again) == []
        assert report["moved_entities"] == 0 and report["moved_urns"] == {}
        assert gms.aspect(VERSION, "status") == {"removed": False}


@pytest.mark.parametrize("held", ["nothing", "soft-deleted", "another tool's entity",
                                  "lineage's, from before status"])
def test_only_a_former_urn_gms_holds_live_is_soft_deleted(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: str) -> None:
    """Liveness is read as ``lineage push`` reads it: a former urn GMS does not hold, holds
    soft-deleted, or holds as another tool's entity gets nothing (a soft delete would create
    the first, and hide the last); one that lineage wrote before every entity carried
    ``status`` is live by its ``lineage_id``."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata import schema_classes as sc

    # (with the structured property definitions their values need)
    earlier = [m for m in _earlier_run(repo, tmp_path, monkeypatch)
               if str(m.entityUrn) in FORMER or m.aspectName == "propertyDefinition"]
    seeded: list[Any] = []
    if held == "soft-deleted":
        seeded = earlier + [MetadataChangeProposalWrapper(
            entityUrn=u, aspect=sc.StatusClass(removed=True)) for u in FORMER]
    elif held == "another tool's entity":
        seeded = [
            MetadataChangeProposalWrapper(entityUrn=OLD_GROUP, aspect=sc.MLModelGroupPropertiesClass(
                name="churn", customProperties={"owner_team": "ml"})),
            MetadataChangeProposalWrapper(entityUrn=OLD_VERSION, aspect=sc.MLModelPropertiesClass(
                name="churn_1", customProperties={"trained_by": "notebook"})),
        ]
    elif held == "lineage's, from before status":
        seeded = [m for m in earlier if m.aspectName in ("mlModelGroupProperties",
                                                         "mlModelProperties")]
        assert len(seeded) == 2
    retired = held == "lineage's, from before status"
    with running_gms() as gms:
        if seeded:
            _emit(gms, seeded)
        before = len(gms.proposals)

        _, report = ingest(tmp_path, repo, _rest_sink(gms))

        assert all(_checked(gms, urn) for urn in FORMER)  # looked up, not skipped
        sent = _sent_for(gms, FORMER, before)
        if retired:
            assert sorted(p["entityUrn"] for p in sent) == sorted(FORMER)
            assert all(gms.aspect(u, "status") == {"removed": True} for u in FORMER)
            assert report["moved_urns"] == {OLD_GROUP: GROUP, OLD_VERSION: VERSION}
        else:
            assert sent == []
            assert report["moved_entities"] == 0 and report["moved_urns"] == {}
        if held == "nothing":  # no ghost entity
            assert not any(u in FORMER for u, _ in gms.keys())
        if held == "soft-deleted":
            assert all(gms.aspect(u, "status") == {"removed": True} for u in FORMER)
        if held == "another tool's entity":
            assert all(gms.aspect(u, "status") is None for u in FORMER)
        assert gms.aspect(VERSION, "status") == {"removed": False}
        assert report["former_urns_unchecked"] == 0 and not _former_warnings(report)


def _lite_held(path: Path, *urns: str) -> dict[str, dict[str, Any]]:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite(lite_config(path, read_only=True), read_only=True)
    try:
        return {u: got for u in urns if (got := lite.get(u, None))}
    finally:
        lite.close()


@pytest.mark.parametrize("target", ["file", "datahub-lite"])
def test_a_run_that_cannot_read_its_datahub_warns_and_sends_nothing_for_former_urns(
        repo: GitRepo, tmp_path: Path, target: str) -> None:
    """A file or DataHub Lite sink and no ``datahub_api``: nothing tells the run whether the
    former urns are live, so none is soft-deleted (in a fresh file or Lite store it would
    be a ghost entity); the report says how many were not checked and how to retire them."""
    dest = tmp_path / ("mcps.json" if target == "file" else "lite.db")
    sink = ({"type": "file", "config": {"filename": str(dest)}} if target == "file" else
            {"type": "datahub-lite", "config": lite_config(dest)})

    proc, report = ingest(tmp_path, repo, sink)

    if target == "file":
        written = {m["entityUrn"] for m in json.loads(dest.read_text())}
    else:
        written = set(_lite_held(dest, *FORMER, GROUP, VERSION, GTO_VERSION))
    assert {GROUP, VERSION, GTO_VERSION} <= written
    assert not written & set(FORMER)
    assert report["former_urns_unchecked"] == 2
    assert report["moved_entities"] == 0 and report["moved_urns"] == {}
    (warning,) = _former_warnings(report)
    assert "datahub_api" in warning["message"] and "`lineage push`" in warning["message"]
    (context,) = warning["context"]
    assert context.startswith(f"2 former urn(s) not checked ({target} sink, no datahub_api)")
    assert OLD_GROUP in context and OLD_VERSION in context
    assert "Pipeline finished with at least 1 warning" in proc.stdout, proc.stdout[-2000:]


def test_a_file_sink_with_datahub_api_writes_the_soft_deletes_datahub_needs(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``datahub_api`` lets a run that writes an MCP file (to load later) read the DataHub
    the file is for: the file carries the soft deletes of the former urns that DataHub holds
    live, valid as acryl-datahub reads MCP files; the DataHub itself is only read."""
    from datahub.ingestion.source.file import read_metadata_file

    out = tmp_path / "mcps.json"
    with running_gms() as gms:
        _emit(gms, _earlier_run(repo, tmp_path, monkeypatch))
        before = len(gms.proposals)
        _, report = ingest(tmp_path, repo, {"type": "file", "config": {"filename": str(out)}},
                           datahub_api=gms.url)
        assert len(gms.proposals) == before  # read, not written
        assert all(_checked(gms, urn) for urn in FORMER)
    mcps = list(read_metadata_file(out))
    former = [m for m in mcps if str(getattr(m, "entityUrn", "")) in FORMER]
    assert sorted((str(m.entityUrn), m.aspectName) for m in former) == [
        (OLD_VERSION, "status"), (OLD_GROUP, "status")]
    assert all(m.aspect.removed is True and m.validate() for m in former)
    assert mcps[-2:] == former  # after the entities that take their place
    assert report["moved_urns"] == {OLD_GROUP: GROUP, OLD_VERSION: VERSION}
    assert report["former_urns_unchecked"] == 0 and not _former_warnings(report)


def test_a_gms_that_refuses_the_lookup_gets_a_warning_and_no_soft_delete(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A token allowed to write metadata but not to read it: the run writes the graph, sends
    nothing for the former urns it could not look up, and says so (with GMS's answer)."""
    with running_gms() as gms:
        _emit(gms, _earlier_run(repo, tmp_path, monkeypatch))
        gms.refuse_reads(FORMER)
        before = len(gms.proposals)

        _, report = ingest(tmp_path, repo, _rest_sink(gms))

        assert _sent_for(gms, FORMER, before) == []
        assert all(gms.aspect(u, "status") == {"removed": False} for u in FORMER)
        assert gms.aspect(VERSION, "status") == {"removed": False}
    assert report["moved_entities"] == 0 and report["former_urns_unchecked"] == 2
    (warning,) = _former_warnings(report)
    assert "could not be read" in warning["message"]
    (context,) = warning["context"]
    assert context.startswith(f"2 former urn(s) not checked, at {OLD_VERSION}: 403")
    assert not report["failures"]
