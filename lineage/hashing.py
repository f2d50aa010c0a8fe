"""Content hashes the way DVC computes them, read from the working tree (no subprocess).

A training run pins its inputs by content. The hash of a path is, in order of preference:

1. the hash DVC recorded for it — an ``outs`` entry of a ``.dvc`` file or a ``deps``/``outs``
   entry of a ``dvc.lock`` — when the file on disk still has the recorded size (a file changed
   since ``dvc add``/``dvc repro`` is hashed again, so the pin names what was really read);
2. otherwise the md5 computed exactly as DVC 3 does: the md5 of a file's bytes, and for a
   directory the md5 of the JSON list ``[{"md5": …, "relpath": …}, …]`` sorted by relpath,
   suffixed ``.dir``.

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


def content_hash(repo_root: Path, rel: str) -> ContentHash | None:
    """Hash of ``rel`` for a content pin: DVC's recorded hash if still current, else computed.

    None when the path does not exist and DVC has no record of it.
    """
    rel = PurePosixPath(rel).as_posix()
    path = repo_root / rel
    rec = recorded(repo_root, rel)
    if not path.exists():
        return rec
    if rec is not None:
        if rec.is_dir or rec.size is None:
            return rec
        if path.is_file() and path.stat().st_size == rec.size:
            return rec
    return compute(path)


__all__ = ["ContentHash", "compute", "content_hash", "dir_md5", "file_md5", "file_sha256",
           "recorded"]
