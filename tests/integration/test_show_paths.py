"""`lineage show PATH` takes a data path as DVC does: from the repository root, or relative
to the current folder (``./data/x.csv``, ``x.csv`` inside ``data/``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
A = "a" * 32


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _repo(r: GitRepo) -> str:
    r.write("data/x.csv", "A\n")
    r.write("data/x.csv.dvc", f"outs:\n- md5: {A}\n  size: 2\n  path: x.csv\n")
    r.commit("data")
    api.init(r.path)
    api.harvest(r.path)
    return f"@md5:{A}"


def test_a_data_path_relative_to_the_current_folder(git_repo: GitRepo) -> None:
    want = _repo(git_repo)
    for where, ref in ((git_repo.path, "./data/x.csv"), (git_repo.path / "data", "x.csv"),
                       (git_repo.path / "data", "./x.csv"), (git_repo.path, "data/x.csv")):
        with _cwd(where):
            res = runner.invoke(app, ["show", ref, "--json"])
        assert res.exit_code == 0, (where, ref, res.output)
        assert json.loads(res.stdout)["node"].endswith(want), (where, ref)


def test_a_path_nothing_tracks_is_still_a_clear_error(git_repo: GitRepo) -> None:
    _repo(git_repo)
    with _cwd(git_repo.path / "data"):
        res = runner.invoke(app, ["show", "./y.csv"])
    assert res.exit_code == 2
    assert "nothing in the lineage graph matches './y.csv'" in res.output
    assert "Traceback" not in res.output
