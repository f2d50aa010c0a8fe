"""Offline validation of every MCP before it leaves (a violation is a bug report, never a drop).

Checks, per MCP: the Avro schema (``mcp.validate()``), that the entity type may carry the aspect
(``entity_supports_aspect``: DataHub Lite and MCP files accept aspects a real GMS rejects with
422), strict URN syntax and GMS's length limit of the entity and of every urn-valued field we
fill, and DataHub's structured-property value rules (allowed values, cardinality, ``YYYY-MM-DD`` dates, numbers),
against the definitions in the same batch or in :data:`render.STRUCTURED_PROPERTIES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lineage.errors import ValidationFailed

if TYPE_CHECKING:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

__all__ = ["check_mcps", "validate_mcps"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# aspect fields holding urns (lists or single values) that we fill and GMS parses
_URN_FIELDS = {
    "mlModelProperties": ("trainingJobs", "downstreamJobs", "deployments", "groups"),
    "mlModelGroupProperties": ("trainingJobs", "downstreamJobs"),
    "dataProcessInstanceInput": ("inputs",),
    "dataProcessInstanceOutput": ("outputs",),
    "dataProcessInstanceRelationships": ("upstreamInstances", "parentTemplate"),
    "dataJobInputOutput": ("inputDatasets", "outputDatasets"),
    "dataJobInfo": ("flowUrn",),
    "container": ("container",),
    "versionProperties": ("versionSet",),
    "incidentInfo": ("entities",),
    "deprecation": ("actor", "replacement"),
}


def _definitions(mcps: list[MetadataChangeProposalWrapper]) -> dict[str, dict[str, Any]]:
    from connectors.sinks.datahub.render import STRUCTURED_PROPERTIES, property_urn

    defs: dict[str, dict[str, Any]] = {}
    for name, (_, vtype, card, allowed, etypes, _) in STRUCTURED_PROPERTIES.items():
        defs[property_urn(name)] = {"type": vtype, "card": card, "allowed": set(allowed),
                                    "entities": set(etypes)}
    for m in mcps:
        if m.aspectName == "propertyDefinition":
            a: Any = m.aspect
            defs[str(m.entityUrn)] = {
                "type": a.valueType.rsplit(".", 1)[-1], "card": a.cardinality or "SINGLE",
                "allowed": {v.value for v in a.allowedValues or []},
                "entities": set(a.entityTypes),
            }
    return defs


def _check_urn(value: str, what: str, problems: list[str], where: str) -> None:
    from datahub.utilities.urns.urn import Urn

    from connectors.sinks.datahub.render import URN_BYTES_LIMIT, urn_bytes

    try:
        Urn.from_string(value)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
        problems.append(f"{where}: {what} is not a valid urn {value!r}: {exc}")
    if len(value) * 3 > URN_BYTES_LIMIT and urn_bytes(value) > URN_BYTES_LIMIT:
        problems.append(f"{where}: {what} is {urn_bytes(value)} bytes URL-encoded; DataHub "
                        f"takes at most {URN_BYTES_LIMIT}")


def _check_structured(m: Any, defs: dict[str, dict[str, Any]], problems: list[str],
                      where: str) -> None:
    etype = f"urn:li:entityType:datahub.{m.entityType}"
    for assign in m.aspect.properties:
        d = defs.get(assign.propertyUrn)
        if d is None:
            problems.append(f"{where}: structured property {assign.propertyUrn} has no "
                            "definition (emit the definition first)")
            continue
        if etype not in d["entities"]:
            problems.append(f"{where}: structured property {assign.propertyUrn} is not "
                            f"defined for entity type {m.entityType}")
        vals = assign.values
        if not vals:
            problems.append(f"{where}: structured property {assign.propertyUrn} has no value")
        if d["card"] == "SINGLE" and len(vals) > 1:
            problems.append(f"{where}: structured property {assign.propertyUrn} takes one "
                            f"value, got {len(vals)}")
        for v in vals:
            if d["allowed"] and v not in d["allowed"]:
                problems.append(f"{where}: {assign.propertyUrn} value {v!r} not in allowed "
                                f"values {sorted(d['allowed'])}")
            if d["type"] == "date" and not (isinstance(v, str) and _DATE.match(v)):
                problems.append(f"{where}: {assign.propertyUrn} value {v!r} is not a "
                                "YYYY-MM-DD date")
            if d["type"] == "number" and not isinstance(v, int | float):
                problems.append(f"{where}: {assign.propertyUrn} value {v!r} is not a number")
            if d["type"] in ("string", "rich_text") and not isinstance(v, str):
                problems.append(f"{where}: {assign.propertyUrn} value {v!r} is not a string")


def validate_mcps(mcps: Iterable[MetadataChangeProposalWrapper],
                  origin: dict[str, list[str]] | None = None) -> list[str]:
    """Every problem found, each naming the entity urn (and the graph nodes it comes from,
    when ``origin`` maps urn → node ids). An empty list means all MCPs may leave."""
    from datahub.emitter.mcp_builder import entity_supports_aspect

    mcps = list(mcps)
    defs = _definitions(mcps)
    problems: list[str] = []
    checked_urns: set[str] = set()
    for m in mcps:
        urn = str(m.entityUrn)
        nodes = (origin or {}).get(urn)
        where = f"{urn} ({', '.join(nodes)})" if nodes else urn
        where += f" aspect {m.aspectName}"
        if m.changeType != "UPSERT":
            problems.append(f"{where}: change type {m.changeType} (only UPSERT is sent)")
        if urn not in checked_urns:
            checked_urns.add(urn)
            _check_urn(urn, "entity urn", problems, where)
        if m.aspect is None:
            problems.append(f"{where}: no aspect")
            continue
        if not m.validate():
            problems.append(f"{where}: aspect does not match the DataHub schema")
        try:
            supported = entity_supports_aspect(m.entityType, type(m.aspect))
        except KeyError:
            problems.append(f"{where}: unknown entity type {m.entityType!r}")
            supported = True
        if not supported:
            problems.append(f"{where}: entity type {m.entityType} does not support aspect "
                            f"{m.aspectName} (a real DataHub answers 422)")
        for fname in _URN_FIELDS.get(m.aspectName or "", ()):
            value = getattr(m.aspect, fname, None)
            for u in [value] if isinstance(value, str) else value or []:
                _check_urn(u, fname, problems, where)
        for edges_field in ("inputEdges", "outputEdges", "inputDatasetEdges",
                            "outputDatasetEdges"):
            for e in getattr(m.aspect, edges_field, None) or []:
                _check_urn(e.destinationUrn, edges_field, problems, where)
        if m.aspectName == "incidentsSummary":
            for details_field in ("activeIncidentDetails", "resolvedIncidentDetails"):
                for d in getattr(m.aspect, details_field, None) or []:
                    _check_urn(d.urn, details_field, problems, where)
                    if not str(d.urn).startswith("urn:li:incident:"):
                        problems.append(f"{where}: {details_field} names {d.urn}, not an "
                                        "incident")
        if m.aspectName == "structuredProperties":
            _check_structured(m, defs, problems, where)
        if m.aspectName == "ownership":
            for o in m.aspect.owners:  # type: ignore[attr-defined]
                _check_urn(o.owner, "owner", problems, where)
                if not str(o.owner).startswith(("urn:li:corpuser:", "urn:li:corpGroup:")):
                    problems.append(f"{where}: owner {o.owner} is not a corpuser or corpGroup "
                                    "urn (DataHub takes no other owner)")
                if o.typeUrn:
                    _check_urn(o.typeUrn, "ownership type", problems, where)
    return problems


def check_mcps(mcps: list[MetadataChangeProposalWrapper],
               origin: dict[str, list[str]] | None = None) -> None:
    """Raise :class:`ValidationFailed` naming every offending node when any MCP is invalid."""
    problems = validate_mcps(mcps, origin)
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise ValidationFailed(
            f"{len(problems)} DataHub MCP problem(s): " + "; ".join(problems[:20]) + more,
            hint="this is a bug in the DataHub mapping or a malformed node: report it with "
            "`lineage export` of the nodes named above",
        )
