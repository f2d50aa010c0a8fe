"""A run recorded when it starts (RUNNING, or SCHEDULED) is completed under the same id when it
ends, as a tracking system completes it (MLflow: status, end time, metrics, tags, new params):
one more event, so the trail shows both. What the run is — its code commit, its inputs, its
start, a param already logged — does not change, and a run that ended is not changed at all."""

from __future__ import annotations

import json
import warnings

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.audit import run_audit
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo, store_state

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    git_repo.write("data/train.csv", "a,b\n1,2\n")
    git_repo.write(".gitignore", "models/\n")
    git_repo.commit("data")
    api.init(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    return git_repo


def _run(repo: GitRepo, *args: str):
    return runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "r1",
                               "--name", "train", *args, "--json"])


def _start(repo: GitRepo, *extra: str) -> dict:
    res = _run(repo, "--status", "RUNNING", "--start", "2026-01-15T10:00:00Z",
               "--input", "data/train.csv", "--param", "lr=0.1", "--metric", "loss=0.9", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _finish(repo: GitRepo, *extra: str):
    repo.write("models/churn.json", '{"w": 1}\n')
    return _run(repo, "--status", "FINISHED", "--end", "2026-01-15T10:42:00Z",
                "--param", "epochs=3", "--metric", "auc=0.91",
                "--model", "churn@v1.0.0=models/churn.json", *extra)


def test_a_running_run_is_completed_under_its_id(repo: GitRepo) -> None:
    started = _start(repo)
    assert started["record"]["status"] == "RUNNING"
    assert "end_time" not in started["record"]  # a run that runs has not ended
    res = _finish(repo)
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r1")
        assert node is not None
        a = node.attrs
        assert a["status"] == "FINISHED" and a["end_time"] == "2026-01-15T10:42:00Z"
        assert a["start_time"] == "2026-01-15T10:00:00Z"
        assert a["metrics"] == {"loss": 0.9, "auc": 0.91}
        assert a["params"] == {"lr": 0.1, "epochs": 3}
        assert a["commit"] == repo.git("rev-parse", "HEAD")
        edges = {(e.source, e.target) for e in store.iter_edges(EdgeKind.PRODUCED)}
        assert ("run:lineage:r1", "model:churn@v1.0.0") in edges
        recorded = [e.payload["record"]["status"] for e in store.events()
                    if e.kind == "record" and e.payload.get("node") == "run:lineage:r1"]
        assert recorded == ["RUNNING", "FINISHED"]  # the trail shows both
        report = run_audit(store, rules=["model-has-run"])
    assert [f.subject for f in report.findings] == []
    assert runner.invoke(app, ["verify", "-C", str(repo.path)]).exit_code == 0


def test_the_audit_reads_the_latest_state(repo: GitRepo) -> None:
    # a run that has not ended claims no model yet (as a failed one claims none): the
    # version appears, produced, when the run is recorded FINISHED
    repo.write("models/churn.json", '{"w": 1}\n')
    res = _run(repo, "--status", "RUNNING", "--model", "churn@v1.0.0=models/churn.json")
    assert res.exit_code == 0, res.output
    assert "RUNNING run claims no model yet" in res.stderr, res.stderr
    with api.open_store(repo.path) as store:
        assert store.get_node("model:churn@v1.0.0") is None
    res = _run(repo, "--status", "finished", "--model", "churn@v1.0.0=models/churn.json")
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        assert store.get_node("model:churn@v1.0.0") is not None
        assert store.get_node("run:lineage:r1").attrs["status"] == "FINISHED"  # type: ignore[union-attr]
        assert run_audit(store, rules=["model-has-run"]).findings == []


def test_a_run_that_fails_in_the_end_leaves_the_version_to_the_retry(repo: GitRepo) -> None:
    repo.write("models/churn.json", '{"w": 1}\n')
    assert _run(repo, "--status", "RUNNING", "--model",
                "churn@v1.0.0=models/churn.json").exit_code == 0
    assert _run(repo, "--status", "FAILED").exit_code == 0
    repo.write("models/churn.json", '{"w": 2}\n')  # the retry writes other bytes
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "r2",
                              "--model", "churn@v1.0.0=models/churn.json"])
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        produced = {e.source for e in store.iter_edges(EdgeKind.PRODUCED)}
    assert produced == {"run:lineage:r2"}


@pytest.mark.parametrize("status", ["FINISHED", "FAILED", "KILLED", "RUNNING"])
def test_a_run_that_ended_is_not_changed(repo: GitRepo, status: str) -> None:
    _start(repo)
    assert _finish(repo).exit_code == 0
    before = store_state(repo)
    # back to RUNNING without an end (a running run with an end is refused on its own)
    end = [] if status == "RUNNING" else ["--end", "2026-01-15T11:00:00Z"]
    res = _run(repo, "--status", status, *end)
    assert res.exit_code == 2, res.output
    assert "run:lineage:r1" in res.stderr and "FINISHED" in res.stderr
    assert store_state(repo) == before


def test_a_run_does_not_go_back_to_scheduled(repo: GitRepo) -> None:
    res = _run(repo, "--status", "scheduled")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["status"] == "SCHEDULED"
    assert _run(repo, "--status", "RUNNING").exit_code == 0
    res = _run(repo, "--status", "SCHEDULED")
    assert res.exit_code == 2 and "status" in res.stderr, res.output


def test_what_the_run_is_does_not_change_when_it_ends(repo: GitRepo) -> None:
    _start(repo)
    first = repo.git("rev-parse", "HEAD")
    before = store_state(repo)
    other = repo.commit("another commit")
    res = _finish(repo, "--commit", other)
    assert res.exit_code == 2 and "commit" in res.stderr and first in res.stderr, res.output
    res = _finish(repo, "--param", "lr=0.2")
    assert res.exit_code == 2 and "params.lr" in res.stderr, res.output
    repo.write("data/train.csv", "a,b\n1,3\n")  # the input changed under the run
    res = _finish(repo, "--input", "data/train.csv")
    assert res.exit_code == 2 and "data/train.csv" in res.stderr, res.output
    assert store_state(repo) == before
    # completed without restating them, the run keeps the commit it started at (not HEAD)
    res = _finish(repo)
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r1")
        assert node is not None and node.attrs["commit"] == first


def test_completed_with_write_file_the_file_says_it_ended(repo: GitRepo) -> None:
    started = _start(repo, "--write-file")
    res = _finish(repo, "--write-file")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["file"] == started["file"]
    text = (repo.path / started["file"]).read_text()
    assert "status: FINISHED" in text and "loss: 0.9" in text and "auc: 0.91" in text, text
    before = store_state(repo)
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output
    assert store_state(repo)[1] == before[1]


def test_a_file_written_when_the_run_started_is_its_earlier_state(repo: GitRepo) -> None:
    started = _start(repo, "--write-file")
    assert _finish(repo).exit_code == 0  # completed without --write-file
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r1")
        assert node is not None and node.attrs["status"] == "FINISHED"
        assert node.attrs["metrics"] == {"loss": 0.9, "auc": 0.91}
    # ... but a file saying otherwise about what the run is fails the harvest
    path = repo.path / started["file"]
    path.write_text(path.read_text().replace("lr: 0.1", "lr: 0.5"))
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 2 and "params.lr" in harvest.stderr, harvest.output


def test_track_run_completes_a_run_recorded_as_running(repo: GitRepo) -> None:
    from connectors.tracking import track_run
    from lineage.records import RunRecord, emit

    emit(RunRecord(kind="run", id="sched-7", status="RUNNING", name="train",
                   commit=repo.git("rev-parse", "HEAD"), dirty=False,
                   start_time="2026-01-15T10:00:00Z"), repo.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with track_run(repo.path, name="train", run_id="sched-7") as run:
            run.log_metric("auc", 0.9)
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:sched-7")
        assert node is not None
        assert node.attrs["status"] == "FINISHED" and node.attrs["metrics"] == {"auc": 0.9}
        assert node.attrs["start_time"] == "2026-01-15T10:00:00Z" and node.attrs["end_time"]
    # the run ended: a second attempt under its id is refused before it trains
    from lineage.errors import InputError

    with pytest.raises(InputError, match="already recorded"):
        with track_run(repo.path, name="train", run_id="sched-7"):
            raise AssertionError("must not run")


START = ("kind: run\nid: r9\nstatus: RUNNING\nstart_time: 2026-01-15T10:00:00Z\n"
         "commit: {commit}\nparams: {{lr: 0.1}}\nmetrics: {{loss: 0.5}}\n")
END = ("kind: run\nid: r9\nstatus: FINISHED\nstart_time: 2026-01-15T10:00:00Z\n"
       "end_time: 2026-01-15T10:42:00Z\ncommit: {commit}\nmetrics: {{auc: 0.9}}\n")


@pytest.mark.parametrize(("start", "end"), [("a-start.yaml", "b-end.yaml"),
                                            ("z-start.yaml", "b-end.yaml")])
def test_the_files_of_a_runs_start_and_end_are_one_run(repo: GitRepo, start: str,
                                                       end: str) -> None:
    sha = repo.git("rev-parse", "HEAD")
    repo.write(f"governance/run/{start}", START.format(commit=sha))
    repo.write(f"governance/run/{end}", END.format(commit=sha))
    validate = runner.invoke(app, ["record", "validate", "-C", str(repo.path)])
    assert validate.exit_code == 0, validate.output
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r9")
        assert node is not None
        assert node.attrs["status"] == "FINISHED"
        assert node.attrs["end_time"] == "2026-01-15T10:42:00Z"
        assert node.attrs["metrics"] == {"loss": 0.5, "auc": 0.9}
        assert node.attrs["params"] == {"lr": 0.1}
    before = store_state(repo)
    again = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert again.exit_code == 0, again.output
    assert store_state(repo) == before


def test_the_end_of_a_run_saying_another_commit_than_its_start_is_refused(
        repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    repo.write("governance/run/a-start.yaml", START.format(commit=sha))
    repo.write("governance/run/b-end.yaml", END.format(commit="f" * 40))
    validate = runner.invoke(app, ["record", "validate", "-C", str(repo.path)])
    assert validate.exit_code == 1 and "commit" in validate.output, validate.output
    before = store_state(repo)
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 2 and "commit" in harvest.stderr, harvest.output
    assert store_state(repo) == before


def test_write_file_at_the_end_only_writes_the_whole_run(repo: GitRepo, tmp_path) -> None:
    # the start was recorded without --write-file: the file written at the end holds the run
    # as the store does (its start, inputs, params), so a fresh clone harvests the same run
    _start(repo)
    res = _finish(repo, "--write-file")
    assert res.exit_code == 0, res.output
    rel = json.loads(res.stdout)["file"]
    from lineage.records import parse_file

    (loaded,) = parse_file(repo.path / rel, repo.path)
    rec = loaded.record
    assert rec.status == "FINISHED" and rec.params == {"lr": 0.1, "epochs": 3}  # type: ignore[attr-defined]
    assert rec.metrics == {"loss": 0.9, "auc": 0.91}  # type: ignore[attr-defined]
    assert [i.path for i in rec.inputs] == ["data/train.csv"]  # type: ignore[attr-defined]
    assert str(rec.start_time).startswith("2026-01-15 10:00")  # type: ignore[attr-defined]
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output


def test_the_end_of_a_run_harvested_from_a_file_completes_that_file(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    repo.write("governance/runs/nightly.yaml", START.format(commit=sha))
    assert runner.invoke(app, ["harvest", "-C", str(repo.path),
                               "--only", "records"]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "r9",
                              "--status", "FINISHED", "--metric", "auc=0.9", "--write-file",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["file"] == "governance/runs/nightly.yaml"
    text = (repo.path / "governance/runs/nightly.yaml").read_text()
    assert "status: FINISHED" in text and "loss: 0.5" in text and "lr: 0.1" in text, text
    assert not (repo.path / "governance/run").exists()


@pytest.mark.parametrize("status", ["RUNNING", "SCHEDULED"])
def test_a_run_that_has_not_ended_has_no_end_time(repo: GitRepo, status: str) -> None:
    """A run still running with an end time contradicts itself (MLflow keeps no end time until
    the run ends): refused, naming the field, and nothing is written."""
    before = store_state(repo)
    res = _run(repo, "--status", status, "--start", "2026-01-15T10:00:00Z",
               "--end", "2026-01-15T11:00:00Z")
    assert res.exit_code == 2, res.output
    assert "end" in res.output and status in res.output, res.output
    assert store_state(repo) == before
    # the same in a governance file: the harvest names the file and the field
    repo.write("governance/runs/r2.yaml", f"kind: run\nid: r2\nname: train\nstatus: {status}\n"
               "start_time: 2026-01-15T10:00:00Z\nend_time: 2026-01-15T11:00:00Z\n")
    res = runner.invoke(app, ["record", "validate", str(repo.path / "governance")])
    assert res.exit_code != 0 and "r2.yaml" in res.output and "end_time" in res.output, \
        res.output
