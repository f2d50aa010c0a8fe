"""Stable node identities (DESIGN §3, "Identities").

Ids are built only from facts every source can see, never from harvest order or row ids, so
the same fact harvested twice, on two machines, or by two connectors lands on one node.
Every id starts with its node kind and a colon.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from lineage.serialize import utc_iso

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")


def normalize_repo_url(url: str) -> str:
    """``https://user:tok@GitHub.com/Org/Repo.git`` → ``github.com/Org/Repo``.

    No scheme, no user or password, no ``.git``, no trailing slash, lower-case host. scp-like
    ``git@github.com:org/repo.git`` gives the same answer as the https form.
    """
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.port and parts.scheme not in ("ssh", "git", "http", "https"):
            host = f"{host}:{parts.port}"
        path = parts.path
        if parts.scheme == "file" or not host:
            host, path = "", parts.path
    else:
        m = _SCP_LIKE.match(url)
        if m and not url.startswith("/") and not re.match(r"^[A-Za-z]:\\", url):
            host, path = m.group("host").lower(), m.group("path")
        else:
            host, path = "", url
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    path = path.lstrip("/")
    return f"{host}/{path}" if host else path


_SECRET_PARAM = re.compile(
    r"(?i)^(?:.*(?:sig|signature|token|secret|passw(?:or)?d|credential|auth)|key|pwd|pw|pass|"
    r"passphrase|jwt|.*(?:api|access|private|account|shared[-_]?access)[-_]?key|"
    r".*(?:token|secret|passw(?:or)?d|credentials?)[-_.][A-Za-z0-9_.-]*)$")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*(?::[A-Za-z][A-Za-z0-9+.-]*)*$")  # jdbc:mysql
# Oracle's thin driver: ``jdbc:oracle:thin:user/password@host:1521:sid`` (no ``//``)
_ORACLE_THIN = re.compile(r"(?i)^(jdbc:oracle:[a-z0-9]+:)[^@/]*/[^@]*@")
# a host (and port) that may follow a password holding an unencoded ``/``, ``?``, ``#``, ``@``
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)(?::\d*)?(?:,(?:\[[0-9A-Fa-f:.]+\]|"
                   r"[A-Za-z0-9._~%-]+)(?::\d*)?)*$")
# a host that certainly names a server: a port, a dotted name ending in letters, an IP address,
# localhost; a password cut short by an unencoded ``/`` leaves a single label (``etl:p@ss/…``)
_SERVER = re.compile(r"(?i)^(?:[^:,]+:\d+|(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+){3}"
                     r"|\[[0-9A-Fa-f:.]+\](?::\d+)?|localhost)(?:,.*)?$")
# a version (``pkg@1.0``), not a host: digits and dots that are no IPv4 address
_VERSION = re.compile(r"^(?!\d+(?:\.\d+){3}(?::\d*)?$)[\d.]+(?::\d*)?$")
# schemes whose user part is no user but a storage container (``abfss://raw@acct.dfs…``)
_CONTAINER_SCHEMES = frozenset({"abfs", "abfss", "wasb", "wasbs"})
# SQL Server's secret properties after ``;`` (``;password=…``, ``;pwd=…``, ``;accessToken=…``):
# the value runs to the next ``;`` (a ``/``, ``?`` or ``#`` in it is part of it), or is ``{…}``
_SEMICOLON_SECRET = re.compile(
    r"(?i);(\s*(?:[^;=/?#]*(?:passw(?:or)?d|secret|token)|pwd)\s*)=(\{[^}]*\}?|[^;]*)")


def strip_credentials(url: str) -> str:
    """Remove what a URL must not carry into the store or output: ``user:password@`` and the
    values of query (and fragment) parameters that hold secrets (signed-URL signatures and
    credentials, SAS ``sig``, ``token``, ``api_key`` …; replaced by ``REDACTED``).

    Database URLs as people write them are covered too: JDBC URLs (``jdbc:postgresql://…``,
    Oracle's ``jdbc:oracle:thin:user/password@host``), SQL Server's ``;password=…``
    properties, and a password holding ``/``, ``?``, ``#`` or ``@`` unencoded
    (``postgres://etl:p/w@db:5432``), where the URL's grammar would end the user part early
    and keep the rest of the password as host or path.

    Everything else stays as written: the URL is cut and rebuilt by hand, not by ``urllib``,
    which writes ``sqlite://u:p@/x.db`` as ``sqlite:/x.db``, normalizes ports and rejects what
    it cannot parse. One exception: when the credentials are cut the host is lower-cased (hosts
    are case-insensitive), as it always was, so ids built from scrubbed URLs — an import-url
    dependency's data node, an Atlas push — stay what stores hold. Identity normalization of
    repositories is :func:`normalize_repo_url`'s. A URL with nothing to remove is returned
    unchanged.
    """
    oracle = _ORACLE_THIN.match(url)
    if oracle:
        return oracle.group(1) + "@" + strip_credentials(url[oracle.end():]) \
            if "://" in url[oracle.end():] else oracle.group(1) + "@" + url[oracle.end():]
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME.match(scheme):
        return url
    if ";" in rest:
        rest = _SEMICOLON_SECRET.sub(lambda m: f";{m.group(1)}=REDACTED", rest)
    at = _userinfo_end(rest)
    if at >= 0 and scheme.lower() in _CONTAINER_SCHEMES and ":" not in rest[:at]:
        at = -1  # the container, with no secret: kept, and the host is kept as written
    cut = min((i for i in (rest.find(c, at + 1) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[at + 1:cut], rest[cut:]
    if at >= 0:
        host, semi, props = authority.partition(";")
        authority = host.lower() + semi + props
    tail, hash_, fragment = tail.partition("#")
    path, q, query = tail.partition("?")
    return (f"{scheme}://{authority}{path}{q}{_redact_params(query) if q else ''}"
            f"{hash_}{_redact_params(fragment) if '=' in fragment else fragment}")


# a URL inside free text (an error message, a command line, a reason), and Oracle's thin URL,
# which has no ``://`` before its credentials
_URL_IN_TEXT = re.compile(r"(?i)jdbc:oracle:[a-z0-9]+:[^@/\s]*/[^@\s]*@[^\s'\"<>`]*"
                          r"|[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


# a secret written KEY=VALUE in text: ADO.NET's ``Password=…;``, Azure Storage's
# ``AccountKey=…``, libpq's ``password=…``, a command's ``--password=…``
_KEY_VALUE_SECRET = re.compile(
    r"(?i)(?<![\w.-])((?:--?)?(?:[\w.-]*(?:passw(?:or)?d|passphrase|secret|token|"
    r"api[-_]?key|account[-_]?key|access[-_]?key|shared[-_]?access[-_]?key|credentials?)|pwd|"
    r"pw|pass|jwt))(\s*=\s*)('[^']*'|\"[^\"]*\"|\{[^}]*\}|[^\s;&'\"]+)")


def strip_credentials_in_text(text: str) -> str:
    """``text`` with every URL in it passed through :func:`strip_credentials`, and every
    secret written ``KEY=VALUE`` (a connection string without ``://``: ADO.NET's
    ``Password=…;``, Azure Storage's ``AccountKey=…``, libpq's ``password=…``; a command's
    ``--password=…``) with its value ``REDACTED``."""
    if "://" in text or "@" in text:
        text = _URL_IN_TEXT.sub(lambda m: strip_credentials(m.group()), text)
    if "=" in text:
        text = _KEY_VALUE_SECRET.sub(
            lambda m: m.group(0) if m.group(3) == "REDACTED"
            else f"{m.group(1)}{m.group(2)}REDACTED", text)
    return text


def _userinfo_end(rest: str) -> int:
    """The index of the ``@`` that ends the user part of ``rest`` (a URL after ``://``), else
    -1. By the URL grammar the authority ends at the first ``/``, ``?`` or ``#``; a password
    holding one of those unencoded is still a password, and the user part then reaches a later
    ``@`` followed by a host:

    * the authority holds no ``@`` but a ``user:`` part that cannot be ``host:port``
      (``etl:p/w@db``, ``etl:pa#w@db``);
    * the authority's host after its ``@`` is a single label without a port (``etl:p@ss/w@db``)
      and a later ``@`` before the query and fragment is followed by a host: a server's name,
      or any host when the password would hold one ``/`` at most.

    A path or fragment after a server's name keeps its ``@`` (``…@host.example.com/churn@v2``,
    ``#note_alice@example.com``)."""
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    first = rest[:cut]
    at = first.rfind("@")
    if at >= 0:
        if ":" not in first[:at] or _SERVER.match(first[at + 1:].partition(";")[0]):
            return at
        ends = [i for i in (rest.find(c, cut) for c in "?#") if i >= 0]
        limit = min(ends, default=len(rest))
    else:
        _user, colon, after = first.partition(":")
        if not colon or after.isdigit() or first.startswith("[") or "@" not in rest[cut:]:
            return -1
        limit = len(rest)  # the password may hold the '?' and '#' too
    later = rest.rfind("@", cut, limit)
    while later > cut:
        end = min((i for i in (rest.find(c, later + 1) for c in "/?#") if i >= 0),
                  default=len(rest))
        host = rest[later + 1:end].partition(";")[0]
        # after a single-label host, a server's name, or a password holding one '/' at most
        # (``etl:s@c/ret@db``); ``u:p@nexus/repo/pkg@1.0`` stays a path
        if (_SERVER.match(host) if at >= 0 and rest.count("/", cut, later) > 1
                else _HOST.match(host) and not _VERSION.match(host)):
            return later
        later = rest.rfind("@", cut, later)
    return at


def _redact_params(query: str) -> str:
    fields = query.split("&")
    return "&".join(f"{name}=REDACTED" if sep and _SECRET_PARAM.match(unquote(name)) else f
                    for f in fields for name, sep, _ in (f.partition("="),))


def repository_id(remote_url: str | None, root_commit: str | None = None) -> str:
    if remote_url:
        return f"repository:{normalize_repo_url(remote_url)}"
    if root_commit:
        return f"repository:root:{root_commit}"
    raise ValueError("a repository needs a remote URL or a root commit")


def repo_key(repo_id: str) -> str:
    """The part of a repository id that other ids embed."""
    return repo_id.removeprefix("repository:")


_ROOT_NAME = re.compile(r"^root:(?P<sha>[0-9a-f]{40}|[0-9a-f]{64})$")


def root_commit_of(repo: str) -> str | None:
    """The commit a repository id or key of the form ``root:<sha>`` names the repository by
    (its root commit: the name it has without a remote), else None (a URL, ``local``)."""
    m = _ROOT_NAME.match(repo_key(repo).lower())
    return m.group("sha") if m else None


def commit_id(sha: str) -> str:
    return f"commit:{sha.lower()}"


def data_id(repo: str, path: str, content_hash: str | None) -> str:
    """repo: repository id or key; path relative to the repo root; hash like ``md5:…``."""
    return f"data:{repo_key(repo)}:{path}@{content_hash or 'unversioned'}"


def stage_id(repo: str, dvc_yaml: str, name: str, lock_hash: str) -> str:
    return f"stage:{repo_key(repo)}:{dvc_yaml}:{name}@{lock_hash}"


def run_id(source: str, native_id: str) -> str:
    return f"run:{source}:{native_id}"


def model_group_id(name: str) -> str:
    return f"model_group:{name}"


def model_id(group: str, version: str) -> str:
    return f"model:{group}@{version}"


def deployment_id(group: str, environment: str, deployed_at: datetime | str) -> str:
    """``deployment:<group>:<environment>:<time>``; a datetime is written in UTC with ``Z``,
    as GTO's tag times (and every time lineage stores) are, so a record of a deployment GTO
    made is GTO's node."""
    at = utc_iso(deployed_at) if isinstance(deployed_at, datetime) else deployed_at
    return f"deployment:{group}:{environment}:{at}"


def legacy_deployment_id(group: str, environment: str, deployed_at: datetime) -> str:
    """The id a deployment record without ``id:`` had before deployment ids wrote UTC with
    ``Z`` (``…+00:00``): stores written then hold it."""
    at = deployed_at if deployed_at.tzinfo is not None else deployed_at.replace(tzinfo=UTC)
    return f"deployment:{group}:{environment}:{at.astimezone(UTC).isoformat()}"


def record_id(kind: str, given: str | None, content: bytes | None = None) -> str:
    """Id of a governance record: its own id when it has one, else the hash of its content."""
    if given:
        return f"{kind}:{given}"
    if content is None:
        raise ValueError("a record without an id needs its content to derive one")
    return f"{kind}:{hashlib.sha256(content).hexdigest()[:16]}"


def short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]
