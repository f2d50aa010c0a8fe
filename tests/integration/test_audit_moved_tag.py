"""A GTO registration tag moved to other model bytes (``git tag -f``) makes the version name
content no recorded run produced and nobody approved: ``model-has-run`` compares the bytes the
producing run wrote with the version's current artifact, and an approval decided before the
current bytes existed does not count for a deployment of them (the "decided before the version
existed" rule, read from the evidence of the content the moved tag names).

The repository: ``models/churn.bin`` tracked by DVC and declared as the artifact ``churn`` in
``dvc.yaml``, committed 2026-01-01T10:00Z; the run recorded through the CLI; the tags
``churn@v1.0.0`` (2026-01-02T10:00Z) and ``churn#prod#1`` (11:00Z). Then the file is swapped
(commit 2026-01-06T00:00Z) and both tags are moved onto that commit (01:00Z, 02:00Z)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.moved_tag import EVIL, GOOD, artifact_repo, lineage, md5, swap

runner = CliRunner()
OLD_DEPLOYMENT = "deployment:churn:prod:2026-01-02T11:00:00Z"
NEW_DEPLOYMENT = "deployment:churn:prod:2026-01-06T02:00:00Z"






def audit(repo: GitRepo, *rules: str) -> tuple[int, list[dict[str, Any]]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json",
                              "--rule", ",".join(rules)])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)["findings"]






@pytest.fixture
def moved(git_repo: GitRepo) -> tuple[GitRepo, str, str]:
    first = artifact_repo(git_repo)
    git_repo.tick = 33
    git_repo.tag("churn@v1.0.0", "register")  # 2026-01-02T10:00Z
    git_repo.tag("churn#prod#1", "deploy")  # 2026-01-02T11:00Z
    lineage(git_repo, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decided-at", "2026-01-02T10:30:00Z",
            "--id", "rita-ok")
    api.harvest(git_repo.path)
    assert audit(git_repo, "model-has-run", "deployment-approved") == (0, [])
    second = swap(git_repo)
    for name, message in (("churn@v1.0.0", "register"), ("churn#prod#1", "deploy")):
        git_repo.tick += 1  # 2026-01-06T01:00Z, 02:00Z
        git_repo.git("tag", "-f", "-a", name, "-m", message)
    api.harvest(git_repo.path)
    return git_repo, first, second


def test_the_version_names_bytes_no_run_produced(moved: tuple[GitRepo, str, str]) -> None:
    repo, first, second = moved
    code, found = audit(repo, "model-has-run", "deployment-approved", "lineage-continuity")
    assert code == 1
    [f] = [f for f in found if f["rule"] == "model-has-run"]
    assert f["subject"] == "model:churn@v1.0.0"
    assert f["message"] == (
        f"churn@v1.0.0: no run that produced it made its current artifact: run:lineage:good "
        f"produced {md5(GOOD)}; churn@v1.0.0's artifact is now {md5(EVIL)} (tag churn@v1.0.0 "
        f"moved from commit {first[:12]} to {second[:12]} on 2026-01-06T01:00:00Z)")
    assert f"git tag -f -a churn@v1.0.0 {first[:12]}" in f["remediation"]
    assert "run:lineage:good" in f["evidence"]


def test_an_approval_of_the_earlier_bytes_does_not_count_for_the_new_deployment(
        moved: tuple[GitRepo, str, str]) -> None:
    repo, _, second = moved
    _, found = audit(repo, "deployment-approved")
    # the deployment of the earlier bytes (retired by the move) keeps its approval
    [f] = found
    assert f["subject"] == NEW_DEPLOYMENT
    assert (f"approval rita-ok was decided 2026-01-02T10:30:00Z, before churn@v1.0.0's current "
            f"artifact {md5(EVIL)} existed (first evidence: commit {second[:12]}") in f["message"]
    assert f"commit:{second}" in f["evidence"]
    # reviewed after the swap and before the new deployment: it counts
    lineage(repo, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decided-at", "2026-01-06T01:30:00Z",
            "--id", "rita-again")
    assert audit(repo, "deployment-approved") == (0, [])


def test_the_store_and_the_graph_agree(moved: tuple[GitRepo, str, str]) -> None:
    from lineage.audit import run_audit
    from lineage.store import Store

    repo, _, _ = moved
    rules = ["model-has-run", "deployment-approved"]
    with Store.open(repo.path / ".lineage") as store:
        by_store = run_audit(store, rules=rules)
        by_graph = run_audit(store.load_graph(), rules=rules)
    assert [(f.rule, f.subject, f.message) for f in by_store.findings] == \
        [(f.rule, f.subject, f.message) for f in by_graph.findings]
    assert len(by_store.findings) == 2


def test_bytes_swapped_before_the_first_harvest_are_found_too(git_repo: GitRepo) -> None:
    """No move the store saw: the run wrote other bytes than the tag's commit holds."""
    artifact_repo(git_repo)
    swap(git_repo)
    git_repo.tag("churn@v1.0.0", "register")
    api.harvest(git_repo.path)
    _, [f] = audit(git_repo, "model-has-run")
    assert f["message"] == (
        f"churn@v1.0.0: no run that produced it made its current artifact: run:lineage:good "
        f"produced {md5(GOOD)}; churn@v1.0.0's artifact is now {md5(EVIL)}")


def test_the_same_bytes_registered_pass(git_repo: GitRepo) -> None:
    artifact_repo(git_repo)
    git_repo.tag("churn@v1.0.0", "register")
    api.harvest(git_repo.path)
    assert audit(git_repo, "model-has-run") == (0, [])
