"""Benchmark: `lineage audit` on generated graphs of 10k, 100k and 1M nodes.

    python benchmarks/bench_audit.py                       # 10k, 100k, 1M; 3 runs each
    python benchmarks/bench_audit.py --sizes 10k,100k --repeat 5
    python benchmarks/bench_audit.py --workdir /tmp/bench-audit   # keep/reuse generated stores

Each graph is the audit test fixture (AI systems with governance records and planted gaps)
scaled up, plus git/DVC filler (commits with parents, data versions, DVC stages with inputs and
outputs) — about 30% governance-related nodes, 70% history, like a real repository. Graphs are
written into a real store once (cached in --workdir) and each measurement runs in a fresh
process so peak RSS is its own:

* ``load_graph`` — baseline: ``Store.load_graph()`` (the whole graph into networkx);
* ``audit`` — what ``lineage audit`` does: index straight from the store rows + every rule;
* ``audit via graph`` — ``load_graph()`` then the audit on the LineageGraph (the DataHub path);
* with ``--verify``: ``verify`` — ``Store.verify()`` alone (what ``lineage verify`` does), and
  ``verify+audit`` — the chain verified, then the audit, in one process (``lineage audit
  --verify``); the line after them gives verify's cost as a share of the audit's.

Prints medians, ratios against the baseline of the same run, peak RSS, and checks targets:
100k nodes < 5 s, 1M nodes < 60 s within 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

TARGETS = {100_000: (5.0, None), 1_000_000: (60.0, 4096.0)}  # seconds, MB


def _size(text: str) -> int:
    t = text.lower().strip()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1], 1)
    return int(float(t.rstrip("km")) * mult)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


# -- generation -------------------------------------------------------------------------------
def generate(n_nodes: int, store_dir: Path) -> dict[str, int]:
    from audit_fixture import REPO, make_fixture, write_store

    from lineage.model import Edge, EdgeKind, Node, NodeKind

    probe = make_fixture(0, scale=1)
    per_unit = probe.node_count
    scale = max(1, int(n_nodes * 0.3) // per_unit)
    fx = make_fixture(0, scale=scale)
    filler = n_nodes - fx.node_count
    expected = len(fx.expected)
    items = fx.items
    repo_key = REPO.removeprefix("repository:")
    parent = None
    made = 0
    i = 0
    while made < filler:
        sha = f"{i:040x}"
        cid = f"commit:{sha}"
        items.append(Node.trusted(NodeKind.COMMIT, cid, {
            "sha": sha, "repository": REPO, "message": f"change {i}",
            "author": {"name": "Ada Author", "email": "ada@example.com"}}))
        made += 1
        if parent:
            items.append(Edge.model_construct(kind=EdgeKind.PARENT, source=parent, target=cid,
                                              attrs={}))
        parent = cid
        if i % 3 == 0 and made + 3 <= filler:
            data = f"data:{repo_key}:data/part-{i}.csv@md5:{i:032x}"
            out = f"data:{repo_key}:features/part-{i}.parquet@md5:{i + 1:032x}"
            stage = f"stage:{repo_key}:dvc.yaml:featurize@{i:016x}"
            items.append(Node.trusted(NodeKind.DATA, data, {
                "path": f"data/part-{i}.csv", "hash": f"md5:{i:032x}", "repository": REPO}))
            items.append(Node.trusted(NodeKind.STAGE, stage, {
                "name": "featurize", "repository": REPO, "commit": sha}))
            items.append(Node.trusted(NodeKind.DATA, out, {
                "path": f"features/part-{i}.parquet", "hash": f"md5:{i + 1:032x}"}))
            made += 3
            items += [
                Edge.model_construct(kind=EdgeKind.DEFINES, source=cid, target=stage, attrs={}),
                Edge.model_construct(kind=EdgeKind.INPUT, source=data, target=stage,
                                     attrs={"pin": "strong"}),
                Edge.model_construct(kind=EdgeKind.OUTPUT, source=stage, target=out, attrs={}),
            ]
        i += 1
    store = write_store(fx, store_dir)
    counts = store.counts()
    store.close()
    return {"nodes": sum(counts["nodes"].values()), "edges": sum(counts["edges"].values()),
            "expected_findings": expected}


# -- measurement (child process) --------------------------------------------------------------
def peak_rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; ru_maxrss would include the parent's peak
    inherited across fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, store_dir: str) -> None:
    from datetime import UTC, datetime

    from lineage.store import Store

    rss_start = peak_rss_mb()
    t0 = time.perf_counter()
    store = Store.open(Path(store_dir))
    findings = None
    if mode == "load_graph":
        g = store.load_graph()
        n = len(g)
    elif mode == "verify":
        res = store.verify()
        assert res.ok, res.problem
        n = res.facts
    else:
        from lineage.audit import run_audit

        now = datetime(2026, 6, 1, tzinfo=UTC)
        if mode in ("audit", "verify+audit"):
            if mode == "verify+audit":
                store.verify_or_raise()
            report = run_audit(store, now=now)
        else:
            report = run_audit(store.load_graph(), now=now)
        n = report.stats["nodes"]
        findings = len(report.findings)
    seconds = time.perf_counter() - t0
    rss = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rss_mb": rss, "rss_start_mb": rss_start, "nodes": n,
                      "findings": findings}))


def measure(mode: str, store_dir: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(store_dir)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where generated stores are kept (reused when present)")
    ap.add_argument("--skip-graph", action="store_true",
                    help="do not measure the networkx paths (load_graph, audit via graph)")
    ap.add_argument("--verify", action="store_true",
                    help="also measure the chain verification (verify, verify+audit)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "STORE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.child[0] == "generate":
            n, store = args.child[1].split(":", 1)
            print(json.dumps(generate(int(n), Path(store))))
        else:
            child(*args.child)
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    print(f"{'size':>5} {'nodes':>9} {'edges':>9} {'mode':<16} {'median s':>9} {'x baseline':>10} "
          f"{'peak RSS MB':>11} {'findings':>8}")
    for size in [_size(s) for s in args.sizes.split(",")]:
        store_dir = work / f"store-{_label(size)}"
        meta_file = store_dir / "bench.json"
        if not meta_file.exists():
            shutil.rmtree(store_dir, ignore_errors=True)
            t = time.perf_counter()
            print(f"generating a {_label(size)}-node store in {store_dir} …", flush=True)
            out = subprocess.run([sys.executable, __file__, "--child", "generate",
                                  f"{size}:{store_dir}"], check=True, capture_output=True,
                                 text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            meta = json.loads(out.stdout.strip().splitlines()[-1])
            meta["generate_s"] = round(time.perf_counter() - t, 1)
            meta_file.write_text(json.dumps(meta))
        meta = json.loads(meta_file.read_text())
        modes = ["audit"] if args.skip_graph else ["load_graph", "audit", "audit via graph"]
        modes += ["verify", "verify+audit"] if args.verify else []
        results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for _ in range(args.repeat):
            for m in modes:
                results[m].append(measure(m.replace(" ", "_"), store_dir))
        base = statistics.median(r["seconds"] for r in results.get("load_graph", [])) \
            if "load_graph" in results else None
        for m in modes:
            med = statistics.median(r["seconds"] for r in results[m])
            rss = max(r["rss_mb"] for r in results[m])
            ratio = f"{med / base:.2f}" if base else "-"
            found = results[m][0]["findings"]
            print(f"{_label(size):>5} {meta['nodes']:>9} {meta['edges']:>9} {m:<16} {med:>9.2f} "
                  f"{ratio:>10} {rss:>11.0f} {'' if found is None else found:>8}")
            if m in ("audit", "verify+audit") and found != meta["expected_findings"]:
                print(f"      ! expected {meta['expected_findings']} findings, got {found}")
                ok = False
        if args.verify:
            audit_s = statistics.median(r["seconds"] for r in results["audit"])
            both_s = statistics.median(r["seconds"] for r in results["verify+audit"])
            verify_s = statistics.median(r["seconds"] for r in results["verify"])
            print(f"      verify alone {verify_s:.2f} s = {verify_s / audit_s:.0%} of the audit; "
                  f"audit --verify {both_s:.2f} s = +{both_s / audit_s - 1:.0%}")
        target = TARGETS.get(size)
        if target:
            med = statistics.median(r["seconds"] for r in results["audit"])
            rss = max(r["rss_mb"] for r in results["audit"])
            good = med < target[0] and (target[1] is None or rss < target[1])
            ok &= good
            limit = f"< {target[0]:.0f} s" + (f" within {target[1] / 1024:.0f} GB"
                                               if target[1] else "")
            print(f"      target {limit}: {'met' if good else 'MISSED'} "
                  f"(audit {med:.2f} s, {rss:.0f} MB)")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
