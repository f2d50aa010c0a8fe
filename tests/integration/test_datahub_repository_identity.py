"""A repository harvested before its remote was added: one dataset per file in DataHub.

Adding a remote moves the repository's identity (``repository:root:<sha>`` becomes
``repository:github.com/…``) and the harvest re-harvests every fact under the new id; the
facts of the former id stay in the store's audit trail. The former repository says which id
it became (``superseded_by``) and the catalog shows the facts of both under the current one:
one dataset per DVC file and one job per stage, with runs recorded before the move pointing
at them. Datasets pushed under the former id before are left in place (counted as stale),
or soft-deleted with ``-o remove_stale=true``, as DataHub's stateful ingestion removes stale
metadata.
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
from tests.conftest import REMOTE_ADDED_URL as URL  # noqa: E402
from tests.conftest import GitRepo, dvc_pipeline  # noqa: E402

runner = CliRunner()
NEW = "github.com/acme/churn"


def _push_file(repo: GitRepo, dest: Path, *extra: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", "--to", "datahub-file", str(dest), "--json",
                              "--repo", str(repo.path), *extra], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_the_former_repository_says_which_it_became(remote_added_repo: GitRepo) -> None:
    root = remote_added_repo.git("rev-list", "--max-parents=0", "HEAD")
    with api.open_store(remote_added_repo.path) as store:
        old = store.get_node(f"repository:root:{root}")
        assert old is not None and old.attrs["superseded_by"] == f"repository:{NEW}"
        new = store.get_node(f"repository:{NEW}")
        assert new is not None and not new.attrs.get("superseded_by")
        # the former id's facts are still in the trail
        assert store.get_node(f"data:root:{root}:data/raw.csv@md5:"
                              f"{_md5(remote_added_repo.path / 'data/raw.csv')}") is not None


def _md5(p: Path) -> str:
    import hashlib

    return hashlib.md5(p.read_bytes()).hexdigest()


def test_one_dataset_per_file_and_one_job_per_stage(remote_added_repo: GitRepo,
                                                     tmp_path: Path) -> None:
    dest = tmp_path / "mcps.json"
    _push_file(remote_added_repo, dest)
    mcps = json.loads(dest.read_text())
    datasets = {m["entityUrn"] for m in mcps
                if m["entityUrn"].startswith("urn:li:dataset:(urn:li:dataPlatform:dvc,")}
    assert datasets == {f"urn:li:dataset:(urn:li:dataPlatform:dvc,{NEW}/{p},PROD)"
                        for p in ("data/raw.csv", "data/prepared.csv")}
    assert URL.endswith(f"{NEW}.git")
    jobs = {m["entityUrn"] for m in mcps if m["entityUrn"].startswith("urn:li:dataJob:")}
    assert jobs == {f"urn:li:dataJob:(urn:li:dataFlow:(dvc,{NEW}/dvc.yaml,PROD),prepare)"}
    flows = {m["entityUrn"] for m in mcps if m["entityUrn"].startswith("urn:li:dataFlow:(dvc,")}
    assert flows == {f"urn:li:dataFlow:(dvc,{NEW}/dvc.yaml,PROD)"}
    # the run recorded before the remote was added reads the current dataset
    (inputs,) = [m["aspect"]["json"] for m in mcps
                 if m["aspectName"] == "dataProcessInstanceInput"]
    assert [e["destinationUrn"] for e in inputs["inputEdges"]] == [
        f"urn:li:dataset:(urn:li:dataPlatform:dvc,{NEW}/data/prepared.csv,PROD)"]
    # the dataset shows the file's versions once, with the current id's facts
    (props,) = [m["aspect"]["json"]["customProperties"] for m in mcps
                if m["aspectName"] == "datasetProperties"
                and m["entityUrn"].endswith(f"{NEW}/data/raw.csv,PROD)")]
    recorded = json.loads(props["dvc_recorded"])
    assert recorded and all(k.startswith(f"data:{NEW}:") for k in recorded)


def test_datasets_pushed_before_the_move_are_stale_then_removed(
        git_repo: GitRepo, tmp_path: Path) -> None:
    dvc_pipeline(git_repo)
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    lite = tmp_path / "catalog.db"
    first = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(git_repo.path)])
    assert first.exit_code == 0, first.output
    root = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    old = f"urn:li:dataset:(urn:li:dataPlatform:dvc,root:{root}/data/raw.csv,PROD)"

    git_repo.git("remote", "add", "origin", URL)
    api.harvest(git_repo.path)
    res = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    # two datasets, a job, its flow, the repository and its data folder of the former id:
    # left in place by default
    assert json.loads(res.stdout)["stale_entities"] == 6
    assert {n for n in _catalog(lite).node_ids() if n.startswith("data:root:")}

    res = runner.invoke(app, ["push", str(lite), "--json", "-o", "remove_stale=true",
                              "--repo", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["removed_entities"] == 6 and "stale_entities" not in out
    held = _lite_aspects(lite, old)
    assert held["status"] == {"removed": True}
    assert "datasetProperties" in held  # a soft delete: the aspects stay
    # the catalog people browse (and audit) no longer holds the former id's entities
    read = _catalog(lite)
    assert not {n for n in read.node_ids() if n.startswith(("data:root:", "stage:root:"))}
    assert {n for n in read.node_ids() if n.startswith(f"data:{NEW}:")}

    # nothing is stale any more: the next push has nothing to do
    again = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(git_repo.path)])
    assert again.exit_code == 0, again.output
    out = json.loads(again.stdout)
    assert out["written"] == 0 and "stale_entities" not in out


def test_a_removed_entity_rendered_again_comes_back(git_repo: GitRepo, tmp_path: Path) -> None:
    """The remote removed again: the root-commit identity is the current one once more, and
    the datasets a push soft-deleted are brought back (``status.removed`` false)."""
    lite, root, old = _pipeline_harvested(git_repo, tmp_path)
    new = f"urn:li:dataset:(urn:li:dataPlatform:dvc,{NEW}/data/raw.csv,PROD)"

    def push() -> dict[str, Any]:
        return _push_lite(git_repo, lite, "-o", "remove_stale=true")

    push()
    git_repo.git("remote", "add", "origin", URL)
    api.harvest(git_repo.path)
    assert push()["removed_entities"] == 6
    git_repo.git("remote", "remove", "origin")
    res = api.harvest(git_repo.path)
    assert any("identity changed" in str(w) for w in res.report.warnings)
    with api.open_store(git_repo.path) as store:
        back = store.get_node(f"repository:root:{root}")
        assert back is not None and not back.attrs.get("superseded_by")
        gone = store.get_node(f"repository:{NEW}")
        assert gone is not None and gone.attrs["superseded_by"] == f"repository:root:{root}"
    assert push()["removed_entities"] == 6
    assert _lite_aspects(lite, old)["status"] == {"removed": False}
    assert _lite_aspects(lite, new)["status"] == {"removed": True}


def test_a_store_moved_by_an_earlier_version_is_marked_at_the_next_harvest(
        git_repo: GitRepo) -> None:
    """An earlier version cleared the former repository's path but did not say which id it
    became: the next harvest says it, once."""
    from lineage.model import Node, NodeKind

    dvc_pipeline(git_repo)
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    git_repo.git("remote", "add", "origin", URL)
    api.harvest(git_repo.path)
    root = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    with api.open_store(git_repo.path) as store, store.transaction():
        store.upsert([Node.trusted(NodeKind.REPOSITORY, f"repository:root:{root}",
                                   {"superseded_by": None})])
        store.append_event("harvest", "test", {"harvester": "git (earlier version)"})
    assert api.harvest(git_repo.path, only=["git"]).new_events == 1
    with api.open_store(git_repo.path) as store:
        old = store.get_node(f"repository:root:{root}")
        assert old is not None and old.attrs["superseded_by"] == f"repository:{NEW}"
    assert api.harvest(git_repo.path, only=["git"]).new_events == 0


def _lite_aspects(lite: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        got = db.get(urn, None) or {}
    finally:
        db.close()
    return {k: v for k, v in got.items() if k != "urn"}


def _catalog(lite: Path) -> Any:
    """The graph the reader makes of everything the Lite file holds (``read_lite`` without its
    check for ML entities: these catalogs hold data and stages only)."""
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.reader import graph_from_mcps
    from connectors.sinks.datahub.sink import lite_config

    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        return graph_from_mcps(list(db.get_all_aspects()))
    finally:
        db.close()


def test_a_fresh_store_brings_back_what_another_store_removed(git_repo: GitRepo,
                                                              tmp_path: Path) -> None:
    """A store that never pushed to the catalog (a CI job's fresh clone) renders a dataset
    another store's push soft-deleted: the dataset is shown again, as DataHub's own
    ingestion marks every entity it emits ``removed: false``."""
    import shutil

    lite, root, old = _pipeline_harvested(git_repo, tmp_path)
    _push_lite(git_repo, lite)
    git_repo.git("remote", "add", "origin", URL)
    api.harvest(git_repo.path)
    assert _push_lite(git_repo, lite, "-o", "remove_stale=true")["removed_entities"] == 6
    assert _lite_aspects(lite, old)["status"] == {"removed": True}

    # the remote goes again, and a store that never pushed renders the former datasets
    git_repo.git("remote", "remove", "origin")
    shutil.rmtree(git_repo.path / ".lineage")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    out = _push_lite(git_repo, lite)
    assert out["written"] > 0
    assert _lite_aspects(lite, old)["status"] == {"removed": False}
    assert f"data:root:{root}:data/raw.csv" in {
        n.split("@")[0] for n in _catalog(lite).node_ids()}


def _push_lite(repo: GitRepo, lite: Path, *extra: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(repo.path), *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _pipeline_harvested(repo: GitRepo, tmp_path: Path) -> tuple[Path, str, str]:
    """A DVC pipeline harvested, no remote yet: the catalog file to push to, the root commit
    (the repository's identity) and the urn of ``data/raw.csv`` under it."""
    dvc_pipeline(repo)
    api.init(repo.path)
    api.harvest(repo.path)
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    return (tmp_path / "catalog.db", root,
            f"urn:li:dataset:(urn:li:dataPlatform:dvc,root:{root}/data/raw.csv,PROD)")
