"""Two repositories pushing to one DataHub: another repository's live deployment is not stale.

Team A and team B each register ``fraud@v1.0.0`` with GTO (tags in their own repository) and
push to the same DataHub Lite file; team A also assigns it to prod. Team B's graph holds a GTO
``fraud@v1.0.0`` too, but not the commit team A's stage tag points to: team B's push, even
with ``-o remove_stale=true``, leaves team A's deployment and its proxy job live, and team A's
audit of the catalog keeps the finding on it. (A fresh clone of the deploying repository still
removes a deployment whose tag is gone: test_datahub_stale_deployments.) A deployment that does
not name its stage tag's commit (edited since it was pushed) cannot be told apart: it is
left and named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage import api  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()
DEPLOYMENT = ("urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,"
              "fraud_v1.0.0_prod_20260101T010000Z,PROD)")
JOB = ("urn:li:dataJob:(urn:li:dataFlow:(dvc,deployments/fraud,PROD),"
       "fraud_v1.0.0_prod_20260101T010000Z)")
FINDING = ("deployment-approved", "deployment:fraud:prod:2026-01-01T01:00:00Z")
RISK = """\
kind: risk_assessment
id: ra-{team}
model_group: fraud
tier: high
assessor: rita@acme.io
assessed_at: 2026-01-01
"""


def _team(tmp_path: Path, team: str, *, prod: bool) -> GitRepo:
    repo = GitRepo(tmp_path / team)
    repo.git("remote", "add", "origin", f"https://git.example.com/{team}/ml.git")
    repo.write("models/fraud.json", f'{{"team": "{team}"}}\n')
    repo.write("governance/ra.yaml", RISK.format(team=team))
    repo.commit("v1")
    repo.git("tag", "-a", "fraud@v1.0.0", "-m", "register")
    if prod:
        repo.git("tag", "-a", "fraud#prod#1", "-m", "assign")
    api.init(repo.path)
    api.harvest(repo.path)
    return repo


def _push(repo: GitRepo, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", *args, "--json", "--repo", str(repo.path)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _lite(path: Path, read_only: bool = True) -> Any:
    from datahub.lite.lite_util import get_datahub_lite

    return get_datahub_lite({"type": "sqlite", "config": {"file": str(path),
                                                          "read_only": read_only}},
                            read_only=read_only)


def _held(lite: Path, urn: str) -> dict[str, Any]:
    db = _lite(lite)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def _findings(repo: GitRepo, *source: str) -> set[tuple[str, str]]:
    res = runner.invoke(app, ["audit", *source, "--json", "--repo", str(repo.path)],
                        catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]}


def test_another_repositorys_push_leaves_a_live_deployment_live(tmp_path: Path) -> None:
    lite = tmp_path / "shared-lite.db"
    team_a = _team(tmp_path, "teamA", prod=True)
    team_b = _team(tmp_path, "teamB", prod=False)
    _push(team_a, str(lite))
    assert FINDING in _findings(team_a, "--source", "datahub-lite", str(lite))

    out = _push(team_b, str(lite), "-o", "remove_stale=true")
    assert "removed_entities" not in out and "stale_entities" not in out
    assert "unchecked_deployments" not in out
    assert _held(lite, DEPLOYMENT)["status"] == {"removed": False}
    assert _held(lite, JOB)["status"] == {"removed": False}
    # team A's catalog audit still finds its unapproved prod deployment
    assert FINDING in _findings(team_a, "--source", "datahub-lite", str(lite))

    # team A pushes again: nothing to bring back, its deployment was never hidden
    again = _push(team_a, str(lite))
    assert again["written"] == 0
    assert _held(lite, DEPLOYMENT)["status"] == {"removed": False}


def test_a_deployment_that_does_not_name_its_commit_is_left_and_named(tmp_path: Path) -> None:
    """Edited since it was pushed: no ``commit`` among its custom properties."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import DataJobInfoClass, MLModelDeploymentPropertiesClass

    lite = tmp_path / "shared-lite.db"
    team_a = _team(tmp_path, "teamA", prod=True)
    team_b = _team(tmp_path, "teamB", prod=False)
    _push(team_a, str(lite))
    db = _lite(lite, read_only=False)
    try:
        for urn, cls, name in ((DEPLOYMENT, MLModelDeploymentPropertiesClass,
                                "mlModelDeploymentProperties"),
                               (JOB, DataJobInfoClass, "dataJobInfo")):
            aspect = dict(db.get(urn, [name])[name])
            aspect["customProperties"] = {k: v for k, v in aspect["customProperties"].items()
                                          if k != "commit"}
            db.write(MetadataChangeProposalWrapper(entityUrn=urn,
                                                   aspect=cls.from_obj(aspect)))
    finally:
        db.close()

    import shutil

    copy = tmp_path / "shared-lite-copy.db"
    shutil.copyfile(lite, copy)
    res = runner.invoke(app, ["push", str(lite), "-o", "remove_stale=true", "--json",
                              "--repo", str(team_b.path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "removed_entities" not in out and "stale_entities" not in out
    assert out["unchecked_deployments"] == sorted([DEPLOYMENT, JOB])
    # said on the terminal too, not only in --json
    res = runner.invoke(app, ["push", str(copy), "-o", "remove_stale=true",
                              "--repo", str(team_b.path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "2 GTO deployments the destination lists live" in res.stderr, res.output
    assert "do not name their stage tag's commit" in res.stderr
    assert _held(lite, DEPLOYMENT)["status"] == {"removed": False}
    assert _held(lite, JOB)["status"] == {"removed": False}
