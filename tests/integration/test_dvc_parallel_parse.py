"""A first harvest replays the history in chunks, parsing the next chunk's DVC blobs in a
forked process: the graph is the same whatever the chunking and wherever the parse runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gen_history import generate
from connectors.harvesters import dvc
from lineage import api
from lineage.store import Store
from tests.conftest import GitRepo


def _graph(store_dir: Path) -> tuple[set, set]:
    store = Store.open(store_dir)
    try:
        assert store.verify().ok
        nodes = {(n.id, repr(sorted(n.attrs.items()))) for n in store.iter_nodes()}
        edges = {(e.key, repr(sorted(e.attrs.items()))) for e in store.iter_edges()}
    finally:
        store.close()
    return nodes, edges


def _harvest(repo: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch,
             parallel_min: int, chunk: int | None = None) -> tuple[set, set]:
    monkeypatch.setenv("LINEAGE_STORE", str(store_dir))
    monkeypatch.setattr(dvc, "_PARALLEL_MIN", parallel_min)
    if chunk is not None:
        monkeypatch.setattr(dvc, "_FIRST_CHUNK", chunk)
        monkeypatch.setattr(dvc, "_CHUNK", chunk)
    api.init(repo)
    res = api.harvest(repo)
    assert not res.report.warnings
    store = Store.open(store_dir)
    try:
        cached = store.conn.execute(
            "SELECT count(*) FROM cache WHERE namespace=?", (dvc.CACHE_NS,)).fetchone()[0]
    finally:
        store.close()
    assert cached > 50
    return _graph(store_dir)


def test_parallel_chunked_parse_gives_the_same_graph(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = generate(120, tmp_path / "repo")
    one_chunk = _harvest(repo, tmp_path / "s1", monkeypatch, 10**9, chunk=10**9)
    serial_chunks = _harvest(repo, tmp_path / "s2", monkeypatch, 10**9, chunk=7)
    parallel_chunks = _harvest(repo, tmp_path / "s3", monkeypatch, 1, chunk=7)
    default = _harvest(repo, tmp_path / "s4", monkeypatch, 1)
    assert len(one_chunk[0]) > 100
    assert serial_chunks == one_chunk
    assert parallel_chunks == one_chunk
    assert default == one_chunk


LOCK = """schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: data.csv
      hash: md5
      md5: {dep}
      size: 10
    outs:
    - path: model.pkl
      hash: md5
      md5: {out}
      size: 20
"""


def test_a_blob_that_comes_back_chunks_later(git_repo: GitRepo, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """dvc.lock goes A → B → … → A: its summary is reused after the chunk that parsed it (a
    summary is only dropped after the last chunk using it)."""
    a = LOCK.format(dep="a" * 32, out="b" * 32)
    git_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    git_repo.write("dvc.lock", a)
    first = git_repo.commit("first", "dvc.yaml", "dvc.lock")
    for i in range(6):
        git_repo.write("dvc.lock", LOCK.format(dep=f"{i:032x}", out=f"{i + 100:032x}"))
        git_repo.commit(f"retrain {i}", "dvc.lock")
    git_repo.write("dvc.lock", a)
    back = git_repo.commit("back to the first data", "dvc.lock")
    reference = _harvest_small(git_repo.path, tmp_path / "r", monkeypatch, chunk=10**9)
    chunked = _harvest_small(git_repo.path, tmp_path / "c", monkeypatch, chunk=1)
    assert chunked == reference
    ids = {n for n, _ in chunked[0]}
    stage = next(n for n in ids if n.startswith("stage:") and f"'commit', '{first}'" in
                 dict(chunked[0])[n])
    assert back not in dict(chunked[0])[stage]  # first commit wins, even chunks apart
    assert sum(n.startswith("stage:") for n in ids) == 7


def _harvest_small(repo: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch,
                   chunk: int) -> tuple[set, set]:
    monkeypatch.setenv("LINEAGE_STORE", str(store_dir))
    monkeypatch.setattr(dvc, "_FIRST_CHUNK", chunk)
    monkeypatch.setattr(dvc, "_CHUNK", chunk)
    monkeypatch.setattr(dvc, "_PARALLEL_MIN", 1)
    api.init(repo)
    res = api.harvest(repo)
    assert not res.report.warnings, res.report.warnings
    return _graph(store_dir)


def test_summaries_from_the_cache_give_the_same_graph_as_fresh_parses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A summary read back from the blob cache (canonical JSON: sorted keys) replays exactly
    like one just parsed: the stages of a lock file are met in the file's order either way,
    and each entry's hash is the stage id's. Summaries of an older cache version are parsed
    again."""
    from benchmarks.bench_harvest import dvc_blobs
    from connectors.harvesters.gitscan import cat_blobs

    repo = generate(80, tmp_path / "repo")
    fresh = _harvest(repo, tmp_path / "new", monkeypatch, 10**9)

    blobs = cat_blobs(repo, dvc_blobs(repo))
    kinds = {}
    for line in GitRepo(repo).git("log", "--all", "--raw", "--no-abbrev", "--format=")\
            .splitlines():
        meta, _, path = line.partition("\t")
        kind = dvc.file_kind(path)
        if kind and meta.split()[3] in blobs:
            kinds[meta.split()[3]] = kind
    cached, stale = [], []
    for sha, kind in kinds.items():
        summ = dvc.parse_blob(kind, blobs[sha])
        if kind == "lock":
            assert summ["order"] == list(summ["stages"])
            assert summ["entry_hashes"] == {n: dvc.lock_hash(e)
                                            for n, e in summ["stages"].items()}
        cached.append((f"{kind}:{sha}", {"v": dvc._CACHE_VERSION, "s": summ}))
        stale.append((f"{kind}:{sha}", {"v": "1", "s": {"stages": {}}}))
    assert any(k.startswith("lock:") for k, _ in cached)
    for name, rows in (("cached", cached), ("stale", stale)):
        monkeypatch.setenv("LINEAGE_STORE", str(tmp_path / name))
        api.init(repo)
        store = Store.open(tmp_path / name)
        with store.transaction():
            store.cache_put_many(dvc.CACHE_NS, rows)
        store.close()
        res = api.harvest(repo)
        assert not res.report.warnings
        assert _graph(tmp_path / name) == fresh, name
