"""Governance and run records: the file format, its validation and its mapping to the graph.

One mapping, three entry points: governance files harvested from the repository
(``connectors.harvesters.records``), ``lineage record …`` (:mod:`lineage.cli.record`) and the
Python API (:func:`emit`, ``connectors.tracking.track_run``) all turn a record into nodes and
edges with :func:`to_facts`.

File format (YAML or JSON, written by hand in a pull request)::

    kind: approval                 # one of RECORD_KINDS
    id: churn-v1.1.0-prod          # optional; else derived from the content hash
    model: churn@v1.1.0            # model versions are name@version
    environment: prod
    approver: alice
    role: risk-officer
    decision: approved
    decided_at: 2026-01-20T10:00:00Z
    evidence: JIRA-123

A file holds one record, a list of records, or several YAML documents (``---``). Field names
follow the node attributes of :mod:`lineage.model`; one JSON Schema per kind is generated from
the models below into ``schemas/records/`` (``python -m lineage.records``).

Validation errors are :class:`lineage.errors.InputError` naming file, line and field.
"""

from __future__ import annotations

import difflib
import glob
import json
import math
import os
import posixpath
import re
import sys
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lineage.errors import InputError
from lineage.gitfiles import (  # noqa: F401 (git_head, git_remote_url: re-exported)
    git_head,
    git_remote_url,
    named_after_boundary,
    shallow_identity_message,
)
from lineage.ids import (
    data_id,
    deployment_id,
    legacy_deployment_id,
    model_group_id,
    model_id,
    record_id,
    repo_key,
    run_id,
    strip_credentials_in_text,
)
from lineage.model import Edge, EdgeKind, Node, NodeKind, PinStrength, RiskTier
from lineage.serialize import dumps, utc_iso
from lineage.yamlpos import (
    KeyGivenTwice,
    given_twice,
    json_loads_unique,
    key_given_twice,
    may_hold_anchor,
    top_level_items,
)

if TYPE_CHECKING:
    import yaml

    from lineage.store import Store

# a path as the public API takes it: ``str`` or any ``os.PathLike`` (``pathlib.Path``)
StrPath = str | os.PathLike[str]

SCHEMA_BASE = "https://lineage.dev/schemas/records"
RUN_SOURCE = "lineage"


# -- field types --------------------------------------------------------------------------------
def _to_datetime(v: Any) -> Any:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    # a number (``decided_at: 20260110``, ``"1768900000"``) would be taken for Unix seconds
    # and recorded in 1970: refused, as the schema says (a string, ISO 8601 extended format)
    if isinstance(v, int | float) or (isinstance(v, str) and _NUMBER.fullmatch(v.strip())):
        text = str(v).strip()
        compact = _COMPACT_DATE.fullmatch(text)
        raise PydanticCustomError(
            "datetime_number", "a number, not a date or time",
            {"date": f"{compact[1]}-{compact[2]}-{compact[3]}" if compact else ""})
    return v


# a time written as a number, and YYYYMMDD (ISO 8601's basic format of a date)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")
_COMPACT_DATE = re.compile(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def _utc(v: datetime) -> datetime:
    try:
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00: a field error, not a traceback
        raise ValueError("its UTC time is before year 1 or after year 9999") from None


Timestamp = Annotated[
    datetime,
    BeforeValidator(_to_datetime),
    AfterValidator(_utc),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"},
                              {"type": "string", "format": "date"}],
                    "description": "ISO 8601 date or date-time (UTC when no zone is given)"}),
]

def _not_blank(v: str) -> str:
    if not v.strip():
        raise PydanticCustomError("blank", "must not be empty or only whitespace")
    return v


# a value written down, never "" or "  ": an empty approver is nobody, not an approver. The
# schema says so too ("not only whitespace"), for editors and for validators of other tools
Text = Annotated[str, AfterValidator(_not_blank),
                 WithJsonSchema({"type": "string", "minLength": 1,
                                 "not": {"pattern": r"^\s*$"}})]


def _not_before(value: datetime | None, info: ValidationInfo, earlier: str) -> datetime | None:
    """``value`` (the field being validated) is not before the field ``earlier``."""
    start = info.data.get(earlier)
    if value is not None and isinstance(start, datetime) and value < start:
        raise PydanticCustomError(
            "date_order", "{field} is before {earlier} {start}",
            {"field": info.field_name, "earlier": earlier,
             "start": start.isoformat().replace("+00:00", "Z")})
    return value


def _canonical_spelling(*values: str) -> BeforeValidator:
    """Read a status whatever its case (``failed``, ``Finished``, `` FAILED ``) as the value
    it spells; anything else is left as given, for the error to show it."""
    by_key = {v.casefold(): v for v in values}

    def spell(v: Any) -> Any:
        return by_key.get(v.strip().casefold(), v) if isinstance(v, str) else v

    return BeforeValidator(spell)


def metric_json(v: float) -> float | str:
    """A metric as JSON holds it: a number, or NaN and infinities by name, as MLflow's REST
    API and protobuf's JSON spell them ("NaN", "Infinity", "-Infinity"): JSON has no NaN, and
    a diverged loss is a fact to keep, not a null."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


# a metric: any float, NaN and infinities included (MLflow keeps them); read from a number,
# `.nan` / `.inf` in YAML, or "NaN", "Infinity", "-inf" … as text
Metric = Annotated[float, PlainSerializer(metric_json, when_used="json")]

# MLflow's run statuses: SCHEDULED and RUNNING have not ended; FINISHED, FAILED, KILLED have
RUN_STATUSES = ("SCHEDULED", "RUNNING", "FINISHED", "FAILED", "KILLED")
RunStatus = Annotated[Literal["SCHEDULED", "RUNNING", "FINISHED", "FAILED", "KILLED"],
                      _canonical_spelling(*RUN_STATUSES)]
AlertStatus = Annotated[Literal["open", "acknowledged", "resolved"],
                        _canonical_spelling("open", "acknowledged", "resolved")]

_MODEL_REF = r"^[^@\s]+@[^@\s]+$"
ModelRef = Annotated[str, Field(pattern=_MODEL_REF, description="model version as name@version",
                                examples=["churn@v1.1.0"])]
GroupName = Annotated[str, Field(pattern=r"^[^@\s]+$", description="model group (registered "
                                 "model / AI system) name", examples=["churn"])]
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$"
RecordIdStr = Annotated[str, Field(pattern=_ID_PATTERN,
                                   description="the record's own id; derived from the content "
                                   "hash when absent")]
Sha = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{7,64}$", description="git commit sha")]
HashStr = Annotated[str, Field(pattern=r"^[a-z0-9-]+:[0-9a-fA-F]+(\.dir)?$",
                               description="algorithm:hex, e.g. md5:… (DVC) or sha256:…")]


def default_version(content_hash: str) -> str:
    """Version of a model logged without one: ``md5-`` + 12 hex of its content hash."""
    return "md5-" + content_hash.split(":", 1)[-1][:12]


def split_model_ref(ref: str) -> tuple[str, str]:
    """``churn@v1.1.0`` → (``churn``, ``v1.1.0``)."""
    name, _, version = ref.partition("@")
    return name, version


def model_ref_id(ref: str) -> str:
    return model_id(*split_model_ref(ref))


def with_aliases_ref(ref: str, aliases: Mapping[str, str]) -> str:
    """``name@version`` (or a group name) under its canonical name (``model_aliases``)."""
    name, at, version = ref.partition("@")
    return aliases.get(name, name) + at + version


def with_aliases(record: _Record, aliases: Mapping[str, str]) -> _Record:
    """``record`` with the model groups it names under their canonical names
    (``model_aliases`` in lineage.yaml: another registry's name → the canonical one), as the
    GTO, MLflow and DVC harvesters name them; the record itself when it names none."""
    if not aliases:
        return record

    def ref(value: str | None) -> str | None:
        if value is None:
            return None
        name, at, version = value.partition("@")
        return aliases.get(name, name) + at + version

    update: dict[str, Any] = {}
    for fld in ("model", "previous_model", "new_model", "model_group"):
        value = getattr(record, fld, None)
        if isinstance(value, str) and ref(value) != value:
            update[fld] = ref(value)
    if isinstance(record, RunRecord) and any(m.name in aliases for m in record.models):
        update["models"] = [m.model_copy(update={"name": aliases.get(m.name, m.name)})
                            for m in record.models]
    return record.model_copy(update=update) if update else record


def deployment_key(data: Mapping[str, Any], aliases: Mapping[str, str]
                    ) -> tuple[str, str, str] | None:
    """(model version under its canonical name, environment, deployed_at) of a deployment."""
    model, env, at = data.get("model"), data.get("environment"), data.get("deployed_at")
    if data.get("kind") != "deployment" or not (isinstance(model, str) and isinstance(env, str)
                                                and isinstance(at, str)):
        return None
    return with_aliases_ref(model, aliases), env, at


def deployments_with_ids(records: Iterable[tuple[str, Mapping[str, Any]]],
                         aliases: Mapping[str, str]
                         ) -> dict[tuple[str, str, str], tuple[str, dict[str, Any]]]:
    """For records read together (one harvest, one ``record validate``): the node of the one
    deployment recorded with its own ``id:`` for a version, environment and time, and what it
    says. A record without ``id:`` of that version, environment and time that does not say
    otherwise (its retirement) lands on it, as it does on a stored one
    (:func:`stored_node_id`), so the graph does not depend on which file was harvested first;
    one that says otherwise is another deployment. A time two deployments with ids share
    names neither."""
    found: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = {}
    for nid, data in records:
        key = deployment_key(data, aliases) if data.get("id") else None
        if key is not None:
            found.setdefault(key, []).append(as_one_fact(nid, data, aliases))
    return {key: hits[0] for key, hits in found.items() if len({n for n, _ in hits}) == 1}


def as_one_fact(node_id: str, data: Mapping[str, Any], aliases: Mapping[str, str],
                named: Mapping[tuple[str, str, str], tuple[str, dict[str, Any]]] | None = None
                ) -> tuple[str, dict[str, Any]]:
    """The node a record's ``data`` (:func:`canonical`) lands on, and what it says, with the
    model groups it names under their canonical names (``model_aliases``): what two records
    are compared by when one harvest, or one ``lineage record validate``, reads both. A
    deployment without ``id:`` is named by its group, so ``churn-gto@v1`` and ``churn@v1``
    deployed to one environment at one time are one deployment — the one ``named`` gives
    (:func:`deployments_with_ids`) when a record read with it has its own id; a record's own
    or content-derived id stays what its file says (:func:`with_aliases`)."""
    if named and not data.get("id"):
        key = deployment_key(data, aliases)
        hit = named.get(key) if key is not None else None
        if hit is not None:
            nid, said = as_one_fact(hit[0], {**data, "id": hit[0].split(":", 1)[1]}, aliases)
            if not conflicts(hit[1], said):
                return nid, said
    if not aliases:
        return node_id, dict(data)
    out = dict(data)
    for fld in ("model", "previous_model", "new_model", "model_group"):
        value = out.get(fld)
        if isinstance(value, str):
            name, at, version = value.partition("@")
            out[fld] = aliases.get(name, name) + at + version
    if out.get("kind") == "run" and isinstance(out.get("models"), list):
        out["models"] = [{**m, "name": aliases.get(m["name"], m["name"])}
                         if isinstance(m, dict) and isinstance(m.get("name"), str) else m
                         for m in out["models"]]
    if (out.get("kind") == "deployment" and not out.get("id") and out.get("model") != data.get(
            "model") and isinstance(out.get("environment"), str)
            and isinstance(out.get("deployed_at"), str)):
        node_id = deployment_id(split_model_ref(out["model"])[0], out["environment"],
                                out["deployed_at"])
    return node_id, out


# -- credentials in URLs ------------------------------------------------------------------------
# a URL anywhere in a value: the whole value (uri, evidence, endpoint, a link in properties, an
# input path) or one inside free text (a reason, a description): strip_credentials_in_text


def scrub_credentials(value: Any, path: tuple[Any, ...] = (),
                      removed: list[str] | None = None) -> Any:
    """``value`` (a record's data, at any depth) with the credentials of every URL it holds
    removed by :func:`lineage.ids.strip_credentials` (``user:password@``, secret query and
    fragment parameters). The field paths that changed are appended to ``removed``.

    Records go to an immutable, hash-chained log and are pushed to catalogs: a secret stored
    once cannot be taken back, so it is never stored.
    """
    if isinstance(value, str):
        clean = strip_credentials_in_text(value)
        if clean != value and removed is not None:
            removed.append(_field_path(path))
        return clean
    if isinstance(value, dict):
        return {k: scrub_credentials(v, (*path, k), removed) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_credentials(v, (*path, i), removed) for i, v in enumerate(value)]
    return value


def credentials_removed(record: _Record) -> list[str]:
    """The fields (``uri``, ``properties.link``, ``models.0.path`` …) whose URLs held
    credentials that validation removed: empty for a record written without any."""
    return list(record._credentials_removed)


def credentials_warning(record: _Record, *, in_file: bool = False) -> str | None:
    """The one warning to give when ``record`` was written with credentials (never the
    secret itself), else None."""
    fields = credentials_removed(record)
    if not fields:
        return None
    text = (f"credentials removed from the URL in {', '.join(fields)} (user:password@, "
            "token and other secret parameters): they are not recorded")
    if in_file:
        text += ("; the file still holds them and its git history keeps them: rotate the "
                 "secret, and remove it from the file")
    else:
        text += "; if the secret was real, rotate it (it was on a command line)"
    return text


# -- record models ------------------------------------------------------------------------------
class _Record(BaseModel):
    # unquoted YAML numbers (`version: 3`, `id: 42`) are read as the text they look like
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    kind: str
    id: RecordIdStr | None = None
    properties: dict[str, str] = Field(default_factory=dict, description="free-form facts")
    # fields whose URLs held credentials, removed before validation (credentials_removed)
    _credentials_removed: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _scrub(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        # every URL-valued field (uri, evidence, endpoint, properties, a run's paths, params,
        # tags …) loses its credentials before anything — id, log, file, catalog — sees it
        removed: list[str] = []
        if isinstance(data, dict):
            data = scrub_credentials(data, (), removed)
        record = handler(data)
        if removed and isinstance(record, _Record):
            record._credentials_removed = removed
        return record


class RiskAssessmentRecord(_Record):
    """EU AI Act risk classification of a model group (AI system)."""

    kind: Literal["risk_assessment"]
    model_group: GroupName
    tier: RiskTier = Field(description="EU AI Act tier")
    annex_iii_area: Text | None = Field(None, description="Annex III area, e.g. "
                                       "'5(b) creditworthiness'")
    intended_purpose: Text | None = None
    rationale: Text | None = None
    assessor: Text | None = None
    assessed_at: Timestamp
    next_review: Timestamp | None = Field(None, description="next review; not before "
                                          "assessed_at (lineage checks it, this schema "
                                          "cannot)")

    @field_validator("next_review")
    @classmethod
    def _review_after_assessment(cls, v: datetime | None,
                                 info: ValidationInfo) -> datetime | None:
        return _not_before(v, info, "assessed_at")


class ApprovalRecord(_Record):
    """A person's decision on a model version (for an environment)."""

    kind: Literal["approval"]
    model: ModelRef
    environment: Text | None = None
    deployment: Text | None = Field(None, description="deployment record id, when the approval "
                                   "is for one deployment")
    approver: Text
    role: Text | None = None
    decision: Literal["approved", "rejected", "conditional"]
    decided_at: Timestamp
    evidence: Text | None = Field(None, description="ticket or evidence URI")


class DeploymentRecord(_Record):
    """A model version running in an environment (retired_at closes it)."""

    kind: Literal["deployment"]
    model: ModelRef
    environment: Text
    endpoint: Text | None = None
    deployed_at: Timestamp
    deployed_by: Text | None = None
    retired_at: Timestamp | None = Field(None, description="end of the deployment; not before "
                                         "deployed_at (lineage checks it, this schema "
                                         "cannot)")

    @field_validator("retired_at")
    @classmethod
    def _retired_after_deployed(cls, v: datetime | None,
                                info: ValidationInfo) -> datetime | None:
        return _not_before(v, info, "deployed_at")


class RetrainingRecord(_Record):
    """Why a new version was trained, from which, and whether the change plan covers it."""

    kind: Literal["retraining"]
    trigger: Literal["drift", "schedule", "data-change", "manual"]
    reason: Text | None = None
    previous_model: ModelRef | None = None
    new_model: ModelRef | None = None
    run: str | None = Field(None, description="run node id (run:mlflow:…, run:lineage:…)",
                            pattern=r"^run:[^:]+:.+$")
    within_change_plan: bool | None = Field(None, description="within the pre-agreed change "
                                            "plan (EU AI Act Art. 43(4))")
    at: Timestamp | None = None
    alert: Text | None = Field(None, description="id of the alert record that triggered it")


class AlertRecord(_Record):
    """A monitoring alert (drift, incident) on a model version."""

    kind: Literal["alert"]
    model: ModelRef
    metric: Text = Field(description="e.g. kl_divergence, ks_statistic, psi",
                        examples=["psi", "kl_divergence", "ks_statistic"])
    # NaN and infinity have no JSON: such an alert would read as one without a value
    value: float | None = Field(None, allow_inf_nan=False)
    threshold: float | None = Field(None, allow_inf_nan=False)
    at: Timestamp
    status: AlertStatus = "open"
    description: Text | None = None


DocKind = Literal["model_card", "datasheet", "bias_report", "evaluation", "transparency_notice",
                  "data_governance", "other"]


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """``text`` is a URL with a scheme (``https://…``, ``s3://…``), not a path."""
    return bool(_URL.match(text))


def normalize_uri(uri: str) -> str:
    """A document uri in one spelling: a repository-relative path normalized (``./a.md``,
    ``docs/../a.md`` → ``a.md``: one file, one document id); URLs and absolute paths as
    written."""
    if _URL.match(uri) or uri.startswith("/") or not uri.strip():
        return uri
    return posixpath.normpath(uri)


class DocumentRecord(_Record):
    """A document about a model version or group, pinned by content hash."""

    # what _target checks, for schema validators: a model version or a model group (or both)
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["model"], "properties": {"model": {"type": "string"}}},
        {"required": ["model_group"], "properties": {"model_group": {"type": "string"}}},
    ]})
    kind: Literal["document"]
    doc_kind: DocKind
    uri: Text = Field(description="repo-relative path (hashed and checked) or URL")
    content_hash: HashStr | None = Field(None, description="sha256:… of the file; computed for "
                                         "repo-relative files and checked when given")
    model: ModelRef | None = None
    model_group: GroupName | None = None
    title: Text | None = None
    at: Timestamp | None = Field(None, description="when the document (this content) was "
                                 "issued; without it, it counts from when it was recorded")

    @field_validator("uri")
    @classmethod
    def _one_spelling(cls, v: str) -> str:
        return normalize_uri(v)

    @model_validator(mode="after")
    def _target(self) -> DocumentRecord:
        if self.model is None and self.model_group is None:
            raise ValueError("a document needs `model: name@version` or `model_group: name`")
        return self


# a path in the repository, in one spelling (`./data/x.csv` is `data/x.csv`): the data node it
# names is the DVC harvester's for the same path and content
RepoPathText = Annotated[Text, AfterValidator(lambda v: normalize_uri(v))]


class RunInput(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    path: RepoPathText = Field(description="repo-relative path (or dataset name)")
    hash: HashStr | None = Field(None, description="content hash (DVC md5)")
    pin: PinStrength | None = Field(None, description="strong = content hash, weak = sample "
                                    "digest, none = path only; default from hash")
    size: int | None = None
    nfiles: int | None = None


class RunModel(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    name: GroupName
    version: str = Field(pattern=r"^[^@\s]+$")
    path: RepoPathText | None = Field(None, description="artifact path written by the run")
    hash: HashStr | None = Field(None, description="artifact content hash (DVC md5)")


class RunRecord(_Record):
    """A training run recorded by lineage itself (``lineage record run`` / ``track_run``)."""

    kind: Literal["run"]
    name: Text | None = None
    experiment: Text | None = None
    repository: Text | None = Field(None, description="repository id key "
                                   "(github.com/org/repo); default: this repository")
    commit: Sha | None = None
    dirty: bool | None = Field(None, description="trained on a working tree with changes")
    status: RunStatus = Field("FINISHED", description="SCHEDULED and RUNNING have not ended "
                              "(a later record of the same id completes the run); FINISHED, "
                              "FAILED, KILLED have")
    user: Text | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None  # wall-clock times: not checked for order
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    inputs: list[RunInput] = Field(default_factory=list)
    models: list[RunModel] = Field(default_factory=list)

    @field_validator("params")
    @classmethod
    def _params_have_json(cls, v: dict[str, Any]) -> dict[str, Any]:
        # NaN and infinities have no JSON (they would be null: no value); MLflow records params
        # as text, and str(nan) is "nan": so does lineage
        def text_if_not_finite(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return str(x)
            if isinstance(x, dict):
                return {k: text_if_not_finite(y) for k, y in x.items()}
            if isinstance(x, list):
                return [text_if_not_finite(y) for y in x]
            return x

        return {k: text_if_not_finite(x) for k, x in v.items()}

    @model_validator(mode="after")
    def _no_end_before_it_ends(self) -> RunRecord:
        if self.end_time is not None and self.status in NOT_ENDED:
            raise PydanticCustomError(
                "end_of_a_running_run", "end_time is given for a run that is {status}: a run "
                "has no end until it ends; leave the end out, or record the status it ended "
                "with (FINISHED, FAILED, KILLED)", {"status": self.status})
        return self

    @field_validator("inputs")
    @classmethod
    def _one_input_one_content(cls, v: list[RunInput]) -> list[RunInput]:
        seen: dict[str, RunInput] = {}
        for i in v:
            first = seen.setdefault(i.path, i)
            if first.hash != i.hash:
                raise PydanticCustomError(
                    "input_twice", "input {path} is read twice by this run, with other "
                    "content ({a}, {b}): give it once, with the hash it was read with",
                    {"path": i.path, "a": first.hash or "no hash", "b": i.hash or "no hash"})
        return v

    @field_validator("models")
    @classmethod
    def _one_version_one_set_of_bytes(cls, v: list[RunModel]) -> list[RunModel]:
        seen: dict[tuple[str, str], RunModel] = {}
        for m in v:
            first = seen.setdefault((m.name, m.version), m)
            if first.hash and m.hash and first.hash != m.hash:
                raise PydanticCustomError(
                    "version_twice", "model version {ref} is produced twice by this run, with "
                    "other bytes ({a}, {b}): one version has one set of bytes",
                    {"ref": f"{m.name}@{m.version}", "a": first.path or first.hash,
                     "b": m.path or m.hash})
        return v


RECORD_MODELS: dict[str, type[_Record]] = {
    "risk_assessment": RiskAssessmentRecord,
    "approval": ApprovalRecord,
    "deployment": DeploymentRecord,
    "retraining": RetrainingRecord,
    "alert": AlertRecord,
    "document": DocumentRecord,
    "run": RunRecord,
}
RECORD_KINDS = tuple(RECORD_MODELS)
AnyRecord = (RiskAssessmentRecord | ApprovalRecord | DeploymentRecord | RetrainingRecord
             | AlertRecord | DocumentRecord | RunRecord)


# -- ids ----------------------------------------------------------------------------------------
def canonical(record: _Record) -> dict[str, Any]:
    """The record as plain JSON data: no None, no empty collections, UTC times."""
    data: dict[str, Any] = _prune(record.model_dump(mode="json", exclude_none=True))
    return data


def _prune(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _prune(x) for k, x in v.items() if x is not None and x != {} and x != []}
    if isinstance(v, list):
        return [_prune(x) for x in v]
    return v


def native_id(record: _Record, data: dict[str, Any] | None = None) -> str:
    """The record's own id, or the first 16 hex of the sha256 of its canonical content
    (``data``, when the caller has it: :func:`canonical` of ``record``)."""
    if record.id:
        return record.id
    body = {k: v for k, v in (canonical(record) if data is None else data).items() if k != "id"}
    return record_id("x", None, dumps(body)).split(":", 1)[1]


def node_id_of(record: _Record, data: dict[str, Any] | None = None) -> str:
    """The graph node id a record becomes (``data``: its :func:`canonical` content, when the
    caller has it)."""
    if isinstance(record, RunRecord):
        return run_id(RUN_SOURCE, native_id(record, data))
    if isinstance(record, DeploymentRecord) and not record.id:
        return deployment_id(split_model_ref(record.model)[0], record.environment,
                             record.deployed_at)
    return record_id(record.kind, native_id(record, data))


def stored_node_id(store: Store, record: _Record, nid: str) -> str:
    """``nid``, or the id the store holds this record's node under: a deployment without
    ``id:`` is the one deployment of that version to that environment at that time the store
    holds, whatever its id (a deployment recorded with ``id:``; one named with ``+00:00``
    before deployment ids wrote UTC with ``Z``: :func:`lineage.ids.legacy_deployment_id`)."""
    if isinstance(record, DeploymentRecord) and not record.id and not store.has_node(nid):
        old = legacy_deployment_id(split_model_ref(record.model)[0], record.environment,
                                   record.deployed_at)
        if old != nid and store.has_node(old):
            return old
        # a deployment recorded with its own id: the one of this version, environment and
        # time (recording its retirement by model, environment and time completes it)
        same = [n.id for n in store.find_nodes(
            NodeKind.DEPLOYMENT, model=model_ref_id(record.model),
            environment=record.environment, deployed_at=utc_iso(record.deployed_at))]
        # unless it says otherwise about it: then it is another deployment at that time
        if len(same) == 1 and not recorded_clash(store, same[0],
                                                 to_facts(record, node_id=same[0])):
            return same[0]
    return nid


def _prefixed(kind: str, ref: str) -> str:
    return ref if ref.startswith(f"{kind}:") else f"{kind}:{ref}"


_OPENLINEAGE_RUN = "run:openlineage:"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")


def run_ref(ref: str) -> str:
    """The run node a record's run reference names: an OpenLineage run whose runId is a UUID
    under its canonical spelling, lower case and hyphenated, as the OpenLineage harvester
    stores it (``connectors.harvesters.openlineage.run_key``: producers upper-case runIds or
    drop the hyphens); any other reference as written."""
    if ref.startswith(_OPENLINEAGE_RUN):
        native = ref[len(_OPENLINEAGE_RUN):]
        if _UUID.fullmatch(native):
            return _OPENLINEAGE_RUN + str(uuid.UUID(native))
    return ref


# -- mapping ------------------------------------------------------------------------------------
def to_facts(record: _Record, *, record_file: str | None = None,
             repository: str | None = None, node_id: str | None = None,
             former: Collection[str] = ()) -> list[Node | Edge]:
    """Nodes and edges of one record (DESIGN §3). Pure: no I/O.

    Model versions, groups, runs and commits a record names appear only as edge ends, so the
    graph keeps them as placeholders until a harvester describes them (the audit's
    lineage-continuity rule sees a record naming a version nobody harvested). A run record is
    the exception: the run is the source of truth for the model versions it produced, and
    describes their groups (registry ``lineage``) where no registry does.

    ``repository``: the id this repository has now, which a run's data ids embed
    (:func:`repository_of`); ``former``: the repository keys that name this repository as it
    was named before (``root:<sha>``, its root commit, before a remote was added): a run
    record naming one reads and writes the data named as the repository is named now
    (:func:`run_repository`).
    """
    nid = node_id or node_id_of(record)
    props = dict(record.properties)
    out: list[Node | Edge] = []

    def version_of(ref: str) -> None:
        name, _ = split_model_ref(ref)
        out.append(Edge.make(EdgeKind.VERSION_OF, model_ref_id(ref), model_group_id(name)))

    if isinstance(record, RiskAssessmentRecord):
        out.append(Node.make(
            NodeKind.RISK_ASSESSMENT, nid, model_group=model_group_id(record.model_group),
            tier=record.tier, annex_iii_area=record.annex_iii_area,
            intended_purpose=record.intended_purpose, rationale=record.rationale,
            assessor=record.assessor, assessed_at=record.assessed_at,
            next_review=record.next_review, record_file=record_file, properties=props))
        out.append(Edge.make(EdgeKind.ASSESSES, nid, model_group_id(record.model_group)))
    elif isinstance(record, ApprovalRecord):
        mid = model_ref_id(record.model)
        out.append(Node.make(
            NodeKind.APPROVAL, nid, approver=record.approver, role=record.role,
            decision=record.decision, decided_at=record.decided_at, model=mid,
            environment=record.environment, evidence=record.evidence, record_file=record_file,
            properties=props))
        out.append(Edge.make(EdgeKind.APPROVES, nid, mid, environment=record.environment))
        if record.deployment:
            out.append(Edge.make(EdgeKind.APPROVES, nid,
                                 _prefixed("deployment", record.deployment)))
        version_of(record.model)
    elif isinstance(record, DeploymentRecord):
        mid = model_ref_id(record.model)
        out.append(Node.make(
            NodeKind.DEPLOYMENT, nid, model=mid, environment=record.environment,
            endpoint=record.endpoint, deployed_at=record.deployed_at,
            deployed_by=record.deployed_by, retired_at=record.retired_at, source="record",
            record_file=record_file, properties=props))
        out.append(Edge.make(EdgeKind.DEPLOYED_AS, mid, nid))
        version_of(record.model)
    elif isinstance(record, RetrainingRecord):
        prev = model_ref_id(record.previous_model) if record.previous_model else None
        new = model_ref_id(record.new_model) if record.new_model else None
        alert = _prefixed("alert", record.alert) if record.alert else None
        run = run_ref(record.run) if record.run else None  # the record keeps its spelling
        out.append(Node.make(
            NodeKind.RETRAINING, nid, trigger=record.trigger, reason=record.reason,
            previous_model=prev, new_model=new, run=run,
            within_change_plan=record.within_change_plan, at=record.at, alert=alert,
            record_file=record_file, properties=props))
        if prev:
            out.append(Edge.make(EdgeKind.RETRAINS, prev, nid))
        if new:
            out.append(Edge.make(EdgeKind.RETRAINS, nid, new))
        if run:
            out.append(Edge.make(EdgeKind.RETRAINS, nid, run))
        if alert:
            out.append(Edge.make(EdgeKind.TRIGGERS, alert, nid))
        if prev and new:
            out.append(Edge.make(EdgeKind.PREVIOUS_VERSION, prev, new))
        for ref in (record.previous_model, record.new_model):
            if ref:
                version_of(ref)
    elif isinstance(record, AlertRecord):
        mid = model_ref_id(record.model)
        out.append(Node.make(
            NodeKind.ALERT, nid, model=mid, metric=record.metric, value=record.value,
            threshold=record.threshold, at=record.at, status=record.status,
            description=record.description, record_file=record_file, properties=props))
        out.append(Edge.make(EdgeKind.ALERTS, nid, mid))
        version_of(record.model)
    elif isinstance(record, DocumentRecord):
        doc_model = model_ref_id(record.model) if record.model else None
        gid = model_group_id(record.model_group) if record.model_group else None
        out.append(Node.make(
            NodeKind.DOCUMENT, nid, doc_kind=record.doc_kind, uri=record.uri,
            content_hash=record.content_hash, model=doc_model, model_group=gid,
            title=record.title, at=record.at, record_file=record_file, properties=props))
        if doc_model and record.model:
            out.append(Edge.make(EdgeKind.DOCUMENTS, nid, doc_model))
            version_of(record.model)
        if gid:
            out.append(Edge.make(EdgeKind.DOCUMENTS, nid, gid))
    elif isinstance(record, RunRecord):
        out.extend(_run_facts(record, nid, record_file, run_repository(
            record, repository, former)))
    else:  # pragma: no cover - RECORD_MODELS is closed
        raise TypeError(type(record).__name__)
    return out


# a run that did not finish produced no model version: it claims none (a version it claimed
# would hold its bytes, and the retry's would be refused); the run keeps its status
FAILED_RUN = ("FAILED", "KILLED")


def failed_run_warning(record: _Record) -> str | None:
    """The warning for a run that did not finish, or has not ended yet (SCHEDULED, RUNNING:
    its models are produced when it ends), and names models (left out), else None."""
    if not isinstance(record, RunRecord) or record.status == "FINISHED" or not record.models:
        return None
    models = ", ".join(f"{m.name}@{m.version}" for m in record.models)
    if record.status in FAILED_RUN:
        return (f"a {record.status} run claims no model: {models} left out (the run that "
                "finishes records it)")
    return (f"a {record.status} run claims no model yet: {models} left out (record them "
            "when the run ends, with --status FINISHED)")


def run_repository(record: RunRecord, repository: str | None,
                   former: Collection[str] = ()) -> str:
    """The repository key a run record's data ids embed: the one it names, unless that is a
    former name of this repository (in ``former``: the root commit that named it before a
    remote was added) — then, as when it names none, this repository as it is named now
    (``repository``, an id), so its data is the data the git and DVC harvesters name; "local"
    when nothing names it."""
    named = record.repository
    if named and not (repository and named in former):
        return named
    return repo_key(repository) if repository else "local"


def _run_facts(record: RunRecord, nid: str, record_file: str | None,
               repo: str) -> list[Node | Edge]:
    props = dict(record.properties)
    if record_file:
        props["record_file"] = record_file
    run = Node.make(
        NodeKind.RUN, nid, source=RUN_SOURCE, run_id=nid.split(":", 2)[2], name=record.name,
        experiment=record.experiment, status=record.status, user=record.user,
        start_time=record.start_time, end_time=record.end_time, params=record.params,
        metrics=record.metrics, tags=record.tags,
        commit=record.commit.lower() if record.commit else None, dirty=record.dirty,
        properties=props)
    if record.metrics:  # NaN and infinities by name, as in the record (metric_json)
        run = Node(kind=run.kind, id=run.id, attrs={
            **run.attrs, "metrics": {k: metric_json(v) for k, v in record.metrics.items()}})
    out: list[Node | Edge] = [run]
    if record.commit:
        out.append(Edge.make(EdgeKind.CODE, f"commit:{record.commit.lower()}", nid,
                             dirty=record.dirty))
    for inp in record.inputs:
        pin = inp.pin or ("strong" if inp.hash else "none")
        did = data_id(repo, inp.path, inp.hash)
        out.append(Node.make(NodeKind.DATA, did, path=inp.path, repository=f"repository:{repo}",
                             hash=inp.hash, hash_kind=inp.hash.split(":", 1)[0] if inp.hash
                             else None, size=inp.size, nfiles=inp.nfiles,
                             is_dir=bool(inp.hash and inp.hash.endswith(".dir"))))
        out.append(Edge.make(EdgeKind.INPUT, did, nid, pin=pin, path=inp.path,
                             digest=inp.hash))
    # only a run that finished produced its models: not one that failed, nor one still
    # running (it may fail yet; recording it FINISHED names them)
    for m in record.models if record.status == "FINISHED" else ():
        mid = model_id(m.name, m.version)
        out.append(Node.make(
            NodeKind.MODEL, mid, group=m.name, version=m.version, artifact_uri=m.path,
            artifact_hash=m.hash, run_id=nid.split(":", 2)[2],
            commit=record.commit.lower() if record.commit else None,
            created_at=record.end_time))
        out.append(Edge.make(EdgeKind.PRODUCED, nid, mid))
        # the run describes its versions, so their group too: a version of a group nobody
        # describes would be a gap no harvest closes. A group a registry (GTO, MLflow, DVC)
        # or an earlier record already holds keeps its facts (keep_recorded_versions)
        out.append(Node.make(NodeKind.MODEL_GROUP, model_group_id(m.name), name=m.name,
                             registry=RUN_SOURCE))
        out.append(Edge.make(EdgeKind.VERSION_OF, mid, model_group_id(m.name)))
        if m.path:
            did = data_id(repo, m.path, m.hash)
            out.append(Node.make(NodeKind.DATA, did, path=m.path,
                                 repository=f"repository:{repo}", hash=m.hash,
                                 hash_kind=m.hash.split(":", 1)[0] if m.hash else None,
                                 is_dir=bool(m.hash and m.hash.endswith(".dir"))))
            out.append(Edge.make(EdgeKind.OUTPUT, nid, did))
            out.append(Edge.make(EdgeKind.ARTIFACT, did, mid))
    return out


# -- validation with file / line / field ------------------------------------------------------
@dataclass(frozen=True)
class LoadedRecord:
    """A validated record and where it was read: file, first line, line of each field."""

    record: _Record
    file: str
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)
    # the text of the list item of its file it was read from, when the file was read item by
    # item (:func:`parse_text`): what a version of the file holding it need not parse again
    item: str | None = field(default=None, repr=False, compare=False)

    def line_of(self, name: str) -> int:
        return line_in(self.field_lines, name, self.line)

    @property
    def node_id(self) -> str:
        return node_id_of(self.record)


def _field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _locate(node: yaml.Node, loc: tuple[Any, ...]) -> tuple[int, bool]:
    """Line (1-based) of the YAML node at ``loc``; (line of deepest ancestor, False) if absent."""
    import yaml

    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pairs: list[tuple[yaml.Node, yaml.Node]] = node.value  # (the stubs: Any)
            for k, v in pairs:
                if getattr(k, "value", None) == str(part):
                    # an unknown key: point at the key itself
                    node = v
                    line = k.start_mark.line + 1
                    break
            else:
                return line, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            items: list[yaml.Node] = node.value  # (the stubs: Any)
            if part >= len(items):
                return line, False
            node = items[part]
            line = node.start_mark.line + 1
        else:
            return line, False
    return line, True


def _hint_for(err: Mapping[str, Any], model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    typ = err["type"]
    name = str(loc[-1]) if loc else ""
    if typ == "missing":
        return f"add `{name}:` to the record (see schemas/records/)"
    if typ == "extra_forbidden":
        close = _close_field(model, loc)
        if close:
            return f"did you mean `{close}`?"
        return "remove it; known fields: " + ", ".join(_known_fields(model, loc[:-1]))
    if typ in ("literal_error", "enum"):
        if isinstance(err.get("input"), bool):
            return "YAML reads yes/no/on/off as true/false: write one of the values listed"
        from lineage.spelling import did_you_mean

        close = did_you_mean(str(err.get("input")), _literals(model, loc), ignore_case=True)
        return close or "use one of the values listed"
    if typ == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if pattern == _MODEL_REF:
            return "write model versions as name@version, e.g. churn@v1.1.0"
        if pattern == _ID_PATTERN:
            return ("write the id without spaces or slashes, starting with a letter or "
                    "digit, e.g. churn-v1.1.0-prod")
    if typ == "blank":
        if _is_required(model, loc):
            return f"`{name}` needs a value"
        return f"write a value, or leave `{name}` out"
    if typ == "date_order":
        ctx = err.get("ctx") or {}
        return f"check both dates: {name} cannot be before {ctx.get('earlier', 'it')}"
    if typ == "datetime_number" and (err.get("ctx") or {}).get("date"):
        day = err["ctx"]["date"]
        return f"write it as {day} (or {day}T10:00:00Z with the time): ISO 8601 with dashes"
    if typ.startswith(("datetime_", "date_")):
        return "write a date that exists, in ISO 8601: 2026-01-20 or 2026-01-20T10:00:00Z"
    if typ == "version_twice":
        return "give each model file its own version (a model version is immutable)"
    return "fix the value (see schemas/records/ for the format)"


def _literals(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The values a ``Literal`` field at ``loc`` allows (``tier``: unacceptable, high, …)."""
    from typing import get_args, get_origin

    at = _model_at(model, loc[:-1])
    info = at.model_fields.get(str(loc[-1])) if at is not None and loc else None
    out: list[str] = []
    todo = [info.annotation] if info is not None else []
    while todo:
        ann = todo.pop()
        if get_origin(ann) is Literal:
            out += [str(a) for a in get_args(ann)]
        else:
            todo += list(get_args(ann))
    return out


def _is_required(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    at = _model_at(model, loc[:-1])
    info = at.model_fields.get(str(loc[-1])) if at is not None and loc else None
    return info is not None and info.is_required()


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    at = _model_at(model, loc)
    return sorted(at.model_fields) if at is not None else []


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The (nested) model the field path ``loc`` leads to, e.g. RunInput for ``inputs.0``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        current = next((a for a in (ann, *args) if isinstance(a, type)
                        and issubclass(a, BaseModel)), None)
    return current


_PATTERN_TEXT = {
    _MODEL_REF: "expected a model version as name@version",
    r"^[^@\s]+$": "expected a name without '@' or spaces",
    r"^[a-z0-9-]+:[0-9a-fA-F]+(\.dir)?$": "expected a hash as algorithm:hex (md5:…, sha256:…)",
    r"^[0-9a-fA-F]{7,64}$": "expected a git commit sha (hex)",
    r"^run:[^:]+:.+$": "expected a run node id like run:lineage:<id> or run:mlflow:<host>:<id>",
    _ID_PATTERN: "expected an id of letters, digits and . _ @ + -",
}


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch":
        msg = _PATTERN_TEXT.get((err.get("ctx") or {}).get("pattern", ""), msg)
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    inp = err.get("input")
    if isinstance(inp, date):  # an unquoted YAML date: show it as written
        inp = inp.isoformat()
    if inp is not None and not isinstance(inp, dict | list):
        msg += f" (got {inp!r})"
    return msg


def _looks_like_policy(data: dict[str, Any]) -> bool:
    """Top-level keys of an audit policy (``lineage-policy.yaml``) and of no record kind."""
    from lineage.audit.policy import Policy

    keys = set(data)
    return bool(keys) and keys <= set(Policy.model_fields) and bool(
        keys & {"rules", "approvals", "waivers", "high_risk_documents", "monitoring",
                "risk_assessment", "retraining"})


def validate_data(data: Any, *, file: str, node: yaml.Node | None = None,
                  line: int | None = 1) -> _Record:
    """Validate one record's data; raise InputError naming file, line and field."""
    if not isinstance(data, dict):
        raise InputError(f"a record must be a mapping with a `kind:` key, found "
                         f"{type(data).__name__}", file=file, line=line,
                         hint="write `kind: approval` (or another kind) and its fields")
    kind = data.get("kind")
    model = RECORD_MODELS.get(str(kind)) if kind is not None else None
    if model is None:
        kl, _ = _locate(node, ("kind",)) if node is not None else (line, False)
        close = difflib.get_close_matches(str(kind), RECORD_KINDS, n=1) if kind else []
        hint = (f"did you mean `{close[0]}`?" if close else
                "kind is one of " + ", ".join(RECORD_KINDS))
        if kind is None and _looks_like_policy(data):
            hint = ("this looks like an audit policy, not a record: the audit reads a policy "
                    "only from lineage-policy.yaml at the repository root or the file "
                    "lineage.yaml names (policy: <path>), which the harvest then skips")
        raise InputError("missing `kind:`" if kind is None else f"unknown record kind {kind!r}",
                         file=file, line=kl, field="kind", hint=hint)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError.of(_problems(exc, model, file, node, line)) from None


def _problems(exc: ValidationError, model: type[BaseModel], file: str, node: yaml.Node | None,
              line: int | None) -> list[InputError]:
    """Every problem of one record, each naming its line and field, in the order of the
    record (a misspelt key before the rest). A required field reported missing because its key
    is misspelt (``aprover:``, whose hint is "did you mean `approver`?") is that one problem."""
    errs = exc.errors(include_url=False)
    meant = {(tuple(e["loc"][:-1]), close) for e in errs if e["type"] == "extra_forbidden"
             and (close := _close_field(model, tuple(e["loc"]))) is not None}
    out: list[tuple[tuple[int, bool], InputError]] = []
    for err in errs:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and (loc[:-1], str(loc[-1])) in meant:
            continue
        eline = _locate(node, loc)[0] if node is not None else line
        out.append(((eline or 0, err["type"] != "extra_forbidden"), InputError(
            _message(err), file=file, line=eline, field=_field_path(loc) or None,
            hint=_hint_for(err, model, loc))))
    return [p for _, p in sorted(out, key=lambda x: x[0])]


def _close_field(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The known field an unknown key at ``loc`` is a misspelling of, if one is close."""
    close = difflib.get_close_matches(str(loc[-1]), _known_fields(model, loc[:-1]), n=1)
    return close[0] if close else None


@cache
def _loader_class() -> type[yaml.CSafeLoader] | type[yaml.SafeLoader]:
    """The safe YAML loader, except that an impossible unquoted date (``2026-02-30``) is read
    as the text it is, so that validation names its file, line and field."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def timestamp(loader: yaml.CSafeLoader | yaml.SafeLoader, node: yaml.ScalarNode
                  ) -> date | str:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)

    # a subclass of the base PyYAML has (libyaml's, else the pure-Python one), made by type()
    loader = cast("type[yaml.CSafeLoader] | type[yaml.SafeLoader]",
                  type("RecordLoader", (base,), {}))
    loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return loader


# a record file that is one YAML list is parsed this many items at a time: PyYAML's node tree
# of a whole file (every key and value with its marks) takes ~70 times the file's size, and
# gigabytes for a file of a few hundred thousand records
_SLICE = 500


def parse_text(text: str, file: str) -> list[LoadedRecord]:
    """Parse and validate a record file's text (YAML or JSON). All or nothing.

    A YAML list (without an anchor) is parsed a slice of items at a time, each record named
    by its line in the file and holding the text of its item (``item``); any problem in a
    slice — an invalid record, an item that does not parse apart — has the whole file parsed
    instead, which raises the error it raises (with its lines) or reads it whole."""
    items = None if file.endswith(".json") else top_level_items(text)
    if items is not None and not may_hold_anchor(text):
        out: list[LoadedRecord] = []
        offset = text.count("\n", 0, len(text) - sum(map(len, items)))  # the head's lines
        for i in range(0, len(items), _SLICE):
            part = items[i:i + _SLICE]
            got = _slice_records(part, file, offset)
            if got is None:
                break
            out += got
            offset += sum(item.count("\n") for item in part)
        else:
            return out
    return _parse_whole(text, file)


def _slice_records(items: list[str], file: str, offset: int) -> list[LoadedRecord] | None:
    """The record of each of ``items`` (consecutive list items of a file, the first on line
    ``offset`` + 1), parsed together; None when they are not one valid record each."""
    try:
        got = _parse_whole("".join(items), file, offset)
    except InputError:
        return None
    if len(got) != len(items):
        return None
    start = offset + 1
    for rec, item in zip(got, items, strict=True):
        end = start + item.count("\n")
        if rec.line != start and not start < rec.line < end:  # from another item's text
            return None
        start = end
    return [replace(rec, item=item) for rec, item in zip(got, items, strict=True)]


def _parse_whole(text: str, file: str, offset: int = 0) -> list[LoadedRecord]:
    """Parse and validate a record file's text, or ``offset`` lines further down in it."""
    import yaml

    loader_cls = _loader_class()
    docs: list[tuple[yaml.Node | None, Any]] = []  # (the composed document, its value)
    try:
        loader = loader_cls(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                _check_keys_once(node, file)  # before construction folds `<<` merges in
                docs.append((node, loader.construct_document(node)))
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        if file.endswith(".json"):
            try:
                data = json_loads_unique(text)
            except json.JSONDecodeError as jexc:
                raise InputError(f"not valid JSON: {jexc.msg}", file=file, line=jexc.lineno,
                                 hint="fix the syntax") from None
            except KeyGivenTwice as kexc:
                # a record of a list is named as one of a file (as YAML's are)
                loc = kexc.loc[1:] if isinstance(kexc.loc[0], int) else kexc.loc
                raise _twice(file, loc, kexc.first, kexc.line) from None
            docs = [(None, data)]
        else:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputError(f"not valid YAML: {problem}", file=file,
                             line=mark.line + 1 if mark else None,
                             hint="fix the syntax (indentation, quotes, `key: value`)") from None
    out: list[LoadedRecord] = []
    problems: list[InputError] = []  # of every record of the file, not just the first bad one
    for node, data in docs:
        if data is None:
            continue
        items = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
        for i, item in items:
            sub = node if i is None else node.value[i] if node is not None else None
            line = sub.start_mark.line + 1 if sub is not None else 1
            try:
                rec = validate_data(item, file=file, node=sub, line=line)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            lines = _field_lines(sub)
            if offset:  # a slice of the file: its lines are the file's, further down
                line += offset
                lines = {k: v + offset for k, v in lines.items()}
            out.append(LoadedRecord(rec, file, line, lines))
    if problems:
        raise InputError.of(problems)
    return out


def _check_keys_once(node: yaml.Node | None, file: str) -> None:
    """A key given twice in a record of the document ``node`` is an error: YAML keeps the last
    value silently, and an approval saying ``approver: alice`` then ``approver: bob`` must not
    read as bob."""
    import yaml

    # each record of a list on its own: its fields are named as those of a file's record
    for rec in node.value if isinstance(node, yaml.SequenceNode) else [node]:
        twice = key_given_twice(rec)
        if twice is not None:
            raise _twice(file, *twice)


def _twice(file: str, loc: tuple[Any, ...], first: int, line: int) -> InputError:
    return InputError(given_twice(loc, first), file=file, line=line, field=_field_path(loc),
                      hint="keep one of them (a reader would otherwise see only the last)")


def _field_lines(node: yaml.Node | None) -> dict[str, int]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    pairs: list[tuple[yaml.Node, yaml.Node]] = node.value  # (the stubs: Any)
    for k, v in pairs:
        if isinstance(k, yaml.ScalarNode):
            lines[str(k.value)] = k.start_mark.line + 1
            if k.value == "properties" and isinstance(v, yaml.MappingNode):
                # a correction's `supersedes` is named by its own line
                lines.update({f"properties.{pk.value}": pk.start_mark.line + 1
                              for pk, _ in v.value if isinstance(pk, yaml.ScalarNode)})
    return lines


def line_in(field_lines: Mapping[str, int], name: str, default: int) -> int:
    """The line of the field ``name`` (``model``, ``properties.supersedes``): its own, else
    that of the field holding it, else ``default`` (the record's first line)."""
    return field_lines.get(name) or field_lines.get(name.split(".", 1)[0], default)


def parse_file(path: StrPath, repo_root: StrPath) -> list[LoadedRecord]:
    """Validate the record file ``path`` (``str`` or PathLike; relative to the current
    directory) and return its records; ``file`` in them and in errors is relative to
    ``repo_root``. Raises :class:`InputError` naming file, line and field."""
    path, repo_root = Path(path), Path(repo_root)
    rel = _rel(path, repo_root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        # named as the folder lists it: a dangling link's target is no file to look for
        try:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(repo_root)).as_posix()
        except ValueError:
            pass
        raise InputError(f"cannot read: {exc.strerror or exc}", file=rel,
                         hint="fix the file's permissions or link, or remove it") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                         file=rel, line=raw[:exc.start].count(b"\n") + 1,
                         hint="save the record file as UTF-8") from None
    return parse_text(text, rel)


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return str(path)


# -- documents: content hash of repo-relative files ---------------------------------------------


def document_path(uri: str, repo_root: StrPath) -> Path | None:
    """The file a document uri names inside the repository, or None (URL / outside)."""
    repo_root = Path(repo_root)
    if _URL.match(uri) or uri.startswith("/"):
        return None
    p = PurePosixPath(normalize_uri(uri))
    if ".." in p.parts:
        return None
    return repo_root / p


def document_hash(path: Path, algo: str = "sha256") -> str | None:
    """``algo:hex`` of the file ``path`` (sha256, or md5 when a record gives one); None for
    another algorithm (which lineage cannot check)."""
    import hashlib

    from lineage.hashing import file_sha256

    if algo == "sha256":
        return f"sha256:{file_sha256(path)}"
    if algo == "md5":
        return f"md5:{hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()}"
    return None


def same_named_files(repo_root: StrPath, uri: str, limit: int = 3) -> list[str]:
    """Files of the work tree named as ``uri``'s last part (any case), repo-relative: what a
    document path naming no file may have meant (``bias_report.md`` → ``docs/bias_report.md``).
    Hidden folders (``.git``, ``.lineage``, ``.dvc``) are not searched; nor, past 50,000
    entries, the rest (a hint, not a search engine)."""
    name = PurePosixPath(uri).name.lower()
    if not name or name in (".", ".."):
        return []
    root = Path(repo_root)
    found: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        seen += len(dirs) + len(files)
        for f in sorted(files):
            if f.lower() == name:
                found.append(Path(folder, f).relative_to(root).as_posix())
        if seen > 50_000:
            break
    found.sort(key=lambda r: (r.count("/"), r))
    return found[:limit]


def missing_document(uri: str, repo_root: StrPath, *, where: str = "",
                     shown_from: StrPath | None = None) -> tuple[str, str]:
    """The message and hint for a document path naming no file, with a did-you-mean when a
    file of that name is elsewhere in the repository (repo-relative, or as typed from the
    folder ``shown_from``: the command line reads a path from the current folder). ``where``
    says where it was looked for."""
    near = same_named_files(repo_root, uri)
    if shown_from is not None:
        near = [Path(os.path.relpath(Path(repo_root, n), shown_from)).as_posix() for n in near]
    message = f"document {uri} names no file{where}"
    read = (" (a relative path is read from the current folder)" if shown_from is not None
            else " (relative to the repository's root)")
    if near:
        hint = (f"did you mean {' or '.join(near)}? give the path of the document's file"
                f"{read}, or a URL for a document kept elsewhere")
    else:
        hint = (f"give the path of the document's file once it is written{read}, or a URL "
                "for a document kept elsewhere")
    return message, hint


def check_document(record: DocumentRecord, repo_root: StrPath, *, file: str | None = None,
                   line: int | None = None, missing_ok: bool = True,
                   held_by: HeldBy | None = None) -> tuple[DocumentRecord, str | None]:
    """Fill in / check the content hash of a repo-relative document, from the work tree:
    what ``lineage record document`` (:func:`emit`) pins when it records it.

    Returns the record (with ``content_hash`` set when the file exists) and a warning text
    when its content cannot be pinned (a URL is not fetched: no warning). A given hash that
    differs from the file is an InputError — unless ``held_by`` (``(uri, content_hash)`` →
    the commit whose version of the file has that content, or None: git's history, which the
    core does not read) names a commit holding it: then the record pins that earlier version
    (a correction of a record made before the file changed), and the warning says which
    commit holds it; the same for a file deleted since. A path naming no file is a warning,
    or with ``missing_ok=False`` an InputError (with a did-you-mean): a record of a document
    that is not there pins nothing, yet would count as the document. Harvested record files
    are pinned from git instead (``connectors.harvesters.records``: a recorded document is
    not compared with the work tree again) and checked by :func:`check_files`.
    """
    path = document_path(record.uri, repo_root)
    if path is None:
        if _URL.match(record.uri):  # URLs are not fetched
            return record, None
        there = Path(record.uri) if record.uri.startswith("/") else Path(repo_root) / record.uri
        if not missing_ok and not there.exists():
            message, hint = missing_document(record.uri, repo_root)
            raise InputError(message, file=file, line=line, field="uri", hint=hint)
        return record, (f"document {record.uri} is outside the repository; its content is "
                        "not pinned")
    if path.is_dir():
        return record, (f"document {record.uri} is a folder, not a file: its content is not "
                        "pinned (name the document's file)")
    given = record.content_hash
    if not path.is_file():
        held = _held_version(record, held_by, None)
        if held is not None:  # deleted since: the version a commit holds, given by its hash
            return held
        if not missing_ok:
            message, hint = missing_document(record.uri, repo_root,
                                             where=" in the repository")
            raise InputError(message, file=file, line=line, field="uri", hint=hint)
        return record, f"document {record.uri} is not in the repository; its content is not pinned"
    algo = given.split(":", 1)[0] if given else "sha256"
    actual = document_hash(path, algo)
    if actual is None:
        return record, f"document {record.uri}: cannot check a {algo} hash"
    if given and given.lower() != actual:
        held = _held_version(record, held_by, actual)
        if held is not None:
            return held
        if held_by is None:  # the work tree only
            raise InputError(
                f"content_hash does not match {record.uri} (file has {actual})", file=file,
                line=line, field="content_hash",
                hint=f"record the document as it is ({actual}); to record an earlier version "
                     "of it, check that version out first")
        raise InputError(
            f"content_hash {given} is no version of {record.uri}: neither the file ({actual} "
            "now) nor any commit of the repository has that content", file=file, line=line,
            field="content_hash",
            hint=f"check the hash: the file as it is now has {actual} (or leave the hash out "
                 "to record it as it is); an earlier version is pinned by the hash a commit "
                 f"holds (`git log --all -- {record.uri}`), a version never committed cannot "
                 "be")
    return record.model_copy(update={"content_hash": actual}), None


# ``(uri, content_hash)`` → the commit whose version of the repository file has that content
HeldBy = Callable[[str, str], str | None]


def _held_version(record: DocumentRecord, held_by: HeldBy | None,
                  actual: str | None) -> tuple[DocumentRecord, str] | None:
    """``record`` pinned to the version of its file a commit holds (``held_by``), with the
    note saying which; None when no commit holds its ``content_hash`` (or none is given)."""
    given = record.content_hash
    if not given or held_by is None:
        return None
    sha = held_by(record.uri, given.lower())
    if sha is None:
        return None
    now = f"the work tree's file has {actual} now" if actual else "it is no file any more"
    return (record.model_copy(update={"content_hash": given.lower()}),
            f"document {record.uri}: content_hash {given.lower()} is the file as commit "
            f"{sha} holds it ({now}): the record pins that version")


def _file_check(record: DocumentRecord, repo_root: Path, stored: str | None,
                held_by: HeldBy | None = None) -> str | None:
    """:func:`check_files`' check of a record file's document against the work tree: a
    warning, never an error. A document record pins the content it was recorded with — the
    ``content_hash`` it gives, or the hash the first harvest computed — not the file as it is
    now: an edited, moved or deleted document must not fail every check after it (its
    history is in git, which the core does not read). ``stored``: the hash the store holds
    for the record (nothing to check then: it is recorded). ``held_by``: the commit whose
    version of the file has a content hash (:data:`HeldBy`), if git can say — a hash some
    commit holds is a version of the document, as ``lineage record document`` takes it."""
    if stored is not None and (record.content_hash is None
                               or record.content_hash.lower() == stored.lower()):
        return None
    path = document_path(record.uri, repo_root)

    def held() -> bool:  # a version of the file a commit holds (deleted or changed since)
        return bool(record.content_hash and held_by is not None
                    and held_by(record.uri, record.content_hash.lower()))

    if path is not None and not path.is_dir() and not path.is_file() and held():
        return None
    if path is None or path.is_dir() or not path.is_file():
        try:
            _, warning = check_document(record, repo_root)
        except InputError:  # pragma: no cover - a missing file raises nothing here
            return None
        if warning and path is not None and not path.is_dir():
            near = same_named_files(repo_root, record.uri)
            if near:
                warning += f" (did you mean {' or '.join(near)}?)"
        return warning
    given = record.content_hash
    if given is None:
        return None
    algo = given.split(":", 1)[0]
    actual = document_hash(path, algo)
    if actual is None:
        return f"document {record.uri}: cannot check a {algo} hash"
    if given.lower() != actual and not held():
        return (f"document {record.uri} is not the content this record gives ({actual} now): "
                "the record pins the version it names, an earlier one of the file if it "
                "changed since; when the record is new, check its content_hash")
    return None


# -- writing record files -------------------------------------------------------------------------
def to_yaml(record: _Record) -> str:
    """The record as a governance file, fields in model order, readable in a diff."""
    import yaml

    data = canonical(record)
    if isinstance(data.get("metrics"), dict):  # NaN as YAML writes it: `.nan`, `.inf`
        data["metrics"] = {k: float(v) if isinstance(v, str) else v
                           for k, v in data["metrics"].items()}
    order = ["kind", "id", *type(record).model_fields]
    ordered = {k: data[k] for k in dict.fromkeys(order) if k in data}
    text: str = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True,
                               default_flow_style=False, width=100)
    return text


def record_filename(record: _Record) -> str:
    """``<kind>/<id>.yaml``; a deployment without id is named by group, environment and time,
    so recording its retirement later rewrites the same file."""
    if isinstance(record, DeploymentRecord) and not record.id:
        name = split_model_ref(record.model)[0]
        # the time as its id says it: to the second, or to the microsecond when it has them
        at = record.deployed_at.astimezone(UTC).strftime(
            "%Y%m%dT%H%M%S.%fZ" if record.deployed_at.microsecond else "%Y%m%dT%H%M%SZ")
        # one file name in the folder, on every OS: what the id allows, the rest as '-'
        safe = re.sub(r"[^A-Za-z0-9._@+-]+", "-", f"{name}-{record.environment}").strip("-.")
        return f"deployment/{safe}-{at}.yaml"
    return f"{record.kind}/{native_id(record)}.yaml"


def conflicts(a: _Record | dict[str, Any], b: _Record | dict[str, Any]) -> list[str]:
    """Fields two records of one node both set, to different values."""
    da = a if isinstance(a, dict) else canonical(a)
    db = b if isinstance(b, dict) else canonical(b)
    return sorted(k for k in set(da) & set(db) if k != "id" and da[k] != db[k])


def said_otherwise(seen: dict[str, dict[str, tuple[Any, Any]]], nid: str,
                   said: Mapping[str, Any], where: Any) -> tuple[Any, list[str]] | None:
    """Records read together (one harvest, one ``record validate``) that land on one node:
    each may add fields but not say otherwise about one any record before it set — compared
    with all of them, not just the first (a deployment, then two retirements giving two
    dates). Returns (where the first differing field was said, the fields) or None, and
    remembers what this record adds (``where`` is the caller's handle on it)."""
    merged = seen.setdefault(nid, {})
    if said.get("kind") == "run" and merged:
        # a run's records follow its life cycle: the record of its end completes the one of
        # its start, whichever file is read first (run_clash_of)
        was = {k: v[0] for k, v in merged.items()}
        run_clash = sorted(run_clash_of(was, dict(said), earlier_ok=True)
                           or run_clash_of(dict(said), was, earlier_ok=True))
        if run_clash:
            first = merged.get(run_clash[0].split(".", 1)[0]) or next(iter(merged.values()))
            return first[1], run_clash
        for k, v in run_record_merged(was, dict(said)).items():
            if k not in merged or merged[k][0] != v:
                merged[k] = (v, where)
        return None
    clash = sorted(k for k in said if k != "id" and k in merged and merged[k][0] != said[k])
    if clash:
        return merged[clash[0]][1], clash
    for k, v in said.items():
        merged.setdefault(k, (v, where))
    return None


def conflict_error(node_id: str, prev_file: str, prev_line: int, file: str, line: int,
                   clash: list[str]) -> InputError:
    return InputError(
        f"record {node_id} is also in {prev_file}:{prev_line}, which says otherwise about "
        f"{', '.join(clash)}", file=file, line=line, field=clash[0],
        hint="records are immutable: give the new record its own `id:` (a correction is a "
             "new record)")


@dataclass
class CheckResult:
    """What ``check_files`` found: valid records, every problem of the bad files (each record
    that is not valid, all its problems) and clashes, warnings, and notes on what was not
    checked (a policy file named, documents outside a git repository)."""

    files: int
    records: list[LoadedRecord]
    errors: list[InputError]
    warnings: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def record_files(folder: StrPath, skip: Iterable[StrPath] = ()) -> list[Path]:
    """Record files under ``folder`` (``*.yaml``, ``*.yml``, ``*.json``; hidden ones skipped,
    and the files ``skip`` names, e.g. the audit policy kept in the governance folder); a
    file named itself is taken as it is."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out += [Path(dirpath, n) for n in filenames
                if n.endswith((".yaml", ".yml", ".json")) and not n.startswith(".")]
    # realpath, not Path.resolve: a symlink loop among the files raises RuntimeError there;
    # here it stays a path, and reading it gives the one-line error naming the file
    skipped = {os.path.realpath(p) for p in skip}
    if skipped:
        out = [p for p in out if os.path.realpath(p) not in skipped]
    return sorted(out)


def not_records(repo_root: StrPath, policy: str | None) -> list[Path]:
    """Files a governance folder may hold that are no records: ``lineage.yaml`` and the audit
    policy (``policy:`` in lineage.yaml, and ``lineage-policy.yaml``) — a folder set to the
    repository root (``governance_dir: .``) holds them."""
    from lineage.audit.policy import POLICY_FILE
    from lineage.config import CONFIG_FILE

    root = Path(repo_root)
    return [root / CONFIG_FILE, root / POLICY_FILE, *([root / policy] if policy else [])]


def check_files(paths: Iterable[StrPath], repo_root: StrPath,
                aliases: Mapping[str, str] | None = None,
                skip: Iterable[StrPath] = (), *, documents: bool = True,
                store: Store | None = None, allow_new: bool = False,
                allow: str = "allow_new=True", held_by: HeldBy | None = None) -> CheckResult:
    """Validate record files as the harvester does, reporting every bad file.
    ``aliases`` is ``model_aliases`` (lineage.yaml): records naming a model group by another
    registry's name are compared as the harvest compares them (:func:`as_one_fact`); ``skip``
    names files the folders hold that are no records (the audit policy, lineage.yaml): named
    themselves, they are not checked either, with a note saying what they are.
    ``documents=False`` (no repository: ``repo_root`` is only where paths are named from)
    leaves the documents' files unread, with a note; ``held_by`` (git's history, which the
    core does not read) accepts a document's ``content_hash`` that a commit's version of its
    file has.

    Names (:func:`unknown_names`) are checked against the files' records and ``store`` (the
    repository's, when it has one; it is only read): a name or id one typing slip from a
    known one is an error (a warning with ``allow_new``; ``allow`` is how the hint names that
    option), the id of a deployment, run, alert or superseded record that neither holds a
    warning — said only with a store: without one, what it holds is not known. A model
    version, group or environment not known otherwise is not said (a file may approve a
    version before its registry tags it), as the harvest does not say it."""
    repo_root = Path(repo_root)
    skip = list(skip)
    skipped = {os.path.realpath(p) for p in skip}
    notes: list[str] = []
    files: list[Path] = []
    for p in paths:
        if Path(p).is_file() and os.path.realpath(p) in skipped:
            notes.append(f"{_rel(Path(p), repo_root)}: {_not_a_record_file(Path(p))}")
            continue
        files += record_files(p, skip)
    loaded: list[LoadedRecord] = []
    errors: list[InputError] = []
    warnings: list[str] = []
    for f in files:
        try:
            loaded += parse_file(f, repo_root)
        except InputError as exc:
            errors.extend(exc.problems)
    seen: dict[str, dict[str, tuple[Any, Any]]] = {}
    notes_of_documents: list[str] = []
    approvers = {rec.node_id: rec.record.approver for rec in loaded
                 if isinstance(rec.record, ApprovalRecord)}
    said_by = [(rec.node_id, canonical(rec.record)) for rec in loaded]
    named = deployments_with_ids(said_by, aliases or {})
    for rec, (own, data) in zip(loaded, said_by, strict=True):
        secret = credentials_error(rec)
        if secret is not None:
            errors.append(secret)
        failed = failed_run_warning(rec.record)
        if failed:
            warnings.append(f"{rec.file}:{rec.line_of('models')}: {failed}")
        foreign = foreign_correction(approvers, rec.record, file=rec.file,
                                     line_of=rec.line_of)
        if foreign is not None:
            errors.append(foreign)
        nid, said = as_one_fact(own, data, aliases or {}, named)
        hit = said_otherwise(seen, nid, said, rec)
        if hit is not None:
            prev, clash = hit
            errors.append(conflict_error(nid, prev.file, prev.line_of(clash[0]),
                                         rec.file, rec.line_of(clash[0]), clash))
        if isinstance(rec.record, DocumentRecord) and not documents:
            if not is_url(rec.record.uri) and not notes_of_documents:
                notes_of_documents.append(
                    "not inside a git repository: every record is checked, but not the files "
                    "of documents (a document's uri is a path in a repository): neither that "
                    "they exist nor their content hash")
        elif isinstance(rec.record, DocumentRecord):
            node = store.get_node(rec.node_id) if store is not None else None
            stored = node.attrs.get("content_hash") if node is not None else None
            warning = _file_check(rec.record, repo_root,
                                  stored if isinstance(stored, str) else None, held_by)
            if warning:
                field_ = "content_hash" if warning.startswith(
                    f"document {rec.record.uri} is not the content") else "uri"
                warnings.append(f"{rec.file}:{rec.line_of(field_)}: {warning}")
    _check_names(loaded, aliases or {}, store, errors, warnings, allow_new=allow_new,
                 allow=allow)
    return CheckResult(len(files), loaded, errors, warnings, notes + notes_of_documents)


def _check_names(loaded: list[LoadedRecord], aliases: Mapping[str, str], store: Store | None,
                 errors: list[InputError], warnings: list[str], *, allow_new: bool,
                 allow: str) -> None:
    """``check_files``' check of the names and ids its records give (see there)."""
    records = [(rec, with_aliases(rec.record, aliases)) for rec in loaded]
    new = [(rec, r) for rec, r in records if store is None or not store.has_node(rec.node_id)]
    if not new:
        return
    known = KnownNames(store, (f for rec, r in records for f in to_facts(r, node_id=rec.node_id)))
    knows = ("the lineage store and the files checked know" if store is not None else
             "the files checked know")
    for rec, record in new:
        for u in unknown_names(known, record):
            if not u.typo and not (u.ref and store is not None):
                continue
            u.knows = knows
            line = rec.line_of(u.field)
            if u.typo and not allow_new:
                errors.append(InputError(u.error_text(), file=rec.file, line=line,
                                         field=u.field, hint=u.hint(allow, "check it")))
            else:
                warnings.append(f"{rec.file}:{line} ({u.field}): {u.warning()}")


def _not_a_record_file(path: Path) -> str:
    from lineage.config import CONFIG_FILE

    if path.name == CONFIG_FILE:
        return "lineage's configuration, not a record file: not checked here"
    return ("the audit policy, not a record file: not checked here (`lineage audit` reads it, "
            "and stops, exit 2, on a problem in it)")


def credentials_error(rec: LoadedRecord) -> InputError | None:
    """``lineage record validate``'s error for a record file holding credentials in a URL.

    The harvest removes them and warns (the file is merged: refusing it would not take the
    secret out of git history, and would hold back every other record); before merging,
    a pull request's check fails so that the secret does not reach the main branch.
    """
    fields = credentials_removed(rec.record)
    if not fields:
        return None
    top = fields[0].split(".", 1)[0]
    return InputError(
        f"the URL in {', '.join(fields)} holds credentials (user:password@, a token or "
        "another secret parameter)", file=rec.file, line=rec.line_of(top), field=fields[0],
        hint="remove them from the file (lineage would record the URL without them) and "
             "rotate the secret: a pushed commit keeps it in git history")


def merge(a: _Record, b: _Record) -> _Record:
    """``a`` completed by the fields ``b`` adds (the records name the same node)."""
    return type(a).model_validate({**canonical(a), **canonical(b)})


# -- JSON Schemas -------------------------------------------------------------------------------
def record_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind, model in RECORD_MODELS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{SCHEMA_BASE}/{kind}.schema.json"
        schema["title"] = f"{kind} record"
        out[f"{kind}.schema.json"] = schema
    one = {"oneOf": [{"$ref": f"{kind}.schema.json"} for kind in RECORD_MODELS]}
    out["file.schema.json"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/file.schema.json",
        "title": "governance record file",
        "description": "One record, or a list of records (each YAML document of a file). "
                       "Associate it with governance/**/*.yaml in your editor.",
        "oneOf": [one, {"type": "array", "items": one}],
    }
    return out


def write_schemas(root: StrPath) -> list[Path]:
    """Write ``schemas/records/<kind>.schema.json`` under ``root``; the files written."""
    from lineage.schemas import write_folder

    return write_folder(Path(root) / "schemas" / "records", record_schemas())


# -- the repository as other harvesters name it ----------------------------------------------------
def repository_of(repo_root: StrPath, store: Store | None = None) -> str | None:
    """Repository node id as the git harvester gives it now
    (:func:`connectors.harvesters.gitscan.repository_identity`: the identity remote, else the
    first root commit of HEAD's history, the one ``store`` remembers), so a record made before
    the first harvest, or after a remote was added, names the repository and its data as the
    next harvest does; for a folder that is no git work tree, the repository the store holds
    for this path (or its only one). None: neither."""
    repo_root = Path(repo_root)
    # the git harvester's rule, through the plugin registry: the core itself runs no git
    from lineage.errors import LineageError
    from lineage.plugins import load_repository_identity

    repository_identity = load_repository_identity()

    try:
        found = repository_identity(repo_root, store)
    except LineageError:  # not a git repository
        found = None
    if found is not None or store is None:
        return found
    repos = list(store.iter_nodes(NodeKind.REPOSITORY))
    for r in repos:
        if r.attrs.get("path") in (str(repo_root), str(repo_root.resolve())):
            return r.id
    return repos[0].id if len(repos) == 1 else None


# -- names the store does not know (lineage record, emit, harvest, record validate) ----------------
# the record fields naming a model version, a model group or an environment
_VERSION_FIELDS = ("model", "previous_model", "new_model")
# the record fields naming another record or a run by its id, and the kind of node they name
_ID_FIELDS = (("deployment", "deployment"), ("run", "run"), ("alert", "alert"))
# what a correction's ``properties.supersedes`` names: a record of its own kind
SUPERSEDES = "properties.supersedes"
_ALLOW_NEW = "allow_new=True"
_STORE_KNOWS = "the lineage store knows"
# the records a record links to (an approval's deployment, a retraining's alert, the record a
# correction supersedes), whose attributes say which model group they are about
_LINKED_KINDS = frozenset(k.value for k in (
    NodeKind.DEPLOYMENT, NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT, NodeKind.RETRAINING,
    NodeKind.ALERT, NodeKind.DOCUMENT))


class KnownNames:
    """The names a record's are checked against (:func:`unknown_names`): the nodes ``store``
    holds (none without one), and those of the records checked with it — a harvest's files,
    ``lineage record validate``'s — given to :meth:`add` as their facts. Read lazily, once."""

    def __init__(self, store: Store | None = None, facts: Iterable[Node | Edge] = ()) -> None:
        self.store = store
        self._added: dict[str, set[str]] = {}
        self._environments: set[str] = set()
        self._ids: dict[str, set[str]] = {}
        self._stored_environments: set[str] | None = None
        self._empty: bool | None = None
        self._siblings: dict[str, list[str]] | None = None
        self._attrs: dict[str, Mapping[str, Any]] = {}  # the records added, by node id
        self._group_classes: dict[str, str] | None = None
        self.add(facts)

    def add(self, facts: Iterable[Node | Edge]) -> None:
        for f in facts:
            if not isinstance(f, Node):
                continue
            kind = str(f.kind)
            self._added.setdefault(kind, set()).add(f.id)
            if kind in _LINKED_KINDS:
                self._attrs[f.id] = f.attrs
            env = f.attrs.get("environment")
            if kind in (NodeKind.DEPLOYMENT, NodeKind.APPROVAL) and isinstance(env, str):
                self._environments.add(env)
        self._ids.clear()
        self._siblings = None

    def ids(self, kind: str) -> set[str]:
        """The ids of the nodes of ``kind`` (``model:churn@v1``, ``alert:a-1``)."""
        if kind not in self._ids:
            stored = set(self.store.node_ids(kind)) if self.store is not None else set()
            self._ids[kind] = stored | self._added.get(kind, set())
        return self._ids[kind]

    def versions(self) -> tuple[set[str], set[str]]:
        """The model versions described (``churn@v1``) and the groups (``churn``): those
        described, and those of the versions."""
        if " versions" not in self._ids:
            versions = {i.removeprefix("model:") for i in self.ids(NodeKind.MODEL)}
            groups = {i.removeprefix("model_group:") for i in self.ids(NodeKind.MODEL_GROUP)}
            self._ids[" versions"], self._ids[" groups"] = (
                versions, groups | {split_model_ref(v)[0] for v in versions})
        return self._ids[" versions"], self._ids[" groups"]

    def siblings(self, group: str) -> list[str]:
        """The versions described of the model group ``group`` (``v1``), sorted: grouped once
        for all the records checked, not looked for among every version for each."""
        if self._siblings is None:
            by: dict[str, list[str]] = {}
            for v in self.versions()[0]:
                name, version = split_model_ref(v)
                by.setdefault(name, []).append(version)
            self._siblings = {name: sorted(found) for name, found in by.items()}
        return self._siblings.get(group, [])

    def environments(self) -> set[str]:
        """The environments deployments and approvals name."""
        if self._stored_environments is None:
            self._stored_environments = set() if self.store is None else self.store.attr_values(
                (NodeKind.DEPLOYMENT, NodeKind.APPROVAL), "environment")
        return self._stored_environments | self._environments

    def empty(self) -> bool:
        """Nothing to compare with: no fact added and no store, or an empty one (a CI job's
        fresh ``lineage init``, before any harvest)."""
        if self._empty is None:
            self._empty = not self._added and (self.store is None or self.store.is_empty())
        return self._empty

    # -- what a record's names are of (the audit's AI systems), for :func:`_other_groups` ------
    def attrs(self, node_id: str) -> Mapping[str, Any] | None:
        """The attributes of the record ``node_id`` (a deployment, an alert …): one of the
        records added, else the store's; None when neither holds it."""
        if node_id in self._attrs:
            return self._attrs[node_id]
        node = self.store.get_node(node_id) if self.store is not None else None
        return node.attrs if node is not None else None

    def edges(self, node_id: str, kind: EdgeKind) -> list[Edge]:
        """The store's edges of ``kind`` into and out of ``node_id``."""
        if self.store is None:
            return []
        return [e for e in self.store.edges_of(node_id) if e.kind == kind]

    def same_version(self, model: str) -> set[str]:
        """The ids of the version ``model`` (``model:churn@v1``) and of its spellings in other
        registries (joined by ``same_as`` edges, transitively): one version to the audit."""
        seen, todo = {model}, [model]
        while todo:
            for e in self.edges(todo.pop(), EdgeKind.SAME_AS):
                for other in (e.source, e.target):
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
        return seen

    def groups_of(self, model: str) -> set[str]:
        """The names of the model groups of the version ``model``: its ``version_of`` edges
        in the store, else the name it is spelt with."""
        found = {e.target.removeprefix("model_group:")
                 for e in self.edges(model, EdgeKind.VERSION_OF) if e.source == model}
        return found or {split_model_ref(model.removeprefix("model:"))[0]}

    def known_groups(self, ref: str) -> set[str]:
        """The model groups of a version or group id (``model:churn@v1``,
        ``model_group:churn``) that the store knows; empty when it knows not its group (a new
        name: not compared with others)."""
        known = self.versions()[1]
        if ref.startswith("model_group:"):
            names = {ref.removeprefix("model_group:")}
        elif ref.startswith("model:"):
            if split_model_ref(ref.removeprefix("model:"))[0] not in known:
                return set()
            names = self.groups_of(ref)
        else:
            return set()
        return {n for n in names if n in known}

    def apart(self, ours: set[str], theirs: set[str]) -> bool:
        """Model groups ``ours`` and ``theirs`` (both known) are two AI systems, as the audit
        forms them: groups sharing a version through ``same_as`` are one system."""
        if not ours or not theirs or ours & theirs:
            return False
        classes = self._classes()
        return not {classes.get(g, g) for g in ours} & {classes.get(g, g) for g in theirs}

    def _classes(self) -> dict[str, str]:
        if self._group_classes is None:
            from lineage.classes import equivalence_classes

            pairs: list[tuple[str, str]] = []
            if self.store is not None:
                for e in self.store.iter_edges(EdgeKind.SAME_AS):
                    gs = sorted(self.groups_of(e.source) | self.groups_of(e.target))
                    pairs += [(gs[0], g) for g in gs[1:]]
            self._group_classes = {g: c for c, ms in equivalence_classes((), pairs).items()
                                   for g in ms}
        return self._group_classes

    def linked(self, kind: str, model_ids: Iterable[str]) -> list[tuple[str, Mapping[str, Any]]]:
        """The records of ``kind`` (deployments, alerts) about one of ``model_ids``, sorted."""
        ids = set(model_ids)
        found = {nid: a for nid, a in self._attrs.items()
                 if nid.startswith(f"{kind}:") and a.get("model") in ids}
        if self.store is not None:
            for mid in sorted(ids):
                found.update((n.id, n.attrs) for n in self.store.find_nodes(kind, model=mid)
                             if n.id not in found)
        return sorted(found.items())

    def predecessors(self, model: str) -> list[str]:
        """The versions a ``previous_version`` edge names as ``model``'s (a registry's order,
        e.g. GTO's), as ``name@version``."""
        return sorted(e.source.removeprefix("model:")
                      for e in self.edges(model, EdgeKind.PREVIOUS_VERSION)
                      if e.target == model)


@dataclass
class UnknownName:
    """A model version, model group or environment a record names that the store does not
    know, while it knows others of its kind, or the id of a record or run (``ref``: a
    deployment, run, alert, or the record a correction ``supersedes``) that it does not hold
    (:func:`unknown_names`)."""

    field: str  # the record's field: model, previous_model, new_model, model_group,
    # environment, deployment, run, alert, properties.supersedes
    what: str  # "model version", "model group", "environment", "run", "alert", "approval",
    # "risk assessment", …: what the store does not know
    name: str  # that name or id, as the record spells it (model groups: canonical names)
    known: list[str]  # what the store knows of that kind (for a version: its group's versions)
    typo: bool = False  # one typing slip from a known name: refused
    suggestion: str | None = None  # what the record likely meant, as its field would say it
    record_kind: str = "record"
    ref: bool = False  # the id of a record or a run, not a name
    knows: str = _STORE_KNOWS  # who does not know it ("the lineage store knows")

    def _said(self) -> str:
        known = (f"versions of {split_model_ref(self.name)[0]}" if self.what == "model version"
                 else "known")
        return f"{self.knows} no {self.what} {self.name!r} ({known}: {_listed(self.known)})"

    def error_text(self) -> str:
        kind = self.record_kind.replace("_", " ")
        if self.what == "environment":
            stays = (f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} naming {self.name!r}, "
                     f"not {self.suggestion!r}")
        elif self.field == SUPERSEDES:
            stays = (f"a correction of nothing ({self.suggestion!r} would still count) and a "
                     "lineage-continuity finding of the audit")
        else:
            stays = ("a lineage-continuity finding of the audit (a correction does not remove "
                     "a name)")
        return (f"{self._said()}; it reads as a typo of {self.suggestion!r}, and records are "
                f"immutable: recorded, it would stay {stays}")

    def hint(self, allow: str, verb: str = "record it") -> str:
        later = "recorded or harvested later" if self.ref else "registered after this record"
        return (f"did you mean {self.suggestion!r}? If {self.name!r} is meant (e.g. {later}), "
                f"{verb} with {allow}")

    def warning(self) -> str:
        if self.what == "environment":
            said = ": this is the first record naming it"
        elif self.field == SUPERSEDES:
            said = (": a correction of no record corrects nothing, and the audit reports it "
                    "(lineage-continuity)")
        elif self.ref:
            said = (": a link to nothing, which the audit reports (lineage-continuity) until "
                    "a harvest or a record adds it")
        else:
            said = (": the audit reports it (lineage-continuity) until a harvest or a run "
                    "record describes it")
        if self.typo:
            close = f"; it reads as a typo of {self.suggestion!r}"
        else:
            close = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return self._said() + said + close


@dataclass
class OtherGroup(UnknownName):
    """A name the store knows that ties a record to another model group (AI system) than its
    other names, or a previous version that is the new one itself (:func:`unknown_names`): a
    retraining whose previous version is of another group, an approval naming a deployment of
    another version or environment, a retraining naming an alert on another group, a
    correction of a record about another group, a document naming a version and a group of
    two systems. The audit never counts that link (or counts the document for both), and the
    record is immutable: refused as a typo is (``typo`` is True), unless ``allow_new``, which
    records it with its :meth:`warning`. ``said``: what the names are of; ``counts``: what
    the audit makes of it; ``fix``: the way out; ``meant``: the case that records it anyway."""

    said: str = ""
    counts: str = ""
    fix: str = ""
    meant: str = "if it is meant"
    anyway: str = "the audit does not count it"  # what recording it anyway makes of it

    def error_text(self) -> str:
        return f"{self.said}: {self.counts}, and records are immutable"

    def hint(self, allow: str, verb: str = "record it") -> str:
        fix = self.fix
        if self.suggestion:
            fix = f"did you mean {self.suggestion!r}? {fix[:1].upper()}{fix[1:]}"
        return f"{fix}; {self.meant}, {verb} with {allow} ({self.anyway})"

    def warning(self) -> str:
        return f"{self.said}: {self.counts}"


def _other_groups(names: KnownNames, record: _Record, said: set[str]) -> list[UnknownName]:
    """The links of ``record`` to versions, deployments, alerts and records of another model
    group than its other names (:class:`OtherGroup`), as the audit judges them: model groups
    joined by ``same_as`` versions are one, and a group the store does not know (a new one)
    is not compared. ``said``: the fields already refused as typos (not said twice)."""
    out: list[UnknownName] = []

    def groups(ids: Iterable[str | None]) -> set[str]:
        return {g for i in ids if i for g in names.known_groups(i)}

    def own_ids() -> list[str | None]:
        ids: list[str | None] = [model_ref_id(v) for f in _VERSION_FIELDS
                                 if isinstance(v := getattr(record, f, None), str)]
        group = getattr(record, "model_group", None)
        return [*ids, model_group_id(group) if isinstance(group, str) else None]

    if (isinstance(record, RetrainingRecord) and record.previous_model and record.new_model
            and not {"previous_model", "new_model"} & said):
        out += _other_lineage(names, record.previous_model, record.new_model)
    if (isinstance(record, ApprovalRecord) and record.deployment
            and not {"model", "deployment", "environment"} & said):
        out += _other_deployment(names, record)
    if isinstance(record, RetrainingRecord) and record.alert and "alert" not in said:
        alert = names.attrs(_prefixed("alert", record.alert))
        model = alert.get("model") if alert is not None else None
        if isinstance(model, str) and names.apart(groups(own_ids()), groups([model])):
            group = _group_named(record.new_model or record.previous_model or "")
            versions = [model_ref_id(v) for v in (record.previous_model, record.new_model) if v]
            alerts = [a.removeprefix("alert:") for a, _ in names.linked("alert", (
                m for v in versions for m in names.same_version(v)))]
            out.append(OtherGroup(
                "alert", "alert", record.alert, alerts, True,
                alerts[0] if len(alerts) == 1 else None,
                said=f"alert {record.alert} is on {model.removeprefix('model:')}, a version of "
                     f"model group {_group_named(model)}, not of {group}, the group this "
                     "retraining retrains",
                counts="the audit would never count this retraining as a follow-up of that "
                       "alert (monitoring-active)",
                fix=f"give the alert on {group} that triggered it (on its versions: "
                    f"{_listed(alerts)}), or none",
                meant="if that alert did trigger it"))
    supersedes = [r.strip() for r in str(record.properties.get("supersedes") or "").split(",")]
    if SUPERSEDES not in said and any(supersedes):
        mine = groups(own_ids())
        for ref in filter(None, supersedes):
            target = names.attrs(_prefixed(record.kind, ref))
            if not mine or target is None:
                continue
            refs = [v for k in ("model", "previous_model", "new_model", "model_group")
                    if isinstance(v := target.get(k), str)]
            if names.apart(mine, groups(refs)):
                kind = _KIND_WORDS.get(record.kind, record.kind)
                ours = ", ".join(sorted({_group_named(i) for i in own_ids() if i}))
                out.append(OtherGroup(
                    SUPERSEDES, kind, ref, [], True, None,
                    said=f"{kind} {ref}, which this record corrects, is about model group "
                         f"{', '.join(sorted({_group_named(r) for r in refs}))}, not {ours}",
                    counts="a correction about another model group corrects nothing (the "
                           f"audit still counts {ref})",
                    fix=f"give the id of the {ours} {kind} it corrects (supersedes=ID), or "
                        "record it without one",
                    anyway="it corrects nothing"))
                break
    if (isinstance(record, DocumentRecord) and record.model and record.model_group
            and not {"model", "model_group"} & said):
        version, group = model_ref_id(record.model), model_group_id(record.model_group)
        if names.apart(groups([version]), groups([group])):
            of = _group_named(record.model)
            out.append(OtherGroup(
                "model_group", "model group", record.model_group, [], True, of,
                said=f"{record.model_group} is another model group than {of}, whose version "
                     f"{record.model} the document names",
                counts="a document is about one AI system, and the audit would count it as "
                       "documentation of both (high-risk-docs, transparency-notice)",
                fix="give the version alone (it documents that version) or the group alone "
                    "(it documents each of its versions); a document about two systems is "
                    "two records",
                anyway="the audit counts it for both"))
    return out


def _group_named(ref: str) -> str:
    """The model group a version or group id or reference names, as spelt (``churn``)."""
    ref = ref.removeprefix("model_group:").removeprefix("model:")
    return split_model_ref(ref)[0]


def _other_lineage(names: KnownNames, previous: str, new: str) -> list[UnknownName]:
    """A retraining's previous version that is the new one itself, or of another model group
    (:func:`_other_groups`); the audit's ``retraining-logged`` counts neither."""
    prev_id, new_id = model_ref_id(previous), model_ref_id(new)
    itself = prev_id in names.same_version(new_id)
    if not itself and not names.apart(names.known_groups(new_id),
                                      names.known_groups(prev_id)):
        return []
    # what it likely meant: the version the registry orders before the new one, or (the
    # group typed wrong) the new one's group's version of the same number
    group, version = _group_named(new), split_model_ref(previous)[1]
    before = [p for p in names.predecessors(new_id) if _group_named(p) == group]
    siblings = [v for v in names.siblings(group) if f"{group}@{v}" != new]
    if itself:
        twin = "" if prev_id == new_id else f" ({new} in another registry)"
        return [OtherGroup(
            "previous_model", "model version", previous, siblings, True,
            before[0] if len(before) == 1 else None,
            said=f"{previous} is the new version itself{twin}",
            counts=f"the audit would never count this record as {new}'s retraining log "
                   "(retraining-logged)",
            fix=f"give the version {new} replaces (versions of {group}: {_listed(siblings)})")]
    suggestion = (f"{group}@{version}" if version in siblings
                  else before[0] if len(before) == 1 else None)
    return [OtherGroup(
        "previous_model", "model version", previous, siblings, True, suggestion,
        said=f"{previous} is a version of model group {_group_named(previous)}, not of "
             f"{group}, the group of the new version {new}",
        counts=f"a retraining is about one model lineage, and the audit would never count "
               f"this record as {new}'s retraining log (retraining-logged)",
        fix=f"give the version of {group} that {new} replaces (versions of {group}: "
            f"{_listed(siblings)})",
        meant=f"if the model moved from {_group_named(previous)} to {group} on purpose",
        anyway=f"the audit does not count it as a retraining log of {new}")]


def _other_deployment(names: KnownNames, record: ApprovalRecord) -> list[UnknownName]:
    """An approval naming a deployment of another version (of another model group, or of its
    own) or environment (:func:`_other_groups`): the audit's ``deployment-approved`` counts it
    neither for that deployment nor for the approved version's."""
    assert record.deployment is not None
    dep_id = _prefixed("deployment", record.deployment)
    dep = names.attrs(dep_id)
    if dep is None:
        return []
    mine = names.same_version(model_ref_id(record.model))
    deployed = {m for m in (dep.get("model"),) if isinstance(m, str)}
    deployed |= {e.source for e in names.edges(dep_id, EdgeKind.DEPLOYED_AS)}
    env = record.environment
    if deployed and not deployed & mine:
        shown = sorted(deployed)[0]
        ours = {g for m in mine for g in names.known_groups(m)}
        of = (f", a version of model group {_group_named(shown)}"
              if names.apart(ours, names.known_groups(shown)) else "")
        said = (f"deployment {record.deployment} deploys {shown.removeprefix('model:')}{of}, "
                f"not the approved {record.model}")
    elif (env is not None and isinstance(dep.get("environment"), str)
            and dep["environment"] != env):
        said = f"deployment {record.deployment} is in {dep['environment']}, not {env}"
    else:
        return []
    ours_deps = [d.removeprefix("deployment:") for d, a in names.linked("deployment", mine)
                 if env is None or a.get("environment") == env]
    where = f" in {env}" if env else ""
    listed = _listed(ours_deps) if ours_deps else "none recorded"
    return [OtherGroup(
        "deployment", "deployment", record.deployment, ours_deps, True,
        ours_deps[0] if len(ours_deps) == 1 else None,
        said=said,
        counts=f"the audit would never count this approval, neither for that deployment nor "
               f"for a deployment of {record.model} (deployment-approved)",
        fix=f"give a deployment of {record.model}{where} ({listed}), or none: an "
            f"approval{' for ' + env if env else ''} counts for each deployment of "
            f"{record.model}{' there' if env else ''}")]


def _listed(names: Iterable[str], limit: int = 8) -> str:
    items = sorted(names)
    more = f", … ({len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more if items else "none"


_KIND_WORDS = {"risk_assessment": "risk assessment"}


def unknown_names(known: Store | KnownNames, record: _Record) -> list[UnknownName]:
    """The model versions, model groups and environments ``record`` names that the store
    (``known``: a :class:`~lineage.store.Store`, or :class:`KnownNames` adding the records
    checked with it) does not know, when it knows some of that kind, and the ids of records
    and runs it names that the store does not hold (``ref``): an approval's ``deployment``, a
    retraining's ``run`` and ``alert``, the records ``properties.supersedes`` corrects. An
    empty store (a CI job's fresh one) knows none: nothing to compare with. A name one
    typing slip from a known one (:func:`lineage.spelling.typo_of`: ``chrun`` for ``churn``,
    ``prdo`` for ``prod``, ``v1.1.O`` for ``v1.1.0``, ``churn-psi-2026-01-O9`` for
    ``churn-psi-2026-01-09``) is a ``typo``; any other is new (a version not harvested yet, a
    first environment), with the closest known name as its ``suggestion`` if one is close.

    Known are the versions and groups a source describes (a registry, DVC, a run record),
    the environments the store's deployments and approvals name, and the nodes it holds. A
    run record is not checked: it describes the versions it produced.

    Also returned, as typos (refused), are the known names that tie the record to another
    model group than its other names, which the audit never counts (:class:`OtherGroup`,
    :func:`_other_groups`)."""
    from lineage.spelling import closest, typo_of

    if isinstance(record, RunRecord):
        return []
    names = known if isinstance(known, KnownNames) else KnownNames(known)
    out: list[UnknownName] = []
    refs = [(f, v) for f in _VERSION_FIELDS if isinstance(v := getattr(record, f, None), str)]
    group = getattr(record, "model_group", None)
    if refs or isinstance(group, str):
        versions, groups = names.versions()
        named: list[tuple[str, str, str | None]] = [
            (f, *split_model_ref(ref)) for f, ref in refs if ref not in versions]
        named += [("model_group", group, None)] if isinstance(group, str) else []
        for f, name, version in named:
            if not groups:
                break
            if name not in groups:
                near = typo_of(name, groups)
                close = near or closest(name, groups)
                at = f"@{version}" if version is not None else ""
                out.append(UnknownName(f, "model group", name, sorted(groups), near is not None,
                                       f"{close}{at}" if close else None))
            elif version is not None:
                siblings = names.siblings(name)
                near = typo_of(version, siblings)
                close = near or closest(version, siblings)
                out.append(UnknownName(f, "model version", f"{name}@{version}", siblings,
                                       near is not None, f"{name}@{close}" if close else None))
    env = getattr(record, "environment", None)
    if isinstance(env, str):
        envs = names.environments()
        if envs and env not in envs:
            near = typo_of(env, envs)
            out.append(UnknownName("environment", "environment", env, sorted(envs),
                                   near is not None, near or closest(env, envs)))
    ids = [(f, kind, v) for f, kind in _ID_FIELDS
           if isinstance(v := getattr(record, f, None), str)]
    own = node_id_of(record)
    for ref in str(record.properties.get("supersedes") or "").split(","):
        if ref.strip() and _prefixed(record.kind, ref.strip()) != own:
            ids.append((SUPERSEDES, record.kind, ref.strip()))
    if ids and not names.empty():
        for f, kind, ref in ids:
            target = run_ref(ref) if kind == "run" else _prefixed(kind, ref)
            stored = names.ids(kind) - {own}
            if target in stored:
                continue
            # compared and suggested as the record spells them: with the kind's prefix or not
            spelt = (stored if kind == "run" or ref.startswith(f"{kind}:") else
                     {i.removeprefix(f"{kind}:") for i in stored})
            near = typo_of(ref, spelt)
            out.append(UnknownName(f, _KIND_WORDS.get(kind, kind), ref, sorted(spelt),
                                   near is not None, near or closest(ref, spelt), ref=True))
    if not names.empty():
        out += _other_groups(names, record, {u.field for u in out if u.typo})
    for u in out:
        u.record_kind = record.kind
    return out


class UnknownNameError(InputError):
    """A record names a model version, group, environment or the id of a record or run the
    store does not know, one typing slip from one it knows, or a known one of another model
    group than its other names (:class:`OtherGroup`): refused before anything is written
    (:func:`emit`), unless ``allow_new``. ``unknown``: each such name, for a caller to word the
    error its own way (the CLI names its flags: ``UnknownNameError(exc.unknown,
    allow="--allow-new", …)``); ``new``: the other names the store does not know, and
    ``warnings`` every warning of the record (``new``'s among them), and ``also`` its other
    errors, so that a caller shows every problem at once, not one per attempt."""

    def __init__(self, unknown: list[UnknownName], *, file: str | None = None,
                 allow: str = _ALLOW_NEW,
                 field_name: Callable[[str], str] = lambda f: f,
                 new: list[UnknownName] | None = None,
                 warnings: list[str] | None = None,
                 also: list[InputError] | None = None) -> None:
        problems = [InputError(u.error_text(), file=file, field=field_name(u.field),
                               hint=u.hint(allow)) for u in unknown]
        # the record's other errors, found with the typos (a correction of another's approval)
        self.also = list(also or [])
        problems += [p for e in self.also for p in e.problems]
        super().__init__(problems[0].text, file=file, field=problems[0].field,
                         hint=problems[0].hint, problems=problems)
        self.unknown = unknown
        self.new = list(new or [])
        self.warnings = list(warnings if warnings is not None else
                             [u.warning() for u in self.new])


@dataclass
class EmitResult:
    node_id: str
    record: _Record
    event_seq: int
    facts_written: int
    file: str | None = None
    warning: str | None = None  # the warnings joined by "; " (None: none), kept for callers
    warnings: list[str] = field(default_factory=list)
    # the names the store does not know (and, with ``allow_new``, those of another model
    # group: OtherGroup), whose warnings are among ``warnings`` (for a caller to say where
    # each was given: the CLI names the flag)
    unknown: list[UnknownName] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """What ``lineage record --json`` prints (the CLI adds its own warnings to the list)."""
        return {"node": self.node_id, "record": canonical(self.record), "event": self.event_seq,
                "facts_written": self.facts_written, "file": self.file,
                "warnings": list(self.warnings)}


def emit(record: _Record, repo: StrPath = ".", *, write_file: bool = False,
         file: StrPath | None = None, allow_new: bool = False,
         held_by: HeldBy | None = None) -> EmitResult:
    """Append ``record`` to the event log and the graph; optionally write it as a file.

    The event payload holds the record itself (``record_kind``, ``record``, ``node``). With
    ``write_file`` the record is also written to ``<governance_dir>/<kind>/<id>.yaml`` (or
    ``file``) so it can be reviewed in a pull request; harvesting that file later lands on the
    same node and changes nothing.

    A model version, model group or environment the store does not know while it knows
    others, or the id of a deployment, run, alert or superseded record it does not hold
    (:func:`unknown_names`), is a warning, and one a typing slip from a known name
    (``chrun@v1.1.0`` beside ``churn``) an :class:`UnknownNameError` (carrying the record's
    other warnings), before anything is written: records are immutable, and the name would
    stay. So is a known name of another model group than the record's others, which the audit
    never counts (:class:`OtherGroup`: a retraining's previous version of another group, an
    approval's deployment of another version). ``allow_new`` records either: an unknown name
    without a word (a version registered after the record, in CI), one of another group with
    its warning. A record the store already holds (completed, or given again) is not
    checked: its names are recorded.

    A document's ``content_hash`` is checked against its file as it is; ``held_by`` (``(uri,
    content_hash)`` → a commit holding that content, e.g. ``functools.partial(
    connectors.harvesters.records.commit_holding, root)``, as ``lineage record document``
    passes) also accepts the version of the file a commit holds (:func:`check_document`). A
    run whose model versions a registry names with other bytes than it recorded (a tag moved
    since) is recorded with a warning (:func:`registry_disagreements`).
    """
    from lineage import api
    from lineage.config import load_config

    root = api.find_repo_root(os.fspath(repo))
    cfg = load_config(root)
    record = with_aliases(record, cfg.model_aliases)
    warnings = [w for w in (credentials_warning(record), failed_run_warning(record)) if w]
    if isinstance(record, DocumentRecord):
        # a document is a file when it is recorded: a path naming none pins nothing
        record, doc_warning = check_document(record, root, file="command line",
                                             missing_ok=False, held_by=held_by)
        warnings += [doc_warning] if doc_warning else []
    store = api.open_store(root, cfg)
    try:
        nid = stored_node_id(store, record, node_id_of(record))
        unknown: list[UnknownName] = []
        if allow_new and not store.has_node(nid):
            # a link to another model group is recorded, and said: the audit does not count it
            unknown = [u for u in unknown_names(store, record) if isinstance(u, OtherGroup)]
            warnings += [u.warning() for u in unknown]
        elif not store.has_node(nid):
            unknown = unknown_names(store, record)
            typos = [u for u in unknown if u.typo]
            unknown = [u for u in unknown if not u.typo]
            if typos:  # with every other problem: not one per attempt
                also = foreign_correction(store, record)
                raise UnknownNameError(typos, new=unknown,
                                       warnings=warnings + [u.warning() for u in unknown],
                                       also=[also] if also is not None else [])
            warnings += [u.warning() for u in unknown]
        target = _record_target(store, root, cfg.governance_dir, record, nid, write_file, file)
        rel = _rel(target, root) if target is not None else None
        text = None
        if target is not None:
            file_record = record
            if target.exists() and rel is not None:
                file_record = _merge_existing(target, root, rel, record, nid,
                                              in_store=store.has_node(nid))
            elif isinstance(record, RunRecord):
                # the end of a run recorded when it started: the file holds the whole run
                file_record = _run_so_far(store, nid, record)
            text = to_yaml(file_record)
        staged: Path | None = None
        try:
            repository = repository_of(root, store)
            if isinstance(record, RunRecord) and named_after_boundary(root, repository):
                # the run's data ids keep that name: say it as the harvest and track_run do
                warnings.append(shallow_identity_message(str(repository)))
            facts = to_facts(record, record_file=rel, repository=repository, node_id=nid)
            # a registry naming other bytes than the run recorded: said, not refused
            warnings += registry_disagreements(store, record, nid, facts)
            payload: dict[str, Any] = {"record_kind": record.kind,
                                       "record": canonical(record), "node": nid}
            if rel:
                payload["file"] = rel
            if warnings:
                payload["warning"] = "; ".join(warnings)
            with store.transaction():
                # records are immutable: the same id saying something else is refused
                _check_recorded(store, record, nid, facts)
                facts = run_progress(store, keep_recorded_versions(store, facts))
                # the file is written beside its place first (a hidden name the harvest
                # skips): when it cannot be written nothing is recorded
                if target is not None and text is not None:
                    try:
                        staged = _stage_file(target, text)
                    except OSError as exc:  # a full disk, a read-only or immutable folder
                        raise InputError(
                            f"cannot write the record file: {exc.strerror or exc}", file=rel,
                            hint="make the folder writable (and give its disk room), then "
                                 "record it again; nothing was recorded") from None
                stats = api.record(store, facts, event_kind="record", payload=payload)
            seq = store.head()[0]
            # ... and put in place once the store holds the record: a process killed in
            # between (an OOM kill, a lost CI runner) leaves the store's record without its
            # file, which recording it again writes — never a file the store lacks
            if staged is not None and target is not None:
                try:
                    os.replace(staged, target)
                except OSError as exc:
                    raise InputError(
                        f"{nid} is recorded (event {seq}) but its file could not be written: "
                        f"{exc.strerror or exc}", file=rel,
                        hint="fix the folder's permissions and record it again with "
                             "--write-file: the same record writes its file and no fact"
                    ) from exc
                staged = None
        except BaseException:
            if staged is not None:  # the store did not take it: the file was never put
                staged.unlink(missing_ok=True)
            raise
    finally:
        store.close()
    return EmitResult(nid, record, seq, stats.total, rel, "; ".join(warnings) or None, warnings,
                      unknown)


# node attributes that say where a fact came from, not what it is
_PROVENANCE = ("record_file", "source")


def recorded_clash(store: Store, nid: str, facts: list[Node | Edge], *,
                   earlier_ok: bool = False) -> dict[str, Any]:
    """The fields (with their stored values) the store's node ``nid`` holds with values other
    than the record's node in ``facts`` says: empty when the record may be written.

    The one rule for every way in (``lineage record``, the harvester): fields the stored node
    lacks may be added (a deployment's retirement completes it), the identical record again
    changes nothing, where a record was written (``record_file``, ``source``) is provenance,
    not content, and a deployment another source (GTO) describes is that source's to say.
    The bytes of the model versions a run produced are compared with what records pinned
    and their registry (:func:`model_version_clashes`). A run follows its life cycle
    (:func:`run_clash_of`);
    ``earlier_ok`` accepts a record of an earlier state of it (a file written when it started).
    """
    old = store.get_node(nid)
    new = next((f for f in facts if isinstance(f, Node) and f.id == nid), None)
    if old is None or new is None:
        return {}
    if old.attrs.get("source") not in (None, "record", RUN_SOURCE):
        return {}
    if old.kind == NodeKind.RUN:
        clash = run_clash_of(old.attrs, new.attrs, earlier_ok=earlier_ok)
        may_add = run_stage(old.attrs.get("status")) < ENDED
        return clash or _inputs_clash(store, nid, facts, may_add=may_add)
    return recorded_clash_of(old.attrs, new.attrs)


def recorded_clash_of(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """:func:`recorded_clash` on two nodes' attributes."""

    def facts_of(attrs: dict[str, Any]) -> dict[str, Any]:
        # a record stored before credentials were removed from URLs is the same record
        out = {k: scrub_credentials(v) for k, v in attrs.items() if k not in _PROVENANCE}
        # a document stored before its path was normalized (`./card.md`) is the same record
        if isinstance(out.get("uri"), str):
            out["uri"] = normalize_uri(out["uri"])
        # a retraining stored naming an OpenLineage run as the producer spelled its runId
        if isinstance(out.get("run"), str):
            out["run"] = run_ref(out["run"])
        if isinstance(out.get("properties"), dict):
            props = {k: v for k, v in out["properties"].items() if k not in _PROVENANCE}
            out["properties"] = props or None
        return out

    was, now = facts_of(stored), facts_of(new)
    return {k: was[k] for k in sorted(now) if was.get(k) is not None and now[k] is not None
            and was[k] != now[k]}


# -- a run's life cycle ---------------------------------------------------------------------------
NOT_ENDED = ("SCHEDULED", "RUNNING")
ENDED = 2  # run_stage of FINISHED, FAILED, KILLED (and of a run stored without a status)
# what a run that has not ended may still say, as MLflow updates a run until it ends: its
# status (forward only), end time, metrics (the latest value of each) and tags; params and
# properties may only be added ("changing param values is not allowed"). The rest — its code
# commit, dirty flag, start, user, name, experiment, inputs — is what it started with
_RUN_PROGRESS = ("status", "end_time", "metrics", "tags")
_RUN_KEYED = ("metrics", "tags", "params", "properties")


# a NaN or an infinity as a record holds it: a metric (metric_json), a param (str(float))
_NOT_FINITE_TEXT = ("NaN", "Infinity", "-Infinity", "nan", "inf", "-inf")


def run_stage(status: Any) -> int:
    """0 scheduled, 1 running, :data:`ENDED` (FINISHED, FAILED, KILLED, or no status)."""
    word = str(status).strip().upper() if status else ""
    return NOT_ENDED.index(word) if word in NOT_ENDED else ENDED


def run_clash_of(stored: dict[str, Any], new: dict[str, Any], *,
                 earlier_ok: bool = False) -> dict[str, Any]:
    """What a run record (``new``: node attributes, or a record's canonical content) says
    otherwise than the run stored (``stored``), by the run's life cycle: the fields with their
    stored values, ``params.<key>`` for one param; empty when it may be written.

    A run that has not ended (SCHEDULED, RUNNING) may move forward and be completed
    (:data:`_RUN_PROGRESS`, new params); one that ended is immutable, like any record: the
    identical record again, or one only adding fields it lacks. A record of an earlier state
    (RUNNING, for a run stored FINISHED) is a contradiction, unless ``earlier_ok`` (a file
    written when the run started, harvested after it ended): then its progress is history,
    and only what the run is must agree."""
    was, now = run_stage(stored.get("status")), run_stage(new.get("status"))
    if now < was and not earlier_ok:
        return {"status": stored.get("status")}
    progressing = was < ENDED or now < was
    skip = {*_RUN_KEYED, "inputs", "models", *(_RUN_PROGRESS if progressing else ())}
    clash = recorded_clash_of({k: v for k, v in stored.items() if k not in skip},
                              {k: v for k, v in new.items() if k not in skip})
    # two records of the run (canonical content): an input is read with one content hash, a
    # model version has one set of bytes; a run that ended gains no input
    for key, ident in (("inputs", ("path",)), ("models", ("name", "version"))):
        a_items = {tuple(x.get(i) for i in ident): x for x in stored.get(key) or []
                   if isinstance(x, dict)}
        for x in new.get(key) or []:
            if not isinstance(x, dict):
                continue
            name = "@".join(str(x.get(i)) for i in ident)
            old = a_items.get(tuple(x.get(i) for i in ident))
            if old is not None and old.get("hash") != x.get("hash"):
                clash[f"{key}.{name}"] = old.get("hash") or "no content hash"
            elif old is None and a_items and not progressing and key == "inputs":
                clash[key] = sorted("@".join(map(str, k)) for k in a_items)
    for key in _RUN_KEYED:
        a, b = stored.get(key), new.get(key)
        if (progressing and key in _RUN_PROGRESS) or not isinstance(a, dict) \
                or not isinstance(b, dict):
            continue  # progress, or one of them says nothing (a field the stored run lacks)
        a = {k: scrub_credentials(v) for k, v in a.items() if k not in _PROVENANCE}
        b = {k: scrub_credentials(v) for k, v in b.items() if k not in _PROVENANCE}
        for k in sorted(b):
            if a.get(k) is not None and a[k] != b[k]:
                clash[f"{key}.{k}"] = a[k]
        # a run that ended gains no metric, param or tag — but for the NaN a store written
        # before they were kept holds as null (metrics) or lacks (params)
        gained = {k for k in b.keys() - a.keys() if b[k] not in _NOT_FINITE_TEXT}
        if not progressing and a and gained and key not in clash:
            clash[key] = a
    return clash


def _inputs_clash(store: Store, nid: str, facts: list[Node | Edge], *,
                  may_add: bool) -> dict[str, Any]:
    """Inputs of the run ``nid`` that ``facts`` give other content than the store holds
    (``inputs.<path>`` with the stored hash): the data a run read does not change while it
    runs. A run that has not ended (``may_add``) may log more inputs; one that ended may not
    (unless it was stored with none)."""
    # path → the content hash it was read with (the data node's repository part may be
    # spelled otherwise by another entry point: the path and its bytes are what count)
    stored: dict[str, str | None] = {}
    for source, attrs in store.conn.execute(
            "SELECT source, attrs FROM edges WHERE target=? AND kind=?",
            (nid, str(EdgeKind.INPUT))):
        a = json.loads(attrs)
        # (stored before paths were normalized: `./data/x.csv` is the same input)
        stored[normalize_uri(str(a.get("path") or source))] = a.get("digest")
    clash: dict[str, Any] = {}
    for f in facts:
        if not (isinstance(f, Edge) and f.kind == EdgeKind.INPUT and f.target == nid):
            continue
        path = str(f.attrs.get("path") or f.source)
        if path in stored and stored[path] != f.attrs.get("digest"):
            clash[f"inputs.{path}"] = stored[path] or "no content hash"
        elif path not in stored and stored and not may_add:
            clash["inputs"] = sorted(stored)
    return clash


def run_progress(store: Store, facts: list[Node | Edge]) -> list[Node | Edge]:
    """``facts`` of a run record as they complete the run the store holds: its metrics, tags,
    params and properties added to the stored ones (the latest value of a metric or tag
    wins: the run has not ended); a record of an earlier state of the run (a file written when
    it started) only adds what the stored run lacks. Other facts unchanged."""
    out: list[Node | Edge] = []
    for f in facts:
        if isinstance(f, Node) and f.kind == NodeKind.RUN:
            old = store.get_node(f.id)
            if old is not None and old.attrs.get("source") == RUN_SOURCE:
                f = Node(kind=f.kind, id=f.id, attrs=run_merged(old.attrs, f.attrs))
        out.append(f)
    return out


def run_record_merged(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two run records' canonical content as one: :func:`run_merged`, with their inputs and
    models together (by path; by name and version)."""
    merged = run_merged(a, b)
    first, then = (b, a) if run_stage(b.get("status")) < run_stage(a.get("status")) else (a, b)
    for key, ident in (("inputs", ("path",)), ("models", ("name", "version"))):
        items = _by_key(first.get(key), then.get(key), *ident)
        if items:
            merged[key] = items
    return merged


def run_merged(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The run ``stored`` completed by ``new`` (node attributes or canonical records): a
    later state overwrites its progress, an earlier one adds only what it lacks; keyed
    fields (metrics, tags, params, properties) are merged key by key."""
    if run_stage(new.get("status")) < run_stage(stored.get("status")):
        return {**new, **stored, **{k: {**new[k], **stored[k]} for k in _RUN_KEYED
                                    if isinstance(new.get(k), dict)
                                    and isinstance(stored.get(k), dict)}}
    return {**stored, **new, **{k: {**stored[k], **new[k]} for k in _RUN_KEYED
                                if isinstance(new.get(k), dict)
                                and isinstance(stored.get(k), dict)}}


# what pins the bytes of a model version: its artifact hash; where none is stored, its commit
_VERSION_PINS = (("artifact_hash",), ("commit",))


@dataclass(frozen=True)
class VersionPin:
    """Who says which bytes a model version has: a run record whose output is the version's
    artifact (``run``, its record ``file``), or the version's node as a registry describes it
    now (``registry``: GTO's tag at a commit — its artifact there, as the DVC harvester reads
    it —, MLflow …). ``field`` is ``artifact_hash``, or ``commit`` for a version a registry
    describes without a hash."""

    field: str
    value: str
    run: str | None = None
    file: str | None = None
    registry: str | None = None
    tag: str | None = None
    commit: str | None = None
    registered_at: str | None = None

    def source(self) -> str:
        """Who said it, for a message: ``run run:lineage:x (governance/run/x.yaml)``, ``GTO
        tag churn@v1.0.0 at commit <sha>``."""
        if self.run is not None:
            return f"run {self.run}" + (f" ({self.file})" if self.file else "")
        if self.registry == "gto" and self.tag:
            where = f"GTO tag {self.tag}"
        else:
            where = f"the {self.registry} registry" if self.registry else "the lineage store"
        return where + (f" at commit {self.commit}" if self.commit else "")


def recorded_pins(store: Store, mid: str) -> list[VersionPin]:
    """What run records pinned of the model version ``mid``: the content hash of each
    recorded run's output that is the version's artifact (``lineage record run --model
    NAME@VERSION=PATH``, ``run.log_model``, a run file's ``models``), oldest run first. Only
    records say this: a registry's view of the version (its node's ``artifact_hash``, which
    the DVC harvester rewrites with the artifact at the commit the tag names now) is
    :func:`registry_pin`."""
    rows = store.conn.execute(
        "SELECT o.source, json_extract(d.attrs, '$.hash'), "
        "json_extract(r.attrs, '$.properties.record_file') FROM edges a "
        "JOIN edges o ON o.target = a.source AND o.kind = ? "
        "JOIN nodes d ON d.id = a.source LEFT JOIN nodes r ON r.id = o.source "
        "WHERE a.target = ? AND a.kind = ? AND o.source >= ? AND o.source < ? "
        "ORDER BY coalesce(json_extract(r.attrs, '$.end_time'), ''), o.source",
        (str(EdgeKind.OUTPUT), mid, str(EdgeKind.ARTIFACT), f"run:{RUN_SOURCE}:",
         f"run:{RUN_SOURCE};"))
    return [VersionPin("artifact_hash", str(h), run=str(run),
                       file=str(file) if isinstance(file, str) else None)
            for run, h, file in rows.fetchall() if isinstance(h, str)]


def registry_pin(node: Node) -> VersionPin | None:
    """What the stored model version ``node`` pins its bytes with, and who said it: a
    registry (``registry`` GTO, MLflow …: its tag, the commit it names, when it registered the
    version) or, for a version only run records describe, the run that first recorded it."""
    a = node.attrs
    pin = next((p[0] for p in _VERSION_PINS if a.get(p[0]) is not None), None)
    if pin is None:
        return None
    registry = a.get("registry")
    props = a.get("properties")
    tag = props.get("gto_tag") if isinstance(props, dict) else None
    commit = str(a["commit"]) if a.get("commit") else None
    if registry in (None, RUN_SOURCE):  # described by a run record alone (no output path)
        run = f"run:{RUN_SOURCE}:{a['run_id']}" if a.get("run_id") else None
        return VersionPin(pin, str(a[pin]), run=run,
                          commit=None if run is not None else commit)
    created = a.get("created_at")
    return VersionPin(pin, str(a[pin]), registry=str(registry), commit=commit,
                      tag=str(tag) if tag else None,
                      registered_at=str(created) if created else None)


@dataclass(frozen=True)
class VersionClash:
    """A model version a run record produces that ``pin`` says has other bytes.
    ``refused``: the record may not be written (it gives a recorded version other bytes);
    else the registry disagrees with what the run recorded (a warning, and the audit's
    ``model-has-run`` finding)."""

    model: Node
    pin: VersionPin
    refused: bool

    @property
    def ref(self) -> str:
        return f"{self.model.attrs.get('group') or ''}@{self.model.attrs.get('version') or ''}"

    @property
    def says(self) -> Any:
        return self.model.attrs.get(self.pin.field)

    def warning(self, run: str) -> str:
        """The registry disagreement, said: the tag (commit) and both hashes."""
        path = self.model.attrs.get("artifact_uri")
        return (f"model version {self.ref}: {self.pin.source()} names artifact hash "
                f"{self.pin.value}; run {run} recorded it with {self.says}"
                + (f" ({path})" if path else "")
                + ": the registry now names other bytes than the run that produced the "
                  "version; the audit reports it (model-has-run) until the registration is put "
                  "back on those bytes, or the new bytes are registered as a new version "
                  "trained by a recorded run")


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    return None


def model_version_clashes(store: Store, nid: str, facts: list[Node | Edge]
                          ) -> list[VersionClash]:
    """The model versions the run ``nid``'s ``facts`` produce that the store says have other
    bytes (DESIGN §3: a version, group + version, is immutable), each with who says so.

    * What **records pinned** — a recorded run's output that is the version's artifact
      (:func:`recorded_pins`) — is what the run is compared with: a run may re-state those
      bytes (a retry) or produce a version nobody has seen, not give it other bytes
      (refused). A run the store holds as the producer of the version (accepted before: a run
      file harvested again, the same record again) is compared with its own output only: it
      never fails because another source changed since.
    * The **registry's** bytes (the version's node: GTO's tag and its artifact at the commit
      the tag names *now*, MLflow …) refuse a new run claiming a registered version with
      other bytes, unless the registry came after the run's bytes: the run is the version's
      recorded producer (accepted before), re-states bytes a run record pinned, or ended
      before the registry registered the version (its ``created_at``: a tag moved since, or
      placed on other bytes). Then the registry disagrees with what the run recorded: not
      refused (the run was right when it was recorded), and said (:meth:`VersionClash.warning`)
      — the audit's ``model-has-run`` reports it. A version a registry describes without a
      hash is pinned by its commit, which only refuses.
    """
    run_node = next((f for f in facts if isinstance(f, Node) and f.id == nid), None)
    ended = _time(run_node.attrs.get("end_time")) if run_node is not None else None
    out: list[VersionClash] = []
    for f in facts:
        if not (isinstance(f, Node) and f.kind == NodeKind.MODEL):
            continue
        accepted = store.conn.execute(
            "SELECT 1 FROM edges WHERE source=? AND target=? AND kind=?",
            (nid, f.id, str(EdgeKind.PRODUCED))).fetchone() is not None
        pins = recorded_pins(store, f.id)
        if accepted:  # its own pin only: what it recorded then
            pins = [p for p in pins if p.run == nid]
        mine = f.attrs.get("artifact_hash")
        old = store.get_node(f.id)
        stored = registry_pin(old) if old is not None else None
        if stored is not None and stored.registry is None:
            # a version only run records describe: its node says what the first run recorded
            if not pins and not accepted and mine is not None:
                pins = [stored]
            stored = None
        matched = False
        if mine is not None and pins:
            matched = any(p.value == mine for p in pins)
            if not matched:
                out.append(VersionClash(f, pins[0], refused=True))
                continue
        if stored is None:
            continue
        says = f.attrs.get(stored.field)
        if says is None or says == stored.value:
            continue
        registered = _time(stored.registered_at)
        before = ended is not None and registered is not None and ended < registered
        if accepted or matched or before:
            if stored.field == "artifact_hash":  # a commit of its own is no other bytes
                out.append(VersionClash(f, stored, refused=False))
            continue
        out.append(VersionClash(f, stored, refused=True))
    return out


def model_version_clash(store: Store, facts: list[Node | Edge]
                        ) -> tuple[Node, Node, dict[str, Any]] | None:
    """The first model version the run's ``facts`` produce that :func:`model_version_clashes`
    refuses: (stored node, the run's node, the field that differs with the value that pins
    it), else None."""
    run = next((f for f in facts if isinstance(f, Node) and f.kind == NodeKind.RUN), None)
    if run is None:
        return None
    for c in model_version_clashes(store, run.id, facts):
        if c.refused:
            old = store.get_node(c.model.id) or c.model
            return old, c.model, {c.pin.field: c.pin.value}
    return None


def registry_disagreements(store: Store, record: _Record, nid: str,
                           facts: list[Node | Edge]) -> list[str]:
    """The warnings for the model versions a run record produced whose registry names other
    bytes now (:func:`model_version_clashes`, not refused): each names the tag or registry,
    its commit and both hashes. Empty for any other record."""
    if not isinstance(record, RunRecord):
        return []
    return [c.warning(nid) for c in model_version_clashes(store, nid, facts) if not c.refused]


def version_bytes_clash(old: Node, new: Node) -> dict[str, Any]:
    """The fields pinning a model version's bytes that ``new`` states otherwise than ``old``
    (with ``old``'s values): its artifact hash, or its commit where ``old`` has no hash. Two
    run records of one harvest (:func:`produced_twice`); the store's versions are compared by
    :func:`model_version_clashes`."""
    pin = next((p for p in _VERSION_PINS if old.attrs.get(p[0]) is not None), None)
    if pin is None:
        return {}
    keep = set(pin)
    return recorded_clash_of({k: v for k, v in old.attrs.items() if k in keep},
                             {k: v for k, v in new.attrs.items() if k in keep})


def keep_recorded_versions(store: Store, facts: list[Node | Edge]) -> list[Node | Edge]:
    """``facts`` with the model versions and groups the store holds completed, never
    rewritten: a run re-stating a version (same bytes, another commit, run or time) keeps the
    version's commit, run and creation time as they were first recorded (the run's own node
    says where it ran), and a group a registry (GTO, MLflow, DVC) or an earlier run
    describes keeps its registry, name and description. A deployment another source (GTO)
    made is that source's to say: a record of it (same group, environment and time) only
    completes it (an endpoint, a retirement)."""
    out: list[Node | Edge] = []
    for f in facts:
        if isinstance(f, Node) and f.kind in (NodeKind.MODEL, NodeKind.MODEL_GROUP,
                                              NodeKind.DEPLOYMENT):
            old = store.get_node(f.id)
            if old is not None and (f.kind != NodeKind.DEPLOYMENT or old.attrs.get("source")
                                    not in (None, "record", RUN_SOURCE)):
                attrs = {k: v for k, v in f.attrs.items() if old.attrs.get(k) is None}
                f = Node(kind=f.kind, id=f.id, attrs=attrs)
        out.append(f)
    return out


def next_version(version: str) -> str:
    """A version to suggest after ``version``: ``v1.1.0`` → ``v1.2.0``, ``3`` → ``4``."""
    m = re.match(r"^(\D*)(\d+(?:\.\d+)*)", version)
    if m is None:
        return f"{version}-2"
    parts = [int(x) for x in m.group(2).split(".")]
    at = 1 if len(parts) > 1 else 0
    parts = [*parts[:at], parts[at] + 1, *(0 for _ in parts[at + 1:])]
    return m.group(1) + ".".join(map(str, parts))


def _model_version_conflict(store: Store, record: RunRecord, nid: str,
                            facts: list[Node | Edge], *, file: str | None,
                            line_of: Callable[[str], int] | None) -> InputError | None:
    """The error for the first model version the run gives other bytes than records pinned
    or its registry names (:func:`model_version_clashes`), naming who says which bytes."""
    clash = next((c for c in model_version_clashes(store, nid, facts) if c.refused), None)
    if clash is None:
        return None
    pin, new = clash.pin, clash.model
    group = str(new.attrs.get("group") or "")
    version = str(new.attrs.get("version") or "")
    path = new.attrs.get("artifact_uri")
    if pin.field == "artifact_hash":
        said = "already recorded" if pin.registry is None else "registered"
        also = ""
        if pin.registry is None:  # the registry saying the same bytes: said too
            stored = store.get_node(new.id)
            reg = registry_pin(stored) if stored is not None else None
            if reg is not None and reg.registry is not None and reg.value == pin.value:
                also = f", and registered with it by {reg.source()}"
        message = (f"model version {clash.ref} is {said} with artifact hash {pin.value} by "
                   f"{pin.source()}{also}: this run says its hash is {clash.says}"
                   + (f" ({path})" if path else ""))
    else:
        message = (f"model version {clash.ref} is registered at commit {pin.value}, without "
                   f"an artifact hash, by {replace(pin, commit=None).source()}: this run "
                   f"says its commit is {clash.says}")
    new_ref = f"{group}@{next_version(version)}"
    if file is None:
        spec = f"--model {new_ref}={path}" if path else f"--model {new_ref}=PATH"
        hint = (f"a model version is immutable: register a new version, e.g. `{spec}` "
                f"(in track_run: `run.log_model(..., version=\"{next_version(version)}\")`)")
    else:
        hint = (f"a model version is immutable: register a new version, e.g. `name: "
                f"{group}` and `version: {next_version(version)}` in this run's models")
    return InputError(message, file=file, line=line_of("models") if line_of else None,
                      field="models", hint=hint)


def produced_twice(earlier: list[Node | Edge], earlier_where: str, facts: list[Node | Edge], *,
                   file: str, line_of: Callable[[str], int]) -> InputError | None:
    """The error to raise when a run's ``facts`` produce a model version that an earlier run
    of the same harvest (its facts ``earlier``, recorded at ``earlier_where``) produced with
    other bytes: neither is stored yet, so the store cannot tell (:func:`model_version_clash`),
    but the two records contradict each other."""
    mine = {f.id: f for f in earlier if isinstance(f, Node) and f.kind == NodeKind.MODEL}
    for f in facts:
        old = mine.get(f.id) if isinstance(f, Node) else None
        if old is None or not isinstance(f, Node):
            continue
        clash = version_bytes_clash(old, f)
        if not clash:
            continue
        field = next(iter(clash))
        group = str(f.attrs.get("group") or "")
        version = str(f.attrs.get("version") or "")
        what = "artifact hash" if field == "artifact_hash" else "commit"
        return InputError(
            f"model version {group}@{version} is produced with {what} {clash[field]} by the run "
            f"in {earlier_where}, and with {what} {f.attrs.get(field)} by this run: one "
            "version has one set of bytes",
            file=file, line=line_of("models"), field="models",
            hint=("a model version is immutable: give one of the two runs another version, "
                  f"e.g. `name: {group}` and `version: {next_version(version)}` in its models"))
    return None


def recorded_conflict(store: Store, record: _Record, nid: str, facts: list[Node | Edge], *,
                      file: str | None = None, line_of: Callable[[str], int] | None = None,
                      earlier_ok: bool = False) -> InputError | None:
    """The error to raise when the store already holds ``record``'s node saying otherwise
    (:func:`recorded_clash`), else None. With ``file`` the error names the record file, the
    line of the first field that differs (``line_of``) and how to correct a record in a file;
    without, the command line (``--id``, ``--prop``)."""
    refused = foreign_correction(store, record, file=file, line_of=line_of)
    if refused is not None:
        return refused
    clash = recorded_clash(store, nid, facts, earlier_ok=earlier_ok)
    if not clash:
        if isinstance(record, RunRecord):  # the model versions it produced are immutable too
            return _model_version_conflict(store, record, nid, facts, file=file,
                                            line_of=line_of)
        return None

    def shown(v: Any) -> str:
        text = repr(v)
        return text if len(text) <= 60 else text[:57] + "...'"

    fields = list(clash)
    said = ", ".join(f"{k} {shown(v)}" for k, v in clash.items())
    ref = record.id or nid
    message = (f"record {nid} is already recorded with {said}: this record says otherwise "
               f"about {', '.join(fields)}")
    if isinstance(record, RunRecord):
        # a run is what happened: another run is a new run, not a correction of this one
        # (corrections with `supersedes` are for governance records; the audit ignores
        # them on runs)
        where = "another `id:`" if file is not None else "another --run-id, or none"
        stored = store.get_node(nid)
        status = stored.attrs.get("status") if stored is not None else None
        if run_stage(status) < ENDED:
            hint = (f"the run is {status}: recording it again may end it (status, end time, "
                    "metrics, tags, new params, inputs and models), not change what it is "
                    f"(its commit, start, inputs, a param); a run that differs is a new run "
                    f"({where})")
        else:
            hint = (f"a run that ended ({status or 'FINISHED'}) is immutable: record a run "
                    f"that differs as a new run ({where}); a model it produced is a new "
                    "model version")
        field = fields[0].split(".", 1)[0]
        return InputError(
            message, file=file, line=line_of(field) if line_of and file else None,
            field=fields[0], hint=hint)
    # a deployment without id is named by group, environment and time: the clash may be a
    # second deployment at that time rather than a correction
    other = (isinstance(record, DeploymentRecord) and not record.id
             and "deployed_at" not in fields)
    if file is None:
        return InputError(
            message, field=fields[0],
            hint=("if this is another deployment of the same version to the same environment "
                  "at that time, give it its own --id; if it corrects the recorded one, "
                  if other else "records are immutable: ")
            + "record the correction with a new --id, saying which record it supersedes "
              f"(e.g. --prop supersedes={ref})")
    if isinstance(record, DocumentRecord) and fields == ["content_hash"]:
        hint = ("records are immutable: a document record pins the content_hash it was "
                "first recorded with; give that one (or none), and record the document's new "
                "version as a new document record with its own `id:` and "
                f"`properties: {{supersedes: {ref}}}`")
    else:
        hint = ("records are immutable: leave this record as it was recorded and add the "
                "correction as a new record with its own `id:` and "
                f"`properties: {{supersedes: {ref}}}`")
        if other:
            hint = ("if this is another deployment of the same version to the same environment "
                    "at that time, give it its own `id:`; else " + hint)
    return InputError(message, file=file, line=line_of(fields[0]) if line_of else None,
                      field=fields[0], hint=hint)


def foreign_correction(approvals: Store | Mapping[str, str], record: _Record, *,
                       file: str | None = None,
                       line_of: Callable[[str], int] | None = None) -> InputError | None:
    """The error to raise when ``record`` is an approval that corrects (``supersedes``) an
    approval someone else decided, else None: one the store holds, or (``approvals``: node
    id → approver) one of the records checked together (``lineage record validate``). An
    approval is its approver's decision: only they correct it (another person's correction
    would reinstate an approval they withdrew, or make their rejection vanish); anyone
    records their own decision. People are told apart as the audit tells them (``carl`` is
    ``carl@example.com``)."""
    if not isinstance(record, ApprovalRecord) or not record.properties.get("supersedes"):
        return None
    from lineage.audit.rules import person, same_person

    def approver_of(nid: str) -> str | None:
        if isinstance(approvals, Mapping):
            return approvals.get(nid)
        stored = approvals.get_node(nid)
        if stored is None or str(stored.kind) != "approval":
            return None
        return str(stored.attrs.get("approver") or "")

    me = person(record.approver)
    for ref in str(record.properties["supersedes"]).split(","):
        ref = ref.strip()
        theirs = approver_of(ref if ref.startswith("approval:") else f"approval:{ref}") \
            if ref else None
        if theirs is None:
            continue
        them = person(theirs)
        if me is not None and them is not None and same_person(me, them):
            continue
        name = ref.removeprefix("approval:")
        return InputError(
            f"approval {name} was decided by {theirs}: only {theirs} may correct it",
            file=file, line=line_of("properties") if line_of and file else None,
            field="properties.supersedes",
            hint=f"record your own decision without supersedes (it counts beside {theirs}'s), "
                 f"or ask {theirs} to record the correction")
    return None


def _check_recorded(store: Store, record: _Record, nid: str, facts: list[Node | Edge]) -> None:
    """Raise when the store already holds this record's node with other values."""
    error = recorded_conflict(store, record, nid, facts)
    if error is not None:
        raise error


def _record_target(store: Store, root: Path, governance_dir: str, record: _Record, nid: str,
                   write_file: bool, file: StrPath | None) -> Path | None:
    """Where ``--write-file`` (or ``file``) writes the record: ``file``; else the file that
    recorded the stored node, when it holds that record alone — a deployment's retirement
    goes into the deployment's own file, whatever its name (recorded under another id, named
    by an earlier lineage, moved), and a run's end into the file of its start; else
    ``<governance_dir>/<kind>/<id>.yaml``."""
    if file is not None:
        target = Path(file)
        return target if target.is_absolute() else root / target
    if not write_file:
        return None
    if isinstance(record, DeploymentRecord | RunRecord) or nid != node_id_of(record):
        stored = store.get_node(nid)
        where = stored.attrs.get("record_file") if stored is not None else None
        if isinstance(record, RunRecord):  # the end of a run completes the file of its start
            props = stored.attrs.get("properties") if stored is not None else None
            where = props.get("record_file") if isinstance(props, dict) else None
        if isinstance(where, str) and (root / where).is_file():
            try:
                found = parse_file(root / where, root)
            except InputError:  # edited since: the record gets a file of its own
                found = []
            if len(found) == 1 and found[0].node_id == nid:
                return root / where
    return root / governance_dir / record_filename(record)


# the hint for a record file holding a record the store does not hold (yet): a file pulled
# from git and not harvested, or one an earlier lineage wrote before a process was killed
_HARVEST_FIRST = ("the store does not hold the record this file holds: `lineage harvest` "
                  "reads it into the store, then recording it again completes it or says "
                  "what differs")


def _merge_existing(target: Path, root: Path, rel: str, record: _Record, nid: str, *,
                    in_store: bool = True) -> _Record:
    """The record to write over an existing file: only one for the same node, completed.
    ``in_store``: whether the store holds the node (when it does not, the file is not a
    record of the store's: the hint is to harvest it)."""
    existing = parse_file(target, root)
    if len(existing) != 1 or existing[0].node_id != nid:
        raise InputError("a different record file already exists here", file=rel,
                         hint="give the record another --id, or remove the file")
    if isinstance(record, RunRecord) and isinstance(existing[0].record, RunRecord):
        # the file of a run recorded when it started: the run's end completes it
        was, now = canonical(existing[0].record), canonical(record)
        clash = sorted(run_clash_of(was, now))
        if clash:
            raise InputError(f"the record file already says otherwise about "
                             f"{', '.join(clash)}", file=rel,
                             line=existing[0].line_of(clash[0].split(".", 1)[0]),
                             field=clash[0], hint=_HARVEST_FIRST if not in_store else
                             "a run that differs is a new run: record it with another "
                             "--run-id, or none")
        merged = run_record_merged(was, now)
        return RunRecord.model_validate({k: v for k, v in merged.items() if v})
    clash = conflicts(existing[0].record, record)
    if clash:
        raise InputError(f"the record file already says otherwise about {', '.join(clash)}",
                         file=rel, line=existing[0].line_of(clash[0]), field=clash[0],
                         hint=_HARVEST_FIRST if not in_store else
                         "records are immutable: record a new one with another --id")
    return merge(existing[0].record, record)


def _stage_file(target: Path, text: str) -> Path:
    """``text`` written to a hidden file beside ``target`` (the harvest and ``record
    validate`` skip names starting with ``.``), flushed to disk, to be renamed onto it once
    the store holds the record (:func:`emit`). Files staged for ``target`` by a process
    killed before its rename are removed: the store's write lock is held, so none is another
    live process's."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.lineage-tmp"):
        stale.unlink(missing_ok=True)
    staged = target.parent / f".{target.name}.{os.getpid()}.lineage-tmp"
    try:
        with open(staged, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        staged.unlink(missing_ok=True)  # (a full disk leaves what it could write)
        raise
    return staged


def _run_so_far(store: Store, nid: str, record: RunRecord) -> RunRecord:
    """``record`` completing the records of the run ``nid`` the event log holds (its start,
    recorded without a file): the run as a file must say it, whole. Only a run that has not
    ended is completed: one that ended is what it was recorded as."""
    stored = store.get_node(nid)
    if stored is None or run_stage(stored.attrs.get("status")) == ENDED:
        return record
    so_far: dict[str, Any] = {}
    for event in store.events():
        p = event.payload
        if event.kind == "record" and p.get("node") == nid and isinstance(p.get("record"), dict):
            so_far = run_record_merged(so_far, p["record"]) if so_far else dict(p["record"])
    if not so_far:
        return record
    merged = run_record_merged(so_far, canonical(record))
    return RunRecord.model_validate({k: v for k, v in merged.items() if v})


def _by_key(a: list[dict[str, Any]] | None, b: list[dict[str, Any]] | None,
            *keys: str) -> list[dict[str, Any]]:
    """The items of ``a`` then those of ``b`` not in ``a`` (by ``keys``)."""
    out = list(a or [])
    seen = {tuple(x.get(k) for k in keys) for x in out}
    out += [x for x in b or [] if tuple(x.get(k) for k in keys) not in seen]
    return out


__all__ = [
    "RECORD_KINDS", "RECORD_MODELS", "AlertRecord", "AnyRecord", "ApprovalRecord",
    "DeploymentRecord", "DocumentRecord", "LoadedRecord", "RetrainingRecord",
    "EmitResult", "OtherGroup", "RiskAssessmentRecord", "RunInput", "RunModel", "RunRecord", "StrPath",
    "canonical",
    "CheckResult", "FAILED_RUN", "not_records", "as_one_fact", "failed_run_warning", "check_document", "document_hash", "document_path",
    "missing_document", "same_named_files", "deployment_key", "deployments_with_ids", "check_files", "conflicts", "credentials_error",
    "credentials_removed", "credentials_warning", "scrub_credentials", "record_files", "default_version", "emit", "merge", "git_head", "repository_of", "run_repository",
    "model_ref_id", "native_id", "node_id_of", "parse_file", "parse_text", "record_schemas",
    "keep_recorded_versions", "model_version_clash", "model_version_clashes", "next_version",
    "produced_twice", "recorded_pins", "registry_disagreements", "registry_pin",
    "VersionClash", "VersionPin", "HeldBy",
    "recorded_clash",
    "foreign_correction", "recorded_clash_of", "recorded_conflict", "said_otherwise",
    "ENDED", "NOT_ENDED", "RUN_STATUSES", "is_url", "metric_json", "normalize_uri", "run_clash_of",
    "run_merged", "run_progress", "run_record_merged", "run_stage",
    "KnownNames", "SUPERSEDES", "UnknownName", "UnknownNameError", "line_in", "unknown_names",
    "split_model_ref", "stored_node_id", "to_facts", "to_yaml", "validate_data", "with_aliases",
    "with_aliases_ref", "write_schemas",
]


if __name__ == "__main__":
    for p in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()):
        print(p)
