"""Recording a run again with other facts is refused; the hint says what to do for a run (a
new run: another --run-id), not the correction of a governance record (`--id` and
`supersedes`, which `lineage record run` does not take and the audit ignores on runs)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def test_a_run_recorded_again_differently_hints_at_a_new_run(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    first = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "t", "--dirty",
                                "--input", "data/prepared", "--json"])
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.stdout)["node"].removeprefix("run:lineage:")
    again = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "t", "--clean",
                                "--run-id", run_id, "--input", "data/prepared"])
    assert again.exit_code == 2, again.output
    assert "already recorded with dirty True" in again.stderr, again.stderr
    hint = again.stderr.split("hint: ", 1)[1]
    assert "--run-id" in hint and "supersedes" not in hint and "--id " not in hint, hint
