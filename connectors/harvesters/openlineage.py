"""OpenLineage harvester: RunEvents from JSON / JSONL files (what Airflow, Spark, dbt, Dagster
and ``openlineage-python``'s file transport write).

Where: ``openlineage.paths`` in ``lineage.yaml`` (files or folders, relative to the repository
root; default ``openlineage/``; in folders, files ending ``.json``, ``.jsonl``, ``.ndjson``,
``.log`` or with no extension). A ``.json`` file holds one event or a list of events; any other
file (``.jsonl``, ``.ndjson``, the file transport's append log) holds one event per line.

What it yields:

* ``run:openlineage:<runId>`` per run, merging its START / RUNNING / COMPLETE / FAIL / ABORT
  events: status (the latest state; a terminal state is never overwritten by an earlier one),
  start and end times, job (``namespace/name``), run and job tags;
* the job facet ``sourceCodeLocation``'s ``version`` (a git sha) → CODE edge from that commit;
* the run facet ``parent`` → UPSTREAM_RUN edge from the parent run;
* input / output datasets → data nodes ``data:<namespace>:<name>@<version>`` (the ``version``
  dataset facet's ``datasetVersion``, or ``unversioned``) with INPUT / OUTPUT edges; an input
  with a version is a *weak* pin (the producer's version label, not a content hash). A dataset
  that is a file inside this repository carries its repository ``path`` on the edge, so the
  ``joins`` step can add the *strong* pin from DVC's data node.

Malformed events are warnings naming the file and line; they never stop the harvest. A
RunEvent (it has an ``eventType``) without ``run`` or ``run.runId`` is one; a ``runId`` that is
not a UUID, as the spec requires, is a warning but the event is kept.
Incremental: files whose size and modification time have not changed are not read again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from lineage import ids
from lineage.model import Edge, EdgeKind, Node, NodeKind

if TYPE_CHECKING:
    from lineage.plugins import HarvestContext

NAME = "openlineage"
TERMINAL = ("COMPLETE", "FAIL", "ABORT")
_ORDER = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")
# files read in a folder (a file named in openlineage.paths is read whatever its name)
EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log", "")


@dataclass
class _Run:
    run_id: str
    job_namespace: str = ""
    job_name: str = ""
    events: list[tuple[datetime, str]] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)
    inputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    producer: str | None = None


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("eventTime is not a string")
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"eventTime {value!r} has no time zone")
    return t


class OpenLineageHarvester:
    """Harvest OpenLineage RunEvent files (see the module docstring)."""

    name: ClassVar[str] = NAME

    def _roots(self, ctx: HarvestContext) -> list[Path]:
        roots = []
        for p in ctx.config.openlineage.paths:
            path = Path(p)
            roots.append(path if path.is_absolute() else ctx.repo_path / path)
        return roots

    def enabled(self, ctx: HarvestContext) -> bool:
        return any(r.exists() for r in self._roots(ctx))

    def files(self, ctx: HarvestContext) -> list[Path]:
        out: list[Path] = []
        for root in self._roots(ctx):
            if root.is_file():
                out.append(root)
            elif root.is_dir():
                out += sorted(p for p in root.rglob("*") if p.is_file()
                              and p.suffix.lower() in EVENT_SUFFIXES
                              and not any(part.startswith(".") for part in
                                          p.relative_to(root).parts))
        return out

    def harvest(self, ctx: HarvestContext) -> Iterator[Node | Edge]:
        raw = ctx.watermark("files")
        seen: dict[str, str] = json.loads(raw) if raw else {}
        now: dict[str, str] = {}
        runs: dict[str, _Run] = {}
        files = self.files(ctx)
        for i, path in enumerate(files, 1):
            key = self._key(ctx, path)
            st = path.stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
            now[key] = stamp
            if seen.get(key) != stamp:
                for line, event in self._events(ctx, path, key):
                    self._add(ctx, runs, event, key, line)
            ctx.progress("openlineage files", i, len(files))
        for run in runs.values():
            yield from self._emit(ctx, run)
        if now != seen:
            ctx.set_watermark("files", json.dumps(now, sort_keys=True))

    @staticmethod
    def _key(ctx: HarvestContext, path: Path) -> str:
        try:
            return path.resolve().relative_to(ctx.repo_path.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def _events(self, ctx: HarvestContext, path: Path,
                key: str) -> Iterator[tuple[int | None, Any]]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            ctx.report.warn(NAME, f"cannot read: {exc}", file=key)
            return
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                if exc.msg != "Extra data":
                    ctx.report.warn(NAME, f"not valid JSON: {exc.msg}", file=key,
                                    line=exc.lineno)
                    return
                # one event per line in a .json file: read it as JSONL
            else:
                for item in data if isinstance(data, list) else [data]:
                    yield None, item
                return
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                ctx.report.warn(NAME, f"not valid JSON: {exc.msg}", file=key, line=n)

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
        if not _UUID.match(run["runId"]):  # the spec says UUID; producers that differ still ran
            bad(f"run.runId {run['runId']!r} is not a UUID (the OpenLineage spec requires one)",
                "run.runId")
        if not isinstance(job, dict) or not isinstance(job.get("namespace"), str) \
                or not isinstance(job.get("name"), str):
            return bad("missing job.namespace / job.name", "job")
        try:
            at = parse_time(event.get("eventTime"))
        except ValueError as exc:
            return bad(f"bad eventTime: {exc}", "eventTime")
        etype = event.get("eventType") or "OTHER"
        if etype not in _ORDER:
            return bad(f"unknown eventType {etype!r}", "eventType")
        r = runs.setdefault(run["runId"], _Run(run["runId"]))
        r.job_namespace, r.job_name = job["namespace"], job["name"]
        r.events.append((at, etype))
        r.producer = event.get("producer") or r.producer
        for src, dst in ((run.get("facets"), r.facets), (job.get("facets"), r.job_facets)):
            if isinstance(src, dict):
                dst.update(src)
        for fld, target in (("inputs", r.inputs), ("outputs", r.outputs)):
            items = event.get(fld) or []
            if not isinstance(items, list):
                bad(f"{fld} must be a list", fld)
                continue
            for j, ds in enumerate(items):
                if not isinstance(ds, dict) or not isinstance(ds.get("namespace"), str) \
                        or not isinstance(ds.get("name"), str):
                    bad("dataset without namespace / name", f"{fld}[{j}]")
                    continue
                merged = target.setdefault((ds["namespace"], ds["name"]), {})
                for facet_key in ("facets", "inputFacets", "outputFacets"):
                    if isinstance(ds.get(facet_key), dict):
                        merged.update(ds[facet_key])

    def _emit(self, ctx: HarvestContext, r: _Run) -> Iterator[Node | Edge]:
        rid = ids.run_id(NAME, r.run_id)
        r.events.sort(key=lambda e: (e[0], _ORDER[e[1]]))
        starts = [t for t, kind in r.events if kind == "START"]
        ends = [t for t, kind in r.events if kind in TERMINAL]
        status = max(r.events, key=lambda e: (_ORDER[e[1]], e[0]))[1]
        stored = ctx.store.get_node(rid)
        if stored is not None and stored.attrs.get("status") in TERMINAL \
                and status not in TERMINAL:
            status = stored.attrs["status"]  # a late START file never reopens a finished run
        start = min(starts) if starts else None
        if stored is not None and start is not None and stored.attrs.get("start_time"):
            start = min(start, parse_time(stored.attrs["start_time"]))
        code = r.job_facets.get("sourceCodeLocation") or {}
        version = code.get("version") if isinstance(code, dict) else None
        sha = version.lower() if isinstance(version, str) and _SHA.match(version) else None
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
        tags = _tags(r.facets) | _tags(r.job_facets)
        yield Node.make(
            NodeKind.RUN, rid, source=NAME, run_id=r.run_id, name=r.job_name,
            job=f"{r.job_namespace}/{r.job_name}", status=status, start_time=start,
            end_time=max(ends) if ends else None, commit=sha, tags=tags, properties=props,
        )
        if sha:
            yield Edge.make(EdgeKind.CODE, ids.commit_id(sha), rid)
        parent = r.facets.get("parent")
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict) \
                and isinstance(parent["run"].get("runId"), str):
            pjob = parent.get("job") if isinstance(parent.get("job"), dict) else {}
            yield Edge.make(EdgeKind.UPSTREAM_RUN, ids.run_id(NAME, parent["run"]["runId"]), rid,
                            relation="parent",
                            job=f"{pjob.get('namespace')}/{pjob.get('name')}" if pjob else None)
        for (ns, name), facets in sorted(r.inputs.items()):
            did, version_label, rel = self._dataset_id(ctx, ns, name, facets)
            yield self._data_node(did, ns, name, version_label, facets)
            yield Edge.make(EdgeKind.INPUT, did, rid, pin="weak" if version_label else "none",
                            digest=version_label, path=rel)
        for (ns, name), facets in sorted(r.outputs.items()):
            did, version_label, rel = self._dataset_id(ctx, ns, name, facets)
            yield self._data_node(did, ns, name, version_label, facets)
            yield Edge.make(EdgeKind.OUTPUT, rid, did, path=rel)

    @staticmethod
    def _dataset_id(ctx: HarvestContext, ns: str, name: str,
                    facets: dict[str, Any]) -> tuple[str, str | None, str | None]:
        vf = facets.get("version")
        version = vf.get("datasetVersion") if isinstance(vf, dict) else None
        version = str(version) if version not in (None, "") else None
        return ids.data_id(ns, name, version), version, repo_path_of(ns, name, ctx.repo_path)

    @staticmethod
    def _data_node(did: str, ns: str, name: str, version: str | None,
                   facets: dict[str, Any]) -> Node:
        props: dict[str, str] = {}
        src = facets.get("dataSource")
        if isinstance(src, dict) and isinstance(src.get("uri"), str):
            props["data_source"] = ids.strip_credentials(src["uri"])
        schema = facets.get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
            props["schema_fields"] = ",".join(
                str(f.get("name")) for f in schema["fields"] if isinstance(f, dict))[:1000]
        return Node.make(NodeKind.DATA, did, path=name, namespace=ns, hash=version,
                         hash_kind="openlineage-version" if version else None, properties=props)


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


def repo_path_of(namespace: str, name: str, repo_root: Path) -> str | None:
    """The path inside the repository a dataset names, if any.

    OpenLineage names local files with namespace ``file`` (or ``file://<host>``) and the
    absolute path as the name; a relative name is taken from the repository root.
    """
    ns = namespace.strip()
    if not (ns == "file" or ns.startswith("file:")):
        return None
    raw = unquote(urlsplit(name).path) if name.startswith("file:") else name
    p = Path(raw)
    root = repo_root.resolve()
    try:
        rel = (p if p.is_absolute() else root / p).resolve().relative_to(root)
    except ValueError:
        return None
    text = rel.as_posix()
    return None if text in ("", ".") else text


__all__ = ["OpenLineageHarvester", "parse_time", "repo_path_of"]
