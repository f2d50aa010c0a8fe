"""A failure reaching DataHub GMS says what to do next with the options of the command that hit
it: `lineage push --to datahub-rest` takes `--server` / `--token`; `lineage audit --source
datahub-rest` takes the GMS URL as its LOCATION argument and has neither flag. The token never
shows, whichever command."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()
SECRET = "s3cr3t-t0ken-value"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    for var in ("DATAHUB_GMS_URL", "DATAHUB_GMS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return git_repo.path


@pytest.fixture
def dead_url() -> str:
    """A local port nobody listens on: the connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def hints(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [ln for ln in res.stderr.splitlines() if ln.startswith("hint: ")]


def audit(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["audit", "-C", str(repo), "--source", "datahub-rest", *args])


def test_audit_of_an_unreachable_gms_names_the_location_argument(repo: Path,
                                                                  dead_url: str) -> None:
    res = audit(repo, dead_url)
    assert res.exit_code == 3, res.output
    assert f"cannot reach DataHub GMS at {dead_url}" in res.stderr
    [hint] = hints(res)
    assert "LOCATION" in hint and "lineage audit --source datahub-rest URL" in hint, hint
    assert "--server" not in res.stderr


def test_push_to_an_unreachable_gms_names_server(repo: Path, dead_url: str) -> None:
    from lineage import api

    api.init(repo)
    api.harvest(repo)
    res = runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-rest", "--server",
                              dead_url])
    assert res.exit_code == 3, res.output
    [hint] = hints(res)
    assert "--server" in hint and "LOCATION" not in hint, hint


def test_audit_with_no_gms_url_names_the_location_argument(repo: Path) -> None:
    res = audit(repo)
    assert res.exit_code == 2, res.output
    assert "lineage audit --source datahub-rest" in res.stderr
    assert "--to datahub-rest" not in res.stderr and "--option" not in res.stderr
    [hint] = hints(res)
    assert "LOCATION" in hint, hint


def test_audit_with_a_refused_token_names_the_variable_not_a_flag(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAHUB_GMS_TOKEN", SECRET)
    with running_gms(token="another-token") as gms:
        res = audit(repo, gms.url)
    assert res.exit_code == 3, res.output
    assert "refused the token" in res.stderr
    [hint] = hints(res)
    assert "DATAHUB_GMS_TOKEN" in hint and "--token" not in hint, hint
    assert SECRET not in res.output and SECRET not in res.stderr


def test_audit_of_a_gms_wanting_a_token_says_how_to_give_one(repo: Path) -> None:
    with running_gms(token=SECRET) as gms:
        res = audit(repo, gms.url)
    assert res.exit_code == 3, res.output
    assert "requires an access token" in res.stderr
    [hint] = hints(res)
    assert hint.startswith("hint: set DATAHUB_GMS_TOKEN"), hint
    assert "give one with --token" not in hint
    assert SECRET not in res.output and SECRET not in res.stderr


def test_audit_of_a_gms_without_ml_lineage_names_the_location_argument(repo: Path) -> None:
    with running_gms() as gms:
        res = audit(repo, gms.url)
    assert res.exit_code == 2, res.output
    assert "holds no ML lineage" in res.stderr
    [hint] = hints(res)
    assert "LOCATION" in hint and "--server" not in hint, hint
