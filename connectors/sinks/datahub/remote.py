"""Remote DataHub targets: ``--to datahub-rest`` (GMS over Rest.li) and ``--to datahub-kafka``.

Both are thin transports under the DataHub sink base (rendering, validation, per-aspect hash
state, batching and resume live there): a batch is handed to ``_write`` and either every MCP
in it is acknowledged by the server, or ``_write`` raises :class:`SinkError` and the base keeps
the whole batch for the next push. Re-sending an aspect DataHub already holds is an upsert,
so a batch that failed half way is safe to send again.

Connection settings, first found wins::

    lineage push --to datahub-rest --option server=URL --option token=…   (ctx.options)
    lineage.yaml: datahub: {server: URL, token: …}                       (ctx.config.datahub)
    DATAHUB_GMS_URL / DATAHUB_GMS_TOKEN                                   (DataHub's own env vars)

The token is a ``SecretStr`` from the moment it is read, goes only into the emitter's
``Authorization`` header, and is never part of a message or a log line.

A URL no server could answer (no http(s)://, no host, a port that is not 1-65535) is a
:class:`ConfigError` (exit 2) before any request. Failures become one-line :class:`SinkError`
messages (exit code 3)::

    unreachable / DNS / TLS   → "cannot reach DataHub GMS at URL" + check DATAHUB_GMS_URL
    connected, no answer      → "… did not answer within N s" + --option timeout=SECONDS
    not JSON (an HTML page)   → "URL answered GET /config with something that is not DataHub
                                GMS (HTTP 200, text/html)" + the URL GMS has
    401 / 403                 → "… refused the token" + check DATAHUB_GMS_TOKEN, or, with no
                                token given, "… requires an access token and none was given"
    422, no such definition   → a structured property GMS lost (a DataHub reset): push --full
    400 / 422 (validation)    → names the entity urn and aspect GMS rejected
    413                       → a proxy's body limit: a smaller batch_size
    429 / 5xx                 → retried with exponential backoff, then "kept answering N"

The Kafka target checks, before producing, that the broker and the schema registry answer
within ``timeout`` seconds and says which did not (:class:`KafkaTransport`); librdkafka's own
log goes to the ``lineage.kafka`` logger (shown by ``lineage -v``), not to stderr.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import SecretStr

from connectors.sinks.datahub.sink import DataHubSinkBase, option_batch_size, option_flag
from lineage.errors import ConfigError, SinkError
from lineage.ids import strip_credentials

if TYPE_CHECKING:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from lineage.config import Config
    from lineage.plugins import PushContext

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 4  # acryl-datahub's own default (DATAHUB_REST_EMITTER_DEFAULT_RETRY_MAX_TIMES)
DEFAULT_BACKOFF = 2.0  # seconds × 2**(attempt-1), as the emitter's session does
DEFAULT_TIMEOUT = 30.0
# MCPs per REST request, acknowledged as one batch: the emitter splits a larger batch on its own
REST_BATCH_MAX = 200
DEFAULT_KAFKA_TIMEOUT = 10.0  # seconds for the broker and registry to answer the check
TRANSIENT = (429, 500, 502, 503, 504)
URL_HINT = "check the server URL (--server, else DATAHUB_GMS_URL, else datahub.server in " \
           "lineage.yaml) and that GMS is up " \
           "(`curl URL/health`); GMS usually listens on :8080, the frontend proxy on :9002/api/gms"
TOKEN_HINT = "check DATAHUB_GMS_TOKEN (or datahub.token in lineage.yaml): a personal access " \
             "token from Settings → Access Tokens with rights to ingest metadata"
NO_TOKEN_HINT = "give one with --token, DATAHUB_GMS_TOKEN or datahub.token in lineage.yaml: a " \
                "personal access token from Settings → Access Tokens with rights to ingest " \
                "metadata"
# `lineage audit --source datahub-rest` reads a GMS: its URL is the LOCATION argument (it has
# no --server, and no --token), so its hints name what that command takes
AUDIT_URL_HINT = "check the GMS URL (the LOCATION argument: `lineage audit --source " \
                 "datahub-rest URL`, else DATAHUB_GMS_URL, else datahub.server in " \
                 "lineage.yaml) and that GMS is up (`curl URL/health`); GMS usually listens " \
                 "on :8080, the frontend proxy on :9002/api/gms"
AUDIT_TOKEN_HINT = "check DATAHUB_GMS_TOKEN (or datahub.token in lineage.yaml): a personal " \
                   "access token from Settings → Access Tokens with rights to read metadata"
AUDIT_NO_TOKEN_HINT = "set DATAHUB_GMS_TOKEN (or datahub.token in lineage.yaml; `lineage " \
                      "audit` takes no --token): a personal access token from Settings → " \
                      "Access Tokens with rights to read metadata"


def _auth_error(settings: RestSettings, status: int | None) -> SinkError:
    """401/403: a token that was refused, or none given to a GMS that wants one."""
    code = f" (HTTP {status})" if status else ""
    audit = settings.command == "audit"
    if settings.token is None:
        return SinkError(f"DataHub GMS at {settings.shown_url} requires an access token"
                         f"{code} and none was given",
                         hint=AUDIT_NO_TOKEN_HINT if audit else NO_TOKEN_HINT)
    return SinkError(f"DataHub GMS at {settings.shown_url} refused the token{code}",
                     hint=AUDIT_TOKEN_HINT if audit else TOKEN_HINT)


# -- settings -----------------------------------------------------------------------------------
@dataclass
class RestSettings:
    server: str
    token: SecretStr | None = None
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    timeout: float = DEFAULT_TIMEOUT
    openapi: bool = False
    batch_size: int = 100
    # the command these settings serve ("push", "audit"): its hints name the options it takes
    command: str = "push"

    @property
    def url_hint(self) -> str:
        return AUDIT_URL_HINT if self.command == "audit" else URL_HINT

    @property
    def shown_url(self) -> str:
        """The server URL fit for a message: credentials and query string removed."""
        return strip_credentials(self.server).split("?", 1)[0].rstrip("/")

    def __repr__(self) -> str:  # never show the token, even masked
        return f"RestSettings(server={self.shown_url!r}, token={'***' if self.token else None})"


def _opt(options: dict[str, Any], key: str, cast: type, default: Any, *,
         least: float | None = None, above: float | None = None,
         most: float | None = None) -> Any:
    """``options[key]`` as ``cast``, else ``default``; a value below ``least`` (or not above
    ``above``, or above ``most``), NaN or infinite is refused before anything is sent: requests
    would fail on it as if the server were unreachable (exit 3), a batch of 0 would send
    nothing, and one larger than the target takes would be cut without a word."""
    if options.get(key) in (None, ""):
        return default
    try:
        value = cast(options[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"option {key}={options[key]!r} is not a valid {cast.__name__}",
                          hint=f"e.g. --option {key}={default}") from exc
    if not math.isfinite(value) or (least is not None and value < least) \
            or (above is not None and value <= above):
        what = "a whole number" if cast is int else "a number"
        bound = f"of at least {least}" if least is not None else f"above {above}"
        raise ConfigError(f"option {key}={options[key]!r} must be {what} {bound}",
                          hint=f"e.g. --option {key}={default}")
    if most is not None and value > most:
        raise ConfigError(f"option {key}={options[key]!r} must be at most {most:g}",
                          hint=f"e.g. --option {key}={default}")
    return value


def rest_settings(options: dict[str, Any] | None = None, config: Config | None = None,
                  *, command: str = "push") -> RestSettings:
    """GMS URL and token from options, else lineage config (where :func:`load_config` has put
    DATAHUB_GMS_URL/TOKEN over lineage.yaml's values), else DATAHUB_GMS_URL/TOKEN.
    ``command``: the command asking ("push", or "audit" reading the catalog back), whose
    options the hints of its errors name."""
    options = options or {}
    cfg = config.datahub if config is not None else None
    server = options.get("server") or (cfg.server if cfg else None) \
        or os.environ.get("DATAHUB_GMS_URL")
    audit = command == "audit"
    if not server:
        if audit:
            raise ConfigError(
                "no DataHub GMS URL: `lineage audit --source datahub-rest` needs the address "
                "of your DataHub",
                hint="give it as the LOCATION argument (lineage audit --source datahub-rest "
                     "http://localhost:8080), or set DATAHUB_GMS_URL (or datahub.server in "
                     "lineage.yaml)")
        raise ConfigError(
            "no DataHub GMS URL: --to datahub-rest needs the address of your DataHub",
            hint="set DATAHUB_GMS_URL=http://localhost:8080 (or datahub.server in lineage.yaml, "
                 "or --option server=URL)",
        )
    server = str(server).strip()
    if not re.match(r"^https?://", server):
        raise ConfigError(f"DataHub GMS URL {strip_credentials(server)!r} must start with "
                          "http:// or https://",
                          hint="e.g. lineage audit --source datahub-rest http://localhost:8080"
                          if audit else "e.g. DATAHUB_GMS_URL=http://localhost:8080")
    flaw = url_flaw(server)
    if flaw:
        # requests would refuse it only when the first request is made: exit 3, as if the
        # server had been down, with its own wording ("No host supplied", "Failed to parse")
        raise ConfigError(f"DataHub GMS URL {strip_credentials(server)!r} {flaw}",
                          hint="e.g. lineage audit --source datahub-rest http://localhost:8080"
                          if audit else "e.g. --server http://localhost:8080 (or "
                          "DATAHUB_GMS_URL, or datahub.server in lineage.yaml)")
    raw = options.get("token")
    token: SecretStr | None
    if raw:
        token = raw if isinstance(raw, SecretStr) else SecretStr(str(raw))
    elif cfg is not None and cfg.token is not None:
        token = cfg.token
    elif os.environ.get("DATAHUB_GMS_TOKEN"):
        token = SecretStr(os.environ["DATAHUB_GMS_TOKEN"])
    else:
        token = None
    return RestSettings(
        server=server.rstrip("/"), token=token,
        retries=_opt(options, "retries", int, DEFAULT_RETRIES, least=0),
        backoff=_opt(options, "backoff", float, DEFAULT_BACKOFF, least=0),
        timeout=_opt(options, "timeout", float, DEFAULT_TIMEOUT, above=0),
        openapi=option_flag(options, "openapi"),
        batch_size=_opt(options, "batch_size", int, 100, least=1, most=REST_BATCH_MAX),
        command=command,
    )


def url_flaw(url: str) -> str | None:
    """What makes an http(s) URL unusable before any request (None if nothing does): no host
    (``http://``, ``http://:8080``), a port that is not a number from 1 to 65535, a bracketed
    IPv6 host left open."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL"
        return f"cannot be parsed ({exc})"
    if not parts.hostname:
        return "has no host name"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        given = parts.netloc.rpartition(":")[2]
        return f"has an invalid port {given!r} (a port is a number from 1 to 65535)"
    return None


# -- error mapping ------------------------------------------------------------------------------
def _scrub(text: str, secret: SecretStr | None) -> str:
    text = re.sub(r"(?i)(bearer\s+)\S+", r"\1***", text)
    if secret is not None:
        value = secret.get_secret_value()
        if value:
            text = text.replace(value, "***")
    return " ".join(text.split())


def _status_of(exc: BaseException) -> int | None:
    """HTTP status behind an emitter error, following the exception chain."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 6:
        resp = getattr(cur, "response", None)
        if resp is not None and getattr(resp, "status_code", None):
            return int(resp.status_code)
        info = getattr(cur, "info", None)
        if isinstance(info, dict) and isinstance(info.get("status"), int):
            return int(info["status"])
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(out) < 8:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _server_message(exc: BaseException) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict) and info.get("message"):
        return str(info["message"])
    return str(getattr(exc, "message", "") or exc)


def _response_of(exc: BaseException) -> Any:
    """The HTTP answer behind an emitter error (requests' ``HTTPError.response``), if any."""
    for cur in _chain(exc):
        resp = getattr(cur, "response", None)
        if resp is not None and getattr(resp, "status_code", None):
            return resp
    return None


def _foreign_answer(resp: Any) -> bool:
    """Whether an HTTP answer has a body that is not JSON, as no GMS answer is (Rest.li and
    OpenAPI bodies, errors included): an HTML page. An empty body tells nothing."""
    if not getattr(resp, "content", b""):
        return False
    try:
        resp.json()
    except Exception:
        return True
    return False


def _content_type(resp: Any) -> str:
    return str(resp.headers.get("Content-Type") or "no content type").split(";")[0].strip()


def _asked(resp: Any, settings: RestSettings) -> str:
    """``METHOD /path`` of the request an answer is to, the path relative to the server URL."""
    import urllib.parse

    req = getattr(resp, "request", None)
    method = getattr(req, "method", None) or "GET"
    path = urllib.parse.urlsplit(str(getattr(resp, "url", "") or "")).path
    base = urllib.parse.urlsplit(settings.server).path.rstrip("/")
    if base and path.startswith(base):
        path = path[len(base):]
    return f"{method} {path or '/'}"


def not_gms_hint(settings: RestSettings) -> str:
    where = "the LOCATION argument of `lineage audit --source datahub-rest URL`, else " \
            "DATAHUB_GMS_URL, else datahub.server in lineage.yaml" \
        if settings.command == "audit" else \
        "--server, else DATAHUB_GMS_URL, else datahub.server in lineage.yaml"
    return (f"give the URL of GMS itself ({where}): often http://HOST:8080, or the "
            "frontend's http://HOST:9002/api/gms; not the DataHub UI, nor a proxy or login "
            "page in front of it")


def not_gms(settings: RestSettings, resp: Any) -> SinkError:
    """An answer that is no GMS's: an HTML page (a web server, a proxy's login page, the UI)."""
    return SinkError(f"{settings.shown_url} answered {_asked(resp, settings)} with something "
                     f"that is not DataHub GMS (HTTP {resp.status_code}, "
                     f"{_content_type(resp)})", hint=not_gms_hint(settings))


def _timeout_kind(chain: Sequence[BaseException]) -> str | None:
    """"read" when the server took the connection and sent no answer in time, "connect" when
    no connection was made in time; None for any other failure. requests raises its Timeout
    classes, or, once urllib3's retries are used up, a ConnectionError around MaxRetryError
    whose ``reason`` is urllib3's timeout."""
    import requests
    from urllib3.exceptions import (
        ConnectTimeoutError,
        MaxRetryError,
        NewConnectionError,
        ReadTimeoutError,
    )

    for e in chain:
        found: list[Any] = [e, *e.args]
        found += [a.reason for a in e.args if isinstance(a, MaxRetryError)]
        for x in found:
            # (urllib3's NewConnectionError, a refused connection or an unknown host, is a
            # ConnectTimeoutError by class: requests does not take it for a timeout either)
            if isinstance(x, (requests.exceptions.ConnectTimeout, ConnectTimeoutError)) \
                    and not isinstance(x, NewConnectionError):
                return "connect"
            if isinstance(x, (requests.exceptions.ReadTimeout, ReadTimeoutError)):
                return "read"
    return None


def _retried(chain: Sequence[BaseException]) -> bool:
    from urllib3.exceptions import MaxRetryError

    return any(isinstance(x, MaxRetryError) for e in chain for x in (e, *e.args))


# GMS's StructuredPropertiesValidator, for a value of a property it holds no definition of
_NO_DEFINITION = re.compile(r"Unexpected null value found for (urn:li:structuredProperty:\S+?)"
                            r" Structured Property Definition")


def classify(exc: BaseException, settings: RestSettings,
             mcps: Sequence[MetadataChangeProposalWrapper] = ()) -> SinkError:
    """Turn an emitter/requests failure into a one-line SinkError without the token."""
    import requests

    url = settings.shown_url
    audit = settings.command == "audit"
    status = _status_of(exc)
    chain = _chain(exc)
    msg = _scrub(_server_message(exc), settings.token)
    if status in (401, 403):
        return _auth_error(settings, status)
    timeout = _timeout_kind(chain)
    if timeout == "read" and status is None:
        tries = f" ({settings.retries + 1} attempts)" if _retried(chain) else ""
        return SinkError(
            f"DataHub GMS at {url} took the connection but did not answer within "
            f"{settings.timeout:g} s{tries}",
            hint=f"a busy or starting GMS may need longer: --option timeout=SECONDS (now "
                 f"{settings.timeout:g}); else check the GMS URL (the LOCATION argument: "
                 "`lineage audit --source datahub-rest URL`, else DATAHUB_GMS_URL, else "
                 "datahub.server in lineage.yaml): is GMS listening there?" if audit else
                 f"a busy or starting GMS may need longer: --option timeout=SECONDS (now "
                 f"{settings.timeout:g}); else check the server URL (--server, else "
                 "DATAHUB_GMS_URL, else datahub.server in lineage.yaml): is GMS listening "
                 "there? Nothing unacknowledged was recorded as pushed")
    if any(isinstance(e, requests.exceptions.RetryError) for e in chain) or (
            status in TRANSIENT):
        m = re.search(r"too many (\d{3}) error", msg)
        code = m.group(1) if m else (str(status) if status else "errors")
        return SinkError(
            f"DataHub GMS at {url} kept answering {code} after {settings.retries} retries",
            hint="GMS is overloaded or restarting; run the audit again later" if audit else
                 "GMS is overloaded or restarting; nothing unacknowledged was recorded as "
                 "pushed, run the same push again later",
        )
    resp = _response_of(exc)
    if status == 413:  # a proxy in front of GMS (nginx: 1 MB by default) or GMS itself
        return SinkError(
            f"DataHub GMS at {url}, or a proxy in front of it, refused a request this large "
            f"(HTTP 413)",
            hint="raise the proxy's limit on request bodies (nginx: client_max_body_size), "
                 "or read less at once" if audit else
                 f"send smaller requests: --option batch_size=N (now {settings.batch_size}), "
                 "or raise the proxy's limit on request bodies (nginx: client_max_body_size)")
    if resp is not None and status is not None and _foreign_answer(resp):
        return not_gms(settings, resp)
    if status is not None and 400 <= status < 500 and audit:
        return SinkError(f"DataHub GMS at {url} refused to be read (HTTP {status}): {msg}",
                         hint=settings.url_hint)
    missing = _NO_DEFINITION.search(msg) if status == 422 else None
    if missing:
        # lineage sends the definitions before any value using them, and remembers what it
        # sent: a GMS without one lost it (a reset, a restore, a clean-up) since a push
        where = _culprit(msg, mcps)
        return SinkError(f"DataHub GMS at {url} rejected {where} (HTTP 422): it holds no "
                         f"definition of the structured property {missing.group(1)}",
                         hint="lineage pushed that definition to this GMS before: DataHub "
                              "was probably reset, restored or cleaned since; push everything "
                              "again with `lineage push --to datahub-rest --full` (what GMS "
                              "refused was not recorded as pushed)")
    if status is not None and 400 <= status < 500:
        where = _culprit(msg, mcps)
        return SinkError(f"DataHub GMS at {url} rejected {where} (HTTP {status}): {msg}",
                         hint="this is a bug in the rendered metadata or a DataHub version "
                              "without that aspect; report it with the output of `lineage -v push`")
    if status is not None:
        return SinkError(f"DataHub GMS at {url} answered HTTP {status}: {msg}",
                         hint="see the GMS logs")
    if any(isinstance(e, requests.exceptions.SSLError) for e in chain):
        return SinkError(f"TLS handshake with DataHub GMS at {url} failed",
                         hint="check the certificate, or that the URL scheme is right")
    if timeout == "connect":
        return SinkError(f"cannot reach DataHub GMS at {url}: no connection within "
                         f"{settings.timeout:g} s", hint=settings.url_hint)
    if any(isinstance(e, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                          ConnectionError, TimeoutError)) for e in chain) or (
            "Max retries exceeded" in msg or "Connection refused" in msg):
        return SinkError(f"cannot reach DataHub GMS at {url}", hint=settings.url_hint)
    return SinkError(f"{'reading' if audit else 'push to'} DataHub GMS at {url} failed: {msg}",
                     hint=settings.url_hint)


def _culprit(msg: str, mcps: Sequence[MetadataChangeProposalWrapper]) -> str:
    """Name the entity/aspect a 4xx is about: from the message, else the batch's only MCP."""
    for mcp in mcps:
        if mcp.entityUrn and mcp.entityUrn in msg and (mcp.aspectName or "") in msg:
            return f"{mcp.aspectName} of {mcp.entityUrn}"
    m = re.search(r"aspect (\w+) for entity (\w+)", msg)
    if m:
        hits = [x for x in mcps if x.aspectName == m.group(1) and x.entityType == m.group(2)]
        if hits:
            return f"{hits[0].aspectName} of {hits[0].entityUrn}"
    if len(mcps) == 1:
        return f"{mcps[0].aspectName} of {mcps[0].entityUrn}"
    return f"a batch of {len(mcps)} proposals"


# -- connecting -------------------------------------------------------------------------------
def connect_gms(settings: RestSettings, *, reader: bool = False) -> Any:
    """A client of the GMS ``settings`` names, checked before anything is sent or read: the
    DataHubRestEmitter the push sends with, or (``reader=True``) the DataHubGraph `lineage
    audit --source datahub-rest` reads with (a subclass of it, same session and retries).

    One path for both commands: the session's retries tuned (:func:`_tune`), ``GET /config``
    asked once (:func:`_probe`), then the emitter's own ``test_connection``; an unreachable
    server, one that is not GMS, one that never answers within ``settings.timeout`` and a
    refused token are each one :class:`SinkError` line (exit 3), with the hints of the
    command asking (``settings.command``)."""
    from datahub.configuration.common import ConfigurationError

    s = settings
    token = s.token.get_secret_value() if s.token else None
    try:
        em: Any
        if reader:
            from datahub.ingestion.graph.client import DataHubGraph
            from datahub.ingestion.graph.config import DatahubClientConfig

            em = DataHubGraph(DatahubClientConfig(
                server=s.server, token=token, timeout_sec=s.timeout, retry_max_times=s.retries,
                retry_status_codes=list(TRANSIENT), openapi_ingestion=False))
        else:
            from datahub.emitter.rest_emitter import DataHubRestEmitter

            em = DataHubRestEmitter(s.server, token=token, timeout_sec=s.timeout,
                                    retry_max_times=s.retries,
                                    retry_status_codes=list(TRANSIENT),
                                    openapi_ingestion=s.openapi)
    except ConfigurationError as exc:
        raise SinkError(f"DataHub GMS URL {s.shown_url} is not usable: "
                        f"{_scrub(str(exc), s.token)}", hint=s.url_hint) from None
    except Exception as exc:  # (pydantic's refusal of the client settings)
        raise classify(exc, s) from None
    try:
        _tune(em, s)
        _probe(em, s)
        _test_connection(em, s)
    except BaseException:
        em.close()
        raise
    return em


def _tune(em: Any, s: RestSettings) -> None:
    """The session's Retry is urllib3's public API: tune its backoff, and stop it from
    retrying a refused connection four times with growing sleeps (429 and 5xx keep their
    retries). The emitter mounts requests' HTTPAdapter (the one adapter with a Retry);
    another has none to tune."""
    from requests.adapters import HTTPAdapter

    for prefix in ("http://", "https://"):
        adapter = em.session.get_adapter(prefix)
        if isinstance(adapter, HTTPAdapter):
            adapter.max_retries = adapter.max_retries.new(
                backoff_factor=s.backoff, connect=min(1, s.retries))


def _probe(em: Any, s: RestSettings) -> None:
    """``GET /config``, as the emitter's ``test_connection`` asks it, read here first: the
    emitter takes any 200 for JSON ("Expecting value") and lets urllib3 ask again, with
    growing sleeps, a server that took the connection and never answers (five times the
    timeout). Asked once (a refused connection once more), a failure says what answered, or
    that nothing did within the timeout. A JSON answer is left to ``test_connection``."""
    from requests.adapters import HTTPAdapter

    adapters = {id(a): a for a in (em.session.get_adapter(p) for p in ("http://", "https://"))
                if isinstance(a, HTTPAdapter)}
    saved = {k: a.max_retries for k, a in adapters.items()}
    for a in adapters.values():  # (read=False: a read timeout is raised as it happened)
        a.max_retries = a.max_retries.new(read=False)
    try:
        res = em.session.get(f"{em._gms_server}/config", timeout=s.timeout)
    except Exception as exc:
        raise classify(exc, s) from None
    finally:
        for k, a in adapters.items():
            a.max_retries = saved[k]
    if res.status_code in (401, 403):
        raise _auth_error(s, res.status_code) from None
    if res.status_code not in TRANSIENT and (_foreign_answer(res) or (
            res.status_code == 200 and not res.content)):
        raise not_gms(s, res) from None


def _test_connection(em: Any, s: RestSettings) -> None:
    """The emitter's own check of ``GET /config`` (a frontend's JSON, a status it refuses),
    its ConfigurationError said in one line."""
    from datahub.configuration.common import ConfigurationError

    try:
        em.test_connection()
    except ConfigurationError as exc:
        text = str(exc)
        if "authentication error" in text or "status_code: 401" in text \
                or "status_code: 403" in text:
            m = re.search(r"status_code: (40[13])", text)
            raise _auth_error(s, int(m.group(1)) if m else None) from None
        if "frontend service" in text:
            raise SinkError(f"{s.shown_url} is the DataHub frontend, not GMS",
                            hint="use http://HOST:8080 (GMS) or http://HOST:9002/api/gms"
                            ) from None
        m = re.search(r"status_code: (\d{3})", text)
        if m:
            raise SinkError(f"DataHub GMS at {s.shown_url} answered HTTP {m.group(1)} to GET "
                            "/config", hint=s.url_hint) from None
        raise classify(exc, s) from None
    except Exception as exc:
        raise classify(exc, s) from None


# -- transports ---------------------------------------------------------------------------------
class RestTransport:
    """acryl-datahub's DataHubRestEmitter, configured for batched Rest.li ingestion.

    ``send`` posts one ``ingestProposalBatch`` per call (the base batches; the emitter would
    split only batches over its 15 MB / 200-MCP limits). 429 and 5xx are retried by the
    emitter's session with exponential backoff; connection failures are retried at most once
    so that a wrong URL fails fast. ``open`` checks the server first (:func:`connect_gms`, as
    `lineage audit --source datahub-rest` does).
    """

    def __init__(self, settings: RestSettings) -> None:
        self.settings = settings
        self._emitter: Any = None

    def open(self) -> None:
        if self._emitter is None:
            self._emitter = connect_gms(self.settings)

    def send(self, mcps: Sequence[MetadataChangeProposalWrapper]) -> None:
        """One Rest.li batch; structured property definitions in a request of their own
        first: GMS checks a value against the definitions it holds when the request arrives
        (``StructuredPropertiesValidator``), so a definition sent in the same batch as a
        value using it is not there yet and the whole batch is refused."""
        if not mcps:
            return
        defs = [m for m in mcps if m.aspectName == "propertyDefinition"]
        if defs and len(defs) < len(mcps):
            self._send(defs)
            self._send([m for m in mcps if m.aspectName != "propertyDefinition"])
        else:
            self._send(mcps)

    def _send(self, mcps: Sequence[MetadataChangeProposalWrapper]) -> None:
        self.open()
        try:
            self._emitter.emit_mcps(list(mcps))
        except Exception as exc:
            err = classify(exc, self.settings, mcps)
            status = _status_of(exc)
            if status in (400, 422) and len(mcps) > 1:
                err = self._find_rejected(mcps, err)
            raise err from None

    def _find_rejected(self, mcps: Sequence[MetadataChangeProposalWrapper],
                       batch_err: SinkError) -> SinkError:
        """GMS rejects a batch as a whole: send its MCPs one by one to name the bad one.

        The ones GMS accepts are upserts it would have taken anyway; the base still keeps the
        whole batch as unsent, and re-sending them next time changes nothing.
        """
        for mcp in mcps:
            try:
                self._emitter.emit_mcp(mcp)
            except Exception as exc:
                return classify(exc, self.settings, [mcp])
        return batch_err

    def held(self, urn: str, aspect: str) -> dict[str, Any] | None:
        """The aspect GMS holds for ``urn`` (``GET /aspects/{urn}?aspect=…&version=0``, as
        ``DataHubGraph.get_aspect`` reads it); None when it holds none."""
        import urllib.parse

        self.open()
        em = self._emitter
        url = (f"{em._gms_server}/aspects/{urllib.parse.quote(urn, safe='')}"
               f"?aspect={urllib.parse.quote(aspect)}&version=0")
        try:
            res = em.session.get(url, timeout=self.settings.timeout)
        except Exception as exc:
            raise classify(exc, self.settings) from None
        if res.status_code == 404:
            return None
        if res.status_code in (401, 403):
            raise _auth_error(self.settings, res.status_code) from None
        if res.status_code != 200:
            raise SinkError(f"DataHub GMS at {self.settings.shown_url} answered HTTP "
                            f"{res.status_code} to reading {aspect} of {urn}",
                            hint="check that GMS is up, and the token") from None
        got = (res.json() or {}).get("aspect") or {}
        value = next(iter(got.values()), None) if isinstance(got, dict) else None
        return value if isinstance(value, dict) else None

    def close(self) -> None:
        if self._emitter is not None:
            try:
                self._emitter.close()
            finally:
                self._emitter = None


@dataclass
class KafkaSettings:
    bootstrap: str
    schema_registry_url: str
    producer_config: dict[str, Any]
    schema_registry_config: dict[str, Any]
    topic_mcp: str | None = None
    # seconds the broker and the schema registry have to answer before anything is produced,
    # and a message has to be acknowledged once produced (see delivery_timeout)
    timeout: float = DEFAULT_KAFKA_TIMEOUT

    @property
    def delivery_timeout(self) -> float:
        """Seconds a produced message may wait for the broker's acknowledgement before the
        producer gives it up: ``producer.message.timeout.ms`` (or its alias
        ``producer.delivery.timeout.ms``) when given, else ``timeout``. librdkafka's own
        default is 300 s, and acryl's flush waits as long (``max_queue_full_block_seconds``):
        a broker dying in the middle of a push held it five minutes."""
        for key in DELIVERY_KEYS:
            raw = self.producer_config.get(key)
            try:
                ms = float(raw) if raw not in (None, "") else None
            except (TypeError, ValueError):  # (librdkafka refuses it when the producer is made)
                ms = None
            if ms is not None and math.isfinite(ms) and ms > 0:
                return ms / 1000
        return self.timeout

    def emitter_config(self) -> dict[str, Any]:
        producer = dict(self.producer_config)
        if not any(k in producer for k in DELIVERY_KEYS):
            producer["message.timeout.ms"] = max(1, round(self.timeout * 1000))
        conn: dict[str, Any] = {"bootstrap": self.bootstrap,
                                "schema_registry_url": self.schema_registry_url,
                                "producer_config": producer}
        if self.schema_registry_config:
            conn["schema_registry_config"] = self.schema_registry_config
        # how long a flush (and a produce on a full queue) waits: every message is
        # acknowledged or given up by then, and librdkafka has said which (it looks for
        # messages past their timeout about once a second)
        out: dict[str, Any] = {"connection": conn, "max_queue_full_block_seconds":
                               self.delivery_timeout + FLUSH_MARGIN}
        if self.topic_mcp:
            out["topic_routes"] = {"MetadataChangeProposal": self.topic_mcp}
        return out

    @property
    def shown_registry(self) -> str:
        """The schema registry URL(s) fit for a message: credentials removed."""
        return ",".join(strip_credentials(u.strip()) for u in self.schema_registry_url.split(","))

    def secrets(self) -> list[str]:
        """Values no message may show: passwords, secrets and tokens of the producer and
        registry settings, and credentials written into the registry URL."""
        out: list[str] = []
        for key, value in {**self.producer_config, **self.schema_registry_config}.items():
            if _SECRET_KEY.search(key) and value not in (None, ""):
                out.append(str(value))
                if key.endswith("user.info"):  # USER:PASSWORD
                    out.append(str(value).partition(":")[2])
        for url in self.schema_registry_url.split(","):
            userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
            out += [userinfo, userinfo.partition(":")[2]] if userinfo else []
        return sorted({x for x in out if len(x) >= 3}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return " ".join(text.split())


# librdkafka's names of a message's time to be acknowledged (``delivery.timeout.ms`` is the
# alias Java's producer has), as producer.* options give them
DELIVERY_KEYS = ("message.timeout.ms", "delivery.timeout.ms")
FLUSH_MARGIN = 2.0  # seconds a flush waits past the delivery timeout for librdkafka's reports
_SECRET_KEY = re.compile(r"(?i)password|secret|token|user\.info|credential|key\.pem")
# librdkafka's log, handed to Python logging (the producers' ``logger``) instead of written to
# stderr: one line per failed connection attempt, several a second while a broker is down.
# Under ``lineage``'s NullHandler it is shown only where a handler is added (``lineage -v``).
KAFKA_LOG = logging.getLogger("lineage.kafka")
HINT_BOOTSTRAP = "--option bootstrap=HOST:PORT (else KAFKA_BOOTSTRAP_SERVER)"
HINT_REGISTRY = "--option schema_registry_url=URL (else KAFKA_SCHEMAREGISTRY_URL)"


def kafka_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("confluent_kafka") is not None


def bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``(host, port)`` of each server of a bootstrap list (``host:port,…``; a protocol
    prefix such as ``SASL_SSL://`` and ``[IPv6]`` hosts allowed; port 9092 when none is
    given, as librdkafka takes it). ValueError names an entry that is none."""
    out: list[tuple[str, int]] = []
    for raw in bootstrap.split(","):
        item = raw.strip()
        if not item:
            continue
        hostport = item.rpartition("://")[2]
        if hostport.startswith("["):
            host, close, tail = hostport[1:].partition("]")
            if not close or (tail and not tail.startswith(":")):
                raise ValueError(item)
            port_text = tail[1:]
        elif hostport.count(":") <= 1:
            host, _, port_text = hostport.partition(":")
        else:
            raise ValueError(item)
        try:
            port = int(port_text) if port_text else 9092
        except ValueError:
            raise ValueError(item) from None
        if not host or "/" in host or not 1 <= port <= 65535:
            raise ValueError(item)
        out.append((host, port))
    if not out:
        raise ValueError(bootstrap)
    return out


def kafka_settings(options: dict[str, Any] | None = None) -> KafkaSettings:
    """Kafka connection: options bootstrap / schema_registry_url (else DataHub's env vars
    KAFKA_BOOTSTRAP_SERVER / KAFKA_SCHEMAREGISTRY_URL), producer.* / schema_registry.* extras,
    topic (MetadataChangeProposal_v1 by default) and timeout (seconds, default 10)."""
    options = options or {}
    if not kafka_available():
        raise ConfigError("push target 'datahub-kafka' is disabled: the 'confluent_kafka' "
                          "package is not installed", hint="pip install 'lineage[kafka]'")
    bootstrap = options.get("bootstrap") or os.environ.get("KAFKA_BOOTSTRAP_SERVER")
    registry = options.get("schema_registry_url") or os.environ.get("KAFKA_SCHEMAREGISTRY_URL")
    if not bootstrap:
        raise ConfigError("no Kafka bootstrap server for --to datahub-kafka",
                          hint="--option bootstrap=broker:9092 or KAFKA_BOOTSTRAP_SERVER")
    if not registry:
        raise ConfigError("no schema registry URL for --to datahub-kafka",
                          hint="--option schema_registry_url=http://registry:8081 or "
                               "KAFKA_SCHEMAREGISTRY_URL")
    try:
        bootstrap_addresses(str(bootstrap))
    except ValueError as exc:
        raise ConfigError(f"Kafka bootstrap server {str(exc)!r} is not HOST:PORT (a port "
                          "is a number from 1 to 65535)",
                          hint="e.g. --option bootstrap=broker:9092 (or "
                               "KAFKA_BOOTSTRAP_SERVER=broker:9092); several: "
                               "b1:9092,b2:9092") from None
    for url in str(registry).split(","):
        url = url.strip()
        flaw = url_flaw(url) if re.match(r"^https?://", url) else \
            "must start with http:// or https://"
        if flaw:
            raise ConfigError(f"schema registry URL {strip_credentials(url)!r} {flaw}",
                              hint="e.g. --option schema_registry_url=http://registry:8081 "
                                   "(or KAFKA_SCHEMAREGISTRY_URL)")
    producer = {k.removeprefix("producer."): v for k, v in options.items()
                if k.startswith("producer.")}
    sr = {k.removeprefix("schema_registry."): v for k, v in options.items()
          if k.startswith("schema_registry.")}
    s = KafkaSettings(str(bootstrap), str(registry), producer, sr, options.get("topic"),
                      timeout=_opt(options, "timeout", float, DEFAULT_KAFKA_TIMEOUT, above=0))
    from datahub.emitter.kafka_emitter import KafkaEmitterConfig

    try:
        KafkaEmitterConfig.model_validate(s.emitter_config())
    except Exception as exc:
        raise ConfigError(f"Kafka settings for --to datahub-kafka are not valid: "
                          f"{s.scrub(str(exc))}",
                          hint="see docs/datahub-remote.md#kafka") from None
    return s


class _LastLog(logging.Handler):
    """Keeps the last failure librdkafka logged (why a broker was not reached): a warning or
    error, or a ``FAIL`` line (a dropped connection is logged as information)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.failed: str | None = None  # the last FAIL line: a connection and its fate
        self.other: str | None = None  # else the last warning ("1/1 brokers are down")

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("FAIL "):
            self.failed = text
        elif record.levelno >= logging.WARNING:
            self.other = text

    @property
    def last(self) -> str | None:
        return self.failed or self.other


def _librdkafka_reason(line: str) -> str:
    """The cause in a librdkafka log line: ``FAIL [rdkafka#producer-1] [thrd:…]: host:9092/
    bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state
    CONNECT)`` → ``Connect to ipv4#127.0.0.1:9092 failed: Connection refused``."""
    text = line.rpartition("]: ")[2] if "]: " in line else line
    text = re.sub(r"^\S+/(?:bootstrap|\d+): ", "", text)
    text = re.sub(r"\s*\((?:after \d+ms in state \w+|\d+ identical error\(s\) suppressed)\)",
                  "", text)
    return text.strip()


def _socket_reason(exc: BaseException, timeout: float) -> str:
    import socket

    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return f"no connection within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)) or type(exc).__name__


class KafkaTransport:
    """acryl-datahub's DatahubKafkaEmitter: each batch is produced, then flushed, and counts
    as acknowledged only when every delivery callback reported success.

    Before anything is produced, ``open`` checks that the broker and the schema registry
    answer, within ``timeout`` seconds: otherwise the first message would wait a minute for
    the Kafka cluster id (confluent-kafka's Avro serializer asks the broker for it before it
    asks the registry), and fail as a serialization error that names neither.

    Structured property definitions go first, on their own: produced, flushed, and every
    delivery acknowledged by the broker before any other MCP of the batch is produced, as the
    REST transport sends them in a request of their own. DataHub keys each message by its
    entity urn, so a definition and a value using it are in different partitions, which
    Kafka does not order; produced together, the value could be appended before its
    definition. That the broker holds the definitions first is all a producer can make sure
    of: DataHub's consumer may still read another partition first (docs/datahub-remote.md)."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._emitter: Any = None
        self._log = _LastLog()
        self._level = logging.NOTSET

    def open(self) -> None:
        if self._emitter is not None:
            return
        from datahub.emitter.kafka_emitter import DatahubKafkaEmitter, KafkaEmitterConfig

        s = self.settings
        cfg = s.emitter_config()
        # librdkafka logs through Python logging, not onto stderr (a -o producer.logger
        # cannot be given: an option is a string)
        cfg["connection"]["producer_config"] = {"logger": KAFKA_LOG,
                                                **cfg["connection"]["producer_config"]}
        KAFKA_LOG.addHandler(self._log)
        self._level = KAFKA_LOG.level
        if KAFKA_LOG.getEffectiveLevel() > logging.INFO:
            KAFKA_LOG.setLevel(logging.INFO)  # (for _LastLog; shown nowhere without -v)
        try:
            self._emitter = DatahubKafkaEmitter(KafkaEmitterConfig.model_validate(cfg))
        except Exception as exc:
            self.close()
            raise SinkError(f"cannot set up the Kafka producer for {s.bootstrap}: "
                            f"{s.scrub(str(exc))}",
                            hint=f"check {HINT_BOOTSTRAP}, {HINT_REGISTRY} and the "
                                 "producer.* / schema_registry.* options") from None
        try:
            self._check()
        except BaseException:
            self.close()
            raise

    # -- the check before producing ------------------------------------------------------
    def _check(self) -> None:
        """Raise a one-line SinkError unless the broker and the schema registry answer."""
        import concurrent.futures

        s = self.settings
        addresses = bootstrap_addresses(s.bootstrap)
        with concurrent.futures.ThreadPoolExecutor(len(addresses) + 1) as pool:
            registry = pool.submit(self._registry_problem)
            tcp = [pool.submit(self._connect, a) for a in addresses]
            refused = [r for r in (f.result() for f in tcp) if r is not None]
            broker: str | None
            if len(refused) == len(addresses):  # no server of the list takes a connection
                broker = "; ".join(sorted(set(refused)))
            else:
                broker = self._metadata_problem()
            registry_problem = registry.result()
        if broker:
            for producer in self._emitter.producers.values():
                producer.poll(0)  # (what librdkafka logged meanwhile: shown with lineage -v)
        slow = [p for p in (broker, registry_problem and registry_problem[1])
                if p and "within" in p]
        longer = f"; a slow network may need a longer --option timeout=SECONDS (now " \
                 f"{s.timeout:g})" if slow else ""
        at_broker = f"the Kafka broker(s) at {s.bootstrap} ({broker})"
        kind, why = registry_problem or (None, "")
        at_registry = f"the schema registry at {s.shown_registry} ({why})"
        if broker and kind == "unreachable":
            raise SinkError(f"reached neither {at_broker} nor {at_registry}: nothing was "
                            "produced",
                            hint=f"check {HINT_BOOTSTRAP} and {HINT_REGISTRY}, and that both "
                                 f"are up{longer}")
        if broker:
            raise SinkError(f"cannot reach {at_broker}: nothing was produced",
                            hint=f"check {HINT_BOOTSTRAP} and that the broker is up; a "
                                 "broker with TLS or SASL also needs its producer.* options "
                                 f"(producer.security.protocol, producer.sasl.…){longer}")
        if kind == "unreachable":
            raise SinkError(f"cannot reach {at_registry}: nothing was produced",
                            hint=f"check {HINT_REGISTRY} and that the registry is up (`curl "
                                 f"URL/subjects`){longer}")
        if kind == "auth":
            raise SinkError(f"the schema registry at {s.shown_registry} refused the "
                            f"credentials ({why}): nothing was produced",
                            hint="check --option schema_registry.basic.auth.user.info=USER:"
                                 "PASSWORD (with schema_registry.basic.auth.credentials."
                                 "source=USER_INFO), or the registry's bearer settings")
        if kind == "foreign":
            raise SinkError(f"{s.shown_registry} answered GET /subjects with something that "
                            f"is not a schema registry ({why}): nothing was produced",
                            hint=f"give the URL of Confluent's schema registry API "
                                 f"({HINT_REGISTRY}; often http://HOST:8081, or DataHub's "
                                 "own at http://GMS:8080/schema-registry/api/), not of a "
                                 "proxy or login page in front of it")

    def _connect(self, address: tuple[str, int]) -> str | None:
        """None when a TCP connection to the server is made within the timeout, else why
        not: a broker nobody listens for is told at once, without librdkafka's retries."""
        import socket

        host, port = address
        try:
            socket.create_connection((host, port), timeout=self.settings.timeout).close()
        except OSError as exc:
            return f"{host}:{port}: {_socket_reason(exc, self.settings.timeout)}" \
                if "," in self.settings.bootstrap else \
                _socket_reason(exc, self.settings.timeout)
        return None

    def _metadata_problem(self) -> str | None:
        """Ask the broker for the cluster's metadata, through the emitter's producer (its
        protocol, TLS and SASL settings): None when it answered within the timeout."""
        from confluent_kafka import KafkaError, KafkaException

        producers = self._emitter.producers
        producer = producers.get("MetadataChangeProposal") or next(iter(producers.values()))
        timeout = self.settings.timeout
        try:
            producer.list_topics(timeout=timeout)
        except KafkaException as exc:
            producer.poll(0)  # (hands librdkafka's queued log lines to the logger)
            err = exc.args[0] if exc.args else None
            last = _librdkafka_reason(self._log.last) if self._log.last else ""
            code = err.code() if isinstance(err, KafkaError) else None
            if code in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT,
                        KafkaError._ALL_BROKERS_DOWN):
                why = f"no answer within {timeout:g} s"
            else:
                why = err.str() if isinstance(err, KafkaError) else str(exc)
            return self.settings.scrub(f"{why}: {last}" if last and last not in why else why)
        return None

    def _registry_problem(self) -> tuple[str, str] | None:
        """Ask the schema registry for its subjects (``GET /subjects``) with the emitter's
        registry settings, once: None when it answered as a registry, else (kind, why) with
        kind "unreachable", "auth" or "foreign" (an answer that is not the registry's JSON)."""
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        s = self.settings
        try:
            client = SchemaRegistryClient({"url": s.schema_registry_url,
                                           **s.schema_registry_config,
                                           "timeout": s.timeout, "max.retries": 0})
        except Exception:  # (the emitter made one with these settings: not expected)
            return None
        try:
            client.get_subjects()
        except SchemaRegistryError as exc:
            status = exc.http_status_code
            if status in (401, 403):
                return "auth", f"HTTP {status}"
            if exc.error_code == -1:  # the body was not the registry's JSON
                return "foreign", f"HTTP {status}"
            return None  # the registry's own error: it is there
        except ValueError:  # a 2xx body that is not JSON
            return "foreign", "HTTP 200, not JSON"
        except Exception as exc:  # httpx's transport errors (the client's own httpx build)
            names = {c.__name__ for c in type(exc).__mro__}
            cause = next((e for e in _chain(exc)[1:] if isinstance(e, OSError)), None)
            if "TimeoutException" in names or isinstance(cause, TimeoutError):
                return "unreachable", f"no answer within {s.timeout:g} s"
            if cause is not None:
                return "unreachable", s.scrub(_socket_reason(cause, s.timeout))
            return "unreachable", s.scrub(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()
        return None

    # -- producing ------------------------------------------------------------------------
    def send(self, mcps: Sequence[MetadataChangeProposalWrapper]) -> None:
        if not mcps:
            return
        defs = [m for m in mcps if m.aspectName == "propertyDefinition"]
        if defs and len(defs) < len(mcps):
            # the definitions acknowledged before any value is produced (see the class)
            self._produce(defs, "structured property definitions")
            self._produce([m for m in mcps if m.aspectName != "propertyDefinition"])
        else:
            self._produce(mcps)

    def _produce(self, mcps: Sequence[MetadataChangeProposalWrapper], what: str = "messages"
                 ) -> None:
        """Produce ``mcps``, flush, and raise unless the broker acknowledged every one."""
        from confluent_kafka import KafkaError

        self.open()
        errors: list[Any] = []
        delivered = 0

        def callback(err: Any, msg: Any) -> None:
            nonlocal delivered
            if err is not None:
                errors.append(err)
            else:
                delivered += 1

        s = self.settings
        try:
            for mcp in mcps:
                self._emitter.emit(mcp, callback)
            # (bounded by max_queue_full_block_seconds: the delivery timeout and a margin;
            # what is still queued then was not delivered, though no callback said so)
            left = self._emitter.flush_with_undelivered_count()
        except Exception as exc:
            raise self._produce_error(exc) from None
        if not errors and delivered >= len(mcps):
            return
        missing = f"Kafka at {s.bootstrap}: {len(mcps) - delivered} of {len(mcps)} {what} " \
                  "not delivered"
        timed_out = left or any(isinstance(e, KafkaError) and
                                e.code() == KafkaError._MSG_TIMED_OUT for e in errors)
        if timed_out:
            # the broker stopped acknowledging (died, unreachable, hung): say why librdkafka
            # could not reach it, if it said
            for producer in self._emitter.producers.values():
                producer.poll(0)
            why = _librdkafka_reason(self._log.last) if self._log.last else ""
            given = next((k for k in DELIVERY_KEYS if k in s.producer_config), None)
            longer = f"--option producer.{given}=MS (now {s.producer_config[given]})" \
                if given else f"--option timeout=SECONDS (now {s.timeout:g})"
            raise SinkError(f"{missing}: not acknowledged within {s.delivery_timeout:g} s"
                            + (f" ({s.scrub(why)})" if why else ""),
                            hint=f"check that the broker is up and that {HINT_BOOTSTRAP} "
                                 f"names it; a slow broker may need longer: {longer}; what "
                                 "was not acknowledged was not recorded as pushed: run the "
                                 "push again, it resumes")
        first = errors[0] if errors else None
        text = first.str() if isinstance(first, KafkaError) else str(first or "")
        raise SinkError(f"{missing} ({s.scrub(text)})" if text else missing,
                        hint="check the broker and topic; what was not acknowledged was not "
                             "recorded as pushed: run the push again, it resumes")

    def _produce_error(self, exc: Exception) -> SinkError:
        """A message the producer would not take: its serializer (the schema registry) failed,
        or the producer's queue stayed full."""
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.serialization import SerializationError

        s = self.settings
        err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
        text = s.scrub(err.str() if isinstance(err, KafkaError) else str(exc) or
                       type(exc).__name__)
        if isinstance(exc, SerializationError) or (isinstance(err, KafkaError) and err.code() in (
                KafkaError._VALUE_SERIALIZATION, KafkaError._KEY_SERIALIZATION)):
            return SinkError(f"a message could not be serialized for Kafka with the schema "
                             f"registry at {s.shown_registry}: {text}",
                             hint=f"check {HINT_REGISTRY} and the broker ({HINT_BOOTSTRAP}); "
                                  "nothing unacknowledged was recorded as pushed, run the push "
                                  "again")
        if isinstance(exc, BufferError):
            return SinkError(f"the Kafka producer's queue for {s.bootstrap} stayed full: the "
                             "broker stopped taking messages",
                             hint="check the broker; nothing unacknowledged was recorded as "
                                  "pushed, run the push again")
        return SinkError(f"producing to Kafka at {s.bootstrap} failed: {text}",
                         hint=f"check the broker ({HINT_BOOTSTRAP}) and the schema registry "
                              f"({HINT_REGISTRY}); run the push again")

    def close(self) -> None:
        """Let the producers go, without the emitter's own close (a flush of up to the
        delivery bound again): what they still hold was never acknowledged, was not recorded
        as pushed, and is dropped here rather than delivered behind the push's back."""
        if self._emitter is not None:
            for producer in self._emitter.producers.values():
                try:
                    producer.purge()
                    producer.poll(0)
                except Exception:  # noqa: BLE001 (a producer librdkafka already gave up)
                    pass
            self._emitter = None
        if self._log in KAFKA_LOG.handlers:
            KAFKA_LOG.removeHandler(self._log)
            KAFKA_LOG.setLevel(self._level)


# -- the push targets --------------------------------------------------------------------------
class _TransportSink(DataHubSinkBase):
    """A DataHub target reached through a transport (open → send batches → close).

    Subclasses say how to read their settings (``destination``) and which transport to open.
    """

    settings: Any = None
    transport: Any = None

    def _transport(self) -> Any:
        raise NotImplementedError

    def _open(self, ctx: PushContext) -> None:
        if self.settings is None:
            self.destination(ctx)
        self.transport = self._transport()
        self.transport.open()

    def _write(self, mcps: list[MetadataChangeProposalWrapper]) -> None:
        assert self.transport is not None
        self.transport.send(mcps)

    def _held_aspect(self, urn: str, aspect: str) -> dict[str, Any] | None:
        held = getattr(self.transport, "held", None)  # Kafka is write-only
        got = held(urn, aspect) if held is not None else None
        return got if isinstance(got, dict) else None

    def _held_properties(self, urn: str, aspect: str) -> dict[str, str] | None:
        got = self._held_aspect(urn, aspect)
        props = got.get("customProperties") if isinstance(got, dict) else None
        return props if isinstance(props, dict) else None

    def _close(self, ok: bool) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


class DataHubRestSink(_TransportSink):
    """``lineage push --to datahub-rest``: a DataHub GMS over Rest.li (``ingestProposalBatch``).

    Options (``--option KEY=VALUE``): ``server``, ``token`` (or ``--server`` / ``--token``),
    ``retries`` (default 4), ``backoff`` (seconds, default 2), ``timeout`` (seconds, 30),
    ``batch_size`` (MCPs per request, default 100, at most 200), ``openapi=true`` (OpenAPI v3
    ingestion instead of Rest.li). The remembered state is per GMS URL.
    """

    name: ClassVar[str] = "datahub-rest"
    batch_size: ClassVar[int] = 100
    option_keys: ClassVar[tuple[str, ...]] = (
        "backoff", "batch_size", "full", "lowercase_urns", "openapi", "remove_stale",
        "replace_records", "retries", "server", "timeout", "token")
    settings: RestSettings | None = None

    def destination(self, ctx: PushContext) -> str:
        self.settings = rest_settings(ctx.options, ctx.config)
        self.batch_size = self.settings.batch_size  # type: ignore[misc]
        return self.settings.shown_url

    def _transport(self) -> RestTransport:
        assert self.settings is not None
        return RestTransport(self.settings)


class DataHubKafkaSink(_TransportSink):
    """``lineage push --to datahub-kafka``: MCPs produced to DataHub's Kafka topic.

    Needs the ``kafka`` extra (``pip install 'lineage[kafka]'``: confluent-kafka). Options:
    ``bootstrap``, ``schema_registry_url`` (else ``KAFKA_BOOTSTRAP_SERVER`` /
    ``KAFKA_SCHEMAREGISTRY_URL``), ``topic``, ``producer.<librdkafka key>``,
    ``schema_registry.<key>``, ``timeout`` (seconds the broker and the schema registry have to
    answer before anything is produced, default 10). A batch counts as pushed once every
    message was delivered.
    """

    name: ClassVar[str] = "datahub-kafka"
    batch_size: ClassVar[int] = 500
    option_keys: ClassVar[tuple[str, ...]] = (
        "batch_size", "bootstrap", "full", "lowercase_urns", "producer.", "remove_stale",
        "schema_registry.", "schema_registry_url", "timeout", "topic")
    settings: KafkaSettings | None = None

    def destination(self, ctx: PushContext) -> str:
        self.settings = kafka_settings(ctx.options)
        self.batch_size = option_batch_size(ctx, type(self).batch_size)  # type: ignore[misc]
        return f"kafka://{self.settings.bootstrap}/{self.settings.topic_mcp or 'default'}"

    def _transport(self) -> KafkaTransport:
        assert self.settings is not None
        return KafkaTransport(self.settings)


__all__ = ["DataHubKafkaSink", "DataHubRestSink", "KafkaSettings", "KafkaTransport",
           "RestSettings", "RestTransport", "classify", "connect_gms", "kafka_settings",
           "rest_settings"]
