"""`lineage record … --write-file` killed half way (an OOM kill, a lost CI runner) leaves no
record file the store lacks: the file is put in place only once the store holds the record,
and the step retried writes what is missing. A record file that exists without its store
record (a file pulled from git, not harvested yet) is met with the hint to harvest it.

The kills are real: `lineage` runs in a child process that sends itself SIGKILL at the
named point (right before the store writes the record, or right after it committed, before
the file is renamed into place)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

# runs `lineage ARGS…` and SIGKILLs itself at the point named by argv[1]
_KILLED = textwrap.dedent("""
    import os, signal, sys
    import lineage.api as api
    point = sys.argv[1]
    if point == "before-commit":
        api.record = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    else:
        real = os.replace
        def replace(src, dst, *a, **k):
            if str(src).endswith(".lineage-tmp"):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst, *a, **k)
        os.replace = replace
    from lineage.cli.main import app
    sys.argv = ["lineage", *sys.argv[2:]]
    app()
""")


def _killed(repo: GitRepo, point: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _KILLED, point, *args[:2], "-C",
                          str(repo.path), *args[2:]], env=env, capture_output=True, text=True,
                         cwd=repo.path)
    assert out.returncode == -signal.SIGKILL, out.stderr


def _lineage(repo: GitRepo, *args: str) -> Result:
    return runner.invoke(app, [*args[:2], "-C", str(repo.path), *args[2:]])


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    git_repo.write("models/churn.json", '{"w": 1}\n')
    git_repo.commit("model")
    api.init(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    return git_repo


def _record_events(repo: GitRepo) -> list[str]:
    with api.open_store(repo.path) as store:
        return [e.payload["node"] for e in store.events() if e.kind == "record"]


RUN = ("record", "run", "--run-id", "r1", "--name", "train", "--status", "FINISHED",
       "--end", "2026-01-15T10:42:00Z", "--model", "churn@v1.0.0=models/churn.json",
       "--write-file")


def test_killed_after_the_store_committed_the_retry_writes_the_file(repo: GitRepo) -> None:
    _killed(repo, "after-commit", *RUN)
    target = repo.path / "governance/run/r1.yaml"
    assert _record_events(repo) == ["run:lineage:r1"]  # the store holds the record
    assert not target.exists()  # … and no file says anything the store does not
    # the staged file is hidden: the harvest does not read it
    assert [p.name for p in target.parent.iterdir()] == [f".r1.yaml.{_pid(target)}.lineage-tmp"]
    harvested = _lineage(repo, "harvest", "--json")
    assert harvested.exit_code == 0, harvested.output

    retry = _lineage(repo, *RUN, "--json")  # the CI step retried
    assert retry.exit_code == 0, retry.output
    out = json.loads(retry.stdout)
    assert out["facts_written"] == 0 and out["file"] == "governance/run/r1.yaml"
    assert "status: FINISHED" in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["r1.yaml"]  # the stale one removed
    repo.commit("the run's record")
    assert _lineage(repo, "harvest", "--json").exit_code == 0
    assert _lineage(repo, "verify").exit_code == 0


def test_killed_before_the_store_committed_nothing_is_recorded(repo: GitRepo) -> None:
    deploy = ("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
              "--deployed-at", "2026-01-21T08:00:00Z", "--write-file")
    _killed(repo, "before-commit", *deploy)
    assert _record_events(repo) == []
    folder = repo.path / "governance/deployment"
    assert not any(p.suffix == ".yaml" for p in folder.iterdir())
    retry = _lineage(repo, *deploy, "--json")
    assert retry.exit_code == 0, retry.output
    assert json.loads(retry.stdout)["facts_written"] > 0
    assert [p.name for p in folder.iterdir()] == ["churn-prod-20260121T080000Z.yaml"]


def test_a_record_file_the_store_lacks_is_harvested_first(repo: GitRepo) -> None:
    """A file written, or pulled, without its store record: the hint is `lineage harvest`,
    not another --run-id; after the harvest the step records as it should."""
    repo.write("governance/run/r1.yaml", textwrap.dedent("""\
        kind: run
        id: r1
        name: train
        status: FINISHED
        end_time: '2026-01-15T10:00:00Z'
    """))
    res = _lineage(repo, *RUN)
    assert res.exit_code == 2
    assert "end_time" in res.output and "lineage harvest" in res.output
    assert "another --run-id" not in res.output
    assert _lineage(repo, "harvest").exit_code == 0
    again = _lineage(repo, *RUN)  # the store holds it now: it says what differs
    assert again.exit_code == 2 and "another --run-id" in again.output


def _pid(target: Path) -> str:
    [staged] = target.parent.glob(".r1.yaml.*.lineage-tmp")
    return staged.name.split(".")[3]
