"""The incident an earlier lineage made of a monitoring check that passed.

Earlier releases pushed every alert record as a "Drift" incident, the quickstart's daily
check (``psi = 0.04``, threshold 0.2, resolved) included; now such a check is a check run. An
incident cannot be soft-deleted: the push resolves the one lineage made of the record (same
incident urn), with a message naming the check run, and stops counting it as a stale entity;
a DataHub that holds it still active (a store that never pushed there: a fresh clone, a Lite
file moved) gets it resolved, and the version's incidents summary no longer lists it as
active. The drift alert that fired stays the active incident it is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub import render  # noqa: E402
from connectors.sinks.datahub.render import check_urn, incident_urn  # noqa: E402
from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage.cli.main import app  # noqa: E402

runner = CliRunner()
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
DRIFT = "alert:churn-psi-2026-01-09"
CHECK = "alert:churn-psi-2026-01-21"


def push(repo: Path, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", "-C", str(repo), *args, "--json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def held(lite: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def record_check(repo: Path, day: int) -> None:
    res = runner.invoke(app, [
        "record", "alert", "-C", str(repo), "--model", "churn@v1.1.0", "--metric", "psi",
        "--value", "0.05", "--threshold", "0.2", "--status", "resolved",
        "--at", f"2026-01-{day}T06:00:00Z", "--id", f"churn-psi-2026-01-{day}",
        "--description", "daily drift check: no drift"])
    assert res.exit_code == 0, res.output


def test_a_store_resolves_the_incident_it_made_of_a_passed_check(
        quickstart_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lite = tmp_path / "team.db"
    # an earlier lineage: every alert record an incident
    with monkeypatch.context() as m:
        m.setattr(render, "passed_check", lambda a: False)
        push(quickstart_demo, str(lite))
    inc = incident_urn(CHECK)
    assert held(lite, inc)["incidentInfo"]["title"].startswith("Drift: psi")
    assert inc in str(held(lite, V2)["incidentsSummary"])

    record_check(quickstart_demo, 22)  # (the store moves on)
    out = push(quickstart_demo, str(lite))
    info = held(lite, inc)["incidentInfo"]
    assert info["status"]["state"] == "RESOLVED"
    assert check_urn(CHECK) in info["status"]["message"]
    assert info["status"]["lastUpdated"]["time"] == 1768975200000  # the check's time
    # not a stale entity pushed before that the push can do nothing about
    assert inc not in out.get("stale_urns", []), out
    assert out["resolved_incidents"] == 1
    assert inc not in str(held(lite, V2).get("incidentsSummary") or {})
    # the drift alert that fired is still the active incident it was
    assert held(lite, incident_urn(DRIFT))["incidentInfo"]["status"]["state"] == "ACTIVE"

    again = push(quickstart_demo, str(lite))
    assert again["written"] == 0 and "resolved_incidents" not in again, again
    assert inc not in again.get("stale_urns", [])
    record_check(quickstart_demo, 23)
    later = push(quickstart_demo, str(lite))
    assert inc not in later.get("stale_urns", []) and "resolved_incidents" not in later, later


def test_a_datahub_holding_it_active_gets_it_resolved(quickstart_demo: Path,
                                                      tmp_path: Path) -> None:
    """The DataHub holds lineage's incident of the check still ACTIVE, listed so in the
    version's incidents summary; this store never pushed to it (the Lite file was moved)."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata import schema_classes as sc

    lite = tmp_path / "moved.db"
    shutil.copy(quickstart_demo / ".lineage" / "datahub-lite.db", lite)
    inc = incident_urn(CHECK)
    at = 1768975200000
    db = get_datahub_lite(lite_config(lite))
    try:
        summary = sc.IncidentsSummaryClass.from_obj({
            "activeIncidents": [inc], "resolvedIncidents": [],
            "activeIncidentDetails": [{"urn": inc, "type": "MODEL_DRIFT", "createdAt": at,
                                       "priority": 1}],
            "resolvedIncidentDetails": []})
        for mcp in (MetadataChangeProposalWrapper(entityUrn=inc, aspect=sc.IncidentInfoClass(
                type="CUSTOM", customType="MODEL_DRIFT", entities=[V2],
                title="Drift: psi = 0.04 (threshold 0.2)", description="daily drift check",
                status=sc.IncidentStatusClass(
                    state="ACTIVE", lastUpdated=sc.AuditStampClass(at, "urn:li:corpuser:x"),
                    message="open"),
                source=sc.IncidentSourceClass(type="MANUAL"),
                created=sc.AuditStampClass(at, "urn:li:corpuser:x"))),
                    MetadataChangeProposalWrapper(entityUrn=V2, aspect=summary)):
            db.write(mcp)
    finally:
        db.close()

    out = push(quickstart_demo, str(lite))
    assert out["resolved_incidents"] == 1, out
    info = held(lite, inc)["incidentInfo"]
    assert info["status"]["state"] == "RESOLVED"
    assert check_urn(CHECK) in info["status"]["message"]
    got = held(lite, V2)["incidentsSummary"]
    assert got["activeIncidents"] == [] and got["activeIncidentDetails"] == []
    assert got["resolvedIncidents"] == [inc]
    assert [(d["urn"], d["resolvedAt"]) for d in got["resolvedIncidentDetails"]] == [(inc, at)]
    # tracked now: the next push has nothing to say about it
    record_check(quickstart_demo, 22)
    later = push(quickstart_demo, str(lite))
    assert "resolved_incidents" not in later and inc not in later.get("stale_urns", []), later


def test_an_incident_of_another_record_is_left(quickstart_demo: Path, tmp_path: Path) -> None:
    """An active incident lineage's urn scheme gives a record this store does not know (another
    store's alert) is not this store's to resolve."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata import schema_classes as sc

    lite = tmp_path / "moved.db"
    shutil.copy(quickstart_demo / ".lineage" / "datahub-lite.db", lite)
    other = incident_urn("alert:someone-elses")
    stamp = sc.AuditStampClass(1768975200000, "urn:li:corpuser:x")
    db = get_datahub_lite(lite_config(lite))
    try:
        db.write(MetadataChangeProposalWrapper(entityUrn=other, aspect=sc.IncidentInfoClass(
            type="CUSTOM", customType="MODEL_DRIFT", entities=[V2], title="Drift: psi = 0.4",
            status=sc.IncidentStatusClass(state="ACTIVE", lastUpdated=stamp),
            created=stamp)))
    finally:
        db.close()
    out = push(quickstart_demo, str(lite))
    assert "resolved_incidents" not in out, out
    assert held(lite, other)["incidentInfo"]["status"]["state"] == "ACTIVE"
