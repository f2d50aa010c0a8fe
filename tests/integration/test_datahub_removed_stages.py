"""DVC stages and data no longer in the repository: what a push does with them in DataHub.

The store keeps history, so a stage removed from ``dvc.yaml`` (whose entry ``dvc repro`` even
leaves in ``dvc.lock``) and a path ``dvc remove`` stopped tracking are still in the graph. The
repository's HEAD no longer has them: like DataHub's stateful ingestion, ``-o
remove_stale=true`` soft-deletes them (``status.removed``), and without it the push counts
them as stale and says how to remove them. What a registered model version was trained from
stays live (evidence for that version); a stage put back is shown again.
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
from lineage.model import EdgeKind  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()
URL = "https://github.com/acme/churn.git"
KEY = "github.com/acme/churn"
FLOW = f"urn:li:dataFlow:(dvc,{KEY}/dvc.yaml,PROD)"


def job(name: str) -> str:
    return f"urn:li:dataJob:({FLOW},{name})"


def dataset(path: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:dvc,{KEY}/{path},PROD)"


PIPELINE = """\
stages:
  prepare:
    cmd: cp data/raw.csv data/prepared.csv
    deps: [data/raw.csv]
    outs: [data/prepared.csv]
"""
EXTRA = """\
  extra:
    cmd: cp data/raw.csv data/extra.csv
    deps: [data/raw.csv]
    outs: [data/extra.csv]
"""


def _repo(tmp_path: Path) -> GitRepo:
    """``data/raw.csv`` and ``data/old.csv`` added with DVC, two stages (``prepare``,
    ``extra``) reproduced and committed, harvested."""
    repo = GitRepo(tmp_path / "repo")
    repo.git("remote", "add", "origin", URL)
    repo.dvc("init", "-q")
    repo.write("data/raw.csv", "id,churned\n1,0\n2,1\n")
    repo.write("data/old.csv", "id\n1\n")
    repo.dvc("add", "-q", "data/raw.csv", "data/old.csv")
    repo.write("dvc.yaml", PIPELINE + EXTRA)
    repo.dvc("repro", "-q")
    repo.commit("data and pipeline")
    api.init(repo.path)
    api.harvest(repo.path)
    return repo


def _drop_extra(repo: GitRepo) -> None:
    """``extra`` removed from dvc.yaml, ``data/old.csv`` no longer tracked; committed."""
    repo.write("dvc.yaml", PIPELINE)
    repo.dvc("remove", "data/old.csv.dvc")
    repo.dvc("repro", "-q")
    # (DVC keeps the removed stage's entry in dvc.lock: dvc.yaml is what defines a stage)
    assert "extra:" in (repo.path / "dvc.lock").read_text()
    repo.commit("drop the extra stage and data/old.csv")
    api.harvest(repo.path)


def _push(repo: GitRepo, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", *args, "--json", "--repo", str(repo.path)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _human(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, ["push", *args, "--repo", str(repo.path)],
                        env={"COLUMNS": "400"}, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def _held(repo: GitRepo) -> dict[str, dict[str, Any]]:
    """Every entity the repository's DataHub Lite file holds, read with acryl's Lite API."""
    from datahub.lite.lite_util import get_datahub_lite

    lite = repo.path / ".lineage" / "datahub-lite.db"
    db = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                          read_only=True)
    try:
        return {str(u): db.get(str(u), None) or {} for u in db.list_ids()}
    finally:
        db.close()


def _removed(held: dict[str, dict[str, Any]], urn: str) -> bool:
    assert urn in held, f"{urn} is not in DataHub Lite"
    return bool(held[urn]["status"]["removed"])


GONE = [job("extra"), dataset("data/extra.csv"), dataset("data/old.csv")]
STAYS = [job("prepare"), FLOW, dataset("data/raw.csv"), dataset("data/prepared.csv")]


def test_a_removed_stage_and_data_are_stale_then_soft_deleted(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _push(repo)
    assert not any(_removed(_held(repo), u) for u in GONE + STAYS)
    _drop_extra(repo)

    # without the option: live, counted and named as stale, with how to remove them
    said = _human(repo)
    assert "3 entities pushed before" in said and "-o remove_stale=true soft-deletes" in said
    assert ("no longer in the graph or the repository's HEAD (3 gone from dvc.yaml / "
            "DVC-tracked paths at HEAD)") in said
    assert job("extra") in said
    held = _held(repo)
    assert not any(_removed(held, u) for u in GONE + STAYS)
    # (and again by a push that finds nothing changed)
    out = _push(repo)
    assert out["written"] == 0
    assert out["stale_entities"] == 3 and sorted(out["stale_urns"]) == sorted(GONE), out
    assert "removed_entities" not in out

    # with it: soft-deleted, the rest of the pipeline live
    out = _push(repo, "-o", "remove_stale=true")
    assert out["removed_entities"] == 3 and "stale_entities" not in out, out
    held = _held(repo)
    assert all(_removed(held, u) for u in GONE)
    assert not any(_removed(held, u) for u in STAYS)
    # (the aspects are kept, as DataHub's soft delete keeps them)
    assert held[job("extra")]["dataJobInfo"]["name"] == "extra"
    # once removed, nothing more to do; a push without the option does not bring them back
    again = _push(repo, "-o", "remove_stale=true")
    assert again["written"] == 0 and "removed_entities" not in again, again
    plain = _push(repo)
    assert plain["written"] == 0 and "stale_entities" not in plain, plain
    assert all(_removed(_held(repo), u) for u in GONE)


def test_a_stage_put_back_is_shown_again(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _drop_extra(repo)
    _push(repo, "-o", "remove_stale=true")
    assert _removed(_held(repo), job("extra"))

    repo.write("dvc.yaml", PIPELINE + EXTRA)
    repo.dvc("repro", "-q")
    repo.commit("the extra stage is back")
    api.harvest(repo.path)
    out = _push(repo, "-o", "remove_stale=true")
    assert "removed_entities" not in out and "stale_entities" not in out, out
    held = _held(repo)
    assert not _removed(held, job("extra"))
    assert not _removed(held, dataset("data/extra.csv"))
    assert _removed(held, dataset("data/old.csv"))  # (still not tracked)


def test_a_stage_only_an_unmerged_branch_has_is_not_gone(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("dvc.yaml", PIPELINE + EXTRA + "  more:\n    cmd: cp data/raw.csv data/more.csv\n"
               "    deps: [data/raw.csv]\n    outs: [data/more.csv]\n")
    repo.dvc("repro", "-q")
    repo.commit("a stage on a branch")
    repo.git("checkout", "-q", "main")
    api.harvest(repo.path)
    out = _push(repo, "-o", "remove_stale=true")
    assert "removed_entities" not in out, out
    assert not _removed(_held(repo), job("more"))


def test_what_a_registered_version_was_trained_from_stays_live(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.git("remote", "add", "origin", URL)
    repo.dvc("init", "-q")
    repo.write("data/train.csv", "id,churned\n1,0\n2,1\n")
    repo.write("data/old.csv", "id\n1\n")
    repo.dvc("add", "-q", "data/train.csv", "data/old.csv")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: cp data/train.csv models/model.pkl\n"
                           "    deps: [data/train.csv]\n    outs: [models/model.pkl]\n"
                           "artifacts:\n  churn:\n    path: models/model.pkl\n"
                           "    type: model\n")
    (repo.path / "models").mkdir()
    repo.dvc("repro", "-q")
    repo.commit("train")
    repo.tag("churn@v1.0.0", "register")
    # the training stage and its data leave the repository; the version stays registered
    repo.write("dvc.yaml", "stages: {}\n")
    repo.dvc("remove", "data/train.csv.dvc", "data/old.csv.dvc")
    repo.commit("the pipeline moved elsewhere")
    api.init(repo.path)
    api.harvest(repo.path)
    store = api.open_store(repo.path)
    try:
        graph = store.load_graph()
    finally:
        store.close()
    version = "model:churn@v1.0.0"
    assert any(e.kind == EdgeKind.ARTIFACT for e in graph.in_edges(version))

    out = _push(repo, "-o", "remove_stale=true")
    held = _held(repo)
    assert _removed(held, dataset("data/old.csv"))
    # the version's evidence: its artifact, the stage that made it and what that read
    for urn in (dataset("models/model.pkl"), job("train"), dataset("data/train.csv")):
        assert not _removed(held, urn), urn
    assert out["removed_entities"] == 1, out
