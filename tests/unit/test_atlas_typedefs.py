"""Our Atlas typedefs checked against Atlas's own base model (vendored in tests/fixtures/atlas)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from connectors.sinks.atlas.typesystem import (
    ATLAS_BASE,
    RESERVED_DATASET_ATTRIBUTES,
    SERVICE_TYPE,
    load_typedefs,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "atlas"
PRIMITIVES = {"boolean", "byte", "short", "int", "long", "float", "double", "biginteger",
              "bigdecimal", "string", "date"}
CATS = ("enumDefs", "structDefs", "classificationDefs", "entityDefs", "relationshipDefs",
        "businessMetadataDefs")


def _reference() -> dict[str, dict[str, Any]]:
    """Every type of the vendored reference models, ADD_ATTRIBUTE patches applied."""
    types: dict[str, dict[str, Any]] = {}
    docs = [json.loads(p.read_text()) for p in sorted((FIX / "models").glob("*.json"))]
    for doc in docs:
        for cat in CATS:
            for d in doc.get(cat, []):
                types[d["name"]] = {**d, "_cat": cat, "attributeDefs": list(d.get("attributeDefs", []))}
    for doc in docs:
        for p in doc.get("patches", []):
            if p["action"] == "ADD_ATTRIBUTE":  # applied once: skip what the model has
                have = {a["name"] for a in types[p["typeName"]]["attributeDefs"]}
                types[p["typeName"]]["attributeDefs"] += [
                    a for a in p["attributeDefs"] if a["name"] not in have]
    return types


REF = _reference()
OURS = load_typedefs()
OUR_TYPES = {d["name"]: {**d, "_cat": cat} for cat in CATS for d in OURS.get(cat, [])}
ALL = {**REF, **OUR_TYPES}


def supertypes(name: str) -> list[str]:
    out, todo = [], [name]
    while todo:
        t = todo.pop(0)
        if t not in out:
            out.append(t)
            todo += ALL[t].get("superTypes", [])
    return out


def inherited_attributes(name: str) -> set[str]:
    """Attribute names a type gets from its supertypes and from reference relationshipDefs."""
    sups = supertypes(name)[1:]
    names = {a["name"] for s in sups for a in ALL[s].get("attributeDefs", [])}
    for r in (t for t in REF.values() if t["_cat"] == "relationshipDefs"):
        for end in (r["endDef1"], r["endDef2"]):
            if end["type"] in sups:
                names.add(end["name"])
    return names


def valid_type(t: str) -> bool:
    if t in PRIMITIVES:
        return True
    if m := re.fullmatch(r"array<(.+)>", t):
        return valid_type(m.group(1))
    if m := re.fullmatch(r"map<([^,]+),(.+)>", t):
        return valid_type(m.group(1)) and valid_type(m.group(2))
    return t in ALL and ALL[t]["_cat"] in ("enumDefs", "entityDefs", "structDefs")


def test_every_category_present_and_service_type_is_ours() -> None:
    assert {c for c in CATS if OURS.get(c)} >= {"enumDefs", "classificationDefs", "entityDefs",
                                                 "relationshipDefs", "businessMetadataDefs"}
    for d in OUR_TYPES.values():
        assert d["serviceType"] == SERVICE_TYPE, d["name"]
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", d["name"]), d["name"]


def test_no_name_clash_with_the_228_builtin_types() -> None:
    builtin = set((FIX / "builtin_type_names.txt").read_text().split())
    assert len(builtin) == 228
    assert not builtin & set(OUR_TYPES)


@pytest.mark.parametrize("name,base", [
    ("lineage_commit", "DataSet"), ("lineage_data", "DataSet"), ("lineage_model", "DataSet"),
    ("lineage_model_version", "DataSet"), ("lineage_deployment", "DataSet"),
    ("lineage_dvc_stage", "Process"), ("lineage_training_run", "Process"),
    ("lineage_deployment_step", "Process"), ("lineage_repository", "Asset"),
    ("lineage_approval", "Asset"),
])
def test_entity_types_extend_the_base_model(name: str, base: str) -> None:
    assert OUR_TYPES[name]["_cat"] == "entityDefs"
    sups = supertypes(name)
    assert base in sups and "Referenceable" in sups
    assert all(s in ALL for s in sups)
    if base != "Asset":
        # not the ml_* types: their mandatory attributes do not fit and they cascade-delete
        assert not any(s.startswith("ml_") for s in sups)


def test_attribute_types_are_valid() -> None:
    for d in OUR_TYPES.values():
        for a in d.get("attributeDefs", []):
            assert valid_type(a["typeName"]), f"{d['name']}.{a['name']}: {a['typeName']}"


def test_no_attribute_clashes_with_inherited_or_dataset_wide_attributes() -> None:
    computed_reserved = set()
    for r in (t for t in REF.values() if t["_cat"] == "relationshipDefs"):
        for end in (r["endDef1"], r["endDef2"]):
            if end["type"] in ("DataSet", "Referenceable", "Asset"):
                computed_reserved.add(end["name"])
    assert computed_reserved >= {"model", "pipeline", "schema", "meanings", "inputToProcesses",
                                 "outputFromProcesses"}
    assert computed_reserved == set(RESERVED_DATASET_ATTRIBUTES)
    rel_ends = {}
    for r in OURS["relationshipDefs"]:
        e1, e2 = r["endDef1"], r["endDef2"]
        symmetric = (e1["type"], e1["name"]) == (e2["type"], e2["name"])
        for end in (e1,) if symmetric else (e1, e2):
            rel_ends.setdefault(end["type"], []).append(end["name"])
    for d in OURS["entityDefs"]:
        own = [a["name"] for a in d["attributeDefs"]] + rel_ends.get(d["name"], [])
        clash = set(own) & (inherited_attributes(d["name"]) | computed_reserved)
        assert not clash, f"{d['name']} redefines {sorted(clash)}"
        assert len(own) == len(set(own)), f"{d['name']} defines an attribute twice"


def test_relationships_are_associations_with_explicit_propagation() -> None:
    assert OURS["relationshipDefs"]
    for r in OURS["relationshipDefs"]:
        assert r["relationshipCategory"] == "ASSOCIATION", r["name"]  # no cascading deletes
        assert r["propagateTags"] in ("NONE", "ONE_TO_TWO", "TWO_TO_ONE", "BOTH"), r["name"]
        for end in (r["endDef1"], r["endDef2"]):
            assert end["type"] in OUR_TYPES, f"{r['name']}: end {end['type']}"
            assert end["isContainer"] is False
            assert end["cardinality"] in ("SINGLE", "SET")
    by_name = {r["name"]: r for r in OURS["relationshipDefs"]}
    # the tier set on a registered model flows to its versions and on to deployments
    assert by_name["lineage_model_versions"]["propagateTags"] == "ONE_TO_TWO"
    assert by_name["lineage_model_versions"]["endDef1"]["type"] == "lineage_model"


def test_eu_ai_act_tiers_are_a_parent_with_four_subtiers() -> None:
    cls = {d["name"]: d for d in OURS["classificationDefs"]}
    children = sorted(n for n, d in cls.items() if d["superTypes"] == ["EUAIAct_RiskTier"])
    assert children == ["EUAIAct_High", "EUAIAct_Limited", "EUAIAct_Minimal",
                        "EUAIAct_Unacceptable"]
    assert cls["EUAIAct_RiskTier"]["superTypes"] == []


def test_business_metadata_defs_follow_atlas_rules() -> None:
    names = {d["name"] for d in OURS["businessMetadataDefs"]}
    assert names == {"lineage_risk_assessment", "lineage_approval_status", "lineage_retraining"}
    for d in OURS["businessMetadataDefs"]:
        for a in d["attributeDefs"]:
            opts = a["options"]
            applicable = json.loads(opts["applicableEntityTypes"])
            assert applicable and all(t in OUR_TYPES for t in applicable)
            base = re.sub(r"^array<(.+)>$", r"\1", a["typeName"])
            assert base in PRIMITIVES or OUR_TYPES[base]["_cat"] == "enumDefs"
            if base == "string":  # the server refuses string attributes without it
                assert int(opts["maxStrLength"]) > 0


def test_atlas_base_subset_matches_the_reference_model() -> None:
    def shape(attrs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted((a["name"], a["typeName"], a.get("isOptional", True),
                       a.get("isUnique", False)) for a in attrs)

    for name, d in ATLAS_BASE.items():
        if name == "AtlasServer":
            continue
        assert d["superTypes"] == REF[name].get("superTypes", []), name
        assert shape(d["attributeDefs"]) == shape(REF[name]["attributeDefs"]), name


def test_typedefs_file_is_what_the_sink_registers() -> None:
    path = Path(__file__).resolve().parents[2] / "schemas" / "atlas" / "lineage_typedefs.json"
    assert json.loads(path.read_text()) == OURS


# Atlas refuses attribute names that are keywords of its DSL (ATLAS-400-00-020); list from
# repository/.../query/antlr4/AtlasDSLLexer.g4, compared case-insensitively like the lexer.
DSL_KEYWORDS = {"like", "and", "or", "lt", "lte", "eq", "neq", "gt", "gte", "from", "where",
                "orderby", "groupby", "limit", "select", "max", "min", "sum", "count", "loop",
                "offset", "as", "isa", "is", "has", "asc", "desc", "withpath", "true", "false"}


def test_no_attribute_is_a_dsl_keyword() -> None:
    names = {a["name"] for d in OUR_TYPES.values() for a in d.get("attributeDefs", [])}
    names |= {e["name"] for r in OURS["relationshipDefs"] for e in (r["endDef1"], r["endDef2"])}
    assert not {n.lower() for n in names} & DSL_KEYWORDS
