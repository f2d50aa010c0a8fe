"""When a report was generated is the real time; the clock the audit ran on (`--as-of`) is a
field of its own. A report of an audit as of 2026-06-01 made today says both, in every format
(JSON `generated_at` / `as_of`, JUnit `timestamp`, SARIF invocation times)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
runner = CliRunner()


def _audit(git_repo, *args: str) -> str:
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    if not (git_repo.path / ".lineage").exists():
        write_store(make_fixture(3), git_repo.path / ".lineage").close()
    res = runner.invoke(app, ["audit", "--repo", str(git_repo.path), "--as-of", "2026-06-01",
                              *args])
    assert res.exit_code == 1, res.output
    return res.stdout


def _real(text: str, before: datetime, after: datetime) -> None:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    assert before.replace(microsecond=0) <= t <= after, (text, before, after)


def test_json_says_when_it_was_generated_and_as_of_when(git_repo) -> None:
    before = datetime.now(UTC)
    data = json.loads(_audit(git_repo, "--format", "json"))
    after = datetime.now(UTC)
    _real(data["generated_at"], before, after)
    assert data["as_of"] == "2026-06-01T23:59:59.999999Z"


def test_junit_timestamps_are_the_real_time_in_the_schemas_form(git_repo) -> None:
    before = datetime.now(UTC)
    root = ET.fromstring(_audit(git_repo, "--format", "junit"))
    after = datetime.now(UTC)
    suites = root.findall("testsuite")
    assert suites
    for suite in suites:
        stamp = suite.get("timestamp") or ""
        # the JUnit schema's ISO8601_DATETIME_PATTERN: no time zone, whole seconds (UTC)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", stamp), stamp
        _real(stamp, before, after)
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["as_of"] == "2026-06-01T23:59:59.999999Z"


def test_sarif_invocation_times_are_real_times(git_repo) -> None:
    before = datetime.now(UTC)
    log = json.loads(_audit(git_repo, "--format", "sarif"))
    after = datetime.now(UTC)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    inv = log["runs"][0]["invocations"][0]
    _real(inv["startTimeUtc"], before, after)
    _real(inv["endTimeUtc"], before, after)
    assert inv["startTimeUtc"] <= inv["endTimeUtc"]
    assert inv["properties"]["asOf"] == "2026-06-01T23:59:59.999999Z"


def test_without_as_of_the_clock_is_when_the_audit_ran(git_repo) -> None:
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    before = datetime.now(UTC)
    res = runner.invoke(app, ["audit", "--repo", str(git_repo.path), "--format", "json",
                              "--fail-on", "never"])
    after = datetime.now(UTC)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    _real(data["as_of"], before, after)
    assert data["as_of"] <= data["generated_at"]
