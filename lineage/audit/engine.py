"""The audit engine: derived views over the index, rule execution, severities, waivers.

Model versions seen by two registries (a GTO tag ``churn@v1.0.0`` and MLflow version
``churn@3``, joined by ``same_as`` edges) are **one version** for the audit: the engine groups
model nodes into *version classes* (connected components of ``same_as``), and every rule that
asks about a version — its run, approvals, deployments, documents, retraining record, alerts —
looks at all members of the class. A class is reported under its *canonical id*: the member
governance records name, else a GTO or semantic version, else the smallest id
(:meth:`AuditContext._representative_key`); a finding about a deployment names the spelling the
deployment names (:meth:`AuditContext.named_version`); aliases are listed in the finding. Model groups whose versions are joined that way form
one *group class*: its risk tier is the strictest of its groups' latest assessments.

Runs joined by ``same_as`` (one training job that logged to MLflow and was recorded by
``track_run`` or ``lineage record run``: ``run:lineage:…`` same_as ``run:mlflow:…``) are
likewise **one run**: a *run class* is reported under its recorded spelling (the run lineage
recorded, else the smallest id; :meth:`AuditContext.run_of`), counted once and judged once
over the facts of all its spellings (:meth:`AuditContext.spellings`,
:meth:`AuditContext.run_status`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from lineage.audit import rules as _rules  # noqa: F401  (registers the built-in rules)
from lineage.audit.index import REF_ATTRS, AuditIndex, build_index, ref_id
from lineage.audit.policy import (
    DEFAULT_POLICY,
    Policy,
    Waiver,
    severity_rank,
    unknown_environments,
)
from lineage.audit.registry import RECORD_SKEW, RULES, RuleSpec, parse_time, short
from lineage.classes import equivalence_classes
from lineage.errors import ConfigError
from lineage.runtime import gc_paused

# the record attributes that name a model version (a class's spelling records use)
_NAMES_VERSION = (("deployment", "model"), ("approval", "model"), ("document", "model"),
                  ("alert", "model"), ("retraining", "new_model"),
                  ("retraining", "previous_model"))
# a URL with a scheme (https://…, s3://…): a document the audit takes as recorded, unlike a
# path (lineage.records.is_url)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# a release-style version (v1.0.0, 1.2, 2.0.0-rc1): what people call a version, unlike a
# registry's counter (MLflow's 3)
_SEMVER = re.compile(r"^v?\d+\.\d+")
# governance record kinds a later record of the same kind can correct (``supersedes``)
SUPERSEDABLE = ("deployment", "approval", "risk_assessment", "retraining", "alert", "document")
TIER_ORDER = ("unassessed", "minimal", "limited", "high", "unacceptable")
# kinds whose correction, when dated after it was written, does not supersede: the record it
# names would stop counting (a live deployment, an open alert, the assessment in force)
FUTURE_CORRECTS_NOTHING = ("deployment", "alert", "risk_assessment")
# the dates of a governance record checked against the time the store wrote it: (attribute,
# compared with the first write; False: with the last, a deployment's retirement completes it)
DATED = {"deployment": (("deployed_at", True), ("retired_at", False)),
         "approval": (("decided_at", True),), "risk_assessment": (("assessed_at", True),),
         "alert": (("at", True),), "retraining": (("at", True),),
         "document": (("at", True),)}
# a record first written down more than this after the date it carries was recorded after the
# fact: `lineage show` marks it
RECORDED_LATE = timedelta(days=1)
# an approval a passed gate counts, first written down more than this after its decided_at: the
# audit's reports say so (a week: an approval merged through a pull request some days after
# the meeting is routine; one written months later to close a gate is not)
APPROVAL_RECORDED_LATE = timedelta(days=7)


# what bounds the runs upstream of a run or version, as ``lineage show`` bounds a provenance
# (:meth:`lineage.graph.LineageGraph.provenance_of`): the commits whose history holds them
# (None: unbounded) and the latest a writer may have started (None: unbounded)
_Bound = tuple[frozenset[str] | None, datetime | None]


def _merge_bounds(a: _Bound, b: _Bound) -> _Bound:
    """A run reached along two paths: the history either holds (their commits together, the
    later time; unbounded when either is)."""
    return (None if a[0] is None or b[0] is None else a[0] | b[0],
            None if a[1] is None or b[1] is None else max(a[1], b[1]))


def _tier_rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else 0


class Existed(NamedTuple):
    """The earliest evidence of a model version (:meth:`AuditContext.version_since`): its
    time, how a finding says it ("its commit 9c0dc14cdfbc") and the node that holds it."""

    at: datetime
    what: str
    node: str


class Moved(NamedTuple):
    """A registration tag moved to another commit (:meth:`AuditContext.artifact`): when (the
    moved tag's date; None when unknown), the tag, the commit it left and the one it went to,
    and ``since``: when the tag was put on the commit it left (the old ``tagged`` edge's
    ``registered_at``; None when unknown)."""

    at: datetime | None
    tag: str
    old_commit: str
    new_commit: str
    since: datetime | None = None


class Named(NamedTuple):
    """The bytes a version whose registration tag moved named at a time
    (:meth:`AuditContext.content_at`): the commit its tag named (lower-case sha) and the
    content hashes of its artifact there (empty when unknown)."""

    commit: str
    hashes: frozenset[str]


class Artifact(NamedTuple):
    """A version's artifact as it is now (:meth:`AuditContext.artifact`): its content hashes
    (empty when unknown), the data nodes holding them and, when a registration tag moved, the
    latest move."""

    hashes: frozenset[str]
    nodes: tuple[str, ...]
    moved: Moved | None


class FilterError(ConfigError):
    """A ``--model`` / ``--env`` filter that selects nothing to audit (:func:`check_filters`):
    a usage error, apart from a policy that does not hold (a :class:`ConfigError` too)."""


@dataclass
class Outcome:
    """One subject checked by one rule: passed, or failed with message/evidence/remediation."""

    subject: str
    passed: bool
    tier: str
    model: str | None = None
    group: str | None = None
    environment: str | None = None
    message: str = ""
    evidence: tuple[str, ...] = ()
    remediation: str = ""
    rule: str = ""


@dataclass
class Finding:
    rule: str
    title: str
    severity: str
    tier: str
    subject: str
    message: str
    evidence: list[str]
    remediation: str
    articles: list[str]
    controls: list[str]
    model: str | None = None
    group: str | None = None
    environment: str | None = None
    aliases: list[str] = field(default_factory=list)
    location: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Every documented key, ``None`` (JSON ``null``) when it does not apply (a run has no
        environment, a group-level finding no model); ``waiver`` only when one matched."""
        return {k: v for k, v in self.__dict__.items() if v is not None or k != "waiver"}


@dataclass
class Check:
    """One rule × subject evaluation, passed or not (JUnit test cases)."""

    rule: str
    subject: str
    model: str | None
    group: str | None
    finding: Finding | None = None
    waived: bool = False


@dataclass
class WaiverUse:
    """A waiver as the audit used it: ``used`` (it suppressed a finding), ``expired`` (past
    its date, it matched a finding it no longer suppresses) or ``unused`` (it matched no
    finding, whatever its date: ``expired`` says whether that date has passed)."""

    waiver: Waiver
    status: str  # "used" | "expired" | "unused"
    matched: list[str] = field(default_factory=list)
    expired: bool = False  # past its ``expires`` date at the audit's clock

    @property
    def label(self) -> str:
        """``used``, ``expired``, ``unused``, or ``unused (expired 2026-01-10)``: a waiver
        that matched nothing is unused, whether or not its date has passed."""
        if self.status == "unused" and self.expired:
            return f"unused (expired {self.waiver.expires})"
        return self.status

    def names(self) -> set[str]:
        """The node ids the waiver's ``node`` may stand for (:func:`waiver_names`)."""
        return waiver_names(self.waiver.node)

    def as_dict(self) -> dict[str, Any]:
        return {**self.waiver.model_dump(mode="json"), "status": self.status,
                "expired": self.expired, "matched": self.matched}


def _registration(version: str, member: str, attrs: dict[str, Any]) -> str:
    """How a finding says what registered a version (``member``: the spelling whose
    ``created_at`` it is): its GTO tag, a registry, or the run that first recorded it."""
    registry = attrs.get("registry")
    props = attrs.get("properties")
    tag = props.get("gto_tag") if isinstance(props, dict) else None
    aka = f" as {short(member)}" if member != version else ""
    if registry == "gto" and tag:
        return f"its GTO tag {tag}"
    if registry in (None, "lineage"):
        run = attrs.get("run_id")
        return (f"first recorded{aka} by run run:lineage:{run}, at its end" if run
                else f"first recorded{aka}")
    name = {"gto": "GTO", "mlflow": "MLflow", "dvc": "DVC"}.get(str(registry), str(registry))
    return f"in the {name} registry{aka}"


def waiver_names(node: str) -> set[str]:
    """The node ids a waiver's ``node`` names, in every spelling the report prints and
    ``--model`` takes: the full id (``model:churn@v1.1.0``, ``model_group:churn``,
    ``run:…``), a version's short id (``churn@v1.1.0``), a group's name (``churn``, also
    ``model:churn``). Names are compared as given (case included), as ``--model`` does."""
    out = {node}
    if node.startswith("model:") and "@" not in node:
        out.add("model_group:" + node.removeprefix("model:"))
    elif not node.startswith(("model:", "model_group:")):
        out.add(("model:" if "@" in node else "model_group:") + node)
    return out


@dataclass
class AuditReport:
    findings: list[Finding]
    waived: list[Finding]
    checks: list[Check]
    waivers: list[WaiverUse]
    rules: list[RuleSpec]
    policy_source: str
    source: str
    # when the report was made (the real time), not the clock the audit ran on: that is
    # ``as_of`` (``--as-of``, else when the audit started)
    generated_at: datetime
    stats: dict[str, int]
    as_of: datetime | None = None
    started_at: datetime | None = None
    # what the audit noticed about its input without failing it (a policy field naming an
    # environment no deployment goes to), each naming the file, line and field
    warnings: list[str] = field(default_factory=list)
    # repository file SARIF results without a file of their own are anchored at (the policy
    # file, lineage.yaml, dvc.yaml …): GitHub code scanning rejects results without one
    anchor_file: str | None = None

    def count_by_severity(self) -> dict[str, int]:
        out = {s: 0 for s in reversed(("info", "low", "medium", "high", "critical"))}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def after_as_of(self) -> dict[str, int]:
        """How many of each kind the audit left out as made after its clock (``--as-of``)."""
        return {k.removesuffix("_after_as_of"): n for k, n in self.stats.items()
                if k.endswith("_after_as_of")}

    def worst(self) -> str | None:
        return max((f.severity for f in self.findings), key=severity_rank, default=None)

    def fails(self, at_or_above: str) -> bool:
        if at_or_above == "never":
            return False
        limit = severity_rank(at_or_above)
        return any(severity_rank(f.severity) >= limit for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "as_of": self.as_of or self.generated_at,
            "warnings": self.warnings,
            "source": self.source,
            "policy": self.policy_source,
            "stats": self.stats,
            "summary": {"findings": len(self.findings), "waived": len(self.waived),
                        "checks": len(self.checks), "by_severity": self.count_by_severity(),
                        "runs_out_of_scope": self.stats.get("runs_out_of_scope", 0),
                        "after_as_of": self.after_as_of()},
            "rules": [{"id": r.id, "title": r.title, "articles": list(r.articles),
                       "controls": list(r.controls)} for r in self.rules],
            "findings": [f.as_dict() for f in self.findings],
            "waived": [f.as_dict() for f in self.waived],
            "waivers": [w.as_dict() for w in self.waivers],
        }


def _group_name(ref: str) -> str:
    """``model:churn@v1`` / ``churn@v1`` / ``model_group:churn`` / ``churn`` → ``churn``."""
    name = ref.split(":", 1)[1] if ref.startswith(("model:", "model_group:")) else ref
    return name.rsplit("@", 1)[0] if ref.startswith("model:") or "@" in name else name


class AuditContext:
    """What a rule sees: the index, the policy, ``now`` and the version/group classes."""

    def __init__(self, idx: AuditIndex, policy: Policy, now: datetime,
                 wall: datetime | None = None) -> None:
        self.idx = idx
        self.policy = policy
        self.now = now
        # when a record was written, if its source does not say (a graph rebuilt from
        # DataHub): no later than the real time this audit started, whatever --as-of says
        # (the clock itself when it is the real time: a deployment dated after it is live)
        self.wall = wall or datetime.now(UTC)
        self._cache: dict[tuple[str, str], Any] = {}
        # deployment → (its version, the approvals that count for it), as deployment-approved
        # found them when it passed (read by the report's late-recorded warnings)
        self.counted_approvals: dict[str, tuple[str, list[str]]] = {}
        self._classes()
        self._run_classes()
        self._groups()
        self._supersessions()
        self._assessments()

    def _memo(self, what: str, key: str, compute: Any) -> Any:
        k = (what, key)
        try:
            return self._cache[k]
        except KeyError:
            value = self._cache[k] = compute(key)
            return value

    # -- record times ----------------------------------------------------------------------------
    def recorded_at(self, record: str, last: bool = False) -> datetime:
        """When ``record`` was first written down (:meth:`_first_written`: the store's first
        writing of it, or the commit that added it to its record file if that is earlier);
        ``last``: when the store last wrote it (a deployment's retirement completes it after
        its file was first committed: only the store dates that). The real time of the audit
        when the source keeps no such time.

        The earliest evidence is the safe one wherever a rule reads it: a date later than it
        is a claim about the future (an approval dated after its commit approves nothing,
        whenever a fresh clone's harvest wrote it), a deployment counts from it at the latest,
        an assessment ages and an open alert falls due from it. A record committed long after
        its date is what one recorded late is: its date is taken as for any record written
        after the fact, and `lineage show` marks it."""
        if last:
            times = self.idx.recorded.get(record)
            t = parse_time(times[1]) if times else None
            return t or self.wall
        return self._first_written(record) or self.wall

    def future_dated(self, record: str) -> list[tuple[str, datetime, datetime]]:
        """(attribute, its date, when the record was written) for each date of ``record``
        later than its writing (beyond :data:`RECORD_SKEW`): a record of something that had
        not happened yet when it was written. It is a finding of its own, and the audit does
        not take the date's word where it would help a gate pass (see :meth:`deployed_at`,
        :meth:`active`, :meth:`trusted_time`)."""
        return self._memo("future", record, self._future_dated)  # type: ignore[no-any-return]

    def _future_dated(self, record: str) -> list[tuple[str, datetime, datetime]]:
        out = []
        a = self.idx.a(record)
        for attr, first in DATED.get(record.split(":", 1)[0], ()):
            t = parse_time(a.get(attr))
            if t is None:
                continue
            written = self.recorded_at(record, last=not first)
            if t > written + RECORD_SKEW:
                out.append((attr, t, written))
        return out

    def trusted_time(self, record: str, attr: str) -> datetime | None:
        """A record's date when it is no later than the record's writing, else None: a claim
        about the future is no evidence (an approval decision, monitoring)."""
        t = parse_time(self.idx.a(record).get(attr))
        if t is None or any(name == attr for name, _, _ in self.future_dated(record)):
            return None
        return t

    def deployed_at(self, deployment: str) -> datetime:
        """When a deployment happened as the audit takes it: its ``deployed_at``, or when the
        store recorded it if that is earlier or it has no date (a deployment dated after it
        was recorded may already run: a forged future date must not keep it out of the
        audit, nor let approvals dated after its recording count)."""
        t = parse_time(self.idx.a(deployment).get("deployed_at"))
        written = self.recorded_at(deployment)
        return written if t is None or t > written else t

    # -- corrections ---------------------------------------------------------------------------
    def _supersessions(self) -> None:
        """Records are immutable: a correction is a new record of the same kind whose
        ``properties.supersedes`` names the one it corrects (its ``id:`` as given, or its node
        id). A superseded record no longer counts for any rule (it is still in the graph).

        A correction follows what it corrects: one the store wrote before the record it names
        (an id guessed ahead, e.g. a deployment's derived id) corrects nothing, and records
        that name each other (a cycle) correct nothing either; both still count. A deployment,
        alert or assessment dated after it was written (:meth:`future_dated`) corrects
        nothing: removing what it names would let a gate pass."""
        self.superseded: dict[str, list[str]] = {}  # record → the records that supersede it
        self.foreign_corrections: dict[str, list[str]] = {}  # same, about another system
        # approval → approvals by other people naming it as corrected: a decision is its
        # approver's, and only they correct it (another's would reinstate what they withdrew)
        self.foreign_approver: dict[str, list[str]] = {}
        pairs: list[tuple[str, str]] = []
        for kind in SUPERSEDABLE:
            prefix = kind + ":"
            for n in self.idx.ids(kind):
                props = self.idx.a(n).get("properties")
                if not isinstance(props, dict) or not props.get("supersedes"):
                    continue
                refs = props["supersedes"]
                for ref in refs if isinstance(refs, list) else str(refs).split(","):
                    ref = str(ref).strip()
                    if not ref:
                        continue
                    target = ref if ref.startswith(prefix) else prefix + ref
                    if target == n:
                        continue
                    mine, theirs = self._record_groups(n), self._record_groups(target)
                    if mine and theirs and not mine & theirs:
                        # a record about another AI system corrects nothing here: a
                        # deployment of credit cannot make churn's deployment vanish
                        self.foreign_corrections.setdefault(target, []).append(n)
                        continue
                    if self._written_after(target, n):
                        continue  # named before it existed: it corrects nothing
                    if kind == "approval" and self._other_approver(n, target):
                        self.foreign_approver.setdefault(target, []).append(n)
                        continue
                    if kind in FUTURE_CORRECTS_NOTHING and self.future_dated(n):
                        # a correction from the future must not make a live deployment, an
                        # open alert or the assessment in force vanish now
                        continue
                    pairs.append((n, target))
        corrects: dict[str, set[str]] = {}
        for n, target in pairs:
            corrects.setdefault(n, set()).add(target)

        def reaches(start: str, goal: str) -> bool:
            seen, todo = {start}, [start]
            while todo:
                for nxt in corrects.get(todo.pop(), ()):
                    if nxt == goal:
                        return True
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            return False

        for n, target in pairs:
            if not reaches(target, n):  # in a cycle, neither record corrects the other
                self.superseded.setdefault(target, []).append(n)

    def _other_approver(self, correction: str, approval: str) -> bool:
        """The two approvals are decisions of different people (by the audit's one rule of
        who is one person); False when the approval is not in the graph."""
        if approval not in self.idx.attrs:
            return False
        mine = _rules.person(str(self.idx.a(correction).get("approver") or ""))
        theirs = _rules.person(str(self.idx.a(approval).get("approver") or ""))
        return mine is None or theirs is None or not _rules.same_person(mine, theirs)

    def _written_after(self, record: str, other: str) -> bool:
        """``record`` was first written down after ``other`` (:meth:`_first_written`: by the
        store, or the commit that added it to its file; False when neither says for one of
        them: a graph from DataHub, rows of an older store)."""
        a, b = self._first_written(record), self._first_written(other)
        return a is not None and b is not None and a > b

    def record_groups(self, record: str) -> set[str]:
        """The group classes of the model versions and group a record names (empty: none)."""
        return self._record_groups(record)

    def _record_groups(self, record: str) -> set[str]:
        """The group classes of the model versions and group a record names (versions joined
        by ``same_as`` are one class, so their groups are one); empty when it names none."""
        attrs = self.idx.a(record) if record in self.idx.attrs else {}
        names = set()
        for key in ("model", "previous_model", "new_model", "model_group"):
            v = attrs.get(key)
            if isinstance(v, str) and v:
                names.add(self.group_of_ref(v))
        return names

    def group_of_ref(self, ref: str) -> str:
        """The group class of a model version or group a record names (``model:credit@v1``,
        ``model_group:credit``), harvested or not: versions joined by ``same_as`` are one
        class, so their groups are one."""
        group = self.group_of(self.version_of(ref)) if ref.startswith("model:") else None
        return group or self.group_class(f"model_group:{_group_name(ref)}")

    def superseded_by(self, record: str) -> list[str]:
        """The records that correct ``record`` (empty when it still counts)."""
        return self.superseded.get(record, [])

    # -- version classes ----------------------------------------------------------------------
    def _classes(self) -> None:
        idx = self.idx
        models = list(idx.ids("model"))
        known = set(models)
        self.members: dict[str, list[str]] = equivalence_classes(
            models, ((m, other) for m in models
                     for other, _ in idx.targets(m, "same_as") + idx.sources(m, "same_as")
                     if other in known))
        self.canon: dict[str, str] = {}
        key = self._representative_key() if any(
            len(ms) > 1 for ms in self.members.values()) else None
        classes = {(min(ms, key=key) if key is not None else ms[0]): ms
                   for ms in self.members.values()}
        for rep, ms in classes.items():
            for m in ms:
                self.canon[m] = rep
        self.members = classes
        # A deployment is a fact even when no source described the version it names (a CD job
        # records it before anything harvested the version): that version is a class of its
        # own, so the rules about deployments check it (its lineage-continuity finding says
        # that the version itself is missing).
        self.unharvested: set[str] = set()
        for d in idx.ids("deployment"):
            named = {m for m, _ in idx.sources(d, "deployed_as")}
            ref = ref_id(idx.a(d).get("model"))
            if ref:
                named.add(ref)
            for m in named:
                if m.startswith("model:") and m not in self.canon:
                    self.unharvested.add(m)
                    self.members[m] = [m]
                    self.canon[m] = m

    def _representative_key(self) -> Callable[[str], tuple[int, int, str]]:
        """How a version class picks the spelling it is reported under: the one governance
        records name (a deployment, approval, document … names the version it is about: GTO's
        ``churn#prod#1`` deploys ``churn@v1.0.0``, not its MLflow twin ``churn@1``), else a
        GTO or semantic version (``v1.0.0``: what people call a release), else the smallest
        id. The other spellings are its aliases."""
        idx = self.idx
        # (the attribute indexes :meth:`linked` reads anyway: built once, shared)
        by_attr = [self._index_attr(kind, name) for kind, name in _NAMES_VERSION]

        def named(m: str) -> bool:
            return bool(idx.targets(m, "deployed_as") or idx.sources(m, "approves")
                        or any(m in found for found in by_attr))

        def key(m: str) -> tuple[int, int, str]:
            a = idx.a(m)
            version = str(a.get("version") or m.rpartition("@")[2])
            semantic = a.get("registry") == "gto" or bool(_SEMVER.match(version))
            return (not named(m), not semantic, m)

        return key

    # -- run classes --------------------------------------------------------------------------
    def _run_classes(self) -> None:
        """Runs joined by ``same_as`` are one run (one job seen by two sources: the run lineage
        recorded and the MLflow run it ran in). Only runs some source described are joined
        (an edge to a run no harvested store holds joins nothing). The class is reported
        under the run lineage recorded (its dirty flag and its inputs hashed from the bytes
        read are the job's own record), else its smallest id; runs not joined are classes of
        their own and are not listed here (a store of a million runs holds few joins)."""
        idx = self.idx
        pairs = [(r, o) for r, outs in idx.out_edges.get("same_as", {}).items()
                 if r.startswith("run:") and r in idx.attrs
                 for o, _ in outs if o.startswith("run:") and o in idx.attrs and o != r]
        # class → its spellings, the reported one first; spelling → its class
        self.run_members: dict[str, list[str]] = {}
        self.run_canon: dict[str, str] = {}
        for ms in equivalence_classes((), pairs).values():
            rep = min(ms, key=lambda r: (idx.a(r).get("source") != "lineage", r))
            self.run_members[rep] = [rep, *(m for m in ms if m != rep)]
            for m in ms:
                self.run_canon[m] = rep

    def run_of(self, run: str) -> str:
        """The run class of ``run`` (its reported spelling; the run itself when it is joined
        to no other)."""
        return self.run_canon.get(run, run)

    def spellings(self, run: str) -> list[str]:
        """Every spelling of the run class of ``run``, the reported one first."""
        return self.run_members.get(self.run_of(run), [run])

    def run_status(self, run: str) -> tuple[Any, bool, str | None]:
        """(status, finished, conflict) of the run class of ``run``, as ``model-has-run``
        reads it. One spelling: its status, finished by its source's word. Several: each
        source's word is its own (a recorded run's status is what the job said when its
        block ended; an MLflow run's, what the tracking server was told): the class finished
        when one spelling finished and none ended otherwise; a spelling that has not ended
        (RUNNING: its end was never sent) says nothing against one that did. Spellings that
        ended differently (one FINISHED, the other FAILED or KILLED) are a conflict, said
        in ``conflict``: the job did not finish by every account, so it is not taken as
        finished, and its status is the one that says so."""
        spellings = self.spellings(run)
        attrs = [(s, self.idx.a(s)) for s in spellings]
        if len(spellings) == 1:
            return attrs[0][1].get("status"), _rules.finished(attrs[0][1]), None
        done = [(s, a) for s, a in attrs if _rules.finished(a)]
        other = [(s, a) for s, a in attrs if not _rules.finished(a) and _rules.ended(a)]
        if done and other:
            said = "; ".join(f"{s} says {a.get('status')} ({_rules.status_by(a)})"
                             for s, a in [*done, *other])
            return other[0][1].get("status"), False, f"its spellings disagree: {said}"
        if done:
            return done[0][1].get("status"), True, None
        first = next((a.get("status") for _, a in attrs if a.get("status") not in (None, "")),
                     None)
        return first, False, None

    def run_dirty(self, run: str) -> Any:
        """Whether the run class was trained on a dirty working tree: True when a spelling
        (or its code edge) says so, else what the run lineage recorded says (``track_run``
        reads the tree; an MLflow run says nothing of it)."""
        said: Any = None
        for s in self.spellings(run):
            d = self.idx.a(s).get("dirty")
            if d or any(e.get("dirty") for _, e in self.idx.sources(s, "code")):
                return True
            said = d if said is None else said
        return said

    def run_start(self, run: str) -> tuple[datetime, str] | None:
        """When the run class started (the earliest start of its spellings: the source that
        saw the job first) and the spelling that says so; None when none says."""
        times = [(t, s) for s in self.spellings(run)
                 if (t := parse_time(self.idx.a(s).get("start_time"))) is not None]
        return min(times) if times else None

    def named_version(self, record: str, version: str) -> str:
        """The spelling of ``version`` (a class) that ``record`` (a deployment, approval …)
        names: a finding about the record says what it says (GTO's ``churn#prod#1`` deployed
        ``churn@v1.0.0``, whatever the class is reported under); the class's own id when the
        record names none of its members."""
        members = self.members.get(version, [version])
        ref = ref_id(self.idx.a(record).get("model"))
        if ref in members:
            return ref
        edges = self.idx.sources(record, "deployed_as") + self.idx.targets(record, "approves")
        return next((m for m, _ in edges if m in members), version)

    def missing_models(self) -> set[str]:
        """Model versions and groups a governance record names that no source described
        (what a shallow or tag-less clone leaves out: GTO registrations are tags)."""
        if "_missing_models" not in self.__dict__:
            idx = self.idx
            self.__dict__["_missing_models"] = {
                r for kind, names in REF_ATTRS.items() for n in idx.ids(kind) for name in names
                if (r := ref_id(idx.a(n).get(name))) is not None
                and r.startswith(("model:", "model_group:")) and not idx.exists(r)}
        return self.__dict__["_missing_models"]  # type: ignore[no-any-return]

    def versions(self, unharvested: bool = False) -> list[str]:
        """Canonical ids of every version class a source described that existed by the
        audit's clock (:meth:`version_existed`), sorted; with ``unharvested``, also the
        versions only a deployment names (its deployments are placed in time instead)."""
        key = "_versions_unharvested" if unharvested else "_versions"
        cached = self.__dict__.get(key)
        if cached is None:
            # (a version deployed by then was there, whatever its other dates say)
            cached = self.__dict__[key] = sorted(
                v for v in self.members
                if (v in self.unharvested and unharvested)
                or (v not in self.unharvested and (self.version_existed(v) or (
                    unharvested and self.deployments(v)))))
        return cached

    # -- the graph as it stood at the audit's clock (--as-of) ----------------------------------
    def _first_written(self, node: str) -> datetime | None:
        """When ``node`` was first written down: the earlier of the store's first writing of
        it and, for a governance record harvested from a committed file, ``committed_at`` (the
        commit that added it to its file: a fresh clone's harvest writes every record long
        after git held it); None when its source keeps neither."""
        times = self.idx.recorded.get(node)
        stored = parse_time(times[0]) if times else None
        committed = parse_time(self.idx.a(node).get("committed_at")) \
            if node in self.idx.attrs else None
        known = [t for t in (stored, committed) if t is not None]
        return min(known) if known else None

    def _since(self, node: str, attr: str) -> datetime | None:
        """Since when ``node`` is there as the audit takes it: its own date ``attr``, or when
        the store first wrote it if that is earlier or it has none (a date later than its
        writing must not keep it out of an audit); None when neither is known."""
        times = [t for t in (parse_time(self.idx.a(node).get(attr)), self._first_written(node))
                 if t is not None]
        return min(times) if times else None

    def version_existed(self, version: str) -> bool:
        """The version class (any spelling of it) had been created by the audit's clock: its
        earliest ``created_at``, or the store's first writing of it if earlier. A version
        with neither is taken as there (nothing says it came later)."""
        times = [self._since(m, "created_at") for m in self.members.get(version, [version])]
        known = [t for t in times if t is not None]
        return not known or min(known) <= self.now

    def run_existed(self, run: str) -> bool:
        """The run had started by the audit's clock: its ``start_time``, or the store's first
        writing of it, or the creation of a version it produced, whichever is earliest (a run
        recorded after the fact with the time of its recording still ran before the version
        it produced). A run with none of these is taken as there. A run class had started when
        any of its spellings had."""
        times = [self._since(s, "start_time") for s in self.spellings(run)]
        times += [self._since(m, "created_at") for s in self.spellings(run)
                  for m, _ in self.idx.targets(s, "produced") if m in self.idx.attrs]
        known = [t for t in times if t is not None]
        return not known or min(known) <= self.now

    def after_clock(self) -> dict[str, int]:
        """How many of each kind the audit left out as made after its clock (``--as-of``):
        model versions, runs, deployments, approvals (decided later), alerts (raised later),
        documents (issued, or recorded, later) and retrainings (made later). Superseded
        records are not counted."""
        if "_after_clock" in self.__dict__:
            return self.__dict__["_after_clock"]  # type: ignore[no-any-return]
        idx = self.idx
        later = {
            "model_versions": sum(1 for v in self.members if v not in self.unharvested
                                  and not self.version_existed(v)),
            "runs": sum(1 for r in idx.ids("run")
                        if self.run_of(r) == r and not self.run_existed(r)),
            **{f"{kind}s": sum(1 for n in self.made_later()
                               if n.startswith(f"{kind}:") and n not in self.superseded)
               for kind in ("deployment", "approval", "alert", "document", "retraining")},
        }
        self.__dict__["_after_clock"] = later
        return later

    def made_later(self) -> set[str]:
        """The records the audit leaves out as made after its clock: deployments, approvals
        decided, alerts raised, retrainings made and documents issued later (by their dates,
        or their recording if earlier or they have none: a document without ``at`` counts
        from when the store first wrote it)."""
        if "_made_later" not in self.__dict__:
            idx = self.idx
            self.__dict__["_made_later"] = {
                *(d for d in idx.ids("deployment") if self.deployed_at(d) > self.now),
                *(n for kind, attr in (("approval", "decided_at"), ("retraining", "at"),
                                       ("document", "at"))
                  for n in idx.ids(kind)
                  if (t := self._since(n, attr)) is not None and t > self.now),
                *(a for a in idx.ids("alert") if not self.alert_raised(a))}
        return self.__dict__["_made_later"]  # type: ignore[no-any-return]

    def version_since(self, version: str, at: datetime | None = None) -> Existed | None:
        """When the version class (any spelling of it) existed by the earliest evidence the
        graph holds of it, and what that evidence is: a member's ``created_at`` (a GTO tag's
        date, an MLflow version's creation, the end of the run a record made it in), the
        commit it was registered from or its tag points at, the commit that added its
        artifact (their author or committer date, the earlier), the start of a run that
        produced it, and — only alongside one of these — the store's first writing of it.

        None, so that nothing is judged by it, when the version has none of these dates
        (the store's writing alone says nothing: a store built after the fact writes
        everything at once), or when a commit it names has no known time (a commit git never
        showed, a catalog that keeps no commit times): the version may be as old as that.

        When a registration tag moved the version to other content (:meth:`artifact`), the
        evidence is that of the content it names now (:meth:`_content_since`) — for ``at``
        (a deployment's time) at or after the latest move, or without ``at``. A deployment
        made before it is of the content the tag named at ``at`` (:meth:`named_then`): the
        evidence of that content (a tag moved A → B → A: a deployment made while it named B
        is judged by B's bytes); judged by all the evidence, as before any move, when the
        moves do not say which content that was (before the tag was put on the commit it
        left next)."""
        if self.made_current(version, at):
            return self._memo("since-now", version, self._content_since)  # type: ignore[no-any-return]
        then = self.named_then(version, at) if at is not None else None
        if then is not None:
            key = ("since-then", f"{version}\0{then[0].old_commit}\0{then[0].at}")
            if key not in self._cache:
                self._cache[key] = self._then_since(version, *then)
            return self._cache[key]  # type: ignore[no-any-return]
        return self._memo("since", version, self._version_since)  # type: ignore[no-any-return]

    def artifact(self, version: str) -> Artifact:
        """The version's artifact as it is now: for a GTO version, the data version on its
        ``artifact`` edge from the commit its registration tag names now (:meth:`tagged_now`;
        DVC writes the commit on the edge), else the version's ``artifact_hash``; and the
        latest move of a registration tag (:meth:`moves`), whose content is what the version
        names since."""
        return self._memo("artifact", version, self._artifact)  # type: ignore[no-any-return]

    def _artifact(self, version: str) -> Artifact:
        idx = self.idx
        hashes: set[str] = set()
        nodes: list[str] = []
        for m in self.members.get(version, [version]):
            if m not in idx.attrs:
                continue
            a = idx.a(m)
            found = self._artifacts_at(m, self.tagged_now(m))
            if found:
                nodes += [d for d, _ in found]
                hashes.update(h for _, h in found if h)
            elif isinstance(a.get("artifact_hash"), str) and a["artifact_hash"]:
                hashes.add(a["artifact_hash"])
        moves = self.moves(version)
        return Artifact(frozenset(hashes), tuple(sorted(set(nodes))),
                        moves[-1] if moves else None)

    def tagged_now(self, model: str) -> set[str]:
        """The commits (lower-case shas) a version's registration tag names now: those of its
        ``tagged`` edges without ``moved_to``, and the version's own ``commit`` when it has
        ``tagged`` edges — also when its edge still says the tag left it (moved back since:
        A → B → A, in a store that kept the first move on A's edge)."""
        tagged = self.idx.sources(model, "tagged")
        now = {c.removeprefix("commit:").lower() for c, e in tagged if not e.get("moved_to")}
        sha = self.idx.a(model).get("commit") if model in self.idx.attrs else None
        if tagged and isinstance(sha, str) and sha:
            now.add(sha.lower())
        return now

    def _artifacts_at(self, model: str, commits: set[str]) -> list[tuple[str, str]]:
        """(data node, content hash) of a version's ``artifact`` edges from ``commits``."""
        return [(d, ref.hash) for d, e in self.idx.sources(model, "artifact")
                if commits and str(e.get("commit") or "").lower() in commits
                and (ref := self.idx.refs.get(d)) is not None and ref.hash]

    def moves(self, version: str) -> list[Moved]:
        """Every move of the version's registration tags the graph keeps, oldest first: one
        per ``tagged`` edge from a commit the tag left (``moved_to``, ``moved_at``,
        ``registered_at``), but the commits it names now (:meth:`tagged_now`)."""
        return self._memo("moves", version, self._moves)  # type: ignore[no-any-return]

    def _moves(self, version: str) -> list[Moved]:
        idx = self.idx
        out: list[Moved] = []
        for m in self.members.get(version, [version]):
            if m not in idx.attrs:
                continue
            now = self.tagged_now(m)
            for c, e in idx.sources(m, "tagged"):
                sha = c.removeprefix("commit:")
                if e.get("moved_to") and sha.lower() not in now:
                    at = parse_time(e.get("moved_at")) or parse_time(idx.a(m).get("created_at"))
                    out.append(Moved(at, str(e.get("tag") or short(m)), sha,
                                     str(e["moved_to"]), parse_time(e.get("registered_at"))))
        return sorted(out, key=lambda mv: (mv.at or datetime.min.replace(tzinfo=UTC), mv.tag,
                                           mv.old_commit))

    def named_then(self, version: str, at: datetime) -> tuple[Moved, Moved | None] | None:
        """The content a moved registration tag named at ``at``, before its latest move: the
        move that took the tag off it next and the move that put it there (None when the tag
        was on it from its registration); None when the moves do not say (``at`` before
        the tag was put on that commit, or at or after the latest move)."""
        dated = [mv for mv in self.moves(version) if mv.at is not None]
        left = next((mv for mv in dated if mv.at is not None and mv.at > at), None)
        if left is None or left.since is None or at < left.since:
            return None
        came = [mv for mv in dated if mv.at is not None and mv.at <= at
                and mv.new_commit.lower() == left.old_commit.lower()]
        return left, (came[-1] if came else None)
    def content_at(self, version: str, at: datetime) -> Named | None:
        """Which bytes a version whose registration tag moved (:meth:`moves`) named at ``at``:
        the ones its tag names now when the latest move was made by then (:meth:`made_current`),
        else the ones the tag named before it moved on (:meth:`named_then`); None when the tag
        never moved or the moves do not say (before the tag was put on the commit it left
        next)."""
        art = self.artifact(version)
        moved = art.moved
        if moved is None:
            return None
        if self.made_current(version, at):
            return Named(moved.new_commit.lower(), art.hashes)
        then = self.named_then(version, at)
        if then is None:
            return None
        sha = then[0].old_commit.lower()
        return Named(sha, frozenset(h for m in self.members.get(version, [version])
                                    if m in self.idx.attrs
                                    for _, h in self._artifacts_at(m, {sha})))

    def other_bytes(self, version: str, decided: datetime,
                    deployed: datetime) -> tuple[Named, Named] | None:
        """The bytes the version named when an approval was ``decided`` and the ones it named
        when a deployment was made (``deployed``), when they differ — a registration tag moved
        between (A → B → A: an approval decided while it named B is no review of A) — else
        None (the same bytes, or the moves do not say). Bytes are compared by content hash
        when both are known, else by the commit the tag named."""
        seen, shipped = self.content_at(version, decided), self.content_at(version, deployed)
        if seen is None or shipped is None:
            return None
        same = (seen.hashes == shipped.hashes if seen.hashes and shipped.hashes
                else seen.commit == shipped.commit)
        return None if same else (seen, shipped)

    def produced_hashes(self, run: str, version: str) -> set[str]:
        """The content hashes of the artifacts of ``version`` the run wrote: its outputs that
        are an artifact of a spelling of the version (empty when the run says none); of
        every spelling of the run class."""
        members = set(self.members.get(version, [version]))
        out = set()
        for d, _ in (e for s in self.spellings(run) for e in self.idx.targets(s, "output")):
            ref = self.idx.refs.get(d)
            if ref is not None and ref.hash and any(
                    m in members for m, _ in self.idx.targets(d, "artifact")):
                out.add(ref.hash)
        return out

    def made_current(self, version: str, at: datetime | None = None) -> bool:
        """The version's content at ``at`` (default: now) is the one its moved registration
        tag names now: the tag's latest move (:meth:`artifact`) was made by then, or when is
        unknown."""
        moved = self.artifact(version).moved
        return moved is not None and (at is None or moved.at is None or at >= moved.at)

    def _version_since(self, version: str) -> Existed | None:
        idx = self.idx
        seen: list[Existed] = []
        members = [m for m in self.members.get(version, [version]) if m in idx.attrs]
        for m in members:
            a = idx.a(m)
            if (t := parse_time(a.get("created_at"))) is not None:
                seen.append(Existed(t, f"{short(m)} created", m))
            # (commit id → how it is said: "its commit 9c0dc14cdfbc")
            commits: dict[str, str] = {}
            sha = a.get("commit")
            if isinstance(sha, str) and sha:
                commits[f"commit:{sha.lower()}"] = "its commit {}"
            for c, _ in idx.sources(m, "tagged"):
                commits.setdefault(c, "commit {} its registration tag points at")
            for d, _ in idx.sources(m, "artifact"):
                ref = idx.refs.get(d)
                if ref is not None and ref.first_commit:
                    commits.setdefault(f"commit:{ref.first_commit.lower()}",
                                       "commit {} that added its artifact")
            dated = self._commits_existed(commits)
            if dated is None:
                return None  # a commit of unknown time: the version may be that old
            seen += dated
        for r in self.runs(version):
            if (start := self.run_start(r)) is not None:
                seen.append(Existed(start[0], f"the start of {start[1]}", start[1]))
        if not seen:
            return None
        for m in members:
            if (t := self._first_written(m)) is not None:
                seen.append(Existed(t, f"the store's first writing of {short(m)}", m))
        return min(seen)

    def _commits_existed(self, commits: dict[str, str]) -> list[Existed] | None:
        """When each commit was made, as evidence (``commits``: commit id → how it is said,
        ``{}`` standing for its short sha); None when one's time is unknown."""
        out: list[Existed] = []
        for c, said in commits.items():
            ref = self.idx.refs.get(c)
            t = parse_time(ref.time) if ref is not None else None
            if t is None:
                return None
            out.append(Existed(t, said.format(c.removeprefix("commit:")[:12]), c))
        return out

    def _content_since(self, version: str) -> Existed | None:
        """When the content a moved registration tag names existed, by the evidence of that
        content alone: the commits the tag names now and that added its current artifact,
        its registration there, the move itself, and the start of a run that wrote those
        bytes. What the version named before the move (its old commit and artifact, the
        runs that made them, the store's first writing of it) is no evidence of it."""
        idx = self.idx
        art = self.artifact(version)
        moved = art.moved
        assert moved is not None
        said = f"its tag {moved.tag} moved to commit {moved.new_commit[:12]}"
        seen: list[Existed] = []
        if moved.at is not None:
            seen.append(Existed(moved.at, said, f"commit:{moved.new_commit.lower()}"))
        commits: dict[str, str] = {}
        for m in self.members.get(version, [version]):
            if m not in idx.attrs:
                continue
            t = parse_time(idx.a(m).get("created_at"))
            if t is not None and (moved.at is None or t >= moved.at):
                seen.append(Existed(t, f"{short(m)} registered again ({said})", m))
            for sha in sorted(self.tagged_now(m)):
                commits.setdefault(f"commit:{sha}", f"commit {{}} its moved tag {moved.tag} names")
        return self._content_evidence(version, seen, commits, art.nodes, art.hashes,
                                      "its current artifact")

    def _then_since(self, version: str, left: Moved, came: Moved | None) -> Existed | None:
        """When the content a moved registration tag named before it moved on (``left``: the
        move off it; ``came``: the one onto it, None when it was the first commit tagged)
        existed, by the evidence of that content alone: the move onto it (or the tag put on
        it), its commit, the commit that added its artifact there and the start of a run
        that wrote those bytes."""
        idx = self.idx
        sha = left.old_commit.lower()
        seen: list[Existed] = []
        if came is not None and came.at is not None:
            seen.append(Existed(came.at, f"its tag {came.tag} moved to commit {sha[:12]}",
                                f"commit:{sha}"))
        elif left.since is not None:
            seen.append(Existed(left.since, f"its tag {left.tag} put on commit {sha[:12]}",
                                f"commit:{sha}"))
        nodes: list[str] = []
        hashes: set[str] = set()
        for m in self.members.get(version, [version]):
            if m in idx.attrs:
                for d, h in self._artifacts_at(m, {sha}):
                    nodes.append(d)
                    hashes.add(h)
        what = f" (artifact {', '.join(sorted(hashes))})" if hashes else ""
        commits = {f"commit:{sha}": f"commit {{}} its tag {left.tag} named then{what}"}
        return self._content_evidence(version, seen, commits, tuple(sorted(set(nodes))),
                                      frozenset(hashes), "its artifact then")

    def _content_evidence(self, version: str, seen: list[Existed], commits: dict[str, str],
                          nodes: tuple[str, ...], hashes: frozenset[str],
                          artifact: str) -> Existed | None:
        """The earliest of ``seen``, the times of ``commits`` and of the commits that added
        the artifact ``nodes`` (said as ``artifact``), and the start of a run of the version
        that wrote one of ``hashes``; None when a commit's time is unknown (the content may
        be that old) or nothing dates it."""
        idx = self.idx
        commits = dict(commits)
        for d in nodes:
            ref = idx.refs.get(d)
            if ref is not None and ref.first_commit:
                commits.setdefault(f"commit:{ref.first_commit.lower()}",
                                   f"commit {{}} that added {artifact} {ref.hash}")
        dated = self._commits_existed(commits)
        if dated is None:
            return None  # a commit of unknown time: the content may be that old
        seen = [*seen, *dated]
        for r in self.runs(version):
            if hashes & self.produced_hashes(r, version) and (
                    start := self.run_start(r)) is not None:
                seen.append(Existed(start[0], f"the start of {start[1]}", start[1]))
        return min(seen) if seen else None

    def alert_raised(self, alert: str) -> bool:
        """The alert had been raised by the audit's clock (its ``at``, or its recording if
        earlier)."""
        t = self._since(alert, "at")
        return t is None or t <= self.now

    def version_of(self, model_id: str | None) -> str | None:
        return self.canon.get(model_id) if model_id else None

    def groups_of(self, version: str) -> list[str]:
        out: set[str] = set()
        for m in self.members[version]:
            targets = [t for t, _ in self.idx.targets(m, "version_of")]
            if targets:
                out.update(targets)
            elif self.idx.a(m).get("group"):
                out.add(f"model_group:{self.idx.a(m)['group']}")
            elif m in self.unharvested:
                out.add(f"model_group:{m.removeprefix('model:').split('@', 1)[0]}")
        return sorted(out)

    # -- group classes and risk tiers --------------------------------------------------------
    def _groups(self) -> None:
        idx = self.idx
        self._version_groups: dict[str, list[str]] = {v: self.groups_of(v) for v in self.members}
        self.group_members = equivalence_classes(
            [*idx.ids("model_group"), *(g for gs in self._version_groups.values() for g in gs)],
            ((gs[0], g) for gs in self._version_groups.values() for g in gs[1:]))
        self.group_canon = {g: c for c, ms in self.group_members.items() for g in ms}

    def _assessments(self) -> None:
        """The assessment in force for each group class (after the corrections): each
        group's latest, and of a class's groups the strictest."""
        idx = self.idx
        by_group: dict[str, set[str]] = {}
        # an assessment dated after the audit's clock has not been made yet at that time:
        # it neither sets the tier (a later "minimal" must not lift today's high-risk rules)
        # nor counts as an assessment; risk-tier-set names it
        self.future_assessments: dict[str, list[str]] = {}
        for ra in idx.ids("risk_assessment"):
            targets = {t for t, _ in idx.targets(ra, "assesses")}
            if idx.a(ra).get("model_group"):
                targets.add(idx.a(ra)["model_group"])
            if ra in self.superseded:
                continue
            assessed = parse_time(idx.a(ra).get("assessed_at"))
            future = assessed is not None and assessed > self.now
            for t in targets:
                if t in self.group_canon:
                    g = self.group_canon[t]
                    if future:
                        self.future_assessments.setdefault(g, []).append(ra)
                    else:
                        by_group.setdefault(t, set()).add(ra)
        # each group's own latest assessment; a class of groups joined by same_as versions
        # takes the strictest of them: a newer, lower assessment under another name (an
        # MLflow model registered from the same artifact) must not lower the system's tier
        latest: dict[str, list[str]] = {}
        for t, ras in by_group.items():
            latest.setdefault(self.group_canon[t], []).append(max(ras, key=self._assessed_key))
        self.in_force = {g: max(ras, key=self._strictest_key) for g, ras in latest.items()}
        # each group's assessments by their date (class → [(group, [(key, assessment)])]):
        # which one was in force at a time (:meth:`tier_since`)
        self._history: dict[str, list[list[tuple[tuple[datetime, int, str], str]]]] = {}
        for t, ras in by_group.items():
            self._history.setdefault(self.group_canon[t], []).append(
                sorted((self._assessed_key(ra), ra) for ra in ras))

    def assessment_since(self, group: str | None, start: datetime) -> str | None:
        """The strictest assessment in force at any time from ``start`` until the audit's
        clock, over the groups of the class: each group's one in force at ``start`` (its
        latest dated by then) and every later one. A later, lower assessment does not lift
        what a deployment made under a higher tier owes (a back-dated "minimal" after a
        "high" deployment leaves it high); the one in force when none is older than
        ``start``."""
        if group is None:
            return None
        picked: list[str] = []
        for history in self._history.get(self.group_class(group), []):
            before = [ra for key, ra in history if key[0] <= start]
            picked += before[-1:] + [ra for key, ra in history if key[0] > start]
        return max(picked, key=self._strictest_key, default=None)

    def downgrades(self, group: str) -> list[tuple[str, str]]:
        """(assessment, the one before it) of the groups of the class where an assessment
        in force by the audit's clock lowers the tier of the group's assessment before it
        (a correction's target left out)."""
        out = []
        for history in self._history.get(self.group_class(group), []):
            for (_, before), (key, ra) in zip(history, history[1:], strict=False):
                if key[1] < self._assessed_key(before)[1]:
                    out.append((ra, before))
        return out

    def deployment_tier(self, version: str, deployment: str) -> str:
        """The tier a deployment is judged by: the strictest in force at any time from when
        it was made (:meth:`deployed_at`) until the audit's clock (:meth:`assessment_since`)."""
        return self._memo("deployment_tier", f"{version}\n{deployment}",  # type: ignore[no-any-return]
                          lambda _: self._tier_of(self.assessment_since(
                              self.group_of(version), self.deployed_at(deployment))))

    def tier_assessment(self, version: str) -> str | None:
        """The assessment that sets the version's tier (:meth:`tier`): the strictest in force
        since its first deployment by the audit's clock, else the one in force now."""
        deps = self.deployments(version) if version in self.members else []
        group = self.group_of(version)
        if deps:
            return self.assessment_since(group, min(self.deployed_at(d) for d in deps))
        return self.latest_assessment(group)

    def _tier_of(self, ra: str | None) -> str:
        return str(self.idx.a(ra).get("tier", "unassessed")) if ra else "unassessed"

    def _strictest_key(self, ra: str) -> tuple[int, datetime, str]:
        t, rank, _ = self._assessed_key(ra)
        return (rank, t, ra)

    def _assessed_key(self, ra: str) -> tuple[datetime, int, str]:
        """Latest last; at the same instant the stricter tier (a same-day "minimal" does not
        lift a "high" by the name of its id)."""
        t = parse_time(self.idx.a(ra).get("assessed_at"))
        tier = str(self.idx.a(ra).get("tier", "unassessed"))
        rank = TIER_ORDER.index(tier) if tier in TIER_ORDER else 0
        return (t or datetime.min.replace(tzinfo=UTC), rank, ra)

    def group_class(self, group: str) -> str:
        return self.group_canon.get(group, group)

    def group_of(self, version: str | None) -> str | None:
        if version is None:
            return None
        gs = self._version_groups.get(version)
        return self.group_class(gs[0]) if gs else None

    def latest_assessment(self, group: str | None) -> str | None:
        """The assessment that sets the group class's tier (see :meth:`_assessments`)."""
        return self.in_force.get(self.group_class(group)) if group else None

    def group_tier(self, group: str | None) -> str:
        ra = self.latest_assessment(group)
        return str(self.idx.a(ra).get("tier", "unassessed")) if ra else "unassessed"

    def tier(self, version: str | None) -> str:
        """The version's tier: its group class's in force now, or, once it was deployed, the
        strictest in force at any time since its first deployment (:meth:`tier_assessment`):
        a later downgrade does not lift the obligations of a deployment made under a higher
        tier."""
        if version is None:
            return "unassessed"
        return self._memo("tier", version,  # type: ignore[no-any-return]
                          lambda v: self._tier_of(self.tier_assessment(v)))

    # -- relations of a version class --------------------------------------------------------
    def _index_attr(self, kind: str, attr: str) -> dict[str, list[str]]:
        key = f"_by_{kind}_{attr}"
        cached = self.__dict__.get(key)
        if cached is None:
            cached = {}
            for n in self.idx.ids(kind):
                v = self.idx.a(n).get(attr)
                if isinstance(v, str):
                    cached.setdefault(v, []).append(n)
            self.__dict__[key] = cached
        return cached

    def linked(self, ids: Iterable[str], kind: str, edge: str, attr: str,
               outgoing: bool = False, superseded: bool = False) -> list[str]:
        """Nodes of ``kind`` joined to any of ``ids`` by ``edge`` (into ids, or out of them
        when ``outgoing``) or naming one of them in attribute ``attr``; records a correction
        superseded only with ``superseded``."""
        out: set[str] = set()
        by_attr = self._index_attr(kind, attr)
        for i in ids:
            pairs = self.idx.targets(i, edge) if outgoing else self.idx.sources(i, edge)
            out.update(n for n, _ in pairs if n in self.idx.attrs and n.startswith(kind + ":"))
            out.update(by_attr.get(i, ()))
        if not superseded and self.superseded:
            out.difference_update(self.superseded)
        return sorted(out)

    def deployments(self, version: str) -> list[str]:
        """The version's deployments that had happened by the audit's clock (``--as-of``):
        one made later did not exist then (its date as :meth:`deployed_at` takes it)."""
        return self._memo("deployments", version, lambda v: [  # type: ignore[no-any-return]
            d for d in self.linked(self.members[v], "deployment", "deployed_as", "model",
                                   outgoing=True) if self.deployed_at(d) <= self.now])

    def active(self, deployment: str) -> bool:
        """Not retired by the audit's clock. A retirement dated after it was recorded is a
        claim about the future, not the record of one: the deployment stays active."""
        retired = self.trusted_time(deployment, "retired_at")
        return retired is None or retired > self.now

    def runs(self, version: str) -> list[str]:
        """The run classes that produced the version (any spelling of either): one entry
        per class, its reported spelling (:meth:`run_of`)."""
        return self._memo("runs", version, lambda v: sorted(  # type: ignore[no-any-return]
            {self.run_of(r) for m in self.members[v] for r, _ in self.idx.sources(m, "produced")}))

    def registered(self, version: str) -> Existed | None:
        """When the version class (any spelling of it) was first registered — the earliest
        ``created_at`` of its members: a GTO registration tag's date, an MLflow version's
        creation, the end of the run that first recorded a version only run records describe
        — with how a finding says it (``its GTO tag churn@v1.0.0``) and the member that says
        it; None when no member carries one."""
        return self._memo("registered", version, self._registered)  # type: ignore[no-any-return]

    def _registered(self, version: str) -> Existed | None:
        seen: list[Existed] = []
        for m in self.members.get(version, [version]):
            if m not in self.idx.attrs:
                continue
            a = self.idx.a(m)
            if (t := parse_time(a.get("created_at"))) is not None:
                seen.append(Existed(t, _registration(version, m, a), m))
        return min(seen) if seen else None

    def started_late(self, run: str, version: str) -> tuple[datetime, Existed] | None:
        """When ``run`` started after the version was registered (:meth:`registered`) by more
        than :data:`lineage.audit.rules.RUN_START_SKEW`: (its start, the registration). A run
        that started after the version existed did not produce it, whatever it wrote. None
        when it started before, within the skew, or either time is unknown."""
        reg = self.registered(version)
        first = self.run_start(run)  # a run class: its earliest start
        start = first[0] if first is not None else None
        if reg is None or start is None or start <= reg.at + _rules.RUN_START_SKEW:
            return None
        return start, reg

    def versions_of_run(self, run: str) -> list[str]:
        return sorted({self.canon[m] for s in self.spellings(run)
                       for m, _ in self.idx.targets(s, "produced") if m in self.canon})

    def deleted(self, run: str) -> bool:
        """The run was deleted in its tracking store (MLflow ``lifecycle_stage: deleted``, kept
        by the harvester in ``properties``); a run class, when every spelling was (the run
        lineage recorded stays when its MLflow twin is deleted)."""
        return all(isinstance(props := self.idx.a(s).get("properties"), dict)
                   and props.get("lifecycle_stage") == "deleted" for s in self.spellings(run))

    def audited_runs(self) -> list[str]:
        """The runs the run rules check: the runs in scope (:meth:`in_scope`) but a deleted
        one that produced no model version in the graph (a deleted run that did produce one
        stays: the version's evidence still points at it). One per run class, its reported
        spelling (:meth:`run_of`)."""
        if "_audited_runs" not in self.__dict__:
            self.__dict__["_audited_runs"] = [
                r for r in self.idx.ids("run")
                if self.run_of(r) == r and self.run_existed(r) and self.in_scope(r)
                and (not self.deleted(r) or self.versions_of_run(r))]
        return self.__dict__["_audited_runs"]  # type: ignore[no-any-return]

    def in_scope(self, run: str) -> bool:
        """A training or evaluation run, which the run rules check: a run of a training
        source (MLflow, a DVC experiment, a run lineage recorded; a source the audit does not
        know too), or an OpenLineage run in the provenance of a model version
        (:meth:`provenance_versions`) or named by a retraining record. An OpenLineage run
        with no path to any model (an orchestrator's ETL job) is out of scope. A run class
        is in scope when a spelling of it is."""
        return any(self.idx.a(s).get("source") != "openlineage" or s in self._upstream_tiers()
                   for s in self.spellings(run))

    def runs_out_of_scope(self) -> list[str]:
        """The runs the run rules do not check (:meth:`in_scope`) that had started by the
        audit's clock (the later ones are counted by :meth:`after_clock`)."""
        return [r for r in self.idx.ids("run") if self.run_of(r) == r and self.run_existed(r)
                and not self.in_scope(r)]

    def provenance_versions(self, run: str, limit: int | None = None) -> list[str]:
        """The version classes whose provenance holds ``run``: those it produced, and those
        of every run it is upstream of — as the parent of a run (``upstream_run``) or as the
        writer of a dataset (any version of it, or the same repository path) a run read, in
        the history of that run (:meth:`runs_feeding`: a job that wrote the dataset at a
        later commit, or after the reader started, fed no version through it).
        ``limit``: the search stops once it found that many (which ones is not defined: a
        label asks whether there are more than ``limit - 1``)."""
        candidates = self._memo("provenance", run,  # (every link, unbounded: a superset)
                                lambda r: sorted(set().union(*(
                                    self._downstream_versions(s) for s in self.spellings(r)))))
        spellings = self.spellings(run)
        found: list[str] = []
        for v in candidates:
            fed = self._memo("feeding-version", v, lambda x: self.runs_feeding({x}))
            if any(s in fed for s in spellings):
                found.append(v)
                if limit is not None and len(found) >= limit:
                    break
        return found

    @staticmethod
    def _data_keys(data: str, e: dict[str, Any]) -> list[str]:
        """What ties a run's output to another run's input: the dataset (its id without the
        version) and the repository path the edge names."""
        out = [data.rsplit("@", 1)[0] if "@" in data else data]
        if e.get("path"):
            out.append(f"path:{e['path']}")
        return out

    def _flow(self) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
        """(run → the version classes it is the seed of: produced, or the version a
        retraining record naming it trained; data key → the runs writing it; data key → the
        runs reading it)."""
        cached = self.__dict__.get("_flow_maps")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        idx = self.idx
        writers: dict[str, set[str]] = {}
        readers: dict[str, set[str]] = {}
        for r in idx.ids("run"):
            for data, e in idx.targets(r, "output"):
                for k in self._data_keys(data, e):
                    writers.setdefault(k, set()).add(r)
            for data, e in idx.sources(r, "input"):
                for k in self._data_keys(data, e):
                    readers.setdefault(k, set()).add(r)
        seeds: dict[str, set[str]] = {}
        for v in self.versions(unharvested=True):
            for r in self.runs(v):
                for spelling in self.spellings(r):  # (the walk goes by the nodes' edges)
                    seeds.setdefault(spelling, set()).add(v)
        later = self.made_later()
        for rec in idx.ids("retraining"):
            if rec in later:  # not made yet at the audit's clock: it names no run in scope
                continue
            a = idx.a(rec)
            named = {t for t, _ in idx.targets(rec, "retrains") if t.startswith("run:")}
            if (ref := ref_id(a.get("run"))) and ref.startswith("run:"):
                named.add(ref)
            made = {m for key in ("new_model",) if (m := self.version_of(ref_id(a.get(key))))}
            for run in named:
                seeds.setdefault(run, set()).update(made)
        out = (seeds, writers, readers)
        self.__dict__["_flow_maps"] = out
        return out

    def _downstream_versions(self, run: str, limit: int | None = None) -> set[str]:
        """The versions of the seeds downstream of ``run`` (itself included); with ``limit``,
        the walk stops once it found that many. The order of the walk changes neither the
        set found nor whether ``limit`` versions are found."""
        seeds, _, readers = self._flow()
        found: set[str] = set(seeds.get(run, ()))
        seen, todo = {run}, [run]
        expanded: set[str] = set()
        while todo and (limit is None or len(found) < limit):
            r = todo.pop()
            down: list[Iterable[str]] = [[c for c, _ in self.idx.targets(r, "upstream_run")]]
            for data, e in self.idx.targets(r, "output"):
                for k in self._data_keys(data, e):
                    if k not in expanded:  # its readers are all on the way already
                        expanded.add(k)
                        down.append(readers.get(k, ()))
            for c in (c for cs in down for c in cs):
                if c in seen:
                    continue
                seen.add(c)
                found.update(seeds.get(c, ()))
                if limit is not None and len(found) >= limit:
                    break
                todo.append(c)
        return found

    # -- run-to-run links bounded by history (as lineage show's provenance) ----------------
    def _code_commits(self, run: str) -> frozenset[str]:
        """The harvested commits a run's code is at (``code`` edges, its ``commit``)."""
        ids = [c for c, _ in self.idx.sources(run, "code")]
        if isinstance(sha := self.idx.a(run).get("commit"), str) and sha:
            ids.append(f"commit:{sha.lower()}")
        return frozenset(c for c in ids if self.idx.harvested_commit(c))

    def _run_bound(self, run: str, inherited: _Bound) -> _Bound:
        """What bounds the writers a run read from: its code commits and its start, each,
        when unknown, the bound it was reached with (the version it trained, the run it
        fed)."""
        start = parse_time(self.idx.a(run).get("start_time"))
        return (self._code_commits(run) or inherited[0],
                start if start is not None else inherited[1])

    def _version_bound(self, versions: Iterable[str]) -> _Bound:
        """The bound of versions' provenance: the commits they were registered at (``tagged``,
        a member's ``commit``) and their registration (:meth:`registered`); of several, the
        loosest (show merges the bounds of a node reached along several paths alike)."""
        bounds: list[_Bound] = []
        for v in versions:
            ids: list[str] = []
            for m in self.members.get(v, [v]):
                ids += [t for t, _ in self.idx.sources(m, "tagged")]
                if isinstance(sha := self.idx.a(m).get("commit"), str) and sha:
                    ids.append(f"commit:{sha.lower()}")
            reg = self.registered(v)
            bounds.append((frozenset(c for c in ids if self.idx.harvested_commit(c)) or None,
                           reg.at if reg is not None else None))
        out: _Bound = bounds[0] if bounds else (None, None)
        for b in bounds[1:]:
            out = _merge_bounds(out, b)
        return out

    def _in_history(self, writer: str, bound: _Bound) -> bool:
        """``writer`` (a run that wrote what a run read) is in the history ``bound`` holds:
        its code commit is one of the bounding commits or an ancestor of one (both known and
        harvested), and it started no later than the bounding time plus
        :data:`lineage.audit.rules.RUN_START_SKEW` (both known). What neither places is in."""
        commits, until = bound
        mine = self._code_commits(writer)
        if commits and mine and not any(c in self.idx.ancestors(b)
                                        for b in commits for c in mine):
            return False
        start = parse_time(self.idx.a(writer).get("start_time"))
        return until is None or start is None or start <= until + _rules.RUN_START_SKEW

    def runs_feeding(self, versions: set[str]) -> set[str]:
        """The runs in the provenance of any of ``versions``: the runs that produced them,
        and upstream of each run its parent runs and the writers of the data it read that
        are in its history (:meth:`_in_history`: the run's own commit and start, else the
        version's). One walk; each run walked again only when reached with a looser
        bound, each dataset expanded once per bound."""
        seeds, writers, _ = self._flow()
        bounds: dict[str, _Bound] = {}
        todo: list[str] = []
        for r, vs in seeds.items():
            if vs & versions:
                bounds[r] = self._run_bound(r, self._version_bound(sorted(vs & versions)))
                todo.append(r)
        self._walk_upstream(todo, bounds, writers, set(), lambda _: None)
        return set(bounds)

    def _walk_upstream(self, todo: list[str], bounds: dict[str, _Bound],
                       writers: dict[str, set[str]], expanded: set[tuple[str, _Bound]],
                       reached: Callable[[str], object]) -> None:
        """Walk upstream from the runs ``todo`` (each with its bound in ``bounds``), adding
        every run reached to ``bounds`` (merged when reached again; ``reached`` called the
        first time)."""
        idx = self.idx
        while todo:
            run = todo.pop()
            bound = bounds[run]
            for p in self._runs_upstream(run, bound, writers, expanded):
                if p not in idx.attrs:
                    continue
                b = self._run_bound(p, bound)
                before = bounds.get(p)
                after = b if before is None else _merge_bounds(before, b)
                if after != before:
                    bounds[p] = after
                    todo.append(p)
                    if before is None:
                        reached(p)

    def _runs_upstream(self, run: str, bound: _Bound, writers: dict[str, set[str]],
                       expanded: set[tuple[str, _Bound]]) -> list[str]:
        """The runs just upstream of ``run`` (reached with ``bound``): its parent runs, and
        the writers in that history of the data it read whose keys are not expanded with
        that bound yet (added to ``expanded``)."""
        up = [p for p, _ in self.idx.sources(run, "upstream_run")]
        for data, e in self.idx.sources(run, "input"):
            for k in self._data_keys(data, e):
                if (k, bound) not in expanded:
                    expanded.add((k, bound))
                    up.extend(w for w in sorted(writers.get(k, ()))
                              if self._in_history(w, bound))
        return up

    def _upstream_tiers(self) -> dict[str, tuple[str, str | None]]:
        """Every run in a version's provenance (seeds and their upstream, bounded by history
        as :meth:`runs_feeding`) → the highest tier among those versions and the first
        version (by id) at that tier; a seed whose retraining record names no version:
        ("unassessed", None). One walk, highest tier first: a run keeps the first tier it
        is reached with, and is walked again only when reached with a looser bound."""
        cached = self.__dict__.get("_run_tiers")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        seeds, writers, _ = self._flow()
        by_version: dict[str, list[str]] = {}
        for r, vs in seeds.items():
            for v in vs:
                by_version.setdefault(v, []).append(r)
        layers: dict[int, list[str]] = {}
        for v in by_version:
            t = self.tier(v)
            layers.setdefault(TIER_ORDER.index(t) if t in TIER_ORDER else 0, []).append(v)
        waves: list[tuple[str | None, list[str]]] = [
            (v, by_version[v]) for rank in sorted(layers, reverse=True)
            for v in sorted(layers[rank])]
        waves.append((None, [r for r in seeds if not seeds[r]]))  # a retraining's run alone
        out: dict[str, tuple[str, str | None]] = {}
        bounds: dict[str, _Bound] = {}
        expanded: set[tuple[str, _Bound]] = set()
        for ver, start in waves:
            mark = (self.tier(ver), ver) if ver is not None else ("unassessed", None)
            inherited = self._version_bound([ver]) if ver is not None else (None, None)
            todo: list[str] = []
            for r in sorted(start):
                out.setdefault(r, mark)
                b = self._run_bound(r, inherited)
                before = bounds.get(r)
                after = b if before is None else _merge_bounds(before, b)
                if after != before:
                    bounds[r] = after
                    todo.append(r)
            # (called before the next wave: ``mark`` is this one's)
            self._walk_upstream(todo, bounds, writers, expanded,
                                lambda p: out.setdefault(p, mark))  # noqa: B023
        self.__dict__["_run_tiers"] = out
        return out

    def run_inputs(self, run: str) -> list[tuple[str, dict[str, Any], str, str | None]]:
        """The inputs of the run class of ``run`` as the audit judges them: (data node, edge
        attributes, the spelling whose edge it is, ``covered_by``). One run: its input edges
        as they are (``covered_by`` None).

        A run class: the inputs of every spelling, one per repository path (the edge's
        ``path``; an input naming none is its dataset) with the strongest pin any spelling
        has for it — strong over weak over none, a hash of the bytes read over a pin a join
        inferred from the commit's DVC files (``via``), the run lineage recorded over
        another source — and without the weak inputs a join resolved to a strong one. An
        input naming no path that is not pinned strongly (an MLflow dataset logged from a
        DataFrame in memory: its source is code, its digest MLflow's) is ``covered_by`` a
        recorded spelling (``track_run`` / ``lineage record run``) that pinned every input
        it names by content hash: that record says which files the job read; one naming a
        path no spelling pins strongly is data the record left out, and stays unpinned."""
        spellings = self.spellings(run)
        if len(spellings) == 1:
            return [(d, e, run, None) for d, e in self.idx.sources(run, "input")]
        edges = [(d, e, s) for s in spellings for d, e in self.idx.sources(s, "input")]
        resolved = {str(e["via"]) for _, e, _ in edges if e.get("pin") == "strong" and e.get("via")}
        pins = {"strong": 2, "weak": 1}
        best: dict[str, tuple[tuple[int, bool, bool, str], str, dict[str, Any], str]] = {}
        for d, e, s in edges:
            if e.get("pin") != "strong" and d in resolved:
                continue  # joined to a DVC version: the strong edge is the evidence
            key = f"path:{e['path']}" if e.get("path") else d.rsplit("@", 1)[0]
            rank = (pins.get(str(e.get("pin")), 0), not e.get("via"),
                    self.idx.a(s).get("source") == "lineage", d)
            if key not in best or rank[:3] > best[key][0][:3] or (
                    rank[:3] == best[key][0][:3] and d < best[key][1]):
                best[key] = (rank, d, e, s)
        recorded = [s for s in spellings if self.idx.a(s).get("source") == "lineage"
                    and (ins := self.idx.sources(s, "input"))
                    and all(e.get("pin") == "strong" for _, e in ins)]
        out: list[tuple[str, dict[str, Any], str, str | None]] = []
        for key in sorted(best):
            _, d, e, s = best[key]
            cover = next((x for x in recorded if x != s), None) \
                if e.get("pin") != "strong" and not e.get("path") else None
            out.append((d, e, s, cover))
        return out

    def run_label(self, run: str) -> str:
        """The run's id (``run:…`` names itself), saying so when the run was deleted in its
        tracking store, or when it produced no version but is upstream of the training of
        some (:meth:`provenance_versions`); a run class names its other spellings."""
        label = self._run_label(run)
        others = self.spellings(run)[1:]
        if not others:
            return label
        return f"{run} (one run with {', '.join(others)}){label[len(run):]}"

    def _run_label(self, run: str) -> str:
        if not self.deleted(run):
            fed = [] if self.versions_of_run(run) else self.provenance_versions(run, limit=4)
            # a job that trained nothing is here because a training run depends on it: the
            # versions (up to 3), else the one that sets its tier and more
            if len(fed) > 3:
                fed = [str(self.run_tier(run)[1]), "…"]
            said = ", ".join(short(v) for v in fed)
            return f"{run} (upstream of the training of {said})" if fed else run
        # the versions as the run produced them (its registry's spelling, not the class's)
        made = ", ".join(sorted({short(m) for s in self.spellings(run)
                                 for m, _ in self.idx.targets(s, "produced")
                                 if m in self.canon})) or "a model version"
        by = self.replaced_by(run)
        if by is not None:  # a DVC experiment run again under its name (dvc exp run -f)
            return f"{run} (replaced by {by} (dvc exp run -f), but it produced {made})"
        return f"{run} (deleted in MLflow, but it produced {made})"

    def replaced_by(self, run: str) -> str | None:
        """The run that replaced a deleted one (``properties.replaced_by``: a DVC experiment
        run again under its name with ``dvc exp run -f``); None when it names none."""
        for s in self.spellings(run):
            props = self.idx.a(s).get("properties")
            if isinstance(props, dict) and isinstance(by := props.get("replaced_by"), str) \
                    and by:
                return by
        return None

    def run_tier(self, run: str) -> tuple[str, str | None]:
        """The highest tier among the versions whose provenance holds the run (it produced
        them, or a run that did read what it wrote), and that version (the first by id); of
        a run class, the highest over its spellings."""
        tiers = self._upstream_tiers()
        marks = [tiers.get(s, ("unassessed", None)) for s in self.spellings(run)]
        best = marks[0]
        for m in marks[1:]:
            if (_tier_rank(m[0]), m[1] is not None) > (_tier_rank(best[0]), best[1] is not None) \
                    or (m[0] == best[0] and m[1] is not None and best[1] is not None
                        and m[1] < best[1]):
                best = m
        return best

    def documents(self, version: str) -> list[str]:
        """The documents of the version and of its group the store had written by the
        audit's clock (:meth:`made_later`), not corrected."""
        return self._memo("documents", version, self._documents)  # type: ignore[no-any-return]

    def documents_made_later(self, version: str) -> list[str]:
        """The documents of the version and of its group, not corrected, that the audit left
        out as issued (or, without a date, recorded) after its clock."""
        return sorted(set(self._linked_documents(version)) & self.made_later())

    def _documents(self, version: str) -> list[str]:
        return sorted(set(self._linked_documents(version)) - self.made_later())

    def _linked_documents(self, version: str) -> list[str]:
        return self._memo("linked_documents", version,  # type: ignore[no-any-return]
                          self._linked_documents_of)

    def _linked_documents_of(self, version: str) -> list[str]:
        ids = list(self.members[version])
        g = self.group_of(version)
        if g:
            ids += self.group_members.get(g, [g])
        docs = set(self.linked(ids, "document", "documents", "model"))
        docs.update(self.linked(ids, "document", "documents", "model_group"))
        return sorted(docs)

    def unpinned(self, document: str) -> str | None:
        """Why a document does not count as documentation of a high-risk version
        (``high-risk-docs``), or None: a path (in the repository, or outside it) recorded
        with no ``content_hash`` — the harvest found no file there and only warned — pins no
        content, so it proves no document exists. A URL (``https://…``) is not fetched and
        counts as recorded."""
        a = self.idx.a(document)
        uri = str(a.get("uri") or "")
        if a.get("content_hash") or _URL.match(uri):
            return None
        return (f"document {document.split(':', 1)[1]} names {uri or 'no file'}, a path with no "
                "content pin: no file was there when it was recorded or harvested")

    def alerts(self, version: str) -> list[str]:
        """The version's alerts raised by the audit's clock (:meth:`alert_raised`)."""
        return [a for a in self.linked(self.members[version], "alert", "alerts", "model")
                if self.alert_raised(a)]

    # -- one version as the audit reads it (lineage show) -----------------------------------
    def explain(self, version: str,
                data_attrs: Callable[[str], dict[str, Any]] | None = None) -> dict[str, Any]:
        """What the audit reads of one model version (a canonical version id, as
        :meth:`version_of` gives it): ``version``, ``aliases``, ``group``; ``runs`` that
        produced it (status, code commit, the data they read with content hash and pin);
        ``risk`` (the tier and the assessment in force) and every ``assessments`` of its group
        (in force, superseded, not in force yet); ``deployments`` (live, retired, superseded,
        not deployed yet) with the approvals that count for each as ``deployment-approved``
        counts them and why the others do not; ``approvals`` with their standing (in force
        and for which deployments, withdrawn, superseded, not decided yet, not counted and
        why); ``documents`` of the version and its group, and ``documents_missing`` at its
        tier; ``retraining`` records (the one that trained it, those that replaced it, and
        whether ``retraining-logged`` counts each); ``alerts`` with their follow-ups as
        ``monitoring-active`` takes them; ``monitoring_checks``. Records a correction
        superseded are listed with ``superseded_by``; dates later than a record's writing in
        ``future_dated``.

        ``data_attrs``: the attributes of a data node the index does not hold in full (its
        ``path``, ``hash``), e.g. from the graph; default: what the index knows (its hash)."""
        if data_attrs is None:
            def data_attrs(node: str) -> dict[str, Any]:
                ref = self.idx.refs.get(node)
                return {"hash": ref.hash} if ref is not None else {}
        idx = self.idx
        v = version
        members = self.members[v]
        group = self.group_of(v)
        out: dict[str, Any] = {"version": v, "aliases": [m for m in members if m != v],
                               "group": group}

        # training: runs, their code commit and the data they read (content hashes, pins)
        # (a run class: one entry, under its reported spelling, over the facts of all)
        runs = []
        for r in self.runs(v):
            a = idx.a(r)
            spellings = self.spellings(r)
            commits = list(dict.fromkeys(c for s in spellings for c, _ in idx.sources(s, "code")))
            inputs = []
            for d, e, s, covered in self.run_inputs(r):
                da = data_attrs(d)
                inputs.append({"node": d, "path": da.get("path") or e.get("path"),
                               "hash": da.get("hash") or e.get("digest"), "pin": e.get("pin"),
                               "run": s, "covered_by": covered})
            late = self.started_late(r, v)
            status, _, conflict = self.run_status(r)
            start = self.run_start(r)
            ends = [str(t) for s in spellings if (t := idx.a(s).get("end_time"))]
            runs.append({"id": r, "source": a.get("source"), "status": status,
                         "same_as": spellings[1:], "status_conflict": conflict,
                         "statuses": {s: idx.a(s).get("status") for s in spellings},
                         "start_time": idx.a(start[1]).get("start_time") if start
                         else a.get("start_time"),
                         "end_time": a.get("end_time") or (max(ends) if ends else None),
                         # a run that started after the version was registered: not the run
                         # that produced it (model-has-run)
                         "started_after_registration": None if late is None else {
                             "registered_at": late[1].at, "by": late[1].what,
                             "node": late[1].node},
                         "dirty": self.run_dirty(r) if len(spellings) > 1 else a.get("dirty"),
                         "deleted": self.deleted(r),
                         "commit": commits[0] if commits else next(
                             (c for s in spellings if (c := idx.a(s).get("commit"))), None),
                         "commits": commits, "inputs": inputs})
        out["runs"] = runs

        # risk tier: the group class's assessment in force; corrected and not-yet-dated ones too
        ra = self.latest_assessment(group)
        gmembers = self.group_members.get(group, [group]) if group else []
        every = self.linked(gmembers, "risk_assessment", "assesses", "model_group", outgoing=False,
                           superseded=True) if gmembers else []
        future = set(self.future_assessments.get(group, ())) if group else set()
        keys = ("tier", "assessed_at", "assessor", "next_review", "annex_iii_area")
        # the tier a deployment made under a stricter assessment keeps after a downgrade:
        # ``held_by`` that assessment when it is not the one in force
        held = self.tier_assessment(v) if v in self.members else ra
        out["risk"] = {"tier": self.tier(v), "assessment": ra,
                       **{k: idx.a(ra).get(k) if ra else None for k in keys[1:]},
                       "held_by": held if held != ra else None}
        assessments = []
        for x in sorted(every, key=lambda n: (str(idx.a(n).get("assessed_at") or ""), n)):
            rec = self._explain_record(x, *keys)
            rec["status"] = ("in force" if x == ra else "superseded" if rec["superseded_by"]
                             else "not in force yet" if x in future
                             else "not in force")
            assessments.append(rec)
        out["assessments"] = assessments

        # deployments: live or retired, and the approvals that count for each (the audit's reading)
        deployments = self.linked(members, "deployment", "deployed_as", "model", outgoing=True,
                                 superseded=True)
        approvals = set(self.linked(members, "approval", "approves", "model", superseded=True))
        counted_deps = set(self.deployments(v))  # made by the as-of time, not corrected
        counts_for: dict[str, list[str]] = {}
        deps = []
        for d in deployments:
            rec = self._explain_record(d, "environment", "deployed_at", "deployed_by",
                                       "endpoint", "retired_at", "source")
            rec["state"] = ("superseded" if rec["superseded_by"]
                            else "not deployed yet" if d not in counted_deps
                            else "live" if self.active(d) else "retired")
            rec["live"] = rec["state"] == "live"
            approvals.update(self.linked([d], "approval", "approves", "model", superseded=True))
            if d not in counted_deps:
                rec["approved_by"], rec["approval_notes"] = [], []
            else:
                ok, why = _rules._decide(self, _rules._approvals_for(self, v, d), d, v)
                why += [reason for _, reason in _rules._misdirected(self, v, d)]
                rec["approved_by"], rec["approval_notes"] = ok, sorted(why)
                for ap in ok:
                    counts_for.setdefault(ap, []).append(d)
            deps.append(rec)
        out["deployments"] = deps

        # approvals: environment, date, and whether it still stands (withdrawn, corrected)
        standing = sorted(a for a in approvals if not self.superseded_by(a))
        people = dict(zip(standing, _rules._people([str(idx.a(a).get("approver", ""))
                                                    for a in standing]), strict=True))
        envs = {idx.a(a).get("environment") for a in standing}
        envs |= {idx.a(d).get("environment") for d in deployments}
        aps = []
        for ap in sorted(approvals, key=lambda n: (str(idx.a(n).get("decided_at") or ""), n)):
            rec = self._explain_record(ap, "approver", "role", "decision", "environment",
                                       "decided_at", "evidence", "deployment")
            decision = str(rec["decision"] or "approved")
            rec["withdrawn_by"], rec["note"] = None, None
            decided = parse_time(rec["decided_at"])
            if rec["superseded_by"]:
                rec["status"] = "superseded"
            elif decided is not None and decided > self.now:
                rec["status"] = "not decided yet"
                rec["note"] = "dated after the as-of time"
            elif decision not in ("approved", "conditional"):
                rec["status"] = decision
            else:
                rec["status"], rec["withdrawn_by"], rec["note"] = self._standing(
                    ap, standing, people, envs, v)
            rec["counts_for"] = sorted(counts_for.get(ap, []))
            # a correction of another person's approval corrects nothing: say so on it
            refused = [why for target, cs in self.foreign_approver.items() if ap in cs
                       for c, why in _rules._foreign_corrections(self, [target]) if c == ap]
            if refused:
                rec["note"] = "; ".join([*([rec["note"]] if rec["note"] else []), *refused])
            aps.append(rec)
        out["approvals"] = aps

        # documents of the version and of its group, as the high-risk-docs rule reads them
        doc_ids = list(members) + list(gmembers)
        docs = set(self.linked(doc_ids, "document", "documents", "model", superseded=True))
        docs.update(self.linked(doc_ids, "document", "documents", "model_group", superseded=True))
        counted = set(self.documents(v))  # written by the as-of time, not corrected
        out["documents"] = []
        for d in sorted(docs, key=lambda n: (str(idx.a(n).get("doc_kind") or ""), n)):
            rec = self._explain_record(d, "doc_kind", "uri", "content_hash", "at")
            rec["scope"] = "version" if idx.a(d).get("model") in members else "group"
            rec["counts"] = d in counted
            rec["status"] = ("superseded" if rec["superseded_by"] else "counts" if rec["counts"]
                             else "not there yet")
            # a path with no content pin: no proof of a high-risk document (high-risk-docs)
            rec["unpinned"] = self.unpinned(d)
            out["documents"].append(rec)
        # a path with no content pin proves no document, for every documentation rule
        pinned = {idx.a(d).get("doc_kind") for d in counted if self.unpinned(d) is None}
        need: list[tuple[str, str]] = []
        # what the documentation rules require at this tier, as the policy applies them; a
        # version only a deployment names is not checked by them
        for rule, kinds in (("high-risk-docs", list(self.policy.high_risk_documents)),
                            ("transparency-notice", ["transparency_notice"])):
            override = self.policy.rules.get(rule)
            if v in self.unharvested or (override is not None and not override.enabled):
                continue
            if self.tier(v) in _tiers(RULES[rule], self.policy):
                need += [(k, rule) for k in kinds]
        out["documents_missing"] = list(dict.fromkeys(k for k, _ in need if k not in pinned))

        # retraining: the records naming this version or its run (the retraining-logged rule's),
        # then those of the versions retrained from it
        recs = set(self.linked(members, "retraining", "retrains", "new_model", superseded=True))
        # through its run, a record naming another version as the new one is about that one
        recs.update(r for r in self.linked([s for run in self.runs(v)
                                            for s in self.spellings(run)],
                                           "retraining", "retrains", "run", superseded=True)
                    if (new := ref_id(idx.a(r).get("new_model"))) is None
                    or self.version_of(new) == v)
        after = set(self.linked(members, "retraining", "retrains", "previous_model", outgoing=True,
                               superseded=True)) - recs
        out["retraining"] = []
        for role, ids in (("trained by", recs), ("replaced by", after)):
            for r in sorted(ids):
                rec = {**self._explain_record(r, "trigger", "reason", "previous_model",
                                              "new_model", "at", "alert", "run",
                                              "within_change_plan"), "role": role}
                # whether the retraining-logged rule takes it as this version's retraining log
                later = r in self.made_later()  # not made yet at the as-of time
                note = (_rules._not_done(self, r) or _rules._not_this_lineage(self, v, r)
                        if role == "trained by" else None)
                if role == "trained by" and note is None and not rec["reason"] \
                        and self.policy.retraining.require_reason:
                    note = f"retraining record {_rules._rid(r)} gives no reason"
                rec["counts"] = role == "trained by" and not rec["superseded_by"] and note is None
                rec["note"] = note
                rec["status"] = ("superseded" if rec["superseded_by"] else "not made yet"
                                 if later else "counts" if rec["counts"]
                                 else "not counted" if role == "trained by" else None)
                out["retraining"].append(rec)

        # monitoring: alerts on the version, open or closed, and what followed them up
        alerts = []
        for al in self.linked(members, "alert", "alerts", "model", superseded=True):
            rec = self._explain_record(al, "metric", "value", "threshold", "at", "status")
            rec["status"] = rec["status"] or "open"
            # raised after the as-of time: no rule reads it (not monitoring evidence either)
            rec["raised_later"] = al in self.made_later()
            # the retrainings the monitoring-active rule takes as its follow-up, and why not others
            at = parse_time(rec["at"])
            if at is not None:
                at = min(at, self.recorded_at(al))
            rec["follow_up"], rec["not_follow_up"] = [], []
            for r in self.linked([al], "retraining", "triggers", "alert", outgoing=True):
                reason = _rules._not_a_follow_up(self, v, at, r)
                if reason is None:
                    rec["follow_up"].append(r)
                else:
                    rec["not_follow_up"].append({"id": r, "why": reason})
            alerts.append(rec)
        out["alerts"] = sorted(alerts, key=lambda a: (str(a["at"] or ""), a["id"]))
        # the other monitoring evidence the monitoring-active rule reads: a check time kept on a
        # live deployment or on the version
        checks = []
        for n in [*(d for d in deployments if self.active(d) and not self.superseded_by(d)),
                  *members]:
            props = idx.a(n).get("properties")
            at = props.get("monitoring_checked_at") if isinstance(props, dict) else None
            if at:
                checks.append({"node": n, "checked_at": at})
        out["monitoring_checks"] = checks
        return out

    def _explain_record(self, nid: str, *keys: str) -> dict[str, Any]:
        a = self.idx.a(nid)
        out: dict[str, Any] = {"id": nid}
        out.update({k: a.get(k) for k in keys})
        out["superseded_by"] = sorted(self.superseded_by(nid))
        # a date later than the record's writing: the audit does not take it at its word
        out["future_dated"] = [{"attribute": attr, "date": t, "recorded": w}
                               for attr, t, w in self.future_dated(nid)]
        return out

    def _standing(self, ap: str, standing: list[str], people: dict[str, Any],
                  envs: set[Any], version: str | None = None,
                  ) -> tuple[str, str | None, str | None]:
        """Whether an approval stands as of the audit's clock (status, the decision that
        withdrew it, why it does not count), read as the audit reads a deployment's
        approvals: among the decisions for its environment or for every environment, the
        approver's latest word counts (a later rejection withdraws it). An approval for every
        environment stands while it counts for one of them. ``version``: the version it
        approves, so that one decided before that version existed does not stand."""
        idx = self.idx
        env = idx.a(ap).get("environment")
        contexts = [env] if env is not None else sorted(
            {e for e in envs if e is not None}, key=str) or [None]
        notes: list[str] = []
        withdrawn: list[str] = []
        for e in contexts:
            peers = [a for a in standing if idx.a(a).get("environment") in (None, e)
                     and ((t := parse_time(idx.a(a).get("decided_at"))) is None or t <= self.now)]
            # a deployment made after every decision: the audit's clock for when it happened is
            # that of its record; one that does not exist is as late as the audit itself
            ok, why = _rules._decide(self, peers, "deployment:", version)
            if ap in ok:
                return "in force", None, None
            notes += [w for w in why if w.startswith(f"approval {_rules._rid(ap)} ")]
            mine = parse_time(idx.a(ap).get("decided_at"))
            withdrawn += [a for a in peers if people.get(a) == people.get(ap) and a != ap
                          and str(idx.a(a).get("decision", "approved")) not in
                          ("approved", "conditional")
                          and (t := parse_time(idx.a(a).get("decided_at"))) is not None
                          and (mine is None or t >= mine)]
        if withdrawn:
            by = max(withdrawn, key=lambda a: (str(idx.a(a).get("decided_at")), a))
            return "withdrawn", by, "; ".join(dict.fromkeys(notes)) or None
        return "not counted", None, "; ".join(dict.fromkeys(notes)) or None

    # -- outcome builders ---------------------------------------------------------------------
    def passed(self, subject: str, tier: str, **kw: Any) -> Outcome:
        return Outcome(subject, True, tier, **kw)

    def failed(self, subject: str, tier: str, message: str, *, evidence: Iterable[str] = (),
               remediation: str = "", **kw: Any) -> Outcome:
        ev = tuple(dict.fromkeys(e for e in evidence if e))
        return Outcome(subject, False, tier, message=message, evidence=ev,
                       remediation=remediation, **kw)

    def group_environments(self, group: str) -> set[str]:
        """Environments any version of the group (class) is deployed to."""
        if "_group_envs" not in self.__dict__:
            envs: dict[str, set[str]] = {}
            for v in self.members:
                g = self.group_of(v)
                if g is not None:
                    envs.setdefault(g, set()).update(self.environments(v))
            self.__dict__["_group_envs"] = envs
        return self.__dict__["_group_envs"].get(self.group_class(group), set())  # type: ignore[no-any-return]

    def environments(self, version: str | None) -> set[str]:
        if version is None or version not in self.members:
            return set()
        return {str(self.idx.a(d).get("environment")) for d in self.deployments(version)}


# -- running ----------------------------------------------------------------------------------
def _severity(spec: RuleSpec, policy: Policy, tier: str) -> str:
    override = policy.rules.get(spec.id)
    if override is not None and override.severity is not None:
        if isinstance(override.severity, str):
            return override.severity
        if tier in override.severity:
            return override.severity[tier]
    return spec.severity.get(tier, spec.severity.get("default", "medium"))


def _tiers(spec: RuleSpec, policy: Policy) -> tuple[str, ...]:
    override = policy.rules.get(spec.id)
    if override is not None and override.tiers is not None:
        return tuple(override.tiers)
    return spec.tiers


def _location(idx: AuditIndex, o: Outcome) -> dict[str, Any] | None:
    """The file a reviewer would edit: the governance record behind the subject or its
    evidence; for a DVC experiment run, the pipeline file."""
    for nid in (o.subject, *o.evidence):
        a = idx.a(nid)
        if a.get("record_file"):
            return {"file": a["record_file"], "node": nid}
    for nid in (o.subject, *o.evidence):
        a = idx.a(nid)
        if nid.startswith("run:") and a.get("source") == "dvc-exp":
            return {"file": a.get("properties", {}).get("dvc_yaml", "dvc.yaml"), "node": nid}
    return None


def _matches_model(ctx: AuditContext, o: Outcome, wanted: str) -> bool:
    """A run's outcome is about every version whose provenance holds the run (one run may
    train models of several groups, or write the data of several): the filters keep it for
    any of them, not only the one it is filed under."""
    return _matches_model_one(ctx, o, wanted) or _feeds(
        ctx, o, "model", wanted, lambda v: _matches_model_one(ctx, _about(v), wanted))


def _matches_env(ctx: AuditContext, o: Outcome, env: str) -> bool:
    return _matches_env_one(ctx, o, env) or _feeds(
        ctx, o, "env", env, lambda v: _matches_env_one(ctx, _about(v), env))


def _about(version: str) -> Outcome:
    """A run's outcome as it is about one version."""
    return Outcome("run:", False, "", model=version)


def _feeds(ctx: AuditContext, o: Outcome, what: str, value: str,
           matches: Callable[[str], bool]) -> bool:
    """``o`` is a run's outcome and the run is in the provenance of a version the filter
    keeps (the runs upstream of those versions are found once per filter)."""
    if not o.subject.startswith("run:"):
        return False
    runs = ctx._memo(f"feeding-{what}", value, lambda _: ctx.runs_feeding(
        {v for v in ctx.versions(unharvested=True) if matches(v)}))
    return any(s in runs for s in ctx.spellings(o.subject))


def _matches_model_one(ctx: AuditContext, o: Outcome, wanted: str) -> bool:
    w = wanted.removeprefix("model:").removeprefix("model_group:")
    if "@" in w:
        target = ctx.version_of(f"model:{w}") or f"model:{w}"
        if o.model == target or o.subject == target:
            return True
        # a group-level finding (the system's missing or stale risk tier, a rule about the
        # group itself) gates each of its versions, as it does with --env; a finding about
        # another version (a dangling ``model:`` reference filed under its group) does not
        if o.model is not None or o.group is None or o.subject.startswith("model:"):
            return False
        group = ctx.group_of(target) or f"model_group:{w.split('@', 1)[0]}"
        return ctx.group_class(o.group) == ctx.group_class(group)
    groups = {f"model_group:{w}"}
    groups |= set(ctx.group_members.get(ctx.group_class(f"model_group:{w}"), []))
    cands = {o.group, ctx.group_of(o.model)} - {None}
    return bool(cands & groups) or bool(
        o.model and o.model.removeprefix("model:").split("@", 1)[0] == w)


def _matches_env_one(ctx: AuditContext, o: Outcome, env: str) -> bool:
    if o.environment is not None:
        return o.environment == env
    if o.model is not None:
        return env in ctx.environments(o.model)
    if o.group is not None:
        return env in ctx.group_environments(o.group)
    return False


def _model_names(ctx: AuditContext) -> tuple[set[str], set[str]]:
    """Names ``--model`` can match: (version ids, group names), without the kind prefix.
    Versions named by a record but described by no source count too (their
    ``lineage-continuity`` findings are about them)."""
    versions: set[str] = set()
    groups: set[str] = set()
    named = [*ctx.canon, *(r for r in ctx.idx.refs if r.startswith("model:")),
             *(p for p in ctx.idx.placeholders if p.startswith("model:"))]
    for m in named:
        v = m.removeprefix("model:")
        versions.add(v)
        groups.add(v.split("@", 1)[0])
    groups.update(g.removeprefix("model_group:") for g in ctx.group_canon)
    return versions, groups


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else "undated"


def _listing(names: Iterable[str], limit: int = 12) -> str:
    items = sorted(names)
    if not items:
        return "none"
    more = f", … ({len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _close(value: str, names: Iterable[str]) -> str | None:
    """``did you mean …?``: the name ``value`` is a typo of (another case: ``PROD`` for
    ``prod``; one slip), else the closest spelling, case aside."""
    from lineage.spelling import did_you_mean, typo_of

    names = set(names)
    near = typo_of(value, names)
    return f"did you mean {near!r}?" if near is not None else did_you_mean(
        value, names, ignore_case=True)


def _clone_hint(ctx: AuditContext, hint: str) -> str:
    """A filter naming nothing in a store harvested from a shallow or tag-less clone: what
    it names may be what the clone left out (:func:`lineage.audit.rules._clone_gap`)."""
    gap = _rules._clone_gap(ctx)
    if gap is None:
        return hint
    return f"{hint}; the store was harvested from {gap}"


def check_filters(ctx: AuditContext, model: str | None, env: str | None) -> None:
    """A ``--model`` / ``--env`` that names nothing in the graph is a usage error: audited as
    is, it would match no subject and pass a CI gate with 0 findings (0 checks)."""
    if model is not None:
        versions, groups = _model_names(ctx)
        w = model.removeprefix("model:").removeprefix("model_group:")
        if "@" in w:
            if w not in versions:
                g = w.split("@", 1)[0]
                siblings = {v for v in versions if v.split("@", 1)[0] == g}
                known = (f"known versions of {g}: {_listing(siblings)}" if siblings
                         else f"known models: {_listing(groups)}")
                raise FilterError(f"--model {model!r}: no model version named {w!r}; {known}",
                                  hint=_clone_hint(ctx, _close(w, versions) or "give a version "
                                  "listed above, or the group alone (--model NAME)"))
        elif w not in groups and w not in versions:
            raise FilterError(f"--model {model!r}: no model version or group named {w!r}; "
                              f"known: {_listing(groups)}",
                              hint=_clone_hint(ctx, _close(w, groups | versions) or "give a "
                              "model group (churn) or a version (churn@v1.1.0), or leave out "
                              "--model"))
    if env is not None:
        envs = {str(e) for d in ctx.idx.ids("deployment")
                if (e := ctx.idx.a(d).get("environment")) is not None}
        if env not in envs:
            known = f"known: {_listing(envs)}" if envs else "no deployment is recorded"
            raise FilterError(f"--env {env!r}: no deployment to an environment named {env!r}; "
                              f"{known}",
                              hint=_close(env, envs) or _clone_hint(
                                  ctx, "record the deployment (lineage record deployment …), "
                                  "or leave out --env"))
    # a filter naming only what came after the audit's clock (--as-of) would check nothing
    # and pass: as much a usage error as a typo
    clock = _when(ctx.now)
    if model is not None and "@" in (w := model.removeprefix("model:")):
        v = ctx.version_of(f"model:{w}")
        if v is not None and v not in ctx.versions(unharvested=True):
            born = min((t for m in ctx.members[v] if (t := ctx._since(m, "created_at"))),
                       default=None)
            raise FilterError(f"--model {model!r}: {w} was created after the audit's date "
                              f"({_when(born)}, as of {clock}): there is nothing of it to "
                              "audit yet",
                              hint="audit it with a later --as-of, or without one")
    if env is not None:
        deps = [d for d in ctx.idx.ids("deployment")
                if ctx.idx.a(d).get("environment") == env and d not in ctx.superseded]
        made = sorted(ctx.deployed_at(d) for d in deps)
        # (a deployment dated after its own recording is a finding in every audit)
        if made and made[0] > ctx.now and not any(ctx.future_dated(d) for d in deps):
            raise FilterError(f"--env {env!r}: no deployment to {env} had been made by the "
                              f"audit's date (the first: {_when(made[0])}, as of {clock})",
                              hint="audit it with a later --as-of, or without one")


def check_rules(policy: Policy, rules: Iterable[str] | None) -> set[str] | None:
    """The rule ids ``rules`` selects (case-insensitive), ``None`` for all. A name that is no
    rule, or a rule the policy turns off, is a usage error: it would select nothing and pass
    a CI gate with 0 checks."""
    if rules is None:
        return None
    wanted: set[str] = set()
    for name in rules:
        rid = name.strip().lower()
        if rid not in RULES:
            raise ConfigError(f"--rule {name!r}: no rule named {rid!r}; known: "
                              f"{_listing(RULES, limit=len(RULES))}",
                              hint=_close(rid, RULES) or "give a rule id listed above "
                              "(docs/audit.md#rules), or leave out --rule")
        override = policy.rules.get(rid)
        if override is not None and not override.enabled:
            raise ConfigError(f"--rule {name!r}: the policy turns rule {rid!r} off "
                              f"(rules.{rid}.enabled: false), so it would check nothing",
                              hint=f"enable it in the policy, or leave out --rule {rid}")
        wanted.add(rid)
    return wanted


def run_audit(source: Any, policy: Policy = DEFAULT_POLICY, *, now: datetime | None = None,
              model: str | None = None, env: str | None = None,
              rules: Iterable[str] | None = None, source_name: str = "local",
              policy_source: str = "built-in default") -> AuditReport:
    """Audit a graph (a :class:`LineageGraph`, a :class:`Store` or an :class:`AuditIndex`).

    ``now`` fixes the clock (staleness, waiver expiry); ``model`` / ``env`` filter the
    subjects (``churn`` or ``churn@v1.1.0``, a version also gated by its group's findings;
    ``prod``; one that names nothing in the graph: :class:`ConfigError`); ``rules`` limits the
    rules run (ids, case-insensitive; an unknown or disabled one: :class:`ConfigError`).
    """
    started = datetime.now(UTC)
    now = now or started
    idx = build_index(source)
    with gc_paused():
        return _run(idx, policy, now, model, env, rules, source_name, policy_source, started)


def _run(idx: AuditIndex, policy: Policy, now: datetime, model: str | None, env: str | None,
         rules: Iterable[str] | None, source_name: str, policy_source: str,
         started: datetime) -> AuditReport:
    ctx = AuditContext(idx, policy, now, wall=started)
    check_filters(ctx, model, env)
    wanted = check_rules(policy, rules)
    # harvest-complete runs under every --rule selection: a store harvested from a clone that
    # lacks history or tags cannot vouch for any rule's checks (as it gates every filter)
    specs = [s for rid, s in RULES.items()
             if (wanted is None or rid in wanted or rid == "harvest-complete")
             and (policy.rules.get(rid) is None or policy.rules[rid].enabled)]
    notes = _policy_environments(idx, policy) if any(s.id == "four-eyes" for s in specs) else []
    notes += _clone_notes(ctx)
    # a waiver's ``expires`` is a UTC calendar day, as the records store times in UTC: a clock
    # with an offset is converted first (2026-12-02T00:00+05:00 is still 2026-12-01)
    today = now.astimezone(UTC).date()
    # a waiver is judged only by the rules that run: under --rule, one of a rule left out is
    # neither used nor unused (nor expired: it suppresses nothing here)
    ran = {s.id for s in specs}
    uses = [WaiverUse(w, "unused", expired=w.expires < today) for w in policy.waivers
            if w.rule in ran]
    findings: list[Finding] = []
    waived: list[Finding] = []
    checks: list[Check] = []
    for spec in specs:
        tiers = set(_tiers(spec, policy))
        seen: set[str] = set()
        for o in spec.fn(ctx):
            if o.tier not in tiers or o.subject in seen:
                continue
            # a finding about the whole store (harvest-complete: a repository's clone) gates
            # every filter: what it hides may be the very model or environment filtered on
            whole = o.subject.startswith("repository:")
            # a finding may name another spelling of its version than the class's (the one a
            # deployment names): filters, group and aliases go by the class
            cv = ctx.version_of(o.model) or o.model
            oc = o if cv == o.model else replace(o, model=cv)
            if model is not None and not whole and not _matches_model(ctx, oc, model):
                continue
            if env is not None and not whole and not _matches_env(ctx, oc, env):
                continue
            seen.add(o.subject)
            o.group = o.group or ctx.group_of(cv)
            check = Check(spec.id, o.subject, o.model, o.group)
            checks.append(check)
            if o.passed:
                continue
            f = Finding(
                rule=spec.id, title=spec.title, severity=_severity(spec, policy, o.tier),
                tier=o.tier, subject=o.subject, message=o.message, evidence=list(o.evidence),
                remediation=o.remediation, articles=list(spec.articles),
                controls=list(spec.controls), model=o.model, group=o.group,
                environment=o.environment,
                aliases=[m for m in ctx.members.get(cv or "", []) if m != o.model],
                location=_location(idx, o),
            )
            check.finding = f
            matched, suppressed = _waivers_for(ctx, uses, f)
            for use in matched:
                use.matched.append(f.subject)
            if suppressed:
                for use in matched:
                    use.status = "used"
                f.waiver = matched[0].as_dict()
                check.waived = True
                waived.append(f)
            else:
                if matched:  # past its date: it would have suppressed this finding
                    for use in matched:
                        if use.status == "unused":
                            use.status = "expired"
                    f.waiver = {**matched[0].as_dict(), "status": "expired"}
                findings.append(f)
    if model is not None or env is not None:
        uses = _judged(ctx, uses, checks)
    notes += _late_approvals(ctx, checks)
    order = {rid: i for i, rid in enumerate(RULES)}
    findings.sort(key=lambda f: (f.group or "~", f.model or "~", -severity_rank(f.severity),
                                 order[f.rule], f.subject))
    stats = {"nodes": idx.node_count, "model_versions": len(ctx.versions()),
             "model_groups": len(ctx.group_members),
             # runs joined by same_as are one run (one job seen by MLflow and by lineage)
             "runs": len(idx.ids("run")) - sum(len(ms) - 1 for ms in ctx.run_members.values()),
             "runs_out_of_scope": len(ctx.runs_out_of_scope()),
             "deployments": len(idx.ids("deployment")),
             **{f"{k}_after_as_of": n for k, n in ctx.after_clock().items()}}
    return AuditReport(findings, waived, checks, uses, specs, policy_source, source_name,
                       datetime.now(UTC), stats, as_of=now, started_at=started, warnings=notes)


def _late_approvals(ctx: AuditContext, checks: list[Check]) -> list[str]:
    """The approvals a passed ``deployment-approved`` check counted that were first written
    down (:meth:`AuditContext._first_written`: the store's first writing, or the commit that
    added them to their file) more than :data:`APPROVAL_RECORDED_LATE` after their
    ``decided_at``:
    said, not failed. Approvals are often recorded after the meeting that made them, and the
    audit takes a record's date as recorded; but a gate closed by a back-dated record is
    something a reviewer of the report must see, with what to check. Sources that keep no
    such time (a catalog) say nothing."""
    passed = {c.subject for c in checks
              if c.rule == "deployment-approved" and c.finding is None and not c.waived}
    if not passed:
        return []
    late: dict[str, list[str]] = {}
    for d, (v, ok) in ctx.counted_approvals.items():
        if d not in passed:  # a tier the rule does not check, or a subject seen before
            continue
        for ap in ok:
            decided = parse_time(ctx.idx.a(ap).get("decided_at"))
            written = ctx._first_written(ap)
            if decided is None or written is None or written - decided <= APPROVAL_RECORDED_LATE:
                continue
            env = ctx.idx.a(d).get("environment")
            late.setdefault(ap, []).append(f"{short(ctx.named_version(d, v))} in {env}")
    out = []
    for ap, gates in sorted(late.items()):
        a = ctx.idx.a(ap)
        decided = parse_time(a.get("decided_at"))
        written = ctx._first_written(ap)
        assert decided is not None and written is not None
        sha = a.get("committed_in")
        how = (f"committed in {str(sha)[:12]}" if isinstance(sha, str)
               and parse_time(a.get("committed_at")) == written else "written to the store")
        out.append(
            f"approval {_rules._rid(ap)} ({a.get('approver')}, decided "
            f"{decided:%Y-%m-%d %H:%M}Z) counts for {', '.join(dict.fromkeys(gates))} but was "
            f"first recorded {(written - decided).days} days later ({written:%Y-%m-%d}, {how}): "
            "its date is its recorder's word — check the evidence it cites (`lineage show "
            f"{_rules._rid(ap)}`, `lineage log`)")
    return out


def _clone_notes(ctx: AuditContext) -> list[str]:
    """A clone holding no tag while nothing shows a model is missing (no ``harvest-complete``
    finding: no record names a model the graph lacks, dvc.yaml declares none, the store holds
    nothing of GTO and the work tree shows no sign of it): said, not failed. Said of a clone
    that fetches no tags (``git clone --no-tags``), and of one whose fetch merely brought none
    (``tagless``) when the store holds no model version at all: ``gto register`` and ``gto
    assign`` make tags without any declaration, so a gate that checked nothing may be one
    whose models are all in tags the clone left out. Most repositories have no tag: a store
    holding model versions from another source is not told."""
    out = []
    missing, declared = sorted(ctx.missing_models()), _rules._declared_groups(ctx)
    for repo, c in sorted(ctx.idx.clones.items()):
        if not (c.no_tags or c.tagless) or c.shallow or c.gto_unseen or \
                _rules._tagless_reasons(ctx, c, missing, declared):
            continue
        if c.no_tags:
            out.append(f"the store was harvested from a clone of {repo} that fetches no tags "
                       "(git clone --no-tags) and holds none: if the repository registers "
                       "models with GTO, fetch its tags (git fetch --tags) and harvest again")
        elif not ctx.idx.ids("model"):
            out.append(f"the store holds no model version and was harvested from a clone of "
                       f"{repo} that holds no tags (its fetch brought none: a fetch refspec "
                       "without tags, or git fetch --no-tags): if the repository registers "
                       "models with GTO (gto register and gto assign make tags, with or "
                       "without artifacts: in dvc.yaml), fetch its tags (git fetch --tags) "
                       "and harvest again")
    return out


def _policy_environments(idx: AuditIndex, policy: Policy) -> list[str]:
    """The policy's ``approvals[].environments`` against the environments the graph's
    deployments and approvals name: a typo of one is a :class:`ConfigError` (the deployments
    it meant would fall back to a weaker requirement and pass ``four-eyes``); an environment
    nothing names yet, a warning (returned)."""
    known = {str(e) for kind in ("deployment", "approval") for n in idx.ids(kind)
             if (e := idx.a(n).get("environment")) is not None}
    errors, warnings = unknown_environments(policy, known)
    if len(errors) == 1:
        raise ConfigError(errors[0][0], hint=errors[0][1])
    if errors:
        raise ConfigError("\n".join(f"{msg} — {fix}" for msg, fix in errors),
                          hint="see docs/audit.md#policy")
    return warnings


def _judged(ctx: AuditContext, uses: list[WaiverUse], checks: list[Check]) -> list[WaiverUse]:
    """The waivers a ``--model`` / ``--env`` audit can judge: those that matched a finding, and
    those naming a subject of a check of their rule (its subject, version, any spelling of
    it, or group), which are unused. A waiver about a subject the filter left out says
    nothing about this audit and is not reported."""
    keys: dict[str, set[str]] = {}
    for c in checks:
        ks = keys.setdefault(c.rule, set())
        ks.update(k for k in (c.subject, c.model, c.group) if k)
        ks.update(ctx.members.get(ctx.version_of(c.model) or c.model or "", ()))
    return [u for u in uses if u.matched or u.names() & keys.get(u.waiver.rule, set())]


def _waivers_for(ctx: AuditContext, uses: list[WaiverUse],
                 f: Finding) -> tuple[list[WaiverUse], bool]:
    """The waivers that suppress ``f`` (and True), else an expired one that would have (and
    False). A waiver names the finding's subject, its version (any spelling) or its group. A
    run's finding is about every version whose provenance holds the run, of any system: a
    waiver naming one version or group suppresses it only when that is all the run is about;
    otherwise waivers must cover each of them (or name the run itself) — one system's owner
    does not accept the gap for another system."""
    mine = [u for u in uses if u.waiver.rule == f.rule]
    if not mine:
        return [], False
    live = [u for u in mine if not u.expired]
    # a run's finding is about its run class: a waiver may name any spelling of it (the MLflow
    # run a waiver named before the two were joined)
    subject = set(ctx.spellings(f.subject)) if f.subject.startswith("run:") else {f.subject}
    keys = {*subject, f.model, f.group, *f.aliases} - {None}
    about = ctx.provenance_versions(f.subject) if f.subject.startswith("run:") and any(
        not subject & u.names() for u in mine) else []
    if len(about) > 1:
        per_version = [{v, *ctx.members.get(v, ()), ctx.group_of(v)} - {None} for v in about]
        keys = subject.union(*per_version)
        direct = [u for u in live if subject & u.names()]
        cover = [next((u for u in live if u.names() & ks), None) for ks in per_version]
        if direct:
            return direct[:1], True
        if all(c is not None for c in cover):
            return list({id(c): c for c in cover if c is not None}.values()), True
    else:
        hit = next((u for u in live if u.names() & keys), None)
        if hit is not None:
            return [hit], True
    expired = next((u for u in mine if u.expired and u.names() & keys), None)
    return ([expired] if expired is not None else []), False


__all__ = ["Artifact", "AuditContext", "AuditReport", "Check", "Existed", "Finding", "Moved",
           "Named", "Outcome", "WaiverUse", "waiver_names",
           "check_rules", "parse_time", "run_audit", "short"]
