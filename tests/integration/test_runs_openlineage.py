"""OpenLineage harvester on events written by openlineage-python's own file transport."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    dataset_version_dataset,
    parent_run,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.file import FileConfig, FileTransport

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
PARENT = "0190a5b2-0000-7000-8000-000000000001"
TRAIN = "0190a5b2-0000-7000-8000-000000000002"


def _event(state: RunState, run_id: str, job: str, at: str, *, sha: str | None = None,
           parent: str | None = None, inputs: list[InputDataset] | None = None,
           outputs: list[OutputDataset] | None = None) -> RunEvent:
    run_facets = {}
    if parent:
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent), job=parent_run.Job(namespace="airflow",
                                                                  name="churn_dag"))
    job_facets = {}
    if sha:
        job_facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url="https://github.com/acme/churn/blob/main/train.py",
            repoUrl="https://github.com/acme/churn.git", path="train.py", version=sha)
    return RunEvent(eventType=state, eventTime=at, producer=PRODUCER,
                    run=Run(runId=run_id, facets=run_facets),
                    job=Job(namespace="airflow", name=job, facets=job_facets),
                    inputs=inputs or [], outputs=outputs or [])


def _emit(path: Path, events: list[RunEvent], append: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    transport = FileTransport(FileConfig(log_file_path=str(path), append=append))
    for ev in events:
        transport.emit(ev)


def _train_events(repo: Path, sha: str) -> list[RunEvent]:
    train_csv = InputDataset(namespace="file", name=str(repo / "data" / "train.csv"), facets={
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="v7"),
        "schema": schema_dataset.SchemaDatasetFacet(fields=[
            schema_dataset.SchemaDatasetFacetFields(name="age", type="int")]),
    })
    warehouse = InputDataset(namespace="postgres://db.internal:5432", name="crm.customers")
    model = OutputDataset(namespace="file", name=str(repo / "models" / "model.pkl"))
    return [
        _event(RunState.START, PARENT, "churn_dag", "2026-01-03T10:00:00.000000Z"),
        _event(RunState.START, TRAIN, "churn_dag.train", "2026-01-03T10:00:01.123456789Z",
               sha=sha, parent=PARENT, inputs=[train_csv, warehouse]),
        _event(RunState.COMPLETE, TRAIN, "churn_dag.train", "2026-01-03T10:05:00Z", sha=sha,
               parent=PARENT, inputs=[train_csv], outputs=[model]),
        _event(RunState.FAIL, PARENT, "churn_dag", "2026-01-03T10:06:00Z"),
    ]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("train script")
    api.init(git_repo.path)
    return git_repo


def test_runs_jobs_datasets_code_and_parent(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    _emit(repo.path / "openlineage" / "events.jsonl", _train_events(repo.path, sha))
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    rid = f"run:openlineage:{TRAIN}"
    run = graph.attrs(rid)
    assert run["status"] == "COMPLETE"
    assert run["job"] == "airflow/churn_dag.train"
    assert run["start_time"] == "2026-01-03T10:00:01.123456Z"
    assert run["end_time"] == "2026-01-03T10:05:00Z"
    assert run["commit"] == sha
    assert [e.source for e in graph.in_edges(rid, EdgeKind.CODE)] == [f"commit:{sha}"]
    assert [e.source for e in graph.in_edges(rid, EdgeKind.UPSTREAM_RUN)] == [
        f"run:openlineage:{PARENT}"]
    assert graph.attrs(f"run:openlineage:{PARENT}")["status"] == "FAIL"
    inputs = {e.source: e for e in graph.in_edges(rid, EdgeKind.INPUT)}
    csv_id = f"data:file:{repo.path / 'data' / 'train.csv'}@v7"
    assert set(inputs) == {csv_id, "data:postgres://db.internal:5432:crm.customers@unversioned"}
    assert inputs[csv_id].attrs == {"pin": "weak", "digest": "v7", "path": "data/train.csv"}
    assert inputs["data:postgres://db.internal:5432:crm.customers@unversioned"].attrs == {
        "pin": "none"}
    csv = graph.attrs(csv_id)
    assert (csv["namespace"], csv["hash"]) == ("file", "v7")
    assert csv["properties"]["schema_fields"] == "age"
    outs = graph.out_edges(rid, EdgeKind.OUTPUT)
    assert [e.attrs.get("path") for e in outs] == ["models/model.pkl"]
    again = api.harvest(repo.path, only=["openlineage"])
    assert again.new_events == 0


def test_malformed_events_are_warnings_with_file_and_line(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    path = repo.path / "openlineage" / "events.jsonl"
    _emit(path, _train_events(repo.path, sha))
    good = path.read_text().splitlines()
    bad_time = json.loads(good[0])
    bad_time["eventTime"] = "yesterday"
    no_run = json.loads(good[0])
    del no_run["run"]["runId"]
    path.write_text("\n".join([good[0], "{not json", json.dumps(no_run), *good[1:],
                               json.dumps(bad_time), "[1, 2]"]) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    got = sorted((w.file, w.line, w.field) for w in res.report.warnings)
    f = "openlineage/events.jsonl"
    assert got == [(f, 2, None), (f, 3, "run.runId"), (f, 7, "eventTime"), (f, 8, None)]
    assert str(res.report.warnings[0]).startswith(f"[openlineage] {f}:2: not valid JSON")
    store = api.open_store(repo.path)
    assert store.get_node(f"run:openlineage:{TRAIN}").attrs["status"] == "COMPLETE"
    store.close()


def test_event_per_file_incremental_and_late_start(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    start, complete = _train_events(repo.path, sha)[1:3]
    folder = repo.path / "openlineage"
    _emit(folder / "start", [start], append=False)  # the transport's one-file-per-event mode
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    assert store.get_node(f"run:openlineage:{TRAIN}").attrs["status"] == "START"
    store.close()
    (folder / "complete.json").write_text(Serde.to_json(complete))
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.harvesters[0].stats.nodes_changed.get("run") == 1
    store = api.open_store(repo.path)
    run = store.get_node(f"run:openlineage:{TRAIN}").attrs
    assert run["status"] == "COMPLETE"
    assert run["start_time"] == "2026-01-03T10:00:01.123456Z"  # kept from the first file
    store.close()
    # the START file rewritten (touched) later never reopens the finished run
    for p in folder.glob("start*"):
        p.write_text(p.read_text() + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.new_events == 0


def test_configured_paths_and_disabled_without_files(repo: GitRepo) -> None:
    assert api.harvest(repo.path, only=["openlineage"]).harvesters == []
    sha = repo.git("rev-parse", "HEAD")
    _emit(repo.path / "lineage-events" / "ol.ndjson", _train_events(repo.path, sha))
    repo.write("lineage.yaml", "openlineage:\n  paths: [lineage-events/ol.ndjson]\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.harvesters[0].stats.nodes_new["run"] == 2


def test_json_file_holding_one_event_per_line(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    lines = [Serde.to_json(e) for e in _train_events(repo.path, sha)]
    repo.write("openlineage/events.json", "\n".join(lines) + "\n")
    repo.write("openlineage/broken.json", '{"eventType": "START",\n  "run": }\n')
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.file, w.line) for w in res.report.warnings] == [("openlineage/broken.json", 2)]
    assert res.harvesters[0].stats.nodes_new["run"] == 2


def test_other_files_in_the_folder_are_ignored(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    _emit(repo.path / "openlineage" / "events.jsonl", _train_events(repo.path, sha))
    repo.write("openlineage/README.md", "# events land here\n")
    repo.write("openlineage/.hidden.jsonl", "not an event\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []


def test_run_event_without_run_is_a_warning_and_a_job_event_is_not(repo: GitRepo) -> None:
    sha = repo.git("rev-parse", "HEAD")
    path = repo.path / "openlineage" / "events.jsonl"
    _emit(path, _train_events(repo.path, sha))
    from openlineage.client.event_v2 import JobEvent

    _emit(path, [JobEvent(eventTime="2026-01-03T09:00:00Z", producer=PRODUCER,
                          job=Job(namespace="airflow", name="churn_dag"))])
    lines = path.read_text().splitlines()
    no_run = json.loads(lines[1])
    del no_run["run"]
    path.write_text("\n".join([*lines, json.dumps(no_run)]) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    f = "openlineage/events.jsonl"
    assert [(w.file, w.line, w.field) for w in res.report.warnings] == [(f, 6, "run")]
    assert str(res.report.warnings[0]) == \
        f"[openlineage] {f}:6, field run: missing run.runId"


def test_run_id_that_is_not_a_uuid_is_a_warning_but_the_run_is_kept(repo: GitRepo) -> None:
    path = repo.path / "openlineage" / "events.jsonl"
    _emit(path, [_event(RunState.COMPLETE, TRAIN, "nightly", "2026-01-03T10:05:00Z")])
    event = json.loads(path.read_text())
    event["run"]["runId"] = "nightly-2026-01-03"
    path.write_text(json.dumps(event) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.line, w.field) for w in res.report.warnings] == [(1, "run.runId")]
    assert "not a UUID" in res.report.warnings[0].message
    store = api.open_store(repo.path)
    node = store.get_node("run:openlineage:nightly-2026-01-03")
    store.close()
    assert node is not None and node.attrs["status"] == "COMPLETE"


# -- events of one run in any order, in one file or across files and harvests ---------------
T_START, T_RUNNING, T_END = ("2026-01-03T10:00:00Z", "2026-01-03T10:02:00Z",
                             "2026-01-03T10:05:00Z")


def _raw(state: str, at: str, *, version: str | None = None) -> dict:
    job: dict = {"namespace": "airflow", "name": "churn_dag.train"}
    if version:
        job["facets"] = {"sourceCodeLocation": {"type": "git", "url": "https://x/y",
                                                "version": version}}
    return {"eventType": state, "eventTime": at, "producer": PRODUCER,
            "run": {"runId": TRAIN}, "job": job}


def _run_attrs(repo: GitRepo) -> dict:
    store = api.open_store(repo.path)
    node = store.get_node(f"run:openlineage:{TRAIN}")
    store.close()
    assert node is not None
    return {k: node.attrs.get(k) for k in ("status", "start_time", "end_time", "commit")}


def _fresh_store(repo: GitRepo) -> None:
    import shutil

    shutil.rmtree(api.init(repo.path))
    shutil.rmtree(repo.path / "openlineage", ignore_errors=True)
    api.init(repo.path)


def _one_file_then_one_harvest_per_event(repo: GitRepo, events: list[dict]) -> list[dict]:
    """The run as one harvest of one file sees it, then as a harvest after each event (one file
    per event, the file transport's other mode) sees it, from a fresh store each time."""
    _fresh_store(repo)
    repo.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    single = _run_attrs(repo)
    _fresh_store(repo)
    for i, e in enumerate(events):
        repo.write(f"openlineage/{i:02d}.json", json.dumps(e))
        api.harvest(repo.path, only=["openlineage"])
    return [single, _run_attrs(repo)]


@pytest.mark.parametrize("order", [
    ("START", "RUNNING", "FAIL"), ("FAIL", "START", "RUNNING"), ("FAIL", "RUNNING", "START"),
    ("RUNNING", "FAIL", "START"), ("RUNNING", "START", "FAIL"), ("START", "FAIL", "RUNNING"),
])
def test_events_out_of_order_give_the_same_run(repo: GitRepo, order: tuple[str, ...]) -> None:
    at = {"START": T_START, "RUNNING": T_RUNNING, "FAIL": T_END}
    runs = _one_file_then_one_harvest_per_event(repo, [_raw(s, at[s]) for s in order])
    want = {"status": "FAIL", "start_time": T_START, "end_time": T_END, "commit": None}
    assert runs == [want, want]


def test_running_seen_before_a_late_start_stays_running(repo: GitRepo) -> None:
    runs = _one_file_then_one_harvest_per_event(
        repo, [_raw("RUNNING", T_RUNNING), _raw("START", T_START)])
    want = {"status": "RUNNING", "start_time": T_START, "end_time": None, "commit": None}
    assert runs == [want, want]


def test_run_without_start_event_starts_at_its_earliest_event(repo: GitRepo) -> None:
    # a task that fails before its START is sent (Airflow does that): the run still has a start
    runs = _one_file_then_one_harvest_per_event(
        repo, [_raw("COMPLETE", T_END), _raw("RUNNING", T_RUNNING)])
    want = {"status": "COMPLETE", "start_time": T_RUNNING, "end_time": T_END, "commit": None}
    assert runs == [want, want]


def test_start_resent_after_the_end_never_starts_the_run_after_it_ended(
        repo: GitRepo) -> None:
    # the START was lost and retried after the COMPLETE, with the retry's time
    late = "2026-01-03T10:09:00Z"
    runs = _one_file_then_one_harvest_per_event(
        repo, [_raw("COMPLETE", T_END), _raw("START", late)])
    want = {"status": "COMPLETE", "start_time": T_END, "end_time": T_END, "commit": None}
    assert runs == [want, want]


def test_two_terminal_events_the_latest_one_wins_in_any_order(repo: GitRepo) -> None:
    later = "2026-01-03T10:07:00Z"
    for events in ([_raw("FAIL", T_END), _raw("COMPLETE", later)],
                   [_raw("COMPLETE", later), _raw("FAIL", T_END)]):
        runs = _one_file_then_one_harvest_per_event(repo, [_raw("START", T_START), *events])
        want = {"status": "COMPLETE", "start_time": T_START, "end_time": later, "commit": None}
        assert runs == [want, want]


def test_facets_of_the_latest_event_win_whatever_the_file_order(repo: GitRepo) -> None:
    old, new = "a" * 40, "b" * 40
    runs = _one_file_then_one_harvest_per_event(
        repo, [_raw("COMPLETE", T_END, version=new), _raw("START", T_START, version=old)])
    assert [r["commit"] for r in runs] == [new, new]


def test_store_harvested_before_the_cache_kept_events_keeps_its_runs(repo: GitRepo) -> None:
    repo.write("openlineage/a.jsonl", "".join(json.dumps(e) + "\n" for e in [
        _raw("START", T_START), _raw("COMPLETE", T_END)]))
    api.harvest(repo.path, only=["openlineage"])
    before = _run_attrs(repo)
    store = api.open_store(repo.path)  # what an earlier version of the harvester left
    with store.conn:
        store.conn.execute("DELETE FROM cache WHERE namespace = 'openlineage-runs'")
    store.close()
    repo.write("openlineage/b.json", json.dumps(_raw("RUNNING", T_RUNNING)))
    res = api.harvest(repo.path, only=["openlineage"])
    assert _run_attrs(repo) == before == {
        "status": "COMPLETE", "start_time": T_START, "end_time": T_END, "commit": None}
    assert res.new_events == 0


def test_event_times_with_an_offset_are_stored_in_utc_and_a_touched_file_changes_nothing(
        repo: GitRepo) -> None:
    """Producers running in a local time zone (the Java client's ``ZonedDateTime.now()``)
    write ``+01:00`` offsets: the run's times are stored in UTC like every other time, so
    reading the same events again (a file copied or touched) writes nothing."""
    sha = repo.git("rev-parse", "HEAD")
    start, complete = _train_events(repo.path, sha)[1:3]
    start.eventTime = "2026-01-03T11:00:01.123456+01:00"
    complete.eventTime = "2026-01-03T11:05:00+01:00"
    path = repo.path / "openlineage" / "events.jsonl"
    _emit(path, [start, complete])
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    run = store.get_node(f"run:openlineage:{TRAIN}").attrs
    store.close()
    assert (run["start_time"], run["end_time"]) == ("2026-01-03T10:00:01.123456Z",
                                                    "2026-01-03T10:05:00Z")
    path.write_text(path.read_text())  # same events, new modification time
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_credentials_in_event_facets_are_stored_nowhere(repo: GitRepo) -> None:
    """A CI checkout's remote (``https://x-access-token:<token>@github.com/…``) in
    ``sourceCodeLocation`` and a URL with a password in an error message: the store holds
    neither secret, in the graph or in the cache that keeps facets between harvests."""
    sha = repo.git("rev-parse", "HEAD")
    start, complete = _train_events(repo.path, sha)[1:3]
    start.job.facets["sourceCodeLocation"] = \
        source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url="https://x-access-token:ghs_tok3nSECRET@github.com/acme/churn",
            repoUrl="https://x-access-token:ghs_tok3nSECRET@github.com/acme/churn.git",
            path="train.py", version=sha)
    from openlineage.client.facet_v2 import error_message_run

    complete.eventType = RunState.FAIL
    complete.run.facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
        message="cannot read postgres://etl:pa55SECRETword@db.internal:5432/crm",
        programmingLanguage="python")
    _emit(repo.path / "openlineage" / "events.jsonl", [start, complete])
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    run = store.get_node(f"run:openlineage:{TRAIN}").attrs
    store.close()
    assert run["properties"]["source_code.repoUrl"] == "https://github.com/acme/churn.git"
    assert run["properties"]["error"] == "cannot read postgres://db.internal:5432/crm"
    for f in (repo.path / ".lineage").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert b"tok3nSECRET" not in data and b"pa55SECRETword" not in data, f


@pytest.mark.parametrize("cache", ["kept", "untrusted"])
def test_runs_stored_by_an_earlier_version_are_corrected_by_the_next_harvest(
        repo: GitRepo, cache: str) -> None:
    """A store harvested before run times were kept in UTC and credentials removed holds the
    producer's ``+01:00`` times and a password in its run and cache (or a cache written
    without hashes, which is not read), and its files are unchanged since: the first harvest
    after the upgrade reads them again (the harvester's parse rules changed) and stores the
    run as a fresh harvest would."""
    from lineage.model import Node, NodeKind

    sha = repo.git("rev-parse", "HEAD")
    start, fail = _train_events(repo.path, sha)[1:3]
    start.eventTime = "2026-01-03T11:00:01+01:00"
    fail.eventTime = "2026-01-03T11:05:00+01:00"
    fail.eventType = RunState.FAIL
    from openlineage.client.facet_v2 import error_message_run

    fail.run.facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
        message="cannot read postgres://etl:pa55SECRETword@db.internal:5432/crm",
        programmingLanguage="python")
    _emit(repo.path / "openlineage" / "events.jsonl", [start, fail])
    api.harvest(repo.path, only=["openlineage"])
    rid = f"run:openlineage:{TRAIN}"
    store = api.open_store(repo.path)
    fresh = store.get_node(rid).attrs
    # what the earlier version left: the times as written, the message as written, in the run
    # and in the cache, and no mark of the rules it parsed with
    old = {**fresh, "start_time": "2026-01-03T11:00:01+01:00",
           "end_time": "2026-01-03T11:05:00+01:00",
           "properties": {**fresh["properties"], "error": fail.run.facets[
               "errorMessage"].message}}
    cached = store.cache_get_many("openlineage-runs", [rid])[rid]
    cached["fields"]["run.errorMessage"][2]["message"] = old["properties"]["error"]
    with store.transaction():
        store.upsert([Node.make(NodeKind.RUN, rid, **old)])
        store.cache_put_many("openlineage-runs", [(rid, cached)])
        if cache == "untrusted":
            store.conn.execute("UPDATE cache SET hash = NULL WHERE key = ?", (rid,))
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope != 'files'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    run = store.get_node(rid).attrs
    store.close()
    assert (run["start_time"], run["end_time"]) == ("2026-01-03T10:00:01Z",
                                                    "2026-01-03T10:05:00Z")
    assert run["properties"]["error"] == "cannot read postgres://db.internal:5432/crm"
    assert run == fresh
    for f in (repo.path / ".lineage").rglob("*"):
        if f.is_file():
            assert b"pa55SECRETword" not in f.read_bytes(), f
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_job_and_dataset_owners_are_kept_and_pushed(repo: GitRepo) -> None:
    """Airflow, dbt and Spark put the job's owners in the ``ownership`` job facet (and a
    table's in the dataset facet): the run names its owner as MLflow names a run's user, so the
    catalog shows who owns the training job and the four-eyes rule knows its author."""
    pytest.importorskip("datahub")
    from openlineage.client.facet_v2 import ownership_dataset, ownership_job

    from connectors.harvesters.openlineage import load_owners
    from connectors.sinks.datahub.render import render

    sha = repo.git("rev-parse", "HEAD")
    start, complete = _train_events(repo.path, sha)[1:3]
    for ev in (start, complete):
        ev.job.facets["ownership"] = ownership_job.OwnershipJobFacet(owners=[
            ownership_job.Owner(name="team:churn-ml"),
            ownership_job.Owner(name="user:jdoe", type="MAINTAINER"),
            ownership_job.Owner(name="ada@example.com")])
    complete.inputs[0].facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(owners=[
        ownership_dataset.Owner(name="user:max", type="DATA_OWNER")])
    _emit(repo.path / "openlineage" / "events.jsonl", [start, complete])
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    graph = api.open_store(repo.path).load_graph()
    rid = f"run:openlineage:{TRAIN}"
    run = graph.attrs(rid)
    assert run["user"] == "jdoe"  # the first owner that is a person, as user:jdoe names one
    assert load_owners(run["properties"]["owners"]) == [
        {"name": "team:churn-ml", "type": None}, {"name": "user:jdoe", "type": "MAINTAINER"},
        {"name": "ada@example.com", "type": None}]
    csv = graph.attrs(f"data:file:{repo.path / 'data' / 'train.csv'}@v7")
    assert load_owners(csv["properties"]["owners"]) == [{"name": "user:max",
                                                         "type": "DATA_OWNER"}]
    mcps = [m for m in render(graph) if m.aspectName == "dataProcessInstanceProperties"]
    props = [m.aspect for m in mcps if m.aspect.customProperties.get("lineage_id") == rid]
    assert props[0].created.actor == "urn:li:corpuser:jdoe"
    assert props[0].customProperties["user"] == "jdoe"
    assert props[0].customProperties["owners"] == "team:churn-ml, user:jdoe (MAINTAINER), " \
        "ada@example.com"


def test_a_file_saved_with_a_bom_and_crlf_loses_no_event(repo: GitRepo) -> None:
    """Events collected on Windows (PowerShell 5's ``Out-File`` and Notepad write a UTF-8 BOM
    and CRLF line ends), with RFC 3339's lower-case ``t`` and ``z``, and an empty ``.json``
    a producer has created but not written yet: every event is read, nothing is a warning."""
    events = [_raw("START", T_START), _raw("COMPLETE", "2026-01-03t10:05:00z")]
    (repo.path / "openlineage").mkdir()
    (repo.path / "openlineage" / "events.jsonl").write_bytes(
        "\ufeff".encode() + b"".join(json.dumps(e).encode() + b"\r\n" for e in events))
    (repo.path / "openlineage" / "one.json").write_bytes(
        "\ufeff".encode() + json.dumps(_raw("RUNNING", T_RUNNING)).encode())
    (repo.path / "openlineage" / "next.json").write_text("")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [str(w) for w in res.report.warnings] == []
    assert _run_attrs(repo) == {"status": "COMPLETE", "start_time": T_START,
                                "end_time": T_END, "commit": None}


def test_dataset_facets_of_events_read_in_several_harvests_are_merged(repo: GitRepo) -> None:
    """Airflow sends the table a task reads with its schema at START and its version facet at
    COMPLETE: read in two harvests (the COMPLETE written after the first), the versioned input
    is the one one harvest of both gives, schema included."""
    table = {"namespace": "postgres://db.internal:5432", "name": "crm.customers"}
    start = {**_raw("START", T_START), "inputs": [{**table, "facets": {"schema": {
        "fields": [{"name": "age", "type": "int"}]}}}]}
    complete = {**_raw("COMPLETE", T_END), "inputs": [{**table, "facets": {"version": {
        "datasetVersion": "v7"}}}]}

    def inputs() -> list[tuple[str, dict, dict]]:
        graph = api.open_store(repo.path).load_graph()
        return sorted((e.source, e.attrs, graph.attrs(e.source).get("properties", {}))
                      for e in graph.in_edges(f"run:openlineage:{TRAIN}", EdgeKind.INPUT))

    repo.write("openlineage/events.jsonl", json.dumps(start) + "\n" + json.dumps(complete))
    api.harvest(repo.path, only=["openlineage"])
    once = inputs()
    assert once == [("data:postgres://db.internal:5432:crm.customers@v7",
                     {"pin": "weak", "digest": "v7"},
                     {"schema_fields": "age", "schema_fields_at": T_START})]
    _fresh_store(repo)
    repo.write("openlineage/1.json", json.dumps(start))
    api.harvest(repo.path, only=["openlineage"])
    repo.write("openlineage/2.json", json.dumps(complete))
    api.harvest(repo.path, only=["openlineage"])
    assert [i for i in inputs() if i[0].endswith("@v7")] == once


def test_an_append_log_is_read_from_where_the_last_harvest_stopped(repo: GitRepo) -> None:
    """The file transport appends every event to one file: a harvest reads what was appended
    since the last one (a bad line already reported is not reported again at each harvest, a
    new one is reported at its own line); a file rewritten from the start is read whole."""
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_raw("START", T_START)) + "\n{not json\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.line, w.field) for w in res.report.warnings] == [(2, None)]
    with path.open("a") as f:
        f.write(json.dumps(_raw("RUNNING", T_RUNNING)) + "\n" + "[1]\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [w.line for w in res.report.warnings] == [4]
    assert _run_attrs(repo)["status"] == "RUNNING"
    with path.open("a") as f:
        f.write(json.dumps(_raw("COMPLETE", T_END)))  # no newline yet: the writer is at it
    assert api.harvest(repo.path, only=["openlineage"]).report.warnings == []
    assert _run_attrs(repo) == {"status": "COMPLETE", "start_time": T_START,
                                "end_time": T_END, "commit": None}
    with path.open("a") as f:
        f.write("\n")
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0
    # rotated: the same name holds other events, read from its first line
    other = {**_raw("START", T_START), "run": {"runId": PARENT}}
    path.write_text("{not json\n" + json.dumps(other) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [w.line for w in res.report.warnings] == [1]
    store = api.open_store(repo.path)
    assert store.get_node(f"run:openlineage:{PARENT}").attrs["status"] == "START"
    store.close()


def test_a_line_separator_inside_a_string_does_not_split_the_event(repo: GitRepo) -> None:
    """JSON allows U+2028 / U+2029 unescaped in strings (Jackson writes them so): the line is
    one event."""
    event = _raw("FAIL", T_END)
    event["run"]["facets"] = {"errorMessage": {"message": "boom\u2028at line 2",
                                               "programmingLanguage": "java"}}
    repo.write("openlineage/events.jsonl", json.dumps(event, ensure_ascii=False) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.report.warnings == []
    assert _run_attrs(repo)["status"] == "FAIL"


def test_an_event_time_out_of_range_in_utc_is_a_warning(repo: GitRepo) -> None:
    """``0001-01-01T00:00:00+01:00`` (a producer's zero date) and ``9999-12-31T23:59:59-01:00``
    are valid ISO times whose UTC instant Python cannot hold: a warning naming the line, not a
    traceback that stops the harvest."""
    events = [_raw("START", "0001-01-01T00:00:00+01:00"), _raw("START", T_START),
              _raw("COMPLETE", "9999-12-31T23:59:59-01:00"), _raw("COMPLETE", T_END)]
    repo.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.line, w.field) for w in res.report.warnings] == [(1, "eventTime"),
                                                                 (3, "eventTime")]
    assert _run_attrs(repo) == {"status": "COMPLETE", "start_time": T_START,
                                "end_time": T_END, "commit": None}


def test_fields_of_the_wrong_json_type_are_warnings(repo: GitRepo) -> None:
    """What a hand-written or buggy producer sends: every wrong type is a warning naming its
    line and field, with the value as written; the good events of the run are kept."""
    bad_type, bad_number, bad_time = (_raw("RUNNING", T_RUNNING) for _ in range(3))
    bad_type["eventType"] = ["COMPLETE"]
    bad_number["eventType"] = 3
    bad_time["eventTime"] = "yesterday"
    events = [_raw("START", T_START), bad_type, bad_number, bad_time, _raw("COMPLETE", T_END)]
    repo.write("openlineage/events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = api.harvest(repo.path, only=["openlineage"])
    assert [(w.line, w.field) for w in res.report.warnings] == [
        (2, "eventType"), (3, "eventType"), (4, "eventTime")]
    assert str(res.report.warnings[2]).endswith("Invalid isoformat string: 'yesterday'")
    assert _run_attrs(repo) == {"status": "COMPLETE", "start_time": T_START,
                                "end_time": T_END, "commit": None}


@pytest.mark.parametrize("harvests", [1, 2])
@pytest.mark.parametrize("gone", [{"_deleted": True}, {"tags": []}])
def test_run_and_job_facets_deleted_later_are_cleared(repo: GitRepo, harvests: int,
                                                      gone: dict) -> None:
    """START gives the job's tags and documentation and the run's nominal time; COMPLETE
    deletes them (the spec's ``_deleted: true``; an empty tags list lists none): the run keeps
    none of them, whether both events are read in one harvest or in two."""
    start, complete = _raw("START", T_START), _raw("COMPLETE", T_END)
    for ev in (start, complete):
        del ev["producer"]  # optional in practice: the run keeps no other property
    start["run"]["facets"] = {"nominalTime": {"nominalStartTime": T_START}}
    start["job"]["facets"] = {"tags": {"tags": [{"key": "env", "value": "prod"}]},
                              "documentation": {"description": "trains the churn model"}}
    complete["run"]["facets"] = {"nominalTime": {"_deleted": True}}
    complete["job"]["facets"] = {"tags": gone, "documentation": {"_deleted": True}}
    if harvests == 1:
        repo.write("openlineage/events.jsonl", f"{json.dumps(start)}\n{json.dumps(complete)}\n")
    else:
        repo.write("openlineage/1.json", json.dumps(start))
        api.harvest(repo.path, only=["openlineage"])
        repo.write("openlineage/2.json", json.dumps(complete))
    api.harvest(repo.path, only=["openlineage"])
    store = api.open_store(repo.path)
    run = store.get_node(f"run:openlineage:{TRAIN}")
    store.close()
    assert run is not None and run.attrs["status"] == "COMPLETE"
    assert not run.attrs.get("tags") and not run.attrs.get("properties")
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0
