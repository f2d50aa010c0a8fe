"""Node ids are printed as they are: a model named like an emoji code (``ghost``, ``bank``,
``rocket``) makes deployment ids such as ``deployment:ghost:prod:…``, which the terminal output
of `lineage audit` and `lineage show` printed as ``deployment👻prod:…`` — an id nobody can
look up or paste into a waiver."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
DEP = "deployment:ghost:prod:2026-01-21T00:00:00Z"


def _record(repo: Path) -> None:
    res = runner.invoke(app, ["record", "deployment", "-C", str(repo), "--model",
                              "ghost@v1.0.0", "--env", "prod", "--deployed-at",
                              "2026-01-21T00:00:00Z"])
    assert res.exit_code == 0, res.output


def test_audit_table_prints_ids_with_emoji_codes_as_they_are(quickstart_demo: Path,
                                                             tmp_path: Path) -> None:
    _record(quickstart_demo)
    res = runner.invoke(app, ["audit", "--as-of", "2026-01-22", "--model", "ghost"],
                        env={"COLUMNS": "250"})
    assert res.exit_code == 1, res.output
    assert DEP in res.stdout and "👻" not in res.stdout, res.stdout
    out = tmp_path / "audit.txt"
    res = runner.invoke(app, ["audit", "--as-of", "2026-01-22", "--model", "ghost", "-o",
                              str(out)])
    text = out.read_text()
    assert DEP in text and "👻" not in text, text


def test_show_prints_ids_with_emoji_codes_as_they_are(quickstart_demo: Path) -> None:
    _record(quickstart_demo)
    for width in ("250", "80"):
        res = runner.invoke(app, ["show", DEP, "--as-of", "2026-01-22"],
                            env={"COLUMNS": width})
        assert res.exit_code == 0, res.output
        assert "👻" not in res.stdout, res.stdout
        assert "ghost:prod:2026-01-21T00:00:00Z" in res.stdout


def test_every_command_prints_ids_with_emoji_codes_as_they_are(git_repo: GitRepo) -> None:
    """`lineage record` says which record it wrote by its id: the one to name in a waiver or
    a correction, so it must be printable as it is, and so must errors naming it."""
    git_repo.write("README.md", "ghost\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    res = runner.invoke(app, ["record", "deployment", "-C", str(git_repo.path), "--model",
                              "ghost@v1.0.0", "--env", "prod", "--deployed-at",
                              "2026-01-21T00:00:00Z"])
    assert res.exit_code == 0, res.output
    assert DEP in res.output and "👻" not in res.output, res.output
    res = runner.invoke(app, ["show", ":ghost:", "-C", str(git_repo.path)])
    assert res.exit_code != 0
    assert "👻" not in res.output, res.output
