"""A run's NaN or infinite metric (a diverged loss) is a fact the Atlas entity keeps: Atlas's
``metrics`` map holds doubles only, so such a value goes to ``properties`` by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import recording_repo


def test_a_nan_metric_of_a_run_is_in_its_atlas_entity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.sinks.atlas.sink import AtlasSink
    from lineage import api
    from lineage.cli.main import app

    root = recording_repo(tmp_path / "r", monkeypatch)
    res = CliRunner().invoke(app, ["record", "run", "--name", "train", "--run-id", "r1",
                                   "--metric", "loss=nan", "--metric", "gain=-inf",
                                   "--metric", "auc=0.9"])
    assert res.exit_code == 0, res.output
    with api.open_store(root) as store:
        graph = store.load_graph()
    items = AtlasSink().render(graph)
    AtlasSink().validate(items)
    run = next(i["entity"]["attributes"] for i in items
               if i["entity"]["typeName"] == "lineage_training_run")
    assert run["metrics"] == {"auc": 0.9}
    assert run["properties"]["metric:loss"] == "NaN"
    assert run["properties"]["metric:gain"] == "-Infinity"
