"""The fix printed for a run finding closes it when followed. A run is an immutable record:
recording it again with other facts is refused, and a new run does not change what the old
one was; so the fix for a dirty tree is a retraining plus a waiver of the old run, and for a
commit git has not seen yet, bringing the commit into the history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def code_findings(repo: Path) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              "run-code-pinned"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)["findings"]


def test_a_dirty_run_is_closed_by_the_waiver_its_fix_names(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    (demo / "models" / "d.json").write_text('{"d": 1}\n')
    # (run by the audit's date: one started later is out of an --as-of audit's scope)
    res = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "t", "--dirty",
                              "--start", "2026-01-21T10:00:00Z", "--end",
                              "2026-01-21T11:00:00Z", "--input", "data/prepared", "--model",
                              "churn@v7.0.0=models/d.json", "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["node"]
    [f] = [f for f in code_findings(demo) if f["subject"] == run]
    fix = f["remediation"]
    assert "re-record" not in fix, fix  # recording the run again is refused
    assert f"waivers: rule run-code-pinned, node {run}, owner, reason, expires" in fix, fix
    policy = demo / "lineage-policy.yaml"
    text = policy.read_text() if policy.exists() else "version: 1\n"
    if "waivers:" not in text:
        text += "waivers:\n"
    text = text.replace("waivers:\n", "waivers:\n"
                        f"  - rule: run-code-pinned\n    node: {run}\n"
                        "    owner: dana@example.com\n    reason: retrained as churn@v7.1.0\n"
                        "    expires: 2026-12-31\n", 1)
    policy.write_text(text)
    assert [f for f in code_findings(demo) if f["subject"] == run] == []


def test_a_run_on_an_unseen_commit_is_closed_by_harvesting_it(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    git = ["git", "-C", str(demo)]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "later"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    (demo / "models" / "u.json").write_text('{"u": 1}\n')
    res = runner.invoke(app, ["record", "run", "-C", str(demo), "--name", "t", "--clean",
                              "--commit", sha, "--input", "data/prepared", "--model",
                              "churn@v8.0.0=models/u.json", "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["node"]
    found = [f for f in code_findings(demo) if f["subject"] == run]
    if not found:
        return  # recording the run harvested the commit already: nothing to fix
    [f] = found
    assert "lineage harvest" in f["remediation"] and "waive" not in f["remediation"]
    assert runner.invoke(app, ["harvest", "-C", str(demo)]).exit_code == 0
    assert [f for f in code_findings(demo) if f["subject"] == run] == []
