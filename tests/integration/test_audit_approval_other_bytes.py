"""An approval is a review of the bytes the version named when it was decided. A GTO
registration tag moved to other bytes and back (``git tag -f`` A → B → A): an approval decided
while the tag named B (after A existed, so not "before the version existed") is no review of A,
and does not count for a deployment of A made after the move back; it counts for the deployment
made while the tag named B.

The repository: ``models/churn.bin`` tracked by DVC and declared as the artifact ``churn``,
committed 2026-01-01T10:00Z (A); the run recorded through the CLI; ``churn@v1.0.0``
(2026-01-02T10:00Z) and ``churn#prod#1`` (11:00Z) on A, approved by nobody then. The file is
swapped (commit B, 2026-01-06T00:00Z), both tags moved onto B (01:00Z, 02:00Z) and rita approves
at 01:30Z; then both tags are put back on A (2026-01-07T01:00Z, 02:00Z). Each move is
harvested."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.moved_tag import EVIL, GOOD, artifact_repo, lineage, md5, move_tags, swap

runner = CliRunner()
FIRST = "deployment:churn:prod:2026-01-02T11:00:00Z"  # of A's bytes
WHILE_MOVED = "deployment:churn:prod:2026-01-06T02:00:00Z"  # of B's bytes
BACK = "deployment:churn:prod:2026-01-07T02:00:00Z"  # of A's bytes again






def audit(repo: GitRepo, *rules: str) -> dict[str, dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json",
                              "--rule", ",".join(rules)])
    assert res.exit_code in (0, 1), res.output
    return {f["subject"]: f for f in json.loads(res.stdout)["findings"]}


def approve(repo: GitRepo, rid: str, who: str, decided: str, role: str = "model-risk") -> None:
    lineage(repo, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", who, "--role", role, "--decided-at", decided, "--id", rid)




@pytest.fixture
def back(git_repo: GitRepo) -> tuple[GitRepo, str, str]:
    repo = git_repo
    first = artifact_repo(repo, tier="high")  # 2026-01-01T10:00Z
    repo.tick = 33
    repo.tag("churn@v1.0.0", "register")  # 2026-01-02T10:00Z
    repo.tag("churn#prod#1", "deploy")  # 11:00Z
    api.harvest(repo.path)
    second = swap(repo)  # 2026-01-06T00:00Z
    move_tags(repo, 120, second)  # 2026-01-06T01:00Z, 02:00Z
    approve(repo, "rita-b", "rita@example.com", "2026-01-06T01:30:00Z")
    move_tags(repo, 144, first)  # 2026-01-07T01:00Z, 02:00Z
    return repo, first, second


def test_an_approval_of_other_bytes_does_not_count_after_the_tag_moved_back(
        back: tuple[GitRepo, str, str]) -> None:
    repo, first, second = back
    found = audit(repo, "deployment-approved")
    # rita saw B's bytes: her approval counts for the deployment of them, not for A's
    assert set(found) == {FIRST, BACK}, found
    message = found[BACK]["message"]
    assert (f"approval rita-b was decided while churn@v1.0.0 named other bytes (commit "
            f"{second[:12]}, artifact {md5(EVIL)}; decided 2026-01-06T01:30:00Z) than the ones "
            f"deployed (commit {first[:12]}, artifact {md5(GOOD)})") in message, message
    assert "no approval on record" not in message, message
    assert f"commit:{second}" in found[BACK]["evidence"], found[BACK]["evidence"]
    assert first[:12] in found[BACK]["remediation"], found[BACK]["remediation"]
    # decided before the tag ever named B: nothing says which bytes it reviewed other than A
    assert "rita-b" in found[FIRST]["message"] and "after the deployment" in \
        found[FIRST]["message"], found[FIRST]["message"]


def test_an_approval_decided_once_the_tag_named_the_bytes_again_counts(
        back: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = back
    approve(repo, "rita-a", "rita@example.com", "2026-01-07T01:30:00Z")
    assert set(audit(repo, "deployment-approved")) == {FIRST}


def test_four_eyes_does_not_count_it_either(back: tuple[GitRepo, str, str]) -> None:
    """High risk needs two approvers: bob's approval of A after the move back and rita's of B
    make one that counts for the deployment of A."""
    repo, _, second = back
    approve(repo, "bob-a", "bob@example.com", "2026-01-07T01:30:00Z", role="product-owner")
    found = audit(repo, "four-eyes")
    assert BACK in found, found
    message = found[BACK]["message"]
    assert "1 independent approver(s), policy requires 2" in message, message
    assert "approval rita-b was decided while churn@v1.0.0 named other bytes (commit " \
        f"{second[:12]}" in message, message
    # the deployment of B's bytes has rita's approval; bob's came after it
    assert WHILE_MOVED not in audit(repo, "deployment-approved")


def test_show_says_it_counts_only_for_the_deployment_of_the_bytes_it_saw(
        back: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = back
    [ap] = json.loads(lineage(repo, "show", "churn@v1.0.0", "--json"))["governance"]["approvals"]
    assert ap["id"] == "approval:rita-b" and ap["status"] == "not counted", ap
    assert ap["counts_for"] == [WHILE_MOVED], ap
    assert "decided while churn@v1.0.0 named other bytes" in ap["note"], ap
