"""A DVC experiment's inputs and outputs are those of the stages its dvc.yaml defines: the
entry a renamed stage leaves in dvc.lock (`dvc repro` keeps it, DVC ignores it) is not what
the experiment read or wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lineage import api
from lineage.model import EdgeKind, NodeKind
from tests.conftest import GitRepo

DVC = Path(sys.executable).with_name("dvc")
pytestmark = pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed")

STAGE = """\
stages:
  {name}:
    cmd: cat {src} params.yaml > {out}
    deps: [{src}]
    params: [lr]
    outs: [{out}]
"""


def test_an_experiment_after_a_stage_rename_reads_only_the_stage_dvc_yaml_defines(
        tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("old_in.csv", "a\n1\n")
    repo.write("new_in.csv", "b\n2\n")
    repo.write("dvc.yaml", STAGE.format(name="prep", src="old_in.csv", out="old_out.txt"))
    repo.dvc("repro", "-q")
    repo.commit("prep")
    repo.write("dvc.yaml", STAGE.format(name="prep_v2", src="new_in.csv", out="new_out.txt"))
    repo.dvc("repro", "-q")
    repo.commit("renamed stage")
    lock = (repo.path / "dvc.lock").read_text()
    assert "  prep:" in lock and "  prep_v2:" in lock  # (what DVC leaves behind)
    repo.dvc("exp", "run", "-q", "-n", "e1", "-S", "lr=0.2")
    api.init(repo.path)
    api.harvest(repo.path)
    graph = api.open_store(repo.path).load_graph()
    [run] = [n.id for n in graph.nodes(NodeKind.RUN) if n.attrs.get("name") == "e1"]
    read = sorted(str(graph.node(e.source).attrs.get("path"))
                  for e in graph.in_edges(run, EdgeKind.INPUT))
    wrote = sorted(str(graph.node(e.target).attrs.get("path"))
                   for e in graph.out_edges(run, EdgeKind.OUTPUT))
    assert "old_in.csv" not in read and "new_in.csv" in read, read
    assert wrote == ["new_out.txt"], wrote
