"""A DVC experiment run again under its name (`dvc exp run -f -n e1`) is marked deleted and
``replaced_by`` the run that replaced it (the dvc-exp harvester's facts). When the replaced run
produced a model version the audit still checks it, and its label says it was replaced, not
that it was deleted in MLflow. Real store (SQLite) and graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lineage.audit import run_audit
from lineage.model import Edge, EdgeKind, Node, NodeKind
from tests.audit_fixture import Fixture, make_fixture, write_store


def _audit(fx: Fixture, how: str, tmp_path: Path) -> Any:
    if how == "graph":
        return run_audit(fx.graph(), now=fx.now)
    store = write_store(fx, tmp_path / ".lineage")
    try:
        return run_audit(store, now=fx.now)
    finally:
        store.close()


def _replace(fx: Fixture, run: str, by: str | None) -> None:
    """Mark ``run`` deleted (``replaced_by`` ``by``, as dvc exp run -f makes it), its code
    dirty: the run rules report it."""
    props: dict[str, Any] = {"lifecycle_stage": "deleted"}
    if by is not None:
        props["replaced_by"] = by
    for i, item in enumerate(fx.items):
        if isinstance(item, Node) and item.id == run:
            fx.items[i] = Node.make(NodeKind.RUN, run, **{
                **item.attrs, "properties": {**item.attrs.get("properties", {}), **props}})
        elif isinstance(item, Edge) and item.kind == EdgeKind.CODE and item.target == run:
            fx.items[i] = Edge.make(EdgeKind.CODE, item.source, item.target, dirty=True)


@pytest.mark.parametrize("how", ["graph", "store"])
def test_a_replaced_experiment_is_labelled_replaced(how: str, tmp_path: Path) -> None:
    fx = make_fixture(0, fixed=True)
    run = next(i.source for i in fx.items if isinstance(i, Edge)
               and i.kind == EdgeKind.PRODUCED and i.target == "model:s0-clean0@3")
    _replace(fx, run, "run:dvc-exp:" + "b" * 40)
    report = _audit(fx, how, tmp_path)
    [f] = [f for f in report.findings if f.subject == run]
    assert f"{run} (replaced by run:dvc-exp:{'b' * 40} (dvc exp run -f), but it produced " \
           "s0-clean0@3)" in f.message, f.message
    assert "deleted in MLflow" not in f.message


@pytest.mark.parametrize("how", ["graph", "store"])
def test_a_run_deleted_in_mlflow_still_says_so(how: str, tmp_path: Path) -> None:
    fx = make_fixture(0, fixed=True)
    run = next(i.source for i in fx.items if isinstance(i, Edge)
               and i.kind == EdgeKind.PRODUCED and i.target == "model:s0-clean0@3")
    _replace(fx, run, None)
    [f] = [f for f in _audit(fx, how, tmp_path).findings if f.subject == run]
    assert f"{run} (deleted in MLflow, but it produced s0-clean0@3)" in f.message
