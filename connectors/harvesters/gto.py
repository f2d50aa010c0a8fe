"""GTO harvester: model registrations, stage assignments and deprecations from git tags.

Grammar (GTO's own, https://dvc.org/doc/gto/user-guide): ``name@v1.2.0`` registers a version,
``name@v1.2.0!`` deregisters it, ``name#stage`` assigns a stage, ``name#stage!`` unassigns it,
``name@deprecated`` deprecates the artifact; any of them may end with a counter ``#N``
(``name@v1.0.0#1``, ``name#prod#3``). A monorepo artifact ``dir:name`` is spelled
``dir=name`` in tags.

GTO semantics followed here: tags are replayed in tag-date order; a stage tag points at a
commit and assigns *the version registered at that commit* (the greatest one if several; also
when its registration tag is dated the same second or later: GTO reads every version tag before
the stage tags; when none is, GTO names the version by the commit sha, and so do we). An
annotated tag's tagger and date are the evidence (who, when); a lightweight tag has neither,
so the commit's committer date is used and the node says so in ``properties.evidence`` (GTO
itself ignores them).

What it yields: ``model_group`` (registry "gto", name through ``model_aliases``), ``model``
versions (``model:<name>@v1.2.0``; ``TAGGED`` commit → model, ``VERSION_OF``, and
``PREVIOUS_VERSION`` by semver order), deployments for stage assignments
(``deployment:<group>:<stage>:<tag time>``, ``DEPLOYED_AS`` model → deployment) whose
``retired_at`` is set by an unassignment or when the stage moves to another version. GTO
keeps every assignment not unassigned, also a deregistered version's: when the version shown
in a stage leaves it, the stage goes back to the latest assignment still held, and a version
registered again is back in the stages where its assignment is the latest.

Incremental: the watermark is the map of tag refs; when it is unchanged nothing is read.
Otherwise every GTO tag is replayed (tags are few and the replay needs the whole order) and
the store keeps only what changed; a version or deployment no tag derives any more is marked
deregistered (in no stage) / retired (a deleted or moved tag: at the date of the first later
assignment to its stage the tags give — the moved tag's own —, else at the harvest that saw it
gone; a store an earlier version retired at harvest time is corrected so, replayed once), a moved registration tag marks its old
`tagged` edge (``moved_to`` the new commit, ``moved_at`` the moved tag's date,
``registered_at`` the old tag's: the audit reads the version's content as new from the move;
the DVC harvester's ``artifact`` edges carry the commit of each content; a tag moved back onto
a commit it had left gets that commit's edge stated afresh, without the earlier move), and a
deployment whose stage tag names another version than before has the old version's
``deployed_as`` edge withdrawn.

A tag the clone does not hold is not always a deleted tag. A clone that holds no tag at all
while its remote was fetched from (a remote never fetched makes no clone) cannot tell "its
fetch brought none" (a CI checkout whose refspec brings branches only, ``git fetch --no-tags``, ``git clone --no-tags``) from "the repository has
none" (its last GTO tags were deleted: ``gto deprecate … --delete --push``), and a shallow
clone promises no commit's tags (a tag-push checkout fetches that one tag, not the version tag
of the same commit). Such a clone asks its remote, once and only when a tag it lacks matters
(:class:`TagView`, ``git ls-remote --tags``, 10 s, no prompt; the answer is reused by a
harvest of the clone as it was, :func:`fetch_state`): a tag the remote does not hold
either is deleted, and judged so as a whole clone judges it; one the remote holds, or any
when the remote cannot answer (offline, authentication), is not judged. What the clone cannot
judge the store keeps as harvested before — nothing is retired, deregistered or undeprecated
— and the harvest says so in one warning with the reason and the fetch that lets it judge;
the git harvester records those tags in the clone state
(:func:`unseen_tags`, ``gto_unseen``), which the audit's ``harvest-complete`` fails on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.harvesters.gitscan import (
    GitScan,
    cat_objects,
    fetch_state,
    parse_ident,
    parse_tag_object,
    remote_tags,
    scan_refs,
)
from lineage.ids import commit_id, deployment_id, model_group_id, model_id
from lineage.model import ATTRS_MODELS, Edge, EdgeKind, Node, NodeKind, compact
from lineage.plugins import HarvestContext
from lineage.serialize import now_utc, utc_iso
from lineage.store import Store, Withdrawal

WATERMARK_SCOPE = "tags"
# set once the store's deployments retired at a harvest (a stage tag moved or deleted) were
# checked for an assignment that replaced them earlier (see ``_withdrawn``); a JSON text
RETIREMENT_SCOPE = "retirements"
RETIREMENT_REPLACED = '"replacing-assignment"'

_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
_DIR = r"[a-zA-Z0-9\-_./]+"
_SEMVER = (
    r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-(?:(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)
TAG_RE = re.compile(
    rf"^(?P<artifact>(?:{_DIR}=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?)"
    r"|@(?:(?P<deprecated>deprecated)|(?P<created>created)))"
    r"(?:#(?P<counter>[0-9]+))?$"
)

# what the GTO harvester says in a model group's properties (a deprecation)
DEPRECATION_PROPERTIES = ("deprecated_at", "deprecation_tag", "deprecated_by", "deprecation_evidence")

REGISTER, DEREGISTER, ASSIGN, UNASSIGN, DEPRECATE, CREATE = (
    "register", "deregister", "assign", "unassign", "deprecate", "create")


@dataclass(frozen=True)
class ParsedTag:
    artifact: str  # "dir:name" for monorepo artifacts
    action: str
    version: str | None = None
    stage: str | None = None
    counter: int | None = None


def parse_tag_name(tag: str) -> ParsedTag | None:
    """Parse a GTO tag name; None when it does not follow the grammar."""
    m = TAG_RE.match(tag)
    if m is None:
        return None
    artifact = m["artifact"].replace("=", ":")
    counter = int(m["counter"]) if m["counter"] else None
    cancel = m["cancel"] == "!"
    if m["version"]:
        return ParsedTag(artifact, DEREGISTER if cancel else REGISTER, version=m["version"],
                         counter=counter)
    if m["stage"]:
        return ParsedTag(artifact, UNASSIGN if cancel else ASSIGN, stage=m["stage"],
                         counter=counter)
    if m["deprecated"]:
        return ParsedTag(artifact, DEPRECATE, counter=counter)
    return ParsedTag(artifact, CREATE, counter=counter)


def looks_like_gto(tag: str) -> bool:
    return "@" in tag or "#" in tag


def semver_key(version: str) -> tuple[Any, ...]:
    """Semver precedence for ``v1.2.3-rc.1+build`` (build metadata ignored)."""
    v = version[1:] if version[:1] in ("v", "V") else version
    v = v.split("+", 1)[0]
    core, _, pre = v.partition("-")
    try:
        major, minor, patch = (int(x) for x in core.split("."))
    except ValueError:
        return (-1, -1, -1, 0, ())
    if not pre:
        return (major, minor, patch, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, ids)


@dataclass
class TagEvent:
    tag: str
    parsed: ParsedTag
    commit: str
    time: str  # ISO-8601 UTC
    who: str | None
    email: str | None
    message: str
    lightweight: bool


@dataclass
class _Version:
    version: str
    commit: str
    registered: TagEvent | None = None
    deregistered: TagEvent | None = None
    stages: dict[str, str] = field(default_factory=dict)  # active stage → deployment id


@dataclass
class _Deployment:
    id: str
    group: str
    version: str
    stage: str
    event: TagEvent
    retired_at: str | None = None
    retired_why: str | None = None
    returned_after: str | None = None  # the stage went back to this version: why
    # the assignment GTO counts (its time orders a stage's assignments, as ``gto show`` does):
    # the event itself, or for a stage gone back to a version, that version's assignment
    assigned: str = ""
    assign_tag: str = ""

    def __post_init__(self) -> None:
        self.assigned = self.assigned or self.event.time
        self.assign_tag = self.assign_tag or self.event.tag


@dataclass
class _Artifact:
    name: str
    versions: dict[str, _Version] = field(default_factory=dict)
    deployments: list[_Deployment] = field(default_factory=list)
    deprecations: list[TagEvent] = field(default_factory=list)
    active: dict[str, _Deployment] = field(default_factory=dict)  # stage → deployment
    # stage → the assignments GTO still holds (not unassigned, version not deregistered), in
    # assignment order: ``gto show`` names the last one, and the one before when it leaves
    held: dict[str, list[_Deployment]] = field(default_factory=dict)
    # version → stage → its assignment held when it was deregistered: GTO keeps it, and counts
    # it again once the version is registered again
    suspended: dict[str, dict[str, _Deployment]] = field(default_factory=dict)
    # commit → the versions any tag registers there (at any time): what a stage tag names
    registers: dict[str, list[str]] = field(default_factory=dict)
    last_event: TagEvent | None = None


def _tagged_again(store: Any, model: str, commit: str,
                  derived: dict[tuple[str, str, str], Edge]) -> Iterator[Edge | Withdrawal]:
    """A registration tag moved back onto a commit it had left (A → B → A): the ``tagged``
    edge from that commit still says where the tag went then (``moved_to``, ``moved_at``,
    ``registered_at``). It is stated afresh as this replay derives it — withdrawn, then
    written again — so the graph says the tag names that commit; the earlier stay is kept by
    the edge from the commit the tag left since (its ``registered_at`` … ``moved_at``) and by
    the event log."""
    source = commit_id(commit)
    key = (source, model, str(EdgeKind.TAGGED))
    stored = next((e for e in store.edges_of(model) if (e.source, e.target, str(e.kind)) == key),
                  None)
    if stored is None or not stored.attrs.get("moved_to"):
        return
    yield Withdrawal(source, model, str(EdgeKind.TAGGED))
    yield derived.get(key) or Edge.make(EdgeKind.TAGGED, source, model,
                                        tag=stored.attrs.get("tag"))


# how a deployment retired at the harvest that saw it gone says so (its ``retired_reason``
# ends with it: "…; retired_at is the harvest that first saw it" / "… first saw it gone")
_AT_HARVEST = "; retired_at is the harvest that first saw it"


def _replaced_reason(reason: str, by: str) -> str:
    """``reason`` with its retirement time said to be the date of ``by``, the assignment to
    its stage that replaced it."""
    head = reason.split(_AT_HARVEST, 1)[0]
    return f"{head}; retired_at is the date of {by}, the assignment to its stage that replaced it"


def _when(value: Any) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _group_of(model: Any, derived: dict[str, Node], store: Any) -> str | None:
    """The group of the model version ``model`` names (this replay's, else the store's)."""
    node = derived.get(str(model)) or store.get_node(str(model))
    group = node.attrs.get("group") if node is not None else None
    return None if group is None else str(group)


def _validated(kind: NodeKind, node_id: str, attrs: dict[str, Any],
               clear: tuple[str, ...] = ()) -> Node:
    """Validate like Node.make, but keep explicit ``None`` for keys that must be cleared."""
    model = ATTRS_MODELS[kind].model_validate(attrs)
    out = compact(model.model_dump(mode="json"))
    for k in clear:
        out.setdefault(k, None)
    return Node.trusted(kind, node_id, out)


# where a tag-less or shallow clone's last answer from its remote is kept (:class:`TagView`)
_ASKED_NS, _ASKED_KEY = "gitscan", "remote_tags"


@dataclass
class TagView:
    """What the clone's tags can tell of the GTO facts the store holds (module docstring).
    A clone holding tags and its whole history judges every tag it lacks deleted. A clone
    that is ``tagless`` (it has a remote and holds no tag: its fetch brought none, or the
    repository has none) or ``shallow`` (it does not promise a commit's tags: a tag-push
    checkout fetches that one tag) cannot tell a tag it did not fetch from a deleted one: it
    asks the remote, once (:meth:`ask`, ``git ls-remote --tags``). A tag the remote does not
    hold is deleted; one it holds, or any when it cannot answer, is judged nothing of."""

    tagless: bool
    shallow: bool
    root: Path | None = None
    remote: str | None = None
    # where the last answer is kept (the store), and the clone it is good for
    # (:func:`fetch_state`): a harvest where the clone's refs and fetch did not change reuses
    # it, asking nothing
    store: Store | None = None
    scan: GitScan | None = None
    asked: bool = False
    # the tag names the remote holds, when it answered; the GTO artifacts they name
    remote_tags: frozenset[str] | None = None
    remote_groups: frozenset[str] = frozenset()
    # why the remote could not answer
    remote_error: str = ""

    @property
    def complete(self) -> bool:
        return not self.tagless and not self.shallow

    def ask(self) -> frozenset[str] | None:
        """The remote's tag names (None: it could not answer, :attr:`remote_error` says
        why); asked once per harvest run, and not at all when an earlier harvest of the clone
        as it is now (its refs, its last fetch, the remote's URL) recorded the answer."""
        if not self.asked:
            self.asked = True
            state = fetch_state(self.scan) if self.scan is not None else ""
            if not self._recall(state):
                if self.root is not None:
                    self.remote_tags, self.remote_error = remote_tags(self.root, self.remote)
                else:
                    self.remote_error = "no clone to ask from"
                if self.store is not None and state:
                    self.store.cache_put_many(_ASKED_NS, [(_ASKED_KEY, {
                        "state": state, "error": self.remote_error,
                        "tags": None if self.remote_tags is None else sorted(self.remote_tags)})])
            if self.remote_tags is not None:
                self.remote_groups = frozenset(
                    p.artifact for t in self.remote_tags if (p := parse_tag_name(t)))
        return self.remote_tags

    def _recall(self, state: str) -> bool:
        """Take the answer an earlier harvest recorded when the clone is as it was then
        (``state``, :func:`fetch_state`); False when there is none to take."""
        if self.store is None or not state:
            return False
        kept = self.store.cache_get_many(_ASKED_NS, [_ASKED_KEY]).get(_ASKED_KEY)
        if not isinstance(kept, dict) or kept.get("state") != state:
            return False
        tags = kept.get("tags")
        if tags is None:
            self.remote_error = str(kept.get("error") or "it could not answer")
        elif isinstance(tags, list):
            self.remote_tags = frozenset(str(t) for t in tags)
        else:
            return False
        return True

    def remote_gto(self) -> list[str] | None:
        """The GTO tags the remote holds, sorted (None: not asked, or it could not answer)."""
        if self.remote_tags is None:
            return None
        return sorted(t for t in self.remote_tags if parse_tag_name(t) or looks_like_gto(t))

    def judges(self, tags: Iterable[Any], group: str | None = None) -> bool:
        """Whether a fact resting on ``tags`` (which the clone does not hold) can be told
        gone: always in a complete clone; else only when the remote answered and holds none
        of them (nor, with ``group``, any tag of that artifact: its deprecation and the
        versions kept for the trail follow the artifact)."""
        tags = [t for t in tags if isinstance(t, str) and t]
        if self.complete or (not tags and group is None):
            return True  # (a fact none of whose tags the clone lacks: its tags tell)
        remote = self.ask()
        if remote is None:
            return False
        return not any(t in remote for t in tags) and (
            group is None or group not in self.remote_groups)


def _stored(ctx: HarvestContext) -> tuple[list[Node], list[Node]]:
    """The store's GTO deployments and versions, as they are now (another harvester of the
    run may have completed them since an earlier read)."""
    return (ctx.store.find_nodes(NodeKind.DEPLOYMENT, source="gto"),
            ctx.store.find_nodes(NodeKind.MODEL, registry="gto"))


def holds_gto_facts(ctx: HarvestContext) -> bool:
    """Whether the store holds a version or a deployment GTO's tags recorded (what the
    audit's ``harvest-complete`` weighs for a clone holding no tag)."""
    return any(bool(nodes) for nodes in _stored(ctx))


def _dep_tags(n: Node) -> list[str]:
    """The tags a deployment rests on: the one that took the stage (``gto_tag``) and, for a
    stage that went back to it, the assignment it went back to (``assign_tag``)."""
    props = n.attrs.get("properties") or {}
    return [t for t in (props.get("gto_tag"), props.get("assign_tag"))
            if isinstance(t, str) and t]


def tag_view(ctx: HarvestContext, s: GitScan) -> TagView:
    """What the clone can judge of the store's GTO facts (:class:`TagView`). One per harvest
    run (the git harvester asks first, for the clone state), so the remote is asked at most
    once, and only when a tag the clone lacks matters."""
    key = ("gto-view", ctx.repo_path)
    view = ctx.shared.get(key)
    if view is not None:
        return view  # type: ignore[no-any-return]
    view = TagView(s.tagless, bool(s.shallow_commits), ctx.repo_path, s.remote, ctx.store, s)
    ctx.shared[key] = view
    return view


def unseen_tags(ctx: HarvestContext, s: GitScan) -> list[str]:
    """The tags the store's GTO facts in force rest on (a version registered or in a stage,
    a deployment not retired; of this repository) that the clone does not hold and cannot
    tell gone (:class:`TagView`: a tag-less or shallow clone asks the remote, and a tag it
    still holds, or any when it cannot answer, is not judged), sorted: what a harvest of
    this clone keeps as it was, and what the audit of its store cannot vouch for."""
    view = tag_view(ctx, s)
    if view.complete:
        return []
    names = {ref.removeprefix("refs/tags/") for ref in s.refs if ref.startswith("refs/tags/")}
    held_groups = {p.artifact for t in names if (p := parse_tag_name(t))}
    store = ctx.store
    ours: dict[str, bool] = {}

    def of_this_repo(sha: Any) -> bool:
        if not isinstance(sha, str) or not sha:
            return False
        if sha not in ours:
            c = store.get_node(commit_id(sha))
            ours[sha] = c is not None and c.attrs.get("repository") == s.repo_id
        return ours[sha]

    # facts in force whose tags the clone lacks: (those tags, the artifact when the clone
    # holds none of its tags)
    lacking: list[tuple[list[str], str | None]] = []
    deps, models = _stored(ctx)
    for n in deps:
        props = n.attrs.get("properties") or {}
        if n.attrs.get("retired_at") or not of_this_repo(props.get("commit")):
            continue
        if gone := [t for t in _dep_tags(n) if t not in names]:
            lacking.append((gone, None))
    for n in models:
        a = n.attrs
        props = a.get("properties") or {}
        tag = props.get("gto_tag")
        live = a.get("status") == "registered" or a.get("stage") or props.get("stages")
        if live and isinstance(tag, str) and tag not in names and of_this_repo(a.get("commit")):
            group = str(a.get("group"))
            lacking.append(([tag], None if group in held_groups else group))
    return sorted({t for tags, group in lacking if not view.judges(tags, group) for t in tags})


def _kept_warning(ctx: HarvestContext, s: GitScan, view: TagView, unseen: list[str]) -> None:
    """One line: the store's GTO facts a clone could not judge were kept, why (its remote
    holds those tags, or could not be asked), and the fetch that lets a harvest judge them."""
    shown = ", ".join(unseen[:3]) + (f" and {len(unseen) - 3} more" if len(unseen) > 3 else "")
    remote = s.remote or "<url>"
    why = (f"its remote {remote} still holds them" if view.remote_tags is not None else
           f"its remote could not be asked whether they still exist ({view.remote_error})")
    if view.tagless:
        ctx.report.warn("gto", f"this clone holds no tags (its fetch brought none) and {why}, "
                        f"so it cannot show what the GTO tags the store's facts rest on "
                        f"({shown}) give now: the store's GTO facts were kept as harvested "
                        "before (none retired or deregistered); fetch the tags (git fetch "
                        f"--tags {remote}; in GitHub Actions, actions/checkout with "
                        "fetch-tags: true), then lineage harvest")
    else:
        ctx.report.warn("gto", f"this shallow clone does not hold GTO tags the store's facts "
                        f"rest on ({shown}) and {why}: a shallow checkout fetches only some "
                        "tags, so the store's GTO facts were kept as harvested before (none "
                        "retired or deregistered); fetch the whole history and its tags "
                        f"(git fetch --unshallow --tags {remote}; in GitHub Actions, "
                        "actions/checkout with fetch-depth: 0), then lineage harvest")


class GtoHarvester:
    """Model registry facts from GTO tags (see module docstring)."""

    name: ClassVar[str] = "gto"

    def enabled(self, ctx: HarvestContext) -> bool:
        return (ctx.repo_path / ".git").exists()

    @staticmethod
    def _retired(ctx: HarvestContext, dep_id: str, gto: str | None) -> str | None:
        """A deployment's ``retired_at``: GTO's (None: its stage still names it), or a record's
        retirement of it when that is earlier — a record completing GTO's deployment (one
        node) is not undone by the next harvest of the tags, as a fresh clone, harvesting the
        records after the tags, never undoes it."""
        stored = ctx.store.get_node(dep_id)
        attrs = stored.attrs if stored is not None else {}
        recorded = attrs.get("retired_at")
        # GTO's own retirements carry their retired_reason: what its tags say now replaces them
        if not recorded or (attrs.get("properties") or {}).get("retired_reason"):
            return gto
        return str(recorded) if gto is None else min(str(recorded), gto)

    def harvest(self, ctx: HarvestContext) -> Iterator[Node | Edge | Withdrawal]:
        s = scan_refs(ctx)
        tags = {ref: sha for ref, sha in s.refs.items() if ref.startswith("refs/tags/")}
        # a re-pointed annotated tag keeps its commit but changes its tag object: track both
        mark = {ref: f"{sha}:{s.annotated.get(ref, '')}" for ref, sha in tags.items()}
        wm = json.dumps(dict(sorted(mark.items())), separators=(",", ":"))
        view = tag_view(ctx, s)
        if unseen := unseen_tags(ctx, s):  # at every harvest of such a clone, tags unchanged too
            _kept_warning(ctx, s, view, unseen)
        # a store an earlier version retired deployments in at harvest time is replayed once
        # (unchanged tags write nothing else) to move them to the date of what replaced them
        if ctx.watermark(WATERMARK_SCOPE) == wm and \
                ctx.watermark(RETIREMENT_SCOPE) == RETIREMENT_REPLACED:
            return
        events = self._events(ctx, tags, s)
        facts = list(self._facts(ctx, events, s.repo_id))  # tags are few
        # what the store holds from earlier replays, read before this one's facts land
        names = {ref.removeprefix("refs/tags/") for ref in tags}
        stale = list(self._withdrawn(ctx, facts, s.repo_id, names, view))
        yield from facts
        yield from stale
        ctx.set_watermark(WATERMARK_SCOPE, wm)
        ctx.set_watermark(RETIREMENT_SCOPE, RETIREMENT_REPLACED)

    # -- tags deleted or moved since an earlier harvest ---------------------------------------
    def _withdrawn(self, ctx: HarvestContext, facts: list[Node | Edge], repo_id: str,
                   names: set[str], view: TagView) -> Iterator[Node | Edge | Withdrawal]:
        """GTO's state is its tags: a version or deployment this replay no longer derives had
        its tag deleted (``gto deregister --delete`` / ``gto unassign --delete``), and a
        version registered at another commit than before had its tag moved. The store keeps
        what was (an audit trail); this marks it: a deployment gets ``retired_at`` (the date
        of the assignment to its stage that replaced it, else this harvest) and the reason, a version becomes ``deregistered``, and the ``tagged``
        edge from a moved tag's old commit gets ``moved_to``. Only facts of this repository
        (their commit is one of its commits) are touched, and of those only the ones the clone
        can judge (``view``: in a clone holding no tag, or a shallow one, those whose missing
        tags its remote does not hold either): the others are kept as they are."""
        derived = {f.id: f for f in facts if isinstance(f, Node)}
        derived_edges = {(f.source, f.target, str(f.kind)): f for f in facts
                         if isinstance(f, Edge)}
        store = ctx.store
        ours: dict[str, bool] = {}

        def of_this_repo(sha: str | None) -> bool:
            if not sha:
                return False
            if sha not in ours:
                c = store.get_node(commit_id(sha))
                ours[sha] = c is not None and c.attrs.get("repository") == repo_id
            return ours[sha]

        now: str | None = None
        # the stages' assignments this replay derives: what replaced a deployment it does not
        stages: dict[tuple[str | None, str], list[tuple[datetime, str, str]]] = {}
        for f in derived.values():
            t = _when(f.attrs.get("deployed_at")) if f.kind == NodeKind.DEPLOYMENT else None
            if t is not None:
                key = (_group_of(f.attrs.get("model"), derived, store),
                       str(f.attrs.get("environment")))
                stages.setdefault(key, []).append(
                    (t, str(f.attrs["deployed_at"]),
                     str((f.attrs.get("properties") or {}).get("gto_tag") or f.id)))
        stored_deps, stored_models = _stored(ctx)
        for n in stored_deps:
            props = dict(n.attrs.get("properties") or {})
            new_dep = derived.get(n.id)
            if new_dep is not None:
                # its stage tag names another version now (a version registered at its commit
                # since, or a registration tag moved off it): the old version's edge goes
                old_model, new_model = n.attrs.get("model"), new_dep.attrs.get("model")
                if old_model and new_model != old_model and of_this_repo(props.get("commit")):
                    ctx.report.warn("gto", f"deployment {n.id} (tag {props.get('gto_tag')}) "
                                    f"now names {new_model}, no longer {old_model}",
                                    commit=props.get("commit"))
                    yield Withdrawal(old_model, n.id, str(EdgeKind.DEPLOYED_AS))
                continue
            if not of_this_repo(props.get("commit")) or not view.judges(
                    t for t in _dep_tags(n) if t not in names):
                continue
            retired = n.attrs.get("retired_at")
            if retired and not str(props.get("retired_reason", "")).endswith(_AT_HARVEST):
                continue  # retired by the replay (the tag that replaced it), or corrected
            # the first assignment to its stage after it that the tags still give: GTO shows
            # that one from its date on, so this deployment was over then at the latest
            deployed = _when(n.attrs.get("deployed_at"))
            later = sorted(x for x in stages.get(
                (_group_of(n.attrs.get("model"), derived, store),
                 str(n.attrs.get("environment"))),
                []) if deployed is not None and x[0] > deployed)
            if retired:
                # retired at a harvest by an earlier version: moved back to the assignment that
                # replaced it when that came first (what this version writes), else kept
                seen = _when(retired)
                if not later or seen is None or later[0][0] >= seen:
                    continue
                _, at, by = later[0]
                ctx.report.note("gto", f"deployment {n.id}: retired_at moved from the harvest "
                                f"that saw it gone ({retired}) to {at}, the date of {by}, "
                                "the assignment that replaced it")
                props["retired_reason"] = _replaced_reason(props["retired_reason"], by)
                yield _validated(NodeKind.DEPLOYMENT, n.id,
                                 {**n.attrs, "retired_at": at, "properties": props})
                continue
            now = now or str(utc_iso(now_utc()))
            # a deployment the stage went back to rests on two tags: the one that took the
            # other version out (``gto_tag``) and the assignment it went back to
            tags = [t for t in (props.get("gto_tag"), props.get("assign_tag")) if t]
            gone = [t for t in tags if t not in names]
            if gone:
                what = " and ".join(gone)
                reason = f"GTO tag {what} deleted{_AT_HARVEST} gone"
                msg = f"tag {what} is gone"
            else:  # its tags are there, yet the replay no longer derives it (a tag moved)
                what = " and ".join(tags) or "?"
                reason = f"no longer follows from GTO's tags ({what}){_AT_HARVEST}"
                msg = f"tags {what} no longer give it"
            at = now
            now_at = _when(now)
            if later and now_at is not None and later[0][0] < now_at:
                _, at, by = later[0]
                reason = _replaced_reason(reason, by)
            props["retired_reason"] = reason
            ctx.report.warn("gto", f"{msg}: deployment {n.id} marked retired at {at}",
                            commit=props.get("commit"))
            yield _validated(NodeKind.DEPLOYMENT, n.id,
                             {**n.attrs, "retired_at": at, "properties": props})
        group_deprecated = {str(f.attrs.get("group")): bool(f.attrs.get("deprecated"))
                            for f in derived.values() if f.kind == NodeKind.MODEL}
        # an artifact none of whose tags is left (GTO no longer knows it): its deprecation tag
        # went too, so neither it nor a version kept for the trail is deprecated any more
        gone_groups: set[str] = set()
        for n in stored_models:
            a = n.attrs
            props = dict(a.get("properties") or {})
            tag = props.get("gto_tag")
            new = derived.get(n.id)
            if new is not None:
                old_commit, new_commit = a.get("commit"), new.attrs.get("commit")
                if old_commit and new_commit and old_commit != new_commit \
                        and of_this_repo(old_commit):
                    moved_at = new.attrs.get("created_at")
                    again = list(_tagged_again(store, n.id, new_commit, derived_edges))
                    moved = (f"tag {tag or n.id} moved from {old_commit[:12]} to "
                             f"{new_commit[:12]} since the last harvest"
                             f"{f' (re-tagged {moved_at})' if moved_at else ''}: {n.id} ")
                    if again:  # back where it was: the content it named there before
                        ctx.report.warn("gto", moved + "names again the commit the tag had left "
                                        "and its artifact there (the commit it leaves stays in "
                                        "the trail). For the audit the version's content is that "
                                        "earlier one again: its runs and approvals count for the "
                                        "deployments made since, and a deployment made while "
                                        "the tag was away is judged by the content it named then",
                                        commit=new_commit)
                    else:
                        ctx.report.warn("gto", moved + "now names the new commit and its "
                                        "artifact there (the old commit stays in the trail). For "
                                        "the audit the version's content is new from then: a run "
                                        "that produced the earlier artifact does not count for it "
                                        "(model-has-run), nor do approvals decided before the new "
                                        "content existed for its deployments since "
                                        "(deployment-approved, four-eyes); register new bytes as "
                                        "a new version instead", commit=new_commit)
                    # when it moved, and when the tag it replaced registered the old content:
                    # the audit reads the version's content as made at the move
                    yield Edge.make(EdgeKind.TAGGED, commit_id(old_commit), n.id, tag=tag,
                                    moved_to=new_commit, moved_at=moved_at,
                                    registered_at=a.get("created_at"))
                    yield from again
                continue
            in_stage = bool(a.get("stage") or props.get("stages"))
            # deprecation is the artifact's: a version kept for the trail follows it
            was = bool(a.get("deprecated"))
            group = str(a.get("group"))
            known = model_group_id(group) in derived
            deprecated = group_deprecated.get(group, was if known else False)
            if not (a.get("status") == "registered" or in_stage or deprecated != was) \
                    or not of_this_repo(a.get("commit")) \
                    or not view.judges([tag] if tag and tag not in names else [],
                                       None if known else group):
                continue
            if not known:
                gone_groups.add(group)
            props.pop("stages", None)  # no tag puts it in a stage any more
            attrs = {**a, "deprecated": deprecated, "stage": None, "properties": props}
            if a.get("status") != "registered":
                # a version GTO named by a commit (a version is registered there since, or
                # its stage tag is gone), or one deregistered earlier: in no stage now
                if in_stage:
                    ctx.report.warn("gto", f"{n.id} is no longer in a stage: no GTO tag gives "
                                    "it any more", commit=a.get("commit"))
                yield _validated(NodeKind.MODEL, n.id, attrs, clear=("stage",))
                continue
            now = now or utc_iso(now_utc())
            props.update(deregistered_at=now, deregistration_tag=f"{tag} deleted"
                         if tag else "registration tag deleted")
            ctx.report.warn("gto", f"tag {tag or n.id} is gone: {n.id} marked deregistered",
                            commit=a.get("commit"))
            yield _validated(NodeKind.MODEL, n.id, {**attrs, "status": "deregistered"},
                             clear=("stage",))
        for group in sorted(gone_groups):
            g = store.get_node(model_group_id(group))
            props = dict((g.attrs.get("properties") or {}) if g is not None else {})
            if g is not None and any(k in props for k in DEPRECATION_PROPERTIES):
                # (written whole: a node write merges attributes key by key)
                yield Node.trusted(NodeKind.MODEL_GROUP, g.id, {"properties": {
                    k: v for k, v in props.items() if k not in DEPRECATION_PROPERTIES}})

    # -- reading tags -------------------------------------------------------------------------
    def _events(self, ctx: HarvestContext, tags: dict[str, str], s: Any) -> list[TagEvent]:
        parsed: list[tuple[str, ParsedTag, str]] = []
        for ref, sha in sorted(tags.items()):
            name = ref.removeprefix("refs/tags/")
            p = parse_tag_name(name)
            if p is None:
                if looks_like_gto(name):
                    ctx.report.warn("gto", f"tag {name!r} looks like a GTO tag but does not "
                                    "follow the GTO grammar (name@vX.Y.Z, name#stage, "
                                    "name@deprecated, optional !, optional #N); ignored",
                                    commit=sha)
                continue
            parsed.append((ref, p, sha))
        if not parsed:
            return []
        # read only the GTO tags' objects (a repository may carry many other tags)
        tag_shas = {ref: s.annotated[ref] for ref, _, _ in parsed if ref in s.annotated}
        raw = cat_objects(ctx.repo_path, set(tag_shas.values()))
        annotated = {ref: parse_tag_object(raw[sha]) for ref, sha in tag_shas.items()
                     if sha in raw}
        light = [sha for ref, _, sha in parsed
                 if ref not in annotated or not annotated[ref].tagger_time]
        commit_times: dict[str, tuple[str | None, str | None, str | None]] = {}
        if light:
            for sha, body in cat_objects(ctx.repo_path, set(light)).items():
                head = body.split(b"\n\n", 1)[0]
                for line in head.split(b"\n"):
                    if line.startswith(b"committer "):
                        commit_times[sha] = parse_ident(line[10:].decode(errors="replace"))
        events: list[TagEvent] = []
        for ref, p, sha in parsed:
            name = ref.removeprefix("refs/tags/")
            info = annotated.get(ref)
            if info is not None and info.tagger_time:
                events.append(TagEvent(name, p, sha, info.tagger_time, info.tagger_name,
                                       info.tagger_email, info.message.strip(), False))
                continue
            who, email, when = commit_times.get(sha, (None, None, None))
            if when is None:
                ctx.report.warn("gto", f"tag {name!r}: no date found (no tagger, commit "
                                "unreadable); ignored", commit=sha)
                continue
            events.append(TagEvent(name, p, sha, when, None, None,
                                   info.message.strip() if info else "", True))
        events.sort(key=lambda e: (e.time, e.parsed.counter or 0, e.tag))
        return events

    # -- replay -------------------------------------------------------------------------------
    def _facts(self, ctx: HarvestContext, events: list[TagEvent],
               repo_id: str) -> Iterator[Node | Edge]:
        aliases = ctx.config.model_aliases
        arts: dict[str, _Artifact] = {}
        # GTO reads every version tag before the stage tags: a stage tag names the version
        # registered at its commit whenever that registration is dated (the same second, or
        # later). The registration of a version that counts is its first (see _apply).
        first: dict[tuple[str, str], str] = {}
        for ev in events:
            if ev.parsed.action == REGISTER and ev.parsed.version is not None:
                group = aliases.get(ev.parsed.artifact, ev.parsed.artifact)
                first.setdefault((group, ev.parsed.version), ev.commit)
        for (group, version), commit in first.items():
            arts.setdefault(group, _Artifact(group)).registers.setdefault(
                commit, []).append(version)
        for ev in events:
            group = aliases.get(ev.parsed.artifact, ev.parsed.artifact)
            art = arts.setdefault(group, _Artifact(group))
            art.last_event = ev
            self._apply(ctx, art, ev)
        for art in arts.values():
            # the group's properties hold what other sources say too (a dvc.yaml ``meta:``):
            # the store replaces ``properties`` whole, so those are carried over
            old = ctx.store.get_node(model_group_id(art.name))
            yield from self._emit(ctx, art, repo_id, dict(old.attrs.get("properties") or {})
                                  if old is not None else {})

    def _version_at(self, art: _Artifact, commit: str, when: str,
                    create: bool = True) -> _Version | None:
        """GTO: the version registered at ``commit`` (greatest if several, registered no later
        than ``when`` if possible), also when its registration tag comes later in the replay
        (GTO reads every version tag before the stage tags); else a version named by the
        commit sha."""
        at = [v for v in art.versions.values() if v.commit == commit and v.registered]
        before = [v for v in at if v.registered and v.registered.time <= when]
        pick = before or at
        if pick:
            return max(pick, key=lambda v: semver_key(v.version))
        coming = art.registers.get(commit)
        if coming:
            version = max(coming, key=semver_key)
            if not create:
                return art.versions.get(version)
            return art.versions.setdefault(version, _Version(version, commit))
        if not create:
            return art.versions.get(commit)
        return art.versions.setdefault(commit, _Version(commit, commit))

    def _apply(self, ctx: HarvestContext, art: _Artifact, ev: TagEvent) -> None:
        p = ev.parsed
        if p.action == REGISTER:
            assert p.version is not None
            v = art.versions.get(p.version)
            if v is not None and v.registered and v.commit != ev.commit:
                ctx.report.warn("gto", f"tag {ev.tag!r} registers {art.name} {p.version} again "
                                f"at another commit ({v.commit[:12]}); the first one is kept",
                                commit=ev.commit)
                return
            v = art.versions.setdefault(p.version, _Version(p.version, ev.commit))
            v.registered = v.registered or ev
            if v.deregistered is not None:  # registered again (``gto register --simple false``)
                v.deregistered = None
                self._restore(art, v, ev)
        elif p.action == DEREGISTER:
            assert p.version is not None
            v = art.versions.get(p.version)
            if v is None:
                ctx.report.warn("gto", f"tag {ev.tag!r} deregisters {art.name} {p.version}, "
                                "which was never registered", commit=ev.commit)
                v = art.versions.setdefault(p.version, _Version(p.version, ev.commit))
            v.deregistered = ev
            # GTO leaves a deregistered version out of every stage (and keeps its assignments)
            kept = art.suspended.setdefault(v.version, {})
            for stage, held in list(art.held.items()):
                mine = [d for d in held if d.version == v.version]
                if mine:
                    kept[stage] = mine[-1]
                    self._leave(art, stage, v, ev, f"version deregistered (tag {ev.tag})")
        elif p.action == ASSIGN:
            assert p.stage is not None
            v = self._version_at(art, ev.commit, ev.time)
            assert v is not None
            if v.deregistered is not None:
                # GTO makes the tag (``gto assign`` warns) but does not count it while the
                # version is deregistered: kept for when it is registered again (_restore)
                ctx.report.warn("gto", f"tag {ev.tag!r} assigns {p.stage} to {art.name} "
                                f"{v.version}, which is deregistered (tag "
                                f"{v.deregistered.tag}): GTO does not count it unless the "
                                "version is registered again", commit=ev.commit)
                art.suspended.setdefault(v.version, {})[p.stage] = _Deployment(
                    deployment_id(art.name, p.stage, ev.time), art.name, v.version, p.stage, ev)
                return
            prev = art.active.get(p.stage)
            if prev is not None:
                prev.retired_at = ev.time
                prev.retired_why = f"superseded by {v.version} (tag {ev.tag})"
                art.versions[prev.version].stages.pop(p.stage, None)
            dep = _Deployment(deployment_id(art.name, p.stage, ev.time), art.name, v.version,
                              p.stage, ev)
            art.deployments.append(dep)
            art.active[p.stage] = dep
            v.stages[p.stage] = dep.id
            held = art.held.setdefault(p.stage, [])
            held[:] = [d for d in held if d.version != v.version] + [dep]
            art.suspended.get(v.version, {}).pop(p.stage, None)  # this assignment counts now
        elif p.action == UNASSIGN:
            assert p.stage is not None
            v = self._version_at(art, ev.commit, ev.time, create=False)
            held = art.held.get(p.stage, [])
            susp = art.suspended.get(v.version) if v is not None else None
            if susp is not None and susp.pop(p.stage, None) is not None:
                return  # a deregistered version's assignment: it will not come back
            if v is None or not any(d.version == v.version for d in held):
                what = v.version if v else f"(no version at {ev.commit[:12]})"
                ctx.report.warn("gto", f"tag {ev.tag!r} unassigns {p.stage} from {art.name} "
                                f"{what}, which is not in that stage", commit=ev.commit)
                return
            if v.registered is None and v.deregistered is None:
                ctx.report.warn("gto", f"tag {ev.tag!r} unassigns {p.stage} from {art.name} "
                                f"{v.version[:12]}, a version named by its commit (none is "
                                "registered there): lineage takes it out of the stage, as "
                                "gto history says, but GTO 1.10's gto show still names it "
                                "there; to agree, delete the assignment tag or register a "
                                "version at the commit", commit=ev.commit)
            self._leave(art, p.stage, v, ev, f"unassigned (tag {ev.tag})")
        elif p.action == DEPRECATE:
            art.deprecations.append(ev)

    def _leave(self, art: _Artifact, stage: str, v: _Version, ev: TagEvent, why: str) -> None:
        """``v`` leaves ``stage`` (unassigned or deregistered). GTO keeps the assignments
        made before it: when ``v`` was the one ``gto show`` named, the stage goes back to the
        latest assignment still held, a deployment of that version again from ``ev``'s time."""
        held = art.held.get(stage, [])
        held[:] = [d for d in held if d.version != v.version]
        dep = art.active.get(stage)
        if dep is None or dep.version != v.version:
            return  # superseded earlier: its deployment is retired already
        dep.retired_at = ev.time
        dep.retired_why = why
        del art.active[stage]
        v.stages.pop(stage, None)
        if not held:
            return
        back = held[-1]
        again = _Deployment(deployment_id(art.name, stage, ev.time), art.name, back.version,
                            stage, ev, assigned=back.assigned, assign_tag=back.assign_tag,
                            returned_after=(
                                f"{v.version} left {stage} ({why}); GTO shows the assignment "
                                f"before it again: {back.version} (tag {back.assign_tag})"))
        art.deployments.append(again)
        art.active[stage] = again
        held[-1] = again
        art.versions[back.version].stages[stage] = again.id

    def _restore(self, art: _Artifact, v: _Version, ev: TagEvent) -> None:
        """``v`` is registered again: GTO counts the assignments it held when deregistered
        again; in each stage where one is now the latest, ``v`` is deployed again from
        ``ev``'s time (the deployment shown before it is retired then)."""
        for stage, dep in art.suspended.pop(v.version, {}).items():
            held = art.held.setdefault(stage, [])
            if any(d.version == v.version for d in held):
                continue  # assigned again meanwhile: that assignment counts
            held.append(dep)
            held.sort(key=lambda d: d.assigned)
            if held[-1] is not dep:
                continue  # another version was assigned to the stage later: GTO shows it
            why = (f"{v.version} registered again (tag {ev.tag}); GTO shows its assignment to "
                   f"{stage} again (tag {dep.assign_tag})")
            cur = art.active.get(stage)
            if cur is not None:
                cur.retired_at = ev.time
                cur.retired_why = why
                art.versions[cur.version].stages.pop(stage, None)
            again = _Deployment(deployment_id(art.name, stage, ev.time), art.name, v.version,
                                stage, ev, assigned=dep.assigned, assign_tag=dep.assign_tag,
                                returned_after=why)
            art.deployments.append(again)
            art.active[stage] = again
            held[-1] = again
            v.stages[stage] = again.id

    @staticmethod
    def _evidence(ev: TagEvent) -> str:
        if ev.lightweight:
            return (f"lightweight tag {ev.tag}: no tagger; time is the commit date")
        return f"annotated tag {ev.tag} by {ev.who} <{ev.email}> at {ev.time}"

    def _emit(self, ctx: HarvestContext, art: _Artifact, repo_id: str,
              stored: dict[str, str]) -> Iterator[Node | Edge]:
        """The artifact's facts; ``stored``: its group's properties in the store."""
        gid = model_group_id(art.name)
        deprecated = bool(art.deprecations) and art.last_event in art.deprecations
        gprops = {k: v for k, v in stored.items() if k not in DEPRECATION_PROPERTIES}
        if art.deprecations:
            d = art.deprecations[-1]
            gprops.update({"deprecated_at": d.time, "deprecation_tag": d.tag,
                           "deprecated_by": d.who or "",
                           "deprecation_evidence": self._evidence(d)})
        group = _validated(NodeKind.MODEL_GROUP, gid, {"name": art.name, "registry": "gto",
                                                       "properties": gprops})
        if not gprops and stored:  # a deprecation tag deleted: no deprecation left behind
            group = Node.trusted(NodeKind.MODEL_GROUP, gid, {**group.attrs, "properties": {}})
        yield group
        registered = sorted((v for v in art.versions.values() if v.registered),
                            key=lambda v: semver_key(v.version))
        for v in art.versions.values():
            mid = model_id(art.name, v.version)
            props: dict[str, str] = {}
            attrs: dict[str, Any] = {"group": art.name, "version": v.version, "registry": "gto",
                                     "commit": v.commit, "deprecated": deprecated}
            if v.registered:
                r = v.registered
                attrs.update(created_at=r.time, created_by=r.who)
                props.update(gto_tag=r.tag, evidence=self._evidence(r))
                if r.email:
                    props["created_by_email"] = r.email
                if r.message:
                    props["gto_message"] = r.message
                attrs["status"] = "deregistered" if v.deregistered else "registered"
            else:
                attrs["status"] = "unregistered"
                props["note"] = ("a stage was assigned at this commit with no version "
                                 "registered there; GTO names the version by the commit")
            if v.deregistered:
                d = v.deregistered
                props.update(deregistered_at=d.time, deregistration_tag=d.tag,
                             deregistered_by=d.who or "")
            active = sorted(v.stages, key=lambda st: art.active[st].event.time
                            if st in art.active else "")
            attrs["stage"] = active[-1] if active else None
            if active:
                props["stages"] = ",".join(active)
            attrs["properties"] = props
            yield _validated(NodeKind.MODEL, mid, attrs, clear=("stage",))
            yield Edge.make(EdgeKind.VERSION_OF, mid, gid)
            yield Edge.make(EdgeKind.TAGGED, commit_id(v.commit), mid,
                            tag=v.registered.tag if v.registered else None)
        for a, b in zip(registered, registered[1:], strict=False):
            yield Edge.make(EdgeKind.PREVIOUS_VERSION, model_id(art.name, a.version),
                            model_id(art.name, b.version))
        for dep in art.deployments:
            ev = dep.event
            props = {"gto_tag": ev.tag, "evidence": self._evidence(ev), "commit": ev.commit}
            if ev.email:
                props["deployed_by_email"] = ev.email
            if dep.retired_why:
                props["retired_reason"] = dep.retired_why
            if dep.returned_after:
                props["returned_after"] = dep.returned_after
            if dep.assign_tag != ev.tag:  # the assignment this deployment went back to
                props["assign_tag"] = dep.assign_tag
            mid = model_id(art.name, dep.version)
            yield _validated(NodeKind.DEPLOYMENT, dep.id, {
                "model": mid, "environment": dep.stage, "deployed_at": ev.time,
                "deployed_by": ev.who, "retired_at": self._retired(ctx, dep.id, dep.retired_at),
                "source": "gto", "properties": props,
            }, clear=("retired_at",))
            yield Edge.make(EdgeKind.DEPLOYED_AS, mid, dep.id)


def stage_deployments(ctx: HarvestContext) -> list[Node]:
    """The deployments GTO's tags give now, as a harvest derives them, none of them
    written: per artifact and stage the one ``gto show`` names is live (no ``retired_at``),
    the earlier ones retired. ``lineage record deployment`` reads them from the repository
    itself, so that recording the deployment a stage tag made (before or after the harvest
    that reads the tag) completes that deployment instead of adding a second one."""
    harvester = GtoHarvester()
    if not harvester.enabled(ctx):
        return []
    s = scan_refs(ctx)
    tags = {ref: sha for ref, sha in s.refs.items() if ref.startswith("refs/tags/")}
    events = harvester._events(ctx, tags, s)
    return [f for f in harvester._facts(ctx, events, s.repo_id)
            if isinstance(f, Node) and f.kind == NodeKind.DEPLOYMENT]


__all__ = ["GtoHarvester", "ParsedTag", "TAG_RE", "TagView", "looks_like_gto",
           "parse_tag_name", "holds_gto_facts", "semver_key", "stage_deployments", "tag_view",
           "unseen_tags"]
