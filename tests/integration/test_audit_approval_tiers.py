"""Policies whose tiers would silently check nothing. A policy's ``approvals:`` requirement is
checked by `four-eyes`, for the tiers that rule applies to (default: high). A requirement for
another tier (two approvers for limited-risk deployments) used to be ignored without a word —
the gate passed one approver; it is now a policy error naming the line, until the rule's tiers
include that tier. Likewise `risk-tier-set` limited to assessed tiers never reported a system
with no assessment."""

from __future__ import annotations

import json
from pathlib import Path

from audit_fixture import APPROVERS, Fixture, System, add_system, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def _repo(git_repo, policy: str) -> Path:
    import random

    git_repo.write("README.md", "demo\n")
    git_repo.write("lineage-policy.yaml", policy)
    git_repo.commit("init")
    fx = Fixture()
    add_system(fx, System("chat", tier="limited", approvals_prod=(APPROVERS[0],)),
               random.Random(0))
    write_store(fx, git_repo.path / ".lineage").close()
    return git_repo.path


def _audit(repo: Path):
    return runner.invoke(app, ["audit", "--repo", str(repo), "--as-of", "2026-06-01",
                               "--format", "json"])


def test_an_approver_count_for_a_tier_four_eyes_does_not_check_is_a_policy_error(
        git_repo) -> None:
    repo = _repo(git_repo, "approvals:\n"
                           "  - tiers: [high]\n"
                           "    count: 2\n"
                           "  - tiers: [limited]\n"
                           "    count: 2\n")
    res = _audit(repo)
    assert res.exit_code == 2, res.output
    assert "lineage-policy.yaml:4: field approvals.1.tiers:" in res.stderr, res.stderr
    assert "four-eyes" in res.stderr and "limited" in res.stderr


def test_with_the_tier_in_four_eyes_the_requirement_is_checked(git_repo) -> None:
    repo = _repo(git_repo, "rules:\n"
                           "  four-eyes:\n"
                           "    tiers: [high, limited]\n"
                           "approvals:\n"
                           "  - tiers: [limited]\n"
                           "    count: 2\n")
    res = _audit(repo)
    assert res.exit_code == 1, res.output
    [f] = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "four-eyes"]
    assert "1 independent approver(s), policy requires 2" in f["message"]


def test_narrowing_four_eyes_with_the_default_approvals_is_no_error(git_repo) -> None:
    # the file gives no approvals: the built-in one (two for high) is not the user's entry
    repo = _repo(git_repo, "rules:\n"
                           "  four-eyes:\n"
                           "    tiers: [limited]\n")
    res = _audit(repo)
    assert res.exit_code == 0, res.output


def test_risk_tier_set_without_unassessed_is_a_policy_error(git_repo) -> None:
    """A system with no risk assessment is of tier "unassessed": `risk-tier-set` limited to
    assessed tiers would never report it, and every rule skipping that tier with it."""
    import random

    git_repo.write("README.md", "demo\n")
    git_repo.write("lineage-policy.yaml", "rules:\n"
                                          "  risk-tier-set:\n"
                                          "    tiers: [high, limited]\n")
    git_repo.commit("init")
    fx = Fixture()
    add_system(fx, System("chat", tier=None), random.Random(0))
    write_store(fx, git_repo.path / ".lineage").close()
    res = _audit(git_repo.path)
    assert res.exit_code == 2, res.output
    assert "lineage-policy.yaml:3: field rules.risk-tier-set.tiers:" in res.stderr, res.stderr
    assert "unassessed" in res.stderr
