"""Which urn a model group and version get: an MLflow-registered one the urn DataHub's MLflow
source makes (acryl-datahub's ``make_ml_model_urn`` / ``make_ml_model_group_urn`` with its
platform ``mlflow``, the registered name, ``_`` and the version, its ``env`` upper-cased),
everything else the configured platform's."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("datahub")

from datahub.emitter.mce_builder import make_ml_model_group_urn, make_ml_model_urn  # noqa: E402

from connectors.sinks.datahub.render import plan  # noqa: E402
from lineage import ids  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402


def _graph(*groups: tuple[str, str, dict[str, Any], list[tuple[str, str, dict[str, Any]]]]
           ) -> LineageGraph:
    """(group, registry, group properties, [(version, registry, version properties)])."""
    g = LineageGraph()
    items: list[Node | Edge] = []
    for name, registry, props, versions in groups:
        gid = ids.model_group_id(name)
        items.append(Node.make(NodeKind.MODEL_GROUP, gid, name=name, registry=registry,
                               properties=props))
        for version, vreg, vprops in versions:
            mid = ids.model_id(name, version)
            items.append(Node.make(NodeKind.MODEL, mid, group=name, version=version,
                                   registry=vreg, properties=vprops))
            items.append(Edge.make(EdgeKind.VERSION_OF, mid, gid))
    g.add(items)
    return g


def _urns(graph: LineageGraph, **settings: Any) -> dict[str, tuple[str, list[str]]]:
    return {p.nodes[0]: (p.urn, p.former) for p in plan(graph, **settings)
            if p.kind in ("group", "model")}


def test_an_mlflow_model_is_named_as_datahubs_mlflow_source_names_it() -> None:
    urns = _urns(_graph(("churn", "mlflow", {}, [("3", "mlflow", {})])), env="prod")
    assert urns["model_group:churn"] == (
        make_ml_model_group_urn("mlflow", "churn", "PROD"),
        ["urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,prod)"])
    assert urns["model:churn@3"] == (
        make_ml_model_urn("mlflow", "churn_3", "PROD"),
        ["urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_3,prod)"])


def test_a_model_mapped_by_model_aliases_keeps_its_mlflow_name() -> None:
    """``model_aliases`` maps MLflow's ``churn-model`` onto the GTO artifact ``churn``: the
    group (described by GTO) is the one MLflow registers, its GTO versions stay ``dvc``."""
    graph = _graph(("churn", "gto", {}, [
        ("v1.0.0", "gto", {}), ("4", "mlflow", {"mlflow_name": "churn-model"})]))
    urns = _urns(graph)
    assert urns["model_group:churn"][0] == make_ml_model_group_urn("mlflow", "churn-model",
                                                                   "PROD")
    assert urns["model:churn@4"][0] == make_ml_model_urn("mlflow", "churn-model_4", "PROD")
    assert urns["model:churn@v1.0.0"] == (
        "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)", [])


def test_gto_and_recorded_models_stay_on_the_configured_platform() -> None:
    urns = _urns(_graph(("fraud", "gto", {}, [("v2", "gto", {})]),
                        ("ranker", "lineage", {}, [("1", "lineage", {})])), platform="dvc")
    assert urns == {
        "model_group:fraud": ("urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,fraud,PROD)", []),
        "model:fraud@v2": ("urn:li:mlModel:(urn:li:dataPlatform:dvc,fraud_v2,PROD)", []),
        "model_group:ranker": ("urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,ranker,PROD)",
                               []),
        "model:ranker@1": ("urn:li:mlModel:(urn:li:dataPlatform:dvc,ranker_1,PROD)", []),
    }


def test_a_model_of_an_mlflow_workspace_keeps_the_workspace_in_its_name() -> None:
    """DataHub's MLflow source knows no workspaces: two workspaces' ``churn 1`` would be one
    entity there, so a non-default workspace's model keeps ``<workspace>/<name>``."""
    ws = {"mlflow_name": "churn", "workspace": "team-a"}
    urns = _urns(_graph(("team-a/churn", "mlflow", ws, [("1", "mlflow", ws)]),
                        ("churn", "mlflow", {}, [("1", "mlflow", {})])))
    assert urns["model:team-a/churn@1"][0] == make_ml_model_urn("mlflow", "team-a/churn_1",
                                                                 "PROD")
    assert urns["model:churn@1"][0] == make_ml_model_urn("mlflow", "churn_1", "PROD")
    assert len({u for u, _ in urns.values()}) == len(urns)  # no two nodes share an entity


def test_no_former_urn_when_the_configured_platform_is_mlflow() -> None:
    urns = _urns(_graph(("churn", "mlflow", {}, [("1", "mlflow", {})])), platform="mlflow")
    assert urns["model:churn@1"] == (make_ml_model_urn("mlflow", "churn_1", "PROD"), [])
