"""Every example in every command's ``--help`` runs in the quickstart demo, as pasted.

The demo is built once for the module, in a folder whose path holds spaces and non-ASCII
letters, and the examples run in it in the order the commands are listed. Each example is
parsed as a shell would (``NAME=VALUE`` prefixes, ``$(…)``, quotes, ``\\`` continuations,
``# comments``, ``> FILE``) and run in process. An example passes when it exits 0 — or 1 for
``lineage audit``, whose demo has findings on purpose — printing no error and no warning.

Skipped, and said so in the test id: examples that need a server (DataHub GMS, Kafka, Atlas)
and the quickstart's own examples (each builds a second demo: tests/e2e/test_quickstart.py
runs that command).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()

# what an example that needs a server names
NEEDS_SERVER = re.compile(r"--server\b|--to (datahub-rest|datahub-kafka|atlas)\b|"
                          r"--source datahub-rest\b")


@dataclass(frozen=True)
class Example:
    command: str  # e.g. "record run"
    text: str     # as in the help, continuation lines joined


def _examples(cmd: Any, path: tuple[str, ...] = ()) -> list[Example]:
    out = [Example(" ".join(path), text) for text in parse_examples(cmd.help or "")]
    if hasattr(cmd, "list_commands"):  # a group (typer's own click: no isinstance)
        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out += _examples(sub, (*path, name))
    return out


def parse_examples(help_text: str) -> list[str]:
    """The commands of a help text's ``Example:  CMD`` line or ``Examples:`` block (indented
    lines up to the next blank line; a line ending in ``\\`` continues on the next)."""
    found: list[str] = []
    lines = help_text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"\s*Examples?:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        block = [m.group(1)] if m.group(1) else []
        while not m.group(1) and i < len(lines) and lines[i].strip():
            block.append(lines[i].strip())
            i += 1
        joined: list[str] = []
        for ln in block:
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1].rstrip() + " " + ln.strip()
            else:
                joined.append(ln.strip())
        found += joined
    return found


def _cases() -> list:
    cases = []
    for ex in _examples(typer.main.get_command(app)):
        marks = []
        server = NEEDS_SERVER.search(ex.text)
        if server:
            marks = [pytest.mark.skip(reason=f"needs a server ({server.group(0)})")]
        elif ex.command == "quickstart":
            marks = [pytest.mark.skip(reason="builds a second demo: tests/e2e/test_quickstart.py")]
        cases.append(pytest.param(ex, marks=marks, id=f"{ex.command or 'lineage'}: {ex.text}"))
    return cases


def run_as_pasted(line: str, cwd: Path) -> tuple[int, str, str]:
    """Run a ``lineage …`` command line in ``cwd`` as a POSIX shell would read it."""
    line = re.sub(r"\$\(([^)]*)\)", lambda m: subprocess.run(
        shlex.split(m.group(1)), cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip(), line)
    words = shlex.split(line, comments=True)
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    redirect = None
    if ">" in words:
        at = words.index(">")
        redirect = cwd / words[at + 1]
        words = words[:at] + words[at + 2:]
    assert words[:1] == ["lineage"], line
    res = runner.invoke(app, words[1:], env=env)
    if redirect is not None:
        redirect.write_text(res.stdout)
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    target = tmp_path_factory.mktemp("examples") / "sp ace" / "dé mo"
    res = runner.invoke(app, ["quickstart", str(target)])
    assert res.exit_code == 0, res.output
    return target, res.stdout


@pytest.fixture
def in_demo(demo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo[0])
    return demo[0]


def _assert_ran(line: str, code: int, out: str, err: str) -> None:
    ok = (0, 1) if shlex.split(line, comments=True)[1:2] == ["audit"] else (0,)
    assert code in ok, f"{line}\nexit {code}\n{out}\n{err}"
    assert "error:" not in err and "warning" not in err, f"{line}\n{err}"
    assert "Traceback" not in out + err, f"{line}\n{out}\n{err}"


def test_every_command_has_an_example() -> None:
    commands = {ex.command for ex in _examples(typer.main.get_command(app))}
    assert {"init", "harvest", "show", "export", "verify", "log", "push", "audit",
            "quickstart", "record", "record run", "record validate"} <= commands


@pytest.mark.parametrize("example", _cases())
def test_help_example_runs_in_the_demo(example: Example, in_demo: Path) -> None:
    code, out, err = run_as_pasted(example.text, in_demo)
    _assert_ran(example.text, code, out, err)


def test_what_to_look_at_next_pastes_into_a_shell(demo: tuple[Path, str], in_demo: Path
                                                  ) -> None:
    _, text = demo
    tail = text.split("What to look at next", 1)[1]
    commands = [ln.strip() for ln in tail.splitlines()
                if ln.startswith("  ") and not ln.strip().startswith("#")]
    assert shlex.split(commands[0]) == ["cd", str(in_demo)]
    browse = next(c for c in commands if "datahub lite" in c)
    home = Path(shlex.split(browse)[0].removeprefix("HOME="))
    import yaml

    env = yaml.safe_load((home / ".datahubenv").read_text(encoding="utf-8"))
    assert Path(env["lite"]["config"]["file"]).is_file()  # the path read back as written
    for line in commands:
        if line.startswith("lineage "):
            _assert_ran(line, *run_as_pasted(line, in_demo))


def test_the_quickstart_names_every_tag_of_the_demo(demo: tuple[Path, str]) -> None:
    """The tags the summary lists are the demo's own (a stage assignment added to the demo
    was left out of a list written by hand)."""
    import subprocess

    repo, text = demo
    tags = subprocess.run(["git", "-C", str(repo), "tag"], capture_output=True, text=True,
                          check=True).stdout.split()
    line = next(ln for ln in text.splitlines() if " commits, tags " in ln)
    assert sorted(line.split(" commits, tags ", 1)[1].split(", ")) == sorted(tags)
    assert "churn#staging#3" in tags
