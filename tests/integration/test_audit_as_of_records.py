"""`lineage audit --as-of T` and `lineage show --as-of T` leave out the documents and the
retraining records that did not exist yet at T, as they leave out later deployments,
approvals and alerts: each from its date (`at`), or from when the store first wrote it if that
is earlier or it has none (a document recorded without `--at`). The report counts them among
what it left out (`documents`, `retrainings`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import recording_repo

runner = CliRunner()
REQUIRED = ("model_card", "data_governance", "evaluation", "bias_report")  # the default policy's


class _Clock:
    """The store's clock and `lineage record`'s "now", set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """A high-risk `churn` trained twice (v1.0.0 on 2026-01-02, v2.0.0 on 2026-01-10), its
    documents recorded on 2026-01-05 but for the bias report: nothing of that yet."""
    recording_repo(tmp_path / "asof", monkeypatch)
    c = _Clock()
    monkeypatch.setattr("lineage.store.now_utc", c)
    monkeypatch.setattr("lineage.serialize.now_utc", c)
    Path("models").mkdir()
    for version, day in (("v1.0.0", "02"), ("v2.0.0", "10")):
        Path(f"models/churn-{version}.json").write_text(f'{{"v": "{version}"}}\n')
        record(c, f"2026-01-{day}T00:00:00Z", "run", "--name", "train", "--model",
               f"churn@{version}=models/churn-{version}.json", "--clean", "--end",
               f"2026-01-{day}T00:00:00Z")
    record(c, "2026-01-02T01:00:00Z", "assessment", "--group", "churn", "--tier", "high",
           "--assessor", "risk@example.com", "--date", "2026-01-01T00:00:00Z")
    for kind in REQUIRED[:3]:
        record(c, "2026-01-05T00:00:00Z", "document", "--group", "churn", "--type", kind,
               "--uri", f"https://wiki.example.com/churn/{kind}", "--id", f"churn-{kind}")
    return c


def record(clock: _Clock, at: str, *args: str) -> None:
    clock.now = datetime.fromisoformat(at.replace("Z", "+00:00"))
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def audit(*args: str) -> dict:
    res = runner.invoke(app, ["audit", "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def about(data: dict, rule: str) -> dict[str, str]:
    return {f["subject"]: f["message"] for f in data["findings"] if f["rule"] == rule}


def show(*args: str) -> dict:
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["governance"]


def test_a_document_recorded_after_the_audit_date_is_missing_then(clock: _Clock) -> None:
    record(clock, "2026-06-15T00:00:00Z", "document", "--group", "churn", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--id", "churn-bias")
    march = audit("--as-of", "2026-03-01")
    assert about(march, "high-risk-docs") == {
        "model:churn@v1.0.0": "churn@v1.0.0 lacks: bias_report",
        "model:churn@v2.0.0": "churn@v2.0.0 lacks: bias_report"}
    assert march["summary"]["after_as_of"]["documents"] == 1
    assert march["stats"]["documents_after_as_of"] == 1
    md = runner.invoke(app, ["audit", "--as-of", "2026-03-01", "--format", "markdown"]).stdout
    assert "(1 document made later left out)" in md, md
    table = runner.invoke(app, ["audit", "--as-of", "2026-03-01"], env={"COLUMNS": "200"})
    assert "(1 document made later left out)" in " ".join(table.stdout.split())
    # from the day it was recorded, and now, it counts
    for args in (("--as-of", "2026-06-15"), ()):
        data = audit(*args)
        assert about(data, "high-risk-docs") == {}, args
        assert data["summary"]["after_as_of"]["documents"] == 0


def test_show_lists_a_later_document_as_not_there_yet(clock: _Clock) -> None:
    record(clock, "2026-06-15T00:00:00Z", "document", "--model", "churn@v2.0.0", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--id", "churn-bias")
    gov = show("--as-of", "2026-03-01")
    [doc] = [d for d in gov["documents"] if d["id"] == "document:churn-bias"]
    assert (doc["counts"], doc["status"]) == (False, "not there yet")
    assert gov["documents_missing"] == ["bias_report"]
    assert {d["status"] for d in gov["documents"] if d["id"] != "document:churn-bias"} == \
        {"counts"}
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--as-of", "2026-03-01"],
                        env={"COLUMNS": "200"})
    assert "not there yet (recorded after the as-of time)" in res.stdout, res.stdout
    now = show()
    [doc] = [d for d in now["documents"] if d["id"] == "document:churn-bias"]
    assert (doc["counts"], doc["status"]) == (True, "counts")
    assert now["documents_missing"] == []


def test_a_document_recorded_later_with_its_date_counts_from_that_date(clock: _Clock) -> None:
    # recorded in June, issued in February: an audit of March counts it, one of January not
    record(clock, "2026-06-15T00:00:00Z", "document", "--group", "churn", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--at", "2026-02-01",
           "--id", "churn-bias")
    march = audit("--as-of", "2026-03-01")
    assert about(march, "high-risk-docs") == {}
    assert march["summary"]["after_as_of"]["documents"] == 0
    jan = audit("--as-of", "2026-01-20")
    assert set(about(jan, "high-risk-docs").values()) == {"churn@v1.0.0 lacks: bias_report",
                                                          "churn@v2.0.0 lacks: bias_report"}
    assert jan["summary"]["after_as_of"]["documents"] == 1
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--as-of", "2026-01-20"],
                        env={"COLUMNS": "200"})
    assert "not there yet (issued after the as-of time)" in res.stdout, res.stdout


def test_a_document_dated_after_it_was_recorded_counts_from_its_recording(
        clock: _Clock) -> None:
    record(clock, "2026-03-01T00:00:00Z", "document", "--group", "churn", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--at", "2099-01-01",
           "--id", "churn-bias")
    for args in (("--as-of", "2026-03-01"), ()):
        data = audit(*args)
        assert about(data, "high-risk-docs") == {}, args
        assert about(data, "lineage-continuity")["document:churn-bias"] == (
            "document:churn-bias: at 2099-01-01T00:00:00Z is after it was recorded "
            "(2026-03-01T00:00:00Z), a time that had not come yet: it counts from when it was "
            "recorded"), args
    assert about(audit("--as-of", "2026-02-28"), "high-risk-docs") != {}


def test_a_retraining_recorded_after_the_audit_date_does_not_log_it(clock: _Clock) -> None:
    record(clock, "2026-06-15T00:00:00Z", "retraining", "--trigger", "schedule", "--reason",
           "monthly", "--previous", "churn@v1.0.0", "--new", "churn@v2.0.0", "--id", "june")
    march = audit("--as-of", "2026-03-01", "--rule", "retraining-logged")
    assert about(march, "retraining-logged") == {
        "model:churn@v2.0.0": "churn@v2.0.0 replaces churn@v1.0.0 but no retraining record "
                              "of it counts: retraining record june is dated after the audit "
                              "date (2026-06-15T00:00:00Z)"}
    assert march["summary"]["after_as_of"]["retrainings"] == 1
    assert "(1 retraining made later left out)" in runner.invoke(
        app, ["audit", "--as-of", "2026-03-01", "--format", "markdown"]).stdout
    [rec] = show("--as-of", "2026-03-01")["retraining"]
    assert (rec["id"], rec["counts"], rec["status"]) == ("retraining:june", False,
                                                          "not made yet")
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--as-of", "2026-03-01"],
                        env={"COLUMNS": "200"})
    assert "not made yet (dated after the as-of time)" in res.stdout, res.stdout
    for args in (("--as-of", "2026-06-15"), ()):
        data = audit(*args, "--rule", "retraining-logged")
        assert about(data, "retraining-logged") == {}, args
        assert data["summary"]["after_as_of"]["retrainings"] == 0
    [rec] = show()["retraining"]
    assert (rec["counts"], rec["status"]) == (True, "counts")


def test_a_retraining_recorded_later_with_its_real_date_counts(clock: _Clock) -> None:
    # recorded after the fact, dated when it happened: it had happened by March
    record(clock, "2026-06-15T00:00:00Z", "retraining", "--trigger", "schedule", "--reason",
           "monthly", "--previous", "churn@v1.0.0", "--new", "churn@v2.0.0", "--at",
           "2026-01-09T00:00:00Z", "--id", "late-entry")
    march = audit("--as-of", "2026-03-01", "--rule", "retraining-logged")
    assert about(march, "retraining-logged") == {}
    assert march["summary"]["after_as_of"]["retrainings"] == 0
    before = audit("--as-of", "2026-01-09T00:00:00Z", "--rule", "retraining-logged")
    assert before["summary"]["after_as_of"]["retrainings"] == 0
    earlier = audit("--as-of", "2026-01-08T23:00:00Z")
    # (churn@v2.0.0 was not trained yet either)
    assert earlier["summary"]["after_as_of"]["retrainings"] == 1
    assert earlier["summary"]["after_as_of"]["model_versions"] == 1


def test_a_retraining_dated_after_the_audit_date_is_not_counted(clock: _Clock) -> None:
    # written on 2026-01-20, saying it happened on 2026-02-10: a lineage-continuity finding
    # in every audit, and no retraining log before that date
    record(clock, "2026-01-20T00:00:00Z", "retraining", "--trigger", "schedule", "--reason",
           "monthly", "--previous", "churn@v1.0.0", "--new", "churn@v2.0.0", "--at",
           "2026-02-10T00:00:00Z", "--id", "ahead")
    feb = audit("--as-of", "2026-02-01")
    assert "retraining record ahead is dated after the audit date (2026-02-10T00:00:00Z)" in \
        about(feb, "retraining-logged")["model:churn@v2.0.0"]
    assert "retraining:ahead" in about(feb, "lineage-continuity")
    assert about(audit("--as-of", "2026-02-11"), "retraining-logged") == {}


def test_an_undated_retraining_recorded_later_follows_no_alert_up_then(
        clock: _Clock, tmp_path: Path) -> None:
    record(clock, "2026-01-11T00:00:00Z", "deployment", "--model", "churn@v2.0.0", "--env",
           "prod", "--deployed-at", "2026-01-11T00:00:00Z")
    record(clock, "2026-01-12T00:00:00Z", "alert", "--model", "churn@v2.0.0", "--metric", "psi",
           "--value", "0.4", "--threshold", "0.2", "--at", "2026-01-12T00:00:00Z", "--id",
           "psi-jan")
    # a governance file without `at`, harvested in June
    Path("governance/retraining").mkdir(parents=True)
    Path("governance/retraining/undated.yaml").write_text(
        "kind: retraining\nid: undated\ntrigger: drift\nreason: PSI above 0.2\n"
        "previous_model: churn@v1.0.0\nnew_model: churn@v2.0.0\nalert: psi-jan\n")
    clock.now = datetime(2026, 6, 15, tzinfo=UTC)
    res = runner.invoke(app, ["harvest"])
    assert res.exit_code == 0, res.output
    march = audit("--as-of", "2026-03-01", "--rule", "monitoring-active",
                  "--rule", "retraining-logged")
    assert "retraining undated names it but was recorded after the audit date " \
        "(2026-06-15T00:00:00Z)" in about(march, "monitoring-active")["alert:psi-jan"]
    assert "retraining record undated was recorded after the audit date " \
        "(2026-06-15T00:00:00Z)" in about(march, "retraining-logged")["model:churn@v2.0.0"]
    assert march["summary"]["after_as_of"]["retrainings"] == 1
    july = audit("--as-of", "2026-07-01", "--rule", "monitoring-active",
                 "--rule", "retraining-logged")
    assert "alert:psi-jan" not in about(july, "monitoring-active")
    assert about(july, "retraining-logged") == {}


def test_show_marks_an_alert_raised_after_the_as_of_time(clock: _Clock) -> None:
    record(clock, "2026-04-02T00:00:00Z", "alert", "--model", "churn@v2.0.0", "--metric", "psi",
           "--value", "0.4", "--threshold", "0.2", "--at", "2026-04-02T00:00:00Z", "--id",
           "psi-apr")
    [rec] = show("--as-of", "2026-03-01")["alerts"]
    assert (rec["id"], rec["raised_later"]) == ("alert:psi-apr", True)
    assert audit("--as-of", "2026-03-01")["summary"]["after_as_of"]["alerts"] == 1
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--as-of", "2026-03-01"],
                        env={"COLUMNS": "200"})
    assert "not raised yet (raised after the as-of time)" in res.stdout, res.stdout
    [rec] = show()["alerts"]
    assert rec["raised_later"] is False
    res = runner.invoke(app, ["show", "churn@v2.0.0"], env={"COLUMNS": "200"})
    assert "not raised yet" not in res.stdout
