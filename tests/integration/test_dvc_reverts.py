"""A data version that comes back (a reverted data change) on real git + DVC repositories.

The same path with the same hash is one data node (its id), first defined where it first
appears; a commit that brings it back after another version of the path defines it too, so
``lineage show PATH --as-of`` and provenance see the revert. Commits that do not change the
entry add no fact.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

runner = CliRunner()
A, B = "a" * 32, "b" * 32


def _dvc_add(r: GitRepo, path: str, content: str) -> str:
    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    r.write(path, content)
    subprocess.run([dvc, "add", "-q", path], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    return "md5:" + yaml.safe_load((r.path / f"{path}.dvc").read_text())["outs"][0]["md5"]


def _dvc_init(r: GitRepo) -> None:
    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    subprocess.run([dvc, "init", "-q"], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    r.commit("dvc init")


def _show(r: GitRepo, ref: str, *args: str) -> str:
    res = runner.invoke(app, ["show", ref, "--repo", str(r.path), "--json", *args])
    assert res.exit_code == 0, res.output
    return str(json.loads(res.stdout)["node"])


def _defined_by(r: GitRepo, node: str) -> set[str]:
    graph = api.open_store(r.path).load_graph()
    return {c.removeprefix("commit:") for c in graph.predecessors(node, EdgeKind.DEFINES)}


def test_show_as_of_after_a_revert_is_the_version_brought_back(git_repo: GitRepo) -> None:
    r = git_repo
    _dvc_init(r)  # 01:00Z
    a = _dvc_add(r, "data/x.csv", "A\n")
    c1 = r.commit("data A")  # 02:00Z
    b = _dvc_add(r, "data/x.csv", "B\n")
    c2 = r.commit("data B")  # 03:00Z
    assert _dvc_add(r, "data/x.csv", "A\n") == a != b
    c3 = r.commit("data A again")  # 04:00Z
    api.init(r.path)
    assert api.harvest(r.path).report.warnings == []
    node_a = _show(r, "data/x.csv", "--as-of", "2026-01-01T04:30:00Z")
    assert node_a.endswith(f"@{a}")
    assert _show(r, "data/x.csv", "--as-of", "2026-01-01T03:30:00Z").endswith(f"@{b}")
    assert _show(r, "data/x.csv", "--as-of", "2026-01-01T02:30:00Z").endswith(f"@{a}")
    assert _show(r, "data/x.csv").endswith(f"@{a}")
    # provenance: the version is defined where it first appears and where it came back
    assert _defined_by(r, node_a) == {c1, c3}
    assert _defined_by(r, node_a.replace(a, b)) == {c2}
    graph = api.open_store(r.path).load_graph()
    assert graph.attrs(node_a)["first_commit"] == c1  # unchanged: where it first appears


def test_a_revert_harvested_later_is_linked_too(git_repo: GitRepo) -> None:
    r = git_repo
    _dvc_init(r)
    a = _dvc_add(r, "data/x.csv", "A\n")
    r.commit("data A")
    _dvc_add(r, "data/x.csv", "B\n")
    r.commit("data B")
    api.init(r.path)
    api.harvest(r.path)
    _dvc_add(r, "data/x.csv", "A\n")
    c3 = r.commit("data A again")
    assert api.harvest(r.path).report.warnings == []
    node = _show(r, "data/x.csv", "--as-of", "2026-01-02")
    assert node.endswith(f"@{a}") and c3 in _defined_by(r, node)
    # and harvesting again writes nothing
    before = api.open_store(r.path).head()
    api.harvest(r.path)
    assert api.open_store(r.path).head() == before


def _lock(md5: str, other: str) -> str:
    return (f"schema: '2.0'\nstages:\n  prep:\n    cmd: prep\n    deps:\n"
            f"    - path: raw.csv\n      hash: md5\n      md5: {other}\n      size: 3\n"
            f"    outs:\n    - path: data/out.csv\n      hash: md5\n      md5: {md5}\n"
            "      size: 3\n")


def test_a_pipeline_output_brought_back_by_a_lock_change(git_repo: GitRepo) -> None:
    """A stage output reverted in dvc.lock; a later commit that changes another entry of the
    lock (the output unchanged) adds nothing."""
    r = git_repo
    r.write("dvc.yaml", "stages:\n  prep:\n    cmd: prep\n    deps: [raw.csv]\n"
            "    outs: [data/out.csv]\n")
    r.write("dvc.lock", _lock(A, "c" * 32))
    c1 = r.commit("A")
    r.write("dvc.lock", _lock(B, "d" * 32))
    c2 = r.commit("B")
    r.write("dvc.lock", _lock(A, "e" * 32))
    c3 = r.commit("A again")
    r.write("dvc.lock", _lock(A, "f" * 32))
    r.commit("input changed, output the same")
    api.init(r.path)
    assert api.harvest(r.path).report.warnings == []
    node = _show(r, "data/out.csv", "--as-of", "2026-01-01T03:30:00Z")
    assert node.endswith(f"@md5:{A}")
    assert _defined_by(r, node) == {c1, c3}
    assert _defined_by(r, node.replace(A, B)) == {c2}


def test_a_merge_taking_the_other_branchs_version_adds_no_fact(git_repo: GitRepo) -> None:
    r = git_repo
    r.write("x.csv.dvc", f"outs:\n- md5: {A}\n  size: 3\n  path: x.csv\n")
    c1 = r.commit("A")
    r.git("checkout", "-q", "-b", "feature")
    r.write("x.csv.dvc", f"outs:\n- md5: {B}\n  size: 3\n  path: x.csv\n")
    c2 = r.commit("B on a branch")
    r.git("checkout", "-q", "main")
    r.write("code.py", "x = 1\n")
    r.commit("code")
    r.tick += 1
    r.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    api.init(r.path)
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    nodes = sorted(n.id for n in graph.nodes() if str(n.kind) == "data")
    assert [n.rsplit("@", 1)[1] for n in nodes] == [f"md5:{A}", f"md5:{B}"]
    assert _defined_by(r, nodes[0]) == {c1}
    assert _defined_by(r, nodes[1]) == {c2}
