"""Rendering the lineage graph as DataHub MCPs: golden file, conventions, validation.

Update the golden file after an intended mapping change with
``LINEAGE_UPDATE_GOLDEN=1 pytest tests/unit/test_datahub_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "datahub"
sys.path.insert(0, str(GOLDEN_DIR))

from fixture_graph import MD5_TRAIN, SHA1, SHA2, fixed_graph  # noqa: E402

MD5_TRAIN_ID = f"data:github.com/acme/churn:data/train.csv@{MD5_TRAIN}"

from connectors.sinks.datahub.render import (  # noqa: E402
    APPROVER_OWNERSHIP_TYPE,
    STRUCTURED_PROPERTIES,
    build,
    plan,
    property_urn,
    render,
)
from connectors.sinks.datahub.validate import check_mcps, validate_mcps  # noqa: E402
from lineage.errors import ValidationFailed  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Node, NodeKind  # noqa: E402

GOLDEN = GOLDEN_DIR / "fixed_graph.mcps.json"
# fields that may differ between runs of the same render (none today; kept for the habit)
VOLATILE = ("systemMetadata",)


def _objs(mcps: list[Any]) -> list[dict[str, Any]]:
    out = []
    for m in mcps:
        o = m.to_obj(simplified_structure=True)
        for k in VOLATILE:
            o.pop(k, None)
        out.append(o)
    return out


def _by(mcps: list[Any], urn_part: str, aspect: str) -> Any:
    found = [m.aspect for m in mcps if urn_part in m.entityUrn and m.aspectName == aspect]
    assert len(found) == 1, (urn_part, aspect, len(found))
    return found[0]


@pytest.fixture(scope="module")
def mcps() -> list[Any]:
    return render(fixed_graph())


def test_matches_golden_file(mcps: list[Any]) -> None:
    got = _objs(mcps)
    if os.environ.get("LINEAGE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert GOLDEN.exists(), f"{GOLDEN} missing: run with LINEAGE_UPDATE_GOLDEN=1 and review it"
    want = json.loads(GOLDEN.read_text())
    assert [(o["entityUrn"], o["aspectName"]) for o in got] == \
        [(o["entityUrn"], o["aspectName"]) for o in want]
    assert got == want


def test_output_does_not_depend_on_insertion_order() -> None:
    data = fixed_graph().to_node_link()
    random.Random(7).shuffle(data["nodes"])
    random.Random(8).shuffle(data["edges"])
    shuffled = LineageGraph.from_node_link(data)
    assert _objs(render(shuffled)) == _objs(render(fixed_graph()))


def test_every_mcp_passes_offline_validation(mcps: list[Any]) -> None:
    assert validate_mcps(mcps) == []


def test_definitions_come_before_any_value(mcps: list[Any]) -> None:
    defined: set[str] = set()
    for m in mcps:
        if m.aspectName == "propertyDefinition":
            defined.add(m.entityUrn)
        if m.aspectName == "structuredProperties":
            for a in m.aspect.properties:
                assert a.propertyUrn in defined, (m.entityUrn, a.propertyUrn)
    assert defined == {property_urn(n) for n in STRUCTURED_PROPERTIES}
    tier = _by(mcps, "io.lineage.riskTier", "propertyDefinition")
    assert sorted(v.value for v in tier.allowedValues) == ["high", "limited", "minimal",
                                                           "unacceptable"]


def test_model_version_follows_datahub_conventions(mcps: list[Any]) -> None:
    props = _by(mcps, "churn_v1.1.0,PROD)", "mlModelProperties")
    assert props.groups == ["urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"]
    assert len(props.trainingJobs) == 1 and props.trainingJobs[0].startswith(
        "urn:li:dataProcessInstance:")
    assert props.deployments and props.deployments[0].startswith("urn:li:mlModelDeployment:")
    assert props.downstreamJobs and "deployments/churn" in props.downstreamJobs[0]
    vp1 = _by(mcps, "churn_v1.0.0,PROD)", "versionProperties")
    vp2 = _by(mcps, "churn_v1.1.0,PROD)", "versionProperties")
    assert vp1.versionSet == vp2.versionSet and vp1.versionSet.endswith(",mlModel)")
    assert vp1.sortId < vp2.sortId
    assert [a.versionTag for a in vp2.aliases] == ["prod"]
    src = _by(mcps, "churn_v1.1.0,PROD)", "sourceCode")
    assert src.sourceCode[0].sourceCodeUrl == f"https://github.com/acme/churn/tree/{SHA2}"


def test_run_is_a_training_instance_with_pinned_inputs(mcps: list[Any]) -> None:
    model = _by(mcps, "churn_v1.1.0,PROD)", "mlModelProperties")
    run1 = _by(mcps, "churn_v1.0.0,PROD)", "mlModelProperties").trainingJobs[0]
    run2 = model.trainingJobs[0]
    assert _by(mcps, run2, "subTypes").typeNames == ["ML Training Run"]
    assert _by(mcps, run2, "container").container.startswith("urn:li:container:")
    inp = _by(mcps, run2, "dataProcessInstanceInput")
    edge = inp.inputEdges[0]
    assert edge.destinationUrn.endswith("data/train.csv,PROD)")
    assert edge.properties == {"dvc_md5": MD5_TRAIN.removeprefix("md5:"), "git_commit": SHA2,
                               "pin": "strong", "lineage_id": MD5_TRAIN_ID,
                               "path": "data/train.csv"}
    out = _by(mcps, run2, "dataProcessInstanceOutput")
    assert [e.destinationUrn for e in out.outputEdges] == [
        "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"]
    rel = _by(mcps, run2, "dataProcessInstanceRelationships")
    assert rel.parentTemplate == \
        "urn:li:dataJob:(urn:li:dataFlow:(dvc,github.com/acme/churn/dvc.yaml,PROD),train)"
    assert rel.upstreamInstances == [run1]


def test_mlflow_runs_join_datahubs_mlflow_source(mcps: list[Any]) -> None:
    from datahub.api.entities.dataprocess.dataprocess_instance import DataProcessInstance

    # acryl-datahub's MLflow source names runs this way: same urn, one entity
    expected = str(DataProcessInstance(id="run0002", orchestrator="mlflow").urn)
    assert _by(mcps, "churn_v1.1.0,PROD)", "mlModelProperties").trainingJobs == [expected]


def test_stage_job_is_versioned_by_commit(mcps: list[Any]) -> None:
    job = "urn:li:dataJob:(urn:li:dataFlow:(dvc,github.com/acme/churn/dvc.yaml,PROD),train)"
    version = _by(mcps, job, "versionInfo")
    assert (version.version, version.versionType) == (SHA2, "git")  # the latest lock entry
    io = _by(mcps, job, "dataJobInputOutput")
    assert io.inputDatasets == [
        "urn:li:dataset:(urn:li:dataPlatform:dvc,github.com/acme/churn/data/train.csv,PROD)"]
    assert io.outputDatasetEdges[0].properties["dvc_md5"] == "b" * 32


def test_deployment_has_entity_and_proxy_job(mcps: list[Any]) -> None:
    dep = _by(mcps, "mlModelDeployment:", "mlModelDeploymentProperties")
    assert dep.status == "IN_SERVICE" and dep.version.versionTag == "v1.1.0"
    job = _by(mcps, "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)",
              "mlModelProperties").downstreamJobs[0]
    assert _by(mcps, job, "subTypes").typeNames == ["Model Deployment"]
    sp = {a.propertyUrn: a.values for a in _by(mcps, job, "structuredProperties").properties}
    # bob's approval counts for it (deployment-approved), but four-eyes asks two approvers at
    # the high tier in prod: the audit grants it no approval, so it is approved for no
    # environment
    assert sp[property_urn("approvedBy")] == ["bob@example.com"]
    assert sp[property_urn("approvalStatus")] == ["unapproved"]
    assert property_urn("approvedEnvironments") not in sp


def test_governance_on_group_and_version(mcps: list[Any]) -> None:
    group = "urn:li:mlModelGroup:"
    gsp = {a.propertyUrn: a.values for a in _by(mcps, group, "structuredProperties").properties}
    assert gsp[property_urn("riskTier")] == ["high"]
    assert gsp[property_urn("nextRiskReview")] == ["2026-12-20"]
    assert [t.urn for t in _by(mcps, group, "glossaryTerms").terms] == \
        ["urn:li:glossaryTerm:EUAIAct.High"]
    v2 = "churn_v1.1.0,PROD)"
    sp = {a.propertyUrn: a.values for a in _by(mcps, v2, "structuredProperties").properties}
    assert sp[property_urn("riskTier")] == ["high"]
    # bob's approval is in force, but v1.1.0 runs in prod with one approver where the
    # default policy asks two at the high tier (four-eyes): the audit grants no approval
    assert sp[property_urn("approvalStatus")] == ["unapproved"]
    assert sp[property_urn("approvalByEnvironment")] == ["prod: unapproved"]
    assert property_urn("approvedEnvironments") not in sp
    assert sp[property_urn("approvedBy")] == ["bob@example.com"]
    assert sp[property_urn("approvedAt")] == ["2026-01-04"]
    assert sp[property_urn("approvalRecordIds")] == ["APR-7"]
    assert sp[property_urn("retrainingTrigger")] == ["drift"]
    owners = _by(mcps, v2, "ownership").owners
    approver = [o for o in owners if o.typeUrn == APPROVER_OWNERSHIP_TYPE]
    assert [o.owner for o in approver] == ["urn:li:corpuser:bob@example.com"]
    links = [e.url for e in _by(mcps, v2, "institutionalMemory").elements]
    assert links == ["https://tickets.acme.example/APR-7",
                     "https://docs.acme.example/churn/v1.1.0/model-card"]
    v1 = {a.propertyUrn: a.values for a in
          _by(mcps, "churn_v1.0.0,PROD)", "structuredProperties").properties}
    assert v1[property_urn("approvalStatus")] == ["unapproved"]
    term = _by(mcps, "urn:li:glossaryTerm:EUAIAct.High", "glossaryTermInfo")
    assert term.parentNode == "urn:li:glossaryNode:EUAIAct"
    assert _by(mcps, APPROVER_OWNERSHIP_TYPE, "ownershipTypeInfo").name == "Model Approver"


def test_drift_alert_is_an_incident_on_the_version(mcps: list[Any]) -> None:
    inc = _by(mcps, "urn:li:incident:", "incidentInfo")
    assert (inc.type, inc.customType) == ("CUSTOM", "MODEL_DRIFT")
    assert inc.entities == ["urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"]
    assert inc.status.state == "RESOLVED"
    summary = _by(mcps, "churn_v1.0.0,PROD)", "incidentsSummary")
    assert summary.resolvedIncidents == [[m for m in mcps
                                          if m.aspectName == "incidentInfo"][0].entityUrn]


def test_no_commit_entity_commit_travels_as_attributes(mcps: list[Any]) -> None:
    assert not any(SHA1 in m.entityUrn for m in mcps)
    assert _by(mcps, "churn_v1.0.0,PROD)", "mlModelProperties").customProperties[
        "git_commit"] == SHA1


# -- validation catches what a real DataHub would reject ---------------------------------------
def _bad_graph(tier: str) -> LineageGraph:
    g = fixed_graph()
    ra = dict(g.attrs("risk_assessment:RA-1"), tier=tier)
    g.add_node(Node.trusted(NodeKind.RISK_ASSESSMENT, "risk_assessment:RA-1", ra))
    return g


def test_disallowed_value_is_reported_naming_the_node() -> None:
    mcps = render(_bad_graph("extreme"))
    problems = validate_mcps(mcps, {p.urn: p.nodes for p in plan(_bad_graph("extreme"))})
    assert any("model_group:churn" in p and "'extreme' not in allowed values" in p
               for p in problems), problems
    with pytest.raises(ValidationFailed, match="model_group:churn"):
        check_mcps(mcps, {p.urn: p.nodes for p in plan(_bad_graph("extreme"))})


def test_cardinality_dates_support_and_urns_are_checked() -> None:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import (
        SourceCodeClass,
        SourceCodeUrlClass,
        StructuredPropertiesClass,
        StructuredPropertyValueAssignmentClass,
        UpstreamLineageClass,
    )

    model = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
    job = "urn:li:dataJob:(urn:li:dataFlow:(dvc,f,PROD),j)"
    bad = [
        MetadataChangeProposalWrapper(entityUrn=model, aspect=StructuredPropertiesClass(
            properties=[
                StructuredPropertyValueAssignmentClass(propertyUrn=property_urn("riskTier"),
                                                       values=["high", "limited"]),
                StructuredPropertyValueAssignmentClass(propertyUrn=property_urn("approvedAt"),
                                                       values=["04/01/2026"]),
                StructuredPropertyValueAssignmentClass(
                    propertyUrn="urn:li:structuredProperty:undefined", values=["x"]),
            ])),
        MetadataChangeProposalWrapper(entityUrn=job, aspect=SourceCodeClass(sourceCode=[
            SourceCodeUrlClass(type="ML_MODEL_SOURCE_CODE", sourceCodeUrl="https://x")])),
        MetadataChangeProposalWrapper(entityUrn=model, aspect=UpstreamLineageClass(upstreams=[])),
    ]
    problems = validate_mcps(bad)
    text = "\n".join(problems)
    assert "takes one value, got 2" in text
    assert "'04/01/2026' is not a YYYY-MM-DD date" in text
    assert "urn:li:structuredProperty:undefined has no definition" in text
    assert "does not support aspect sourceCode" in text
    assert "does not support aspect upstreamLineage" in text
    assert len(problems) == 5


def test_each_plan_builds_only_its_own_entities() -> None:
    for p in plan(fixed_graph()):
        urns = {m.entityUrn for m in build(p)}
        if p.kind not in ("globals", "deployment"):
            assert urns == {p.urn}


@pytest.mark.parametrize("env", ["PROD", "DEV"])
@pytest.mark.parametrize("name", ["churn", "data/train.csv", "a,b(c)", "v1.0.0@x y"])
def test_fast_urn_builders_equal_acryl_builders(name: str, env: str) -> None:
    from datahub.emitter.mce_builder import (
        make_data_flow_urn,
        make_data_job_urn_with_flow,
        make_dataset_urn,
        make_ml_model_deployment_urn,
        make_ml_model_group_urn,
        make_ml_model_urn,
    )
    from datahub.utilities.urns.urn import Urn

    from connectors.sinks.datahub.render import urn_builders

    u = urn_builders("dvc", env)
    assert u["dataset"](name) == make_dataset_urn("dvc", name, env)
    flow = make_data_flow_urn("dvc", name, env)
    assert u["flow"](name) == flow
    assert u["job"](flow, name) == make_data_job_urn_with_flow(flow, name)
    for key, acryl in (("model", make_ml_model_urn), ("group", make_ml_model_group_urn),
                       ("deployment", make_ml_model_deployment_urn)):
        ours = u[key](name)
        Urn.from_string(ours)  # always a valid urn, even where acryl's maker is not
        if "," not in name and "(" not in name:
            assert ours == acryl("dvc", name, env)


def test_fast_serializer_equals_to_obj(mcps: list[Any]) -> None:
    from connectors.sinks.datahub.sink import serialize

    for m in mcps:
        assert serialize(m) == m.to_obj(simplified_structure=True), (m.entityUrn, m.aspectName)


def test_partial_and_odd_graphs_render_valid_mcps() -> None:
    """What harvests really produce: records naming versions never harvested, runs with no
    commit, names with urn-reserved characters, repository paths as document uris."""
    from lineage.model import Edge, EdgeKind

    g = LineageGraph()
    g.add([
        Node.make(NodeKind.DEPLOYMENT, "deployment:fraud:prod:2026-02-01T00:00:00Z",
                  model="model:fraud@3", environment="prod",
                  deployed_at="2026-02-01T00:00:00Z"),
        Node.make(NodeKind.RUN, "run:openlineage:abc", source="openlineage", run_id="abc",
                  job="ns/train"),
        Node.make(NodeKind.MODEL, "model:a,b (x)@1", group="a,b (x)", version="1"),
        Node.make(NodeKind.DOCUMENT, "document:D1", doc_kind="bias_report",
                  uri="docs/bias.md", model="model:a,b (x)@1"),
        Edge.make(EdgeKind.DOCUMENTS, "document:D1", "model:a,b (x)@1"),
        Edge.make(EdgeKind.PRODUCED, "run:openlineage:abc", "model:a,b (x)@1"),
        Edge.make(EdgeKind.INPUT, "data:repo:in.csv@unversioned", "run:openlineage:abc",
                  pin="none"),
        Edge.make(EdgeKind.ALERTS, "alert:ghost", "model:a,b (x)@1"),
        Edge.make(EdgeKind.APPROVES, "approval:ghost", "model:a,b (x)@1"),
    ])
    mcps = render(g)
    assert validate_mcps(mcps) == []
    urns = {m.entityUrn for m in mcps}
    assert "urn:li:mlModel:(urn:li:dataPlatform:dvc,a%2Cb %28x%29_1,PROD)" in urns
    assert any(u.startswith("urn:li:mlModelDeployment:") and "fraud_3_prod" in u for u in urns)
    model = _by(mcps, "a%2Cb %28x%29_1,PROD)", "mlModelProperties")
    doc = json.loads(model.customProperties["document.D1"])  # the record whole
    assert (doc["attrs"]["doc_kind"], doc["attrs"]["uri"]) == ("bias_report", "docs/bias.md")
    assert ["documents", "document:D1", "model:a,b (x)@1"] in doc["edges"]
    assert not [m for m in mcps if m.aspectName == "institutionalMemory"]


def test_a_run_reading_two_versions_of_one_dataset_renders() -> None:
    """Both versions map to the dataset's one urn: their edge properties order them (the
    render used to compare the property dicts and fail)."""
    from lineage import ids
    from lineage.model import Edge, EdgeKind

    g = fixed_graph()
    run = ids.run_id("mlflow", "run0002")
    other = f"data:github.com/acme/churn:data/train.csv@md5:{'9' * 32}"
    g.add_node(Node.trusted(NodeKind.DATA, other, {
        "path": "data/train.csv", "repository": "repository:github.com/acme/churn",
        "hash": f"md5:{'9' * 32}", "hash_kind": "md5"}))
    g.add_edge(Edge.make(EdgeKind.INPUT, other, run, pin="strong"))
    out = render(g)
    check_mcps(out)
    run_urn = _by(out, "churn_v1.1.0,PROD)", "mlModelProperties").trainingJobs[0]
    edges = _by(out, run_urn, "dataProcessInstanceInput").inputEdges
    train = [e for e in edges if e.destinationUrn.endswith("data/train.csv,PROD)")]
    assert sorted(e.properties["dvc_md5"] for e in train) == \
        sorted([MD5_TRAIN.removeprefix("md5:"), "9" * 32])
    assert [_objs(render(g))] == [_objs(out)]  # deterministic


def test_mlflow_dataset_is_datahubs_and_its_edges_keep_its_node() -> None:
    """An MLflow dataset is the dataset DataHub's own MLflow source makes for a run input
    (``(mlflow, <name>)``), or the object its source names (``s3://…`` on the ``s3``
    platform), never a DVC file: a file of the repository the run read is joined to DVC's
    version on its own edge. Two stores' datasets of one name are one DataHub dataset, as in
    DataHub; the run's edges name each store's node (``lineage_id``)."""
    from lineage import ids
    from lineage.model import Edge, EdgeKind

    g = fixed_graph()
    run = ids.run_id("mlflow", "run0002")
    dids = []
    for store, path in (("mlflow.db", "data/train.csv"), ("other.db", "data/train.csv"),
                        ("s3.db", "s3://bucket/train.csv")):
        did = ids.data_id(f"mlflow:{store}", "train", "mlflow-digest:abc123")
        g.add_node(Node.make(NodeKind.DATA, did, path=path, hash="mlflow-digest:abc123",
                             properties={"name": "train", "source": path}))
        g.add_edge(Edge.make(EdgeKind.INPUT, did, run, pin="weak", digest="abc123"))
        dids.append(did)
    out = render(g)
    check_mcps(out)
    datasets = {m.entityUrn for m in out if m.entityType == "dataset"}
    assert {"urn:li:dataset:(urn:li:dataPlatform:mlflow,train,PROD)",
            "urn:li:dataset:(urn:li:dataPlatform:s3,bucket/train.csv,PROD)"} <= datasets
    assert not {u for u in datasets if "mlflow:" in u}
    inputs = [m.aspect for m in out if m.aspectName == "dataProcessInstanceInput"
              and m.entityUrn.endswith(_by_run_urn(out, "run0002"))]
    assert set(dids) <= {e.properties["lineage_id"] for a in inputs for e in a.inputEdges}


def _by_run_urn(mcps: list[Any], run_id: str) -> str:
    return next(m.entityUrn for m in mcps if m.aspectName == "mlTrainingRunProperties"
                and m.aspect.id == run_id)


@pytest.mark.parametrize(("source", "status", "result"), [
    ("mlflow", "FINISHED", "SUCCESS"), ("mlflow", "FAILED", "FAILURE"),
    ("mlflow", "KILLED", "SKIPPED"), ("openlineage", "COMPLETE", "SUCCESS"),
    ("openlineage", "FAIL", "FAILURE"), ("openlineage", "ABORT", "SKIPPED"),
    ("lineage", "finished", "SUCCESS"), ("dvc-exp", "success", "SUCCESS"),
])
def test_a_run_that_ended_shows_its_result_and_duration(source: str, status: str,
                                                        result: str) -> None:
    """``dataProcessInstanceRunEvent``: what the DataHub UI shows as a run's status, result
    and duration, as DataHub's MLflow source sends it (COMPLETE at the end time)."""
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, f"run:{source}:r1", source=source, run_id="r1",
                     name="train", status=status, start_time="2026-01-02T10:00:00Z",
                     end_time="2026-01-02T10:30:00Z")])
    (event,) = [m.aspect for m in render(g) if m.aspectName == "dataProcessInstanceRunEvent"]
    assert event.status == "COMPLETE" and event.result.type == result
    assert event.result.nativeResultType == source
    assert event.timestampMillis == 1767349800000  # the end time
    assert event.durationMillis == 30 * 60 * 1000
    assert event.validate()


def test_a_run_still_running_shows_as_started_and_one_without_times_shows_nothing() -> None:
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, "run:lineage:r1", source="lineage", run_id="r1",
                     name="train", status="RUNNING", start_time="2026-01-02T10:00:00Z"),
           Node.make(NodeKind.RUN, "run:lineage:r2", source="lineage", run_id="r2",
                     name="train", status="FINISHED")])
    events = {m.entityUrn: m.aspect for m in render(g)
              if m.aspectName == "dataProcessInstanceRunEvent"}
    (event,) = events.values()
    assert event.status == "STARTED" and event.result is None
    assert event.timestampMillis == 1767348000000 and event.durationMillis is None


@pytest.mark.parametrize(("source", "attrs", "platform"), [
    ("mlflow", {}, "mlflow"),
    ("lineage", {}, "dvc"),
    ("dvc-exp", {}, "dvc"),
    ("openlineage", {"job": "etl/churn.train", "properties": {
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.9.0/integration/spark"}},
     "spark"),
])
def test_every_run_is_on_the_platform_its_experiment_or_job_is(
        source: str, attrs: dict[str, Any], platform: str) -> None:
    """``dataPlatformInstance``: the platform the UI shows a run on (its logo, its filter):
    an MLflow run's mlflow, as DataHub's MLflow source; a recorded run's or a DVC
    experiment's, the platform of its experiment container; an OpenLineage run's, the
    orchestrator its job's flow is on."""
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, f"run:{source}:r1", source=source, run_id="r1",
                     name="train", status="FINISHED", **attrs)])
    mcps = render(g)
    (dpi,) = [m for m in mcps if m.aspectName == "dataPlatformInstance"
              and m.entityType == "dataProcessInstance"]
    assert dpi.aspect.platform == f"urn:li:dataPlatform:{platform}"
    flows = [m.entityUrn for m in mcps if m.entityType == "dataFlow"]
    if source == "openlineage":  # the same platform as its job's flow
        assert flows and all(u.startswith(f"urn:li:dataFlow:({platform},") for u in flows)
    else:
        (exp,) = [m.aspect.platform for m in mcps if m.aspectName == "dataPlatformInstance"
                  and m.entityType == "container"]
        assert exp == dpi.aspect.platform
    check_mcps(mcps)
