"""Governance records harvester: YAML / JSON record files under ``governance/``.

Reads every ``*.yaml``, ``*.yml`` and ``*.json`` file under the configured folder
(``governance_dir`` in ``lineage.yaml``, default ``governance/``), validates each record
against its kind (:mod:`lineage.records`) and yields its nodes and edges.

All or nothing. Every file is parsed and validated *before* anything is yielded; the first
invalid file raises :class:`lineage.errors.InputError` naming file, line and field (with the
number of other invalid files), so ``lineage harvest`` exits 2 and the store stays exactly as
it was — no record from a bad file, and none from the good ones, is half-applied. A record id
claimed by two different records is an error for the same reason.

Incremental: parsed records are cached by the file's git blob hash, so an unchanged file is
never parsed twice; facts that did not change write nothing (and no event).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from lineage.errors import InputError
from lineage.model import Edge, Node
from lineage.plugins import HarvestContext
from lineage.records import (
    DocumentRecord,
    LoadedRecord,
    canonical,
    check_document,
    conflicts,
    node_id_of,
    parse_file,
    repository_of,
    to_facts,
    validate_data,
)

CACHE_NS = "records:v1"
SUFFIXES = (".yaml", ".yml", ".json")


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

    def folder(self, ctx: HarvestContext) -> Path:
        p = Path(ctx.config.governance_dir)
        return p if p.is_absolute() else ctx.repo_path / p

    def enabled(self, ctx: HarvestContext) -> bool:
        return self.folder(ctx).is_dir()

    def files(self, ctx: HarvestContext) -> list[Path]:
        skip = set()
        if ctx.config.policy:
            skip.add((ctx.repo_path / ctx.config.policy).resolve())
        folder = self.folder(ctx)
        out = []
        for p in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in p.relative_to(folder).parts)
            if p.suffix in SUFFIXES and not hidden and p.is_file() and p.resolve() not in skip:
                out.append(p)
        return out

    def load(self, ctx: HarvestContext) -> list[LoadedRecord]:
        """Parse and validate every file (cached by blob hash). Raises on the first bad file."""
        files = self.files(ctx)
        contents = {p: p.read_bytes() for p in files}
        shas = {p: blob_sha(b) for p, b in contents.items()}
        cached = ctx.store.cache_get_many(CACHE_NS, set(shas.values()))
        loaded: list[LoadedRecord] = []
        errors: list[InputError] = []
        fresh: list[tuple[str, Any]] = []
        for i, p in enumerate(files):
            ctx.progress("records", i, len(files))
            rel = _rel(p, ctx.repo_path)
            hit = cached.get(shas[p])
            if hit is not None:
                # validated before; re-validating plain JSON data is cheap and keeps one path
                loaded.extend(LoadedRecord(validate_data(d, file=rel, line=ln), rel, ln, fl)
                              for d, ln, fl in hit)
                continue
            try:
                recs = parse_file(p, ctx.repo_path)
            except InputError as exc:
                errors.append(exc)
                continue
            loaded.extend(recs)
            fresh.append((shas[p], [[canonical(r.record), r.line, r.field_lines] for r in recs]))
        ctx.progress("records", len(files), len(files))
        if errors:
            first = errors[0]
            if len(errors) > 1:
                others = ", ".join(e.file or "?" for e in errors[1:4])
                more = "…" if len(errors) > 4 else ""
                first.message += f" (and {len(errors) - 1} more invalid file(s): {others}{more})"
            raise first
        ctx.store.cache_put_many(CACHE_NS, fresh)
        self._check_duplicates(loaded)
        return loaded

    @staticmethod
    def _check_duplicates(loaded: list[LoadedRecord]) -> None:
        """Several records may describe one node (a deployment and, later, its retirement)
        but never contradict each other."""
        seen: dict[str, LoadedRecord] = {}
        for rec in loaded:
            nid = rec.node_id
            prev = seen.get(nid)
            if prev is None:
                seen[nid] = rec
                continue
            clash = conflicts(prev.record, rec.record)
            if clash:
                raise InputError(
                    f"record {nid} is also in {prev.file}:{prev.line_of(clash[0])}, which says "
                    f"otherwise about {', '.join(clash)}",
                    file=rec.file, line=rec.line_of(clash[0]), field=clash[0],
                    hint="records are immutable: give the new record its own `id:` "
                         "(a correction is a new record)")

    def harvest(self, ctx: HarvestContext) -> Iterator[Node | Edge]:
        loaded = self.load(ctx)
        repository = repository_of(ctx.repo_path, ctx.store)
        prepared = []
        for rec in loaded:
            record = rec.record
            nid = node_id_of(record)  # from the record as written in the file
            if isinstance(record, DocumentRecord):
                record, warning = check_document(record, ctx.repo_path, file=rec.file,
                                                 line=rec.line_of("content_hash"))
                if warning:
                    ctx.report.warn(self.name, warning, file=rec.file,
                                    line=rec.line_of("uri"), field="uri")
            prepared.append((rec, record, nid))
        # every check passed: only now yield (nothing from a bad file is half-applied)
        for rec, record, nid in prepared:
            yield from to_facts(record, record_file=rec.file, repository=repository, node_id=nid)
