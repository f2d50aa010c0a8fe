"""Content hashes the way DVC computes them, read from the working tree (no subprocess).

A training run pins its inputs by content. The hash of a path is, in order of preference:

1. the md5 of what is on disk, computed exactly as DVC 3 does: the md5 of a file's bytes, and
   for a directory the md5 of the JSON list ``[{"md5": …, "relpath": …}, …]`` sorted by
   relpath, suffixed ``.dir``; when it equals the hash DVC recorded (an ``outs`` entry of a
   ``.dvc`` file or a ``deps``/``outs`` entry of a ``dvc.lock``), that record is the source.
   A file changed since ``dvc add``/``dvc repro`` — even to the same size — is pinned to what
   was really read. Like DVC's own state cache, a file is not read again while its inode,
   mtime and size are those of its last hashing (kept in ``.lineage/content-hashes.json`` when
   that folder exists);
2. the hash DVC recorded, when the path is not in the work tree (e.g. not pulled).

Hashes are spelled ``md5:<hex>`` (``md5:<hex>.dir`` for directories), the spelling of data
node ids (:func:`lineage.ids.data_id`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

_CHUNK = 1 << 20
_SKIP_DIRS = {".git", ".dvc", "__pycache__"}


@dataclass(frozen=True)
class ContentHash:
    """The hash of one path and where it came from (``.dvc``, ``dvc.lock`` or ``computed``)."""

    hash: str
    size: int | None = None
    nfiles: int | None = None
    is_dir: bool = False
    source: str = "computed"


def file_md5(path: Path) -> str:
    """md5 hex of a file's bytes (DVC 3's ``md5``)."""
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def dir_md5(path: Path) -> tuple[str, int, int]:
    """DVC's directory hash: (``<md5>.dir``, total size, number of files)."""
    entries: list[dict[str, str]] = []
    size = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            if name in (".gitignore", ".dvcignore"):
                continue
            full = Path(dirpath) / name
            rel = full.relative_to(path).as_posix()
            entries.append({"md5": file_md5(full), "relpath": rel})
            size += full.stat().st_size
    entries.sort(key=lambda e: e["relpath"])
    body = json.dumps(entries, sort_keys=True).encode()
    return hashlib.md5(body, usedforsecurity=False).hexdigest() + ".dir", size, len(entries)


def compute(path: Path) -> ContentHash:
    """md5 of a file or directory computed as DVC does."""
    if path.is_dir():
        value, size, nfiles = dir_md5(path)
        return ContentHash(f"md5:{value}", size, nfiles, True, "computed")
    return ContentHash(f"md5:{file_md5(path)}", path.stat().st_size, None, False, "computed")


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None


def _entry_hash(entry: dict[str, Any]) -> tuple[str, int | None, int | None] | None:
    md5 = entry.get("md5") or entry.get("etag")
    if not isinstance(md5, str):
        return None
    size = entry.get("size") if isinstance(entry.get("size"), int) else None
    nfiles = entry.get("nfiles") if isinstance(entry.get("nfiles"), int) else None
    return f"md5:{md5}", size, nfiles


def recorded(repo_root: Path, rel: str) -> ContentHash | None:
    """The hash DVC recorded for ``rel`` (repo-relative posix path) in a .dvc file or dvc.lock."""
    target = PurePosixPath(rel)
    candidates: list[tuple[Path, PurePosixPath, list[dict[str, Any]], str]] = []
    dvc_file = repo_root / f"{rel}.dvc"
    if dvc_file.is_file():
        data = _load_yaml(dvc_file)
        if isinstance(data, dict) and isinstance(data.get("outs"), list):
            candidates.append((dvc_file, target.parent, data["outs"], ".dvc"))
    # dvc.lock files in the folders above the path (a stage's deps/outs are relative to it)
    for parent in (target.parent, *target.parent.parents):
        lock = repo_root / parent / "dvc.lock"
        if not lock.is_file():
            continue
        data = _load_yaml(lock)
        stages = data.get("stages") if isinstance(data, dict) else None
        if not isinstance(stages, dict):
            continue
        for stage in stages.values():
            if not isinstance(stage, dict):
                continue
            for section in ("outs", "deps"):
                items = stage.get(section)
                if isinstance(items, list):
                    candidates.append((lock, parent, items, "dvc.lock"))
    for _file, base, items, source in candidates:
        for entry in items:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            if PurePosixPath(os.path.normpath(base / entry["path"])).as_posix() != target.as_posix():
                continue
            found = _entry_hash(entry)
            if found:
                value, size, nfiles = found
                return ContentHash(value, size, nfiles, value.endswith(".dir"), source)
    return None


_STAT_CACHE = Path(".lineage") / "content-hashes.json"


def _stat_key(path: Path) -> str:
    """What changes when a file or a directory's files change: inode, mtime and size of each
    file (DVC's state cache uses the same), without reading a byte."""
    if not path.is_dir():
        st = path.stat()
        return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            st = (Path(dirpath) / name).stat()
            h.update(f"{dirpath}/{name}\0{st.st_ino}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    return "dir:" + h.hexdigest()


def _cached_compute(repo_root: Path, rel: str, path: Path) -> ContentHash:
    """:func:`compute`, unless the stat cache says the path is unchanged since it was hashed."""
    cache_file = repo_root / _STAT_CACHE
    cache: dict[str, Any] = {}
    if cache_file.is_file():
        try:
            loaded = json.loads(cache_file.read_text())
            cache = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            cache = {}
    key = _stat_key(path)
    hit = cache.get(rel)
    if isinstance(hit, list) and len(hit) == 5 and hit[0] == key:
        return ContentHash(str(hit[1]), hit[2], hit[3], bool(hit[4]), "computed")
    h = compute(path)
    if cache_file.parent.is_dir():
        cache[rel] = [key, h.hash, h.size, h.nfiles, h.is_dir]
        tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(cache, sort_keys=True))
            os.replace(tmp, cache_file)
        except OSError:  # a cache only: the pin is right without it
            tmp.unlink(missing_ok=True)
    return h


def content_hash(repo_root: Path, rel: str) -> ContentHash | None:
    """Hash of ``rel`` for a content pin: what is on disk (DVC's record when they agree),
    else, when the path is not in the work tree, DVC's recorded hash.

    None when the path does not exist and DVC has no record of it.
    """
    rel = PurePosixPath(rel).as_posix()
    path = repo_root / rel
    rec = recorded(repo_root, rel)
    if not path.exists():
        return rec
    h = _cached_compute(repo_root, rel, path)
    if rec is not None and rec.hash == h.hash:
        return ContentHash(rec.hash, h.size, h.nfiles, h.is_dir, rec.source)
    return h


__all__ = ["ContentHash", "compute", "content_hash", "dir_md5", "file_md5", "file_sha256",
           "recorded"]
