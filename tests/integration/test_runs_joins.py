"""Identity joins across connectors: MLflow / OpenLineage runs ↔ DVC data at the run's commit,
MLflow model versions ↔ GTO versions by artifact hash.

The git, DVC and GTO facts are written into the store the way their harvesters shape them
(lineage/model.py + lineage/ids.py), from a real git repository's history.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lineage import api, ids
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import Store
from tests.conftest import GitRepo
from tests.mlflow_history import (
    EXPECTED,
    FIXTURES,
    MD5_DIR,
    MD5_V1,
    MD5_V2,
    commit_mlflow_history,
    mlflow_run,
    write_history,
)


def _gto_version(store_dir: Path, repo_key: str, sha: str, artifact_hash: str) -> None:
    did = ids.data_id(repo_key, "models/model.pkl", artifact_hash)
    store = Store.open(store_dir)
    with store.transaction():
        store.upsert([
            Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn", registry="gto"),
            Node.make(NodeKind.MODEL, "model:churn@v1.0.0", group="churn", version="v1.0.0",
                      registry="gto", commit=sha),
            Node.make(NodeKind.DATA, did, path="models/model.pkl", hash=artifact_hash,
                      first_commit=sha),
            Edge.make(EdgeKind.DEFINES, ids.commit_id(sha), did),
            Edge.make(EdgeKind.ARTIFACT, did, "model:churn@v1.0.0"),
            Edge.make(EdgeKind.VERSION_OF, "model:churn@v1.0.0", "model_group:churn"),
        ])
        store.append_event("harvest", "test", {"harvester": "gto (simulated)"})
    store.close()


@pytest.fixture
def history(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    r = git_repo
    c1, c2, c3 = commit_mlflow_history(r, monkeypatch, first="data v1 + model")
    r.write("lineage.yaml", "model_aliases:\n  churn-model: churn\n")
    store_dir = api.init(r.path)
    key = write_history(r, store_dir, {
        c1: {"data/train.csv": MD5_V1, "data/images": MD5_DIR,
             "models/model.pkl": EXPECTED["model_md5"]},
        c2: {"data/train.csv": MD5_V2},
    })
    _gto_version(store_dir, key, c1, EXPECTED["model_md5"])
    return {"c1": c1, "c2": c2, "c3": c3, "key": key}


def test_mlflow_dataset_joins_dvc_version_at_run_commit(git_repo: GitRepo,
                                                        history: dict[str, str]) -> None:
    res = api.harvest(git_repo.path, only=["mlflow", "joins"])
    assert res.report.warnings == [], [w.message for w in res.report.warnings]
    graph = api.open_store(git_repo.path).load_graph()
    key = history["key"]
    for run, md5 in (("baseline", MD5_V1), ("tuned", MD5_V2)):
        strong = [e for e in graph.in_edges(mlflow_run(run), EdgeKind.INPUT)
                  if e.attrs.get("pin") == "strong"]
        assert [e.source for e in strong] == [ids.data_id(key, "data/train.csv", md5)]
        e = strong[0]
        assert e.attrs["digest"] == md5 and e.attrs["path"] == "data/train.csv"
        assert graph.attrs(e.attrs["via"])["hash"].startswith("mlflow-digest:")
    # the chain the audit walks: model version → run → commit + DVC data
    up = graph.upstream("model:churn@1")
    assert f"commit:{history['c1']}" in up
    assert ids.data_id(key, "data/train.csv", MD5_V1) in up


def test_same_as_between_registries_by_artifact_hash(git_repo: GitRepo,
                                                      history: dict[str, str]) -> None:
    api.harvest(git_repo.path, only=["mlflow", "joins"])
    graph = api.open_store(git_repo.path).load_graph()
    same = list(graph.edges(EdgeKind.SAME_AS))
    assert [(e.source, e.target) for e in same] == [("model:churn@v1.0.0", "model:churn@1")]
    assert same[0].attrs == {"by": "artifact_hash", "hash": EXPECTED["model_md5"]}
    # both registries' versions sit in the one canonical group, described by its first owner
    assert graph.attrs("model_group:churn")["registry"] == "gto"
    assert set(graph.predecessors("model_group:churn", EdgeKind.VERSION_OF)) == {
        "model:churn@v1.0.0", "model:churn@1", "model:churn@2"}


def test_rejoin_writes_nothing(git_repo: GitRepo, history: dict[str, str]) -> None:
    first = api.harvest(git_repo.path, only=["mlflow", "joins"])
    assert [h.name for h in first.harvesters if h.event_seq] == ["mlflow", "joins"]
    for _ in range(2):
        again = api.harvest(git_repo.path, only=["mlflow", "joins"])
        assert again.new_events == 0
    store = api.open_store(git_repo.path)
    assert store.verify().ok
    store.close()


def test_openlineage_file_dataset_and_dvc_folder_member(git_repo: GitRepo,
                                                        history: dict[str, str]) -> None:
    event = {
        "eventType": "COMPLETE", "eventTime": "2026-01-03T10:00:00Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190a5b2-0000-7000-8000-0000000000aa", "facets": {}},
        "job": {"namespace": "dagster", "name": "featurize", "facets": {"sourceCodeLocation": {
            "type": "git", "url": "https://example.com", "version": history["c2"]}}},
        "inputs": [
            {"namespace": "file", "name": str(git_repo.path / "data" / "train.csv")},
            {"namespace": "file", "name": "data/images/cat.png"},
            {"namespace": "file", "name": "/elsewhere/data/train.csv"},
        ],
        "outputs": [],
    }
    git_repo.write("openlineage/events.jsonl", json.dumps(event) + "\n")
    api.harvest(git_repo.path, only=["openlineage", "joins"])
    graph = api.open_store(git_repo.path).load_graph()
    rid = "run:openlineage:0190a5b2-0000-7000-8000-0000000000aa"
    strong = {e.source: e.attrs for e in graph.in_edges(rid, EdgeKind.INPUT)
              if e.attrs.get("pin") == "strong"}
    key = history["key"]
    assert set(strong) == {ids.data_id(key, "data/train.csv", MD5_V2),
                           ids.data_id(key, "data/images", MD5_DIR)}
    assert strong[ids.data_id(key, "data/images", MD5_DIR)]["member"] == "cat.png"


def test_run_commit_missing_from_history_warns(git_repo: GitRepo,
                                               history: dict[str, str]) -> None:
    conn = sqlite3.connect(git_repo.path / "mlflow.db")
    with conn:
        conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                     "run_uuid=?", ("f" * 40, EXPECTED["run_ids"]["tuned"]))
    conn.close()
    res = api.harvest(git_repo.path, only=["mlflow", "joins"])
    msgs = [str(w) for w in res.report.warnings]
    assert len(msgs) == 1 and "not in the git history" in msgs[0] and "ffffffffffff" in msgs[0]
    # a harvest with nothing new runs no join and says nothing again
    again = api.harvest(git_repo.path, only=["mlflow", "joins"])
    assert again.report.warnings == [] and again.new_events == 0
    graph = api.open_store(git_repo.path).load_graph()
    pins = {e.attrs.get("pin") for e in graph.in_edges(mlflow_run("tuned"), EdgeKind.INPUT)}
    assert pins == {"weak"}


def test_not_listed_without_runs_or_models(git_repo: GitRepo) -> None:
    git_repo.commit("only code")
    store_dir = api.init(git_repo.path)
    write_history(git_repo, store_dir, {})
    assert api.harvest(git_repo.path, only=["joins"]).harvesters == []


def test_chain_on_a_real_dvc_repository(git_repo: GitRepo,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """GTO version ≡ MLflow version → run → commit + the DVC hash `dvc add` recorded."""
    import hashlib
    import os
    import subprocess
    import sys

    import yaml

    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    r = git_repo

    def dvc_add(path: str) -> None:
        subprocess.run([dvc, "add", "-q", path], cwd=r.path, env=r.env(), check=True,
                       capture_output=True)

    subprocess.run([dvc, "init", "-q"], cwd=r.path, env={**r.env(), **os.environ},
                   check=True, capture_output=True)
    r.write("data/train.csv", "age,churned\n31,0\n")
    r.write("models/model.pkl", b"\x80\x04model-bytes")
    dvc_add("data/train.csv")
    dvc_add("models/model.pkl")
    c1 = r.commit("data v1, model")
    r.write("data/train.csv", "age,churned\n31,0\n45,1\n")
    dvc_add("data/train.csv")
    c2 = r.commit("data v2")

    def md5_at(sha: str, path: str) -> str:
        meta = yaml.safe_load(r.git("show", f"{sha}:{path}.dvc"))
        return "md5:" + meta["outs"][0]["md5"]

    v1, v2, model = md5_at(c1, "data/train.csv"), md5_at(c2, "data/train.csv"), \
        md5_at(c1, "models/model.pkl")
    assert model == "md5:" + hashlib.md5(b"\x80\x04model-bytes").hexdigest()
    shutil.copy(FIXTURES / "mlflow.db", r.path / "mlflow.db")
    conn = sqlite3.connect(r.path / "mlflow.db")
    with conn:  # what a training script logs: its commit, and the hash of the model it wrote
        for run, sha in (("baseline", c1), ("tuned", c2)):
            conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                         "run_uuid=?", (sha, EXPECTED["run_ids"][run]))
        conn.execute("UPDATE model_version_tags SET value=? WHERE key='artifact_hash' AND "
                     "version=1", (model.removeprefix("md5:"),))
    conn.close()
    r.write("lineage.yaml", "model_aliases:\n  churn-model: churn\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    store_dir = api.init(r.path)
    key = write_history(r, store_dir, {
        c1: {"data/train.csv": v1, "models/model.pkl": model}, c2: {"data/train.csv": v2}})
    _gto_version(store_dir, key, c1, model)
    res = api.harvest(r.path, only=["mlflow", "joins"])
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    same = [(e.source, e.target) for e in graph.edges(EdgeKind.SAME_AS)]
    assert same == [("model:churn@v1.0.0", "model:churn@1")]
    strong = {e.target: e.source for e in graph.edges(EdgeKind.INPUT)
              if e.attrs.get("pin") == "strong"}
    assert strong == {mlflow_run("baseline"): ids.data_id(key, "data/train.csv", v1),
                      mlflow_run("tuned"): ids.data_id(key, "data/train.csv", v2)}
    up = graph.upstream("model:churn@1")
    assert {f"commit:{c1}", ids.data_id(key, "data/train.csv", v1), mlflow_run("baseline")} <= up
    assert ids.data_id(key, "data/train.csv", v2) not in up


def test_a_run_after_the_data_was_reverted_joins_the_version_its_commit_records(
        git_repo: GitRepo) -> None:
    """v1 → v2 → back to v1 (``git revert`` of a data change): DVC names v1 at the third
    commit, though v1 was first recorded at the first. A run trained there read v1."""
    import subprocess
    import sys

    import yaml

    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    r = git_repo

    def dvc_add(path: str) -> str:
        subprocess.run([dvc, "add", "-q", path], cwd=r.path, env=r.env(), check=True,
                       capture_output=True)
        return "md5:" + yaml.safe_load((r.path / f"{path}.dvc").read_text())["outs"][0]["md5"]

    subprocess.run([dvc, "init", "-q"], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    r.write("data/train.csv", "age,churned\n31,0\n")
    v1 = dvc_add("data/train.csv")
    r.commit("data v1")
    r.write("data/train.csv", "age,churned\n31,0\n45,1\n")
    v2 = dvc_add("data/train.csv")
    r.commit("data v2")
    r.git("revert", "--no-edit", "HEAD")
    c3 = r.git("rev-parse", "HEAD")
    subprocess.run([dvc, "checkout", "-q"], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    assert (r.path / "data/train.csv").read_text() == "age,churned\n31,0\n"
    events = [{"eventType": state, "eventTime": at, "producer": "https://example.com/ci",
               "run": {"runId": "0190a5b2-0000-7000-8000-00000000000a"},
               "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                   "type": "git", "url": "https://example.com/repo", "version": c3}}},
               "inputs": [{"namespace": "file", "name": str(r.path / "data/train.csv")}]}
              for state, at in (("START", "2026-01-05T10:00:00Z"),
                                ("COMPLETE", "2026-01-05T10:05:00Z"))]
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    rid = "run:openlineage:0190a5b2-0000-7000-8000-00000000000a"
    strong = [(graph.attrs(e.source)["hash"], e.attrs["digest"])
              for e in graph.in_edges(rid, EdgeKind.INPUT) if e.attrs.get("pin") == "strong"]
    assert strong == [(v1, v1)]
    assert v2 != v1


def _ol_run(run_id: str, sha: str, at: str, model: Path, md5: str | None = None,
            state: str = "COMPLETE") -> dict:
    out: dict = {"namespace": "file", "name": str(model)}
    if md5:  # what a training script that hashes the file it wrote reports
        out["facets"] = {"version": {"datasetVersion": md5}}
    return {"eventType": state, "eventTime": at, "producer": "https://example.com/ci",
            "run": {"runId": run_id},
            "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/churn", "version": sha}}},
            "outputs": [out]}


@pytest.fixture
def gto_dvc_repo(git_repo: GitRepo) -> dict[str, str]:
    """A real DVC pipeline whose model dvc.yaml declares as GTO artifact ``churn``: trained
    and committed at c1 (registered v1.0.0 there), retrained on new data and committed at c2
    (registered v2.0.0)."""
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "dvc").exists() or not (bin_dir / "gto").exists():
        pytest.skip("dvc and gto are not installed")
    r = git_repo

    def run(*cmd: str) -> None:
        subprocess.run([str(bin_dir / cmd[0]), *cmd[1:]], cwd=r.path, env=r.env(), check=True,
                       capture_output=True)

    run("dvc", "init", "-q")
    r.write("train.py", "import pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
            "pathlib.Path('models/model.pkl').write_bytes(b'model-' + "
            "pathlib.Path('data/train.csv').read_bytes())\n")
    r.write("data/train.csv", "age,churned\n31,0\n")
    run("dvc", "add", "-q", "data/train.csv")
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
            "    deps: [train.py, data/train.csv]\n    outs: [models/model.pkl]\n"
            "artifacts:\n  churn:\n    path: models/model.pkl\n    type: model\n")
    c0 = r.commit("pipeline")
    run("dvc", "repro", "-q")
    c1 = r.commit("train v1")
    run("gto", "register", "churn", "--version", "v1.0.0")
    r.write("data/train.csv", "age,churned\n31,0\n45,1\n")
    run("dvc", "add", "-q", "data/train.csv")
    run("dvc", "repro", "-q")
    c2 = r.commit("train v2")
    run("gto", "register", "churn", "--version", "v2.0.0", c2)
    import hashlib

    md5 = hashlib.md5((r.path / "models/model.pkl").read_bytes()).hexdigest()
    assert f"md5: {md5}" in (r.path / "dvc.lock").read_text()  # DVC's hash of the file
    return {"c0": c0, "c1": c1, "c2": c2, "md5_v2": md5}


RUN_AT_TAG, RUN_BEFORE_COMMIT, RUN_OLD_CODE, RUN_OTHER_BYTES = (
    f"0190a5b2-0000-7000-8000-0000000000{n}" for n in ("a1", "a2", "a3", "a4"))


def test_openlineage_run_produced_the_gto_version_its_output_is(
        git_repo: GitRepo, gto_dvc_repo: dict[str, str]) -> None:
    """An OpenLineage training run is linked to the model version it wrote: by the md5 of the
    file it reports (trained at c1, its result committed and tagged at c2) or, when it reports
    none, by running at the commit the version was tagged at; once it has ended, never by
    harvest order."""
    from lineage.audit.engine import run_audit

    r, h = git_repo, gto_dvc_repo
    model = r.path / "models" / "model.pkl"
    events = [
        _ol_run(RUN_AT_TAG, h["c1"], "2026-01-05T10:00:00Z", model),
        _ol_run(RUN_BEFORE_COMMIT, h["c1"], "2026-01-06T10:00:00Z", model, md5=h["md5_v2"]),
        _ol_run(RUN_OLD_CODE, h["c0"], "2026-01-04T10:00:00Z", model),
        # trained at the tagged commit, but what it wrote is neither version: its START names
        # the output, its COMPLETE the md5 (harvested apart in the second pass below)
        _ol_run(RUN_OTHER_BYTES, h["c2"], "2026-01-07T09:00:00Z", model, state="START"),
        _ol_run(RUN_OTHER_BYTES, h["c2"], "2026-01-07T10:00:00Z", model, md5="0" * 32),
    ]
    want = {(f"run:openlineage:{RUN_AT_TAG}", "model:churn@v1.0.0", "commit"),
            (f"run:openlineage:{RUN_BEFORE_COMMIT}", "model:churn@v2.0.0", "hash")}

    def produced() -> set[tuple[str, str, str]]:
        graph = api.open_store(r.path).load_graph()
        return {(e.source, e.target, e.attrs["by"]) for e in graph.edges(EdgeKind.PRODUCED)}

    # events first, then the registry: one harvest of everything
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    assert produced() == want
    report = run_audit(api.open_store(r.path))
    assert [f.subject for f in report.findings if f.rule == "model-has-run"] == []
    # the other order: registry harvested first, each run's events in a later harvest
    shutil.rmtree(r.path / ".lineage")
    shutil.rmtree(r.path / "openlineage")
    api.init(r.path)
    api.harvest(r.path)
    assert produced() == set()
    for i, e in enumerate(events):
        r.write(f"openlineage/{i}.json", json.dumps(e))
        api.harvest(r.path)
    assert produced() == want
    assert api.harvest(r.path).new_events == 0


def test_openlineage_run_whose_output_is_an_mlflow_model_version(
        git_repo: GitRepo, history: dict[str, str]) -> None:
    """A job that registers its model in MLflow and reports it as an output, named as MLflow
    names it (``models:/<registered name>/<version>``, or the logged model's ``models:/m-…``
    location the version was created from), produced that version."""
    r = git_repo
    events = []
    for run_id, name in (("0190a5b2-0000-7000-8000-0000000000b1", "models:/churn-model/2"),
                         ("0190a5b2-0000-7000-8000-0000000000b2",
                          EXPECTED["versions"]["1"]["source"]),
                         ("0190a5b2-0000-7000-8000-0000000000b3", "models:/churn-model/9")):
        events.append({"eventType": "COMPLETE", "eventTime": "2026-01-05T10:00:00Z",
                       "producer": "https://example.com/ci", "run": {"runId": run_id},
                       "job": {"namespace": "ci", "name": "register"},
                       "outputs": [{"namespace": "mlflow", "name": name}]})
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = api.harvest(r.path, only=["mlflow", "openlineage", "joins"])
    assert res.report.warnings == []
    # a job that wrote the artifact where MLflow keeps it (a local artifact store): the file
    # dataset of that path, in either of OpenLineage's spellings, is that version's artifact
    store = api.open_store(r.path)
    where = store.get_node("model:churn@2").attrs["artifact_uri"]
    store.close()
    for run_id, ns, name in (("0190a5b2-0000-7000-8000-0000000000b4", "file", where),
                             ("0190a5b2-0000-7000-8000-0000000000b5", "file://laptop",
                              f"file://{where}/")):
        events.append({**events[0], "run": {"runId": run_id},
                       "outputs": [{"namespace": ns, "name": name}]})
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = api.harvest(r.path, only=["mlflow", "openlineage", "joins"])
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    produced = {(e.source, e.target, e.attrs.get("by")) for e in graph.edges(EdgeKind.PRODUCED)
                if e.source.startswith("run:openlineage:")}
    assert produced == {
        ("run:openlineage:0190a5b2-0000-7000-8000-0000000000b1", "model:churn@2", "uri"),
        ("run:openlineage:0190a5b2-0000-7000-8000-0000000000b2", "model:churn@1", "uri"),
        ("run:openlineage:0190a5b2-0000-7000-8000-0000000000b4", "model:churn@2", "uri"),
        ("run:openlineage:0190a5b2-0000-7000-8000-0000000000b5", "model:churn@2", "uri")}


def test_openlineage_run_with_an_abbreviated_commit_joins_it(git_repo: GitRepo) -> None:
    """CI jobs often report ``git rev-parse --short HEAD`` or ``git describe`` as
    ``sourceCodeLocation.version``: once git is harvested, an abbreviation that names one commit
    of the history (as git resolves it) is that commit, and the run is pinned to it."""
    from lineage.audit.engine import run_audit

    r = git_repo
    r.write("train.py", "print('train')\n")
    sha = r.commit("train script")
    r.tag("v1.2.0", "release")
    r.write("README", "x\n")
    r.commit("docs")
    describe = r.git("describe", "--tags", "--long", "--abbrev=9", sha)
    runs = {"0190a5b2-0000-7000-8000-0000000000c1": sha[:7],
            "0190a5b2-0000-7000-8000-0000000000c2": describe,
            "0190a5b2-0000-7000-8000-0000000000c3": "main"}
    events = [{"eventType": "COMPLETE", "eventTime": "2026-01-05T10:00:00Z",
               "producer": "https://example.com/ci", "run": {"runId": run_id},
               "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                   "type": "git", "url": "https://example.com/churn", "version": version}}}}
              for run_id, version in runs.items()]
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    code = {rid.removeprefix("run:openlineage:"): [e.source for e in graph.in_edges(
        rid, EdgeKind.CODE)] for rid in (f"run:openlineage:{x}" for x in runs)}
    assert code == {"0190a5b2-0000-7000-8000-0000000000c1": [f"commit:{sha}"],
                    "0190a5b2-0000-7000-8000-0000000000c2": [f"commit:{sha}"],
                    "0190a5b2-0000-7000-8000-0000000000c3": []}
    # none of these jobs produced or fed a model version: the run rules leave them out of the
    # audit's scope and count them, rather than reporting the unpinned one
    report = run_audit(api.open_store(r.path))
    assert [f.subject for f in report.findings if f.rule == "run-code-pinned"] == []
    assert report.as_dict()["summary"]["runs_out_of_scope"] == 3


def _dvc_repo_with_two_versions(r: GitRepo, init: bool = True) -> tuple[str, str, str, str]:
    """data/train.csv tracked by DVC: "a,1" at c1, "a,2" at c2; (c1, c2, md5 at c1, at c2)."""
    import subprocess
    import sys

    import yaml

    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")

    def dvc_add(path: str) -> str:
        subprocess.run([dvc, "add", "-q", path], cwd=r.path, env=r.env(), check=True,
                       capture_output=True)
        return "md5:" + yaml.safe_load((r.path / f"{path}.dvc").read_text())["outs"][0]["md5"]

    if init:
        subprocess.run([dvc, "init", "-q"], cwd=r.path, env=r.env(), check=True,
                       capture_output=True)
    r.write("data/train.csv", "a,1\n")
    v1 = dvc_add("data/train.csv")
    c1 = r.commit("data v1")
    r.write("data/train.csv", "a,2\n")
    v2 = dvc_add("data/train.csv")
    c2 = r.commit("data v2")
    return c1, c2, v1, v2


def _train_event(r: GitRepo, state: str, at: str, version: str) -> dict:
    return {"eventType": state, "eventTime": at, "producer": "https://example.com/ci",
            "run": {"runId": "0190a5b2-0000-7000-8000-0000000000d1"},
            "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/repo", "version": version}}},
            "inputs": [{"namespace": "file", "name": str(r.path / "data/train.csv")}]}


@pytest.mark.parametrize("short", [False, True], ids=["sha", "abbreviated"])
def test_a_run_whose_commit_changed_keeps_only_the_pins_of_its_new_commit(
        git_repo: GitRepo, short: bool) -> None:
    """START names c1, the COMPLETE harvested later names c2: the run read the data c2 records
    and its code is c2's; the pin (and the abbreviated commit's CODE edge) the first harvest
    joined at c1 go."""
    r = git_repo
    c1, c2, v1, v2 = _dvc_repo_with_two_versions(r)
    spell = (lambda sha: sha[:9]) if short else (lambda sha: sha)
    rid = "run:openlineage:0190a5b2-0000-7000-8000-0000000000d1"
    log = r.path / "openlineage" / "events.jsonl"
    r.write("openlineage/events.jsonl",
            json.dumps(_train_event(r, "START", "2026-01-05T10:00:00Z", spell(c1))) + "\n")
    api.init(r.path)
    api.harvest(r.path)

    def pins() -> tuple[list[str], list[str]]:
        store = api.open_store(r.path)
        graph = store.load_graph()
        store.close()
        strong = sorted(graph.attrs(e.source)["hash"] for e in graph.in_edges(rid, EdgeKind.INPUT)
                        if e.attrs.get("pin") == "strong")
        return strong, sorted(e.source for e in graph.in_edges(rid, EdgeKind.CODE))

    assert pins() == ([v1], [f"commit:{c1}"])
    with log.open("a") as f:
        f.write(json.dumps(_train_event(r, "COMPLETE", "2026-01-05T10:05:00Z", spell(c2))) + "\n")
    res = api.harvest(r.path)
    assert res.report.warnings == []
    assert pins() == ([v2], [f"commit:{c2}"])
    assert api.harvest(r.path).new_events == 0
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()


def test_a_run_whose_commit_changed_no_longer_produced_the_version_of_the_old_one(
        git_repo: GitRepo, gto_dvc_repo: dict[str, str]) -> None:
    """A run that reports no md5 produced the version registered at its commit; a later event
    that names another commit (the producer corrected it) moves the PRODUCED edge."""
    r, h = git_repo, gto_dvc_repo
    model = r.path / "models" / "model.pkl"
    r.write("openlineage/events.jsonl", json.dumps(
        _ol_run(RUN_AT_TAG, h["c1"], "2026-01-05T10:00:00Z", model)) + "\n")
    api.init(r.path)
    api.harvest(r.path)

    def produced() -> set[tuple[str, str]]:
        store = api.open_store(r.path)
        graph = store.load_graph()
        store.close()
        return {(e.source, e.target) for e in graph.edges(EdgeKind.PRODUCED)}

    rid = f"run:openlineage:{RUN_AT_TAG}"
    assert produced() == {(rid, "model:churn@v1.0.0")}
    with (r.path / "openlineage" / "events.jsonl").open("a") as f:
        f.write(json.dumps(_ol_run(RUN_AT_TAG, h["c2"], "2026-01-05T10:01:00Z", model)) + "\n")
    api.harvest(r.path)
    assert produced() == {(rid, "model:churn@v2.0.0")}


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_file_dvc_checked_out_as_a_link_is_pinned_by_its_repository_path(
        git_repo: GitRepo, link: str) -> None:
    """``dvc config cache.type symlink`` (large data): data/train.csv is a link into
    .dvc/cache. The OpenLineage input names the work-tree file; it is that path of the
    repository, pinned to the version its commit records, not the cache file it links to."""
    import subprocess
    import sys

    r = git_repo
    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).exists():
        pytest.skip("dvc is not installed")
    subprocess.run([dvc, "init", "-q"], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    subprocess.run([dvc, "config", "cache.type", link], cwd=r.path, env=r.env(), check=True,
                   capture_output=True)
    _c1, _c2, _v1, v2 = _dvc_repo_with_two_versions(r, init=False)
    assert (r.path / "data/train.csv").is_symlink() == (link == "symlink")
    r.write("openlineage/events.jsonl", json.dumps(
        _train_event(r, "COMPLETE", "2026-01-05T10:05:00Z", r.git("rev-parse", "HEAD"))) + "\n")
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    graph = api.open_store(r.path).load_graph()
    rid = "run:openlineage:0190a5b2-0000-7000-8000-0000000000d1"
    strong = [graph.attrs(e.source)["hash"] for e in graph.in_edges(rid, EdgeKind.INPUT)
              if e.attrs.get("pin") == "strong"]
    assert strong == [v2]


def test_an_input_whose_reported_md5_is_not_the_commits_is_not_pinned_to_it(
        git_repo: GitRepo) -> None:
    """The job hashed what it read and reports it (``datasetVersion``, DVC's md5): when that is
    not the version its commit records (the file was changed in the work tree and not added
    to DVC), the run did not read that version: it is not strongly pinned to it (a warning
    says why)."""
    r = git_repo
    _c1, c2, _v1, v2 = _dvc_repo_with_two_versions(r)
    rid = "run:openlineage:0190a5b2-0000-7000-8000-0000000000d1"
    other = "0" * 32
    events = []
    for run_id, md5 in (("0190a5b2-0000-7000-8000-0000000000d1", other),
                        ("0190a5b2-0000-7000-8000-0000000000d2", v2.removeprefix("md5:"))):
        e = _train_event(r, "COMPLETE", "2026-01-05T10:05:00Z", c2)
        e["run"]["runId"] = run_id
        e["inputs"][0]["facets"] = {"version": {"datasetVersion": md5}}
        events.append(json.dumps(e) + "\n")
    r.write("openlineage/events.jsonl", "".join(events))
    api.init(r.path)
    res = api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()

    def strong(run: str) -> list[str]:
        return [graph.attrs(e.source)["hash"] for e in graph.in_edges(run, EdgeKind.INPUT)
                if e.attrs.get("pin") == "strong"]

    assert strong(rid) == []
    assert strong("run:openlineage:0190a5b2-0000-7000-8000-0000000000d2") == [v2]
    assert [w.message for w in res.report.warnings if rid in w.message and other in w.message]
    assert len(res.report.warnings) == 1


def test_a_run_at_a_commit_where_dvc_no_longer_tracks_the_file_is_not_pinned(
        git_repo: GitRepo) -> None:
    """``dvc remove data/train.csv.dvc`` and the file committed to git, changed: a run at that
    commit read the git file, not the version DVC recorded before; no strong pin (the audit's
    run-data-pinned must not count it)."""
    import subprocess
    import sys

    r = git_repo
    _c1, c2, _v1, _v2 = _dvc_repo_with_two_versions(r)
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "remove", "-q", "data/train.csv.dvc"], cwd=r.path, env=r.env(),
                   check=True, capture_output=True)
    r.write("data/train.csv", "a,3\n")
    r.git("add", "-f", "data/train.csv")
    c3 = r.commit("data in git")
    assert c3 != c2 and "data/train.csv" in r.git("ls-files")
    r.write("openlineage/events.jsonl", json.dumps(
        _train_event(r, "COMPLETE", "2026-01-05T10:05:00Z", c3)) + "\n")
    api.init(r.path)
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    rid = "run:openlineage:0190a5b2-0000-7000-8000-0000000000d1"
    assert [e.source for e in graph.in_edges(rid, EdgeKind.INPUT)
            if e.attrs.get("pin") == "strong"] == []


def test_an_mlflow_version_whose_commit_changed_is_no_longer_the_gto_version_of_the_old_bytes(
        git_repo: GitRepo) -> None:
    """An MLflow version whose artifact is a repository path gets the ARTIFACT edge from the
    DVC version at its commit, and is SAME_AS the GTO version of those bytes. Its commit
    corrected to a commit where the file is other bytes: the ARTIFACT edge and the SAME_AS it
    gave go in that same harvest."""
    r = git_repo
    c1, c2, v1, _v2 = _dvc_repo_with_two_versions(r)
    api.init(r.path)
    api.harvest(r.path, only=["git", "dvc"])

    def put_versions(sha: str) -> None:
        store = api.open_store(r.path)
        with store.transaction():
            store.upsert([
                Node.make(NodeKind.MODEL, "model:m@v1.0.0", group="m", version="v1.0.0",
                          registry="gto", artifact_hash=v1, commit=c1),
                Node.make(NodeKind.MODEL, "model:m@1", group="m", version="1",
                          registry="mlflow", commit=sha,
                          properties={"source_path": "data/train.csv"}),
            ])
            store.append_event("harvest", "test", {"harvester": "registries (simulated)"})
        store.close()

    def joined() -> tuple[set[str], set[tuple[str, str]]]:
        store = api.open_store(r.path)
        graph = store.load_graph()
        store.close()
        return ({graph.attrs(e.source)["hash"] for e in graph.in_edges("model:m@1",
                                                                     EdgeKind.ARTIFACT)},
                {(e.source, e.target) for e in graph.edges(EdgeKind.SAME_AS)})

    put_versions(c1)
    api.harvest(r.path, only=["joins"])
    assert joined() == ({v1}, {("model:m@v1.0.0", "model:m@1")})
    put_versions(c2)
    api.harvest(r.path, only=["joins"])
    assert joined()[1] == set()
    assert v1 not in joined()[0]
