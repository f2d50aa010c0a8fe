"""OpenLineage harvest of a large events file: time and peak memory against a parsing baseline.

    python benchmarks/bench_openlineage.py                         # 100 MB of JSONL, 3 runs
    python benchmarks/bench_openlineage.py --mb 20 --format json --runs 5
    python benchmarks/bench_openlineage.py --mb 20 --trace         # where memory goes

Generates an events file of about ``--mb`` megabytes as producers write them: one START and
one COMPLETE event per run, the runs overlapping (a COMPLETE arrives after the STARTs of the
next runs, as in an Airflow or Spark log), with the facets such producers send — a parent run,
nominal time, processing engine, environment properties; job facets sourceCodeLocation,
jobType, documentation, ownership; inputs and outputs with schema, dataSource, version and, on
outputs, columnLineage. ``--format jsonl`` writes one event per line (the file transport's
append log), ``--format json`` one JSON list of the events.

Harvest: the whole ``python -m lineage harvest --only openlineage`` process on a fresh store,
its wall time and peak memory (the process's VmHWM), and the ratio of that peak to the file's
size. Baseline, measured in the same run, in a process of its own: ``json.loads`` of each
event line of the same events (JSONL, however ``--format`` wrote the harvested file), keeping
none — the cost of just parsing them — and an idle ``import lineage.api`` (the memory every
command starts with). Medians of ``--runs`` runs; the harvest's peak is also shown less the
idle process's, i.e. what the harvest itself holds.

``--trace`` runs the harvest once more in process under ``tracemalloc`` and prints its peak of
traced memory and the lines that allocated the most at that peak.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/1.14.0"
OVERLAP = 50  # runs started before one completes


def _env() -> dict[str, str]:
    # the children run in the benchmark's folder: this checkout's lineage is the one measured
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.com",
            "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com"}


def _dataset(ns: str, name: str, i: int, *, output: bool) -> dict[str, Any]:
    fields = [{"name": f"col_{k}", "type": "varchar" if k % 3 else "bigint",
               "description": f"column {k} of {name}"} for k in range(12)]
    facets: dict[str, Any] = {
        "schema": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/"
                   "1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet", "fields": fields},
        "dataSource": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/"
                       "1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
                       "name": ns, "uri": f"{ns}/{name}"},
        "version": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/"
                    "1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
                    "datasetVersion": f"v{i % 97}"},
    }
    if output:
        facets["columnLineage"] = {
            "_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/"
            "ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
            "fields": {f["name"]: {"inputFields": [
                {"namespace": ns, "name": "crm.customers", "field": f["name"],
                 "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]}
                for f in fields}}
    return {"namespace": ns, "name": name, "facets": facets}


def events(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The START and COMPLETE events of run ``i``."""
    run_id = str(uuid.UUID(int=(0x0190A5B2 << 96) | (7 << 76) | i))
    parent = str(uuid.UUID(int=(0x0190A5B2 << 96) | (7 << 76) | (1 << 40) | (i // 10)))
    day, sec = divmod(i * 37, 86_400)
    at = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{sec // 3600:02d}:" \
         f"{sec // 60 % 60:02d}:{sec % 60:02d}"
    job = {"namespace": "airflow://scheduler.internal", "name": f"churn_dag.task_{i % 40}",
           "facets": {
               "sourceCodeLocation": {"_producer": PRODUCER, "type": "git",
                                      "url": f"https://github.com/acme/churn/blob/{i:040x}/"
                                             f"dags/task_{i % 40}.py",
                                      "repoUrl": "https://github.com/acme/churn.git",
                                      "path": f"dags/task_{i % 40}.py", "version": f"{i:040x}"},
               "jobType": {"_producer": PRODUCER, "processingType": "BATCH",
                           "integration": "AIRFLOW", "jobType": "TASK"},
               "documentation": {"_producer": PRODUCER,
                                 "description": "Train the churn model on the nightly extract."},
               "ownership": {"_producer": PRODUCER, "owners": [
                   {"name": "team:churn-ml", "type": "MAINTAINER"},
                   {"name": f"user:dev{i % 9}", "type": "OWNER"}]}}}
    run_facets = {
        "parent": {"_producer": PRODUCER, "run": {"runId": parent},
                   "job": {"namespace": "airflow://scheduler.internal", "name": "churn_dag"}},
        "nominalTime": {"_producer": PRODUCER, "nominalStartTime": at + "Z"},
        "processing_engine": {"_producer": PRODUCER, "version": "2.10.4", "name": "Airflow",
                              "openlineageAdapterVersion": "1.14.0"},
        "environment-properties": {"_producer": PRODUCER, "environment-properties": {
            f"AIRFLOW__CORE__OPTION_{k}": f"value-{k}-{i % 5}" for k in range(10)}},
    }
    inputs = [_dataset("postgres://db.internal:5432", "crm.customers", i, output=False),
              _dataset("s3://acme-lake", f"extracts/day={i % 365}/part-0.parquet", i,
                       output=False)]
    outputs = [_dataset("s3://acme-lake", f"features/churn/run={i}.parquet", i, output=True)]
    start = {"eventType": "START", "eventTime": at + ".000000Z", "producer": PRODUCER,
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": run_id, "facets": run_facets}, "job": job,
             "inputs": inputs, "outputs": []}
    complete = {**start, "eventType": "COMPLETE", "eventTime": at + ".900000Z",
                "run": {"runId": run_id, "facets": {"parent": run_facets["parent"]}},
                "outputs": outputs}
    return start, complete


def generate(dest: Path, mb: float, fmt: str) -> tuple[int, int]:
    """Write about ``mb`` MB of events to ``dest`` (and the same as JSONL next to it, for the
    baseline); returns (events, runs)."""
    lines = dest.with_suffix(".lines")
    budget, written, n_events, i = int(mb * 1e6), 0, 0, 0
    waiting: list[str] = []
    with lines.open("w", encoding="utf-8") as out:
        while written < budget or waiting:
            if written < budget:
                start, complete = (json.dumps(e) for e in events(i))
                i += 1
                out.write(start + "\n")
                written += len(start) + 1
                n_events += 1
                waiting.append(complete)
            if len(waiting) > OVERLAP or (written >= budget and waiting):
                done = waiting.pop(0)
                out.write(done + "\n")
                written += len(done) + 1
                n_events += 1
    if fmt == "jsonl":
        shutil.copy(lines, dest)
    else:
        with lines.open(encoding="utf-8") as src, dest.open("w", encoding="utf-8") as out:
            out.write("[\n")
            for k, line in enumerate(src):
                out.write((",\n" if k else "") + line.rstrip("\n"))
            out.write("\n]\n")
    return n_events, i


# a process's own peak (VmHWM, not a parent's carried over), written when it exits
_HWM = """
import atexit, os
def _hwm():
    with open("/proc/self/status") as f:
        kb = next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM"))
    with open(os.environ["BENCH_HWM"], "w") as f:
        f.write(str(kb))
atexit.register(_hwm)
"""

_HARVEST = _HWM + """
import runpy, sys
sys.argv = ["lineage", *sys.argv[1:]]
runpy.run_module("lineage", run_name="__main__")
"""

_BASELINE = _HWM + """
import json, sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(time.perf_counter() - t, n)
"""

_IDLE = _HWM + "import lineage.api\n"


def _child(code: str, args: list[str], tmp: Path, cwd: Path) -> tuple[float, int, str]:
    hwm = tmp / "hwm"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True, env={**_env(), "BENCH_HWM": str(hwm)}, cwd=cwd)
    return time.perf_counter() - t, int(hwm.read_text()) * 1024, out.stdout


def harvest(repo: Path, tmp: Path) -> tuple[float, int]:
    shutil.rmtree(repo / ".lineage", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "lineage", "init", "--repo", str(repo)], env=_env(),
                   check=True, capture_output=True)
    took, peak, _ = _child(_HARVEST, ["harvest", "--only", "openlineage", "--repo", str(repo)],
                           tmp, repo)
    return took, peak


def trace(repo: Path, top: int) -> None:
    """The harvest in process under tracemalloc: its peak, and what is held at the highest
    point seen after the files are read (checked after each run is written)."""
    shutil.rmtree(repo / ".lineage", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "lineage", "init", "--repo", str(repo)], env=_env(),
                   check=True, capture_output=True)
    code = f"""
import sys, tracemalloc
from lineage import api
from connectors.harvesters import openlineage as ol
high = [0, None]
emit = ol.OpenLineageHarvester._emit
def watched(self, ctx, r):
    yield from emit(self, ctx, r)
    now = tracemalloc.get_traced_memory()[0]
    if now > high[0] * 1.05:
        high[:] = [now, tracemalloc.take_snapshot()]
ol.OpenLineageHarvester._emit = watched
tracemalloc.start(1)
api.harvest(sys.argv[1], only=["openlineage"])
print(f"tracemalloc peak: {{tracemalloc.get_traced_memory()[1] / 1e6:.0f}} MB; "
      f"held at the highest point seen: {{high[0] / 1e6:.0f}} MB, by")
for stat in high[1].statistics("lineno")[:{top}]:
    print(f"{{stat.size / 1e6:8.1f}} MB  {{stat.count:>9}} blocks  {{stat.traceback}}")
"""
    out = subprocess.run([sys.executable, "-c", code, str(repo)], env=_env(), cwd=repo,
                         check=True, capture_output=True, text=True)
    print("\nin process, under tracemalloc:")
    print(out.stdout.rstrip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=100.0, help="size of the events file")
    ap.add_argument("--format", choices=("jsonl", "json"), default="jsonl")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--trace", action="store_true", help="where memory goes (tracemalloc)")
    ap.add_argument("--top", type=int, default=12, help="lines shown by --trace")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-openlineage-"))
    try:
        repo = work / "repo"
        (repo / "openlineage").mkdir(parents=True)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        path = repo / "openlineage" / f"events.{args.format}"
        t = time.perf_counter()
        n_events, n_runs = generate(path, args.mb, args.format)
        size = path.stat().st_size
        lines = path.with_suffix(".lines")
        moved = work / "events.lines"  # the baseline's copy: not in the harvested folder
        lines.rename(moved)
        print(f"generated {n_events} events of {n_runs} runs, {size / 1e6:.1f} MB "
              f"({args.format}) in {time.perf_counter() - t:.1f} s")
        base_t, base_m, idle_m, h_t, h_m = [], [], [], [], []
        for _ in range(args.runs):
            took, peak, out = _child(_BASELINE, [str(moved)], work, work)
            assert int(out.split()[1]) == n_events
            base_t.append(float(out.split()[0]))
            base_m.append(peak)
            idle_m.append(_child(_IDLE, [], work, work)[1])
            took, peak = harvest(repo, work)
            h_t.append(took)
            h_m.append(peak)
        bt, bm, im, ht, hm = (statistics.median(x) for x in (base_t, base_m, idle_m, h_t, h_m))
        mb = 1e6
        print(f"baseline: json.loads of each event     {bt:7.2f} s   peak RSS {bm / mb:7.0f} MB"
              f"  ({bm / size:.2f}x file)")
        print(f"idle process (import lineage.api)                   peak RSS {im / mb:7.0f} MB")
        print(f"harvest (lineage harvest --only openlineage)"
              f"\n                                        {ht:7.2f} s   peak RSS {hm / mb:7.0f} MB"
              f"  ({hm / size:.2f}x file; {(hm - im) / size:.2f}x above idle)")
        print(f"harvest / baseline: time {ht / bt:.1f}x")
        if args.trace:
            trace(repo, args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
