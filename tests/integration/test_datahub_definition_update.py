"""A GMS that holds our structured property definitions as an earlier lineage pushed them
accepts the updated ones the next push sends, as long as they only add allowed values
(``approvalStatus`` gained ``unapproved``); and the stand-in GMS refuses what the real one
refuses (DataHub's ``PropertyDefinitionValidator``: removed allowed values, another value type
or qualified name, MULTIPLE → SINGLE), so a push that broke those rules would fail here."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub.remote import DataHubRestSink  # noqa: E402
from connectors.sinks.datahub.render import property_urn, render  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.gms import StandInGms, running_gms  # noqa: E402

APPROVAL_STATUS = property_urn("approvalStatus")


def _definition(name: str) -> Any:
    (m,) = [m for m in render(fixed_graph()) if m.entityUrn == property_urn(name)
            and m.aspectName == "propertyDefinition"]
    return m


def _emit(gms: StandInGms, mcp: Any) -> None:
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    emitter = DataHubRestEmitter(gms.url, retry_max_times=0)
    try:
        emitter.emit_mcp(mcp)
    finally:
        emitter.close()


def _older(name: str, drop: str) -> Any:
    """The definition as a lineage before this one pushed it: without the value ``drop``."""
    m = copy.deepcopy(_definition(name))
    m.aspect.allowedValues = [v for v in m.aspect.allowedValues if v.value != drop]
    return m


def _values(gms: StandInGms, urn: str, prop: str) -> list[Any]:
    held = gms.aspect(urn, "structuredProperties") or {}
    return [v for a in held.get("properties", []) if a["propertyUrn"] == prop
            for v in a["values"]]


def test_a_push_upgrades_the_definition_an_earlier_lineage_left_and_uses_the_new_value(
        tmp_path: Path) -> None:
    graph = fixed_graph()
    with running_gms() as gms:
        _emit(gms, _older("approvalStatus", "unapproved"))
        held = gms.aspect(APPROVAL_STATUS, "propertyDefinition")
        assert {"string": "unapproved"} not in [v["value"] for v in held["allowedValues"]]
        with Store.init(tmp_path / ".lineage") as store:
            ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                              options={"server": gms.url, "backoff": 0.01})
            res = DataHubRestSink().push(graph, ctx)
        assert res.failed == 0 and not res.errors
        held = gms.aspect(APPROVAL_STATUS, "propertyDefinition")
        assert [v["value"]["string"] for v in held["allowedValues"]] == \
            ["approved", "conditional", "rejected", "pending", "unapproved", "not checked"]
        model = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
        assert _values(gms, model, APPROVAL_STATUS) == [{"string": "unapproved"}]


@pytest.mark.parametrize(("change", "message"), [
    ("remove a value", "Cannot restrict values that were previously allowed"),
    ("restrict an open property", "Cannot restrict values that were previously allowed"),
    ("another value type", "Value type cannot be changed"),
    ("MULTIPLE to SINGLE", "cardinality cannot be changed from MULTI to SINGLE"),
    ("another qualified name", "Cannot change the fully qualified name"),
])
def test_the_stand_in_refuses_the_definition_changes_gms_refuses(change: str,
                                                                 message: str) -> None:
    from datahub.metadata.schema_classes import PropertyValueClass

    name = "approvedBy" if change in ("MULTIPLE to SINGLE", "restrict an open property") \
        else "approvalStatus"
    held = _definition(name)
    new = copy.deepcopy(held)
    if change == "remove a value":
        new = _older("approvalStatus", "pending")
    elif change == "restrict an open property":
        new.aspect.allowedValues = [PropertyValueClass(value="ada@example.com")]
    elif change == "another value type":
        new.aspect.valueType = "urn:li:dataType:datahub.number"
        new.aspect.allowedValues = None
    elif change == "MULTIPLE to SINGLE":
        assert held.aspect.cardinality == "MULTIPLE"
        new.aspect.cardinality = "SINGLE"
    else:
        new.aspect.qualifiedName = "io.lineage.approvalState"
    with running_gms() as gms:
        _emit(gms, held)
        with pytest.raises(Exception, match=message):
            _emit(gms, new)
        assert gms.aspect(new.entityUrn, "propertyDefinition") == held.aspect.to_obj()


@pytest.mark.parametrize("change", ["add a value", "SINGLE to MULTIPLE", "no allowed values",
                                    "another description"])
def test_the_stand_in_accepts_the_definition_changes_gms_accepts(change: str) -> None:
    from datahub.metadata.schema_classes import PropertyValueClass

    held = _definition("approvalStatus")
    new = copy.deepcopy(held)
    if change == "add a value":
        new.aspect.allowedValues = [*new.aspect.allowedValues, PropertyValueClass("waived")]
    elif change == "SINGLE to MULTIPLE":
        new.aspect.cardinality = "MULTIPLE"
    elif change == "no allowed values":  # restricts nothing
        new.aspect.allowedValues = None
    else:
        new.aspect.description = "Another description."
    with running_gms() as gms:
        _emit(gms, held)
        _emit(gms, new)
        assert gms.aspect(new.entityUrn, "propertyDefinition") == new.aspect.to_obj()


def test_the_stand_in_refuses_a_change_to_a_soft_deleted_definition() -> None:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import StatusClass

    held = _definition("approvalStatus")
    with running_gms() as gms:
        _emit(gms, held)
        _emit(gms, MetadataChangeProposalWrapper(entityUrn=held.entityUrn,
                                                 aspect=StatusClass(removed=True)))
        with pytest.raises(Exception, match="Cannot mutate a soft deleted"):
            _emit(gms, held)
