"""The commands that only read the store (`audit`, `show`, `export`, `log`) work on a store an
auditor may not write: a copy on read-only media or in a folder they may not write, as
`lineage verify` does. They give what they give on a writable store and change nothing.

We run as root, which file permissions do not stop: the folder and its files are made
immutable (``chattr +i``), which stops root too, as a read-only mount does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import read_only

runner = CliRunner()

READS = [
    ("audit", "--json"),
    ("show", "churn@v1.1.0", "--as-of", "2026-01-22", "--json"),
    ("export", "--format", "node-link"),
    ("log", "--json"),
]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file()}


def _run(repo: Path, args: tuple[str, ...]) -> tuple[int, str]:
    res = runner.invoke(app, [*args[:1], "--repo", str(repo), *args[1:]])
    return res.exit_code, res.stdout


@pytest.mark.parametrize("args", READS, ids=[a[0] for a in READS])
def test_a_read_command_reads_a_store_nobody_can_write(quickstart_demo: Path,
                                                       args: tuple[str, ...]) -> None:
    expected = _run(quickstart_demo, args)
    assert expected[0] in (0, 1), expected[1]  # the demo's audit fails: planted gaps
    folder = quickstart_demo / ".lineage"
    for side in ("lineage.db-wal", "lineage.db-shm"):  # a copy handed over: the file alone
        (folder / side).unlink(missing_ok=True)
    before = _files(folder)
    with read_only(folder, *(p for p in folder.iterdir() if p.is_file())):
        got = _run(quickstart_demo, args)
    assert got[0] == expected[0], got[1]
    if args[0] == "audit":  # the audit's time of reading may differ; its findings may not
        assert json.loads(got[1])["findings"] == json.loads(expected[1])["findings"]
    else:
        assert got[1] == expected[1]
    assert _files(folder) == before


def test_a_write_command_on_such_a_store_says_which_commands_still_read_it(
        quickstart_demo: Path) -> None:
    folder = quickstart_demo / ".lineage"
    for side in ("lineage.db-wal", "lineage.db-shm"):
        (folder / side).unlink(missing_ok=True)
    with read_only(folder, *(p for p in folder.iterdir() if p.is_file())):
        res = runner.invoke(app, ["harvest", "--repo", str(quickstart_demo)])
    assert res.exit_code == 2, res.output
    first, hint = res.stderr.splitlines()[:2]
    assert "this command writes the store" in first and "even to read" not in first, first
    assert "verify, show, audit, export and log read a read-only store as it is" in hint, hint
