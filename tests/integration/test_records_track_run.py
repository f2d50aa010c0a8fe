"""track_run: the dirty flag ignores what dvc repro writes itself."""

from __future__ import annotations


def test_files_dvc_rewrites_during_repro_do_not_make_the_run_dirty(tmp_path) -> None:
    from conftest import GitRepo

    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n    outs:\n"
                           "      - model.pkl\n    metrics:\n      - metrics.json:\n"
                           "          cache: false\n")
    repo.write("dvc.lock", "schema: '2.0'\nstages: {}\n")
    repo.write("metrics.json", "{}\n")
    repo.write("train.py", "print('train')\n")
    repo.write(".gitignore", "")
    repo.commit("pipeline")
    repo.write("dvc.lock", "schema: '2.0'\nstages:\n  prepare: {}\n")
    repo.write("metrics.json", '{"acc": 1}\n')
    repo.write(".gitignore", "/model.pkl\n")
    assert git_state(repo.path).dirty is False
    repo.write("train.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True


# --- paths are read as open() reads them, then named relative to the repository ------------

import json  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from tests.conftest import GitRepo  # noqa: E402


def _md5(p: Path) -> str:
    import hashlib

    return "md5:" + hashlib.md5(p.read_bytes()).hexdigest()


@pytest.fixture
def amb(tmp_path: Path) -> GitRepo:
    """Two data.csv: one at the root, one next to the training script."""
    from lineage import api

    repo = GitRepo(tmp_path / "amb")
    repo.write("data.csv", "root copy\n")
    repo.write("training/data.csv", "the one train.py reads\n")
    repo.commit("two data.csv")
    api.init(repo.path)
    return repo


def test_track_run_resolves_relative_paths_from_the_current_directory(
        amb: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run

    monkeypatch.chdir(amb.path / "training")
    with track_run(name="train", inputs=["data.csv"]) as run:
        Path("model.pkl").write_bytes(b"weights")
        run.log_model("model.pkl", name="churn", version="v1")
    assert [(i["path"], i["hash"]) for i in run.inputs] == [
        ("training/data.csv", _md5(amb.path / "training/data.csv"))]
    assert run.models == [("churn", "v1", "training/model.pkl")]


def test_record_run_resolves_relative_paths_from_the_current_directory(
        amb: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage.cli.main import app

    monkeypatch.chdir(amb.path / "training")
    (amb.path / "training/model.pkl").write_bytes(b"weights")
    res = CliRunner().invoke(app, ["record", "run", "--input", "data.csv",
                                   "--model", "churn@v1=model.pkl", "--json"])
    assert res.exit_code == 0, res.output
    from lineage import api

    store = api.open_store(amb.path)
    node_id = json.loads(res.stdout)["node"]
    inputs = [e.attrs for e in store.iter_edges("input") if e.target == node_id]
    assert [(a["path"], a["digest"]) for a in inputs] == [
        ("training/data.csv", _md5(amb.path / "training/data.csv"))]
    m = store.get_node("model:churn@v1")
    assert m is not None and m.attrs["artifact_hash"] == _md5(amb.path / "training/model.pkl")


def test_an_input_outside_the_repository_is_a_warning(amb: GitRepo, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run
    from lineage.cli.main import app

    outside = tmp_path / "elsewhere.csv"
    outside.write_text("not in the repository\n")
    monkeypatch.chdir(amb.path)
    with pytest.warns(UserWarning, match="outside the repository") as caught, \
            track_run(name="train", inputs=[str(outside)]) as run:
        pass
    assert caught[0].filename == __file__
    assert run.inputs[0]["path"] == outside.as_posix()
    res = CliRunner().invoke(app, ["record", "run", "--input", str(outside), "--json"])
    assert res.exit_code == 0, res.output
    assert "outside the repository" in res.stderr
    assert any("outside the repository" in w for w in json.loads(res.stdout)["warnings"])
    with warnings.catch_warnings():  # a path inside is no warning
        warnings.simplefilter("error")
        with track_run(name="train", inputs=["data.csv"]):
            pass


# --- SIGTERM (CI cancel / timeout), warnings that point at the training script -------------

TRAIN = """
import signal, sys, time
from pathlib import Path
from connectors.tracking import track_run

before = signal.getsignal(signal.SIGTERM)
with track_run(name="long", run_id="sigterm-run") as run:
    run.log_params({"epochs": 100})
    Path("started").write_text("1")
    time.sleep(60)
print("not reached")
"""


def test_sigterm_records_the_run_as_killed_and_exits_143(amb: GitRepo) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from lineage import api

    script = amb.write("train.py", TRAIN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script)], cwd=amb.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (amb.path / "started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "not reached" not in out and "Traceback" not in err
    node = api.open_store(amb.path).get_node("run:lineage:sigterm-run")
    assert node is not None and node.attrs["status"] == "KILLED"
    assert node.attrs["params"] == {"epochs": 100}


def test_the_sigterm_handler_is_the_programs_again_after_the_block(amb: GitRepo) -> None:
    import signal
    import threading

    from connectors.tracking import track_run

    seen: list[int] = []

    def mine(signum, frame) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with track_run(amb.path, name="own-handler") as run:
            assert signal.getsignal(signal.SIGTERM) is not mine
            signal.raise_signal(signal.SIGTERM)  # the program's handler still runs
        assert signal.getsignal(signal.SIGTERM) is mine and seen == [signal.SIGTERM]
        errors: list[BaseException] = []

        def in_thread() -> None:
            try:
                with track_run(amb.path, name="thread"):
                    pass
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        assert errors == [] and signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
    from lineage import api

    node = api.open_store(amb.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FINISHED"  # it handled the signal


def test_track_run_warnings_point_at_the_training_script(amb: GitRepo) -> None:
    from connectors.tracking import track_run

    with pytest.warns(UserWarning, match="not in the work tree") as caught:
        with track_run(amb.path, name="train", inputs=["missing.csv"]) as run:
            run.log_input("also-missing.csv")
    assert [w.filename for w in caught] == [__file__, __file__]


# --- the commit a run is linked to: the checked-out HEAD -----------------------------------

def _record_run(repo: GitRepo, *args: str):
    from lineage.cli.main import app

    return CliRunner().invoke(app, ["record", "run", "--name", "ci", *args, "--json",
                                    "-C", str(repo.path)])


def test_record_run_links_the_checked_out_head_not_the_ci_variable(
        amb: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run

    first = amb.git("rev-parse", "HEAD")
    amb.write("training/data.csv", "newer\n")
    triggering = amb.commit("newer data")
    amb.git("checkout", "-q", first)  # actions/checkout of another ref
    monkeypatch.setenv("GITHUB_SHA", triggering)
    res = _record_run(amb, "--input", "training/data.csv")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["commit"] == first
    assert any("GITHUB_SHA" in w and first in w for w in out["warnings"])
    assert "GITHUB_SHA" in res.stderr
    with pytest.warns(UserWarning, match="GITHUB_SHA") as caught, \
            track_run(amb.path, name="ci") as run:
        pass
    assert caught[0].filename == __file__
    assert run.git is not None and run.git.commit == first
    monkeypatch.setenv("GITHUB_SHA", first)  # the same commit: nothing to say
    res = _record_run(amb)
    assert res.exit_code == 0 and json.loads(res.stdout)["warnings"] == []


def test_record_run_without_a_commit_checked_out_takes_the_ci_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage import api

    bare = GitRepo(tmp_path / "unborn")  # a git folder whose HEAD names no commit yet
    api.init(bare.path)
    sha = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    monkeypatch.setenv("GITHUB_SHA", sha.upper())
    res = _record_run(bare)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["commit"] == sha
    monkeypatch.setenv("GITHUB_SHA", "refs/heads/main")
    res = _record_run(bare)
    assert res.exit_code == 2
    assert "$GITHUB_SHA is 'refs/heads/main'" in res.stderr
    assert "command line (commit)" not in res.stderr


def test_record_run_expands_a_short_sha(amb: GitRepo) -> None:
    full = amb.git("rev-parse", "HEAD")
    res = _record_run(amb, "--commit", full[:7])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["commit"] == full
    amb.git("gc", "-q")  # packed objects too
    res = _record_run(amb, "--commit", full[:7].upper())
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["commit"] == full
    blob = amb.git("rev-parse", "HEAD:data.csv")  # not a commit
    for bad in (blob[:10], "0000000"):
        res = _record_run(amb, "--commit", bad)
        assert res.exit_code == 2
        assert f"--commit {bad} names no commit" in res.stderr
        assert "git rev-parse" in res.stderr


def test_record_run_of_a_failed_run_claims_no_model(amb: GitRepo) -> None:
    """`python train.py || lineage record run --status FAILED --model …`: the run is recorded
    with its status, but it did not produce the version (a retry's bytes must not be refused
    because the failed attempt claimed it first)."""
    from lineage import api
    from lineage.cli.main import app

    (amb.path / "model.pkl").write_bytes(b"half-trained")
    res = CliRunner().invoke(app, ["record", "run", "--status", "FAILED", "--model",
                                   "churn@v2=model.pkl", "--json", "-C", str(amb.path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["status"] == "FAILED" and "models" not in out["record"]
    assert any("FAILED run claims no model" in w for w in out["warnings"]), out["warnings"]
    with api.open_store(amb.path) as store:
        assert store.get_node("model:churn@v2") is None
        assert not [e for e in store.iter_edges("produced") if e.source == out["node"]]
    (amb.path / "model.pkl").write_bytes(b"well-trained")
    res = CliRunner().invoke(app, ["record", "run", "--model", "churn@v2=model.pkl", "--json",
                                   "-C", str(amb.path)])
    assert res.exit_code == 0, res.output
    with api.open_store(amb.path) as store:
        m = store.get_node("model:churn@v2")
        assert m is not None and m.attrs["artifact_hash"] == _md5(amb.path / "model.pkl")


def test_a_run_in_a_repository_without_commits_claims_no_clean_tree(tmp_path: Path) -> None:
    """No commit: the code is not in git at all, so the run is not recorded as trained on a
    clean tree (dirty false would read as "the committed code")."""
    from connectors.tracking import track_run

    repo = GitRepo(tmp_path / "fresh")
    repo.write("d.csv", "a\n")
    with track_run(repo.path, name="train", inputs=[repo.path / "d.csv"]) as run:
        pass
    assert run.result is not None
    assert run.result.record.commit is None and run.result.record.dirty is None


def test_track_run_in_a_clone_made_shallow_names_the_repository_the_harvest_names(
        tmp_path: Path) -> None:
    """A clone without a remote is named after its root commit, which the store remembers;
    made shallow since (``git fetch --depth 1 <url>``: the root is no longer in it) the harvest
    still names it so, and a run tracked there names the same repository (its data ids join
    DVC's), not one named after the shallow boundary."""
    from connectors.tracking import track_run
    from lineage import api
    from lineage.ids import repo_key
    from lineage.model import NodeKind

    origin = GitRepo(tmp_path / "origin")
    for i in range(3):
        origin.write("data.csv", f"row {i}\n")
        origin.commit(f"commit {i}")
    clone = tmp_path / "clone"
    origin.run("git", "clone", "-q", f"file://{origin.path}", str(clone))
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = clone, 10
    repo.git("remote", "remove", "origin")
    api.init(clone)
    api.harvest(clone, only=["git"])
    repo.git("fetch", "-q", "--depth", "1", f"file://{origin.path}", "main")
    assert (clone / ".git" / "shallow").is_file()
    api.harvest(clone, only=["git"])
    with api.open_store(clone) as store:
        [named] = [n.id for n in store.iter_nodes(NodeKind.REPOSITORY)]
    with track_run(clone, name="train", inputs=[clone / "data.csv"]) as run:
        pass
    assert run.result is not None
    assert run.result.record.repository == repo_key(named)


def test_track_run_in_a_shallow_clone_without_a_remote_says_what_the_harvest_says(
        tmp_path: Path) -> None:
    """Its root commit is not in the clone: the repository is named after the shallow boundary
    for now, as the harvest names it, and the run (whose data ids keep that name) warns with
    the harvest's hint: add the remote, or fetch the whole history."""
    from connectors.tracking import track_run
    from lineage import api

    clone = GitRepo.shallow_clone_without_remote(tmp_path).path
    api.init(clone)
    with pytest.warns(UserWarning, match="shallow clone without a remote") as got:
        with track_run(clone, name="train") as run:
            pass
    [message] = [str(w.message) for w in got if "shallow" in str(w.message)]
    assert "git remote add origin <url>" in message and "git fetch --unshallow <url>" in message
    res = api.harvest(clone, only=["git"])
    assert [w.message for w in res.report.warnings if "shallow" in w.message]
    with api.open_store(clone) as store:
        from lineage.model import NodeKind

        [named] = [n.id for n in store.iter_nodes(NodeKind.REPOSITORY)]
    assert run.result is not None and f"repository:{run.result.record.repository}" == named


@pytest.mark.parametrize("pipeline", [
    "stages:\n  evaluate:\n    foreach: [a, b]\n    do:\n      cmd: python eval.py ${item}\n"
    "      metrics:\n        - metrics/${item}.json:\n            cache: false\n",
    "stages:\n  evaluate:\n    matrix:\n      model: [a, b]\n    cmd: python eval.py ${item.model}\n"
    "    metrics:\n      - metrics/${item.model}.json:\n          cache: false\n",
    "vars:\n  - out_dir: metrics\nstages:\n  evaluate:\n    cmd: python eval.py a && python "
    "eval.py b\n    metrics:\n      - ${out_dir}/a.json:\n          cache: false\n"
    "      - ${out_dir}/b.json:\n          cache: false\n",
])
def test_outputs_of_templated_stages_do_not_make_the_run_dirty(tmp_path: Path,
                                                               pipeline: str) -> None:
    """``foreach`` / ``matrix`` stages and ``${…}`` paths name their outputs through templates:
    what ``dvc repro`` rewrites in them (metrics kept in git) is not uncommitted code; the
    training script changed is."""
    import sys

    from connectors.tracking import git_state

    dvc = str(Path(sys.executable).with_name("dvc"))
    repo = GitRepo(tmp_path / "r")
    repo.write("eval.py", "import json, os, sys\nos.makedirs('metrics', exist_ok=True)\n"
                          "json.dump({'auc': 0.5}, open(f'metrics/{sys.argv[1]}.json', 'w'))\n")
    repo.write("dvc.yaml", pipeline.replace("python ", f"{sys.executable} "))
    repo.run(dvc, "init", "-q")
    repo.run(dvc, "repro", "-q")
    repo.commit("pipeline")
    for name in ("a", "b"):  # a repro under way rewrote them
        repo.write(f"metrics/{name}.json", '{"auc": 0.9}\n')
    assert git_state(repo.path).dirty is False
    repo.write("eval.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True


def test_an_output_added_to_dvc_lock_in_the_work_tree_hides_no_code_change(
        tmp_path: Path) -> None:
    """``dvc.lock`` changes are DVC's, not code: the outputs it names are read from the
    commit, so naming the training script there does not make its change disappear."""
    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("train.py", "print('train')\n")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    repo.write("dvc.lock", "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n")
    repo.commit("pipeline")
    repo.write("dvc.lock", "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n"
                           "    outs:\n    - path: train.py\n      md5: 0\n")
    repo.write("train.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True


def test_a_pipeline_not_committed_hides_no_code_change(tmp_path: Path) -> None:
    """A ``dvc.yaml`` not committed (untracked: not a change git status lists) naming the
    code beside it as an output does not make that code's change disappear."""
    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("src/train.py", "print('train')\n")
    repo.commit("code")
    repo.write("src/dvc.yaml", "stages:\n  x:\n    cmd: echo\n    outs:\n      - train.py\n")
    repo.write("src/train.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True


def test_code_moved_into_an_output_folder_is_a_code_change(tmp_path: Path) -> None:
    """``git mv`` of the training code into a folder the pipeline writes (plots kept in git):
    the file the commit holds is gone from where it was, which is a change of the code, even
    though git diff, detecting the rename, names only the new path."""
    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("dvc.yaml", "stages:\n  evaluate:\n    cmd: python train.py\n    plots:\n"
                           "      - plots:\n          cache: false\n")
    repo.write("plots/roc.json", "{}\n")
    repo.write("train.py", "print('train')\n" * 20)
    repo.commit("pipeline")
    assert git_state(repo.path).dirty is False
    repo.git("mv", "train.py", "plots/train.py")
    assert git_state(repo.path).dirty is True
