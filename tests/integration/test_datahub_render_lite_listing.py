"""What DataHub Lite's ``ls`` lists of a push, browsed with Lite's own code.

Lite groups an entity under its subtype (or entity type) with an "s" added: a subtype names
the type of one entity ("DVC Pipeline" → ``dvc pipelines``), so the flow of a model group's
deployments is a "Model Deployment Pipeline" (``model deployment pipelines``), not a plural
that Lite pluralizes again.

Lite's ``ls`` reads its browse index only, never an entity's ``status``: an entity a push
soft-deleted (``-o remove_stale=true``, ``status.removed`` true) stays listed there, as the
repository a remote's addition renamed does, while DataHub's GMS and UI leave it out. Every
entity listed under the former repository is one the push soft-deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import REMOTE_ADDED_URL, GitRepo, dvc_pipeline

pytest.importorskip("datahub")

runner = CliRunner()
INSTANCE = "/data_platforms/dvc/instances/default"


def _lite(path: Path) -> Any:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    return get_datahub_lite(lite_config(path, read_only=True), read_only=True)


def _ls(db: Any, path: str) -> dict[str, str]:
    return {b.name: b.id for b in db.ls(path)}


def _tree(db: Any, path: str) -> set[str]:
    """Every entity urn Lite lists at or below ``path``, through its type folders and
    containers (a flow's jobs are not reached: Lite names a flow by its urn's id, which holds
    slashes its ``ls`` splits a path at)."""
    out: set[str] = set()
    for name, urn in _ls(db, path).items():
        if not urn.startswith("urn:li:systemNode"):
            out.add(urn)
        if urn.startswith(("urn:li:systemNode", "urn:li:container")):
            out |= _tree(db, f"{path}/{name}")
    return out


def test_the_deployment_flow_is_listed_under_one_type(quickstart_demo: Path) -> None:
    db = _lite(quickstart_demo / ".lineage" / "datahub-lite.db")
    try:
        assert set(_ls(db, INSTANCE)) == {"ml experiments", "model deployment pipelines",
                                          "repositorys"}
        flows = _ls(db, f"{INSTANCE}/model deployment pipelines")
        assert flows == {"deployments/churn": "urn:li:dataFlow:(dvc,deployments/churn,PROD)"}
        assert db.get(flows["deployments/churn"], ["subTypes"])["subTypes"] == {
            "typeNames": ["Model Deployment Pipeline"]}
    finally:
        db.close()


def _push(repo: GitRepo, lite: Path, *extra: str) -> None:
    res = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(repo.path), *extra])
    assert res.exit_code == 0, res.output


def test_lite_lists_the_soft_deleted_former_repository(git_repo: GitRepo,
                                                       tmp_path: Path) -> None:
    dvc_pipeline(git_repo)
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    lite = tmp_path / "catalog.db"
    _push(git_repo, lite)
    root = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    git_repo.git("remote", "add", "origin", REMOTE_ADDED_URL)
    api.harvest(git_repo.path)
    _push(git_repo, lite, "-o", "remove_stale=true")

    db = _lite(lite)
    try:
        top = f"{INSTANCE}/repositorys"
        repos = _ls(db, top)
        assert set(repos) == {f"root:{root}", "churn"}
        former = _tree(db, f"{top}/root:{root}") | {repos[f"root:{root}"]}
        current = _tree(db, f"{top}/churn") | {repos["churn"]}
        # the repository, its data folder, two datasets and the pipeline
        assert len(former) == len(current) == 5
        for urn in former:  # listed by Lite, soft-deleted by the push
            assert db.get(urn, ["status"])["status"] == {"removed": True}, urn
        for urn in current:
            assert db.get(urn, ["status"])["status"] == {"removed": False}, urn
    finally:
        db.close()
