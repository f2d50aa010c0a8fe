"""`lineage push -o`: here `-o` is `--option KEY=VALUE`, not `--output` as in `export` and
`audit`; a file name given to it is answered with the command that writes that file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.mark.parametrize("to", ["datahub-file", "datahub-lite"])
def test_a_file_given_to_dash_o_names_the_dest_argument(git_repo: GitRepo, to: str) -> None:
    git_repo.commit("first")
    repo = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", repo]).exit_code == 0
    res = runner.invoke(app, ["push", "-C", repo, "--to", to, "-o", "metadata.json"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert f"lineage push --to {to} metadata.json" in res.output, res.output
    assert not (git_repo.path / "metadata.json").exists()


def test_a_key_without_value_is_still_explained(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    repo = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", repo]).exit_code == 0
    res = runner.invoke(app, ["push", "-C", repo, "--to", "datahub-rest", "-o", "retries"])
    assert res.exit_code == 2, res.output
    assert "not KEY=VALUE" in res.output and "--option retries=" in res.output, res.output
