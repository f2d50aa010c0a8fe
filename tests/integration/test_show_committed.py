"""`lineage show`: a record harvested from a governance file committed to git was recorded when
git first held it — the commit that added it to its file — when that is earlier than the
store's first writing of it (a CI job's fresh clone, the quickstart demo, harvest every
record long after it was committed). The harvest that first writes a committed record keeps
that commit on its node (``committed_at``, ``committed_in``): ids, the immutability check and
later harvests are unchanged, and a record the store already holds is not rewritten for it.

The origin repository's commits are pinned (GitRepo: 2026-01-01T01:00Z, 02:00Z, …); the
store of a clone writes today, months later."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
WEIGHTS = "weights of v1\n"
RUN = f"""kind: run
id: train-1
name: train
status: FINISHED
start_time: 2026-01-01T00:00:00Z
end_time: 2026-01-01T00:30:00Z
models:
  - name: churn
    version: v1.0.0
    path: models/churn.bin
    hash: md5:{hashlib.md5(WEIGHTS.encode()).hexdigest()}
"""
ASSESSMENT = """kind: risk_assessment
id: churn-2026
model_group: churn
tier: high
assessor: carol@example.com
assessed_at: 2026-01-01T00:45:00Z
"""
# decided 15 minutes before its commit: recorded at the time
TIMELY = """kind: approval
id: rita-ok
model: churn@v1.0.0
environment: prod
approver: rita@example.com
decision: approved
decided_at: 2026-01-01T01:45:00Z
"""
# decided in June, committed in January: back-dated by its writer
BACK_DATED = """kind: approval
id: omar-late
model: churn@v1.0.0
environment: prod
approver: omar@example.com
decision: approved
decided_at: 2025-06-01T00:00:00Z
"""
# no id: derived from the record's content, as before
DEPLOYMENT = """kind: deployment
model: churn@v1.0.0
environment: prod
deployed_at: 2026-01-01T03:30:00Z
deployed_by: deploy-bot
"""


def lineage(repo: Path, *args: str, columns: int = 240) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.stdout


def governance(repo: Path, *args: str) -> dict[str, Any]:
    return json.loads(lineage(repo, "show", "churn@v1.0.0", "--json", *args))[  # type: ignore[no-any-return]
        "governance"]


def by_id(gov: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for key in ("assessments", "approvals", "deployments")
            for r in gov[key]}


def row(out: str, word: str, section: str) -> str:
    """The row of ``section``'s table whose first line holds ``word``, its lines joined."""
    body = out.split(f"\n{section}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    start = next(i for i, x in enumerate(body) if x[:2].strip() and word in x.split())
    end = next((i for i in range(start + 1, len(body)) if body[i][:2].strip()), len(body))
    return " ".join(body[start:end])


def time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def committer_date(repo: GitRepo, sha: str) -> str:
    return time(repo.git("show", "-s", "--format=%cI", sha)).astimezone(UTC).isoformat() \
        .replace("+00:00", "Z")


def node(repo: Path, nid: str) -> tuple[Any, ...]:
    """The store's row of a node: attributes, hash and the event that wrote it."""
    import sqlite3

    conn = sqlite3.connect(repo / ".lineage" / "lineage.db")
    try:
        return tuple(conn.execute("SELECT attrs, hash, seq FROM nodes WHERE id = ?",
                                  (nid,)).fetchone())
    finally:
        conn.close()


def events(repo: Path) -> int:
    store = api.open_store(repo)
    try:
        return store.head()[0]
    finally:
        store.close()


@pytest.fixture
def origin(git_repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    """The governance files committed one by one (the commit of each in the dict)."""
    repo = git_repo
    repo.write("models/churn.bin", WEIGHTS)
    repo.write("governance/run/train-1.yaml", RUN)
    repo.write("governance/risk.yaml", ASSESSMENT)
    shas = {"run": repo.commit("train churn v1.0.0")}  # 2026-01-01T01:00Z
    shas["risk_assessment:churn-2026"] = shas["run"]
    repo.write("governance/approvals.yaml", TIMELY)
    shas["approval:rita-ok"] = repo.commit("rita approves")  # 02:00Z
    repo.write("governance/late.yaml", BACK_DATED)
    shas["approval:omar-late"] = repo.commit("omar's approval")  # 03:00Z
    repo.write("governance/deploy.yaml", DEPLOYMENT)
    shas["deployment"] = repo.commit("deploy to prod")  # 04:00Z
    return repo, shas


def clone(origin: GitRepo, target: Path) -> Path:
    origin.run("git", "clone", "-q", f"file://{origin.path}", str(target))
    api.init(target)
    api.harvest(target)
    return target


def test_a_fresh_clone_dates_each_record_by_the_commit_that_added_it(
        origin: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, shas = origin
    before = datetime.now(UTC)
    ci = clone(repo, tmp_path / "ci")
    gov = governance(ci)
    recs = by_id(gov)
    [deployment] = [r for r in recs if r.startswith("deployment:")]
    shas[deployment] = shas.pop("deployment")
    for nid, sha in shas.items():
        if nid == "run":
            continue
        r = recs[nid]
        assert r["recorded_by"] == "commit", r
        assert r["committed_in"] == sha, r
        assert r["recorded_at"] == r["committed_at"] == committer_date(repo, sha), r
        assert time(r["stored_at"]) >= before - timedelta(seconds=1), r  # the harvest's time
    # recorded 15 minutes … an hour after their dates: not late; the back-dated one is
    for nid in ("risk_assessment:churn-2026", "approval:rita-ok", deployment):
        assert recs[nid]["recorded_late"] is None, recs[nid]
    late = recs["approval:omar-late"]["recorded_late"]
    assert late == {"attribute": "decided_at", "date": "2025-06-01T00:00:00Z",
                    "recorded": "2026-01-01T03:00:00Z", "days": 214}, late

    out = lineage(ci, "show", "churn@v1.0.0")
    cell = row(out, "rita-ok", "Approvals")
    assert "2026-01-01T02:00:00Z" in cell and \
        f"(committed {shas['approval:rita-ok'][:12]})" in cell, cell
    assert "later" not in cell, cell
    cell = row(out, "omar-late", "Approvals")
    assert f"(committed {shas['approval:omar-late'][:12]})" in cell, cell
    assert "214 days later" in cell, cell
    cell = row(out, "churn-2026", "Risk tier (assessments of the model group)")
    assert f"(committed {shas['risk_assessment:churn-2026'][:12]})" in cell, cell
    assert "later" not in cell, cell
    # on an 80-column terminal, on the record's line
    cell = row(lineage(ci, "show", "churn@v1.0.0", columns=80), "rita-ok", "Approvals")
    assert (f"recorded: 2026-01-01T02:00:00Z · (committed "
            f"{shas['approval:rita-ok'][:12]})") in cell, cell
    # the record shown alone says it too
    one = lineage(ci, "show", "omar-late").split("What it names", 1)[0]
    assert (f"recorded at     2026-01-01T03:00:00Z (committed "
            f"{shas['approval:omar-late'][:12]})") in one, one
    assert "214 days later than its date (decided_at 2025-06-01T00:00:00Z)" in one, one


def test_the_commit_changes_no_id_and_no_later_harvest(
        origin: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    """The node ids are those of the files' content; the record recorded again with the CLI
    (identical) is no change; harvesting again writes nothing; the log verifies."""
    from lineage.records import parse_file

    repo, shas = origin
    ci = clone(repo, tmp_path / "ci")
    [derived] = parse_file(ci / "governance" / "deploy.yaml", ci)
    store = api.open_store(ci)
    try:
        node = store.get_node(derived.node_id)
        assert node is not None and node.attrs["committed_in"] == shas["deployment"], node
    finally:
        store.close()
    head = events(ci)
    api.harvest(ci)
    assert events(ci) == head
    # recording the identical approval again: accepted, nothing changes (0 facts)
    res = runner.invoke(app, ["record", "approval", "-C", str(ci), "--model", "churn@v1.0.0",
                              "--env", "prod", "--approver", "rita@example.com",
                              "--decided-at", "2026-01-01T01:45:00Z", "--id", "rita-ok"])
    assert res.exit_code == 0, res.output
    assert by_id(governance(ci))["approval:rita-ok"]["committed_in"] == \
        shas["approval:rita-ok"]
    assert runner.invoke(app, ["verify", "-C", str(ci)]).exit_code == 0


def pull(repo: GitRepo, clone: Path) -> None:
    other = GitRepo.__new__(GitRepo)
    other.path, other.tick = clone, repo.tick
    other.git("pull", "-q", "--ff-only")


def test_it_is_kept_as_first_harvested(origin: tuple[GitRepo, dict[str, str]],
                                       tmp_path: Path) -> None:
    """The record's file renamed and reformatted (git follows it): the commit that first
    held the record stays, in a clone harvested before and in a fresh one. Moved into
    another file (no rename git sees), a store that held it keeps the first commit, and so
    does a fresh clone: it reads the history of the file deleted too."""
    repo, shas = origin
    ci = clone(repo, tmp_path / "ci")
    (repo.path / "governance" / "prod").mkdir()
    repo.git("mv", "governance/approvals.yaml", "governance/prod/approvals.yaml")
    repo.write("governance/prod/approvals.yaml", "# reviewed again\n" + TIMELY)
    repo.commit("move the approvals")
    pull(repo, ci)
    api.harvest(ci)
    fresh = clone(repo, tmp_path / "fresh")
    for store in (ci, fresh):
        r = by_id(governance(store))["approval:rita-ok"]
        assert (r["committed_in"], r["recorded_at"]) == (shas["approval:rita-ok"],
                                                         "2026-01-01T02:00:00Z"), (store, r)

    repo.git("rm", "-q", "governance/prod/approvals.yaml")
    repo.write("governance/late.yaml", f"- {BACK_DATED.replace(chr(10), chr(10) + '  ')}\n"
               f"- {TIMELY.replace(chr(10), chr(10) + '  ')}\n")
    moved = repo.commit("one file of approvals")
    pull(repo, ci)
    api.harvest(ci)
    r = by_id(governance(ci))["approval:rita-ok"]
    assert r["committed_in"] == shas["approval:rita-ok"], r
    again = clone(repo, tmp_path / "again")
    r = by_id(governance(again))["approval:rita-ok"]
    assert (r["committed_in"], r["recorded_at"]) == (shas["approval:rita-ok"],
                                                     "2026-01-01T02:00:00Z"), (moved, r)


def test_a_record_the_store_holds_is_not_rewritten_for_its_commit(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """`lineage record --write-file` today, the file then committed with a January date: the
    store that wrote the record keeps it as it was (its writing is its first evidence; no
    event rewrites it); a fresh clone dates it by the commit — git's word (docs/records.md,
    "Trust")."""
    repo = git_repo
    repo.write("models/churn.bin", WEIGHTS)
    repo.write("governance/run/train-1.yaml", RUN)
    repo.commit("train churn v1.0.0")
    api.init(repo.path)
    api.harvest(repo.path)
    before = datetime.now(UTC)
    lineage(repo.path, "record", "approval", "--model", "churn@v1.0.0", "--env", "prod",
            "--approver", "rita@example.com", "--decided-at", "2026-01-01T01:30:00Z",
            "--id", "cli-1", "--write-file")
    sha = repo.commit("record cli-1")  # 2026-01-01T02:00Z
    stored = node(repo.path, "approval:cli-1")
    api.harvest(repo.path)
    assert node(repo.path, "approval:cli-1") == stored
    r = by_id(governance(repo.path))["approval:cli-1"]
    assert (r["recorded_by"], r["committed_at"], r["committed_in"]) == ("store", None, None), r
    assert time(r["recorded_at"]) >= before - timedelta(seconds=1) and r["recorded_late"], r
    cell = row(lineage(repo.path, "show", "churn@v1.0.0"), "cli-1", "Approvals")
    assert "committed" not in cell and "days later" in cell, cell

    fresh = clone(repo, tmp_path / "fresh")
    r = by_id(governance(fresh))["approval:cli-1"]
    assert (r["recorded_by"], r["recorded_at"], r["committed_in"]) == (
        "commit", "2026-01-01T02:00:00Z", sha), r
    assert r["recorded_late"] is None, r


def test_a_store_harvested_before_is_not_rewritten(
        origin: tuple[GitRepo, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose records were harvested before records kept their commit: its next
    harvests write nothing — not even when they read the files again — and the log
    verifies; its records are dated by the store's writing, as before."""
    import connectors.harvesters.records as records

    repo, _ = origin
    ci = tmp_path / "ci"
    repo.run("git", "clone", "-q", f"file://{repo.path}", str(ci))
    api.init(ci)
    with monkeypatch.context() as old:
        old.setattr(records, "CACHE_NS", "records:before")
        old.setattr(records, "COMMITTED_KINDS", ())
        api.harvest(ci)
    head = events(ci)
    api.harvest(ci)  # every file read again (another cache)
    api.harvest(ci)
    assert events(ci) == head
    recs = by_id(governance(ci))
    assert all(r["committed_at"] is None and r["recorded_by"] == "store"
               for r in recs.values()), recs
    assert recs["approval:rita-ok"]["recorded_late"] is not None  # the store's writing
    res = runner.invoke(app, ["verify", "-C", str(ci)])
    assert res.exit_code == 0, res.output


def test_a_record_file_not_committed_keeps_no_commit(git_repo: GitRepo) -> None:
    repo = git_repo
    repo.write("models/churn.bin", WEIGHTS)
    repo.write("governance/run/train-1.yaml", RUN)
    repo.commit("train churn v1.0.0")
    repo.write("governance/approvals.yaml", TIMELY)  # not committed
    api.init(repo.path)
    api.harvest(repo.path)
    r = by_id(governance(repo.path))["approval:rita-ok"]
    assert (r["committed_at"], r["committed_in"], r["recorded_by"]) == (None, None, "store")
    assert "committed" not in row(lineage(repo.path, "show", "churn@v1.0.0"), "rita-ok",
                                  "Approvals")
