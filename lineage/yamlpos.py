"""Where a field sits in a YAML file, which value YAML cannot build, and which key a file gives
twice: the line to name in an error about it.

A key given twice is refused wherever lineage reads a file a person writes (``lineage.yaml``,
governance records, the audit policy): YAML and JSON readers keep the last value silently, so
an approval saying ``approver: alice`` and, further down, ``approver: bob`` would be read as
bob without a word. :func:`key_given_twice` finds it in a composed YAML document,
:func:`json_loads_unique` in JSON that is not YAML; :func:`given_twice` words the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML's stubs type a node's ``value`` as Any (by the node's kind: a str, a list of nodes, a
# list of (key, value) pairs): the functions below say which they read


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at ``loc`` in the composed document ``root`` (the
    deepest part of ``loc`` that exists: for a key that is not there, its parent's line)."""
    import yaml

    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt: yaml.Node | None = None
            pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
            for k, v in pairs:
                if k.value == str(part):
                    nxt, line = v, k.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            items: list[yaml.Node] = node.value
            if part >= len(items):
                return line
            node = items[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def bad_scalar(node: yaml.Node | None, loc: tuple[Any, ...] = (),
               loader: yaml.SafeLoader | None = None
               ) -> tuple[tuple[Any, ...], yaml.ScalarNode, str] | None:
    """The first scalar PyYAML resolves to a value it then cannot build (an unquoted
    ``2026-02-30`` is a date that does not exist; ``!!int x``): (its location, the node, why).
    ``yaml.safe_load`` would raise a bare ValueError without a line for it."""
    import yaml

    loader = loader or yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        for k, v in pairs:
            hit = bad_scalar(k, loc, loader) or bad_scalar(v, (*loc, k.value), loader)
            if hit is not None:
                return hit
    elif isinstance(node, yaml.SequenceNode):
        items: list[yaml.Node] = node.value
        for i, v in enumerate(items):
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


def keys_given_twice(node: yaml.Node | None, loc: tuple[Any, ...] = ()
                     ) -> Iterator[tuple[tuple[Any, ...], int, int]]:
    """Every key a mapping of the composed document ``node`` holds twice, in document order:
    (its location, line of the first, line of the second). The same key in two mappings (two
    items of a list, a mapping and one nested in it) is fine; so is a key overriding a ``<<``
    merge."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        for k, v in pairs:
            if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                line = k.start_mark.line + 1
                if k.value in seen:
                    yield (*loc, k.value), seen[k.value], line
                else:
                    seen[k.value] = line
            yield from keys_given_twice(v, (*loc, getattr(k, "value", "")))
    elif isinstance(node, yaml.SequenceNode):
        items: list[yaml.Node] = node.value
        for i, v in enumerate(items):
            yield from keys_given_twice(v, (*loc, i))


def key_given_twice(node: yaml.Node | None, loc: tuple[Any, ...] = ()
                    ) -> tuple[tuple[Any, ...], int, int] | None:
    """The first key :func:`keys_given_twice` finds, or None."""
    return next(keys_given_twice(node, loc), None)


def given_twice(loc: tuple[Any, ...], first: int) -> str:
    """The error for a key given twice (the file and line of the second go before it)."""
    return f"field {'.'.join(str(p) for p in loc)} given twice (first on line {first})"


class KeyGivenTwice(ValueError):
    """Raised by :func:`json_loads_unique`: ``loc`` (keys and list indexes from the top), the
    line of the first and of the second."""

    def __init__(self, loc: tuple[Any, ...], first: int, line: int) -> None:
        super().__init__(loc, first, line)
        self.loc, self.first, self.line = loc, first, line

    def __str__(self) -> str:  # ``loc`` grows as the error leaves the nested objects
        return f"line {self.line}: {given_twice(self.loc, self.first)}"


def json_loads_unique(text: str) -> Any:
    """``json.loads``, except that a key given twice in one object raises
    :class:`KeyGivenTwice` naming it and its lines (``json`` keeps the last silently).

    For JSON that YAML cannot read (most JSON is YAML, and is checked as YAML with
    :func:`key_given_twice`): the pure-Python scanner, with each value's parse wrapped to see
    the key before it and the path to it."""
    import json
    from json.decoder import JSONArray, JSONObject, scanstring  # type: ignore[attr-defined]
    from json.scanner import py_make_scanner  # type: ignore[attr-defined]

    def line_at(s: str, pos: int) -> int:
        return s.count("\n", 0, pos) + 1

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any,
                     object_hook: Any, object_pairs_hook: Any, memo: Any = None) -> Any:
        s, after = s_and_end
        seen: dict[str, int] = {}  # key -> offset of its opening quote

        def value(s: str, idx: int) -> Any:
            nonlocal after
            # between the end of the last value (or the brace) and this key: blanks and ","
            quote = s.index('"', after)
            key, _ = scanstring(s, quote + 1, strict)
            if key in seen:
                raise KeyGivenTwice((key,), line_at(s, seen[key]), line_at(s, quote))
            seen[key] = quote
            try:
                v, after = scan_once(s, idx)
            except KeyGivenTwice as exc:
                exc.loc = (key, *exc.loc)
                raise
            return v, after

        return JSONObject(s_and_end, strict, value, object_hook, object_pairs_hook, memo)

    def parse_array(s_and_end: tuple[str, int], scan_once: Any) -> Any:
        count = -1

        def item(s: str, idx: int) -> Any:
            nonlocal count
            count += 1
            try:
                return scan_once(s, idx)
            except KeyGivenTwice as exc:
                exc.loc = (count, *exc.loc)
                raise

        return JSONArray(s_and_end, item)

    decoder: Any = json.JSONDecoder()  # its scanner's hooks are not in the stubs
    decoder.parse_object = parse_object
    decoder.parse_array = parse_array
    decoder.scan_once = py_make_scanner(decoder)
    return decoder.decode(text)


# the line break before a top-level item of a YAML list (``- kind: …``), and a document
# marker (``---``) on a line of its own (looked for as text first: a file is read per version)
_ITEM = re.compile(r"\n-(?=[ \t\r\n]|\Z)")
_DOC_MARK = re.compile(r"(?:\A|\n)(?:---|\.\.\.)(?=[ \t\r\n]|\Z)")
# ``&name`` where an anchor may stand (after a blank, a flow indicator or ``:``); a ``&`` in
# a URL's query (``?a=1&b=2``) is not one
_ANCHOR = re.compile(r"(?:\A|[\s\[{,:])&[^\s\]},]")


def top_level_items(text: str) -> list[str] | None:
    """The text of each item of a YAML file that is one list (``- kind: …`` at the start of a
    line, comments before the first), in order, so that the items can be parsed apart (a
    record file of a few hundred thousand records, a slice at a time; a record once however
    many versions of its file hold it); None for any other file (one mapping, several
    documents, fewer than two items). Each item's text runs to the next item (comments and
    blank lines after it included), so the items joined are the file without its head.

    An item may not parse on its own (an alias to an anchor in another item, a quoted text
    holding a line that starts with ``- ``): callers fall back to the whole file then."""
    starts = [m.start() + 1 for m in _ITEM.finditer(text)]
    if text.startswith("-") and _ITEM.match("\n" + text[:2]):
        starts.insert(0, 0)
    if len(starts) < 2 or (("---" in text or "..." in text) and _DOC_MARK.search(text)):
        return None
    head = text[:starts[0]]
    if any(ln.strip() and not ln.lstrip().startswith("#") for ln in head.splitlines()):
        return None  # not a list at the top level (`inputs:` followed by `- path: …`)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def may_hold_anchor(text: str) -> bool:
    """Whether YAML ``text`` may define an anchor (``&name``) — some texts that do not are
    said to (``a &b`` in a plain text), never the other way round. Without one, no part of a
    file refers to another (an alias needs an anchor), so its list items parse apart exactly
    as together."""
    return "&" in text and _ANCHOR.search(text) is not None
