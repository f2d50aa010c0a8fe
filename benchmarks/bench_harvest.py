"""Harvest benchmark: full harvest against the floor, no-change re-harvest, peak memory.

Floor (measured in the same run, on the same history): ``git log --all --raw`` plus
``git cat-file --batch`` of every distinct DVC metadata blob (dvc.yaml, dvc.lock, *.dvc).
Full harvest: ``lineage.api.harvest`` on a fresh store with every harvester installed (git,
dvc, gto, …), in process. Re-harvest: the whole ``python -m lineage harvest`` process on an
unchanged repository. Peak memory: max RSS of a child process doing one full harvest, and the
peak PSS of its whole process tree (the DVC replay and parse workers), sampled every 0.2 s.
SQLite write floor: the time SQLite alone takes to insert the rows that full harvest left in
its store (already in Python lists, no hashing or serializing) into an empty store file — the
part of a harvest no Python-side work can remove while the store keeps these facts.
Parse floor: the CPU time of the fastest parser at hand (the DVC scanner or yaml-rs) over every
distinct DVC blob; the parse bound, max(git floor, (git floor + parse floor) / cores), is what
no harvest that parses every blob once can beat, whatever it stores.

    python benchmarks/bench_harvest.py                 # N = 1k and 10k
    python benchmarks/bench_harvest.py --sizes 1000 10000 100000 --runs 3
    python benchmarks/bench_harvest.py --only git,gto      # without the DVC harvester
    python benchmarks/bench_harvest.py --max-stages 4      # a 4-stage pipeline (~1 KB locks)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gen_history import MAX_STAGES, generate  # noqa: E402


def _env(store: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if store is not None:
        env["LINEAGE_STORE"] = str(store)
    return env


def history(n: int, cache: Path, max_stages: int = MAX_STAGES) -> Path:
    dest = cache / (f"hist-{n}" if max_stages == MAX_STAGES else f"hist-{n}-s{max_stages}")
    if not (dest / ".git").exists():
        if dest.exists():
            shutil.rmtree(dest)
        t = time.perf_counter()
        generate(n, dest, max_stages=max_stages)
        print(f"  generated {n} commits in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return dest


def dvc_blobs(repo: Path) -> list[str]:
    from connectors.harvesters.gitscan import is_dvc_metadata

    out = subprocess.run(["git", "log", "--all", "--raw", "--no-abbrev", "-z", "--format=",
                          "--no-renames"], cwd=repo, capture_output=True, check=True).stdout
    toks = out.split(b"\0")
    shas: set[str] = set()
    for i in range(0, len(toks) - 1):
        t = toks[i].lstrip(b"\n")
        if t.startswith(b":"):
            meta = t[1:].split(b" ")
            if len(meta) >= 5 and meta[3] != b"0" * 40 and meta[1] != b"160000" \
                    and is_dvc_metadata(toks[i + 1].decode(errors="replace")):
                shas.add(meta[3].decode())
    return sorted(shas)


def _drain(args: list[str], repo: Path, stdin: bytes = b"") -> int:
    """Run a git command and read all its output into memory (what a harvester must do),
    with large reads; stdin is fed by a thread."""
    proc = subprocess.Popen(["git", *args], cwd=repo, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    pipe_in = proc.stdin

    def feed() -> None:
        pipe_in.write(stdin)
        pipe_in.close()

    th = threading.Thread(target=feed)
    th.start()
    size = 0
    chunks = []
    while chunk := os.read(proc.stdout.fileno(), 1 << 20):
        chunks.append(chunk)
        size += len(chunk)
    th.join()
    if proc.wait() != 0:
        raise SystemExit(f"git {args[0]} failed in {repo}")
    return size


def floor(repo: Path, blobs: list[str]) -> float:
    t = time.perf_counter()
    _drain(["log", "--all", "--raw"], repo)
    _drain(["cat-file", "--batch"], repo, ("\n".join(blobs) + "\n").encode())
    return time.perf_counter() - t


_CHILD = """
import os, sys, threading, time
from lineage import api
repo = sys.argv[1]
only = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

def tree(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out

# the DVC replay and parse workers are processes of their own: sample the PSS (shared pages
# counted once) of the whole process tree
peak = [0]
done = threading.Event()
def sample():
    while not done.wait(0.2):
        peak[0] = max(peak[0], sum(pss_kb(p) for p in tree(os.getpid())))
threading.Thread(target=sample, daemon=True).start()
api.init(repo)
t = time.perf_counter()
r = api.harvest(repo, only=only)
dt = time.perf_counter() - t
done.set()
# VmHWM is this process's own peak (ru_maxrss would carry the parent's peak over exec)
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
names = ",".join(h.name for h in r.harvesters)
nodes = sum(r.counts.get("nodes", {}).values())
edges = sum(r.counts.get("edges", {}).values())
print(dt, rss, max(peak[0], rss), names, nodes, edges, len(r.report.warnings))
"""


def full_harvest(repo: Path, tmp: Path, only: str = "", write_floor: bool = False
                 ) -> tuple[float, int, int, str, int, int, int, float | None]:
    """One full harvest on a fresh store, in a child process (so memory is its own); with
    ``write_floor``, also the time SQLite alone takes to write the same rows (below)."""
    store = Path(tempfile.mkdtemp(dir=tmp, prefix="store-"))
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(repo), only], env=_env(store),
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"harvest failed:\n{out.stderr}")
        dt, rss, tree_pss, names, nodes, edges, warns = out.stdout.split()
        wf = sqlite_write_floor(store / "lineage.db", tmp) if write_floor else None
        return (float(dt), int(rss), int(tree_pss), names, int(nodes), int(edges), int(warns),
                wf)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def parse_floor(repo: Path, blobs: list[str]) -> tuple[float, str]:
    """CPU time of the fastest parser at hand over every distinct DVC metadata blob (read into
    memory first, not timed): the project's DVC scanner and yaml-rs (Rust), one core each,
    starting cold. With the git floor, spread perfectly over the machine's cores, a lower
    bound for any harvest that parses every blob once, whatever it stores."""
    from connectors.harvesters.dvcyaml import clear_memo, load
    from connectors.harvesters.gitscan import cat_blobs

    data = list(cat_blobs(repo, set(blobs)).values())
    parsers: dict[str, Any] = {"scanner": lambda b: load(b)}
    try:
        import yaml_rs

        parsers["yaml-rs"] = lambda b: yaml_rs.loads(b.decode())
    except ImportError:
        pass
    best = (float("inf"), "")
    for name, fn in parsers.items():
        clear_memo()
        t = time.process_time()
        for b in data:
            fn(b)
        best = min(best, (time.process_time() - t, name))
    return best


def sqlite_write_floor(db: Path, tmp: Path) -> float:
    """SQLite's own cost of the rows a full harvest writes: every node, edge, fact_log and
    cache row of the harvested store, already in Python lists, inserted by ``executemany``
    into a new file with the store's schema (same pragmas, rollback journal, indexes built
    after the rows: the store's bulk-load path), committed. No hashing, no serializing, no
    lookups: a lower bound for any harvest that keeps these facts in this store."""
    import sqlite3

    from lineage.store import _DDL, _INDEXES, _PAGE_SIZE

    src = sqlite3.connect(db)
    tables = {}
    for table in ("nodes", "edges", "fact_log", "cache"):
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        tables[table] = (cols, src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
    src.close()
    path = tmp / "write-floor.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (f"page_size={_PAGE_SIZE}", "journal_mode=DELETE", "synchronous=NORMAL", "temp_store=MEMORY",
                   "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(_DDL)
    for name in _INDEXES:
        conn.execute(f"DROP INDEX {name}")
    t = time.perf_counter()
    conn.execute("BEGIN")
    for table, (cols, rows) in tables.items():
        conn.executemany(f"INSERT INTO {table}({', '.join(cols)}) "
                         f"VALUES ({', '.join('?' * len(cols))})", rows)
    for sql in _INDEXES.values():
        conn.execute(sql)
    conn.execute("COMMIT")
    dt = time.perf_counter() - t
    conn.close()
    path.unlink()
    return dt


def reharvest_process(repo: Path, tmp: Path, runs: int, only: str = "") -> float:
    store = Path(tempfile.mkdtemp(dir=tmp, prefix="store-"))
    env = _env(store)
    flags = [a for name in only.split(",") if name for a in ("--only", name)]
    subprocess.run([sys.executable, "-m", "lineage", "init", "--repo", str(repo)], env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "lineage", "harvest", "--repo", str(repo), *flags],
                   env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "lineage", "harvest", "--repo", str(repo),
                              "--json", *flags], env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if out.returncode != 0 or '"new_events": 0' not in out.stdout:
            raise SystemExit(f"re-harvest was not a no-op:\n{out.stdout}\n{out.stderr}")
    shutil.rmtree(store, ignore_errors=True)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lineage-bench",
                    help="where generated histories are kept between runs")
    ap.add_argument("--only", default="",
                    help="comma-separated harvesters (default: every installed one)")
    ap.add_argument("--max-stages", type=int, default=MAX_STAGES,
                    help="pipeline size of the generated histories (4 = small lock files)")
    args = ap.parse_args(argv)
    args.max_stages = max(4, args.max_stages)
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmpd:
        tmp = Path(tmpd)
        for n in args.sizes:
            print(f"N={n}", file=sys.stderr)
            repo = history(n, args.cache, args.max_stages)
            blobs = dvc_blobs(repo)
            runs = args.runs if n < 100_000 else max(1, min(args.runs, 3))
            floors = [floor(repo, blobs) for _ in range(runs)]
            results = [full_harvest(repo, tmp, args.only, write_floor=i == 0)
                       for i in range(runs)]
            f = statistics.median(floors)
            h = statistics.median(r[0] for r in results)
            wf = results[0][7] or 0.0
            rss = max(r[1] for r in results) / 1024
            tree_pss = max(r[2] for r in results) / 1024
            re_t = reharvest_process(repo, tmp, runs, args.only)
            pf, parser = parse_floor(repo, blobs) if "dvc" in results[0][3].split(",") \
                else (0.0, "-")
            _, _, _, names, nodes, edges, warns, _ = results[0]
            rows.append((n, len(blobs), f, h, h / f, re_t, rss, tree_pss, names, nodes, edges,
                          warns, wf, pf, parser))
    hdr = ("commits", "dvc blobs", "floor s", "harvest s", "ratio", "re-harvest s (process)",
           "peak RSS MB (main)", "peak PSS MB (with workers)", "harvesters", "nodes", "edges",
           "warnings", "SQLite write floor s", "(git floor + SQLite floor) / git floor",
           "parse floor s (1 core)", f"parse bound on {cores} cores / git floor")
    print(" | ".join(hdr))
    print(" | ".join("---" for _ in hdr))
    for r in rows:
        print(f"{r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.2f}x | {r[5]:.3f} | "
              f"{r[6]:.0f} | {r[7]:.0f} | {r[8]} | {r[9]} | {r[10]} | {r[11]} | {r[12]:.3f} | "
              f"{(r[2] + r[12]) / r[2]:.1f}x | {r[13]:.2f} ({r[14]}) | "
              f"{max(r[2], (r[2] + r[13]) / cores) / r[2]:.1f}x")
    print("\nSQLite write floor: inserting the harvested store's rows (already in memory) into "
          "an empty store file, one run")
    print("parse floor: CPU time of the fastest parser at hand (the DVC scanner or yaml-rs) over "
          "every distinct DVC blob, already in memory, one run. Parse bound: the git floor and the "
          "parse spread perfectly over every core, max(git floor, (git floor + parse floor) / "
          "cores): no harvest that parses every blob once can be faster, whatever it stores")
    print(f"median of {args.runs} runs; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; targets: ratio <= 2x from 10k commits, re-harvest < 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
