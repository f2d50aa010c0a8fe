"""Owners an OpenLineage producer gives (job and dataset ``ownership`` facets) are DataHub
owners: the ``ownership`` aspect the DataHub UI shows, on a real DataHub Lite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

DATAHUB = Path(sys.executable).with_name("datahub")
RUN = "0190a5b2-0000-7000-8000-000000000002"
TABLE = "urn:li:dataset:(urn:li:dataPlatform:postgres,crm.customers,PROD)"
runner = CliRunner()


def _event(state: str, at: str, run_id: str = RUN, *, job_owners: list[dict] | None = None,
           table_owners: list[dict] | None = None, version: str | None = None) -> dict:
    job: dict[str, Any] = {"namespace": "airflow", "name": "churn_dag.train"}
    if job_owners is not None:
        job["facets"] = {"ownership": {"owners": job_owners}}
    table: dict[str, Any] = {"namespace": "postgres://db.internal:5432", "name": "crm.customers",
                             "facets": {}}
    if table_owners is not None:
        table["facets"]["ownership"] = {"owners": table_owners}
    if version is not None:
        table["facets"]["version"] = {"datasetVersion": version}
    return {"eventType": state, "eventTime": at, "producer": "https://example.com/producer",
            "run": {"runId": run_id}, "job": job, "inputs": [table]}


JOB_OWNERS = [{"name": "team:churn-ml"}, {"name": "user:JDoe", "type": "MAINTAINER"},
              {"name": "ada@example.com"}, {"name": "application:airflow"}]
TABLE_OWNERS = [{"name": "user:JDoe", "type": "DATA_STEWARD"}, {"name": "team:crm"},
                {"name": "urn:li:corpGroup:dba"}, {"name": "ada@example.com"},
                {"name": "application:etl"}]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    return git_repo


def _append(repo: GitRepo, *events: dict) -> None:
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir(exist_ok=True)
    with path.open("a") as f:
        for ev in events:
            f.write(json.dumps(ev) + "\n")
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "openlineage"])
    assert res.exit_code == 0, res.output


def _push(repo: GitRepo, *args: str) -> dict:
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _lite(repo: GitRepo, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite(lite_config(repo.path / ".lineage" / "datahub-lite.db",
                                        read_only=True), read_only=True)
    try:
        return lite.get(urn, None) or {}
    finally:
        lite.close()


def _owners(aspect: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(o["owner"], o["type"]) for o in (aspect or {}).get("owners", [])]


def _run_urn(repo: GitRepo) -> str:
    from datahub.emitter.mce_builder import datahub_guid

    return f"urn:li:dataProcessInstance:{datahub_guid({'orchestrator': 'dvc', 'id': RUN})}"


def test_dataset_owners_are_datahub_owners_one_person_one_corpuser(repo: GitRepo) -> None:
    """The table's owners show as DataHub owners: ``user:`` and plain names and emails are
    corpusers, ``team:`` a corpGroup, a DataHub urn stays one; an application keeps its prefix
    (it is no person). ``user:JDoe`` is the same corpuser as the run's user (its creator)."""
    _append(repo, _event("START", "2026-01-03T10:00:00Z", job_owners=JOB_OWNERS,
                         table_owners=TABLE_OWNERS),
            _event("COMPLETE", "2026-01-03T10:05:00Z"))
    first = _push(repo)
    table = _lite(repo, TABLE)
    assert _owners(table.get("ownership")) == [
        ("urn:li:corpuser:jdoe", "DATA_STEWARD"),
        ("urn:li:corpGroup:crm", "TECHNICAL_OWNER"),
        ("urn:li:corpGroup:dba", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:ada@example.com", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:application:etl", "TECHNICAL_OWNER"),
    ]
    assert all(o["source"]["type"] == "SERVICE" for o in table["ownership"]["owners"])
    run = _lite(repo, _run_urn(repo))
    # DataHub's registry gives a dataProcessInstance no ownership: the owners are its job's
    # (test_job_owners_are_the_ownership_of_the_openlineage_job), the run shows them as text,
    # its person owner is its creator
    assert "ownership" not in run
    assert run["dataProcessInstanceProperties"]["created"]["actor"] == "urn:li:corpuser:jdoe"
    custom = run["dataProcessInstanceProperties"]["customProperties"]
    assert custom["owners"] == \
        "team:churn-ml, user:JDoe (MAINTAINER), ada@example.com, application:airflow"
    assert "lineage_owners" not in custom  # the text reads back as the owners
    again = _push(repo)
    assert (again["written"], again["unchanged"]) == (0, first["written"])


def test_owners_removed_at_the_source_are_cleared_on_the_next_push(repo: GitRepo) -> None:
    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", table_owners=TABLE_OWNERS))
    _push(repo)
    # a later run reads the table with one owner left
    _append(repo, _event("COMPLETE", "2026-01-04T10:05:00Z", RUN[:-1] + "3",
                         table_owners=[{"name": "team:crm"}]))
    changed = _push(repo)
    assert changed["written"] >= 1
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        ("urn:li:corpGroup:crm", "TECHNICAL_OWNER")]
    assert _push(repo)["written"] == 0


def test_a_versioned_dataset_shows_the_owners_its_latest_version_names(repo: GitRepo) -> None:
    """One DataHub dataset holds every version of a table: the owners shown are those the
    version the latest run used names, so an owner removed at the source (v8 names only the
    team) is gone from DataHub, though v7 (read before) still names them in the store."""
    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", table_owners=TABLE_OWNERS,
                         version="v10"))
    _push(repo)
    assert len(_owners(_lite(repo, TABLE).get("ownership"))) == 5
    _append(repo, _event("COMPLETE", "2026-01-04T10:05:00Z", RUN[:-1] + "3", version="v9",
                         table_owners=[{"name": "team:crm"}]))
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        ("urn:li:corpGroup:crm", "TECHNICAL_OWNER")]
    # a later run whose event gives no ownership facet removes no owner
    _append(repo, _event("COMPLETE", "2026-01-05T10:05:00Z", RUN[:-1] + "4", version="v11"))
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        ("urn:li:corpGroup:crm", "TECHNICAL_OWNER")]


def test_a_dataset_left_without_owners_has_its_owners_cleared(tmp_path: Path) -> None:
    """Through the API: a data node that loses its last owner empties the ``ownership`` aspect
    (an upsert replaces an aspect whole; left out, the old owners would still show)."""
    from connectors.sinks.datahub.sink import DataHubLiteSink
    from lineage.config import Config
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind
    from lineage.plugins import PushContext
    from lineage.store import Store

    def graph(props: dict[str, str]) -> LineageGraph:
        g = LineageGraph()
        g.add([Node.make(NodeKind.DATA, "data:postgres://db.internal:5432:crm.customers@v1",
                         path="crm.customers", namespace="postgres://db.internal:5432",
                         hash="v1", hash_kind="openlineage-version", properties=props)])
        return g

    lite_file = tmp_path / "catalog.db"
    with Store.init(tmp_path / ".lineage") as store:
        ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                          options={"dest": str(lite_file)})
        DataHubLiteSink().push(graph({"owners": "team:crm, user:max (DATA_STEWARD)"}), ctx)
        from datahub.lite.lite_util import get_datahub_lite

        def owners() -> list[tuple[str, str]]:
            lite = get_datahub_lite(lite_config(lite_file, read_only=True), read_only=True)
            try:
                urn = next(u for u in lite.list_ids() if u.startswith("urn:li:dataset:"))
                return _owners((lite.get(urn, None) or {}).get("ownership"))
            finally:
                lite.close()

        assert owners() == [("urn:li:corpGroup:crm", "TECHNICAL_OWNER"),
                            ("urn:li:corpuser:max", "DATA_STEWARD")]
        cleared = DataHubLiteSink().push(graph({}), ctx)
        # the emptied ownership, and the dataset's properties without the untyped owner
        # (``team:crm``) among ``owner_types``
        assert cleared.written == 2
        assert owners() == []
        assert DataHubLiteSink().push(graph({}), ctx).written == 0


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not installed next to python")
def test_datahub_check_and_lite_cli_accept_the_owners(repo: GitRepo, tmp_path: Path) -> None:
    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", job_owners=JOB_OWNERS,
                         table_owners=TABLE_OWNERS))
    out = tmp_path / "mcps.json"
    _push(repo, "--to", "datahub-file", str(out))
    assert any(m["entityUrn"] == TABLE and m["aspectName"] == "ownership"
               for m in json.loads(out.read_text()))
    check = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "all valid" in check.stdout
    _push(repo)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".datahubenv").write_text(
        "gms:\n  server: http://localhost:8080\n"
        f"lite:\n  type: sqlite\n  config:\n    file: {repo.path / '.lineage/datahub-lite.db'}\n")
    got = subprocess.run([str(DATAHUB), "lite", "get", "--urn", TABLE], capture_output=True,
                         text=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert got.returncode == 0, got.stderr[-2000:]
    assert ("urn:li:corpGroup:crm", "TECHNICAL_OWNER") in \
        _owners(json.loads(got.stdout).get("ownership"))


def test_a_person_named_by_a_datahub_urn_is_that_corpuser(tmp_path: Path) -> None:
    """An MLflow run's user or a record's author written as DataHub names them
    (``urn:li:corpuser:JDoe``) is the corpuser ``jdoe``, as ``user:JDoe`` of an OpenLineage
    owner is, not ``urn:li:corpuser:urn:li:corpuser:jdoe``."""
    from connectors.sinks.datahub.render import render
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, "run:mlflow:r1", source="mlflow", run_id="r1", name="train",
                     user="urn:li:corpuser:JDoe", start_time="2026-01-03T10:00:00Z"),
           Node.make(NodeKind.DATA, "data:s3:bucket/t.csv@v1", path="bucket/t.csv",
                     namespace="s3", hash="v1", properties={"owners": "user:JDoe"})])
    mcps = render(g)
    run = next(m.aspect for m in mcps if m.aspectName == "dataProcessInstanceProperties")
    owners = next(m.aspect for m in mcps if m.aspectName == "ownership"
                  and m.entityType == "dataset")
    assert run.created.actor == owners.owners[0].owner == "urn:li:corpuser:jdoe"


def test_an_approver_named_by_a_datahub_urn_is_the_runs_corpuser(tmp_path: Path) -> None:
    """A record's approver written as DataHub names people (``urn:li:corpuser:JDoe``) is the
    one corpuser ``jdoe`` the run's user ``JDoe`` is; a group urn stays a group."""
    from connectors.sinks.datahub.render import render
    from lineage.graph import LineageGraph
    from lineage.model import Edge, EdgeKind, Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, "run:mlflow:r1", source="mlflow", run_id="r1", name="train",
                     user="JDoe", start_time="2026-01-03T10:00:00Z"),
           Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn"),
           Node.make(NodeKind.MODEL, "model:churn@1", group="churn", version="1"),
           Edge.make(EdgeKind.VERSION_OF, "model:churn@1", "model_group:churn"),
           Edge.make(EdgeKind.PRODUCED, "run:mlflow:r1", "model:churn@1"),
           Node.make(NodeKind.APPROVAL, "approval:a1", approver="urn:li:corpuser:JDoe",
                     decision="approved", decided_at="2026-01-04T10:00:00Z"),
           Node.make(NodeKind.APPROVAL, "approval:a2", approver="urn:li:corpGroup:risk-board",
                     decision="approved", decided_at="2026-01-04T11:00:00Z"),
           Edge.make(EdgeKind.APPROVES, "approval:a1", "model:churn@1"),
           Edge.make(EdgeKind.APPROVES, "approval:a2", "model:churn@1")])
    mcps = render(g)
    run = next(m.aspect for m in mcps if m.aspectName == "dataProcessInstanceProperties")
    owners = next(m.aspect for m in mcps if m.aspectName == "ownership"
                  and m.entityType == "mlModel")
    assert [o.owner for o in owners.owners] == [run.created.actor, "urn:li:corpGroup:risk-board"]
    assert run.created.actor == "urn:li:corpuser:jdoe"


def test_a_team_owning_a_model_group_reads_back_as_the_team() -> None:
    """A model group owned by ``team:churn-ml`` is owned by the corpGroup ``churn-ml`` in
    DataHub, and reading DataHub back names the team, not ``urn:li:corpGroup:churn-ml``."""
    from connectors.sinks.datahub.reader import graph_from_mcps
    from connectors.sinks.datahub.render import render
    from lineage.graph import LineageGraph
    from lineage.model import Node, NodeKind

    g = LineageGraph()
    g.add([Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn",
                     owner="team:churn-ml"),
           Node.make(NodeKind.MODEL_GROUP, "model_group:fraud", name="fraud", owner="ada")])
    mcps = render(g)
    owners = {m.entityUrn: [o.owner for o in m.aspect.owners] for m in mcps
              if m.aspectName == "ownership"}
    assert sorted(owners.values()) == [["urn:li:corpGroup:churn-ml"], ["urn:li:corpuser:ada"]]
    back = graph_from_mcps(mcps)
    assert back.attrs("model_group:churn")["owner"] == "team:churn-ml"
    assert back.attrs("model_group:fraud")["owner"] == "ada"


def _stored(repo: GitRepo, nid: str) -> dict[str, Any]:
    from lineage import api

    store = api.open_store(repo.path)
    try:
        node = store.get_node(nid)
    finally:
        store.close()
    assert node is not None, nid
    return node.attrs


RUN_ID = f"run:openlineage:{RUN}"
TABLE_ID = "data:postgres://db.internal:5432:crm.customers@unversioned"


def _with_source(ev: dict) -> dict:
    """The table with a ``dataSource`` facet, as Spark and dbt send it."""
    ev["inputs"][0]["facets"]["dataSource"] = {"name": "crm",
                                               "uri": "postgres://db.internal:5432"}
    return ev


@pytest.mark.parametrize("source", [False, True])
def test_an_empty_ownership_facet_clears_the_owners_at_the_source(repo: GitRepo,
                                                                  source: bool) -> None:
    """Owners removed at the source (a later event whose ``ownership`` facet lists none) are
    gone from the store and from DataHub, with the run's user they named."""
    def ev(state: str, at: str, owners: list[dict]) -> dict:
        e = _event(state, at, job_owners=owners, table_owners=owners)
        return _with_source(e) if source else e

    _append(repo, ev("START", "2026-01-03T10:00:00Z",
                     [{"name": "user:jdoe"}, {"name": "team:crm"}]))
    assert _stored(repo, RUN_ID)["user"] == "jdoe"
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) != []
    _append(repo, ev("COMPLETE", "2026-01-03T10:05:00Z", []))
    run, table = _stored(repo, RUN_ID), _stored(repo, TABLE_ID)
    assert run.get("user") is None
    assert "team:crm" not in json.dumps(run) and "team:crm" not in json.dumps(table)
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == []
    props = _lite(repo, _run_urn(repo))["dataProcessInstanceProperties"]
    assert "jdoe" not in json.dumps(props)
    assert _push(repo)["written"] == 0


@pytest.mark.parametrize("source", [False, True])
def test_an_event_without_ownership_facet_keeps_the_owners(repo: GitRepo,
                                                           source: bool) -> None:
    """OpenLineage events carry facets partially: a COMPLETE (or another run's event) that
    sends no ``ownership`` facet removes no owner."""
    def ev(state: str, at: str, run_id: str = RUN, owners: list[dict] | None = None) -> dict:
        e = _event(state, at, run_id, job_owners=owners, table_owners=owners)
        return _with_source(e) if source else e

    _append(repo, ev("START", "2026-01-03T10:00:00Z", owners=[{"name": "user:jdoe"},
                                                              {"name": "team:crm"}]))
    _append(repo, ev("COMPLETE", "2026-01-03T10:05:00Z"))
    _append(repo, ev("COMPLETE", "2026-01-04T10:05:00Z", RUN[:-1] + "3"))
    assert _stored(repo, RUN_ID)["user"] == "jdoe"
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        ("urn:li:corpuser:jdoe", "TECHNICAL_OWNER"), ("urn:li:corpGroup:crm", "TECHNICAL_OWNER")]


ODD_OWNERS = [{"name": "Doe, John", "type": "DATA_STEWARD"}, {"name": "jdoe (contractor)"},
              {"name": "team:crm"}]


def test_an_owner_named_with_a_comma_or_parentheses_is_one_owner(repo: GitRepo) -> None:
    """``Doe, John`` is one owner, not ``Doe`` and ``John``; ``jdoe (contractor)`` is a name,
    not ``jdoe`` of type ``contractor``: the store keeps the facet's owners as a list."""
    from connectors.harvesters.openlineage import load_owners
    from connectors.sinks.datahub.render import owner_urn

    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", job_owners=ODD_OWNERS,
                         table_owners=ODD_OWNERS))
    run, table = _stored(repo, RUN_ID), _stored(repo, TABLE_ID)
    expected = [{"name": "Doe, John", "type": "DATA_STEWARD"},
                {"name": "jdoe (contractor)", "type": None}, {"name": "team:crm", "type": None}]
    assert load_owners(run["properties"]["owners"]) == expected
    assert load_owners(table["properties"]["owners"]) == expected
    assert run["user"] == "Doe, John"
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        (owner_urn("Doe, John"), "DATA_STEWARD"), (owner_urn("jdoe (contractor)"),
                                                   "TECHNICAL_OWNER"),
        ("urn:li:corpGroup:crm", "TECHNICAL_OWNER")]
    props = _lite(repo, _run_urn(repo))["dataProcessInstanceProperties"]["customProperties"]
    assert props["owners"] == "Doe, John (DATA_STEWARD), jdoe (contractor), team:crm"
    assert load_owners(props["lineage_owners"]) == expected  # the text alone is ambiguous


def test_a_store_holding_owners_as_text_reads_and_is_rewritten(repo: GitRepo) -> None:
    """A store harvested before owners were kept as a list holds ``name (TYPE), …`` text: it
    is pushed as before, the next harvest rewrites it as a list, and pushing the same owners
    again writes nothing."""
    from lineage import api
    from lineage.model import Node

    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", job_owners=JOB_OWNERS,
                         table_owners=TABLE_OWNERS))
    fresh = _push(repo)
    store = api.open_store(repo.path)
    run, table = store.get_node(RUN_ID), store.get_node(TABLE_ID)
    assert run is not None and table is not None
    texts = {RUN_ID: "team:churn-ml, user:JDoe (MAINTAINER), ada@example.com, "
                     "application:airflow",
             TABLE_ID: "user:JDoe (DATA_STEWARD), team:crm, urn:li:corpGroup:dba, "
                       "ada@example.com, application:etl"}
    with store.transaction():
        for node in (run, table):
            store.upsert([Node.make(node.kind, node.id, **{
                **node.attrs, "properties": {**node.attrs["properties"],
                                             "owners": texts[node.id]}})])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    assert _push(repo)["written"] == 0  # the text reads as the list it was written from
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "openlineage"])
    assert res.exit_code == 0, res.output
    for nid, first in ((RUN_ID, {"name": "team:churn-ml", "type": None}),
                       (TABLE_ID, {"name": "user:JDoe", "type": "DATA_STEWARD"})):
        assert json.loads(_stored(repo, nid)["properties"]["owners"])[0] == first
    again = _push(repo)
    assert (again["written"], again["unchanged"]) == (0, fresh["written"])
    assert len(_owners(_lite(repo, TABLE).get("ownership"))) == 5


def test_an_ownership_facet_marked_deleted_clears_the_owners(repo: GitRepo) -> None:
    """The spec deletes a job or dataset facet by sending it with ``_deleted: true``: the
    owners it gave are gone, as with a facet that lists none."""
    from connectors.harvesters.openlineage import load_owners

    _append(repo, _event("START", "2026-01-03T10:00:00Z", job_owners=[{"name": "user:jdoe"}],
                         table_owners=[{"name": "team:crm"}]))
    deleted = _event("COMPLETE", "2026-01-03T10:05:00Z")
    gone = {"_producer": "https://example.com/producer", "_deleted": True,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/"
                          "OwnershipJobFacet.json#/$defs/OwnershipJobFacet"}
    deleted["job"]["facets"] = {"ownership": gone}
    deleted["inputs"][0]["facets"]["ownership"] = gone
    _append(repo, deleted)
    run, table = _stored(repo, RUN_ID), _stored(repo, TABLE_ID)
    assert run.get("user") is None
    assert load_owners(run["properties"]["owners"]) == []
    assert load_owners(table["properties"]["owners"]) == []
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == []


def test_a_late_event_of_an_older_run_leaves_the_newer_owners(repo: GitRepo) -> None:
    """Events of a run that ended before another arrive after it (a backfill, a delayed
    file): the table keeps the owners the latest event names, not those read last."""
    from connectors.harvesters.openlineage import load_owners

    _append(repo, _event("COMPLETE", "2026-01-04T10:05:00Z", RUN[:-1] + "3",
                         table_owners=[{"name": "team:new"}]))
    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", table_owners=[{"name": "team:old"}]))
    assert load_owners(_stored(repo, TABLE_ID)["properties"]["owners"]) == [
        {"name": "team:new", "type": None}]
    _push(repo)
    assert _owners(_lite(repo, TABLE).get("ownership")) == [
        ("urn:li:corpGroup:new", "TECHNICAL_OWNER")]
    assert _push(repo)["written"] == 0


AIRFLOW = "https://github.com/apache/airflow/tree/providers-openlineage/1.8.0"
JOB_URN = ("urn:li:dataJob:(urn:li:dataFlow:(airflow,churn_dag,airflow),churn_dag.train)")


def test_job_owners_are_the_ownership_of_the_openlineage_job(repo: GitRepo) -> None:
    """A dataProcessInstance takes no ``ownership``: the job's owners are owners of the job,
    a ``dataJob`` named as DataHub's OpenLineage converter names it (flow = the orchestrator
    the producer names, the job name's first part, the job namespace), which the run
    instantiates (``parentTemplate``). A later run's facet listing fewer owners replaces them."""
    first = _event("START", "2026-01-03T10:00:00Z", job_owners=JOB_OWNERS)
    done = _event("COMPLETE", "2026-01-03T10:05:00Z")
    for ev in (first, done):
        ev["producer"] = AIRFLOW
    _append(repo, first, done)
    pushed = _push(repo)
    job = _lite(repo, JOB_URN)
    assert job["dataJobInfo"]["flowUrn"] == "urn:li:dataFlow:(airflow,churn_dag,airflow)"
    assert _owners(job.get("ownership")) == [
        ("urn:li:corpGroup:churn-ml", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:jdoe", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:ada@example.com", "TECHNICAL_OWNER"),
        ("urn:li:corpuser:application:airflow", "TECHNICAL_OWNER"),
    ]
    run = _lite(repo, _run_urn(repo))
    assert run["dataProcessInstanceRelationships"]["parentTemplate"] == JOB_URN
    assert _push(repo)["written"] == 0 and pushed["written"] > 0
    later = _event("COMPLETE", "2026-01-04T10:05:00Z", RUN[:-1] + "3",
                   job_owners=[{"name": "team:churn-ml"}])
    later["producer"] = AIRFLOW
    _append(repo, later)
    _push(repo)
    assert _owners(_lite(repo, JOB_URN).get("ownership")) == [
        ("urn:li:corpGroup:churn-ml", "TECHNICAL_OWNER")]


def test_read_back_the_runs_owners_are_the_stores(repo: GitRepo) -> None:
    """Reading DataHub back gives a run the owners the store keeps (the facet's list),
    exactly, also for a name holding ``, `` or parentheses."""
    from connectors.harvesters.openlineage import load_owners
    from connectors.sinks.datahub.reader import read_lite

    _append(repo, _event("COMPLETE", "2026-01-03T10:05:00Z", job_owners=ODD_OWNERS))
    _push(repo)
    stored = _stored(repo, RUN_ID)["properties"]["owners"]
    back = read_lite(repo=repo.path).attrs(RUN_ID)["properties"]["owners"]
    assert load_owners(back) == load_owners(stored) == [
        {"name": "Doe, John", "type": "DATA_STEWARD"},
        {"name": "jdoe (contractor)", "type": None}, {"name": "team:crm", "type": None}]
    assert back == stored
