"""The training-run table of ``lineage show MODEL@VERSION`` names the experiment that replaced
the run that produced the version (``dvc exp run -f -n e1`` after the version was
registered from the first ``e1``), as the tree does; a run deleted in MLflow stays
``(deleted)``. ``--json`` gives it as ``replaced_by``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from lineage.audit import resolve_policy
from lineage.cli.show import _runs_table, governance
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind

VERSION = "model:churn@v1.0.0"
OLD = "run:dvc-exp:" + "a" * 40
NEW = "run:dvc-exp:" + "b" * 40


def _governance(run: str, source: str, **props: Any) -> dict[str, Any]:
    g = LineageGraph()
    g.add_node(Node.make(NodeKind.MODEL, VERSION, group="churn", version="v1.0.0",
                         registry="gto", created_at="2026-01-01T02:00:00Z"))
    g.add_node(Node.make(NodeKind.RUN, run, source=source, run_id=run.rsplit(":", 1)[1],
                         status="success",
                         end_time="2026-01-01T01:00:00Z", properties=props))
    g.add_edge(Edge.make(EdgeKind.PRODUCED, run, VERSION))
    policy, where = resolve_policy(None)
    gov = governance(g, VERSION, policy, datetime(2026, 2, 1, tzinfo=UTC), where)
    assert gov is not None
    return gov


def _text(gov: dict[str, Any]) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(_runs_table(gov))
    return console.export_text()


def test_the_run_of_a_replaced_experiment_names_the_one_that_replaced_it() -> None:
    gov = _governance(OLD, "dvc-exp", lifecycle_stage="deleted", replaced_by=NEW)
    (run,) = gov["runs"]
    assert run["deleted"] is True and run["replaced_by"] == NEW
    text = _text(gov)
    assert f"success (replaced by dvc-exp:{'b' * 40})" in text, text
    assert "(deleted)" not in text


def test_a_run_deleted_in_mlflow_stays_deleted() -> None:
    gov = _governance("run:mlflow:mlflow.db:" + "c" * 32, "mlflow", lifecycle_stage="deleted")
    (run,) = gov["runs"]
    assert run["replaced_by"] is None
    assert "success (deleted)" in _text(gov)


def test_a_live_run_is_neither() -> None:
    gov = _governance(NEW, "dvc-exp")
    (run,) = gov["runs"]
    assert run["deleted"] is False and run["replaced_by"] is None
    text = _text(gov)
    assert "deleted" not in text and "replaced" not in text
