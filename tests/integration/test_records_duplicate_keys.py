"""A key given twice in a governance record file (YAML or JSON) is an error naming the file and
line of the second: YAML and JSON readers keep the last value silently, so an approval written
`approver: alice` and later `approver: bob` would be read as bob without a word."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.errors import InputError
from lineage.records import parse_text
from tests.conftest import GitRepo, store_state

runner = CliRunner()

APPROVAL = ("kind: approval\nmodel: churn@v1.1.0\napprover: alice\ndecision: approved\n"
            "decided_at: 2026-02-01\n")
TWICE = APPROVAL + "approver: bob\n"  # line 6; the first on line 3


@pytest.fixture
def repo(governance_repo: GitRepo) -> GitRepo:
    return governance_repo


def test_validate_lists_the_file_and_line_of_the_second_key(repo: GitRepo) -> None:
    repo.write("governance/approval.yaml", TWICE)
    res = runner.invoke(app, ["record", "validate", "-C", str(repo.path)])
    assert res.exit_code == 1, res.output
    assert ("error: governance/approval.yaml:6 (approver): field approver given twice (first "
            "on line 3)") in res.stderr.splitlines()
    out = runner.invoke(app, ["record", "validate", "-C", str(repo.path), "--json"])
    assert [(e["file"], e["line"], e["field"]) for e in json.loads(out.stdout)["errors"]] == [
        ("governance/approval.yaml", 6, "approver")]


def test_harvest_fails_and_the_store_is_unchanged(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["records"])
    before = store_state(repo)
    repo.write("governance/approval.yaml", TWICE)
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: governance/approval.yaml:6 (approver): field approver "
                                 "given twice (first on line 3)"), res.stderr
    assert "Traceback" not in res.output
    assert store_state(repo) == before
    # the file fixed: harvested
    repo.write("governance/approval.yaml", APPROVAL)
    assert runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"]
                         ).exit_code == 0


@pytest.mark.parametrize("text,line,field,first", [
    # a nested mapping
    (APPROVAL + "properties:\n  ticket: A-1\n  ticket: A-2\n", 8, "properties.ticket", 7),
    # the second document of a multi-document file
    (APPROVAL + "---\n" + TWICE.replace("alice", "carol"), 12, "approver", 9),
    # the second record of a list
    ("- " + APPROVAL.replace("\n", "\n  ").rstrip() + "\n- " +
     TWICE.replace("\n", "\n  ").rstrip().replace("alice", "carol") + "\n", 11, "approver", 8),
    # JSON as YAML reads it
    ('{"kind": "approval", "model": "churn@v1.1.0", "approver": "alice",\n'
     ' "decision": "approved", "decided_at": "2026-02-01",\n "approver": "bob"}\n',
     3, "approver", 1),
    # JSON that is not YAML (a tab before the top level): read by json, which keeps the last
    # silently
    ('\t{\n\t"kind": "approval",\n\t"model": "churn@v1.1.0",\n\t"approver": "alice",\n'
     '\t"decision": "approved",\n\t"decided_at": "2026-02-01",\n\t"approver": "bob"\n}\n',
     7, "approver", 4),
    ('\t[\n\t{"kind": "alert", "model": "churn@v1.1.0", "metric": "psi", "at": "2026-01-01"},\n'
     '\t{"kind": "alert", "model": "churn@v1.1.0", "metric": "psi", "at": "2026-01-02",\n'
     '\t "properties": {"a": {"x": 1}, "x": 2, "x": 3}}\n]\n', 4, "properties.x", 4),
])
def test_the_key_given_twice_is_named_with_its_line(text: str, line: int, field: str,
                                                    first: int) -> None:
    file = "governance/r.json" if text.lstrip().startswith(("{", "[")) else "governance/r.yaml"
    with pytest.raises(InputError) as exc:
        parse_text(text, file)
    err = exc.value
    assert (err.file, err.line, err.field) == (file, line, field), str(err)
    assert f"field {field} given twice (first on line {first})" in str(err)


@pytest.mark.parametrize("text", [
    # the same keys in two records of a list, or two documents of a file
    "- " + APPROVAL.replace("\n", "\n  ").rstrip() + "\n- " +
    APPROVAL.replace("\n", "\n  ").rstrip().replace("alice", "carol") + "\n",
    APPROVAL + "---\n" + APPROVAL.replace("alice", "carol"),
    # the same key at two depths
    "- " + APPROVAL.replace("\n", "\n  ").rstrip() + "\n- " +
    APPROVAL.replace("\n", "\n  ").rstrip().replace("alice", "carol") +
    "\n  properties: {approver: x, decision: y}\n",
    # a YAML merge key overridden (YAML's own way to say "this one instead")
    "- &b\n  kind: approval\n  model: churn@v1.1.0\n  approver: alice\n  decision: approved\n"
    "  decided_at: 2026-02-01\n- <<: *b\n  approver: carol\n",
])
def test_the_same_key_in_different_mappings_is_fine(text: str) -> None:
    assert len(parse_text(text, "governance/r.yaml")) == 2


@pytest.mark.parametrize("text", [
    '\t[\n\t{"kind": "alert", "model": "churn@v1.1.0", "metric": "psi", "at": "2026-01-01"},\n'
    '\t{"kind": "alert", "model": "churn@v1.1.0", "metric": "psi", "at": "2026-01-02"}\n]\n',
])
def test_json_records_without_repeats_read_as_before(text: str) -> None:
    assert [r.line for r in parse_text(text, "governance/r.json")] == [1, 1]


def test_a_file_cached_before_the_check_is_checked_once_more(repo: GitRepo) -> None:
    """A store harvested before keys given twice were refused cached such a file as parsed:
    the cache of parsed record files is keyed by the parser's version, so it is read again."""
    from connectors.harvesters.records import blob_sha

    repo.write("governance/approval.yaml", TWICE)
    store = api.open_store(repo.path)
    try:
        with store.transaction():  # what the harvester before the check cached for the file
            key = f"{blob_sha(TWICE.encode())}:governance/approval.yaml"
            store.cache_put_many("records:v2", [(key, [])])
    finally:
        store.close()
    before = store_state(repo)
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 2 and "given twice" in res.stderr, res.output
    assert store_state(repo) == before
