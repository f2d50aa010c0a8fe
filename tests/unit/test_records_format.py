"""Governance record format: validation messages, JSON Schemas, mapping to the graph."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from lineage.errors import InputError
from lineage.model import Edge, EdgeKind, Node, NodeKind, validate_node
from lineage.records import (
    RECORD_MODELS,
    node_id_of,
    parse_text,
    record_schemas,
    to_facts,
    to_yaml,
)
from lineage.schemas import render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "governance"

APPROVAL = """\
kind: approval
model: churn@v1.1.0
environment: prod
approver: alice
role: risk-officer
decision: approved
decided_at: 2026-01-20T10:00:00Z
evidence: JIRA-123
"""


def _error(text: str, file: str = "governance/a.yaml") -> InputError:
    with pytest.raises(InputError) as exc:
        parse_text(text, file)
    return exc.value


# -- schema files agree with the code --------------------------------------------------------
@pytest.mark.parametrize("name", sorted(record_schemas()))
def test_committed_record_schema_matches_code(name: str) -> None:
    committed = (ROOT / "schemas" / "records" / name).read_text()
    assert committed == render(record_schemas()[name]), (
        f"schemas/records/{name} drifted from lineage/records.py: run "
        "`python -m lineage.records`"
    )


def _jsonable(data: object) -> object:
    """YAML data as JSON would carry it (dates as ISO strings)."""
    return json.loads(json.dumps(data, default=lambda o: o.isoformat()
                                 if isinstance(o, date | datetime) else str(o)))


def _example_docs() -> list[dict]:
    docs: list[dict] = []
    for p in sorted(EXAMPLES.rglob("*")):
        if p.suffix in (".yaml", ".json"):
            for d in yaml.safe_load_all(p.read_text()):
                docs.extend(d if isinstance(d, list) else [d])
    return docs


def test_examples_cover_every_kind_and_validate_with_both_pydantic_and_jsonschema() -> None:
    docs = _example_docs()
    assert {d["kind"] for d in docs} == set(RECORD_MODELS)
    schemas = record_schemas()
    for d in docs:
        jsonschema.validate(_jsonable(d), schemas[f"{d['kind']}.schema.json"],
                            format_checker=jsonschema.FormatChecker())
        RECORD_MODELS[d["kind"]].model_validate(d)


@pytest.mark.parametrize("change", [
    {"decision": "maybe"},            # not in the enum
    {"model": "churn"},               # not name@version
    {"aprover": "bob"},               # unknown field
    {"decided_at": None},             # required
])
def test_pydantic_and_jsonschema_reject_the_same_records(change: dict) -> None:
    data = yaml.safe_load(APPROVAL)
    for k, v in change.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_jsonable(data), record_schemas()["approval.schema.json"])
    with pytest.raises(InputError):
        parse_text(yaml.safe_dump(data), "x.yaml")


# -- exact error messages: file, line, field, fix ----------------------------------------------
def test_bad_enum_names_file_line_field() -> None:
    err = _error(APPROVAL.replace("decision: approved", "decision: approve"))
    assert str(err) == (
        "governance/a.yaml:6 (decision): Input should be 'approved', 'rejected' or "
        "'conditional' (got 'approve') — did you mean 'approved'?")
    assert (err.file, err.line, err.field) == ("governance/a.yaml", 6, "decision")


def test_yaml_boolean_gets_a_quoting_hint() -> None:
    err = _error(APPROVAL.replace("decision: approved", "decision: yes"))
    assert err.line == 6 and "YAML reads yes/no" in str(err)


def test_unknown_field_suggests_the_right_name() -> None:
    # one problem: `approver` is not missing, it is misspelt
    err = _error(APPROVAL.replace("approver:", "aprover:"))
    assert str(err) == "governance/a.yaml:4 (aprover): unknown field — did you mean `approver`?"
    assert (err.line, err.field) == (4, "aprover") and err.problems == [err]


def test_every_problem_of_every_record_is_listed_with_its_line_field_and_fix() -> None:
    text = ("kind: approval\nmodel: churn\napprover: rita\ndecision: ok\n"
            "decided_at: yesterday\n---\nkind: alert\nmodel: churn@v1\nmetirc: psi\n"
            "at: 2026-01-01\n---\nkind: alert\nmodel: churn@v1\nmetric: psi\nat: 2026-01-01\n")
    err = _error(text)
    assert [(p.line, p.field, p.hint) for p in err.problems] == [
        (2, "model", "write model versions as name@version, e.g. churn@v1.1.0"),
        (4, "decision", "use one of the values listed"),  # nothing close to 'ok'
        (5, "decided_at", "write a date that exists, in ISO 8601: 2026-01-20 or "
                          "2026-01-20T10:00:00Z"),
        (9, "metirc", "did you mean `metric`?")]
    # the error is the first problem's place; its message lists them all, each with its fix
    assert (err.file, err.line, err.field, err.hint) == ("governance/a.yaml", 2, "model", None)
    assert str(err).splitlines() == [str(p) for p in err.problems]
    assert str(err).splitlines()[1] == ("governance/a.yaml:4 (decision): Input should be "
                                        "'approved', 'rejected' or 'conditional' (got 'ok') — "
                                        "use one of the values listed")


def test_missing_field_points_at_the_record() -> None:
    err = _error("# header\n\n" + APPROVAL.replace("approver: alice\n", ""))
    assert str(err) == ("governance/a.yaml:3 (approver): required field is missing — add "
                        "`approver:` to the record (see schemas/records/)")


def test_model_ref_must_be_name_at_version() -> None:
    err = _error(APPROVAL.replace("churn@v1.1.0", "churn"))
    assert str(err) == ("governance/a.yaml:2 (model): expected a model version as name@version "
                        "(got 'churn') — write model versions as name@version, e.g. "
                        "churn@v1.1.0")


def test_error_in_second_record_of_a_list_and_nested_field() -> None:
    text = """\
- kind: alert
  model: churn@v1
  metric: psi
  at: 2026-01-05
- kind: run
  inputs:
    - path: data/train.csv
      hash: md5:not-hex
"""
    err = _error(text)
    assert (err.line, err.field) == (8, "inputs.0.hash")
    assert "expected a hash as algorithm:hex" in str(err)


def test_error_in_second_yaml_document() -> None:
    text = APPROVAL + "---\nkind: deployment\nmodel: churn@v1\nenvironment: prod\n"
    err = _error(text)
    assert (err.line, err.field) == (10, "deployed_at")


def test_unknown_kind_and_bad_yaml() -> None:
    assert str(_error("kind: aproval\n")) == ("governance/a.yaml:1 (kind): unknown record kind "
                                              "'aproval' — did you mean `approval`?")
    err = _error("kind: approval\nmodel: [churn@v1\n")
    assert err.file == "governance/a.yaml" and err.line == 3 and "not valid YAML" in str(err)
    assert "must be a mapping" in str(_error("- just a string\n"))


def test_document_needs_a_target() -> None:
    err = _error("kind: document\ndoc_kind: model_card\nuri: docs/card.md\n")
    assert "a document needs `model: name@version` or `model_group: name`" in str(err)


# -- ids and mapping ---------------------------------------------------------------------------
def test_derived_id_is_content_hash_and_stable_across_formatting() -> None:
    a = parse_text(APPROVAL, "a.yaml")[0].record
    b = parse_text("# reordered, quoted\n" + "\n".join(reversed(APPROVAL.splitlines()))
                   .replace("2026-01-20T10:00:00Z", "'2026-01-20T10:00:00+00:00'"), "b.yaml")[0]
    assert node_id_of(a) == node_id_of(b.record)
    assert node_id_of(a).startswith("approval:") and len(node_id_of(a)) == len("approval:") + 16
    c = parse_text(APPROVAL.replace("alice", "bob"), "c.yaml")[0].record
    assert node_id_of(c) != node_id_of(a)
    given = parse_text("id: churn-prod\n" + APPROVAL, "d.yaml")[0].record
    assert node_id_of(given) == "approval:churn-prod"


def test_to_yaml_round_trips_to_the_same_record() -> None:
    for d in _example_docs():
        rec = RECORD_MODELS[d["kind"]].model_validate(d)
        again = parse_text(to_yaml(rec), "x.yaml")[0].record
        assert again == rec and node_id_of(again) == node_id_of(rec)


def _edges(facts: list[Node | Edge]) -> set[tuple[str, str, str]]:
    return {(f.kind.value, f.source, f.target) for f in facts if isinstance(f, Edge)}


def test_mapping_of_every_example_follows_the_design_edges() -> None:
    facts = []
    for d in _example_docs():
        facts += to_facts(RECORD_MODELS[d["kind"]].model_validate(d), record_file="f.yaml",
                          repository="repository:github.com/acme/churn")
    for f in facts:
        if isinstance(f, Node):
            validate_node(f)  # attrs agree with lineage.model
    edges = _edges(facts)
    v10, v11 = "model:churn@v1.0.0", "model:churn@v1.1.0"
    run = "run:lineage:7b0c4f0e9a7d4a55b7c1d2e3f4a5b6c7"
    expected = {
        ("approves", "approval:churn-v1.1.0-prod", v11),
        ("assesses", "risk_assessment:churn-2026", "model_group:churn"),
        ("deployed_as", v11, "deployment:churn:prod:2026-01-21T08:00:00Z"),
        ("alerts", "alert:churn-psi-2026-01-05", v10),
        ("triggers", "alert:churn-psi-2026-01-05", "retraining:churn-v1.1.0"),
        ("retrains", v10, "retraining:churn-v1.1.0"),
        ("retrains", "retraining:churn-v1.1.0", v11),
        ("retrains", "retraining:churn-v1.1.0", run),
        ("documents", "document:churn-model-card-v1.1.0", v11),
        ("documents", "document:churn-transparency-notice", "model_group:churn"),
        ("code", "commit:4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", run),
        ("input", "data:github.com/acme/churn:data/train.csv@md5:3a9f1c2b4d5e6f708192a3b4c5d6e7f8",
         run),
        ("produced", run, v11),
        ("version_of", v11, "model_group:churn"),
        ("version_of", v10, "model_group:churn"),
    }
    assert expected <= edges, expected - edges
    inp = next(f for f in facts if isinstance(f, Edge) and f.kind == EdgeKind.INPUT)
    assert inp.attrs["pin"] == "strong"
    code = next(f for f in facts if isinstance(f, Edge) and f.kind == EdgeKind.CODE)
    assert code.attrs == {"dirty": False}
    nodes = {f.id: f for f in facts if isinstance(f, Node)}
    # governance records never describe model versions: those stay for harvesters (or runs)
    assert v10 not in nodes
    assert nodes[v11].attrs["artifact_hash"] == "md5:0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert nodes[run].kind == NodeKind.RUN and nodes[run].attrs["source"] == "lineage"
    appr = nodes["approval:churn-v1.1.0-prod"].attrs
    assert appr["model"] == v11 and appr["record_file"] == "f.yaml"
    assert appr["decided_at"] == "2026-01-20T10:00:00Z"


def test_input_without_hash_is_an_unpinned_input() -> None:
    rec = parse_text("kind: run\nid: r1\ninputs:\n  - path: s3://bucket/x.parquet\n",
                     "r.yaml")[0].record
    inp = next(f for f in to_facts(rec) if isinstance(f, Edge) and f.kind == EdgeKind.INPUT)
    assert inp.attrs["pin"] == "none" and inp.source.endswith("@unversioned")


def test_every_record_example_in_the_user_guide_is_valid() -> None:
    import re

    text = (ROOT / "docs" / "records.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("kind:")]
    assert {yaml.safe_load(b)["kind"] for b in blocks} == set(RECORD_MODELS)
    for b in blocks:
        assert parse_text(b, "docs/records.md")


def test_file_schema_accepts_every_example_file() -> None:
    from referencing import Registry, Resource

    schemas = record_schemas()
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    validator = jsonschema.Draft202012Validator(schemas["file.schema.json"], registry=registry)
    files = [p for p in sorted(EXAMPLES.rglob("*")) if p.suffix in (".yaml", ".json")]
    for p in files:
        for doc in yaml.safe_load_all(p.read_text()):
            validator.validate(_jsonable(doc))
    assert not validator.is_valid({"kind": "approval"})
    assert not validator.is_valid([{"kind": "nope"}])


# -- text fields are never blank; dates in order; impossible dates name their line ----------------
def _text_fields(model: type) -> list[tuple[str, bool]]:
    """(name, required) of the free-text fields of a record model, from its JSON Schema:
    strings without pattern, format or enum."""
    schema = model.model_json_schema()
    out = []
    for name, prop in schema["properties"].items():
        variants = prop.get("anyOf", [prop])
        text = [v for v in variants if v.get("type") == "string"]
        if name != "kind" and text and not any(k in text[0] for k in ("pattern", "format",
                                                                      "enum", "const")):
            out.append((name, name in schema.get("required", [])))
    return out


@pytest.mark.parametrize("blank", ["", " ", "\t"])
@pytest.mark.parametrize("doc", _example_docs(), ids=lambda d: d["kind"])
def test_no_text_field_of_any_record_may_be_blank(doc: dict, blank: str) -> None:
    model = RECORD_MODELS[doc["kind"]]
    fields = _text_fields(model)
    assert ("approver", True) in fields if doc["kind"] == "approval" else fields
    for name, required in fields:
        text = yaml.safe_dump({**doc, name: blank}, sort_keys=False, width=1000)
        err = _error(text)
        line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith(f"{name}:"))
        assert (err.field, err.line) == (name, line), str(err)
        assert f"({name}): must not be empty or only whitespace (got {blank!r})" in str(err)
        assert str(err).endswith(f"`{name}` needs a value" if required
                                 else f"write a value, or leave `{name}` out")


def test_blank_nested_run_fields_are_refused() -> None:
    err = _error("kind: run\nid: r1\ninputs:\n  - path: ' '\n")
    assert (err.line, err.field) == (4, "inputs.0.path")
    assert "needs a value" in str(err)


@pytest.mark.parametrize("text,line,field", [
    (APPROVAL.replace("2026-01-20T10:00:00Z", "2026-02-30"), 7, "decided_at"),
    (APPROVAL.replace("2026-01-20T10:00:00Z", "2026-01-20T25:00:00Z"), 7, "decided_at"),
    ("kind: risk_assessment\nmodel_group: churn\ntier: high\nassessed_at: 2026-01-10\n"
     "next_review: 2026-13-01\n", 5, "next_review"),
])
def test_an_impossible_unquoted_date_names_file_line_field(text: str, line: int,
                                                            field: str) -> None:
    err = _error(text)
    assert (err.file, err.line, err.field) == ("governance/a.yaml", line, field)
    assert "Input should be a valid datetime or date" in str(err)
    assert "write a date that exists, in ISO 8601" in str(err)


@pytest.mark.parametrize("text,field,earlier", [
    ("kind: deployment\nmodel: churn@v1\nenvironment: prod\ndeployed_at: 2026-01-20\n"
     "retired_at: 2025-01-01\n", "retired_at", "deployed_at"),
    ("kind: risk_assessment\nmodel_group: churn\ntier: high\nassessed_at: 2026-01-01\n"
     "next_review: 2020-01-01\n", "next_review", "assessed_at"),
])
def test_an_end_before_its_start_is_refused(text: str, field: str, earlier: str) -> None:
    err = _error(text)
    assert (err.line, err.field) == (5, field)
    assert str(err).startswith(f"governance/a.yaml:{err.line} ({field}): {field} is before "
                               f"{earlier} ")
    assert "check both dates" in str(err)
    # the same day is not before it
    same = text.replace("2025-01-01", "2026-01-20").replace("2020-01-01", "2026-01-01")
    assert parse_text(same, "a.yaml")


def test_parse_file_and_check_files_take_str_and_pathlike(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # the public API takes what a Python user has at hand: a str from argv or a config, a Path
    import os

    from lineage.records import check_files, parse_file, record_files

    class Where(os.PathLike[str]):  # any PathLike, not just pathlib
        def __init__(self, p: Path) -> None:
            self.p = p

        def __fspath__(self) -> str:
            return str(self.p)

    gov = tmp_path / "governance"
    gov.mkdir()
    (gov / "a.yaml").write_text(APPROVAL)
    expected = parse_file(gov / "a.yaml", tmp_path)
    assert [r.file for r in expected] == ["governance/a.yaml"]
    for f, root in [(str(gov / "a.yaml"), str(tmp_path)), (Where(gov / "a.yaml"), Where(tmp_path))]:
        got = parse_file(f, root)
        assert [(r.node_id, r.file, r.line) for r in got] == [
            (r.node_id, r.file, r.line) for r in expected]
    monkeypatch.chdir(tmp_path)
    assert [r.file for r in parse_file("governance/a.yaml", ".")] == ["governance/a.yaml"]
    assert record_files("governance") == [Path("governance/a.yaml")]
    from lineage.records import write_schemas

    assert write_schemas("out") and Path("out/schemas/records/approval.schema.json").is_file()
    result = check_files(["governance"], ".")
    assert result.ok and result.files == 1 and [r.file for r in result.records] == [
        "governance/a.yaml"]


def test_a_file_that_is_not_utf8_names_its_line_and_how_to_fix_it(tmp_path: Path) -> None:
    from lineage.records import parse_file

    f = tmp_path / "governance" / "a.yaml"
    f.parent.mkdir()
    f.write_bytes(b"kind: alert\nmodel: churn@v1\nmetric: psi\nat: 2026-01-01\n"
                  b"description: caf\xe9\n")
    with pytest.raises(InputError) as exc:
        parse_file(f, tmp_path)
    assert exc.value.file == "governance/a.yaml" and exc.value.line == 5
    assert "not UTF-8 text (byte 0xe9 at offset 71)" in exc.value.message
    assert exc.value.hint is not None and "UTF-8" in exc.value.hint


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e400"])
@pytest.mark.parametrize("field", ["value", "threshold"])
def test_an_alert_value_that_is_no_number_is_refused(field: str, value: str) -> None:
    # NaN and infinity have no JSON: the record would read as one without a value, and two
    # different alerts would get one id
    err = _error("kind: alert\nmodel: churn@v1\nmetric: psi\nat: 2026-01-01\n"
                 f"{field}: {value}\n")
    assert err.line == 5 and err.field == field
    assert "finite number" in err.message


@pytest.mark.parametrize("uri", ["../outside.md", "/srv/docs/card.md", "docs/../../card.md"])
def test_a_document_outside_the_repository_is_a_warning(tmp_path: Path, uri: str) -> None:
    from lineage.records import DocumentRecord, check_document

    rec = DocumentRecord(kind="document", doc_kind="model_card", uri=uri, model="churn@v1")
    out, warning = check_document(rec, tmp_path)
    assert out.content_hash is None
    # named as recorded: normalized (docs/../../card.md is ../card.md)
    assert warning is not None and "outside the repository" in warning and rec.uri in warning
    assert ".." not in rec.uri.split("/")[1:]


def test_a_url_is_not_fetched_and_not_warned_about(tmp_path: Path) -> None:
    from lineage.records import DocumentRecord, check_document

    rec = DocumentRecord(kind="document", doc_kind="model_card",
                         uri="https://wiki.example.com/churn", model="churn@v1")
    assert check_document(rec, tmp_path) == (rec, None)


def test_one_run_giving_one_model_version_two_sets_of_bytes_is_refused() -> None:
    # the last one won silently, and both files were the version's artifact
    err = _error("kind: run\nid: r1\nmodels:\n"
                 "  - {name: churn, version: v2, path: a.pkl, hash: 'md5:" + "1" * 32 + "'}\n"
                 "  - {name: churn, version: v2, path: b.pkl, hash: 'md5:" + "2" * 32 + "'}\n")
    assert err.field == "models" and err.line == 3
    assert "churn@v2" in err.message and "a.pkl" in err.message and "b.pkl" in err.message
    assert err.hint == "give each model file its own version (a model version is immutable)"
    # the same bytes twice is one model
    assert parse_text("kind: run\nid: r1\nmodels:\n"
                      "  - {name: churn, version: v2, hash: 'md5:" + "1" * 32 + "'}\n"
                      "  - {name: churn, version: v2, hash: 'md5:" + "1" * 32 + "'}\n", "g.yaml")
