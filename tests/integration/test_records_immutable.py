"""Records are immutable through the harvester too: an edited governance file, or a file
reusing the id of a record already in the store, cannot change that record (DESIGN §3)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

APPROVALS = "governance/churn/approvals.yaml"
runner = CliRunner()


@pytest.fixture
def repo(governance_repo: GitRepo) -> GitRepo:
    return governance_repo


def _harvest(repo: GitRepo):
    return runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])


def _record(repo: GitRepo, *args: str):
    return runner.invoke(app, ["record", *args, "-C", str(repo.path)])


def _state(repo: GitRepo) -> tuple[tuple[int, str], dict, dict]:
    """Everything a user could see change: log head, counts and every node's attributes."""
    store = api.open_store(repo.path)
    try:
        nodes = {n.id: n.attrs for n in store.iter_nodes()}
        return store.head(), store.counts(), nodes
    finally:
        store.close()


def _node(repo: GitRepo, nid: str) -> dict:
    store = api.open_store(repo.path)
    try:
        node = store.get_node(nid)
        assert node is not None, nid
        return node.attrs
    finally:
        store.close()


def _edit(repo: GitRepo, rel: str, old: str, new: str) -> None:
    p = repo.path / rel
    text = p.read_text()
    assert text.count(old) == 1, old
    p.write_text(text.replace(old, new))


def _line(repo: GitRepo, rel: str, text: str) -> int:
    lines = (repo.path / rel).read_text().splitlines()
    return next(i for i, ln in enumerate(lines, 1) if text in ln)


# -- an edited governance file ---------------------------------------------------------------
@pytest.mark.parametrize("old,new,field,was", [
    ("approver: alice", "approver: mallory", "approver", "'alice'"),
    ("decision: approved\n  decided_at: 2026-01-20", "decision: rejected\n  decided_at: 2026-01-20",
     "decision", "'approved'"),
])
def test_an_edited_record_file_is_refused_and_the_store_is_unchanged(
        repo: GitRepo, old: str, new: str, field: str, was: str) -> None:
    assert _harvest(repo).exit_code == 0
    before = _state(repo)
    _edit(repo, APPROVALS, old, new)
    res = _harvest(repo)
    assert res.exit_code == 2, res.output
    line = _line(repo, APPROVALS, new.splitlines()[0])
    first, *rest = res.stderr.splitlines()
    assert first == (
        f"error: {APPROVALS}:{line} ({field}): record approval:churn-v1.1.0-prod is already "
        f"recorded with {field} {was}: this record says otherwise about {field}")
    assert rest[0].startswith("hint: records are immutable: ")
    assert "its own `id:`" in rest[0] and "supersedes: churn-v1.1.0-prod" in rest[0]
    assert _state(repo) == before
    # put back as it was: harvests again, writing nothing
    _edit(repo, APPROVALS, new, old)
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    assert _state(repo) == before


def test_the_correction_as_a_new_record_that_supersedes_is_accepted(repo: GitRepo) -> None:
    # (by the approver: only they correct their decision, test_audit_correction_approver.py)
    assert _harvest(repo).exit_code == 0
    with (repo.path / APPROVALS).open("a") as f:
        f.write("\n- kind: approval\n  id: churn-v1.1.0-prod-2\n  model: churn@v1.1.0\n"
                "  environment: prod\n  approver: alice\n  decision: rejected\n"
                "  decided_at: 2026-01-22T10:00:00Z\n"
                "  properties: {supersedes: churn-v1.1.0-prod}\n")
    assert _harvest(repo).exit_code == 0
    assert _node(repo, "approval:churn-v1.1.0-prod")["approver"] == "alice"
    new = _node(repo, "approval:churn-v1.1.0-prod-2")
    assert new["properties"] == {"supersedes": "churn-v1.1.0-prod"}


def test_completing_a_field_the_record_lacked_is_accepted(repo: GitRepo) -> None:
    # as `lineage record` allows: a deployment's retirement completes it
    rel = "governance/churn/deployments.yaml"
    assert _harvest(repo).exit_code == 0
    nid = "deployment:churn:prod:2026-01-21T08:00:00Z"
    assert "retired_at" not in _node(repo, nid)
    with (repo.path / rel).open("a") as f:
        f.write("retired_at: 2026-06-01T00:00:00Z\n")
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    attrs = _node(repo, nid)
    assert attrs["retired_at"] == "2026-06-01T00:00:00Z"
    assert attrs["endpoint"] == "https://models.example.com/churn"
    # ... but not changing it afterwards
    _edit(repo, rel, "retired_at: 2026-06-01T00:00:00Z", "retired_at: 2026-07-01T00:00:00Z")
    res = _harvest(repo)
    assert res.exit_code == 2 and "(retired_at): record " + nid in res.stderr


def test_an_edited_alert_status_is_a_new_record(repo: GitRepo) -> None:
    rel = "governance/churn/alerts.json"
    assert _harvest(repo).exit_code == 0
    before = _state(repo)
    _edit(repo, rel, '"resolved"', '"acknowledged"')
    res = _harvest(repo)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"error: {rel}:10 (status): record "
                                 "alert:churn-psi-2026-01-05 is already recorded with status "
                                 "'resolved'")
    assert _state(repo) == before


# -- a governance file naming a record `lineage record` wrote ------------------------------------
RECORDED = ["approval", "--id", "appr-1", "--model", "churn@v1.1.0", "--env", "prod",
            "--approver", "rita", "--decision", "approved", "--decided-at",
            "2026-01-19T12:30:00Z"]
FILE = """\
kind: approval
id: appr-1
model: churn@v1.1.0
environment: prod
approver: rita
decision: approved
decided_at: 2026-01-19T12:30:00Z
"""


def test_a_file_reusing_a_recorded_id_to_say_otherwise_is_refused(repo: GitRepo) -> None:
    (repo.path / "governance").rename(repo.path / "later")  # only the store and our file
    assert _record(repo, *RECORDED).exit_code == 0
    before = _state(repo)
    repo.write("governance/appr-1.yaml", FILE.replace("approver: rita", "approver: mallory"))
    res = _harvest(repo)
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines()[0] == (
        "error: governance/appr-1.yaml:5 (approver): record approval:appr-1 is already recorded "
        "with approver 'rita': this record says otherwise about approver")
    assert "supersedes: appr-1" in res.stderr
    assert _state(repo) == before


def test_a_file_saying_what_was_recorded_or_completing_it_is_accepted(repo: GitRepo) -> None:
    (repo.path / "governance").rename(repo.path / "later")
    assert _record(repo, *RECORDED).exit_code == 0
    repo.write("governance/appr-1.yaml", FILE + "role: risk-officer\n")
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    attrs = _node(repo, "approval:appr-1")
    assert (attrs["approver"], attrs["role"]) == ("rita", "risk-officer")
    assert attrs["record_file"] == "governance/appr-1.yaml"  # provenance: not a clash


# -- moved files: where a record is written is provenance, not content ------------------------
def test_a_moved_file_lands_on_the_same_records(repo: GitRepo) -> None:
    assert _harvest(repo).exit_code == 0
    head = _state(repo)[0]
    (repo.path / "governance/archive").mkdir()
    for name in ("approvals.yaml", "run.yaml", "deployments.yaml"):
        (repo.path / "governance/churn" / name).rename(repo.path / "governance/archive" / name)
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    assert _node(repo, "approval:churn-v1.1.0-prod")["record_file"] == (
        "governance/archive/approvals.yaml")
    run = _node(repo, "run:lineage:7b0c4f0e9a7d4a55b7c1d2e3f4a5b6c7")
    assert run["properties"]["record_file"] == "governance/archive/run.yaml"
    assert _state(repo)[0][0] == head[0] + 1  # one harvest event: the new record_file values


def test_a_moved_and_edited_file_is_refused_naming_its_new_path(repo: GitRepo) -> None:
    assert _harvest(repo).exit_code == 0
    before = _state(repo)
    moved = "governance/approvals-2026.yaml"
    (repo.path / APPROVALS).rename(repo.path / moved)
    _edit(repo, moved, "approver: bob", "approver: eve")
    res = _harvest(repo)
    assert res.exit_code == 2, res.output
    line = _line(repo, moved, "approver: eve")
    assert res.stderr.startswith(f"error: {moved}:{line} (approver): record "
                                 "approval:churn-v1.1.0-staging is already recorded with "
                                 "approver 'bob'")
    assert _state(repo) == before


# -- documents: a record pins its document's content ----------------------------------------------
def test_a_changed_document_of_a_record_without_hash_keeps_its_hash(repo: GitRepo) -> None:
    """The record pins the content it was first harvested with: the document edited after
    it neither fails the harvest nor moves the pin; writing another content_hash into the
    record file is a change of the record, refused naming that line."""
    rel = "governance/notes.yaml"
    repo.write("notes.md", "# notes v1\n")
    repo.write(rel, "kind: document\nid: notes\ndoc_kind: other\nuri: notes.md\n"
               "model_group: churn\n")
    assert _harvest(repo).exit_code == 0
    pinned = _node(repo, "document:notes")["content_hash"]
    before = _state(repo)
    repo.write("notes.md", "# notes v2, rewritten after the review\n")
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    assert _state(repo) == before and _node(repo, "document:notes")["content_hash"] == pinned

    import hashlib

    v2 = "sha256:" + hashlib.sha256(b"# notes v2, rewritten after the review\n").hexdigest()
    repo.write(rel, (repo.path / rel).read_text() + f"content_hash: {v2}\n")
    res = _harvest(repo)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"error: {rel}:6 (content_hash): record document:notes is "
                                 "already recorded with content_hash 'sha256:")
    assert "supersedes: notes" in res.stderr
    assert _state(repo) == before


# -- unchanged files stay cheap -----------------------------------------------------------------
def test_unchanged_files_are_neither_parsed_nor_checked_again(repo: GitRepo,
                                                              monkeypatch) -> None:
    assert _harvest(repo).exit_code == 0
    import connectors.harvesters.records as mod

    checked: list[str] = []
    real = mod.recorded_conflict

    def spy(store, record, nid, facts, **kw):
        checked.append(record.kind)
        return real(store, record, nid, facts, **kw)

    def no_parse(*a, **k):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(mod, "parse_file", no_parse)
    monkeypatch.setattr(mod, "recorded_conflict", spy)
    res = _harvest(repo)
    assert res.exit_code == 0, res.output
    # only the records re-applied anyway (documents: their file may change; runs)
    assert sorted(checked) == ["document", "document", "run"]
