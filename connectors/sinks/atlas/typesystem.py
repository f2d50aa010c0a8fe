"""Atlas type system, client side: our typedefs plus the part of Atlas's base model they extend.

Atlas silently drops attributes it does not know, and answers a missing mandatory attribute or
a bad enum value with a bare 404, so every payload is checked here before it leaves:
unknown attribute, missing mandatory attribute, wrong value type, bad enum value, reference to
an entity of the wrong type, business metadata on a type it does not apply to.

``ATLAS_BASE`` is the subset of Atlas's ``0010-base_model.json`` (+ patches) our types build
on; a test keeps it equal to the vendored reference model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from lineage.errors import ValidationFailed

# schemas/atlas/lineage_typedefs.json, reached through a symlink in the package so that a built
# wheel carries the file itself
TYPEDEFS_FILE = Path(__file__).parent / "lineage_typedefs.json"
SERVICE_TYPE = "lineage"

PRIMITIVES = {"boolean", "byte", "short", "int", "long", "float", "double", "biginteger",
              "bigdecimal", "string", "date"}
_INTS = {"byte", "short", "int", "long", "biginteger"}
_FLOATS = {"float", "double", "bigdecimal"}


def _attr(name: str, type_name: str, optional: bool = True, unique: bool = False) -> dict[str, Any]:
    return {"name": name, "typeName": type_name, "isOptional": optional, "isUnique": unique}


# Entity types of Atlas's base model that ours extend (attributes after the base patches).
ATLAS_BASE: dict[str, dict[str, Any]] = {
    "Referenceable": {"superTypes": [], "attributeDefs": [
        _attr("qualifiedName", "string", optional=False, unique=True),
        _attr("replicatedFrom", "array<AtlasServer>"),
        _attr("replicatedTo", "array<AtlasServer>"),
    ]},
    "Asset": {"superTypes": ["Referenceable"], "attributeDefs": [
        _attr("name", "string", optional=False),
        _attr("displayName", "string"),
        _attr("description", "string"),
        _attr("userDescription", "string"),
        _attr("owner", "string"),
    ]},
    "DataSet": {"superTypes": ["Asset"], "attributeDefs": []},
    "Process": {"superTypes": ["Asset"], "attributeDefs": [
        _attr("inputs", "array<DataSet>"),
        _attr("outputs", "array<DataSet>"),
    ]},
    "AtlasServer": {"superTypes": [], "attributeDefs": []},
}

# Attribute names other built-in models add to every DataSet / Referenceable through their
# relationshipDefs (glossary: meanings; avro: schema; spark: model, pipeline; base:
# inputToProcesses, outputFromProcesses). Our types must not define attributes of these names.
RESERVED_DATASET_ATTRIBUTES = frozenset(
    {"model", "pipeline", "schema", "meanings", "inputToProcesses", "outputFromProcesses"})


@cache
def load_typedefs(path: Path = TYPEDEFS_FILE) -> dict[str, Any]:
    """Our typedefs (``schemas/atlas/lineage_typedefs.json``) as Atlas's AtlasTypesDef JSON."""
    # a JSON object: the file is ours (tests/unit/test_atlas_typedefs.py reads it)
    return cast(dict[str, Any], json.loads(path.read_text()))


@dataclass
class RelationshipEnd:
    relationship: str
    type: str
    cardinality: str
    other_type: str


@dataclass
class TypeSystem:
    """Index of entity, enum, classification, relationship and business metadata defs."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    enums: dict[str, set[str]] = field(default_factory=dict)
    classifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    business_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    relationships: dict[str, dict[str, Any]] = field(default_factory=dict)
    # per type name: its supertypes, its attribute defs, its relationship attributes
    _supertypes_of: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _attributes_of: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict,
                                                                 repr=False)
    _relationships_of: dict[str, dict[str, RelationshipEnd]] = field(default_factory=dict,
                                                                     repr=False)

    @classmethod
    def build(cls, typedefs: dict[str, Any] | None = None) -> TypeSystem:
        ts = cls()
        for name, d in ATLAS_BASE.items():
            ts.entities[name] = {"name": name, **d}
        td = typedefs if typedefs is not None else load_typedefs()
        for d in td.get("entityDefs", []):
            ts.entities[d["name"]] = d
        for d in td.get("enumDefs", []):
            ts.enums[d["name"]] = {e["value"] for e in d.get("elementDefs", [])}
        for d in td.get("classificationDefs", []):
            ts.classifications[d["name"]] = d
        for d in td.get("businessMetadataDefs", []):
            ts.business_metadata[d["name"]] = d
        for d in td.get("relationshipDefs", []):
            ts.relationships[d["name"]] = d
        return ts

    # -- type queries --------------------------------------------------------------------------
    def supertypes(self, type_name: str) -> list[str]:
        """``type_name`` and all its supertypes, nearest first."""
        if type_name not in self._supertypes_of:
            self._supertypes_of[type_name] = self._supertypes(type_name)
        return self._supertypes_of[type_name]

    def _supertypes(self, type_name: str) -> list[str]:
        out: list[str] = []
        todo = [type_name]
        while todo:
            t = todo.pop(0)
            if t in out:
                continue
            out.append(t)
            todo.extend(self.entities.get(t, {}).get("superTypes", []))
        return out

    def is_subtype(self, type_name: str, of: str) -> bool:
        return of in self.supertypes(type_name)

    def attributes(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Every attribute def of an entity type, inherited ones included."""
        if type_name in self._attributes_of:
            return self._attributes_of[type_name]
        out: dict[str, dict[str, Any]] = {}
        for t in reversed(self.supertypes(type_name)):
            for a in self.entities.get(t, {}).get("attributeDefs", []):
                out[a["name"]] = a
        self._attributes_of[type_name] = out
        return out

    def relationship_attributes(self, type_name: str) -> dict[str, RelationshipEnd]:
        """Attributes that our relationshipDefs add to ``type_name`` (and its supertypes)."""
        if type_name in self._relationships_of:
            return self._relationships_of[type_name]
        out: dict[str, RelationshipEnd] = {}
        for rel in self.relationships.values():
            e1, e2 = rel["endDef1"], rel["endDef2"]
            for end, other in ((e1, e2), (e2, e1)):
                if self.is_subtype(type_name, end["type"]):
                    out[end["name"]] = RelationshipEnd(rel["name"], other["type"],
                                                       end.get("cardinality", "SINGLE"),
                                                       other["type"])
        self._relationships_of[type_name] = out
        return out

    def classification_attributes(self, name: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        todo = [name]
        seen: list[str] = []
        while todo:
            n = todo.pop(0)
            if n in seen:
                continue
            seen.append(n)
            todo.extend(self.classifications.get(n, {}).get("superTypes", []))
        for n in reversed(seen):
            for a in self.classifications.get(n, {}).get("attributeDefs", []):
                out[a["name"]] = a
        return out

    def type_exists(self, type_name: str) -> bool:
        if type_name in PRIMITIVES or type_name in self.enums or type_name in self.entities:
            return True
        if type_name.startswith("array<") and type_name.endswith(">"):
            return self.type_exists(type_name[6:-1])
        if type_name.startswith("map<") and type_name.endswith(">"):
            k, _, v = type_name[4:-1].partition(",")
            return k.strip() in PRIMITIVES | set(self.enums) and self.type_exists(v.strip())
        return False

    # -- value checks -----------------------------------------------------------------------------
    def check_value(self, type_name: str, value: Any) -> str | None:
        """None when ``value`` fits ``type_name``, else why not."""
        if value is None:
            return None
        if type_name == "string":
            return None if isinstance(value, str) else f"expected a string, got {_show(value)}"
        if type_name == "boolean":
            return None if isinstance(value, bool) else f"expected true/false, got {_show(value)}"
        if type_name in _INTS or type_name == "date":
            ok = isinstance(value, int) and not isinstance(value, bool)
            what = "epoch milliseconds" if type_name == "date" else "an integer"
            return None if ok else f"expected {what}, got {_show(value)}"
        if type_name in _FLOATS:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return None if ok else f"expected a number, got {_show(value)}"
        if type_name in self.enums:
            if value in self.enums[type_name]:
                return None
            allowed = ", ".join(sorted(self.enums[type_name]))
            return f"{_show(value)} is not a value of enum {type_name} ({allowed})"
        if type_name.startswith("array<"):
            if not isinstance(value, list):
                return f"expected a list, got {_show(value)}"
            for i, v in enumerate(value):
                why = self.check_value(type_name[6:-1], v)
                if why:
                    return f"item {i}: {why}"
            return None
        if type_name.startswith("map<"):
            if not isinstance(value, dict):
                return f"expected a mapping, got {_show(value)}"
            vt = type_name[4:-1].partition(",")[2].strip()
            for k, v in value.items():
                if not isinstance(k, str):
                    return f"map key {k!r} is not a string"
                why = self.check_value(vt, v)
                if why:
                    return f"key {k!r}: {why}"
            return None
        if type_name in self.entities:
            return self.check_reference(type_name, value)
        return f"unknown attribute type {type_name}"

    def check_reference(self, type_name: str, value: Any) -> str | None:
        if not isinstance(value, dict) or "typeName" not in value:
            return f"expected a reference to a {type_name} entity, got {_show(value)}"
        if not ("guid" in value or "uniqueAttributes" in value):
            return "a reference needs a guid or uniqueAttributes"
        if value["typeName"] not in self.entities:
            return f"reference to unknown entity type {value['typeName']}"
        if not self.is_subtype(value["typeName"], type_name):
            return f"reference to a {value['typeName']}, expected a {type_name}"
        return None

    # -- payload validation ------------------------------------------------------------------------
    def entity_problems(self, entity: dict[str, Any]) -> list[str]:
        t = entity.get("typeName")
        if t not in self.entities:
            return [f"unknown entity type {t!r}"]
        problems: list[str] = []
        defs = self.attributes(t)
        attrs = entity.get("attributes") or {}
        for name, value in sorted(attrs.items()):
            d = defs.get(name)
            if d is None:
                problems.append(f"attribute {name!r} is not defined on {t} (Atlas would drop it)")
                continue
            why = self.check_value(d["typeName"], value)
            if why:
                problems.append(f"attribute {name!r} ({d['typeName']}): {why}")
        for name, d in sorted(defs.items()):
            if not d.get("isOptional", True) and attrs.get(name) in (None, "", [], {}):
                problems.append(f"mandatory attribute {name!r} of {t} is missing")
        rdefs = self.relationship_attributes(t)
        for name, value in sorted((entity.get("relationshipAttributes") or {}).items()):
            r = rdefs.get(name)
            if r is None:
                problems.append(f"relationship attribute {name!r} is not defined on {t}")
                continue
            values = value if isinstance(value, list) else [value]
            if r.cardinality == "SINGLE" and isinstance(value, list):
                problems.append(f"relationship attribute {name!r} takes one reference, got a list")
            for v in values:
                why = self.check_reference(r.type, v)
                if why:
                    problems.append(f"relationship attribute {name!r}: {why}")
        return problems

    def classification_problems(self, entity_type: str, c: dict[str, Any]) -> list[str]:
        name = c.get("typeName")
        d = self.classifications.get(name or "")
        if d is None:
            return [f"unknown classification {name!r}"]
        problems = []
        allowed = d.get("entityTypes") or []
        if allowed and not any(self.is_subtype(entity_type, a) for a in allowed):
            problems.append(f"classification {name} does not apply to {entity_type}")
        defs = self.classification_attributes(d["name"])  # (``name``: the key d is under)
        for k, v in sorted((c.get("attributes") or {}).items()):
            ad = defs.get(k)
            if ad is None:
                problems.append(f"classification {name}: attribute {k!r} is not defined")
                continue
            why = self.check_value(ad["typeName"], v)
            if why:
                problems.append(f"classification {name}: attribute {k!r}: {why}")
        if not isinstance(c.get("propagate"), bool):
            problems.append(f"classification {name}: set 'propagate' explicitly")
        return problems

    def business_metadata_problems(self, entity_type: str, bm: dict[str, Any]) -> list[str]:
        problems = []
        for bm_name, values in sorted(bm.items()):
            d = self.business_metadata.get(bm_name)
            if d is None:
                problems.append(f"unknown business metadata {bm_name!r}")
                continue
            defs = {a["name"]: a for a in d.get("attributeDefs", [])}
            for k, v in sorted(values.items()):
                ad = defs.get(k)
                if ad is None:
                    problems.append(f"business metadata {bm_name}: attribute {k!r} is not defined")
                    continue
                opts = ad.get("options") or {}
                applicable = json.loads(opts.get("applicableEntityTypes", "[]"))
                if applicable and not any(self.is_subtype(entity_type, a) for a in applicable):
                    problems.append(f"business metadata {bm_name}.{k} does not apply to "
                                    f"{entity_type}")
                why = self.check_value(ad["typeName"], v)
                if why:
                    problems.append(f"business metadata {bm_name}.{k}: {why}")
                    continue
                limit = int(opts.get("maxStrLength", "0") or 0)
                strings = v if isinstance(v, list) else [v]
                if limit and any(isinstance(s, str) and java_len(s) > limit for s in strings):
                    problems.append(f"business metadata {bm_name}.{k}: longer than {limit} "
                                    "characters")
        return problems

    def fit_business_metadata(self, bm: dict[str, dict[str, Any]]
                              ) -> dict[str, dict[str, Any]]:
        """Strings longer than their attribute's ``maxStrLength`` (Atlas refuses them)
        shortened to it, ending in "…": a long rationale or reason (the record keeps it
        whole) must not keep the rest of the graph out of Atlas."""
        out: dict[str, dict[str, Any]] = {}
        for bm_name, values in bm.items():
            d = self.business_metadata.get(bm_name) or {}
            limits = {a["name"]: int((a.get("options") or {}).get("maxStrLength") or 0)
                      for a in d.get("attributeDefs", [])}
            fitted = {}
            for k, v in values.items():
                limit = limits.get(k, 0)
                if limit and isinstance(v, str):
                    v = shorten(v, limit)
                elif limit and isinstance(v, list):
                    v = [shorten(x, limit) if isinstance(x, str) else x for x in v]
                fitted[k] = v
            out[bm_name] = fitted
        return out

    def validate_item(self, node_id: str, item: dict[str, Any]) -> None:
        """Raise ValidationFailed naming the node when a rendered item would not fit Atlas."""
        entity = item["entity"]
        problems = self.entity_problems(entity)
        t = entity.get("typeName", "")
        for c in item.get("classifications", []):
            problems += self.classification_problems(t, c)
        problems += self.business_metadata_problems(t, item.get("businessAttributes") or {})
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ValidationFailed(
                f"Atlas payload for node {node_id} ({t}): {problems[0]}{more}",
                hint="this is a mapping bug in connectors/sinks/atlas: please report it with "
                     "the node id; nothing was sent",
            )


def java_len(text: str) -> int:
    """The length Atlas (Java's ``String.length()``) counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, ending in "…" when cut."""
    if java_len(text) <= limit:
        return text
    out, used = [], 1  # the ellipsis
    for ch in text:
        n = java_len(ch)
        if used + n > limit:
            break
        out.append(ch)
        used += n
    return "".join(out) + "…"


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["ATLAS_BASE", "RESERVED_DATASET_ATTRIBUTES", "SERVICE_TYPE", "TYPEDEFS_FILE",
           "TypeSystem", "java_len", "load_typedefs", "shorten"]
