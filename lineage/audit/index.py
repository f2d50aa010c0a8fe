"""AuditIndex: the slice of the lineage graph the audit rules read, in plain dicts.

The rules never walk the whole graph: they read governance records, runs, model versions and
groups in full, the edges between them, and a few facts about the commits and data those
records name (does the commit exist, who wrote it; is the data content-hashed). Building only
that slice keeps a 1M-node audit in seconds and in a fraction of the memory a full networkx
graph needs, so :meth:`AuditIndex.from_store` reads it straight from the store's rows (SQL +
JSON1). :meth:`AuditIndex.from_graph` builds the same index from a :class:`LineageGraph` (e.g.
one rebuilt from DataHub); both give the same findings on the same facts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lineage.audit.registry import parse_time
from lineage.model import EdgeKind, NodeKind
from lineage.runtime import gc_paused
from lineage.serialize import dumps_str, loads

if TYPE_CHECKING:
    from lineage.graph import LineageGraph
    from lineage.store import Store

# kinds whose attributes the rules read in full
FULL_KINDS = ("run", "model_group", "model", "deployment", "approval", "risk_assessment",
              "retraining", "alert", "document")
# edges between those kinds (+ commit → run, data → run, run → data) the rules follow
EDGE_KINDS = ("input", "code", "produced", "version_of", "previous_version", "same_as",
              "deployed_as", "approves", "assesses", "alerts", "triggers", "retrains",
              "documents", "output", "upstream_run", "tagged", "artifact")
# attributes of governance records that name another node (lineage-continuity)
REF_ATTRS: dict[str, tuple[str, ...]] = {
    "deployment": ("model",),
    "approval": ("model",),
    "risk_assessment": ("model_group",),
    "retraining": ("previous_model", "new_model", "run", "alert"),
    "alert": ("model",),
    "document": ("model", "model_group"),
}
# governance records: the store keeps when each was first and last written (its events' ts)
RECORD_KINDS = tuple(REF_ATTRS)
# nodes whose writing the index times (``recorded``): governance records, and the model
# versions and runs an ``--as-of`` audit places in time (a date later than their writing is no
# reason to leave them out)
TIMED_KINDS = (*RECORD_KINDS, "model", "run")
# edges along which a missing node is not an audit gap (a shallow clone's boundary parents)
CONTINUITY_SKIP_EDGES = ("parent", "contains")
_NODE_KINDS = frozenset(k.value for k in NodeKind)
_EDGE_KINDS = frozenset(k.value for k in EdgeKind)
_KNOWN_PREFIXES = frozenset(
    ("repository", "commit", "data", "stage", *FULL_KINDS)
)


def ref_id(value: Any) -> str | None:
    """A node id named in a record attribute, or None when the value is not a node id."""
    if not isinstance(value, str) or ":" not in value:
        return None
    return value if value.split(":", 1)[0] in _KNOWN_PREFIXES else None


@dataclass
class Ref:
    """What the index knows about a commit or data node that a rule looks at."""

    kind: str
    placeholder: bool = False  # named by an edge or record, never described by a source
    unseen: bool = False  # commit attrs say placeholder: named by a run, not found in git
    author_email: str | None = None
    author_name: str | None = None
    hash: str | None = None
    dvc: bool = False  # a data version a DVC file introduced (``first_commit`` / DEFINES edge)
    # a commit's earliest time (its author's or committer's date, ISO); None when unknown (a
    # commit named but not seen in git, or read back from a catalog that keeps no times)
    time: str | None = None
    first_commit: str | None = None  # a data version's: the sha of the commit that added it


@dataclass(frozen=True)
class Clone:
    """What the clone a repository was harvested from lacks (:attr:`AuditIndex.clones`)."""

    shallow: tuple[str, ...] = ()
    no_tags: bool = False  # it fetches no tags (remote tagOpt --no-tags) and holds none
    # it holds no tag at all, whatever its fetch configuration (a watermark written before
    # ``tagless`` existed says so only of a ``no_tags`` clone)
    tagless: bool = False
    # (a tagless clone) what in its work tree shows the repository uses GTO (``.gto``, a
    # requirement naming gto), None when nothing does
    gto: str | None = None
    # the tags the store's GTO facts in force rest on that the clone does not hold and cannot
    # tell gone (all in a tagless clone; in a shallow one, those of commits it lacks): the
    # harvest kept those facts as they were
    gto_unseen: tuple[str, ...] = ()
    # (a tagless clone whose tags matter) how many GTO tags its remote holds, and the first
    # few, as ``git ls-remote`` said at the harvest; None: not asked, or it could not answer.
    # A remote holding none makes the clone lack nothing: it is not ``tagless``
    remote_gto: int | None = None
    remote_gto_some: tuple[str, ...] = ()
    # why its remote could not be asked at the harvest (offline, unreachable, no answer in
    # time, authentication), one line without credentials; None: it answered, or was not
    # asked
    remote_unreached: str | None = None

    @property
    def incomplete(self) -> bool:
        return bool(self.shallow) or self.no_tags or bool(self.gto_unseen)


# the git harvester's watermark of the clone (connectors/harvesters/git.py, ``clone_state``)
CLONE_WATERMARK = ("git", "clone")


def _watermark(value: str | None) -> dict[str, Any] | None:
    """A harvester's watermark the audit reads (the clone's, the checkout's): a JSON object
    naming its repository; None when there is none or it cannot be read."""
    if not value:
        return None
    try:
        data = loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("repository"), str):
        return None
    return data


def parse_clone(value: str | None) -> tuple[str, Clone] | None:
    """(repository id, :class:`Clone`) from the git harvester's ``clone`` watermark; None when
    there is none or it cannot be read (nothing is claimed then)."""
    data = _watermark(value)
    if data is None:
        return None
    shallow = data.get("shallow")
    no_tags = data.get("no_tags") is True
    unseen = data.get("gto_unseen")
    gto = data.get("gto")
    tagless = no_tags or data.get("tagless") is True
    remote = data.get("remote_gto")
    count = remote.get("count") if isinstance(remote, dict) else None
    count = count if isinstance(count, int) and not isinstance(count, bool) else None
    some = remote.get("some") if isinstance(remote, dict) else None
    if count == 0:  # the remote holds no GTO tag: the repository has none, the clone lacks none
        tagless = no_tags = False
    unreached = data.get("remote_unreached")
    return data["repository"], Clone(
        tuple(str(x) for x in shallow) if isinstance(shallow, list) else (), no_tags,
        tagless, gto if isinstance(gto, str) else None,
        tuple(str(x) for x in unseen) if isinstance(unseen, list) else (), count,
        tuple(str(x) for x in some) if isinstance(some, list) else (),
        unreached if isinstance(unreached, str) and unreached else None)


# the records harvester's watermark of the checkout it read the governance folder from
# (connectors/harvesters/records.py): what of the repository's records it could not read
CHECKOUT_WATERMARK = ("records", "checkout")


@dataclass(frozen=True)
class Unheld:
    """A governance record the store holds from a file of a commit that no ref of the clone
    holds any more, and that no record file holds now (:class:`Checkout`)."""

    node: str  # the record's node id
    commit: str  # the commit that added it to its file (``committed_in``)
    file: str | None  # the file it was harvested from
    missing: bool  # the clone lacks the commit (False: it holds it, but no ref reaches it)


@dataclass(frozen=True)
class Checkout:
    """What the records harvester could not read from the checkout a store was last harvested
    from (:attr:`AuditIndex.checkout`): the record files of ``HEAD`` a sparse checkout left
    out of the work tree (``left_out``, the first few; ``left_out_count`` in all), and the
    records the store holds from commits the clone no longer holds (``unheld``)."""

    repository: str
    folder: str
    left_out: tuple[str, ...] = ()
    left_out_count: int = 0
    unheld: tuple[Unheld, ...] = ()

    def dump(self) -> str:
        """The watermark's value (:func:`parse_checkout` reads it back)."""
        return dumps_str({"repository": self.repository, "folder": self.folder,
                      "left_out": list(self.left_out), "left_out_count": self.left_out_count,
                      "unheld": [[u.node, u.commit, u.file, u.missing] for u in self.unheld]})

    @property
    def incomplete(self) -> bool:
        return bool(self.left_out_count or self.unheld)


def parse_checkout(value: str | None) -> Checkout | None:
    """:class:`Checkout` from the records harvester's ``checkout`` watermark; None when there
    is none or it cannot be read (nothing is claimed then)."""
    data = _watermark(value)
    if data is None:
        return None
    left = data.get("left_out")
    left_out = tuple(str(x) for x in left) if isinstance(left, list) else ()
    count = data.get("left_out_count")
    unheld = tuple(Unheld(str(u[0]), str(u[1]), u[2] if isinstance(u[2], str) else None,
                          u[3] is True)
                   for u in data.get("unheld") or [] if isinstance(u, list) and len(u) == 4)
    return Checkout(data["repository"], str(data.get("folder") or "governance"), left_out,
                    count if isinstance(count, int) else len(left_out), unheld)


@dataclass
class AuditIndex:
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_kind: dict[str, list[str]] = field(default_factory=dict)
    # edge kind → node → [(other node, edge attrs)]
    out_edges: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = field(default_factory=dict)
    in_edges: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = field(default_factory=dict)
    refs: dict[str, Ref] = field(default_factory=dict)
    # ids of nodes that no source described → the nodes whose edges name them
    placeholders: dict[str, set[str]] = field(default_factory=dict)
    # strongly pinned run inputs DVC never recorded although it tracks their path: data id →
    # that path's DVC versions (see :meth:`_unrecorded_candidates`)
    unrecorded: dict[str, list[str]] = field(default_factory=dict)
    # weakly or not pinned run inputs whose path (or a folder holding it) DVC tracks in some
    # version: data id → those DVC versions (the joins leave such an input weak where the
    # run's commit lists the path with no hash; see :meth:`_tracked_candidates`)
    tracked: dict[str, list[str]] = field(default_factory=dict)
    # governance record, model version or run → (time the store first wrote it, time it last
    # wrote it), from the event log; absent when the source keeps no such time (a graph
    # rebuilt from DataHub)
    recorded: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # what the clone the store was last harvested from lacks, as the git harvester records it
    # (its ``clone`` watermark): repository id → ``shallow`` (boundary commits whose history
    # neither the clone nor the store holds), ``tagless`` (it holds no tag), ``no_tags`` (it
    # fetches no tags, by remote tagOpt, and holds none), ``gto`` (a tagless clone's sign of
    # GTO), ``gto_unseen`` (GTO tags of the store's facts the clone cannot judge),
    # ``remote_gto`` (the GTO tags a tagless clone's remote holds, when it was asked),
    # ``remote_unreached`` (why the remote could not be asked).
    # Empty for a graph (a catalog keeps no harvest state) and for a store not harvested
    # since the git harvester kept it
    clones: dict[str, Clone] = field(default_factory=dict)
    # what the records harvester could not read from that checkout (its ``checkout``
    # watermark): governance record files a sparse checkout left out, and records the store
    # holds from commits no ref of the clone holds. None for a graph, and for a store whose
    # last harvest read every record file and found no such record
    checkout: Checkout | None = None
    node_count: int = 0
    # the commits and their ``parent`` edges (the graph itself, for an index built from one),
    # read only when a run wrote data: whether a run that wrote what another read is in the
    # history of the reader's commit (:meth:`ancestors`). None when no run wrote data
    history: LineageGraph | None = None
    _ancestors: dict[str, set[str]] = field(default_factory=dict, repr=False)

    # -- queries ------------------------------------------------------------------------------
    def ids(self, kind: str) -> list[str]:
        return self.by_kind.get(kind, [])

    def a(self, node_id: str) -> dict[str, Any]:
        return self.attrs.get(node_id, {})

    def exists(self, node_id: str) -> bool:
        """Described by some source (not only named by an edge or a record)."""
        if node_id in self.attrs:
            return True
        ref = self.refs.get(node_id)
        return ref is not None and not ref.placeholder

    def is_placeholder(self, node_id: str) -> bool:
        return not self.exists(node_id)

    def sources(self, node_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return self.in_edges.get(kind, {}).get(node_id, [])

    def targets(self, node_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return self.out_edges.get(kind, {}).get(node_id, [])

    def ancestors(self, commit: str) -> set[str]:
        """``commit`` and every commit it descends from
        (:meth:`lineage.graph.LineageGraph.commit_ancestors`, the walk ``lineage show``
        bounds a provenance by); only the commit itself when the index read no history."""
        found = self._ancestors.get(commit)
        if found is None:
            found = self._ancestors[commit] = (
                self.history.commit_ancestors(commit) if self.history is not None else set()
            ) or {commit}
        return found

    def harvested_commit(self, node_id: str) -> bool:
        """A commit node git described (not a placeholder named only by an edge or a record,
        nor a commit a run named that git did not hold)."""
        ref = self.refs.get(node_id)
        return ref is not None and ref.kind == "commit" and not ref.placeholder \
            and not ref.unseen

    # -- building -----------------------------------------------------------------------------
    def _add_node(self, node_id: str, kind: str, attrs: dict[str, Any]) -> None:
        self.attrs[node_id] = attrs
        self.by_kind.setdefault(kind, []).append(node_id)

    def _add_edge(self, source: str, target: str, kind: str, attrs: dict[str, Any]) -> None:
        self.out_edges.setdefault(kind, {}).setdefault(source, []).append((target, attrs))
        self.in_edges.setdefault(kind, {}).setdefault(target, []).append((source, attrs))

    def _referenced(self) -> set[str]:
        """Ids the rules will ask about that are not loaded in full."""
        wanted: set[str] = set()
        for per_kind in (self.out_edges, self.in_edges):
            for adj in per_kind.values():
                wanted.update(adj)
        for rid in self.ids("run"):
            sha = self.attrs[rid].get("commit")
            if sha:
                wanted.add(f"commit:{sha.lower()}")
        for kind, names in REF_ATTRS.items():
            for nid in self.ids(kind):
                a = self.attrs[nid]
                for name in names:
                    r = ref_id(a.get(name))
                    if r:
                        wanted.add(r)
        for nid in self.ids("model"):
            wanted.add(f"model_group:{self.attrs[nid].get('group')}")
            sha = self.attrs[nid].get("commit")
            if isinstance(sha, str) and sha:  # the commit it was registered from
                wanted.add(f"commit:{sha.lower()}")
        return {w for w in wanted if w not in self.attrs}

    def _artifact_commits(self) -> set[str]:
        """The commits that added the artifacts of model versions (their data versions'
        ``first_commit``) that are not loaded yet: when a version existed is read from them
        (:meth:`AuditContext.version_since`)."""
        out = set()
        for data in self.out_edges.get("artifact", {}):
            ref = self.refs.get(data)
            if ref is not None and ref.first_commit:
                cid = f"commit:{ref.first_commit.lower()}"
                if cid not in self.refs:
                    out.add(cid)
        return out

    def _unrecorded_candidates(self) -> dict[str, str]:
        """Strongly pinned run inputs with a content hash that no DVC file introduced:
        data id → the id prefix (``data:<repo>:<path>@``) shared by every version of its path.
        Usually none (DVC-joined and DVC-recorded inputs are ``dvc``), so the look-up of the
        path's DVC versions that follows is cheap."""
        out: dict[str, str] = {}
        for run_inputs in self.in_edges.get("input", {}).values():
            for data, e in run_inputs:
                ref = self.refs.get(data)
                if (e.get("pin") == "strong" and ref is not None and not ref.placeholder
                        and ref.hash and not ref.dvc and "@" in data):
                    out[data] = data.rsplit("@", 1)[0] + "@"
        return out

    def _tracked_candidates(self, repos: Callable[[], list[str]]) -> dict[str, list[str]]:
        """Weakly or not pinned run inputs (not resolved by a join) → the id prefixes
        (``data:<repo>:<path>@``) of their path and of each folder holding it (the edge's
        repository-relative ``path``, in each of the store's ``repos``: an OpenLineage or
        MLflow dataset is named by its own namespace), whose DVC versions say DVC tracks it:
        then the commit the run trained from recorded no hash for it (the joins' "no hash"),
        which is what to fix."""
        out: dict[str, list[str]] = {}
        keys: list[str] | None = None  # read once, only when an input needs them
        for run_inputs in self.in_edges.get("input", {}).values():
            resolved = {str(e["via"]) for _, e in run_inputs
                        if e.get("pin") == "strong" and e.get("via")}
            for data, e in run_inputs:
                if e.get("pin") == "strong" or data in resolved or data in out \
                        or not data.startswith("data:"):
                    continue
                head = data.rsplit("@", 1)[0] if "@" in data else data
                found = [head + "@"]
                path = e.get("path")
                if isinstance(path, str) and path and not path.startswith("/"):
                    if keys is None:
                        keys = [r.removeprefix("repository:") for r in repos()]
                    parts = path.split("/")
                    found += [f"data:{key}:{'/'.join(parts[:cut])}@" for key in keys
                              for cut in range(len(parts), 0, -1)]
                out[data] = list(dict.fromkeys(found))
        return out

    def _record_times(self, conn: sqlite3.Connection, last_seq: dict[str, int]) -> None:
        """When the store first and last wrote each governance record: the ``ts`` of the
        events whose seq its current row and its superseded versions (``fact_log``) carry."""
        if not last_seq:
            return
        first_seq = dict(last_seq)
        ranges = " OR ".join(f"(fid >= 'n|{k}:' AND fid < 'n|{k};')" for k in TIMED_KINDS)
        for fid, seq in conn.execute(
            f"SELECT fid, min(seq) FROM fact_log WHERE {ranges} GROUP BY fid"
        ):
            nid = fid[2:]
            if nid in first_seq and seq < first_seq[nid]:
                first_seq[nid] = seq
        wanted = sorted(set(first_seq.values()) | set(last_seq.values()))
        ts: dict[int, str] = {}
        for i in range(0, len(wanted), 900):
            chunk = wanted[i : i + 900]
            q = ",".join("?" * len(chunk))
            ts.update(conn.execute(f"SELECT seq, ts FROM events WHERE seq IN ({q})", chunk))
        for nid, last in last_seq.items():
            self.recorded[nid] = (ts.get(first_seq[nid]), ts.get(last))

    def _load_refs(self, conn: sqlite3.Connection, wanted: list[str]) -> None:
        """What the rules read of the commits and data versions ``wanted`` (:class:`Ref`)."""
        found: set[str] = set()
        for i in range(0, len(wanted), 900):
            chunk = wanted[i : i + 900]
            q = ",".join("?" * len(chunk))
            for nid, kind, jtype, placeholder, email, name, h, first, at, ct in conn.execute(
                "SELECT id, kind, json_type(attrs), json_extract(attrs, '$.placeholder'), "
                "json_extract(attrs, '$.author.email'), json_extract(attrs, '$.author.name'), "
                "json_extract(attrs, '$.hash'), json_extract(attrs, '$.first_commit'), "
                "json_extract(attrs, '$.author.time'), json_extract(attrs, '$.committer.time') "
                f"FROM nodes WHERE id IN ({q})", chunk
            ):
                if jtype != "object":
                    raise ValueError(f"attrs of {nid} are not a JSON object")
                found.add(nid)
                self.refs[nid] = Ref(kind, False, bool(placeholder), email, name, h,
                                     kind == "data" and bool(first), _earliest(at, ct),
                                     first if kind == "data" and isinstance(first, str)
                                     else None)
            for (nid,) in conn.execute(
                f"SELECT DISTINCT target FROM edges WHERE target IN ({q}) AND +kind = 'defines'",
                chunk
            ):
                if nid in self.refs:
                    self.refs[nid].dvc = self.refs[nid].kind == "data"
        for nid in wanted:
            if nid not in found:
                self.refs[nid] = Ref(nid.split(":", 1)[0], placeholder=True)

    def _sort(self) -> None:
        for ids in self.by_kind.values():
            ids.sort()
        for per_kind in (self.out_edges, self.in_edges):
            for adj in per_kind.values():
                for lst in adj.values():
                    lst.sort(key=lambda e: e[0])
        for found in (*self.unrecorded.values(), *self.tracked.values()):
            found.sort()

    @classmethod
    def from_graph(cls, graph: LineageGraph) -> AuditIndex:
        """Build the index from a LineageGraph in one pass over its nodes and its edges."""
        from lineage.graph import PLACEHOLDER

        g = graph.nx  # read-only walk; lineage.graph stays the module that owns networkx
        idx = cls(node_count=g.number_of_nodes())
        full = frozenset(FULL_KINDS)
        nodes = g.nodes
        for nid, data in nodes(data=True):
            kind = str(data["kind"])
            if kind in full and not data.get(PLACEHOLDER):
                idx._add_node(nid, kind, data["attrs"])
        # when the store wrote each record, as a graph read back from a catalog carries it
        # (``graph.nx.graph["recorded"]``: id → (first, last) time), the times the store's
        # audit reads from its event log
        times = g.graph.get("recorded")
        if isinstance(times, dict):
            for nid, when in times.items():
                if nid in idx.attrs and isinstance(when, list | tuple) and len(when) == 2 \
                        and all(t is None or isinstance(t, str) for t in when):
                    idx.recorded[nid] = (when[0], when[1])
        wanted_edges = frozenset(EDGE_KINDS)
        skip = frozenset(CONTINUITY_SKIP_EDGES)
        for s, t, k, data in g.edges(keys=True, data=True):
            if k in wanted_edges and (k != "input" or t.startswith("run:")) and (
                    k != "output" or s.startswith("run:")):
                idx._add_edge(s, t, k, data["attrs"])
            if k not in skip:
                if nodes[s].get(PLACEHOLDER):
                    idx.placeholders.setdefault(s, set()).add(t)
                if nodes[t].get(PLACEHOLDER):
                    idx.placeholders.setdefault(t, set()).add(s)
        for nid in idx._referenced():
            if nid not in g:
                idx.refs[nid] = Ref(nid.split(":", 1)[0], placeholder=True)
            else:
                data = nodes[nid]
                idx.refs[nid] = _ref(str(data["kind"]), bool(data.get(PLACEHOLDER)),
                                     data["attrs"])
                if idx.refs[nid].kind == "data" and not idx.refs[nid].dvc:
                    idx.refs[nid].dvc = any(k == "defines" for _, _, k in g.in_edges(nid, keys=True))
        for nid in idx._artifact_commits():
            idx.refs[nid] = (_ref("commit", bool(nodes[nid].get(PLACEHOLDER)), nodes[nid]["attrs"])
                             if nid in g else Ref("commit", placeholder=True))
        if idx.out_edges.get("output"):
            idx.history = graph
        todo = idx._unrecorded_candidates()
        if todo:  # one more pass over the node ids, only when some input needs it
            prefixes: dict[str, list[str]] = {}
            for data, prefix in todo.items():
                prefixes.setdefault(prefix, []).append(data)
            for nid in g:
                if not nid.startswith("data:") or "@" not in nid:
                    continue
                hits = prefixes.get(nid.rsplit("@", 1)[0] + "@")
                if hits and nid not in hits and (
                        nodes[nid]["attrs"].get("first_commit")
                        or any(k == "defines" for _, _, k in g.in_edges(nid, keys=True))):
                    for data in hits:
                        idx.unrecorded.setdefault(data, []).append(nid)
        weak = idx._tracked_candidates(
            lambda: [n for n, d in nodes(data=True) if d["kind"] == "repository"])
        if weak:  # one more pass over the node ids, only when some input needs it
            by_prefix: dict[str, list[str]] = {}
            for data, heads in weak.items():
                for head in heads:
                    by_prefix.setdefault(head, []).append(data)
            for nid in g:
                if not nid.startswith("data:") or "@" not in nid:
                    continue
                hits = by_prefix.get(nid.rsplit("@", 1)[0] + "@")
                if hits and (nodes[nid]["attrs"].get("first_commit")
                             or any(k == "defines" for _, _, k in g.in_edges(nid, keys=True))):
                    for data in hits:
                        if nid != data:
                            idx.tracked.setdefault(data, []).append(nid)
        idx._sort()
        return idx

    @classmethod
    def from_store(cls, store: Store) -> AuditIndex:
        """Build the index from the store's rows without materialising the whole graph (a
        row changed outside lineage that cannot be read: :class:`IntegrityError` naming it)."""
        try:
            return cls._from_store(store)
        except (ValueError, KeyError, sqlite3.OperationalError):
            store.raise_unreadable()
            raise

    @classmethod
    def _from_store(cls, store: Store) -> AuditIndex:
        conn = store.conn
        # Every row's kind, from the kind indexes (a few ms per 100k rows): a row whose kind
        # lineage does not know is one the audit cannot place, e.g. an approval renamed so
        # that it silently drops out of the checks. The rows the audit reads are checked as
        # they are read (attrs a JSON object); ValueError lets from_store name the row.
        counts = dict(conn.execute("SELECT kind, count(*) FROM nodes GROUP BY kind"))
        if not _NODE_KINDS.issuperset(counts) or not _EDGE_KINDS.issuperset(
                k for (k,) in conn.execute("SELECT DISTINCT kind FROM edges")):
            raise ValueError("a node or edge of a kind lineage does not know")
        idx = cls(node_count=sum(counts.values()))
        if (clone := parse_clone(store.get_watermark(*CLONE_WATERMARK))) is not None:
            idx.clones[clone[0]] = clone[1]
        checkout = parse_checkout(store.get_watermark(*CHECKOUT_WATERMARK))
        idx.checkout = checkout if checkout is not None and checkout.incomplete else None
        marks = ",".join("?" * len(FULL_KINDS))
        records = frozenset(TIMED_KINDS)
        last_seq: dict[str, int] = {}
        for nid, kind, attrs, seq in conn.execute(
            f"SELECT id, kind, attrs, seq FROM nodes WHERE kind IN ({marks})", FULL_KINDS
        ):
            idx._add_node(nid, kind, _object(attrs))
            if kind in records and seq is not None:
                last_seq[nid] = seq
        idx._record_times(conn, last_seq)
        emarks = ",".join("?" * len(EDGE_KINDS))
        for s, t, k, a in conn.execute(
            f"SELECT source, target, kind, attrs FROM edges WHERE kind IN ({emarks}) "
            "AND (kind != 'input' OR target LIKE 'run:%') "
            "AND (kind != 'output' OR source LIKE 'run:%')", EDGE_KINDS
        ):
            idx._add_edge(s, t, k, _object(a) if a != "{}" else {})
        idx._load_refs(conn, sorted(idx._referenced()))
        idx._load_refs(conn, sorted(idx._artifact_commits()))
        if idx.out_edges.get("output"):  # a run wrote data: which writer is in whose history
            from lineage.graph import LineageGraph

            idx.history = LineageGraph()
            idx.history.load_rows((), conn.execute(
                "SELECT source, target, kind, '{}' FROM edges WHERE kind = 'parent'"))
        for data, prefix in idx._unrecorded_candidates().items():
            # the versions of the same path: a range of the primary key, no table scan (the
            # unary + keeps SQLite off the kind indexes, which would scan every data node)
            for nid, jtype, dvc in conn.execute(
                "SELECT id, json_type(attrs), json_extract(attrs, '$.first_commit') IS NOT "
                "NULL OR EXISTS (SELECT 1 FROM edges e WHERE e.target = n.id AND +e.kind = "
                "'defines') FROM nodes n WHERE id >= ? AND id < ? AND id != ? "
                "AND +kind = 'data'",
                (prefix, prefix + "\U0010ffff", data)
            ):
                if jtype != "object":
                    raise ValueError(f"attrs of {nid} are not a JSON object")
                if dvc:
                    idx.unrecorded.setdefault(data, []).append(nid)
        weak = idx._tracked_candidates(lambda: [r for (r,) in conn.execute(
            "SELECT id FROM nodes WHERE kind = 'repository'")])
        for data, prefixes in weak.items():
            for prefix in prefixes:  # (a range of the primary key, as above)
                for (nid,) in conn.execute(
                    "SELECT id FROM nodes n WHERE id >= ? AND id < ? AND id != ? "
                    "AND +kind = 'data' AND (json_extract(attrs, '$.first_commit') IS NOT NULL "
                    "OR EXISTS (SELECT 1 FROM edges e WHERE e.target = n.id AND +e.kind = "
                    "'defines'))", (prefix, prefix + "\U0010ffff", data)
                ):
                    idx.tracked.setdefault(data, []).append(nid)
        skip = ",".join(f"'{k}'" for k in CONTINUITY_SKIP_EDGES)
        for end, other in (("source", "target"), ("target", "source")):
            for missing, ref in conn.execute(
                f"SELECT e.{end}, e.{other} FROM edges e LEFT JOIN nodes n ON n.id = e.{end} "
                f"WHERE n.id IS NULL AND e.kind NOT IN ({skip})"
            ):
                idx.placeholders.setdefault(missing, set()).add(ref)
        idx._sort()
        return idx




def _object(body: str) -> dict[str, Any]:
    """A stored row's attrs; ValueError when they are not a JSON object."""
    attrs = loads(body)
    if type(attrs) is not dict:
        raise ValueError("attrs are not a JSON object")
    return attrs


def _ref(kind: str, placeholder: bool, attrs: dict[str, Any]) -> Ref:
    author = attrs.get("author") or {}
    committer = attrs.get("committer") or {}
    first = attrs.get("first_commit")
    return Ref(kind, placeholder, bool(attrs.get("placeholder")), author.get("email"),
               author.get("name"), attrs.get("hash"),
               kind == "data" and not placeholder and bool(first),
               _earliest(author.get("time"), committer.get("time")),
               first if kind == "data" and isinstance(first, str) else None)


def _earliest(*times: Any) -> str | None:
    """The earliest of a commit's dates (ISO strings, any offset), as stored; None if none."""
    known = [(t, str(v)) for v in times if (t := parse_time(v)) is not None]
    return min(known)[1] if known else None


def build_index(source: LineageGraph | Store | AuditIndex) -> AuditIndex:
    """An index from a graph, a store or an index (returned as is)."""
    if isinstance(source, AuditIndex):
        return source
    from lineage.graph import LineageGraph

    with gc_paused():
        if isinstance(source, LineageGraph):
            return AuditIndex.from_graph(source)
        return AuditIndex.from_store(source)


__all__ = ["CHECKOUT_WATERMARK", "CLONE_WATERMARK", "Checkout", "RECORD_KINDS", "Unheld",
           "parse_checkout", "TIMED_KINDS", "AuditIndex", "Clone", "Ref",
           "build_index", "parse_clone", "ref_id"]

