"""`lineage` itself: `--version` alone prints the version, no arguments shows the help."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from lineage import __version__
from lineage.cli.main import app

runner = CliRunner()


def test_version_alone_prints_the_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"lineage {__version__}"


def test_version_before_a_command_still_wins() -> None:
    res = runner.invoke(app, ["--version", "push"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"lineage {__version__}"


def test_no_arguments_shows_the_help() -> None:
    res = runner.invoke(app, [])
    assert "Usage:" in res.output and "quickstart" in res.output
    assert "Missing command" not in res.output


def test_version_as_the_user_types_it() -> None:
    proc = subprocess.run([sys.executable, "-m", "lineage", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"lineage {__version__}"
