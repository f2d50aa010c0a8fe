"""`lineage show`: what a record that does not stand now still does — an assessment lowered
since still sets the tier of the deployments made under it, an approval of a GTO tag's
earlier bytes still counts for the deployment made before the tag moved — and a version
without documents says so in one line."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.integration.test_audit_moved_tag import (
    NEW_DEPLOYMENT,
    OLD_DEPLOYMENT,
    artifact_repo,
    swap,
)
from tests.integration.test_show_committed import RUN, WEIGHTS

runner = CliRunner()


def lineage(repo: GitRepo, *args: str, columns: int = 240) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.stdout


def governance(repo: GitRepo, version: str, *args: str) -> dict[str, Any]:
    return json.loads(lineage(repo, "show", version, "--json", *args))[  # type: ignore[no-any-return]
        "governance"]


def section(out: str, title: str) -> str:
    return out.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]


def run_repo(repo: GitRepo) -> None:
    """churn@v1.0.0, produced by a run recorded in a committed file (2026-01-01T01:00Z)."""
    repo.write("models/churn.bin", WEIGHTS)
    repo.write("governance/run/train-1.yaml", RUN)
    repo.commit("train churn v1.0.0")
    api.init(repo.path)


def test_an_assessment_lowered_since_still_holds_for_the_earlier_deployment(
        git_repo: GitRepo) -> None:
    repo = git_repo
    run_repo(repo)
    for args in (("assessment", "--group", "churn", "--tier", "high", "--assessor",
                  "carol@example.com", "--assessed-at", "2026-01-02", "--id", "churn-high"),
                 ("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
                  "2026-01-03T00:00:00Z", "--id", "prod-1"),
                 ("assessment", "--group", "churn", "--tier", "minimal", "--assessor",
                  "dana@example.com", "--assessed-at", "2026-01-04", "--rationale",
                  "no longer gates access", "--id", "churn-low")):
        lineage(repo, "record", *args)
    api.harvest(repo.path)
    gov = governance(repo, "churn@v1.0.0")
    assert gov["risk"]["assessment"] == "risk_assessment:churn-low"
    assert gov["risk"]["held_by"] == "risk_assessment:churn-high"
    out = lineage(repo, "show", "churn@v1.0.0", columns=80)
    table = section(out, "Risk tier (assessments of the model group)")
    high, low = table.split("\nchurn-low\n", 1)
    assert "status: not in force (churn-low is) · its tier high still holds for the" in high, \
        table
    assert "deployments made while it was in force" in high, table
    assert "still holds" not in low, table



def test_an_assessment_lowered_before_any_deployment_holds_nothing(git_repo: GitRepo) -> None:
    repo = git_repo
    run_repo(repo)
    for args in (("assessment", "--group", "churn", "--tier", "high", "--assessor",
                  "carol@example.com", "--assessed-at", "2026-01-02", "--id", "churn-high"),
                 ("assessment", "--group", "churn", "--tier", "minimal", "--assessor",
                  "dana@example.com", "--assessed-at", "2026-01-04", "--rationale",
                  "no longer gates access", "--id", "churn-low"),
                 ("deployment", "--model", "churn@v1.0.0", "--env", "prod", "--deployed-at",
                  "2026-01-05T00:00:00Z", "--id", "prod-1")):
        lineage(repo, "record", *args)
    api.harvest(repo.path)
    gov = governance(repo, "churn@v1.0.0")
    assert gov["risk"]["held_by"] is None and gov["risk"]["tier"] == "minimal", gov["risk"]
    out = lineage(repo, "show", "churn@v1.0.0", columns=80)
    table = section(out, "Risk tier (assessments of the model group)")
    assert "not in force (churn-low is)" in table and "still holds" not in table, table


def test_an_approval_of_a_moved_tags_earlier_bytes_says_what_it_counts_for(
        git_repo: GitRepo) -> None:
    repo = git_repo
    artifact_repo(repo)
    repo.tick = 33
    repo.tag("churn@v1.0.0", "register")  # 2026-01-02T10:00Z
    repo.tag("churn#prod#1", "deploy")  # 2026-01-02T11:00Z
    lineage(repo, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decided-at", "2026-01-02T10:30:00Z",
            "--id", "rita-ok")
    api.harvest(repo.path)
    swap(repo)
    for name, message in (("churn@v1.0.0", "register"), ("churn#prod#1", "deploy")):
        repo.tick += 1
        repo.git("tag", "-f", "-a", name, "-m", message)
    api.harvest(repo.path)

    [ap] = governance(repo, "churn@v1.0.0")["approvals"]
    assert ap["status"] == "not counted" and ap["counts_for"] == [OLD_DEPLOYMENT], ap
    out = lineage(repo, "show", "churn@v1.0.0", columns=80)
    approvals = section(out, "Approvals")
    assert ("status: not counted for a deployment made now; counts for "
            "churn:prod:2026-01-02T11:00:00Z") in " ".join(approvals.split()), approvals
    # the deployment of the new bytes: none counts
    deployments = " ".join(section(out, "Deployments").split())
    new = deployments.split(NEW_DEPLOYMENT.split(":", 1)[1], 1)[1]
    assert "approvals that count (deployment-approved): none" in new, deployments


def test_a_version_without_documents_says_so_in_one_line(git_repo: GitRepo) -> None:
    repo = git_repo
    run_repo(repo)
    api.harvest(repo.path)
    gov = governance(repo, "churn@v1.0.0")
    assert gov["documents"] == [] and gov["documents_missing"] == []
    for columns in (240, 80):
        out = lineage(repo, "show", "churn@v1.0.0", columns=columns)
        docs = section(out, "Documents (of the version and of its model group)")
        assert docs.strip() == "no documents recorded", docs
    # one required and missing: listed as before
    lineage(repo, "record", "assessment", "--group", "churn", "--tier", "limited",
            "--assessor", "carol@example.com", "--assessed-at", "2026-01-02")
    api.harvest(repo.path)
    docs = section(lineage(repo, "show", "churn@v1.0.0"),
                   "Documents (of the version and of its model group)")
    assert "transparency_notice" in docs and "no documents recorded" not in docs, docs
