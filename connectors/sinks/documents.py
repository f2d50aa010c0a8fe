"""Where a document record's file is on the repository's host, for every sink alike.

A document record that names a file of the repository (``uri: docs/model_card.md``) pins its
content by hash; the harvest's joins add a DEFINES edge (``by: content_hash``) from the first
commit holding that content at that path. The DataHub and Atlas sinks both show the version
the record pins — the commit and its page ``https://<host>/<org>/<repo>/blob/<sha>/<path>`` —
through these functions, so the two catalogs cannot disagree on it.

Pure functions over anything with LineageGraph's ``predecessors(node, edge_kind)``; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from lineage.model import EdgeKind


class _Predecessors(Protocol):
    def predecessors(self, nid: str, kind: EdgeKind) -> list[str]: ...  # pragma: no cover


def is_url(s: Any) -> bool:
    """Whether ``s`` is a URL with a scheme (``https://``, ``s3://``), not a path."""
    return isinstance(s, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", s) is not None


def web_url(repo_url: str | None) -> str | None:
    """Browsable https URL of a repository remote, if it has a host."""
    if not repo_url:
        return None
    from lineage.ids import normalize_repo_url

    norm = normalize_repo_url(repo_url)
    if "/" not in norm or norm.startswith("/") or "." not in norm.split("/", 1)[0]:
        return None
    return f"https://{norm}"


def repository_web(urls: Iterable[str]) -> str | None:
    """The web page of the store's repository, given the remote URL (else the id) of each
    current repository: None unless there is exactly one web page (known only by its root
    commit there is none; of two repositories, which one holds a file is not known)."""
    webs = {web_url(u) for u in urls}
    return (webs.pop() or None) if len(webs) == 1 else None


def pinned_commit(graph: _Predecessors, document: str) -> str | None:
    """The sha of the first commit holding the content the document record pins (the joins'
    DEFINES edge), None while no harvested commit holds it (or, which no harvest writes,
    more than one is named)."""
    pins = sorted(c.removeprefix("commit:") for c in graph.predecessors(document, EdgeKind.DEFINES)
                  if c.startswith("commit:"))
    return pins[0] if len(pins) == 1 else None


def repository_file_link(web: str | None, uri: Any, commit: str | None = None) -> str | None:
    """The page of a document given as a path in the repository on its host ``web``: at
    ``commit`` (``<web>/blob/<sha>/<path>``), else at the default branch
    (``<web>/blob/HEAD/<path>``: a document not committed when harvested). None for a URL,
    an absolute or escaping path, or without a web page."""
    if not web or not isinstance(uri, str) or not uri or is_url(uri):
        return None
    path = uri.removeprefix("./")
    if path.startswith(("/", "../")) or "/../" in path or "\\" in path:
        return None
    from urllib.parse import quote

    return f"{web}/blob/{commit or 'HEAD'}/{quote(path)}"


__all__ = ["is_url", "pinned_commit", "repository_file_link", "repository_web", "web_url"]
