"""``lineage audit --source datahub-rest URL`` given what is not a usable GMS says what
``lineage push --to datahub-rest`` says of it, on one line, exit 3 (docs/audit.md: DataHub
unreachable or refused), each with the hint naming what the audit takes (its LOCATION
argument, DATAHUB_GMS_TOKEN) rather than the push's flags:

- nothing listening at the URL: "cannot reach DataHub GMS at URL", not "no connection within
  30 s" (a refused connection was taken for a connect timeout by both commands);
- a web page where GMS should be: named as not GMS, from its answer to ``GET /config`` as the
  push asks it (the audit asked GraphQL first and named its 501);
- a server that takes the connection and never answers: "did not answer within N s" once
  (the audit asked five times the 30 s timeout, three minutes) and ``--option
  timeout=SECONDS``, which the audit now takes as the push does;
- a token GMS refuses, or none given to a GMS that wants one.

The GMS is the stand-in of tests/standins/gms.py; what is not GMS is a closed local port,
python's http.server and a socket that never answers (the helpers of the push's tests)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.remote import DataHubRestSink  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.integration.test_datahub_remote_errors_rest import (  # noqa: E402
    silent_server,
    web_page,
)
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()
TOKEN = "audit-remote-s3cr3t"


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


def push(repo: Path, url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-rest", "--server",
                               url, *args])


def audit(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["audit", "-C", str(repo), "--source", "datahub-rest", *args])


def errors(res: Any) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]


def hints(res: Any) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("hint: ")]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def assert_audit_hint(res: Any) -> None:
    """The audit's hint names what the audit takes, never the push's --server / --token
    (it may say that the audit takes no --token)."""
    [hint] = hints(res)
    assert "--server" not in hint and "--token" not in hint.replace("takes no --token", ""), \
        hint


def test_nothing_listening_is_cannot_reach_as_for_the_push(repo: Path) -> None:
    url = closed_port_url()
    t0 = time.monotonic()
    read = audit(repo, url)
    took = time.monotonic() - t0
    sent = push(repo, url)
    assert (read.exit_code, sent.exit_code) == (3, 3), read.output + sent.output
    # not "no connection within 30 s": the connection was refused at once
    assert errors(read) == errors(sent) == [f"error: cannot reach DataHub GMS at {url}"]
    assert took < 15, took
    assert_audit_hint(read)
    assert "LOCATION" in hints(read)[0] and "--server" in hints(sent)[0]


def test_a_web_page_is_named_not_gms_from_get_config_as_for_the_push(repo: Path) -> None:
    with web_page() as url:
        read = audit(repo, url)
        sent = push(repo, url, "--token", TOKEN)
    assert (read.exit_code, sent.exit_code) == (3, 3), read.output + sent.output
    said = (f"error: {url} answered GET /config with something that is not DataHub GMS "
            "(HTTP 200, text/html)")
    assert errors(read) == errors(sent) == [said]
    assert_audit_hint(read)
    assert "LOCATION" in hints(read)[0] and "proxy or login page" in hints(read)[0]


def test_a_silent_server_is_asked_once_within_option_timeout(repo: Path) -> None:
    with silent_server() as url:
        t0 = time.monotonic()
        read = audit(repo, url, "--option", "timeout=1")
        took = time.monotonic() - t0
        sent = push(repo, url, "-o", "timeout=1")
    assert (read.exit_code, sent.exit_code) == (3, 3), read.output + sent.output
    said = f"error: DataHub GMS at {url} took the connection but did not answer within 1 s"
    assert errors(read) == errors(sent) == [said]
    # one request of 1 s (five of 30 s, three minutes, with the default before)
    assert took < 10, took
    [hint] = hints(read)
    assert "--option timeout=SECONDS (now 1)" in hint and "LOCATION" in hint, hint
    assert_audit_hint(read)


@pytest.mark.parametrize(("given", "said"), [
    ("wrong-token-value", "refused the token (HTTP 401)"),
    (None, "requires an access token (HTTP 401) and none was given"),
])
def test_a_token_gms_does_not_take_is_said_as_for_the_push(
        repo: Path, monkeypatch: pytest.MonkeyPatch, given: str | None, said: str) -> None:
    with running_gms(token=TOKEN) as gms:
        sent = push(repo, gms.url, *(["--token", given] if given else []))
        if given:
            monkeypatch.setenv("DATAHUB_GMS_TOKEN", given)
        read = audit(repo, gms.url)
    assert (read.exit_code, sent.exit_code) == (3, 3), read.output + sent.output
    assert errors(read) == errors(sent) == [f"error: DataHub GMS at {gms.url} {said}"]
    assert "DATAHUB_GMS_TOKEN" in hints(read)[0]
    assert_audit_hint(read)
    assert "wrong-token-value" not in read.output + read.stderr + sent.output + sent.stderr


def test_the_audit_reads_gms_after_the_same_check_and_takes_the_timeout(
        repo: Path, tmp_path: Path) -> None:
    with running_gms(token=TOKEN) as gms:
        with Store.init(tmp_path / "pushed" / ".lineage") as store:
            DataHubRestSink().push(fixed_graph(), PushContext(
                store=store, config=Config(), repo_path=tmp_path,
                options={"server": gms.url, "token": TOKEN}))
        before = len(gms.requests)
        read = runner.invoke(app, ["audit", "-C", str(repo), "--source", "datahub-rest",
                                   gms.url, "--option", "timeout=5", "--json"],
                             env={"DATAHUB_GMS_TOKEN": TOKEN})
        asked = gms.requests[before:]
    assert read.exit_code in (0, 1), read.output  # (findings are the fixture's own)
    assert '"source": "datahub-rest ' in read.stdout
    # GET /config first, as the push asks it, then what the reader reads
    assert [(r.method, r.path) for r in asked[:1]] == [("GET", "/config")]
    assert any(r.path.startswith("/api/graphql") for r in asked)


@pytest.mark.parametrize(("args", "said", "hinted"), [
    (["--option", "timeout=soon"], "option timeout='soon' is not a valid float",
     "--option timeout="),
    (["--option", "timeout=0"], "option timeout='0' must be a number above 0",
     "--option timeout="),
    (["--option", "timout=5"], "unknown option 'timout' for --source datahub-rest",
     "did you mean timeout?"),
    (["--option", "timeout"], "--option 'timeout' is not KEY=VALUE", "--option timeout=60"),
    (["-o", "timeout=5"], "-o timeout=5 is --output FILE for lineage audit, not an option",
     "--option timeout=5"),
])
def test_a_bad_option_is_a_usage_error_before_any_request(
        repo: Path, args: list[str], said: str, hinted: str) -> None:
    with running_gms() as gms:
        res = audit(repo, gms.url, *args)
        asked = gms.requests
    assert res.exit_code == 2, res.output
    [error] = errors(res)
    assert error.startswith(f"error: {said}"), error
    assert hinted in hints(res)[0], hints(res)
    assert asked == []
    assert not (repo / "timeout=5").exists()


@pytest.mark.parametrize("source", ["local", "datahub-lite"])
def test_sources_reading_no_server_take_no_option(repo: Path, source: str) -> None:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--source", source,
                              "--option", "timeout=5"])
    assert res.exit_code == 2, res.output
    assert errors(res) == [f"error: --option timeout: --source {source} takes no options"]
    assert "--source datahub-rest" in hints(res)[0]


def test_help_shows_the_option_with_an_example() -> None:
    res = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "--option" in res.output and "timeout=SECONDS" in res.output
    assert "lineage audit --source datahub-rest http://gms:8080 --option timeout=60" \
        in res.output
