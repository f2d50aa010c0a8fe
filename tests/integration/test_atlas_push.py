"""``AtlasSink.push`` against the stand-in Atlas: upsert, incremental, resume, errors."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.sinks.atlas.client import AtlasHttp
from connectors.sinks.atlas.sink import AtlasSink, namespace
from lineage import ids
from lineage.cli.common import handle_errors, print_json
from lineage.config import Config
from lineage.errors import ConfigError, SinkError
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.plugins import PushContext, load_sink
from lineage.store import Store
from tests.standins import atlas_graph as G
from tests.standins.atlas import AtlasStandin, running_atlas

PASSWORD = "S3cret-Pa55"


@pytest.fixture
def atlas() -> Iterator[AtlasStandin]:
    with running_atlas({"admin": PASSWORD}) as s:
        yield s


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx_for(store: Store, url: str, password: str = PASSWORD, **options: Any) -> PushContext:
    return PushContext(store, Config(), store.root.parent,
                       options={"url": url, "username": "admin", "password": password,
                                **options})


def push(graph: LineageGraph, store: Store, atlas: AtlasStandin, **options: Any) -> Any:
    return AtlasSink().push(graph, ctx_for(store, atlas.url, **options))


def guid(atlas: AtlasStandin, type_name: str, node: str) -> str:
    return atlas.unique[(type_name, node + "@lineage")]


def bulk_bodies(atlas: AtlasStandin, since: int = 0) -> list[Any]:
    return [b for m, r, b in atlas.bodies[since:] if (m, r) == ("POST", "entity/bulk")]


def test_registered_under_its_name() -> None:
    assert load_sink("atlas") is AtlasSink
    assert AtlasSink.name == "atlas"


def test_first_push_then_unchanged_graph_sends_nothing(atlas: AtlasStandin, store: Store
                                                       ) -> None:
    graph = G.build_graph()
    result = push(graph, store, atlas, batch_size=4)
    items = AtlasSink().render(graph)
    assert result.details["typedefs"] == "created"
    assert result.details["entities"] == len(items) == len(atlas.entities)
    assert result.details["batches"] == -(-len(items) // 4)
    for item in items:
        assert (item["entity"]["typeName"], item["qualifiedName"]) in atlas.unique
    state = store.state_get_all(namespace(atlas.url))
    assert {k for k in state if k.startswith("g|")} == {"g|" + i["qualifiedName"] for i in items}
    n = len(atlas.requests)
    again = push(G.build_graph(), store, atlas)
    assert len(atlas.requests) == n  # not a single request
    assert again.written == 0 and again.unchanged == len(items)
    assert "stale_entities" not in again.details
    pushes = [e.payload for e in store.events() if e.kind == "push"]
    assert [(p["target"], p["written"], p["ok"]) for p in pushes] == [
        ("atlas", result.written, True), ("atlas", 0, True)]
    assert pushes[0]["destination"] == atlas.url and pushes[0]["entities"] == len(items)
    assert store.verify().ok


def test_lineage_reads_back_deployment_version_run_data(atlas: AtlasStandin, store: Store
                                                        ) -> None:
    push(G.build_graph(), store, atlas)
    http = AtlasHttp(atlas.url, "admin", PASSWORD)
    dep = guid(atlas, "lineage_deployment", G.DEPLOY)
    lin = http.lineage(dep, depth=5)
    names = {g: (h["typeName"], h["attributes"]["qualifiedName"])
             for g, h in lin["guidEntityMap"].items()}
    upstream: dict[str, list[str]] = {}
    for r in lin["relations"]:
        upstream.setdefault(r["toEntityId"], []).append(r["fromEntityId"])

    def up(g: str, type_name: str) -> str:
        hits = [s for s in upstream.get(g, []) if names[s][0] == type_name]
        assert hits, f"nothing of type {type_name} upstream of {names[g]}"
        return hits[0]

    step = up(dep, "lineage_deployment_step")
    version = up(step, "lineage_model_version")
    assert names[version][1] == G.V2 + "@lineage"
    run = up(version, "lineage_training_run")
    assert names[run][1] == G.RUN2 + "@lineage"
    data = up(run, "lineage_data")
    assert names[data][1] == G.FEAT + "@lineage"
    stage = up(data, "lineage_dvc_stage")
    assert names[up(stage, "lineage_data")][1] == G.RAW + "@lineage"


def test_tier_classification_and_business_metadata(atlas: AtlasStandin, store: Store) -> None:
    push(G.build_graph(), store, atlas)
    http = AtlasHttp(atlas.url, "admin", PASSWORD)
    group = http.get_entity(guid(atlas, "lineage_model", G.GROUP))["entity"]
    [tier] = group["classifications"]
    assert tier["typeName"] == "EUAIAct_High" and tier["propagate"] is True
    assert tier["entityGuid"] == group["guid"]
    for type_name, node in (("lineage_model_version", G.V2), ("lineage_deployment", G.DEPLOY)):
        e = http.get_entity(guid(atlas, type_name, node))["entity"]
        assert [c["typeName"] for c in e["classifications"]] == ["EUAIAct_High"]  # propagated
        assert e["classifications"][0]["entityGuid"] == group["guid"]
    v2 = http.get_entity(guid(atlas, "lineage_model_version", G.V2))["entity"]
    bm = v2["businessAttributes"]
    assert bm["lineage_approval_status"]["approvers"] == ["erin"]
    assert bm["lineage_risk_assessment"]["tier"] == "high"
    assert bm["lineage_retraining"]["trigger"] == "drift"
    assert v2["relationshipAttributes"]["registeredModel"]["guid"] == group["guid"]
    assert v2["relationshipAttributes"]["deployments"][0]["guid"] == guid(
        atlas, "lineage_deployment", G.DEPLOY)


def test_changes_are_sent_through_their_own_endpoints(atlas: AtlasStandin, store: Store) -> None:
    push(G.build_graph(), store, atlas)
    n = len(atlas.bodies)
    result = push(G.build_graph(tier="limited"), store, atlas)
    sent = atlas.requests[n:]
    assert not bulk_bodies(atlas, n)  # the entity itself did not change
    group = guid(atlas, "lineage_model", G.GROUP)
    assert ("DELETE", f"entity/guid/{group}/classification/EUAIAct_High") in sent
    assert ("POST", f"entity/guid/{group}/classifications") in sent
    assert [c["typeName"] for c in atlas.entities[group]["classifications"]] == [
        "EUAIAct_Limited"]
    assert atlas.entities[group]["businessAttributes"]["lineage_risk_assessment"]["tier"] == \
        "limited"
    assert result.details["classifications"] == 1
    # an attribute change re-sends only the changed entity (with its closure as referred)
    n = len(atlas.bodies)
    push(G.build_graph(tier="limited", approver="heidi"), store, atlas)
    [body] = bulk_bodies(atlas, n)
    assert [e["attributes"]["qualifiedName"] for e in body["entities"]] == [
        G.APPROVAL + "@lineage"]
    assert [e["attributes"]["qualifiedName"] for e in body["referredEntities"].values()] == [
        G.V2 + "@lineage"]
    v2 = atlas.entities[guid(atlas, "lineage_model_version", G.V2)]
    assert v2["businessAttributes"]["lineage_approval_status"]["approvers"] == ["heidi"]
    # a node gone from the graph is reported, not deleted
    smaller = G.build_graph(tier="limited", approver="heidi").subgraph(
        [n for n in G.build_graph().node_ids() if n != G.APPROVAL_DEP])
    result = push(smaller, store, atlas)
    assert result.details["stale_entities"] == 1
    assert (("lineage_approval", G.APPROVAL_DEP + "@lineage")) in atlas.unique


def test_failed_push_resumes_where_it_stopped(atlas: AtlasStandin, store: Store) -> None:
    graph = G.build_graph()
    total = len(AtlasSink().render(graph))
    atlas.fail_bulk_after = 2
    with pytest.raises(SinkError) as exc:
        push(graph, store, atlas, batch_size=3)
    assert exc.value.exit_code == 3
    assert "ATLAS-500-00-001" in str(exc.value) and "resume" in str(exc.value)
    partial = exc.value.result  # type: ignore[attr-defined]
    assert (partial.written, partial.failed) == (6, total - 6)
    [event] = [e.payload for e in store.events() if e.kind == "push"]
    assert event["ok"] is False and event["written"] == 6
    state = store.state_get_all(namespace(atlas.url))
    assert len([k for k in state if k.startswith("e|")]) == 6  # two acknowledged batches
    guids_before = {k: v for k, v in state.items() if k.startswith("g|")}
    atlas.fail_bulk_after = None
    n = len(atlas.bodies)
    result = push(graph, store, atlas, batch_size=3)
    resent = [e for b in bulk_bodies(atlas, n) for e in b["entities"]]
    assert len(resent) == total - 6 == result.details["entities"]
    assert len(atlas.entities) == total
    state = store.state_get_all(namespace(atlas.url))
    assert all(state[k] == v for k, v in guids_before.items())  # guid assignments kept
    assert result.details["typedefs"] == "unchanged"


def test_fresh_store_against_populated_server_upserts(atlas: AtlasStandin, store: Store,
                                                      tmp_path: Path) -> None:
    push(G.build_graph(), store, atlas)
    guids = dict(atlas.unique)
    other = Store.init(tmp_path / "other")
    result = AtlasSink().push(G.build_graph(), ctx_for(other, atlas.url))
    assert result.details["typedefs"] == "updated"  # 409, then update
    assert ("PUT", "types/typedefs") in atlas.requests
    assert dict(atlas.unique) == guids  # same entities, no duplicates
    group = guid(atlas, "lineage_model", G.GROUP)
    assert [c["typeName"] for c in atlas.entities[group]["classifications"]] == ["EUAIAct_High"]
    other.close()


def test_server_lost_an_entity_gives_the_error_code_and_message(atlas: AtlasStandin,
                                                                 store: Store) -> None:
    push(G.build_graph(), store, atlas)
    group = guid(atlas, "lineage_model", G.GROUP)
    atlas.purge(group)
    with pytest.raises(SinkError) as exc:
        push(G.build_graph(tier="minimal"), store, atlas)
    msg = str(exc.value)
    assert "ATLAS-404-00-005" in msg and f"Given instance guid {group} is invalid" in msg
    assert "--full" in msg
    result = push(G.build_graph(tier="minimal"), store, atlas, full="true")
    # everything again, but the commit a run only names (Atlas has it: left as it is)
    assert result.details["entities"] == len(atlas.entities) - 1
    assert ("GET", "entity/uniqueAttribute/type/lineage_commit") in atlas.requests


def test_unreachable_server(store: Store) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(SinkError) as exc:
        AtlasSink().push(G.build_graph(), ctx_for(store, f"http://127.0.0.1:{port}"))
    assert f"cannot reach Atlas at http://127.0.0.1:{port}" in str(exc.value)
    assert exc.value.exit_code == 3


def test_wrong_password_names_the_env_var_and_never_shows_it(
        atlas: AtlasStandin, store: Store, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    wrong = "not-the-Pa55word"
    monkeypatch.setenv("ATLAS_URL", atlas.url)
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    monkeypatch.setenv("ATLAS_PASSWORD", wrong)
    caplog.set_level(logging.DEBUG)
    ctx = PushContext(store, Config(), store.root.parent)
    with pytest.raises(SinkError) as exc:
        AtlasSink().push(G.build_graph(), ctx)
    msg = str(exc.value)
    assert "401" in msg and "ATLAS_PASSWORD" in msg and "'admin'" in msg
    assert wrong not in msg and wrong not in caplog.text
    assert exc.value.exit_code == 3


def test_settings_from_config_and_missing_settings(atlas: AtlasStandin, store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config()
    cfg.atlas.url = atlas.url
    cfg.atlas.username = "admin"
    cfg.atlas.password = SecretStr(PASSWORD)
    result = AtlasSink().push(G.build_graph(), PushContext(store, cfg, store.root.parent))
    assert result.details["entities"] > 0
    assert PASSWORD not in repr(cfg) and PASSWORD not in str(result.as_dict())
    with pytest.raises(ConfigError) as exc:
        AtlasSink().push(G.build_graph(), PushContext(store, Config(), store.root.parent))
    assert "ATLAS_URL" in str(exc.value)
    monkeypatch.setenv("ATLAS_URL", atlas.url)
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    with pytest.raises(ConfigError) as exc:
        AtlasSink().push(G.build_graph(), PushContext(store, Config(), store.root.parent))
    assert "ATLAS_PASSWORD" in str(exc.value) and exc.value.exit_code == 2
    for bad in ("localhost:21000", "ftp://host", f"http://admin:{PASSWORD}@host:port"):
        with pytest.raises(ConfigError) as exc:
            AtlasSink().push(G.build_graph(), ctx_for(store, bad))
        assert "is not an http(s) URL" in str(exc.value) and PASSWORD not in str(exc.value)


def test_url_with_path_prefix_and_embedded_credentials(store: Store) -> None:
    with running_atlas({"admin": PASSWORD}, mount="/gateway/atlas") as atlas:
        host = atlas.url.removeprefix("http://")
        ctx = PushContext(store, Config(), store.root.parent,
                          options={"url": f"http://admin:{PASSWORD}@{host}/"})
        result = AtlasSink().push(G.build_graph(), ctx)
        assert result.details["entities"] == len(atlas.entities) > 0
        assert result.details["url"] == atlas.url
        assert PASSWORD not in str(result.as_dict())
        assert store.state_get_all(namespace(atlas.url))
        assert all(PASSWORD not in ns for (ns,) in store.conn.execute(
            "SELECT DISTINCT namespace FROM state"))


# -- a thin CLI over the sink (the exit codes and one-line errors a user sees) ----------------
harness = typer.Typer()


@harness.command()
def push_atlas(store_dir: Path, as_json: bool = typer.Option(False, "--json")) -> None:
    with handle_errors():
        store = Store.open(store_dir)
        graph = G.build_graph()
        result = AtlasSink().push(graph, PushContext(store, Config(), store_dir.parent))
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(f"pushed {result.written} to atlas, {result.unchanged} unchanged")


def test_cli_harness_exit_codes(atlas: AtlasStandin, store: Store,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("ATLAS_URL", atlas.url)
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    monkeypatch.setenv("ATLAS_PASSWORD", "wrong-one")
    res = runner.invoke(harness, [str(store.root)])
    assert res.exit_code == 3
    assert "error:" in res.output and "ATLAS_PASSWORD" in res.output
    assert "wrong-one" not in res.output and "Traceback" not in res.output
    monkeypatch.setenv("ATLAS_PASSWORD", PASSWORD)
    res = runner.invoke(harness, [str(store.root), "--json"])
    assert res.exit_code == 0, res.output
    assert '"typedefs": "created"' in res.output and PASSWORD not in res.output
    res = runner.invoke(harness, [str(store.root)])
    assert res.exit_code == 0 and "pushed 0 to atlas" in res.output


def test_written_and_unchanged_both_count_entities(atlas: AtlasStandin, store: Store) -> None:
    graph = G.build_graph()
    items = AtlasSink().render(graph)
    first = push(graph, store, atlas)
    assert first.details["classifications"] + first.details["business_metadata"] > 0
    # every entity was sent (with its classifications and business metadata): counted once
    assert (first.written, first.unchanged, first.failed) == (len(items), 0, 0)
    again = push(graph, store, atlas)
    assert (again.written, again.unchanged, again.failed) == (0, len(items), 0)
    [event] = [e.payload for e in store.events() if e.kind == "push"][:1]
    assert event["written"] == len(items) and event["classifications"] > 0


def bm_of(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    return atlas.entities[guid(atlas, type_name, node)]["businessAttributes"]  # type: ignore[no-any-return]


def rendered(graph: LineageGraph) -> dict[str, dict[str, Any]]:
    return {i["node"]: i for i in AtlasSink().render(graph) if not i["qualifiedName"].endswith(
        "#deploy@lineage")}


def test_a_correction_removes_the_attributes_it_no_longer_gives(atlas: AtlasStandin,
                                                                store: Store) -> None:
    push(G.build_graph(), store, atlas)
    n = len(atlas.bodies)
    result = push(G.build_graph(corrected=True), store, atlas)
    want = rendered(G.build_graph(corrected=True))
    for type_name, node in (("lineage_model", G.GROUP), ("lineage_model_version", G.V2),
                            ("lineage_deployment", G.DEPLOY)):
        assert bm_of(atlas, type_name, node) == want[node]["businessAttributes"], node
    # its own approval is gone, but the audit grants its prod deployment (frank's approval
    # of the deployment, four-eyes not applying at the corrected limited tier): the audit's
    # verdict, as DataHub's approvalStatus gives it
    assert bm_of(atlas, "lineage_model_version", G.V2)["lineage_approval_status"] == {
        "status": "approved", "approvalCount": 0, "environments": ["prod"],
        "approvalByEnvironment": ["prod: approved"]}
    # the removal names only the attributes that went away, through Atlas's DELETE
    v2 = guid(atlas, "lineage_model_version", G.V2)
    [removed] = [b for m, r, b in atlas.bodies[n:]
                 if (m, r) == ("DELETE", f"entity/guid/{v2}/businessmetadata")]
    assert removed == {
        "lineage_approval_status": dict.fromkeys(["approvalIds", "approverRoles", "approvers",
                                                  "evidence", "lastDecisionAt"]),
        "lineage_risk_assessment": dict.fromkeys(["annexIIIArea", "nextReview", "rationale"])}
    assert not [r for m, r in atlas.requests[n:] if m == "GET"]  # the store knew: no reads
    assert result.details["business_metadata"] == 5  # group, three versions, deployment
    n = len(atlas.requests)
    again = push(G.build_graph(corrected=True), store, atlas)
    assert atlas.requests[n:] == [] and again.written == 0


def test_an_old_state_without_attribute_names_still_clears(atlas: AtlasStandin, store: Store
                                                          ) -> None:
    push(G.build_graph(), store, atlas)
    ns = namespace(atlas.url)
    # a store written before the names of the attributes sent were kept
    store.state_delete(ns, [k for k in store.state_get_all(ns) if k.startswith("a|")])
    n = len(atlas.requests)
    push(G.build_graph(), store, atlas)
    assert atlas.requests[n:] == []
    push(G.build_graph(corrected=True), store, atlas)
    want = rendered(G.build_graph(corrected=True))
    assert bm_of(atlas, "lineage_model_version", G.V2) == want[G.V2]["businessAttributes"]


def test_a_fresh_store_removes_an_old_tier_also_after_an_interrupted_push(
        atlas: AtlasStandin, store: Store, tmp_path: Path) -> None:
    push(G.build_graph(), store, atlas)
    http = AtlasHttp(atlas.url, "admin", PASSWORD)
    # another tool's classification and business metadata on the same model stay
    http.create_typedefs({
        "classificationDefs": [{"name": "PII", "attributeDefs": []}],
        "businessMetadataDefs": [{"name": "dq", "attributeDefs": [{
            "name": "owner", "typeName": "string", "isOptional": True,
            "cardinality": "SINGLE",
            "options": {"applicableEntityTypes": '["DataSet"]', "maxStrLength": "50"}}]}]})
    group = guid(atlas, "lineage_model", G.GROUP)
    http.add_classifications(group, [{"typeName": "PII", "propagate": False}])
    http.add_business_metadata(group, {"dq": {"owner": "data-quality"}})
    # a CI job with no store of its own pushes the corrected graph; it stops after the batch
    # holding the model was acknowledged, before its tier was set
    graph = G.build_graph(corrected=True)
    nodes = [i["node"] for i in AtlasSink().render(graph)]
    other = Store.init(tmp_path / "other")
    atlas.fail_bulk_after = 1
    with pytest.raises(SinkError):
        AtlasSink().push(graph, ctx_for(other, atlas.url, batch_size=nodes.index(G.GROUP) + 1))
    assert [c["typeName"] for c in atlas.entities[group]["classifications"]] == [
        "EUAIAct_High", "PII"]
    atlas.fail_bulk_after = None
    AtlasSink().push(graph, ctx_for(other, atlas.url))
    assert sorted(c["typeName"] for c in atlas.entities[group]["classifications"]) == [
        "EUAIAct_Limited", "PII"]
    want = rendered(graph)
    assert bm_of(atlas, "lineage_model", G.GROUP) == {
        **want[G.GROUP]["businessAttributes"], "dq": {"owner": "data-quality"}}
    assert bm_of(atlas, "lineage_model_version", G.V2) == want[G.V2]["businessAttributes"]
    v2 = http.get_entity(guid(atlas, "lineage_model_version", G.V2))["entity"]
    assert [c["typeName"] for c in v2["classifications"]] == ["EUAIAct_Limited"]  # propagated
    n = len(atlas.requests)
    again = AtlasSink().push(graph, ctx_for(other, atlas.url))
    assert atlas.requests[n:] == [] and again.written == 0
    other.close()


def test_a_superseded_model_card_leaves_the_version(atlas: AtlasStandin, store: Store) -> None:
    push(G.build_graph(), store, atlas)
    # DOC-1 was filed against the wrong version: the correction moves it to v1.0.0
    graph = G.build_graph()
    fix = ids.record_id("document", "DOC-2")
    graph.add([Node.make(NodeKind.DOCUMENT, fix, doc_kind="model_card", model=G.V1,
                         uri="https://docs.acme/churn-v1", properties={"supersedes": "DOC-1"})])
    graph.add([Edge.make(EdgeKind.DOCUMENTS, fix, G.V1)])
    push(graph, store, atlas)

    def documents(node: str) -> Any:
        e = atlas.entities[guid(atlas, "lineage_model_version", node)]
        return e["attributes"].get("documents")

    assert documents(G.V1) == {"model_card:DOC-2": "https://docs.acme/churn-v1"}
    assert not documents(G.V2)
    n = len(atlas.requests)
    push(graph, store, atlas)
    assert atlas.requests[n:] == []


def test_a_corrected_alert_replaces_the_one_it_supersedes(atlas: AtlasStandin, store: Store
                                                          ) -> None:
    push(G.build_graph(), store, atlas)
    # AL-1 was recorded against the wrong version, with the wrong value: AL-2 corrects it
    graph = G.build_graph()
    fix = ids.record_id("alert", "AL-2")
    graph.add([Node.make(NodeKind.ALERT, fix, model=G.V2, metric="psi", value=0.13,
                         threshold=0.2, at="2026-01-03T00:00:00Z", status="acknowledged",
                         properties={"supersedes": "AL-1"})])
    graph.add([Edge.make(EdgeKind.ALERTS, fix, G.V2)])
    push(graph, store, atlas)

    def alerts(node: str) -> Any:
        e = atlas.entities[guid(atlas, "lineage_model_version", node)]
        return e["attributes"].get("alerts")

    assert not alerts(G.V1)
    assert alerts(G.V2) == {"AL-2": "metric=psi value=0.13 threshold=0.2 status=acknowledged "
                                    "at=2026-01-03T00:00:00Z"}
    n = len(atlas.requests)
    push(graph, store, atlas)
    assert atlas.requests[n:] == []


def test_counts_add_up_when_a_resumed_push_finds_atlas_already_right(
        atlas: AtlasStandin, store: Store, tmp_path: Path) -> None:
    graph = G.build_graph()
    push(graph, store, atlas)
    nodes = [i["node"] for i in AtlasSink().render(graph)]
    other = Store.init(tmp_path / "other")
    atlas.fail_bulk_after = 1
    with pytest.raises(SinkError):
        AtlasSink().push(graph, ctx_for(other, atlas.url, batch_size=nodes.index(G.GROUP) + 1))
    atlas.fail_bulk_after = None
    n = len(atlas.requests)
    result = AtlasSink().push(graph, ctx_for(other, atlas.url))
    # the first batch's model and versions were read, found as the graph gives them: unchanged
    assert not [r for m, r in atlas.requests[n:] if m != "GET" and "/guid/" in r]
    assert result.written + result.unchanged + result.failed == len(nodes)
    # the commit a run only names was found in Atlas and left as it is: not in the batches
    assert result.written == len(nodes) - nodes.index(G.GROUP) - 1 - 1
    other.close()


def test_an_assessment_sets_the_tier_of_every_registered_model_of_the_system(
        atlas: AtlasStandin, store: Store) -> None:
    # the same version registered in MLflow under another name (same artifact: same_as): one
    # AI system, as the audit reads it; the MLflow registered model shows the tier too
    graph = G.build_graph()
    other, version = ids.model_group_id("churn-registry"), ids.model_id("churn-registry", "4")
    graph.add([Node.make(NodeKind.MODEL_GROUP, other, name="churn-registry", registry="mlflow"),
               Node.make(NodeKind.MODEL, version, group="churn-registry", version="4",
                         registry="mlflow")])
    graph.add([Edge.make(EdgeKind.VERSION_OF, version, other),
               Edge.make(EdgeKind.SAME_AS, G.V2, version)])
    push(graph, store, atlas)
    for type_name, node in (("lineage_model", other), ("lineage_model_version", version)):
        e = AtlasHttp(atlas.url, "admin", PASSWORD).get_entity(guid(atlas, type_name, node))
        assert [c["typeName"] for c in e["entity"]["classifications"]] == ["EUAIAct_High"]
        risk = e["entity"]["businessAttributes"]["lineage_risk_assessment"]
        assert (risk["tier"], risk["assessmentId"]) == ("high", G.RISK)


def test_a_long_rationale_is_shortened_not_a_failed_push(atlas: AtlasStandin, store: Store
                                                         ) -> None:
    # a risk assessment pasted in full: longer than the 4000 characters Atlas keeps for a
    # business attribute, and one that fits in code points but not in the UTF-16 units Atlas
    # counts (an emoji is two)
    for rationale in ("Credit access affected. " * 200, "x" * 3950 + "\U0001f4c8" * 50):
        graph = G.build_graph()
        graph.add([Node.make(NodeKind.RISK_ASSESSMENT, G.RISK, model_group=G.GROUP,
                             tier="high", rationale=rationale, assessor="grace",
                             assessed_at="2026-01-01T00:00:00Z")])
        result = push(graph, store, atlas)
        assert result.failed == 0
        group = AtlasHttp(atlas.url, "admin", PASSWORD).get_entity(
            guid(atlas, "lineage_model", G.GROUP))["entity"]
        shown = group["businessAttributes"]["lineage_risk_assessment"]["rationale"]
        assert len(shown.encode("utf-16-le")) // 2 <= 4000
        assert shown.endswith("…") and rationale.startswith(shown[:-1])


def test_an_alias_that_moved_leaves_the_version(atlas: AtlasStandin, store: Store) -> None:
    push(G.build_graph(), store, atlas)
    # "champion" moved from v1.1.0 to MLflow version 3: the harvester clears v1.1.0's aliases
    # (an empty list, as connectors/harvesters/mlflow.py writes it)
    graph = G.build_graph()
    graph.add([Node.trusted(NodeKind.MODEL, G.V2, {"group": "churn", "version": "v1.1.0",
                                                   "registry": "gto", "aliases": []}),
               Node.make(NodeKind.MODEL, G.V2_MLFLOW, group="churn", version="3",
                         registry="mlflow", aliases=["champion"])])
    push(graph, store, atlas)
    champions = sorted(e["attributes"]["lineageId"] for e in atlas.entities.values()
                       if "champion" in (e["attributes"].get("aliases") or []))
    assert champions == [G.V2_MLFLOW]


def test_a_deployment_counts_approvals_of_every_spelling_of_its_version(
        atlas: AtlasStandin, store: Store) -> None:
    # gina approved the version under its MLflow spelling (churn/3, the same artifact as the
    # deployed churn@v1.1.0): the audit counts it for the deployment, Atlas must too
    graph = G.build_graph()
    gina = ids.record_id("approval", "APR-10")
    graph.add([Node.make(NodeKind.APPROVAL, gina, approver="gina", role="ml-lead",
                         decision="approved", decided_at="2026-01-04T13:00:00Z",
                         model=G.V2_MLFLOW, environment="prod")])
    graph.add([Edge.make(EdgeKind.APPROVES, gina, G.V2_MLFLOW)])
    push(graph, store, atlas)
    dep = atlas.entities[guid(atlas, "lineage_deployment", G.DEPLOY)]
    status = dep["businessAttributes"]["lineage_approval_status"]
    assert gina in status["approvalIds"] and "gina" in status["approvers"]
    # erin, gina and frank (a conditional approval approves, as the audit counts approvers)
    assert status["approvalCount"] == 3


def test_an_approval_naming_the_deployment_for_another_version_does_not_count(
        atlas: AtlasStandin, store: Store) -> None:
    # hal's approval names the prod deployment of v1.1.0 but approves v1.0.0 (and ida's is
    # for staging): the audit does not count them for that deployment, Atlas must not either
    graph = G.build_graph()
    hal, ida = ids.record_id("approval", "APR-11"), ids.record_id("approval", "APR-12")
    graph.add([Node.make(NodeKind.APPROVAL, hal, approver="hal", role="ml-lead",
                         decision="approved", decided_at="2026-01-04T13:00:00Z", model=G.V1,
                         environment="prod"),
               Node.make(NodeKind.APPROVAL, ida, approver="ida", role="ml-lead",
                         decision="approved", decided_at="2026-01-04T13:00:00Z", model=G.V2,
                         environment="staging")])
    graph.add([Edge.make(EdgeKind.APPROVES, hal, G.DEPLOY),
               Edge.make(EdgeKind.APPROVES, ida, G.DEPLOY)])
    push(graph, store, atlas)
    dep = atlas.entities[guid(atlas, "lineage_deployment", G.DEPLOY)]
    status = dep["businessAttributes"]["lineage_approval_status"]
    assert hal not in status["approvalIds"] and ida not in status["approvalIds"]
    assert status["approvalCount"] == 2  # erin's and frank's (conditional)


def test_bad_timeout_or_batch_size_is_a_configuration_error(store: Store) -> None:
    for key, value in (("timeout", "0"), ("timeout", "-5"), ("timeout", "nan"),
                       ("timeout", "inf"), ("timeout", "soon"), ("batch_size", "1.5"),
                       ("batch_size", "0")):
        with pytest.raises(ConfigError) as exc:
            AtlasSink().push(G.build_graph(), ctx_for(store, "http://127.0.0.1:1",
                                                      **{key: value}))
        assert key in str(exc.value) and repr(value) in str(exc.value), str(exc.value)
        assert exc.value.exit_code == 2


def test_a_misspelt_full_option_is_refused(store: Store) -> None:
    with pytest.raises(ConfigError) as exc:
        AtlasSink().push(G.build_graph(), ctx_for(store, "http://127.0.0.1:1", full="treu"))
    assert "full" in str(exc.value) and "'treu'" in str(exc.value)


def test_a_url_ending_in_the_api_path_still_reaches_atlas(atlas: AtlasStandin, store: Store
                                                          ) -> None:
    # ATLAS_URL copied from a REST example: http://host:21000/api/atlas/v2
    for suffix in ("/api/atlas", "/api/atlas/v2/"):
        result = AtlasSink().push(G.build_graph(), ctx_for(store, atlas.url + suffix))
        assert result.details["url"] == atlas.url
    assert len(atlas.entities) == len(AtlasSink().render(G.build_graph()))


def test_counts_of_a_failed_push_leave_out_what_atlas_already_had(
        atlas: AtlasStandin, store: Store, tmp_path: Path) -> None:
    push(G.build_graph(), store, atlas)
    other = Store.init(tmp_path / "other")
    atlas.fail_bulk_after = 0
    with pytest.raises(SinkError) as exc:
        AtlasSink().push(G.build_graph(), ctx_for(other, atlas.url))
    partial = exc.value.result  # type: ignore[attr-defined]
    # the commit a run only names is in Atlas and is left as it is: nothing of it failed
    total = len(AtlasSink().render(G.build_graph()))
    assert (partial.written, partial.unchanged, partial.failed) == (0, 1, total - 1)
    other.close()
