"""Lineage graph → DataHub metadata change proposals (pure: no I/O, no clock, deterministic).

The mapping follows acryl-datahub 1.7's own MLflow/Vertex sources so our entities join theirs
(docs/datahub.md has the full table):

==================  =====================================================================
graph               DataHub
==================  =====================================================================
model_group         ``mlModelGroup`` + risk tier (structured property + EU AI Act term)
model (version)     ``mlModel`` ``<group>_<version>`` with ``versionProperties``,
                    ``sourceCode`` pinned to the commit, approvals, retraining, owners, links;
                    an MLflow-registered version (and its group) on the ``mlflow`` platform,
                    named as DataHub's MLflow source names it (:meth:`_Planner.mlflow_name`)
run                 ``dataProcessInstance`` (subtype "ML Training Run") in an experiment
                    ``container``; ``inputEdges`` carry ``dvc_md5``/``git_commit``
                    (and ``via``, the weak input an identity join resolved)
data                ``dataset`` (one per repository path; versions live on the edges;
                    custom property ``dvc_recorded``: version id → the commit whose DVC
                    file records it, DataHub's stand-in for ``first_commit``/DEFINES)
stage               ``dataJob`` of the ``dataFlow`` of its ``dvc.yaml``; ``versionInfo`` = commit
deployment          ``mlModelDeployment`` + proxy ``dataJob`` (subtype "Model Deployment")
alert               ``incident`` (custom type ``MODEL_DRIFT``) on the model version: a drift
                    alert that fired; a monitoring check that passed (resolved, a drift
                    metric below its threshold: :func:`passed_check`) is a ``dataProcessInstance``
                    (subtype "Monitoring Check") reading the version, result SUCCESS
commit, records     attributes, edge properties, structured properties and links; each
                    record also whole as a custom property ``<kind>.<id>`` (JSON)
==================  =====================================================================

Every entity made from one node carries the node id as custom property ``lineage_id`` (dataset
edges too), so reading DataHub back (``reader.py``) rebuilds the graph with the store's ids and
the audit of the catalog gives the store's findings.

Rendering happens in two steps so that a push can skip unchanged entities cheaply:
:func:`plan` collects, per DataHub entity, a JSON-able *view* holding every fact the entity's
aspects are built from; :func:`build` turns one view into MCPs. :func:`render` is both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from connectors.sinks.approval import (
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
from connectors.sinks.documents import is_url as _is_url
from connectors.sinks.documents import pinned_commit, repository_web
from connectors.sinks.documents import repository_file_link as _file_link
from connectors.sinks.documents import web_url as _web_url
from lineage.audit.context import audit_context
from lineage.audit.registry import parse_time
from lineage.audit.rules import person
from lineage.model import EdgeKind, NodeKind

if TYPE_CHECKING:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from lineage.audit.engine import AuditContext
    from lineage.graph import LineageGraph

__all__ = [
    "APPROVER_OWNERSHIP_TYPE", "CHECK_SUBTYPE", "GLOSSARY_NODE", "PROPERTY_PREFIX",
    "DRIFT_METRICS", "STRUCTURED_PROPERTIES", "EntityPlan", "RepositoryHead", "build",
    "check_urn", "cleared", "incident_urn", "passed_check", "plan", "property_urn", "render",
    "resolved_incident", "summary_resolving", "tier_term_urn",
]

PROPERTY_PREFIX = "io.lineage."
GLOSSARY_NODE = "EUAIAct"
APPROVER_OWNERSHIP_TYPE = "urn:li:ownershipType:model_approver"
DEFAULT_ACTOR = "urn:li:corpuser:lineage"
TIERS = ("unacceptable", "high", "limited", "minimal")
# the audit's order of tiers (lineage.audit.engine.TIER_ORDER): the stricter wins a tie
TIER_RANK = {"minimal": 1, "limited": 2, "high": 3, "unacceptable": 4}
TIER_TEXT = {
    "unacceptable": "Prohibited AI practice (EU AI Act Art. 5): may not be placed on the market.",
    "high": "High-risk AI system (Art. 6, Annex III): risk management, data governance, "
    "technical documentation, logging, human oversight and accuracy obligations apply.",
    "limited": "Limited-risk AI system (Art. 50): transparency obligations apply.",
    "minimal": "Minimal-risk AI system: no specific obligations; voluntary codes of conduct.",
}
# the platform DataHub's MLflow source puts registered models and versions on
MLFLOW_PLATFORM = "mlflow"
RUN_SUBTYPE = "ML Training Run"
DEPLOYMENT_SUBTYPE = "Model Deployment"
# the flow of a model group's deployment proxy jobs (``deployments/<group>``): a subtype names
# the type of one entity, as every subtype DataHub's sources give does ("DVC Pipeline", "ML
# Experiment"); DataHub Lite's ``ls`` lists a type's entities under its name plus an "s"
DEPLOYMENT_FLOW_SUBTYPE = "Model Deployment Pipeline"
OPENLINEAGE_JOB_SUBTYPE = "OpenLineage Job"
INCIDENT_TYPE = "MODEL_DRIFT"
# a monitoring check that passed: a run of the check, not an incident (DataHub 1.7's
# assertions may only target datasets: ``CustomAssertionInfo.entity`` and
# ``AssertionRunEvent.asserteeUrn`` are validated as dataset urns)
CHECK_SUBTYPE = "Monitoring Check"
# the priority of an incident (DataHub: 0 critical … 3 low): an active drift alert is high
INCIDENT_PRIORITY = {"ACTIVE": 1, "RESOLVED": 3}
# governance records kept whole as custom properties of the entities they are about
RECORD_KINDS = (NodeKind.APPROVAL, NodeKind.RETRAINING, NodeKind.RISK_ASSESSMENT, NodeKind.ALERT,
                NodeKind.DOCUMENT)
RECORD_EDGES = (EdgeKind.APPROVES, EdgeKind.RETRAINS, EdgeKind.ASSESSES, EdgeKind.ALERTS,
                EdgeKind.TRIGGERS, EdgeKind.DOCUMENTS)
# records a correction can supersede (``properties.supersedes``), as the audit reads them

# facts of a data version kept per version on its dataset (``version_facts``)
VERSION_FACTS = ("size", "nfiles", "import_url", "import_rev", "import_rev_lock")

_MODEL_ENTITIES = ["urn:li:entityType:datahub.mlModel"]
_GROUP_AND_MODEL = ["urn:li:entityType:datahub.mlModelGroup", "urn:li:entityType:datahub.mlModel"]
_MODEL_AND_JOB = ["urn:li:entityType:datahub.mlModel", "urn:li:entityType:datahub.dataJob"]

# name → (display name, value type, cardinality, allowed values, entity types, description)
STRUCTURED_PROPERTIES: dict[str, tuple[str, str, str, tuple[str, ...], list[str], str]] = {
    "riskTier": ("EU AI Act risk tier", "string", "SINGLE", TIERS, _GROUP_AND_MODEL,
                 "Risk tier from the latest risk assessment of the AI system."),
    "annexIIIArea": ("Annex III area", "string", "SINGLE", (), _GROUP_AND_MODEL,
                     "High-risk area of EU AI Act Annex III, when one applies."),
    "intendedPurpose": ("Intended purpose", "string", "SINGLE", (), _GROUP_AND_MODEL,
                        "Intended purpose of the AI system (EU AI Act Art. 3(12))."),
    "riskAssessedAt": ("Risk assessed at", "date", "SINGLE", (), _GROUP_AND_MODEL,
                       "Date of the latest risk assessment."),
    "nextRiskReview": ("Next risk review", "date", "SINGLE", (), _GROUP_AND_MODEL,
                       "Date by which the risk assessment must be reviewed."),
    # (allowed values may only be added to a definition GMS holds: "unapproved" and "not
    # checked" were; "pending" stays allowed, lineage no longer writes it)
    "approvalStatus": ("Approval status", "string", "SINGLE",
                       ("approved", "conditional", "rejected", "pending", "unapproved",
                        "not checked"),
                       _MODEL_AND_JOB,
                       "As lineage audit judges it. A deployment: approved, or unapproved "
                       "(deployment-approved or four-eyes finds it, waived or not); not "
                       "checked when the policy applies neither rule to it (a tier it exempts, "
                       "the rules off). A version: unapproved when the audit refuses a live "
                       "deployment of it, or one it had where it runs no more (retired); else, "
                       "running somewhere, every live deployment checked, approved; running "
                       "nowhere, or somewhere the policy leaves unchecked, the latest decision "
                       "the audit holds (an approval in force, or a rejection); unapproved "
                       "when it holds none, or none for an environment it runs in unchecked "
                       "(no approval on record). Earlier pushes wrote pending for no "
                       "decision."),
    "approvalByEnvironment": ("Approval by environment", "string", "MULTIPLE", (),
                              _MODEL_ENTITIES,
                              "Per environment, as lineage audit judges it: '<env>: approved' "
                              "or '<env>: unapproved' where the version runs; '<env>: approved, "
                              "retired' or '<env>: unapproved, retired' where it ran and runs "
                              "no more (its deployments there); where the audit judged none "
                              "(or not all) of its deployments (a tier the policy exempts), "
                              "'<env>: approved, not checked' (runs there) or '<env>: "
                              "approved, not checked, retired' (ran there) when an approval "
                              "in force names it, else '<env>: not checked, deployed' or "
                              "'<env>: not checked, retired'; '<env>: approved, not "
                              "deployed' for approvals in force where it never ran."),
    "approvedBy": ("Approved by", "string", "MULTIPLE", (), _MODEL_AND_JOB,
                   "Approvers whose approving decision the audit holds in force (on a "
                   "deployment: that counts for it); four-eyes may still not count them."),
    "approvedAt": ("Approved at", "date", "SINGLE", (), _MODEL_AND_JOB,
                   "Date of the latest approving decision in force."),
    "approvedEnvironments": ("Approved environments", "string", "MULTIPLE", (), _MODEL_AND_JOB,
                             "Environments the audit grants the version: every live deployment "
                             "there approved; where it ran and runs no more, every deployment "
                             "it had there; where it never ran, or runs or ran unchecked (a tier "
                             "the policy exempts), an approval in force."),
    "approvalRecordIds": ("Approval record ids", "string", "MULTIPLE", (), _MODEL_AND_JOB,
                          "Ids of the approval records (evidence in the lineage store)."),
    "retrainingTrigger": ("Retraining trigger", "string", "SINGLE",
                          ("drift", "schedule", "data-change", "manual"), _MODEL_ENTITIES,
                          "Why this version was retrained."),
    "retrainingReason": ("Retraining reason", "string", "SINGLE", (), _MODEL_ENTITIES,
                         "Free-text reason from the retraining record."),
    "withinChangePlan": ("Within predetermined change plan", "string", "SINGLE",
                         ("true", "false"), _MODEL_ENTITIES,
                         "Whether the retraining stays within the change plan (Art. 43(4))."),
}


def property_urn(name: str) -> str:
    return f"urn:li:structuredProperty:{PROPERTY_PREFIX}{name}"


def tier_term_urn(tier: str) -> str:
    return f"urn:li:glossaryTerm:{GLOSSARY_NODE}.{tier.capitalize()}"


# the metrics a record names whose threshold is a ceiling: divergences from the reference
# distribution, 0 when nothing drifted, growing with drift (the ones ``lineage record alert
# --metric`` and the record schema name). A record's metric is what says which way its
# threshold goes: of any other (accuracy, AUC: lower is worse; a metric lineage does not
# know) a value below the threshold may be the alert that fired.
DRIFT_METRICS = frozenset({"psi", "kl_divergence", "ks_statistic"})


def passed_check(a: dict[str, Any]) -> bool:
    """Whether an alert record (its attributes) is a monitoring check that passed rather than
    an alert that fired: resolved, of a drift metric whose threshold is a ceiling
    (:data:`DRIFT_METRICS`: PSI, KL divergence, KS statistic grow with drift), its value below
    its threshold. No record field says a record passed: ``lineage show`` and the audit read
    every one as an alert with its status. An open or acknowledged record, one at or above its
    threshold, one without both numbers, or one of another metric (accuracy fell below its
    floor: lower is worse) is what it was recorded as: an alert, an incident in DataHub."""
    value, threshold = a.get("value"), a.get("threshold")
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool)
                  for x in (value, threshold))
    metric = a.get("metric")
    ceiling = isinstance(metric, str) and metric.strip().lower() in DRIFT_METRICS
    return a.get("status") == "resolved" and ceiling and numbers \
        and value < threshold  # type: ignore[operator]


def incident_urn(alert_nid: str) -> str:
    """The incident of an alert record that fired (also the urn an earlier lineage gave a
    passed check, which :mod:`reader` knows as the record's)."""
    from datahub.emitter.mce_builder import datahub_guid

    return f"urn:li:incident:{datahub_guid({'source': 'lineage', 'alert': alert_nid})}"


def check_urn(alert_nid: str) -> str:
    """The ``dataProcessInstance`` of a monitoring check that passed (:func:`passed_check`)."""
    from datahub.emitter.mce_builder import datahub_guid

    return f"urn:li:dataProcessInstance:{datahub_guid({'source': 'lineage', 'check': alert_nid})}"


@dataclass
class EntityPlan:
    """One DataHub entity to emit: its urn, the graph nodes it comes from and its view.

    ``former``: the urns an earlier mapping gave the entity (an MLflow-registered model on
    the ``dvc`` platform), which a push retires (soft delete) where it had sent them."""

    urn: str
    kind: str  # builder name
    nodes: list[str]
    view: dict[str, Any] = field(default_factory=dict)
    former: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RepositoryHead:
    """What the repository's DVC files define at the commit a push judges the graph by: the
    checkout's ``HEAD`` (else its nearest harvested ancestor), read from git by the sink.

    ``stages``: each ``dvc.yaml`` there (and each DVC 0.x stage file) → the stages it
    defines, by the name a stage node carries (``train@us`` for an expanded one; ``train@*``
    when the items of a ``foreach``/``matrix`` stage are not written in the file), None for a
    file that cannot be read (nothing in it is judged). A file not named is not there.
    ``paths``: the paths those files track (the ``.dvc`` files' outs, the deps and outs of the
    ``dvc.lock`` entries of the stages ``dvc.yaml`` defines: DVC keeps a removed stage's entry
    in ``dvc.lock``); None when a DVC file there cannot be read (no dataset is judged)."""

    commit: str
    stages: dict[str, frozenset[str] | None]
    paths: frozenset[str] | None

    def defines(self, dvc_yaml: str, name: str) -> bool | None:
        """Whether the stage ``name`` of ``dvc_yaml`` is there (None: cannot be told)."""
        if dvc_yaml not in self.stages:
            return False
        names = self.stages[dvc_yaml]
        if names is None:
            return None
        return name in names or f"{name.split('@', 1)[0]}@*" in names


# -- small helpers -----------------------------------------------------------------------------
def _ms(t: Any) -> int | None:
    """ISO time (as stored in attrs) → epoch milliseconds; None stays None."""
    if not t:
        return None
    if isinstance(t, datetime):
        return int(t.timestamp() * 1000)
    s = str(t).replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _date(t: Any) -> str | None:
    """ISO time → YYYY-MM-DD, the only date form DataHub structured properties accept."""
    if not t:
        return None
    s = str(t)
    return s[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", s) else None


_USER_BAD = re.compile(r"[\s,()]+")


def _principal(who: str) -> str:
    """The id part of a corpuser / corpGroup urn: the email address in a spelling, in lower
    case, as the audit reads a person (:func:`lineage.audit.rules.person`: ``ADA@bank.example``
    and ``Ada <ada@bank.example>`` are ``ada@bank.example``); else the name lower-cased with
    dots."""
    who = who.strip()
    p = person(who) if "@" in who else None
    who = p.email if p is not None and p.email is not None else who.lower()
    return _USER_BAD.sub(".", who).strip(".") or "unknown"


def user_urn(who: str) -> str:
    """A person as a corpuser urn: the email in lower case, else the name lower-cased with
    dots. A corpuser urn given as the name (``urn:li:corpuser:jdoe``) is that person, not a
    new one."""
    who = who.strip()
    if who.lower().startswith("urn:li:corpuser:"):
        who = who[len("urn:li:corpuser:"):]
    return f"urn:li:corpuser:{_principal(who)}"


# OpenLineage owner names (the ownership facets' ``name``: "a URN, e.g. application:foo,
# user:jdoe, team:data") → DataHub owner urns. DataHub's own OpenLineage converter makes every
# name a corpuser as written (``urn:li:corpuser:user:jdoe``); here ``user:jdoe`` is the person
# ``jdoe`` every other source (an MLflow run's user, a record's author) names, and a team or
# group is a corpGroup. Any other prefix (``application:etl``) stays in the corpuser id, as in
# DataHub's converter: a service account, not the person ``etl``.
_GROUP_PREFIXES = ("team:", "group:")
OWNERSHIP_TYPES = ("TECHNICAL_OWNER", "BUSINESS_OWNER", "DATA_STEWARD")


def owner_urn(name: str) -> str | None:
    """The DataHub owner urn (corpuser or corpGroup) of an OpenLineage owner name."""
    name = name.strip()
    low = name.lower()
    if low.startswith("urn:li:corpgroup:"):
        rest = name[len("urn:li:corpGroup:"):].strip()
        return f"urn:li:corpGroup:{_principal(rest)}" if rest else None
    for prefix in _GROUP_PREFIXES:
        if low.startswith(prefix):
            rest = name[len(prefix):].strip()
            return f"urn:li:corpGroup:{_principal(rest)}" if rest else None
    if low.startswith("user:"):
        name = name[len("user:"):]
    elif low.startswith("urn:li:corpuser:"):
        name = name[len("urn:li:corpuser:"):]
    return user_urn(name) if name.strip() else None


def labels_property(labels: list[str]) -> str | None:
    """A model group's labels as one custom property: joined with ``,`` (what DataHub's UI
    reads), or a JSON list when a label holds a ``,`` or starts with ``[`` (it would be split
    or misread). :func:`connectors.sinks.datahub.reader` reads either back."""
    if not labels:
        return None
    if any("," in x or x.startswith("[") for x in labels):
        return json.dumps(list(labels), ensure_ascii=False)
    return ",".join(labels)


def source_owners(value: Any) -> list[tuple[str, str]]:
    """``(owner urn, ownership type)`` of a node's ``properties.owners`` (the OpenLineage
    ownership facets as the harvester keeps them: :func:`load_owners`), in their order. A type
    that is one of DataHub's (``DATA_STEWARD``, ``BUSINESS_OWNER``, ``TECHNICAL_OWNER``) is
    kept; any other (OpenLineage's are free text: ``MAINTAINER``) is ``TECHNICAL_OWNER``,
    DataHub's replacement for the ``DEVELOPER`` its converter writes."""
    from connectors.harvesters.openlineage import load_owners

    out: list[tuple[str, str]] = []
    for owner in load_owners(value):
        urn = owner_urn(str(owner["name"]))
        if urn is None:
            continue
        kind = re.sub(r"[\s-]+", "_", (owner.get("type") or "").strip()).upper()
        item = (urn, kind if kind in OWNERSHIP_TYPES else "TECHNICAL_OWNER")
        if item not in out:
            out.append(item)
    return out


# OpenLineage dataset namespace → DataHub platform, as DataHub's OpenLineage converter maps
# them (``OpenLineageToDataHub.getDatasetUrnFromOlDataset``, with ``HdfsPlatform``): a
# namespace with a scheme (``postgres://host:5432``, ``snowflake://org-account``,
# ``kafka://broker:9092``) is that scheme's platform and the dataset keeps its name; object
# stores and files are named by bucket (container) and path; a bare namespace (``bigquery``,
# ``file``, ``hive``) is the platform itself. The datasets DataHub's own OpenLineage
# integration and its ingestion sources make are then the same entities.
_OL_SCHEME_PLATFORMS = {"awsathena": "athena", "sqlserver": "mssql"}
_FS_PLATFORMS = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gcs", "gcs": "gcs",
                 "abfs": "abs", "abfss": "abs", "wasb": "abs", "wasbs": "abs",
                 "dbfs": "dbfs", "file": "file"}
_PLATFORM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def openlineage_dataset(namespace: str, name: str) -> tuple[str, str] | None:
    """(DataHub platform, dataset name) of an OpenLineage dataset, as DataHub's OpenLineage
    converter makes them; None when the namespace names no platform a urn can hold."""
    if "://" in namespace:
        scheme = namespace.split("://", 1)[0]
        if scheme in _FS_PLATFORMS:
            joined = namespace + name if namespace.endswith("/") or name.startswith("/") \
                else f"{namespace}/{name}"
            parts = joined.rstrip("/").split("://")
            if len(parts) != 2 or not parts[1]:
                return None
            platform = _FS_PLATFORMS[scheme]
            # a file keeps its leading slash (an absolute path); a bucket has none
            return platform, parts[1] if platform == "file" else parts[1].removeprefix("/")
        platform = _OL_SCHEME_PLATFORMS.get(scheme, scheme)
    else:
        platform = namespace
    return (platform, name) if _PLATFORM_RE.match(platform) and name else None


def location_dataset(location: str) -> tuple[str, str] | None:
    """(DataHub platform, dataset name) of a file or object a URI names (an MLflow dataset's
    source), as DataHub's OpenLineage converter names the same URI; None for anything else
    (a table name, a Hugging Face dataset, an http URL)."""
    scheme, sep, rest = location.partition("://")
    if not sep or scheme.lower() not in _FS_PLATFORMS:
        return None
    return openlineage_dataset(f"{scheme.lower()}://", rest)


def _run_owners(props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A run's ``properties`` with its owners as people read them (``team:churn-ml, user:jdoe
    (MAINTAINER)``; no owner left: no property), and the owners as the store keeps them (the
    JSON list) when that text does not read back as them (a name holding ``, `` or
    parentheses), else None: a reader gets them exactly either way."""
    if "owners" not in props:
        return props, None
    from connectors.harvesters.openlineage import dump_owners, load_owners, owner_label

    out = {k: v for k, v in props.items() if k != "owners"}
    owners = load_owners(props["owners"])
    if not owners:
        return out, None
    out["owners"] = ", ".join(owner_label(o) for o in owners)
    return out, None if load_owners(out["owners"]) == owners else dump_owners(owners)


_OL_PRODUCER = re.compile(r"^https://github.com/OpenLineage/OpenLineage/.*/(.*)$")


def openlineage_orchestrator(producer: str | None) -> str:
    """The orchestrator DataHub's OpenLineage converter names a job's flow after, from the
    events' ``producer`` (``…/OpenLineage/OpenLineage/tree/1.9.1/integration/spark`` → spark,
    Airflow's provider → airflow); ``openlineage`` for any other producer (the converter
    would take the run's processing engine, which is not kept, or give the job no flow)."""
    m = _OL_PRODUCER.match(producer or "")
    if m and m.group(1):
        return m.group(1)
    if (producer or "").startswith("https://github.com/apache/airflow/"):
        return "airflow"
    return "openlineage"


_NAT = re.compile(r"(\d+)")


def _natural(v: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in _NAT.split(v.lstrip("vV")))


def _str_map(d: dict[str, Any]) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else _json(v) for k, v in sorted(d.items())
            if v is not None}


def _free(props: dict[str, Any]) -> dict[str, str]:
    """Names of the node's free-form ``properties`` among the custom properties (they share
    the map with ours), so a reader can tell them apart (e.g. ``monitoring_checked_at``)."""
    return {"lineage_properties": _json(sorted(props))} if props else {}


def _undescribed(v: dict[str, Any]) -> dict[str, str]:
    """An entity for a node that an edge or record names but no source described: the reader
    keeps it undescribed (the audit reports the dangling reference)."""
    return {"lineage_placeholder": "true"} if v.get("placeholder") else {}


def _json(v: Any) -> str:
    from lineage.serialize import dumps_str

    return dumps_str(v)


def _urn_then_props(edge: tuple[str, dict[str, Any]]) -> tuple[str, str]:
    """Sort key of an (urn, edge properties) pair: the urn, then the properties' JSON."""
    return edge[0], _json(edge[1])


def _person(name: Any, email: Any) -> str | None:
    """Who a corpuser urn is made of: the email a source gave with the name (GTO's tagger,
    ``created_by_email`` / ``deployed_by_email``), else the name. Approvers are written as
    emails: one person is then one corpuser in every role (a creator approving their own
    version shows as such)."""
    if isinstance(email, str) and "@" in email:
        return email
    return str(name) if name else None


def _who(v: dict[str, Any], who: Any) -> Any:
    """A person named in a view as the corpuser to make of them: the email address the store
    pairs a bare display name with (the view's ``aka``, :meth:`_Planner.aka`), else the
    spelling as given (:func:`user_urn` reads an email in it)."""
    if isinstance(who, str):
        return (v.get("aka") or {}).get(who, who)
    return who


def _shown_person(v: dict[str, Any], who: str) -> str:
    """How a structured property names a person: their email address in lower case when the
    spelling holds one or the store pairs the name with one, else the name as written (two
    spellings of one address are one value)."""
    p = person(_who(v, who))
    return p.email if p is not None and p.email is not None else who


def _parent_dir(path: str) -> str:
    """The folder a repository path is in ("" at the top)."""
    return path.strip("/").rpartition("/")[0]


# GMS refuses an urn longer than 512 bytes once URL-encoded (``UrnValidationUtil``: "cannot
# provide an URN longer than 512 bytes (when URL encoded)"), and answers 422 for the whole
# batch. A flow keeps room for its jobs, whose urns hold it.
URN_BYTES_LIMIT = 512
_FLOW_BYTES_LIMIT = URN_BYTES_LIMIT - 64
_SHORT_MARK = "..."


def urn_bytes(urn: str) -> int:
    """Length of ``urn`` as GMS measures it: Java's ``URLEncoder.encode`` (UTF-8), which keeps
    letters, digits and ``.-*_``, writes a space as ``+`` and escapes all else (``~`` too)."""
    from urllib.parse import quote_plus

    return len(quote_plus(urn, safe="*")) + 2 * urn.count("~")


def short_name(name: str, keep: int) -> str:
    """``name`` cut to its first ``keep`` characters, marked, and told apart from every other
    cut by a digest of the whole name: ``<head>...<16 hex of sha256(name)>``."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{name[:keep]}{_SHORT_MARK}{digest}"


def is_short_name(short: str, name: str) -> bool:
    """Whether ``short`` is what :func:`fit_urn` made of ``name``."""
    head, mark, digest = short.rpartition(_SHORT_MARK)
    return bool(mark) and name.startswith(head) and short == short_name(name, len(head))


def fit_urn(make: Callable[[str], str], name: str, limit: int = URN_BYTES_LIMIT) -> str:
    """``make(name)``, or when that urn is longer than GMS takes, ``make`` of the longest
    :func:`short_name` of ``name`` that fits. The display name and qualified name keep the
    whole name; the urn stays stable (the same name always gives the same cut)."""
    urn = make(name)
    if (urn.isascii() and 3 * len(urn) <= limit) or urn_bytes(urn) <= limit:
        return urn
    lo, hi = 0, len(name) - 1  # the longest head that fits: urn_bytes grows with the head
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if urn_bytes(make(short_name(name, mid))) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return make(short_name(name, lo))


class UrnBuilders(TypedDict):
    """The urn makers of one platform and environment (:func:`urn_builders`)."""

    dataset: Callable[[str], str]
    flow: Callable[[str], str]
    job: Callable[[str, str], str]  # (flow urn, job id)
    model: Callable[[str], str]
    group: Callable[[str], str]
    deployment: Callable[[str], str]


def urn_builders(platform: str, env: str, lowercase_urns: bool = False) -> UrnBuilders:
    """Urn makers equal to acryl-datahub's ``make_*_urn`` (tested), without their parse and
    validate round trip (a third of a no-change push). Names are urn-encoded everywhere:
    ``make_ml_model_urn`` does not encode, so a name with a comma would make a broken urn.
    ``lowercase_urns``: dataset names lower-cased, as DataHub's ``lowercase_dataset_urn``.
    A name that would make an urn longer than GMS takes is cut (:func:`fit_urn`)."""
    from datahub.utilities.urn_encoder import UrnEncoder

    enc = UrnEncoder.encode_string
    pl = f"urn:li:dataPlatform:{platform}"
    denv = env.upper()
    low = str.lower if lowercase_urns else str

    def dataset(name: str) -> str:
        return fit_urn(lambda n: f"urn:li:dataset:({pl},{enc(n)},{denv})", low(name))

    def flow(flow_id: str) -> str:
        return fit_urn(lambda n: f"urn:li:dataFlow:({platform},{enc(n)},{env})", flow_id,
                       _FLOW_BYTES_LIMIT)

    def job(flow_urn: str, job_id: str) -> str:
        return fit_urn(lambda n: f"urn:li:dataJob:({flow_urn},{enc(n)})", job_id)

    def model(name: str) -> str:
        return fit_urn(lambda n: f"urn:li:mlModel:({pl},{enc(n)},{env})", name)

    def group(name: str) -> str:
        return fit_urn(lambda n: f"urn:li:mlModelGroup:({pl},{enc(n)},{env})", name)

    def deployment(name: str) -> str:
        return fit_urn(lambda n: f"urn:li:mlModelDeployment:({pl},{enc(n)},{env})", name)

    return {"dataset": dataset, "flow": flow, "job": job, "model": model, "group": group,
            "deployment": deployment}


# -- planning: graph → views --------------------------------------------------------------------
class _E(NamedTuple):
    source: str
    target: str
    attrs: dict[str, Any]


class _Index:
    """Read-only adjacency of the graph by edge kind, built in one pass: the planner asks a
    handful of neighbour questions per node, and answering them through networkx views cost
    more than everything else in a no-change push."""

    def __init__(self, graph: LineageGraph) -> None:
        nxg = graph.nx
        self._nodes: dict[str, dict[str, Any]] = dict(nxg.nodes(data=True))
        self._in: dict[str, dict[str, list[_E]]] = {}
        self._out: dict[str, dict[str, list[_E]]] = {}
        ins, outs = self._in, self._out
        # the adjacency dicts themselves: networkx's edge views cost 3× more per edge
        for s, nbrs in nxg.adj.items():
            if not nbrs:
                continue
            out_s = outs.setdefault(s, {})
            for t, keyed in nbrs.items():
                in_t = ins.setdefault(t, {})
                for k, d in keyed.items():
                    e = _E(s, t, d["attrs"])
                    out_s.setdefault(k, []).append(e)
                    in_t.setdefault(k, []).append(e)

    def __contains__(self, nid: object) -> bool:
        return nid in self._nodes

    def attrs(self, nid: str) -> dict[str, Any]:
        return self._nodes[nid]["attrs"]  # type: ignore[no-any-return]

    def kind(self, nid: str) -> NodeKind:
        return self._nodes[nid]["kind"]  # type: ignore[no-any-return]

    def is_placeholder(self, nid: str) -> bool:
        return bool(self._nodes[nid].get("placeholder"))

    def node_ids(self) -> list[str]:
        return list(self._nodes)

    def in_edges(self, nid: str, kind: EdgeKind) -> list[_E]:
        by_kind = self._in.get(nid)
        return by_kind.get(kind, []) if by_kind else []  # a StrEnum is its string

    def out_edges(self, nid: str, kind: EdgeKind) -> list[_E]:
        by_kind = self._out.get(nid)
        return by_kind.get(kind, []) if by_kind else []

    def predecessors(self, nid: str, kind: EdgeKind, node_kind: NodeKind | None = None
                     ) -> list[str]:
        edges = self.in_edges(nid, kind)
        if not edges:
            return []
        nodes = self._nodes
        return sorted({e.source for e in edges
                       if node_kind is None or nodes[e.source]["kind"] == node_kind})

    def successors(self, nid: str, kind: EdgeKind, node_kind: NodeKind | None = None
                   ) -> list[str]:
        edges = self.out_edges(nid, kind)
        if not edges:
            return []
        nodes = self._nodes
        return sorted({e.target for e in edges
                       if node_kind is None or nodes[e.target]["kind"] == node_kind})


class _Planner:
    def __init__(self, graph: LineageGraph, platform: str, env: str,
                 lowercase_urns: bool = False,
                 record_times: dict[str, tuple[str | None, str | None]] | None = None,
                 audit: AuditContext | None = None,
                 head: RepositoryHead | None = None) -> None:
        self.g = _Index(graph)
        self.head = head
        self.graph = graph
        self.record_times = record_times or {}
        self.platform = platform
        self.env = env
        self.lowercase_urns = lowercase_urns
        u = urn_builders(platform, env, lowercase_urns)
        self._dataset, self._flow, self._job = u["dataset"], u["flow"], u["job"]
        self._model, self._group, self._deployment = u["model"], u["group"], u["deployment"]
        # MLflow-registered groups and versions: the urns DataHub's MLflow source makes, on
        # its platform, in its environment (its ``env`` setting, upper-cased by its config)
        m = urn_builders(MLFLOW_PLATFORM, env.upper())
        self._mlflow_model, self._mlflow_group = m["model"], m["group"]
        self.urn_of: dict[str, str] = {}
        self.former_urns: dict[str, list[str]] = {}  # node → urns earlier mappings gave it
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._by_kind: dict[NodeKind, list[str]] = defaultdict(list)
        for nid in sorted(self.g.node_ids()):
            self._by_kind[self.g.kind(nid)].append(nid)
        # the governance state is what the audit reads (lineage audit, lineage show): its own
        # context answers which records a correction superseded (one dated ahead of its
        # writing, written before what it names, about another person's approval or another
        # system, or in a cycle corrects nothing), the assessment in force, the deployments'
        # state, the approvals that count and the retraining that trained a version
        self.audit = audit if audit is not None else audit_context(graph)
        self.superseded: dict[str, list[str]] = self.audit.superseded
        self._explained: dict[str, dict[str, Any] | None] = {}
        self._current: dict[str, str] = {}

    def explain(self, model_nid: str | None) -> dict[str, Any] | None:
        """What the audit reads of the version class of ``model_nid`` (None: no class),
        once per class."""
        v = self.audit.version_of(model_nid) if model_nid else None
        if v is None:
            return None
        if v not in self._explained:
            self._explained[v] = self.audit.explain(
                v, data_attrs=lambda d: self.attrs(d) if d in self.g else {})
        return self._explained[v]

    def counts(self, rid: str) -> bool:
        """A described record no correction superseded."""
        return not self.g.is_placeholder(rid) and rid not in self.superseded

    # -- approval: what the audit grants ------------------------------------------------------
    def gate(self) -> dict[str, bool]:
        """Deployment node id → whether the audit grants it its approval
        (:func:`connectors.sinks.approval.deployment_gate`, shared with the Atlas sink). Run
        once per render, only when the graph holds a deployment."""
        hit = self._cache.get(("gate",))
        if hit is None:
            hit = self._cache[("gate",)] = self._gate()
        return hit

    def _gate(self) -> dict[str, bool]:
        if not self.ids(NodeKind.DEPLOYMENT):
            return {}
        return deployment_gate(self.audit)

    def version_gate(self, nid: str) -> dict[str, bool]:
        """Environment → whether the audit grants every live deployment of the version class
        of ``nid`` there its approval (:meth:`gate`); environments it runs in only."""
        if not self.ids(NodeKind.DEPLOYMENT):
            return {}
        return environment_gate(self.audit, self.gate(), self.audit.version_of(nid))

    def unchecked(self, nid: str) -> list[str]:
        """The environments the version class of ``nid`` runs in where the audit judged not
        every live deployment and refused none (:meth:`gate`;
        :func:`connectors.sinks.approval.unchecked_environments`, shared with the Atlas
        sink): it runs there unchecked."""
        if not self.ids(NodeKind.DEPLOYMENT):
            return []
        return unchecked_environments(self.audit, self.gate(), self.audit.version_of(nid))

    def retired_gate(self, nid: str) -> dict[str, bool | None]:
        """Environment → the audit's verdict on the deployments the version class of ``nid``
        had there, for the environments it ran in and runs in no more (:meth:`gate`;
        :func:`connectors.sinks.approval.retired_environment_gate`, shared with the Atlas
        sink): True when the audit grants each one it judged its approval, False when it
        refuses any, None when it judged none."""
        if not self.ids(NodeKind.DEPLOYMENT):
            return {}
        return retired_environment_gate(self.audit, self.gate(), self.audit.version_of(nid))

    # -- people: one person is one corpuser in every role ------------------------------------
    def directory(self) -> dict[str, str]:
        """Display name (as :func:`lineage.audit.rules.person` reads a bare name: trimmed, in
        lower case) → the one email address the store pairs it with: a commit's author or
        committer, a GTO tagger (``created_by`` / ``created_by_email``), a deployer
        (``deployed_by`` / ``deployed_by_email``). A name the store pairs with several
        addresses, or with none, is no one's here: it stays a corpuser of its own."""
        hit: dict[str, str] | None = self._cache.get(("directory",))
        if hit is not None:
            return hit
        seen: dict[str, set[str]] = defaultdict(set)

        def pair(name: Any, email: Any) -> None:
            if not isinstance(name, str) or not isinstance(email, str) or not name.strip():
                return
            who = person(email)
            if who is not None and who.email is not None and "@" not in name:
                seen[name.strip().lower()].add(who.email)

        for c in self.ids(NodeKind.COMMIT):
            a = self.attrs(c)
            for role in ("author", "committer"):
                p = a.get(role)
                if isinstance(p, dict):
                    pair(p.get("name"), p.get("email"))
        for kind, name, email in ((NodeKind.MODEL, "created_by", "created_by_email"),
                                  (NodeKind.DEPLOYMENT, "deployed_by", "deployed_by_email")):
            for nid in self.ids(kind):
                a = self.attrs(nid)
                props = a.get("properties")
                pair(a.get(name), props.get(email) if isinstance(props, dict) else None)
        out = {name: next(iter(emails)) for name, emails in sorted(seen.items())
               if len(emails) == 1}
        self._cache[("directory",)] = out
        return out

    def aka(self, *spellings: Any) -> dict[str, str]:
        """The spellings among ``spellings`` that are a bare display name the store pairs with
        one email address (:meth:`directory`) → that address: ``Ada Dev`` → ``ada@bank.example``
        when a commit of ``Ada Dev <ada@bank.example>`` says so."""
        known = self.directory()
        out: dict[str, str] = {}
        for who in spellings:
            if not isinstance(who, str) or not who.strip() or "@" in who:
                continue
            email = known.get(who.strip().lower())
            if email is not None:
                out[who] = email
        return out

    # ids
    def attrs(self, nid: str) -> dict[str, Any]:
        return self.g._nodes[nid]["attrs"]  # type: ignore[no-any-return]

    def ids(self, kind: NodeKind) -> list[str]:
        return self._by_kind.get(kind, [])

    def repo_key(self, a: dict[str, Any], nid: str) -> str:
        """The key of the repository a data or stage node belongs to, as the repository is
        named now: a remote added or changed moved its identity (``superseded_by``), and the
        facts harvested under the former id (kept in the store's audit trail) are the same
        files and stages, so they land on the same datasets and jobs."""
        from lineage.ids import repo_key

        repo = a.get("repository")
        if repo:
            return repo_key(self.current_repository(str(repo)))
        # data:<repo key>:<path>@hash — fall back to the id's repository part
        body = nid.split(":", 1)[1]
        path = a.get("path") or ""
        if path and f":{path}@" in body:
            key = body.split(f":{path}@", 1)[0]
            return repo_key(self.current_repository(f"repository:{key}"))
        return ""

    def current_repository(self, repo: str) -> str:
        """``repo`` as the repository is named now: its ``superseded_by`` chain followed."""
        found = self._current.get(repo)
        if found is None:
            found = self._current[repo] = self.graph.current_repository(repo)
        return found

    def former(self, nid: str) -> bool:
        """A data or stage node harvested under a former identity of its repository."""
        repo = self.attrs(nid).get("repository")
        return bool(repo) and self.current_repository(str(repo)) != repo

    def current_nodes(self, nids: list[str]) -> list[str]:
        """The nodes of an entity harvested under the repository's current identity, when
        any is (a remote added re-harvests every fact under the new id): the view is theirs
        alone, not the old id's copies of the same versions and lock entries."""
        now = [n for n in nids if not self.former(n)]
        return now or nids

    def dataset_name(self, nid: str) -> str:
        a = self.attrs(nid)
        path = a.get("path") or nid.split(":", 1)[1].rsplit("@", 1)[0]
        if a.get("namespace"):
            return f"{a['namespace']}/{path}"
        rk = self.repo_key(a, nid)
        if not rk:
            # a node whose id names it otherwise than by its path (an MLflow dataset: its
            # tracking store and dataset name; ``path`` is where the source says the data is)
            # keeps the dataset its id names, so two stores' datasets stay apart and an
            # existing catalog's urns hold
            name = (a.get("properties") or {}).get("name")
            body = nid.split(":", 1)[1].rsplit("@", 1)[0]
            if name and body.endswith(f":{name}"):
                return f"{body[: -len(name) - 1]}/{name}"
        return f"{rk}/{path}" if rk else path

    def dataset_urn(self, nid: str) -> str:
        """A data node's dataset: a DVC file (all its versions) on the configured platform
        (``dvc``); an OpenLineage dataset on its own platform, as DataHub's OpenLineage
        converter names it; an MLflow dataset on the platform of the object its source names,
        else the ``(mlflow, <name>)`` dataset DataHub's MLflow source makes for a run input."""
        a = self.attrs(nid)
        where = self.foreign_dataset(nid, a)
        if where is None:
            return str(self._dataset(self.dataset_name(nid)))
        from datahub.utilities.urn_encoder import UrnEncoder

        platform, name = where
        if self.lowercase_urns:
            name = name.lower()
        pl, env = f"urn:li:dataPlatform:{platform}", self.env.upper()
        return fit_urn(lambda n: f"urn:li:dataset:({pl},{UrnEncoder.encode_string(n)},{env})",
                       name)

    def foreign_dataset(self, nid: str, a: dict[str, Any]) -> tuple[str, str] | None:
        """(platform, name) of a data node DVC does not track; None for a DVC file."""
        if a.get("namespace"):
            return openlineage_dataset(str(a["namespace"]), str(a.get("path") or ""))
        props = a.get("properties") or {}
        if nid.startswith("data:mlflow:") and props.get("name") and not a.get("repository"):
            source = props.get("source")
            found = location_dataset(str(source)) if source else None
            return found or ("mlflow", str(props["name"]))
        path = str(a.get("path") or "")
        # a DVC stage's external dependency (``dvc import-url``, a dep on s3:// or an absolute
        # path): no file of the repository, but the object or file itself
        if "://" in path:
            return location_dataset(path)
        if path.startswith("/") and len(path) > 1:
            return "file", path
        return None

    def stage_flow_job(self, nid: str) -> tuple[str, str]:
        a = self.attrs(nid)
        rk = self.repo_key(a, nid)
        dvc_yaml = a.get("dvc_yaml") or "dvc.yaml"
        flow = f"{rk}/{dvc_yaml}" if rk else dvc_yaml
        job = a.get("name") or nid
        if a.get("foreach_key") and "@" not in job:
            job = f"{job}@{a['foreach_key']}"
        return self._flow(flow), job

    def commit_time(self, sha: str | None) -> str:
        if not sha:
            return ""
        cid = f"commit:{sha.lower()}"
        if cid not in self.g:
            return ""
        a = self.attrs(cid)
        for who in ("committer", "author"):
            p = a.get(who) or {}
            if p.get("time"):
                return str(p["time"])
        return ""

    def repo_url_of_commit(self, sha: str | None) -> str | None:
        if not sha:
            return None
        cid = f"commit:{sha.lower()}"
        if cid not in self.g:
            return None
        a = self.attrs(cid)
        repo = a.get("repository") or next(iter(self.g.predecessors(cid, EdgeKind.CONTAINS)), None)
        if repo and repo in self.g:
            url = self.attrs(repo).get("url")
            return url or repo.removeprefix("repository:")
        return None

    def commit_repository(self, sha: str | None) -> str | None:
        """The key of the repository (as it is named now) holding commit ``sha``, if known."""
        cid = f"commit:{sha.lower()}" if sha else None
        if cid is None or cid not in self.g:
            return None
        repo = self.attrs(cid).get("repository") or next(
            iter(self.g.predecessors(cid, EdgeKind.CONTAINS)), None)
        return self.current_repository(str(repo)).removeprefix("repository:") if repo else None

    def only_repository(self) -> str | None:
        """The key of the store's one repository (as it is named now), None for none or
        several."""
        hit = self._cache.get(("only-repo",))
        if hit is None:
            current = {self.current_repository(r) for r in self.ids(NodeKind.REPOSITORY)}
            hit = self._cache[("only-repo",)] = \
                current.pop().removeprefix("repository:") if len(current) == 1 else ""
        return hit or None

    def model_repository(self, commits: list[str | None]) -> str | None:
        """The repository a model group or version is browsed under: the one holding the
        commits its versions were made from, else the store's one repository; None when
        they name several (or none is known)."""
        repos = {r for c in commits if (r := self.commit_repository(c))}
        if len(repos) > 1:
            return None
        return repos.pop() if repos else self.only_repository()

    def place_in_repository(self, view: dict[str, Any], rk: str | None) -> None:
        """Put a model group or version in its repository's container, as DataHub's Vertex
        AI source puts its models in a container: ``container`` and ``browsePathsV2``, so
        the UI finds it by browsing the repository, beside its DVC files and pipelines."""
        if rk:  # (absent otherwise: a group or version keeps its view)
            view["repository"] = rk
            view["folders"] = self.folder_chain(rk, "")

    def openlineage_job(self, a: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
        """(flow urn, job urn, facts) of an OpenLineage run's job, as DataHub's OpenLineage
        converter names them: flow ``(<orchestrator>, <job name up to its first dot>, <job
        namespace>)``, job ``(<flow>, <job name>)``. None for a run of another source."""
        if a.get("source") != "openlineage" or not a.get("name") or not a.get("job"):
            return None
        name, job = str(a["name"]), str(a["job"])
        namespace = job[: -len(name) - 1] if job.endswith(f"/{name}") else ""
        orch = openlineage_orchestrator((a.get("properties") or {}).get("producer"))
        if not _PLATFORM_RE.match(orch):
            orch = "openlineage"
        from datahub.utilities.urn_encoder import UrnEncoder

        enc = UrnEncoder.encode_string
        flow_name = name.split(".", 1)[0]
        cluster = enc(namespace or self.env)
        flow = fit_urn(lambda n: f"urn:li:dataFlow:({orch},{enc(n)},{cluster})", flow_name,
                       _FLOW_BYTES_LIMIT)
        return flow, self._job(flow, name), {"name": name, "namespace": namespace,
                                             "job": job, "orchestrator": orch,
                                             "flow_name": flow_name}

    def run_orchestrator(self, a: dict[str, Any]) -> str:
        src = a.get("source") or "lineage"
        return "mlflow" if src == "mlflow" else self.platform

    def run_urn(self, nid: str, apart: bool = False) -> str:
        """``DataProcessInstanceKey(orchestrator=…, id=<run id>)``, as DataHub's MLflow source
        names a run; ``apart``: its tracking store as the key's ``cluster`` too (see
        :meth:`compute_urns`)."""
        from datahub.emitter.mce_builder import datahub_guid

        a = self.attrs(nid)
        native = a.get("run_id") or nid.split(":", 2)[-1]
        key = {"orchestrator": self.run_orchestrator(a), "id": native}
        if apart:  # (the key's field order, as DataProcessInstanceKey dumps it)
            key = {"cluster": self.tracking_store(nid, a) or nid, **key}
        return f"urn:li:dataProcessInstance:{datahub_guid(key)}"

    def run_spellings(self, nid: str) -> list[str]:
        """The runs of the run class of ``nid`` as the audit reads them (runs joined by
        ``same_as``: one job seen by ``track_run`` and MLflow), its reported spelling (the
        run lineage recorded) first; ``[nid]`` for a run joined to none."""
        return self.audit.spellings(nid) if nid in self.audit.idx.attrs else [nid]

    def run_host(self, spellings: list[str]) -> str:
        """The spelling whose entity a run class is: its MLflow run (DataHub's MLflow source
        names that instance alike), else its reported spelling."""
        return next((s for s in spellings if self.attrs(s).get("source") == "mlflow"),
                    spellings[0])

    def hosts_run(self, nid: str) -> bool:
        """Whether ``nid`` places its run class's entity (its experiment): a run joined to
        none, or the class's host (:meth:`run_host`)."""
        spellings = self.run_spellings(nid)
        return len(spellings) == 1 or self.run_host(spellings) == nid

    def tracking_store(self, nid: str, a: dict[str, Any]) -> str:
        """The tracking store an MLflow run comes from (the key its node id holds:
        ``run:mlflow:<store>:<run id>``, else its ``tracking_uri``); "" when neither says."""
        prefix, native = f"run:{a.get('source')}:", str(a.get("run_id") or "")
        if native and nid.startswith(prefix) and nid.endswith(":" + native) \
                and len(nid) > len(prefix) + len(native) + 1:
            return nid[len(prefix): -len(native) - 1]
        return str(a.get("tracking_uri") or "")

    def _shared_experiments(self) -> set[tuple[str, str]]:
        """(platform, experiment name) of the experiments several tracking stores have."""
        hit: set[tuple[str, str]] | None = self._cache.get(("shared-exp",))
        if hit is None:
            stores: dict[tuple[str, str], set[str]] = defaultdict(set)
            for nid in self.ids(NodeKind.RUN):
                if not self.hosts_run(nid):
                    continue  # (a spelling of a run class whose entity is another's)
                a = self.attrs(nid)
                orch = self.run_orchestrator(a)
                stores[(orch, self.experiment_name(a))].add(self.tracking_store(nid, a))
            hit = self._cache[("shared-exp",)] = {k for k, v in stores.items() if len(v) > 1}
        return hit

    @staticmethod
    def experiment_name(a: dict[str, Any]) -> str:
        return str(a.get("experiment") or a.get("experiment_id")
                   or f"{a.get('source', 'lineage')} runs")

    def experiment(self, nid: str, a: dict[str, Any]) -> tuple[str, str, str, str | None]:
        """(container urn, name, platform, tracking store) of a run's experiment: the
        container DataHub's MLflow source makes (``ExperimentKey(platform, id=name)``), so
        the two join; when experiments of one name come from several tracking stores (two
        MLflow servers each with ``churn``), each store's is its own container, the store as
        the key's ``instance``, instead of one container holding both."""
        orch = self.run_orchestrator(a)
        name = self.experiment_name(a)
        store = self.tracking_store(nid, a) if (orch, name) in self._shared_experiments() \
            else None
        hit = self._cache.get(("exp", orch, name, store))
        if hit is None:
            from datahub.emitter.mcp_builder import ExperimentKey
            from datahub.metadata.urns import DataPlatformUrn

            key = ExperimentKey(platform=str(DataPlatformUrn(orch)), id=name,
                                instance=store or None)
            hit = self._cache[("exp", orch, name, store)] = f"urn:li:container:{key.guid()}"
        return hit, name, orch, store

    def model_name(self, nid: str) -> str:
        a = self.attrs(nid) if nid in self.g else {}  # a record may name an unknown version
        group = a.get("group") or nid.split(":", 1)[-1].rsplit("@", 1)[0]
        version = a.get("version") or nid.rsplit("@", 1)[-1]
        return f"{group}_{version}"

    @staticmethod
    def registered_name(a: dict[str, Any], fallback: str) -> str:
        """The name MLflow's registry spells a registered model (or one of its versions) by:
        ``properties.mlflow_name`` when ``model_aliases`` maps it to another group name, else
        the group's. A model of an MLflow 3 workspace other than the default keeps the
        harvest's ``<workspace>/<name>``: DataHub's MLflow source knows no workspaces, and
        two workspaces' ``churn`` would be one entity there."""
        props = a.get("properties") or {}
        if props.get("mlflow_name") and not props.get("workspace"):
            return str(props["mlflow_name"])
        return fallback

    def mlflow_name(self, nid: str) -> str | None:
        """The name DataHub's MLflow source gives a registered model or version, None when
        MLflow does not register it (a GTO, recorded or placeholder one): a version
        ``<registered name>_<version>`` (its default ``model_name_separator``); a group its
        registered name, when MLflow describes it or registers any of its versions."""
        if nid not in self.g or self.g.is_placeholder(nid):
            return None
        a = self.attrs(nid)
        if self.g.kind(nid) == NodeKind.MODEL:
            if a.get("registry") != MLFLOW_PLATFORM:
                return None
            group = a.get("group") or nid.split(":", 1)[-1].rsplit("@", 1)[0]
            version = a.get("version") or nid.rsplit("@", 1)[-1]
            return f"{self.registered_name(a, str(group))}_{version}"
        name = str(a.get("name") or nid.split(":", 1)[1])
        if a.get("registry") == MLFLOW_PLATFORM:
            return self.registered_name(a, name)
        versions = [m for m in self.g.predecessors(nid, EdgeKind.VERSION_OF, NodeKind.MODEL)
                    if self.attrs(m).get("registry") == MLFLOW_PLATFORM
                    and not self.g.is_placeholder(m)]
        for m in sorted(versions):
            return self.registered_name(self.attrs(m), name)
        return None

    def group_urn(self, group_nid: str, group_name: str) -> str:
        return self.urn_of.get(group_nid) or self._group(group_name)

    def deployment_name(self, nid: str) -> str:
        a = self.attrs(nid)
        model = a.get("model") or ""
        mname = self.model_name(model) if model else nid.split(":", 1)[1]
        at = re.sub(r"[^0-9A-Za-z]", "", str(a.get("deployed_at") or "")) or "undated"
        return f"{mname}_{a.get('environment', 'unknown')}_{at}"

    def deployment_flow(self, nid: str) -> str:
        a = self.attrs(nid)
        model = a.get("model") or ""
        group = self.attrs(model).get("group") if model in self.g else None
        return self._flow(f"deployments/{group or nid.split(':')[1]}")

    def deployment_job(self, nid: str) -> str:
        return self._job(self.deployment_flow(nid), self.deployment_name(nid))

    # per-node urns
    def compute_urns(self) -> None:
        u = self.urn_of
        for nid in self.ids(NodeKind.DATA):
            u[nid] = self.dataset_urn(nid)
        for nid in self.ids(NodeKind.STAGE):
            flow, job = self.stage_flow_job(nid)
            u[nid] = self._job(flow, job)
        by_urn: dict[str, list[str]] = defaultdict(list)
        for nid in self.ids(NodeKind.RUN):
            by_urn[self.run_urn(nid)].append(nid)
        for urn, nids in by_urn.items():
            # one run id from several tracking stores (a store moved from a SQLite file to a
            # server keeps its run ids) is several runs: each its own instance, its store as
            # the key's cluster, instead of one entity whose aspects each overwrites
            for nid in nids:
                u[nid] = urn if len(nids) == 1 else self.run_urn(nid, apart=True)
        # runs joined by same_as (one job recorded by track_run that logged to MLflow) are one
        # run: one entity, the MLflow run's (the one DataHub's MLflow source makes)
        for nid in self.ids(NodeKind.RUN):
            spellings = self.run_spellings(nid)
            if len(spellings) > 1 and spellings[0] == nid:
                host = u[self.run_host(spellings)]
                for s in spellings:
                    u[s] = host
        # an MLflow-registered group or version is the entity DataHub's MLflow source makes
        # (so our governance lands on it); the urn an earlier mapping gave it on our platform
        # is retired by the push (``former``)
        for nid in self.ids(NodeKind.MODEL_GROUP):
            own = self._group(self.attrs(nid).get("name") or nid.split(":", 1)[1])
            mname = self.mlflow_name(nid)
            u[nid] = self._mlflow_group(mname) if mname is not None else own
            if u[nid] != own:
                self.former_urns[nid] = [own]
        for nid in self.ids(NodeKind.MODEL):
            own = self._model(self.model_name(nid))
            mname = self.mlflow_name(nid)
            u[nid] = self._mlflow_model(mname) if mname is not None else own
            if u[nid] != own:
                self.former_urns[nid] = [own]
        for nid in self.ids(NodeKind.DEPLOYMENT):
            u[nid] = self._deployment(self.deployment_name(nid))

    # -- the plan ------------------------------------------------------------------------------
    def plan(self) -> list[EntityPlan]:
        self.compute_urns()
        out: list[EntityPlan] = [self.plan_globals()]
        out += self.plan_experiments()
        flows, datasets = self.plan_flows(), self.plan_datasets()
        groups, models = self.plan_groups(), self.plan_models()
        out += self.plan_folders(flows + datasets + groups + models)
        stages = self.plan_stages()
        self.mark_gone(flows, datasets, stages)
        out += flows
        out += datasets
        out += stages
        out += self.plan_openlineage_jobs()
        out += groups
        out += models
        out += self.plan_runs()
        out += self.plan_deployments()
        out += self.plan_incidents()
        out += self.plan_checks()
        return out

    def plan_globals(self) -> EntityPlan:
        view: dict[str, Any] = {
            "platform": self.platform, "properties": sorted(STRUCTURED_PROPERTIES),
            "schema": 1,
        }
        since = self.approvers_since()
        if since is not None:  # the approver ownership type: sent once an approval is dated
            view["approvers_since"] = since
        return EntityPlan("urn:li:lineage:globals", "globals", [], view)

    def approvers_since(self) -> int | None:
        """When the approver ownership type (:data:`APPROVER_OWNERSHIP_TYPE`) came to be
        needed: the earliest decision date (epoch ms) of the approval records the graph
        describes, superseded ones included (a correction does not move it); None when none
        is dated. A fact of the records, not of the push or of the store: every push of the
        same records, from any store holding them, sends the same ``ownershipTypeInfo``
        (docs/datahub.md, "Definitions")."""
        dates = [ms for nid in self.ids(NodeKind.APPROVAL) if not self.g.is_placeholder(nid)
                 and (ms := _ms(self.attrs(nid).get("decided_at"))) is not None]
        return min(dates) if dates else None

    def plan_experiments(self) -> list[EntityPlan]:
        exps: dict[str, dict[str, Any]] = {}
        members: dict[str, list[str]] = defaultdict(list)
        for nid in self.ids(NodeKind.RUN):
            if not self.hosts_run(nid):
                continue  # its run class is in its MLflow run's experiment
            a = self.attrs(nid)
            urn, name, orch, store = self.experiment(nid, a)
            exps[urn] = {"name": name, "platform": orch,
                         "experiment_id": a.get("experiment_id")}
            if store is not None:  # absent otherwise: a shared name's container keeps its view
                exps[urn]["tracking_store"] = store
            members[urn].append(nid)
        return [EntityPlan(urn, "experiment", members[urn][:1], exps[urn]) for urn in sorted(exps)]

    def plan_flows(self) -> list[EntityPlan]:
        flows: dict[str, dict[str, Any]] = {}
        for nid in self.ids(NodeKind.STAGE):
            a = self.attrs(nid)
            flow, _ = self.stage_flow_job(nid)
            dvc_yaml = a.get("dvc_yaml") or "dvc.yaml"
            rk = self.repo_key(a, nid)
            flows[flow] = {"name": dvc_yaml, "repository": rk, "kind": "dvc"}
            if rk:
                flows[flow]["folders"] = self.folder_chain(rk, _parent_dir(dvc_yaml))
        for nid in self.ids(NodeKind.RUN):
            job = self.openlineage_job(self.attrs(nid))
            if job is not None and self.run_stage(nid, self.attrs(nid)) is None:
                flows[job[0]] = {"name": job[2]["flow_name"], "kind": "openlineage"}
        for nid in self.ids(NodeKind.DEPLOYMENT):
            urn = self.deployment_flow(nid)
            group = urn.split(",")[1].removeprefix("deployments/")
            flows[urn] = {"name": f"deployments of {group}", "kind": "deployments"}
        return [EntityPlan(urn, "flow", [], flows[urn]) for urn in sorted(flows)]

    def plan_datasets(self) -> list[EntityPlan]:
        by_urn: dict[str, list[str]] = defaultdict(list)
        for nid in self.ids(NodeKind.DATA):
            by_urn[self.urn_of[nid]].append(nid)
        plans = []
        for urn in sorted(by_urn):
            nids = self.current_nodes(by_urn[urn])
            a0 = self.attrs(nids[0])
            versions = sorted({str(self.attrs(n).get("hash") or "unversioned") for n in nids})
            foreign = self.foreign_dataset(nids[0], a0)
            view = {
                "name": a0.get("path") or self.dataset_name(nids[0]),
                # a DVC file: <repository>/<path>; another system's: its name there
                "qualified": foreign[1] if foreign else self.dataset_name(nids[0]),
                "is_dir": any(self.attrs(n).get("is_dir") for n in nids),
                "remote": a0.get("remote"), "import_url": a0.get("import_url"),
                "versions": versions[:50], "n_versions": len(versions),
                "placeholder": all(self.g.is_placeholder(n) for n in nids),
            }
            if foreign:  # (absent otherwise: a DVC file keeps its view)
                view["foreign"] = True
            else:
                rk = self.repo_key(a0, nids[0])
                if rk and a0.get("path"):
                    view["folders"] = self.folder_chain(rk, _parent_dir(str(a0["path"])))
            if a0.get("namespace"):  # the OpenLineage namespace, which the urn does not keep
                view["namespace"] = a0["namespace"]
            recorded = self.dvc_recorded(nids)
            if recorded:  # absent otherwise: a dataset DVC records nothing of keeps its view
                view["recorded"] = recorded
                # when those commits were made: the commit that added a model's artifact
                # dates the version (the audit's ``version_since``)
                dated = {sha: t for sha in sorted(set(recorded.values()))
                         if (t := self.commit_facts(sha).get("git_committed_at"))}
                if dated:
                    view["recorded_at"] = dated
            facts = self.version_facts(nids)
            if facts:  # absent otherwise, as above
                view["version_facts"] = facts
            owners = self.dataset_owners(nids)
            if owners:  # absent otherwise, as above
                view["owners"] = owners
                at = self.dataset_owners_at(nids)
                if at:  # when the run that named them used it (absent otherwise, as above)
                    view["owners_at"] = at
                types = self.dataset_owner_types(nids)
                if types:  # the types DataHub has not, which it shows as TECHNICAL_OWNER
                    view["owner_types"] = types
            plans.append(EntityPlan(urn, "dataset", nids, view))
        return plans

    # -- where a repository's files are: folders, as DataHub's file sources (S3, GCS) make
    def folder_urn(self, rk: str, rel: str) -> str:
        """The container of folder ``rel`` of repository ``rk`` ("" the repository itself):
        ``FolderKey(platform, folder_abs_path=<rk>[/<rel>])``, as DataHub's S3 and GCS sources
        key their folders."""
        hit: str | None = self._cache.get(("folder", rk, rel))
        if hit is None:
            from datahub.emitter.mcp_builder import FolderKey

            key = FolderKey(platform=f"urn:li:dataPlatform:{self.platform}", env=self.env,
                            folder_abs_path=f"{rk}/{rel}" if rel else rk)
            hit = self._cache[("folder", rk, rel)] = key.as_urn()
        return hit

    def folder_chain(self, rk: str, rel_dir: str) -> list[str]:
        """Containers from the repository's down to folder ``rel_dir``'s."""
        parts = [p for p in rel_dir.split("/") if p]
        return [self.folder_urn(rk, "/".join(parts[:i])) for i in range(len(parts) + 1)]

    def plan_folders(self, placed: list[EntityPlan]) -> list[EntityPlan]:
        """The repositories and folders the DVC files and pipelines of ``placed`` are in:
        a container each (``Repository``, ``Folder``) inside its parent, so the DataHub UI
        browses a repository as its tree and an entity page shows where the file is."""
        folders: dict[str, dict[str, Any]] = {}
        for p in placed:
            chain = p.view.get("folders")
            if not chain or chain[-1] in folders:
                continue
            rk = p.view.get("repository") or self.repo_key(self.attrs(p.nodes[0]), p.nodes[0])
            # (a model group or version is in the repository itself: its name is no path)
            rel = _parent_dir(str(p.view["name"])) if len(chain) > 1 else ""
            parts = [x for x in rel.split("/") if x]
            for i, urn in enumerate(chain):
                if urn not in folders:
                    sub = "/".join(parts[:i])
                    # (a repository by its last name, as a bucket: DataHub Lite's ``ls``
                    # splits a path at every slash; the qualified name is the whole key)
                    folders[urn] = {"name": parts[i - 1] if i else rk.rsplit("/", 1)[-1],
                                    "qualified": f"{rk}/{sub}" if sub else rk,
                                    "repository": rk, "parents": chain[:i],
                                    "platform": self.platform}
                    if not i and _web_url(rk):
                        folders[urn]["url"] = _web_url(rk)
        return [EntityPlan(urn, "folder", [], folders[urn]) for urn in sorted(folders)]

    def dataset_owners(self, nids: list[str]) -> list[tuple[str, str]]:
        """The owners (an OpenLineage dataset ``ownership`` facet) of the version the latest run
        used, among the versions that name any: one dataset holds every version of a table,
        and an owner the source removed must go from it, though older versions still name
        them. A version without the facet removes no owner (an event may just omit it); one
        whose facet lists none (``properties.owners`` an empty list) leaves the dataset none."""
        best = self._owners_source(nids)
        return source_owners(best) if best is not None else []

    def dataset_owner_types(self, nids: list[str]) -> dict[str, str | None]:
        """Owner urn → the type the source gave, for the owners :meth:`dataset_owners` lists
        whose type DataHub has not (an OpenLineage ``MAINTAINER``, or none at all: null):
        DataHub shows them as technical owners; a reader gets the source's type back."""
        from connectors.harvesters.openlineage import load_owners

        best = self._owners_source(nids)
        out: dict[str, str | None] = {}
        for owner in load_owners(best) if best is not None else []:
            urn = owner_urn(str(owner["name"]))
            kind = owner.get("type")
            if urn is None or urn in out:
                continue
            if not kind:
                out[urn] = None
            elif re.sub(r"[\s-]+", "_", str(kind).strip()).upper() not in OWNERSHIP_TYPES:
                out[urn] = str(kind)
        return out

    def _owners_source(self, nids: list[str]) -> Any:
        """The ``properties.owners`` :meth:`dataset_owners` reads (None when none names any)."""
        best = self._owners_best(nids)
        return best[1] if best else None

    def dataset_owners_at(self, nids: list[str]) -> str | None:
        """When the run that named the owners :meth:`dataset_owners` reads used the version
        that names them (its end, else its start); None when no run gives a time."""
        best = self._owners_best(nids)
        return (best[0][0] or None) if best else None

    def _owners_best(self, nids: list[str]) -> tuple[tuple[str, str], Any] | None:
        """((time of the latest run using it, version node), ``properties.owners``) of the
        version :meth:`dataset_owners` reads."""
        best: tuple[tuple[str, str], Any] | None = None
        for n in nids:
            props = self.attrs(n).get("properties") or {}
            if "owners" not in props:
                continue
            runs = self.g.successors(n, EdgeKind.INPUT, NodeKind.RUN) \
                + self.g.predecessors(n, EdgeKind.OUTPUT, NodeKind.RUN)
            used = max((str(self.attrs(r).get(k) or "") for r in runs
                        for k in ("end_time", "start_time")), default="")
            if best is None or (used, n) > best[0]:
                best = ((used, n), props["owners"])
        return best

    def version_facts(self, nids: list[str]) -> dict[str, dict[str, Any]]:
        """Data version id → its size, file count and ``dvc import`` source, for the versions
        that have any: one dataset holds every version of a path, so DataHub has no field of
        its own for them."""
        out: dict[str, dict[str, Any]] = {}
        for nid in nids:
            if self.g.is_placeholder(nid):
                continue
            a = self.attrs(nid)
            facts = {k: a[k] for k in VERSION_FACTS if a.get(k) is not None}
            if facts:
                out[nid] = facts
        return out

    def dvc_recorded(self, nids: list[str]) -> dict[str, str]:
        """Data version id → the commit whose DVC file records it (its ``first_commit``, else
        the earliest commit with a DEFINES edge to it), for the versions a DVC file records.
        DataHub has no commit entity and a dataset holds every version of a path: the map
        lets a reader tell a strong pin to a recorded version from one DVC never recorded."""
        out: dict[str, str] = {}
        for nid in nids:
            if self.g.is_placeholder(nid):
                continue  # named by an edge only: it stays undescribed
            sha = self.attrs(nid).get("first_commit")
            if not sha:
                defines = [e.source for e in self.g.in_edges(nid, EdgeKind.DEFINES)
                           if e.source.startswith("commit:")]
                if defines:
                    sha = min(defines, key=lambda c: (self.commit_time(c.split(":", 1)[1]),
                                                      c)).split(":", 1)[1]
            if sha:
                out[nid] = str(sha)
        return out

    def _edge_props(self, data_nid: str, edge_attrs: dict[str, Any], commit: str | None
                    ) -> dict[str, str]:
        a = self.attrs(data_nid)
        props: dict[str, str] = {}
        h = a.get("hash") or edge_attrs.get("digest")
        if h:
            props["dvc_md5" if str(h).startswith("md5") else "digest"] = str(h).removeprefix("md5:")
        if commit:
            props["git_commit"] = commit
        if edge_attrs.get("pin"):
            props["pin"] = str(edge_attrs["pin"])
        if edge_attrs.get("digest"):  # the version label the edge's source gave
            props["edge_digest"] = str(edge_attrs["digest"])
        if edge_attrs.get("via"):  # the weak input an identity join resolved to this version
            props["via"] = str(edge_attrs["via"])
        if edge_attrs.get("path"):  # the repository path a run read or wrote (an OpenLineage
            props["path"] = str(edge_attrs["path"])  # file's): what ties writer to reader
        # one dataset holds every version of a path: the edge names the exact data node, and
        # says when no source described it (a dangling reference the audit reports)
        props["lineage_id"] = data_nid
        if self.g.is_placeholder(data_nid):
            props["lineage_placeholder"] = "true"
        return props

    def commit_facts(self, sha: str | None) -> dict[str, str]:
        """What the audit needs to know about a commit that has no DataHub entity (and its
        tags, ``git_tags``, the only refs that name it alike in every clone): whether git
        saw it (``git_commit_state`` unknown = only an attribute names it; undescribed = an
        edge names it but no source described it, a dangling reference; unseen = named by a
        run but not found in git) and its author (approvals by the author do not count)."""
        if not sha:
            return {}
        cid = f"commit:{sha.lower()}"
        if cid not in self.g:
            return {"git_commit_state": "unknown"}
        if self.g.is_placeholder(cid):
            return {"git_commit_state": "undescribed"}
        a = self.attrs(cid)
        out: dict[str, str] = {}
        if a.get("placeholder"):
            out["git_commit_state"] = "unseen"
        # its tags only: branches and remote-tracking refs differ from clone to clone (and
        # move), so the catalog would change with the machine that pushed
        tags = sorted({str(r)[len("refs/tags/"):] for r in a.get("refs") or []
                       if str(r).startswith("refs/tags/") and len(str(r)) > len("refs/tags/")})
        if tags:
            out["git_tags"] = _json(tags)
        author = a.get("author") or {}
        if author.get("name"):
            out["git_author_name"] = str(author["name"])
        if author.get("email"):
            out["git_author_email"] = str(author["email"])
        # the commit's earliest time (its author's or committer's date), as the audit's
        # index takes it: the catalog's audit dates a version by its commit ("approval
        # decided before the version existed") as the store's does
        committer = a.get("committer") or {}
        times = [(at, str(t)) for t in (author.get("time"), committer.get("time"))
                 if (at := parse_time(t)) is not None]
        if times:
            out["git_committed_at"] = min(times)[1]
        return out

    def recorded(self, rid: str) -> dict[str, str]:
        """When the store wrote a record (``recorded_at``: first; ``last_recorded_at``: last,
        when it wrote it again), as the audit reads it: a record dated after its writing
        describes something that had not happened yet. {} when the store does not say."""
        first, last = self.record_times.get(rid, (None, None))
        out = {"recorded_at": first} if first else {}
        if last and last != first:
            out["last_recorded_at"] = last
        return out

    def records(self, nid: str) -> dict[str, str]:
        """Governance records of an entity as custom properties ``<kind>.<record id>`` = the
        record (attributes and its edges, JSON): approvals, retraining, risk assessments and
        alerts have no DataHub entity that could hold them whole, and the audit reads them."""
        by_anchor = self._cache.get(("records",))
        if by_anchor is None:
            by_anchor = self._cache[("records",)] = self._records()
        return {f"{rid.split(':', 1)[0]}.{rid.split(':', 1)[1]}": value
                for rid, value in sorted(by_anchor.get(nid, {}).items())}

    def _records(self) -> dict[str, dict[str, str]]:
        anchors_kinds = (NodeKind.MODEL, NodeKind.MODEL_GROUP, NodeKind.DEPLOYMENT)
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for kind in RECORD_KINDS:
            for rid in self.ids(kind):
                if self.g.is_placeholder(rid):
                    continue
                a = self.attrs(rid)
                edges: list[list[Any]] = []
                anchors: set[str] = set()
                undescribed: set[str] = set()
                for ek in RECORD_EDGES:
                    for e in self.g.in_edges(rid, ek) + self.g.out_edges(rid, ek):
                        edges.append([str(ek), e.source, e.target, *([e.attrs] if e.attrs else [])])
                        other = e.target if e.source == rid else e.source
                        if other in self.g and self.g.kind(other) in anchors_kinds:
                            (undescribed if self.g.is_placeholder(other) else anchors).add(other)
                if not anchors:  # a record joined to nothing: keep it where it points
                    for name in ("model", "new_model", "model_group", "previous_model"):
                        ref = a.get(name)
                        if not isinstance(ref, str):
                            continue
                        if ref in self.g and not self.g.is_placeholder(ref):
                            anchors.add(ref)
                        elif ref.startswith("model:"):
                            g = "model_group:" + ref.removeprefix("model:").rsplit("@", 1)[0]
                            if g in self.g and not self.g.is_placeholder(g):
                                anchors.add(g)
                        if anchors:
                            break
                if not anchors:
                    # it names only entities no source described (a risk assessment of a
                    # group before any version exists): their placeholder entities are
                    # rendered too, and the record must reach the catalog's audit
                    anchors = undescribed
                value: dict[str, Any] = {"attrs": a, "edges": sorted(edges),
                                         **self.recorded(rid)}
                if kind == NodeKind.ALERT and passed_check(a):
                    value["check"] = check_urn(rid)
                elif kind == NodeKind.ALERT:
                    value["incident"] = self.incident_urn(rid)
                    follow = self.follow_ups(rid, anchors)
                    if follow:
                        value["follow_up"] = follow
                text = _json(value)
                for anchor in anchors:
                    if anchor in self.urn_of:
                        out[anchor][rid] = text
        return out

    def follow_ups(self, alert: str, anchors: set[str]) -> list[str]:
        """The retrainings ``monitoring-active`` takes as the follow-up of an alert on the
        versions it names (``lineage show``): a retraining the alert triggered that came too
        late, or that a correction superseded, is none."""
        out: set[str] = set()
        for m in anchors:
            if self.g.kind(m) != NodeKind.MODEL:
                continue
            for rec in (self.explain(m) or {}).get("alerts", []):
                if rec["id"] == alert:
                    out.update(rec["follow_up"])
        return sorted(out)

    def plan_openlineage_jobs(self) -> list[EntityPlan]:
        """The jobs of OpenLineage runs (those no DVC stage stands for): a ``dataJob`` the
        runs instantiate, owned by the owners the job's ``ownership`` facet names in the
        latest run that gives one (a dataProcessInstance takes no ``ownership``)."""
        runs: dict[str, list[str]] = defaultdict(list)
        facts: dict[str, dict[str, Any]] = {}
        for nid in self.ids(NodeKind.RUN):
            a = self.attrs(nid)
            job = self.openlineage_job(a)
            if job is None or self.run_stage(nid, a) is not None:
                continue
            runs[job[1]].append(nid)
            facts[job[1]] = {**job[2], "flow": job[0]}
        plans = []
        for urn in sorted(runs):
            view = dict(facts[urn])
            best: tuple[tuple[str, str], Any] | None = None
            for r in runs[urn]:
                a = self.attrs(r)
                props = a.get("properties") or {}
                if "owners" not in props:
                    continue
                at = (str(a.get("end_time") or a.get("start_time") or ""), r)
                if best is None or at > best[0]:
                    best = (at, props["owners"])
            if best is not None:
                view["owners"] = source_owners(best[1])
                if best[0][0]:  # the run that named them (absent otherwise)
                    view["owners_at"] = best[0][0]
            plans.append(EntityPlan(urn, "openlineage_job", runs[urn], view))
        return plans

    def plan_stages(self) -> list[EntityPlan]:
        by_urn: dict[str, list[str]] = defaultdict(list)
        for nid in self.ids(NodeKind.STAGE):
            by_urn[self.urn_of[nid]].append(nid)
        plans = []
        for urn in sorted(by_urn):
            nids = self.current_nodes(by_urn[urn])
            # the latest lock entry describes the job; older ones are its history
            latest = max(nids, key=lambda n: (self.commit_time(self.attrs(n).get("commit")),
                                              self.attrs(n).get("commit") or "", n))
            a = self.attrs(latest)
            commit = a.get("commit")
            inputs = sorted(
                (self.urn_of[e.source], self._edge_props(e.source, e.attrs, commit))
                for e in self.g.in_edges(latest, EdgeKind.INPUT) if e.source in self.urn_of)
            outputs = sorted(
                (self.urn_of[e.target], self._edge_props(e.target, e.attrs, commit))
                for e in self.g.out_edges(latest, EdgeKind.OUTPUT) if e.target in self.urn_of)
            view = {
                "name": a.get("name") or latest, "flow": self.stage_flow_job(latest)[0],
                "cmd": a.get("cmd"), "params": a.get("params") or {}, "commit": commit,
                "deps": a.get("deps") or [], "outs": a.get("outs") or [],
                "frozen": a.get("frozen", False), "inputs": inputs, "outputs": outputs,
                "lock_entries": len(nids), "repo_url": self.repo_url_of_commit(commit),
                "lineage_id": latest,
            }
            rk = self.repo_key(a, latest)
            if rk:  # the flow's place, then the flow, as DataHub's SDK gives a job
                dvc_yaml = a.get("dvc_yaml") or "dvc.yaml"
                view["browse"] = [*self.folder_chain(rk, _parent_dir(dvc_yaml)), view["flow"]]
            plans.append(EntityPlan(urn, "stage", nids, view))
        return plans

    # -- what the repository no longer has ------------------------------------------------------
    def mark_gone(self, flows: list[EntityPlan], datasets: list[EntityPlan],
                  stages: list[EntityPlan]) -> None:
        """Mark (``view["gone"]``) the DVC stages, their pipelines and the DVC files the
        repository no longer has at :attr:`head` (the commit a push judges by), though the
        store keeps them as history: a stage one of that commit's ancestors had whose
        ``dvc.yaml`` no longer defines it; a pipeline all of whose stages are such; a path one
        of its ancestors tracked (defined a version of) that none of its DVC files tracks.
        Judged only for the repository holding that commit; what a stage or file only another
        branch has is not gone. What a model version that is registered or deployed comes from
        (:meth:`evidence`) is never gone: it is the evidence for that version. The sink
        soft-deletes what is marked with ``-o remove_stale=true``, as stateful ingestion does
        with what a source no longer emits, and counts it as stale otherwise."""
        head = self.head
        ref = f"commit:{head.commit.lower()}" if head is not None else ""
        if head is None or ref not in self.g or self.g.is_placeholder(ref):
            return
        repo = self.commit_repository(head.commit)
        if not repo:
            return
        ancestors = self.graph.commit_ancestors(ref)
        by_urn: dict[str, list[str]] = defaultdict(list)
        for kind in (NodeKind.STAGE, NodeKind.DATA):
            for nid in self.ids(kind):
                by_urn[self.urn_of[nid]].append(nid)
        evidence: set[str] | None = None

        def in_history(nids: list[str]) -> bool:
            for n in nids:
                first = self.attrs(n).get("commit") or self.attrs(n).get("first_commit")
                if first and f"commit:{str(first).lower()}" in ancestors:
                    return True
                if any(c in ancestors for c in self.g.predecessors(n, EdgeKind.DEFINES)):
                    return True
            return False

        def kept(nids: list[str]) -> bool:
            nonlocal evidence
            if evidence is None:
                evidence = self.evidence()
            return any(n in evidence for n in nids)

        live_flows: set[str] = set()
        gone_flows: set[str] = set()
        for p in stages:
            latest = str(p.view["lineage_id"])
            a = self.attrs(latest)
            flow, name = self.stage_flow_job(latest)
            there = head.defines(str(a.get("dvc_yaml") or "dvc.yaml"), name) \
                if self.repo_key(a, latest) == repo else True
            nids = by_urn[p.urn]
            if there is False and in_history(nids) and not kept(nids):
                p.view["gone"] = True
                gone_flows.add(flow)
            else:
                live_flows.add(flow)
        for p in flows:
            if p.urn in gone_flows and p.urn not in live_flows:
                p.view["gone"] = True
        if head.paths is None:
            return
        for p in datasets:
            if p.view.get("foreign") or p.view.get("placeholder"):
                continue
            a0 = self.attrs(p.nodes[0])
            path = a0.get("path")
            if not path or path in head.paths or self.repo_key(a0, p.nodes[0]) != repo:
                continue
            nids = by_urn[p.urn]
            if in_history(nids) and not kept(nids):
                p.view["gone"] = True

    def evidence(self) -> set[str]:
        """The nodes a model version that is registered (not deregistered) or deployed comes
        from: everything upstream of it (commit ancestry aside, ``same_as`` both ways, as
        ``lineage show`` walks provenance) and the outputs of the runs that made it."""
        skip = {EdgeKind.PARENT.value, EdgeKind.CONTAINS.value}
        same_as, output = EdgeKind.SAME_AS.value, EdgeKind.OUTPUT.value
        live = [m for m in self.ids(NodeKind.MODEL)
                if self.g.out_edges(m, EdgeKind.DEPLOYED_AS)
                or (not self.g.is_placeholder(m)
                    and self.attrs(m).get("status") != "deregistered")]
        seen = set(live)
        stack = list(live)
        ins, outs = self.g._in, self.g._out
        while stack:
            n = stack.pop()
            found = [e.source for k, edges in ins.get(n, {}).items() if k not in skip
                     for e in edges]
            mine = outs.get(n, {})
            found += [e.target for e in mine.get(same_as, ())]
            if self.g.kind(n) == NodeKind.RUN:
                found += [e.target for e in mine.get(output, ())]
            for x in found:
                if x not in seen:
                    seen.add(x)
                    stack.append(x)
        return seen

    # governance lookups
    def latest_assessment(self, group_nid: str) -> dict[str, Any] | None:
        """The assessment in force for the AI system of a registered model, as the audit
        takes it: each registered model's latest dated no later than now and no later than
        its writing (of two the same instant, the stricter), of an AI system's registered
        models the strictest, after the corrections."""
        if group_nid in self.audit.group_canon:
            rid = self.audit.latest_assessment(group_nid)
        else:
            # a registered model the audit does not know (only named by a record: a job's
            # fresh store recording a reassessment): its own latest, read as the audit reads
            now = self.audit.now
            cands = [r for r in self.g.predecessors(group_nid, EdgeKind.ASSESSES)
                     if self.counts(r) and self.attrs(r).get("tier") in TIER_RANK]
            cands = [r for r in cands if self.attrs(r).get("assessed_at") is None
                     or ((t := self.audit.trusted_time(r, "assessed_at")) is not None
                         and t <= now)]
            rid = max(cands, key=self._assessed_key) if cands else None
        if not rid:
            return None
        return {"id": rid, **(self.attrs(rid) if rid in self.g else self.audit.idx.a(rid))}

    def _assessed_key(self, rid: str) -> tuple[int, int, str]:
        """Latest last, as the audit orders them: at the same instant the stricter tier."""
        a = self.attrs(rid)
        at = _ms(a.get("assessed_at"))
        return (at if at is not None else -(2**63), TIER_RANK.get(str(a.get("tier")), 0), rid)

    def version_approvals(self, nid: str) -> list[dict[str, Any]]:
        """The approvals naming a version node, as the audit lists them: those a correction
        superseded and those dated after now (not decided yet) left out; ``standing`` is the
        audit's (in force, withdrawn, a rejection's decision). (Each spelling of a version
        shows the records naming it, which its entity holds: the catalog's audit reads them
        there.)"""
        if not self.naming(nid, NodeKind.APPROVAL, EdgeKind.APPROVES, "model"):
            return []  # (the audit's reading is asked only of versions records name)
        out = []
        for r in (self.explain(nid) or {}).get("approvals", []):
            ap = r["id"]
            if r["superseded_by"] or r["status"] == "not decided yet" or not self.counts(ap) \
                    or nid not in self.approved_models(ap):
                continue
            out.append(self.approval_entry(ap, r["status"]))
        return out

    def naming(self, nid: str, kind: NodeKind, edge: EdgeKind, attr: str) -> bool:
        """Whether a record of ``kind`` names ``nid`` (an ``edge`` to it, or its ``attr``)."""
        if self.g.predecessors(nid, edge, kind):
            return True
        key = ("named", kind, attr)
        named = self._cache.get(key)
        if named is None:
            named = self._cache[key] = {self.attrs(r).get(attr) for r in self.ids(kind)}
        return nid in named

    def approval_entry(self, ap: str, standing: str) -> dict[str, Any]:
        b = self.attrs(ap)
        return {"id": ap, "approver": b.get("approver"), "role": b.get("role"),
                "decision": b.get("decision", "approved"), "at": b.get("decided_at"),
                "env": b.get("environment"), "evidence": b.get("evidence"),
                "record_file": b.get("record_file"), "standing": standing}

    def approved_models(self, ap: str) -> set[str]:
        """The version nodes an approval names (edge, and its ``model`` attribute)."""
        named = set(self.g.successors(ap, EdgeKind.APPROVES, NodeKind.MODEL))
        model = self.attrs(ap).get("model")
        if isinstance(model, str) and model.startswith("model:"):
            named.add(model)
        return named

    def version_retraining(self, nid: str) -> list[dict[str, Any]]:
        """The retraining records that trained a version node (naming it or its run), as
        ``retraining-logged`` reads them, those a correction superseded left out; ``counts``:
        whether the rule takes it as the version's retraining log."""
        runs = self.g.predecessors(nid, EdgeKind.PRODUCED, NodeKind.RUN)
        if not self.naming(nid, NodeKind.RETRAINING, EdgeKind.RETRAINS, "new_model") and not any(
                self.g.predecessors(r, EdgeKind.RETRAINS, NodeKind.RETRAINING) for r in runs):
            return []
        out = []
        for r in (self.explain(nid) or {}).get("retraining", []):
            rt = r["id"]
            if r["role"] != "trained by" or r["superseded_by"] or not self.counts(rt):
                continue
            named = self.g.successors(rt, EdgeKind.RETRAINS)
            if nid not in named and not set(runs) & set(named) \
                    and self.attrs(rt).get("new_model") != nid:
                continue  # about another spelling of the version: its entity shows it
            b = self.attrs(rt)
            out.append({"id": rt, "trigger": b.get("trigger"), "reason": b.get("reason"),
                        "at": b.get("at"), "plan": b.get("within_change_plan"),
                        "counts": r["counts"]})
        return out

    def documents(self, nid: str) -> list[dict[str, Any]]:
        docs = []
        for d in self.g.predecessors(nid, EdgeKind.DOCUMENTS):
            if not self.counts(d):
                continue
            a = self.attrs(d)
            doc = {"id": d, "kind": a.get("doc_kind"), "uri": a.get("uri"),
                   "title": a.get("title"), "hash": a.get("content_hash")}
            # the commit that first holds the content the record pins (joins), if any
            link = self.repository_file_link(a.get("uri"), pinned_commit(self.g, d))
            if link:  # (absent otherwise: a document of a URL keeps its view)
                doc["link"] = link
            at, by = self.record_stamp(d, "at")
            if at:  # (absent otherwise, as above)
                doc["at"] = at
            if by:
                doc["by"] = by
            docs.append(doc)
        return docs

    def record_stamp(self, rid: str, attr: str) -> tuple[str | None, str | None]:
        """When a governance record was made and by whom, for the link DataHub shows as added
        then by them: its own date ``attr`` (a document's issue), or when it was first written
        down if that is earlier or it has none (the commit that added it to its file, the
        store's first writing of it), as the audit dates it; and the author of that commit
        (as an email when the commit gives one). (None, None) when nothing dates it."""
        a = self.attrs(rid)
        dated = [(ms, str(t)) for t in (a.get(attr), a.get("committed_at"),
                                          self.recorded(rid).get("recorded_at"))
                 if t and (ms := _ms(t)) is not None]
        at = min(dated)[1] if dated else None
        sha = a.get("committed_in")
        author = self.attrs(f"commit:{str(sha).lower()}").get("author") \
            if sha and f"commit:{str(sha).lower()}" in self.g else None
        by = _person(author.get("name"), author.get("email")) \
            if isinstance(author, dict) else None
        return at, by

    def repository_file_link(self, uri: Any, commit: str | None = None) -> str | None:
        """The web page of a document given as a path in the repository (``docs/model_card.md``)
        on the repository's host: at ``commit``, the first commit holding the content the
        record pins (``<repo>/blob/<sha>/<path>``), else at its default branch
        (``<repo>/blob/HEAD/<path>``: a document not committed when harvested; the link's
        description carries the content hash the record pins); None for a URL, an absolute or
        escaping path, or when the store holds no single repository with a web address."""
        hit = self._cache.get(("repo-web",))
        if hit is None:
            current = {self.current_repository(r) for r in self.ids(NodeKind.REPOSITORY)}
            hit = self._cache[("repo-web",)] = repository_web(
                self.attrs(r).get("url") or r.removeprefix("repository:")
                for r in current if r in self.g) or ""
        return _file_link(hit, uri, commit)

    def group_governance(self, group_nid: str) -> dict[str, Any]:
        hit: dict[str, Any] | None = self._cache.get(("gov", group_nid))
        if hit is None:
            hit = self._cache[("gov", group_nid)] = self._group_governance(group_nid)
        return hit

    def version_governance(self, nid: str, group_nid: str) -> dict[str, Any]:
        """The group's governance as a version shows it: the tier the audit holds the version
        to (``AuditContext.tier``, ``lineage show``'s ``risk``): once deployed, the strictest
        assessment in force since its first deployment, so a later downgrade does not lower
        it; ``held_by`` that assessment's id when it is not the one in force on the group."""
        gov = self.group_governance(group_nid) if group_nid in self.g else {}
        v = self.audit.version_of(nid)
        if v is None or v not in self.audit.members or not gov.get("assessment") \
                or self.audit.group_of(v) not in self.audit.group_canon:
            return gov
        held = self.audit.tier_assessment(v)
        if not held or held == gov["assessment"]:
            return gov
        return {**self._group_governance(group_nid, held), "held_by": held}

    def _group_governance(self, group_nid: str, held: str | None = None) -> dict[str, Any]:
        a = self.attrs(group_nid)
        ra = self.latest_assessment(group_nid) if held is None else \
            {"id": held, **(self.attrs(held) if held in self.g else self.audit.idx.a(held))}
        gov: dict[str, Any] = {"intended_purpose": a.get("intended_purpose")}
        if ra:
            gov.update({
                "tier": ra.get("tier"), "annex": ra.get("annex_iii_area"),
                "assessed_at": ra.get("assessed_at"), "next_review": ra.get("next_review"),
                "assessor": ra.get("assessor"), "assessment": ra["id"],
                "intended_purpose": a.get("intended_purpose") or ra.get("intended_purpose"),
                "rationale": ra.get("rationale"), "record_file": ra.get("record_file"),
            })
        return gov

    def plan_groups(self) -> list[EntityPlan]:
        plans = []
        for nid in self.ids(NodeKind.MODEL_GROUP):
            a = self.attrs(nid)
            versions = self.g.predecessors(nid, EdgeKind.VERSION_OF, NodeKind.MODEL)
            runs = sorted({self.urn_of[r] for v in versions
                           for r in self.g.predecessors(v, EdgeKind.PRODUCED, NodeKind.RUN)})
            deploy_jobs = sorted({self.deployment_job(d) for v in versions
                                  for d in self.g.successors(v, EdgeKind.DEPLOYED_AS)
                                  if d in self.urn_of})
            view = {
                "name": a.get("name") or nid.split(":", 1)[1], "description": a.get("description"),
                "registry": a.get("registry"), "owner": a.get("owner"), "path": a.get("path"),
                "type": a.get("type"), "labels": a.get("labels") or [], "tags": a.get("tags") or {},
                "properties": a.get("properties") or {}, "training_jobs": runs,
                "downstream_jobs": deploy_jobs, "governance": self.group_governance(nid),
                "documents": self.documents(nid), "placeholder": self.g.is_placeholder(nid),
                "lineage_id": nid, "records": self.records(nid),
            }
            if a.get("intended_purpose"):  # (absent otherwise: groups keep their view)
                view["intended_purpose"] = a["intended_purpose"]
            deprecation = self.group_deprecation(nid)
            if deprecation:  # (absent otherwise, as above)
                view["deprecation"] = deprecation
            aka = self.aka(a.get("owner"), self.group_governance(nid).get("assessor"),
                           (deprecation or {}).get("by"))
            if aka:  # (absent otherwise, as above)
                view["aka"] = aka
            self.place_in_repository(view, self.model_repository(
                [self.model_commit(m) for m in versions]))
            plans.append(EntityPlan(self.urn_of[nid], "group", [nid], view,
                                    list(self.former_urns.get(nid, ()))))
        return plans

    def group_deprecation(self, group_nid: str) -> dict[str, Any] | None:
        """What GTO's ``<name>@deprecated`` says of a group (its deprecation properties): still
        deprecated (its versions say so, or it has none), or brought back by a later tag
        (``deprecated: False``, so a catalog that showed the deprecation shows it no more);
        None when no deprecation tag was read."""
        if group_nid not in self.g or self.g.is_placeholder(group_nid):
            return None
        props = self.attrs(group_nid).get("properties") or {}
        tag = props.get("deprecation_tag")
        if not tag:
            return None
        versions = [m for m in self.g.predecessors(group_nid, EdgeKind.VERSION_OF,
                                                   NodeKind.MODEL)
                    if self.attrs(m).get("registry") == "gto"]
        deprecated = any(self.attrs(m).get("deprecated") for m in versions) \
            if versions else True
        evidence = props.get("deprecation_evidence") or f"tag {tag}"
        email = re.search(r"<([^<>\s]+@[^<>\s]+)>", evidence)
        by = _person(props.get("deprecated_by"), email.group(1) if email else None)
        note = (f"Deprecated in GTO: {evidence}" if deprecated else
                f"Not deprecated: a GTO tag after {tag} ({evidence}) brought it back")
        return {"deprecated": deprecated, "note": note, "at": props.get("deprecated_at"),
                "by": by}

    def version_deprecation(self, nid: str, group_nid: str) -> dict[str, Any] | None:
        """A version GTO deregistered (``name@version!``) or whose group it deprecated, as
        DataHub's ``deprecation``: the tag, who and when; for a deregistered version, the
        latest version ``lineage show`` names instead (``replacement``). None otherwise."""
        a = self.attrs(nid)
        props = a.get("properties") or {}
        notes: list[str] = []
        at = by = replacement = None
        if a.get("status") == "deregistered":
            at, who = props.get("deregistered_at"), props.get("deregistered_by") or None
            tag = props.get("deregistration_tag")
            notes.append("Deregistered in GTO" + (f" by tag {tag}" if tag else "")
                         + (f" ({who}" + (f", {at})" if at else ")") if who
                            else f" ({at})" if at else ""))
            by = who
            if group_nid in self.g:
                from lineage.api import latest_model_version

                latest = latest_model_version(self.graph, group_nid)
                if latest is not None and latest != nid and latest in self.urn_of:
                    replacement = self.urn_of[latest]
                    notes.append(f"the latest version is {_model_label(latest)}")
        if a.get("deprecated"):
            group = self.group_deprecation(group_nid) or {}
            notes.append(f"model group {a.get('group') or group_nid.split(':', 1)[-1]} "
                         + (group["note"][0].lower() + group["note"][1:] if group.get("note")
                            else "deprecated in GTO"))
            at, by = at or group.get("at"), by or group.get("by")
        if not notes:
            return None
        return {"deprecated": True, "note": "; ".join(notes), "at": at, "by": by,
                "replacement": replacement}

    def model_commit(self, nid: str) -> str | None:
        a = self.attrs(nid)
        if a.get("commit"):
            return str(a["commit"])
        tagged = self.g.predecessors(nid, EdgeKind.TAGGED, NodeKind.COMMIT)
        if tagged:
            return tagged[0].split(":", 1)[1]
        for r in self.g.predecessors(nid, EdgeKind.PRODUCED, NodeKind.RUN):
            c = self.attrs(r).get("commit")
            if c:
                return str(c)
        return None

    def version_order(self, group_nid: str | None, group_name: str) -> dict[str, int]:
        """Rank of every version of a group (1 = first), the order of ``sortId`` in DataHub's
        version set, whose greatest DataHub marks the latest (``versionSetProperties.latest``,
        ``versionProperties.isLatest``: set by GMS, never by a writer): the versions GTO
        leaves out of "latest" (deregistered, or named by a commit) first, then the others by
        version, the one ``lineage show`` takes as the latest
        (:func:`lineage.api.latest_model_version`) last."""
        hit: dict[str, int] | None = self._cache.get(("order", group_nid, group_name))
        if hit is None:
            order = self._version_order(group_nid, group_name)
            hit = self._cache[("order", group_nid, group_name)] = {
                m: i + 1 for i, m in enumerate(order)}
        return hit

    def _version_order(self, group_nid: str | None, group_name: str) -> list[str]:
        # (the statuses GTO leaves out of "latest", as lineage show reads them)
        from lineage.api import _NOT_LATEST as NOT_LATEST
        from lineage.api import latest_model_version, semver_key

        if group_nid and group_nid in self.g:
            versions = self.g.predecessors(group_nid, EdgeKind.VERSION_OF, NodeKind.MODEL)
        else:
            versions = [m for m in self.ids(NodeKind.MODEL)
                        if self.attrs(m).get("group") == group_name]

        def by_version(ms: list[str]) -> list[str]:
            names = {m: str(self.attrs(m).get("version") or m) for m in ms}
            keys = {m: semver_key(n) for m, n in names.items()}
            if ms and all(k is not None for k in keys.values()):  # as lineage show ranks them
                return sorted(ms, key=lambda m: (keys[m], _natural(names[m]), m))
            return sorted(ms, key=lambda m: (_natural(names[m]), m))

        gone = [m for m in versions if self.attrs(m).get("status") in NOT_LATEST]
        live = by_version([m for m in versions if m not in gone])
        latest = latest_model_version(self.graph, group_nid) \
            if group_nid and group_nid in self.g else None
        if latest in live:
            live = [m for m in live if m != latest] + [latest]
        return by_version(gone) + live

    def plan_models(self) -> list[EntityPlan]:
        plans = []
        for nid in self.ids(NodeKind.MODEL):
            a = self.attrs(nid)
            group_name = a.get("group") or nid.split(":", 1)[1].rsplit("@", 1)[0]
            groups = self.g.successors(nid, EdgeKind.VERSION_OF, NodeKind.MODEL_GROUP)
            group_nid = groups[0] if groups else f"model_group:{group_name}"
            order = self.version_order(group_nid, group_name)
            sort_id = str(order.get(nid, 0)).zfill(10)
            version_set = self.version_set(group_name)
            mname = self.mlflow_name(nid)
            if mname is not None:
                # the version set and order DataHub's MLflow source writes (its version
                # number, zero-padded), so either writer leaves the same versionProperties
                version = str(a.get("version") or nid.rsplit("@", 1)[-1])
                sort_id = version.zfill(10)
                version_set = self.version_set(self.registered_name(a, group_name),
                                               MLFLOW_PLATFORM)
            runs = self.g.predecessors(nid, EdgeKind.PRODUCED, NodeKind.RUN)
            hyper: dict[str, Any] = {}
            for r in runs:
                hyper.update(self.attrs(r).get("params") or {})
            deployments = [d for d in self.g.successors(nid, EdgeKind.DEPLOYED_AS)
                           if d in self.urn_of]
            commit = self.model_commit(nid)
            approvals = self.version_approvals(nid)
            retrain = self.version_retraining(nid)
            # the drift alerts that fired, as DataHub's incidents summary lists them (a
            # check that passed is no incident)
            incidents = [{"urn": self.incident_urn(al), "state": self.alert_state(al),
                          "at": self.attrs(al).get("at")}
                         for al in self.g.predecessors(nid, EdgeKind.ALERTS, NodeKind.ALERT)
                         if not self.g.is_placeholder(al) and not passed_check(self.attrs(al))]
            # the GTO tag on the TAGGED edge from the version's commit (the edge DataHub's
            # sourceCode stands for)
            tag = next((e.attrs.get("tag") for e in self.g.in_edges(nid, EdgeKind.TAGGED)
                        if commit and e.source == f"commit:{commit}"), None)
            # the TAGGED edges from other commits (a GTO tag moved since: ``moved_to``), which
            # DataHub's sourceCode cannot show, and the ARTIFACT edges with their facts
            tagged = sorted(
                ({"commit": e.source.split(":", 1)[1], "attrs": dict(sorted(e.attrs.items())),
                  **({"placeholder": True} if self.g.is_placeholder(e.source) else {})}
                 for e in self.g.in_edges(nid, EdgeKind.TAGGED)
                 if e.source.startswith("commit:") and e.source != f"commit:{commit}"),
                key=lambda x: str(x["commit"]))
            artifacts = sorted(
                ({"data": e.source, "dataset": self.urn_of[e.source],
                  "attrs": dict(sorted(e.attrs.items())),
                  **({"placeholder": True} if self.g.is_placeholder(e.source) else {})}
                 for e in self.g.in_edges(nid, EdgeKind.ARTIFACT) if e.source in self.urn_of),
                key=lambda x: str(x["data"]))
            view = {
                "git_tag": tag,
                "name": self.model_name(nid), "group": group_name, "version": a.get("version"),
                "group_urn": self.group_urn(group_nid, group_name),
                "description": a.get("description"),
                "registry": a.get("registry"), "artifact_uri": a.get("artifact_uri"),
                "artifact_hash": a.get("artifact_hash"), "commit": commit,
                "repo_url": self.repo_url_of_commit(commit), "created_at": a.get("created_at"),
                "created_by": a.get("created_by"), "aliases": a.get("aliases") or [],
                "run_id": a.get("run_id"),
                "stage": a.get("stage"), "status": a.get("status"),
                "deprecated": a.get("deprecated", False), "metrics": a.get("metrics") or {},
                "tags": a.get("tags") or {}, "properties": a.get("properties") or {},
                "hyper": hyper, "sort_id": sort_id,
                "version_set": version_set,
                # (a run class — track_run and MLflow's spellings of one job — is one job)
                "training_jobs": sorted({self.urn_of[r] for r in runs}),
                "deployments": sorted({self.urn_of[d] for d in deployments}),
                "downstream_jobs": sorted({self.deployment_job(d) for d in deployments}),
                "approvals": sorted(approvals, key=lambda x: (str(x["at"] or ""), x["id"])),
                # where it runs: whether the audit grants its live deployments approval
                "gate": self.version_gate(nid),
                # the one retraining-logged counts last (the one shown), then by date
                "retraining": sorted(retrain, key=lambda x: (x["counts"], str(x["at"] or ""),
                                                             x["id"])),
                "incidents": sorted(incidents, key=lambda x: str(x["urn"])),
                "governance": self.version_governance(nid, group_nid),
                "documents": self.documents(nid), "placeholder": self.g.is_placeholder(nid),
                "lineage_id": nid, "records": self.records(nid),
                "commit_facts": self.commit_facts(commit),
                "same_as": self.g.successors(nid, EdgeKind.SAME_AS, NodeKind.MODEL),
                # the twins' entities (either side of SAME_AS): an MLflow version and its GTO
                # twin are two entities, on two platforms; each names the other's urn
                "twins": sorted({self.urn_of[t] for t in
                                 self.g.successors(nid, EdgeKind.SAME_AS, NodeKind.MODEL)
                                 + self.g.predecessors(nid, EdgeKind.SAME_AS, NodeKind.MODEL)
                                 if t in self.urn_of and t != nid}),
                "previous": self.g.predecessors(nid, EdgeKind.PREVIOUS_VERSION, NodeKind.MODEL),
            }
            if tagged:  # absent otherwise: a version without them keeps its view
                view["tagged_edges"] = tagged
            retired = self.retired_gate(nid)
            if retired:  # where it ran and runs no more: the audit's verdict (absent otherwise)
                view["retired_gate"] = retired
            unchecked = self.unchecked(nid)
            if unchecked:  # where it runs and the audit judged not every deployment (as above)
                view["unchecked"] = unchecked
            deprecation = self.version_deprecation(nid, group_nid)
            if deprecation:  # (absent otherwise, as above)
                view["deprecation"] = deprecation
            gov = view["governance"]
            aka = self.aka(a.get("created_by"), *(x["approver"] for x in approvals),
                           gov.get("assessor"), (deprecation or {}).get("by"))
            if aka:  # (absent otherwise, as above)
                view["aka"] = aka
            if artifacts or a.get("artifact_hash"):  # an empty list: none, not unknown
                view["artifact_edges"] = artifacts
            self.place_in_repository(view, self.model_repository([commit]))
            plans.append(EntityPlan(self.urn_of[nid], "model", [nid], view,
                                    list(self.former_urns.get(nid, ()))))
        return plans

    def version_set(self, group_name: str, platform: str | None = None) -> str:
        platform = platform or self.platform
        hit: str | None = self._cache.get(("vset", platform, group_name))
        if hit is None:
            from datahub.emitter.mce_builder import datahub_guid

            guid = datahub_guid({"platform": platform, "name": group_name})
            hit = self._cache[("vset", platform, group_name)] = \
                f"urn:li:versionSet:({guid},mlModel)"
        return hit

    def run_stage(self, nid: str, a: dict[str, Any]) -> str | None:
        """The DVC stage job a run instantiates: named by ``job``, else the stage that wrote
        the run's outputs or the produced model's artifact."""
        job = a.get("job")
        if job:
            by_name: dict[str, set[str]] | None = self._cache.get(("stages",))
            if by_name is None:
                by_name = self._cache[("stages",)] = defaultdict(set)
                for s in self.ids(NodeKind.STAGE):
                    by_name[self.attrs(s).get("name")].add(self.urn_of[s])
            named = by_name.get(job) or by_name.get(job.rsplit("/", 1)[-1]) or set()
            if len(named) == 1:
                return next(iter(named))
        outs = [e.target for e in self.g.out_edges(nid, EdgeKind.OUTPUT)]
        for m in self.g.successors(nid, EdgeKind.PRODUCED, NodeKind.MODEL):
            outs += [e.source for e in self.g.in_edges(m, EdgeKind.ARTIFACT)]
        writers = sorted({self.urn_of[s] for d in outs
                          for s in self.g.predecessors(d, EdgeKind.OUTPUT, NodeKind.STAGE)})
        return writers[0] if writers else None

    def run_template(self, nid: str, a: dict[str, Any]) -> str | None:
        """The job a run instantiates: its DVC stage, else its OpenLineage job."""
        stage = self.run_stage(nid, a)
        if stage is not None:
            return stage
        job = self.openlineage_job(a)
        return job[1] if job else None

    def previous_runs(self, nid: str) -> list[str]:
        """The runs DataHub shows upstream of run ``nid``: its UPSTREAM_RUN runs, else (see
        :meth:`upstream_is_previous_version`) the runs that produced the previous version."""
        prev = set(self.g.predecessors(nid, EdgeKind.UPSTREAM_RUN, NodeKind.RUN))
        if not prev:
            for m in self.g.successors(nid, EdgeKind.PRODUCED, NodeKind.MODEL):
                for pm in self.g.predecessors(m, EdgeKind.PREVIOUS_VERSION, NodeKind.MODEL):
                    prev.update(self.g.predecessors(pm, EdgeKind.PRODUCED, NodeKind.RUN))
        prev.difference_update(self.run_spellings(nid))
        # (two spellings of one run class are one entity)
        return sorted({self.urn_of[p] for p in prev} - {self.urn_of[nid]})

    def upstream_is_previous_version(self, nid: str) -> bool:
        """Whether the upstream instances shown for ``nid`` are its previous version's runs
        (no edge of the graph): the reader then makes no UPSTREAM_RUN edge of them."""
        return bool(self.previous_runs(nid)) and not any(
            p != nid for p in self.g.predecessors(nid, EdgeKind.UPSTREAM_RUN, NodeKind.RUN))

    def plan_runs(self) -> list[EntityPlan]:
        plans = []
        for nid in self.ids(NodeKind.RUN):
            spellings = self.run_spellings(nid)
            if spellings[0] != nid:
                continue  # a spelling of a run class: the class is one entity (below)
            view = self.run_view(nid)
            if len(spellings) > 1:
                view = self.merged_run(spellings, {s: self.run_view(s) for s in spellings})
            plans.append(EntityPlan(self.urn_of[nid], "run", spellings, view))
        return plans

    def merged_run(self, spellings: list[str], views: dict[str, dict[str, Any]]
                   ) -> dict[str, Any]:
        """One DataHub training run for a run class (one job that ``track_run`` recorded and
        that logged to MLflow, joined by ``same_as``), as the audit reads it: the reported
        spelling's view (the run lineage recorded: its name, id, ``lineage_id``), in the
        MLflow run's experiment and on its platform (the entity is the MLflow run's, which
        DataHub's MLflow source makes too), with the status, dirty flag and start the audit
        takes for the class (:meth:`AuditContext.run_status`), the inputs it judges (per
        path the strongest pin; :meth:`AuditContext.run_inputs`), the outputs, parameters,
        metrics, tags and properties of both (the reported spelling's value where both have
        one), and ``same_as``: the other spellings."""
        rep, host = spellings[0], self.run_host(spellings)
        merged = dict(views[rep])
        for s in spellings[1:]:
            for k, x in views[s].items():
                if merged.get(k) in (None, "", [], {}) and x not in (None, "", [], {}):
                    merged[k] = x
        hv = views[host]
        merged["experiment"] = hv["experiment"]
        for key in ("no_experiment", "platform"):
            merged.pop(key, None)
            if key in hv:
                merged[key] = hv[key]
        if self.attrs(host).get("source") == "mlflow":
            merged["platform"] = "mlflow"
        for key in ("params", "metrics", "tags", "properties", "upstream_edges", "aka"):
            both = {k: x for s in reversed(spellings) for k, x in views[s].get(key, {}).items()}
            if both or key in merged:
                merged[key] = dict(sorted(both.items()))
        status, _, conflict = self.audit.run_status(rep)
        merged["status"] = status
        if conflict:
            merged["status_conflict"] = conflict
        merged["dirty"] = self.audit.run_dirty(rep)
        start = self.audit.run_start(rep)
        if start is not None:
            merged["start"] = self.attrs(start[1]).get("start_time")
        ends = [str(v["end"]) for v in views.values() if v.get("end")]
        merged["end"] = views[rep].get("end") or (max(ends) if ends else None)
        commit = merged.get("commit")
        inputs, covered = [], []
        for d, e, _, cover in self.audit.run_inputs(rep):
            if d not in self.urn_of:
                continue
            if cover is not None:  # said by the recorded run's pins (AuditContext.run_inputs)
                covered.append(d)
                continue
            inputs.append((self.urn_of[d], self._edge_props(d, e, commit)))
        merged["inputs"] = sorted(inputs, key=_urn_then_props)
        if covered:
            merged["covered_inputs"] = sorted(covered)
        outputs: dict[str, tuple[str, dict[str, str]]] = {}
        for s in spellings:
            for urn, props in views[s]["outputs"]:
                outputs.setdefault(urn, (urn, props))
        merged["outputs"] = sorted(outputs.values(), key=_urn_then_props)
        merged["upstream"] = sorted({u for v in views.values() for u in v["upstream"]})
        merged["upstream_is_previous_version"] = all(
            v["upstream_is_previous_version"] for v in views.values() if v["upstream"])
        merged["same_as"] = spellings[1:]
        return merged

    def run_view(self, nid: str) -> dict[str, Any]:
        """The view of one run node's entity."""
        a = self.attrs(nid)
        commit = a.get("commit")
        if not commit:
            codes = self.g.predecessors(nid, EdgeKind.CODE, NodeKind.COMMIT)
            commit = codes[0].split(":", 1)[1] if codes else None
        # two versions of one dataset share its urn: their edge properties order them
        inputs = sorted(
            ((self.urn_of[e.source], self._edge_props(e.source, e.attrs, commit))
             for e in self.g.in_edges(nid, EdgeKind.INPUT) if e.source in self.urn_of),
            key=_urn_then_props)
        outputs = sorted(
            [(self.urn_of[e.target], self._edge_props(e.target, e.attrs, commit))
             for e in self.g.out_edges(nid, EdgeKind.OUTPUT) if e.target in self.urn_of]
            + [(self.urn_of[m], {"git_commit": commit} if commit else {})
               for m in self.g.successors(nid, EdgeKind.PRODUCED, NodeKind.MODEL)],
            key=_urn_then_props)
        exp_urn, exp_name, _, _ = self.experiment(nid, a)
        props, exact = _run_owners(a.get("properties") or {})
        view = {
            "name": a.get("name") or a.get("run_id") or nid, "run_id": a.get("run_id"),
            "source": a.get("source"), "status": a.get("status"), "user": a.get("user"),
            "start": a.get("start_time"), "end": a.get("end_time"),
            "params": a.get("params") or {}, "metrics": a.get("metrics") or {},
            "tags": a.get("tags") or {},
            "properties": props, "owners_exact": exact, "job": a.get("job"),
            "commit": commit, "tracking_uri": a.get("tracking_uri"),
            # dirty on the run or on its code edge: DataHub has one place for it
            "dirty": True if any(e.attrs.get("dirty") for e in
                                 self.g.in_edges(nid, EdgeKind.CODE)) else a.get("dirty"),
            "experiment": exp_urn, "inputs": inputs, "outputs": outputs,
            "template": self.run_template(nid, a), "upstream": self.previous_runs(nid),
            "upstream_is_previous_version": self.upstream_is_previous_version(nid),
            # the UPSTREAM_RUN edges' own facts (relation, the parent's job), by run id
            "upstream_edges": {e.source: dict(sorted(e.attrs.items()))
                               for e in sorted(self.g.in_edges(nid, EdgeKind.UPSTREAM_RUN),
                                               key=lambda e: e.source)
                               if e.attrs and e.source != nid},
            "lineage_id": nid, "commit_facts": self.commit_facts(commit),
            "placeholder": self.g.is_placeholder(nid),
        }
        aka = self.aka(a.get("user"))
        if aka:  # (absent otherwise: other runs keep their view)
            view["aka"] = aka
        if not (a.get("experiment") or a.get("experiment_id")):
            # its container is the "<source> runs" DataHub needs: no experiment of its own
            view["no_experiment"] = True  # (absent otherwise: other runs keep their view)
        if a.get("source") != "mlflow":  # (an MLflow run's is mlflow: it keeps its view)
            # the platform the UI shows it on: an OpenLineage run's orchestrator, as its
            # job's flow names it; a run recorded here or a DVC experiment's, its
            # experiment container's
            job = self.openlineage_job(a)
            view["platform"] = job[2]["orchestrator"] if job else self.run_orchestrator(a)
        return view

    def plan_deployments(self) -> list[EntityPlan]:
        by_urn: dict[str, list[str]] = defaultdict(list)
        for nid in self.ids(NodeKind.DEPLOYMENT):
            by_urn[self.urn_of[nid]].append(nid)
        plans = []
        for urn in sorted(by_urn):
            nids = by_urn[urn]
            views = {nid: self.deployment_view(nid) for nid in nids}
            view = views[nids[0]] if len(nids) == 1 else self.merged_deployment(views)
            plans.append(EntityPlan(urn, "deployment", nids, view))
        return plans

    def deployment_view(self, nid: str) -> dict[str, Any]:
        a = self.attrs(nid)
        model = a.get("model") or next(iter(self.g.predecessors(nid, EdgeKind.DEPLOYED_AS)), "")
        ma = self.attrs(model) if model in self.g else {}
        approvals = []
        facts = self.explain(model) if model else None
        dep = next((d for d in (facts or {}).get("deployments", []) if d["id"] == nid), None)
        counted = set(dep["approved_by"]) if dep else set()
        for ap in self.deployment_approvals(nid, model, counted):
            b = self.attrs(ap)
            approvals.append({"id": ap, "approver": b.get("approver"),
                              "decision": b.get("decision", "approved"),
                              "at": b.get("decided_at"), "env": b.get("environment"),
                              "standing": "in force" if ap in counted else "not counted"})
        view = {
            "name": self.deployment_name(nid), "environment": a.get("environment"),
            "endpoint": a.get("endpoint"), "deployed_at": a.get("deployed_at"),
            "deployed_by": a.get("deployed_by"), "retired_at": a.get("retired_at"),
            "source": a.get("source"), "model": model, "version": ma.get("version"),
            "model_urn": self.urn_of.get(model), "job": self.deployment_job(nid),
            "flow": self.deployment_flow(nid),
            "approvals": sorted(approvals, key=lambda x: (str(x["at"] or ""), x["id"])),
            "properties": a.get("properties") or {},
            "lineage_id": nid, "records": self.records(nid),
            "placeholder": self.g.is_placeholder(nid), "record_file": a.get("record_file"),
            **self.recorded(nid),
        }
        if dep is not None:  # live, retired, superseded or not deployed yet: the audit's
            view["audit_state"] = dep["state"]
        if nid in self.gate():  # whether the audit grants it its approval
            view["gate"] = self.gate()[nid]
        verdict = deployment_status(self.audit, self.gate(), nid,
                                    self.audit.version_of(model) if model else None)
        if verdict == NOT_CHECKED:  # a deployment the audit counts and did not judge
            view["not_checked"] = True  # (absent otherwise: other deployments keep their view)
        aka = self.aka(a.get("deployed_by"), *(x["approver"] for x in approvals))
        if aka:  # (absent otherwise: other deployments keep their view)
            view["aka"] = aka
        if nid in self.superseded:  # a corrected record: its correction is the deployment
            view["superseded_by"] = sorted(self.superseded[nid])
        return view

    def deployment_approvals(self, nid: str, model: str, counted: set[str]) -> list[str]:
        """The approvals that speak for a deployment, as ``deployment-approved`` reads them:
        those it counts (``counted``), those naming it, and those of its version (any
        registry's spelling) for its environment (or for every environment) decided no later
        than it was deployed, as the audit takes that time (a later decision, or one dated
        after its writing, does not make it approved)."""
        out = {ap for ap in counted if self.counts(ap)}
        out |= {ap for ap in self.g.predecessors(nid, EdgeKind.APPROVES, NodeKind.APPROVAL)
                if self.counts(ap)}
        if not model:
            return sorted(out)
        env = self.attrs(nid).get("environment")
        deployed = self.audit.deployed_at(nid) if nid in self.audit.idx.attrs else None
        version = self.audit.version_of(model)
        for r in self.version_approvals(model):
            ap = r["id"]
            named = self.g.successors(ap, EdgeKind.APPROVES, NodeKind.DEPLOYMENT)
            if r["env"] not in (None, env) or (named and nid not in named) \
                    or version not in {self.audit.version_of(m) for m in self.approved_models(ap)}:
                continue
            decided = self.audit.trusted_time(ap, "decided_at")
            if deployed is not None and (decided is None or decided > deployed):
                continue
            out.add(ap)
        return sorted(out)

    @staticmethod
    def merged_deployment(views: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """One DataHub deployment for the graph nodes of one version, environment and time
        (the deployment's identity: e.g. a record retiring a deployment GTO or an earlier
        record with another id saw). Two entities' aspects under one urn would overwrite each
        other in an order that changes from push to push. The node that counts most (described,
        not superseded, then by id) names it; its retirement is the earliest any node gives;
        approvals, records and properties are the union."""
        order = sorted(views, key=lambda n: (bool(views[n]["placeholder"]),
                                             bool(views[n].get("superseded_by")), n))
        merged = dict(views[order[0]])
        for nid in order[1:]:
            for k, x in views[nid].items():
                if merged.get(k) in (None, "", [], {}) and x not in (None, "", [], {}):
                    merged[k] = x
        counting = [v for v in views.values() if not v.get("superseded_by")] or list(views.values())
        retired = sorted(str(v["retired_at"]) for v in counting if v.get("retired_at"))
        merged["retired_at"] = retired[0] if retired else None
        approvals = {ap["id"]: ap for v in views.values() for ap in v["approvals"]}
        merged["approvals"] = sorted(approvals.values(), key=lambda x: (str(x["at"] or ""),
                                                                        x["id"]))
        merged["records"] = {k: r for n in reversed(order) for k, r in views[n]["records"].items()}
        merged["properties"] = {k: p for n in reversed(order)
                                for k, p in views[n]["properties"].items()}
        merged["placeholder"] = all(v["placeholder"] for v in views.values())
        if not all(v.get("superseded_by") for v in views.values()):
            merged.pop("superseded_by", None)
        merged["same_deployment"] = order[1:]
        gates = [v["gate"] for v in views.values() if "gate" in v]
        if gates:  # one deployment: approved only if the audit grants every node of it
            merged["gate"] = all(gates)
        if merged.get("gate") is not False and any(v.get("not_checked") for v in views.values()):
            merged["not_checked"] = True  # (a node of it the audit did not judge)
            merged.pop("gate", None)
        else:
            merged.pop("not_checked", None)
        aka = {k: x for v in views.values() for k, x in (v.get("aka") or {}).items()}
        if aka:
            merged["aka"] = dict(sorted(aka.items()))
        return merged

    def incident_urn(self, alert_nid: str) -> str:
        return incident_urn(alert_nid)

    def alert_state(self, alert_nid: str) -> str:
        """RESOLVED when the alert says so or a correction superseded it (the correction's
        own incident is the one that counts)."""
        if alert_nid in self.superseded:
            return "RESOLVED"
        return "RESOLVED" if self.attrs(alert_nid).get("status") == "resolved" else "ACTIVE"

    def alert_models(self, nid: str) -> list[str]:
        """The urns of the model versions an alert record is about."""
        a = self.attrs(nid)
        models = sorted(self.urn_of[m] for m in
                        self.g.successors(nid, EdgeKind.ALERTS, NodeKind.MODEL))
        if not models and a.get("model") in self.urn_of:
            models = [self.urn_of[a["model"]]]
        return models

    def plan_incidents(self) -> list[EntityPlan]:
        """An ``incident`` per drift alert that fired; a check that passed is no incident
        (:meth:`plan_checks`)."""
        plans = []
        for nid in self.ids(NodeKind.ALERT):
            if self.g.is_placeholder(nid) or passed_check(self.attrs(nid)):
                continue
            a = self.attrs(nid)
            models = self.alert_models(nid)
            if not models:
                continue
            view = {"id": nid, "metric": a.get("metric"), "value": a.get("value"),
                    "threshold": a.get("threshold"), "at": a.get("at"),
                    "status": a.get("status", "open"), "description": a.get("description"),
                    "entities": models,
                    "retraining": self.g.successors(nid, EdgeKind.TRIGGERS)}
            if nid in self.superseded:
                view["superseded_by"] = sorted(self.superseded[nid])
            plans.append(EntityPlan(self.incident_urn(nid), "incident", [nid], view))
        return plans

    def plan_checks(self) -> list[EntityPlan]:
        """A ``dataProcessInstance`` (subtype "Monitoring Check") per monitoring check that
        passed (:func:`passed_check`): a run that read the model version, result SUCCESS,
        at the time of the check. Not an incident: DataHub's incidents are problems raised,
        and a daily check would add one a day; not an assertion: DataHub 1.7 lets an
        assertion and its run events name only a dataset. The record itself stays whole on
        the version (``alert.<id>``), where the audit of the catalog reads it."""
        plans = []
        for nid in self.ids(NodeKind.ALERT):
            if self.g.is_placeholder(nid) or not passed_check(self.attrs(nid)):
                continue
            a = self.attrs(nid)
            models = self.alert_models(nid)
            if not models:
                continue
            view = {"id": nid, "metric": a.get("metric"), "value": a.get("value"),
                    "threshold": a.get("threshold"), "at": a.get("at"),
                    "status": a.get("status"), "description": a.get("description"),
                    "entities": models, "record_file": a.get("record_file"),
                    "models": sorted(m for m in self.g.successors(nid, EdgeKind.ALERTS,
                                                                  NodeKind.MODEL)
                                     if m in self.urn_of) or [str(a.get("model"))]}
            if nid in self.superseded:
                view["superseded_by"] = sorted(self.superseded[nid])
            plans.append(EntityPlan(check_urn(nid), "check", [nid], view))
        return plans


def plan(graph: LineageGraph, *, platform: str = "dvc", env: str = "PROD",
         lowercase_urns: bool = False,
         record_times: dict[str, tuple[str | None, str | None]] | None = None,
         audit: AuditContext | None = None,
         head: RepositoryHead | None = None) -> list[EntityPlan]:
    """Every DataHub entity the graph maps to, with the view its aspects are built from.

    ``lowercase_urns`` lower-cases the name in every dataset urn (and every reference to
    one), as DataHub's ``convert_urns_to_lowercase`` does in its sources (its Snowflake source
    lower-cases table names): our edges then join their datasets. The names shown
    (``datasetProperties``) keep their case.

    ``record_times``: governance record id → (first, last) time the store wrote it (see
    ``sink.record_times``), shown with each record (``recorded_at``).

    The governance state (tier in force, approval standing, deployment state, what a
    correction superseded, retraining, alert follow-ups) is what ``audit`` reads
    (:meth:`lineage.audit.engine.AuditContext.explain`, as ``lineage show`` and ``lineage
    audit`` read it); default: the audit's context over ``graph`` with the built-in policy
    (:func:`audit_context`).

    ``head``: what the repository's DVC files define at the commit the push judges by; the
    stages, pipelines and DVC files the repository no longer has are marked ``gone`` in
    their view (:meth:`_Planner.mark_gone`). None: nothing is marked."""
    return _Planner(graph, platform, env, lowercase_urns, record_times, audit, head).plan()


# -- building: view → MCPs ------------------------------------------------------------------
def _stamp(t: Any = None, actor: str | None = None) -> Any:
    from datahub.metadata.schema_classes import AuditStampClass

    return AuditStampClass(time=_ms(t) or 0, actor=user_urn(actor) if actor else DEFAULT_ACTOR)


def _edges(pairs: Iterable[tuple[str, dict[str, str]] | list[Any]]) -> list[Any]:
    from datahub.metadata.schema_classes import EdgeClass

    return [EdgeClass(destinationUrn=u, properties=dict(p) or None) for u, p in pairs]


def _structured(values: dict[str, list[str | float]]) -> Any:
    from datahub.metadata.schema_classes import (
        StructuredPropertiesClass,
        StructuredPropertyValueAssignmentClass,
    )

    return StructuredPropertiesClass(properties=[
        StructuredPropertyValueAssignmentClass(propertyUrn=property_urn(k), values=v)
        for k, v in sorted(values.items()) if v
    ])


def _group_values(gov: dict[str, Any]) -> dict[str, list[str | float]]:
    vals: dict[str, list[str | float]] = {}
    if gov.get("tier"):
        vals["riskTier"] = [gov["tier"]]
    if gov.get("annex"):
        vals["annexIIIArea"] = [gov["annex"]]
    if gov.get("intended_purpose"):
        vals["intendedPurpose"] = [gov["intended_purpose"]]
    for k, src in (("riskAssessedAt", "assessed_at"), ("nextRiskReview", "next_review")):
        d = _date(gov.get(src))
        if d:
            vals[k] = [d]
    return vals


def _standing(approvals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The approving decisions their approver did not withdraw: a rejection by the same
    person for the same environment, decided at or after it, withdraws it (as the audit
    reads them; the stricter decision wins at the same instant)."""
    def who(a: dict[str, Any]) -> str:
        return str(a.get("approver") or "").strip().casefold()

    noes = [(who(a), a.get("env"), _ms(a.get("at"))) for a in approvals
            if a["decision"] not in ("approved", "conditional")]
    out = []
    for a in approvals:
        if a["decision"] not in ("approved", "conditional"):
            continue
        if "standing" in a:  # the audit's reading
            if a["standing"] == "in force":
                out.append(a)
            continue
        at = _ms(a.get("at"))
        if any(p == who(a) and env == a.get("env") and (t is None or at is None or t >= at)
               for p, env, t in noes):
            continue
        out.append(a)
    return out


def _approval_values(approvals: list[dict[str, Any]], v: dict[str, Any] | None = None
                     ) -> dict[str, list[str | float]]:
    """The approval structured properties of a version or deployment job view: the status,
    environments and per-environment status as the audit grants them (the view's ``gate``:
    per environment for a version, a bool for a deployment; a deployment's ``not_checked``:
    the audit counts it and judged it by no rule; a version's ``retired_gate``: per
    environment it ran in and runs in no more; its ``unchecked``: the environments it runs in
    where the audit judged not every live deployment; docs/datahub.md), the approvers and date
    of the approvals it holds in force."""
    v = v or {}
    vals: dict[str, list[str | float]] = {}
    ok = _standing(approvals)
    gate = v.get("gate")
    # a version: where it ran and runs no more, the audit's verdict on the deployments it had
    # there (None: none the audit judged)
    retired: dict[str, bool | None] = v.get("retired_gate") or {}
    was = {e: yes for e, yes in retired.items() if yes is not None}
    # a version: where it runs unchecked (the policy does not apply the approval rules there)
    unchecked: list[str] = v.get("unchecked") or []
    # the environments an approval in force names (one for every environment names each)
    named = {a["env"] for a in ok if a.get("env")}
    everywhere = any(not a.get("env") for a in ok)
    unnamed = [e for e in unchecked if not everywhere and e not in named]
    # the latest decision the audit holds: an approving one in force, or a rejection (one it
    # does not count — decided before the version existed, withdrawn — is no decision here)
    held = [a for a in approvals if a in ok or a["decision"] not in ("approved", "conditional")]
    if isinstance(gate, bool):  # a deployment the audit judged
        status = "approved" if gate else UNAPPROVED
    elif v.get("not_checked"):  # a deployment the audit counts and did not judge
        status = NOT_CHECKED
    elif not all(was.values()) or (gate and not all(gate.values())):
        # a deployment it has or had where it runs no more, refused by the audit
        status = UNAPPROVED
    elif gate and not unchecked:  # a version running somewhere, approved wherever it runs or ran
        status = "approved"
    else:  # running nowhere, or somewhere unchecked: the latest decision the audit holds
        status = held[-1]["decision"] if held else NO_DECISION
        if unnamed and status in ("approved", "conditional"):
            # running unchecked where no approval in force names: no decision there
            status = NO_DECISION
    vals["approvalStatus"] = [status]
    vals["approvedBy"] = sorted({_shown_person(v, a["approver"]) for a in ok
                                 if a.get("approver")})
    envs = sorted(named)
    if gate is False:  # a deployment the audit does not grant approval: approved for none
        envs = []
    if isinstance(gate, dict):
        # where it runs or ran, the audit's verdict; where the audit judged none (or not
        # all) of its deployments, and where it never ran, the approvals in force naming it
        # (connectors.sinks.approval, shared with the Atlas sink)
        by_env, envs = environment_labels(gate, retired, unchecked, named, everywhere)
        if by_env:
            vals["approvalByEnvironment"] = list(by_env)
    vals["approvedEnvironments"] = list(envs)
    vals["approvalRecordIds"] = sorted(a["id"].split(":", 1)[1] for a in approvals)
    dates = sorted(d for d in (_date(a.get("at")) for a in ok) if d)
    if dates:
        vals["approvedAt"] = [dates[-1]]
    return vals


def _latest(dated: Iterable[tuple[Any, Any]]) -> tuple[Any, Any]:
    """The (time, actor) of the latest record among ``dated`` whose time is known (ties: the
    actor first in order, so a render is the same every time); (None, None) when none is."""
    known = [(ms, "" if who is None else str(who), at, who) for at, who in dated
             if (ms := _ms(at)) is not None]
    if not known:
        return None, None
    _, _, at, who = max(known, key=lambda x: (x[0], x[1]))
    return at, who


def _owners(people: list[tuple[str, str]], dated: Iterable[tuple[Any, Any]] = ()) -> Any:
    """The ``ownership`` aspect of ``people`` (who, role), or None for none. Its
    ``lastModified`` is the latest of ``dated``, the (time, person) of the records that name
    the owners — as DataHub's sources date ownership by their source's own modification time
    and person (its Qlik Sense and MicroStrategy sources); time 0 ("missing data", the
    schema's default) when no such record is dated. Never the time of the push: a render is
    reproducible."""
    from datahub.metadata.schema_classes import (
        OwnerClass,
        OwnershipClass,
        OwnershipSourceClass,
        OwnershipSourceTypeClass,
        OwnershipTypeClass,
    )

    owners = []
    seen = set()
    for who, role in people:
        # a person's name, or an owner urn (``source_owners``, a record naming a corpGroup)
        key = (owner_urn(who) or user_urn(who), role)
        if key in seen:
            continue
        seen.add(key)
        if role == "approver":
            owners.append(OwnerClass(owner=key[0], type=OwnershipTypeClass.CUSTOM,
                                     typeUrn=APPROVER_OWNERSHIP_TYPE,
                                     source=OwnershipSourceClass(OwnershipSourceTypeClass.SERVICE)))
        else:
            owners.append(OwnerClass(owner=key[0], type=role,
                                     source=OwnershipSourceClass(OwnershipSourceTypeClass.SERVICE)))
    if not owners:
        return None
    at, who = _latest(dated)
    return OwnershipClass(owners=owners, lastModified=_stamp(at, who))


def _links(items: list[tuple[str, str, Any, Any]]) -> Any:
    from datahub.metadata.schema_classes import (
        InstitutionalMemoryClass,
        InstitutionalMemoryMetadataClass,
    )

    elems = [InstitutionalMemoryMetadataClass(url=url, description=desc,
                                              createStamp=_stamp(at, who))
             for url, desc, at, who in items if url]
    return InstitutionalMemoryClass(elements=elems) if elems else None


def _doc_links(docs: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    out = []
    for d in sorted(docs, key=lambda x: x["id"]):
        title = d.get("title") or (d.get("kind") or "document").replace("_", " ")
        desc = f"{title} ({d.get('kind')})" + (f", content {d['hash']}" if d.get("hash") else "")
        if _is_url(d.get("uri")):
            out.append((d["uri"], desc, d.get("at"), d.get("by")))
        elif d.get("link"):  # a repository file: its page on the repository's host
            out.append((d["link"], f"{desc}, repository file {d['uri']}", d.get("at"),
                        d.get("by")))
    return out


def _source_code_url(repo_url: str | None, commit: str) -> str:
    web = _web_url(repo_url)
    if web:
        return f"{web}/tree/{commit}"
    return f"git+{repo_url}@{commit}" if repo_url else f"git:{commit}"


def _build_globals(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        AuditStampClass,
        DataPlatformInfoClass,
        GlossaryNodeInfoClass,
        GlossaryTermInfoClass,
        OwnershipTypeInfoClass,
        PlatformTypeClass,
        PropertyValueClass,
        StructuredPropertyDefinitionClass,
    )

    # definitions before any value (DataHub validates values against them)
    for name in p.view["properties"]:
        display, vtype, card, allowed, entity_types, desc = STRUCTURED_PROPERTIES[name]
        yield property_urn(name), StructuredPropertyDefinitionClass(
            qualifiedName=PROPERTY_PREFIX + name, displayName=display,
            valueType=f"urn:li:dataType:datahub.{vtype}", cardinality=card,
            entityTypes=entity_types, description=desc,
            allowedValues=[PropertyValueClass(value=v) for v in allowed] or None,
        )
    yield f"urn:li:glossaryNode:{GLOSSARY_NODE}", GlossaryNodeInfoClass(
        name="EU AI Act risk tiers", id=GLOSSARY_NODE,
        definition="Risk tiers of Regulation (EU) 2024/1689 (AI Act).")
    for tier in TIERS:
        yield tier_term_urn(tier), GlossaryTermInfoClass(
            name=tier.capitalize(), id=f"{GLOSSARY_NODE}.{tier.capitalize()}",
            definition=TIER_TEXT[tier], termSource="EXTERNAL",
            sourceRef="EU AI Act", sourceUrl="https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
            parentNode=f"urn:li:glossaryNode:{GLOSSARY_NODE}")
    since = p.view.get("approvers_since")
    if since is not None:  # (no approver owner without an approval: sent with the first)
        stamp = AuditStampClass(time=since, actor=DEFAULT_ACTOR)
        yield APPROVER_OWNERSHIP_TYPE, OwnershipTypeInfoClass(
            name="Model Approver", description="Signed off a model version or deployment "
            "(approval records in the lineage store).", created=stamp, lastModified=stamp)
    if p.view["platform"] in ("dvc",):
        yield f"urn:li:dataPlatform:{p.view['platform']}", DataPlatformInfoClass(
            name=p.view["platform"], displayName="DVC", type=PlatformTypeClass.FILE_SYSTEM,
            datasetNameDelimiter="/")


def _build_experiment(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        ContainerPropertiesClass,
        DataPlatformInstanceClass,
        SubTypesClass,
    )

    v = p.view
    custom = _str_map({"experiment_id": v.get("experiment_id"),
                       "tracking_store": v.get("tracking_store")}) or None
    yield p.urn, ContainerPropertiesClass(name=v["name"], customProperties=custom)
    yield p.urn, SubTypesClass(typeNames=["ML Experiment"])
    yield p.urn, DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{v['platform']}")


def _placed(urn: str, chain: list[str] | None, in_container: bool = True
            ) -> Iterator[tuple[str, Any]]:
    """The ``container`` (the last of ``chain``) and ``browsePathsV2`` (all of it) of an
    entity placed in a repository's folders."""
    from datahub.metadata.schema_classes import (
        BrowsePathEntryClass,
        BrowsePathsV2Class,
        ContainerClass,
    )

    if chain is None:
        return
    if in_container and chain:
        yield urn, ContainerClass(container=chain[-1])
    yield urn, BrowsePathsV2Class(path=[BrowsePathEntryClass(id=u, urn=u) for u in chain])


def _build_folder(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        ContainerPropertiesClass,
        DataPlatformInstanceClass,
        SubTypesClass,
    )

    v = p.view
    yield p.urn, ContainerPropertiesClass(
        name=v["name"], qualifiedName=v["qualified"], externalUrl=v.get("url"),
        customProperties={"repository": v["repository"]})
    yield p.urn, SubTypesClass(typeNames=["Folder" if v["parents"] else "Repository"])
    yield p.urn, DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{v['platform']}")
    yield from _placed(p.urn, v["parents"])


def _build_flow(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import DataFlowInfoClass, SubTypesClass

    v = p.view
    custom = {"repository": v["repository"]} if v.get("repository") else None
    yield p.urn, DataFlowInfoClass(name=v["name"], customProperties=custom)
    if v["kind"] != "openlineage":  # (DataHub's OpenLineage converter gives it none)
        yield p.urn, SubTypesClass(typeNames=["DVC Pipeline" if v["kind"] == "dvc"
                                              else DEPLOYMENT_FLOW_SUBTYPE])
    yield from _placed(p.urn, v.get("folders"))


def _build_dataset(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import DatasetPropertiesClass, SubTypesClass

    v = p.view
    custom = _str_map({"versions": str(v["n_versions"]), "remote": v.get("remote"),
                       "namespace": v.get("namespace"),
                       "import_url": v.get("import_url"),
                       # DVC's content hashes; another system's version labels (an
                       # OpenLineage datasetVersion, an MLflow digest) are no md5s
                       "dvc_md5": ",".join(h.removeprefix("md5:") for h in v["versions"]
                                           if h.startswith("md5:")) or None,
                       "dataset_versions": ",".join(
                           h for h in v["versions"]
                           if not h.startswith("md5:") and h != "unversioned") or None,
                       "dvc_recorded": v.get("recorded"),
                       "dvc_recorded_at": v.get("recorded_at"),
                       "version_facts": v.get("version_facts"),
                       "owner_types": v.get("owner_types")})
    yield p.urn, DatasetPropertiesClass(name=v["name"], qualifiedName=v["qualified"],
                                        customProperties=custom)
    if not v.get("foreign"):  # another system's dataset keeps the subtype its source gives
        yield p.urn, SubTypesClass(typeNames=["DVC Directory" if v["is_dir"] else "DVC File"])
    yield from _placed(p.urn, v.get("folders"))
    owners = _owners([(u, t) for u, t in v.get("owners", [])], [(v.get("owners_at"), None)])
    if owners:
        yield p.urn, owners


def _build_stage(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        DataJobInfoClass,
        DataJobInputOutputClass,
        SubTypesClass,
        VersionInfoClass,
    )

    v = p.view
    cmd = v.get("cmd")
    custom = _str_map({"cmd": " && ".join(cmd) if isinstance(cmd, list) else cmd,
                       "params": v["params"] or None, "deps": v["deps"] or None,
                       "outs": v["outs"] or None, "frozen": "true" if v["frozen"] else None,
                       "lock_entries": str(v["lock_entries"]),
                       "lineage_id": v.get("lineage_id")})
    yield p.urn, DataJobInfoClass(name=v["name"], type="COMMAND", flowUrn=v["flow"],
                                  customProperties=custom)
    yield p.urn, SubTypesClass(typeNames=["DVC Stage"])
    yield from _placed(p.urn, v.get("browse"), in_container=False)
    yield p.urn, DataJobInputOutputClass(
        inputDatasets=[u for u, _ in v["inputs"]], outputDatasets=[u for u, _ in v["outputs"]],
        inputDatasetEdges=_edges(v["inputs"]), outputDatasetEdges=_edges(v["outputs"]))
    if v.get("commit"):
        # dataJob has no sourceCode aspect: the pinned URL goes on versionInfo
        yield p.urn, VersionInfoClass(
            version=v["commit"], versionType="git",
            externalUrl=_source_code_url(v.get("repo_url"), v["commit"]))


def _build_openlineage_job(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import DataJobInfoClass, SubTypesClass

    v = p.view
    yield p.urn, DataJobInfoClass(
        name=v["name"], type=v["orchestrator"], flowUrn=v["flow"],
        customProperties=_str_map({"namespace": v.get("namespace"), "job": v.get("job")}))
    yield p.urn, SubTypesClass(typeNames=[OPENLINEAGE_JOB_SUBTYPE])
    owners = _owners([(u, t) for u, t in v.get("owners", [])], [(v.get("owners_at"), None)])
    if owners:
        yield p.urn, owners


def _build_group(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        GlossaryTermAssociationClass,
        GlossaryTermsClass,
        MLModelGroupPropertiesClass,
        OwnershipTypeClass,
    )

    v = p.view
    gov = v["governance"]
    custom = _str_map({**v["properties"], **v["tags"], "registry": v.get("registry"),
                       "path": v.get("path"), "type": v.get("type"),
                       "labels": labels_property(v["labels"]),
                       "risk_assessment": (gov.get("assessment") or "").split(":", 1)[-1] or None,
                       "risk_rationale": gov.get("rationale"),
                       # the intended purpose shown is the assessment's: the group states none
                       "intended_purpose_of": "risk_assessment"
                       if gov.get("intended_purpose") and not v.get("intended_purpose") else None,
                       "lineage_id": v.get("lineage_id"), **v.get("records", {}),
                       **_free(v["properties"]), **_undescribed(v)})
    yield p.urn, MLModelGroupPropertiesClass(
        name=v["name"], description=v.get("description") or gov.get("intended_purpose"),
        customProperties=custom, trainingJobs=v["training_jobs"] or None,
        downstreamJobs=v["downstream_jobs"] or None)
    yield from _placed(p.urn, v.get("folders"))
    values = _group_values(gov)
    if values:
        yield p.urn, _structured(values)
    if gov.get("tier"):
        yield p.urn, GlossaryTermsClass(
            terms=[GlossaryTermAssociationClass(urn=tier_term_urn(gov["tier"]))],
            auditStamp=_stamp(gov.get("assessed_at"), _who(v, gov.get("assessor"))))
    people = [(_who(v, v["owner"]), OwnershipTypeClass.TECHNICAL_OWNER)] if v.get("owner") \
        else []
    dated: list[tuple[Any, Any]] = []
    if gov.get("assessor"):
        people.append((_who(v, gov["assessor"]), OwnershipTypeClass.DATA_STEWARD))
        dated.append((gov.get("assessed_at"), _who(v, gov["assessor"])))
    owners = _owners(people, dated)
    if owners:
        yield p.urn, owners
    links = _doc_links(v["documents"])
    if gov.get("assessment") and _is_url(gov.get("record_file")):
        links.append((gov["record_file"], f"Risk assessment {gov['assessment']}",
                      gov.get("assessed_at"), _who(v, gov.get("assessor"))))
    mem = _links(links)
    if mem:
        yield p.urn, mem
    if v.get("deprecation"):
        yield p.urn, _deprecation(v["deprecation"], v)


def _build_model(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        GlossaryTermAssociationClass,
        GlossaryTermsClass,
        MLHyperParamClass,
        MLMetricClass,
        MLModelPropertiesClass,
        OwnershipTypeClass,
        SourceCodeClass,
        SourceCodeUrlClass,
        TimeStampClass,
        VersionPropertiesClass,
        VersionTagClass,
    )

    v = p.view
    gov = v["governance"]
    custom = _str_map({**v["properties"], **v["tags"], "registry": v.get("registry"),
                       "artifact_uri": v.get("artifact_uri"),
                       "artifact_hash": v.get("artifact_hash"), "git_commit": v.get("commit"),
                       "git_tag": v.get("git_tag"), "stage": v.get("stage"), "status": v.get("status"),
                       "tagged_edges": v.get("tagged_edges") or None,
                       "artifact_edges": v.get("artifact_edges"),
                       "deprecated": "true" if v.get("deprecated") else None,
                       "lineage_id": v.get("lineage_id"), "run_id": v.get("run_id"),
                       "created_by": v.get("created_by"),
                       # the tier shown is held by an assessment a later one lowered
                       "risk_tier_held_by": (gov.get("held_by") or "").split(":", 1)[-1] or None,
                       **v.get("commit_facts", {}), **v.get("records", {}),
                       "same_as": ",".join(v.get("same_as", [])) or None,
                       "same_as_urns": ",".join(v.get("twins", [])) or None,
                       "previous_version": ",".join(v.get("previous", [])) or None,
                       **_free(v["properties"]), **_undescribed(v)})
    created = _ms(v.get("created_at"))
    creator = _who(v, _person(v.get("created_by"), v["properties"].get("created_by_email")))
    yield p.urn, MLModelPropertiesClass(
        name=v["name"], description=v.get("description"), customProperties=custom,
        version=VersionTagClass(versionTag=str(v["version"])),
        created=TimeStampClass(time=created, actor=user_urn(creator)
                               if creator else None) if created else None,
        trainingJobs=v["training_jobs"] or None, downstreamJobs=v["downstream_jobs"] or None,
        deployments=v["deployments"] or None, groups=[v["group_urn"]],
        hyperParams=[MLHyperParamClass(name=k, value=str(x))
                     for k, x in sorted(v["hyper"].items())] or None,
        trainingMetrics=[MLMetricClass(name=k, value=str(x))
                         for k, x in sorted(v["metrics"].items())] or None,
    )
    yield p.urn, VersionPropertiesClass(
        versionSet=v["version_set"], version=VersionTagClass(versionTag=str(v["version"])),
        sortId=v["sort_id"], aliases=[VersionTagClass(versionTag=a) for a in v["aliases"]])
    yield from _placed(p.urn, v.get("folders"))
    if v.get("commit"):
        yield p.urn, SourceCodeClass(sourceCode=[SourceCodeUrlClass(
            type="ML_MODEL_SOURCE_CODE",
            sourceCodeUrl=_source_code_url(v.get("repo_url"), v["commit"]))])
    values = _group_values(gov)
    values.update(_approval_values(v["approvals"], v))
    if v["retraining"]:
        last = v["retraining"][-1]
        if last.get("trigger"):
            values["retrainingTrigger"] = [last["trigger"]]
        if last.get("reason"):
            values["retrainingReason"] = [last["reason"]]
        if last.get("plan") is not None:
            values["withinChangePlan"] = ["true" if last["plan"] else "false"]
    yield p.urn, _structured(values)
    if gov.get("tier"):
        yield p.urn, GlossaryTermsClass(
            terms=[GlossaryTermAssociationClass(urn=tier_term_urn(gov["tier"]))],
            auditStamp=_stamp(gov.get("assessed_at"), _who(v, gov.get("assessor"))))
    people: list[tuple[str, str]] = []
    dated: list[tuple[Any, Any]] = []
    if creator:
        people.append((creator, OwnershipTypeClass.TECHNICAL_OWNER))
        dated.append((v.get("created_at"), creator))
    approvers = [a for a in _standing(v["approvals"]) if a.get("approver")]
    people += [(_who(v, a["approver"]), "approver") for a in approvers]
    dated += [(a.get("at"), _who(v, a["approver"])) for a in approvers]
    owners = _owners(people, dated)
    if owners:
        yield p.urn, owners
    links = []
    for a in v["approvals"]:
        url = a.get("evidence") if _is_url(a.get("evidence")) else None
        url = url or (a.get("record_file") if _is_url(a.get("record_file")) else None)
        if url:
            what = f"Approval {a['id'].split(':', 1)[1]}: {a['decision']} by {a['approver']}"
            if a.get("role"):
                what += f" ({a['role']})"
            if a.get("env"):
                what += f" for {a['env']}"
            links.append((url, what, a.get("at"), _who(v, a.get("approver"))))
    links += _doc_links(v["documents"])
    mem = _links(links)
    if mem:
        yield p.urn, mem
    if v["incidents"]:
        yield p.urn, _incidents_summary(v["incidents"])
    if v.get("deprecation"):
        yield p.urn, _deprecation(v["deprecation"], v)


def _incidents_summary(incidents: list[dict[str, Any]]) -> Any:
    """``incidentsSummary`` as GMS's own ``IncidentsSummaryHook`` writes it from each
    incident's ``incidentInfo``: the details (type — the custom type of a CUSTOM incident —,
    created and resolved times, priority), which DataHub indexes for search and walks as
    the ActiveIncidents / ResolvedIncidents relationships; and the deprecated urn lists, which
    GMS 1.7 still reads and updates (``IncidentsSummaryUtils``), so a summary either side
    reads tells the same."""
    from datahub.metadata.schema_classes import IncidentsSummaryClass, IncidentSummaryDetailsClass

    def details(state: str) -> list[Any]:
        return [IncidentSummaryDetailsClass(
            urn=i["urn"], type=INCIDENT_TYPE, createdAt=_ms(i.get("at")) or 0,
            resolvedAt=(_ms(i.get("at")) or 0) if state == "RESOLVED" else None,
            priority=INCIDENT_PRIORITY[state]) for i in incidents if i["state"] == state]

    return IncidentsSummaryClass(
        activeIncidentDetails=details("ACTIVE"), resolvedIncidentDetails=details("RESOLVED"),
        activeIncidents=[i["urn"] for i in incidents if i["state"] == "ACTIVE"],
        resolvedIncidents=[i["urn"] for i in incidents if i["state"] == "RESOLVED"])


def _deprecation(d: dict[str, Any], v: dict[str, Any]) -> Any:
    """DataHub's ``deprecation`` of a version or group from what GTO's tags say
    (:meth:`_Planner.deprecation`): deprecated or not, a note naming the tag, who and when,
    the time it was withdrawn, and the tagger as actor."""
    from datahub.metadata.schema_classes import DeprecationClass

    who = _who(v, d.get("by"))
    return DeprecationClass(deprecated=bool(d["deprecated"]), note=d["note"],
                            decommissionTime=_ms(d.get("at")) if d["deprecated"] else None,
                            actor=user_urn(who) if who else DEFAULT_ACTOR,
                            replacement=d.get("replacement"))


def _build_run(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        ContainerClass,
        DataPlatformInstanceClass,
        DataProcessInstanceInputClass,
        DataProcessInstanceOutputClass,
        DataProcessInstancePropertiesClass,
        DataProcessInstanceRelationshipsClass,
        MLHyperParamClass,
        MLMetricClass,
        MLTrainingRunPropertiesClass,
        SubTypesClass,
    )

    v = p.view
    typed = {k: x for k, x in sorted(v["params"].items()) if not isinstance(x, str)}
    custom = _str_map({**v["properties"], **v["tags"], "source": v.get("source"),
                       "run_id": v.get("run_id"), "status": v.get("status"),
                       "user": v.get("user"), "job": v.get("job"),
                       "lineage_owners": v.get("owners_exact"),
                       # DataHub keeps every parameter as text: the values that are not
                       # text (numbers, booleans, lists), as the source gave them
                       "lineage_params": _json(typed) if typed else None,
                       "git_commit": v.get("commit"),
                       "dirty": None if v.get("dirty") is None else str(v["dirty"]).lower(),
                       "start_time": v.get("start"), "end_time": v.get("end"),
                       "tracking_uri": v.get("tracking_uri"), "lineage_id": v.get("lineage_id"),
                       "upstream_is_previous_version":
                           "true" if v.get("upstream_is_previous_version") else None,
                       "no_experiment": "true" if v.get("no_experiment") else None,
                       "upstream_edges": _json(v["upstream_edges"])
                           if v.get("upstream_edges") else None,
                       # a run class: the other spellings of the job (its MLflow run), the
                       # sources' statuses when they disagree, the inputs its record covers
                       "same_as": ",".join(v.get("same_as") or []) or None,
                       "status_conflict": v.get("status_conflict"),
                       "covered_inputs": ",".join(v.get("covered_inputs") or []) or None,
                       **v.get("commit_facts", {}), **_free(v["properties"]),
                       **_undescribed(v)})
    yield p.urn, DataProcessInstancePropertiesClass(
        name=str(v["name"]), created=_stamp(v.get("start") or v.get("end"),
                                            _who(v, v.get("user"))),
        customProperties=custom)
    yield p.urn, SubTypesClass(typeNames=[RUN_SUBTYPE])
    yield p.urn, ContainerClass(container=v["experiment"])
    platform = "mlflow" if v.get("source") == "mlflow" else v.get("platform")
    if platform:
        yield p.urn, DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{platform}")
    yield p.urn, MLTrainingRunPropertiesClass(
        id=v.get("run_id"),
        hyperParams=[MLHyperParamClass(name=k, value=x if isinstance(x, str) else _json(x))
                     for k, x in sorted(v["params"].items())] or None,
        trainingMetrics=[MLMetricClass(name=k, value=str(x))
                         for k, x in sorted(v["metrics"].items())] or None)
    if v["inputs"]:
        yield p.urn, DataProcessInstanceInputClass(inputs=[u for u, _ in v["inputs"]],
                                                   inputEdges=_edges(v["inputs"]))
    if v["outputs"]:
        yield p.urn, DataProcessInstanceOutputClass(outputs=[u for u, _ in v["outputs"]],
                                                    outputEdges=_edges(v["outputs"]))
    if v.get("template") or v["upstream"]:
        yield p.urn, DataProcessInstanceRelationshipsClass(
            parentTemplate=v.get("template"), upstreamInstances=v["upstream"])
    event = _run_event(v)
    if event is not None:
        yield p.urn, event


# run statuses of every source (MLflow and records, OpenLineage, DVC experiments) → the
# result DataHub shows for a run that ended, as its MLflow source maps MLflow's
_RUN_RESULTS = {"FINISHED": "SUCCESS", "COMPLETE": "SUCCESS", "SUCCESS": "SUCCESS",
                "FAILED": "FAILURE", "FAIL": "FAILURE", "KILLED": "SKIPPED", "ABORT": "SKIPPED"}
_RUNNING = ("RUNNING", "START", "SCHEDULED", "OTHER")


def _run_event(v: dict[str, Any]) -> Any:
    """The run's ``dataProcessInstanceRunEvent``, from which the DataHub UI shows a run's
    status, result and duration (DataHub's MLflow source sends one per finished run): COMPLETE
    at its end time with the result its status gives (FINISHED/COMPLETE → SUCCESS, FAILED/FAIL
    → FAILURE, KILLED/ABORT → SKIPPED) and its duration; STARTED at its start time while it
    runs. None without the time the event needs."""
    from datahub.metadata.schema_classes import (
        DataProcessInstanceRunEventClass,
        DataProcessInstanceRunResultClass,
        DataProcessRunStatusClass,
    )

    status = str(v.get("status") or "").strip().upper()
    start, end = _ms(v.get("start")), _ms(v.get("end"))
    if status in _RUNNING:
        if start is None:
            return None
        return DataProcessInstanceRunEventClass(
            timestampMillis=start, status=DataProcessRunStatusClass.STARTED)
    if end is None:
        return None
    result = _RUN_RESULTS.get(status)
    return DataProcessInstanceRunEventClass(
        timestampMillis=end, status=DataProcessRunStatusClass.COMPLETE,
        result=DataProcessInstanceRunResultClass(
            type=result, nativeResultType=str(v.get("source") or "lineage"))
        if result else None,
        durationMillis=end - start if start is not None and end >= start else None)


def _model_label(model_nid: str | None) -> str:
    return (model_nid or "an unknown model version").removeprefix("model:")


def _build_deployment(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        DataJobInfoClass,
        DataJobInputOutputClass,
        DeploymentStatusClass,
        MLModelDeploymentPropertiesClass,
        OwnershipTypeClass,
        SubTypesClass,
        VersionTagClass,
    )

    v = p.view
    custom = _str_map({**v["properties"], "environment": v.get("environment"),
                       "endpoint": v.get("endpoint"), "deployed_at": v.get("deployed_at"),
                       "deployed_by": v.get("deployed_by"), "retired_at": v.get("retired_at"),
                       "source": v.get("source"), "model": v.get("model_urn"),
                       "lineage_id": v.get("lineage_id"), **v.get("records", {}),
                       "lineage_model": v.get("model") or None,
                       "record_file": v.get("record_file"),
                       "recorded_at": v.get("recorded_at"),
                       "last_recorded_at": v.get("last_recorded_at"),
                       "same_deployment": ",".join(v.get("same_deployment") or []) or None,
                       "audit_state": v.get("audit_state"),
                       **_free(v["properties"]), **_undescribed(v)})
    # as the audit takes it: a retirement (or a correction) dated after its writing is a
    # claim about the future, the deployment still runs
    state = v.get("audit_state")
    if state is None:
        status = DeploymentStatusClass.OUT_OF_SERVICE if v.get("retired_at") \
            or v.get("superseded_by") else DeploymentStatusClass.IN_SERVICE
    else:
        status = {"live": DeploymentStatusClass.IN_SERVICE,
                  "not deployed yet": DeploymentStatusClass.UNKNOWN}.get(
            state, DeploymentStatusClass.OUT_OF_SERVICE)
    version = VersionTagClass(versionTag=str(v["version"])) if v.get("version") else None
    yield p.urn, MLModelDeploymentPropertiesClass(
        description=f"{_model_label(v.get('model'))} in {v.get('environment')}",
        createdAt=_ms(v.get("deployed_at")), version=version, status=status,
        customProperties=custom, externalUrl=v["endpoint"] if _is_url(v.get("endpoint")) else None)
    deployer = _who(v, _person(v.get("deployed_by"), v["properties"].get("deployed_by_email")))
    deployed = [(v.get("deployed_at"), deployer)] if deployer else []
    owners = _owners([(deployer, OwnershipTypeClass.TECHNICAL_OWNER)] if deployer else [],
                     deployed)
    if owners:
        yield p.urn, owners
    # the proxy job: a page in the UI, a lineage edge from the model, governance aspects
    job, flow = v["job"], v["flow"]
    yield job, DataJobInfoClass(
        name=f"deploy {v['name']}", type="COMMAND", flowUrn=flow, customProperties=custom,
        description=f"Deployment of {_model_label(v.get('model'))} to {v.get('environment')}",
        externalUrl=v["endpoint"] if _is_url(v.get("endpoint")) else None)
    yield job, SubTypesClass(typeNames=[DEPLOYMENT_SUBTYPE])
    yield job, DataJobInputOutputClass(inputDatasets=[], outputDatasets=[])
    if v["approvals"] or "gate" in v or v.get("not_checked"):
        # (a deployment the audit counts: its verdict, or that it did not check it)
        yield job, _structured(_approval_values(v["approvals"], v))
    approvers = [a for a in _standing(v["approvals"]) if a.get("approver")]
    people = [(_who(v, a["approver"]), "approver") for a in approvers]
    if deployer:
        people.append((deployer, OwnershipTypeClass.TECHNICAL_OWNER))
    owners = _owners(people, [(a.get("at"), _who(v, a["approver"])) for a in approvers]
                     + deployed)
    if owners:
        yield job, owners


def _build_incident(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    from datahub.metadata.schema_classes import (
        IncidentInfoClass,
        IncidentSourceClass,
        IncidentStatusClass,
    )

    v = p.view
    state = "RESOLVED" if v["status"] == "resolved" or v.get("superseded_by") else "ACTIVE"
    value = "" if v.get("value") is None else f" = {v['value']:g}"
    thr = "" if v.get("threshold") is None else f" (threshold {v['threshold']:g})"
    desc = v.get("description") or f"{v['metric']}{value}{thr}"
    if v["retraining"]:
        desc += f"; follow-up: {', '.join(v['retraining'])}"
    if v.get("superseded_by"):
        desc += f"; superseded by {', '.join(v['superseded_by'])}"
    yield p.urn, IncidentInfoClass(
        type="CUSTOM", customType=INCIDENT_TYPE, entities=v["entities"],
        title=f"Drift: {v['metric']}{value}{thr}", description=desc,
        status=IncidentStatusClass(state=state, lastUpdated=_stamp(v.get("at")),
                                   message=v["status"]),
        source=IncidentSourceClass(type="MANUAL"), created=_stamp(v.get("at")),
        startedAt=_ms(v.get("at")), priority=INCIDENT_PRIORITY[state])


def _build_check(p: EntityPlan) -> Iterator[tuple[str, Any]]:
    """A monitoring check that passed: a run of the check that read the version(s), with a
    COMPLETE run event whose result is SUCCESS at the check's time."""
    from datahub.metadata.schema_classes import (
        DataProcessInstanceInputClass,
        DataProcessInstancePropertiesClass,
        DataProcessInstanceRunEventClass,
        DataProcessInstanceRunResultClass,
        DataProcessRunStatusClass,
        SubTypesClass,
    )

    v = p.view
    value = "" if v.get("value") is None else f" = {v['value']:g}"
    thr = "" if v.get("threshold") is None else f" (threshold {v['threshold']:g})"
    custom = _str_map({"lineage_id": v["id"], "metric": v.get("metric"),
                       "value": None if v.get("value") is None else f"{v['value']:g}",
                       "threshold": None if v.get("threshold") is None
                       else f"{v['threshold']:g}",
                       "at": v.get("at"), "status": v.get("status"),
                       "result": "passed: below its threshold",
                       "description": v.get("description"),
                       "record_file": v.get("record_file"),
                       "superseded_by": ",".join(v.get("superseded_by") or []) or None})
    models = ", ".join(_model_label(m) for m in v["models"])
    yield p.urn, DataProcessInstancePropertiesClass(
        name=f"Check of {models}: {v['metric']}{value}{thr}, passed", created=_stamp(v.get("at")),
        customProperties=custom)
    yield p.urn, SubTypesClass(typeNames=[CHECK_SUBTYPE])
    yield p.urn, DataProcessInstanceInputClass(
        inputs=list(v["entities"]), inputEdges=_edges((u, {}) for u in v["entities"]))
    at = _ms(v.get("at"))
    if at is not None:
        yield p.urn, DataProcessInstanceRunEventClass(
            timestampMillis=at, status=DataProcessRunStatusClass.COMPLETE,
            result=DataProcessInstanceRunResultClass(type="SUCCESS",
                                                     nativeResultType="lineage"))


def resolved_incident(p: EntityPlan) -> MetadataChangeProposalWrapper:
    """The incident an earlier lineage made of the alert record of a monitoring check that
    passed (``p``: the check's plan; :func:`incident_urn` of the record), resolved: DataHub
    cannot soft-delete an incident, so it stays, RESOLVED, with a message naming the check run
    that shows the record now, at the check's time (never the push's: renders stay
    reproducible)."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import (
        IncidentInfoClass,
        IncidentSourceClass,
        IncidentStatusClass,
    )

    v = p.view
    value = "" if v.get("value") is None else f" = {v['value']:g}"
    thr = "" if v.get("threshold") is None else f" (threshold {v['threshold']:g})"
    message = (f"resolved: the monitoring check passed ({v['metric']}{value}{thr}, below its "
               f"threshold); lineage shows it as the check run {p.urn}, not as an incident")
    return MetadataChangeProposalWrapper(entityUrn=incident_urn(str(v["id"])), aspect=(
        IncidentInfoClass(
            type="CUSTOM", customType=INCIDENT_TYPE, entities=list(v["entities"]),
            title=f"Drift: {v['metric']}{value}{thr}",
            description=v.get("description") or f"{v['metric']}{value}{thr}",
            status=IncidentStatusClass(state="RESOLVED", lastUpdated=_stamp(v.get("at")),
                                       message=message),
            source=IncidentSourceClass(type="MANUAL"), created=_stamp(v.get("at")),
            startedAt=_ms(v.get("at")), priority=INCIDENT_PRIORITY["RESOLVED"])))


def summary_resolving(urn: str, held: dict[str, Any], incidents: dict[str, Any]
                      ) -> MetadataChangeProposalWrapper | None:
    """``held`` (the ``incidentsSummary`` of ``urn`` as the destination holds it, JSON) with
    the ``incidents`` it lists as active (urn → when it was resolved, as a record's time)
    moved to the resolved ones, as GMS's ``IncidentsSummaryHook`` moves an incident that was resolved; None when it
    lists none of them as active."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import IncidentsSummaryClass

    body = dict(held)
    active = [str(u) for u in body.get("activeIncidents") or []]
    details = [d for d in body.get("activeIncidentDetails") or [] if isinstance(d, dict)]
    moving = {u for u in incidents if u in active or any(d.get("urn") == u for d in details)}
    if not moving:
        return None
    resolved = [str(u) for u in body.get("resolvedIncidents") or []]
    resolved_details = [d for d in body.get("resolvedIncidentDetails") or []
                        if isinstance(d, dict)]
    for d in details:
        if d.get("urn") in moving:
            resolved_details.append({**d, "resolvedAt": _ms(incidents[str(d["urn"])]) or 0,
                                     "priority": INCIDENT_PRIORITY["RESOLVED"]})
    summary = {**body,
               "activeIncidents": [u for u in active if u not in moving],
               "resolvedIncidents": resolved + sorted(moving - set(resolved)),
               "activeIncidentDetails": [d for d in details if d.get("urn") not in moving],
               "resolvedIncidentDetails": resolved_details}
    return MetadataChangeProposalWrapper(entityUrn=urn,
                                         aspect=IncidentsSummaryClass.from_obj(summary))


_BUILDERS = {
    "globals": _build_globals, "experiment": _build_experiment, "folder": _build_folder,
    "flow": _build_flow,
    "dataset": _build_dataset, "stage": _build_stage, "group": _build_group,
    "openlineage_job": _build_openlineage_job,
    "model": _build_model, "run": _build_run, "deployment": _build_deployment,
    "incident": _build_incident, "check": _build_check,
}


def cleared(urn: str, aspect_name: str) -> MetadataChangeProposalWrapper | None:
    """The MCP that empties an aspect we emitted before and render no longer (its last link,
    approver, value or edge went, e.g. superseded by a correction); None for an aspect that
    cannot become absent while its entity exists. An upsert replaces an aspect whole, so
    leaving it out would leave the old value showing as current."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata import schema_classes as sc

    empty: dict[str, Any] = {
        "institutionalMemory": lambda: sc.InstitutionalMemoryClass(elements=[]),
        "structuredProperties": lambda: sc.StructuredPropertiesClass(properties=[]),
        "glossaryTerms": lambda: sc.GlossaryTermsClass(terms=[], auditStamp=_stamp()),
        "ownership": lambda: sc.OwnershipClass(owners=[], lastModified=_stamp()),
        "incidentsSummary": lambda: sc.IncidentsSummaryClass(),
        # a version registered again, a group no longer deprecated (GTO), whose deprecation
        # a push showed
        "deprecation": lambda: sc.DeprecationClass(deprecated=False, note="",
                                                   actor=DEFAULT_ACTOR),
        "sourceCode": lambda: sc.SourceCodeClass(sourceCode=[]),
        "dataProcessInstanceInput": lambda: sc.DataProcessInstanceInputClass(inputs=[]),
        "dataProcessInstanceOutput": lambda: sc.DataProcessInstanceOutputClass(outputs=[]),
        "dataProcessInstanceRelationships":
            lambda: sc.DataProcessInstanceRelationshipsClass(upstreamInstances=[]),
        # an entity a push removed (``removed``) that the graph renders again
        "status": lambda: sc.StatusClass(removed=False),
    }
    make = empty.get(aspect_name)
    return MetadataChangeProposalWrapper(entityUrn=urn, aspect=make()) if make else None


def removed(urn: str) -> MetadataChangeProposalWrapper:
    """DataHub's soft delete of an entity pushed before that the graph renders no longer
    (``-o remove_stale=true``, as stateful ingestion's ``remove_stale_metadata``): hidden from
    search and browse, its aspects kept; :func:`cleared` brings it back."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata import schema_classes as sc

    return MetadataChangeProposalWrapper(entityUrn=urn, aspect=sc.StatusClass(removed=True))


# What a push shows of a governed entity (a model group, a version, a deployment and its
# proxy job) that can become absent while the entity stays (see :func:`cleared`). Each such
# entity lists the ones it shows under ``ASPECTS_KEY`` in its properties aspect's custom
# properties, so that a store that never pushed to the destination (a CI job's fresh clone)
# knows what a lineage push showed there and clears what it renders no longer.
GOVERNED_ASPECTS = ("deprecation", "glossaryTerms", "incidentsSummary", "institutionalMemory",
                    "ownership", "structuredProperties")
ASPECTS_KEY = "lineage_aspects"
PROPERTIES_ASPECTS = ("mlModelProperties", "mlModelGroupProperties",
                      "mlModelDeploymentProperties", "dataJobInfo")
_GOVERNED_BUILDERS = frozenset({"group", "model", "deployment"})


def _list_governed(pairs: list[tuple[str, Any]]) -> None:
    """Name on each entity's properties aspect the governed aspects it shows."""
    shown: dict[str, list[str]] = {}
    for urn, aspect in pairs:
        name = aspect.get_aspect_name()
        if name in GOVERNED_ASPECTS:
            shown.setdefault(urn, []).append(name)
    for urn, aspect in pairs:
        if aspect.get_aspect_name() in PROPERTIES_ASPECTS:
            custom = dict(aspect.customProperties or {})
            custom[ASPECTS_KEY] = ",".join(sorted(shown.get(urn, ())))
            aspect.customProperties = custom


@lru_cache(maxsize=64)
def _type_has_status(entity_type: str) -> bool:
    from datahub.emitter.mcp_builder import entity_supports_aspect
    from datahub.metadata.schema_classes import StatusClass

    try:
        return bool(entity_supports_aspect(entity_type, StatusClass))
    except Exception:  # an entity type this DataHub release does not know
        return False


def supports_status(urn: str) -> bool:
    """Whether DataHub's entity registry gives the urn's entity type a ``status`` aspect
    (an incident has none: it cannot be soft-deleted)."""
    from datahub.utilities.urns.urn import guess_entity_type

    return _type_has_status(guess_entity_type(urn))


def _mark_present(p: EntityPlan, pairs: list[tuple[str, Any]]) -> None:
    """``status`` with ``removed: false`` for each entity of the plan lineage owns, as
    DataHub's ingestion framework adds to every entity a source emits
    (``AutoStatusAspectProcessor``): an entity soft-deleted before (``-o remove_stale=true``
    from another store, ``datahub delete --soft``) that the graph renders is shown again,
    whichever store pushes it. Another system's dataset is left as its source keeps it."""
    from datahub.metadata.schema_classes import StatusClass

    if p.kind == "dataset" and p.view.get("foreign"):
        return
    have = {urn for urn, aspect in pairs if aspect.get_aspect_name() == "status"}
    for urn in dict.fromkeys(urn for urn, _ in pairs):
        if urn not in have and supports_status(urn):
            pairs.append((urn, StatusClass(removed=False)))


def build(p: EntityPlan) -> list[MetadataChangeProposalWrapper]:
    """The MCPs of one planned entity, in a fixed order."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    pairs = list(_BUILDERS[p.kind](p))
    if p.kind in _GOVERNED_BUILDERS:
        _list_governed(pairs)
    if p.kind != "globals":  # (definitions are shared by every store: never soft-deleted)
        _mark_present(p, pairs)
    return [MetadataChangeProposalWrapper(entityUrn=urn, aspect=aspect) for urn, aspect in pairs]


def render(graph: LineageGraph, *, platform: str = "dvc", env: str = "PROD",
           lowercase_urns: bool = False,
           record_times: dict[str, tuple[str | None, str | None]] | None = None,
           audit: AuditContext | None = None) -> list[MetadataChangeProposalWrapper]:
    """Every MCP of the graph, deterministic: definitions first, then entities by kind and urn
    (``lowercase_urns``, ``record_times``, ``audit``: see :func:`plan`)."""
    out: list[MetadataChangeProposalWrapper] = []
    for p in plan(graph, platform=platform, env=env, lowercase_urns=lowercase_urns,
                  record_times=record_times, audit=audit):
        out.extend(build(p))
    return out
