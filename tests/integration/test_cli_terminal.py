"""The CLI on a terminal: progress bars for people, none in CI, never on stdout."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parents[2]
BAR = "git history"  # the first task of a harvest's progress bar


def _on_a_terminal(args: list[str], cwd: Path, *, stdout_tty: bool = True,
                   **env: str) -> tuple[int, str, str]:
    """Run ``python -m lineage ARGS`` with stderr (and stdout, unless told) on a pseudo
    terminal, as a person at a shell runs it; returns (exit code, terminal, piped stdout)."""
    master, slave = os.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    full_env.update({"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "100",
                     **env})
    proc = subprocess.Popen([sys.executable, "-m", "lineage", *args], cwd=cwd, env=full_env,
                            stdin=subprocess.DEVNULL, stderr=slave,
                            stdout=slave if stdout_tty else subprocess.PIPE)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout is not None else ""
    code = proc.wait(timeout=60)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace"), out


@pytest.fixture
def history(git_repo: GitRepo) -> GitRepo:
    for i in range(3):
        git_repo.write("f.txt", f"{i}\n")
        git_repo.commit(f"change {i}")
    subprocess.run([sys.executable, "-m", "lineage", "init"], cwd=git_repo.path, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    return git_repo


def test_a_terminal_shows_progress(history: GitRepo) -> None:
    code, term, _ = _on_a_terminal(["harvest"], history.path)
    assert code == 0, term
    assert BAR in term and "0:00:0" in term, term  # with its elapsed time


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_ci_gets_no_progress_bar_even_on_a_terminal(history: GitRepo, ci: str) -> None:
    """Some CI runners give jobs a terminal (docker -t, GitLab's shell executor with a pty):
    the log would fill with redrawn bars. CI=true (set by GitHub Actions, GitLab, CircleCI,
    Travis, Buildkite …) turns them off."""
    code, term, _ = _on_a_terminal(["harvest"], history.path, CI=ci)
    assert code == 0, term
    assert BAR not in term, term
    assert "Harvest" in term  # the summary itself is still printed


def test_ci_false_still_shows_progress(history: GitRepo) -> None:
    code, term, _ = _on_a_terminal(["harvest"], history.path, CI="false")
    assert code == 0, term
    assert BAR in term, term


def test_quickstart_spinner_is_not_on_stdout(tmp_path: Path) -> None:
    """stdout piped to a file, stderr on a terminal: the file holds the report only; the
    spinner of the slow step belongs to the terminal (stderr)."""
    code, term, out = _on_a_terminal(["quickstart", str(tmp_path / "demo")], tmp_path,
                                     stdout_tty=False)
    assert code == 0, term + out
    assert "running dvc repro" not in out and "\x1b[" not in out, out
    assert "running dvc repro" in term, term
    assert "What to look at next" in out
