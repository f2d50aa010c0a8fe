"""Where `lineage audit --source datahub-rest` takes the GMS URL from, as its --help says it:
the LOCATION argument, else DATAHUB_GMS_URL, else datahub.server in lineage.yaml (the
environment wins over the file, as it does for `lineage push`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage import api  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()
NOWHERE = "http://127.0.0.1:9/"  # the discard port: nothing answers there


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write("models/fraud.json", '{"w": 1}\n')
    repo.commit("v1")
    repo.git("tag", "-a", "fraud@v1.0.0", "-m", "register")
    api.init(repo.path)
    api.harvest(repo.path)
    (repo.path / "lineage.yaml").write_text(f"datahub:\n  server: {NOWHERE}\n")
    return repo


def test_the_environment_comes_before_lineage_yaml(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    with running_gms() as gms:
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        res = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "--repo", str(repo.path)], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["audit", "--source", "datahub-rest", "--json",
                                  "--repo", str(repo.path)], catch_exceptions=False)
        # read from the stand-in (DATAHUB_GMS_URL), not from lineage.yaml's server
        assert res.exit_code in (0, 1), res.output
        subjects = {f["subject"] for f in json.loads(res.stdout)["findings"]}
        assert "model:fraud@v1.0.0" in subjects


def test_the_help_names_that_order() -> None:
    res = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    said = " ".join(res.output.replace("│", " ").split())
    assert "the GMS URL (default: DATAHUB_GMS_URL, else datahub.server in lineage.yaml)" in said
