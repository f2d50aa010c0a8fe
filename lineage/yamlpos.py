"""Where a field sits in a YAML file: the line to name in an error about it."""

from __future__ import annotations

from typing import Any


def line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at ``loc`` in the composed document ``root`` (the
    deepest part of ``loc`` that exists: for a key that is not there, its parent's line)."""
    import yaml

    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(part):
                    nxt, line = v, k.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
