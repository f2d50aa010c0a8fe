"""Content hashes the way DVC computes them, read from the working tree (no subprocess).

A training run pins its inputs by content. The hash of a path is, in order of preference:

1. the md5 of what is on disk, computed exactly as DVC 3 does: the md5 of a file's bytes, and
   for a directory the md5 of the JSON list ``[{"md5": …, "relpath": …}, …]`` sorted by
   relpath, suffixed ``.dir`` — over the files DVC puts in it: all of them (a ``.gitignore``
   in the folder included) but what the ``.dvcignore`` files above it exclude, and ``.git``,
   ``.hg`` and ``.dvc`` folders; when it equals the hash DVC recorded (an ``outs`` entry of a
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

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

_CHUNK = 1 << 20


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


_DEFAULT_DIRS = {".hg", ".git", ".dvc"}  # DVC's own ignores, on top of .dvcignore


def _dvc_root(path: Path) -> Path | None:
    """The DVC repository holding ``path``: the nearest folder above it with a ``.dvc/``."""
    for parent in path.resolve().parents:
        if (parent / ".dvc").is_dir():
            return parent
    return None


@dataclass(frozen=True)
class _Rule:
    base: str  # folder of the .dvcignore, relative to the DVC root ("" for the root)
    regex: re.Pattern[str]
    ignore: bool  # False for a "!pattern"
    dir_only: bool


def _rules(lines: list[str], base: str) -> list[_Rule]:
    try:  # pathspec (a dependency; DVC reads .dvcignore files with it too)
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as Pattern
    except ImportError:  # pragma: no cover - pathspec<1
        try:
            from pathspec.patterns import (  # type: ignore[attr-defined]
                GitWildMatchPattern as Pattern,
            )
        except ImportError:
            return []
    rules = []
    for line in lines:
        regex, ignore = Pattern.pattern_to_regex(line)
        if regex is not None and ignore is not None:
            rules.append(_Rule(base, re.compile(regex), bool(ignore), line.endswith("/")))
    return rules


def _ignore_files(path: Path) -> tuple[Path | None, list[Path]]:
    """The DVC root above ``path`` and the ``.dvcignore`` files that apply to it (outermost
    first). DVC refuses a ``.dvcignore`` inside a folder it adds, so only those above count."""
    root = _dvc_root(path)
    if root is None:
        return None, []
    here = path.resolve()
    folders = [root, *(p for p in reversed(here.parents) if p != root and p.is_relative_to(root))]
    return root, [f / ".dvcignore" for f in folders if (f / ".dvcignore").is_file()]


def _ignore_rules(path: Path) -> tuple[Path | None, list[_Rule]]:
    root, files = _ignore_files(path)
    rules: list[_Rule] = []
    if root is None:
        return None, rules
    for f in files:
        try:
            lines = [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError):
            continue
        base = f.parent.relative_to(root).as_posix()
        rules += _rules([ln for ln in lines if ln and not ln.startswith("#")],
                        "" if base == "." else base)
    return root, rules


def _ignored(rules: list[_Rule], rel: str, is_dir: bool) -> bool:
    """DVC's test for one entry (``rel`` relative to the DVC root): the last rule that
    matches decides, each rule read relative to the folder of its ``.dvcignore``."""
    for rule in reversed(rules):
        if rule.dir_only and not is_dir:
            continue
        if rule.base:
            if not rel.startswith(rule.base + "/"):
                continue
            sub = rel[len(rule.base) + 1:]
        else:
            sub = rel
        candidates = [sub, f"{sub}/"] if is_dir else [sub]
        if any(rule.regex.match(c) for c in candidates):
            return rule.ignore
    return False


def _walk(path: Path) -> Iterator[tuple[str, Path]]:
    """The files DVC puts in a directory's hash, as (relpath, full path): everything but
    what ``.dvcignore`` (and DVC itself: ``.git``, ``.hg``, ``.dvc``) excludes — a
    ``.gitignore`` in the folder is data like any other —, symlinks to files followed,
    symlinks to folders and nested DVC repositories left out, empty folders absent."""
    root, rules = _ignore_rules(path)
    here = path.resolve()
    prefix = "" if root is None or here == root else here.relative_to(root).as_posix() + "/"
    for dirpath, dirnames, filenames in os.walk(path):
        folder = Path(dirpath)
        rel_dir = folder.relative_to(path).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in _DEFAULT_DIRS and not (folder / d).is_symlink()
            and not (folder / d / ".dvc").is_dir()
            and not _ignored(rules, f"{prefix}{rel_dir}{d}", True))
        for name in filenames:
            if name != ".git" and not _ignored(rules, f"{prefix}{rel_dir}{name}", False):
                yield f"{rel_dir}{name}", folder / name


def dir_md5(path: Path) -> tuple[str, int, int]:
    """DVC's directory hash: (``<md5>.dir``, total size, number of files)."""
    entries: list[dict[str, str]] = []
    size = 0
    for rel, full in _walk(path):
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


@dataclass(frozen=True)
class Unreadable:
    """A DVC file :func:`recorded` could not read: ``file`` (relative to the repository
    root, posix), the ``line`` YAML names (None when it names none) and why, as DVC would
    refuse it (``not valid YAML: …``, ``not a dvc.lock: …``)."""

    file: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        return f"{self.file}{f':{self.line}' if self.line else ''}: {self.problem}"


class _Unreadable(Exception):
    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


def _load_yaml(path: Path) -> Any:
    """The YAML document in ``path``; :class:`_Unreadable` when it cannot be read or parsed."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(None, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise _Unreadable(None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=dvc_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        cmark = getattr(exc, "context_mark", None)
        if context and cmark is not None and mark is not None and cmark.line != mark.line:
            context = f"{context} (line {cmark.line + 1})"  # where the construct began
        raise _Unreadable(mark.line + 1 if mark is not None else None,
                          f"not valid YAML: {context + ', ' if context else ''}{problem}") \
            from None


@functools.cache
def dvc_yaml_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader (its C one where built) reading dates and times as the strings
    they are, as DVC (ruamel.yaml) does: a ``when: 2026-02-30`` beside the hashes is no error
    (PyYAML would raise ValueError building it), and nothing here reads a date."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: type[yaml.SafeLoader] = type("DvcLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in base.yaml_implicit_resolvers.items()}
    return loader


# -- which lock entries count: the stages dvc.yaml defines, from their wdir -----------------
# (the DVC harvester, connectors/harvesters/dvc.py, reads dvc.yaml with these same rules)

_TEMPLATE = re.compile(r"\$\{\s*([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\s*\}")


def dvc_str(v: Any) -> str:
    """A scalar as DVC's templating writes it (``dvc.parsing.interpolate.to_str``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def interpolate(text: str, context: dict[str, Any]) -> str | None:
    """``${a.b}`` references in ``text`` filled from ``context`` as DVC does for a scalar;
    None when one names no scalar there (a value from params.yaml or a vars file, a
    ``${x[0]}`` index …): never a guess."""
    def value(m: re.Match[str]) -> str:
        cur: Any = context
        for part in m.group(1).split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
                cur = cur[int(part)]
            else:
                raise KeyError(part)
        if cur is None or isinstance(cur, dict | list):
            raise KeyError(m.group(1))
        return dvc_str(cur)

    try:
        out = _TEMPLATE.sub(value, text)
    except KeyError:
        return None
    return None if "${" in out else out


def stage_expansions(stage: dict[str, Any]) -> dict[str, Any] | None:
    """The stages DVC expands a ``foreach``/``matrix`` stage of dvc.yaml to: key (``name@key``,
    as ``dvc.parsing`` names them) → its ``item``; None when they are not written in dvc.yaml
    itself (``foreach: ${list}``)."""
    items: dict[str, Any] | None = None
    foreach, matrix = stage.get("foreach"), stage.get("matrix")
    if isinstance(foreach, dict):
        items = {dvc_str(k): v for k, v in foreach.items()}
    elif isinstance(foreach, list):
        if any(isinstance(v, dict | list) for v in foreach):
            items = {str(i): v for i, v in enumerate(foreach)}
        else:
            items = {dvc_str(v): v for v in foreach}
    elif isinstance(matrix, dict) and all(isinstance(v, list) for v in matrix.values()):
        import itertools

        items = {}
        for combo in itertools.product(*(list(enumerate(v)) for v in matrix.values())):
            key = "-".join(f"{k}{i}" if isinstance(v, dict | list) else dvc_str(v)
                           for k, (i, v) in zip(matrix, combo, strict=True))
            items[key] = {k: v for k, (_, v) in zip(matrix, combo, strict=True)}
    return items


def templated_wdirs(name: str, stage: dict[str, Any], wdir: str, vars_: Any) -> dict[str, str]:
    """A templated ``wdir`` resolved for each stage DVC expands ``name`` to (``name@key`` for
    ``foreach``/``matrix``, named as ``dvc.parsing`` names them), from the items and the
    ``vars`` written in dvc.yaml itself; the stages it cannot resolve are left out."""
    context: dict[str, Any] = {}
    for entry in vars_ if isinstance(vars_, list) else [vars_] if isinstance(vars_, dict) else []:
        if isinstance(entry, dict):  # (a string names a params file: not read here)
            context.update(entry)
    if stage.get("foreach") is None and stage.get("matrix") is None:
        resolved = interpolate(wdir, context)
        return {name: resolved} if resolved is not None else {}
    out: dict[str, str] = {}
    for key, item in (stage_expansions(stage) or {}).items():
        resolved = interpolate(wdir, {**context, "item": item, "key": key})
        if resolved is not None:
            out[f"{name}@{key}"] = resolved
    return out


def defines_stage(defs: dict[str, Any], name: str) -> bool:
    """Whether a ``dvc.yaml`` whose stages are ``defs`` (name → what the DVC harvester keeps of
    each: ``items``, the :func:`stage_expansions` of a ``foreach``/``matrix`` stage, None when
    they are not written there) defines the ``dvc.lock`` entry ``name``, as DVC's index names
    its stages: a plain stage by its name, an expanded one as ``name@key``. DVC ignores the
    other entries of a lock (``dvc repro`` keeps the entry of a stage renamed or deleted
    from dvc.yaml): they are no version of anything at that commit."""
    d = defs.get(name)
    if isinstance(d, dict) and "items" not in d:
        return True
    base, at, key = name.partition("@")
    d = defs.get(base) if at else None
    if not isinstance(d, dict) or "items" not in d:
        return False
    items = d["items"]
    return items is None or key in items  # (expansions not written in dvc.yaml: any key)


def pipeline_stages(doc: Any) -> dict[str, dict[str, Any]]:
    """A parsed ``dvc.yaml`` → its stages as :func:`defines_stage` reads them, each with its
    ``wdir`` (a string other than ``.``) and, templated, ``wdirs`` per expanded stage."""
    stages = doc.get("stages") if isinstance(doc, dict) else None
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(stages, dict):
        return out
    for n, s in stages.items():
        if not isinstance(s, dict):
            continue
        body = s["do"] if isinstance(s.get("do"), dict) else s
        info: dict[str, Any] = {}
        wdir = body.get("wdir")
        if isinstance(wdir, str) and wdir not in (".", ""):
            info["wdir"] = wdir
            if "${" in wdir:
                info["wdirs"] = templated_wdirs(str(n), s, wdir, doc.get("vars"))
        if "foreach" in s or "matrix" in s:
            info["items"] = stage_expansions(s)
        out[str(n)] = info
    return out


def stage_wdir(defs: dict[str, Any], name: str) -> tuple[str | None, str | None]:
    """The ``wdir`` of lock entry ``name`` as dvc.yaml's stages ``defs`` give it (a templated
    one as DVC resolved it for that expanded stage, ``train@us``), None for the file's own
    folder; second, a templated ``wdir`` that could not be resolved (then the first is it,
    as written)."""
    d = defs.get(name.split("@", 1)[0], {})
    wdir = d.get("wdir") if isinstance(d, dict) else None
    if wdir and "${" in wdir:
        if name in d.get("wdirs", {}):
            return d["wdirs"][name], None
        return wdir, wdir
    return (wdir if wdir and wdir != "." else None), None


def _entry_hash(entry: dict[str, Any]) -> tuple[str, int | None, int | None] | None:
    md5 = entry.get("md5") or entry.get("etag")
    if not isinstance(md5, str):
        return None
    size = entry.get("size") if isinstance(entry.get("size"), int) else None
    nfiles = entry.get("nfiles") if isinstance(entry.get("nfiles"), int) else None
    return f"md5:{md5}", size, nfiles


def recorded(repo_root: Path, rel: str,
             unreadable: list[Unreadable] | None = None) -> ContentHash | None:
    """The hash DVC recorded for ``rel`` (repo-relative posix path) in a .dvc file or dvc.lock.

    Read in DVC's order: ``rel.dvc``, then the ``dvc.lock`` of the path's folder and of each
    folder above it; the first that records the path answers. Of a ``dvc.lock``, only the
    entries of stages the ``dvc.yaml`` beside it defines count (expanded ``foreach``/``matrix``
    names included), each read from its stage's ``wdir``, as DVC's index reads them: the
    entry ``dvc repro`` kept for a stage renamed or deleted from dvc.yaml is no version of
    anything, and a lock with no dvc.yaml beside it records nothing. A file on the way that
    cannot be read (not valid YAML, not UTF-8, not a DVC file's shape; the dvc.yaml beside a
    lock too, which then says nothing either) is skipped: it may have recorded the path, so
    with ``unreadable`` each such file read before the answer (every one, when none answers)
    is appended to it, for the caller to say that the answer is not the checkout's whole
    story.
    """
    target = PurePosixPath(rel)
    # (folder its paths are relative to, its entries; or what made it unreadable, source)
    candidates: list[tuple[PurePosixPath, list[Any] | Unreadable, str]] = []

    def load(path: Path, shape: str) -> Any:
        try:
            data = _load_yaml(path)
        except _Unreadable as exc:
            return Unreadable(_rel_posix(repo_root, path), exc.line, exc.problem)
        if data is not None and not isinstance(data, dict):  # empty is DVC's "nothing"
            return Unreadable(_rel_posix(repo_root, path), 1,
                              f"not a {shape}: a {type(data).__name__}, not a mapping")
        return data or {}

    dvc_file = repo_root / f"{rel}.dvc"
    if dvc_file.is_file():
        data = load(dvc_file, ".dvc file")
        if isinstance(data, Unreadable):
            candidates.append((target.parent, data, ".dvc"))
        elif isinstance(data.get("outs"), list):
            wdir = data.get("wdir")
            base = target.parent / wdir if isinstance(wdir, str) and wdir else target.parent
            candidates.append((base, data["outs"], ".dvc"))
    # dvc.lock files in the folders above the path (a stage's deps/outs are relative to it)
    for parent in (target.parent, *target.parent.parents):
        lock = repo_root / parent / "dvc.lock"
        if not lock.is_file():
            continue
        data = load(lock, "dvc.lock")
        if isinstance(data, Unreadable):
            candidates.append((parent, data, "dvc.lock"))
            continue
        stages = data.get("stages")
        if not isinstance(stages, dict):
            continue
        pipeline = repo_root / parent / "dvc.yaml"
        if not pipeline.is_file():
            continue  # no pipeline here: DVC reads none of the lock's entries
        doc = load(pipeline, "dvc.yaml")
        if isinstance(doc, Unreadable):
            candidates.append((parent, doc, "dvc.lock"))
            continue
        defs = pipeline_stages(doc)
        for name, stage in stages.items():
            if not isinstance(stage, dict) or not defines_stage(defs, str(name)):
                continue
            wdir, _ = stage_wdir(defs, str(name))
            base = parent / wdir if wdir else parent
            for section in ("outs", "deps"):
                items = stage.get(section)
                if isinstance(items, list):
                    candidates.append((base, items, "dvc.lock"))
    for base, items, source in candidates:
        if isinstance(items, Unreadable):
            if unreadable is not None:
                unreadable.append(items)
            continue
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


def _rel_posix(repo_root: Path, path: Path) -> str:
    try:
        return path.relative_to(repo_root).as_posix()
    except ValueError:
        return path.as_posix()


_STAT_CACHE = Path(".lineage") / "content-hashes.json"


def _stat_key(path: Path) -> str:
    """What changes when a file or a directory's files change: inode, mtime and size of each
    file (DVC's state cache uses the same), without reading a byte."""
    if not path.is_dir():
        st = path.stat()
        return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"
    h = hashlib.sha256()
    # the .dvcignore files decide what is in the hash: a change to them is a change
    for f in _ignore_files(path)[1]:
        st = f.stat()
        h.update(f"{f}\0{st.st_ino}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    for rel, full in _walk(path):
        st = full.stat()
        h.update(f"{rel}\0{st.st_ino}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    return "dir:" + h.hexdigest()


def cached_compute(repo_root: Path, rel: str, path: Path) -> ContentHash:
    """:func:`compute` of ``path``, without reading it again while the stat cache of
    ``repo_root`` (``.lineage/content-hashes.json``) says it is unchanged since it was hashed:
    the inode, mtime and size of the file, or of each file of the directory and of the
    ``.dvcignore`` files that decide what is in its hash (DVC's state cache works the same).

    ``rel`` is the path's key in the cache: its path from ``repo_root`` as DVC names it
    (:func:`relative_to_repo`), or its absolute posix path for a file outside the repository.
    The cache is written only where ``repo_root/.lineage`` exists, and a cache that cannot be
    read or written is no error (the hash is computed). The source of the answer is
    ``"computed"``; it is not compared with what DVC recorded (:func:`content_hash` does).

    Raises :class:`OSError` when ``path`` cannot be read.
    """
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


# a URL (scheme://…), or one pathlib.Path collapsed (scheme:/…); a scheme of one letter is a
# Windows drive (c:/…)
_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(/)?")


def relative_to_repo(repo_root: str | Path, full: Path) -> str | None:
    """``full`` (an absolute path, not resolved) as a posix path relative to the repository
    root, or None when it is not inside the repository.

    The file itself is not resolved: a file DVC checked out as a symlink into its cache
    (``cache.type: symlink``) is the path named, not the cache file it links to; its folders
    are (a repository reached through a symlinked folder, ``/tmp`` → ``/private/tmp``).
    """
    root = Path(os.path.abspath(repo_root))
    real = root.resolve()
    for base, candidate in ((root, full), (real, full), (real, full.parent.resolve() / full.name),
                            (real, full.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return None


def repo_path(repo_root: Path, path: str | Path) -> tuple[str, bool]:
    """Where a training script's ``path`` is, named as a pin names it: (path, inside).

    A relative path is read as ``open()`` reads it, from the current directory — when that
    is inside the repository; from elsewhere (``track_run(repo=...)``, ``--repo``) it is
    relative to the repository root. Inside the repository the path is repo-relative
    (posix); outside it is absolute and ``inside`` is False: such a path is pinned by its
    content but is no DVC data of this repository.

    A URL is no path (:class:`lineage.errors.InputError`, naming it without credentials): read
    as one, ``https://host/x`` was the repository file ``https:/host/x``, its
    ``user:password@`` kept. So is what :class:`pathlib.Path` makes of a URL (``https:/host/x``,
    ``//`` collapsed): a caller records a URL as one before asking for a path.
    """
    text = os.fspath(path)
    m = _URL_LIKE.match(text)
    if m is not None:
        from lineage.errors import InputError
        from lineage.ids import strip_credentials

        url = text if m.group(2) else f"{m.group(1)}://{text[m.end():]}"  # '//' put back
        raise InputError(
            f"{strip_credentials(url)} is a URL, not a path of the repository",
            hint="give a URL as a string (pathlib.Path turns '//' into '/'): it is recorded "
                 "as a URL, without a content pin; or give the path of a local copy")
    root = Path(os.path.abspath(repo_root))
    p = Path(path)
    if not p.is_absolute():
        cwd = Path.cwd()
        inside = any(base == cwd or base in cwd.parents for base in (root, root.resolve()))
        p = (cwd if inside else root) / p
    full = Path(os.path.abspath(p))
    rel = relative_to_repo(root, full)
    return (rel, True) if rel is not None else (full.as_posix(), False)


COMMIT_ENV = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT")


def ci_commit_note(head: str | None) -> str | None:
    """The commit a run's inputs were hashed at is the checked-out HEAD; a warning when the CI job's commit variable names another commit than the checked-out
    HEAD (``actions/checkout`` of another ref): the run is linked to HEAD, what was hashed."""
    for var in COMMIT_ENV:
        value = os.environ.get(var, "").strip()
        if value:
            if head and value.lower() != head.lower():
                return (f"${var} is {value} but the checked-out HEAD is {head}: the run is "
                        "linked to HEAD, the code its inputs were read with")
            return None
    return None


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
    h = cached_compute(repo_root, rel, path)
    if rec is not None and rec.hash == h.hash:
        return ContentHash(rec.hash, h.size, h.nfiles, h.is_dir, rec.source)
    return h


__all__ = ["ContentHash", "Unreadable", "cached_compute", "compute", "content_hash", "defines_stage",
           "dir_md5", "dvc_str", "dvc_yaml_loader", "interpolate", "pipeline_stages",
           "stage_expansions", "stage_wdir", "templated_wdirs",
           "file_md5", "file_sha256", "recorded", "relative_to_repo", "repo_path", "COMMIT_ENV",
           "ci_commit_note"]
