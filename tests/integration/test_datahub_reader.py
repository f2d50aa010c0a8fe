"""Reading a lineage graph back from DataHub (Lite file and the stand-in GMS)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("datahub")

from datahub.api.entities.dataprocess.dataprocess_instance import DataProcessInstance  # noqa: E402
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW  # noqa: E402
from datahub.metadata import schema_classes as s  # noqa: E402

from connectors.sinks.datahub.reader import graph_from_mcps, read_lite, read_rest  # noqa: E402
from lineage.model import EdgeKind, NodeKind  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:mlflow,churn,PROD)"
MODEL = "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn_3,PROD)"
DATA = "urn:li:dataset:(urn:li:dataPlatform:dvc,data/train.csv,PROD)"
RUN_ID = "4f1c0e7d9a2b4c3d8e9f001122334455"
SHA = "a" * 40


def mlflow_style_mcps() -> list[MCPW]:
    """Entities as DataHub's own MLflow source writes them (plus a DVC dataset input)."""
    run = DataProcessInstance(id=RUN_ID, orchestrator="mlflow")
    run_urn = str(run.urn)
    return [
        MCPW(entityUrn=GROUP, aspect=s.MLModelGroupPropertiesClass(
            name="churn", description="churn model")),
        MCPW(entityUrn=MODEL, aspect=s.MLModelPropertiesClass(
            name="churn_3", groups=[GROUP], trainingJobs=[run_urn],
            customProperties={"git_commit": SHA},
            trainingMetrics=[s.MLMetricClass(name="auc", value="0.91")])),
        MCPW(entityUrn=MODEL, aspect=s.VersionPropertiesClass(
            versionSet="urn:li:versionSet:(abc,mlModel)",
            version=s.VersionTagClass(versionTag="3"), sortId="0000003",
            aliases=[s.VersionTagClass(versionTag="champion")])),
        MCPW(entityUrn=run_urn, aspect=s.DataProcessInstancePropertiesClass(
            name="bright-owl-42", created=s.AuditStampClass(time=1767225600000,
                                                          actor="urn:li:corpuser:ada"))),
        MCPW(entityUrn=run_urn, aspect=s.MLTrainingRunPropertiesClass(
            id=RUN_ID, externalUrl=f"http://mlflow.example.com/#/experiments/1/runs/{RUN_ID}",
            hyperParams=[s.MLHyperParamClass(name="lr", value="0.1")])),
        MCPW(entityUrn=run_urn, aspect=s.DataProcessInstanceInputClass(
            inputs=[], inputEdges=[
                s.EdgeClass(destinationUrn=DATA, properties={"dvc_md5": "0123abcd"})])),
        MCPW(entityUrn=run_urn, aspect=s.DataProcessInstanceOutputClass(
            outputs=[], outputEdges=[s.EdgeClass(destinationUrn=MODEL)])),
        MCPW(entityUrn=DATA, aspect=s.DatasetPropertiesClass(name="train.csv")),
    ]


def check_mlflow_graph(g) -> None:
    model = "model:churn@3"
    assert g.kind(model) == NodeKind.MODEL
    assert g.attrs(model)["aliases"] == ["champion"]
    assert g.successors(model, EdgeKind.VERSION_OF) == ["model_group:churn"]
    runs = g.predecessors(model, EdgeKind.PRODUCED)
    assert runs == [f"run:mlflow:{RUN_ID}"]
    run = runs[0]
    assert g.attrs(run)["params"] == {"lr": "0.1"}
    inputs = g.in_edges(run, EdgeKind.INPUT)
    assert len(inputs) == 1 and inputs[0].attrs["pin"] == "strong"
    assert g.attrs(inputs[0].source)["hash"] == "md5:0123abcd"
    assert g.attrs(inputs[0].source)["path"] == "data/train.csv"
    assert g.successors(f"commit:{SHA}", EdgeKind.TAGGED) == [model]


def test_reads_entities_written_with_datahubs_mlflow_conventions() -> None:
    check_mlflow_graph(graph_from_mcps(mlflow_style_mcps()))


def write_lite(path: Path, mcps: list[MCPW]) -> None:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})
    for m in mcps:
        lite.write(m)
    lite.close()


def test_read_lite_from_a_lite_file(tmp_path: Path) -> None:
    db = tmp_path / "lite.db"
    write_lite(db, mlflow_style_mcps())
    check_mlflow_graph(read_lite(str(db)))


def test_read_lite_missing_file_is_a_clear_config_error(tmp_path: Path) -> None:
    from lineage.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        read_lite(str(tmp_path / "nope.db"))


def test_read_rest_from_the_stand_in_gms() -> None:
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    with running_gms(token="tok-123") as gms:
        em = DataHubRestEmitter(gms.url, token="tok-123", openapi_ingestion=False)
        em.emit_mcps(mlflow_style_mcps())
        em.close()
        g = read_rest(gms.url, "tok-123")
        paths = {r.path.split("?")[0].split("/")[1] for r in gms.requests}
    check_mlflow_graph(g)
    assert {"api", "entitiesV2"} <= paths


def test_read_rest_wrong_token_is_exit_3_without_the_token() -> None:
    from lineage.errors import SinkError

    with running_gms(token="right-token") as gms:
        with pytest.raises(SinkError) as err:
            read_rest(gms.url, "wrong-token-xyz")
    assert err.value.exit_code == 3
    assert "DATAHUB_GMS_TOKEN" in str(err.value) and "wrong-token-xyz" not in str(err.value)


@pytest.mark.parametrize(("opts", "says"), [
    ({"full": "ture"}, "option full='ture' must be true or false"),
    ({"hops": "four"}, "option hops='four' must be a whole number of 0 or more"),
    ({"hops": -1}, "option hops=-1 must be a whole number of 0 or more"),
])
def test_read_rest_refuses_a_bad_option_before_asking_the_server(opts, says) -> None:
    """A mistyped ``full`` read as false searched only the ML entities in silence, and a
    ``hops`` that is no number was reported as a GMS error."""
    from lineage.errors import ConfigError

    with running_gms(token="tok-123") as gms:
        with pytest.raises(ConfigError) as err:
            read_rest(gms.url, "tok-123", **opts)
        asked = list(gms.requests)
    assert str(err.value.message).startswith(says), err.value.message
    assert err.value.exit_code == 2 and asked == []


def test_read_rest_full_true_reads_every_mapped_type() -> None:
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    with running_gms(token="tok-123") as gms:
        em = DataHubRestEmitter(gms.url, token="tok-123", openapi_ingestion=False)
        em.emit_mcps(mlflow_style_mcps())
        em.close()

        def searches(**opts: str) -> int:
            before = len(gms.requests)
            check_mlflow_graph(read_rest(gms.url, "tok-123", **opts))
            return sum(1 for r in gms.requests[before:] if "graphql" in r.path)

        seeds = searches(full="off")
        assert seeds and all(searches(full=word) > seeds for word in ("yes", "on", "TRUE"))


# -- round trip: fixed graph → render → DataHub Lite (the push target) → read_lite ---------------
AUDIT_EDGES = {
    EdgeKind.VERSION_OF, EdgeKind.PRODUCED, EdgeKind.INPUT, EdgeKind.CODE, EdgeKind.TAGGED,
    EdgeKind.DEPLOYED_AS, EdgeKind.APPROVES, EdgeKind.ASSESSES, EdgeKind.ALERTS,
    EdgeKind.TRIGGERS, EdgeKind.RETRAINS, EdgeKind.DOCUMENTS, EdgeKind.PREVIOUS_VERSION,
    EdgeKind.ARTIFACT,
}
# facts the audit rules read, per node kind
AUDIT_ATTRS = {
    NodeKind.MODEL: ("group", "version", "aliases", "commit", "created_by", "artifact_hash"),
    NodeKind.RUN: ("source", "run_id", "commit", "dirty", "user"),
    NodeKind.DATA: ("path", "hash", "first_commit"),
    NodeKind.DEPLOYMENT: ("environment", "deployed_at", "deployed_by", "retired_at"),
    NodeKind.APPROVAL: ("approver", "role", "decision", "decided_at", "environment"),
    NodeKind.RISK_ASSESSMENT: ("tier", "annex_iii_area", "assessor", "assessed_at",
                               "next_review"),
    NodeKind.ALERT: ("metric", "value", "threshold", "status", "at"),
    NodeKind.RETRAINING: ("trigger", "reason", "within_change_plan"),
    NodeKind.DOCUMENT: ("doc_kind", "uri", "content_hash"),
    NodeKind.MODEL_GROUP: ("name", "owner", "intended_purpose"),
}


def _norm_time(v):
    return str(v).replace("+00:00", "Z") if isinstance(v, str) else v


def canonical(g):
    """Audit-relevant content by node id: every id round-trips exactly (``lineage_id``, the
    record custom properties and the edges' ``lineage_id``)."""

    def key(nid: str):
        return nid

    nodes = {
        key(n.id): tuple(_norm_time(n.attrs.get(f)) if not isinstance(n.attrs.get(f), list)
                         else tuple(n.attrs[f]) for f in AUDIT_ATTRS[n.kind])
        for n in g.nodes() if n.kind in AUDIT_ATTRS and not g.is_placeholder(n.id)
    }
    edges = {
        (key(e.source), key(e.target), e.kind.value, e.attrs.get("pin"), e.attrs.get("via"))
        for e in g.edges() if e.kind in AUDIT_EDGES
        and g.kind(e.target) != NodeKind.STAGE  # DataHub keeps a stage's latest lock entry only
    }
    return nodes, edges


def test_round_trip_through_datahub_lite_keeps_what_the_audit_reads(tmp_path: Path) -> None:
    from connectors.sinks.datahub.sink import DataHubLiteSink
    from lineage.config import Config
    from lineage.plugins import PushContext
    from lineage.store import Store
    from tests.golden.datahub.fixture_graph import fixed_graph

    graph = fixed_graph()
    store = Store.init(tmp_path / ".lineage")
    lite = tmp_path / "catalog.db"
    ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                      options={"dest": str(lite)})
    DataHubLiteSink().push(graph, ctx)
    store.close()
    back = read_lite(str(lite))
    want_nodes, want_edges = canonical(graph)
    got_nodes, got_edges = canonical(back)
    assert got_nodes == want_nodes
    assert got_edges == want_edges
    # and the chain deployment → version → run → data with the pin
    dep = back.node_ids(NodeKind.DEPLOYMENT)[0]
    model = back.predecessors(dep, EdgeKind.DEPLOYED_AS)[0]
    run = back.predecessors(model, EdgeKind.PRODUCED)[0]
    (inp,) = back.in_edges(run, EdgeKind.INPUT)
    assert inp.attrs["pin"] == "strong" and back.attrs(inp.source)["hash"].startswith("md5:")


def test_round_trip_shows_a_gap_the_catalog_has(tmp_path: Path) -> None:
    """Remove the approval from what DataHub holds: the read graph has no approval left."""
    from connectors.sinks.datahub.render import render
    from tests.golden.datahub.fixture_graph import fixed_graph

    mcps = [m for m in render(fixed_graph())
            if not (m.aspectName == "structuredProperties" and m.entityType in
                    ("mlModel", "dataJob"))]
    for m in mcps:  # and the approval records kept whole as custom properties
        props = getattr(m.aspect, "customProperties", None)
        if props:
            m.aspect.customProperties = {k: v for k, v in props.items()
                                         if not k.startswith("approval.")}
    g = graph_from_mcps(mcps)
    assert g.node_ids(NodeKind.APPROVAL) == []
    assert g.node_ids(NodeKind.RISK_ASSESSMENT)  # the group's tier is still there


def test_default_lite_file_is_the_push_targets(git_repo) -> None:
    from connectors.sinks.datahub.reader import default_lite_file
    from connectors.sinks.datahub.sink import DataHubLiteSink
    from lineage import api
    from lineage.config import load_config
    from lineage.plugins import PushContext, load_source
    from tests.golden.datahub.fixture_graph import fixed_graph

    api.init(git_repo.path)
    cfg = load_config(git_repo.path)
    with api.open_store(git_repo.path) as st:
        ctx = PushContext(store=st, config=cfg, repo_path=git_repo.path)
        DataHubLiteSink().push(fixed_graph(), ctx)
        assert default_lite_file(git_repo.path, cfg) == DataHubLiteSink().lite_path(ctx)
    g = load_source("datahub-lite")(repo=git_repo.path)
    assert "model:churn@v1.1.0" in g


def test_sources_accept_a_context_object_first(tmp_path: Path, git_repo) -> None:
    """`lineage audit` may call sources as (ctx, **options): both shapes work."""
    from dataclasses import dataclass

    from lineage.config import Config

    @dataclass
    class Ctx:
        config: Config
        repo_path: Path

    db = tmp_path / "lite.db"
    write_lite(db, mlflow_style_mcps())
    check_mlflow_graph(read_lite(Ctx(Config(), git_repo.path), file=str(db)))
    with running_gms() as gms:
        from datahub.emitter.rest_emitter import DataHubRestEmitter

        em = DataHubRestEmitter(gms.url, openapi_ingestion=False)
        em.emit_mcps(mlflow_style_mcps())
        em.close()
        cfg = Config()
        cfg.datahub.server = gms.url
        check_mlflow_graph(read_rest(Ctx(cfg, git_repo.path)))


def test_read_rest_of_the_rendered_graph_matches_the_lite_read() -> None:
    """Through GMS the reader starts from models and follows references: same graph."""
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    from connectors.sinks.datahub.render import render
    from tests.golden.datahub.fixture_graph import fixed_graph

    mcps = render(fixed_graph())
    unrelated = MCPW(entityUrn="urn:li:dataset:(urn:li:dataPlatform:hive,db.other,PROD)",
                     aspect=s.DatasetPropertiesClass(name="other"))
    with running_gms() as gms:
        em = DataHubRestEmitter(gms.url, openapi_ingestion=False)
        # GMS takes a structured property value only once it holds the definition
        defs = [m for m in mcps if m.aspectName == "propertyDefinition"]
        em.emit_mcps(defs)
        em.emit_mcps([*(m for m in mcps if m not in defs), unrelated])
        em.close()
        g = read_rest(gms.url)
        fetched = {r.path.split("?")[0] for r in gms.requests if r.method == "GET"}
    assert canonical(g) == canonical(graph_from_mcps(mcps))
    assert not any("db.other" in p for p in fetched)  # never asked for what it does not need


def test_free_form_properties_and_monitoring_evidence_round_trip() -> None:
    """``properties`` share DataHub's custom properties with ours: they come back as they
    were (``monitoring_checked_at`` is monitoring evidence for the audit), ours do not leak in."""
    from connectors.sinks.datahub.render import render
    from tests.golden.datahub.fixture_graph import fixed_graph

    graph = fixed_graph()
    dep = graph.node_ids(NodeKind.DEPLOYMENT)[0]
    model = graph.attrs(dep)["model"]
    graph.attrs(dep)["properties"] = {"monitoring_checked_at": "2026-01-21T08:00:00Z"}
    graph.attrs(model)["properties"] = {"owner_team": "risk, credit", "ticket": "ML-7"}
    back = graph_from_mcps(render(graph))
    assert back.attrs(dep).get("properties") == {"monitoring_checked_at": "2026-01-21T08:00:00Z"}
    assert back.attrs(model).get("properties") == {"owner_team": "risk, credit", "ticket": "ML-7"}
    others = [m for m in back.node_ids(NodeKind.MODEL) if m != model]
    assert others and all(not back.attrs(m).get("properties") for m in others)


def test_dangling_references_stay_dangling() -> None:
    """Versions no source described (named by an approval's edge, by a deployment record) come
    back undescribed, so the audit of the catalog reports the same breaks as the store's."""
    from datetime import UTC, datetime

    from connectors.sinks.datahub.render import render
    from lineage.audit import run_audit
    from lineage.model import Edge, Node
    from tests.golden.datahub.fixture_graph import fixed_graph

    graph = fixed_graph()
    graph.add_node(Node.make(NodeKind.APPROVAL, "approval:GHOST-1", approver="bob@example.com",
                             model="model:churn@v7", decided_at="2026-01-04T09:00:00Z"))
    graph.add_edge(Edge.make(EdgeKind.APPROVES, "approval:GHOST-1", "model:churn@v7"))
    graph.add_node(Node.make(NodeKind.DEPLOYMENT, "deployment:churn:dev:2026-01-06T00:00:00Z",
                             model="model:churn@v8", environment="dev",
                             deployed_at="2026-01-06T00:00:00Z"))
    assert graph.is_placeholder("model:churn@v7") and "model:churn@v8" not in graph
    back = graph_from_mcps(render(graph))
    assert back.is_placeholder("model:churn@v7") and "model:churn@v8" not in back
    now = datetime(2026, 1, 22, tzinfo=UTC)
    local = {(f.rule, f.subject, f.severity) for f in run_audit(graph, now=now).findings}
    assert {s for r, s, _ in local if r == "lineage-continuity"} >= {"model:churn@v7",
                                                                     "model:churn@v8"}
    assert {(f.rule, f.subject, f.severity) for f in run_audit(back, now=now).findings} == local


def test_run_user_and_dirty_code_edge_round_trip() -> None:
    """The run's user as given (four-eyes compares it with approvers) and a dirty tree noted
    only on the code edge (run-code-pinned) survive DataHub."""
    from datetime import UTC, datetime

    from connectors.sinks.datahub.render import render
    from lineage.audit import run_audit
    from lineage.model import Edge
    from tests.golden.datahub.fixture_graph import fixed_graph

    graph = fixed_graph()
    run = graph.node_ids(NodeKind.RUN)[0]
    graph.attrs(run)["user"] = "Ada Author"
    graph.attrs(run).pop("dirty", None)
    (code,) = graph.in_edges(run, EdgeKind.CODE)
    graph.add_edge(Edge.make(EdgeKind.CODE, code.source, run, dirty=True))
    back = graph_from_mcps(render(graph))
    assert back.attrs(run)["user"] == "Ada Author"
    now = datetime(2026, 1, 22, tzinfo=UTC)
    local = {(f.rule, f.subject) for f in run_audit(graph, now=now).findings}
    assert ("run-code-pinned", run) in local
    assert {(f.rule, f.subject) for f in run_audit(back, now=now).findings} == local


def test_read_lite_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    from lineage.errors import ConfigError

    bad = tmp_path / "x.db"
    bad.write_text("corrupt\n")
    with pytest.raises(ConfigError, match="cannot open DataHub Lite file") as exc:
        read_lite(str(bad))
    assert "--option" not in (exc.value.hint or "")


def _audit_pairs(graph, now):
    from lineage.audit import run_audit

    return [(f.rule, f.subject, f.message, f.evidence) for f in run_audit(graph, now=now).findings]


def test_run_data_facts_datahub_has_no_field_for_round_trip() -> None:
    """Which DVC file recorded a data version (``first_commit`` or only a DEFINES edge), the
    weak input a join resolved (``via``), runs deleted in MLflow and a commit only a CODE edge
    names: the audit of the catalog gives the store's run findings."""
    from connectors.sinks.datahub.render import render
    from lineage.model import Edge, Node
    from tests.golden.datahub.fixture_graph import MD5_TRAIN, REPO, SHA1, fixed_graph

    graph = fixed_graph()
    now = datetime(2026, 1, 22, tzinfo=UTC)
    run1, run2 = graph.node_ids(NodeKind.RUN)
    path = "data:github.com/acme/churn:data/"
    # a version DVC never recorded (changed without dvc add), pinned strong by run2
    new = f"{path}train.csv@md5:{'2' * 32}"
    graph.add_node(Node.make(NodeKind.DATA, new, path="data/train.csv", repository=REPO,
                             hash=f"md5:{'2' * 32}", hash_kind="md5"))
    graph.add_edge(Edge.make(EdgeKind.INPUT, new, run2, pin="strong", path="data/train.csv"))
    # a version only DVC's DEFINES edge records, and a weak MLflow input a join resolved to it
    test = f"{path}test.csv@{MD5_TRAIN}"
    graph.add_node(Node.make(NodeKind.DATA, test, path="data/test.csv", repository=REPO,
                             hash=MD5_TRAIN, hash_kind="md5"))
    graph.add_edge(Edge.make(EdgeKind.DEFINES, f"commit:{SHA1}", test))
    weak = "data:mlflow:mlflow.db:test@mlflow-digest:abc123"
    graph.add_node(Node.make(NodeKind.DATA, weak, path="test", hash="mlflow-digest:abc123"))
    graph.add_edge(Edge.make(EdgeKind.INPUT, weak, run1, pin="weak", digest="abc123"))
    graph.add_edge(Edge.make(EdgeKind.INPUT, test, run1, pin="strong", path="data/test.csv",
                             via=weak))
    # run1 deleted in MLflow (it produced v1.0.0: still audited); a deleted experiment that
    # produced nothing, on a commit only its CODE edge names
    graph.attrs(run1)["properties"] = {"lifecycle_stage": "deleted"}
    gone = "run:mlflow:deadbeef"
    graph.add_node(Node.make(NodeKind.RUN, gone, source="mlflow", run_id="deadbeef",
                             commit="f" * 40, properties={"lifecycle_stage": "deleted"}))
    graph.add_edge(Edge.make(EdgeKind.CODE, "commit:" + "f" * 40, gone))
    live = "run:mlflow:cafef00d"  # a live one on a commit no source described
    graph.add_node(Node.make(NodeKind.RUN, live, source="mlflow", run_id="cafef00d",
                             commit="e" * 40))
    graph.add_edge(Edge.make(EdgeKind.CODE, "commit:" + "e" * 40, live))

    local = _audit_pairs(graph, now)
    assert (f"{run2}: input {new} is pinned to md5:{'2' * 32} of data/train.csv, which no "
            "DVC file in the history records") in {m for _, _, m, _ in local}
    assert not [f for f in local if f[1] == run1]  # joined strong, deleted but produced v1
    assert not [f for f in local if gone in f[1:]]
    assert ("lineage-continuity", "commit:" + "e" * 40) in {(r, s) for r, s, _, _ in local}
    back = graph_from_mcps(render(graph))
    assert back.attrs(f"{path}train.csv@{MD5_TRAIN}")["first_commit"] == SHA1
    assert back.attrs(test)["first_commit"] == SHA1
    assert _audit_pairs(back, now) == local
