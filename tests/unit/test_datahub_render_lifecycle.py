"""What DataHub shows of a version's life: the order of a version set (its greatest ``sortId``
is the version DataHub marks latest) against ``lineage show``'s latest, the ``deprecation`` of
deregistered versions, and which monitoring records are incidents and which checks."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.render import passed_check, render  # noqa: E402
from connectors.sinks.datahub.validate import validate_mcps  # noqa: E402
from lineage.api import latest_model_version  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402


def _group(*versions: tuple[str, str | None]) -> LineageGraph:
    g = LineageGraph()
    g.add([Node.make(NodeKind.MODEL_GROUP, "model_group:m", name="m", registry="gto")])
    for i, (version, status) in enumerate(versions):
        mid = f"model:m@{version}"
        props = {"deregistered_at": "2026-02-01T00:00:00Z", "deregistration_tag":
                 f"m@{version}!", "deregistered_by": "Rita"} if status == "deregistered" else {}
        g.add([Node.make(NodeKind.MODEL, mid, group="m", version=version, registry="gto",
                         status=status, created_at=f"2026-01-{i + 1:02d}T00:00:00Z",
                         properties=props),
               Edge.make(EdgeKind.VERSION_OF, mid, "model_group:m")])
    return g


def _sort_ids(mcps: list[Any]) -> dict[str, str]:
    return {m.entityUrn.split(",")[1].split("_", 1)[1]: m.aspect.sortId for m in mcps
            if m.aspectName == "versionProperties"}


@pytest.mark.parametrize("versions", [
    # a deregistered version sorts below every live one
    [("v1.0.0", "registered"), ("v1.1.0", "deregistered")],
    # a release outranks its release candidate (semver), unlike their spelling's order
    [("v2.0.0-rc.1", "registered"), ("v2.0.0", "registered"), ("v10.0.0", "deregistered")],
    # a version named by a commit is no latest either
    [("v1.0.0", "registered"), ("v3.0.0", "unregistered")],
    # spellings that are no versions: the latest lineage show takes (the last created)
    [("b10", "registered"), ("b9", "registered"), ("a1", "registered")],
])
def test_the_greatest_sort_id_is_the_latest_lineage_show_names(
        versions: list[tuple[str, str]]) -> None:
    g = _group(*versions)
    mcps = render(g)
    assert validate_mcps(mcps) == []
    sort = _sort_ids(mcps)
    latest = latest_model_version(g, "model_group:m")
    assert latest is not None
    assert max(sort, key=lambda v: sort[v]) == latest.rsplit("@", 1)[1], sort


def test_a_deregistered_version_is_deprecated_with_its_tag_and_replacement() -> None:
    mcps = render(_group(("v1.0.0", "registered"), ("v1.1.0", "deregistered")))
    dep = {m.entityUrn: m.aspect for m in mcps if m.aspectName == "deprecation"}
    assert list(dep) == ["urn:li:mlModel:(urn:li:dataPlatform:dvc,m_v1.1.0,PROD)"]
    d = next(iter(dep.values()))
    assert d.deprecated and "m@v1.1.0!" in d.note and "Rita" in d.note
    assert d.decommissionTime == 1769904000000  # 2026-02-01
    assert d.actor == "urn:li:corpuser:rita"
    assert d.replacement == "urn:li:mlModel:(urn:li:dataPlatform:dvc,m_v1.0.0,PROD)"
    # listed among what lineage shows on the version, so a later push can lift it
    props = next(m.aspect for m in mcps if m.aspectName == "mlModelProperties"
                 and m.entityUrn in dep)
    assert "deprecation" in props.customProperties["lineage_aspects"].split(",")


@pytest.mark.parametrize(("attrs", "passed"), [
    ({"value": 0.04, "threshold": 0.2, "status": "resolved"}, True),
    ({"value": 0, "threshold": 0.2, "status": "resolved"}, True),
    ({"value": 0.31, "threshold": 0.2, "status": "resolved"}, False),  # fired, then resolved
    ({"value": 0.2, "threshold": 0.2, "status": "resolved"}, False),  # at the threshold
    ({"value": 0.04, "threshold": 0.2, "status": "open"}, False),  # said open: an alert
    ({"value": 0.04, "threshold": 0.2, "status": "acknowledged"}, False),
    ({"value": 0.04, "status": "resolved"}, False),  # no threshold: what it was recorded as
    ({"status": "resolved"}, False),
])
def test_which_records_are_passed_checks(attrs: dict[str, Any], passed: bool) -> None:
    assert passed_check({"metric": "psi", **attrs}) is passed


@pytest.mark.parametrize(("metric", "passed"), [
    ("psi", True), ("kl_divergence", True), ("ks_statistic", True), ("PSI", True),
    # lower is worse: below its floor is the alert that fired
    ("accuracy", False), ("auc", False),
    # a metric lineage does not know: which way its threshold goes is not said
    ("feature_null_rate", False), (None, False),
])
def test_only_a_drift_metric_below_its_threshold_is_a_passed_check(
        metric: str | None, passed: bool) -> None:
    attrs = {"value": 0.71, "threshold": 0.9, "status": "resolved", "metric": metric}
    assert passed_check(attrs) is passed


def test_a_passed_check_renders_a_valid_check_run_and_no_incident() -> None:
    g = _group(("v1.0.0", "registered"))
    g.add([Node.make(NodeKind.ALERT, "alert:c1", model="model:m@v1.0.0", metric="psi",
                     value=0.04, threshold=0.2, status="resolved", at="2026-01-05T06:00:00Z"),
           Edge.make(EdgeKind.ALERTS, "alert:c1", "model:m@v1.0.0")])
    mcps = render(g)
    assert validate_mcps(mcps) == []
    assert not [m for m in mcps if m.entityUrn.startswith("urn:li:incident:")
                or m.aspectName == "incidentsSummary"]
    check = {m.aspectName: m.aspect for m in mcps
             if m.entityUrn.startswith("urn:li:dataProcessInstance:")}
    assert check["subTypes"].typeNames == ["Monitoring Check"]
    assert check["dataProcessInstanceRunEvent"].result.type == "SUCCESS"
    assert check["dataProcessInstanceProperties"].name == \
        "Check of m@v1.0.0: psi = 0.04 (threshold 0.2), passed"
