"""Pure rendering: lineage graph → Atlas entity payloads (no I/O; golden-tested).

Each rendered item is one Atlas entity plus what Atlas accepts only through its own endpoints
once the entity exists::

    {"node": "<lineage node id>", "qualifiedName": "<node id>@lineage",
     "entity": {"typeName", "attributes", "relationshipAttributes"},
     "classifications": [AtlasClassification...],          # EU AI Act tier
     "businessAttributes": {"<bm name>": {attr: value}}}    # risk, approval, retraining

References between entities are written as ``{"typeName", "uniqueAttributes":
{"qualifiedName"}}``; the push turns them into placeholder guids of entities sent in the same
request (Atlas resolves uniqueAttributes only against what it already stores).

Mapping (node kind → Atlas type): repository → lineage_repository (Asset), commit →
lineage_commit (DataSet), data → lineage_data (DataSet), stage → lineage_dvc_stage (Process),
run → lineage_training_run (Process), model_group → lineage_model (DataSet), model →
lineage_model_version (DataSet), deployment → lineage_deployment (DataSet) plus one
lineage_deployment_step (Process: version → deployment), approval → lineage_approval (Asset).
Risk assessments become an ``EUAIAct_<Tier>`` classification on the model (propagated to its
versions and deployments) and ``lineage_risk_assessment`` business metadata; approvals also
become ``lineage_approval_status``; retraining records (and the alerts that triggered them)
``lineage_retraining``; documents and alerts are attributes of the model / version.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.sinks.approval import (
    APPROVED,
    NO_DECISION,
    NOT_CHECKED,
    UNAPPROVED,
    deployment_gate,
    deployment_status,
    environment_gate,
    environment_labels,
    retired_environment_gate,
    unchecked_environments,
)
from connectors.sinks.documents import is_url, pinned_commit, repository_file_link, repository_web
from lineage.audit.context import audit_context
from lineage.ids import normalize_repo_url
from lineage.model import EdgeKind, NodeKind

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext
    from lineage.graph import LineageGraph

QN_SUFFIX = "@lineage"
STEP_SUFFIX = "#deploy"

ENTITY_TYPE: dict[NodeKind, str] = {
    NodeKind.REPOSITORY: "lineage_repository",
    NodeKind.COMMIT: "lineage_commit",
    NodeKind.DATA: "lineage_data",
    NodeKind.STAGE: "lineage_dvc_stage",
    NodeKind.RUN: "lineage_training_run",
    NodeKind.MODEL_GROUP: "lineage_model",
    NodeKind.MODEL: "lineage_model_version",
    NodeKind.DEPLOYMENT: "lineage_deployment",
    NodeKind.APPROVAL: "lineage_approval",
}
DATASET_KINDS = {NodeKind.COMMIT, NodeKind.DATA, NodeKind.MODEL_GROUP, NodeKind.MODEL,
                 NodeKind.DEPLOYMENT}
# no approval decision: no approval on record (connectors.sinks.approval.NO_DECISION)
NO_APPROVAL = {"status": NO_DECISION, "approvalCount": 0}
# Atlas attribute ← node attribute, for facts a source may withdraw (sent empty to clear)
CLEARABLE: dict[NodeKind, dict[str, str]] = {
    NodeKind.MODEL: {"stage": "stage", "aliases": "aliases", "registryStatus": "status",
                     "deprecated": "deprecated", "registryTags": "tags",
                     "description": "description", "metrics": "metrics",
                     "artifactUri": "artifact_uri", "artifactHash": "artifact_hash"},
    NodeKind.MODEL_GROUP: {"description": "description", "owner": "owner",
                           "intendedPurpose": "intended_purpose", "modelLabels": "labels",
                           "registryTags": "tags", "artifactPath": "path",
                           "modelType": "type"},
    NodeKind.RUN: {"runStatus": "status", "endTime": "end_time", "runTags": "tags",
                   "metrics": "metrics", "params": "params"},
    NodeKind.DEPLOYMENT: {"endpoint": "endpoint", "retiredAt": "retired_at"},
    NodeKind.DATA: {"remote": "remote"},
}
# one approver's decisions at the same instant: the stricter last (lineage.audit.rules)
DECISION_RANK = {"approved": 0, "conditional": 1}
# the audit's order of tiers (lineage.audit.engine.TIER_ORDER): the stricter wins a tie
TIER_RANK = {"minimal": 1, "limited": 2, "high": 3, "unacceptable": 4}
TIER_CLASSIFICATION = {"unacceptable": "EUAIAct_Unacceptable", "high": "EUAIAct_High",
                       "limited": "EUAIAct_Limited", "minimal": "EUAIAct_Minimal"}


def qualified_name(node_id: str) -> str:
    """Deterministic Atlas qualifiedName of a node: re-pushes upsert the same entity."""
    return node_id + QN_SUFFIX


def epoch_ms(value: Any) -> int | None:
    """ISO time (as the store keeps it) → epoch milliseconds (Atlas ``date``)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return int(t.timestamp() * 1000)


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def _json_values(d: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else json.dumps(v, sort_keys=True)
            for k, v in (d or {}).items()}


def _floats(d: dict[str, Any] | None) -> dict[str, float]:
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            out[str(k)] = float(v)
    return out


def _non_finite(d: dict[str, Any] | None) -> dict[str, str]:
    """The metrics ``metrics`` (a map of doubles) cannot hold: NaN and infinities, by name as
    records keep them ("NaN", "Infinity", "-Infinity"), as ``metric:<key>`` properties (a
    diverged loss is a fact, not a missing metric)."""
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, str):
            out[f"metric:{k}"] = v
        elif isinstance(v, float) and not math.isfinite(v):
            out[f"metric:{k}"] = "NaN" if v != v else "Infinity" if v > 0 else "-Infinity"
    return out


class _Renderer:
    def __init__(self, graph: LineageGraph, now: datetime | None = None,
                 audit: AuditContext | None = None) -> None:
        self.g = graph
        when = now or (audit.now if audit is not None else datetime.now(UTC))
        self.now_ms = int(when.timestamp() * 1000)
        # the governance state is what the audit reads (lineage audit, lineage show): its own
        # context answers which records a correction superseded, the assessment in force, the
        # approvals that count for a deployment and why, the retraining that trained a version
        self.audit = audit if audit is not None else audit_context(graph, when)
        self._explained: dict[str, dict[str, Any]] = {}
        self._gate: dict[str, bool] | None = None
        # a file version or lock entry harvested under a former identity of its repository
        # (before a remote was added) is the entity of its twin under the current one: one
        # entity per version, and what named the former (a run recorded before the move)
        # refers to it
        self.twin = dict(graph.former_identity_twins())
        # runs joined by same_as (one job recorded by track_run that logged to MLflow) are one
        # run, as the audit reads them: one process entity, the reported spelling's (the run
        # lineage recorded); the other spellings are named on it (properties.sameAs) and what
        # names them refers to it
        for rep, spellings in self.audit.run_members.items():
            for other in spellings[1:]:
                if other in graph and rep in graph:
                    self.twin[other] = rep

    @property
    def superseded(self) -> dict[str, list[str]]:
        """Record → the records that correct it, as the audit reads them (a correction
        written before what it names, one dated ahead of its writing, one about another
        system or in a cycle corrects nothing)."""
        return self.audit.superseded

    def superseded_by(self, record: str) -> list[str]:
        return sorted(self.audit.superseded_by(record))

    def recorded_ms(self, record: str) -> int | None:
        """When the store first wrote ``record`` (the time of its event in the log; None
        when the source keeps no such time, e.g. a graph not read from a store)."""
        times = self.audit.idx.recorded.get(record)
        return epoch_ms(times[0]) if times and times[0] else None

    def explain(self, model_id: str) -> dict[str, Any] | None:
        """What the audit reads of the version class of ``model_id`` (None: no class)."""
        v = self.audit.version_of(model_id)
        if v is None:
            return None
        if v not in self._explained:
            self._explained[v] = self.audit.explain(
                v, data_attrs=lambda d: self.g.attrs(d) if d in self.g else {})
        return self._explained[v]

    # -- helpers ------------------------------------------------------------------------------
    def rendered(self, nid: str) -> bool:
        if nid not in self.g or nid in self.twin:
            return False
        kind = self.g.kind(nid)
        if kind not in ENTITY_TYPE:
            return False
        # an approval nobody described has no decision: nothing truthful to send
        return not (kind == NodeKind.APPROVAL and self.g.is_placeholder(nid))

    def entity_of(self, nid: str) -> str:
        """The node whose entity stands for ``nid``: its current-identity twin, else itself."""
        return self.twin.get(nid, nid)

    def ref(self, nid: str) -> dict[str, Any]:
        nid = self.entity_of(nid)
        return {"typeName": ENTITY_TYPE[self.g.kind(nid)],
                "uniqueAttributes": {"qualifiedName": qualified_name(nid)}}

    def refs(self, ids: list[str] | set[str], kinds: set[NodeKind] | None = None
             ) -> list[dict[str, Any]]:
        keep = [i for i in sorted({self.entity_of(i) for i in ids})
                if self.rendered(i) and (kinds is None or self.g.kind(i) in kinds)]
        return [self.ref(i) for i in keep]

    def one(self, ids: list[str], kind: NodeKind) -> dict[str, Any] | None:
        keep = sorted(i for i in {self.entity_of(i) for i in ids}
                      if self.rendered(i) and self.g.kind(i) == kind)
        return self.ref(keep[0]) if keep else None

    def preds(self, nid: str, edge: EdgeKind, kind: NodeKind | None = None) -> list[str]:
        return self.g.predecessors(nid, edge, kind)

    def succs(self, nid: str, edge: EdgeKind, kind: NodeKind | None = None) -> list[str]:
        return self.g.successors(nid, edge, kind)

    def common(self, nid: str) -> dict[str, Any]:
        a = self.g.attrs(nid)
        spellings = self.run_spellings(nid) if self.g.kind(nid) == NodeKind.RUN else [nid]
        return {"qualifiedName": qualified_name(nid), "lineageId": nid,
                "lineagePlaceholder": True if self.g.is_placeholder(nid) or a.get("placeholder")
                else None,
                "properties": dict(a.get("properties") or {}) if len(spellings) == 1
                else dict(self.run_facts(spellings)["properties"])}

    def model_label(self, model_id: str) -> str:
        a = self.g.attrs(model_id) if model_id in self.g else {}
        if a.get("group") and a.get("version"):
            return f"{a['group']}@{a['version']}"
        return model_id.removeprefix("model:")

    def run_spellings(self, nid: str) -> list[str]:
        """The runs of the run class of ``nid`` as the audit reads them (joined by
        ``same_as``), the reported one first; ``[nid]`` for a run joined to none."""
        return self.audit.spellings(nid) if nid in self.audit.idx.attrs else [nid]

    def run_facts(self, spellings: list[str]) -> dict[str, Any]:
        """The attributes of a run class's entity: the reported spelling's, each fact it
        lacks from another spelling, parameters, metrics, tags and properties of all (the
        reported spelling's value first), the status, dirty flag and start the audit takes
        for the class (:meth:`lineage.audit.engine.AuditContext.run_status`), and, in
        ``properties``, ``sameAs`` (the other spellings) and ``statusConflict`` when their
        statuses disagree."""
        rep = spellings[0]
        views = [self.g.attrs(s) for s in spellings]
        a = dict(views[0])
        for other in views[1:]:
            for k, x in other.items():
                if a.get(k) in (None, "", [], {}) and x not in (None, "", [], {}):
                    a[k] = x
        for key in ("params", "metrics", "tags", "properties"):
            both = {k: x for v in reversed(views) for k, x in (v.get(key) or {}).items()}
            if both:
                a[key] = dict(sorted(both.items()))
        status, _, conflict = self.audit.run_status(rep)
        a["status"], a["dirty"] = status, self.audit.run_dirty(rep)
        start = self.audit.run_start(rep)
        if start is not None:
            a["start_time"] = self.g.attrs(start[1]).get("start_time")
        ends = [str(v["end_time"]) for v in views if v.get("end_time")]
        a["end_time"] = views[0].get("end_time") or (max(ends) if ends else None)
        props = dict(a.get("properties") or {})
        props["sameAs"] = ",".join(spellings[1:])
        if conflict:
            props["statusConflict"] = conflict
        a["properties"] = props
        return a

    # -- governance lookups (the audit's reading) -------------------------------------------
    def latest_assessment(self, group_id: str | None) -> str | None:
        """The assessment in force for the AI system of a registered model, as the audit
        takes it: each registered model's latest dated no later than now (of two the same
        instant, the stricter), of an AI system's registered models the strictest, after
        the corrections."""
        if not group_id:
            return None
        if group_id in self.audit.group_canon:
            return self.audit.latest_assessment(group_id)
        # a registered model the audit does not know (only named by a record: a governance
        # job's fresh store recording a reassessment): its own latest, read as the audit reads
        # a known one's, so the tier it records replaces the old one in Atlas
        ids = {i for i in self.preds(group_id, EdgeKind.ASSESSES, NodeKind.RISK_ASSESSMENT)}
        ids |= {n.id for n in self.g.nodes(NodeKind.RISK_ASSESSMENT)
                if n.attrs.get("model_group") == group_id}
        ids = {i for i in ids if self.g.attrs(i).get("tier") in TIER_CLASSIFICATION
               and not self.audit.superseded_by(i)
               and (epoch_ms(self.g.attrs(i).get("assessed_at")) or 0) <= self.now_ms}
        return max(ids, key=self._assessed_key) if ids else None

    def _assessed_key(self, assessment: str) -> tuple[int, int, str]:
        """Latest last, as the audit orders them: at the same instant the stricter tier."""
        a = self.g.attrs(assessment)
        at = epoch_ms(a.get("assessed_at"))
        return (at if at is not None else -(2**63), TIER_RANK.get(str(a.get("tier")), 0),
                assessment)

    def version_assessment(self, model_id: str) -> str | None:
        """The assessment the audit holds the version to (``lineage show``: ``risk``, its
        ``held_by`` when not the one in force): once deployed, the strictest in force at any
        time since its first deployment, so a later downgrade does not lower it; else the
        one in force."""
        v = self.audit.version_of(model_id)
        if v is None:
            return None
        group = self.audit.group_of(v)
        if group in self.audit.group_canon:
            return self.audit.tier_assessment(v)
        return self.latest_assessment(group)

    def deployment_assessment(self, deployment: str, model_id: str) -> str | None:
        """The assessment a deployment is judged by: the strictest in force at any time from
        when it was made until now (``AuditContext.deployment_tier``)."""
        v = self.audit.version_of(model_id)
        group = self.audit.group_of(v)
        if v is None or group not in self.audit.group_canon or v not in self.audit.members \
                or deployment not in self.audit.deployments(v):
            return self.version_assessment(model_id)
        return self.audit.assessment_since(group, self.audit.deployed_at(deployment))

    def risk_bm(self, assessment: str) -> dict[str, Any]:
        a = self.g.attrs(assessment)
        return _compact({
            "tier": a.get("tier"), "annexIIIArea": a.get("annex_iii_area"),
            "intendedPurpose": a.get("intended_purpose"), "rationale": a.get("rationale"),
            "assessor": a.get("assessor"), "assessedAt": epoch_ms(a.get("assessed_at")),
            "nextReview": epoch_ms(a.get("next_review")), "assessmentId": assessment,
            "recordedAt": self.recorded_ms(assessment),
        })

    def version_approvals(self, model_id: str) -> list[dict[str, Any]]:
        """The approvals of a version (any registry's spelling) the audit lists, with their
        standing; those a correction superseded and those dated after now (not decided
        yet) left out."""
        facts = self.explain(model_id)
        return [r for r in (facts or {}).get("approvals", [])
                if not r["superseded_by"] and r["status"] != "not decided yet"
                and self.rendered(r["id"])]

    def gate(self) -> dict[str, bool]:
        """Deployment → whether the audit grants it its approval, as DataHub's push reads it
        (:func:`connectors.sinks.approval.deployment_gate`); computed once per render."""
        if self._gate is None:
            self._gate = deployment_gate(self.audit)
        return self._gate

    def approval_bm(self, model_id: str) -> dict[str, Any]:
        """A version's approval status, as the audit judges it (docs/atlas.md), the same
        reading as DataHub's ``approvalStatus`` and ``approvedEnvironments``: ``unapproved``
        when the audit refuses a live deployment of it, or — in an environment it ran in and
        runs in no more — a deployment it had there (retired); else, running somewhere and
        checked wherever it runs (every live deployment judged), ``approved``; running
        nowhere, or somewhere unchecked (a tier the policy exempts, both rules off), the
        latest decision the audit holds (an approval in force, or a rejection),
        ``unapproved`` when none — and when it runs unchecked in an environment no approval
        in force names, an approving decision is none there. ``environments``: those it
        runs in whose live deployments are all approved, those it ran in and runs in no more
        whose deployments there the audit all approved, and those the audit judged no
        deployment in (or runs unchecked in) that an approval in force names;
        ``approvalByEnvironment``: per environment, in the words of DataHub's property of
        that name (:func:`connectors.sinks.approval.environment_labels`). The
        approvals listed are those naming it (any registry's spelling) for any environment
        (one naming only a deployment speaks for that deployment); ``approvalCount`` those
        the audit holds in force (not withdrawn by a later rejection of their approver, not
        dated after they were recorded, not decided before the version existed)."""
        v = self.audit.version_of(model_id)
        recs = [r for r in self.version_approvals(model_id) if v in self.approved_versions(r["id"])]
        out = self._status(recs, {r["id"] for r in recs if r["status"] == "in force"})
        live = environment_gate(self.audit, self.gate(), v)
        # where it ran and runs no more, the audit's verdict on the deployments it had there
        # (None where it judged none of them: not checked there)
        retired = retired_environment_gate(self.audit, self.gate(), v)
        judged = {**{e: yes for e, yes in retired.items() if yes is not None}, **live}
        # where it runs and the audit judged not every live deployment: unchecked
        unchecked = unchecked_environments(self.audit, self.gate(), v)
        in_force = [r for r in recs if r["status"] == "in force"]
        ok = {r["environment"] for r in in_force if r.get("environment")}
        everywhere = any(not r.get("environment") for r in in_force)
        unnamed = [e for e in unchecked if not everywhere and e not in ok]
        if not all(judged.values()):  # a deployment it has or had, refused by the audit
            out["status"] = UNAPPROVED
        elif live and not unchecked:  # running somewhere, approved wherever it runs or ran
            out["status"] = APPROVED
        else:  # running nowhere, or somewhere unchecked: the latest decision the audit holds
            held = sorted((r for r in recs if r["status"] == "in force"
                           or r["decision"] not in ("approved", "conditional")),
                          key=lambda r: (self._decided_key(r["id"]), r["id"]))
            out["status"] = (held[-1]["decision"] or APPROVED) if held else NO_DECISION
            if unnamed and out["status"] in ("approved", "conditional"):
                # running unchecked where no approval in force names: no decision there
                out["status"] = NO_DECISION
        # where it runs or ran, the audit's verdict; where the audit judged none (or not all)
        # of its deployments, and where it never ran, the approvals in force (the reading
        # DataHub's approvedEnvironments has: connectors.sinks.approval)
        labels, envs = environment_labels(live, retired, unchecked, ok, everywhere)
        if envs:
            out["environments"] = envs
        else:
            out.pop("environments", None)
        if labels:  # per environment, in DataHub's words (its approvalByEnvironment)
            out["approvalByEnvironment"] = labels
        return out

    def approved_versions(self, approval: str) -> set[str | None]:
        """The version classes an approval names (edge, else its ``model`` attribute)."""
        named = self.succs(approval, EdgeKind.APPROVES, NodeKind.MODEL)
        model = self.g.attrs(approval).get("model")
        if isinstance(model, str) and model.startswith("model:"):
            named.append(model)
        return {self.audit.version_of(m) for m in named}

    def deployment_approval_bm(self, deployment: str, model_id: str | None) -> dict[str, Any]:
        """A deployment's approval status, as ``deployment-approved`` reads it: the decisions
        that speak for it (naming it or its version for its environment or for every
        environment, decided no later than it was deployed) and, counted, those that approve
        it (``lineage show``: ``approved_by``)."""
        facts = self.explain(model_id) if model_id else None
        dep = next((d for d in (facts or {}).get("deployments", []) if d["id"] == deployment),
                   None)
        if facts is None or dep is None:
            return dict(NO_APPROVAL)
        counted = set(dep["approved_by"])
        env = self.g.attrs(deployment).get("environment")
        deployed = self.audit.deployed_at(deployment)
        version = self.audit.version_of(model_id)
        recs = []
        for r in self.version_approvals(str(model_id)):
            if r["id"] in counted:
                recs.append(r)
                continue
            named = self.succs(r["id"], EdgeKind.APPROVES, NodeKind.DEPLOYMENT)
            model = self.g.attrs(r["id"]).get("model")
            decided = self.audit.trusted_time(r["id"], "decided_at")
            if r["environment"] not in (None, env) or (named and deployment not in named) \
                    or (isinstance(model, str) and self.audit.version_of(model) != version) \
                    or decided is None or decided > deployed:
                continue
            recs.append(r)
        out = self._status(recs, counted)
        verdict = deployment_status(self.audit, self.gate(), deployment, version)
        if verdict is not None:
            # a deployment the audit counts: its verdict (deployment-approved, four-eyes), or
            # that it did not check it (a tier the policy exempts, the rules off), as DataHub's
            # push says it (connectors.sinks.approval.deployment_status); approved, or not
            # checked, for the environments of the approvals that count for it, else none
            out["status"] = verdict
            envs = {r["environment"] for r in recs if verdict in (APPROVED, NOT_CHECKED)
                    and r["id"] in counted and r.get("environment")}
            if envs:
                out["environments"] = sorted(envs)
            else:
                out.pop("environments", None)
        return out

    def _status(self, recs: list[dict[str, Any]], counted: set[str]) -> dict[str, Any]:
        if not recs:
            return dict(NO_APPROVAL)
        recs = sorted(recs, key=lambda r: (self._decided_key(r["id"]), r["id"]))
        last = recs[-1]
        return _compact({
            "status": last["decision"] or "approved",
            "approvers": sorted({r["approver"] for r in recs if r.get("approver")}),
            "approverRoles": sorted({r["role"] for r in recs if r.get("role")}),
            # as the audit counts approvers: a conditional approval approves too
            "approvalCount": sum(1 for r in recs if r["id"] in counted),
            "lastDecisionAt": epoch_ms(last.get("decided_at")),
            "environments": sorted({r["environment"] for r in recs if r.get("environment")}),
            "approvalIds": [r["id"] for r in recs],
            "evidence": sorted({r["evidence"] for r in recs if r.get("evidence")}),
        })

    def withdrawn_by(self, approval: str, targets: list[str]) -> str | None:
        """The decision that withdrew an approval, as ``lineage show`` reads it (a later
        rejection by the same approver, however spelled), None while it stands."""
        for m in sorted(t for t in targets if t.startswith("model:")):
            for r in (self.explain(m) or {}).get("approvals", []):
                if r["id"] == approval and r["status"] == "withdrawn":
                    return str(r["withdrawn_by"]) if r.get("withdrawn_by") else None
        return None

    def _decided_key(self, approval: str) -> tuple[int, int]:
        """When it was decided (undated first); at the same instant a rejection after an
        approval, as the audit orders one approver's decisions."""
        a = self.g.attrs(approval)
        at = epoch_ms(a.get("decided_at"))
        return (at if at is not None else -(2**63),
                DECISION_RANK.get(str(a.get("decision", "approved")), 2))

    def retraining_bm(self, model_id: str) -> dict[str, Any] | None:
        """The retraining that trained the version, as ``retraining-logged`` reads it: the
        latest of the records naming it (or its run) that a correction did not supersede,
        one the rule counts before one it does not."""
        facts = self.explain(model_id)
        recs = [r for r in (facts or {}).get("retraining", [])
                if r["role"] == "trained by" and not r["superseded_by"]]
        if not recs:
            return None
        rec = max(recs, key=lambda r: (r["counts"], str(r.get("at") or ""), r["id"]))
        rid = rec["id"]
        a = self.g.attrs(rid)
        prev = a.get("previous_model") or next(
            iter(self.preds(rid, EdgeKind.RETRAINS, NodeKind.MODEL)), None)
        alert = a.get("alert") or next(iter(self.preds(rid, EdgeKind.TRIGGERS, NodeKind.ALERT)),
                                       None)
        al = self.g.attrs(alert) if alert and alert in self.g else {}
        value = al.get("value")
        return _compact({
            "trigger": a.get("trigger"), "reason": a.get("reason"),
            "previousVersion": self.model_label(prev) if prev else None,
            "retrainingId": rid, "withinChangePlan": a.get("within_change_plan"),
            "retrainedAt": epoch_ms(a.get("at")), "triggeringAlert": alert,
            "alertMetric": al.get("metric"),
            "alertValue": float(value) if isinstance(value, int | float) else None,
            "recordedAt": self.recorded_ms(rid),
        })

    def document_records(self, nid: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(``kind:id`` key, record id, attributes) of the documents of a model or version
        that a correction did not supersede and that name a URI."""
        out = []
        for d in self.preds(nid, EdgeKind.DOCUMENTS, NodeKind.DOCUMENT):
            if d in self.superseded:
                continue
            a = self.g.attrs(d)
            if a.get("uri"):
                out.append((f"{a.get('doc_kind', 'other')}:{d.removeprefix('document:')}", d, a))
        return out

    def documents(self, nid: str) -> dict[str, str]:
        """``kind:id`` → the URI the record names (a URL, or a path in the repository)."""
        return {key: a["uri"] for key, _, a in self.document_records(nid)}

    def document_pins(self, nid: str) -> tuple[dict[str, str], dict[str, str]]:
        """For the documents of :meth:`documents` that are files of the repository: ``kind:id``
        → the sha of the first commit holding the content the record pins (the joins' DEFINES
        edge), and ``kind:id`` → the file's page on the repository's host at that commit
        (``…/blob/<sha>/<path>``; ``blob/HEAD`` while no harvested commit holds it) — the
        link DataHub shows (``connectors.sinks.documents``, shared by both sinks)."""
        commits: dict[str, str] = {}
        links: dict[str, str] = {}
        for key, d, a in self.document_records(nid):
            if is_url(a["uri"]):
                continue
            sha = pinned_commit(self.g, d)
            if sha:
                commits[key] = sha
            link = repository_file_link(self.repository_web(), a["uri"], sha)
            if link:
                links[key] = link
        return commits, links

    def repository_web(self) -> str | None:
        """The web page of the store's one repository (None: none, or several)."""
        if not hasattr(self, "_web"):
            current = {self.g.current_repository(r)
                       for r in self.g.node_ids(NodeKind.REPOSITORY)}
            self._web = repository_web(self.g.attrs(r).get("url") or r.removeprefix("repository:")
                                       for r in current if r in self.g)
        return self._web

    def withdrawn_records(self, nid: str, edge: EdgeKind, kind: NodeKind) -> bool:
        """Whether a record of this kind named the node but a correction superseded it."""
        return any(r in self.superseded for r in self.preds(nid, edge, kind))

    def alerts(self, nid: str) -> dict[str, str]:
        """``metric= value= threshold= status= at= recorded= follow_up=`` and `` — `` its
        description, per alert: ``follow_up`` the retrainings ``monitoring-active`` takes as
        its follow-up (``lineage show``), none for an open alert nothing answered."""
        facts = {r["id"]: r for r in (self.explain(nid) or {}).get("alerts", [])}
        out = {}
        for al in self.preds(nid, EdgeKind.ALERTS, NodeKind.ALERT):
            if al in self.superseded:
                continue
            a = self.g.attrs(al)
            parts = [f"{k}={a[k]}" for k in ("metric", "value", "threshold", "status", "at")
                     if a.get(k) is not None]
            # when the store wrote it: the audit takes no date later than that at its word
            times = self.audit.idx.recorded.get(al)
            if times and times[0]:
                parts.append(f"recorded={times[0]}")
            follow = (facts.get(al) or {}).get("follow_up")
            if follow:
                parts.append("follow_up=" + ",".join(follow))
            text = " ".join(parts)
            if a.get("description"):
                text += f" — {a['description']}"
            out[al.removeprefix("alert:")] = text
        return out

    # -- per kind ------------------------------------------------------------------------------
    def render_node(self, nid: str) -> list[dict[str, Any]]:
        kind = self.g.kind(nid)
        a = self.g.attrs(nid)
        rest = nid.split(":", 1)[1]
        attrs: dict[str, Any]
        rel: dict[str, Any] = {}
        classifications: list[dict[str, Any]] = []
        bm: dict[str, dict[str, Any]] = {}
        extra: list[dict[str, Any]] = []
        if kind == NodeKind.REPOSITORY:
            # what every clone sees, as the repository's id: the remote URL normalized (an ssh
            # and an https clone, or two CI runners, push the same entity), never the local
            # checkout path (it differs per machine and would expose it)
            url = normalize_repo_url(a["url"]) if a.get("url") else None
            attrs = {"name": url or rest, "url": url, "rootCommit": a.get("root_commit")}
        elif kind == NodeKind.COMMIT:
            sha = a.get("sha") or rest
            author, committer = a.get("author") or {}, a.get("committer") or {}
            msg = (a.get("message") or "").strip()
            attrs = {"name": sha[:12], "description": msg.splitlines()[0] if msg else None,
                     "sha": sha, "message": a.get("message"),
                     "authorName": author.get("name"), "authorEmail": author.get("email"),
                     "authoredAt": epoch_ms(author.get("time")),
                     "committerName": committer.get("name"),
                     "committerEmail": committer.get("email"),
                     "committedAt": epoch_ms(committer.get("time")),
                     "signed": a.get("signed"),
                     "parentShas": a.get("parents")}
            repos = self.preds(nid, EdgeKind.CONTAINS, NodeKind.REPOSITORY)
            if not repos and a.get("repository"):
                repos = [a["repository"]]
            rel = {"repository": self.one(repos, NodeKind.REPOSITORY),
                   "parentCommits": self.refs(self.preds(nid, EdgeKind.PARENT, NodeKind.COMMIT))}
        elif kind == NodeKind.DATA:
            path = a.get("path") or rest.rsplit("@", 1)[0]
            attrs = {"name": path, "path": path, "contentHash": a.get("hash"),
                     "hashKind": a.get("hash_kind"), "size": a.get("size"),
                     "nfiles": a.get("nfiles"), "isDir": a.get("is_dir"),
                     "remote": a.get("remote"), "importUrl": a.get("import_url"),
                     "importRev": a.get("import_rev"), "importRevLock": a.get("import_rev_lock"),
                     "datasetNamespace": a.get("namespace"), "firstCommit": a.get("first_commit")}
            rel = {"definedIn": self.one(self.preds(nid, EdgeKind.DEFINES), NodeKind.COMMIT)}
        elif kind == NodeKind.STAGE:
            name = a.get("name") or rest.rsplit("@", 1)[0].rsplit(":", 1)[-1]
            cmd = a.get("cmd")
            attrs = {"name": name + (f"@{a['foreach_key']}" if a.get("foreach_key") else ""),
                     "stageName": name, "dvcYaml": a.get("dvc_yaml"),
                     "cmd": " && ".join(cmd) if isinstance(cmd, list) else cmd,
                     "deps": a.get("deps"), "outs": a.get("outs"),
                     "params": _json_values(a.get("params")), "foreachKey": a.get("foreach_key"),
                     "commitSha": a.get("commit"), "frozen": a.get("frozen"),
                     "inputs": self.refs(self.preds(nid, EdgeKind.INPUT), DATASET_KINDS),
                     "outputs": self.refs(self.succs(nid, EdgeKind.OUTPUT), DATASET_KINDS)}
            rel = {"definedIn": self.one(self.preds(nid, EdgeKind.DEFINES), NodeKind.COMMIT)}
        elif kind == NodeKind.RUN:
            source, _, native = rest.partition(":")
            spellings = self.run_spellings(nid)
            inputs = [i for s in spellings for i in self.preds(s, EdgeKind.INPUT)
                      + self.preds(s, EdgeKind.CODE)]
            outputs = [o for s in spellings for o in self.succs(s, EdgeKind.OUTPUT)
                       + self.succs(s, EdgeKind.PRODUCED)]
            pins = {qualified_name(src): str(e.attrs["pin"])
                    for e in self.g.in_edges(nid, EdgeKind.INPUT)
                    if e.attrs.get("pin") and self.rendered(src := self.entity_of(e.source))}
            if len(spellings) > 1:
                # a run class: the pin the audit judges per path (the strongest any spelling
                # has), and the facts of every spelling, the reported one's first
                pins = {qualified_name(src): str(e.attrs["pin"])
                        for s in reversed(spellings) for e in self.g.in_edges(s, EdgeKind.INPUT)
                        if e.attrs.get("pin") and self.rendered(src := self.entity_of(e.source))}
                pins.update({qualified_name(src): str(e["pin"])
                             for d, e, _, _ in reversed(self.audit.run_inputs(nid))
                             if e.get("pin") and self.rendered(src := self.entity_of(d))})
                a = self.run_facts(spellings)
            attrs = {"name": a.get("name") or a.get("run_id") or native,
                     "runSource": a.get("source") or source, "runId": a.get("run_id") or native,
                     "experiment": a.get("experiment"), "experimentId": a.get("experiment_id"),
                     "job": a.get("job"), "runStatus": a.get("status"), "userName": a.get("user"),
                     "startTime": epoch_ms(a.get("start_time")),
                     "endTime": epoch_ms(a.get("end_time")),
                     "params": _json_values(a.get("params")), "metrics": _floats(a.get("metrics")),
                     "runTags": a.get("tags"), "codeCommit": a.get("commit"),
                     "dirty": a.get("dirty"), "trackingUri": a.get("tracking_uri"),
                     "inputPins": pins,
                     "inputs": self.refs(inputs, DATASET_KINDS),
                     "outputs": self.refs(outputs, DATASET_KINDS)}
            if odd := _non_finite(a.get("metrics")):
                attrs["properties"] = {**(a.get("properties") or {}), **odd}
            ups = {u for s in spellings for u in self.preds(s, EdgeKind.UPSTREAM_RUN, NodeKind.RUN)}
            rel = {"upstreamRuns": self.refs(ups - set(spellings))}
        elif kind == NodeKind.MODEL_GROUP:
            attrs = {"name": a.get("name") or rest, "description": a.get("description"),
                     "owner": a.get("owner"), "registry": a.get("registry"),
                     "intendedPurpose": a.get("intended_purpose"), "artifactPath": a.get("path"),
                     "modelType": a.get("type"), "modelLabels": a.get("labels"),
                     "registryTags": a.get("tags"), "documents": self.documents(nid)}
            attrs["documentCommits"], attrs["documentLinks"] = self.document_pins(nid)
            assessment = self.latest_assessment(nid)
            if assessment:
                ra = self.g.attrs(assessment)
                classifications.append({
                    "typeName": TIER_CLASSIFICATION[ra["tier"]],
                    "attributes": _compact({"assessmentId": assessment,
                                            "annexIIIArea": ra.get("annex_iii_area"),
                                            "assessedAt": epoch_ms(ra.get("assessed_at"))}),
                    "propagate": True,
                    "removePropagationsOnEntityDelete": True,
                })
                bm["lineage_risk_assessment"] = self.risk_bm(assessment)
        elif kind == NodeKind.MODEL:
            group, _, version = rest.rpartition("@")
            label = f"{a.get('group') or group}@{a.get('version') or version}"
            attrs = {"name": label, "description": a.get("description"),
                     "owner": a.get("created_by"),
                     "version": a.get("version") or version, "registry": a.get("registry"),
                     "artifactUri": a.get("artifact_uri"), "artifactHash": a.get("artifact_hash"),
                     "commitSha": a.get("commit"), "runId": a.get("run_id"),
                     "createdAt": epoch_ms(a.get("created_at")), "createdBy": a.get("created_by"),
                     "aliases": a.get("aliases"), "stage": a.get("stage"),
                     "registryStatus": a.get("status"), "deprecated": a.get("deprecated"),
                     "metrics": _floats(a.get("metrics")), "registryTags": a.get("tags"),
                     "documents": self.documents(nid), "alerts": self.alerts(nid)}
            attrs["documentCommits"], attrs["documentLinks"] = self.document_pins(nid)
            if odd := _non_finite(a.get("metrics")):
                attrs["properties"] = {**(a.get("properties") or {}), **odd}
            rel = {"registeredModel": self.one(self.succs(nid, EdgeKind.VERSION_OF),
                                               NodeKind.MODEL_GROUP),
                   "previousVersion": self.one(self.preds(nid, EdgeKind.PREVIOUS_VERSION),
                                               NodeKind.MODEL),
                   "sameAs": self.refs(self.succs(nid, EdgeKind.SAME_AS, NodeKind.MODEL)),
                   "sourceCommit": self.one(self.preds(nid, EdgeKind.TAGGED), NodeKind.COMMIT),
                   "artifact": self.one(self.preds(nid, EdgeKind.ARTIFACT), NodeKind.DATA)}
            assessment = self.version_assessment(nid)
            if assessment:
                bm["lineage_risk_assessment"] = self.risk_bm(assessment)
                # the documents its tier still needs, as high-risk-docs and transparency-notice
                # read them (lineage show: documents_missing); not for a version this store
                # only names (it does not know its documents)
                missing = (self.explain(nid) or {}).get("documents_missing") \
                    if not (self.g.is_placeholder(nid) or a.get("placeholder")) else None
                if missing:
                    bm["lineage_risk_assessment"]["documentsMissing"] = list(missing)
            if not (self.g.is_placeholder(nid) or a.get("placeholder")):
                # not for a version this store only knows by name (a job's fresh store that
                # records one approval or deployment of it): the approvals it knows are part
                # of the version's at most, and the store that harvested it gives the status
                bm["lineage_approval_status"] = self.approval_bm(nid)
            retraining = self.retraining_bm(nid)
            if retraining:
                bm["lineage_retraining"] = retraining
        elif kind == NodeKind.DEPLOYMENT:
            env = a.get("environment") or (rest.split(":", 2)[1] if rest.count(":") >= 1 else rest)
            models = [m for m in self.preds(nid, EdgeKind.DEPLOYED_AS, NodeKind.MODEL)
                      if self.rendered(m)]
            if not models and a.get("model") and self.rendered(a["model"]):
                models = [a["model"]]
            what = self.model_label(models[0]) if models else rest.split(":", 1)[0]
            # a deployment a correction supersedes stays (a fact: it was recorded), marked, and
            # carries no governance status: the audit no longer counts it as a deployment
            gone = " (superseded)" if nid in self.superseded else ""
            attrs = {"name": f"{what} in {env}{gone}", "environment": env,
                     "endpoint": a.get("endpoint"), "deployedAt": epoch_ms(a.get("deployed_at")),
                     "deployedBy": a.get("deployed_by"), "retiredAt": epoch_ms(a.get("retired_at")),
                     "deploymentSource": a.get("source"), "recordFile": a.get("record_file"),
                     "recordedAt": self.recorded_ms(nid)}
            rel = {"modelVersion": self.one(models, NodeKind.MODEL)}
            deployed = models[0] if models else None
            assessment = self.deployment_assessment(nid, deployed) if deployed else None
            if assessment and not gone:
                bm["lineage_risk_assessment"] = self.risk_bm(assessment)
            props = attrs["properties"] = dict(a.get("properties") or {})
            if not gone:
                bm["lineage_approval_status"] = self.deployment_approval_bm(nid, deployed)
                # live, retired or not deployed yet, as the audit takes it (a retirement dated
                # after it was recorded is a claim about the future: it stays live)
                facts = self.explain(deployed) if deployed else None
                state = next((d["state"] for d in (facts or {}).get("deployments", [])
                              if d["id"] == nid), None)
                if state:
                    props["auditState"] = state
            else:
                props["supersededBy"] = ",".join(self.superseded_by(nid))
            if models:
                step_id = nid + STEP_SUFFIX
                extra.append({
                    "node": nid,
                    "qualifiedName": qualified_name(step_id),
                    "entity": {"typeName": "lineage_deployment_step", "attributes": _compact({
                        "qualifiedName": qualified_name(step_id), "lineageId": step_id,
                        "name": f"deploy {what} to {env}{gone}", "environment": env,
                        "deployedAt": epoch_ms(a.get("deployed_at")),
                        "deployedBy": a.get("deployed_by"),
                        "inputs": self.refs(models), "outputs": [self.ref(nid)],
                    }), "relationshipAttributes": {}},
                    "classifications": [], "businessAttributes": {},
                })
        elif kind == NodeKind.APPROVAL:
            targets = self.succs(nid, EdgeKind.APPROVES)
            if a.get("model") and a["model"] not in targets:
                targets.append(a["model"])
            # a superseded approval stays (a fact) and stays linked: it says it no longer counts;
            # so does one its approver withdrew by a later rejection (as lineage show says)
            withdrawn_by = self.withdrawn_by(nid, targets)
            gone = " (superseded)" if nid in self.superseded else \
                " (withdrawn)" if withdrawn_by else ""
            attrs = {"name": f"{a.get('decision', 'approved')} by {a.get('approver')}{gone}",
                     "approver": a.get("approver"), "approverRole": a.get("role"),
                     "decision": a.get("decision", "approved"),
                     "decidedAt": epoch_ms(a.get("decided_at")),
                     "environment": a.get("environment"), "evidence": a.get("evidence"),
                     "recordFile": a.get("record_file"), "recordedAt": self.recorded_ms(nid)}
            if nid in self.superseded:
                attrs["properties"] = {**(a.get("properties") or {}),
                                       "supersededBy": ",".join(self.superseded_by(nid))}
            elif withdrawn_by:
                attrs["properties"] = {**(a.get("properties") or {}),
                                       "withdrawnBy": withdrawn_by}
            rel = {"approvedVersions": self.refs(targets, {NodeKind.MODEL}),
                   "approvedDeployments": self.refs(targets, {NodeKind.DEPLOYMENT})}
        else:  # pragma: no cover - guarded by rendered()
            return []
        entity: dict[str, Any] = {"typeName": ENTITY_TYPE[kind],
                  "attributes": _compact({**self.common(nid), **attrs}),
                  "relationshipAttributes": _compact(rel)}
        if not entity["attributes"].get("lineagePlaceholder"):
            # a fact a source withdrew (a GTO stage another version took, an MLflow alias that
            # moved, a status or tag removed) is in the node as an empty value: Atlas keeps an
            # attribute an update leaves out, so it is sent empty (null, [] or {}), which
            # clears it. A placeholder's empty values are only what this store does not know
            for attr, key in CLEARABLE.get(kind, {}).items():
                if key in a and a[key] in (None, [], {}) and attr not in entity["attributes"]:
                    entity["attributes"][attr] = a[key]
        if kind in (NodeKind.RUN, NodeKind.MODEL, NodeKind.APPROVAL, NodeKind.DEPLOYMENT) and \
                not entity["attributes"].get("lineagePlaceholder"):
            # a NaN metric is a metric:<key> property (_non_finite), an approval's withdrawal
            # (withdrawnBy) can be undone, a deployment's state changes: the map always goes,
            # so one that no longer holds (a finite value logged since, the rejection
            # corrected) is cleared
            entity["attributes"].setdefault("properties", {})
        if kind == NodeKind.REPOSITORY:
            # Atlas keeps an attribute an update leaves out: null clears the checkout path
            # that versions before sent
            entity["attributes"]["path"] = None
            # branch heads (properties branch:<name>) are the clone's moving state: they
            # differ per clone (a CI checkout has no local branch) and move with every
            # commit, so two clones would rewrite the entity in turn; not sent, and the map
            # always goes ({} clears the heads a push sent before)
            entity["attributes"]["properties"] = {
                k: v for k, v in (a.get("properties") or {}).items()
                if not str(k).startswith("branch:")}
        elif kind == NodeKind.COMMIT and not entity["attributes"].get("lineagePlaceholder"):
            # tags only: branches move (the commit a branch left would keep it: an update
            # that leaves an attribute out keeps it) and differ per clone (a CI checkout has
            # remote-tracking refs, no local branch); always sent, [] clears (not for a
            # commit only named by a run: this store does not know its tags)
            entity["attributes"]["refs"] = sorted(
                r for r in a.get("refs") or [] if str(r).startswith("refs/tags/"))
        if kind in (NodeKind.MODEL_GROUP, NodeKind.MODEL) and \
                not entity["attributes"].get("lineagePlaceholder"):
            # the pins always go: Atlas keeps an attribute an update leaves out, so {} clears
            # the pin or link of a document a correction superseded (or of a repository that
            # no longer has one web page)
            for key in ("documentCommits", "documentLinks"):
                entity["attributes"].setdefault(key, {})
        for key, edge, record in (("documents", EdgeKind.DOCUMENTS, NodeKind.DOCUMENT),
                                  ("alerts", EdgeKind.ALERTS, NodeKind.ALERT)):
            if attrs.get(key) == {} and self.withdrawn_records(nid, edge, record):
                # Atlas keeps an attribute an update leaves out: the empty map clears the
                # entry of a record a correction superseded (other payloads stay as they were)
                entity["attributes"][key] = {}
        item = {"node": nid, "qualifiedName": qualified_name(nid), "entity": entity,
                "classifications": classifications, "businessAttributes": bm}
        return [item, *extra]


def render_graph(graph: LineageGraph, now: datetime | None = None,
                 audit: AuditContext | None = None) -> list[dict[str, Any]]:
    """Every Atlas entity the graph maps to, sorted by qualifiedName (deterministic for a
    given ``now``, default the current time: the tier in force is that of the assessment in
    force then).

    The governance state (tier, approval status, retraining, what a correction superseded)
    is what ``audit`` reads (:meth:`lineage.audit.engine.AuditContext.explain`, as ``lineage
    show`` and ``lineage audit`` read it); default: the audit's context over ``graph`` with
    the built-in policy (:func:`audit_context`). When a store wrote each governance record
    (its index knows) goes as ``recordedAt``."""
    r = _Renderer(graph, now, audit)
    items: list[dict[str, Any]] = []
    for nid in graph.node_ids():
        if r.rendered(nid):
            items.extend(r.render_node(nid))
    items.sort(key=lambda i: i["qualifiedName"])
    return items


def references(entity: dict[str, Any]) -> list[str]:
    """qualifiedNames an entity payload refers to (attributes and relationship attributes)."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict) and "uniqueAttributes" in v and "typeName" in v:
            out.append(v["uniqueAttributes"]["qualifiedName"])

    for section in ("attributes", "relationshipAttributes"):
        for v in (entity.get(section) or {}).values():
            walk(v)
    return out


__all__ = ["ENTITY_TYPE", "QN_SUFFIX", "TIER_CLASSIFICATION", "audit_context", "epoch_ms",
           "qualified_name", "references", "render_graph"]
