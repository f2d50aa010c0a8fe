"""``lineage push --to datahub-kafka`` with a broker or a schema registry it cannot use: one
line naming what was not reached (the broker(s) at the bootstrap list, the schema registry at
its URL), within the stated timeout, with the options (and their environment variables) that
set them; librdkafka's own log is not written on stderr (``lineage -v`` shows it); exit 3;
nothing recorded as pushed, so the next push to a working Kafka sends everything.

The broker is librdkafka's mock cluster and the registry the stand-in of Confluent's API
(tests/standins/kafka.py); what is not them is a closed port, a socket that takes connections
and closes them, or python's http.server. Needs the ``kafka`` extra.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")
pytest.importorskip("confluent_kafka")

from connectors.sinks.datahub.remote import DataHubKafkaSink, kafka_settings  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import ConfigError, SinkError  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.kafka import MCP_TOPIC, running_kafka  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kafka-s3cr3t-pw"


def closed_port() -> int:
    """A local port nobody listens on: a connection to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def hanging_up() -> Iterator[str]:
    """A TCP server that takes every connection and closes it without a word: librdkafka
    connects, is cut off, and tries again, logging each failure, until it gives up."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        srv.close()


@contextmanager
def web_page() -> Iterator[str]:
    """python's http.server with an empty folder: 404 pages for /subjects."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {
            "log_message": lambda *a: None,
            "__init__": lambda self, *a, **k: http.server.SimpleHTTPRequestHandler.__init__(
                self, *a, directory=folder, **k)})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{srv.server_port}"
        finally:
            srv.shutdown()
            srv.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx(store: Store, tmp_path: Path, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path, options=options)


@pytest.fixture
def repo(git_repo: GitRepo) -> Path:
    from lineage import api

    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    graph = fixed_graph()
    with api.open_store(git_repo.path) as st:
        api.record(st, [*graph.nodes(include_placeholders=False), *graph.edges()],
                   event_kind="harvest", payload={"fixture": "fixed_graph"})
    return git_repo.path


def lineage(repo: Path, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: librdkafka writes its log on file descriptor 2, which
    only a real process shows."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DATAHUB_GMS", "KAFKA_"))}
    return subprocess.run([sys.executable, "-m", "lineage", *args, "-C", str(repo)], cwd=ROOT,
                          env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=120)


def errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("error: ")]


def hints(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("hint: ")]


def test_nothing_listening_says_what_was_not_reached_at_once_without_librdkafkas_log(
        repo: Path) -> None:
    broker, registry = f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}"
    t0 = time.monotonic()
    res = lineage(repo, "push", "--to", "datahub-kafka", "-o", f"bootstrap={broker}",
                  "-o", f"schema_registry_url={registry}")
    took = time.monotonic() - t0
    assert res.returncode == 3, res.stderr
    assert took < 30, took  # (the serializer waited 60 s for the cluster id before)
    [error] = errors(res.stderr)
    assert f"the Kafka broker(s) at {broker} (connection refused)" in error, error
    assert f"the schema registry at {registry} (connection refused)" in error, error
    assert "refused the batch" not in error and "_VALUE_SERIALIZATION" not in error
    [hint] = hints(res.stderr)
    for named in ("bootstrap=", "KAFKA_BOOTSTRAP_SERVER", "schema_registry_url=",
                  "KAFKA_SCHEMAREGISTRY_URL"):
        assert named in hint, hint
    assert "rdkafka" not in res.stderr and "%3|" not in res.stderr, res.stderr


def test_a_broker_that_hangs_up_is_given_the_timeout_and_its_log_goes_to_verbose_only(
        repo: Path) -> None:
    with running_kafka() as kafka, hanging_up() as broker:
        args = ("push", "--to", "datahub-kafka", "-o", f"bootstrap={broker}",
                "-o", f"schema_registry_url={kafka.registry_url}", "-o", "timeout=2")
        t0 = time.monotonic()
        res = lineage(repo, *args)
        took = time.monotonic() - t0
        loud = lineage(repo, "-v", *args)
    assert res.returncode == 3 and loud.returncode == 3, res.stderr
    assert took < 30, took
    [error] = errors(res.stderr)
    assert error.startswith(f"error: cannot reach the Kafka broker(s) at {broker} (no answer "
                            "within 2 s"), error
    assert "Disconnected" in error, error  # what librdkafka last said of it
    assert "schema registry" not in error  # the registry answered
    [hint] = hints(res.stderr)
    assert "bootstrap=HOST:PORT" in hint and "KAFKA_BOOTSTRAP_SERVER" in hint, hint
    assert "--option timeout=SECONDS (now 2)" in hint, hint
    # librdkafka failed to talk to it again and again: none of that on stderr ...
    assert "rdkafka" not in res.stderr and "%3|" not in res.stderr, res.stderr
    # ... unless asked for, through the logger
    shown = [ln for ln in loud.stderr.splitlines() if ln.startswith("librdkafka: ")]
    assert shown and all("%3|" not in ln for ln in loud.stderr.splitlines()), loud.stderr
    assert any(broker in ln for ln in shown), shown


def test_an_unreachable_registry_is_named_and_nothing_is_lost(store: Store,
                                                              tmp_path: Path) -> None:
    registry = f"http://127.0.0.1:{closed_port()}"
    with running_kafka() as kafka:
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), ctx(
                store, tmp_path, bootstrap=kafka.bootstrap, schema_registry_url=registry))
        err = exc.value
        assert err.exit_code == 3
        assert err.message == (f"cannot reach the schema registry at {registry} (connection "
                               "refused): nothing was produced"), err.message
        assert "schema_registry_url=URL" in (err.hint or "")
        assert "KAFKA_SCHEMAREGISTRY_URL" in (err.hint or "")
        assert "bootstrap" not in (err.hint or "")
        assert not kafka.messages(MCP_TOPIC)
        # the same push with the registry right sends everything
        res = DataHubKafkaSink().push(fixed_graph(), ctx(
            store, tmp_path, bootstrap=kafka.bootstrap,
            schema_registry_url=kafka.registry_url))
        assert res.failed == 0 and res.written == len(render(fixed_graph()))
        assert len(kafka.messages(MCP_TOPIC)) == res.written


def test_an_unreachable_broker_with_a_working_registry_names_the_broker(
        store: Store, tmp_path: Path) -> None:
    broker = f"127.0.0.1:{closed_port()}"
    with running_kafka() as kafka:
        t0 = time.monotonic()
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), ctx(
                store, tmp_path, bootstrap=broker, schema_registry_url=kafka.registry_url))
        assert time.monotonic() - t0 < 20
    assert exc.value.message == (f"cannot reach the Kafka broker(s) at {broker} (connection "
                                 "refused): nothing was produced")
    assert "bootstrap=HOST:PORT" in (exc.value.hint or "")
    assert "schema_registry_url" not in (exc.value.hint or "")


def test_a_web_page_instead_of_the_registry_is_named_as_such(store: Store,
                                                             tmp_path: Path) -> None:
    with running_kafka() as kafka, web_page() as page:
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), ctx(
                store, tmp_path, bootstrap=kafka.bootstrap, schema_registry_url=page))
        assert not kafka.messages(MCP_TOPIC)
    assert exc.value.message == (f"{page} answered GET /subjects with something that is not "
                                 "a schema registry (HTTP 404): nothing was produced")
    assert "schema_registry_url=URL" in (exc.value.hint or "")


@pytest.mark.parametrize("registry_auth", ["url", "user_info"])
def test_credentials_never_show_in_the_error(store: Store, tmp_path: Path,
                                             registry_auth: str) -> None:
    port = closed_port()
    options: dict[str, Any] = {
        "bootstrap": f"127.0.0.1:{closed_port()}",
        "producer.sasl.password": SECRET, "producer.sasl.username": "reader",
        "producer.security.protocol": "SASL_PLAINTEXT", "producer.sasl.mechanism": "PLAIN"}
    if registry_auth == "url":
        options["schema_registry_url"] = f"http://reader:{SECRET}@127.0.0.1:{port}"
    else:
        options["schema_registry_url"] = f"http://127.0.0.1:{port}"
        options["schema_registry.basic.auth.user.info"] = f"reader:{SECRET}"
    with pytest.raises(SinkError) as exc:
        DataHubKafkaSink().push(fixed_graph(), ctx(store, tmp_path, **options))
    text = f"{exc.value.message} {exc.value.hint}"
    assert f"schema registry at http://127.0.0.1:{port} (connection refused)" in text, text
    assert SECRET not in text


@pytest.mark.parametrize(("option", "value", "said"), [
    ("bootstrap", "127.0.0.1:99999", "Kafka bootstrap server '127.0.0.1:99999' is not HOST:PORT"),
    ("bootstrap", "broker:abc,broker2:9092", "Kafka bootstrap server 'broker:abc'"),
    ("schema_registry_url", "registry:8081", "schema registry URL 'registry:8081' must start "
                                            "with http:// or https://"),
    ("schema_registry_url", "http://:8081", "schema registry URL 'http://:8081' has no host"),
    ("timeout", "0", "option timeout='0' must be a number above 0"),
])
def test_settings_that_cannot_work_are_a_configuration_error(option: str, value: str,
                                                             said: str) -> None:
    options = {"bootstrap": "broker:9092", "schema_registry_url": "http://registry:8081",
               option: value}
    with pytest.raises(ConfigError) as exc:
        kafka_settings(options)
    assert exc.value.exit_code == 2
    assert said in exc.value.message, exc.value.message


def test_a_bad_bootstrap_from_the_cli_is_exit_2(repo: Path) -> None:
    res = lineage(repo, "push", "--to", "datahub-kafka", env={
        "KAFKA_BOOTSTRAP_SERVER": "127.0.0.1:99999",
        "KAFKA_SCHEMAREGISTRY_URL": "http://127.0.0.1:8081"})
    assert res.returncode == 2, res.stderr
    [error] = errors(res.stderr)
    assert "'127.0.0.1:99999' is not HOST:PORT" in error
