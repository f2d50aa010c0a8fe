"""`lineage show REF --as-of DATE` on real repositories: a data path is the version in force
on that date, and a model version created after the date says so."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
A, B, C = ("a" * 32, "b" * 32, "c" * 32)


def _dvc(repo: GitRepo, md5: str) -> str:
    repo.write("d.csv.dvc", f"outs:\n- md5: {md5}\n  size: 3\n  path: d.csv\n")
    return repo.commit(f"data {md5[:4]}")


def _show(repo: GitRepo, ref: str, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["show", ref, "--repo", str(repo.path), *args])
    return res.exit_code, res.output


def test_data_path_as_of_is_the_version_in_force_that_day(git_repo: GitRepo) -> None:
    api.init(git_repo.path)
    _dvc(git_repo, A)  # committed 2026-01-01T01:00Z
    _dvc(git_repo, B)  # 02:00Z
    _dvc(git_repo, C)  # 03:00Z, the checkout's
    assert runner.invoke(app, ["harvest", "--repo", str(git_repo.path)]).exit_code == 0
    for when, want in (("2026-01-01T01:30:00Z", A), ("2026-01-01T02:00:00Z", B),
                       ("2026-01-01T02:59:59Z", B), ("2026-01-02", C), (None, C)):
        code, out = _show(git_repo, "d.csv", "--json",
                          *(("--as-of", when) if when else ()))
        assert code == 0, out
        assert json.loads(out)["node"].endswith(f"@md5:{want}"), (when, out)


def test_data_path_as_of_before_its_first_version_is_a_clear_error(git_repo: GitRepo) -> None:
    api.init(git_repo.path)
    _dvc(git_repo, A)
    assert runner.invoke(app, ["harvest", "--repo", str(git_repo.path)]).exit_code == 0
    code, out = _show(git_repo, "d.csv", "--as-of", "2025-12-31")
    assert code == 2, out
    assert "Traceback" not in out
    assert "d.csv" in out and "2025-12-31" in out and "2026-01-01T01:00:00Z" in out, out


def test_model_version_created_after_as_of_says_so(git_repo: GitRepo) -> None:
    api.init(git_repo.path)
    git_repo.commit("train churn")
    git_repo.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")  # tagged 02:00Z
    git_repo.commit("retrain churn")
    git_repo.tag("churn@v1.1.0", "Registering artifact churn version v1.1.0")  # tagged 04:00Z
    assert runner.invoke(app, ["harvest", "--repo", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["show", "churn@v1.1.0", "--repo", str(git_repo.path),
                              "--as-of", "2026-01-01T02:00:00Z"])
    assert res.exit_code == 0, res.output
    assert "churn@v1.1.0 was created 2026-01-01T04:00:00Z, after the --as-of time" in res.stderr
    assert "Audit findings" in res.stdout  # what the audit reads is still shown
    res = runner.invoke(app, ["show", "churn@v1.1.0", "--repo", str(git_repo.path),
                              "--as-of", "2026-01-01T02:00:00Z", "--json"])
    doc = json.loads(res.stdout)
    assert doc["node"] == "model:churn@v1.1.0" and "governance" in doc
    assert doc["warnings"] == [
        "churn@v1.1.0 was created 2026-01-01T04:00:00Z, after the --as-of time "
        "2026-01-01T02:00:00Z: it did not exist then"]
    # a version that existed then, or no --as-of: no warning
    for args in (("--as-of", "2026-01-01T04:00:00Z"), ()):
        res = runner.invoke(app, ["show", "churn@v1.1.0", "--repo", str(git_repo.path),
                                  "--json", *args])
        assert "warnings" not in json.loads(res.stdout), args
        assert "after the --as-of time" not in res.stderr


def test_data_version_committed_after_as_of_says_so(git_repo: GitRepo) -> None:
    """A data version named by its id, first committed after the --as-of time: one line says
    it did not exist then (as for a model version); one committed by then says nothing."""
    api.init(git_repo.path)
    _dvc(git_repo, A)  # 01:00Z
    _dvc(git_repo, B)  # 02:00Z
    assert runner.invoke(app, ["harvest", "--repo", str(git_repo.path)]).exit_code == 0
    node = json.loads(_show(git_repo, "d.csv", "--json")[1])["node"]
    assert node.endswith(f"@md5:{B}")
    res = runner.invoke(app, ["show", node, "--repo", str(git_repo.path), "--json",
                              "--as-of", "2026-01-01T01:30:00Z"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == [
        f"d.csv@md5:{B} was first committed 2026-01-01T02:00:00Z, after the --as-of time "
        "2026-01-01T01:30:00Z: it did not exist then"]
    res = runner.invoke(app, ["show", node, "--repo", str(git_repo.path),
                              "--as-of", "2026-01-01T01:30:00Z"])
    assert "after the --as-of time" in res.stderr
    res = runner.invoke(app, ["show", node, "--repo", str(git_repo.path), "--json",
                              "--as-of", "2026-01-01T02:00:00Z"])
    assert "warnings" not in json.loads(res.stdout)
