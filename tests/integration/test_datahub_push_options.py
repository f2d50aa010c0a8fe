"""``-o full=…`` and ``-o openapi=…`` of the DataHub targets are true or false as written:
``full=false`` is an incremental push, a value that is neither is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("model.json", "{}\n")
    git_repo.commit("train")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--name", "train",
                              "--model", "churn@v1=model.json"])
    assert res.exit_code == 0, res.output
    return git_repo


def _push(repo: GitRepo, *args: str) -> Any:
    return runner.invoke(app, ["push", "-C", str(repo.path), "--json", *args])


@pytest.mark.parametrize("target", ["datahub-file", "datahub-lite"])
def test_full_false_is_an_incremental_push(repo: GitRepo, tmp_path: Path, target: str) -> None:
    dest = str(tmp_path / ("mcps.json" if target == "datahub-file" else "lite.db"))
    first = _push(repo, "--to", target, dest)
    assert first.exit_code == 0, first.output
    written = json.loads(first.stdout)["written"]
    for value in ("false", "False", "0", "no", "off"):
        res = _push(repo, "--to", target, dest, "-o", f"full={value}")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["written"] == 0, value
    again = _push(repo, "--to", target, dest, "-o", "full=true")
    assert again.exit_code == 0 and json.loads(again.stdout)["written"] == written


@pytest.mark.parametrize("option", ["full=maybe", "full=tru"])
def test_a_flag_that_is_neither_true_nor_false_is_refused(repo: GitRepo, tmp_path: Path,
                                                          option: str) -> None:
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "datahub-file",
                              str(tmp_path / "mcps.json"), "-o", option])
    assert res.exit_code == 2, res.output
    assert "true or false" in res.output
    assert not (tmp_path / "mcps.json").exists()


def test_openapi_flag_that_is_neither_true_nor_false_is_refused() -> None:
    from connectors.sinks.datahub.remote import rest_settings
    from lineage.errors import ConfigError

    assert rest_settings({"server": "http://gms:8080", "openapi": "false"}).openapi is False
    assert rest_settings({"server": "http://gms:8080", "openapi": "TRUE"}).openapi is True
    with pytest.raises(ConfigError, match="true or false"):
        rest_settings({"server": "http://gms:8080", "openapi": "ture"})


@pytest.mark.parametrize("option", ["timeout=0", "timeout=-1", "timeout=nan", "timeout=inf",
                                    "retries=-1", "backoff=-5", "backoff=nan", "batch_size=0",
                                    "batch_size=-3", "batch_size=500"])
def test_a_numeric_rest_option_out_of_range_is_refused_before_sending(repo: GitRepo,
                                                                     option: str) -> None:
    # requests refused these as if GMS were unreachable (exit 3, "check DATAHUB_GMS_URL"),
    # and batch_size=0 went through: a usage error instead, nothing sent
    from tests.standins.gms import running_gms

    with running_gms(token="tok-123") as gms:
        res = _push(repo, "--to", "datahub-rest", "--server", gms.url, "--token", "tok-123",
                    "-o", option)
        assert res.exit_code == 2, res.output
        key = option.split("=")[0]
        assert f"option {key}=" in res.stderr and "hint: e.g. --option" in res.stderr
        assert "Traceback" not in res.output and res.stdout == ""
        assert gms.proposals == []
        ok = _push(repo, "--to", "datahub-rest", "--server", gms.url, "--token", "tok-123")
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.stdout)["written"] == len(gms.proposals) > 0
