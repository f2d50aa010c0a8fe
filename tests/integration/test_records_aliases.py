"""Records name model groups through ``model_aliases`` as the registries' harvesters do: an
approval, deployment, assessment or run naming a model by another registry's name lands on the
canonical nodes the GTO harvester made, so the audit gate sees the approval of the version GTO
deployed (and no placeholder under the other name is left for lineage-continuity to flag).
Both ways in: ``lineage record`` and governance files harvested from the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """GTO registers and deploys `churn-gto`, which lineage.yaml calls `churn`."""
    monkeypatch.chdir(git_repo.path)
    git_repo.write("lineage.yaml", "model_aliases:\n  churn-gto: churn\n")
    git_repo.write("model.bin", "weights\n")
    git_repo.commit("model")
    git_repo.tag("churn-gto@v1.0.0", "register")
    git_repo.tag("churn-gto#prod#1", "promote")  # pinned dates: 2026-01-01T03:00:00Z
    _ok("init")
    _ok("harvest")
    return git_repo


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _nodes(repo: GitRepo) -> dict[str, dict[str, Any]]:
    with api.open_store(repo.path) as store:
        return {n.id: n.attrs for n in store.iter_nodes()}


def _audit() -> dict[str, Any]:
    import json

    res = runner.invoke(app, ["audit", "--as-of", "2026-06-01", "--format", "json",
                              "--rule", "deployment-approved", "--rule", "lineage-continuity",
                              "--rule", "risk-tier-set"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def _finding_rules(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule"], f["subject"]) for f in report["findings"]}


def test_recorded_approval_and_assessment_by_the_other_name_gate_the_gto_deployment(
        repo: GitRepo) -> None:
    before = _finding_rules(_audit())
    assert ("deployment-approved", "deployment:churn:prod:2026-01-01T03:00:00Z") in before

    _ok("record", "approval", "--model", "churn-gto@v1.0.0", "--env", "prod", "--approver",
        "rita@example.com", "--role", "risk-officer", "--decided-at", "2026-01-01T02:30:00Z",
        "--write-file")
    _ok("record", "assessment", "--group", "churn-gto", "--tier", "minimal",
        "--assessed-at", "2025-12-10", "--next-review", "2027-01-10")
    nodes = _nodes(repo)
    assert not any(n.startswith(("model:churn-gto", "model_group:churn-gto")) for n in nodes)
    approval = next(a for n, a in nodes.items() if n.startswith("approval:"))
    assert approval["model"] == "model:churn@v1.0.0"
    assessment = next(a for n, a in nodes.items() if n.startswith("risk_assessment:"))
    assert assessment["model_group"] == "model_group:churn"
    assert _finding_rules(_audit()) == set()
    # the file written for review names the canonical model; harvesting it changes nothing
    (written,) = (repo.path / "governance" / "approval").glob("*.yaml")
    assert "model: churn@v1.0.0" in written.read_text()
    with api.open_store(repo.path) as store:
        head = store.head()
    _ok("harvest")
    with api.open_store(repo.path) as store:
        assert store.head() == head


def test_governance_files_by_the_other_name_land_on_the_canonical_nodes(repo: GitRepo) -> None:
    gov = repo.path / "governance"
    (gov / "churn").mkdir(parents=True)
    (gov / "churn" / "records.yaml").write_text(
        "- kind: approval\n  id: appr-1\n  model: churn-gto@v1.0.0\n  environment: prod\n"
        "  approver: rita@example.com\n  role: risk-officer\n  decision: approved\n"
        "  decided_at: 2026-01-01T02:30:00Z\n"
        "- kind: risk_assessment\n  id: ra-1\n  model_group: churn-gto\n  tier: minimal\n"
        "  assessor: max@example.com\n  assessed_at: 2025-12-10\n  next_review: 2027-01-10\n"
        "- kind: deployment\n  model: churn-gto@v1.0.0\n  environment: prod\n"
        "  deployed_at: 2026-01-01T03:00:00Z\n  deployed_by: ci\n"
        "- kind: run\n  id: run-1\n  name: train\n  models:\n"
        "    - {name: churn-gto, version: v1.1.0, hash: 'md5:00000000000000000000000000000001'}\n")
    _ok("harvest")
    nodes = _nodes(repo)
    assert not any(n.startswith(("model:churn-gto", "model_group:churn-gto")) for n in nodes)
    assert nodes["approval:appr-1"]["model"] == "model:churn@v1.0.0"
    assert nodes["risk_assessment:ra-1"]["model_group"] == "model_group:churn"
    # the deployment record is the deployment GTO made (one node, by its canonical id)
    deployments = [n for n in nodes if n.startswith("deployment:")]
    assert deployments == ["deployment:churn:prod:2026-01-01T03:00:00Z"]
    assert nodes["model:churn@v1.1.0"]["artifact_hash"] == "md5:00000000000000000000000000000001"
    assert _finding_rules(_audit()) == set()
    with api.open_store(repo.path) as store:
        head = store.head()
    _ok("harvest")
    with api.open_store(repo.path) as store:
        assert store.head() == head


def test_a_recorded_run_by_the_other_name_produces_the_canonical_version(repo: GitRepo,
                                                                        tmp_path: Path) -> None:
    _ok("record", "run", "--name", "train", "--clean", "--model", "churn-gto@v1.1.0=model.bin")
    nodes = _nodes(repo)
    assert "model:churn@v1.1.0" in nodes
    assert nodes["model_group:churn"]["registry"] == "gto"  # GTO's group keeps its facts
    assert not any(n.startswith(("model:churn-gto", "model_group:churn-gto")) for n in nodes)


def _store_state(repo: GitRepo) -> tuple[tuple[int, str], dict[str, dict[str, int]]]:
    from tests.conftest import store_state

    return store_state(repo)


DEPLOYMENT = ("kind: deployment\nmodel: {model}\nenvironment: prod\nendpoint: {endpoint}\n"
              "deployed_at: 2026-02-01T08:00:00Z\n")


def test_two_files_saying_otherwise_about_one_deployment_by_both_names_fail_the_harvest(
        repo: GitRepo) -> None:
    # `churn-gto@…` is `churn@…`: these are one deployment (group, environment, time) with two
    # endpoints; the second file must not silently overwrite the first
    gov = repo.path / "governance"
    gov.mkdir()
    (gov / "a.yaml").write_text(DEPLOYMENT.format(model="churn-gto@v1.0.0",
                                                  endpoint="https://a.example.com"))
    (gov / "b.yaml").write_text(DEPLOYMENT.format(model="churn@v1.0.0",
                                                  endpoint="https://b.example.com"))
    before = _store_state(repo)
    res = runner.invoke(app, ["harvest"])
    assert res.exit_code == 2, res.output
    assert ("governance/b.yaml:4 (endpoint): record deployment:churn:prod:2026-02-01T08:00:00Z "
            "is also in governance/a.yaml:4, which says otherwise about endpoint") in res.stderr
    assert _store_state(repo) == before
    # record validate says the same before merging
    res = runner.invoke(app, ["record", "validate", "--json"])
    assert res.exit_code == 1, res.output
    assert "says otherwise about endpoint" in res.stdout


def test_one_record_under_both_names_is_one_fact_not_a_contradiction(repo: GitRepo) -> None:
    gov = repo.path / "governance"
    gov.mkdir()
    approval = ("kind: approval\nid: appr-9\nmodel: {model}\nenvironment: prod\n"
                "approver: rita@example.com\ndecision: approved\n"
                "decided_at: 2026-01-01T02:30:00Z\n")
    (gov / "a.yaml").write_text(approval.format(model="churn-gto@v1.0.0")
                                + "---\n" + DEPLOYMENT.format(model="churn-gto@v1.0.0",
                                                              endpoint="https://a.example.com"))
    (gov / "b.yaml").write_text(approval.format(model="churn@v1.0.0")
                                + "---\n" + DEPLOYMENT.format(model="churn@v1.0.0",
                                                              endpoint="https://a.example.com")
                                + "deployed_by: ci\n")
    res = runner.invoke(app, ["record", "validate"])
    assert res.exit_code == 0, res.output
    _ok("harvest")
    nodes = _nodes(repo)
    assert nodes["approval:appr-9"]["model"] == "model:churn@v1.0.0"
    dep = nodes["deployment:churn:prod:2026-02-01T08:00:00Z"]
    assert dep["endpoint"] == "https://a.example.com" and dep["deployed_by"] == "ci"
