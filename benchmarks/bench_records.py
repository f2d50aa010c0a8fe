"""Governance records benchmark: `lineage harvest` of large record files against a baseline.

    python benchmarks/bench_records.py                    # N = 1k and 10k
    python benchmarks/bench_records.py --sizes 1000 10000 100000 --runs 3
    python benchmarks/bench_records.py --sizes 10000 --layouts one --profile   # where time goes

Generates, for each N, two git repositories of N governance records committed by a few
commits, each appending to what the one before wrote (as a CD job recording each approval
and deployment does): ``one`` holds them all in one ``governance/approvals.yaml`` (a list of
records, two approvals for each deployment); ``many`` spreads the same records over files of
100 records each (``governance/<year>/<month>-<n>.yaml``, each commit adding files).

Harvest: the whole ``python -m lineage harvest`` process on a fresh store (every installed
harvester: the git harvester reads the few commits too), its wall time and peak memory (the
process's VmHWM). Baseline, measured in the same run, in a process of its own: ``git log
--name-status`` of the governance folder plus PyYAML's C loader (``yaml.load(...,
Loader=yaml.CSafeLoader)``) over every record file of HEAD — reading the files and their
history once, and nothing else (no validation, no store). Also: a re-harvest of the unchanged
repository (the process, cached). Medians of ``--runs`` runs; ratios to the baseline.

Append one record (``one`` layout): a CD job appends one approval to the file and commits it,
then harvests the store that holds the N records. Measured, interleaved with its baseline in
the same run: that harvest (``append s``), and the same harvest with the file read whole
(``append whole s``: ``LINEAGE_BENCH_READ_WHOLE=1`` turns off reading only the records
appended, as the harvest did before); ``append ratio`` is whole / appended. Each run starts
from a store copied from one harvested once, and a copy of the repository.

``--profile`` runs the harvest once more in process under cProfile and prints the top
functions by cumulative and by own time (``--profile-lines`` of each).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMMITS = 5  # commits appending records, as a CD job's history does (compressed)
PER_FILE = 100  # records per file in the `many` layout

_ENV = {"GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com"}


def _env(store: Path | None = None) -> dict[str, str]:
    # (the children run in a temporary folder: `python -c` puts its working folder first on
    # sys.path, and this checkout's lineage, not another's, is the one measured)
    env = {**os.environ, **_ENV,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if store is not None:
        env["LINEAGE_STORE"] = str(store)
    return env


def record_text(i: int, rng: random.Random) -> str:
    """Record ``i`` as a CD job appends it: two approvals (staging, then prod) for each
    deployment, each with its own ``id:`` half the time (the rest are named by content)."""
    day = 1 + i // 50
    year, rest = 2020 + day // 336, day % 336
    when = f"{year}-{1 + rest // 28:02d}-{1 + rest % 28:02d}T{(i // 3) % 24:02d}:{i % 60:02d}:00Z"
    minor = i // 3
    model = f"churn@v1.{minor}.0"
    if i % 3 == 2:
        return (f"- kind: deployment\n  model: {model}\n  environment: prod\n"
                f"  endpoint: https://serve.example.com/churn/v1-{minor}\n"
                f"  deployed_at: {when}\n  deployed_by: cd-bot\n")
    env = "staging" if i % 3 == 0 else "prod"
    rid = f"  id: appr-{i:07d}\n" if i % 2 else ""
    return (f"- kind: approval\n{rid}  model: {model}\n  environment: {env}\n"
            f"  approver: {rng.choice(['alice', 'bob', 'carol', 'dave'])}\n"
            f"  role: risk-officer\n  decision: approved\n  decided_at: {when}\n"
            f"  evidence: https://jira.example.com/browse/ML-{10000 + i}\n")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=_env())


def generate(n: int, layout: str, dest: Path, seed: int = 1, commits: int = COMMITS) -> None:
    """A git repository at ``dest`` holding ``n`` records in ``layout`` (``one``/``many``),
    committed by ``commits`` commits appending to it."""
    rng = random.Random(seed)
    texts = [record_text(i, rng) for i in range(n)]
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "-b", "main")
    gov = dest / "governance"
    gov.mkdir()
    (dest / "README.md").write_text("records benchmark\n")
    step = -(-n // commits)
    for c in range(commits):
        part = range(c * step, min(n, (c + 1) * step))
        if layout == "one":
            with open(gov / "approvals.yaml", "a", encoding="utf-8") as f:
                f.write("".join(texts[i] for i in part))
        else:
            for i in part:
                year = 2020 + i // 12_000
                path = gov / str(year) / f"{1 + (i // 1000) % 12:02d}-{i // PER_FILE:05d}.yaml"
                path.parent.mkdir(exist_ok=True)
                with open(path, "a", encoding="utf-8") as f:
                    f.write(texts[i])
        _git(dest, "add", "-A")
        day = f"2026-01-{1 + c // 1440:02d}T{c // 60 % 24:02d}:{c % 60:02d}:00Z"
        subprocess.run(["git", "commit", "-q", "-m", f"cd: records {part.start}-{part.stop}"],
                       cwd=dest, check=True, capture_output=True,
                       env={**_env(), "GIT_AUTHOR_DATE": day, "GIT_COMMITTER_DATE": day})


def repository(n: int, layout: str, cache: Path, commits: int = COMMITS) -> Path:
    dest = cache / (f"records-{layout}-{n}" if commits == COMMITS
                    else f"records-{layout}-{n}-c{commits}")
    if not (dest / ".git").exists():
        if dest.exists():
            shutil.rmtree(dest)
        t = time.perf_counter()
        generate(n, layout, dest, commits=commits)
        print(f"  generated {layout} {n} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return dest


# the baseline: one process reading the folder's history and parsing HEAD's files once
_BASELINE = """
import subprocess, sys, time
from pathlib import Path
import yaml
repo = Path(sys.argv[1])
t = time.perf_counter()
subprocess.run(["git", "log", "--name-status", "--format=%H %cI", "--", "governance"],
               cwd=repo, check=True, capture_output=True)
n = 0
for p in sorted((repo / "governance").rglob("*.yaml")):
    n += len(yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader))  # noqa: S506
dt = time.perf_counter() - t
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM"))
print(dt, hwm, n)
"""

# `lineage harvest` as its console script runs it, with the process's peak memory written
# to a file when it exits (VmHWM: this process's own peak, not a parent's carried over)
_HARVEST = """
import atexit, os, runpy, sys
out = os.environ["BENCH_HWM"]
def hwm():
    with open("/proc/self/status") as f:
        kb = next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM"))
    with open(out, "w") as f:
        f.write(str(kb))
atexit.register(hwm)
sys.argv = ["lineage", *sys.argv[1:]]
runpy.run_module("lineage", run_name="__main__")
"""


def baseline(repo: Path) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", _BASELINE, str(repo)], check=True,
                         capture_output=True, text=True, env=_env(), cwd=repo).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def harvest(repo: Path, store: Path, tmp: Path) -> tuple[float, int, str]:
    """One ``lineage harvest --json`` process: (wall time, peak KB, its output)."""
    hwm = tmp / "hwm"
    hwm.unlink(missing_ok=True)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _HARVEST, "harvest", "--repo", str(repo),
                          "--json"], capture_output=True, text=True, cwd=tmp,
                         env={**_env(store), "BENCH_HWM": str(hwm)})
    dt = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"harvest failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return dt, int(hwm.read_text()), out.stdout


# the harvest with the appended records' shortcut turned off (the file read whole, as before)
_WHOLE = """
import os, runpy, sys
if os.environ.get("LINEAGE_BENCH_READ_WHOLE"):
    import connectors.harvesters.records as records
    records.RecordsHarvester._appended = staticmethod(lambda *a, **k: None)
"""


def append_one(repo: Path, n: int, tmp: Path, store: Path, whole: bool) -> float:
    """One harvest after one record appended to the ``one`` layout's file and committed:
    copies of ``repo`` and ``store`` (harvested), the record appended, ``lineage harvest``
    timed (the whole process); ``whole``: the file read whole."""
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="append-"))
    shutil.copytree(repo, work / "repo", symlinks=True)
    shutil.copytree(store, work / "store")
    # an approval with its own id (record_text: odd, and not a deployment's place)
    i = next(i for i in range(n, n + 6) if i % 2 and i % 3 != 2)
    with open(work / "repo" / "governance" / "approvals.yaml", "a", encoding="utf-8") as f:
        f.write(record_text(i, random.Random(i)))
    _git(work / "repo", "commit", "-q", "-am", "cd: one more approval")
    hwm = tmp / "hwm"
    code = _WHOLE + _HARVEST.split("\n", 1)[1]
    env = {**_env(work / "store"), "BENCH_HWM": str(hwm)}
    if whole:
        env["LINEAGE_BENCH_READ_WHOLE"] = "1"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, "harvest", "--repo", str(work / "repo"),
                          "--json"], capture_output=True, text=True, cwd=tmp, env=env)
    dt = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"harvest failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    said = json.loads(out.stdout)["harvesters"]["records"]
    assert sum(said["nodes_new"].values()) == 1, said  # the one appended
    shutil.rmtree(work, ignore_errors=True)
    return dt


def fresh_store(repo: Path, tmp: Path) -> Path:
    store = Path(tempfile.mkdtemp(dir=tmp, prefix="store-"))
    subprocess.run([sys.executable, "-m", "lineage", "init", "--repo", str(repo)],
                   env=_env(store), check=True, capture_output=True, cwd=tmp)
    return store


def profile(repo: Path, tmp: Path, lines: int) -> None:
    """The harvest once more, in process, under cProfile."""
    import cProfile
    import pstats

    store = fresh_store(repo, tmp)
    code = ("import cProfile, pstats, sys\n"
            "from lineage import api\n"
            "p = cProfile.Profile()\n"
            "p.runcall(api.harvest, sys.argv[1])\n"
            "s = pstats.Stats(p)\n"
            f"s.sort_stats('cumulative').print_stats({lines})\n"
            f"s.sort_stats('tottime').print_stats({lines})\n")
    del cProfile, pstats  # (run in a child: its memory and imports are its own)
    out = subprocess.run([sys.executable, "-c", code, str(repo)], env=_env(store),
                         capture_output=True, text=True, cwd=tmp)
    print(out.stdout[-20000:] if out.returncode == 0 else out.stderr)
    shutil.rmtree(store, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--layouts", default="one,many", help="one, many or both (one,many)")
    ap.add_argument("--commits", type=int, default=COMMITS,
                    help="commits appending the records (a CD job's history: one per run)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lineage-bench",
                    help="where generated repositories are kept between runs")
    ap.add_argument("--profile", action="store_true", help="also profile one harvest")
    ap.add_argument("--profile-lines", type=int, default=25)
    ap.add_argument("--no-append", dest="append", action="store_false",
                    help="leave out the `append one record` case")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    appends: list[tuple[int, float, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmpd:
        tmp = Path(tmpd)
        for n in args.sizes:
            for layout in args.layouts.split(","):
                print(f"N={n} {layout}", file=sys.stderr)
                repo = repository(n, layout, args.cache, args.commits)
                mb = sum(p.stat().st_size for p in (repo / "governance").rglob("*.yaml")) / 1e6
                runs = args.runs if n < 100_000 else max(1, min(args.runs, 2))
                bases, times, peaks, again = [], [], [], []
                appended: list[float] = []
                wholes: list[float] = []
                output = ""
                for _ in range(runs):  # interleaved: load on a shared machine hits both alike
                    b, _, count = baseline(repo)
                    assert count == n, (count, n)
                    bases.append(b)
                    store = fresh_store(repo, tmp)
                    dt, peak, output = harvest(repo, store, tmp)
                    times.append(dt)
                    peaks.append(peak)
                    again.append(harvest(repo, store, tmp)[0])
                    if layout == "one" and args.append:
                        appended.append(append_one(repo, n, tmp, store, whole=False))
                        wholes.append(append_one(repo, n, tmp, store, whole=True))
                    shutil.rmtree(store, ignore_errors=True)
                if appended:
                    a, w = statistics.median(appended), statistics.median(wholes)
                    appends.append((n, a, w, w / a, statistics.median(bases)))
                b, h = statistics.median(bases), statistics.median(times)
                said = json.loads(output)
                warnings = sum(1 for w in said.get("warnings", []) if w.get("source") == "records")
                nodes = sum(said["harvesters"]["records"]["nodes_new"].values())
                rows.append((n, layout, mb, b, h, h / b, max(peaks) / 1024,
                             statistics.median(again), nodes, warnings))
                if args.profile:
                    profile(repo, tmp, args.profile_lines)
    hdr = ("records", "layout", "MB", "baseline s", "harvest s", "ratio", "peak MB",
           "re-harvest s", "record nodes", "warnings")
    print(" | ".join(hdr))
    print(" | ".join("---" for _ in hdr))
    for r in rows:
        print(f"{r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.3f} | {r[4]:.3f} | {r[5]:.1f}x | "
              f"{r[6]:.0f} | {r[7]:.3f} | {r[8]} | {r[9]}")
    if appends:
        print("\nappend one record (one file, a store holding the N records; whole process)")
        cols = ("records", "baseline s", "append s", "append whole s", "append ratio")
        print(" | ".join(cols))
        print(" | ".join("---" for _ in cols))
        for n, a, w, ratio, b in appends:
            print(f"{n} | {b:.3f} | {a:.3f} | {w:.3f} | {ratio:.1f}x")
    print(f"\nmedian of {args.runs} runs (at most 2 from 100k); baseline: git log of the folder "
          "+ PyYAML CSafeLoader over HEAD's record files, one process; harvest and "
          f"re-harvest: the whole `lineage harvest` process; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
