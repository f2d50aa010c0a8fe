"""track_run on a real git + DVC repository: commit, dirty flag, DVC hashes, model hash."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
import yaml

from connectors.tracking import track_run
from lineage import api
from lineage.errors import InputError
from lineage.hashing import compute, content_hash
from tests.conftest import GitRepo

DVC = str(Path("/work/main/.venv/bin/dvc")) if Path("/work/main/.venv/bin/dvc").exists() else "dvc"


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """One real DVC repo for the module (dvc is slow): a file, a directory, a stage output."""
    repo = GitRepo(tmp_path_factory.mktemp("dvc") / "repo")
    repo.write("data/train.csv", "id,churn\n" + "".join(f"{i},{i % 2}\n" for i in range(500)))
    repo.write("data/images/a.bin", b"\x00\x01\x02" * 100)
    repo.write("data/images/sub/b.bin", b"bee")
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("train.py", "print('train')\n")
    repo.run(DVC, "init", "-q")
    repo.run(DVC, "add", "-q", "data/train.csv", "data/images")
    repo.run(DVC, "stage", "add", "-q", "-n", "prep", "-d", "data/train.csv", "-o",
             "data/prep.csv", "head -n 100 data/train.csv > data/prep.csv")
    repo.run(DVC, "repro", "-q")
    repo.commit("data tracked by dvc")
    api.init(repo.path)
    return repo


def _dvc_md5(repo: GitRepo, dvc_file: str) -> dict:
    return yaml.safe_load((repo.path / dvc_file).read_text())["outs"][0]


def test_hashes_equal_dvc_md5(dvc_repo: GitRepo) -> None:
    train = _dvc_md5(dvc_repo, "data/train.csv.dvc")
    images = _dvc_md5(dvc_repo, "data/images.dvc")
    # computed exactly as DVC does, for a file and a directory
    assert compute(dvc_repo.path / "data/train.csv").hash == f"md5:{train['md5']}"
    computed_dir = compute(dvc_repo.path / "data/images")
    assert computed_dir.hash == f"md5:{images['md5']}" and computed_dir.hash.endswith(".dir")
    assert computed_dir.nfiles == images["nfiles"] == 2
    # read back from DVC's own files
    assert content_hash(dvc_repo.path, "data/train.csv").source == ".dvc"
    lock = yaml.safe_load((dvc_repo.path / "dvc.lock").read_text())
    prep_md5 = lock["stages"]["prep"]["outs"][0]["md5"]
    prep = content_hash(dvc_repo.path, "data/prep.csv")
    assert (prep.hash, prep.source) == (f"md5:{prep_md5}", "dvc.lock")
    assert compute(dvc_repo.path / "data/prep.csv").hash == prep.hash


def test_track_run_captures_commit_inputs_params_metrics_model(dvc_repo: GitRepo) -> None:
    head = dvc_repo.git("rev-parse", "HEAD")
    with track_run(dvc_repo.path, name="train", inputs=["data/train.csv", "data/images",
                                                        "data/prep.csv", "params.yaml"]) as run:
        run.log_params({"lr": 0.1, "depth": 6})
        model = dvc_repo.path / "models" / "model.pkl"
        model.parent.mkdir(exist_ok=True)
        model.write_bytes(b"trained weights")
        run.log_metrics({"auc": 0.91})
        run.log_model("models/model.pkl", name="churn", version="v1.1.0")
    store = api.open_store(dvc_repo.path)
    node = store.get_node(run.node_id)
    assert node is not None
    a = node.attrs
    assert (a["source"], a["status"], a["commit"], a["dirty"]) == ("lineage", "FINISHED",
                                                                     head, False)
    assert a["params"] == {"lr": 0.1, "depth": 6} and a["metrics"] == {"auc": 0.91}
    inputs = {e.attrs["path"]: e for e in store.iter_edges("input") if e.target == run.node_id}
    train = _dvc_md5(dvc_repo, "data/train.csv.dvc")["md5"]
    images = _dvc_md5(dvc_repo, "data/images.dvc")["md5"]
    params_md5 = hashlib.md5((dvc_repo.path / "params.yaml").read_bytes()).hexdigest()
    assert inputs["data/train.csv"].attrs["digest"] == f"md5:{train}"
    assert inputs["data/images"].attrs["digest"] == f"md5:{images}"
    assert inputs["params.yaml"].attrs["digest"] == f"md5:{params_md5}"  # not DVC: computed
    assert {e.attrs["pin"] for e in inputs.values()} == {"strong"}
    # the data node id is the repository-scoped DVC identity
    root = dvc_repo.git("rev-list", "--max-parents=0", "HEAD")
    assert inputs["data/train.csv"].source == f"data:root:{root}:data/train.csv@md5:{train}"
    code = [e for e in store.iter_edges("code") if e.target == run.node_id]
    assert [(e.source, e.attrs) for e in code] == [(f"commit:{head}", {"dirty": False})]
    m = store.get_node("model:churn@v1.1.0")
    assert m is not None
    assert m.attrs["artifact_hash"] == "md5:" + hashlib.md5(b"trained weights").hexdigest()
    assert m.attrs["run_id"] == run.run_id
    produced = {(e.source, e.target) for e in store.iter_edges("produced")}
    assert (run.node_id, "model:churn@v1.1.0") in produced
    last = list(store.events())[-1]
    assert last.kind == "record" and last.payload["record"]["id"] == run.run_id
    assert store.verify().ok
    store.close()


def test_dirty_tree_is_recorded(dvc_repo: GitRepo) -> None:
    script = dvc_repo.path / "train.py"
    original = script.read_text()
    script.write_text(original + "# local tweak\n")
    try:
        with track_run(dvc_repo.path, name="tweak") as run:
            pass
    finally:
        script.write_text(original)
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["dirty"] is True


def test_failing_training_script_records_failed(dvc_repo: GitRepo) -> None:
    with pytest.raises(ZeroDivisionError), track_run(dvc_repo.path, name="broken",
                                                     inputs=["data/train.csv"]) as run:
        run.log_params({"lr": 10})
        _ = 1 / 0
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FAILED"
    assert node.attrs["params"] == {"lr": 10}


def test_model_logged_but_not_written_is_an_error_and_a_failed_run(dvc_repo: GitRepo) -> None:
    with pytest.raises(InputError, match="did not write it"), \
            track_run(dvc_repo.path, name="nomodel") as run:
        run.log_params({"lr": 0.1})
        run.log_model("models/missing.pkl", name="churn")
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FAILED"
    assert node.attrs["params"] == {"lr": 0.1}
    assert "models/missing.pkl was not written" in node.attrs["tags"]["failure_reason"]


def test_write_file_run_reads_back_unchanged(dvc_repo: GitRepo) -> None:
    with track_run(dvc_repo.path, name="reviewed", inputs=["data/train.csv"],
                   write_file=True) as run:
        pass
    assert run.result is not None and run.result.file == f"governance/run/{run.run_id}.yaml"
    try:
        res = api.harvest(dvc_repo.path, only=["records"])
        assert res.new_events == 0
    finally:
        (dvc_repo.path / run.result.file).unlink()


def test_a_changed_input_is_pinned_to_what_was_read(dvc_repo: GitRepo, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An input edited since `dvc add` — even to the same size, even inside a tracked
    directory — is pinned to the md5 of its bytes now, never to DVC's stale record."""
    import shutil

    from lineage import hashing

    repo = tmp_path / "repo"
    shutil.copytree(dvc_repo.path, repo, symlinks=True)
    train = repo / "data/train.csv"
    recorded_md5 = _dvc_md5(dvc_repo, "data/train.csv.dvc")["md5"]
    assert content_hash(repo, "data/train.csv").hash == f"md5:{recorded_md5}"
    text = train.read_text()
    train.write_text(text.replace("\n5,1\n", "\n7,1\n", 1))  # same size, other bytes
    assert train.stat().st_size == len(text.encode())
    now = hashlib.md5(train.read_bytes()).hexdigest()
    pinned = content_hash(repo, "data/train.csv")
    assert (pinned.hash, pinned.source) == (f"md5:{now}", "computed")
    (repo / "data/images/sub/b.bin").write_bytes(b"bEe")  # same size, inside a DVC dir
    images = content_hash(repo, "data/images")
    assert images.hash == compute(repo / "data/images").hash
    assert images.hash != f"md5:{_dvc_md5(dvc_repo, 'data/images.dvc')['md5']}"
    # an unchanged path is not read again (inode, mtime and size as at its last hashing)
    reads: list[Path] = []
    real = hashing.file_md5
    monkeypatch.setattr(hashing, "file_md5", lambda p: reads.append(p) or real(p))
    assert content_hash(repo, "data/train.csv").hash == f"md5:{now}"
    assert content_hash(repo, "data/images").hash == images.hash
    assert reads == []
    train.write_text(text)  # back to what DVC recorded: DVC's record is the source again
    again = content_hash(repo, "data/train.csv")
    assert (again.hash, again.source) == (f"md5:{recorded_md5}", ".dvc") and reads == [train]


@pytest.mark.parametrize(("code", "status"), [(0, "FINISHED"), (None, "FINISHED"),
                                              (False, "FINISHED"), (1, "FAILED"),
                                              (2, "FAILED"), ("bad data", "FAILED")])
def test_sys_exit_in_the_block_is_recorded_by_its_exit_status(
        dvc_repo: GitRepo, code: object, status: str) -> None:
    """A script ending with ``sys.exit(0)`` (or ``sys.exit()``) ended normally, as the shell
    and CI see it; any other exit status is a failure."""
    with pytest.raises(SystemExit) as exited, \
            track_run(dvc_repo.path, name=f"exit-{code}") as run:
        run.log_metrics({"auc": 0.9})
        sys.exit(code)  # type: ignore[arg-type]
    assert exited.value.code == code  # the script's own exit status is kept
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == status
    assert node.attrs["metrics"] == {"auc": 0.9}


def test_sys_exit_0_with_a_logged_model_not_written_is_a_failed_run(dvc_repo: GitRepo) -> None:
    with pytest.raises(InputError, match="did not write it"), \
            track_run(dvc_repo.path, name="exit-nomodel") as run:
        run.log_model("models/never.pkl", name="churn")
        sys.exit(0)
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FAILED"
    assert "models/never.pkl was not written" in node.attrs["tags"]["failure_reason"]


def test_files_of_an_output_folder_kept_in_git_do_not_make_the_run_dirty(
        tmp_path: Path) -> None:
    """Inside ``dvc repro``, an earlier stage has rewritten its ``cache: false`` plots folder
    (kept in git); a training stage recording itself is not trained on uncommitted code."""
    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("dvc.yaml", "stages:\n  evaluate:\n    cmd: python evaluate.py\n    plots:\n"
                           "      - eval/plots:\n          cache: false\n"
                           "  train:\n    cmd: python train.py\n    outs: [model.pkl]\n")
    repo.write("eval/plots/roc.csv", "fpr,tpr\n0,0.1\n")
    repo.write("train.py", "print('train')\n")
    repo.commit("pipeline")
    repo.write("eval/plots/roc.csv", "fpr,tpr\n0,0.3\n")
    assert git_state(repo.path).dirty is False
    repo.write("train.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True


def test_a_failed_run_claims_no_model_and_the_retry_can_produce_the_version(
        dvc_repo: GitRepo) -> None:
    """The job saved and logged its model, then failed (its evaluation raised): the run is
    recorded FAILED, but it did not produce churn@v9.0.0 — no produced edge, no version with
    its bytes — so the fixed job's retry records that version with its own bytes."""
    model = dvc_repo.path / "models" / "failed.pkl"
    model.parent.mkdir(exist_ok=True)
    with pytest.raises(ValueError, match="auc below threshold"), \
            track_run(dvc_repo.path, name="train", inputs=["data/train.csv"]) as failed:
        model.write_bytes(b"half-trained weights")
        failed.log_model(model, name="churn", version="v9.0.0")
        raise ValueError("auc below threshold")
    with api.open_store(dvc_repo.path) as store:
        node = store.get_node(failed.node_id)
        assert node is not None and node.attrs["status"] == "FAILED"
        assert [e for e in store.iter_edges("produced") if e.source == failed.node_id] == []
        assert [e for e in store.iter_edges("output") if e.source == failed.node_id] == []
        assert store.get_node("model:churn@v9.0.0") is None
    with track_run(dvc_repo.path, name="train", inputs=["data/train.csv"]) as retry:
        model.write_bytes(b"well-trained weights")
        retry.log_model(model, name="churn", version="v9.0.0")
    with api.open_store(dvc_repo.path) as store:
        version = store.get_node("model:churn@v9.0.0")
        assert version is not None and version.attrs["artifact_hash"] == compute(model).hash
        assert {e.source for e in store.iter_edges("produced")
                if e.target == "model:churn@v9.0.0"} == {retry.node_id}


class _Estimator:
    """A value a training script logs that is no JSON (an estimator, a numpy scalar …)."""

    def __repr__(self) -> str:
        return "Estimator(depth=6)"


class _Scalar:
    """Like a numpy scalar: not an int or float, but ``.item()`` gives one."""

    def __init__(self, v: float) -> None:
        self.v = v

    def item(self) -> float:
        return self.v


def test_params_that_are_no_json_are_recorded_as_values_or_text(dvc_repo: GitRepo) -> None:
    with track_run(dvc_repo.path, name="train") as run:
        run.log_params({"estimator": _Estimator(), "out": Path("models"),
                        "n_estimators": _Scalar(100), "grid": {"depth": (4, 6)}})
        run.log_metric("auc", _Scalar(0.91))  # type: ignore[arg-type]
    assert run.result is not None
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None
    assert node.attrs["params"] == {"estimator": "Estimator(depth=6)", "out": "models",
                                    "n_estimators": 100, "grid": {"depth": [4, 6]}}
    assert node.attrs["metrics"] == {"auc": 0.91}


def test_the_training_error_is_never_hidden_by_a_problem_recording_the_run(
        dvc_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.tracking as tracking

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store's disk is full")

    monkeypatch.setattr(tracking, "emit", broken)
    with pytest.raises(ZeroDivisionError), pytest.warns(UserWarning, match="disk is full"), \
            track_run(dvc_repo.path, name="broken"):
        _ = 1 / 0


def test_a_bad_model_name_fails_at_log_model_not_after_the_run(dvc_repo: GitRepo) -> None:
    """Known when the model is logged, not after hours of training: the block stops there and
    the run is recorded FAILED (before, the run ended and then could not be recorded)."""
    model = dvc_repo.path / "models" / "named.pkl"
    model.parent.mkdir(exist_ok=True)
    model.write_bytes(b"w")
    after: list[str] = []
    with pytest.raises(InputError, match=r"name without '@' or spaces") as exc, \
            track_run(dvc_repo.path, name="train") as run:
        run.log_model(model, name="churn model", version="v1")
        after.append("went on")
    assert after == [] and exc.value.field == "models.0.name"
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FAILED"


def test_a_blank_run_name_fails_before_the_training_starts(dvc_repo: GitRepo) -> None:
    ran: list[str] = []
    with pytest.raises(InputError, match="must not be empty"), \
            track_run(dvc_repo.path, name=" "):
        ran.append("trained")
    assert ran == []


def test_a_run_id_already_recorded_is_refused_before_the_training(dvc_repo: GitRepo) -> None:
    """A retry that reuses its scheduler's run id (an Airflow task retried) would be refused
    after the whole training (a run is immutable): it is refused on entry instead."""
    with pytest.raises(ZeroDivisionError), track_run(dvc_repo.path, name="train",
                                                     run_id="nightly-2026-01-20"):
        _ = 1 / 0
    trained: list[str] = []
    with pytest.raises(InputError, match="already recorded") as exc, \
            track_run(dvc_repo.path, name="train", run_id="nightly-2026-01-20"):
        trained.append("yes")
    assert trained == []
    assert exc.value.hint is not None and "run_id" in exc.value.hint
    node = api.open_store(dvc_repo.path).get_node("run:lineage:nightly-2026-01-20")
    assert node is not None and node.attrs["status"] == "FAILED"


def test_one_version_logged_twice_from_two_files_is_an_error_at_log_model(
        dvc_repo: GitRepo) -> None:
    with pytest.raises(InputError, match="churn@v7 is already logged"), \
            track_run(dvc_repo.path, name="train") as run:
        run.log_model("models/a.pkl", name="churn", version="v7")
        run.log_model("models/b.pkl", name="churn", version="v7")
    node = api.open_store(dvc_repo.path).get_node(run.node_id)
    assert node is not None and node.attrs["status"] == "FAILED"
