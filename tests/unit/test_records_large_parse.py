"""A record file of thousands of records (a CD job appending each approval and deployment) is
read a slice of records at a time: every record, line and error is what reading the file
whole gives — the record's line, each field's line, an invalid record's line and field
however deep in the file, a key given twice with both lines — and a file whose records do
not read apart (an alias to an anchor in another record, a quoted text holding a line that
starts with ``- ``) reads as before."""

from __future__ import annotations

import pytest

from lineage.errors import InputError
from lineage.records import parse_text

HEAD = "# approvals, appended by the CD job\n# one record per approval\n\n"
FILE = "governance/approvals.yaml"


def approval(i: int, decision: str = "approved", extra: str = "") -> str:
    return (f"- kind: approval\n  id: appr-{i}\n  model: churn@v1.{i}.0\n  environment: prod\n"
            f"  approver: alice\n  decision: {decision}\n"
            f"  decided_at: 2026-01-20T10:00:00Z\n{extra}")


def lines_of(text: str, needle: str) -> list[int]:
    return [n for n, ln in enumerate(text.splitlines(), 1) if needle in ln]


def test_each_record_of_a_long_file_is_named_by_its_own_lines() -> None:
    text = HEAD + "".join(approval(i) for i in range(1234))
    recs = parse_text(text, FILE)
    assert [r.record.id for r in recs] == [f"appr-{i}" for i in range(1234)]
    starts = lines_of(text, "- kind: approval")
    assert [r.line for r in recs] == starts
    assert [r.line_of("approver") for r in recs] == lines_of(text, "approver:")
    assert [r.line_of("decided_at") for r in recs] == lines_of(text, "decided_at:")
    assert recs[1200].line == 4 + 1200 * 7
    # read item by item: each record keeps the text it was read from
    assert "".join(r.item or "" for r in recs) == text[len(HEAD):]


def test_an_invalid_record_deep_in_a_long_file_is_named_by_its_line_and_field() -> None:
    records = [approval(i, "maybe" if i in (7, 1100) else "approved") for i in range(1234)]
    text = "".join(records)
    with pytest.raises(InputError) as err:
        parse_text(text, FILE)
    bad = [(p.line, p.field) for p in err.value.problems]
    assert bad == [(7 * 7 + 6, "decision"), (1100 * 7 + 6, "decision")]
    assert lines_of(text, "decision: maybe") == [7 * 7 + 6, 1100 * 7 + 6]
    assert err.value.file == FILE


def test_a_key_given_twice_deep_in_a_long_file_names_both_lines() -> None:
    records = [approval(i, extra="  approver: bob\n" if i == 1001 else "")
               for i in range(1100)]
    text = "".join(records)
    with pytest.raises(InputError) as err:
        parse_text(text, FILE)
    first, second = lines_of(text, "approver:")[1001], lines_of(text, "approver: bob")[0]
    assert err.value.line == second
    assert err.value.field == "approver"
    assert f"given twice (first on line {first})" in err.value.message


def test_an_alias_to_a_record_far_above_reads_as_in_the_whole_file() -> None:
    records = [approval(i) for i in range(1100)]
    records[0] = records[0].replace("  approver: alice\n", "  approver: &lead alice\n")
    records[900] = records[900].replace("  approver: alice\n", "  approver: *lead\n")
    recs = parse_text("".join(records), FILE)
    assert len(recs) == 1100
    assert recs[900].record.approver == "alice"  # type: ignore[attr-defined]
    assert recs[900].line == 900 * 7 + 1
    assert recs[900].item is None  # read whole


def test_a_quoted_text_holding_a_list_line_reads_as_in_the_whole_file() -> None:
    records = [approval(i) for i in range(1100)]
    # a quoted text may run over lines, one of them starting with "- " (not a new record)
    records[600] += '  evidence: "see the list\n- in JIRA-1"\n'
    recs = parse_text("".join(records), FILE)
    assert len(recs) == 1100
    assert recs[600].record.evidence == "see the list - in JIRA-1"  # type: ignore[attr-defined]
    assert recs[601].line == 600 * 7 + 2 + 7 + 1
