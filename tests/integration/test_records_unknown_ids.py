"""Ids a record links to that the store does not hold: an approval's ``--deployment``, a
retraining's ``--run`` and ``--alert``, the record a correction ``supersedes``.

An auditor follows these links: one to nothing is said (a warning naming the flag, or the
file, line and field), and one a typing slip from an id the store holds is refused before
anything is written, as a mistyped model name is (``--allow-new`` records it). In governance
files the harvest warns and goes on; ``lineage record validate`` refuses a slip (exit 1).
Every problem of one command is shown at once."""

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
RETRAIN = ["retraining", "--trigger", "drift", "--previous", "churn@v1.0.0", "--new",
           "churn@v1.1.0"]


def _record(demo: Path, *args: str):
    return runner.invoke(app, ["record", *args, "-C", str(demo)])


def _state(demo: Path) -> tuple[tuple[int, str], list[Path]]:
    store = api.open_store(demo)
    try:
        return store.head(), sorted((demo / "governance").rglob("*"))
    finally:
        store.close()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _a_run(demo: Path) -> str:
    store = api.open_store(demo)
    try:
        return store.node_ids("run")[0]
    finally:
        store.close()


@pytest.mark.parametrize(("args", "flag", "meant"), [
    ([*RETRAIN, "--alert", "churn-psi-2026-01-O9"], "--alert", "churn-psi-2026-01-09"),
    (["approval", "--model", "churn@v1.1.0", "--env", "prod", *RITA, "--deployment",
      "churn-prod-2026-01-2O"], "--deployment", "churn-prod-2026-01-20"),
    (["approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver", "max@example.com",
      "--prop", "supersedes=churn-v1.0.0-prod-led"], "--prop supersedes",
     "churn-v1.0.0-prod-lead"),
    (["alert", "--model", "churn@v1.1.0", "--metric", "psi", "--prop",
      "supersedes=alert:churn-psi-2026-01-2l"], "--prop supersedes",
     "alert:churn-psi-2026-01-21"),
])
def test_an_id_one_typo_from_a_stored_one_is_refused_and_nothing_is_written(
        quickstart_demo: Path, args: list[str], flag: str, meant: str) -> None:
    demo = quickstart_demo
    before = _state(demo)
    res = _record(demo, *args, "--write-file")
    assert res.exit_code == 2, res.output
    err = _flat(res.stderr)
    assert f"error: command line ({flag}): the lineage store knows no" in err
    assert f"it reads as a typo of {meant!r}" in err
    assert f"hint: did you mean {meant!r}?" in err and "record it with --allow-new" in err
    assert res.stdout == "" and _state(demo) == before  # no event, no file
    res = _record(demo, *args, "--allow-new", "--json")  # meant: recorded without a word
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""


def test_a_run_or_alert_the_store_does_not_hold_is_recorded_with_a_warning_naming_the_flag(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    res = _record(demo, *RETRAIN, "--run", "run:mlflow:localhost:4c1d", "--alert",
                  "churn-drift-2026-03-01", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["warnings"]) == 2
    run, alert = out["warnings"]
    assert run.startswith("command line (--run): the lineage store knows no run "
                          "'run:mlflow:localhost:4c1d' (known: run:lineage:")
    assert run.endswith("a link to nothing, which the audit reports (lineage-continuity) "
                        "until a harvest or a record adds it")
    assert alert == ("command line (--alert): the lineage store knows no alert "
                     "'churn-drift-2026-03-01' (known: churn-psi-2026-01-09, "
                     "churn-psi-2026-01-21): a link to nothing, which the audit reports "
                     "(lineage-continuity) until a harvest or a record adds it; did you mean "
                     "'churn-psi-2026-01-09'?")
    assert all(f"warning: {w}" in _flat(res.stderr) for w in out["warnings"])
    # the record is there, linking to what it said
    store = api.open_store(demo)
    try:
        node = store.get_node(out["node"])
        assert node is not None and node.attrs["run"] == "run:mlflow:localhost:4c1d"
    finally:
        store.close()


def test_a_correction_of_no_record_is_recorded_with_a_warning(quickstart_demo: Path) -> None:
    res = _record(quickstart_demo, "approval", "--model", "churn@v1.1.0", "--env", "prod",
                  *RITA, "--prop", "supersedes=churn-v1.1.0-prod", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [
        "command line (--prop supersedes): the lineage store knows no approval "
        "'churn-v1.1.0-prod' (known: churn-v1.0.0-prod, churn-v1.0.0-prod-lead, "
        "churn-v1.0.0-staging, churn-v1.0.0-staging-risk, churn-v1.1.0-staging): a correction "
        "of no record corrects nothing, and the audit reports it (lineage-continuity); did "
        "you mean 'churn-v1.0.0-prod'?"]


def test_ids_the_store_holds_are_recorded_without_a_word(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    res = _record(demo, *RETRAIN, "--run", _a_run(demo), "--alert", "churn-psi-2026-01-09",
                  "--prop", "supersedes=retraining:churn-v1.1.0", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""
    res = _record(demo, "approval", "--model", "churn@v1.1.0", "--env", "prod", *RITA,
                  "--deployment", "churn-prod-2026-01-20", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""


def test_every_problem_is_shown_at_once(quickstart_demo: Path) -> None:
    """A typo refused and the other names the store does not know, in one run: fixing the
    typo does not bring up a warning the first run did not show."""
    demo = quickstart_demo
    before = _state(demo)
    res = _record(demo, "retraining", "--trigger", "drift", "--previous", "chrun@v1.0.0",
                  "--new", "churn@v1.2.0", "--run", "run:lineage:0a1b", "--alert",
                  "churn-psi-2026-01-O9")
    assert res.exit_code == 2 and _state(demo) == before
    err = _flat(res.stderr)
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert "error: command line (--previous): the lineage store knows no model group " \
           "'chrun'" in err
    assert "command line (--alert): the lineage store knows no alert 'churn-psi-2026-01-O9'" \
           in err
    # one error listing both typos, each with its fix
    assert "— did you mean 'churn@v1.0.0'?" in err
    assert "— did you mean 'churn-psi-2026-01-09'?" in err
    assert len(errors) == 1
    assert "warning: command line (--new): the lineage store knows no model version " \
           "'churn@v1.2.0'" in err
    assert "warning: command line (--run): the lineage store knows no run 'run:lineage:0a1b'" \
           in err
    # the typos fixed, the same warnings and no others: nothing new to learn on the next run
    res = _record(demo, "retraining", "--trigger", "drift", "--previous", "churn@v1.0.0",
                  "--new", "churn@v1.2.0", "--run", "run:lineage:0a1b", "--alert",
                  "churn-psi-2026-01-09", "--json")
    assert res.exit_code == 0, res.output
    assert [w.split(":", 1)[0] for w in json.loads(res.stdout)["warnings"]] == [
        "command line (--new)", "command line (--run)"]


def test_a_refused_typo_also_names_a_correction_only_its_approver_may_make(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    before = _state(demo)
    res = _record(demo, "approval", "--model", "chrun@v1.0.0", "--env", "prod", "--approver",
                  "sam@example.com", "--prop", "supersedes=churn-v1.0.0-prod")
    assert res.exit_code == 2 and _state(demo) == before
    err = _flat(res.stderr)
    assert "error: command line (--model): the lineage store knows no model group 'chrun'" in err
    assert "command line (--prop supersedes): approval churn-v1.0.0-prod was decided by " \
           "rita@example.com: only rita@example.com may correct it" in err


def test_the_python_api_carries_the_other_problems_with_the_typo(quickstart_demo: Path) -> None:
    from lineage.records import RetrainingRecord, UnknownNameError, emit

    rec = RetrainingRecord(kind="retraining", trigger="drift", previous_model="churn@v1.0.0",
                           new_model="churn@v1.1.0", run="run:lineage:0a1b",
                           alert="churn-psi-2026-01-O9")
    with pytest.raises(UnknownNameError) as err:
        emit(rec, quickstart_demo)
    assert [u.field for u in err.value.unknown] == ["alert"]
    assert [u.field for u in err.value.new] == ["run"]
    assert err.value.warnings == [err.value.new[0].warning()]
    assert err.value.hint == ("did you mean 'churn-psi-2026-01-09'? If 'churn-psi-2026-01-O9' "
                              "is meant (e.g. recorded or harvested later), record it with "
                              "allow_new=True")


def test_an_empty_store_links_to_any_id_without_a_word(churn_repo: GitRepo) -> None:
    """A CI job's fresh store (`lineage init`, nothing harvested) holds nothing to compare
    with: the harvest that brings the run comes later."""
    res = runner.invoke(app, ["record", *RETRAIN, "--run", "run:mlflow:localhost:4c1d",
                              "--alert", "churn-psi-1", "-C", str(churn_repo.path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [] and res.stderr == ""


# -- governance files --------------------------------------------------------------------------
FIX = """\
- kind: approval
  id: fix-1
  model: chrun@v1.1.0
  environment: prod
  approver: max@example.com
  decision: approved
  decided_at: 2026-01-25T10:00:00Z
  deployment: churn-prod-2026-01-2O
  properties:
    ticket: ML-9
    supersedes: churn-v1.0.0-prod-led
- kind: retraining
  id: fix-2
  trigger: manual
  run: run:lineage:0a1b
  alert: churn-psi-2026-02-01
  new_model: churn@v1.2.0
"""

# ids that are only in the files of the same harvest, and a version not registered yet
TOGETHER = """\
- kind: alert
  id: churn-psi-2026-03-01
  model: churn@v1.1.0
  metric: psi
  at: 2026-03-01T06:00:00Z
- kind: retraining
  id: churn-v1.2.0
  trigger: drift
  alert: churn-psi-2026-03-01
  previous_model: churn@v1.1.0
  new_model: churn@v1.2.0
- kind: approval
  id: churn-v1.2.0-staging
  model: churn@v1.2.0
  environment: staging
  approver: ada@example.com
  decision: approved
  decided_at: 2026-03-02T10:00:00Z
- kind: approval
  id: churn-v1.2.0-staging-2
  model: churn@v1.2.0
  environment: staging
  approver: ada@example.com
  decision: rejected
  decided_at: 2026-03-03T10:00:00Z
  properties: {supersedes: churn-v1.2.0-staging}
"""


def test_the_harvest_warns_of_each_unknown_id_with_file_line_and_field_and_goes_on(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    (demo / "governance" / "fix.yaml").write_text(FIX)
    (demo / "governance" / "together.yaml").write_text(TOGETHER)
    res = runner.invoke(app, ["harvest", "-C", str(demo), "--only", "records", "--json"])
    assert res.exit_code == 0, res.output
    said = {(w["file"], w["line"], w["field"]): w["message"]
            for w in json.loads(res.stdout)["warnings"]}
    assert sorted(said) == [  # together.yaml: each id is in the harvest, v1.2.0 not yet tagged
        ("governance/fix.yaml", 3, "model"), ("governance/fix.yaml", 8, "deployment"),
        ("governance/fix.yaml", 11, "properties.supersedes"),
        ("governance/fix.yaml", 15, "run"), ("governance/fix.yaml", 16, "alert")]
    assert said[("governance/fix.yaml", 3, "model")].endswith(
        "it reads as a typo of 'churn@v1.1.0'")
    assert said[("governance/fix.yaml", 11, "properties.supersedes")] == (
        "the lineage store knows no approval 'churn-v1.0.0-prod-led' (known: churn-v1.0.0-prod, "
        "churn-v1.0.0-prod-lead, churn-v1.0.0-staging, churn-v1.0.0-staging-risk, "
        "churn-v1.1.0-staging, churn-v1.2.0-staging, churn-v1.2.0-staging-2): a correction of "
        "no record corrects nothing, and the audit reports it (lineage-continuity); it reads "
        "as a typo of 'churn-v1.0.0-prod-lead'")
    assert said[("governance/fix.yaml", 15, "run")].startswith(
        "the lineage store knows no run 'run:lineage:0a1b' (known: run:lineage:")
    # harvested all the same, the links as written
    store = api.open_store(demo)
    try:
        assert store.get_node("approval:fix-1") is not None
        assert store.get_node("retraining:fix-2") is not None
    finally:
        store.close()
    # the text summary names file:line and field too
    (demo / "governance" / "fix2.yaml").write_text(FIX.replace("fix-", "fix2-"))
    res = runner.invoke(app, ["harvest", "-C", str(demo), "--only", "records"])
    assert res.exit_code == 0, res.output
    assert "[records] governance/fix2.yaml:15, field run: the lineage store knows no run " \
           "'run:lineage:0a1b'" in _flat(res.output)


def _validate(repo: Path, *args: str):
    return runner.invoke(app, ["record", "validate", "-C", str(repo), *args, "--json"])


def test_validate_refuses_an_id_one_typo_from_a_known_one(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    (demo / "governance" / "fix.yaml").write_text(FIX)
    res = _validate(demo)
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert [(e["file"], e["line"], e["field"]) for e in out["errors"]] == [
        ("governance/fix.yaml", 3, "model"), ("governance/fix.yaml", 8, "deployment"),
        ("governance/fix.yaml", 11, "properties.supersedes")]
    assert out["errors"][1]["hint"] == (
        "did you mean 'churn-prod-2026-01-20'? If 'churn-prod-2026-01-2O' is meant (e.g. "
        "recorded or harvested later), check it with --allow-new")
    assert out["errors"][1]["message"].startswith(
        "governance/fix.yaml:8 (deployment): the lineage store and the files checked know no "
        "deployment 'churn-prod-2026-01-2O'")
    # with the store: the ids it does not hold are warnings
    assert [w.split(": ", 1)[0] for w in out["warnings"]] == [
        "governance/fix.yaml:15 (run)", "governance/fix.yaml:16 (alert)"]
    res = _validate(demo, "--allow-new")
    assert res.exit_code == 0, res.output
    assert [w.split(": ", 1)[0] for w in json.loads(res.stdout)["warnings"]] == [
        "governance/fix.yaml:3 (model)", "governance/fix.yaml:8 (deployment)",
        "governance/fix.yaml:11 (properties.supersedes)", "governance/fix.yaml:15 (run)",
        "governance/fix.yaml:16 (alert)"]


def test_validate_without_a_store_checks_the_files_against_each_other(
        governance_repo: GitRepo) -> None:
    """A pull request's CI job has no store: an id the files do not define may be in the
    store (not said), one a slip from an id they define is an error."""
    import shutil

    repo = governance_repo.path
    shutil.rmtree(repo / ".lineage")
    res = _validate(repo)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    (repo / "governance" / "fix.yaml").write_text(
        "kind: retraining\ntrigger: drift\nalert: churn-psi-2026-01-5\n"
        "run: run:lineage:0a1b\n")
    res = _validate(repo)
    assert res.exit_code == 0, res.output  # digits alone differ: a new id, not a typo
    assert json.loads(res.stdout)["warnings"] == []
    (repo / "governance" / "fix.yaml").write_text(
        "kind: retraining\ntrigger: drift\nalert: churn-psl-2026-01-05\n")
    res = _validate(repo)
    assert res.exit_code == 1, res.output
    [error] = json.loads(res.stdout)["errors"]
    assert (error["line"], error["field"]) == (3, "alert")
    assert "the files checked know no alert 'churn-psl-2026-01-05' (known: " \
           "churn-psi-2026-01-05)" in error["message"]
