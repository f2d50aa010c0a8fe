"""`lineage audit --as-of D` audits the graph as it stood at D: model versions created, runs
started, deployments made, approvals decided, alerts raised, retrainings made and documents
issued after D are out of its scope, and the report says how many it left out. A date later
than the store's own writing of a version or run (a forged or mistyped future) does not keep
it out of an audit."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def audit(repo: Path, *args: str) -> dict:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def test_what_came_after_the_as_of_date_is_out_of_scope(quickstart_demo: Path) -> None:
    # the demo: churn@v1.0.0 registered 2026-01-04, deployed to staging 01-06 and prod 01-07,
    # an open drift alert 01-09; churn@v1.1.0 registered 01-14 (its approval 01-14, its
    # deployments 01-16 and 01-20, a resolved alert 01-21)
    data = audit(quickstart_demo, "--as-of", "2026-01-10")
    named = [f for f in data["findings"]
             if "churn@v1.1.0" in json.dumps(f) or f["rule"] in ("model-has-run",
                                                                   "run-code-pinned",
                                                                   "run-data-pinned")]
    assert named == [], named
    assert data["stats"]["model_versions"] == 1
    assert data["summary"]["after_as_of"] == {"model_versions": 1, "runs": 1, "deployments": 2,
                                              "approvals": 1, "alerts": 1, "documents": 2,
                                              "retrainings": 1}
    assert data["stats"]["runs_after_as_of"] == 1
    subjects = {f["subject"] for f in data["findings"]} | {f["subject"] for f in data["waived"]}
    assert not any("v1.1.0" in s for s in subjects)
    md = runner.invoke(app, ["audit", "-C", str(quickstart_demo), "--as-of", "2026-01-10",
                             "--format", "markdown"]).stdout
    assert "as of 2026-01-10 (end of day, UTC) (1 version, 1 run, 2 deployments, 1 approval, 1 alert, " \
           "2 documents, 1 retraining made later left out)" in md
    # by the end of the demo's timeline everything is in scope again
    later = audit(quickstart_demo, "--as-of", "2026-01-22")
    assert set(later["summary"]["after_as_of"].values()) == {0}
    assert any(f["model"] == "model:churn@v1.1.0" for f in later["findings"])


def test_a_date_later_than_its_writing_hides_nothing(quickstart_demo: Path) -> None:
    (quickstart_demo / "models" / "churn9.json").write_text('{"w": 9}\n')
    res = runner.invoke(app, ["record", "run", "-C", str(quickstart_demo), "--name", "train",
                              "--start", "2099-01-01T00:00:00Z", "--end", "2099-01-01T01:00:00Z",
                              "--dirty", "--status", "FINISHED", "-i", "data/prepared",
                              "--model", "churn@v9.9.9=models/churn9.json", "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["node"]
    # audited now: the run (trained on a dirty tree) and its version are checked
    data = audit(quickstart_demo)
    assert ("run-code-pinned", run) in {(f["rule"], f["subject"]) for f in data["findings"]}
    assert any(f["model"] == "model:churn@v9.9.9" for f in data["findings"])
    assert set(data["summary"]["after_as_of"].values()) == {0}
    # as of the demo's end they were not written yet
    old = audit(quickstart_demo, "--as-of", "2026-01-22")
    assert not any(run == f["subject"] or f["model"] == "model:churn@v9.9.9"
                   for f in old["findings"])
    assert old["summary"]["after_as_of"]["runs"] == 1
    assert old["summary"]["after_as_of"]["model_versions"] == 1


def test_a_filter_naming_only_what_came_later_is_no_pass(quickstart_demo: Path) -> None:
    # a gate on churn@v1.1.0 as of a day before it was registered, or on staging before the
    # first staging deployment, would check nothing and pass: a usage error, as a typo is
    for args, said in (
            (["--as-of", "2026-01-10", "--model", "churn@v1.1.0"],
             "--model 'churn@v1.1.0': churn@v1.1.0 was created after the audit's date "
             "(2026-01-14T09:30:00Z, as of 2026-01-10T23:59:59.999999Z)"),
            (["--as-of", "2026-01-05", "--env", "staging"],
             "--env 'staging': no deployment to staging had been made by the audit's date "
             "(the first: 2026-01-06T09:30:00Z, as of 2026-01-05T23:59:59.999999Z)")):
        res = runner.invoke(app, ["audit", "-C", str(quickstart_demo), *args])
        assert res.exit_code == 2, res.output
        assert said in " ".join(res.output.split()), res.output
    # the same filters once those existed
    assert audit(quickstart_demo, "--as-of", "2026-01-15", "--model", "churn@v1.1.0")[
        "summary"]["checks"] > 0
    assert audit(quickstart_demo, "--as-of", "2026-01-07", "--env", "staging")[
        "summary"]["checks"] > 0
