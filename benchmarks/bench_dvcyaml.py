"""Parse benchmark: the DVC YAML scanner against PyYAML's C loader and yaml-rs.

Run:  PYTHONPATH=. python benchmarks/bench_dvcyaml.py [--blobs 10000] [--repeat 5]
      PYTHONPATH=. python benchmarks/bench_dvcyaml.py --repo /tmp/hist-10k   # a real history

Generates distinct DVC metadata blobs shaped like a long project history (DVC 3 ``dvc.lock``
files with a few stages and folded long commands, ``.dvc`` files of ``dvc add``, hand-written
``dvc.yaml`` files with comments and ``foreach``), written by DVC's own YAML writer when the
``dvc`` package is installed (else PyYAML). Prints the median time of each parser over
``--repeat`` rounds, blobs/s, ratios against the scanner, the share of blobs the scanner accepted
and checks that every parser returns the same data on the accepted blobs. With ``--repo`` the
blobs are every distinct DVC metadata blob of that repository's history instead (e.g. one made
by ``benchmarks/gen_history.py``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.harvesters.dvcyaml import REFUSED, clear_memo, load, scan  # noqa: E402


def _dumper() -> Callable[[Any], str]:
    try:
        from dvc.utils.serialize import dumps_yaml

        return dumps_yaml  # type: ignore[no-any-return]
    except ImportError:
        import yaml

        return lambda d: yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


def _md5(rng: random.Random) -> str:
    while True:
        h = f"{rng.getrandbits(128):032x}"
        if any(c in "abcdf" for c in h):
            return h


def gen_blobs(n: int, seed: int = 1) -> list[bytes]:
    """``n`` distinct blobs: ~60% dvc.lock, ~30% .dvc, ~10% dvc.yaml."""
    rng = random.Random(seed)
    dump = _dumper()
    blobs: list[bytes] = []
    n_stages = 4
    for i in range(n):
        r = rng.random()
        if r < 0.6:
            stages: dict[str, Any] = {}
            for s in range(n_stages):
                def entry(path: str) -> dict[str, Any]:
                    e: dict[str, Any] = {"path": path, "hash": "md5"}
                    if rng.random() < 0.2:
                        e["md5"] = _md5(rng) + ".dir"
                        e["size"] = rng.randint(10**3, 10**9)
                        e["nfiles"] = rng.randint(1, 10**4)
                    else:
                        e["md5"] = _md5(rng)
                        e["size"] = rng.randint(1, 10**9)
                    return e
                stage: dict[str, Any] = {
                    "cmd": f"python src/stage_{s}.py --input data/stage_{s}/input.csv "
                           f"--output data/stage_{s + 1}/output.csv --seed {i} --threads 4",
                    "deps": [entry(f"data/stage_{s}/input.csv"), entry(f"src/stage_{s}.py")],
                    "params": {"params.yaml": {f"stage{s}.lr": 0.01 * (s + 1),
                                               f"stage{s}.epochs": 10 + s,
                                               f"stage{s}.name": f"run-{i}"}},
                    "outs": [entry(f"data/stage_{s + 1}/output.csv")],
                }
                if s == n_stages - 1:
                    stage["outs"].append(entry("models/model.pkl"))
                    stage["outs"].append(entry("metrics.json"))
                stages[f"stage_{s}" if s != 2 else f"split@fold{i % 5}"] = stage
            text = dump({"schema": "2.0", "stages": stages})
        elif r < 0.9:
            out: dict[str, Any] = {"md5": _md5(rng), "size": rng.randint(1, 10**9),
                                   "hash": "md5", "path": f"raw_{i}.csv"}
            if rng.random() < 0.3:
                out["md5"] += ".dir"
                out["nfiles"] = rng.randint(1, 10**5)
                out["path"] = f"images_{i}"
            text = dump({"outs": [out]})
        else:
            text = (
                f"# pipeline v{i}\nstages:\n  prepare:\n    cmd: python prepare.py --seed {i}\n"
                "    deps:\n      - data/raw.csv  # raw input\n      - prepare.py\n"
                "    params:\n      - prepare.split\n      - prepare.seed\n"
                "    outs:\n      - data/prepared\n  train:\n    foreach: [us, eu, apac]\n"
                "    do:\n      cmd: python train.py ${item}\n      deps:\n"
                "        - data/prepared\n      outs:\n        - models/${item}.pkl\n"
                "    frozen: false\nartifacts:\n  churn:\n    path: models/us.pkl\n"
                "    type: model\n    labels: [tabular, churn]\n"
            )
        blobs.append(text.encode())
    return blobs


def repo_blobs(repo: Path) -> list[bytes]:
    import subprocess

    from connectors.harvesters.gitscan import cat_blobs, is_dvc_metadata

    out = subprocess.run(["git", "log", "--all", "--raw", "--no-abbrev", "--format=", "-z"],
                         cwd=repo, capture_output=True, check=True).stdout.split(b"\0")
    shas = set()
    for meta, path in zip(out[::2], out[1::2], strict=False):
        meta = meta.strip()
        if meta.startswith(b":") and is_dvc_metadata(path.decode(errors="replace")):
            sha = meta.split()[3].decode()
            if set(sha) != {"0"}:
                shas.add(sha)
    return list(cat_blobs(repo, shas).values())


def _time(fn: Callable[[bytes], Any], blobs: list[bytes], repeat: int) -> tuple[float, list[Any]]:
    times = []
    out: list[Any] = []
    for _ in range(repeat):
        clear_memo()  # every round starts cold, as a first harvest does
        t0 = time.perf_counter()
        out = [fn(b) for b in blobs]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blobs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--repo", type=Path, help="use the DVC blobs of this git repository")
    args = ap.parse_args(argv)
    import yaml
    import yaml_rs

    blobs = repo_blobs(args.repo) if args.repo else gen_blobs(args.blobs)
    mb = sum(map(len, blobs)) / 1e6
    print(f"{len(blobs)} distinct blobs, {mb:.1f} MB, median of {args.repeat} rounds")
    cload = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsers: dict[str, Callable[[bytes], Any]] = {
        "scan (DVC scanner only)": scan,
        "load (scanner + fallback)": lambda b: load(b)[0],
        "yaml-rs": lambda b: yaml_rs.loads(b.decode()),
        "PyYAML CSafeLoader": lambda b: yaml.load(b, Loader=cload),  # noqa: S506
    }
    # rounds are interleaved (every parser once per round) so that load on a shared machine
    # hits them alike; PyYAML, ~10x slower, runs every other round
    times: dict[str, list[float]] = {name: [] for name in parsers}
    outputs: dict[str, list[Any]] = {}
    for r in range(args.repeat):
        for name, fn in parsers.items():
            if "PyYAML" in name and r % 2 and name in outputs:
                continue
            t, outputs[name] = _time(fn, blobs, 1)
            times[name].append(t)
    results = {name: (statistics.median(ts), outputs[name]) for name, ts in times.items()}
    base = results["load (scanner + fallback)"][0]
    print(f"{'parser':28} {'median s':>9} {'blobs/s':>10} {'× load':>8}")
    for name, (t, _) in results.items():
        print(f"{name:28} {t:9.3f} {len(blobs) / t:10.0f} {t / base:8.2f}")
    scanned = results["scan (DVC scanner only)"][1]
    accepted = sum(1 for v in scanned if v is not REFUSED)
    print(f"scanner accepted {accepted}/{len(blobs)} blobs ({100 * accepted / len(blobs):.1f}%)")
    ref = results["PyYAML CSafeLoader"][1]
    rs = results["yaml-rs"][1]
    bad = sum(1 for v, r in zip(scanned, ref, strict=True) if v is not REFUSED and v != r)
    bad_rs = sum(1 for v, r in zip(scanned, rs, strict=True) if v is not REFUSED and v != r)
    print(f"differences on accepted blobs: vs PyYAML {bad}, vs yaml-rs {bad_rs}")
    return 1 if bad or bad_rs else 0


if __name__ == "__main__":
    raise SystemExit(main())
