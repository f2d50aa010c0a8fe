"""Run rules on the facts the run harvesters and the identity joins write: weak pins a join made
strong, strong pins to data versions DVC never recorded, runs deleted in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audit_fixture import REPO, Fixture, make_fixture, write_store

from lineage.audit import run_audit
from lineage.model import Edge, EdgeKind, Node, NodeKind

MD5_OLD = "md5:11111111111111111111111111111111"
MD5_NEW = "md5:22222222222222222222222222222222"
DATA = "data:github.com/acme/ml:data/train.csv"


def pairs(report: Any) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in report.findings}


def _fixed() -> tuple[Fixture, str, str]:
    """A repaired fixture (no finding) and one of its model-producing runs + its commit."""
    fx = make_fixture(0, fixed=True)
    run = next(i.source for i in fx.items if isinstance(i, Edge) and i.kind == EdgeKind.PRODUCED
               and i.target == "model:s0-clean0@3")
    commit = next(i.source for i in fx.items if isinstance(i, Edge)
                  and i.kind == EdgeKind.CODE and i.target == run)
    return fx, run, commit


def _audit(fx: Fixture, how: str, tmp_path: Path) -> Any:
    if how == "graph":
        return run_audit(fx.graph(), now=fx.now)
    store = write_store(fx, tmp_path / ".lineage")
    try:
        return run_audit(store, now=fx.now)
    finally:
        store.close()


def _dvc_version(fx: Fixture, commit: str, md5: str) -> str:
    """A data version as the DVC harvester writes it (first_commit + DEFINES)."""
    did = fx.node(NodeKind.DATA, f"{DATA}@{md5}", path="data/train.csv", repository=REPO,
                  hash=md5, hash_kind="md5", first_commit=commit.removeprefix("commit:"))
    fx.edge(EdgeKind.DEFINES, commit, did)
    return did


@pytest.mark.parametrize("how", ["graph", "store"])
def test_weak_input_joined_strong_is_pinned(how: str, tmp_path: Path) -> None:
    """MLflow logged the dataset (weak digest pin); the joins harvester resolved it to the DVC
    version at the run's commit: the strong edge is the evidence, no finding."""
    fx, run, commit = _fixed()
    dvc = _dvc_version(fx, commit, MD5_OLD)
    weak = fx.node(NodeKind.DATA, "data:mlflow:mlflow.db:train@mlflow-digest:abc123",
                   path="train", hash="mlflow-digest:abc123")
    fx.edge(EdgeKind.INPUT, weak, run, pin="weak", digest="abc123", path="data/train.csv")
    fx.edge(EdgeKind.INPUT, dvc, run, pin="strong", digest=MD5_OLD, path="data/train.csv",
            via=weak)
    report = _audit(fx, how, tmp_path)
    assert report.findings == []
    # the same weak input without the join is still a finding
    fx.items = [i for i in fx.items if not (isinstance(i, Edge) and i.source == dvc
                                           and i.kind == EdgeKind.INPUT)]
    f = next(f for f in _audit(fx, how, tmp_path / "2").findings if f.rule == "run-data-pinned")
    assert f.subject == run and "pinned weak" in f.message


@pytest.mark.parametrize("how", ["graph", "store"])
def test_strong_pin_to_a_version_dvc_never_recorded(how: str, tmp_path: Path) -> None:
    """track_run pinned data/train.csv after it changed without dvc add: the hash is real but no
    DVC file records that version. A recorded version (also when only its DEFINES edge tells)
    and a path DVC does not track at all keep their content pins."""
    fx, run, commit = _fixed()
    old = _dvc_version(fx, commit, MD5_OLD)
    fx.edge(EdgeKind.INPUT, old, run, pin="strong", path="data/train.csv", digest=MD5_OLD)
    other = fx.node(NodeKind.DATA, f"data:github.com/acme/ml:data/test.csv@{MD5_OLD}",
                    path="data/test.csv", repository=REPO, hash=MD5_OLD, hash_kind="md5")
    fx.edge(EdgeKind.DEFINES, commit, other)  # DVC's edge, without first_commit
    fx.edge(EdgeKind.INPUT, other, run, pin="strong", path="data/test.csv", digest=MD5_OLD)
    plain = fx.node(NodeKind.DATA, f"data:github.com/acme/ml:data/extra.csv@{MD5_NEW}",
                    path="data/extra.csv", repository=REPO, hash=MD5_NEW, hash_kind="md5")
    fx.edge(EdgeKind.INPUT, plain, run, pin="strong", path="data/extra.csv", digest=MD5_NEW)
    new = fx.node(NodeKind.DATA, f"{DATA}@{MD5_NEW}", path="data/train.csv",
                  repository=REPO, hash=MD5_NEW, hash_kind="md5")
    fx.edge(EdgeKind.INPUT, new, run, pin="strong", path="data/train.csv", digest=MD5_NEW)
    report = _audit(fx, how, tmp_path)
    assert pairs(report) == {("run-data-pinned", run)}
    f = report.findings[0]
    assert f.message == (f"{run}: input {new} is pinned to {MD5_NEW} of data/train.csv, "
                         "which no DVC file in the history records")
    assert f.evidence == [run, new]
    assert f.remediation.startswith("dvc add data/train.csv")


def _delete(fx: Fixture, run: str) -> None:
    for i, item in enumerate(fx.items):
        if isinstance(item, Node) and item.id == run:
            attrs = {**item.attrs, "properties": {**item.attrs.get("properties", {}),
                                                  "lifecycle_stage": "deleted"}}
            fx.items[i] = Node.make(NodeKind.RUN, run, **attrs)


@pytest.mark.parametrize("how", ["graph", "store"])
def test_deleted_run_is_not_audited_unless_it_produced_a_version(how: str,
                                                                  tmp_path: Path) -> None:
    fx, run, _ = _fixed()
    # a deleted experiment: dirty tree, a commit git never saw, a weak input, no model
    lost = "commit:" + "f" * 40
    gone = fx.node(NodeKind.RUN, "run:mlflow:deadbeefdeadbeef", source="mlflow",
                   run_id="deadbeefdeadbeef", commit=lost.removeprefix("commit:"), dirty=True,
                   properties={"lifecycle_stage": "deleted"})
    fx.edge(EdgeKind.CODE, lost, gone, dirty=True)
    weak = fx.node(NodeKind.DATA, "data:mlflow:mlflow.db:train@mlflow-digest:0ff",
                   path="train", hash="mlflow-digest:0ff")
    fx.edge(EdgeKind.INPUT, weak, gone, pin="weak")
    # and a deleted run that produced a model version in the graph, on a dirty tree
    _delete(fx, run)
    fx.items = [Edge.make(EdgeKind.CODE, i.source, i.target, dirty=True)
                if isinstance(i, Edge) and i.kind == EdgeKind.CODE and i.target == run else i
                for i in fx.items]
    report = _audit(fx, how, tmp_path)
    assert pairs(report) == {("run-code-pinned", run)}
    f = report.findings[0]
    assert f"{run} (deleted in MLflow, but it produced s0-clean0@3)" in f.message
    assert "dirty working tree" in f.message


def test_a_job_upstream_of_many_versions_takes_the_highest_tier_and_says_so() -> None:
    """An ingestion job whose dataset five training runs read, of systems at different
    tiers: it is checked at the highest of their tiers, its parent run too; the finding names
    the version that sets the tier rather than listing every version; an unrelated job is out
    of scope."""
    from lineage.audit.engine import AuditContext
    from lineage.audit.index import build_index
    from lineage.audit.policy import DEFAULT_POLICY

    fx = Fixture()
    ol = "run:openlineage:"
    fx.node(NodeKind.RUN, f"{ol}dag", source="openlineage", run_id="dag", status="COMPLETE")
    fx.node(NodeKind.RUN, f"{ol}ingest", source="openlineage", run_id="ingest",
            status="COMPLETE")
    fx.edge(EdgeKind.UPSTREAM_RUN, f"{ol}dag", f"{ol}ingest")
    fx.node(NodeKind.RUN, f"{ol}other", source="openlineage", run_id="other",
            status="COMPLETE")
    events = "data:s3://lake:raw/events"
    fx.node(NodeKind.DATA, f"{events}@2026-05-01", path="raw/events")
    fx.edge(EdgeKind.OUTPUT, f"{ol}ingest", f"{events}@2026-05-01")
    for i, tier in enumerate(("minimal", "minimal", "high", "high", "limited")):
        g, run = f"m{i}", f"run:mlflow:t{i}"
        fx.node(NodeKind.MODEL_GROUP, f"model_group:{g}", name=g)
        fx.node(NodeKind.MODEL, f"model:{g}@1", group=g, version="1")
        fx.edge(EdgeKind.VERSION_OF, f"model:{g}@1", f"model_group:{g}")
        fx.node(NodeKind.RISK_ASSESSMENT, f"risk_assessment:{g}", model_group=f"model_group:{g}",
                tier=tier, assessed_at="2026-05-01T00:00:00Z")
        fx.edge(EdgeKind.ASSESSES, f"risk_assessment:{g}", f"model_group:{g}")
        fx.node(NodeKind.RUN, run, source="mlflow", run_id=f"t{i}", status="FINISHED")
        fx.edge(EdgeKind.PRODUCED, run, f"model:{g}@1")
        # each read another version of the dataset the job writes
        fx.node(NodeKind.DATA, f"{events}@2026-05-0{i + 2}", path="raw/events")
        fx.edge(EdgeKind.INPUT, f"{events}@2026-05-0{i + 2}", run, pin="weak")
    ctx = AuditContext(build_index(fx.graph()), DEFAULT_POLICY, fx.now)
    for job in (f"{ol}ingest", f"{ol}dag"):
        assert ctx.in_scope(job)
        assert ctx.run_tier(job) == ("high", "model:m2@1")
        assert ctx.provenance_versions(job) == [f"model:m{i}@1" for i in range(5)]
        assert ctx.run_label(job) == f"{job} (upstream of the training of m2@1, …)"
    assert not ctx.in_scope(f"{ol}other")
    assert ctx.runs_out_of_scope() == [f"{ol}other"]
