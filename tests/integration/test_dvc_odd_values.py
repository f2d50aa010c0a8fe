"""Odd values in DVC files that are otherwise DVC's: an unknown lock ``schema``, ``size: big``,
``nfiles: x``, ``deps: 5`` in dvc.yaml, an ``md5`` that is no digest, ``outs:`` a mapping.
Each is a warning naming commit, file, line and field; nothing odd lands in the graph; the
rest of the history is harvested; the harvest ends normally."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

A, B, C = "a" * 32, "b" * 32, "c" * 32
DATA = "0123456789abcdef0123456789abcdef"


def _lock(out_md5: str, *, schema: str = "'2.0'", size: str = "20",
          outs: str | None = None) -> str:
    """A DVC 3 lock file with one stage; ``outs`` replaces its whole ``outs:`` block."""
    outs = outs if outs is not None else (
        "    outs:\n    - path: model.pkl\n      hash: md5\n"
        f"      md5: {out_md5}\n      size: {size}\n")
    return (f"schema: {schema}\nstages:\n  train:\n    cmd: python train.py\n"
            f"    deps:\n    - path: data.csv\n      hash: md5\n      md5: {DATA}\n"
            f"      size: 10\n{outs}")



def _with_params(lock: str, params: str) -> str:
    """``lock`` with a ``params:`` block (``params``: its lines) before the stage's deps."""
    return lock.replace("    deps:\n", f"    params:\n{params}    deps:\n", 1)


PIPELINE = "stages:\n  train:\n    cmd: python train.py\n    deps:\n    - data.csv\n" \
           "    outs:\n    - model.pkl\n"


def _harvest_json(repo: GitRepo) -> dict[str, Any]:
    """``lineage init`` + ``lineage harvest --json``, as a user runs them."""
    runner = CliRunner()
    res = runner.invoke(app, ["init", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["harvest", "--repo", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output  # a warning, never a failure
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def _dvc_warnings(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in out["warnings"] if w["source"] == "dvc"]


def _graph(repo: GitRepo) -> dict[str, Any]:
    res = CliRunner().invoke(app, ["export", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    graph: dict[str, Any] = json.loads(res.stdout)
    return graph


def _data(graph: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """hash → attrs of the data versions of ``path``."""
    return {n["attrs"]["hash"]: n["attrs"] for n in graph["nodes"]
            if n["kind"] == "data" and n["attrs"]["path"] == path}


def _values(graph: dict[str, Any]) -> list[Any]:
    """Every attribute value of every node, nested ones included."""
    out: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        else:
            out.append(v)
    for n in graph["nodes"]:
        walk(n["attrs"])
    return out


def test_an_unknown_lock_schema_is_read_as_the_newest_known_with_one_warning(
        git_repo: GitRepo) -> None:
    git_repo.write("dvc.yaml", PIPELINE)
    git_repo.write("dvc.lock", _lock(A))
    first = git_repo.commit("pipeline")
    git_repo.write("dvc.lock", _lock(B, schema="'9.0'"))
    future = git_repo.commit("retrain with a future DVC")
    git_repo.write("dvc.lock", _lock(C, schema="'9.0'"))
    git_repo.commit("retrain again")
    out = _harvest_json(git_repo)
    (w,) = _dvc_warnings(out)  # one warning for the file, not one per commit
    assert (w["commit"], w["file"], w["line"], w["field"]) == (future, "dvc.lock", 1, "schema")
    assert "schema '9.0' is not a dvc.lock schema" in w["message"]
    assert "read as '2.0'" in w["message"] and "upgrade lineage" in w["message"]
    graph = _graph(git_repo)
    # every commit's stage and output harvested, the future ones read as schema 2.0
    assert set(_data(graph, "model.pkl")) == {f"md5:{h}" for h in (A, B, C)}
    assert _data(graph, "model.pkl")[f"md5:{A}"]["first_commit"] == first
    assert _data(graph, "model.pkl")[f"md5:{B}"]["size"] == 20
    assert sum(n["kind"] == "stage" for n in graph["nodes"]) == 3


def test_a_size_or_nfiles_that_is_no_number_is_left_out_with_a_warning(
        git_repo: GitRepo) -> None:
    git_repo.write("dvc.yaml", PIPELINE)
    git_repo.write("dvc.lock", _lock(A))
    git_repo.write("images.dvc", f"outs:\n- md5: {DATA}.dir\n  size: 300\n  nfiles: 3\n"
                                 "  hash: md5\n  path: images\n")
    git_repo.commit("pipeline and images")
    git_repo.write("dvc.lock", _lock(B, size="big"))
    git_repo.write("images.dvc", f"outs:\n- md5: {A}.dir\n  size: 400\n  nfiles: x\n"
                                 "  hash: md5\n  path: images\n")
    odd = git_repo.commit("hand-edited")
    git_repo.write("dvc.lock", _lock(C, size="big"))  # train rerun: the odd size carried along
    git_repo.commit("retrain")
    git_repo.write("dvc.lock", _lock(A))
    git_repo.commit("back to the first model")
    out = _harvest_json(git_repo)
    warns = _dvc_warnings(out)
    got = {(w["commit"], w["file"], w["line"], w["field"]) for w in warns}
    assert got == {(odd, "dvc.lock", 14, "stages.train.outs.0.size"),
                   (odd, "images.dvc", 4, "outs.0.nfiles")}, warns
    assert len(warns) == 2  # the size carried to the next commit is not told again
    size = next(w for w in warns if w["file"] == "dvc.lock")["message"]
    assert "size of 'model.pkl' is 'big', not a whole number of bytes; left out" in size
    nfiles = next(w for w in warns if w["file"] == "images.dvc")["message"]
    assert "nfiles of 'images' is 'x', not a whole number of files; left out" in nfiles
    graph = _graph(git_repo)
    models = _data(graph, "model.pkl")
    assert set(models) == {f"md5:{h}" for h in (A, B, C)}
    assert "size" not in models[f"md5:{B}"] and "size" not in models[f"md5:{C}"]
    assert models[f"md5:{A}"]["size"] == 20
    images = _data(graph, "images")
    assert images[f"md5:{A}.dir"]["size"] == 400 and "nfiles" not in images[f"md5:{A}.dir"]
    assert images[f"md5:{DATA}.dir"]["nfiles"] == 3
    values = _values(graph)
    assert "big" not in values and "x" not in values


def test_the_human_summary_names_commit_file_line_and_field(git_repo: GitRepo) -> None:
    git_repo.write("dvc.lock", _lock(A, size="-1"))
    commit = git_repo.commit("a negative size")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--repo", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["harvest", "--repo", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    assert "1 warning(s):" in res.output
    assert (f"[dvc] commit {commit[:12]}, dvc.lock:14, field stages.train.outs.0.size: "
            "stage 'train' outs: size of 'model.pkl' is -1, not a whole number of bytes; "
            "left out (fix the entry, or rewrite it with dvc commit)") in res.output
    assert "Traceback" not in res.output


def test_odd_values_in_dvc_yaml_are_warnings_and_the_rest_is_read(git_repo: GitRepo) -> None:
    """DVC refuses such a dvc.yaml; lineage reads what it needs from it (wdir, frozen,
    artifacts) and from dvc.lock, and says what is wrong where."""
    git_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n    deps: 5\n"
                               "    frozen: 'no'\n    outs:\n    - model.pkl\n"
                               "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n"
                               "    labels: {a: 1}\n")
    git_repo.write("dvc.lock", _lock(A))
    odd = git_repo.commit("hand-written pipeline")
    git_repo.write("dvc.yaml", (git_repo.path / "dvc.yaml").read_text()
                   + "    desc: the churn model\n")
    later = git_repo.commit("describe the model")
    git_repo.write("dvc.lock", _lock(B))
    git_repo.commit("retrain")
    out = _harvest_json(git_repo)
    warns = _dvc_warnings(out)
    got = sorted((w["commit"], w["file"], w["line"], w["field"]) for w in warns)
    assert got == sorted([(odd, "dvc.yaml", 4, "stages.train.deps"),
                          (odd, "dvc.yaml", 5, "stages.train.frozen"),
                          (odd, "dvc.yaml", 12, "artifacts.churn.labels")]), warns
    by_field = {w["field"]: w["message"] for w in warns}
    assert "deps is 5, not a list" in by_field["stages.train.deps"]
    assert "DVC refuses this dvc.yaml" in by_field["stages.train.deps"]
    assert "frozen is 'no', not true or false" in by_field["stages.train.frozen"]
    assert "not frozen" in by_field["stages.train.frozen"]
    assert later not in {w["commit"] for w in warns}  # the same problems, told once
    graph = _graph(git_repo)
    stages = [n["attrs"] for n in graph["nodes"] if n["kind"] == "stage"]
    assert len(stages) == 2 and all(s["frozen"] is False for s in stages)  # 'no' is not true
    assert all(s["deps"] == ["data.csv"] for s in stages)  # from dvc.lock
    (group,) = [n["attrs"] for n in graph["nodes"] if n["kind"] == "model_group"]
    assert group["path"] == "model.pkl" and group["type"] == "model"
    assert group["description"] == "the churn model" and "labels" not in group


@pytest.mark.parametrize("outs,field,line,said", [
    ("    outs:\n    - path: model.pkl\n      hash: md5\n      md5: not-a-digest\n",
     "stages.train.outs.0.md5", 13, "md5 of 'model.pkl' is 'not-a-digest', not an MD5 digest"),
    ("    outs:\n    - path: model.pkl\n      hash: md5\n      md5: 12345\n",
     "stages.train.outs.0.md5", 13, "md5 of 'model.pkl' is 12345, not an MD5 digest"),
    (f"    outs:\n      path: model.pkl\n      md5: {B}\n",
     "stages.train.outs", 10, "stage 'train' outs: expected a list, not {'path': 'model.pkl'"),
], ids=["md5-text", "md5-number", "outs-mapping"])
def test_a_lock_whose_lineage_is_odd_is_skipped_at_that_commit(
        git_repo: GitRepo, outs: str, field: str, line: int, said: str) -> None:
    """What a stage read and made is its lineage: not guessed. The file is skipped at that
    commit (as DVC refuses it), with a warning naming line and field; the other commits are
    harvested."""
    git_repo.write("dvc.yaml", PIPELINE)
    git_repo.write("dvc.lock", _lock(A))
    git_repo.commit("pipeline")
    git_repo.write("dvc.lock", _lock("", outs=outs))
    odd = git_repo.commit("hand-edited lock")
    git_repo.write("dvc.lock", _lock(C))
    git_repo.commit("retrain")
    out = _harvest_json(git_repo)
    (w,) = _dvc_warnings(out)
    assert (w["commit"], w["file"], w["line"], w["field"]) == (odd, "dvc.lock", line, field)
    assert said in w["message"] and w["message"].endswith("file skipped at this commit")
    graph = _graph(git_repo)
    assert set(_data(graph, "model.pkl")) == {f"md5:{A}", f"md5:{C}"}
    assert sum(n["kind"] == "stage" for n in graph["nodes"]) == 2


@pytest.mark.parametrize("odd_lock,told", [
    (_lock(A, size="big"), [(14, "stages.train.outs.0.size")]),
    (_with_params(_lock(A, schema="2.0"), "      params.yaml: [lr]\n"),
     [(1, "schema"), (6, "stages.train.params.params.yaml")]),
], ids=["size", "unquoted-schema-and-params"])
def test_a_cached_blob_warns_again_where_it_comes_back(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, odd_lock: str,
        told: list[tuple[int, str]]) -> None:
    """Each blob is parsed once, ever: its summary, odd values told included, is cached in
    the store. A later commit that brings the blob back is warned about from the cache."""
    from connectors.harvesters import dvc

    git_repo.write("dvc.lock", odd_lock)
    odd = git_repo.commit("odd lock")
    git_repo.write("dvc.lock", _lock(B))
    git_repo.commit("fixed")
    first = _dvc_warnings(_harvest_json(git_repo))
    assert [(w["commit"], w["line"], w["field"]) for w in first] == [
        (odd, line, field) for line, field in told]
    git_repo.write("dvc.lock", odd_lock)  # the same bytes: the same blob
    back = git_repo.commit("revert the fix")

    def no_parse(data: Any) -> Any:
        raise AssertionError("a cached blob was parsed again")
    monkeypatch.setattr(dvc, "load", no_parse)
    again = _dvc_warnings(_harvest_json(git_repo))
    assert [(w["commit"], w["line"], w["field"], w["message"]) for w in again] == [
        (back, line, field, w["message"]) for (line, field), w in zip(told, first, strict=True)]


def test_the_replay_worker_tells_the_same_warnings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A first harvest of a long history replays in a forked worker: the odd values it meets
    are the same warnings, in the same order, and the store the same, as a replay here."""
    from benchmarks.gen_history import generate
    from connectors.harvesters import dvc

    repo = generate(150, tmp_path / "repo")
    g = GitRepo.__new__(GitRepo)
    g.path, g.tick = repo, 200
    lock = (repo / "dvc.lock").read_text()
    odd_lock = re.sub(r"size: \d+", "size: big", lock, count=1)
    odd_lock = re.sub(r"schema: '2.0'", "schema: '9.0'", odd_lock)
    assert odd_lock.count("size: big") == 1 and "'9.0'" in odd_lock
    g.write("dvc.lock", odd_lock)
    odd = g.commit("hand-edited lock", "dvc.lock")
    g.write("dvc.lock", re.sub(r"md5: ([0-9a-f]{32})", lambda m: f"md5: {m.group(1)[::-1]}",
                               odd_lock, count=1))
    g.commit("retrain, the odd values carried along", "dvc.lock")
    g.write("dvc.lock", lock)
    g.commit("repaired", "dvc.lock")

    def harvest(store: Path, parallel_min: int) -> tuple[list[Any], list[Any]]:
        monkeypatch.setenv("LINEAGE_STORE", str(store))
        monkeypatch.setattr(dvc, "_PARALLEL_MIN", parallel_min)
        monkeypatch.setattr(dvc, "_FIRST_CHUNK", 9)
        monkeypatch.setattr(dvc, "_CHUNK", 9)
        api.init(repo)
        res = api.harvest(repo)
        conn = sqlite3.connect(store / "lineage.db")
        try:
            rows = conn.execute("SELECT id, attrs, hash FROM nodes ORDER BY id").fetchall()
        finally:
            conn.close()
        return rows, [(w.commit, w.file, w.line, w.field, w.message)
                      for w in res.report.warnings]

    here = harvest(tmp_path / "here", 10**9)
    worker = harvest(tmp_path / "worker", 1)
    assert worker == here
    fields = [(c, f, fld) for c, f, _, fld, _ in here[1]]
    assert fields == [(odd, "dvc.lock", "schema"), (odd, "dvc.lock", fields[1][2])], here[1]
    assert re.fullmatch(r"stages\.[^.]+\.(deps|outs)\.\d+\.size", fields[1][2])
    assert not any('"size":"big"' in attrs or '"size": "big"' in attrs for _, attrs, _ in here[0])


def test_a_command_or_import_source_of_the_wrong_type_is_left_out(git_repo: GitRepo) -> None:
    """Python's text of a mapping is no command, and a list is no remote: neither is stored."""
    git_repo.write("dvc.lock", _lock(A).replace("    cmd: python train.py\n",
                                                "    cmd: {run: python train.py}\n"))
    git_repo.write("raw.dvc", f"frozen: 'yes'\ndeps:\n- path: data/raw\n"
                              "  repo: https://github.com/acme/data\n"
                              f"outs:\n- md5: {B}\n  path: raw\n  remote: [s3, gcs]\n")
    commit = git_repo.commit("hand-written")
    out = _harvest_json(git_repo)
    got = {w["field"]: (w["commit"], w["file"], w["line"], w["message"])
           for w in _dvc_warnings(out)}
    assert set(got) == {"stages.train.cmd", "frozen", "deps.0.repo", "outs.0.remote"}, got
    assert got["stages.train.cmd"][:3] == (commit, "dvc.lock", 4)
    assert "not a command" in got["stages.train.cmd"][3]
    assert got["frozen"][:3] == (commit, "raw.dvc", 1)
    assert got["deps.0.repo"][:3] == (commit, "raw.dvc", 4)
    assert "its import source is left out" in got["deps.0.repo"][3]
    assert got["outs.0.remote"][:3] == (commit, "raw.dvc", 8)
    graph = _graph(git_repo)
    (stage,) = [n["attrs"] for n in graph["nodes"] if n["kind"] == "stage"]
    assert "cmd" not in stage and stage["outs"] == ["model.pkl"]
    raw = _data(graph, "raw")[f"md5:{B}"]
    assert "remote" not in raw and "import_url" not in raw
    assert not any("{'run'" in str(v) or "['s3'" in str(v) for v in _values(graph))


def test_an_unquoted_lock_schema_is_read_as_2_0_with_a_warning_to_quote_it(
        git_repo: GitRepo) -> None:
    """``schema: 2.0`` without quotes is a YAML number, which DVC refuses ("invalid schema
    version"): the lock is read as the '2.0' meant, and the warning says how to fix it."""
    git_repo.write("dvc.yaml", PIPELINE)
    git_repo.write("dvc.lock", _lock(A, schema="2.0"))
    odd = git_repo.commit("hand-written lock")
    git_repo.write("dvc.lock", _lock(B, schema="2.0"))
    git_repo.commit("retrain, the lock edited by hand again")
    out = _harvest_json(git_repo)
    (w,) = _dvc_warnings(out)  # told once, where first met
    assert (w["commit"], w["file"], w["line"], w["field"]) == (odd, "dvc.lock", 1, "schema")
    assert "schema is 2.0, a number, not the text '2.0'" in w["message"]
    assert "DVC refuses" in w["message"] and "quote it: schema: '2.0'" in w["message"]
    graph = _graph(git_repo)
    assert set(_data(graph, "model.pkl")) == {f"md5:{A}", f"md5:{B}"}
    assert sum(n["kind"] == "stage" for n in graph["nodes"]) == 2



def test_a_lock_params_file_whose_values_are_not_a_mapping_is_left_out(
        git_repo: GitRepo) -> None:
    """``params: {params.yaml: 5}``: which params the stage read, with which values, is
    unknown (DVC refuses the lock); that file is left out of the stage's params, the other
    files and the rest of the stage are harvested."""
    git_repo.write("dvc.yaml", PIPELINE)
    git_repo.write("dvc.lock", _with_params(
        _lock(A), "      params.yaml: 5\n      train.yaml:\n        lr: 0.1\n"))
    odd = git_repo.commit("hand-edited params")
    out = _harvest_json(git_repo)
    (w,) = _dvc_warnings(out)
    assert (w["commit"], w["file"], w["line"], w["field"]) == (
        odd, "dvc.lock", 6, "stages.train.params.params.yaml")
    assert ("stage 'train' params: 'params.yaml' is 5, not a mapping of params to their "
            "values; left out") in w["message"]
    graph = _graph(git_repo)
    (stage,) = [n["attrs"] for n in graph["nodes"] if n["kind"] == "stage"]
    assert stage["params"] == {"train.yaml": {"lr": 0.1}}, stage
    assert stage["outs"] == ["model.pkl"]
    assert set(_data(graph, "model.pkl")) == {f"md5:{A}"}

