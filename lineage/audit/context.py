"""The audit's reading of governance for code outside ``lineage audit``: the sinks (DataHub,
Atlas) and the DataHub ingestion source render the tier in force, approval standing,
deployment state and corrections from :meth:`AuditContext.explain`, so a catalog never says
otherwise than ``lineage audit`` and ``lineage show``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lineage.model import NodeKind

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext
    from lineage.audit.index import AuditIndex
    from lineage.audit.policy import Policy
    from lineage.graph import LineageGraph
    from lineage.store import Store

# the nodes governance state is read from: versions, registered models, deployments and the
# governance records
RECORD_NODE_KINDS = (NodeKind.MODEL, NodeKind.MODEL_GROUP, NodeKind.DEPLOYMENT,
                     NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT, NodeKind.RETRAINING,
                     NodeKind.ALERT, NodeKind.DOCUMENT)


def audit_context(source: LineageGraph | Store | AuditIndex, now: datetime | None = None,
                  policy: Policy | None = None) -> AuditContext:
    """The audit's context over ``source`` (a graph, a store or an index), as ``lineage
    audit`` builds it: the store's index carries when each record was written, which the
    audit reads (a date later than its writing is no evidence, a correction written before
    what it names corrects nothing). ``policy``: the built-in default when not given."""
    from lineage.audit.engine import AuditContext
    from lineage.audit.index import build_index
    from lineage.audit.policy import resolve_policy

    return AuditContext(build_index(source), policy or resolve_policy(None)[0],
                        now or datetime.now(UTC))


def push_context(graph: LineageGraph, store: Store | None, repo_path: Any = None,
                 config: Any = None) -> AuditContext:
    """The audit's context as ``lineage audit`` builds it for a push of ``graph``: the
    store's index (it knows when each record was written) and the policy in force in the
    repository; the graph's own index, with the store's record times, when the graph is not
    the store's (a record of it the store lacks); the graph's alone without a store."""
    from lineage.audit.index import build_index
    from lineage.audit.policy import resolve_policy

    policy = resolve_policy(repo_path, None, getattr(config, "policy", None))[0]
    if store is None:
        return audit_context(graph, policy=policy)
    idx = build_index(store)
    if any(n.id not in idx.attrs and not graph.is_placeholder(n.id)
           for kind in RECORD_NODE_KINDS for n in graph.nodes(kind)):
        recorded = idx.recorded
        idx = build_index(graph)
        idx.recorded = {k: v for k, v in recorded.items() if k in idx.attrs}
    return audit_context(idx, policy=policy)


__all__ = ["RECORD_NODE_KINDS", "audit_context", "push_context"]
