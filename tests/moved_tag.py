"""A repository whose GTO registration tag moves to other bytes (and back): the set-up the
moved-tag audit tests share. The model file is committed with DVC on 2026-01-01T10:00Z and the
run that wrote it recorded; other bytes under the same path are committed on 2026-01-06."""

from __future__ import annotations

import hashlib

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
GOOD, EVIL = "weights of v1\n", "EVIL\n"


def md5(text: str) -> str:
    return "md5:" + hashlib.md5(text.encode()).hexdigest()


def lineage(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    return res.stdout


def artifact_repo(repo: GitRepo, tier: str = "limited") -> str:
    """The model file committed with DVC, the store started, the run that wrote it and the
    group's risk assessment (``tier``) recorded; returns the commit."""
    repo.dvc("init", "-q")
    repo.write("models/churn.bin", GOOD)
    repo.dvc("add", "-q", "models/churn.bin")
    repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.bin\n    type: model\n")
    repo.tick = 9
    sha = repo.commit("train churn v1.0.0")  # 2026-01-01T10:00Z
    api.init(repo.path)
    lineage(repo, "record", "run", "--run-id", "good", "--name", "train", "--status",
            "FINISHED", "--model", "churn@v1.0.0=models/churn.bin", "--start",
            "2026-01-01T11:00:00Z", "--end", "2026-01-01T12:00:00Z")
    lineage(repo, "record", "assessment", "--group", "churn", "--tier", tier,
            "--assessed-at", "2026-01-01", "--assessor", "carol@example.com")
    return sha


def swap(repo: GitRepo) -> str:
    """Other bytes under the same path, committed 2026-01-06T00:00Z; returns the commit."""
    repo.write("models/churn.bin", EVIL)
    repo.dvc("add", "-q", "models/churn.bin")
    repo.tick = 119
    return repo.commit("swap the weights")


def move_tags(repo: GitRepo, tick: int, ref: str) -> list[str]:
    """Both tags (``churn@v1.0.0``, ``churn#prod#1``) moved onto ``ref``, dated ``tick``+1
    and +2 hours, then harvested: the harvest's warnings."""
    repo.tick = tick
    for name, message in (("churn@v1.0.0", "register"), ("churn#prod#1", "deploy")):
        repo.tick += 1
        repo.git("tag", "-f", "-a", name, "-m", message, ref)
    return [str(w) for w in api.harvest(repo.path).as_dict()["warnings"]]
