"""`lineage show`: when the store learnt of each record (a back-dated approval is told from
one made at the time), which approvals four-eyes does not count (the author's), and tree
labels that tell records and stage versions apart."""

from __future__ import annotations

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
AT = ("--as-of", "2026-01-22")
V = ("--model", "churn@v1.1.0")


def _show(*args: str, columns: int = 240) -> str:
    res = runner.invoke(app, ["show", *args], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.stdout


def _gov(*args: str) -> dict[str, Any]:
    return json.loads(_show("churn@v1.1.0", *args, "--json"))["governance"]  # type: ignore[no-any-return]


def _record(*args: str) -> None:
    res = runner.invoke(app, ["record", *args])
    assert res.exit_code == 0, res.output


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _lines(out: str, word: str, section: str) -> list[str]:
    """The lines of the row of ``section``'s table whose first line holds ``word``."""
    body = out.split(f"\n{section}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    start = next(i for i, x in enumerate(body) if x[:2].strip() and word in x.split())
    end = next((i for i in range(start + 1, len(body))
                if body[i][:2].strip()), len(body))  # the next row starts in the first column
    return body[start:end]


def _event_times(repo: Path) -> set[str]:
    store = api.open_store(repo)
    try:
        return {e.ts for e in store.events()}
    finally:
        store.close()


def test_a_back_dated_approval_says_when_it_was_recorded(quickstart_demo: Path) -> None:
    """An approval written today but dated June reads, in show, as written today: the
    auditor can tell it from an approval made at the time."""
    before = datetime.now(UTC)
    now_ish = _iso(before - timedelta(hours=1))
    _record("approval", *V, "--env", "prod", "--approver", "rita@example.com", "--role",
            "risk-officer", "--decided-at", "2026-06-02T10:00:00Z", "--id", "rita-late")
    _record("approval", *V, "--env", "prod", "--approver", "omar@example.com", "--role",
            "product-owner", "--decided-at", now_ish, "--id", "omar-now")
    after = datetime.now(UTC)
    aps = {a["id"]: a for a in _gov()["approvals"]}
    late, now = aps["approval:rita-late"], aps["approval:omar-now"]
    written = _time(late["recorded_at"])
    assert before <= written <= after, late
    assert late["recorded_late"] == {"attribute": "decided_at", "date": "2026-06-02T10:00:00Z",
                                     "recorded": late["recorded_at"],
                                     "days": (written - _time("2026-06-02T10:00:00Z")).days}
    assert late["recorded_late"]["days"] > 100
    # an approval recorded an hour after its decision: when it was written, nothing more
    assert before <= _time(now["recorded_at"]) <= after and now["recorded_late"] is None, now
    # the keys that were there are still there, unchanged
    assert late["decided_at"] == "2026-06-02T10:00:00Z" and late["status"] == "in force"

    out = _show("churn@v1.1.0")
    row = " ".join(_lines(out, "rita-late", "Approvals"))
    assert f"{late['recorded_late']['days']} days later" in row, row
    assert _iso(written) in row, row
    row = " ".join(_lines(out, "omar-now", "Approvals"))
    assert _iso(_time(now["recorded_at"])) in row and "later" not in row, row

    # the record itself says it too
    rec = json.loads(_show("rita-late", "--json"))["record"]
    assert rec["recorded_at"] == late["recorded_at"] and rec["recorded_late"] is not None
    fields = _show("rita-late").split("What it names", 1)[0]
    assert f"recorded at     {_iso(written)}" in fields, fields
    assert (f"{late['recorded_late']['days']} days later than its date (decided_at "
            "2026-06-02T10:00:00Z)") in fields, fields
    rec = json.loads(_show("omar-now", "--json"))["record"]
    assert rec["recorded_late"] is None and "later than its date" not in _show("omar-now")


def test_a_record_a_day_late_is_not_marked_and_one_30_hours_late_is(
        quickstart_demo: Path) -> None:
    start = datetime.now(UTC)
    _record("approval", *V, "--env", "prod", "--approver", "omar@example.com", "--decided-at",
            _iso(start - timedelta(hours=23)), "--id", "within-a-day")
    _record("approval", *V, "--env", "prod", "--approver", "omar@example.com", "--decided-at",
            _iso(start - timedelta(hours=30, minutes=1)), "--id", "thirty-hours")
    aps = {a["id"]: a for a in _gov()["approvals"]}
    assert aps["approval:within-a-day"]["recorded_late"] is None
    assert aps["approval:thirty-hours"]["recorded_late"]["days"] == 1
    out = _show("churn@v1.1.0")
    assert "later" not in " ".join(_lines(out, "within-a-day", "Approvals"))
    assert "30 hours later" in " ".join(_lines(out, "thirty-hours", "Approvals"))


# every kind of record that carries its own date, and that date
DATES = [("assessments", "assessed_at", "Risk tier (assessments of the model group)"),
         ("approvals", "decided_at", "Approvals"), ("deployments", "deployed_at", "Deployments"),
         ("documents", "at", "Documents (of the version and of its model group)"),
         ("retraining", "at", "Retraining"),
         ("alerts", "at", "Monitoring (alerts and checks of this version)")]


def _recorded_with_the_cli(repo: Path) -> set[str]:
    """The nodes `lineage record` wrote (its ``record`` events)."""
    store = api.open_store(repo)
    try:
        return {str(e.payload.get("node")) for e in store.events() if e.kind == "record"}
    finally:
        store.close()


@pytest.mark.parametrize("key,attribute,section", DATES, ids=[d[0] for d in DATES])
def test_every_record_says_when_it_was_first_recorded(quickstart_demo: Path, key: str,
                                                      attribute: str, section: str) -> None:
    """The demo's store was built today from records committed in January: each harvested
    record says it was recorded when git first held it — the commit that added it to its
    file, a GTO deployment's tag —, not at the store's writing months later (which JSON
    keeps). The demo commits each record the day it happens, after its date (the jobs that
    write theirs with `lineage record --write-file` do so in their own store), so none is
    marked as recorded late."""
    records = _gov(*AT)[key]
    assert records
    events = _event_times(quickstart_demo)
    assert not _recorded_with_the_cli(quickstart_demo) & {r["id"] for r in records}
    out = _show("churn@v1.1.0", *AT)
    for r in records:
        assert r["stored_at"] in events, (r, events)
        row = " ".join(_lines(out, r["id"].split(":", 1)[1], section))
        assert r["recorded_by"] in ("commit", "tag") and r["recorded_at"] < "2026-01-22", r
        if r["recorded_by"] == "commit":
            assert r["recorded_at"] == r["committed_at"] and len(r["committed_in"]) == 40, r
            assert f"(committed {r['committed_in'][:12]})" in row, row
        else:  # a deployment GTO made: its tag's date is its date
            assert r["recorded_at"] == r[attribute] and r["tag"] and r["committed_in"] is None
            assert f"(tag {r['tag']})" in row, row
        # recorded at or after its date, within the day
        assert r[attribute] <= r["recorded_at"] and r["recorded_late"] is None, r
        assert "later" not in row, row
        assert "after the as-of time" not in row and _iso(_time(r["stored_at"])) not in row
    if key == "deployments":  # a GTO tag's and a CD job's committed record
        assert {r["recorded_by"] for r in records} == {"tag", "commit"}, records


def test_approvals_that_count_mark_the_authors_which_four_eyes_does_not_count(
        quickstart_demo: Path) -> None:
    """The staging deployment's one approval is ada's, who ran the training run: it counts
    for deployment-approved, not as an independent approver for four-eyes (the audit's
    finding) — and show says so where it lists it, as the audit reads people."""
    staging = "deployment:churn:staging:2026-01-16T09:30:00Z"
    # the same person spelled otherwise is still the author; another address is not
    _record("approval", *V, "--env", "staging", "--approver", "Ada Lovelace <ADA@example.com>",
            "--role", "ml-lead", "--decided-at", "2026-01-15T10:00:00Z", "--id", "ada-again")
    _record("approval", *V, "--env", "staging", "--approver", "ada@contractor.org", "--role",
            "risk-officer", "--decided-at", "2026-01-15T11:00:00Z", "--id", "other-ada")
    gov = _gov(*AT)
    dep = next(d for d in gov["deployments"] if d["id"] == staging)
    assert set(dep["approved_by"]) == {"approval:churn-v1.1.0-staging", "approval:ada-again",
                                       "approval:other-ada"}, dep
    assert dep["not_independent"] == ["approval:ada-again", "approval:churn-v1.1.0-staging"]
    aps = {a["id"]: a for a in gov["approvals"]}
    run = gov["runs"][0]["id"]
    assert aps["approval:churn-v1.1.0-staging"]["author_of"] == run
    assert aps["approval:ada-again"]["author_of"] == run
    assert aps["approval:other-ada"]["author_of"] is None
    # the audit agrees: four-eyes counts one independent approver of the three
    res = runner.invoke(app, ["audit", "--model", "churn@v1.1.0", *AT, "--json",
                              "--fail-on", "never"])
    [four] = [f for f in json.loads(res.stdout)["findings"]
              if f["rule"] == "four-eyes" and f["subject"] == staging]
    assert "1 independent approver(s)" in four["message"], four

    out = _show("churn@v1.1.0", *AT, columns=400)  # each line of a cell on one line
    cell = " ".join(_lines(out, "churn:staging:2026-01-16T09:30:00Z", "Deployments"))
    assert "approvals that count (deployment-approved)" in out
    assert "churn-v1.1.0-staging (author: not counted by four-eyes)" in cell, cell
    assert "ada-again (author: not counted by four-eyes)" in cell, cell
    assert "other-ada (author" not in cell and "other-ada" in cell, cell
    status = " ".join(_lines(out, "ada-again", "Approvals"))
    assert "the approver ran its training run: not an independent approver for four-eyes" \
        in status, status
    assert "independent" not in " ".join(_lines(out, "other-ada", "Approvals"))
    # the record shown alone says it too
    assert "churn-v1.1.0-staging (author: not counted by four-eyes)" in _show(staging, *AT)
    assert "not an independent approver for four-eyes" in _show("ada-again", *AT)


def test_an_approval_without_a_role_has_no_empty_parentheses(quickstart_demo: Path) -> None:
    _record("approval", *V, "--env", "staging", "--approver", "root", "--decided-at",
            "2026-01-15T10:00:00Z", "--id", "no-role")
    tree = _show("churn@v1.1.0", *AT).split("\n\n", 1)[0]
    [line] = [x for x in tree.splitlines() if "approval no-role" in x]
    assert line.endswith("approval no-role root approved for staging 2026-01-15T10:00:00Z"), line
    [line] = [x for x in tree.splitlines() if "approval churn-v1.1.0-staging" in x]
    assert "ada@example.com (ml-engineer) approved for staging" in line, line
    assert "()" not in tree


def test_versions_of_one_stage_are_told_apart_in_the_tree(quickstart_demo: Path) -> None:
    """v1.1.0's provenance holds two versions of the prepare stage (its own, and v1.0.0's
    under the previous version): each line names its lock entry and commit."""
    doc = json.loads(_show("churn@v1.1.0", "--json"))
    stages = {n["id"]: n["attrs"] for n in doc["nodes"] if n["kind"] == "stage"
              and n["attrs"]["name"] == "prepare"}
    assert len(stages) == 2
    tree = _show("churn@v1.1.0").split("\n\n", 1)[0]
    lines = {x.split("← ", 1)[1] for x in tree.splitlines() if "← stage prepare " in x}
    assert len(lines) == 2, lines
    for nid, attrs in stages.items():
        want = (f"stage prepare python src/prepare.py (lock {nid.rsplit('@', 1)[1][:12]}, "
                f"commit {attrs['commit'][:12]})")
        assert any(x.startswith(want) for x in lines), (want, lines)


def _stage_files(repo: GitRepo, folder: str, md5: str) -> None:
    repo.write(f"{folder}dvc.yaml", "stages:\n  prepare:\n    cmd: python prep.py\n"
               "    outs: [out.csv]\n")
    repo.write(f"{folder}dvc.lock", "schema: '2.0'\nstages:\n  prepare:\n    cmd: python "
               "prep.py\n    outs:\n    - path: out.csv\n      hash: md5\n"
               f"      md5: {md5}\n      size: 3\n")


def test_a_stage_of_another_dvc_yaml_is_named_with_it(git_repo: GitRepo) -> None:
    """Two folders' stages of one name are two stages: the one outside the root dvc.yaml
    says which file it is in."""
    _stage_files(git_repo, "", "a" * 32)
    _stage_files(git_repo, "sub/", "b" * 32)
    sha = git_repo.commit("two pipelines")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    for path, name in (("out.csv", "prepare"), ("sub/out.csv", "sub/dvc.yaml:prepare")):
        res = runner.invoke(app, ["show", path, "--repo", str(git_repo.path)],
                            env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        [line] = [x for x in res.stdout.splitlines() if "← stage " in x]
        assert f"← stage {name} python prep.py (lock " in line, line
        assert line.rstrip().endswith(f", commit {sha[:12]})"), line
