"""OpenLineage event logs are read as a stream: a log that grows for months (the file
transport's append log, a list of events exported from Marquez) is harvested with memory that
does not grow with its events, with the facts, warnings and line numbers a whole read gives."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import connectors.harvesters.openlineage as ol
from lineage import api
from lineage.serialize import dumps_pretty
from tests.conftest import GitRepo

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/1.14.0"


def _run_id(i: int) -> str:
    return f"0190a5b2-0000-7000-8000-{i:012x}"


def _event(i: int, kind: str, minute: int, *, noise: int = 0) -> dict[str, Any]:
    """An event of run ``i`` as Airflow sends it: job facets, a parent, datasets with schema
    and version; ``noise`` bytes of a facet the harvester does not keep (Spark's plan, the
    environment)."""
    ds = {"namespace": "postgres://db.internal:5432", "name": f"crm.t{i % 7}", "facets": {
        "schema": {"fields": [{"name": f"c{k}", "type": "int"} for k in range(4)]},
        "version": {"datasetVersion": f"v{minute}"}}}
    return {
        "eventType": kind, "eventTime": f"2026-01-03T10:{minute:02d}:00Z", "producer": PRODUCER,
        "run": {"runId": _run_id(i), "facets": {
            "parent": {"run": {"runId": _run_id(10_000)},
                       "job": {"namespace": "airflow", "name": "churn_dag"}},
            "spark.logicalPlan": {"plan": "x" * noise}}},
        "job": {"namespace": "airflow", "name": f"churn_dag.task_{i}", "facets": {
            "documentation": {"description": f"task {i} at {minute}"},
            "ownership": {"owners": [{"name": f"user:dev{i % 3}", "type": "OWNER"}]}}},
        "inputs": [ds] if kind == "START" else [],
        "outputs": [{**ds, "name": f"features.f{i}"}] if kind == "COMPLETE" else []}


def _log(n: int) -> list[dict[str, Any]]:
    """START and COMPLETE of ``n`` runs, overlapping (a COMPLETE after later STARTs), and a
    RUNNING of some at the same instant as their COMPLETE (the tie the value breaks)."""
    out = []
    for i in range(n):
        out.append(_event(i, "START", i % 50))
        if i >= 5:
            out.append(_event(i - 5, "COMPLETE", (i - 5) % 50 + 3))
        if i % 4 == 0:
            out.append(_event(i, "RUNNING", i % 50 + 3))
    out += [_event(i, "COMPLETE", i % 50 + 3) for i in range(n - 5, n)]
    return out


def _graph(repo: GitRepo) -> str:
    store = api.open_store(repo.path)
    try:
        return dumps_pretty(store.load_graph().to_node_link())
    finally:
        store.close()


def _repo(tmp_path: Path, name: str) -> GitRepo:
    repo = GitRepo(tmp_path / name)
    api.init(repo.path)
    return repo


def test_a_log_read_in_pieces_gives_what_one_read_of_it_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same events as one event per line, as a JSON list (indented, and on one line) read
    a few hundred bytes at a time, so that events and characters straddle the pieces, and
    in another order, give the same graph; each run is what its events say."""
    monkeypatch.setattr(ol, "CHUNK", 301)
    events = _log(120)
    for e in events[::17]:  # characters of several bytes, cut by the pieces too
        e["job"]["facets"]["documentation"]["description"] += " — Größe ✓ 🚀"
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    layouts = {
        "jsonl": {"events.jsonl": "".join(json.dumps(e) + "\n" for e in events)},
        "list": {"events.json": json.dumps(events, indent=2, ensure_ascii=False)},
        "minified": {"events.json": "\ufeff" + json.dumps(events, ensure_ascii=False)},
        "shuffled": {"a.jsonl": "".join(json.dumps(e) + "\n" for e in shuffled[:200]),
                     "b.json": json.dumps(shuffled[200:])},
    }
    graphs = {}
    for name, files in layouts.items():
        repo = _repo(tmp_path, name)
        for rel, text in files.items():
            repo.write(f"openlineage/{rel}", text.encode())
        res = api.harvest(repo.path, only=["openlineage"])
        assert [str(w) for w in res.report.warnings] == [], name
        graphs[name] = _graph(repo)
    assert graphs["list"] == graphs["jsonl"]
    assert graphs["minified"] == graphs["jsonl"]
    assert graphs["shuffled"] == graphs["jsonl"]
    nodes = {n["id"]: n for n in json.loads(graphs["jsonl"])["nodes"]}
    run = nodes[f"run:openlineage:{_run_id(8)}"]["attrs"]
    assert (run["status"], run["start_time"], run["end_time"]) == (
        "COMPLETE", "2026-01-03T10:08:00Z", "2026-01-03T10:11:00Z")
    # RUNNING and COMPLETE at one instant: the further state's facets
    assert run["properties"]["job_description"] == "task 8 at 11"
    assert run["user"] == "dev2"
    assert len([n for n in nodes if n.startswith("run:")]) == 121  # and the parent


def test_memory_does_not_grow_with_the_events_of_a_log(tmp_path: Path) -> None:
    """A log of many events of a few runs — each with a large facet the harvester does not keep
    (Spark's logical plan) — is harvested holding a small part of the file: the events are not
    kept, as a JSON list or one per line (a whole read held them all, parsed: several times
    the file's size)."""
    events = [_event(i % 3, "RUNNING", 1 + n % 50, noise=1500) for n, i in
              enumerate(range(3000))] + [_event(i, "COMPLETE", 55) for i in range(3)]
    for name, text in (("events.jsonl", "".join(json.dumps(e) + "\n" for e in events)),
                       ("events.json", json.dumps(events, indent=1))):
        repo = _repo(tmp_path, name)
        path = repo.write(f"openlineage/{name}", text)
        tracemalloc.start()
        try:
            res = api.harvest(repo.path, only=["openlineage"])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert res.report.warnings == []
        size = path.stat().st_size
        assert size > 4_000_000
        assert peak < size / 4, f"{name}: {peak / 1e6:.1f} MB held for {size / 1e6:.1f} MB"
        nodes = {n["id"]: n["attrs"] for n in json.loads(_graph(repo))["nodes"]}
        assert nodes[f"run:openlineage:{_run_id(1)}"]["status"] == "COMPLETE"


def test_a_malformed_line_in_the_middle_of_a_long_log_is_named_by_its_line(
        repo: GitRepo) -> None:
    """A line that is not JSON, and one that is not UTF-8, in the middle of a long log are
    warnings naming their line; the events around them are read. Lines appended later are
    read from where the last harvest stopped, and numbered from the start of the file."""
    lines = [json.dumps(e) for e in _log(600)]
    assert len(lines) > 1300
    lines[700] = lines[700][:-40]  # cut short, as a producer killed mid-write leaves it
    raw = [line.encode() for line in lines]
    raw[1001] = raw[1001].replace(b"task", b"t\xe4sk", 1)  # Latin-1, not UTF-8
    repo.write("openlineage/events.log", b"".join(r + b"\n" for r in raw))
    at = raw[1001].index(b"\xe4")
    res = api.harvest(repo.path, only=["openlineage"])
    got = [(w.file, w.line, w.message) for w in res.report.warnings]
    assert got == [
        ("openlineage/events.log", 701, "not valid JSON: Unterminated string starting at"),
        ("openlineage/events.log", 1002, "cannot read: 'utf-8' codec can't decode byte 0xe4 in "
         f"position {at}: invalid continuation byte; line skipped "
         "(write events as UTF-8)")]
    nodes = {n["id"] for n in json.loads(_graph(repo))["nodes"]}
    assert len([n for n in nodes if n.startswith("run:")]) == 601

    with (repo.path / "openlineage" / "events.log").open("a") as f:
        f.write(json.dumps(_event(900, "START", 1)) + "\n\n{oops\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.line, w.message) for w in res.report.warnings] == [
        (len(lines) + 3, "not valid JSON: Expecting property name enclosed in double quotes")]
    assert f"run:openlineage:{_run_id(900)}" in {
        n["id"] for n in json.loads(_graph(repo))["nodes"]}


def test_a_json_list_cut_short_keeps_the_events_before_and_names_the_line(
        repo: GitRepo) -> None:
    """A JSON list of events cut short (an export interrupted) is a warning naming the line
    ``json`` names; the events before are read, an event at a time."""
    events = _log(40)
    text = json.dumps(events, indent=2)
    cut = text[:text.index(_run_id(30))]
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(cut)
    repo.write("openlineage/export.json", cut)
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.file, w.line, w.message) for w in res.report.warnings] == [
        ("openlineage/export.json", whole.value.lineno, f"not valid JSON: {whole.value.msg}")]
    nodes = {n["id"] for n in json.loads(_graph(repo))["nodes"]}
    assert f"run:openlineage:{_run_id(29)}" in nodes
    assert f"run:openlineage:{_run_id(30)}" not in nodes


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    api.init(git_repo.path)
    return git_repo
