"""`lineage show RECORD`: an approval, alert, retraining, risk assessment, deployment or
document shows its own fields, what it names (each with the command that shows it), its status
as the audit reads it, and the provenance of the model version it is about — the context its
few links upstream do not give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
AT = ("--as-of", "2026-01-22")
V10, V11 = "model:churn@v1.0.0", "model:churn@v1.1.0"
GROUP = "model_group:churn"


def _show(*args: str, columns: int = 200) -> str:
    res = runner.invoke(app, ["show", *args], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.stdout


def _json(*args: str) -> dict[str, Any]:
    return json.loads(_show(*args, "--json"))  # type: ignore[no-any-return]


def _names(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["role"], r["id"]) for r in doc["record"]["names"]}


# (what a user types, its node, the version it is about, some of what it names, a field, status)
RECORDS = [
    ("churn-v1.1.0-staging", "approval:churn-v1.1.0-staging", V11,
     {("model version", V11), ("model group", GROUP)}, ("approver", "ada@example.com"),
     "in force"),
    ("churn-psi-2026-01-09", "alert:churn-psi-2026-01-09", V10,
     {("model version", V10), ("retraining it triggered", "retraining:churn-v1.1.0")},
     ("metric", "psi"), "open"),
    ("churn-v1.1.0", "retraining:churn-v1.1.0", V11,
     {("new version", V11), ("previous version", V10),
      ("triggered by", "alert:churn-psi-2026-01-09")}, ("trigger", "drift"), "counts"),
    ("churn-2026", "risk_assessment:churn-2026", V11,
     {("model group", GROUP), ("latest version", V11)}, ("tier", "high"), "in force"),
    ("churn-prod-2026-01-20", "deployment:churn-prod-2026-01-20", V11,
     {("model version", V11), ("model group", GROUP)}, ("environment", "prod"), "live"),
    ("churn-datasheet", "document:churn-datasheet", V11,
     {("model group", GROUP), ("latest version", V11)}, ("doc_kind", "datasheet"), "counts"),
]


@pytest.mark.parametrize("ref,node,about,names,field,status", RECORDS,
                         ids=[r[1].split(":", 1)[0] for r in RECORDS])
def test_a_record_shows_what_it_is_about(quickstart_demo: Path, ref: str, node: str,
                                         about: str, names: set[tuple[str, str]],
                                         field: tuple[str, str], status: str) -> None:
    doc = _json(ref, *AT)
    assert doc["node"] == node
    rec = doc["record"]
    assert (rec["id"], rec["kind"], rec["about"]) == (node, node.split(":", 1)[0], about)
    assert rec["fields"][field[0]] == field[1]
    assert names <= _names(doc), _names(doc)
    assert rec["audit"]["id"] == node
    assert status == rec["audit"].get("status", rec["audit"].get("state")), rec["audit"]
    # the version's provenance as `show VERSION` reads it: the same run, commit and data
    gov = _json(about.removeprefix("model:"), *AT)["governance"]
    assert rec["context"]["version"] == gov["version"] and rec["context"]["runs"] == gov["runs"]
    assert rec["context"]["risk"] == gov["risk"]
    [run] = gov["runs"]

    out = _show(ref, *AT)
    tree, rest = out.split("\n\n", 1)
    assert tree.splitlines()[0].startswith(node.replace(":", " ", 1)), tree
    assert f"  {field[0].replace('_', ' ')} " in rest and field[1] in rest, rest
    assert "status (audit)" in rest and status in rest, rest
    assert "What it names" in rest
    for _, nid in names:
        assert nid in rest, (nid, rest)
    # the version it is about: its training run, code commit and the data it read
    assert run["id"].split(":", 1)[1] in rest and run["commit"][7:19] in rest, rest
    assert all(i["hash"] in rest for i in run["inputs"]), rest
    assert f"lineage show {about.removeprefix('model:')}" in rest


def test_every_command_a_record_prints_shows_the_node_it_names(quickstart_demo: Path) -> None:
    for ref, *_ in RECORDS:
        for r in _json(ref, *AT)["record"]["names"]:
            typed = r["show"].removeprefix("lineage show ")
            assert _json(typed)["node"] == r["id"], (ref, r)


def test_the_json_adds_record_and_keeps_every_key_it_had(quickstart_demo: Path) -> None:
    """Added, not renamed: a deployment keeps its ``governance``; every record gets
    ``record``; a model version, a commit or data get none."""
    dep = _json("churn-prod-2026-01-20", *AT)
    assert set(dep) == {"ref", "node", "directed", "multigraph", "nodes", "edges",
                        "governance", "record"}
    assert dep["governance"]["version"] == V11
    approval = _json("churn-v1.1.0-staging", *AT)
    assert set(approval) == {"ref", "node", "directed", "multigraph", "nodes", "edges",
                             "record"}
    assert "record" not in _json("churn@v1.1.0", *AT)
    assert "record" not in _json("data/prepared", *AT)


@pytest.mark.parametrize("columns", [80, 100])
def test_a_record_reads_at_80_columns(quickstart_demo: Path, columns: int) -> None:
    """Nothing cut, nothing past the edge: ids, hashes and commands whole."""
    for ref, *_ in RECORDS:
        doc = _json(ref, *AT)
        out = _show(ref, *AT, columns=columns)
        rest = out.split("\n\n", 1)[1]
        assert all(len(x) <= columns for x in rest.splitlines()), rest
        assert "…" not in rest, rest
        words = set(rest.replace("│", " ").split())
        want = {r["id"] for r in doc["record"]["names"]}
        want |= {i["hash"] for r in doc["record"]["context"]["runs"] for i in r["inputs"]}
        want |= {str(v) for v in doc["record"]["fields"].values()
                 if isinstance(v, str) and " " not in v}
        assert want <= words, (sorted(want - words), rest)
        for r in doc["record"]["names"]:
            assert r["show"] in " ".join(rest.split()), (r["show"], rest)


def _record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def test_corrected_and_withdrawn_records_name_each_other(quickstart_demo: Path) -> None:
    v = ("--model", "churn@v1.1.0")
    _record("approval", *v, "--env", "prod", "--approver", "rita@example.com", "--role",
            "risk-officer", "--decided-at", "2026-01-19T15:00:00Z", "--id", "rita-prod")
    _record("approval", *v, "--env", "prod", "--approver", "rita@example.com", "--role",
            "risk-officer", "--decision", "rejected", "--decided-at", "2026-01-19T18:00:00Z",
            "--id", "rita-prod-reject")
    _record("approval", *v, "--env", "staging", "--approver", "omar@example.com", "--role",
            "product-owner", "--decided-at", "2026-01-19T16:00:00Z", "--id", "omar-wrong")
    _record("approval", *v, "--env", "prod", "--approver", "omar@example.com", "--role",
            "product-owner", "--decided-at", "2026-01-19T16:00:00Z", "--id", "omar-prod",
            "--prop", "supersedes=omar-wrong")
    assert ("withdrawn by", "approval:rita-prod-reject") in _names(_json("rita-prod", *AT))
    assert ("withdraws", "approval:rita-prod") in _names(_json("rita-prod-reject", *AT))
    assert ("corrected by", "approval:omar-prod") in _names(_json("omar-wrong", *AT))
    assert ("corrects", "approval:omar-wrong") in _names(_json("omar-prod", *AT))
    out = _show("rita-prod", *AT)
    assert "(withdrawn by rita-prod-reject)" in out.splitlines()[0], out
    assert "withdrawn by rita-prod-reject" in out.split("\n\n", 1)[1]
    out = _show("omar-prod", *AT)
    assert "counts for churn-prod-2026-01-20" in out, out
    # before it was decided, the audit does not count it yet: and show says so
    early = _json("omar-prod", "--as-of", "2026-01-15")["record"]["audit"]
    assert early["status"] != "in force", early


def test_a_record_naming_a_version_nobody_harvested(quickstart_demo: Path) -> None:
    _record("approval", "--model", "ghost@v9", "--env", "prod", "--approver",
            "omar@example.com", "--role", "product-owner", "--id", "ghost-prod")
    doc = _json("ghost-prod", *AT)
    rec = doc["record"]
    assert rec["about"] == "model:ghost@v9" and rec["context"] is None and rec["audit"] is None
    [version] = [r for r in rec["names"] if r["id"] == "model:ghost@v9"]
    assert version["harvested"] is False
    out = _show("ghost-prod", *AT)
    assert "model:ghost@v9 (not harvested)" in out, out
    assert "lineage-continuity" in out, out


def test_as_of_before_the_record_or_its_version_says_so(quickstart_demo: Path) -> None:
    """As `lineage audit --as-of` reads it: a retraining made later is "not made yet"; a
    deployment's version created later did not exist yet; an assessment made before any
    version has none to be read for."""
    early = _json("churn-v1.1.0", "--as-of", "2026-01-05")["record"]
    assert early["audit"]["status"] == "not made yet", early["audit"]
    out = _show("churn-prod-2026-01-20", "--as-of", "2026-01-10")
    assert "churn@v1.1.0 was created 2026-01-14T09:30:00Z, after the as-of time" in out, out
    rec = _json("churn-2026", "--as-of", "2026-01-02")["record"]
    assert rec["about"] is None and rec["context"] is None and rec["as_of"].startswith(
        "2026-01-02")
    out = _show("churn-2026", "--as-of", "2026-01-02")
    assert "no version of the model group was registered as of 2026-01-02" in out, out
