"""`lineage show MODEL@VERSION` follows only the history of the version's commit.

DVC data is one node per content: when a later commit reproduces the same bytes (new raw data,
the same prepared file), the later stage is a second producer of that node. The provenance of
a version registered before must not take it, nor the later raw data it read, as its inputs:
it shows what DVC's `dvc.lock` at the version's commit records, and names the later producer
as reproduced later, outside the version's provenance. Real git, DVC and GTO.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

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


def _gto(repo: GitRepo, *args: str) -> None:
    gto = Path(sys.executable).with_name("gto")
    if not gto.exists():
        pytest.skip("gto is not installed")
    repo.run(str(gto), *args)


def _raw_fixed_after_v1(repo: GitRepo) -> tuple[str, str]:
    """v1.0.0 registered at the first training; then the raw data's third column is fixed
    and the pipeline reproduced: prepared.csv (two columns) and model.pkl keep their bytes.
    (commit of v1.0.0, the later commit)."""
    repo.dvc("init", "-q")
    repo.commit("init")
    repo.write("teams/a/data/raw.csv", "id,amount,comment\n1,10,a\n2,20,b\n")
    repo.dvc("add", "-q", "teams/a/data/raw.csv")
    repo.write("teams/a/dvc.yaml", DVC_YAML)
    repo.dvc("repro", "-q", "teams/a/dvc.yaml")
    first = repo.commit("train v1")
    _gto(repo, "register", "teams/a:fraud", "--version", "v1.0.0")
    repo.tick += 1
    repo.write("teams/a/data/raw.csv", "id,amount,comment\n1,10,a\n2,20,CHANGED-LATER\n")
    repo.dvc("add", "-q", "teams/a/data/raw.csv")
    repo.dvc("repro", "-q", "teams/a/dvc.yaml")
    later = repo.commit("raw data fix (after v1.0.0)")
    api.init(repo.path)
    api.harvest(repo.path)
    return first, later


def _show(repo: GitRepo, ref: str, *args: str) -> Any:
    res = runner.invoke(app, ["show", ref, "-C", str(repo.path), *args],
                        env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout) if "--json" in args else res.stdout


def _locked_at(repo: GitRepo, sha: str) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """What DVC's lock at ``sha`` records: (path from the root, md5) of every dep and out,
    and each stage's command."""
    lock = yaml.safe_load(repo.git("show", f"{sha}:teams/a/dvc.lock"))
    files = {(f"teams/a/{e['path']}", f"md5:{e['md5']}") for st in lock["stages"].values()
             for e in (*st.get("deps", ()), *st.get("outs", ()))}
    return files, {name: st["cmd"] for name, st in lock["stages"].items()}


def _data(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(n["attrs"]["path"], n["attrs"]["hash"]) for n in doc["nodes"]
            if n["kind"] == "data"}


def test_an_older_version_shows_what_dvc_locked_at_its_commit(git_repo: GitRepo) -> None:
    first, later = _raw_fixed_after_v1(git_repo)
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json")
    files, _ = _locked_at(git_repo, first)
    assert _data(doc) == files  # not the raw data committed after the version
    stages = [n for n in doc["nodes"] if n["kind"] == "stage"]
    assert sorted(n["attrs"]["name"] for n in stages) == ["prepare", "train"]
    assert {n["attrs"]["commit"] for n in stages} == {first}
    assert f"commit:{later}" not in {n["id"] for n in doc["nodes"]}
    assert not [e for e in doc["edges"] if later in e["source"] or later in e["target"]]
    # the later stage that made the same prepared.csv is named, outside the provenance
    [aside] = doc["outside_history"]
    assert aside["relation"] == "later"
    assert aside["commits"] == [f"commit:{later}"]
    assert aside["data"].startswith("data:") and "teams/a/data/prepared.csv" in aside["data"]
    assert aside["producer"].startswith("stage:") and aside["producer"] not in {
        n["id"] for n in doc["nodes"]}


def test_the_tree_marks_the_later_reproduction_and_does_not_read_its_inputs(
        git_repo: GitRepo) -> None:
    first, later = _raw_fixed_after_v1(git_repo)
    out = _show(git_repo, "teams/a:fraud@v1.0.0")
    tree = out.split("\n\n", 1)[0]
    new_raw = {h for p, h in _locked_at(git_repo, later)[0] if p.endswith("raw.csv")}.pop()
    assert new_raw[:16] not in tree  # the raw data fixed after v1.0.0 is no input of it
    assert "raw data fix (after v1.0.0)" not in tree
    [line] = [ln for ln in tree.splitlines() if later[:12] in ln]
    assert "reproduced later ← stage teams/a/dvc.yaml:prepare" in line
    assert "not in this version's provenance" in line
    assert "pin:" not in line
    assert tree.count("(pin: strong)") == 2  # raw → prepare, prepared → train: both of v1.0.0


def test_a_version_registered_after_the_fix_has_the_fixed_data(git_repo: GitRepo) -> None:
    first, later = _raw_fixed_after_v1(git_repo)
    _gto(git_repo, "register", "teams/a:fraud", "--version", "v1.1.0")
    api.harvest(git_repo.path)
    doc = _show(git_repo, "teams/a:fraud@v1.1.0", "--json")
    assert _locked_at(git_repo, later)[0] <= _data(doc)
    assert "outside_history" not in doc
    # the first prepare made the same bytes before v1.1.0, in its history: shown too
    assert {n["attrs"]["commit"] for n in doc["nodes"] if n["kind"] == "stage"} == {
        first, later}


def test_a_run_that_made_the_same_model_after_registration_is_no_producer(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    first, later = _raw_fixed_after_v1(git_repo)
    monkeypatch.chdir(git_repo.path)
    res = runner.invoke(app, [
        "record", "run", "-C", str(git_repo.path), "--name", "retrain", "--run-id", "rt1",
        "--model", "teams/a:fraud=teams/a/model.pkl", "--input", "teams/a/data/prepared.csv",
        "--start", "2026-03-01T00:00:00Z", "--end", "2026-03-01T01:00:00Z", "--clean"])
    assert res.exit_code == 0, res.output
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json")
    assert "run:lineage:rt1" not in {n["id"] for n in doc["nodes"]}
    runs = [a for a in doc["outside_history"] if a["producer"] == "run:lineage:rt1"]
    assert [(a["relation"], a["commits"], a["start_time"]) for a in runs] == [
        ("later", [f"commit:{later}"], "2026-03-01T00:00:00Z")]
    assert "model.pkl" in runs[0]["data"]
    # --depth 3 stops at prepared.csv: its producers are not judged, nor named
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json", "--depth", "3")
    assert [a["producer"] for a in doc["outside_history"]] == ["run:lineage:rt1"]
    tree = _show(git_repo, "teams/a:fraud@v1.0.0").split("\n\n", 1)[0]
    [line] = [ln for ln in tree.splitlines() if "run:lineage:rt1" in ln or "lineage:rt1" in ln]
    assert "reproduced later ← run" in line and "not in this version's provenance" in line


def test_a_run_without_a_commit_is_judged_by_its_start(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that names no harvested commit: it started after the version was registered,
    so it did not make the bytes the version was registered with."""
    first, later = _raw_fixed_after_v1(git_repo)
    # gto dates its tag by the clock: the run starts an hour after it
    start = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.chdir(git_repo.path)
    res = runner.invoke(app, [
        "record", "run", "-C", str(git_repo.path), "--name", "retrain", "--run-id", "rt2",
        "--commit", "f" * 40, "--model", "teams/a:fraud=teams/a/model.pkl",
        "--start", start, "--end", end, "--clean"])
    assert res.exit_code == 0, res.output
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json")
    assert "run:lineage:rt2" not in {n["id"] for n in doc["nodes"]}
    [aside] = [a for a in doc["outside_history"] if a["producer"] == "run:lineage:rt2"]
    assert (aside["relation"], aside["start_time"], aside["commits"]) == (
        "started_later", start, [])
    tree = _show(git_repo, "teams/a:fraud@v1.0.0").split("\n\n", 1)[0]
    [line] = [ln for ln in tree.splitlines() if "lineage:rt2" in ln]
    assert "reproduced later ← run lineage:rt2" in line
    assert f"(started {start}, after " in line

    # a run that started before the registration, at no known commit: a producer
    res = runner.invoke(app, [
        "record", "run", "-C", str(git_repo.path), "--name", "train", "--run-id", "rt0",
        "--commit", "e" * 40, "--model", "teams/a:fraud=teams/a/model.pkl",
        "--start", "2026-01-01T01:30:00Z", "--end", "2026-01-01T01:45:00Z", "--clean"])
    assert res.exit_code == 0, res.output
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json")
    assert "run:lineage:rt0" in {n["id"] for n in doc["nodes"]}


def test_a_data_path_at_the_checkout_shows_the_stage_that_made_it_there(
        git_repo: GitRepo) -> None:
    """``lineage show PATH`` names the version the checkout's DVC files name: the stage its
    dvc.lock records made it (and, in the history before, the first one did too)."""
    first, later = _raw_fixed_after_v1(git_repo)
    doc = _show(git_repo, "teams/a/data/prepared.csv", "--json")
    assert {n["attrs"]["commit"] for n in doc["nodes"] if n["kind"] == "stage"} == {
        first, later}
    assert "outside_history" not in doc
    # as of a time before the fix, the later stage is no producer of it yet
    doc = _show(git_repo, "teams/a/data/prepared.csv", "--json", "--as-of",
                "2026-01-01T03:00:00Z")
    assert {n["attrs"]["commit"] for n in doc["nodes"] if n["kind"] == "stage"} == {first}
    assert [a["commits"] for a in doc["outside_history"]] == [[f"commit:{later}"]]


def test_the_same_bytes_made_on_another_branch_are_not_the_versions(
        git_repo: GitRepo) -> None:
    """A branch from before the version reproduces prepared.csv from other raw data: that
    stage is neither the version's history nor after it."""
    first, later = _raw_fixed_after_v1(git_repo)
    root = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    git_repo.git("checkout", "-q", "-b", "exp", root)
    git_repo.write("teams/a/data/raw.csv", "id,amount,comment\n1,10,a\n2,20,ON-A-BRANCH\n")
    git_repo.dvc("add", "-q", "teams/a/data/raw.csv")
    git_repo.write("teams/a/dvc.yaml", DVC_YAML)
    git_repo.dvc("repro", "-q", "teams/a/dvc.yaml")
    branch = git_repo.commit("the same pipeline on a branch")
    git_repo.git("checkout", "-q", "main")
    api.harvest(git_repo.path)
    doc = _show(git_repo, "teams/a:fraud@v1.0.0", "--json")
    assert _data(doc) == _locked_at(git_repo, first)[0]
    aside = {a["commits"][0]: a["relation"] for a in doc["outside_history"]}
    assert aside == {f"commit:{later}": "later", f"commit:{branch}": "elsewhere"}
    tree = _show(git_repo, "teams/a:fraud@v1.0.0").split("\n\n", 1)[0]
    [line] = [ln for ln in tree.splitlines() if "produced elsewhere" in ln]
    assert f"(made at commit {branch[:12]}, not in the history of {first[:12]}: not in " \
           "this version's provenance)" in line


def test_export_keeps_the_whole_graph(git_repo: GitRepo, tmp_path: Path) -> None:
    first, later = _raw_fixed_after_v1(git_repo)
    out = tmp_path / "graph.json"
    res = runner.invoke(app, ["export", "-C", str(git_repo.path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    stages = [n for n in doc["nodes"] if n["kind"] == "stage"]
    assert sorted(n["attrs"]["commit"] for n in stages if n["attrs"]["name"] == "prepare") \
        == sorted([first, later])
    assert len([e for e in doc["edges"] if e["kind"] == "output"
                and "prepared.csv" in e["target"]]) == 2


def test_the_skew_a_run_start_is_allowed_is_the_audits() -> None:
    from lineage.audit.rules import RUN_START_SKEW
    from lineage.graph import RUN_START_SKEW as GRAPH_SKEW

    assert GRAPH_SKEW == RUN_START_SKEW
