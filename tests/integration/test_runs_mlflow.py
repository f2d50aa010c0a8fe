"""MLflow harvester on real tracking stores written by MLflow (tests/fixtures/mlflow)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.harvesters.mlflow import SqliteReader, resolve_tracking_uri
from lineage import api
from lineage.cli.main import app
from lineage.errors import ConfigError, InputError
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_history import mlflow_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


@pytest.fixture
def without_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without the ``mlflow`` extra: ``import mlflow`` raises ImportError
    (the suite installs the extra, so these messages are checked with it hidden)."""
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlflow", None)


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    shutil.copy(FIXTURES / "mlflow.db", git_repo.path / "mlflow.db")
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(git_repo.path)
    return git_repo


def run_node(uuid: str) -> str:
    return f"run:mlflow:mlflow.db:{uuid}"


def test_runs_match_what_mlflow_reports(repo: GitRepo) -> None:
    result = api.harvest(repo.path, only=["mlflow"])
    assert result.report.warnings == []
    store = api.open_store(repo.path)
    runs = {n.attrs["run_id"]: n for n in store.iter_nodes("run")}
    assert set(runs) == set(EXPECTED["runs"])
    for uuid, exp in EXPECTED["runs"].items():
        a = runs[uuid].attrs
        assert a["source"] == "mlflow"
        assert a["status"] == exp["status"]
        assert a["name"] == exp["name"]
        assert a["user"] == exp["user"]
        assert a.get("params", {}) == exp["params"]
        assert a.get("metrics", {}) == exp["metrics"]  # latest value per key, as MLflow says
        assert a["experiment"] == "churn"
        assert a["start_time"].startswith("20")
        for k, v in exp["tags"].items():
            if k != "mlflow.log-model.history":
                assert a["tags"][k] == v
    # multi-step metric: latest step's value, not the first
    assert runs[EXPECTED["run_ids"]["baseline"]].attrs["metrics"]["auc"] == 0.81


def test_commit_parent_and_dataset_edges(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    graph = api.open_store(repo.path).load_graph()
    base = run_node(EXPECTED["run_ids"]["baseline"])
    code = graph.in_edges(base, kind=_kind("code"))
    assert [e.source for e in code] == [f"commit:{EXPECTED['git_sha']}"]
    # the commit is not harvested here: the graph shows it as a placeholder, not a fake node
    assert graph.is_placeholder(f"commit:{EXPECTED['git_sha']}")
    assert graph.in_edges(run_node(EXPECTED["run_ids"]["broken"]), kind=_kind("code")) == []
    child = run_node(EXPECTED["run_ids"]["child"])
    assert [e.source for e in graph.in_edges(child, kind=_kind("upstream_run"))] == [base]
    inputs = graph.in_edges(base, kind=_kind("input"))
    assert len(inputs) == 1
    e = inputs[0]
    assert e.attrs["pin"] == "weak"
    assert e.attrs["digest"] == EXPECTED["dataset_digest"]
    assert e.attrs["path"] == "data/train.csv"
    assert e.attrs["context"] == "training"
    data = graph.attrs(e.source)
    assert data["hash"] == f"mlflow-digest:{EXPECTED['dataset_digest']}"
    # the dataset's location is its path (joins and `lineage show data/train.csv` find it);
    # its MLflow name stays, and so does the id, built from the name
    assert data["path"] == "data/train.csv"
    assert data["properties"]["name"] == "train"
    assert e.source == f"data:mlflow:mlflow.db:train@mlflow-digest:{EXPECTED['dataset_digest']}"
    # both runs read the same dataset: one data node
    tuned = run_node(EXPECTED["run_ids"]["tuned"])
    assert [x.source for x in graph.in_edges(tuned, kind=_kind("input"))] == [e.source]


def _kind(name: str) -> EdgeKind:
    return EdgeKind(name)


def test_registry_versions_aliases_and_name_mapping(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "model_aliases:\n  churn-model: churn\n")
    api.harvest(repo.path, only=["mlflow"])
    graph = api.open_store(repo.path).load_graph()
    group = graph.attrs("model_group:churn")
    assert group["registry"] == "mlflow"
    assert group["properties"]["mlflow_name"] == "churn-model"
    assert group["description"] == "Customer churn classifier"
    v1, v2 = graph.attrs("model:churn@1"), graph.attrs("model:churn@2")
    assert v1["aliases"] == ["champion"] and v2["aliases"] == ["challenger"]
    assert v1["artifact_hash"] == EXPECTED["model_md5"]
    assert v2["tags"] == EXPECTED["versions"]["2"]["tags"]
    assert v1["commit"] == EXPECTED["git_sha"]
    assert v1["properties"]["source"] == EXPECTED["versions"]["1"]["source"]
    assert v1["run_id"] == run_node(EXPECTED["run_ids"]["baseline"])
    produced = graph.in_edges("model:churn@1", kind=_kind("produced"))
    assert [e.source for e in produced] == [run_node(EXPECTED["run_ids"]["baseline"])]
    assert graph.successors("model:churn@1", kind=_kind("previous_version")) == ["model:churn@2"]
    assert graph.successors("model:churn@2", kind=_kind("version_of")) == ["model_group:churn"]
    # logged models (MLflow 3) are named on the run that logged them
    base = graph.attrs(run_node(EXPECTED["run_ids"]["baseline"]))
    assert base["properties"][f"logged_model:{EXPECTED['logged_models']['baseline']}"] == "model"


def test_reharvest_writes_nothing(repo: GitRepo) -> None:
    first = api.harvest(repo.path, only=["mlflow"])
    assert first.new_events == 1
    again = api.harvest(repo.path, only=["mlflow"])
    assert again.new_events == 0
    assert again.harvesters[0].stats.total == 0


def _set_alias(db: Path, alias: str, version: str | None) -> None:
    conn = sqlite3.connect(db)
    with conn:
        if version is None:
            conn.execute("DELETE FROM registered_model_aliases WHERE alias=?", (alias,))
        else:
            conn.execute("UPDATE registered_model_aliases SET version=? WHERE alias=?",
                         (int(version), alias))
    conn.close()


def test_alias_move_is_recorded_once(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    events_before = len(list(store.events()))
    store.close()
    _set_alias(repo.path / "mlflow.db", "champion", "2")  # what `set_registered_model_alias` does
    moved = api.harvest(repo.path, only=["mlflow"])
    assert moved.new_events == 1
    store = api.open_store(repo.path)
    v1, v2 = store.get_node("model:churn-model@1"), store.get_node("model:churn-model@2")
    assert v1 is not None and v2 is not None
    assert v1.attrs["aliases"] == []  # the alias left version 1
    assert v2.attrs["aliases"] == ["challenger", "champion"]
    moves = {k: v for k, v in v2.attrs["properties"].items() if k.startswith("alias_moved:")}
    assert len(moves) == 1
    (key, change), = moves.items()
    assert key.startswith("alias_moved:champion@20") and change == "1 -> 2"
    assert len(list(store.events())) == events_before + 1
    assert store.verify().ok
    store.close()
    # no move since: nothing written, the history stays
    again = api.harvest(repo.path, only=["mlflow"])
    assert again.new_events == 0
    # the alias is deleted: recorded on the version that lost it, history kept
    _set_alias(repo.path / "mlflow.db", "champion", None)
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    v2 = store.get_node("model:churn-model@2")
    assert v2 is not None
    assert v2.attrs["aliases"] == ["challenger"]
    history = sorted(v for k, v in v2.attrs["properties"].items() if k.startswith("alias_moved:"))
    assert history == ["1 -> 2", "2 -> none"]
    store.close()


def test_incremental_reads_only_new_runs(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    wm = json.loads(store.get_watermark("mlflow", "mlflow.db") or "{}")
    store.close()
    reader = SqliteReader(repo.path / "mlflow.db")
    try:
        assert reader.read(wm).runs == []  # nothing new: no run re-read
    finally:
        reader.close()
    # a new run, written to the tables the way MLflow's SQLAlchemy store writes it
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:
        t = wm["runs_start"] + 60_000
        conn.execute(
            "INSERT INTO runs(run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES ('feedbeef', 'late', 'LOCAL', '', '', 'bob', "
            "'FINISHED', ?, ?, '', 'active', '', 1)", (t, t + 1000))
        conn.execute("INSERT INTO latest_metrics(key, value, timestamp, step, is_nan, run_uuid) "
                     "VALUES ('auc', 0.9, ?, 0, 0, 'feedbeef')", (t,))
    conn.close()
    reader = SqliteReader(repo.path / "mlflow.db")
    try:
        assert [r["run_uuid"] for r in reader.read(wm).runs] == ["feedbeef"]
    finally:
        reader.close()
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_new == {"run": 1}
    store = api.open_store(repo.path)
    late = store.get_node(run_node("feedbeef"))
    assert late is not None and late.attrs["metrics"] == {"auc": 0.9}
    store.close()


def test_tag_set_on_a_finished_run_is_seen(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    uuid = EXPECTED["run_ids"]["broken"]
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # MlflowClient.set_tag: no timestamp anywhere records it
        conn.execute("INSERT INTO tags(key, value, run_uuid) VALUES ('reviewed', 'yes', ?)",
                     (uuid,))
    conn.close()
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_changed == {"run": 1}
    store = api.open_store(repo.path)
    node = store.get_node(run_node(uuid))
    assert node is not None and node.attrs["tags"]["reviewed"] == "yes"
    store.close()
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


@pytest.mark.usefixtures("without_mlflow")
def test_unknown_schema_version_names_it_and_the_extra(repo: GitRepo) -> None:
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:
        conn.execute("UPDATE alembic_version SET version_num='0fedcba98765'")
    conn.close()
    with pytest.raises(InputError) as info:
        api.harvest(repo.path, only=["mlflow"])
    text = str(info.value)
    assert "schema version 0fedcba98765" in text
    assert "mlflow.db" in text
    assert "pip install 'lineage[mlflow]'" in text
    # nothing was half-written
    store = api.open_store(repo.path)
    assert list(store.events()) == []
    store.close()


@pytest.mark.usefixtures("without_mlflow")
def test_tracking_server_without_extra_says_what_to_install(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:secret@127.0.0.1:5999")
    with pytest.raises(ConfigError) as info:
        api.harvest(repo.path, only=["mlflow"])
    assert "pip install 'lineage[mlflow]'" in str(info.value)
    assert "secret" not in str(info.value)


def test_missing_store_is_a_warning(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///nope/mlflow.db")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.new_events == 0
    assert any("does not exist" in w.message for w in res.report.warnings)


def test_a_sqlite_store_that_is_a_folder_is_a_warning_saying_so(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo.path / "mlruns.db").mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlruns.db")
    monkeypatch.chdir(repo.path)
    res = CliRunner().invoke(app, ["harvest", "--only", "mlflow", "--json"])
    assert res.exit_code == 0, res.output
    [warning] = json.loads(res.stdout)["warnings"]
    assert warning["message"] == (f"MLflow tracking store {repo.path / 'mlruns.db'} is a folder, "
                                  "not a SQLite file; nothing harvested from MLflow")


def test_not_enabled_without_configuration(git_repo: GitRepo) -> None:
    git_repo.commit("init")
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["mlflow"])
    assert res.harvesters == []


def test_config_file_tracking_uri(git_repo: GitRepo) -> None:
    (git_repo.path / "tracking").mkdir()
    shutil.copy(FIXTURES / "mlflow.db", git_repo.path / "tracking" / "runs.db")
    git_repo.write("lineage.yaml", "mlflow:\n  tracking_uri: sqlite:///tracking/runs.db\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["mlflow"])
    store = api.open_store(git_repo.path)
    uuid = EXPECTED["run_ids"]["baseline"]
    assert store.has_node(f"run:mlflow:tracking/runs.db:{uuid}")
    store.close()


def test_cli_init_and_harvest_json(tmp_path: Path) -> None:
    other = GitRepo(tmp_path / "cli")
    shutil.copy(FIXTURES / "mlflow.db", other.path / "mlflow.db")
    other.commit("init")
    runner = CliRunner()
    env = {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}
    res = runner.invoke(app, ["init", "-C", str(other.path)], env=env)
    assert res.exit_code == 0, res.output
    # no flag names MLflow: the environment variable is enough
    res = runner.invoke(app, ["harvest", "-C", str(other.path), "--json"], env=env)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["harvesters"]["mlflow"]["nodes_new"]["run"] == len(EXPECTED["runs"])
    assert out["totals"]["nodes"]["model"] == 2
    assert out["harvesters"]["mlflow"]["event"] is not None


def test_resolve_tracking_uri(tmp_path: Path) -> None:
    rel = resolve_tracking_uri("sqlite:///mlflow.db", tmp_path)
    assert (rel.kind, rel.key, rel.path) == ("sqlite", "mlflow.db", tmp_path / "mlflow.db")
    outside = tmp_path.parent / "elsewhere.db"
    ab = resolve_tracking_uri(f"sqlite:///{outside}", tmp_path)
    assert ab.path == outside and ab.key == outside.resolve().as_posix()
    http = resolve_tracking_uri("https://bob:pw@mlflow.example.com:8443/", tmp_path)
    assert (http.kind, http.key) == ("client", "mlflow.example.com:8443")
    assert "pw" not in http.uri
    files = resolve_tracking_uri("./mlruns", tmp_path)
    assert (files.kind, files.key) == ("client", "mlruns")
    assert resolve_tracking_uri(f"file://{tmp_path}/mlruns", tmp_path).key == "mlruns"
    with pytest.raises(ConfigError):
        resolve_tracking_uri("sqlite://mlflow.db", tmp_path)


def test_metric_logged_with_an_earlier_timestamp_is_seen(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    uuid = EXPECTED["run_ids"]["baseline"]
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # MlflowClient().log_metric(uuid, "auc", 0.5, timestamp=1000, step=100)
        conn.execute("INSERT INTO metrics(key, value, timestamp, run_uuid, step, is_nan) "
                     "VALUES ('auc', 0.5, 1000, ?, 100, 0)", (uuid,))
        conn.execute("UPDATE latest_metrics SET value=0.5, timestamp=1000, step=100 "
                     "WHERE run_uuid=? AND key='auc'", (uuid,))
    conn.close()
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_changed == {"run": 1}
    store = api.open_store(repo.path)
    node = store.get_node(run_node(uuid))
    assert node is not None and node.attrs["metrics"]["auc"] == 0.5  # highest step, as MLflow
    store.close()
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_credentials_in_a_sqlite_uri_are_dropped_not_the_path(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite://alice:pw123@/mlflow.db")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_new["run"] == len(EXPECTED["runs"])
    store = api.open_store(repo.path)
    uris = {n.attrs["tracking_uri"] for n in store.iter_nodes("run")}
    store.close()
    assert uris == {"sqlite:///mlflow.db"}
    with pytest.raises(ConfigError) as info:
        resolve_tracking_uri("sqlite://alice:pw123@mlflow.db", repo.path)
    assert "'sqlite://mlflow.db'" in str(info.value) and "pw123" not in str(info.value)


@pytest.mark.usefixtures("without_mlflow")
def test_token_in_the_tracking_uri_is_not_shown_without_the_extra(repo: GitRepo) -> None:
    env = {"MLFLOW_TRACKING_URI": "https://127.0.0.1:9/?token=abcd1234TOKEN"}
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "mlflow"], env=env)
    assert res.exit_code != 0
    assert "needs the mlflow extra" in res.output
    assert "https://127.0.0.1:9/?token=REDACTED" in res.output
    assert "abcd1234TOKEN" not in res.output


# what MLflow 3.17's client raises for https://alice:pw12@127.0.0.1:9/?token=TOK123 (verbatim)
CLIENT_ERROR = (
    "API request to https://alice:pw12@127.0.0.1:9/?token=TOK123/api/2.0/mlflow/experiments/"
    "search failed with exception HTTPSConnectionPool(host='127.0.0.1', port=9): Max retries "
    "exceeded with url: /?token=TOK123/api/2.0/mlflow/experiments/search (Caused by "
    "NewConnectionError(\"HTTPSConnection(host='127.0.0.1', port=9): Failed to establish a new "
    "connection: [Errno 111] Connection refused\"))")


def test_client_error_text_is_scrubbed_of_the_uri_secrets(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    class Client:  # MLflow's client, failing as it does against an unreachable server
        def __init__(self, tracking_uri: str, registry_uri: str | None = None) -> None:
            self.uri = tracking_uri

        def search_experiments(self, **_: object) -> list[object]:
            raise RuntimeError(CLIENT_ERROR)

    fake = types.ModuleType("mlflow")
    tracking = types.ModuleType("mlflow.tracking")
    entities = types.ModuleType("mlflow.entities")
    tracking.MlflowClient = Client  # type: ignore[attr-defined]
    entities.ViewType = types.SimpleNamespace(ALL=3)  # type: ignore[attr-defined]
    for name, mod in (("mlflow", fake), ("mlflow.tracking", tracking),
                      ("mlflow.entities", entities)):
        monkeypatch.setitem(sys.modules, name, mod)
    env = {"MLFLOW_TRACKING_URI": "https://alice:pw12@127.0.0.1:9/?token=TOK123"}
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "mlflow"], env=env)
    assert res.exit_code != 0
    assert "Connection refused" in res.output
    assert "TOK123" not in res.output and "pw12" not in res.output
    assert "https://127.0.0.1:9/?token=REDACTED" in res.output


def test_show_says_a_deleted_run_is_deleted(repo: GitRepo) -> None:
    uuid = EXPECTED["run_ids"]["broken"]
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # MlflowClient().delete_run(uuid)
        conn.execute("UPDATE runs SET lifecycle_stage='deleted', deleted_time=? "
                     "WHERE run_uuid=?", (1_800_000_000_000, uuid))
    conn.close()
    api.harvest(repo.path, only=["mlflow"])
    runner = CliRunner()
    res = runner.invoke(app, ["show", run_node(uuid), "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    # (the status alone: the run's id, mlflow:…, names its source)
    assert f"run {run_node(uuid).removeprefix('run:')} FAILED (deleted)" in res.output
    baseline = run_node(EXPECTED["run_ids"]["baseline"])
    live = runner.invoke(app, ["show", baseline, "-C", str(repo.path)])
    assert f"run {baseline.removeprefix('run:')} FINISHED" in live.output
    assert "(deleted)" not in live.output


def _log_input(db: Path, run_uuid: str, name: str, digest: str, source_type: str,
               source: dict[str, Any]) -> None:
    """What ``mlflow.log_input`` writes: a ``datasets`` row and an ``inputs`` row."""
    import uuid

    conn = sqlite3.connect(db)
    with conn:
        uid = uuid.uuid4().hex
        conn.execute("INSERT INTO datasets(dataset_uuid, experiment_id, name, digest, "
                     "dataset_source_type, dataset_source) VALUES (?, 1, ?, ?, ?, ?)",
                     (uid, name, digest, source_type, json.dumps(source)))
        conn.execute("INSERT INTO inputs(input_uuid, source_type, source_id, destination_type, "
                     "destination_id) VALUES (?, 'DATASET', ?, 'RUN', ?)",
                     (uuid.uuid4().hex, uid, run_uuid))
    conn.close()


def test_dataset_path_is_its_source_location(repo: GitRepo) -> None:
    db, run = repo.path / "mlflow.db", EXPECTED["run_ids"]["tuned"]
    # name: (source type, source, path, repository path on the INPUT edge)
    cases: dict[str, tuple[str, dict[str, Any], str, str | None]] = {
        "s3data": ("s3", {"uri": "s3://bucket/churn/x.csv"}, "s3://bucket/churn/x.csv", None),
        "web": ("http", {"url": "https://bob:pw0rd@Data.Example.com/x.csv?token=t0ken&v=2"},
                "https://data.example.com/x.csv?token=REDACTED&v=2", None),
        "delta": ("delta_table", {"path": "dbfs:/delta/churn", "delta_table_version": 3},
                  "dbfs:/delta/churn", None),
        "imdb": ("hugging_face", {"path": "stanfordnlp/imdb", "split": "train"},
                 "stanfordnlp/imdb", None),  # a Hub dataset, not a folder of the repository
        "hf_local": ("hugging_face", {"path": "./data/hf", "split": "train"}, "data/hf",
                     "data/hf"),
        "abs": ("local", {"uri": str(repo.path / "data" / "abs.csv")}, "data/abs.csv",
                "data/abs.csv"),
        "furi": ("local", {"uri": (repo.path / "data" / "f.csv").as_uri()}, "data/f.csv",
                 "data/f.csv"),
        "outside": ("local", {"uri": "/srv/shared/x.csv"}, "/srv/shared/x.csv", None),
        "inline": ("code", {"tags": {"mlflow.source.name": "train.py"}}, "inline", None),
    }
    for i, (name, (stype, source, _, _)) in enumerate(cases.items()):
        _log_input(db, run, name, f"d1ge5t{i:02d}", stype, source)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    edges = {e.source: e.attrs for e in graph.in_edges(run_node(run), kind=_kind("input"))}
    for i, (name, (stype, _, path, rel)) in enumerate(cases.items()):
        did = f"data:mlflow:mlflow.db:{name}@mlflow-digest:d1ge5t{i:02d}"
        attrs = graph.attrs(did)
        assert (attrs["path"], attrs["properties"]["name"]) == (path, name), name
        assert attrs["properties"]["source_type"] == stype
        assert edges[did].get("path") == rel, name
    db_bytes = (repo.path / ".lineage" / "lineage.db").read_bytes()
    assert b"pw0rd" not in db_bytes and b"t0ken" not in db_bytes


def _as_an_earlier_emitter_wrote_it(repo: GitRepo, kind: str, node_id: str,
                                    edit: Callable[[dict[str, Any]], Any],
                                    emitter: int | None) -> None:
    """The store as an earlier version of the harvester left it: the node's attrs as ``edit``
    changes them (with their hash, so the store stays consistent) and the watermark of that
    ``emitter`` version (None: from before emitter versions), written as lineage writes one
    (a watermark edited outside lineage reads as none: the store as never harvested)."""
    from lineage.serialize import dumps_str
    from lineage.store import node_hash

    store = api.open_store(repo.path)
    node = store.get_node(node_id)
    assert node is not None
    attrs = node.attrs
    edit(attrs)
    with store.conn:
        store.conn.execute("UPDATE nodes SET attrs = ?, hash = ? WHERE id = ?",
                           (dumps_str(attrs), node_hash(kind, node_id, attrs), node_id))
    ((scope,),) = store.conn.execute(
        "SELECT scope FROM watermarks WHERE harvester = 'mlflow'").fetchall()
    wm = store.get_watermark("mlflow", scope)
    assert wm is not None
    old = {k: v for k, v in json.loads(wm).items() if k != "emitter"}
    if emitter is not None:
        old["emitter"] = emitter
    with store.transaction():
        store.set_watermark("mlflow", scope, json.dumps(old))
    store.close()


def test_store_harvested_before_dataset_paths_gets_them(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    did = f"data:mlflow:mlflow.db:train@mlflow-digest:{EXPECTED['dataset_digest']}"

    def old_path(attrs: dict[str, Any]) -> None:  # as an earlier version wrote it: the name
        attrs["path"] = "train"
        del attrs["properties"]["name"]

    _as_an_earlier_emitter_wrote_it(repo, "data", did, old_path, emitter=None)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.new_events == 1  # the runs are read once more; only the data node changed
    assert res.harvesters[0].stats.nodes_changed == {"data": 1}
    store = api.open_store(repo.path)
    node = store.get_node(did)
    store.close()
    assert node is not None and node.attrs["path"] == "data/train.csv"
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_credentials_in_param_values_are_stored_nowhere(repo: GitRepo) -> None:
    """``mlflow.log_param("db_url", "postgresql://etl:<password>@db/crm")``: the run's params
    keep the URL without its password, like its tags; a store that holds the password from an
    earlier harvest loses it at the next one."""
    uuid = EXPECTED["run_ids"]["baseline"]
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:
        conn.execute("INSERT INTO params VALUES ('db_url', ?, ?)",
                     ("postgresql://etl:Pa55w0rdSECRET@db.internal/crm", uuid))
        conn.execute("INSERT INTO params VALUES ('data_uri', ?, ?)",
                     ("https://data.example.com/x.csv?sig=S1GSECRET&v=1", uuid))
    conn.close()
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    node = store.get_node(mlflow_run("baseline"))
    store.close()
    assert node is not None
    params = node.attrs["params"]
    assert params["db_url"] == "postgresql://db.internal/crm"
    assert "S1GSECRET" not in params["data_uri"] and params["lr"] == "0.1"
    db = (repo.path / ".lineage" / "lineage.db").read_bytes()
    assert b"Pa55w0rdSECRET" not in db and b"S1GSECRET" not in db
    # a store harvested before: the password in the node, the watermark of emitter 2
    rid = mlflow_run("baseline")

    def with_password(attrs: dict[str, Any]) -> None:
        attrs["params"]["db_url"] = "postgresql://etl:Pa55w0rdSECRET@db.internal/crm"

    _as_an_earlier_emitter_wrote_it(repo, "run", rid, with_password, emitter=2)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_changed == {"run": 1}
    assert b"Pa55w0rdSECRET" not in (repo.path / ".lineage" / "lineage.db").read_bytes()


def test_artifact_locations_lose_their_credentials(git_repo: GitRepo,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An experiment's artifact location may be a URL with a user and password (an HTTP
    artifact store, a WebDAV share): runs and model versions inherit it."""
    mlflow = pytest.importorskip("mlflow")
    git_repo.commit("init")
    api.init(git_repo.path)
    client = mlflow.MlflowClient(f"sqlite:///{git_repo.path / 'mlflow.db'}")
    exp = client.create_experiment(
        "churn", artifact_location="https://bob:art-s3cret@store.example.com/mlruns")
    run = client.create_run(exp)
    client.set_terminated(run.info.run_id)
    client.create_registered_model("churn")
    client.create_model_version("churn", f"{run.info.artifact_uri}/model",
                                run_id=run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.harvest(git_repo.path, only=["mlflow"])
    store = api.open_store(git_repo.path)
    dump = json.dumps([n.attrs for n in store.iter_nodes()], default=str)
    store.close()
    assert "store.example.com/mlruns" in dump
    assert "art-s3cret" not in dump


_REGISTRY_TABLES = ("model_version_tags", "registered_model_aliases", "model_versions",
                    "registered_model_tags", "registered_models")


def _split_registry(repo: GitRepo, registry: Path) -> None:
    """What MLflow writes with ``MLFLOW_REGISTRY_URI`` set to another SQLite file: both files
    get the whole schema, the runs land in the tracking store, the registry in the other."""
    shutil.copy(repo.path / "mlflow.db", registry)
    for db, tables in ((repo.path / "mlflow.db", _REGISTRY_TABLES),
                       (registry, ("tags", "params", "latest_metrics", "metrics", "inputs",
                                   "runs"))):
        conn = sqlite3.connect(db)
        with conn:
            for table in tables:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        conn.close()


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_registry_in_a_sqlite_file_of_its_own(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path, where: str) -> None:
    """MLFLOW_REGISTRY_URI=sqlite:///registry.db: the versions, aliases and their runs' commits
    come from the registry store, as MLflow's client reads them (a relative path is the
    repository's, as the tracking store's is)."""
    registry = repo.path / "registry.db" if where == "relative" else tmp_path / "reg.db"
    _split_registry(repo, registry)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///registry.db" if where == "relative"
                       else f"sqlite:///{registry}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    v1 = graph.attrs("model:churn-model@1")
    assert v1["aliases"] == ["champion"]
    assert v1["commit"] == EXPECTED["git_sha"]
    assert v1["run_id"] == run_node(EXPECTED["run_ids"]["baseline"])
    assert graph.attrs("model:churn-model@2")["aliases"] == ["challenger"]
    assert graph.attrs("model_group:churn-model")["registry"] == "mlflow"
    assert list(elsewhere.iterdir()) == []
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_missing_registry_store_is_a_warning_and_changes_nothing(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    api.harvest(repo.path, only=["mlflow"])
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///nowhere.db")
    res = api.harvest(repo.path, only=["mlflow"])
    assert [w.message for w in res.report.warnings if "nowhere.db" in w.message]
    assert res.new_events == 0  # no version lost its alias
    assert not (repo.path / "nowhere.db").exists()


def _delete_version(db: Path, name: str, version: int) -> None:
    """What ``MlflowClient.delete_model_version`` does in a SQL store: the row stays, marked
    ``Deleted_Internal``, its run and source overwritten, its aliases deleted."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM registered_model_aliases WHERE name=? AND version=?",
                     (name, version))
        conn.execute("UPDATE model_versions SET current_stage='Deleted_Internal', "
                     "description=NULL, user_id=NULL, source='REDACTED-SOURCE-PATH', "
                     "run_id='REDACTED-RUN-ID', run_link='REDACTED-RUN-LINK', "
                     "status_message=NULL WHERE name=? AND version=?", (name, version))
    conn.close()


def test_deleted_model_version_is_not_a_version(repo: GitRepo) -> None:
    """MLflow lists no deleted version (search_model_versions, the UI): the SQLite reader
    took its row for a live version produced by a run 'REDACTED-RUN-ID'."""
    db = repo.path / "mlflow.db"
    _delete_version(db, "churn-model", 2)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    assert [n for n in graph.node_ids() if "REDACTED" in n] == []
    assert "model:churn-model@2" not in graph
    assert graph.attrs("model:churn-model@1")["aliases"] == ["champion"]


def test_version_deleted_after_a_harvest_keeps_its_node_and_loses_its_alias(
        repo: GitRepo) -> None:
    api.harvest(repo.path, only=["mlflow"])
    _delete_version(repo.path / "mlflow.db", "churn-model", 2)
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    v2 = store.get_node("model:churn-model@2")
    assert store.get_node("run:mlflow:mlflow.db:REDACTED-RUN-ID") is None
    store.close()
    assert v2 is not None and v2.attrs["aliases"] == []
    assert v2.attrs["run_id"] == run_node(EXPECTED["run_ids"]["tuned"])
    assert [v for k, v in v2.attrs["properties"].items()
            if k.startswith("alias_moved:challenger@")] == ["2 -> none"]


def test_what_a_finished_run_gains_later_is_seen(repo: GitRepo) -> None:
    """No timestamp shows a dataset logged to a finished run (``MlflowClient.log_inputs``), a
    logged model linked to it, or its experiment renamed (``rename_experiment``): the next
    harvest has them, as a harvest from scratch does."""
    api.harvest(repo.path, only=["mlflow"])
    db, run = repo.path / "mlflow.db", EXPECTED["run_ids"]["broken"]
    _log_input(db, run, "holdout", "h0ld0ut1", "local", {"uri": "data/holdout.csv"})
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE experiments SET name='churn-v2' WHERE name='churn'")
        conn.execute("INSERT INTO logged_models(model_id, experiment_id, name, "
                     "artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, "
                     "status, lifecycle_stage, source_run_id) SELECT 'm-late', experiment_id, "
                     "'late-model', 'file:///tmp/m', 1, 1, 2, 'active', run_uuid FROM runs "
                     "WHERE run_uuid=?", (run,))
    conn.close()
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    inputs = [e.attrs.get("path") for e in graph.in_edges(run_node(run), kind=_kind("input"))]
    assert "data/holdout.csv" in inputs
    a = graph.attrs(run_node(run))
    assert a["experiment"] == "churn-v2"
    assert a["properties"]["logged_model:m-late"] == "late-model"
    assert {graph.attrs(n)["experiment"] for n in graph.node_ids() if n.startswith("run:")} \
        == {"churn-v2"}


def test_prompts_are_not_models(repo: GitRepo) -> None:
    """``mlflow.genai.register_prompt`` keeps a prompt in the registry tables, tagged
    ``mlflow.prompt.is_prompt``; MLflow lists no prompt among the registered models (so the
    client path never saw one), and a prompt is no model the audit should ask a run of."""
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # the rows register_prompt wrote with MLflow 3.17
        conn.execute("INSERT INTO registered_models(name, creation_time, last_updated_time, "
                     "description, workspace) VALUES ('churn-explainer', 1, 1, NULL, "
                     "'default')")
        conn.execute("INSERT INTO registered_model_tags VALUES ('mlflow.prompt.is_prompt', "
                     "'true', 'churn-explainer', 'default')")
        conn.execute("INSERT INTO model_versions(name, version, creation_time, "
                     "last_updated_time, current_stage, source, status, storage_location, "
                     "workspace) VALUES ('churn-explainer', 1, 1, 1, 'None', 'dummy-source', "
                     "'READY', 'dummy-source', 'default')")
        for key, value in (("mlflow.prompt.is_prompt", "true"), ("_mlflow_prompt_type", "text"),
                           ("mlflow.prompt.text", "Explain churn for {{customer}}")):
            conn.execute("INSERT INTO model_version_tags VALUES (?, ?, 'churn-explainer', 1, "
                         "'default')", (key, value))
        conn.execute("INSERT INTO registered_model_aliases VALUES ('live', 1, "
                     "'churn-explainer', 'default')")
    conn.close()
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    groups = {n.id for n in store.iter_nodes("model_group")}
    models = {n.id for n in store.iter_nodes("model")}
    store.close()
    assert groups == {"model_group:churn-model"}
    assert models == {"model:churn-model@1", "model:churn-model@2"}


def test_sqlite_file_named_without_its_scheme_says_how_to_write_it(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLFLOW_TRACKING_URI=mlflow.db names a file store (a folder) to MLflow: the error says
    the file is a SQLite store and how to name one, not MLflow's 'Not a directory: …/.trash'."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "mlflow.db")
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "mlflow"])
    assert res.exit_code == 2, res.output
    assert "sqlite:///mlflow.db" in res.output and ".trash" not in res.output, res.output


def test_copied_version_names_no_logged_model(repo: GitRepo) -> None:
    """``copy_model_version("models:/churn-model/1", "churn-prod")`` makes a version whose
    source is the copied version's URI: it is no logged model (those are ``models:/m-…``);
    the copy keeps the run it was produced by."""
    conn = sqlite3.connect(repo.path / "mlflow.db")
    with conn:  # the rows MLflow 3.17's copy_model_version wrote
        conn.execute("INSERT INTO registered_models(name, creation_time, last_updated_time, "
                     "description, workspace) VALUES ('churn-prod', 1, 1, NULL, 'default')")
        conn.execute("INSERT INTO model_versions(name, version, creation_time, "
                     "last_updated_time, current_stage, source, run_id, status, "
                     "storage_location, workspace) VALUES ('churn-prod', 1, 1, 1, 'None', "
                     "'models:/churn-model/1', ?, 'READY', NULL, 'default')",
                     (EXPECTED["run_ids"]["baseline"],))
    conn.close()
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    copy = store.get_node("model:churn-prod@1")
    store.close()
    assert copy is not None
    assert "logged_model" not in copy.attrs["properties"], copy.attrs["properties"]
    assert copy.attrs["properties"]["source"] == "models:/churn-model/1"
    assert copy.attrs["run_id"] == run_node(EXPECTED["run_ids"]["baseline"])


def test_empty_store_file_is_read_not_written(repo: GitRepo,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A 0-byte mlflow.db (``touch``, a failed copy): MLflow's client, given one, creates its
    whole schema in it; the harvest only reads. It warns, harvests nothing, and leaves the
    file (and a registry file of the same kind) as it was."""
    (repo.path / "empty.db").touch()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///empty.db")
    res = api.harvest(repo.path, only=["mlflow"])
    assert [w for w in res.report.warnings if "empty.db" in w.message], res.report.warnings
    assert (repo.path / "empty.db").stat().st_size == 0
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.harvest(repo.path, only=["mlflow"])
    (repo.path / "registry.db").touch()
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///registry.db")
    res = api.harvest(repo.path, only=["mlflow"])
    assert [w for w in res.report.warnings if "registry.db" in w.message], res.report.warnings
    assert res.new_events == 0  # no alias reads as deleted
    assert (repo.path / "registry.db").stat().st_size == 0


def _log_metric_as_mlflow_sql_store(db: Path, uuid: str, key: str, value: float, step: int,
                                    *, latest: bool = True) -> None:
    """What MlflowClient().log_metric writes to a SQL store: a NaN as value 0 with is_nan,
    and the latest value (highest step) in latest_metrics."""
    import math

    nan = math.isnan(value)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO metrics(key, value, timestamp, run_uuid, step, is_nan) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (key, 0.0 if nan else value, 2000 + step,
                                                   uuid, step, int(nan)))
        if latest:
            conn.execute("DELETE FROM latest_metrics WHERE run_uuid=? AND key=?", (uuid, key))
            conn.execute("INSERT INTO latest_metrics(key, value, timestamp, step, is_nan, "
                         "run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
                         (key, 0.0 if nan else value, 2000 + step, step, int(nan), uuid))
    conn.close()


def _run_metrics(repo: GitRepo, node_id: str) -> dict[str, Any]:
    store = api.open_store(repo.path)
    node = store.get_node(node_id)
    store.close()
    assert node is not None
    return dict(node.attrs["metrics"])


def test_a_nan_metric_is_kept_as_nan_as_mlflow_shows_it(repo: GitRepo) -> None:
    """A loss that diverged: MLflow shows NaN as its latest value; the run says "NaN" (as a
    recorded run does), not no loss at all."""
    uuid = EXPECTED["run_ids"]["baseline"]
    _log_metric_as_mlflow_sql_store(repo.path / "mlflow.db", uuid, "loss", 0.3, 1)
    _log_metric_as_mlflow_sql_store(repo.path / "mlflow.db", uuid, "loss", float("nan"), 2)
    api.harvest(repo.path, only=["mlflow"])
    assert _run_metrics(repo, run_node(uuid))["loss"] == "NaN"
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_a_nan_at_a_later_step_is_the_latest_value_without_latest_metrics(
        repo: GitRepo) -> None:
    """A store without the latest_metrics table: the value at the highest step is the latest,
    NaN included; the older finite value is not shown as the latest."""
    uuid = EXPECTED["run_ids"]["baseline"]
    db = repo.path / "mlflow.db"
    _log_metric_as_mlflow_sql_store(db, uuid, "loss", 0.3, 1, latest=False)
    _log_metric_as_mlflow_sql_store(db, uuid, "loss", float("nan"), 2, latest=False)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DROP TABLE latest_metrics")
    conn.close()
    api.harvest(repo.path, only=["mlflow"])
    assert _run_metrics(repo, run_node(uuid))["loss"] == "NaN"


def test_a_nan_metric_read_through_mlflow_client_is_nan_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((repo.path / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("churn"))
    client.log_metric(run.info.run_id, "loss", 0.3, step=1)
    client.log_metric(run.info.run_id, "loss", float("nan"), step=2)
    client.log_metric(run.info.run_id, "auc", 0.8)
    client.set_terminated(run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    api.harvest(repo.path, only=["mlflow"])
    assert _run_metrics(repo, f"run:mlflow:mlruns:{run.info.run_id}") == {
        "auc": 0.8, "loss": "NaN"}


def test_store_harvested_before_nan_metrics_gets_them(repo: GitRepo) -> None:
    """A store an earlier version harvested (the NaN loss left out): the next harvest reads the
    runs once more and the loss is there."""
    uuid = EXPECTED["run_ids"]["baseline"]
    _log_metric_as_mlflow_sql_store(repo.path / "mlflow.db", uuid, "loss", float("nan"), 2)
    api.harvest(repo.path, only=["mlflow"])
    rid = run_node(uuid)
    _as_an_earlier_emitter_wrote_it(repo, "run", rid, lambda attrs: attrs["metrics"].pop("loss"),
                                    emitter=4)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.harvesters[0].stats.nodes_changed == {"run": 1}
    assert _run_metrics(repo, rid)["loss"] == "NaN"
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_a_dataset_dvc_checked_out_as_a_symlink_is_its_repository_path(git_repo: GitRepo) -> None:
    """``dvc config cache.type symlink``: data/train.csv is a link into .dvc/cache. An MLflow
    dataset whose source names the work-tree file is that path of the repository (so the
    joins pin it to DVC's version), not the cache file the link points at."""
    import subprocess

    from connectors.harvesters.mlflow import repo_relative

    r = git_repo
    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    r.write("README.md", "churn\n")
    r.commit("init")
    r.write("data/train.csv", "a,1\n")
    for args in (["init", "-q"], ["config", "cache.type", "symlink"], ["add", "data/train.csv"]):
        subprocess.run([dvc, *args], cwd=r.path, env=r.env(), check=True, capture_output=True)
    assert (r.path / "data/train.csv").is_symlink()
    for source in (str(r.path / "data/train.csv"), f"file://{r.path}/data/train.csv",
                   "data/train.csv", "./data/../data/train.csv"):
        assert repo_relative(source, r.path) == "data/train.csv", source
    assert repo_relative(str(r.path.parent / "elsewhere.csv"), r.path) is None
    assert repo_relative("s3://bucket/data/train.csv", r.path) is None


def test_what_mlflow_no_longer_says_of_a_run_leaves_the_store(repo: GitRepo) -> None:
    """``MlflowClient().delete_tag``: the run loses the tag, and with the tag
    ``mlflow.source.git.commit`` its commit and CODE edge, with ``mlflow.parentRunId`` its
    UPSTREAM_RUN edge; the withdrawal is in the tamper-evident log and a harvest after it
    writes nothing."""
    mlflow = pytest.importorskip("mlflow")
    api.harvest(repo.path, only=["mlflow"])
    base, child = mlflow_run("baseline"), mlflow_run("child")
    client = mlflow.MlflowClient(f"sqlite:///{repo.path / 'mlflow.db'}")
    for run, tag in (("baseline", "team"), ("baseline", "mlflow.source.git.commit"),
                     ("child", "mlflow.parentRunId")):
        client.delete_tag(EXPECTED["run_ids"][run], tag)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    graph = store.load_graph()
    a = graph.attrs(base)
    assert "team" not in a["tags"] and "mlflow.source.git.commit" not in a["tags"]
    assert a.get("commit") is None
    assert graph.in_edges(base, kind=_kind("code")) == []
    assert "mlflow.parentRunId" not in graph.attrs(child)["tags"]
    assert graph.in_edges(child, kind=_kind("upstream_run")) == []
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_inputs_and_params_a_run_no_longer_has_are_withdrawn(repo: GitRepo) -> None:
    """A run re-logged into the store (its rows written again without a dataset input or a
    param): the next harvest gives the run exactly what MLflow says of it, and a dataset no
    run reads any more leaves the store; so does a store an earlier emitter wrote."""
    api.harvest(repo.path, only=["mlflow"])
    db = repo.path / "mlflow.db"
    base, tuned, broken = (EXPECTED["run_ids"][r] for r in ("baseline", "tuned", "broken"))
    did = f"data:mlflow:mlflow.db:train@mlflow-digest:{EXPECTED['dataset_digest']}"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM inputs WHERE destination_id = ?", (base,))
        conn.execute("DELETE FROM params WHERE run_uuid = ? AND key = 'n_estimators'", (base,))
        conn.execute("DELETE FROM params WHERE run_uuid = ?", (broken,))
    conn.close()
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    graph = store.load_graph()
    store.close()
    assert graph.in_edges(run_node(base), kind=_kind("input")) == []
    assert graph.attrs(run_node(base))["params"] == {"lr": "0.1"}
    assert not graph.attrs(run_node(broken)).get("params")
    assert [e.source for e in graph.in_edges(run_node(tuned), kind=_kind("input"))] == [did]
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0
    # the last run reading the dataset loses it, seen by a harvest of a newer emitter
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM inputs WHERE destination_id = ?", (tuned,))
    conn.close()
    _as_an_earlier_emitter_wrote_it(repo, "run", run_node(tuned), lambda attrs: None, emitter=5)
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    assert store.get_node(did) is None
    assert [e for e in store.edges_of(run_node(tuned)) if e.kind == EdgeKind.INPUT] == []
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_what_mlflow_no_longer_says_of_a_model_version_leaves_it(repo: GitRepo) -> None:
    """A version moved back to stage ``None``, its ``artifact_hash`` tag and description
    deleted, its registered model's tags and description removed: the nodes say so (the
    stage stayed "Production", and the hash kept joining the version to another registry's)."""
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(f"sqlite:///{repo.path / 'mlflow.db'}")
    client.transition_model_version_stage("churn-model", "1", "Production")
    client.set_registered_model_tag("churn-model", "owner", "ada")
    client.update_model_version("churn-model", "1", description="first")
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    v1 = store.get_node("model:churn-model@1")
    store.close()
    assert v1 is not None and v1.attrs["stage"] == "Production"
    assert v1.attrs["artifact_hash"] == EXPECTED["model_md5"]
    client.transition_model_version_stage("churn-model", "1", "None")
    for tag in list(client.get_model_version("churn-model", "1").tags):
        client.delete_model_version_tag("churn-model", "1", tag)
    client.update_model_version("churn-model", "1", description="")
    client.delete_registered_model_tag("churn-model", "owner")
    client.update_registered_model("churn-model", description="")
    assert api.harvest(repo.path, only=["mlflow"]).report.warnings == []
    store = api.open_store(repo.path)
    v1, group = store.get_node("model:churn-model@1"), store.get_node("model_group:churn-model")
    store.close()
    assert v1 is not None and group is not None
    assert v1.attrs.get("stage") is None and not v1.attrs.get("tags")
    assert v1.attrs.get("artifact_hash") is None and not v1.attrs.get("description")
    assert not group.attrs.get("tags") and not group.attrs.get("description")
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0
