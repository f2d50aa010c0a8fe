"""NaN and infinite metrics are kept, as MLflow keeps them (a loss that diverged is evidence):
spelled "NaN", "Infinity", "-Infinity" in the record's content (its id, the event, the node),
`.nan` / `.inf` in a record file, the same every time."""

from __future__ import annotations

import json
import math
import warnings

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.records import native_id, parse_file, validate_data
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(churn_repo: GitRepo) -> GitRepo:
    return churn_repo


KEPT = {"loss": "NaN", "gain": "Infinity", "drop": "-Infinity", "auc": 0.91}


def test_record_run_keeps_nan_and_infinite_metrics(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "r1",
                              "--metric", "loss=nan", "--metric", "gain=Infinity",
                              "--metric", "drop=-inf", "--metric", "auc=0.91",
                              "--write-file", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["metrics"] == KEPT
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:r1")
        assert node is not None and node.attrs["metrics"] == KEPT
        (event,) = [e for e in store.events() if e.kind == "record"]
        assert event.payload["record"]["metrics"] == KEPT
    # the file says it as YAML does, and reads back to the same record
    text = (repo.path / out["file"]).read_text()
    assert "loss: .nan" in text and "gain: .inf" in text and "drop: -.inf" in text, text
    (back,) = parse_file(repo.path / out["file"], repo.path)
    assert math.isnan(back.record.metrics["loss"])  # type: ignore[attr-defined]
    # the same run recorded again is the identical record: nothing changes, nothing refused
    again = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "r1",
                                "--metric", "loss=NaN", "--metric", "gain=inf",
                                "--metric", "drop=-Infinity", "--metric", "auc=0.91",
                                "--end", out["record"]["end_time"], "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["facts_written"] == 0
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output


def test_a_record_without_id_has_one_id_whatever_the_nan_spelling() -> None:
    a = validate_data({"kind": "run", "metrics": {"loss": float("nan")}}, file="a")
    b = validate_data({"kind": "run", "metrics": {"loss": "NaN"}}, file="b")
    c = validate_data({"kind": "run", "metrics": {"loss": 1.0}}, file="c")
    assert native_id(a) == native_id(b) != native_id(c)


def test_track_run_keeps_a_nan_metric(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run

    monkeypatch.chdir(repo.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with track_run(repo.path, name="train") as run:
            run.log_metric("loss", float("nan"))
    with api.open_store(repo.path) as store:
        node = store.get_node(run.node_id)
        assert node is not None and node.attrs["metrics"] == {"loss": "NaN"}


def test_a_nan_param_is_kept_as_mlflow_keeps_params_as_text(repo: GitRepo) -> None:
    # MLflow records params as text: str(float("nan")) is "nan"; null would be no value
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--run-id", "p1",
                              "--param", "alpha=NaN", "--param", "beta=inf", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["record"]["params"] == {"alpha": "NaN", "beta": "inf"}
    rec = validate_data({"kind": "run", "params": {"alpha": float("nan"),
                                                   "grid": [1.0, float("-inf")]}}, file="x")
    assert rec.params == {"alpha": "nan", "grid": [1.0, "-inf"]}  # type: ignore[attr-defined]
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:p1")
        assert node is not None and node.attrs["params"] == {"alpha": "NaN", "beta": "inf"}


def test_a_run_stored_before_nan_was_kept_is_harvested_again(repo: GitRepo) -> None:
    from lineage.model import Node, NodeKind

    # what a store written before held: the NaN metric as null, the NaN param dropped
    with api.open_store(repo.path) as store, store.transaction():
        store.upsert([Node(kind=NodeKind.RUN, id="run:lineage:old", attrs={
            "source": "lineage", "run_id": "old", "status": "FINISHED",
            "metrics": {"loss": None, "auc": 0.5}, "params": {"lr": 0.1}})])
        store.append_event("record", "test", {"node": "run:lineage:old"})
    repo.write("governance/run/old.yaml", "kind: run\nid: old\nmetrics: {loss: .nan, auc: 0.5}\n"
                                          "params: {lr: 0.1, alpha: .nan}\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 0, res.output
    with api.open_store(repo.path) as store:
        node = store.get_node("run:lineage:old")
        assert node is not None and node.attrs["metrics"] == {"loss": "NaN", "auc": 0.5}
