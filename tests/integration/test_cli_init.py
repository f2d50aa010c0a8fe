"""`lineage init` twice: the second says the store was there, and keeps it."""

from __future__ import annotations

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def test_init_on_an_existing_store_says_so(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    repo = str(git_repo.path)
    res = runner.invoke(app, ["init", "-C", repo])
    assert res.exit_code == 0, res.output
    assert "Initialized lineage store" in res.output
    assert runner.invoke(app, ["harvest", "-C", repo]).exit_code == 0

    res = runner.invoke(app, ["init", "-C", repo])
    assert res.exit_code == 0, res.output
    # not "Initialized … Next: lineage harvest", as if the audit trail had just been created
    assert "Initialized" not in res.output, res.output
    assert "already" in res.output and "1 event" in res.output, res.output
    log = runner.invoke(app, ["log", "-C", repo, "--json"])
    assert log.exit_code == 0 and '"seq": 1' in log.output
