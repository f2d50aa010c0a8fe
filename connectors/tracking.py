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
about and records the run (status FINISHED, or FAILED when the block raised; KILLED on
Ctrl-C) in the event log and the graph, through the same mapping as ``lineage record run``.
The store is created when the repository has none yet. An exception from the training code
is never hidden by a problem recording it.
"""

from __future__ import annotations

import subprocess
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage.errors import InputError, LineageError, NotARepositoryError
from lineage.hashing import compute, content_hash
from lineage.ids import repo_key, repository_id, strip_credentials
from lineage.records import EmitResult, RunRecord, default_version, emit, validate_data
from lineage.serialize import now_utc


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                             check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@dataclass(frozen=True)
class GitState:
    root: Path
    commit: str | None
    dirty: bool | None
    repository: str | None


def git_state(path: str | Path = ".") -> GitState:
    """Commit, dirty flag and repository id of the work tree containing ``path``."""
    top = _git(Path(path), "rev-parse", "--show-toplevel")
    if top is None:
        raise NotARepositoryError(f"{Path(path).resolve()} is not inside a git work tree",
                                  hint="train inside the repository (git init to start one)")
    root = Path(top)
    commit = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    if status and commit:
        # which tracked files differ from HEAD (staged or not), by name
        changed = _git(root, "diff", "--name-only", "-z", "HEAD") or ""
        outputs = _pipeline_outputs(root)
        status = "\0".join(p for p in changed.split("\0")
                            if p and not _written_by_dvc(p, outputs))
    url = _git(root, "remote", "get-url", "origin")
    repo = None
    if url:
        repo = repository_id(strip_credentials(url))
    elif commit:
        roots = _git(root, "rev-list", "--max-parents=0", "HEAD")
        if roots:
            repo = repository_id(None, sorted(roots.split())[0])
    return GitState(root, commit, None if status is None else bool(status), repo)


def _pipeline_outputs(root: Path) -> set[str]:
    """Paths a ``dvc repro`` rewrites itself: outs, metrics and plots of every stage."""
    import yaml

    paths: set[str] = set()
    for dvc_yaml in [root / "dvc.yaml", *root.glob("*/**/dvc.yaml")]:
        try:
            doc = yaml.safe_load(dvc_yaml.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        base = dvc_yaml.parent.relative_to(root)
        for stage in (doc.get("stages") or {}).values():
            if not isinstance(stage, dict):
                continue
            for key in ("outs", "metrics", "plots"):
                for out in stage.get(key) or []:
                    name = next(iter(out)) if isinstance(out, dict) else out
                    if isinstance(name, str):
                        paths.add((base / name).as_posix())
    return paths


def _written_by_dvc(rel: str, outputs: set[str]) -> bool:
    """Changes DVC makes while the pipeline runs do not make the code 'dirty'.

    Inside ``dvc repro`` the earlier stages have already rewritten ``dvc.lock`` and their
    outputs (e.g. a ``metrics.json`` kept in git with ``cache: false``) and added its outputs
    to ``.gitignore`` files; counting them would
    flag every pipeline run as trained on uncommitted code.
    """
    name = rel.rsplit("/", 1)[-1]
    if name in ("dvc.lock", ".gitignore") or name.endswith(".dvc"):
        return True
    return rel in outputs


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
    result: EmitResult | None = None

    @property
    def node_id(self) -> str:
        return f"run:lineage:{self.run_id}"

    def log_param(self, key: str, value: Any) -> None:
        self.params[key] = value

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.params.update(params)

    def log_metric(self, key: str, value: float) -> None:
        self.metrics[key] = float(value)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        for k, v in metrics.items():
            self.log_metric(k, v)

    def set_tag(self, key: str, value: str) -> None:
        self.tags[key] = str(value)

    def log_input(self, path: str | Path) -> dict[str, Any]:
        """Pin an input by content hash now (DVC's recorded md5, or computed as DVC does)."""
        rel = self._rel(path)
        h = content_hash(self.root, rel)
        if h is None:
            warnings.warn(f"lineage: input {rel} is not in the work tree nor tracked by DVC: "
                          "recorded without a content pin", stacklevel=2)
        entry = {"path": rel, "hash": h.hash if h else None, "size": h.size if h else None,
                 "nfiles": h.nfiles if h else None}
        self.inputs.append(entry)
        return entry

    def log_model(self, path: str | Path, *, name: str, version: str | None = None) -> None:
        """A model the run writes; hashed when the run ends (it may not exist yet)."""
        self.models.append((name, version, self._rel(path)))

    def _rel(self, path: str | Path) -> str:
        p = Path(path)
        if not p.is_absolute():
            p = (self.root / p) if (self.root / p).exists() or not Path(path).exists() \
                else Path.cwd() / p
        try:
            return p.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def to_record(self, status: str) -> RunRecord:
        from lineage.api import actor
        from lineage.serialize import utc_iso

        models = []
        for name, version, rel in self.models:
            full = self.root / rel
            if not full.exists():
                if status == "FINISHED":
                    raise InputError(f"the run logged model {rel} but did not write it",
                                     file=rel, hint="save the model before the run ends")
                continue
            h = compute(full).hash
            models.append({"name": name, "version": version or default_version(h), "path": rel,
                           "hash": h})
        data = {
            "kind": "run", "id": self.run_id, "name": self.name, "experiment": self.experiment,
            "repository": repo_key(self.git.repository) if self.git and self.git.repository
            else None,
            "commit": self.git.commit if self.git else None,
            "dirty": self.git.dirty if self.git else None, "status": status, "user": actor(),
            "start_time": utc_iso(self.start_time), "end_time": utc_iso(now_utc()),
            "params": self.params, "metrics": self.metrics, "tags": self.tags,
            "inputs": [{k: v for k, v in i.items() if v is not None} for i in self.inputs],
            "models": models,
        }
        clean = {k: v for k, v in data.items() if v is not None and v != {} and v != []}
        return validate_data(clean, file="track_run", line=None)  # type: ignore[return-value]


@contextmanager
def track_run(repo: str | Path = ".", *, name: str | None = None,
              inputs: Iterable[str | Path] = (), experiment: str | None = None,
              params: Mapping[str, Any] | None = None, run_id: str | None = None,
              write_file: bool = False) -> Iterator[TrackedRun]:
    """Wrap training work; the run is recorded when the block ends (FINISHED / FAILED).

    ``write_file=True`` also writes the run as ``governance/run/<id>.yaml``.
    """
    from lineage import api

    state = git_state(repo)
    run = TrackedRun(root=state.root, run_id=run_id or uuid.uuid4().hex, name=name,
                     experiment=experiment, git=state, params=dict(params or {}),
                     start_time=now_utc())
    for p in inputs:
        run.log_input(p)
    status = "FINISHED"
    try:
        yield run
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "FAILED"
        raise
    finally:
        try:
            api.init(state.root)  # idempotent: creates the store on first use
            run.result = emit(run.to_record(status), state.root, write_file=write_file)
        except LineageError as exc:
            if status == "FINISHED":
                raise
            warnings.warn(f"lineage could not record the {status} run: {exc}", stacklevel=3)


__all__ = ["GitState", "TrackedRun", "git_state", "track_run"]
