"""`lineage push` from a store that knows only part of the governance records the destination
holds (a CI clone: an approval recorded with `lineage record` elsewhere, no file): the push
goes through, leaves what it cannot see, and says so in its summary (stderr; `kept_records`
in `--json`), not in a bare log line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

pytest.importorskip("datahub")
runner = CliRunner()


def test_a_partial_store_says_what_it_left(quickstart_demo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(quickstart_demo, clone, symlinks=True)
    res = runner.invoke(app, ["record", "approval", "-C", str(quickstart_demo), "--model",
                              "churn@v1.1.0", "--env", "prod", "--approver",
                              "rita@example.com", "--decided-at", "2026-01-19T15:00:00Z",
                              "--id", "APR-9"])
    assert res.exit_code == 0, res.output
    lite = tmp_path / "shared.db"
    res = runner.invoke(app, ["push", "-C", str(quickstart_demo), "--to", "datahub-lite",
                              str(lite)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["push", "-C", str(clone), "--to", "datahub-lite",
                              str(lite)])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stderr.split())
    assert "warning:" in said and "approval APR-9" in said, res.stderr
    assert "replace_records=true" in said
    res = runner.invoke(app, ["push", "-C", str(clone), "--to", "datahub-lite",
                              str(lite), "--json"])
    assert res.exit_code == 0, res.output
    kept = json.loads(res.stdout)["kept_records"]
    assert any("approval APR-9" in k for k in kept), kept
