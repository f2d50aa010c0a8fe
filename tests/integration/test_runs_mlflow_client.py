"""The MlflowClient path (the ``mlflow`` extra): the same facts as the SQLite reader, from a
real ``mlflow server`` (one per module: it takes 10-60 s to start), a file store and an unknown
schema; and what a user sees when the server is down, hangs or refuses the credentials.

Skipped unless ``mlflow`` is importable (the project's venv has it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import connectors.harvesters.mlflow as mlflow_harvester
from lineage import api
from tests.conftest import GitRepo

pytest.importorskip("mlflow")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow"


@pytest.fixture(autouse=True)
def _own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow clients the tests make write their default store (./mlflow.db) in the working
    directory: a folder of the test's own."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
EXPECTED_RUNS = json.loads((FIXTURES / "expected.json").read_text())["runs"]


def _facts(repo: Path,
           strip: str = "") -> tuple[dict[str, dict[str, Any]], set[tuple[str, str, str]]]:
    store = api.open_store(repo)
    nodes = {}
    for n in store.iter_nodes():
        attrs = dict(n.attrs)
        attrs.pop("tracking_uri", None)
        if n.kind == "run":
            attrs.get("tags", {}).pop("mlflow.log-model.history", None)
        nodes[n.id.replace(strip, "")] = attrs
    edges = {(e.source.replace(strip, ""), e.target.replace(strip, ""), e.kind.value)
             for e in store.iter_edges()}
    store.close()
    return nodes, edges


def _repo(tmp: Path, name: str) -> GitRepo:
    r = GitRepo(tmp / name)
    shutil.copy(FIXTURES / "mlflow.db", r.path / "mlflow.db")
    r.commit("init")
    api.init(r.path)
    return r


def test_unknown_schema_falls_back_to_client(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    direct = _repo(tmp_path, "direct")
    api.harvest(direct.path, only=["mlflow"])
    via_client = _repo(tmp_path, "client")
    # as if the store were written by an MLflow newer than this module knows
    monkeypatch.setattr(mlflow_harvester, "KNOWN_REVISIONS", ())
    res = api.harvest(via_client.path, only=["mlflow"])
    assert res.report.warnings == []
    assert _facts(via_client.path) == _facts(direct.path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on a copy of the fixture store (slow to start: one per module).
    Tests only read it."""
    served = tmp_path_factory.mktemp("served") / "served.db"
    shutil.copy(FIXTURES / "mlflow.db", served)
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen([str(mlflow_bin), "server", "--backend-store-uri",
                             f"sqlite:///{served}", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("mlflow server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_tracking_server_over_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   mlflow_server: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    direct = _repo(tmp_path, "direct")
    api.harvest(direct.path, only=["mlflow"])
    remote = _repo(tmp_path, "remote")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    res = api.harvest(remote.path, only=["mlflow"])
    assert res.report.warnings == []
    key = mlflow_server.removeprefix("http://")
    r_nodes, r_edges = _facts(remote.path, strip=f"{key}:")
    d_nodes, d_edges = _facts(direct.path, strip="mlflow.db:")
    for attrs in (*r_nodes.values(), *d_nodes.values()):
        if "run_id" in attrs and str(attrs["run_id"]).startswith("run:"):
            attrs["run_id"] = attrs["run_id"].replace(f"{key}:", "").replace("mlflow.db:", "")
    assert r_edges == d_edges
    assert r_nodes == d_nodes


class _Gateway(BaseHTTPRequestHandler):
    """A gateway in front of the tracking server that answers 503 for the model registry while
    ``down`` is set (the registry's backend briefly unavailable)."""

    upstream = ""
    down = False
    missing = ""  # an endpoint this server does not have (an older MLflow)
    fail_from = 0  # from this request on (counting from 1), every answer is a 503
    served = 0

    def _forward(self) -> None:
        _Gateway.served += 1
        if _Gateway.fail_from and _Gateway.served >= _Gateway.fail_from:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if _Gateway.missing and _Gateway.missing in self.path:
            page = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if _Gateway.down and "/registered-models/" in self.path:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        req = urllib.request.Request(self.upstream + self.path, data=body, method=self.command,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_registry_outage_writes_no_alias_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              mlflow_server: str) -> None:
    _Gateway.upstream, _Gateway.down = mlflow_server, False
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{gateway.server_address[1]}")
    repo = _repo(tmp_path, "repo")
    try:
        api.harvest(repo.path, only=["mlflow"])
        _Gateway.down = True
        res = api.harvest(repo.path, only=["mlflow"])
        assert any("registry" in w.message for w in res.report.warnings)
        _Gateway.down = False
        api.harvest(repo.path, only=["mlflow"])
    finally:
        gateway.shutdown()
    store = api.open_store(repo.path)
    models = {n.id: n.attrs for n in store.iter_nodes("model")}
    store.close()
    # nothing moved in MLflow: no alias history, and the aliases are where MLflow has them
    assert [k for a in models.values() for k in a.get("properties", {})
            if k.startswith("alias_moved:")] == []
    assert {mid: a.get("aliases") for mid, a in models.items()} == {
        "model:churn-model@1": ["champion"], "model:churn-model@2": ["challenger"]}


def _harvest_cli(repo: Path, uri: str, **env: str) -> tuple[int, str, float]:
    from typer.testing import CliRunner

    from lineage.cli.main import app

    started = time.monotonic()
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo), "--only", "mlflow"],
                             env={"MLFLOW_TRACKING_URI": uri, **env})
    return res.exit_code, res.output, time.monotonic() - started


def _store_state(repo: Path) -> tuple[int, int]:
    store = api.open_store(repo)
    try:
        return len(list(store.iter_nodes())), len(list(store.events()))
    finally:
        store.close()


def test_unreachable_server_fails_fast_with_one_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path, "repo")
    for var in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"):
        monkeypatch.delenv(var, raising=False)
    before = _store_state(repo.path)
    # MLflow's own retries would wait ~4 minutes before saying "connection refused"
    code, out, took = _harvest_cli(repo.path, f"http://alice:pw-s3cret@127.0.0.1:{_free_port()}")
    assert code != 0
    assert took < 30
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Connection refused" in errors[0], out
    assert "pw-s3cret" not in out
    assert _store_state(repo.path) == before


class _Refuse401(BaseHTTPRequestHandler):
    """What a reverse proxy in front of a tracking server answers without valid credentials."""

    def _refuse(self) -> None:
        body = (b"<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
                b"<center><h1>401 Authorization Required</h1></center>\r\n</body>\r\n</html>\r\n")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="mlflow"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        pass


def test_refused_credentials_one_clear_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "repo")
    before = _store_state(repo.path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse401)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        code, out, _ = _harvest_cli(repo.path, f"http://alice:pw-s3cret@127.0.0.1:{port}",
                                    MLFLOW_TRACKING_TOKEN="tok-s3cret")
    finally:
        server.shutdown()
    assert code != 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert [line.split(":")[0] for line in lines] == ["error", "hint"], out
    assert "401" in lines[0] and "<" not in lines[0]
    assert "MLFLOW_TRACKING_TOKEN" in lines[1]
    assert "pw-s3cret" not in out and "tok-s3cret" not in out
    assert _store_state(repo.path) == before


def test_file_store_registered_model_name_with_quotes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes ./mlruns only so
    client = MlflowClient((repo.path / "mlruns").as_uri())
    exp = client.create_experiment("churn")
    run = client.create_run(exp, run_name="train")
    client.set_terminated(run.info.run_id)
    for name in ("bob's model", 'the "fast" model', "plain", 'bob\'s "fast" model'):
        client.create_registered_model(name)
        client.create_model_version(name, f"runs:/{run.info.run_id}/model",
                                    run_id=run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    models = {n.id for n in store.iter_nodes("model")}
    store.close()
    assert models == {"model:bob's model@1", 'model:the "fast" model@1', "model:plain@1",
                      'model:bob\'s "fast" model@1'}


def test_file_store_written_by_mlflow_3_is_read_without_opting_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow 3 opens ./mlruns only with MLFLOW_ALLOW_FILE_STORE=true; the harvest only reads
    it, so the user does not have to set it (and it is not left set)."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    # written by another process: MLflow keeps the stores it opened, one opened here to
    # write it would be the one the harvest reads
    write = f"""
from mlflow import MlflowClient
client = MlflowClient({(repo.path / "mlruns").as_uri()!r},
                      registry_uri={(repo.path / "mlruns").as_uri()!r})
run = client.create_run(client.create_experiment("churn"), run_name="train")
client.log_param(run.info.run_id, "lr", "0.1")
client.set_terminated(run.info.run_id)
client.create_registered_model("churn")
client.create_model_version("churn", f"runs:/{{run.info.run_id}}/model",
                            run_id=run.info.run_id)
print(run.info.run_id)
"""
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    run_id = subprocess.run([sys.executable, "-c", write], env=env, check=True,
                            capture_output=True, text=True).stdout.split()[-1]
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    run_node = store.get_node(f"run:mlflow:mlruns:{run_id}")
    models = {n.id for n in store.iter_nodes("model")}
    store.close()
    assert run_node is not None and run_node.attrs["params"] == {"lr": "0.1"}
    assert models == {"model:churn@1"}
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ


def test_infinite_metric_of_a_file_store_is_not_stored_as_null(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file store keeps ``log_metric("loss", inf)`` as inf (a SQL store as the largest
    float): the run gets the SQL store's value, not a null in a float field."""
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((repo.path / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("churn"))
    client.log_metric(run.info.run_id, "loss", float("inf"))
    client.log_metric(run.info.run_id, "gain", float("-inf"))
    client.log_metric(run.info.run_id, "auc", 0.8)
    client.set_terminated(run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    api.harvest(repo.path, only=["mlflow"])
    store = api.open_store(repo.path)
    node = store.get_node(f"run:mlflow:mlruns:{run.info.run_id}")
    store.close()
    assert node is not None
    assert node.attrs["metrics"] == {"auc": 0.8, "loss": 1.7976931348623157e308,
                                     "gain": -1.7976931348623157e308}


def test_verbose_traceback_keeps_the_password_out(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lineage.cli.main import app

    repo = _repo(tmp_path, "repo")
    uri = f"http://alice:pw-s3cret@127.0.0.1:{_free_port()}/?token=tok-s3cret"
    res = CliRunner().invoke(app, ["-v", "harvest", "-C", str(repo.path), "--only", "mlflow"],
                             env={"MLFLOW_TRACKING_URI": uri})
    assert res.exit_code != 0
    assert "Connection refused" in res.output
    assert "pw-s3cret" not in res.output and "tok-s3cret" not in res.output


@pytest.mark.slow
def test_server_that_never_answers_fails_in_under_a_minute(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A host behind a firewall that drops packets, or a hung server: MLflow's default 120 s
    timeout, tried 8 times, would wait a quarter of an hour."""
    for var in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
                "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    repo = _repo(tmp_path, "repo")
    before = _store_state(repo.path)
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        code, out, took = _harvest_cli(repo.path, f"http://127.0.0.1:{silent.getsockname()[1]}")
    assert code != 0
    assert took < 60
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "timeout" in errors[0].lower(), out
    assert _store_state(repo.path) == before


@pytest.mark.slow
def test_server_failing_mid_harvest_fails_fast_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_server: str) -> None:
    """The server answers the first request, then 503 (its backend went down): MLflow's own
    retries (7, doubling backoff) would wait about 4 minutes. The harvest fails in one line
    naming the server, writes nothing, and the next harvest reads everything."""
    for var in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
                "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    _Gateway.upstream, _Gateway.down, _Gateway.served, _Gateway.fail_from = \
        mlflow_server, False, 0, 2
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    port = gateway.server_address[1]
    uri = f"http://alice:pw-s3cret@127.0.0.1:{port}"
    repo = _repo(tmp_path, "repo")
    before = _store_state(repo.path)
    try:
        code, out, took = _harvest_cli(repo.path, uri)
        assert _Gateway.served > 2  # the runs were asked for: it failed mid-harvest
        after_failure = _store_state(repo.path)
        _Gateway.fail_from = 0
        code2, out2, _ = _harvest_cli(repo.path, uri)
    finally:
        _Gateway.fail_from = 0
        gateway.shutdown()
    assert code != 0
    assert took < 30, took
    lines = [line for line in out.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and f"http://127.0.0.1:{port}" in errors[0], out
    assert "pw-s3cret" not in out
    assert after_failure == before
    assert code2 == 0, out2
    store = api.open_store(repo.path)
    runs = {n.attrs["run_id"] for n in store.iter_nodes("run")}
    models = {n.id for n in store.iter_nodes("model")}
    assert store.verify().ok
    store.close()
    assert runs == set(EXPECTED_RUNS)
    assert models == {"model:churn-model@1", "model:churn-model@2"}


@pytest.mark.slow
def test_server_without_logged_models_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               mlflow_server: str) -> None:
    """An MLflow 2.x tracking server has no /logged-models/search: its runs and registry are
    harvested all the same."""
    _Gateway.upstream, _Gateway.down, _Gateway.missing = mlflow_server, False, "/logged-models/"
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{gateway.server_address[1]}")
    repo = _repo(tmp_path, "repo")
    try:
        res = api.harvest(repo.path, only=["mlflow"])
    finally:
        _Gateway.missing = ""
        gateway.shutdown()
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    runs = {n.attrs["run_id"] for n in store.iter_nodes("run")}
    models = {n.id: n.attrs for n in store.iter_nodes("model")}
    store.close()
    assert runs == set(EXPECTED_RUNS)
    assert sorted(models) == ["model:churn-model@1", "model:churn-model@2"]
    assert all(a.get("run_id") for a in models.values())


def test_registry_uri_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLFLOW_REGISTRY_URI puts the model registry elsewhere than the runs, as MLflow does."""
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((repo.path / "mlruns").as_uri(), registry_uri=registry)
    run = client.create_run(client.create_experiment("churn"))
    client.set_terminated(run.info.run_id)
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run.info.run_id}/model",
                                run_id=run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", registry)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    models = {n.id: n.attrs.get("run_id") for n in store.iter_nodes("model")}
    store.close()
    assert models == {"model:churn@1": f"run:mlflow:mlruns:{run.info.run_id}"}


def test_relative_registry_uri_is_the_repositorys(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """MLFLOW_REGISTRY_URI=sqlite:///registry.db next to a file store, harvested from another
    folder: the registry is the repository's file (as a relative tracking URI is), not a new
    empty ./registry.db in the working directory."""
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((repo.path / "mlruns").as_uri(),
                          registry_uri=f"sqlite:///{repo.path / 'registry.db'}")
    run = client.create_run(client.create_experiment("churn"))
    client.set_terminated(run.info.run_id)
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run.info.run_id}/model",
                                run_id=run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///registry.db")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    assert list(elsewhere.iterdir()) == []
    store = api.open_store(repo.path)
    models = {n.id: n.attrs.get("run_id") for n in store.iter_nodes("model")}
    store.close()
    assert models == {"model:churn@1": f"run:mlflow:mlruns:{run.info.run_id}"}
    assert os.environ["MLFLOW_REGISTRY_URI"] == "sqlite:///registry.db"


@pytest.mark.parametrize("configured", ["env", "lineage.yaml"])
def test_harvest_writes_no_mlflow_store_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str) -> None:
    """A file store named relative to the repository, harvested from another folder: MLflow's
    client consults the tracking URI itself (a relative one from the working directory; none
    given: its default sqlite:///mlflow.db), so it made ./mlruns or ./mlflow.db there."""
    from mlflow import MlflowClient

    repo = GitRepo(tmp_path / "repo")
    repo.commit("init")
    api.init(repo.path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((repo.path / "mlruns").as_uri(),
                          registry_uri=(repo.path / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("churn"))
    client.set_terminated(run.info.run_id)
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run.info.run_id}/model",
                                run_id=run.info.run_id)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if configured == "env":
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    else:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        (repo.path / "lineage.yaml").write_text("mlflow: {tracking_uri: ./mlruns}\n")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    assert list(elsewhere.iterdir()) == []
    store = api.open_store(repo.path)
    models = {n.id for n in store.iter_nodes("model")}
    store.close()
    assert models == {"model:churn@1"}
    assert os.environ.get("MLFLOW_TRACKING_URI") == ("./mlruns" if configured == "env" else None)
