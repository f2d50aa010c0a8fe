"""What a catalog may call approved: the audit's own verdict, shared by every sink.

A deployment is *approved* when none of the audit's approval rules (:data:`GATE_RULES`, those
the policy enables at the tiers it applies them to) finds it, as ``lineage audit`` reports
them over the same index, policy and clock; a waived finding grants nothing (the policy
accepts the gap; it is no approval). A version running somewhere is approved in an
environment when every live deployment there is; in an environment it ran in and runs in no
more, when the audit approved every deployment it had there (a deployment's approval is
decided when it is made, and retiring it leaves the audit's finding on it in place; see
docs/datahub.md, "Approval status"; docs/atlas.md). An environment it runs in where the
audit judged none of its live deployments, or approved some while not judging the others (a
tier the policy exempts, both rules off), is *not checked*: the audit grants nothing there,
and refuses nothing either; so is a deployment the audit counts (made by its clock, not
superseded) that no approval rule judged (:func:`deployment_status`), live or retired, and an
environment the version ran in where the audit judged none of its deployments.

The words are the audit's: *approved* and *unapproved* (the audit's remediation calls a
deployment with no approval that counts unapproved, its finding "deployed … with no approval
on record"), *not checked*. A version no approval decision speaks for is :data:`NO_DECISION`,
``unapproved``, in both catalogs: the audit holds no approval for it, and knows of nothing it
waits for (it has no *pending*).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext

# the audit rules that judge whether a deployment is approved
GATE_RULES = ("deployment-approved", "four-eyes")

APPROVED = "approved"
UNAPPROVED = "unapproved"
# a deployment the audit counts that none of GATE_RULES judged; an environment so run in
NOT_CHECKED = "not checked"
# the status of a version no approval decision speaks for (none, or none where it runs
# unchecked): no approval on record is unapproved, as the audit words it
NO_DECISION = UNAPPROVED


def deployment_gate(audit: AuditContext) -> dict[str, bool]:
    """Deployment node id → whether the audit grants it its approval: no finding of
    :data:`GATE_RULES` the policy applies to it. Deployments no such rule checked (not made
    yet, superseded, a tier the policy exempts) are absent; so is everything when the policy
    turns both rules off. Runs the rules once: callers keep the result."""
    if not audit.idx.ids("deployment"):
        return {}
    from lineage.audit import run_audit
    from lineage.audit.registry import RULES

    policy = audit.policy
    rules = [r for r in GATE_RULES if r in RULES
             and (policy.rules.get(r) is None or policy.rules[r].enabled)]
    if not rules:
        return {}
    report = run_audit(audit.idx, policy, now=audit.now, rules=rules)
    out: dict[str, bool] = {}
    for check in report.checks:
        out[check.subject] = out.get(check.subject, True) and check.finding is None
    return out


def deployment_status(audit: AuditContext, gate: dict[str, bool], deployment: str,
                      version: str | None) -> str | None:
    """A deployment's own approval status, by the audit's verdict (``gate``:
    :func:`deployment_gate`; ``version``: the class of the version it deploys,
    :meth:`AuditContext.version_of`): :data:`APPROVED` or :data:`UNAPPROVED` when an approval
    rule judged it; :data:`NOT_CHECKED` when the audit counts it as a deployment of the
    version (made by its clock, not superseded: live or retired) and no rule judged it (a
    tier the policy exempts, both rules off) — whatever approvals are on record, the audit did
    not check it against them, as the version's environment says (:func:`environment_labels`);
    None when the audit does not count it as a deployment (not made yet by its clock,
    superseded, of no version it knows): it gives no verdict there."""
    if deployment in gate:
        return APPROVED if gate[deployment] else UNAPPROVED
    if version is not None and version in audit.members \
            and deployment in audit.deployments(version):
        return NOT_CHECKED
    return None


def _live_verdicts(audit: AuditContext, gate: dict[str, bool], version: str
                   ) -> dict[str, bool | None]:
    """Environment the version class ``version`` runs in → False when the audit refuses a
    live deployment there, True when it grants every one its approval, None otherwise (it
    judged none, or not all of them)."""
    live: dict[str, list[bool | None]] = {}
    for d in audit.deployments(version):
        if audit.active(d):
            env = str(audit.idx.a(d).get("environment"))
            live.setdefault(env, []).append(gate.get(d))
    out: dict[str, bool | None] = {}
    for env, verdicts in sorted(live.items()):
        out[env] = False if False in verdicts else (True if None not in verdicts else None)
    return out


def environment_gate(audit: AuditContext, gate: dict[str, bool], version: str | None
                     ) -> dict[str, bool]:
    """Environment → whether the audit grants every live deployment of the version class
    ``version`` there its approval (``gate``: :func:`deployment_gate`): False when it refuses
    any, True when it judged each one and refuses none; environments it runs in only, and
    not those :func:`unchecked_environments` lists."""
    if version is None or not gate:
        return {}
    return {env: yes for env, yes in _live_verdicts(audit, gate, version).items()
            if yes is not None}


def unchecked_environments(audit: AuditContext, gate: dict[str, bool], version: str | None
                           ) -> list[str]:
    """The environments the version class ``version`` runs in (a live deployment there) on
    which the audit gives no verdict: it refuses none of its live deployments there and
    judged not every one (a tier the policy exempts from both rules, both rules off;
    ``gate``: :func:`deployment_gate`). The version runs there unchecked: neither approved
    nor unapproved by the audit, and never *not deployed*."""
    if version is None:
        return []
    return [env for env, yes in _live_verdicts(audit, gate, version).items() if yes is None]


def retired_environment_gate(audit: AuditContext, gate: dict[str, bool], version: str | None
                             ) -> dict[str, bool | None]:
    """Environment → the audit's verdict on the deployments the version class ``version`` had
    there, for the environments it ran in and runs in no more (every deployment there retired
    by the audit's clock; ``gate``: :func:`deployment_gate`): True when the audit grants each
    one it judged its approval, False when it refuses any, None when it judged none (a tier
    the policy exempts, both rules off). The same reading as :func:`environment_gate` for
    live ones: a deployment's approval is decided when it is made, and a retirement leaves
    the audit's finding on it in place."""
    if version is None:
        return {}
    ran: dict[str, list[str]] = {}
    live: set[str] = set()
    for d in audit.deployments(version):
        env = str(audit.idx.a(d).get("environment"))
        if audit.active(d):
            live.add(env)
        else:
            ran.setdefault(env, []).append(d)
    out: dict[str, bool | None] = {}
    for env in sorted(set(ran) - live):
        judged = [gate[d] for d in ran[env] if d in gate]
        out[env] = all(judged) if judged else None
    return out


def environment_labels(live: dict[str, bool], retired: dict[str, bool | None],
                       unchecked: list[str], named: set[str], everywhere: bool
                       ) -> tuple[list[str], list[str]]:
    """A version's approval per environment, and its approved environments, as both catalogs
    show them (docs/datahub.md, "Approval status"). ``live``: :func:`environment_gate`;
    ``retired``: :func:`retired_environment_gate`; ``unchecked``:
    :func:`unchecked_environments`; ``named``: the environments the approvals in force name,
    ``everywhere``: one of them is for every environment.

    Labels, one per environment: ``<env>: approved`` / ``<env>: unapproved`` where it runs
    (the audit's verdict on its live deployments there); ``<env>: approved, retired`` /
    ``<env>: unapproved, retired`` where it ran and runs no more; where the audit judged none
    (or not all) of its deployments, ``not checked``: ``<env>: approved, not checked`` where it
    runs and ``<env>: approved, not checked, retired`` where it ran, when an approval in force
    names the environment, else ``<env>: not checked, deployed`` / ``<env>: not checked,
    retired``; ``<env>: approved, not deployed`` where it never ran and an approval in force
    names it. Approved environments: those the audit approved (live or retired), and those
    it did not judge (never ran, not checked) that an approval in force names."""
    judged = {**{e: yes for e, yes in retired.items() if yes is not None}, **live}
    unjudged = [e for e, yes in retired.items() if yes is None and e not in live]

    def approved_there(env: str) -> bool:
        return everywhere or env in named

    labels = [f"{e}: {APPROVED if yes else UNAPPROVED}" for e, yes in live.items()]
    labels += [f"{e}: {APPROVED if yes else UNAPPROVED}, retired"
               for e, yes in judged.items() if e not in live]
    labels += [f"{e}: {APPROVED}, {NOT_CHECKED}" if approved_there(e)
               else f"{e}: {NOT_CHECKED}, deployed" for e in unchecked]
    labels += [f"{e}: {APPROVED}, {NOT_CHECKED}, retired" if approved_there(e)
               else f"{e}: {NOT_CHECKED}, retired" for e in unjudged]
    seen = set(judged) | set(unchecked) | set(unjudged)
    labels += [f"{e}: {APPROVED}, not deployed" for e in named if e not in seen]
    envs = {e for e, yes in judged.items() if yes}
    envs |= {e for e in [*unchecked, *unjudged] if approved_there(e)}
    envs |= {e for e in named if e not in seen}
    return sorted(labels), sorted(envs)


__all__ = ["APPROVED", "GATE_RULES", "NOT_CHECKED", "NO_DECISION", "UNAPPROVED",
           "deployment_gate", "deployment_status", "environment_gate", "environment_labels",
           "retired_environment_gate", "unchecked_environments"]
