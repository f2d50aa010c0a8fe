"""A run that trained models of two groups is audited once, filed under one of its versions;
``--model`` and ``--env`` keep its findings for every version it produced, so gating one
model's pipeline does not pass over the dirty run that trained it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def run_findings(repo: Path, *args: str) -> list[str]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              "run-code-pinned", *args])
    assert res.exit_code in (0, 1), res.output
    return [f["subject"] for f in json.loads(res.stdout)["findings"]]


def test_a_dirty_run_of_two_models_is_a_finding_of_each(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    (demo / "models" / "a.json").write_text('{"a": 1}\n')
    (demo / "models" / "b.json").write_text('{"b": 1}\n')
    # (run by the audit's date: one started later is out of an --as-of audit's scope)
    res = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "both", "--dirty",
                              "--start", "2026-01-20T10:00:00Z", "--end",
                              "2026-01-20T11:00:00Z",
                              "--input", "data/prepared", "--model", "churn@v3.0.0=models/a.json",
                              "--model", "zeta@v1.0.0=models/b.json", "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["node"]
    for model in ("churn", "churn@v3.0.0", "zeta", "zeta@v1.0.0"):
        assert run in run_findings(demo, "--model", model), model
    for version in ("churn@v3.0.0", "zeta@v1.0.0"):
        dep = runner.invoke(app, ["record", "deployment", "-C", str(demo), "--model", version,
                                  "--env", f"env-{version[0]}", "--deployed-at",
                                  "2026-01-21T00:00:00Z"])
        assert dep.exit_code == 0, dep.output
        assert run in run_findings(demo, "--env", f"env-{version[0]}"), version
