"""Audit policy as code: a YAML file in the repository, validated by a pydantic model.

Where the policy comes from, first match wins: ``--policy FILE``; ``policy:`` in
``lineage.yaml``; ``lineage-policy.yaml`` at the repository root; the built-in default
(:data:`DEFAULT_POLICY`, every rule on with the severities of its catalog entry).

A policy file only says what differs from the default: rules absent from ``rules:`` keep their
defaults. ``schemas/policy.schema.json`` is generated from :class:`Policy`
(``python -m lineage.audit.schema > schemas/policy.schema.json``); a test fails when it drifts.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lineage.errors import ConfigError
from lineage.spelling import meant_by, one_slip
from lineage.yamlpos import bad_scalar, given_twice, keys_given_twice, line_of

if TYPE_CHECKING:
    import yaml

POLICY_FILE = "lineage-policy.yaml"

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
# "unassessed": the model group has no risk assessment (or the subject has no model)
Tier = Literal["unacceptable", "high", "limited", "minimal", "unassessed"]
TIERS: tuple[str, ...] = ("unacceptable", "high", "limited", "minimal", "unassessed")
DocKind = Literal["model_card", "datasheet", "bias_report", "evaluation", "transparency_notice",
                  "data_governance", "other"]
_HIGH_RISK_DOCUMENTS: list[DocKind] = ["model_card", "data_governance", "evaluation", "bias_report"]


# a policy says what it means: `true` is not a number of days, `"no"` not a boolean, and a
# waiver's owner or reason is not blank
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


def severity_rank(sev: str) -> int:
    return SEVERITIES.index(sev)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RulePolicy(_Strict):
    """Overrides for one rule; anything left out keeps the rule's default."""

    enabled: StrictBool = Field(True, description="false turns the rule off")
    tiers: list[Tier] | None = Field(
        None, description="risk tiers the rule applies to (default: the rule's own list)")
    severity: Severity | dict[Tier, Severity] | None = Field(
        None, description="one severity for every tier, or a map tier → severity")

    @field_validator("tiers")
    @classmethod
    def _some_tier(cls, v: list[str] | None) -> list[str] | None:
        # an empty list would turn the rule off without saying so (a gate that never fails)
        if v is not None and not v:
            raise ValueError("an empty list applies the rule to no tier: list the tiers it "
                             "applies to, or write `enabled: false` to turn the rule off")
        return v


class ApprovalRequirement(_Strict):
    """How many distinct approvers (and which roles) a deployment needs. First match wins."""

    tiers: list[Tier] | None = Field(None, description="tiers this requirement covers (all)")
    environments: list[str] | None = Field(
        None, description="deployment environments it covers (all)")
    count: StrictInt = Field(1, ge=1, description="distinct approvers needed")
    roles: list[str] = Field(default_factory=list,
                             description="roles that must each have approved")

    @field_validator("tiers", "environments")
    @classmethod
    def _some(cls, v: list[str] | None) -> list[str] | None:
        # an empty list matches no deployment: the entry would never apply, and the
        # deployments it was written for would fall back to a later one (or one approver)
        if v is not None and not v:
            raise ValueError("an empty list matches no deployment: list the ones it covers, "
                             "or leave the key out for all of them")
        return v


class RiskAssessmentPolicy(_Strict):
    max_age_days: StrictInt = Field(365, ge=1, description="an older assessment is stale")


class MonitoringPolicy(_Strict):
    max_age_days: StrictInt = Field(
        30, ge=1, description="the latest monitoring evidence must be at most this old")
    alert_follow_up_days: StrictInt = Field(
        14, ge=0, description="an open alert older than this needs a follow-up")


class RetrainingPolicy(_Strict):
    require_reason: StrictBool = Field(True, description="a retraining record must give a reason")


class Waiver(_Strict):
    """An accepted gap: suppresses findings of ``rule`` on ``node`` until ``expires``."""

    rule: Text = Field(description="rule id")
    node: Text = Field(description="subject node id (as printed in the finding)")
    owner: Text = Field(description="who accepted the risk")
    reason: Text = Field(description="why the gap is accepted")
    expires: date = Field(description="last day the waiver applies (YYYY-MM-DD)")


class Policy(_Strict):
    """The audit policy."""

    version: Literal[1] = 1
    rules: dict[str, RulePolicy] = Field(default_factory=dict,
                                         description="per-rule overrides by rule id")
    approvals: list[ApprovalRequirement] = Field(
        default_factory=lambda: [ApprovalRequirement(tiers=["high"], count=2)],
        description="approver requirements (four-eyes); first match wins, else one approver")
    risk_assessment: RiskAssessmentPolicy = Field(default_factory=RiskAssessmentPolicy)
    monitoring: MonitoringPolicy = Field(default_factory=MonitoringPolicy)
    high_risk_documents: list[DocKind] = Field(
        default_factory=lambda: _HIGH_RISK_DOCUMENTS.copy(),
        description="documents every high-risk version needs (on the version or its group)")
    retraining: RetrainingPolicy = Field(default_factory=RetrainingPolicy)
    waivers: list[Waiver] = Field(default_factory=list)
    # where the policy was read from and the line of each field (parse_policy), to name them
    _source: str | None = PrivateAttr(None)
    _lines: dict[tuple[Any, ...], int] = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        # what the policy says, not where it was read from (the file, its lines)
        if not isinstance(other, Policy):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def where(self, *loc: Any) -> str:
        """``file:line: field a.b.c`` of a field (``policy field a.b.c`` when the policy was
        not read from a file)."""
        fld = ".".join(str(p) for p in loc)
        if self._source is None:
            return f"policy field {fld}"
        line = self._lines.get(loc)
        return f"{self._source}{f':{line}' if line else ''}: field {fld}"

    @field_validator("high_risk_documents")
    @classmethod
    def _some_documents(cls, v: list[str]) -> list[str]:
        # no document required: high-risk-docs would pass every version without saying so
        if not v:
            raise ValueError("an empty list requires no document, so high-risk-docs would pass "
                             "every version: list the kinds, or write "
                             "`rules.high-risk-docs.enabled: false` to turn the rule off")
        return v

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_a_number(cls, v: Any) -> Any:
        # YAML's `true` is Python's True, which equals 1: a Literal[1] would take it
        if isinstance(v, bool):
            raise ValueError("the policy format version is the number 1, not a boolean")
        return v

    @model_validator(mode="after")
    def _known_rules(self, info: ValidationInfo) -> Policy:
        from lineage.audit.rules import RULES

        if info.context and info.context.get("rule_ids_checked"):
            return self  # parse_policy reported them with their lines, next to the rest
        for i, tiers in unchecked_approvals(self):
            raise ValueError(f"approvals.{i}.tiers: {_unchecked(self, tiers)}")
        if unassessed_unchecked(self):
            raise ValueError(f"rules.risk-tier-set.tiers: {_UNASSESSED}")
        for where, rid in [("rules", r) for r in self.rules] + [
            ("waivers", w.rule) for w in self.waivers
        ]:
            if rid not in RULES:
                close = difflib.get_close_matches(rid, list(RULES), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown rule {rid!r} in {where}{hint}")
        return self

    def requirement(self, tier: str, environment: str | None) -> ApprovalRequirement:
        for req in self.approvals:
            if req.tiers is not None and tier not in req.tiers:
                continue
            if req.environments is not None and environment not in req.environments:
                continue
            return req
        return ApprovalRequirement()


def unchecked_approvals(policy: Policy) -> list[tuple[int, list[str]]]:
    """``approvals`` entries naming tiers ``four-eyes`` does not check (its ``tiers``): the
    approver count and roles they require would never be checked, and the gate would pass a
    deployment one approver made. (index, those tiers) each; none when the rule is off, or
    when the policy gives no ``approvals`` (the built-in ones are not the policy's word)."""
    from lineage.audit.registry import RULES

    spec = RULES.get("four-eyes")
    override = policy.rules.get("four-eyes")
    if spec is None or (override is not None and not override.enabled) \
            or "approvals" not in policy.model_fields_set:
        return []
    checked = set(override.tiers if override is not None and override.tiers is not None
                  else spec.tiers)
    return [(i, missing) for i, req in enumerate(policy.approvals)
            if req.tiers is not None
            and (missing := [str(t) for t in req.tiers if t not in checked])]


def unassessed_unchecked(policy: Policy) -> bool:
    """The policy limits ``risk-tier-set`` to tiers without ``unassessed``: a system with no
    risk assessment would be no finding, and every rule that skips that tier would pass it."""
    override = policy.rules.get("risk-tier-set")
    return (override is not None and override.enabled and override.tiers is not None
            and "unassessed" not in override.tiers)


_UNASSESSED = ("without 'unassessed' a system with no risk assessment is never a finding "
               "(its tier is 'unassessed')")


def _unchecked(policy: Policy, tiers: list[str]) -> str:
    from lineage.audit.registry import RULES

    override = policy.rules.get("four-eyes")
    checked = (override.tiers if override is not None and override.tiers is not None
               else list(RULES["four-eyes"].tiers))
    return (f"four-eyes, which checks these approvers, applies to {', '.join(checked)} only, "
            f"so what this entry requires for {', '.join(tiers)} would never be checked")


def unknown_environments(policy: Policy, known: set[str]
                         ) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``approvals[].environments`` no deployment or approval of the graph names
    (``known``): such an entry applies to no deployment, and the deployments it was meant
    for fall back to a later entry (or to one approver). (errors, warnings): one a typo
    away from a known environment (case aside, or one letter added, dropped, changed or two
    swapped: ``prdo``, ``stagng``, ``Prod``) is an error, with its fix; any other (an
    environment nothing is deployed to yet) a warning. Each names the file, line and field."""
    errors: list[tuple[str, str]] = []
    warnings: list[str] = []
    for i, req in enumerate(policy.approvals):
        for j, env in enumerate(req.environments or ()):
            if env in known:
                continue
            said = (f"{policy.where('approvals', i, 'environments', j)}: no deployment or "
                    f"approval names an environment {env!r}")
            near = sorted(k for k in known if one_slip(env, k))
            if near:
                errors.append((f"{said}; known: {', '.join(sorted(known))}",
                               f"did you mean {near[0]!r}? (this requirement would apply to "
                               f"no deployment, and those to {near[0]} would need only what "
                               "a later entry asks)"))
            else:
                warnings.append(f"{said}, so this requirement applies to no deployment yet "
                                f"(known: {', '.join(sorted(known)) or 'none'})")
    return errors, warnings


DEFAULT_POLICY = Policy()


# -- weaker than the default ------------------------------------------------------------------
@dataclass(frozen=True)
class Weakening:
    """A setting of a policy that asks less than the built-in default (:data:`DEFAULT_POLICY`):
    ``field`` as the policy file spells it, the policy's ``value``, the ``default``'s and a
    ``text`` a report prints (``four-eyes: high-risk deployments to staging need 1 approver
    (default 2)``)."""

    field: str
    value: Any
    default: Any
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "default": self.default,
                "text": self.text}


def rules_off(policy: Policy) -> list[str]:
    """The rules the policy turns off (``enabled: false``), in catalog order."""
    from lineage.audit.registry import RULES

    return [rid for rid in RULES
            if (o := policy.rules.get(rid)) is not None and not o.enabled]


def weaker_than_default(policy: Policy) -> list[Weakening]:
    """What the policy asks less than the built-in default does, besides the rules it turns
    off (:func:`rules_off`): a rule applied to fewer tiers, a lower severity, fewer approvers
    or roles for a deployment four-eyes checks, an older risk assessment or monitoring
    evidence, a later alert follow-up, fewer high-risk documents, a retraining without a
    reason. Settings of a rule that is off are not listed (the rule is). A policy that asks
    more, or only differs in waivers (listed in every report of their own), has none."""
    from lineage.audit.registry import RULES

    default = DEFAULT_POLICY
    off = set(rules_off(policy))
    out: list[Weakening] = []
    for rid, spec in RULES.items():
        if rid in off:
            continue
        tiers, was = _rule_tiers(spec, policy), _rule_tiers(spec, default)
        dropped = [t for t in was if t not in tiers]
        if dropped:
            out.append(Weakening(
                f"rules.{rid}.tiers", list(tiers), list(was),
                f"{rid} checks {', '.join(tiers)} only, not {', '.join(dropped)} "
                f"(default: {', '.join(was)})"))
        lower = [(t, _rule_severity(spec, policy, t), _rule_severity(spec, default, t))
                 for t in tiers if t in was]
        lower = [(t, mine, theirs) for t, mine, theirs in lower
                 if severity_rank(mine) < severity_rank(theirs)]
        if lower:
            out.append(Weakening(
                f"rules.{rid}.severity", {t: m for t, m, _ in lower},
                {t: d for t, _, d in lower},
                f"{rid} findings are " + ", ".join(
                    f"{m} for tier {t} (default {d})" for t, m, d in lower)))
    if "four-eyes" not in off and "four-eyes" in RULES:
        out += _weaker_approvals(policy, _rule_tiers(RULES["four-eyes"], policy))
    checks: list[tuple[str, bool, str, Any, Any, str]] = [
        ("risk-tier-set", policy.risk_assessment.max_age_days
         > default.risk_assessment.max_age_days, "risk_assessment.max_age_days",
         policy.risk_assessment.max_age_days, default.risk_assessment.max_age_days,
         "a risk assessment stays current for {v} days (default {d})"),
        ("monitoring-active", policy.monitoring.max_age_days > default.monitoring.max_age_days,
         "monitoring.max_age_days", policy.monitoring.max_age_days,
         default.monitoring.max_age_days, "monitoring evidence may be {v} days old "
         "(default {d})"),
        ("monitoring-active", policy.monitoring.alert_follow_up_days
         > default.monitoring.alert_follow_up_days, "monitoring.alert_follow_up_days",
         policy.monitoring.alert_follow_up_days, default.monitoring.alert_follow_up_days,
         "an open alert needs a follow-up after {v} days (default {d})"),
        ("retraining-logged", default.retraining.require_reason
         and not policy.retraining.require_reason, "retraining.require_reason",
         policy.retraining.require_reason, default.retraining.require_reason,
         "a retraining record need not give a reason (default: it must)"),
    ]
    missing = [k for k in default.high_risk_documents if k not in policy.high_risk_documents]
    checks.append(("high-risk-docs", bool(missing), "high_risk_documents",
                   list(policy.high_risk_documents), list(default.high_risk_documents),
                   f"high-risk versions need no {', '.join(missing)} (default: {{d}})"))
    for rid, weaker, fld, value, was, text in checks:
        if weaker and rid not in off:
            shown = ", ".join(was) if isinstance(was, list) else was
            out.append(Weakening(fld, value, was, text.format(v=value, d=shown)))
    return out


def _rule_tiers(spec: Any, policy: Policy) -> tuple[str, ...]:
    # as the engine applies them (engine._tiers)
    override = policy.rules.get(spec.id)
    return tuple(override.tiers) if override is not None and override.tiers is not None \
        else tuple(spec.tiers)


def _rule_severity(spec: Any, policy: Policy, tier: str) -> str:
    # as the engine sets it (engine._severity)
    override = policy.rules.get(spec.id)
    if override is not None and override.severity is not None:
        if isinstance(override.severity, str):
            return override.severity
        if tier in override.severity:
            return str(override.severity[tier])
    return str(spec.severity.get(tier, spec.severity.get("default", "medium")))


def _weaker_approvals(policy: Policy, tiers: tuple[str, ...]) -> list[Weakening]:
    """Deployments four-eyes checks that the policy lets through with fewer approvers, or
    without a role, than the default requires: per tier, for each environment an
    ``approvals`` entry of either policy names and for every other one."""
    default = DEFAULT_POLICY
    named = sorted({e for p in (policy, default) for req in p.approvals
                    for e in (req.environments or ())})
    out: list[Weakening] = []
    for tier in tiers:
        weaker: list[tuple[str | None, ApprovalRequirement, ApprovalRequirement]] = []
        for env in [*named, None]:
            mine, theirs = policy.requirement(tier, env), default.requirement(tier, env)
            if mine.count < theirs.count or not set(theirs.roles) <= set(mine.roles):
                weaker.append((env, mine, theirs))
        if not weaker:
            continue
        alike = len({(m.count, tuple(m.roles), d.count, tuple(d.roles))
                     for _, m, d in weaker}) == 1
        everywhere = len(weaker) == len(named) + 1
        groups = [(None, weaker[0][1], weaker[0][2])] if alike and everywhere else weaker
        for env, mine, theirs in groups:
            where = ("" if env is None and (alike and everywhere or not named) else
                     " to other environments" if env is None else f" to {env}")
            need = f"{mine.count} approver{'s' if mine.count != 1 else ''}"
            gone = [r for r in theirs.roles if r not in mine.roles]
            if gone:
                need += f" without {', '.join(gone)}"
            out.append(Weakening(
                "approvals", {"tier": tier, "environment": env, "count": mine.count,
                              "roles": list(mine.roles)},
                {"count": theirs.count, "roles": list(theirs.roles)},
                f"four-eyes: {tier}-risk deployments{where} need {need} (default "
                f"{theirs.count}{' with ' + ', '.join(theirs.roles) if theirs.roles else ''})"))
    return out


def json_schema() -> dict[str, Any]:
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://lineage.dev/schemas/policy.schema.json"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


# -- loading ----------------------------------------------------------------------------------
def parse_policy(text: str, source: str) -> Policy:
    """Parse and validate a policy; errors name ``source:line`` and the field."""
    import yaml

    try:
        root = yaml.compose(text)
        bad = bad_scalar(root)
        if bad is not None:
            loc, node, why = bad
            fld = ".".join(str(p) for p in loc) or "(top level)"
            date_ = node.tag == "tag:yaml.org,2002:timestamp"
            raise ConfigError(f"{source}:{node.start_mark.line + 1}: field {fld}: invalid "
                              f"{'date' if date_ else 'value'} {node.value!r} ({why})",
                              hint=("give a real calendar date, YYYY-MM-DD" if date_ else
                                    "fix the value") + " (see docs/audit.md#policy)")
        twice = list(keys_given_twice(root))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{line}: not valid YAML ({getattr(exc, 'problem', exc)})",
                          hint="fix the policy file (see docs/audit.md#policy)") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: a policy must be a mapping",
                          hint="see docs/audit.md#policy for an example")
    # every mistake at once, in file order: a user fixing a policy should not find them one
    # run at a time (an unknown rule id used to hide all the others)
    problems: list[tuple[int, str, str | None]] = [
        # YAML keeps the last silently: a rule turned off would go unseen
        (again, f"{source}:{again}: {given_twice(loc, first)}",
         "keep one of them (see docs/audit.md#policy)")
        for loc, first, again in twice]
    problems += _unknown_rules(data, root, source)
    try:
        policy = Policy.model_validate(data, context={"rule_ids_checked": True})
    except ValidationError as exc:
        problems += _problems(exc, root, source)
    else:
        for i, tiers in unchecked_approvals(policy):
            at = line_of(root, ("approvals", i, "tiers")) or 1
            problems.append((at, f"{source}:{at}: field approvals.{i}.tiers: "
                                 f"{_unchecked(policy, tiers)}",
                             "add them to rules.four-eyes.tiers (or remove them here)"))
        if unassessed_unchecked(policy):
            at = line_of(root, ("rules", "risk-tier-set", "tiers")) or 1
            problems.append((at, f"{source}:{at}: field rules.risk-tier-set.tiers: "
                                 f"{_UNASSESSED}", "add unassessed to the list"))
    if not problems:
        policy._source = source
        policy._lines = {
            loc: n for i, req in enumerate(policy.approvals)
            for j in range(len(req.environments or ()))
            if (n := line_of(root, loc := ("approvals", i, "environments", j))) is not None}
        return policy
    problems.sort(key=lambda p: p[0])
    if len(problems) == 1:
        _, msg, fix = problems[0]
        raise ConfigError(msg, hint=fix or _SEE)
    raise ConfigError("\n".join(msg + (f" — {fix}" if fix else "") for _, msg, fix in problems),
                      hint=_SEE)


_SEE = "see docs/audit.md#policy and schemas/policy.schema.json"


def _problems(exc: ValidationError, root: yaml.Node | None, source: str
              ) -> list[tuple[int, str, str | None]]:
    """Every field in error, one each: (line, ``source:line: field …: why``, fix) (all the
    required fields a waiver lacks, not just the first)."""
    by_loc: dict[tuple[Any, ...], list[Any]] = {}
    for e in exc.errors():
        loc = e["loc"]
        # a value that fits no member of a union (one severity, or a map) is one problem
        cut = next((i for i, p in enumerate(loc) if isinstance(p, str) and p in _UNION_TAGS),
                   len(loc))
        by_loc.setdefault(tuple(loc[:cut]), []).append(e)
    out: list[tuple[int, str, str | None]] = []
    for errs in by_loc.values():
        err = max(errs, key=lambda e: len(e["loc"]))
        # union members and pydantic's "[key]" (a map key in error) are no YAML keys
        loc = tuple(p for p in err["loc"]
                    if not (isinstance(p, str) and (p in _UNION_TAGS or p == "[key]")))
        at = line_of(root, loc) or 1
        fld = ".".join(str(p) for p in loc) or "(top level)"
        got = err.get("input")
        given = (f" (got {got!r})" if (err["type"].endswith("_type")
                                       or err["type"] == "literal_error")
                 and isinstance(got, str | int | float | bool) else "")
        out.append((at, f"{source}:{at}: field {fld}: "
                        f"{err['msg'].removeprefix('Value error, ')}{given}",
                    meant_by(err, Policy, loc)))
    return out



def _unknown_rules(data: dict[str, Any], root: yaml.Node | None, source: str
                   ) -> list[tuple[int, str, str | None]]:
    from lineage.audit.registry import RULES

    spots: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data.get("rules"), dict):
        spots += [(("rules", k), k) for k in data["rules"]]
    if isinstance(data.get("waivers"), list):
        spots += [(("waivers", i, "rule"), w.get("rule")) for i, w in enumerate(data["waivers"])
                  if isinstance(w, dict) and "rule" in w]
    out: list[tuple[int, str, str | None]] = []
    for loc, rid in spots:
        if rid in RULES:
            continue
        # ids are lower-case (`--rule` takes any case; the policy says them as the catalog does)
        close = difflib.get_close_matches(str(rid).lower(), list(RULES), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known rules: " + ", ".join(RULES)
        at = line_of(root, loc) or 1
        out.append((at, f"{source}:{at}: field {'.'.join(str(p) for p in loc)}: unknown rule "
                        f"{rid!r}", hint))
    return out


# pydantic names union members in error locations; they are not YAML keys
_UNION_TAGS = frozenset(("literal['info','low','medium','high','critical']",
                         "dict[literal['unacceptable','high','limited','minimal','unassessed'],"
                         "literal['info','low','medium','high','critical']]"))


def load_policy(path: str | Path) -> Policy:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the policy file {p}: {exc.strerror}",
                          hint="check --policy, or the policy: key in lineage.yaml") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{p}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                          f"{exc.start})",
                          hint="save the policy file as UTF-8 (see docs/audit.md#policy)"
                          ) from exc
    return parse_policy(text, str(p))


def resolve_policy(repo_root: Path | None, explicit: str | Path | None = None,
                   configured: str | None = None) -> tuple[Policy, str]:
    """The policy in force and where it came from (a path or ``built-in default``)."""
    if explicit is not None:
        return load_policy(explicit), str(explicit)
    if configured and repo_root is not None:
        p = Path(configured)
        p = p if p.is_absolute() else repo_root / p
        return load_policy(p), str(p)
    # a dangling link is read too, so that it is an error, not the default policy in silence
    if repo_root is not None and ((repo_root / POLICY_FILE).exists()
                                  or (repo_root / POLICY_FILE).is_symlink()):
        return load_policy(repo_root / POLICY_FILE), str(repo_root / POLICY_FILE)
    return DEFAULT_POLICY, "built-in default"


__all__ = [
    "DEFAULT_POLICY", "POLICY_FILE", "SEVERITIES", "TIERS", "ApprovalRequirement", "Policy",
    "RulePolicy", "Waiver", "Weakening", "json_schema", "load_policy", "parse_policy",
    "resolve_policy", "rules_off", "severity_rank", "unknown_environments",
    "weaker_than_default",
]

