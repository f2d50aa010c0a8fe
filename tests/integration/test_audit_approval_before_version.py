"""An approval decided before the model version it approves existed does not count: nobody can
have reviewed a model not made yet, and a version number approved in advance says nothing of
the content later registered under it. The version exists from the earliest evidence the store
holds of it (its commit, the start of the run that produced it, its registration), so the usual
flow — train, commit, approve in a ticket, then tag with GTO — still passes.

The repository: a model file committed on 2026-01-03T10:00Z and registered with the GTO tag
``churn@v2.0.0`` on 2026-01-05T10:00Z, harvested; the approvals and the prod deployment
(2026-01-06T08:00Z) are recorded through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
COMMITTED = "2026-01-03T10:00:00Z"
TAGGED = "2026-01-05T10:00:00Z"
DEPLOYED = "2026-01-06T08:00:00Z"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("models/churn.pkl", "weights of v2\n")
    git_repo.tick = 57  # the commit: 2026-01-03T10:00Z (GitRepo dates a commit by its tick)
    git_repo.commit("train churn v2.0.0")
    git_repo.tick = 105  # the GTO registration: 2026-01-05T10:00Z
    git_repo.tag("churn@v2.0.0", "register churn v2.0.0")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    return git_repo


def lineage(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    return res.stdout


def approve(repo: GitRepo, rid: str, decided_at: str, approver: str = "rita@example.com",
            role: str = "risk-officer", model: str = "churn@v2.0.0") -> None:
    lineage(repo, "record", "approval", "--model", model, "--env", "prod", "--approver",
            approver, "--role", role, "--decided-at", decided_at, "--evidence", "ML-42",
            "--id", rid, "--allow-new")


def deploy(repo: GitRepo, model: str = "churn@v2.0.0") -> None:
    lineage(repo, "record", "deployment", "--model", model, "--env", "prod", "--deployed-at",
            DEPLOYED, "--deployed-by", "deploy-bot", "--id", "churn-prod", "--allow-new")


def findings(repo: GitRepo, rule: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              rule])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]  # type: ignore[no-any-return]


def sha(repo: GitRepo) -> str:
    return repo.git("rev-parse", "churn@v2.0.0^{commit}")


def test_approval_after_the_commit_and_before_the_gto_tag_counts(repo: GitRepo) -> None:
    approve(repo, "appr-ticket", "2026-01-04T09:00:00Z")
    deploy(repo)
    assert findings(repo, "deployment-approved") == []


def test_approval_before_the_commit_does_not_count_and_says_why(repo: GitRepo) -> None:
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    deploy(repo)
    [f] = findings(repo, "deployment-approved")
    assert f["subject"] == "deployment:churn-prod"
    assert ("approval appr-early was decided 2026-01-02T09:00:00Z, before churn@v2.0.0 "
            f"existed (first evidence: its commit {sha(repo)[:12]}, {COMMITTED})") \
        in f["message"], f["message"]
    assert "approval:appr-early" in f["evidence"]
    assert f"commit:{sha(repo)}" in f["evidence"]  # the version's first evidence
    # the fix says when the version existed, and keeps the deployment's bound
    assert f"not before churn@v2.0.0 existed ({COMMITTED}" in f["remediation"], f["remediation"]
    assert f"--decided-at <before {DEPLOYED}>" in f["remediation"]


def test_a_later_approval_of_the_version_made_counts(repo: GitRepo) -> None:
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    approve(repo, "appr-review", "2026-01-05T12:00:00Z", approver="max@example.com",
            role="ml-lead")
    deploy(repo)
    assert findings(repo, "deployment-approved") == []


def test_a_few_minutes_of_clock_skew_are_not_flagged(repo: GitRepo) -> None:
    approve(repo, "appr-skew", "2026-01-03T09:57:00Z")  # 3 minutes before the commit
    deploy(repo)
    assert findings(repo, "deployment-approved") == []


def test_time_zones_are_compared_as_instants(repo: GitRepo) -> None:
    # 11:30 at +02:00 reads later than the 10:00Z commit but is 09:30Z: before it
    approve(repo, "appr-east", "2026-01-03T11:30:00+02:00")
    deploy(repo)
    [f] = findings(repo, "deployment-approved")
    assert "approval appr-east was decided 2026-01-03T09:30:00Z, before churn@v2.0.0 existed" \
        in f["message"], f["message"]


def test_an_earlier_looking_time_west_of_utc_is_after_the_commit(repo: GitRepo) -> None:
    approve(repo, "appr-west", "2026-01-03T08:30:00-02:00")  # 10:30Z, after the commit
    deploy(repo)
    assert findings(repo, "deployment-approved") == []


def test_four_eyes_does_not_count_the_approval_made_in_advance(repo: GitRepo) -> None:
    lineage(repo, "record", "assessment", "--group", "churn", "--tier", "high", "--assessor",
            "bob@example.com", "--date", "2026-01-01")
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    approve(repo, "appr-review", "2026-01-05T12:00:00Z", approver="max@example.com",
            role="ml-lead")
    deploy(repo)
    assert findings(repo, "deployment-approved") == []
    [f] = findings(repo, "four-eyes")
    assert "1 independent approver(s), policy requires 2" in f["message"], f["message"]
    assert {"approval:appr-early", f"commit:{sha(repo)}"} <= set(f["evidence"])
    assert "approval appr-early was decided 2026-01-02T09:00:00Z, before churn@v2.0.0 existed" \
        in f["message"], f["message"]
    # both in time: two independent approvers
    approve(repo, "appr-again", "2026-01-04T09:00:00Z")
    assert findings(repo, "four-eyes") == []


def test_show_says_why_the_approval_made_in_advance_does_not_count(repo: GitRepo) -> None:
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    deploy(repo)
    gov = json.loads(lineage(repo, "show", "churn@v2.0.0", "--json"))["governance"]
    why = "approval appr-early was decided 2026-01-02T09:00:00Z, before churn@v2.0.0 existed"
    [ap] = gov["approvals"]
    assert ap["status"] == "not counted"
    assert why in (ap["note"] or ""), ap
    [dep] = gov["deployments"]
    assert dep["approved_by"] == []
    assert any(why in n for n in dep["approval_notes"]), dep["approval_notes"]


def test_the_start_of_the_run_that_produced_it_is_evidence(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trained from 2026-01-02T08:00Z, committed the next day: an approval between the run's
    start and the commit is not flagged; one before the run is."""
    git_repo.write("models/fraud.pkl", "weights\n")
    git_repo.tick = 57
    git_repo.commit("train fraud")  # 2026-01-03T10:00Z
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    lineage(git_repo, "record", "run", "--name", "train", "--model",
            "fraud@v1.0.0=models/fraud.pkl", "--clean", "--start", "2026-01-02T08:00:00Z",
            "--end", "2026-01-02T20:00:00Z", "--run-id", "train-fraud")
    approve(git_repo, "appr-during", "2026-01-02T09:00:00Z", model="fraud@v1.0.0")
    deploy(git_repo, model="fraud@v1.0.0")
    assert findings(git_repo, "deployment-approved") == []
    # rita withdraws hers: max's approval, decided before the run, is all that is left
    approve(git_repo, "appr-before", "2026-01-01T09:00:00Z", model="fraud@v1.0.0",
            approver="max@example.com")
    lineage(git_repo, "record", "approval", "--model", "fraud@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decision", "rejected", "--decided-at",
            "2026-01-02T10:00:00Z", "--id", "rej-during")
    [f] = findings(git_repo, "deployment-approved")
    assert ("approval appr-before was decided 2026-01-01T09:00:00Z, before fraud@v1.0.0 "
            "existed (first evidence: the start of run:lineage:train-fraud, "
            "2026-01-02T08:00:00Z)") in f["message"], f["message"]


def test_a_version_with_no_known_time_is_not_judged_by_it(churn_repo: GitRepo) -> None:
    """A deployment naming a version no source described: nothing says when it was made."""
    approve(churn_repo, "appr-old", "2020-01-01T00:00:00Z", model="churn@v9.9.9")
    deploy(churn_repo, model="churn@v9.9.9")
    assert findings(churn_repo, "deployment-approved") == []


def test_the_catalog_shows_the_approval_made_in_advance_as_not_in_force(
        repo: GitRepo, tmp_path: Path) -> None:
    pytest.importorskip("datahub")
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    approve(repo, "appr-review", "2026-01-05T12:00:00Z", approver="max@example.com",
            role="ml-lead")
    deploy(repo)
    out = tmp_path / "mcps.json"
    lineage(repo, "push", "--to", "datahub-file", str(out))
    props = [m["aspect"]["json"] for m in json.loads(out.read_text())
             if m["aspectName"] == "structuredProperties"
             and m["entityUrn"].startswith("urn:li:mlModel:") and "churn" in m["entityUrn"]]
    approved_by = {v["string"] for p in props for prop in p["properties"]
                   if prop["propertyUrn"].endswith("approvedBy") for v in prop["values"]}
    assert approved_by == {"max@example.com"}


def test_the_commit_that_added_its_artifact_is_evidence(git_repo: GitRepo) -> None:
    """The model file is added with DVC on 2026-01-03T10:00Z; the GTO tag is put on a later
    commit (2026-01-04T12:00Z): an approval between the two follows the artifact's commit."""
    git_repo.dvc("init", "-q")
    git_repo.write("models/churn.pkl", "weights of v2\n")
    git_repo.dvc("add", "-q", "models/churn.pkl")
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.pkl\n"
                               "    type: model\n")
    git_repo.tick = 57
    added = git_repo.commit("train churn v2.0.0")  # 2026-01-03T10:00Z
    git_repo.write("README.md", "churn\n")
    git_repo.tick = 83
    git_repo.commit("describe the model")  # 2026-01-04T12:00Z
    git_repo.tick = 105
    git_repo.tag("churn@v2.0.0", "register churn v2.0.0")  # 2026-01-05T10:00Z, on HEAD
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    approve(git_repo, "appr-ticket", "2026-01-04T09:00:00Z")
    deploy(git_repo)
    assert findings(git_repo, "deployment-approved") == []
    # rita withdraws hers: max's approval, decided before the artifact's commit, is left
    approve(git_repo, "appr-early", "2026-01-03T08:00:00Z", approver="max@example.com")
    lineage(git_repo, "record", "approval", "--model", "churn@v2.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decision", "rejected", "--decided-at",
            "2026-01-04T10:00:00Z", "--id", "rej-ticket")
    [f] = findings(git_repo, "deployment-approved")
    assert ("approval appr-early was decided 2026-01-03T08:00:00Z, before churn@v2.0.0 "
            f"existed (first evidence: commit {added[:12]} that added its artifact, "
            f"{COMMITTED})") in f["message"], f["message"]


def test_the_audit_of_the_graph_and_of_the_store_agree(repo: GitRepo) -> None:
    """The index built from a :class:`LineageGraph` reads the commits' times as the store's
    rows give them."""
    from lineage.audit import run_audit
    from lineage.store import Store

    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    deploy(repo)
    with Store.open(repo.path / ".lineage") as store:
        by_store = run_audit(store, rules=["deployment-approved"])
        by_graph = run_audit(store.load_graph(), rules=["deployment-approved"])
    said = [(f.subject, f.message) for f in by_store.findings]
    assert said == [(f.subject, f.message) for f in by_graph.findings]
    [(subject, message)] = said
    assert subject == "deployment:churn-prod"
    assert f"before churn@v2.0.0 existed (first evidence: its commit {sha(repo)[:12]}" in message
