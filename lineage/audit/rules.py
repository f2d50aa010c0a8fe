"""The built-in audit rules (DESIGN §5). One function per rule; see :mod:`registry` for how to
write one. Article / control mappings are informative, not legal advice.

Severity maps are keyed by risk tier ("unassessed" = no risk assessment, or no model at all).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from lineage.audit.index import REF_ATTRS, Checkout, Clone, ref_id
from lineage.audit.registry import RECORD_SKEW, RULES, parse_time, rule, short
from lineage.ids import deployment_id, legacy_deployment_id

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext, Existed, Named, Outcome

_SEV_GATE = {"unacceptable": "critical", "high": "critical", "limited": "high",
             "minimal": "medium", "unassessed": "high"}
_SEV_TRACE = {"unacceptable": "high", "high": "high", "limited": "medium", "minimal": "low",
              "unassessed": "medium"}
_ACCEPTING = ("approved", "conditional")
# how long after its model version was registered a run may have started and still be the run
# that produced it: clock skew between the machine that logged the run and the one that
# registered the version (a CI runner, a laptop). The joins allow the same when they credit an
# OpenLineage run with a version (RECORD_SKEW): one tolerance for both.
RUN_START_SKEW = RECORD_SKEW
TIER_RANK = {t: i for i, t in enumerate(("unassessed", "minimal", "limited", "high",
                                         "unacceptable"))}


class Person(NamedTuple):
    """One spelling of a person: a full email address (lower case) and the bare names it
    answers to (a display name; an email's local part)."""

    email: str | None
    names: frozenset[str]


# an email address anywhere in a spelling of a person, with or without ``mailto:``: ``Carl
# <carl@example.com>``, ``carl@example.com (Carl)``, ``Carl (carl@example.com)``
_EMAIL = re.compile(r"(?:mailto:)?([^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+)")
_AROUND = " \t<>()[]\"',;"


def person(value: str | None, name: str | None = None) -> Person | None:
    """``carl@example.com``, ``Carl <carl@example.com>``, ``carl``; also ``mailto:`` and the
    comment forms ``carl@example.com (Carl)`` and ``Carl (carl@example.com)``, which name the
    same person (the author approving their own code under another spelling is still the
    author); a commit author gives ``value`` = email and ``name``."""
    v = (value or "").strip().lower()
    bare = {n for n in ((name or "").strip().lower(),) if n}
    email = None
    m = _EMAIL.search(v)
    if m is not None:
        email = m.group(1).rstrip(".")
        bare.add(email.split("@", 1)[0])
        shown = f"{v[:m.start()]} {v[m.end():]}".strip(_AROUND)
        if shown:
            bare.add(" ".join(shown.split()).strip(_AROUND))
    elif v:
        bare.add(v)
    if email is None and not bare:
        return None
    return Person(email, frozenset(bare))


def same_person(a: Person, b: Person) -> bool:
    """Two full email addresses are one person only when equal (``ada@example.com`` is not
    ``ada@contractor.org``); a bare name is the person whose display name or email local part
    it is (``carl`` is ``carl@example.com``)."""
    if a.email is not None and b.email is not None:
        return a.email == b.email
    return bool(a.names & b.names)


def _people(values: list[str]) -> list[int]:
    """For each spelling, the index of the first one naming the same person; spellings joined
    through a bare name (``carl`` ~ ``carl@a.org``, ``carl`` ~ ``carl@b.org``) count as one,
    so a gate never counts one person twice."""
    ps = [person(v) or Person(None, frozenset({""})) for v in values]
    root = list(range(len(ps)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i in range(len(ps)):
        for j in range(i):
            if same_person(ps[i], ps[j]):
                a, b = find(i), find(j)
                root[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(ps))]


def _approvals_for(ctx: AuditContext, version: str, deployment: str,
                   superseded: bool = False) -> list[str]:
    """Approvals that name this version (any registry's spelling) for the deployment's
    environment (or for every environment), or the deployment itself; the ones a correction
    superseded only with ``superseded``."""
    env = ctx.idx.a(deployment).get("environment")
    out = set(ctx.linked([deployment], "approval", "approves", "model", superseded=superseded))
    wrong = {ap for ap, _ in _misdirected(ctx, version, deployment)}
    out -= wrong
    for ap in ctx.linked(ctx.members[version], "approval", "approves", "model",
                         superseded=superseded):
        ap_env = ctx.idx.a(ap).get("environment")
        if (ap_env is None or ap_env == env) and ap not in wrong:
            out.add(ap)
    return sorted(out)


def _for_other_deployments(ctx: AuditContext, version: str,
                           deployment: str) -> list[tuple[str, str]]:
    """Approvals of the version for the deployment's environment (or for every environment)
    that are for one deployment (``--deployment``) other than this one: an approval of the
    canary deployment does not approve the prod one. An approval for another environment is
    not said: it never counted here (a prod approval is no news on a staging deployment)."""
    env = ctx.idx.a(deployment).get("environment")
    out = []
    for ap in ctx.linked(ctx.members[version], "approval", "approves", "model",
                         superseded=True):
        ap_env = ctx.idx.a(ap).get("environment")
        deps = sorted(t for t, _ in ctx.idx.targets(ap, "approves")
                      if t.startswith("deployment:"))
        if deps and deployment not in deps and ap_env in (None, env):
            out.append((ap, f"approval {_rid(ap)} is for another deployment "
                            f"({', '.join(deps)})"))
    return out


def _foreign_corrections(ctx: AuditContext, approvals: list[str]) -> list[tuple[str, str]]:
    """Corrections (``supersedes``) of these approvals by other people, which correct
    nothing: (the correction, why)."""
    out = []
    for ap in approvals:
        for c in sorted(ctx.foreign_approver.get(ap, ())):
            out.append((c, f"approval {_rid(c)} by {ctx.idx.a(c).get('approver')} names "
                           f"{_rid(ap)} as the approval it corrects, but {_rid(ap)} is "
                           f"{ctx.idx.a(ap).get('approver')}'s decision: only they may "
                           "correct it"))
    return out


def _misdirected(ctx: AuditContext, version: str, deployment: str) -> list[tuple[str, str]]:
    """Approvals naming the deployment that approve another version or environment (an
    approval of churn@v1.0.0 does not approve the credit@v1.1.0 deployment it names), and
    approvals of the version for another deployment (:func:`_for_other_deployments`)."""
    env = ctx.idx.a(deployment).get("environment")
    out = _for_other_deployments(ctx, version, deployment)
    for ap in ctx.linked([deployment], "approval", "approves", "model", superseded=True):
        a = ctx.idx.a(ap)
        model = a.get("model")
        if isinstance(model, str) and ctx.version_of(model) != version:
            out.append((ap, f"approval {_rid(ap)} names the deployment but approves "
                            f"{short(model)}"))
        elif a.get("environment") is not None and a.get("environment") != env:
            out.append((ap, f"approval {_rid(ap)} names the deployment but approves "
                            f"{short(version)} for {a.get('environment')}"))
    return sorted(out)


# the stricter decision wins when one approver decided twice at the same instant
_DECISION_RANK = {"approved": 0, "conditional": 1}


def _rid(node: str) -> str:
    return node.split(":", 1)[1] if ":" in node else node


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else "undated"


def _premature(ctx: AuditContext, version: str | None, approval: str,
               decided: datetime, deployed: datetime | None = None) -> str | None:
    """Why an approving decision does not count because it was decided before the version
    it approves existed (:meth:`AuditContext.version_since`, beyond :data:`RECORD_SKEW`),
    else None: an approver cannot have reviewed a model not made yet, and a version number
    approved in advance says nothing of the content later registered under it. For a
    deployment (``deployed``) made after a registration tag moved the version to other
    content, the version exists from the evidence of that content."""
    if version is None or str(ctx.idx.a(approval).get("decision", "approved")) not in _ACCEPTING:
        return None
    since = ctx.version_since(version, deployed)
    if since is None or decided + RECORD_SKEW >= since.at:
        return None
    return (f"approval {_rid(approval)} was decided {_when(decided)}, before "
            f"{_what_existed(ctx, version, deployed)} existed (first evidence: {since.what}, "
            f"{_when(since.at)})")


def _other_bytes_seen(ctx: AuditContext, version: str | None, approval: str,
                      decided: datetime, deployed: datetime) -> str | None:
    """Why an approving decision does not count for a deployment because the version named
    other bytes when it was decided (:meth:`AuditContext.other_bytes`: a registration tag
    moved A → B → A, approved while it named B, deployed once it named A again), else None:
    the approver reviewed the bytes they saw, not the ones deployed."""
    if version is None or str(ctx.idx.a(approval).get("decision", "approved")) not in _ACCEPTING:
        return None
    other = ctx.other_bytes(version, decided, deployed)
    if other is None:
        return None
    seen, shipped = other
    return (f"approval {_rid(approval)} was decided while {short(version)} named other bytes "
            f"({_bytes(seen)}; decided {_when(decided)}) than the ones deployed "
            f"({_bytes(shipped)})")


def _bytes(named: Named) -> str:
    """``commit 9c0dc14cdfbc, artifact md5:…`` (the artifact when known)."""
    art = f", artifact {', '.join(sorted(named.hashes))}" if named.hashes else ""
    return f"commit {named.commit[:12]}{art}"


def _what_existed(ctx: AuditContext, version: str, deployed: datetime | None) -> str:
    """``churn@v2.0.0``, or, deployed after its registration tag moved it to other content,
    ``churn@v2.0.0's current artifact md5:…``."""
    hashes = ctx.artifact(version).hashes
    if ctx.made_current(version, deployed) and hashes:
        return f"{short(version)}'s current artifact {', '.join(sorted(hashes))}"
    return short(version)


def _in_advance(ctx: AuditContext, version: str, deployment: str) -> list[tuple[str, str]]:
    """The approvals of the version for the deployment, decided before it, that do not count
    because they were decided before the version existed: (approval, why)."""
    deployed = ctx.deployed_at(deployment)
    out = []
    for ap in _approvals_for(ctx, version, deployment):
        decided = ctx.trusted_time(ap, "decided_at")
        if decided is not None and decided <= deployed and (
                why := _premature(ctx, version, ap, decided, deployed)) is not None:
            out.append((ap, why))
    return out


def _of_other_bytes(ctx: AuditContext, version: str, deployment: str) -> list[tuple[str, str]]:
    """The approvals of the version for the deployment, decided before it, that do not count
    because the version named other bytes then (:func:`_other_bytes_seen`): (approval, the
    commit its tag named when it was decided)."""
    deployed = ctx.deployed_at(deployment)
    out = []
    for ap in _approvals_for(ctx, version, deployment):
        decided = ctx.trusted_time(ap, "decided_at")
        if decided is not None and decided <= deployed and _premature(
                ctx, version, ap, decided, deployed) is None and _other_bytes_seen(
                ctx, version, ap, decided, deployed) is not None:
            seen = ctx.content_at(version, decided)
            assert seen is not None
            out.append((ap, f"commit:{seen.commit}"))
    return out


def _decide(ctx: AuditContext, approvals: list[str], deployment: str,
            version: str | None = None) -> tuple[list[str], list[str]]:
    """The approvals that count for a deployment of ``version``, and why each other one does
    not.

    What counts for an approver is their latest decision dated before the deployment (its
    date as :meth:`AuditContext.deployed_at` takes it: when it was recorded, if that is
    earlier or it has none): a later rejection withdraws their earlier approvals, a later
    approval (or conditional approval) replaces an earlier rejection. Decisions dated after
    the deployment, undated ones and ones dated after they were recorded do not count, nor
    do approvals decided before the version existed (:func:`_premature`) or while it named
    other bytes than the ones deployed (:func:`_other_bytes_seen`)."""
    deployed = ctx.deployed_at(deployment)
    why: list[str] = []
    by_approver: dict[str, list[tuple[datetime, int, str]]] = {}
    dated: list[tuple[str, datetime, str]] = []
    for ap in approvals:
        a = ctx.idx.a(ap)
        decided = ctx.trusted_time(ap, "decided_at")
        if decided is None and parse_time(a.get("decided_at")) is not None:
            why.append(f"approval {_rid(ap)} is dated {_when(parse_time(a.get('decided_at')))}"
                       f", after it was recorded ({_when(ctx.recorded_at(ap))})")
            continue
        if decided is None:
            why.append(f"approval {_rid(ap)} is undated")
            continue
        if decided > deployed:
            why.append(f"approval {_rid(ap)} was decided after the deployment "
                       f"({_when(decided)})")
            continue
        if (early := _premature(ctx, version, ap, decided, deployed)) is not None:
            why.append(early)
            continue
        if (other := _other_bytes_seen(ctx, version, ap, decided, deployed)) is not None:
            why.append(other)
            continue
        dated.append((ap, decided, str(a.get("approver", ""))))
    # one person, however spelled (carl, carl@example.com), decides once: their latest word
    for (ap, decided, _), who in zip(dated, _people([w for _, _, w in dated]), strict=True):
        rank = _DECISION_RANK.get(str(ctx.idx.a(ap).get("decision", "approved")), 2)
        by_approver.setdefault(str(who), []).append((decided, rank, ap))
    ok: list[str] = []
    for _who, decisions in sorted(by_approver.items()):
        decisions.sort()
        last_no = max((i for i, (_, rank, _) in enumerate(decisions) if rank > 1), default=-1)
        ok += [ap for _, _, ap in decisions[last_no + 1:]]
        if last_no < 0:
            continue
        no = decisions[last_no][2]
        earlier = [ap for _, rank, ap in decisions[:last_no] if rank <= 1]
        decision = ctx.idx.a(no).get("decision", "rejected")
        for ap in earlier:
            why.append(f"approval {_rid(ap)} by {ctx.idx.a(ap).get('approver')} was withdrawn "
                       f"by their later decision {_rid(no)} ({decision}, "
                       f"{_when(parse_time(ctx.idx.a(no).get('decided_at')))})")
        if not earlier and last_no == len(decisions) - 1:
            why.append(f"approval {_rid(no)} by {ctx.idx.a(no).get('approver')} is {decision}")
    return sorted(ok), why


def _approve_fix(ctx: AuditContext, version: str, deployment: str, role: str = "…",
                 count: int = 1, who: str = "") -> str:
    """How to close an approval gap. An approval counts only when decided before the
    deployment: one recorded now leaves a past deployment unapproved. ``who`` qualifies the
    approvers (four-eyes: not the author). The commands name the version as the deployment
    does (:meth:`AuditContext.named_version`)."""
    env = ctx.idx.a(deployment).get("environment") or "…"
    name = short(ctx.named_version(deployment, version))
    people = ", ".join(p for p in ("by different people" if count > 1 else "", who) if p)
    what = ("an approval" if count == 1 else f"{count} approvals") + (f" ({people})"
                                                                        if people else "")
    was = "was" if count == 1 else "were"
    cmd = (f"lineage record approval --model {name} --env {env} --approver … "
           f"--role {role}")
    at = _when(ctx.deployed_at(deployment))
    since = ctx.version_since(version, ctx.deployed_at(deployment))
    # an approval of the version number in advance is no review of the version: say when it
    # existed, when an approval on record was decided before that
    made = (f" and not before {_what_existed(ctx, version, ctx.deployed_at(deployment))} "
            f"existed ({_when(since.at)}, first evidence: "
            f"{since.what}: a version approved in advance was not reviewed)"
            if since is not None and _in_advance(ctx, version, deployment) else "")
    # an approval decided while a moved tag named other bytes is no review of these: say which
    # bytes the deployment is of
    shipped = ctx.content_at(version, ctx.deployed_at(deployment))
    if shipped is not None and _of_other_bytes(ctx, version, deployment):
        made += (f" and while {short(version)} named the bytes deployed ({_bytes(shipped)}: an "
                 f"approval of other bytes under the same version is no review of these)")
    return (f"an approval counts only when decided before the deployment ({at}){made}; if {what} "
            f"{was} given before it, record {'it' if count == 1 else 'them'} with "
            f"{'its' if count == 1 else 'their'} date and evidence: {cmd} --decided-at "
            f"<before {at}> --evidence <ticket>. A later approval does not make this "
            f"deployment compliant: approve, deploy again and record the new deployment "
            f"(lineage record deployment --model {name} --env {env}), and waive this "
            f"finding in the policy (waivers: owner, reason, expires)")


@rule("deployment-approved", "Deployment approved before going live",
      articles=("EU AI Act Art. 14", "EU AI Act Art. 17"), controls=("ISO/IEC 42001 A.6.2.5",),
      severity=_SEV_GATE)
def deployment_approved(ctx: AuditContext) -> Iterator[Outcome]:
    """Every deployment of a model version — harvested or only named by the deployment — has
    an approval for that version and environment (or for the deployment itself), decided
    before the deployment, that its approver did not withdraw and no correction superseded."""
    for v in ctx.versions(unharvested=True):
        for d in ctx.deployments(v):
            tier = ctx.deployment_tier(v, d)
            env = ctx.idx.a(d).get("environment")
            named = ctx.named_version(d, v)  # the version as the deployment names it
            kw = {"model": named, "environment": env}
            approvals = _approvals_for(ctx, v, d)
            ok, why = _decide(ctx, approvals, d, v)
            if ok:
                ctx.counted_approvals[d] = (v, ok)
                yield ctx.passed(d, tier, **kw)
                continue
            more, evidence, on_record = _not_counted(ctx, v, d, approvals)
            why += more
            if not on_record:
                msg = f"{short(named)} was deployed to {env} with no approval on record"
            else:
                msg = (f"{short(named)} was deployed to {env} without an approval that counts: "
                       + "; ".join(sorted(why)))
            yield ctx.failed(d, tier, msg, evidence=[d, v, *approvals, *evidence],
                             remediation=_approve_fix(ctx, v, d), **kw)


def _not_counted(ctx: AuditContext, v: str, d: str,
                 approvals: list[str]) -> tuple[list[str], list[str], bool]:
    """Why the approvals on record for deployment ``d`` of ``v`` that :func:`_decide` does
    not see do not count — superseded by a correction, naming the deployment but approving
    another version or environment, for another deployment, a correction by someone else —
    with their evidence (and the version's first evidence when one was decided in advance
    of it, the commit a moved tag named when one was decided while it named other bytes),
    and whether any approval is on record at all."""
    why: list[str] = []
    gone = [ap for ap in _approvals_for(ctx, v, d, superseded=True) if ap not in approvals]
    fixes: list[str] = []
    for ap in gone:
        by = ctx.superseded_by(ap)
        fixes += by
        said = ", ".join(f"{_rid(b)} ({ctx.idx.a(b).get('decision', '…')})" for b in sorted(by))
        why.append(f"approval {_rid(ap)} was superseded by {said}")
    wrong = _misdirected(ctx, v, d)
    why += [reason for _, reason in wrong]
    refused = _foreign_corrections(ctx, approvals)
    why += [reason for _, reason in refused]
    # the earliest evidence of the version, when an approval came before it
    since = ctx.version_since(v, ctx.deployed_at(d))
    first = [since.node] if since is not None and _in_advance(ctx, v, d) else []
    # the commit a moved tag named when an approval of other bytes was decided
    seen = [c for _, c in _of_other_bytes(ctx, v, d)]
    evidence = [*gone, *sorted(fixes), *(ap for ap, _ in wrong), *(c for c, _ in refused),
                *first, *sorted(set(seen))]
    return why, evidence, bool(approvals or gone or wrong)


def _authors(ctx: AuditContext, version: str) -> list[tuple[Person, str]]:
    """Who wrote the training code or ran the runs that produced ``version`` (a run's
    ``user``, the author of its code commit), each with the node that says so."""
    authors: list[tuple[Person, str]] = []
    for run in (s for r in ctx.runs(version) for s in ctx.spellings(r)):
        if (p := person(ctx.idx.a(run).get("user"))) is not None:
            authors.append((p, run))
        commits = {c for c, _ in ctx.idx.sources(run, "code")}
        sha = ctx.idx.a(run).get("commit")
        if sha:
            commits.add(f"commit:{sha.lower()}")
        for c in sorted(commits):
            ref = ctx.idx.refs.get(c)
            if ref is None:
                continue
            if (p := person(ref.author_email, ref.author_name)) is not None:
                authors.append((p, c))
    return authors


@rule("four-eyes", "Four-eyes approval (independent approvers)",
      articles=("EU AI Act Art. 14",), controls=("ISO/IEC 42001 A.3.2",), tiers=("high",),
      severity={"high": "critical", "unacceptable": "critical", "limited": "high",
                "minimal": "medium", "unassessed": "high"})
def four_eyes(ctx: AuditContext) -> Iterator[Outcome]:
    """A deployment needs as many distinct approvers (and roles) as the policy requires for its
    tier and environment, not counting the author of the training commit or the run's user."""
    for v in ctx.versions(unharvested=True):
        authors = _authors(ctx, v)
        for d in ctx.deployments(v):
            tier = ctx.deployment_tier(v, d)
            env = ctx.idx.a(d).get("environment")
            named = ctx.named_version(d, v)  # the version as the deployment names it
            kw = {"model": named, "environment": env}
            on_record = _approvals_for(ctx, v, d)
            approvals, not_counted = _decide(ctx, on_record, d, v)
            if not approvals:
                continue  # deployment-approved reports it
            # approvals of the version before it existed are no review of it: said (with the
            # version's first evidence) when the ones that count fall short
            early = _in_advance(ctx, v, d)
            since = ctx.version_since(v, ctx.deployed_at(d))
            first = [ap for ap, _ in early] + ([since.node] if early and since else [])
            req = ctx.policy.requirement(tier, env)
            others: list[str] = []
            roles: set[str] = set()
            conflicts: list[str] = []
            conflict_ev: list[str] = []
            for ap in approvals:
                a = ctx.idx.a(ap)
                who = str(a.get("approver", ""))
                me = person(who)
                hit = next((ev for p, ev in authors if me is not None and same_person(me, p)),
                           None)
                if hit is not None:
                    conflicts.append(who)
                    conflict_ev += [ap, hit]
                else:
                    others.append(who)
                    if a.get("role"):
                        roles.add(str(a["role"]))
            independent = set(_people(others))
            missing_roles = [r for r in req.roles if r not in roles]
            problems = []
            # an author's own approval does not count; it is a finding only when the
            # independent approvals alone fall short of what the policy requires
            if conflicts and len(independent) < req.count:
                problems.append(f"approved by the author of its training code/run "
                                f"({', '.join(sorted(set(conflicts)))})")
            if len(independent) < req.count:
                problems.append(f"{len(independent)} independent approver(s), policy requires "
                                f"{req.count}")
            if missing_roles:
                problems.append(f"no approval by role(s) {', '.join(missing_roles)}")
            if not problems:
                yield ctx.passed(d, tier, **kw)
                continue
            # why the other approvals on record do not count (as deployment-approved says):
            # in advance of the version, withdrawn, for another deployment, superseded …
            reasons, evidence, _ = _not_counted(ctx, v, d, on_record)
            problems += sorted(dict.fromkeys([*not_counted, *reasons]))
            role = missing_roles[0] if missing_roles else "…"
            more = max(req.count - len(independent), 1 if missing_roles else 0)
            yield ctx.failed(
                d, tier, f"{short(named)} in {env}: " + "; ".join(problems),
                evidence=[d, *approvals, *conflict_ev, *first, *evidence],
                remediation=_approve_fix(ctx, v, d, role, more,
                                         who="not the author of its code or run"),
                **kw)


@rule("model-has-run", "Model version linked to its training run",
      articles=("EU AI Act Art. 11", "EU AI Act Annex IV"), controls=("ISO/IEC 42001 A.6.2.7",),
      severity=_SEV_TRACE)
def model_has_run(ctx: AuditContext) -> Iterator[Outcome]:
    """A model version (any registry's spelling of it) is produced by a recorded run that
    finished: one whose status is its source's word for a finished run
    (:data:`FINISHED_STATUSES`). A run that failed, was killed or aborted after writing the
    model, one that has not ended, and one whose status no source writes do not count; nor
    does a run that started after the version was registered (its earliest registration:
    a GTO tag's date, the registry's creation time), more than :data:`RUN_START_SKEW` after
    (clock skew): the version existed before it began. A run without a start time is judged
    by its status alone."""
    for v in ctx.versions():
        tier = ctx.tier(v)
        runs = ctx.runs(v)
        late = {r: t for r in runs if (t := ctx.started_late(r, v)) is not None}
        timely = [r for r in runs if r not in late]
        unfinished = [r for r in timely if not ctx.run_status(r)[1]]
        if len(unfinished) < len(timely):
            other = _other_bytes(ctx, v, [r for r in timely if r not in unfinished])
            if other is None:
                yield ctx.passed(v, tier, model=v)
            else:
                yield other
        elif runs:
            why: list[str] = []
            fixes: list[str] = []
            if unfinished:
                why.append(_unfinished_said(ctx, unfinished))
                fixes.append(_unfinished_fix(ctx, v, unfinished))
            if late:
                why.append(_late_said(v, late))
                fixes.append(_late_fix(v, late))
            yield ctx.failed(
                v, tier, f"{short(v)} " + ("is linked only to " + "; and to ".join(why) if late
                                           else f"was produced only by {why[0]}"),
                evidence=[*ctx.members[v], *unfinished, *late], model=v,
                remediation="; ".join(fixes))
        else:
            yield ctx.failed(
                v, tier, f"{short(v)} is not linked to the run that produced it",
                evidence=ctx.members[v], model=v,
                remediation=f"record the training run: lineage record run --model "
                            f"{short(v)}=<model path> --commit <sha> --input <data path>  (or log it to MLflow with the "
                            "model version's run_id)")


def _unfinished_said(ctx: AuditContext, unfinished: list[str]) -> str:
    """Runs that did not finish, each with the status seen, and the status that finishes."""
    seen = [(r, ctx.run_status(r)) for r in unfinished]
    said = ", ".join(f"{short(r)}: " + (
        "not in the lineage graph" if r not in ctx.idx.attrs
        else f"{s} — {conflict}" if conflict
        else str(s) if s not in (None, "") else "no status") for r, (s, _, conflict) in seen)
    words = sorted({w for r, _ in seen for x in ctx.spellings(r)
                    for w in _finished_words(ctx.idx.a(x))})
    return f"runs that did not finish ({said}): a finished run has status {' or '.join(words)}"


def _unfinished_fix(ctx: AuditContext, v: str, unfinished: list[str]) -> str:
    stopped = {str(s).upper() for r in unfinished
               if str(s := ctx.run_status(r)[0]).upper() in _NOT_ENDED}
    still = (f"; a run still {', '.join(sorted(stopped))} after it ended was stopped "
             "before it could record its end (killed, out of memory)" if stopped else "")
    torn = [r for r in unfinished if ctx.run_status(r)[2]]
    if torn:
        still += (f"; {', '.join(torn)}: the job failed by one source's account and finished "
                  "by the other's (a step after the training raised, or the training did): "
                  "if the version is sound, waive model-has-run for it in the policy with "
                  "the reason (waivers: rule model-has-run, node "
                  f"{short(v)}, owner, reason, expires)")
    return (f"train {short(v)} again in a run that finishes, and record that run (lineage "
            "record run / track_run / MLflow); or deregister the version" + still)


def _late_said(v: str, late: dict[str, tuple[datetime, Existed]]) -> str:
    """Runs that started after the version was registered (:meth:`AuditContext.started_late`):
    each with its start, and the registration."""
    reg = min(r for _, r in late.values())
    starts = ", ".join(f"{r} started {_when(t)}" for r, (t, _) in sorted(late.items()))
    return (f"runs that started after {short(v)} was registered ({_when(reg.at)}, {reg.what}): "
            f"{starts}; a run that started after the version existed did not produce it (a "
            f"start up to {_minutes(RUN_START_SKEW)} after the registration is taken as clock "
            "skew)")


def _late_fix(v: str, late: dict[str, tuple[datetime, Existed]]) -> str:
    reg = min(r for _, r in late.values())
    runs = ", ".join(sorted(late))
    return (f"record the run that trained {short(v)}, with the time it started (before "
            f"{_when(reg.at)}): lineage record run --model {short(v)}=<model path> --start "
            "<ISO time it started> --end <ISO time it ended> --commit <sha> --input <data "
            "path> (or log it to MLflow with the model version's run_id); if "
            f"{runs} did train it, its recorded start is wrong (the clock of the machine "
            "that logged it ran ahead): record that training again as above, under a new "
            "--run-id, with the start it had (a recorded run is immutable)")


def _minutes(d: timedelta) -> str:
    n = int(d.total_seconds() // 60)
    return f"{n} minute{'s' if n != 1 else ''}"


def _other_bytes(ctx: AuditContext, v: str, runs: list[str]) -> Outcome | None:
    """The finding when no finished run that produced ``v`` wrote the content its artifact
    has now (a registration tag moved to other bytes, a file swapped under the version),
    compared where both are known: the run's output that is an artifact of the version and
    the version's current artifact (:meth:`AuditContext.artifact`); else None."""
    art = ctx.artifact(v)
    made = {r: ctx.produced_hashes(r, v) for r in runs}
    if not art.hashes or not all(made.values()) or any(h & art.hashes for h in made.values()):
        return None
    now = ", ".join(sorted(art.hashes))
    moved = art.moved
    how = (f" (tag {moved.tag} moved from commit {moved.old_commit[:12]} to "
           f"{moved.new_commit[:12]}{f' on {_when(moved.at)}' if moved.at else ''})"
           if moved is not None else "")
    said = "; ".join(f"{r} produced {', '.join(sorted(hs))}" for r, hs in sorted(made.items()))
    name, _, version = short(v).rpartition("@")
    back = (f"; or, if the move was a mistake, put the tag back: git tag -f -a "
            f"{shlex.quote(moved.tag)} {moved.old_commit[:12]} -m … && lineage harvest"
            if moved is not None else "")
    return ctx.failed(
        v, ctx.tier(v), f"{short(v)}: no run that produced it made its current artifact: "
                        f"{said}; {short(v)}'s artifact is now {now}{how}",
        evidence=[*ctx.members[v], *runs, *art.nodes,
                  *([f"commit:{moved.new_commit.lower()}"] if moved else [])], model=v,
        remediation=f"the version names bytes no recorded run produced: register them as a "
                    f"new version of {name or short(v)} and record the run that trained them "
                    f"(lineage record run --model {name or short(v)}@<new version>=<path> …), "
                    f"then approve and deploy that version{back}")


# The status each run source gives a run that finished: MLflow's FINISHED (others: SCHEDULED,
# RUNNING, FAILED, KILLED; a killed process leaves a run RUNNING for good), lineage's own
# recorded runs' FINISHED (lineage record run / track_run: MLflow's statuses, records.RUN_STATUSES),
# OpenLineage's terminal COMPLETE (START, RUNNING, OTHER: not ended; FAIL, ABORT), a DVC
# experiment's "success". An allow-list: a status no source writes (a typo, a catalog edited by
# hand) is no evidence that the run finished. A run of a source not listed here finishes with
# any of these words.
FINISHED_STATUSES: dict[str, frozenset[str]] = {
    "mlflow": frozenset({"FINISHED"}), "lineage": frozenset({"FINISHED"}),
    "openlineage": frozenset({"COMPLETE"}), "dvc-exp": frozenset({"success"})}
_ANY_FINISHED = frozenset().union(*FINISHED_STATUSES.values())
# statuses of a run that has not ended (said in the fix: it was stopped without a word)
_NOT_ENDED = frozenset({"SCHEDULED", "START", "RUNNING", "OTHER"})


def _finished_words(attrs: dict[str, object]) -> frozenset[str]:
    return FINISHED_STATUSES.get(str(attrs.get("source") or ""), _ANY_FINISHED)


def finished(attrs: dict[str, object]) -> bool:
    """The run (its attributes) finished, by its source's word (case aside)."""
    status = attrs.get("status")
    return isinstance(status, str) and status.strip().upper() in {
        w.upper() for w in _finished_words(attrs)}


def ended(attrs: dict[str, object]) -> bool:
    """The run (its attributes) says it ended (any status but none and the statuses of a run
    that has not ended: RUNNING, SCHEDULED, START, OTHER)."""
    status = attrs.get("status")
    return isinstance(status, str) and bool(status.strip()) \
        and status.strip().upper() not in _NOT_ENDED


# whose word a run's status is, by its source (said when two spellings of one run disagree)
_STATUS_BY = {"lineage": "the job's own record", "mlflow": "the MLflow tracking server",
              "openlineage": "its OpenLineage events", "dvc-exp": "DVC"}


def status_by(attrs: dict[str, object]) -> str:
    """Whose word the run's status is (``the MLflow tracking server``)."""
    source = str(attrs.get("source") or "")
    return _STATUS_BY.get(source, f"its source {source or 'unknown'}")


def _run_remediation(run: str, what: str, rule_id: str) -> str:
    """A run is an immutable record: a new run does not change what this one was, so the
    fix for the model is a retraining and, for this run, a waiver the policy owner signs."""
    return (f"{what} (a new run, and a new model version); {run} itself is an immutable "
            f"record and stays a finding until waived in the policy (waivers: rule "
            f"{rule_id}, node {run}, owner, reason, expires)")


@rule("run-code-pinned", "Training run pinned to committed code",
      articles=("EU AI Act Art. 11", "EU AI Act Art. 12"), controls=("ISO/IEC 42001 A.6.2.7",),
      severity=_SEV_TRACE)
def run_code_pinned(ctx: AuditContext) -> Iterator[Outcome]:
    """A run names a commit that exists in the repository history and was not trained on a
    working tree with uncommitted changes."""
    for run in ctx.audited_runs():
        tier, v = ctx.run_tier(run)
        # a run class (one job seen by two sources): the commits of every spelling, and
        # dirty when one says so (the run lineage recorded read the working tree)
        spellings = ctx.spellings(run)
        edges = [e for s in spellings for e in ctx.idx.sources(s, "code")]
        commits = {c for c, _ in edges}
        for s in spellings:
            if ctx.idx.a(s).get("commit"):
                commits.add(f"commit:{str(ctx.idx.a(s)['commit']).lower()}")
        dirty = bool(ctx.run_dirty(run))
        problems: list[str] = []
        ev: list[str] = [*spellings]
        if not commits:
            problems.append("names no code commit")
        for c in sorted(commits):
            ref = ctx.idx.refs.get(c)
            if ref is None or ref.placeholder or ref.unseen:
                problems.append(f"its commit {c.removeprefix('commit:')[:12]} is not in the "
                                "repository history")
                ev.append(c)
        if dirty:
            problems.append("was trained on a dirty working tree (uncommitted changes)")
            ev += sorted(commits)
        if not problems:
            yield ctx.passed(run, tier, model=v)
            continue
        unseen = [c.removeprefix("commit:") for c in ev[len(spellings):]]
        if unseen and commits and not dirty:
            # the commit exists somewhere (not pushed, or a shallow clone): bringing it into
            # the history closes the gap
            fix = (f"push commit {', '.join(x[:12] for x in unseen)} (or fetch the full "
                   "history: git fetch --unshallow) and harvest again (lineage harvest)")
        else:
            fix = _run_remediation(run, "commit the training code, retrain from a clean "
                                        "checkout and record that run (lineage record run … "
                                        "or lineage harvest)", "run-code-pinned")
        yield ctx.failed(run, tier, f"{ctx.run_label(run)}: " + "; ".join(problems),
                         evidence=ev, model=v, remediation=fix)


_DATA_FIX = ("track the inputs with DVC (dvc add / dvc.yaml deps), commit dvc.lock, and "
             "retrain recording the run with --input <path> so the content hash is pinned")
# the same, for runs another tracker recorded: how that tracker names an input by its path
_DATA_FIX_BY_SOURCE = {
    "run:mlflow:": ("track the inputs with DVC (dvc add / dvc.yaml deps) and commit, then "
                    "retrain from that commit logging each input with its repository path, "
                    "mlflow.log_input(mlflow.data.from_pandas(df, source=\"data/train.csv\")), "
                    "so the harvest pins it to the version the commit's DVC files record"),
    "run:openlineage:": ("track the inputs with DVC (dvc add / dvc.yaml deps) and commit, then "
                         "retrain from that commit emitting each input as a file dataset "
                         "(namespace file, name its path in the repository), so the harvest "
                         "pins it to the version the commit's DVC files record"),
}


def _data_path(data: str) -> str:
    """The repository path of a data id (``data:<repo>:<path>@<hash>``), as well as the id
    tells it (a repository key may hold a colon: the path is after the last one before the
    version)."""
    head = data.rsplit("@", 1)[0] if "@" in data else data
    return head.rsplit(":", 1)[-1]


@rule("run-data-pinned", "Training data content-pinned",
      articles=("EU AI Act Art. 10",), controls=("ISO/IEC 42001 A.7.5",), severity=_SEV_TRACE)
def run_data_pinned(ctx: AuditContext) -> Iterator[Outcome]:
    """Every input of a run is pinned by content hash (a strong pin to a data version DVC
    knows); a run that produced a model names at least one input.

    A weak input that an identity join resolved (a strong input edge of the same run with
    ``via`` = that input) is pinned by the strong edge. A strong pin to a version of a path DVC
    tracks, which no DVC file in the history records (the file changed without ``dvc add``),
    is not: that version cannot be fetched back."""
    for run in ctx.audited_runs():
        tier, v = ctx.run_tier(run)
        # a run class: per path, the strongest pin any spelling has (AuditContext.run_inputs)
        judged = [(d, e, x) for d, e, x, covered in ctx.run_inputs(run) if covered is None]
        inputs = [(d, e) for d, e, _ in judged]
        resolved = {str(e["via"]) for _, e in inputs if e.get("pin") == "strong" and e.get("via")}
        problems: list[str] = []
        ev = [*ctx.spellings(run)]
        unrecorded: list[str] = []
        unhashed: list[str] = []  # weak inputs of a path DVC tracks: no hash at the commit
        if not inputs and not ctx.run_inputs(run) and ctx.versions_of_run(run):
            problems.append("records no input data")
        for data, e in inputs:
            pin = e.get("pin") or "none"
            ref = ctx.idx.refs.get(data)
            if pin != "strong":
                if data in resolved:
                    continue  # joined to a DVC version: the strong edge is the evidence
                problems.append(f"input {data} is pinned {pin}, not by content hash")
                ev.append(data)
                if data in ctx.idx.tracked:
                    unhashed.append(str(e.get("path") or _data_path(data)))
                    ev += ctx.idx.tracked[data][:3]
            elif ref is None or ref.placeholder or not ref.hash:
                problems.append(f"input {data} has a hash unknown to the DVC history")
                ev.append(data)
            elif data in ctx.idx.unrecorded:
                path = e.get("path") or data.rsplit("@", 1)[0].split(":", 2)[-1]
                problems.append(f"input {data} is pinned to {ref.hash} of {path}, which no DVC "
                                "file in the history records")
                ev.append(data)
                unrecorded.append(str(path))
        if not problems:
            yield ctx.passed(run, tier, model=v)
            continue
        # (the tracker that logged the first input in question says how to log it by path)
        by = next((x for d, _, x in judged if d in ev), run)
        fix = base = next((f for prefix, f in _DATA_FIX_BY_SOURCE.items()
                           if by.startswith(prefix)), _DATA_FIX)
        if run.startswith("run:dvc-exp:"):  # DVC's own record of what the stages read
            fix = ("fetch the data the experiment's stages read (dvc pull) and run the "
                   "experiment again (dvc exp run): its dvc.lock then pins every input by hash")
        elif len(unrecorded) == len(problems):
            fix = (f"dvc add {' '.join(dict.fromkeys(unrecorded))} (or dvc repro) and commit the "
                   ".dvc / dvc.lock change, then re-run the training from that commit so its "
                   "input is a version DVC records")
        elif unhashed:
            # DVC tracks the path: tracking it again is no fix; its commit recorded no hash
            sha = str(ctx.idx.a(run).get("commit") or "")
            at = f" (commit {sha[:12]})" if sha else ""
            fix = (f"the commit's DVC files record no hash for "
                   f"{', '.join(dict.fromkeys(unhashed))}{at} that is what the run read (none, "
                   "or a dvc.lock entry out of date there: the harvest's warning says which): "
                   "dvc commit / dvc repro, commit dvc.lock (or the .dvc file) with the change "
                   "and train from that commit")
            if len(unhashed) < len(problems):
                fix += f"; for the other inputs: {base}"
        yield ctx.failed(run, tier, f"{ctx.run_label(run)}: " + "; ".join(problems), evidence=ev,
                         model=v, remediation=_run_remediation(run, fix, "run-data-pinned"))


@rule("risk-tier-set", "Risk tier assessed and current",
      articles=("EU AI Act Art. 6", "EU AI Act Art. 9"), controls=("ISO/IEC 42001 A.5.2",),
      severity={"unacceptable": "critical", "high": "high", "limited": "medium",
                "minimal": "low", "unassessed": "high"})
def risk_tier_set(ctx: AuditContext) -> Iterator[Outcome]:
    """A model group (AI system) has a risk assessment, assessed within the policy's maximum
    age and not past its next review date."""
    max_age = timedelta(days=ctx.policy.risk_assessment.max_age_days)
    for g in sorted(ctx.group_members):
        name = short(g)
        ra = ctx.latest_assessment(g)
        cmd = (f"record a risk assessment: lineage record assessment --model-group {name} "
               "--tier high|limited|minimal|unacceptable --assessor … --next-review YYYY-MM-DD")
        later = sorted(set(ctx.future_assessments.get(g, ())))
        if ra is None:
            msg = f"model group {name} has no risk assessment"
            if later:
                named = ", ".join(
                    f"{r.removeprefix('risk_assessment:')} "
                    f"({parse_time(ctx.idx.a(r).get('assessed_at')).date()})"  # type: ignore[union-attr]
                    for r in later)
                msg += (f" made by the audit date ({ctx.now.astimezone(UTC).date()}); "
                        f"{named}, dated after the audit date, does not count yet")
            yield ctx.failed(g, "unassessed", msg, evidence=[*ctx.group_members[g], *later],
                             remediation=cmd, group=g)
            continue
        a = ctx.idx.a(ra)
        tier = str(a.get("tier", "unassessed"))
        assessed = parse_time(a.get("assessed_at"))
        if assessed is not None:  # no younger than its record (a forged future date)
            assessed = min(assessed, ctx.recorded_at(ra))
        review = parse_time(a.get("next_review"))
        problems = []
        if assessed is None:
            problems.append("its latest risk assessment is undated")
        elif assessed + max_age < ctx.now:
            problems.append(f"its latest risk assessment ({assessed.date()}) is older than "
                            f"{max_age.days} days")
        if review is not None and review < ctx.now:
            problems.append(f"its review was due on {review.date()}")
        if problems:
            yield ctx.failed(g, tier, f"model group {name}: " + "; ".join(problems),
                             evidence=[g, ra], remediation="review the assessment and " + cmd,
                             group=g)
        else:
            yield ctx.passed(g, tier, group=g)


@rule("risk-downgrade-independent", "Risk tier lowered only by someone independent",
      articles=("EU AI Act Art. 9",), controls=("ISO/IEC 42001 A.5.2",),
      severity={"unacceptable": "critical", "high": "high", "limited": "medium",
                "minimal": "low", "unassessed": "medium"})
def risk_downgrade_independent(ctx: AuditContext) -> Iterator[Outcome]:
    """A risk assessment that lowers a system's tier (below the group's assessment before it)
    is not made by the author of its models' training code or the user of their runs, and
    does not drop the Annex III area the assessment before it named without a rationale.
    The subject's tier is the one it lowered."""
    idx = ctx.idx
    downgraded = {g: found for g in sorted(ctx.group_members) if (found := ctx.downgrades(g))}
    versions: dict[str, list[str]] = {}
    if downgraded:
        for v in ctx.versions():
            if (g := ctx.group_of(v)) in downgraded:
                versions.setdefault(g, []).append(v)
    for g, found in downgraded.items():
        authors = [a for v in versions.get(g, []) for a in _authors(ctx, v)]
        for ra, before in found:
            a, b = idx.a(ra), idx.a(before)
            tier, lower = str(b.get("tier")), str(a.get("tier"))
            problems: list[str] = []
            ev = [ra, before]
            me = person(str(a.get("assessor") or ""))
            hits = [n for p, n in authors if me is not None and same_person(me, p)]
            if hits:
                problems.append(f"it is made by {a.get('assessor')}, the author of the "
                                f"training code/run of {short(g)} "
                                f"({', '.join(sorted(set(hits))[:3])})")
                ev += sorted(set(hits))
            area = b.get("annex_iii_area")
            if area and not a.get("annex_iii_area"):
                why = (f"rationale: {a.get('rationale')!r}" if a.get("rationale")
                       else "without a rationale")
                said = (f"it drops the Annex III area {area!r} of {_rid(before)} ({why})")
                if not a.get("rationale"):
                    problems.append(said)
                elif problems:
                    problems.append(said)
            if not problems:
                yield ctx.passed(ra, tier, group=g)
                continue
            name = short(g)
            yield ctx.failed(
                ra, tier, f"risk assessment {_rid(ra)} lowers model group {name} from {tier} "
                f"({_rid(before)}) to {lower}: " + "; ".join(problems)
                + f"; deployments made under {tier} are still audited at {tier}",
                evidence=ev, group=g,
                remediation=f"have the lower tier reviewed by someone independent of the "
                            f"model's development; if it stands, they record it (lineage "
                            f"record assessment --group {name} --tier {lower} --assessor "
                            f"<independent reviewer> --annex-iii … --rationale … --prop "
                            f"supersedes={_rid(ra)}); if not, correct it (… --tier {tier} "
                            f"--prop supersedes={_rid(ra)})")


@rule("prohibited-not-deployed", "No deployment of a prohibited (unacceptable-risk) system",
      articles=("EU AI Act Art. 5",), controls=(), tiers=("unacceptable",),
      severity={"unacceptable": "critical", "high": "critical", "limited": "critical",
                "minimal": "critical", "unassessed": "critical"})
def prohibited_not_deployed(ctx: AuditContext) -> Iterator[Outcome]:
    """A version of a system assessed at a prohibited tier has no active deployment (the tiers
    the policy applies this rule to are the prohibited ones)."""
    for v in ctx.versions(unharvested=True):
        live = [d for d in ctx.deployments(v) if ctx.active(d)]
        if not live:
            yield ctx.passed(v, ctx.tier(v), model=v)
            continue
        # a live deployment made under a prohibited tier stays prohibited after a downgrade
        d0 = max(live, key=lambda d: TIER_RANK.get(ctx.deployment_tier(v, d), 0))
        tier = ctx.deployment_tier(v, d0)
        envs = sorted({str(ctx.idx.a(d).get("environment")) for d in live})
        ra = ctx.assessment_since(ctx.group_of(v), ctx.deployed_at(d0))
        yield ctx.failed(
            v, tier, f"{short(v)} is assessed {tier}-risk but deployed to {', '.join(envs)}",
            evidence=[v, *live, ra or ""], model=v,
            remediation="retire it now and record the retirement of each live deployment: "
                        + "; ".join(_retire_cmd(ctx, d) for d in live))


def _retire_cmd(ctx: AuditContext, deployment: str) -> str:
    """The command that completes a live deployment's record with its end: the same record
    (its id, or its model + environment + time), not a new deployment."""
    a = ctx.idx.a(deployment)
    model = short(str(a.get("model") or ""))
    env = a.get("environment") or "…"
    if a.get("source") == "gto":
        name, _, version = model.partition("@")
        tag = (a.get("properties") or {}).get("gto_tag")
        unregistered = ctx.idx.a(str(a.get("model") or "")).get("status") == "unregistered"
        if tag and unregistered:  # named by its commit: GTO takes no such version
            return (f"git tag -d '{tag}' && git push origin --delete '{tag}' (GTO cannot "
                    "unassign a version no tag registers), then lineage harvest")
        return f"gto deprecate {name} {version} {env}, then lineage harvest"
    at = a.get("deployed_at")
    if a.get("retired_at") is not None and ctx.trusted_time(deployment, "retired_at"):
        return f"{deployment} is recorded as retired at {a['retired_at']}, after the audit date"
    if a.get("retired_at") is not None:
        # its retirement is dated after it was recorded and the record cannot be completed
        # again: a correction with the real time replaces it
        return (f"lineage record deployment --id <new-id> --model {model} --env {env} "
                f"--deployed-at {at or '…'} --retired-at <time> --prop "
                f"supersedes={deployment.removeprefix('deployment:')}")
    when = parse_time(at)
    group = model.partition("@")[0]
    derived = when is not None and deployment in {
        deployment_id(group, env, str(at)), deployment_id(group, env, when),
        legacy_deployment_id(group, env, when)}
    given_id = "" if derived else f" --id {deployment.removeprefix('deployment:')}"
    return (f"lineage record deployment{given_id} --model {model} --env {env} --deployed-at "
            f"{at or '…'} --retired-at <time>")


def _doc_fix(ctx: AuditContext, v: str, missing: Sequence[str]) -> str:
    """How to record the document kinds ``missing`` of version ``v``, each command with the
    date the document was issued (``--at``): a document recorded after the fact counts from
    that date, and without it from its recording, so an audit ``--as-of`` an earlier date
    would leave it out. A document of a missing kind the audit did leave out, recorded after
    its clock without a date, is named with the correction that gives it its date."""
    undated: dict[str, str] = {}
    for d in ctx.documents_made_later(v):
        a = ctx.idx.a(d)
        if a.get("at") is None and a.get("doc_kind") in missing:
            undated.setdefault(str(a["doc_kind"]), d)
    fixes = []
    for kind in missing:
        if kind not in undated:
            continue
        d = undated[kind]
        a = ctx.idx.a(d)
        target = (f"--model {short(str(a['model']))}" if a.get("model")
                  else f"--group {short(str(a.get('model_group') or '…'))}")
        same = "".join(f" --{opt} {shlex.quote(str(a[key]))}"
                       for key, opt in (("title", "title"), ("content_hash", "content-hash"))
                       if a.get(key))
        fixes.append(f"{kind} {_rid(d)} was recorded after the audit date "
                     f"({_when(ctx.recorded_at(d))}) without the date it was issued; if it was "
                     f"issued by then, record it again with that date: lineage record document "
                     f"{target} --type {kind} --uri {shlex.quote(str(a.get('uri') or '…'))}"
                     f"{same} --at <date issued> --prop supersedes={_rid(d)}")
    rest = [k for k in missing if k not in undated]
    if rest:
        fixes.append(("record each" if len(rest) > 1 else "record it")
                     + " with the date it was issued: lineage record document "
                     f"--model {short(v)} --type {rest[0]} --uri <link> --at <date issued>")
    return "; ".join(fixes)


def _documented(ctx: AuditContext, v: str, need: Sequence[str], lacks: str) -> Outcome:
    """Whether version ``v`` (or its group) has a document of every kind in ``need``: passed,
    or failed saying ``lacks`` (a template of ``{version}`` and the ``{missing}`` kinds) and
    how to record them (:func:`_doc_fix`). One reading for every documentation rule
    (high-risk-docs, transparency-notice): a path recorded with no content pin (no file was
    there: :meth:`AuditContext.unpinned`) proves no document, and the finding says which
    document and why; a URL counts as recorded."""
    tier = ctx.tier(v)
    docs = ctx.documents(v)
    unpinned = {d: why for d in docs if (why := ctx.unpinned(d)) is not None}
    have = {ctx.idx.a(d).get("doc_kind") for d in docs if d not in unpinned}
    missing = [k for k in need if k not in have]
    if not missing:
        return ctx.passed(v, tier, model=v)
    notes = [f"{ctx.idx.a(d).get('doc_kind')}: {said}"
             for d, said in sorted(unpinned.items())
             if ctx.idx.a(d).get("doc_kind") in missing]
    fix = _doc_fix(ctx, v, missing)
    if notes:
        fix = ("commit each document's file and record it again with its path, so its "
               "content is pinned (lineage record document … --uri <path in the "
               "repository> --prop supersedes=<id>), or give its URL; " + fix)
    said = lacks.format(version=short(v), missing=", ".join(missing))
    return ctx.failed(v, tier, said + (f" ({'; '.join(notes)})" if notes else ""),
                      evidence=[v, *docs], model=v, remediation=fix)


@rule("high-risk-docs", "High-risk documentation complete",
      articles=("EU AI Act Art. 10", "EU AI Act Art. 11", "EU AI Act Art. 13",
                "EU AI Act Art. 15"), controls=("ISO/IEC 42001 A.6.2.7",), tiers=("high",),
      severity={"high": "high", "unacceptable": "high", "limited": "medium",
                "minimal": "low", "unassessed": "medium"})
def high_risk_docs(ctx: AuditContext) -> Iterator[Outcome]:
    """A high-risk model version (or its group) has every document the policy lists (default:
    model card, data governance, evaluation, bias report)."""
    need = list(dict.fromkeys(ctx.policy.high_risk_documents))
    for v in ctx.versions():
        yield _documented(ctx, v, need, "{version} lacks: {missing}")


@rule("retraining-logged", "Retraining logged with trigger and reason",
      articles=("EU AI Act Art. 12", "EU AI Act Art. 43(4)"), controls=("ISO/IEC 42001 A.6.2.6",),
      severity=_SEV_TRACE)
def retraining_logged(ctx: AuditContext) -> Iterator[Outcome]:
    """Every version after a group's first has a retraining record (trigger and reason) that
    names it or the run that produced it. A version's predecessor is the one its
    previous-version edge names, else the one created just before it in its group. A
    retraining is about one model lineage: a record whose previous version is of another
    group (or the version itself), or that names another version as the new one, is not this
    version's retraining log."""
    has_prev = _successors(ctx)
    require_reason = ctx.policy.retraining.require_reason
    for v in ctx.versions():
        prev = has_prev.get(v)
        if prev is None:
            continue
        tier = ctx.tier(v)
        runs = [s for r in ctx.runs(v) for s in ctx.spellings(r)]  # a record may name either
        recs = set(ctx.linked(ctx.members[v], "retraining", "retrains", "new_model"))
        # through its run, a record naming another version as the new one is about that one
        recs.update(r for r in ctx.linked(runs, "retraining", "retrains", "run")
                    if (new := ref_id(ctx.idx.a(r).get("new_model"))) is None
                    or ctx.version_of(new) == v)
        why = {r: w for r in recs
               if (w := _not_done(ctx, r) or _not_this_lineage(ctx, v, r))}
        reasoned = [r for r in sorted(recs) if r not in why
                    and (ctx.idx.a(r).get("reason") or not require_reason)]
        cmd = (f"lineage record retraining --previous {short(prev)} --new {short(v)} "
               "--trigger drift|schedule|data-change|manual --reason …")
        if reasoned:
            yield ctx.passed(v, tier, model=v)
        elif why:
            no_reason = [f"retraining record {_rid(r)} gives no reason"
                         for r in sorted(recs) if r not in why]
            yield ctx.failed(v, tier, f"{short(v)} replaces {short(prev)} but no retraining "
                             "record of it counts: " + "; ".join(sorted(why.values())
                                                                 + no_reason),
                             evidence=[v, prev, *sorted(recs)], model=v,
                             remediation="record it: " + cmd)
        elif recs:
            yield ctx.failed(v, tier, f"the retraining record of {short(v)} gives no reason",
                             evidence=[v, *sorted(recs)], model=v,
                             remediation="add the reason: " + cmd)
        else:
            yield ctx.failed(v, tier, f"{short(v)} replaces {short(prev)} but no retraining is "
                             "recorded", evidence=[v, prev], model=v,
                             remediation="record it: " + cmd)


def _not_done(ctx: AuditContext, record: str) -> str | None:
    """Why a retraining record had not been made by the audit's clock (``--as-of``): it is
    dated after it, or it has no date and the store first wrote it after it
    (:meth:`AuditContext.made_later`); None when it had."""
    at = parse_time(ctx.idx.a(record).get("at"))
    if at is not None and at > ctx.now:
        return f"retraining record {_rid(record)} is dated after the audit date ({_when(at)})"
    if record in ctx.made_later():
        return (f"retraining record {_rid(record)} was recorded after the audit date "
                f"({_when(ctx.recorded_at(record))})")
    return None


def _not_this_lineage(ctx: AuditContext, version: str, record: str) -> str | None:
    """Why a retraining record linked to ``version`` is not a log of its retraining: its
    previous version is of another model group, or is the version itself; None when it is."""
    prev = ref_id(ctx.idx.a(record).get("previous_model"))
    if prev is None or not prev.startswith("model:"):
        return None
    if (ctx.version_of(prev) or prev) == version:
        return (f"retraining record {_rid(record)} names {short(prev)} itself as its "
                "previous version")
    theirs, mine = ctx.group_of_ref(prev), ctx.group_of(version)
    if mine is not None and theirs != mine:
        return (f"retraining record {_rid(record)} names {short(prev)} as its previous "
                f"version, a version of another model group ({short(theirs)}), not of "
                f"{short(mine)}")
    return None


def _successors(ctx: AuditContext) -> dict[str, str]:
    """version class → its previous version class, for every version that is not the first of
    its group.

    A version named as the next one by a ``previous_version`` edge from a version of its own
    group keeps that edge (of several, the latest-created predecessor, then the smallest id).
    Every other version is ordered by creation time (earliest ``created_at`` of its
    spellings, then id) among all the dated versions of its group and follows the one created
    just before it, edge or not; the earliest is the group's first and has no predecessor.
    Undated versions without an edge cannot be placed and are not checked.
    """
    created: dict[str, datetime] = {}
    for v in ctx.versions():
        times = [t for m in ctx.members[v]
                 if (t := parse_time(ctx.idx.a(m).get("created_at"))) is not None]
        if times:
            created[v] = min(times)

    def order(v: str) -> tuple[bool, datetime, str]:
        t = created.get(v)
        return (t is not None, t or datetime.min.replace(tzinfo=UTC), v)

    out: dict[str, str] = {}
    for v in ctx.versions():
        # a previous version of another model group is no predecessor in this lineage
        mine = ctx.group_of(v)
        prevs = {ctx.version_of(p) or p for m in ctx.members[v]
                 for p, _ in ctx.idx.sources(m, "previous_version")
                 if mine is None or ctx.group_of_ref(p) == mine} - {v}
        if prevs:
            out[v] = max(prevs, key=order)
    by_group: dict[str, list[tuple[datetime, str]]] = {}
    for v, t in created.items():
        g = ctx.group_of(v)
        if g is not None:
            by_group.setdefault(g, []).append((t, v))
    for items in by_group.values():
        items.sort()
        for (_, before), (_, after) in zip(items, items[1:], strict=False):
            out.setdefault(after, before)
    return out


@rule("monitoring-active", "Deployed version monitored; alerts followed up",
      articles=("EU AI Act Art. 72",), controls=("ISO/IEC 42001 A.6.2.6",), tiers=("high",),
      severity={"high": "high", "unacceptable": "high", "limited": "medium",
                "minimal": "low", "unassessed": "medium"})
def monitoring_active(ctx: AuditContext) -> Iterator[Outcome]:
    """A version with an active deployment has fresh monitoring evidence (a drift/monitor
    alert or check within the policy's window); an open alert older than the follow-up window
    is acknowledged, resolved or has triggered a retraining."""
    pol = ctx.policy.monitoring
    window = timedelta(days=pol.max_age_days)
    for v in ctx.versions(unharvested=True):
        tier = ctx.tier(v)
        live = [d for d in ctx.deployments(v) if ctx.active(d)]
        alerts = ctx.alerts(v)
        if live:
            # an alert dated after it was recorded observed nothing yet
            times = [(t, a) for a in alerts if (t := ctx.trusted_time(a, "at"))]
            for n in [*live, *ctx.members[v]]:
                t = parse_time(ctx.idx.a(n).get("properties", {}).get("monitoring_checked_at"))
                if t and not (n in live and t > ctx.recorded_at(n, last=True) + RECORD_SKEW):
                    times.append((t, n))
            # evidence dated after the audit's clock is no evidence yet (a typo'd or forged
            # year would keep the version "monitored" for good)
            times = [(t, n) for t, n in times if t <= ctx.now]
            cmd = (f"record the latest monitoring check: lineage record alert --model "
                   f"{short(v)} --metric psi --value … --threshold … --status resolved")
            if not times:
                yield ctx.failed(v, tier, f"{short(v)} is deployed with no monitoring evidence",
                                 evidence=[v, *live], model=v, remediation=cmd)
            else:
                latest, node = max(times)
                if latest + window < ctx.now:
                    yield ctx.failed(
                        v, tier, f"{short(v)}: latest monitoring evidence is from "
                        f"{latest.date()}, older than {pol.max_age_days} days",
                        evidence=[v, node, *live], model=v, remediation=cmd)
                else:
                    yield ctx.passed(v, tier, model=v)
        follow = timedelta(days=pol.alert_follow_up_days)
        for al in alerts:
            a = ctx.idx.a(al)
            if a.get("status", "open") != "open":
                yield ctx.passed(al, tier, model=v)
                continue
            at = parse_time(a.get("at"))
            if at is not None:  # due from its recording at the latest (a forged future date)
                at = min(at, ctx.recorded_at(al))
            if at is not None and at + follow >= ctx.now:
                yield ctx.passed(al, tier, model=v)
                continue
            recs = ctx.linked([al], "retraining", "triggers", "alert", outgoing=True)
            why = {r: w for r in recs if (w := _not_a_follow_up(ctx, v, at, r))}
            if len(why) < len(recs):
                yield ctx.passed(al, tier, model=v)
                continue
            yield ctx.failed(
                al, tier, f"alert {al} on {short(v)} ({a.get('metric')}) has been open since "
                f"{at.date() if at else 'an unknown date'} with no follow-up"
                + "".join(f"; {w}" for _, w in sorted(why.items())),
                evidence=[al, v, *sorted(why)], model=v,
                remediation=f"acknowledge or resolve it in a new record that replaces the "
                            f"open one (lineage record alert --model {short(v)} --metric "
                            f"{shlex.quote(str(a.get('metric')))}{_alert_args(a)} --status acknowledged --prop "
                            f"supersedes={al.removeprefix('alert:')}) or "
                            f"record the retraining it triggered (lineage record retraining "
                            f"--alert {al.removeprefix('alert:')} …)")


def _not_a_follow_up(ctx: AuditContext, version: str, at: datetime | None,
                     record: str) -> str | None:
    """Why a retraining record naming an alert does not follow it up: it retrained another
    model group, or it is dated before the alert; None when it does."""
    mine = ctx.group_of(version)
    groups = ctx.record_groups(record)
    if mine is not None and groups and mine not in groups:
        return (f"retraining {_rid(record)} names it but retrained "
                f"{', '.join(sorted(short(g) for g in groups))}, not {short(mine)}")
    done = parse_time(ctx.idx.a(record).get("at"))
    if at is not None and done is not None and done < at:
        return f"retraining {_rid(record)} names it but is dated before it ({_when(done)})"
    # one that had not happened by the audit's clock (--as-of), or whose date is later than
    # its own recording (a claim about the future), has not followed it up
    if done is not None and done > ctx.now:
        return (f"retraining {_rid(record)} names it but is dated after the audit date "
                f"({_when(done)})")
    if done is not None and ctx.trusted_time(record, "at") is None:
        return (f"retraining {_rid(record)} names it but is dated {_when(done)}, after it was "
                f"recorded ({_when(ctx.recorded_at(record))})")
    if record in ctx.made_later():  # undated, and written after the audit's clock
        return (f"retraining {_rid(record)} names it but was recorded after the audit date "
                f"({_when(ctx.recorded_at(record))})")
    return None


def _alert_args(a: dict[str, object]) -> str:
    """The open alert's own facts, repeated in the record that acknowledges it."""
    out = ""
    for key in ("value", "threshold", "at"):
        if a.get(key) is not None:
            out += f" --{key} {shlex.quote(str(a[key]))}"
    return out


@rule("transparency-notice", "Transparency notice for limited-risk systems",
      articles=("EU AI Act Art. 50",), controls=("ISO/IEC 42001 A.8.2",), tiers=("limited",),
      severity={"limited": "medium", "high": "medium", "unacceptable": "medium",
                "minimal": "low", "unassessed": "low"})
def transparency_notice(ctx: AuditContext) -> Iterator[Outcome]:
    """A limited-risk model version (or its group) has a transparency notice; one recorded as
    a path with no content pin does not count, as for ``high-risk-docs`` (:func:`_documented`)."""
    for v in ctx.versions():
        yield _documented(ctx, v, ["transparency_notice"],
                          "{version} has no transparency notice")


# what the audit makes of a date later than the record's writing, by attribute
_FUTURE_TAKEN = {
    "deployed_at": "the audit takes it as deployed when it was recorded",
    "retired_at": "the audit takes it as still active",
    "decided_at": "it approves nothing",
    "assessed_at": "it ages from when it was recorded",
    "at": "it is no monitoring evidence, and is due for follow-up from when it was recorded",
}
# where a kind's date means something else than the attribute's above ("" says nothing more)
_FUTURE_TAKEN_BY_KIND = {"retraining": {"at": ""},
                         "document": {"at": "it counts from when it was recorded"}}


def _future_message(record: str, future: list[tuple[str, datetime, datetime]]) -> str:
    kind = record.split(":", 1)[0]

    def taken(attr: str) -> str:
        said = _FUTURE_TAKEN_BY_KIND.get(kind, {}).get(attr, _FUTURE_TAKEN[attr])
        return f": {said}" if said else ""

    said = "; ".join(f"{attr} {_when(t)} is after it was recorded ({_when(written)}), a time "
                     f"that had not come yet{taken(attr)}" for attr, t, written in future)
    return f"{record}: {said}"


def _future_fix(record: str) -> str:
    kind, _, rid = record.partition(":")
    return (f"a record says what has happened: if the date is wrong, record a correction with "
            f"the real date (lineage record {kind.replace('risk_assessment', 'assessment')} "
            f"… --prop supersedes={rid}); if it has not happened yet, record it when it has")


def _continuity_fix(waive: str | None, clone: str | None = None, gone: str | None = None
                    ) -> str:
    """The fix of a dangling reference. A source that describes the node closes it; when a
    governance record names it by mistake (a typo of a model name, of a ``supersedes``), no
    correction does: records are immutable, a correction naming another model group corrects
    nothing, and superseded records are still checked. The way out is then a waiver of
    ``waive``, a node a waiver matches the finding by (:func:`lineage.audit.engine.
    _waivers_for`: its subject, version or group): the node ``gone``, or its group when the
    group is missing too and no clone explains it (a group typed wrong: one waiver for both
    findings). A waiver of a group waives every finding of the rule about the group and its
    versions, and the fix says so.
    ``clone``: what the clone the store was harvested from lacks (:func:`_clone_gap`), the
    likelier cause: no other source to harvest holds what a shallow clone left out."""
    harvest = "harvest the source that holds it (lineage harvest)"
    if clone is not None:
        harvest = f"the store was harvested from {clone}; else {harvest}"
    if waive is None:
        return harvest
    covers = ""
    if waive.startswith("model_group:"):
        group = waive.removeprefix("model_group:")
        covers = (f", which waives every lineage-continuity finding of model group {group}"
                  + (" and of its versions, this one's too" if gone != waive
                     else " and of its versions"))
    return (f"{harvest}; if a record names it by mistake, record the right fact as a new "
            "record and waive this finding in the policy (waivers: rule lineage-continuity, "
            f"node {waive}, owner, reason, expires){covers}: records are immutable, and a "
            "correction does not take back the name a record gave")


@rule("lineage-continuity", "No dangling references; no record dated after it was written",
      articles=("EU AI Act Art. 12",), controls=("ISO/IEC 42001 A.6.2.8",), severity=_SEV_TRACE)
def lineage_continuity(ctx: AuditContext) -> Iterator[Outcome]:
    """Every node a record or edge names exists in the graph (a version, run, commit, data
    version that no harvester has seen is a break in the audit trail), and no governance
    record is dated after the store wrote it (a deployment, retirement, approval, assessment,
    alert, retraining or document that had not happened yet: forged, or a typo)."""
    idx = ctx.idx
    clone = _clone_gap(ctx)
    missing: dict[str, set[str]] = {k: set(v) for k, v in idx.placeholders.items()}
    later = ctx.made_later()  # not made yet at the audit's clock: not in this audit
    for kind, names in REF_ATTRS.items():
        for nid in idx.ids(kind):
            refs = [r for name in names if (r := ref_id(idx.a(nid).get(name)))]
            bad = [r for r in refs if not idx.exists(r)]
            future = [] if nid in ctx.superseded else ctx.future_dated(nid)
            if nid in later and not future:
                continue
            for r in bad:
                missing.setdefault(r, set()).add(nid)
            model = next((ctx.version_of(r) for r in refs if ctx.version_of(r)), None)
            if future:
                group = None if model else ctx.group_class(str(idx.a(nid).get("model_group")))
                tier = ctx.tier(model) if model else ctx.group_tier(group)
                # a deployment's finding gates its environment (--env), whatever the clock
                env = idx.a(nid).get("environment") if kind == "deployment" else None
                yield ctx.failed(nid, tier, _future_message(nid, future), evidence=[nid, *refs],
                                 model=model, group=group, environment=env,
                                 remediation=_future_fix(nid))
            elif not bad:
                yield ctx.passed(nid, ctx.tier(model), model=model)
    # a correction naming a record that is not there (a typo in ``supersedes``) corrects
    # nothing: the record it meant still counts
    for target, by_records in ctx.superseded.items():
        if not idx.exists(target):
            missing.setdefault(target, set()).update(by_records)
    # a run deleted in its tracking store that produced no version, and a run out of the
    # audit's scope (an OpenLineage job no model depends on), are not audited
    audited = set(ctx.audited_runs())
    ignored = {r for r in idx.ids("run") if ctx.run_of(r) not in audited} | later

    def by_record(n: str, depth: int = 0) -> bool:
        # a governance record, or a missing node (a version whose group is missing too)
        # that one names
        return n.split(":", 1)[0] in REF_ATTRS or (depth == 0 and any(
            by_record(m, 1) for m in missing.get(n, ())))

    for gone in sorted(missing):
        by = sorted(missing[gone] - ignored)
        if not by:
            continue
        model = None
        for n in [gone, *by]:
            # the version the naming record is about: an approval's, alert's, document's
            # `model`, a retraining's new (else previous) version
            model = ctx.version_of(n) or next(
                (v for name in ("model", "new_model", "previous_model")
                 if (v := ctx.version_of(ref_id(idx.a(n).get(name))))), None)
            if model:
                break
        if model is None:
            for n in by:
                for m, _ in idx.targets(n, "produced"):
                    model = model or ctx.version_of(m)
        group = None
        if gone.startswith("model:") and model is None:
            group = f"model_group:{gone.removeprefix('model:').split('@', 1)[0]}"
        tier = ctx.tier(model) if model else ctx.group_tier(group)
        # the waiver the fix names: the missing node; a version's group instead when the group
        # is missing too (one waiver for a group typed wrong and its version) — unless the
        # clone explains why it is missing: then the group is likely real (its tags are
        # outside the clone) and a waiver of it would waive every gap of that system
        waive = None
        if gone in ctx.superseded or any(by_record(n) for n in by):
            waive = (group if group is not None and not idx.exists(group) and clone is None
                     else gone)
        yield ctx.failed(
            gone, tier, f"{gone} is named by {', '.join(by[:3])}"
            f"{' …' if len(by) > 3 else ''} but is not in the lineage graph",
            evidence=[gone, *by[:20]], model=model, group=group,
            remediation=_continuity_fix(waive, clone, gone))


# how to fetch what a shallow or tag-less clone left out (the fix of harvest-complete)
_CLONE_FETCH = ("fetch the whole history and its tags (git fetch --unshallow --tags; in GitHub "
                "Actions, actions/checkout with fetch-depth: 0)")
_TAGS_FETCH = ("fetch the tags (git fetch --tags, and git config --unset remote.origin.tagOpt "
               "so later fetches bring them)")
# a clone that holds no tag while its configuration does not refuse them: a CI checkout or a
# fetch script whose refspec brings branches only
_TAGLESS_FETCH = ("fetch the tags (git fetch --tags), and have the checkout fetch them: a "
                  "fetch refspec without tags (+refs/heads/*:refs/remotes/origin/*, a CI "
                  "checkout's or a fetch script's) brings none, so add git fetch --tags to it "
                  "(or the refspec +refs/tags/*:refs/tags/*)")


def _clone_gap(ctx: AuditContext) -> str | None:
    """How a finding says what the clone the store was harvested from lacks, and how to fetch
    it (``a shallow clone (history before 92e113c28d23, and the tags outside it, not
    fetched), which may hold it: fetch the whole history and its tags (…), then lineage
    harvest``), None when it lacks
    nothing the git harvester could tell: a shallow boundary whose history the store does not
    hold, or a clone that holds no tag, whether it fetches none (``git clone --no-tags``) or
    its fetch brought none (:attr:`AuditIndex.clones`)."""
    for _repo, c in sorted(ctx.idx.clones.items()):
        if c.shallow:
            return (f"a shallow clone (history before {c.shallow[0][:12]}"
                    f"{f' and {len(c.shallow) - 1} more' if len(c.shallow) > 1 else ''}, "
                    f"and the tags outside it, not fetched), which may hold it: {_CLONE_FETCH}, "
                    "then lineage harvest")
        if c.no_tags:
            return (f"a clone that fetched no tags (git clone --no-tags), which may hold it: "
                    f"{_TAGS_FETCH}, then lineage harvest")
        if c.tagless:
            return (f"a clone that holds no tags (its fetch brought none), which may hold it: "
                    f"{_TAGLESS_FETCH}, then lineage harvest")
    return None


def _declared_groups(ctx: AuditContext) -> list[str]:
    """The model groups dvc.yaml declares (``artifacts:``: registry "dvc", or the artifact
    path it declares, which a group GTO registers keeps), sorted: GTO registers their
    versions and stages by tags, so a clone holding no tag lacks them."""
    return sorted(g for g in ctx.idx.ids("model_group")
                  if (a := ctx.idx.a(g)).get("registry") == "dvc" or a.get("path"))


def _gto_in_store(ctx: AuditContext) -> bool:
    """Whether the store holds a version or a deployment GTO's tags recorded."""
    idx = ctx.idx
    return any(idx.a(m).get("registry") == "gto" for m in idx.ids("model")) or any(
        idx.a(d).get("source") == "gto" for d in idx.ids("deployment"))


def _listed(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _tagless_reasons(ctx: AuditContext, c: Clone, missing_models: list[str],
                     declared: list[str]) -> list[str]:
    """Why a clone holding no tag lacks what the audit should judge (``harvest-complete``);
    none: nothing shows the repository has a GTO tag."""
    reasons = []
    if c.remote_gto:
        reasons.append(f"its remote holds {c.remote_gto} GTO tags the clone lacks "
                       f"({_listed(list(c.remote_gto_some), 3)}"
                       f"{' …' if c.remote_gto > len(c.remote_gto_some) else ''}, by git "
                       "ls-remote at the harvest)")
    if missing_models:
        reasons.append(f"{_listed(missing_models)} named by a record is not in the graph")
    if declared:
        reasons.append(f"dvc.yaml declares {_listed([short(g) for g in declared])} "
                       "(artifacts: the models GTO registers)")
    if _gto_in_store(ctx):
        reasons.append("the store holds versions or deployments GTO's tags recorded")
    if c.gto:
        reasons.append(f"{c.gto} in the work tree shows the repository uses GTO (gto "
                       "register and gto assign make tags with no artifacts: declaration)")
    return reasons


def _unreached(c: Clone) -> tuple[str, str]:
    """(what a ``harvest-complete`` finding adds of a remote the harvest could not ask, the
    fix that comes first): ``("", "")`` when it answered or was not asked."""
    if not c.remote_unreached:
        return "", ""
    return (f"; its remote could not be reached at the harvest to tell which GTO tags it "
            f"holds ({c.remote_unreached})",
            "make the remote reachable (its URL: git remote -v, the network, its "
            "credentials; or git remote set-url to a copy that is) and ")


def _checkout_gaps(ctx: AuditContext, c: Checkout, tier: str) -> Iterator[Outcome]:
    """``harvest-complete``'s findings about the governance records the last harvest could not
    read from its checkout (:class:`lineage.audit.index.Checkout`): record files a sparse
    checkout left out (one finding for the repository: every rule's checks lack them), and
    each record the store holds from a commit no ref of the clone holds any more and no
    record file holds now (one finding per record, about its model or group, so that a waiver
    can accept that one record: the store keeps it, and the other rules count it)."""
    repo = c.repository or "repository"
    modules = [p for p in c.left_out if p.endswith("/")]  # submodules not initialized
    if modules:
        yield ctx.failed(
            repo if repo.startswith("repository:") else f"repository:{repo}", tier,
            f"the store was harvested from a checkout that did not initialize the submodule "
            f"{_listed(modules, 3)} holding governance records (a clone without "
            "--recurse-submodules): their approvals, deployments, risk assessments and other "
            "records were not harvested, so their checks read them as missing, or as the "
            "store held them before",
            evidence=[repo, *modules[:20]],
            remediation=f"initialize it (git submodule update --init {modules[0].rstrip('/')}; "
            "in a CI checkout, submodules: true), then harvest again (lineage harvest) and "
            "audit")
    elif c.left_out_count:
        shown = _listed(list(c.left_out), 3)
        if c.left_out_count > len(c.left_out):
            shown += f" ({c.left_out_count} in all)"
        yield ctx.failed(
            repo if repo.startswith("repository:") else f"repository:{repo}", tier,
            f"the store was harvested from a sparse checkout that left {c.left_out_count} "
            f"record file(s) of {c.folder}/ out of the work tree ({shown}): their approvals, "
            "deployments, risk assessments and other records were not harvested, so their "
            "checks read them as missing, or as the store held them before",
            evidence=[repo, *c.left_out[:20]],
            remediation=f"add the folder to the checkout (git sparse-checkout add {c.folder}; "
            "in a CI checkout, add it to the sparse-checkout list), then harvest again "
            "(lineage harvest) and audit")
    for u in c.unheld:
        a = ctx.idx.a(u.node)
        model = a.get("model") if isinstance(a.get("model"), str) else None
        group = a.get("model_group") if isinstance(a.get("model_group"), str) else None
        how = ("this clone does not hold it" if u.missing else
               "this clone holds it, but no branch or tag reaches it")
        yield ctx.failed(
            u.node, tier,
            f"{_rid(u.node)} was harvested from {u.file or 'a record file'} as commit "
            f"{u.commit[:12]} added it; no record file holds it now and no ref of the clone "
            f"the store was last harvested from holds that commit ({how}): history rewritten "
            "by a force-push, or a store harvested from another branch (a CI cache restored "
            "across branches). The store keeps it and the other rules count it, but the "
            "repository no longer holds it: a fresh clone's audit would not",
            evidence=[u.node, f"commit:{u.commit}", *([u.file] if u.file else [])],
            model=model, group=group,
            remediation="if the record was removed on purpose, audit a store of this branch "
            "(key the CI cache of .lineage/ per branch, or rebuild the store: lineage init in a "
            "fresh clone, then lineage harvest); if the commit is on a branch this clone did "
            "not fetch, fetch it (git fetch origin <branch>) and harvest again; to accept the "
            "record as it is, waive harvest-complete for it (subject "
            f"{u.node}) with the reason")


@rule("harvest-complete", "Store harvested from a complete clone",
      articles=("EU AI Act Art. 12",), controls=("ISO/IEC 42001 A.6.2.8",),
      severity={t: "critical" for t in ("unacceptable", "high", "limited", "minimal",
                                        "unassessed")})
def harvest_complete(ctx: AuditContext) -> Iterator[Outcome]:
    """The store was not harvested from a clone that lacks what its facts, or the facts the
    audit should judge, come from: a shallow clone whose history the store lacks (a CI
    checkout of depth 1 fetches neither the older commits nor the GTO tags outside them, so
    versions, deployments and the records committed before are not in the graph and their
    findings are silently missing); a clone that does not hold GTO tags the store's versions
    and deployments in force rest on and cannot tell them gone — it holds no tag at all, or
    is shallow and lacks their commits — (the harvest kept those facts as they were: a store
    restored from a CI cache into such a checkout); or a clone that holds no tag — it fetches
    none (``git clone --no-tags``), or its fetch brought none (a CI checkout or fetch script
    whose refspec brings branches only) — while a record names a model version or group the
    graph lacks, ``dvc.yaml`` declares model artifacts (whose versions GTO registers by tags),
    the store holds GTO's versions or deployments, or the work tree shows the repository uses
    GTO (a ``.gto`` file, a requirement naming gto), or its remote holds GTO tags
    (``remote_gto``, asked by the harvest): a repository with no tag and none of these is not
    failed (the report says so when the store holds no model version at all), nor one whose
    remote answered that it holds no GTO tag (the clone lacks none).
    Also from the checkout the records harvester read (its ``checkout`` watermark:
    :func:`_checkout_gaps`): a sparse checkout that left governance record files out of the
    work tree, and each record the store holds from a commit no ref of the clone holds any
    more and that no record file holds now.

    One finding per repository, severity critical at every tier: an audit of an incomplete
    clone vouches for no threshold, so it fails every ``--fail-on`` but ``never``, as a failed
    ``--verify`` does. Its tier is the strictest the graph assesses and it runs under every
    ``--rule`` selection, so it gates every filter. A complete clone is no check of its own: a
    graph read back from a catalog keeps no clone state, and the two audits of one graph must
    count the same checks."""
    if not ctx.idx.clones and ctx.idx.checkout is None:
        return
    tier = max((ctx.group_tier(g) for g in ctx.group_members), key=TIER_RANK.__getitem__,
               default="unassessed")
    if ctx.idx.checkout is not None:
        yield from _checkout_gaps(ctx, ctx.idx.checkout, tier)
    missing_models = sorted(ctx.missing_models())
    declared = _declared_groups(ctx)
    for repo, c in sorted(ctx.idx.clones.items()):
        how = ("fetched no tags (git clone --no-tags: remote tagOpt --no-tags) and holds "
               "none" if c.no_tags else "holds no tags (its fetch brought none: a fetch "
               "refspec without tags, or git fetch --no-tags)")
        tags_fix = _TAGS_FETCH if c.no_tags else _TAGLESS_FETCH
        kept = (f"; the harvest kept the store's GTO facts resting on tags it does not hold "
                f"({_listed(list(c.gto_unseen))}) as they were, unjudged"
                if c.gto_unseen else "")
        # the remote could not be asked: said, and making it reachable comes first (a fetch
        # of the tags needs it, and makes the next harvest ask it again)
        unreached, reach = _unreached(c)
        if c.shallow:
            shown = ", ".join(x[:12] for x in c.shallow[:3]) + (" …" if len(c.shallow) > 3
                                                               else "")
            yield ctx.failed(
                repo, tier, f"the store was harvested from a shallow clone of {repo}: the "
                f"history before {shown} was not fetched, nor the tags outside it (GTO "
                "registrations and stage assignments), so model versions, deployments and "
                "records committed there are not in the graph and their findings are missing"
                + (f"; {', '.join(missing_models[:3])} named by a record but not harvested"
                   if missing_models else "") + kept + (unreached if kept else ""),
                evidence=[repo, *(f"commit:{x}" for x in c.shallow[:20]), *missing_models[:20]],
                remediation=f"{reach if kept else ''}{_CLONE_FETCH}, then harvest again "
                "(lineage harvest) and audit")
        elif c.gto_unseen:
            what = (f"a clone of {repo} that {how}: it does not hold" if c.tagless else
                    f"a shallow clone of {repo} (it fetched only some tags) that does not "
                    "hold")
            yield ctx.failed(
                repo, tier, f"the store was harvested from {what} the GTO tags the store's "
                f"versions and deployments rest on ({_listed(list(c.gto_unseen))}), so it "
                "cannot show whether they were deleted or moved, nor any registration or "
                "stage assignment made since: the harvest kept the store's GTO facts as they "
                f"were, and this audit cannot vouch for them{unreached}",
                evidence=[repo, *missing_models[:20]],
                remediation=f"{reach}{tags_fix if c.tagless else _CLONE_FETCH}, then harvest "
                "again (lineage harvest) and audit")
        elif c.no_tags or c.tagless:
            reasons = _tagless_reasons(ctx, c, missing_models, declared)
            if not reasons:
                continue
            yield ctx.failed(
                repo, tier, f"the store was harvested from a clone of {repo} that {how}, and "
                f"{'; '.join(reasons)}: GTO registrations and stage assignments are tags, so "
                f"its versions and deployments were not harvested{unreached}",
                evidence=[repo, *(missing_models or declared)[:20]],
                remediation=f"{reach}{tags_fix}, then harvest again (lineage harvest) and "
                "audit")


__all__ = ["RULES"]
