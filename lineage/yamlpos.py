"""Where a field sits in a YAML file, and which value YAML cannot build: the line to name in
an error about it."""

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


def bad_scalar(node: Any, loc: tuple[Any, ...] = (), loader: Any = None
               ) -> tuple[tuple[Any, ...], Any, str] | None:
    """The first scalar PyYAML resolves to a value it then cannot build (an unquoted
    ``2026-02-30`` is a date that does not exist; ``!!int x``): (its location, the node, why).
    ``yaml.safe_load`` would raise a bare ValueError without a line for it."""
    import yaml

    loader = loader or yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            hit = bad_scalar(k, loc, loader) or bad_scalar(v, (*loc, k.value), loader)
            if hit is not None:
                return hit
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            hit = bad_scalar(v, (*loc, i), loader)
            if hit is not None:
                return hit
    elif isinstance(node, yaml.ScalarNode):
        try:
            loader.construct_object(node)
        except yaml.YAMLError:
            return None  # safe_load reports it with its line
        except (ValueError, OverflowError) as exc:
            return loc, node, str(exc)
        except Exception:  # an explicit tag on a value of another shape
            return loc, node, f"not a {node.tag.rsplit(':', 1)[-1]}"
    return None
