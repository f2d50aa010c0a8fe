"""Waivers are judged only against what the audit checked: under ``--rule`` a waiver of a rule
that did not run, and under ``--model`` / ``--env`` one about a subject left out, is neither
``unused`` nor ``expired`` (whoever prunes "unused" waivers from the policy would drop one a
full audit needs); it is not reported at all."""

from __future__ import annotations

import json
from pathlib import Path

from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
POLICY = """\
waivers:
  - rule: transparency-notice
    node: model:s3-opaque@3
    owner: erin
    reason: notice in legal review
    expires: 2026-12-31
  - rule: transparency-notice
    node: model:s3-opaque@v1.0.0
    owner: erin
    reason: notice in legal review
    expires: 2026-05-01
  - rule: four-eyes
    node: model:s3-selfappr@3
    owner: frank
    reason: second approver on leave
    expires: 2026-12-31
  - rule: high-risk-docs
    node: model:s3-selfappr@3
    owner: frank
    reason: bias report late
    expires: 2026-12-31
"""


def _repo(git_repo) -> Path:
    git_repo.write("README.md", "demo\n")
    git_repo.write("lineage-policy.yaml", POLICY)
    git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    return git_repo.path


def _waivers(repo: Path, *args: str) -> tuple[dict[tuple[str, str], str], str]:
    res = runner.invoke(app, ["audit", "--repo", str(repo), "--as-of", "2026-06-01",
                              "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.stdout)
    return {(w["rule"], w["node"]): w["status"] for w in data["waivers"]}, res.stderr


def test_a_full_audit_judges_every_waiver(git_repo) -> None:
    got, _ = _waivers(_repo(git_repo))
    assert got == {("transparency-notice", "model:s3-opaque@3"): "used",
                   ("transparency-notice", "model:s3-opaque@v1.0.0"): "expired",
                   ("four-eyes", "model:s3-selfappr@3"): "used",
                   ("high-risk-docs", "model:s3-selfappr@3"): "unused"}


def test_waivers_of_rules_that_did_not_run_are_not_judged(git_repo) -> None:
    got, err = _waivers(_repo(git_repo), "--rule", "four-eyes")
    assert got == {("four-eyes", "model:s3-selfappr@3"): "used"}
    assert "waiver expired" not in err


def test_waivers_about_subjects_left_out_are_not_judged(git_repo) -> None:
    repo = _repo(git_repo)
    # a waiver about a version the filter keeps, whose finding is gone, is unused
    got, _ = _waivers(repo, "--model", "s3-selfappr")
    assert got == {("four-eyes", "model:s3-selfappr@3"): "used",
                   ("high-risk-docs", "model:s3-selfappr@3"): "unused"}
    got, _ = _waivers(repo, "--model", "s3-opaque@3")
    assert got == {("transparency-notice", "model:s3-opaque@3"): "used"}
    got, _ = _waivers(repo, "--model", "s3-opaque")
    assert got == {("transparency-notice", "model:s3-opaque@3"): "used",
                   ("transparency-notice", "model:s3-opaque@v1.0.0"): "expired"}
