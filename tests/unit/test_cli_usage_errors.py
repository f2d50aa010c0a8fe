"""Usage errors (an unknown option or command, a missing argument or option, a bad value) as
a user meets them: one line naming the problem and the help to read, exit 2, for every
command; `--help` and a command given no arguments still print the help."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def _commands() -> list[list[str]]:
    group = typer.main.get_command(app)
    out: list[list[str]] = [[]]
    for name, cmd in getattr(group, "commands", {}).items():
        out.append([name])
        out += [[name, sub] for sub in getattr(cmd, "commands", {})]
    return out


COMMANDS = _commands()


def _one_line(res, says: str) -> None:
    assert res.exit_code == 2, res.output
    assert res.stdout == "", res.stdout
    assert res.stderr == f"error: {says}\n", res.stderr


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_an_unknown_option_is_one_line_pointing_to_the_commands_help(cmd: list[str]) -> None:
    res = runner.invoke(app, [*cmd, "--frobnicate"])
    assert res.exit_code == 2 and res.stdout == "", res.output
    (line,) = res.stderr.splitlines()  # click may add "(Possible options: --force)"
    assert line.startswith("error: No such option: --frobnicate"), line
    assert line.endswith(f"(see '{' '.join(['lineage', *cmd])} --help')"), line
    assert runner.invoke(app, [*cmd, "--help"]).exit_code == 0  # which exists


@pytest.mark.parametrize("args,says", [
    (["frobnicate"], "No such command 'frobnicate' (see 'lineage --help')"),
    (["harves"], "No such command 'harves'. Did you mean 'harvest'? (see 'lineage --help')"),
    (["record", "aproval"], "No such command 'aproval'. Did you mean 'approval'? "
                            "(see 'lineage record --help')"),
    (["show"], "Missing argument 'REF' (see 'lineage show --help')"),
    (["record", "approval", "--env", "prod"],
     "Missing option '--model' / '-m' (see 'lineage record approval --help')"),
    (["verify", "--expect-head"],
     "Option '--expect-head' requires an argument (see 'lineage verify --help')"),
    (["export", "-C"], "Option '-C' requires an argument (see 'lineage export --help')"),
    (["log", "-n", "0"], "Invalid value for '-n': Input should be greater than or equal to 1 "
                         "(see 'lineage log --help')"),
    (["harvest", "extra"],
     "Got unexpected extra argument(s) (extra) (see 'lineage harvest --help')"),
    (["log", "--json=yes"], "Option '--json' does not take a value (see 'lineage log --help')"),
], ids=["unknown command", "command misspelled", "record command misspelled",
        "missing argument", "missing option", "option without its value",
        "-C without its value", "value out of range", "extra argument", "flag given a value"])
def test_a_usage_error_is_one_line_naming_it(args: list[str], says: str) -> None:
    _one_line(runner.invoke(app, args), says)


def test_a_value_with_a_newline_stays_on_one_line() -> None:
    res = runner.invoke(app, ["show", "x", "--depth", "1\n2"])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1, res.stderr
    assert res.stderr.startswith("error: Invalid value for '--depth'"), res.stderr


@pytest.mark.parametrize("cmd", [[], ["record"]], ids=["lineage", "lineage record"])
def test_no_arguments_still_shows_the_help(cmd: list[str]) -> None:
    res = runner.invoke(app, cmd)
    assert res.exit_code == 2, res.output  # click's code for "no command given"
    assert "Usage: " in res.output and "Commands" in res.output and "error:" not in res.output


def test_the_installed_command_says_it_in_one_line() -> None:
    """As a shell runs it (no CliRunner): stderr is the one line, stdout empty, exit 2."""
    proc = subprocess.run([sys.executable, "-m", "lineage", "record", "run", "--frobnicate"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "60"})
    assert proc.returncode == 2 and proc.stdout == "", proc
    assert proc.stderr == ("error: No such option: --frobnicate (see 'lineage record run "
                           "--help')\n"), proc.stderr
