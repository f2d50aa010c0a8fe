"""An approval is a person's decision: only that person corrects it. A correction
(`properties.supersedes`) of someone else's approval is refused by `lineage record` and the
records harvester (with the original stored, or in the same harvest), naming who may correct
it, and corrects nothing in the audit when a store written before holds one: it cannot reinstate an approval its approver withdrew, nor make another
approver's decision vanish. The approver's own correction still works."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()
PROD = "deployment:churn-prod-2026-01-20"  # the demo's churn@v1.1.0 in prod, 2026-01-20


def record(repo: Path, *args: str):
    return runner.invoke(app, ["record", "approval", "-C", str(repo), "--model", "churn@v1.1.0",
                               "--env", "prod", *args])


def prod_finding(repo: Path) -> dict | None:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", "--rule",
                              "deployment-approved", "--env", "prod"])
    assert res.exit_code in (0, 1), res.output
    found = [f for f in json.loads(res.stdout)["findings"] if f["subject"] == PROD]
    return found[0] if found else None


def _rita_withdraws(repo: Path) -> None:
    for args in (["--approver", "rita@example.com", "--decided-at", "2026-01-19T09:00:00Z",
                  "--id", "a-rita"],
                 ["--approver", "rita@example.com", "--decision", "rejected", "--decided-at",
                  "2026-01-19T09:30:00Z", "--id", "r-rita"]):
        res = record(repo, *args)
        assert res.exit_code == 0, res.output
    finding = prod_finding(repo)
    assert finding is not None and "withdrawn by their later decision r-rita" in \
        finding["message"]


def test_a_correction_of_another_approvers_decision_is_refused(quickstart_demo: Path) -> None:
    _rita_withdraws(quickstart_demo)
    log = runner.invoke(app, ["log", "-C", str(quickstart_demo), "--json"]).stdout
    res = record(quickstart_demo, "--approver", "mallory@example.com", "--decision", "rejected",
                 "--decided-at", "2026-01-19T09:40:00Z", "--id", "m-fix", "--prop",
                 "supersedes=r-rita")
    assert res.exit_code == 2, res.output
    assert "approval r-rita was decided by rita@example.com: only rita@example.com may " \
           "correct it" in res.output
    assert "Traceback" not in res.output
    # nothing was recorded: rita's withdrawal stands
    assert runner.invoke(app, ["log", "-C", str(quickstart_demo), "--json"]).stdout == log
    finding = prod_finding(quickstart_demo)
    assert finding is not None and "withdrawn by their later decision r-rita" in \
        finding["message"]


def test_the_harvest_refuses_it_with_the_original_in_the_same_file(
        quickstart_demo: Path) -> None:
    """The original and the foreign correction in one governance file, harvested together
    (the store does not hold the original when the correction is read): refused as when the
    original is stored, naming the file and line, and nothing of the file is applied."""
    gov = quickstart_demo / "governance" / "approvals_v1.1.0_prod.yaml"
    gov.write_text(_ORIGINALS + _MALLORY)
    log = runner.invoke(app, ["log", "-C", str(quickstart_demo), "--json"]).stdout
    res = runner.invoke(app, ["harvest", "-C", str(quickstart_demo), "--only", "records"])
    assert res.exit_code == 2, res.output
    assert "approvals_v1.1.0_prod.yaml:22 (properties.supersedes): approval r-rita was " \
           "decided by rita@example.com: only rita@example.com may correct it" in \
        " ".join(res.output.split()), res.output
    assert runner.invoke(app, ["log", "-C", str(quickstart_demo), "--json"]).stdout == log


def test_the_audit_ignores_such_a_correction_a_store_holds(quickstart_demo: Path) -> None:
    """A store written before corrections were checked may hold one: it corrects nothing."""
    from lineage import api
    from lineage.records import parse_file, to_facts

    gov = quickstart_demo / "governance" / "approvals_v1.1.0_prod.yaml"
    gov.write_text(_ORIGINALS + _MALLORY)
    facts = [f for rec in parse_file(gov, quickstart_demo) for f in to_facts(rec.record)]
    gov.unlink()
    with api.open_store(quickstart_demo) as store:  # as an earlier version stored it
        api.record(store, facts, event_kind="record", payload={"record_kind": "approval"})
    finding = prod_finding(quickstart_demo)
    assert finding is not None, "mallory's correction reinstated rita's withdrawn approval"
    assert "withdrawn by their later decision r-rita" in finding["message"]
    assert "approval m-fix by mallory@example.com names r-rita as the approval it corrects, " \
           "but r-rita is rita@example.com's decision: only they may correct it" in \
        finding["message"]
    # `show` keeps the original standing and says why the correction corrects nothing
    show = json.loads(runner.invoke(app, ["show", "-C", str(quickstart_demo), "churn@v1.1.0",
                                          *AS_OF, "--json"]).stdout)["governance"]
    by_id = {a["id"]: a for a in show["approvals"]}
    assert by_id["approval:r-rita"]["superseded_by"] == []
    assert by_id["approval:a-rita"]["status"] == "withdrawn"
    assert "only they may correct it" in by_id["approval:m-fix"]["note"]


_ORIGINALS = (
    "- kind: approval\n  id: a-rita\n  model: churn@v1.1.0\n  environment: prod\n"
    "  approver: rita@example.com\n  decision: approved\n"
    "  decided_at: 2026-01-19T09:00:00Z\n"
    "- kind: approval\n  id: r-rita\n  model: churn@v1.1.0\n  environment: prod\n"
    "  approver: rita@example.com\n  decision: rejected\n"
    "  decided_at: 2026-01-19T09:30:00Z\n")
_MALLORY = (
    "- kind: approval\n  id: m-fix\n  model: churn@v1.1.0\n  environment: prod\n"
    "  approver: mallory@example.com\n  decision: rejected\n"
    "  decided_at: 2026-01-19T09:40:00Z\n  properties: {supersedes: r-rita}\n")


def test_the_approvers_own_correction_counts(quickstart_demo: Path) -> None:
    _rita_withdraws(quickstart_demo)
    # rita's rejection was recorded against the wrong version: she corrects it herself
    res = record(quickstart_demo, "--approver", "Rita <rita@example.com>", "--decision",
                 "approved", "--decided-at", "2026-01-19T09:30:00Z", "--id", "r-rita-fix",
                 "--prop", "supersedes=r-rita")
    assert res.exit_code == 0, res.output
    assert prod_finding(quickstart_demo) is None


def test_record_validate_refuses_it_before_merging(quickstart_demo: Path) -> None:
    gov = quickstart_demo / "governance" / "approvals_v1.1.0_prod.yaml"
    gov.write_text(
        "- kind: approval\n  id: r-rita\n  model: churn@v1.1.0\n  environment: prod\n"
        "  approver: rita@example.com\n  decision: rejected\n"
        "  decided_at: 2026-01-19T09:30:00Z\n"
        "- kind: approval\n  id: m-fix\n  model: churn@v1.1.0\n  environment: prod\n"
        "  approver: mallory@example.com\n  decision: approved\n"
        "  decided_at: 2026-01-19T09:40:00Z\n  properties: {supersedes: r-rita}\n")
    res = runner.invoke(app, ["record", "validate", "-C", str(quickstart_demo), str(gov)])
    assert res.exit_code == 1, res.output
    assert "approvals_v1.1.0_prod.yaml:15 (properties.supersedes): approval r-rita was " \
           "decided by rita@example.com: only rita@example.com may correct it" in \
        " ".join(res.output.split()), res.output
