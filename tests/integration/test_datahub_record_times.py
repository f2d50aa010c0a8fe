"""When the store recorded each governance record (the time of the event that first wrote it)
shows in DataHub next to the record (``recorded_at`` in its ``<kind>.<id>`` custom property;
a deployment's own ``recorded_at``), and the reader gives those times back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import read_lite  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import recording_repo  # noqa: E402

runner = CliRunner()


class _Clock:
    """The store's clock, set by the test (the time each record event is written)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def record(clock: _Clock, at: str, *args: str) -> None:
    clock.now = datetime.fromisoformat(at.replace("Z", "+00:00"))
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, _Clock]:
    root = recording_repo(tmp_path / "times", monkeypatch)
    clock = _Clock()
    monkeypatch.setattr("lineage.store.now_utc", clock)
    Path("models").mkdir()
    Path("models/churn.json").write_text('{"w": 1}\n')
    record(clock, "2026-01-02T00:00:00Z", "run", "--name", "train", "--model",
           "churn@v1.0.0=models/churn.json", "--clean", "--end", "2026-01-02T00:00:00Z")
    record(clock, "2026-01-03T08:00:00Z", "assessment", "--group", "churn", "--tier", "high",
           "--assessor", "risk@example.com", "--date", "2026-01-01T00:00:00Z", "--id", "RA-1")
    record(clock, "2026-01-05T09:30:00Z", "approval", "--model", "churn@v1.0.0", "--env",
           "prod", "--approver", "bob@example.com", "--role", "model-risk", "--decided-at",
           "2026-01-04T00:00:00Z", "--id", "APR-1")
    record(clock, "2026-01-06T10:00:00Z", "deployment", "--model", "churn@v1.0.0", "--env",
           "prod", "--deployed-at", "2026-01-06T00:00:00Z")
    record(clock, "2026-01-07T11:00:00Z", "alert", "--model", "churn@v1.0.0", "--metric",
           "psi", "--value", "0.4", "--threshold", "0.2", "--at", "2026-01-07T00:00:00Z",
           "--id", "PSI-1")
    return root, clock


def _custom(mcps: list[dict[str, Any]], entity: str, aspect: str) -> dict[str, str]:
    (got,) = [m["aspect"]["json"].get("customProperties") or {} for m in mcps
              if m["entityType"] == entity and m["aspectName"] == aspect]
    return got  # type: ignore[no-any-return]


def test_record_times_show_next_to_each_record(repo: tuple[Path, _Clock],
                                               tmp_path: Path) -> None:
    dest = tmp_path / "mcps.json"
    res = runner.invoke(app, ["push", "--to", "datahub-file", str(dest)])
    assert res.exit_code == 0, res.output
    mcps = json.loads(dest.read_text())
    model = _custom(mcps, "mlModel", "mlModelProperties")
    assert json.loads(model["approval.APR-1"])["recorded_at"] == "2026-01-05T09:30:00Z"
    assert json.loads(model["alert.PSI-1"])["recorded_at"] == "2026-01-07T11:00:00Z"
    group = _custom(mcps, "mlModelGroup", "mlModelGroupProperties")
    assert json.loads(group["risk_assessment.RA-1"])["recorded_at"] == "2026-01-03T08:00:00Z"
    deployment = _custom(mcps, "mlModelDeployment", "mlModelDeploymentProperties")
    assert deployment["recorded_at"] == "2026-01-06T10:00:00Z"


def test_the_reader_gives_the_record_times_back(repo: tuple[Path, _Clock],
                                               tmp_path: Path) -> None:
    lite = tmp_path / "lite.db"
    res = runner.invoke(app, ["push", str(lite)])
    assert res.exit_code == 0, res.output
    times = read_lite(str(lite)).nx.graph.get("recorded") or {}
    assert times["approval:APR-1"][0] == "2026-01-05T09:30:00Z"
    assert times["risk_assessment:RA-1"][0] == "2026-01-03T08:00:00Z"
    assert times["alert:PSI-1"][0] == "2026-01-07T11:00:00Z"
    (dep,) = [k for k in times if k.startswith("deployment:")]
    assert times[dep][0] == "2026-01-06T10:00:00Z"
