"""A large first harvest parses DVC blobs in two processes: same graph as parsing in one."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gen_history import generate
from connectors.harvesters import dvc
from lineage import api
from lineage.store import Store


def _harvest(repo: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch,
             parallel_min: int) -> tuple[set, set]:
    monkeypatch.setenv("LINEAGE_STORE", str(store_dir))
    monkeypatch.setattr(dvc, "_PARALLEL_MIN", parallel_min)
    api.init(repo)
    res = api.harvest(repo)
    assert not res.report.warnings
    store = Store.open(store_dir)
    try:
        assert store.verify().ok
        nodes = {(n.id, repr(sorted(n.attrs.items()))) for n in store.iter_nodes()}
        edges = {(e.key, repr(sorted(e.attrs.items()))) for e in store.iter_edges()}
        cached = store.conn.execute(
            "SELECT count(*) FROM cache WHERE namespace=?", (dvc.CACHE_NS,)).fetchone()[0]
    finally:
        store.close()
    assert cached > 50
    return nodes, edges


def test_parallel_parse_gives_the_same_graph(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = generate(120, tmp_path / "repo")
    serial = _harvest(repo, tmp_path / "s1", monkeypatch, 10**9)
    parallel = _harvest(repo, tmp_path / "s2", monkeypatch, 1)
    assert len(serial[0]) > 100 and parallel == serial
