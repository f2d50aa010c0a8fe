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

from lineage.audit.rules import person, same_person
from lineage.classes import equivalence_classes
from lineage.ids import normalize_repo_url
from lineage.model import EdgeKind, NodeKind

if TYPE_CHECKING:
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
# records a correction can supersede (``properties.supersedes``), as the audit reads them
SUPERSEDABLE = (NodeKind.DEPLOYMENT, NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT,
                NodeKind.RETRAINING, NodeKind.ALERT, NodeKind.DOCUMENT)
UNAPPROVED = {"status": "unapproved", "approvalCount": 0}
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
# the audit's order of tiers (lineage.audit.engine.TIER_ORDER): the stricter wins a tie
TIER_RANK = {"minimal": 1, "limited": 2, "high": 3, "unacceptable": 4}
# one approver's decisions at the same instant: the stricter last (lineage.audit.rules)
DECISION_RANK = {"approved": 0, "conditional": 1}
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


def _group_name(ref: str) -> str:
    """``model:churn@v1`` / ``churn@v1`` / ``model_group:churn`` / ``churn`` → ``churn``."""
    name = ref.split(":", 1)[1] if ref.startswith(("model:", "model_group:")) else ref
    return name.rsplit("@", 1)[0] if ref.startswith("model:") or "@" in name else name


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
    def __init__(self, graph: LineageGraph, now: datetime | None = None) -> None:
        self.g = graph
        self.now_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
        # records that name their subject by attribute only (no edge), indexed once
        self.assessments_of: dict[str, list[str]] = {}
        for n in graph.nodes(NodeKind.RISK_ASSESSMENT):
            if n.attrs.get("model_group") and n.attrs.get("tier"):
                self.assessments_of.setdefault(n.attrs["model_group"], []).append(n.id)
        self._latest: dict[str, str | None] = {}
        self.retrainings_of: dict[str, list[str]] = {}
        for n in graph.nodes(NodeKind.RETRAINING):
            if n.attrs.get("new_model"):
                self.retrainings_of.setdefault(n.attrs["new_model"], []).append(n.id)
        self._group_classes()
        # a record a correction supersedes sets no tier, approval status, retraining, alert or
        # document (the audit no longer counts it); its own entity, if it has one, stays. A
        # record about another AI system corrects nothing here (as the audit reads it)
        self.superseded: set[str] = set()
        self.superseded_by: dict[str, list[str]] = {}
        for kind in SUPERSEDABLE:
            for n in graph.nodes(kind):
                props = n.attrs.get("properties")
                refs = props.get("supersedes") if isinstance(props, dict) else None
                for ref in (refs if isinstance(refs, list) else str(refs or "").split(",")):
                    ref = str(ref).strip()
                    target = ref if ref.startswith(f"{kind}:") else f"{kind}:{ref}"
                    if not ref or target == n.id:
                        continue
                    mine, theirs = self.record_groups(n.id), self.record_groups(target)
                    if mine and theirs and not mine & theirs:
                        continue
                    self.superseded.add(target)
                    self.superseded_by.setdefault(target, []).append(n.id)

    def _group_classes(self) -> None:
        """AI systems as the audit forms them: the registered models of versions joined by
        ``same_as`` (GTO and MLflow spellings of one version) are one system, with one tier."""
        # versions joined by same_as are one version (GTO churn@v1.1.0 and MLflow churn/3)
        same = [(m.id, other) for m in self.g.nodes(NodeKind.MODEL)
                for other in self.succs(m.id, EdgeKind.SAME_AS, NodeKind.MODEL)]
        self.spellings: dict[str, list[str]] = {
            m_id: ms for ms in equivalence_classes((), same).values() for m_id in ms}
        named = [[m.id, *self.version_groups(m.id),
                  *self.succs(m.id, EdgeKind.SAME_AS, NodeKind.MODEL)]
                 for m in self.g.nodes(NodeKind.MODEL)]
        classes = equivalence_classes(
            [g.id for g in self.g.nodes(NodeKind.MODEL_GROUP)],
            ((ids[0], x) for ids in named for x in ids[1:]))
        self.group_class: dict[str, str] = {}
        self.class_members: dict[str, list[str]] = {}
        for ms in classes.values():
            groups = [x for x in ms if x.startswith("model_group:")]
            if groups:  # (sorted: the first is the smallest)
                self.class_members[groups[0]] = groups
                for group in groups:
                    self.group_class[group] = groups[0]

    def version_groups(self, model_id: str) -> list[str]:
        """The registered models a version names (edge, else its ``group`` attribute)."""
        groups = self.succs(model_id, EdgeKind.VERSION_OF, NodeKind.MODEL_GROUP)
        if groups:
            return sorted(groups)
        name = self.g.attrs(model_id).get("group") if model_id in self.g else None
        return [f"model_group:{name}"] if name else []

    def record_groups(self, record: str) -> set[str]:
        """The AI systems a record names (by its version or model-group attributes); empty
        when it names none."""
        a = self.g.attrs(record) if record in self.g else {}
        out = set()
        for key in ("model", "previous_model", "new_model", "model_group"):
            v = a.get(key)
            if not isinstance(v, str) or not v:
                continue
            gs = self.version_groups(v) if v.startswith("model:") else []
            g = gs[0] if gs else f"model_group:{_group_name(v)}"
            out.add(self.group_class.get(g, g))
        return out

    # -- helpers ------------------------------------------------------------------------------
    def rendered(self, nid: str) -> bool:
        if nid not in self.g:
            return False
        kind = self.g.kind(nid)
        if kind not in ENTITY_TYPE:
            return False
        # an approval nobody described has no decision: nothing truthful to send
        return not (kind == NodeKind.APPROVAL and self.g.is_placeholder(nid))

    def ref(self, nid: str) -> dict[str, Any]:
        return {"typeName": ENTITY_TYPE[self.g.kind(nid)],
                "uniqueAttributes": {"qualifiedName": qualified_name(nid)}}

    def refs(self, ids: list[str] | set[str], kinds: set[NodeKind] | None = None
             ) -> list[dict[str, Any]]:
        keep = sorted(i for i in set(ids)
                      if self.rendered(i) and (kinds is None or self.g.kind(i) in kinds))
        return [self.ref(i) for i in keep]

    def one(self, ids: list[str], kind: NodeKind) -> dict[str, Any] | None:
        keep = sorted(i for i in ids if self.rendered(i) and self.g.kind(i) == kind)
        return self.ref(keep[0]) if keep else None

    def preds(self, nid: str, edge: EdgeKind, kind: NodeKind | None = None) -> list[str]:
        return self.g.predecessors(nid, edge, kind)

    def succs(self, nid: str, edge: EdgeKind, kind: NodeKind | None = None) -> list[str]:
        return self.g.successors(nid, edge, kind)

    def common(self, nid: str) -> dict[str, Any]:
        a = self.g.attrs(nid)
        return {"qualifiedName": qualified_name(nid), "lineageId": nid,
                "lineagePlaceholder": True if self.g.is_placeholder(nid) or a.get("placeholder")
                else None,
                "properties": dict(a.get("properties") or {})}

    def model_label(self, model_id: str) -> str:
        a = self.g.attrs(model_id) if model_id in self.g else {}
        if a.get("group") and a.get("version"):
            return f"{a['group']}@{a['version']}"
        return model_id.removeprefix("model:")

    # -- governance lookups --------------------------------------------------------------------
    def latest_assessment(self, group_id: str) -> str | None:
        if group_id not in self._latest:
            self._latest[group_id] = self._latest_assessment(group_id)
        return self._latest[group_id]

    def _latest_assessment(self, group_id: str) -> str | None:
        # every registered model of the AI system: an assessment of one sets the tier of all
        members = self.class_members.get(self.group_class.get(group_id, group_id), [group_id])
        ids: list[str] = []
        for g in members:
            ids += [i for i in self.preds(g, EdgeKind.ASSESSES, NodeKind.RISK_ASSESSMENT)
                    if self.g.attrs(i).get("tier") and i not in ids]
            ids += [i for i in self.assessments_of.get(g, []) if i not in ids]
        # an assessment dated after now has not been made yet (as the audit reads it): a
        # "minimal" filed ahead must not lift today's tier
        ids = [i for i in ids if i not in self.superseded
               and (epoch_ms(self.g.attrs(i).get("assessed_at")) or 0) <= self.now_ms]
        if not ids:
            return None
        return max(ids, key=self._assessed_key)

    def _assessed_key(self, assessment: str) -> tuple[int, int, str]:
        """Latest last, as the audit orders them: at the same instant the stricter tier (a
        same-day "minimal" does not lift a "high" by the name of its id)."""
        a = self.g.attrs(assessment)
        at = epoch_ms(a.get("assessed_at"))
        return (at if at is not None else -(2**63), TIER_RANK.get(str(a.get("tier")), 0),
                assessment)

    def risk_bm(self, assessment: str) -> dict[str, Any]:
        a = self.g.attrs(assessment)
        return _compact({
            "tier": a.get("tier"), "annexIIIArea": a.get("annex_iii_area"),
            "intendedPurpose": a.get("intended_purpose"), "rationale": a.get("rationale"),
            "assessor": a.get("assessor"), "assessedAt": epoch_ms(a.get("assessed_at")),
            "nextReview": epoch_ms(a.get("next_review")), "assessmentId": assessment,
        })

    def group_of(self, model_id: str) -> str | None:
        groups = self.succs(model_id, EdgeKind.VERSION_OF, NodeKind.MODEL_GROUP)
        if groups:
            return groups[0]
        name = self.g.attrs(model_id).get("group")
        return f"model_group:{name}" if name and f"model_group:{name}" in self.g else None

    def deployment_approvals(self, deployment: str, models: list[str]) -> list[str]:
        """The approvals that speak for a deployment, as the audit reads them: those naming
        it, and those of its version for its environment (or for every environment) decided
        no later than it was deployed (a later decision does not make it approved)."""
        a = self.g.attrs(deployment)
        env, deployed = a.get("environment"), epoch_ms(a.get("deployed_at"))
        if deployed is not None:
            # a deployment dated ahead already runs (it was recorded): approvals dated after
            # now do not make it approved (a claim about the future is no evidence)
            deployed = min(deployed, self.now_ms)
        # the version under any registry's spelling (same_as), as the audit reads it
        spellings = sorted({s for m in models for s in self.spellings.get(m, [m])})
        # one naming the deployment but approving another version or environment does not
        # approve it (as the audit reads it)
        named = [ap for ap in self.preds(deployment, EdgeKind.APPROVES, NodeKind.APPROVAL)
                 if self.g.attrs(ap).get("environment") in (None, env)
                 and (not spellings or not isinstance(self.g.attrs(ap).get("model"), str)
                      or self.g.attrs(ap)["model"] in spellings)]
        of_versions = [ap for m in spellings for ap in self.preds(m, EdgeKind.APPROVES,
                                                                   NodeKind.APPROVAL)
                       if self.g.attrs(ap).get("environment") in (None, env)]
        out = set()
        for ap in [*named, *of_versions]:
            decided = epoch_ms(self.g.attrs(ap).get("decided_at"))
            if deployed is not None and (decided is None or decided > deployed):
                continue
            out.add(ap)
        return sorted(out)

    def approval_bm(self, target: str, approvals: list[str] | None = None) -> dict[str, Any]:
        """``approvals``: those that speak for a deployment (:meth:`deployment_approvals`),
        all for its one environment; else the version's, for any environment."""
        given = self.preds(target, EdgeKind.APPROVES, NodeKind.APPROVAL) if approvals is None \
            else approvals
        ids = [i for i in given if self.rendered(i) and i not in self.superseded]
        if not ids:
            return dict(UNAPPROVED)
        ids.sort(key=lambda i: (self._decided_key(i), i))
        recs = [self.g.attrs(i) for i in ids]
        last = recs[-1]
        return _compact({
            "status": last.get("decision", "approved"),
            "approvers": sorted({r["approver"] for r in recs if r.get("approver")}),
            "approverRoles": sorted({r["role"] for r in recs if r.get("role")}),
            "approvalCount": sum(1 for i, r in zip(ids, recs, strict=True)
                                 if r.get("decision", "approved") == "approved"
                                 and (epoch_ms(r.get("decided_at")) or 0) <= self.now_ms
                                 and not self.withdrawn(i, ids,
                                                        one_env=approvals is not None)),
            "lastDecisionAt": epoch_ms(last.get("decided_at")),
            "environments": sorted({r["environment"] for r in recs if r.get("environment")}),
            "approvalIds": ids,
            "evidence": sorted({r["evidence"] for r in recs if r.get("evidence")}),
        })

    def _decided_key(self, approval: str) -> tuple[int, int]:
        """When it was decided (undated first); at the same instant a rejection after an
        approval, as the audit orders one approver's decisions."""
        a = self.g.attrs(approval)
        at = epoch_ms(a.get("decided_at"))
        return (at if at is not None else -(2**63),
                DECISION_RANK.get(str(a.get("decision", "approved")), 2))

    def withdrawn(self, approval: str, among: list[str], *, one_env: bool = False) -> bool:
        """A rejection by the same person (however spelled: ``rita@example.com``, ``Rita
        <rita@example.com>``), decided at or after the approval, withdraws it, as the audit
        reads it. ``one_env``: ``among`` all apply to one environment (a deployment's), so a
        rejection for it withdraws an approval for every environment too; else the rejection
        must be for the approval's environment, or for every environment."""
        a = self.g.attrs(approval)
        me = person(str(a.get("approver") or ""))
        when = self._decided_key(approval)
        for other in among:
            b = self.g.attrs(other)
            if other == approval or b.get("decision", "approved") in ("approved", "conditional"):
                continue
            them = person(str(b.get("approver") or ""))
            if me is None or them is None or not same_person(me, them):
                continue
            if not one_env and b.get("environment") not in (None, a.get("environment")):
                continue
            if epoch_ms(b.get("decided_at")) is None or epoch_ms(a.get("decided_at")) is None \
                    or self._decided_key(other) >= when:
                return True
        return False

    def retraining_bm(self, model_id: str) -> dict[str, Any] | None:
        ids = set(self.preds(model_id, EdgeKind.RETRAINS, NodeKind.RETRAINING))
        ids |= set(self.retrainings_of.get(model_id, []))
        ids -= self.superseded
        if not ids:
            return None
        rid = max(ids, key=lambda i: (str(self.g.attrs(i).get("at") or ""), i))
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
        })

    def documents(self, nid: str) -> dict[str, str]:
        out = {}
        for d in self.preds(nid, EdgeKind.DOCUMENTS, NodeKind.DOCUMENT):
            if d in self.superseded:
                continue
            a = self.g.attrs(d)
            if a.get("uri"):
                out[f"{a.get('doc_kind', 'other')}:{d.removeprefix('document:')}"] = a["uri"]
        return out

    def withdrawn_records(self, nid: str, edge: EdgeKind, kind: NodeKind) -> bool:
        """Whether a record of this kind named the node but a correction superseded it."""
        return any(r in self.superseded for r in self.preds(nid, edge, kind))

    def alerts(self, nid: str) -> dict[str, str]:
        out = {}
        for al in self.preds(nid, EdgeKind.ALERTS, NodeKind.ALERT):
            if al in self.superseded:
                continue
            a = self.g.attrs(al)
            parts = [f"{k}={a[k]}" for k in ("metric", "value", "threshold", "status", "at")
                     if a.get(k) is not None]
            out[al.removeprefix("alert:")] = " ".join(parts)
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
            inputs = self.preds(nid, EdgeKind.INPUT) + self.preds(nid, EdgeKind.CODE)
            outputs = self.succs(nid, EdgeKind.OUTPUT) + self.succs(nid, EdgeKind.PRODUCED)
            pins = {qualified_name(e.source): str(e.attrs["pin"])
                    for e in self.g.in_edges(nid, EdgeKind.INPUT)
                    if e.attrs.get("pin") and self.rendered(e.source)}
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
            rel = {"upstreamRuns": self.refs(self.preds(nid, EdgeKind.UPSTREAM_RUN, NodeKind.RUN))}
        elif kind == NodeKind.MODEL_GROUP:
            attrs = {"name": a.get("name") or rest, "description": a.get("description"),
                     "owner": a.get("owner"), "registry": a.get("registry"),
                     "intendedPurpose": a.get("intended_purpose"), "artifactPath": a.get("path"),
                     "modelType": a.get("type"), "modelLabels": a.get("labels"),
                     "registryTags": a.get("tags"), "documents": self.documents(nid)}
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
            if odd := _non_finite(a.get("metrics")):
                attrs["properties"] = {**(a.get("properties") or {}), **odd}
            rel = {"registeredModel": self.one(self.succs(nid, EdgeKind.VERSION_OF),
                                               NodeKind.MODEL_GROUP),
                   "previousVersion": self.one(self.preds(nid, EdgeKind.PREVIOUS_VERSION),
                                               NodeKind.MODEL),
                   "sameAs": self.refs(self.succs(nid, EdgeKind.SAME_AS, NodeKind.MODEL)),
                   "sourceCommit": self.one(self.preds(nid, EdgeKind.TAGGED), NodeKind.COMMIT),
                   "artifact": self.one(self.preds(nid, EdgeKind.ARTIFACT), NodeKind.DATA)}
            grp = self.group_of(nid)
            assessment = self.latest_assessment(grp) if grp else None
            if assessment:
                bm["lineage_risk_assessment"] = self.risk_bm(assessment)
            status = self.approval_bm(nid)
            if status != UNAPPROVED or not (self.g.is_placeholder(nid) or a.get("placeholder")):
                # a version this store only knows by name: "unapproved" is only what it does
                # not know (the store that harvested it says)
                bm["lineage_approval_status"] = status
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
                     "deploymentSource": a.get("source"), "recordFile": a.get("record_file")}
            rel = {"modelVersion": self.one(models, NodeKind.MODEL)}
            groups = {g for m in models if (g := self.group_of(m))}
            assessment = self.latest_assessment(sorted(groups)[0]) if groups else None
            if assessment and not gone:
                bm["lineage_risk_assessment"] = self.risk_bm(assessment)
            if not gone:
                bm["lineage_approval_status"] = self.approval_bm(
                    nid, self.deployment_approvals(nid, models))
            else:
                props = attrs["properties"] = dict(a.get("properties") or {})
                props["supersededBy"] = ",".join(sorted(self.superseded_by[nid]))
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
            # a superseded approval stays (a fact) and stays linked: it says it no longer counts
            gone = " (superseded)" if nid in self.superseded else ""
            attrs = {"name": f"{a.get('decision', 'approved')} by {a.get('approver')}{gone}",
                     "approver": a.get("approver"), "approverRole": a.get("role"),
                     "decision": a.get("decision", "approved"),
                     "decidedAt": epoch_ms(a.get("decided_at")),
                     "environment": a.get("environment"), "evidence": a.get("evidence"),
                     "recordFile": a.get("record_file")}
            if gone:
                attrs["properties"] = {**(a.get("properties") or {}), "supersededBy": ",".join(
                    sorted(self.superseded_by[nid]))}
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
        if kind in (NodeKind.RUN, NodeKind.MODEL) and \
                not entity["attributes"].get("lineagePlaceholder"):
            # a NaN metric is a metric:<key> property (_non_finite): the map always goes, so
            # one the value left (a finite value logged since) is cleared
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
        for key, edge, record in (("documents", EdgeKind.DOCUMENTS, NodeKind.DOCUMENT),
                                  ("alerts", EdgeKind.ALERTS, NodeKind.ALERT)):
            if attrs.get(key) == {} and self.withdrawn_records(nid, edge, record):
                # Atlas keeps an attribute an update leaves out: the empty map clears the
                # entry of a record a correction superseded (other payloads stay as they were)
                entity["attributes"][key] = {}
        item = {"node": nid, "qualifiedName": qualified_name(nid), "entity": entity,
                "classifications": classifications, "businessAttributes": bm}
        return [item, *extra]


def render_graph(graph: LineageGraph, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every Atlas entity the graph maps to, sorted by qualifiedName (deterministic for a
    given ``now``, default the current time: the tier in force is that of the latest risk
    assessment dated no later than it)."""
    r = _Renderer(graph, now)
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


__all__ = ["ENTITY_TYPE", "QN_SUFFIX", "TIER_CLASSIFICATION", "epoch_ms", "qualified_name",
           "references", "render_graph"]
