"""What a data node keeps of its OpenLineage dataset facets (``dataSource``, ``schema``,
``ownership``) across events, runs and harvests: producers send facets partially, delete one
with ``_deleted: true``, and deliver events late."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lineage import api
from tests.conftest import GitRepo

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
OLD, NEW = "0190a5b2-0000-7000-8000-000000000001", "0190a5b2-0000-7000-8000-000000000002"
TABLE = {"namespace": "postgres://db.internal:5432", "name": "crm.customers"}
TABLE_ID = "data:postgres://db.internal:5432:crm.customers@unversioned"


def _source(uri: str) -> dict:
    return {"dataSource": {"name": "crm", "uri": uri}}


def _schema(*names: str) -> dict:
    return {"schema": {"fields": [{"name": n, "type": "int"} for n in names]}}


def _owners(name: str) -> dict:
    return {"ownership": {"owners": [{"name": name}]}}


DELETED = {"_producer": PRODUCER, "_deleted": True}


def _event(run_id: str, state: str, at: str, facets: dict[str, Any]) -> dict:
    return {"eventType": state, "eventTime": at, "producer": PRODUCER,
            "run": {"runId": run_id}, "job": {"namespace": "airflow", "name": "crm_sync"},
            "inputs": [{**TABLE, "facets": facets}]}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "crm\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


def _harvest(repo: GitRepo, *events: dict, name: str = "events.jsonl") -> None:
    """Append ``events`` to an event log, harvest, and check a second harvest writes
    nothing."""
    path = repo.path / "openlineage" / name
    path.parent.mkdir(exist_ok=True)
    with path.open("a") as f:
        for ev in events:
            f.write(json.dumps(ev) + "\n")
    res = api.harvest(repo.path, only=["openlineage"])
    assert [str(w) for w in res.report.warnings] == []
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def _facts(repo: GitRepo) -> dict[str, Any]:
    store = api.open_store(repo.path)
    try:
        node = store.get_node(TABLE_ID)
    finally:
        store.close()
    assert node is not None
    props = node.attrs.get("properties") or {}
    return {k: props.get(k) for k in ("data_source", "schema_fields", "owners")}


@pytest.mark.parametrize("harvests", [1, 2])
def test_facts_survive_an_event_of_another_run_that_omits_them(repo: GitRepo,
                                                               harvests: int) -> None:
    """A dbt run names the table with its source and schema; an Airflow task of another run
    names it later with its owners only: the table keeps all three, whether both runs are read
    in one harvest or in two."""
    first = _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                   {**_source("postgres://db.internal:5432"), **_schema("id", "age")})
    second = _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z", _owners("team:crm"))
    if harvests == 1:
        _harvest(repo, first, second)
    else:
        _harvest(repo, first)
        _harvest(repo, second)
    assert _facts(repo) == {"data_source": "postgres://db.internal:5432",
                            "schema_fields": "id,age",
                            "owners": json.dumps([{"name": "team:crm", "type": None}])}


def test_a_schema_sent_alone_keeps_the_data_source(repo: GitRepo) -> None:
    """An event giving only a newer schema changes the schema, not the source."""
    _harvest(repo, _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                          {**_source("postgres://db.internal:5432"), **_schema("id")}))
    _harvest(repo, _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z", _schema("id", "age")))
    assert _facts(repo) == {"data_source": "postgres://db.internal:5432",
                            "schema_fields": "id,age", "owners": None}


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_facet_sent_deleted_clears_what_it_gave(repo: GitRepo, harvests: int) -> None:
    """The spec deletes a dataset facet by sending it with ``_deleted: true``: the source and
    schema it gave are gone, the facets it does not name stay."""
    start = _event(OLD, "START", "2026-01-03T10:00:00Z",
                   {**_source("postgres://db.internal:5432"), **_schema("id"),
                    **_owners("team:crm")})
    complete = _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                      {"dataSource": DELETED, "schema": DELETED})
    if harvests == 1:
        _harvest(repo, start, complete)
    else:
        _harvest(repo, start)
        _harvest(repo, complete)
    assert _facts(repo) == {"data_source": None, "schema_fields": None,
                            "owners": json.dumps([{"name": "team:crm", "type": None}])}


def test_a_facet_deleted_by_another_run_is_cleared(repo: GitRepo) -> None:
    _harvest(repo, _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                          {**_source("postgres://db.internal:5432"), **_schema("id")}))
    _harvest(repo, _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z", {"dataSource": DELETED}))
    assert _facts(repo) == {"data_source": None, "schema_fields": "id", "owners": None}


@pytest.mark.parametrize("harvests", [1, 2])
def test_a_late_event_of_an_older_run_leaves_the_newer_facts(repo: GitRepo,
                                                             harvests: int) -> None:
    """A backfilled event of a run that ended before the latest one is read last: the table
    keeps the source and schema the latest event names, not those read last."""
    newer = _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z",
                   {**_source("postgres://db-new.internal:5432"), **_schema("id", "age")})
    older = _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                   {**_source("postgres://db-old.internal:5432"), **_schema("id")})
    if harvests == 1:
        _harvest(repo, newer, older)
    else:
        _harvest(repo, newer)
        _harvest(repo, older)
    assert _facts(repo) == {"data_source": "postgres://db-new.internal:5432",
                            "schema_fields": "id,age", "owners": None}


def test_a_late_deletion_leaves_a_newer_facet(repo: GitRepo) -> None:
    _harvest(repo, _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z",
                          _source("postgres://db.internal:5432")))
    _harvest(repo, _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z", {"dataSource": DELETED}))
    assert _facts(repo)["data_source"] == "postgres://db.internal:5432"


def test_each_facet_is_ordered_by_the_time_of_the_event_that_gave_it(repo: GitRepo) -> None:
    """The latest event gave only a schema: a late event is still the latest word on the
    source it names (and a later late one replaces it), never on the schema."""
    _harvest(repo, _event(NEW, "COMPLETE", "2026-01-05T10:05:00Z", _schema("id", "age")))
    _harvest(repo, _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                          {**_source("postgres://db-old.internal:5432"), **_schema("id")}))
    assert _facts(repo) == {"data_source": "postgres://db-old.internal:5432",
                            "schema_fields": "id,age", "owners": None}
    mid = "0190a5b2-0000-7000-8000-000000000003"
    _harvest(repo, _event(mid, "COMPLETE", "2026-01-04T10:05:00Z",
                          _source("postgres://db-mid.internal:5432")))
    assert _facts(repo)["data_source"] == "postgres://db-mid.internal:5432"


def test_a_store_harvested_before_gets_back_the_facts_it_lost(repo: GitRepo) -> None:
    """A store harvested by an earlier version lost a table's source to another run's event
    and kept no fact's time: the next harvest reads the files again and restores both; the one
    after writes nothing."""
    from lineage.model import Node

    _harvest(repo, _event(OLD, "COMPLETE", "2026-01-03T10:05:00Z",
                          {**_source("postgres://db.internal:5432"), **_schema("id")}),
             _event(NEW, "COMPLETE", "2026-01-04T10:05:00Z", _owners("team:crm")))
    fresh = _facts(repo)
    store = api.open_store(repo.path)
    node = store.get_node(TABLE_ID)
    assert node is not None
    with store.transaction():
        store.upsert([Node.make(node.kind, node.id, **{
            **node.attrs, "properties": {"owners": node.attrs["properties"]["owners"]}})])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    assert _facts(repo)["data_source"] is None
    res = api.harvest(repo.path, only=["openlineage"])
    assert res.new_events > 0
    assert _facts(repo) == fresh
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0
