"""Runs at a commit whose ``dvc.lock`` is out of date, on real git + DVC repositories: the
data was changed (``dvc add``) or the stage's code edited and committed, and ``dvc repro``
ran before training, but the dvc.lock it rewrote was committed only after. The commit's
lock still gives the stage's outputs the hashes of the run before, so a run at that commit
read other bytes than that entry says: it is not pinned to them (one warning naming the run,
the path, the lock, the stage, the dependency and both hashes) and the audit reports its
data as not content-pinned. A run at a commit whose lock agrees is pinned as ever."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

RAW1, RAW2 = "id,churned\n1,0\n", "id,churned\n1,0\n2,1\n"
PIPELINE = """stages:
  prepare:
    cmd: sh prep.sh
    deps: [raw.csv, prep.sh]
    outs: [prepared.csv]
  featurize:
    cmd: cp prepared.csv features.csv
    deps: [prepared.csv]
    outs: [features.csv]
"""


def _md5(text: str) -> str:
    import hashlib

    return "md5:" + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _runs_at(r: GitRepo, reads: list[tuple[str, str]]) -> list[str]:
    """One OpenLineage run per (path, commit): reading the path at that commit, writing
    model.pkl, reporting no md5 of what it read (pin ``none``). Their run ids."""
    ids = [f"0190a5b2-0000-7000-8000-0000000001{i:02d}" for i in range(len(reads))]
    events = [{"eventType": "COMPLETE", "eventTime": "2026-01-01T01:30:00Z",
               "producer": "https://example.com/ci", "run": {"runId": rid},
               "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                   "type": "git", "url": "https://example.com/repo", "version": sha}}},
               "inputs": [{"namespace": "file", "name": str(r.path / path)}],
               "outputs": [{"namespace": "file", "name": str(r.path / "model.pkl")}]}
              for rid, (path, sha) in zip(ids, reads, strict=True)]
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    return [f"run:openlineage:{rid}" for rid in ids]


def _strong(r: GitRepo, rid: str) -> list[str]:
    """The data versions (``path@hash``) the run is pinned to by content."""
    graph = api.open_store(r.path).load_graph()
    return sorted(e.source.rsplit(":", 2)[-2] + ":" + e.source.rsplit(":", 1)[-1]
                  for e in graph.in_edges(rid, EdgeKind.INPUT) if e.attrs.get("pin") == "strong")


def _data_findings(r: GitRepo, rid: str) -> list[dict[str, Any]]:
    res = CliRunner().invoke(app, ["audit", "-C", str(r.path), "--format", "json"])
    return [f for f in json.loads(res.stdout)["findings"]
            if f["rule"] == "run-data-pinned" and f["subject"] == rid]


@pytest.fixture
def history(git_repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    """c1: the pipeline reproduced and committed. c2: new raw data added (`dvc add`) and
    committed, the lock not reproduced (out of date). c3: `dvc repro` committed. c4:
    prep.sh edited and committed, the lock out of date again. model.pkl is GTO's churn,
    registered at each, so the audit checks the runs."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", RAW1)
    r.dvc("add", "-q", "raw.csv")
    r.write("prep.sh", "cp raw.csv prepared.csv\n")
    r.write("dvc.yaml", PIPELINE + "artifacts:\n  churn:\n    path: model.pkl\n"
            "    type: model\n")
    r.dvc("repro", "-q")
    r.write("model.pkl", "model\n")
    r.dvc("add", "-q", "model.pkl")
    shas = {"c1": r.commit("pipeline")}
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.write("raw.csv", RAW2)
    r.dvc("add", "-q", "raw.csv")
    shas["c2"] = r.commit("new raw data")
    r.tag("churn@v1.1.0", "Registering artifact churn version v1.1.0")
    r.dvc("repro", "-q")
    shas["c3"] = r.commit("reproduced")
    r.tag("churn@v1.2.0", "Registering artifact churn version v1.2.0")
    r.write("prep.sh", "cp raw.csv prepared.csv\necho '3,0' >> prepared.csv\n")
    shas["c4"] = r.commit("one more row")
    r.tag("churn@v1.3.0", "Registering artifact churn version v1.3.0")
    return r, shas


def test_a_run_at_a_commit_whose_lock_is_out_of_date_is_not_pinned_by_it(
        history: tuple[GitRepo, dict[str, str]]) -> None:
    r, c = history
    at_c1, at_c2, at_c3, features_c2, at_c4 = _runs_at(r, [
        ("prepared.csv", c["c1"]), ("prepared.csv", c["c2"]), ("prepared.csv", c["c3"]),
        ("features.csv", c["c2"]), ("prepared.csv", c["c4"])])
    api.init(r.path)
    res = api.harvest(r.path)

    # where the lock agrees with its commit, the runs are pinned to what it records
    assert _strong(r, at_c1) == [f"prepared.csv@{_md5(RAW1)}"]
    assert _strong(r, at_c3) == [f"prepared.csv@{_md5(RAW2)}"]
    # at c2 the lock still gives prepared.csv (and features.csv after it) RAW1's hash
    assert _strong(r, at_c2) == [] and _strong(r, features_c2) == []
    assert _strong(r, at_c4) == []
    said = {w.message.split(" reads ", 1)[0]: w for w in res.report.warnings}
    assert set(said) == {at_c2, features_c2, at_c4}, [w.message for w in res.report.warnings]
    w = said[at_c2]
    assert (w.source, w.commit, w.file) == ("joins", c["c2"], "dvc.lock")
    assert w.message == (
        f"{at_c2} reads prepared.csv, which dvc.lock at its commit {c['c2'][:12]} gives "
        f"prepared.csv {_md5(RAW1)}, from an entry out of date there: stage prepare lists its "
        f"dependency raw.csv as {_md5(RAW1)}, while raw.csv.dvc at that commit records "
        f"{_md5(RAW2)} (dvc repro ran, and its dvc.lock was not committed with the change): "
        "the input stays pinned none, not to the hash that entry gives; commit the dvc.lock "
        "that dvc repro rewrote together with the change that triggered it, then train from "
        "that commit"), w.message
    # the stage after it is out of date by the same cause
    assert "stage prepare lists its dependency raw.csv" in said[features_c2].message
    assert "gives features.csv " in said[features_c2].message
    # the edited script, committed: git holds the file the lock does not list
    assert "stage prepare lists its dependency prep.sh as md5:" in said[at_c4].message
    assert ", while the file committed there has md5:" in said[at_c4].message

    # the audit: the runs at c2 and c4 read data no version pins; c1's and c3's pass
    (found,) = _data_findings(r, at_c2)
    assert "pinned none" in found["message"], found
    assert "a dvc.lock entry out of date there" in found["remediation"], found
    assert _data_findings(r, at_c4) != []
    assert _data_findings(r, at_c1) == [] and _data_findings(r, at_c3) == []
    # nothing new: nothing joined, nothing said again
    res = api.harvest(r.path)
    assert res.new_events == 0 and res.report.warnings == []


def test_a_dos2unix_md5_of_a_text_dependency_is_not_taken_for_a_change(
        git_repo: GitRepo) -> None:
    """DVC 1.x/2.x lock entries (no ``hash: md5``) hash text files with CRLF read as LF: the
    script committed with CRLF line ends agrees with such an entry."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", RAW1)
    r.dvc("add", "-q", "raw.csv")
    r.write("columns.txt", "id\r\nchurned\r\n")  # committed with CRLF line ends
    r.write("dvc.yaml", "stages:\n  prepare:\n    cmd: cp raw.csv prepared.csv\n"
            "    deps: [raw.csv, columns.txt]\n    outs: [prepared.csv]\n")
    r.dvc("repro", "-q")
    lock = (r.path / "dvc.lock").read_text()
    unix = _md5("id\nchurned\n").removeprefix("md5:")
    crlf = _md5("id\r\nchurned\r\n").removeprefix("md5:")
    assert crlf in lock
    # as DVC 2 wrote it: the dos2unix md5, and no `hash: md5`
    r.write("dvc.lock", lock.replace(crlf, unix).replace("      hash: md5\n", ""))
    c1 = r.commit("pipeline (DVC 2 lock)")
    (rid,) = _runs_at(r, [("prepared.csv", c1)])
    api.init(r.path)
    res = api.harvest(r.path)
    assert [w.message for w in res.report.warnings] == []
    assert _strong(r, rid) == [f"prepared.csv@{_md5(RAW1)}"]



REGISTER = """
c = MlflowClient()
with mlflow.start_run() as r:
    pass
if not c.search_registered_models(filter_string="name = 'churn'"):
    c.create_registered_model("churn")
out["version"] = c.create_model_version("churn", os.path.abspath("model.pkl"),
                                        run_id=r.info.run_id).version
"""


def test_an_mlflow_version_registered_at_a_commit_whose_lock_is_out_of_date_gets_no_artifact(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model a stage trains, registered in MLflow from the work tree `dvc repro` left at
    a commit whose lock is out of date: the lock's hash of model.pkl is the model before, so
    the version gets no ARTIFACT edge from it (a warning says why); one registered where the
    lock agrees gets its edge."""
    r = git_repo
    r.dvc("init", "-q")
    r.write(".gitignore", "mlflow.db\nmlruns/\nregister.py\n")
    r.write("raw.csv", RAW1)
    r.dvc("add", "-q", "raw.csv")
    r.write("dvc.yaml", "stages:\n  train:\n    cmd: cp raw.csv model.pkl\n"
            "    deps: [raw.csv]\n    outs: [model.pkl]\n")
    r.dvc("repro", "-q")
    c1 = r.commit("trained")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    at_c1 = run_mlflow(r.path, REGISTER, name="register.py")["version"]
    r.write("raw.csv", RAW2)
    r.dvc("add", "-q", "raw.csv")
    c2 = r.commit("new raw data")
    r.dvc("repro", "-q")  # the lock it rewrites is committed after the registration
    at_c2 = run_mlflow(r.path, REGISTER, name="register.py")["version"]
    r.commit("reproduced")
    api.init(r.path)
    res = CliRunner().invoke(app, ["harvest", "-C", str(r.path), "--json"])
    assert res.exit_code == 0, res.output
    said = [w for w in json.loads(res.stdout)["warnings"] if w["source"] == "joins"]
    (w,) = [w for w in said if f"churn@{at_c2}" in w["message"]]
    assert (w["commit"], w["file"]) == (c2, "dvc.lock")
    assert w["message"].startswith(
        f"model version churn@{at_c2} has its artifact at model.pkl, which dvc.lock at its "
        f"commit {c2[:12]} gives model.pkl {_md5(RAW1)}, from an entry out of date there: "
        f"stage train lists its dependency raw.csv as {_md5(RAW1)}, while raw.csv.dvc at "
        f"that commit records {_md5(RAW2)}"), w["message"]
    assert "no ARTIFACT edge" in w["message"]
    graph = api.open_store(r.path).load_graph()
    assert list(graph.in_edges(f"model:churn@{at_c2}", EdgeKind.ARTIFACT)) == []
    (e,) = graph.in_edges(f"model:churn@{at_c1}", EdgeKind.ARTIFACT)
    assert graph.attrs(e.source)["first_commit"] == c1 and e.attrs["joined"] == "commit"


def test_a_store_joined_by_the_earlier_rules_drops_the_pin_on_upgrade(
        history: tuple[GitRepo, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose joins pinned the run at c2 to what its out-of-date lock gives: the first
    harvest after the upgrade withdraws that pin, the log still verifies, and the harvest
    after writes nothing."""
    from connectors.harvesters import dvc, joins

    r, c = history
    (rid,) = _runs_at(r, [("prepared.csv", c["c2"])])
    api.init(r.path)
    with monkeypatch.context() as m:  # the earlier rules: no lock entry is out of date
        m.setattr(dvc, "stale_at", lambda *a, **k: {})
        m.setattr(joins, "RULES_VERSION", "4")
        assert api.harvest(r.path).report.warnings == []
    assert _strong(r, rid) == [f"prepared.csv@{_md5(RAW1)}"]
    res = api.harvest(r.path)
    assert [(h.name, h.stats.edges_withdrawn) for h in res.harvesters if h.stats.total] == [
        ("joins", {"input": 1})]
    assert _strong(r, rid) == [] and len(_data_findings(r, rid)) == 1
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0


def test_a_frozen_stage_and_a_git_lfs_dependency_are_not_taken_for_out_of_date(
        git_repo: GitRepo) -> None:
    """A frozen stage is not reproduced (its lock entry is what the work tree holds, whatever
    its dependencies say), and a dependency git keeps as a Git LFS pointer is not the bytes
    DVC hashed: neither says the lock is out of date."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", RAW1)
    r.dvc("add", "-q", "raw.csv")
    r.write("dvc.yaml", "stages:\n  prepare:\n    cmd: cp raw.csv prepared.csv\n"
            "    deps: [raw.csv]\n    outs: [prepared.csv]\n"
            "  label:\n    cmd: cp labels.bin labels.out\n    deps: [labels.bin]\n"
            "    outs: [labels.out]\n")
    r.write("labels.bin", "the labels\n")
    r.dvc("repro", "-q")
    r.dvc("freeze", "-q", "prepare")  # frozen: true in dvc.yaml
    r.write("raw.csv", RAW2)
    r.dvc("add", "-q", "raw.csv")
    # what `git lfs track labels.bin` commits: a pointer, while the work tree holds the bytes
    r.write(".gitattributes", "labels.bin filter=lfs diff=lfs merge=lfs -text\n")
    pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:"
               + "0" * 64 + "\nsize 11\n")
    (r.path / "labels.bin").write_text(pointer)  # as git holds it (the clean filter's output)
    c1 = r.commit("new raw data; prepare is frozen; labels in LFS")
    at_prep, at_labels = _runs_at(r, [("prepared.csv", c1), ("labels.out", c1)])
    api.init(r.path)
    res = api.harvest(r.path)
    assert [w.message for w in res.report.warnings if w.source == "joins"] == []
    assert _strong(r, at_prep) == [f"prepared.csv@{_md5(RAW1)}"]
    assert _strong(r, at_labels) == [f"labels.out@{_md5('the labels' + chr(10))}"]


def test_a_stage_with_a_wdir_is_read_from_it(git_repo: GitRepo) -> None:
    """A stage's lock entry names its paths from its ``wdir``: the run at a commit whose
    entry is out of date is told, the one whose entry agrees is pinned to it."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", RAW1)
    r.dvc("add", "-q", "raw.csv")
    r.write("work/.keep", "")
    r.write("dvc.yaml", "stages:\n  prepare:\n    wdir: work\n    cmd: cp ../raw.csv prepared.csv\n"
            "    deps: [../raw.csv]\n    outs: [prepared.csv]\n")
    r.dvc("repro", "-q")
    c1 = r.commit("pipeline")
    r.write("raw.csv", RAW2)
    r.dvc("add", "-q", "raw.csv")
    c2 = r.commit("new raw data")
    at_c1, at_c2 = _runs_at(r, [("work/prepared.csv", c1), ("work/prepared.csv", c2)])
    api.init(r.path)
    res = api.harvest(r.path)
    assert _strong(r, at_c1) == [f"work/prepared.csv@{_md5(RAW1)}"]
    assert _strong(r, at_c2) == []
    (w,) = [w for w in res.report.warnings if w.source == "joins"]
    assert w.message.startswith(f"{at_c2} reads work/prepared.csv, which dvc.lock at its "
                                f"commit {c2[:12]} gives work/prepared.csv {_md5(RAW1)}, from "
                                "an entry out of date there: stage prepare lists its "
                                f"dependency raw.csv as {_md5(RAW1)}"), w.message
