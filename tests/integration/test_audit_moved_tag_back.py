"""A GTO registration tag moved to other bytes and then back (``git tag -f`` A → B → A): the
version names its first bytes again. The run that made them counts for it again
(``model-has-run``), the approval decided after those bytes existed counts for the deployment of
them made after the move back, and the deployment made while the tag named the other bytes
is judged by those bytes: an approval decided before they existed does not count for it, one
decided after does.

The repository: ``models/churn.bin`` tracked by DVC and declared as the artifact ``churn``,
committed 2026-01-01T10:00Z (A); the run recorded through the CLI; ``churn@v1.0.0``
(2026-01-02T10:00Z) and ``churn#prod#1`` (11:00Z) on A, approved by rita at 10:30Z. The file
is swapped (commit B, 2026-01-06T00:00Z) and both tags moved onto B (01:00Z, 02:00Z); then
both are put back on A (2026-01-07T01:00Z, 02:00Z). Each move is harvested."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.moved_tag import GOOD, artifact_repo, lineage, md5, move_tags, swap

runner = CliRunner()
FIRST = "deployment:churn:prod:2026-01-02T11:00:00Z"  # of A's bytes
WHILE_MOVED = "deployment:churn:prod:2026-01-06T02:00:00Z"  # of B's bytes
BACK = "deployment:churn:prod:2026-01-07T02:00:00Z"  # of A's bytes again






def audit(repo: GitRepo, *rules: str) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json",
                              "--rule", ",".join(rules)])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]  # type: ignore[no-any-return]


def approve(repo: GitRepo, rid: str, who: str, decided: str) -> None:
    lineage(repo, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", who, "--decided-at", decided, "--id", rid)




@pytest.fixture
def back(git_repo: GitRepo) -> tuple[GitRepo, str, str]:
    repo = git_repo
    first = artifact_repo(repo)  # 2026-01-01T10:00Z
    repo.tick = 33
    repo.tag("churn@v1.0.0", "register")  # 2026-01-02T10:00Z
    repo.tag("churn#prod#1", "deploy")  # 11:00Z
    approve(repo, "rita-ok", "rita@example.com", "2026-01-02T10:30:00Z")
    api.harvest(repo.path)
    second = swap(repo)  # 2026-01-06T00:00Z
    away = move_tags(repo, 120, second)  # 2026-01-06T01:00Z, 02:00Z
    assert any("content is new from then" in w for w in away), away
    again = move_tags(repo, 144, first)  # 2026-01-07T01:00Z, 02:00Z
    # the harvest says the tag came back, not that the content is new
    [said] = [w for w in again if "tag churn@v1.0.0 moved" in w]
    assert "names again the commit the tag had left" in said, again
    return repo, first, second


def test_the_version_names_its_first_bytes_again(back: tuple[GitRepo, str, str]) -> None:
    """The run that made them produced what the version names: no model-has-run finding."""
    repo, first, second = back
    assert audit(repo, "model-has-run") == []
    from lineage.audit.context import audit_context
    from lineage.store import Store

    with Store.open(repo.path / ".lineage") as store:
        ctx = audit_context(store)
    art = ctx.artifact("model:churn@v1.0.0")
    assert art.hashes == {md5(GOOD)}, art
    assert art.moved is not None and (art.moved.old_commit, art.moved.new_commit) == (
        second, first)
    # the graph says where the tag is: the tree marks the commit it left, not the one it names
    tree = lineage(repo, "show", "churn@v1.0.0", "--depth", "1")
    assert f"tagged ← commit {second[:12]}" in tree and f"(tag moved to {first[:12]})" in tree
    [line] = [x for x in tree.splitlines() if f"tagged ← commit {first[:12]}" in x]
    assert "moved" not in line, tree


def test_each_deployment_is_judged_by_the_bytes_it_deployed(
        back: tuple[GitRepo, str, str]) -> None:
    repo, _, second = back
    found = {f["subject"]: f for f in audit(repo, "deployment-approved")}
    # A's bytes, approved after they existed: the first deployment and the one after the move
    # back; B's bytes, deployed with an approval decided before they existed: not approved
    assert set(found) == {WHILE_MOVED}, found
    message = found[WHILE_MOVED]["message"]
    assert "approval rita-ok was decided 2026-01-02T10:30:00Z, before" in message, message
    assert second[:12] in message, message
    # reviewed once B's bytes existed and before their deployment: it counts for that one
    approve(repo, "rita-b", "rita@example.com", "2026-01-06T01:30:00Z")
    assert audit(repo, "deployment-approved") == []


def test_the_store_and_the_graph_agree(back: tuple[GitRepo, str, str]) -> None:
    from lineage.audit import run_audit
    from lineage.store import Store

    repo, _, _ = back
    rules = ["model-has-run", "deployment-approved"]
    with Store.open(repo.path / ".lineage") as store:
        by_store = run_audit(store, rules=rules)
        by_graph = run_audit(store.load_graph(), rules=rules)
    assert [(f.rule, f.subject, f.message) for f in by_store.findings] == \
        [(f.rule, f.subject, f.message) for f in by_graph.findings]
    assert [f.subject for f in by_store.findings] == [WHILE_MOVED]


def test_a_store_that_kept_the_first_move_on_the_commit_audits_the_same(
        back: tuple[GitRepo, str, str]) -> None:
    """A store harvested before the edge was stated afresh still says, on A's edge, that the
    tag left A for B: the version's own commit says where the tag is now."""
    from lineage.model import Edge, EdgeKind
    from lineage.store import Store

    repo, first, second = back
    before = audit(repo, "model-has-run", "deployment-approved")
    with Store.open(repo.path / ".lineage") as store, store.transaction():
        store.upsert([Edge.make(EdgeKind.TAGGED, f"commit:{first}", "model:churn@v1.0.0",
                                tag="churn@v1.0.0", moved_to=second,
                                moved_at="2026-01-06T01:00:00Z",
                                registered_at="2026-01-02T10:00:00Z")])
        store.append_event("harvest", "test", {"harvester": "gto (earlier version)"})
    assert audit(repo, "model-has-run", "deployment-approved") == before
    assert [f["subject"] for f in before] == [WHILE_MOVED]


def test_the_catalog_audits_as_the_store(back: tuple[GitRepo, str, str], tmp_path) -> None:
    pytest.importorskip("datahub")
    repo, _, _ = back
    lite = tmp_path / "lite.db"
    lineage(repo, "push", str(lite))
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              "model-has-run,deployment-approved", "--source", "datahub-lite",
                              str(lite)])
    assert res.exit_code in (0, 1), res.output
    catalog = json.loads(res.stdout)["findings"]
    store = audit(repo, "model-has-run", "deployment-approved")
    assert [(f["rule"], f["subject"], f["message"]) for f in catalog] == \
        [(f["rule"], f["subject"], f["message"]) for f in store]
