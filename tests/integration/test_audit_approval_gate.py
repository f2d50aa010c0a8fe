"""The approval gate as a CD job meets it: `lineage init`, `lineage record …` on a real git
repository, then `lineage audit --format json --fail-on …`. A deployment recorded before any
source described its version is still checked, and a corrected or withdrawn approval no longer
lets a deployment through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import recording_repo

runner = CliRunner()
DEPLOYED = "2026-03-02T10:00:00Z"
AS_OF = ["--as-of", "2026-03-03"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return recording_repo(tmp_path / "gate", monkeypatch)


def record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def audit(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["audit", "--format", "json", *AS_OF, *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def by_rule(data: dict, rule: str) -> list[dict]:
    return [f for f in data["findings"] if f["rule"] == rule]


def harvested(version: str = "churn@v1.0.0") -> None:
    """A version a recorded run produced (so it is in the graph, not a placeholder)."""
    Path("models").mkdir(exist_ok=True)
    Path("models/churn.json").write_text('{"w": 1}\n')
    record("run", "--name", "train", "--model", f"{version}=models/churn.json", "--clean")


# -- 1. a deployment of a version no source described yet -----------------------------------
def test_an_unapproved_deployment_of_an_unharvested_version_fails_the_gate(repo: Path) -> None:
    record("deployment", "--model", "churn@v2.0.0", "--env", "prod", "--deployed-at", DEPLOYED)
    code, data = audit("--fail-on", "high")
    assert code == 1
    [f] = by_rule(data, "deployment-approved")
    assert f["subject"] == f"deployment:churn:prod:{DEPLOYED}"
    assert f["model"] == "model:churn@v2.0.0" and f["environment"] == "prod"
    # no risk assessment: the tier of any unassessed version, and its severity
    assert (f["tier"], f["severity"]) == ("unassessed", "high")
    assert f["message"] == "churn@v2.0.0 was deployed to prod with no approval on record"
    # the version is still a lineage-continuity finding (harvest it)
    assert any(c["subject"] == "model:churn@v2.0.0" for c in by_rule(data, "lineage-continuity"))
    code, data = audit("--fail-on", "high", "--model", "churn@v2.0.0")
    assert code == 1 and by_rule(data, "deployment-approved")
    code, data = audit("--fail-on", "high", "--env", "prod")
    assert code == 1 and by_rule(data, "deployment-approved")


def test_the_tier_of_an_unharvested_version_is_its_groups_assessment(repo: Path) -> None:
    record("assessment", "--group", "churn", "--tier", "high", "--assessed-at",
           "2026-02-01T00:00:00Z", "--next-review", "2027-01-01")
    record("deployment", "--model", "churn@v2.0.0", "--env", "prod", "--deployed-at", DEPLOYED)
    code, data = audit("--fail-on", "critical")
    assert code == 1
    [f] = by_rule(data, "deployment-approved")
    assert (f["tier"], f["severity"]) == ("high", "critical")
    # the other rules about deployments check it too
    [mon] = by_rule(data, "monitoring-active")
    assert mon["message"] == "churn@v2.0.0 is deployed with no monitoring evidence"
    assert not by_rule(data, "risk-tier-set")
    # one approval before the deployment: approved, but not by two people
    record("approval", "--model", "churn@v2.0.0", "--env", "prod", "--approver", "rita",
           "--role", "model-risk", "--decided-at", "2026-03-02T09:00:00Z")
    code, data = audit("--fail-on", "critical")
    assert code == 1
    assert not by_rule(data, "deployment-approved")
    [four] = by_rule(data, "four-eyes")
    assert "1 independent approver(s), policy requires 2" in four["message"]


def test_an_unharvested_version_of_a_prohibited_system_is_not_deployed(repo: Path) -> None:
    record("assessment", "--group", "faces", "--tier", "unacceptable", "--assessed-at",
           "2026-02-01T00:00:00Z", "--next-review", "2027-01-01")
    record("deployment", "--model", "faces@v1", "--env", "prod", "--deployed-at", DEPLOYED)
    code, data = audit("--fail-on", "critical")
    assert code == 1
    [f] = by_rule(data, "prohibited-not-deployed")
    assert f["message"] == "faces@v1 is assessed unacceptable-risk but deployed to prod"


def test_a_deployed_system_with_no_assessment_is_a_risk_tier_finding(repo: Path) -> None:
    record("deployment", "--model", "churn@v2.0.0", "--env", "prod", "--deployed-at", DEPLOYED)
    _, data = audit()
    [f] = by_rule(data, "risk-tier-set")
    assert f["message"] == "model group churn has no risk assessment"


def test_a_harvested_version_is_checked_as_before(repo: Path) -> None:
    record("deployment", "--model", "churn@v2.0.0", "--env", "prod", "--deployed-at", DEPLOYED)
    _, before = audit()
    harvested("churn@v2.0.0")
    _, after = audit()
    [b] = by_rule(before, "deployment-approved")
    [a] = by_rule(after, "deployment-approved")
    assert (a["subject"], a["severity"], a["message"]) == (b["subject"], b["severity"],
                                                            b["message"])
    assert not any(c["subject"] == "model:churn@v2.0.0"
                   for c in by_rule(after, "lineage-continuity"))


# -- 2. corrections and rejections ----------------------------------------------------------
def _approve(rid: str, at: str, decision: str = "approved", approver: str = "rita",
             *extra: str) -> None:
    record("approval", "--model", "churn@v1.0.0", "--env", "prod", "--approver", approver,
           "--role", "model-risk", "--decision", decision, "--decided-at", at, "--id", rid,
           *extra)


def _deploy() -> None:
    record("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at", DEPLOYED)


@pytest.mark.parametrize("ref", ["appr-orig", "approval:appr-orig"])
def test_a_rejected_correction_supersedes_the_approval(repo: Path, ref: str) -> None:
    harvested()
    _approve("appr-orig", "2026-03-02T09:00:00Z")
    _deploy()
    code, data = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0, data["findings"]
    # what lineage's immutability hint tells the user to do
    _approve("appr-fix", "2026-03-02T09:30:00Z", "rejected", "rita",
             "--prop", f"supersedes={ref}")
    code, data = audit("--fail-on", "high")
    assert code == 1
    [f] = by_rule(data, "deployment-approved")
    assert "approval appr-orig was superseded by appr-fix (rejected)" in f["message"]
    assert {"approval:appr-orig", "approval:appr-fix"} <= set(f["evidence"])


def test_a_correction_by_the_same_record_kind_only(repo: Path) -> None:
    """An approval that says it supersedes a deployment does not make the deployment vanish."""
    harvested()
    _deploy()
    dep = f"deployment:churn:prod:{DEPLOYED}"
    _approve("odd", "2026-03-02T09:00:00Z", "approved", "rita", "--prop", f"supersedes={dep}")
    code, data = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0 and data["summary"]["checks"] == 1


def test_a_superseding_approval_counts_in_place_of_the_one_it_corrects(repo: Path) -> None:
    harvested()
    _approve("appr-orig", "2026-03-02T08:00:00Z", "rejected")
    _approve("appr-fix", "2026-03-02T09:00:00Z", "approved", "rita",
             "--prop", "supersedes=appr-orig")
    _deploy()
    code, _ = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0


def test_the_approvers_latest_decision_before_the_deployment_counts(repo: Path) -> None:
    harvested()
    _approve("a1", "2026-03-02T09:00:00Z")
    _approve("a2", "2026-03-02T09:30:00Z", "rejected")
    _deploy()
    code, data = audit("--fail-on", "high")
    assert code == 1
    [f] = by_rule(data, "deployment-approved")
    assert ("approval a1 by rita was withdrawn by their later decision a2 (rejected, "
            "2026-03-02T09:30:00Z)") in f["message"]
    assert not by_rule(data, "four-eyes")  # no approval left: deployment-approved says it


def test_a_rejection_after_the_deployment_does_not_change_it(repo: Path) -> None:
    harvested()
    _approve("a1", "2026-03-02T09:00:00Z")
    _deploy()
    _approve("a2", "2026-03-02T10:30:00Z", "rejected")
    code, _ = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0


def test_another_approvers_rejection_does_not_withdraw_an_approval(repo: Path) -> None:
    harvested()
    _approve("a1", "2026-03-02T09:00:00Z")
    _approve("a2", "2026-03-02T09:30:00Z", "rejected", "sam")
    _deploy()
    code, _ = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0


@pytest.mark.parametrize("decision", ["approved", "conditional"])
def test_an_approval_after_a_rejection_counts(repo: Path, decision: str) -> None:
    harvested()
    _approve("a1", "2026-03-02T08:00:00Z", "rejected")
    _approve("a2", "2026-03-02T09:00:00Z", decision)
    _deploy()
    code, _ = audit("--fail-on", "high", "--rule", "deployment-approved")
    assert code == 0


def test_a_withdrawn_approval_does_not_count_for_four_eyes(repo: Path) -> None:
    harvested()
    record("assessment", "--group", "churn", "--tier", "high", "--assessed-at",
           "2026-02-01T00:00:00Z", "--next-review", "2027-01-01")
    _approve("a1", "2026-03-02T09:00:00Z")
    _approve("b1", "2026-03-02T09:05:00Z", "approved", "sam")
    _approve("b2", "2026-03-02T09:30:00Z", "rejected", "sam")
    _deploy()
    _, data = audit("--rule", "four-eyes")
    [f] = data["findings"]
    assert "1 independent approver(s), policy requires 2" in f["message"]


def test_the_store_and_the_graph_give_the_same_gate(repo: Path) -> None:
    """`--source datahub-*` audits a graph, `--source local` the store rows: same findings."""
    from lineage.audit import run_audit
    from lineage.store import Store

    harvested()
    _approve("appr-orig", "2026-03-02T09:00:00Z")
    _approve("appr-fix", "2026-03-02T09:30:00Z", "rejected", "rita",
             "--prop", "supersedes=appr-orig")
    _deploy()
    record("deployment", "--model", "fraud@v2.0.0", "--env", "prod", "--deployed-at", DEPLOYED)
    store = Store.open(repo / ".lineage")
    try:
        a, b = run_audit(store), run_audit(store.load_graph())
    finally:
        store.close()
    assert [f.as_dict() for f in a.findings] == [f.as_dict() for f in b.findings]
    assert sum(f.rule == "deployment-approved" for f in a.findings) == 2


def test_a_correction_naming_no_record_is_a_continuity_finding(repo: Path) -> None:
    """A typo in ``supersedes`` corrects nothing: the record it meant still counts, and the
    dangling name is reported like any other reference to a record the graph lacks."""
    harvested()
    _approve("appr-orig", "2026-03-02T09:00:00Z")
    _deploy()
    # another approver's rejection (their own decision withdraws nobody else's approval);
    # `lineage record` refuses the typo: --allow-new records it, as a harvested file would
    _approve("appr-fix", "2026-03-02T09:30:00Z", "rejected", "sam",
             "--prop", "supersedes=appr-orgi", "--allow-new")
    _, data = audit("--rule", "deployment-approved", "--rule", "lineage-continuity")
    assert not by_rule(data, "deployment-approved")  # appr-orig still counts
    [f] = [f for f in by_rule(data, "lineage-continuity") if f["subject"] == "approval:appr-orgi"]
    assert f["message"].startswith("approval:appr-orgi is named by approval:appr-fix")
