"""The identity joins and DVC experiments, on a real git + DVC repository: an experiment's
inputs are what its own ``dvc.lock`` records. Its run's commit is its baseline, so a join "at
the run's commit" would pin an input the lock records without a hash to the version the
baseline records, which the experiment did not read; and an input the lock pins by its hash
keeps that hash, whatever the baseline recorded."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo, pinned_env

DVC = str(Path(sys.executable).with_name("dvc"))
pytestmark = pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed")

# trains on data.csv when the checkout has it, as a script guarding a missing file does
TRAIN = """\
import os, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
rows = open("data.csv").read() if os.path.exists("data.csv") else "(no data)"
open("model.pkl", "w").write(f"{p}: {rows}")
"""
DVC_YAML = """\
stages:
  train:
    cmd: {python} train.py
    deps: [train.py, data.csv]
    params: [train]
    outs:
      - model.pkl:
          cache: false
"""
DATA, NEW_DATA = "age,churned\n31,0\n45,1\n", "age,churned\n31,0\n45,1\n52,1\n"


def _fresh_checkout(repo: GitRepo) -> None:
    """The baseline as a new clone has it: no DVC data pulled, an empty cache."""
    repo.git("reset", "-q", "--hard")
    repo.git("clean", "-qfdx", "-e", ".dvc")
    shutil.rmtree(repo.path / ".dvc" / "cache", ignore_errors=True)


@pytest.fixture(scope="session")
def exp_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """data.csv tracked with `dvc add` at the baseline, and two experiments of it:
    ``no-data``, run in a checkout without the data (`dvc exp run --allow-missing`): its
    dvc.lock records data.csv with no hash; ``new-data``, run on data changed and added
    since: its dvc.lock records the new version."""
    with pinned_env():
        repo = GitRepo(tmp_path_factory.mktemp("joinsexp") / "repo")
        repo.dvc("init", "-q")
        repo.write("params.yaml", "train:\n  lr: 0.1\n")
        repo.write("train.py", TRAIN)
        repo.write("data.csv", DATA)
        repo.dvc("add", "-q", "data.csv")
        repo.write("dvc.yaml", DVC_YAML.format(python=sys.executable))
        baseline = repo.commit("baseline")
        _fresh_checkout(repo)
        assert not (repo.path / "data.csv").exists()
        repo.dvc("exp", "run", "-q", "--allow-missing", "-f", "-s", "-n", "no-data",
             "-S", "train.lr=0.2", "train")
        _fresh_checkout(repo)
        repo.write("data.csv", NEW_DATA)
        repo.dvc("add", "-q", "data.csv")
        repo.dvc("exp", "run", "-q", "-n", "new-data", "-S", "train.lr=0.3")
        _fresh_checkout(repo)
    return {"path": str(repo.path), "baseline": baseline}


@pytest.fixture
def exp_repo(exp_template: dict[str, str], tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """A copy of the template, with a store, and its experiments' commits by name."""
    dst = tmp_path / "repo"
    shutil.copytree(exp_template["path"], dst, symlinks=True)
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = dst, 10
    api.init(dst)
    exps = {}
    for line in repo.git("for-each-ref", "--format=%(objectname) %(refname)",
                         "refs/exps").splitlines():
        sha, ref = line.split()
        if "/exec/" not in ref:
            exps[ref.rsplit("/", 1)[1]] = sha
    assert set(exps) == {"no-data", "new-data"}
    return repo, {**exps, "baseline": exp_template["baseline"]}


def _md5(data: str) -> str:
    import hashlib

    return "md5:" + hashlib.md5(data.encode(), usedforsecurity=False).hexdigest()


def _lock_entry(repo: GitRepo, sha: str, path: str) -> dict[str, Any]:
    lock = yaml.safe_load(repo.git("show", f"{sha}:dvc.lock"))
    (entry,) = [d for d in lock["stages"]["train"]["deps"] if d["path"] == path]
    return dict(entry)


def _inputs(repo: GitRepo, rid: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    """What `lineage show <run> --json` says the run read at ``path``: (data id, edge attrs)."""
    res = CliRunner().invoke(app, ["show", rid, "--json", "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    return sorted((e["source"], e["attrs"]) for e in shown["edges"]
                  if e["kind"] == "input" and e["target"] == rid
                  and e["attrs"].get("path") == path)


def _data_findings(repo: GitRepo, rid: str) -> list[dict[str, Any]]:
    res = CliRunner().invoke(app, ["audit", "-C", str(repo.path), "--format", "json"])
    return [f for f in json.loads(res.stdout)["findings"]
            if f["rule"] == "run-data-pinned" and f["subject"] == rid]


def test_an_experiment_run_without_the_data_is_not_pinned_to_the_baselines_version(
        exp_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """A clone without the data pulled runs an experiment with `--allow-missing`: DVC writes
    data.csv into its dvc.lock with no hash, and the model says it trained on no data. The
    baseline's data.csv.dvc records a version, and the run's commit is that baseline: the
    audit trail must not say the experiment read that version. It read data no hash pins, and
    `lineage audit` says so."""
    repo, shas = exp_repo
    exp = shas["no-data"]
    assert repo.git("show", f"{exp}:model.pkl").endswith("(no data)")
    assert "md5" not in _lock_entry(repo, exp, "data.csv")
    assert yaml.safe_load(repo.git("show", f"{shas['baseline']}:data.csv.dvc"))["outs"][0][
        "md5"] == _md5(DATA).removeprefix("md5:")
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    rid = f"run:dvc-exp:{exp}"
    store = api.open_store(repo.path)
    run = store.get_node(rid)
    store.close()
    assert run is not None and run.attrs["commit"] == shas["baseline"]  # the run's commit
    (did, attrs), = _inputs(repo, rid, "data.csv")
    assert did.endswith(":data.csv@unversioned") and attrs == {"pin": "none",
                                                               "path": "data.csv"}
    (found,) = _data_findings(repo, rid)
    assert did in found["evidence"] and "pinned none" in found["message"], found
    # the way DVC pins it: pull the data, run the experiment again
    assert found["remediation"].startswith("fetch the data the experiment's stages read "
                                           "(dvc pull) and run the experiment again"), found


def test_an_experiment_on_changed_data_keeps_the_version_its_lock_records(
        exp_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """An experiment run on data changed and added since the baseline: its dvc.lock pins the
    new version, and that is the only version of data.csv the run read; the version its
    baseline recorded is not joined to it besides."""
    repo, shas = exp_repo
    exp = shas["new-data"]
    assert _lock_entry(repo, exp, "data.csv")["md5"] == _md5(NEW_DATA).removeprefix("md5:")
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    rid = f"run:dvc-exp:{exp}"
    (did, attrs), = _inputs(repo, rid, "data.csv")
    assert did.endswith(f":data.csv@{_md5(NEW_DATA)}")
    assert attrs == {"pin": "strong", "digest": _md5(NEW_DATA), "path": "data.csv"}
    assert _data_findings(repo, rid) == []


def test_a_store_joined_before_loses_the_pin_to_the_baselines_version(
        exp_repo: tuple[GitRepo, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose joins pinned the experiment's unhashed input to the baseline's version:
    the first harvest after the upgrade withdraws that pin although nothing else changed,
    the log still verifies, and the harvest after writes nothing."""
    from connectors.harvesters import joins

    repo, shas = exp_repo
    rid = f"run:dvc-exp:{shas['no-data']}"
    with monkeypatch.context() as m:  # the earlier rules: experiments joined as any run
        m.setattr(joins, "_LOCK_RUNS", ())
        m.setattr(joins, "RULES_VERSION", "1")
        api.harvest(repo.path)
    before = _inputs(repo, rid, "data.csv")
    assert [(d.rsplit("@", 1)[1], a["pin"]) for d, a in before] == [
        (_md5(DATA), "strong"), ("unversioned", "none")]
    assert _data_findings(repo, rid) == []
    res = api.harvest(repo.path)
    assert [(h.name, h.stats.total, h.stats.edges_withdrawn) for h in res.harvesters
            if h.stats.total] == [("joins", 1, {"input": 1})]
    (did, attrs), = _inputs(repo, rid, "data.csv")
    assert did.endswith(":data.csv@unversioned") and attrs["pin"] == "none"
    assert len(_data_findings(repo, rid)) == 1
    store = api.open_store(repo.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path).new_events == 0
