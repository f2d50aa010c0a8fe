"""Read a lineage graph back out of DataHub: the inverse of the DataHub rendering.

``lineage audit --source datahub-lite`` / ``--source datahub-rest`` audits what a catalog holds
rather than the local store, so a team can check the DataHub that auditors look at. The graph
is rebuilt from entities and aspects with DataHub's own conventions, so entities that other
tools wrote (DataHub's MLflow source: ``mlModelGroup (mlflow,<name>)``, ``mlModel
(mlflow,<name>_<version>)``, runs as ``dataProcessInstance``) are read as well as ours:

==========================================  =============================================
DataHub                                     lineage graph
==========================================  =============================================
mlModelGroup                                model_group
mlModel (+ versionProperties, sourceCode)   model (version, aliases, commit), version_of
dataProcessInstance                         run; inputEdges → INPUT (``dvc_md5`` → strong
                                            pin), outputEdges → PRODUCED / OUTPUT,
                                            commit → CODE, upstreamInstances → UPSTREAM_RUN
mlModelProperties.trainingJobs              PRODUCED (run → model)
dataset                                     data (per content hash named on the edges)
dataJob                                     stage (dataJobInputOutput → INPUT / OUTPUT)
mlModelDeployment, dataJob "Model Deploy…"  deployment (DEPLOYED_AS from the version)
structured properties (risk tier …)         risk_assessment → ASSESSES the group
structured properties (approvals)           approval → APPROVES the version
incident (on mlModel)                       alert → ALERTS the version
institutionalMemory                         document → DOCUMENTS
==========================================  =============================================

Where an entity carries our own ``customProperties`` (``lineage_id`` and the node's
attributes), those win; the DataHub-convention derivation is the fallback for entities other
tools wrote. The reader never raises on an entity it does not understand: it skips it.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage import ids
from lineage.errors import ConfigError, SinkError
from lineage.graph import LineageGraph
from lineage.model import ATTRS_MODELS, Edge, EdgeKind, Node, NodeKind, compact

if TYPE_CHECKING:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from lineage.config import Config

ID_KEYS = ("lineage_id", "lineage.id", "lineage_node_id")
ATTRS_KEYS = ("lineage_attrs", "lineage.attrs")
DEFAULT_LITE_FILE = "datahub.lite.db"
# entity types the reader asks GMS for
ENTITY_TYPES = ("mlModelGroup", "mlModel", "dataProcessInstance", "dataset", "dataJob",
                "mlModelDeployment", "incident")
TIER_WORDS = ("unacceptable", "high", "limited", "minimal")
SHA_RE = re.compile(r"\b[0-9a-f]{40}\b")
DOC_KINDS = {
    "model card": "model_card", "model_card": "model_card", "datasheet": "datasheet",
    "bias": "bias_report", "evaluation": "evaluation", "transparency": "transparency_notice",
    "data governance": "data_governance", "data_governance": "data_governance",
}


# -- small helpers -------------------------------------------------------------------------------
def _ms_to_iso(ms: Any) -> str | None:
    if not isinstance(ms, int | float) or ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def _urn_parts(urn: str) -> list[str]:
    """Parts of a tuple urn ``urn:li:x:(a,b,c)`` (nested urns kept whole)."""
    from datahub.utilities.urns.urn import Urn

    try:
        return list(Urn.from_string(urn).entity_ids)
    except Exception:
        return []


def _platform(urn: str) -> str | None:
    parts = _urn_parts(urn)
    if parts and parts[0].startswith("urn:li:dataPlatform:"):
        return parts[0].removeprefix("urn:li:dataPlatform:")
    return None


def _name_in(urn: str) -> str:
    parts = _urn_parts(urn)
    if len(parts) >= 2:
        return parts[1]
    return parts[0] if parts else urn.rsplit(":", 1)[-1]


def _props(aspect: Any) -> dict[str, str]:
    return dict(getattr(aspect, "customProperties", None) or {})


def _sha_from(text: str | None) -> str | None:
    if not text:
        return None
    m = SHA_RE.search(text.lower())
    return m.group(0) if m else None


class _Reader:
    """Collects aspects by urn, then turns entities into nodes and edges."""

    def __init__(self) -> None:
        self.aspects: dict[str, dict[str, Any]] = defaultdict(dict)
        self.types: dict[str, str] = {}
        self.node_of: dict[str, str] = {}  # urn -> node id
        self.g = LineageGraph()
        self.skipped: list[str] = []
        self._pending_upstream: list[tuple[str, str]] = []

    def add(self, mcp: MetadataChangeProposalWrapper) -> None:
        if mcp.aspect is None or not mcp.entityUrn:
            return
        self.aspects[mcp.entityUrn][mcp.aspectName or mcp.aspect.get_aspect_name()] = mcp.aspect
        self.types[mcp.entityUrn] = mcp.entityType

    def urns(self, entity_type: str) -> list[str]:
        return sorted(u for u, t in self.types.items() if t == entity_type)

    def a(self, urn: str, name: str) -> Any:
        return self.aspects.get(urn, {}).get(name)

    # our own custom properties ----------------------------------------------------------
    def own(self, urn: str) -> tuple[str | None, dict[str, Any]]:
        """(lineage node id, attrs) from our customProperties on any aspect of ``urn``."""
        nid: str | None = None
        attrs: dict[str, Any] = {}
        for aspect in self.aspects.get(urn, {}).values():
            props = _props(aspect)
            for k in ID_KEYS:
                if props.get(k):
                    nid = nid or props[k]
            for k in ATTRS_KEYS:
                if props.get(k):
                    try:
                        attrs.update(json.loads(props[k]))
                    except ValueError:
                        pass
        return nid, attrs

    def node(self, kind: NodeKind, nid: str, attrs: dict[str, Any], urn: str | None = None
             ) -> str:
        """Add a node, keeping only attributes its kind allows (validated, never raising)."""
        model = ATTRS_MODELS[kind]
        allowed = set(model.model_fields)
        clean = {k: v for k, v in compact(attrs).items() if k in allowed}
        try:
            node = Node.make(kind, nid, **clean)
        except Exception:
            self.skipped.append(f"{urn or nid}: attributes do not fit a {kind.value} node")
            node = Node.trusted(kind, nid, {k: v for k, v in clean.items()
                                            if isinstance(v, str | int | float | bool)})
        self.g.add_node(node)
        if urn:
            self.node_of[urn] = nid
        return nid

    def edge(self, kind: EdgeKind, source: str, target: str, **attrs: Any) -> None:
        self.g.add_edge(Edge.make(kind, source, target, **attrs))

    # -- entities -----------------------------------------------------------------------------
    def build(self) -> LineageGraph:
        for urn in self.urns("mlModelGroup"):
            self.model_group(urn)
        for urn in self.urns("dataset"):
            self.dataset(urn)
        for urn in self.urns("mlModel"):
            self.model(urn)
        for urn in self.urns("mlModelDeployment"):
            self.deployment(urn)
        for urn in self.urns("dataJob"):
            self.data_job(urn)
        for urn in self.urns("dataProcessInstance"):
            self.run(urn)
        for up, rid in self._pending_upstream:
            if up in self.node_of:
                self.edge(EdgeKind.UPSTREAM_RUN, self.node_of[up], rid)
        for urn in self.urns("mlModel"):
            self.model_links(urn)
        for urn in self.urns("incident"):
            self.incident(urn)
        for urn in self.urns("mlModelGroup") + self.urns("mlModel"):
            self.governance(urn)
        return self.g

    def group_name(self, urn: str) -> str:
        props = self.a(urn, "mlModelGroupProperties")
        return (getattr(props, "name", None) or _name_in(urn)).strip()

    def model_group(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "mlModelGroupProperties")
        name = self.group_name(urn)
        base = {"name": name, "registry": _platform(urn),
                "description": getattr(props, "description", None)}
        owner = self.owner(urn)
        if owner:
            base["owner"] = owner
        self.node(NodeKind.MODEL_GROUP, nid or ids.model_group_id(name), {**base, **attrs}, urn)

    def owner(self, urn: str) -> str | None:
        own = self.a(urn, "ownership")
        for o in getattr(own, "owners", None) or []:
            t = str(getattr(o, "type", ""))
            if "APPROVER" in t.upper() or "approver" in str(getattr(o, "typeUrn", "")):
                continue
            return o.owner.rsplit(":", 1)[-1]
        return None

    def dataset(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        if not nid:
            return  # datasets become data nodes per content hash, on the edges that name one
        props = self.a(urn, "datasetProperties")
        self.node(NodeKind.DATA, nid, {"path": _name_in(urn), **_data_props(_props(props)),
                                       **attrs}, urn)

    def data_for(self, dataset_urn: str, edge_props: dict[str, str]) -> str:
        """The data node a run/stage edge names: the dataset at the edge's content hash."""
        own_id, own_attrs = self.own(dataset_urn)
        ds_props = _props(self.a(dataset_urn, "datasetProperties"))
        md5 = edge_props.get("dvc_md5") or edge_props.get("md5") or edge_props.get("hash")
        if md5 and not md5.startswith("md5:"):
            md5 = f"md5:{md5}"
        path = own_attrs.get("path") or ds_props.get("path") or _name_in(dataset_urn)
        repo = edge_props.get("repository") or own_attrs.get("repository") \
            or ds_props.get("repository")
        if edge_props.get("lineage_id"):
            nid = edge_props["lineage_id"]
        elif own_id and (not md5 or own_attrs.get("hash") == md5):
            nid = own_id
        else:
            nid = ids.data_id(repo or _platform(dataset_urn) or "datahub", path, md5)
        if nid not in self.g or self.g.is_placeholder(nid):
            attrs = {"path": path, "repository": repo, "hash": md5,
                     "hash_kind": "md5" if md5 else None}
            if nid == own_id:
                attrs.update(own_attrs)
            self.node(NodeKind.DATA, nid, attrs)
        return nid

    def model(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "mlModelProperties")
        vprops = self.a(urn, "versionProperties")
        name = _name_in(urn)
        groups = list(getattr(props, "groups", None) or [])
        group = None
        if groups:
            group = self.group_name(groups[0]) if groups[0] in self.types \
                else _name_in(groups[0])
        version = None
        if vprops is not None and getattr(vprops.version, "versionTag", None):
            version = vprops.version.versionTag
        elif props is not None and getattr(getattr(props, "version", None), "versionTag", None):
            version = props.version.versionTag
        if group and version is None and name.startswith(group + "_"):
            version = name[len(group) + 1:]
        if group is None:
            group, _, v = name.rpartition("_")
            group, version = (group, version or v) if group else (name, version or "unknown")
        aliases = [a.versionTag for a in (getattr(vprops, "aliases", None) or [])
                   if getattr(a, "versionTag", None)]
        cp = _props(props)
        commit = cp.get("git_commit") or cp.get("commit")
        src = self.a(urn, "sourceCode")
        for s in getattr(src, "sourceCode", None) or []:
            commit = commit or _sha_from(s.sourceCodeUrl)
        base: dict[str, Any] = {
            "group": group, "version": str(version), "registry": _platform(urn),
            "aliases": aliases, "commit": commit,
            "description": getattr(props, "description", None),
            "created_at": _ms_to_iso(getattr(getattr(props, "created", None), "time", None)),
            "metrics": {m.name: float(m.value) for m in
                        (getattr(props, "trainingMetrics", None) or [])
                        if _is_number(m.value)},
        }
        if cp.get("artifact_hash"):
            base["artifact_hash"] = cp["artifact_hash"]
        mid = nid or ids.model_id(group, str(version))
        self.node(NodeKind.MODEL, mid, {**base, **attrs}, urn)
        gid = next((self.node_of[g] for g in groups if g in self.node_of), None)
        if gid is None:
            gid = ids.model_group_id(group)
            if gid not in self.g:
                self.node(NodeKind.MODEL_GROUP, gid, {"name": group,
                                                      "registry": _platform(urn)})
        self.edge(EdgeKind.VERSION_OF, mid, gid)
        if commit:
            self.commit(commit)
            self.edge(EdgeKind.TAGGED, ids.commit_id(commit), mid)

    def commit(self, sha: str, repository: str | None = None) -> str:
        cid = ids.commit_id(sha)
        if cid not in self.g or self.g.is_placeholder(cid):
            self.node(NodeKind.COMMIT, cid, {"sha": sha.lower(), "repository": repository})
        return cid

    def deployment(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "mlModelDeploymentProperties")
        cp = _props(props)
        env = cp.get("environment") or _name_in(urn)
        at = cp.get("deployed_at") or _ms_to_iso(getattr(props, "createdAt", None))
        model = cp.get("model") or ""
        base = {"model": model, "environment": env, "deployed_at": at,
                "deployed_by": cp.get("deployed_by"), "endpoint": cp.get("endpoint"),
                "retired_at": cp.get("retired_at"), "source": cp.get("source")}
        did = nid or ids.deployment_id(model.removeprefix("model:").split("@")[0] or
                                       _name_in(urn), env, at or "unknown")
        self.node(NodeKind.DEPLOYMENT, did, {**base, **attrs}, urn)

    def data_job(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        info = self.a(urn, "dataJobInfo")
        sub = self.a(urn, "subTypes")
        types = [t.lower() for t in (getattr(sub, "typeNames", None) or [])]
        cp = _props(info)
        if any("deployment" in t for t in types) or (nid or "").startswith("deployment:"):
            env = cp.get("environment") or getattr(info, "name", None) or _name_in(urn)
            at = cp.get("deployed_at")
            model = cp.get("model") or ""
            did = nid or ids.deployment_id(model.removeprefix("model:").split("@")[0] or "model",
                                           env, at or "unknown")
            self.node(NodeKind.DEPLOYMENT, did, {
                "model": model, "environment": env, "deployed_at": at,
                "deployed_by": cp.get("deployed_by"), "endpoint": cp.get("endpoint"), **attrs,
            }, urn)
            return
        name = getattr(info, "name", None) or _name_in(urn)
        ver = self.a(urn, "versionInfo")
        commit = getattr(ver, "version", None) if getattr(ver, "versionType", "") == "git" \
            else None
        sid = nid or f"stage:{_name_in(urn)}"
        self.node(NodeKind.STAGE, sid, {"name": name, "cmd": cp.get("cmd"), "commit": commit,
                                        **attrs}, urn)
        io = self.a(urn, "dataJobInputOutput")
        for e in getattr(io, "inputDatasetEdges", None) or []:
            self.edge(EdgeKind.INPUT, self.data_for(e.destinationUrn, e.properties or {}), sid)
        for e in getattr(io, "outputDatasetEdges", None) or []:
            self.edge(EdgeKind.OUTPUT, sid, self.data_for(e.destinationUrn, e.properties or {}))

    def run(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "dataProcessInstanceProperties")
        trp = self.a(urn, "mlTrainingRunProperties")
        cp = {**_props(trp), **_props(props)}
        native = getattr(trp, "id", None) or cp.get("run_id") or _name_in(urn)
        source = cp.get("source") or ("mlflow" if trp is not None else "datahub")
        ext = getattr(trp, "externalUrl", None) or getattr(props, "externalUrl", None)
        if nid is None and source == "mlflow" and ext:
            host = urllib.parse.urlsplit(ext).netloc
            native_id = f"{host}:{native}" if host else native
        else:
            native_id = native
        rid = nid or ids.run_id(source, native_id)
        commit = cp.get("git_commit") or cp.get("commit") or cp.get("mlflow.source.git.commit")
        dirty = cp.get("dirty")
        base = {
            "source": source, "run_id": native, "name": getattr(props, "name", None),
            "commit": commit, "dirty": None if dirty is None else dirty.lower() == "true",
            "start_time": _ms_to_iso(getattr(getattr(props, "created", None), "time", None)),
            "params": {p.name: p.value for p in (getattr(trp, "hyperParams", None) or [])},
            "metrics": {m.name: float(m.value) for m in
                        (getattr(trp, "trainingMetrics", None) or []) if _is_number(m.value)},
        }
        self.node(NodeKind.RUN, rid, {**base, **attrs}, urn)
        commit = self.g.attrs(rid).get("commit")
        if commit:
            self.edge(EdgeKind.CODE, self.commit(commit), rid,
                      **({"dirty": self.g.attrs(rid)["dirty"]}
                         if self.g.attrs(rid).get("dirty") is not None else {}))
        inp = self.a(urn, "dataProcessInstanceInput")
        for e in getattr(inp, "inputEdges", None) or []:
            dest = e.destinationUrn
            if dest.startswith("urn:li:dataset:"):
                ep = dict(e.properties or {})
                data = self.data_for(dest, ep)
                pin = ep.get("pin") or ("strong" if ep.get("dvc_md5") else "none")
                self.edge(EdgeKind.INPUT, data, rid, pin=pin, digest=ep.get("digest"),
                          path=self.g.attrs(data).get("path"))
        for u in getattr(inp, "inputs", None) or []:
            if u.startswith("urn:li:dataset:") and not any(
                    e.destinationUrn == u for e in getattr(inp, "inputEdges", None) or []):
                self.edge(EdgeKind.INPUT, self.data_for(u, {}), rid, pin="none")
        out = self.a(urn, "dataProcessInstanceOutput")
        for e in getattr(out, "outputEdges", None) or []:
            dest = e.destinationUrn
            if dest.startswith("urn:li:mlModel:") and dest in self.node_of:
                self.edge(EdgeKind.PRODUCED, rid, self.node_of[dest])
            elif dest.startswith("urn:li:dataset:"):
                self.edge(EdgeKind.OUTPUT, rid, self.data_for(dest, dict(e.properties or {})))
        rel = self.a(urn, "dataProcessInstanceRelationships")
        for up in getattr(rel, "upstreamInstances", None) or []:
            self._pending_upstream.append((up, rid))

    def model_links(self, urn: str) -> None:
        mid = self.node_of.get(urn)
        props = self.a(urn, "mlModelProperties")
        if mid is None or props is None:
            return
        for job in getattr(props, "trainingJobs", None) or []:
            if job in self.node_of and self.g.kind(self.node_of[job]) == NodeKind.RUN:
                self.edge(EdgeKind.PRODUCED, self.node_of[job], mid)
        for dep in list(getattr(props, "deployments", None) or []) + list(
                getattr(props, "downstreamJobs", None) or []):
            did = self.node_of.get(dep)
            if did and self.g.kind(did) == NodeKind.DEPLOYMENT:
                self.edge(EdgeKind.DEPLOYED_AS, mid, did)
                if not self.g.attrs(did).get("model"):
                    self.g.attrs(did)["model"] = mid
        for link in getattr(self.a(urn, "institutionalMemory"), "elements", None) or []:
            self.document(link, mid)

    def document(self, link: Any, target: str) -> None:
        desc = (getattr(link, "description", "") or "").strip()
        low = desc.lower()
        if "approval" in low or "evidence" in low:
            return  # approval evidence links are read with the approvals
        kind = next((v for k, v in DOC_KINDS.items() if k in low), "other")
        did = ids.record_id("document", None, link.url.encode())
        m = re.search(r"\[(document:[^\]]+)\]", desc)
        if m:
            did = m.group(1)
        on = "model" if self.g.kind(target) == NodeKind.MODEL else "model_group"
        self.node(NodeKind.DOCUMENT, did, {"doc_kind": kind, "uri": link.url, "title": desc,
                                           on: target})
        self.edge(EdgeKind.DOCUMENTS, did, target)

    def incident(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        info = self.a(urn, "incidentInfo")
        if info is None:
            return
        state = str(getattr(getattr(info, "status", None), "state", "ACTIVE")).upper()
        status = "resolved" if "RESOLVED" in state else "open"
        cp = _props(info)
        aid = nid or ids.record_id("alert", urn.rsplit(":", 1)[-1])
        targets = [self.node_of[e] for e in info.entities if e in self.node_of
                   and self.g.kind(self.node_of[e]) == NodeKind.MODEL]
        value = cp.get("value")
        threshold = cp.get("threshold")
        base = {
            "metric": cp.get("metric") or getattr(info, "customType", None) or "incident",
            "value": float(value) if _is_number(value) else None,
            "threshold": float(threshold) if _is_number(threshold) else None,
            "status": cp.get("status") if cp.get("status") in (
                "open", "acknowledged", "resolved") else status,
            "description": getattr(info, "description", None) or getattr(info, "title", None),
            "at": cp.get("at") or _ms_to_iso(getattr(getattr(info, "created", None), "time",
                                                     None)),
            "model": targets[0] if targets else None,
        }
        self.node(NodeKind.ALERT, aid, {**base, **attrs}, urn)
        for t in targets:
            self.edge(EdgeKind.ALERTS, aid, t)

    # -- governance: structured properties and glossary terms -----------------------------
    def structured(self, urn: str) -> dict[str, list[Any]]:
        sp = self.a(urn, "structuredProperties")
        out: dict[str, list[Any]] = {}
        for p in getattr(sp, "properties", None) or []:
            key = p.propertyUrn.removeprefix("urn:li:structuredProperty:")
            out[key] = [v for v in p.values]
        return out

    def governance(self, urn: str) -> None:
        nid = self.node_of.get(urn)
        if nid is None:
            return
        sp = self.structured(urn)
        kind = self.g.kind(nid)
        if kind == NodeKind.MODEL_GROUP:
            tier = _first(sp, "risk_tier") or self.tier_from_terms(urn)
            if tier and str(tier).lower() in TIER_WORDS:
                rec = _first(sp, "risk_assessment_id") or _first(sp, "risk_record_id")
                rid = rec if rec and str(rec).startswith("risk_assessment:") else \
                    ids.record_id("risk_assessment", str(rec) if rec else
                                  f"{nid.removeprefix('model_group:')}-datahub")
                self.node(NodeKind.RISK_ASSESSMENT, rid, {
                    "model_group": nid, "tier": str(tier).lower(),
                    "annex_iii_area": _first(sp, "annex_iii_area"),
                    "assessed_at": _date(_first(sp, "risk_assessed_at")),
                    "next_review": _date(_first(sp, "risk_next_review")),
                })
                self.edge(EdgeKind.ASSESSES, rid, nid)
        elif kind == NodeKind.MODEL:
            self.approvals(urn, nid, sp)

    def tier_from_terms(self, urn: str) -> str | None:
        terms = self.a(urn, "glossaryTerms")
        for t in getattr(terms, "terms", None) or []:
            name = t.urn.removeprefix("urn:li:glossaryTerm:").split(".")[-1].lower()
            for w in TIER_WORDS:
                if name.startswith(w):
                    return w
        return None

    def approvals(self, urn: str, mid: str, sp: dict[str, list[Any]]) -> None:
        records = [str(r) for r in _find(sp, "approval_record_ids", "approval_records")]
        by = [str(x) for x in _find(sp, "approved_by")]
        at = [str(x) for x in _find(sp, "approved_at")]
        envs = [str(x) for x in _find(sp, "approved_environments")]
        roles = [str(x) for x in _find(sp, "approver_roles", "approved_roles")]
        status = _first(sp, "approval_status")
        if not records and not by:
            return
        n = max(len(records), len(by))
        for i in range(n):
            rec = records[i] if i < len(records) else f"{mid}-{i}"
            aid = rec if rec.startswith("approval:") else ids.record_id("approval", rec)
            existing = self.g.attrs(aid) if aid in self.g else {}
            attrs = {
                "approver": existing.get("approver") or (by[i] if i < len(by) else
                                                         (by[-1] if by else "unknown")),
                "role": existing.get("role") or (roles[i] if i < len(roles) else None),
                "decision": existing.get("decision") or (
                    "rejected" if str(status).lower() == "rejected" else "approved"),
                "decided_at": existing.get("decided_at") or _date(at[i] if i < len(at) else
                                                                  None),
                "model": mid,
                "environment": existing.get("environment") or (envs[i] if i < len(envs)
                                                               else None),
            }
            self.node(NodeKind.APPROVAL, aid, attrs)
            self.edge(EdgeKind.APPROVES, aid, mid)


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _find(sp: dict[str, list[Any]], *names: str) -> list[Any]:
    """Values of the structured property whose qualified name ends with one of ``names``."""
    for key, values in sp.items():
        tail = re.split(r"[.:/]", key)[-1].lower().replace("-", "_")
        if tail in names:
            return values
    return []


def _first(sp: dict[str, list[Any]], *names: str) -> Any:
    v = _find(sp, *names)
    return v[0] if v else None


def _date(v: Any) -> str | None:
    if v in (None, ""):
        return None
    s = str(v)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return s + "T00:00:00Z"
    return s


def _data_props(p: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("path", "repository", "hash", "remote"):
        if p.get(k):
            out[k] = p[k]
    if p.get("dvc_md5") and "hash" not in out:
        out["hash"] = p["dvc_md5"] if p["dvc_md5"].startswith("md5:") else f"md5:{p['dvc_md5']}"
    return out


def graph_from_mcps(mcps: Iterable[MetadataChangeProposalWrapper]) -> LineageGraph:
    """Rebuild a LineageGraph from DataHub aspects (any order; latest aspect per urn wins)."""
    r = _Reader()
    for mcp in mcps:
        r.add(mcp)
    return r.build()


# -- sources for `lineage audit --source …` ----------------------------------------------------
def _config_for(repo: str | Path | None) -> tuple[Path | None, Config | None]:
    from lineage.api import find_repo_root
    from lineage.config import load_config
    from lineage.errors import NotARepositoryError

    try:
        root = find_repo_root(repo or ".")
    except NotARepositoryError:
        if repo is not None:
            raise
        return None, None
    return root, load_config(root)


def default_lite_file(root: Path, config: Config) -> Path:
    if config.datahub.lite_file:
        p = Path(config.datahub.lite_file)
        return p if p.is_absolute() else root / p
    return config.store_path(root) / DEFAULT_LITE_FILE


def read_lite(path: str | None = None, *, config: Config | None = None,
              repo: str | Path | None = None, **opts: Any) -> LineageGraph:
    """The lineage graph held in a DataHub Lite file (default: the project's push target)."""
    if path is None:
        root, cfg = _config_for(repo)
        cfg = config or cfg
        if root is None or cfg is None:
            raise ConfigError("no DataHub Lite file given and not inside a git repository",
                              hint="pass --option path=FILE (a DataHub Lite .db file)")
        file = default_lite_file(root, cfg)
    else:
        file = Path(path)
    if not file.exists():
        raise ConfigError(f"DataHub Lite file {file} does not exist",
                          hint="run `lineage push --to datahub-lite` first, or pass "
                               "--option path=FILE")
    from datahub.lite.lite_util import get_datahub_lite

    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(file)}}, read_only=True)
    try:
        return graph_from_mcps(list(lite.get_all_aspects()))
    except Exception as exc:
        raise ConfigError(f"{file} is not a readable DataHub Lite file: {exc}",
                          hint="check the path; files from `datahub lite` use sqlite or duckdb"
                          ) from exc
    finally:
        if hasattr(lite, "_close_connection"):  # read-only: close() would reindex
            lite._close_connection()


def read_rest(server: str | None = None, token: str | None = None, *,
              config: Config | None = None, repo: str | Path | None = None,
              **opts: Any) -> LineageGraph:
    """The lineage graph held by a DataHub GMS (URL/token as for ``--to datahub-rest``)."""
    from connectors.sinks.datahub.remote import classify, rest_settings

    cfg = config
    if cfg is None and (server is None or token is None):
        _, cfg = _config_for(repo)
    options = {**opts, "server": server, "token": token}
    s = rest_settings(options, cfg)
    from datahub.ingestion.graph.client import DataHubGraph
    from datahub.ingestion.graph.config import DatahubClientConfig

    try:
        graph = DataHubGraph(DatahubClientConfig(
            server=s.server, token=s.token.get_secret_value() if s.token else None,
            timeout_sec=s.timeout, retry_max_times=s.retries, openapi_ingestion=False,
        ))
    except Exception as exc:
        raise classify(exc, s) from None
    try:
        mcps: list[Any] = []
        for entity_type in opts.get("entity_types") or ENTITY_TYPES:
            for urn in graph.get_urns_by_filter(entity_types=[entity_type]):
                mcps.extend(graph.get_entity_as_mcps(urn))
        return graph_from_mcps(mcps)
    except SinkError:
        raise
    except Exception as exc:
        raise classify(exc, s) from None
    finally:
        graph.close()


__all__ = ["default_lite_file", "graph_from_mcps", "read_lite", "read_rest"]
