"""A local stand-in for the Apache Atlas REST v2 server (127.0.0.1, random port).

No Atlas server can run on the test machines (source-only releases built with Maven, no
Docker engine), so the tests talk to this one. It keeps to the behaviour of the real server
that the sink depends on (from the Atlas server source; see docs/atlas.md):

- basic auth on every request, 401 otherwise;
- typedefs: POST creates (409 ``ATLAS-409-00-001`` when a type exists, nothing created),
  PUT updates (404 ``ATLAS-404-00-001`` for an unknown type; 400 ``ATLAS-400-00-00D`` when
  it leaves out an attribute the type has, ``ATLAS-400-00-00C`` when it adds a mandatory
  one), unknown supertypes / attribute
  types / relationship end types are 404 ``ATLAS-404-00-001``; string attributes of business
  metadata need ``options.maxStrLength``; ASSOCIATION ends may not be containers;
- ``POST /entity/bulk``: negative guids are placeholders resolved by (typeName,
  qualifiedName) first; every placeholder comes back in ``guidAssignments``; a reference to a
  placeholder not in the request, to a guid or to unique attributes that do not exist is 404
  ``ATLAS-404-00-00A``; a missing mandatory attribute or a bad enum value on create is 404
  ``ATLAS-404-00-007``; unknown attributes are dropped silently; an entity equal to the
  stored one is not reported; classifications and business attributes are applied on create
  and IGNORED on update;
- classifications through ``/entity/guid/{g}/classifications`` (400 ``ATLAS-400-00-01B``
  when already associated), propagated along ``propagateTags`` of relationships and through
  Process inputs/outputs when read back;
- business metadata through ``/entity/guid/{g}/businessmetadata``: POST merges attribute by
  attribute (``isOverwrite=false``) or replaces every business attribute of the entity
  (``isOverwrite=true``), applicable types, maxStrLength and enums checked; DELETE removes the
  attributes named (all of a business metadata given as ``{}``), an empty body is 400
  ``ATLAS-400-00-01A``;
- ``GET /lineage/{guid}?direction=&depth=`` computed from Process inputs/outputs
  (``guidEntityMap`` + ``relations``);
- deletes as the default ``SoftDeleteHandlerV1`` does them: ``DELETE /entity/guid/{g}``,
  ``DELETE /entity/bulk?guid=…&guid=…`` and ``DELETE /entity/uniqueAttribute/type/{t}?attr:
  qualifiedName=…`` set the entity's ``status`` to ``DELETED`` (its relationships are shown
  with ``relationshipStatus: DELETED``) and answer 200 with the deleted entities under
  ``mutatedEntities.DELETE``; a guid or unique attribute that finds no ACTIVE entity is no
  error (200, nothing listed); a user without the ENTITY_DELETE privilege
  (``may_not_delete``) gets 403 ``ATLAS-403-00-001``. The unique attribute is released on delete: ``GET
  /entity/uniqueAttribute/…`` of a deleted entity is 404 ``ATLAS-404-00-009``, and a later
  bulk upsert of the same qualifiedName CREATES a new entity with a new guid, the DELETED one
  staying as it is (Atlas has no way back from DELETED); ``GET /entity/guid/{g}`` still reads
  the deleted entity (``status: DELETED``), and a reference by its guid still resolves to it.
  A deleted entity's classifications set with ``removePropagationsOnEntityDelete`` no longer
  propagate, and nothing propagates through it (its relationships are deleted);
- errors as ``{"errorCode", "errorMessage"}``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "atlas"
PREFIX = "/api/atlas/v2/"
CATEGORY = {"enumDefs": "ENUM", "structDefs": "STRUCT", "classificationDefs": "CLASSIFICATION",
            "entityDefs": "ENTITY", "relationshipDefs": "RELATIONSHIP",
            "businessMetadataDefs": "BUSINESS_METADATA"}
PRIMITIVES = {"boolean", "byte", "short", "int", "long", "float", "double", "biginteger",
              "bigdecimal", "string", "date"}


class AtlasFail(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _header_attrs(e: dict[str, Any]) -> dict[str, Any]:
    a = e["attributes"]
    return {k: a[k] for k in ("owner", "qualifiedName", "name", "description") if k in a}


class AtlasStandin:
    def __init__(self, users: dict[str, str] | None = None, mount: str = "") -> None:
        self.users = users or {"admin": "admin"}
        self.mount = mount.rstrip("/")  # e.g. "/gateway/atlas": Atlas behind a proxy path
        self.types: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, Any]] = {}
        self.unique: dict[tuple[str, str], str] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self.fail_bulk_after: int | None = None  # answer 500 to bulk posts after this many
        self.fail_delete_after: int | None = None  # answer 500 to deletes after this many
        # answer 404 ATLAS-404-00-005 to a delete by guid of an entity it does not hold (as a
        # proxy or another server might): Atlas 2.x answers 200 and lists nothing
        self.delete_unknown_404 = False
        self._multi: dict[str, list[str]] = {}  # every value of each query parameter
        # users without Atlas's ENTITY_DELETE privilege: 403 ATLAS-403-00-001 on deletes
        self.may_not_delete: set[str] = set()
        self._user = ""
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._load_builtin()

    # -- lifecycle --------------------------------------------------------------------------
    def _load_builtin(self) -> None:
        files = sorted((FIXTURES / "models").glob("*.json"))
        for f in files:
            doc = json.loads(f.read_text())
            for cat, kind in CATEGORY.items():
                for d in doc.get(cat, []):
                    self.types[d["name"]] = {**d, "category": kind, "guid": str(uuid.uuid4())}
        for f in files:
            for p in json.loads(f.read_text()).get("patches", []):
                if p["action"] == "ADD_ATTRIBUTE" and p["typeName"] in self.types:
                    t = self.types[p["typeName"]]
                    have = {a["name"] for a in t.get("attributeDefs", [])}
                    t["attributeDefs"] = t.get("attributeDefs", []) + [
                        a for a in p["attributeDefs"] if a["name"] not in have]
        # the rest of the 228 built-in types exist too (names only): creating one is a 409
        for name in (FIXTURES / "builtin_type_names.txt").read_text().split():
            self.types.setdefault(name, {"name": name, "category": "ENTITY", "guid": "builtin",
                                         "superTypes": [], "attributeDefs": []})

    def start(self) -> AtlasStandin:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _go(self) -> None:
                standin._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _go

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.mount}"

    # -- HTTP -------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        method = h.command
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        auth = h.headers.get("Authorization", "")
        ok = False
        user = ""
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                ok = self.users.get(user) == pw
            except ValueError:
                ok = False
        if not ok:
            body = b"<html><body><h2>Error 401 Unauthorized</h2></body></html>"
            h.send_response(401)
            h.send_header("WWW-Authenticate", 'Basic realm="atlas.com"')
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        path = parts.path
        if self.mount and path.startswith(self.mount + "/"):
            path = path[len(self.mount):]
        elif self.mount:
            path = "/"
        if not path.startswith(PREFIX):
            return self._send(h, 404, {"errorCode": "ATLAS-404-00-001",
                                       "errorMessage": f"Given typename {path} was invalid"})
        route = unquote(path[len(PREFIX):].rstrip("/"))
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw) if raw else None
        with self.lock:
            self._multi = parse_qs(parts.query)
            self._user = user
            self.requests.append((method, route))
            self.bodies.append((method, route, body))
            try:
                status, payload = self._dispatch(method, route, query, body)
            except AtlasFail as f:
                status, payload = f.status, {"errorCode": f.code, "errorMessage": f.message}
            except Exception as exc:  # a bug in the stand-in: answer like the server would
                status, payload = 500, {"errorCode": "ATLAS-500-00-001",
                                        "errorMessage": f"Internal server error {exc!r}"}
        self._send(h, status, payload)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _dispatch(self, method: str, route: str, q: dict[str, str], body: Any
                  ) -> tuple[int, Any]:
        table = [
            ("POST", r"types/typedefs", self.create_typedefs),
            ("PUT", r"types/typedefs", self.update_typedefs),
            ("GET", r"types/typedefs/headers", self.typedef_headers),
            ("GET", r"types/typedef/name/(?P<name>[^/]+)", self.typedef_by_name),
            ("GET", r"types/(?:entity|classification|businessmetadata|enum|relationship)def"
                    r"/name/(?P<name>[^/]+)", self.typedef_by_name),
            ("POST", r"entity/bulk", self.bulk),
            ("GET", r"entity/guid/(?P<guid>[^/]+)", self.get_entity),
            ("GET", r"entity/uniqueAttribute/type/(?P<type>[^/]+)", self.get_by_unique),
            ("DELETE", r"entity/guid/(?P<guid>[^/]+)", self.delete_by_guid),
            ("DELETE", r"entity/bulk", self.delete_by_guids),
            ("DELETE", r"entity/uniqueAttribute/type/(?P<type>[^/]+)", self.delete_by_unique),
            ("GET", r"entity/guid/(?P<guid>[^/]+)/classifications", self.get_classifications),
            ("POST", r"entity/guid/(?P<guid>[^/]+)/classifications", self.add_classifications),
            ("PUT", r"entity/guid/(?P<guid>[^/]+)/classifications", self.update_classifications),
            ("DELETE", r"entity/guid/(?P<guid>[^/]+)/classification/(?P<name>[^/]+)",
             self.delete_classification),
            ("POST", r"entity/guid/(?P<guid>[^/]+)/businessmetadata", self.add_bm),
            ("DELETE", r"entity/guid/(?P<guid>[^/]+)/businessmetadata", self.remove_bm),
            ("GET", r"lineage/(?P<guid>[^/]+)", self.lineage),
        ]
        for m, pattern, fn in table:
            match = re.fullmatch(pattern, route)
            if m == method and match:
                return fn(q=q, body=body, **match.groupdict())  # type: ignore[operator]
        raise AtlasFail(404, "ATLAS-404-00-001", f"no such endpoint {method} {route}")

    def purge(self, guid: str) -> None:
        """Remove an entity as an administrator's purge would (tests: a server that lost it)."""
        e = self.entities.pop(guid)
        key = (e["typeName"], e["attributes"].get("qualifiedName"))
        if self.unique.get(key) == guid:  # (a DELETED one no longer holds its unique name)
            del self.unique[key]

    # -- type system ------------------------------------------------------------------------
    def _supertypes(self, name: str) -> list[str]:
        out: list[str] = []
        todo = [name]
        while todo:
            t = todo.pop(0)
            if t not in out:
                out.append(t)
                todo.extend(self.types.get(t, {}).get("superTypes", []))
        return out

    def _attr_defs(self, name: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for t in reversed(self._supertypes(name)):
            for a in self.types.get(t, {}).get("attributeDefs", []):
                out[a["name"]] = a
        return out

    def _rel_ends(self, name: str) -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
        """relationship attribute name → (own end, other end, relationship name)."""
        sup = set(self._supertypes(name))
        out = {}
        for t in self.types.values():
            if t.get("category") != "RELATIONSHIP":
                continue
            for own, other in ((t["endDef1"], t["endDef2"]), (t["endDef2"], t["endDef1"])):
                if own["type"] in sup:
                    out[own["name"]] = (own, other, t["name"])
        return out

    def _type_known(self, type_name: str, pending: dict[str, Any]) -> bool:
        if type_name in PRIMITIVES or type_name in self.types or type_name in pending:
            return True
        m = re.fullmatch(r"array<(.+)>", type_name)
        if m:
            return self._type_known(m.group(1), pending)
        m = re.fullmatch(r"map<([^,]+),(.+)>", type_name)
        if m:
            return self._type_known(m.group(1), pending) and self._type_known(m.group(2), pending)
        return False

    def _check_typedefs(self, defs: dict[str, dict[str, Any]]) -> None:
        def known(t: str) -> None:
            if not self._type_known(t, defs):
                raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {t} was invalid")

        for d in defs.values():
            for s in d.get("superTypes", []):
                known(s)
            for a in d.get("attributeDefs", []):
                known(a["typeName"])
                if d["category"] == "BUSINESS_METADATA":
                    opts = a.get("options") or {}
                    base = re.sub(r"^array<(.+)>$", r"\1", a["typeName"])
                    if base == "string" and not opts.get("maxStrLength"):
                        raise AtlasFail(400, "ATLAS-400-00-02B", f"Mandatory field {a['name']}."
                                        "options.maxStrLength has empty/null value")
                    for t in json.loads(opts.get("applicableEntityTypes") or "[]"):
                        known(t)
            if d["category"] == "ENTITY":
                inherited = set()
                for s in d.get("superTypes", []):
                    sdef = defs.get(s) or self.types.get(s, {})
                    inherited |= {a["name"] for a in sdef.get("attributeDefs", [])}
                    inherited |= set(self._attr_defs(s)) if s in self.types else set()
                clash = [a["name"] for a in d.get("attributeDefs", []) if a["name"] in inherited]
                if clash:
                    raise AtlasFail(400, "ATLAS-400-00-011", f"Invalid type definition "
                                    f"{d['name']}: attribute {clash[0]} already defined in a "
                                    "supertype")
            if d["category"] == "RELATIONSHIP":
                for end in (d["endDef1"], d["endDef2"]):
                    known(end["type"])
                    if d.get("relationshipCategory") == "ASSOCIATION" and end.get("isContainer"):
                        raise AtlasFail(400, "ATLAS-400-00-030", "ASSOCIATION relationshipDef "
                                        f"{d['name']} creation attempted with an end specifying "
                                        "isContainer")
                    if end["type"] in self.types:
                        own = self._attr_defs(end["type"])
                    else:
                        own = {a["name"]: a for a in defs[end["type"]].get("attributeDefs", [])}
                        for s in defs[end["type"]].get("superTypes", []):
                            own.update(self._attr_defs(s))
                    if end["name"] in own and not end.get("isLegacyAttribute"):
                        raise AtlasFail(400, "ATLAS-400-00-044", f"Invalid relationshipDef: "
                                        f"{d['name']}: {end['type']} already has an attribute "
                                        f"{end['name']}")

    def _typedefs_body(self, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        defs = {}
        for cat, kind in CATEGORY.items():
            for d in body.get(cat) or []:
                defs[d["name"]] = {**d, "category": kind}
        return defs

    def _typedefs_response(self, names: list[str]) -> dict[str, Any]:
        out: dict[str, list[Any]] = {c: [] for c in CATEGORY}
        rev = {v: k for k, v in CATEGORY.items()}
        for n in names:
            out[rev[self.types[n]["category"]]].append(self.types[n])
        return out

    def create_typedefs(self, q: dict[str, str], body: Any) -> tuple[int, Any]:
        defs = self._typedefs_body(body)
        for name in defs:
            if name in self.types:
                raise AtlasFail(409, "ATLAS-409-00-001", f"Given type {name} already exists")
        self._check_typedefs(defs)
        now = int(time.time() * 1000)
        for name, d in defs.items():
            self.types[name] = {**d, "guid": str(uuid.uuid4()), "createdBy": "admin",
                                "updatedBy": "admin", "createTime": now, "updateTime": now,
                                "version": 1}
        return 200, self._typedefs_response(list(defs))

    def update_typedefs(self, q: dict[str, str], body: Any) -> tuple[int, Any]:
        defs = self._typedefs_body(body)
        for name in defs:
            if name not in self.types:
                raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {name} was invalid")
        self._check_typedefs(defs)
        for name, d in defs.items():
            # an update may add optional attributes only, and keeps every existing one
            # (AtlasStructDefStoreV2.updateVertexPreUpdate)
            had = {a["name"] for a in self.types[name].get("attributeDefs") or []}
            given = {a["name"]: a for a in d.get("attributeDefs") or []}
            for gone in sorted(had - set(given)):
                raise AtlasFail(400, "ATLAS-400-00-00D",
                                f"{name}.{gone} : attribute delete not supported")
            for new in sorted(set(given) - had):
                if not given[new].get("isOptional", False):
                    raise AtlasFail(400, "ATLAS-400-00-00C",
                                    f"{name}.{new} : can not add mandatory attribute")
        for name, d in defs.items():
            old = self.types[name]
            self.types[name] = {**d, "guid": old["guid"], "version": old.get("version", 1) + 1}
        return 200, self._typedefs_response(list(defs))

    def typedef_headers(self, q: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, [{"guid": t["guid"], "name": n, "category": t["category"],
                      "serviceType": t.get("serviceType")} for n, t in self.types.items()]

    def typedef_by_name(self, q: dict[str, str], body: Any, name: str) -> tuple[int, Any]:
        if name not in self.types:
            raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {name} was invalid")
        return 200, self.types[name]

    # -- entities ---------------------------------------------------------------------------
    def _valid(self, type_name: str, value: Any) -> bool:
        t = self.types.get(type_name, {})
        if t.get("category") == "ENUM":
            return value in {e["value"] for e in t.get("elementDefs", [])}
        if type_name in ("int", "long", "short", "byte", "date", "float", "double"):
            if isinstance(value, bool):
                return False
            if isinstance(value, int | float):
                return True
            try:
                float(value)
                return True
            except (TypeError, ValueError):
                return False
        if type_name == "boolean":
            return isinstance(value, bool) or str(value).lower() in ("true", "false")
        m = re.fullmatch(r"array<(.+)>", type_name)
        if m:
            return isinstance(value, list) and all(self._valid(m.group(1), v) for v in value)
        m = re.fullmatch(r"map<([^,]+),(.+)>", type_name)
        if m:
            return isinstance(value, dict) and all(self._valid(m.group(2), v)
                                                   for v in value.values())
        return True

    def _is_entity_type(self, type_name: str) -> bool:
        base = re.sub(r"^array<(.+)>$", r"\1", type_name)
        return self.types.get(base, {}).get("category") == "ENTITY"

    def _resolve_ref(self, ref: Any, placeholders: dict[str, str]) -> dict[str, str]:
        if not isinstance(ref, dict):
            raise AtlasFail(400, "ATLAS-400-00-021", f"ObjectId is not valid {ref}")
        guid = ref.get("guid")
        tname = ref.get("typeName")
        if guid and str(guid).startswith("-"):
            if guid not in placeholders:
                raise AtlasFail(404, "ATLAS-404-00-00A", "Referenced entity AtlasObjectId{guid='"
                                f"{guid}', typeName='{tname}', uniqueAttributes={{}}}} is not "
                                "found")
            return {"guid": placeholders[guid], "typeName": tname}
        if guid:
            if guid not in self.entities:
                raise AtlasFail(404, "ATLAS-404-00-00A", "Referenced entity AtlasObjectId{guid='"
                                f"{guid}', typeName='{tname}', uniqueAttributes={{}}}} is not "
                                "found")
            return {"guid": guid, "typeName": self.entities[guid]["typeName"]}
        ua = ref.get("uniqueAttributes") or {}
        found = self.unique.get((tname, ua.get("qualifiedName")))
        if not found:
            raise AtlasFail(404, "ATLAS-404-00-00A", "Referenced entity AtlasObjectId{guid='null"
                            f"', typeName='{tname}', uniqueAttributes={{qualifiedName:"
                            f"{ua.get('qualifiedName')}}}}} is not found")
        return {"guid": found, "typeName": tname}

    def bulk(self, q: dict[str, str], body: Any) -> tuple[int, Any]:
        if self.fail_bulk_after is not None:
            if self.fail_bulk_after <= 0:
                raise AtlasFail(500, "ATLAS-500-00-001", "Internal server error graph commit "
                                "failed")
            self.fail_bulk_after -= 1
        incoming = list(body.get("entities") or [])
        incoming += list((body.get("referredEntities") or {}).values())
        placeholders: dict[str, str] = {}
        ops: dict[str, str] = {}
        for e in incoming:
            t = e.get("typeName")
            if self.types.get(t, {}).get("category") != "ENTITY":
                raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {t} was invalid")
            guid = str(e.get("guid") or "")
            qn = (e.get("attributes") or {}).get("qualifiedName")
            if guid.startswith("-") or not guid:
                existing = self.unique.get((t, qn))
                real = existing or str(uuid.uuid4())
                if guid:
                    placeholders[guid] = real
                ops[id(e).__str__()] = "UPDATE" if existing else "CREATE"
                e["_real"] = real
            else:
                if guid not in self.entities:
                    raise AtlasFail(404, "ATLAS-404-00-005",
                                    f"Given instance guid {guid} is invalid/not found")
                ops[id(e).__str__()] = "UPDATE"
                e["_real"] = guid
        prepared = []
        for e in incoming:
            t = e["typeName"]
            op = ops[id(e).__str__()]
            defs = self._attr_defs(t)
            ends = self._rel_ends(t)
            attrs: dict[str, Any] = {}
            problems = []
            for k, v in (e.get("attributes") or {}).items():
                d = defs.get(k)
                if d is None:
                    continue  # unknown attributes are dropped silently
                if v is not None and self._is_entity_type(d["typeName"]):
                    v = ([self._resolve_ref(x, placeholders) for x in v] if isinstance(v, list)
                         else self._resolve_ref(v, placeholders))
                elif v is not None and not self._valid(d["typeName"], v):
                    problems.append(f"{t}.{k}: invalid value for type {d['typeName']}")
                attrs[k] = v
            if op == "CREATE":
                for k, d in defs.items():
                    if not d.get("isOptional", True) and attrs.get(k) in (None, "", [], {}):
                        problems.append(f"{t}.{k}: mandatory attribute value missing in type {t}")
            if problems:
                raise AtlasFail(404, "ATLAS-404-00-007", "Invalid instance creation/updation "
                                "parameters passed : " + "; ".join(problems))
            rels: dict[str, Any] = {}
            for k, v in (e.get("relationshipAttributes") or {}).items():
                if k not in ends:
                    continue
                if v is None:
                    rels[k] = None
                else:
                    rels[k] = ([self._resolve_ref(x, placeholders) for x in v]
                               if isinstance(v, list) else self._resolve_ref(v, placeholders))
            prepared.append((e, op, attrs, rels))
        mutated: dict[str, list[Any]] = {"CREATE": [], "UPDATE": []}
        now = int(time.time() * 1000)
        for e, op, attrs, rels in prepared:
            guid = e["_real"]
            t = e["typeName"]
            if op == "CREATE":
                stored = {"typeName": t, "guid": guid, "status": "ACTIVE", "attributes": attrs,
                          "relationshipAttributes": rels, "createdBy": "admin",
                          "createTime": now, "updateTime": now, "version": 1,
                          "classifications": [], "businessAttributes": {}}
                for c in e.get("classifications") or []:
                    stored["classifications"].append(self._classification(guid, c))
                stored["businessAttributes"] = dict(e.get("businessAttributes") or {})
                self.entities[guid] = stored
                self.unique[(t, attrs.get("qualifiedName"))] = guid
                mutated["CREATE"].append(self._header(stored))
            else:
                stored = self.entities[guid]
                before = json.dumps([stored["attributes"], stored["relationshipAttributes"]],
                                    sort_keys=True)
                stored["attributes"] = {**stored["attributes"], **attrs}
                stored["relationshipAttributes"] = {**stored["relationshipAttributes"], **rels}
                after = json.dumps([stored["attributes"], stored["relationshipAttributes"]],
                                   sort_keys=True)
                # classifications / business attributes in the post are ignored for updates
                if before != after:
                    stored["version"] += 1
                    stored["updateTime"] = now
                    if not any(h["guid"] == guid for h in mutated["UPDATE"]):
                        mutated["UPDATE"].append(self._header(stored))
        for e in incoming:
            e.pop("_real", None)
        return 200, {"mutatedEntities": {k: v for k, v in mutated.items() if v},
                     "guidAssignments": placeholders}

    def _classification(self, guid: str, c: dict[str, Any]) -> dict[str, Any]:
        name = c.get("typeName")
        d = self.types.get(name or "", {})
        if d.get("category") != "CLASSIFICATION":
            raise AtlasFail(404, "ATLAS-404-00-008", f"Given classification {name} was invalid")
        allowed: dict[str, Any] = {}
        todo = [name]
        while todo:
            n = todo.pop()
            cd = self.types.get(n, {})
            allowed.update({a["name"]: a for a in cd.get("attributeDefs", [])})
            todo.extend(cd.get("superTypes", []))
        attrs = {}
        for k, v in (c.get("attributes") or {}).items():
            if k in allowed:
                if v is not None and not self._valid(allowed[k]["typeName"], v):
                    raise AtlasFail(400, "ATLAS-400-00-028", f"invalid value: {name}.{k}")
                attrs[k] = v
        propagate = c.get("propagate")
        return {"typeName": name, "attributes": attrs, "entityGuid": guid,
                "entityStatus": "ACTIVE", "propagate": True if propagate is None else propagate,
                "removePropagationsOnEntityDelete": bool(c.get("removePropagationsOnEntityDelete")),
                "validityPeriods": []}

    def _header(self, e: dict[str, Any]) -> dict[str, Any]:
        classes = self._all_classifications(e["guid"])
        return {"typeName": e["typeName"], "attributes": _header_attrs(e), "guid": e["guid"],
                "status": e["status"], "displayText": e["attributes"].get("name"),
                "classificationNames": [c["typeName"] for c in classes],
                "classifications": classes, "meaningNames": [], "meanings": [],
                "isIncomplete": False, "labels": []}

    def _inverse_rels(self, guid: str) -> dict[str, Any]:
        """Relationship attributes seen from the other end (as the real server shows them)."""
        out: dict[str, Any] = {}
        me = self.entities[guid]
        mine = self._rel_ends(me["typeName"])
        for other in self.entities.values():
            ends = self._rel_ends(other["typeName"])
            for name, value in other["relationshipAttributes"].items():
                if name not in ends or value is None:
                    continue
                own_end, far_end, _ = ends[name]
                refs = value if isinstance(value, list) else [value]
                if any(r["guid"] == guid for r in refs) and far_end["name"] in mine:
                    ref = {"guid": other["guid"], "typeName": other["typeName"]}
                    if far_end.get("cardinality") == "SINGLE":
                        out[far_end["name"]] = ref
                    else:
                        out.setdefault(far_end["name"], []).append(ref)
        return out

    def _propagation_edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = {}

        def add(a: str, b: str) -> None:
            edges.setdefault(a, set()).add(b)

        rel_defs = {n: t for n, t in self.types.items() if t.get("category") == "RELATIONSHIP"}
        deleted = {g for g, e in self.entities.items() if e["status"] == "DELETED"}
        for e in self.entities.values():
            if e["guid"] in deleted:
                continue  # its relationships were deleted with it
            if "Process" in self._supertypes(e["typeName"]):
                for r in e["attributes"].get("inputs") or []:
                    if r["guid"] not in deleted:
                        add(r["guid"], e["guid"])  # dataset_process_inputs TWO_TO_ONE
                for r in e["attributes"].get("outputs") or []:
                    if r["guid"] not in deleted:
                        add(e["guid"], r["guid"])  # process_dataset_outputs ONE_TO_TWO
            ends = self._rel_ends(e["typeName"])
            for name, value in e["relationshipAttributes"].items():
                if name not in ends or value is None:
                    continue
                own_end, _, rel_name = ends[name]
                rd = rel_defs[rel_name]
                mode = rd.get("propagateTags", "NONE")
                own_is_end1 = rd["endDef1"] is own_end
                for r in value if isinstance(value, list) else [value]:
                    if r["guid"] in deleted:
                        continue
                    end1, end2 = (e["guid"], r["guid"]) if own_is_end1 else (r["guid"], e["guid"])
                    if mode in ("ONE_TO_TWO", "BOTH"):
                        add(end1, end2)
                    if mode in ("TWO_TO_ONE", "BOTH"):
                        add(end2, end1)
        return edges

    def _all_classifications(self, guid: str) -> list[dict[str, Any]]:
        """Direct classifications plus the ones propagated to this entity."""
        out = list(self.entities[guid]["classifications"])
        have = {c["typeName"] for c in out}
        edges = self._propagation_edges()
        for src, e in self.entities.items():
            if src == guid:
                continue
            # (DeleteHandlerV1.deleteAllClassifications: a deleted entity's classification
            # set with removePropagationsOnEntityDelete is taken back from where it flowed)
            props = [c for c in e["classifications"] if c.get("propagate") and not (
                e["status"] == "DELETED" and c.get("removePropagationsOnEntityDelete"))]
            if not props:
                continue
            seen, todo = {src}, [src]
            while todo:
                cur = todo.pop()
                for nxt in edges.get(cur, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            if guid in seen:
                for c in props:
                    if c["typeName"] not in have:
                        out.append(c)
                        have.add(c["typeName"])
        return out

    def _related(self, me: str, ref: dict[str, Any]) -> dict[str, Any]:
        """A relationship reference as read back (``AtlasRelatedObjectId``): deleting
        either end soft-deletes the relationship, which is still shown."""
        other = self.entities.get(ref["guid"], {}).get("status", "ACTIVE")
        gone = "DELETED" in (other, self.entities[me]["status"])
        return {**ref, "entityStatus": other,
                "relationshipStatus": "DELETED" if gone else "ACTIVE"}

    def _entity_view(self, guid: str) -> dict[str, Any]:
        e = self.entities[guid]
        view = json.loads(json.dumps(e))
        rels = {**self._inverse_rels(guid), **e["relationshipAttributes"]}
        view["relationshipAttributes"] = {
            k: ([self._related(guid, r) for r in v] if isinstance(v, list)
                else self._related(guid, v) if isinstance(v, dict) else v)
            for k, v in rels.items()}
        view["classifications"] = self._all_classifications(guid)
        if not view["businessAttributes"]:
            view.pop("businessAttributes")
        return {"entity": view, "referredEntities": {}}

    def entity_of(self, type_name: str, qualified_name: str) -> dict[str, Any]:
        """The entity of ``type_name`` holding ``qualified_name`` as ``GET
        /entity/uniqueAttribute/type/{type_name}`` reads it back (relationships and
        classifications included), for tests."""
        return self._entity_view(self.unique[(type_name, qualified_name)])["entity"]  # type: ignore[no-any-return]

    def _need(self, guid: str) -> dict[str, Any]:
        if guid not in self.entities:
            raise AtlasFail(404, "ATLAS-404-00-005", f"Given instance guid {guid} is "
                            "invalid/not found")
        return self.entities[guid]

    def get_entity(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        self._need(guid)
        return 200, self._entity_view(guid)

    def get_by_unique(self, q: dict[str, str], body: Any, type: str) -> tuple[int, Any]:
        qn = q.get("attr:qualifiedName")
        guid = self.unique.get((type, qn))
        if not guid:
            raise AtlasFail(404, "ATLAS-404-00-009", f"Instance {type} with unique attribute "
                            f"{{qualifiedName={qn}}} does not exist")
        return 200, self._entity_view(guid)

    # -- deletes (SoftDeleteHandlerV1) -------------------------------------------------------
    def _soft_delete(self, guids: list[str]) -> tuple[int, Any]:
        """``AtlasEntityStoreV2.deleteVertices`` with the default soft delete: each ACTIVE
        entity becomes DELETED (``DeleteHandlerV1.deleteEntities`` skips one already DELETED)
        and its unique attribute is released (``deleteTypeVertex`` removes the ``__u_``
        property that ``findByUniqueAttributes`` looks up), so the name is free for a new
        entity. Not found is no error: the caller wanted it gone."""
        if self._user in self.may_not_delete:
            raise AtlasFail(403, "ATLAS-403-00-001", f"{self._user} is not authorized to "
                            f"perform delete entity: guid={guids[0] if guids else None}")
        if self.fail_delete_after is not None:
            if self.fail_delete_after <= 0:
                raise AtlasFail(500, "ATLAS-500-00-001", "Internal server error graph commit "
                                "failed")
            self.fail_delete_after -= 1
        now = int(time.time() * 1000)
        deleted = []
        for guid in guids:
            e = self.entities.get(guid)
            if e is None or e["status"] == "DELETED":
                continue
            e["status"] = "DELETED"
            e["updateTime"] = now
            e["updatedBy"] = "admin"
            key = (e["typeName"], e["attributes"].get("qualifiedName"))
            if self.unique.get(key) == guid:
                del self.unique[key]
            deleted.append(guid)
        mutated = {"DELETE": [self._header(self.entities[g]) for g in deleted]}
        return 200, {"mutatedEntities": {k: v for k, v in mutated.items() if v}}

    def delete_by_guid(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        if self.delete_unknown_404 and guid not in self.entities:
            self._need(guid)
        return self._soft_delete([guid])

    def delete_by_guids(self, q: dict[str, str], body: Any) -> tuple[int, Any]:
        guids = self._multi.get("guid") or []
        if not guids:
            raise AtlasFail(400, "ATLAS-400-00-001", "invalid parameters: Guid(s) not "
                            "specified")
        if self.delete_unknown_404:
            for guid in guids:
                self._need(guid)
        return self._soft_delete(guids)

    def delete_by_unique(self, q: dict[str, str], body: Any, type: str) -> tuple[int, Any]:
        if self.types.get(type, {}).get("category") != "ENTITY":
            raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {type} was invalid")
        guid = self.unique.get((type, q.get("attr:qualifiedName")))
        return self._soft_delete([guid] if guid else [])

    def get_classifications(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        self._need(guid)
        items = self._all_classifications(guid)
        return 200, {"list": items, "startIndex": 0, "pageSize": len(items),
                     "totalCount": len(items), "sortType": "NONE"}

    def add_classifications(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        e = self._need(guid)
        new = [self._classification(guid, c) for c in body or []]
        names = {c["typeName"] for c in e["classifications"]}
        for c in new:
            if c["typeName"] in names:
                raise AtlasFail(400, "ATLAS-400-00-01B", f"instance {guid} already is associated "
                                f"with classification {c['typeName']}")
        e["classifications"].extend(new)
        return 204, None

    def update_classifications(self, q: dict[str, str], body: Any, guid: str
                               ) -> tuple[int, Any]:
        e = self._need(guid)
        for c in body or []:
            new = self._classification(guid, c)
            idx = [i for i, old in enumerate(e["classifications"])
                   if old["typeName"] == new["typeName"]]
            if not idx:
                raise AtlasFail(400, "ATLAS-400-00-06D", f"Classification {new['typeName']} is "
                                "not associated with entity")
            e["classifications"][idx[0]] = new
        return 204, None

    def delete_classification(self, q: dict[str, str], body: Any, guid: str, name: str
                              ) -> tuple[int, Any]:
        e = self._need(guid)
        keep = [c for c in e["classifications"] if c["typeName"] != name]
        if len(keep) == len(e["classifications"]):
            raise AtlasFail(400, "ATLAS-400-00-06D", f"Classification {name} is not associated "
                            "with entity")
        e["classifications"] = keep
        return 204, None

    def add_bm(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        e = self._need(guid)
        overwrite = q.get("isOverwrite", "false").lower() == "true"
        sup = set(self._supertypes(e["typeName"]))
        result = {} if overwrite else json.loads(json.dumps(e["businessAttributes"]))
        for bm_name, values in (body or {}).items():
            d = self.types.get(bm_name, {})
            if d.get("category") != "BUSINESS_METADATA":
                raise AtlasFail(404, "ATLAS-404-00-001", f"Given typename {bm_name} was invalid")
            defs = {a["name"]: a for a in d.get("attributeDefs", [])}
            for k, v in values.items():
                ad = defs.get(k)
                if ad is None:
                    raise AtlasFail(400, "ATLAS-400-00-023", f"Attribute {k} not found for type "
                                    f"{bm_name}")
                opts = ad.get("options") or {}
                applicable = set(json.loads(opts.get("applicableEntityTypes") or "[]"))
                if applicable and not applicable & sup:
                    raise AtlasFail(400, "ATLAS-400-00-028", f"invalid value: {bm_name}.{k} does "
                                    f"not apply to {e['typeName']}")
                limit = int(opts.get("maxStrLength") or 0)
                strings = v if isinstance(v, list) else [v]
                # Java's String.length(): UTF-16 units (an emoji is two)
                if (v is not None and not self._valid(ad["typeName"], v)) or (
                        limit and any(isinstance(s, str) and len(s.encode("utf-16-le")) // 2
                                      > limit for s in strings)):
                    raise AtlasFail(400, "ATLAS-400-00-028", f"invalid value: {bm_name}.{k}")
                result.setdefault(bm_name, {})[k] = v
        e["businessAttributes"] = {n: a for n, a in result.items() if a}
        return 204, None

    def remove_bm(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        """``removeBusinessAttributes``: for each business metadata named, the attributes
        listed (values ignored), or all of them when the map is empty; names the entity does
        not have are ignored."""
        if not body:
            raise AtlasFail(400, "ATLAS-400-00-01A", "invalid parameters: businessAttributes "
                            "is null/empty")
        e = self._need(guid)
        result = json.loads(json.dumps(e["businessAttributes"]))
        for bm_name, attrs in body.items():
            if bm_name not in result:
                continue
            if attrs:
                for k in attrs:
                    result[bm_name].pop(k, None)
            else:
                result[bm_name] = {}
        e["businessAttributes"] = {n: a for n, a in result.items() if a}
        return 204, None

    # -- lineage ----------------------------------------------------------------------------
    def lineage(self, q: dict[str, str], body: Any, guid: str) -> tuple[int, Any]:
        base = self._need(guid)
        direction = q.get("direction", "BOTH").upper()
        depth = int(q.get("depth", 3))
        producers: dict[str, list[str]] = {}
        consumers: dict[str, list[str]] = {}
        for e in self.entities.values():
            if "Process" in self._supertypes(e["typeName"]):
                for r in e["attributes"].get("inputs") or []:
                    consumers.setdefault(r["guid"], []).append(e["guid"])
                for r in e["attributes"].get("outputs") or []:
                    producers.setdefault(r["guid"], []).append(e["guid"])
        relations: dict[tuple[str, str], str] = {}
        touched = {guid}

        def relate(a: str, b: str) -> None:
            relations.setdefault((a, b), str(uuid.uuid5(uuid.NAMESPACE_URL, f"{a}->{b}")))
            touched.update((a, b))

        def walk(upstream: bool) -> None:
            is_process = "Process" in self._supertypes(base["typeName"])
            frontier = [guid]
            level = 0
            if is_process:
                key = "inputs" if upstream else "outputs"
                frontier = []
                for r in base["attributes"].get(key) or []:
                    relate(*((r["guid"], guid) if upstream else (guid, r["guid"])))
                    frontier.append(r["guid"])
                level = 1
            seen = set(frontier)
            while frontier and (depth <= 0 or level < depth):
                level += 1
                nxt = []
                for ds in frontier:
                    for p in (producers if upstream else consumers).get(ds, []):
                        relate(*((p, ds) if upstream else (ds, p)))
                        proc = self.entities[p]
                        for r in proc["attributes"].get("inputs" if upstream else "outputs") or []:
                            relate(*((r["guid"], p) if upstream else (p, r["guid"])))
                            if r["guid"] not in seen:
                                seen.add(r["guid"])
                                nxt.append(r["guid"])
                frontier = nxt

        if direction in ("INPUT", "BOTH"):
            walk(True)
        if direction in ("OUTPUT", "BOTH"):
            walk(False)
        return 200, {
            "baseEntityGuid": guid, "lineageDirection": direction, "lineageDepth": depth,
            "guidEntityMap": {g: self._header(self.entities[g]) for g in sorted(touched)},
            "relations": [{"fromEntityId": a, "toEntityId": b, "relationshipId": r}
                          for (a, b), r in sorted(relations.items())],
        }


@contextmanager
def running_atlas(users: dict[str, str] | None = None, mount: str = ""
                  ) -> Iterator[AtlasStandin]:
    s = AtlasStandin(users, mount).start()
    try:
        yield s
    finally:
        s.stop()
