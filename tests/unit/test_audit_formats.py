"""Every report format parsed back by a real parser of that format."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from audit_fixture import make_fixture

from lineage.audit import Policy, Waiver, run_audit
from lineage.audit.formats import (
    render_json,
    render_junit,
    render_markdown,
    render_sarif,
    render_table,
)

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def fx():
    return make_fixture(11)


@pytest.fixture(scope="module")
def report(fx):
    waiver = Waiver(rule="high-risk-docs", node="model:s11-nodocs@v1.0.0", owner="dana",
                    reason="v1 retired next week", expires=date(2026, 7, 1))
    return run_audit(fx.graph(), Policy(waivers=[waiver]), now=fx.now)


def test_json_round_trips(report, fx) -> None:
    data = json.loads(render_json(report))
    got = {(f["rule"], f["subject"]) for f in data["findings"]}
    waived = {(f["rule"], f["subject"]) for f in data["waived"]}
    assert got | waived == fx.expected and not got & waived
    assert waived == {("high-risk-docs", "model:s11-nodocs@v1.0.0")}
    assert data["waivers"][0]["status"] == "used"
    assert data["summary"]["findings"] == len(got)
    assert sum(data["summary"]["by_severity"].values()) == len(got)
    for f in data["findings"]:
        assert f["evidence"] and f["remediation"] and (f["articles"] or f["controls"])


def test_junit_structure(report, fx) -> None:
    root = ET.fromstring(render_junit(report))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert int(root.get("tests")) == len(cases) == len(report.checks)
    failed = {(c.get("classname").removeprefix("lineage.audit."), c.get("name"))
              for c in cases if c.find("failure") is not None}
    skipped = {(c.get("classname").removeprefix("lineage.audit."), c.get("name"))
               for c in cases if c.find("skipped") is not None}
    assert failed == {(f.rule, f.subject) for f in report.findings}
    assert failed | skipped == fx.expected
    assert int(root.get("failures")) == len(failed)
    assert int(root.get("skipped")) == len(skipped) == 1
    for suite in root.findall("testsuite"):
        n = len(suite.findall("testcase"))
        assert int(suite.get("tests")) == n
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert props["serves"]
    fail = root.find(".//testcase/failure")
    assert fail.get("type") in ("critical", "high", "medium", "low", "info")
    assert "fix: " in fail.text and "evidence: " in fail.text


def test_sarif_validates_against_the_2_1_0_schema(report, fx) -> None:
    log = json.loads(render_sarif(report))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert len(results) == len(report.findings) + len(report.waived)
    for res in results:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
    active = {(r["ruleId"], r["properties"]["subject"]) for r in results
              if "suppressions" not in r}
    assert active == {(f.rule, f.subject) for f in report.findings}
    assert {(r["ruleId"], r["properties"]["subject"]) for r in results} == fx.expected
    # a finding with a governance record file points at it; others carry a logical location
    by_subject = {r["properties"]["subject"]: r for r in results}
    noappr = next(f for f in report.findings if f.rule == "deployment-approved"
                  and "noappr" in f.subject)
    loc = by_subject[noappr.subject]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == \
        "governance/s11-noappr/deploy-prod.yaml"
    run_finding = next(f for f in report.findings if f.rule == "run-code-pinned")
    loc = by_subject[run_finding.subject]["locations"][0]
    assert "physicalLocation" not in loc
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == run_finding.subject


def test_sarif_anchors_fileless_results_for_code_scanning(report) -> None:
    """GitHub code scanning rejects a log whose results lack a physical location."""
    from dataclasses import replace

    log = json.loads(render_sarif(replace(report, anchor_file="lineage-policy.yaml")))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    for res in log["runs"][0]["results"]:
        loc = res["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"]
        assert loc["logicalLocations"][0]["fullyQualifiedName"] == res["properties"]["subject"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert "lineage-policy.yaml" in uris and "governance/s11-noappr/deploy-prod.yaml" in uris


def test_sarif_schema_rejects_a_broken_log(report) -> None:
    """The schema check is real: a result without a message fails it."""
    log = json.loads(render_sarif(report))
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)


def test_markdown_tables_parse(report) -> None:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(render_markdown(report))
    rows: list[list[str]] = []
    row: list[str] | None = None
    in_body = False
    for t in tokens:
        if t.type == "tbody_open":
            in_body = True
        elif t.type == "tbody_close":
            in_body = False
        elif in_body and t.type == "tr_open":
            row = []
        elif in_body and t.type == "tr_close" and row is not None:
            rows.append(row)
        elif in_body and t.type == "inline" and row is not None:
            row.append(t.content)
    finding_rows = [r for r in rows if len(r) == 5]
    assert {(r[1].strip("`"), r[2].strip("`")) for r in finding_rows} == \
        {(f.rule, f.subject) for f in report.findings}
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0].endswith(f"{len(report.findings)} finding(s)")
    assert "Waivers" in headings


def test_table_lists_every_finding(report) -> None:
    from rich.console import Console

    console = Console(record=True, width=250)
    console.print(render_table(report))
    text = console.export_text()
    for f in report.findings:
        assert f.rule in text
    assert "Waivers" in text and "used" in text


def _printed(report, width: int) -> str:
    from rich.console import Console

    console = Console(record=True, width=width, color_system=None)
    console.print(render_table(report))
    return console.export_text()


def test_table_names_what_each_finding_serves(report) -> None:
    from lineage.audit.formats import serves

    text = _printed(report, 250)
    assert "model / version" in text  # the table, at this width
    for f in report.findings:
        assert f"serves: {serves(f)}" in " ".join(text.split()).replace("│ ", "")
    four_eyes = next(f for f in report.findings if f.rule == "four-eyes")
    assert serves(four_eyes) == "EU AI Act Art. 14 · ISO/IEC 42001 A.3.2"
    docs = next(f for f in report.findings if f.rule == "high-risk-docs")
    assert serves(docs) == "EU AI Act Art. 10, 11, 13, 15 · ISO/IEC 42001 A.6.2.7"


@pytest.mark.parametrize("width", [80, 100])
def test_a_narrow_console_stacks_the_findings(report, width: int) -> None:
    """A CI log is 80 columns: each finding gets the whole width, under a line naming its
    version, severity, rule and tier, instead of a table whose last column is a sliver."""
    text = _printed(report, width)
    assert "Waivers" in text
    findings = text[:text.index("Waivers")]
    lines = findings.splitlines()[:-1]
    lines = lines[next(i for i, line in enumerate(lines) if " ─" in line):]  # (after the head)
    assert "model / version" not in text and "┃" not in findings
    assert all(len(line) <= width and line == line.rstrip() for line in lines)
    flat = " ".join(text.split())
    for f in report.findings:
        head = f"{f.severity} · {f.rule} (tier: {f.tier})"
        assert head in flat, head
        # (an id longer than the line is folded: compared without the line breaks)
        assert "".join(f.message.split()) in "".join(flat.split())
        assert "".join(f.remediation.split()) in "".join(flat.split())
    # each model group is a heading, once, with its findings under it
    groups = {f.group for f in report.findings if f.group}
    from lineage.audit.registry import short

    for g in groups:
        assert sum(1 for line in lines if line.startswith(f"{short(g)} ─")) == 1


def test_json_findings_have_one_shape(report) -> None:
    """Every documented key on every finding; null where it does not apply (a version-level
    finding has no environment, a run without a model no model)."""
    data = json.loads(render_json(report))
    keys = {"rule", "title", "severity", "tier", "subject", "model", "group", "environment",
            "aliases", "message", "evidence", "remediation", "articles", "controls",
            "location"}
    for f in data["findings"]:
        assert set(f) == keys, f
    version_level = [f for f in data["findings"] if f["rule"] == "high-risk-docs"]
    assert version_level and all(f["environment"] is None for f in version_level)
    assert {f["environment"] for f in data["findings"] if f["rule"] == "deployment-approved"} \
        == {"prod"}
    assert set(data["waived"][0]) == keys | {"waiver"}


def test_markdown_keeps_ids_with_emoji_codes_out_of_github_shortcodes() -> None:
    """GitHub renders ``:ghost:`` as an emoji outside code: a finding about
    ``deployment:ghost:prod:…`` (a model named like an emoji code) must read as that id in a
    pull-request comment."""
    import re

    from markdown_it import MarkdownIt

    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    dep = "deployment:ghost:prod:2026-05-01T00:00:00Z"
    g = LineageGraph()
    g.add([Node.make(NodeKind.DEPLOYMENT, dep, model="model:ghost@v9", environment="prod",
                     deployed_at="2026-05-01T00:00:00Z")])
    md = render_markdown(run_audit(g, now=make_fixture(0).now, rules=["lineage-continuity"]))
    outside_code = re.sub(r"`[^`]*`", "", md)
    assert ":ghost:" not in outside_code, md
    text = "".join(c.content for t in MarkdownIt("commonmark").enable("table").parse(md)
                   if t.type == "inline" for c in t.children or ())
    assert f"is named by {dep}" in text, text
