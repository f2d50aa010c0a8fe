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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.config import Config, load_config
from lineage.errors import ConfigError, NotARepositoryError
from lineage.model import Edge, Node, NodeKind
from lineage.plugins import HARVESTERS, HarvestContext, harvester_names, load_harvester
from lineage.report import RunReport
from lineage.store import Store, WriteStats

if TYPE_CHECKING:  # networkx is heavy: harvest and init never need the graph
    from lineage.graph import LineageGraph

Progress = Callable[[str, int, int | None], None]


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


def open_store(repo: str | Path = ".", config: Config | None = None) -> Store:
    root = find_repo_root(repo)
    cfg = config or load_config(root)
    return Store.open(cfg.store_path(root))


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

    Each harvester that changed something appends one ``harvest`` event to the log; a
    re-harvest with nothing new writes nothing.
    """
    root = find_repo_root(repo)
    cfg = load_config(root)
    store = Store.open(cfg.store_path(root))
    result = HarvestResult(repo=root)
    explicit = list(only) if only else None
    names = explicit or cfg.harvesters or harvester_names()
    shared: dict[str, Any] = {}
    try:
        with store.transaction():
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
                    continue
                n_warn = len(result.report.warnings)
                stats = store.upsert(h.harvest(ctx))
                for (hv, scope), value in sorted(ctx._watermarks.items()):
                    store.set_watermark(hv, scope, value)
                seq = None
                if stats.total:
                    ev = store.append_event("harvest", actor(), {
                        "harvester": name, **stats.as_dict(),
                        "warnings": len(result.report.warnings) - n_warn,
                    })
                    seq = ev.seq
                result.harvesters.append(HarvesterResult(name, stats, seq))
        result.counts = store.counts()
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


def resolve_ref(graph: LineageGraph, ref: str) -> str:
    """Turn what a user types into a node id.

    Accepts a node id, ``name@version`` (model version), a model group name (its latest
    version), a commit sha or unique prefix, a data path (its latest version).
    """
    if ref in graph:
        return ref
    for cand in (f"model:{ref}", f"model_group:{ref}", f"commit:{ref.lower()}"):
        if cand in graph:
            if cand.startswith("model_group:"):
                versions = graph.predecessors(cand, node_kind=NodeKind.MODEL)
                return latest(graph, versions) if versions else cand
            return cand
    hits = [n for n in graph.node_ids(NodeKind.COMMIT) if n.startswith(f"commit:{ref.lower()}")]
    if len(hits) == 1 and len(ref) >= 4:
        return hits[0]
    data = [n.id for n in graph.nodes(NodeKind.DATA) if n.attrs.get("path") == ref.rstrip("/")]
    if data:
        return latest(graph, data)
    import difflib

    names = [n.removeprefix("model:") for n in graph.node_ids(NodeKind.MODEL)]
    names += [n.attrs.get("path", "") for n in graph.nodes(NodeKind.DATA)]
    close = difflib.get_close_matches(ref, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "see `lineage export` for every node id"
    raise ConfigError(f"nothing in the lineage graph matches {ref!r}", hint=hint)


def _time_key(graph: LineageGraph, nid: str) -> str:
    a = graph.attrs(nid)
    for k in ("created_at", "deployed_at", "first_commit_time"):
        if a.get(k):
            return str(a[k])
    commit = a.get("first_commit") or a.get("commit")
    if commit and f"commit:{commit}" in graph:
        c = graph.attrs(f"commit:{commit}").get("committer") or {}
        return str(c.get("time", ""))
    return ""


def latest(graph: LineageGraph, ids: list[str]) -> str:
    return max(ids, key=lambda n: (_time_key(graph, n), n))
