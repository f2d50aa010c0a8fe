"""Only a clone can lack what its remote holds. A repository whose remote was never fetched
from (added for a first push, not created yet, unreachable) is not a tag-less clone: the
harvest asks no remote and the audit fails nothing. A clone whose remote cannot be reached is
still flagged, the finding says the remote could not be reached and how to fix it, and a
harvest where nothing changed reuses the recorded answer instead of asking the remote again.

Real git and DVC; a TCP socket that accepts and never answers stands for a remote that hangs;
git's own trace (``GIT_TRACE``) tells whether ``git ls-remote`` ran."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import PINNED_ENV, GitRepo

runner = CliRunner()

DVC_YAML = "artifacts:\n  churn:\n    path: models/model.json\n    type: model\n"


@pytest.fixture
def hanging_remote() -> Iterator[str]:
    """An http URL whose server accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/churn.git"
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


def _harvest(repo: Path, trace: Path) -> tuple[dict[str, Any], float, int]:
    """(the harvest's JSON, seconds it took, how many git ls-remote it ran)."""
    before = _ls_remotes(trace)
    t0 = time.monotonic()
    res = runner.invoke(app, ["harvest", "-C", str(repo), "--json"],
                        env={"GIT_TRACE": str(trace)})
    took = time.monotonic() - t0
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), took, _ls_remotes(trace) - before


def _ls_remotes(trace: Path) -> int:
    if not trace.exists():
        return 0
    return sum("git ls-remote" in line and "built-in" in line
               for line in trace.read_text(errors="replace").splitlines())


def _said(h: dict[str, Any]) -> list[str]:
    return [str(w["message"] if isinstance(w, dict) else w) for w in h.get("warnings", [])]


def _audit(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def _gaps(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == "harvest-complete"]


def _repro(path: Path, remote: str) -> GitRepo:
    """The new user's repository: dvc init, dvc.yaml declaring a model, a remote added for a
    first push and never fetched from."""
    r = GitRepo(path)
    r.run(sys.executable, "-m", "dvc", "init", "-q")
    r.commit("init")
    r.write("dvc.yaml", DVC_YAML)
    r.commit("pipeline")
    r.run("git", "remote", "add", "origin", remote)
    res = runner.invoke(app, ["init", "-C", str(path)])
    assert res.exit_code == 0, res.output
    return r


def test_a_repository_whose_remote_was_never_fetched_is_not_a_clone(tmp_path: Path) -> None:
    r = _repro(tmp_path / "r", "/nonexistent/churn.git")
    trace = tmp_path / "trace"
    h, _, asked = _harvest(r.path, trace)
    assert asked == 0
    assert not [w for w in _said(h) if "tags" in w], _said(h)
    # (churn has no risk assessment yet: high, which the user can fix; nothing critical)
    code, report = _audit(r.path, "--fail-on", "critical")
    assert code == 0 and _gaps(report) == [], report["findings"]


def test_a_never_fetched_remote_that_hangs_costs_the_harvest_nothing(
        tmp_path: Path, hanging_remote: str) -> None:
    r = _repro(tmp_path / "r", hanging_remote)
    trace = tmp_path / "trace"
    for _ in range(2):  # the first harvest, and a re-harvest where nothing changed
        h, took, asked = _harvest(r.path, trace)
        assert asked == 0 and took < 5, (took, _said(h))
    code, report = _audit(r.path, "--fail-on", "critical")
    assert code == 0 and _gaps(report) == []


def _origin(tmp_path: Path) -> Path:
    """A bare origin whose churn model is registered and assigned to prod by GTO's tags."""
    src = GitRepo(tmp_path / "src")
    src.write("models/model.json", "{}\n")
    src.write("dvc.yaml", DVC_YAML)
    src.commit("model")
    src.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    src.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    origin = tmp_path / "origin.git"
    src.run("git", "init", "-q", "--bare", "-b", "main", str(origin))
    src.run("git", "push", "-q", str(origin), "main", "--tags")
    return origin


def _git(cwd: Path, *args: str) -> None:
    out = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **PINNED_ENV},
                         capture_output=True, text=True)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"


def _clone(origin: Path, dest: Path, *opts: str) -> Path:
    _git(origin.parent, "clone", "-q", *opts, str(origin), str(dest))
    res = runner.invoke(app, ["init", "-C", str(dest)])
    assert res.exit_code == 0, res.output
    return dest


def test_a_clone_with_no_tags_is_flagged_and_not_asked_again_once_unreachable(
        tmp_path: Path) -> None:
    """git clone --no-tags of a GTO repository: flagged (the remote holds its tags). The
    origin then moved away: the re-harvest, nothing changed, asks nothing and still fails."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "clone", "--no-tags")
    trace = tmp_path / "trace"
    h, _, asked = _harvest(clone, trace)
    assert asked == 1
    assert any("fetches no tags" in w and "holds 2 GTO tags" in w for w in _said(h)), _said(h)
    code, report = _audit(clone)
    (gap,) = _gaps(report)
    assert code == 1 and gap["severity"] == "critical"
    assert "fetched no tags" in gap["message"] and "churn@v1.0.0" in gap["message"], gap
    origin.rename(tmp_path / "moved.git")
    h, _, asked = _harvest(clone, trace)
    assert asked == 0, _said(h)
    code, again = _audit(clone)
    assert code == 1 and _gaps(again) == [gap]


def test_a_clone_whose_remote_cannot_be_reached_says_so_in_the_finding(tmp_path: Path) -> None:
    """The origin gone before the first harvest: the finding says the remote could not be
    reached and how to fix it; a re-harvest asks nothing; reachable again and fetched, the
    clone lacks nothing."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "clone", "--no-tags")
    moved = origin.rename(tmp_path / "moved.git")
    trace = tmp_path / "trace"
    h, _, asked = _harvest(clone, trace)
    assert asked == 1
    code, report = _audit(clone)
    (gap,) = _gaps(report)
    assert code == 1 and gap["severity"] == "critical"
    assert "could not be reached" in gap["message"], gap["message"]
    assert "git ls-remote origin failed" in gap["message"], gap["message"]
    assert "reachable" in gap["remediation"] and "git fetch --tags" in gap["remediation"], gap
    h, _, asked = _harvest(clone, trace)
    assert asked == 0, _said(h)
    code, again = _audit(clone)
    assert code == 1 and _gaps(again) == [gap]
    # reachable again, its tags fetched: nothing lacking
    moved.rename(origin)
    _git(clone, "fetch", "-q", "--tags", "origin")
    _harvest(clone, trace)
    code, report = _audit(clone)
    assert _gaps(report) == [], report["findings"]


def test_a_clone_whose_remote_hangs_waits_once(tmp_path: Path, hanging_remote: str) -> None:
    """A clone whose remote accepts and never answers: the first harvest waits for the bound
    (10 s) and the finding says the remote gave no answer; the re-harvest reuses that."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "clone", "--no-tags")
    _git(clone, "remote", "set-url", "origin", hanging_remote)
    trace = tmp_path / "trace"
    _, took, asked = _harvest(clone, trace)
    assert asked == 1 and took >= 9
    _, report = _audit(clone)
    (gap,) = _gaps(report)
    assert "could not be reached" in gap["message"] and "no answer" in gap["message"], gap
    h, took, asked = _harvest(clone, trace)
    assert asked == 0 and took < 5, (took, _said(h))
    code, again = _audit(clone)
    assert code == 1 and _gaps(again) == [gap]


def test_a_checkout_of_a_fetched_commit_is_a_clone(tmp_path: Path) -> None:
    """git fetch origin <sha> and a checkout of FETCH_HEAD (no remote-tracking ref, whole
    history): FETCH_HEAD names the remote, so it is a clone, and lacks the remote's tags."""
    origin = _origin(tmp_path)
    sha = subprocess.run(["git", "rev-parse", "main"], cwd=origin, capture_output=True,
                         text=True, check=True).stdout.strip()
    ci = tmp_path / "ci"
    ci.mkdir()
    _git(ci, "init", "-q")
    _git(ci, "remote", "add", "origin", str(origin))
    _git(ci, "fetch", "-q", "--no-tags", "origin", sha)
    _git(ci, "checkout", "-q", "--detach", "FETCH_HEAD")
    assert not (ci / ".git" / "refs" / "remotes").exists() or not any(
        (ci / ".git" / "refs" / "remotes").rglob("*"))
    res = runner.invoke(app, ["init", "-C", str(ci)])
    assert res.exit_code == 0, res.output
    h, _, asked = _harvest(ci, tmp_path / "trace")
    assert asked == 1
    assert any("remote origin holds 2 GTO tags" in w for w in _said(h)), _said(h)
    code, report = _audit(ci, "--fail-on", "critical")
    (gap,) = _gaps(report)
    assert code == 1 and "churn@v1.0.0" in gap["message"], gap["message"]
