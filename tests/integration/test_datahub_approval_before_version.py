"""The catalog's audit dates a version by its commit, as the store's does: an approval decided
before the version existed is flagged by `lineage audit --source datahub-lite` too (the commit's
earliest time travels as the custom property ``git_committed_at``).

The repository: a model file committed on 2026-01-03T10:00Z and registered with the GTO tag
``churn@v2.0.0`` on 2026-01-05T10:00Z; approvals and the prod deployment (2026-01-06T08:00Z)
are recorded through the CLI, then pushed to a real DataHub Lite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

pytest.importorskip("datahub")

runner = CliRunner()
DEPLOYED = "2026-01-06T08:00:00Z"
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v2.0.0,PROD)"


def lineage(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    return res.stdout


def approve(repo: GitRepo, rid: str, decided_at: str, approver: str = "rita@example.com"
            ) -> None:
    lineage(repo, "record", "approval", "--model", "churn@v2.0.0", "--env", "prod",
            "--approver", approver, "--role", "risk-officer", "--decided-at", decided_at,
            "--evidence", "ML-42", "--id", rid, "--allow-new")


def deploy(repo: GitRepo) -> None:
    lineage(repo, "record", "deployment", "--model", "churn@v2.0.0", "--env", "prod",
            "--deployed-at", DEPLOYED, "--deployed-by", "deploy-bot", "--id", "churn-prod",
            "--allow-new")


def audit(repo: GitRepo, *source: str) -> list[tuple[str, str, str, str]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", *source])
    assert res.exit_code in (0, 1), res.output
    return sorted((f["rule"], f["subject"], f["severity"], f["message"])
                  for f in json.loads(res.stdout)["findings"])


def both_audits(repo: GitRepo, tmp_path: Path) -> tuple[list[Any], list[Any]]:
    lite = tmp_path / "catalog.db"
    lineage(repo, "push", "--to", "datahub-lite", str(lite))
    return audit(repo), audit(repo, "--source", "datahub-lite", str(lite))


def in_advance(findings: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    return [f for f in findings if "before churn@v2.0.0" in f[3] and "existed" in f[3]]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("models/churn.pkl", "weights of v2\n")
    git_repo.tick = 57  # the commit: 2026-01-03T10:00Z
    git_repo.commit("train churn v2.0.0")
    git_repo.tick = 105  # the GTO registration: 2026-01-05T10:00Z
    git_repo.tag("churn@v2.0.0", "register churn v2.0.0")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    return git_repo


def test_an_approval_before_the_commit_is_flagged_from_the_catalog(
        repo: GitRepo, tmp_path: Path) -> None:
    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    deploy(repo)
    store, catalog = both_audits(repo, tmp_path)
    flagged = in_advance(store)
    assert [(r, s) for r, s, _, _ in flagged] == [("deployment-approved",
                                                  "deployment:churn-prod")], store
    assert in_advance(catalog) == flagged
    assert catalog == store


def test_an_approval_after_the_commit_is_not_flagged_from_the_catalog(
        repo: GitRepo, tmp_path: Path) -> None:
    """The time is the commit's, not the push's or the harvest's: the usual flow (train,
    commit, approve, tag) passes from the catalog too."""
    approve(repo, "appr-ticket", "2026-01-04T09:00:00Z")
    deploy(repo)
    store, catalog = both_audits(repo, tmp_path)
    assert not [f for f in store if f[0] == "deployment-approved"], store
    assert catalog == store


def test_the_commit_time_is_on_the_version_in_the_catalog(repo: GitRepo,
                                                           tmp_path: Path) -> None:
    from datahub.lite.lite_util import get_datahub_lite as lite_of

    approve(repo, "appr-early", "2026-01-02T09:00:00Z")
    deploy(repo)
    lite = tmp_path / "catalog.db"
    lineage(repo, "push", "--to", "datahub-lite", str(lite))
    db = lite_of({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                 read_only=True)
    try:
        got = db.get(VERSION, None) or {}
    finally:
        db.close()
    props = got["mlModelProperties"]["customProperties"]
    assert props["git_committed_at"].startswith("2026-01-03T10:00:00"), props


def test_the_commit_that_added_its_artifact_dates_it_from_the_catalog(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """The model file is added with DVC on 2026-01-03T10:00Z and the GTO tag put on a later
    commit (2026-01-04T12:00Z): an approval decided before the first is flagged from the
    catalog as from the store."""
    git_repo.dvc("init", "-q")
    git_repo.write("models/churn.pkl", "weights of v2\n")
    git_repo.dvc("add", "-q", "models/churn.pkl")
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.pkl\n"
                               "    type: model\n")
    git_repo.tick = 57
    git_repo.commit("train churn v2.0.0")  # 2026-01-03T10:00Z
    git_repo.write("README.md", "churn\n")
    git_repo.tick = 83
    git_repo.commit("describe the model")  # 2026-01-04T12:00Z
    git_repo.tick = 105
    git_repo.tag("churn@v2.0.0", "register churn v2.0.0")  # 2026-01-05T10:00Z, on HEAD
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    approve(git_repo, "appr-early", "2026-01-03T08:00:00Z")
    deploy(git_repo)
    store, catalog = both_audits(git_repo, tmp_path)
    assert [(r, s) for r, s, _, _ in in_advance(store)] == [("deployment-approved",
                                                            "deployment:churn-prod")], store
    assert in_advance(catalog) == in_advance(store)
