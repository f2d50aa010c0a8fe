"""`lineage push DEST` with a target that has no destination file: refused, never ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()


@pytest.fixture
def repo(git_repo: Any) -> Path:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    return git_repo.path  # type: ignore[no-any-return]


@pytest.mark.parametrize("to,flag", [("datahub-rest", "--server"), ("atlas", "--server")])
def test_a_url_given_as_dest_is_refused_naming_the_option(repo: Path, to: str, flag: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    with running_gms() as gms:
        # the environment names another server: the push must not silently go there
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        monkeypatch.setenv("ATLAS_URL", gms.url)
        res = runner.invoke(app, ["push", "-C", str(repo), "--to", to,
                                  "http://catalog.example.com:8080"])
        assert res.exit_code == 2, res.output
        assert "DEST" in res.output and flag in res.output
        assert gms.proposals == []


def test_dest_still_names_the_file_of_file_targets(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    res = runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-file", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists()
