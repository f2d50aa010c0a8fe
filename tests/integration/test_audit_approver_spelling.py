"""The author of a version's training code approving it is no independent approver however
the address is written: `mailto:ada@example.com`, `ada@example.com (Ada Author)` and
`Ada Author (ada@example.com)` are the author `Ada Author <ada@example.com>` of the demo's
churn@v1.1.0 training commit, as `Ada <ada@example.com>` is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
runner = CliRunner()


def record(repo: Path, *args: str) -> None:
    res = runner.invoke(app, ["record", "approval", "-C", str(repo), "--model", "churn@v1.1.0",
                              "--env", "prod", *args])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("author", ["mailto:ada@example.com", "ada@example.com (Ada Author)",
                                    "Ada Author (ada@example.com)", "MAILTO:Ada@Example.com",
                                    "Ada <ada@example.com>"])
def test_the_authors_approval_is_theirs_however_spelt(quickstart_demo: Path,
                                                      author: str) -> None:
    # the demo's churn@v1.1.0 (high risk) went to prod on 2026-01-20; the policy asks two
    # independent approvers
    record(quickstart_demo, "--approver", "rita@example.com", "--role", "risk-officer",
           "--decided-at", "2026-01-19T09:00:00Z")
    record(quickstart_demo, "--approver", author, "--decided-at", "2026-01-19T10:00:00Z")
    res = runner.invoke(app, ["audit", "-C", str(quickstart_demo), *AS_OF, "--format", "json",
                              "--rule", "four-eyes", "--env", "prod"])
    assert res.exit_code == 1, res.output
    [f] = json.loads(res.stdout)["findings"]
    assert "1 independent approver(s), policy requires 2" in f["message"], f["message"]
    assert "approved by the author of its training code/run" in f["message"]
