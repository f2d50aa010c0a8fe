"""Runs at a commit whose ``dvc.lock`` entry is out of date by what ``dvc status`` compares
besides the dependencies' hashes, on real git + DVC repositories: the stage's command in
dvc.yaml edited, a dependency or an output added to it, a tracked param's value changed in
the params file, all committed without the ``dvc repro`` that would rewrite the lock. A run
at such a commit read what that repro wrote, not what the entry gives: it is not pinned to
it, and the warning names why. DVC itself is the oracle: at each commit the test asks
``dvc status`` whether the stage changed, and lineage must say the same (no false alarm for
a param the stage does not track, a dependency dropped from dvc.yaml, an up-to-date
foreach / matrix stage)."""

from __future__ import annotations

import json

from lineage import api
from tests.conftest import GitRepo
from tests.integration.test_joins_stale_lock import _data_findings, _md5, _runs_at, _strong

RAW = "id,churned\n1,0\n"
PIPELINE = """stages:
  train:
    cmd: cp raw.csv model.pkl
    deps: [raw.csv]
    params: [lr]
    outs: [model.pkl]
artifacts:
  churn:
    path: model.pkl
    type: model
"""


def _changed(r: GitRepo) -> bool:
    """Whether ``dvc status`` says a stage of the work tree changed (DVC's own verdict)."""
    return json.loads(r.dvc("status", "--json") or "{}") != {}


def _commit(r: GitRepo, message: str, changed: bool, register: bool = False) -> str:
    """Commit the work tree, after checking ``dvc status`` says the pipeline ``changed``;
    with ``register``, the model it trains registered there (GTO), so the audit checks the
    runs that produced it."""
    assert _changed(r) is changed, (message, r.dvc("status"))
    sha = r.commit(message)
    if register:
        r.tag(f"churn@v1.{r.tick}.0", f"Registering artifact churn version v1.{r.tick}.0")
    return sha


def test_a_changed_command_dependency_output_or_param_leaves_the_run_unpinned(
        git_repo: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", RAW)
    r.dvc("add", "-q", "raw.csv")
    r.write("extra.txt", "more\n")
    r.write("params.yaml", "lr: 0.1\nother: 1\n")
    r.write("dvc.yaml", PIPELINE)
    r.dvc("repro", "-q")
    c: dict[str, str] = {"ok": _commit(r, "pipeline", False, True)}
    # a param the stage does not track: still up to date
    r.write("params.yaml", "lr: 0.1\nother: 2\n")
    c["other"] = _commit(r, "tune another stage", False, True)
    r.write("params.yaml", "lr: 0.2\nother: 2\n")
    c["lr"] = _commit(r, "lr 0.2", True, True)
    r.write("params.yaml", "lr: 0.1\nother: 2\n")
    r.write("dvc.yaml", PIPELINE.replace("cmd: cp raw.csv model.pkl",
                                         "cmd: cp raw.csv model.pkl && touch done"))
    c["cmd"] = _commit(r, "another command", True, True)
    r.write("dvc.yaml", PIPELINE.replace("deps: [raw.csv]", "deps: [raw.csv, extra.txt]"))
    c["dep"] = _commit(r, "one more dependency", True, True)
    r.write("dvc.yaml", PIPELINE.replace("outs: [model.pkl]", "outs: [model.pkl, log.txt]"))
    c["out"] = _commit(r, "one more output", True, True)
    # a dependency dropped from dvc.yaml: DVC does not tell it (the entry still holds)
    r.write("dvc.yaml", PIPELINE.replace("deps: [raw.csv]", "deps: []"))
    c["dropped"] = _commit(r, "no dependency", False, True)
    r.write("dvc.yaml", PIPELINE)
    c["back"] = _commit(r, "as it was", False, True)
    names = list(c)
    rids = dict(zip(names, _runs_at(r, [("model.pkl", c[n]) for n in names]), strict=True))
    api.init(r.path)
    res = api.harvest(r.path)

    pinned = [f"model.pkl@{_md5(RAW)}"]
    for n in ("ok", "other", "dropped", "back"):
        assert _strong(r, rids[n]) == pinned, n
        assert _data_findings(r, rids[n]) == [], n
    said = {w.message.split(" reads ", 1)[0]: w for w in res.report.warnings
            if w.source == "joins"}
    assert set(said) == {rids[n] for n in ("lr", "cmd", "dep", "out")}, \
        [w.message for w in res.report.warnings]
    for n in ("lr", "cmd", "dep", "out"):
        assert _strong(r, rids[n]) == [], n
        assert len(_data_findings(r, rids[n])) == 1, n
        assert said[rids[n]].commit == c[n] and said[rids[n]].file == "dvc.lock"
        assert said[rids[n]].message.startswith(
            f"{rids[n]} reads model.pkl, which dvc.lock at its commit {c[n][:12]} gives "
            f"model.pkl {_md5(RAW)}, from an entry out of date there: stage train has a"), n
    assert ("has a changed param: lr 0.1 → 0.2 (the entry lists 0.1, while params.yaml at "
            "that commit has 0.2) (dvc repro ran") in said[rids["lr"]].message
    assert ("has a changed command: dvc.yaml at that commit runs 'cp raw.csv model.pkl && "
            "touch done', while the entry lists 'cp raw.csv model.pkl'"
            ) in said[rids["cmd"]].message
    assert ("has a dependency added: dvc.yaml at that commit lists extra.txt, which the "
            "entry does not") in said[rids["dep"]].message
    assert ("has an output added: dvc.yaml at that commit lists log.txt, which the entry "
            "does not") in said[rids["out"]].message


def test_foreach_and_matrix_stages_with_templates_and_a_params_file_of_their_own(
        git_repo: GitRepo) -> None:
    """``train@a``'s command takes ``lr`` from params.yaml through a template, and its
    ``epochs`` param from conf/train.yaml; ``grid@b`` is a matrix stage. Each is told out of
    date only when DVC says so."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("params.yaml", "lr: 0.1\nseed: 1\n")
    r.write("conf/train.yaml", "epochs: 5\nbatch: 32\n")
    pipeline = """vars:
  - n: 3
stages:
  train:
    foreach: [a, b]
    do:
      cmd: echo ${item} ${n} ${lr} > model-${item}.txt
      params:
      - conf/train.yaml:
        - epochs
      outs:
      - model-${item}.txt
  grid:
    matrix:
      x: [a, b]
    cmd: echo ${item.x} > grid-${item.x}.txt
    outs:
    - grid-${item.x}.txt
"""
    r.write("dvc.yaml", pipeline)
    r.dvc("repro", "-q")
    c = {"ok": _commit(r, "pipeline", False)}
    r.write("params.yaml", "lr: 0.1\nseed: 2\n")
    r.write("conf/train.yaml", "epochs: 5\nbatch: 64\n")
    c["unrelated"] = _commit(r, "params no stage reads", False)
    r.write("conf/train.yaml", "epochs: 6\nbatch: 64\n")
    c["epochs"] = _commit(r, "epochs 6", True)
    r.write("conf/train.yaml", "epochs: 5\nbatch: 64\n")
    r.write("params.yaml", "lr: 0.2\nseed: 2\n")
    c["lr"] = _commit(r, "lr 0.2", True)
    r.write("params.yaml", "lr: 0.1\nseed: 2\n")
    r.write("dvc.yaml", pipeline.replace("cmd: echo ${item.x} >", "cmd: echo ${item.x} x >"))
    c["grid"] = _commit(r, "grid command", True)
    reads = [(p, c[n]) for n in c for p in ("model-a.txt", "grid-b.txt")]
    rids = dict(zip(reads, _runs_at(r, reads), strict=True))
    api.init(r.path)
    res = api.harvest(r.path)

    said = {w.message.split(" reads ", 1)[0]: w.message for w in res.report.warnings
            if w.source == "joins"}
    stale = {("model-a.txt", c["epochs"]), ("model-a.txt", c["lr"]), ("grid-b.txt", c["grid"])}
    assert set(said) == {rids[k] for k in stale}, said
    for k, rid in rids.items():
        assert (_strong(r, rid) == []) is (k in stale), k
    assert ("stage train@a has a changed param: epochs 5 → 6 (the entry lists 5, while "
            "conf/train.yaml at that commit has 6)") in said[rids[("model-a.txt", c["epochs"])]]
    assert ("stage train@a has a changed command: dvc.yaml at that commit runs 'echo a 3 0.2 "
            "> model-a.txt', while the entry lists 'echo a 3 0.1 > model-a.txt'"
            ) in said[rids[("model-a.txt", c["lr"])]]
    assert ("stage grid@b has a changed command: dvc.yaml at that commit runs 'echo b x > "
            "grid-b.txt', while the entry lists 'echo b > grid-b.txt'"
            ) in said[rids[("grid-b.txt", c["grid"])]]


def test_a_params_file_tracked_whole_is_compared_key_by_key(git_repo: GitRepo) -> None:
    """``params: [{conf.json: }]`` tracks every key of a JSON file: a key added there makes
    the entry out of date (DVC: ``new``), as does a value changed; the same file as
    committed with the lock is no change."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("conf.json", '{"lr": 0.1, "layers": [64, 32]}\n')
    r.write("dvc.yaml", "stages:\n  train:\n    cmd: echo trained > model.pkl\n"
            "    params:\n    - conf.json:\n    outs: [model.pkl]\n")
    r.dvc("repro", "-q")
    c = {"ok": _commit(r, "pipeline", False)}
    r.write("conf.json", '{"layers": [64, 32], "lr": 0.1}\n')  # the same values
    c["same"] = _commit(r, "keys reordered", False)
    r.write("conf.json", '{"lr": 0.1, "layers": [64, 16]}\n')
    c["layers"] = _commit(r, "smaller layer", True)
    r.write("conf.json", '{"lr": 0.1, "layers": [64, 32], "dropout": 0.5}\n')
    c["dropout"] = _commit(r, "dropout", True)
    names = list(c)
    rids = dict(zip(names, _runs_at(r, [("model.pkl", c[n]) for n in names]), strict=True))
    api.init(r.path)
    res = api.harvest(r.path)
    said = {w.message.split(" reads ", 1)[0]: w.message for w in res.report.warnings
            if w.source == "joins"}
    assert set(said) == {rids["layers"], rids["dropout"]}, said
    assert _strong(r, rids["ok"]) == _strong(r, rids["same"]) == [
        f"model.pkl@{_md5('trained' + chr(10))}"]
    assert ("stage train has a changed param: layers [64, 32] → [64, 16] (the entry lists "
            "[64, 32], while conf.json at that commit has [64, 16])") in said[rids["layers"]]
    assert ("stage train has a changed param: dropout (none) → 0.5 (the entry lists no "
            "value, while conf.json at that commit has 0.5)") in said[rids["dropout"]]


def test_a_changed_command_holding_a_password_is_told_without_it(git_repo: GitRepo) -> None:
    """A command naming a URL with credentials: the same command is no change, another one
    is told, and the warning shows neither command's password."""
    r = git_repo
    r.dvc("init", "-q")
    cmd = "echo https://etl:s3cret@example.com/churn > model.pkl"
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: {cmd}\n    outs: [model.pkl]\n")
    r.dvc("repro", "-q")
    c1 = _commit(r, "pipeline", False)
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: {cmd.replace('churn', 'churn2')}\n"
            "    outs: [model.pkl]\n")
    c2 = _commit(r, "another source", True)
    at_c1, at_c2 = _runs_at(r, [("model.pkl", c1), ("model.pkl", c2)])
    api.init(r.path)
    res = api.harvest(r.path)
    (w,) = [w.message for w in res.report.warnings if w.source == "joins"]
    assert w.startswith(f"{at_c2} reads model.pkl"), w
    assert "stage train has a changed command" in w and "churn2 > model.pkl" in w, w
    assert "s3cret" not in w, w
    assert _strong(r, at_c1) == [f"model.pkl@{_md5(cmd[5:-12] + chr(10))}"]
    assert _strong(r, at_c2) == []
