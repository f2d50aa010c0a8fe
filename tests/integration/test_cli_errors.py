"""What the CLI says when the store or an output file cannot be used: one line naming what
and why, a hint that does not endanger the audit trail, an exit code ≠ 0, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import store as store_mod
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


@pytest.fixture
def harvested(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("add training code")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    repo = str(git_repo.path)
    assert _run("init", "--repo", repo)[0] == 0
    assert _run("harvest", "--repo", repo)[0] == 0
    return git_repo


def _assert_one_error(code: int, out: str, expected_code: int, *needles: str) -> None:
    assert code == expected_code, out
    assert "Traceback" not in out, out
    first = out.splitlines()[0]
    assert first.startswith("error: "), out
    for n in needles:
        assert n in out, (n, out)


def test_export_and_audit_output_that_cannot_be_written(harvested: GitRepo, tmp_path: Path
                                                         ) -> None:
    repo = str(harvested.path)
    missing = tmp_path / "no-such-dir" / "graph.json"
    code, out = _run("export", "--repo", repo, "-o", str(missing))
    _assert_one_error(code, out, 2, f"cannot write {missing}", "No such file", "--output")
    code, out = _run("export", "--repo", repo, "-o", str(tmp_path))
    _assert_one_error(code, out, 2, f"cannot write {tmp_path}", "directory")
    for fmt in ("table", "json"):
        code, out = _run("audit", "--repo", repo, "--format", fmt, "-o", str(missing))
        assert "Traceback" not in out and f"cannot write {missing}" in out, out
        assert code == 2, out
    # and a writable path still works
    ok = tmp_path / "graph.json"
    code, out = _run("export", "--repo", repo, "-o", str(ok))
    assert code == 0 and ok.read_text().startswith("{"), out
    assert "1 edge," in out or "edges" in out


def test_init_where_the_store_cannot_be_created(git_repo: GitRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.commit("first")
    (git_repo.path / ".lineage").write_text("not a folder\n")
    code, out = _run("init", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "cannot create the store", "a file of that name",
                      "LINEAGE_STORE")
    monkeypatch.setenv("LINEAGE_STORE", "/proc/lineage-cannot-be-here")
    code, out = _run("init", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "cannot create the store at /proc/lineage-cannot-be-here")


def test_a_busy_store_is_not_called_broken(harvested: GitRepo,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holding the store's write lock: say so, and never suggest moving the
    store aside (that would lose the audit trail)."""
    monkeypatch.setattr(store_mod, "_BUSY_TIMEOUT", 0.2)
    db = harvested.path / ".lineage" / "lineage.db"
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("PRAGMA journal_mode=DELETE")
        other.execute("BEGIN EXCLUSIVE")
        for args in (("harvest",), ("show", "churn@v1.0.0"), ("verify",)):
            code, out = _run(*args, "--repo", str(harvested.path))
            _assert_one_error(code, out, 2, "busy", "another lineage process", "retry")
            assert "move it aside" not in out
    finally:
        other.execute("ROLLBACK")
        other.execute("PRAGMA journal_mode=WAL")
        other.close()
    assert _run("verify", "--repo", str(harvested.path))[0] == 0


def test_a_file_that_is_not_a_store(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    store = git_repo.path / ".lineage"
    store.mkdir()
    (store / "lineage.db").write_bytes(b"this is not sqlite" * 100)
    code, out = _run("show", "HEAD", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "cannot open the store", "not a database", "backup")


@pytest.mark.parametrize("column,value", [("attrs", "{not json"), ("kind", "no-such-kind")])
def test_a_row_changed_outside_lineage_is_named(harvested: GitRepo, column: str,
                                                value: str) -> None:
    repo = str(harvested.path)
    db = harvested.path / ".lineage" / "lineage.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE nodes SET {column}=? WHERE id='model:churn@v1.0.0'", (value,))
    # the audit too: a row of a kind it does not know may be one it should have checked
    commands = [("show", "churn@v1.0.0"), ("export",), ("audit",)]
    for args in commands:
        code, out = _run(*args, "--repo", repo)
        _assert_one_error(code, out, 1, "node model:churn@v1.0.0", "changed outside lineage",
                          "lineage verify")
    # a harvest that merges into that row says the same
    harvested.commit("more")
    harvested.tag("churn@v1.0.1", "register churn v1.0.1")
    code, out = _run("harvest", "--repo", repo)
    if column == "attrs":
        _assert_one_error(code, out, 1, "node model:churn@v1.0.0", "changed outside lineage")
    code, out = _run("verify", "--repo", repo)
    assert code == 1 and "model:churn@v1.0.0" in out


def test_warnings_are_printed_as_written(git_repo: GitRepo) -> None:
    """Warnings hold brackets (``[dvc]``) and paths: printed as they are, with no markup."""
    git_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    git_repo.write("dvc.lock", "schema: '2.0'\nstages:\n  train: [not, a, mapping]\n")
    git_repo.commit("a broken lock [wip]")
    repo = str(git_repo.path)
    assert _run("init", "--repo", repo)[0] == 0
    code, out = _run("harvest", "--repo", repo)
    assert code == 0, out
    line = next(x for x in out.splitlines() if "dvc.lock" in x and "!" in x)
    assert line.strip().startswith("! [dvc]"), line
    assert "[yellow]" not in out and "[/]" not in out


def test_first_harvest_of_an_empty_repository(git_repo: GitRepo) -> None:
    repo = str(git_repo.path)
    assert _run("init", "--repo", repo)[0] == 0
    code, out = _run("harvest", "--repo", repo)
    assert code == 0 and "Nothing to harvest yet" in out and "since the last" not in out, out
    git_repo.commit("first")
    assert _run("harvest", "--repo", repo)[0] == 0
    code, out = _run("harvest", "--repo", repo)
    assert code == 0 and "Nothing new since the last harvest." in out, out


def test_error_messages_are_printed_as_text(tmp_path: Path) -> None:
    """A path, ref or server answer holding brackets is printed as it is, not as markup."""
    odd = tmp_path / "odd [red]name[dim]"
    odd.mkdir()
    code, out = _run("harvest", "--repo", str(odd))
    _assert_one_error(code, out, 2, "odd [red]name[dim]")


@pytest.mark.parametrize("content,needles", [
    (b"datahub:\n  server: http://localhost:8080\n  tokn: abc\n",
     ("lineage.yaml:3: field datahub.tokn", "Extra inputs", "did you mean 'token'?")),
    (b"harvestors: [git]\n", ("lineage.yaml:1: field harvestors", "did you mean 'harvesters'?")),
    (b"\xff\xfeharvesters: [git]\n", ("lineage.yaml: not UTF-8", "UTF-8")),
    (b"store: .lineage\nharvesters: [git\n", ("lineage.yaml:3: not valid YAML",)),
])
def test_a_bad_lineage_yaml_names_file_line_and_field(git_repo: GitRepo, content: bytes,
                                                     needles: tuple[str, ...]) -> None:
    git_repo.commit("first")
    git_repo.write("lineage.yaml", content)
    code, out = _run("init", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, *needles)


def test_an_impossible_date_in_lineage_yaml_names_its_line(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    git_repo.write("lineage.yaml", "harvesters: [git]\nmlflow:\n  since: 2026-02-30\n")
    code, out = _run("init", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "lineage.yaml:3: field mlflow.since", "2026-02-30")


@pytest.mark.parametrize("args", [("export",), ("audit", "--format", "json"),
                                  ("audit", "--format", "markdown")])
def test_output_dash_is_stdout(harvested: GitRepo, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    """`-o -` is stdout, as for every Unix tool: no file named "-" left in the folder."""
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [*args, "--repo", str(harvested.path), "-o", "-"])
    assert res.exit_code in (0, 1), res.output
    assert not (tmp_path / "-").exists()
    assert "wrote" not in res.stderr
    if "markdown" in args:
        assert "lineage audit" in res.stdout, res.stdout
    else:
        import json

        assert json.loads(res.stdout)


def test_a_store_setting_that_names_no_store_says_which_and_what_was_meant(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """``LINEAGE_STORE=.lineag``: the error names the variable and the store folder next to
    it; the same for ``store:`` in lineage.yaml."""
    git_repo.commit("first")
    code, out = _run("init", "--repo", str(git_repo.path))
    assert code == 0, out
    monkeypatch.setenv("LINEAGE_STORE", ".lineag")
    code, out = _run("audit", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "no lineage store at", "LINEAGE_STORE=.lineag names it",
                      "did you mean '.lineage'?")
    monkeypatch.delenv("LINEAGE_STORE")
    git_repo.write("lineage.yaml", "store: .lineage-ci\n")
    code, out = _run("show", "HEAD", "--repo", str(git_repo.path))
    _assert_one_error(code, out, 2, "store: .lineage-ci in lineage.yaml names it",
                      "did you mean '.lineage'?")
