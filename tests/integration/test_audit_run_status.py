"""`model-has-run`: a version counts as produced only by a run its source says finished —
MLflow's and lineage's own ``FINISHED``, OpenLineage's ``COMPLETE`` (a run whose events never
reached a terminal one has status ``OTHER``), a DVC experiment's ``success``. Any other status
(``KILLED``, ``ABORT``, a status no source writes, none at all) vouches for nothing, and the
finding says which status it saw."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from audit_fixture import Fixture, _iso, make_fixture, write_store

from lineage.audit import run_audit
from lineage.model import EdgeKind, Node, NodeKind


def test_a_version_produced_only_by_a_run_with_no_terminal_event_is_a_finding() -> None:
    fx = make_fixture(2, fixed=True)
    group = "s2-noretrain"
    at = _iso(fx.now - timedelta(days=3))
    v = fx.node(NodeKind.MODEL, f"model:{group}@v1.2.0", group=group, version="v1.2.0",
                registry="gto", created_at=at)
    fx.edge(EdgeKind.VERSION_OF, v, f"model_group:{group}")
    run = fx.node(NodeKind.RUN, "run:openlineage:0e9b3c1d", source="openlineage",
                  run_id="0e9b3c1d", status="OTHER", start_time=at)
    fx.edge(EdgeKind.PRODUCED, run, v)
    report = run_audit(fx.graph(), now=fx.now, rules=["model-has-run"])
    [f] = report.findings
    assert f.subject == v
    assert "did not finish (run:openlineage:0e9b3c1d: OTHER)" in f.message, f.message


def _with_status(fx: Fixture, source: str, status: str | None) -> tuple[str, str]:
    """The fixture's one-run version (as the audit reports it: the GTO spelling its
    deployment names), its run — on the MLflow twin ``@3`` — now of ``source`` with
    ``status``."""
    version = "model:s0-clean0@v1.1.0"
    run = next(i.source for i in fx.items if not isinstance(i, Node)
               and i.kind == EdgeKind.PRODUCED and i.target == "model:s0-clean0@3")
    for k, item in enumerate(fx.items):
        if isinstance(item, Node) and item.id == run:
            attrs = {key: val for key, val in item.attrs.items() if key != "status"}
            fx.items[k] = Node.make(NodeKind.RUN, run, **{**attrs, "source": source},
                                    **({"status": status} if status is not None else {}))
    return version, run


@pytest.mark.parametrize(("source", "status"), [
    ("mlflow", "KILLED"), ("mlflow", "DONE"), ("mlflow", "COMPLETE"), ("mlflow", None),
    ("openlineage", "ABORT"), ("openlineage", "FINISHED"), ("openlineage", "RUNNING"),
    ("lineage", "FINSHED"), ("dvc-exp", "failed"), ("airflow", "queued")])
def test_a_run_whose_status_is_not_its_sources_finished_one_vouches_for_nothing(
        source: str, status: str | None, tmp_path: Path) -> None:
    fx = make_fixture(0, fixed=True)
    version, run = _with_status(fx, source, status)
    store = write_store(fx, tmp_path / ".lineage")
    try:
        report = run_audit(store, now=fx.now, rules=["model-has-run"])
    finally:
        store.close()
    [f] = report.findings
    assert f.subject == version and run in f.evidence
    seen = status if status is not None else "no status"
    assert f"{run}: {seen}" in f.message, f.message


@pytest.mark.parametrize(("source", "status"), [
    ("mlflow", "FINISHED"), ("lineage", "FINISHED"), ("openlineage", "COMPLETE"),
    ("dvc-exp", "success")])
def test_a_run_its_source_says_finished_vouches_for_the_version(source: str, status: str,
                                                               tmp_path: Path) -> None:
    fx = make_fixture(0, fixed=True)
    _with_status(fx, source, status)
    store = write_store(fx, tmp_path / ".lineage")
    try:
        assert run_audit(store, now=fx.now, rules=["model-has-run"]).findings == []
    finally:
        store.close()


def test_a_producing_run_no_source_described_vouches_for_nothing(tmp_path: Path) -> None:
    """An MLflow version whose run was purged (``mlflow gc``): the ``produced`` edge names a run
    the graph lacks; it is no finished run."""
    fx = make_fixture(0, fixed=True)
    version, run = _with_status(fx, "mlflow", "FINISHED")
    fx.items = [i for i in fx.items if not (isinstance(i, Node) and i.id == run)]
    store = write_store(fx, tmp_path / ".lineage")
    try:
        report = run_audit(store, now=fx.now, rules=["model-has-run"])
    finally:
        store.close()
    [f] = report.findings
    assert f.subject == version
    assert f"({run}: not in the lineage graph)" in f.message, f.message
