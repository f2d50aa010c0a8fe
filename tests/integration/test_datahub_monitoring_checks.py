"""A monitoring check that passed is no incident in DataHub: the quickstart demo's daily drift
check (``psi = 0.04``, threshold 0.2, resolved) is a run of the check, result SUCCESS, that
read the version; only the drift alert that fired is an incident, with the incidents summary
DataHub indexes. The audit of the catalog still agrees with the audit of the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import read_lite  # noqa: E402
from connectors.sinks.datahub.render import check_urn, incident_urn  # noqa: E402
from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage import api  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.model import NodeKind  # noqa: E402

runner = CliRunner()
DATAHUB = Path(sys.executable).with_name("datahub")
V1 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
DRIFT = "alert:churn-psi-2026-01-09"
CHECK = "alert:churn-psi-2026-01-21"
AS_OF = ("--as-of", "2026-01-23")


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def catalog(repo: Path) -> dict[str, dict[str, Any]]:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite(lite_config(repo / ".lineage" / "datahub-lite.db", read_only=True),
                            read_only=True)
    try:
        return {str(urn): lite.get(str(urn), None) or {} for urn in lite.list_ids()}
    finally:
        lite.close()


def audit(repo: Path, *args: str) -> list[tuple[str, str, str]]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--json", *args])
    assert res.exit_code in (0, 1), res.output
    return sorted((f["rule"], f["subject"], f["message"])
                  for f in json.loads(res.stdout)["findings"])


def alerts(graph: Any) -> list[tuple[str, str | None]]:
    return sorted((a, graph.attrs(a).get("status")) for a in graph.node_ids(NodeKind.ALERT))


def record_check(repo: Path, day: int) -> None:
    lineage("record", "alert", "-C", str(repo), "--model", "churn@v1.1.0", "--metric", "psi",
            "--value", "0.05", "--threshold", "0.2", "--status", "resolved",
            "--at", f"2026-01-{day}T06:00:00Z", "--id", f"churn-psi-2026-01-{day}",
            "--description", "daily drift check: no drift")


def test_a_passed_check_is_a_check_run_not_a_drift_incident(quickstart_demo: Path) -> None:
    held = catalog(quickstart_demo)
    incidents = {u: e for u, e in held.items() if u.startswith("urn:li:incident:")}
    # the drift alert that fired is the only incident
    assert list(incidents) == [incident_urn(DRIFT)]
    assert incidents[incident_urn(DRIFT)]["incidentInfo"]["title"].startswith("Drift: psi")
    assert "incidentsSummary" not in held[V2]
    check = held[check_urn(CHECK)]
    assert check["subTypes"]["typeNames"] == ["Monitoring Check"]
    assert check["dataProcessInstanceInput"]["inputs"] == [V2]
    assert [e["destinationUrn"] for e in check["dataProcessInstanceInput"]["inputEdges"]] == [V2]
    props = check["dataProcessInstanceProperties"]
    assert "passed" in props["name"] and "0.04" in props["name"], props["name"]
    assert props["customProperties"]["lineage_id"] == CHECK
    # the record stays whole on the version, where the audit of the catalog reads it
    record = json.loads(held[V2]["mlModelProperties"]["customProperties"][
        "alert.churn-psi-2026-01-21"])
    assert record["check"] == check_urn(CHECK) and "incident" not in record


def test_the_check_run_shows_its_result(quickstart_demo: Path) -> None:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite(lite_config(quickstart_demo / ".lineage" / "datahub-lite.db",
                                        read_only=True), read_only=True)
    try:
        # (a timeseries aspect: asked for by name)
        event = lite.get(check_urn(CHECK), ["dataProcessInstanceRunEvent"])
    finally:
        lite.close()
    run = (event or {})["dataProcessInstanceRunEvent"]
    assert run["status"] == "COMPLETE" and run["result"]["type"] == "SUCCESS"
    assert run["timestampMillis"] == 1768975200000  # 2026-01-21T06:00:00Z


def test_the_incident_summary_has_the_details_datahub_indexes(quickstart_demo: Path) -> None:
    summary = catalog(quickstart_demo)[V1]["incidentsSummary"]
    details = summary["activeIncidentDetails"] + summary["resolvedIncidentDetails"]
    assert [d["urn"] for d in details] == [incident_urn(DRIFT)]
    d = details[0]
    assert d["type"] == "MODEL_DRIFT"
    assert d["createdAt"] == 1767938400000  # 2026-01-09T06:00:00Z, when it was raised
    assert d["priority"] in (1, 3)
    # the deprecated lists say the same (GMS 1.7 still reads them)
    assert summary["activeIncidents"] + summary["resolvedIncidents"] == [incident_urn(DRIFT)]


def test_daily_checks_add_check_runs_and_no_incident(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    for day in (22, 23):
        record_check(demo, day)
    lineage("push", "-C", str(demo))
    held = catalog(demo)
    assert [u for u in held if u.startswith("urn:li:incident:")] == [incident_urn(DRIFT)]
    checks = sorted(u for u, e in held.items()
                    if "Monitoring Check" in e.get("subTypes", {}).get("typeNames", []))
    assert checks == sorted(check_urn(f"alert:churn-psi-2026-01-{d}") for d in (21, 22, 23))


def test_a_check_that_failed_is_a_drift_incident(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    lineage("record", "alert", "-C", str(demo), "--model", "churn@v1.1.0", "--metric", "psi",
            "--value", "0.27", "--threshold", "0.2", "--at", "2026-01-22T06:00:00Z",
            "--id", "churn-psi-2026-01-22")
    lineage("push", "-C", str(demo))
    held = catalog(demo)
    fired = incident_urn("alert:churn-psi-2026-01-22")
    assert held[fired]["incidentInfo"]["status"]["state"] == "ACTIVE"
    assert check_urn("alert:churn-psi-2026-01-22") not in held
    summary = held[V2]["incidentsSummary"]
    assert [d["urn"] for d in summary["activeIncidentDetails"]] == [fired]
    assert summary["activeIncidentDetails"][0]["priority"] == 1


def test_a_resolved_accuracy_drop_is_a_resolved_incident_not_a_passed_check(
        quickstart_demo: Path) -> None:
    """Accuracy fell below its floor: lower is worse, so a value below the threshold is the
    alert that fired, resolved since; only a drift metric's is a check that passed."""
    demo = quickstart_demo
    for rid, metric in (("acc-drop-1", "accuracy"), ("nulls-1", "feature_null_rate")):
        lineage("record", "alert", "-C", str(demo), "--model", "churn@v1.1.0",
                "--metric", metric, "--value", "0.71", "--threshold", "0.9",
                "--status", "resolved", "--at", "2026-01-22T06:00:00Z", "--id", rid,
                "--description", f"{metric} fell to 0.71, below the 0.9 floor")
    lineage("push", "-C", str(demo))
    held = catalog(demo)
    resolved = []
    for rid in ("alert:acc-drop-1", "alert:nulls-1"):
        assert check_urn(rid) not in held
        info = held[incident_urn(rid)]["incidentInfo"]
        assert info["status"]["state"] == "RESOLVED"
        assert info["customType"] == "MODEL_DRIFT"
        resolved.append(incident_urn(rid))
        kept = json.loads(held[V2]["mlModelProperties"]["customProperties"][
            "alert." + rid.removeprefix("alert:")])
        assert kept["incident"] == incident_urn(rid) and "check" not in kept
    summary = held[V2]["incidentsSummary"]
    assert sorted(d["urn"] for d in summary["resolvedIncidentDetails"]) == sorted(resolved)
    assert "activeIncidentDetails" not in summary or not summary["activeIncidentDetails"]
    # the quickstart's daily psi check is still a check run
    assert held[check_urn(CHECK)]["subTypes"]["typeNames"] == ["Monitoring Check"]
    assert incident_urn(CHECK) not in held
    assert audit(demo, "--source", "datahub-lite") == audit(demo)
    assert alerts(read_lite(repo=demo)) == alerts(api.open_store(demo).load_graph())


def test_the_audit_of_the_catalog_agrees_with_the_audit_of_the_store(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    record_check(demo, 22)
    lineage("push", "-C", str(demo))
    store = audit(demo)
    assert audit(demo, "--source", "datahub-lite") == store
    # a catalog an earlier lineage pushed still holds the check as a resolved drift incident
    # (DataHub cannot soft-delete an incident): the audit of it reads the record, not that
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata.schema_classes import (
        AuditStampClass,
        IncidentInfoClass,
        IncidentStatusClass,
    )

    stamp = AuditStampClass(time=1768975200000, actor="urn:li:corpuser:lineage")
    lite = get_datahub_lite(lite_config(demo / ".lineage" / "datahub-lite.db"))
    try:
        lite.write(MetadataChangeProposalWrapper(
            entityUrn=incident_urn(CHECK), aspect=IncidentInfoClass(
                type="CUSTOM", customType="MODEL_DRIFT", entities=[V2],
                title="Drift: psi = 0.04 (threshold 0.2)", description="daily drift check",
                status=IncidentStatusClass(state="RESOLVED", lastUpdated=stamp,
                                           message="resolved"), created=stamp)))
    finally:
        lite.close()
    assert audit(demo, "--source", "datahub-lite") == store
    assert alerts(read_lite(repo=demo)) == alerts(api.open_store(demo).load_graph())


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not installed next to python")
def test_datahub_checks_the_check_runs(quickstart_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    lineage("push", "-C", str(quickstart_demo), "--to", "datahub-file", str(out))
    sent = json.loads(out.read_text())
    assert {m["aspectName"] for m in sent if m["entityUrn"] == check_urn(CHECK)} >= {
        "dataProcessInstanceProperties", "dataProcessInstanceInput",
        "dataProcessInstanceRunEvent", "subTypes"}
    check = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "all valid" in check.stdout
