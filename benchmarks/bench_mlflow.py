"""MLflow harvest at scale: first harvest and no-change re-harvest of a large SQLite store.

    PYTHONPATH=$PWD python benchmarks/bench_mlflow.py [--runs 5000] [--repeat 3]

Builds a tracking store from the real MLflow fixture (tests/fixtures/mlflow/mlflow.db) grown
to N runs with the rows MLflow writes per run (10 params, 6 tags, 5 metrics × 20 steps of
history and their latest values), then prints medians of:

* floor: reading every run's row, params, tags and latest metrics with sqlite3 (what any
  reader must do once);
* first harvest (`lineage harvest --only mlflow` through the API, store writes included);
* no-change re-harvest, and its ratio to the floor (the point of the watermark).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from lineage import api

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mlflow" / "mlflow.db"


def build(db: Path, n: int) -> None:
    shutil.copy(FIXTURE, db)
    conn = sqlite3.connect(db)
    t0 = 1_780_000_000_000
    with conn:
        for i in range(n):
            u = uuid.UUID(int=i + 1).hex
            start = t0 + i * 1000
            conn.execute(
                "INSERT INTO runs(run_uuid, name, source_type, source_name, entry_point_name, "
                "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1)",
                (u, f"run-{i}", "LOCAL", "", "", "ada", "FINISHED", start, start + 900, "",
                 "active", f"/artifacts/{u}"))
            conn.executemany("INSERT INTO params(key, value, run_uuid) VALUES (?,?,?)",
                             [(f"p{k}", str(k * i), u) for k in range(10)])
            conn.executemany("INSERT INTO tags(key, value, run_uuid) VALUES (?,?,?)",
                             [("mlflow.user", "ada", u), ("mlflow.runName", f"run-{i}", u),
                              ("mlflow.source.git.commit", f"{i:040x}", u),
                              ("mlflow.source.name", "train.py", u),
                              ("mlflow.source.type", "LOCAL", u), ("team", "risk", u)])
            for m in range(5):
                conn.executemany(
                    "INSERT INTO metrics(key, value, timestamp, run_uuid, step, is_nan) "
                    "VALUES (?,?,?,?,?,0)",
                    [(f"m{m}", s / 20, start + s, u, s) for s in range(20)])
                conn.execute("INSERT INTO latest_metrics(key, value, timestamp, step, is_nan, "
                             "run_uuid) VALUES (?,?,?,?,0,?)", (f"m{m}", 0.95, start + 19, 19, u))
    conn.close()


def floor(db: Path) -> float:
    t = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for table in ("runs", "params", "tags", "latest_metrics"):
        conn.execute(f"SELECT * FROM {table}").fetchall()
    conn.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    try:
        repo = work / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        t = time.perf_counter()
        build(repo / "mlflow.db", args.runs)
        print(f"built a store with {args.runs + 4} runs in {time.perf_counter() - t:.1f} s "
              f"({(repo / 'mlflow.db').stat().st_size / 1e6:.0f} MB)")
        import os

        os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///mlflow.db"
        floors, firsts, agains = [], [], []
        for _ in range(args.repeat):
            floors.append(floor(repo / "mlflow.db"))
            shutil.rmtree(repo / ".lineage", ignore_errors=True)
            api.init(repo)
            t = time.perf_counter()
            res = api.harvest(repo, only=["mlflow"])
            firsts.append(time.perf_counter() - t)
            assert res.harvesters[0].stats.nodes_new["run"] == args.runs + 4
            t = time.perf_counter()
            res = api.harvest(repo, only=["mlflow"])
            agains.append(time.perf_counter() - t)
            assert res.new_events == 0
        f, a, b = (statistics.median(x) for x in (floors, firsts, agains))
        print(f"floor (read runs, params, tags, latest metrics): {f:.3f} s")
        print(f"first harvest:                                    {a:.3f} s  ({a / f:.1f}x floor)")
        print(f"no-change re-harvest:                             {b:.3f} s  ({b / f:.1f}x floor)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
