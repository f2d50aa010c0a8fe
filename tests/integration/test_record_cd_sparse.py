"""A sparse checkout that leaves the governance folder out (`git sparse-checkout set --cone src
data models`) must not read as "no governance records": the harvest says which record files
of HEAD it could not read, and the audit fails harvest-complete with the fix (`git
sparse-checkout add governance`) instead of losing the deployment's approval finding and the
risk tier without a word. A real bare origin, a partial clone, a real sparse checkout."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _lineage(root: Path, *args: str) -> Result:
    return runner.invoke(app, [args[0], "-C", str(root), *args[1:]])


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    src = GitRepo(tmp_path / "src")
    src.write("src/train.py", "print('train')\n")
    src.write("data/train.csv", "a,b\n1,2\n")
    src.write("models/churn.json", '{"w": 1}\n')
    src.write("governance/risk.yaml", textwrap.dedent("""\
        kind: risk_assessment
        id: churn-2026
        model_group: churn
        tier: high
        assessor: carol
        assessed_at: 2026-01-10
    """))
    src.write("governance/deployment/prod.yaml", textwrap.dedent("""\
        kind: deployment
        model: churn@v1.0.0
        environment: prod
        deployed_at: 2026-01-21T08:00:00Z
    """))
    src.commit("churn v1.0.0 in prod, unapproved")
    bare = tmp_path / "origin.git"
    src.run("git", "clone", "-q", "--bare", str(src.path), str(bare))
    src.run("git", "-C", str(bare), "config", "uploadpack.allowFilter", "true")
    return bare


def _sparse_clone(origin: Path, dest: Path) -> GitRepo:
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = dest, 10
    origin_repo = GitRepo.__new__(GitRepo)
    origin_repo.path, origin_repo.tick = origin, 10
    origin_repo.run("git", "clone", "-q", "--filter=blob:none", "--no-checkout",
                    f"file://{origin}", str(dest))
    repo.run("git", "sparse-checkout", "set", "--cone", "src", "data", "models")
    repo.run("git", "checkout", "-q", "main")
    return repo


def _audit(root: Path) -> dict:
    res = _lineage(root, "audit", "--json")
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def test_a_sparse_checkout_without_the_governance_folder_fails_the_audit(
        origin: Path, tmp_path: Path) -> None:
    full = _sparse_clone(origin, tmp_path / "full")
    full.run("git", "sparse-checkout", "disable")
    api.init(full.path)
    assert _lineage(full.path, "harvest").exit_code == 0
    expected = {(f["rule"], f["subject"]) for f in _audit(full.path)["findings"]}
    assert ("deployment-approved", "deployment:churn:prod:2026-01-21T08:00:00Z") in expected

    repo = _sparse_clone(origin, tmp_path / "sparse")
    assert not (repo.path / "governance").exists()
    assert "governance/risk.yaml" in repo.git("ls-tree", "-r", "--name-only", "HEAD")
    api.init(repo.path)
    res = _lineage(repo.path, "harvest", "--json")
    assert res.exit_code == 0, res.output
    warnings = [w["message"] for w in json.loads(res.stdout)["warnings"]]
    [said] = [w for w in warnings if "sparse checkout" in w]
    assert "governance/deployment/prod.yaml" in said and "governance/risk.yaml" in said
    assert "git sparse-checkout add governance" in said

    report = _audit(repo.path)
    [gap] = [f for f in report["findings"] if f["rule"] == "harvest-complete"
             and "sparse checkout" in f["message"]]
    assert gap["severity"] == "critical"
    assert "git sparse-checkout add governance" in gap["remediation"]
    assert _lineage(repo.path, "audit").exit_code == 1  # the gate fails

    # the fix: the folder checked out, harvested again: the findings are the full clone's
    repo.run("git", "sparse-checkout", "add", "governance")
    assert _lineage(repo.path, "harvest").exit_code == 0
    after = _audit(repo.path)
    assert not [f for f in after["findings"] if "sparse checkout" in f["message"]]
    assert {(f["rule"], f["subject"]) for f in after["findings"]} == expected


def test_a_sparse_checkout_holding_the_governance_folder_says_nothing(
        origin: Path, tmp_path: Path) -> None:
    repo = _sparse_clone(origin, tmp_path / "sparse")
    repo.run("git", "sparse-checkout", "add", "governance")
    api.init(repo.path)
    res = _lineage(repo.path, "harvest", "--json")
    assert res.exit_code == 0, res.output
    assert not [w for w in json.loads(res.stdout)["warnings"]
                if "sparse checkout" in w["message"]]
    with api.open_store(repo.path) as store:
        assert store.has_node("risk_assessment:churn-2026")


def test_the_checkout_state_is_evidence_logged_in_the_chain(origin: Path, tmp_path: Path) -> None:
    """The records harvester's ``checkout`` watermark is what harvest-complete reads: it is
    logged in the hash-chained event log, so deleting its row outside lineage fails verify
    instead of hiding the finding."""
    import sqlite3

    sparse = _sparse_clone(origin, tmp_path / "sparse")
    api.init(sparse.path)
    assert _lineage(sparse.path, "harvest").exit_code == 0
    assert _lineage(sparse.path, "verify").exit_code == 0
    db = sparse.path / ".lineage" / "lineage.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("DELETE FROM watermarks WHERE harvester = 'records' "
                            "AND scope = 'checkout'").rowcount == 1
    res = _lineage(sparse.path, "verify")
    assert res.exit_code == 1, res.output
    assert "checkout" in res.output, res.output
