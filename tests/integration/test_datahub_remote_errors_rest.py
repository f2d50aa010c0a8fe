"""``lineage push --to datahub-rest`` and ``lineage audit --source datahub-rest`` given what is
not a usable GMS: one line naming what is wrong and the fix, the right exit code, the token
never shown, nothing recorded as pushed.

- a URL with no host or an invalid port: a configuration error (exit 2), as a URL without
  http:// already is, not a request that fails (exit 3);
- a web server that is not GMS (python's http.server: a page where GMS's JSON should be): it
  is named as such, with the answer's status and content type;
- a server that takes the connection and never answers: "did not answer within N s" and how
  to wait longer (``--option timeout=``);
- a GMS that lost the structured property definitions lineage pushed (DataHub reset):
  its 422 says so and names ``lineage push --full``, which then sends everything.

The GMS is the stand-in of tests/standins/gms.py (GMS's protocol and its validation)."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.remote import DataHubRestSink  # noqa: E402
from connectors.sinks.datahub.render import property_urn, render  # noqa: E402
from lineage import ids  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import SinkError  # noqa: E402
from lineage.model import Node, NodeKind  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.gms import StandInGms, running_gms  # noqa: E402

runner = CliRunner()
TOKEN = "rest-err-s3cr3t-t0ken"
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
PAGE = b"<!doctype html><html><head><title>DataHub</title></head><body></body></html>"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    from lineage import api

    for var in ("DATAHUB_GMS_URL", "DATAHUB_GMS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    graph = fixed_graph()
    with api.open_store(git_repo.path) as st:
        api.record(st, [*graph.nodes(include_placeholders=False), *graph.edges()],
                   event_kind="harvest", payload={"fixture": "fixed_graph"})
    return git_repo.path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx(store: Store, tmp_path: Path, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path,
                       options={"backoff": 0.01, **options})


def push(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-rest", *args])


def audit(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["audit", "-C", str(repo), "--source", "datahub-rest", *args])


def errors(res: Any) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]


def hints(res: Any) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("hint: ")]


@contextmanager
def web_page() -> Iterator[str]:
    """python's http.server answering every GET with an HTML page (a UI, a proxy's login
    page) and, as it does, HTTP 501 to a POST."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        srv.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Takes every connection and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        srv.close()


@pytest.mark.parametrize(("url", "said"), [
    ("http://", "'http://' has no host name"),
    ("http://:8080", "'http://:8080' has no host name"),
    ("http://127.0.0.1:99999", "'http://127.0.0.1:99999' has an invalid port '99999'"),
    ("http://127.0.0.1:0", "has an invalid port '0'"),
    ("http://[::1", "'http://[::1' cannot be parsed"),
])
def test_a_url_without_host_or_with_a_bad_port_is_a_configuration_error(
        repo: Path, url: str, said: str) -> None:
    res = push(repo, "--server", url, "--token", TOKEN)
    assert res.exit_code == 2, res.output
    [error] = errors(res)
    assert error == f"error: DataHub GMS URL {said}" or said in error, error
    assert "Invalid URL" not in res.stderr and "Failed to parse" not in res.stderr
    [hint] = hints(res)
    assert "--server http://localhost:8080" in hint, hint
    assert TOKEN not in res.output
    # as the LOCATION of `lineage audit`
    res = audit(repo, url)
    assert res.exit_code == 2, res.output
    assert said in errors(res)[0]
    [hint] = hints(res)
    assert "lineage audit --source datahub-rest http://localhost:8080" in hint, hint


def test_credentials_in_a_url_with_no_host_never_show(repo: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAHUB_GMS_URL", f"http://admin:{TOKEN}@:8080")
    res = push(repo)
    assert res.exit_code == 2, res.output
    assert "has no host name" in errors(res)[0]
    assert TOKEN not in res.output


def test_a_web_page_instead_of_gms_is_named_as_such(repo: Path) -> None:
    with web_page() as url:
        res = push(repo, "--server", url, "--token", TOKEN)
        read = audit(repo, url)
    assert res.exit_code == 3, res.output
    [error] = errors(res)
    assert error == (f"error: {url} answered GET /config with something that is not DataHub "
                     "GMS (HTTP 200, text/html)"), error
    [hint] = hints(res)
    assert "--server" in hint and "http://HOST:8080" in hint and "/api/gms" in hint, hint
    assert "proxy or login page" in hint, hint
    assert "Expecting value" not in res.stderr
    # lineage audit checks the server as the push does: the same line
    assert read.exit_code == 3, read.output
    assert errors(read) == errors(res)
    [hint] = hints(read)
    assert "LOCATION" in hint and "--server" not in hint, hint
    assert TOKEN not in res.output + read.output


def test_a_server_that_never_answers_is_given_the_timeout(repo: Path) -> None:
    with silent_server() as url:
        t0 = time.monotonic()
        res = push(repo, "--server", url, "--token", TOKEN, "-o", "timeout=1")
        took = time.monotonic() - t0
    assert res.exit_code == 3, res.output
    assert took < 15, took  # (asked five times, with growing sleeps, before: 40 s for 2 s)
    [error] = errors(res)
    assert error == (f"error: DataHub GMS at {url} took the connection but did not answer "
                     "within 1 s"), error
    [hint] = hints(res)
    assert "--option timeout=SECONDS (now 1)" in hint and "--server" in hint, hint
    assert TOKEN not in res.output


def _lose_everything(gms: StandInGms) -> None:
    """What a DataHub reset does to GMS: every aspect gone (the store still remembers what
    it sent)."""
    with gms.state.lock:
        gms.state.aspects.clear()
        gms.state.entity_types.clear()


def test_a_gms_that_lost_the_definitions_says_push_full_and_full_restores_it(
        store: Store, tmp_path: Path) -> None:
    changed = fixed_graph()
    changed.add([Node.make(NodeKind.MODEL_GROUP, ids.model_group_id("churn"), name="churn",
                           intended_purpose="Rank customers by churn risk, monthly")])
    with running_gms(token=TOKEN) as gms:
        first = DataHubRestSink().push(fixed_graph(), ctx(store, tmp_path, server=gms.url,
                                                          token=TOKEN))
        assert first.failed == 0
        _lose_everything(gms)
        with pytest.raises(SinkError) as exc:
            DataHubRestSink().push(changed, ctx(store, tmp_path, server=gms.url, token=TOKEN))
        err = exc.value
        assert err.exit_code == 3
        purpose = property_urn("intendedPurpose")
        # (GMS names the first property of the value it holds no definition of)
        assert err.message.startswith(f"DataHub GMS at {gms.url} rejected structuredProperties "
                                      f"of {GROUP} (HTTP 422): it holds no definition of the "
                                      "structured property urn:li:structuredProperty:io."
                                      "lineage."), err.message
        hint = err.hint or ""
        assert "reset" in hint and "lineage push --to datahub-rest --full" in hint, hint
        assert "bug" not in hint
        assert TOKEN not in f"{err.message} {hint}"
        # what the hint says does it: everything is sent again, the definitions first
        again = DataHubRestSink().push(changed, ctx(store, tmp_path, server=gms.url,
                                                    token=TOKEN, full=True))
        assert again.failed == 0
        assert gms.keys() == {(m.entityUrn, m.aspectName) for m in render(changed)}
        held = gms.aspect(GROUP, "structuredProperties")
        assert any(a["propertyUrn"] == purpose and a["values"] == [
            {"string": "Rank customers by churn risk, monthly"}] for a in held["properties"])
