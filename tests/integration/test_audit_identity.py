"""Who approved, as `lineage audit` sees it on a real git repository: one person spelled two
ways (`carl`, `carl@example.com`) is one approver; two different email addresses are two
people, whatever their local parts; and the fixes the audit suggests for an approval gap and a
prohibited deployment close the finding when run."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
DEPLOYED = "2026-03-02T10:00:00Z"
BEFORE = "2026-03-01T09:00:00Z"
AS_OF = ["--as-of", "2026-03-03"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose training code Ada Lovelace <ada@example.com> committed, a run that
    produced churn@1 from it, and a high-risk assessment (two independent approvers)."""
    root = tmp_path / "who"
    root.mkdir()
    env = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    (root / "train.py").write_text("print('train')\n")
    subprocess.run(["git", "add", "train.py"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "training code"], cwd=root, check=True, env=env)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, env=env,
                         capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(root)
    for cmd in (["init"], ["harvest"]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 0, res.output
    Path("model.bin").write_text("weights\n")
    record("run", "--name", "train", "--model", "churn@1=model.bin", "--commit", sha, "--clean",
           "--prop", "user=ci-bot")
    record("assessment", "--model-group", "churn", "--tier", "high", "--assessor", "risk@example.com",
           "--assessed-at", "2026-01-02T00:00:00Z", "--next-review", "2026-12-31")
    record("deployment", "--model", "churn@1", "--env", "prod", "--deployed-at", DEPLOYED)
    return root


def record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def approve(who: str, at: str = BEFORE, decision: str = "approved") -> None:
    record("approval", "--model", "churn@1", "--env", "prod", "--approver", who,
           "--decision", decision, "--decided-at", at)


def audit(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["audit", "--format", "json", *AS_OF, *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def by_rule(data: dict, rule: str) -> list[dict]:
    return [f for f in data["findings"] if f["rule"] == rule]


def test_one_person_spelled_two_ways_is_one_approver(repo: Path) -> None:
    approve("carl@example.com")
    approve("carl", "2026-03-01T09:05:00Z")
    code, data = audit("--fail-on", "high")
    assert code == 1
    [f] = by_rule(data, "four-eyes")
    assert "1 independent approver(s), policy requires 2" in f["message"]
    # one more approval is what it takes, and it must predate the deployment
    assert "record an approval given before" not in f["remediation"]
    assert "--decided-at <before 2026-03-02T10:00:00Z>" in f["remediation"]
    approve("Rita <rita@example.com>", "2026-03-01T09:10:00Z")
    code, data = audit("--fail-on", "high", "--rule", "four-eyes")
    assert code == 0 and not data["findings"]


def test_a_withdrawal_by_another_spelling_of_the_approver_withdraws(repo: Path) -> None:
    approve("carl@example.com", "2026-03-01T09:00:00Z")
    approve("Carl", "2026-03-01T09:30:00Z", decision="rejected")
    code, data = audit("--fail-on", "high")
    [f] = by_rule(data, "deployment-approved")
    assert "was withdrawn by their later decision" in f["message"]


def test_a_namesake_at_another_domain_is_not_the_author(repo: Path) -> None:
    approve("ada@contractor.org")
    approve("rita@example.com")
    code, data = audit("--fail-on", "high", "--rule", "four-eyes")
    assert code == 0 and not data["findings"], data["findings"]


@pytest.mark.parametrize("who", ["ada", "Ada Lovelace", "ADA@example.com"])
def test_the_author_by_name_or_email_is_not_independent(repo: Path, who: str) -> None:
    approve(who)
    approve("rita@example.com")
    code, data = audit("--fail-on", "high", "--rule", "four-eyes")
    [f] = by_rule(data, "four-eyes")
    assert f"approved by the author of its training code/run ({who})" in f["message"]


def test_no_independent_approver_asks_for_two(repo: Path) -> None:
    approve("ada@example.com")
    code, data = audit("--rule", "four-eyes")
    [f] = by_rule(data, "four-eyes")
    assert "0 independent approver(s), policy requires 2" in f["message"]
    assert "2 approvals (by different people, not the author of its code or run)" \
        in f["remediation"]
    assert "were given before it, record them with their date" in f["remediation"]
    assert f["remediation"].endswith("(waivers: owner, reason, expires)")  # nothing after


def _commands(remediation: str) -> list[list[str]]:
    """The `lineage …` commands a remediation suggests (up to `.`, `;` or `,`)."""
    out = []
    remediation = remediation.replace(f"<before {DEPLOYED}>", "<before>")
    for part in remediation.replace(". ", "; ").replace(", then", ";").split(";"):
        if "lineage record" in part:
            cmd = part[part.index("lineage record"):].split(")")[0].strip()
            out.append(shlex.split(cmd)[1:])
    return out


def test_the_suggested_approval_closes_the_gap_only_when_dated_before(repo: Path) -> None:
    code, data = audit()
    [f] = by_rule(data, "deployment-approved")
    fix = f["remediation"]
    assert "does not make this deployment compliant" in fix and "waive" in fix
    approval, redeploy = _commands(fix)
    # what a user would do without reading: approve now — it stays a finding, as the fix says
    now = [a if a != "…" else "rita@example.com" for a in approval]
    now = now[:now.index("--decided-at")]
    res = runner.invoke(app, now)
    assert res.exit_code == 0, res.output
    code, data = audit("--as-of", "2026-12-31", "--rule", "deployment-approved")
    [f] = by_rule(data, "deployment-approved")
    assert "decided after the deployment" in f["message"]
    # the approval given before the deployment, recorded with its date, closes it
    filled = [{"…": "omar@example.com", "<before>": BEFORE,
               "<ticket>": "ML-7"}.get(a, a) for a in approval]
    res = runner.invoke(app, filled)
    assert res.exit_code == 0, res.output
    code, data = audit("--rule", "deployment-approved")
    assert code == 0 and not data["findings"]
    assert redeploy[:2] == ["record", "deployment"]


def test_the_suggested_retirement_retires_the_live_deployments(repo: Path) -> None:
    record("assessment", "--model-group", "churn", "--tier", "unacceptable", "--assessor",
           "risk@example.com", "--assessed-at", "2026-01-03T00:00:00Z", "--next-review",
           "2026-12-31")
    record("deployment", "--model", "churn@1", "--env", "staging", "--id", "churn-staging-1",
           "--deployed-at", "2026-02-01T00:00:00Z")
    code, data = audit("--rule", "prohibited-not-deployed")
    [f] = data["findings"]
    cmds = _commands(f["remediation"])
    assert len(cmds) == 2
    for cmd in cmds:
        res = runner.invoke(app, [a if a != "<time>" else "2026-03-02T12:00:00Z" for a in cmd])
        assert res.exit_code == 0, res.output
    code, data = audit("--rule", "prohibited-not-deployed")
    assert code == 0 and not data["findings"], data["findings"]
    res = runner.invoke(app, ["show", "deployment:churn-staging-1", "--json"])
    assert "2026-03-02T12:00:00" in res.output


def test_run_findings_name_the_run_once(repo: Path) -> None:
    record("run", "--name", "adhoc", "--model", "churn@2=model.bin", "--dirty",
           "--start", "2026-03-01T10:00:00Z", "--end", "2026-03-01T11:00:00Z")
    code, data = audit("--rule", "run-code-pinned")
    msgs = [f["message"] for f in data["findings"]]
    assert msgs and all(m.startswith("run:") and "run run:" not in m for m in msgs), msgs


def test_a_lax_policy_is_refused_with_every_problem(repo: Path) -> None:
    Path("lineage-policy.yaml").write_text(
        "version: 1\n"
        "rules:\n"
        "  four-eyes:\n"
        '    enabled: "no"\n'
        "monitoring:\n"
        "  max_age_days: true\n"
        "waivers:\n"
        "  - rule: four-eyes\n"
        "    node: deployment:x\n"
        '    owner: ""\n'
        "    reason: legacy\n"
        "    expires: 2026-09-30\n"
        "  - rule: four-eyes\n"
        "    node: deployment:y\n")
    res = runner.invoke(app, ["audit", *AS_OF])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    for want in ["lineage-policy.yaml:4: field rules.four-eyes.enabled: Input should be a valid "
                 "boolean (got 'no')",
                 "lineage-policy.yaml:6: field monitoring.max_age_days: Input should be a valid "
                 "integer (got True)",
                 "lineage-policy.yaml:10: field waivers.0.owner: String should have at least 1 "
                 "character",
                 "lineage-policy.yaml:13: field waivers.1.owner: Field required",
                 "lineage-policy.yaml:13: field waivers.1.reason: Field required",
                 "lineage-policy.yaml:13: field waivers.1.expires: Field required"]:
        assert want in out, res.output
