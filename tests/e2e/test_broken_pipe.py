"""A reader that stops early (`lineage … | head -1`) ends lineage as it ends any Unix tool:
status 141 (128 + SIGPIPE) and nothing on stderr, not 1, which the README gives to findings
and to a tampered store."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["audit", "--help"]])
def test_a_closed_pipe_exits_141_without_a_traceback(args: list[str]) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "from lineage.cli.main import main; main()",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before lineage writes a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_an_open_pipe_keeps_the_exit_code() -> None:
    proc = subprocess.run([sys.executable, "-c", "from lineage.cli.main import main; main()",
                           "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Usage" in proc.stdout, proc.stderr
