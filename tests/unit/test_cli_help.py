"""`--help` of every command: examples shown, and no raw Python types in the option table."""

from __future__ import annotations

import re

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


def test_every_command_is_covered() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"", "harvest", "show", "push", "audit", "record run", "verify"} <= names


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_help_shows_no_python_types(cmd: list[str]) -> None:
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    # flags take no value, and a repeatable option names what it takes (NAME, KEY=VALUE)
    raw = re.findall(r"<(?:bool|str|path|int|float|int range|float range|datetime|"
                     r"list\[[^\]]*\])>", res.output)
    assert not raw, f"{' '.join(cmd)} --help shows {sorted(set(raw))}"


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_usage_names_arguments_in_capitals(cmd: list[str]) -> None:
    """`Usage: lineage show [OPTIONS] REF`, as click and every man page write it; typer 0.29
    writes a required argument as ``{ref}``, which reads like a brace expansion."""
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": "200"})
    usage = next(x for x in res.output.splitlines() if "Usage:" in x)
    assert "{" not in usage, usage
    words = usage.split("[OPTIONS]", 1)[1].split()
    for w in words:
        assert w.strip("[].") == w.strip("[].").upper(), usage


def test_a_missing_argument_is_named_as_the_usage_names_it() -> None:
    res = runner.invoke(app, ["show"])
    assert res.exit_code == 2
    assert "Missing argument 'REF'" in res.output, res.output


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_examples_are_indented_and_fit_80_columns(cmd: list[str]) -> None:
    """Example lines stand out from the prose (indented) and are never wrapped at 80 columns:
    a command broken in the middle cannot be copied."""
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": "80"})
    lines = res.output.splitlines()
    starts = [i for i, x in enumerate(lines) if x.strip() in ("Example:", "Examples:")]
    for i in starts:
        block = []
        for x in lines[i + 1:]:
            if not x.strip() or x.lstrip().startswith("╭"):
                break
            block.append(x)
        assert block, f"{' '.join(cmd)}: empty example block"
        for x in block:
            assert x.startswith("   "), f"{' '.join(cmd)}: example line not indented: {x!r}"
        for prev, x in zip(block, block[1:], strict=False):
            # a line that does not end with a continuation must start a new command
            if not prev.rstrip().endswith("\\"):
                assert x.lstrip().startswith(("lineage", "GITHUB_SHA", "#", "HOME=")), \
                    f"{' '.join(cmd)}: example wrapped: {prev.strip()!r} / {x.strip()!r}"


@pytest.mark.parametrize("width", [80, 120, 200])
def test_verify_help_paragraphs_are_wrapped_by_the_terminal_not_the_source(width: int) -> None:
    """Each prose line of `verify --help` is filled to the terminal's width: a line is broken
    only where the next word does not fit (not where the docstring was broken by hand)."""
    res = runner.invoke(app, ["verify", "--help"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    prose = res.output.split("Usage:", 1)[1].split("Examples:", 1)[0].splitlines()[1:]
    lines = [x.strip() for x in prose]
    early = [(a, b) for a, b in zip(lines, lines[1:], strict=False)
             if a and b and len(a) + 1 + len(b.split()[0]) <= width - 4]
    assert early == [], res.output
    assert "with --expect-head to catch that." in " ".join(lines), res.output
    shown = [x.strip() for x in res.output.splitlines()]
    for example in ("lineage verify --json > kept-head.json",
                    "lineage verify --store .lineage/lineage.db --expect-head kept-head.json"):
        assert example in shown, res.output  # examples keep a line each
