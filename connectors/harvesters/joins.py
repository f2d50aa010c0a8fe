"""Identity joins: the step that makes facts from different sources land on one chain.

It runs last, reads what the other harvesters have already written in this harvest's
transaction, and adds:

* **strong pins** — a run input that names a repository path (an MLflow dataset source, an
  OpenLineage ``file`` dataset: their INPUT edges carry ``path``) is joined to the DVC data node
  of that path *at the run's commit*: the version the commit's own ``.dvc`` / ``dvc.lock``
  files record (read from git, :func:`connectors.harvesters.dvc.artifact_data_at`: DEFINES
  edges only mark where a version first appeared, so a reverted data change would otherwise
  join the version before the revert). When git cannot say, among the versions of the path
  (data nodes with that ``path`` and an ``md5:`` hash), the one introduced (DEFINES edge, or
  ``first_commit``) by the latest ancestor-or-equal of the run's commit. The versions are
  those of the repository as it is named now (a remote added moves its identity; the old id's
  data nodes stay in the store). The walk goes back
  through commit parents newest first, like ``git rev-list``; when the history is not there
  (no parents known) it takes the version introduced last at or before the run commit's time. A path inside a
  DVC-tracked directory joins the directory's node (``member`` on the edge). The new INPUT edge
  has ``pin: strong``, the DVC ``digest``, and ``via`` = the weakly pinned node it resolves.
  An input whose reported md5 (its weak ``digest``) is another one is not joined (a warning):
  the run read bytes that commit does not record (an MLflow digest that is an md5, given by
  the user, is compared too: MLflow computes none from a file's bytes); nor are MLflow runs at
  one commit whose digests of one path differ (:func:`_digest_clashes`: MLflow's digest hashes
  a dataframe and cannot be compared with DVC's md5, but at most one of them read what the
  commit records; a warning naming them, the path, the commit and the digests); nor is one at a commit where DVC does not
  track the path (``dvc remove``: the walk would find what an ancestor recorded) — the commit
  holds no DVC file that could record it, or those it holds are all readable and list no
  entry for it while they do record it where its versions were defined; nor is one at a
  commit whose DVC files list the path (or the tracked folder holding it) with no hash and
  give it none elsewhere (``dvc import --no-download``, ``dvc exp run --allow-missing``, an
  output not committed): DVC tracks it there but recorded no content, so no version is the
  commit's, and the version an ancestor recorded is not provably what the run read (a
  warning naming the run, the path, the commit and the file, saying to record the hash and
  train from that commit; a file inside a folder the commit records with a hash still joins
  the folder's version); nor is one at a commit whose ``dvc.lock`` gives the path its hash
  from an entry out of date there (:func:`connectors.harvesters.dvc.stale_at`: the stage, or
  one upstream of it, lists a dependency with another hash than the commit's ``.dvc`` file,
  upstream stage, committed file or tracked folder's listing has, has another command or a
  dependency or output more in the commit's ``dvc.yaml``, or a tracked param with another
  value than the commit's params file — what ``dvc status`` tells: ``dvc repro`` ran, and
  the lock it rewrote was committed after the training): the run read what that repro
  wrote, not the hash the entry gives (a warning naming the run, the path, the lock, the
  stage and why — the dependency and both hashes, the two commands, the path added, the
  param and both values; the same for an MLflow version's ARTIFACT edge by its commit). A file no parser can read says nothing: where it is the only DVC
  file that could record the path, the walk answers; beside one that lists the path with no
  hash, that one does. A DVC experiment's inputs are not joined: they are
  the entries of its own ``dvc.lock``, DVC's record of what its stages read. One with a hash
  (or a ``ds://`` dataset's lock) is pinned by it already; one without (a dependency DVC
  could not hash) stays pinned ``none``: the run's commit is the experiment's baseline, and
  what the baseline or an ancestor records is not what the experiment read.
* **artifacts** — an MLflow model version whose artifact is a repository path
  (``properties.source_path``) gets the ARTIFACT edge from the DVC data node of that path at
  its commit, the way GTO versions get theirs from ``dvc.yaml`` ``artifacts:`` (not when its
  ``artifact_hash`` is another one, nor when the commit's DVC files list the path with no
  hash: no version is the commit's, and a warning names the version, the path, the commit and
  the file); one the MLflow harvester hashed from its local artifact
  store (``properties.artifact_hash_by: file``) gets it from the DVC data of this repository
  with that hash, when one path has it (``joined: hash``).
* **produced** — an OpenLineage run whose output is a model version's artifact gets the
  PRODUCED edge run → version, on evidence every source sees, never on harvest order: the
  output names the path of the version's artifact (the DVC data node on its ARTIFACT edge, an
  MLflow version's ``source_path``, a GTO artifact's ``path``) and either its ``version`` facet
  carries that version's content hash (DVC's md5, ``md5:`` optional: ``by: hash``) or, when the
  output carries no md5, the run's code commit is the commit the version was registered at
  (GTO's tagged commit, MLflow's run commit: ``by: commit``). An output that is an MLflow
  version's artifact location, the ``source`` it was created from (``models:/m-…``) or
  ``models:/<name>/<version>`` joins it too (``by: uri``). An
  output whose md5 differs is not that version, whatever its commit. Only runs that completed
  (COMPLETE) are joined: a START names the output before its md5 is known, and a run that ended
  FAIL or ABORT produced no version (a failed attempt claims none; the retry that completes
  does), so a PRODUCED edge of a run whose later event says FAIL is withdrawn. A run
  that started after the version was registered (its ``created_at``: GTO's tag date, MLflow's
  registration), beyond the audit's tolerance of clock skew (``RECORD_SKEW``), did not produce
  it, whatever it wrote: no edge, a warning naming run and version.
* **abbreviated commits** — an OpenLineage run whose ``sourceCodeLocation.version`` is a
  commit abbreviated (``git rev-parse --short``, ``git describe``'s ``…-g<sha>``) gets the
  CODE edge from the one harvested commit it names (``abbrev``; ``dirty`` for ``-dirty``),
  and that commit is the run's for the joins above.
* **SAME_AS** — two registries' versions of one model (GTO ``churn@v1.0.0``, MLflow
  ``churn@3``) are declared the same when their artifact hashes match: ``artifact_hash`` or the
  hash of the data node linked by an ARTIFACT edge. The edge points from the registry whose name
  sorts first (``gto`` → ``mlflow``) and carries ``by`` and ``hash``.

* **one run, two sources** — a run lineage recorded (``track_run``, ``lineage record run``)
  that names the MLflow run it is (``properties.mlflow_run_id``: the run active when
  ``track_run``'s block began, ``MLFLOW_RUN_ID`` then, or the one MLflow run the block started)
  and the MLflow run of that id (its ``run_id``; among several harvested stores holding the id,
  the one of its ``mlflow_tracking_uri``) are declared one execution: SAME_AS from the
  recorded run to the MLflow run, ``by: mlflow_run_id``. Not when several recorded runs name
  one MLflow run (each is a part of it: two blocks inside one ``mlflow.start_run()``), nor when
  the block started more than one MLflow run (``mlflow_run_by: started`` and another top-level
  MLflow run of the same store, user and source started while the recorded run ran: a sweep
  is none of its runs); a warning says which and what to do.

* **documents** — a document record of a repository file, pinned by its content hash, gets
  the DEFINES edge from the first harvested commit that holds that content at its path
  (``by: content_hash``), so the catalog links the version the record pins rather than the
  file as it is now. A document recorded before its file was committed is pinned by the
  first join after the commit; one whose content no commit holds is not pinned.

Warnings: each is told once per harvest, though a run may read one path through several
inputs (the train and test splits MLflow logs of one file) and meet it once per input.

Withdrawals: every join is derived again from what the store holds each time it runs; the
edges an earlier join derived that it no longer derives (a run's later event names another
commit, an input or output is gone) are withdrawn (:class:`lineage.store.Withdrawal`), except
a CODE edge the run's own source now states (its full sha).

Incremental: it remembers the event-log head it last joined at and does nothing while no
other harvester or record has written an event since (its own events and pushes do not
count), so a harvest with nothing new joins nothing and repeats no warning; except once after
the joins' rules changed (``RULES_VERSION``), so a store joined before loses what they no
longer derive.
"""

from __future__ import annotations

import heapq
import re
import subprocess
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import combinations
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from lineage.model import Edge, EdgeKind, NodeKind
from lineage.serialize import loads, utc_iso
from lineage.store import Withdrawal

if TYPE_CHECKING:
    from connectors.harvesters.dvc import Reads, StaleEntry
    from lineage.plugins import HarvestContext
    from lineage.report import RunReport
    from lineage.store import Store

NAME = "joins"
# what the joins derive: a new value makes the next harvest derive every join again, whatever
# was written since, so a store joined before loses the joins no longer derived (withdrawn).
# 2: a DVC experiment's inputs are not joined (its dvc.lock's entry without a hash was pinned
# to the version its baseline recorded); 3: nor is an input its commit's DVC files list with no
# hash (it was pinned to the version an ancestor recorded); 4: nor are MLflow runs at one commit
# that report different digests for one path (all were pinned to the commit's version), a run
# that started after a version was registered did not produce it (it got PRODUCED), and an
# MLflow version hashed from its local artifact store gets ARTIFACT from DVC's data of that hash;
# 5: nor is an input or an MLflow version's artifact at a commit whose dvc.lock entry giving
# the path its hash is out of date there (they were joined to the version that entry gives);
# 6: an entry is out of date also by its command, a dependency or output dvc.yaml adds, a
# param's value, and a file's hash in its tracked folder's listing (they were joined)
# 7: nor did an OpenLineage run that ended FAIL or ABORT produce a model version (it got
# PRODUCED; withdrawn from a store joined before); 8: a recorded run naming its MLflow run
# (properties.mlflow_run_id) is SAME_AS that run (they were two unrelated runs); 9: a path's
# version at a commit counts only dvc.lock entries of stages that commit's dvc.yaml defines (a
# renamed stage's leftover entry gave it the old version), and an input at a commit whose DVC
# file no parser can read (a merge conflict committed) is not pinned to what an ancestor recorded
RULES_VERSION = "9"
# runs whose inputs are their own dvc.lock's entries (DVC experiments): a hash there is their
# strong pin, an entry without one says DVC recorded no content for what they read
_LOCK_RUNS: tuple[str, ...] = ("run:dvc-exp:",)
# runs whose input digests are MLflow's (a hash of the logged dataframe, not of the file)
_DIGEST_RUNS: tuple[str, ...] = ("run:mlflow:",)
MAX_WALK = 200_000  # commits visited per lookup before falling back to commit times
_PROBES = 3  # defining commits per path read to check its DVC files record it


# how to fix a run or model version at a commit whose dvc.lock is out of date
_STALE_FIX = ("commit the dvc.lock that dvc repro rewrote together with the change that "
              "triggered it, then train from that commit")


def _stale_text(tracked: str, e: StaleEntry, sha: str) -> str:
    """How the ``dvc.lock`` entry giving ``tracked`` its hash at commit ``sha`` is out of date
    (the run read what ``dvc repro`` wrote, not that hash)."""
    if e.kind == "cmd":
        why = (f"stage {e.stage} has a changed command: {e.source} at that commit runs "
               f"'{e.found}', while the entry lists '{e.listed}'")
    elif e.kind in ("dep_added", "out_added"):
        what = "a dependency" if e.kind == "dep_added" else "an output"
        why = (f"stage {e.stage} has {what} added: {e.source} at that commit lists {e.dep}, "
               "which the entry does not")
    elif e.kind == "param":
        why = (f"stage {e.stage} has a changed param: {e.dep} {e.listed or '(none)'} → "
               f"{e.found or '(none)'} (the entry lists {e.listed or 'no value'}, while "
               f"{e.source} at that commit has {e.found or 'none'})")
    else:
        recorded = ("the file committed there has" if e.source == "git"
                    else f"{e.source} at that commit records")
        why = (f"stage {e.stage} lists its dependency {e.dep} as {e.listed}, while {recorded} "
               f"{e.found}")
    return (f"{e.lock} at its commit {sha[:12]} gives {tracked} {e.out_hash}, from an entry "
            f"out of date there: {why} (dvc repro ran, and its dvc.lock was not committed "
            "with the change)")


class _Dvc:
    """Look-ups of DVC data versions by path and of commit ancestry, cached per harvest."""

    def __init__(self, ctx: HarvestContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self._versions: dict[str, list[tuple[str, str, set[str]]]] = {}
        self._by_path: dict[str, list[tuple[str, str, str | None]]] | None = None
        self._commits: dict[str, dict[str, Any] | None] = {}
        # (path, commit) → the hash that commit's own DVC files record (None: they name none)
        self._recorded: dict[tuple[str, str], str | None] = {}
        # (path, commit) whose commit, in this clone, has no DVC file that could track the
        # path (no <path or folder>.dvc, no dvc.lock above it nor in a pipeline's folder): DVC
        # did not track it there (``dvc remove``), whatever an ancestor recorded
        self._untracked: set[tuple[str, str]] = set()
        # (path, commit) → the DVC file of that commit that lists the path with no hash (and
        # none gives it one): DVC tracks it there but recorded no content (``dvc import
        # --no-download``, ``dvc exp run --allow-missing``), so no version is the commit's
        self._unhashed: dict[tuple[str, str], str] = {}
        self._unreadable: dict[tuple[str, str], str] = {}
        # (path, commit) → how the commit's dvc.lock entry that gives the path its hash is out
        # of date there (``dvc repro`` not committed): the hash is not what the run read
        self._stale: dict[tuple[str, str], StaleEntry] = {}
        self._locks: list[str] | None = None
        self._data_prefix: str | None = None
        # the DVC files read from git in this pass (each once, by both look-ups)
        self._reads: Reads | None = None

    def _candidates(self, path: str) -> list[str]:
        """``path`` and its folders, deepest first, that DVC tracks in some version."""
        parts = path.split("/")
        return [c for c in ("/".join(parts[:cut]) for cut in range(len(parts), 0, -1))
                if self.versions(c)]

    def read_recorded(self, pairs: list[tuple[str, str]]) -> None:
        """What the commits' own ``.dvc`` / ``dvc.lock`` files record for (path, commit) pairs,
        read from git in one batch. DEFINES edges only say where a version first appeared: a
        version that came back (a reverted data change) is not defined again.

        A pair whose commit's DVC files are all readable and list no entry for the path
        (``dvc remove`` of the stage or out: a valid ``dvc.lock`` that no longer names it) is
        not tracked there, when those files do record the path at a commit that defines one
        of its versions (so a path some other file records, e.g. a ``.dvc`` file named
        otherwise, is not taken for removed); nor is one whose commit has no such file."""
        from connectors.harvesters.dvc import Reads, artifact_data_at, stale_at

        if self._reads is None:
            self._reads = Reads(self.ctx)
        wanted = list(dict.fromkeys(
            (c, sha) for path, sha in pairs for c in self._candidates(path)
            if (c, sha) not in self._recorded and self.commit(sha) is not None))
        if not wanted:
            return
        # where each candidate's versions were defined: do these files record it there?
        probes = {c: [(c, s) for s in sorted({s for _, _, shas in self.versions(c)
                                              for s in shas if self.commit(s) is not None})
                      [:_PROBES]]
                  for c in dict.fromkeys(c for c, _ in wanted)}
        absent: set[tuple[str, str]] = set()
        bare: dict[tuple[str, str], str] = {}
        broken: dict[tuple[str, str], str] = {}
        try:
            found = artifact_data_at(
                self.ctx, "", [*wanted, *(p for ps in probes.values() for p in ps)],
                self._lock_dirs(), untracked=absent, unhashed=bare, unreadable=broken,
                reads=self._reads)
        except (OSError, subprocess.SubprocessError):  # no git here: the commit walk answers
            return
        for key in wanted:
            self._recorded[key] = found[key][1] if key in found else None
            if key in bare:
                self._unhashed[key] = bare[key]
            elif key in broken:
                self._unreadable[key] = broken[key]
        try:
            stale = stale_at(self.ctx, [k for k in wanted if self._recorded[k] is not None],
                             self._lock_dirs(), reads=self._reads)
        except (OSError, subprocess.SubprocessError):
            stale = {}
        # only where the lock gave the hash (a .dvc file of the path records it first)
        self._stale.update((k, e) for k, e in stale.items() if e.out_hash == self._recorded[k])
        laid_out = {c for c, ps in probes.items() if any(p in found for p in ps)}
        unrecorded = [(path, sha) for path, sha in dict.fromkeys(pairs)
                      if self._candidates(path) and self.commit(sha) is not None
                      and not any((c, sha) in found for c in self._candidates(path))]
        self._untracked |= {(path, sha) for path, sha in unrecorded
                            if all((c, sha) in absent for c in self._candidates(path))
                            and any(c in laid_out for c in self._candidates(path))}
        if unrecorded:
            self._untracked |= self._no_dvc_files(unrecorded)

    def _lock_dirs(self) -> list[str]:
        """The folders of every harvested stage's ``dvc.yaml`` (a stage may write ``../data``)."""
        if self._locks is None:
            self._locks = sorted({m.group(1).rstrip("/") for (sid,) in self.store.conn.execute(
                "SELECT id FROM nodes WHERE kind = 'stage'")
                if (m := _STAGE_FILE.search(sid)) is not None})
        return self._locks

    def _no_dvc_files(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (path, commit) pairs whose commit is in this clone and holds none of the DVC
        files that could record the path: ``<path>.dvc`` or ``<folder>.dvc`` of a folder
        above it, a ``dvc.lock`` in a folder above it or in any folder a harvested stage's
        ``dvc.yaml`` is in (a stage may write ``../data``). One ``git cat-file --batch-check``.
        Anything else (a lock git cannot read to the end, a commit not here) is not said."""
        lock_dirs = self._lock_dirs()
        specs: list[str] = []
        ranges: list[tuple[tuple[str, str], int, int]] = []
        for path, sha in pairs:
            start = len(specs)
            parts = path.split("/")
            folders = ["/".join(parts[:cut]) for cut in range(len(parts) - 1, -1, -1)]
            specs.append(sha)  # the commit itself must be here for "missing" to mean absent
            specs += [f"{sha}:{'/'.join(parts[:cut])}.dvc" for cut in range(len(parts), 0, -1)]
            specs += [f"{sha}:{f + '/' if f else ''}dvc.lock"
                      for f in dict.fromkeys([*folders, *sorted(lock_dirs)])]
            ranges.append(((path, sha), start, len(specs)))
        if any("\n" in spec for spec in specs):
            return set()
        try:
            out = subprocess.run(
                ["git", "cat-file", "--batch-check"], cwd=self.ctx.repo_path,
                input="".join(f"{spec}\n" for spec in specs), capture_output=True, text=True,
                check=True).stdout.splitlines()
        except (OSError, subprocess.SubprocessError):
            return set()
        if len(out) != len(specs):
            return set()
        return {key for key, start, end in ranges
                if not out[start].endswith(" missing")
                and all(line.endswith(" missing") for line in out[start + 1:end])}

    def _prefix(self) -> str:
        """``data:<repository key>:``, the prefix of the DVC data ids of this clone's
        repository as the DVC harvester names it now ("" when git cannot say)."""
        if self._data_prefix is None:
            from connectors.harvesters.gitscan import scan_refs
            from lineage.errors import LineageError
            from lineage.ids import repo_key

            try:
                self._data_prefix = f"data:{repo_key(scan_refs(self.ctx).repo_id)}:"
            except (LineageError, OSError, subprocess.SubprocessError):
                self._data_prefix = ""
        return self._data_prefix

    def commit(self, sha: str) -> dict[str, Any] | None:
        if sha not in self._commits:
            node = self.store.get_node(f"commit:{sha}")
            self._commits[sha] = None if node is None or node.attrs.get("placeholder") \
                else node.attrs
        return self._commits[sha]

    def commit_time(self, sha: str) -> str | None:
        c = self.commit(sha)
        t = ((c or {}).get("committer") or {}).get("time")
        return str(t) if t else None

    def _paths(self) -> dict[str, list[tuple[str, str, str | None]]]:
        """path → (data id, hash, first commit) of every DVC data node."""
        if self._by_path is None:  # one pass over the data nodes, in SQL, for all look-ups
            self._by_path = {}
            for nid, p, h, first in self.store.conn.execute(
                    "SELECT id, json_extract(attrs, '$.path'), json_extract(attrs, '$.hash'), "
                    "json_extract(attrs, '$.first_commit') FROM nodes WHERE kind = 'data'"):
                # MLflow / OpenLineage nodes of the same name are not DVC's: md5 only
                if isinstance(h, str) and h.startswith("md5:") and p:
                    self._by_path.setdefault(str(p), []).append((nid, h, first))
        return self._by_path

    def with_hash(self, digest: str) -> list[tuple[str, str]]:
        """(data id, path) of the DVC data nodes of this repository (as named now) whose
        content hash is ``digest``."""
        return sorted((nid, p) for p, rows in self._paths().items() for nid, h, _ in rows
                      if h == digest and nid.startswith(self._prefix()))

    def versions(self, path: str) -> list[tuple[str, str, set[str]]]:
        """(data id, hash, shas of the commits that introduce it) of every DVC version."""
        self._by_path = self._paths()
        if path not in self._versions:
            found = []
            rows = self._by_path.get(path, [])
            here = [row for row in rows if row[0].startswith(self._prefix())]
            # the repository as it is named now: a remote added moved its identity, and the
            # old id's versions stay in the store (the audit trail), not in the joins
            for nid, h, first in here or rows:
                shas = {s.removeprefix("commit:") for s in _sources(
                    self.store, nid, EdgeKind.DEFINES)}
                if first:
                    shas.add(str(first))
                if shas:
                    found.append((nid, h, shas))
            self._versions[path] = sorted(found)
        return self._versions[path]

    def unhashed(self, path: str, sha: str) -> tuple[str, str] | None:
        """(``path`` or the tracked folder holding it, the DVC file) when commit ``sha``'s
        own DVC files list it with no hash and record no folder above it with one: DVC
        tracks it there but recorded no content, so no version is the commit's (an
        ancestor's is not what a run there read)."""
        return self._unpinned(path, sha, self._unhashed)

    def unreadable(self, path: str, sha: str) -> tuple[str, str] | None:
        """(``path`` or the tracked folder holding it, the DVC file) when a DVC file of commit
        ``sha`` that could record it cannot be read (a merge's conflict markers) and none of
        the commit's files records it or a folder above it: DVC refuses the pipeline there,
        so no version is provably the commit's."""
        return self._unpinned(path, sha, self._unreadable)

    def _unpinned(self, path: str, sha: str,
                  files: dict[tuple[str, str], str]) -> tuple[str, str] | None:
        """The first of ``path`` and its tracked folders that ``files`` names at ``sha``, with
        the file, when the commit's DVC files record none of them with a hash."""
        cands = self._candidates(path)
        if any(self._recorded.get((c, sha)) is not None for c in cands):
            return None
        for candidate in cands:
            file = files.get((candidate, sha))
            if file is not None:
                return candidate, file
        return None

    def stale(self, path: str, sha: str) -> tuple[str, StaleEntry] | None:
        """(``path`` or the tracked folder holding it, how its entry is out of date) when the
        hash commit ``sha``'s DVC files give it comes from a ``dvc.lock`` entry out of date
        there (:func:`connectors.harvesters.dvc.stale_at`)."""
        for candidate in self._candidates(path):
            if self._recorded.get((candidate, sha)) is not None:
                entry = self._stale.get((candidate, sha))
                return (candidate, entry) if entry is not None else None
        return None

    def at_commit(self, path: str, sha: str) -> tuple[str, str, str | None] | None:
        """The DVC version of ``path`` (or of the tracked folder holding it) at commit ``sha``:
        (data id, hash, member path inside the folder or None)."""
        if (path, sha) in self._untracked:
            return None  # DVC did not track it at that commit
        if self.unhashed(path, sha) is not None:
            return None  # tracked there with no hash: no version is the commit's
        for candidate in self._candidates(path):
            if (candidate, sha) in self._unhashed:
                continue  # listed with no hash there (a folder above it records a version)
            versions = self.versions(candidate)
            hit = self._pick(versions, sha, self._recorded.get((candidate, sha)))
            if hit is not None:
                member = path[len(candidate) + 1:] or None
                return hit[0], hit[1], member
        return None

    def _pick(self, versions: list[tuple[str, str, set[str]]], sha: str,
              recorded: str | None = None) -> tuple[str, str] | None:
        start = self.commit(sha)
        if start is None:
            return None  # the run's commit is not in the harvested history
        if recorded is not None:  # what the commit's DVC files say
            named = sorted((did, h) for did, h, _ in versions if h == recorded)
            if named:
                return named[0]
        by_commit: dict[str, list[tuple[str, str]]] = {}
        for did, h, shas in versions:
            for s in shas:
                by_commit.setdefault(s, []).append((did, h))
        heap: list[tuple[float, str]] = [(-_ts(self.commit_time(sha)), sha)]
        seen = {sha}
        steps = 0
        while heap and steps < MAX_WALK:
            steps += 1
            _, cur = heapq.heappop(heap)
            if cur in by_commit:
                return sorted(by_commit[cur])[0]
            for p in (self.commit(cur) or {}).get("parents") or []:
                if p not in seen:
                    seen.add(p)
                    heapq.heappush(heap, (-_ts(self.commit_time(p)), p))
        if not heap:
            return None  # the whole ancestry was walked: the path was not tracked yet
        # no usable history: the version introduced last at or before the commit's time
        t = self.commit_time(sha)
        if t is None:
            return None
        best: tuple[str, str, str] | None = None
        for s, items in by_commit.items():
            ts = self.commit_time(s)
            if ts is not None and _ts(ts) <= _ts(t) and (best is None or _ts(ts) > _ts(best[0])):
                best = (ts, *sorted(items)[0])
        return (best[1], best[2]) if best else None


def _ts(t: str | None) -> float:
    if not t:
        return 0.0
    try:
        return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class _Warnings:
    """The joins' warnings of one harvest, each told once: a run reads one path through
    several inputs (MLflow's train and test splits of one file) and a step meets a problem
    with that path once per input. A warning is the same as one told before when its
    ``key`` is (the problem it names, whatever the wording), else when its text, commit and
    file are."""

    def __init__(self, report: RunReport) -> None:
        self.report = report
        self.told: set[tuple[str | None, ...]] = set()

    def warn(self, message: str, *, key: tuple[str, ...] | None = None,
             commit: str | None = None, file: str | None = None) -> None:
        told = key if key is not None else (message, commit, file)
        if told not in self.told:
            self.told.add(told)
            self.report.warn(NAME, message, commit=commit, file=file)


# a path a commit's DVC file lists with no hash: why no version is the commit's, what to do
_NO_CONTENT = ("(DVC tracks it there but recorded no content: dvc import --no-download, dvc "
               "exp run --allow-missing, an output not committed)")
_RECORD_HASH = "record its hash (dvc commit, or dvc repro; dvc pull or dvc update for an import)"


def _sources(store: Store, target: str, kind: EdgeKind) -> list[str]:
    # through the target index (+kind: SQLite would otherwise pick edges_kind, and scan
    # every edge of that kind for each look-up)
    rows = store.conn.execute("SELECT source FROM edges WHERE target=? AND +kind=?",
                              (target, kind.value))
    return [r[0] for r in rows]


class JoinsHarvester:
    """Join runs and model versions across sources (see the module docstring)."""

    name: ClassVar[str] = NAME
    # why ``lineage harvest --only NAME`` ran nothing, when :meth:`enabled` is false
    disabled_hint: ClassVar[str] = (
        "nothing written since it last joined, or no run, model version or document to join")

    def enabled(self, ctx: HarvestContext) -> bool:
        """Only when something was written since the last join and there is a run, model
        version or document to join (a git-only repository never lists this step)."""
        if _nothing_new(ctx):
            return False
        row = ctx.store.conn.execute(
            "SELECT 1 FROM nodes WHERE kind IN ('run', 'model', 'document') LIMIT 1").fetchone()
        return row is not None

    def harvest(self, ctx: HarvestContext) -> Iterator[Edge | Withdrawal]:
        head = str(ctx.store.head()[0])
        if _nothing_new(ctx):
            return
        # every join is derived again from what the store holds now: the edges an earlier
        # join derived that this one does not (a run now names another commit, an input or
        # an output it no longer has) are withdrawn, read before anything is written
        earlier = _derived(ctx.store)
        derived: set[tuple[str, str, str]] = set()

        def keep(edges: Iterable[Edge]) -> Iterator[Edge]:
            for e in edges:
                derived.add((e.source, e.target, str(e.kind)))
                yield e

        dvc = _Dvc(ctx)
        told = _Warnings(ctx.report)
        resolved = self._abbreviated(ctx)
        yield from keep(edge for _, edge in resolved.values())
        commits = {rid: sha for rid, (sha, _) in resolved.items()}
        yield from keep(self._strong_pins(ctx, dvc, commits, told))
        artifacts = list(self._artifacts(ctx, dvc, told))
        yield from keep(artifacts)
        yield from keep(self._produced(ctx, artifacts, commits, told))
        yield from keep(self._same_as(ctx, artifacts))
        yield from keep(self._same_runs(ctx, told))
        yield from keep(self._document_pins(ctx))
        for key in sorted(earlier.keys() - derived):
            if earlier[key]:  # the run's own source states it too (its full sha now)
                continue
            yield Withdrawal(*key)
        ctx.set_watermark("head", head)
        if ctx.watermark("rules") != RULES_VERSION:
            ctx.set_watermark("rules", RULES_VERSION)

    def _document_pins(self, ctx: HarvestContext) -> Iterator[Edge]:
        """Documents of repository files → the DEFINES edge from the first commit holding
        their content (see the module docstring). A pin found before is kept as it is; git is
        read only for documents not pinned yet."""
        from lineage.records import document_path, is_url

        conn = ctx.store.conn
        pinned = dict(conn.execute(
            "SELECT target, source FROM edges WHERE target >= 'document:' AND "
            "target < 'document;' AND kind = 'defines' AND "
            "json_extract(attrs, '$.by') = 'content_hash'").fetchall())
        todo: dict[str, list[tuple[str, str]]] = {}
        for nid, uri, digest in conn.execute(
                "SELECT id, json_extract(attrs, '$.uri'), json_extract(attrs, "
                "'$.content_hash') FROM nodes WHERE kind = 'document' ORDER BY id"):
            if nid in pinned:
                yield Edge.make(EdgeKind.DEFINES, pinned[nid], nid, by="content_hash")
            elif isinstance(uri, str) and isinstance(digest, str) and ":" in digest \
                    and not is_url(uri) and document_path(uri, ctx.repo_path) is not None:
                todo.setdefault(uri, []).append((nid, digest.lower()))
        for path, docs in todo.items():
            first = _first_commits_holding(ctx, path, {d for _, d in docs})
            for nid, digest in docs:
                sha = first.get(digest)
                if sha is not None and ctx.store.has_node(f"commit:{sha}"):
                    yield Edge.make(EdgeKind.DEFINES, f"commit:{sha}", nid, by="content_hash")

    def _abbreviated(self, ctx: HarvestContext) -> dict[str, tuple[str, Edge]]:
        """OpenLineage runs whose ``sourceCodeLocation.version`` abbreviates a commit (``git
        rev-parse --short``, ``git describe``'s ``…-g<sha>``, ``-dirty`` kept): run id → (the
        one harvested commit it names, the CODE edge from it). Not resolved when no or several
        commits start so, as git would not."""
        rows = ctx.store.conn.execute(
            "SELECT id, json_extract(attrs, '$.properties.\"source_code.version\"') FROM nodes "
            "WHERE kind = 'run' AND id LIKE 'run:openlineage:%' AND "
            "json_extract(attrs, '$.commit') IS NULL AND "
            "json_extract(attrs, '$.properties.\"source_code.version\"') IS NOT NULL")
        out: dict[str, tuple[str, Edge]] = {}
        for rid, version in rows.fetchall():
            m = _ABBREV.fullmatch(str(version).strip())
            if m is None:
                continue
            prefix = "commit:" + m.group(1).lower()
            hits = [cid for cid, placeholder in ctx.store.conn.execute(
                "SELECT id, json_extract(attrs, '$.placeholder') FROM nodes WHERE kind = "
                "'commit' AND id >= ? AND id < ? LIMIT 3", (prefix, prefix + "g"))
                if not placeholder]
            if len(hits) == 1:
                dirty = {"dirty": True} if m.group(2) else {}
                out[rid] = (hits[0].removeprefix("commit:"), Edge.make(
                    EdgeKind.CODE, hits[0], rid, abbrev=str(version), **dirty))
        return out

    def _strong_pins(self, ctx: HarvestContext, dvc: _Dvc, resolved: dict[str, str],
                     told: _Warnings) -> Iterator[Edge]:
        rows = ctx.store.conn.execute(  # the inputs of runs, through the target index
            "SELECT e.source, e.target, e.attrs FROM edges e WHERE +e.kind='input' AND "
            f"{_RUN_TARGETS} AND json_extract(attrs, '$.path') IS NOT NULL AND "
            "coalesce(json_extract(attrs, '$.pin'), '') != 'strong' ORDER BY target, source")
        runs: dict[str, dict[str, Any]] = {}
        # an experiment's inputs are what its own dvc.lock records: not joined (see above)
        found = [(source, target, loads(raw)) for source, target, raw in rows.fetchall()
                 if not target.startswith(_LOCK_RUNS)]
        for _source, target, _attrs in found:
            if target not in runs:
                node = ctx.store.get_node(target)
                runs[target] = dict(node.attrs) if node else {}
                if not runs[target].get("commit") and target in resolved:
                    runs[target]["commit"] = resolved[target]  # an abbreviated sha, resolved
        dvc.read_recorded([(str(attrs["path"]), str(runs[target]["commit"]))
                           for _s, target, attrs in found if runs[target].get("commit")])
        clashes = _digest_clashes([(target, str(runs[target].get("commit") or ""), attrs)
                                   for _s, target, attrs in found])
        for source, target, attrs in found:
            sha = runs[target].get("commit")
            if not sha:
                continue
            bare = dvc.unhashed(str(attrs["path"]), str(sha))
            if bare is not None:
                tracked, file = bare
                what = attrs["path"] if tracked == attrs["path"] else \
                    f"{attrs['path']}, in {tracked}"
                told.warn(
                    f"{target} reads {what}, which {file} at its commit {str(sha)[:12]} lists "
                    f"with no hash {_NO_CONTENT}: the input stays pinned "
                    f"{attrs.get('pin') or 'none'}, not to a version an ancestor recorded; "
                    f"{_RECORD_HASH} and commit {file}, then train from that commit",
                    key=("unhashed", target, str(attrs["path"]), str(sha)),
                    file=file, commit=str(sha))
                continue
            broken = dvc.unreadable(str(attrs["path"]), str(sha))
            if broken is not None:
                told.warn(
                    f"{target} reads {attrs['path']}, which {broken[1]} at its commit "
                    f"{str(sha)[:12]} may record, but no parser can read that file (DVC "
                    f"refuses it too): the input stays pinned "
                    f"{attrs.get('pin') or 'none'}, not to a version an ancestor recorded; "
                    f"fix {broken[1]} (resolve the merge conflict, dvc repro) and commit it, "
                    "then train from that commit",
                    key=("unreadable", target, str(attrs["path"]), str(sha)),
                    file=broken[1], commit=str(sha))
                continue
            stale = dvc.stale(str(attrs["path"]), str(sha))
            if stale is not None:
                told.warn(f"{target} reads {attrs['path']}, which "
                          f"{_stale_text(*stale, str(sha))}: the input stays pinned "
                          f"{attrs.get('pin') or 'none'}, not to the hash that entry gives; "
                          f"{_STALE_FIX}", key=("stale", target, str(attrs["path"]), str(sha)),
                          file=stale[1].lock, commit=str(sha))
                continue
            hit = dvc.at_commit(str(attrs["path"]), str(sha))
            if hit is None:
                if dvc.commit(str(sha)) is None and dvc.versions(str(attrs["path"])):
                    told.warn(f"{target} reads {attrs['path']}, which DVC tracks, but its "
                              f"commit {str(sha)[:12]} is not in the git history harvested "
                              "here: the input stays weakly pinned", commit=str(sha))
                continue
            did, h, member = hit
            if did == source:
                continue
            reported = _md5(attrs.get("digest"))
            if reported is not None and member is None and reported != h:
                # the run hashed what it read, and it is not what its commit records (changed
                # in the work tree, not added to DVC): it did not read that version
                told.warn(f"{target} reports {reported} for {attrs['path']}, but its commit "
                          f"{str(sha)[:12]} records {h}: the input stays weakly pinned",
                          commit=str(sha))
                continue
            clash = clashes.get((str(sha).lower(), str(attrs["path"])))
            if clash is not None and target in clash:
                told.warn(_clash_message(clash, str(attrs["path"]), str(sha), h),
                          key=("clash", str(sha).lower(), str(attrs["path"])),
                          commit=str(sha))
                continue
            yield Edge.make(EdgeKind.INPUT, did, target, pin="strong", digest=h,
                            path=attrs["path"], member=member, via=source)

    def _artifacts(self, ctx: HarvestContext, dvc: _Dvc, told: _Warnings) -> Iterator[Edge]:
        """ARTIFACT edges for MLflow versions: from the DVC version of their repository path
        at their commit (``joined: commit``) unless the version's artifact hash is another
        one; else, for a version hashed from its local artifact store, from the DVC data of
        this repository with that hash when one path has it (``joined: hash``). A version
        whose commit's DVC files list its path with no hash gets none by its commit (no
        version is the commit's; an ancestor's is not provably its artifact): a warning when
        it gets none by its hash either."""
        models = []
        hashed: dict[str, str] = {}  # version → the hash lineage computed of its artifact
        for m in ctx.store.iter_nodes(NodeKind.MODEL):
            if m.attrs.get("registry") == "gto":
                continue
            props = m.attrs.get("properties") or {}
            path, sha = props.get("source_path"), m.attrs.get("commit")
            if path and sha:
                models.append((m.id, str(path), str(sha), m.attrs.get("artifact_hash")))
            if props.get("artifact_hash_by") == "file" and m.attrs.get("artifact_hash"):
                hashed[m.id] = str(m.attrs["artifact_hash"])
        dvc.read_recorded([(path, sha) for _, path, sha, _h in models])
        joined: set[str] = set()
        # version → (path, commit, the path or its tracked folder, the DVC file listing it)
        unhashed: dict[str, tuple[str, str, str, str]] = {}
        # version → (path, commit, the path or its tracked folder, its lock entry out of date)
        stale_commit: dict[str, tuple[str, str, str, StaleEntry]] = {}
        for mid, path, sha, artifact_hash in models:
            bare = dvc.unhashed(path, sha)
            if bare is not None:
                unhashed[mid] = (path, sha, *bare)
                continue
            hit = dvc.at_commit(path, sha)
            if hit is None or hit[2] is not None:
                continue
            stale = dvc.stale(path, sha)
            if stale is not None and str(artifact_hash or "") != hit[1]:
                stale_commit[mid] = (path, sha, *stale)
                continue
            if artifact_hash and str(artifact_hash) != hit[1]:
                # the version's bytes are known, and they are not what the commit records
                told.warn(f"model version {mid[len('model:'):]} has the artifact hash "
                          f"{artifact_hash}, but its commit {sha[:12]} records {hit[1]} for "
                          f"{path}: no ARTIFACT edge from that version", commit=sha)
                continue
            joined.add(mid)
            yield Edge.make(EdgeKind.ARTIFACT, hit[0], mid, path=path, joined="commit")
        for mid, digest in sorted(hashed.items()):
            same = dvc.with_hash(digest)
            if mid not in joined and len({p for _, p in same}) == 1:
                joined.add(mid)
                for did, path in same:
                    yield Edge.make(EdgeKind.ARTIFACT, did, mid, path=path, joined="hash")
        for mid, (path, sha, tracked, entry) in sorted(stale_commit.items()):
            if mid in joined:
                continue
            told.warn(f"model version {mid[len('model:'):]} has its artifact at {path}, which "
                      f"{_stale_text(tracked, entry, sha)}: no ARTIFACT edge from the version "
                      f"that entry gives; {_STALE_FIX} (register the model from a run at "
                      "that commit)", file=entry.lock, commit=sha)
        for mid, (path, sha, tracked, file) in sorted(unhashed.items()):
            if mid in joined:
                continue
            what = path if tracked == path else f"{path}, in {tracked}"
            told.warn(f"model version {mid[len('model:'):]} has its artifact at {what}, which "
                      f"{file} at its commit {sha[:12]} lists with no hash {_NO_CONTENT}: no "
                      "ARTIFACT edge from a DVC version of it, not even the one an ancestor "
                      f"recorded; {_RECORD_HASH} and commit {file}, then register the model "
                      "from a run at that commit", file=file, commit=sha)

    def _produced(self, ctx: HarvestContext, new_artifacts: list[Edge],
                  resolved: dict[str, str], told: _Warnings) -> Iterator[Edge]:
        """PRODUCED run → model version for OpenLineage outputs (see the module docstring)."""
        by_path: dict[str, set[str]] = {}
        by_uri: dict[str, set[str]] = {}
        hashes: dict[str, set[str]] = {}
        commits: dict[str, str] = {}
        registered: dict[str, Any] = {}  # version → when it was registered
        for m in ctx.store.iter_nodes(NodeKind.MODEL):
            a = m.attrs
            registered[m.id] = a.get("created_at")
            if a.get("commit"):
                commits[m.id] = str(a["commit"]).lower()
            if a.get("artifact_hash"):
                hashes.setdefault(m.id, set()).add(str(a["artifact_hash"]))
            source_path = (a.get("properties") or {}).get("source_path")
            if source_path:
                by_path.setdefault(str(source_path), set()).add(m.id)
            uri = a.get("artifact_uri")
            if a.get("registry") == "gto" and isinstance(uri, str) and "://" not in uri \
                    and ":" not in str(a.get("group")):  # a monorepo's path is its folder's
                by_path.setdefault(uri, set()).add(m.id)
            if a.get("registry") == "mlflow":
                name = (a.get("properties") or {}).get("mlflow_name") or a.get("group")
                by_uri.setdefault(f"models:/{name}/{a.get('version')}", set()).add(m.id)
                source = (a.get("properties") or {}).get("source")  # models:/m-… (MLflow 3)
                for where in (uri, source):
                    if isinstance(where, str) and where:
                        by_uri.setdefault(_uri_key(where), set()).add(m.id)
        if not commits and not hashes and not by_uri:
            return
        for e in _artifact_edges(ctx.store, new_artifacts):
            node = ctx.store.get_node(e.source)
            if node is None:
                continue
            if node.attrs.get("path"):
                by_path.setdefault(str(node.attrs["path"]), set()).add(e.target)
            if node.attrs.get("hash"):
                hashes.setdefault(e.target, set()).add(str(node.attrs["hash"]))
        rows = ctx.store.conn.execute(
            "SELECT e.source, e.target, json_extract(e.attrs, '$.path'), d.attrs, r.attrs "
            "FROM edges e JOIN nodes d ON d.id = e.target JOIN nodes r ON r.id = e.source "
            "WHERE e.kind = 'output' AND e.source LIKE 'run:openlineage:%' "
            "ORDER BY e.source, e.target")
        outputs: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        ended: dict[str, str] = {}
        started: dict[str, Any] = {}
        for rid, _did, path, raw_data, raw_run in rows.fetchall():
            run = loads(raw_run)
            # only a run that completed produced a version: one that ended FAIL or ABORT (an
            # attempt Airflow retries under a new runId) claims none, as a recorded run that
            # did not finish; and before a run has ended its outputs are not final (a harvest
            # that saw its START alone must not join by commit what COMPLETE then versions)
            if str(run.get("status") or "").upper() == _COMPLETED:
                ended[rid] = str(run.get("commit") or resolved.get(rid) or "").lower()
                started[rid] = run.get("start_time")
                outputs.setdefault((rid, path), []).append(loads(raw_data))
        # the audit's tolerance of clock skew between the machines that date records
        from lineage.audit.registry import RECORD_SKEW, parse_time

        def existed(rid: str, mid: str) -> bool:
            """Whether the run started before version ``mid`` was registered: one that started
            after cannot have produced it, whatever it wrote (clock skew tolerated)."""
            start, made = parse_time(started.get(rid)), parse_time(registered.get(mid))
            if start is None or made is None or start <= made + RECORD_SKEW:
                return True
            told.warn(_late_message(rid, mid, start, made, RECORD_SKEW), key=("late", rid, mid))
            return False

        for (rid, path), datasets in outputs.items():
            sha = ended[rid]
            # the md5s the run reports for the file, in any of its datasets of that path (one
            # named unversioned at START, versioned at COMPLETE): they, not the commit, decide
            md5s = {h for h in (_md5(d.get("hash")) for d in datasets) if h}
            for mid in sorted(by_path.get(str(path), ()) if path else ()):
                for h in sorted(md5s & hashes.get(mid, set())):
                    if existed(rid, mid):
                        yield Edge.make(EdgeKind.PRODUCED, rid, mid, by="hash", hash=h,
                                        path=path)
                if not md5s and sha and commits.get(mid) == sha and existed(rid, mid):
                    yield Edge.make(EdgeKind.PRODUCED, rid, mid, by="commit", commit=sha,
                                    path=path)
            for where in sorted({_location(d) for d in datasets}):
                for mid in sorted(by_uri.get(where, ())):
                    if existed(rid, mid):
                        yield Edge.make(EdgeKind.PRODUCED, rid, mid, by="uri", uri=where)

    def _same_as(self, ctx: HarvestContext, new_artifacts: list[Edge]) -> Iterator[Edge]:
        models = {m.id: m.attrs for m in ctx.store.iter_nodes(NodeKind.MODEL)}
        hashes: dict[str, set[str]] = {}
        for mid, attrs in models.items():
            if attrs.get("artifact_hash"):
                hashes.setdefault(mid, set()).add(str(attrs["artifact_hash"]))
        artifact_edges = _artifact_edges(ctx.store, new_artifacts)
        data_hash: dict[str, str | None] = {}
        for e in artifact_edges:
            if e.target not in models:
                continue
            if e.source not in data_hash:
                node = ctx.store.get_node(e.source)
                data_hash[e.source] = (node.attrs.get("hash") if node else None) or \
                    _hash_from_id(e.source)
            if data_hash[e.source]:
                hashes.setdefault(e.target, set()).add(str(data_hash[e.source]))
        by_hash: dict[str, list[str]] = {}
        for mid, hs in hashes.items():
            for h in hs:
                by_hash.setdefault(h, []).append(mid)
        for h, mids in sorted(by_hash.items()):
            for a, b in combinations(sorted(set(mids)), 2):
                ra, rb = models[a].get("registry") or "", models[b].get("registry") or ""
                if ra == rb:
                    continue  # one registry's two versions of the same file are not SAME_AS
                src, dst = (a, b) if (ra, a) < (rb, b) else (b, a)
                yield Edge.make(EdgeKind.SAME_AS, src, dst, by="artifact_hash", hash=h)


    def _same_runs(self, ctx: HarvestContext, told: _Warnings) -> Iterator[Edge]:
        """A recorded run and the MLflow run it names: one execution (see the module
        docstring)."""
        conn = ctx.store.conn
        claims: dict[str, list[tuple[str, str | None, str | None, str | None, str | None]]]
        claims = {}
        for rid, mid, by, uri, start, end in conn.execute(
                "SELECT id, json_extract(attrs, '$.properties.mlflow_run_id'), "
                "json_extract(attrs, '$.properties.mlflow_run_by'), "
                "json_extract(attrs, '$.properties.mlflow_tracking_uri'), "
                "json_extract(attrs, '$.start_time'), json_extract(attrs, '$.end_time') "
                f"FROM nodes WHERE {_LINEAGE_RUNS} AND "
                "json_extract(attrs, '$.properties.mlflow_run_id') IS NOT NULL ORDER BY id"):
            if isinstance(mid, str) and mid.strip():
                claims.setdefault(mid.strip(), []).append((rid, by, uri, start, end))
        if not claims:
            return
        # the MLflow runs: run id → (node, tracking URI); and, to tell a block that started
        # several, the top-level ones by store, user and source with their start
        mlflow: dict[str, list[tuple[str, str | None]]] = {}
        top: dict[tuple[str, Any, Any], list[tuple[str, datetime | None]]] = {}
        ident: dict[str, tuple[str, Any, Any]] = {}
        for nid, run_id, uri, start, user, source, parent in conn.execute(
                "SELECT id, json_extract(attrs, '$.run_id'), json_extract(attrs, "
                "'$.tracking_uri'), json_extract(attrs, '$.start_time'), json_extract(attrs, "
                "'$.user'), json_extract(attrs, '$.tags.\"mlflow.source.name\"'), "
                "json_extract(attrs, '$.tags.\"mlflow.parentRunId\"') FROM nodes "
                f"WHERE {_MLFLOW_RUNS}"):
            mlflow.setdefault(str(run_id or nid.rsplit(":", 1)[-1]), []).append((nid, uri))
            if parent:
                continue
            key = (nid.rsplit(":", 1)[0], user, source)  # the store: its ids' prefix
            ident[nid] = key
            top.setdefault(key, []).append((nid, _instant(start)))
        for mid, named in sorted(claims.items()):
            found = mlflow.get(mid, [])
            if len(found) > 1:  # a store copied: the one the run logged to, by its URI
                uris = {u for _, _, u, _, _ in named if u}
                found = [(n, u) for n, u in found if u in uris]
                if len(found) != 1:
                    told.warn(_ambiguous_message(named, mid, mlflow[mid]),
                              key=("mlflow-ambiguous", mid))
                    continue
            if not found:
                continue  # no harvested store holds it: nothing to be one with
            target = found[0][0]
            if len(named) > 1:
                told.warn(_parts_message([r for r, *_ in named], target),
                          key=("mlflow-parts", target))
                continue
            rid, by, _, start, end = named[0]
            if by == "started" and target in ident:
                since, until = _instant(start), _instant(end)
                others = sorted(n for n, t in top[ident[target]] if n != target
                                and t is not None and since is not None
                                and since - _MS <= t and (until is None or t <= until))
                if others:
                    told.warn(_sweep_message(rid, target, others), key=("mlflow-sweep", rid))
                    continue
            yield Edge.make(EdgeKind.SAME_AS, rid, target, by="mlflow_run_id",
                            mlflow_run_id=mid)


def _instant(t: Any) -> datetime | None:
    from lineage.audit.registry import parse_time

    return parse_time(t) if isinstance(t, str) else None


def _ambiguous_message(named: list[tuple[str, Any, Any, Any, Any]], mid: str,
                       found: list[tuple[str, str | None]]) -> str:
    runs = ", ".join(r for r, *_ in named)
    stores = ", ".join(n for n, _ in found)
    return (f"{runs} names MLflow run {mid}, which {len(found)} harvested MLflow stores hold "
            f"({stores}), and its mlflow_tracking_uri does not tell which: it is joined to "
            "none of them; record the tracking URI the run logged to "
            "(properties.mlflow_tracking_uri, as track_run does)")


def _parts_message(runs: list[str], target: str) -> str:
    return (f"{len(runs)} recorded runs name MLflow run {target} (properties.mlflow_run_id: "
            f"{', '.join(runs)}): each is a part of it, not the same run, so none is joined "
            "to it; wrap the MLflow run's whole work in one track_run, or record the parts "
            "without the MLflow run's id")


def _sweep_message(rid: str, target: str, others: list[str]) -> str:
    return (f"{rid} started more than one MLflow run ({target}, {', '.join(others)}): it is "
            f"none of them, so it is not joined to {target}; start the MLflow run before the "
            "block (with mlflow.start_run(): with track_run(...)), or give each MLflow run "
            "its own track_run")


def _artifact_edges(store: Store, joined: list[Edge]) -> list[Edge]:
    """The ARTIFACT edges as this join leaves them: the registries' own, and those it derives
    now (``joined``), not those an earlier join derived (they are withdrawn when not derived
    again, and must not give a PRODUCED or SAME_AS edge on their way out)."""
    return [*(e for e in store.iter_edges(EdgeKind.ARTIFACT)
              if e.attrs.get("joined") not in ("commit", "hash")), *joined]


def _late_message(rid: str, mid: str, start: datetime, made: datetime, skew: timedelta
                  ) -> str:
    from lineage.audit.registry import short

    return (f"{rid} started at {utc_iso(start)}, after {short(mid)} was registered "
            f"({utc_iso(made)}, more than {int(skew.total_seconds() // 60)} minutes "
            "before): a run that started after the version existed did not produce it, "
            "whatever it wrote at its artifact's path (a re-run, an evaluation), so it gets no "
            "PRODUCED edge; a run that trained a new model registers it as a new version")


def _digest_clashes(inputs: list[tuple[str, str, dict[str, Any]]]
                    ) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(commit, path) → {run: the MLflow digests it reports for the path} where MLflow runs at
    that commit report different digests for it. MLflow's digest hashes the dataframe a run
    logged (its first 10,000 rows), not the file, so it cannot be compared with DVC's md5;
    but two runs at one commit whose digests differ did not read the same data, and at most
    one of them read what the commit records (the file was changed in the work tree without
    ``dvc add``): none of them is pinned on the commit's word. Each run's digests of the path
    are compared as a set: a run logging its train and test splits of one file reports two,
    and another run logging the same two splits reads what it read. A digest that is an md5
    (given by the user: MLflow's own are 8 hex digits) is compared with DVC's instead."""
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for rid, sha, attrs in inputs:
        digest = attrs.get("digest")
        if rid.startswith(_DIGEST_RUNS) and sha and isinstance(digest, str) and digest \
                and _md5(digest) is None:
            found.setdefault((sha.lower(), str(attrs["path"])), {}).setdefault(
                rid, set()).add(digest)
    return {key: by_run for key, by_run in found.items()
            if len({frozenset(d) for d in by_run.values()}) > 1}


def _clash_message(clash: dict[str, set[str]], path: str, sha: str, recorded: str) -> str:
    runs = "; ".join(f"{rid}: {', '.join(sorted(ds))}" for rid, ds in sorted(clash.items()))
    return (f"{len(clash)} MLflow runs at commit {sha[:12]} read {path} with different "
            f"MLflow digests ({runs}): at most one of them read what the commit records "
            f"({recorded}), and MLflow's digest, a hash of the logged dataframe and not of the "
            "file, cannot say which (the file was changed without dvc add): their inputs stay "
            "weakly pinned. Track the data with DVC (dvc add, then commit) before training, or "
            "record the run with lineage's track_run (from connectors.tracking import "
            "track_run), which hashes the bytes it reads")


# the edges into runs (node ids are kind-prefixed), as a range the target index serves
_RUN_TARGETS = "e.target >= 'run:' AND e.target < 'run;'"
# the runs lineage recorded, and MLflow's, as ranges of the primary key
_LINEAGE_RUNS = "id >= 'run:lineage:' AND id < 'run:lineage;'"
_MLFLOW_RUNS = "id >= 'run:mlflow:' AND id < 'run:mlflow;'"
_MS = timedelta(milliseconds=1)  # MLflow's times are whole milliseconds


def _first_commits_holding(ctx: HarvestContext, path: str,
                           digests: set[str]) -> dict[str, str]:
    """``algo:hex`` content hash → the oldest commit (of any ref) whose version of ``path``
    has that content, for the hashes asked; read from git (the commits that changed the path,
    then their blobs in one ``cat-file --batch``). Empty when git cannot say."""
    import hashlib

    from connectors.harvesters.dvc import _cat_paths
    from lineage.records import normalize_uri

    path = normalize_uri(path)
    algos = {d.split(":", 1)[0] for d in digests} & {"sha256", "md5"}
    if not algos:
        return {}
    try:
        log = subprocess.run(
            ["git", "--literal-pathspecs", "-C", str(ctx.repo_path), "log", "--all",
             "--reverse", "--format=%H",
             "--no-renames", "--", path], capture_output=True, check=True, timeout=120)
        shas = log.stdout.decode().split()
        blobs = _cat_paths(ctx.repo_path, [f"{sha}:{path}" for sha in shas]) if shas else []
    except (OSError, subprocess.SubprocessError):
        return {}
    out: dict[str, str] = {}
    for sha, hit in zip(shas, blobs, strict=True):
        if hit is None:  # deleted there, or a folder
            continue
        for algo in algos:
            digest = f"{algo}:{hashlib.new(algo, hit[1], usedforsecurity=False).hexdigest()}"
            if digest in digests:
                out.setdefault(digest, sha)
    return out


def _derived(store: Store) -> dict[tuple[str, str, str], bool]:
    """The edges a join derived (each kind carries its own mark: ``via``, ``abbrev``,
    ``joined``, ``by``) → whether another source states the same edge too: a CODE edge from
    the commit the run itself names in full, which is not withdrawn with the join."""
    # a strong pin is an input of a run: read through the target index (``+kind``: not the
    # kind index, which would walk every DVC stage input too)
    rows = store.conn.execute(
        "SELECT e.source, e.target, e.kind, NULL FROM edges e WHERE "
        f"{_RUN_TARGETS} AND +e.kind = 'input' AND json_extract(e.attrs, '$.via') IS NOT NULL "
        "UNION ALL "
        "SELECT e.source, e.target, e.kind, json_extract(r.attrs, '$.commit') FROM edges e "
        "LEFT JOIN nodes r ON r.id = e.target AND e.kind = 'code' WHERE "
        "(e.kind = 'code' AND json_extract(e.attrs, '$.abbrev') IS NOT NULL) OR "
        "(e.kind = 'artifact' AND json_extract(e.attrs, '$.joined') IN ('commit', 'hash')) OR "
        "(e.kind = 'produced' AND e.source LIKE 'run:openlineage:%' AND "
        "json_extract(e.attrs, '$.by') IN ('hash', 'commit', 'uri')) OR "
        "(e.kind = 'same_as' AND json_extract(e.attrs, '$.by') IN "
        "('artifact_hash', 'mlflow_run_id')) "
        "UNION ALL "
        "SELECT source, target, kind, NULL FROM edges WHERE target >= 'document:' AND "
        "target < 'document;' AND kind = 'defines' AND "
        "json_extract(attrs, '$.by') = 'content_hash'")
    return {(s, t, k): k == "code" and isinstance(sha, str) and f"commit:{sha.lower()}" == s
            for s, t, k, sha in rows}


def _nothing_new(ctx: HarvestContext) -> bool:
    """No event since the last join but the join's own (its edges are written after it has
    taken the head) and pushes (they write no fact): joining again would find nothing and
    repeat its warnings."""
    mark = ctx.watermark("head")
    if mark is None or not mark.isdigit() or ctx.watermark("rules") != RULES_VERSION:
        return False  # never joined, or joined by rules that have changed since
    if int(mark) == ctx.store.head()[0]:
        return True
    row = ctx.store.conn.execute(
        "SELECT 1 FROM events WHERE seq > ? AND kind != 'push' AND NOT (kind = 'harvest' "
        "AND json_extract(payload, '$.harvester') = ?) LIMIT 1", (int(mark), NAME)).fetchone()
    return row is None


def _md5(label: Any) -> str | None:
    """An OpenLineage ``datasetVersion`` that is an md5 (DVC's spelling or bare, a folder's
    ``.dir`` kept), as DVC's data nodes spell it: ``md5:<hex>``; else None (a label)."""
    if not isinstance(label, str):
        return None
    m = _MD5.match(label.strip().lower())
    return f"md5:{m.group(1)}" if m else None


def _location(data: dict[str, Any]) -> str:
    """Where an OpenLineage dataset is, as a URI: its name when it is one (``models:/churn/3``,
    ``s3://…``), else namespace + name (``s3://bucket`` + ``models/m``)."""
    ns, name = str(data.get("namespace") or ""), str(data.get("path") or "")
    if "://" in name or name.startswith(("models:/", "file:")):
        return _uri_key(name)
    if "://" in ns and not ns.startswith("file:"):  # file://<host> + an absolute path
        return _uri_key(f"{ns.rstrip('/')}/{name.lstrip('/')}")
    return _uri_key(name)


def _uri_key(uri: str) -> str:
    """A location as compared: a local file's path whichever way it is written
    (``file:///x``, ``file://host/x``, ``/x``), without a trailing ``/``."""
    text = uri.strip()
    if text.startswith("file:"):
        text = unquote(urlsplit(text).path)
    return text.rstrip("/")


# an abbreviated sha, alone or as git describe ends (v1.2.0-3-gabc1234), maybe -dirty
_ABBREV = re.compile(r"(?:.*-g)?([0-9a-fA-F]{7,63})(-dirty)?")  # up to a SHA-256 sha
# the folder of a stage's dvc.yaml in its id (stage:<repository>:<folder/>dvc.yaml:<name>@…)
_STAGE_FILE = re.compile(r":((?:[^:]*/)?)dvc\.yaml:")
_COMPLETED = "COMPLETE"  # the OpenLineage state of a run that finished
_MD5 = re.compile(r"^(?:md5:)?([0-9a-f]{32}(?:\.dir)?)$")


def _hash_from_id(data_id: str) -> str | None:
    tail = data_id.rsplit("@", 1)[-1] if "@" in data_id else ""
    return tail if tail.startswith("md5:") else None


__all__ = ["JoinsHarvester"]
