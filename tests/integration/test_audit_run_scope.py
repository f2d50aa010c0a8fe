"""Which runs the run rules (`run-code-pinned`, `run-data-pinned`) check: training and
evaluation runs, not every job an orchestrator reports. A run of a training source (MLflow, a
DVC experiment, a run lineage recorded) is always checked; an OpenLineage run is checked when it
is in the provenance of a model version — it produced one, a retraining record names it, or a
checked run's parent (``parent`` facet) or the writer of a dataset a checked run read is it.
Other OpenLineage runs (an Airflow ETL job no model depends on) are out of scope: no finding,
counted in the report (``runs_out_of_scope``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app

runner = CliRunner()
AS_OF = ["--as-of", "2026-01-22"]  # the demo's timeline ends that day
DAG_ETL, ETL = "0190a5b2-0000-7000-8000-000000000001", "0190a5b2-0000-7000-8000-000000000002"
DAG_PREP, PREP = "0190a5b2-0000-7000-8000-000000000003", "0190a5b2-0000-7000-8000-000000000004"


def _event(state: str, run: str, job: str, at: str, *, parent: str | None = None,
           inputs: list[dict] = (), outputs: list[dict] = ()) -> dict:  # type: ignore[assignment]
    facets: dict = {}
    if parent:
        facets["parent"] = {"run": {"runId": parent},
                            "job": {"namespace": "airflow", "name": "nightly"}}
    return {"eventType": state, "eventTime": at, "producer": "https://airflow.apache.org",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run, "facets": facets},
            "job": {"namespace": "airflow", "name": job},
            "inputs": list(inputs), "outputs": list(outputs)}


def _airflow_events(repo: Path) -> list[dict]:
    """A nightly DAG copying a Postgres table to S3 (no model reads it), and a DAG whose task
    writes data/prepared, the folder the demo's training runs read."""
    table = {"namespace": "postgres://db:5432", "name": "shop.public.events"}
    s3 = {"namespace": "s3://lake", "name": "raw/events"}
    prepared = {"namespace": "file", "name": str(repo / "data" / "prepared")}
    out = []
    for dag, task, job, ins, outs in ((DAG_ETL, ETL, "nightly.copy_events", [table], [s3]),
                                      (DAG_PREP, PREP, "nightly.prepare", [table], [prepared])):
        out += [_event("START", dag, "nightly", "2026-01-10T01:00:00Z"),
                _event("START", task, job, "2026-01-10T01:00:05Z", parent=dag, inputs=ins),
                _event("COMPLETE", task, job, "2026-01-10T01:05:00Z", parent=dag,
                       inputs=ins, outputs=outs),
                _event("COMPLETE", dag, "nightly", "2026-01-10T01:06:00Z")]
    # the copy job's code lives in the Airflow repository, a commit this one never saw
    for e in out:
        if e["run"]["runId"] == ETL:
            e["job"]["facets"] = {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/airflow-dags", "version": "f" * 40}}
    return out


def _audit(repo: Path, *args: str) -> dict:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def test_openlineage_jobs_no_model_depends_on_are_out_of_scope(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    before = _audit(demo)
    assert before["summary"]["runs_out_of_scope"] == 0
    (demo / "openlineage").mkdir()
    (demo / "openlineage" / "nightly.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in _airflow_events(demo)))
    res = api.harvest(demo, only=["openlineage", "joins"])
    assert res.report.warnings == []
    data = _audit(demo)
    runs = {f["subject"]: f["rule"] for f in data["findings"]
            if f["rule"] in ("run-code-pinned", "run-data-pinned")}
    ol = "run:openlineage:"
    # the copy job and its DAG run: nothing of any model's provenance
    assert f"{ol}{ETL}" not in runs and f"{ol}{DAG_ETL}" not in runs
    # nor is the commit it names, which no source described, a break in any model's trail
    assert not [f for f in data["findings"] if f"{ol}{ETL}" in f["message"]], data["findings"]
    assert data["summary"]["runs_out_of_scope"] == 2
    assert data["stats"]["runs"] == 6 and data["stats"]["runs_out_of_scope"] == 2
    # the task that wrote the training data (from an unpinned table, with no commit) and its
    # DAG run are in the models' provenance: checked
    found = {(f["rule"], f["subject"]) for f in data["findings"]}
    assert ("run-code-pinned", f"{ol}{PREP}") in found
    assert ("run-data-pinned", f"{ol}{PREP}") in found
    assert ("run-code-pinned", f"{ol}{DAG_PREP}") in found
    # the finding says why a job that trained nothing is the models' concern
    msg = next(f["message"] for f in data["findings"]
               if (f["rule"], f["subject"]) == ("run-data-pinned", f"{ol}{PREP}"))
    # (it ran on 2026-01-10: after v1.0.0's training of 2026-01-02, so not upstream of it)
    assert msg.startswith(f"{ol}{PREP} (upstream of the training of churn@v1.1.0): "
                          "input data:postgres://"), msg
    # and under --model, for the model whose provenance it is
    assert ("run-data-pinned", f"{ol}{PREP}") in {
        (f["rule"], f["subject"]) for f in _audit(demo, "--model", "churn@v1.1.0")["findings"]}
    table = runner.invoke(app, ["audit", "-C", str(demo), *AS_OF])
    assert "2 run(s) out of scope" in " ".join(table.stdout.split()), table.stdout
