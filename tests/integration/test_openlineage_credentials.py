"""Credentials in OpenLineage dataset namespaces: a producer configured with a connection
string names its datasets ``postgres://etl:<password>@db:5432`` (the spec's namespace is
``postgres://{host}:{port}``) or ``s3://<key>:<secret>@bucket``. The password must not end in
a data node id, its attributes, an edge, the cache, or anything pushed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
RUN = "0190a5b2-0000-7000-8000-000000000002"
RID = f"run:openlineage:{RUN}"
SECRET = "pa55SECRETword"


def _event(state: str, at: str) -> dict:
    return {"eventType": state, "eventTime": at, "producer": PRODUCER, "run": {"runId": RUN},
            "job": {"namespace": "airflow", "name": "crm_sync"},
            "inputs": [{"namespace": f"postgres://etl:{SECRET}@db.internal:5432",
                        "name": "crm.customers"}],
            "outputs": [{"namespace": f"s3://AKIAEXAMPLE:{SECRET}@models-bucket",
                         "name": "churn/model.pkl"}]}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "crm\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


def _no_secret_in_the_store(repo: GitRepo, secret: str = SECRET) -> None:
    for f in (repo.path / ".lineage").rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f


def test_a_password_in_a_dataset_namespace_is_stored_nowhere(repo: GitRepo) -> None:
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_event("START", "2026-01-03T10:00:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    with path.open("a") as f:  # a second harvest merges with the cached START
        f.write(json.dumps(_event("COMPLETE", "2026-01-03T10:05:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.INPUT)] == [
        "data:postgres://db.internal:5432:crm.customers@unversioned"]
    assert [e.target for e in graph.out_edges(RID, EdgeKind.OUTPUT)] == [
        "data:s3://models-bucket:churn/model.pkl@unversioned"]
    assert graph.attrs("data:postgres://db.internal:5432:crm.customers@unversioned")[
        "namespace"] == "postgres://db.internal:5432"
    pushed = CliRunner().invoke(app, ["push", "--repo", str(repo.path)])
    assert pushed.exit_code == 0, pushed.output
    _no_secret_in_the_store(repo)
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_cached_with_the_password_loses_it_on_upgrade(repo: GitRepo) -> None:
    """A store harvested before namespaces were cleaned keeps the namespace as written in its
    cache: the next harvest (the parse rules changed) cleans it, and the run's edges leave the
    data nodes named with the password."""
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_event("START", "2026-01-03T10:00:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    from lineage.model import Edge

    store = api.open_store(repo.path)
    cached = store.cache_get_many("openlineage-runs", [RID])[RID]
    old_key = json.dumps(["inputs", f"postgres://etl:{SECRET}@db.internal:5432",
                          "crm.customers", ""])
    cached["fields"] = {(old_key if k.startswith('["inputs"') else k): v
                        for k, v in cached["fields"].items()}
    old_id = f"data:postgres://etl:{SECRET}@db.internal:5432:crm.customers@unversioned"
    with store.transaction():
        store.cache_put_many("openlineage-runs", [(RID, cached)])
        store.upsert([Edge.make(EdgeKind.INPUT, old_id, RID, pin="none")])
        store.conn.execute("DELETE FROM watermarks WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (earlier version)"})
    store.close()
    path.unlink()  # the run is rebuilt from the cache alone
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.INPUT)] == [
        "data:postgres://db.internal:5432:crm.customers@unversioned"]
    assert SECRET not in json.dumps(graph.to_node_link())  # its data node withdrawn too
    store = api.open_store(repo.path)
    assert SECRET not in json.dumps(store.cache_get_many("openlineage-runs", [RID]))
    assert store.verify().ok
    store.close()


TOKEN = "hunter3SECRET"
SIGNED = (f"churn/train.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F"
          f"{TOKEN}&X-Amz-Date=20260103T100000Z&X-Amz-Expires=3600&X-Amz-Signature={TOKEN}")
CLEAN = ("churn/train.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&"
         "X-Amz-Date=20260103T100000Z&X-Amz-Expires=3600&X-Amz-Signature=REDACTED")


def _signed_event(state: str, at: str) -> dict:
    """A job whose namespace carries an API token in its query string, reading a presigned S3
    URL (its name as the producer saw it) under a parent job named the same way."""
    return {"eventType": state, "eventTime": at, "producer": PRODUCER,
            "run": {"runId": RUN, "facets": {"parent": {
                "run": {"runId": "0190a5b2-0000-7000-8000-000000000003"},
                "job": {"namespace": f"scheduler?token={TOKEN}", "name": "nightly"},
                "root": {"run": {"runId": "0190a5b2-0000-7000-8000-000000000004"},
                         "job": {"namespace": f"scheduler?token={TOKEN}", "name": "all"}}}}},
            "job": {"namespace": f"ci?token={TOKEN}", "name": "train"},
            "inputs": [{"namespace": "s3://data-bucket", "name": SIGNED}],
            "outputs": [{"namespace": "file", "name": f"models/model.pkl?api_key={TOKEN}"}]}


def test_secret_query_parameters_of_names_are_stored_and_pushed_nowhere(repo: GitRepo) -> None:
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_signed_event("START", "2026-01-03T10:00:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    with path.open("a") as f:
        f.write(json.dumps(_signed_event("COMPLETE", "2026-01-03T10:05:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.INPUT)] == [
        f"data:s3://data-bucket:{CLEAN}@unversioned"]
    assert [e.target for e in graph.out_edges(RID, EdgeKind.OUTPUT)] == [
        "data:file:models/model.pkl?api_key=REDACTED@unversioned"]
    assert graph.attrs(RID)["job"] == "ci?token=REDACTED/train"
    (up,) = graph.in_edges(RID, EdgeKind.UPSTREAM_RUN)
    assert up.attrs["job"] == "scheduler?token=REDACTED/nightly"
    pushed = CliRunner().invoke(app, ["push", "--repo", str(repo.path)])
    assert pushed.exit_code == 0, pushed.output
    assert TOKEN not in json.dumps(graph.to_node_link())
    _no_secret_in_the_store(repo, TOKEN)
    assert api.harvest(repo.path, only=["openlineage"]).new_events == 0


def test_a_run_stored_with_a_secret_query_parameter_loses_it_on_upgrade(repo: GitRepo) -> None:
    """A store harvested when only ``user:password@`` was removed from names (parser 16) kept
    the token in its cache, the run's job and the data node's id: the next harvest cleans
    them all and withdraws the node named with it."""
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(_signed_event("COMPLETE", "2026-01-03T10:05:00Z")) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    from lineage.model import Edge, Node, NodeKind

    # what parser 16 stored: the names as the producer wrote them, in the cache and the facts
    store = api.open_store(repo.path)
    cached = store.cache_get_many("openlineage-runs", [RID])[RID]
    fields = {}
    for k, v in cached["fields"].items():
        if k.startswith('["inputs"'):
            fld, ns, _name, facet = json.loads(k)
            k = json.dumps([fld, ns, SIGNED, facet])
        fields[k] = v
    fields["job"][2] = [f"ci?token={TOKEN}", "train"]
    fields["run.parent"][2]["job"]["namespace"] = f"scheduler?token={TOKEN}"
    cached["fields"] = fields
    old_id = f"data:s3://data-bucket:{SIGNED}@unversioned"
    run = store.get_node(RID)
    assert run is not None
    with store.transaction():
        store.cache_put_many("openlineage-runs", [(RID, cached)])
        store.upsert([
            Node.trusted(NodeKind.RUN, RID, {**run.attrs, "job": f"ci?token={TOKEN}/train"}),
            Node.make(NodeKind.DATA, old_id, path=SIGNED, namespace="s3://data-bucket"),
            Edge.make(EdgeKind.INPUT, old_id, RID, pin="none")])
        store.conn.execute("UPDATE watermarks SET value = '16' WHERE harvester = 'openlineage' "
                           "AND scope = 'parser'")
        store.append_event("harvest", "test", {"harvester": "openlineage (parser 16)"})
    store.close()
    path.unlink()  # the run is rebuilt from the cache alone
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.INPUT)] == [
        f"data:s3://data-bucket:{CLEAN}@unversioned"]
    assert graph.attrs(RID)["job"] == "ci?token=REDACTED/train"
    assert TOKEN not in json.dumps(graph.to_node_link())  # the old data node withdrawn too
    store = api.open_store(repo.path)
    assert TOKEN not in json.dumps(store.cache_get_many("openlineage-runs", [RID]))
    assert store.verify().ok
    store.close()


@pytest.mark.parametrize("namespace,clean", [
    ("sqlserver://db:1433;user=sa;password=" + SECRET, "sqlserver://db:1433;user=sa;password=REDACTED"),
    ("mysql://etl:pa#" + SECRET + "@db:3306", "mysql://db:3306"),
    ("postgres://etl:p/" + SECRET + "@db:5432", "postgres://db:5432"),
])
def test_database_connection_strings_lose_their_password(repo: GitRepo, namespace: str,
                                                         clean: str) -> None:
    """JDBC-style and SQL Server connection strings, and passwords holding characters that end
    a URL's user part, as producers configured by hand write them; an Oracle thin URL in an
    error message."""
    event = {**_event("FAIL", "2026-01-03T10:05:00Z"),
             "inputs": [{"namespace": namespace, "name": "crm.customers"}], "outputs": []}
    event["run"] = {"runId": RUN, "facets": {"errorMessage": {
        "_producer": PRODUCER, "_schemaURL": "x", "programmingLanguage": "JAVA",
        "message": f"login failed: jdbc:oracle:thin:scott/{SECRET}@db:1521:orcl"}}}
    path = repo.path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(event) + "\n")
    api.harvest(repo.path, only=["openlineage"])
    graph = api.open_store(repo.path).load_graph()
    assert [e.source for e in graph.in_edges(RID, EdgeKind.INPUT)] == [
        f"data:{clean}:crm.customers@unversioned"]
    assert "jdbc:oracle:thin:@db:1521:orcl" in json.dumps(graph.attrs(RID))
    pushed = CliRunner().invoke(app, ["push", "--repo", str(repo.path)])
    assert pushed.exit_code == 0, pushed.output
    _no_secret_in_the_store(repo)
