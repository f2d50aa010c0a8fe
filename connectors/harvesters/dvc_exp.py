"""DVC experiments harvester: experiments that ``dvc exp`` keeps as git refs are training runs.

``dvc exp run`` commits each experiment on top of its baseline commit and keeps it under
``refs/exps/<baseline[:2]>/<baseline[2:]>/<name>``. Each such ref is a run
``run:dvc-exp:<experiment commit sha>`` with:

* its name, author and time (the experiment commit's);
* params: ``params.yaml`` of the experiment commit, flattened (``train.lr``), plus the other
  params files its ``dvc.lock`` records (``other.yaml:key``) and the files a ``dvc.yaml``'s
  top-level ``params:`` names, whole (DVCLive's ``dvclive/params.yaml:lr``); read as DVC reads
  them (:func:`_load`: YAML 1.2, as the DVC harvester reads a stage's params);
* metrics: the metrics files named in every ``dvc.yaml`` of the commit (top-level ``metrics:``
  and stage ``metrics:`` outs; paths relative to that ``dvc.yaml``'s folder, a stage's to its
  ``wdir`` as the DVC harvester resolves it, :func:`.dvc.stage_base`) read from the
  experiment commit (JSON, TOML or YAML), numeric leaves flattened;
* a CODE edge from the baseline commit (``baseline: true``; ``dirty: true`` when the experiment
  commit changed files other than the ones DVC writes: ``dvc.lock``, params and metrics files,
  outs and the files in out folders kept in git, top-level plots, ``.gitignore``, ``.dvc/``, a
  ``dvc.yaml`` whose stages and vars are the baseline's), and
  ``properties.exp_commit`` / ``properties.baseline``; no ``dirty`` (unknown, a warning) when
  the baseline commit is not in the clone, and the experiment is read again next time;
* INPUT edges from its ``dvc.lock`` deps and OUTPUT edges to its outs (DVC data nodes
  ``data:<repo key>:<path>@<hash>``: ``md5:…``, a cloud or http one's ``etag:…`` or
  ``checksum:…``, a ``ds://`` dataset's ``dataset:…`` (its lock: source and what it was locked
  at); ``@unversioned`` for an entry without a hash), the identity and description the DVC
  harvester gives them (:func:`.dvc.data_attrs`), an input pinned as it pins a stage's
  (:func:`.dvc.input_pin`: ``strong`` by its hash, ``weak`` by a DataChain dataset's version,
  else ``none``);
  ``dvc.lock`` and ``dvc.yaml`` are read as the DVC harvester reads them
  (:func:`.dvc.parse_blob`): an odd value (``size: big``, an unquoted ``schema: 2.0``,
  ``params: {params.yaml: 5}``, ``deps: 5`` or ``wdir: 5`` in a stage) is a warning naming the
  experiment (its ``experiment``) and its commit, file, line and field, and is left out; a
  file whose lineage itself is odd (an ``md5`` that is no digest, ``outs:`` a mapping) or that
  no parser reads is skipped for that experiment, with a warning (a ``dvc.yaml`` skipped: its
  metrics and top-level params are not read, its lock's paths are named from its folder, and
  a change to it is a code change). Each problem is told once per harvest, and not when the
  DVC harvester told it in the same harvest (it walks the experiments' commits too, runs
  first, and names the experiment at its commit as well); that one warning names how many
  and which experiments of the harvest have it (:func:`_name_sharing`); a later harvest that
  reads another experiment with the same problem tells it again, there: that run lacks what
  the problem left out;
* for an experiment that replaced an earlier one under its ref (`dvc exp run -f -n e1`), the
  earlier run marked (``properties.lifecycle_stage: deleted``, ``replaced_by``: DVC knows only
  the new one), as the MLflow harvester marks a run deleted in its store;
* for an experiment read again, the withdrawal of each INPUT, OUTPUT or CODE edge an earlier
  harvest gave it that this read does not (its data named under the repository's former
  identity), and of a data node this harvester made that no edge links any more.

It reads git directly (``git for-each-ref refs/exps`` and one ``git cat-file --batch``), not
through DVC's API. Incremental: the refs seen last time are a watermark; an unchanged ref is
not read again, unless the repository's identity (:func:`.gitscan.scan_refs`, the one the git
and DVC harvesters use) moved since, or this harvester reads more (``READER_VERSION``).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.harvesters.dvc import (
    SKIPPED,
    data_attrs,
    experiment_ref,
    input_pin,
    parse_blob,
    parse_document,
    resolve,
    stage_base,
    told_problems,
)
from connectors.harvesters.dvcyaml import load
from connectors.harvesters.gitscan import scan_refs
from lineage import ids
from lineage.errors import LineageError
from lineage.hashing import defines_stage
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.store import NodeWithdrawal, Withdrawal

if TYPE_CHECKING:
    from lineage.plugins import HarvestContext
    from lineage.report import RunReport

NAME = "dvc-exp"
# what this harvester reads of an experiment: a new value reads every experiment once more,
# so a store harvested before gets the new facts. 2: top-level params files, DVCLive's files
# not dirty, .inf/.nan params as text, NaN/Infinity metrics as MLflow keeps them, TOML,
# projects in folders with non-ASCII names. 3: a NaN metric kept as "NaN" (it was left out).
# 4: a stage's files named from its wdir (they were named from the dvc.yaml's folder).
# 5: the templated metrics files of foreach and matrix stages (they were not read).
# 6: a metrics folder is the metrics files in it (its git tree was read as YAML). 7: a
# stage's Python params file changed beyond the values dvc.lock records is a code change.
# 8: dvc.lock read as the DVC harvester reads it: odd values left out, with a warning.
# 9: deps and outs of every hash kind (etag, checksum; they were left out), described as the
# DVC harvester describes them (DVC 2's md5 is md5-dos2unix). 10: dvc.yaml read and checked as
# the DVC harvester reads it, a templated wdir resolved as it resolves one. 11: deps and outs
# without a hash (a ds:// dataset dependency) linked as <path>@unversioned, an input pinned
# none, as the DVC harvester links a stage to them (they were left out). 12: a ds:// dataset
# dependency is the data version its dataset lock pins (source + rev_lock / version / file
# hashes), as the DVC harvester now links it (the edge from <path>@unversioned is withdrawn)
# 13: params and metrics files read as DVC reads them (YAML 1.2: ``1e-4`` a number, ``on`` a
# word; the reader by the suffix in any case), and an experiment run again under its name
# (`dvc exp run -f`) marks the run it replaced. 14: only dvc.lock entries of stages its
# dvc.yaml defines (a renamed or deleted stage's leftover entry, which DVC ignores, gave the
# run the old stage's deps and outs)
READER_VERSION = "14"
_SKIPPED_EXP = "; file skipped for this experiment"  # added to a file's error when told


_NAMED = 5  # experiments a shared problem's warning names (then how many more)


def _name_sharing(report: RunReport,
                  sharing: dict[tuple[str | None, str | None, str], list[str]]) -> None:
    """A problem of an experiment's DVC file is told once per harvest, at the first place it
    is met (the DVC harvester's commit, or the first experiment); the experiments of one
    baseline carry the same lock entries, so the run of each lacks what it left out. The
    warning that tells it (either harvester's) is worded again to name how many and which
    experiments read in this harvest have it, unless it names the one experiment already."""
    for i, w in enumerate(report.warnings):
        if w.source not in ("dvc", NAME):
            continue
        key = (w.file, w.field, w.message.removesuffix(SKIPPED).removesuffix(_SKIPPED_EXP))
        names = sharing.get(key)
        if not names or set(names) <= set((w.experiment or "").split(", ")):
            continue  # (the experiments of its commit: named already)
        listed = ", ".join(names[:_NAMED]) + (
            f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
        has = (f"experiment {listed} has it too" if len(names) == 1
               else f"{len(names)} experiments have it: {listed}")
        report.warnings[i] = dataclasses.replace(w, message=f"{w.message} ({has})")
        del sharing[key]  # (one warning per problem)


def _git_env() -> dict[str, str]:
    """Replace refs (``git replace``, grafts) are a clone's private view: a sha names one
    object everywhere, as the git harvester reads it."""
    return {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"}


def _git(repo: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                             encoding="utf-8", errors="replace", check=True, env=_git_env())
    except FileNotFoundError as exc:
        raise LineageError("git is not installed", hint="install git") from exc
    except subprocess.CalledProcessError as exc:
        raise LineageError(f"git {' '.join(args)} failed in {repo}: {exc.stderr.strip()}",
                           hint="is this a git repository?") from exc
    return out.stdout


def exp_refs(repo: Path) -> list[tuple[str, str, str, str]]:
    """(ref name, experiment sha, baseline sha, experiment name) of every experiment ref."""
    out = []
    for line in _git(repo, "for-each-ref", "--format=%(objectname) %(refname)",
                     "refs/exps").splitlines():
        sha, ref = line.split(" ", 1)
        exp = experiment_ref(ref)  # (refs/exps/exec/… and stashes are DVC's bookkeeping)
        if exp is not None:
            out.append((ref, sha, *exp))
    return sorted(out)


class CatFile:
    """One ``git cat-file --batch`` process answering ``<rev>:<path>`` look-ups."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=_git_env())

    def get(self, spec: str) -> bytes | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(spec.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().rstrip("\n")
        if header.endswith(" missing") or header.endswith(" ambiguous") or not header:
            return None
        size = int(header.rsplit(" ", 1)[1])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after the object
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


# the files of a metrics folder DVC reads (and this harvester can)
METRICS_SUFFIXES = (".json", ".yaml", ".yml", ".toml")
_FLATTEN_BUDGET = 200_000  # keys of one params or metrics file; YAML aliases can multiply them


def flatten(d: Any, prefix: str = "", budget: list[int] | None = None) -> dict[str, Any]:
    """Nested mappings as ``a.b.c`` keys. ValueError past 200,000 keys: a file of nested YAML
    aliases names billions of values in a few hundred bytes."""
    if budget is None:
        budget = [_FLATTEN_BUDGET]
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        budget[0] -= len(d)
        if budget[0] < 0:
            raise ValueError("too many values (YAML aliases expanding?)")
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            out.update(flatten(v, key, budget))
    elif prefix:
        out[prefix] = d
    return out


def _param(v: Any) -> Any:
    """A param value as it can be stored: ``.inf`` and ``.nan`` as text (JSON has neither and
    would store a null), as the DVC harvester keeps stage params."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, list):
        return [_param(x) for x in v]
    return v


def _metric(v: Any) -> float | str | None:
    """A metric value as the MLflow harvester keeps one: NaN by name ("NaN", as records keep
    it), ±infinity the largest float (what MLflow's SQL store writes), anything not a number
    (a bool, a string) left out."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if v != v:
        return "NaN"
    return float(v) if math.isfinite(v) else math.copysign(sys.float_info.max, v)


def _load(data: bytes | None, path: str) -> Any:
    """A params or metrics file as DVC reads it, chosen by its suffix in any case as DVC
    chooses (``dvc.utils.serialize.LOADERS``): JSON, TOML, else YAML — YAML 1.2, as DVC's
    ruamel.yaml reads it (``1e-4`` a number, ``on`` and ``off`` words, ``017`` seventeen),
    through the reader the DVC harvester reads a stage's params with
    (:func:`.dvcyaml.load`), so a run and the stage of its commit agree. None for a file that
    is not there, or a Python params file (its values are in dvc.lock when a stage uses
    it). ValueError for a file DVC could not read either."""
    suffix = os.path.splitext(path)[1].lower()
    if data is None or suffix == ".py":
        return None
    text = data.decode("utf-8", errors="replace")
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".toml":
        return tomllib.loads(text)
    return load(text)[0]


def _top_level_paths(dvc_yaml: Any, section: str) -> list[str]:
    """The paths a dvc.yaml's top-level ``params:`` or ``plots:`` names (a plot given with
    its options is a one-key mapping)."""
    if not isinstance(dvc_yaml, dict):
        return []
    out: list[str] = []
    for item in dvc_yaml.get(section) or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)
    return out


def _pipeline(dvc_yaml: Any) -> Any:
    """What of a dvc.yaml runs code: its stages and the variables they use (the top-level
    ``params``, ``metrics``, ``plots`` and ``artifacts`` only say what to show)."""
    if not isinstance(dvc_yaml, dict):
        return None
    return {k: dvc_yaml.get(k) for k in ("stages", "vars")}


def _wdir(defs: dict[str, Any], stage: str) -> str:
    """The ``wdir`` of ``stage`` (a dvc.lock name: ``train``, or ``train@key`` of a foreach or
    matrix stage) relative to its dvc.yaml's folder, "" when none, as the DVC harvester reads
    it from the dvc.yaml's summary ``defs`` (:func:`.dvc.stage_base`: a templated one resolved
    for that stage, else kept as written)."""
    return stage_base("", defs, stage)[0]


def _stage_body(stage: Any) -> dict[str, Any] | None:
    """What a dvc.yaml stage runs: a ``foreach`` stage's ``do``, else the stage (a ``matrix``
    stage's body is the stage itself)."""
    if not isinstance(stage, dict):
        return None
    do = stage.get("do")
    return do if "foreach" in stage and isinstance(do, dict) else stage


_TEMPLATE = re.compile(r"\$\{[^}]*\}")


def _metric_paths(dvc_yaml: Any, defs: dict[str, Any], lock_stages: Any = None) -> list[str]:
    """The metrics files a dvc.yaml names, relative to its folder: the top-level ones, and
    each stage's metrics outs (relative to the stage's ``wdir``; ``defs``: the stages of the
    dvc.yaml's summary). A templated one of a ``foreach`` or ``matrix`` stage
    (``eval/${item}/m.json``) is each out of the stage's expansions in ``dvc.lock``
    (``lock_stages``: ``ev@a``, ``ev@b``) that it matches."""
    paths: list[str] = []
    if not isinstance(dvc_yaml, dict):
        return paths
    for item in dvc_yaml.get("metrics") or []:
        if isinstance(item, str):
            paths.append(item)
    stages = dvc_yaml.get("stages") or {}
    expanded: dict[str, list[tuple[str, str]]] = {}  # stage → (lock name, out path)
    for lname, lstage in (lock_stages.items() if isinstance(lock_stages, dict) else []):
        if isinstance(lstage, dict) and "@" in str(lname):
            expanded.setdefault(str(lname).split("@", 1)[0], []).extend(
                (str(lname), str(o["path"])) for o in lstage.get("outs") or []
                if isinstance(o, dict) and o.get("path"))
    for name, stage in (stages.items() if isinstance(stages, dict) else []):
        body = _stage_body(stage)
        if body is None:
            continue
        wdir = _wdir(defs, str(name))
        for item in body.get("metrics") or []:
            rels = [item] if isinstance(item, str) else \
                [str(k) for k in item] if isinstance(item, dict) else []
            for rel in rels:
                if "${" not in rel:
                    paths.append(resolve(wdir, rel))
                    continue
                pattern = re.compile(".+".join(re.escape(part)
                                               for part in _TEMPLATE.split(rel)))
                paths.extend(resolve(_wdir(defs, lname), out)
                             for lname, out in expanded.get(str(name), [])
                             if pattern.fullmatch(out))
    return sorted(set(paths))


def _same_code(before: bytes | None, after: bytes | None, keys: set[str]) -> bool:
    """Whether two versions of a Python params file differ only in the values of ``keys``
    (the params DVC reads from it: top-level variables, ``Class.attr`` class attributes,
    ``NAME.sub`` items of a top-level dict), comments and layout. A file that does not parse,
    or is missing on one side, is a code change."""
    if before is None or after is None:
        return False

    def masked(text: bytes) -> str:
        tree = ast.parse(text)
        for stmt in tree.body:
            _mask(stmt, "", keys)
            if isinstance(stmt, ast.ClassDef):
                for inner in stmt.body:
                    _mask(inner, f"{stmt.name}.", keys)
        return ast.dump(tree)

    try:
        return masked(before) == masked(after)
    except (SyntaxError, ValueError):
        return False


def _mask(stmt: ast.stmt, prefix: str, keys: set[str]) -> None:
    """Blank the value of an assignment to a recorded param (``prefix`` + its name, or a
    recorded key inside it)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target = stmt.target
    else:
        return
    if not isinstance(target, ast.Name):
        return
    name = prefix + target.id
    if name in keys or any(k.startswith(name + ".") for k in keys):
        stmt.value = ast.Constant(value=None)


def _written(path: str, written: set[str]) -> bool:
    """``path`` is one DVC writes, or a file in an output folder kept in git (``cache:
    false`` plots): its name or one of its parent folders is in ``written``."""
    parts = path.split("/")
    return any("/".join(parts[:i]) in written for i in range(len(parts), 0, -1))


class DvcExpHarvester:
    """Harvest ``dvc exp`` experiments (see the module docstring)."""

    name: ClassVar[str] = NAME
    # why ``lineage harvest --only NAME`` ran nothing, when :meth:`enabled` is false
    disabled_hint: ClassVar[str] = (
        "no DVC experiments (refs/exps/…) in this repository: `dvc exp run`, or `dvc exp pull`")

    def enabled(self, ctx: HarvestContext) -> bool:
        if not (ctx.repo_path / ".git").exists():
            return False
        try:
            return bool(exp_refs(ctx.repo_path))
        except LineageError:
            return False

    def harvest(self, ctx: HarvestContext
                ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
        refs = exp_refs(ctx.repo_path)
        raw = ctx.watermark("refs")
        seen: dict[str, str] = json.loads(raw) if raw else {}
        # the repository as the git and DVC harvesters name it (the remote they choose, else
        # the root commit), so the experiments' data nodes are DVC's; when that identity
        # moved (a remote added), every experiment is read again under the new one
        repo_id = scan_refs(ctx).repo_id
        moved = ctx.watermark("repository") not in (None, repo_id)
        again = moved or ctx.watermark("reader") != READER_VERSION
        todo = [r for r in refs if again or seen.get(r[0]) != r[1]]
        unchecked: set[str] = set()
        self._unlinked: set[str] = set()  # data nodes a withdrawn edge linked to an experiment
        # (file, field, message) of the problems told: experiments of one baseline carry
        # the same lock entries, each problem is told once; and those the DVC harvester told
        # in this harvest (it walks the experiments' commits too), which are not told again
        self._told: set[tuple[str | None, str | None, str]] = told_problems(ctx.report)
        # each problem → the experiments read in this harvest that have it, in the order met:
        # its one warning names them (:func:`_name_sharing`)
        self._sharing: dict[tuple[str | None, str | None, str], list[str]] = {}
        if todo:
            repo_key = ids.repo_key(repo_id)
            cat = CatFile(ctx.repo_path)
            try:
                for i, (ref, sha, baseline, name) in enumerate(todo, 1):
                    try:
                        checked = yield from self._experiment(ctx, cat, repo_key, ref, sha,
                                                              baseline, name)
                        if not checked:
                            unchecked.add(ref)
                    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                        ctx.report.warn(NAME, str(exc), commit=sha, experiment=name)
                    ctx.progress("dvc experiments", i, len(todo))
            finally:
                cat.close()
            yield from self._replaced(ctx, todo, refs)
        _name_sharing(ctx.report, self._sharing)
        # last, when every experiment's facts are written: data no edge links any more, made
        # by this harvester under a former identity (the DVC harvester's nodes keep their
        # edges, or the first_commit the joins find a version by)
        for did in sorted(self._unlinked):
            data = ctx.store.get_node(did)
            if data is not None and "first_commit" not in data.attrs:
                yield NodeWithdrawal(did, unlinked=True)
        # an experiment whose code could not be compared with its baseline is read again
        # next time: it is not in the watermark
        now = {ref: sha for ref, sha, _, _ in refs if ref not in unchecked}
        if now != seen:
            ctx.set_watermark("refs", json.dumps(now, sort_keys=True))
        if ctx.watermark("repository") != repo_id:
            ctx.set_watermark("repository", repo_id)
        if ctx.watermark("reader") != READER_VERSION:
            ctx.set_watermark("reader", READER_VERSION)

    def _experiment(self, ctx: HarvestContext, cat: CatFile, repo_key: str, ref: str, sha: str,
                    baseline: str, name: str
                    ) -> Generator[Node | Edge | Withdrawal, None, bool]:
        """The experiment's facts; returns whether its code was compared with the baseline
        (not when the baseline commit is not in the clone: a shallow CI checkout)."""
        commit = (cat.get(sha) or b"").decode("utf-8", errors="replace")
        author, when = None, None
        for line in commit.split("\n\n", 1)[0].splitlines():
            if line.startswith("author "):
                who, ts, _tz = line[len("author "):].rsplit(" ", 2)
                author = who.split(" <", 1)[0]
                when = datetime.fromtimestamp(int(ts), UTC)

        def read_values(path: str, what: str) -> dict[str, Any] | None:
            """The flattened values of a params or metrics file of the experiment commit;
            None (a warning naming it) when it cannot be read."""
            try:
                return flatten(_load(cat.get(f"{sha}:{path}"), path) or {})
            except (ValueError, RecursionError) as exc:
                ctx.report.warn(NAME, f"{what} file {path} unreadable: {exc}", file=path,
                                commit=sha, experiment=name)
                return None

        params: dict[str, Any] = read_values("params.yaml", "params") or {}
        deps: dict[str, dict[str, Any]] = {}  # path → its dvc.lock entry
        outs: dict[str, dict[str, Any]] = {}
        metrics: dict[str, float | str] = {}
        # .dvc/ is DVC's own (``dvc exp save`` commits .dvc/tmp/repro.dat)
        written = {"params.yaml", ".dvc"}
        py_params: dict[str, set[str]] = {}  # a stage's Python params file → the keys recorded
        # every dvc.yaml of the experiment commit (a monorepo has one per project folder);
        # paths inside a dvc.yaml / dvc.lock are relative to its folder
        # -z: paths as they are (git quotes a non-ASCII one: "donn\303\251es/dvc.yaml")
        tree = _git(ctx.repo_path, "ls-tree", "-r", "-z", "--name-only", sha).split("\0")
        files = set(tree)
        for dvc_yaml_path in sorted(p for p in tree if p == "dvc.yaml" or
                                    p.endswith("/dvc.yaml")):
            folder = dvc_yaml_path[: -len("dvc.yaml")]
            # read and checked as the DVC harvester reads a dvc.yaml; one it cannot read is
            # skipped (its lock is still read, its paths from the folder, as DVC's harvest
            # reads it), and counts as a code change
            dvc_yaml, ysumm = self._read(ctx, "yaml", cat.get(f"{sha}:{dvc_yaml_path}"),
                                         dvc_yaml_path, sha, name)
            defs: dict[str, Any] = ysumm.get("stages") or {}
            written |= {f"{folder}dvc.lock", f"{folder}.gitignore", f"{folder}params.yaml"}
            before = _pipeline_doc(cat.get(f"{baseline}:{dvc_yaml_path}"))
            if "error" not in ysumm and before is not None and \
                    _pipeline(dvc_yaml) == _pipeline(before):
                written.add(dvc_yaml_path)  # only what to show changed (DVCLive writes it)
            # top-level params files (DVCLive's dvclive/params.yaml): all their keys, as
            # `dvc exp show` lists them; top-level plots are files the run wrote
            for rel in _top_level_paths(dvc_yaml, "params"):
                path = f"{folder}{rel}"
                if path.endswith(".py"):
                    continue  # its values are not read: a change to it stays a code change
                values = read_values(path, "params")
                if values is None:
                    continue
                written.add(path)  # its change is in the run's params
                for k, v in values.items():
                    params[k if path == "params.yaml" else f"{path}:{k}"] = v
            written |= {f"{folder}{rel}" for rel in _top_level_paths(dvc_yaml, "plots")}
            _, lsumm = self._read(ctx, "lock", cat.get(f"{sha}:{folder}dvc.lock"),
                                  f"{folder}dvc.lock", sha, name)
            stages: dict[str, Any] = lsumm.get("stages") or {}
            for stage_name, stage in stages.items():
                if "error" not in ysumm and not defines_stage(defs, str(stage_name)):
                    continue  # an entry DVC ignores (dvc repro keeps a renamed stage's)
                # dvc.lock names a stage's files from its wdir (``../data/in.csv``)
                base, _ = stage_base(folder.rstrip("/"), defs, str(stage_name))
                for pfile, values in (stage.get("params") or {}).items():  # (each a mapping)
                    path = resolve(base, str(pfile))
                    if path.endswith(".py"):  # code: only the values it records are params
                        py_params.setdefault(path, set()).update(flatten(values))
                    else:
                        written.add(path)
                    if path != "params.yaml":
                        for k, v in flatten(values).items():
                            params[f"{path}:{k}"] = v
                for fld, into in (("deps", deps), ("outs", outs)):
                    # a hash of every kind (md5, etag, checksum), or none: the data version
                    # is then <path>@unversioned, as the DVC harvester names it
                    for h in stage[fld]:
                        if h["path"]:
                            into[resolve(base, h["path"])] = h
            for rel in _metric_paths(dvc_yaml, defs, stages):
                named = resolve(folder, rel)
                written.add(named)
                # a folder (``metrics: [eval]``) is every metrics file in it, as DVC reads it
                for path in ([named] if named in files else
                             sorted(f for f in files if f.startswith(f"{named}/")
                                    and f.endswith(METRICS_SUFFIXES))):
                    values = read_values(path, "metrics")
                    if values is None:
                        continue
                    for k, v in values.items():
                        value = _metric(v)
                        if value is None:
                            continue
                        key = k if k not in metrics else f"{path}:{k}"
                        metrics[key] = value
        written |= set(outs)
        rid = ids.run_id(NAME, sha)
        props = {"exp_commit": sha, "baseline": baseline, "exp_ref": ref}
        dirty: bool | None = None  # unknown: the baseline is not in this clone
        if cat.get(baseline) is None:
            ctx.report.warn(NAME, f"its baseline commit {baseline[:12]} is not in this clone "
                            "(a shallow checkout?): whether it changed code is unknown until "
                            "the history is fetched (git fetch --unshallow)", commit=sha,
                            experiment=name)
        else:
            changed = [p for p in _git(ctx.repo_path, "diff-tree", "-r", "-z", "--name-only",
                                       "--no-commit-id", baseline, sha).split("\0")
                       if p and not _written(p, written)]
            # a Python params file whose change is only to the values dvc.lock records
            # (`dvc exp run -S params.py:LR=…`) changed params, not code
            changed = [p for p in changed if p not in py_params or not _same_code(
                cat.get(f"{baseline}:{p}"), cat.get(f"{sha}:{p}"), py_params[p])]
            dirty = bool(changed)
            if changed:
                props["changed_files"] = ",".join(changed[:50])
        node = Node.make(NodeKind.RUN, rid, source=NAME, run_id=sha, name=name,
                         experiment=name, status="success", user=author, end_time=when,
                         params={k: _param(v) for k, v in params.items()}, metrics=metrics,
                         commit=baseline, dirty=dirty, properties=props)
        if metrics:  # NaN by name (the attribute model's JSON would make it null)
            node = Node(kind=node.kind, id=node.id, attrs={**node.attrs, "metrics": metrics})
        old = ctx.store.get_node(rid)  # read before: compared below
        stored = old is not None
        gone: dict[str, Any] = {k: {} for k in ("params", "metrics")
                               if old is not None and k not in node.attrs and old.attrs.get(k)}
        if gone:  # the store keeps an attribute a new fact leaves out: written empty
            node = Node(kind=node.kind, id=node.id, attrs={**node.attrs, **gone})
        yield node
        edges = [Edge.make(EdgeKind.CODE, ids.commit_id(baseline), rid, baseline=True,
                           dirty=dirty)]
        yield edges[0]
        for path, h in sorted(deps.items()):
            did = ids.data_id(repo_key, path, h.get("hash"))
            yield from _data_version(ctx, did, path, h, repo_key)
            # pinned as the DVC harvester pins a stage's input: by its hash, else not at all
            edges.append(Edge.make(EdgeKind.INPUT, did, rid, pin=input_pin(h),
                                   digest=h.get("hash"), path=path))
            yield edges[-1]
        for path, h in sorted(outs.items()):
            did = ids.data_id(repo_key, path, h.get("hash"))
            yield from _data_version(ctx, did, path, h, repo_key)
            edges.append(Edge.make(EdgeKind.OUTPUT, rid, did, path=path))
            yield edges[-1]
        if stored:
            yield from self._withdrawn(ctx, rid, {e.key for e in edges})
        return dirty is not None

    @staticmethod
    def _replaced(ctx: HarvestContext, todo: list[tuple[str, str, str, str]],
                  refs: list[tuple[str, str, str, str]]) -> Iterator[Node]:
        """The runs of experiments replaced by one read now: `dvc exp run -f -n e1` makes a
        new experiment under the ref of the one before (its baseline and name), and DVC knows
        only the new one. Each earlier run of that ref (``properties.exp_ref``) whose commit
        no experiment ref names any more stays (it ran), marked as MLflow's harvester marks a
        run deleted in its tracking store (``lifecycle_stage: deleted``, which `lineage show`
        says and the audit does not check unless it produced a model version), with
        ``replaced_by`` the run that replaced it. Marked once; ``properties`` written whole
        (a node write merges attributes key by key)."""
        current = {ref: ids.run_id(NAME, sha) for ref, sha, _, _ in todo}
        tips = {ids.run_id(NAME, sha) for _, sha, _, _ in refs}
        prefix = ids.run_id(NAME, "")
        rows = ctx.store.conn.execute(
            "SELECT id, json_extract(attrs, '$.properties.exp_ref') FROM nodes "
            "WHERE id >= ? AND id < ? AND kind = 'run' "
            "AND json_extract(attrs, '$.properties.replaced_by') IS NULL",
            (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))).fetchall()
        for rid, ref in sorted(rows):
            by = current.get(ref)
            if by is None or rid in tips:
                continue
            old = ctx.store.get_node(rid)
            props = (old.attrs.get("properties") if old is not None else None) or {}
            yield Node.trusted(NodeKind.RUN, rid, {"properties": {
                **props, "lifecycle_stage": "deleted", "replaced_by": by}})

    def _read(self, ctx: HarvestContext, kind: str, data: bytes | None, path: str, sha: str,
              name: str) -> tuple[Any, dict[str, Any]]:
        """An experiment's ``dvc.lock`` or ``dvc.yaml`` (``kind`` "lock" or "yaml", at
        ``path``), read and checked as the DVC harvester reads it (:func:`.dvc.parse_blob`):
        (the document, its summary: a lock's stages with their deps/outs entries and params
        files, a dvc.yaml's stages with their ``wdir``). Each odd value left out, or the
        error of a file no parser reads or whose lineage is odd (then skipped: no document,
        the summary is the error), is a warning naming the experiment, its commit, file, line
        and field; once per harvest, and not when the DVC harvester told it (it walks the
        experiments' commits too). A file that is not there is an empty one."""
        if data is None:
            return None, {}
        if kind == "lock":  # (the summary alone)
            doc, summ = None, parse_blob(kind, data)
        else:
            doc, summ = parse_document(kind, data)
        problems = [(w, "") for w in summ.get("warnings", ())]
        if "error" in summ:
            problems = [({"message": summ["error"], "line": summ.get("line"),
                          "field": summ.get("field")}, _SKIPPED_EXP)]
        for w, skipped in problems:
            key = (path, w.get("field"), w["message"])
            sharing = self._sharing.setdefault(key, [])
            if name not in sharing:
                sharing.append(name)
            if key not in self._told:
                self._told.add(key)
                ctx.report.warn(NAME, w["message"] + skipped, file=path, line=w.get("line"),
                                commit=sha, field=w.get("field"), experiment=name)
        return doc, summ

    def _withdrawn(self, ctx: HarvestContext, rid: str,
                   stated: set[tuple[str, str, str]]) -> Iterator[Withdrawal]:
        """The withdrawal of each edge an earlier harvest gave experiment ``rid`` that this
        read does not state: its INPUT and OUTPUT edges to data named under the repository's
        former identity (a remote added since), a CODE edge. Edges the joins derived
        (``via``, ``abbrev``) and those of other sources are left."""
        for e in ctx.store.edges_of(rid):
            if e.key in stated or "via" in e.attrs or "abbrev" in e.attrs:
                continue
            if e.kind == EdgeKind.CODE and e.target == rid and e.attrs.get("baseline") or \
                    e.kind == EdgeKind.INPUT and e.target == rid and \
                    e.source.startswith("data:") or \
                    e.kind == EdgeKind.OUTPUT and e.source == rid and \
                    e.target.startswith("data:"):
                yield Withdrawal(e.source, e.target, str(e.kind))
                if e.kind != EdgeKind.CODE:
                    self._unlinked.add(e.source if e.target == rid else e.target)


def _data_version(ctx: HarvestContext, did: str, path: str, h: dict[str, Any],
                  repo_key: str) -> Iterator[Node]:
    """A data version the experiment read or wrote (``h``: its dvc.lock entry), described as
    the DVC harvester describes it (:func:`.dvc.data_attrs`); one the store already holds (the
    DVC harvester's, with its first commit) is only linked, never rewritten."""
    if ctx.store.has_node(did):
        return
    yield Node.make(NodeKind.DATA, did, **data_attrs(path, h, f"repository:{repo_key}"))


def _pipeline_doc(data: bytes | None) -> Any:
    """The baseline's dvc.yaml, to compare with the experiment's: {} when it has none, None
    when it cannot be read (the experiment's is then a code change)."""
    if data is None:
        return {}
    doc, summ = parse_document("yaml", data)
    return None if "error" in summ else doc or {}


__all__ = ["CatFile", "DvcExpHarvester", "exp_refs", "flatten"]
