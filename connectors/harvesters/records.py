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

When git first held a record: the harvest that first writes a governance record (approval,
deployment, risk assessment, retraining, alert, document) to the store, from a file a commit
holds, keeps the commit that added it to the file — the one a document's pin is read at — on
the record's node: ``committed_at`` (its committer date) and ``committed_in`` (its sha). Only
then: a record the store already holds (recorded with ``lineage record``, or harvested
before) is not written again for it, so no existing record is rewritten and the store's own
writing stays its first evidence. Neither is part of the record's content, its id or its
immutability check; a record file not committed yet gives none. ``lineage show`` takes a
record as recorded at the earlier of this and the store's first writing of it (a fresh
clone's harvest writes every record long after it was committed).

Incremental: parsed records are cached by the file's git blob hash, so an unchanged file is
never parsed (nor checked against the store) twice; facts that did not change write nothing
(and no event).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from lineage.errors import InputError
from lineage.model import Edge, Node
from lineage.plugins import HarvestContext
from lineage.records import (
    DeploymentRecord,
    DocumentRecord,
    KnownNames,
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
    recorded_conflict,
    registry_disagreements,
    repository_of,
    run_merged,
    run_progress,
    said_otherwise,
    same_named_files,
    stored_node_id,
    to_facts,
    unknown_names,
    validate_data,
    with_aliases,
)
from lineage.serialize import utc_iso

# v3: files with a key given twice are refused; v4: credentials removed from URLs (read again
# once, so that no id or cached record keeps a secret)
CACHE_NS = "records:v4"
# the records that keep when git first held them (committed_at, committed_in)
COMMITTED_KINDS = ("approval", "deployment", "risk_assessment", "retraining", "alert",
                   "document")


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
        if folder.is_dir():
            return True
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
        return record_files(self.folder(ctx), not_records(ctx.repo_path, ctx.config.policy))

    def load(self, ctx: HarvestContext) -> list[_Entry]:
        """Every record of every file; raises on the first invalid file, before any yield.

        Files are cached by (git blob hash, path): a cached file is not parsed again, and its
        facts — written in the transaction that wrote the cache entry — are not yielded again,
        except for documents (their hash depends on another file) and runs (their data ids on
        the repository identity).
        """
        files = self.files(ctx)
        keys = {}
        for p in files:
            try:
                keys[p] = f"{blob_sha(p.read_bytes())}:{_rel(p, ctx.repo_path)}"
            except OSError:
                pass  # unreadable (a dangling link, a loop): parse_file names it below
        cached = ctx.store.cache_get_many(CACHE_NS, keys.values())
        entries: list[_Entry] = []
        errors: list[InputError] = []
        fresh: list[tuple[str, Any]] = []
        for i, p in enumerate(files):
            ctx.progress("records", i, len(files))
            rel = _rel(p, ctx.repo_path)
            hit = cached.get(keys[p]) if p in keys else None
            if hit is not None:
                entries.extend(_Entry(rel, ln, fl, nid, data, None, False)
                               for data, ln, fl, nid in hit)
                continue
            try:
                recs = parse_file(p, ctx.repo_path)
            except InputError as exc:
                errors.append(exc)
                continue
            new = [_Entry(rel, r.line, r.field_lines, r.node_id, canonical(r.record), r.record,
                          True) for r in recs]
            entries.extend(new)
            fresh.append((keys[p], [[e.data, e.line, e.field_lines, e.node_id] for e in new]))
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
        return entries

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

    def harvest(self, ctx: HarvestContext) -> Iterator[Node | Edge]:
        entries = self.load(ctx)
        aliases = ctx.config.model_aliases
        # a deployment recorded with `id:` in this harvest is the one its retirement names
        named = deployments_with_ids(((e.node_id, e.data) for e in entries), aliases)
        repository = repository_of(ctx.repo_path, ctx.store)
        in_file: dict[str, list[str]] = {}  # record file → its records' ids
        for e in entries:
            in_file.setdefault(e.file, []).append(e.node_id)
        history = _RecordHistory(ctx.repo_path, in_file)
        pins = _DocumentPins(ctx, history)
        committed: dict[str, tuple[str, str]] = {}  # node id → (committer date, sha): earliest
        prepared = []
        # this harvest's approvals: a correction of one of them is checked as of a stored one
        approvers = {e.node_id: str(e.data.get("approver") or "") for e in entries
                     if e.data.get("kind") == "approval"}
        runs: list[tuple[list[Node | Edge], str]] = []  # this harvest's runs, where recorded
        named_now: list[tuple[_Entry, Any]] = []  # new records: names checked once all are read
        run_states: dict[str, dict[str, Any]] = {}  # a run's node as this harvest left it
        for rec in entries:
            if not rec.new and rec.data.get("kind") not in _ALWAYS:
                continue  # applied when it was cached
            record = rec.record or validate_data(rec.data, file=rec.file, line=rec.line)
            # models by another registry's name land on the canonical nodes (model_aliases);
            # ids stay those of the file's content, but a deployment named by its group,
            # environment and time is the deployment the registry (GTO) made
            record = with_aliases(record, aliases)
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
            facts = to_facts(record, record_file=rec.file, repository=repository, node_id=nid)
            if rec.new and not ctx.store.has_node(nid):  # the store learns of it now
                named_now.append((rec, record))
                if rec.data.get("kind") in COMMITTED_KINDS:
                    self._committed(history, rec, nid, committed)
            # records are immutable: an edited file, or one reusing a recorded id, may
            # complete a stored record but not change it (the rule of `lineage record`)
            # (a run's file written when it started is its earlier state, not a change)
            # only an approval's approver corrects it, stored or harvested with it
            error = foreign_correction(approvers, record, file=rec.file, line_of=rec.line_of) \
                or recorded_conflict(ctx.store, record, nid, facts, file=rec.file,
                                     line_of=rec.line_of, earlier_ok=True)
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
        # every check passed: only now yield (nothing from a bad file is half-applied)
        for facts in prepared:
            for f in facts:
                if isinstance(f, Node) and f.id in committed:
                    at, sha = committed[f.id]
                    f = Node(kind=f.kind, id=f.id,
                             attrs={**f.attrs, "committed_at": at, "committed_in": sha})
                yield f

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
        version, group or environment one typing slip from a known one. Not an error: the
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

    def line_of(self, name: str) -> int:
        return line_in(self.field_lines, name, self.line)


class _RecordHistory:
    """When git first held each record: the first commit of HEAD's history whose version of
    a record file (renames followed) holds it, with its committer date — what a document's
    pin is read at (:class:`_DocumentPins`) and a record's ``committed_at``. Each record file's
    history is read once a harvest, for all its records together."""

    def __init__(self, root: Path, in_file: Mapping[str, list[str]]) -> None:
        self.root = root
        self.in_file = in_file  # record file → the ids of its records (looked for together)
        self._added: dict[str, dict[str, tuple[str, str]]] = {}  # file → id → (sha, date)

    def adding_commit(self, rel: str, nid: str) -> tuple[str, str] | None:
        """(sha, committer date as git prints it: ISO 8601 with its offset) of the first
        commit of HEAD's history whose version of the record file ``rel`` holds the record
        ``nid``; None when none does (not committed)."""
        if rel not in self._added:
            self._added[rel] = self._read_versions(rel, set(self.in_file.get(rel, ())) | {nid})
        return self._added[rel].get(nid)

    def _read_versions(self, rel: str, wanted: set[str]) -> dict[str, tuple[str, str]]:
        log = _git(self.root, "log", "--follow", "--format=%x00%H %cI", "--name-only", "HEAD",
                   "--", rel)
        versions: list[tuple[str, str, str]] = []
        for chunk in (log or "").split("\0")[1:]:
            lines = [ln for ln in chunk.splitlines() if ln.strip()]
            if len(lines) >= 2:
                sha, _, when = lines[0].partition(" ")
                versions.append((sha, when, lines[-1]))
        versions.reverse()  # oldest first
        first: dict[str, tuple[str, str]] = {}
        blobs = _cat(self.root, [f"{sha}:{path}" for sha, _, path in versions])
        for (sha, when, _), data in zip(versions, blobs, strict=True):
            if data is None:
                continue
            try:
                recs = parse_text(data.decode("utf-8"), rel)
            except (InputError, UnicodeDecodeError):
                continue  # an invalid version of the file records nothing
            for r in recs:
                first.setdefault(r.node_id, (sha, when))
            if wanted <= first.keys():
                break
        return first


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
