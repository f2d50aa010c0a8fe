"""A local stand-in for DataHub GMS (the metadata service) on 127.0.0.1.

It speaks the subset of the real protocol that acryl-datahub's ``DataHubRestEmitter`` and
``DataHubGraph`` use, with the same request and response shapes:

- ``GET /config`` — the server configuration the emitter's ``test_connection`` reads
  (``noCode: "true"``, a ``versions`` block with ``acryldata/datahub``). Not authenticated, as
  in GMS (``/config`` and ``/health`` are excluded from its authentication filter).
- ``POST /aspects?action=ingestProposal`` — body ``{"proposal": {...}, "async": "false"}``;
  ``POST /aspects?action=ingestProposalBatch`` — body ``{"proposals": [...], "async": …}``.
  Each proposal carries ``entityType``, ``entityUrn``, ``changeType``, ``aspectName`` and
  ``aspect: {"value": "<json string>", "contentType": "application/json"}``. Answers
  ``{"value": <urn>}`` / ``{"value": [<urn>, …]}`` like the Rest.li actions.
- ``GET /aspects/{urn}?aspect=NAME&version=0`` — ``{"aspect": {"<pegasus fqn>": {...}}}`` or 404.
- ``GET /entitiesV2/{urn}`` — ``{"urn": …, "aspects": {NAME: {"name", "type", "version",
  "value"}}}``.
- ``POST /api/graphql`` — only ``scrollAcrossEntities`` (what ``get_urns_by_filter`` sends),
  filtered by ``types`` and paged by ``count``/``scrollId``.

Errors use the Rest.li error body (``exceptionClass``, ``message``, ``status``). With a token
set, every non-``/config`` request needs ``Authorization: Bearer <token>`` (401 otherwise).
``fail_next(k, status, after=m)`` makes the next *k* ingest requests (after *m* more accepted
ones) answer a transient error (503 by default); ``refuse_reads(urns, status)`` makes every
``GET /aspects/{urn}`` of those urns answer ``status`` (403 by default: a token allowed to
write metadata but not to read it, as GMS answers "User is unauthorized to get aspect for
<urn>"). With ``validate=True`` (default) each proposal is checked as GMS does before it is
accepted: the urn is at most 512 bytes URL-encoded (``UrnValidationUtil``), the entity type
matches the urn, the entity supports the aspect (422 "Unknown
aspect" otherwise) and the value deserializes into the aspect class; structured property
values are checked against the definitions the server held *before* the request, as GMS's
``StructuredPropertiesValidator`` reads them when a proposal arrives (a definition in the same
batch is not stored yet: "Unexpected null value found for … Structured Property Definition"),
with its cardinality, allowed-value and date rules. An update of a structured property
definition (``propertyDefinition``) is checked against the one held as GMS's
``PropertyDefinitionValidator`` checks it (:func:`check_definition_update`): allowed values may
be added, never removed; the value type and qualified name never change; the cardinality never
goes from MULTIPLE to SINGLE; a soft-deleted definition is not changed; and a definition is
never hard-deleted. A batch is accepted or rejected as a whole.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RESTLI_EXCEPTION = "com.linkedin.restli.server.RestLiServiceException"

SERVER_CONFIG: dict[str, Any] = {
    "models": {},
    "patchCapable": True,
    "versions": {
        "acryldata/datahub": {"version": "v1.3.0", "commit": "0000000000000000000000000000"}
    },
    "managedIngestion": {"defaultCliVersion": "1.3.0", "enabled": True},
    "statefulIngestionCapable": True,
    "supportsImpactAnalysis": True,
    "timeZone": "GMT",
    "telemetry": {"enabledCli": False, "enabledIngestion": False},
    "datasetUrnNameCasing": False,
    "retention": "true",
    "datahub": {"serverType": "quickstart", "serverEnv": "core"},
    "noCode": "true",
}


@dataclass
class Request:
    method: str
    path: str
    status: int
    authorized: bool
    body: Any = None


@dataclass
class GmsState:
    token: str | None = None
    validate: bool = True
    # urn -> aspectName -> aspect value as Rest.li JSON (what the proposal carried)
    aspects: dict[str, dict[str, Any]] = field(default_factory=dict)
    entity_types: dict[str, str] = field(default_factory=dict)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    fail_left: int = 0
    fail_status: int = 503
    fail_after: int = 0  # ingest requests still accepted before the failures start
    # urn -> status answered to every GET /aspects/{urn} of it
    refused_reads: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(status: int, message: str) -> dict[str, Any]:
    return {"exceptionClass": RESTLI_EXCEPTION, "message": message, "status": status}


def java_url_encoded_bytes(text: str) -> int:
    """Bytes of ``URLEncoder.encode(text, UTF_8)``: ASCII letters, digits and ``.-*_`` as
    they are, a space as ``+``, every other UTF-8 byte as ``%XX``."""
    keep = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_ ")
    return sum(1 if ch in keep else 3 * len(ch.encode("utf-8", "surrogatepass"))
               for ch in text)


def check_proposal(p: dict[str, Any]) -> str | None:
    """What GMS would reject in this proposal (its 422 message), or None."""
    from datahub.emitter.aspect import ASPECT_MAP
    from datahub.emitter.serialization_helper import post_json_transform
    from datahub.metadata.schema_classes import KEY_ASPECTS
    from datahub.utilities.urns.urn import Urn

    urn, entity_type, name = p.get("entityUrn"), p.get("entityType"), p.get("aspectName")
    if not urn or not entity_type or not name:
        return "proposal needs entityUrn, entityType and aspectName"
    if java_url_encoded_bytes(urn) > 512:  # GMS's UrnValidationUtil
        return "Error: cannot provide an URN longer than 512 bytes (when URL encoded)"
    try:
        parsed = Urn.from_string(urn)
    except Exception as exc:  # the real server answers 422 for malformed urns too
        return f"Failed to convert urn to Urn object: {urn} ({exc})"
    if parsed.entity_type != entity_type:
        return f"entityType {entity_type} does not match the urn {urn}"
    key = KEY_ASPECTS.get(entity_type)
    if key is None:
        return f"Unknown entity type {entity_type}"
    if name not in key.ASPECT_INFO["entityAspects"] and name != key.ASPECT_NAME:
        return f"Unknown aspect {name} for entity {entity_type}"
    if p.get("changeType", "UPSERT") != "UPSERT":
        return None
    aspect = p.get("aspect") or {}
    if aspect.get("contentType") != "application/json":
        return f"unsupported contentType {aspect.get('contentType')!r}"
    try:
        value = json.loads(aspect["value"])
        obj = ASPECT_MAP[name].from_obj(post_json_transform(value))
    except Exception as exc:
        return f"Failed to validate aspect {name} of {urn}: {exc}"
    if not obj.validate():
        return f"Failed to validate aspect {name} of {urn}: does not match its schema"
    return None


def check_structured_values(p: dict[str, Any], held: dict[str, dict[str, Any]]) -> str | None:
    """GMS's request-time check of a ``structuredProperties`` upsert (its 422 message), against
    the ``propertyDefinition`` aspects ``held`` (urn -> aspects) before the request."""
    import re

    if p.get("aspectName") != "structuredProperties" or p.get("changeType", "UPSERT") != "UPSERT":
        return None
    value = json.loads((p.get("aspect") or {}).get("value") or "{}")
    for assign in value.get("properties") or []:
        purn = assign.get("propertyUrn")
        d = held.get(purn, {}).get("propertyDefinition")
        if d is None:
            return f"Unexpected null value found for {purn} Structured Property Definition."
        vals = assign.get("values") or []
        if d.get("cardinality", "SINGLE") == "SINGLE" and len(vals) > 1:
            return f"Property: {purn} has cardinality 1, but multiple values were assigned: {vals}"
        allowed = [a.get("value") for a in d.get("allowedValues") or []]
        for v in vals:
            if allowed and v not in allowed:
                return f"Property: {purn}, value: {v} should be one of {allowed}"
            if str(d.get("valueType", "")).endswith(".date") and not re.fullmatch(
                    r"\d{4}-\d{2}-\d{2}", str(v.get("string"))):
                return f"Property: {purn}, value: {v} should be a date with format YYYY-MM-DD"
    return None


def _primitive(v: Any) -> Any:
    """A ``PrimitivePropertyValue`` (``{"string": …}`` or ``{"double": …}``) as Java's
    ``equals`` compares it: by member and value (a double as a number)."""
    if isinstance(v, dict) and "double" in v:
        return ("double", float(v["double"]))
    if isinstance(v, dict) and "string" in v:
        return ("string", v["string"])
    return ("other", json.dumps(v, sort_keys=True))


def check_definition_update(p: dict[str, Any], held: dict[str, dict[str, Any]]) -> str | None:
    """GMS's check of a structured property definition change (its 422 message), against
    what it held before the request, as ``PropertyDefinitionValidator`` (entity-registry,
    ``com.linkedin.metadata.aspect.validation``) makes it: no hard delete of the definition
    or its key; no change to a soft-deleted definition; an upsert over a held definition keeps
    its value type and qualified name, does not go from MULTIPLE to SINGLE, and when it names
    allowed values names every value allowed before (adding values is accepted; dropping the
    list of allowed values, which restricts nothing, too)."""
    if p.get("entityType") != "structuredProperty":
        return None
    change = p.get("changeType", "UPSERT")
    if change == "DELETE" and p.get("aspectName") in ("propertyDefinition",
                                                      "structuredPropertyKey"):
        return "Hard delete of Structured Property Definitions is not supported."
    if change != "UPSERT" or p.get("aspectName") != "propertyDefinition":
        return None
    aspects = held.get(p.get("entityUrn") or "", {})
    if (aspects.get("status") or {}).get("removed"):
        return "Cannot mutate a soft deleted Structured Property Definition"
    before = aspects.get("propertyDefinition")
    if before is None:
        return None
    new = json.loads((p.get("aspect") or {}).get("value") or "{}")
    problems = []
    if new.get("valueType") != before.get("valueType"):
        problems.append("Value type cannot be changed as this is a backwards incompatible change")
    if new.get("cardinality", "SINGLE") == "SINGLE" \
            and before.get("cardinality", "SINGLE") == "MULTIPLE":
        problems.append("Property definition cardinality cannot be changed from MULTI to SINGLE")
    if new.get("qualifiedName") != before.get("qualifiedName"):
        problems.append("Cannot change the fully qualified name of a Structured Property")
    if new.get("allowedValues") is not None:
        kept = {_primitive(a.get("value")) for a in new["allowedValues"]}
        if before.get("allowedValues") is None or any(
                _primitive(a.get("value")) not in kept for a in before["allowedValues"]):
            problems.append("Cannot restrict values that were previously allowed")
    if problems:
        return f"Validation error for {p.get('entityUrn')}: " + "; ".join(problems)
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        token = self.server.state.token
        return token is None or self.headers.get("Authorization") == f"Bearer {token}"

    def _record(self, status: int, authorized: bool, body: Any = None) -> None:
        with self.server.state.lock:
            self.server.state.requests.append(
                Request(self.command, self.path, status, authorized, body))

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else None

    def _unauthorized(self) -> None:
        self._record(401, False)
        self._send(401, _error(401, "Unauthorized to perform this action."))

    # -- routes ---------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/config":
            self._record(200, True)
            return self._send(200, SERVER_CONFIG)
        if url.path == "/health":
            self._record(200, True)
            return self._send(200, {})
        if not self._authorized():
            return self._unauthorized()
        st = self.server.state
        if url.path.startswith("/aspects/"):
            urn = urllib.parse.unquote(url.path[len("/aspects/"):])
            q = urllib.parse.parse_qs(url.query)
            name = (q.get("aspect") or [""])[0]
            with st.lock:
                value = st.aspects.get(urn, {}).get(name)
                refused = st.refused_reads.get(urn)
            if refused:
                self._record(refused, True)
                return self._send(refused, _error(
                    refused, f"User is unauthorized to get aspect for {urn}"
                    if refused in (401, 403) else "Service Unavailable"))
            if value is None:
                self._record(404, True)
                return self._send(404, _error(404, f"No aspect {name} for {urn}"))
            from datahub.emitter.aspect import ASPECT_MAP

            fqn = ASPECT_MAP[name].RECORD_SCHEMA.fullname.replace(".pegasus2avro", "")
            self._record(200, True)
            return self._send(200, {"aspect": {fqn: value}, "version": 0})
        if url.path.startswith("/entitiesV2/"):
            urn = urllib.parse.unquote(url.path[len("/entitiesV2/"):])
            with st.lock:
                aspects = dict(st.aspects.get(urn, {}))
            self._record(200, True)
            return self._send(200, {"urn": urn, "aspects": {
                n: {"name": n, "type": "VERSIONED", "version": 0, "value": v}
                for n, v in sorted(aspects.items())
            }})
        self._record(404, True)
        self._send(404, _error(404, f"no route for GET {url.path}"))

    def do_POST(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        st = self.server.state
        if not self._authorized():
            self._body()
            return self._unauthorized()
        body = self._body()
        if url.path == "/aspects":
            with st.lock:
                if st.fail_left > 0 and st.fail_after > 0:
                    st.fail_after -= 1
                    status = 0
                elif st.fail_left > 0:
                    st.fail_left -= 1
                    status = st.fail_status
                else:
                    status = 0
            if status:
                self._record(status, True, body)
                return self._send(status, _error(status, "Service Unavailable"))
            action = urllib.parse.parse_qs(url.query).get("action", [""])[0]
            if action == "ingestProposal":
                proposals = [body.get("proposal")] if isinstance(body, dict) else []
            elif action == "ingestProposalBatch":
                proposals = body.get("proposals") if isinstance(body, dict) else None
            else:
                self._record(400, True, body)
                return self._send(400, _error(400, f"unknown action {action!r}"))
            if not proposals or not all(isinstance(p, dict) for p in proposals):
                self._record(400, True, body)
                return self._send(400, _error(400, "Parameter 'proposal(s)' is required"))
            if st.validate:
                for p in proposals:
                    with st.lock:
                        problem = check_proposal(p) or check_structured_values(
                            p, st.aspects) or check_definition_update(p, st.aspects)
                    if problem:
                        self._record(422, True, body)
                        return self._send(422, _error(422, problem))
            with st.lock:
                for p in proposals:
                    st.proposals.append(p)
                    urn = p["entityUrn"]
                    st.entity_types[urn] = p["entityType"]
                    if p.get("changeType", "UPSERT") == "UPSERT" and p.get("aspect"):
                        st.aspects.setdefault(urn, {})[p["aspectName"]] = json.loads(
                            p["aspect"]["value"])
                st.batches.append(proposals)
            self._record(200, True, body)
            urns = [p["entityUrn"] for p in proposals]
            return self._send(200, {"value": urns if action.endswith("Batch") else urns[0]})
        if url.path == "/api/graphql":
            return self._graphql(body or {})
        self._record(404, True, body)
        self._send(404, _error(404, f"no route for POST {url.path}"))

    def _graphql(self, body: dict[str, Any]) -> None:
        from datahub.ingestion.graph.client import entity_type_to_graphql

        query = body.get("query", "")
        if "scrollAcrossEntities" not in query:
            self._record(200, True, body)
            return self._send(200, {"errors": [{"message": "only scrollAcrossEntities here"}]})
        v = body.get("variables") or {}
        types = v.get("types")
        st = self.server.state
        with st.lock:
            urns = sorted(u for u, t in st.entity_types.items()
                          if types is None or entity_type_to_graphql(t) in types)
        start = int(v.get("scrollId") or 0)
        count = int(v.get("batchSize") or v.get("count") or 10)
        page = urns[start:start + count]
        nxt = str(start + count) if start + count < len(urns) else None
        self._record(200, True, body)
        self._send(200, {"data": {"scrollAcrossEntities": {
            "nextScrollId": nxt,
            "searchResults": [{"entity": {"urn": u}, "extraProperties": []} for u in page],
        }}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: GmsState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class StandInGms:
    """Handle on a running stand-in: its URL, what it accepted, and switches for failures."""

    def __init__(self, token: str | None = None, validate: bool = True) -> None:
        self.state = GmsState(token=token, validate=validate)
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandInGms:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, k: int, status: int = 503, *, after: int = 0) -> None:
        """Answer ``status`` to the next ``k`` ingest requests, once ``after`` more were
        accepted (a server going down half way through a push)."""
        with self.state.lock:
            self.state.fail_left, self.state.fail_status = k, status
            self.state.fail_after = after

    def refuse_reads(self, urns: Iterable[str], status: int = 403) -> None:
        """Answer ``status`` to every ``GET /aspects/{urn}`` of ``urns`` from now on."""
        with self.state.lock:
            self.state.refused_reads.update(dict.fromkeys(urns, status))

    @property
    def proposals(self) -> list[dict[str, Any]]:
        return list(self.state.proposals)

    @property
    def requests(self) -> list[Request]:
        return list(self.state.requests)

    def aspect(self, urn: str, name: str) -> Any:
        return self.state.aspects.get(urn, {}).get(name)

    def keys(self) -> set[tuple[str, str]]:
        """(urn, aspectName) of every aspect held."""
        return {(u, n) for u, a in self.state.aspects.items() for n in a}


@contextmanager
def running_gms(token: str | None = None, validate: bool = True) -> Iterator[StandInGms]:
    gms = StandInGms(token=token, validate=validate).start()
    try:
        yield gms
    finally:
        gms.stop()


__all__ = ["SERVER_CONFIG", "StandInGms", "check_definition_update", "check_proposal",
           "check_structured_values", "running_gms"]
