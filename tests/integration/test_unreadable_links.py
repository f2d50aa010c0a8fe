"""Files that cannot be read (a symlink loop, a dangling link) among the harvested ones: in
the governance folder one line naming the file, exit 2, nothing harvested, the store still
verifies; in the OpenLineage folder (whose bad files are warnings) a warning naming it."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo, store_state


@pytest.fixture
def repo(governance_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.chdir(governance_repo.path)
    res = CliRunner().invoke(app, ["harvest"])
    assert res.exit_code == 0, res.output
    return governance_repo


def _one_line_error(out: str) -> str:
    assert "Traceback" not in out, out
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, out
    return errors[0]


def test_symlink_loop_in_governance_folder(repo: GitRepo) -> None:
    before = store_state(repo)
    gov = repo.path / "governance"
    os.symlink("loop-b.yaml", gov / "loop-a.yaml")
    os.symlink("loop-a.yaml", gov / "loop-b.yaml")
    res = CliRunner().invoke(app, ["harvest"])
    assert res.exit_code == 2, res.output
    line = _one_line_error(res.output)
    assert "governance/loop-a.yaml: cannot read" in line and "loop-b.yaml" in line
    assert store_state(repo) == before
    res = CliRunner().invoke(app, ["record", "validate"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "governance/loop-a.yaml" in res.output
    assert CliRunner().invoke(app, ["verify"]).exit_code == 0


def test_dangling_symlink_in_governance_folder(repo: GitRepo) -> None:
    before = store_state(repo)
    os.symlink("gone.yaml", repo.path / "governance" / "dangling.yaml")
    res = CliRunner().invoke(app, ["harvest"])
    assert res.exit_code == 2, res.output
    line = _one_line_error(res.output)
    assert "dangling.yaml: cannot read: No such file or directory" in line
    assert store_state(repo) == before
    (repo.path / "governance" / "dangling.yaml").unlink()
    assert CliRunner().invoke(app, ["harvest"]).exit_code == 0
    assert CliRunner().invoke(app, ["verify"]).exit_code == 0


def test_dangling_links_in_openlineage_folder_are_warnings(repo: GitRepo) -> None:
    ol = repo.path / "openlineage"
    ol.mkdir()
    (ol / "events.jsonl").write_text(json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-05T10:00:00Z", "producer": "qa",
        "run": {"runId": "0192c7a0-0000-7000-8000-000000000001"},
        "job": {"namespace": "ci", "name": "train"}}) + "\n")
    os.symlink("loop-b.json", ol / "loop-a.json")
    os.symlink("loop-a.json", ol / "loop-b.json")
    os.symlink("moved.jsonl", ol / "old.jsonl")
    res = CliRunner().invoke(app, ["harvest", "--json"])
    assert res.exit_code == 0, res.output
    warnings = [(w["file"], w["message"]) for w in json.loads(res.stdout)["warnings"]
                if w["source"] == "openlineage"]
    assert [f for f, _ in warnings] == ["openlineage/loop-a.json", "openlineage/loop-b.json",
                                        "openlineage/old.jsonl"]
    assert all(m.startswith("cannot read: a dangling symbolic link") for _, m in warnings)
    res = CliRunner().invoke(app, ["show", "run:openlineage:0192c7a0-0000-7000-8000-000000000001"])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(app, ["verify"]).exit_code == 0
