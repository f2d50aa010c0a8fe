"""`--help` of every command: examples shown, and no raw Python types in the option table."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``cmd`` with its path, ``cmd`` first: the whole tree, so a command
    added later (or a group nested deeper) is covered without a change here."""
    yield path, cmd
    if hasattr(cmd, "list_commands"):  # a group (typer's own click: no isinstance)
        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, (*path, name))


TREE = dict(_walk(typer.main.get_command(app)))


def _commands() -> list[list[str]]:
    return [list(path) for path in TREE]


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


def _own_lines(help_text: str) -> list[str]:
    """What a help text means to be shown on lines of their own: its indented lines (each
    line of an example, a ``\\`` continuation included) and the command of a
    ``Label:  lineage …`` line (``Example:  lineage init``)."""
    out = []
    for line in inspect.cleandoc(help_text).partition("\f")[0].splitlines():
        m = re.match(r"[^:]{1,30}:\s+(lineage\s.*)$", line)  # a label, not a sentence
        if line.startswith(" ") and line.strip():
            out.append(line.strip())
        elif m:
            out.append(m.group(1).strip())
    return out


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_help_paragraphs_are_wrapped_by_the_terminal_not_the_source(cmd: list[str],
                                                                    width: int) -> None:
    """Each prose line of the help is filled to the terminal's width: a line is broken only
    where the next word does not fit, not where the source was broken by hand (typer 0.29
    keeps a docstring's single line breaks). Examples keep a line each, at 80 columns too."""
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    start = next(i for i, x in enumerate(lines) if "Usage:" in x) + 1
    end = next((i for i, x in enumerate(lines) if x.lstrip().startswith("╭")), len(lines))
    text = [x.rstrip() for x in lines[start:end]]
    # prose is at the margin (one space), examples are indented under it; the text is as
    # wide as the terminal less a space either side
    prose = [x.strip() if x.startswith(" ") and not x.startswith("  ") else "" for x in text]
    early = [(a, b) for a, b in zip(prose, prose[1:], strict=False)
             if a and b and len(a) + 1 + len(b.split()[0]) <= width - 2]
    assert early == [], f"{' '.join(cmd)}: broken before the width:\n{res.output}"
    shown = "\n".join(text)
    for own in _own_lines(TREE[tuple(cmd)].help or ""):
        assert any(own in x for x in text), \
            f"{' '.join(cmd)}: {own!r} is not on a line of its own:\n{shown}"


def _example_blocks(output: str) -> list[list[str]]:
    """The lines of each ``Example:`` / ``Examples:`` block of a rendered ``--help``."""
    lines = output.splitlines()
    blocks = []
    for i, x in enumerate(lines):
        if x.strip() not in ("Example:", "Examples:"):
            continue
        block = []
        for y in lines[i + 1:]:
            if not y.strip() or y.lstrip().startswith("╭"):
                break
            block.append(y.rstrip())
        blocks.append(block)
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_an_example_continued_with_a_backslash_reads_as_one_command(cmd: list[str],
                                                                     width: int) -> None:
    """The lines after one ending in ``\\`` are indented further than the command they
    continue, as shells and READMEs write them: at the command's own indent they read as
    a second command."""
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    for block in _example_blocks(res.output):
        start = None  # the indent of the command being continued
        for prev, x in zip(["", *block], block, strict=False):
            if prev.endswith("\\"):
                assert start is not None and _indent(x) > start, \
                    f"{' '.join(cmd)}: {x.strip()!r} continues {prev.strip()!r} but is not " \
                    f"indented under it:\n" + "\n".join(block)
            else:
                start = _indent(x)


def _option_help(param: Any) -> str:
    """An option's help as typer shows it: rich markup read, line breaks made spaces."""
    from rich.text import Text

    text = " ".join(inspect.cleandoc(getattr(param, "help", None) or "").split())
    return Text.from_markup(text).plain


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lineage")
def test_every_word_of_an_options_help_is_shown_whole(cmd: list[str], width: int) -> None:
    """An option's help is wrapped into its column, never cut: a word too long for the
    column (a path such as ``governance/<kind>/<id>.yaml``) would be shown cut off with
    ``…`` and could be neither read nor copied."""
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    panels = "\n".join(x for x in res.output.splitlines() if x.startswith("│"))
    for param in TREE[tuple(cmd)].params:
        for word in _option_help(param).split():
            assert word in panels, \
                f"{' '.join(cmd)} --help at {width} columns: {word!r} of the help of " \
                f"{param.opts[0] if param.opts else param.name} is not shown whole:\n{res.output}"


GROUPS = [list(path) for path, cmd in TREE.items() if hasattr(cmd, "list_commands")]


def _summary(cmd: Any) -> str:
    """A command's line in its group's Commands panel as typer builds it: its short help,
    else the first paragraph of its help, rich markup read, line breaks made spaces."""
    from rich.text import Text

    first = inspect.cleandoc(cmd.short_help or cmd.help or "").split("\n\n")[0]
    return Text.from_markup(" ".join(first.split())).plain


def _commands_panel(output: str) -> dict[str, str]:
    """Each command of a ``--help``'s Commands panel with its description, its wrapped
    lines joined by a space."""
    lines = output.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("╭─ Commands"))
    rows: dict[str, list[str]] = {}
    name = ""
    for x in lines[start + 1:]:
        if not x.startswith("│"):
            break
        inner = x[1:].rstrip().removesuffix("│")
        if inner[1:2].strip():  # a name in the first column: a new command's row
            name, _, rest = inner.strip().partition(" ")
            rows[name] = [rest.strip()]
        else:
            rows[name].append(inner.strip())
    return {k: " ".join(w for w in v if w) for k, v in rows.items()}


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("group", GROUPS, ids=lambda c: " ".join(c) or "lineage")
def test_every_commands_description_is_shown_whole(group: list[str], width: int) -> None:
    """A group's Commands panel (``lineage --help``, ``lineage record --help``) shows each
    command's description whole, word for word, wrapped in its column: never cut off with
    ``…`` nor a word folded across lines. Nor does a description hold a ``…`` of its own:
    the reader could not tell it from a cut."""
    res = runner.invoke(app, [*group, "--help"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    shown = _commands_panel(res.output)
    for path, cmd in TREE.items():
        if len(path) != len(group) + 1 or list(path[:-1]) != group:
            continue
        assert shown.get(path[-1]) == _summary(cmd), \
            f"{' '.join(group) or 'lineage'} --help at {width} columns: the description of " \
            f"{path[-1]!r} is not shown whole:\n{res.output}"
        assert "…" not in shown[path[-1]], \
            f"{' '.join(path)}: its description reads as cut off: {shown[path[-1]]!r}"
