"""`lineage audit` with a policy giving a key twice: exit 2 naming the policy file and line."""

from __future__ import annotations

from pathlib import Path

from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app


def test_a_policy_key_given_twice_exits_2_naming_file_and_line(git_repo) -> None:
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    policy: Path = git_repo.path / "lineage-policy.yaml"
    policy.write_text("rules:\n  four-eyes:\n    enabled: true\n    enabled: false\n")
    res = CliRunner().invoke(app, ["audit", "--repo", str(git_repo.path)])
    assert res.exit_code == 2, res.output
    assert (f"error: {policy}:4: field rules.four-eyes.enabled given twice (first on line 3)"
            in res.stderr), res.stderr
