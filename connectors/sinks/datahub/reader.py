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
dataset                                     data (per content hash named on the edges,
                                            and per version ``dvc_recorded`` names)
dataJob                                     stage (dataJobInputOutput → INPUT / OUTPUT)
mlModelDeployment, dataJob "Model Deploy…"  deployment (DEPLOYED_AS from the version)
structured properties (risk tier …)         risk_assessment → ASSESSES the group
structured properties (approvals)           approval → APPROVES the version
incident (on mlModel)                       alert → ALERTS the version
dataProcessInstance "Monitoring Check"      (ours: the passed check's alert record is read
                                            from the version, the run is no training run)
deprecation (another tool's mlModel)        ``deprecated``
institutionalMemory                         document → DOCUMENTS
==========================================  =============================================

Where an entity carries our own ``customProperties`` (``lineage_id``; governance records whole
as ``approval.<id>`` / ``retraining.<id>`` / ``risk_assessment.<id>`` / ``alert.<id>`` /
``document.<id>``; ``same_as`` / ``previous_version``; ``git_commit_state`` and the commit
author; ``dvc_recorded`` on datasets → ``first_commit`` of the data versions; ``via`` on input
edges; ``lineage_properties``; ``lineage_placeholder`` — see the renderer), those win and the
graph comes back with the store's ids, so the audit of the catalog gives the store's findings;
the DataHub-convention derivation is the fallback for entities other tools wrote. The reader
never raises on an entity it does not understand: it skips it.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.sinks.datahub.render import CHECK_SUBTYPE, incident_urn, is_short_name
from lineage import ids
from lineage.errors import ConfigError, LineageError
from lineage.graph import LineageGraph
from lineage.model import ATTRS_MODELS, Edge, EdgeKind, Node, NodeKind, compact, kind_of

if TYPE_CHECKING:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from lineage.config import Config

ID_KEYS = ("lineage_id", "lineage.id", "lineage_node_id")
ATTRS_KEYS = ("lineage_attrs", "lineage.attrs")
DEFAULT_LITE_FILE = "datahub-lite.db"  # as the datahub-lite push target
# entity types the reader asks GMS for
ENTITY_TYPES = ("mlModelGroup", "mlModel", "dataProcessInstance", "dataset", "dataJob",
                "mlModelDeployment", "incident", "container")
TIER_WORDS = ("unacceptable", "high", "limited", "minimal")
SHA_RE = re.compile(r"\b[0-9a-f]{40}\b")
# the description of the link to a document record's repository file (see render._doc_links)
REPO_FILE_LINK = re.compile(r", repository file (.+)$")
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
        # (upstream run urn, run id, the edges' own facts by upstream run id)
        self._pending_upstream: list[tuple[str, str, dict[str, Any]]] = []
        self.followups: dict[str, list[str]] = {}  # model urn -> retraining ids (incidents)
        self.pending_triggers: list[tuple[str, str]] = []  # (alert, retraining) follow-ups
        # governance records our renderer keeps whole (``approval.<id>`` … custom properties)
        self.records: dict[str, dict[str, Any]] = {}
        self.records_on: dict[str, set[str]] = defaultdict(set)  # urn -> record ids
        self.alert_of_incident: dict[str, str] = {}
        self.commit_facts: dict[str, dict[str, str]] = {}  # sha -> git_commit_state, author
        # data version id -> the commit whose DVC file records it (``dvc_recorded`` on datasets)
        self.recorded: dict[str, str] = {}
        self.recorded_on: dict[str, list[str]] = defaultdict(list)  # dataset urn -> version ids
        # data version id -> size, nfiles, import facts (``version_facts`` on datasets)
        self.version_facts: dict[str, dict[str, Any]] = {}
        self.placeholder_urns: set[str] = set()
        # commits a DVC file records a version in, with their time (``dvc_recorded_at``)
        self.dated_commits: set[str] = set()
        # record id -> (first, last) time the store wrote it (``recorded_at``)
        self.times: dict[str, tuple[str, str]] = {}

    def add(self, mcp: MetadataChangeProposalWrapper) -> None:
        if mcp.aspect is None or not mcp.entityUrn:
            return
        self.aspects[mcp.entityUrn][mcp.aspectName or mcp.aspect.get_aspect_name()] = mcp.aspect
        self.types[mcp.entityUrn] = mcp.entityType

    def a(self, urn: str, name: str) -> Any:
        return self.aspects.get(urn, {}).get(name)

    def subtypes(self, urn: str) -> list[str]:
        return [t.lower() for t in (getattr(self.a(urn, "subTypes"), "typeNames", None) or [])]

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

    def free_properties(self, urn: str) -> dict[str, str] | None:
        """The node's free-form ``properties``, which our renderer lists by name."""
        for aspect in self.aspects.get(urn, {}).values():
            props = _props(aspect)
            names = _json_list(props.get("lineage_properties"))
            if names:
                return {k: props[k] for k in names if k in props}
        return None

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
    def collect(self) -> None:
        """Records and commit facts from every entity's custom properties, before any node."""
        for urn, aspects in self.aspects.items():
            for aspect in aspects.values():
                props = _props(aspect)
                sha = props.get("git_commit")
                if sha and any(k.startswith("git_") and k != "git_commit" for k in props):
                    facts = self.commit_facts.setdefault(sha.lower(), {})
                    facts.update({k: v for k, v in props.items()
                                  if k in ("git_commit_state", "git_author_name",
                                           "git_author_email", "git_tags",
                                           "git_committed_at")})
                if props.get("version_facts") and urn.startswith("urn:li:dataset:"):
                    try:
                        listed = json.loads(props["version_facts"])
                    except ValueError:
                        listed = None
                    if isinstance(listed, dict):
                        self.version_facts.update(
                            (str(k), v) for k, v in listed.items() if isinstance(v, dict))
                if props.get("dvc_recorded") and urn.startswith("urn:li:dataset:"):
                    try:
                        recorded = json.loads(props["dvc_recorded"])
                    except ValueError:
                        recorded = None
                    if isinstance(recorded, dict):
                        for did, commit in sorted(recorded.items()):
                            if isinstance(commit, str) and str(did).startswith("data:"):
                                self.recorded[str(did)] = commit
                                self.recorded_on[urn].append(str(did))
                    # when those commits were made (``dvc_recorded_at``: sha -> time)
                    for sha, at in _json_map(props.get("dvc_recorded_at")).items():
                        if isinstance(at, str) and at:
                            self.commit_facts.setdefault(sha.lower(), {}).setdefault(
                                "git_committed_at", at)
                            self.dated_commits.add(sha.lower())
                for key, value in props.items():
                    kind, _, rest = key.partition(".")
                    if kind not in RECORD_KINDS or not rest or not value.startswith("{"):
                        continue
                    try:
                        rec = json.loads(value)
                    except ValueError:
                        continue
                    if not isinstance(rec, dict) or not isinstance(rec.get("attrs"), dict):
                        continue
                    rid = f"{kind}:{rest}"
                    self.records[rid] = rec
                    self.records_on[urn].add(rid)
                    self.record_time(rid, rec)
                    if rec.get("incident"):
                        self.alert_of_incident[str(rec["incident"])] = rid
                    if kind == "alert":
                        # the incident an earlier lineage made of a check that passed, which
                        # DataHub keeps (an incident cannot be soft-deleted): the record's
                        self.alert_of_incident.setdefault(incident_urn(rid), rid)

    def record_time(self, rid: str | None, facts: dict[str, Any]) -> None:
        """When the store wrote record ``rid`` (``recorded_at``, ``last_recorded_at``)."""
        first = facts.get("recorded_at")
        if rid and isinstance(first, str) and first:
            last = facts.get("last_recorded_at")
            self.times[rid] = (first, last if isinstance(last, str) and last else first)

    def build_records(self) -> None:
        """Record nodes exactly as the store held them, with their edges; an edge to a node
        DataHub does not hold leaves it undescribed, as in the store."""
        for rid, rec in sorted(self.records.items()):
            self.node(NodeKind(rid.split(":", 1)[0]), rid, dict(rec["attrs"]))
        for _rid, rec in sorted(self.records.items()):
            for e in rec.get("edges") or []:
                if not isinstance(e, list) or len(e) < 3:
                    continue
                try:
                    kind = EdgeKind(e[0])
                except ValueError:
                    continue
                attrs = e[3] if len(e) > 3 and isinstance(e[3], dict) else {}
                self.edge(kind, str(e[1]), str(e[2]), **attrs)

    def kind(self, nid: str) -> NodeKind:
        """Kind of a node, also of one DataHub holds only as an undescribed reference."""
        return self.g.kind(nid) if nid in self.g else kind_of(nid)

    def undescribed(self) -> None:
        """Entities our renderer made for nodes no source described: only their ids count."""
        for urn, aspects in self.aspects.items():
            for aspect in aspects.values():
                props = _props(aspect)
                if props.get("lineage_placeholder") == "true" and props.get("lineage_id"):
                    self.node_of[urn] = props["lineage_id"]
                    self.placeholder_urns.add(urn)

    def placeholder_ids(self) -> set[str]:
        return {self.node_of[u] for u in self.placeholder_urns}

    def urns(self, entity_type: str) -> list[str]:
        return sorted(u for u, t in self.types.items() if t == entity_type
                      and u not in self.placeholder_urns)

    def build(self) -> LineageGraph:
        # soft-deleted entities (``status.removed``: ``datahub delete --soft``, a push with
        # ``-o remove_stale=true``) are gone from the catalog people browse, and from its audit
        for urn in [u for u, aspects in self.aspects.items()
                    if getattr(aspects.get("status"), "removed", False)]:
            del self.aspects[urn]
            self.types.pop(urn, None)
        self.collect()
        self.undescribed()
        for urn in self.urns("mlModelGroup"):
            self.model_group(urn)
        for urn in self.urns("dataset"):
            self.dataset(urn)
        for urn in self.urns("mlModel"):
            self.model(urn)
        for urn in self.urns("dataJob"):
            # an OpenLineage job is no node: its runs keep its name and owners
            if not self.is_deployment_job(urn) and \
                    "openlineage job" not in self.subtypes(urn):
                self.stage(urn)
        for urn in self.urns("mlModelDeployment"):
            self.deployment(urn, proxy=False)
        for urn in self.urns("dataJob"):
            if self.is_deployment_job(urn):
                self.deployment(urn, proxy=True)
        for urn in self.urns("dataProcessInstance"):
            # a monitoring check that passed is no training run: the version holds its record
            if CHECK_SUBTYPE.lower() not in self.subtypes(urn):
                self.run(urn)
        for up, rid, facts in self._pending_upstream:
            if up in self.node_of:
                src = self.node_of[up]
                got = facts.get(src)
                self.edge(EdgeKind.UPSTREAM_RUN, src, rid,
                          **({k: v for k, v in got.items() if isinstance(k, str)}
                             if isinstance(got, dict) else {}))
        for urn in self.urns("incident"):
            self.incident(urn)
        for urn in self.urns("mlModel"):
            self.model_links(urn)
        self.version_chain()
        self.build_records()
        for urn in self.urns("mlModelGroup") + self.urns("mlModel") + self.urns("dataJob"):
            self.governance(urn)
        for urn in self.urns("mlModel"):
            self.retraining(urn)
        # the commits that added a data version (a model's artifact): their time dates the
        # version, as in the store (nodes made last, so a version's or run's commit keeps the
        # repository its sourceCode names)
        for sha in sorted(self.dated_commits):
            if self.known_commit(sha):
                self.commit(sha)
        if self.times:  # as ``AuditIndex.recorded`` holds them for the store's audit
            self.g.nx.graph["recorded"] = dict(sorted(self.times.items()))
        return self.g

    def group_name(self, urn: str) -> str:
        props = self.a(urn, "mlModelGroupProperties")
        return (getattr(props, "name", None) or _name_in(urn)).strip()

    def model_group(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "mlModelGroupProperties")
        cp = _props(props)
        name = self.group_name(urn)
        base = {"name": name, "registry": cp.get("registry") or _platform(urn),
                "description": getattr(props, "description", None),
                "owner": self.owner(urn, "TECHNICAL_OWNER"), "path": cp.get("path"),
                "type": cp.get("type"),
                "labels": _labels(cp.get("labels")),
                # (none when the one shown is its risk assessment's)
                "intended_purpose": None if cp.get("intended_purpose_of") == "risk_assessment"
                else _first(self.structured(urn), "intendedpurpose", "intended_purpose"),
                "properties": self.free_properties(urn)}
        self.node(NodeKind.MODEL_GROUP, nid or ids.model_group_id(name), {**base, **attrs}, urn)

    def owner(self, urn: str, *types: str) -> str | None:
        """The first owner of one of ``types`` (e.g. TECHNICAL_OWNER), as a plain name; a
        group as ``team:<id>`` (a ``team:`` owner is rendered as a corpGroup)."""
        own = self.a(urn, "ownership")
        for o in getattr(own, "owners", None) or []:
            if str(getattr(o, "type", "")).upper() in types:
                owner = str(o.owner)  # an urn (OwnerClass.owner: str)
                if owner.startswith("urn:li:corpGroup:"):
                    return "team:" + owner.removeprefix("urn:li:corpGroup:")
                return owner.removeprefix("urn:li:corpuser:")
        return None

    def dataset_path(self, urn: str) -> tuple[str, str | None]:
        """(path in its repository, repository key) of a dataset."""
        props = self.a(urn, "datasetProperties")
        own_id, own_attrs = self.own(urn)
        name = _name_in(urn)
        shown = getattr(props, "name", None)
        qualified = getattr(props, "qualifiedName", None) or ""
        if qualified and (is_short_name(name, qualified) or is_short_name(name, qualified.lower())):
            name = qualified  # a name too long for an urn: the urn holds its cut
        repo = own_attrs.get("repository") or _props(props).get("repository")
        # ours: qualified name "<repository>/<path>", display name "<path>"; anything else:
        # the urn's name is the path
        if own_attrs.get("path"):
            path = own_attrs["path"]
        elif _props(props).get("namespace") and shown:
            # an OpenLineage dataset: its name in its namespace, no repository
            return shown, None
        elif shown and qualified.lower() == name.lower() and qualified.endswith("/" + shown):
            # (compared in any case: a push with ``lowercase_urns`` lower-cased the urn)
            path = shown
            repo = repo or qualified[: -len(shown) - 1]
        else:
            path = name
        return path, repo

    def dataset(self, urn: str) -> None:
        # the versions a DVC file records, as the DVC harvester wrote them (``first_commit``),
        # also those no run or stage used: a strong pin to another version of the path is one
        # DVC never recorded
        for did in self.recorded_on.get(urn, ()):
            h = did.rsplit("@", 1)[1] if "@" in did else None
            self.data_for(urn, {"lineage_id": did, **({"hash": h} if h else {})})
        nid, attrs = self.own(urn)
        if not nid:
            return  # datasets become data nodes per content hash, on the edges that name one
        path, repo = self.dataset_path(urn)
        self.node(NodeKind.DATA, nid, {"path": path, "repository": repo, **attrs,
                                       **self.dataset_owners(urn, attrs)}, urn)

    def dataset_owners(self, urn: str, attrs: dict[str, Any]) -> dict[str, Any]:
        """``properties`` with the dataset's owners (its ``ownership`` aspect: an OpenLineage
        ``ownership`` facet as the renderer wrote it) as the OpenLineage harvester keeps them
        (``properties.owners``), on each version read from it; {} when it has none."""
        own = self.a(urn, "ownership")
        try:  # the source's types DataHub has not (shown as TECHNICAL_OWNER)
            types = json.loads(_props(self.a(urn, "datasetProperties")).get("owner_types")
                               or "{}")
        except ValueError:
            types = {}
        if not isinstance(types, dict):
            types = {}
        owners = []
        for o in getattr(own, "owners", None) or []:
            who = str(o.owner)
            name = ("team:" + who.removeprefix("urn:li:corpGroup:")
                    if who.startswith("urn:li:corpGroup:")
                    else "user:" + who.removeprefix("urn:li:corpuser:")
                    if who.startswith("urn:li:corpuser:") else who)
            kind = str(getattr(o, "type", "") or "") or None
            if kind == "TECHNICAL_OWNER" and who in types \
                    and isinstance(types[who], str | None):
                kind = types[who]  # null: the source gave no type
            owners.append({"name": name, "type": kind})
        if not owners:
            return {}
        from connectors.harvesters.openlineage import dump_owners

        return {"properties": {**(attrs.get("properties") or {}),
                               "owners": dump_owners(owners)}}

    def data_for(self, dataset_urn: str, edge_props: dict[str, str]) -> str:
        """The data node a run/stage edge names: the dataset at the edge's content hash."""
        own_id, own_attrs = self.own(dataset_urn)
        path, repo = self.dataset_path(dataset_urn)
        h = edge_props.get("dvc_md5") or edge_props.get("md5")
        if h and not h.startswith("md5:"):
            h = f"md5:{h}"
        h = h or edge_props.get("digest") or edge_props.get("hash")
        if edge_props.get("lineage_id"):
            nid = edge_props["lineage_id"]
            if edge_props.get("lineage_placeholder") == "true":
                return nid  # no source described it: the edge leaves it a placeholder
        elif own_id and (not h or own_attrs.get("hash") == h):
            nid = own_id
        else:
            nid = ids.data_id(repo or _platform(dataset_urn) or "datahub", path, h)
        if nid not in self.g or self.g.is_placeholder(nid):
            ds = _props(self.a(dataset_urn, "datasetProperties"))
            attrs = {"path": path, "repository": f"repository:{repo}" if repo else None,
                     "hash": h, "hash_kind": "md5" if h and h.startswith("md5:") else None,
                     "remote": ds.get("remote"), "namespace": ds.get("namespace"),
                     "is_dir": "dvc directory" in
                     self.subtypes(dataset_urn), "first_commit": self.recorded.get(nid),
                     **self.version_facts.get(nid, {})}
            if nid == own_id:
                attrs.update(own_attrs)
            attrs.update(self.dataset_owners(dataset_urn, attrs))
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
        created = getattr(props, "created", None)
        actor = getattr(created, "actor", None)
        base: dict[str, Any] = {
            "group": group, "version": str(version), "registry": cp.get("registry")
            or _platform(urn), "aliases": aliases, "commit": commit,
            "description": getattr(props, "description", None),
            "created_at": _ms_to_iso(getattr(created, "time", None)),
            "created_by": cp.get("created_by") or (
                actor.removeprefix("urn:li:corpuser:") if actor else None),
            "run_id": cp.get("run_id"),
            "artifact_hash": cp.get("artifact_hash"), "artifact_uri": cp.get("artifact_uri"),
            "stage": cp.get("stage"), "status": cp.get("status"),
            # (ours say it as a custom property; another tool's in DataHub's deprecation)
            "deprecated": cp.get("deprecated") == "true" if cp.get("lineage_id")
            else bool(getattr(self.a(urn, "deprecation"), "deprecated", False)),
            "properties": self.free_properties(urn),
            "metrics": {m.name: float(m.value) for m in
                        (getattr(props, "trainingMetrics", None) or [])
                        if _is_number(m.value)},
        }
        mid = nid or ids.model_id(group, str(version))
        self.node(NodeKind.MODEL, mid, {**base, **attrs}, urn)
        gid = next((self.node_of[g] for g in groups if g in self.node_of), None)
        if gid is None:
            gid = ids.model_group_id(group)
            if gid not in self.g:
                self.node(NodeKind.MODEL_GROUP, gid, {"name": group,
                                                      "registry": _platform(urn)})
        self.edge(EdgeKind.VERSION_OF, mid, gid)
        if commit and self.known_commit(commit):
            self.edge(EdgeKind.TAGGED, self.commit(commit, src), mid,
                      **({"tag": cp["git_tag"]} if cp.get("git_tag") else {}))
        for t in _json_dicts(cp.get("tagged_edges")):
            if isinstance(t.get("commit"), str):  # a GTO tag moved to another commit since
                src = ids.commit_id(t["commit"]) if t.get("placeholder") \
                    else self.commit(t["commit"])
                self.edge(EdgeKind.TAGGED, src, mid, **_edge_attrs(t))
        art = cp.get("artifact_hash")
        if "artifact_edges" in cp:  # ours: the ARTIFACT edges exactly, with their facts
            for x in _json_dicts(cp["artifact_edges"]):
                did = x.get("data")
                if not isinstance(did, str):
                    continue
                if not x.get("placeholder") and isinstance(x.get("dataset"), str):
                    h = did.rsplit("@", 1)[1] if "@" in did else None
                    did = self.data_for(x["dataset"], {"lineage_id": did,
                                                       **({"hash": h} if h else {})})
                self.edge(EdgeKind.ARTIFACT, did, mid, **_edge_attrs(x))
        elif art:  # the artifact file: a DVC dataset that lists this hash among its versions
            for ds in self.urns("dataset"):
                md5s = _props(self.a(ds, "datasetProperties")).get("dvc_md5", "").split(",")
                if art.removeprefix("md5:") in md5s:
                    self.edge(EdgeKind.ARTIFACT, self.data_for(ds, {"dvc_md5": art}), mid)

    def commit_state(self, sha: str) -> str | None:
        return self.commit_facts.get(sha.lower(), {}).get("git_commit_state")

    def known_commit(self, sha: str) -> bool:
        """False when our renderer said no source described the commit (a run named a sha
        that neither git nor anything else knew): no commit node is made for it."""
        return self.commit_state(sha) not in ("unknown", "undescribed")

    def commit(self, sha: str, source_code: Any = None) -> str:
        cid = ids.commit_id(sha)
        if cid not in self.g or self.g.is_placeholder(cid):
            repo = None
            for s in getattr(source_code, "sourceCode", None) or []:
                m = re.match(r"^https://(.+?)/tree/[0-9a-f]{40}$", s.sourceCodeUrl or "")
                if m:
                    repo = f"repository:{m.group(1)}"
            facts = self.commit_facts.get(sha.lower(), {})
            author = {k: facts[f"git_author_{k}"] for k in ("name", "email")
                      if facts.get(f"git_author_{k}")}
            tags = _json_list(facts.get("git_tags"))
            # the commit's earliest time (author's or committer's), which dates the versions
            # made from it as the store's audit dates them
            committed = {"committer": {"name": author.get("name") or "",
                                       "time": facts["git_committed_at"]}} \
                if facts.get("git_committed_at") else {}
            self.node(NodeKind.COMMIT, cid, {
                "sha": sha.lower(), "repository": repo, "author": author or None, **committed,
                "refs": [f"refs/tags/{t}" for t in tags] or None,
                "placeholder": facts.get("git_commit_state") == "unseen"})
        return cid

    def is_deployment_job(self, urn: str) -> bool:
        return any("deployment" in t for t in self.subtypes(urn))

    def deployment(self, urn: str, proxy: bool) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "dataJobInfo" if proxy else "mlModelDeploymentProperties")
        cp = _props(props)
        env = cp.get("environment") or _name_in(urn)
        at = cp.get("deployed_at") or (None if proxy else
                                       _ms_to_iso(getattr(props, "createdAt", None)))
        model = self.node_of.get(cp.get("model", "")) or cp.get("lineage_model") or \
            cp.get("model")
        group = self.g.attrs(model).get("group") if model and model in self.g else None
        group = group or (model.removeprefix("model:").rsplit("@", 1)[0] if model else
                          _name_in(urn))
        base = {"model": model, "environment": env, "deployed_at": at,
                "deployed_by": cp.get("deployed_by"), "endpoint": cp.get("endpoint"),
                "retired_at": cp.get("retired_at"), "source": cp.get("source"),
                "record_file": cp.get("record_file"),
                "properties": self.free_properties(urn)}
        did = nid or ids.deployment_id(group, env, at or "unknown")
        self.node(NodeKind.DEPLOYMENT, did, {**base, **attrs}, urn)
        self.record_time(nid, cp)
        if model and self.kind(model) == NodeKind.MODEL and (
                model in self.g or model in self.placeholder_ids()):
            self.edge(EdgeKind.DEPLOYED_AS, model, did)

    def stage(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        info = self.a(urn, "dataJobInfo")
        cp = _props(info)
        name = getattr(info, "name", None) or _name_in(urn)
        ver = self.a(urn, "versionInfo")
        commit = getattr(ver, "version", None) if getattr(ver, "versionType", "") == "git" \
            else None
        flow_id = _name_in(getattr(info, "flowUrn", None) or _urn_parts(urn)[0]
                           if _urn_parts(urn) else "")
        rk, _, dvc_yaml = flow_id.rpartition("/") if flow_id.endswith(".yaml") or \
            flow_id.endswith(".dvc") else ("", "", flow_id or "dvc.yaml")
        sid = nid or ids.stage_id(rk or "datahub", dvc_yaml, name, (commit or "datahub")[:12])
        params: dict[str, Any] = {}
        if cp.get("params"):
            try:
                params = json.loads(cp["params"])
            except ValueError:
                params = {}
        self.node(NodeKind.STAGE, sid, {
            "name": name, "cmd": cp.get("cmd"), "commit": commit, "dvc_yaml": dvc_yaml,
            "repository": f"repository:{rk}" if rk else None, "params": params,
            "deps": _json_list(cp.get("deps")), "outs": _json_list(cp.get("outs")),
            "frozen": cp.get("frozen") == "true", **attrs}, urn)
        io = self.a(urn, "dataJobInputOutput")
        for e in getattr(io, "inputDatasetEdges", None) or []:
            ep = dict(e.properties or {})
            self.edge(EdgeKind.INPUT, self.data_for(e.destinationUrn, ep), sid,
                      **({"pin": ep["pin"]} if ep.get("pin") else {}),
                      **({"path": ep["path"]} if ep.get("path") else {}))
        for e in getattr(io, "outputDatasetEdges", None) or []:
            ep = dict(e.properties or {})
            self.edge(EdgeKind.OUTPUT, sid, self.data_for(e.destinationUrn, ep),
                      **({"path": ep["path"]} if ep.get("path") else {}))

    def run(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        props = self.a(urn, "dataProcessInstanceProperties")
        trp = self.a(urn, "mlTrainingRunProperties")
        cp = {**_props(trp), **_props(props)}
        native = cp.get("run_id") or getattr(trp, "id", None) or _name_in(urn)
        source = cp.get("source") or ("mlflow" if trp is not None else "datahub")
        rid = nid or ids.run_id(source, native)
        commit = cp.get("git_commit") or cp.get("commit") or cp.get("mlflow.source.git.commit")
        dirty = cp.get("dirty")
        created = getattr(props, "created", None)
        actor = getattr(created, "actor", None)
        container = getattr(self.a(urn, "container"), "container", None)
        cprops = self.a(container, "containerProperties") if container else None
        experiment = getattr(cprops, "name", None)
        rel = self.a(urn, "dataProcessInstanceRelationships")
        template = getattr(rel, "parentTemplate", None)
        base = {
            "source": source, "run_id": native, "name": getattr(props, "name", None),
            "commit": commit, "dirty": None if dirty is None else dirty.lower() == "true",
            "status": cp.get("status"),
            "experiment": None if cp.get("no_experiment") == "true" else experiment,
            # the renderer keeps it on the experiment (the container of the run)
            "experiment_id": _props(cprops).get("experiment_id"),
            "tracking_uri": cp.get("tracking_uri"),
            # as the run gave it (the corpuser urn is normalised: "Ada Author" → ada.author)
            "user": cp.get("user") or (actor.removeprefix("urn:li:corpuser:") if actor and
                                       actor != "urn:li:corpuser:lineage" else None),
            "start_time": cp.get("start_time") or _ms_to_iso(getattr(created, "time", None)),
            "end_time": cp.get("end_time"),
            # ours name the run's job when it has one; the parentTemplate (its DVC stage)
            # names it only for runs other tools wrote
            "job": cp.get("job") or (getattr(self.a(template, "dataJobInfo"), "name", None)
                                     if template and not nid else None),
            "properties": _run_properties(self.free_properties(urn), cp.get("lineage_owners")),
            "params": {p.name: p.value for p in (getattr(trp, "hyperParams", None) or [])}
            | _typed_params(cp.get("lineage_params")),
            "metrics": {m.name: float(m.value) for m in
                        (getattr(trp, "trainingMetrics", None) or []) if _is_number(m.value)},
        }
        self.node(NodeKind.RUN, rid, {**base, **attrs}, urn)
        ra = self.g.attrs(rid)
        if ra.get("commit") and (self.known_commit(ra["commit"]) or
                                 self.commit_state(ra["commit"]) == "undescribed"):
            # undescribed: the store's CODE edge names a commit no source described; the edge
            # to the id alone leaves it a dangling reference (a lineage-continuity gap) there too
            sha = ra["commit"]
            src = self.commit(sha) if self.known_commit(sha) else ids.commit_id(sha)
            self.edge(EdgeKind.CODE, src, rid,
                      **({"dirty": ra["dirty"]} if ra.get("dirty") is not None else {}))
        inp = self.a(urn, "dataProcessInstanceInput")
        edges = list(getattr(inp, "inputEdges", None) or [])
        for e in edges:
            if e.destinationUrn.startswith("urn:li:dataset:"):
                ep = dict(e.properties or {})
                data = self.data_for(e.destinationUrn, ep)
                pin = ep.get("pin") or ("strong" if ep.get("dvc_md5") else
                                        "weak" if ep.get("digest") else "none")
                path = ep.get("path")  # the repository path the store's edge names
                da = self.g.attrs(data) if data in self.g else {}
                # else (pushed before edges named it, or another tool's) the dataset's path:
                # a DVC dataset's is its repository path, another system's is no path of
                # ours (a table name) when we pushed it
                if path is None and not ("lineage_id" in ep and da.get("namespace")):
                    path = da.get("path") if data in self.g else \
                        self.dataset_path(e.destinationUrn)[0]
                self.edge(EdgeKind.INPUT, data, rid, pin=pin,
                          **({"path": path} if path else {}),
                          **({"digest": ep["edge_digest"]} if ep.get("edge_digest") else {}),
                          **({"via": ep["via"]} if ep.get("via") else {}))
        for u in getattr(inp, "inputs", None) or []:
            if u.startswith("urn:li:dataset:") and not any(e.destinationUrn == u for e in edges):
                self.edge(EdgeKind.INPUT, self.data_for(u, {}), rid, pin="none")
        out = self.a(urn, "dataProcessInstanceOutput")
        for e in getattr(out, "outputEdges", None) or []:
            dest = e.destinationUrn
            if dest.startswith("urn:li:mlModel:") and dest in self.node_of:
                self.edge(EdgeKind.PRODUCED, rid, self.node_of[dest])
            elif dest.startswith("urn:li:dataset:"):
                ep = dict(e.properties or {})
                self.edge(EdgeKind.OUTPUT, rid, self.data_for(dest, ep),
                          **({"path": ep["path"]} if ep.get("path") else {}),
                          **({"digest": ep["edge_digest"]} if ep.get("edge_digest") else {}))
        if not (nid and cp.get("upstream_is_previous_version") == "true"):
            # (else the runs of the previous version, shown upstream: no edge of the store's)
            try:
                facts = json.loads(cp.get("upstream_edges") or "{}")
            except ValueError:
                facts = {}
            for up in getattr(rel, "upstreamInstances", None) or []:
                self._pending_upstream.append(
                    (up, rid, facts if isinstance(facts, dict) else {}))

    def model_links(self, urn: str) -> None:
        mid = self.node_of.get(urn)
        props = self.a(urn, "mlModelProperties")
        if mid is None or props is None:
            return
        for job in getattr(props, "trainingJobs", None) or []:
            if job in self.node_of and self.kind(self.node_of[job]) == NodeKind.RUN:
                self.edge(EdgeKind.PRODUCED, self.node_of[job], mid)
        for dep in list(getattr(props, "deployments", None) or []) + list(
                getattr(props, "downstreamJobs", None) or []):
            did = self.node_of.get(dep)
            if did and self.kind(did) == NodeKind.DEPLOYMENT:
                self.edge(EdgeKind.DEPLOYED_AS, mid, did)
                if not self.g.is_placeholder(did) and not self.g.attrs(did).get("model"):
                    self.g.attrs(did)["model"] = mid
        self.documents(urn, mid)

    def documents(self, urn: str, target: str) -> None:
        on = "model" if self.g.kind(target) == NodeKind.MODEL else "model_group"
        # ours: the document records (read whole by build_records); their links are theirs
        listed = {str(self.records[r]["attrs"].get("uri")) for r in self.records_on.get(urn, ())
                  if r.startswith("document:")}
        # written before documents were whole records: ``document.<id>`` = "<kind>: <uri>"
        for aspect in self.aspects.get(urn, {}).values():
            for key, value in sorted(_props(aspect).items()):
                m = re.match(r"^document\.(.+)$", key)
                kind, sep, uri = value.partition(": ")
                if not m or not sep or kind not in DOC_KIND_VALUES:
                    continue
                did = ids.record_id("document", m.group(1))
                listed.add(uri)
                self.node(NodeKind.DOCUMENT, did, {"doc_kind": kind, "uri": uri, on: target,
                                                   **self.link_facts(urn, uri)})
                self.edge(EdgeKind.DOCUMENTS, did, target)
        for link in getattr(self.a(urn, "institutionalMemory"), "elements", None) or []:
            desc = (getattr(link, "description", "") or "").strip()
            if link.url in listed:
                continue
            m = REPO_FILE_LINK.search(desc)
            if m and m.group(1) in listed:
                continue  # the page of a document record's repository file: that record
            if APPROVAL_LINK.match(desc) or desc.lower().startswith("risk assessment"):
                continue  # read with the approvals / the risk assessment
            m = re.match(r"^(.*?)\s*\((\w+)\)", desc)
            kind = m.group(2) if m and m.group(2) in DOC_KIND_VALUES else next(
                (v for k, v in DOC_KINDS.items() if k in desc.lower()), "other")
            title = m.group(1) if m else desc or None
            h = re.search(r"\b(sha256:[0-9a-f]+)", desc)
            did = ids.record_id("document", None, link.url.encode())
            self.node(NodeKind.DOCUMENT, did, {"doc_kind": kind, "uri": link.url,
                                               "title": title, "content_hash":
                                               h.group(1) if h else None, on: target})
            self.edge(EdgeKind.DOCUMENTS, did, target)

    def link_facts(self, urn: str, url: str) -> dict[str, Any]:
        """Title and content hash of a document from its link, when it is one."""
        for link in getattr(self.a(urn, "institutionalMemory"), "elements", None) or []:
            if link.url == url:
                desc = (getattr(link, "description", "") or "").strip()
                m = re.match(r"^(.*?)\s*\((\w+)\)", desc)
                h = re.search(r"\b(sha256:[0-9a-f]+)", desc)
                return {"title": m.group(1) if m else None,
                        "content_hash": h.group(1) if h else None}
        return {}

    def version_chain(self) -> None:
        """PREVIOUS_VERSION edges from the version order DataHub keeps (``sortId``)."""
        by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
        explicit: set[str] = set()  # groups whose versions we rendered: edges are explicit
        for urn in self.urns("mlModel"):
            mid = self.node_of.get(urn)
            cp = _props(self.a(urn, "mlModelProperties"))
            if mid is None or not cp.get("lineage_id"):
                continue
            explicit.add(next(iter(self.g.successors(mid, EdgeKind.VERSION_OF)), ""))
            for prev in filter(None, cp.get("previous_version", "").split(",")):
                self.edge(EdgeKind.PREVIOUS_VERSION, prev, mid)
            for other in filter(None, cp.get("same_as", "").split(",")):
                self.edge(EdgeKind.SAME_AS, mid, other)
        for urn in self.urns("mlModel"):
            mid = self.node_of.get(urn)
            vp = self.a(urn, "versionProperties")
            if mid is None or vp is None or not getattr(vp, "sortId", None):
                continue
            gid = next(iter(self.g.successors(mid, EdgeKind.VERSION_OF)), "")
            if gid not in explicit:
                by_group[gid].append((vp.sortId, mid))
        for versions in by_group.values():
            ordered = [m for _, m in sorted(versions)]
            for prev, nxt in zip(ordered, ordered[1:], strict=False):
                self.edge(EdgeKind.PREVIOUS_VERSION, prev, nxt)

    def incident(self, urn: str) -> None:
        nid, attrs = self.own(urn)
        info = self.a(urn, "incidentInfo")
        if info is None or urn in self.alert_of_incident:
            return  # ours: the alert record on the model version holds it whole
        st = getattr(info, "status", None)
        state = str(getattr(st, "state", "ACTIVE")).upper()
        msg = str(getattr(st, "message", "") or "")
        status = msg if msg in ("open", "acknowledged", "resolved") else (
            "resolved" if "RESOLVED" in state else "open")
        cp = _props(info)
        aid = nid or f"alert:{urn.rsplit(':', 1)[-1]}"
        targets = [self.node_of[e] for e in info.entities if e in self.node_of
                   and self.kind(self.node_of[e]) == NodeKind.MODEL]
        title = getattr(info, "title", None) or ""
        m = DRIFT_TITLE.match(title)
        metric = cp.get("metric") or (m.group(1) if m else None) or \
            getattr(info, "customType", None) or "incident"
        value = cp.get("value") or (m.group(2) if m else None)
        threshold = cp.get("threshold") or (m.group(3) if m else None)
        desc = getattr(info, "description", None) or title or None
        base = {
            "metric": metric, "status": status,
            "value": _number(value),
            "threshold": _number(threshold),
            "description": desc if desc and not DRIFT_DESC.match(desc) else None,
            "at": cp.get("at") or _ms_to_iso(getattr(info, "startedAt", None))
            or _ms_to_iso(getattr(getattr(info, "created", None), "time", None)),
            "model": targets[0] if targets else None,
        }
        self.node(NodeKind.ALERT, aid, {**base, **attrs}, urn)
        for t in targets:
            self.edge(EdgeKind.ALERTS, aid, t)
        f = re.search(r"follow-up: (.+)$", desc or "")
        if f:
            for rt in (x.strip() for x in f.group(1).split(",")):
                if rt.startswith("retraining:"):
                    for t in info.entities:
                        self.followups.setdefault(t, []).append(rt)
                    self.pending_triggers.append((aid, rt))

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
            self.risk(urn, nid, sp)
            self.documents(urn, nid)
        elif kind in (NodeKind.MODEL, NodeKind.DEPLOYMENT):
            self.approvals(urn, nid, sp)

    def risk(self, urn: str, gid: str, sp: dict[str, list[Any]]) -> None:
        if self.has_records(urn, "risk_assessment"):
            return
        tier = _first(sp, "risktier", "risk_tier") or self.tier_from_terms(urn)
        if not tier or str(tier).lower() not in TIER_WORDS:
            return
        cp = _props(self.a(urn, "mlModelGroupProperties"))
        rec = cp.get("risk_assessment") or _first(sp, "riskassessmentid")
        rid = ids.record_id("risk_assessment", str(rec) if rec else
                            f"{gid.removeprefix('model_group:')}-datahub")
        self.node(NodeKind.RISK_ASSESSMENT, rid, {
            "model_group": gid, "tier": str(tier).lower(),
            "annex_iii_area": _first(sp, "annexiiiarea", "annex_iii_area"),
            "intended_purpose": _first(sp, "intendedpurpose", "intended_purpose"),
            "rationale": cp.get("risk_rationale"),
            "assessor": self.owner(urn, "DATA_STEWARD"),
            "assessed_at": _date(_first(sp, "riskassessedat", "risk_assessed_at")),
            "next_review": _date(_first(sp, "nextriskreview", "next_risk_review")),
        })
        self.edge(EdgeKind.ASSESSES, rid, gid)

    def tier_from_terms(self, urn: str) -> str | None:
        terms = self.a(urn, "glossaryTerms")
        for t in getattr(terms, "terms", None) or []:
            name = t.urn.removeprefix("urn:li:glossaryTerm:").split(".")[-1].lower()
            for w in TIER_WORDS:
                if name.startswith(w):
                    return w
        return None

    def has_records(self, urn: str, kind: str) -> bool:
        return any(r.startswith(kind + ":") for r in self.records_on.get(urn, ()))

    def approvals(self, urn: str, target: str, sp: dict[str, list[Any]]) -> None:
        records = [str(r) for r in _find(sp, "approvalrecordids", "approval_record_ids")
                   if ids.record_id("approval", str(r)) not in self.records
                   and str(r) not in self.records]
        by = [str(x) for x in _find(sp, "approvedby", "approved_by")]
        at = [str(x) for x in _find(sp, "approvedat", "approved_at")]
        envs = [str(x) for x in _find(sp, "approvedenvironments", "approved_environments")]
        status = str(_first(sp, "approvalstatus", "approval_status") or "approved").lower()
        # the evidence links carry each record's full facts
        links: dict[str, dict[str, Any]] = {}
        for link in getattr(self.a(urn, "institutionalMemory"), "elements", None) or []:
            m = APPROVAL_LINK.match((getattr(link, "description", "") or "").strip())
            if m:
                stamp = getattr(link, "createStamp", None)
                links[m.group(1)] = {
                    "decision": m.group(2), "approver": m.group(3), "role": m.group(4),
                    "environment": m.group(5), "evidence": link.url,
                    "decided_at": _ms_to_iso(getattr(stamp, "time", None)),
                }
        for i, rec in enumerate(records):
            aid = rec if rec.startswith("approval:") else ids.record_id("approval", rec)
            facts = links.get(rec.removeprefix("approval:"), {})
            known = self.g.attrs(aid) if aid in self.g else {}
            one = len(records) == 1
            approver = facts.get("approver") or known.get("approver") or (
                by[i] if len(by) == len(records) else by[0] if len(by) == 1 else "unknown")
            attrs = {
                "approver": approver,
                "role": facts.get("role") or known.get("role"),
                "decision": facts.get("decision") or known.get("decision") or (
                    status if one and status in ("approved", "rejected", "conditional")
                    else "approved"),
                "decided_at": facts.get("decided_at") or known.get("decided_at") or (
                    _date(at[-1]) if at and (one or len(by) <= 1) else None),
                "environment": facts.get("environment") or known.get("environment") or (
                    envs[0] if len(envs) == 1 else None),
                "evidence": facts.get("evidence") or known.get("evidence"),
                "model": known.get("model") or (target if self.g.kind(target) ==
                                                NodeKind.MODEL else None),
            }
            self.node(NodeKind.APPROVAL, aid, attrs)
            self.edge(EdgeKind.APPROVES, aid, target)

    def retraining(self, urn: str) -> None:
        """A retraining record per version that carries one (its trigger and reason)."""
        mid = self.node_of.get(urn)
        if mid is None:
            return
        if self.has_records(urn, "retraining"):
            return
        sp = self.structured(urn)
        trigger = _first(sp, "retrainingtrigger", "retraining_trigger")
        if trigger not in ("drift", "schedule", "data-change", "manual"):
            return
        prev = next(iter(self.g.predecessors(mid, EdgeKind.PREVIOUS_VERSION)), None)
        prev_urn = next((u for u, n in self.node_of.items() if n == prev), None)
        named = self.followups.get(prev_urn or "", [])
        rt = named[0] if len(named) == 1 else ids.record_id(
            "retraining", f"{mid.removeprefix('model:')}-datahub")
        runs = self.g.predecessors(mid, EdgeKind.PRODUCED, NodeKind.RUN)
        plan = _first(sp, "withinchangeplan", "within_change_plan")
        alert = next((a for a, r in self.pending_triggers if r == rt), None)
        self.node(NodeKind.RETRAINING, rt, {
            "trigger": trigger, "reason": _first(sp, "retrainingreason", "retraining_reason"),
            "previous_model": prev, "new_model": mid, "run": runs[0] if runs else None,
            "within_change_plan": None if plan is None else str(plan) == "true",
            "alert": alert,
        })
        self.edge(EdgeKind.RETRAINS, rt, mid)
        if prev:
            self.edge(EdgeKind.RETRAINS, prev, rt)
        for r in runs:
            self.edge(EdgeKind.RETRAINS, rt, r)

    def finish(self) -> None:
        for aid, rt in self.pending_triggers:
            if rt not in self.g:
                self.node(NodeKind.RETRAINING, rt, {"trigger": "drift", "alert": aid})
            self.edge(EdgeKind.TRIGGERS, aid, rt)


APPROVAL_LINK = re.compile(
    r"^Approval (\S+): (approved|rejected|conditional) by (.+?)"
    r"(?: \(([^)]*)\))?(?: for (\S+))?$")
DRIFT_TITLE = re.compile(r"^Drift: (\S+?)(?: = ([-+0-9.eE]+))?(?: \(threshold ([-+0-9.eE]+)\))?$")
DRIFT_DESC = re.compile(r"^\S+ = [-+0-9.eE]+( \(threshold [-+0-9.eE]+\))?(; follow-up: .*)?$")
RECORD_KINDS = ("approval", "retraining", "risk_assessment", "alert", "document")
DOC_KIND_VALUES = ("model_card", "datasheet", "bias_report", "evaluation",
                   "transparency_notice", "data_governance", "other")


def _run_properties(props: dict[str, str] | None, exact: str | None
                    ) -> dict[str, str] | None:
    """A run's free-form properties as the store keeps them: its OpenLineage job's owners as
    the JSON list of ``{"name", "type"}``, from ``lineage_owners`` (the list, given when the
    ``owners`` text people read would not read back as it) or that text."""
    if not props or "owners" not in props:
        return props
    from connectors.harvesters.openlineage import dump_owners, load_owners

    return {**props, "owners": dump_owners(load_owners(exact or props["owners"]))}


def _json_dicts(v: str | None) -> list[dict[str, Any]]:
    """The objects of a JSON list property (none when it is not one)."""
    try:
        got = json.loads(v) if v else []
    except ValueError:
        return []
    return [x for x in got if isinstance(x, dict)] if isinstance(got, list) else []


def _edge_attrs(x: dict[str, Any]) -> dict[str, Any]:
    attrs = x.get("attrs")
    return {str(k): v for k, v in attrs.items()} if isinstance(attrs, dict) else {}


def _typed_params(v: str | None) -> dict[str, Any]:
    """A run's parameters that are no text (``lineage_params``: DataHub keeps every value as
    text), as the source gave them."""
    try:
        got = json.loads(v) if v else {}
    except ValueError:
        return {}
    return {str(k): x for k, x in got.items()} if isinstance(got, dict) else {}


def _json_map(v: str | None) -> dict[str, Any]:
    """A JSON object custom property; {} when absent or not one."""
    try:
        got = json.loads(v) if v else {}
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


def _json_list(v: str | None) -> list[str]:
    if not v:
        return []
    try:
        out = json.loads(v)
    except ValueError:
        return [v]
    return [str(x) for x in out] if isinstance(out, list) else [str(out)]


def _labels(v: str | None) -> list[str]:
    """A model group's ``labels`` property (see ``render.labels_property``)."""
    if v and v.startswith("["):
        try:
            got = json.loads(v)
        except ValueError:
            got = None
        if isinstance(got, list) and all(isinstance(x, str) for x in got):
            return got
    return [x for x in (v or "").split(",") if x]


def _number(v: str | None) -> float | None:
    """A property's text as a number; None when it is absent or not a number."""
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return None


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _find(sp: dict[str, list[Any]], *names: str) -> list[Any]:
    """Values of the structured property whose qualified name ends with one of ``names``
    (compared lower-case, so ``io.lineage.riskTier`` matches ``risktier``)."""
    for key, values in sp.items():
        tail = re.split(r"[.:/]", key)[-1].lower().replace("-", "_")
        if tail in names or tail.replace("_", "") in names:
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


def graph_from_mcps(mcps: Iterable[MetadataChangeProposalWrapper]) -> LineageGraph:
    """Rebuild a LineageGraph from DataHub aspects (any order; latest aspect per urn wins)."""
    r = _Reader()
    for mcp in mcps:
        r.add(mcp)
    g = r.build()
    r.finish()
    return g


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


def _context(first: Any, config: Config | None, repo: str | Path | None
             ) -> tuple[Any, Config | None, str | Path | None]:
    """Accept a context object (with ``config`` / ``repo_path``) as the first argument, as
    callers of ``(ctx, **options)`` sources pass it; return (first, config, repo)."""
    if first is None or isinstance(first, str | os.PathLike):
        return first, config, repo
    cfg = config or getattr(first, "config", None)
    where = repo or getattr(first, "repo_path", None) or getattr(first, "repo", None)
    return None, cfg, where


def read_lite(path: str | None = None, *, config: Config | None = None,
              repo: str | Path | None = None, **opts: Any) -> LineageGraph:
    """The lineage graph held in a DataHub Lite file (default: the project's push target).

    ``path`` may also come as option ``file`` or ``dest``; ``config`` / ``repo`` locate the
    default file (the ``datahub-lite`` push target's) when no path is given.
    """
    path, config, repo = _context(path, config, repo)
    path = path or opts.get("file") or opts.get("dest")
    if path is None:
        root, cfg = _config_for(repo)
        cfg = config or cfg
        if root is None or cfg is None:
            raise ConfigError("no DataHub Lite file given and not inside a git repository",
                              hint="name the DataHub Lite .db file (lineage audit --source "
                                   "datahub-lite FILE; read_lite(path) from Python)")
        file = default_lite_file(root, cfg)
    else:
        file = Path(path)
    if not file.exists():
        raise ConfigError(f"DataHub Lite file {file} does not exist",
                          hint="run `lineage push --to datahub-lite` first, or name another "
                               "file (lineage audit --source datahub-lite FILE)")
    from datahub.lite.lite_util import get_datahub_lite

    try:
        lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(file)}},
                                read_only=True)
    except Exception as exc:  # noqa: BLE001 - e.g. sqlite3.DatabaseError: not a database
        raise ConfigError(f"cannot open DataHub Lite file {file}: {exc}",
                          hint="check the path; files from `datahub lite` use sqlite or duckdb"
                          ) from None
    try:
        graph = graph_from_mcps(list(lite.get_all_aspects()))
    except Exception as exc:
        raise ConfigError(f"{file} is not a readable DataHub Lite file: {exc}",
                          hint="check the path; files from `datahub lite` use sqlite or duckdb"
                          ) from exc
    finally:
        if hasattr(lite, "_close_connection"):  # read-only: close() would reindex
            lite._close_connection()
    return _with_lineage(graph, f"DataHub Lite file {file}",
                         "run `lineage push` first, or name the file it writes "
                         "(lineage audit --source datahub-lite FILE)")


# what an audit of a catalog needs at least one of: with none, it would check nothing and pass
ML_KINDS = (NodeKind.MODEL_GROUP, NodeKind.MODEL, NodeKind.RUN, NodeKind.DEPLOYMENT,
            NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT, NodeKind.RETRAINING, NodeKind.ALERT,
            NodeKind.DOCUMENT)


def _with_lineage(graph: LineageGraph, where: str, hint: str) -> LineageGraph:
    """``graph``, unless it holds no ML entity and no governance record (not even one only
    named, such as the group a risk assessment points at before any version exists): an
    empty or zero-byte Lite file, another file, a GMS without ML metadata. Audited, such a
    catalog gave no findings and passed the gate (exit 0)."""
    if not any(graph.node_ids(k) for k in ML_KINDS):
        raise ConfigError(f"{where} holds no ML lineage (no model group, model version, run, "
                          "deployment or governance record): there is nothing to audit",
                          hint=hint)
    return graph


def read_rest(server: str | None = None, token: str | None = None, *,
              config: Config | None = None, repo: str | Path | None = None,
              **opts: Any) -> LineageGraph:
    """The lineage graph held by a DataHub GMS (URL/token as for ``--to datahub-rest``).

    Options: ``timeout`` (seconds per request, default 30), ``retries`` and ``backoff`` as for
    the push, ``hops`` and ``full`` (what is fetched: :func:`_fetch`). The server is checked
    first as the push checks it (``remote.connect_gms``): an unreachable server, one that is
    not GMS, one that never answers and a refused token are one line each (exit 3)."""
    from connectors.sinks.datahub.remote import classify, connect_gms, rest_settings

    server, config, repo = _context(server, config, repo)

    cfg = config
    if cfg is None and (server is None or token is None):
        _, cfg = _config_for(repo)
    from lineage.plugins import option_flag

    option_flag(opts, "full")  # (a bad option is said before any network call)
    _hops(opts)
    options = {**opts, "server": server, "token": token}
    s = rest_settings(options, cfg, command="audit")
    graph = connect_gms(s, reader=True)
    try:
        got = graph_from_mcps(_fetch(graph, opts))
    except LineageError:
        raise
    except Exception as exc:
        raise classify(exc, s) from None
    finally:
        graph.close()
    return _with_lineage(got, f"DataHub GMS at {s.shown_url}",
                         "run `lineage push --to datahub-rest` first, or check the GMS URL "
                         "(the LOCATION argument: `lineage audit --source datahub-rest URL`, "
                         "else DATAHUB_GMS_URL, else datahub.server in lineage.yaml)")


# entity types searched for to start from; everything else is fetched when referenced
SEED_TYPES = ("mlModelGroup", "mlModel", "mlModelDeployment")
REF_RE = re.compile(r"^urn:li:(dataset|dataProcessInstance|dataJob|mlModelDeployment|incident|"
                    r"container|mlModel|mlModelGroup):")


def _refs(obj: Any, out: set[str]) -> None:
    if isinstance(obj, str):
        if REF_RE.match(obj):
            out.add(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            _refs(v, out)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _refs(v, out)


def _hops(opts: dict[str, Any]) -> int:
    """The ``hops`` option: how many steps out of the ML entities the reader follows."""
    raw = opts.get("hops", 4)
    try:
        hops = int(raw)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise ConfigError(f"option hops={raw!r} must be a whole number of 0 or more",
                          hint="e.g. hops=4, the default")
    return hops


def _fetch(graph: Any, opts: dict[str, Any]) -> list[Any]:
    """MCPs of the ML entities of a GMS and of everything they reference.

    A real DataHub holds far more than ML lineage (every table, every Airflow task run), so
    the reader searches only model groups, models and deployments, then follows the urns
    their aspects name (runs, datasets, jobs, incidents, experiments) a few hops out.
    ``full=true`` searches every entity type the reader maps instead.
    """
    from lineage.plugins import option_flag

    types = opts.get("entity_types") or (ENTITY_TYPES if option_flag(opts, "full")
                                         else SEED_TYPES)
    todo: set[str] = set()
    for entity_type in types:
        todo.update(graph.get_urns_by_filter(entity_types=[entity_type]))
    seen: set[str] = set()
    mcps: list[Any] = []
    hops = _hops(opts)
    for _ in range(hops + 1):
        batch = sorted(todo - seen)
        if not batch:
            break
        todo = set()
        for urn in batch:
            seen.add(urn)
            for m in graph.get_entity_as_mcps(urn):
                mcps.append(m)
                _refs(m.aspect.to_obj() if m.aspect is not None else None, todo)
    return mcps


__all__ = ["default_lite_file", "graph_from_mcps", "read_lite", "read_rest"]
