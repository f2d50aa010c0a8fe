"""A run file's input and model paths are repository paths however they are written:
`./data/train.csv` is `data/train.csv`, the DVC harvester's data node for the same content,
not a node of its own that joins nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.ids import data_id
from lineage.model import EdgeKind
from tests.conftest import GitRepo

runner = CliRunner()
MD5 = "md5:3a9f1c2b4d5e6f708192a3b4c5d6e7f8"
MODEL = "md5:0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


@pytest.mark.parametrize("spelling", ["./data/train.csv", "data/./train.csv",
                                      "models/../data/train.csv"])
def test_run_file_paths_are_normalized(repo: GitRepo, spelling: str) -> None:
    repo.write("governance/run/r1.yaml",
               f"kind: run\nid: r1\ninputs:\n  - path: {spelling}\n    hash: {MD5}\n"
               f"models:\n  - name: churn\n    version: v1\n    path: ./models/m.pkl\n"
               f"    hash: {MODEL}\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        inputs = {e.source for e in store.iter_edges(EdgeKind.INPUT)}
        outputs = {e.target for e in store.iter_edges(EdgeKind.OUTPUT)}
    assert inputs == {data_id("github.com/acme/churn", "data/train.csv", MD5)}
    assert outputs == {data_id("github.com/acme/churn", "models/m.pkl", MODEL)}


def test_a_run_stored_with_a_dotted_path_is_harvested_again(repo: GitRepo) -> None:
    from lineage.model import Edge, Node, NodeKind

    # a store written before paths were normalized holds the input as `./data/train.csv`
    old = data_id("github.com/acme/churn", "./data/train.csv", MD5)
    with api.open_store(repo.path) as store, store.transaction():
        store.upsert([
            Node.make(NodeKind.RUN, "run:lineage:r2", source="lineage", run_id="r2",
                      status="FINISHED"),
            Node.make(NodeKind.DATA, old, path="./data/train.csv", hash=MD5),
            Edge.make(EdgeKind.INPUT, old, "run:lineage:r2", pin="strong",
                      path="./data/train.csv", digest=MD5)])
        store.append_event("record", "test", {"node": "run:lineage:r2"})
    repo.write("governance/run/r2.yaml",
               f"kind: run\nid: r2\ninputs:\n  - path: ./data/train.csv\n    hash: {MD5}\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 0, res.output


def test_an_input_recorded_before_the_first_harvest_is_the_harvested_data_node(
        git_repo: GitRepo) -> None:
    # no remote: the repository is named by its root commit, by the git harvester and by
    # track_run; `lineage record run` before any harvest named it "local", a data node no
    # DVC data ever joined
    git_repo.write("data.csv", "a\n")
    root = git_repo.commit("init")
    api.init(git_repo.path)
    res = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--run-id", "r1",
                              "--input", "data.csv"])
    assert res.exit_code == 0, res.output
    with api.open_store(git_repo.path) as store:
        inputs = {e.source for e in store.iter_edges(EdgeKind.INPUT)}
    assert inputs == {data_id(f"root:{root}", "data.csv", "md5:60b725f10c9c85c70d97880dfe8191b3")}


def test_one_input_path_with_two_hashes_is_refused(repo: GitRepo) -> None:
    repo.write("governance/run/r3.yaml",
               f"kind: run\nid: r3\ninputs:\n  - path: data/train.csv\n    hash: {MD5}\n"
               f"  - path: ./data/train.csv\n    hash: {MODEL}\n")
    res = runner.invoke(app, ["record", "validate", "-C", str(repo.path)])
    assert res.exit_code == 1, res.output
    assert "data/train.csv" in res.output and "inputs" in res.output


def test_an_input_given_twice_is_recorded_once(repo: GitRepo) -> None:
    import json

    repo.write("data/train.csv", "a\n")
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--input",
                              "data/train.csv", "--input", "./data/train.csv", "--json"])
    assert res.exit_code == 0, res.output
    assert [i["path"] for i in json.loads(res.stdout)["record"]["inputs"]] == ["data/train.csv"]


def test_track_run_logs_an_input_once_and_refuses_it_changed(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from connectors.tracking import track_run
    from lineage.errors import InputError

    repo.write("data/train.csv", "a\n")
    monkeypatch.chdir(repo.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with track_run(repo.path, name="train", inputs=["data/train.csv"]) as run:
            run.log_input("./data/train.csv")
            assert len(run.inputs) == 1
            repo.write("data/train.csv", "b\n")
            with pytest.raises(InputError, match="already logged"):
                run.log_input("data/train.csv")
    assert run.result is not None and run.result.record.status == "FINISHED"  # type: ignore[attr-defined]
