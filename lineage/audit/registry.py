"""The rule registry: ``@rule(...)`` on a function registers an audit rule.

Writing a rule
--------------
A rule is a function ``(ctx: AuditContext) -> Iterable[Outcome]`` decorated with :func:`rule`.
It yields one :class:`Outcome` per subject it checked — ``ctx.passed(...)`` or
``ctx.failed(...)`` — with the subject's risk tier; the engine drops subjects whose tier the
policy does not apply the rule to, sets the severity, applies waivers and filters. The
decorator carries what a report needs: title, the EU AI Act articles and ISO/IEC 42001
controls the rule serves (informative, not legal advice), the default tiers and severities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lineage.serialize import parse_time as parse_time  # (the rules read times with it)

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext, Outcome

RuleFn = Callable[["AuditContext"], Iterable["Outcome"]]

ALL_TIERS = ("unacceptable", "high", "limited", "minimal", "unassessed")
# clock skew tolerated between the machine that dates a governance record and the one that
# writes it to the store: a record dated later than that after its writing is future-dated
RECORD_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    articles: tuple[str, ...]
    controls: tuple[str, ...]
    tiers: tuple[str, ...]
    severity: dict[str, str]
    description: str
    fn: RuleFn

    @property
    def serves(self) -> str:
        return "; ".join((*self.articles, *self.controls))


RULES: dict[str, RuleSpec] = {}


def rule(rule_id: str, title: str, *, articles: Iterable[str], controls: Iterable[str],
         severity: dict[str, str], tiers: Iterable[str] = ALL_TIERS,
         ) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` as audit rule ``rule_id`` (its docstring is the rule's description)."""

    def wrap(fn: RuleFn) -> RuleFn:
        if rule_id in RULES:
            raise ValueError(f"audit rule {rule_id!r} registered twice")
        RULES[rule_id] = RuleSpec(rule_id, title, tuple(articles), tuple(controls),
                                  tuple(tiers), dict(severity),
                                  " ".join((fn.__doc__ or "").split()), fn)
        return fn

    return wrap


def short(node_id: str) -> str:
    """``model:churn@v1`` → ``churn@v1``; ids of other kinds are printed whole."""
    return node_id.split(":", 1)[1] if node_id.startswith(("model:", "model_group:")) else node_id


__all__ = ["ALL_TIERS", "RECORD_SKEW", "RULES", "RuleSpec", "parse_time", "rule", "short"]
