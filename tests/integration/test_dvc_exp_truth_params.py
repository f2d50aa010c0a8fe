"""A DVC experiment's params and metrics are the values DVC itself reads: YAML 1.2 (DVC's
ruamel.yaml), so ``1e-4`` is a number and ``on`` a word, as `dvc exp show` and the
experiment's own ``dvc.lock`` give them, and as the DVC harvester gives the stage of the
same commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.harvesters import dvc_exp
from lineage import api
from tests.conftest import GitRepo

DVC = Path(sys.executable).with_name("dvc")
pytestmark = pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed")

TRAIN = """\
open("out.txt", "w").write(open("params.yaml").read())
open("scores.yaml", "w").write("loss: 1e-3\\nok: yes\\n")
"""
DVC_YAML = """\
params:
  - extra.yaml
  - cfg.json
  - cfg.toml
stages:
  train:
    cmd: {python} train.py
    deps: [train.py]
    params: [lr, decay, flag]
    outs: [out.txt]
    metrics:
      - scores.yaml:
          cache: false
"""


def _repo(tmp_path: Path) -> tuple[GitRepo, str]:
    repo = GitRepo(tmp_path / "repo")
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\ndecay: 1e-4\nflag: on\n")
    repo.write("extra.yaml", "gate: off\nrate: 5e-3\nwhen: 0o17\n")
    repo.write("cfg.json", '{"eps": 1e-4, "on": true}\n')
    repo.write("cfg.toml", "tol = 1e-4\nname = \"on\"\n")
    repo.write("train.py", TRAIN)
    repo.write("dvc.yaml", DVC_YAML.format(python=sys.executable))
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "y1", "-S", "lr=0.2")
    sha = repo.git("for-each-ref", "--format=%(objectname)", "refs/exps/*/*/y1")
    api.init(repo.path)
    return repo, sha


def _dvc_exp_show(repo: GitRepo, sha: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, metrics) of experiment ``sha`` as `dvc exp show --json` gives them, keyed as
    lineage keys them (params.yaml's bare, another file's ``<path>:<key>``)."""
    for baseline in json.loads(repo.dvc("exp", "show", "--json")):
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                if rev["rev"] != sha:
                    continue
                data = rev["data"]
                params = {(k if path == "params.yaml" else f"{path}:{k}"): v
                          for path, d in data["params"].items()
                          for k, v in dvc_exp.flatten(d["data"]).items()}
                metrics = {k: v for d in data["metrics"].values()
                           for k, v in dvc_exp.flatten(d["data"]).items()}
                return params, metrics
    raise AssertionError(f"dvc exp show does not list {sha}")


def test_experiment_params_are_read_as_dvc_reads_them(tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path)
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    run = graph.attrs(f"run:dvc-exp:{sha}")
    params, metrics = _dvc_exp_show(repo, sha)
    assert params["decay"] == 0.0001 and params["flag"] == "on"  # (what DVC says)
    assert run["params"] == params
    assert run["params"]["decay"] == 0.0001 and run["params"]["flag"] == "on"
    assert run["params"]["extra.yaml:gate"] == "off"
    assert run["params"]["extra.yaml:rate"] == 0.005
    assert run["params"]["extra.yaml:when"] == 15
    # the metrics DVC reads as numbers (``ok: yes`` is a word to DVC: no metric)
    assert run["metrics"] == {k: v for k, v in metrics.items() if not isinstance(v, str)}
    assert run["metrics"] == {"loss": 0.001}
    # the experiment's own dvc.lock, and the DVC harvester's stage of the same commit
    from ruamel.yaml import YAML  # (DVC's own parser: installed with it)

    lock = YAML(typ="safe").load(repo.git("show", f"{sha}:dvc.lock"))  # (as DVC reads it)
    [stage] = [graph.attrs(n) for n in graph.node_ids() if n.startswith("stage:")
               and graph.attrs(n).get("commit") == sha]
    assert stage["params"]["params.yaml"] == lock["stages"]["train"]["params"]["params.yaml"]
    assert stage["params"]["params.yaml"] == {
        k: run["params"][k] for k in ("lr", "decay", "flag")}


def test_a_store_harvested_before_gets_the_params_dvc_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier version read params with PyYAML (YAML 1.1): ``decay`` the text ``1e-4``,
    ``flag`` true. After the upgrade every experiment is read once more and its params are
    DVC's; the log still verifies."""
    repo, sha = _repo(tmp_path)

    def as_before(data: bytes | None, path: str) -> Any:
        if data is None or path.endswith(".py"):
            return None
        if path.endswith(".json"):
            return json.loads(data)
        if path.endswith(".toml"):
            import tomllib
            return tomllib.loads(data.decode())
        return yaml.safe_load(data)

    with monkeypatch.context() as m:
        m.setattr(dvc_exp, "_load", as_before)
        m.setattr(dvc_exp, "READER_VERSION", "12")
        api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    before = store.get_node(f"run:dvc-exp:{sha}")
    assert before is not None and before.attrs["params"]["decay"] == "1e-4"
    assert before.attrs["params"]["flag"] is True
    store.close()
    api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    after = store.get_node(f"run:dvc-exp:{sha}")
    assert after is not None
    assert after.attrs["params"]["decay"] == 0.0001 and after.attrs["params"]["flag"] == "on"
    assert after.attrs["metrics"] == {"loss": 0.001}
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path, only=["dvc-exp"]).new_events == 0


def test_params_files_are_read_by_their_suffix_as_dvc_reads_them(tmp_path: Path) -> None:
    """DVC picks a params file's reader by its suffix in any case (``CFG.JSON`` is JSON) and
    reads any other suffix as YAML."""
    repo = GitRepo(tmp_path / "repo")
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("CFG.JSON", '{"eps": 0.5}\n')
    repo.write("knobs.cfg", "depth: 017\nmode: off\n")
    repo.write("train.py", 'open("out.txt", "w").write("x")\n')
    repo.write("dvc.yaml", "params: [CFG.JSON, knobs.cfg]\nstages:\n  train:\n"
               f"    cmd: {sys.executable} train.py\n    deps: [train.py]\n"
               "    params: [lr]\n    outs: [out.txt]\n")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "y2", "-S", "lr=0.3")
    sha = repo.git("for-each-ref", "--format=%(objectname)", "refs/exps/*/*/y2")
    api.init(repo.path)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    run = api.open_store(repo.path).load_graph().attrs(f"run:dvc-exp:{sha}")
    params, _ = _dvc_exp_show(repo, sha)
    assert run["params"] == params
    assert run["params"]["CFG.JSON:eps"] == 0.5
    assert run["params"]["knobs.cfg:mode"] == "off"

