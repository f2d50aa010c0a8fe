"""Embedded store: one SQLite file in ``.lineage/`` with nodes, edges, watermarks, caches and
an append-only, hash-chained event log.

Tamper evidence. Every version of a fact (a node or an edge) is kept with the sequence
number of the event that wrote it: the current version on the fact row itself (its hash and
``seq``), each superseded one in ``fact_log`` as (seq, fid, hash), moved there when a later
event overwrites it. Each event carries the digest of the facts it wrote (sorted lines
"fid hash", the last version per fact) and the hash of the previous event; the head (last
seq + hash) is kept in ``meta``. ``verify()`` regroups each event's facts from ``fact_log``
and the fact rows and checks its digest, so it detects an edited, deleted or reordered event,
a truncated log, a current or superseded version edited, added, deleted or moved to another
event; and it checks that every row matches its own hash and names an event in the log, that
no fact is recorded twice for one event, and that a fact's superseded versions all come from
earlier events than its current one (swapping them consistently is caught there). The digest
is taken over the lines joined by newlines, so a superseded version whose hash (or id) also
holds the line of another fact gives the same digest once that fact's row is deleted: every
``fact_log`` hash must be a sha256 digest or ``withdrawn``, and each event must have as many
facts as it recorded. A table rebuilt without its key could hold a second row of one fact (a
superseded version put back beside the current one, its ``fact_log`` entry deleted, every
event's facts unchanged): ``verify`` checks that each fact has one current row.

Withdrawals. A source that no longer states an edge (a producer deleted the facet it came
from) withdraws it (:class:`Withdrawal`; a node goes with its edges, :class:`NodeWithdrawal`):
the row is deleted, its version moves to
``fact_log`` as a superseded one, and the withdrawal itself is the fact's new version, logged
as (seq, fid, ``withdrawn``) under the event that made it and counted in that event's digest.
So ``verify`` still holds every version to its event; a fact whose newest logged version is a
withdrawal must have no row, or a row from a later event (stated again since). A store holds
schema version 3 from its first withdrawal on (a lineage reading up to 2 would take a
withdrawn edge for one deleted outside lineage); until then it stays at 2.

Watermarks the audit reads. Watermarks are a harvester's bookmarks, not part of the trail, but
one of them is evidence: the git harvester's ``clone`` (what the clone the store was harvested
from lacks, which ``harvest-complete`` reads). Each value of such a watermark
(:data:`LOGGED_WATERMARKS`) that differs from the last one logged goes into the payload of the
next event (``watermarks``: harvester → scope → value), hash-chained like every fact; a harvest
that changes nothing else appends an event for it. :meth:`Store.get_watermark` reads it from the
log, the row being a copy; ``verify`` holds the row to the last value logged, so a row deleted or
edited outside lineage fails it. A store harvested before lineage logged them holds the row and
no logged value: ``verify`` passes and notes it (:meth:`Store.unlogged_watermarks`), the audit
reads the row, and the next harvest logs it.

Schema 1 stores (every version in ``fact_log``) are migrated when opened, in one transaction.

Atomicity. Harvests, records and pushes write inside ``transaction()`` (``BEGIN IMMEDIATE`` …
``COMMIT``) in WAL mode: a process killed half way leaves the store as it was before.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import operator
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from lineage.errors import (
    IntegrityError,
    NotAStoreError,
    StoreError,
    StoreNotInitialized,
    StoreNotWritable,
)
from lineage.model import Edge, EdgeKind, Node, NodeKind
from lineage.serialize import digest, dumps, dumps_str, loads, now_utc, sha256_hex, utc_iso

if TYPE_CHECKING:
    from lineage.graph import LineageGraph

DB_NAME = "lineage.db"
# the newest schema this lineage reads and writes. 2: current facts carry the seq of the event
# that wrote them; 3: fact_log also holds withdrawals (set at a store's first withdrawal)
SCHEMA_VERSION = 3
_SCHEMA_CURRENT = 2  # what a new or migrated store gets; older ones are migrated when opened
WITHDRAWN = "withdrawn"  # the hash of a fact's version that withdraws it (never a sha256)
GENESIS = "0" * 64
_BATCH = 2000
_LOOKUP = 300  # keys per existence query
_PAGE_SIZE = 16384

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, attrs TEXT NOT NULL, hash TEXT NOT NULL,
  seq INTEGER);
CREATE TABLE IF NOT EXISTS edges (
  source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, attrs TEXT NOT NULL,
  hash TEXT NOT NULL, seq INTEGER, PRIMARY KEY (source, target, kind));
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
  payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fact_log (
  seq INTEGER NOT NULL, fid TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (seq, fid))
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watermarks (
  harvester TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL, hash TEXT,
  PRIMARY KEY (harvester, scope));
CREATE TABLE IF NOT EXISTS cache (
  namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, hash TEXT,
  PRIMARY KEY (namespace, key));
CREATE TABLE IF NOT EXISTS state (
  namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, hash TEXT,
  PRIMARY KEY (namespace, key));
"""

# Secondary indexes (reads by kind / by target), not needed to write: a bulk load into an
# empty store drops them and builds them again once its rows are in (much cheaper than
# keeping them up to date row by row), inside the same transaction.
_INDEXES = {
    "nodes_kind": "CREATE INDEX IF NOT EXISTS nodes_kind ON nodes(kind)",
    "edges_target": "CREATE INDEX IF NOT EXISTS edges_target ON edges(target)",
    "edges_kind": "CREATE INDEX IF NOT EXISTS edges_kind ON edges(kind)",
}
_DDL += "".join(sql + ";\n" for sql in _INDEXES.values())
_PENDING_MAX = 200_000  # facts of one event tracked in memory before its digest is read back
# the digest lines "fid hash" of an event's rows and withdrawals (the only fact_log entries
# of the event being written), sorted by fid
_ROWS_OF_EVENT = (
    "SELECT fid || ' ' || hash FROM (SELECT 'n|' || id AS fid, hash FROM nodes WHERE seq = ?1 "
    "UNION ALL SELECT 'e|' || source || '|' || target || '|' || kind, hash FROM edges "
    "WHERE seq = ?1 UNION ALL SELECT fid, hash FROM fact_log WHERE seq = ?1) ORDER BY fid")
# every fact version with the event that wrote it, sorted as the event digests are taken
_ALL_FACTS_BY_EVENT = (
    "SELECT seq, fid, hash, logged FROM ("
    "SELECT seq, 'n|' || id AS fid, hash, 0 AS logged FROM nodes "
    "UNION ALL SELECT seq, 'e|' || source || '|' || target || '|' || kind, hash, 0 FROM edges "
    "UNION ALL SELECT seq, fid, hash, 1 FROM fact_log) ORDER BY seq, fid, hash")
# the tables and columns verify reads the trail from
_TRAIL = {
    "meta": ("key", "value"),
    "nodes": ("id", "kind", "attrs", "hash", "seq"),
    "edges": ("source", "target", "kind", "attrs", "hash", "seq"),
    "events": ("seq", "ts", "kind", "actor", "payload", "prev_hash", "hash"),
    "fact_log": ("seq", "fid", "hash"),
}
_NAME_LINES = 20_000  # facts of one event read back to name the fact behind a failed digest
_DELETED_NAMED = 3  # deleted facts a failed verify names (the first few)
_NAME_WORK = 4_000_000  # digest lines hashed at most trying candidates for that fact
_PROGRESS_ROWS = 50_000  # verify reports its progress every so many rows
# watermarks the audit reads, logged in the event log (module docstring), by (harvester, scope):
# what each holds, as verify names it (lineage.audit.index.CLONE_WATERMARK reads the first)
LOGGED_WATERMARKS: dict[tuple[str, str], str] = {
    ("git", "clone"): "what the clone the store was harvested from lacks, which the audit "
                      "reads: harvest-complete",
    ("records", "checkout"): "the record files the checkout left out (a sparse checkout) and "
                             "the records whose commits no ref holds, which the audit reads: "
                             "harvest-complete",
}
# events whose payload may log watermarks (a cheap filter before the JSON is read)
_LOGS_WATERMARKS = "instr(payload, '\"watermarks\"') > 0"
_BUSY_TIMEOUT = 30.0  # seconds a command waits for another process's write to end (default)
_BUSY_ENV = "LINEAGE_BUSY_TIMEOUT"  # sets that wait, in seconds
_FILE_PROBLEMS = 20  # problems SQLite's integrity check lists at most, in verify
_BULK_ROWS = 20_000  # rows written by one upsert() before its bulk load drops the indexes


def node_hash(kind: str, node_id: str, attrs: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``{"kind", "id", "attrs"}``."""
    return digest({"kind": kind, "id": node_id, "attrs": attrs})


def edge_hash(kind: str, source: str, target: str, attrs: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``{"kind", "source", "target", "attrs"}``."""
    return digest({"kind": kind, "source": source, "target": target, "attrs": attrs})


# The same hashes from attrs already serialized (the bytes that are stored), without building
# and serializing the wrapper object again: canonical JSON sorts keys, so the wrapper is
# ``{"attrs":<attrs>,"id":<id>,"kind":<kind>}`` byte for byte (a test checks both agree).
_sha256 = hashlib.sha256
_jstr = orjson.dumps  # a JSON string literal, as canonical JSON writes it


def _node_hash_raw(kind: str, node_id: str, attrs_json: bytes) -> str:
    return _sha256(b'{"attrs":' + attrs_json + b',"id":' + _jstr(node_id) + b',"kind":'
                   + _jstr(kind) + b"}").hexdigest()


def _edge_hash_raw(kind: str, source: str, target: str, attrs_json: bytes) -> str:
    return _sha256(b'{"attrs":' + attrs_json + b',"kind":' + _jstr(kind) + b',"source":'
                   + _jstr(source) + b',"target":' + _jstr(target) + b"}").hexdigest()


def node_row(kind: str, node_id: str, attrs: dict[str, Any]) -> tuple[str, str, str, str]:
    """A new node in the store's row form: (id, kind, attrs JSON, hash)."""
    body = dumps(attrs)
    return node_id, kind, body.decode(), _node_hash_raw(kind, node_id, body)


def edge_row(kind: str, source: str, target: str, attrs: dict[str, Any]
             ) -> tuple[str, str, str, str, str]:
    """A new edge in the store's row form: (source, target, kind, attrs JSON, hash)."""
    body = dumps(attrs) if attrs else b"{}"
    return source, target, kind, body.decode(), _edge_hash_raw(kind, source, target, body)


_Row = TypeVar("_Row", tuple[str, str, str, str], tuple[str, str, str, str, str])


@dataclass(frozen=True, slots=True)
class FactRows:
    """Facts already in the store's row form (:func:`node_row`, :func:`edge_row`), e.g.
    built and hashed in another process. :meth:`Store.upsert` inserts the rows whose fact the
    store does not hold yet as they are, and merges the others like any fact."""

    nodes: list[tuple[str, str, str, str]]
    edges: list[tuple[str, str, str, str, str]]


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """An edge its source no longer states (a producer deleted the facet it came from, or
    now names another commit or version), given to :meth:`Store.upsert` among the facts, in
    stream order: the edge leaves the store's facts; the withdrawal is logged as a fact of the
    event (see the module docstring). An edge the store does not hold is not written. An edge
    stated again afterwards is a new fact (it keeps no attribute of the withdrawn one)."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, slots=True)
class NodeWithdrawal:
    """A node its source no longer states (e.g. a run it now knows under another id), with
    every edge into or out of it, given to :meth:`Store.upsert` among the facts: the facts
    before it in the stream are written first, those after it may state the node again (a new
    fact). Logged as a :class:`Withdrawal` is. ``unlinked``: only when no edge is left into or
    out of the node (one a source stopped linking, which another may still link)."""

    id: str
    unlinked: bool = False


# a new fact's row; the event seq (an int) is a literal in the statement, not a column per row
_INSERT_NODES = "INSERT INTO nodes(id, kind, attrs, hash, seq) VALUES (?,?,?,?,{seq})"
_INSERT_EDGES = "INSERT INTO edges(source, target, kind, attrs, hash, seq) VALUES (?,?,?,?,?,{seq})"


def _corrupt(what: str, exc: BaseException) -> IntegrityError:
    """A row lineage cannot read back: the store was changed outside lineage."""
    return IntegrityError(
        f"{what} in the store cannot be read ({type(exc).__name__}: {exc}): the store was "
        "changed outside lineage",
        hint="run `lineage verify` to see what changed; restore .lineage/ from a backup, or "
             "move it aside and rebuild it with `lineage init` and `lineage harvest`")


def _stored(body: str | bytes, what: str) -> dict[str, Any]:
    """The attrs of a stored row (JSON object text)."""
    try:
        attrs = loads(body)
    except ValueError as exc:
        raise _corrupt(what, exc) from None
    if not isinstance(attrs, dict):
        raise _corrupt(what, ValueError("attrs are not a JSON object"))
    return attrs


_KIND_OF_NODE_ROW = operator.itemgetter(1)
_KIND_OF_EDGE_ROW = operator.itemgetter(2)


def _remade_node(first: tuple[str, str, str, str], later: tuple[str, str, str, str]
                 ) -> tuple[str, str, str, str]:
    """One node row from two rows of the same fact (the later one's attrs win key by key)."""
    return node_row(later[1], later[0], {**_stored(first[2], f"node {first[0]}"),
                                         **loads(later[2])})


def _remade_edge(first: tuple[str, str, str, str, str], later: tuple[str, str, str, str, str]
                 ) -> tuple[str, str, str, str, str]:
    return edge_row(later[2], later[0], later[1], {
        **_stored(first[3], f"edge {first[2]} {first[0]} → {first[1]}"), **loads(later[3])})


def _new_and_stored(rows: list[_Row], width: int, stored: Container[Any],
                    remade: Callable[[_Row, _Row], _Row]) -> tuple[list[_Row], list[_Row]]:
    """Rows to insert (facts not stored, each one's repeats merged into it, as ``upsert``
    merges a fact met twice) and rows to merge into stored facts, in order. The key is the
    first ``width`` fields (the id alone for nodes), as ``stored`` holds it."""
    new: dict[Any, _Row] = {}
    again: list[_Row] = []
    for r in rows:
        k = r[0] if width == 1 else r[:width]
        if k in stored:
            again.append(r)
        else:
            prev = new.get(k)
            new[k] = r if prev is None else remade(prev, r)
    return list(new.values()), again


def _node_fid(node_id: str) -> str:
    return "n|" + node_id


def _edge_fid(source: str, target: str, kind: str) -> str:
    return f"e|{source}|{target}|{kind}"


@dataclass
class WriteStats:
    """What a batch of writes changed (counted per kind)."""

    nodes_new: dict[str, int] = field(default_factory=dict)
    nodes_changed: dict[str, int] = field(default_factory=dict)
    edges_new: dict[str, int] = field(default_factory=dict)
    edges_changed: dict[str, int] = field(default_factory=dict)
    edges_withdrawn: dict[str, int] = field(default_factory=dict)
    nodes_withdrawn: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(
            sum(d.values())
            for d in (self.nodes_new, self.nodes_changed, self.edges_new, self.edges_changed,
                      self.edges_withdrawn, self.nodes_withdrawn)
        )

    def as_dict(self) -> dict[str, dict[str, int]]:
        out = {
            "nodes_new": dict(sorted(self.nodes_new.items())),
            "nodes_changed": dict(sorted(self.nodes_changed.items())),
            "edges_new": dict(sorted(self.edges_new.items())),
            "edges_changed": dict(sorted(self.edges_changed.items())),
        }
        # (left out when none: the payloads events always had)
        if self.nodes_withdrawn:
            out["nodes_withdrawn"] = dict(sorted(self.nodes_withdrawn.items()))
        if self.edges_withdrawn:
            out["edges_withdrawn"] = dict(sorted(self.edges_withdrawn.items()))
        return out


@dataclass(frozen=True)
class Event:
    seq: int
    ts: str
    kind: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass
class VerifyResult:
    ok: bool
    events: int
    facts: int
    problem: str | None = None
    bad_seq: int | None = None


def _event_hash(seq: int, ts: str, kind: str, actor: str, payload: str, prev: str) -> str:
    body = f"{seq}\n{ts}\n{kind}\n{actor}\n{payload}\n{prev}"
    return sha256_hex(body.encode())


class Store:
    """The embedded store. Open with :meth:`open` (existing) or :meth:`init` (create)."""

    def __init__(self, root: Path, conn: sqlite3.Connection) -> None:
        self.root = root
        self.db = root / DB_NAME  # the store file (open_read_only may read one named otherwise)
        self.conn = conn
        # facts written since the last event: fid -> hash of the last version written; None
        # once there are more than _PENDING_MAX (the event's digest is then read back from
        # the rows that carry its seq, sorted by SQLite: memory stays flat on huge loads)
        self._pending: dict[str, str] | None = {}
        self._writes = 0  # fact rows written since the last event
        # seq of the event the facts being written belong to (the next one appended), read
        # from the head at the first write after an append; None until then
        self._seq: int | None = None
        self._in_tx = False
        # Bulk load: when the store held no facts at the start of the transaction, a fact can
        # only exist if this transaction wrote it, so a batch is inserted as new facts without
        # looking anything up; only a batch that meets a fact already written (a primary-key
        # conflict, rolled back to a savepoint) is looked up and merged. No memory of the
        # keys written: it would grow with the history.
        self._fresh = False
        self._cache_has_hash: bool | None = None  # see _cache_hashed
        self._watermarks_have_hash: bool | None = None  # see _watermarks_hashed
        # open_read_only: why a private copy of the store is read instead of the file (None:
        # the file itself), and the temporary folder holding that copy
        self.read_note: str | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._unlocked: _Signature | None = None  # the file's, when read without locks
        # edges withdrawn by the event being written (fid): stated again in it, the
        # withdrawal is no longer its last version of them
        self._withdrawn: set[str] = set()
        # values of LOGGED_WATERMARKS written since the last event and not logged yet: the
        # next event logs them (append_event)
        self._unlogged: dict[tuple[str, str], str] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    @staticmethod
    def _connect(db: Path, existing: bool = False) -> sqlite3.Connection:
        """A connection to the store file ``db``; ``existing``: it must already be a lineage
        store (checked before anything is written to it: setting WAL writes to the file)."""
        conn = None
        try:
            conn = sqlite3.connect(db, isolation_level=None, timeout=busy_timeout())
            if existing:
                _require_store(conn, db, StoreError)
            # a new store gets 16 KiB pages (rows of ~300 bytes, keys of ~100: a bulk load
            # writes ~20% faster than with 4 KiB); a no-op on an existing store
            conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise _open_error(db, exc) from exc
        return conn

    @classmethod
    def init(cls, root: Path) -> Store:
        if root.exists() and not root.is_dir():
            raise StoreError(f"cannot create the store at {root}: a file of that name is there",
                             hint="move that file aside, or point the store elsewhere (`store:` "
                                  "in lineage.yaml, or the LINEAGE_STORE environment variable)")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the store at {root}: {exc.strerror or exc}",
                hint="make that folder writable, or point the store elsewhere (`store:` in "
                     "lineage.yaml, or the LINEAGE_STORE environment variable)") from None
        conn = cls._connect(root / DB_NAME)
        fresh = not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not fresh:  # `lineage init` again on an existing store: bring it up to date
            cls._check_version(conn, root / DB_NAME)
            _require_trail(conn, root / DB_NAME)
        conn.executescript(_DDL)
        conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(_SCHEMA_CURRENT),),
        )
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('head', ?)", (f"0:{GENESIS}",))
        gitignore = root / ".gitignore"
        if not gitignore.exists():
            with contextlib.suppress(OSError):  # a nicety: the store works without it
                gitignore.write_text("# lineage store: local state, not for version control\n*\n")
        return cls(root, conn)

    @classmethod
    def open(cls, root: Path) -> Store:
        db = root / DB_NAME
        if not db.exists():
            raise StoreNotInitialized(
                f"no lineage store at {root}", hint="run `lineage init` in the repository first"
            )
        conn = cls._connect(db, existing=True)
        try:
            cls._check_version(conn, db)
            _require_trail(conn, db)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _open_error(db, exc) from exc
        conn.executescript(_DDL)  # forward-compatible: new tables appear in old stores
        return cls(root, conn)

    @classmethod
    def open_read_only(cls, path: Path) -> Store:
        """The store opened to read only (what ``lineage verify`` does, e.g. on a copy handed
        to an auditor on read-only media): the store file is never written, not even by a
        WAL checkpoint or a schema migration, and no side file is made where none can be.

        SQLite reads a WAL-mode store read-only when it can make (or finds) the ``-shm``
        file. In a folder that cannot be written it reads the file as immutable (no locks:
        :meth:`changed_while_read` tells whether it was written meanwhile) when no
        ``-wal``/``-journal`` file holds commits; when one does (a copy made while the store
        was open), or when the store has an older schema (migrated before it is read), a
        private copy in a temporary folder is read instead: :attr:`read_note` says so.

        ``path``: the store's folder, or the store file itself (e.g. a copy filed under
        another name). A file that is not a lineage store (not a database, damaged, empty,
        another program's database, a schema version that cannot be read):
        :class:`IntegrityError`; a :class:`NotAStoreError` when it holds none of lineage's
        tables (not an SQLite file, or a database without them: it never was a store, or was
        replaced by another file), as opposed to a store damaged or with some tables dropped.
        """
        root, db = (path.parent, path) if path.is_file() else (path, path / DB_NAME)
        if not db.is_file():
            raise StoreNotInitialized(
                f"no lineage store at {path}",
                hint="give the store's folder (.lineage) or its file (lineage.db); in a "
                     "repository without one, run `lineage init` first")
        _require_sqlite(db)
        conn, note, scratch, unlocked = _read_only_connection(db)
        try:
            _require_store(conn, db, IntegrityError)
            version = _schema_version(conn, db)
            if version > SCHEMA_VERSION:
                raise StoreError(f"{db} has schema version {version}; this lineage reads up "
                                 f"to {SCHEMA_VERSION}", hint="upgrade lineage")
            if version < _SCHEMA_CURRENT:  # migrated in a copy, never in place
                if scratch is None:
                    scratch = _scratch(db)
                    copy = Path(scratch.name) / DB_NAME
                    try:
                        with contextlib.closing(sqlite3.connect(copy)) as dest:
                            conn.backup(dest)
                    except sqlite3.OperationalError as exc:
                        if _busy(exc):
                            raise
                        raise _copy_error(db, scratch, exc) from None
                    conn.close()
                    conn = cls._connect(copy, existing=True)
                cls._check_version(conn, db)
                note = (f"{db} has schema version {version}: a copy of it, brought to schema "
                        f"{_SCHEMA_CURRENT} in a temporary folder, was read (the store itself "
                        "is unchanged)")
        except sqlite3.DatabaseError as exc:
            conn.close()
            _cleanup(scratch)
            if _busy(exc):
                raise _open_error(db, exc, reading=True) from exc
            raise _damaged_error(db, exc) from exc
        except BaseException:
            conn.close()
            _cleanup(scratch)
            raise
        store = cls(root, conn)
        store.db = db
        store.read_note = note
        store._unlocked = unlocked
        store._scratch = scratch
        return store

    @classmethod
    def _check_version(cls, conn: sqlite3.Connection, db: Path) -> None:
        try:
            version = _schema_version(conn, db)
        except IntegrityError:
            conn.close()
            raise
        if version > SCHEMA_VERSION:
            raise StoreError(f"{db} has schema version {version}; this lineage reads up to "
                             f"{SCHEMA_VERSION}", hint="upgrade lineage")
        if version == 1:
            try:
                cls._migrate_v1(conn, db)
            except IntegrityError:
                conn.close()
                raise
            except sqlite3.DatabaseError as exc:
                conn.close()
                if _busy(exc):
                    raise _open_error(db, exc) from exc
                raise StoreError(f"cannot upgrade the store {db} to schema {_SCHEMA_CURRENT}: "
                                 f"{exc} (it is unchanged)",
                                 hint="free some disk space or fix the file's permissions, "
                                      "then run the command again") from exc

    @staticmethod
    def _migrate_v1(conn: sqlite3.Connection, db: Path) -> None:
        """Schema 1 → 2: the current version of each fact moves from ``fact_log`` to the fact
        row (its ``seq``); ``fact_log`` keeps the superseded versions only.

        Each row gets the last seq its fid has in ``fact_log``, and exactly the log entries
        equal to a row's (seq, fid, hash) are deleted: a row edited in place before the
        migration leaves its logged version behind, so ``verify`` still reports it. One
        transaction: an interrupted migration leaves a schema 1 store, migrated at next open.
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None or row[0] != "1":  # another process migrated it meanwhile
                conn.execute("ROLLBACK")
                return
            kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
            for table in _TRAIL:  # (not a disk to free and retry: changed outside lineage)
                if kinds.get(table) != "table":
                    raise IntegrityError(
                        f"{db}: table {table} is missing: it was changed outside lineage",
                        hint="run `lineage verify`; restore .lineage/ from a backup, or move "
                             "it aside and rebuild it with `lineage init` and `lineage harvest`")
            for table in ("nodes", "edges"):
                cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                if "seq" not in cols:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN seq INTEGER")
            conn.execute("DROP TABLE IF EXISTS temp.fact_latest")
            conn.execute("CREATE TEMP TABLE fact_latest (fid TEXT PRIMARY KEY, seq INTEGER "
                         "NOT NULL) WITHOUT ROWID")
            conn.execute("INSERT INTO temp.fact_latest SELECT fid, max(seq) FROM fact_log "
                         "GROUP BY fid")
            conn.execute("UPDATE nodes SET seq = (SELECT seq FROM temp.fact_latest "
                         "WHERE fid = 'n|' || nodes.id)")
            conn.execute("UPDATE edges SET seq = (SELECT seq FROM temp.fact_latest WHERE fid = "
                         "'e|' || edges.source || '|' || edges.target || '|' || edges.kind)")
            conn.execute("DROP TABLE temp.fact_latest")
            conn.execute("DELETE FROM fact_log WHERE (seq, fid, hash) IN "
                         "(SELECT seq, 'n|' || id, hash FROM nodes WHERE seq IS NOT NULL)")
            conn.execute("DELETE FROM fact_log WHERE (seq, fid, hash) IN "
                         "(SELECT seq, 'e|' || source || '|' || target || '|' || kind, hash "
                         "FROM edges WHERE seq IS NOT NULL)")
            conn.execute("UPDATE meta SET value=? WHERE key='schema_version'",
                         (str(_SCHEMA_CURRENT),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def changed_while_read(self) -> bool:
        """Whether the store file was read without locks (:meth:`open_read_only` in a folder
        that cannot be written: SQLite cannot make its lock file there) and has changed since
        it was opened: another account, that can write it, did. What was read may then mix
        two states of the store, and no verdict can be drawn from it."""
        if self._unlocked is None:
            return False
        try:
            return _signature(self.db) != self._unlocked
        except OSError:
            return True

    def close(self) -> None:
        self.conn.close()
        _cleanup(self._scratch)
        self._scratch = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing. Nested calls join the outer transaction."""
        if self._in_tx:
            yield self
            return
        # A first load into an empty store writes every page once: with a rollback journal
        # instead of WAL (same atomicity) they are written to the database file directly,
        # not to the WAL and then again by the checkpoint. Back to WAL when it is done.
        journal = None
        if self.is_empty():
            try:  # only possible while no other connection has the store open
                mode = self.conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                journal = mode if mode == "delete" else None
            except sqlite3.OperationalError:
                journal = None
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # another process holds the write lock
            if journal is not None:
                with contextlib.suppress(sqlite3.OperationalError):
                    self.conn.execute("PRAGMA journal_mode=WAL")
            raise _open_error(self.db, exc) from exc
        self._in_tx = True
        self._fresh = self.is_empty()
        try:
            yield self
            if self._writes:
                raise StoreError("facts written without an event; call append_event()")
            if self._unlogged:
                raise StoreError("a watermark the audit reads was written without an event; "
                                 "call append_event()")
            self.conn.execute("COMMIT")
        except BaseException as exc:
            # SQLite may have rolled back already (a full disk, an I/O error): then ROLLBACK
            # fails, and must not hide the error that caused it
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            self._pending = {}
            self._writes = 0
            self._seq = None
            self._withdrawn = set()
            self._unlogged = {}
            # a hash column this transaction added is gone again: read the table's layout anew
            self._cache_has_hash = self._watermarks_have_hash = None
            if isinstance(exc, sqlite3.OperationalError):
                refused = _write_error(self.db, exc)
                if refused is not None:
                    raise refused from exc
            raise
        finally:
            self._in_tx = False
            self._seq = None
            self._fresh = False
            if journal is not None:
                try:
                    self.conn.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:  # someone opened it meanwhile: next open
                    pass

    def is_empty(self) -> bool:
        """No node and no edge yet (nothing harvested or recorded, whatever events a push or
        a verify logged)."""
        return bool(self.conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM nodes) AND NOT EXISTS (SELECT 1 FROM edges)"
        ).fetchone()[0])

    def _require_tx(self) -> None:
        if not self._in_tx:
            raise StoreError("writes must happen inside Store.transaction()")

    # -- facts ------------------------------------------------------------------------------
    def upsert(self, items: Iterable[Node | Edge | FactRows | Withdrawal | NodeWithdrawal],
               stats: WriteStats | None = None) -> WriteStats:
        """Merge nodes and edges (or :class:`FactRows`) into the store, and withdraw the edges
        and nodes a :class:`Withdrawal` or :class:`NodeWithdrawal` names, in the order given.

        Merge rule: attributes from the new fact overwrite the stored ones key by key; keys the
        new fact does not carry are kept. A fact whose merged form is unchanged writes nothing.
        """
        self._require_tx()
        stats = stats or WriteStats()
        nodes: dict[str, tuple[str, dict[str, Any]]] = {}
        edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        gone: dict[tuple[str, str, str], None] = {}  # withdrawals not written yet, in order
        node_cls = Node
        bulk = self._fresh
        rows_before = self._writes
        dropped = False

        def flush() -> None:
            """Write what is pending, in order: nodes, edges, then withdrawals."""
            nonlocal nodes, edges, gone
            if nodes:
                self._write_nodes(nodes, stats)
                nodes = {}
            if edges:
                self._write_edges(edges, stats)
                edges = {}
            if gone:
                self._withdraw_edges(list(gone), stats)
                gone = {}

        try:
            for item in items:
                if type(item) is node_cls or isinstance(item, Node):
                    nid = item.id
                    prev = nodes.get(nid)
                    if prev is None:
                        nodes[nid] = (str(item.kind), item.attrs)
                    else:
                        nodes[nid] = (str(item.kind), {**prev[1], **item.attrs})
                    if len(nodes) >= _BATCH:
                        self._write_nodes(nodes, stats)
                        nodes = {}
                        if bulk and not dropped and self._writes - rows_before > _BULK_ROWS:
                            dropped = self._drop_indexes()
                elif type(item) is FactRows:
                    flush()  # in order: a row may merge into a fact met just before
                    if bulk and not dropped and (self._writes - rows_before + len(item.nodes)
                                                 + len(item.edges)) > _BULK_ROWS:
                        dropped = self._drop_indexes()
                    self._write_rows(item, stats)
                elif type(item) is NodeWithdrawal:
                    flush()  # in order: what came before is written first
                    self._withdraw_node(item.id, stats, item.unlinked)
                elif type(item) is Withdrawal:
                    key = (item.source, item.target, str(item.kind))
                    edges.pop(key, None)  # stated earlier in this stream: not written
                    gone[key] = None
                    if len(gone) >= _BATCH:
                        self._withdraw_edges(list(gone), stats)
                        gone = {}
                else:
                    assert isinstance(item, Edge)
                    key = (item.source, item.target, str(item.kind))
                    if key in gone:  # withdrawn first: stated again as a new fact
                        del gone[key]
                        self._withdraw_edges([key], stats)
                    prev_e = edges.get(key)
                    edges[key] = item.attrs if prev_e is None else {**prev_e, **item.attrs}
                    if len(edges) >= _BATCH:
                        self._write_edges(edges, stats)
                        edges = {}
                        if bulk and not dropped and self._writes - rows_before > _BULK_ROWS:
                            dropped = self._drop_indexes()
            flush()
        finally:
            if dropped:  # on an error the transaction's rollback restores them anyway
                self._create_indexes()
        return stats

    def _drop_indexes(self) -> bool:
        for name in _INDEXES:
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")
        return True

    def _create_indexes(self) -> None:
        if self._in_tx:
            for sql in _INDEXES.values():
                self.conn.execute(sql)

    def _event_seq(self) -> int:
        """The seq the facts written now get: that of the next event appended."""
        if self._seq is None:
            self._seq = self.head()[0] + 1
        return self._seq

    def _existing_nodes(self, ids: list[str]) -> dict[str, tuple[str, str, int | None]]:
        """id -> (attrs, hash, seq) of the stored rows among ``ids``."""
        existing: dict[str, tuple[str, str, int | None]] = {}
        for i in range(0, len(ids), _LOOKUP):
            chunk = ids[i : i + _LOOKUP]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT id, attrs, hash, seq FROM nodes WHERE id IN ({marks})", chunk
            ):
                existing[r[0]] = (r[1], r[2], r[3])
        return existing

    def _existing_edges(self, keys: list[tuple[str, str, str]]
                        ) -> dict[tuple[str, str, str], tuple[str, str, int | None]]:
        """(source, target, kind) -> (attrs, hash, seq) of the stored rows among ``keys``."""
        existing: dict[tuple[str, str, str], tuple[str, str, int | None]] = {}
        for i in range(0, len(keys), _LOOKUP):
            chunk = keys[i : i + _LOOKUP]
            values = ",".join(["(?,?,?)"] * len(chunk))
            params = [p for k in chunk for p in k]
            for r in self.conn.execute(
                "SELECT e.source, e.target, e.kind, e.attrs, e.hash, e.seq FROM "
                f"(VALUES {values}) AS v CROSS JOIN edges AS e ON e.source = v.column1 "
                "AND e.target = v.column2 AND e.kind = v.column3", params
            ):
                existing[(r[0], r[1], r[2])] = (r[3], r[4], r[5])
        return existing

    def _insert_new(self, sql: str, rows: Sequence[tuple[str, ...]]) -> bool:
        """Insert rows of facts taken to be new (a fresh store); False, with nothing written,
        when one of them is there already."""
        conn = self.conn
        conn.execute("SAVEPOINT new_facts")
        try:
            conn.executemany(sql, rows)
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO new_facts")
            conn.execute("RELEASE new_facts")
            return False
        conn.execute("RELEASE new_facts")
        return True

    def _new_node_rows(self, rows: list[tuple[str, str, str, str]], stats: WriteStats) -> None:
        """Count node rows just inserted as new facts of the pending event."""
        count = stats.nodes_new
        for kind, n in Counter(map(_KIND_OF_NODE_ROW, rows)).items():
            count[kind] = count.get(kind, 0) + n
        if self._pending is not None:
            self._pending.update(("n|" + r[0], r[3]) for r in rows)
        if self._withdrawn:
            self._restated("n|" + r[0] for r in rows)
        self._written(len(rows))

    def _new_edge_rows(self, rows: list[tuple[str, str, str, str, str]],
                       stats: WriteStats) -> None:
        count = stats.edges_new
        for kind, n in Counter(map(_KIND_OF_EDGE_ROW, rows)).items():
            count[kind] = count.get(kind, 0) + n
        if self._pending is not None:
            self._pending.update((f"e|{e[0]}|{e[1]}|{e[2]}", e[4]) for e in rows)
        if self._withdrawn:
            self._restated(f"e|{e[0]}|{e[1]}|{e[2]}" for e in rows)
        self._written(len(rows))

    def _write_nodes(self, nodes: dict[str, tuple[str, dict[str, Any]]],
                     stats: WriteStats) -> None:
        seq = self._event_seq()
        if self._fresh:
            rows = [node_row(kind, nid, attrs) for nid, (kind, attrs) in nodes.items()]
            if self._insert_new(_INSERT_NODES.format(seq=int(seq)), rows):
                self._new_node_rows(rows, stats)
                return
        existing = self._existing_nodes(list(nodes))
        new_rows = []
        changed_rows = []
        superseded = []
        pending = self._pending
        new_count = stats.nodes_new
        raw_hash = _node_hash_raw
        for nid, (kind, attrs) in nodes.items():
            old = existing.get(nid) if existing else None
            if old is None:
                row = node_row(kind, nid, attrs)
                h = row[3]
                new_count[kind] = new_count.get(kind, 0) + 1
                new_rows.append((*row, seq))
            else:
                body = dumps({**_stored(old[0], f"node {nid}"), **attrs})
                text = body.decode()
                if text == old[0]:
                    continue  # unchanged: nothing written, no event
                h = raw_hash(kind, nid, body)
                if h == old[1]:
                    continue
                stats.nodes_changed[kind] = stats.nodes_changed.get(kind, 0) + 1
                changed_rows.append((nid, kind, text, h, seq))
                if old[2] != seq:
                    superseded.append((_old_seq(old[2]), "n|" + nid, old[1]))
            if pending is not None:
                pending["n|" + nid] = h
        self._written(len(new_rows) + len(changed_rows))
        if new_rows:
            self.conn.executemany(
                "INSERT INTO nodes(id, kind, attrs, hash, seq) VALUES (?,?,?,?,?)", new_rows)
            if self._withdrawn:
                self._restated("n|" + r[0] for r in new_rows)
        if changed_rows:
            self.conn.executemany(
                "UPDATE nodes SET kind=?2, attrs=?3, hash=?4, seq=?5 WHERE id=?1", changed_rows)
        if superseded:
            self._log_superseded(superseded)

    def _write_edges(self, edges: dict[tuple[str, str, str], dict[str, Any]],
                     stats: WriteStats) -> None:
        seq = self._event_seq()
        if self._fresh:
            rows = [edge_row(kind, src, dst, attrs) for (src, dst, kind), attrs in edges.items()]
            if self._insert_new(_INSERT_EDGES.format(seq=int(seq)), rows):
                self._new_edge_rows(rows, stats)
                return
        existing = self._existing_edges(list(edges))
        new_rows = []
        changed_rows = []
        superseded = []
        pending = self._pending
        new_count = stats.edges_new
        raw_hash = _edge_hash_raw
        for key, attrs in edges.items():
            source, target, kind = key
            old = existing.get(key) if existing else None
            if old is None:
                erow = edge_row(kind, source, target, attrs)
                h = erow[4]
                new_count[kind] = new_count.get(kind, 0) + 1
                new_rows.append((*erow, seq))
            else:
                body = dumps({**_stored(old[0], f"edge {kind} {source} → {target}"), **attrs})
                text = body.decode()
                if text == old[0]:
                    continue
                h = raw_hash(kind, source, target, body)
                if h == old[1]:
                    continue
                stats.edges_changed[kind] = stats.edges_changed.get(kind, 0) + 1
                changed_rows.append((source, target, kind, text, h, seq))
                if old[2] != seq:
                    superseded.append((_old_seq(old[2]), f"e|{source}|{target}|{kind}", old[1]))
            if pending is not None:
                pending[f"e|{source}|{target}|{kind}"] = h
        self._written(len(new_rows) + len(changed_rows))
        if new_rows:
            self.conn.executemany(
                "INSERT INTO edges(source, target, kind, attrs, hash, seq) VALUES (?,?,?,?,?,?)",
                new_rows)
            if self._withdrawn:
                self._restated(f"e|{r[0]}|{r[1]}|{r[2]}" for r in new_rows)
        if changed_rows:
            self.conn.executemany(
                "UPDATE edges SET attrs=?4, hash=?5, seq=?6 "
                "WHERE source=?1 AND target=?2 AND kind=?3", changed_rows)
        if superseded:
            self._log_superseded(superseded)

    def _write_rows(self, rows: FactRows, stats: WriteStats) -> None:
        """Insert the rows of facts not in the store as they are; merge the others (already
        stored, or met twice in ``rows``) through the usual path, after the inserts."""
        seq = int(self._event_seq())
        nodes = rows.nodes
        again_nodes: list[tuple[str, str, str, str]] = []
        if not (self._fresh and self._insert_new(_INSERT_NODES.format(seq=seq), nodes)):
            stored = self._existing_nodes(list(dict.fromkeys(r[0] for r in nodes)))
            nodes, again_nodes = _new_and_stored(nodes, 1, stored, _remade_node)
            self.conn.executemany(_INSERT_NODES.format(seq=seq), nodes)
        self._new_node_rows(nodes, stats)
        edges = rows.edges
        again_edges: list[tuple[str, str, str, str, str]] = []
        if not (self._fresh and self._insert_new(_INSERT_EDGES.format(seq=seq), edges)):
            stored_e = self._existing_edges(
                list(dict.fromkeys((e[0], e[1], e[2]) for e in edges)))
            edges, again_edges = _new_and_stored(edges, 3, stored_e, _remade_edge)
            self.conn.executemany(_INSERT_EDGES.format(seq=seq), edges)
        self._new_edge_rows(edges, stats)
        if again_nodes:  # in order: a repeat merges into the version before it
            merged: dict[str, tuple[str, dict[str, Any]]] = {}
            for nid, kind, body, _ in again_nodes:
                prev = merged.get(nid)
                merged[nid] = (kind, loads(body) if prev is None else {**prev[1], **loads(body)})
            self._write_nodes(merged, stats)
        if again_edges:
            merged_e: dict[tuple[str, str, str], dict[str, Any]] = {}
            for src, dst, kind, body, _ in again_edges:
                key = (src, dst, kind)
                prev_e = merged_e.get(key)
                merged_e[key] = loads(body) if prev_e is None else {**prev_e, **loads(body)}
            self._write_edges(merged_e, stats)

    def withdraw(self, edges: Iterable[tuple[str, str, str] | Edge],
                 stats: WriteStats | None = None) -> WriteStats:
        """Withdraw ``edges`` ((source, target, kind) or :class:`Edge`): :meth:`upsert` of a
        :class:`Withdrawal` for each."""
        return self.upsert((Withdrawal(e.source, e.target, str(e.kind)) if isinstance(e, Edge)
                            else Withdrawal(*e) for e in edges), stats)

    def _withdraw_node(self, node_id: str, stats: WriteStats, unlinked: bool = False) -> None:
        """Withdraw node ``node_id`` and its edges (as :meth:`_withdraw_edges` does);
        ``unlinked``: only if it has none."""
        edges = [(e.source, e.target, str(e.kind)) for e in self.edges_of(node_id)]
        if unlinked and edges:
            return
        self._withdraw_edges(edges, stats)
        old = self._existing_nodes([node_id]).get(node_id)
        if old is None:
            return
        seq = self._event_seq()
        fid = _node_fid(node_id)
        logged = [] if old[2] == seq else [(_old_seq(old[2]), fid, old[1])]
        logged.append((seq, fid, WITHDRAWN))
        if self._pending is not None:
            self._pending[fid] = WITHDRAWN
        self._withdrawn.add(fid)
        kind = str(self.conn.execute("SELECT kind FROM nodes WHERE id=?", (node_id,)).fetchone()[0])
        stats.nodes_withdrawn[kind] = stats.nodes_withdrawn.get(kind, 0) + 1
        self.conn.execute("DELETE FROM nodes WHERE id=?", (node_id,))
        self._log_superseded(logged)
        self._schema_withdrawals()
        self._written(1)

    def _schema_withdrawals(self) -> None:
        # a lineage reading up to schema 2 would take a withdrawal for a deleted row
        self.conn.execute("UPDATE meta SET value=? WHERE key='schema_version' AND value=?",
                          (str(SCHEMA_VERSION), str(_SCHEMA_CURRENT)))

    def _withdraw_edges(self, keys: list[tuple[str, str, str]], stats: WriteStats) -> None:
        """Delete the rows of the stored edges among ``keys``; their versions move to
        ``fact_log`` (when an earlier event wrote them) and each withdrawal is logged under the
        event being written, as its last version of the edge."""
        existing = self._existing_edges(keys)
        if not existing:
            return
        seq = self._event_seq()
        logged: list[tuple[int, str, str]] = []
        pending = self._pending
        for key, (_attrs, h, old_seq) in existing.items():
            fid = _edge_fid(*key)
            if old_seq != seq:  # else its version is this event's, replaced by the withdrawal
                logged.append((_old_seq(old_seq), fid, h))
            logged.append((seq, fid, WITHDRAWN))
            if pending is not None:
                pending[fid] = WITHDRAWN
            self._withdrawn.add(fid)
            kind = key[2]
            stats.edges_withdrawn[kind] = stats.edges_withdrawn.get(kind, 0) + 1
        self.conn.executemany("DELETE FROM edges WHERE source=? AND target=? AND kind=?",
                              list(existing))
        self._log_superseded(logged)
        self._schema_withdrawals()
        self._written(len(existing))

    def _restated(self, fids: Iterable[str]) -> None:
        """Facts withdrawn by the event being written and stated again in it: the new row is
        its last version of them, the withdrawal goes (an event records a fact once)."""
        seq = self._event_seq()
        again = [(seq, fid) for fid in fids if fid in self._withdrawn]
        if again:
            self.conn.executemany("DELETE FROM fact_log WHERE seq=? AND fid=?", again)
            self._withdrawn.difference_update(fid for _, fid in again)

    def _log_superseded(self, rows: list[tuple[int, str, str]]) -> None:
        # (seq, fid) can only be there already if the store was edited by hand (e.g. a row
        # changed before a schema 1 store was migrated): the version the row held replaces
        # it, so the digest of that event keeps telling.
        self.conn.executemany(
            "INSERT OR REPLACE INTO fact_log(seq, fid, hash) VALUES (?,?,?)", rows)

    def _written(self, rows: int) -> None:
        self._writes += rows
        if self._pending is not None and len(self._pending) > _PENDING_MAX:
            self._pending = None  # from now on the event's digest is read from its rows

    @property
    def pending_watermarks(self) -> int:
        """Values of watermarks the audit reads (:data:`LOGGED_WATERMARKS`) written since the
        last event and not logged yet: the caller must append an event, even with no fact."""
        return len(self._unlogged)

    @property
    def pending_facts(self) -> int:
        """Fact rows written since the last event (a fact written twice counts twice once
        more than _PENDING_MAX facts are pending)."""
        return self._writes if self._pending is None else len(self._pending)

    # -- event log --------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last event, as ``meta`` records it; (0, GENESIS) before the
        first event (or when the record is missing: :meth:`verify` tells that apart)."""
        head = self._head_record()
        if head is None:
            raise IntegrityError(
                "the store's head (meta 'head': the last event's seq and hash) cannot be read: "
                "it was changed outside lineage",
                hint="run `lineage verify`; restore .lineage/ from a backup, or move it aside and "
                     "rebuild it with `lineage init` and `lineage harvest`")
        return head

    def _head_record(self) -> tuple[int, str] | None:
        """The head as recorded; None when it cannot be read, (0, GENESIS) when missing."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='head'").fetchone()
        if row is None:
            return 0, GENESIS
        seq, sep, h = str(row[0]).partition(":")
        if not (sep and seq.isascii() and seq.isdigit()):
            return None
        return int(seq), h

    def _last_event(self) -> tuple[int, str]:
        """(seq, hash) of the last event in the log, (0, GENESIS) when it is empty."""
        row = self.conn.execute(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, GENESIS) if row is None else (row[0], row[1])

    def append_event(self, kind: str, actor: str, payload: dict[str, Any]) -> Event:
        """Append one event; it covers every fact written since the previous event (their
        rows already carry its seq; the versions they replaced are in ``fact_log``)."""
        self._require_tx()
        seq_prev, prev_hash = self.head()
        last = self._last_event()
        if (seq_prev, prev_hash) != last:  # never lineage: appending would fork the chain
            raise IntegrityError(f"{_head_mismatch(seq_prev, last[0])}; nothing was written",
                                 hint="run `lineage verify` to see what changed; restore "
                                      ".lineage/ from a backup, or move it aside and rebuild "
                                      "it with `lineage init` and `lineage harvest`")
        seq = seq_prev + 1
        if self._writes and self._seq != seq:  # the head moved under the writes: never lineage
            raise StoreError(f"facts were written for event {self._seq} but the next event "
                             f"is {seq}", hint="another writer changed the store; retry")
        payload = dict(payload)
        pending = self._pending
        if pending is not None:
            fids = sorted(pending)
            payload["facts"] = {"count": len(fids), "digest": _digest_lines(
                fid + " " + pending[fid] for fid in fids)}
        else:
            payload["facts"] = self._rows_digest(seq)
        if self._unlogged:
            logged: dict[str, dict[str, str]] = {}
            for (harvester, scope), value in sorted(self._unlogged.items()):
                logged.setdefault(harvester, {})[scope] = value
            payload["watermarks"] = logged
        ts = utc_iso(now_utc()) or ""
        body = dumps_str(payload)
        h = _event_hash(seq, ts, kind, actor, body, prev_hash)
        self.conn.execute(
            "INSERT INTO events(seq, ts, kind, actor, payload, prev_hash, hash) "
            "VALUES (?,?,?,?,?,?,?)",
            (seq, ts, kind, actor, body, prev_hash, h),
        )
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('head', ?)",
                          (f"{seq}:{h}",))
        self._pending = {}
        self._writes = 0
        self._seq = None
        self._withdrawn = set()
        self._unlogged = {}
        return Event(seq, ts, kind, actor, payload, prev_hash, h)

    @contextmanager
    def _sorts_on_disk(self) -> Iterator[None]:
        """Sorts of the queries inside spill to a temporary file, not to memory (the
        connection keeps its other temporary data in memory: ``_connect``)."""
        if self.conn.execute("PRAGMA temp_store").fetchone()[0] == 1:  # FILE already
            yield
            return
        try:
            self.conn.execute("PRAGMA temp_store=FILE")
        except sqlite3.OperationalError:
            # in a transaction on a connection that has used temporary storage already
            # (the schema 1 migration's temporary table): SQLite refuses to move it. The
            # sort then runs in memory; the result is the same.
            yield
            return
        try:
            yield
        finally:
            try:
                self.conn.execute("PRAGMA temp_store=MEMORY")
            except sqlite3.OperationalError:
                # inside a transaction the caller opened (a read transaction that verify and
                # the audit share: one snapshot), once the sort has used the temporary file:
                # SQLite refuses to move it until the transaction ends. It stays on disk for
                # this connection; what is read is the same.
                if not self.conn.in_transaction:
                    raise

    def _rows_digest(self, seq: int) -> dict[str, Any]:
        """Count and digest of the facts event ``seq`` wrote, from the rows carrying its seq
        (exactly the facts it wrote: a row only gets a seq when its content is written), in
        the order ``sorted()`` gives the pending map: SQLite compares text as UTF-8 bytes,
        which is code point order. The sort spills to a temporary file, not to memory."""
        with self._sorts_on_disk():
            cur = self.conn.execute(_ROWS_OF_EVENT, (seq,))
            digest_, count = _digest_lines_counted(map(operator.itemgetter(0), cur))
        return {"count": count, "digest": digest_}

    def last_fact_event(self) -> tuple[int, str] | None:
        """(seq, hash) of the last event that wrote facts, None before the first. Facts only
        change through such events, so the store's facts are the same while it is."""
        row = self.conn.execute(
            "SELECT seq, hash FROM events WHERE json_extract(payload, '$.facts.count') > 0 "
            "ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1])

    def events(self, since: int = 0) -> Iterator[Event]:
        for r in self.conn.execute(
            "SELECT seq, ts, kind, actor, payload, prev_hash, hash FROM events WHERE seq > ? "
            "ORDER BY seq", (since,)
        ):
            yield Event(r[0], r[1], r[2], r[3], loads(r[4]), r[5], r[6])

    def verify(self, progress: Callable[[str, int, int | None], None] | None = None
               ) -> VerifyResult:
        """Walk the chain and the facts; report the first problem found.

        An event's facts are its superseded versions in ``fact_log`` plus the current rows
        carrying its seq; their digest and their count must be the ones the event recorded
        (every ``fact_log`` hash a sha256 digest or ``withdrawn``). Every current row must
        match its own hash and name an event, no fact may have two current rows, and no
        superseded version of a fact may come from a later event than its current version.

        Memory stays flat whatever the store's size: the rows are checked against their hashes
        in one streaming pass, and the facts of every event come from one query sorted by
        (seq, fact id) by SQLite (spilling to a temporary file), read alongside the events.
        ``progress(what, done, total)`` is told how far each of the two passes is.

        First SQLite's own integrity check of the file (pages, and indexes against their
        tables: the audit reads nodes by kind through an index, so an index that leaves a row
        out would hide it from the audit while every fact still matches its event), and no
        trigger or view (lineage makes none: a trigger would run with the next write). A file
        that cannot be read to its end is reported, not raised (a busy store is raised).

        Inside a read transaction the caller opened (``BEGIN``), verify reads in it: what it
        checks is then the very state the caller reads before and after (``lineage audit
        --verify`` verifies and audits one snapshot).
        """
        # one read transaction: every query sees the same state of the store, whatever
        # another process commits meanwhile (a record landing between the read of the log
        # and that of the head would otherwise look like entries removed from the end)
        # (the temporary store is chosen first: SQLite refuses to change it in a transaction)
        own = not self.conn.in_transaction
        try:
            with self._sorts_on_disk():
                if own:
                    self.conn.execute("BEGIN")
                try:
                    return self._verify(progress or (lambda what, done, total: None))
                finally:
                    if own and self.conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            self.conn.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            db = self.db
            if _busy(exc):
                raise _open_error(db, exc) from exc
            if not file_damaged(exc):
                raise
            return VerifyResult(False, 0, 0, f"the store file {db} cannot be read ({exc}): it "
                                "is damaged or was changed outside lineage", None)

    def _verify(self, report: Callable[[str, int, int | None], None]) -> VerifyResult:
        report("check file", 0, None)
        problems = [line for (text,) in self.conn.execute(
            f"PRAGMA integrity_check({_FILE_PROBLEMS})") for line in str(text).splitlines()
            if line.strip() and not line.startswith("***")]  # "*** in database main ***"
        if problems != ["ok"]:
            more = " (and other problems)" if len(problems) > 1 else ""
            return VerifyResult(False, 0, 0, f"the store file {self.db} is damaged or "
                                "was changed outside lineage: SQLite's integrity check says "
                                f"'{problems[0] if problems else '?'}'{more}", None)
        report("check file", 1, 1)
        missing = _trail_missing(self.conn)
        if missing is not None:
            return VerifyResult(False, 0, 0, f"{self.db}: {missing}: it was "
                                "changed outside lineage", None)
        # lineage never makes a trigger or a view: one in the store is code that runs with the
        # next honest write (e.g. a trigger that drops the alerts a record writes)
        planted = self.conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') "
            "ORDER BY type, name LIMIT 1").fetchone()
        if planted is not None:
            return VerifyResult(False, 0, 0, f"{self.db}: the store holds a {planted[0]} "
                                f"({_as_text(planted[1])}), which lineage never makes: it was "
                                "changed outside lineage", None)
        rows = (self.conn.execute("SELECT count(*) FROM nodes").fetchone()[0]
                + self.conn.execute("SELECT count(*) FROM edges").fetchone()[0])
        # superseded versions: the newest superseded event of each fact (fact_log is small:
        # it only holds versions that a later event replaced)
        newest_old: dict[str, int] = {}
        withdrawn: set[str] = set()  # facts whose newest logged version is a withdrawal
        for seq, fid, h, gone, texts, hashed in self.conn.execute(
                "SELECT seq, fid, hash, hash = ?1, typeof(fid) = 'text' AND "
                "typeof(hash) = 'text', hash = ?1 OR (length(hash) = 64 AND "
                "NOT hash GLOB '*[^0-9a-f]*') FROM fact_log", (WITHDRAWN,)):
            if not texts:  # e.g. the same bytes as a blob: no longer the fact's id
                return VerifyResult(False, 0, 0, f"fact log entry for "
                                    f"{_fact_name(_as_text(fid))} (event {seq!r}) was changed "
                                    "outside lineage (a value of it is not text)", None)
            if type(seq) is not int:
                return VerifyResult(False, 0, 0, f"fact log entry for {_fact_name(fid)} "
                                    f"names no event ({seq!r})", None)
            if not hashed:  # e.g. the digest lines of facts deleted from the store folded
                # into it: the event's digest, taken over the joined lines, would still match
                return VerifyResult(False, 0, 0, f"fact log entry for {_fact_name(fid)} "
                                    f"(event {seq}) was changed outside lineage: its hash is "
                                    f"neither a sha256 digest nor '{WITHDRAWN}'"
                                    f"{_folded(h)}", seq)
            if newest_old.get(fid, -1) < seq:
                newest_old[fid] = seq
                if gone:
                    withdrawn.add(fid)
                else:
                    withdrawn.discard(fid)
        # every current row against its own hash; the seq of those with superseded versions
        current_seq: dict[str, Any] = {}
        bad_row: str | None = None
        bad_fact: tuple[str, Any] | None = None  # (fid, seq) of that row
        count = 0
        node_hash_raw, edge_hash_raw = _node_hash_raw, _edge_hash_raw
        report("check facts", 0, rows)
        for nid, kind, attrs, h, seq, texts in self.conn.execute(
            "SELECT id, kind, attrs, hash, seq, typeof(id) = 'text' AND typeof(kind) = 'text' "
            "AND typeof(attrs) = 'text' AND typeof(hash) = 'text' FROM nodes"
        ):
            count += 1
            if not count % _PROGRESS_ROWS:
                report("check facts", count, rows)
            if not texts:  # a blob or a NULL: not what lineage wrote, nor what it looks up
                nid, kind, attrs, h = map(_as_text, (nid, kind, attrs, h))
                if bad_row is None:
                    bad_row = (f"node {nid} was changed outside lineage (a value of it is not "
                               "text)")
                    bad_fact = ("n|" + nid, seq)
            elif bad_row is None and node_hash_raw(kind, nid, attrs.encode()) != h:
                bad_row = f"node {nid} was changed outside lineage (it does not match its hash)"
                bad_fact = ("n|" + nid, seq)
            if newest_old and "n|" + nid in newest_old:
                current_seq["n|" + nid] = seq
        for src, tgt, kind, attrs, h, seq, texts in self.conn.execute(
            "SELECT source, target, kind, attrs, hash, seq, typeof(source) = 'text' AND "
            "typeof(target) = 'text' AND typeof(kind) = 'text' AND typeof(attrs) = 'text' AND "
            "typeof(hash) = 'text' FROM edges"
        ):
            count += 1
            if not count % _PROGRESS_ROWS:
                report("check facts", count, rows)
            if not texts:
                src, tgt, kind, attrs, h = map(_as_text, (src, tgt, kind, attrs, h))
                if bad_row is None:
                    bad_row = (f"edge {kind} {src} → {tgt} was changed outside lineage (a value "
                               "of it is not text)")
                    bad_fact = (f"e|{src}|{tgt}|{kind}", seq)
            elif bad_row is None and edge_hash_raw(kind, src, tgt, attrs.encode()) != h:
                bad_row = (f"edge {kind} {src} → {tgt} was changed outside lineage (it does "
                           "not match its hash)")
                bad_fact = (f"e|{src}|{tgt}|{kind}", seq)
            if newest_old:
                fid = f"e|{src}|{tgt}|{kind}"
                if fid in newest_old:
                    current_seq[fid] = seq

        report("check facts", count, rows)
        versions = count + self.conn.execute("SELECT count(*) FROM fact_log").fetchone()[0]
        with self._sorts_on_disk():
            report("check events", 0, versions)
            facts = _PeekRows(self.conn.execute(_ALL_FACTS_BY_EVENT),
                              lambda done: report("check events", done, versions))
            res = self._verify_events(facts, count, bad_fact)
            report("check events", versions, versions)
        if res is not None:
            return res
        n = self.head()[0]
        if bad_row is not None:
            return VerifyResult(False, n, count, bad_row, None)
        twice = self._fact_stored_twice()
        if twice is not None:
            return VerifyResult(False, n, count, twice, None)
        for fid in sorted(newest_old):
            cur = current_seq.get(fid)
            if cur is None:
                if fid in withdrawn:  # withdrawn by a source, and not stated again since
                    continue
                return VerifyResult(False, n, count, f"fact {fid[2:]} recorded in the event log "
                                    "was deleted from the store", None)
            if newest_old[fid] >= cur and fid in withdrawn:
                return VerifyResult(False, n, count, f"{_fact_name(fid)} was changed outside "
                                    f"lineage (event {newest_old[fid]} withdrew it, yet the "
                                    f"store holds its version from event {cur})", None)
            if newest_old[fid] >= cur:
                return VerifyResult(False, n, count, f"{_fact_name(fid)} was changed outside "
                                    f"lineage (its version from event {cur} is older than one "
                                    f"it superseded, from event {newest_old[fid]})", None)
        moved = self._watermark_changed()
        if moved is not None:
            return VerifyResult(False, n, count, moved, None)
        return VerifyResult(True, n, count)

    def _verify_events(self, facts: _PeekRows, count: int,
                       bad_fact: tuple[str, Any] | None = None) -> VerifyResult | None:
        """The chain, and each event's facts digest, from ``facts``: (seq, fid, hash, logged)
        rows sorted by seq then fid. None when all is well. ``bad_fact``: (fid, seq) of the
        first row that does not match its own hash, to name it when its event fails."""
        # facts naming no event in the log: the first superseded version and the first
        # current row, in sort order (NULL, then numbers). Those whose seq is not a positive
        # number come first in the stream; reported once the chain itself has been checked.
        first_log: Any = None
        first_row: tuple[Any, str] | None = None
        while (row := facts.peek()) is not None and not (type(row[0]) is int and row[0] >= 1):
            facts.next()
            if row[3]:
                if first_log is None:
                    first_log = row[0]
            elif first_row is None:
                first_row = (row[0], row[1])
        prev = GENESIS
        expected_seq = 1
        n = 0
        # the first event whose facts differ from its digest, and the later ones (how many
        # facts each has more or fewer tells where a fact moved): reported once the log has
        # been read to its end, or to the next break in the chain
        first_bad: _FactsMismatch | None = None
        later_bad: list[_FactsMismatch] = []
        bad_n = 0  # events read up to the first bad one
        for r in self.conn.execute(
            "SELECT seq, ts, kind, actor, payload, prev_hash, hash FROM events ORDER BY rowid"
        ):
            seq, ts, kind, actor, body, prev_hash, h = r
            n += 1
            if first_bad is not None:  # only the facts of the events after it, from now on
                try:
                    facts_meta = loads(body).get("facts", {})
                except Exception:
                    break
                if seq != expected_seq or prev_hash != prev or not isinstance(facts_meta, dict):
                    break
                digest_, got = _digest_lines_counted(_event_lines(facts, seq, []))
                if _facts_differ(facts_meta, digest_, got) and len(later_bad) < 50:
                    later_bad.append(_FactsMismatch(seq, kind, facts_meta.get("count"), got,
                                                    facts_meta.get("digest")))
                prev = h
                expected_seq += 1
                continue
            if seq != expected_seq:
                return VerifyResult(False, n, 0, f"event {expected_seq} is missing or out of "
                                    f"order (found event {seq} in its place)", expected_seq)
            if prev_hash != prev:
                return VerifyResult(False, n, 0, f"event {seq} does not chain to event "
                                    f"{seq - 1} (previous hash differs)", seq)
            if _event_hash(seq, ts, kind, actor, body, prev_hash) != h:
                return VerifyResult(False, n, 0, f"event {seq} ({kind}) was modified: its "
                                    "content no longer matches its hash", seq)
            try:
                payload = loads(body)
            except Exception:
                return VerifyResult(False, n, 0, f"event {seq} payload is not JSON", seq)
            facts_meta = payload.get("facts", {}) if isinstance(payload, dict) else None
            if not isinstance(facts_meta, dict):  # (its hash recomputed: never lineage)
                what = "its facts record is" if isinstance(payload, dict) else "it is"
                return VerifyResult(False, n, 0, f"event {seq} ({kind}) payload was changed "
                                    f"outside lineage ({what} not a JSON object)", seq)
            # this event's facts: the rows with its seq (earlier seqs were consumed already,
            # so a row between two events' seqs cannot hide: seqs are contiguous)
            twice: list[str] = []
            digest_, got = _digest_lines_counted(_event_lines(facts, seq, twice))
            if twice:
                return VerifyResult(False, n, 0, f"{_fact_name(twice[0])} is recorded twice for "
                                    f"event {seq} ({kind}): changed outside lineage", seq)
            if _facts_differ(facts_meta, digest_, got):
                first_bad = _FactsMismatch(seq, kind, facts_meta.get("count"), got,
                                           facts_meta.get("digest"))
                bad_n = n
            prev = h
            expected_seq += 1
        if first_bad is not None:
            return VerifyResult(False, bad_n, 0, self._explain(first_bad, later_bad, bad_fact),
                                first_bad.seq)
        head = self._head_record()
        if head is None:
            return VerifyResult(False, n, 0, "the store's head (meta 'head') cannot be read: it "
                                "was changed outside lineage", None)
        if self.conn.execute("SELECT 1 FROM meta WHERE key='head'").fetchone() is None:
            return VerifyResult(False, n, 0, "the store's head (meta 'head') was deleted "
                                "outside lineage", None)
        if head != (n, prev):
            return VerifyResult(False, n, 0, _head_mismatch(head[0], n),
                                n + 1 if head[0] > n else head[0] + 1)
        # what is left names events that are not in the log
        while (row := facts.next()) is not None:
            if row[3]:
                if first_log is None:
                    first_log = row[0]
            elif first_row is None:
                first_row = (row[0], row[1])
            if first_log is not None and first_row is not None:
                break
        if first_log is not None:
            return VerifyResult(False, n, 0, f"fact log has entries for event {first_log}, "
                                "which is not in the event log", first_log)
        if first_row is not None:
            seq, fid = first_row
            what = (f"event {seq}, which is not in the event log" if type(seq) is int
                    else "no event")
            return VerifyResult(False, n, count, f"{_fact_name(fid)} was changed outside "
                                f"lineage (it records {what})", None)
        return None

    def _fact_stored_twice(self) -> str | None:
        """The first fact with more than one current row, said so; None when each has one.
        Its table's key forbids that, unless the table was rebuilt without it: a version the
        fact superseded (from a copy of the store) put back as a row beside the current one,
        its ``fact_log`` entry deleted, leaves every event's facts as they were, and a
        reader may take either row."""
        for table, key in (("nodes", ("id",)), ("edges", ("source", "target", "kind"))):
            # (the key alone first: a scan of the key's index, without reading the rows)
            cols = ", ".join(key)
            dup = self.conn.execute(f"SELECT {cols} FROM {table} GROUP BY {cols} "
                                    "HAVING count(*) > 1 LIMIT 1").fetchone()
            if dup is not None:
                where = " AND ".join(f"{c} IS ?" for c in key)
                rows, first, last = self.conn.execute(
                    f"SELECT count(*), min(seq), max(seq) FROM {table} WHERE {where}",
                    dup).fetchone()
                ends = [_as_text(v) for v in dup]
                fid = _node_fid(ends[0]) if table == "nodes" else _edge_fid(*ends)
                span = "and" if rows == 2 else "to"
                return (f"{_fact_name(fid)} has {rows} current rows (from events {first} {span} "
                        f"{last}): changed outside lineage (the table {table} lost its key; "
                        "a fact has one current version)")
        return None

    def _explain(self, bad: _FactsMismatch, later: list[_FactsMismatch],
                 bad_fact: tuple[str, Any] | None) -> str:
        """What happened to the facts of event ``bad``, naming the fact where it can be told:
        a fact moved to or from another event (or to none), added, deleted or modified.
        Only on a failed verify: reads the facts of the events concerned again, and tries
        the candidate facts against the recorded digest within a bounded amount of work."""
        event = f"event {bad.seq} ({bad.kind})"
        written = bad.written if type(bad.written) is int else None
        if written is not None and bad.got < written:  # facts missing from the event
            k = written - bad.got
            dest = next((t for t in later if type(t.written) is int
                         and t.got - t.written == k), None)
            if k == 1:
                mine = self._facts_of_event(bad.seq)
                cands: list[tuple[str, str, str]] = []
                if dest is not None:
                    cands = [(f, h, f"event {dest.seq} ({dest.kind})")
                             for f, h in self._facts_of_event(dest.seq) or ()]
                cands += self._facts_of_no_event()
                found = _completing(mine, bad.digest, cands)
                if found is not None:
                    return (f"the facts of {event} were modified outside lineage: "
                            f"{_fact_name(found[0])} was moved from it to {found[2]}")
            if dest is not None:
                return (f"the facts of {event} were modified outside lineage: {_n_facts(k)} "
                        f"of it moved to event {dest.seq} ({dest.kind})")
            return (f"{k} of the facts written by {event} {'was' if k == 1 else 'were'} "
                    f"deleted from the store{self._deleted_facts(bad.seq, k)}")
        if written is not None and bad.got > written:  # facts the event did not write
            k = bad.got - written
            src = next((t for t in later if type(t.written) is int
                        and t.written - t.got == k), None)
            if k == 1:
                extra = _extra(self._facts_of_event(bad.seq), bad.digest)
                if extra is not None:
                    if src is not None and _completing(
                            self._facts_of_event(src.seq), src.digest, [(*extra, "")]):
                        return (f"the facts of {event} were modified outside lineage: "
                                f"{_fact_name(extra[0])} was moved to it from event {src.seq} "
                                f"({src.kind})")
                    return (f"the facts of {event} were modified outside lineage: "
                            f"{_fact_name(extra[0])} was added to it (the event did not write "
                            "it)")
            if src is not None:
                return (f"the facts of {event} were modified outside lineage: {_n_facts(k)} "
                        f"of event {src.seq} ({src.kind}) moved to it")
            return (f"the facts of {event} were modified outside lineage: {_n_facts(k)} it "
                    "did not write added to it")
        if bad_fact is not None and bad_fact[1] == bad.seq:
            return (f"the facts of {event} were modified outside lineage: "
                    f"{_fact_name(bad_fact[0])} no longer matches its hash")
        return (f"the facts of {event} were modified outside lineage (as many as it wrote, "
                "but not the same: a fact was edited, or replaced by another)")

    def _deleted_facts(self, seq: int, k: int) -> str:
        """Which facts of event ``seq`` were deleted (``k`` of them), as far as the store still
        tells: a node an edge still names, a fact whose earlier versions ``fact_log`` keeps
        but that has no current row, else the kinds the event's payload counts more of than
        are left. ``: node X, …`` (the first few), or "" when nothing tells."""
        fids: list[str] = []
        # a node edges still point at: deleted (lineage withdraws a node's edges with it)
        for (nid,) in self.conn.execute(
                "SELECT id FROM (SELECT source AS id FROM edges UNION SELECT target FROM edges) "
                "WHERE id NOT IN (SELECT id FROM nodes) ORDER BY id LIMIT ?", (k,)):
            fids.append("n|" + _as_text(nid))
        # a fact with superseded versions and no current one, whose last logged version is
        # not a withdrawal: its current row, written by a later event, was deleted
        for (fid,) in self.conn.execute(
                "SELECT fid FROM fact_log AS f WHERE seq = (SELECT max(seq) FROM fact_log "
                "WHERE fid = f.fid) AND seq < ?1 AND hash != ?2 AND fid NOT IN (SELECT 'n|' "
                "|| id FROM nodes) AND fid NOT IN (SELECT 'e|' || source || '|' || target || "
                "'|' || kind FROM edges) GROUP BY fid ORDER BY fid LIMIT ?3",
                (seq, WITHDRAWN, k)):
            if _as_text(fid) not in fids:
                fids.append(_as_text(fid))
        names = [_fact_name(f) for f in fids[:k]]
        if len(names) < k:  # the rest by kind, from what the event's payload counts
            names += self._short_kinds(seq, fids[:k])
        if not names:
            return ""
        more = ", …" if len(names) > _DELETED_NAMED else ""
        return ": " + ", ".join(names[:_DELETED_NAMED]) + more

    def _short_kinds(self, seq: int, named: list[str]) -> list[str]:
        """``an input edge (8 written, 7 left)``: the kinds of nodes and edges a harvest
        event counts (new, changed, withdrawn) more of than its facts hold now, less the
        deleted facts ``named`` (fact ids) already."""
        row = self.conn.execute("SELECT payload FROM events WHERE seq = ?", (seq,)).fetchone()
        try:
            payload = loads(row[0]) if row is not None else None
        except Exception:
            return []
        if not isinstance(payload, dict):
            return []
        left: dict[tuple[str, str], int] = {}  # ("node" | "edge", kind): facts of it now
        for what, kind in self.conn.execute(
                "SELECT 'node', kind FROM nodes WHERE seq = ?1 UNION ALL SELECT 'edge', kind "
                "FROM edges WHERE seq = ?1 UNION ALL SELECT fid, NULL FROM fact_log "
                "WHERE seq = ?1", (seq,)):
            # (a superseded version: its kind from its id)
            key = _fid_kind(_as_text(what)) if kind is None else (what, _as_text(kind))
            left[key] = left.get(key, 0) + 1
        for fid in named:
            key = _fid_kind(fid)
            left[key] = left.get(key, 0) + 1
        written: dict[tuple[str, str], int] = {}
        for what in ("node", "edge"):
            for part in ("new", "changed", "withdrawn"):
                counts = payload.get(f"{what}s_{part}")
                for kind, n in (counts.items() if isinstance(counts, dict) else ()):
                    if type(n) is int:
                        written[what, kind] = written.get((what, kind), 0) + n
        out = []
        for (what, kind), n in sorted(written.items()):
            has = left.get((what, kind), 0)
            if n > has:
                one = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
                out.append(f"{one if n - has == 1 else n - has} {kind} {what}"
                           f"{'s' if n - has > 1 else ''} ({n} written, {has} left)")
        return out

    def _facts_of_event(self, seq: int) -> list[tuple[str, str]] | None:
        """(fid, hash) of every version event ``seq`` wrote, current or superseded, sorted as
        its digest takes them; None past _NAME_LINES (too many to try candidates against)."""
        rows = self.conn.execute(
            "SELECT fid, hash FROM (SELECT 'n|' || id AS fid, hash FROM nodes WHERE seq = ?1 "
            "UNION ALL SELECT 'e|' || source || '|' || target || '|' || kind, hash FROM edges "
            "WHERE seq = ?1 UNION ALL SELECT fid, hash FROM fact_log WHERE seq = ?1) "
            "ORDER BY fid, hash LIMIT ?2", (seq, _NAME_LINES + 1)).fetchall()
        return None if len(rows) > _NAME_LINES else rows

    def _facts_of_no_event(self) -> list[tuple[str, str, str]]:
        """A few current rows whose seq names no event in the log, with where they point."""
        last = self._last_event()[0]
        out = []
        for fid, h, seq in self.conn.execute(
            "SELECT 'n|' || id, hash, seq FROM nodes WHERE typeof(seq) != 'integer' OR seq < 1 "
            "OR seq > ?1 UNION ALL SELECT 'e|' || source || '|' || target || '|' || kind, "
            "hash, seq FROM edges WHERE typeof(seq) != 'integer' OR seq < 1 OR seq > ?1 "
            "LIMIT 100", (last,)):
            # (a seq between two events' numbers, e.g. 3.5, names no event either)
            where = (f"event {seq}, which is not in the event log"
                     if type(seq) in (int, float) else "no event")
            out.append((fid, h, where))
        return out

    def side_entries_changed(self) -> dict[str, int]:
        """How many push state entries, watermarks and cache entries do not match the hash
        they were written with (changed outside lineage), by table; tables with none are left
        out. They are not part of the trail (lineage does not use such an entry: the work it
        saved is done again), so they are not a failed verify, but an auditor is told.
        Cache entries without a hash (written before the column) are not counted; push state
        entries and watermarks all get theirs with the column, so one without is counted."""
        out: dict[str, int] = {}
        for table, keys, unhashed in (("state", "namespace, key", True),
                                      ("watermarks", "harvester, scope", True),
                                      ("cache", "namespace, key", False)):
            cols = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if "hash" not in cols:
                continue
            where = "" if unhashed else " WHERE hash IS NOT NULL"
            bad = sum(1 for a, b, v, h in self.conn.execute(
                f"SELECT {keys}, value, hash FROM {table}{where}")
                if h != _side_hash(_as_text(a), _as_text(b), _as_text(v)))
            if bad:
                out[table] = bad
        return out

    def verify_or_raise(self) -> VerifyResult:
        res = self.verify()
        if not res.ok:
            raise IntegrityError(res.problem or "event log broken",
                                 hint="restore .lineage/ from a backup and re-harvest")
        return res

    # -- reads ------------------------------------------------------------------------------
    def get_node(self, node_id: str) -> Node | None:
        r = self.conn.execute("SELECT kind, attrs FROM nodes WHERE id=?", (node_id,)).fetchone()
        return None if r is None else _node(node_id, r[0], r[1])

    def has_node(self, node_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM nodes WHERE id=?", (node_id,)).fetchone() is not None

    def iter_nodes(self, kind: NodeKind | str | None = None) -> Iterator[Node]:
        if kind is None:
            cur = self.conn.execute("SELECT id, kind, attrs FROM nodes ORDER BY id")
        else:
            cur = self.conn.execute(
                "SELECT id, kind, attrs FROM nodes WHERE kind=? ORDER BY id", (str(kind),)
            )
        for nid, k, attrs in cur:
            yield _node(nid, k, attrs)

    def iter_edges(self, kind: EdgeKind | str | None = None) -> Iterator[Edge]:
        sql = "SELECT source, target, kind, attrs FROM edges"
        cur = (self.conn.execute(sql + " ORDER BY source, target, kind") if kind is None else
               self.conn.execute(sql + " WHERE kind=? ORDER BY source, target", (str(kind),)))
        for s, t, k, attrs in cur:
            yield _edge(s, t, k, attrs)

    def edges_of(self, node_id: str) -> list[Edge]:
        """The edges into and out of ``node_id``, sorted by (source, target, kind)."""
        rows = self.conn.execute(
            "SELECT source, target, kind, attrs FROM edges WHERE target = ?1 UNION "
            "SELECT source, target, kind, attrs FROM edges WHERE source = ?1 "
            "ORDER BY 1, 2, 3", (node_id,)).fetchall()
        return [_edge(*r) for r in rows]

    def find_nodes(self, kind: NodeKind | str, **equals: Any) -> list[Node]:
        """Nodes of ``kind`` whose attributes equal the given values (JSON1 lookup)."""
        # rows whose attrs are not an object match no key: they are returned too, so that
        # _node names them instead of their silently matching nothing
        sql = "SELECT id, kind, attrs FROM nodes WHERE kind=?"
        params: list[Any] = [str(kind)]
        if equals:
            sql += " AND (json_type(attrs) != 'object' OR (" + " AND ".join(
                f"json_extract(attrs, '$.{key}') = ?" for key in equals) + "))"
            params.extend(equals.values())
        try:
            rows = self.conn.execute(sql + " ORDER BY id", params).fetchall()
        except sqlite3.OperationalError:  # "malformed JSON": a row changed outside lineage
            self.raise_unreadable()
            raise
        return [_node(i, k, a) for i, k, a in rows]

    def node_ids(self, kind: NodeKind | str) -> list[str]:
        """The ids of the nodes of ``kind``, sorted (their attributes are not read)."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM nodes WHERE kind=? ORDER BY id", (str(kind),))]

    def attr_values(self, kinds: Iterable[NodeKind | str], key: str) -> set[str]:
        """The distinct text values the nodes of ``kinds`` hold under ``key`` (JSON1), e.g.
        every environment deployments and approvals name."""
        marks = ", ".join("?" * len(kinds := [str(k) for k in kinds]))
        try:
            rows = self.conn.execute(
                f"SELECT DISTINCT json_extract(attrs, '$.{key}') FROM nodes "
                f"WHERE kind IN ({marks}) AND json_type(attrs, '$.{key}') = 'text'",
                kinds).fetchall()
        except sqlite3.OperationalError:  # "malformed JSON": a row changed outside lineage
            self.raise_unreadable()
            raise
        return {r[0] for r in rows}

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = dict(self.conn.execute("SELECT kind, count(*) FROM nodes GROUP BY kind ORDER BY kind"))
        edges = dict(self.conn.execute("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY kind"))
        return {"nodes": nodes, "edges": edges}

    def load_graph(self) -> LineageGraph:
        from lineage.graph import LineageGraph

        g = LineageGraph()
        try:
            g.load_rows(
                self.conn.execute("SELECT id, kind, attrs FROM nodes"),
                self.conn.execute("SELECT source, target, kind, attrs FROM edges"),
            )
        except (ValueError, KeyError, TypeError):  # TypeError: a blob id among text ones
            self.raise_unreadable()
            raise
        if self._odd_attrs():  # valid JSON that is not an object loads without complaint
            self.raise_unreadable()
        return g

    def _odd_attrs(self) -> bool:
        """Whether some node or edge row's attrs do not start like a JSON object (a blob
        does not), or a key or kind is not text: one scan with no JSON parsing (tens of ms per
        100k rows, against seconds to load them). :meth:`raise_unreadable` then tells."""
        return bool(self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM nodes WHERE substr(attrs, 1, 1) != '{' "
            "OR typeof(id) != 'text' OR typeof(kind) != 'text') "
            "OR EXISTS (SELECT 1 FROM edges WHERE substr(attrs, 1, 1) != '{' "
            "OR typeof(source) != 'text' OR typeof(target) != 'text' "
            "OR typeof(kind) != 'text')").fetchone()[0])

    def raise_unreadable(self) -> None:
        """After a read of the store's rows failed: raise :class:`IntegrityError` naming the
        first node or edge row lineage cannot read back (changed outside lineage); return if
        every row reads (the failure was something else)."""
        for nid, k, a in self.conn.execute("SELECT id, kind, attrs FROM nodes"):
            _node(nid, k, a)
        for src, dst, k, a in self.conn.execute("SELECT source, target, kind, attrs FROM edges"):
            _edge(src, dst, k, a)

    # -- watermarks, caches, sink state -----------------------------------------------------
    def get_watermark(self, harvester: str, scope: str = "") -> str | None:
        """What ``harvester`` saw last time in ``scope``; None the first time, or when the
        value does not match the hash it was written with (edited outside lineage: e.g. a new
        tag marked as seen, which a harvest would then skip), so the harvester walks its
        source again.

        A watermark the audit reads (:data:`LOGGED_WATERMARKS`) is read from the event log,
        whatever its row holds (a row deleted or edited outside lineage fails ``verify``);
        from its row only while no event logged it (a store harvested before lineage logged
        it: the next harvest does)."""
        if (harvester, scope) in LOGGED_WATERMARKS:
            if (harvester, scope) in self._unlogged:  # written in this transaction
                return self._unlogged[harvester, scope]
            logged = self._logged_watermark(harvester, scope)
            if logged is not None:
                return logged[1]
        if not self._watermarks_hashed():  # a store from before watermark hashes
            r = self.conn.execute("SELECT value FROM watermarks WHERE harvester=? AND scope=?",
                                  (harvester, scope)).fetchone()
            return None if r is None else r[0]
        r = self.conn.execute(
            "SELECT value, hash FROM watermarks WHERE harvester=? AND scope=?",
            (harvester, scope)).fetchone()
        if r is None or r[1] != _side_hash(harvester, scope, r[0]):
            return None
        return str(r[0])

    def set_watermark(self, harvester: str, scope: str, value: str) -> None:
        """Record what ``harvester`` saw in ``scope``. A watermark the audit reads
        (:data:`LOGGED_WATERMARKS`) whose value is not the last one logged is logged by the
        next event (:attr:`pending_watermarks`)."""
        self._require_tx()
        if (harvester, scope) in LOGGED_WATERMARKS:
            logged = self._logged_watermark(harvester, scope)
            if logged is None or logged[1] != value:
                self._unlogged[harvester, scope] = value
            else:
                self._unlogged.pop((harvester, scope), None)
        if not self._watermarks_hashed():
            # the values written before hashes are taken as they stand (as they were read)
            self.conn.execute("ALTER TABLE watermarks ADD COLUMN hash TEXT")
            self.conn.executemany(
                "UPDATE watermarks SET hash=?3 WHERE harvester=?1 AND scope=?2",
                [(h, sc, _side_hash(h, sc, v)) for h, sc, v in self.conn.execute(
                    "SELECT harvester, scope, value FROM watermarks").fetchall()])
            self._watermarks_have_hash = True
        self.conn.execute(
            "INSERT INTO watermarks(harvester, scope, value, hash) VALUES (?,?,?,?) "
            "ON CONFLICT(harvester, scope) DO UPDATE SET value=excluded.value, "
            "hash=excluded.hash",
            (harvester, scope, value, _side_hash(harvester, scope, value)),
        )

    def _logged_watermark(self, harvester: str, scope: str) -> tuple[int, str] | None:
        """(seq, value) of the last event that logged watermark (``harvester``, ``scope``);
        None when none did. An event whose payload is not JSON is skipped (verify names it)."""
        path = f'$.watermarks."{harvester}"."{scope}"'
        row = self.conn.execute(
            "SELECT seq, value FROM (SELECT seq, CASE WHEN json_valid(payload) THEN CASE WHEN "
            "json_type(payload, ?1) = 'text' THEN json_extract(payload, ?1) END END AS value "
            f"FROM events WHERE {_LOGS_WATERMARKS}) WHERE value IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1", (path,)).fetchone()
        return None if row is None else (row[0], row[1])

    def unlogged_watermarks(self) -> list[tuple[str, str]]:
        """The watermarks the audit reads that the store holds but no event logged (a store
        harvested before lineage logged them; the next harvest does): ``verify`` cannot hold
        them to the log, and says so."""
        out = []
        for harvester, scope in sorted(LOGGED_WATERMARKS):
            held = self.conn.execute("SELECT 1 FROM watermarks WHERE harvester=? AND scope=?",
                                     (harvester, scope)).fetchone()
            if held is not None and self._logged_watermark(harvester, scope) is None:
                out.append((harvester, scope))
        return out

    def _watermark_changed(self) -> str | None:
        """The first watermark the log holds a value of (the last one logged) whose row was
        deleted or does not hold that value: changed outside lineage, said so; else None.
        Read once the chain verifies, so the logged values are the ones lineage wrote."""
        last: dict[tuple[str, str], tuple[int, str, str]] = {}  # → (seq, event kind, value)
        for seq, kind, body in self.conn.execute(
                f"SELECT seq, kind, payload FROM events WHERE {_LOGS_WATERMARKS} ORDER BY seq"):
            try:
                logged = loads(body).get("watermarks")
            except (ValueError, AttributeError):
                continue
            for harvester, scopes in (logged.items() if isinstance(logged, dict) else ()):
                for scope, value in (scopes.items() if isinstance(scopes, dict) else ()):
                    if isinstance(value, str):
                        last[harvester, scope] = (seq, kind, value)
        if not last:
            return None
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                                 "name='watermarks'").fetchone():
            return f"{self.db}: table watermarks is missing: it was changed outside lineage"
        for (harvester, scope), (seq, kind, value) in sorted(last.items()):
            what = (f"the {harvester} harvester's {scope} watermark "
                    f"({LOGGED_WATERMARKS.get((harvester, scope), 'logged in the event log')})")
            logged_by = f"event {seq} ({kind}) logged it as {value}"
            rows = [v for (v,) in self.conn.execute(
                "SELECT value FROM watermarks WHERE harvester=? AND scope=?", (harvester, scope))]
            if not rows:
                return f"{what} was deleted outside lineage: {logged_by}"
            if len(rows) > 1:
                return (f"{what} has {len(rows)} rows: changed outside lineage (the table "
                        f"watermarks lost its key); {logged_by}")
            if type(rows[0]) is not str:
                return (f"{what} was changed outside lineage (its value is not text); "
                        f"{logged_by}")
            if rows[0] != value:  # (on one line, as verify says every problem)
                held = rows[0] if rows[0].isprintable() else repr(rows[0])
                return f"{what} was changed outside lineage: it holds {held}, but {logged_by}"
        return None

    def _watermarks_hashed(self) -> bool:
        if self._watermarks_have_hash is None:
            self._watermarks_have_hash = any(
                r[1] == "hash" for r in self.conn.execute("PRAGMA table_info(watermarks)"))
        return self._watermarks_have_hash

    def cache_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, Any]:
        """Cached parse results (e.g. a DVC blob sha → parsed content).

        The cache is not in the event log, yet what a harvest reads from it becomes facts in
        a legitimate event: an entry whose value does not match the hash it was written with
        (edited outside lineage, or written by a lineage without cache hashes) is left out,
        so the caller reads and parses its source again."""
        keys = list(keys)
        out: dict[str, Any] = {}
        if not self._cache_hashed():
            return out  # no entry can be told genuine: written again, with hashes
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            marks = ",".join("?" * len(chunk))
            for k, v, h in self.conn.execute(
                f"SELECT key, value, hash FROM cache WHERE namespace=? AND key IN ({marks})",
                [namespace, *chunk],
            ):
                if h == _side_hash(namespace, k, v):
                    out[k] = loads(v)
        return out

    def cache_put_many(self, namespace: str, items: Iterable[tuple[str, Any]]) -> None:
        self.cache_put_serialized(namespace, ((k, dumps_str(v)) for k, v in items))

    def cache_put_serialized(self, namespace: str, items: Iterable[tuple[str, str]]) -> None:
        """Like :meth:`cache_put_many` with each value already serialized (``dumps_str``)."""
        if not self._cache_hashed():
            self.conn.execute("ALTER TABLE cache ADD COLUMN hash TEXT")
            self._cache_has_hash = True
        self.conn.executemany(
            "INSERT OR REPLACE INTO cache(namespace, key, value, hash) VALUES (?,?,?,?)",
            [(namespace, k, v, _side_hash(namespace, k, v)) for k, v in items],
        )

    def cache_delete(self, namespace: str, keys: Iterable[str]) -> None:
        """Forget the entries of ``keys`` (e.g. those of a node withdrawn: what they kept is
        no fact any more, and may be what it was withdrawn for)."""
        self.conn.executemany("DELETE FROM cache WHERE namespace=? AND key=?",
                              [(namespace, k) for k in keys])

    def _cache_hashed(self) -> bool:
        """Whether the cache table has its hash column (stores from before it have not)."""
        if self._cache_has_hash is None:
            self._cache_has_hash = any(
                r[1] == "hash" for r in self.conn.execute("PRAGMA table_info(cache)"))
        return self._cache_has_hash

    def state_get_all(self, namespace: str) -> dict[str, str]:
        """Sink state, e.g. ``{aspect key: hash}`` of what a push target already holds.

        A push skips what the state says the target holds: an entry whose value does not
        match the hash it was written with (edited outside lineage, e.g. an aspect the target
        never received said to be held, or copied from another target) is left out, so the
        push sends that aspect again. The entries of a store from before state hashes are
        taken as they stand until the first state write hashes them."""
        if not self._state_hashed():
            return dict(self.conn.execute("SELECT key, value FROM state WHERE namespace=?",
                                          (namespace,)))
        return {k: v for k, v, h in self.conn.execute(
            "SELECT key, value, hash FROM state WHERE namespace=?", (namespace,))
            if h == _side_hash(namespace, k, v)}

    def state_put_many(self, namespace: str, items: Iterable[tuple[str, str]]) -> None:
        rows = [(namespace, k, v, _side_hash(namespace, k, v)) for k, v in items]
        self._hash_state()
        self.conn.executemany(
            "INSERT OR REPLACE INTO state(namespace, key, value, hash) VALUES (?,?,?,?)", rows)

    def _state_hashed(self) -> bool:
        """Whether the state table has its hash column (not cached: a transaction that adds
        it may still roll back)."""
        return any(r[1] == "hash" for r in self.conn.execute("PRAGMA table_info(state)"))

    def _hash_state(self) -> None:
        """A store from before state hashes: the state table gets its hash column and every
        entry its hash as it stands, in one transaction (the caller's, when it is in one:
        sinks also write state outside any transaction)."""
        if self._state_hashed():
            return
        own = not self.conn.in_transaction
        try:
            self.conn.execute("BEGIN IMMEDIATE" if own else "SAVEPOINT state_hash")
        except sqlite3.OperationalError as exc:
            raise _open_error(self.db, exc) from exc
        try:
            if not self._state_hashed():  # another process may have done it meanwhile
                self.conn.execute("ALTER TABLE state ADD COLUMN hash TEXT")
                self.conn.executemany(
                    "UPDATE state SET hash=?3 WHERE namespace=?1 AND key=?2",
                    [(ns, k, _side_hash(ns, k, v)) for ns, k, v in self.conn.execute(
                        "SELECT namespace, key, value FROM state").fetchall()])
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                if own:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute("ROLLBACK TO state_hash")
                    self.conn.execute("RELEASE state_hash")
            raise
        self.conn.execute("COMMIT" if own else "RELEASE state_hash")

    def state_delete(self, namespace: str, keys: Iterable[str] | None = None) -> None:
        if keys is None:
            self.conn.execute("DELETE FROM state WHERE namespace=?", (namespace,))
        else:
            self.conn.executemany("DELETE FROM state WHERE namespace=? AND key=?",
                                  [(namespace, k) for k in keys])


class _PeekRows:
    """A cursor with one row of look-ahead; ``progress(rows taken)`` every _PROGRESS_ROWS."""

    def __init__(self, cur: Iterable[tuple[Any, ...]],
                 progress: Callable[[int], None] | None = None) -> None:
        self._it = iter(cur)
        self._next: tuple[Any, ...] | None = next(self._it, None)
        self._progress = progress
        self._taken = 0

    def peek(self) -> tuple[Any, ...] | None:
        return self._next

    def next(self) -> tuple[Any, ...] | None:
        row = self._next
        if row is not None:
            self._next = next(self._it, None)
            self._taken += 1
            if self._progress is not None and not self._taken % _PROGRESS_ROWS:
                self._progress(self._taken)
        return row


_NO_FID = object()


def _event_lines(facts: _PeekRows, seq: int, twice: list[str]) -> Iterator[str]:
    """The digest lines "fid hash" of event ``seq``'s facts, taken from the head of ``facts``
    (sorted by seq, then fid); a fact id met twice is added to ``twice``."""
    last: Any = _NO_FID  # no fact id (a NULL one is read back as None)
    while (row := facts.peek()) is not None and row[0] == seq:
        facts.next()
        if row[1] == last and not twice:
            twice.append(row[1])
        last = row[1]
        yield f"{row[1]} {row[2]}"


@dataclass(frozen=True)
class _FactsMismatch:
    """An event whose facts as stored do not give the digest it recorded."""

    seq: int
    kind: str
    written: Any  # the count it recorded (an int, unless the payload was edited)
    got: int  # how many facts carry its seq now
    digest: Any  # the digest it recorded


def _facts_differ(facts_meta: dict[str, Any], digest_: str, got: int) -> bool:
    """Whether an event's facts as stored (their digest, and how many there are) differ from
    what it recorded. The count matters too: the digest is taken over the lines joined by
    newlines, so a stored version whose text holds a newline and the lines of other facts
    gives the same digest with fewer entries."""
    written = facts_meta.get("count")
    return (facts_meta.get("digest", _digest_lines(())) != digest_
            or (type(written) is int and written != got))


def _folded(h: str) -> str:
    """What a fact log hash holding newlines hides: the digest lines of other facts."""
    lines = h.split("\n")[1:]
    if not lines:
        return ""
    first = _fact_name(lines[0].rpartition(" ")[0])
    if len(lines) == 1:
        return f" (it also holds the digest line of {first}, a version hidden in it)"
    return (f" (it also holds the digest lines of {len(lines)} other facts, the first of "
            f"{first}, versions hidden in it)")


def _n_facts(k: int) -> str:
    return "1 fact" if k == 1 else f"{k} facts"


def _lines_digest(lines: Iterable[tuple[str, str]]) -> str:
    return _digest_lines(f"{fid} {h}" for fid, h in lines)


def _completing(lines: list[tuple[str, str]] | None, want: Any,
                cands: Sequence[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The candidate (fid, hash, where) that, added to ``lines``, gives the digest ``want``;
    None when none does or trying them all would cost more than _NAME_WORK lines."""
    if lines is None or not cands or len(cands) * (len(lines) + 1) > _NAME_WORK:
        return None
    for c in cands:
        if _lines_digest(sorted([*lines, (c[0], c[1])])) == want:
            return c
    return None


def _extra(lines: list[tuple[str, str]] | None, want: Any) -> tuple[str, str] | None:
    """The one line of ``lines`` without which they give the digest ``want``, if any."""
    if lines is None or len(lines) * len(lines) > _NAME_WORK:
        return None
    for i, line in enumerate(lines):
        if _lines_digest(lines[:i] + lines[i + 1:]) == want:
            return line
    return None


def _as_text(value: Any) -> str:
    """A stored value lineage writes as text, as text (to name a row changed outside it)."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "NULL" if value is None else str(value)


def _fid_kind(fid: str) -> tuple[str, str]:
    """("node", kind) or ("edge", kind) of a fact id (a node's id starts with its kind)."""
    if fid.startswith("n|"):
        return "node", fid[2:].partition(":")[0]
    return "edge", fid.rpartition("|")[2]


def _fact_name(fid: str) -> str:
    """``node <id>``, or ``edge <kind> <source> → <target>`` as the other messages say it."""
    fid = _as_text(fid)  # (a fact id read back from a row changed outside lineage)
    if fid.startswith("n|"):
        return "node " + fid[2:]
    ends, _, kind = fid[2:].rpartition("|")
    source, _, target = ends.partition("|")
    return f"edge {kind} {source} → {target}" if kind and target else "edge " + fid[2:]


def _trail_missing(conn: sqlite3.Connection) -> str | None:
    """What is missing of the tables and columns the trail is kept in, None if nothing:
    dropped or renamed, the trail would read as empty, or fail half way."""
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE name IN "
                              f"({','.join('?' * len(_TRAIL))})", list(_TRAIL)))
    for table, columns in _TRAIL.items():
        if kinds.get(table) != "table":
            return f"table {table} is missing"
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for col in columns:
            if col not in have:
                return f"table {table} has no column {col}"
    return None


def _require_trail(conn: sqlite3.Connection, db: Path) -> None:
    """Refuse (and close ``conn``) a store whose trail tables are gone: made again, empty,
    the store would read as one with nothing in it (an audit with nothing to check)."""
    missing = _trail_missing(conn)
    if missing is None:
        return
    conn.close()
    raise IntegrityError(f"{db}: {missing}: it was changed outside lineage",
                         hint="run `lineage verify`; restore .lineage/ from a backup, or move it "
                              "aside and rebuild it with `lineage init` and `lineage harvest`")


def _schema_version(conn: sqlite3.Connection, db: Path) -> int:
    """The store's schema version; :class:`IntegrityError` when it cannot be read (read as
    some version, the store would be misread or misconverted)."""
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    text = None if row is None else str(row[0])
    if text is None or not (text.isascii() and text.isdigit()) or int(text) < 1:
        what = "missing" if text is None else f"{text!r}"
        raise IntegrityError(
            f"{db} has no schema version lineage can read (meta 'schema_version' is "
            f"{what}): it was changed outside lineage",
            hint="restore .lineage/ from a backup, or move it aside and rebuild it with "
                 "`lineage init` and `lineage harvest`")
    return int(text)


# every table a lineage store has ever had: a database holding none of them is no store
_STORE_TABLES = ("meta", *_TRAIL, "watermarks", "cache", "state")
_SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def _require_store(conn: sqlite3.Connection, db: Path, error: type[StoreError | IntegrityError]
                   ) -> None:
    """Raise ``error`` (and close ``conn``) unless ``db`` holds lineage's tables: an empty
    file, or another program's SQLite database (none of lineage's tables, nor a ``meta``
    table with lineage's keys: a :class:`NotAStoreError` when ``error`` is an
    :class:`IntegrityError`), is named as such and left as it is. A store whose ``meta``
    table was dropped is an :class:`IntegrityError` naming it, however it was opened: its
    other tables say it was a store."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    ours = tables & set(_STORE_TABLES) - {"meta"}
    if "meta" in tables and (ours or _lineage_meta(conn)):
        return
    conn.close()
    if ours:  # its other tables are there: a store changed outside lineage
        raise IntegrityError(f"{db}: table meta is missing: it was changed outside lineage",
                             hint="run `lineage verify`; restore .lineage/ from a backup, or "
                                  "move it aside and rebuild it with `lineage init` and "
                                  "`lineage harvest`")
    hint = ("if the store was lost, restore .lineage/ from a backup; otherwise move "
            f"{db.name} aside and rebuild it with `lineage init` and `lineage harvest`")
    if db.stat().st_size == 0:
        raise error(f"{db} is not a lineage store: it is an empty file", hint=hint)
    what = "an SQLite database without lineage's tables"
    if issubclass(NotAStoreError, error):
        raise NotAStoreError(f"{db} is not a lineage store: it is {what}", what=what, hint=hint)
    raise error(f"{db} is not a lineage store: it is {what}", hint=hint)


def _lineage_meta(conn: sqlite3.Connection) -> bool:
    """Whether the ``meta`` table holds one of lineage's keys (another program may have a
    table of that name)."""
    try:
        return conn.execute("SELECT 1 FROM meta WHERE key IN ('schema_version', 'head')"
                            ).fetchone() is not None
    except sqlite3.DatabaseError:  # no key column: not lineage's
        return False


def _require_sqlite(db: Path) -> None:
    """:class:`NotAStoreError` when ``db`` is not empty and does not start as every SQLite
    database does (a README, a JSON file): not a store, rather than a damaged one (a store
    cut short or damaged keeps its first bytes)."""
    try:
        with db.open("rb") as f:
            head = f.read(len(_SQLITE_HEADER))
    except OSError:
        return  # opening it says why it cannot be read
    if head and head != _SQLITE_HEADER[:len(head)]:
        raise NotAStoreError(f"{db} is not a lineage store: it is not an SQLite database",
                             what="not an SQLite database",
                             hint="if the store was lost, restore .lineage/ from a backup; "
                                  f"otherwise move {db.name} aside and rebuild it with "
                                  "`lineage init` and `lineage harvest`")


def _damaged_error(db: Path, exc: sqlite3.DatabaseError) -> IntegrityError:
    """``db`` cannot be read as an SQLite database (not one, truncated, damaged)."""
    return IntegrityError(
        f"the store file {db} cannot be read ({exc}): it is damaged, truncated or not a "
        "lineage store",
        hint="restore .lineage/ from a backup, or move it aside and rebuild it with "
             "`lineage init` and `lineage harvest`")


def _side_file(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


def _holds_data(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _probe(conn: sqlite3.Connection) -> sqlite3.Connection:
    """``conn`` once SQLite has opened its file (it does so at the first read)."""
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


_Signature = tuple[int, int, int, bool, bool]


def _signature(db: Path) -> _Signature:
    """What changes when ``db`` is written: its mtime, size and inode, whether a -wal or a
    -journal holds data."""
    st = db.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino, _holds_data(_side_file(db, "-wal")),
            _holds_data(_side_file(db, "-journal")))


def _read_only_connection(db: Path) -> tuple[sqlite3.Connection, str | None,
                                             tempfile.TemporaryDirectory[str] | None,
                                             _Signature | None]:
    """A connection that cannot write ``db``, a note when it reads a private copy, the
    temporary folder holding that copy, and the file's signature when it is read without
    locks (immutable). See :meth:`Store.open_read_only`."""
    uri = "file:" + urllib.parse.quote(str(db.absolute())) + "?mode=ro"
    conn = None
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout())
        return _probe(conn), None, None, None
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        low = str(exc).lower()
        if _busy(exc):
            raise _open_error(db, exc, reading=True) from exc
        if file_damaged(exc):
            raise _damaged_error(db, exc) from exc
        if not ("unable to open" in low or "readonly" in low or "read-only" in low):
            raise _open_error(db, exc, reading=True) from exc
    # the folder cannot be written (SQLite cannot make the -shm file a WAL store is read
    # with), or a hot journal is there (reading would roll it back, a write)
    pending = [p for p in (_side_file(db, "-wal"), _side_file(db, "-journal")) if _holds_data(p)]
    if not pending:  # the file alone holds every commit
        conn = None
        try:
            sig = _signature(db)  # before the first read: see Store.changed_while_read
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            return _probe(conn), None, None, sig
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if file_damaged(exc):
                raise _damaged_error(db, exc) from exc
            raise _open_error(db, exc, reading=True) from exc
    scratch = _scratch(db)
    folder = Path(scratch.name)
    conn = None
    try:
        for p in (db, *pending):  # named as SQLite pairs them: lineage.db and lineage.db-wal
            shutil.copyfile(p, folder / (DB_NAME + p.name[len(db.name):]))
        # read-write on the copy: SQLite applies its WAL (rolls back its journal) there
        conn = sqlite3.connect(folder / DB_NAME, isolation_level=None)
        _probe(conn)
    except OSError as exc:
        _cleanup(scratch)
        raise _copy_error(db, scratch, exc) from None
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        _cleanup(scratch)
        raise _damaged_error(db, exc) from exc
    why = " and ".join(f"{p.name} holds its latest commits" if p.name.endswith("-wal") else
                       f"{p.name} holds a write to undo" for p in pending)
    return conn, (f"{why}, which reading {db.name} in place would write: a copy of "
                  f"{' and '.join(p.name for p in (db, *pending))}, in a temporary folder, was "
                  "read (the store itself is unchanged)"), scratch, None


def _scratch(db: Path) -> tempfile.TemporaryDirectory[str]:
    try:
        return tempfile.TemporaryDirectory(prefix="lineage-verify-")
    except OSError as exc:
        raise _copy_error(db, None, exc) from None


def _copy_error(db: Path, scratch: tempfile.TemporaryDirectory[str] | None,
                exc: BaseException) -> StoreError:
    _cleanup(scratch)
    where = tempfile.gettempdir() if scratch is None else scratch.name
    return StoreError(
        f"cannot read {db} without writing its folder, and a copy of it in {where} could "
        f"not be made: {exc}",
        hint="set TMPDIR to a folder with room for a copy of the store, or copy .lineage/ to a "
             "folder you can write and run the command there")


def _cleanup(scratch: tempfile.TemporaryDirectory[str] | None) -> None:
    if scratch is not None:
        with contextlib.suppress(OSError):
            scratch.cleanup()


def _open_error(db: Path, exc: sqlite3.DatabaseError, reading: bool = False) -> StoreError:
    """Why the store at ``db`` cannot be opened, and what to do: a busy store or one without
    write access must never be mistaken for a broken one (moving it aside loses the trail).
    ``reading``: it was opened to read only (:meth:`Store.open_read_only`)."""
    msg = str(exc)
    low = msg.lower()
    if _busy(exc):
        return StoreError(f"the store {db} is busy: another lineage process is writing it "
                          f"(waited {busy_timeout():g} s)",
                          hint="retry when that harvest, record or push has finished, or wait "
                               f"longer: {_BUSY_ENV}=<seconds>")
    if "not a database" in low or "malformed" in low:
        return StoreError(f"cannot open the store {db}: {msg}",
                          hint="is it a lineage store? if it is damaged, restore .lineage/ from "
                               "a backup, or move it aside and rebuild it with `lineage init` "
                               "and `lineage harvest`")
    folder = db.parent
    if reading:
        return StoreError(f"cannot open the store {db}: {msg}",
                          hint=f"check that you can read {db} and its folder")
    if "full" in low or "disk i/o" in low:
        return StoreError(
            f"cannot open the store {db}: {msg} (is its disk full, or a file size limit "
            f"reached? this command writes in {folder})",
            hint=f"free some space on the disk holding {folder} (or raise the limit: "
                 "`ulimit -f`), then run the command again")
    return StoreNotWritable(
        f"cannot open the store {db}: {msg} (this command writes the store: it needs to "
        f"read and write {folder})",
        hint=f"check the permissions of {folder} and of the files in it, and that its file "
             "system is not mounted read-only (verify, show, audit, export and log read a "
             "read-only store as it is)")


def _write_error(db: Path, exc: sqlite3.OperationalError) -> StoreError | None:
    """A write to the store that SQLite refused (a full disk, a file size limit, a read-only
    file): the transaction was rolled back, the store is as it was before it. None for
    other errors (e.g. a query that met a row changed outside lineage: the caller names it)."""
    msg = str(exc)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return _open_error(db, exc)
    if "full" in low or "disk i/o" in low:
        return StoreError(
            f"cannot write the store {db}: {msg} (is its disk full, or a file size limit "
            "reached?); the write was rolled back, the store is as it was before it",
            hint=f"free some space on the disk holding {db.parent} (or raise the limit: "
                 "`ulimit -f`), then run the command again")
    return None


def _head_mismatch(head_seq: int, last_seq: int) -> str:
    """Why the head (``meta``) and the last event of the log disagree."""
    if head_seq > last_seq:
        return (f"the log ends at event {last_seq} but the head records event {head_seq}: "
                "entries were removed from the end")
    if head_seq < last_seq:
        return (f"the head records event {head_seq} but the log goes on to event {last_seq}: "
                "changed outside lineage (the head set back, or events added after it)")
    return (f"the head records event {head_seq} with another hash than the log's event "
            f"{last_seq}: changed outside lineage")


def _wal(conn: sqlite3.Connection) -> None:
    """Put the store in WAL mode (a no-op when it is). While a first load holds the store in
    rollback-journal mode (``transaction``), switching fails at once: SQLite does not wait
    for a lock when waiting could deadlock. Wait here instead, as long as for any lock."""
    deadline = time.monotonic() + busy_timeout()
    pause = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def file_damaged(exc: sqlite3.DatabaseError) -> bool:
    """SQLite found the file itself damaged (not a query or a lock that failed)."""
    low = str(exc).lower()
    return ("disk image is malformed" in low or "not a database" in low
            or "corrupt" in low)


def busy_timeout() -> float:
    """Seconds a command waits for another process's write to end: ``LINEAGE_BUSY_TIMEOUT``
    when set (a CI job recording runs while a long first harvest writes the store), else
    ``_BUSY_TIMEOUT``."""
    raw = os.environ.get(_BUSY_ENV, "").strip()
    if not raw:
        return _BUSY_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise StoreError(f"{_BUSY_ENV}={raw} is not a number of seconds",
                         hint=f"set it to how long to wait for another lineage process's "
                              f"write, e.g. {_BUSY_ENV}=120, or unset it for "
                              f"{_BUSY_TIMEOUT:g} s")
    return seconds


def _busy(exc: sqlite3.DatabaseError) -> bool:
    """SQLite gave up waiting for another connection's lock (:func:`busy_timeout`)."""
    low = str(exc).lower()
    return "locked" in low or "busy" in low


def _node(nid: str, kind: str, attrs: str) -> Node:
    """A stored node row as a Node (an unreadable row: :class:`IntegrityError` naming it)."""
    if not (type(nid) is str and type(kind) is str and type(attrs) is str):
        raise _corrupt(f"node {_as_text(nid)}", ValueError("a value of it is not text"))
    try:
        return Node.trusted(NodeKind(kind), nid, _stored(attrs, f"node {nid}"))
    except ValueError as exc:  # a kind lineage does not know
        raise _corrupt(f"node {nid}", exc) from None


def _edge(source: str, target: str, kind: str, attrs: str) -> Edge:
    what = f"edge {_as_text(kind)} {_as_text(source)} → {_as_text(target)}"
    if not (type(source) is str and type(target) is str and type(kind) is str
            and type(attrs) is str):
        raise _corrupt(what, ValueError("a value of it is not text"))
    try:
        return Edge.model_construct(kind=EdgeKind(kind), source=source, target=target,
                                    attrs=_stored(attrs, what))
    except ValueError as exc:
        raise _corrupt(what, exc) from None


def _side_hash(namespace: str, key: str, value: str) -> str:
    """sha256 binding a cache, watermark or push state value to its two keys (a value
    copied under other keys does not match either)."""
    return _sha256(f"{namespace}\0{key}\0{value}".encode()).hexdigest()


def _old_seq(seq: int | None) -> int:
    # a row without a seq was written outside lineage; logging its version under event 0
    # (never an event) keeps that visible to verify() instead of erasing it
    return 0 if seq is None else seq


def _digest_lines(lines: Iterable[str]) -> str:
    """sha256 of the lines joined by newlines, fed in slices (a first harvest has ~10^6)."""
    return _digest_lines_counted(lines)[0]


def _digest_lines_counted(lines: Iterable[str]) -> tuple[str, int]:
    """:func:`_digest_lines` and how many lines there were."""
    h = hashlib.sha256()
    it = iter(lines)
    sep = b""
    count = 0
    while chunk := list(itertools.islice(it, 20_000)):
        h.update(sep + "\n".join(chunk).encode())
        sep = b"\n"
        count += len(chunk)
    return h.hexdigest(), count


__all__ = ["DB_NAME", "LOGGED_WATERMARKS", "Event", "NodeWithdrawal", "Store", "VerifyResult",
           "Withdrawal", "WriteStats", "edge_hash", "file_damaged", "node_hash"]
