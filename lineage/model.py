"""Typed node and edge model of the lineage graph (DESIGN §3).

Every node is ``Node(kind, id, attrs)``. ``id`` is a string built from facts every source can
see (see :mod:`lineage.ids`), always prefixed with the kind (``commit:<sha>``), so the kind of a
node named by an edge is known even before any harvester has seen the node itself.

``attrs`` is validated by the pydantic model of its kind (``ATTRS_MODELS``); unknown fields are
rejected so that the JSON Schemas in ``schemas/nodes/`` stay the single description of what a
node may carry. Free-form facts go into ``properties`` (string → string), which every kind has.

Edges are ``Edge(kind, source, target, attrs)`` and always point from upstream to downstream.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class NodeKind(StrEnum):
    REPOSITORY = "repository"
    COMMIT = "commit"
    DATA = "data"
    STAGE = "stage"
    RUN = "run"
    MODEL_GROUP = "model_group"
    MODEL = "model"
    DEPLOYMENT = "deployment"
    APPROVAL = "approval"
    RISK_ASSESSMENT = "risk_assessment"
    RETRAINING = "retraining"
    ALERT = "alert"
    DOCUMENT = "document"


class EdgeKind(StrEnum):
    """Edge kinds, each documented with the node kinds it joins (upstream → downstream)."""

    CONTAINS = "contains"  # repository → commit
    PARENT = "parent"  # commit → commit (parent → child)
    DEFINES = "defines"  # commit → stage | data (the commit whose DVC files introduce it)
    INPUT = "input"  # data → stage | run   (attrs: pin = strong|weak|none, digest, path)
    OUTPUT = "output"  # stage | run → data
    CODE = "code"  # commit → run          (attrs: dirty)
    PRODUCED = "produced"  # run → model
    ARTIFACT = "artifact"  # data → model (the model version's artifact file at that hash)
    TAGGED = "tagged"  # commit → model (GTO registration / MLflow version source commit)
    VERSION_OF = "version_of"  # model → model_group
    PREVIOUS_VERSION = "previous_version"  # model → model (previous → next)
    SAME_AS = "same_as"  # model → model (two registries' spellings of one version); run → run (a recorded run and the MLflow run it ran in)
    DEPLOYED_AS = "deployed_as"  # model → deployment
    APPROVES = "approves"  # approval → model | deployment
    ASSESSES = "assesses"  # risk_assessment → model_group
    ALERTS = "alerts"  # alert → model
    TRIGGERS = "triggers"  # alert → retraining
    RETRAINS = "retrains"  # model(previous) → retraining → run | model(new)
    DOCUMENTS = "documents"  # document → model | model_group
    UPSTREAM_RUN = "upstream_run"  # run → run (previous or parent run)


PinStrength = Literal["strong", "weak", "none"]
RiskTier = Literal["unacceptable", "high", "limited", "minimal"]
RUN_SOURCES = ("mlflow", "dvc-exp", "openlineage", "lineage")


class _Attrs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)
    properties: dict[str, str] = Field(default_factory=dict, description="free-form facts")


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    email: str | None = None
    time: datetime | None = None


class RepositoryAttrs(_Attrs):
    url: str | None = Field(None, description="remote URL as configured (credentials removed)")
    path: str | None = Field(None, description="local path where it was harvested")
    root_commit: str | None = None
    superseded_by: str | None = Field(
        None, description="the repository id this one became (a remote added or changed): its "
        "facts stay in the audit trail, catalogs show them under the new id")


class CommitAttrs(_Attrs):
    sha: str
    repository: str | None = Field(None, description="repository node id")
    parents: list[str] = Field(default_factory=list, description="parent shas")
    author: Person | None = None
    committer: Person | None = None
    message: str | None = None
    signed: bool = False
    refs: list[str] = Field(default_factory=list, description="branches and tags pointing here")
    placeholder: bool = Field(False, description="named by another source, not seen in git")


class DataAttrs(_Attrs):
    path: str = Field(description="path relative to the repository root, or dataset name")
    repository: str | None = None
    hash: str | None = Field(None, description="content hash, e.g. md5:…; md5:….dir for dirs")
    hash_kind: str | None = Field(None, description="md5, md5-dos2unix, etag, openlineage …")
    size: int | None = None
    nfiles: int | None = None
    is_dir: bool = False
    remote: str | None = None
    import_url: str | None = Field(None, description="dvc import source repository")
    import_rev: str | None = None
    import_rev_lock: str | None = None
    namespace: str | None = Field(None, description="OpenLineage dataset namespace")
    first_commit: str | None = None


class StageAttrs(_Attrs):
    name: str
    repository: str | None = None
    dvc_yaml: str = Field("dvc.yaml", description="path of the dvc.yaml (or .dvc) defining it")
    cmd: str | list[str] | None = None
    deps: list[str] = Field(default_factory=list)
    outs: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    foreach_key: str | None = None
    commit: str | None = Field(None, description="first commit where this lock entry appears")
    frozen: bool = False


class RunAttrs(_Attrs):
    source: str = Field(description="mlflow | dvc-exp | openlineage | lineage")
    run_id: str
    name: str | None = None
    experiment: str | None = None
    experiment_id: str | None = None
    job: str | None = Field(None, description="OpenLineage job namespace/name or DVC stage")
    status: str | None = None
    user: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    commit: str | None = Field(None, description="code commit sha")
    dirty: bool | None = Field(None, description="trained on a working tree with changes")
    tracking_uri: str | None = None
    committed_at: datetime | None = Field(
        None, description="for a run record read from a committed file: when git first held "
        "it, the committer date of the commit that added it (set by the harvest that first "
        "reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class ModelGroupAttrs(_Attrs):
    name: str
    registry: str | None = Field(None, description="gto | mlflow | dvc | lineage")
    description: str | None = None
    intended_purpose: str | None = None
    owner: str | None = None
    path: str | None = Field(None, description="artifact path declared in dvc.yaml artifacts:")
    type: str | None = None
    labels: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


class ModelAttrs(_Attrs):
    group: str = Field(description="model group name")
    version: str
    registry: str | None = None
    artifact_uri: str | None = None
    artifact_hash: str | None = None
    commit: str | None = None
    run_id: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    aliases: list[str] = Field(default_factory=list)
    stage: str | None = None
    status: str | None = None
    deprecated: bool = False
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    description: str | None = None


class DeploymentAttrs(_Attrs):
    model: str = Field(description="model version node id")
    environment: str
    endpoint: str | None = None
    deployed_at: datetime | None = None
    deployed_by: str | None = None
    retired_at: datetime | None = None
    source: str | None = Field(None, description="gto | record")
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class ApprovalAttrs(_Attrs):
    approver: str
    role: str | None = None
    decision: Literal["approved", "rejected", "conditional"] = "approved"
    decided_at: datetime | None = None
    model: str | None = Field(None, description="model version node id")
    environment: str | None = None
    evidence: str | None = Field(None, description="ticket or evidence URI")
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class RiskAssessmentAttrs(_Attrs):
    model_group: str = Field(description="model group node id")
    tier: RiskTier
    annex_iii_area: str | None = None
    intended_purpose: str | None = None
    rationale: str | None = None
    assessor: str | None = None
    assessed_at: datetime | None = None
    next_review: datetime | None = None
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class RetrainingAttrs(_Attrs):
    trigger: Literal["drift", "schedule", "data-change", "manual"]
    reason: str | None = None
    previous_model: str | None = None
    new_model: str | None = None
    run: str | None = None
    within_change_plan: bool | None = None
    at: datetime | None = None
    alert: str | None = None
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class AlertAttrs(_Attrs):
    model: str | None = None
    metric: str
    value: float | None = None
    threshold: float | None = None
    at: datetime | None = None
    status: Literal["open", "acknowledged", "resolved"] = "open"
    description: str | None = None
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


class DocumentAttrs(_Attrs):
    doc_kind: Literal[
        "model_card", "datasheet", "bias_report", "evaluation", "transparency_notice",
        "data_governance", "other",
    ]
    uri: str
    content_hash: str | None = None
    model: str | None = None
    model_group: str | None = None
    title: str | None = None
    at: datetime | None = None
    record_file: str | None = None
    committed_at: datetime | None = Field(
        None, description="when git first held the record: the committer date of the commit "
        "that added it to its record file (set by the harvest that first reads it)")
    committed_in: str | None = Field(None, description="the sha of that commit")


ATTRS_MODELS: dict[NodeKind, type[_Attrs]] = {
    NodeKind.REPOSITORY: RepositoryAttrs,
    NodeKind.COMMIT: CommitAttrs,
    NodeKind.DATA: DataAttrs,
    NodeKind.STAGE: StageAttrs,
    NodeKind.RUN: RunAttrs,
    NodeKind.MODEL_GROUP: ModelGroupAttrs,
    NodeKind.MODEL: ModelAttrs,
    NodeKind.DEPLOYMENT: DeploymentAttrs,
    NodeKind.APPROVAL: ApprovalAttrs,
    NodeKind.RISK_ASSESSMENT: RiskAssessmentAttrs,
    NodeKind.RETRAINING: RetrainingAttrs,
    NodeKind.ALERT: AlertAttrs,
    NodeKind.DOCUMENT: DocumentAttrs,
}


def kind_of(node_id: str) -> NodeKind:
    """Kind of a node from its id prefix (``commit:abc`` → COMMIT)."""
    return NodeKind(node_id.split(":", 1)[0])


class Node(BaseModel):
    """A node: its kind, stable id and attributes (a plain JSON-able dict)."""

    model_config = ConfigDict(frozen=True)
    kind: NodeKind
    id: str
    attrs: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def make(cls, kind: NodeKind, node_id: str, **attrs: Any) -> Node:
        """Validate ``attrs`` against the kind's model and build the node.

        None values and empty collections are dropped so that a partial view of a node (e.g. a
        commit known only by sha from an MLflow run) never erases facts another source holds.
        """
        model = ATTRS_MODELS[kind].model_validate(attrs)
        return cls(kind=kind, id=node_id, attrs=compact(model.model_dump(mode="json")))

    @classmethod
    def trusted(cls, kind: NodeKind, node_id: str, attrs: dict[str, Any]) -> Node:
        """Build a node without validation: for hot paths whose attrs are already JSON-shaped."""
        return cls.model_construct(kind=kind, id=node_id, attrs=attrs)


class Edge(BaseModel):
    """A directed, typed edge from upstream ``source`` to downstream ``target``."""

    model_config = ConfigDict(frozen=True)
    kind: EdgeKind
    source: str
    target: str
    attrs: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.kind.value)

    @classmethod
    def make(cls, kind: EdgeKind, source: str, target: str, **attrs: Any) -> Edge:
        return cls(kind=kind, source=source, target=target, attrs=compact(attrs))


def compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop None values, empty lists/dicts and False defaults are kept (they are facts)."""
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def validate_node(node: Node) -> None:
    """Raise pydantic.ValidationError when ``node.attrs`` does not fit its kind."""
    ATTRS_MODELS[node.kind].model_validate(node.attrs)
    if kind_of(node.id) != node.kind:
        raise ValueError(f"node id {node.id!r} does not start with its kind {node.kind.value!r}")


__all__ = [
    "ATTRS_MODELS", "Edge", "EdgeKind", "Node", "NodeKind", "Person", "PinStrength", "RiskTier",
    "compact", "kind_of", "validate_node",
]
