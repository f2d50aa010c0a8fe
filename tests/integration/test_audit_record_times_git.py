"""The audit dates a governance record harvested from a committed file by the commit that added
it (``committed_at``) when that is earlier than the store's first writing of it, as `lineage
show` does: a fresh clone's harvest writes every record months after git held it.

Two stores of one history: ``team`` learnt of each record file the day it was written (the
store's clock set to that day, the file harvested before it was committed); ``ci`` is a fresh
clone harvested today. A record committed long after its date is judged in ``ci`` as the one
recorded late in ``team``, and one committed before its date as one written before it; an
undated record counts from its commit, not from the clone's harvest."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
WEIGHTS = "weights of v1\n"
BASE = {
    "models/churn.bin": WEIGHTS,
    "governance/run/train-1.yaml": f"""kind: run
id: train-1
name: train
status: FINISHED
user: ada@example.com
start_time: 2026-01-02T08:00:00Z
end_time: 2026-01-02T08:30:00Z
models:
  - name: churn
    version: v1.0.0
    path: models/churn.bin
    hash: md5:{hashlib.md5(WEIGHTS.encode()).hexdigest()}
""",
    "governance/risk.yaml": """kind: risk_assessment
id: churn-2026
model_group: churn
tier: high
assessor: carol@example.com
assessed_at: 2026-01-02T08:45:00Z
""",
}
# (when the file was written and committed, path, content)
HISTORY = [
    # an approval written on the 5th saying it was decided on the 9th: a claim about the future
    ("2026-01-05T09:00:00Z", "governance/approvals/ahead.yaml", """kind: approval
id: ahead
model: churn@v1.0.0
environment: prod
approver: bob@example.com
decision: approved
decided_at: 2026-01-09T00:00:00Z
"""),
    ("2026-01-10T10:00:00Z", "governance/deployment.yaml", """kind: deployment
id: churn-prod
model: churn@v1.0.0
environment: prod
deployed_at: 2026-01-10T09:00:00Z
deployed_by: deploy-bot
"""),
    # written in June, dated before the deployment: recorded (committed) after the fact
    ("2026-06-15T00:00:00Z", "governance/approvals/late.yaml", """kind: approval
id: late
model: churn@v1.0.0
environment: prod
approver: rita@example.com
decision: approved
decided_at: 2026-01-04T00:00:00Z
"""),
    # written in June without the date it was issued: it counts from when it was written
    ("2026-06-15T00:00:00Z", "governance/bias.yaml", """kind: document
id: churn-bias
doc_kind: bias_report
uri: https://wiki.example.com/churn/bias
model_group: churn
"""),
]


class _Clock:
    """The store's clock (when each event is written), set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def commit_at(repo: GitRepo, message: str, when: str) -> None:
    env = {**repo.env(), "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=repo.path, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, env=env, check=True)


def lineage(repo: Path, *args: str) -> Any:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


@pytest.fixture
def stores(git_repo: GitRepo, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(team, ci): the origin's store, which harvested each file on the day it was written,
    and the store of a fresh clone harvested today."""
    clock = _Clock()
    monkeypatch.setattr("lineage.store.now_utc", clock)
    team = git_repo
    for rel, text in BASE.items():
        team.write(rel, text)
    commit_at(team, "train churn v1.0.0", "2026-01-02T09:00:00Z")
    assert runner.invoke(app, ["init", "-C", str(team.path)]).exit_code == 0
    lineage(team.path, "harvest", "--json")
    for when, rel, text in HISTORY:
        team.write(rel, text)
        clock.now = at(when)
        harvested = lineage(team.path, "harvest", "--json")
        assert harvested["warnings"] == [], harvested
        commit_at(team, f"add {rel}", when)
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", f"file://{team.path}", str(ci)], check=True)
    clock.now = datetime.now(UTC)
    assert runner.invoke(app, ["init", "-C", str(ci)]).exit_code == 0
    lineage(ci, "harvest", "--json")
    return team.path, ci


def findings(repo: Path, *args: str) -> list[tuple[str, str, str]]:
    data = lineage(repo, "audit", "--format", "json", *args)
    return sorted((f["rule"], f["subject"], f["message"]) for f in data["findings"])


def messages(found: list[tuple[str, str, str]], rule: str, subject: str) -> list[str]:
    return [m for r, s, m in found if r == rule and s == subject]


@pytest.mark.parametrize("as_of", ["2026-01-11", "2026-03-01", "2026-07-01"])
def test_a_fresh_clone_audits_each_record_as_the_store_that_recorded_it(
        stores: tuple[Path, Path], as_of: str) -> None:
    team, ci = stores
    assert findings(ci, "--as-of", as_of) == findings(team, "--as-of", as_of)


def test_an_approval_committed_before_its_date_approves_nothing(
        stores: tuple[Path, Path]) -> None:
    _, ci = stores
    found = findings(ci, "--as-of", "2026-03-01")
    [gate] = messages(found, "deployment-approved", "deployment:churn-prod") or \
        messages(found, "four-eyes", "deployment:churn-prod")
    assert ("approval ahead is dated 2026-01-09T00:00:00Z, after it was recorded "
            "(2026-01-05T09:00:00Z)") in gate, gate
    [flag] = messages(found, "lineage-continuity", "approval:ahead")
    assert "decided_at 2026-01-09T00:00:00Z is after it was recorded (2026-01-05T09:00:00Z)" \
        in flag, flag


def test_an_approval_committed_long_after_its_date_counts_from_that_date(
        stores: tuple[Path, Path]) -> None:
    """Recorded after the fact with its real date (docs/audit.md, "Closing an approval
    gap"): it approves the deployment made after that date, in the clone as in the store
    that recorded it late, and `lineage show` marks it recorded months later, by its
    commit."""
    team, ci = stores
    for repo in (team, ci):
        found = findings(repo)
        assert not messages(found, "deployment-approved", "deployment:churn-prod"), found
        # two approvers on record, one of whom approves nothing: four-eyes wants one more
        [short] = messages(found, "four-eyes", "deployment:churn-prod")
        assert "1 independent approver(s), policy requires 2" in short, short
        assert "approval ahead is dated" in short, short
        assert not messages(found, "lineage-continuity", "approval:late"), found
    approvals = {a["id"]: a for a in lineage(ci, "show", "churn@v1.0.0", "--json")[
        "governance"]["approvals"]}
    late = approvals["approval:late"]
    assert (late["recorded_by"], late["recorded_at"]) == ("commit", "2026-06-15T00:00:00Z")
    assert late["recorded_late"]["days"] == 162, late


def test_an_undated_record_counts_from_its_commit_not_from_the_clone(
        stores: tuple[Path, Path]) -> None:
    _, ci = stores
    march = findings(ci, "--as-of", "2026-03-01", "--rule", "high-risk-docs")
    [docs] = [m for r, s, m in march if s == "model:churn@v1.0.0"]
    assert "bias_report" in docs, docs
    data = lineage(ci, "audit", "--format", "json", "--as-of", "2026-03-01", "--rule",
                   "high-risk-docs")
    [f] = data["findings"]
    assert ("bias_report churn-bias was recorded after the audit date (2026-06-15T00:00:00Z)"
            in f["remediation"]), f["remediation"]
    assert data["summary"]["after_as_of"]["documents"] == 1
    # in July it had been committed for a fortnight: it counts, months before the clone
    july = lineage(ci, "audit", "--format", "json", "--as-of", "2026-07-01", "--rule",
                   "high-risk-docs")
    assert july["summary"]["after_as_of"]["documents"] == 0
    assert all("bias_report" not in f["message"] for f in july["findings"]), july["findings"]


def test_the_clones_catalog_dates_them_by_their_commits_too(stores: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    """The records pushed to DataHub keep ``committed_at``: the catalog's audit reads it."""
    pytest.importorskip("datahub")
    _, ci = stores
    lite = tmp_path / "lite.db"
    res = runner.invoke(app, ["push", "-C", str(ci), str(lite)])
    assert res.exit_code == 0, res.output
    for as_of in ("2026-01-11", "2026-03-01"):
        catalog = findings(ci, "--as-of", as_of, "--source", "datahub-lite", str(lite))
        assert catalog == findings(ci, "--as-of", as_of), as_of
        assert any("after it was recorded (2026-01-05T09:00:00Z)" in m for _, _, m in catalog)
