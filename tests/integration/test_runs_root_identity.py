"""A run recorded before the repository had a remote names it by its root commit
(``repository: root:<sha>`` in ``governance/run/<id>.yaml``, immutable once committed). Once a
remote is added, the repository is named by the remote's URL everywhere else (the git and DVC
harvesters re-harvest under it): the run reads and writes the data named now, in a store that
saw the identity move and in a fresh clone alike, and both push the same DataHub datasets.

Real git and DVC repositories, real ``track_run``, the real CLI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind, NodeKind
from tests.conftest import GitRepo

REMOTE = "https://github.com/acme/ident.git"
KEY = "github.com/acme/ident"
RUN = "run:lineage:train-1"
SIDE = "run:lineage:side-1"  # recorded into the store only (no file)
DATASET = re.compile(r"urn:li:dataset:\([^)]*\)")


def _lineage(root: Path, *args: str) -> str:
    res = CliRunner().invoke(app, [*args, "-C", str(root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.stdout


def _trained(path: Path, monkeypatch: pytest.MonkeyPatch, *, harvest_first: bool) -> GitRepo:
    """``git init`` without a remote, data added to DVC, a run recorded with ``track_run``
    (its file committed), and one recorded into the store only; ``harvest_first``: the store
    harvested then, before any remote."""
    from connectors.tracking import track_run

    repo = GitRepo(path)
    repo.dvc("init", "-q")
    repo.commit("init")
    repo.write("data.csv", "a,b\n1,2\n")
    repo.dvc("add", "-q", "data.csv")
    repo.commit("data")
    monkeypatch.chdir(repo.path)
    with track_run(repo.path, name="train", inputs=["data.csv"], run_id="train-1",
                   write_file=True) as run:
        repo.write("model.bin", "weights\n")
        run.log_model("model.bin", name="m", version="v1")
    with track_run(repo.path, name="side", inputs=["data.csv"], run_id="side-1"):
        pass
    repo.commit("run")
    written = yaml.safe_load((repo.path / "governance/run/train-1.yaml").read_text())
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    assert written["repository"] == f"root:{root}"  # the name it had then, committed
    if harvest_first:
        api.harvest(repo.path)
    return repo


def _datasets(root: Path, out: Path) -> set[str]:
    _lineage(root, "push", "--to", "datahub-file", str(out))
    return set(DATASET.findall(out.read_text()))


def _run_data(root: Path, run: str) -> tuple[list[str], list[str]]:
    """(the data the run read, the data it wrote), as the store holds them."""
    with api.open_store(root) as store:
        graph = store.load_graph()
    return (sorted(e.source for e in graph.in_edges(run, EdgeKind.INPUT)),
            sorted(e.target for e in graph.out_edges(run, EdgeKind.OUTPUT)))


def _shown(root: Path) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(_lineage(root, "show", "m@v1", "--json"))
    return shown


def _defines(shown: dict[str, Any], data: str) -> list[str]:
    return [e["source"] for e in shown["edges"]
            if e["kind"] == "defines" and e["target"] == data]


def _joined_to_dvc(root: Path) -> None:
    """The run's input is DVC's data node named now, with the commit defining it; its model's
    artifact is the data named now; `lineage show` prints the defining commit."""
    md5 = yaml.safe_load((root / "data.csv.dvc").read_text())["outs"][0]["md5"]
    data = f"data:{KEY}:data.csv@md5:{md5}"
    inputs, outputs = _run_data(root, RUN)
    assert inputs == [data], inputs
    assert len(outputs) == 1 and outputs[0].startswith(f"data:{KEY}:model.bin@md5:"), outputs
    shown = _shown(root)
    assert _defines(shown, data), shown["edges"]
    text = _lineage(root, "show", "m@v1")
    assert re.search(r"input ← data data\.csv md5:\w+ \(pin: strong\)\n.*defines ← commit",
                     text), text


def test_a_run_file_named_by_the_root_commit_joins_dvc_once_a_remote_is_added(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported case: the store track_run created holds the run under root:<sha>; the
    first harvest comes after `git remote add origin`."""
    repo = _trained(tmp_path / "ident", monkeypatch, harvest_first=False)
    repo.git("remote", "add", "origin", REMOTE)
    res = api.harvest(repo.path)
    assert not [w.message for w in res.report.warnings if w.source == "records"]
    _joined_to_dvc(repo.path)
    # nothing is left under the root commit's name: those nodes only the runs described
    with api.open_store(repo.path) as store:
        data = sorted(n.id for n in store.iter_nodes(NodeKind.DATA))
    assert all(d.startswith(f"data:{KEY}:") for d in data), data
    urns = _datasets(repo.path, tmp_path / "ident.json")
    assert urns == {f"urn:li:dataset:(urn:li:dataPlatform:dvc,{KEY}/data.csv,PROD)",
                    f"urn:li:dataset:(urn:li:dataPlatform:dvc,{KEY}/model.bin,PROD)"}, urns
    # the file is as it was committed: the harvest reads the old name, it does not rewrite it
    assert repo.git("status", "--porcelain", "governance") == ""


def test_a_store_that_saw_the_identity_move_and_a_fresh_clone_agree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _trained(tmp_path / "ident", monkeypatch, harvest_first=True)
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    before = _run_data(repo.path, RUN)
    assert before[0] and all(d.startswith(f"data:root:{root}:") for d in before[0] + before[1])
    repo.git("remote", "add", "origin", REMOTE)
    res = api.harvest(repo.path)
    assert not [w.message for w in res.report.warnings if w.source == "records"]
    _joined_to_dvc(repo.path)
    # the run recorded into the store alone moved too
    side_inputs, _ = _run_data(repo.path, SIDE)
    assert side_inputs == _run_data(repo.path, RUN)[0]
    with api.open_store(repo.path) as store:
        # DVC's facts under the former name stay in the trail; the runs' own node of the
        # model file, which nothing links any more, is withdrawn
        assert store.has_node(before[0][0])
        assert not store.has_node(before[1][0])
        assert not store.edges_of(before[1][0])
    assert api.harvest(repo.path).new_events == 0  # moved once: nothing to do again
    _lineage(repo.path, "verify")

    clone = tmp_path / "clone"
    repo.run("git", "clone", "-q", f"file://{repo.path}", str(clone))
    repo_clone = GitRepo.__new__(GitRepo)
    repo_clone.path, repo_clone.tick = clone, repo.tick
    repo_clone.git("remote", "set-url", "origin", REMOTE)
    _lineage(clone, "init")
    _lineage(clone, "harvest")
    _joined_to_dvc(clone)
    assert _run_data(clone, RUN) == _run_data(repo.path, RUN)

    long_lived = _datasets(repo.path, tmp_path / "long-lived.json")
    fresh = _datasets(clone, tmp_path / "fresh.json")
    assert long_lived == fresh
    assert not [u for u in fresh if "root:" in u], fresh


def test_a_run_file_naming_another_repositorys_root_commit_keeps_its_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a root commit of this repository is this repository's former name: a run file
    naming a commit this repository does not have names another repository."""
    repo = _trained(tmp_path / "ident", monkeypatch, harvest_first=False)
    other = "f" * 40
    md5 = yaml.safe_load((repo.path / "data.csv.dvc").read_text())["outs"][0]["md5"]
    repo.write("governance/run/elsewhere.yaml", yaml.safe_dump({
        "kind": "run", "id": "elsewhere", "repository": f"root:{other}", "status": "FINISHED",
        "inputs": [{"path": "data.csv", "hash": f"md5:{md5}"}]}))
    repo.commit("a run of another repository")
    repo.git("remote", "add", "origin", REMOTE)
    res = api.harvest(repo.path)
    assert not [w.message for w in res.report.warnings if w.source == "records"]
    assert _run_data(repo.path, "run:lineage:elsewhere")[0] == [
        f"data:root:{other}:data.csv@md5:{md5}"]
    _joined_to_dvc(repo.path)


def test_a_shallow_clone_that_cannot_tell_says_so_until_its_history_is_fetched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI checkout of depth 1 does not hold the root commit a run file names: the harvest
    cannot tell it is this repository, says so, and keeps the name; with the whole history
    fetched, the next harvest moves the run to the data named now."""
    repo = _trained(tmp_path / "ident", monkeypatch, harvest_first=False)
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    clone = tmp_path / "ci"
    repo.run("git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    ci = GitRepo.__new__(GitRepo)
    ci.path, ci.tick = clone, repo.tick
    ci.git("remote", "set-url", "origin", REMOTE)
    assert (clone / ".git" / "shallow").is_file()
    api.init(clone)
    res = api.harvest(clone)
    said = [w for w in res.report.warnings if w.source == "records"]
    assert len(said) == 1, [w.message for w in res.report.warnings]
    assert said[0].file == "governance/run/train-1.yaml" and said[0].field == "repository"
    assert f"root:{root}" in said[0].message and "git fetch --unshallow" in said[0].message
    inputs, _ = _run_data(clone, RUN)
    assert inputs and inputs[0].startswith(f"data:root:{root}:"), inputs

    ci.git("fetch", "-q", "--unshallow", f"file://{repo.path}")
    res = api.harvest(clone)
    assert not [w.message for w in res.report.warnings if w.source == "records"]
    _joined_to_dvc(clone)
    with api.open_store(clone) as store:
        left = [n.id for n in store.iter_nodes(NodeKind.DATA) if "root:" in n.id]
    assert left == [], left


def test_the_repository_a_run_record_names_is_kept_unless_it_is_a_former_name() -> None:
    from lineage.ids import root_commit_of
    from lineage.records import RunRecord, run_repository

    sha = "a" * 40
    named = RunRecord(kind="run", id="r", repository=f"root:{sha}")
    now = f"repository:{KEY}"
    assert run_repository(named, now) == f"root:{sha}"
    assert run_repository(named, now, {f"root:{sha}"}) == KEY
    assert run_repository(RunRecord(kind="run", id="r"), now) == KEY
    assert run_repository(RunRecord(kind="run", id="r"), None) == "local"
    assert run_repository(named, None, {f"root:{sha}"}) == f"root:{sha}"
    assert root_commit_of(f"repository:root:{sha}") == sha
    assert root_commit_of(f"root:{sha}") == sha
    assert root_commit_of(KEY) is None
    assert root_commit_of("root:abc") is None
