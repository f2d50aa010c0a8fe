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
from typing import Any

import networkx as nx

from lineage.model import Edge, EdgeKind, Node, NodeKind, kind_of
from lineage.serialize import loads

PLACEHOLDER = "placeholder"


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

        Commit parent links are not followed: the provenance of a model names the commit it was
        trained from, not that commit's whole history. ``same_as`` links (the same version in
        two registries) are followed both ways, so either spelling shows the whole chain.
        """
        keep = self.upstream(node_id, skip_edges=self.PROVENANCE_SKIP,
                             max_depth=max_depth) | {node_id}
        return self.subgraph(keep)

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


__all__ = ["LineageGraph"]
