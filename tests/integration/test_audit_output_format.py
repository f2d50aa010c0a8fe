"""`lineage audit -o FILE` without `--format` writes the format FILE's extension names
(`audit.sarif` is SARIF for code scanning, not the table); `--format` or `--json` given wins."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from audit_fixture import make_fixture, write_store
from typer.testing import CliRunner

from lineage.cli.main import app

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
runner = CliRunner()


@pytest.fixture
def repo(git_repo) -> Path:  # type: ignore[no-untyped-def]
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    write_store(make_fixture(3), git_repo.path / ".lineage").close()
    return Path(git_repo.path)


def audit(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["audit", "--repo", str(repo), "--as-of", "2026-06-01",
                               "--fail-on", "never", *args])


@pytest.mark.parametrize("name", ["audit.sarif", "AUDIT.SARIF", "results.sarif.json"])
def test_a_sarif_file_gets_sarif(repo: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    res = audit(repo, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert f"wrote sarif report to {out}" in " ".join(res.stderr.split()), res.stderr
    sarif = json.loads(out.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    assert sarif["runs"][0]["results"]


def test_other_extensions(repo: Path, tmp_path: Path) -> None:
    assert audit(repo, "-o", str(tmp_path / "a.json")).exit_code == 0
    assert json.loads((tmp_path / "a.json").read_text())["findings"]
    assert audit(repo, "-o", str(tmp_path / "a.xml")).exit_code == 0
    assert ET.parse(tmp_path / "a.xml").getroot().tag in ("testsuites", "testsuite")
    assert audit(repo, "-o", str(tmp_path / "a.md")).exit_code == 0
    assert (tmp_path / "a.md").read_text().lstrip().startswith("#")
    assert audit(repo, "-o", str(tmp_path / "a.txt")).exit_code == 0  # no format: the table
    assert "finding(s)" in (tmp_path / "a.txt").read_text()


def test_a_format_given_wins_over_the_extension(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.sarif"
    assert audit(repo, "--format", "table", "-o", str(out)).exit_code == 0
    assert "finding(s)" in out.read_text()
    assert audit(repo, "--json", "-o", str(out)).exit_code == 0
    assert "findings" in json.loads(out.read_text())
