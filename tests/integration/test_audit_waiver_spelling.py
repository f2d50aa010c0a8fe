"""A waiver's ``node`` is any spelling of the finding's subject, version or group the report
prints and ``--model`` takes: the full id (``model:churn@v1.1.0``), the short version id
(``churn@v1.1.0``), the group's name (``churn``). A waiver that matches nothing is ``unused``,
past its date or not ("unused (expired …)"); ``expired`` is one that would have applied.

The quickstart demo audited as of 2026-01-22: churn@v1.1.0 lacks a bias report
(``high-risk-docs``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()


def waive(repo: Path, node: str, expires: str = "2026-12-31", rule: str = "high-risk-docs",
          ) -> None:
    policy = repo / "lineage-policy.yaml"
    policy.write_text(policy.read_text() + f"""
waivers:
  - rule: {rule}
    node: "{node}"
    owner: dana@example.com
    reason: bias report under review (ML-77)
    expires: {expires}
""")


def audit(repo: Path, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--as-of", "2026-01-22", "--format",
                              "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("node", ["churn@v1.1.0", "model:churn@v1.1.0", "churn",
                                  "model_group:churn", "model:churn"])
def test_every_spelling_of_the_version_or_group_waives_it(quickstart_demo: Path,
                                                          node: str) -> None:
    waive(quickstart_demo, node)
    report = audit(quickstart_demo)
    assert "high-risk-docs" not in {f["rule"] for f in report["findings"]}
    [w] = report["waived"]
    assert (w["rule"], w["subject"]) == ("high-risk-docs", "model:churn@v1.1.0")
    [use] = report["waivers"]
    assert (use["status"], use["matched"]) == ("used", ["model:churn@v1.1.0"])
    # a filtered audit judges it by the same spellings
    [use] = audit(quickstart_demo, "--model", "churn@v1.1.0")["waivers"]
    assert use["status"] == "used"


@pytest.mark.parametrize("node", ["Churn@v1.1.0", "churn@v1.0.0", "credit"])
def test_another_name_waives_nothing(quickstart_demo: Path, node: str) -> None:
    waive(quickstart_demo, node)
    report = audit(quickstart_demo)
    assert "high-risk-docs" in {f["rule"] for f in report["findings"]}
    [use] = report["waivers"]
    assert (use["status"], use["expired"]) == ("unused", False)


def test_an_expired_waiver_is_labelled_by_whether_it_matched(quickstart_demo: Path) -> None:
    waive(quickstart_demo, "churn@v1.0.0", expires="2026-01-10")
    [use] = audit(quickstart_demo)["waivers"]
    assert (use["status"], use["expired"]) == ("unused", True)
    res = runner.invoke(app, ["audit", "-C", str(quickstart_demo), "--as-of", "2026-01-22",
                              "--format", "markdown"])
    assert "| unused (expired 2026-01-10) | `high-risk-docs` |" in res.stdout, res.stdout
    res = runner.invoke(app, ["audit", "-C", str(quickstart_demo), "--as-of", "2026-01-22"],
                        env={"COLUMNS": "160"})
    assert "unused (expired 2026-01-10)" in res.stdout, res.stdout


def test_an_expired_waiver_that_matched_is_expired(quickstart_demo: Path) -> None:
    waive(quickstart_demo, "churn", expires="2026-01-10")
    report = audit(quickstart_demo)
    [use] = report["waivers"]
    assert (use["status"], use["expired"], use["matched"]) == (
        "expired", True, ["model:churn@v1.1.0"])
    [f] = [f for f in report["findings"] if f["rule"] == "high-risk-docs"]
    assert f["waiver"]["status"] == "expired"
