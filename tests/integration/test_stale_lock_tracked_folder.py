"""A stage depending on a file inside a folder DVC tracks as a whole (``data/raw.dvc``, or a
folder another stage outputs): the commit records the folder's ``.dir`` hash, and the file's
own hash is in the folder's listing, which DVC keeps in its local cache. Where the cache
holds that listing, a lock entry listing the file with another hash is out of date there
(``dvc add data/raw`` committed, ``dvc repro`` not); where it does not (a fresh clone before
``dvc pull``), nothing is said (not compared)."""

from __future__ import annotations

import json
import shutil

from lineage import api
from tests.conftest import GitRepo
from tests.integration.test_joins_stale_lock import _md5, _runs_at, _strong

TRAIN1, TRAIN2 = "id,churned\n1,0\n", "id,churned\n1,0\n2,1\n"


def _changed(r: GitRepo) -> bool:
    return json.loads(r.dvc("status", "--json") or "{}") != {}


def test_a_file_in_a_tracked_folder_is_compared_with_the_folders_listing(
        git_repo: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data/raw/train.csv", TRAIN1)
    r.write("data/raw/test.csv", "id\n9\n")
    r.dvc("add", "-q", "data/raw")
    r.write("dvc.yaml", "stages:\n  prepare:\n    cmd: cp data/raw/train.csv prepared.csv\n"
            "    deps: [data/raw/train.csv]\n    outs: [prepared.csv]\n"
            "  featurize:\n    cmd: mkdir -p feats && cp prepared.csv feats/all.csv\n"
            "    deps: [prepared.csv]\n    outs: [feats]\n"
            "  train:\n    cmd: cp feats/all.csv model.pkl\n"
            "    deps: [feats/all.csv]\n    outs: [model.pkl]\n")
    r.dvc("repro", "-q")
    assert not _changed(r)
    c1 = r.commit("pipeline")
    r.write("data/raw/test.csv", "id\n9\n10\n")  # the folder changes, not the file read
    r.dvc("add", "-q", "data/raw")
    assert not _changed(r)
    c2 = r.commit("more test rows")
    r.write("data/raw/train.csv", TRAIN2)
    r.dvc("add", "-q", "data/raw")
    assert _changed(r)
    c3 = r.commit("more training rows")
    reads = [("prepared.csv", c1), ("prepared.csv", c2), ("prepared.csv", c3),
             ("model.pkl", c3)]
    at_c1, at_c2, at_c3, model_c3 = _runs_at(r, reads)
    api.init(r.path)
    res = api.harvest(r.path)
    said = {w.message.split(" reads ", 1)[0]: w.message for w in res.report.warnings
            if w.source == "joins"}
    assert set(said) == {at_c3, model_c3}, said
    assert _strong(r, at_c1) == _strong(r, at_c2) == [f"prepared.csv@{_md5(TRAIN1)}"]
    assert _strong(r, at_c3) == [] and _strong(r, model_c3) == []
    assert (f"stage prepare lists its dependency data/raw/train.csv as {_md5(TRAIN1)}, while "
            f"the listing of data/raw in data/raw.dvc at that commit records {_md5(TRAIN2)} "
            "(dvc repro ran") in said[at_c3], said[at_c3]
    # the model's stage reads a file of the folder featurize outputs: up to date by its
    # listing, and out of date by the stage upstream of it
    assert "stage prepare lists its dependency data/raw/train.csv" in said[model_c3]


def test_without_the_folders_listing_in_the_cache_nothing_is_said(git_repo: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data/raw/train.csv", TRAIN1)
    r.dvc("add", "-q", "data/raw")
    r.write("dvc.yaml", "stages:\n  prepare:\n    cmd: cp data/raw/train.csv prepared.csv\n"
            "    deps: [data/raw/train.csv]\n    outs: [prepared.csv]\n")
    r.dvc("repro", "-q")
    r.commit("pipeline")
    r.write("data/raw/train.csv", TRAIN2)
    r.dvc("add", "-q", "data/raw")
    c2 = r.commit("more training rows")
    shutil.rmtree(r.path / ".dvc" / "cache")  # a clone before dvc pull
    (rid,) = _runs_at(r, [("prepared.csv", c2)])
    api.init(r.path)
    res = api.harvest(r.path)
    assert [w.message for w in res.report.warnings if w.source == "joins"] == []
    assert _strong(r, rid) == [f"prepared.csv@{_md5(TRAIN1)}"]
