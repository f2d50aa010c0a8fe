"""A true-or-false option of `lineage push` (`-o full=…`, `-o remove_stale=…`, …) that is
neither is refused the same way by the Atlas and the DataHub targets: exit 2 before anything
is sent or written, one line naming the option, the value given and the words accepted, and
the hint of the target (`--full` for `full`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
WORDS = "true, yes, on, 1, false, no, off, 0"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    monkeypatch.setenv("ATLAS_PASSWORD", "secret")
    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    return git_repo


def _target_args(target: str, out: Path) -> list[str]:
    if target in ("datahub-file", "datahub-lite"):
        return [str(out / ("mcps.json" if target == "datahub-file" else "lite.db"))]
    # nothing listens there: a refused option must be refused before any request
    return ["--server", "http://127.0.0.1:1"]


@pytest.mark.parametrize(("key", "value", "hint"), [
    ("full", "maybe", "e.g. -o full=true, or --full"),
    ("remove_stale", "Maybe", "e.g. -o remove_stale=true"),
    ("remove_stale", "yes please", "e.g. -o remove_stale=true")])
@pytest.mark.parametrize("target", ["atlas", "datahub-file", "datahub-lite", "datahub-rest"])
def test_a_value_neither_true_nor_false_is_refused(repo: GitRepo, tmp_path: Path, target: str,
                                                   key: str, value: str, hint: str) -> None:
    if target.startswith("datahub"):
        pytest.importorskip("datahub")
    out = tmp_path / "out"
    out.mkdir()
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", target,
                              *_target_args(target, out), "-o", f"{key}={value}"])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == [
        f"error: option {key}={value!r} must be true or false: one of {WORDS}",
        f"hint: {hint}"], res.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("target", "key"), [("datahub-file", "lowercase_urns"),
                                             ("datahub-rest", "openapi")])
def test_the_datahub_targets_other_flags_say_the_same(repo: GitRepo, tmp_path: Path,
                                                      target: str, key: str) -> None:
    pytest.importorskip("datahub")
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--to", target,
                              *_target_args(target, tmp_path), "-o", f"{key}=2"])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == [
        f"error: option {key}='2' must be true or false: one of {WORDS}",
        f"hint: e.g. -o {key}=true"], res.stderr
