"""A governance folder kept as a git submodule, in a clone that did not initialize it (`git
clone` without --recurse-submodules, actions/checkout's default), is an empty folder: the
harvest says so, with the fix, and the audit fails harvest-complete instead of reading "no
records". Real repositories and a real submodule."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
APPROVAL = """\
- kind: approval
  id: a1
  model: churn@v1.0.0
  environment: prod
  approver: rita@example.com
  role: risk-officer
  decision: approved
  decided_at: 2026-01-20T10:00:00Z
"""


def _lineage(root: Path, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, [args[0], "--repo", str(root), *args[1:]])
    return res.exit_code, res.stdout, res.stderr


def test_an_uninitialized_governance_submodule_fails_the_gate(tmp_path: Path) -> None:
    gov = GitRepo(tmp_path / "gov")
    gov.write("approvals.yaml", APPROVAL)
    gov.commit("approvals")
    src = GitRepo(tmp_path / "src")
    src.write("README.md", "x\n")
    src.run("git", "-c", "protocol.file.allow=always", "submodule", "add", "-q",
            str(gov.path), "governance")
    src.commit("governance as a submodule")
    src.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    ci = tmp_path / "ci"
    src.run("git", "clone", "-q", str(src.path), str(ci))
    assert _lineage(ci, "init")[0] == 0
    code, _out, err = _lineage(ci, "harvest")
    assert code == 0
    assert "governance/ is a git submodule this checkout did not initialize" in err, err
    assert "git submodule update --init governance" in err
    code, out, _ = _lineage(ci, "audit", "--json")
    assert code == 1
    [gap] = [f for f in json.loads(out)["findings"] if f["rule"] == "harvest-complete"]
    assert "did not initialize the submodule governance/" in gap["message"], gap
    assert "git submodule update --init governance" in gap["remediation"]
    # once initialized, the records are read and the finding is gone
    src.run("git", "-C", str(ci), "-c", "protocol.file.allow=always", "submodule", "update",
            "-q", "--init", "governance")
    code, _out, err = _lineage(ci, "harvest")
    assert code == 0 and "submodule" not in err, err
    code, out, _ = _lineage(ci, "audit", "--json")
    assert "harvest-complete" not in {f["rule"] for f in json.loads(out)["findings"]}
