"""`lineage quickstart DIR --force` rebuilds a demo folder, and only a demo folder: a typo'd or
too-short path (`.`, `~`, an ML repository) is never deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def test_force_never_deletes_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "thesis.tex").write_text("two years of work\n")
    res = runner.invoke(app, ["quickstart", str(precious), "--force"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.output.startswith("error: "), res.output
    assert "not a lineage demo" in res.output, res.output
    assert (precious / "thesis.tex").read_text() == "two years of work\n"


def test_force_in_the_current_repository(git_repo: GitRepo,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`lineage quickstart . --force` typed inside one's own ML repository."""
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("my model")
    git_repo.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    monkeypatch.chdir(git_repo.path)
    res = runner.invoke(app, ["quickstart", ".", "--force"])
    assert res.exit_code == 2, res.output
    assert (git_repo.path / "train.py").is_file()
    assert git_repo.git("log", "--format=%s") == "my model"


def test_force_rebuilds_a_demo(quickstart_demo: Path) -> None:
    (quickstart_demo / "scratch.txt").write_text("left by the user\n")
    res = runner.invoke(app, ["quickstart", str(quickstart_demo), "--force", "--json"])
    assert res.exit_code == 0, res.output
    assert not (quickstart_demo / "scratch.txt").exists()
    assert (quickstart_demo / "dvc.yaml").is_file()


def test_build_demo_force_from_python_never_deletes_another_folder(tmp_path: Path) -> None:
    from connectors.demo.build import build_demo
    from lineage.errors import ConfigError

    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "thesis.tex").write_text("two years of work\n")
    with pytest.raises(ConfigError, match="not a lineage demo"):
        build_demo(precious, force=True)
    assert (precious / "thesis.tex").read_text() == "two years of work\n"
