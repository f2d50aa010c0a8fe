"""The Python API: one function per CLI verb. The CLI is a thin layer over these.

>>> from lineage import api
>>> api.init("path/to/repo")
>>> result = api.harvest("path/to/repo")
>>> graph = api.open_store("path/to/repo").load_graph()
>>> graph.provenance("model:churn@v1.0.0")
"""

from __future__ import annotations

import getpass
import importlib.util
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.config import Config, load_config
from lineage.errors import (
    ConfigError,
    IntegrityError,
    LineageError,
    NotARepositoryError,
    StoreNotInitialized,
    StoreNotWritable,
)
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.plugins import HARVESTERS, HarvestContext, harvester_names, load_harvester
from lineage.report import RunReport
from lineage.runtime import gc_paused
from lineage.store import DB_NAME, Store, WriteStats

if TYPE_CHECKING:  # networkx is heavy: harvest and init never need the graph
    from lineage.graph import LineageGraph
    from lineage.hashing import ContentHash, Unreadable

Progress = Callable[[str, int, int | None], None]
# a git revision (``HEAD~1``, a branch, a tag) → (commit sha, its full ref name or as typed),
# None when git names no commit by it: the CLI asks ``git rev-parse`` (the core runs no git)
RevParse = Callable[[str], "tuple[str, str] | None"]


def find_repo_root(path: str | Path = ".") -> Path:
    """The git work tree root containing ``path`` (a ``.git`` dir or file, as in worktrees)."""
    p = Path(path).resolve()
    if not p.exists():
        raise NotARepositoryError(f"{path} does not exist")
    for cand in (p, *p.parents):
        if (cand / ".git").exists():
            return cand
    raise NotARepositoryError(
        f"{p} is not inside a git repository",
        hint="run lineage in a git work tree, or pass --repo PATH (git init to start one)",
    )


def actor() -> str:
    """Who is acting, for the event log (CI variables first, then the OS user)."""
    for var in ("LINEAGE_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def init(repo: str | Path = ".") -> Path:
    root = find_repo_root(repo)
    cfg = load_config(root)
    store_dir = cfg.store_path(root)
    Store.init(store_dir).close()
    return store_dir


def open_store(repo: str | Path = ".", config: Config | None = None,
               read_only: bool = False) -> Store:
    """The repository's store. ``read_only``: for a caller that only reads it (audit, show,
    export, log): a store that cannot be written (read-only media, a folder the user may not
    write) is then opened as ``lineage verify`` opens it, never written."""
    root = find_repo_root(repo)
    cfg = config or load_config(root)
    try:
        return Store.open(cfg.store_path(root))
    except StoreNotWritable:
        if not read_only:
            raise
        return Store.open_read_only(cfg.store_path(root))
    except StoreNotInitialized as exc:
        raise _no_store_here(exc, cfg, root) from None


def _no_store_here(exc: StoreNotInitialized, cfg: Config, root: Path) -> StoreNotInitialized:
    """No store where ``LINEAGE_STORE`` or lineage.yaml's ``store:`` points: say which set it,
    and the store folder next to it that it may have meant (``.lineag`` → ``.lineage``)."""
    import os

    from lineage.spelling import did_you_mean

    if os.environ.get("LINEAGE_STORE"):
        setting = f"LINEAGE_STORE={os.environ['LINEAGE_STORE']}"
    elif "store" in cfg.model_fields_set:
        setting = f"store: {cfg.store} in lineage.yaml"
    else:
        return exc
    path = cfg.store_path(root)
    try:
        stores = [d.name for d in path.parent.iterdir() if (d / "lineage.db").is_file()]
    except OSError:
        stores = []
    meant = did_you_mean(path.name, stores)
    return StoreNotInitialized(
        exc.message, hint=f"{setting} names it; " + (f"{meant} " if meant else "")
        + "fix the setting, or run `lineage init` to start a store there")


@dataclass
class HarvesterResult:
    name: str
    stats: WriteStats
    event_seq: int | None


@dataclass
class HarvestResult:
    repo: Path
    harvesters: list[HarvesterResult] = field(default_factory=list)
    report: RunReport = field(default_factory=RunReport)
    skipped: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def new_events(self) -> int:
        return sum(1 for h in self.harvesters if h.event_seq is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "repo": str(self.repo),
            "harvesters": {h.name: {**h.stats.as_dict(), "event": h.event_seq}
                           for h in self.harvesters},
            "skipped": self.skipped,
            "new_events": self.new_events,
            "warnings": [w.as_dict() for w in self.report.warnings],
            "notes": [n.as_dict() for n in self.report.notes],
            "totals": self.counts,
        }


def _module_present(name: str) -> bool:
    target = HARVESTERS.get(name)
    if target is None:
        return True
    return importlib.util.find_spec(target.split(":")[0]) is not None


def harvest(repo: str | Path = ".", *, only: Iterable[str] | None = None,
            progress: Progress | None = None) -> HarvestResult:
    """Run every enabled harvester and write what they yield in one transaction.

    Each harvester that changed something (a fact, or a watermark the audit reads: the
    clone's state) appends one ``harvest`` event to the log; a re-harvest with nothing new
    writes nothing.
    """
    root = find_repo_root(repo)
    cfg = load_config(root)
    store = Store.open(cfg.store_path(root))
    result = HarvestResult(repo=root)
    explicit = [n.strip().lower() for n in only] if only else None
    # only an absent `harvesters:` means every one (load_config refuses an empty list)
    names = explicit or (cfg.harvesters if cfg.harvesters is not None else harvester_names())
    shared: dict[str, Any] = {}
    try:
        with store.transaction(), gc_paused():
            for name in names:
                if explicit is None and not _module_present(name):
                    continue
                try:
                    cls = load_harvester(name)
                except ConfigError as exc:
                    if explicit is not None:
                        raise
                    result.skipped[name] = str(exc)
                    continue
                ctx = HarvestContext(root, cfg, store, result.report,
                                     progress or (lambda *a: None), harvester=name,
                                     shared=shared)
                h = cls()
                if not h.enabled(ctx):
                    if explicit is not None:  # asked for by name: say why it read nothing
                        why = getattr(h, "disabled_hint", None) or "nothing for it to read here"
                        result.report.note(name, f"not run: {why}")
                    continue
                n_warn = len(result.report.warnings)
                facts = h.harvest(ctx)
                try:
                    stats = store.upsert(facts)
                finally:
                    # a harvester stopped half way (an error, Ctrl-C) ends its worker
                    # processes now, not when the caller lets go of the traceback
                    close = getattr(facts, "close", None)
                    if close is not None:
                        close()
                for (hv, scope), value in sorted(ctx._watermarks.items()):
                    store.set_watermark(hv, scope, value)
                seq = None
                # (a watermark the audit reads that changed is logged by the event, even when
                # no fact did: the clone became shallow or whole, Store.set_watermark)
                if stats.total or store.pending_watermarks:
                    ev = store.append_event("harvest", actor(), {
                        "harvester": name, **stats.as_dict(),
                        "warnings": len(result.report.warnings) - n_warn,
                    })
                    seq = ev.seq
                result.harvesters.append(HarvesterResult(name, stats, seq))
        result.counts = store.counts()
    except sqlite3.OperationalError as exc:
        if "malformed JSON" in str(exc):  # a harvester's query met a row changed outside
            store.raise_unreadable()  # lineage: name it
        raise
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed": a damaged file
        raise IntegrityError(
            f"the store file {store.root / DB_NAME} cannot be read ({exc}): it is damaged or "
            "was changed outside lineage; nothing was written",
            hint="run `lineage verify`; restore .lineage/ from a backup, or move it aside and "
                 "rebuild it with `lineage init` and `lineage harvest`") from exc
    finally:
        store.close()
    return result


def record(store: Store, items: Iterable[Node | Edge], *, event_kind: str,
           payload: dict[str, Any]) -> WriteStats:
    """Write facts from a post-run record (``lineage record …``) with one event."""
    with store.transaction():
        stats = store.upsert(items)
        store.append_event(event_kind, actor(), payload)
    return stats


class AmbiguousRefError(ConfigError):
    """A short sha that several commits start with; ``candidates`` are (sha, subject) pairs."""

    def __init__(self, ref: str, candidates: list[tuple[str, str]]) -> None:
        shas = [sha for sha, _ in candidates]
        width = 12
        while width < max(map(len, shas)) and len({s[:width] for s in shas}) < len(shas):
            width += 1
        lines = "\n".join(f"  {sha[:width]}  {subject}" for sha, subject in candidates)
        super().__init__(
            f"short sha {ref!r} is ambiguous: {len(candidates)} commits start with it",
            hint=f"the candidates are:\n{lines}\ntype more characters of the sha")
        self.ref = ref
        self.candidates = candidates


def resolve_ref(graph: LineageGraph, ref: str, *, repo: str | Path | None = None,
                as_of: datetime | None = None, rev_parse: RevParse | None = None,
                report: RunReport | None = None) -> str:
    """Turn what a user types into a node id.

    Tried in this order: a node id (an OpenLineage run under any spelling of its UUID runId:
    :func:`lineage.records.run_ref`); a full commit sha; ``name@version`` (a model version); a
    model group name (its latest version, :func:`latest_model_version`); a git revision
    (``HEAD``, a branch, a tag, ``HEAD~1``: the commit it names, which the store must have
    harvested); a record's or run's id without its kind, as ``show`` and ``audit`` print it
    (``churn-prod-2026-01-20`` is ``deployment:churn-prod-2026-01-20`` when no other record
    has that id and no commit's sha starts with it; else a :class:`ConfigError` naming
    each); a prefix of at least 4 characters that one commit starts with; a data path (the
    version in force, :func:`current_data_version`). A prefix several commits start with,
    when no data path matches either, raises :class:`AmbiguousRefError` listing them, as git
    does. A model name or version that is also a git revision naming another commit
    than the version's (a branch ``churn``) raises :class:`ConfigError` naming both; a GTO
    tag (``churn@v1.0.0``) names its own version's commit and is no ambiguity.

    ``repo`` is the work tree the graph was harvested from: with it a data path resolves to
    the version the checkout's DVC files name, and history order starts from HEAD.
    ``as_of``: a model group name means its latest version that existed then (created or
    registered no later), a data path the version in force then
    (:func:`current_data_version`); none did is a :class:`ConfigError`. ``rev_parse`` asks git for a
    revision (see :data:`RevParse`); without it, or where git names nothing, ``HEAD`` is read
    from ``repo``'s git files, tags from the harvested commits' refs and branches from the
    repository's ``branch:<name>`` properties. ``report``: where a data path's checkout DVC
    files that cannot be read are told (:func:`current_data_version`).
    """
    if ref in graph:
        return ref
    if ref.startswith("run:openlineage:"):  # a UUID runId under another spelling
        from lineage.records import run_ref

        if (run := run_ref(ref)) in graph:
            return run
    if f"commit:{ref.lower()}" in graph:
        return f"commit:{ref.lower()}"
    named = next((c for c in (f"model:{ref}", f"model_group:{ref}") if c in graph), None)
    git = _git_revision(graph, ref, repo, rev_parse)
    if named is not None:
        node = _group_version(graph, named, as_of) if named.startswith("model_group:") \
            else named
        # a version's own GTO tag (name@version) names it, wherever the tag points now
        own_tag = named.startswith("model:") and git is not None and git[1] == f"refs/tags/{ref}"
        if git is not None and not own_tag and git[0] != _model_commit(graph, node):
            sha = git[0].removeprefix("commit:")
            raise ConfigError(
                f"{ref!r} is ambiguous: it names {node} and the git revision {git[1]} "
                f"(commit {sha[:12]} {_subject(graph, git[0])})".replace(" )", ")"),
                hint=" or ".join(x for x in dict.fromkeys((node.removeprefix("model:"), named))
                                 if x != ref)
                + f" for the model; {git[1]} or the commit's sha for the git revision")
        return node
    if git is not None and git[0] in graph:
        return git[0]
    prefix = f"commit:{ref.lower()}"
    hits = sorted(n for n in graph.node_ids(NodeKind.COMMIT) if n.startswith(prefix)) \
        if len(ref) >= 4 else []
    records = _records_named(graph, ref)
    if records:
        if len(records) == 1 and not hits:
            return records[0]
        if hits:
            raise ConfigError(
                f"{ref!r} is ambiguous: it is the id of {_listing(records)} and the start of "
                f"{_count_commits(len(hits))}",
                hint=f"type {' or '.join(records)} for the record, or more characters of the "
                     "sha for the commit")
        raise ConfigError(f"{ref!r} is the id of {len(records)} records: {_listing(records)}",
                          hint=f"type one of them: {' or '.join(records)}")
    if len(hits) == 1:
        return hits[0]
    path = ref.rstrip("/")
    data = [n.id for n in graph.nodes(NodeKind.DATA) if n.attrs.get("path") == path]
    if data:
        return current_data_version(graph, data, repo=repo, as_of=as_of, report=report)
    if hits:
        raise AmbiguousRefError(ref, [(h.removeprefix("commit:"), _subject(graph, h))
                                      for h in hits])
    if git is not None:
        raise ConfigError(
            f"{ref} is commit {git[0].removeprefix('commit:')[:12]}, which the lineage store "
            "has not harvested",
            hint="run `lineage harvest` (a commit outside the harvested history, e.g. on an "
                 "unfetched branch, is not read)")
    names = [n.removeprefix("model_group:") for n in graph.node_ids(NodeKind.MODEL_GROUP)]
    versions = [n.removeprefix("model:") for n in graph.node_ids(NodeKind.MODEL)]
    names += versions
    names += [n.attrs.get("path", "") for n in graph.nodes(NodeKind.DATA)]
    names += [n.split(":", 1)[1] for k in _RECORD_KINDS for n in graph.node_ids(k)]
    if ":" in ref:  # a node id typed with its kind (model_group:chrun, stage:…)
        names += list(graph.node_ids())
    hint = _meant(ref, names)
    if hint is None:
        shown = sorted(versions, key=lambda v: (v.partition("@")[0], v))[:_SHOWN]
        more = f", … ({len(versions) - _SHOWN} more)" if len(versions) > _SHOWN else ""
        hint = (f"model versions in the store: {', '.join(shown)}{more}; " if shown else "") \
            + "see `lineage export` for every node id"
    raise ConfigError(f"nothing in the lineage graph matches {ref!r}", hint=hint)


_SHOWN = 5  # names a hint lists at most


def _meant(ref: str, names: list[str]) -> str | None:
    """``did you mean 'x'?`` for the name ``ref`` is a typo of (another case, one slip:
    :func:`lineage.spelling.typo_of`), else ``did you mean 'a', 'b' or 'c'?`` for the
    closest spellings, case aside; None when no name is close."""
    import difflib

    from lineage.spelling import typo_of

    spelled = sorted({n for n in names if n})
    typo = typo_of(ref, spelled)
    if typo is not None:  # one name it reads as a slip of: that one
        return f"did you mean {typo!r}?"
    lowered: dict[str, str] = {}
    for n in spelled:  # the first spelling of each wins
        lowered.setdefault(n.lower(), n)
    found = [lowered[m] for m in difflib.get_close_matches(ref.lower(), sorted(lowered), n=3)]
    if not found:
        return None
    quoted = [repr(f) for f in found]
    return "did you mean " + (" or ".join(quoted) if len(quoted) < 3
                              else f"{', '.join(quoted[:-1])} or {quoted[-1]}") + "?"


# the kinds whose ids ``lineage show`` and ``lineage audit`` print without their kind
# (``churn-prod-2026-01-20``, ``lineage:4f05…``): typed back, they name the node
_RECORD_KINDS = (NodeKind.DEPLOYMENT, NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT,
                 NodeKind.RETRAINING, NodeKind.ALERT, NodeKind.DOCUMENT, NodeKind.RUN)


def _records_named(graph: LineageGraph, ref: str) -> list[str]:
    """The record (and run) nodes whose id, without its kind, is ``ref``."""
    found = [f"{k}:{ref}" for k in _RECORD_KINDS if f"{k}:{ref}" in graph]
    if not found and ref.startswith("openlineage:"):  # a UUID runId under another spelling
        from lineage.records import run_ref

        if (run := run_ref(f"run:{ref}")) in graph:
            found = [run]
    return found


def _listing(ids: list[str]) -> str:
    return ", ".join(ids[:-1]) + f" and {ids[-1]}" if len(ids) > 1 else ids[0]


def _count_commits(n: int) -> str:
    return "a commit's sha" if n == 1 else f"{n} commits' shas"


def _group_version(graph: LineageGraph, group: str, as_of: datetime | None) -> str:
    """The version a model group name stands for (the group itself when it has none)."""
    latest = latest_model_version(graph, group, as_of=as_of)
    if latest is not None:
        return latest
    ever = latest_model_version(graph, group)
    if as_of is None or ever is None:
        return group
    versions = [v for v in graph.predecessors(group, EdgeKind.VERSION_OF, NodeKind.MODEL)
                if graph.attrs(v).get("status") not in _NOT_LATEST]
    first = min(versions, key=lambda v: (_version_time(graph, v), v))
    when = _version_time(graph, first).astimezone(UTC).isoformat().replace("+00:00", "Z")
    at = as_of.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise ConfigError(
        f"no version of model {group.removeprefix('model_group:')} existed as of {at}: the "
        f"first, {first.removeprefix('model:')}, was created {when}")


def _model_commit(graph: LineageGraph, node: str) -> str | None:
    sha = graph.attrs(node).get("commit") if node.startswith("model:") else None
    return f"commit:{str(sha).lower()}" if sha else None


def _git_revision(graph: LineageGraph, ref: str, repo: str | Path | None,
                  rev_parse: RevParse | None) -> tuple[str, str] | None:
    """(``commit:<sha>``, its full ref name or ``ref``) of a git revision; None if none."""
    if rev_parse is not None and not ref.startswith("-"):
        found = rev_parse(ref)
        if found is not None:
            return f"commit:{found[0].lower()}", found[1] or ref
    if ref in ("HEAD", "@"):
        from lineage.gitfiles import git_head

        try:
            root = find_repo_root(repo) if repo is not None else None
        except NotARepositoryError:
            root = None
        sha = git_head(root) if root is not None else None
        return (f"commit:{sha.lower()}", "HEAD") if sha else None
    name = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
    if not ref.startswith("refs/heads/"):  # as git: a tag before a branch of the same name
        tagged = {c.id for c in graph.nodes(NodeKind.COMMIT)
                  if f"refs/tags/{name}" in (c.attrs.get("refs") or ())}
        if len(tagged) == 1:
            return tagged.pop(), f"refs/tags/{name}"
    if not ref.startswith("refs/tags/"):
        heads = {str(r.attrs.get("properties", {}).get(f"branch:{name}") or "").lower()
                 for r in graph.nodes(NodeKind.REPOSITORY)} - {""}
        if len(heads) == 1:
            return f"commit:{heads.pop()}", f"refs/heads/{name}"
    return None


def _subject(graph: LineageGraph, commit: str) -> str:
    if commit not in graph:
        return ""
    if graph.is_placeholder(commit):
        return "(not harvested)"
    lines = str(graph.attrs(commit).get("message") or "").strip().splitlines()
    return lines[0] if lines else ""


# -- data: the version in force ---------------------------------------------------------------

def current_data_version(graph: LineageGraph, ids: list[str], *,
                         repo: str | Path | None = None,
                         as_of: datetime | None = None,
                         report: RunReport | None = None) -> str:
    """Of the versions ``ids`` of one data path, the one in force (``as_of``: then).

    With ``repo``, only the versions of the repository as it is named now count, when it has
    any (a remote added moves its identity; the old id's versions stay in the store).

    1. With ``repo``: the version the checkout's DVC files record for the path (``PATH.dvc``,
       else a ``dvc.lock`` in its folder or above; the work tree, as DVC reads it), when the
       graph has that version.
    2. Otherwise the version defined by the latest commit in history order: versions defined
       in HEAD's history first (HEAD read from ``repo``), the nearest to HEAD winning; then
       the others. A version is defined by its first commit and by every commit that defines
       it again after another version of the path (a revert: A, then B, then A is A). "Latest"
       is :meth:`LineageGraph.history_order` (a commit after its parents; unrelated commits
       by committer time, then sha), never time or id alone. Versions no harvested commit
       defines (e.g. only a run's input) come last, by id.

    ``as_of``: the checkout is not read (it is now, not then); only the commits committed at
    or before ``as_of`` count as defining a version (a version no harvested commit defines
    counts), picked as in 2. None did then is a :class:`ConfigError`.

    A checkout DVC file that cannot be read (a ``dvc.lock`` left half-edited, a merge conflict
    in a ``.dvc`` file) is skipped as in 1, as DVC itself cannot read it: with ``report``, a
    warning (source ``show``) names its file, line and problem, the version picked instead
    and how, and what to do.
    """
    head: str | None = None
    root: Path | None = None
    if repo is not None:
        try:
            root = find_repo_root(repo)
        except NotARepositoryError:
            root = None
    if root is not None:
        ids = _of_repository_now(ids, root)
    order = graph.history_order()
    defined = {nid: _defined_by(graph, nid, order) for nid in ids}
    if as_of is not None:
        ids, defined = _data_as_of(graph, defined, as_of)
    if root is not None:
        from lineage.gitfiles import git_head

        sha = git_head(root)
        head = f"commit:{sha.lower()}" if sha else None
        unreadable: list[Unreadable] = []
        checkout: list[ContentHash | None] = []
        found = _checkout_version(graph, root, ids, unreadable, checkout) \
            if as_of is None else []
        if found:
            ids = found
        picked = _latest_in_history(graph, ids, defined, order, head)
        if report is not None:
            for bad in unreadable:
                report.warn("show", _unreadable_note(graph, bad, picked, bool(found),
                                                    defined, order, head),
                            file=bad.file, line=bad.line)
            if checkout and not found:
                note = _not_in_checkout_note(graph, checkout[0], picked, defined, order, head,
                                             bool(unreadable))
                if note is not None:
                    report.warn("show", note)
        return picked
    return _latest_in_history(graph, ids, defined, order, head)


def _shown_instead(graph: LineageGraph, picked: str, defined: dict[str, list[str]],
                   order: dict[str, int], head: str | None) -> tuple[str, str]:
    """(the version ``show`` picked from history, path and hash; why that one)."""
    a = graph.attrs(picked)
    shown = f"{a.get('path') or picked} {a.get('hash') or picked.rsplit('@', 1)[-1]}"
    ancestors = graph.commit_ancestors(head) if head else set()
    at = max(defined.get(picked) or (), key=lambda c: (c in ancestors, order[c]),
             default=None)
    if at is None:
        return shown, "a version no harvested commit defines"
    where = "HEAD's history" if at in ancestors else "the harvested history"
    return shown, (f"the version defined last in {where} (commit "
                   f"{at.removeprefix('commit:')[:12]}), not the checkout's")


def _unreadable_note(graph: LineageGraph, bad: Unreadable, picked: str, from_checkout: bool,
                     defined: dict[str, list[str]], order: dict[str, int],
                     head: str | None) -> str:
    """What ``show`` says of a checkout DVC file it could not read: the problem, the version
    shown instead and why, what to do (one line)."""
    shown, why = _shown_instead(graph, picked, defined, order, head)
    if from_checkout:
        why = "as the checkout's other DVC files record it"
    fix = f"git checkout -- {bad.file}" + (
        f", or dvc add {bad.file.removesuffix('.dvc')}" if bad.file.endswith(".dvc") else "")
    return (f"{bad.problem}; {shown} is shown, {why}: fix the file or put back the "
            f"committed one ({fix})")


def _not_in_checkout_note(graph: LineageGraph, rec: ContentHash | None, picked: str,
                          defined: dict[str, list[str]], order: dict[str, int],
                          head: str | None, unreadable: bool) -> str | None:
    """What ``show`` says when the checkout's DVC files name no version the store holds:
    they record one not harvested yet (``rec``), or they do not track the path at all (None;
    unsaid when a file that could not be read was told instead). One line."""
    shown, why = _shown_instead(graph, picked, defined, order, head)
    path = str(graph.attrs(picked).get("path") or "")
    if rec is not None:
        src = f"{path}.dvc" if rec.source == ".dvc" else rec.source
        return (f"the checkout's {src} records {path} {rec.hash}, a version not "
                f"harvested yet; {shown} is shown, {why}: commit the DVC files and run "
                "lineage harvest")
    if unreadable:
        return None
    return (f"the checkout's DVC files do not track {path} (neither {path}.dvc nor a stage "
            f"that dvc.yaml defines in the dvc.lock of its folder or one above: dvc remove, "
            f"dvc move, a stage renamed or deleted); {shown} is shown, {why}: show the path "
            "DVC tracks now, or commit the DVC files and run lineage harvest")


def _of_repository_now(ids: list[str], root: Path) -> list[str]:
    """Of ``ids``, the data versions of the repository at ``root`` as it is named now, when
    there are any: a remote added moves its identity (data ids embed it), and the versions
    harvested under the old id stay in the store, the audit trail, with the same paths."""
    from lineage.ids import repo_key
    from lineage.plugins import load_repository_identity

    try:
        identity = load_repository_identity()(root)
    except (LineageError, OSError):
        return ids
    if not identity:
        return ids
    prefix = f"data:{repo_key(identity)}:"
    return [i for i in ids if i.startswith(prefix)] or ids


def _defined_by(graph: LineageGraph, nid: str, order: dict[str, int]) -> list[str]:
    """The harvested commits that define the data version ``nid``, in history order: its
    ``first_commit`` and the ``defines`` edges (a path set back to this version adds one)."""
    commits = {c for c in graph.predecessors(nid, EdgeKind.DEFINES) if c in order}
    first = graph.attrs(nid).get("first_commit")
    if first and f"commit:{first}" in order:
        commits.add(f"commit:{first}")
    return sorted(commits, key=order.__getitem__)


def _commit_time(graph: LineageGraph, commit: str) -> datetime | None:
    who = graph.attrs(commit).get("committer") or {}
    return _parse_time(who.get("time") if isinstance(who, dict) else None)


def _data_as_of(graph: LineageGraph, defined: dict[str, list[str]],
                as_of: datetime) -> tuple[list[str], dict[str, list[str]]]:
    """The versions committed at or before ``as_of``, each with its defining commits of then
    (see :func:`current_data_version`)."""
    def then(commit: str) -> bool:
        t = _commit_time(graph, commit)
        return t is None or t <= as_of

    kept = {nid: [c for c in commits if then(c)] for nid, commits in defined.items()}
    kept = {nid: commits for nid, commits in kept.items() if commits or not defined[nid]}
    if kept:
        return list(kept), kept

    def first_time(nid: str) -> datetime:
        return _commit_time(graph, defined[nid][0]) or _NO_TIME

    first = min(defined, key=lambda n: (first_time(n), n))
    path = graph.attrs(first).get("path") or first
    raise ConfigError(
        f"no version of data {path} existed as of {_iso(as_of)}: the first, "
        f"{graph.attrs(first).get('hash') or first}, was committed {_iso(first_time(first))}")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _checkout_version(graph: LineageGraph, root: Path, ids: list[str],
                      unreadable: list[Unreadable] | None = None,
                      checkout: list[ContentHash | None] | None = None) -> list[str]:
    """The versions among ``ids`` whose hash the checkout's DVC files record for their path;
    the files that could not be read on the way are appended to ``unreadable``, and what
    those files record for the path (None: nothing) to ``checkout``."""
    from lineage.hashing import recorded

    path = str(graph.attrs(ids[0]).get("path") or "")
    if not path or "://" in path or path.startswith("/") or ".." in path.split("/"):
        return []
    rec = recorded(root, path, unreadable)
    if checkout is not None:
        checkout.append(rec)
    if rec is None:
        return []
    want = rec.hash.split(":", 1)[-1]  # hashing spells every recorded hash md5:…
    return [i for i in ids
            if str(graph.attrs(i).get("hash") or "").split(":", 1)[-1] == want]


def _latest_in_history(graph: LineageGraph, ids: list[str], defined: dict[str, list[str]],
                       order: dict[str, int], head: str | None) -> str:
    if len(ids) == 1:
        return ids[0]
    ancestors = graph.commit_ancestors(head) if head else set()

    def key(nid: str) -> tuple[bool, int, str]:
        # the latest commit defining it, one in HEAD's history first
        at = max(defined.get(nid) or (), key=lambda c: (c in ancestors, order[c]),
                 default=None)
        if at is None:
            return (False, -1, nid)
        return (at in ancestors, order[at], nid)

    return max(ids, key=key)


# -- model versions: the latest ------------------------------------------------------------

_SEMVER = re.compile(
    r"^[vV]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$")
_INTEGER = re.compile(r"^[0-9]+$")
# what GTO leaves out of "latest": a deregistered version, and a version named by a commit
# because a stage was assigned there with no version registered
_NOT_LATEST = frozenset({"deregistered", "unregistered"})
_NO_TIME = datetime.min.replace(tzinfo=UTC)


def semver_key(version: str) -> tuple[Any, ...] | None:
    """Semantic Versioning 2.0 precedence of ``1.2.3``/``v1.2.3-rc.1+build`` (build metadata
    ignored); None when ``version`` is not one."""
    m = _SEMVER.match(version)
    if m is None:
        return None
    core = (int(m[1]), int(m[2]), int(m[3]))
    if m[4] is None:
        return (*core, 1, ())
    pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m[4].split("."))
    return (*core, 0, pre)


def _natural_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """``build-9`` < ``build-10``: runs of digits compare as numbers, the rest as text."""
    return tuple((0, int(run), "") if run.isdigit() else (1, 0, run)
                 for run in re.findall(r"\d+|\D+", version))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _version_time(graph: LineageGraph, nid: str) -> datetime:
    a = graph.attrs(nid)
    t = _parse_time(a.get("created_at"))
    if t is None and a.get("commit") and f"commit:{a['commit']}" in graph:
        who = graph.attrs(f"commit:{a['commit']}").get("committer") or {}
        t = _parse_time(who.get("time"))
    return t or _NO_TIME


def _registered_at(graph: LineageGraph, nid: str, as_of: datetime) -> bool:
    """Whether the version ``nid`` was registered at ``as_of``: created by then, and not yet
    deregistered (GTO's ``properties.deregistered_at``; without it, deregistered is for good)."""
    a = graph.attrs(nid)
    if _version_time(graph, nid) > as_of:
        return False
    status = a.get("status")
    if status == "deregistered":
        gone = _parse_time((a.get("properties") or {}).get("deregistered_at"))
        return gone is not None and gone > as_of
    return status not in _NOT_LATEST


def _version_of(graph: LineageGraph, nid: str) -> str:
    return str(graph.attrs(nid).get("version") or nid.rsplit("@", 1)[-1])


def latest_model_version(graph: LineageGraph, group: str, *,
                         as_of: datetime | None = None) -> str | None:
    """The latest version of a model group (``model_group:<name>``), as GTO picks it.

    ``as_of``: only the versions registered then count, by the time the store knows each
    was created or registered (``created_at``, else the time of its commit; a version whose
    time is unknown counts) and, for a version deregistered since, the time it was.

    Deregistered versions, and versions GTO names by a commit (a stage assigned where no
    version was registered), are left out, as ``gto show`` leaves them out; a deprecated
    group still has a latest version, as in GTO. Of the others:

    * all semantic versions (``v1.10.0``, ``1.2.0-rc.1``; the ``v`` is optional): the greatest
      by semver precedence (``v1.10.0`` > ``v1.9.0``; ``v2.0.0-rc.1`` < ``v2.0.0``);
    * all integers (MLflow registered-model versions): the greatest number;
    * otherwise (mixed or other spellings): the most recently created (``created_at``, else
      the time of its commit), then the greatest in natural order (``b10`` > ``b9``).

    Ties (``v1.0.0`` and ``1.0.0+build``) fall to the next rule, then to the node id.
    None when no version is left.
    """
    if as_of is None:
        versions = [v for v in graph.predecessors(group, EdgeKind.VERSION_OF, NodeKind.MODEL)
                    if graph.attrs(v).get("status") not in _NOT_LATEST]
    else:
        versions = [v for v in graph.predecessors(group, EdgeKind.VERSION_OF, NodeKind.MODEL)
                    if _registered_at(graph, v, as_of)]
    if not versions:
        return None
    names = {v: _version_of(graph, v) for v in versions}

    def fallback(v: str) -> tuple[Any, ...]:
        return (_version_time(graph, v), _natural_key(names[v]), v)

    semvers = {v: semver_key(n) for v, n in names.items()}
    if all(k is not None for k in semvers.values()):
        return max(versions, key=lambda v: (semvers[v], *fallback(v)))
    if all(_INTEGER.match(n) for n in names.values()):
        return max(versions, key=lambda v: (int(names[v]), *fallback(v)))
    return max(versions, key=fallback)
