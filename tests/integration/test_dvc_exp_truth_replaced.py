"""An experiment run again under its name (`dvc exp run -f -n e1`) replaces the one before:
DVC keeps one experiment ``e1`` of that baseline, and `dvc exp show` knows only the new one.
The run of the replaced one stays in the lineage (it ran), marked replaced, so `lineage show`
and the audit do not count it as a live run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

DVC = Path(sys.executable).with_name("dvc")
pytestmark = pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed")


def _ref_sha(repo: GitRepo, name: str) -> str:
    return repo.git("for-each-ref", "--format=%(objectname)", f"refs/exps/*/*/{name}")


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("train.py", 'open("out.txt", "w").write(open("params.yaml").read())\n')
    repo.write("dvc.yaml", f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
               "    deps: [train.py]\n    params: [lr]\n    outs: [out.txt]\n")
    repo.commit("baseline")
    return repo


def _shown(repo: GitRepo) -> set[str]:
    """The experiment commits `dvc exp show` knows."""
    return {rev["rev"] for b in json.loads(repo.dvc("exp", "show", "--json"))
            for exp in b.get("experiments") or [] for rev in exp["revs"]}


def test_an_overwritten_experiment_is_marked_replaced(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    # the first e1 ran on a changed train.py (a dirty tree): the audit would flag it
    repo.write("train.py", 'open("out.txt", "w").write("changed " + open("params.yaml")'
               '.read())\n')
    repo.dvc("exp", "run", "-q", "-n", "e1", "-S", "lr=0.2")
    first = _ref_sha(repo, "e1")
    api.init(repo.path)
    api.harvest(repo.path)
    repo.git("checkout", "-q", "--", "train.py")
    repo.dvc("exp", "run", "-q", "-f", "-n", "e1", "-S", "lr=0.3")
    second = _ref_sha(repo, "e1")
    assert first != second and _shown(repo) == {second}  # DVC knows the new one only
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    old = store.get_node(f"run:dvc-exp:{first}")
    new = store.get_node(f"run:dvc-exp:{second}")
    assert old is not None and new is not None
    assert old.attrs["properties"]["exp_ref"] == new.attrs["properties"]["exp_ref"]
    assert old.attrs["properties"]["lifecycle_stage"] == "deleted"
    assert old.attrs["properties"]["replaced_by"] == new.id
    assert old.attrs["dirty"] is True and old.attrs["params"] == {"lr": 0.2}  # (kept)
    assert "lifecycle_stage" not in new.attrs["properties"]
    assert "replaced_by" not in new.attrs["properties"]
    assert store.verify().ok
    store.close()
    # `lineage show` says so; the live one is not marked
    runner = CliRunner()
    shown = runner.invoke(app, ["show", old.id, "-C", str(repo.path)], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert f"success (replaced by dvc-exp:{second})" in shown.output, shown.output
    assert "(deleted)" not in shown.output
    live = runner.invoke(app, ["show", new.id, "-C", str(repo.path)], env={"COLUMNS": "250"})
    assert "(deleted)" not in live.output and "replaced by" not in live.output
    # the audit checks the live experiment, not the replaced one (it produced no version)
    audit = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json"])
    subjects = {f["subject"] for f in json.loads(audit.stdout)["findings"]}
    assert old.id not in subjects, subjects
    # nothing new: nothing written
    assert api.harvest(repo.path).new_events == 0


def test_a_store_harvested_before_gets_the_replaced_run_marked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store an earlier version harvested in between holds both runs of ``e1`` as live.
    After the upgrade every experiment is read once more and the replaced one is marked, as
    a store first harvested after the overwrite does not hold it at all."""
    from connectors.harvesters import dvc_exp

    repo = _repo(tmp_path)
    repo.dvc("exp", "run", "-q", "-n", "e1", "-S", "lr=0.2")
    first = _ref_sha(repo, "e1")
    api.init(repo.path)
    api.harvest(repo.path)
    repo.dvc("exp", "run", "-q", "-f", "-n", "e1", "-S", "lr=0.3")
    second = _ref_sha(repo, "e1")
    with monkeypatch.context() as m:  # the earlier reading: replaced experiments not marked
        m.setattr(dvc_exp.DvcExpHarvester, "_replaced", lambda *a: iter(()))
        m.setattr(dvc_exp, "READER_VERSION", "12")
        api.harvest(repo.path)
    store = api.open_store(repo.path)
    assert all("lifecycle_stage" not in n.attrs["properties"] for n in store.iter_nodes("run"))
    store.close()
    api.harvest(repo.path)
    store = api.open_store(repo.path)
    live = [n.id for n in store.iter_nodes("run")
            if n.attrs["properties"].get("lifecycle_stage") != "deleted"]
    assert live == [f"run:dvc-exp:{second}"]
    old = store.get_node(f"run:dvc-exp:{first}")
    assert old is not None and old.attrs["properties"]["replaced_by"] == live[0]
    assert store.verify().ok
    store.close()


def test_an_experiment_removed_stays_live(tmp_path: Path) -> None:
    """`dvc exp remove` replaces nothing: the run stays as it was (docs/runs.md)."""
    repo = _repo(tmp_path)
    repo.dvc("exp", "run", "-q", "-n", "e1", "-S", "lr=0.2")
    first = _ref_sha(repo, "e1")
    api.init(repo.path)
    api.harvest(repo.path)
    repo.dvc("exp", "remove", "e1")
    api.harvest(repo.path)
    store = api.open_store(repo.path)
    node = store.get_node(f"run:dvc-exp:{first}")
    assert node is not None and "lifecycle_stage" not in node.attrs["properties"]
    store.close()
