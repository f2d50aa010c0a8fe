"""Git harvester: the repository, every commit reachable from any ref, parent edges.

A commit's facts are the same from every clone: its ``refs`` are its tags only. Branches,
remote-tracking refs and a detached ``HEAD`` are the clone's moving state; the branch heads are
the repository node's (``properties["branch:<name>"]``, :meth:`GitScan.branch_heads`), so a branch
move rewrites the repository node, never a commit.

Incremental. The watermark (scope ``refs``) is the JSON map of refs → commit sha seen by the
previous harvest (with the repository id). A harvest walks only commits reachable from the
current refs and not from the previous tips (one ``git log`` shared with the DVC and GTO
harvesters, see :mod:`connectors.harvesters.gitscan`); when no ref moved, no ``git log`` runs
at all. A tag that moved (or appeared, or was deleted) rewrites the ``refs`` attribute of the
commits it left and of the commit it now points at; without the watermark (lost, or not
trusted), the commits whose stored tags are not the clone's are rewritten. A shallow clone deepened since (``git fetch
--unshallow`` / ``--deepen``) is walked whole again: the older commits, and the old boundary's
parent edges, with its ``shallow_boundary`` mark dropped. A clone made shallower (``git fetch
--depth 1``) is not walked again; a boundary commit whose history the store already holds gets
no mark, and its parent edges. A mark is dropped once its parents are harvested: the commit is
walked through (not a boundary of the clone now, whichever boundary the last harvest saw), or
its parents are harvested commits (another line of history brought them).

DVC's stash commits (a queued experiment's snapshot of the work tree, behind
``refs/exps/celery/stash`` …) are not walked (:data:`.gitscan.DVC_BOOKKEEPING_REFS`); those an
earlier version harvested as the repository's are withdrawn once per store (watermark scope
``dvc_stash``, :meth:`GitHarvester._dvc_stash_commits`).

What the clone lacks. The watermark ``clone`` (JSON) records what the audit must know of the
clone the store was last harvested from: ``repository`` (its id), ``shallow`` (the boundary
commits whose history neither the clone nor the store holds: the clone's boundaries whose
parents the store lacks, and the commits the store still marks ``shallow_boundary`` — a clone
made shallower, or cloned again at a lower depth, holds the history before an old boundary no
more than the store does; ``[]`` once unshallowed, or for a full clone made shallower),
``tagless`` (a clone — its remote was fetched from, :func:`connectors.harvesters.gitscan.
fetched_from`; a remote never fetched makes none — that holds no tag at all, whatever its fetch
configuration: a CI checkout or fetch script whose refspec brings branches only; written only
when true, so the watermark of a clone holding tags is the one written before it existed) and
``no_tags`` (one of those whose configuration fetches no tags — ``git clone --no-tags`` sets
``remote.<name>.tagOpt``); of a ``tagless`` clone, ``gto`` (what in the work tree shows it uses
GTO: ``.gto``, or a requirement naming gto, :func:`uses_gto`); and ``gto_unseen`` (the tags the
store's GTO facts in force rest on that the clone does not hold and cannot tell gone: all of
them in a ``tagless`` clone, in a shallow one those of the commits it does not hold — the GTO
harvester keeps those facts as they are, :func:`connectors.harvesters.gto.unseen_tags`); both
written only when there is something to say, as ``remote_unreached`` is (why the remote,
asked of them, could not answer). Written at every harvest, so it is set and cleared as the
clone becomes shallow or whole; the audit reads it (``harvest-complete``, docs/audit.md). It is evidence, so
the store logs it (:data:`lineage.store.LOGGED_WATERMARKS`): a value that differs from the last
one logged goes into the harvest's event, hash-chained (an event of its own when no fact
changed), the audit reads it from the log and ``lineage verify`` fails when its row was deleted
or edited outside lineage.

Hot path: commit attributes are built as JSON-shaped dicts and wrapped with ``Node.trusted``;
tests check that they validate against :class:`lineage.model.CommitAttrs` and equal what
``Node.make`` would build.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from connectors.harvesters.dvcyaml import load
from connectors.harvesters.gitscan import (
    CommitRecord,
    GitScan,
    dump_refs,
    existing_objects,
    harvested_commits,
    held_boundaries,
    history_since,
    load_refs,
    run_git,
    scan,
    scan_refs,
    stored_marks,
    watermark_repository,
)
from connectors.harvesters.gto import holds_gto_facts, tag_view, unseen_tags
from lineage.ids import commit_id
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.plugins import HarvestContext
from lineage.store import NodeWithdrawal

WATERMARK_SCOPE = "refs"
# what the clone lacks (shallow history, tags not fetched): read by the audit (module docstring)
CLONE_SCOPE = "clone"
# commits carry tags only (branches are the repository's): recorded (a JSON text, as every
# watermark) once a store's commits written by an earlier version, with branch names, are cleaned
COMMIT_REFS_SCOPE = "commit_refs"
COMMIT_REFS_TAGS = '"tags"'
# DVC's stash commits (a queued experiment's, behind refs/exps/celery/stash …) that an earlier
# version harvested as the repository's history: withdrawn once per store, then recorded
DVC_STASH_SCOPE = "dvc_stash"
DVC_STASH_DONE = '"withdrawn"'
# the message DVC gives a stash commit (dvc/repo/experiments/stash.py: ExpStash, ApplyStash)
_DVC_STASH_MESSAGE = re.compile(r"dvc-exp(?:-apply)?:[0-9a-f]+:[0-9a-f]+:")
_PROGRESS_EVERY = 2000

_new = object.__new__
_set = object.__setattr__


def fast_node(kind: NodeKind, node_id: str, attrs: dict[str, Any]) -> Node:
    """``Node.trusted`` for the commit hot path, ~3x cheaper than ``model_construct``.

    Builds the instance the way pydantic's ``model_construct`` does (same ``__dict__``, fields
    set, no extra, no private); a test checks both give equal objects.
    """
    n = _new(Node)
    _set(n, "__dict__", {"kind": kind, "id": node_id, "attrs": attrs})
    _set(n, "__pydantic_fields_set__", {"kind", "id", "attrs"})
    _set(n, "__pydantic_extra__", None)
    _set(n, "__pydantic_private__", None)
    return n


def fast_edge(kind: EdgeKind, source: str, target: str) -> Edge:
    """An attribute-less edge built like ``Edge.model_construct`` (see :func:`fast_node`)."""
    e = _new(Edge)
    _set(e, "__dict__", {"kind": kind, "source": source, "target": target, "attrs": {}})
    _set(e, "__pydantic_fields_set__", {"kind", "source", "target", "attrs"})
    _set(e, "__pydantic_extra__", None)
    _set(e, "__pydantic_private__", None)
    return e


def commit_attrs(rec: CommitRecord, repo_id: str, refs: list[str] | None,
                 properties: dict[str, str] | None = None) -> dict[str, Any]:
    """The attributes of a commit node, exactly as ``Node.make`` would build them."""
    attrs: dict[str, Any] = {
        "sha": rec.sha,
        "repository": repo_id,
        "author": {"name": rec.author_name, "email": rec.author_email,
                   "time": rec.author_time or None},
        "committer": {"name": rec.committer_name, "email": rec.committer_email,
                      "time": rec.committer_time or None},
        "message": rec.message,
        "signed": rec.signed,
        "placeholder": False,
    }
    if rec.parents:
        attrs["parents"] = list(rec.parents)
    if refs:
        attrs["refs"] = refs
    if properties:
        attrs["properties"] = properties
    return attrs


def clone_state(ctx: HarvestContext, s: GitScan, lacking: Iterable[str]) -> str:
    """The ``clone`` watermark (module docstring): ``lacking``, the boundary commits whose
    history neither the clone nor the store holds (:meth:`GitHarvester.harvest`); whether the
    clone holds no tag at all while its remote was fetched from (``tagless``, whatever its fetch
    configuration: a CI checkout fetching only branches, ``git fetch --no-tags``, or a
    repository with no tag); and whether it fetches none by its configuration (``no_tags``:
    ``remote.<name>.tagOpt`` is ``--no-tags``, which ``git clone --no-tags`` sets) — facts of
    the clone, not guesses. ``tagless`` is written only when true, so a clone holding tags
    keeps the watermark it had before lineage recorded it (nothing new to log).

    The harvest warns of a ``no_tags`` clone; of a ``tagless`` one only when the work tree's
    dvc.yaml files declare ``artifacts:`` (:func:`declares_artifacts`, GTO registers their
    versions and stages by tags): a repository with no tag and no artifact is not flagged.
    The audit tells the rest (``harvest-complete``)."""
    tagless = no_tags = False
    used = declared = None
    if s.tagless:  # (a clone: its remote was fetched from; a remote never fetched is none)
        tagless = True
        code, out, _ = run_git(s.root, ["config", "--get", f"remote.{s.remote}.tagOpt"], b"")
        no_tags = code == 0 and out.decode(errors="replace").strip() == "--no-tags"
        used, declared = uses_gto(s.root), declares_artifacts(s.root)
    unseen = unseen_tags(ctx, s)  # (asks the remote when the store's GTO facts need it)
    view = tag_view(ctx, s)
    remote_gto: list[str] | None = None
    if tagless:
        if used or declared or holds_gto_facts(ctx):
            view.ask()  # the tags matter: the remote tells tags not fetched from none at all
        remote_gto = view.remote_gto()
    shown = (f"its remote {s.remote} holds {len(remote_gto)} GTO tags "
             f"({', '.join(remote_gto[:3])}{' …' if len(remote_gto) > 3 else ''})"
             if remote_gto else "")
    unanswered = (f" (its remote could not be asked whether it holds any: "
                  f"{view.remote_error})" if tagless and view.asked and remote_gto is None
                  else "")
    if remote_gto == []:
        pass  # the remote holds no GTO tag: the clone lacks none (the repository has none)
    elif no_tags:
        extra = f", while {shown}" if shown else unanswered
        ctx.report.warn("git", f"this clone fetches no tags (remote.{s.remote}.tagOpt is "
                        f"--no-tags: git clone --no-tags) and holds none{extra}: GTO registrations and stage assignments are "
                        "tags, so the versions and deployments they record are not harvested; "
                        f"run git fetch --tags and git config --unset remote.{s.remote}.tagOpt, "
                        "then lineage harvest")
    elif tagless and (shown or declared):
        why = " and ".join(x for x in (
            f"while {declared} declares model artifacts" if declared else "",
            shown) if x) + unanswered
        ctx.report.warn("git", f"this clone holds no tags (its fetch brought none: a fetch "
                        "refspec without refs/tags, as CI checkouts and fetch scripts use, or "
                        f"git fetch --no-tags) {why}: GTO registrations and stage assignments "
                        "are tags, so the versions and deployments they record are not "
                        f"harvested; run git fetch --tags {s.remote} (and have the checkout "
                        "fetch tags), then lineage harvest")
    state: dict[str, Any] = {"repository": s.repo_id, "shallow": sorted(set(lacking)),
                             "no_tags": no_tags}
    if tagless:
        state["tagless"] = True
        if used is not None:
            state["gto"] = used
        if remote_gto is not None:
            state["remote_gto"] = {"count": len(remote_gto), "some": remote_gto[:3]}
    if unseen:
        state["gto_unseen"] = unseen
    if view.asked and view.remote_tags is None and (unseen or tagless):
        state["remote_unreached"] = view.remote_error  # (the audit's finding says it)
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


# a requirement naming the gto package: a line of requirements.txt / environment.yml /
# setup.cfg (``gto``, ``gto==1.7``, ``- gto``), or a quoted one (pyproject.toml)
_GTO_REQUIREMENT = re.compile(
    r"""(?im)^\s*(?:-\s*)?gto(?:\[[^\]]*\])?\s*(?:[<>=!~;@,#]|$)"""
    r"""|["']gto(?:\[[^\]]*\])?\s*(?:[<>=!~;@]|["'])""")
_GTO_FILES = (".gto", "requirements*.txt", "pyproject.toml", "setup.cfg", "environment.yml",
              "environment.yaml")


def uses_gto(root: Path) -> str | None:
    """What in the work tree shows the repository uses GTO, which a clone holding no tag
    cannot show the registrations of: GTO's own configuration (``.gto``), or a requirement
    naming the ``gto`` package in a dependency file at its root, tracked by git (said as
    ``requirements.txt names gto``); None when none does. Asked only of a clone that holds no
    tag (``gto register`` and ``gto assign`` make tags without any ``artifacts:``
    declaration)."""
    code, out, _ = run_git(root, ["ls-files", "-z", "--", *_GTO_FILES], b"")
    if code != 0:
        return None
    paths = sorted(p for p in out.decode(errors="replace").split("\0") if p and "/" not in p)
    if ".gto" in paths:
        return ".gto"
    for path in paths:
        try:
            text = (root / path).read_text(errors="replace")
        except OSError:
            continue
        if _GTO_REQUIREMENT.search(text):
            return f"{path} names gto"
    return None


def declares_artifacts(root: Path) -> str | None:
    """The first dvc.yaml of the work tree (tracked by git) that declares model artifacts (a
    non-empty top-level ``artifacts:``, what the DVC harvester makes model groups of), by its
    path; None when none does or none can be read. A cheap read: the git harvester runs before
    the DVC harvester, and asks only of a clone that holds no tag."""
    code, out, _ = run_git(root, ["ls-files", "-z", "--", "dvc.yaml", "*/dvc.yaml"], b"")
    if code != 0:
        return None
    for path in sorted(p for p in out.decode(errors="replace").split("\0") if p):
        if posixpath.basename(path) != "dvc.yaml":
            continue
        try:
            doc, _parser = load((root / path).read_bytes())
        except (OSError, ValueError):
            continue  # absent from the work tree, or not YAML: the DVC harvester says so
        if isinstance(doc, dict) and isinstance(arts := doc.get("artifacts"), dict) and arts:
            return path
    return None


def _mark_moved(ctx: HarvestContext, repo_id: str) -> Iterator[Node]:
    """Mark the former identities of this repository that an earlier version moved away from
    without saying where to (``superseded_by``): repository nodes whose checkout path the move
    cleared and that contain a commit this one contains. Once per node: none is left after."""
    conn = ctx.store.conn
    candidates = [r[0] for r in conn.execute(
        "SELECT id FROM nodes WHERE kind = 'repository' AND id != ? "
        "AND json_extract(attrs, '$.path') IS NULL "
        "AND json_extract(attrs, '$.superseded_by') IS NULL", (repo_id,))]
    for old in candidates:
        shared = conn.execute(
            "SELECT 1 FROM edges a WHERE a.source = ? AND a.kind = 'contains' AND EXISTS ("
            "SELECT 1 FROM edges b WHERE b.source = ? AND b.target = a.target "
            "AND b.kind = 'contains') LIMIT 1", (old, repo_id)).fetchone()
        if shared is not None:
            yield Node.trusted(NodeKind.REPOSITORY, old, {"superseded_by": repo_id})


class GitHarvester:
    """Commits, parents, tags and branch heads of the repository (see module docstring)."""

    name: ClassVar[str] = "git"

    def enabled(self, ctx: HarvestContext) -> bool:
        return (ctx.repo_path / ".git").exists()

    def harvest(self, ctx: HarvestContext) -> Iterator[Node | Edge | NodeWithdrawal]:
        wm = ctx.watermark(WATERMARK_SCOPE)
        previous = load_refs(wm)
        base = scan_refs(ctx)
        if not base.refs:
            return  # empty repository: nothing yet (its identity needs a commit or a remote)
        # a shallow history deepened since the last harvest: walk all of it (``since`` None)
        since, released, _ = history_since(ctx, previous)
        old_id = watermark_repository(wm)
        if previous is not None and old_id not in (None, base.repo_id):
            # the identity changed (a remote was added or changed): re-harvest every commit
            # so each one names the repository by its new id
            ctx.report.warn("git", f"repository identity changed from {old_id} to "
                            f"{base.repo_id}; re-harvesting all commits under it")
            since = None
            old = ctx.store.get_node(old_id) if old_id else None
            if old is not None:
                # the checkout is the new identity's: records and tracked runs find their
                # repository by its path, and its branch heads are the new node's (the old
                # node stays in the audit trail)
                props = {k: v for k, v in (old.attrs.get("properties") or {}).items()
                         if not k.startswith("branch:")}
                # and the catalogs show its facts under the new id (one dataset per path, not
                # one per identity the repository ever had)
                yield Node.trusted(NodeKind.REPOSITORY, old.id, {
                    "path": None, "properties": props, "superseded_by": base.repo_id})
        else:
            yield from _mark_moved(ctx, base.repo_id)
        s = scan(ctx, since)
        # boundary commits whose history the store already holds (a clone made shallower
        # since): no mark, and their parent edges (the parents are harvested commits)
        held: dict[str, list[str]] = {}
        walked = {r.sha: r.parents for r in s.commits}
        if s.shallow_commits:
            held = held_boundaries(ctx, {sha: walked.get(sha) for sha in s.shallow_commits})
        shallow = set(s.shallow_commits)
        marks = stored_marks(ctx)
        # marks dropped: a boundary walked through now (the clone holds its parents), and one
        # not walked whose parents the store holds (harvested since, from any line of history)
        free = {sha for sha in set(marks) | set(released)
                if sha in walked and (sha not in shallow or sha in held)}
        stale = {sha: m for sha, m in marks.items()
                 if sha not in walked and m.repository == s.repo_id and m.parents}
        if stale:
            have = harvested_commits(ctx, {p for m in stale.values() for p in m.parents})
            have |= walked.keys()
            stale = {sha: m for sha, m in stale.items() if set(m.parents) <= have}
        yield from self._facts(ctx, s, previous, free, held)
        for sha, m in sorted(stale.items()):
            yield fast_node(NodeKind.COMMIT, commit_id(sha), {"sha": sha, "properties": {
                k: v for k, v in m.properties.items() if k != "shallow_boundary"}})
            for p in m.parents:
                yield fast_edge(EdgeKind.PARENT, commit_id(p), commit_id(sha))
        # what the store lacks: the clone's boundaries whose history it does not hold, and the
        # boundaries it marked before and still lacks the parents of (a clone made shallower
        # or cloned again at a lower depth holds none of that history either)
        lacking = (shallow - set(held)) | {sha for sha, m in marks.items()
                                           if m.repository == s.repo_id}
        ctx.set_watermark(WATERMARK_SCOPE, dump_refs(s.refs, repository=s.repo_id))
        ctx.set_watermark(CLONE_SCOPE, clone_state(ctx, s, lacking - free - set(stale)))

    def _facts(self, ctx: HarvestContext, s: GitScan, previous: dict[str, str] | None,
               released: set[str], held: dict[str, list[str]]
               ) -> Iterator[Node | Edge | NodeWithdrawal]:
        """Facts of the walked commits. ``previous``: the refs of the last harvest (None: a
        first harvest); ``released``: commits marked (or recorded) shallow boundaries before, walked through now
        (their ``properties`` are written whole, without ``shallow_boundary``: a node write
        merges attributes key by key, so a ``properties`` left out would keep the mark)."""
        repo = s.repo_id
        repo_attrs: dict[str, Any] = {"path": str(s.root)}
        if s.remote_url:
            repo_attrs["url"] = s.remote_url
        if repo.startswith("repository:root:"):
            repo_attrs["root_commit"] = repo.removeprefix("repository:root:")
        # branch heads are the repository's moving state, written whole ({} clears them)
        repo_attrs["properties"] = {f"branch:{name}": sha
                                    for name, sha in s.branch_heads().items()}
        held_repo = ctx.store.get_node(repo)
        if held_repo is not None and held_repo.attrs.get("superseded_by"):
            repo_attrs["superseded_by"] = None  # the checkout took this identity back
        yield Node.trusted(NodeKind.REPOSITORY, repo, repo_attrs)
        yield from self._untagged_branches(ctx)
        yield from self._dvc_stash_commits(ctx, s)

        by_commit = s.tags_by_commit()
        subs: dict[str, dict[str, str]] = {}
        for sc in s.submodules:
            subs.setdefault(sc.commit, {})[f"submodule:{sc.path}"] = sc.sha or "(removed)"
        shallow = set(s.shallow_commits)
        # refs that moved since the last harvest: the commits they left and now name get their
        # `refs` rewritten (also when walked again: a whole walk after a deepened history)
        touched: set[str] = set()
        if previous is not None:
            moved = {k for k in set(previous) | set(s.refs)
                     if k.startswith("refs/tags/") and previous.get(k) != s.refs.get(k)}
            touched = {previous[k] for k in moved if k in previous}
            touched |= {s.refs[k] for k in moved if k in s.refs}
        else:  # no record of the last harvest's refs: the store's commits say which tags were
            touched = self._stale_tags(ctx, s, by_commit)  # (a lost watermark)
        total = len(s.commits)
        trusted = fast_node
        commit_kind, contains, parent_kind = NodeKind.COMMIT, EdgeKind.CONTAINS, EdgeKind.PARENT
        seen: set[str] = set()
        for i, rec in enumerate(s.commits, 1):
            cid = "commit:" + rec.sha
            seen.add(rec.sha)
            props = subs.get(rec.sha)
            cut = rec.sha in shallow and rec.sha not in held
            if cut:
                props = {**(props or {}), "shallow_boundary":
                         "parents not fetched (shallow clone)"}
            attrs = commit_attrs(rec, repo, by_commit.get(rec.sha), props)
            if rec.sha in released and "properties" not in attrs:
                attrs["properties"] = {}
            if rec.sha in touched and "refs" not in attrs:
                attrs["refs"] = []
            yield trusted(commit_kind, cid, attrs)
            yield fast_edge(contains, repo, cid)
            if not cut:
                for p in rec.parents:
                    yield fast_edge(parent_kind, "commit:" + p, cid)
            if i % _PROGRESS_EVERY == 0:
                ctx.progress("git commits", i, total)
        ctx.progress("git commits", total, total)

        for sha in sorted(touched - seen):  # moved tags, commits not walked
            yield trusted(commit_kind, commit_id(sha), {"sha": sha, "refs": by_commit.get(sha, [])})

    @staticmethod
    def _stale_tags(ctx: HarvestContext, s: GitScan,
                    by_commit: dict[str, list[str]]) -> set[str]:
        """Commits of this repository whose stored tags are not the clone's, for a harvest
        without the refs watermark (lost, or changed outside lineage and so not trusted): a tag
        deleted since (``git tag -d``, ``git fetch --prune-tags``) would otherwise stay on its
        commit, as the walk writes ``refs`` only for commits that have tags. One query (rows
        with tags only); another repository's commits in the same store are left alone."""
        rows = ctx.store.conn.execute(
            "SELECT json_extract(attrs, '$.sha'), json_extract(attrs, '$.refs'), "
            "json_extract(attrs, '$.repository') FROM nodes WHERE kind = 'commit' "
            "AND json_extract(attrs, '$.refs') IS NOT NULL "
            "AND json_extract(attrs, '$.refs') != '[]'").fetchall()
        if not rows:
            return set()
        walked = {r.sha for r in s.commits}
        out: set[str] = set()
        for sha, raw, repo in rows:
            if not isinstance(sha, str) or (repo != s.repo_id and sha not in walked):
                continue
            try:
                refs = json.loads(raw)
            except ValueError:
                refs = None
            if refs != by_commit.get(sha, []):
                out.add(sha)
        return out

    def _untagged_branches(self, ctx: HarvestContext) -> Iterator[Node]:
        """Once per store: commits a version before wrote branch names, remote-tracking refs or
        ``HEAD`` into (``refs``) keep only their tags."""
        if ctx.watermark(COMMIT_REFS_SCOPE) == COMMIT_REFS_TAGS:
            return
        rows = ctx.store.conn.execute(
            "SELECT id, json_extract(attrs, '$.sha'), json_extract(attrs, '$.refs') FROM nodes "
            "WHERE kind = 'commit' AND json_extract(attrs, '$.refs') IS NOT NULL").fetchall()
        for nid, sha, raw in rows:
            refs = json.loads(raw)
            if not isinstance(refs, list):
                continue
            tags = [r for r in refs if str(r).startswith("refs/tags/")]
            if tags != refs:
                yield fast_node(NodeKind.COMMIT, str(nid), {"sha": str(sha), "refs": tags})
        ctx.set_watermark(COMMIT_REFS_SCOPE, COMMIT_REFS_TAGS)


    @staticmethod
    def _dvc_stash_commits(ctx: HarvestContext, s: GitScan) -> Iterator[NodeWithdrawal]:
        """Once per store: the withdrawal of DVC's stash commits an earlier version harvested
        as this repository's history (it walked ``refs/exps/celery/stash`` and DVC's other
        bookkeeping refs, :data:`.gitscan.DVC_BOOKKEEPING_REFS`, which are not walked since):
        each commit whose message is DVC's stash message (``dvc-exp:<rev>:<baseline>:<name>``,
        ``dvc-exp-apply:…``) with the commits only it brought (its other parents: the "Index
        stash" and untracked-files commits), with their edges. The store is an audit trail:
        the withdrawals are logged (the trail names the commits and proves they were
        withdrawn). A commit the clone's refs reach (a branch made on one) is history, and
        kept; one the clone no longer holds (the stash dropped, objects pruned) is not."""
        if ctx.watermark(DVC_STASH_SCOPE) == DVC_STASH_DONE:
            return
        conn = ctx.store.conn
        # this repository's commits: its id, and a former one it moved from
        repos = {s.repo_id} | {str(r[0]) for r in conn.execute(
            "SELECT id FROM nodes WHERE kind = 'repository' "
            "AND json_extract(attrs, '$.superseded_by') = ?", (s.repo_id,))}
        found: set[str] = set()
        for sha, message, raw, repo in conn.execute(
                "SELECT json_extract(attrs, '$.sha'), json_extract(attrs, '$.message'), "
                "json_extract(attrs, '$.parents'), json_extract(attrs, '$.repository') "
                "FROM nodes WHERE kind = 'commit' "
                "AND json_extract(attrs, '$.message') LIKE 'dvc-exp%'").fetchall():
            if not isinstance(sha, str) or repo not in repos or \
                    not _DVC_STASH_MESSAGE.match(str(message)):
                continue
            try:
                parents = json.loads(raw) if raw else []
            except ValueError:
                continue
            if isinstance(parents, list) and len(parents) >= 2:  # (a stash commit: a merge)
                found |= {sha, *(str(p) for p in parents[1:])}
        if found:
            found -= _reached(s, found)
            for sha in sorted(found):
                if ctx.store.has_node(commit_id(sha)):
                    yield NodeWithdrawal(commit_id(sha))
        ctx.set_watermark(DVC_STASH_SCOPE, DVC_STASH_DONE)


def _reached(s: GitScan, shas: set[str]) -> set[str]:
    """Those of ``shas`` (commits the clone may no longer hold) that the walked refs reach:
    one ``git rev-list`` from them, stopped at what the refs reach."""
    held = existing_objects(s.root, shas)
    tips = sorted(set(s.refs.values()))
    if not held or not tips:
        return set()
    code, out, _ = run_git(s.root, ["rev-list", "--stdin"],
                           "".join(f"{sha}\n" for sha in sorted(held)).encode()
                           + "".join(f"^{t}\n" for t in tips).encode())
    if code != 0:  # (a ref's commit gone meanwhile): nothing is taken as unreached
        return set(held)
    return held - set(out.decode(errors="replace").split())


__all__ = ["CLONE_SCOPE", "GitHarvester", "clone_state", "commit_attrs", "fast_edge", "fast_node",
           "uses_gto"]
