"""LineageGraph: the in-memory lineage graph. The only module that imports networkx.

Nodes are keyed by their stable id and carry ``kind`` and ``attrs``; edges are keyed by
(source, target, kind) in a MultiDiGraph and always point from upstream to downstream. An edge
to a node no source has described yet creates a *placeholder* node (kind from the id prefix,
``placeholder=True``): dangling references stay visible (the audit's lineage-continuity rule).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import networkx as nx

from lineage.model import Edge, EdgeKind, Node, NodeKind, kind_of
from lineage.serialize import loads, parse_time

PLACEHOLDER = "placeholder"

# a run that started this long after the bound of a provenance (a version's registration) is
# taken as started later; the audit's ``model-has-run`` allows the same clock skew
# (``lineage.audit.rules.RUN_START_SKEW``: a test holds them equal)
RUN_START_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class OutsideHistory:
    """A producer of a data version in a provenance that is not part of that provenance.

    Data is one node per content, so a stage (or run) that made the same bytes at another
    commit is one more producer of the node. A provenance bounded by a version's history
    (:meth:`LineageGraph.provenance_of`) leaves it out and names it here: ``producer`` wrote
    ``data`` at ``commits`` (its defining commits, a run's code commit), which are not in the
    history of the provenance's commits — ``relation`` ``later`` (they descend from one of
    them: the same bytes reproduced later) or ``elsewhere`` (another line of history) — or, a
    run, it started at ``start_time``, after ``until`` (``started_later``). ``history_of``:
    the commits whose history bounded it (their ancestors and themselves); ``depth``: links
    from the root to ``data``."""

    data: str
    producer: str
    relation: str
    commits: tuple[str, ...]
    start_time: str | None
    history_of: tuple[str, ...]
    until: datetime | None
    depth: int

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, "producer": self.producer, "relation": self.relation,
                "commits": list(self.commits), "start_time": self.start_time,
                "history_of": list(self.history_of), "until": self.until}


class Provenance(NamedTuple):
    """:meth:`LineageGraph.provenance_of`: the provenance subgraph, and the producers of its
    data versions left out of it (not in the history it is bounded by)."""

    graph: LineageGraph
    outside: list[OutsideHistory]


# (the commits whose history bounds a walk, None: unbounded; the latest start of a run, None:
# unbounded)
_Bound = tuple[frozenset[str] | None, datetime | None]


class LineageGraph:
    def __init__(self) -> None:
        self._g: nx.MultiDiGraph = nx.MultiDiGraph()

    # -- building -----------------------------------------------------------------------------
    def add(self, items: Iterable[Node | Edge]) -> None:
        for item in items:
            if isinstance(item, Node):
                self.add_node(item)
            else:
                self.add_edge(item)

    def add_node(self, node: Node) -> None:
        """Merge: the new node's attributes overwrite stored ones key by key."""
        g = self._g
        if node.id in g:
            data = g.nodes[node.id]
            data["attrs"] = {**data["attrs"], **node.attrs}
            data["kind"] = node.kind
            data.pop(PLACEHOLDER, None)
        else:
            g.add_node(node.id, kind=node.kind, attrs=dict(node.attrs))

    def _ensure(self, node_id: str) -> None:
        if node_id not in self._g:
            self._g.add_node(node_id, kind=kind_of(node_id), attrs={}, **{PLACEHOLDER: True})

    def add_edge(self, edge: Edge) -> None:
        self._ensure(edge.source)
        self._ensure(edge.target)
        key = edge.kind.value
        g = self._g
        if g.has_edge(edge.source, edge.target, key):
            data = g.edges[edge.source, edge.target, key]
            data["attrs"] = {**data["attrs"], **edge.attrs}
        else:
            g.add_edge(edge.source, edge.target, key=key, kind=edge.kind, attrs=dict(edge.attrs))

    def load_rows(self, node_rows: Iterable[tuple[str, str, str]],
                  edge_rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Bulk load from store rows (id, kind, attrs-json) / (source, target, kind, attrs-json)."""
        # Bulk loading through networkx's per-item API costs ~35 µs a node/edge; filling the
        # MultiDiGraph's adjacency dicts directly (the layout networkx documents for
        # subclasses: _node, _succ, _pred; succ[u][v][key] is pred[v][u][key]) is ~5× faster.
        g = self._g
        if len(g):
            for nid, k, a in node_rows:
                self.add_node(Node.trusted(NodeKind(k), nid, loads(a)))
            for s, t, k, a in edge_rows:
                self.add_edge(Edge.model_construct(kind=EdgeKind(k), source=s, target=t,
                                                   attrs=loads(a)))
            return
        node_kinds = {k.value: k for k in NodeKind}
        edge_kinds = {k.value: k for k in EdgeKind}
        nodes, succ, pred = g._node, g._succ, g._pred
        for nid, k, a in node_rows:
            nodes[nid] = {"kind": node_kinds[k], "attrs": loads(a)}
            succ[nid] = {}
            pred[nid] = {}
        for s, t, k, a in edge_rows:
            for nid in (s, t):
                if nid not in nodes:
                    nodes[nid] = {"kind": kind_of(nid), "attrs": {}, PLACEHOLDER: True}
                    succ[nid] = {}
                    pred[nid] = {}
            keydict = succ[s].get(t)
            if keydict is None:
                keydict = succ[s][t] = pred[t][s] = {}
            keydict[k] = {"kind": edge_kinds[k], "attrs": loads(a)}
        nx._clear_cache(g)

    # -- reading ------------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._g

    def __len__(self) -> int:
        return int(self._g.number_of_nodes())

    @property
    def number_of_edges(self) -> int:
        return int(self._g.number_of_edges())

    def node(self, node_id: str) -> Node:
        data = self._g.nodes[node_id]
        return Node.trusted(data["kind"], node_id, data["attrs"])

    def get(self, node_id: str) -> Node | None:
        return self.node(node_id) if node_id in self._g else None

    def attrs(self, node_id: str) -> dict[str, Any]:
        attrs: dict[str, Any] = self._g.nodes[node_id]["attrs"]
        return attrs

    def kind(self, node_id: str) -> NodeKind:
        kind: NodeKind = self._g.nodes[node_id]["kind"]
        return kind

    def current_repository(self, repo: str) -> str:
        """``repo`` as the repository is named now: the chain of ``superseded_by`` (a remote
        added or changed moved its identity; the former id's facts stay in the trail)
        followed to its end (a cycle, which no harvest writes, stops where it closes)."""
        seen = {repo}
        while repo in self._g:
            after = self._g.nodes[repo]["attrs"].get("superseded_by")
            if not after or after in seen:
                break
            repo = str(after)
            seen.add(repo)
        return repo

    def former_identity_twins(self) -> dict[str, str]:
        """Data and stage nodes harvested under a former identity of their repository → the
        same file version or lock entry under the current one, where the harvest after the
        move wrote it (ids embed the repository: ``data:<repo key>:<path>@<hash>``)."""
        from lineage.ids import repo_key

        moved = {r: self.current_repository(r) for r in self.node_ids(NodeKind.REPOSITORY)
                 if self._g.nodes[r]["attrs"].get("superseded_by")}
        out: dict[str, str] = {}
        if not moved:
            return out
        for nid, d in self._g.nodes(data=True):
            if d["kind"] not in (NodeKind.DATA, NodeKind.STAGE):
                continue
            repo = d["attrs"].get("repository")
            now = moved.get(repo) if repo else None
            if now is None or now == repo:
                continue
            prefix = f"{d['kind'].value}:{repo_key(repo)}:"
            if nid.startswith(prefix):
                twin = f"{d['kind'].value}:{repo_key(now)}:{nid[len(prefix):]}"
                if twin in self._g:
                    out[nid] = twin
        return out

    def is_placeholder(self, node_id: str) -> bool:
        return bool(self._g.nodes[node_id].get(PLACEHOLDER))

    def nodes(self, kind: NodeKind | None = None, *, include_placeholders: bool = True
              ) -> Iterator[Node]:
        for nid, data in self._g.nodes(data=True):
            if kind is not None and data["kind"] != kind:
                continue
            if not include_placeholders and data.get(PLACEHOLDER):
                continue
            yield Node.trusted(data["kind"], nid, data["attrs"])

    def node_ids(self, kind: NodeKind | None = None) -> list[str]:
        return [n for n, d in self._g.nodes(data=True) if kind is None or d["kind"] == kind]

    def edges(self, kind: EdgeKind | None = None) -> Iterator[Edge]:
        for s, t, k, data in self._g.edges(keys=True, data=True):
            if kind is None or k == kind.value:
                yield Edge.model_construct(kind=data["kind"], source=s, target=t,
                                           attrs=data["attrs"])

    def in_edges(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        return [
            Edge.model_construct(kind=d["kind"], source=s, target=t, attrs=d["attrs"])
            for s, t, k, d in self._g.in_edges(node_id, keys=True, data=True)
            if kind is None or k == kind.value
        ]

    def out_edges(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        return [
            Edge.model_construct(kind=d["kind"], source=s, target=t, attrs=d["attrs"])
            for s, t, k, d in self._g.out_edges(node_id, keys=True, data=True)
            if kind is None or k == kind.value
        ]

    def predecessors(self, node_id: str, kind: EdgeKind | None = None,
                     node_kind: NodeKind | None = None) -> list[str]:
        return self._neighbours(self._g._pred.get(node_id), kind, node_kind)

    def successors(self, node_id: str, kind: EdgeKind | None = None,
                   node_kind: NodeKind | None = None) -> list[str]:
        return self._neighbours(self._g._succ.get(node_id), kind, node_kind)

    def _neighbours(self, adj: dict[str, dict[str, Any]] | None, kind: EdgeKind | None,
                    node_kind: NodeKind | None) -> list[str]:
        """The nodes of one side of a node's adjacency (neighbour → edge key → data) linked by
        an edge of ``kind``, of ``node_kind``, sorted (read from networkx's own dicts: the
        edge views cost more than the walk, and renderers ask this per node)."""
        if not adj:
            return []
        k = None if kind is None else kind.value
        found = [n for n, keys in adj.items() if k is None or k in keys]
        if node_kind is not None:
            nodes = self._g._node
            found = [n for n in found if nodes[n]["kind"] == node_kind]
        found.sort()
        return found

    def _walk(self, start: str, upstream: bool, skip: frozenset[str], max_depth: int | None
              ) -> dict[str, int]:
        seen = {start: 0}
        q = deque([start])
        nbrs = self._g.in_edges if upstream else self._g.out_edges
        other = self._g.out_edges if upstream else self._g.in_edges
        same_as = EdgeKind.SAME_AS.value
        while q:
            cur = q.popleft()
            depth = seen[cur]
            if max_depth is not None and depth >= max_depth:
                continue
            for e in nbrs(cur, keys=True):
                if e[2] in skip:
                    continue
                nxt = e[0] if upstream else e[1]
                if nxt not in seen:
                    seen[nxt] = depth + 1
                    q.append(nxt)
            # same_as joins two spellings of one model version: it is walked both ways
            if same_as not in skip:
                for e in other(cur, keys=True):
                    nxt = e[1] if upstream else e[0]
                    if e[2] == same_as and nxt not in seen:
                        seen[nxt] = depth + 1
                        q.append(nxt)
        return seen

    def upstream(self, node_id: str, *, skip_edges: Iterable[EdgeKind] = (),
                 max_depth: int | None = None) -> set[str]:
        """Every node upstream of ``node_id`` (not including it)."""
        seen = self._walk(node_id, True, frozenset(e.value for e in skip_edges), max_depth)
        seen.pop(node_id)
        return set(seen)

    def downstream(self, node_id: str, *, skip_edges: Iterable[EdgeKind] = (),
                   max_depth: int | None = None) -> set[str]:
        seen = self._walk(node_id, False, frozenset(e.value for e in skip_edges), max_depth)
        seen.pop(node_id)
        return set(seen)

    # -- git history --------------------------------------------------------------------------
    def commit_ancestors(self, commit_id: str) -> set[str]:
        """``commit_id`` and every commit it descends from (``parent`` edges only)."""
        if commit_id not in self._g:
            return set()
        pred, parent = self._g.pred, EdgeKind.PARENT.value
        seen = {commit_id}
        stack = [commit_id]
        while stack:
            for p, keys in pred[stack.pop()].items():
                if parent in keys and p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def history_order(self) -> dict[str, int]:
        """Commit node id → its position in one topological order of the git history.

        A commit always comes after its parents (``parent`` edges). Among the commits whose
        parents are all placed, the one with the earlier committer time goes first, then the
        smaller id, so one graph always gives one order (``git log --date-order``, oldest
        first). Commits on a cycle (never in git; only a hand-edited store) come last, by id.
        """
        g = self._g
        commit, parent = NodeKind.COMMIT, EdgeKind.PARENT.value
        waiting: dict[str, int] = {}
        children: dict[str, list[str]] = {}
        for n, d in g.nodes(data=True):
            if d["kind"] != commit:
                continue
            parents = [p for p, keys in g.pred[n].items()
                       if parent in keys and g.nodes[p]["kind"] == commit]
            waiting[n] = len(parents)
            for p in parents:
                children.setdefault(p, []).append(n)

        def key(n: str) -> tuple[str, str]:
            who = g.nodes[n]["attrs"].get("committer") or {}
            return (str(who.get("time") or ""), n)

        ready = [(key(n), n) for n, k in waiting.items() if k == 0]
        heapq.heapify(ready)
        pos: dict[str, int] = {}
        while ready:
            _, n = heapq.heappop(ready)
            pos[n] = len(pos)
            for c in children.get(n, ()):
                waiting[c] -= 1
                if waiting[c] == 0:
                    heapq.heappush(ready, (key(c), c))
        for n in sorted(waiting.keys() - pos.keys()):
            pos[n] = len(pos)
        return pos

    # commit ancestry would pull the whole git history into every provenance answer
    PROVENANCE_SKIP = (EdgeKind.PARENT, EdgeKind.CONTAINS)

    def provenance(self, node_id: str, *, max_depth: int | None = None) -> LineageGraph:
        """The subgraph of everything upstream of ``node_id`` (a model version, data, commit);
        with ``max_depth``, of the nodes at most that many links upstream (0: the node alone).
        Bounded by the history of the node's commits: :meth:`provenance_of`, whose producers
        left out this drops."""
        return self.provenance_of(node_id, max_depth=max_depth).graph

    def provenance_of(self, node_id: str, *, max_depth: int | None = None,
                      at: Iterable[str] = (),
                      run_start_skew: timedelta = RUN_START_SKEW) -> Provenance:
        """Everything upstream of ``node_id`` that its history holds, and the producers left
        out (:class:`OutsideHistory`).

        Commit parent links are not followed: the provenance of a model names the commit it was
        trained from, not that commit's whole history. ``same_as`` links (the same version in
        two registries) are followed both ways, so either spelling shows the whole chain.

        Data is one node per content: the stage of a later commit that made the same bytes
        again is a producer of the same node, and its inputs (data that did not exist yet)
        would read as inputs of an older version. So the walk is bounded by history: a model
        version by the commits it was registered at (``tagged``, its ``commit``, of every
        ``same_as`` spelling) and its registration time (the earliest ``created_at``); a run
        by its code commits and its start; the root, when it is data or a stage, by its
        defining commits (``defines``, ``first_commit``/``commit``), a commit by itself, and
        by the commits ``at`` too (the checkout a data path was read from). Each model version
        and run met on the way bounds what is upstream of it; other nodes take the bound of
        the node they were reached from (of all of them, when reached along several paths).
        Within a bound, a data version's producers — stages by their defining commits, runs
        by their code commits — and the commits that define it or a stage are followed only
        when those commits are the bounding commits or their ancestors (``parent`` edges);
        a run also only when it started no more than ``run_start_skew`` after the bounding
        time. A producer known by no harvested commit, and anything under no bound (a record,
        a version with no commit nor time), is followed as before.
        """
        anc_memo: dict[str, set[str]] = {}

        def anc(c: str) -> set[str]:
            if c not in anc_memo:
                anc_memo[c] = self.commit_ancestors(c)
            return anc_memo[c]

        desc_memo: dict[frozenset[str], set[str]] = {}

        def descendants(bound: frozenset[str]) -> set[str]:
            """The commits made after ``bound`` on its lines of history (one walk a bound:
            a data version made again at many later commits asks it for each)."""
            if bound not in desc_memo:
                succ, parent = self._g.succ, EdgeKind.PARENT.value
                seen, stack = set(bound), list(bound)
                while stack:
                    for c, keys in succ[stack.pop()].items():
                        if parent in keys and c not in seen:
                            seen.add(c)
                            stack.append(c)
                desc_memo[bound] = seen
            return desc_memo[bound]

        def harvested(ids: Iterable[str]) -> list[str]:
            return [c for c in ids if c in self._g and not self.is_placeholder(c)
                    and self.kind(c) == NodeKind.COMMIT]

        def commit_ids(shas: Iterable[Any]) -> list[str]:
            return [f"commit:{str(s).lower()}" for s in shas if isinstance(s, str) and s]

        def defining(n: str) -> list[str]:
            a = self.attrs(n)
            return harvested({*self.predecessors(n, EdgeKind.DEFINES),
                              *commit_ids((a.get("first_commit"), a.get("commit")))})

        def code(run: str) -> list[str]:
            return harvested({*self.predecessors(run, EdgeKind.CODE),
                              *commit_ids((self.attrs(run).get("commit"),))})

        def own(n: str, inherited: _Bound) -> _Bound:
            kind = self.kind(n)
            if kind == NodeKind.MODEL:
                twins = self._walk(n, True, frozenset(
                    k.value for k in EdgeKind if k != EdgeKind.SAME_AS), None)
                commits = harvested({c for m in twins if self.kind(m) == NodeKind.MODEL
                                     for c in (*self.predecessors(m, EdgeKind.TAGGED),
                                               *commit_ids((self.attrs(m).get("commit"),)))})
                times = [t for m in twins if self.kind(m) == NodeKind.MODEL
                         and (t := parse_time(self.attrs(m).get("created_at"))) is not None]
                return (frozenset(commits) if commits else inherited[0],
                        min(times) if times else inherited[1])
            if kind == NodeKind.RUN:
                commits = code(n)
                start = parse_time(self.attrs(n).get("start_time"))
                return (frozenset(commits) if commits else inherited[0],
                        start if start is not None else inherited[1])
            return inherited

        def merge(a: _Bound, b: _Bound) -> _Bound:
            commits = None if a[0] is None or b[0] is None else a[0] | b[0]
            until = None if a[1] is None or b[1] is None else max(a[1], b[1])
            return commits, until

        def in_history(commits: Iterable[str], bound: frozenset[str]) -> bool:
            return any(c in anc(b) for c in commits for b in bound)

        root_bound: _Bound = (None, None)
        kind = self.kind(node_id)
        if kind in (NodeKind.MODEL, NodeKind.RUN):
            root_bound = own(node_id, root_bound)
        anchors = harvested(at)
        if kind in (NodeKind.DATA, NodeKind.STAGE):
            anchors += defining(node_id)
        elif kind == NodeKind.COMMIT:
            anchors += harvested([node_id])
        if anchors:
            root_bound = (frozenset(anchors) | (root_bound[0] or frozenset()), root_bound[1])

        def judge(n: str, e_kind: str, source: str, bound: _Bound
                  ) -> tuple[str, tuple[str, ...], str | None] | None:
            """Why the edge ``source`` → ``n`` is outside ``bound``: (relation, commits,
            start); None when it is followed."""
            commits, until = bound
            if e_kind == EdgeKind.DEFINES.value:
                if commits is not None and self.kind(n) in (NodeKind.DATA, NodeKind.STAGE) \
                        and source in self._g and self.kind(source) == NodeKind.COMMIT \
                        and not self.is_placeholder(source) \
                        and not in_history([source], commits):
                    return "defines", (source,), None
                return None
            if e_kind != EdgeKind.OUTPUT.value:
                return None
            skind = self.kind(source)
            mine = defining(source) if skind == NodeKind.STAGE else \
                code(source) if skind == NodeKind.RUN else []
            raw = self.attrs(source).get("start_time") if skind == NodeKind.RUN else None
            began = None if raw is None else str(raw)
            if commits is not None and mine and not in_history(mine, commits):
                later = any(c in descendants(commits) for c in mine)
                return ("later" if later else "elsewhere"), tuple(sorted(mine)), began
            start = parse_time(raw)
            if until is not None and start is not None and start > until + run_start_skew:
                return "started_later", tuple(sorted(mine)), began
            return None

        state: dict[str, tuple[_Bound, int]] = {node_id: (root_bound, 0)}
        q = deque([node_id])
        same_as = EdgeKind.SAME_AS.value
        skip = {e.value for e in self.PROVENANCE_SKIP}
        g = self._g
        while q:
            cur = q.popleft()
            bound, depth = state[cur]
            if max_depth is not None and depth >= max_depth:
                continue
            nxt: list[str] = []
            for s, _, k in g.in_edges(cur, keys=True):
                if k not in skip and judge(cur, k, s, bound) is None:
                    nxt.append(s)
            # same_as joins two spellings of one model version: it is walked both ways
            nxt += [t for _, t, k in g.out_edges(cur, keys=True) if k == same_as]
            for s in nxt:
                b = own(s, bound) if self.kind(s) in (NodeKind.MODEL, NodeKind.RUN) else bound
                before = state.get(s)
                after = (b, depth + 1) if before is None else (
                    merge(before[0], b), min(before[1], depth + 1))
                if after != before:
                    state[s] = after
                    q.append(s)

        outside: list[OutsideHistory] = []
        dropped: list[tuple[str, str, str]] = []
        for n, (bound, depth) in state.items():
            if max_depth is not None and depth >= max_depth:
                continue
            for s, _, k in g.in_edges(n, keys=True):
                if k in skip or (why := judge(n, k, s, bound)) is None:
                    continue
                dropped.append((s, n, k))
                if why[0] != "defines":
                    outside.append(OutsideHistory(
                        n, s, why[0], why[1], why[2],
                        tuple(sorted(bound[0] or ())), bound[1], depth))
        sub = self.subgraph(state)
        sub._g.remove_edges_from([e for e in dropped if sub._g.has_edge(*e)])
        outside.sort(key=lambda o: (o.depth, o.data, o.producer))
        return Provenance(sub, outside)

    def subgraph(self, ids: Iterable[str]) -> LineageGraph:
        sub = LineageGraph()
        sub._g = self._g.subgraph(ids).copy()
        return sub

    # -- export -------------------------------------------------------------------------------
    def to_node_link(self) -> dict[str, Any]:
        """Deterministic node-link JSON: every node with kind, id, attrs; every edge."""
        nodes = []
        for nid in sorted(self._g.nodes):
            d = self._g.nodes[nid]
            entry: dict[str, Any] = {"id": nid, "kind": str(d["kind"]), "attrs": d["attrs"]}
            if d.get(PLACEHOLDER):
                entry[PLACEHOLDER] = True
            nodes.append(entry)
        edges = [
            {"kind": k, "source": s, "target": t, "attrs": d["attrs"]}
            for s, t, k, d in sorted(self._g.edges(keys=True, data=True), key=lambda e: e[:3])
        ]
        return {"directed": True, "multigraph": True, "nodes": nodes, "edges": edges}

    @classmethod
    def from_node_link(cls, data: dict[str, Any]) -> LineageGraph:
        g = cls()
        for n in data["nodes"]:
            if n.get(PLACEHOLDER):
                g._ensure(n["id"])
            else:
                g.add_node(Node.trusted(NodeKind(n["kind"]), n["id"], n.get("attrs", {})))
        for e in data["edges"]:
            g.add_edge(Edge.model_construct(kind=EdgeKind(e["kind"]), source=e["source"],
                                            target=e["target"], attrs=e.get("attrs", {})))
        return g

    def count_by_kind(self) -> dict[str, dict[str, int]]:
        nodes: dict[str, int] = {}
        for _, d in self._g.nodes(data=True):
            nodes[str(d["kind"])] = nodes.get(str(d["kind"]), 0) + 1
        edges: dict[str, int] = {}
        for _, _, k in self._g.edges(keys=True):
            edges[k] = edges.get(k, 0) + 1
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}

    @property
    def nx(self) -> nx.MultiDiGraph:
        """The underlying networkx graph (read-only use; for algorithms not wrapped here)."""
        return self._g


__all__ = ["RUN_START_SKEW", "LineageGraph", "OutsideHistory", "Provenance"]
