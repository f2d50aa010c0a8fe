"""Record a training run from Python: ``from connectors.tracking import track_run``.

::

    from connectors.tracking import track_run

    with track_run(repo=".", name="train", inputs=["data/train.csv"]) as run:
        run.log_params({"lr": 0.1, "depth": 6})
        model = fit(...)
        save(model, "models/model.pkl")
        run.log_metrics({"auc": 0.91})
        run.log_model("models/model.pkl", name="churn", version="v1.1.0")

On entry it captures the git commit (``git rev-parse HEAD``), whether tracked files have
uncommitted changes (``git status --porcelain --untracked-files=no``: the code that trains is
the committed code or not; ``dvc.lock``, ``.dvc`` files and the pipeline's own outputs, which
``dvc repro`` rewrites while it runs, do not count), the repository identity, and the content hash of each input — the
hash DVC recorded in ``dvc.lock`` / ``.dvc`` files when it still matches the file, else the
md5 computed as DVC does (:mod:`lineage.hashing`). On exit it hashes the models it was told
about and records the run (status FINISHED, ``sys.exit(0)`` included; FAILED when the block
raised — ``sys.exit(1)`` too — or a logged model was not written; KILLED on Ctrl-C or SIGTERM) in the event log and the graph, through the same mapping as ``lineage record run``.
A run that did not finish claims no model: its logged models are left out (no ``produced``
edge, no model version holding its bytes).
The store is created when the repository has none yet. An exception from the training code
is never hidden by a problem recording it.

A job that also logs to MLflow is one execution seen by two sources: the run records the
MLflow run it is (``properties.mlflow_run_id``, how it knew in ``mlflow_run_by`` and the
tracking URI, without credentials, in ``mlflow_tracking_uri``), and the harvest's ``joins``
declares the two runs the same (``same_as``; docs/runs.md). It is known from MLflow's own
state, never guessed: the run active when the block begins (``active``: the block runs inside
``mlflow.start_run()``), else ``MLFLOW_RUN_ID`` then (``env``: ``mlflow run``, or a platform
that created the run), else the last MLflow run the process started inside the block
(``started``: the training code's ``mlflow.start_run()`` or autologging). MLflow is asked only
when the training code imported it: lineage never imports it.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import signal
import subprocess
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, cast

from connectors.harvesters.gitscan import (
    named_after_boundary,
    repository_identity,
    shallow_identity_message,
)
from lineage.errors import InputError, NotARepositoryError
from lineage.hashing import ci_commit_note, compute, content_hash, repo_path
from lineage.ids import repo_key
from lineage.records import (
    ENDED,
    EmitResult,
    RunRecord,
    StrPath,
    default_version,
    emit,
    is_url,
    run_stage,
    scrub_credentials,
    validate_data,
)
from lineage.serialize import now_utc


def _warn(message: str) -> None:
    """A warning pointing at the training script's line, not at this module."""
    skip = {os.path.abspath(__file__), os.path.abspath(contextlib.__file__)}
    frame = sys._getframe(0)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename) in skip:
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _git(root: Path, *args: str) -> str | None:
    try:
        # replace refs (git replace, grafts) are this clone's private view: HEAD is read as
        # the commit it is everywhere, as the git harvester reads it
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                             check=False, timeout=60,
                             env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"})
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@dataclass(frozen=True)
class GitState:
    root: Path
    commit: str | None
    dirty: bool | None
    repository: str | None


def git_state(path: StrPath = ".") -> GitState:
    """Commit, dirty flag and repository id of the work tree containing ``path``."""
    top = _git(Path(path), "rev-parse", "--show-toplevel")
    if top is None:
        raise NotARepositoryError(f"{Path(path).resolve()} is not inside a git work tree",
                                  hint="train inside the repository (git init to start one)")
    root = Path(top)
    commit = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    if status and commit:
        # which tracked files differ from HEAD (staged or not), by name; a rename is both its
        # names (detected, it would name only the new one: code moved into an output folder)
        changed = _git(root, "diff", "--no-renames", "--name-only", "-z", "HEAD") or ""
        outputs = _pipeline_outputs(root)
        status = "\0".join(p for p in changed.split("\0")
                            if p and not _written_by_dvc(p, outputs))
    # the id the git harvester gives: the identity remote (origin, else the first remote),
    # else the first root commit of HEAD's history — the one the store remembers, which a
    # clone made shallow since (the root no longer in it) still has
    repo = _repository(root)
    # without a commit the code is in no commit at all: neither clean nor dirty against it
    dirty = None if status is None or commit is None else bool(status)
    return GitState(root, commit, dirty, repo)


def _repository(root: Path) -> str | None:
    """The repository id the next harvest gives (:func:`repository_identity` with the store,
    when the repository has one: it remembers the root commit that names a repository without
    a remote); nothing is written to the store."""
    from lineage import api
    from lineage.errors import LineageError

    try:
        store = api.open_store(root, read_only=True)
    except LineageError:  # no store yet (or none readable): the harvest has nothing either
        return repository_identity(root)
    try:
        return repository_identity(root, store)
    finally:
        store.close()


def _pipeline_outputs(root: Path) -> set[str]:
    """Paths a ``dvc repro`` rewrites itself: outs, metrics and plots of every stage, as the
    committed ``dvc.yaml`` files name them and their ``dvc.lock`` records them — the paths of
    stages DVC fills in from templates (``foreach``, ``matrix``, ``${…}`` from ``vars``),
    resolved. Both are read from ``HEAD``, not from the work tree: a ``dvc.yaml`` not
    committed, or ``dvc.lock`` (whose changes are not counted as code changes), naming the
    training script as an output must not hide its change."""
    listed = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD") or ""
    pipelines = [p for p in listed.split("\0") if p.rsplit("/", 1)[-1] == "dvc.yaml"]
    paths: set[str] = set()
    for rel in pipelines:
        base = PurePosixPath(rel).parent
        for name in ("dvc.yaml", "dvc.lock"):
            doc = _yaml_of(_git(root, "show", f"HEAD:{(base / name).as_posix()}"))
            for stage in (doc.get("stages") or {}).values():
                if not isinstance(stage, dict):
                    continue
                for key in ("outs", "metrics", "plots"):
                    outs = stage.get(key) or []
                    for out in outs if isinstance(outs, list) else []:
                        # dvc.yaml: a path, or {path: options}; dvc.lock: {path: …, md5: …}
                        path = (out.get("path", next(iter(out), None))
                                if isinstance(out, dict) else out)
                        if isinstance(path, str) and "${" not in path:
                            paths.add(posixpath.normpath((base / path).as_posix()))
    return paths


def _yaml_of(text: str | None) -> dict[str, Any]:
    import yaml

    from lineage.hashing import dvc_yaml_loader

    try:  # dates read as the strings they are, as DVC reads them (2026-02-30 is no error)
        doc = yaml.load(text, Loader=dvc_yaml_loader()) if text else None
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _written_by_dvc(rel: str, outputs: set[str]) -> bool:
    """Changes DVC makes while the pipeline runs do not make the code 'dirty'.

    Inside ``dvc repro`` the earlier stages have already rewritten ``dvc.lock`` and their
    outputs (e.g. a ``metrics.json`` or a plots folder kept in git with ``cache: false``)
    and added its outputs to ``.gitignore`` files; counting them would flag every pipeline
    run as trained on uncommitted code.
    """
    name = rel.rsplit("/", 1)[-1]
    if name in ("dvc.lock", ".gitignore") or name.endswith(".dvc"):
        return True
    # an output, or a file in an output folder kept in git (``cache: false`` plots)
    parts = rel.split("/")
    return any("/".join(parts[:i]) in outputs for i in range(len(parts), 0, -1))


@dataclass
class TrackedRun:
    """The run inside ``with track_run(...) as run``: log params, metrics, inputs, models."""

    root: Path
    run_id: str
    name: str | None = None
    experiment: str | None = None
    git: GitState | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    models: list[tuple[str, str | None, str]] = field(default_factory=list)
    start_time: Any = None
    user: str | None = None
    # where the run's start and end times are read (track_run's ``clock``)
    clock: Callable[[], datetime] = now_utc
    # free-form facts of the run (the MLflow run it is: ``mlflow_run_id`` …)
    properties: dict[str, str] = field(default_factory=dict)
    result: EmitResult | None = None

    @property
    def node_id(self) -> str:
        return f"run:lineage:{self.run_id}"

    def log_param(self, key: str, value: Any) -> None:
        """A parameter; a value that is no JSON (an estimator, a path, a numpy scalar) is
        recorded as its number (``.item()``) or its text, as MLflow records params."""
        self.params[str(key)] = _plain(value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        for k, v in params.items():
            self.log_param(k, v)

    def log_metric(self, key: str, value: float) -> None:
        """A metric: a number (a numpy scalar's ``.item()`` too)."""
        item = getattr(value, "item", None)
        if not isinstance(value, int | float | str) and callable(item):
            value = item()
        self.metrics[str(key)] = float(value)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        for k, v in metrics.items():
            self.log_metric(k, v)

    def set_tag(self, key: str, value: str) -> None:
        self.tags[key] = str(value)

    def log_input(self, path: StrPath) -> dict[str, Any]:
        """Pin an input by content hash now (DVC's recorded md5, or computed as DVC does).
        A URL (a remote dataset) is recorded as it is, without the credentials it holds, and
        without a content pin (it is not fetched)."""
        text = os.fspath(path)
        if is_url(text):
            entry: dict[str, Any] = {"path": scrub_credentials(text)}
            removed = ("; credentials removed from it (user:password@, token …): they are not "
                       "recorded; if the secret was real, rotate it") \
                if entry["path"] != text else ""
            _warn(f"lineage: input {entry['path']} is a URL: recorded without a content "
                  f"pin{removed}")
            return self._add_input(entry)
        rel, inside = repo_path(self.root, text)
        if not inside:
            _warn(f"lineage: input {rel} is outside the repository {self.root}: recorded by "
                  "its absolute path and content hash, it cannot be joined to DVC data")
        h = content_hash(self.root, rel)
        if h is None:
            _warn(f"lineage: input {rel} is not in the work tree nor tracked by DVC: "
                  "recorded without a content pin")
        entry = {"path": rel, "hash": h.hash if h else None, "size": h.size if h else None,
                 "nfiles": h.nfiles if h else None}
        return self._add_input(entry)

    def _add_input(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``entry`` logged once: the same path logged again is the same input, unless its
        content changed since (the run read two contents under one path: refused now, not
        when the run ends)."""
        prev = next((i for i in self.inputs if i["path"] == entry["path"]), None)
        if prev is None:
            self.inputs.append(entry)
            return entry
        if prev.get("hash") != entry.get("hash"):
            raise InputError(f"input {entry['path']} is already logged with content "
                             f"{prev.get('hash') or 'unknown'}; it is {entry.get('hash')} now",
                             file="track_run", field="inputs",
                             hint="log an input once, before the run changes it; data the run "
                                  "writes is an output (save it under another path)")
        return prev

    def log_model(self, path: StrPath, *, name: str, version: str | None = None) -> None:
        """A model the run writes; hashed when the run ends (it may not exist yet). A name or
        version the record would refuse is an :class:`InputError` now, not after the run."""
        if is_url(os.fspath(path)):
            raise InputError(f"log_model({scrub_credentials(os.fspath(path))!r}): a model is a "
                             "file the run writes, not a URL", file="track_run", field="path",
                             hint="log the path the run saves the model to, e.g. "
                                  "run.log_model('models/model.pkl', name='churn')")
        rel = repo_path(self.root, os.fspath(path))[0]
        same = next((p for n, v, p in self.models
                     if version is not None and (n, v) == (name, version) and p != rel), None)
        if same is not None:  # one version has one set of bytes
            raise InputError(f"model version {name}@{version} is already logged from {same}; "
                             f"{rel} would give it other bytes", file="track_run",
                             field="version", hint="log each file as its own version, e.g. "
                             f"version='{version}-{Path(rel).stem}'")
        models = [*self.models, (name, version, rel)]
        validate_data({"kind": "run", "models": [
            {"name": n, "version": v or "md5-unknown", "path": p} for n, v, p in models]},
            file="track_run", line=None)
        self.models = models

    def missing_models(self) -> list[str]:
        """Models logged but not on disk."""
        return [rel for _name, _version, rel in self.models if not (self.root / rel).exists()]

    def to_record(self, status: str) -> RunRecord:
        from lineage.api import actor
        from lineage.serialize import utc_iso

        models = []
        # only a run that finished produced its models: a failed or killed one claims none
        # (a version it claimed would hold its bytes, and a retry's would be refused)
        for name, version, rel in self.models if status == "FINISHED" else ():
            full = self.root / rel
            if not full.exists():
                continue
            h = compute(full).hash
            models.append({"name": name, "version": version or default_version(h), "path": rel,
                           "hash": h})
        data = {
            "kind": "run", "id": self.run_id, "name": self.name, "experiment": self.experiment,
            "repository": repo_key(self.git.repository) if self.git and self.git.repository
            else None,
            "commit": self.git.commit if self.git else None,
            "dirty": self.git.dirty if self.git else None, "status": status,
            "user": self.user or actor(), "start_time": utc_iso(self.start_time),
            # a run that has not ended has no end time
            "end_time": utc_iso(self.clock()) if run_stage(status) == ENDED else None,
            "params": self.params, "metrics": self.metrics, "tags": self.tags,
            "inputs": [{k: v for k, v in i.items() if v is not None} for i in self.inputs],
            "models": models, "properties": self.properties,
        }
        clean = {k: v for k, v in data.items() if v is not None and v != {} and v != []}
        # a RunRecord: validate_data builds the model of the data's kind ("run")
        return cast(RunRecord, validate_data(clean, file="track_run", line=None))


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: numbers, text, booleans, null, lists and mappings as
    they are; a numpy-like scalar as its ``.item()``; anything else as its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(v) for v in items]
    item = getattr(value, "item", None)
    if callable(item):
        try:
            got = item()
        except (TypeError, ValueError):  # an array of several values: its text
            return str(value)
        if got is None or isinstance(got, bool | int | float | str):
            return got
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return str(value)


# how the run knew the MLflow run it is (``properties.mlflow_run_by``)
MLFLOW_ACTIVE, MLFLOW_ENV, MLFLOW_STARTED = "active", "env", "started"


def _mlflow() -> Any | None:
    """MLflow, when the training code imported it: only then can this process have an MLflow
    run (importing it here would cost seconds, and hundreds of MB, to learn nothing)."""
    return sys.modules.get("mlflow")


def _mlflow_uri(mlflow: Any | None) -> str | None:
    """The tracking URI the process logs to, without credentials."""
    from lineage.ids import strip_credentials

    uri: Any = None
    if mlflow is not None:
        with contextlib.suppress(Exception):
            uri = mlflow.get_tracking_uri()
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    return strip_credentials(str(uri)) if uri else None


def _mlflow_evidence(run_id: Any, by: str, mlflow: Any | None) -> dict[str, str]:
    if not isinstance(run_id, str) or not run_id.strip():
        return {}
    out = {"mlflow_run_id": run_id.strip(), "mlflow_run_by": by}
    uri = _mlflow_uri(mlflow)
    if uri:
        out["mlflow_tracking_uri"] = uri
    return out


def _mlflow_at_start() -> dict[str, str]:
    """The MLflow run the block begins in: the active run (``active``), else the one
    ``MLFLOW_RUN_ID`` names (``env``; MLflow's ``start_run`` resumes it and clears the
    variable, so it is read now). Empty when there is none."""
    mlflow = _mlflow()
    if mlflow is not None:
        active = None
        with contextlib.suppress(Exception):  # MLflow's trouble never stops the training
            active = mlflow.active_run()
        if active is not None:
            return _mlflow_evidence(getattr(active.info, "run_id", None), MLFLOW_ACTIVE,
                                    mlflow)
    return _mlflow_evidence(os.environ.get("MLFLOW_RUN_ID"), MLFLOW_ENV, mlflow)


def _mlflow_started_since(start: Any) -> dict[str, str]:
    """The MLflow run the process started last since ``start`` (the block's beginning): the
    active one, else the last that ended (``mlflow.last_active_run``), when it started then —
    not one resumed, nor one of before the block. Empty when there is none."""
    mlflow = _mlflow()
    if mlflow is None:
        return {}
    found = None
    with contextlib.suppress(Exception):  # an unreachable server: no evidence, no failure
        found = mlflow.active_run() or mlflow.last_active_run()
    info = getattr(found, "info", None)
    began = getattr(info, "start_time", None)
    if not isinstance(began, int) or isinstance(began, bool):
        return {}
    # MLflow's start is whole milliseconds of the same clock: one started inside the block
    # reads at most 1 ms before the block's start
    if began < int(start.timestamp() * 1000) - 1:
        return {}
    return _mlflow_evidence(getattr(info, "run_id", None), MLFLOW_STARTED, mlflow)


class RunTerminated(SystemExit):
    """SIGTERM arrived inside ``track_run`` (CI cancel or timeout): the run is recorded as
    KILLED, then the process exits with 143 (128 + SIGTERM), as the default action would."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextlib.contextmanager
def _sigterm_as_exception(killed: list[bool]) -> Iterator[None]:
    """For the block only, turn SIGTERM into :class:`RunTerminated` (or call the handler the
    program installed, after noting the signal); the previous handler is restored after.
    Signal handlers belong to the main thread: elsewhere nothing is installed."""
    previous = signal.getsignal(signal.SIGTERM)
    if (threading.current_thread() is not threading.main_thread()
            or previous in (signal.SIG_IGN, None)):
        yield
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        killed.append(True)
        if callable(previous):
            previous(signum, frame)
            return
        raise RunTerminated

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _normal_exit(code: object) -> bool:
    """``sys.exit(code)`` ends the process with status 0: ``None`` or ``0`` (``False``)."""
    return code is None or (isinstance(code, int) and code == 0)


def _not_recorded_yet(root: Path, run: TrackedRun) -> None:
    """A run that ended is immutable: an id the store holds for one (a scheduler's retry that
    keeps its run id) would be refused when the run ends, after the training; refuse it now.
    A run recorded when it started (RUNNING, SCHEDULED: ``lineage record run --status
    RUNNING``) is this one: the block ends it, with the start and user it was recorded with —
    unless what it is (its commit, dirty flag, inputs) differs, refused now too."""

    from lineage import api
    from lineage.errors import StoreNotInitialized
    from lineage.records import recorded_conflict, repository_of, to_facts

    try:
        store = api.open_store(root)
    except StoreNotInitialized:
        return
    try:
        old = store.get_node(run.node_id)
        if old is not None and run_stage(old.attrs.get("status")) < ENDED:
            start, user = old.attrs.get("start_time"), old.attrs.get("user")
            if isinstance(start, str):
                run.start_time = datetime.fromisoformat(start)
            run.user = user if isinstance(user, str) else None
            record = run.to_record("RUNNING")
            facts = to_facts(record, repository=repository_of(root, store), node_id=run.node_id)
            error = recorded_conflict(store, record, run.node_id, facts)
            if error is not None:
                raise error
            return
    finally:
        store.close()
    if old is not None:
        raise InputError(
            f"run {run.node_id} is already recorded ({old.attrs.get('status') or 'no status'}"
            f", started {old.attrs.get('start_time') or 'at an unknown time'})",
            field="run_id", hint="a run that ended is immutable: give this attempt its own "
            f"run_id (e.g. run_id='{run.run_id}-2'), or none for a new uuid")


@contextlib.contextmanager
def track_run(repo: StrPath = ".", *, name: str | None = None,
              inputs: Iterable[StrPath] = (), experiment: str | None = None,
              params: Mapping[str, Any] | None = None, run_id: str | None = None,
              write_file: bool = False,
              clock: Callable[[], datetime] | None = None) -> Iterator[TrackedRun]:
    """Wrap training work; the run is recorded when the block ends: FINISHED (also on
    ``sys.exit(0)`` or ``sys.exit()``, a script's normal end), FAILED when the block raised
    (``sys.exit`` with another status included) or a logged model was not written
    (InputError, after recording it), KILLED on Ctrl-C or SIGTERM (then the process exits
    with 143).

    Relative paths (``inputs``, ``log_input``, ``log_model``) are read as ``open()`` reads
    them, from the current directory, and recorded relative to the repository.
    ``write_file=True`` also writes the run as ``governance/run/<id>.yaml``.

    ``clock`` gives the run's start and end times (an aware ``datetime``; default: the
    system's clock, in UTC). Only a job that replays training of the past passes its own — a
    backfill, or the quickstart demo, whose history is dated January 2026: the audit holds a
    run that started after its model version was registered to be no run that produced it.
    """
    from lineage import api

    state = git_state(repo)
    note = ci_commit_note(state.commit)
    if note:
        _warn(f"lineage: {note}")
    if named_after_boundary(state.root, state.repository):  # the run's data ids keep it
        _warn(f"lineage: {shallow_identity_message(str(state.repository))} (this run's data "
              "ids keep the name it has now)")
    began = now_utc()  # (an MLflow run started in the block is one started after this)
    run = TrackedRun(root=state.root, run_id=run_id or uuid.uuid4().hex, name=name,
                     experiment=experiment, git=state,
                     start_time=clock() if clock is not None else began,
                     clock=clock or now_utc)
    run.properties.update(_mlflow_at_start())
    run.log_params(params or {})
    for p in inputs:
        run.log_input(p)
    run.to_record("RUNNING")  # a name, experiment or param the record refuses: before training
    if run_id is not None:
        _not_recorded_yet(state.root, run)
    status = "FINISHED"
    missing: list[str] = []
    killed: list[bool] = []
    ended: SystemExit | None = None
    try:
        try:
            with _sigterm_as_exception(killed):
                yield run
        except SystemExit as exc:
            if killed or not _normal_exit(exc.code):
                raise
            ended = exc  # sys.exit(0) / sys.exit(): the script's normal end
        missing = run.missing_models()
        if missing:
            status = "FAILED"
            run.tags["failure_reason"] = (f"logged model {', '.join(missing)} was not written")
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "KILLED" if killed else "FAILED"
        raise
    finally:
        if "mlflow_run_id" not in run.properties:  # none when it began: one started in it?
            run.properties.update(_mlflow_started_since(began))
        try:
            api.init(state.root)  # idempotent: creates the store on first use
            run.result = emit(run.to_record(status), state.root, write_file=write_file)
        except Exception as exc:
            # the training's own error is what the user must see: never hidden by ours
            if status == "FINISHED":
                raise
            _warn(f"lineage could not record the {status} run: {exc}")
    if missing:
        raise InputError(f"the run logged model {missing[0]} but did not write it",
                         file=missing[0], hint="save the model before the run ends; the run "
                         f"is recorded as FAILED ({run.node_id})")
    if ended is not None:
        raise ended


__all__ = ["GitState", "RunTerminated", "TrackedRun", "git_state", "track_run"]
