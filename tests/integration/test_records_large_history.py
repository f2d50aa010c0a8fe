"""A record file a CD job appends to for years — thousands of approvals and deployments in
one ``governance/approvals.yaml`` — harvests into a fresh store (a CI clone) reading each
record once: its history (the commit that first held each record, edits since) is judged
from the records already read, not by parsing every record again, and every check of the
history holds as for a small file: a record edited in place deep in the file fails the
harvest naming its file, line, field and the commits, and a record removed is said."""

from __future__ import annotations

import re

import pytest

import connectors.harvesters.records as harvester
from lineage import api
from lineage.errors import InputError
from tests.conftest import GitRepo

APPROVALS = "governance/approvals.yaml"
N = 1500  # three appends of 500


def at(i: int) -> str:
    """The time of record ``i``: a minute after the one before."""
    return f"2026-01-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z"


def record(i: int) -> str:
    if i % 3 == 2:  # a deployment, named by version, environment and time
        return (f"- kind: deployment\n  model: churn@v1.{i}.0\n  environment: prod\n"
                f"  deployed_at: {at(i)}\n"
                "  deployed_by: cd-bot\n")
    rid = f"  id: appr-{i}\n" if i % 2 else ""  # with an id, or named by its content
    return (f"- kind: approval\n{rid}  model: churn@v1.{i}.0\n  environment: prod\n"
            f"  approver: alice\n  decision: approved\n"
            f"  decided_at: {at(i)}\n")


@pytest.fixture
def appended(git_repo: GitRepo) -> tuple[GitRepo, list[str]]:
    """The CD job's history: three commits, each appending 500 records."""
    shas = []
    text = ""
    for part in range(3):
        text += "".join(record(i) for i in range(part * 500, (part + 1) * 500))
        git_repo.write(APPROVALS, text)
        shas.append(git_repo.commit(f"cd: records {part * 500}-{(part + 1) * 500}"))
    api.init(git_repo.path)
    return git_repo, shas


def stored(repo: GitRepo, nid: str) -> dict:
    store = api.open_store(repo.path)
    try:
        node = store.get_node(nid)
        assert node is not None, nid
        return node.attrs
    finally:
        store.close()


def test_a_long_appended_file_is_parsed_once_and_keeps_its_commits(
        appended: tuple[GitRepo, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, shas = appended
    calls: list[int] = []
    parse = harvester.parse_text

    def counted(text: str, file: str):  # type: ignore[no-untyped-def]
        calls.append(text.count("\n- kind:") + text.startswith("- kind:"))
        return parse(text, file)

    monkeypatch.setattr(harvester, "parse_text", counted)
    result = api.harvest(repo.path, only=["git", "records"])
    assert result.report.warnings == []
    counts = api.open_store(repo.path).counts()["nodes"]
    assert counts["approval"] + counts["deployment"] == N
    # every version of the file holds records the work tree's file holds: none parsed again
    assert sum(calls) == 0, calls
    # each record keeps the commit that appended it
    assert stored(repo, "approval:appr-1")["committed_in"] == shas[0]
    assert stored(repo, "approval:appr-1003")["committed_in"] == shas[2]
    assert stored(repo, "approval:appr-1003")["committed_at"] == "2026-01-01T03:00:00Z"
    assert stored(repo, f"deployment:churn:prod:{at(602)}")["committed_in"] == shas[1]


def test_a_record_edited_deep_in_a_long_file_fails_a_fresh_harvest(
        appended: tuple[GitRepo, list[str]]) -> None:
    repo, shas = appended
    path = repo.path / APPROVALS
    text = path.read_text()
    old = record(1201)
    assert text.count(old) == 1
    path.write_text(text.replace(old, old.replace("approver: alice", "approver: mallory")))
    edited = repo.commit("tidy")
    with pytest.raises(InputError) as err:
        api.harvest(repo.path, only=["git", "records"])
    lines = path.read_text().splitlines()
    line = next(n for n, ln in enumerate(lines, 1) if "approver: mallory" in ln)
    assert (err.value.file, err.value.line, err.value.field) == (APPROVALS, line, "approver")
    assert (f"record approval:appr-1201 is already recorded with approver 'alice' "
            f"(commit {shas[2][:12]}, ") in err.value.message
    assert f"commit {edited[:12]} (" in err.value.message
    assert "changed it in place" in err.value.message
    store = api.open_store(repo.path)
    try:
        assert store.counts()["nodes"] == {}  # nothing written
    finally:
        store.close()


def test_a_record_removed_from_a_long_file_is_said(
        appended: tuple[GitRepo, list[str]]) -> None:
    repo, shas = appended
    path = repo.path / APPROVALS
    path.write_text(path.read_text().replace(record(703), ""))
    removed = repo.commit("drop one")
    result = api.harvest(repo.path, only=["git", "records"])
    said = [w for w in result.report.warnings if "appr-703" in w.message]
    assert len(said) == 1, [str(w) for w in result.report.warnings]
    assert said[0].commit == removed
    assert (f"record approval:appr-703, recorded in {APPROVALS} by commit {shas[1][:12]} "
            in said[0].message)


def test_a_file_too_large_to_harvest_quickly_is_said_once_with_the_fix(
        appended: tuple[GitRepo, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = appended
    monkeypatch.setattr(harvester, "LARGE_FILE", N)  # (200,000 records: too slow to test)
    result = api.harvest(repo.path, only=["git", "records"])
    said = [w for w in result.report.warnings if w.source == "records"]
    assert len(said) == 1, [str(w) for w in said]
    assert said[0].file == APPROVALS
    assert re.match(rf"{APPROVALS} holds {N} records \(0\.\d MB\): every harvest after a "
                    "change of it reads and checks each of them again", said[0].message)
    assert "governance/approvals-2026.yaml, governance/approvals-prod.yaml" in said[0].message
    # every record harvested all the same
    counts = api.open_store(repo.path).counts()["nodes"]
    assert counts["approval"] + counts["deployment"] == N
    # an unchanged file is not read again, nor said again
    assert [w for w in api.harvest(repo.path, only=["git", "records"]).report.warnings
            if w.source == "records"] == []


def test_a_file_below_the_size_said_is_not(appended: tuple[GitRepo, list[str]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = appended
    monkeypatch.setattr(harvester, "LARGE_FILE", N + 1)
    assert api.harvest(repo.path, only=["git", "records"]).report.warnings == []
