"""`lineage record` naming a known version, deployment, alert or record of another model group
than the record's other names: a monorepo where two teams each have a model named ``fraud``
(GTO artifacts ``teams/a:fraud`` and ``teams/b:fraud``), one letter apart.

The audit never counts such a link (a retraining whose previous version is of another group,
an approval naming a deployment of another version, a retraining following up an alert on
another group, a correction of another group's record), and records are immutable: refused
before anything is written (exit 2), naming the option, the group the name is of and the fix;
``--allow-new`` records it with a warning (a model deliberately moved to another group).

Real git, DVC and GTO (``gto register`` / ``gto assign``), the CLI through typer's runner."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from lineage.errors import InputError
from lineage.records import AlertRecord, RetrainingRecord, UnknownNameError, emit
from tests.conftest import GitRepo

runner = CliRunner()
BIN = Path(sys.executable).parent
RITA = ["--approver", "rita@example.com", "--role", "risk-officer"]
RETRAIN = ["retraining", "--trigger", "manual", "--reason", "lr tuning"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """teams/a:fraud v1.0.0 and v1.1.0, teams/b:fraud v1.0.0 (in prod), harvested; an alert on
    each team's model and one deployment recorded for team A's v1.0.0 in prod."""
    if not (BIN / "gto").exists() or not (BIN / "dvc").exists():
        pytest.skip("gto and dvc are not installed")
    repo = GitRepo(tmp_path_factory.mktemp("monorepo") / "repo")
    repo.run(str(BIN / "dvc"), "init", "-q")
    repo.commit("init")
    for team in ("a", "b"):
        repo.write(f"teams/{team}/models/fraud.pkl", f"{team} v1\n")
        repo.write(f"teams/{team}/dvc.yaml", "artifacts:\n  fraud:\n    path: models/fraud.pkl\n")
        repo.run(str(BIN / "dvc"), "add", "-q", f"teams/{team}/models/fraud.pkl")
    repo.commit("v1")
    repo.run(str(BIN / "gto"), "register", "teams/a:fraud", "--version", "v1.0.0")
    repo.run(str(BIN / "gto"), "register", "teams/b:fraud", "--version", "v1.0.0")
    repo.write("teams/a/models/fraud.pkl", "a v2\n")
    repo.run(str(BIN / "dvc"), "add", "-q", "teams/a/models/fraud.pkl")
    repo.commit("a v2")
    repo.run(str(BIN / "gto"), "register", "teams/a:fraud", "--version", "v1.1.0")
    repo.run(str(BIN / "gto"), "assign", "teams/b:fraud", "--version", "v1.0.0", "--stage",
             "prod")
    for args in (["init"], ["harvest"]):
        res = runner.invoke(app, [*args, "-C", str(repo.path)])
        assert res.exit_code == 0, res.output
    for team in ("a", "b"):
        _ok(repo.path, "alert", "--model", f"teams/{team}:fraud@v1.0.0", "--metric", "psi",
            "--value", "0.31", "--threshold", "0.2", "--id", f"{team}-psi")
    _ok(repo.path, "deployment", "--model", "teams/a:fraud@v1.0.0", "--env", "prod",
        "--deployed-at", "2026-01-05T00:00:00Z", "--id", "a-prod")
    _ok(repo.path, "deployment", "--model", "teams/a:fraud@v1.1.0", "--env", "staging",
        "--deployed-at", "2026-01-06T00:00:00Z", "--id", "a-staging")
    return repo.path


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    return root


def _record(root: Path, *args: str) -> Result:
    return runner.invoke(app, ["record", *args, "-C", str(root)])


def _ok(root: Path, *args: str) -> dict[str, Any]:
    res = _record(root, *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _gto_deployment(root: Path) -> str:
    """The id of the deployment ``gto assign teams/b:fraud … --stage prod`` made, as a user
    copies it from ``lineage export`` (without its ``deployment:`` prefix)."""
    with api.open_store(root) as store:
        [dep] = store.find_nodes("deployment", source="gto")
    assert dep.attrs["model"] == "model:teams/b:fraud@v1.0.0"
    return dep.id.removeprefix("deployment:")


def _state(root: Path) -> tuple[tuple[int, str], list[Path]]:
    with api.open_store(root) as store:
        head = store.head()
    return head, sorted(p for p in root.rglob("*") if "governance" in p.parts)


def _refused(root: Path, *args: str) -> Result:
    """The record refused (exit 2), nothing written: no event, no file."""
    before = _state(root)
    res = _record(root, *args, "--write-file")
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    assert _state(root) == before
    return res


def _findings(root: Path, rule: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(root), "--format", "json", "--rule", rule])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]  # type: ignore[no-any-return]


# -- retraining: previous → new -----------------------------------------------------------------
def test_a_previous_version_of_the_other_team_is_refused(repo: Path) -> None:
    res = _refused(repo, *RETRAIN, "--previous", "teams/b:fraud@v1.0.0", "--new",
                   "teams/a:fraud@v1.1.0")
    [error] = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: command line (--previous): teams/b:fraud@v1.0.0 is a "
                            "version of model group teams/b:fraud, not of teams/a:fraud"), error
    assert "retraining-logged" in error
    assert "did you mean 'teams/a:fraud@v1.0.0'?" in res.stderr
    assert "--allow-new" in res.stderr
    assert "Traceback" not in res.output


def test_the_previous_version_of_the_same_model_is_recorded(repo: Path) -> None:
    out = _ok(repo, *RETRAIN, "--previous", "teams/a:fraud@v1.0.0", "--new",
              "teams/a:fraud@v1.1.0")
    assert out["warnings"] == []
    assert _findings(repo, "retraining-logged") == []


def test_the_new_version_as_its_own_previous_one_is_refused(repo: Path) -> None:
    res = _refused(repo, *RETRAIN, "--previous", "teams/a:fraud@v1.1.0", "--new",
                   "teams/a:fraud@v1.1.0")
    assert "error: command line (--previous): teams/a:fraud@v1.1.0 is the new version " \
           "itself" in res.stderr, res.stderr
    assert "did you mean 'teams/a:fraud@v1.0.0'?" in res.stderr


def test_allow_new_records_a_deliberate_move_and_the_audit_says_the_same(repo: Path) -> None:
    out = _ok(repo, *RETRAIN, "--previous", "teams/b:fraud@v1.0.0", "--new",
              "teams/a:fraud@v1.1.0", "--allow-new")
    [warning] = out["warnings"]
    assert warning.startswith("command line (--previous): teams/b:fraud@v1.0.0 is a version of "
                              "model group teams/b:fraud, not of teams/a:fraud"), warning
    # what the warning says is what the audit says
    [f] = _findings(repo, "retraining-logged")
    assert f["subject"] == "model:teams/a:fraud@v1.1.0"
    assert "a version of another model group (teams/b:fraud), not of teams/a:fraud" in \
        f["message"], f["message"]


def test_a_typo_of_a_group_name_is_said_once_as_a_typo(repo: Path) -> None:
    res = _refused(repo, *RETRAIN, "--previous", "teams/a:fruad@v1.0.0", "--new",
                   "teams/a:fraud@v1.1.0")
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "it reads as a typo of 'teams/a:fraud@v1.0.0'" in errors[0], \
        res.stderr
    assert "model group teams/a:fruad" not in res.stderr


# -- approval naming a deployment ---------------------------------------------------------------
def test_an_approval_naming_the_other_teams_deployment_is_refused(repo: Path) -> None:
    dep = _gto_deployment(repo)
    res = _refused(repo, "approval", "--model", "teams/a:fraud@v1.1.0", "--env", "prod",
                   "--deployment", dep, *RITA)
    [error] = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: command line (--deployment): deployment {dep} deploys "
                            "teams/b:fraud@v1.0.0, a version of model group teams/b:fraud, "
                            "not the approved teams/a:fraud@v1.1.0"), error
    assert "deployment-approved" in error
    # the fix: a deployment of the approved version, or none
    assert "hint: give a deployment of teams/a:fraud@v1.1.0 in prod (none recorded), or none: an " \
           "approval for prod counts for each deployment of teams/a:fraud@v1.1.0 there" in \
        res.stderr, res.stderr


def test_an_approval_of_the_deployed_version_is_recorded(repo: Path) -> None:
    dep = _gto_deployment(repo)
    out = _ok(repo, "approval", "--model", "teams/b:fraud@v1.0.0", "--env", "prod",
              "--deployment", dep, *RITA)
    assert out["warnings"] == []


def test_an_approval_naming_a_deployment_of_another_version_or_environment_is_refused(
        repo: Path) -> None:
    res = _refused(repo, "approval", "--model", "teams/a:fraud@v1.1.0", "--env", "prod",
                   "--deployment", "a-prod", *RITA)
    assert "error: command line (--deployment): deployment a-prod deploys " \
           "teams/a:fraud@v1.0.0, not the approved teams/a:fraud@v1.1.0" in res.stderr, \
        res.stderr
    res = _refused(repo, "approval", "--model", "teams/a:fraud@v1.1.0", "--env", "prod",
                   "--deployment", "a-staging", *RITA)
    assert "error: command line (--deployment): deployment a-staging is in staging, not " \
           "prod" in res.stderr, res.stderr
    # the approval its approver meant
    assert _ok(repo, "approval", "--model", "teams/a:fraud@v1.1.0", "--env", "staging",
               "--deployment", "a-staging", *RITA)["warnings"] == []


# -- alert, correction, document ----------------------------------------------------------------
def test_a_retraining_following_up_the_other_teams_alert_is_refused(repo: Path) -> None:
    res = _refused(repo, *RETRAIN, "--previous", "teams/a:fraud@v1.0.0", "--new",
                   "teams/a:fraud@v1.1.0", "--alert", "b-psi")
    assert "error: command line (--alert): alert b-psi is on teams/b:fraud@v1.0.0, a version " \
           "of model group teams/b:fraud, not of teams/a:fraud" in res.stderr, res.stderr
    assert "monitoring-active" in res.stderr
    assert _ok(repo, *RETRAIN, "--previous", "teams/a:fraud@v1.0.0", "--new",
               "teams/a:fraud@v1.1.0", "--alert", "a-psi")["warnings"] == []


def test_a_correction_of_the_other_teams_record_is_refused(repo: Path) -> None:
    res = _refused(repo, "alert", "--model", "teams/a:fraud@v1.0.0", "--metric", "psi",
                   "--status", "resolved", "--prop", "supersedes=b-psi")
    assert "error: command line (--prop supersedes): alert b-psi, which this record corrects, " \
           "is about model group teams/b:fraud, not teams/a:fraud" in res.stderr, res.stderr
    assert "corrects nothing" in res.stderr
    res = _refused(repo, "deployment", "--model", "teams/b:fraud@v1.0.0", "--env", "prod",
                   "--deployed-at", "2026-01-07T00:00:00Z", "--prop", "supersedes=a-prod")
    assert "error: command line (--prop supersedes): deployment a-prod, which this record " \
           "corrects, is about model group teams/a:fraud, not teams/b:fraud" in res.stderr
    out = _ok(repo, "alert", "--model", "teams/a:fraud@v1.0.0", "--metric", "psi", "--status",
              "resolved", "--prop", "supersedes=a-psi")
    assert out["warnings"] == []


def test_a_document_of_one_teams_version_and_the_other_teams_group_is_refused(
        repo: Path) -> None:
    res = _refused(repo, "document", "--type", "model_card", "--uri",
                   "https://example.com/fraud-card", "--model", "teams/b:fraud@v1.0.0",
                   "--group", "teams/a:fraud")
    assert "error: command line (--group): teams/a:fraud is another model group than " \
           "teams/b:fraud, whose version teams/b:fraud@v1.0.0 the document names" in \
        res.stderr, res.stderr


# -- governance files, Python -------------------------------------------------------------------
def test_record_validate_refuses_it_and_the_harvest_warns(repo: Path) -> None:
    gov = repo / "governance" / "retraining"
    gov.mkdir(parents=True)
    (gov / "tuning.yaml").write_text(yaml.safe_dump({
        "kind": "retraining", "id": "tuning", "trigger": "manual", "reason": "lr tuning",
        "previous_model": "teams/b:fraud@v1.0.0", "new_model": "teams/a:fraud@v1.1.0"}))
    res = _record(repo, "validate", str(repo / "governance"))
    assert res.exit_code == 1, res.output
    assert "governance/retraining/tuning.yaml:4 (previous_model): teams/b:fraud@v1.0.0 is a " \
           "version of model group teams/b:fraud" in res.stderr.replace("\n", " "), res.stderr
    assert _record(repo, "validate", str(repo / "governance"), "--allow-new").exit_code == 0
    # a harvest never fails on a name: it says it, and reads the record as written
    res = runner.invoke(app, ["harvest", "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    assert any("teams/b:fraud@v1.0.0 is a version of model group teams/b:fraud" in json.dumps(w)
               for w in json.loads(res.stdout)["warnings"]), res.stdout
    with api.open_store(repo) as store:
        assert store.has_node("retraining:tuning")


def test_emit_raises_and_allow_new_records_it(repo: Path) -> None:
    rec = RetrainingRecord(kind="retraining", trigger="manual", reason="lr tuning",
                           previous_model="teams/b:fraud@v1.0.0",
                           new_model="teams/a:fraud@v1.1.0")
    with pytest.raises(UnknownNameError) as exc:
        emit(rec, repo)
    assert isinstance(exc.value, InputError) and exc.value.exit_code == 2
    assert exc.value.field == "previous_model" and "allow_new=True" in str(exc.value.hint)
    result = emit(rec, repo, allow_new=True)
    assert [u.field for u in result.unknown] == ["previous_model"]
    assert result.warnings == [result.unknown[0].warning()]
    # a record of one group says nothing
    ok = emit(AlertRecord(kind="alert", model="teams/a:fraud@v1.1.0", metric="psi",
                          at="2026-01-08T00:00:00Z"), repo)
    assert ok.warnings == []
