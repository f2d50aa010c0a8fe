"""A first harvest replays the history in chunks, in a forked replay worker that builds each
chunk's facts (serialized and hashed) while this process writes the previous chunk, with the
next chunk's DVC blobs parsed in a parse worker: the store is the same, row for row and hash
for hash, whatever the chunking and wherever the replay and the parse run."""

from __future__ import annotations

import json
import os
import re
import sqlite3
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


def _rows(store_dir: Path) -> tuple[list, list, list]:
    """Every fact row as stored (attrs text, hash, event seq) and each event's payload (its
    facts' digest and counts by kind)."""
    conn = sqlite3.connect(store_dir / "lineage.db")
    try:
        nodes = conn.execute("SELECT id, kind, attrs, hash, seq FROM nodes ORDER BY id").fetchall()
        edges = conn.execute("SELECT source, target, kind, attrs, hash, seq FROM edges "
                             "ORDER BY source, target, kind").fetchall()
        events = [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events ORDER BY seq")]
    finally:
        conn.close()
    return nodes, edges, events


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
        git_repo.write("dvc.lock", LOCK.format(dep=f"a{i:031x}", out=f"b{i + 100:031x}"))
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


@pytest.mark.parametrize("parallel_min", [10**9, 1], ids=["here", "replay-worker"])
def test_summaries_from_the_cache_give_the_same_graph_as_fresh_parses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel_min: int) -> None:
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
    monkeypatch.setattr(dvc, "_PARALLEL_MIN", parallel_min)
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


def _harvest_rows(repo: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch,
                  parallel_min: int, chunk: int) -> tuple[tuple[list, list, list], list]:
    monkeypatch.setenv("LINEAGE_STORE", str(store_dir))
    monkeypatch.setattr(dvc, "_PARALLEL_MIN", parallel_min)
    monkeypatch.setattr(dvc, "_FIRST_CHUNK", chunk)
    monkeypatch.setattr(dvc, "_CHUNK", chunk)
    api.init(repo)
    res = api.harvest(repo)
    store = Store.open(store_dir)
    try:
        assert store.verify().ok
    finally:
        store.close()
    return _rows(store_dir), [(w.message, w.file, w.line, w.commit) for w in res.report.warnings]


def _corrupt_lock_at_one_commit(repo: Path) -> str:
    """A commit on top of ``repo`` with a broken dvc.lock, then one that repairs it."""
    g = GitRepo(repo)
    good = (repo / "dvc.lock").read_text()
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages:\n  train: [unclosed\n")
    bad = g.commit("broken lock", "dvc.lock")
    # a new blob: the first digest reversed (still a valid md5)
    (repo / "dvc.lock").write_text(
        re.sub(r"md5: ([0-9a-f]{32})", lambda m: f"md5: {m.group(1)[::-1]}", good, count=1))
    g.commit("repaired lock", "dvc.lock")
    return bad


def test_replay_worker_writes_the_same_rows_hashes_and_events(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker replay against the replay in this process: every row (attrs text, hash, seq),
    every event payload (facts digest, counts) and every warning, in order, are the same."""
    repo = generate(150, tmp_path / "repo")
    bad = _corrupt_lock_at_one_commit(repo)
    here = _harvest_rows(repo, tmp_path / "here", monkeypatch, 10**9, 9)
    worker = _harvest_rows(repo, tmp_path / "worker", monkeypatch, 1, 9)
    one_chunk = _harvest_rows(repo, tmp_path / "one", monkeypatch, 1, 10**9)
    nodes, edges, events = here[0]
    assert len(nodes) > 300 and len(edges) > 600
    assert [w for w in here[1] if w[3] == bad and w[1] == "dvc.lock"], here[1]
    assert len(here[1]) == 1
    assert worker == here
    assert one_chunk == here


def _stopping_worker(after: int, code: int):  # noqa: ANN202 - a test double
    real = dvc._replay_worker

    def worker(out, *args):  # noqa: ANN001, ANN202
        class Out:
            sent = 0

            def send(self, msg):  # noqa: ANN001, ANN202
                if msg[0] == "chunk" and self.sent == after:
                    os._exit(code)  # killed mid-way (e.g. out of memory)
                self.sent += 1
                out.send(msg)

            def close(self):  # noqa: ANN202
                out.close()

            def fileno(self):  # noqa: ANN202
                return out.fileno()

        real(Out(), *args)
    return worker


@pytest.mark.parametrize("after", [0, 3])
def test_a_replay_worker_that_dies_is_replaced_by_the_replay_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """Killed before it sent anything, or after some chunks were written: the harvest replays
    here (finding what the worker's chunks wrote in the store), ends with the same facts, and
    says so in one warning."""
    repo = generate(150, tmp_path / "repo")
    bad = _corrupt_lock_at_one_commit(repo)
    reference = _harvest_rows(repo, tmp_path / "ref", monkeypatch, 10**9, 9)
    monkeypatch.setattr(dvc, "_replay_worker", _stopping_worker(after, 3))
    (nodes, edges, events), warnings = _harvest_rows(repo, tmp_path / "dies", monkeypatch, 1, 9)
    ref_nodes, ref_edges, ref_events = reference[0]
    strip = (lambda rows, n: [r[:n] for r in rows])  # noqa: E731 - the seq may differ
    assert strip(nodes, 4) == strip(ref_nodes, 4)
    assert strip(edges, 5) == strip(ref_edges, 5)
    assert [e["facts"] for e in events] == [e["facts"] for e in ref_events]
    stopped = [w for w in warnings if "replay worker stopped" in w[0]]
    assert len(stopped) == 1, warnings
    assert "exit code 3" in stopped[0][0] and "replayed in this process" in stopped[0][0]
    assert [w for w in warnings if w not in stopped] == reference[1]  # each once, in order
    assert [w for w in warnings if w[3] == bad]


def test_a_replay_worker_error_is_replaced_by_the_replay_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = generate(60, tmp_path / "repo")
    reference = _harvest_rows(repo, tmp_path / "ref", monkeypatch, 10**9, 9)

    def broken(out, *args):  # noqa: ANN001, ANN202
        out.send(("error", "MemoryError: "))
        out.close()
    monkeypatch.setattr(dvc, "_replay_worker", broken)
    (nodes, edges, events), warnings = _harvest_rows(repo, tmp_path / "err", monkeypatch, 1, 9)
    assert (nodes, edges) == reference[0][:2]  # nothing was written: even the seqs agree
    assert [e["facts"] for e in events] == [e["facts"] for e in reference[0][2]]
    assert len(warnings) == 1 and "MemoryError" in warnings[0][0]
    assert [e["warnings"] for e in events if e["harvester"] == "dvc"] == [1]


def test_without_fork_the_replay_runs_here_without_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    repo = generate(40, tmp_path / "repo")
    reference = _harvest_rows(repo, tmp_path / "ref", monkeypatch, 10**9, 9)

    def no_worker(*args):  # noqa: ANN002, ANN202
        raise AssertionError("no replay worker where fork is missing")
    monkeypatch.setattr(dvc, "_replay_worker", no_worker)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _harvest_rows(repo, tmp_path / "spawn", monkeypatch, 1, 9) == reference


def test_a_replay_worker_that_hangs_is_replaced_by_the_replay_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    repo = generate(40, tmp_path / "repo")
    reference = _harvest_rows(repo, tmp_path / "ref", monkeypatch, 10**9, 9)

    def hangs(out, *args):  # noqa: ANN001, ANN002, ANN202
        time.sleep(600)
    monkeypatch.setattr(dvc, "_replay_worker", hangs)
    monkeypatch.setattr(dvc, "_WORKER_STALL", 2.0)
    t = time.monotonic()
    (nodes, edges, events), warnings = _harvest_rows(repo, tmp_path / "hang", monkeypatch, 1, 9)
    assert time.monotonic() - t < 60
    assert (nodes, edges) == reference[0][:2]
    assert len(warnings) == 1 and "no progress for 2 s" in warnings[0][0]
