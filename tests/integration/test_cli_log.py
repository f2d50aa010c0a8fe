"""`lineage log`: each event's summary tells what it did, failed pushes included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import _event_summary, app
from tests.conftest import GitRepo

runner = CliRunner()


def _rows(repo: str) -> dict[str, str]:
    res = runner.invoke(app, ["log", "-C", repo], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    rows = {}
    for line in res.output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 6 and cells[1].isdigit():
            rows[cells[1]] = " ".join(cells[3:6])
    return rows


def test_each_event_says_what_it_did(git_repo: GitRepo) -> None:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("add training code")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    repo = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", repo]).exit_code == 0
    assert runner.invoke(app, ["harvest", "-C", repo, "--only", "git"]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", repo, "--name", "train", "--run-id",
                              "r1", "--clean"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["record", "approval", "-C", repo, "--model", "churn@v1.0.0",
                              "--env", "prod", "--approver", "rita@example.com", "--id", "a1"])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["push", "-C", repo]).exit_code == 0
    res = runner.invoke(app, ["push", "-C", repo, "--to", "datahub-rest", "--server",
                              "http://127.0.0.1:9"])
    assert res.exit_code == 3, res.output

    rows = _rows(repo)
    assert list(rows) == ["1", "2", "3", "4", "5"], rows
    assert "harvest" in rows["1"] and "git" in rows["1"] and "nodes" in rows["1"], rows
    # a recorded run is named, as an approval is: by its node
    assert "run:lineage:r1" in rows["2"], rows
    assert "approval:a1" in rows["3"], rows
    assert "datahub-lite" in rows["4"] and "written" in rows["4"], rows
    assert "failed" not in rows["4"].replace("0 failed", ""), rows
    # a refused push does not look like one that worked
    assert "datahub-rest" in rows["5"] and "failed" in rows["5"], rows


@pytest.mark.parametrize("columns", [80, 120])
def test_ids_emails_and_hashes_are_never_broken(quickstart_demo: Path, columns: int) -> None:
    """An id broken over two lines (``run:lineag`` / ``e:4f05…``) cannot be searched for or
    given back to ``lineage show``: at 80 columns (a CI log) and at 120 each is whole."""
    res = runner.invoke(app, ["log", "--json"])
    assert res.exit_code == 0, res.output
    events = json.loads(res.stdout)
    whole = {e["actor"] for e in events} | {e["hash"][:12] for e in events}
    whole |= {e["payload"]["node"] for e in events if e["kind"] == "record"}
    assert any(x.startswith("run:lineage:") for x in whole), whole
    res = runner.invoke(app, ["log"], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert all(len(x) <= columns for x in lines), res.stdout
    words = set(res.stdout.replace("│", " ").split())
    assert whole <= words, (sorted(whole - words), res.stdout)
    # a summary reads as a sentence, not a word a line (`datahub-li / te ok: 0 / written, …`)
    push = next(e for e in events if e["kind"] == "push")
    summary = _event_summary("push", push["payload"]).split()
    held = [x for x in lines if any(w in x.replace("│", " ").split() for w in summary)]
    assert len(held) <= 2 and " ".join(summary[:3]) in held[0], res.stdout
