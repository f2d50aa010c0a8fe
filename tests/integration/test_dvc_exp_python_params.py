"""A stage's Python params file (`params: [{params.py: [LR]}]`): DVC records the values it
reads in dvc.lock, but the file is code. An experiment that changed only those values
(`dvc exp run -S params.py:LR=…`) changed params, not code; one that changed anything else
in the file changed code its params do not show (`run-code-pinned` must see it)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lineage import api
from tests.conftest import GitRepo

DVC = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
pytestmark = pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed")

TRAIN = """\
import json
from params import LR, TrainConfig
json.dump({"acc": round(0.5 + LR + TrainConfig.epochs / 100, 3)}, open("metrics.json", "w"))
"""
PARAMS = """\
LR = 0.1


class TrainConfig:
    epochs = 3


def scale(v):
    return v
"""


def _experiment(repo: GitRepo, name: str) -> dict:
    api.harvest(repo.path, only=["dvc-exp"])
    with api.open_store(repo.path) as store:
        runs = [n for n in store.iter_nodes() if n.id.startswith("run:dvc-exp:")
                and n.attrs.get("name") == name]
    assert len(runs) == 1, runs
    return runs[0].attrs


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    r = git_repo
    r.dvc("init", "-q")
    r.write("train.py", TRAIN)
    r.write("params.py", PARAMS)
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
                        "    deps: [train.py]\n"
                        "    params:\n      - params.py:\n          - LR\n"
                        "          - TrainConfig.epochs\n"
                        "    metrics:\n      - metrics.json:\n          cache: false\n")
    r.dvc("repro", "-q")
    r.commit("baseline")
    api.init(r.path)
    return r


def test_only_the_recorded_values_changed_is_not_dirty(repo: GitRepo) -> None:
    repo.dvc("exp", "run", "-q", "-n", "lr-02", "-S", "params.py:LR=0.2",
         "-S", "params.py:TrainConfig.epochs=5")
    run = _experiment(repo, "lr-02")
    assert run["params"]["params.py:LR"] == 0.2
    assert run["dirty"] is False, run.get("properties")


def test_code_changed_in_the_params_file_is_dirty(repo: GitRepo) -> None:
    repo.write("params.py", PARAMS.replace("return v", "return v * 100"))
    repo.dvc("exp", "run", "-q", "-n", "code")
    run = _experiment(repo, "code")
    assert run["dirty"] is True
    assert run["properties"]["changed_files"] == "params.py"
