"""DVC experiments harvester on a real repository with experiments made by `dvc exp run`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo, pinned_env

DVC = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
pytestmark = pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed")

TRAIN = """\
import json, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
json.dump({"auc": round(0.5 + p["lr"], 3), "eval": {"loss": 1.0 / p["epochs"]}},
          open("metrics.json", "w"))
open("model.pkl", "w").write(str(p))
"""

DVC_YAML = """\
stages:
  train:
    cmd: {python} train.py
    deps: [train.py, data.csv]
    params: [train]
    outs: [model.pkl]
    metrics:
      - metrics.json:
          cache: false
"""

NESTED_YAML = """\
stages:
  score:
    cmd: {python} score.py
    deps: [score.py]
    params: [depth]
    metrics:
      - scores.yaml:
          cache: false
"""
SCORE = """\
import yaml
depth = yaml.safe_load(open("params.yaml"))["depth"]
open("scores.yaml", "w").write(f"f1: {depth / 10}\\n")
"""


@pytest.fixture(scope="session")
def exp_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A repo with two experiments: one changing only a param, one also changing the code."""
    with pinned_env():
        repo = GitRepo(tmp_path_factory.mktemp("dvcexp") / "repo")
        repo.dvc("init", "-q")
        repo.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 2\n")
        repo.write("train.py", TRAIN)
        repo.write("data.csv", "age,churned\n31,0\n45,1\n")
        repo.write("dvc.yaml", DVC_YAML.format(python=sys.executable))
        # a second project in a folder, with its own dvc.yaml, params and YAML metrics
        repo.write("nested/params.yaml", "depth: 3\n")
        repo.write("nested/score.py", SCORE)
        repo.write("nested/dvc.yaml", NESTED_YAML.format(python=sys.executable))
        baseline = repo.commit("baseline")
        repo.dvc("exp", "run", "-q", "-S", "train.lr=0.2", "-n", "lr-02", "dvc.yaml",
             "nested/dvc.yaml")
        repo.write("train.py", TRAIN.replace("0.5 +", "0.4 +"))
        repo.dvc("exp", "run", "-q", "-S", "train.epochs=4", "-n", "new-code", "dvc.yaml",
             "nested/dvc.yaml")
        repo.git("checkout", "-q", "--", "train.py", "params.yaml")
    return {"path": repo.path, "baseline": baseline}


@pytest.fixture
def exp_repo(exp_template: dict[str, object], tmp_path: Path) -> tuple[GitRepo, str]:
    dst = tmp_path / "repo"
    shutil.copytree(exp_template["path"], dst, symlinks=True)  # type: ignore[arg-type]
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = dst, 10
    api.init(dst)
    return repo, str(exp_template["baseline"])


def _exp_commits(repo: GitRepo) -> dict[str, str]:
    out = {}
    for line in repo.git("for-each-ref", "--format=%(objectname) %(refname)",
                         "refs/exps").splitlines():
        sha, ref = line.split()
        if "/exec/" not in ref:
            out[ref.rsplit("/", 1)[1]] = sha
    return out


def test_experiments_are_runs(exp_repo: tuple[GitRepo, str]) -> None:
    repo, baseline = exp_repo
    exps = _exp_commits(repo)
    assert set(exps) == {"lr-02", "new-code"}
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    runs = {graph.attrs(n)["name"]: graph.attrs(n) for n in graph.node_ids()
            if n.startswith("run:dvc-exp:")}
    assert set(runs) == {"lr-02", "new-code"}
    lr = runs["lr-02"]
    assert lr["run_id"] == exps["lr-02"]
    assert lr["params"]["train.lr"] == 0.2 and lr["params"]["train.epochs"] == 2
    assert lr["metrics"] == {"auc": 0.7, "eval.loss": 0.5, "f1": 0.3}
    assert lr["params"]["nested/params.yaml:depth"] == 3
    assert lr["commit"] == baseline and lr["dirty"] is False
    assert lr["user"] == "Ada Author"
    new = runs["new-code"]
    # `dvc exp run` leaves the last experiment's params in the workspace: lr is still 0.2
    assert new["params"]["train.lr"] == 0.2 and new["params"]["train.epochs"] == 4
    assert new["metrics"] == {"auc": 0.6, "eval.loss": 0.25, "f1": 0.3}
    assert new["dirty"] is True and new["properties"]["changed_files"] == "train.py"
    rid = f"run:dvc-exp:{exps['lr-02']}"
    code = graph.in_edges(rid, EdgeKind.CODE)
    assert [(e.source, e.attrs) for e in code] == [
        (f"commit:{baseline}", {"baseline": True, "dirty": False})]
    # deps are strong pins on DVC's own hashes, outs are outputs
    lock = yaml.safe_load(repo.git("show", f"{exps['lr-02']}:dvc.lock"))
    dep_md5 = {d["path"]: d["md5"] for d in lock["stages"]["train"]["deps"]}
    inputs = {graph.attrs(e.source)["path"]: e.attrs for e in graph.in_edges(rid, EdgeKind.INPUT)}
    assert inputs["data.csv"]["pin"] == "strong"
    assert inputs["data.csv"]["digest"] == f"md5:{dep_md5['data.csv']}"
    outs = [graph.attrs(e.target)["path"] for e in graph.out_edges(rid, EdgeKind.OUTPUT)]
    assert sorted(outs) == ["metrics.json", "model.pkl", "nested/scores.yaml"]
    assert inputs["nested/score.py"]["pin"] == "strong"  # paths from the nested dvc.lock


def test_reharvest_reads_nothing_new(exp_repo: tuple[GitRepo, str]) -> None:
    repo, _ = exp_repo
    assert api.harvest(repo.path, only=["dvc-exp"]).new_events == 1
    again = api.harvest(repo.path, only=["dvc-exp"])
    assert again.new_events == 0 and again.harvesters[0].stats.total == 0
    # an experiment removed with `dvc exp remove` stays in the lineage (it happened)
    repo.git("update-ref", "-d", _ref(repo, "lr-02"))
    api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    assert len(list(store.iter_nodes("run"))) == 2
    store.close()


def _ref(repo: GitRepo, name: str) -> str:
    for line in repo.git("for-each-ref", "--format=%(refname)", "refs/exps").splitlines():
        if line.endswith("/" + name):
            return line
    raise AssertionError(name)


def test_not_enabled_without_experiments(git_repo: GitRepo) -> None:
    git_repo.commit("init")
    api.init(git_repo.path)
    assert api.harvest(git_repo.path, only=["dvc-exp"]).harvesters == []


PLOTS_TRAIN = """\
import json, os, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
os.makedirs("eval/plots", exist_ok=True)
json.dump({"auc": 0.5 + p["lr"]}, open("eval/metrics.json", "w"))
open("eval/plots/roc.csv", "w").write(f"fpr,tpr\\n0,{p['lr']}\\n")
open("model.pkl", "w").write(str(p))
"""

PLOTS_YAML = """\
stages:
  train:
    cmd: {python} train.py
    deps: [train.py, data.csv]
    params: [train]
    outs: [model.pkl]
    metrics:
      - eval/metrics.json:
          cache: false
    plots:
      - eval/plots:
          cache: false
"""


def test_files_in_an_output_folder_kept_in_git_do_not_make_the_experiment_dirty(
        git_repo: GitRepo) -> None:
    """A stage output folder kept in git (``cache: false`` plots) is rewritten by every
    experiment: DVC wrote it, the code is still the baseline's."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("train.py", PLOTS_TRAIN)
    repo.write("data.csv", "age,churned\n31,0\n")
    repo.write("dvc.yaml", PLOTS_YAML.format(python=sys.executable))
    repo.dvc("repro", "-q")
    baseline = repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "lr-03", "-S", "train.lr=0.3")
    exp = _exp_commits(repo)["lr-03"]
    assert "eval/plots/roc.csv" in repo.git("diff-tree", "-r", "--name-only", baseline, exp)
    api.init(repo.path)
    api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    node = store.get_node(f"run:dvc-exp:{exp}")
    store.close()
    assert node is not None
    run = node.attrs
    assert run["metrics"] == {"auc": 0.8}
    assert run["dirty"] is False and "changed_files" not in run.get("properties", {})


def test_an_experiment_changes_nothing_the_dvc_harvester_says_of_its_data(
        git_repo: GitRepo) -> None:
    """The experiment reads the same data versions the DVC harvester describes (a folder
    among them): it links them, and leaves their facts as they are (a folder stays a
    folder)."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("data/a.csv", "age,churned\n31,0\n")
    repo.write("data/b.csv", "age,churned\n45,1\n")
    repo.write("train.py", "import json, yaml\n"
               "lr = yaml.safe_load(open('params.yaml'))['train']['lr']\n"
               "json.dump({'auc': lr}, open('metrics.json', 'w'))\n")
    repo.write("dvc.yaml", "stages:\n  train:\n"
               f"    cmd: {sys.executable} train.py\n"
               "    deps: [data, train.py]\n    params: [train.lr]\n"
               "    metrics: [{metrics.json: {cache: false}}]\n")
    repo.dvc("repro", "-q")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "lr-03", "-S", "train.lr=0.3")
    api.init(repo.path)
    res = api.harvest(repo.path)
    exp = next(h for h in res.harvesters if h.name == "dvc-exp")
    assert "data" not in exp.stats.nodes_changed, exp.stats.nodes_changed
    store = api.open_store(repo.path)
    folder = next(n.attrs for n in store.iter_nodes("data") if n.attrs.get("path") == "data")
    store.close()
    assert folder["is_dir"] is True and folder["hash"].endswith(".dir")


DVCLIVE_YAML = """\
params:
- dvclive/params.yaml
metrics:
- dvclive/metrics.json
plots:
- dvclive/plots/metrics:
    x: step
"""


def _live_experiment(repo: GitRepo, name: str, lr: float, *extra: str) -> None:
    """What ``Live(save_dvc_exp=True)`` leaves: dvc.yaml with top-level params, metrics and
    plots (no stages, no dvc.lock), its files under dvclive/, saved with ``dvc exp save``."""
    repo.write("dvc.yaml", DVCLIVE_YAML)
    repo.write("dvclive/params.yaml", f"lr: {lr}\noptimizer:\n  name: adam\n")
    repo.write("dvclive/metrics.json", f'{{"step": 2, "acc": {0.5 + lr}}}\n')
    repo.write("dvclive/plots/metrics/acc.tsv", f"step\tacc\n0\t0.5\n2\t{0.5 + lr}\n")
    repo.dvc("exp", "save", "-q", "-n", name, "-I", "dvc.yaml", "-I", "dvclive", *extra)


def test_dvclive_experiment_has_its_params_and_is_not_dirty(git_repo: GitRepo) -> None:
    """DVCLive's experiments (``dvc exp save``): their params are the top-level ``params:``
    files of dvc.yaml, as ``dvc exp show`` lists them; the files DVC and DVCLive write
    (params, metrics, plots, dvc.yaml's top-level sections, .dvc/tmp) are no code change."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("train.py", "print('train')\n")
    baseline = repo.commit("baseline")
    _live_experiment(repo, "live-1", 0.1)
    repo.write("train.py", "print('train harder')\n")
    _live_experiment(repo, "live-2", 0.2, "-I", "train.py")
    exps = _exp_commits(repo)
    api.init(repo.path)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    one = store.get_node(f"run:dvc-exp:{exps['live-1']}")
    two = store.get_node(f"run:dvc-exp:{exps['live-2']}")
    store.close()
    assert one is not None and two is not None
    assert one.attrs["params"] == {"dvclive/params.yaml:lr": 0.1,
                                   "dvclive/params.yaml:optimizer.name": "adam"}
    assert one.attrs["metrics"] == {"step": 2.0, "acc": 0.6}
    assert one.attrs["commit"] == baseline
    assert one.attrs["dirty"] is False, one.attrs["properties"]
    assert two.attrs["params"]["dvclive/params.yaml:lr"] == 0.2
    assert two.attrs["dirty"] is True
    assert two.attrs["properties"]["changed_files"] == "train.py"


def test_python_params_file_change_is_a_code_change(git_repo: GitRepo) -> None:
    """A top-level ``params:`` Python file: its values are not read, so an experiment that
    changed it changed code the run's params do not show."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", "params:\n- config.py\nmetrics:\n- metrics.json\n")
    repo.write("config.py", "LR = 0.1\n")
    repo.commit("baseline")
    repo.write("config.py", "LR = 0.1\nimport os; os.system('echo hi')\n")
    repo.write("metrics.json", '{"acc": 0.9}\n')
    repo.dvc("exp", "save", "-q", "-n", "py", "-I", "metrics.json")
    api.init(repo.path)
    api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    node = store.get_node(f"run:dvc-exp:{_exp_commits(repo)['py']}")
    store.close()
    assert node is not None and node.attrs["dirty"] is True
    assert node.attrs["properties"]["changed_files"] == "config.py"


def test_experiment_inputs_are_the_dvc_harvesters_data_nodes_whatever_the_remote(
        exp_repo: tuple[GitRepo, str]) -> None:
    """The repository is named by the remote the git and DVC harvesters use (``origin``, else
    the first remote: here ``upstream``), also when the experiments are harvested first or
    the store holds a repository's old identity: the experiment's INPUT edges land on DVC's
    data nodes, not on nodes of an identity no other harvester writes."""
    repo, baseline = exp_repo
    repo.git("remote", "add", "upstream", "https://github.com/Org/Churn.git")
    api.harvest(repo.path, only=["dvc-exp"])
    api.harvest(repo.path)
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{_exp_commits(repo)['lr-02']}"
    sources = {e.source for e in store.iter_edges() if e.target == rid
               and e.kind == EdgeKind.INPUT}
    dvc_data = {n.id for n in store.iter_nodes("data")
                if n.id.startswith("data:github.com/Org/Churn:")}
    store.close()
    assert sources and sources <= dvc_data, (sources, sorted(dvc_data)[:3])


def test_experiments_follow_a_new_repository_identity(exp_repo: tuple[GitRepo, str]) -> None:
    """A remote added after a harvest: the DVC harvester names the data anew, and so does the
    next experiment harvest for the experiments it had read under the root commit."""
    repo, _ = exp_repo
    api.harvest(repo.path)
    repo.git("remote", "add", "origin", "https://github.com/org/churn.git")
    api.harvest(repo.path)
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{_exp_commits(repo)['lr-02']}"
    sources = {e.source for e in store.iter_edges() if e.target == rid
               and e.kind == EdgeKind.INPUT}
    store.close()
    assert {s for s in sources if s.startswith("data:github.com/org/churn:")}, sources
    assert api.harvest(repo.path, only=["dvc-exp"]).new_events == 0


def _one_experiment(repo: GitRepo, params: str, metrics: str) -> str:
    """A baseline and one ``dvc exp save`` whose params.yaml and metrics.json are given."""
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", "metrics:\n- metrics.json\n")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.commit("baseline")
    repo.write("params.yaml", params)
    repo.write("metrics.json", metrics)
    repo.dvc("exp", "save", "-q", "-n", "e1", "-I", "metrics.json")
    api.init(repo.path)
    return _exp_commits(repo)["e1"]


def test_non_finite_params_and_metrics_are_not_stored_as_null(git_repo: GitRepo) -> None:
    """``.inf`` in params.yaml, NaN and Infinity in a metrics file (Python's json writes
    them): a param keeps its value as text (as the DVC harvester keeps stage params), a NaN
    metric is "NaN" (as MLflow runs and recorded runs keep it: `dvc exp show` shows it) and an
    infinite one is MLflow's ±1.8e308, as for MLflow runs; none is a null in a float field."""
    sha = _one_experiment(git_repo, "lr: .inf\nmomentum: .nan\n",
                          '{"auc": NaN, "loss": Infinity, "gain": -Infinity, "acc": 0.9}\n')
    res = api.harvest(git_repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(git_repo.path)
    node = store.get_node(f"run:dvc-exp:{sha}")
    store.close()
    assert node is not None
    assert node.attrs["params"] == {"lr": "inf", "momentum": "nan"}
    assert node.attrs["metrics"] == {"acc": 0.9, "auc": "NaN", "loss": 1.7976931348623157e308,
                                     "gain": -1.7976931348623157e308}


def test_params_file_whose_aliases_explode_is_a_warning(git_repo: GitRepo) -> None:
    """A params.yaml of nested YAML aliases (under a kilobyte naming 10^9 values) in an
    experiment commit: the harvest warns about that file and keeps the experiment, as the DVC
    harvester refuses such params, instead of running out of memory."""
    keys = [f"k{i}" for i in range(10)]
    lines = ["l0: &l0 {" + ", ".join(f"{k}: x" for k in keys) + "}"]
    lines += [f"l{n}: &l{n} {{" + ", ".join(f"{k}: *l{n - 1}" for k in keys) + "}"
              for n in range(1, 10)]
    # DVC itself cannot save such a file: the experiment commit is made with git, as anyone
    # who can push refs/exps/ (`dvc exp push`) can
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", "metrics:\n- metrics.json\n")
    baseline = repo.commit("baseline")
    repo.git("checkout", "-q", "-b", "exp")
    repo.write("params.yaml", "\n".join(lines) + "\n")
    repo.write("metrics.json", '{"acc": 0.9}\n')
    sha = repo.commit("dvc: commit experiment")
    repo.git("checkout", "-q", "-")
    repo.git("branch", "-q", "-D", "exp")
    repo.git("update-ref", f"refs/exps/{baseline[:2]}/{baseline[2:]}/e1", sha)
    api.init(repo.path)
    started = time.monotonic()
    res = api.harvest(git_repo.path, only=["dvc-exp"])
    assert time.monotonic() - started < 30
    assert [w for w in res.report.warnings if "params.yaml" in w.message], \
        res.report.warnings
    store = api.open_store(git_repo.path)
    node = store.get_node(f"run:dvc-exp:{sha}")
    store.close()
    assert node is not None and node.attrs["metrics"] == {"acc": 0.9}


def test_shallow_clone_without_the_baseline(exp_repo: tuple[GitRepo, str],
                                            tmp_path: Path) -> None:
    """A CI checkout (``--depth 1``) that fetched the experiment refs but not their baseline
    commit: the harvest does not stop; each experiment is a run whose dirtiness is unknown
    (a warning), and is read again once the history is fetched, when a code change made
    outside DVC is found (so the audit cannot pass an experiment never checked)."""
    repo, baseline = exp_repo
    repo.write("README.md", "later\n")
    repo.commit("later")
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = tmp_path / "clone", 20
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.path.as_uri(), str(clone.path)],
                   check=True, env=repo.env())
    exp_refs = [_ref(repo, name) for name in _exp_commits(repo)]  # what `dvc exp pull` gets
    clone.git("fetch", "-q", "--depth", "1", "origin", *(f"{r}:{r}" for r in exp_refs))
    assert clone.git("cat-file", "-t", baseline, check=False) == ""
    api.init(clone.path)
    res = api.harvest(clone.path, only=["dvc-exp"])
    assert [w for w in res.report.warnings if baseline[:12] in w.message]
    new_code = f"run:dvc-exp:{_exp_commits(clone)['new-code']}"
    store = api.open_store(clone.path)
    node = store.get_node(new_code)
    store.close()
    assert node is not None and node.attrs["params"]["train.epochs"] == 4
    assert "dirty" not in node.attrs
    clone.git("fetch", "-q", "--unshallow", "origin")
    res = api.harvest(clone.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(clone.path)
    node = store.get_node(new_code)
    store.close()
    assert node is not None and node.attrs["dirty"] is True
    assert node.attrs["properties"]["changed_files"] == "train.py"


def test_store_harvested_by_an_earlier_version_gets_the_new_facts(git_repo: GitRepo) -> None:
    """Experiments an earlier version read (before top-level params files were read, when
    the files DVCLive writes made them dirty) are read once more after the upgrade, though
    their refs did not move; then nothing is read again."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("train.py", "print('train')\n")
    repo.commit("baseline")
    _live_experiment(repo, "live-1", 0.1)
    sha = _exp_commits(repo)["live-1"]
    api.init(repo.path)
    api.harvest(repo.path, only=["dvc-exp"])
    from lineage.serialize import dumps_str
    from lineage.store import node_hash

    rid = f"run:dvc-exp:{sha}"
    store = api.open_store(repo.path)  # as the earlier version left it
    node = store.get_node(rid)
    assert node is not None
    attrs = {**node.attrs, "params": {}, "dirty": True}
    with store.conn:
        store.conn.execute("UPDATE nodes SET attrs = ?, hash = ? WHERE id = ?",
                           (dumps_str(attrs), node_hash("run", rid, attrs), rid))
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'dvc-exp' AND "
                           "scope != 'refs'")
    store.close()
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.harvesters[0].stats.nodes_changed == {"run": 1}
    store = api.open_store(repo.path)
    node = store.get_node(rid)
    store.close()
    assert node is not None and node.attrs["dirty"] is False
    assert node.attrs["params"]["dvclive/params.yaml:lr"] == 0.1
    assert api.harvest(repo.path, only=["dvc-exp"]).harvesters[0].stats.total == 0


def test_project_in_a_folder_with_a_non_ascii_name(git_repo: GitRepo) -> None:
    """git quotes such paths in its listings ("donn\\303\\251es/dvc.yaml") unless asked not
    to: the folder's dvc.yaml was not found (no metrics, no inputs) and the files DVC wrote
    there made the experiment dirty."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("données/params.yaml", "lr: 0.1\n")
    repo.write("données/train.py", "import json, yaml\n"
               "lr = yaml.safe_load(open('params.yaml'))['lr']\n"
               "json.dump({'auc': lr}, open('métriques.json', 'w'))\n")
    repo.write("données/dvc.yaml", "stages:\n  train:\n"
               f"    cmd: {sys.executable} train.py\n"
               "    deps: [train.py]\n    params: [lr]\n"
               "    metrics: [{métriques.json: {cache: false}}]\n")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "e1", "-S", "données/params.yaml:lr=0.3",
         "données/dvc.yaml")
    api.init(repo.path)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{_exp_commits(repo)['e1']}"
    node = store.get_node(rid)
    inputs = [e.attrs.get("path") for e in store.iter_edges() if e.target == rid
              and e.kind == EdgeKind.INPUT]
    store.close()
    assert node is not None
    assert node.attrs["metrics"] == {"auc": 0.3}
    assert node.attrs["params"]["données/params.yaml:lr"] == 0.3
    assert node.attrs["dirty"] is False, node.attrs["properties"]
    assert inputs == ["données/train.py"]


def test_an_experiment_is_read_as_its_commit_is_despite_a_replace_ref(
        exp_repo: tuple[GitRepo, str]) -> None:
    """This clone replaces lr-02's commit by new-code's (``git replace``, its private view):
    lr-02 keeps its own params and metrics."""
    repo, _ = exp_repo
    exps = _exp_commits(repo)
    repo.git("replace", exps["lr-02"], exps["new-code"])
    api.harvest(repo.path, only=["dvc-exp"])
    graph = api.open_store(repo.path).load_graph()
    lr = graph.attrs(f"run:dvc-exp:{exps['lr-02']}")
    assert lr["params"]["train.lr"] == 0.2 and lr["params"]["train.epochs"] == 2
    assert lr["metrics"] == {"auc": 0.7, "eval.loss": 0.5, "f1": 0.3}
    assert lr["dirty"] is False


def test_an_experiment_read_under_a_new_identity_keeps_no_edge_of_the_old_one(
        exp_repo: tuple[GitRepo, str]) -> None:
    """A remote added after a harvest: the experiment reads and writes the data of the new
    identity only (its edges to the root commit's names are withdrawn, as the run's inputs
    were read twice in DataHub and the audit), the log still verifies."""
    repo, _ = exp_repo
    api.harvest(repo.path)
    repo.git("remote", "add", "origin", "https://github.com/org/churn.git")
    res = api.harvest(repo.path)
    assert [w for w in res.report.warnings if w.source == "dvc-exp"] == []
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{_exp_commits(repo)['lr-02']}"
    linked = {(e.kind, e.target if e.source == rid else e.source) for e in store.edges_of(rid)
              if e.kind in (EdgeKind.INPUT, EdgeKind.OUTPUT)}
    assert linked and all(n.startswith("data:github.com/org/churn:") for _, n in linked), \
        linked
    assert {k for k, _ in linked} == {EdgeKind.INPUT, EdgeKind.OUTPUT}
    assert store.verify().ok
    store.close()
    assert api.harvest(repo.path, only=["dvc-exp"]).new_events == 0


WDIR_YAML = """\
stages:
  train:
    wdir: src
    cmd: {python} train.py
    deps: [train.py, ../data/in.csv]
    params: [{{../params.yaml: [train.lr]}}]
    outs: [model.bin]
    metrics: [{{metrics.json: {{cache: false}}}}]
"""
WDIR_TRAIN = """\
import json, yaml
lr = yaml.safe_load(open("../params.yaml"))["train"]["lr"]
json.dump({"acc": lr * 2}, open("metrics.json", "w"))
open("model.bin", "w").write(str(lr))
"""


def test_a_stage_with_a_wdir_names_its_files_from_the_repository_root(
        git_repo: GitRepo) -> None:
    """``wdir: src``: dvc.lock and the stage's ``metrics:`` name files relative to ``src``.
    The experiment reads and writes DVC's data nodes (``data/in.csv``, ``src/model.bin``),
    has the metrics `dvc exp show` shows, and is not dirty (only DVC wrote)."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("data/in.csv", "x,y\n")
    repo.dvc("add", "-q", "data/in.csv")
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("src/train.py", WDIR_TRAIN)
    repo.write("dvc.yaml", WDIR_YAML.format(python=sys.executable))
    repo.dvc("repro", "-q")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "wd", "-S", "params.yaml:train.lr=0.2")
    api.init(repo.path)
    res = api.harvest(repo.path)
    assert [w for w in res.report.warnings if w.source == "dvc-exp"] == []
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{_exp_commits(repo)['wd']}"
    run = store.get_node(rid)
    paths = {(e.kind, e.attrs.get("path")) for e in store.edges_of(rid)
             if e.kind in (EdgeKind.INPUT, EdgeKind.OUTPUT)}
    linked = [e.target if e.source == rid else e.source for e in store.edges_of(rid)
              if e.kind in (EdgeKind.INPUT, EdgeKind.OUTPUT)]
    dvc_data = {n.id for n in store.iter_nodes("data") if "first_commit" in n.attrs}
    store.close()
    assert run is not None
    assert run.attrs["metrics"] == {"acc": 0.4}
    assert run.attrs["params"] == {"train.lr": 0.2}
    assert run.attrs["dirty"] is False, run.attrs["properties"]
    assert paths == {(EdgeKind.INPUT, "data/in.csv"), (EdgeKind.INPUT, "src/train.py"),
                     (EdgeKind.OUTPUT, "src/model.bin"), (EdgeKind.OUTPUT, "src/metrics.json")}
    # the inputs are the DVC harvester's nodes (the outputs are the experiment's versions)
    assert {d for d in linked if d.split(":", 3)[-1].startswith(("data/", "src/train"))} \
        <= dvc_data


FOREACH_YAML = """\
stages:
  ev:
    foreach: [a, b]
    do:
      cmd: {python} ev.py ${{item}}
      deps: [ev.py]
      params: [lr]
      metrics:
        - eval/${{item}}/m.json:
            cache: false
"""
FOREACH_EV = """\
import json, os, sys, yaml
lr = yaml.safe_load(open("params.yaml"))["lr"]
os.makedirs(f"eval/{sys.argv[1]}", exist_ok=True)
json.dump({"auc": lr * (2 if sys.argv[1] == "a" else 4)}, open(f"eval/{sys.argv[1]}/m.json", "w"))
"""


def test_metrics_of_a_foreach_stage_are_the_experiments(git_repo: GitRepo) -> None:
    """A ``foreach`` stage whose metrics file is templated (``eval/${item}/m.json``): the
    experiment has each expanded stage's metrics, as `dvc exp show` lists them (the second
    file's ``auc`` spelled with its file)."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("ev.py", FOREACH_EV)
    repo.write("dvc.yaml", FOREACH_YAML.format(python=sys.executable))
    repo.dvc("repro", "-q")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "fe", "-S", "lr=0.25")
    api.init(repo.path)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    run = store.get_node(f"run:dvc-exp:{_exp_commits(repo)['fe']}")
    store.close()
    assert run is not None and run.attrs["dirty"] is False
    assert run.attrs["metrics"] == {"auc": 0.5, "eval/b/m.json:auc": 1.0}


def test_a_metrics_folder_is_each_metrics_file_in_it(git_repo: GitRepo) -> None:
    """``metrics: [eval]`` naming a folder: DVC reads every metrics file in it, and so does
    the harvest (it read the folder's git tree as YAML: a warning of control characters)."""
    repo = git_repo
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", "metrics:\n- eval\n")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.commit("baseline")
    repo.write("eval/a.json", '{"auc": 0.7}\n')
    repo.write("eval/deep/b.yaml", "f1: 0.5\n")
    repo.dvc("exp", "save", "-q", "-n", "s1", "-I", "eval")
    api.init(repo.path)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    run = store.get_node(f"run:dvc-exp:{_exp_commits(repo)['s1']}")
    store.close()
    assert run is not None and run.attrs["dirty"] is False
    assert run.attrs["metrics"] == {"auc": 0.7, "f1": 0.5}


def _hand_edited(repo: GitRepo, name: str, edit: Callable[[str], str],
                 path: str = "dvc.lock") -> str:
    """Experiment ``name`` with its ``path`` (a file at the top: dvc.lock, dvc.yaml) edited
    by hand, as someone who can push ``refs/exps/`` can publish it (``dvc exp run`` and ``dvc
    exp save`` refuse such a lock): the same tree and message on the same baseline, that file
    replaced. Its new commit."""
    ref = _ref(repo, name)
    sha = repo.git("rev-parse", ref)

    def git(*args: str, stdin: str = "") -> str:
        return subprocess.run(["git", *args], cwd=repo.path, env=repo.env(), input=stdin,
                              capture_output=True, text=True, check=True).stdout.strip()
    blob = git("hash-object", "-w", "--stdin", stdin=edit(git("show", f"{sha}:{path}") + "\n"))
    entries = [line if not line.endswith(f"\t{path}") else
               f"100644 blob {blob}\t{path}" for line in git("ls-tree", sha).splitlines()]
    tree = git("mktree", stdin="\n".join(entries) + "\n")
    new = git("commit-tree", tree, "-p", f"{sha}^", "-m", git("log", "-1", "--format=%B", sha))
    git("update-ref", ref, new)
    return new


def _odd_lock(lock: str) -> str:
    """An unquoted ``schema: 2.0``, ``size: big`` on model.pkl, a params file that is 5."""
    lock = lock.replace("schema: '2.0'", "schema: 2.0")
    lock = re.sub(r"(- path: model\.pkl\n(?:      .*\n)*?      size: )\d+", r"\1big", lock)
    assert "size: big" in lock
    return lock.replace("    params:\n", "    params:\n      extra.yaml: 5\n", 1)


def test_odd_values_in_an_experiments_lock_are_warnings_and_left_out(
        exp_repo: tuple[GitRepo, str]) -> None:
    """The experiments' dvc.lock is checked as the DVC harvester checks one: each odd value is
    a warning naming the experiment's commit, file, line and field, told once though both
    experiments carry it; the rest of each experiment is harvested."""
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", _odd_lock)
    new = _hand_edited(repo, "new-code", _odd_lock)
    res = api.harvest(repo.path, only=["dvc-exp"])
    warns = [w for w in res.report.warnings if w.source == "dvc-exp"]
    lock = repo.git("show", f"{lr}:dvc.lock").splitlines()

    def line(text: str) -> int:
        return next(i for i, x in enumerate(lock, 1) if text in x)
    assert sorted((w.commit, w.file, w.line, w.field) for w in warns) == sorted([
        (lr, "dvc.lock", 1, "schema"),
        (lr, "dvc.lock", line("size: big"), "stages.train.outs.1.size"),
        (lr, "dvc.lock", line("extra.yaml: 5"), "stages.train.params.extra.yaml")]), warns
    assert {w.experiment for w in warns} == {"lr-02"}
    # each warning names the experiments that have the problem: both runs lack the value
    assert all(w.message.endswith(" (2 experiments have it: lr-02, new-code)") for w in warns)
    said = {w.field: w.message for w in warns}
    assert said["schema"].startswith("schema is 2.0, a number, not the text")
    assert "quote it: schema: '2.0'" in said["schema"]
    assert ("stage 'train' outs: size of 'model.pkl' is 'big', not a whole number of bytes; "
            "left out") in said["stages.train.outs.1.size"]
    assert ("stage 'train' params: 'extra.yaml' is 5, not a mapping of params to their "
            "values; left out") in said["stages.train.params.extra.yaml"]
    graph = api.open_store(repo.path).load_graph()
    for sha, lr_value in ((lr, 0.2), (new, 0.2)):
        rid = f"run:dvc-exp:{sha}"
        run = graph.attrs(rid)
        assert run["params"]["train.lr"] == lr_value
        assert not [k for k in run["params"] if k.startswith("extra.yaml")]
        outs = sorted(graph.attrs(e.target)["path"] for e in graph.out_edges(rid, EdgeKind.OUTPUT))
        assert outs == ["metrics.json", "model.pkl", "nested/scores.yaml"]
        assert not any(graph.attrs(e.target).get("size") == "big"
                       for e in graph.out_edges(rid, EdgeKind.OUTPUT))


def test_a_problem_several_experiments_share_is_told_once_naming_them(
        exp_repo: tuple[GitRepo, str]) -> None:
    """`lineage harvest`: the DVC harvester tells a problem of the experiments' own
    dvc.lock files at the first experiment's commit; its one warning names how many and which
    experiments have it (each run lacks what it left out), not only the first."""
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", _odd_lock)
    new = _hand_edited(repo, "new-code", _odd_lock)
    res = api.harvest(repo.path)
    (w,) = [w for w in res.report.warnings if w.field == "stages.train.outs.1.size"]
    assert (w.source, w.file) == ("dvc", "dvc.lock") and w.commit in (lr, new)
    assert w.experiment == ("lr-02" if w.commit == lr else "new-code")
    assert w.message.endswith("; left out (fix the entry, or rewrite it with dvc commit) "
                              "(2 experiments have it: lr-02, new-code)"), w.message
    assert len([x for x in res.report.warnings if "2 experiments have it" in x.message]) == 3


def test_the_summary_names_the_experiments_commit_file_line_and_field(
        exp_repo: tuple[GitRepo, str], tmp_path: Path) -> None:
    """`lineage harvest`, as a user runs it: the warning names the experiment after its
    commit, in the same form whichever DVC harvester tells it; told once, by the DVC
    harvester, when it read the experiment's commit in the same harvest."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", lambda lock: lock.replace("schema: '2.0'", "schema: 2.0"))
    alone = tmp_path / "alone"
    shutil.copytree(repo.path, alone, symlinks=True)
    res = CliRunner().invoke(app, ["harvest", "--repo", str(alone), "--only", "dvc-exp"])
    assert res.exit_code == 0, res.output
    assert (f"[dvc-exp] commit {lr[:12]} (experiment lr-02), dvc.lock:1, field schema: schema "
            "is 2.0, a number") in " ".join(res.output.split()), res.output
    res = CliRunner().invoke(app, ["harvest", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    said = [line for line in " ".join(res.output.split()).split("[") if "field schema" in line]
    assert len(said) == 1 and said[0].startswith(
        f"dvc] commit {lr[:12]} (experiment lr-02), dvc.lock:1, field schema: schema is 2.0, "
        "a number"), said


@pytest.mark.parametrize("edit,line,field,said", [
    (lambda lock: re.sub(r"(- path: model\.pkl\n(?:      .*\n)*?      md5: )[0-9a-f]{32}",
                         r"\g<1>not-a-digest", lock),
     "md5: not-a-digest", "stages.train.outs.1.md5",
     "md5 of 'model.pkl' is 'not-a-digest', not an MD5 digest"),
    (lambda lock: lock[:lock.index("    outs:\n")]
     + f"    outs:\n      path: model.pkl\n      md5: {'0' * 32}\n",
     "outs:", "stages.train.outs", "stage 'train' outs: expected a list, not {'path'"),
    (lambda lock: re.sub(r"(    cmd: .*\n)", r"\1    cmd: again\n", lock, count=1),
     "cmd: again", None, "found duplicate key 'cmd'"),
], ids=["md5-text", "outs-mapping", "key-twice"])
def test_an_experiments_lock_whose_lineage_is_odd_is_skipped_with_a_warning(
        exp_repo: tuple[GitRepo, str], edit: Callable[[str], str], line: str,
        field: str | None, said: str) -> None:
    """What the experiment read and made is not guessed: a lock whose md5 is no digest (it
    was a data node ``…@md5:not-a-digest``), whose outs are not a list (they were dropped
    unsaid) or that DVC cannot read (a key given twice: the last was taken) is skipped for
    that experiment with a warning; the experiment is a run all the same, with its params,
    metrics and the other project's lineage."""
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", edit)
    res = api.harvest(repo.path, only=["dvc-exp"])
    (w,) = [w for w in res.report.warnings if w.source == "dvc-exp"]
    lock = repo.git("show", f"{lr}:dvc.lock").splitlines()
    at = next(i for i, x in enumerate(lock, 1) if x.strip().startswith(line))
    assert (w.commit, w.file, w.field) == (lr, "dvc.lock", field)
    assert w.line == at
    assert w.experiment == "lr-02" and said in w.message
    assert w.message.endswith("file skipped for this experiment")
    graph = api.open_store(repo.path).load_graph()
    rid = f"run:dvc-exp:{lr}"
    run = graph.attrs(rid)
    assert run["params"]["train.lr"] == 0.2 and run["metrics"]["auc"] == 0.7
    linked = sorted(graph.attrs(e.target)["path"] for e in graph.out_edges(rid, EdgeKind.OUTPUT))
    assert linked == ["nested/scores.yaml"]
    assert not [n for n in graph.node_ids() if "not-a-digest" in n]


def test_a_store_harvested_before_loses_what_an_odd_lock_made(
        exp_repo: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier version took ``md5: not-a-digest`` in an experiment's dvc.lock for a data
    version of its output. After the upgrade every experiment is read once more: that data
    version and its edge are withdrawn, the log still verifies."""
    from connectors.harvesters import dvc_exp

    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", lambda lock: re.sub(
        r"(- path: model\.pkl\n(?:      .*\n)*?      md5: )[0-9a-f]{32}", r"\g<1>not-a-digest",
        lock))
    digest, parse_blob = "ab" * 16, dvc_exp.parse_blob

    def as_before(kind: str, data: bytes) -> dict[str, Any]:
        """The earlier reading: any md5 was a digest."""
        summ = parse_blob(kind, data.replace(b"not-a-digest", digest.encode()))
        for stage in summ.get("stages", {}).values():
            for h in stage["outs"]:
                if h["hash"] == f"md5:{digest}":
                    h["hash"] = "md5:not-a-digest"
        return summ
    with monkeypatch.context() as m:
        m.setattr(dvc_exp, "parse_blob", as_before)
        m.setattr(dvc_exp, "READER_VERSION", "7")
        api.harvest(repo.path, only=["dvc-exp"])
    store = api.open_store(repo.path)
    assert [n.id for n in store.iter_nodes("data") if "not-a-digest" in n.id]
    store.close()
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert [w.field for w in res.report.warnings] == ["stages.train.outs.1.md5"]
    store = api.open_store(repo.path)
    rid = f"run:dvc-exp:{lr}"
    assert not [n.id for n in store.iter_nodes("data") if "not-a-digest" in n.id]
    assert not [e for e in store.edges_of(rid) if "not-a-digest" in e.target]
    assert store.verify().ok
    store.close()


def _committed_on_main(repo: GitRepo, sha: str) -> str:
    """The files of experiment commit ``sha`` committed on the branch, as `dvc exp apply`
    and `git commit` leave them: a branch commit whose dvc.lock is the experiment's blob."""
    repo.git("checkout", "-q", sha, "--", ".")
    return repo.commit("apply the experiment")


_SIZE_BIG = ("size: big", "stages.train.outs.1.size",
             lambda lock: re.sub(r"(- path: model\.pkl\n(?:      .*\n)*?      size: )\d+",
                                 r"\1big", lock))
_NOT_A_DIGEST = ("md5: not-a-digest", "stages.train.outs.1.md5",
                 lambda lock: re.sub(r"(- path: model\.pkl\n(?:      .*\n)*?      md5: )"
                                     r"[0-9a-f]{32}", r"\g<1>not-a-digest", lock))


@pytest.mark.parametrize("only", [None, ["dvc-exp"]], ids=["harvest", "only-dvc-exp"])
@pytest.mark.parametrize("text,field,edit", [_SIZE_BIG, _NOT_A_DIGEST],
                         ids=["odd-value", "lock-skipped"])
def test_a_problem_in_a_lock_an_experiment_shares_with_a_branch_is_told_once(
        exp_repo: tuple[GitRepo, str], only: list[str] | None, text: str, field: str,
        edit: Callable[[str], str]) -> None:
    """An experiment applied and committed on the branch: its dvc.lock (the same blob) is
    read by the DVC harvester at the branch commit and at the experiment's commit, and by the
    experiments harvester. The user is told each problem once, naming a commit that has it,
    its file, line and field."""
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", edit)
    main = _committed_on_main(repo, lr)
    assert repo.git("rev-parse", f"{main}:dvc.lock") == repo.git("rev-parse", f"{lr}:dvc.lock")
    res = api.harvest(repo.path, only=only)
    told = [w for w in res.report.warnings if w.field == field]
    assert len(told) == 1, res.report.warnings
    (w,) = told
    lock = repo.git("show", f"{lr}:dvc.lock").splitlines()
    assert w.commit in (lr, main) and w.file == "dvc.lock"
    assert w.line == next(i for i, x in enumerate(lock, 1) if text in x)
    if w.source == "dvc-exp":
        assert w.commit == lr
    # told at the experiment's commit, it names the experiment; at the branch's, none, and
    # says the experiment has it too (its run lacks what the problem left out)
    assert w.experiment == ("lr-02" if w.commit == lr else None)
    assert w.message.endswith(" (experiment lr-02 has it too)") == (w.commit == main), w
    # nothing else about that lock either (the experiment reads it as the branch commit does)
    assert [x for x in res.report.warnings if x.file == "dvc.lock"] == [w]


@pytest.mark.parametrize("replay", ["here", "worker"])
@pytest.mark.parametrize("text,field,edit", [_SIZE_BIG, _NOT_A_DIGEST],
                         ids=["odd-value", "lock-skipped"])
def test_a_problem_only_an_experiment_has_is_told_once_at_its_commit(
        exp_repo: tuple[GitRepo, str], text: str, field: str, edit: Callable[[str], str],
        replay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lineage harvest` reads an experiment's commit with both DVC harvesters: a problem in
    a file no branch has is told once, at the experiment's commit, by the DVC harvester,
    which read it first, naming the experiment (also from the forked worker a first harvest
    of a long history replays in); an experiment whose files it read in an earlier harvest is
    told of by the experiments harvester (its own harvest of it)."""
    from connectors.harvesters import dvc

    if replay == "worker":
        if (os.cpu_count() or 1) < 2:
            pytest.skip("the replay worker needs two cores")
        monkeypatch.setattr(dvc, "_PARALLEL_MIN", 1)
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", edit)
    lock = repo.git("show", f"{lr}:dvc.lock").splitlines()
    at = next(i for i, x in enumerate(lock, 1) if text in x)
    res = api.harvest(repo.path, only=["git", "dvc"])
    told = [(w.source, w.commit, w.experiment, w.file, w.line, w.field)
            for w in res.report.warnings]
    assert told == [("dvc", lr, "lr-02", "dvc.lock", at, field)], res.report.warnings
    res = api.harvest(repo.path)
    told = [(w.source, w.commit, w.experiment, w.file, w.line, w.field)
            for w in res.report.warnings]
    assert told == [("dvc-exp", lr, "lr-02", "dvc.lock", at, field)], res.report.warnings


def _set_aside_experiments(repo: GitRepo) -> dict[str, str]:
    """Remove every experiment ref, as in a clone that has not fetched them yet (`dvc exp
    pull` brings them later); the refs, to put back."""
    refs = {}
    for line in repo.git("for-each-ref", "--format=%(objectname) %(refname)",
                         "refs/exps").splitlines():
        sha, ref = line.split(" ", 1)
        refs[ref] = sha
        repo.git("update-ref", "-d", ref)
    return refs


def _experiment_on(repo: GitRepo, baseline: str, name: str) -> str:
    """An experiment of ``baseline`` that changed a param and no stage (its dvc.lock is the
    baseline's), as `dvc exp save` leaves one, made with git alone: DVC refuses to save on a
    lock it cannot read. Its commit."""
    def git(*args: str, stdin: str = "") -> str:
        return subprocess.run(["git", *args], cwd=repo.path, env=repo.env(), input=stdin,
                              capture_output=True, text=True, check=True).stdout.strip()
    params = git("show", f"{baseline}:params.yaml").replace("lr: 0.1", "lr: 0.3")
    blob = git("hash-object", "-w", "--stdin", stdin=params)
    entries = [line if not line.endswith("\tparams.yaml") else
               f"100644 blob {blob}\tparams.yaml" for line in git("ls-tree", baseline).splitlines()]
    tree = git("mktree", stdin="\n".join(entries) + "\n")
    sha = git("commit-tree", tree, "-p", baseline, "-m", f"dvc: commit experiment {name}")
    git("update-ref", f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}", sha)
    return sha


@pytest.mark.parametrize("how", ["pulled", "saved-on-the-branch"])
def test_a_problem_told_in_an_earlier_harvest_is_told_again_at_a_new_experiment_naming_it(
        exp_repo: tuple[GitRepo, str], tmp_path: Path, how: str) -> None:
    """A problem in a dvc.lock was told in an earlier harvest, at the branch commit that has
    it. A later harvest meets it again at an experiment that appeared since (pulled from a
    teammate, or saved on that branch commit): a new run whose facts lack what the problem
    left out. That harvest's summary tells it once more, naming the experiment besides its
    commit, the file, line and field, whichever DVC harvester read it; a harvest that reads
    nothing new tells nothing."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    repo, _ = exp_repo
    text, field, edit = _SIZE_BIG
    lr = _hand_edited(repo, "lr-02", edit)
    main = _committed_on_main(repo, lr)
    lock = repo.git("show", f"{main}:dvc.lock").splitlines()
    at = next(i for i, x in enumerate(lock, 1) if text in x)
    said = "stage 'train' outs: size of 'model.pkl' is 'big', not a whole number of bytes"
    refs = _set_aside_experiments(repo)
    first = api.harvest(repo.path)
    told = [(w.source, w.commit, w.file, w.line, w.field) for w in first.report.warnings]
    assert told == [("dvc", main, "dvc.lock", at, field)], first.report.warnings
    assert said in first.report.warnings[0].message
    if how == "pulled":  # the template's experiments, lr-02 with the branch's problem
        for ref, sha in refs.items():
            repo.git("update-ref", ref, sha)
        exp, name = lr, "lr-02"
    else:  # an experiment of the branch commit that kept its dvc.lock (the same blob)
        exp, name = _experiment_on(repo, main, "on-main"), "on-main"
        assert repo.git("rev-parse", f"{exp}:dvc.lock") == \
            repo.git("rev-parse", f"{main}:dvc.lock")
    alone = tmp_path / "alone"  # the same second harvest, for machines (--json)
    shutil.copytree(repo.path, alone, symlinks=True)
    res = CliRunner().invoke(app, ["harvest", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    said_here = [line for line in " ".join(res.output.split()).split(" ! ") if said in line]
    assert len(said_here) == 1, res.output
    assert said_here[0].startswith("[dvc") and f"] commit {exp[:12]} (experiment {name}), " \
        f"dvc.lock:{at}, field {field}: {said}" in said_here[0], said_here
    res = CliRunner().invoke(app, ["harvest", "--repo", str(alone), "--json"])
    assert res.exit_code == 0, res.output
    warnings = [w for w in json.loads(res.stdout)["warnings"] if w.get("file") == "dvc.lock"]
    assert [(w["commit"], w.get("experiment"), w["line"], w["field"]) for w in warnings] == [
        (exp, name, at, field)], warnings
    assert api.harvest(repo.path).report.warnings == []


_LEGACY_MD5 = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("section,entry,path,digest,kind", [
    ("outs", "- path: s3://bucket/models/model.bin\n  etag: 8f2c0b1a9d8e7f6a5d6f1c1b7b0a4e5e-2\n"
     "  size: 2048\n", "s3://bucket/models/model.bin", "etag:8f2c0b1a9d8e7f6a5d6f1c1b7b0a4e5e-2",
     "etag"),
    ("deps", "- path: https://example.com/data/raw.csv\n  checksum: '\"0x8DB1A2B3C4D5E6F\"'\n"
     "  size: 512\n", "https://example.com/data/raw.csv", 'checksum:"0x8DB1A2B3C4D5E6F"',
     "checksum"),
    ("deps", "- path: s3://bucket/data/raw.csv\n  version_id: 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY\n"
     "  etag: 0b1a9d8e7f6a5d6f1c1b7b0a4e5e8f2c\n  size: 512\n", "s3://bucket/data/raw.csv",
     "etag:0b1a9d8e7f6a5d6f1c1b7b0a4e5e8f2c", "etag"),
    ("outs", f"- path: legacy.bin\n  md5: {_LEGACY_MD5}\n  size: 7\n", "legacy.bin",
     f"md5:{_LEGACY_MD5}", "md5-dos2unix"),
], ids=["s3-etag", "http-checksum", "s3-version-id", "dvc-2-md5"])
def test_an_experiments_inputs_and_outputs_of_every_hash_kind_are_read(
        exp_repo: tuple[GitRepo, str], tmp_path: Path, section: str, entry: str, path: str,
        digest: str, kind: str) -> None:
    """A cloud output with an ``etag``, an http dependency with a ``checksum``, an S3 one
    with a ``version_id``, an entry DVC 2 wrote (``md5:`` without ``hash: md5``): the
    experiment links the data version the DVC harvester names, described as it describes it
    (hash kind, size) when the experiments harvester makes it first."""
    repo, _ = exp_repo
    _, alone, e, node = _lock_entry_added(repo, tmp_path, section, entry, path)
    assert (e.kind, e.attrs.get("digest", digest)) == (
        EdgeKind.OUTPUT if section == "outs" else EdgeKind.INPUT, digest)
    did = node.id
    assert did.endswith(f":{path}@{digest}")
    dvc_node, _ = _dvc_harvested(alone, did)
    assert dvc_node is not None and dvc_node.attrs["hash_kind"] == kind
    assert {k: v for k, v in node.attrs.items() if v is not False} == {
        k: v for k, v in dvc_node.attrs.items() if k != "first_commit"}


@pytest.mark.parametrize("section", ["deps", "outs"])
def test_an_experiments_inputs_and_outputs_without_a_hash_are_the_dvc_harvesters(
        exp_repo: tuple[GitRepo, str], tmp_path: Path, section: str) -> None:
    """A dvc.lock entry with no hash at all (a dependency or output DVC recorded no content
    for): the DVC harvester links the stage to ``<path>@unversioned`` (an input pinned
    ``none``); the experiment links the same data node the same way, rather than leaving the
    entry out as if the run never read or wrote it."""
    repo, _ = exp_repo
    path = "notes.txt" if section == "deps" else "report.html"
    rid, alone, e, node = _lock_entry_added(repo, tmp_path, section, f"- path: {path}", path)
    did = node.id
    assert did.endswith(f":{path}@unversioned")
    if section == "deps":
        assert (e.kind, e.target, e.attrs) == (EdgeKind.INPUT, rid, {"pin": "none", "path": path})
    else:
        assert (e.kind, e.source) == (EdgeKind.OUTPUT, rid)
    dvc_node, dvc_edges = _dvc_harvested(alone, did)
    stage_edges = [x for x in dvc_edges if x.kind == e.kind]
    assert dvc_node is not None and len(stage_edges) == 1
    if section == "deps":
        assert stage_edges[0].attrs == e.attrs
    assert {k: v for k, v in node.attrs.items() if v is not False} == {
        k: v for k, v in dvc_node.attrs.items() if k != "first_commit"}


def test_a_store_harvested_before_gets_the_inputs_without_a_hash(
        exp_repo: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier version left an experiment's dependency without a hash out. After the
    upgrade every experiment is read once more: the run gets that input, the log still
    verifies, and the harvest after reads nothing."""
    from connectors.harvesters import dvc_exp

    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", lambda lock: lock.replace(
        "    deps:\n", "    deps:\n    - path: notes.txt\n", 1))
    parse_blob = dvc_exp.parse_blob

    def as_before(kind: str, data: bytes) -> dict[str, Any]:
        """The earlier reading: entries without a hash left out."""
        summ = parse_blob(kind, data)
        for stage in summ.get("stages", {}).values():
            for fld in ("deps", "outs"):
                stage[fld] = [h for h in stage[fld] if h.get("hash")]
        return summ
    with monkeypatch.context() as m:
        m.setattr(dvc_exp, "parse_blob", as_before)
        m.setattr(dvc_exp, "READER_VERSION", "10")
        api.harvest(repo.path, only=["dvc-exp"])
    rid = f"run:dvc-exp:{lr}"

    def notes() -> list[tuple[str, dict[str, Any]]]:
        store = api.open_store(repo.path)
        try:
            assert store.verify().ok
            return [(str(e.kind), e.attrs) for e in store.edges_of(rid)
                    if e.source.endswith(":notes.txt@unversioned")]
        finally:
            store.close()
    assert notes() == []
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    assert notes() == [("input", {"pin": "none", "path": "notes.txt"})]
    assert api.harvest(repo.path, only=["dvc-exp"]).harvesters[0].stats.total == 0

def test_an_experiment_on_a_dvc_dataset_reads_the_version_its_lock_pins_as_its_stage_does(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """`dvc ds add` and a stage that depends on ``ds://<name>``: `dvc exp run` records no
    content hash for that dependency but the dataset's lock (its source and the commit it was
    locked at, ``rev_lock``). The experiment's run reads the data version that lock pins, the
    DVC harvester's node of the stage's input, pinned strong: the source's commit pins its
    content; and `lineage audit` finds nothing to say about its data."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    src = GitRepo(tmp_path / "src")
    src.write("data.csv", "age,churned\n31,0\n45,1\n")
    src.commit("data")
    repo = git_repo
    repo.dvc("init", "-q")
    repo.dvc("ds", "add", "--dvc", str(src.path), "--path", "data.csv", "src")
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("train.py", "import yaml\n"
               "p = yaml.safe_load(open('params.yaml'))['train']\n"
               "open('model.pkl', 'w').write(str(p))\n")
    with (repo.path / "dvc.yaml").open("a") as f:
        f.write(f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
                "    deps: [ds://src, train.py]\n    params: [train]\n    outs: [model.pkl]\n")
    repo.commit("baseline")
    repo.dvc("exp", "run", "-q", "-n", "on-src", "-S", "train.lr=0.2")
    exp = _exp_commits(repo)["on-src"]
    lock = yaml.safe_load(repo.git("show", f"{exp}:dvc.lock"))
    (dep,) = [d for d in lock["stages"]["train"]["deps"] if d["path"] == "ds://src"]
    assert not {"md5", "etag", "checksum"} & set(dep), dep  # DVC's own: no content hash
    assert dep["dataset"]["rev_lock"] == src.git("rev-parse", "HEAD")
    api.init(repo.path)
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    rid = f"run:dvc-exp:{exp}"
    graph = api.open_store(repo.path).load_graph()
    inputs = {graph.attrs(e.source)["path"]: (e.source, e.attrs)
              for e in graph.in_edges(rid, EdgeKind.INPUT)}
    did, attrs = inputs["ds://src"]
    data = graph.attrs(did)
    assert did.endswith(f":ds://src@{data['hash']}") and data["hash"].startswith("dataset:")
    assert data["import_rev_lock"] == dep["dataset"]["rev_lock"]
    assert attrs == {"pin": "strong", "digest": data["hash"], "path": "ds://src"}
    assert inputs["train.py"][1]["pin"] == "strong"
    # the node the DVC harvester made for the stage's input
    assert [graph.attrs(e.target)["name"] for e in graph.out_edges(did, EdgeKind.INPUT)
            if e.target.startswith("stage:")] == ["train"]
    res = CliRunner().invoke(app, ["audit", "-C", str(repo.path), "--format", "json"])
    found = [f for f in json.loads(res.stdout)["findings"]
             if f["rule"] == "run-data-pinned" and f["subject"] == rid]
    assert found == [], found


_DATASET_ENTRY = ("- path: ds://src\n  dataset:\n    name: src\n    url: /data/src\n"
                  "    type: dvc\n    path: data.csv\n    rev_lock: " + "ab12" * 10 + "\n")


def test_a_store_harvested_before_gets_the_dataset_version_an_experiment_read(
        exp_repo: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier version linked an experiment's ``ds://`` dependency as
    ``<path>@unversioned``, pinned none. After the upgrade every experiment is read once
    more: the run reads the data version its dataset lock pins, strong; the edge from the
    unversioned node is withdrawn, the log still verifies, and the harvest after reads
    nothing."""
    from connectors.harvesters import dvc_exp

    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", lambda lock: lock.replace(
        "    deps:\n", "    deps:\n" + "".join(f"    {line}\n" for line in
                                                _DATASET_ENTRY.splitlines()), 1))
    parse_blob = dvc_exp.parse_blob

    def as_before(kind: str, data: bytes) -> dict[str, Any]:
        """The earlier reading: a dataset's lock not read."""
        summ = parse_blob(kind, data)
        for stage in summ.get("stages", {}).values():
            for h in stage["deps"]:
                if h.get("hash_kind") == "dataset":
                    for k in ("hash", "hash_kind", "pin", "dataset"):
                        h.pop(k)
        return summ
    with monkeypatch.context() as m:
        m.setattr(dvc_exp, "parse_blob", as_before)
        m.setattr(dvc_exp, "READER_VERSION", "11")
        api.harvest(repo.path, only=["dvc-exp"])
    rid = f"run:dvc-exp:{lr}"

    def read() -> list[tuple[str, str]]:
        store = api.open_store(repo.path)
        try:
            assert store.verify().ok
            return [(e.source.rsplit("@", 1)[1].split(":", 1)[0], e.attrs["pin"])
                    for e in store.edges_of(rid) if e.attrs.get("path") == "ds://src"]
        finally:
            store.close()
    assert read() == [("unversioned", "none")]
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    assert res.harvesters[0].stats.edges_withdrawn == {"input": 1}
    assert read() == [("dataset", "strong")]
    assert api.harvest(repo.path, only=["dvc-exp"]).harvesters[0].stats.total == 0


_PER_STAGE = "  per:\n    foreach: [a, b]\n    do: 5\n"


@pytest.mark.parametrize("edit,text,field,said,skipped", [
    (lambda y: y.replace("    outs: [model.pkl]", "   outs: [model.pkl]"), "outs: [model.pkl]",
     None, "not valid YAML: ", True),
    (lambda y: y.replace("    params: [train]", "    params: [train]\n    cmd: again"),
     "cmd: again", None, "duplicate key", True),
    (lambda y: y.replace("[train.py, data.csv]", "data.csv"), "deps: data.csv",
     "stages.train.deps", "stage 'train': deps is 'data.csv', not a list", False),
    (lambda y: y.replace("    params: [train]", "    params: [train]\n    wdir: 5"),
     "wdir: 5", "stages.train.wdir", "stage 'train': wdir is 5, not a path", False),
    (lambda y: y + _PER_STAGE, "do: 5", "stages.per.do", "stage 'per': do is 5, not a mapping",
     False),
], ids=["not-yaml", "key-twice", "deps-not-a-list", "wdir-not-a-path", "foreach-do"])
def test_an_experiments_dvc_yaml_gets_the_dvc_harvesters_checks(
        exp_repo: tuple[GitRepo, str], tmp_path: Path, edit: Callable[[str], str], text: str,
        field: str | None, said: str, skipped: bool) -> None:
    """An experiment's dvc.yaml that no parser reads, or with an odd stage value: one warning
    on one line naming the experiment's commit, the file, line and field, as the DVC
    harvester checks a dvc.yaml; the harvest goes on, the experiment is a run with what it
    can be read for. `lineage harvest` tells it once (the DVC harvester reads the experiment's
    commit first), in the DVC harvester's words."""
    repo, _ = exp_repo
    lr = _hand_edited(repo, "lr-02", edit, "dvc.yaml")
    alone = tmp_path / "alone"
    shutil.copytree(repo.path, alone, symlinks=True)
    dvc_yaml = repo.git("show", f"{lr}:dvc.yaml").splitlines()
    at = next(i for i, x in enumerate(dvc_yaml, 1) if x.strip() == text)
    res = api.harvest(alone, only=["dvc-exp"])
    (w,) = res.report.warnings
    assert (w.source, w.commit, w.file, w.line, w.field) == ("dvc-exp", lr, "dvc.yaml", at, field)
    assert w.experiment == "lr-02" and said in w.message
    assert "\n" not in w.message
    assert w.message.endswith("file skipped for this experiment") == skipped
    res = api.harvest(repo.path)
    told = [(w.source, w.commit, w.experiment, w.file, w.line, w.field)
            for w in res.report.warnings]
    assert told == [("dvc", lr, "lr-02", "dvc.yaml", at, field)], res.report.warnings
    assert said in res.report.warnings[0].message
    graph = api.open_store(repo.path).load_graph()
    runs = {graph.attrs(n)["name"]: graph.attrs(n) for n in graph.node_ids()
            if n.startswith("run:dvc-exp:")}
    assert set(runs) == {"lr-02", "new-code"}
    run = runs["lr-02"]
    assert run["params"]["train.lr"] == 0.2 and run["metrics"]["f1"] == 0.3
    # its metrics file is named in the dvc.yaml: read unless that file is skipped
    assert ("auc" in run["metrics"]) != skipped
    outs = sorted(graph.attrs(e.target)["path"]
                  for e in graph.out_edges(f"run:dvc-exp:{lr}", EdgeKind.OUTPUT))
    assert outs == ["metrics.json", "model.pkl", "nested/scores.yaml"]


def _lock_entry_added(repo: GitRepo, tmp_path: Path, section: str, entry: str,
                      path: str) -> tuple[str, Path, Any, Any]:
    """lr-02's dvc.lock with ``entry`` added under its stage's ``section`` (``deps``/``outs``),
    harvested by the experiments harvester alone, without a warning: the run id, a copy of
    the repository made before (for the DVC harvester alone), the run's one edge of ``path``
    and the data node it links."""
    indented = "".join(f"    {line}\n" for line in entry.splitlines())
    lr = _hand_edited(repo, "lr-02", lambda lock: lock.replace(
        f"    {section}:\n", f"    {section}:\n{indented}", 1))
    alone = tmp_path / "alone"
    shutil.copytree(repo.path, alone, symlinks=True)
    res = api.harvest(repo.path, only=["dvc-exp"])
    assert res.report.warnings == []
    rid = f"run:dvc-exp:{lr}"
    store = api.open_store(repo.path)
    try:
        (e,) = [e for e in store.edges_of(rid) if e.attrs.get("path") == path]
        node = store.get_node(e.target if section == "outs" else e.source)
    finally:
        store.close()
    assert node is not None
    return rid, alone, e, node


def _dvc_harvested(repo: Path, did: str) -> tuple[Any, list[Any]]:
    """The data node ``did`` as the DVC harvester alone makes it in ``repo``, and its edges."""
    api.harvest(repo, only=["dvc"])
    store = api.open_store(repo)
    try:
        return store.get_node(did), list(store.edges_of(did))
    finally:
        store.close()
