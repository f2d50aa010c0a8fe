"""A governance record edited in place in git is refused by a fresh clone's harvest, as a
store that harvested the record before refuses the edit (records are immutable, DESIGN §3).

The CI flow clones the repository (full history) and runs ``lineage init && lineage harvest &&
lineage audit``: the store is new, so the harvest judges each record by its file's history —
the content the commit that first held it recorded, completed by later commits — with the
store's rules: completing a field is fine, a run's RUNNING → FINISHED is fine, a correction is
a new record with ``supersedes``; changing a recorded field fails the harvest (exit 2, store
unchanged), naming the file, line and field, the commit that recorded it and the one that
changed it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import PINNED_ENV, GitRepo

runner = CliRunner()

APPROVALS = "governance/approvals.yaml"
# ada trained churn v1.0.0; rita (risk) and max (lead) approved it for prod
RUN = """kind: run
id: train-1
name: train
status: FINISHED
user: ada@example.com
start_time: 2026-01-01T00:00:00Z
end_time: 2026-01-01T00:30:00Z
"""
RITA = """- kind: approval
  id: churn-prod-risk
  model: churn@v1.0.0
  environment: prod
  approver: rita@example.com
  role: risk-officer
  decision: approved
  decided_at: 2026-01-01T00:45:00Z
"""
ADA = """- kind: approval
  id: churn-prod-lead
  model: churn@v1.0.0
  environment: prod
  approver: ada@example.com
  decision: approved
  decided_at: 2026-01-01T00:50:00Z
"""


def lineage(repo: Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "-C", str(repo)], env={"COLUMNS": "400"})


def commit_as(repo: Path, who: str, message: str, date: str) -> str:
    """Commit everything in ``repo`` as another person (``who``) at ``date``."""
    env = {**os.environ, **PINNED_ENV, "GIT_AUTHOR_NAME": who.title(),
           "GIT_AUTHOR_EMAIL": f"{who}@example.com", "GIT_COMMITTER_NAME": who.title(),
           "GIT_COMMITTER_EMAIL": f"{who}@example.com", "GIT_AUTHOR_DATE": date,
           "GIT_COMMITTER_DATE": date}
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def fresh_clone(origin: Path, target: Path) -> Path:
    """``git clone`` (full history) and ``lineage init``: the CI job's checkout."""
    subprocess.run(["git", "clone", "-q", f"file://{origin}", str(target)], check=True,
                   capture_output=True)
    res = lineage(target, "init")
    assert res.exit_code == 0, res.output
    return target


def state(repo: Path) -> tuple[Any, ...]:
    store = api.open_store(repo)
    try:
        return store.head(), store.counts()
    finally:
        store.close()


def node(repo: Path, nid: str) -> dict[str, Any]:
    store = api.open_store(repo)
    try:
        found = store.get_node(nid)
        assert found is not None, nid
        return found.attrs
    finally:
        store.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def line_of(path: Path, text: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if after in ln) if after else 0
    return next(i for i, ln in enumerate(lines, 1) if i > start and text in ln)


@pytest.fixture
def origin(git_repo: GitRepo) -> tuple[GitRepo, str]:
    """The run and the two prod approvals, committed (the sha of that commit)."""
    git_repo.write("governance/run/train-1.yaml", RUN)
    git_repo.write(APPROVALS, RITA + ADA)
    return git_repo, git_repo.commit("train churn v1.0.0, approvals")


# -- the auditor's case: the quickstart demo's prod approvals moved to another version --------
def test_approvals_retargeted_in_place_fail_a_fresh_clone_harvest(
        quickstart_demo: Path, tmp_path: Path) -> None:
    approvals = quickstart_demo / APPROVALS
    recorded = subprocess.run(["git", "log", "--format=%H", "--reverse", "--", APPROVALS],
                              cwd=quickstart_demo, check=True, capture_output=True,
                              text=True).stdout.split()[0]
    for nid, hour in (("churn-v1.0.0-prod", "15"), ("churn-v1.0.0-prod-lead", "16")):
        edit(approvals, f"id: {nid}\n  model: churn@v1.0.0", f"id: {nid}\n  model: churn@v1.1.0")
        edit(approvals, f"decided_at: 2026-01-04T{hour}:00:00Z",
             f"decided_at: 2026-01-19T{hour}:00:00Z")
    tidy = commit_as(quickstart_demo, "eve", "tidy approvals", "2026-01-20T10:00:00Z")

    ci = fresh_clone(quickstart_demo, tmp_path / "ci")
    before = state(ci)
    res = lineage(ci, "harvest")
    assert res.exit_code == 2, res.output
    first, hint = res.stderr.splitlines()[:2]
    line = line_of(approvals, "decided_at: 2026-01-19T15", after="id: churn-v1.0.0-prod")
    assert first.startswith(
        f"error: {APPROVALS}:{line} (decided_at): record approval:churn-v1.0.0-prod is "
        f"already recorded with decided_at '2026-01-04T15:00:00Z', model 'churn@v1.0.0' "
        f"(commit {recorded[:12]}"), first
    assert f"commit {tidy[:12]} (2026-01-20T10:00:00Z, Eve: tidy approvals) changed it in " \
           "place: this record says otherwise about decided_at, model" in first, first
    assert hint.startswith("hint: records are immutable: "), hint
    assert f"restore the record as commit {recorded[:12]} recorded it" in hint, hint
    assert "`properties: {supersedes: churn-v1.0.0-prod}`" in hint, hint
    assert state(ci) == before  # nothing harvested: not the git facts, not the other records
    # the audit has nothing it could take for evidence; `record validate` says the same
    res = lineage(ci, "record", "validate", "--json")
    assert res.exit_code == 1, res.output
    errors = json.loads(res.stdout)["errors"]
    assert [(e["file"], e["line"], e["field"]) for e in errors] == [
        (APPROVALS, line, "decided_at"),
        (APPROVALS, line_of(approvals, "decided_at: 2026-01-19T16"), "decided_at")]
    assert f"commit {tidy[:12]}" in errors[0]["message"]

    # the fix: the records as they were, the change recorded as corrections by their approvers
    subprocess.run(["git", "revert", "--no-edit", "--no-commit", "HEAD"], cwd=quickstart_demo,
                   check=True, capture_output=True)
    with approvals.open("a") as f:
        for nid, who in (("churn-v1.0.0-prod", "rita"), ("churn-v1.0.0-prod-lead", "max")):
            f.write(f"- kind: approval\n  id: {nid}-v1.1.0\n  model: churn@v1.1.0\n"
                    f"  environment: prod\n  approver: {who}@example.com\n"
                    f"  decision: approved\n  decided_at: 2026-01-19T15:00:00Z\n"
                    f"  properties: {{supersedes: {nid}}}\n")
    commit_as(quickstart_demo, "eve", "restore approvals; corrections", "2026-01-21T10:00:00Z")
    ci = fresh_clone(quickstart_demo, tmp_path / "ci-fixed")
    res = lineage(ci, "harvest")
    assert res.exit_code == 0, res.output
    shown = lineage(ci, "show", "churn-v1.0.0-prod")
    assert shown.exit_code == 0, shown.output
    assert "churn@v1.0.0" in shown.stdout and "churn@v1.1.0" not in \
        shown.stdout.split("What it names", 1)[0], shown.stdout
    assert f"(committed {recorded[:12]})" in shown.stdout, shown.stdout
    assert node(ci, "approval:churn-v1.0.0-prod")["decided_at"] == "2026-01-04T15:00:00Z"


# -- four-eyes: the approver of the model's author's approval changed -------------------------
def test_an_approver_edited_in_place_fails_the_harvest(origin: tuple[GitRepo, str],
                                                       tmp_path: Path) -> None:
    repo, recorded = origin
    edit(repo.path / APPROVALS, "approver: ada@example.com", "approver: max@example.com")
    changed = repo.commit("fix approver")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    before = state(ci)
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    line = line_of(ci / APPROVALS, "approver: max@example.com")
    assert res.stderr.startswith(
        f"error: {APPROVALS}:{line} (approver): record approval:churn-prod-lead is already "
        f"recorded with approver 'ada@example.com' (commit {recorded[:12]}, "), res.stderr
    assert f"commit {changed[:12]} (" in res.stderr and "changed it in place" in res.stderr
    assert state(ci) == before


def test_an_edit_not_committed_yet_is_refused_as_the_work_tree_s(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    ci = fresh_clone(repo.path, tmp_path / "ci")
    edit(ci / APPROVALS, "decision: approved\n  decided_at: 2026-01-01T00:45",
         "decision: rejected\n  decided_at: 2026-01-01T00:45")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"error: {APPROVALS}:{line_of(ci / APPROVALS, 'rejected')} "
                                 "(decision): record approval:churn-prod-risk is already "
                                 "recorded with decision 'approved'"), res.stderr
    assert "the work tree's file (not committed) changed it in place" in res.stderr


def test_a_renamed_file_edited_after_the_rename_is_refused(origin: tuple[GitRepo, str],
                                                           tmp_path: Path) -> None:
    repo, recorded = origin
    repo.git("mv", APPROVALS, "governance/prod-approvals.yaml")
    repo.commit("one file per environment")
    edit(repo.path / "governance/prod-approvals.yaml", "role: risk-officer", "role: ml-lead")
    repo.commit("rita leads now")
    res = lineage(fresh_clone(repo.path, tmp_path / "ci"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert "governance/prod-approvals.yaml:" in res.stderr and "(role)" in res.stderr
    assert f"(commit {recorded[:12]}, " in res.stderr


# -- what is not a change ---------------------------------------------------------------------
def test_a_field_the_record_lacked_completes_it_and_it_keeps_its_first_commit(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    edit(repo.path / APPROVALS, "decided_at: 2026-01-01T00:50:00Z\n",
         "decided_at: 2026-01-01T00:50:00Z\n  evidence: https://tracker.example.com/ML-8\n")
    repo.commit("evidence of ada's approval")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    attrs = node(ci, "approval:churn-prod-lead")
    assert attrs["evidence"] == "https://tracker.example.com/ML-8"
    assert attrs["committed_in"] == recorded
    assert attrs["committed_at"] == "2026-01-01T01:00:00Z"
    # once completed, the field is recorded: changing it later is an edit
    edit(repo.path / APPROVALS, "tracker.example.com/ML-8", "tracker.example.com/ML-9")
    repo.commit("other ticket")
    res = lineage(fresh_clone(repo.path, tmp_path / "ci2"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert "(evidence): record approval:churn-prod-lead is already recorded with evidence " \
           "'https://tracker.example.com/ML-8'" in res.stderr, res.stderr


def test_a_run_file_written_running_then_completed_is_accepted(git_repo: GitRepo,
                                                               tmp_path: Path) -> None:
    rel = "governance/run/train-2.yaml"
    git_repo.write(rel, RUN.replace("train-1", "train-2").replace("status: FINISHED",
                                                                  "status: RUNNING")
                   .replace("end_time: 2026-01-01T00:30:00Z\n", "metrics: {auc: 0.7}\n"))
    git_repo.commit("train-2 started")
    git_repo.write(rel, RUN.replace("train-1", "train-2") + "metrics: {auc: 0.81}\n")
    git_repo.commit("train-2 ended")
    ci = fresh_clone(git_repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    attrs = node(ci, "run:lineage:train-2")
    assert (attrs["status"], attrs["metrics"]) == ("FINISHED", {"auc": 0.81})
    # a run that ended is immutable: its commit may not change its metrics
    git_repo.write(rel, RUN.replace("train-1", "train-2") + "metrics: {auc: 0.91}\n")
    changed = git_repo.commit("better auc")
    res = lineage(fresh_clone(git_repo.path, tmp_path / "ci2"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert f"{rel}:8 (metrics.auc): record run:lineage:train-2 is already recorded with " \
           "metrics.auc 0.81" in res.stderr, res.stderr
    assert f"commit {changed[:12]}" in res.stderr and "as a new run" in res.stderr


def test_a_correction_with_supersedes_is_a_new_record(origin: tuple[GitRepo, str],
                                                      tmp_path: Path) -> None:
    repo, recorded = origin
    with (repo.path / APPROVALS).open("a") as f:
        f.write(ADA.replace("churn-prod-lead", "churn-prod-lead-2")
                .replace("decision: approved", "decision: rejected")
                .replace("00:50:00Z", "03:00:00Z")
                + "  properties: {supersedes: churn-prod-lead}\n")
    correction = repo.commit("ada withdraws her approval")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert node(ci, "approval:churn-prod-lead")["decision"] == "approved"
    new = node(ci, "approval:churn-prod-lead-2")
    assert (new["decision"], new["committed_in"]) == ("rejected", correction)


def test_a_record_restored_in_a_later_commit_is_accepted_as_first_recorded(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    edit(repo.path / APPROVALS, "approver: ada@example.com", "approver: max@example.com")
    repo.commit("fix approver")
    edit(repo.path / APPROVALS, "approver: max@example.com", "approver: ada@example.com")
    repo.commit("put the approval back as recorded")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    attrs = node(ci, "approval:churn-prod-lead")
    # the content is the one first recorded: so is its commit
    assert (attrs["approver"], attrs["committed_in"], attrs["committed_at"]) == (
        "ada@example.com", recorded, "2026-01-01T01:00:00Z")
    res = lineage(ci, "record", "validate")
    assert res.exit_code == 0, res.output


def test_reformatting_and_moving_records_between_list_and_mapping_is_no_change(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    # one record per file, keys reordered, a comment: the same records
    repo.git("rm", "-q", APPROVALS)
    repo.write("governance/approvals/rita.yaml",
               "# rita's prod approval\n" + "\n".join(sorted(
                   ln.strip().removeprefix("- ") for ln in RITA.splitlines())) + "\n")
    repo.write(APPROVALS, "# ada\n" + ADA)
    repo.commit("split the approvals")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output, res.output
    assert node(ci, "approval:churn-prod-lead")["committed_in"] == recorded


def test_a_record_without_id_edited_in_place_is_a_new_record_and_the_old_one_is_said(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """A record without `id:` is named by its content: edited, it is another record. A store
    that harvested the first keeps it beside the new one; a fresh clone cannot, and says so."""
    from lineage.records import parse_file

    no_id = ADA.replace("  id: churn-prod-lead\n", "")
    git_repo.write(APPROVALS, no_id)
    recorded = git_repo.commit("ada approves")
    [first] = parse_file(git_repo.path / APPROVALS, git_repo.path)
    edit(git_repo.path / APPROVALS, "approver: ada@example.com", "approver: max@example.com")
    changed = git_repo.commit("fix approver")
    ci = fresh_clone(git_repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert (f"record {first.node_id}, recorded in {APPROVALS} by commit {recorded[:12]} "
            f"(2026-01-01T01:00:00Z), was removed from it by commit {changed[:12]} ") in said, \
        said
    assert "in no record file now" in said, said


# -- `lineage record validate`: a document pinned to a version a commit holds ----------------
def test_validate_accepts_a_document_content_hash_a_commit_holds(git_repo: GitRepo) -> None:
    import hashlib

    first = "# Model card v1\n"
    git_repo.write("docs/card.md", first)
    git_repo.commit("card")
    git_repo.write("docs/card.md", "# Model card v2\n")
    git_repo.commit("card v2")
    digest = hashlib.sha256(first.encode()).hexdigest()
    git_repo.write("governance/card.yaml", "kind: document\nid: card-v1\ndoc_kind: model_card\n"
                   f"model_group: churn\nuri: docs/card.md\ncontent_hash: sha256:{digest}\n")
    res = lineage(git_repo.path, "record", "validate", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []
    # ... the document deleted since, too
    (git_repo.path / "docs/card.md").unlink()
    res = lineage(git_repo.path, "record", "validate", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["warnings"] == [], res.output
    git_repo.write("docs/card.md", "# Model card v2\n")
    # a hash no version has is still said
    git_repo.write("governance/card.yaml", "kind: document\nid: card-v1\ndoc_kind: model_card\n"
                   f"model_group: churn\nuri: docs/card.md\ncontent_hash: sha256:{'0' * 64}\n")
    res = lineage(git_repo.path, "record", "validate", "--json")
    assert res.exit_code == 0, res.output
    [warning] = json.loads(res.stdout)["warnings"]
    assert warning.startswith("governance/card.yaml:6: document docs/card.md is not the "
                              "content this record gives"), warning


def test_a_record_file_with_a_non_ascii_name_is_judged_and_dated_by_its_history(
        git_repo: GitRepo, tmp_path: Path) -> None:
    rel = "governance/équipe/approbations.yaml"
    git_repo.write(rel, RITA)
    recorded = git_repo.commit("rita approves")
    ci = fresh_clone(git_repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert node(ci, "approval:churn-prod-risk")["committed_in"] == recorded
    edit(git_repo.path / rel, "decision: approved", "decision: rejected")
    git_repo.commit("rita rejects")
    res = lineage(fresh_clone(git_repo.path, tmp_path / "ci2"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert f"error: {rel}:7 (decision): record approval:churn-prod-risk is already recorded " \
           "with decision 'approved'" in res.stderr, res.stderr


# -- records that left their file: deleted with it, or moved to another file ------------------
MAX = """- kind: approval
  id: churn-prod-max
  model: churn@v1.0.0
  environment: prod
  approver: max@example.com
  decision: rejected
  decided_at: 2026-01-01T02:00:00Z
  evidence: https://tracker.example.com/ML-9
"""


def test_a_record_file_deleted_whole_is_said_by_a_fresh_clone(origin: tuple[GitRepo, str],
                                                                tmp_path: Path) -> None:
    """Deleting the file of a rejection would drop it from every fresh clone's graph unseen:
    the harvest says which record left with the file, and by which commit. A store that
    harvested the rejection before keeps it, and says nothing."""
    repo, _ = origin
    rel = "governance/rejections.yaml"
    repo.write(rel, MAX)
    rejected = repo.commit("max rejects churn v1.0.0 for prod")
    for args in (["init"], ["harvest"]):  # a store that saw the rejection
        kept = lineage(repo.path, *args)
        assert kept.exit_code == 0, kept.output
    repo.git("rm", "-q", rel)
    deleted = commit_as(repo.path, "eve", "clean up", "2026-01-02T09:00:00Z")

    res = lineage(fresh_clone(repo.path, tmp_path / "ci"), "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert (f"record approval:churn-prod-max, recorded in {rel} by commit {rejected[:12]} "
            f"(2026-01-01T02:00:00Z), was removed from it by commit {deleted[:12]} "
            "(2026-01-02T09:00:00Z, Eve: clean up), which deleted the file, and is in no "
            "record file now") in said, said
    # the records still in files are harvested as ever, and said nothing of
    assert said.count("was removed from it") == 1, said
    assert node(tmp_path / "ci", "approval:churn-prod-risk")["decision"] == "approved"

    res = lineage(repo.path, "harvest")
    assert res.exit_code == 0, res.output
    assert "was removed from it" not in res.output, res.output
    assert node(repo.path, "approval:churn-prod-max")["decision"] == "rejected"


def test_a_record_file_deleted_then_written_again_with_the_record_says_nothing(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    repo.git("rm", "-q", APPROVALS)
    repo.commit("oops")
    repo.write(APPROVALS, RITA + ADA)
    repo.commit("put the approvals back")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output, res.output
    assert node(ci, "approval:churn-prod-lead")["committed_in"] == recorded


def test_a_record_moved_to_another_file_and_edited_there_is_refused(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    """Moved to a new file (no rename git follows: the old file stays, with the other
    record), a record is still the record its first file's history recorded."""
    repo, recorded = origin
    approvals = repo.path / APPROVALS
    approvals.write_text(ADA)
    rel = "governance/risk/prod.yaml"
    repo.write(rel, RITA.replace("decided_at: 2026-01-01T00:45:00Z",
                                 "decided_at: 2026-01-03T00:45:00Z"))
    moved = commit_as(repo.path, "eve", "one file for risk sign-offs", "2026-01-05T10:00:00Z")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    before = state(ci)
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    first, hint = res.stderr.splitlines()[:2]
    assert first == (
        f"error: {rel}:8 (decided_at): record approval:churn-prod-risk is already recorded "
        f"with decided_at '2026-01-01T00:45:00Z' (commit {recorded[:12]}, "
        f"2026-01-01T01:00:00Z, in {APPROVALS}); commit {moved[:12]} (2026-01-05T10:00:00Z, "
        f"Eve: one file for risk sign-offs) moved it to {rel} and changed it: this record "
        "says otherwise about decided_at"), first
    assert f"restore the record as commit {recorded[:12]} recorded it" in hint, hint
    assert state(ci) == before
    res = lineage(ci, "record", "validate", "--json")
    assert res.exit_code == 1, res.output
    assert [(e["file"], e["line"], e["field"]) for e in json.loads(res.stdout)["errors"]] == [
        (rel, 8, "decided_at")]

    # moved as it was recorded: accepted, dated by the commit that first held it
    (repo.path / rel).write_text(RITA)
    repo.commit("as rita recorded it")
    ci = fresh_clone(repo.path, tmp_path / "ci2")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output, res.output
    assert node(ci, "approval:churn-prod-risk")["committed_in"] == recorded


def test_a_record_moved_out_of_a_deleted_file_and_edited_is_refused(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, recorded = origin
    repo.git("rm", "-q", APPROVALS)
    repo.write("governance/approvals/lead.yaml", "# the lead's sign-offs\n" + ADA.replace(
        "approver: ada@example.com", "approver: max@example.com") + MAX.replace(
        "churn-prod-max", "churn-staging-max").replace("prod", "staging"))
    repo.write("governance/approvals/risk.yaml", "# the risk officer's\n" + RITA)
    moved = repo.commit("one file per role")
    ci = fresh_clone(repo.path, tmp_path / "ci")
    res = lineage(ci, "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(
        "error: governance/approvals/lead.yaml:6 (approver): record approval:churn-prod-lead "
        f"is already recorded with approver 'ada@example.com' (commit {recorded[:12]}, "
        f"2026-01-01T01:00:00Z, in {APPROVALS}); commit {moved[:12]} "), res.stderr
    assert "moved it to governance/approvals/lead.yaml and changed it" in res.stderr


# -- what git's history says, not what committers' dates say ----------------------------------
def test_a_move_dated_no_later_than_the_record_is_still_judged_by_its_first_file(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    """The commit moving and editing the record is given the first one's committer date (a
    script, a rebase keeping dates): git's graph, not the date, says which came first."""
    repo, recorded = origin
    when = repo.git("show", "-s", "--format=%cI", recorded)
    approvals = repo.path / APPROVALS
    approvals.write_text(ADA)
    repo.write("governance/risk.yaml", RITA.replace("role: risk-officer", "role: ml-lead"))
    moved = commit_as(repo.path, "eve", "split", when)
    res = lineage(fresh_clone(repo.path, tmp_path / "ci"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(
        "error: governance/risk.yaml:6 (role): record approval:churn-prod-risk is already "
        f"recorded with role 'risk-officer' (commit {recorded[:12]}, "), res.stderr
    assert f"commit {moved[:12]} " in res.stderr and "moved it to governance/risk.yaml" \
        in res.stderr, res.stderr


def test_a_merge_keeping_the_other_side_s_edit_is_refused(git_repo: GitRepo,
                                                          tmp_path: Path) -> None:
    """The mainline records the risk sign-off; a branch made before records it otherwise; the
    merge takes the branch's file. git's default history of the folder skips the mainline's
    commit (the merge is the same as the branch there): every line of history is read."""
    repo = git_repo
    repo.write("governance/run/train-1.yaml", RUN)
    base = repo.commit("train churn v1.0.0")
    main = repo.git("rev-parse", "--abbrev-ref", "HEAD")
    repo.write(APPROVALS, RITA)
    recorded = repo.commit("rita signs off")
    repo.git("checkout", "-q", "-b", "side", base)
    repo.write(APPROVALS, RITA.replace("2026-01-01T00:45:00Z", "2026-01-02T00:45:00Z"))
    repo.commit("rita signs off, dated later")
    repo.git("checkout", "-q", main)
    repo.git("merge", "-q", "--no-commit", "-s", "ours", "side")
    repo.git("checkout", "side", "--", APPROVALS)  # the merge keeps the branch's file
    repo.commit("merge side, taking its approvals")
    # git's default history of the file has no commit recording it as the mainline did
    assert recorded not in repo.git("log", "--format=%H", "--", APPROVALS).split()
    res = lineage(fresh_clone(repo.path, tmp_path / "ci"), "harvest", "--only", "records")
    assert res.exit_code == 2, res.output
    assert "(decided_at): record approval:churn-prod-risk is already recorded with " \
           f"decided_at '2026-01-01T00:45:00Z' (commit {recorded[:12]}" in res.stderr, res.stderr


def test_a_record_file_renamed_to_a_name_not_read_is_said_as_deleted(
        origin: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, _ = origin
    repo.git("mv", APPROVALS, "governance/approvals.yaml.orig")
    renamed = repo.commit("keep the old approvals aside")
    res = lineage(fresh_clone(repo.path, tmp_path / "ci"), "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    for nid in ("approval:churn-prod-risk", "approval:churn-prod-lead"):
        assert f"record {nid}, recorded in {APPROVALS} by commit " in said, said
    assert f"was removed from it by commit {renamed[:12]} " in said, said
    assert ", which renamed the file to governance/approvals.yaml.orig (a name the harvest " \
           "does not read), and is in no record file now" in said, said
