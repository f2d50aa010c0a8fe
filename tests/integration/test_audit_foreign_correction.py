"""A correction (`properties.supersedes`) replaces a record about the same AI system: a record
about another model group naming it corrects nothing, so a deployment of one system cannot
make a prohibited system's live deployment (or its approvals, its assessment) vanish."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def record(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", *args, "-C", str(repo)])
    assert res.exit_code == 0, res.output


def prohibited(repo: Path) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              "prohibited-not-deployed"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_a_deployment_of_another_system_does_not_supersede_a_live_one(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    record(demo, "assessment", "--group", "churn", "--tier", "unacceptable", "--assessor",
           "carol@example.com", "--date", "2026-01-21", "--id", "churn-banned")
    before = prohibited(demo)
    assert before, "the demo's churn is deployed"
    live = sorted({e for f in before for e in f["evidence"] if e.startswith("deployment:")})
    (demo / "models" / "fraud.json").write_text('{"w": 2}\n')
    record(demo, "run", "--name", "train-fraud", "--input", "data/prepared", "--model",
           "fraud@v1.0.0=models/fraud.json", "--clean")
    record(demo, "deployment", "--model", "fraud@v1.0.0", "--env", "dev", "--deployed-at",
           "2026-01-21T00:00:00Z", "--prop", "supersedes=" + ",".join(live),
           "--allow-new")  # (lineage record refuses it without: as a hand-written file)
    after = prohibited(demo)
    assert [(f["subject"], f["evidence"]) for f in after] == \
        [(f["subject"], f["evidence"]) for f in before]
    # a correction of churn's own deployment record is still a correction
    record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "dev", "--deployed-at",
           "2026-01-21T00:00:00Z", "--retired-at", "2026-01-21T01:00:00Z", "--prop",
           "supersedes=" + ",".join(live))
    assert prohibited(demo) == []
