"""Runs at a commit whose own DVC files list the input path with no hash, on real git + DVC
repositories: DVC tracks the path there but recorded no content (``dvc import-url
--no-download``, an entry DVC could not hash), so the run is not pinned to the version an
ancestor recorded. It keeps its weak pin, with one warning naming the run, the path, the
commit and the file, and ``lineage audit`` reports its data as not content-pinned."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

RUN = "0190a5b2-0000-7000-8000-0000000000f1"
RID = f"run:openlineage:{RUN}"
DATA = "age,churned\n31,0\n45,1\n"


def _md5(text: str) -> str:
    import hashlib

    return "md5:" + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _runs_at(r: GitRepo, path: str, *shas: str) -> list[str]:
    """One OpenLineage run reading ``path`` per commit (the first is ``RUN``), each reporting
    no md5 for it (pin ``none``) and writing model.pkl, started before the model was registered
    (a run that started after did not produce it): its run ids."""
    ids = [f"{RUN[:-2]}f{i}" for i in range(1, len(shas) + 1)]
    events = [{"eventType": "COMPLETE", "eventTime": "2026-01-01T01:30:00Z",
               "producer": "https://example.com/ci", "run": {"runId": rid},
               "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                   "type": "git", "url": "https://example.com/repo", "version": sha}}},
               "inputs": [{"namespace": "file", "name": str(r.path / path)}],
               "outputs": [{"namespace": "file", "name": str(r.path / "model.pkl")}]}
              for rid, sha in zip(ids, shas, strict=True)]
    r.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    return [f"run:openlineage:{rid}" for rid in ids]


def _inputs(r: GitRepo, rid: str) -> list[tuple[str, str]]:
    """(data id, pin) of every input of the run, strong pins first."""
    graph = api.open_store(r.path).load_graph()
    return sorted(((e.source, str(e.attrs.get("pin"))) for e in graph.in_edges(rid,
                                                                                EdgeKind.INPUT)),
                  key=lambda x: (x[1] != "strong", x))


def _data_findings(r: GitRepo, rid: str) -> list[dict[str, Any]]:
    res = CliRunner().invoke(app, ["audit", "-C", str(r.path), "--format", "json"])
    return [f for f in json.loads(res.stdout)["findings"]
            if f["rule"] == "run-data-pinned" and f["subject"] == rid]


@pytest.fixture
def no_download(git_repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, str, str]:
    """data.csv added with `dvc add` (c1), then turned into an import of a source file with
    `dvc import-url --no-download` (c2): c2's data.csv.dvc tracks data.csv with no hash. The
    model a run writes, model.pkl, is GTO's ``churn``, registered at both commits (so the
    audit checks the runs that produced it)."""
    r = git_repo
    src = tmp_path / "source.csv"
    src.write_text("age,churned\n52,1\n")
    r.dvc("init", "-q")
    r.write("data.csv", DATA)
    r.dvc("add", "-q", "data.csv")
    r.write("model.pkl", "model\n")
    r.dvc("add", "-q", "model.pkl")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n")
    c1 = r.commit("data added")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.dvc("import-url", "-q", "--no-download", "--force", str(src), "data.csv")
    c2 = r.commit("data imported, not downloaded")
    r.tag("churn@v2.0.0", "Registering artifact churn version v2.0.0")
    (out,) = [o for o in _dvc_file(r, c2, "data.csv.dvc")["outs"]]
    assert out["path"] == "data.csv" and "md5" not in out, out  # DVC's own: no hash
    return r, c1, c2


def _dvc_file(r: GitRepo, sha: str, path: str) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load(r.git("show", f"{sha}:{path}")))


def test_a_run_at_a_commit_whose_dvc_file_has_no_hash_is_not_pinned_to_the_ancestors(
        no_download: tuple[GitRepo, str, str]) -> None:
    r, c1, c2 = no_download
    at_c2, at_c1 = _runs_at(r, "data.csv", c2, c1)
    api.init(r.path)
    res = api.harvest(r.path)
    # c2's file says DVC tracks data.csv there with no content: no version is c2's
    assert [pin for _, pin in _inputs(r, at_c2)] == ["none"]
    # the run at c1 is pinned to the version c1 records
    (strong, _), _weak = _inputs(r, at_c1)
    assert strong.endswith(f":data.csv@{_md5(DATA)}")
    (w,) = res.report.warnings
    assert (w.source, w.commit, w.file) == ("joins", c2, "data.csv.dvc")
    assert w.message.startswith(f"{at_c2} reads data.csv, which data.csv.dvc at its commit "
                                f"{c2[:12]} lists with no hash"), w.message
    assert "stays pinned none" in w.message and "dvc commit" in w.message
    # the audit tells that the run's data is not content-pinned; the run at c1 passes
    (found,) = _data_findings(r, at_c2)
    assert "pinned none" in found["message"], found
    assert _data_findings(r, at_c1) == []
    # a harvest with nothing new joins nothing and repeats no warning
    res = api.harvest(r.path)
    assert res.new_events == 0 and res.report.warnings == []


def test_a_lock_entry_without_a_hash_is_not_pinned_to_the_ancestors_version(
        git_repo: GitRepo) -> None:
    """A pipeline's dvc.lock at a later commit whose entry for the output has ``hash: md5``
    and no ``md5`` (the shape DVC writes for an entry it could not hash, as for a dependency
    of `dvc exp run --allow-missing`): a run at that commit is not pinned; one whose input is
    a file inside a folder that commit records with a hash is, to the folder's version."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("prep.py", "import os\nos.makedirs('data/imgs', exist_ok=True)\n"
            "open('data/prep.csv', 'w').write('p,1\\n')\n"
            "open('data/imgs/a.txt', 'w').write('a\\n')\n")
    r.write("dvc.yaml", f"stages:\n  prepare:\n    cmd: {sys.executable} prep.py\n"
            "    deps: [prep.py]\n    outs: [data/prep.csv, data/imgs]\n")
    r.dvc("repro", "-q")
    c1 = r.commit("pipeline")
    lock = (r.path / "dvc.lock").read_text()
    # data/prep.csv's md5 line gone; data/imgs/a.txt named as a dependency with no hash
    unhashed = re.sub(r"(- path: data/prep\.csv\n\s+hash: md5\n)\s+md5: \w+\n", r"\1", lock)
    unhashed = unhashed.replace("    deps:\n", "    deps:\n    - path: data/imgs/a.txt\n"
                                "      hash: md5\n", 1)
    assert unhashed.count("md5: ") == lock.count("md5: ") - 1
    r.write("dvc.lock", unhashed)
    r.write("notes.txt", "retrained\n")
    c2 = r.commit("lock without the output's hash")
    ids = _runs_at(r, "data/prep.csv", c2, c1)
    events = (r.path / "openlineage/events.jsonl").read_text()
    r.write("openlineage/events.jsonl", events + events.splitlines()[0].replace(
        RUN[:-2] + "f1", RUN[:-2] + "f9").replace("data/prep.csv", "data/imgs/a.txt") + "\n")
    api.init(r.path)
    res = api.harvest(r.path)
    assert [pin for _, pin in _inputs(r, ids[0])] == ["none"]
    assert [pin for _, pin in _inputs(r, ids[1])] == ["strong", "none"]
    (w,) = res.report.warnings
    assert (w.commit, w.file) == (c2, "dvc.lock") and ids[0] in w.message
    # a file inside a folder its commit records: the folder's version, the member named
    graph = api.open_store(r.path).load_graph()
    (member,) = [e.attrs for e in graph.in_edges(f"run:openlineage:{RUN[:-2]}f9",
                                                 EdgeKind.INPUT) if e.attrs.get("pin") == "strong"]
    assert member["member"] == "a.txt" and member["path"] == "data/imgs/a.txt"
    # the folder itself listed with no hash (c3): the file inside it is not pinned either
    r.write("dvc.lock", re.sub(r"(- path: data/imgs\n\s+hash: md5\n)\s+md5: \S+\n", r"\1",
                               unhashed))
    c3 = r.commit("lock without the folder's hash")
    events = (r.path / "openlineage/events.jsonl").read_text()
    r.write("openlineage/events.jsonl", events + events.splitlines()[-1].replace(
        RUN[:-2] + "f9", RUN[:-2] + "fa").replace(c2, c3) + "\n")
    res = api.harvest(r.path)
    in_folder = f"run:openlineage:{RUN[:-2]}fa"
    assert [pin for _, pin in _inputs(r, in_folder)] == ["none"]
    (w,) = [w for w in res.report.warnings if w.commit == c3]
    assert w.message.startswith(f"{in_folder} reads data/imgs/a.txt, in data/imgs, which "
                                f"dvc.lock at its commit {c3[:12]} lists with no hash"), w


def test_a_store_joined_before_loses_the_pin_to_the_ancestors_version(
        no_download: tuple[GitRepo, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose joins pinned the run to the version an ancestor recorded: the first
    harvest after the upgrade withdraws that pin although nothing else changed, the log still
    verifies, and the harvest after writes nothing."""
    from connectors.harvesters import dvc, joins

    r, _c1, c2 = no_download
    (rid,) = _runs_at(r, "data.csv", c2)
    api.init(r.path)
    real = dvc.artifact_data_at
    with monkeypatch.context() as m:  # the earlier rules: entries without a hash not asked for
        m.setattr(dvc, "artifact_data_at",
                  lambda *a, unhashed=None, **k: real(*a, **k))
        m.setattr(joins, "RULES_VERSION", "2")
        assert api.harvest(r.path).report.warnings == []
    (strong, pin), _ = _inputs(r, rid)
    assert pin == "strong" and strong.endswith(f":data.csv@{_md5(DATA)}")
    assert _data_findings(r, rid) == []
    res = api.harvest(r.path)
    assert [(h.name, h.stats.total, h.stats.edges_withdrawn) for h in res.harvesters
            if h.stats.total] == [("joins", 1, {"input": 1})]
    assert [pin for _, pin in _inputs(r, rid)] == ["none"]
    assert len(_data_findings(r, rid)) == 1
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0


def test_a_file_no_parser_reads_says_nothing(no_download: tuple[GitRepo, str, str]) -> None:
    """Beside the DVC file that lists data.csv with no hash, a dvc.lock no parser can read
    says nothing: the run is not pinned. A commit whose only DVC file for data.csv cannot be
    read (DVC refuses it too) pins nothing either: not the version c1 recorded, which would be
    a guess — a warning names the file and the fix."""
    r, _c1, _c2 = no_download
    r.write("dvc.lock", "schema: '2.0'\nstages:\n  broken: [\n")
    c3 = r.commit("a broken lock beside the import")
    r.write("data.csv.dvc", "outs:\n- path: data.csv\n  md5: [\n")
    r.git("rm", "-q", "--cached", "dvc.lock")
    (r.path / "dvc.lock").unlink()
    c4 = r.commit("the import file broken")
    at_c3, at_c4 = _runs_at(r, "data.csv", c3, c4)
    api.init(r.path)
    res = api.harvest(r.path)
    assert [pin for _, pin in _inputs(r, at_c3)] == ["none"]
    assert [pin for _, pin in _inputs(r, at_c4)] == ["none"]
    joins = [(w.commit, w.file) for w in res.report.warnings if w.source == "joins"]
    assert joins == [(c3, "data.csv.dvc"), (c4, "data.csv.dvc")], res.report.warnings


def test_an_mlflow_run_at_such_a_commit_is_not_pinned_either(
        git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MLflow fixture store's runs read data/train.csv: ``baseline`` at c1, where `dvc
    add` recorded it, is pinned to that version; ``tuned`` at c2, where `dvc import-url
    --no-download` tracks it with no hash, keeps its weak pin (MLflow's digest), with the
    warning naming the run, and the audit reports it."""
    import shutil
    import sqlite3

    from tests.mlflow_history import EXPECTED, FIXTURES, mlflow_run

    r = git_repo
    src = tmp_path / "train.csv"
    src.write_text("age,churned\n52,1\n")
    r.dvc("init", "-q")
    r.write("data/train.csv", DATA)
    r.dvc("add", "-q", "data/train.csv")
    c1 = r.commit("data v1")
    r.dvc("import-url", "-q", "--no-download", "--force", str(src), "data/train.csv")
    c2 = r.commit("data imported, not downloaded")
    shutil.copy(FIXTURES / "mlflow.db", r.path / "mlflow.db")
    conn = sqlite3.connect(r.path / "mlflow.db")
    with conn:  # the runs were trained at these commits
        for run, sha in (("baseline", c1), ("tuned", c2)):
            conn.execute("UPDATE tags SET value=? WHERE key='mlflow.source.git.commit' AND "
                         "run_uuid=?", (sha, EXPECTED["run_ids"][run]))
    conn.close()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    res = api.harvest(r.path)
    tuned, baseline = mlflow_run("tuned"), mlflow_run("baseline")

    def pins(rid: str) -> list[tuple[str, str]]:
        return [(d.rsplit("@", 1)[1], pin) for d, pin in _inputs(r, rid)]
    assert pins(baseline)[0] == (_md5(DATA), "strong")
    assert [pin for _, pin in pins(tuned)] == ["weak"], pins(tuned)
    (w,) = [w for w in res.report.warnings if w.source == "joins"]
    assert (w.commit, w.file) == (c2, "data/train.csv.dvc")
    assert w.message.startswith(f"{tuned} reads data/train.csv, which data/train.csv.dvc")
    assert "stays pinned weak" in w.message
    (found,) = _data_findings(r, tuned)
    assert "is pinned weak, not by content hash" in found["message"], found
    assert _data_findings(r, baseline) == []
