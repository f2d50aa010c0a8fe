"""A CD job appends one record to a long record file: the next harvest parses and checks only
the records appended — the file's earlier version, read before, is the start of the new one
byte for byte — and every check still holds: an appended record is named by its line in the
file, a record edited before the end (with or without one appended) is read as a change of
the file, an id the earlier part holds with other content is refused naming both lines, an
appended record that continues the last one (a key given twice), or that holds an anchor and
an alias, has the whole file read. Real git repositories, the real CLI (in process, so the
records validated can be counted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import lineage.records as records
from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
APPROVALS = "governance/approvals.yaml"
N = 1200  # three commits of 400


def at(i: int) -> str:
    return f"2026-01-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z"


def record(i: int, approver: str = "alice") -> str:
    if i % 3 == 2:
        return (f"- kind: deployment\n  model: churn@v1.{i}.0\n  environment: prod\n"
                f"  deployed_at: {at(i)}\n  deployed_by: cd-bot\n")
    rid = f"  id: appr-{i}\n" if i % 2 else ""
    return (f"- kind: approval\n{rid}  model: churn@v1.{i}.0\n  environment: prod\n"
            f"  approver: {approver}\n  decision: approved\n  decided_at: {at(i)}\n")


@pytest.fixture
def harvested(git_repo: GitRepo) -> GitRepo:
    """The CD job's file of N records in three commits, harvested once."""
    text = ""
    for part in range(3):
        text += "".join(record(i) for i in range(part * 400, (part + 1) * 400))
        git_repo.write(APPROVALS, text)
        git_repo.commit(f"cd: records {part * 400}-{(part + 1) * 400}")
    api.init(git_repo.path)
    harvest(git_repo.path)
    return git_repo


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many records the harvests validate (parsed from a file's text)."""
    calls: list[int] = []
    validate = records.validate_data

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return validate(*args, **kwargs)

    monkeypatch.setattr(records, "validate_data", counted)
    return calls


def lineage(repo: Path, *args: str) -> Result:
    return runner.invoke(app, [args[0], "-C", str(repo), *args[1:]])


def harvest(repo: Path) -> dict[str, Any]:
    res = lineage(repo, "harvest", "--only", "git,records", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def failed(repo: Path) -> str:
    res = lineage(repo, "harvest", "--only", "git,records")
    assert res.exit_code == 2, res.output
    return res.output


def attrs(repo: Path, nid: str) -> dict[str, Any] | None:
    with api.open_store(repo) as store:
        node = store.get_node(nid)
        return None if node is None else dict(node.attrs)


def append(repo: GitRepo, text: str) -> None:
    with open(repo.path / APPROVALS, "a", encoding="utf-8") as f:
        f.write(text)


def line_of(repo: GitRepo, line: str) -> int:
    lines = (repo.path / APPROVALS).read_text().splitlines()
    return next(n for n, ln in enumerate(lines, 1) if ln.strip() == line)


def test_one_record_appended_is_the_only_one_read(harvested: GitRepo,
                                                  validated: list[int]) -> None:
    repo = harvested
    append(repo, record(N + 1))  # appr-1201
    sha = repo.commit("cd: approval 1201")
    harvest(repo.path)
    assert len(validated) == 1, len(validated)
    got = attrs(repo.path, f"approval:appr-{N + 1}")
    assert got is not None and got["committed_in"] == sha, got
    # again: the file unchanged, nothing read; two more appended in one commit: those two
    harvest(repo.path)
    assert len(validated) == 1
    append(repo, record(N + 3) + "# appended by the CD job\n" + record(N + 4))
    repo.commit("cd: 1203, 1204")
    harvest(repo.path)
    assert len(validated) == 3, len(validated)
    assert attrs(repo.path, f"approval:appr-{N + 3}") is not None
    # a fresh clone's harvest holds the same records, read whole
    with api.open_store(repo.path) as store:
        counts = store.counts()["nodes"]
    assert counts["approval"] + counts["deployment"] == N + 3


def test_an_appended_record_is_named_by_its_line_in_the_file(harvested: GitRepo,
                                                             validated: list[int]) -> None:
    repo = harvested
    append(repo, record(N + 1).replace("decision: approved", "decision: approve"))
    out = failed(repo.path)
    line = line_of(repo, "decision: approve")
    assert line == len((repo.path / APPROVALS).read_text().splitlines()) - 1, line
    assert f"{APPROVALS}:{line} (decision)" in out, out
    assert "did you mean 'approved'?" in out, out
    assert attrs(repo.path, f"approval:appr-{N + 1}") is None  # nothing written


def test_a_record_edited_before_the_end_is_a_change_of_the_file(
        harvested: GitRepo, validated: list[int]) -> None:
    repo = harvested
    path = repo.path / APPROVALS
    text = path.read_text()
    assert text.count(record(601)) == 1
    path.write_text(text.replace(record(601), record(601, approver="mallory")) + record(N + 1))
    out = failed(repo.path)
    line = line_of(repo, "approver: mallory")
    assert f"{APPROVALS}:{line} (approver)" in out, out
    assert "approval:appr-601 is already recorded with approver 'alice'" in out, out
    assert len(validated) >= N, len(validated)  # read whole
    assert attrs(repo.path, f"approval:appr-{N + 1}") is None


def test_an_id_the_file_holds_appended_with_other_content_is_refused(
        harvested: GitRepo) -> None:
    repo = harvested
    append(repo, record(601, approver="mallory"))  # appr-601 again, another approver
    out = failed(repo.path)
    first = line_of(repo, "id: appr-601") + 3  # its approver
    again = line_of(repo, "approver: mallory")
    assert (f"{APPROVALS}:{again} (approver): record approval:appr-601 is also in "
            f"{APPROVALS}:{first}, which says otherwise about approver") in out, out
    assert attrs(repo.path, "approval:appr-601")["approver"] == "alice"  # type: ignore[index]
    # the identical record appended again is the same record: accepted, nothing new
    (repo.path / APPROVALS).write_text((repo.path / APPROVALS).read_text()
                                       .rsplit(record(601, approver="mallory"), 1)[0]
                                       + record(601))
    harvest(repo.path)


def test_a_line_that_continues_the_last_record_is_read_with_it(
        harvested: GitRepo, validated: list[int]) -> None:
    """No `- ` at the start: the last record (a deployment) goes on, here giving its
    deployed_by twice."""
    repo = harvested
    append(repo, "  deployed_by: mallory\n")
    out = failed(repo.path)
    line = line_of(repo, "deployed_by: mallory")
    assert f"{APPROVALS}:{line} (deployed_by): field deployed_by given twice (first on line " \
        f"{line - 1})" in out, out


def test_records_appended_with_an_anchor_and_an_alias_are_read_whole(
        harvested: GitRepo, validated: list[int]) -> None:
    repo = harvested
    append(repo, f"- &base\n  kind: approval\n  id: appr-a\n  model: churn@v1.{N}.0\n"
                 "  environment: prod\n  approver: bob\n  decision: approved\n"
                 f"  decided_at: {at(N)}\n"
                 "- <<: *base\n  id: appr-b\n  approver: carol\n")
    harvest(repo.path)
    assert len(validated) >= N, len(validated)  # the whole file read
    b = attrs(repo.path, "approval:appr-b")
    assert b is not None and (b["approver"], b["model"]) == ("carol", f"model:churn@v1.{N}.0")


def test_a_file_rewritten_shorter_then_appended_is_read_whole(
        harvested: GitRepo, validated: list[int]) -> None:
    """The earlier version is no longer its start (a record removed): read whole, and the
    removal is said as before."""
    repo = harvested
    path = repo.path / APPROVALS
    path.write_text(path.read_text().replace(record(703), "") + record(N + 1))
    repo.commit("drop one, add one")
    said = harvest(repo.path)
    assert len(validated) >= N - 1, len(validated)
    assert attrs(repo.path, f"approval:appr-{N + 1}") is not None
    assert said["harvesters"]["records"] is not None


def test_a_file_read_under_other_model_aliases_is_read_whole(
        harvested: GitRepo, validated: list[int]) -> None:
    """`model_aliases` changed since the file was read: its records are read whole, under the
    names they have now, as any changed file's."""
    repo = harvested
    repo.write("lineage.yaml", "model_aliases:\n  churn-gto: churn\n")
    append(repo, record(N + 1))
    harvest(repo.path)
    assert len(validated) >= N, len(validated)
    assert attrs(repo.path, f"approval:appr-{N + 1}") is not None
    # read under these names now: the next record appended is read alone
    append(repo, record(N + 3))
    harvest(repo.path)
    assert len(validated) <= N + 1 + 2, len(validated)
    assert attrs(repo.path, f"approval:appr-{N + 3}") is not None
