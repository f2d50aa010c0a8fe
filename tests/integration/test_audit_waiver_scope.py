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


def test_a_waiver_of_one_system_does_not_waive_a_run_another_system_depends_on(
        tmp_path: Path) -> None:
    """A dirty run that trained versions of two model groups is one finding; a waiver naming
    one group (or version) is that system owner's word, not the other's: it does not suppress
    the finding. A waiver naming the run, or one per system, does."""
    from datetime import date

    from audit_fixture import make_fixture, write_store

    from lineage.audit import run_audit
    from lineage.audit.policy import Policy, Waiver
    from lineage.model import Edge, EdgeKind, Node, NodeKind

    fx = make_fixture(0, fixed=True)
    a, b = "model:s0-clean0@3", "model:s0-clean1@3"
    run = next(i.source for i in fx.items if isinstance(i, Edge)
               and i.kind == EdgeKind.PRODUCED and i.target == a)
    fx.items = [Node.make(NodeKind.RUN, i.id, **{**i.attrs, "dirty": True})
                if isinstance(i, Node) and i.id == run else i for i in fx.items]
    fx.edge(EdgeKind.PRODUCED, run, b)
    store = write_store(fx, tmp_path / ".lineage")

    def audit(*nodes: str):
        waivers = [Waiver(rule="run-code-pinned", node=n, owner="o", reason="r",
                          expires=date(2026, 12, 31)) for n in nodes]
        return run_audit(store, Policy(waivers=waivers), now=fx.now, rules=["run-code-pinned"])

    try:
        assert [f.subject for f in audit().findings] == [run]
        for one in ("model_group:s0-clean0", "model_group:s0-clean1", a, b):
            report = audit(one)
            assert [f.subject for f in report.findings] == [run], one
            assert [w.status for w in report.waivers] == ["unused"], one
        for nodes in ((run,), ("model_group:s0-clean0", "model_group:s0-clean1"), (a, b)):
            report = audit(*nodes)
            assert report.findings == [] and [f.subject for f in report.waived] == [run], nodes
            assert {w.status for w in report.waivers} == {"used"}, nodes
    finally:
        store.close()
