"""`lineage push --to datahub-rest` against a stand-in GMS on 127.0.0.1 (real HTTP, Rest.li)."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import pytest

pytest.importorskip("datahub")

from pydantic import SecretStr  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from connectors.sinks.datahub.remote import DataHubRestSink, RestTransport, rest_settings  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import ConfigError, SinkError  # noqa: E402
from lineage.plugins import PushContext, load_sink  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

TOKEN = "eyJhbGciOiJIUzI1NiJ9.s3cr3t-token-value"


@pytest.fixture
def store(tmp_path: Path):
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx_for(store: Store, tmp_path: Path, **options) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path,
                       options={"backoff": 0.01, **options})


def expected_keys() -> set[tuple[str, str]]:
    return {(m.entityUrn, m.aspectName) for m in render(fixed_graph())}


def test_push_sends_every_aspect_gms_accepts_in_restli_batches(store, tmp_path) -> None:
    graph = fixed_graph()
    with running_gms(token=TOKEN) as gms:  # validates entity/aspect pairs as GMS does
        res = DataHubRestSink().push(graph, ctx_for(store, tmp_path, server=gms.url,
                                                    token=SecretStr(TOKEN), batch_size=25))
        posts = [r for r in gms.requests if r.method == "POST"]
        assert gms.keys() == expected_keys()
        assert res.written == len(gms.proposals) == len(render(graph)) and res.failed == 0
        assert {r.path for r in posts} == {"/aspects?action=ingestProposalBatch"}
        assert all(len(r.body["proposals"]) <= 25 for r in posts)
        first = posts[0].body["proposals"][0]
        assert first["aspect"]["contentType"] == "application/json"
        assert isinstance(json.loads(first["aspect"]["value"]), dict)
        # the chain deployment → version → run → data is in GMS with its edge properties
        model = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
        props = gms.aspect(model, "mlModelProperties")
        assert props["deployments"] and props["trainingJobs"]
        run_in = gms.aspect(props["trainingJobs"][0], "dataProcessInstanceInput")
        assert run_in["inputEdges"][0]["properties"]["dvc_md5"].startswith("0f3c9a1e")
        # unchanged graph: nothing sent
        n_req = len(gms.requests)
        again = DataHubRestSink().push(graph, ctx_for(store, tmp_path, server=gms.url,
                                                      token=SecretStr(TOKEN)))
        assert again.written == 0 and again.unchanged == res.written
        assert len(gms.requests) == n_req


def test_first_push_to_a_fresh_gms_sends_definitions_before_the_values_using_them(
        store, tmp_path) -> None:
    """GMS checks a structured property value against the definitions it holds when the
    request arrives: a definition in the same batch as a value is not there yet (422)."""
    graph = fixed_graph()
    with running_gms() as gms:  # default batch size: definitions and values fit one batch
        res = DataHubRestSink().push(graph, ctx_for(store, tmp_path, server=gms.url))
        batches = gms.state.batches
    assert res.failed == 0 and gms.keys() == expected_keys()
    defined: set[str] = set()
    used = 0
    for batch in batches:
        for p in batch:
            if p["aspectName"] == "structuredProperties":
                value = json.loads(p["aspect"]["value"])
                needed = {a["propertyUrn"] for a in value["properties"]}
                assert needed <= defined, (p["entityUrn"], needed - defined)
                used += 1
        defined |= {p["entityUrn"] for p in batch if p["aspectName"] == "propertyDefinition"}
    assert used  # the fixture's versions and groups carry structured properties


@pytest.mark.parametrize("status", [503, 429, 502])
def test_transient_errors_are_retried(store, tmp_path, status) -> None:
    with running_gms() as gms:
        gms.fail_next(2, status)
        res = DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=gms.url))
        statuses = [r.status for r in gms.requests if r.method == "POST"]
    assert res.failed == 0 and gms.keys() == expected_keys()
    assert statuses[:3] == [status, status, 200]


def test_push_that_fails_half_way_resumes_without_loss_or_duplicates(store, tmp_path) -> None:
    graph = fixed_graph()
    total = len(render(graph))
    with running_gms() as gms:
        # GMS goes down after two batches: three requests, as the second batch holds the
        # last structured property definitions, sent ahead of the values in it
        gms.fail_next(100, after=3)
        with pytest.raises(SinkError, match="kept answering 503") as err:
            DataHubRestSink().push(graph, ctx_for(store, tmp_path, server=gms.url,
                                                  batch_size=10, retries=1))
        partial = err.value.result  # type: ignore[attr-defined]
        assert partial.written == 20 and partial.failed == total - 20
        assert len(gms.proposals) == 20
        gms.fail_next(0)
        res = DataHubRestSink().push(graph, ctx_for(store, tmp_path, server=gms.url,
                                                    batch_size=10))
        assert res.written == total - 20 and res.unchanged == 20
        assert len(gms.proposals) == total  # every aspect exactly once
        assert gms.keys() == expected_keys()
        events = [e for e in store.events() if e.kind == "push"]
        assert [e.payload["ok"] for e in events] == [False, True]


def test_wrong_token_is_a_clear_exit_3_and_the_token_never_shows(
        store, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with running_gms(token="the-right-one") as gms:
        with pytest.raises(SinkError) as err:
            DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=gms.url,
                                                          token=SecretStr(TOKEN)))
        # the first request after /config (reading what GMS holds before writing) is
        # refused once, not retried, and nothing is written
        assert [r.status for r in gms.requests if r.path != "/config"] == [401]
        assert not gms.proposals
    assert err.value.exit_code == 3
    text = str(err.value)
    assert "refused the token (HTTP 401)" in text and "DATAHUB_GMS_TOKEN" in text
    assert TOKEN not in text and TOKEN not in caplog.text
    assert "s3cr3t" not in caplog.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_names_the_url_and_fails_fast(store, tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(SinkError) as err:
        DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=url))
    assert time.monotonic() - t0 < 10
    assert f"cannot reach DataHub GMS at {url}" in str(err.value)
    assert "DATAHUB_GMS_URL" in str(err.value)
    # nothing acknowledged, nothing remembered: the next push sends everything
    with running_gms() as gms:
        res = DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=gms.url))
    assert res.written == len(render(fixed_graph()))


def test_validation_rejection_names_the_urn_and_aspect() -> None:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
    from datahub.metadata.schema_classes import MLModelPropertiesClass, StatusClass

    good = MCPW(entityUrn="urn:li:dataset:(urn:li:dataPlatform:dvc,a.csv,PROD)",
                aspect=StatusClass(removed=False))
    bad = MCPW(entityUrn="urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,d,PROD)",
               aspect=MLModelPropertiesClass(name="d"))
    with running_gms() as gms:
        t = RestTransport(rest_settings({"server": gms.url}))
        with pytest.raises(SinkError) as err:
            t.send([good, bad])
        t.close()
    msg = str(err.value)
    assert "HTTP 422" in msg and "mlModelProperties" in msg
    assert "urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,d,PROD)" in msg


def test_frontend_url_instead_of_gms_is_explained(tmp_path) -> None:
    import http.server
    import threading

    class Frontend(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - a UI answering /config without noCode
            body = b'{"config": {"appVersion": "1.3"}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Frontend)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        t = RestTransport(rest_settings({"server": f"http://127.0.0.1:{srv.server_port}"}))
        with pytest.raises(SinkError, match="frontend, not GMS"):
            t.open()
    finally:
        srv.shutdown()
        srv.server_close()


def test_settings_come_from_options_then_config_then_datahub_env(monkeypatch) -> None:
    cfg = Config()
    with pytest.raises(ConfigError, match="no DataHub GMS URL") as err:
        rest_settings({}, cfg)
    assert err.value.exit_code == 2 and "DATAHUB_GMS_URL" in str(err.value)
    monkeypatch.setenv("DATAHUB_GMS_URL", "http://env:8080")
    monkeypatch.setenv("DATAHUB_GMS_TOKEN", "env-token")
    s = rest_settings({}, cfg)
    assert s.server == "http://env:8080" and s.token.get_secret_value() == "env-token"
    cfg.datahub.server = "http://cfg:8080/"
    cfg.datahub.token = SecretStr("cfg-token")
    s = rest_settings({}, cfg)
    assert s.server == "http://cfg:8080" and s.token.get_secret_value() == "cfg-token"
    s = rest_settings({"server": "https://user:hunter2@gms.example:9002/api/gms",
                       "token": "tok-opt-xyz"}, cfg)
    assert s.token.get_secret_value() == "tok-opt-xyz"
    assert s.shown_url == "https://gms.example:9002/api/gms"
    assert "hunter2" not in repr(s) and "tok-opt-xyz" not in repr(s)
    with pytest.raises(ConfigError, match="must start with http"):
        rest_settings({"server": "localhost:8080"}, cfg)
    with pytest.raises(ConfigError, match="retries"):
        rest_settings({"server": "http://x", "retries": "many"}, cfg)


def test_cli_push_to_rest_with_env_settings(git_repo, monkeypatch) -> None:
    from lineage import api
    from lineage.cli.main import app

    api.init(git_repo.path)
    graph = fixed_graph()
    with api.open_store(git_repo.path) as st:
        api.record(st, [*graph.nodes(include_placeholders=False), *graph.edges()],
                   event_kind="harvest", payload={"fixture": "fixed_graph"})
    runner = CliRunner()
    with running_gms(token=TOKEN) as gms:
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        monkeypatch.setenv("DATAHUB_GMS_TOKEN", TOKEN)
        out = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "--repo", str(git_repo.path)])
        assert out.exit_code == 0, out.output
        summary = json.loads(out.stdout)
        assert summary["target"] == "datahub-rest" and summary["written"] > 0
        assert summary["written"] == len(gms.proposals)
        monkeypatch.setenv("DATAHUB_GMS_TOKEN", "wrong-" + TOKEN)
        bad = runner.invoke(app, ["push", "--to", "datahub-rest", "--full",
                                  "--repo", str(git_repo.path)])
    assert bad.exit_code == 3
    assert "DATAHUB_GMS_TOKEN" in bad.output and TOKEN not in bad.output
    monkeypatch.delenv("DATAHUB_GMS_URL")
    none = runner.invoke(app, ["push", "--to", "datahub-rest", "--repo", str(git_repo.path)])
    assert none.exit_code == 2 and "DATAHUB_GMS_URL" in none.output


def test_kafka_target_is_disabled_with_an_install_hint_without_confluent_kafka(
        store, tmp_path) -> None:
    # No Kafka broker or schema registry runs here: only configuration is tested.
    import importlib.util

    if importlib.util.find_spec("confluent_kafka") is not None:
        pytest.skip("confluent_kafka installed: the disabled path does not apply")
    sink_cls = load_sink("datahub-kafka")  # loads: the REST target shares the module
    with pytest.raises(ConfigError) as err:
        sink_cls().push(fixed_graph(), ctx_for(store, tmp_path, bootstrap="b:9092",
                                               schema_registry_url="http://r:8081"))
    assert "disabled" in str(err.value) and "pip install 'lineage[kafka]'" in str(err.value)
    assert err.value.exit_code == 2


def test_gms_that_requires_a_token_and_got_none_says_so(store, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DATAHUB_GMS_TOKEN", raising=False)
    with running_gms(token=TOKEN) as gms:
        with pytest.raises(SinkError) as exc:
            DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=gms.url))
    err = exc.value
    assert "requires an access token" in err.message and "none was given" in err.message
    assert "HTTP 401" in err.message and "refused the token" not in err.message
    assert "--token" in (err.hint or "") and "DATAHUB_GMS_TOKEN" in (err.hint or "")
    assert err.exit_code == 3


def test_a_wrong_token_is_still_refused_as_such(store, tmp_path) -> None:
    with running_gms(token=TOKEN) as gms:
        with pytest.raises(SinkError) as exc:
            DataHubRestSink().push(fixed_graph(), ctx_for(store, tmp_path, server=gms.url,
                                                          token=SecretStr("wrong")))
    assert "refused the token (HTTP 401)" in exc.value.message


def test_remove_stale_soft_deletes_what_the_graph_lost_on_gms(store, tmp_path) -> None:
    """``-o remove_stale=true``: an entity pushed before that the graph no longer renders gets
    DataHub's soft delete (``status.removed``), which GMS takes for any entity."""
    from lineage.model import Node, NodeKind

    extra = "data:github.com/acme/churn:data/extra.csv@md5:" + "0" * 32
    urn = "urn:li:dataset:(urn:li:dataPlatform:dvc,github.com/acme/churn/data/extra.csv,PROD)"
    before = fixed_graph()
    before.add([Node.make(NodeKind.DATA, extra, path="data/extra.csv", hash="md5:" + "0" * 32,
                          repository="repository:github.com/acme/churn")])
    with running_gms(token=TOKEN) as gms:
        ctx = ctx_for(store, tmp_path, server=gms.url, token=SecretStr(TOKEN))
        DataHubRestSink().push(before, ctx)
        assert gms.aspect(urn, "datasetProperties")
        kept = DataHubRestSink().push(fixed_graph(), ctx)
        # left in place: shown, as every entity a push writes (``removed: false``)
        assert kept.details["stale_entities"] == 1
        assert gms.aspect(urn, "status") == {"removed": False}
        gone = DataHubRestSink().push(fixed_graph(), ctx_for(
            store, tmp_path, server=gms.url, token=SecretStr(TOKEN), remove_stale="true"))
        assert gone.written == 1 and gone.details["removed_entities"] == 1
        assert gms.aspect(urn, "status") == {"removed": True}
        back = DataHubRestSink().push(before, ctx)
        assert gms.aspect(urn, "status") == {"removed": False} and back.failed == 0
