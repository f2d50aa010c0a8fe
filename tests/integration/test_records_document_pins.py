"""A document record pins the content it was recorded with, not the file as it is now.

An edited model card must not fail every harvest after it; a fresh clone must pin an old
record to the content it was recorded with (the version at the commit that added the record),
not to the latest version its work tree holds; `lineage record document --uri` reads a path
from the current folder, refuses one naming no file, and says what was meant."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

CARD_V1 = "# churn model card\n\nv1.0.0, trained on the November data\n"
CARD_V2 = CARD_V1 + "\nUpdate: retrained on the January data\n"
RECORD = ("kind: document\nid: card-v1\ndoc_kind: model_card\nuri: docs/model_card.md\n"
          "model: churn@v1.0.0\nat: 2026-01-04T09:00:00Z\n")


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _cli(path: Path, *args: str):
    return runner.invoke(app, [*args, "-C", str(path)])


def _harvest(path: Path):
    return _cli(path, "harvest", "--json")


def _shown(path: Path, ref: str) -> dict:
    res = _cli(path, "show", ref, "--depth", "1", "--json")
    assert res.exit_code == 0, res.output
    out: dict = json.loads(res.stdout)
    return out


def _pin(path: Path, doc: str) -> tuple[str, list[str]]:
    """The document's content hash and the commits `lineage show` says define it."""
    shown = _shown(path, f"document:{doc}")
    node = next(n for n in shown["nodes"] if n["id"] == f"document:{doc}")
    defines = [e["source"].removeprefix("commit:") for e in shown["edges"]
               if e["kind"] == "defines" and e["target"] == f"document:{doc}"]
    return node["attrs"].get("content_hash"), defines


def _clone(origin: GitRepo, tmp_path: Path, name: str = "fresh") -> Path:
    clone = tmp_path / name
    subprocess.run(["git", "clone", "-q", str(origin.path), str(clone)], check=True)
    assert _cli(clone, "init").exit_code == 0
    return clone


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    return git_repo


def test_an_edited_model_card_never_blocks_the_harvest_and_a_fresh_clone_pins_the_recorded_version(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.write("docs/model_card.md", CARD_V1)
    repo.write("governance/documents.yaml", RECORD)
    recorded_at = repo.commit("model card and its record")
    assert _cli(repo.path, "init").exit_code == 0
    assert _harvest(repo.path).exit_code == 0
    assert _pin(repo.path, "card-v1") == (_sha256(CARD_V1), [recorded_at])

    # the card is updated: the record still pins v1, and the harvest does not fail
    repo.write("docs/model_card.md", CARD_V2)
    updated_at = repo.commit("update model card")
    res = _harvest(repo.path)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    assert _pin(repo.path, "card-v1") == (_sha256(CARD_V1), [recorded_at])

    # the new version recorded as the hint says: a new record superseding the old one
    res = _cli(repo.path, "record", "document", "--model", "churn@v1.0.0", "--type",
               "model_card", "--uri", "docs/model_card.md", "--id", "card-v2", "--prop",
               "supersedes=card-v1", "--write-file")
    assert res.exit_code == 0, res.output
    repo.commit("record the updated model card")
    assert _harvest(repo.path).exit_code == 0
    assert _pin(repo.path, "card-v2") == (_sha256(CARD_V2), [updated_at])

    # a fresh clone: its work tree holds v2, yet the old record pins v1, at its commit
    clone = _clone(repo, tmp_path)
    res = _harvest(clone)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    assert _pin(clone, "card-v1") == (_sha256(CARD_V1), [recorded_at])
    assert _pin(clone, "card-v2") == (_sha256(CARD_V2), [updated_at])
    assert _harvest(clone).exit_code == 0  # and again: nothing to fail on


def test_a_fresh_clone_pins_a_card_committed_after_its_record_to_its_first_version(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.write("governance/documents.yaml", RECORD)
    repo.commit("record the model card to come")
    repo.write("docs/model_card.md", CARD_V1)
    first = repo.commit("the model card")
    repo.write("docs/model_card.md", CARD_V2)
    repo.commit("update model card")

    clone = _clone(repo, tmp_path)
    assert _harvest(clone).exit_code == 0
    assert _pin(clone, "card-v1") == (_sha256(CARD_V1), [first])


def test_a_store_harvested_before_the_card_was_committed_pins_what_a_fresh_clone_pins(
        repo: GitRepo, tmp_path: Path) -> None:
    """Not in the repository when the record is harvested: a warning, nothing pinned; the
    first harvest after the card is committed pins the version a fresh clone pins, not the
    work tree's."""
    repo.write("governance/documents.yaml", RECORD)
    repo.commit("record the model card to come")
    assert _cli(repo.path, "init").exit_code == 0
    res = _harvest(repo.path)
    assert res.exit_code == 0, res.output
    (warning,) = json.loads(res.stdout)["warnings"]
    assert warning["file"] == "governance/documents.yaml" and warning["field"] == "uri"
    assert "docs/model_card.md is in no commit since the one that added this record" in (
        warning["message"])
    assert _pin(repo.path, "card-v1") == (None, [])

    repo.write("docs/model_card.md", CARD_V1)
    first = repo.commit("the model card")
    repo.write("docs/model_card.md", CARD_V2)  # edited since, not committed
    assert _harvest(repo.path).exit_code == 0
    assert _pin(repo.path, "card-v1") == (_sha256(CARD_V1), [first])


def test_a_record_file_not_committed_yet_pins_the_work_tree(repo: GitRepo) -> None:
    repo.write("docs/model_card.md", CARD_V1)
    repo.commit("the model card")
    repo.write("docs/model_card.md", CARD_V2)  # the version being recorded now
    repo.write("governance/documents.yaml", RECORD)
    assert _cli(repo.path, "init").exit_code == 0
    assert _harvest(repo.path).exit_code == 0
    assert _pin(repo.path, "card-v1") == (_sha256(CARD_V2), [])  # no commit holds it yet


def test_a_moved_record_file_and_a_deleted_card_are_pinned_from_history(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.write("docs/model_card.md", CARD_V1)
    repo.write("governance/documents.yaml", RECORD)
    recorded_at = repo.commit("model card and its record")
    repo.write("docs/model_card.md", CARD_V2)
    repo.commit("update model card")
    repo.git("mv", "governance/documents.yaml", "governance/churn-documents.yaml")
    repo.git("rm", "-q", "docs/model_card.md")
    repo.commit("move the records, retire the card")

    clone = _clone(repo, tmp_path)
    res = _harvest(clone)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    assert _pin(clone, "card-v1") == (_sha256(CARD_V1), [recorded_at])


def test_a_new_record_giving_a_hash_no_version_has_is_a_warning(repo: GitRepo) -> None:
    repo.write("docs/model_card.md", CARD_V1)
    repo.commit("the model card")
    typo = _sha256(CARD_V1)[:-1] + ("0" if not _sha256(CARD_V1).endswith("0") else "1")
    repo.write("governance/documents.yaml", RECORD + f"content_hash: {typo}\n")
    assert _cli(repo.path, "init").exit_code == 0
    res = _harvest(repo.path)
    assert res.exit_code == 0, res.output
    (warning,) = json.loads(res.stdout)["warnings"]
    assert (warning["line"], warning["field"]) == (7, "content_hash")
    assert warning["message"].startswith(f"no version of docs/model_card.md has content_hash "
                                         f"{typo}")
    assert _harvest(repo.path).exit_code == 0


def test_validate_warns_of_an_edited_card_and_a_misplaced_path(repo: GitRepo) -> None:
    repo.write("docs/model_card.md", CARD_V2)
    repo.write("docs/bias_report.md", "# bias\n")
    repo.write("governance/documents.yaml",
               RECORD + f"content_hash: {_sha256(CARD_V1)}\n---\n"
               "kind: document\ndoc_kind: bias_report\nuri: bias_report.md\n"
               "model: churn@v1.0.0\n")
    repo.commit("records")
    res = _cli(repo.path, "record", "validate", "--json")
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("governance/documents.yaml:7: document docs/model_card.md is "
                                  "not the content this record gives")
    assert warnings[1] == ("governance/documents.yaml:11: document bias_report.md is not in "
                           "the repository; its content is not pinned (did you mean "
                           "docs/bias_report.md?)")


# -- lineage record document --uri ---------------------------------------------------------------
@pytest.fixture
def demo(repo: GitRepo) -> GitRepo:
    repo.write("docs/bias_report.md", "# bias report\n")
    repo.write("src/train.py", "print('train')\n")
    repo.commit("docs")
    assert _cli(repo.path, "init").exit_code == 0
    return repo


def _document(*args: str):
    return runner.invoke(app, ["record", "document", "--model", "churn@v1.1.0", "--type",
                               "bias_report", *args, "--json"])


def test_uri_is_read_from_the_current_folder(demo: GitRepo, monkeypatch) -> None:
    monkeypatch.chdir(demo.path / "docs")
    res = _document("--uri", "bias_report.md")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["uri"] == "docs/bias_report.md" and out["warnings"] == []
    assert out["record"]["content_hash"] == _sha256("# bias report\n")
    # an absolute path inside the repository is recorded relative to it: the same document
    again = _document("--uri", str(demo.path / "docs/bias_report.md"))
    assert json.loads(again.stdout)["node"] == out["node"]


@pytest.mark.parametrize(("where", "suggested"), [(".", "docs/bias_report.md"),
                                                  ("src", "../docs/bias_report.md")])
def test_a_path_naming_no_file_is_refused_with_what_was_meant(
        demo: GitRepo, monkeypatch, where: str, suggested: str) -> None:
    monkeypatch.chdir(demo.path / where)
    res = _document("--uri", "bias_report.md")
    assert res.exit_code == 2, res.output
    named = "bias_report.md" if where == "." else f"{where}/bias_report.md"
    assert res.stderr.startswith(f"error: command line (--uri): document {named} names no file "
                                 "in the repository\nhint: did you mean "
                                 f"{suggested}?"), res.stderr
    res = _document("--uri", "nothing.md")
    assert res.exit_code == 2 and "did you mean" not in res.stderr, res.output
    assert "or a URL for a document kept elsewhere" in res.stderr
    with pytest.raises(AssertionError):  # nothing recorded
        _shown(demo.path, "document:nothing")


def test_a_url_is_recorded_unpinned(demo: GitRepo, monkeypatch) -> None:
    monkeypatch.chdir(demo.path / "src")
    res = _document("--uri", "https://wiki.example.com/churn/bias")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["uri"] == "https://wiki.example.com/churn/bias"
    assert "content_hash" not in out["record"] and out["warnings"] == []


def test_emit_refuses_a_document_naming_no_file(demo: GitRepo) -> None:
    from lineage.errors import InputError
    from lineage.records import DocumentRecord, emit

    rec = DocumentRecord(kind="document", doc_kind="bias_report", uri="bias_report.md",
                         model="churn@v1.1.0")
    with pytest.raises(InputError) as exc:
        emit(rec, demo.path)
    assert exc.value.field == "uri" and "did you mean docs/bias_report.md?" in (
        exc.value.hint or "")


# -- help ---------------------------------------------------------------------------------------
def _help(command: str) -> str:
    res = runner.invoke(app, ["record", command, "--help"])
    assert res.exit_code == 0, res.output
    return " ".join(res.stdout.replace("│", " ").split())  # the panel's lines as one text


def test_approval_help_says_an_approval_before_its_version_does_not_count() -> None:
    assert ("It counts for a deployment when decided before it and not before the version "
            "existed") in _help("approval")


@pytest.mark.parametrize(("command", "own", "others"), [
    ("approval", ["--model", "--env", "--deployment"], ["--run", "--alert"]),
    ("deployment", ["--model", "--env"], ["--run", "--alert", "--deployment"]),
    ("assessment", ["--group"], ["--run", "--alert", "--deployment", "--model"]),
    ("retraining", ["--previous", "--new", "--run", "--alert"], ["--deployment", "--env"]),
    ("alert", ["--model"], ["--run", "--alert ", "--deployment"]),
    ("document", ["--model", "--group"], ["--run", "--alert", "--deployment"]),
])
def test_allow_new_names_only_the_commands_own_options(command: str, own: list[str],
                                                       others: list[str]) -> None:
    text = _help(command)
    said = text[text.index("--allow-new"):]
    said = said[:said.index("registered later")]
    for flag in own:
        assert flag in said, (command, flag, said)
    for flag in others:
        assert flag not in said, (command, flag, said)
    assert "--prop supersedes" in said
