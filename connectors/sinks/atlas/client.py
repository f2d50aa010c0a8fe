"""Thin layer over the official ``apache-atlas`` client (0.0.16): every call goes through
``AtlasClient.call_api`` and every failure becomes a one-line :class:`AtlasError`.

Known defects of the client worked around here:

- ``EntityClient.update_entities`` posts to ``/v2/entity`` instead of ``/v2/entity/bulk``:
  we only use ``create_entities`` (bulk create-or-update) and ``call_api`` for the rest.
- ``AtlasServiceException`` keeps neither the status nor the body (only a message built from
  them): a response hook on the client's session keeps the last response so the error can be
  read as ``errorCode`` / ``errorMessage``.
- requests are sent without a timeout (an unresponsive server hangs forever): the session's
  ``request`` gets a default timeout.
- ``urljoin(host, path)`` drops a path prefix of the server URL (Atlas behind
  ``https://gateway/atlas``): the host keeps its trailing slash.
- label helpers build broken paths: not used.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, cast

from lineage.errors import SinkError

log = logging.getLogger("lineage.sinks.atlas")
# the client logs a traceback when a page is not JSON, and an ERROR line for a 503, before
# raising: with no logging configured Python prints them on stderr next to our one-line error.
# They still reach the handlers of an application that configures logging (e.g. -v).
logging.getLogger("apache_atlas").addHandler(logging.NullHandler())

V2 = "api/atlas/v2/"


class AtlasError(SinkError):
    """Atlas answered with an error (status, ``errorCode``, ``errorMessage``)."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str | None = None,
                 error_message: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.error_code = error_code
        self.error_message = error_message


class AtlasHttp:
    """Atlas REST v2 through ``apache_atlas.client.base_client.AtlasClient`` (basic auth)."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 60.0,
                 credential_hint: str = "set ATLAS_USERNAME and ATLAS_PASSWORD",
                 url_source: str = "ATLAS_URL") -> None:
        from apache_atlas.client.base_client import AtlasClient

        self.url = url.rstrip("/")
        self.username = username
        self.credential_hint = credential_hint
        # where the URL came from (ATLAS_URL, --server, lineage.yaml), for the hints
        self.url_source = url_source
        self.client = AtlasClient(self.url, (username, password))
        self.client.host = self.url + "/"
        self._last: Any = None
        self.client.session.hooks["response"].append(self._capture)
        self.client.session.request = functools.partial(
            self.client.session.request, timeout=timeout)
        self.calls = 0

    def _capture(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self._last = response
        return response

    # -- generic ---------------------------------------------------------------------------
    def call(self, method: str, path: str, *, expected: int = 200, body: Any = None,
             params: dict[str, Any] | None = None, want: type | None = dict) -> Any:
        """The answer's JSON body coerced to ``want`` by the client (a JSON body that is not
        one is an :class:`AtlasError`); None when ``want`` is None or the answer is empty."""
        import requests
        from apache_atlas.exceptions import AtlasServiceException
        from apache_atlas.utils import API, HTTPMethod

        api = API(V2 + path, HTTPMethod[method], expected)
        self._last = None
        self.calls += 1
        log.debug("atlas %s %s", method, path)
        try:
            return self.client.call_api(api, want, params, body)
        except AtlasServiceException as exc:
            raise self._error(method, path) from exc
        except requests.exceptions.Timeout as exc:
            raise SinkError(f"Atlas at {self.url} did not answer {method} /{V2}{path} in time",
                            hint="is the server overloaded? retry; the push resumes where it "
                                 "stopped") from exc
        except requests.exceptions.RequestException as exc:
            reason = type(exc).__name__
            raise SinkError(f"cannot reach Atlas at {self.url} ({reason})",
                            hint=f"is Atlas running and is the URL ({self.url_source}) right? "
                                 "(see docker/atlas/README.md to start one)") from exc

    def _error(self, method: str, path: str) -> AtlasError:
        resp = self._last
        status = getattr(resp, "status_code", None)
        code = message = None
        try:
            body = resp.json() if resp is not None and resp.content else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            code, message = body.get("errorCode"), body.get("errorMessage")
        where = f"{method} /{V2}{path}"
        kind = (resp.headers.get("Content-Type") or "no content type").split(";")[0] \
            if resp is not None else None
        if status is not None and 200 <= status < 300 and body is None:
            # a 2xx page that is not JSON: a login page of a single-sign-on proxy, a web
            # server in front, the Atlas UI instead of its REST API
            return AtlasError(
                f"{self.url} answered {where} with something that is not an Atlas answer "
                f"(HTTP {status}, {kind})", status=status,
                hint=f"is the URL ({self.url_source}) that of Atlas itself (e.g. "
                     "http://atlas-host:21000), not of a login page or a proxy in front of it?")
        if status == 401:
            return AtlasError(
                f"Atlas at {self.url} rejected the credentials of user {self.username!r} "
                "(HTTP 401)", status=status, hint=self.credential_hint)
        if status == 403:
            deleting = method == "DELETE" and (path == "entity/bulk" or path.startswith(
                "entity/guid/") and path.count("/") == 2)
            return AtlasError(
                f"user {self.username!r} may not {where} on Atlas at {self.url} (HTTP 403)",
                status=status, error_code=code, error_message=message,
                hint="give the user a role that may delete entities (e.g. admin), or push "
                     "without -o remove_stale=true" if deleting else
                     "give the user a role that may create types and entities (e.g. admin)")
        if code or message:
            text = " ".join(str(message or "").split())
            return AtlasError(f"Atlas refused {where}: {code}: {text} (HTTP {status})",
                              status=status, error_code=code, error_message=message,
                              hint=_hint_for(code))
        if status == 503:
            return AtlasError(f"Atlas at {self.url} is not available (HTTP 503)", status=status,
                              hint="it may still be starting (a few minutes after launch); "
                                   "retry, the push resumes where it stopped")
        if status == 404:  # no Atlas API there: the URL (or a proxy's path prefix) is off
            return AtlasError(f"Atlas at {self.url} has no {where} (HTTP 404)", status=status,
                              hint="check ATLAS_URL: Atlas serves /api/atlas/v2 at its root "
                                   "(e.g. http://atlas:21000); behind a proxy, include its "
                                   "path prefix")
        return AtlasError(f"Atlas answered {where} with HTTP {status}", status=status,
                          hint="check the server log; the push resumes where it stopped")

    # -- endpoints -------------------------------------------------------------------------
    def create_typedefs(self, typedefs: dict[str, Any]) -> Any:
        return self.call("POST", "types/typedefs", body=typedefs)

    def update_typedefs(self, typedefs: dict[str, Any]) -> Any:
        return self.call("PUT", "types/typedefs", body=typedefs)

    def typedef_headers(self) -> list[dict[str, Any]]:
        # a list: ``want=list`` (the client coerces the JSON body to it or fails)
        return cast(list[dict[str, Any]],
                    self.call("GET", "types/typedefs/headers", want=list) or [])

    def bulk(self, request: dict[str, Any]) -> dict[str, Any]:
        """POST /v2/entity/bulk through the client's own ``create_entities``."""
        import requests
        from apache_atlas.exceptions import AtlasServiceException

        self._last = None
        self.calls += 1
        log.debug("atlas POST entity/bulk (%d entities)", len(request.get("entities", [])))
        try:
            resp = self.client.entity.create_entities(request)
        except AtlasServiceException as exc:
            raise self._error("POST", "entity/bulk") from exc
        except requests.exceptions.RequestException as exc:
            raise SinkError(f"cannot reach Atlas at {self.url} ({type(exc).__name__})",
                            hint=f"is Atlas running and is the URL ({self.url_source}) right? "
                                 "the push resumes where it stopped") from exc
        return dict(resp or {})

    def add_classifications(self, guid: str, classifications: list[dict[str, Any]]) -> None:
        self.call("POST", f"entity/guid/{guid}/classifications", expected=204,
                  body=classifications, want=None)

    def update_classifications(self, guid: str, classifications: list[dict[str, Any]]) -> None:
        self.call("PUT", f"entity/guid/{guid}/classifications", expected=204,
                  body=classifications, want=None)

    def delete_classification(self, guid: str, name: str) -> None:
        self.call("DELETE", f"entity/guid/{guid}/classification/{name}", expected=204,
                  want=None)

    def add_business_metadata(self, guid: str, bm: dict[str, dict[str, Any]]) -> None:
        """Merge attribute by attribute (``isOverwrite=false``): every other business
        attribute of the entity, ours or another tool's, is left as it is."""
        self.call("POST", f"entity/guid/{guid}/businessmetadata", expected=204, body=bm,
                  params={"isOverwrite": "false"}, want=None)

    def remove_business_metadata(self, guid: str, attributes: dict[str, list[str]]) -> None:
        """``DELETE …/businessmetadata``: remove the named attributes of each business
        metadata (``isOverwrite=true`` would also wipe other tools' business metadata)."""
        body = {name: dict.fromkeys(attrs) for name, attrs in attributes.items()}
        self.call("DELETE", f"entity/guid/{guid}/businessmetadata", expected=204, body=body,
                  want=None)

    def get_entity(self, guid: str, *, minimal: bool = False) -> dict[str, Any]:
        """The entity (``minimal``: without relationship attributes and referred entities,
        enough to read its classifications and business metadata)."""
        params = {"minExtInfo": "true", "ignoreRelationships": "true"} if minimal else None
        # a dict: ``want=dict`` (the client coerces the JSON body to it or fails)
        return cast(dict[str, Any], self.call("GET", f"entity/guid/{guid}", params=params))

    def find_guid(self, type_name: str, qualified_name: str) -> str | None:
        """The guid of the entity of that type and qualifiedName, None when Atlas has none."""
        try:
            found = self.call("GET", f"entity/uniqueAttribute/type/{type_name}",
                              params={"attr:qualifiedName": qualified_name,
                                      "minExtInfo": "true", "ignoreRelationships": "true"})
        except AtlasError as exc:
            if exc.status == 404:
                return None
            raise
        guid = (found or {}).get("entity", {}).get("guid")
        return str(guid) if guid else None

    def delete_entities(self, guids: list[str]) -> dict[str, Any]:
        """``DELETE /v2/entity/bulk?guid=…&guid=…`` (the official client's
        ``delete_entities_by_guids``): under Atlas's default ``SoftDeleteHandlerV1`` each
        entity's status becomes ``DELETED`` and its relationships are deleted with it. A guid
        Atlas does not hold, or holds DELETED already, is no error to Atlas 2.x: 200, the
        entity is not listed under ``mutatedEntities.DELETE``."""
        return self.call("DELETE", "entity/bulk", params={"guid": list(guids)}) or {}

    def delete_entity(self, guid: str) -> dict[str, Any]:
        """``DELETE /v2/entity/guid/{guid}``, as :meth:`delete_entities` for one entity."""
        return self.call("DELETE", f"entity/guid/{guid}") or {}

    def lineage(self, guid: str, depth: int = 3, direction: str = "BOTH") -> dict[str, Any]:
        # a dict: ``want=dict`` (the client coerces the JSON body to it or fails)
        return cast(dict[str, Any], self.call("GET", f"lineage/{guid}",
                                              params={"direction": direction, "depth": depth}))


def _hint_for(code: str | None) -> str:
    return {
        "ATLAS-404-00-00A": "an entity referenced by the batch is missing on the server; run "
                            "`lineage push --to atlas --full` to resend everything",
        "ATLAS-404-00-005": "an entity this store pushed before is gone from Atlas; run "
                            "`lineage push --to atlas --full`",
        "ATLAS-404-00-007": "the server's typedefs differ from schemas/atlas (another version "
                            "registered them?); check GET /api/atlas/v2/types/typedef/name/<type>",
        "ATLAS-409-00-001": "the types exist already; they are updated on the next push",
    }.get(code or "", "see the Atlas server log for details")


__all__ = ["AtlasError", "AtlasHttp"]
