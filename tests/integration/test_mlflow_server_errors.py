"""An MLflow tracking server the harvest cannot use is exit 3, as an unreachable push target
is (README: 3 server unreachable or refused), in one line naming the server and the fix; a
local store the installed mlflow cannot read stays a configuration error (exit 2)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Refuses(BaseHTTPRequestHandler):
    def _deny(self) -> None:
        body = b'{"error_code": "UNAUTHENTICATED", "message": "bad credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _deny

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _harvest(repo: GitRepo, uri: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    res = CliRunner().invoke(app, ["harvest", "--repo", str(repo.path), "--only", "mlflow"])
    return res.exit_code, res.output


def test_an_unreachable_tracking_server_is_exit_3(repo: GitRepo,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"http://ada:s3cretPW@127.0.0.1:{_closed_port()}"
    code, out = _harvest(repo, uri, monkeypatch)
    assert code == 3, out
    assert "cannot read the MLflow tracking store http://127.0.0.1:" in out, out
    assert "that the server is up" in out and "Traceback" not in out, out
    assert "s3cretPW" not in out
    assert api.open_store(repo.path).verify().ok


def test_a_server_refusing_the_credentials_is_exit_3(repo: GitRepo, refusing_server: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _harvest(repo, refusing_server, monkeypatch)
    assert code == 3, out
    assert "MLFLOW_TRACKING_USERNAME" in out and "Traceback" not in out, out


def test_a_local_store_mlflow_cannot_read_is_a_configuration_error(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo.path / "mlruns").write_text("not a folder\n")
    code, out = _harvest(repo, "file:./mlruns", monkeypatch)
    assert code == 2, out
    assert "Traceback" not in out, out
