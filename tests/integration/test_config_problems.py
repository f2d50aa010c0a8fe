"""lineage.yaml with several mistakes lists them all, in the file's order, each with its
line (not one per run); a secret written into a lineage.yaml git does not ignore is warned
about where it is read (push, audit of a DataHub server), never printed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
TOKEN = "tok-S3CRET-123"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("add training code")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    return git_repo


def test_every_problem_is_listed_in_file_order(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "harvester: [git]\ndatahub:\n  env: NOPE\n"
                               f"  token: [{TOKEN}]\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path)])
    assert res.exit_code == 2, res.output
    out = res.output
    assert "lineage.yaml: 3 problems:" in out, out
    first = out.index("lineage.yaml:1: field harvester:")
    second = out.index("lineage.yaml:3: field datahub.env: 'NOPE' is not a DataHub environment")
    third = out.index("lineage.yaml:4: field datahub.token:")
    assert first < second < third, out
    assert "did you mean 'harvesters'?" in out, out
    assert TOKEN not in out
    assert "Traceback" not in out


def test_one_problem_stays_one_line(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "harvester: [git]\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path)])
    assert res.exit_code == 2, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("error: ") and "lineage.yaml:1: field harvester" in lines[0]
    assert lines[1].startswith("hint: did you mean 'harvesters'?"), res.output


def test_a_committed_token_is_warned_about_and_never_printed(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("datahub")
    monkeypatch.delenv("DATAHUB_GMS_TOKEN", raising=False)
    monkeypatch.delenv("DATAHUB_GMS_URL", raising=False)
    repo.write("lineage.yaml", f"datahub:\n  platform: dvc\n  token: {TOKEN}\n")
    repo.commit("config")
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    assert ("lineage.yaml:3: datahub.token holds a secret in a file git does not ignore "
            "(it is committed with the repository): set DATAHUB_GMS_TOKEN in the environment "
            "instead") in " ".join(res.stderr.split()), res.stderr
    assert TOKEN not in res.output
    # the environment's token wins, but the file still holds the secret: still warned
    monkeypatch.setenv("DATAHUB_GMS_TOKEN", "from-env")
    res = runner.invoke(app, ["push", "-C", str(repo.path)])
    assert "datahub.token holds a secret" in res.stderr, res.stderr


def test_an_atlas_password_is_warned_about_too(repo: GitRepo) -> None:
    repo.write("lineage.yaml", f"atlas:\n  url: http://127.0.0.1:9\n  password: {TOKEN}\n")
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "atlas"])
    assert "lineage.yaml:3: atlas.password holds a secret" in " ".join(res.stderr.split()), \
        res.stderr
    assert TOKEN not in res.output


@pytest.mark.parametrize("content", ["datahub:\n  token:\n", "datahub:\n  token: ''\n",
                                     "datahub:\n  server: http://localhost:8080\n"])
def test_no_secret_no_warning(repo: GitRepo, content: str) -> None:
    pytest.importorskip("datahub")
    repo.write("lineage.yaml", content)
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "datahub-lite"])
    assert res.exit_code == 0, res.output
    assert "holds a secret" not in res.stderr, res.stderr


def test_an_ignored_lineage_yaml_may_hold_the_token(repo: GitRepo) -> None:
    pytest.importorskip("datahub")
    repo.write(".gitignore", "lineage.yaml\n")
    repo.write("lineage.yaml", f"datahub:\n  token: {TOKEN}\n")
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", "datahub-lite"])
    assert res.exit_code == 0, res.output
    assert "holds a secret" not in res.stderr, res.stderr
    assert TOKEN not in res.output


def test_an_unknown_harvester_is_listed_with_the_other_problems(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "mlflow:\n  tracking_uri: sqlite:/mlflow.db\n"
                               "harvesters: [git, dvc, mlflw]\ndatahub: {env: prodd}\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path)])
    assert res.exit_code == 2, res.output
    out = res.output
    assert "lineage.yaml: 3 problems:" in out, out
    lines = [out.index(f"lineage.yaml:{n}: field") for n in (2, 3, 4)]
    assert lines == sorted(lines), out
    assert "lineage.yaml:3: field harvesters: unknown harvester 'mlflw' — did you mean " \
        "'mlflow'?" in out, out
