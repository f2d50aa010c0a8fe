"""`lineage quickstart` where the demo cannot be built: one line, exit 2, a hint; and the
commands it suggests paste into a shell whatever the demo's path."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from lineage.cli.quickstart import next_steps

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _assert_one_error(code: int, out: str, *needles: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out, out
    lines = out.splitlines()
    assert lines[0].startswith("error: "), out
    assert lines[1].startswith("hint: "), out
    for n in needles:
        assert n in out, (n, out)


@pytest.mark.parametrize("force", [False, True])
def test_quickstart_into_a_file(tmp_path: Path, force: bool) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    code, out = _run("quickstart", str(afile), *(["--force"] if force else []))
    _assert_one_error(code, out, f"{afile} is a file", "directory")
    assert afile.read_text() == "keep me\n"  # --force replaces a demo folder, never a file


def test_quickstart_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    code, out = _run("quickstart", str(tmp_path / "afile" / "demo"))
    _assert_one_error(code, out, "cannot create", "afile")


def test_quickstart_where_nothing_can_be_written(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        parent = tmp_path / "read-only"
        parent.mkdir()
        parent.chmod(0o555)
    else:  # root writes anywhere, except in sysfs
        parent = Path("/sys")
        if not parent.is_dir():
            pytest.skip("no read-only folder to try as root")
    try:
        code, out = _run("quickstart", str(parent / "lineage-demo"))
    finally:
        if parent != Path("/sys"):
            parent.chmod(0o755)
    _assert_one_error(code, out, f"cannot create {parent / 'lineage-demo'}", "writable")


def test_next_steps_paste_into_a_shell(tmp_path: Path) -> None:
    repo = tmp_path / "sp ace" / "dé mo" / "my démo 😀 $(x) 'q'"
    home = repo / ".lineage" / "datahub-home"
    steps = dict(next_steps(repo, "2026-01-22", home))
    cd = next(cmd for cmd in steps if cmd.startswith("cd "))
    assert shlex.split(cd) == ["cd", str(repo)]
    browse = next(cmd for cmd in steps if "datahub lite" in cmd)
    assert shlex.split(browse)[0] == f"HOME={home}"
