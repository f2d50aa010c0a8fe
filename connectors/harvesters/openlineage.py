"""OpenLineage harvester: RunEvents from JSON / JSONL files (what Airflow, Spark, dbt, Dagster
and ``openlineage-python``'s file transport write).

Where: ``openlineage.paths`` in ``lineage.yaml`` (files or folders, relative to the repository
root; default ``openlineage/``; in folders, files ending ``.json``, ``.jsonl``, ``.ndjson``,
``.log`` or with no extension). A ``.json`` file holds one event or a list of events; any other
file (``.jsonl``, ``.ndjson``, the file transport's append log) holds one event per line.

What it yields:

* ``run:openlineage:<runId>`` per run (a UUID in lower case, hyphenated: :func:`run_key`), merging its START /
  RUNNING / COMPLETE / FAIL / ABORT events by ``eventTime``, never by their order in a file or
  across files and harvests (see :func:`lifecycle`): status from the terminal event (a run that
  ended is never reopened), start (the earliest START, else the earliest event), end (the terminal
  event's time), job (``namespace/name``), run and job tags — facets from the latest event that
  carries them (a facet it deletes with ``_deleted: true`` clears the tags or properties it gave);
* the job facet ``sourceCodeLocation``'s ``version`` (a git sha: 40 hex digits, 64 in a SHA-256
  repository) → CODE edge from that commit;
* the run facet ``parent`` → UPSTREAM_RUN edge from the parent run;
* the withdrawal (:class:`lineage.store.Withdrawal`) of each edge an earlier harvest gave the
  run that its events no longer give: a ``sourceCodeLocation`` or ``parent`` facet deleted
  (``_deleted: true``) or naming another commit or run, a dataset named unversioned at START
  and versioned at COMPLETE (:meth:`OpenLineageHarvester._emit`);
* the job (and dataset) facet ``ownership`` → ``properties.owners``, a JSON list of
  ``{"name", "type"}`` (:func:`load_owners` reads it); the first owner that is a person
  (``user:jdoe`` → ``jdoe``) is the run's ``user``, as MLflow names a run's user. A facet
  listing no owner, or deleted (``_deleted: true``), clears them (and the user they gave); an
  event without the facet keeps them;
* input / output datasets → data nodes ``data:<namespace>:<name>@<version>`` (the ``version``
  dataset facet's ``datasetVersion``, or ``unversioned``) with INPUT / OUTPUT edges; an input
  with a version is a *weak* pin (the producer's version label, not a content hash). A dataset
  that is a file inside this repository carries its repository ``path`` on the edge, so the
  ``joins`` step can add the *strong* pin from DVC's data node; so does a file of another
  checkout of it (a CI job's) that the run ties to this repository (``sourceCodeLocation``
  ``repoUrl`` or ``url``, or the job namespace) and DVC tracks (:class:`CheckoutPaths`, which
  the MLflow harvester shares); such a file of a run that names no repository is a warning;
* dataset facets ``dataSource`` (``uri``), ``schema`` (field names) and ``ownership`` →
  ``properties.data_source``, ``schema_fields``, ``owners`` of the data node, each with the
  ``eventTime`` of the event that gave it (``<property>_at``): the latest such event decides,
  whatever run sent it and whenever it was read; an event without the facet keeps the fact, a
  facet sent with ``_deleted: true`` clears it (:meth:`OpenLineageHarvester._data_facts`).

Files are read as a stream, never whole: one event per line a line at a time, a ``.json`` list
an item at a time (:class:`_JsonStream`), and each event is folded into its run's fields as it
is read and then let go (:meth:`OpenLineageHarvester._fold`: the facets the run keeps, as
JSON text); a run's state is let go once it is written. Memory grows with the runs, not with
the events: a log that grows for months is harvested on a small CI runner.

Malformed events are warnings naming the file and line; they never stop the harvest. A
RunEvent (it has an ``eventType``) without ``run`` or ``run.runId`` is one; a ``runId`` that is
not a UUID, as the spec requires, is a warning but the event is kept. A line that is not UTF-8
is a warning naming it, and the other lines are read; a ``.json`` list cut short keeps the
events before the error, which names its line.
Incremental: files whose size and modification time have not changed are not read again; an
append log (one event per line) is read from the end of its last complete line read before
when the bytes up to there are unchanged (:meth:`OpenLineageHarvester._read`);
the store's cache keeps each run's state events and facets (with their times) and its datasets'
facets, so events of one run read in several harvests give the node one harvest of them all
would give, edges included (those it no longer gives are withdrawn). When the parse rules
change (``PARSER_VERSION``), the next harvest reads every file again and rebuilds every cached
run, so runs stored by an earlier version are corrected.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar
from urllib.parse import unquote, urlsplit

from lineage import ids
from lineage.hashing import relative_to_repo
from lineage.ids import _redact_params
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.serialize import utc_iso
from lineage.store import NodeWithdrawal, Withdrawal

if TYPE_CHECKING:
    from lineage.plugins import HarvestContext

NAME = "openlineage"
TERMINAL = ("COMPLETE", "FAIL", "ABORT")
_ORDER = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
_NEVER = datetime.min.replace(tzinfo=UTC)  # the time of owners a store kept without one
# two terminal events at the same instant: the failure is reported
_TIE = {"COMPLETE": 0, "ABORT": 1, "FAIL": 2, "START": 0, "OTHER": 0, "RUNNING": 1}
_SHA = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")  # SHA-1, SHA-256 repositories
_FRACTION = re.compile(r"(\.\d{6})\d+")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")
# the facets the run node is built from: the only ones kept (cached) between harvests
RUN_FACETS = ("parent", "nominalTime", "errorMessage", "tags")
JOB_FACETS = ("sourceCodeLocation", "documentation", "jobType", "tags", "ownership")
DATASET_FACETS = ("version", "dataSource", "schema", "ownership")  # the data node's and edge's
# dataset facet → the data node property it gives (each kept with its time, ``<property>_at``)
DATASET_FACTS = {"dataSource": "data_source", "schema": "schema_fields", "ownership": "owners"}
CACHE = f"{NAME}-runs"  # run id → its state events and fields, for the next harvests
# the rules events are read with: a new value makes the next harvest read every file again and
# rebuild every run it has cached, so runs stored by an earlier version get the new facts
# (2: times in UTC, credentials removed from the facets kept; 3: the job's ownership facet;
# 4: a file starting with a BOM loses no event, lower-case t / z in times; 5: the datasets;
# 6: U+2028 / U+2029 inside a string no longer split a line; 7: an empty ownership facet clears
# the owners; 8: owners kept as a JSON list; 9: an ownership facet sent with _deleted: true
# clears them; 10: a data node keeps its owners' time, owners_at; 11: every dataset fact is
# kept with its time, cleared by a deleted facet, and kept by events that leave it out; 12: run
# and job facets deleted later clear the tags and properties they gave; 13: a runId that is a
# UUID is read in lower case, so its letter case no longer splits one run in two; 14: edges a
# later event withdrew are withdrawn from the store; 15: a file of another checkout of this
# repository, such as a CI job's, is its repository path; 16: a dataset's namespace and name
# lose credentials; 17: and the secret query parameters of one that is not a URL — a job's
# namespace ``ci?token=…``, a presigned object's name ``x.csv?X-Amz-Signature=…`` —, so do
# the job's and its parent job's; 18: a file DVC checked out as a symlink into its cache is
# its repository path, not the cache file; 19: a 64-digit sha of a SHA-256 repository is the
# run's commit; 20: the parent facet's root job loses them too; 21: a UUID runId written
# without hyphens is read in the canonical hyphenated form, so it is the run the other
# spelling names; 22: a file of another checkout is resolved also in a store that keeps the
# identity the repository had before a remote was added; 23: a sourceCodeLocation version
# with the line break git prints after the sha is that commit; 24: a parent facet naming the
# run itself is ignored; 25: a file of another checkout is resolved when the run names this
# repository by its sourceCodeLocation url alone)
PARSER_VERSION = "26"
# files read in a folder (a file named in openlineage.paths is read whatever its name)
EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log", "")


@dataclass
class _Run:
    run_id: str
    job_namespace: str = ""
    job_name: str = ""
    events: set[tuple[datetime, str]] = field(default_factory=set)
    # this harvest's events, folded in as they are read (:meth:`OpenLineageHarvester._fold`;
    # the events themselves are not kept): each field (``job``, ``producer``, the facets the
    # run node is built from, the datasets and their facets) as (eventTime, rank, value as
    # JSON text: a few times smaller than its objects) from the latest event that carries it
    fields: dict[str, tuple[datetime, int, str]] = field(default_factory=dict)
    read: int = 0  # events of the run read in this harvest (their read order)
    # warnings about the datasets of its events, told in eventTime order when the run is
    # emitted (eventTime, rank, read order, message, file, line, field)
    problems: list[tuple[datetime, int, int, str, str, int | None, str]] = \
        field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)
    inputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    producer: str | None = None
    # (inputs | outputs, namespace, name, facet) → eventTime of the dataset's facet kept
    facet_times: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    # every event of the run is known (the cache kept those of earlier harvests, or every
    # file was read again): the edges it does not give now were withdrawn by the producer
    whole: bool = False
    stored: bool = False  # an earlier harvest stored the run (else it has no edge to withdraw)
    # (inputs | outputs, namespace, name) → (file, line, field) of the latest event of this
    # harvest that named the dataset (where a warning about it points), after the (eventTime,
    # rank, read order) of that event
    named: dict[tuple[str, str, str], tuple[tuple[datetime, int, int],
                                            tuple[str, int | None, str]]] = \
        field(default_factory=dict)


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("eventTime is not a string")
    # RFC 3339 (the spec's date-time) allows a lower-case ``t`` and ``z``
    text = _FRACTION.sub(r"\1", value.strip().upper()).replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:  # Python's message quotes the text as rewritten above
        if str(exc).startswith("Invalid isoformat string"):
            raise ValueError(f"Invalid isoformat string: {value!r}") from None
        raise
    if t.tzinfo is None:
        raise ValueError(f"eventTime {value!r} has no time zone")
    try:
        t.astimezone(UTC)  # every time is stored in UTC
    except OverflowError:
        raise ValueError(f"eventTime {value!r} is out of range in UTC") from None
    return t


class OpenLineageHarvester:
    """Harvest OpenLineage RunEvent files (see the module docstring)."""

    name: ClassVar[str] = NAME
    # why ``lineage harvest --only NAME`` ran nothing, when :meth:`enabled` is false
    disabled_hint: ClassVar[str] = (
        "no OpenLineage events folder (openlineage/ at the repository root, or openlineage.paths in lineage.yaml)")

    def _roots(self, ctx: HarvestContext) -> list[Path]:
        roots = []
        for p in ctx.config.openlineage.paths:
            path = Path(p)
            roots.append(path if path.is_absolute() else ctx.repo_path / path)
        return roots

    def enabled(self, ctx: HarvestContext) -> bool:
        roots = self._roots(ctx)
        if "paths" in ctx.config.openlineage.model_fields_set:  # named in lineage.yaml: say so
            for i, (name, root) in enumerate(zip(ctx.config.openlineage.paths, roots,
                                                 strict=True)):
                if not root.exists():
                    ctx.report.warn(self.name, f"OpenLineage path {name} does not exist: no "
                                    "events read from it (create it or fix openlineage.paths)",
                                    file="lineage.yaml",
                                    line=ctx.config.line_of("openlineage", "paths", i),
                                    field="openlineage.paths")
        return any(r.exists() for r in roots)

    def files(self, ctx: HarvestContext) -> list[Path]:
        out: list[Path] = []
        for root in self._roots(ctx):
            if root.is_file():
                out.append(root)
            elif root.is_dir():
                for p in sorted(root.rglob("*")):
                    if p.suffix.lower() not in EVENT_SUFFIXES or any(
                            part.startswith(".") for part in p.relative_to(root).parts):
                        continue
                    if p.is_file():
                        out.append(p)
                    elif p.is_symlink() and not p.exists():  # nothing to read: say so
                        rel = os.path.relpath(p, ctx.repo_path)
                        ctx.report.warn(self.name, "cannot read: a dangling symbolic link or a "
                                        "loop of them; file skipped (fix or remove the link)",
                                        file=Path(rel).as_posix())
        return out

    def harvest(self, ctx: HarvestContext
                ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
        raw = ctx.watermark("files")
        seen: dict[str, str] = json.loads(raw) if raw else {}
        upgraded = ctx.watermark("parser") != PARSER_VERSION
        self._reread = upgraded
        # files of another checkout of this repository: read once a harvest, when a run
        # needs them
        self._checkouts: CheckoutPaths | None = None
        # (inputs | outputs, name) → [run, file, line, field, ending, runs]: absolute paths of
        # another machine ending in a path DVC tracks here, from runs that name no repository
        # (told once a harvest, after every run: see _unjoined)
        self._foreign: dict[tuple[str, str], list[Any]] = {}
        # data node → its facts (see _data_facts), read from the store once a harvest
        self._facts_seen: dict[str, dict[str, tuple[datetime, str | None]]] = {}
        if upgraded:  # files read under other rules: read them all again
            seen = {}
        now: dict[str, str] = {}
        runs: dict[str, _Run] = {}
        files = self.files(ctx)
        for i, path in enumerate(files, 1):
            key = self._key(ctx, path)
            st = path.stat()
            old = seen.get(key)
            if old is not None and old.split(":")[:2] == [str(st.st_size),
                                                         str(st.st_mtime_ns)]:
                now[key] = old
            else:
                now[key] = self._read(ctx, path, key, old, st.st_mtime_ns, runs)
            ctx.progress("openlineage files", i, len(files))
        # runs stored under an upper-case UUID (parser version < 13) or one without hyphens
        # (< 21): run id → their node ids
        # and the state events their nodes give (read before the nodes are withdrawn)
        self._ghosts: dict[str, list[tuple[str, set[tuple[datetime, str]]]]] = {}
        self._unlinked: set[str] = set()  # data nodes a withdrawn edge linked to a run
        if upgraded:  # runs whose files are gone are rebuilt from what the cache kept
            for node in list(ctx.store.iter_nodes(NodeKind.RUN)):
                run_id = node.attrs.get("run_id")
                if node.attrs.get("source") != NAME or not isinstance(run_id, str):
                    continue
                if run_id != run_key(run_id) and (  # its events are the lower-case run's now
                        run_key(run_id) in runs or ctx.store.cache_get_many(CACHE, [node.id])):
                    self._ghosts.setdefault(run_key(run_id), []).append(
                        (node.id, self._seed(node)))
                    runs.setdefault(run_key(run_id), _Run(run_key(run_id)))
                    self._unlinked.update(
                        e.source if e.target == node.id else e.target
                        for e in ctx.store.edges_of(node.id)
                        if e.kind in (EdgeKind.INPUT, EdgeKind.OUTPUT))
                elif run_id not in runs and ctx.store.cache_get_many(CACHE, [node.id]):
                    runs[run_id] = _Run(run_id)
        ghosts = [g for found in self._ghosts.values() for g, _ in found]
        # records an earlier version stored naming a run by another spelling: read before the
        # ghosts' withdrawal takes their edges along, written when the runs are
        repointed = list(self._repointed(ctx, {ids.run_id(NAME, k) for k in runs},
                                         set(ghosts))) if upgraded else []
        # first: the facts of the lower-case run that follow may name what the ghost did
        yield from (NodeWithdrawal(g) for g in ghosts)
        for run_id in list(runs):  # each run let go once written: memory stays what is read
            run = runs.pop(run_id)
            yield from self._emit(ctx, run)
            run.inputs, run.outputs, run.facets, run.job_facets = {}, {}, {}, {}
            run.facet_times, run.named = {}, {}
        self._tell_unjoined(ctx)
        ctx.store.cache_delete(CACHE, ghosts)  # merged into the lower-case runs' (_state)
        # last, when every run's facts are written: a data node this harvester made that no
        # edge links any more (the START's `@unversioned`) is withdrawn too
        for did in sorted(self._unlinked):
            data = ctx.store.get_node(did)
            if data is not None and data.kind == NodeKind.DATA and "namespace" in data.attrs:
                yield NodeWithdrawal(did, unlinked=True)
        yield from repointed
        if now != seen:
            ctx.set_watermark("files", json.dumps(now, sort_keys=True))
        if upgraded:
            ctx.set_watermark("parser", PARSER_VERSION)

    @staticmethod
    def _repointed(ctx: HarvestContext, emitted: set[str], withdrawn: set[str]
                   ) -> Iterator[Node | Edge | Withdrawal]:
        """Retraining records that name an OpenLineage run by a spelling of its UUID runId
        other than the one its node is stored under (upper case, no hyphens: what the
        producer sent) name that run: the RETRAINS edge to the other spelling is withdrawn for
        the one to the stored run, and the record's ``run`` follows (``lineage record`` reads
        such references so since: :func:`lineage.records.run_ref`); not while a run stored
        under that other spelling stays and none under the canonical id is (``emitted``:
        this harvest's runs, ``withdrawn``: the runs it withdraws). Once, after an upgrade."""
        prefix = ids.run_id(NAME, "")
        for edge in list(ctx.store.iter_edges(EdgeKind.RETRAINS)):
            if not edge.target.startswith(prefix):
                continue
            run = ids.run_id(NAME, run_key(edge.target[len(prefix):]))
            # a run kept under the other spelling (nothing to rebuild it from) is still there
            # (this harvest's facts, ``emitted`` and ``withdrawn``, may not be written yet)
            kept = edge.target not in withdrawn and ctx.store.has_node(edge.target)
            if run == edge.target or (kept and run not in emitted
                                      and not ctx.store.has_node(run)):
                continue
            yield Withdrawal(edge.source, edge.target, str(EdgeKind.RETRAINS))
            yield Edge.make(EdgeKind.RETRAINS, edge.source, run, **edge.attrs)
            node = ctx.store.get_node(edge.source)
            if node is not None and node.attrs.get("run") == edge.target:
                yield Node.trusted(node.kind, node.id, {**node.attrs, "run": run})

    @staticmethod
    def _key(ctx: HarvestContext, path: Path) -> str:
        try:
            return path.resolve().relative_to(ctx.repo_path.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def _read(self, ctx: HarvestContext, path: Path, key: str, old: str | None,
              mtime: int, runs: dict[str, _Run]) -> str:
        """Read the file's events not read before into ``runs`` (:meth:`_add`, one event at a
        time: the file is never held whole, nor are its events); returns its stamp for the
        watermark.

        A file of one event per line (``.jsonl``, the file transport's append log) is read from
        where the last harvest stopped when what it read then is unchanged: its stamp keeps the
        offset after the last complete line, the number of lines before it and a digest of
        those bytes (a file rewritten from the start is read whole). The stamp begins with
        size and modification time, which say whether the file changed at all."""
        def add(line: int | None, event: Any) -> None:
            self._add(ctx, runs, event, key, line)

        try:
            with path.open("rb") as f:
                if path.suffix.lower() == ".json":
                    return f"{self._read_json(ctx, f, key, add)}:{mtime}"
                size, end, total, digest = self._read_lines(ctx, f, key, old, add)
                return f"{size}:{mtime}:{end}:{total}:{digest}"
        except OSError as exc:
            ctx.report.warn(NAME, f"cannot read: {exc}", file=key)
            return f"{path.stat().st_size}:{mtime}"

    def _read_lines(self, ctx: HarvestContext, f: BinaryIO, key: str, old: str | None,
                    add: Callable[[int | None, Any], None]) -> tuple[int, int, int, str]:
        """The events of a file of one event per line, from the end of the lines the stamp
        ``old`` says were read before when those bytes are unchanged; returns (size, offset
        after the last complete line, lines before it, digest of the bytes before it)."""
        start, lines = 0, 0
        h = hashlib.blake2b(digest_size=16)
        parts = (old or "").split(":")
        if len(parts) == 5 and parts[2].isdigit() and parts[3].isdigit():
            offset = int(parts[2])
            if _hash_prefix(f, h, offset) == offset and h.hexdigest() == parts[4]:
                start, lines = offset, int(parts[3])
            else:  # rewritten, or cut short: read whole
                f.seek(0)
                h = hashlib.blake2b(digest_size=16)
        size, end, total = start, start, lines
        for n, raw in self._lines(ctx, f, key, lines, add):
            size += len(raw)
            if raw.endswith(b"\n"):  # a complete line (a last one may still be written)
                h.update(raw)
                end, total = size, n
        return size, end, total, h.hexdigest()

    @staticmethod
    def _lines(ctx: HarvestContext, f: BinaryIO, key: str, before: int,
               add: Callable[[int | None, Any], None]) -> Iterator[tuple[int, bytes]]:
        """Each line of ``f`` from where it stands (after its first ``before`` lines) as read,
        (line number, bytes), once its event is added. Lines end at LF (CRLF too), not at the
        other separators ``str.splitlines()`` knows: JSON allows U+2028 / U+2029 unescaped
        inside strings."""
        for n, raw in enumerate(f, before + 1):
            try:
                # utf-8-sig: a file saved on Windows (PowerShell, Notepad) starts with a BOM
                line = raw.removesuffix(b"\n").decode("utf-8-sig" if n == before + 1
                                                       else "utf-8")
            except UnicodeDecodeError as exc:
                ctx.report.warn(NAME, f"cannot read: {exc}; line skipped (write events as "
                                "UTF-8)", file=key, line=n)
                line = ""
            if line.strip():
                try:
                    event = json.loads(line)
                except json.JSONDecodeError as exc:
                    ctx.report.warn(NAME, f"not valid JSON: {exc.msg}", file=key, line=n)
                else:
                    add(n, event)
            yield n, raw

    def _read_json(self, ctx: HarvestContext, f: BinaryIO, key: str,
                   add: Callable[[int | None, Any], None]) -> int:
        """The events of a ``.json`` file: one event, a list of events (read one at a time),
        or one event per line; returns the file's size."""
        doc = _JsonStream(f)
        try:
            first = doc.skip()
            if first == "[":
                doc.pos += 1
                for item in doc.items():
                    add(None, item)
            elif first is not None:  # else created, nothing written yet
                value = doc.value()
                if doc.skip() is not None:  # one event per line in a .json file: JSONL
                    f.seek(0)
                    return sum(len(raw) for _n, raw in self._lines(ctx, f, key, 0, add))
                add(None, value)
        except _BadJson as exc:
            ctx.report.warn(NAME, f"not valid JSON: {exc.msg}", file=key, line=exc.line)
        except _NotText as exc:
            ctx.report.warn(NAME, f"cannot read: {exc}", file=key)
        return doc.read if doc.eof else f.seek(0, os.SEEK_END)

    def _add(self, ctx: HarvestContext, runs: dict[str, _Run], event: Any, key: str,
             line: int | None) -> None:
        def bad(message: str, fld: str | None = None) -> None:
            ctx.report.warn(NAME, message, file=key, line=line, field=fld)

        if not isinstance(event, dict):
            return bad("an event must be a JSON object")
        run, job = event.get("run"), event.get("job")
        if run is None and not _is_run_event(event):
            return  # a JobEvent / DatasetEvent (static lineage): no run to record
        if not isinstance(run, dict):
            return bad("missing run.runId", "run")
        if not isinstance(run.get("runId"), str) or not run["runId"]:
            return bad("missing run.runId", "run.runId")
        if not _UUID.fullmatch(run["runId"]):  # the spec says UUID; producers that differ still ran
            bad(f"run.runId {run['runId']!r} is not a UUID (the OpenLineage spec requires one)",
                "run.runId")
        if not isinstance(job, dict) or not isinstance(job.get("namespace"), str) \
                or not isinstance(job.get("name"), str):
            return bad("missing job.namespace / job.name", "job")
        try:
            # in UTC, as every stored time: the same instant read again with another offset
            # (an event cached before, a producer in a local time zone) is the same fact
            at = parse_time(event.get("eventTime")).astimezone(UTC)
        except ValueError as exc:
            return bad(f"bad eventTime: {exc}", "eventTime")
        etype = event.get("eventType") or "OTHER"
        if not isinstance(etype, str) or etype not in _ORDER:
            return bad(f"unknown eventType {etype!r}", "eventType")
        run_id = run_key(run["runId"])
        facets = run.get("facets")
        parent = facets.get("parent") if isinstance(facets, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict) \
                and isinstance(parent["run"].get("runId"), str) \
                and run_key(parent["run"]["runId"]) == run_id:
            # no run is its own upstream (a producer copying its own runId into the facet)
            bad("the parent facet names the run itself; it is ignored",
                "run.facets.parent.run.runId")
            assert isinstance(facets, dict)
            event = {**event, "run": {**run, "facets": {
                k: v for k, v in facets.items() if k != "parent"}}}
        r = runs.setdefault(run_id, _Run(run_id))
        r.events.add((at, etype))
        r.read += 1
        self._fold(r, at, _ORDER[etype], r.read, event, key, line)

    @staticmethod
    def _fold(r: _Run, at: datetime, rank: int, n: int, event: dict[str, Any], key: str,
              line: int | None) -> None:
        """Fold one event of the run (the ``n``-th read) into ``r.fields``: each field keeps
        the value of the latest event that carries it — by eventTime, then state rank, then
        value (:func:`_later`), then read order — so events folded as they are read, in file
        order, give the fields their eventTime order gives; the event is not kept. Datasets
        are fields too (kept with the run's: a dataset named at START and versioned at
        COMPLETE, read in two harvests, is the one dataset one harvest gives)."""
        order = (at, rank, n)

        def put(name: str, value: Any) -> None:
            prev = r.fields.get(name)
            if prev is not None and prev[:2] > (at, rank):
                return
            new = _clean(name, value)  # what is kept: no credentials
            # at the same (eventTime, rank), the value breaks the tie, as in :func:`_later`
            if prev is None or prev[:2] < (at, rank) or json.dumps(new, sort_keys=True) \
                    > json.dumps(json.loads(prev[2]), sort_keys=True):
                r.fields[name] = (at, rank, json.dumps(new))

        run, job = event["run"], event["job"]
        put("job", [job["namespace"], job["name"]])
        if event.get("producer"):
            put("producer", str(event["producer"]))
        for prefix, src, wanted in (("run.", run.get("facets"), RUN_FACETS),
                                    ("job.", job.get("facets"), JOB_FACETS)):
            if isinstance(src, dict):
                for name in wanted:
                    if name in src:
                        put(prefix + name, src[name])
        for fld in ("inputs", "outputs"):
            items = event.get(fld) or []
            if not isinstance(items, list):
                r.problems.append((*order, f"{fld} must be a list", key, line, fld))
                continue
            for j, ds in enumerate(items):
                if not isinstance(ds, dict) or not isinstance(ds.get("namespace"), str) \
                        or not isinstance(ds.get("name"), str):
                    r.problems.append((*order, "dataset without namespace / name", key, line,
                                       f"{fld}[{j}]"))
                    continue
                put(_dataset_key(fld, ds["namespace"], ds["name"], ""), True)
                named = (fld, _scrub_name(ds["namespace"]), _scrub_name(ds["name"]))
                if named not in r.named or r.named[named][0] <= order:
                    r.named[named] = (order, (key, line, f"{fld}[{j}].name"))
                for facet_key in ("facets", "inputFacets", "outputFacets"):
                    facets = ds.get(facet_key)
                    if not isinstance(facets, dict):
                        continue
                    for name in DATASET_FACETS:
                        if name in facets:
                            put(_dataset_key(fld, ds["namespace"], ds["name"], name),
                                facets[name])

    def _merge(self, ctx: HarvestContext, r: _Run) -> dict[str, list[Any]]:
        """This harvest's fields of the run (``job``, ``producer``, the facets the run node is
        built from and the datasets, each ``[eventTime, rank, value]`` from the latest event
        that carries it: :meth:`_fold`); the warnings about its events' datasets are told
        now, in eventTime order, as when its events were merged at the end."""
        for *_, message, key, line, fld in sorted(r.problems, key=lambda p: p[:3]):
            ctx.report.warn(NAME, message, file=key, line=line, field=fld)
        r.problems.clear()
        fields = {name: [utc_iso(at) or "", rank, json.loads(text)]
                  for name, (at, rank, text) in r.fields.items()}
        r.fields = {}
        return fields

    def _state(self, ctx: HarvestContext, r: _Run, rid: str, fields: dict[str, list[Any]]
               ) -> tuple[str, datetime | None, datetime | None]:
        """Combine this harvest's events of the run with those of earlier harvests (files not
        read again), kept in the store's cache: the state events, and the fields with the time
        of the event they came from. Sets the run's job, producer and facets; returns (status,
        start, end) — the same events give the same run whatever their order in files or
        across harvests."""
        ghosts = self._ghosts.get(r.run_id, [])
        got = ctx.store.cache_get_many(CACHE, [rid, *(g for g, _ in ghosts)])
        cached = got.get(rid)
        r.whole = isinstance(cached, dict) or self._reread
        if isinstance(cached, dict):
            r.stored = True
            events = self._cached(cached, fields)
        else:
            stored = ctx.store.get_node(rid)
            r.stored = stored is not None
            events = self._seed(stored)
        # what was kept of it under its other spelling (upper case, no hyphens)
        for ghost, seeded in ghosts:
            kept = got.get(ghost)
            events |= self._cached(kept, fields) if isinstance(kept, dict) else seeded
        # in UTC: a run stored by an earlier version kept the producer's offsets, and a set
        # keeps the first of two equal instants
        events = {(t.astimezone(UTC), kind) for t, kind in events | r.events}
        ctx.store.cache_put_many(CACHE, [(rid, {
            "events": sorted([utc_iso(t), kind] for t, kind in events), "fields": fields})])
        r.job_namespace, r.job_name = fields["job"][2]
        r.producer = fields["producer"][2] if "producer" in fields else None
        r.facets = {k[4:]: f[2] for k, f in fields.items() if k.startswith("run.")}
        r.job_facets = {k[4:]: f[2] for k, f in fields.items() if k.startswith("job.")}
        for k, f in sorted(fields.items()):
            if k.startswith("["):
                fld, ns, name, facet = json.loads(k)
                merged = (r.inputs if fld == "inputs" else r.outputs).setdefault((ns, name), {})
                if facet:
                    merged[facet] = f[2]
                    r.facet_times[(fld, ns, name, facet)] = f[0]
        return lifecycle(events)

    @staticmethod
    def _cached(cached: dict[str, Any], fields: dict[str, list[Any]]
                ) -> set[tuple[datetime, str]]:
        """The state events a cache entry kept; its fields merged into ``fields`` (each kept
        when later than this harvest's)."""
        for name, kept in (cached.get("fields") or {}).items():
            old = _scrub(kept)  # a cache written before values were scrubbed is cleaned
            if name.startswith("["):  # and so is a dataset's key (parser version < 17)
                name = _dataset_key(*json.loads(name))
            elif isinstance(old, list) and len(old) == 3:  # a job's names (< 17)
                old = [old[0], old[1], _clean(name, old[2])]
            if name not in fields or _later(old, fields[name]):
                fields[name] = old
        return {(parse_time(t), kind) for t, kind in cached.get("events", [])}

    @staticmethod
    def _seed(stored: Node | None) -> set[tuple[datetime, str]]:
        """The state events a run stored before the cache kept them (a store harvested by an
        earlier version): its start was its earliest START, its end its terminal event."""
        if stored is None:
            return set()
        a = stored.attrs
        out: set[tuple[datetime, str]] = set()
        try:
            if a.get("start_time"):
                out.add((parse_time(a["start_time"]), "START"))
            if a.get("end_time") and a.get("status") in TERMINAL:
                out.add((parse_time(a["end_time"]), a["status"]))
            elif a.get("status") in _ORDER and a.get("start_time") and a["status"] != "START":
                out.add((parse_time(a["start_time"]), a["status"]))
        except ValueError:
            pass
        return out

    def _emit(self, ctx: HarvestContext, r: _Run) -> Iterator[Node | Edge | Withdrawal]:
        """The run's node, edges and data nodes; and the withdrawal of each edge an earlier
        harvest gave it that its events no longer give (:func:`_given`): the producer deleted
        the ``sourceCodeLocation`` or ``parent`` facet or named another commit or parent, or
        versioned at COMPLETE a dataset START named unversioned."""
        facts = list(self._facts(ctx, r))
        yield from facts
        if not r.whole or not r.stored:  # events of earlier harvests unknown (cache lost), or
            return  # none: withdraw nothing (nor look: a first load has no index on targets)
        rid = ids.run_id(NAME, r.run_id)
        stated = {(e.source, e.target, e.kind) for e in facts if isinstance(e, Edge)}
        for e in ctx.store.edges_of(rid):
            if (e.source, e.target, e.kind) not in stated and _given(e, rid):
                yield Withdrawal(e.source, e.target, str(e.kind))
                if e.kind in (EdgeKind.INPUT, EdgeKind.OUTPUT):
                    self._unlinked.add(e.target if e.source == rid else e.source)

    def _facts(self, ctx: HarvestContext, r: _Run) -> Iterator[Node | Edge]:
        rid = ids.run_id(NAME, r.run_id)
        status, start, end = self._state(ctx, r, rid, self._merge(ctx, r))
        code = r.job_facets.get("sourceCodeLocation") or {}
        version = code.get("version") if isinstance(code, dict) else None
        # ``git rev-parse HEAD`` as a producer captured it may keep its line break
        text = version.strip() if isinstance(version, str) else None
        sha = text.lower() if text and _SHA.fullmatch(text) else None
        props: dict[str, str] = {}
        if isinstance(code, dict):
            for k in ("repoUrl", "path", "url", "branch", "tag", "type"):
                if isinstance(code.get(k), str):
                    props[f"source_code.{k}"] = ids.strip_credentials(code[k])
            if version and not sha:
                props["source_code.version"] = str(version)
        nominal = r.facets.get("nominalTime")
        if isinstance(nominal, dict) and nominal.get("nominalStartTime"):
            props["nominal_start_time"] = str(nominal["nominalStartTime"])
        err = r.facets.get("errorMessage")
        if isinstance(err, dict) and err.get("message"):
            props["error"] = str(err["message"])[:500]
        doc = r.job_facets.get("documentation")
        if isinstance(doc, dict) and doc.get("description"):
            props["job_description"] = str(doc["description"])[:500]
        jt = r.job_facets.get("jobType")
        if isinstance(jt, dict):
            for k in ("processingType", "integration", "jobType"):
                if jt.get(k):
                    props[f"job_type.{k}"] = str(jt[k])
        if r.producer:
            props["producer"] = r.producer
        owners = _owners(r.job_facets.get("ownership"))
        if owners is not None:  # present, maybe empty: the source's owners now
            props["owners"] = dump_owners(owners)
        user = next((who for who in map(_person, owners or []) if who), None)
        tags = _tags(r.facets) | _tags(r.job_facets)
        node = Node.make(
            NodeKind.RUN, rid, source=NAME, run_id=r.run_id, name=r.job_name,
            job=f"{r.job_namespace}/{r.job_name}", status=status, start_time=start,
            end_time=end, commit=sha, tags=tags, properties=props, user=user,
        )
        # the store keeps an attribute a new fact leaves out (Node.make drops an empty one):
        # what facets of the run's events gave and the source since removed (a facet deleted
        # or listing none) is written empty — the user of removed owners, tags, properties,
        # the commit of a sourceCodeLocation deleted or naming no sha
        given = r.facets.keys() | r.job_facets.keys()  # facets kept, maybe deleted or empty
        gone = [k for k, empty in (
            ("user", owners is not None and user is None),
            ("commit", sha is None and "sourceCodeLocation" in given),
            ("tags", not tags and "tags" in given),
            ("properties", not props and bool(given - {"tags", "parent"}))) if empty]
        if gone:
            stored = ctx.store.get_node(rid)
            cleared: dict[str, Any] = {k: None if k in ("user", "commit") else {} for k in gone
                                      if stored is not None and stored.attrs.get(k)}
            if cleared:
                node = Node.trusted(NodeKind.RUN, rid, {**node.attrs, **cleared})
        yield node
        if sha:
            yield Edge.make(EdgeKind.CODE, ids.commit_id(sha), rid)
        parent = r.facets.get("parent")
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict) \
                and isinstance(parent["run"].get("runId"), str):
            pjob = parent.get("job") if isinstance(parent.get("job"), dict) else {}
            up = ids.run_id(NAME, run_key(parent["run"]["runId"]))
            yield Edge.make(EdgeKind.UPSTREAM_RUN, up, rid,
                            relation="parent",
                            job=f"{pjob.get('namespace')}/{pjob.get('name')}" if pjob else None)
        for (ns, name), facets in sorted(r.inputs.items()):
            did, version_label, rel = self._dataset_id(ctx, r, "inputs", ns, name, facets)
            yield self._data_node(did, ns, name, version_label,
                                  self._data_facts(ctx, did, r, "inputs", ns, name, facets))
            yield Edge.make(EdgeKind.INPUT, did, rid, pin="weak" if version_label else "none",
                            digest=version_label, path=rel)
        for (ns, name), facets in sorted(r.outputs.items()):
            did, version_label, rel = self._dataset_id(ctx, r, "outputs", ns, name, facets)
            yield self._data_node(did, ns, name, version_label,
                                  self._data_facts(ctx, did, r, "outputs", ns, name, facets))
            yield Edge.make(EdgeKind.OUTPUT, rid, did, path=rel)

    def _dataset_id(self, ctx: HarvestContext, r: _Run, fld: str, ns: str, name: str,
                    facets: dict[str, Any]) -> tuple[str, str | None, str | None]:
        vf = facets.get("version")
        version = vf.get("datasetVersion") if isinstance(vf, dict) else None
        version = str(version) if version not in (None, "") else None
        rel = repo_path_of(ns, name, ctx.repo_path)
        if rel is None and _is_file(ns):
            rel = self._checkout_path(ctx, r, fld, ns, name)
        return ids.data_id(ns, name, version), version, rel

    def _checkout_path(self, ctx: HarvestContext, r: _Run, fld: str, ns: str,
                       name: str) -> str | None:
        """The repository path a file of another checkout of this repository is, when the run
        names this repository: its ``sourceCodeLocation`` ``repoUrl``, or, without one, its
        ``url`` (the spec's required field: the repository's URL, or a file's web URL on its
        git host, :func:`_repository_urls`), or a job namespace that is its URL
        (:class:`CheckoutPaths`). When the run names no repository, a path that would be one
        of this repository's is kept for a warning (:meth:`_unjoined`)."""
        if self._checkouts is None:  # looked up once a harvest
            self._checkouts = CheckoutPaths(ctx)
        code = r.job_facets.get("sourceCodeLocation")
        repo_url, url = (code.get("repoUrl"), code.get("url")) if isinstance(code, dict) \
            else (None, None)
        # the repoUrl, the facet's own word for the repository, decides when it is given
        given = isinstance(repo_url, str) and bool(repo_url.strip())
        urls = [*([repo_url] if given else _repository_urls(url)), r.job_namespace]
        rel = self._checkouts.resolve(urls, name)
        if rel is None and not self._checkouts.names_this_repository(urls) \
                and not _names_a_repository(repo_url, url):
            self._unjoined(r, fld, ns, name)
        return rel

    def _unjoined(self, r: _Run, fld: str, ns: str, name: str) -> None:
        """Keep for a warning an absolute path (or ``file:`` URI) that is no file of this
        machine and ends in a path DVC tracks in this repository, named by an event of this
        harvest of a run that names no repository: it is not joined (nothing is guessed), but
        it would be, had the run said which repository it ran (as the MLflow harvester warns
        for the same case). One warning per path and harvest, however many runs name it."""
        named = r.named.get((fld, ns, name))
        assert self._checkouts is not None
        if named is None:  # named by events of earlier harvests only: told then
            return
        where = named[1]
        ending = self._checkouts.ending(name)
        raw = unquote(urlsplit(name).path) if name.startswith("file:") else name
        if ending is None or Path(raw).exists():  # a shared drive: the file is here
            return
        kept = self._foreign.get((fld, name))
        if kept is None:
            self._foreign[(fld, name)] = [r, *where, ending, 1]
        else:
            kept[-1] += 1

    def _tell_unjoined(self, ctx: HarvestContext) -> None:
        for (fld, name), (r, file, line, at, ending, runs) in self._foreign.items():
            rid = ids.run_id(NAME, r.run_id)
            more = f" (and {runs - 1} other run{'s' if runs > 2 else ''})" if runs > 1 else ""
            ctx.report.warn(
                NAME, f"{rid}{more} {'reads' if fld == 'inputs' else 'writes'} {name}, which "
                "is no file of this repository nor of this machine (its run names no "
                "repository: no sourceCodeLocation.repoUrl, and neither a sourceCodeLocation"
                f".url nor the job namespace {r.job_namespace!r} is this repository's URL), so it "
                f"is not taken for {ending}: it is joined to no DVC version here, as it may be "
                "on the machine that wrote it; send the sourceCodeLocation facet with "
                "repoUrl set to this repository's remote URL (or its url to a file of it on "
                "the git host), or name files relative to the repository",
                file=file, line=line, field=at)

    def _data_facts(self, ctx: HarvestContext, did: str, r: _Run, fld: str, ns: str,
                    name: str, facets: dict[str, Any]) -> dict[str, str]:
        """A data node's properties from its dataset facets (:data:`DATASET_FACTS`): each fact
        is that of the latest event (by ``eventTime``) that gave the dataset its facet, among
        this run's, the other runs' of this harvest and those the store holds from earlier
        harvests; its time is kept beside it (``<fact>_at``), so a late event of an older run
        changes nothing. A facet deleted (``_deleted: true``) clears its fact (owners: ``[]``);
        an event without the facet keeps it. The store replaces a node's properties whole:
        every fact is written again with each."""
        seen = self._facts_seen.get(did)
        if seen is None:  # looked up once a harvest, even when the store holds none
            stored = ctx.store.get_node(did)
            stored_props = (stored.attrs.get("properties") or {}) if stored else {}
            seen = {}
            for fact in DATASET_FACTS.values():
                at_text = stored_props.get(f"{fact}_at")
                try:
                    at = _when(at_text) if isinstance(at_text, str) else _NEVER
                except ValueError:
                    at = _NEVER
                kept = stored_props.get(fact)
                if kept is not None and fact == "owners":
                    kept = dump_owners(load_owners(kept))
                seen[fact] = (at, None if kept is None else str(kept))
        for facet, fact in DATASET_FACTS.items():
            if facet not in facets:
                continue
            value = _dataset_fact(facet, facets[facet])
            if value is _SILENT:
                continue
            new = (_when(r.facet_times[(fld, ns, name, facet)]), value)
            # the value breaks a tie, as in _later; a cleared fact ("") loses it
            if (new[0], new[1] or "") >= (seen[fact][0], seen[fact][1] or ""):
                seen[fact] = new
        self._facts_seen[did] = seen
        props: dict[str, str] = {}
        for fact, (at, value) in seen.items():
            if value is not None:
                props[fact] = value
            if at != _NEVER:
                props[f"{fact}_at"] = str(utc_iso(at))
        return props

    @staticmethod
    def _data_node(did: str, ns: str, name: str, version: str | None,
                   props: dict[str, str]) -> Node:
        return Node.make(NodeKind.DATA, did, path=name, namespace=ns, hash=version,
                         hash_kind="openlineage-version" if version else None, properties=props)


_SILENT: Any = object()  # a facet that says nothing of its fact (not understood)


def _dataset_fact(facet: str, value: Any) -> Any:
    """The fact (a data node property's value) a dataset facet gives: None when the facet is
    deleted (``_deleted: true``) or lists no owner — the fact is removed (owners: ``[]``) —,
    :data:`_SILENT` when it says nothing of it (not an object, no ``uri`` / ``fields``)."""
    if facet == "ownership":
        owners = _owners(value)
        return _SILENT if owners is None else dump_owners(owners)
    if isinstance(value, dict) and value.get("_deleted") is True:
        return None
    if facet == "dataSource":
        if isinstance(value, dict) and isinstance(value.get("uri"), str):
            return ids.strip_credentials(value["uri"])
        return _SILENT
    if isinstance(value, dict) and isinstance(value.get("fields"), list):  # schema
        return ",".join(str(f.get("name")) for f in value["fields"]
                        if isinstance(f, dict))[:1000]
    return _SILENT


CHUNK = 1 << 18  # bytes read at a time from a .json file (a few times that held while read)
_BOM = codecs.BOM_UTF8
_JSON_SPACE = " \t\n\r"


def _hash_prefix(f: BinaryIO, h: Any, size: int) -> int:
    """Feed the first ``size`` bytes of ``f`` (fewer when it is shorter) to hash ``h``; the
    bytes fed."""
    done = 0
    while done < size:
        chunk = f.read(min(CHUNK, size - done))
        if not chunk:
            break
        h.update(chunk)
        done += len(chunk)
    return done


class _BadJson(Exception):
    """Not valid JSON: ``msg`` as :mod:`json` says it, at ``line`` of the file."""

    def __init__(self, msg: str, line: int) -> None:
        super().__init__(msg)
        self.msg, self.line = msg, line


class _NotText(Exception):
    """Not UTF-8: the message ``bytes.decode("utf-8-sig")`` of the whole file gives."""


class _JsonStream:
    """A ``.json`` file read a piece at a time (:data:`CHUNK` bytes): its values parsed one
    at a time by :mod:`json` (``raw_decode``), with the messages and line numbers
    ``json.loads`` of the whole file gives, so a list of events is never held whole.
    ``buf[pos:]`` is the text not parsed yet; ``lines`` the line breaks before ``buf``."""

    def __init__(self, f: BinaryIO, chunk: int = CHUNK) -> None:
        self.f, self.chunk = f, chunk
        self.buf, self.pos, self.lines = "", 0, 0
        self.read = 0  # bytes read
        self.eof = False
        self._carry = b""  # the bytes of a character cut by the end of a piece
        self._started = False  # the BOM, if any, is dropped
        self._decoded = 0  # bytes decoded, after the BOM (the positions decode errors name)
        self._decoder = json.JSONDecoder()

    def more(self, at_least: int = 0) -> bool:
        """Read at least ``at_least`` more characters (a piece at the least), unless the file
        ends; False at its end. What is parsed is dropped first."""
        if self.eof:
            return False
        if self.pos:
            self.lines += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos:], 0
        parts, got = [self.buf], 0
        while got < max(at_least, 1) and not self.eof:
            data = self.f.read(max(self.chunk, at_least - got))
            self.read += len(data)
            final = not data
            data = self._carry + data
            if not self._started:  # the file's first bytes: a BOM (PowerShell, Notepad)?
                if not final and len(data) < len(_BOM) and _BOM.startswith(data):
                    self._carry = data
                    continue
                data = data[len(_BOM):] if data.startswith(_BOM) else data
                self._started = True
            try:
                text, used = codecs.utf_8_decode(data, "strict", final)
            except UnicodeDecodeError as exc:
                raise _NotText(_decode_error(exc, self._decoded)) from None
            self._carry = data[used:]
            self._decoded += used
            self.eof = final
            parts.append(text)
            got += len(text)
        self.buf = "".join(parts)
        return True

    def skip(self) -> str | None:
        """Skip JSON white space; the next character, None at the end of the file."""
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in _JSON_SPACE:
                self.pos += 1
            if self.pos < n:
                return self.buf[self.pos]
            if not self.more():
                return None

    def value(self) -> Any:
        """The JSON value at ``pos`` (after white space), read further while the text read
        may cut it short."""
        want = self.chunk
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # cut short by the end of what is read, or wrong whatever follows?
                cut = exc.pos >= len(self.buf) - 12 or exc.msg.startswith("Unterminated")
                if self.eof or not cut:
                    raise _BadJson(exc.msg, self.lines + exc.lineno) from None
            else:
                if end < len(self.buf) or self.eof:  # a number may go on
                    self.pos = end
                    return value
            self.more(want)
            want *= 2

    def items(self) -> Iterator[Any]:
        """The items of the list whose ``[`` was read, one at a time."""
        if self.skip() == "]":
            self.pos += 1
        else:
            while True:
                if self.skip() is None:
                    raise self.error("Expecting value")
                yield self.value()
                c = self.skip()
                self.pos += 1
                if c == "]":
                    break
                if c != ",":
                    self.pos -= 1
                    raise self.error("Expecting ',' delimiter")
        if self.skip() is not None:
            raise self.error("Extra data")

    def error(self, msg: str) -> _BadJson:
        return _BadJson(msg, self.lines + self.buf.count("\n", 0, self.pos) + 1)


def _decode_error(exc: UnicodeDecodeError, offset: int) -> str:
    """``str(exc)`` of an error ``offset`` bytes into what was decoded: what decoding it all
    at once says."""
    start, end = exc.start + offset, exc.end + offset
    if end - start == 1:
        return (f"'{exc.encoding}' codec can't decode byte 0x{exc.object[exc.start]:02x} in "
                f"position {start}: {exc.reason}")
    return f"'{exc.encoding}' codec can't decode bytes in position {start}-{end - 1}: {exc.reason}"


def lifecycle(events: Iterable[tuple[datetime, str]]
              ) -> tuple[str, datetime | None, datetime | None]:
    """(status, start, end) of a run from its state events ``(eventTime, eventType)``, in any
    order (Marquez: a run is never shown running once it has ended, whatever came last).

    * status: the latest terminal event's (COMPLETE / FAIL / ABORT); without one, the furthest
      state reached (RUNNING or OTHER after START), the latest of those;
    * end: the time of that terminal event;
    * start: the earliest START; without one (a task that failed before sending it), or when
      every START is later than the end (a START re-sent after the run ended, with the time of
      the retry), the earliest event's time.
    """
    evs = sorted(set(events))
    if not evs:
        raise ValueError("a run needs at least one event")
    ends = [e for e in evs if e[1] in TERMINAL]
    end = max(ends, key=lambda e: (e[0], _TIE[e[1]])) if ends else None
    status = end[1] if end else max(evs, key=lambda e: (_ORDER[e[1]], e[0], _TIE[e[1]]))[1]
    starts = [t for t, kind in evs if kind == "START" and (end is None or t <= end[0])]
    start = min(starts) if starts else evs[0][0]
    return status, start, end[0] if end else None


class CheckoutPaths:
    """Files of another checkout of this repository (a CI job's, another machine's): the
    repository path ``/home/runner/work/churn/churn/data/train.csv`` is, when the source
    that names it says it ran this repository's code — one of the URLs it gives (an
    OpenLineage ``sourceCodeLocation`` ``repoUrl`` or ``url``, or job namespace, an MLflow
    run's ``mlflow.source.git.repoURL``) is the harvested repository's (the store's node for this
    checkout, as the git harvester names it now, else the store's only one) — and the path
    ends in a path DVC tracks in it (a file, or one inside a tracked directory): the longest
    such ending. Nothing is guessed otherwise: not across repositories, not for a file DVC
    does not track. The store is read once per instance (one a harvest)."""

    def __init__(self, ctx: HarvestContext) -> None:
        self.ctx = ctx
        self._this_repo: str | None = None  # "" when the store holds none or several
        self._tracked: set[str] | None = None

    def repository(self) -> str:
        """The harvested repository's id ("" when the store cannot say which it is)."""
        if self._this_repo is None:
            repos = list(self.ctx.store.iter_nodes(NodeKind.REPOSITORY))
            # the checkout's (the git harvester keeps its path on the node it names now: an
            # identity left behind when a remote was added keeps none), else the only one
            here = [n.id for n in repos if n.attrs.get("path") == str(self.ctx.repo_path)]
            self._this_repo = (here[0] if len(here) == 1 else
                               repos[0].id if len(repos) == 1 else "")
        return self._this_repo

    def names_this_repository(self, urls: Iterable[Any]) -> bool:
        """Whether one of ``urls`` (remote URLs, scp-like or not) is this repository's."""
        repo = self.repository()
        return bool(repo) and any(isinstance(u, str) and u.strip() and _same_repo(u, repo)
                                  for u in urls)

    def resolve(self, urls: Iterable[Any], name: str) -> str | None:
        """The repository path the absolute path (or ``file:`` URI) ``name`` of another
        checkout is, when one of ``urls`` names this repository; else None."""
        return self.ending(name) if self.names_this_repository(urls) else None

    def ending(self, name: str) -> str | None:
        """The longest ending of the absolute path (or ``file:`` URI) ``name`` that is a path
        DVC tracks in this repository (or a file inside a tracked directory), whoever names
        it; None when there is none (or the repository is not known)."""
        if not self.repository():
            return None
        if self._tracked is None:
            self._tracked = {str(p) for (p,) in self.ctx.store.conn.execute(
                "SELECT DISTINCT json_extract(attrs, '$.path') FROM nodes WHERE kind = 'data' "
                "AND json_extract(attrs, '$.repository') = ? AND "
                "json_extract(attrs, '$.hash') LIKE 'md5:%'", (self.repository(),)) if p}
        raw = unquote(urlsplit(name).path) if name.startswith("file:") else name
        parts = raw.split("/")
        if not raw.startswith("/") or any(p in (".", "..") for p in parts):
            return None
        parts = [p for p in parts if p]
        for i in range(len(parts)):  # the longest ending first
            if any("/".join(parts[i:j]) in self._tracked for j in range(i + 1, len(parts) + 1)):
                return "/".join(parts[i:])
        return None


def _is_file(namespace: str) -> bool:
    """The namespace of local files: ``file``, or ``file://<host>``."""
    ns = namespace.strip()
    return ns == "file" or ns.startswith("file:")


# the path segment a git host's web URL of a file, folder or commit puts after the
# repository's path: GitHub ``/blob/<ref>/<path>``, ``/tree/…``, ``/raw/…``, ``/blame/…``,
# ``/commit/<sha>``; GitLab ``/-/blob/…``; Bitbucket, Gitea and Gogs ``/src/<ref>/<path>``
_WEB_SEGMENTS = frozenset({"blob", "tree", "raw", "blame", "commit", "commits", "src", "-"})


def _repository_urls(url: Any) -> list[str]:
    """The URLs of the repository a ``sourceCodeLocation.url`` may name: the URL itself (a
    repository's, ``https://github.com/acme/churn``), and, for a web URL of a file on a git
    host (the spec's "full http URL to locate the file":
    ``https://github.com/acme/churn/blob/<sha>/dags/train.py``), its part before each segment
    such a URL puts after the repository's path (:data:`_WEB_SEGMENTS`; each is tried, since
    a repository path may hold such a name: a GitLab group called ``src``). Compared with this
    repository only (:meth:`CheckoutPaths.names_this_repository`), never stored."""
    if not isinstance(url, str) or not url.strip():
        return []
    text = url.strip()
    if "://" not in text:
        return [text]
    parts = urlsplit(text)
    segments = parts.path.split("/")
    # "", owner, name, then the marker at the earliest: a repository has at least two parts
    return [text, *(f"{parts.scheme}://{parts.netloc}{'/'.join(segments[:i])}"
                    for i in range(3, len(segments)) if segments[i] in _WEB_SEGMENTS)]


def _names_a_repository(repo_url: Any, url: Any) -> bool:
    """Whether a ``sourceCodeLocation`` names some repository: it has a ``repoUrl``, or a
    ``url`` that is a git remote (``….git``) or a file's web URL on a git host."""
    if isinstance(repo_url, str) and repo_url.strip():
        return True
    return isinstance(url, str) and (url.strip().rstrip("/").endswith(".git")
                                     or len(_repository_urls(url)) > 1)


def _same_repo(url: str, repo: str) -> bool:
    """Whether ``url`` (a remote URL, scp-like or not) names repository ``repo`` (its id):
    hosts compare without case, and so do paths (GitHub and GitLab ignore their case)."""
    key = ids.repo_key(repo)
    return "/" in key and ids.normalize_repo_url(url).casefold() == key.casefold()


def _given(edge: Edge, rid: str) -> bool:
    """Whether ``edge`` of run ``rid`` is one this harvester gives (not one ``joins`` adds:
    a CODE edge from an abbreviated sha carries ``abbrev``, a strong pin ``via``)."""
    if edge.source == rid and edge.target != rid:  # a parent loop is the run's own edge too
        return edge.kind == EdgeKind.OUTPUT
    if edge.kind == EdgeKind.CODE:
        return "abbrev" not in edge.attrs
    if edge.kind == EdgeKind.UPSTREAM_RUN:
        return edge.attrs.get("relation") == "parent"
    return edge.kind == EdgeKind.INPUT and "via" not in edge.attrs


def run_key(run_id: str) -> str:
    """The run a ``runId`` names: a UUID in its canonical form, lower case and hyphenated
    (UUIDs are case-insensitive, RFC 9562 §4, and some producers upper-case them or send
    ``uuid4().hex``, without hyphens), any other id as written."""
    return str(uuid.UUID(run_id)) if _UUID.fullmatch(run_id) else run_id


def _dataset_key(fld: str, namespace: str, name: str, facet: str) -> str:
    """The field key of a dataset's facet (``facet`` "" marks the dataset itself). The
    namespace and name lose credentials (:func:`_scrub`): a producer that names its datasets
    with its connection string (``postgres://etl:<password>@db:5432``) would put the password
    in the data node's id, everything that names it, and the cache."""
    return json.dumps([fld, _scrub_name(namespace), _scrub_name(name), facet])


def _later(a: list[Any], b: list[Any]) -> bool:
    """Whether field ``a`` (``[eventTime, rank, value]``) wins over ``b``: the later event, then
    the further state; the value itself breaks a tie, so the answer never depends on the order
    read."""
    ka, kb = (_when(a[0]), int(a[1])), (_when(b[0]), int(b[1]))
    if ka != kb:
        return ka > kb
    return json.dumps(a[2], sort_keys=True) > json.dumps(b[2], sort_keys=True)


@lru_cache(maxsize=4096)
def _when(text: str) -> datetime:
    return parse_time(text)


def _scrub(value: Any) -> Any:
    """``value`` with every URL in its strings minus ``user:password@`` and secret query
    values (:func:`lineage.ids.strip_credentials`): a CI checkout's remote in
    ``sourceCodeLocation``, a connection string in an error message."""
    if isinstance(value, str):
        return ids.strip_credentials_in_text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def _scrub_name(value: str) -> str:
    """A namespace or name (a job's, a dataset's) without credentials: those of the URLs it
    holds (:func:`_scrub`), and the values of secret query and fragment parameters when it is
    no URL itself — a job namespace ``ci?token=…``, a presigned S3 object named under the
    bucket's namespace ``churn/x.csv?X-Amz-Credential=…&X-Amz-Signature=…`` — replaced by
    ``REDACTED`` as :func:`lineage.ids.strip_credentials` does. Idempotent."""
    value = _scrub(value)
    head, q, tail = value.partition("?")
    query, hash_, fragment = tail.partition("#")
    if not q and "=" not in fragment:
        return value
    return (f"{head}{q}{_redact_params(query) if q else ''}"
            f"{hash_}{_redact_params(fragment) if '=' in fragment else fragment}")


def _clean(field: str, value: Any) -> Any:
    """A run field's value as kept (cache, node, edges): no credentials (:func:`_scrub`);
    the job's, the parent job's and the root job's namespace and name also lose secret query
    parameters (:func:`_scrub_name`)."""
    value = _scrub(value)
    if field == "job" and isinstance(value, list):
        return [_scrub_name(v) if isinstance(v, str) else v for v in value]
    if field == "run.parent" and isinstance(value, dict):
        return _clean_jobs(value)
    return value


def _clean_jobs(facet: dict[str, Any]) -> dict[str, Any]:
    """A parent run facet with the names of its ``job`` and its ``root`` run's ``job``
    cleaned by :func:`_scrub_name`."""
    out = dict(facet)
    if isinstance(out.get("job"), dict):
        out["job"] = {k: _scrub_name(v) if k in ("namespace", "name") and isinstance(v, str)
                      else v for k, v in out["job"].items()}
    if isinstance(out.get("root"), dict):
        out["root"] = _clean_jobs(out["root"])
    return out


def _is_run_event(event: dict[str, Any]) -> bool:
    """A RunEvent (which must name its run), not a JobEvent / DatasetEvent: it has an
    ``eventType``, or its ``schemaURL`` names the RunEvent definition. Static lineage events
    have neither (and a DatasetEvent has no ``job``)."""
    schema = event.get("schemaURL")
    if isinstance(schema, str) and schema.endswith(("/RunEvent", "#/$defs/RunEvent")):
        return True
    if isinstance(schema, str) and schema.endswith(("/JobEvent", "/DatasetEvent")):
        return False
    return "eventType" in event or not isinstance(event.get("job"), dict)


def _tags(facets: dict[str, Any]) -> dict[str, str]:
    t = facets.get("tags")
    out: dict[str, str] = {}
    if isinstance(t, dict) and isinstance(t.get("tags"), list):
        for item in t["tags"]:
            if isinstance(item, dict) and item.get("key") is not None:
                out[str(item["key"])] = str(item.get("value", ""))
    return out


def _owners(facet: Any) -> list[dict[str, str | None]] | None:
    """The ``owners`` of an ownership facet (job or dataset), in the facet's order, each
    ``{"name", "type"}`` (type None when not given); None when there is no such facet (an event
    that omits it says nothing of the owners), ``[]`` when it lists none or is deleted (the
    spec's ``_deleted: true``): they were removed."""
    if isinstance(facet, dict) and facet.get("_deleted") is True:
        return []
    items = facet.get("owners") if isinstance(facet, dict) else None
    if not isinstance(items, list):
        return None
    out: list[dict[str, str | None]] = []
    for o in items:
        name = o.get("name") if isinstance(o, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        kind = o.get("type")
        item = {"name": name.strip(),
                "type": kind.strip() if isinstance(kind, str) and kind.strip() else None}
        if item not in out:
            out.append(item)
    return out


def _person(owner: dict[str, str | None]) -> str | None:
    """The person an owner is: the name without ``user:`` (the spec's recommended
    ``user:jdoe``, DataHub's ``urn:li:corpuser:jdoe``), or a plain name or email; None for a
    team, group or application (``team:data``, ``application:etl``)."""
    name = owner.get("name") or ""
    for prefix in ("user:", "urn:li:corpuser:"):
        if name.lower().startswith(prefix):
            return name[len(prefix):].strip() or None
    return name if name and ":" not in name else None


_OWNER_LABEL = re.compile(r"^(?P<name>.+?) \((?P<type>[^()]*)\)$")


def dump_owners(owners: list[dict[str, str | None]]) -> str:
    """``properties.owners`` as kept: the owners as a JSON list of ``{"name", "type"}``, so a
    name holding ``, `` or parentheses reads back as the one owner it is."""
    return json.dumps(owners, ensure_ascii=False)


def load_owners(value: Any) -> list[dict[str, str | None]]:
    """The owners ``properties.owners`` holds: the JSON list :func:`dump_owners` writes, or the
    ``name (TYPE), …`` text stores harvested before it (parser version < 8) hold."""
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return _owners({"owners": items}) or []
    out: list[dict[str, str | None]] = []
    for label in text.split(", ") if text else []:
        m = _OWNER_LABEL.match(label.strip())
        name, kind = (m["name"], m["type"]) if m else (label, None)
        if name.strip():
            out.append({"name": name.strip(), "type": (kind or "").strip() or None})
    return out


def owner_label(owner: dict[str, str | None]) -> str:
    """An owner as people read it: ``name (TYPE)``, or the name alone."""
    return f"{owner['name']} ({owner['type']})" if owner.get("type") else str(owner["name"])


def repo_path_of(namespace: str, name: str, repo_root: Path) -> str | None:
    """The path inside the repository a dataset names, if any.

    OpenLineage names local files with namespace ``file`` (or ``file://<host>``) and the
    absolute path as the name; a relative name is taken from the repository root. The file
    itself is not resolved: a file DVC checked out as a symlink into its cache
    (``cache.type: symlink``) is the path the run named, not the cache file it links to; its
    folders are (a repository reached through a symlinked folder).
    """
    if not _is_file(namespace):
        return None
    raw = unquote(urlsplit(name).path) if name.startswith("file:") else name
    p = Path(raw)
    full = Path(os.path.abspath(p if p.is_absolute() else Path(os.path.abspath(repo_root)) / p))
    text = relative_to_repo(repo_root, full)
    return None if text in (None, "", ".") else text


__all__ = ["CheckoutPaths", "OpenLineageHarvester", "dump_owners", "lifecycle", "load_owners", "owner_label",
           "parse_time", "repo_path_of", "run_key"]
