"""A store cached by CI keeps the records it harvested from a pull request's commits; once the
pull request is force-pushed without them, those records are evidence the repository no longer
holds. The harvest says so, naming the record, the commit and why; the store keeps them
(records are never removed, and the other rules count them), and the audit fails
harvest-complete for each, so that the gate does not pass where a fresh clone's fails.

A real bare origin, real clones (CI's, fetching the whole history), a real force-push."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
DEPLOYMENT = "deployment:churn:prod:2025-12-21T08:00:00Z"


def _lineage(root: Path, *args: str) -> Result:
    return runner.invoke(app, [args[0], "-C", str(root), *args[1:]])


def _repo(path: Path) -> GitRepo:
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = path, 20
    return repo


def _approval(approver: str) -> str:
    return textwrap.dedent(f"""\
        kind: approval
        id: churn-prod-{approver}
        model: churn@v1.0.0
        environment: prod
        approver: {approver}@example.com
        decision: approved
        decided_at: 2025-12-20T10:00:00Z
    """)


class Project:
    """An origin whose main deploys churn v1.0.0 to prod, and a developer's clone."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        src = GitRepo(tmp / "src")
        src.write("governance/deployment.yaml", textwrap.dedent("""\
            kind: deployment
            model: churn@v1.0.0
            environment: prod
            deployed_at: 2025-12-21T08:00:00Z
        """))
        src.commit("deploy churn v1.0.0")
        self.origin = tmp / "origin.git"
        src.run("git", "clone", "-q", "--bare", str(src.path), str(self.origin))
        self.dev = self.clone("dev")
        self.dev.git("config", "user.name", "Dev")
        self.dev.git("config", "user.email", "dev@example.com")

    def clone(self, name: str, branch: str = "main") -> GitRepo:
        dest = self.tmp / name
        _repo(self.tmp).run("git", "clone", "-q", "--branch", branch,
                            f"file://{self.origin}", str(dest))
        return _repo(dest)

    def ci(self, name: str, cache: Path | None) -> GitRepo:
        """A CI job on the pull request: a fresh clone, the cached store restored (or a new
        one), harvested."""
        job = self.clone(name, "pr")
        if cache is not None and cache.exists():
            shutil.copytree(cache, job.path / ".lineage")
        else:
            api.init(job.path)
        return job


def _audit(root: Path) -> dict:
    res = _lineage(root, "audit", "--json")
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def _failing(report: dict) -> set[tuple[str, str]]:
    return {(f["rule"], f["subject"]) for f in report["findings"]}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_records_of_commits_force_pushed_away_fail_the_gate(project: Project,
                                                            tmp_path: Path) -> None:
    dev = project.dev
    dev.git("checkout", "-q", "-b", "pr")
    dev.write("governance/approval/alice.yaml", _approval("alice"))
    dev.write("governance/approval/bob.yaml", _approval("bob"))
    added = dev.commit("prod approvals")
    dev.git("push", "-q", "origin", "pr")

    cache = tmp_path / "cache"
    first = project.ci("ci1", None)
    assert _lineage(first.path, "harvest").exit_code == 0
    assert ("deployment-approved", DEPLOYMENT) not in _failing(_audit(first.path))
    shutil.copytree(first.path / ".lineage", cache)  # CI caches the store

    dev.git("reset", "-q", "--hard", "main")  # the approvals taken out of the pull request
    dev.git("push", "-q", "--force", "origin", "pr")

    fresh = project.ci("fresh", None)
    assert _lineage(fresh.path, "harvest").exit_code == 0
    assert ("deployment-approved", DEPLOYMENT) in _failing(_audit(fresh.path))

    cached = project.ci("ci2", cache)
    res = _lineage(cached.path, "harvest", "--json")
    assert res.exit_code == 0, res.output
    said = [w for w in json.loads(res.stdout)["warnings"] if "no ref of this clone" in
            w["message"]]
    assert sorted(w["file"] for w in said) == ["governance/approval/alice.yaml",
                                                "governance/approval/bob.yaml"]
    for w in said:
        assert w["commit"] == added
        assert "approval:churn-prod-" in w["message"] and added[:12] in w["message"]
        assert "this clone does not hold it" in w["message"]  # the clone lacks the commit

    report = _audit(cached.path)
    gaps = [f for f in report["findings"] if f["rule"] == "harvest-complete"
            and f["subject"].startswith("approval:")]
    assert sorted(f["subject"] for f in gaps) == ["approval:churn-prod-alice",
                                                  "approval:churn-prod-bob"]
    assert all(f["severity"] == "critical" and f"commit:{added}" in f["evidence"]
               for f in gaps)
    assert _lineage(cached.path, "audit").exit_code == 1  # the gate fails, as a fresh clone's
    with api.open_store(cached.path) as store:  # records are never removed
        assert store.has_node("approval:churn-prod-alice")


def test_a_record_still_in_the_files_or_on_a_ref_is_not_said(project: Project,
                                                             tmp_path: Path) -> None:
    """A squash merge: the pull request's commit is gone with its branch, its record is in
    main's files. And a record of a branch the clone still holds is in the repository."""
    dev = project.dev
    dev.git("checkout", "-q", "-b", "pr")
    dev.write("governance/approval/alice.yaml", _approval("alice"))
    dev.commit("approve")
    dev.git("push", "-q", "origin", "pr")
    ci = project.ci("ci", None)
    assert _lineage(ci.path, "harvest").exit_code == 0
    cache = tmp_path / "cache"
    shutil.copytree(ci.path / ".lineage", cache)

    dev.git("checkout", "-q", "main")
    dev.git("merge", "-q", "--squash", "pr")
    dev.commit("approve (squashed)")
    dev.git("push", "-q", "origin", "main")
    dev.git("push", "-q", "--force", "origin", "main:pr")  # the branch now holds main

    again = project.ci("ci-after-merge", cache)
    res = _lineage(again.path, "harvest", "--json")
    assert res.exit_code == 0, res.output
    assert not [w for w in json.loads(res.stdout)["warnings"]
                if "no ref of this clone" in w["message"]]
    assert not [f for f in _audit(again.path)["findings"]
                if f["rule"] == "harvest-complete" and f["subject"].startswith("approval:")]


def test_a_waiver_accepts_one_such_record(project: Project, tmp_path: Path) -> None:
    dev = project.dev
    dev.git("checkout", "-q", "-b", "pr")
    dev.write("governance/approval/alice.yaml", _approval("alice"))
    dev.commit("approve")
    dev.git("push", "-q", "origin", "pr")
    ci = project.ci("ci", None)
    assert _lineage(ci.path, "harvest").exit_code == 0
    dev.git("reset", "-q", "--hard", "main")
    dev.git("push", "-q", "--force", "origin", "pr")
    later = project.clone("later", "pr")
    shutil.copytree(ci.path / ".lineage", later.path / ".lineage")
    later.write("lineage-policy.yaml", textwrap.dedent("""\
        waivers:
          - rule: harvest-complete
            node: approval:churn-prod-alice
            reason: approved in the review meeting; the file was dropped by mistake (ML-42)
            owner: carol@example.com
            expires: 2099-01-01
    """))
    assert _lineage(later.path, "harvest").exit_code == 0
    report = _audit(later.path)
    assert not [f for f in report["findings"] if f["subject"] == "approval:churn-prod-alice"]
    assert [f["subject"] for f in report["waived"]] == ["approval:churn-prod-alice"]
