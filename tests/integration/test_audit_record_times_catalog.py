"""The audit of a DataHub catalog reads when the store wrote each record (the `recorded_at`
`lineage push` writes and the reader gives back as the graph's `recorded` map), as the audit of
the store does: an approval dated after it was recorded approves nothing in either. Without
those times the catalog's audit took the real time as every record's writing, and counted an
approval forged days ahead once those days had passed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import recording_repo

pytest.importorskip("datahub")

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


def gate(*source: str) -> list[str]:
    res = runner.invoke(app, ["audit", "--as-of", "2026-01-20", "--format", "json", "--rule",
                              "deployment-approved", *source])
    assert res.exit_code in (0, 1), res.output
    return [f["message"] for f in json.loads(res.stdout)["findings"]]


def test_a_catalog_audit_reads_when_each_record_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording_repo(tmp_path / "times", monkeypatch)
    clock = _Clock()
    monkeypatch.setattr("lineage.store.now_utc", clock)
    Path("models").mkdir()
    Path("models/churn.json").write_text('{"w": 1}\n')
    record(clock, "2026-01-02T00:00:00Z", "run", "--name", "train", "--model",
           "churn@v1.0.0=models/churn.json", "--clean", "--end", "2026-01-02T00:00:00Z")
    # written on 2026-01-05, each saying it was decided on 2026-01-09: a claim about the future
    for who in ("bob@example.com", "carol@example.com"):
        record(clock, "2026-01-05T09:30:00Z", "approval", "--model", "churn@v1.0.0", "--env",
               "prod", "--approver", who, "--decided-at", "2026-01-09T00:00:00Z")
    record(clock, "2026-01-10T10:00:00Z", "deployment", "--model", "churn@v1.0.0", "--env",
           "prod", "--deployed-at", "2026-01-10T09:00:00Z")
    store = gate()
    assert len(store) == 1 and "after it was recorded (2026-01-05T09:30:00Z)" in store[0], store
    lite = tmp_path / "lite.db"
    res = runner.invoke(app, ["push", str(lite)])
    assert res.exit_code == 0, res.output
    assert gate("--source", "datahub-lite", str(lite)) == store


def test_a_catalog_audit_leaves_out_documents_and_retrainings_recorded_later(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording_repo(tmp_path / "later", monkeypatch)
    clock = _Clock()
    monkeypatch.setattr("lineage.store.now_utc", clock)
    Path("models").mkdir()
    for version, day in (("v1.0.0", "02"), ("v2.0.0", "10")):
        Path(f"models/churn-{version}.json").write_text(f'{{"v": "{version}"}}\n')
        record(clock, f"2026-01-{day}T00:00:00Z", "run", "--name", "train", "--model",
               f"churn@{version}=models/churn-{version}.json", "--clean", "--end",
               f"2026-01-{day}T00:00:00Z")
    record(clock, "2026-01-02T01:00:00Z", "assessment", "--group", "churn", "--tier", "high",
           "--assessor", "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    # written in June, neither with a date of its own before it
    for kind in ("model_card", "data_governance", "evaluation", "bias_report"):
        record(clock, "2026-06-15T00:00:00Z", "document", "--group", "churn", "--type", kind,
               "--uri", f"https://wiki.example.com/churn/{kind}")
    record(clock, "2026-06-15T00:00:00Z", "retraining", "--trigger", "schedule", "--reason",
           "monthly", "--previous", "churn@v1.0.0", "--new", "churn@v2.0.0", "--at",
           "2026-06-15T00:00:00Z")
    lite = tmp_path / "lite.db"
    res = runner.invoke(app, ["push", str(lite)])
    assert res.exit_code == 0, res.output

    def audit(as_of: str, *source: str) -> tuple[list[tuple[str, str]], dict[str, int]]:
        res = runner.invoke(app, ["audit", "--as-of", as_of, "--format", "json", "--rule",
                                  "high-risk-docs", "--rule", "retraining-logged", *source])
        assert res.exit_code in (0, 1), res.output
        data = json.loads(res.stdout)
        return ([(f["rule"], f["subject"]) for f in data["findings"]],
                data["summary"]["after_as_of"])

    store = audit("2026-03-01")
    assert store == ([("high-risk-docs", "model:churn@v1.0.0"),
                      ("high-risk-docs", "model:churn@v2.0.0"),
                      ("retraining-logged", "model:churn@v2.0.0")],
                     {"model_versions": 0, "runs": 0, "deployments": 0, "approvals": 0,
                      "alerts": 0, "documents": 4, "retrainings": 1}), store
    assert audit("2026-03-01", "--source", "datahub-lite", str(lite)) == store
    assert audit("2026-07-01")[0] == []
    assert audit("2026-07-01", "--source", "datahub-lite", str(lite))[0] == []
