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


def test_a_large_output_into_a_closed_pipe_exits_141(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A large write into a pipe whose reader has gone can end without an error: the exit
    code still says the reader went away (`lineage export | head -c 10` on a big store)."""
    import os

    from tests.conftest import GitRepo

    repo = GitRepo(tmp_path / "r")
    for i in range(40):
        repo.write(f"f{i}.txt", "x" * 10 + str(i))
        repo.commit(f"commit {i} " + "y" * 2000)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-c", "from lineage.cli.main import main; main()", "init",
                    "--repo", str(repo.path)], check=True, capture_output=True, env=env)
    subprocess.run([sys.executable, "-c", "from lineage.cli.main import main; main()",
                    "harvest", "--repo", str(repo.path)], check=True, capture_output=True,
                   env=env)
    read, write = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", "from lineage.cli.main import main; main()",
                             "export", "--repo", str(repo.path)], stdout=write,
                            stderr=subprocess.PIPE, env=env)
    os.close(write)
    os.read(read, 10)  # the reader takes 10 bytes and goes, as head -c 10 does
    os.close(read)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err, err
