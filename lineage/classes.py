"""Equivalence classes of ids (union-find): versions joined by ``same_as``, model groups
joined by the versions they share. The audit and the catalog sinks form AI systems with it,
so they group alike."""

from __future__ import annotations

from collections.abc import Iterable


def equivalence_classes(items: Iterable[str],
                        pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The classes of ``items`` and of every id ``pairs`` names, two ids of a pair being in
    one class (transitively): class → its sorted members, keyed by its smallest member."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x in items:
        find(x)
    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    return {root: sorted(ms) for root, ms in members.items()}
