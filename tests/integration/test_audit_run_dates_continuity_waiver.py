"""The waiver a ``lineage-continuity`` finding's fix names is one that waives it: copied into
the policy as the fix prints it, the finding is waived — and only what the fix says it covers.

In a store harvested from a shallow clone, the model version an approval names (registered by
a GTO tag outside the clone) and its group are both missing; the group is real, the clone only
lacks its tags. The version's finding names the version as the waiver's node (one naming the
group would waive every continuity finding of that real system); the group's finding names the
group, and says it covers its versions too. Real git repositories, cloned with ``git clone
--depth 1 file://…``; records through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
HINT = re.compile(r"\(waivers: rule (\S+), node (\S+), owner, reason, expires\)")


def _shallow_clone(tmp_path: Path) -> GitRepo:
    """churn@v1.0.0 registered and assigned to prod by GTO's tags on the first commit; an
    approval of it recorded to a file and committed after: a clone of depth 1 holds the
    approval but neither the version nor its group."""
    origin = GitRepo(tmp_path / "origin")
    origin.write("model.bin", "m\n")
    origin.commit("model")
    origin.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    origin.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    api.init(origin.path)
    res = runner.invoke(app, ["record", "approval", "-C", str(origin.path), "--model",
                              "churn@v1.0.0", "--env", "prod", "--approver", "rita@example.com",
                              "--role", "model-risk", "--decided-at", "2025-12-31T12:00:00Z",
                              "--write-file"])
    assert res.exit_code == 0, res.output
    origin.commit("approval", "governance")
    dest = tmp_path / "shallow"
    origin.run("git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(dest))
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, 10
    api.init(clone.path)
    api.harvest(clone.path)
    return clone


def _audit(repo: GitRepo) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--rule", "lineage-continuity",
                              "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    report: dict[str, Any] = json.loads(res.stdout)
    # (harvest-complete runs under every --rule: the shallow clone's own finding)
    for key in ("findings", "waived"):
        report[key] = [f for f in report[key] if f["rule"] == "lineage-continuity"]
    return report


def _waive_as_the_fix_says(repo: GitRepo, remediation: str) -> str:
    """The waiver the fix names, written to the policy as a user would; its node."""
    m = HINT.search(remediation)
    assert m is not None, remediation
    rule, node = m.groups()
    with (repo.path / "lineage-policy.yaml").open("a") as policy:
        if policy.tell() == 0:
            policy.write("waivers:\n")
        policy.write(f"  - rule: {rule}\n    node: {node}\n    owner: rita@example.com\n"
                     "    reason: named by mistake\n    expires: 2099-12-31\n")
    return node


def test_the_waiver_the_fix_names_waives_the_finding(tmp_path: Path) -> None:
    clone = _shallow_clone(tmp_path)
    found = {f["subject"]: f for f in _audit(clone)["findings"]}
    assert set(found) == {"model:churn@v1.0.0", "model_group:churn"}, found
    version, group = found["model:churn@v1.0.0"], found["model_group:churn"]
    assert "shallow clone" in version["remediation"]

    # the version's fix names the version, not its (real) group
    node = _waive_as_the_fix_says(clone, version["remediation"])
    assert node == "model:churn@v1.0.0", version["remediation"]
    report = _audit(clone)
    assert [f["subject"] for f in report["waived"]] == ["model:churn@v1.0.0"]
    # the group's finding is not waived by a waiver of one version
    assert [f["subject"] for f in report["findings"]] == ["model_group:churn"]
    assert [(w["node"], w["status"]) for w in report["waivers"]] == [
        ("model:churn@v1.0.0", "used")]

    # the group's fix names the group and says what else it waives: its versions' findings
    assert "waives every lineage-continuity finding of model group churn" in \
        group["remediation"], group["remediation"]
    assert _waive_as_the_fix_says(clone, group["remediation"]) == "model_group:churn"
    report = _audit(clone)
    assert report["findings"] == []
    assert sorted(f["subject"] for f in report["waived"]) == [
        "model:churn@v1.0.0", "model_group:churn"]
