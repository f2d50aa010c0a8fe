"""What the checkout's DVC files say of a path, as real DVC 3.67 reads them: a stage's outputs
are named from its ``wdir`` (``lineage show``, ``lineage record run --input``), and ``lineage
show PATH`` says so when the version it shows is not the checkout's because the checkout
records one not harvested yet, or no longer tracks the path (``dvc move``)."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

runner = CliRunner()


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def _show(r: GitRepo, path: str) -> tuple[dict[str, object], str]:
    res = runner.invoke(app, ["show", path, "-C", str(r.path), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), res.stderr


def _lock_md5(r: GitRepo, name: str) -> str:
    """The md5 the work tree's dvc.lock gives the output ``name`` (what DVC says)."""
    lines = (r.path / "dvc.lock").read_text().splitlines()
    at = lines.index(f"    - path: {name}")
    [md5] = [x.split(": ", 1)[1] for x in lines[at + 1:at + 4] if x.strip().startswith("md5:")]
    return f"md5:{md5}"


def test_a_stage_with_wdir_names_its_outputs_from_there(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("src/params.yaml", "lr: 0.1\n")
    r.write("dvc.yaml", "stages:\n  train:\n    wdir: src\n    cmd: grep lr params.yaml > "
            "model.txt\n    params: [lr]\n    outs: [model.txt]\n")
    r.dvc("repro", "-q")
    r.commit("base")
    committed = _lock_md5(r, "model.txt")
    r.dvc("exp", "run", "-q", "-n", "lr2", "-S", "src/params.yaml:lr=0.2")
    workspace = _lock_md5(r, "model.txt")  # the experiment's result, in the work tree
    assert workspace != committed
    assert workspace == _md5((r.path / "src/model.txt").read_bytes())
    api.init(r.path)
    api.harvest(r.path)
    doc, err = _show(r, "src/model.txt")
    assert str(doc["node"]).endswith(f"src/model.txt@{workspace}"), doc["node"]
    assert "warnings" not in doc and err == "", (doc.get("warnings"), err)

    # a fresh clone before dvc pull: the path is not in the work tree, DVC tracks it
    r.git("checkout", "--", ".")
    r.dvc("checkout", "-q")
    (r.path / "src/model.txt").unlink()
    monkeypatch.chdir(r.path)
    res = runner.invoke(app, ["record", "run", "--name", "t", "--run-id", "r-wdir",
                              "--input", "src/model.txt", "--start", "2026-01-02T00:00:00Z",
                              "--end", "2026-01-02T01:00:00Z"])
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output.lower(), res.output
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    [run] = [n.id for n in graph.nodes() if str(n.kind) == "run" and n.id.endswith("r-wdir")]
    inputs = [e.source for e in graph.in_edges(run, EdgeKind.INPUT)]
    assert any(i.endswith(f"src/model.txt@{committed}") for i in inputs), inputs


def _pipeline(r: GitRepo) -> str:
    r.dvc("init", "-q")
    r.write("raw.csv", "a\n1\n")
    r.dvc("add", "-q", "raw.csv")
    r.write("dvc.yaml", "stages:\n  prep:\n    cmd: cat raw.csv > prepared.csv\n"
            "    deps: [raw.csv]\n    outs: [prepared.csv]\n")
    r.dvc("repro", "-q")
    return r.commit("base")


def test_show_says_the_checkout_records_a_version_not_harvested_yet(
        git_repo: GitRepo) -> None:
    r = git_repo
    base = _pipeline(r)
    harvested = _lock_md5(r, "prepared.csv")
    api.init(r.path)
    api.harvest(r.path)
    r.write("raw.csv", "a\n9\n")
    r.dvc("add", "-q", "raw.csv")
    r.dvc("repro", "-q")  # new data, not committed yet
    new = _lock_md5(r, "prepared.csv")
    assert new != harvested
    doc, err = _show(r, "prepared.csv")
    assert str(doc["node"]).endswith(f"@{harvested}")
    [said] = doc["warnings"]  # type: ignore[misc]
    assert said.startswith(f"the checkout's dvc.lock records prepared.csv {new}, a version "
                           "not harvested yet; "), said
    assert f"prepared.csv {harvested} is shown" in said and base[:12] in said, said
    assert "lineage harvest" in said, said
    res = runner.invoke(app, ["show", "prepared.csv", "-C", str(r.path)],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert [x for x in res.stderr.splitlines() if x] == [f"warning: {said}"], res.stderr
    # committed and harvested: the checkout's version, without a word
    r.commit("new data")
    api.harvest(r.path)
    doc, err = _show(r, "prepared.csv")
    assert str(doc["node"]).endswith(f"@{new}") and "warnings" not in doc and err == ""


def test_show_says_the_checkout_no_longer_tracks_a_moved_path(git_repo: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data.csv", "a\n1\n")
    r.dvc("add", "-q", "data.csv")
    first = r.commit("data")
    md5 = _md5(b"a\n1\n")
    r.dvc("move", "data.csv", "customers.csv")
    r.commit("renamed")
    api.init(r.path)
    api.harvest(r.path)
    doc, _ = _show(r, "data.csv")
    assert str(doc["node"]).endswith(f"data.csv@{md5}")
    [said] = doc["warnings"]  # type: ignore[misc]
    assert said.startswith("the checkout's DVC files do not track data.csv "), said
    assert f"data.csv {md5} is shown" in said and first[:12] in said, said
    assert "not the checkout's" in said and "lineage harvest" in said, said
    doc, err = _show(r, "customers.csv")  # the path DVC tracks now
    assert str(doc["node"]).endswith(f"customers.csv@{md5}") and "warnings" not in doc
