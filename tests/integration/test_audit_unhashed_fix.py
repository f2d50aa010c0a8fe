"""`run-data-pinned`'s fix for a run whose input DVC does track, at a commit whose DVC files
record no hash for it (the joins leave it weakly pinned: ``dvc import-url --no-download``):
tracking it with DVC is no fix, recording its hash at that commit is. A path DVC never
tracked keeps the fix that says to track it. Real git + DVC repository, OpenLineage runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000"
runner = CliRunner()


def _run(rid: str, sha: str, repo: Path, path: str) -> dict[str, Any]:
    return {"eventType": "COMPLETE", "eventTime": "2026-01-01T01:30:00Z",
            "producer": "https://example.com/ci", "run": {"runId": rid},
            "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/repo", "version": sha}}},
            "inputs": [{"namespace": "file", "name": str(repo / path)}],
            "outputs": [{"namespace": "file", "name": str(repo / "model.pkl")}]}


def _fixes(repo: GitRepo) -> dict[str, str]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              "run-data-pinned"])
    assert res.exit_code == 1, res.output
    return {f["subject"]: f["remediation"] for f in json.loads(res.stdout)["findings"]}


def test_an_input_dvc_tracks_with_no_hash_at_the_commit_says_to_record_it(
        git_repo: GitRepo, tmp_path: Path) -> None:
    r = git_repo
    src = tmp_path / "source.csv"
    src.write_text("age,churned\n52,1\n")
    r.dvc("init", "-q")
    r.write("data.csv", "age,churned\n31,0\n")
    r.dvc("add", "-q", "data.csv")
    r.write("raw.csv", "a\n")  # in git, never tracked by DVC
    r.write("model.pkl", "model\n")
    r.dvc("add", "-q", "model.pkl")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n")
    r.commit("data added")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.dvc("import-url", "-q", "--no-download", "--force", str(src), "data.csv")
    c2 = r.commit("data imported, not downloaded")
    r.tag("churn@v2.0.0", "Registering artifact churn version v2.0.0")
    unhashed, untracked = f"{RUN}f1", f"{RUN}f2"
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in (
        _run(unhashed, c2, r.path, "data.csv"), _run(untracked, c2, r.path, "raw.csv"))))
    api.init(r.path)
    api.harvest(r.path)

    fixes = _fixes(r)
    fix = fixes[f"run:openlineage:{unhashed}"]
    assert fix.startswith(f"the commit's DVC files record no hash for data.csv (commit "
                          f"{c2[:12]}) that is what the run read (none, or a dvc.lock entry "
                          "out of date there: the harvest's warning says which): dvc commit / "
                          "dvc repro, commit dvc.lock"), fix
    assert "train from that commit" in fix
    assert "track the inputs with DVC" not in fix
    # DVC never tracked raw.csv: tracking it is the fix
    assert fixes[f"run:openlineage:{untracked}"].startswith("track the inputs with DVC")

    # the same from a graph (a catalog read back): the index is built the same way
    from lineage.audit import run_audit

    graph = api.open_store(r.path).load_graph()
    found = {f.subject: f.remediation for f in run_audit(graph).findings
             if f.rule == "run-data-pinned"}
    assert found[f"run:openlineage:{unhashed}"] == fix
