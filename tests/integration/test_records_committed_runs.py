"""A run record harvested from a committed governance file keeps, as approvals and deployments
do, the commit that added it to its file (``committed_in``) and that commit's date
(``committed_at``): an auditor sees which commit a run came from and when git first held it,
and a fresh clone's audit dates the run by the commit, not by the harvest months later.

Only the harvest that first writes the run does so: a run ``lineage record run`` wrote to the
store before its file was committed keeps the store's writing, a run completed later (a file
written RUNNING, then FINISHED) keeps the commit of its start, and recording the ended run
again (a CI step retried) writes nothing. Real git repositories with pinned dates, the real
CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

# no start or end time: the audit can date it only by its writing (store or commit)
FINISHED = """kind: run
id: train-1
name: train
experiment: churn
status: FINISHED
user: ci-bot
params: {lr: 0.1}
metrics: {auc: 0.91}
"""
RUNNING = FINISHED.replace("status: FINISHED", "status: RUNNING").replace(
    "metrics: {auc: 0.91}\n", "")


def lineage(repo: Path, *args: str, codes: tuple[int, ...] = (0,)) -> str:
    at = 2 if args[0] == "record" else 1  # (`record run -C …`)
    res = runner.invoke(app, [*args[:at], "-C", str(repo), *args[at:]])
    assert res.exit_code in codes, res.output
    return res.stdout


def attrs(repo: Path, nid: str) -> dict[str, Any]:
    with api.open_store(repo) as store:
        node = store.get_node(nid)
        assert node is not None, nid
        return dict(node.attrs)


def clone(origin: GitRepo, target: Path) -> Path:
    origin.run("git", "clone", "-q", f"file://{origin.path}", str(target))
    api.init(target)
    lineage(target, "harvest")
    return target


def committer_date(repo: GitRepo, sha: str) -> str:
    when = repo.git("show", "-s", "--format=%cI", sha)
    return when.replace("+00:00", "Z")


def test_a_run_harvested_from_a_committed_file_keeps_its_commit(
        git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("start")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    sha = git_repo.commit("record the training run")  # 2026-01-01T02:00Z
    git_repo.write("governance/notes.yaml", "[]\n")
    git_repo.commit("later")

    ci = clone(git_repo, tmp_path / "ci")
    run = attrs(ci, "run:lineage:train-1")
    assert run["committed_in"] == sha, run
    assert run["committed_at"] == committer_date(git_repo, sha) == "2026-01-01T02:00:00Z"
    # `lineage show --json` of the run gives it with the run's attributes
    shown = json.loads(lineage(ci, "show", "run:lineage:train-1", "--json"))
    [node] = [n for n in shown["nodes"] if n["id"] == "run:lineage:train-1"]
    assert node["attrs"]["committed_in"] == sha, node

    # the audit dates the run by the commit: in scope as of a day after it, though the store
    # (the fresh clone) first wrote it months later
    report = json.loads(lineage(ci, "audit", "--format", "json", "--as-of", "2026-01-02",
                                codes=(0, 1)))
    assert report["stats"]["runs_after_as_of"] == 0, report["stats"]
    report = json.loads(lineage(ci, "audit", "--format", "json", "--as-of", "2025-12-31",
                                codes=(0, 1)))
    assert report["stats"]["runs_after_as_of"] == 1, report["stats"]

    # harvesting again writes nothing; the trail verifies
    with api.open_store(ci) as store:
        head = store.head()[0]
    lineage(ci, "harvest")
    with api.open_store(ci) as store:
        assert store.head()[0] == head
    lineage(ci, "verify")


def test_the_ended_run_recorded_again_writes_nothing(git_repo: GitRepo, tmp_path: Path,
                                                     monkeypatch: Any) -> None:
    """A CI step retried after the run's file was committed and harvested: the same record
    (0 facts), the commit kept."""
    code = git_repo.commit("the training code")
    git_repo.write("governance/run/train-2.yaml", f"""kind: run
id: train-2
name: train
experiment: churn
commit: {code}
dirty: false
status: FINISHED
user: ci-bot
start_time: 2026-01-01T00:10:00Z
end_time: 2026-01-01T00:40:00Z
params: {{lr: 0.1}}
metrics: {{auc: 0.91}}
""")
    sha = git_repo.commit("record the training run")
    ci = clone(git_repo, tmp_path / "ci")
    assert attrs(ci, "run:lineage:train-2")["committed_in"] == sha
    monkeypatch.setenv("LINEAGE_ACTOR", "ci-bot")
    out = json.loads(lineage(ci, "record", "run", "--run-id", "train-2", "--name", "train",
                             "--experiment", "churn", "--status", "FINISHED", "--commit", code,
                             "--clean", "--start", "2026-01-01T00:10:00Z", "--end",
                             "2026-01-01T00:40:00Z", "--param", "lr=0.1", "--metric",
                             "auc=0.91", "--json"))
    assert out["facts_written"] == 0, out
    assert attrs(ci, "run:lineage:train-2")["committed_in"] == sha
    lineage(ci, "verify")


def test_a_run_completed_in_a_later_commit_keeps_the_commit_of_its_start(
        git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("governance/run/train-1.yaml", RUNNING)
    started = git_repo.commit("training started")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    git_repo.commit("training finished")

    ci = clone(git_repo, tmp_path / "ci")
    run = attrs(ci, "run:lineage:train-1")
    assert run["status"] == "FINISHED", run
    assert (run["committed_in"], run["committed_at"]) == (
        started, committer_date(git_repo, started)), run


def test_a_run_the_store_held_before_its_file_was_committed_is_not_rewritten(
        git_repo: GitRepo) -> None:
    """`lineage record run --write-file` in a job, committed and harvested after: the store's
    writing is the run's first evidence; the harvest writes nothing for it."""
    git_repo.write("README.md", "churn\n")
    git_repo.commit("start")
    api.init(git_repo.path)
    out = json.loads(lineage(git_repo.path, "record", "run", "--run-id", "train-1",
                             "--name", "train", "--status", "FINISHED", "--write-file",
                             "--json"))
    written = out["file"]
    git_repo.commit("the run's file", written)
    with api.open_store(git_repo.path) as store:
        head = store.head()[0]
    lineage(git_repo.path, "harvest", "--only", "records")
    run = attrs(git_repo.path, "run:lineage:train-1")
    assert "committed_in" not in run and "committed_at" not in run, run
    with api.open_store(git_repo.path) as store:
        assert store.head()[0] == head


def test_a_run_file_not_committed_gives_no_commit(git_repo: GitRepo) -> None:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("start")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    api.init(git_repo.path)
    lineage(git_repo.path, "harvest")
    run = attrs(git_repo.path, "run:lineage:train-1")
    assert "committed_in" not in run and "committed_at" not in run, run


def test_a_run_whose_commit_no_ref_holds_is_said_as_any_record(git_repo: GitRepo,
                                                                tmp_path: Path) -> None:
    """The run's file force-pushed away after CI harvested it (a store cached across the
    push): the store keeps the run, the harvest names it with its file and commit, and the
    audit fails harvest-complete for it, as for an approval."""
    git_repo.write("governance/risk.yaml", "kind: risk_assessment\nid: churn-2026\n"
                   "model_group: churn\ntier: minimal\nassessed_at: 2026-01-01\n")
    base = git_repo.commit("start")
    git_repo.write("governance/run/train-1.yaml", FINISHED)
    sha = git_repo.commit("record the training run")
    ci = clone(git_repo, tmp_path / "ci")
    git_repo.git("reset", "-q", "--hard", base)
    git_repo.write("README.md", "rewritten\n")
    git_repo.commit("history rewritten")
    fetched = GitRepo.__new__(GitRepo)
    fetched.path, fetched.tick = ci, git_repo.tick
    fetched.git("fetch", "-q", "origin")
    fetched.git("reset", "-q", "--hard", "origin/main")

    said = json.loads(lineage(ci, "harvest", "--json"))["warnings"]
    [gone] = [w["message"] for w in said if "run:lineage:train-1" in w["message"]]
    assert (f"record run:lineage:train-1, harvested from governance/run/train-1.yaml as "
            f"commit {sha[:12]} added it, is in no record file now") in gone, gone
    report = json.loads(lineage(ci, "audit", "--format", "json", codes=(1,)))
    [finding] = [f for f in report["findings"] if f["rule"] == "harvest-complete"
                 and f["subject"] == "run:lineage:train-1"]
    assert f"commit:{sha}" in finding["evidence"], finding
    assert attrs(ci, "run:lineage:train-1")["status"] == "FINISHED"  # kept
