"""A risk assessment that lowers the tier after a deployment does not erase what that deployment
owes: a deployment is judged by the strictest tier in force at any time from when it was made
until the audit's clock. A downgrade made by the author of the model's training code or run is
a finding of its own (``risk-downgrade-independent``), and so is one that drops the Annex III
area of the assessment before it without a rationale.

The quickstart demo: churn is assessed high (churn-2026, Annex III 5(b), by rita) on
2026-01-03; churn@v1.1.0, trained by ada@example.com, is deployed to staging on 2026-01-16 and
to prod on 2026-01-20; audited as of 2026-01-22 it has 3 findings (2 critical, 1 high)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]
runner = CliRunner()
PLANTED = [("deployment-approved", "deployment:churn-prod-2026-01-20", "critical"),
           ("four-eyes", "deployment:churn:staging:2026-01-16T09:30:00Z", "critical"),
           ("high-risk-docs", "model:churn@v1.1.0", "high")]


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    return quickstart_demo


def record(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", *args, "-C", str(repo)])
    assert res.exit_code == 0, res.output


def audit(repo: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--fail-on", "high",
                              "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)["findings"]


def downgrade(repo: Path, assessor: str, *extra: str) -> None:
    record(repo, "assessment", "--group", "churn", "--tier", "minimal", "--assessor", assessor,
           "--assessed-at", "2026-01-21", "--id", "churn-low", *extra)


def test_a_back_dated_downgrade_by_the_author_erases_nothing(demo: Path) -> None:
    code, before = audit(demo)
    assert code == 1 and [(f["rule"], f["subject"], f["severity"]) for f in before] == PLANTED
    downgrade(demo, "ada@example.com", "--rationale", "low impact")
    code, after = audit(demo)
    assert code == 1
    assert [(f["rule"], f["subject"], f["severity"]) for f in after
            if f["rule"] != "risk-downgrade-independent"] == PLANTED
    [f] = [f for f in after if f["rule"] == "risk-downgrade-independent"]
    assert (f["subject"], f["severity"], f["tier"], f["group"]) == (
        "risk_assessment:churn-low", "high", "high", "model_group:churn")
    assert f["message"].startswith(
        "risk assessment churn-low lowers model group churn from high (churn-2026) to "
        "minimal: it is made by ada@example.com, the author of the training code/run of churn")
    # the Annex III area it drops is named
    assert ("it drops the Annex III area '5(b): access to essential private services' of "
            "churn-2026 (rationale: 'low impact')") in f["message"]
    assert {"risk_assessment:churn-low", "risk_assessment:churn-2026"} <= set(f["evidence"])
    assert f["articles"] == ["EU AI Act Art. 9"] and f["controls"] == ["ISO/IEC 42001 A.5.2"]


def test_an_independent_downgrade_is_no_finding_but_lifts_no_past_deployment(
        demo: Path) -> None:
    downgrade(demo, "dana@example.com", "--rationale", "the score no longer gates credit",
              "--annex-iii", "none")
    code, after = audit(demo)
    assert code == 1
    assert [(f["rule"], f["subject"], f["severity"]) for f in after] == PLANTED
    assert {f["tier"] for f in after} == {"high"}
    # a deployment made after it is judged at the tier then in force
    record(demo, "deployment", "--model", "churn@v1.1.0", "--env", "canary", "--deployed-at",
           "2026-01-21T12:00:00Z", "--id", "churn-canary")
    _, found = audit(demo, "--rule", "deployment-approved")
    [f] = [f for f in found if f["subject"] == "deployment:churn-canary"]
    assert (f["tier"], f["severity"]) == ("minimal", "medium")


def test_dropping_the_annex_iii_area_without_a_rationale_is_a_finding(demo: Path) -> None:
    downgrade(demo, "dana@example.com")
    _, found = audit(demo, "--rule", "risk-downgrade-independent")
    [f] = found
    assert f["message"] == (
        "risk assessment churn-low lowers model group churn from high (churn-2026) to minimal: "
        "it drops the Annex III area '5(b): access to essential private services' of "
        "churn-2026 (without a rationale); deployments made under high are still audited at "
        "high")


def test_a_correction_of_the_wrong_assessment_is_the_way_to_lower_it(demo: Path) -> None:
    """A tier that was wrong from the start is corrected (``supersedes``), not downgraded."""
    record(demo, "assessment", "--group", "churn", "--tier", "minimal", "--assessor",
           "dana@example.com", "--assessed-at", "2026-01-03", "--rationale", "misread Annex III",
           "--prop", "supersedes=churn-2026", "--id", "churn-fixed")
    _, found = audit(demo)
    assert {f["tier"] for f in found} == {"minimal"}
    assert "risk-downgrade-independent" not in {f["rule"] for f in found}
