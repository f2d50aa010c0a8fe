"""`lineage show` as a person reads it: subjects and commands cut short say so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

SUBJECT = ("Retrain churn on January data (drift alert churn-psi-2026-01-09, see ML-14 "
           "for the analysis)")


def test_a_long_commit_subject_is_cut_with_an_ellipsis(git_repo: GitRepo) -> None:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit(SUBJECT + "\n\nBody text that is never shown.")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    repo = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", repo]).exit_code == 0
    assert runner.invoke(app, ["harvest", "-C", repo]).exit_code == 0
    res = runner.invoke(app, ["show", "churn@v1.0.0", "-C", repo], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "tagged ← commit" in x)
    shown = line.split("tagged ← commit ", 1)[1].split(" ", 1)[1].rstrip()
    # either the whole subject, or a prefix of it that says it goes on
    assert shown == SUBJECT or (shown.endswith("…") and SUBJECT.startswith(shown[:-1])), line
    assert "Body text" not in res.output


def test_alerts_documents_and_retrainings_say_what_they_are(quickstart_demo: object) -> None:
    res = runner.invoke(app, ["show", "churn@v1.1.0"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    alert = next(x for x in lines if "alerts ← alert churn-psi-2026-01-09" in x)
    assert "psi=0.31" in alert and "open" in alert, alert
    assert any("alert churn-psi-2026-01-21" in x and "resolved" in x for x in lines), lines
    assert any("retraining churn-v1.1.0 drift" in x for x in lines), lines
    assert any("document churn-v1.1.0-model-card model_card" in x for x in lines), lines


def _wrapped_mid_paragraph(help_text: str, width: int) -> list[tuple[str, str]]:
    """Pairs of prose lines of a ``--help`` text broken although the next word fitted."""
    body = help_text.split("Usage:", 1)[1].split("Examples:", 1)[0]
    lines = [x.strip() for x in body.splitlines()[1:]]
    out = []
    for prev, nxt in zip(lines, lines[1:], strict=False):
        if prev and nxt and len(prev) + 1 + len(nxt.split()[0]) <= width - 4:
            out.append((prev, nxt))
    return out


def test_help_paragraphs_are_wrapped_by_the_terminal_not_the_source() -> None:
    res = runner.invoke(app, ["show", "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert _wrapped_mid_paragraph(res.output, 80) == [], res.output
    assert "lineage show churn@v1.1.0" in res.output


# -- what an auditor reads for one model version ----------------------------------------------
def _show(*args: str) -> str:
    res = runner.invoke(app, ["show", *args], env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    return res.stdout


def _row(out: str, *words: str) -> str:
    """The one table row holding every word."""
    tables = out.split("\n\n", 1)[1]  # after the tree
    hits = [x for x in tables.splitlines() if all(w in x for w in words)]
    assert len(hits) == 1, (words, hits, out)
    return hits[0]


def test_a_version_shows_its_risk_tier_deployments_and_group_documents(
        quickstart_demo: object) -> None:
    out = _show("churn@v1.1.0", "--as-of", "2026-01-22")
    # the group's assessment: tier, date, assessor (downstream of the version: not in the tree)
    _row(out, "high", "churn-2026", "2026-01-03", "rita@example.com")
    # its deployments, with who and when, live or not
    _row(out, "churn-prod-2026-01-20", "prod", "2026-01-20T08:00:00Z", "deploy-bot", "live")
    # where it serves, under its environment (the CD job's main fact)
    lines = out.splitlines()
    at = lines.index(_row(out, "churn-prod-2026-01-20", "prod", "deploy-bot"))
    assert "https://models.example.com/churn" in lines[at + 1], lines[at:at + 2]
    # documents of the group count for every version (as the audit reads them)
    _row(out, "data_governance", "churn-data-governance")
    _row(out, "model_card", "churn-v1.1.0-model-card")
    # approvals with environment and date
    _row(out, "churn-v1.1.0-staging", "ada@example.com", "staging", "2026-01-14T10:00:00Z")
    data = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))
    assert data["node"] == "model:churn@v1.1.0" and data["nodes"] and data["edges"]
    gov = data["governance"]
    assert gov["risk"]["tier"] == "high"
    assert gov["risk"]["assessment"] == "risk_assessment:churn-2026"
    assert {d["id"]: d["live"] for d in gov["deployments"]} == {
        "deployment:churn-prod-2026-01-20": True,
        "deployment:churn:staging:2026-01-16T09:30:00Z": True}
    assert "document:churn-data-governance" in {d["id"] for d in gov["documents"]}


def _record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


@pytest.fixture
def messy_demo(quickstart_demo: Path) -> Path:
    """The demo after a month of real life: an approval withdrawn, one corrected, a risk
    assessment corrected and one drafted for later, two more deployments, one retired."""
    v = ("--model", "churn@v1.1.0")
    _record("approval", *v, "--env", "prod", "--approver", "rita@example.com", "--role",
            "risk-officer", "--decided-at", "2026-01-19T15:00:00Z", "--id", "rita-prod")
    _record("approval", *v, "--env", "prod", "--approver", "rita@example.com", "--role",
            "risk-officer", "--decision", "rejected", "--decided-at", "2026-01-19T18:00:00Z",
            "--id", "rita-prod-reject")
    _record("approval", *v, "--env", "staging", "--approver", "omar@example.com", "--role",
            "product-owner", "--decided-at", "2026-01-19T16:00:00Z", "--id", "omar-wrong")
    _record("approval", *v, "--env", "prod", "--approver", "omar@example.com", "--role",
            "product-owner", "--decided-at", "2026-01-19T16:00:00Z", "--id", "omar-prod",
            "--prop", "supersedes=omar-wrong")
    _record("deployment", *v, "--env", "staging", "--deployed-at", "2026-01-15T09:00:00Z",
            "--deployed-by", "ci-bot", "--retired-at", "2026-01-20T09:00:00Z",
            "--id", "churn-staging-0115")
    _record("deployment", *v, "--env", "canary", "--deployed-at", "2026-01-21T09:00:00Z",
            "--deployed-by", "ci-bot", "--id", "churn-canary-0121")
    _record("assessment", "--group", "churn", "--tier", "limited", "--assessor",
            "omar@example.com", "--date", "2026-01-10", "--next-review", "2027-01-10",
            "--id", "churn-2026-01-typo")
    _record("assessment", "--group", "churn", "--tier", "high", "--assessor",
            "rita@example.com", "--date", "2026-01-10", "--next-review", "2027-01-10",
            "--id", "churn-2026-01", "--prop", "supersedes=churn-2026-01-typo")
    _record("assessment", "--group", "churn", "--tier", "minimal", "--assessor",
            "omar@example.com", "--date", "2026-12-20", "--next-review", "2027-12-20",
            "--id", "churn-2027-draft")
    return quickstart_demo


def test_withdrawn_and_corrected_records_say_so(messy_demo: Path) -> None:
    out = _show("churn@v1.1.0", "--as-of", "2026-01-22")
    assert "withdrawn" in _row(out, "rita-prod ", "2026-01-19T15:00:00Z")
    assert "rita-prod-reject" in _row(out, "rita-prod ", "2026-01-19T15:00:00Z")
    assert "superseded by omar-prod" in _row(out, "omar-wrong", "staging")
    _row(out, "churn-2026-01 ", "high", "2026-01-10", "rita@example.com")
    assert "superseded by churn-2026-01" in _row(out, "churn-2026-01-typo", "limited")
    assert "not in force" in _row(out, "churn-2027-draft", "minimal", "2026-12-20")
    assert "retired 2026-01-20T09:00:00Z" in _row(out, "churn-staging-0115", "ci-bot")
    assert "live" in _row(out, "churn-canary-0121", "2026-01-21T09:00:00Z", "ci-bot")
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    aps = {a["id"]: a for a in gov["approvals"]}
    assert aps["approval:rita-prod"]["status"] == "withdrawn"
    assert aps["approval:rita-prod"]["withdrawn_by"] == "approval:rita-prod-reject"
    assert aps["approval:omar-wrong"]["superseded_by"] == ["approval:omar-prod"]
    deps = {d["id"]: d for d in gov["deployments"]}
    # what counts for the prod deployment is what the audit counts: omar's only
    assert deps["deployment:churn-prod-2026-01-20"]["approved_by"] == ["approval:omar-prod"]
    assert deps["deployment:churn-staging-0115"]["live"] is False
    assert deps["deployment:churn-canary-0121"]["approved_by"] == []
    assert gov["risk"]["assessment"] == "risk_assessment:churn-2026-01"


@pytest.mark.parametrize("as_of", ["2026-01-22", "2026-06-30"])
def test_findings_are_the_audits_own(messy_demo: Path, as_of: str) -> None:
    res = runner.invoke(app, ["audit", "--model", "churn@v1.1.0", "--as-of", as_of, "--json",
                              "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    audit = {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]}
    assert audit  # the messy demo has findings: a test that compares two empty sets proves nothing
    gov = json.loads(_show("churn@v1.1.0", "--as-of", as_of, "--json"))["governance"]
    assert {(f["rule"], f["subject"]) for f in gov["findings"]} == audit
    out = _show("churn@v1.1.0", "--as-of", as_of)
    for rule, _ in audit:
        assert rule in out


@pytest.mark.parametrize("columns", ["80", "110", "120", "170"])
def test_ids_dates_and_hashes_are_never_cut_in_a_narrow_terminal(messy_demo: Path,
                                                                 columns: str) -> None:
    res = runner.invoke(app, ["show", "churn@v1.1.0", "--as-of", "2026-01-22", "--json"])
    gov = json.loads(res.stdout)["governance"]
    res = runner.invoke(app, ["show", "churn@v1.1.0", "--as-of", "2026-01-22"],
                        env={"COLUMNS": columns})
    assert res.exit_code == 0, res.output
    tables = res.stdout.split("\n\n", 1)[1]  # after the tree
    assert "…" not in tables
    assert all(len(x) <= int(columns) for x in tables.splitlines()), tables
    whole = {r["id"].split(":", 1)[1] for key in ("approvals", "deployments", "assessments",
                                                  "documents", "alerts") for r in gov[key]}
    whole |= {a["decided_at"] for a in gov["approvals"]}
    whole |= {i["hash"] for r in gov["runs"] for i in r["inputs"]}
    words = set(tables.replace("│", " ").replace(",", " ").split())
    assert whole <= words, sorted(whole - words)
    # and in their own section: an approval cut in the deployments table is not found elsewhere
    section = tables.split("\nDeployments\n", 1)[1].split("\nDocuments", 1)[0]
    counted = {a.split(":", 1)[1] for d in gov["deployments"] for a in d["approved_by"]}
    assert counted and counted <= set(section.replace(",", " ").split()), section


def _approvals(*args: str) -> dict[str, dict[str, object]]:
    data = json.loads(_show("churn@v1.1.0", "--json", *args))
    return {a["id"].split(":", 1)[1]: a for a in data["governance"]["approvals"]}


def test_a_rejection_for_one_environment_leaves_an_approval_for_every_environment_standing(
        quickstart_demo: Path) -> None:
    """The audit reads a prod deployment's approvals among those for prod or for every
    environment: omar's later "no" for staging does not withdraw his approval for prod."""
    v = ("--model", "churn@v1.1.0", "--approver", "omar@example.com", "--role", "product-owner")
    _record("approval", *v, "--decided-at", "2026-01-19T10:00:00Z", "--id", "omar-any")
    _record("approval", *v, "--env", "staging", "--decision", "rejected", "--decided-at",
            "2026-01-19T11:00:00Z", "--id", "omar-no-staging")
    aps = _approvals("--as-of", "2026-01-22")
    assert aps["omar-any"]["status"] == "in force", aps["omar-any"]
    assert aps["omar-any"]["counts_for"] == ["deployment:churn-prod-2026-01-20"]


def test_an_approval_is_withdrawn_only_once_the_rejection_is_made(messy_demo: Path) -> None:
    assert _approvals("--as-of", "2026-01-19T16:00:00Z")["rita-prod"]["status"] == "in force"
    assert _approvals("--as-of", "2026-01-19T19:00:00Z")["rita-prod"]["status"] == "withdrawn"


def test_an_approval_that_does_not_count_says_why_and_is_not_called_withdrawn(
        quickstart_demo: Path) -> None:
    _record("approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver",
            "omar@example.com", "--role", "product-owner", "--id", "omar-ahead",
            "--decided-at", "2099-01-01T00:00:00Z")
    assert _approvals()["omar-ahead"]["status"] == "not decided yet"
    # read in 2100: decided by then, but dated after it was recorded (the audit's rule)
    ap = _approvals("--as-of", "2100-01-01")["omar-ahead"]
    assert ap["status"] == "not counted" and ap["withdrawn_by"] is None, ap
    assert "after it was recorded" in str(ap["note"]), ap


def test_a_version_only_a_deployment_names_is_shown_as_the_audit_reads_it(
        quickstart_demo: Path) -> None:
    _record("deployment", "--model", "churn@v9.9.9", "--env", "prod", "--deployed-at",
            "2026-01-21T10:00:00Z", "--deployed-by", "ci", "--id", "ghost")
    for ref in ("churn@v9.9.9", "deployment:ghost"):
        gov = json.loads(_show(ref, "--as-of", "2026-01-22", "--json"))["governance"]
        assert gov["version"] == "model:churn@v9.9.9"
        assert [d["id"] for d in gov["deployments"]] == ["deployment:ghost"]
        # the audit cannot check the documents of a version nothing described: nor does show
        assert gov["documents_missing"] == []
        assert {f["rule"] for f in gov["findings"]} >= {"deployment-approved",
                                                         "lineage-continuity"}


def test_a_record_dated_after_it_was_written_says_so(quickstart_demo: Path) -> None:
    """The audit does not take a date later than the record's writing at its word (the
    deployment counts from when it was recorded; lineage-continuity names it): nor does show
    let it pass as an ordinary date."""
    _record("deployment", "--model", "churn@v1.1.0", "--env", "canary", "--deployed-at",
            "2099-01-01T00:00:00Z", "--deployed-by", "ci", "--id", "ahead")
    gov = json.loads(_show("churn@v1.1.0", "--json"))["governance"]
    dep = next(d for d in gov["deployments"] if d["id"] == "deployment:ahead")
    assert [f["attribute"] for f in dep["future_dated"]] == ["deployed_at"], dep
    assert ("lineage-continuity", "deployment:ahead") in {
        (f["rule"], f["subject"]) for f in gov["findings"]}
    out = _show("churn@v1.1.0")
    row = _row(out, "ahead ", "canary ", " ci ")
    below = out.splitlines()[out.splitlines().index(row) + 1]
    assert "deployed_at is after the record was written" in below, out


def test_monitoring_checks_kept_on_a_deployment_are_shown(quickstart_demo: Path) -> None:
    """The monitoring-active rule takes a deployment's monitoring_checked_at as evidence:
    show names it too, so an auditor sees why a version without alerts is monitored."""
    _record("deployment", "--model", "churn@v1.1.0", "--env", "canary", "--deployed-at",
            "2026-01-21T09:00:00Z", "--deployed-by", "ci", "--id", "watched",
            "--prop", "monitoring_checked_at=2026-01-21T12:00:00Z")
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    assert {"node": "deployment:watched", "checked_at": "2026-01-21T12:00:00Z"} in gov[
        "monitoring_checks"]
    _row(_show("churn@v1.1.0", "--as-of", "2026-01-22"), "watched", "2026-01-21T12:00:00Z",
         "monitoring check")


def test_a_retrained_version_names_the_retraining_that_replaced_it(
        quickstart_demo: Path) -> None:
    gov = json.loads(_show("churn@v1.0.0", "--as-of", "2026-01-22", "--json"))["governance"]
    assert [(r["id"], r["role"]) for r in gov["retraining"]] == [
        ("retraining:churn-v1.1.0", "replaced by")]
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    assert [(r["id"], r["role"]) for r in gov["retraining"]] == [
        ("retraining:churn-v1.1.0", "trained by")]


def test_a_deployment_after_the_as_of_time_is_not_live_yet(messy_demo: Path) -> None:
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-20T12:00:00Z",
                           "--json"))["governance"]
    deps = {d["id"]: d for d in gov["deployments"]}
    canary = deps["deployment:churn-canary-0121"]
    assert canary["live"] is False and canary["state"] == "not deployed yet", canary
    assert deps["deployment:churn-prod-2026-01-20"]["state"] == "live"
    assert deps["deployment:churn-staging-0115"]["state"] == "retired"
    # the audit does not check it yet: no finding names it
    assert "deployment:churn-canary-0121" not in {f["subject"] for f in gov["findings"]}
    out = _show("churn@v1.1.0", "--as-of", "2026-01-20T12:00:00Z")
    assert "not deployed yet" in _row(out, "churn-canary-0121", "2026-01-21T09:00:00Z")


def test_a_retraining_record_the_audit_does_not_count_says_why(quickstart_demo: Path) -> None:
    _record("retraining", "--previous", "credit@v1.0.0", "--new", "churn@v1.1.0", "--trigger",
            "manual", "--reason", "copied from the credit system", "--at",
            "2026-01-13T00:00:00Z", "--id", "foreign")
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    recs = {r["id"]: r for r in gov["retraining"]}
    assert recs["retraining:churn-v1.1.0"]["counts"] is True
    foreign = recs["retraining:foreign"]
    assert foreign["counts"] is False and "another model group" in foreign["note"], foreign


def test_an_alert_names_only_the_retrainings_the_audit_takes_as_its_follow_up(
        quickstart_demo: Path) -> None:
    _record("alert", "--model", "churn@v1.1.0", "--metric", "psi", "--value", "0.4",
            "--threshold", "0.2", "--at", "2026-01-15T00:00:00Z", "--id", "drift-2")
    _record("retraining", "--previous", "credit@v1.0.0", "--new", "credit@v1.1.0",
            "--trigger", "drift", "--reason", "credit drift", "--alert", "drift-2", "--at",
            "2026-01-16T00:00:00Z", "--id", "credit-retrain")
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-02-20", "--json"))["governance"]
    alert = next(a for a in gov["alerts"] if a["id"] == "alert:drift-2")
    assert alert["follow_up"] == []
    assert "credit" in alert["not_follow_up"][0]["why"], alert
    assert ("monitoring-active", "alert:drift-2") in {(f["rule"], f["subject"])
                                                      for f in gov["findings"]}


# -- the ids show and audit print, given back to show -----------------------------------------
def test_every_id_show_prints_can_be_given_back_to_show(quickstart_demo: Path) -> None:
    """`show` prints records without their kind (``churn-prod-2026-01-20``, a run as
    ``lineage:…``): typed back, each names its own node."""
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    ids = {r["id"] for key in ("runs", "approvals", "deployments", "assessments", "documents",
                               "retraining", "alerts") for r in gov[key]}
    ids |= {f["subject"] for f in gov["findings"] if not f["subject"].startswith("model:")}
    assert {i.split(":", 1)[0] for i in ids} >= {"run", "approval", "deployment",
                                                 "risk_assessment", "document", "retraining",
                                                 "alert"}, ids
    out = _show("churn@v1.1.0", "--as-of", "2026-01-22")
    for node in sorted(ids):
        printed = node.split(":", 1)[1]
        assert printed in out, (printed, out)
        assert json.loads(_show(printed, "--json"))["node"] == node, printed


def test_an_id_several_records_have_names_each_of_them(quickstart_demo: Path) -> None:
    _record("approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver",
            "rita@example.com", "--role", "risk-officer", "--id", "churn-prod-2026-01-20")
    res = runner.invoke(app, ["show", "churn-prod-2026-01-20"], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "is the id of 2 records" in res.output, res.output
    assert "deployment:churn-prod-2026-01-20" in res.output, res.output
    assert "approval:churn-prod-2026-01-20" in res.output, res.output
    assert "did you mean 'churn@v1.1.0'" not in res.output
    # and the prefixed id is the way through
    assert json.loads(_show("approval:churn-prod-2026-01-20", "--json"))["node"] == \
        "approval:churn-prod-2026-01-20"


def test_a_mistyped_record_id_suggests_the_record(quickstart_demo: Path) -> None:
    res = runner.invoke(app, ["show", "churn-v1.1.0-stagng"], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "did you mean 'churn-v1.1.0-staging'?" in res.output, res.output


def test_json_follows_as_many_links_as_depth_says(quickstart_demo: Path) -> None:
    at = ("--as-of", "2026-01-22")
    full = json.loads(_show("churn@v1.1.0", "--json", *at))
    one = json.loads(_show("churn@v1.1.0", "--json", "--depth", "1", *at))
    none = json.loads(_show("churn@v1.1.0", "--json", "--depth", "0", *at))
    assert [n["id"] for n in none["nodes"]] == ["model:churn@v1.1.0"] and none["edges"] == []
    direct = {e["source"] for e in full["edges"] if e["target"] == "model:churn@v1.1.0"}
    assert {n["id"] for n in one["nodes"]} == direct | {"model:churn@v1.1.0"}
    assert len(direct) + 1 < len(full["nodes"])
    # what the tree shows at that depth: the same nodes
    tree = _show("churn@v1.1.0", "--depth", "1").split("\n\n", 1)[0].splitlines()
    assert len(tree) == len(direct) + 1 and all(x[:4] in ("├── ", "└── ") for x in tree[1:])
    # the governance facts are the version's whatever the depth; no --depth is everything
    assert one["governance"] == full["governance"]
    assert json.loads(_show("churn@v1.1.0", "--json", "--depth", "12"))["nodes"] == \
        full["nodes"]


def _documents(out: str) -> list[str]:
    section = out.split("\nDocuments (", 1)[1].split("\nRetraining", 1)[0]
    return section.splitlines()[1:]


def test_a_version_shown_before_it_existed_says_so(quickstart_demo: Path) -> None:
    """`lineage audit --model churn@v1.1.0 --as-of 2026-01-10` refuses a version created
    later: show says it did not exist yet, requires no document of it and reports no
    findings of it, rather than "Audit findings: 0" under an empty table."""
    res = runner.invoke(app, ["audit", "--model", "churn@v1.1.0", "--as-of", "2026-01-10"])
    assert res.exit_code == 2 and "created after the audit's date" in res.output, res.output
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-10", "--json"))["governance"]
    assert gov["created_later"] == "2026-01-14T09:30:00Z", gov["created_later"]
    assert gov["findings"] == [] and gov["documents_missing"] == []
    out = _show("churn@v1.1.0", "--as-of", "2026-01-10")
    assert "Audit findings: 0" not in out and "did not exist yet" in out, out
    assert "created 2026-01-14T09:30:00Z" in out, out
    kinds = [x.split()[0] for x in _documents(out) if x.strip()]
    assert kinds.count("model_card") == 1 and kinds.count("evaluation") == 1, kinds
    assert "missing" not in " ".join(_documents(out)), out
    # once it exists, the audit reads it: and so does show
    now = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    assert now["created_later"] is None and now["findings"]


def test_a_document_not_there_yet_is_listed_once_and_said_missing(
        quickstart_demo: Path) -> None:
    """At 09:40 the version exists (09:30) but its model card is issued at 09:45: the audit
    counts it missing; show lists the kind once, saying both."""
    at = ("--as-of", "2026-01-14T09:40:00Z")
    gov = json.loads(_show("churn@v1.1.0", *at, "--json"))["governance"]
    assert "model_card" in gov["documents_missing"], gov["documents_missing"]
    out = _show("churn@v1.1.0", *at)
    rows = [x for x in _documents(out) if x.split()[:1] == ["model_card"]]
    assert len(rows) == 1 and "not there yet" in rows[0], rows
    row = rows[0]
    below = out.splitlines()[out.splitlines().index(row) + 1]
    assert "missing: required at high risk" in below, out


@pytest.mark.parametrize("command", [["show", "churn@v1.1.0"], ["audit"]])
@pytest.mark.parametrize("value,says", [
    ("2026-02-30", "invalid date '2026-02-30' (day is out of range for month)"),
    ("2026-13-01", "invalid date '2026-13-01' (month must be in 1..12)"),
    ("2026-01-20T25:00", "invalid time '2026-01-20T25:00' (hour must be in 0..23)"),
    ("yesterday", "--as-of 'yesterday' is not an ISO date or time"),
])
def test_an_as_of_date_that_does_not_exist_says_why(quickstart_demo: Path,
                                                   command: list[str], value: str,
                                                   says: str) -> None:
    """A date of the right shape that does not exist is told apart from one that is not a
    date at all, as the policy reader tells it (``day is out of range for month``)."""
    res = runner.invoke(app, [*command, "--as-of", value], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert says in res.output and "Traceback" not in res.output, res.output


def test_runs_and_retraining_records_read_naturally(quickstart_demo: Path) -> None:
    """A run's status without the source its id already names ("lineage FINISHED"); a
    retraining record says what it is to the version and whether it counts, with its change
    plan apart ("trained by" alone on a line, "status: within change plan")."""
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    out = _show("churn@v1.1.0", "--as-of", "2026-01-22")
    tree, tables = out.split("\n\n", 1)
    run = next(x for x in tree.splitlines() if "produced ← run lineage:" in x)
    assert run.rstrip().endswith("FINISHED (see above)") and "lineage FINISHED" not in run, run
    row = _row(out, gov["runs"][0]["id"].split(":", 1)[1])
    assert "FINISHED" in row and "lineage FINISHED" not in row, row
    row = _row(out, "churn-v1.1.0 ", "drift")
    assert "produced it" in row and "within" in row and "counts" in row, row
    assert "trained by" not in tables and "change plan" not in row, tables
    narrow = runner.invoke(app, ["show", "churn@v1.1.0", "--as-of", "2026-01-22"],
                           env={"COLUMNS": "80"}).stdout.split("\nRetraining\n", 1)[1]
    facts = narrow.split("\nMonitoring", 1)[0].splitlines()
    assert "  for this version: produced it" in facts, facts
    assert "  change plan: within" in facts and "  status: counts" in facts, facts
    # the JSON keeps its documented values
    [rec] = gov["retraining"]
    assert (rec["role"], rec["status"], rec["within_change_plan"]) == ("trained by", "counts",
                                                                       True)
    assert gov["runs"][0]["source"] == "lineage" and gov["runs"][0]["status"] == "FINISHED"


SECTIONS = ("Training run", "Risk tier", "Approvals", "Deployments", "Documents", "Retraining",
            "Monitoring", "Audit findings")


def test_a_fact_too_long_for_the_line_goes_on_indented(messy_demo: Path) -> None:
    """At 80 columns a long fact (data read with its hash, a reason, a finding) wraps under
    itself, never back to column 0 where it would read as the next record."""
    gov = json.loads(_show("churn@v1.1.0", "--as-of", "2026-01-22", "--json"))["governance"]
    heads = {r["id"].split(":", 1)[1] for key in ("runs", "assessments", "approvals",
                                                  "deployments", "retraining", "alerts")
             for r in gov[key]}
    heads |= {d["doc_kind"] for d in gov["documents"]} | set(gov["documents_missing"])
    heads |= {f["severity"] for f in gov["findings"]}
    res = runner.invoke(app, ["show", "churn@v1.1.0", "--as-of", "2026-01-22"],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    tables = res.stdout.split("\n\n", 1)[1]
    wrapped = 0
    for prev, line in zip(tables.splitlines(), tables.splitlines()[1:], strict=False):
        if not line or line.startswith("  "):
            wrapped += line.startswith("    ")
            continue
        assert line.startswith(SECTIONS) or line in heads or line.startswith("churn@"), \
            (prev, line, tables)
    assert wrapped, tables  # some facts did wrap: the test checked something
    data = tables.splitlines()
    i = next(k for k, x in enumerate(data) if x.startswith("  data read (content hash, pin):"))
    assert data[i + 1].startswith("    md5:"), data[i:i + 2]


# the first column's name: a table's header, never repeated when the records are stacked
FIRST = {"run", "assessment", "approval", "deployment", "kind", "record", "alert", "severity"}


def _words(text: str) -> set[str]:
    return {w.rstrip(":") for w in text.replace("│", " ").replace("·", " ").split()
            if w.strip("─")} - FIRST


@pytest.mark.parametrize("columns", [80, 100, 120, 140])
def test_no_table_is_cropped_at_the_edge_of_the_terminal(quickstart_demo: Path,
                                                         columns: int) -> None:
    """Every word shown on a 400-column terminal is shown at narrower widths too: a table too
    wide for the terminal is not cut at its edge ("within change pla", a header "approvals"
    for "approvals that count")."""
    at = ("churn@v1.1.0", "--as-of", "2026-01-10")
    wide = runner.invoke(app, ["show", *at], env={"COLUMNS": "400"}).stdout
    res = runner.invoke(app, ["show", *at], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    tables = res.stdout.split("\n\n", 1)[1]
    assert all(len(x) <= columns for x in tables.splitlines()), tables
    missing = _words(wide.split("\n\n", 1)[1]) - _words(tables)
    assert not missing, (sorted(missing), tables)


def test_a_mistyped_model_name_suggests_the_model(quickstart_demo: Path) -> None:
    """``lineage show chrun`` (the group) suggests ``churn``, as ``churn@v1.2.0`` suggests a
    version and ``data/prepard`` a path."""
    res = runner.invoke(app, ["show", "chrun"])
    assert res.exit_code == 2, res.output
    assert "nothing in the lineage graph matches 'chrun'" in res.output
    assert "did you mean 'churn'?" in res.output, res.output


def test_a_version_without_retraining_or_monitoring_says_so_in_a_line(
        git_repo: GitRepo) -> None:
    git_repo.write("model.pkl", "model\n")
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.pkl\n    type: model\n")
    git_repo.commit("model")
    git_repo.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    for args in (["init"], ["harvest"]):
        res = runner.invoke(app, [*args, "-C", str(git_repo.path)])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["show", "churn@v1.0.0", "-C", str(git_repo.path)],
                        env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    for title, said in (("Retraining", "no retraining recorded"),
                        ("Monitoring (alerts and checks of this version)",
                         "no alert or check recorded")):
        at = lines.index(title)
        assert lines[at + 1] == said, lines[at:at + 4]  # no header over an empty row
