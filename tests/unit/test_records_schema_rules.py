"""The JSON Schemas in schemas/records/ say what the record validators enforce: a schema
validator (an editor, another tool's CI) refuses what `lineage harvest` would refuse."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from lineage.errors import InputError
from lineage.records import RECORD_MODELS, parse_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "governance"

APPROVAL = {"kind": "approval", "model": "churn@v1.1.0", "environment": "prod",
            "approver": "alice", "decision": "approved", "decided_at": "2026-01-20T10:00:00Z"}


def _committed(kind: str) -> dict:
    """The schema file a user points an editor at (the drift test keeps it equal to the code)."""
    return json.loads((ROOT / "schemas" / "records" / f"{kind}.schema.json").read_text())


def _schema_rejects(data: dict, kind: str) -> bool:
    return not jsonschema.Draft202012Validator(_committed(kind)).is_valid(data)


def _pydantic_rejects(data: dict) -> bool:
    try:
        parse_text(yaml.safe_dump(data), "x.yaml")
    except InputError:
        return True
    return False


@pytest.mark.parametrize("blank", ["", "   ", "\t", " \n "])
def test_a_blank_approver_is_refused_by_the_schema_as_by_lineage(blank: str) -> None:
    data = {**APPROVAL, "approver": blank}
    assert _schema_rejects(data, "approval")
    assert _pydantic_rejects(data)
    assert not _schema_rejects(APPROVAL, "approval")
    assert not _schema_rejects({**APPROVAL, "approver": " alice "}, "approval")


def _docs() -> list[dict]:
    docs: list[dict] = []
    for p in sorted(EXAMPLES.rglob("*")):
        if p.suffix in (".yaml", ".json"):
            for d in yaml.safe_load_all(p.read_text()):
                docs.extend(d if isinstance(d, list) else [d])
    return [_json(d) for d in docs]


def _json(data: object) -> dict:
    out: dict = json.loads(json.dumps(
        data, default=lambda o: o.isoformat() if isinstance(o, date) else str(o)))
    return out


def _text_fields(kind: str) -> list[str]:
    """Top-level fields whose value the validator requires to be non-blank text."""
    model = RECORD_MODELS[kind]
    out = []
    for name in model.model_fields:
        doc = {"kind": kind, name: "  "}
        try:
            model.model_validate(doc)
        except ValidationError as exc:
            if any(e["type"] == "blank" and tuple(e["loc"]) == (name,) for e in exc.errors()):
                out.append(name)
    return out


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: f"{d['kind']}:{d.get('id', '')}")
def test_every_text_field_blank_is_refused_by_both(doc: dict) -> None:
    fields = _text_fields(doc["kind"])
    assert fields, doc["kind"]
    for name in fields:
        bad = {**doc, name: " "}
        assert _schema_rejects(bad, doc["kind"]), name
        assert _pydantic_rejects(bad), name


def test_blank_nested_run_input_path_is_refused_by_both() -> None:
    run = next(d for d in _docs() if d["kind"] == "run")
    bad = {**run, "inputs": [{**run["inputs"][0], "path": "  "}]}
    assert _schema_rejects(bad, "run") and _pydantic_rejects(bad)


def test_a_document_needs_a_model_or_group_in_the_schema_too() -> None:
    doc = {"kind": "document", "doc_kind": "model_card", "uri": "https://example.com/card"}
    for target in ({}, {"model": None}, {"model_group": None}):
        assert _schema_rejects({**doc, **target}, "document"), target
        assert _pydantic_rejects({**doc, **target}), target
    for target in ({"model": "churn@v1"}, {"model_group": "churn"},
                   {"model": "churn@v1", "model_group": None}):
        assert not _schema_rejects({**doc, **target}, "document"), target
        assert not _pydantic_rejects({**doc, **target}), target


@pytest.mark.parametrize("kind,field,earlier", [
    ("deployment", "retired_at", "deployed_at"),
    ("risk_assessment", "next_review", "assessed_at"),
])
def test_date_order_the_schema_cannot_check_is_in_the_description(kind: str, field: str,
                                                                  earlier: str) -> None:
    description = _committed(kind)["properties"][field]["description"]
    assert f"not before {earlier}" in description
