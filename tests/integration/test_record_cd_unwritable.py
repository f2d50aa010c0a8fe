"""`lineage record … --write-file` where the record file cannot be written (a full disk, a
read-only or immutable folder, a file standing where its folder goes) is one line naming the
file, exit 2, nothing recorded and no staged file left behind — not a traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def test_a_record_file_that_cannot_be_written_is_one_line_and_records_nothing(
        git_repo: GitRepo) -> None:
    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    git_repo.write("governance/deployment", "a file where the folder goes\n")
    res = runner.invoke(app, ["record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                              "--id", "dep1", "--write-file", "--allow-new",
                              "--repo", str(git_repo.path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert "cannot write the record file" in res.output and "deployment" in res.output
    assert "nothing was recorded" in res.output
    store = api.open_store(git_repo.path)
    try:
        assert store.head()[0] == 0 and store.verify().ok
    finally:
        store.close()
    assert not list((git_repo.path / "governance").rglob("*.lineage-tmp"))
