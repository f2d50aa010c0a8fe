"""Stable node identities (DESIGN §3, "Identities").

Ids are built only from facts every source can see, never from harvest order or row ids, so
the same fact harvested twice, on two machines, or by two connectors lands on one node.
Every id starts with its node kind and a colon.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import unquote, urlsplit

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
    r"(?i)^(?:.*(?:sig|signature|token|secret|passw(?:or)?d|credential|auth)|key|"
    r"(?:api|access|private)[-_]?key)$")


def strip_credentials(url: str) -> str:
    """Remove what a URL must not carry into the store or output: ``user:password@`` and the
    values of query parameters that hold secrets (signed-URL signatures and credentials, SAS
    ``sig``, ``token``, ``api_key`` …; replaced by ``REDACTED``)."""
    if "://" not in url:
        return url
    parts = original = urlsplit(url)
    if parts.password is not None or parts.username is not None:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    if parts.query:
        fields = parts.query.split("&")
        clean = [f"{name}=REDACTED" if sep and _SECRET_PARAM.match(unquote(name)) else f
                 for f in fields for name, sep, _ in (f.partition("="),)]
        if clean != fields:
            parts = parts._replace(query="&".join(clean))
    # rebuilt only when something was removed: geturl() drops an empty authority
    # ("sqlite:///x.db" would become "sqlite:/x.db")
    return url if parts == original else parts.geturl()


def repository_id(remote_url: str | None, root_commit: str | None = None) -> str:
    if remote_url:
        return f"repository:{normalize_repo_url(remote_url)}"
    if root_commit:
        return f"repository:root:{root_commit}"
    raise ValueError("a repository needs a remote URL or a root commit")


def repo_key(repo_id: str) -> str:
    """The part of a repository id that other ids embed."""
    return repo_id.removeprefix("repository:")


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
    at = deployed_at.isoformat() if isinstance(deployed_at, datetime) else deployed_at
    return f"deployment:{group}:{environment}:{at}"


def record_id(kind: str, given: str | None, content: bytes | None = None) -> str:
    """Id of a governance record: its own id when it has one, else the hash of its content."""
    if given:
        return f"{kind}:{given}"
    if content is None:
        raise ValueError("a record without an id needs its content to derive one")
    return f"{kind}:{hashlib.sha256(content).hexdigest()[:16]}"


def short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]
