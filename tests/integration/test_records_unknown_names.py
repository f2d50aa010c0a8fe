"""`lineage record …` naming a model version, group or environment the store does not know.

A record is immutable: a typo in its model name stays a lineage-continuity finding that no
correction closes. A name one typing slip from a known one is refused before anything is
written (``--allow-new`` records it); any other unknown name is recorded with a warning
(a version registered after its approval, in CI); an empty store says nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

RITA = ["--approver", "rita@example.com", "--role", "risk-officer", "--evidence", "JIRA-1"]


def _record(demo: Path, *args: str):
    return runner.invoke(app, ["record", *args, "-C", str(demo)])


def _head(demo: Path) -> tuple[int, str]:
    store = api.open_store(demo)
    try:
        return store.head()
    finally:
        store.close()


@pytest.mark.parametrize(("args", "flag", "meant"), [
    (["approval", "--model", "chrun@v1.1.0", "--env", "prod", *RITA], "--model", "churn@v1.1.0"),
    (["approval", "--model", "churn@v1.1.0", "--env", "prdo", *RITA], "--env", "prod"),
    (["approval", "--model", "churn@V1.1.0", "--env", "prod", *RITA], "--model", "churn@v1.1.0"),
    (["assessment", "--group", "chrun", "--tier", "high"], "--group", "churn"),
    (["deployment", "-m", "churn@v1.1.0", "--environment", "Prod"], "--environment", "prod"),
    (["document", "--type", "bias_report", "--uri", "https://example.com/bias", "--model",
      "churn@v1.1.0", "-g", "chrun"], "-g", "churn"),
])
def test_a_name_one_typo_from_a_known_one_is_refused_and_nothing_is_written(
        quickstart_demo: Path, args: list[str], flag: str, meant: str) -> None:
    demo = quickstart_demo
    head, files = _head(demo), sorted((demo / "governance").rglob("*"))
    res = _record(demo, *args, "--write-file")
    assert res.exit_code == 2, res.output
    assert f"error: command line ({flag}): the lineage store knows no" in res.stderr
    assert f"did you mean {meant!r}?" in res.stderr and "--allow-new" in res.stderr
    assert res.stdout == ""
    assert _head(demo) == head  # no event
    assert sorted((demo / "governance").rglob("*")) == files  # no file either


def test_allow_new_records_it_and_the_audit_names_the_waiver_that_closes_it(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    res = _record(demo, "approval", "--model", "chrun@v1.1.0", "--env", "prod", *RITA,
                  "--decided-at", "2026-01-19T15:00:00Z", "--allow-new", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""
    audit = ["audit", "-C", str(demo), "--as-of", "2026-01-22", "--rule", "lineage-continuity",
             "--format", "json"]
    out = runner.invoke(app, audit)
    assert out.exit_code == 1, out.output
    found = {f["subject"]: f for f in json.loads(out.stdout)["findings"]}
    assert set(found) == {"model:chrun@v1.1.0", "model_group:chrun"}
    for f in found.values():  # a correction cannot close it: the fix is a waiver of the group
        assert "waive this finding in the policy (waivers: rule lineage-continuity, node " \
               "model_group:chrun, owner, reason, expires)" in f["remediation"]
    with (demo / "lineage-policy.yaml").open("a") as policy:
        policy.write("waivers:\n  - rule: lineage-continuity\n    node: model_group:chrun\n"
                     "    owner: rita@example.com\n    reason: typo in an approval\n"
                     "    expires: 2027-06-30\n")
    out = runner.invoke(app, audit)
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["findings"] == [] and len(report["waived"]) == 2


def test_a_new_version_or_environment_is_recorded_with_a_warning(quickstart_demo: Path) -> None:
    """A version registered after its approval (CI records the approval, the harvest that
    reads the GTO tag comes later) and a first environment are recorded: said, not refused."""
    demo = quickstart_demo
    res = _record(demo, "approval", "--model", "churn@v1.2.0", "--env", "canary", *RITA,
                  "--json")
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    assert warnings == [  # each naming the option that gave it
        "command line (--model): the lineage store knows no model version 'churn@v1.2.0' "
        "(versions of churn: v1.0.0, v1.1.0): the audit reports it (lineage-continuity) until "
        "a harvest or a run record describes it; did you mean 'churn@v1.1.0'?",
        "command line (--env): the lineage store knows no environment 'canary' (known: prod, "
        "staging): this is the first record naming it"]
    assert all(f"warning: {w}" in " ".join(res.stderr.split()) for w in warnings)
    # a new model group (not a typo of churn) is recorded too, with a warning
    res = _record(demo, "assessment", "--group", "credit", "--tier", "minimal", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [
        "command line (--group): the lineage store knows no model group 'credit' (known: "
        "churn): the audit reports it (lineage-continuity) until a harvest or a run record "
        "describes it"]


def test_an_empty_store_records_any_name_without_a_word(churn_repo: GitRepo) -> None:
    """A CI job's fresh store (`lineage init`, no harvest) knows no name to compare with."""
    res = runner.invoke(app, ["record", "approval", "--model", "churn@v1.1.0", "--env", "prod",
                              *RITA, "-C", str(churn_repo.path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""


def test_completing_a_record_already_stored_is_not_refused(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    deploy = ["deployment", "--model", "chrun@v1.1.0", "--env", "prod", "--deployed-at",
              "2026-01-21T08:00:00Z"]
    assert _record(demo, *deploy).exit_code == 2
    assert _record(demo, *deploy, "--allow-new").exit_code == 0
    res = _record(demo, *deploy, "--retired-at", "2026-01-21T09:00:00Z")  # its retirement
    assert res.exit_code == 0, res.output


def test_the_python_api_refuses_a_typo_too(quickstart_demo: Path) -> None:
    from lineage.records import ApprovalRecord, UnknownNameError, emit

    rec = ApprovalRecord(kind="approval", model="chrun@v1.1.0", environment="prod",
                         approver="alice", decision="approved", decided_at="2026-01-20")
    before = _head(quickstart_demo)
    with pytest.raises(UnknownNameError) as err:
        emit(rec, quickstart_demo)
    assert (err.value.field, err.value.hint) == (
        "model", "did you mean 'churn@v1.1.0'? If 'chrun' is meant (e.g. registered after "
                 "this record), record it with allow_new=True")
    assert _head(quickstart_demo) == before
    result = emit(rec, quickstart_demo, allow_new=True)
    assert result.node_id.startswith("approval:") and result.warnings == []
