"""Runs at a commit where DVC no longer tracks the path they read (``dvc remove`` of a stage
or out), on real git + DVC repositories: the commit's valid ``dvc.lock`` lists no entry for
the path, so the run is not pinned to the version an ancestor recorded. A lock git holds
but no parser can read says nothing either way: the ancestor's version still answers."""

from __future__ import annotations

import json
import sys

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000e1"
RID = f"run:openlineage:{RUN}"

DVC_YAML = """\
stages:
  prepare:
    cmd: {py} prep.py
    deps:
    - prep.py
    outs:
    - data/prep.csv
  other:
    cmd: {py} other.py
    deps:
    - other.py
    outs:
    - other.txt
"""


def _pipeline(r: GitRepo) -> str:
    """Both stages reproduced and committed (c1)."""
    r.dvc("init", "-q")
    r.write("prep.py", "import os\nos.makedirs('data', exist_ok=True)\n"
            "open('data/prep.csv', 'w').write('p,1\\n')\n")
    r.write("other.py", "open('other.txt', 'w').write('o\\n')\n")
    r.write("dvc.yaml", DVC_YAML.format(py=sys.executable))
    r.dvc("repro", "-q")
    assert "data/prep.csv" in (r.path / "dvc.lock").read_text()
    return r.commit("pipeline")


def _runs_at(r: GitRepo, *shas: str) -> None:
    """One OpenLineage run reading data/prep.csv per commit (the first is ``RUN``)."""
    events = [{"eventType": "COMPLETE", "eventTime": "2026-01-05T10:05:00Z",
               "producer": "https://example.com/ci", "run": {"runId": f"{RUN[:-2]}e{i}"},
               "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                   "type": "git", "url": "https://example.com/repo", "version": sha}}},
               "inputs": [{"namespace": "file", "name": str(r.path / "data/prep.csv")}]}
              for i, sha in enumerate(shas, 1)]
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))


def _strong(r: GitRepo, rid: str = RID) -> list[str]:
    graph = api.open_store(r.path).load_graph()
    return [graph.attrs(e.source)["path"] for e in graph.in_edges(rid, EdgeKind.INPUT)
            if e.attrs.get("pin") == "strong"]


def test_a_run_after_dvc_remove_of_the_stage_is_not_pinned(git_repo: GitRepo) -> None:
    r = git_repo
    c1 = _pipeline(r)
    r.dvc("remove", "prepare")  # dvc.yaml and dvc.lock keep the other stage
    lock = (r.path / "dvc.lock").read_text()
    assert "other.txt" in lock and "data/prep.csv" not in lock
    c2 = r.commit("prepare removed")
    _runs_at(r, c2, c1)
    api.init(r.path)
    res = api.harvest(r.path)
    assert _strong(r) == []
    assert res.report.warnings == []
    # a run at the commit that still records it is pinned
    assert _strong(r, RID[:-1] + "2") == ["data/prep.csv"]


def test_a_run_at_a_commit_whose_lock_is_corrupt_is_not_pinned_to_an_ancestors_version(
        git_repo: GitRepo) -> None:
    # DVC refuses the lock at that commit: what an ancestor recorded is no answer (at a merge
    # it would be one parent's version), so the input stays unpinned, with why and the fix
    r = git_repo
    _pipeline(r)
    r.write("dvc.lock", (r.path / "dvc.lock").read_text() + "  broken: [\n")
    c2 = r.commit("corrupt lock")
    _runs_at(r, c2)
    api.init(r.path)
    res = api.harvest(r.path)
    assert _strong(r) == []
    said = [w.message for w in res.report.warnings if "no parser can read" in w.message]
    assert said and "data/prep.csv" in said[0] and "dvc.lock" in said[0], res.report.warnings


def test_a_path_a_dvc_file_named_otherwise_records_is_still_pinned(git_repo: GitRepo) -> None:
    """``data/prep.csv`` tracked by ``tracked.dvc`` (not ``data/prep.csv.dvc``) next to a
    valid dvc.lock that does not list it: the lock saying nothing is no removal."""
    r = git_repo
    md5 = "ab" * 16
    r.write("tracked.dvc", f"outs:\n- md5: {md5}\n  size: 4\n  hash: md5\n"
            "  path: data/prep.csv\n")
    r.write("dvc.yaml", "stages:\n  other:\n    cmd: make\n    outs: [other.txt]\n")
    r.write("dvc.lock", "schema: '2.0'\nstages:\n  other:\n    cmd: make\n    outs:\n"
            f"    - path: other.txt\n      hash: md5\n      md5: {'cd' * 16}\n      size: 2\n")
    r.commit("data")
    r.write("code.py", "x = 1\n")
    c2 = r.commit("code")
    _runs_at(r, c2)
    api.init(r.path)
    assert api.harvest(r.path).report.warnings == []
    assert _strong(r) == ["data/prep.csv"]


def test_a_run_after_dvc_remove_of_a_dvc_file_next_to_a_pipeline_is_not_pinned(
        git_repo: GitRepo) -> None:
    """``dvc remove data/prep.csv.dvc`` in a repository whose dvc.lock (another pipeline)
    stays: the lock does not list the path, so nothing records it at that commit."""
    r = git_repo
    _pipeline(r)
    r.dvc("remove", "prepare")
    r.write("data/prep.csv", "p,2\n")
    r.dvc("add", "-q", "data/prep.csv")
    c2 = r.commit("prep tracked by dvc add")
    r.dvc("remove", "data/prep.csv.dvc")
    r.git("add", "-f", "data/prep.csv")
    c3 = r.commit("prep kept in git")
    assert (r.path / "dvc.lock").exists()
    _runs_at(r, c3, c2)
    api.init(r.path)
    assert api.harvest(r.path).report.warnings == []
    assert _strong(r) == []
    assert _strong(r, RID[:-1] + "2") == ["data/prep.csv"]
