"""`lineage audit`: completeness-gap rules over the lineage graph, policy as code, reports.

>>> from lineage.audit import run_audit, resolve_policy
>>> policy, where = resolve_policy(repo_root)
>>> report = run_audit(store, policy)          # a Store, a LineageGraph or an AuditIndex
>>> [f.rule for f in report.findings]

Pure: no I/O besides reading the policy file. Rules live in :mod:`lineage.audit.rules`, one
function each, registered with :func:`lineage.audit.registry.rule`.
"""

from lineage.audit.engine import AuditContext, AuditReport, Check, Finding, Outcome, run_audit
from lineage.audit.index import AuditIndex, build_index
from lineage.audit.policy import (
    DEFAULT_POLICY,
    Policy,
    Waiver,
    load_policy,
    parse_policy,
    resolve_policy,
)
from lineage.audit.registry import RULES, RuleSpec, rule

__all__ = [
    "DEFAULT_POLICY", "RULES", "AuditContext", "AuditIndex", "AuditReport", "Check", "Finding", "Outcome",
    "Policy", "RuleSpec", "Waiver", "build_index", "load_policy", "parse_policy",
    "resolve_policy", "rule", "run_audit",
]
