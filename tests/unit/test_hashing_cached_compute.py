"""lineage.hashing.cached_compute: DVC's hash of a path, not read again while the stat cache
of the repository says the path is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import lineage.hashing as hashing
from lineage.hashing import cached_compute, compute

CACHE = Path(".lineage") / "content-hashes.json"


def _cache(root: Path) -> dict[str, list[object]]:
    return dict(json.loads((root / CACHE).read_text()))


def test_public_and_the_same_hash_as_compute(tmp_path: Path) -> None:
    assert "cached_compute" in hashing.__all__
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x\n1\n")
    (tmp_path / "model.pkl").write_text("model\n")
    for rel in ("data", "model.pkl"):
        assert cached_compute(tmp_path, rel, tmp_path / rel) == compute(tmp_path / rel)
    assert not (tmp_path / ".lineage").exists()  # no store here: nothing written


def test_an_unchanged_file_is_answered_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / ".lineage").mkdir()
    f = tmp_path / "model.pkl"
    f.write_text("model\n")
    first = cached_compute(tmp_path, "model.pkl", f)
    entry = _cache(tmp_path)["model.pkl"]
    assert entry[1] == first.hash
    # the cache says what the hash is while inode, mtime and size are those it recorded
    entry[1] = "md5:" + "0" * 32
    (tmp_path / CACHE).write_text(json.dumps({"model.pkl": entry}))
    assert cached_compute(tmp_path, "model.pkl", f).hash == "md5:" + "0" * 32


def test_a_changed_file_is_hashed_again(tmp_path: Path) -> None:
    (tmp_path / ".lineage").mkdir()
    f = tmp_path / "model.pkl"
    f.write_text("model\n")
    cached_compute(tmp_path, "model.pkl", f)
    f.write_text("other\n")  # same size, another mtime
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert cached_compute(tmp_path, "model.pkl", f) == compute(f)
    assert _cache(tmp_path)["model.pkl"][1] == compute(f).hash


def test_an_unreadable_cache_is_no_error(tmp_path: Path) -> None:
    (tmp_path / ".lineage").mkdir()
    (tmp_path / CACHE).write_text("{not json")
    f = tmp_path / "model.pkl"
    f.write_text("model\n")
    assert cached_compute(tmp_path, "model.pkl", f) == compute(f)
