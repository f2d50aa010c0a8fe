"""``lineage push --to atlas -o remove_stale=true``: entities gone from the graph.

An entity an earlier push sent to this Atlas that the graph no longer renders (the data
versions, stage lock entries and repository of a repository's former identity, below) is
counted as ``stale_entities`` and left in place; with ``-o remove_stale=true`` it is deleted
the Atlas way once everything else was pushed: Atlas's default soft delete (status
``DELETED``, its relationships deleted with it, the entity still read by its guid). Atlas
frees the qualifiedName of a deleted entity and never brings one back, so an entity the graph
renders again later is created anew (a new guid), the deleted one staying as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.sinks.atlas import sink as atlas_sink
from connectors.sinks.atlas.client import AtlasHttp
from connectors.sinks.atlas.render import render_graph
from connectors.sinks.atlas.sink import AtlasSink, namespace
from lineage import api
from lineage.cli.main import app
from lineage.config import Config
from lineage.errors import ConfigError, SinkError
from lineage.graph import LineageGraph
from lineage.plugins import PushContext
from lineage.store import Store
from tests.conftest import REMOTE_ADDED_URL, GitRepo, dvc_pipeline
from tests.standins import atlas_graph as G
from tests.standins.atlas import AtlasStandin, running_atlas

PASSWORD = "Stale-Pa55"
NEW = "github.com/acme/churn"
runner = CliRunner()


@pytest.fixture
def atlas(monkeypatch: pytest.MonkeyPatch) -> Iterator[AtlasStandin]:
    with running_atlas({"admin": PASSWORD}) as s:
        monkeypatch.setenv("ATLAS_URL", s.url)
        monkeypatch.setenv("ATLAS_USERNAME", "admin")
        monkeypatch.setenv("ATLAS_PASSWORD", PASSWORD)
        yield s


def push(repo: GitRepo, *extra: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", "--to", "atlas", "--json", "--repo", str(repo.path),
                              *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def active(atlas: AtlasStandin) -> dict[str, str]:
    """qualifiedName → guid of every ACTIVE entity (what GET by unique attribute finds)."""
    return {qn: g for (_, qn), g in atlas.unique.items()}


def status(atlas: AtlasStandin, guid: str) -> str:
    return str(atlas.entities[guid]["status"])


def rendered(repo: GitRepo) -> set[str]:
    with api.open_store(repo.path) as store:
        return {i["qualifiedName"] for i in render_graph(store.load_graph())}


def harvested_without_remote(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A DVC pipeline harvested and a run recorded (reading data/prepared.csv) while the
    repository has no remote: its identity is its root commit."""
    dvc_pipeline(repo)
    api.init(repo.path)
    api.harvest(repo.path)
    monkeypatch.chdir(repo.path)
    res = runner.invoke(app, [
        "record", "run", "--name", "train", "--run-id", "r-before-remote", "--input",
        "data/prepared.csv", "--start", "2026-01-02T00:00:00Z", "--end", "2026-01-02T01:00:00Z"])
    assert res.exit_code == 0, res.output
    api.harvest(repo.path)


def test_the_former_identity_is_left_then_deleted_with_remove_stale(
        git_repo: GitRepo, atlas: AtlasStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    harvested_without_remote(git_repo, monkeypatch)
    root = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    first = push(git_repo)
    assert first["failed"] == 0 and "stale_entities" not in first
    before = active(atlas)

    git_repo.git("remote", "add", "origin", REMOTE_ADDED_URL)
    api.harvest(git_repo.path)
    stale = set(before) - rendered(git_repo)
    # the data versions and the stage lock entry under the root-commit id (the former
    # repository itself is still in the graph, superseded by the new one)
    assert {q.split(":", 1)[0] for q in stale} == {"data", "stage"}
    assert all(q.startswith(("data:root:", "stage:root:")) for q in stale)
    assert f"repository:root:{root}@lineage" not in stale

    # without the option: counted, left in place
    out = push(git_repo)
    assert out["stale_entities"] == len(stale) and "removed_entities" not in out
    assert all(status(atlas, before[q]) == "ACTIVE" for q in stale)
    others = {g: json.dumps(e, sort_keys=True) for g, e in atlas.entities.items()
              if g not in {before[q] for q in stale}}

    n = len(atlas.requests)
    out = push(git_repo, "-o", "remove_stale=true")
    assert out["removed_entities"] == len(stale) and "stale_entities" not in out
    assert (out["written"], out["failed"]) == (0, 0)  # nothing else was due
    # one delete by the guids Atlas assigned, after nothing else had to be sent
    assert atlas.requests[n:] == [("DELETE", "entity/bulk")]
    for q in stale:
        e = atlas.entities[before[q]]
        assert e["status"] == "DELETED" and e["attributes"]["qualifiedName"] == q
    http = AtlasHttp(atlas.url, "admin", PASSWORD)
    for q in stale:
        kind = "lineage_data" if q.startswith("data:") else "lineage_dvc_stage"
        assert http.find_guid(kind, q) is None  # GET by unique attribute: 404
    # every other entity is as it was
    assert {g: json.dumps(e, sort_keys=True) for g, e in atlas.entities.items()
            if g in others} == others
    # the run recorded before the move reads the current data version, which is ACTIVE
    [run] = [e for e in atlas.entities.values() if e["typeName"] == "lineage_training_run"]
    assert run["status"] == "ACTIVE"
    inputs = [atlas.entities[r["guid"]] for r in run["attributes"]["inputs"]
              if r["typeName"] == "lineage_data"]
    assert [(e["status"], e["attributes"]["path"]) for e in inputs] == [
        ("ACTIVE", "data/prepared.csv")]
    assert inputs[0]["attributes"]["qualifiedName"].startswith(f"data:{NEW}:")
    # the deletion is in the tamper-evident log
    with api.open_store(git_repo.path) as store:
        [*_, event] = [e.payload for e in store.events() if e.kind == "push"]
        assert event["removed_entities"] == len(stale) and event["ok"] is True
        assert not [k for k in store.state_get_all(namespace(atlas.url))
                    if k.split("|", 1)[-1] in stale]

    # nothing is stale any more: the next push has nothing to do
    n = len(atlas.requests)
    again = push(git_repo, "-o", "remove_stale=true")
    assert atlas.requests[n:] == []
    assert "stale_entities" not in again and "removed_entities" not in again


def test_an_entity_rendered_again_is_created_anew(
        git_repo: GitRepo, atlas: AtlasStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The remote removed again: the root-commit identity is current once more. Atlas never
    brings a DELETED entity back and has freed its qualifiedName, so the push creates a new
    entity (new guid) for each; the deleted ones stay DELETED."""
    harvested_without_remote(git_repo, monkeypatch)
    push(git_repo, "-o", "remove_stale=true")
    old = active(atlas)
    git_repo.git("remote", "add", "origin", REMOTE_ADDED_URL)
    api.harvest(git_repo.path)
    moved = push(git_repo, "-o", "remove_stale=true")
    former = {q: g for q, g in old.items() if q not in rendered(git_repo)}
    assert former and all(":root:" in q for q in former)
    assert moved["removed_entities"] == len(former)
    current = {q: g for q, g in active(atlas).items() if f":{NEW}:" in q}

    git_repo.git("remote", "remove", "origin")
    api.harvest(git_repo.path)
    assert set(former) <= rendered(git_repo)
    back = push(git_repo, "-o", "remove_stale=true")
    assert current and back["removed_entities"] == len(current)
    now = active(atlas)
    for q, g in former.items():
        assert now[q] != g and status(atlas, now[q]) == "ACTIVE"  # a new entity
        assert status(atlas, g) == "DELETED"  # the deleted one as it was
    assert not {q for q in now if f":{NEW}:" in q}
    assert all(status(atlas, g) == "DELETED" for g in current.values())
    # the run recorded before the move reads the new entity of its data version
    [run] = [e for e in atlas.entities.values() if e["typeName"] == "lineage_training_run"]
    assert {r["guid"] for r in run["attributes"]["inputs"]
            if r["typeName"] == "lineage_data"} <= {now[q] for q in former}
    # an unchanged graph: nothing to send, nothing stale
    n = len(atlas.requests)
    push(git_repo, "-o", "remove_stale=true")
    assert atlas.requests[n:] == []


# -- the sink on the stand-in graph ---------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def sink_push(graph: LineageGraph, store: Store, url: str, **options: Any) -> Any:
    ctx = PushContext(store, Config(), store.root.parent,
                      options={"url": url, "username": "admin", "password": PASSWORD,
                               **options})
    return AtlasSink().push(graph, ctx)


def without(*nodes: str) -> LineageGraph:
    graph = G.build_graph()
    return graph.subgraph([n for n in graph.node_ids() if n not in nodes])


def guid(atlas: AtlasStandin, type_name: str, node: str) -> str:
    return atlas.unique[(type_name, node + "@lineage")]


def all_of(atlas: AtlasStandin, node: str) -> list[str]:
    """The guids of every entity (DELETED ones too) of that node."""
    return [g for g, e in atlas.entities.items()
            if e["attributes"]["qualifiedName"] == node + "@lineage"]


@pytest.mark.parametrize("spelling", ["true", "Yes", "1", "ON", " on "])
def test_true_spellings_remove(spelling: str, atlas: AtlasStandin, store: Store) -> None:
    sink_push(G.build_graph(), store, atlas.url)
    g = guid(atlas, "lineage_approval", G.APPROVAL_DEP)
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale=spelling)
    assert result.details["removed_entities"] == 1 and status(atlas, g) == "DELETED"


@pytest.mark.parametrize("spelling", ["false", "No", "0", "OFF", ""])
def test_false_spellings_only_count(spelling: str, atlas: AtlasStandin, store: Store) -> None:
    sink_push(G.build_graph(), store, atlas.url)
    g = guid(atlas, "lineage_approval", G.APPROVAL_DEP)
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale=spelling)
    assert result.details["stale_entities"] == 1 and "removed_entities" not in result.details
    assert status(atlas, g) == "ACTIVE"


def test_a_misspelt_value_or_key_is_refused(git_repo: GitRepo, store: Store,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    monkeypatch.setenv("ATLAS_PASSWORD", PASSWORD)
    with pytest.raises(ConfigError) as exc:
        sink_push(G.build_graph(), store, "http://127.0.0.1:1", remove_stale="maybe")
    assert "remove_stale" in str(exc.value) and "'maybe'" in str(exc.value)
    assert exc.value.exit_code == 2
    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    for args, says in ((["-o", "remove_stale=maybe"], "must be true or false"),
                       (["-o", "remove_stail=true"], "did you mean remove_stale?")):
        res = runner.invoke(app, ["push", "--to", "atlas", "--server", "http://127.0.0.1:1",
                                  "--repo", str(git_repo.path), *args])
        assert res.exit_code == 2, res.output
        assert says in " ".join(res.output.split())


def test_the_summary_counts_them(git_repo: GitRepo, atlas: AtlasStandin,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user reads: the human summary names how many were left and how many deleted."""
    harvested_without_remote(git_repo, monkeypatch)
    push(git_repo)
    git_repo.git("remote", "add", "origin", REMOTE_ADDED_URL)
    api.harvest(git_repo.path)
    n = len(set(active(atlas)) - rendered(git_repo))

    def human(*extra: str) -> str:
        res = runner.invoke(app, ["push", "--to", "atlas", "--repo", str(git_repo.path),
                                  *extra])
        assert res.exit_code == 0, res.output
        return " ".join(res.output.split())

    assert (f"{n} entities pushed before are no longer in the graph (left in place; "
            "-o remove_stale=true deletes them)") in human()
    out = human("-o", "remove_stale=true")
    assert (f"Soft-deleted {n} entities pushed before that are no longer in the graph "
            "(status DELETED)") in out
    assert "no longer in the graph (left in place" not in out
    assert "no longer in the graph" not in human("-o", "remove_stale=true")


def test_a_push_stopped_while_removing_removes_the_rest_next_time(
        atlas: AtlasStandin, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atlas_sink, "DELETE_BATCH", 1)
    sink_push(G.build_graph(), store, atlas.url)
    gone = (G.APPROVAL_DEP, G.APPROVAL, G.RUN1)
    [stale] = [{n: g for n in gone for g in all_of(atlas, n)}]
    assert len(stale) == 3
    atlas.fail_delete_after = 1  # the second delete fails
    with pytest.raises(SinkError) as exc:
        sink_push(without(*gone), store, atlas.url, remove_stale="true")
    assert exc.value.exit_code == 3
    assert "removed by the next push with -o remove_stale=true" in (exc.value.hint or "")
    partial = exc.value.result  # type: ignore[attr-defined]
    assert partial.details["removed_entities"] == 1
    assert partial.details["stale_entities"] == 2 and partial.failed == 0
    assert sorted(status(atlas, g) for g in stale.values()) == ["ACTIVE", "ACTIVE", "DELETED"]
    left = {k[2:] for k in store.state_get_all(namespace(atlas.url)) if k.startswith("e|")}
    assert [n for n in gone if n + "@lineage" in left] == [
        n for n in gone if status(atlas, stale[n]) == "ACTIVE"]
    # upserts went first: the graph's own changes are in Atlas already
    dep = atlas.entities[guid(atlas, "lineage_deployment", G.DEPLOY)]
    assert G.APPROVAL_DEP not in json.dumps(dep["businessAttributes"])

    atlas.fail_delete_after = None
    n = len(atlas.requests)
    result = sink_push(without(*gone), store, atlas.url, remove_stale="true")
    assert result.details["removed_entities"] == 2 and "stale_entities" not in result.details
    assert atlas.requests[n:] == [("DELETE", "entity/bulk")] * 2  # not the first one again
    assert {status(atlas, g) for g in stale.values()} == {"DELETED"}


def test_a_delete_whose_answer_was_lost_or_already_done_is_no_error(
        atlas: AtlasStandin, store: Store) -> None:
    sink_push(G.build_graph(), store, atlas.url)
    dep, doc = (guid(atlas, "lineage_approval", G.APPROVAL_DEP),
                guid(atlas, "lineage_model", G.GROUP))
    # deleted already (an answer that never came back, an administrator), then purged
    AtlasHttp(atlas.url, "admin", PASSWORD).delete_entities([dep])
    atlas.purge(dep)
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale="true")
    assert result.details["removed_entities"] == 1
    assert status(atlas, doc) == "ACTIVE"
    # a server that answers 404 for a guid it no longer holds: one by one, still no error
    sink_push(G.build_graph(), store, atlas.url)
    g = guid(atlas, "lineage_approval", G.APPROVAL_DEP)
    assert g != dep  # created anew
    atlas.purge(g)
    atlas.delete_unknown_404 = True
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale="true")
    assert result.details["removed_entities"] == 1
    assert ("DELETE", f"entity/guid/{g}") in atlas.requests
    assert not [k for k in store.state_get_all(namespace(atlas.url))
                if k.endswith("|" + G.APPROVAL_DEP + "@lineage")]


def test_only_what_this_store_sent_to_this_atlas_is_deleted(
        atlas: AtlasStandin, store: Store, tmp_path: Path) -> None:
    # another tool's entity, and an entity of our type that another store pushed
    http = AtlasHttp(atlas.url, "admin", PASSWORD)
    foreign = http.bulk({"entities": [{"guid": "-1", "typeName": "DataSet", "attributes": {
        "qualifiedName": "sales.orders@warehouse", "name": "orders"}}]})["guidAssignments"]["-1"]
    other = Store.init(tmp_path / "other")
    sink_push(G.build_graph(), other, atlas.url)
    other.close()
    ghost = guid(atlas, "lineage_commit", G.GHOST_COMMIT)  # a commit the run only names
    # this store finds what the other pushed: the named-only commit is referred to by guid,
    # never sent; everything else it sends (an upsert of the same entities)
    sink_push(G.build_graph(), store, atlas.url)
    sent = {k[2:] for k in store.state_get_all(namespace(atlas.url)) if k.startswith("e|")}
    assert G.GHOST_COMMIT + "@lineage" not in sent
    with running_atlas({"admin": PASSWORD}) as second:  # the same store, another Atlas
        sink_push(G.build_graph(), store, second.url)
        graph = without(G.RUN2, G.GHOST_COMMIT)
        result = sink_push(graph, store, second.url, remove_stale="true")
        assert result.details["removed_entities"] == 2  # the run and the commit it sent there
    # this Atlas: the run is deleted; what this store never sent here is not
    result = sink_push(graph, store, atlas.url, remove_stale="true")
    assert result.details["removed_entities"] == 1
    assert [status(atlas, g) for g in all_of(atlas, G.RUN2)] == ["DELETED"]
    assert status(atlas, ghost) == "ACTIVE" and status(atlas, foreign) == "ACTIVE"
    assert sum(e["status"] == "DELETED" for e in atlas.entities.values()) == 1


def test_full_still_removes_what_earlier_pushes_sent(atlas: AtlasStandin, store: Store) -> None:
    sink_push(G.build_graph(), store, atlas.url)
    g = guid(atlas, "lineage_approval", G.APPROVAL_DEP)
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, full="true",
                       remove_stale="true")
    assert result.details["removed_entities"] == 1 and status(atlas, g) == "DELETED"


def test_a_refused_delete_keeps_everything_for_the_next_push(atlas: AtlasStandin,
                                                             store: Store) -> None:
    sink_push(G.build_graph(), store, atlas.url)
    g = guid(atlas, "lineage_approval", G.APPROVAL_DEP)
    atlas.may_not_delete = {"admin"}  # a user without Atlas's ENTITY_DELETE privilege
    with pytest.raises(SinkError) as exc:
        sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale="true")
    assert exc.value.exit_code == 3
    assert "may not DELETE /api/atlas/v2/entity/bulk" in str(exc.value)
    assert "may delete entities" in (exc.value.hint or "")
    assert "next push" in (exc.value.hint or "")
    assert exc.value.result.details["stale_entities"] == 1  # type: ignore[attr-defined]
    assert status(atlas, g) == "ACTIVE"
    # the graph's own changes were pushed first and are kept
    dep = atlas.entities[guid(atlas, "lineage_deployment", G.DEPLOY)]
    assert G.APPROVAL_DEP not in json.dumps(dep["businessAttributes"])
    atlas.may_not_delete = set()
    n = len(atlas.requests)
    result = sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale="true")
    assert result.details["removed_entities"] == 1 and status(atlas, g) == "DELETED"
    assert atlas.requests[n:] == [("DELETE", "entity/bulk")]


def test_a_404_that_is_not_atlas_saying_so_forgets_nothing(
        atlas: AtlasStandin, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 404 without Atlas's 'no such guid' (a proxy's page, a path Atlas does not serve)
    proves nothing was deleted: an error, and the entity stays stale."""
    from connectors.sinks.atlas.client import AtlasError

    sink_push(G.build_graph(), store, atlas.url)

    def not_found(self: AtlasHttp, guids: list[str]) -> dict[str, Any]:
        raise AtlasError("Atlas answered DELETE /api/atlas/v2/entity/bulk with HTTP 404",
                         status=404)

    monkeypatch.setattr(AtlasHttp, "delete_entities", not_found)
    with pytest.raises(SinkError):
        sink_push(without(G.APPROVAL_DEP), store, atlas.url, remove_stale="true")
    assert "e|" + G.APPROVAL_DEP + "@lineage" in store.state_get_all(namespace(atlas.url))
