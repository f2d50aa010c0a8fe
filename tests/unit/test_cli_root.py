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


def _as_module(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "lineage", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_usage_names_the_command_people_type() -> None:
    """`python -m lineage` is the same program as the `lineage` script: its usage and the
    help its usage errors point to name `lineage`, as every example in the help does."""
    proc = _as_module("harvest", "--no-such-option")
    assert proc.returncode == 2
    assert proc.stderr == ("error: No such option: --no-such-option (see 'lineage harvest "
                           "--help')\n"), proc.stderr
    proc = _as_module("harvest", "--help")
    assert proc.returncode == 0 and "Usage: lineage harvest" in proc.stdout, proc.stderr


def test_shell_completion_is_for_the_lineage_command() -> None:
    """The completion script `--install-completion` writes completes `lineage` through its
    own variable, never a command line mangled from "python -m lineage"."""
    proc = _as_module("--show-completion", SHELL="/bin/bash")
    assert proc.returncode == 0, proc.stderr
    assert "_LINEAGE_COMPLETE=complete_bash" in proc.stdout, proc.stdout
    assert proc.stdout.rstrip().endswith(" lineage"), proc.stdout
    assert "_PYTHON" not in proc.stdout and "python -m" not in proc.stdout, proc.stdout
