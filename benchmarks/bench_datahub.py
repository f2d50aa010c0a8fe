"""DataHub push benchmark: render + write MCPs to Lite and to a file; no-change re-push.

Run:  PYTHONPATH=. python benchmarks/bench_datahub.py [--mcps 20000] [--nodes 100000] [--repeat 3]

Prints medians of ``--repeat`` runs and ratios against baselines measured in the same run:

1. Lite: ``lineage push --to datahub-lite`` work (plan, build, hash, validate, write, close)
   on a fresh file, in MCP/s (target ≥ 2,500/s); for reference the bare Lite write rate of the
   same MCPs with the fast SQLite options, and with Lite's default options on a sample.
2. File: our file sink vs acryl-datahub's own ``FileSink`` (``write_metadata_file``) writing
   the same pre-rendered MCPs (target ≥ 1×), and our end-to-end push (render included).
3. No-change re-push of a graph of ``--nodes`` nodes (target < 5 s): after a first push, the
   whole ``lineage push`` process with nothing new in the store (it must write 0 MCPs); the
   API paths: ``push_store()``, ``push(graph)`` of an identical graph (plus the time to load
   it), and ``push(graph)`` after one fact changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage.config import Config  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402

REPO = "repository:github.com/acme/big"


def synth_graph(units: int) -> LineageGraph:
    """A realistic mix: per unit a commit, a training file, a stage, a run, a model version,
    its artifact; per 10 units a model group with a risk assessment; every 5th version deployed
    and approved; every 7th alerted. About 8 nodes and 9.6 MCPs per unit."""
    g = LineageGraph()
    items: list[Node | Edge] = [Node.trusted(NodeKind.REPOSITORY, REPO,
                                             {"url": "https://github.com/acme/big"})]
    for u in range(units):
        grp_n = u // 10
        sha = f"{u:040x}"
        commit = f"commit:{sha}"
        data = f"data:github.com/acme/big:data/part{u % 500}.csv@md5:{u:032x}"
        art = f"data:github.com/acme/big:models/m{grp_n}.pkl@md5:{u + 10**9:032x}"
        stage = f"stage:github.com/acme/big:dvc.yaml:train{u % 50}@{u:08x}"
        run = f"run:mlflow:r{u:08d}"
        grp = f"model_group:m{grp_n}"
        model = f"model:m{grp_n}@v{u % 10}"
        t = f"2026-01-{1 + u % 28:02d}T{u % 24:02d}:00:00Z"
        items += [
            Node.trusted(NodeKind.COMMIT, commit, {"sha": sha, "repository": REPO,
                                                   "committer": {"name": "c", "time": t}}),
            Node.trusted(NodeKind.DATA, data, {"path": f"data/part{u % 500}.csv",
                                               "repository": REPO, "hash": f"md5:{u:032x}"}),
            Node.trusted(NodeKind.DATA, art, {"path": f"models/m{grp_n}.pkl",
                                              "repository": REPO,
                                              "hash": f"md5:{u + 10**9:032x}"}),
            Node.trusted(NodeKind.STAGE, stage, {"name": f"train{u % 50}", "repository": REPO,
                                                 "cmd": "python train.py", "commit": sha}),
            Node.trusted(NodeKind.RUN, run, {"source": "mlflow", "run_id": f"r{u:08d}",
                                             "experiment": f"exp{grp_n % 20}", "commit": sha,
                                             "start_time": t, "params": {"lr": "0.1"},
                                             "metrics": {"auc": 0.5 + (u % 50) / 100}}),
            Node.trusted(NodeKind.MODEL, model, {"group": f"m{grp_n}", "version": f"v{u % 10}",
                                                 "commit": sha, "created_at": t,
                                                 "created_by": "ada@example.com"}),
            Edge.model_construct(kind=EdgeKind.CONTAINS, source=REPO, target=commit, attrs={}),
            Edge.model_construct(kind=EdgeKind.INPUT, source=data, target=stage,
                                 attrs={"pin": "strong"}),
            Edge.model_construct(kind=EdgeKind.OUTPUT, source=stage, target=art, attrs={}),
            Edge.model_construct(kind=EdgeKind.INPUT, source=data, target=run,
                                 attrs={"pin": "strong"}),
            Edge.model_construct(kind=EdgeKind.CODE, source=commit, target=run, attrs={}),
            Edge.model_construct(kind=EdgeKind.PRODUCED, source=run, target=model, attrs={}),
            Edge.model_construct(kind=EdgeKind.ARTIFACT, source=art, target=model, attrs={}),
            Edge.model_construct(kind=EdgeKind.VERSION_OF, source=model, target=grp, attrs={}),
        ]
        if u % 10 == 0:
            ra = f"risk_assessment:RA-{grp_n}"
            items += [
                Node.trusted(NodeKind.MODEL_GROUP, grp, {"name": f"m{grp_n}",
                                                         "owner": "ada@example.com"}),
                Node.trusted(NodeKind.RISK_ASSESSMENT, ra, {
                    "model_group": grp, "tier": ("high", "limited", "minimal")[grp_n % 3],
                    "assessed_at": "2025-12-01T00:00:00Z", "assessor": "carol@example.com"}),
                Edge.model_construct(kind=EdgeKind.ASSESSES, source=ra, target=grp, attrs={}),
            ]
        if u % 5 == 0:
            dep = f"deployment:m{grp_n}:prod:{t}"
            ap = f"approval:A-{u}"
            items += [
                Node.trusted(NodeKind.DEPLOYMENT, dep, {"model": model, "environment": "prod",
                                                        "deployed_at": t}),
                Node.trusted(NodeKind.APPROVAL, ap, {"approver": "bob@example.com",
                                                     "decision": "approved", "decided_at": t,
                                                     "environment": "prod",
                                                     "evidence": f"https://t.example/{u}"}),
                Edge.model_construct(kind=EdgeKind.DEPLOYED_AS, source=model, target=dep,
                                     attrs={}),
                Edge.model_construct(kind=EdgeKind.APPROVES, source=ap, target=model, attrs={}),
            ]
        if u % 7 == 0:
            al = f"alert:D-{u}"
            items += [
                Node.trusted(NodeKind.ALERT, al, {"metric": "psi", "value": 0.3,
                                                  "threshold": 0.2, "at": t}),
                Edge.model_construct(kind=EdgeKind.ALERTS, source=al, target=model, attrs={}),
            ]
    g.add(items)
    return g


def units_for_mcps(n_mcps: int) -> int:
    from connectors.sinks.datahub.render import render

    probe = 200
    per_unit = len(render(synth_graph(probe))) / probe
    return max(1, int(n_mcps / per_unit))


def ctx(store: Store, root: Path, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=root, options=options)


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_lite(graph: LineageGraph, mcps: list[Any], repeat: int, tmp: Path) -> dict[str, float]:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import DataHubLiteSink, lite_config

    ours, bare = [], []
    for i in range(repeat):
        root = tmp / f"lite{i}"
        store = Store.init(root / ".lineage")
        dt, res = timed(lambda: DataHubLiteSink().push(graph, ctx(store, root)))  # noqa: B023
        assert res.written == len(mcps), (res.written, len(mcps))
        ours.append(res.written / dt)
        store.close()

        def raw(i: int = i) -> None:
            lite = get_datahub_lite(lite_config(tmp / f"bare{i}.db"))
            for m in mcps:
                lite.write(m)
            lite.close()

        dt, _ = timed(raw)
        bare.append(len(mcps) / dt)
    sample = mcps[:300]

    def default_opts() -> None:
        lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(tmp / "dflt.db")}})
        for m in sample:
            lite.write(m)
        lite.close()

    dt, _ = timed(default_opts)
    return {"ours": statistics.median(ours), "bare_fast": statistics.median(bare),
            "bare_default": len(sample) / dt}


def bench_file(graph: LineageGraph, mcps: list[Any], repeat: int, tmp: Path) -> dict[str, float]:
    from datahub.ingestion.sink.file import write_metadata_file

    from connectors.sinks.datahub.sink import DataHubFileSink

    acryl, ours_write, ours_e2e = [], [], []
    for i in range(repeat):
        dt, _ = timed(lambda: write_metadata_file(tmp / f"acryl{i}.json", mcps))  # noqa: B023
        acryl.append(dt)

        def write_only(i: int = i) -> None:
            sink = DataHubFileSink()
            sink.path = tmp / f"ours{i}.json"
            sink._open(ctx(None, tmp, full=True))  # type: ignore[arg-type]
            for s in range(0, len(mcps), sink.batch_size):
                sink._write(mcps[s : s + sink.batch_size])
            sink._close(True)

        dt, _ = timed(write_only)
        ours_write.append(dt)
        root = tmp / f"file{i}"
        store = Store.init(root / ".lineage")
        dt, res = timed(lambda: DataHubFileSink().push(  # noqa: B023
            graph, ctx(store, root, dest=str(root / "out.json"))))  # noqa: B023
        assert res.written == len(mcps)
        ours_e2e.append(dt)
        store.close()
    return {"acryl": statistics.median(acryl), "ours_write": statistics.median(ours_write),
            "ours_e2e": statistics.median(ours_e2e)}


def bench_repush(nodes: int, repeat: int, tmp: Path) -> dict[str, float]:
    import subprocess

    from connectors.sinks.datahub.sink import DataHubFileSink

    per_unit = len(synth_graph(700)) / 700
    graph = synth_graph(max(1, round(nodes / per_unit)))
    root = tmp / "big"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    store = Store.init(root / ".lineage")
    with store.transaction():
        store.upsert([*graph.nodes(), *graph.edges()])
        store.append_event("record", "bench", {})
    dest = str(root / "big.json")
    first_t, first = timed(lambda: DataHubFileSink().push_store(ctx(store, root, dest=dest)))
    store_push, graph_push, loads, cli = [], [], [], []
    for _ in range(repeat):
        dt, res = timed(lambda: DataHubFileSink().push_store(ctx(store, root, dest=dest)))
        assert res.written == 0, res.written
        store_push.append(dt)
        dt, out = timed(lambda: subprocess.run(
            [sys.executable, "-m", "lineage", "push", "-C", str(root), "--to", "datahub-file",
             dest, "--json"], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}))
        assert '"written": 0' in out.stdout, out.stdout
        cli.append(dt)
    # the API: push(graph) of a graph identical to the one the previous push(graph) sent
    dt_load, g2 = timed(store.load_graph)
    loads.append(dt_load)
    DataHubFileSink().push(g2, ctx(store, root, dest=dest))
    for _ in range(repeat):
        dt, res = timed(lambda: DataHubFileSink().push(g2, ctx(store, root, dest=dest)))
        assert res.written == 0, res.written
        graph_push.append(dt)
    # one fact changed: the digest differs, every entity's view is compared, one is rebuilt
    changed = []
    for i in range(repeat):
        run = "run:mlflow:r00000001"
        graph.add_node(Node.trusted(NodeKind.RUN, run,
                                    {**graph.attrs(run), "metrics": {"auc": 0.1 + i / 100}}))
        dt, res = timed(lambda: DataHubFileSink().push(graph, ctx(store, root, dest=dest)))
        assert 0 < res.written <= 3, res.written
        changed.append(dt)
    store.close()
    med = statistics.median
    return {"nodes": len(graph), "edges": graph.number_of_edges, "mcps": first.written,
            "first": first_t, "store_push": med(store_push), "cli": med(cli),
            "load": med(loads), "graph_push": med(graph_push), "one_change": med(changed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mcps", type=int, default=20_000)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-repush", action="store_true")
    args = ap.parse_args()
    from connectors.sinks.datahub.render import render

    units = units_for_mcps(args.mcps)
    graph = synth_graph(units)
    dt_render, mcps = timed(lambda: render(graph))
    print(f"graph: {len(graph)} nodes, {graph.number_of_edges} edges → {len(mcps)} MCPs "
          f"(render {len(mcps) / dt_render:,.0f} MCP/s)")
    with tempfile.TemporaryDirectory(prefix="bench-datahub-") as d:
        tmp = Path(d)
        lite = bench_lite(graph, mcps, args.repeat, tmp)
        print(f"\nLite (median of {args.repeat}):")
        print(f"  lineage push (render+validate+write): {lite['ours']:8,.0f} MCP/s   "
              f"target >= 2,500  {'OK' if lite['ours'] >= 2500 else 'MISSED'}")
        print(f"  bare Lite write, fast options:        {lite['bare_fast']:8,.0f} MCP/s")
        print(f"  bare Lite write, default options:     {lite['bare_default']:8,.0f} MCP/s "
              f"(300-MCP sample)   fast/default = {lite['bare_fast'] / lite['bare_default']:.1f}×")
        f = bench_file(graph, mcps, args.repeat, tmp)
        n = len(mcps)
        print(f"\nMCP file, same {n} MCPs (median of {args.repeat}):")
        print(f"  acryl-datahub FileSink:        {f['acryl']:6.2f} s  {n / f['acryl']:9,.0f} MCP/s")
        print(f"  ours, write only:              {f['ours_write']:6.2f} s  "
              f"{n / f['ours_write']:9,.0f} MCP/s   speed ratio {f['acryl'] / f['ours_write']:.2f}×")
        print(f"  ours, push incl. render/valid: {f['ours_e2e']:6.2f} s  "
              f"{n / f['ours_e2e']:9,.0f} MCP/s   speed ratio {f['acryl'] / f['ours_e2e']:.2f}× "
              f"(target >= 1×)")
        if not args.skip_repush:
            r = bench_repush(args.nodes, args.repeat, tmp)
            print(f"\nNo-change re-push: {r['nodes']:,} nodes, {r['edges']:,} edges, "
                  f"{r['mcps']:,} MCPs (first push to a file {r['first']:.1f} s)")
            print(f"  `lineage push` process, nothing new: {r['cli']:6.2f} s   target < 5 s  "
                  f"{'OK' if r['cli'] < 5 else 'MISSED'}")
            print(f"  push_store() (no fact newer):        {r['store_push']:6.2f} s")
            print(f"  push(graph) of an identical graph:   {r['graph_push']:6.2f} s   "
                  f"(+ {r['load']:.2f} s to load it from the store)")
            print(f"  push(graph) after one run changed:   {r['one_change']:6.2f} s   "
                  "(every entity's view compared, only changed aspects written)")


if __name__ == "__main__":
    main()
