"""`lineage record run` in a shallow clone without a remote warns as the harvest and
`track_run` do: the repository is named after the shallow boundary for now, and the run's
data ids keep that name."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo


def test_record_run_in_a_shallow_clone_without_a_remote_warns(tmp_path: Path) -> None:
    clone = GitRepo.shallow_clone_without_remote(tmp_path).path
    api.init(clone)
    res = CliRunner().invoke(app, [
        "record", "run", "-C", str(clone), "--name", "train", "--status", "FINISHED",
        "--start", "2026-01-02T10:00:00Z", "--end", "2026-01-02T11:00:00Z",
        "--input", "data.csv", "--json"])
    assert res.exit_code == 0, res.output
    assert "shallow clone without a remote" in res.stderr, res.stderr
    assert "git fetch --unshallow <url>" in " ".join(res.stderr.split())
    notes = json.loads(res.stdout)["warnings"]
    assert any("shallow clone without a remote" in n for n in notes), notes


def test_record_run_in_a_full_clone_without_a_remote_says_nothing(git_repo: GitRepo) -> None:
    git_repo.write("data.csv", "row\n")
    git_repo.commit("data")
    api.init(git_repo.path)
    res = CliRunner().invoke(app, [
        "record", "run", "-C", str(git_repo.path), "--name", "train", "--status", "FINISHED",
        "--start", "2026-01-02T10:00:00Z", "--end", "2026-01-02T11:00:00Z",
        "--input", "data.csv"])
    assert res.exit_code == 0, res.output
    assert "shallow" not in res.output
