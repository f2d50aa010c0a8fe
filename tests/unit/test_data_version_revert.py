"""The data version in force at a date, or now, when a path went back to an earlier version.

DVC content-addresses data: data/x.csv with content A at C1, B at C2 and A again at C3 is two
versions, A defined by C1 and (again) by C3. The version in force after C3 is A, whatever
``--as-of`` date after C3 is asked for, and B only between C2 and C3.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage import api
from lineage.errors import ConfigError
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind

A, B = "data:repo:data/x.csv@md5:aaaa", "data:repo:data/x.csv@md5:bbbb"


def _commit(sha: str, when: str) -> Node:
    who = {"name": "Ada", "email": "ada@example.com", "time": when}
    return Node.make(NodeKind.COMMIT, f"commit:{sha}", sha=sha, author=who, committer=who,
                     message=sha)


def _graph(*, redefined: bool = True) -> LineageGraph:
    g = LineageGraph()
    g.add([_commit("c1" * 20, "2024-01-01T00:00:00Z"),
           _commit("c2" * 20, "2024-02-01T00:00:00Z"),
           _commit("c3" * 20, "2024-03-01T00:00:00Z"),
           Edge.make(EdgeKind.PARENT, f"commit:{'c1' * 20}", f"commit:{'c2' * 20}"),
           Edge.make(EdgeKind.PARENT, f"commit:{'c2' * 20}", f"commit:{'c3' * 20}"),
           Node.make(NodeKind.DATA, A, path="data/x.csv", hash="md5:aaaa",
                     first_commit="c1" * 20),
           Node.make(NodeKind.DATA, B, path="data/x.csv", hash="md5:bbbb",
                     first_commit="c2" * 20),
           Edge.make(EdgeKind.DEFINES, f"commit:{'c1' * 20}", A),
           Edge.make(EdgeKind.DEFINES, f"commit:{'c2' * 20}", B)])
    if redefined:
        g.add([Edge.make(EdgeKind.DEFINES, f"commit:{'c3' * 20}", A)])
    return g


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize(("as_of", "version"), [
    ("2024-01-15", A), ("2024-02-15", B), ("2024-03-01", A), ("2024-03-15", A), (None, A)])
def test_the_version_in_force_after_a_revert(as_of: str | None, version: str) -> None:
    when = _at(as_of) if as_of else None
    assert api.current_data_version(_graph(), [A, B], as_of=when) == version


def test_without_the_revert_the_later_version_stays() -> None:
    assert api.current_data_version(_graph(redefined=False), [A, B],
                                    as_of=_at("2024-03-15")) == B


def test_before_the_first_version_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no version of data data/x.csv existed"):
        api.current_data_version(_graph(), [A, B], as_of=_at("2023-12-01"))
