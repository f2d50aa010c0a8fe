"""``lineage push --to atlas``: the lineage graph as Apache Atlas typedefs and entities.

Push, step by step (docs/atlas.md has the full story):

1. render every node (pure, :func:`connectors.sinks.atlas.render.render_graph`) and validate
   every payload against the typedefs (Atlas silently drops unknown attributes);
2. register our typedefs (``schemas/atlas/lineage_typedefs.json``): create, and on 409 create
   the missing ones and update the rest; skipped when unchanged since the last push;
3. upsert changed entities with ``POST /v2/entity/bulk`` in batches; every entity a batch
   refers to travels in the same request (``referredEntities``) under a placeholder guid, so a
   batch never points at something the server may not have;
4. set classifications (EU AI Act tier) and business metadata through their own endpoints,
   because Atlas ignores them in bulk posts for entities that already exist; a tier or a
   business attribute the graph no longer gives (a correction superseded its record) is
   deleted, by name: other tools' classifications and business metadata are left alone;
5. with ``remove_stale``, once all of that succeeded: delete the entities an earlier push to
   this Atlas sent that the graph no longer renders (``DELETE /v2/entity/bulk?guid=…``, by
   the guids Atlas assigned them: Atlas's soft delete, status ``DELETED``); without it they
   are only counted (``stale_entities``).

Incremental: per-entity payload hashes, assigned guids and what governance was sent live in
the store's state under ``push:atlas:<url>``; an unchanged graph sends nothing. State is
written after each acknowledged batch, so a push that fails half way resumes where it
stopped. An entity Atlas already had that the store has no record of (``full``, a fresh
store) is read once before its governance is set.

Settings (first found wins): ``ctx.options`` (``url`` or ``server``, ``username``,
``password``, ``batch_size``, ``timeout``, ``full``, ``remove_stale``), then the ``atlas:``
section of ``lineage.yaml`` (where ``ATLAS_URL`` / ``ATLAS_USERNAME`` / ``ATLAS_PASSWORD``
already win), then those environment variables directly.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from connectors.sinks.atlas.client import AtlasError, AtlasHttp
from connectors.sinks.atlas.render import QN_SUFFIX, references, render_graph
from connectors.sinks.atlas.typesystem import TypeSystem, load_typedefs
from lineage.audit.context import push_context
from lineage.errors import ConfigError, SinkError
from lineage.ids import strip_credentials
from lineage.model import NodeKind
from lineage.plugins import PushContext, PushResult, option_flag
from lineage.serialize import digest, dumps_str, loads

if TYPE_CHECKING:
    from lineage.audit.engine import AuditContext
    from lineage.graph import LineageGraph

log = logging.getLogger("lineage.sinks.atlas")

DEFAULT_BATCH = 200
NO_BM = digest({})  # the business metadata state of an entity nothing was sent for
# business metadata another store may have pushed from records only it holds: the attribute
# naming them and the date that orders them (None: every record counts, none is "latest")
KNOWN_ELSEWHERE: dict[str, tuple[str, str | None]] = {
    "lineage_approval_status": ("approvalIds", None),
    "lineage_risk_assessment": ("assessmentId", "assessedAt"),
    "lineage_retraining": ("retrainingId", "retrainedAt"),
}
KNOWN_RECORDS = (NodeKind.APPROVAL, NodeKind.RISK_ASSESSMENT, NodeKind.RETRAINING)
TYPEDEF_CATEGORIES = ("enumDefs", "structDefs", "classificationDefs", "entityDefs",
                      "relationshipDefs", "businessMetadataDefs")
# what the state keeps of one entity (``<prefix>|<qualifiedName>``): payload hash, guid,
# classifications, business metadata hash, business attribute names, "read it from Atlas"
ENTITY_STATE = ("e", "g", "c", "b", "a", "u")
# guids per delete request: they travel in the URL (Atlas's Jetty takes a few kB of it)
DELETE_BATCH = 50
GUID_NOT_FOUND = "ATLAS-404-00-005"  # Atlas holds no entity with that guid


@dataclass
class AtlasSettings:
    url: str
    username: str
    password: str
    username_source: str
    password_source: str
    batch_size: int = DEFAULT_BATCH
    timeout: float = 60.0
    full: bool = False
    url_source: str = "ATLAS_URL"
    remove_stale: bool = False

    def __repr__(self) -> str:  # never show the password
        return (f"AtlasSettings(url={self.url!r}, username={self.username!r}, "
                f"password='**********', batch_size={self.batch_size})")

    __str__ = __repr__

    @property
    def credential_hint(self) -> str:
        return (f"check the password ({self.password_source}) and the user name "
                f"({self.username_source})")


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def resolve_settings(ctx: PushContext) -> AtlasSettings:
    """URL and credentials from options, config or environment; ConfigError when missing."""
    opts = ctx.options or {}
    cfg = getattr(ctx.config, "atlas", None)
    env = os.environ

    def pick(key: str, env_var: str) -> tuple[str | None, str]:
        if key == "url" and opts.get("server") not in (None, ""):  # `lineage push --server`
            return str(opts["server"]), "--server"
        if opts.get(key) not in (None, ""):
            return _secret(opts[key]), f"--option {key}"
        value = _secret(getattr(cfg, key, None)) if cfg is not None else None
        if value:
            from_env = env.get(env_var) == value
            return value, env_var if from_env else f"atlas.{key} in lineage.yaml"
        if env.get(env_var):
            return env[env_var], env_var
        return None, env_var

    url, url_src = pick("url", "ATLAS_URL")
    if not url:
        raise ConfigError("no Atlas URL configured",
                          hint="set ATLAS_URL (e.g. http://localhost:21000) or atlas.url in "
                               "lineage.yaml")
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:
        ok = False
    if not ok:
        shown = url.split("@")[-1]  # never echo credentials of a malformed URL
        raise ConfigError(f"{url_src} {shown!r} is not an http(s) URL",
                          hint="e.g. ATLAS_URL=http://localhost:21000")
    username, user_src = pick("username", "ATLAS_USERNAME")
    password, pw_src = pick("password", "ATLAS_PASSWORD")
    if parts.username and not username:
        username, user_src = parts.username, "the user in ATLAS_URL"
    if parts.password and not password:
        password, pw_src = parts.password, "the password in ATLAS_URL"
    if not username or not password:
        missing = "ATLAS_USERNAME" if not username else "ATLAS_PASSWORD"
        raise ConfigError(f"no Atlas credentials: {missing} is not set",
                          hint="set ATLAS_USERNAME and ATLAS_PASSWORD (basic auth) or "
                               "atlas.username / atlas.password in lineage.yaml")
    raw_batch, raw_timeout = opts.get("batch_size", DEFAULT_BATCH), opts.get("timeout", 60)
    try:
        batch = int(str(raw_batch).strip())
    except ValueError:
        batch = 0
    if batch < 1:
        raise ConfigError(f"Atlas option batch_size must be a whole number of entities, at "
                          f"least 1 (got {str(raw_batch)!r})", hint="e.g. -o batch_size=200")
    try:
        timeout = float(str(raw_timeout).strip())
    except ValueError:
        timeout = 0.0
    if not math.isfinite(timeout) or timeout <= 0:
        raise ConfigError(f"Atlas option timeout must be a number of seconds above 0 (got "
                          f"{str(raw_timeout)!r})", hint="e.g. -o timeout=60")
    full = option_flag(opts, "full", hint="e.g. -o full=true, or --full")
    remove_stale = option_flag(opts, "remove_stale")
    clean = strip_credentials(url).rstrip("/")
    # a URL copied from a REST example (http://host:21000/api/atlas/v2): the server's root is
    # meant, the client adds the API path itself
    clean = re.sub(r"/api/atlas(?:/v2)?$", "", clean, flags=re.IGNORECASE)
    return AtlasSettings(clean, username, password, user_src, pw_src, batch, timeout, full,
                         url_source=url_src, remove_stale=remove_stale)


def namespace(url: str) -> str:
    return f"push:atlas:{strip_credentials(url).rstrip('/')}"


def _to_wire(value: Any, guid_of: dict[str, str]) -> Any:
    """uniqueAttributes references → placeholder-guid references of the same request."""
    if isinstance(value, list):
        return [_to_wire(v, guid_of) for v in value]
    if isinstance(value, dict) and "uniqueAttributes" in value and "typeName" in value:
        return {"guid": guid_of[value["uniqueAttributes"]["qualifiedName"]],
                "typeName": value["typeName"]}
    return value


def _is_ref(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_is_ref(v) for v in value)
    return isinstance(value, dict) and "uniqueAttributes" in value


def build_request(batch: list[dict[str, Any]], by_qn: dict[str, dict[str, Any]],
                  existing: dict[str, str] | None = None
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """One bulk request: the batch's entities plus, in ``referredEntities``, every entity they
    refer to (its own attributes only, so the closure stops there). ``existing``: entities
    Atlas holds that must not be rewritten (``{qualifiedName: guid}``), referred to by their
    guid. Returns the request and ``{guid in the request: qualifiedName}``."""
    refs = {qn for item in batch for qn in references(item["entity"])}
    guid_of: dict[str, str] = {qn: g for qn, g in (existing or {}).items() if qn in refs}
    count = 0

    def placeholder(qn: str) -> str:
        nonlocal count
        if qn not in guid_of:
            count += 1
            guid_of[qn] = f"-{count}"
        return guid_of[qn]

    for item in batch:
        placeholder(item["qualifiedName"])
    entities = []
    referred: dict[str, Any] = {}
    for item in batch:
        for qn in references(item["entity"]):
            if qn not in guid_of:
                target = by_qn[qn]["entity"]
                ph = placeholder(qn)
                referred[ph] = {
                    "guid": ph, "typeName": target["typeName"],
                    "attributes": {k: v for k, v in target["attributes"].items()
                                   if not _is_ref(v)},
                }
    for item in batch:
        e = item["entity"]
        entities.append({
            "guid": guid_of[item["qualifiedName"]], "typeName": e["typeName"],
            "attributes": {k: _to_wire(v, guid_of) for k, v in e["attributes"].items()},
            "relationshipAttributes": {k: _to_wire(v, guid_of) for k, v in
                                       (e.get("relationshipAttributes") or {}).items()},
        })
    request = {"entities": entities, "referredEntities": referred}
    return request, {g: qn for qn, g in guid_of.items()}


def store_audit(graph: LineageGraph, ctx: PushContext) -> AuditContext:
    """The audit's context as ``lineage audit`` builds it for this push
    (:func:`lineage.audit.context.push_context`)."""
    return push_context(graph, ctx.store, ctx.repo_path, ctx.config)


def _placeholder(item: dict[str, Any]) -> bool:
    """A node this store only knows by name (``lineagePlaceholder``)."""
    return bool(item["entity"]["attributes"].get("lineagePlaceholder"))


class AtlasSink:
    """Push target ``atlas`` (Apache Atlas REST v2 with the official ``apache-atlas`` client)."""

    name: ClassVar[str] = "atlas"
    # the ``-o KEY=VALUE`` keys this target reads
    option_keys: ClassVar[tuple[str, ...]] = (
        "batch_size", "full", "password", "remove_stale", "server", "timeout", "url",
        "username")

    def __init__(self, typedefs: dict[str, Any] | None = None) -> None:
        self.typedefs = typedefs if typedefs is not None else load_typedefs()
        self.types = TypeSystem.build(self.typedefs)
        # what this sink owns on an entity: it may add and remove these, nothing else
        self.own_classifications = {d["name"] for d in self.typedefs.get("classificationDefs",
                                                                         [])}
        self.own_bm = {d["name"]: [a["name"] for a in d.get("attributeDefs", [])]
                       for d in self.typedefs.get("businessMetadataDefs", [])}
        self.governed_types = {t for d in self.typedefs.get("businessMetadataDefs", [])
                               for a in d.get("attributeDefs", [])
                               for t in loads((a.get("options") or {}).get(
                                   "applicableEntityTypes") or "[]")}

    # -- pure ------------------------------------------------------------------------------
    def render(self, graph: LineageGraph, audit: AuditContext | None = None
               ) -> list[dict[str, Any]]:
        """Graph → Atlas entity payloads (see :mod:`connectors.sinks.atlas.render`), business
        attributes fitted to their maximum length. ``audit``: the audit's reading of the
        governance records (default: over the graph, with the built-in policy)."""
        items = render_graph(graph, audit=audit)
        for item in items:
            if item["businessAttributes"]:
                item["businessAttributes"] = self.types.fit_business_metadata(
                    item["businessAttributes"])
        return items

    def validate(self, items: list[dict[str, Any]]) -> None:
        """Raise ValidationFailed (naming the node) for the first payload Atlas would not take."""
        for item in items:
            self.types.validate_item(item["node"], item)

    # -- I/O ---------------------------------------------------------------------------------
    def push(self, graph: LineageGraph, ctx: PushContext) -> PushResult:
        items = self.render(graph, store_audit(graph, ctx))
        self.validate(items)
        settings = resolve_settings(ctx)
        ns = namespace(settings.url)
        store = ctx.store
        state = {} if settings.full else store.state_get_all(ns)
        result = PushResult(target="atlas")
        td_hash = digest(self.typedefs)
        # what happened to the typedefs: "unchanged" (this server acknowledged these before),
        # "created" / "updated", "failed" (Atlas answered with an error) or "not checked"
        # (due, but Atlas was never reached)
        details: dict[str, Any] = {"url": settings.url, "destination": settings.url,
                                   "typedefs": "unchanged" if state.get("typedefs") == td_hash
                                   else "not checked", "batches": 0,
                                   "entities": 0, "classifications": 0,
                                   "business_metadata": 0, "requests": 0}
        result.details = details
        by_qn = {i["qualifiedName"]: i for i in items}
        hashes = {qn: digest(i["entity"]) for qn, i in by_qn.items()}
        changed = [i for qn, i in by_qn.items()
                   if state.get("e|" + qn) != hashes[qn] or not state.get("g|" + qn)]
        # written / unchanged / failed count entities: one is written when anything of it
        # (the entity, its classifications, its business metadata) was sent
        pending = {i["qualifiedName"] for i in changed} | {
            i["qualifiedName"] for i in items if self._governance_due(i, state)}
        touched: set[str] = set()
        # sent to this Atlas by an earlier push (what the state recorded, also under --full,
        # which only ignores it for sending), gone from the graph now: left in Atlas, or
        # deleted with remove_stale once everything else was pushed
        sent = store.state_get_all(ns) if settings.full else state
        stale = sorted(k[2:] for k in sent if k.startswith("e|") and k[2:] not in by_qn
                       and k[2:].endswith(QN_SUFFIX))
        if stale:
            details["stale_entities"] = len(stale)
        removing = False
        http: AtlasHttp | None = None

        def client() -> AtlasHttp:
            nonlocal http
            if http is None:
                http = AtlasHttp(settings.url, settings.username, settings.password,
                                 timeout=settings.timeout,
                                 credential_hint=settings.credential_hint,
                                 url_source=settings.url_source)
            return http

        try:
            if state.get("typedefs") != td_hash:
                details["typedefs"] = self._register_typedefs(client())
                store.state_put_many(ns, [("typedefs", td_hash)])
            guids = {k[2:]: v for k, v in state.items() if k.startswith("g|")}
            known = set(guids)
            existing = self._named_only(items, guids, state, ns, store, client,
                                        fresh=details["typedefs"] == "created")
            changed = [i for i in changed if i["qualifiedName"] not in existing]
            pending.difference_update(q for q in existing
                                      if not self._governance_due(by_qn[q], state))
            created: set[str | None] = set()  # guids this push created: nothing of ours on them
            unknown = {k[2:] for k in state if k.startswith("u|")}
            # one found in Atlas that this store gives a tier or business attributes of (a job
            # recording a reassessment of a system it only names): what of ours it carries is
            # read first, so the new tier replaces the old one instead of joining it
            found = [q for q in existing if q not in known and (
                by_qn[q]["classifications"] or by_qn[q]["businessAttributes"])]
            if found:
                unknown.update(found)
                store.state_put_many(ns, [("u|" + q, "1") for q in found])
            done = 0
            total = len(changed)
            for start in range(0, total, settings.batch_size):
                batch = changed[start:start + settings.batch_size]
                request, placeholders = build_request(batch, by_qn, existing)
                resp = client().bulk(request)
                assigned = resp.get("guidAssignments") or {}
                created.update(h.get("guid") for h in
                               (resp.get("mutatedEntities") or {}).get("CREATE") or [])
                puts = []
                for ph, qn in placeholders.items():
                    if assigned.get(ph):
                        guids[qn] = assigned[ph]
                        puts.append(("g|" + qn, assigned[ph]))
                missing = [i["node"] for i in batch if i["qualifiedName"] not in guids]
                if missing:
                    raise SinkError(f"Atlas assigned no guid to {missing[0]} in its bulk answer",
                                    hint="the server answered in an unexpected shape; check "
                                         "its version (Atlas 2.x or later is supported)")
                puts += [("e|" + i["qualifiedName"], hashes[i["qualifiedName"]]) for i in batch]
                # an entity Atlas had before that this store has no record of: what of ours
                # it carries is read before its governance is set (kept until then: a push
                # stopped in between reads it next time). Not for a node this store only knows
                # by name (a CD job's fresh store recording a deployment of a version it never
                # harvested): it does not know that node's tier or approvals, so it removes
                # nothing it did not send itself
                for i in batch:
                    qn = i["qualifiedName"]
                    if "e|" + qn not in state and guids[qn] not in created and \
                            i["entity"]["typeName"] in self.governed_types and \
                            not _placeholder(i):
                        unknown.add(qn)
                        puts.append(("u|" + qn, "1"))
                with store.transaction():
                    store.state_put_many(ns, puts)
                touched.update(i["qualifiedName"] for i in batch)
                done += len(batch)
                details["entities"] = done
                details["batches"] += 1
                ctx.progress("atlas entities", done, total)
            self._governance(items, guids, state, ns, store, client, details, touched,
                             unknown, full=settings.full, known=frozenset(
                                 n.id for kind in KNOWN_RECORDS for n in graph.nodes(kind)
                                 if not graph.is_placeholder(n.id)))
            if stale and settings.remove_stale:
                removing = True
                self._remove_stale(stale, sent, ns, store, client, details, ctx)
        except (SinkError, KeyboardInterrupt) as exc:
            if details["typedefs"] == "not checked" and isinstance(exc, AtlasError):
                details["typedefs"] = "failed"
            if removing and isinstance(exc, SinkError):
                exc.hint = ((exc.hint + "; ") if exc.hint else "") + (
                    "every entity of the graph was pushed; the stale entities not yet "
                    "removed are removed by the next push with -o remove_stale=true")
            elif details["batches"] and isinstance(exc, SinkError):
                exc.hint = ((exc.hint + "; ") if exc.hint else "") + (
                    f"{details['batches']} batch(es) were acknowledged and are kept: re-run "
                    "to resume")
            details["requests"] = http.calls if http is not None else 0
            result.written = len(touched)
            result.failed = len(pending) - len(touched)
            result.unchanged = len(items) - len(pending)
            result.errors.append(str(exc) if isinstance(exc, SinkError) else "interrupted")
            # (the push CLI reads it with getattr: an attribute no exception class declares)
            exc.result = result  # type: ignore[union-attr]
            try:
                self._log_event(ctx, result, settings, ok=False,
                                interrupted=isinstance(exc, KeyboardInterrupt))
            except BaseException:  # a second interrupt: the event is not logged
                if isinstance(exc, SinkError):
                    raise
            raise
        details["requests"] = http.calls if http is not None else 0
        result.written = len(touched)
        # everything due was sent, or found in Atlas as the graph gives it (read back)
        result.unchanged = len(items) - len(touched)
        log.info("atlas push to %s: %s", settings.url, details)
        self._log_event(ctx, result, settings, ok=True)
        return result

    @staticmethod
    def _named_only(items: list[dict[str, Any]], guids: dict[str, str], state: dict[str, str],
                    ns: str, store: Any, client: Any, *, fresh: bool) -> dict[str, str]:
        """Entities this store only knows by name (``lineagePlaceholder``: the version of a
        deployment a CD job records without harvesting) that Atlas holds: ``{qualifiedName:
        guid}``. They are referred to by guid and never rewritten, so another store's full
        description (and its ``lineagePlaceholder``) stays. One look-up each, the first time
        (``fresh``: the typedefs were just created, Atlas holds none of ours)."""
        out: dict[str, str] = {}
        for item in items:
            qn = item["qualifiedName"]
            if not _placeholder(item):
                continue
            if qn in guids:
                out[qn] = guids[qn]
                continue
            if fresh:
                continue
            guid = client().find_guid(item["entity"]["typeName"], qn)
            if guid:
                out[qn] = guids[qn] = guid
                store.state_put_many(ns, [("g|" + qn, guid)])
        return out

    @staticmethod
    def _log_event(ctx: PushContext, result: PushResult, settings: AtlasSettings, *, ok: bool,
                   interrupted: bool = False) -> None:
        """One ``push`` event in the tamper-evident log (what was sent where, not how)."""
        from lineage.api import actor

        d = result.details
        payload = {"target": "atlas", "destination": settings.url, "written": result.written,
                   "unchanged": result.unchanged, "failed": result.failed,
                   "full": settings.full, "ok": ok, "typedefs": d.get("typedefs"),
                   "entities": d.get("entities"), "classifications": d.get("classifications"),
                   "business_metadata": d.get("business_metadata")}
        if d.get("removed_entities"):  # entities deleted in Atlas (remove_stale)
            payload["removed_entities"] = d["removed_entities"]
        if interrupted:
            payload["interrupted"] = True
        with ctx.store.transaction():
            result.details["event"] = ctx.store.append_event("push", actor(), payload).seq

    @staticmethod
    def _remove_stale(stale: list[str], sent: dict[str, str], ns: str, store: Any,
                      client: Any, details: dict[str, Any], ctx: PushContext) -> None:
        """Delete in Atlas the entities an earlier push sent (``stale``: qualifiedNames the
        state records as sent, the graph no longer renders), by the guid Atlas assigned each
        when it was sent: never by name, so an entity someone created under the same name
        after this one was deleted is never touched. Atlas's default delete is a soft delete
        (status ``DELETED``, relationships deleted with it; its audit and guid stay).

        The state of each entity is forgotten once its request is acknowledged, so a push
        that stops half way deletes the rest next time; one deleted twice (the answer was
        lost) is no error to Atlas. An entity rendered again later is sent as new, and Atlas
        creates a new entity (new guid) for it: a DELETED entity is never found by its
        qualifiedName. A stale entity without a recorded guid is left (still stale)."""
        removable = [(qn, sent["g|" + qn]) for qn in stale if sent.get("g|" + qn)]
        removed = 0
        for start in range(0, len(removable), DELETE_BATCH):
            chunk = removable[start:start + DELETE_BATCH]
            guids = [g for _, g in chunk]
            try:
                client().delete_entities(guids)
            except AtlasError as exc:
                if exc.error_code != GUID_NOT_FOUND:
                    raise
                # a server that answers 404 for a guid it no longer holds: one by one, and
                # one already gone is what was asked for (a 404 that is not Atlas saying so,
                # a proxy's page, is an error: nothing is forgotten)
                for guid in guids:
                    try:
                        client().delete_entity(guid)
                    except AtlasError as one:
                        if one.error_code != GUID_NOT_FOUND:
                            raise
            with store.transaction():
                store.state_delete(ns, [f"{p}|{qn}" for qn, _ in chunk for p in ENTITY_STATE])
            removed += len(chunk)
            details["removed_entities"] = removed
            if len(stale) > removed:
                details["stale_entities"] = len(stale) - removed
            else:
                details.pop("stale_entities", None)
            ctx.progress("atlas stale entities removed", removed, len(removable))
        if len(removable) < len(stale):
            log.warning("%d stale entities have no guid recorded and were left in Atlas",
                        len(stale) - len(removable))

    def _register_typedefs(self, http: AtlasHttp) -> str:
        try:
            http.create_typedefs(self.typedefs)
            return "created"
        except AtlasError as exc:
            if exc.status != 409:
                raise
        existing = {h.get("name") for h in http.typedef_headers()}
        missing = {c: [d for d in self.typedefs.get(c, []) if d["name"] not in existing]
                   for c in TYPEDEF_CATEGORIES}
        present = {c: [d for d in self.typedefs.get(c, []) if d["name"] in existing]
                   for c in TYPEDEF_CATEGORIES}
        if any(missing.values()):
            http.create_typedefs(missing)
        if any(present.values()):
            http.update_typedefs(present)
        return "updated"

    @staticmethod
    def _governance_state(item: dict[str, Any]) -> tuple[str, str]:
        """What the classifications and the business metadata of an item are now."""
        cls_now = dumps_str(sorted(item["classifications"], key=lambda c: c["typeName"]))
        return cls_now, digest(item["businessAttributes"])

    def _governance_due(self, item: dict[str, Any], state: dict[str, str]) -> bool:
        qn = item["qualifiedName"]
        cls_now, bm_now = self._governance_state(item)
        return state.get("c|" + qn, "[]") != cls_now or \
            state.get("b|" + qn, NO_BM) != bm_now or "u|" + qn in state

    def _bm_names(self, type_name: str) -> dict[str, list[str]]:
        """Every attribute of our business metadata that applies to an entity type."""
        out: dict[str, list[str]] = {}
        for d in self.typedefs.get("businessMetadataDefs", []):
            for a in d.get("attributeDefs", []):
                applicable = loads((a.get("options") or {}).get("applicableEntityTypes")
                                   or "[]")
                if not applicable or any(self.types.is_subtype(type_name, t)
                                         for t in applicable):
                    out.setdefault(d["name"], []).append(a["name"])
        return out

    def _on_server(self, http: AtlasHttp, guid: str, item: dict[str, Any]
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """What of ours an entity carries in Atlas (this store has no record of it): its own
        classifications of our types (as we would send them) and our business metadata."""
        e = http.get_entity(guid, minimal=True).get("entity") or {}
        cur = {c["typeName"]: c for c in item["classifications"]}
        prev: dict[str, dict[str, Any]] = {}
        for c in e.get("classifications") or []:
            name = c.get("typeName")
            if name not in self.own_classifications or c.get("entityGuid") not in (None, guid):
                continue  # another tool's, or propagated from elsewhere
            shown = {**c, "attributes": {k: v for k, v in (c.get("attributes") or {}).items()
                                         if v is not None}}
            prev[name] = {k: shown.get(k) for k in (cur.get(name) or shown)}
        held = {n: a for n, a in (e.get("businessAttributes") or {}).items()
                if n in self.own_bm and a}
        return prev, held

    @staticmethod
    def _known_elsewhere(name: str, held: dict[str, Any], ours: dict[str, Any] | None,
                         known: frozenset[str]) -> bool:
        """Whether business metadata ``name`` in Atlas (``held``) comes from records this
        store has never seen, that another store (the one that recorded them) pushed: an
        approval status naming approvals it does not know, an assessment or a retraining it
        does not know, dated no earlier than the one it has (a later one it knows is the one
        in force, as the audit takes the latest)."""
        id_attr, date_attr = KNOWN_ELSEWHERE[name]
        ids = held.get(id_attr)
        ids = ids if isinstance(ids, list) else [ids] if ids else []
        if all(str(i) in known for i in ids):
            return False
        if date_attr is None:
            return True
        theirs, mine = held.get(date_attr), (ours or {}).get(date_attr)
        return mine is None or (isinstance(theirs, int | float) and theirs >= mine)

    def _governance(self, items: list[dict[str, Any]], guids: dict[str, str],
                    state: dict[str, str], ns: str, store: Any, client: Any,
                    details: dict[str, Any], touched: set[str], unknown: set[str], *,
                    full: bool = False, known: frozenset[str] = frozenset()) -> None:
        """Classifications and business metadata, through their own endpoints.

        What Atlas holds of ours is what this store recorded sending (``c|``, ``b|``, ``a|``);
        for an entity in ``unknown`` (Atlas had it, this store has no record: ``full``, a
        fresh store, a lost state) it is read from Atlas. Tier classifications and business
        attributes the graph no longer gives are removed; other tools' classifications and
        business metadata are never touched. What Atlas shows from records this store never
        saw (``known``: the governance records it holds) is left as it is
        (:meth:`_known_elsewhere`), unless ``full``: this store's reading replaces it."""
        for item in items:
            qn = item["qualifiedName"]
            cls_now, bm_now = self._governance_state(item)
            cls_key, bm_key, names_key = "c|" + qn, "b|" + qn, "a|" + qn
            bm = item["businessAttributes"]
            guid = guids[qn]
            names_now = {n: sorted(a) for n, a in bm.items() if a}
            deferred = False
            if qn in unknown:
                prev, held = self._on_server(client(), guid, item)
                # what Atlas shows from records this store never saw (recorded in another
                # store only): this one knows part of them, so it leaves that as it is, the
                # tier with its assessment (and looks again on its next push)
                elsewhere = [] if full else [
                    n for n in KNOWN_ELSEWHERE if n in held and
                    self._known_elsewhere(n, held[n], bm.get(n), known)]
                if elsewhere:
                    details.setdefault("kept_records", []).extend(
                        f"{n} on {qn}" for n in elsewhere)  # `lineage push` says it
                    bm = {n: a for n, a in bm.items() if n not in elsewhere}
                    held = {n: a for n, a in held.items() if n not in elsewhere}
                    deferred = True
                prev_names = {n: sorted(a) for n, a in held.items()}
                bm_due = held != bm
                cls_due = prev != {c["typeName"]: c for c in item["classifications"]} and \
                    "lineage_risk_assessment" not in elsewhere
                recorded = False
            else:
                prev = {c["typeName"]: c for c in loads(state.get(cls_key, "[]"))}
                cls_due = state.get(cls_key, "[]") != cls_now
                bm_due = state.get(bm_key, NO_BM) != bm_now
                # a state written before attribute names were kept: any of ours may be there
                prev_names = loads(state[names_key]) if names_key in state else (
                    self._bm_names(item["entity"]["typeName"]) if bm_key in state else {})
                recorded = True
            if cls_due:
                cur = {c["typeName"]: c for c in item["classifications"]}
                http = client()
                for name in sorted(set(prev) - set(cur)):
                    try:
                        http.delete_classification(guid, name)
                    except AtlasError as exc:
                        if exc.status not in (400, 404):
                            raise
                add = [c for n, c in sorted(cur.items()) if n not in prev]
                upd = [c for n, c in sorted(cur.items()) if n in prev and prev[n] != c]
                if add:
                    try:
                        http.add_classifications(guid, add)
                    except AtlasError as exc:  # already there (state lost): update instead
                        if exc.error_code != "ATLAS-400-00-01B":
                            raise
                        http.update_classifications(guid, add)
                if upd:
                    http.update_classifications(guid, upd)
                details["classifications"] += 1
                touched.add(qn)
            if cls_due or not recorded:
                store.state_put_many(ns, [(cls_key, cls_now)])
            if bm_due:
                gone = {n: [a for a in attrs if a not in bm.get(n, {})]
                        for n, attrs in sorted(prev_names.items())}
                gone = {n: attrs for n, attrs in gone.items() if attrs}
                if _placeholder(item):
                    # a version this store only names gets no approval status from it (the
                    # store that harvested it gives it): one it sent before stays
                    gone.pop("lineage_approval_status", None)
                if bm:
                    client().add_business_metadata(guid, bm)
                if gone:
                    client().remove_business_metadata(guid, gone)
                if bm or gone:
                    details["business_metadata"] += 1
                    touched.add(qn)
            if (bm_due or not recorded) and not deferred:
                store.state_put_many(ns, [(bm_key, bm_now), (names_key, dumps_str(names_now))])
            if not recorded and not deferred:
                store.state_delete(ns, ["u|" + qn])


__all__ = ["AtlasSettings", "AtlasSink", "build_request", "namespace", "resolve_settings"]
