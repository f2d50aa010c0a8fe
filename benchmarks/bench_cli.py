"""`lineage --help` start-up time (target < 0.5 s), against bare `python -c pass`.

    python benchmarks/bench_cli.py [--runs 15]

Prints medians and the ratio to the interpreter's own start-up, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _median(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    base = _median([sys.executable, "-c", "pass"], args.runs)
    helps = {
        "lineage --help": [sys.executable, "-m", "lineage", "--help"],
        "lineage harvest --help": [sys.executable, "-m", "lineage", "harvest", "--help"],
        "lineage push --help": [sys.executable, "-m", "lineage", "push", "--help"],
        "lineage audit --help": [sys.executable, "-m", "lineage", "audit", "--help"],
    }
    print(f"{'command':<26} {'median s':>9} {'× python':>9}  target")
    print(f"{'python -c pass':<26} {base:9.3f} {1.0:9.1f}")
    for name, cmd in helps.items():
        t = _median(cmd, args.runs)
        ok = "ok" if t < 0.5 else "MISSED (< 0.5 s)"
        print(f"{name:<26} {t:9.3f} {t / base:9.1f}  {ok}")


if __name__ == "__main__":
    main()
