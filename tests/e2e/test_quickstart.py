"""The main job end to end: demo repository → harvest → DataHub Lite → audit.

Builds the real demo (git, `dvc repro` twice, GTO tags, runs recorded by `track_run`,
governance records) once for the module, then checks what a user would: the planted gaps are
exactly what the audit finds, closing them with `lineage record` leaves no finding, the
provenance chain joins deployment → version → run → commit + data, and the log verifies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> dict:
    target = tmp_path_factory.mktemp("qs") / "demo"
    code, out = lineage("quickstart", str(target), "--json")
    assert code == 0, out
    return json.loads(out)


def test_quickstart_runs_every_step(quickstart: dict) -> None:
    assert quickstart["harvest"]["warnings"] == []
    harvested = quickstart["harvest"]["harvesters"]
    assert {"git", "dvc", "gto", "records"} <= set(harvested)
    assert quickstart["push"]["written"] > 50 and quickstart["push"]["failed"] == 0
    assert quickstart["planted_gaps_found"] is True


def test_audit_finds_exactly_the_planted_gaps(quickstart: dict) -> None:
    repo = quickstart["repository"]
    code, out = lineage("audit", "-C", repo, "--as-of", "2026-01-22", "--format", "json")
    assert code == 1
    found = {(f["rule"], f["model"]) for f in json.loads(out)["findings"]}
    planted = {(g["rule"], g["model"]) for g in quickstart["planted_gaps"]}
    assert found == planted


def test_a_fresh_clone_audits_as_the_quickstart_store(quickstart: dict,
                                                     tmp_path: Path) -> None:
    """The CI recipe (docs/audit.md): a fresh clone, ``lineage init``, ``lineage harvest``,
    ``lineage audit``. The demo's training runs are committed with it (``track_run(...,
    write_file=True)``), so a store built from the clone alone finds what the quickstart's did,
    with the same messages (the run's author is known: four-eyes counts her approval out)."""
    import subprocess

    repo = quickstart["repository"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", repo, str(clone)], check=True)
    assert sorted(p.name for p in (clone / "governance" / "run").glob("*.yaml")) and \
        len(list((clone / "governance" / "run").glob("*.yaml"))) == 2
    assert lineage("init", "-C", str(clone))[0] == 0
    code, out = lineage("harvest", "-C", str(clone), "--json")
    assert code == 0 and json.loads(out)["warnings"] == [], out

    def findings(where: str) -> list[tuple[str, str, str]]:
        code, out = lineage("audit", "-C", where, "--as-of", "2026-01-22", "--format", "json")
        assert code == 1, out
        return [(f["rule"], f["subject"], f["message"]) for f in json.loads(out)["findings"]]

    assert findings(str(clone)) == findings(repo)


def _findings_local_and_lite(repo: str) -> tuple[set, set]:
    """Findings of the audit of the store and of its DataHub Lite copy."""
    code, out = lineage("push", "-C", repo, "--json")  # the Lite file holds the latest facts
    assert code == 0, out
    found = {}
    for source in (["--source", "local"],
                   ["--source", "datahub-lite", str(Path(repo, ".lineage/datahub-lite.db"))]):
        code, out = lineage("audit", "-C", repo, "--as-of", "2026-01-22", "--format", "json",
                            *source)
        assert code in (0, 1), out
        found[source[1]] = json.loads(out)["findings"]
    return found["local"], found["datahub-lite"]


def test_audit_of_datahub_lite_equals_local_audit(quickstart: dict) -> None:
    local, lite = _findings_local_and_lite(quickstart["repository"])
    assert local, "the demo plants gaps: the local audit must find them"
    key = [(f["rule"], f["subject"], f["severity"]) for f in local]
    assert [(f["rule"], f["subject"], f["severity"]) for f in lite] == key
    assert lite == local  # message, evidence, aliases and the record file (SARIF) too


def test_provenance_joins_deployment_version_run_commit_and_data(quickstart: dict) -> None:
    repo = quickstart["repository"]
    code, out = lineage("show", "-C", repo, "deployment:churn-prod-2026-01-20", "--json")
    assert code == 0, out
    prov = json.loads(out)
    ids = {n["id"] for n in prov["nodes"]}
    kinds = {n["kind"] for n in prov["nodes"]}
    assert "model:churn@v1.1.0" in ids
    assert {"deployment", "model", "run", "commit", "data", "stage"} <= kinds
    pins = {e["attrs"].get("pin") for e in prov["edges"] if e["kind"] == "input"}
    assert pins == {"strong"}
    raw = [n for n in prov["nodes"] if n["kind"] == "data" and n["attrs"]["path"] == "data/raw.csv"]
    assert raw and all(n["attrs"]["hash"].startswith("md5:") for n in raw)


def test_closing_the_gaps_leaves_no_finding(quickstart: dict) -> None:
    repo = quickstart["repository"]
    Path(repo, "docs/bias_report_v1.1.0.md").write_text("# Bias report v1.1.0\n")
    steps = [
        ["approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver",
         "rita@example.com", "--role", "risk-officer", "--decided-at", "2026-01-19T10:00:00Z"],
        ["approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver",
         "max@example.com", "--role", "ml-lead", "--decided-at", "2026-01-19T11:00:00Z"],
        ["approval", "--model", "churn@v1.1.0", "--env", "staging", "--approver",
         "rita@example.com", "--role", "risk-officer", "--decided-at", "2026-01-14T11:00:00Z"],
        ["approval", "--model", "churn@v1.1.0", "--env", "staging", "--approver",
         "max@example.com", "--role", "ml-lead", "--decided-at", "2026-01-14T12:00:00Z"],
        # written before the audit's date, recorded now: with its date (one recorded without
        # it counts from its recording, after the demo's "today")
        ["document", "--model", "churn@v1.1.0", "--type", "bias_report", "--uri",
         "docs/bias_report_v1.1.0.md", "--at", "2026-01-21T10:00:00Z"],
    ]
    for step in steps:
        code, out = lineage("record", *step, "-C", repo)
        assert code == 0, out
    code, out = lineage("audit", "-C", repo, "--as-of", "2026-01-22", "--format", "json")
    assert code == 0, out
    assert json.loads(out)["findings"] == []
    code, out = lineage("verify", "-C", repo)
    assert code == 0, out


def test_datahub_lite_audit_follows_the_closed_gaps(quickstart: dict) -> None:
    """After the gaps are closed (previous test) and pushed, Lite agrees again: no finding."""
    local, lite = _findings_local_and_lite(quickstart["repository"])
    assert lite == local


def test_the_datahub_lite_next_step_lists_the_demo_models(quickstart: dict) -> None:
    """The quickstart's "browse DataHub Lite" step, run as printed: the demo repository's
    folder holds its model groups and versions (they are browsed under their repository)."""
    import os
    import shlex
    import subprocess
    import sys

    from lineage.cli.quickstart import next_steps

    repo = Path(quickstart["repository"])
    cmd = next(c for c, _ in next_steps(repo, "2026-01-22", Path(quickstart["datahub_home"]))
               if "datahub lite ls" in c)
    home, _, rest = cmd.partition(" ")
    argv = shlex.split(rest)
    datahub = Path(sys.executable).with_name("datahub")
    out = subprocess.run([str(datahub), *argv[1:]], cwd=repo, capture_output=True, text=True,
                         env={**os.environ,
                              "HOME": shlex.split(home.removeprefix("HOME="))[0]})
    assert out.returncode == 0, out.stderr
    assert {"mlmodels", "mlmodelgroups"} <= set(out.stdout.split()), out.stdout
