"""A time written as a number — ``decided_at: 20260110`` (ISO 8601's basic format of a date),
``"1768900000"`` — would be read as Unix seconds and recorded in 1970, for ever (records are
immutable). The record schema says a time is an ISO 8601 string: a number is refused, in a
record file and on the command line, naming file, line and field, with the date written as
it must be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
APPROVAL = """kind: approval
id: churn-prod-risk
model: churn@v1.0.0
environment: prod
approver: rita@example.com
decision: approved
decided_at: {when}
"""


def lineage(repo: Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "-C", str(repo)], env={"COLUMNS": "400"})


@pytest.mark.parametrize(("when", "shown", "hint"), [
    ("20260110", "20260110", "write it as 2026-01-10 (or 2026-01-10T10:00:00Z with the time)"),
    ('"20260110"', "'20260110'", "write it as 2026-01-10"),
    ('"1768900000"', "'1768900000'", "write a date that exists, in ISO 8601"),
    ("1768900000.5", "1768900000.5", "write a date that exists, in ISO 8601"),
])
def test_a_time_written_as_a_number_is_refused(git_repo: GitRepo, when: str, shown: str,
                                               hint: str) -> None:
    git_repo.write("governance/approvals.yaml", APPROVAL.format(when=when))
    res = lineage(git_repo.path, "record", "validate", "--json")
    assert res.exit_code == 1, res.output
    (err,) = json.loads(res.stdout)["errors"]
    assert (err["file"], err["line"], err["field"]) == ("governance/approvals.yaml", 7,
                                                         "decided_at")
    assert f"a number, not a date or time (got {shown})" in err["message"], err
    assert hint in err["hint"], err
    # the harvest refuses it the same way, and writes nothing
    assert lineage(git_repo.path, "init").exit_code == 0
    res = lineage(git_repo.path, "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: governance/approvals.yaml:7 (decided_at): "), res.stderr


def test_the_iso_forms_are_read_as_ever(git_repo: GitRepo) -> None:
    for when in ("2026-01-10", "2026-01-10T09:30:00Z", '"2026-01-10T09:30:00+01:00"'):
        git_repo.write("governance/approvals.yaml", APPROVAL.format(when=when))
        res = lineage(git_repo.path, "record", "validate")
        assert res.exit_code == 0, (when, res.output)


def test_the_command_line_refuses_a_number_for_a_time(git_repo: GitRepo) -> None:
    assert lineage(git_repo.path, "init").exit_code == 0
    res = lineage(git_repo.path, "record", "approval", "--model", "churn@v1.0.0", "--env",
                  "prod", "--approver", "rita@example.com", "--decided-at", "20260110")
    assert res.exit_code == 2, res.output
    assert "20260110" in res.stderr and "2026-01-10" in res.stderr, res.stderr
    assert not (git_repo.path / "governance").exists()
