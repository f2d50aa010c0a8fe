"""The one place that turns facts into bytes: sorted keys, UTC ISO times, deterministic output.

Hashes in the store and the event log are taken over these bytes, so they must never depend on
dict order, time zone or platform.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _default(obj: Any) -> Any:
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(f"cannot serialize {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, compact, UTC times)."""
    return orjson.dumps(obj, default=_default, option=_OPTS)


def dumps_str(obj: Any) -> str:
    return dumps(obj).decode()


def dumps_pretty(obj: Any) -> str:
    return orjson.dumps(obj, default=_default, option=_OPTS | orjson.OPT_INDENT_2).decode()


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def digest(obj: Any) -> str:
    """sha256 hex of the canonical JSON of ``obj``."""
    return hashlib.sha256(dumps(obj)).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_iso(t: datetime | date | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return t.isoformat()


def parse_time(value: Any) -> datetime | None:
    """A stored time (an ISO 8601 string, ``Z`` allowed, or a datetime) as an aware datetime
    (naive read as UTC); None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)
