"""A governance record names an OpenLineage run by its node id, spelled as the producer spelled
the runId: upper case (a .NET or Java client) or without hyphens (``uuid4().hex``). The
harvester stores the run under the canonical UUID, so the record must name that run, not a
run nobody harvested (a ``lineage-continuity`` break)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

runner = CliRunner()
RUN = "0190a5b2-0000-7000-8000-00000000abcd"
SPELLINGS = [RUN.upper(), RUN.replace("-", ""), RUN.replace("-", "").upper()]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("train script")
    api.init(git_repo.path)
    git_repo.write("openlineage/events.jsonl", json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
        "run": {"runId": RUN}, "job": {"namespace": "airflow", "name": "train"}}) + "\n")
    api.harvest(git_repo.path)
    return git_repo


def continuity(repo: GitRepo) -> list[dict]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json",
                              "--rule", "lineage-continuity"])
    assert res.exit_code in (0, 1), res.output
    return [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "lineage-continuity"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_retraining_recorded_with_another_spelling_names_the_harvested_run(
        repo: GitRepo, spelling: str) -> None:
    res = runner.invoke(app, ["record", "retraining", "-C", str(repo.path), "--trigger",
                              "manual", "--reason", "new data", "--run",
                              f"run:openlineage:{spelling}", "--at", "2026-01-04T00:00:00Z"])
    assert res.exit_code == 0, res.output
    assert continuity(repo) == []
    graph = api.open_store(repo.path).load_graph()
    [rec] = [n for n in graph.nodes() if n.id.startswith("retraining:")]
    assert graph.attrs(rec.id)["run"] == f"run:openlineage:{RUN}"
    assert [e.target for e in graph.out_edges(rec.id, EdgeKind.RETRAINS)] == [
        f"run:openlineage:{RUN}"]
    # the same record again is the same record (nothing said otherwise)
    again = runner.invoke(app, ["record", "retraining", "-C", str(repo.path), "--trigger",
                                "manual", "--reason", "new data", "--run",
                                f"run:openlineage:{spelling}", "--at", "2026-01-04T00:00:00Z"])
    assert again.exit_code == 0, again.output


def test_a_retraining_file_with_an_upper_case_run_id_names_the_harvested_run(
        repo: GitRepo) -> None:
    repo.write("governance/retraining/r1.yaml", (
        "kind: retraining\nid: r1\ntrigger: schedule\nreason: monthly\n"
        f"run: run:openlineage:{RUN.upper()}\nat: 2026-01-04T00:00:00Z\n"))
    repo.tick = 72  # committed after its date (2026-01-04T01:00Z), not before it
    repo.commit("retraining record")
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    assert continuity(repo) == []


def test_a_run_id_that_is_not_a_uuid_is_named_as_written(repo: GitRepo) -> None:
    """Only a UUID has other spellings: any other id names the run it spells."""
    res = runner.invoke(app, ["record", "retraining", "-C", str(repo.path), "--trigger",
                              "manual", "--run", "run:openlineage:Train-Run-7", "--at",
                              "2026-01-04T00:00:00Z"])
    assert res.exit_code == 0, res.output
    assert [f["evidence"][0] for f in continuity(repo)] == ["run:openlineage:Train-Run-7"]


def test_a_retraining_stored_before_names_the_harvested_run_after_the_upgrade(
        repo: GitRepo) -> None:
    """A retraining an earlier version recorded with the run id as the producer spelled it
    (upper case) names a run nobody harvested; the first harvest after the upgrade points it
    at the run the harvester stores (its edge and its ``run``), and the store verifies."""
    from lineage.model import Edge, Node, NodeKind

    ghost = f"run:openlineage:{RUN.upper()}"
    with api.open_store(repo.path) as store, store.transaction():  # as the earlier version did
        store.upsert([Node.make(NodeKind.RETRAINING, "retraining:r-old", trigger="manual",
                                run=ghost, at="2026-01-04T00:00:00Z"),
                      Edge.make(EdgeKind.RETRAINS, "retraining:r-old", ghost)])
        store.append_event("record", "test", {"record_kind": "retraining"})
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
    assert [f["evidence"][0] for f in continuity(repo)] == [ghost]
    res = api.harvest(repo.path)
    assert res.report.warnings == []
    assert continuity(repo) == []
    graph = api.open_store(repo.path).load_graph()
    assert graph.attrs("retraining:r-old")["run"] == f"run:openlineage:{RUN}"
    assert [e.target for e in graph.out_edges("retraining:r-old", EdgeKind.RETRAINS)] == [
        f"run:openlineage:{RUN}"]
    with api.open_store(repo.path) as store:
        assert store.verify().ok
    assert api.harvest(repo.path).new_events == 0


@pytest.mark.parametrize("files", ["kept", "gone"])
def test_a_retraining_of_a_run_stored_under_its_upper_case_id(git_repo: GitRepo,
                                                                files: str) -> None:
    """The run itself was stored under the upper-case id too (before parser version 13). Its
    events still there, the upgrade moves it to the canonical id in the same harvest, and the
    record follows it; with nothing to rebuild it from, the run keeps its id and so does the
    record's reference."""
    from lineage.model import Edge, Node, NodeKind

    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("train script")
    api.init(git_repo.path)
    ghost = f"run:openlineage:{RUN.upper()}"
    if files == "kept":
        git_repo.write("openlineage/events.jsonl", json.dumps({
            "eventType": "COMPLETE", "eventTime": "2026-01-03T10:05:00Z", "producer": "x",
            "run": {"runId": RUN.upper()}, "job": {"namespace": "airflow", "name": "train"}})
            + "\n")
    with api.open_store(git_repo.path) as store, store.transaction():
        store.upsert([Node.make(NodeKind.RUN, ghost, source="openlineage", run_id=RUN.upper(),
                                job="airflow/train", status="COMPLETE",
                                start_time="2026-01-03T10:05:00Z"),
                      Node.make(NodeKind.RETRAINING, "retraining:r-old", trigger="manual",
                                run=ghost, at="2026-01-04T00:00:00Z"),
                      Edge.make(EdgeKind.RETRAINS, "retraining:r-old", ghost)])
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    api.harvest(git_repo.path)
    named = f"run:openlineage:{RUN}" if files == "kept" else ghost
    graph = api.open_store(git_repo.path).load_graph()
    assert [n.id for n in graph.nodes(NodeKind.RUN)] == [named]
    assert graph.attrs("retraining:r-old")["run"] == named
    assert [e.target for e in graph.out_edges("retraining:r-old", EdgeKind.RETRAINS)] == [named]
    assert continuity(git_repo) == []
    with api.open_store(git_repo.path) as store:
        assert store.verify().ok
    assert api.harvest(git_repo.path).new_events == 0


def test_a_reference_that_only_ends_like_a_uuid_is_named_as_written() -> None:
    from lineage.records import run_ref

    assert run_ref(f"run:openlineage:{RUN}\n") == f"run:openlineage:{RUN}\n"
    assert run_ref(f"run:openlineage:{RUN.upper()}") == f"run:openlineage:{RUN}"
