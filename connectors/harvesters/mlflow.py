"""MLflow harvester: experiments, runs, dataset inputs, logged models and the model registry.

Where the tracking store is found (as MLflow users expect): ``MLFLOW_TRACKING_URI`` or
``mlflow.tracking_uri`` in ``lineage.yaml``. ``sqlite:///mlflow.db`` is relative to the
repository root, ``sqlite:////abs/mlflow.db`` absolute. The model registry is
``MLFLOW_REGISTRY_URI`` or ``mlflow.registry_uri`` when set (resolved the same way), else the
tracking store.

How it is read:

* SQLite stores with the standard library (read-only): full ``mlflow`` is ~850 MB and
  ``mlflow-skinny`` alone cannot open SQLite. The schema version (``alembic_version``) must be
  one this module knows (``KNOWN_REVISIONS``); for another one it falls back to MLflow's own
  client when the ``mlflow`` extra is installed, and otherwise stops with an error naming the
  version.
* HTTP(S) tracking servers, ``databricks`` and file stores (``./mlruns``, ``file:``) through
  ``MlflowClient`` (the ``mlflow`` extra: ``pip install 'lineage[mlflow]'``).

What it yields:

* a ``run:mlflow:<store key>:<run uuid>`` node per run (params, latest metric values, tags,
  status, times, user, experiment) with a CODE edge from ``commit:<sha>`` when the run carries
  ``mlflow.source.git.commit`` and an UPSTREAM_RUN edge from its parent run;
* a data node per MLflow dataset (id from its name; ``path`` where its source says the data
  is, :func:`dataset_location`) with a *weak* INPUT edge (MLflow's digest hashes only the
  first 10,000 rows); when the dataset's source is a path inside the repository, or an
  absolute path of another checkout of it that the run ties to this repository
  (``mlflow.source.git.repoURL``) and DVC tracks (``CheckoutPaths``, shared with the
  OpenLineage harvester; a warning where such a path stays unresolved), the edge carries that
  ``path`` so the ``joins`` step can add the *strong* pin from DVC's data node;
* a ``model_group`` per registered model (name through ``model_aliases``; ``<workspace>/<name>``
  in an MLflow 3 workspace other than the default: :func:`qualified_name`) and a
  ``model:<name>@<version>`` per version, with PRODUCED (run → version), VERSION_OF and
  PREVIOUS_VERSION edges, version tags, aliases and the artifact hash when a version tag
  ``artifact_hash`` / ``lineage.artifact_hash`` names it, else when its artifact is a file or
  folder of a local artifact store readable here (:func:`artifact_store_hash`); its
  repository path (``source_path``) resolved as a dataset's is;
* alias moves: MLflow keeps no alias history, so the harvester keeps the alias map it saw last
  (a watermark) and, when an alias points somewhere new, writes
  ``properties["alias_moved:<alias>@<time seen>"] = "<from> -> <to>"`` on the version that
  gained it (or lost it, when the alias was deleted). The change is a fact, so it is covered by
  exactly one event in the hash-chained log; a harvest that sees no move writes nothing;
* for a run read again, the withdrawal (:class:`lineage.store.Withdrawal`) of each edge an
  earlier harvest gave it that MLflow no longer states (a commit or parent tag deleted or
  changed, a dataset input gone), a dataset node no run links any more, and its attributes
  MLflow no longer gives written empty (a deleted tag, the last param).

Incremental: per tracking store a watermark keeps the latest run start/end and metric times,
so a re-harvest reads only runs that started, ended or logged metrics since, runs still open,
and runs whose row, experiment name, tags, params, latest metric values, dataset inputs or
logged models changed (a per-run digest in the store's cache: MLflow keeps no timestamp for
tags, params, inputs or an experiment's name, and a metric's timestamp is whatever the client
sent, so ``log_metric(..., timestamp=<earlier>)`` is invisible to a timestamp watermark); the
registry tables are small and read whole.

Tracking URIs in messages are :func:`shown_uri` (credentials and secret query values removed,
as written otherwise but for a host lower-cased when credentials are cut); exception text from MLflow's client is passed through :func:`redact`
with the raw URI's secrets scrubbed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

from lineage import ids
from lineage.errors import ConfigError, InputError, LineageError, ServerError
from lineage.hashing import relative_to_repo
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.records import RUN_SOURCE
from lineage.runtime import env_set
from lineage.serialize import loads, now_utc, utc_iso
from lineage.store import NodeWithdrawal, Withdrawal

if TYPE_CHECKING:
    from connectors.harvesters.openlineage import CheckoutPaths
    from lineage.plugins import HarvestContext

NAME = "mlflow"
EXTRA_HINT = "pip install 'lineage[mlflow]'"

# alembic revisions of MLflow's tracking schema, oldest first, that the SQLite reader knows:
# from the latest_metrics table (MLflow 1.x) to MLflow 3.17's head. Tables and columns added
# along the way (registry, aliases, datasets, logged models, workspaces) are detected, not
# assumed. A new MLflow release adds a revision: regenerate tests/fixtures/mlflow, check the
# tables read below, then append it here.
KNOWN_REVISIONS: tuple[str, ...] = (
    "89d4b8295536", "2b4d017a5e9b", "cfd24bdc0731", "0a8213491aaa", "728d730b5ebd",
    "27a6a02d2cf1", "84291f40a231", "a8c4a736bde6", "39d1c3be5f05", "c48cb773bb87",
    "bd07f7e963c5", "0c779009ac13", "cc1f77228345", "97727af70f4d", "3500859a5d39",
    "7f2a7d5fae7d", "2d6e25af4d3e", "acf3f17fdcc7", "867495a8f9d4", "5b0e9adcef9c",
    "4465047574b1", "f5a4f2784254", "0584bdc529eb", "400f98739977", "6953534de441",
    "bda7b8c39065", "cbc13b556ace", "770bee3ae1dd", "a1b2c3d4e5f6", "de4033877273",
    "1a0cddfcaa16", "534353b11cbc", "71994744cf8e", "3da73c924c2f", "bf29a5ff90ea",
    "1bd49d398cd23", "b7c8d9e0f1a2", "5d2d30f0abce", "c9d4e5f6a7b8", "2c33131f4dae",
    "d3e4f5a6b7c8", "d0e1f2a3b4c5", "c8d9e0f1a2b3", "1b5f0d9ad7c1", "e1f2a3b4c5d6",
    "76601a5f987d", "c3d6457b6d8a", "a5b4c3d2e1f0", "ae8bbe7743c9", "7d34483879f0",
    "da6fb0208061", "89d3d66ed43f", "b7e4c1a90f23", "a8b9c0d1e2f3", "c1d2e3f4a5b6",
    "c3d9e7f1a2b4", "6f8d9c3b2a1e", "1971f2d9a75b", "17e22815139b", "b7e2c1a4d9f3",
    "75868b020152", "dc11669786a5",
)

# tags that are bulky bookkeeping, not facts about the run
_SKIP_TAGS = frozenset({"mlflow.log-model.history"})
_OPEN_STATUSES = ("RUNNING", "SCHEDULED")
ARTIFACT_HASH_TAGS = ("lineage.artifact_hash", "artifact_hash")
# the run tags naming the repository it ran from: MLflow's (the clone's remote URL), then the
# one MLflow 1.x wrote
REPO_URL_TAGS = ("mlflow.source.git.repoURL", "mlflow.gitRepoURL")
_REPO_TAGS_SQL = ", ".join(f"'{t}'" for t in REPO_URL_TAGS)
PROMPT_TAG = "mlflow.prompt.is_prompt"  # a registered "model" that is a prompt
# MLflow 3 workspaces (MLFLOW_ENABLE_WORKSPACES): a registered model's name is unique within
# its workspace only. One of another workspace than MLflow's default is named
# ``<workspace>/<name>`` (a model name holds no '/', MLflow refuses it); the default
# workspace's, and those of stores older than workspaces, keep their plain names
DEFAULT_WORKSPACE = "default"
# what the emitter writes for a run: a new value makes the next harvest of a SQLite store read
# every run again (once), so stores harvested before a change get it. 2: dataset paths are
# their source's location. 3: credentials removed from param values. 4: and from artifact URIs.
# 5: a NaN metric kept as "NaN" (it was left out). 6: a dataset DVC checked out as a symlink
# is its repository path (it was the .dvc/cache file). 7: a run of an MLflow 3 workspace
# other than the default names its experiment <workspace>/<name>. 8: a dataset that is a file
# of another checkout of this repository is its repository path.
EMITTER_VERSION = 8
# what a run node holds from MLflow: an attribute the store holds that MLflow no longer gives
# (a tag deleted, the git commit tag with it) is written empty, as the store keeps an
# attribute a new fact leaves out
_RUN_ATTRS = ("name", "experiment", "experiment_id", "status", "user", "start_time",
              "end_time", "params", "metrics", "tags", "commit", "tracking_uri", "properties")
# the same for a model version (a stage moved back to None, the artifact_hash tag deleted) and
# a registered model (its description or last tag removed)
_VERSION_ATTRS = ("artifact_uri", "artifact_hash", "commit", "run_id", "created_at",
                  "created_by", "stage", "status", "tags", "description")
_GROUP_ATTRS = ("description", "tags")
_PREFETCH = 500  # runs whose stored node and edges are read in one query


def _with_cleared(old: Node | None, attrs: dict[str, Any],
                  owned: tuple[str, ...]) -> dict[str, Any]:
    """``attrs``, and each of the ``owned`` attributes the stored node ``old`` holds that
    ``attrs`` leaves out written empty (the store keeps an attribute a new fact leaves out;
    one never stored is not written, so a harvest of an unchanged store writes nothing)."""
    if old is None:
        return attrs
    cleared: dict[str, Any] = {k: {} if isinstance(old.attrs[k], dict) else None
                               for k in owned
                               if k not in attrs and old.attrs.get(k) not in (None, {}, "")}
    return {**attrs, **cleared} if cleared else attrs


# -- where the store is --------------------------------------------------------------------
@dataclass(frozen=True)
class TrackingStore:
    """A resolved tracking URI: how to read it and the key run ids embed."""

    uri: str  # as configured, credentials removed
    kind: str  # "sqlite" | "client"
    key: str  # stable key for ids: a path relative to the repo, an absolute path or a host
    path: Path | None = None  # the SQLite file
    raw: str = field(default="", repr=False)  # as configured, for the client only (may hold a
    # password, as MLflow allows in the URI): never printed or stored

    @property
    def client_uri(self) -> str:
        """The URI for MlflowClient: relative paths made absolute (they are the repo's, not
        the working directory's)."""
        if self.path is None:
            return self.raw or self.uri
        if self.kind == "sqlite":
            return f"sqlite:///{self.path.resolve()}"
        return self.path.resolve().as_uri()


def resolve_tracking_uri(uri: str, repo_root: Path) -> TrackingStore:
    """Resolve ``uri`` as MLflow would, with relative SQLite paths taken from the repo root."""
    clean = shown_uri(uri)
    root = repo_root.resolve()
    if clean.startswith("sqlite:"):
        rest = clean[len("sqlite:"):]
        if not rest.startswith("///"):
            raise ConfigError(f"cannot read MLflow tracking URI {clean!r}",
                              hint="write SQLite stores as sqlite:///relative.db or "
                                   "sqlite:////absolute/path.db")
        raw = unquote(rest[3:].split("?", 1)[0])
        p = Path(raw)
        path = p if p.is_absolute() else root / p
        return TrackingStore(clean, "sqlite", _path_key(path, root), path)
    parts = urlsplit(clean)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        key = f"{host}:{parts.port}" if parts.port else host
        if parts.path.strip("/"):
            key += "/" + parts.path.strip("/")
        return TrackingStore(clean, "client", key, raw=uri.strip())
    if parts.scheme == "file" or "://" not in clean and ":" not in clean[:3].strip("/"):
        raw = unquote(parts.path) if parts.scheme == "file" else clean
        p = Path(raw)
        path = p if p.is_absolute() else root / p
        return TrackingStore(clean, "client", _path_key(path, root), path)
    # databricks, databricks://profile, other plugin schemes: MlflowClient knows them
    return TrackingStore(clean, "client", clean.replace("://", "/").rstrip("/"), raw=uri.strip())


def resolve_registry_uri(tracking: TrackingStore, repo_root: Path,
                         uri: str | None = None) -> TrackingStore | None:
    """The model registry MLflow reads when it is not the tracking store: ``uri`` (the
    harvest's ``mlflow.registry_uri``, which ``MLFLOW_REGISTRY_URI`` overrides), by default
    ``MLFLOW_REGISTRY_URI``, resolved as the tracking URI is (a relative path is the
    repository's). None when it is unset or names the tracking store itself."""
    uri = (os.environ.get("MLFLOW_REGISTRY_URI", "") if uri is None else uri).strip()
    if not uri:
        return None
    try:
        registry = resolve_tracking_uri(uri, repo_root)
    except ConfigError as exc:
        raise ConfigError(f"cannot read MLFLOW_REGISTRY_URI {shown_uri(uri)!r}",
                          hint=exc.hint) from exc
    if (registry.kind, registry.key) == (tracking.kind, tracking.key):
        return None
    return registry


_QUERY = re.compile(r"\?[^\s'\"<>]+")


def shown_uri(uri: str) -> str:
    """``uri`` as written, minus what must not be shown or stored: ``user:password@`` and the
    values of secret query parameters — :func:`lineage.ids.strip_credentials`
    (``sqlite://alice:pw@/mlflow.db`` is shown ``sqlite:///mlflow.db``)."""
    return ids.strip_credentials(uri.strip())


def _clean_query(query: str) -> str:
    return ids.strip_credentials("http://h/?" + query).removeprefix("http://h/?")


def _secrets(raw: str) -> list[str]:
    """The password and the secret query values of ``raw`` (quoted and not), longest first."""
    try:
        parts = urlsplit(raw.strip())
        found = [parts.password] if parts.password else []
    except ValueError:
        return []
    for f in parts.query.split("&"):
        name, sep, value = f.partition("=")
        if sep and value and _clean_query(f) != f:
            found += [value, unquote(value)]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def redact(text: str, raw: str = "") -> str:
    """Scrub a message: every URL in it is shown as :func:`shown_uri`, secret parameters of a
    bare ``/path?query`` (what ``requests`` prints) are redacted, and the secrets of the raw
    tracking URI ``raw`` (its password, its secret query values) are removed wherever they are."""
    if raw.strip():
        text = text.replace(raw.strip(), shown_uri(raw))
    text = ids.strip_credentials_in_text(text)
    text = _QUERY.sub(lambda m: "?" + _clean_query(m.group()[1:]), text)
    for secret in _secrets(raw):
        text = text.replace(secret, "REDACTED")
    return text


def _path_key(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


# -- what a reader returns ------------------------------------------------------------------
@dataclass
class Snapshot:
    """Plain records read from a tracking store, independent of how they were read."""

    experiments: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    logged_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    registered_models: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)  # model → alias → version
    run_commits: dict[str, str] = field(default_factory=dict)  # run uuid → git sha (versions)
    # run uuid → the repository URL its tags name, and its artifact root (versions' runs)
    run_repos: dict[str, str] = field(default_factory=dict)
    run_artifacts: dict[str, str] = field(default_factory=dict)
    watermark: dict[str, Any] = field(default_factory=dict)


def _ms(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)


class SqliteReader:
    """Reads an MLflow SQLite tracking store with the standard library, read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        url = "file:" + quote(str(path.resolve())) + "?mode=ro"
        try:
            self.conn = sqlite3.connect(url, uri=True)
            self.conn.row_factory = sqlite3.Row
            self.tables = {r[0] for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not an MLflow tracking store: {exc}", file=str(path),
                             hint="check MLFLOW_TRACKING_URI / mlflow.tracking_uri") from exc

    def close(self) -> None:
        self.conn.close()

    def schema_version(self) -> str | None:
        if "alembic_version" not in self.tables:
            return None
        row = self.conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}

    def _kv(self, sql: str, params: Iterable[Any] = ()) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for owner, k, v in self.conn.execute(sql, tuple(params)):
            out.setdefault(str(owner), {})[k] = v
        return out

    def fingerprints(self) -> dict[str, str]:
        """run uuid → digest of what MLflow can change on a run that no timestamp shows: its
        row (status, end, name, lifecycle) and its experiment's name (``rename_experiment``),
        its tags and params (no timestamps there), its latest metric values (their timestamps
        are the client's: ``log_metric(..., timestamp=<earlier>, step=<higher>)`` changes the
        latest value with an old time), the datasets logged to it (``log_inputs`` on a
        finished run) and the logged models it is the source of.

        Rows are hashed in table order, unsorted: a reordering only causes a needless re-read,
        never a missed change, and sorting costs more than the whole read."""
        acc: dict[str, list[str]] = {}
        for r in self.conn.execute(
                "SELECT r.run_uuid, r.status, r.end_time, r.name, r.lifecycle_stage, e.name "
                "FROM runs r LEFT JOIN experiments e ON e.experiment_id = r.experiment_id"):
            acc[r[0]] = [repr(r[1:])]
        row_sql = {table: f"SELECT run_uuid, key || char(0) || coalesce(value, '') FROM {table}"
                   for table in ("tags", "params")}
        if "inputs" in self.tables:
            row_sql["inputs"] = ("SELECT destination_id, source_type || char(0) || source_id "
                                 "FROM inputs WHERE destination_type = 'RUN'")
        if "logged_models" in self.tables:
            row_sql["logged_models"] = (
                "SELECT source_run_id, model_id || char(0) || coalesce(name, '') || char(0) || "
                "coalesce(artifact_location, '') FROM logged_models "
                "WHERE source_run_id IS NOT NULL")
        if "latest_metrics" in self.tables:  # one row per run and key: small, unlike `metrics`
            row_sql["latest_metrics"] = (
                "SELECT run_uuid, key || char(0) || coalesce(value, '') || char(0) || "
                "coalesce(step, '') || char(0) || coalesce(timestamp, '') || char(0) || "
                "coalesce(is_nan, '') FROM latest_metrics")
        for table, sql in row_sql.items():
            for bucket in acc.values():
                bucket.append(f"\2{table}")
            for u, kv in self.conn.execute(sql):
                found = acc.get(u)
                if found is not None:
                    found.append(kv)
        return {u: hashlib.blake2b("\1".join(parts).encode(), digest_size=16).hexdigest()
                for u, parts in acc.items()}

    def read(self, wm: dict[str, Any], also: Iterable[str] = (),
             registry: SqliteReader | None = None) -> Snapshot:
        """Read the store; with a watermark, only runs changed since (and the ``also`` runs).
        The model registry is read from ``registry`` when given (``MLFLOW_REGISTRY_URI``
        names another SQLite file), else from this store."""
        snap = Snapshot()
        self._experiments(snap)
        self._runs(snap, wm, set(also))
        if "logged_models" in self.tables:
            self._logged_models(snap)
        registry = registry or self
        if "registered_models" in registry.tables:
            registry._registry(snap)
            self._run_commits(snap)
        return snap

    def _experiments(self, snap: Snapshot) -> None:
        tags = self._kv("SELECT experiment_id, key, value FROM experiment_tags") \
            if "experiment_tags" in self.tables else {}
        ws = "workspace" if "workspace" in self.columns("experiments") else "NULL"
        for r in self.conn.execute(f"SELECT *, {ws} AS ws_ FROM experiments"):
            eid = str(r["experiment_id"])
            # an experiment's name is unique within its workspace: named as a model is
            snap.experiments[eid] = {"id": eid, "name": qualified_name(r["ws_"], r["name"]),
                                     "lifecycle_stage": r["lifecycle_stage"],
                                     "tags": tags.get(eid, {}),
                                     **_workspace_keys(r["ws_"], r["name"])}

    def _runs(self, snap: Snapshot, wm: dict[str, Any], also: set[str]) -> None:
        cols = self.columns("runs")
        start, end = int(wm.get("runs_start", -1)), int(wm.get("runs_end", -1))
        metric_ts = int(wm.get("metric_ts", -1))
        deleted = int(wm.get("deleted", -1))
        has_latest = "latest_metrics" in self.tables
        metric_table = "latest_metrics" if has_latest else "metrics"
        # strictly after the watermark, so an unchanged store re-reads no run; only a run that
        # started in the very millisecond of the newest one and was written after this read
        # could be missed, and it is read as soon as it logs a metric or ends
        cond = ["start_time > :start", "end_time IS NULL", "end_time > :end",
                "status IN ('RUNNING', 'SCHEDULED')",
                f"run_uuid IN (SELECT run_uuid FROM {metric_table} WHERE timestamp > :mts)"]
        if "deleted_time" in cols:
            cond.append("deleted_time > :deleted")
        params = {"start": start, "end": end, "mts": metric_ts, "deleted": deleted}
        rows = self.conn.execute(
            "SELECT * FROM runs WHERE " + " OR ".join(cond) + " ORDER BY start_time, run_uuid",
            params).fetchall()
        extra = sorted(also - {r["run_uuid"] for r in rows})
        for i in range(0, len(extra), 900):
            chunk = extra[i:i + 900]
            rows += self.conn.execute(
                f"SELECT * FROM runs WHERE run_uuid IN ({','.join('?' * len(chunk))})",
                chunk).fetchall()
        # the new watermark covers the whole table, not only what was re-read
        mx = self.conn.execute("SELECT max(start_time), max(end_time) FROM runs").fetchone()
        mts = self.conn.execute(f"SELECT max(timestamp) FROM {metric_table}").fetchone()
        snap.watermark.update(runs_start=mx[0] if mx[0] is not None else start,
                              runs_end=mx[1] if mx[1] is not None else end,
                              metric_ts=mts[0] if mts[0] is not None else metric_ts)
        if "deleted_time" in cols:
            d = self.conn.execute("SELECT max(deleted_time) FROM runs").fetchone()[0]
            snap.watermark["deleted"] = d if d is not None else deleted
        if not rows:
            return
        uuids = [r["run_uuid"] for r in rows]
        params_by = self._chunked_kv("SELECT run_uuid, key, value FROM params", uuids)
        tags_by = self._chunked_kv("SELECT run_uuid, key, value FROM tags", uuids)
        metrics_by = self._metrics(uuids, has_latest)
        inputs_by = self._inputs(uuids) if {"inputs", "datasets"} <= self.tables else {}
        for r in rows:
            u = r["run_uuid"]
            tags = tags_by.get(u, {})
            snap.runs.append({
                "run_uuid": u, "name": r["name"] or tags.get("mlflow.runName"),
                "experiment_id": str(r["experiment_id"]), "status": r["status"],
                "user": r["user_id"] or tags.get("mlflow.user"),
                "start_time": _ms(r["start_time"]), "end_time": _ms(r["end_time"]),
                "lifecycle_stage": r["lifecycle_stage"], "artifact_uri": r["artifact_uri"],
                "params": params_by.get(u, {}), "metrics": metrics_by.get(u, {}), "tags": tags,
                "inputs": inputs_by.get(u, []),
            })

    def _chunked_kv(self, sql: str, uuids: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for i in range(0, len(uuids), 900):
            chunk = uuids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for k, v in self._kv(f"{sql} WHERE run_uuid IN ({marks})", chunk).items():
                out.setdefault(k, {}).update(v)
        return out

    def _metrics(self, uuids: list[str], has_latest: bool) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for i in range(0, len(uuids), 900):
            chunk = uuids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            if has_latest:
                sql = (f"SELECT run_uuid, key, value, is_nan FROM latest_metrics "
                       f"WHERE run_uuid IN ({marks})")
            else:  # latest = highest step, then latest timestamp (MLflow's own rule)
                sql = (f"SELECT run_uuid, key, value, is_nan FROM metrics m WHERE run_uuid IN "
                       f"({marks}) ORDER BY run_uuid, key, step, timestamp, value")
            for u, k, v, is_nan in self.conn.execute(sql, chunk):
                # a NaN is kept as value 0 with is_nan (MLflow's SQL store): NaN is what
                # MLflow shows, and at a later step it is the latest value
                if is_nan:
                    out.setdefault(u, {})[k] = math.nan
                elif v is not None:
                    out.setdefault(u, {})[k] = float(v)
        return out

    def _inputs(self, uuids: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        has_tags = "input_tags" in self.tables
        for i in range(0, len(uuids), 900):
            chunk = uuids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT i.input_uuid, i.destination_id, d.name, d.digest, d.dataset_source_type,"
                " d.dataset_source, d.dataset_profile FROM inputs i JOIN datasets d ON "
                "d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' AND "
                f"i.destination_type = 'RUN' AND i.destination_id IN ({marks}) "
                "ORDER BY i.destination_id, d.name, d.digest", chunk).fetchall()
            input_tags: dict[str, dict[str, str]] = {}
            if has_tags and rows:
                marks2 = ",".join("?" * len(rows))
                input_tags = self._kv(
                    f"SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN "
                    f"({marks2})", [r[0] for r in rows])
            for r in rows:
                out.setdefault(r[1], []).append({
                    "name": r[2], "digest": r[3], "source_type": r[4],
                    "source": r[5], "profile": r[6], "tags": input_tags.get(r[0], {}),
                })
        return out

    def _logged_models(self, snap: Snapshot) -> None:
        tags = self._kv("SELECT model_id, tag_key, tag_value FROM logged_model_tags") \
            if "logged_model_tags" in self.tables else {}
        for r in self.conn.execute("SELECT * FROM logged_models ORDER BY model_id"):
            snap.logged_models[r["model_id"]] = {
                "model_id": r["model_id"], "name": r["name"],
                "experiment_id": str(r["experiment_id"]), "run_uuid": r["source_run_id"],
                "artifact_location": r["artifact_location"],
                "lifecycle_stage": r["lifecycle_stage"], "tags": tags.get(r["model_id"], {}),
            }

    def _registry(self, snap: Snapshot) -> None:
        """Registered models, versions, their tags and aliases. Rows are keyed by their
        workspace and name (:func:`qualified_name`), as MLflow 3's primary keys are."""
        ws_of = {table: "workspace" if "workspace" in self.columns(table) else "NULL"
                 for table in ("registered_models", "registered_model_tags", "model_versions",
                               "model_version_tags", "registered_model_aliases")
                 if table in self.tables}
        rm_tags: dict[str, dict[str, str]] = {}
        if "registered_model_tags" in self.tables:
            for ws, name, k, v in self.conn.execute(
                    f"SELECT {ws_of['registered_model_tags']}, name, key, value "
                    "FROM registered_model_tags"):
                rm_tags.setdefault(qualified_name(ws, name), {})[k] = v
        # MLflow 3 keeps prompts (mlflow.genai.register_prompt) in the registry tables, tagged;
        # it lists none of them among registered models or versions: they are no models
        prompts = {name for name, tags in rm_tags.items()
                   if str(tags.get(PROMPT_TAG, "")).lower() == "true"}
        for r in self.conn.execute(
                f"SELECT *, {ws_of['registered_models']} AS ws_ FROM registered_models "
                "ORDER BY name, ws_"):
            name = qualified_name(r["ws_"], r["name"])
            if name in prompts:
                continue
            snap.registered_models.append({
                "name": name, "description": r["description"],
                "created_at": _ms(r["creation_time"]), "tags": rm_tags.get(name, {}),
                **_workspace_keys(r["ws_"], r["name"]),
            })
        mv_tags: dict[tuple[str, str], dict[str, str]] = {}
        if "model_version_tags" in self.tables:
            for ws, name, version, k, v in self.conn.execute(
                    f"SELECT {ws_of['model_version_tags']}, name, version, key, value "
                    "FROM model_version_tags"):
                mv_tags.setdefault((qualified_name(ws, name), str(version)), {})[k] = v
        cols = self.columns("model_versions")
        # a deleted version keeps its row, marked Deleted_Internal with its run and source
        # overwritten ('REDACTED-RUN-ID'); MLflow lists it nowhere
        for r in self.conn.execute(
                f"SELECT *, {ws_of['model_versions']} AS ws_ FROM model_versions WHERE "
                "coalesce(current_stage, '') != 'Deleted_Internal' ORDER BY name, ws_, version"):
            name = qualified_name(r["ws_"], r["name"])
            if name in prompts:
                continue
            v = str(r["version"])
            snap.versions.append({
                "name": name, "version": v, "created_at": _ms(r["creation_time"]),
                "description": r["description"], "user": r["user_id"],
                "stage": r["current_stage"], "source": r["source"], "run_uuid": r["run_id"],
                "status": r["status"],
                "storage_location": r["storage_location"] if "storage_location" in cols else None,
                "run_link": r["run_link"] if "run_link" in cols else None,
                "tags": mv_tags.get((name, v), {}),
                **_workspace_keys(r["ws_"], r["name"]),
            })
        if "registered_model_aliases" in self.tables:
            for ws, alias, version, name in self.conn.execute(
                    f"SELECT {ws_of['registered_model_aliases']}, alias, version, name "
                    "FROM registered_model_aliases"):
                name = qualified_name(ws, name)
                if name in prompts:
                    continue
                snap.aliases.setdefault(name, {})[alias] = str(version)

    def _run_commits(self, snap: Snapshot) -> None:
        """The git commit and repository URL of each version's run, from the runs' tags, and
        its artifact root (this tracking store's)."""
        run_ids = sorted({v["run_uuid"] for v in snap.versions if v["run_uuid"]})
        for i in range(0, len(run_ids), 900):
            chunk = run_ids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for u, key, value in self.conn.execute(
                    f"SELECT run_uuid, key, value FROM tags WHERE key IN ({_REPO_TAGS_SQL}, "
                    f"'mlflow.source.git.commit') AND run_uuid IN ({marks}) ORDER BY key",
                    chunk):
                if key == "mlflow.source.git.commit":
                    snap.run_commits[u] = value
                elif value:
                    snap.run_repos[u] = value  # mlflow.source.git.repoURL wins (sorted last)
            for u, uri in self.conn.execute(
                    f"SELECT run_uuid, artifact_uri FROM runs WHERE run_uuid IN ({marks})",
                    chunk):
                if uri:
                    snap.run_artifacts[u] = uri


def qualified_name(workspace: str | None, name: str) -> str:
    """A registered model's name as the harvest names it: ``<workspace>/<name>`` in a
    workspace other than MLflow's default (two workspaces may each have a ``churn``), the
    name alone in the default workspace and in a store without workspaces."""
    return name if workspace in (None, "", DEFAULT_WORKSPACE) else f"{workspace}/{name}"


def _workspace_keys(workspace: str | None, name: str) -> dict[str, str]:
    """The MLflow name and workspace of a model of a non-default workspace (kept in
    ``properties``), else nothing."""
    if workspace in (None, "", DEFAULT_WORKSPACE):
        return {}
    return {"mlflow_name": name, "workspace": str(workspace)}


class MlflowClientError(Exception):
    """The cause of an error MLflow's client raised, as ``-v`` shows it: its text redacted.
    MLflow's own exception is not chained: its message and its traceback's frames quote the
    tracking URI with its password."""

    def __init__(self, exc: BaseException, raw: str) -> None:
        super().__init__(f"{type(exc).__module__}.{type(exc).__name__}: "
                         f"{redact(str(exc), raw)}")


@contextmanager
def _mlflow_sees(uri: str, registry_uri: str | None = None) -> Iterator[None]:
    """MLFLOW_TRACKING_URI is ``uri`` (the store as resolved from the repository) while
    MLflow's client works: the client also consults it itself (for the registry, logged
    models), and would take a relative path from the working directory, or, none given,
    its default ``sqlite:///mlflow.db`` there — writing an empty store in the user's folder.
    The same holds for MLFLOW_REGISTRY_URI, which is ``registry_uri`` when given.

    MLflow 3 opens a file store (``./mlruns``) only with MLFLOW_ALLOW_FILE_STORE=true, a guard
    against writing new data there: the harvest only reads, so it is true here unless the user
    set it."""
    with ExitStack() as stack:
        stack.enter_context(env_set("MLFLOW_TRACKING_URI", uri))
        if registry_uri is not None:
            stack.enter_context(env_set("MLFLOW_REGISTRY_URI", registry_uri))
        stack.enter_context(_env_defaults({"MLFLOW_ALLOW_FILE_STORE": "true"}))
        yield


@contextmanager
def _env_defaults(values: dict[str, str]) -> Iterator[None]:
    """Each of ``values`` the user did not set is set while the block runs, then unset."""
    with ExitStack() as stack:
        for name, value in values.items():
            if name not in os.environ:
                stack.enter_context(env_set(name, value))
        yield


class ClientReader:
    """Reads any tracking store MLflow's own client can open (REST servers, file stores, SQLite
    stores of a schema version the SQLite reader does not know). Needs the ``mlflow`` extra."""

    def __init__(self, uri: str, registry_uri: str | None = None,
                 registry_error: str | None = None) -> None:
        """``registry_uri``: where the model registry is, when not where MLflow would look
        (``MLFLOW_REGISTRY_URI``, else the tracking store). ``registry_error``: the registry
        cannot be read (a registry store that does not exist), it is not asked."""
        self.registry_error = registry_error
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise ConfigError(
                f"reading the MLflow tracking store {shown_uri(uri)} needs the mlflow extra "
                "(mlflow-skinny with sqlalchemy and alembic)", hint=EXTRA_HINT) from exc
        try:
            # the registry where MLflow would look: MLFLOW_REGISTRY_URI, else the tracking
            # store's (Databricks Unity Catalog for ``databricks``, as in MLflow 3)
            with _mlflow_sees(uri, registry_uri):
                self.client = MlflowClient(tracking_uri=uri, registry_uri=registry_uri)
        except Exception as exc:  # an unknown scheme, a bad URI: MLflow's text names it raw
            raise ConfigError(f"cannot open the MLflow tracking store {shown_uri(uri)}: "
                              f"{redact(str(exc), uri)}",
                              hint="check MLFLOW_TRACKING_URI") from MlflowClientError(exc, uri)
        self.uri = uri

    def read(self, wm: dict[str, Any]) -> Snapshot:  # noqa: ARG002 - full read; writes nothing new
        from mlflow.entities import ViewType

        with _env_defaults(_FIRST_CONTACT_ENV):  # is the server there, does it take the
            first = self.client.search_experiments(view_type=ViewType.ALL)  # credentials
        with _env_defaults(_HARVEST_ENV):
            return self._read_all(first)

    def _read_all(self, first: Any) -> Snapshot:
        from mlflow.entities import ViewType

        c = self.client
        snap = Snapshot()
        for e in _paged(lambda tok: c.search_experiments(view_type=ViewType.ALL, page_token=tok),
                        first):
            ws = getattr(e, "workspace", None)
            snap.experiments[str(e.experiment_id)] = {
                "id": str(e.experiment_id), "name": qualified_name(ws, e.name),
                "lifecycle_stage": e.lifecycle_stage, "tags": dict(e.tags),
                **_workspace_keys(ws, e.name)}
        exp_ids = sorted(snap.experiments)
        if exp_ids:
            for r in _paged(lambda tok: c.search_runs(exp_ids, run_view_type=ViewType.ALL,
                                                      max_results=1000, page_token=tok)):
                info, data = r.info, r.data
                inputs = []
                for di in (r.inputs.dataset_inputs if r.inputs else []):
                    d = di.dataset
                    inputs.append({"name": d.name, "digest": d.digest,
                                   "source_type": d.source_type, "source": d.source,
                                   "profile": d.profile,
                                   "tags": {t.key: t.value for t in di.tags}})
                snap.runs.append({
                    "run_uuid": info.run_id, "name": info.run_name,
                    "experiment_id": str(info.experiment_id), "status": info.status,
                    "user": info.user_id or data.tags.get("mlflow.user"),
                    "start_time": _ms(info.start_time), "end_time": _ms(info.end_time),
                    "lifecycle_stage": info.lifecycle_stage, "artifact_uri": info.artifact_uri,
                    "params": dict(data.params), "metrics": dict(data.metrics),
                    "tags": dict(data.tags), "inputs": inputs})
            search_logged = getattr(c, "search_logged_models", None)
            if search_logged is not None:
                try:
                    for m in _paged(lambda tok: search_logged(experiment_ids=exp_ids,
                                                              page_token=tok)):
                        snap.logged_models[m.model_id] = {
                            "model_id": m.model_id, "name": m.name,
                            "experiment_id": str(m.experiment_id),
                            "run_uuid": m.source_run_id,
                            "artifact_location": m.artifact_location, "tags": dict(m.tags)}
                except Exception as exc:
                    status = getattr(exc, "get_http_status_code", lambda: None)()
                    if status != 404:  # 404: a server older than MLflow 3 (no logged models)
                        raise
        rms = []
        if self.registry_error:
            snap.watermark["registry_error"] = self.registry_error
        else:
            try:
                rms = list(_paged(lambda tok: c.search_registered_models(page_token=tok)))
            except Exception as exc:  # a tracking server without a registry
                snap.watermark["registry_error"] = str(exc)
        for rm in rms:
            # MLflow 3 entities name their workspace (the client's active one): a model of
            # another workspace than the default is <workspace>/<name>, as the SQLite reader
            # names it
            ws = getattr(rm, "workspace", None)
            name = qualified_name(ws, rm.name)
            snap.registered_models.append({
                "name": name, "description": rm.description,
                "created_at": _ms(rm.creation_timestamp), "tags": dict(rm.tags),
                **_workspace_keys(ws, rm.name)})
            snap.aliases[name] = {a: str(v) for a, v in (rm.aliases or {}).items()}
            for v in _model_versions(c, rm.name):
                snap.versions.append({
                    "name": name, "version": str(v.version), **_workspace_keys(ws, rm.name),
                    "created_at": _ms(v.creation_timestamp), "description": v.description,
                    "user": v.user_id, "stage": v.current_stage, "source": v.source,
                    "run_uuid": v.run_id, "status": v.status,
                    "storage_location": getattr(v, "storage_location", None),
                    "run_link": v.run_link,
                    "tags": dict(v.tags)})
        by_id = {r["run_uuid"]: r for r in snap.runs}
        for v in snap.versions:
            u = v["run_uuid"]
            tags = (by_id.get(u) or {}).get("tags", {})
            sha = tags.get("mlflow.source.git.commit")
            if sha:
                snap.run_commits[u] = sha
            repo = next((tags[t] for t in REPO_URL_TAGS if tags.get(t)), None)
            if repo:
                snap.run_repos[u] = repo
            if (by_id.get(u) or {}).get("artifact_uri"):
                snap.run_artifacts[u] = by_id[u]["artifact_uri"]
        snap.versions.sort(key=lambda v: (v["name"], _version_key(v["version"])))
        return snap


# MLflow retries a failed request 7 times with a doubling backoff: ~4 minutes of silence before
# "connection refused" or after a server that goes down mid-harvest starts answering 503, and
# each try may wait 120 s for a host that drops packets. Unless the user set them: the first
# request of a harvest is retried once, quickly, with a 15 s timeout (is the server there at
# all); the following ones twice (a transient 503 passes, ~3 s of backoff) with a 30 s timeout
# (a page of 1,000 runs from a busy server), so a failure mid-harvest is reported within
# seconds, or about 1.5 minutes for a server that stops answering.
_FIRST_CONTACT_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                      "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                      "MLFLOW_HTTP_REQUEST_TIMEOUT": "15"}
_HARVEST_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


def _model_versions(client: Any, name: str) -> Iterator[Any]:
    """The versions of registered model ``name``. MLflow's filter strings have no escape: a
    name with a ``'`` is quoted with ``"``; one with both is found among all versions."""
    if "'" not in name or '"' not in name:
        quote_char = '"' if "'" in name else "'"
        flt: str | None = f"name={quote_char}{name}{quote_char}"
    else:
        flt = None
    for v in _paged(lambda tok: client.search_model_versions(flt, page_token=tok)):
        if v.name == name:
            yield v


def _paged(call: Any, first: Any = None) -> Iterator[Any]:
    token = None
    while True:
        page = call(token) if first is None or token is not None else first
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _version_key(v: str) -> tuple[int, str]:
    return (int(v), v) if v.isdigit() else (1 << 62, v)


# -- the harvester --------------------------------------------------------------------------
class MlflowHarvester:
    """Harvest an MLflow tracking store (see the module docstring)."""

    name: ClassVar[str] = NAME
    # why ``lineage harvest --only NAME`` ran nothing, when :meth:`enabled` is false
    disabled_hint: ClassVar[str] = (
        "no MLflow tracking store is set (MLFLOW_TRACKING_URI, or mlflow.tracking_uri in lineage.yaml)")

    def enabled(self, ctx: HarvestContext) -> bool:
        # a registry URI alone is enabled to say it reads nothing
        return bool(ctx.config.mlflow.tracking_uri or ctx.config.mlflow.registry_uri)

    def harvest(self, ctx: HarvestContext
                ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
        uri = ctx.config.mlflow.tracking_uri
        if not uri:
            ctx.report.warn(NAME, "a model registry is named (MLFLOW_REGISTRY_URI or "
                            "mlflow.registry_uri) but no tracking store: MLflow reads a "
                            "registry with its tracking store, so nothing was read; set "
                            "MLFLOW_TRACKING_URI or mlflow.tracking_uri in lineage.yaml",
                            field="mlflow.registry_uri")
            return
        store = resolve_tracking_uri(uri, ctx.repo_path)
        registry = resolve_registry_uri(store, ctx.repo_path, ctx.config.mlflow.registry_uri)
        scope = store.key
        raw_wm = ctx.watermark(scope)
        wm: dict[str, Any] = json.loads(raw_wm) if raw_wm else {}
        snap = self._read(ctx, store, wm, registry)
        if snap is None:
            return
        registry_error = snap.watermark.get("registry_error")
        if registry_error:
            # an empty registry would read as every alias deleted: nothing is written about
            # the registry and the alias map seen last stays the watermark
            where = registry or store
            ctx.report.warn(NAME, f"the model registry of {where.uri} could not be read, its "
                            f"models, versions and aliases are left as they were: "
                            f"{_one_line(redact(str(registry_error), where.raw))}",
                            field="registry")
        yield from Emitter(ctx, store, snap, wm, stored=_harvested_before(ctx, store, raw_wm)
                           ).emit(registry=not registry_error)
        new_wm = {k: v for k, v in snap.watermark.items() if k != "registry_error"}
        new_wm["emitter"] = EMITTER_VERSION
        if not registry_error:
            new_wm["aliases"] = {canon: amap for canon, amap in sorted(
                _canonical_aliases(ctx, snap).items())}
        elif "aliases" in wm:
            new_wm["aliases"] = wm["aliases"]
        ctx.set_watermark(scope, json.dumps(new_wm, sort_keys=True))

    def _read(self, ctx: HarvestContext, store: TrackingStore, wm: dict[str, Any],
              registry: TrackingStore | None = None) -> Snapshot | None:
        # a registry store that does not exist: MLflow would create an empty one (and every
        # alias would read as deleted); nothing is written about the registry instead
        registry_missing = _unusable_registry(registry)
        registry_uri = registry.client_uri if registry is not None else None
        if store.kind == "sqlite" and (registry is None or registry.kind == "sqlite"):
            assert store.path is not None
            if not store.path.is_file():
                what = "is a folder, not a SQLite file" if store.path.is_dir() \
                    else "does not exist"
                ctx.report.warn(NAME, f"MLflow tracking store {store.path} {what}; "
                                "nothing harvested from MLflow", file=str(store.path))
                return None
            reader = SqliteReader(store.path)
            if not reader.tables:
                # an empty file: MLflow's client would create its schema in it; this only reads
                reader.close()
                ctx.report.warn(NAME, f"MLflow tracking store {store.path} is empty (no "
                                "tables); nothing harvested from MLflow", file=str(store.path))
                return None
            reg_reader = None
            try:
                version = reader.schema_version()
                reg_version = version
                if registry is not None and not registry_missing:
                    assert registry.path is not None
                    reg_reader = SqliteReader(registry.path)
                    reg_version = reg_reader.schema_version()
                if version in KNOWN_REVISIONS and reg_version in KNOWN_REVISIONS:
                    if wm.get("schema") != version or wm.get("emitter") != EMITTER_VERSION:
                        # the schema moved, or this harvester writes runs differently (dataset
                        # paths, 2026): read every run once more; unchanged facts write nothing
                        wm = {"aliases": wm.get("aliases", {})}
                    try:
                        fps = reader.fingerprints()
                        changed = self._changed_runs(ctx, store, fps) if wm else set()
                        snap = reader.read(wm, also=changed, registry=reg_reader)
                        if registry_missing:
                            snap.watermark["registry_error"] = registry_missing
                        ctx.store.cache_put_many(
                            f"{NAME}-runs:{store.key}",
                            [(u, fps[u]) for u in sorted(changed if wm else fps)])
                    except sqlite3.DatabaseError as exc:
                        raise InputError(f"cannot read the MLflow tracking store (schema "
                                         f"{version}): {exc}", file=str(store.path),
                                         hint=f"{EXTRA_HINT} and report this schema") from exc
                    snap.watermark["schema"] = version
                    return snap
            finally:
                reader.close()
                if reg_reader is not None:
                    reg_reader.close()
            try:
                client = ClientReader(store.client_uri, registry_uri, registry_missing)
            except ConfigError as exc:
                shown = version or "none (no alembic_version table)"
                unknown, at = (version, store.path) if version not in KNOWN_REVISIONS \
                    else (reg_version, registry.path if registry else store.path)
                shown = unknown or "none (no alembic_version table)"
                raise InputError(
                    f"MLflow tracking store has schema version {shown}, which this version "
                    "of lineage cannot read without MLflow", file=str(at),
                    hint=f"{EXTRA_HINT} to read it through MLflow's own client, "
                         "or upgrade lineage") from exc
            with _mlflow_sees(store.client_uri, registry_uri):
                return self._client_read(client, store, wm)
        if store.path is not None and not store.path.exists():
            ctx.report.warn(NAME, f"MLflow tracking store {store.path} does not exist; "
                            "nothing harvested from MLflow", file=str(store.path))
            return None
        if store.path is not None and store.path.is_file():
            # a file store is a folder; a file named without its scheme is most often a
            # SQLite store (MLflow would answer "Not a directory: …/.trash")
            with store.path.open("rb") as f:
                sqlite = f.read(16) == b"SQLite format 3\0"
            raise ConfigError(
                f"MLflow tracking URI {store.uri} names a file, and a file store is a folder",
                hint=f"a SQLite tracking store is written sqlite:///{store.uri.removeprefix('file://')}"
                     if sqlite else "name the file store's folder (./mlruns)")
        with _mlflow_sees(store.client_uri, registry_uri):
            return self._client_read(
                ClientReader(store.client_uri, registry_uri, registry_missing), store, wm)

    @staticmethod
    def _changed_runs(ctx: HarvestContext, store: TrackingStore,
                      fps: dict[str, str]) -> set[str]:
        """Runs whose row, tags or params changed since the last harvest (e.g. a tag set on a
        finished run, which no timestamp shows)."""
        before = ctx.store.cache_get_many(f"{NAME}-runs:{store.key}", fps)
        return {u for u, f in fps.items() if before.get(u) != f}

    @staticmethod
    def _client_read(client: ClientReader, store: TrackingStore,
                     wm: dict[str, Any]) -> Snapshot:
        try:
            return client.read(wm)
        except LineageError:
            raise
        except Exception as exc:  # the client's own errors: unreachable server, auth, schema
            text = _one_line(redact(str(exc), store.raw or store.client_uri))
            hint = ("the server refused the credentials: set MLFLOW_TRACKING_USERNAME and "
                    "MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN"
                    if _AUTH_FAILED.search(text) else
                    "check MLFLOW_TRACKING_URI, that the server is up and that the installed "
                    "mlflow reads this store")
            # a tracking server (or a plugin's remote store) that cannot be used is exit 3, as
            # an unreachable push target is; a local store mlflow cannot read is exit 2
            error = ConfigError if store.path is not None else ServerError
            raise error(f"cannot read the MLflow tracking store {store.uri}: {text}",
                        hint=hint) from MlflowClientError(exc, store.raw or store.client_uri)


def _harvested_before(ctx: HarvestContext, store: TrackingStore, raw_wm: str | None) -> bool:
    """Whether the store may hold runs of ``store``: it has its watermark, or (a watermark
    lost, edited outside lineage) a run node of it. A first harvest skips the comparison of
    each run with the store."""
    if raw_wm is not None:
        return True
    prefix = ids.run_id(NAME, f"{store.key}:")  # ends with ':', the next character is ';'
    return ctx.store.conn.execute("SELECT 1 FROM nodes WHERE id >= ? AND id < ? LIMIT 1",
                                  (prefix, prefix[:-1] + ";")).fetchone() is not None


def _unusable_registry(registry: TrackingStore | None) -> str | None:
    """Why the registry MLFLOW_REGISTRY_URI names cannot be read, or None. A store that does
    not exist or a SQLite file without the registry's tables would read as an empty registry
    (every alias deleted), and MLflow's client would create an empty one: it is not asked."""
    if registry is None or registry.path is None:
        return None
    if not registry.path.exists():
        return f"MLflow registry store {registry.path} does not exist"
    if registry.kind == "sqlite":
        reader = SqliteReader(registry.path)
        try:
            if "registered_models" not in reader.tables:
                return (f"MLflow registry store {registry.path} has no model registry tables "
                        "(an empty file?)")
        finally:
            reader.close()
    return None


_AUTH_FAILED = re.compile(r"error code 40[13]\b|\b(UNAUTHENTICATED|PERMISSION_DENIED)\b")


def _one_line(text: str, limit: int = 400) -> str:
    """An MLflow client error on one line: the HTML page a proxy answered with (MLflow puts
    the whole response body in its message) reduced to its text, whitespace collapsed."""
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _canonical_aliases(ctx: HarvestContext, snap: Snapshot) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, amap in snap.aliases.items():
        out.setdefault(ctx.config.model_aliases.get(name, name), {}).update(amap)
    return out


def normalize_hash(value: str) -> str:
    """``3f2a…`` or ``md5:3f2a…`` → ``md5:3f2a…`` (other ``kind:…`` hashes kept as they are)."""
    v = value.strip()
    if ":" in v:
        return v.lower() if v.lower().startswith("md5:") else v
    return f"md5:{v.lower()}" if len(v.removesuffix(".dir")) == 32 else v


def repo_relative(source: str | None, repo_root: Path) -> str | None:
    """A dataset or artifact source as a path relative to the repository, if it is one."""
    if not source:
        return None
    s = source.strip()
    parts = urlsplit(s)
    if parts.scheme == "file":
        s = unquote(parts.path)
    elif parts.scheme and len(parts.scheme) > 1:  # s3://, https://, models:/, runs:/ …
        return None
    p = Path(s)
    full = Path(os.path.abspath(p if p.is_absolute() else Path(os.path.abspath(repo_root)) / p))
    # the file itself is not resolved: one DVC checked out as a symlink is the path named
    text = relative_to_repo(repo_root, full)
    return None if text in (None, "", ".") else text


def _local_path(location: str, repo_root: Path) -> Path | None:
    """The file a local location names (``/x``, ``file:///x``, ``file://host/x``, a path
    relative to the repository), not resolved; None for a URL of another scheme (``s3://``,
    ``models:/``, ``runs:/`` …)."""
    text = location.strip()
    parts = urlsplit(text)
    if parts.scheme == "file":
        text = unquote(parts.path)
    elif parts.scheme and len(parts.scheme) > 1:
        return None
    p = Path(text)
    return Path(os.path.abspath(p if p.is_absolute() else Path(os.path.abspath(repo_root)) / p))


def _local_file(location: str, repo_root: Path) -> Path:
    return _local_path(location, repo_root) or Path(os.devnull, "none")


def _absolute_local(location: str) -> bool:
    """Whether ``location`` is an absolute local path (``/x`` or a ``file:`` URI)."""
    text = location.strip()
    if text.startswith("file:"):
        return unquote(urlsplit(text).path).startswith("/")
    return text.startswith("/")


def artifact_store_hash(artifact: str, root: str | None, repo_root: Path) -> str | None:
    """The content hash of a model version's artifact when it is a file (or folder) of a local
    artifact store that is readable here — inside ``root``, its run's artifact location or
    its logged model's, which MLflow writes once (``mlruns/1/<run>/artifacts/model/…``,
    ``file://…``) —, hashed as DVC hashes (:mod:`lineage.hashing`: the md5 of a file, a
    folder's ``.dir`` md5), so that a byte-identical file DVC tracks (a GTO artifact) joins it.
    None for a remote store, a file not here, or one outside ``root``: a file of the work tree
    changes after the version is registered, and its hash now is not the version's."""
    from lineage.hashing import cached_compute

    path = _local_path(artifact, repo_root)
    base = _local_path(root, repo_root) if root else None
    if path is None or base is None or not (path == base or base in path.parents):
        return None
    try:
        if not path.exists():
            return None
        key = relative_to_repo(repo_root, path) or path.as_posix()
        return cached_compute(repo_root, key, path).hash
    except OSError:  # not readable here: no hash, as for a remote store
        return None


def dataset_location(source_type: str | None, source: Any) -> str | None:
    """Where an MLflow dataset's data is, from its ``dataset_source`` JSON, credentials and
    secret parameters removed: ``uri`` (local files and the artifact-store sources: ``s3``,
    ``gs``, ``hdfs`` …), ``url`` (``http``), ``path`` (``delta_table``, ``spark``,
    ``uc_volume``, ``hugging_face``). None when the source names no place (``code``, a Spark
    SQL query, a table name)."""
    if not isinstance(source, dict):
        return None
    keys = ("url", "uri", "path") if source_type == "http" else ("uri", "path", "url")
    found = next((source[k] for k in keys if isinstance(source.get(k), str) and source[k]),
                 None)
    return redact(found.strip()) if found else None


def _is_file_source(source_type: str | None, location: str) -> bool:
    """Whether ``location`` may be a file of the repository. A Hugging Face ``path`` is a Hub
    dataset (``stanfordnlp/imdb``) unless it is written as a local path."""
    if source_type == "hugging_face":
        return location.startswith(("/", "./", "../", "file:"))
    return True


_LOGGED_MODEL_ID = re.compile(r"m-[0-9a-f]{32}")


def _metrics(values: dict[str, float]) -> dict[str, float | str]:
    """Latest metric values as a SQL store keeps them: NaN by name ("NaN", as a recorded run
    keeps it: :func:`lineage.records.metric_json`; JSON has no NaN, and a diverged loss is a
    fact, not a missing metric), ±infinity the largest float (a file store's client gives
    inf, a SQL store the float it clamped it to)."""
    return {k: "NaN" if v != v else v if math.isfinite(v)
            else math.copysign(sys.float_info.max, v) for k, v in values.items()}


class Emitter:
    """Turns a :class:`Snapshot` into nodes and edges."""

    def __init__(self, ctx: HarvestContext, store: TrackingStore, snap: Snapshot,
                 wm: dict[str, Any], stored: bool = True) -> None:
        """``stored``: the store may hold runs of this tracking store (it has been harvested
        before): a run read again is compared with what the store holds of it."""
        self.ctx, self.store, self.snap, self.wm = ctx, store, snap, wm
        self.stored = stored
        self.aliases_of = ctx.config.model_aliases
        self._unlinked: set[str] = set()  # data nodes a withdrawn INPUT edge linked to a run
        self._stored_nodes: dict[str, Node] = {}  # what the store holds of the runs read
        self._stored_edges: dict[str, list[Edge]] = {}  # (see _prefetch)
        # files of another checkout (see _checkout_path)
        self._checkouts: CheckoutPaths | None = None

    def run_node_id(self, run_uuid: str) -> str:
        return ids.run_id(NAME, f"{self.store.key}:{run_uuid}")

    def emit(self, registry: bool = True
             ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
        runs = self.snap.runs
        logged_by_run: dict[str, list[dict[str, Any]]] = {}
        for m in self.snap.logged_models.values():
            if m.get("run_uuid"):
                logged_by_run.setdefault(m["run_uuid"], []).append(m)
        for i, run in enumerate(runs, 1):
            if self.stored and i % _PREFETCH == 1:  # what the store holds of the next runs
                self._prefetch([self.run_node_id(r["run_uuid"])
                                for r in runs[i - 1:i - 1 + _PREFETCH]])
            try:
                yield from self._run(run, logged_by_run.get(run["run_uuid"], []))
            except (ValueError, TypeError) as exc:
                self.ctx.report.warn(NAME, f"run {run.get('run_uuid')} skipped: {exc}",
                                     field="runs")
            self.ctx.progress("mlflow runs", i, len(runs))
        # last, when every run's facts are written: a dataset no run reads any more
        yield from (NodeWithdrawal(did, unlinked=True) for did in sorted(self._unlinked))
        if registry:
            yield from self._registry()

    def _run(self, run: dict[str, Any], logged: list[dict[str, Any]]
             ) -> Iterator[Node | Edge | Withdrawal]:
        """The run as MLflow has it now; what an earlier harvest wrote of it that MLflow no
        longer says (:meth:`_withdrawn`) leaves the store."""
        facts = list(self._run_facts(run, logged))
        if self.stored:
            yield from self._withdrawn(self.run_node_id(run["run_uuid"]), facts)
        else:
            yield from facts

    def _prefetch(self, rids: list[str]) -> None:
        """The stored nodes of runs ``rids`` and the edges into them, in two queries (one
        each per run cost a fifth of a harvest that reads every run again)."""
        store = self.ctx.store
        marks = ",".join("?" * len(rids))
        try:
            self._stored_nodes = {
                nid: Node.trusted(NodeKind.RUN, nid, loads(attrs))
                for nid, attrs in store.conn.execute(
                    f"SELECT id, attrs FROM nodes WHERE id IN ({marks})", rids)}
            self._stored_edges = {}
            for src, dst, kind, attrs in store.conn.execute(
                    f"SELECT source, target, kind, attrs FROM edges WHERE target IN ({marks})",
                    rids):
                self._stored_edges.setdefault(dst, []).append(Edge.model_construct(
                    kind=EdgeKind(kind), source=src, target=dst, attrs=loads(attrs)))
        except ValueError:  # a row changed outside lineage: the store's reads name it
            for rid in rids:
                store.get_node(rid)
                store.edges_of(rid)
            raise

    def _withdrawn(self, rid: str, facts: list[Node | Edge]
                   ) -> Iterator[Node | Edge | Withdrawal]:
        """``facts`` of run ``rid``, its node with the attributes MLflow no longer gives
        written empty (a deleted tag, the commit of a deleted ``mlflow.source.git.commit``,
        the last param), then the withdrawal of each edge this harvester gave the run that
        MLflow no longer states: the CODE edge of a commit tag deleted or changed, the
        UPSTREAM_RUN edge of a ``mlflow.parentRunId`` deleted, the INPUT edge of a dataset the
        run no longer has. Edges the joins derived (``via``, ``abbrev``) are theirs to
        withdraw; those other sources give (records) are left."""
        node = facts[0]
        assert isinstance(node, Node)
        old = self._stored_nodes.get(rid)
        attrs = _with_cleared(old, node.attrs, _RUN_ATTRS)
        if attrs is not node.attrs:
            facts[0] = Node.trusted(NodeKind.RUN, rid, attrs)
        yield from facts
        if old is None:
            return
        stated = {e.key for e in facts if isinstance(e, Edge)}
        runs = ids.run_id(NAME, f"{self.store.key}:")
        datasets = ids.data_id(f"mlflow:{self.store.key}", "", None).removesuffix("@unversioned")
        for e in sorted(self._stored_edges.get(rid, []), key=lambda e: e.key):
            if e.key in stated:
                continue
            if (e.kind == EdgeKind.CODE and "abbrev" not in e.attrs
                    and e.source.startswith("commit:")) or \
                    (e.kind == EdgeKind.UPSTREAM_RUN and e.attrs.get("relation") == "parent"
                     and e.source.startswith(runs)) or \
                    (e.kind == EdgeKind.INPUT and "via" not in e.attrs
                     and e.source.startswith(datasets)):
                yield Withdrawal(e.source, e.target, str(e.kind))
                if e.kind == EdgeKind.INPUT:
                    self._unlinked.add(e.source)

    def _run_facts(self, run: dict[str, Any], logged: list[dict[str, Any]]
                   ) -> Iterator[Node | Edge]:
        u = run["run_uuid"]
        rid = self.run_node_id(u)
        # tag and param values may hold URLs with tokens (a CI's remote URL, a database
        # connection string logged as a param): never stored
        tags = {k: redact(str(v)) for k, v in run["tags"].items() if k not in _SKIP_TAGS}
        params = {k: redact(str(v)) for k, v in run["params"].items()}
        sha = (tags.get("mlflow.source.git.commit") or "").strip().lower() or None
        exp = self.snap.experiments.get(run["experiment_id"], {})
        # an artifact location may be a URL with a password (an HTTP artifact store)
        props = {"artifact_uri": redact(run["artifact_uri"]) if run.get("artifact_uri") else None,
                 "lifecycle_stage": run.get("lifecycle_stage")}
        if exp.get("workspace"):  # MLflow 3, another workspace than the default
            props["workspace"] = exp["workspace"]
        repo_url = tags.get("mlflow.source.git.repoURL")
        if repo_url:  # a shared tracking store holds runs of other repositories too
            props["repository"] = ids.repository_id(ids.strip_credentials(repo_url))
        for m in sorted(logged, key=lambda m: m["model_id"]):
            props[f"logged_model:{m['model_id']}"] = m["name"] or ""
        metrics = _metrics(run["metrics"])
        node = Node.make(
            NodeKind.RUN, rid, source=NAME, run_id=u, name=run.get("name"),
            experiment=exp.get("name"), experiment_id=run["experiment_id"],
            status=run.get("status"), user=run.get("user"), start_time=run.get("start_time"),
            end_time=run.get("end_time"), params=params, metrics=metrics,
            tags=tags, commit=sha, tracking_uri=self.store.uri,
            properties={k: str(v) for k, v in props.items() if v},
        )
        if metrics:  # NaN by name (the attribute model's JSON would make it null)
            node = Node(kind=node.kind, id=node.id, attrs={**node.attrs, "metrics": metrics})
        yield node
        if sha:
            yield Edge.make(EdgeKind.CODE, ids.commit_id(sha), rid)
        parent = tags.get("mlflow.parentRunId")
        if parent:
            yield Edge.make(EdgeKind.UPSTREAM_RUN, self.run_node_id(parent), rid,
                            relation="parent")
        repo_url = next((tags[t] for t in REPO_URL_TAGS if tags.get(t)), None)
        for d in run["inputs"]:
            yield from self._dataset(rid, d, repo_url)

    def _checkout_path(self, what: str, location: str, repo_url: str | None,
                       warn: bool = True) -> str | None:
        """The repository path the absolute path ``location`` (a dataset's or a version's
        artifact, of ``what``) is when it is a file of another checkout of this repository
        (a CI clone's, a laptop's): :class:`connectors.harvesters.openlineage.CheckoutPaths`,
        as for OpenLineage, with the run's ``mlflow.source.git.repoURL`` naming the
        repository. None when it is not, with a warning when that changes what the joins can
        do (see :meth:`_foreign_path`)."""
        from connectors.harvesters.openlineage import CheckoutPaths

        if self._checkouts is None:  # the store is read once a harvest, when a run needs it
            self._checkouts = CheckoutPaths(self.ctx)
        rel = self._checkouts.resolve([repo_url], location)
        if rel is None and warn:
            self._foreign_path(what, location, repo_url)
        return rel

    def _foreign_path(self, what: str, location: str, repo_url: str | None) -> None:
        """Warn that ``location``, an absolute path that is no file of this repository nor
        of this machine, is not joined where it would be on the machine that wrote it: when
        the run names this repository (but no ending of the path is a path DVC tracks), or
        names none while an ending of it is one. A run of another repository, or a path that
        exists here (a shared drive), says nothing."""
        assert self._checkouts is not None
        if _local_file(location, self.ctx.repo_path).exists():
            return
        ending = self._checkouts.ending(location)
        if self._checkouts.names_this_repository([repo_url]):
            why = "no ending of it is a path DVC tracks in this repository"
        elif not repo_url and ending is not None:
            why = (f"its run names no repository (no mlflow.source.git.repoURL tag: the clone "
                   f"it ran in had no remote), so it is not taken for {ending}")
        else:
            return
        self.ctx.report.warn(
            NAME, f"{what} names {location}, which is no file of this repository nor of this "
            f"machine ({why}): it is joined to no DVC version here, as it may be on the machine "
            "that wrote it; log paths relative to the repository (source=\"data/train.csv\"), "
            "from a clone with this repository's remote, of files DVC tracks",
            field="source")

    def _dataset(self, rid: str, d: dict[str, Any],
                 repo_url: str | None = None) -> Iterator[Node | Edge]:
        digest = d.get("digest") or None
        stype = d.get("source_type") or None
        location = None
        try:
            location = dataset_location(stype, json.loads(d["source"]) if d.get("source")
                                        else {})
        except (ValueError, TypeError):
            self.ctx.report.warn(NAME, f"dataset {d.get('name')!r}: source is not JSON",
                                 field="datasets.dataset_source")
        rel = repo_relative(location, self.ctx.repo_path) \
            if location and _is_file_source(stype, location) else None
        if rel is None and location and _is_file_source(stype, location) and \
                _absolute_local(location):  # a file of another checkout (a CI clone's)?
            rel = self._checkout_path(f"{rid}: dataset {d['name']!r}", location, repo_url)
        # the id stays the name's: MLflow's own identity of a dataset, and what stores hold
        did = ids.data_id(f"mlflow:{self.store.key}", d["name"],
                          f"mlflow-digest:{digest}" if digest else None)
        props = {"name": d["name"], "source_type": stype, "source": location}
        try:
            profile = json.loads(d["profile"]) if d.get("profile") else {}
            if isinstance(profile, dict) and "num_rows" in profile:
                props["num_rows"] = str(profile["num_rows"])
        except (ValueError, TypeError):
            pass
        yield Node.make(NodeKind.DATA, did, path=rel or location or d["name"],
                        hash=f"mlflow-digest:{digest}" if digest else None,
                        hash_kind="mlflow-digest" if digest else None,
                        properties={k: str(v) for k, v in props.items() if v})
        yield Edge.make(EdgeKind.INPUT, did, rid, pin="weak" if digest else "none",
                        digest=digest, path=rel, uri=location,
                        context=(d.get("tags") or {}).get("mlflow.data.context"))

    def _registry(self) -> Iterator[Node | Edge]:
        snap, ctx = self.snap, self.ctx
        for rm in snap.registered_models:
            canon = self.aliases_of.get(rm["name"], rm["name"])
            gid = ids.model_group_id(canon)
            stored = ctx.store.get_node(gid)
            if stored is not None and stored.attrs.get("registry") not in (None, NAME,
                                                                            RUN_SOURCE):
                # another registry (GTO) describes this group: its description, tags and
                # properties stand; two writers taking turns would rewrite it every harvest.
                # A group only a run record made (registry "lineage") is described here
                continue
            props = {"mlflow_name": rm["name"]} if canon != rm["name"] else {}
            if rm.get("workspace"):  # the name as MLflow spells it, in its workspace
                props = {"mlflow_name": rm["mlflow_name"], "workspace": rm["workspace"]}
            made = Node.make(NodeKind.MODEL_GROUP, gid, name=canon,
                             registry=NAME, description=rm.get("description"),
                             tags=rm.get("tags") or {}, properties=props)
            yield Node.trusted(NodeKind.MODEL_GROUP, gid,
                               _with_cleared(stored, made.attrs, _GROUP_ATTRS))
        current = _canonical_aliases(ctx, snap)
        previous: dict[str, dict[str, str]] | None = self.wm.get("aliases")
        moves = self._alias_moves(previous, current)
        seen_at = utc_iso(now_utc())
        versions_by_group: dict[str, list[str]] = {}
        emitted: set[str] = set()
        for v in snap.versions:
            canon = self.aliases_of.get(v["name"], v["name"])
            mid = ids.model_id(canon, v["version"])
            versions_by_group.setdefault(canon, []).append(v["version"])
            emitted.add(mid)
            yield from self._version(v, canon, mid, current.get(canon, {}),
                                     moves.get(mid, {}), seen_at)
        # versions no longer in the registry (deleted) that an alias left
        for mid, mv in sorted(moves.items()):
            if mid not in emitted:
                group, version = mid.removeprefix("model:").rsplit("@", 1)
                yield self._alias_only(group, version, mid, current.get(group, {}), mv, seen_at)
        for canon, versions in versions_by_group.items():
            ordered = sorted(set(versions), key=_version_key)
            for a, b in zip(ordered, ordered[1:], strict=False):
                yield Edge.make(EdgeKind.PREVIOUS_VERSION, ids.model_id(canon, a),
                                ids.model_id(canon, b))

    @staticmethod
    def _alias_moves(previous: dict[str, dict[str, str]] | None,
                     current: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """model id → {alias: "from -> to"} for every alias that moved since ``previous``."""
        if previous is None:  # first harvest: where aliases point now is no move
            return {}
        out: dict[str, dict[str, str]] = {}
        for group in sorted(set(previous) | set(current)):
            before, now = previous.get(group, {}), current.get(group, {})
            for alias in sorted(set(before) | set(now)):
                old, new = before.get(alias), now.get(alias)
                if old == new:
                    continue
                target = new if new is not None else old
                assert target is not None
                out.setdefault(ids.model_id(group, target), {})[alias] = \
                    f"{old or 'none'} -> {new or 'none'}"
        return out

    def _props_with_history(self, mid: str, moved: dict[str, str], seen_at: str | None,
                            fresh: dict[str, str] | None) -> dict[str, str]:
        """``properties`` is written whole: keep the alias history already in the store (and
        every other stored property when ``fresh`` is None)."""
        old = self.ctx.store.get_node(mid)
        stored = (old.attrs.get("properties") or {}) if old else {}
        props = {k: v for k, v in stored.items()
                 if fresh is None or k.startswith("alias_moved:")}
        props.update(fresh or {})
        for alias, change in moved.items():
            props[f"alias_moved:{alias}@{seen_at}"] = change
        return props

    def _version(self, v: dict[str, Any], canon: str, mid: str, amap: dict[str, str],
                 moved: dict[str, str], seen_at: str | None) -> Iterator[Node | Edge]:
        source = redact(v["source"]) if v.get("source") else None
        run_uuid = v.get("run_uuid")
        # models:/m-<hex> is a logged model (MLflow 3); models:/<name>/<version> is a version
        # copied from another (copy_model_version), whose run is already the version's
        logged_id = source[len("models:/"):].split("/", 1)[0] \
            if source and source.startswith("models:/") else None
        if logged_id and logged_id not in self.snap.logged_models and \
                not _LOGGED_MODEL_ID.fullmatch(logged_id):
            logged_id = None
        if not run_uuid and logged_id and logged_id in self.snap.logged_models:
            run_uuid = self.snap.logged_models[logged_id].get("run_uuid")
        if not run_uuid and source and source.startswith("runs:/"):
            run_uuid = source[len("runs:/"):].split("/", 1)[0] or None
        rid = self.run_node_id(run_uuid) if run_uuid else None
        logged = self.snap.logged_models.get(logged_id or "") or {}
        # where the files are: MLflow 3 keeps them with the logged model; 2.x in the source
        artifact_uri = logged.get("artifact_location") or v.get("storage_location") or source
        artifact_uri = redact(artifact_uri) if artifact_uri else None
        tags = dict(v.get("tags") or {})
        artifact_hash = next((normalize_hash(tags[t]) for t in ARTIFACT_HASH_TAGS if tags.get(t)),
                             None)
        stored = self.ctx.store.get_node(mid)
        hashed = None
        if artifact_hash is None and artifact_uri:  # a local artifact store's file, here
            hashed = artifact_hash = artifact_store_hash(
                artifact_uri, logged.get("artifact_location") or
                self.snap.run_artifacts.get(run_uuid or ""), self.ctx.repo_path)
        source_path = repo_relative(artifact_uri, self.ctx.repo_path)
        if source_path is None and artifact_uri and _absolute_local(artifact_uri):
            # a file of another checkout (the laptop's, when harvested in CI); told when the
            # version is new or its artifact moved, not at every harvest (the registry is read
            # whole each time)
            source_path = self._checkout_path(
                f"model version {mid[len('model:'):]}", artifact_uri,
                self.snap.run_repos.get(run_uuid or ""),
                warn=stored is None or stored.attrs.get("artifact_uri") != artifact_uri)
        fresh = {"source": source, "mlflow_name": v.get("mlflow_name") or (
                     v["name"] if canon != v["name"] else None),
                 "workspace": v.get("workspace"), "logged_model": logged_id,
                 "run_link": redact(v["run_link"]) if v.get("run_link") else None,
                 "source_path": source_path,
                 "artifact_hash_by": "file" if hashed else None}
        props = self._props_with_history(
            mid, moved, seen_at, {k: str(x) for k, x in fresh.items() if x})
        stage = v.get("stage")
        node = Node.make(
            NodeKind.MODEL, mid, group=canon, version=v["version"], registry=NAME,
            artifact_uri=artifact_uri, artifact_hash=artifact_hash,
            commit=(self.snap.run_commits.get(run_uuid or "") or "").lower() or None,
            run_id=rid, created_at=v.get("created_at"), created_by=v.get("user") or None,
            stage=stage if stage and stage != "None" else None, status=v.get("status"),
            tags=tags, description=v.get("description"), properties=props,
        )
        attrs = _with_cleared(stored, dict(node.attrs), _VERSION_ATTRS)
        attrs["aliases"] = sorted(a for a, ver in amap.items() if ver == v["version"])
        yield Node.trusted(NodeKind.MODEL, mid, attrs)  # aliases: [] clears a lost alias
        yield Edge.make(EdgeKind.VERSION_OF, mid, ids.model_group_id(canon))
        if rid:
            yield Edge.make(EdgeKind.PRODUCED, rid, mid)

    def _alias_only(self, group: str, version: str, mid: str, amap: dict[str, str],
                    moved: dict[str, str], seen_at: str | None) -> Node:
        node = Node.make(NodeKind.MODEL, mid, group=group, version=version, registry=NAME,
                         properties=self._props_with_history(mid, moved, seen_at, None))
        attrs = dict(node.attrs)
        attrs["aliases"] = sorted(a for a, ver in amap.items() if ver == version)
        return Node.trusted(NodeKind.MODEL, mid, attrs)


__all__ = ["KNOWN_REVISIONS", "ClientReader", "MlflowHarvester", "Snapshot", "SqliteReader",
           "TrackingStore", "artifact_store_hash", "dataset_location", "normalize_hash", "qualified_name", "redact",
           "repo_relative",
           "resolve_tracking_uri", "shown_uri"]
