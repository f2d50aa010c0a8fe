"""Datasets that DVC does not track are DataHub datasets on their own platform, named as
DataHub's OpenLineage converter names them, so they join the datasets DataHub's OpenLineage
integration and ingestion sources (Postgres, S3, BigQuery, Snowflake, Kafka …) create; DVC
files stay on the ``dvc`` platform."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

DATAHUB = Path(sys.executable).with_name("datahub")
RUN = "0190a5b2-0000-7000-8000-000000000007"
runner = CliRunner()

# OpenLineage (namespace, name) → the dataset urn DataHub's OpenLineage converter makes
# (io.datahubproject.openlineage.converter.OpenLineageToDataHub: the namespace's scheme is the
# platform, awsathena → athena and sqlserver → mssql; object stores keep bucket + path)
EXPECTED = {
    ("postgres://db.internal:5432", "crm.public.customers"):
        "urn:li:dataset:(urn:li:dataPlatform:postgres,crm.public.customers,PROD)",
    ("s3://raw-bucket", "events/2026/01/part-0.parquet"):
        "urn:li:dataset:(urn:li:dataPlatform:s3,raw-bucket/events/2026/01/part-0.parquet,PROD)",
    ("gs://lake", "/features/churn"):
        "urn:li:dataset:(urn:li:dataPlatform:gcs,lake/features/churn,PROD)",
    ("bigquery", "acme-prod.crm.orders"):
        "urn:li:dataset:(urn:li:dataPlatform:bigquery,acme-prod.crm.orders,PROD)",
    ("snowflake://acme-xy12345", "ANALYTICS.PUBLIC.CHURN_LABELS"):
        "urn:li:dataset:(urn:li:dataPlatform:snowflake,ANALYTICS.PUBLIC.CHURN_LABELS,PROD)",
    ("kafka://broker-1:9092", "customer-events"):
        "urn:li:dataset:(urn:li:dataPlatform:kafka,customer-events,PROD)",
    ("awsathena://athena.eu-west-1.amazonaws.com", "awsdatacatalog.crm.visits"):
        "urn:li:dataset:(urn:li:dataPlatform:athena,awsdatacatalog.crm.visits,PROD)",
    ("file", "/srv/shared/holidays.csv"):
        "urn:li:dataset:(urn:li:dataPlatform:file,/srv/shared/holidays.csv,PROD)",
}
OUTPUT = ("s3://models-bucket", "churn/model.pkl")
OUTPUT_URN = "urn:li:dataset:(urn:li:dataPlatform:s3,models-bucket/churn/model.pkl,PROD)"


def _event(state: str, at: str, sha: str) -> dict[str, Any]:
    code = {"sourceCodeLocation": {"type": "git", "url": "https://github.com/acme/churn",
                                   "version": sha}}
    return {"eventType": state, "eventTime": at, "producer": "https://example.com/producer",
            "run": {"runId": RUN},
            "job": {"namespace": "airflow", "name": "churn_dag.train", "facets": code},
            "inputs": [{"namespace": ns, "name": name} for ns, name in EXPECTED]
            + [{"namespace": "file", "name": "data/train.csv"}],
            "outputs": [{"namespace": OUTPUT[0], "name": OUTPUT[1]}]}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """A DVC repository whose data/train.csv is DVC-tracked, and an OpenLineage run that
    reads it (as a local file) and tables, objects and topics of other systems."""
    git_repo.run(sys.executable, "-m", "dvc", "init", "-q")
    git_repo.write("data/train.csv", "a,b\n1,2\n")
    git_repo.run(sys.executable, "-m", "dvc", "add", "-q", "data/train.csv")
    sha = git_repo.commit("data")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    events = git_repo.path / "openlineage" / "events.jsonl"
    events.parent.mkdir()
    events.write_text("".join(json.dumps(e) + "\n" for e in (
        _event("START", "2026-01-03T10:00:00Z", sha),
        _event("COMPLETE", "2026-01-03T10:05:00Z", sha))))
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    return git_repo


def _push(repo: GitRepo, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", "-C", str(repo.path), "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _run_urn() -> str:
    from datahub.emitter.mce_builder import datahub_guid

    return f"urn:li:dataProcessInstance:{datahub_guid({'orchestrator': 'dvc', 'id': RUN})}"


def test_datasets_of_other_systems_are_on_their_datahub_platform(repo: GitRepo,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    _push(repo, "--to", "datahub-file", str(out))
    mcps = json.loads(out.read_text())
    datasets = {m["entityUrn"] for m in mcps if m["entityType"] == "dataset"}
    for (ns, name), urn in EXPECTED.items():
        assert urn in datasets, (ns, name, sorted(datasets))
    assert OUTPUT_URN in datasets
    # the DVC-tracked file stays a DVC dataset, and is the only one on the dvc platform
    dvc = [u for u in datasets if u.startswith("urn:li:dataset:(urn:li:dataPlatform:dvc,")]
    assert len(dvc) == 1 and dvc[0].endswith("/data/train.csv,PROD)"), dvc
    # the run's lineage edges name the new urns
    run = _run_urn()
    inputs = next(m["aspect"]["json"] for m in mcps if m["entityUrn"] == run
                  and m["aspectName"] == "dataProcessInstanceInput")
    edge_urns = {e["destinationUrn"] for e in inputs["inputEdges"]}
    assert set(EXPECTED.values()) <= edge_urns
    assert set(inputs["inputs"]) == edge_urns
    # the local file the run names joins the DVC version at the run's commit
    joined = [e for e in inputs["inputEdges"] if e["destinationUrn"] == dvc[0]]
    assert len(joined) == 1 and joined[0]["properties"]["pin"] == "strong"
    assert joined[0]["properties"]["dvc_md5"]
    outputs = next(m["aspect"]["json"] for m in mcps if m["entityUrn"] == run
                   and m["aspectName"] == "dataProcessInstanceOutput")
    assert [e["destinationUrn"] for e in outputs["outputEdges"]] == [OUTPUT_URN]
    # a table or an object is no "DVC File": its own source's subtype (Table, Topic …) stays
    subtypes = {m["entityUrn"]: m["aspect"]["json"]["typeNames"] for m in mcps
                if m["entityType"] == "dataset" and m["aspectName"] == "subTypes"}
    assert subtypes == {dvc[0]: ["DVC File"]}
    check = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]


def test_re_push_writes_nothing_and_the_catalog_audits_as_the_store(repo: GitRepo) -> None:
    first = _push(repo)
    assert first["written"] > 0
    again = _push(repo)
    assert (again["written"], again["unchanged"]) == (0, first["written"])
    store = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json"])
    lite = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json",
                               "--source", "datahub-lite"])
    assert store.exit_code == lite.exit_code, (store.output[-1500:], lite.output[-1500:])

    def findings(text: str) -> list[tuple[str, str]]:
        return sorted((f["rule"], f["subject"]) for f in json.loads(text)["findings"])

    assert findings(lite.stdout) == findings(store.stdout)


def test_mlflow_datasets_join_datahubs_platforms() -> None:
    """An MLflow dataset whose source is an object store is that object (as an OpenLineage
    dataset of the same URI); one without a place (code, a table name, a Hugging Face dataset)
    is the dataset DataHub's own MLflow source makes for the run input: ``(mlflow, <name>)``."""
    from connectors.sinks.datahub.render import render
    from connectors.sinks.datahub.validate import check_mcps
    from lineage.graph import LineageGraph
    from lineage.model import Edge, EdgeKind, Node, NodeKind

    g = LineageGraph()
    run = "run:mlflow:sqlite-store:abc123"
    s3 = "data:mlflow:sqlite-store:train@mlflow-digest:d1"
    hub = "data:mlflow:sqlite-store:imdb@mlflow-digest:d2"
    g.add([
        Node.make(NodeKind.RUN, run, source="mlflow", run_id="abc123"),
        Node.make(NodeKind.DATA, s3, path="s3://acme-ml/churn/train.parquet",
                  hash="mlflow-digest:d1", hash_kind="mlflow-digest",
                  properties={"name": "train", "source_type": "s3",
                              "source": "s3://acme-ml/churn/train.parquet"}),
        Node.make(NodeKind.DATA, hub, path="stanfordnlp/imdb", hash="mlflow-digest:d2",
                  hash_kind="mlflow-digest",
                  properties={"name": "imdb", "source_type": "hugging_face",
                              "source": "stanfordnlp/imdb"}),
        Edge.make(EdgeKind.INPUT, s3, run, pin="weak", digest="d1"),
        Edge.make(EdgeKind.INPUT, hub, run, pin="weak", digest="d2"),
    ])
    mcps = render(g)
    check_mcps(mcps)
    datasets = sorted({str(m.entityUrn) for m in mcps if m.entityType == "dataset"})
    assert datasets == [
        "urn:li:dataset:(urn:li:dataPlatform:mlflow,imdb,PROD)",
        "urn:li:dataset:(urn:li:dataPlatform:s3,acme-ml/churn/train.parquet,PROD)",
    ]
    inputs = next(m.aspect for m in mcps if m.aspectName == "dataProcessInstanceInput")
    assert sorted(e.destinationUrn for e in inputs.inputEdges) == datasets


def test_read_back_an_openlineage_dataset_keeps_its_name_and_namespace(repo: GitRepo) -> None:
    from connectors.sinks.datahub.reader import read_lite
    from lineage import api

    _push(repo)
    back = read_lite(repo=repo.path)
    store = api.open_store(repo.path)
    try:
        graph = store.load_graph()
    finally:
        store.close()
    for ns, name in [*EXPECTED, OUTPUT]:
        nid = next(n for n in graph.node_ids() if graph.kind(n) == "data"
                   and graph.attrs(n).get("namespace") == ns and graph.attrs(n)["path"] == name)
        assert nid in back.node_ids(), nid
        got = back.attrs(nid)
        assert (got.get("namespace"), got.get("path"), got.get("repository")) == \
            (ns, name, None), nid


def test_versions_of_another_systems_dataset_are_not_called_dvc_md5s(repo: GitRepo,
                                                                     tmp_path: Path) -> None:
    """A table's OpenLineage version labels (or an MLflow digest) are no DVC content hashes:
    they are listed as ``dataset_versions``; ``dvc_md5`` is for DVC files only."""
    events = repo.path / "openlineage" / "events.jsonl"
    with events.open("a") as f:
        for run, version in (("0190a5b2-0000-7000-8000-000000000017", "v41"),
                             ("0190a5b2-0000-7000-8000-000000000018", "v42")):
            f.write(json.dumps({
                "eventType": "COMPLETE", "eventTime": "2026-01-04T10:05:00Z",
                "producer": "https://example.com/producer", "run": {"runId": run},
                "job": {"namespace": "airflow", "name": "churn_dag.score"},
                "inputs": [{"namespace": "postgres://db.internal:5432",
                            "name": "crm.public.customers",
                            "facets": {"version": {"datasetVersion": version}}}]}) + "\n")
    assert runner.invoke(app, ["harvest", "-C", str(repo.path)]).exit_code == 0
    out = tmp_path / "mcps.json"
    _push(repo, "--to", "datahub-file", str(out))
    props = {m["entityUrn"]: m["aspect"]["json"]["customProperties"]
             for m in json.loads(out.read_text()) if m["aspectName"] == "datasetProperties"}
    table = props["urn:li:dataset:(urn:li:dataPlatform:postgres,crm.public.customers,PROD)"]
    assert "dvc_md5" not in table
    assert table["dataset_versions"] == "v41,v42"
    dvc = next(p for u, p in props.items()
               if u.startswith("urn:li:dataset:(urn:li:dataPlatform:dvc"))
    assert "dataset_versions" not in dvc and len(dvc["dvc_md5"]) == 32


def test_external_dependencies_of_a_dvc_stage_are_on_their_platform(git_repo: GitRepo,
                                                                    tmp_path: Path) -> None:
    """A DVC stage's external dependencies (an S3 object, a file outside the repository, as
    ``dvc.lock`` records them) are no files of the repository: they are the datasets DataHub's
    S3 source (and OpenLineage converter) make; the stage's output stays a DVC file."""
    git_repo.run(sys.executable, "-m", "dvc", "init", "-q")
    git_repo.write("dvc.yaml", "stages:\n  prepare:\n    cmd: python prepare.py\n"
                   "    deps:\n    - s3://acme-raw/customers.csv\n    - /srv/shared/holidays.csv\n"
                   "    outs:\n    - data/prepared.csv\n")
    git_repo.write("dvc.lock", "schema: '2.0'\nstages:\n  prepare:\n    cmd: python prepare.py\n"
                   "    deps:\n    - path: s3://acme-raw/customers.csv\n"
                   "      etag: 5d41402abc4b2a76b9719d911017c592\n      size: 120\n"
                   "    - path: /srv/shared/holidays.csv\n      hash: md5\n"
                   "      md5: 7d793037a0760186574b0282f2f435e7\n      size: 40\n"
                   "    outs:\n    - path: data/prepared.csv\n      hash: md5\n"
                   "      md5: 9e107d9d372bb6826bd81d3542a419d6\n      size: 80\n")
    git_repo.write(".gitignore", "/data/prepared.csv\n")
    git_repo.commit("pipeline")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "mcps.json"
    _push(git_repo, "--to", "datahub-file", str(out))
    mcps = json.loads(out.read_text())
    io = next(m["aspect"]["json"] for m in mcps if m["aspectName"] == "dataJobInputOutput"
              and m["entityType"] == "dataJob")
    assert sorted(io["inputDatasets"]) == [
        "urn:li:dataset:(urn:li:dataPlatform:file,/srv/shared/holidays.csv,PROD)",
        "urn:li:dataset:(urn:li:dataPlatform:s3,acme-raw/customers.csv,PROD)"]
    [output] = io["outputDatasets"]
    assert output.startswith("urn:li:dataset:(urn:li:dataPlatform:dvc,")
    assert output.endswith("/data/prepared.csv,PROD)")
