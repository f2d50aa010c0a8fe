"""The fix `high-risk-docs` and `transparency-notice` print for a missing document: record it
with the date it was issued (`--at`), since `lineage audit --as-of` leaves out a document
issued after its date and counts one recorded without a date from its recording; a document
the audit left out for that reason is named, with the correction that gives it its date."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.integration.test_audit_as_of_records import _Clock, record
from tests.integration.test_audit_as_of_records import clock as clock  # noqa: F401 (fixture)

runner = CliRunner()


def fixes(rule: str, *args: str) -> dict[str, str]:
    res = runner.invoke(app, ["audit", "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return {f["subject"]: f["remediation"] for f in json.loads(res.stdout)["findings"]
            if f["rule"] == rule}


def run_fix(clock: _Clock, at: str, fix: str, **placeholders: str) -> None:
    """Record what a fix says, its placeholders filled in, as a user would."""
    cmd = fix.split(": ", 1)[1] if ": lineage " in fix else fix
    for name, value in placeholders.items():
        cmd = cmd.replace(f"<{name}>", value)
    argv = shlex.split(cmd)
    assert argv[:2] == ["lineage", "record"], cmd
    record(clock, at, *argv[2:])


def test_a_missing_document_is_recorded_with_the_date_it_was_issued(clock: _Clock) -> None:
    fix = fixes("high-risk-docs")["model:churn@v2.0.0"]
    assert fix == ("record it with the date it was issued: lineage record document --model "
                   "churn@v2.0.0 --type bias_report --uri <link> --at <date issued>")
    # recorded in June as the fix says, issued in February: an audit of March counts it
    run_fix(clock, "2026-06-15T00:00:00Z", fix, link="https://wiki.example.com/churn/bias",
            **{"date issued": "2026-02-01"})
    for args in (("--as-of", "2026-03-01"), ()):
        assert set(fixes("high-risk-docs", *args)) == {"model:churn@v1.0.0"}, args
    assert set(fixes("high-risk-docs", "--as-of", "2026-01-20")) == {
        "model:churn@v1.0.0", "model:churn@v2.0.0"}


def test_every_missing_kind_is_named_and_the_first_one_recorded(clock: _Clock,
                                                                tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("high_risk_documents: [model_card, datasheet, bias_report]\n")
    fix = fixes("high-risk-docs", "--policy", str(policy))["model:churn@v1.0.0"]
    assert fix == ("record each with the date it was issued: lineage record document --model "
                   "churn@v1.0.0 --type datasheet --uri <link> --at <date issued>")


def test_a_document_recorded_later_without_its_date_is_corrected_with_it(
        clock: _Clock) -> None:
    record(clock, "2026-06-15T00:00:00Z", "document", "--group", "churn", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--title",
           "Bias report (Q1)", "--id", "churn-bias")
    fix = fixes("high-risk-docs", "--as-of", "2026-03-01")["model:churn@v2.0.0"]
    assert fix == (
        "bias_report churn-bias was recorded after the audit date (2026-06-15T00:00:00Z) "
        "without the date it was issued; if it was issued by then, record it again with "
        "that date: lineage record document --group churn --type bias_report --uri "
        "https://wiki.example.com/churn/bias --title 'Bias report (Q1)' --at <date issued> "
        "--prop supersedes=churn-bias")
    run_fix(clock, "2026-06-16T00:00:00Z", fix, **{"date issued": "2026-02-01"})
    assert fixes("high-risk-docs", "--as-of", "2026-03-01") == {}
    # the correction replaces the undated record: one bias report, issued in February
    res = runner.invoke(app, ["show", "churn@v2.0.0", "--json"])
    docs = [d for d in json.loads(res.stdout)["governance"]["documents"]
            if d["doc_kind"] == "bias_report" and d["counts"]] if res.exit_code == 0 else None
    assert docs is not None and len(docs) == 1, res.output
    assert docs[0]["at"].startswith("2026-02-01"), docs


def test_a_document_issued_after_the_audit_date_is_not_corrected(clock: _Clock) -> None:
    # dated June: it was issued after the audit date, and nothing says otherwise
    record(clock, "2026-06-15T00:00:00Z", "document", "--group", "churn", "--type",
           "bias_report", "--uri", "https://wiki.example.com/churn/bias", "--at",
           "2026-06-01", "--id", "churn-bias")
    fix = fixes("high-risk-docs", "--as-of", "2026-03-01")["model:churn@v2.0.0"]
    assert fix.startswith("record it with the date it was issued: lineage record document "
                          "--model churn@v2.0.0 --type bias_report"), fix
    assert "supersedes" not in fix


@pytest.mark.parametrize("later", [False, True])
def test_transparency_notice_fix(clock: _Clock, later: bool) -> None:
    record(clock, "2026-01-06T00:00:00Z", "assessment", "--group", "churn", "--tier",
           "limited", "--assessor", "risk@example.com", "--date", "2026-01-06T00:00:00Z")
    if later:
        record(clock, "2026-06-15T00:00:00Z", "document", "--model", "churn@v2.0.0", "--type",
               "transparency_notice", "--uri", "https://example.com/notice", "--id", "notice")
        fix = fixes("transparency-notice", "--as-of", "2026-03-01")["model:churn@v2.0.0"]
        assert fix == (
            "transparency_notice notice was recorded after the audit date "
            "(2026-06-15T00:00:00Z) without the date it was issued; if it was issued by then, "
            "record it again with that date: lineage record document --model churn@v2.0.0 "
            "--type transparency_notice --uri https://example.com/notice --at <date issued> "
            "--prop supersedes=notice")
    else:
        fix = fixes("transparency-notice")["model:churn@v2.0.0"]
        assert fix == ("record it with the date it was issued: lineage record document "
                       "--model churn@v2.0.0 --type transparency_notice --uri <link> "
                       "--at <date issued>")


def test_the_correction_of_a_repository_file_pins_the_same_content(clock: _Clock) -> None:
    Path("docs").mkdir()
    Path("docs/bias.md").write_text("# Bias report\n")
    record(clock, "2026-06-15T00:00:00Z", "document", "--model", "churn@v2.0.0", "--type",
           "bias_report", "--uri", "docs/bias.md", "--id", "churn-bias")
    fix = fixes("high-risk-docs", "--as-of", "2026-03-01")["model:churn@v2.0.0"]
    assert "--uri docs/bias.md --content-hash sha256:" in fix, fix
    # the file changed since: the correction refuses to date content that was not issued then
    Path("docs/bias.md").write_text("# Bias report, edited in July\n")
    cmd = shlex.split(fix.split(": ", 1)[1].replace("<date issued>", "2026-02-01"))
    res = runner.invoke(app, cmd[1:])
    assert res.exit_code == 2 and "content_hash" in res.output, res.output
    Path("docs/bias.md").write_text("# Bias report\n")
    run_fix(clock, "2026-07-02T00:00:00Z", fix, **{"date issued": "2026-02-01"})
    assert "model:churn@v2.0.0" not in fixes("high-risk-docs", "--as-of", "2026-03-01")
