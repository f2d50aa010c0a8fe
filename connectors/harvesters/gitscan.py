"""One pass over a git history, shared by the git, DVC and GTO harvesters.

:func:`scan` runs **one** ``git log`` over every commit reachable from the refs and not from the
previous harvest's tips, with ``--raw`` so that the same pass also yields which DVC metadata
files (``dvc.yaml``, ``dvc.lock``, ``*.dvc``) changed at which commit and their blob ids. The
result is cached in ``ctx.shared`` so the harvesters of one run share it. :func:`cat_blobs`
reads many blobs through one ``git cat-file --batch`` process.

Choices (see docs/harvest.md):

* ``--pretty=raw`` prints the commit object's headers as stored, so ``gpgsig`` tells whether a
  commit is signed without running gpg (``%G?`` verifies, and costs a gpg call per commit);
  ``--no-show-signature`` keeps a user's ``log.showSignature`` from verifying each one anyway.
  Message lines are indented by four spaces, so they can never be mistaken for ``--raw`` lines
  (which start with ``:``); ``-z`` keeps paths with spaces, quotes and non-ASCII bytes intact.
* Merges: ``--diff-merges=first-parent`` reports, for a merge, every file that differs from its
  first parent. Replaying changes along first parents therefore gives the exact DVC files at any
  commit, including conflict resolutions that exist only in the merge; ``-m`` would list the
  same change once per parent and ``--cc`` hides files taken whole from one side.
* ``--no-renames``: a rename is a deletion plus an addition, which is what the DVC replay needs.
* ``--topo-order --reverse``: parents always come before their children.
* Gitlinks (mode 160000, submodules) are never DVC files: they are reported separately as
  :class:`SubmoduleChange` so the git harvester can record the submodule commit;
  ``--ignore-submodules=none``: ``diff.ignoreSubmodules`` or a ``.gitmodules`` ``ignore = all``
  would hide them.
* ``--root``: a root commit's files are listed as added, as git does unless a user's
  ``log.showRoot = false`` says otherwise (the DVC files of a first commit would be lost).
* ``refs/stash`` and ``refs/notes/*`` are not history and are left out of the walk; neither
  are ``refs/replace/*``, and replace refs are not applied (``GIT_NO_REPLACE_OBJECTS``): a
  clone's grafts and replacements are its private view, a sha names one object everywhere.
  Nor is DVC's bookkeeping under ``refs/exps/`` (:data:`DVC_BOOKKEEPING_REFS`: the stashes of
  queued experiments, ``exp apply``'s, a run's exec and temp refs); the experiment refs
  ``refs/exps/<xx>/<sha>/<name>`` are walked.
* A shallow clone deepened since a harvester's last harvest (:func:`history_since`, which keeps
  the boundary it saw in its ``shallow`` watermark): that harvester walks the whole history
  again, without exclusions, so the commits behind the old boundary are harvested. A clone
  made shallower (``git fetch --depth 1``) holds less history than the store: noted, nothing
  walked again, the store keeps what it has (:func:`held_boundaries`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from lineage import gitfiles
from lineage.errors import InputError, NotARepositoryError
from lineage.gitfiles import named_after_boundary, shallow_identity_message
from lineage.ids import repository_id, strip_credentials, strip_credentials_in_text

if TYPE_CHECKING:
    from lineage.plugins import HarvestContext

ZERO_SHA = "0" * 40
SUBMODULE_MODE = "160000"
SYMLINK_MODE = "120000"
# DVC's own bookkeeping under refs/exps (dvc/repo/experiments/refs.py: ``STASHES`` and
# ``ITER_SKIP_NAMESPACES``, the refs ``dvc exp`` itself never lists as experiments): the stash
# of queued experiments and of the workspace (``dvc-exp:…`` stash commits with their "Index
# stash" and untracked-files parents), failed queue entries, `dvc exp apply`'s stash and
# ORIG_HEAD, a running experiment's exec and temp refs. The experiments themselves,
# ``refs/exps/<baseline[:2]>/<baseline[2:]>/<name>``, are history
DVC_BOOKKEEPING_REFS = ("refs/exps/stash", "refs/exps/apply/", "refs/exps/celery/",
                        "refs/exps/exec/", "refs/exps/temp/")
_EXCLUDED_REF_PREFIXES = ("refs/stash", "refs/notes/", "refs/replace/", *DVC_BOOKKEEPING_REFS)
# every git process reads objects as their shas name them: a clone's replace refs (git replace,
# git replace --graft) would give its commits other parents and its DVC files other contents
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_NO_REPLACE_OBJECTS": "1"}
_LOG_ARGS = [
    "log", "--stdin", "--topo-order", "--reverse", "--pretty=raw", "--encoding=UTF-8", "--raw",
    "--no-abbrev", "-z", "--no-renames", "--diff-merges=first-parent", "--no-color",
    "--no-ext-diff", "--no-textconv", "--no-show-signature", "--ignore-submodules=none",
    "--root",
]


@dataclass(slots=True)
class CommitRecord:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: str  # ISO-8601 UTC, "2026-01-01T00:00:00Z"
    committer_name: str
    committer_email: str
    committer_time: str
    message: str
    signed: bool


@dataclass(slots=True)
class FileChange:
    commit: str
    path: str
    blob: str | None  # None: deleted (or no longer a regular file) at this commit


@dataclass(slots=True)
class SubmoduleChange:
    commit: str
    path: str
    sha: str | None  # the submodule commit recorded by the gitlink; None: removed


@dataclass(slots=True)
class TagInfo:
    object: str  # the object the tag points at (before peeling)
    tagger_name: str | None
    tagger_email: str | None
    tagger_time: str | None  # ISO-8601 UTC
    message: str
    signed: bool


@dataclass
class GitScan:
    root: Path
    commits: list[CommitRecord]  # new since the exclusion set, parents before children
    changes: list[FileChange]  # DVC metadata files only, in commit order
    refs: dict[str, str]  # refname → commit sha (tags peeled); "HEAD" only when detached
    shallow: bool
    repo_id: str
    remote_url: str | None  # credentials removed
    submodules: list[SubmoduleChange] = field(default_factory=list)
    shallow_commits: list[str] = field(default_factory=list)
    head: str | None = None  # sha HEAD points at (None: unborn branch)
    head_ref: str | None = None  # the branch HEAD points at (None: detached)
    annotated: dict[str, str] = field(default_factory=dict)  # tag refname → tag object sha
    ran_log: bool = False
    remote: str | None = None  # the name of the remote whose URL names the repository
    # whether ``remote`` was ever fetched from (:func:`fetched_from`): only then is this a
    # clone, which can lack what its remote holds
    fetched: bool = False
    _tag_objects: dict[str, TagInfo] | None = None

    @property
    def tagless(self) -> bool:
        """A clone (its remote was fetched from) that holds no tag at all: its fetch brought
        none, or the repository has none. A repository whose remote was never fetched from
        (added for a first push, not created yet) is no clone: it lacks nothing."""
        return self.fetched and not any(r.startswith("refs/tags/") for r in self.refs)

    @property
    def tag_objects(self) -> dict[str, TagInfo]:
        """Annotated tags (refname → tagger, date, message); read on first use, once."""
        if self._tag_objects is None:
            blobs = cat_objects(self.root, set(self.annotated.values()))
            out: dict[str, TagInfo] = {}
            for ref, sha in self.annotated.items():
                raw = blobs.get(sha)
                if raw is not None:
                    out[ref] = parse_tag_object(raw)
            self._tag_objects = out
        return self._tag_objects

    def refs_by_commit(self) -> dict[str, list[str]]:
        inv: dict[str, list[str]] = {}
        for ref, sha in self.refs.items():
            inv.setdefault(sha, []).append(ref)
        for v in inv.values():
            v.sort()
        return inv

    def tags_by_commit(self) -> dict[str, list[str]]:
        """Commit sha → the tags (full ref names, sorted) that point at it."""
        inv: dict[str, list[str]] = {}
        for ref, sha in self.refs.items():
            if ref.startswith("refs/tags/"):
                inv.setdefault(sha, []).append(ref)
        for v in inv.values():
            v.sort()
        return inv

    def branch_heads(self) -> dict[str, str]:
        """Branch name → the commit it points at, as the repository has it: the identity
        remote's remote-tracking branches (``refs/remotes/origin/main`` → ``main``, its
        ``HEAD`` left out) as last fetched; a clone with none of them (no remote, or never
        fetched) has only its local branches (``refs/heads/*``)."""
        heads: dict[str, str] = {}
        if self.remote:
            prefix = f"refs/remotes/{self.remote}/"
            heads = {ref[len(prefix):]: sha for ref, sha in self.refs.items()
                     if ref.startswith(prefix) and ref != prefix + "HEAD"}
        if not heads:
            heads = {ref[11:]: sha for ref, sha in self.refs.items()
                     if ref.startswith("refs/heads/")}
        return dict(sorted(heads.items()))


# -- helpers ------------------------------------------------------------------------------------

def is_dvc_metadata(path: str) -> bool:
    """``dvc.yaml``, ``dvc.lock``, ``*.dvc`` or ``Dvcfile`` (DVC 0.x's default stage file)
    in any folder."""
    base = path.rsplit("/", 1)[-1]
    return base == "dvc.lock" or base == "dvc.yaml" or base == "Dvcfile" \
        or (base.endswith(".dvc") and base != ".dvc")


def _git(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    env = {**os.environ, **_GIT_ENV}
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=root, input=input,
                              capture_output=True, env=env)
    except FileNotFoundError as exc:
        raise NotARepositoryError("git is not installed", hint="install git and retry") from exc
    if check and proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"git {args[0]} failed: {msg[-1] if msg else proc.returncode}",
                         file=str(root), hint="check that this is a readable git repository")
    return proc.stdout


def git_dirs(root: Path) -> tuple[Path, Path]:
    """(git dir, common dir) without running git (``.git`` may be a file in worktrees)."""
    return gitfiles.git_dirs(root) or (root / ".git", root / ".git")


_ISO_CACHE: dict[int, str] = {}


def _iso(epoch: int) -> str:
    s = _ISO_CACHE.get(epoch)
    if s is None:
        s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        if len(_ISO_CACHE) < 200_000:
            _ISO_CACHE[epoch] = s
    return s


def parse_ident(value: str) -> tuple[str, str, str | None]:
    """``Name <email> 1700000000 +0100`` → (name, email, ISO UTC time)."""
    lt = value.rfind("<")
    gt = value.rfind(">")
    if lt < 0 or gt < lt:
        return value.strip(), "", None
    name = value[:lt].strip()
    email = value[lt + 1 : gt]
    rest = value[gt + 1 :].split()
    when = None
    if rest:
        try:
            when = _iso(int(rest[0]))
        except (ValueError, OverflowError, OSError):
            when = None
    return name, email, when


def _decode(b: bytes) -> str:
    try:
        return b.decode()
    except UnicodeDecodeError:
        return b.decode("utf-8", errors="replace")


def parse_tag_object(raw: bytes) -> TagInfo:
    head, _, body = raw.partition(b"\n\n")
    obj = ""
    tagger: tuple[str, str, str | None] = ("", "", None)
    has_tagger = False
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"object":
            obj = value.decode(errors="replace")
        elif key == b"tagger":
            tagger = parse_ident(_decode(value))
            has_tagger = True
    message = _decode(body)
    signed = False
    for marker in ("-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----",
                   "-----BEGIN SIGNED MESSAGE-----"):
        i = message.find(marker)
        if i >= 0:
            message, signed = message[:i], True
            break
    return TagInfo(obj, tagger[0] if has_tagger else None, tagger[1] if has_tagger else None,
                   tagger[2], message.rstrip("\n"), signed)


def refs_watermark(refs: Mapping[str, str]) -> str:
    """A stable digest of a ref set (refname → sha)."""
    body = "\n".join(f"{k} {v}" for k, v in sorted(refs.items()))
    return hashlib.sha256(body.encode()).hexdigest()


def dump_refs(refs: Mapping[str, str], repository: str | None = None) -> str:
    """Refs map as the JSON text harvesters keep in their watermark; with ``repository``,
    also the repository id the facts were harvested under (``{"repository", "refs"}``)."""
    body: Any = dict(sorted(refs.items()))
    if repository is not None:
        body = {"repository": repository, "refs": body}
    return json.dumps(body, separators=(",", ":"))


def watermark_repository(watermark: str | None) -> str | None:
    """The repository id a refs watermark was written under (None: not recorded)."""
    try:
        data = json.loads(watermark or "")
    except ValueError:
        return None
    repo = data.get("repository") if isinstance(data, dict) else None
    return repo if isinstance(repo, str) else None


def load_refs(watermark: str | None) -> dict[str, str] | None:
    if not watermark:
        return None
    try:
        data = json.loads(watermark)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("refs"), dict):
        data = data["refs"]
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items()}


# -- refs ---------------------------------------------------------------------------------------

def read_refs(root: Path) -> tuple[dict[str, str], dict[str, str], str | None, str | None]:
    """(refs → commit sha, annotated tag ref → tag sha, HEAD sha, HEAD branch)."""
    out = _git(root, "for-each-ref",
               "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)")
    refs: dict[str, str] = {}
    annotated: dict[str, str] = {}
    nested: dict[str, str] = {}  # a tag of a tag (`%(*…)` peels one level): peeled below
    for line in out.decode(errors="replace").splitlines():
        parts = line.split(" ", 4)
        if len(parts) != 5:
            continue
        sha, typ, peeled, peeled_type, name = parts
        if name.startswith(_EXCLUDED_REF_PREFIXES):
            continue
        if typ == "commit":
            refs[name] = sha
        elif typ == "tag" and peeled_type == "commit":
            refs[name] = peeled
            annotated[name] = sha
        elif typ == "tag" and peeled_type == "tag":
            nested[name] = sha
    if nested:  # rare: one cat-file for all of them, peeled to the end (`^{}`)
        names = sorted(nested)
        lines = _git(root, "cat-file", "--batch-check",
                     input="".join(f"{nested[n]}^{{}}\n" for n in names).encode(),
                     check=False).decode(errors="replace").splitlines()
        for name, line in zip(names, lines, strict=False):
            target = line.split(" ")
            if len(target) == 3 and target[1] == "commit":
                refs[name] = target[0]
                annotated[name] = nested[name]  # the outer tag: its tagger is the evidence
    gd, _ = git_dirs(root)
    head_sha: str | None = None
    head_ref: str | None = None
    try:
        head = (gd / "HEAD").read_text(errors="replace").strip()
    except OSError:
        head = ""
    if head.startswith("ref:"):
        head_ref = head[4:].strip()
        head_sha = refs.get(head_ref)
    elif len(head) >= 40:
        head_sha = head.split()[0]  # 40 hex digits, 64 in a SHA-256 repository
        refs["HEAD"] = head_sha
    return refs, annotated, head_sha, head_ref


def identity_remote(root: Path) -> tuple[str, str] | None:
    """(name, URL without credentials) of the remote that names the repository: ``origin``,
    else the first remote configured. The URL is the one git fetches from (``git remote
    get-url``): ``url.<base>.insteadOf`` rewritten, the longest matching prefix winning."""
    out = _git(root, "config", "--get-regexp", r"^(remote\..*\.url|url\..*\.insteadof)$",
               check=False)
    remotes: list[tuple[str, str]] = []
    instead: list[tuple[str, str]] = []  # (prefix, base)
    for line in out.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        value = value.strip()
        if not value:
            continue
        if key.startswith("remote.") and key.endswith(".url"):
            remotes.append((key[len("remote.") : -len(".url")], value))
        elif key.startswith("url.") and key.endswith(".insteadof"):
            instead.append((value, key[len("url.") : -len(".insteadof")]))
    if not remotes:
        return None
    name, url = next((r for r in remotes if r[0] == "origin"), remotes[0])
    match = max((p for p in instead if url.startswith(p[0])), key=lambda p: len(p[0]),
                default=None)
    if match is not None:
        url = match[1] + url[len(match[0]):]
    return name, strip_credentials(url)


def remote_url(root: Path) -> str | None:
    remote = identity_remote(root)
    return remote[1] if remote else None


_ROOT_KEY = "root"  # (cache namespace "gitscan") the root commit that names the repository


def _root_commit(ctx: HarvestContext | None, root: Path, head: str | None,
                 shallow: set[str], store: Any = None,
                 remember: bool = True) -> tuple[str | None, bool]:
    """(the first root commit of HEAD's history, whether it is one). A root commit found is
    remembered so the id stays put. In a shallow clone whose HEAD history stops at a shallow
    boundary the root commit is not in the clone: the boundary is given, not remembered."""
    store = getattr(ctx, "store", None) if store is None else store
    put = _remember_root if remember else _keep_to_itself
    if store is not None:
        try:
            cached = store.cache_get_many("gitscan", [_ROOT_KEY, "root_commit"])
        except Exception:
            cached = {}
        if cached.get(_ROOT_KEY):
            return str(cached[_ROOT_KEY]), True
        old = cached.get("root_commit")
        # what versions before remembered, a shallow clone's boundary among them: kept only
        # when it has no parents (a boundary's commit object names them)
        if old and (old not in shallow) and not _commit_parents(
                cat_objects(root, [str(old)]).get(str(old), b"")):
            put(store, str(old))
            return str(old), True
    if head is None:
        return None, False
    out = _git(root, "rev-list", "--max-parents=0", head, check=False).decode().split()
    if not out:
        return None, False
    rc = out[-1]
    if shallow.intersection(out):  # the history stops at a boundary: the root is behind it
        return rc, False
    if store is not None:
        put(store, rc)
    return rc, True


def _remember_root(store: Any, sha: str) -> None:
    try:
        store.cache_put_many("gitscan", [(_ROOT_KEY, sha)])
    except Exception:
        pass


def _keep_to_itself(store: Any, sha: str) -> None:
    """(a look-up that writes nothing)"""


def repository_identity(root: Path, store: Any = None) -> str | None:
    """The repository id the git harvester gives the repository at ``root``, for code that
    names it without harvesting (a run recorded before the first harvest embeds it in its
    data ids): the identity remote's URL (:func:`identity_remote`: ``origin``, else the first
    remote, ``insteadOf`` applied), else the first root commit of HEAD's history — the one
    ``store`` remembers, when given (nothing is written to it) —, else, in a shallow clone
    without a remote, its boundary for now. None: no commit yet."""
    remote = identity_remote(root)
    if remote is not None:
        return repository_id(remote[1])
    head = gitfiles.git_head(root)
    if head is None:
        refs = read_refs(root)[0]
        head = next(iter(sorted(refs.values())), None)
    _, common = git_dirs(root)
    try:
        shallow = set((common / "shallow").read_text(errors="replace").split())
    except OSError:
        shallow = set()
    rc, _ = _root_commit(None, root, head, shallow, store=store, remember=False)
    return repository_id(None, rc) if rc else None


# -- the log pass -------------------------------------------------------------------------------

LogResult = tuple[list[CommitRecord], list[FileChange], list[SubmoduleChange]]


class LogParser:
    """Incremental parser of ``git log --pretty=raw --raw -z`` output: feed it chunks as git
    writes them, so parsing overlaps git's own work (diffs are computed while printing)."""

    def __init__(self, progress: Callable[[int], None] | None = None) -> None:
        self.progress = progress
        self.commits: list[CommitRecord] = []
        self.changes: list[FileChange] = []
        self.subs: list[SubmoduleChange] = []
        self._chunks: list[bytes] = []  # unparsed data, no complete commit boundary inside
        self._tail = b""  # last bytes of _chunks, where a boundary may straddle a chunk edge

    def feed(self, chunk: bytes) -> None:
        # a commit starts at b"\0commit <sha>\ntree " (a path would have to contain
        # "commit <40 or 64 hex>\ntree " to fool this); look only at the new bytes (plus the
        # tail of the old ones) so a huge commit costs linear time
        region = self._tail + chunk
        pos = len(region)
        cut = -1
        while True:
            pos = region.rfind(b"\0commit ", 0, pos)
            if pos < 0:
                break
            if (region[pos + 48 : pos + 54] == b"\ntree "
                    or region[pos + 72 : pos + 78] == b"\ntree "):  # SHA-1, SHA-256
                cut = pos
                break
        if cut < 0:
            self._chunks.append(chunk)
            self._tail = region[-96:]
            return
        cut_in_chunk = cut - len(self._tail)  # may be negative: inside earlier chunks
        if cut_in_chunk >= 0:
            head = b"".join([*self._chunks, chunk[: cut_in_chunk + 1]])
            rest = chunk[cut_in_chunk + 1 :]
        else:
            buf = b"".join([*self._chunks, chunk])
            at = len(buf) - len(chunk) + cut_in_chunk
            head, rest = buf[: at + 1], buf[at + 1 :]
        self._parse(head)
        self._chunks = [rest] if rest else []
        self._tail = rest[-96:]

    def finish(self) -> LogResult:
        if self._chunks:
            self._parse(b"".join(self._chunks))
            self._chunks = []
            self._tail = b""
        return self.commits, self.changes, self.subs

    def _parse(self, data: bytes) -> None:
        _parse_into(data, self.commits, self.changes, self.subs)
        if self.progress is not None:
            self.progress(len(self.commits))


def parse_log(data: bytes) -> LogResult:
    """Parse ``git log --pretty=raw --raw -z --no-abbrev`` output (see module docstring)."""
    commits: list[CommitRecord] = []
    changes: list[FileChange] = []
    subs: list[SubmoduleChange] = []
    _parse_into(data, commits, changes, subs)
    return commits, changes, subs


def _parse_into(data: bytes, commits: list[CommitRecord], changes: list[FileChange],
                subs: list[SubmoduleChange]) -> None:
    current = commits[-1].sha if commits else ""
    tokens = data.split(b"\0")
    n = len(tokens)
    i = 0
    append_change = changes.append
    while i < n:
        tok = tokens[i]
        i += 1
        if not tok:
            continue
        if tok.startswith(b"commit "):
            raw_start = tok.find(b"\n:")
            if raw_start >= 0:
                header, first_raw = tok[:raw_start], tok[raw_start + 1 :]
            else:
                header, first_raw = tok, b""
            rec = _parse_commit(header)
            commits.append(rec)
            current = rec.sha
            if not first_raw:
                continue
            tok = first_raw
        if tok[:1] != b":" or i >= n:
            continue
        # ":<old mode> <new mode> <old sha> <new sha> <status>" then the path token
        path_b = tokens[i]
        i += 1
        meta = tok[1:].split(b" ")
        if len(meta) < 5:
            continue
        new_mode = meta[1]
        path = _decode(path_b)
        if new_mode == b"160000" or meta[0] == b"160000":
            sha = meta[3].decode() if new_mode == b"160000" else None
            subs.append(SubmoduleChange(current, path, sha))
            continue
        if not is_dvc_metadata(path):
            continue
        status = meta[4][:1]
        if status == b"D" or new_mode == b"120000" or new_mode == b"000000":
            append_change(FileChange(current, path, None))
        else:
            append_change(FileChange(current, path, meta[3].decode()))


def _ident(value: bytes) -> tuple[str, str, str]:
    """``Name <email> 1700000000 +0100`` (bytes) → (name, email, ISO UTC time or "")."""
    lt = value.rfind(b" <")
    gt = value.rfind(b"> ")
    if lt < 0 or gt < lt:
        name, email, when = parse_ident(_decode(value))
        return name, email, when or ""
    rest = value[gt + 2 :]
    sp = rest.find(b" ")
    try:
        when = _iso(int(rest[:sp] if sp >= 0 else rest))
    except (ValueError, OverflowError, OSError):
        when = ""
    who = value[:gt]
    pair = _WHO_CACHE.get(who)
    if pair is None:
        pair = (_decode(value[:lt]), _decode(value[lt + 2 : gt]))
        if len(_WHO_CACHE) < 100_000:
            _WHO_CACHE[who] = pair
    return pair[0], pair[1], when


_WHO_CACHE: dict[bytes, tuple[str, str]] = {}


def _parse_commit(header: bytes) -> CommitRecord:
    head, _, body = header.partition(b"\n\n")
    lines = head.split(b"\n")
    sha = lines[0][7:].split(b" ", 1)[0].decode()  # 40 hex digits, 64 with SHA-256
    parents: list[str] = []
    author = committer = ("", "", "")
    for line in lines[1:]:
        c = line[:2]
        if c == b"pa" and line.startswith(b"parent "):
            parents.append(line[7:].decode())
        elif c == b"au" and line.startswith(b"author "):
            author = _ident(line[7:])
        elif c == b"co" and line.startswith(b"committer "):
            committer = _ident(line[10:])
    # any gpgsig header (gpgsig, gpgsig-sha256: OpenPGP, SSH or X.509) means signed
    signed = b"\ngpgsig" in head
    # message lines are indented by four spaces; the trailing newline belongs to the format
    msg = body.rstrip(b"\n")
    if msg[:4] == b"    ":
        msg = msg[4:]
    msg = msg.replace(b"\n    ", b"\n")
    return CommitRecord(sha, tuple(parents), author[0], author[1], author[2],
                        committer[0], committer[1], committer[2], _decode(msg), signed)


def existing_objects(root: Path, shas: Iterable[str]) -> set[str]:
    """Those of ``shas`` the clone holds (one ``git cat-file --batch-check``): a commit behind
    a shallow clone's boundary is not among them."""
    shas = sorted(set(shas))
    if not shas:
        return set()
    out = _git(root, "cat-file", "--batch-check", input=("\n".join(shas) + "\n").encode())
    found = set()
    for line in out.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] != "missing":
            found.add(parts[0])
    return found


def run_log(root: Path, tips: Iterable[str], exclude: Iterable[str],
            progress: Callable[[int], None] | None = None) -> LogResult:
    """Walk commits reachable from ``tips`` and not from ``exclude``; parse while git writes.

    ``progress(n)`` is called with the number of commits parsed so far."""
    tips = sorted(set(tips))
    exclude = sorted(set(exclude))
    if not tips:
        return [], [], []
    stdin = "".join(f"{t}\n" for t in tips) + "".join(f"^{x}\n" for x in exclude)
    parser = LogParser(progress)
    code, _, err = run_git(root, _LOG_ARGS, stdin.encode(), sink=parser.feed)
    if code != 0 and exclude:
        # a previous tip may be gone (force-push + gc): drop the missing ones and retry
        present = existing_objects(root, exclude)
        stdin = "".join(f"{t}\n" for t in tips) + "".join(f"^{x}\n" for x in exclude
                                                          if x in present)
        parser = LogParser(progress)
        code, _, err = run_git(root, _LOG_ARGS, stdin.encode(), sink=parser.feed)
    if code != 0:
        text = err.decode(errors="replace").strip()
        msg = text.splitlines()
        hint = "check that the repository is not corrupt (git fsck)"
        if "diff-merges" in text:
            hint = "lineage needs git 2.31 or newer (git --version)"
        raise InputError(f"git log failed: {msg[-1] if msg else code}", file=str(root),
                         hint=hint)
    return parser.finish()


# how long a harvest waits for a remote to list its tags (:func:`remote_tags`)
REMOTE_TIMEOUT = 10.0
# git's line after any ssh (or other transport) failure, which does not say what failed
_GENERIC_TRANSPORT = "could not read from remote repository"


def remote_tags(root: Path, remote: str | None,
                timeout: float = REMOTE_TIMEOUT) -> tuple[frozenset[str] | None, str]:
    """The tag names the remote ``remote`` (a name: its configured URL, ``insteadOf`` and
    credentials apply) holds now (``git ls-remote --tags --refs``), and ``""``; or None and
    why it could not answer (no remote, offline, authentication, no answer within
    ``timeout`` seconds), one line without credentials. Asked only where the clone cannot
    tell tags it did not fetch from tags the repository does not have: nothing prompts
    (``GIT_TERMINAL_PROMPT=0``, no terminal: a new session, stdin closed)."""
    if not remote:
        return None, "the clone has no remote"
    env = {**os.environ, **_GIT_ENV, "GCM_INTERACTIVE": "never"}
    try:
        proc = subprocess.Popen(["git", "ls-remote", "--tags", "--refs", remote], cwd=root,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
    except FileNotFoundError as exc:
        raise NotARepositoryError("git is not installed", hint="install git") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:  # git and what it started (ssh, a credential or remote helper)
            os.killpg(proc.pid, 9)
        except OSError:
            proc.kill()
        proc.communicate()
        return None, f"git ls-remote {remote} gave no answer within {timeout:g} s"
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        fatal = next((i for i, ln in enumerate(lines) if ln.lower().startswith("fatal:")), None)
        if fatal is None:
            why = lines[0] if lines else f"exit code {proc.returncode}"
        elif fatal and _GENERIC_TRANSPORT in lines[fatal].lower():
            # ssh's own line before git's generic one says why: an unknown host, a refused
            # connection, a key the server does not take, a host key not known
            why = lines[fatal - 1]
        else:
            why = lines[fatal]
        return None, f"git ls-remote {remote} failed: {strip_credentials_in_text(why)[:200]}"
    names = set()
    for line in out.decode(errors="replace").splitlines():
        _, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/"):
            names.add(ref.removeprefix("refs/tags/"))
    return frozenset(names), ""


def run_git(root: Path, args: list[str], stdin: bytes,
            sink: Callable[[bytes], None] | None = None) -> tuple[int, bytes, bytes]:
    """Run git with ``stdin``; return (exit code, stdout, stderr).

    stdin is written by a thread while this one reads stdout in large ``os.read`` calls
    (``subprocess.run(input=…)`` polls in 32 KiB steps, which costs more than git itself on
    tens of MB of blobs). With ``sink``, each chunk goes to it as it arrives and the returned
    stdout is empty.
    """
    env = {**os.environ, **_GIT_ENV}
    with tempfile.TemporaryFile() as errf:
        try:
            proc = subprocess.Popen(["git", "-c", "core.quotepath=false", *args], cwd=root,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=errf, env=env)
        except FileNotFoundError as exc:
            raise NotARepositoryError("git is not installed", hint="install git") from exc
        assert proc.stdin is not None and proc.stdout is not None
        pipe_in = proc.stdin

        def feed() -> None:
            try:
                pipe_in.write(stdin)
                pipe_in.close()
            except (BrokenPipeError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        fd = proc.stdout.fileno()
        try:  # a larger pipe means fewer context switches between git and us (Linux)
            import fcntl

            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except (ImportError, OSError):
            pass
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            if sink is not None:
                sink(chunk)
            else:
                chunks.append(chunk)
        out = b"".join(chunks)
        proc.stdout.close()
        writer.join()
        code = proc.wait()
        errf.seek(0)
        err = errf.read()
    return code, out, err


_USERINFO = re.compile(r"^(?:([a-z][a-z0-9+.-]*://)[^/@]*@|[^/@:]+@(?=[^/:]+:))", re.I)


def _fetch_url(url: str) -> str:
    """A remote URL as ``FETCH_HEAD`` names it: no user or password, no trailing ``/`` or
    ``.git`` (git's ``transport_anonymize_url`` and what ``git fetch`` strips)."""
    return _USERINFO.sub(lambda m: m.group(1) or "", url.strip()).rstrip("/").removesuffix(
        ".git")


def fetched_from(root: Path, remote: str | None, url: str | None, refs: Mapping[str, str],
                 shallow: bool) -> bool:
    """Whether ``remote`` (its ``url``, ``insteadOf`` applied) was ever fetched from: it has
    remote-tracking refs (``refs/remotes/<remote>/*``: ``git clone``, ``git fetch``, a push
    too), the repository is shallow (only a fetch makes one), or ``FETCH_HEAD`` names its URL
    (``git fetch <remote> <sha>`` and a checkout of ``FETCH_HEAD``). A remote never fetched
    from (``git remote add`` before a first push, a remote not created yet or unreachable)
    makes no clone: the repository holds all there is of itself, nothing is asked of it."""
    if not remote:
        return False
    if shallow or any(r.startswith(f"refs/remotes/{remote}/") for r in refs):
        return True
    if not url:
        return False
    want = _fetch_url(url)
    gitdir, common = git_dirs(root)
    for d in dict.fromkeys((gitdir, common)):
        try:
            text = (d / "FETCH_HEAD").read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            source = line.split("\t", 2)[-1] if line.count("\t") >= 2 else ""
            if source == want or source.endswith(f" of {want}"):
                return True
    return False


def fetch_state(s: GitScan) -> str:
    """What a remote's answer to :func:`remote_tags` is good for: the remote (name and URL),
    the clone's refs and when it last fetched (``FETCH_HEAD``, rewritten by every fetch). A
    harvest where none of these changed reuses the answer an earlier one recorded, and asks
    nothing; a fetch, a ref moved, or another URL asks again."""
    gitdir, _ = git_dirs(s.root)
    try:
        st = (gitdir / "FETCH_HEAD").stat()
        fetched: list[int] | None = [st.st_mtime_ns, st.st_size]
    except OSError:
        fetched = None
    text = json.dumps({"remote": s.remote, "url": s.remote_url, "root": str(s.root),
                       "refs": sorted(s.refs.items()), "annotated": sorted(s.annotated.items()),
                       "fetch_head": fetched}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _base(ctx: HarvestContext) -> dict[str, Any]:
    """Refs, remote, shallow state and repository id: read once per harvest run."""
    base = ctx.shared.get(("gitscan-base", ctx.repo_path))
    if base is not None:
        return cast(dict[str, Any], base)  # put there below, by the first call
    root = ctx.repo_path
    refs, annotated, head, head_ref = read_refs(root)
    remote = identity_remote(root)
    url = remote[1] if remote else None
    _, common = git_dirs(root)
    shallow_file = common / "shallow"
    shallow_commits: list[str] = []
    if shallow_file.is_file():
        shallow_commits = sorted(shallow_file.read_text(errors="replace").split())
    rid = repository_id(url) if url else None
    genuine = True
    if rid is None:
        rc, genuine = _root_commit(ctx, root, head or next(iter(sorted(refs.values())), None),
                                   set(shallow_commits))
        rid = repository_id(None, rc) if rc else f"repository:path:{root.name}"
    name = remote[0] if remote else None
    base = {"refs": refs, "annotated": annotated, "head": head, "head_ref": head_ref,
            "url": url, "remote": name, "shallow": shallow_commits, "repo_id": rid,
            "fetched": fetched_from(root, name, url, refs, bool(shallow_commits))}
    ctx.shared[("gitscan-base", ctx.repo_path)] = base
    if shallow_commits and genuine:
        # without a remote, ``git fetch --unshallow`` alone fails: it needs the URL
        fetch = "git fetch --unshallow" if url else "git fetch --unshallow <url>"
        ctx.report.warn("git", f"shallow clone: history before {shallow_commits[0][:12]} is "
                        f"missing; run {fetch} to harvest all of it")
    elif shallow_commits:
        ctx.report.warn("git", shallow_identity_message(rid))
    return base


def scan_refs(ctx: HarvestContext) -> GitScan:
    """Refs, tags and repository identity only (no history walk), shared like :func:`scan`."""
    base = _base(ctx)
    return GitScan(root=ctx.repo_path, commits=[], changes=[], refs=dict(base["refs"]),
                   shallow=bool(base["shallow"]), repo_id=base["repo_id"],
                   remote_url=base["url"], shallow_commits=list(base["shallow"]),
                   head=base["head"], head_ref=base["head_ref"],
                   annotated=dict(base["annotated"]), remote=base["remote"],
                   fetched=base["fetched"])


SHALLOW_SCOPE = "shallow"  # each history harvester's watermark of the boundary it last saw
_MARKS_KEY = "shallow_marks"  # (cache namespace "gitscan") what the old-store fallback found


class HistorySince(NamedTuple):
    """What :func:`history_since` found out about the history since the last harvest."""

    since: dict[str, str] | None  # the exclusions for :func:`scan` (None: the whole history)
    deepened: list[str]  # old boundary commits whose parents the clone now holds
    # where the clone holds less history than the store: boundary commits whose history the
    # store already has, and old boundaries no longer in the clone
    shallower: list[str]


def _marked_boundaries(ctx: HarvestContext) -> set[str]:
    """Commits the store marks ``shallow_boundary``: what a store harvested before the
    ``shallow`` watermark existed tells of its shallow history. Read once per run, by the first
    harvester that needs it (before it writes), and only while such a watermark is missing.

    What is found is also kept in the store (cache ``gitscan``, key ``shallow_marks``): the git
    harvester drops the marks of the boundaries it sees released, and a harvester without a
    ``shallow`` watermark that runs later (``lineage harvest --only git`` first) must still
    learn of them."""
    key = f"gitscan-marked-boundaries:{ctx.repo_path}"
    found: set[str] | None = ctx.shared.get(key)
    if found is None:
        found = set()
        store = getattr(ctx, "store", None)
        if store is not None:
            found = {str(r[0]) for r in store.conn.execute(
                "SELECT json_extract(attrs, '$.sha') FROM nodes WHERE kind = 'commit' "
                "AND instr(attrs, '\"shallow_boundary\"') > 0 "
                "AND json_extract(attrs, '$.properties.shallow_boundary') IS NOT NULL")}
            kept = store.cache_get_many("gitscan", [_MARKS_KEY]).get(_MARKS_KEY)
            kept_set = {str(x) for x in kept} if isinstance(kept, list) else set()
            if not found <= kept_set:
                store.cache_put_many("gitscan", [(_MARKS_KEY, sorted(found | kept_set))])
            found |= kept_set
        ctx.shared[key] = found
    return found


def _reachable(ctx: HarvestContext, shas: set[str]) -> set[str]:
    """Those of ``shas`` reachable from the refs in the clone as it is (a shallow boundary
    stops the walk): one ``git rev-list`` per run, only when the boundary changed."""
    known: dict[str, bool] = ctx.shared.setdefault(f"gitscan-reachable:{ctx.repo_path}", {})
    todo = shas - known.keys()
    if todo:
        tips = sorted(set(_base(ctx)["refs"].values()))
        found: set[str] = set()
        code = 0
        if tips:
            rest = [b""]

            def sink(chunk: bytes) -> None:  # keep only the shas asked about
                lines = (rest[0] + chunk).split(b"\n")
                rest[0] = lines.pop()
                found.update(x for x in (ln.decode() for ln in lines) if x in todo)

            code, _, _ = run_git(ctx.repo_path, ["rev-list", "--stdin"],
                                 "".join(f"{t}\n" for t in tips).encode(), sink=sink)
            sink(b"\n")
        for sha in todo:  # git failed: deepened is the safe guess (a whole walk)
            known[sha] = code != 0 or sha in found
    return {sha for sha in shas if known[sha]}


def _commit_parents(raw: bytes) -> tuple[str, ...]:
    head = raw.partition(b"\n\n")[0]
    return tuple(ln[7:].decode() for ln in head.split(b"\n") if ln.startswith(b"parent "))


def harvested_commits(ctx: HarvestContext, shas: Iterable[str]) -> set[str]:
    """Those of ``shas`` the store holds as harvested commits (not placeholders a record or a
    run named)."""
    every = sorted(set(shas))
    harvested: set[str] = set()
    for i in range(0, len(every), 900):
        chunk = [f"commit:{s}" for s in every[i : i + 900]]
        harvested.update(str(r[0]) for r in ctx.store.conn.execute(
            "SELECT json_extract(attrs, '$.sha') FROM nodes WHERE kind = 'commit' AND "
            f"id IN ({','.join('?' * len(chunk))}) "
            "AND NOT coalesce(json_extract(attrs, '$.placeholder'), 0)", chunk))
    return harvested


class Mark(NamedTuple):
    """A commit the store marks ``shallow_boundary`` (:func:`stored_marks`)."""

    repository: str | None
    parents: list[str]
    properties: dict[str, Any]


def stored_marks(ctx: HarvestContext) -> dict[str, Mark]:
    """Every commit the store marks ``shallow_boundary`` (its parents were not harvested when
    it was), by sha: one query, on the rows that carry the word only. The git harvester
    releases a mark whose parents are harvested, and counts the others of its repository as
    history the store lacks (the ``clone`` watermark)."""
    out: dict[str, Mark] = {}
    for sha, repo, parents, props in ctx.store.conn.execute(
            "SELECT json_extract(attrs, '$.sha'), json_extract(attrs, '$.repository'), "
            "json_extract(attrs, '$.parents'), json_extract(attrs, '$.properties') "
            "FROM nodes WHERE kind = 'commit' AND instr(attrs, '\"shallow_boundary\"') > 0 "
            "AND json_extract(attrs, '$.properties.shallow_boundary') IS NOT NULL"):
        out[str(sha)] = Mark(None if repo is None else str(repo),
                             [str(p) for p in json.loads(parents or "[]")],
                             dict(json.loads(props or "{}")))
    return out


def held_boundaries(ctx: HarvestContext,
                    boundaries: Mapping[str, Iterable[str] | None]) -> dict[str, list[str]]:
    """Those shallow boundary commits whose history the store already holds, with their
    parents: harvested before as an ordinary commit (not marked ``shallow_boundary``), or a
    commit whose parents are all harvested commits (``git fetch --depth 1`` that brought a new
    commit). ``boundaries`` maps each commit to its parents when known (``git log`` prints a
    boundary's real parents); the others are read from the store, else from the commit object
    (one ``git cat-file``)."""
    if not boundaries:
        return {}
    conn = ctx.store.conn
    rows: dict[str, tuple[Any, Any, Any]] = {}
    shas = sorted(boundaries)
    for i in range(0, len(shas), 900):
        chunk = [f"commit:{s}" for s in shas[i : i + 900]]
        for sha, ph, parents, mark in conn.execute(
                "SELECT json_extract(attrs, '$.sha'), json_extract(attrs, '$.placeholder'), "
                "json_extract(attrs, '$.parents'), "
                "json_extract(attrs, '$.properties.shallow_boundary') FROM nodes "
                f"WHERE kind = 'commit' AND id IN ({','.join('?' * len(chunk))})", chunk):
            rows[str(sha)] = (ph, parents, mark)
    held: dict[str, list[str]] = {}
    wanted: dict[str, list[str]] = {}
    for sha in shas:
        ph, stored, mark = rows.get(sha, (1, None, None))
        parents = boundaries[sha]
        if parents is None and not ph and stored:
            parents = json.loads(stored)
        if not ph and mark is None:  # walked before as an ordinary commit: parents stored
            held[sha] = list(parents or ())
        elif parents is not None:
            wanted[sha] = list(parents)
    unknown = [s for s in shas if s not in held and s not in wanted]
    if unknown:
        for sha, raw in cat_objects(ctx.repo_path, unknown).items():
            wanted[sha] = list(_commit_parents(raw))
    harvested = harvested_commits(ctx, {p for ps in wanted.values() for p in ps})
    for sha, parents in wanted.items():
        if parents and all(p in harvested for p in parents):
            held[sha] = parents
    return held


def history_since(ctx: HarvestContext, previous: dict[str, str] | None) -> HistorySince:
    """The exclusions for :func:`scan`, and how the shallow boundary moved since the calling
    harvester's last harvest.

    ``previous`` is the harvester's refs watermark. Its ``shallow`` watermark keeps the
    boundary (``.git/shallow``) that harvest saw; when it is unchanged nothing more is done
    (no git process, no query). Otherwise:

    * an old boundary commit that the clone now walks through (reachable from the refs and no
      longer shallow: ``git fetch --unshallow`` or ``--deepen``) was *deepened*: its ancestors
      were never walked and excluding the previous tips would keep them out for good, so the
      exclusions are dropped (a whole walk, like a first harvest; the facts already stored
      write nothing). Noted once per run.
    * an old boundary commit no longer in the clone, or a new boundary commit whose history the
      store already holds (:func:`held_boundaries`), means the clone holds *less* history than
      the store (``git fetch --depth 1``, a shallower clone in the same place, a deleted
      branch): the store keeps what it has; nothing is walked again for it. Noted once per run.

    A watermark from before this record falls back on the commits the store marks as
    boundaries. The new boundary is recorded when it changed.
    """
    base = _base(ctx)
    current: list[str] = base["shallow"]
    # boundaries released in this run (by a harvester before this one): reported once
    noted: set[str] = ctx.shared.setdefault(f"gitscan-deepened:{ctx.repo_path}", set())
    stored = ctx.watermark(SHALLOW_SCOPE)
    value = json.dumps(current, separators=(",", ":"))
    if stored == value:
        return HistorySince(previous, [], [])
    recorded: set[str] = set()
    if stored is not None:
        try:
            data = json.loads(stored)
        except ValueError:
            data = None
        recorded = {str(x) for x in data} if isinstance(data, list) else set()
    elif previous is not None:  # (the store's marks may be cleared by now: hence ``noted``)
        recorded = _marked_boundaries(ctx) | noted
    ctx.set_watermark(SHALLOW_SCOPE, value)
    dropped = recorded - set(current)
    released = sorted(_reachable(ctx, dropped)) if dropped else []
    shallower: list[str] = []
    if previous is not None:
        added = {sha: None for sha in set(current) - recorded}
        held = sorted(held_boundaries(ctx, added))
        gone = sorted(dropped - set(released))
        shallower = held + gone
        said: set[str] = ctx.shared.setdefault(f"gitscan-shallower:{ctx.repo_path}", set())
        if shallower and not said >= set(shallower):
            said.update(shallower)
            what = (f"history behind {held[0][:12]} is no longer in it" if held
                    else f"{gone[0][:12]} is no longer in it")
            more = f" (and {len(shallower) - 1} more)" if len(shallower) > 1 else ""
            ctx.report.note("git", f"the clone holds less history than the store since the "
                            f"last harvest: {what}{more} (git fetch --depth, a shallower "
                            "clone or a deleted branch); the store keeps what it harvested")
    if not released:
        return HistorySince(previous, [], shallower)
    if not noted >= set(released):
        noted.update(released)
        more = f" and {len(released) - 1} more" if len(released) > 1 else ""
        ctx.report.note("git", f"history deepened since the last harvest ({released[0][:12]}"
                        f"{more} no longer a shallow boundary): the whole history was walked "
                        "again to harvest the older commits")
    return HistorySince(None, released, shallower)


def scan(ctx: HarvestContext, since_refs: Mapping[str, str] | None) -> GitScan:
    """Commits and DVC file changes reachable from the refs and not from ``since_refs``.

    Cached in ``ctx.shared`` by the exclusion set, so harvesters with the same watermark share
    one pass. With unchanged refs (or refs that only moved to commits already seen) no
    ``git log`` runs at all.
    """
    exclude = tuple(sorted(set((since_refs or {}).values())))
    key = ("gitscan", ctx.repo_path, exclude if since_refs is not None else None)
    cached = ctx.shared.get(key)
    if cached is not None:
        return cast(GitScan, cached)  # put there below, by the first scan with this key
    root = ctx.repo_path
    base = _base(ctx)
    refs = base["refs"]
    excl = set(exclude)
    tips = {sha for sha in refs.values() if sha not in excl}
    commits: list[CommitRecord] = []
    changes: list[FileChange] = []
    subs: list[SubmoduleChange] = []
    ran = False
    if tips:
        commits, changes, subs = run_log(
            root, tips, exclude, lambda n: ctx.progress("git history", n, None))
        ran = True
    result = GitScan(root=root, commits=commits, changes=changes, refs=dict(refs),
                     shallow=bool(base["shallow"]), repo_id=base["repo_id"],
                     remote_url=base["url"], submodules=subs,
                     shallow_commits=list(base["shallow"]), head=base["head"],
                     head_ref=base["head_ref"], annotated=dict(base["annotated"]), ran_log=ran,
                     remote=base["remote"], fetched=base["fetched"])
    ctx.shared[key] = result
    return result


# -- blobs --------------------------------------------------------------------------------------

def cat_objects(root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Contents of many objects through one ``git cat-file --batch`` process."""
    want = sorted({s for s in shas if s})
    if not want:
        return {}
    code, out, err = run_git(root, ["cat-file", "--batch"], ("\n".join(want) + "\n").encode())
    if code != 0:
        text = err.decode(errors="replace").strip()
        lines = text.splitlines()
        if "promisor remote" in text:
            # a partial clone (git clone --filter) reads what it lacks from its promisor remote
            missing = next((ln.split()[4] for ln in lines
                            if ln.startswith("fatal: could not fetch ") and len(ln.split()) > 4),
                           "an object")
            why = next((ln for ln in lines if ln.startswith("fatal:")), text)
            raise InputError(
                "this is a partial clone (git clone --filter) and git could not fetch "
                f"{missing}, which it lacks, from its promisor remote: "
                f"{why.removeprefix('fatal: ')}", file=str(root),
                hint="harvest where that remote is reachable (git fetches each missing file "
                     "once), or clone without --filter")
        raise InputError(f"git cat-file failed: {text}", file=str(root),
                         hint="check the repository with git fsck")
    result: dict[str, bytes] = {}
    pos = 0
    n = len(out)
    while pos < n:
        nl = out.find(b"\n", pos)
        if nl < 0:
            break
        header = out[pos:nl].split(b" ")
        pos = nl + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        result[header[0].decode()] = out[pos : pos + size]
        pos += size + 1  # content is followed by a newline
    return result


def cat_blobs(root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Blob contents by sha (missing ones left out), one ``git cat-file --batch`` for all.

    In a partial clone the blobs it lacks are fetched first, all in one ``git fetch``."""
    want = sorted({s for s in shas if s})
    prefetch(root, want)
    return cat_objects(root, want)


def promisor_remote(root: Path) -> str | None:
    """The remote a partial clone (``git clone --filter``) fetches the objects it lacks from;
    None for any other clone (no ``*.promisor`` pack: no git process is run)."""
    _, common = git_dirs(root)
    try:
        if not any((common / "objects" / "pack").glob("*.promisor")):
            return None
    except OSError:
        return None
    out = _git(root, "config", "--get-regexp",
               r"^(extensions\.partialclone|remote\..*\.promisor)$", check=False)
    name = None
    for line in out.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        value = value.strip()
        if key == "extensions.partialclone" and value:
            return value
        if (name is None and key.startswith("remote.") and key.endswith(".promisor")
                and value.lower() in ("true", "yes", "on", "1")):
            name = key[len("remote.") : -len(".promisor")]
    return name


def prefetch(root: Path, shas: list[str]) -> None:
    """In a partial clone, fetch those of ``shas`` it lacks from the promisor remote in one
    ``git fetch`` (as git itself fetches a missing object, with all of them at once): git
    cat-file would fetch each missing blob on its own, one fetch (and pack) per blob.

    What the clone holds is listed first (``--batch-all-objects`` reads the local object
    store only: asking for an object would fetch it) and not asked for: the remote refuses a
    whole fetch that names an object only this clone has (a blob of an unpushed commit), and
    with nothing missing it is not contacted. A failed fetch is left to git cat-file, which
    fetches what it still lacks or says which object could not be fetched."""
    if not shas:
        return
    remote = promisor_remote(root)
    if remote is None:
        return
    want = set(shas)
    held: set[str] = set()
    rest = [b""]

    def sink(chunk: bytes) -> None:  # keep only the shas asked about
        lines = (rest[0] + chunk).split(b"\n")
        rest[0] = lines.pop()
        held.update(x for x in (ln.decode() for ln in lines) if x in want)

    code, _, _ = run_git(root, ["cat-file", "--batch-all-objects", "--unordered",
                                "--batch-check=%(objectname)"], b"", sink=sink)
    sink(b"\n")
    missing = sorted(want - held)
    if code != 0 or not missing:
        return
    run_git(root, ["-c", "fetch.negotiationAlgorithm=noop", "fetch", remote, "--no-tags",
                   "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none",
                   "--stdin"], "".join(f"{s}\n" for s in missing).encode())


__all__ = [
    "DVC_BOOKKEEPING_REFS", "SHALLOW_SCOPE", "CommitRecord", "FileChange", "GitScan",
    "HistorySince", "Mark",
    "SubmoduleChange", "TagInfo", "cat_blobs", "dump_refs", "existing_objects",
    "fetch_state", "fetched_from", "harvested_commits",
    "held_boundaries", "history_since", "identity_remote", "is_dvc_metadata", "load_refs",
    "named_after_boundary", "parse_log", "refs_watermark", "remote_tags", "repository_identity",
    "scan",
    "scan_refs", "shallow_identity_message", "stored_marks",
]

