"""`--store DIR|FILE` on the commands that only read the store (audit, show, export, log), as
an auditor uses it: on a copy of the quickstart store handed over on its own, outside any
repository, in a folder nobody may write (``chattr +i``: root too). The copy is never
written, and what is read without the repository is said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import read_only

runner = CliRunner()


def lineage(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file()}


@pytest.fixture
def handed_over(quickstart_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's store folder copied outside the repository (the demo is closed: no -wal),
    the current folder one that is in no git repository."""
    copy = tmp_path / "handed-over" / "store"
    shutil.copytree(quickstart_demo / ".lineage", copy)
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return copy


def test_read_commands_read_a_copied_store_in_a_read_only_folder(
        quickstart_demo: Path, handed_over: Path) -> None:
    repo = str(quickstart_demo)
    db = handed_over / "lineage.db"
    # what the repository's own store says, to compare with
    _, log_repo, _ = lineage("log", "--repo", repo, "--json", "-n", "50")
    _, export_repo, _ = lineage("export", "--repo", repo)
    day = ("--as-of", "2026-06-30")  # the same clock for both
    _, show_repo, _ = lineage("show", "churn@v1.1.0", "--repo", repo, "--json", *day)
    _, audit_repo, _ = lineage("audit", "--repo", repo, "--json", *day)
    before = _files(handed_over)
    with read_only(handed_over, *handed_over.iterdir()):
        code, out, err = lineage("log", "--store", str(handed_over), "--json", "-n", "50")
        assert code == 0 and json.loads(out) == json.loads(log_repo), err
        code, out, err = lineage("export", "--store", str(db))  # the file, as well as the folder
        assert code == 0 and json.loads(out) == json.loads(export_repo), err
        code, out, err = lineage("show", "churn@v1.1.0", "--store", str(db), "--repo", repo,
                                 "--json", *day)
        assert code == 0 and json.loads(out) == json.loads(show_repo), err
        # with its repository: the same report, its policy and HEAD, verified in this run
        code, out, err = lineage("audit", "--store", str(handed_over), "--repo", repo,
                                 "--verify", "--json", *day)
        assert code == 1, err  # the demo has findings on purpose
        with_repo = json.loads(out)
        assert with_repo["findings"] == json.loads(audit_repo)["findings"]
        assert with_repo["provenance"]["verified"] is True
        assert with_repo["provenance"]["policy_file"] == "lineage-policy.yaml"
        assert with_repo["provenance"]["repository_head"] is not None
        assert not with_repo["warnings"]
        # alone: the built-in policy, no repository HEAD, and the report says so
        code, out, err = lineage("audit", "--store", str(handed_over), "--verify", "--json")
        assert code == 1, err
        alone = json.loads(out)
        assert alone["provenance"]["verified"] is True
        assert alone["provenance"]["store_head"] == with_repo["provenance"]["store_head"]
        assert alone["provenance"]["policy_file"] is None
        assert alone["provenance"]["repository_head"] is None
        assert alone["policy"] == "built-in default", alone["policy"]
        said = " ".join(alone["warnings"])
        assert "read without its repository" in said and "repository HEAD" in said, said
        code, out, err = lineage("show", "churn@v1.1.0", "--store", str(handed_over))
        assert code == 0 and "model churn@v1.1.0" in out, err
        assert "read without its repository" in err and "built-in default policy" in err, err
    assert _files(handed_over) == before  # no byte, no mtime, no side file


def test_store_alone_ignores_the_repository_of_the_current_folder(
        quickstart_demo: Path, handed_over: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In another repository's folder, --store alone does not take that repository's policy
    for the store's: the auditor's own checkout is not the store's."""
    monkeypatch.chdir(quickstart_demo)  # a repository with its own lineage-policy.yaml
    code, out, err = lineage("audit", "--store", str(handed_over), "--json")
    assert code == 1, err
    report = json.loads(out)
    assert report["provenance"]["policy_file"] is None
    assert report["provenance"]["repository_head"] is None


def test_store_naming_another_file_is_a_wrong_path(quickstart_demo: Path,
                                                   handed_over: Path) -> None:
    lite = handed_over / "datahub-lite.db"  # another program's database, next to the store
    assert lite.is_file()
    for args in (("log",), ("export",), ("show", "churn"), ("audit",)):
        code, out, err = lineage(*args, "--store", str(lite))
        assert code == 2, (args, out, err)
        assert f"error: {lite} is not a lineage store" in err and "check --store" in err, err
    code, out, err = lineage("show", "churn", "--store", str(handed_over / "nothing"))
    assert code == 2 and "no lineage store at" in err, err
    code, out, err = lineage("audit", "--source", "datahub-lite", str(lite),
                             "--store", str(handed_over))
    assert code == 2 and "--store: the datahub-lite source reads no lineage store" in err, err


def test_show_without_the_repository_says_how_to_name_a_revision(handed_over: Path) -> None:
    code, out, err = lineage("show", "HEAD", "--store", str(handed_over))
    assert code == 2, out
    assert "nothing in the lineage graph matches 'HEAD'" in err
    assert "read without its repository: add --repo PATH" in err, err


def test_show_of_an_unknown_name_suggests_names_then_export(handed_over: Path) -> None:
    code, _, err = lineage("show", "chrun@v1.1.0", "--store", str(handed_over))
    assert code == 2 and "hint: did you mean 'churn@v1.1.0'?" in err, err
    code, _, err = lineage("show", "model_group:chrun", "--store", str(handed_over))
    assert code == 2 and "hint: did you mean 'model_group:churn'?" in err, err
    code, _, err = lineage("show", "nothere", "--store", str(handed_over))
    assert code == 2, err
    assert ("hint: model versions in the store: churn@v1.0.0, churn@v1.1.0; see `lineage "
            "export` for every node id") in err, err
