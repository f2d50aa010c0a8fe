"""The audit's run-to-run lineage follows the history of a version, as `lineage show` does.

Data is one dataset per path: a job that wrote `prepared.csv` years after a model version was
trained from it, or at a later commit, wrote the same dataset, but it is no part of that
version's provenance. `lineage audit --model` does not report it for the version, it does not
take the version's tier, and a run label does not say it is upstream of that training. A writer
inside the history (at the version's commit, before the run read it) still is. Real git, DVC,
GTO and OpenLineage files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.audit.engine import AuditContext
from lineage.audit.index import build_index
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
PREP, FIX, LATE = ("0190a5b2-0000-7000-8000-00000000000" + c for c in "123")
T1 = "run:lineage:t1"
DVC_YAML = """\
stages:
  prepare:
    cmd: cut -d, -f1,2 data/raw.csv > data/prepared.csv
    deps: [data/raw.csv]
    outs: [data/prepared.csv]
  train:
    cmd: md5sum data/prepared.csv > model.pkl
    deps: [data/prepared.csv]
    outs: [model.pkl]
artifacts:
  fraud:
    path: model.pkl
"""


def _ol(repo: GitRepo, run: str, job: str, start: str, sha: str | None) -> list[dict[str, Any]]:
    """An ETL job that wrote teams/a/data/prepared.csv (from a table), at commit ``sha``."""
    out = {"namespace": "file", "name": str(repo.path / "teams/a/data/prepared.csv")}
    table = {"namespace": "postgres://db:5432", "name": "shop.public.events"}
    job_doc: dict[str, Any] = {"namespace": "airflow", "name": job}
    if sha:
        job_doc["facets"] = {"sourceCodeLocation": {
            "type": "git", "url": "https://example.com/acme/fraud", "version": sha}}
    return [{"eventType": state, "eventTime": at, "producer": "https://airflow.apache.org",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": run, "facets": {}}, "job": job_doc,
             "inputs": [table], "outputs": [out] if state == "COMPLETE" else []}
            for state, at in (("START", start), ("COMPLETE", start.replace(":00:00", ":10:00")))]


def _repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """v1.0.0 trained by the recorded run t1 at its commit from prepared.csv; prepared.csv
    written by ``prep`` (at that commit, before t1), by ``fix`` (at a later commit) and by
    ``late-etl`` (no commit, started in 2030). (commit of v1.0.0, the later commit)."""
    repo = git_repo
    gto = Path(sys.executable).with_name("gto")
    if not gto.exists():
        pytest.skip("gto is not installed")
    repo.dvc("init", "-q")
    repo.commit("init")
    repo.write("teams/a/data/raw.csv", "id,amount,comment\n1,10,a\n2,20,b\n")
    repo.dvc("add", "-q", "teams/a/data/raw.csv")
    repo.write("teams/a/dvc.yaml", DVC_YAML)
    repo.dvc("repro", "-q", "teams/a/dvc.yaml")
    first = repo.commit("train v1")
    repo.run(str(gto), "register", "teams/a:fraud", "--version", "v1.0.0")
    repo.tick += 1
    repo.write("teams/a/README.md", "fraud\n")
    later = repo.commit("later work")
    api.init(repo.path)
    monkeypatch.chdir(repo.path)
    res = runner.invoke(app, [
        "record", "run", "-C", str(repo.path), "--name", "train", "--run-id", "t1",
        "--commit", first, "--input", "teams/a/data/prepared.csv",
        "--model", "teams/a:fraud@v1.0.0=teams/a/model.pkl",
        "--start", "2026-01-01T02:30:00Z", "--end", "2026-01-01T02:40:00Z", "--clean"])
    assert res.exit_code == 0, res.output
    (repo.path / "openlineage").mkdir()
    events = (_ol(repo, PREP, "etl.prepare", "2026-01-01T02:00:00Z", first)
              + _ol(repo, FIX, "etl.fix", "2026-01-01T02:00:00Z", later)
              + _ol(repo, LATE, "etl.late", "2030-01-01T00:00:00Z", None))
    (repo.path / "openlineage" / "etl.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in events))
    res_h = api.harvest(repo.path)
    assert not [w for w in res_h.report.warnings if "prepared" in w], res_h.report.warnings
    return first, later


def _audit(repo: GitRepo, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _ctx(repo: GitRepo) -> AuditContext:
    from lineage.audit.policy import DEFAULT_POLICY

    store = api.open_store(repo.path)
    try:
        idx = build_index(store)
    finally:
        store.close()
    from datetime import UTC, datetime
    return AuditContext(idx, DEFAULT_POLICY, datetime(2031, 1, 1, tzinfo=UTC))


def _subjects(doc: dict[str, Any]) -> set[str]:
    return {f["subject"] for f in doc["findings"]}


def test_audit_model_reports_only_the_runs_in_the_versions_history(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(git_repo, monkeypatch)
    ol = "run:openlineage:"
    whole = _audit(git_repo)
    # the ETL job at the version's commit, before the training, wrote what it read: checked
    assert f"{ol}{PREP}" in _subjects(whole)
    msg = next(f["message"] for f in whole["findings"] if f["subject"] == f"{ol}{PREP}")
    assert msg.startswith(f"{ol}{PREP} (upstream of the training of teams/a:fraud@v1.0.0)"), msg
    # a later commit's job and a job of 2030 wrote the same path, not the version's data: no
    # model depends on them, they are out of scope as any ETL job
    assert not {f"{ol}{FIX}", f"{ol}{LATE}"} & _subjects(whole), whole["findings"]
    assert whole["summary"]["runs_out_of_scope"] == 2
    scoped = _audit(git_repo, "--model", "teams/a:fraud@v1.0.0")
    assert f"{ol}{PREP}" in _subjects(scoped)
    assert not {f"{ol}{FIX}", f"{ol}{LATE}"} & _subjects(scoped), scoped["findings"]


def test_runs_feeding_and_provenance_versions_are_bounded(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(git_repo, monkeypatch)
    ctx = _ctx(git_repo)
    [v1] = [v for v in ctx.versions(unharvested=True) if v.endswith("fraud@v1.0.0")]
    ol = "run:openlineage:"
    assert ctx.runs_feeding({v1}) & {f"{ol}{PREP}", f"{ol}{FIX}", f"{ol}{LATE}"} == {
        f"{ol}{PREP}"}
    assert T1 in ctx.runs_feeding({v1})
    assert ctx.provenance_versions(f"{ol}{PREP}") == [v1]
    assert ctx.provenance_versions(f"{ol}{LATE}") == []
    assert ctx.provenance_versions(f"{ol}{FIX}") == []
    assert ctx.run_tier(f"{ol}{LATE}") == ("unassessed", None)
    assert ctx.run_tier(f"{ol}{PREP}")[1] == v1
    assert not ctx.in_scope(f"{ol}{LATE}") and ctx.in_scope(f"{ol}{PREP}")


def test_a_reader_that_started_before_the_writer_is_not_fed_by_it(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run to run: a run recorded in 2029 that read prepared.csv is fed by the 2030 job? No:
    it started after. A reader with no harvested commit is bounded by its start alone."""
    _repo(git_repo, monkeypatch)
    git_repo.write("teams/a/eval.pkl", "another model\n")
    res = runner.invoke(app, [
        "record", "run", "-C", str(git_repo.path), "--name", "eval", "--run-id", "ev",
        "--commit", "e" * 40, "--input", "teams/a/data/prepared.csv",
        "--model", "fraud-eval@v2.0.0=teams/a/eval.pkl",
        "--start", "2029-01-01T00:00:00Z", "--end", "2029-01-01T01:00:00Z", "--clean"])
    assert res.exit_code == 0, res.output
    api.harvest(git_repo.path)
    ctx = _ctx(git_repo)
    [v2] = [v for v in ctx.versions(unharvested=True) if v.endswith("fraud-eval@v2.0.0")]
    fed = ctx.runs_feeding({v2})
    ol = "run:openlineage:"
    assert "run:lineage:ev" in fed
    # no commit of its own to bound it: the writers by their start (the later commit's job
    # started before it; the 2030 job after)
    assert f"{ol}{LATE}" not in fed
    assert {f"{ol}{PREP}", f"{ol}{FIX}"} <= fed

