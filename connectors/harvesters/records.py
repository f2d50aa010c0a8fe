"""Governance records harvester: YAML / JSON record files under ``governance/``.

Reads every ``*.yaml``, ``*.yml`` and ``*.json`` file under the configured folder
(``governance_dir`` in ``lineage.yaml``, default ``governance/``), validates each record
against its kind (:mod:`lineage.records`) and yields its nodes and edges.

All or nothing. Every file is parsed and validated *before* anything is yielded; the first
invalid file raises :class:`lineage.errors.InputError` naming file, line and field (with the
number of other invalid files), so ``lineage harvest`` exits 2 and the store stays exactly as
it was — no record from a bad file, and none from the good ones, is half-applied. A record id
claimed by two different records is an error for the same reason.

Records are immutable (DESIGN §3): a record whose node the store already holds — harvested
from an earlier version of the file, from a file since moved, or written by ``lineage
record`` — may complete it (fields it lacked) but not change it; a change is an error naming
file, line and field, as ``lineage record`` refuses it (:func:`lineage.records.recorded_clash`).
Where a record is written (``record_file``) is provenance and may change. A run recorded when
it started (RUNNING) is completed by the record of its end; the file written when it started
is its earlier state, not a change (:func:`lineage.records.run_clash_of`). The model versions
a run produced are compared with what records pinned of them, not with the versions' nodes,
whose artifact hash the DVC harvester rewrites with the artifact at the commit the GTO tag
names now: a registry naming other bytes than a run recorded (a tag moved since) is a warning,
said once, never a failed harvest (:func:`lineage.records.model_version_clashes`).

A store new to a record (a fresh clone's, a store rebuilt) judges it by its file's git
history instead, as a store that harvested each commit in turn would have
(:class:`_RecordHistory`): the versions of the file in HEAD's history, oldest first (renames in
the governance folder followed), the commit that first held the record recording it, later
ones completing it, by the same rules; the record as the file holds it now saying otherwise
about a recorded field fails the harvest the same way, naming the commit that recorded it and
the one that changed it. A record moved to another file in a way git does not follow as a
rename is judged by the file that first recorded it (the record files deleted since are read
too). A record a version of its file held and no record file holds now (removed, deleted with
its file, or edited without an ``id:``) is a warning: a store harvested before keeps it.

A document record pins the content of its file it was recorded with, never the file as it is
now: the ``content_hash`` it gives; else the hash the store holds for it (computed when it was
first recorded or harvested); else, harvested the first time, the file's content at the
commit that added the record to its record file (renames followed), or at the first later
commit holding the file when it was committed after the record — in a fresh clone too, where
the work tree holds the document's latest version. Only a record file not committed yet is
pinned to the work tree (the record is being written now). So an edited document never fails
a harvest, and every clone pins a record to the same content (the joins then add the
``commit → document`` *defines* edge from the first commit holding it). A new record whose
``content_hash`` no version of the file has, and a document in no commit since its record
nor the work tree (not pinned: the first harvest after it is committed pins it), are
warnings.

When git first held a record: the harvest that first writes a record (approval, deployment,
risk assessment, retraining, alert, document, run) to the store, from a file a commit
holds, keeps the commit that added it to the file — the one a document's pin is read at — on
the record's node: ``committed_at`` (its committer date) and ``committed_in`` (its sha): the
commit that introduced its content, since a record's content never changes after (a record
completed later, or edited and put back, keeps the commit that first held it). Only
then: a record the store already holds (recorded with ``lineage record``, or harvested
before) is not written again for it, so no existing record is rewritten and the store's own
writing stays its first evidence. Neither is part of the record's content, its id or its
immutability check; a record file not committed yet gives none. ``lineage show`` takes a
record as recorded at the earlier of this and the store's first writing of it (a fresh
clone's harvest writes every record long after it was committed).

A run's data ids embed the repository (``data:<repo key>:<path>@<hash>``): the one its record
names, else this repository as the git harvester names it now
(:func:`lineage.records.repository_of`). A repository without a remote is named by its root
commit, so a run file written then (``track_run``) names it ``root:<sha>``, and a remote
added later names it by the remote's URL everywhere else. A ``root:<sha>`` that is this
repository's former name (:class:`_RepositoryNames`: the commit is one of this repository's —
evidence every full clone holds —, or the store harvested it as this repository's) is read as
the name it has now, so the run reads and writes the data the DVC harvester names, in a store
that saw the identity move and in a fresh clone alike; the file is never rewritten. A shallow
clone that does not hold that commit cannot tell, and says so. The runs the store holds with
data under a former name — harvested before the move, or recorded into the store alone —
move as the DVC harvester's facts move (:func:`_moved_runs`): their edges are stated from the
data named now and withdrawn from the former one, whose node is withdrawn too when only runs
described it.

Incremental: parsed records are cached by the file's git blob hash, so an unchanged file is
never parsed (nor checked against the store) twice; facts that did not change write nothing
(and no event). A file that only grew by list items appended to the version last read (a CD
job appending each approval to one file) has only those items parsed and checked: the start
of the file is that version byte for byte, whose records are cached
(:meth:`RecordsHarvester._appended`); anything else — a record edited before the end, a line
continuing the last record, an anchor or alias, an item that does not parse apart — has the
whole file read, as before.

When git first held a run record: a run harvested from a committed file keeps the commit that
added it as the governance records do (``committed_in``/``committed_at``; a run completed
later, its end written into the file of its start, keeps the commit of its start). A run
``lineage record run`` wrote to the store first (``--write-file``, committed after) keeps the
store's writing, as any record the store already holds.

A governance folder that is a symbolic link (``governance -> compliance/records``) is named,
in what a sparse checkout left out and in its fix, by the folder the link names: git's sparse
patterns match the paths its index holds, where the link is a file
(:func:`checkout_folder`).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import subprocess
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from lineage.audit.index import CHECKOUT_WATERMARK, Checkout, Unheld, parse_checkout
from lineage.errors import InputError
from lineage.gitfiles import git_dirs
from lineage.ids import repo_key, root_commit_of
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.plugins import HarvestContext
from lineage.records import (
    RUN_SOURCE,
    DeploymentRecord,
    DocumentRecord,
    KnownNames,
    LoadedRecord,
    RunRecord,
    as_one_fact,
    canonical,
    check_document,
    conflict_error,
    credentials_removed,
    credentials_warning,
    deployments_with_ids,
    document_hash,
    document_path,
    failed_run_warning,
    foreign_correction,
    keep_recorded_versions,
    line_in,
    node_id_of,
    not_records,
    parse_file,
    parse_text,
    produced_twice,
    record_files,
    recorded_clash_of,
    recorded_conflict,
    registry_disagreements,
    repository_of,
    run_clash_of,
    run_merged,
    run_progress,
    run_record_merged,
    said_otherwise,
    same_named_files,
    stored_node_id,
    to_facts,
    unknown_names,
    validate_data,
    with_aliases,
)
from lineage.runtime import gc_paused
from lineage.serialize import utc_iso
from lineage.store import NodeWithdrawal, Withdrawal
from lineage.yamlpos import may_hold_anchor, top_level_items

# v3: files with a key given twice are refused; v4: credentials removed from URLs (read again
# once, so that no id or cached record keeps a secret)
CACHE_NS = "records:v4"
# a record file holding this many records is said to be one to split: a harvest reads and
# checks them all whenever the file changes other than by records appended (about a minute
# for 200,000 records)
LARGE_FILE = 200_000
# the records that keep when git first held them (committed_at, committed_in): every kind a
# governance file holds, a run too (a run's node is completed by later records of it — its end
# — and a run the store already holds, one `lineage record run` wrote, keeps its writing)
COMMITTED_KINDS = ("approval", "deployment", "risk_assessment", "retraining", "alert",
                   "document", "run")


def blob_sha(data: bytes) -> str:
    """git's blob id of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return str(p)


class RecordsHarvester:
    """Harvests governance record files (approvals, deployments, risk assessments, …)."""

    name: ClassVar[str] = "records"
    # why ``lineage harvest --only NAME`` ran nothing, when :meth:`enabled` is false
    disabled_hint: ClassVar[str] = (
        "no governance folder (governance/ at the repository root, or governance_dir in lineage.yaml)")

    def folder(self, ctx: HarvestContext) -> Path:
        p = Path(ctx.config.governance_dir)
        return p if p.is_absolute() else ctx.repo_path / p

    def enabled(self, ctx: HarvestContext) -> bool:
        folder = self.folder(ctx)
        # record files of HEAD a sparse checkout left out of the work tree: "no records" read
        # from a folder the checkout left out would be a false reading, said and recorded
        self._left_out = left_out_of_checkout(ctx.repo_path, folder, self._skipped(ctx))
        if folder.is_dir() or self._left_out:
            return True
        stored = parse_checkout(ctx.store.get_watermark(*CHECKOUT_WATERMARK))
        if stored is not None and stored.incomplete:
            return True  # what the last harvest could not read: this one says it is read
        if "governance_dir" in ctx.config.model_fields_set:  # named in lineage.yaml: say so
            what = "is not a folder" if folder.exists() else "does not exist"
            ctx.report.warn(self.name, f"governance folder {ctx.config.governance_dir} {what}: "
                            "no governance records harvested (create it or fix "
                            "governance_dir)", file="lineage.yaml",
                            line=ctx.config.line_of("governance_dir"), field="governance_dir")
        return False

    def files(self, ctx: HarvestContext) -> list[Path]:
        """Record files under the folder: hidden files/folders, lineage.yaml and the policy file
        skipped."""
        return record_files(self.folder(ctx), self._skipped(ctx))

    @staticmethod
    def _skipped(ctx: HarvestContext) -> list[Path]:
        return not_records(ctx.repo_path, ctx.config.policy)

    def load(self, ctx: HarvestContext) -> list[_Entry]:
        """Every record of every file; raises on the first invalid file, before any yield.

        Files are cached by (git blob hash, path): a cached file is not parsed again, and its
        facts — written in the transaction that wrote the cache entry — are not yielded again,
        except for documents (their hash depends on another file) and runs (their data ids on
        the repository identity). A file that only grew by records appended to the version
        last read (:meth:`_appended`) has only those parsed: the records before them are that
        version's, cached.
        """
        files = self.files(ctx)
        keys = {}
        shapes: dict[Path, tuple[int, int, bool]] = {}  # size, lines, ends with a line break
        for p in files:
            try:
                raw = p.read_bytes()
            except OSError:
                continue  # unreadable (a dangling link, a loop): parse_file names it below
            keys[p] = f"{blob_sha(raw)}:{_rel(p, ctx.repo_path)}"
            shapes[p] = (len(raw), raw.count(b"\n"), raw.endswith(b"\n"))
            del raw
        cached = ctx.store.cache_get_many(CACHE_NS, keys.values())
        # the names records are read under (model_aliases): a file read under others is read
        # whole, its records applied under the names they have now
        names = hashlib.sha256(json.dumps(sorted(ctx.config.model_aliases.items()))
                               .encode()).hexdigest()[:16]
        # the version of each changed file last read item by item: maybe the start of it
        last = ctx.store.cache_get_many(_LAST_READ, [
            _rel(p, ctx.repo_path) for p in files if p in keys and keys[p] not in cached])
        entries: list[_Entry] = []
        errors: list[InputError] = []
        fresh: list[tuple[str, Any]] = []
        reads: list[tuple[str, Any]] = []  # (file, its version read item by item)
        for i, p in enumerate(files):
            ctx.progress("records", i, len(files))
            rel = _rel(p, ctx.repo_path)
            hit = cached.get(keys[p]) if p in keys else None
            if hit is not None:
                entries.extend(_Entry(rel, ln, fl, nid, data, None, False)
                               for data, ln, fl, nid in hit)
                continue
            prev = last.get(rel)
            grown = self._appended(ctx, p, rel, keys[p], prev) \
                if isinstance(prev, list) and prev[3:] == [names] else None
            if grown is not None:
                before, recs = grown
                count, whole = len(before) + len(recs), before
            else:
                try:
                    recs = parse_file(p, ctx.repo_path)
                except InputError as exc:
                    errors.append(exc)
                    continue
                count, whole = len(recs), []
            if count >= LARGE_FILE:
                ctx.report.warn(self.name, _large_file(rel, count, p), file=rel)
            new = []
            for r in recs:
                data = canonical(r.record)
                new.append(_Entry(rel, r.line, r.field_lines, node_id_of(r.record, data), data,
                                  r.record, True, r.item))
            entries.extend(whole)
            entries.extend(new)
            fresh.append((keys[p], [[e.data, e.line, e.field_lines, e.node_id]
                                    for e in (*whole, *new)]))
            # a version read item by item (every record holds its item's text: a list
            # without anchors) is one records may be appended to
            size, lines, ends = shapes[p]
            if ends and recs and all(r.item is not None for r in recs) \
                    and not rel.endswith(".json"):
                reads.append((rel, [keys[p].split(":", 1)[0], size, lines, names]))
        ctx.progress("records", len(files), len(files))
        if errors:
            first = errors[0]
            if len(errors) > 1:
                others = ", ".join(e.file or "?" for e in errors[1:4])
                more = "…" if len(errors) > 4 else ""
                first.message += f" (and {len(errors) - 1} more invalid file(s): {others}{more})"
            raise first
        self._check_duplicates(entries, ctx.config.model_aliases)
        ctx.store.cache_put_many(CACHE_NS, fresh)
        ctx.store.cache_put_many(_LAST_READ, reads)
        return entries

    @staticmethod
    def _appended(ctx: HarvestContext, p: Path, rel: str, key: str, last: Any
                  ) -> tuple[list[_Entry], list[LoadedRecord]] | None:
        """The records of the record file ``p`` (``key``: its cache key now) as the version
        last read item by item (``last``: its blob, size, lines, and the ``model_aliases`` it
        was read under, the ones configured now) and the list items
        appended to it since: (that version's records, cached; the appended ones, parsed and
        validated), each named by its line in the file. None — the whole file is read — unless
        that version is the start of the file byte for byte (git's blob id of the bytes up to
        its size), its records are cached, and what follows are whole list items (a line
        starting ``- `` right after its last line break: no more of its last record, no line
        of a block text of it) with no anchor, alias or document marker, that parse apart as
        one valid record each; any problem in them has the whole file read, which says it as
        it says it of any file (lines, every error, a record given twice across the two
        parts by the checks every harvest makes). A record edited, removed or moved before
        the end changes those bytes: the whole file is read."""
        if not (isinstance(last, list) and len(last) == 4 and isinstance(last[0], str)
                and isinstance(last[1], int) and isinstance(last[2], int)):
            return None
        blob, size, lines, _ = last
        try:
            raw = p.read_bytes()
        except OSError:
            return None
        if len(raw) <= size or raw[size:size + 1] != b"-" \
                or f"{blob_sha(raw)}:{rel}" != key or blob_sha(raw[:size]) != blob:
            return None
        stored = ctx.store.cache_get_many(CACHE_NS, [f"{blob}:{rel}"]).get(f"{blob}:{rel}")
        if not isinstance(stored, list):
            return None
        try:
            head, tail = raw[:size].decode("utf-8"), raw[size:].decode("utf-8")
        except UnicodeDecodeError:
            return None
        del raw
        if head.count("\n") != lines or not head.endswith("\n") or may_hold_anchor(tail) \
                or _DOC_MARK.search(tail):
            return None
        starts = [0, *(m.start() + 1 for m in _ITEM.finditer(tail))]
        items = [tail[a:b] for a, b in zip(starts, [*starts[1:], len(tail)], strict=True)]
        try:
            got = parse_text(tail, rel)
        except InputError:
            return None
        if len(got) != len(items):
            return None
        recs, start = [], 1
        for rec, item in zip(got, items, strict=True):
            end = start + item.count("\n")
            if rec.line != start and not start < rec.line < end:  # from another item's text
                return None
            recs.append(replace(rec, line=rec.line + lines, item=item, field_lines={
                k: v + lines for k, v in rec.field_lines.items()}))
            start = end
        before = [_Entry(rel, ln, fl, nid, data, None, False) for data, ln, fl, nid in stored]
        # the items' texts, which the file's history is judged by (not parsed again), and,
        # with model_aliases, the records (what the history compares is under those names)
        if _with_items(before, head) and ctx.config.model_aliases:
            try:
                for e in before:
                    e.record = validate_data(e.data, file=rel, line=e.line)
            except InputError:
                for e in before:
                    e.item = e.record = None
        return before, recs

    @staticmethod
    def _check_duplicates(entries: list[_Entry], aliases: Mapping[str, str]) -> None:
        """Several records may describe one node (a deployment and, later, its retirement)
        but never contradict each other. They are compared as they land, with the model
        groups under their canonical names (``model_aliases``): ``churn-gto@v1`` and
        ``churn@v1`` deployed at one time are one deployment, and a record naming either is
        the same fact."""
        seen: dict[str, dict[str, tuple[Any, Any]]] = {}
        named = deployments_with_ids(((e.node_id, e.data) for e in entries), aliases)
        for rec in entries:
            nid, said = as_one_fact(rec.node_id, rec.data, aliases, named)
            hit = said_otherwise(seen, nid, said, rec)
            if hit is not None:
                prev, clash = hit
                raise conflict_error(nid, prev.file, prev.line_of(clash[0]), rec.file,
                                     rec.line_of(clash[0]), clash)

    def harvest(self, ctx: HarvestContext
                ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
        # records read, checked and turned into facts: a few small objects each, none of
        # them garbage, which the cyclic collector would scan again and again (a file of
        # 100,000 records: ~40% of the time)
        with gc_paused():
            prepared, committed, names = self._prepare(ctx)
        self._checkout(ctx, names.current, prepared)
        # every check passed: only now yield (nothing from a bad file is half-applied)
        for facts in prepared:
            for f in facts:
                if isinstance(f, Node) and f.id in committed:
                    at, sha = committed[f.id]
                    f = Node(kind=f.kind, id=f.id,
                             attrs={**f.attrs, "committed_at": at, "committed_in": sha})
                yield f
        # and the runs the store holds with data under a name this repository had before
        yield from _moved_runs(ctx, names, prepared)

    def _prepare(self, ctx: HarvestContext
                 ) -> tuple[list[list[Node | Edge]], dict[str, tuple[str, str]],
                            _RepositoryNames]:
        """Every record read and checked, as facts (by record), with the commit that first
        held each record new to the store (node id → committer date, sha), and this
        repository's names; raises on the first error, before anything is yielded."""
        entries = self.load(ctx)
        aliases = ctx.config.model_aliases
        # a deployment recorded with `id:` in this harvest is the one its retirement names
        named = deployments_with_ids(((e.node_id, e.data) for e in entries), aliases)
        # the records the files hold now, under the ids the store holds them by
        self._entries = entries
        self._held_ids = {as_one_fact(e.node_id, e.data, aliases, named)[0] for e in entries
                          if e.data.get("kind") == "deployment"}
        repository = repository_of(ctx.repo_path, ctx.store)
        # run files that name this repository by the root commit that named it before a remote
        # was added read and write the data as it is named now (the git and DVC harvesters')
        names = _RepositoryNames(ctx, repository)
        former = self._former_roots(ctx, names, entries)
        # the files holding records new to the store: their history is read together
        history = _RecordHistory(ctx.repo_path, aliases, _rel(self.folder(ctx), ctx.repo_path),
                                 {e.file for e in entries
                                  if e.new and not ctx.store.has_node(e.node_id)})
        # the list items of the files just parsed: a version of a file holding one (HEAD's,
        # and every earlier one of a file appended to) is not parsed again for its history
        history.parsed((e.item, e.node_id, e.data, e.record) for e in entries
                       if e.item is not None)
        pins = _DocumentPins(ctx, history)
        committed: dict[str, tuple[str, str]] = {}  # node id → (committer date, sha): earliest
        prepared: list[list[Node | Edge]] = []
        # this harvest's approvals: a correction of one of them is checked as of a stored one
        approvers = {e.node_id: str(e.data.get("approver") or "") for e in entries
                     if e.data.get("kind") == "approval"}
        runs: list[tuple[list[Node | Edge], str]] = []  # this harvest's runs, where recorded
        named_now: list[tuple[_Entry, Any]] = []  # new records: names checked once all are read
        run_states: dict[str, dict[str, Any]] = {}  # a run's node as this harvest left it
        for rec in entries:
            if not rec.new and rec.data.get("kind") not in _ALWAYS:
                continue  # applied when it was cached
            read = rec.record or validate_data(rec.data, file=rec.file, line=rec.line)
            # models by another registry's name land on the canonical nodes (model_aliases);
            # ids stay those of the file's content, but a deployment named by its group,
            # environment and time is the deployment the registry (GTO) made
            record = with_aliases(read, aliases)
            nid = rec.node_id
            if isinstance(record, DeploymentRecord) and not record.id:
                nid = as_one_fact(rec.node_id, rec.data, aliases, named)[0]
                if nid == node_id_of(record):  # none of this harvest: maybe a stored one
                    nid = stored_node_id(ctx.store, record, nid)
            if rec.new:  # said once: the cached record holds no secret
                warning = credentials_warning(record, in_file=True)
                if warning:
                    field = credentials_removed(record)[0]
                    ctx.report.warn(self.name, warning, file=rec.file,
                                    line=rec.line_of(field.split(".", 1)[0]), field=field)
                warning = failed_run_warning(record)
                if warning:
                    ctx.report.warn(self.name, warning, file=rec.file,
                                    line=rec.line_of("models"), field="models")
            if isinstance(record, DocumentRecord):
                record, warning, field = pins.pin(record, rec.file, rec.node_id)
                if warning:
                    ctx.report.warn(self.name, warning, file=rec.file,
                                    line=rec.line_of(field), field=field)
            facts = to_facts(record, record_file=rec.file, repository=repository, node_id=nid,
                             former=former)
            edited = None
            if rec.new and not ctx.store.has_node(nid):  # the store learns of it now
                named_now.append((rec, record))
                if rec.data.get("kind") in COMMITTED_KINDS:
                    self._committed(history, rec, nid, committed)
                # ... from its file's history, which recorded it as the store would have (a
                # fresh clone): the file edited since may not change it either
                edited = history.edit_error(rec.file, rec.node_id, read, rec.line_of,
                                            content=rec.data)
            # records are immutable: an edited file, or one reusing a recorded id, may
            # complete a stored record but not change it (the rule of `lineage record`)
            # (a run's file written when it started is its earlier state, not a change)
            # only an approval's approver corrects it, stored or harvested with it
            error = foreign_correction(approvers, record, file=rec.file, line_of=rec.line_of) \
                or recorded_conflict(ctx.store, record, nid, facts, file=rec.file,
                                     line_of=rec.line_of, earlier_ok=True) or edited
            if error is None and isinstance(record, RunRecord):
                for earlier, where in runs:
                    error = produced_twice(earlier, where, facts, file=rec.file,
                                           line_of=rec.line_of)
                    if error is not None:
                        break
                runs.append((facts, f"{rec.file}:{rec.line_of('models')}"))
            if error is not None:
                raise error
            if isinstance(record, RunRecord):
                self._disagreements(ctx, rec, record, nid, facts)
            # a model version a run re-states keeps its commit, run and time as recorded
            # a run's end completes the run stored when it started (metrics merged), or read
            # in another file of this harvest (the file of its start), whichever comes first
            facts = run_progress(ctx.store, keep_recorded_versions(ctx.store, facts))
            if isinstance(record, RunRecord):
                facts = [self._run_state(f, run_states) if isinstance(f, Node) and f.id == nid
                         else f for f in facts]
            prepared.append(facts)
        self._unknown_names(ctx, named_now, prepared)
        # a record a file's history held and no file holds now: a store harvested before
        # keeps it, this one cannot (a record without `id:` edited in place is one)
        held = {e.node_id for e in entries}
        for rel, nid, recorded in history.dropped():
            if nid not in held and not ctx.store.has_node(nid):
                ctx.report.warn(self.name, history.dropped_warning(rel, nid, recorded),
                                file=rel, commit=recorded.dropped)
        return prepared, committed, names

    def _former_roots(self, ctx: HarvestContext, names: _RepositoryNames,
                      entries: list[_Entry]) -> frozenset[str]:
        """The ``root:<sha>`` repository keys the run records of ``entries`` name that are
        this repository's former name (:meth:`_RepositoryNames.former`). One that a shallow
        clone cannot tell (its commit is not in the clone, nor harvested into the store) is
        said: its runs' data stays under that name until the whole history is fetched."""
        named: dict[str, _Entry] = {}
        for e in entries:
            key = e.data.get("repository") if e.data.get("kind") == "run" else None
            if isinstance(key, str) and root_commit_of(key) is not None:
                named.setdefault(key, e)
        found = names.former(named)
        if names.current is not None and names.shallow():
            for key, e in sorted(named.items()):
                if key in found or key == names.key:
                    continue
                count = sum(1 for x in entries if x.data.get("kind") == "run"
                            and x.data.get("repository") == key)
                ctx.report.warn(self.name, _unresolved_root(key, count, names.current),
                                file=e.file, line=e.line_of("repository"), field="repository")
        return frozenset(found)

    def _checkout(self, ctx: HarvestContext, repository: str | None,
                  prepared: list[list[Node | Edge]]) -> None:
        """Say, and keep for the audit (the ``checkout`` watermark, which ``harvest-complete``
        reads), what of the repository's records this harvest could not read: the record
        files a sparse checkout left out (:func:`left_out_of_checkout`), and the records the
        store holds from a commit no ref of this clone holds any more that no record file
        holds now (:func:`unheld_records`): evidence the store keeps — records are never
        removed — but the repository no longer holds (a pull request's approval
        force-pushed away, a store cached by CI for another branch)."""
        folder = _rel(self.folder(ctx), ctx.repo_path)
        # the folder a sparse checkout must hold: the one a symbolic link names, for a link
        # (the audit's harvest-complete names it from the watermark, as its fix)
        checked_out = checkout_folder(ctx.repo_path, self.folder(ctx))
        left_out = getattr(self, "_left_out", None)
        if left_out is None:
            left_out = left_out_of_checkout(ctx.repo_path, self.folder(ctx), self._skipped(ctx))
        if left_out:
            ctx.report.warn(self.name, _left_out_warning(folder, left_out, checked_out),
                            file=folder)
        held = {f.id for facts in prepared for f in facts if isinstance(f, Node)}
        held |= {e.node_id for e in self._entries} | self._held_ids
        # (with record files left out every stored record would read as gone: they are
        # said above, and the records' commits are judged once the files are checked out)
        unheld = [] if left_out else unheld_records(ctx.repo_path, ctx.store, held)
        for u in unheld[:_UNHELD_SAID]:
            ctx.report.warn(self.name, _unheld_warning(u), file=u.file, commit=u.commit)
        if len(unheld) > _UNHELD_SAID:
            ctx.report.warn(self.name, f"{len(unheld) - _UNHELD_SAID} more record(s) the store "
                            "holds from commits no ref of this clone holds, in no record file "
                            "now: `lineage audit` lists them (harvest-complete)")
        state = Checkout(repository or "", checked_out, tuple(left_out[:_LEFT_OUT_KEPT]),
                         len(left_out), tuple(unheld[:_UNHELD_KEPT]))
        stored = ctx.store.get_watermark(*CHECKOUT_WATERMARK)
        if state.incomplete or (stored is not None and stored != state.dump()):
            ctx.set_watermark(CHECKOUT_WATERMARK[1], state.dump())

    @staticmethod
    def _committed(history: _RecordHistory, rec: _Entry, nid: str,
                   found: dict[str, tuple[str, str]]) -> None:
        """Keeps in ``found`` the commit that added ``rec``, a record the store does not hold
        yet (node ``nid``), to its file: its committer date and sha, the earliest of the
        records of one node in this harvest; nothing when the file is not committed."""
        added = history.adding_commit(rec.file, rec.node_id)
        if added is None:
            return
        sha, when = added
        at = utc_iso(datetime.fromisoformat(when))
        if at is not None and (nid not in found or at < found[nid][0]):
            found[nid] = (at, sha)


    def _unknown_names(self, ctx: HarvestContext, named: list[tuple[_Entry, Any]],
                       prepared: list[list[Node | Edge]]) -> None:
        """A warning (file, line, field) for each id of a record or run that a new record
        names and neither the store nor this harvest's files hold — a ``supersedes``, a
        retraining's ``run`` or ``alert``, an approval's ``deployment`` —, and for each model
        version, group or environment one typing slip from a known one, and for each link to
        a known name of another model group the audit would never count (a retraining's
        previous version, an approval's deployment of another group). Not an error: the
        file is merged, and one bad name must not hold back every other record. A version
        or group not known otherwise is not said: a file may approve a version before its
        registry tags it, and the audit's lineage-continuity reports it until then."""
        if not named:
            return
        known = KnownNames(ctx.store, (f for facts in prepared for f in facts))
        for rec, record in named:
            for u in unknown_names(known, record):
                if u.ref or u.typo:
                    ctx.report.warn(self.name, u.warning(), file=rec.file,
                                    line=rec.line_of(u.field), field=u.field)

    def _disagreements(self, ctx: HarvestContext, rec: _Entry, record: RunRecord, nid: str,
                       facts: list[Node | Edge]) -> None:
        """A warning for each model version the run produced whose registry names other
        bytes than the run recorded (a GTO tag moved since, or placed on other bytes:
        :func:`lineage.records.registry_disagreements`), said once — by the harvest that first
        sees it — since run files are read again by every harvest: the audit's model-has-run
        keeps reporting it."""
        said = registry_disagreements(ctx.store, record, nid, facts)
        if not said:
            return
        keys = {f"{nid}\0{text}": text for text in said}
        seen = ctx.store.cache_get_many(_DISAGREEMENTS, keys)
        for key, text in keys.items():
            if key not in seen:
                ctx.report.warn(self.name, text, file=rec.file, line=rec.line_of("models"),
                                field="models")
        ctx.store.cache_put_many(_DISAGREEMENTS, [(k, True) for k in keys if k not in seen])

    @staticmethod
    def _run_state(node: Node, states: dict[str, dict[str, Any]]) -> Node:
        """The run ``node`` merged with what this harvest's earlier records of it said: the
        facts land in order, so the last one written holds the run's whole state."""
        prev = states.get(node.id)
        attrs = node.attrs if prev is None else run_merged(prev, node.attrs)
        states[node.id] = attrs
        return node if prev is None else Node(kind=node.kind, id=node.id, attrs=attrs)


def _large_file(rel: str, count: int, path: Path) -> str:
    """What a harvest says of a record file of ``count`` records (at least
    :data:`LARGE_FILE`): each change of it but records appended has every record read and
    checked again."""
    try:
        size = f" ({path.stat().st_size / 1e6:.1f} MB)"
    except OSError:
        size = ""
    stem, dot, ext = rel.rpartition(".")
    return (f"{rel} holds {count} records{size}: every harvest after a change of it reads and "
            "checks each of them again — unless the change only appended records at its end: "
            "those alone are read then — (and a new store each version in its git history), "
            "about a minute for 200,000 records. Leave it as it is and write new records to "
            f"files per year or environment ({stem}-2026{dot}{ext}, {stem}-prod{dot}{ext}): a "
            "file no commit changes is read once, and records keep their ids and history")


def _with_items(entries: list[_Entry], text: str) -> bool:
    """Sets on ``entries`` — the records of the record file ``text``, as cached from when it
    was read item by item — the text of the list item each was read from, as a file just
    parsed gives them: its versions in git need not parse those items again
    (:meth:`_RecordHistory.parsed`). Nothing (False) when the items do not line up with
    them."""
    items = top_level_items(text)
    if items is None or len(items) != len(entries):
        return False
    start = text.count("\n", 0, len(text) - sum(map(len, items))) + 1
    for e, item in zip(entries, items, strict=True):
        end = start + item.count("\n")
        if e.line != start and not start < e.line < end:
            return False
        start = end
    for e, item in zip(entries, items, strict=True):
        e.item = item
    return True


# the start of a top-level list item (``- kind: …``) after a line break, and a document
# marker on a line of its own: as lineage.yamlpos splits a record file into its items
_ITEM = re.compile(r"\n-(?=[ \t\r\n]|\Z)")
_DOC_MARK = re.compile(r"(?:\A|\n)(?:---|\.\.\.)(?=[ \t\r\n]|\Z)")
# the version of each record file last read item by item (path → blob, size, lines, digest of
# the model_aliases it was read under): the start of a later version that only appends
# records to it (RecordsHarvester._appended)
_LAST_READ = f"{CACHE_NS}:last-read"


# unheld records said one by one in a harvest's warnings, and kept for the audit
_UNHELD_SAID = 10
_UNHELD_KEPT = 1000
# left-out record files named in the watermark (all are counted)
_LEFT_OUT_KEPT = 20
# the fix for a governance folder a sparse checkout left out
SPARSE_FIX = "git sparse-checkout add {folder}"


def left_out_of_checkout(root: Path, folder: Path, skip: Iterable[Path] = ()) -> list[str]:
    """The record files (``*.yaml``, ``*.yml``, ``*.json``, no hidden part) under ``folder``
    that ``HEAD``'s checkout holds in its index but left out of the work tree (git's
    skip-worktree flag, which a sparse checkout sets on every path outside its patterns:
    ``git sparse-checkout set --cone src data`` leaves ``governance/`` out), repository
    paths, sorted; empty outside git or for a folder outside the repository.

    The harvest does not read them from git instead: a sparse checkout is mostly a partial
    clone too (``--filter=blob:none``), whose left-out blobs git would fetch one by one from
    the remote, and a harvest reads no network; and the checkout that left the records out
    is the one to fix."""
    try:
        rel = folder.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return []
    found = uninitialized_submodules(root, rel)
    out = _git(root, "ls-files", "-t", "-z", "--", rel if rel != "." else ".")
    if not out:
        return found
    skipped = {os.path.realpath(p) for p in skip}
    for item in out.split("\0"):
        tag, _, path = item.partition(" ")
        if tag != "S" or not path.endswith((".yaml", ".yml", ".json")):
            continue
        inside = path[len(rel) + 1:] if rel != "." else path
        if any(part.startswith(".") for part in inside.split("/")):
            continue
        full = root / path
        if os.path.realpath(full) in skipped or os.path.lexists(full):
            continue
        found.append(path)
    return sorted(found)


def uninitialized_submodules(root: Path, rel: str) -> list[str]:
    """The submodules at or under the repository folder ``rel`` that the checkout did not
    initialize (``git clone`` without ``--recurse-submodules``, actions/checkout's default):
    an empty folder where HEAD records another repository, each as ``path/``. A governance
    folder kept as a submodule reads as "no records" there."""
    out = _git(root, "ls-files", "-s", "-z", "--", rel if rel != "." else ".")
    found = []
    for item in (out or "").split("\0"):
        meta, _, path = item.partition("\t")
        if meta.startswith("160000 ") and not (root / path / ".git").exists():
            found.append(path.rstrip("/") + "/")
    return found


# the fix for a governance folder kept as a submodule the checkout did not initialize
SUBMODULE_FIX = "git submodule update --init {folder}"


def checkout_folder(root: Path, folder: Path) -> str:
    """The repository folder a checkout must hold for the records of ``folder`` to be in its
    work tree: ``folder`` itself (relative to ``root``), or, when it is a symbolic link (or
    lies under one), the folder the link names — git's sparse patterns match paths as the
    index holds them, where a link is a file: ``git sparse-checkout add governance`` for
    ``governance -> compliance/records`` is refused (not a directory) and would check out
    nothing of the records. A folder outside the repository is named as it is."""
    try:
        return Path(os.path.realpath(folder)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return _rel(folder, root)


def _left_out_warning(folder: str, left_out: list[str], checked_out: str | None = None) -> str:
    """What the harvest says of the record files ``left_out`` of the governance ``folder``
    (a sparse checkout's, or a submodule's); ``checked_out``: the folder the checkout must
    hold (:func:`checkout_folder`: another for a symbolic link)."""
    target = checked_out or folder
    modules = [p for p in left_out if p.endswith("/")]
    if modules:
        return (f"{', '.join(modules)} is a git submodule this checkout did not initialize "
                "(a clone without --recurse-submodules): the records it holds were not "
                "harvested, and the audit fails harvest-complete until they are; "
                f"`{SUBMODULE_FIX.format(folder=modules[0].rstrip('/'))}` (in a CI checkout: "
                "submodules: true), then lineage harvest")
    shown = ", ".join(left_out[:3]) + (f" and {len(left_out) - 3} more" if len(left_out) > 3
                                       else "")
    link = f" (a symbolic link to {target}/)" if target != folder else ""
    return (f"the checkout left {len(left_out)} record file(s) of {folder}/{link} out of the "
            f"work tree (a sparse checkout: {shown}): their records were not harvested, and "
            "the audit fails harvest-complete until they are; "
            f"`{SPARSE_FIX.format(folder=target)}`, then lineage harvest")


def unheld_records(root: Path, store: Any, held: set[str]) -> list[Unheld]:
    """The records the store holds from a committed file (``committed_in``: the commit that
    added them) that no record file holds now (``held``: node ids) and whose commit no ref of
    the clone at ``root`` holds any more: the clone lacks it (a fresh clone after a
    force-push; a branch it did not fetch), or holds it unreachable (a branch reset, the old
    commit still in the object store). A shallow clone cannot tell a commit beyond its
    boundary from a gone one: such a commit is not judged (the audit's harvest-complete
    already fails a shallow clone). Sorted by node id."""
    marks = ",".join("?" * len(COMMITTED_KINDS))
    found: dict[str, tuple[str, str | None]] = {}
    for nid, sha, file in store.conn.execute(
            f"SELECT id, json_extract(attrs, '$.committed_in'), "
            # (a run keeps its record file among its properties)
            "coalesce(json_extract(attrs, '$.record_file'), "
            "json_extract(attrs, '$.properties.record_file')) "
            f"FROM nodes WHERE kind IN ({marks}) "
            "AND instr(attrs, '\"committed_in\"') > 0", COMMITTED_KINDS):
        if nid not in held and isinstance(sha, str) and len(sha) >= 40:
            found[nid] = (sha, file if isinstance(file, str) else None)
    if not found:
        return []
    shas = sorted({sha for sha, _ in found.values()})
    gone = _commits_no_ref_holds(root, shas)
    return [Unheld(nid, sha, file, gone[sha]) for nid, (sha, file) in sorted(found.items())
            if sha in gone]


def _commits_no_ref_holds(root: Path, shas: list[str]) -> dict[str, bool]:
    """Of ``shas``, those no ref (branch, tag, remote-tracking branch, HEAD) of the clone
    reaches → whether the clone lacks the commit altogether. Empty when git cannot tell."""
    shallow = (_git(root, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
    try:
        check = subprocess.run(["git", "-C", str(root), "cat-file", "--batch-check"],
                               input="".join(f"{s}\n" for s in shas).encode(),
                               capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return {}
    present, missing = [], []
    for line in check.stdout.decode("utf-8", "replace").splitlines():
        sha, _, kind = line.partition(" ")
        if kind.startswith("commit"):
            present.append(sha)
        elif kind.strip() == "missing" and not shallow:
            missing.append(sha)
    gone = dict.fromkeys(missing, True)
    for i in range(0, len(present), 500):
        chunk = present[i:i + 500]
        out = _git(root, "rev-list", *chunk, "--not", "--all")
        if out is None:
            continue
        listed = set(out.split())
        gone.update((sha, False) for sha in chunk if sha in listed)
    return gone


def _unheld_warning(u: Unheld) -> str:
    why = ("this clone does not hold it" if u.missing else
           "this clone holds it, but no branch or tag reaches it")
    return (f"record {u.node}, harvested from {u.file or 'a record file'} as commit "
            f"{u.commit[:12]} added it, is in no record file now and no ref of this clone "
            f"holds that commit ({why}: history rewritten by a force-push, or a branch this "
            "clone did not fetch, e.g. a store cached by CI for another branch): the store "
            "keeps it (records are never removed) and the audit fails harvest-complete for "
            "it; key a CI cache of .lineage/ per branch, or rebuild the store from this clone")


def _unresolved_root(key: str, count: int, current: str) -> str:
    """What to say of run records naming ``key`` (``root:<sha>``) that a shallow clone cannot
    tell is this repository (``current``: its id now)."""
    sha = root_commit_of(key) or key
    runs = "a run record names" if count == 1 else f"{count} run records name"
    return (f"{runs} the repository {key}, by its root commit {sha[:12]}, which this shallow "
            f"clone does not hold: the harvest cannot tell whether it is this repository "
            f"(named {current} now) as it was named before a remote was added, so the "
            f"data of those runs stays named {key}, apart from the data the git and DVC "
            f"harvesters name {repo_key(current)}. Fetch the whole history (git fetch "
            "--unshallow; in CI, a checkout with fetch-depth 0) and harvest again")


class _RepositoryNames:
    """Which repository keys (``github.com/org/repo``, ``root:<sha>``) name this repository
    under another name than ``current`` (its id as the git harvester gives it now: a remote
    added or changed moved it). Evidence every clone holds comes first: a ``root:<sha>`` whose
    commit is a commit of this repository (a repository without a remote is named by its root
    commit — by its shallow boundary in a shallow clone —, so a ``root:`` name naming one of
    its commits was given in a checkout of its history); then what the store knows: a
    ``root:<sha>`` whose commit the store harvested as this repository's (a clone made
    shallow since), and a repository node whose ``superseded_by`` chain (the git harvester's
    mark of an identity moved) leads to ``current``. Answers are kept for the harvest."""

    def __init__(self, ctx: HarvestContext, current: str | None) -> None:
        self.ctx = ctx
        self.current = current
        self.key = repo_key(current) if current else None
        self._known: dict[str, bool] = {}

    def former(self, keys: Iterable[str]) -> set[str]:
        """The keys among ``keys`` that name this repository by a name other than its own."""
        wanted = {k for k in keys if k and k != self.key}
        if self.current is None or not wanted:
            return set()
        todo = {k: root_commit_of(k) for k in wanted if k not in self._known}
        if todo:
            held = _commits(self.ctx.repo_path, {sha for sha in todo.values() if sha})
            for key, sha in todo.items():
                self._known[key] = (
                    (sha is not None and (sha in held or self._harvested_here(sha)))
                    or self._now(f"repository:{key}") == self.current)
        return {k for k in wanted if self._known[k]}

    def shallow(self) -> bool:
        """Whether the clone is shallow (its history stops at boundary commits)."""
        dirs = git_dirs(self.ctx.repo_path)
        return dirs is not None and (dirs[1] / "shallow").is_file()

    def _now(self, repo_id: str) -> str:
        """``repo_id`` as the store names the repository now: its ``superseded_by`` chain
        followed (a cycle stops where it closes)."""
        seen = {repo_id}
        while True:
            node = self.ctx.store.get_node(repo_id)
            after = node.attrs.get("superseded_by") if node is not None else None
            if not isinstance(after, str) or not after or after in seen:
                return repo_id
            repo_id = after
            seen.add(repo_id)

    def _harvested_here(self, sha: str) -> bool:
        """Whether the store holds commit ``sha`` as a commit of this repository."""
        node = self.ctx.store.get_node(f"commit:{sha}")
        repo = node.attrs.get("repository") if node is not None else None
        return isinstance(repo, str) and self._now(repo) == self.current


def _commits(root: Path, shas: Iterable[str]) -> set[str]:
    """The shas among ``shas`` (full, lower-case) that are commits of the repository at
    ``root``, read in one ``git cat-file --batch-check`` (replace refs ignored, as the git
    harvester reads commits)."""
    wanted = sorted(set(shas))
    if not wanted:
        return set()
    try:
        proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch-check"],
                              input="".join(f"{s}\n" for s in wanted).encode(),
                              capture_output=True, check=True, timeout=120,
                              env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"})
    except (OSError, subprocess.SubprocessError):
        return set()  # no git, no repository: nothing is proven
    out = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "commit" and parts[0] in wanted:
            out.add(parts[0])
    return out


_RUNS = f"run:{RUN_SOURCE}:"
# the data attributes a run record gives the data it read or wrote (lineage.records._run_facts)
_RUN_DATA = ("path", "hash", "hash_kind", "size", "nfiles", "is_dir")


def _moved_runs(ctx: HarvestContext, names: _RepositoryNames,
                prepared: list[list[Node | Edge]]
                ) -> Iterator[Node | Edge | Withdrawal | NodeWithdrawal]:
    """Lineage's runs (``run:lineage:…``) the store holds reading or writing data named under
    a former name of this repository (:class:`_RepositoryNames`) — recorded before a remote
    was added, by a run file harvested then or by ``track_run`` / ``lineage record`` into the
    store alone — moved to the name it has now, as the DVC harvester writes its data again
    and ``dvc-exp`` reads its experiments again when the identity moves: each INPUT and
    OUTPUT edge (and the ARTIFACT edge to a model version the run produced) is stated from
    the data named now and withdrawn from the former one; a former data node only runs
    described (no ``first_commit``: not the DVC harvester's, whose facts under the former
    name stay in the trail) is withdrawn once no edge links it. Edges this harvest's records
    state are theirs (a run file naming another repository), and those the joins derived
    (``via``, ``abbrev``) are the joins' to derive again."""
    if names.current is None or names.key is None:
        return
    now = f"data:{names.key}:"
    stated: set[tuple[str, str, str]] = set()
    described: set[str] = set()
    for facts in prepared:
        for f in facts:
            if isinstance(f, Edge):
                stated.add((f.source, f.target, str(f.kind)))
            else:
                described.add(f.id)
    conn = ctx.store.conn
    rows = conn.execute(
        "SELECT source, target, kind, attrs FROM edges WHERE target >= ?1 AND target < ?2 "
        "AND kind = ?3 AND source >= 'data:' AND source < 'data;' UNION ALL "
        "SELECT source, target, kind, attrs FROM edges WHERE source >= ?1 AND source < ?2 "
        "AND kind = ?4 AND target >= 'data:' AND target < 'data;' ORDER BY 1, 2, 3",
        (_RUNS, _RUNS[:-1] + ";", str(EdgeKind.INPUT), str(EdgeKind.OUTPUT))).fetchall()
    moves: list[tuple[str, str, str, dict[str, Any], str]] = []  # edge, attrs, its twin
    for source, target, kind, raw in rows:
        data = source if kind == str(EdgeKind.INPUT) else target
        if data.startswith(now) or (source, target, kind) in stated:
            continue
        attrs = json.loads(raw)
        if not isinstance(attrs, dict) or "via" in attrs or "abbrev" in attrs:
            continue
        rest = _data_rest(ctx, data)
        if rest is None:
            continue
        key = data[len("data:"):-len(rest) - 1]
        if key not in names.former({key}):
            continue
        moves.append((source, target, kind, attrs, now + rest))
    left: set[str] = set()
    for source, target, kind, attrs, twin in moves:
        old = source if kind == str(EdgeKind.INPUT) else target
        if twin not in described and not ctx.store.has_node(twin):
            yield _twin_node(ctx, old, twin, names.current)
            described.add(twin)
        run = target if kind == str(EdgeKind.INPUT) else source
        ends = (twin, run) if kind == str(EdgeKind.INPUT) else (run, twin)
        if (*ends, kind) not in stated:
            yield Edge.make(EdgeKind(kind), *ends, **attrs)
        yield Withdrawal(source, target, kind)
        left.add(old)
        if kind == str(EdgeKind.OUTPUT):
            yield from _moved_artifacts(ctx, run, old, twin, stated)
    for did in sorted(left - described):
        node = ctx.store.get_node(did)
        if node is not None and "first_commit" not in node.attrs:
            yield NodeWithdrawal(did, unlinked=True)


def _data_rest(ctx: HarvestContext, did: str) -> str | None:
    """The ``<path>@<hash>`` part of data id ``did`` (``data:<repo key>:<path>@<hash>``), by
    the path and hash its node holds; None when the id is not built so."""
    node = ctx.store.get_node(did)
    if node is None or not isinstance(node.attrs.get("path"), str):
        return None
    h = node.attrs.get("hash")
    rest = f"{node.attrs['path']}@{h if isinstance(h, str) and h else 'unversioned'}"
    return rest if did.endswith(f":{rest}") and len(did) > len(f"data::{rest}") else None


def _twin_node(ctx: HarvestContext, old: str, twin: str, repository: str) -> Node:
    """The data node ``twin``, named as the repository is named now (``repository``), for
    the former data node ``old``: what a run record says of the data it read or wrote."""
    node = ctx.store.get_node(old)
    attrs = {k: v for k, v in (node.attrs if node is not None else {}).items()
             if k in _RUN_DATA}
    return Node.make(NodeKind.DATA, twin, **attrs, repository=repository)


def _moved_artifacts(ctx: HarvestContext, run: str, old: str, twin: str,
                     stated: set[tuple[str, str, str]]) -> Iterator[Edge | Withdrawal]:
    """The ARTIFACT edges from the former data node ``old`` to the model versions ``run``
    produced, stated from ``twin`` (its name now) and withdrawn from ``old``."""
    artifact, produced = str(EdgeKind.ARTIFACT), str(EdgeKind.PRODUCED)
    for e in ctx.store.edges_of(old):
        if e.source != old or str(e.kind) != artifact or (old, e.target, artifact) in stated:
            continue
        made = ctx.store.conn.execute(
            "SELECT 1 FROM edges WHERE source = ? AND target = ? AND kind = ?",
            (run, e.target, produced)).fetchone()
        if made is None and (run, e.target, produced) not in stated:
            continue
        if (twin, e.target, artifact) not in stated:
            yield Edge.make(EdgeKind.ARTIFACT, twin, e.target, **e.attrs)
        yield Withdrawal(old, e.target, artifact)


_ALWAYS = ("document", "run")
# the registry disagreements a harvest said (a run's, with the hashes): said once
_DISAGREEMENTS = "records:registry-disagreements"


@dataclass
class _Entry:
    """One record of one file: where it is, its id, its data (and model when just parsed)."""

    file: str
    line: int
    field_lines: dict[str, int]
    node_id: str
    data: dict[str, Any]
    record: Any
    new: bool
    item: str | None = None  # the text of the list item it was read from (parsed just now)

    def line_of(self, name: str) -> int:
        return line_in(self.field_lines, name, self.line)


class _RecordHistory:
    """What the history of each record file recorded: for each record (id), the first commit
    of HEAD's history whose version of the file (renames followed) holds it, with its
    committer date — what a document's pin is read at (:class:`_DocumentPins`) and a record's
    ``committed_at`` —, and its content as a store harvesting each version in turn would hold
    it (:class:`_Recorded`): what a record new to the store is judged by
    (:meth:`edit_error`). Each record file's history is read once a harvest, for all its
    records together; each version's records are parsed once however many versions hold
    them (:func:`lineage.yamlpos.top_level_items`)."""

    def __init__(self, root: Path, aliases: Mapping[str, str], folder: str | None = None,
                 wanted: Iterable[str] = ()) -> None:
        self.root = root
        self.aliases = aliases
        # the record folder (relative to root): one log of it gives every file's versions
        self.folder = posixpath.normpath(folder) if folder else None
        self.wanted = set(wanted)  # files whose history is read with the first one asked for
        self._files: dict[str, dict[str, _Recorded]] = {}  # file → id → as recorded
        self._parsed: dict[Any, list[tuple[str, dict[str, Any]]] | None] = {}  # text → records
        self._chains: dict[str, list[tuple[str, str, str]]] | None = None  # the folder's log
        # (commit, file) of each file deletion → "", or the name not read it was renamed to
        self._deleted: dict[tuple[str, str], str] = {}
        self._order: dict[str, int] = {}  # commit → its place in the folder's log (0: newest)
        self._holders: dict[str, list[str]] = {}  # id → the files read whose history holds it

    def parsed(self, items: Iterable[tuple[str, str, dict[str, Any], Any]]) -> None:
        """What the list items (``item``: the text of one) of the files just read hold, as
        (item, node id, canonical content, record): each an item no version is parsed again
        for (:meth:`_records_of`). Only items read without an anchor in their file: such an
        item parses apart as in its file (:func:`lineage.records.parse_text`)."""
        for item, nid, data, record in items:
            if item not in self._parsed:
                self._parsed[item] = [(nid, data if not self.aliases else self.content(record))]

    def adding_commit(self, rel: str, nid: str) -> tuple[str, str] | None:
        """(sha, committer date as git prints it: ISO 8601 with its offset) of the first
        commit of HEAD's history whose version of the record file ``rel`` holds the record
        ``nid``; None when none does (not committed)."""
        found = self._first(rel, nid)[1]
        return (found.sha, found.when) if found is not None else None

    def _first(self, rel: str, nid: str) -> tuple[str, _Recorded | None]:
        """(file, as recorded) of the record ``nid`` of the file ``rel`` as the history first
        recorded it: in ``rel``, or in a file it was in before, since deleted or left (moved
        to ``rel`` in a way git does not follow as a rename); (rel, None) when none did."""
        self._recorded(rel)
        # the files holding it, in the order they were read (the first of equals wins)
        return min(((r, self._files[r][nid]) for r in self._holders.get(nid, ())),
                   key=lambda hit: (*self._age(hit[1]), hit[0] != rel), default=(rel, None))

    def _age(self, rec: _Recorded) -> tuple[int, float]:
        """What orders recordings oldest first: the place of their commit in the folder's
        log, in graph order (a commit back-dated by its committer is still after its
        parents); by committer date only for a file read on its own (``--follow``)."""
        place = self._order.get(rec.sha)
        return (0, -place) if place is not None else (1, rec.first.timestamp())

    def content(self, record: Any) -> dict[str, Any]:
        """What a record says, as versions of it are compared: its canonical content, model
        groups under their canonical names (``model_aliases``), as the store compares them."""
        return canonical(with_aliases(record, self.aliases))

    def edit_error(self, rel: str, nid: str, record: Any, line_of: Callable[[str], int], *,
                   content: dict[str, Any] | None = None) -> InputError | None:
        """The error to raise when ``record`` (its id ``nid``, as the record file ``rel`` holds
        it now) says otherwise than the history of ``rel`` recorded of it — a record edited in
        place, in a commit or in the work tree —, judged by the store's rules
        (:func:`_clash_of`); None when it may be harvested (new, the same, completed).
        ``content``: :func:`lineage.records.canonical` of ``record``, when the caller has it."""
        own = self._recorded(rel).get(nid)
        home, found = self._first(rel, nid)
        if found is None:
            return None
        now = content if content is not None and not self.aliases else self.content(record)
        if found.said == now:
            return None  # as recorded: the same record
        clash = _clash_of(found.said, now)
        if not clash:
            return None
        fields = list(clash)
        by = found.by.get(fields[0].split(".", 1)[0], found.sha)
        said = ", ".join(f"{k} {_shown(v)}" for k, v in clash.items())
        where = "" if home == rel else f", in {found.path}"
        if own is not None and own is not found and _clash_of(found.said, own.said):
            how = f"commit {self._described(own.sha)} moved it to {rel} and changed it"
        elif own is not None and own.changed is not None and own.in_head:
            how = f"commit {self._described(own.changed)} changed it in place"
        else:
            how = "the work tree's file (not committed) changed it in place"
        when = utc_iso(datetime.fromisoformat(found.dates[by]))
        message = (f"record {nid} is already recorded with {said} (commit {by[:12]}, {when}"
                   f"{where}); {how}: this record says otherwise about {', '.join(fields)}")
        restore = f"restore the record as commit {by[:12]} recorded it, in a new commit"
        ref = getattr(record, "id", None) or nid
        if isinstance(record, RunRecord):
            hint = (f"a run is what happened: {restore}, and record a run that differs as a "
                    "new run (another `id:`)")
        elif isinstance(record, DocumentRecord) and fields == ["content_hash"]:
            hint = (f"records are immutable: {restore} (a document record pins the "
                    "content_hash it was first recorded with), and record the document's new "
                    "version as a new document record with its own `id:` and "
                    f"`properties: {{supersedes: {ref}}}`")
        else:
            hint = (f"records are immutable: {restore}, and add the correction as a new "
                    f"record with its own `id:` and `properties: {{supersedes: {ref}}}`")
        return InputError(message, file=rel, line=line_of(fields[0].split(".", 1)[0]),
                          field=fields[0], hint=hint)

    def _described(self, sha: str) -> str:
        """``sha`` (short), its committer date, author and subject: who changed a record."""
        out = (_git(self.root, "show", "-s", "--format=%cI%x00%an%x00%s", sha) or "").strip()
        parts = out.split("\0")
        if len(parts) != 3:
            return sha[:12]
        when, author, subject = parts
        subject = subject if len(subject) <= 60 else subject[:57] + "..."
        return f"{sha[:12]} ({utc_iso(datetime.fromisoformat(when))}, {author}: {subject})"

    def _recorded(self, rel: str) -> dict[str, _Recorded]:
        if rel not in self._files:
            first = not self._files
            rels = [rel, *sorted(self.wanted - self._files.keys() - {rel})]
            if first:  # the record files deleted since: their records may live on elsewhere
                rels += sorted(set(self._gone()) - set(rels))
            self._read(rels)
        return self._files[rel]

    def _gone(self) -> list[str]:
        """The record files of the folder's history that HEAD does not hold (deleted)."""
        chains = self._folder_chains()
        if chains is None:
            return []
        return [file for file, versions in chains.items()
                if (versions[0][0], file) in self._deleted and _a_record_file(file)]

    def _folder_chains(self) -> dict[str, list[tuple[str, str, str]]] | None:
        """Every file's versions (:func:`_file_chains`, newest first) from one log of the
        record folder; None without a folder."""
        if self.folder is None:
            return None
        if self._chains is None:
            # in graph order (a commit after its parents, whatever dates its committer
            # set), every line of history (a merge keeping one side's version hides the
            # other side's commits from git's default simplification)
            self._chains = _file_chains(_git(
                self.root, "log", "-z", "-M", "--topo-order", "--full-history",
                "--format=%x01%H%x02%cI", "--name-status", "HEAD", "--", self.folder) or "",
                self._deleted, self._order)
        return self._chains

    def _read(self, rels: list[str]) -> None:
        """The history of the record files ``rels``: their versions' blobs read in a few
        ``git cat-file`` batches, each file judged on its own (:meth:`_judged`)."""
        versions = {rel: self._versions(rel) for rel in rels}
        # the blobs streamed in one `git cat-file --batch`: a version in memory at a time
        blobs = _cat_stream(self.root, [f"{sha}:{path}" for r in rels
                                        for sha, _, path in versions[r]])
        try:
            for r in rels:
                found = self._judged(r, versions[r], blobs)
                self._files[r] = found
                for nid in found:
                    self._holders.setdefault(nid, []).append(r)
        finally:
            blobs.close()

    def _versions(self, rel: str) -> list[tuple[str, str, str]]:
        """(sha, committer date, path then) of each commit of HEAD's history that changed the
        record file ``rel`` (renames followed), oldest first: from the log of the record
        folder, read once for all its files, or from the file's own (``--follow``)."""
        folder = self.folder
        if folder is not None and (folder == "." or rel.startswith(folder + "/")):
            return (self._folder_chains() or {}).get(rel, [])[::-1]
        log = _git(self.root, "log", "--follow", "-z", "-M", "--format=%x01%H%x02%cI",
                   "--name-status", "HEAD", "--", rel)
        return _file_chains(log or "").get(rel, [])[::-1]

    def _judged(self, rel: str, versions: list[tuple[str, str, str]],
                blobs: Iterator[bytes | None]) -> dict[str, _Recorded]:
        """Every record of every version of ``rel`` (``versions`` oldest first, their
        ``blobs``): each version's record compared with what the versions before it
        recorded, as a store harvesting each would (an invalid version records nothing, as
        its harvest would fail)."""
        found: dict[str, _Recorded] = {}
        dates = {sha: when for sha, when, _ in versions}
        held: set[str] = set()  # the ids the latest valid version holds
        last: dict[str, int] = {}  # id → the latest version holding it
        # (versions first: zip takes no blob past the file's last version)
        for i, ((sha, when, path), data) in enumerate(zip(versions, blobs, strict=False)):
            if (sha, rel) in self._deleted:  # the file deleted: it holds nothing
                held = set()
                continue
            recs = self._records_of(data, rel) if data is not None else None
            if recs is None:
                continue
            held = set()
            for nid, said in recs:
                held.add(nid)
                last[nid] = i
                rec = found.get(nid)
                if rec is None:
                    found[nid] = _Recorded(sha, when, said, {}, dates, said, path=path)
                else:
                    rec.add(sha, said)
        for nid, rec in found.items():
            rec.in_head = nid in held
            if not rec.in_head and last[nid] + 1 < len(versions):
                rec.dropped = versions[last[nid] + 1][0]
        return found

    def dropped(self) -> Iterator[tuple[str, str, _Recorded]]:
        """(file, id, as recorded) of each record that a version of a file read so far held
        and the latest one does not: removed from it (or moved to another file)."""
        for rel, found in self._files.items():
            for nid, rec in found.items():
                if rec.dropped is not None:
                    yield rel, nid, rec

    def dropped_warning(self, rel: str, nid: str, rec: _Recorded) -> str:
        """What a harvest says of a record removed from its file in git (:meth:`dropped`)
        that neither it nor the store holds."""
        assert rec.dropped is not None
        when = utc_iso(datetime.fromisoformat(rec.when))
        gone = self._deleted.get((rec.dropped, rel))
        how = ("" if gone is None else ", which deleted the file," if not gone
               else f", which renamed the file to {gone} (a name the harvest does not read),")
        return (f"record {nid}, recorded in {rel} by commit {rec.sha[:12]} ({when}), was "
                f"removed from it by commit {self._described(rec.dropped)}{how} and is in no "
                "record file now: a store that harvested it before holds it, this one does "
                "not (records are immutable: put it back in a new commit, and record a "
                "correction with `supersedes` to withdraw or change it)")

    def _records_of(self, data: bytes, rel: str) -> list[tuple[str, dict[str, Any]]] | None:
        """(id, content) of each record of one version of a record file; None when the
        version is not a valid record file."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        items = None if rel.endswith(".json") else top_level_items(text)
        if items is not None:
            todo = [item for item in dict.fromkeys(items) if item not in self._parsed]
            if todo and not may_hold_anchor(text):
                self._parse_together(todo, rel)
            out: list[tuple[str, dict[str, Any]]] = []
            for item in items:
                got = self._parse(item, rel, item)
                if got is None:
                    break  # maybe not an item on its own (an alias): the whole file says
                out += got
            else:
                return out
        return self._parse(text, rel, (blob_sha(data), rel.endswith(".json")))

    def _parse_together(self, items: list[str], rel: str) -> None:
        """The records of ``items`` (list items of a version without an anchor, none parsed
        yet), parsed together a slice at a time (:func:`lineage.records.parse_text`):
        a record file of thousands of records is not parsed one item at a time. The items of
        a slice that does not read as one valid record each are left to :meth:`_parse`, one
        by one."""
        for i in range(0, len(items), _SLICE):
            part = items[i:i + _SLICE]
            if len(part) < 2:  # one item is not a list the parser splits
                continue
            try:
                recs = parse_text("".join(part), rel)
            except InputError:
                continue
            if [r.item for r in recs] != part:  # not read item by item
                continue
            for item, r in zip(part, recs, strict=True):
                self._parsed[item] = [(r.node_id, self.content(r.record))]

    def _parse(self, text: str, rel: str, key: Any) -> list[tuple[str, dict[str, Any]]] | None:
        if key not in self._parsed:
            try:
                recs = parse_text(text, rel)
            except InputError:
                self._parsed[key] = None
            else:
                self._parsed[key] = [(r.node_id, self.content(r.record)) for r in recs]
        return self._parsed[key]


# the items of a version of a record file parsed together (not one by one)
_SLICE = 500


def _file_chains(log: str, deleted: dict[tuple[str, str], str] | None = None,
                 order: dict[str, int] | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """File (its path in the last commit of ``log``) → (sha, committer date, its path then)
    of each commit of ``log`` that changed it, newest first, renames followed as ``git log
    --follow`` follows them: ``log`` is ``git log -z -M --name-status`` with the format
    ``%x01%H%x02%cI``. ``deleted`` collects (sha, file) of each commit deleting a file (→ "")
    or renaming a record file to a name the harvest does not read (→ that name:
    ``approvals.yaml.orig``, a hidden file; its records leave the files read as a deletion's
    do), ``order`` each
    commit's place in the log (0: the newest)."""
    chains: dict[str, list[tuple[str, str, str]]] = {}
    named: dict[str, str | None] = {}  # a path in older commits → the file (None: another)
    tokens = log.split("\0")
    sha = when = ""
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if token.startswith("\x01"):
            sha, _, when = token[1:].partition("\x02")
            if order is not None:
                order.setdefault(sha, len(order))
            continue
        if not token:
            continue
        paths = tokens[i:i + (2 if token[0] in "RC" else 1)]
        i += len(paths)
        renamed_to = ""
        if token[0] == "R" and len(paths) == 2 and _a_record_file(paths[0]) \
                and not _a_record_file(paths[1]):
            renamed_to = paths[1]
            token, paths = "D", paths[:1]  # renamed out of what is read: its records left
        path = paths[-1] if paths else ""
        file = named.get(path, path)
        if file is not None and path:
            chains.setdefault(file, []).append((sha, when, path))
            if token[0] == "D" and deleted is not None:
                deleted[(sha, file)] = renamed_to
        if token[0] == "R" and len(paths) == 2:  # older commits know it by its old name
            named[path] = None
            named[paths[0]] = file
    return chains


@dataclass
class _Recorded:
    """One record (an id) of a record file as the file's history recorded it: what the
    commit that first held it said, completed by each later version that only added fields
    (or moved a run along its life cycle), as a store harvesting each version in turn would
    hold it; a version saying otherwise is an edit, which that store refuses, so it records
    nothing (a later version putting the record back is harvested again)."""

    sha: str  # the commit that first held it
    when: str  # its committer date, as git prints it
    said: dict[str, Any]  # its content as recorded
    by: dict[str, str]  # field → the later commit that recorded it (completed the record)
    dates: Mapping[str, str]  # commit → committer date, of the file's versions
    last: dict[str, Any]  # its content in the latest version holding it
    changed: str | None = None  # the commit since which that content says otherwise
    in_head: bool = True  # HEAD's version of the file holds it
    dropped: str | None = None  # else the commit that removed it
    path: str = ""  # the file's path in the commit that first held it

    @property
    def first(self) -> datetime:
        """When the commit that first held it was committed."""
        return datetime.fromisoformat(self.when)

    def add(self, sha: str, said: dict[str, Any]) -> None:
        """A later version's content of the record (commit ``sha``)."""
        if said is self.last or said == self.last:
            return  # as the version before it: judged the same
        self.last = said
        if _clash_of(self.said, said):
            if self.changed is None:
                self.changed = sha
            return
        self.changed = None
        merged = (run_record_merged(self.said, said) if said.get("kind") == "run"
                  else {**said, **self.said})
        self.by.update((k, sha) for k, v in merged.items() if self.said.get(k) != v)
        self.said = merged


def _clash_of(was: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """What the content ``now`` of a record says otherwise than ``was`` recorded, by the
    store's rules (:func:`lineage.records.recorded_clash_of`; a run by its life cycle,
    :func:`lineage.records.run_clash_of`, a file written when it started being its earlier
    state): the fields with their recorded values, empty when it is the same record."""
    if now.get("kind") == "run":
        return run_clash_of(was, now, earlier_ok=True)
    return recorded_clash_of(was, now)


def _a_record_file(rel: str) -> bool:
    """Whether the harvest reads ``rel`` as a record file, by its name (as
    :func:`lineage.records.record_files` finds them)."""
    parts = rel.split("/")
    return rel.endswith((".yaml", ".yml", ".json")) and not any(p.startswith(".") for p in parts)


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "...'"


def edited_in_place(root: Path, records: Iterable[LoadedRecord], aliases: Mapping[str, str],
                    folder: str | None = None) -> list[InputError]:
    """What ``lineage record validate`` says of ``records`` (read from files of the git
    repository ``root``) that say otherwise than their file's history recorded — edited in
    place, in a commit or in the work tree: the error the harvest of a fresh clone raises
    (:meth:`_RecordHistory.edit_error`), one per record. ``folder``: the governance folder
    (relative to ``root``): only the files the harvest reads, in it, are judged by their
    history (a file elsewhere — an example, a draft — records nothing)."""
    top = None
    if folder is not None:
        top = posixpath.normpath(_rel(Path(folder) if Path(folder).is_absolute()
                                      else root / folder, root))
    records = [rec for rec in records if top is None or top == "."
               or rec.file.startswith(top + "/")]
    history = _RecordHistory(root, aliases, top, {rec.file for rec in records})
    out = []
    for rec in records:
        error = history.edit_error(rec.file, rec.node_id, rec.record, rec.line_of)
        if error is not None:
            out.append(error)
    return out


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "--literal-pathspecs", "-C", str(root), *args],
                             capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None  # no commit yet, no git: nothing read from history
    return out.stdout.decode("utf-8", "replace")


class _DocumentPins:
    """The content a document record of a file pins (see the module docstring), read from the
    store and from git; git is read only for records first harvested without a hash."""

    def __init__(self, ctx: HarvestContext, history: _RecordHistory) -> None:
        self.ctx = ctx
        self.root = ctx.repo_path
        self.history = history

    def pin(self, record: DocumentRecord, rel: str,
            nid: str) -> tuple[DocumentRecord, str | None, str]:
        """``record`` with the content hash it pins, a warning (or None) and the field the
        warning is about. ``nid``: its id in its record file."""
        node = self.ctx.store.get_node(nid)
        stored = node.attrs.get("content_hash") if node is not None else None
        if record.content_hash is not None:
            if isinstance(stored, str):  # recorded: a record saying otherwise is refused
                return record, None, "content_hash"
            return record, self._unheld(record), "content_hash"
        if isinstance(stored, str):  # the hash it was first recorded with, not the file now
            return record.model_copy(update={"content_hash": stored}), None, "uri"
        path = document_path(record.uri, self.root)
        if path is None or path.is_dir():  # a URL, outside, a folder: said as the command does
            return (*check_document(record, self.root), "uri")
        adding = self.history.adding_commit(rel, nid)
        added = adding[0] if adding is not None else None
        if added is None:  # a record file not committed yet: the document as it is now
            pinned, warning = check_document(record, self.root)
            if warning is not None:
                warning = self._near(record.uri, warning)
            return pinned, warning, "uri"
        found = self._content_since(added, record.uri)
        if found is None:
            where = "(only in the work tree)" if path.is_file() else "nor in the work tree"
            warning = (f"document {record.uri} is in no commit since the one that added this "
                       f"record ({added[:12]}) {where}: its content is not pinned yet (the "
                       "first harvest after it is committed pins it)")
            if not path.is_file():
                warning = self._near(record.uri, warning)
            return record, warning, "uri"
        digest = document_hash_of(found)
        return record.model_copy(update={"content_hash": digest}), None, "uri"

    def _near(self, uri: str, warning: str) -> str:
        near = same_named_files(self.root, uri)
        return warning + (f" (did you mean {' or '.join(near)}?)" if near else "")

    def _unheld(self, record: DocumentRecord) -> str | None:
        """A warning when no version of the file — the work tree's, any commit's — has the
        content_hash a new record gives: it pins content the repository does not hold."""
        assert record.content_hash is not None
        path = document_path(record.uri, self.root)
        if path is None or path.is_dir():
            return check_document(record.model_copy(update={"content_hash": None}),
                                  self.root)[1]
        given = record.content_hash.lower()
        algo = given.split(":", 1)[0]
        if path.is_file() and document_hash(path, algo) == given:
            return None
        if algo not in ("sha256", "md5"):
            return f"document {record.uri}: cannot check a {algo} hash"
        if commit_holding(self.root, record.uri, given) is not None:
            return None
        return (f"no version of {record.uri} has content_hash {record.content_hash} (neither "
                "the work tree nor a commit): the record pins content the repository does "
                "not hold; check the hash, or commit that version of the document")

    def _content_since(self, sha: str, uri: str) -> bytes | None:
        """The document's content at commit ``sha``, or at the first later commit (on the
        way to HEAD) that holds it; None when none does."""
        later = self._git("log", "--reverse", "--ancestry-path", "--format=%H",
                          f"{sha}..HEAD", "--", uri)
        for data in _cat(self.root, [f"{c}:{uri}" for c in [sha, *(later or "").split()]]):
            if data is not None:
                return data
        return None

    def _git(self, *args: str) -> str | None:
        return _git(self.root, *args)


def commit_holding(root: Path, uri: str, content_hash: str) -> str | None:
    """The oldest commit, of any branch or tag (``git log --all``), whose version of the
    repository file ``uri`` has ``content_hash`` (``sha256:…`` or ``md5:…``, hashed as
    :func:`lineage.records.document_hash` hashes a file: :func:`document_hash_of`) — the
    commit the joins pin a document with that content to (*defines*); None when no commit
    holds it, for another algorithm, or when git cannot say. What ``lineage record document
    --content-hash`` accepts for a file changed since, and what the harvest checks a new
    record's ``content_hash`` against."""
    from lineage.records import normalize_uri

    given = content_hash.lower()
    algo = given.split(":", 1)[0]
    if algo not in ("sha256", "md5"):
        return None
    path = normalize_uri(uri)
    try:
        log = subprocess.run(["git", "--literal-pathspecs", "-C", str(root), "log", "--all",
                              "--reverse", "--format=%H", "--no-renames", "--", path],
                             capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None  # no commit yet, no git: nothing read from history
    shas = log.stdout.decode("utf-8", "replace").split()
    for sha, data in zip(shas, _cat(root, [f"{sha}:{path}" for sha in shas]), strict=True):
        if data is not None and document_hash_of(data, algo) == given:
            return sha
    return None


def document_hash_of(data: bytes, algo: str = "sha256") -> str:
    """``algo:hex`` of a document's bytes, as :func:`lineage.records.document_hash` hashes
    its file."""
    return f"{algo}:{hashlib.new(algo, data, usedforsecurity=False).hexdigest()}"


def _cat(root: Path, specs: list[str]) -> list[bytes | None]:
    """The blobs ``rev:path`` names, in one ``git cat-file --batch`` (None: missing, or a
    folder)."""
    if not specs:
        return []
    try:
        proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"],
                              input="".join(f"{s}\n" for s in specs).encode(),
                              capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return [None] * len(specs)
    out: list[bytes | None] = []
    data, pos = proc.stdout, 0
    for _ in specs:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag") \
                and header[2].isdigit():
            size = int(header[2])
            body = data[pos:pos + size]
            pos += size + 1
            out.append(body if header[1] == b"blob" else None)
        else:  # "<spec> missing", "ambiguous"
            out.append(None)
    return out


def _cat_stream(root: Path, specs: list[str]) -> Generator[bytes | None, None, None]:
    """The blobs ``rev:path`` names (None: missing, or a folder), in order, read from one
    ``git cat-file --batch`` as the caller takes them: one blob in memory at a time, however
    many versions of large record files the history holds (closing the generator ends git).
    """
    if not specs:
        return
    try:
        proc = subprocess.Popen(["git", "-C", str(root), "cat-file", "--batch"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError:
        yield from [None] * len(specs)
        return
    assert proc.stdin is not None and proc.stdout is not None
    pipe_in, out = proc.stdin, proc.stdout

    def feed() -> None:  # apart from the reading: git answers while it is asked
        try:
            pipe_in.write("".join(f"{s}\n" for s in specs).encode())
            pipe_in.close()
        except OSError:
            pass  # git ended (closed early, or failed): the reader sees it

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for _ in specs:
            header = out.readline().split()
            if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag") \
                    and header[2].isdigit():
                body = out.read(int(header[2]))
                out.read(1)  # the newline after each object
                yield body if header[1] == b"blob" else None
            else:  # "<spec> missing", "ambiguous", or git gone
                yield None
    finally:
        if proc.poll() is None:
            proc.kill()
        out.close()
        proc.wait()
        feeder.join()
