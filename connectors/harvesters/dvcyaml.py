"""Fast loader for DVC's YAML files (``dvc.yaml``, ``dvc.lock``, ``*.dvc``).

YAML parsing dominates a DVC harvest: on ~10k distinct blobs PyYAML's C loader takes ~8 s and
``yaml-rs`` ~1.2 s, while reading the blobs out of git takes under a second. DVC writes these
files itself (through ruamel.yaml) in one narrow layout: block mappings and sequences with
2-space indents, ``- path:`` lists, plain scalars, quotes only where needed, long commands
folded over several lines. :func:`scan` is a line scanner for that layout (and for the
hand-written ``dvc.yaml`` files that stay inside it: comments, ``[a, b]`` lists, other indents).

The scanner never guesses. Whenever a line does not fit its grammar it returns :data:`REFUSED`
and :func:`load` falls back to a full parser (``yaml-rs``, then PyYAML). It also refuses plain
scalars whose type differs between YAML 1.1 (PyYAML) and YAML 1.2 (``yaml-rs``, and
ruamel.yaml, which DVC itself uses): ``yes``/``no``/``on``/``off``, ``1e-3``, ``017``,
``1:20``, dates, ``.inf``… So whenever the scanner accepts a document, its result equals
``yaml.safe_load`` *and* the YAML 1.2 reading of it; documents it refuses get the YAML 1.2
reading (``yaml-rs``), which is what DVC sees; what yaml-rs takes and DVC's ruamel.yaml
refuses (a tab outside flow collections, quotes, block scalars and comments, a second
document) is an error.

Refused (fallback) constructs: anchors and aliases, tags, block scalars (``|``, ``>``),
multi-line quoted scalars, plain scalars starting on the line after their key, flow mappings
and nested or quoted flow sequences, complex keys, duplicate keys, document markers and
directives, tabs, non-printable characters, and any indentation YAML would reject.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, TypeAlias, cast

if TYPE_CHECKING:
    import yaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    # a safe loader class: libyaml's when PyYAML has it, else PyYAML's pure-Python one
    _SafeLoader: TypeAlias = type[yaml.CSafeLoader] | type[yaml.SafeLoader]

    class _PurePython(Reader, Scanner, Parser):
        """PyYAML's pure-Python reader, scanner and parser: what :class:`_RuamelTabs` is mixed
        into (at run time a bare mixin: PyYAML is imported only when needed). The methods
        below are those the stubs leave untyped."""

        def scan_line_break(self) -> str: ...
        def get_token(self) -> yaml.Token | None: ...
        def get_event(self) -> yaml.Event | None: ...
else:
    _PurePython = object

__all__ = ["REFUSED", "DvcYamlError", "clear_memo", "load", "scan"]


class _Refused:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED: Any = _Refused()
"""Returned by :func:`scan` when a document does not fit the scanner's grammar."""


class DvcYamlError(ValueError):
    """No parser could read the document. ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Refuse(Exception):
    pass


# -- lines ------------------------------------------------------------------------------------
_BAD_CHARS = re.compile(
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7fe\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_SQ = re.compile(r"'((?:[^']|'')*)'(?: +#.*)? *")
_DQ = re.compile(r'"((?:[^"\\]|\\.)*)"(?: +#.*)? *')
_ESC = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ESCAPES = {
    "\\": "\\", '"': '"', "/": "/", "n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\x07",
    "b": "\x08", "e": "\x1b", "f": "\x0c", "v": "\x0b", " ": " ", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_EMPTY_MAP = re.compile(r"\{ *\}(?: +#.*)? *")
_FLOW_SEQ = re.compile(r"\[([^\[\]{}'\"#:&*!|>%@`?]*)\](?: +#.*)? *")

# -- scalar resolution -------------------------------------------------------------------------
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?")
# anything YAML 1.1 (PyYAML) or YAML 1.2 core would read as a number or a date
_NUMLIKE = re.compile(
    r"""(?:
        [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
      | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
      | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
      | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | 0o[0-7]+ | [-+]?[0-9]+ | [-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
      | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+).*)?
    )""",
    re.X,
)
_NUMSTART = frozenset("-+0123456789.")
_SPECIAL = {
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "null": None, "Null": None, "NULL": None, "~": None,
}
# differ between YAML 1.1 and 1.2, or have no safe constructor: refuse
_AMBIGUOUS = frozenset(
    "yes Yes YES no No NO on On ON off Off OFF << =".split()
)
_SPECIAL_START = frozenset("tTfFnN~yYoO<=")
_BAD_PLAIN_START = frozenset("&*!|>'\"%@`?:,[]{}#")
_BAD_KEY_START = frozenset("&*!|>%@`?:,[]{}#-")
_SQ_KEY = re.compile(r"'((?:[^']|'')*)':(?: +|$)")
_DQ_KEY = re.compile(r'"((?:[^"\\]|\\.)*)":(?: +|$)')


def _plain(v: str) -> Any:
    """Resolve a plain scalar as both YAML 1.1 and 1.2 would, or refuse."""
    c = v[0]
    if c in _NUMSTART:
        if v.isdigit() and v.isascii():
            if c == "0" and len(v) > 1:
                raise _Refuse  # 017: octal in YAML 1.1, decimal in 1.2
            return int(v)
        if c.isdigit() and v.isalnum() and v.isascii() and v[1:2] not in ("b", "x", "o") \
                and v.strip("0123456789eE"):
            return v  # a hex digest and the like: letters other than e, so not a number
        if _INT.fullmatch(v):
            return int(v)
        if _FLOAT.fullmatch(v):
            return float(v)
        if _NUMLIKE.fullmatch(v):
            raise _Refuse
        return v
    if c in _SPECIAL_START:
        if v in _SPECIAL:
            return _SPECIAL[v]
        if v in _AMBIGUOUS:
            raise _Refuse
    return v


def _dq_sub(m: re.Match[str]) -> str:
    e = m.group(1)
    if len(e) == 1:
        try:
            return _ESCAPES[e]
        except KeyError:
            raise _Refuse from None
    code = int(e[1:], 16)
    if 0xD800 <= code <= 0xDFFF:
        raise _Refuse
    return chr(code)


def _value(rest: str) -> tuple[Any, str | None]:
    """Parse the scalar (or one-line flow sequence) after ``key:`` or ``-``.

    Returns (value, plain text or None); a plain scalar may continue on the next lines.
    """
    c = rest[0]
    if c == "'":
        m = _SQ.fullmatch(rest)
        if m is None:
            raise _Refuse
        return m.group(1).replace("''", "'"), None
    if c == '"':
        m = _DQ.fullmatch(rest)
        if m is None:
            raise _Refuse
        s = m.group(1)
        return (_ESC.sub(_dq_sub, s) if "\\" in s else s), None
    if c == "[":
        m = _FLOW_SEQ.fullmatch(rest)
        if m is None:
            raise _Refuse
        inner = m.group(1).strip()
        if not inner:
            return [], None
        items = []
        for item in inner.split(","):
            item = item.strip()
            if not item or item[0] == "-" and (len(item) == 1 or item[1] == " "):
                raise _Refuse
            items.append(_plain(item))
        return items, None
    if c == "{":
        if _EMPTY_MAP.fullmatch(rest):
            return {}, None
        raise _Refuse
    if c in _BAD_PLAIN_START or c == "-" and (len(rest) == 1 or rest[1] == " "):
        raise _Refuse
    i = rest.find(" #")
    if i >= 0:
        rest = rest[:i]
    rest = rest.rstrip(" ")
    if ": " in rest or rest[-1] == ":":
        raise _Refuse
    # a comment ends a plain scalar: no plain text, so a following line cannot continue it
    return _plain(rest), (rest if i < 0 else None)


def _key(raw: str) -> Any:
    c = raw[0]
    if c == "'":
        return raw[1:-1].replace("''", "'")
    if c == '"':
        s = raw[1:-1]
        return _ESC.sub(_dq_sub, s) if "\\" in s else s
    raw = raw.rstrip(" ")
    if " #" in raw:
        raise _Refuse
    return _plain(raw)


def _continuation(text: str) -> str:
    """A line that continues a multi-line plain scalar, stripped; refuse anything unusual."""
    text = text.strip(" ")
    # inside a plain scalar only ": " and " #" are special; "- " is refused to stay clear of
    # anything that reads like a block entry
    if text[0] == "-" and (len(text) == 1 or text[1] == " "):
        raise _Refuse
    if ": " in text or " #" in text or text[-1] == ":":
        raise _Refuse
    return text


def scan(data: str | bytes) -> Any:
    """Parse a DVC-written YAML document, or return :data:`REFUSED`.

    ``None`` is a valid result (an empty document), hence the sentinel.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return REFUSED
    if data.isascii():
        # ASCII: printable, newlines and CR only (no tab, no control character)
        if not data.replace("\n", "").replace("\r", "").isprintable() and data:
            return REFUSED
    elif "\t" in data or _BAD_CHARS.search(data):
        return REFUSED
    if "\r" in data:
        data = data.replace("\r\n", "\n")
        if "\r" in data:
            return REFUSED
    try:
        return _scan(data.split("\n"))
    except _Refuse:
        return REFUSED


def _split_key(s: str) -> tuple[str | None, str]:
    """Split ``key: rest`` (or ``key:``) into (raw key, rest); (None, s) when not a key line."""
    c = s[0]
    if c == "'" or c == '"':
        m = (_SQ_KEY if c == "'" else _DQ_KEY).match(s)
        if m is None:
            return None, s
        return s[: m.end(1) + 1], s[m.end():].lstrip(" ")
    i = s.find(": ")
    if i < 0:
        if s[-1] == ":":
            return s[:-1], ""
        return None, s
    return s[:i], s[i + 2:].lstrip(" ")


class _Mark:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_BLANK: Any = _Mark("BLANK")  # blank or comment line
_NOKEY: Any = _Mark("NOKEY")  # "- value" / "-" line
_BARE: Any = _Mark("BARE")  # a line with no key and no dash: only valid as a continuation
_PENDING: Any = _Mark("PENDING")  # "key:" / "-" with the value on the following lines

# line → token, shared by all documents: a DVC history repeats most of its lines
# ("    deps:", "      hash: md5", "    - path: data/x"), so most lines are tokenized once
_MEMO: dict[str, Any] = {}
# "<indent>[- ]key" → (indent, dash width, key): for lines whose value is new ("md5: <hex>")
_PREFIX: dict[str, tuple[int, int, Any]] = {}
_MEMO_LIMIT = 100_000


def clear_memo() -> None:
    """Forget memoized lines (benchmarks; memory)."""
    _MEMO.clear()
    _PREFIX.clear()


def _tokenize(line: str) -> Any:
    """One line → ``(indent, dash width, key, value, plain text)``, independent of context."""
    s = line.lstrip(" ")
    if not s or s[0] == "#":
        return _BLANK
    ind = len(line) - len(s)
    dash = 0
    if s[0] == "-" and (len(s) == 1 or s[1] == " "):
        rest = s[1:].lstrip(" ")
        dash = len(s) - len(rest)
        if not rest or rest[0] == "#":
            return (ind, dash, _NOKEY, _PENDING, None)
        key, after = _split_key(rest)
        if key is None:
            if rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                raise _Refuse  # "- - x": nested sequence on one line
            v, plain = _value(rest)
            return (ind, dash, _NOKEY, v, plain)
        rest = after
    else:
        key, rest = _split_key(s)
        if key is None:
            return (ind, 0, _BARE, None, s)
    if not key or key[0] in _BAD_KEY_START or " #" in key:
        raise _Refuse
    k = _key(key)
    if key[0] != "'" and key[0] != '"' and rest:
        # remember "<indent>[- ]key" so that other lines with this key skip the work above
        i = line.find(": ")
        if len(_PREFIX) < _MEMO_LIMIT:
            _PREFIX[line[:i]] = (ind, dash, k)
    if not rest or rest[0] == "#":
        return (ind, dash, k, _PENDING, None)
    v, plain = _value(rest)
    return (ind, dash, k, v, plain)


def _tokenize_value(pre: tuple[int, int, Any], rest: str) -> Any:
    ind, dash, k = pre
    if rest.isalnum():  # no space, quote, comment or indicator: a plain scalar as it is
        return (ind, dash, k, _plain(rest), rest)
    rest = rest.lstrip(" ")
    if not rest or rest[0] == "#":
        return (ind, dash, k, _PENDING, None)
    v, plain = _value(rest)
    return (ind, dash, k, v, plain)


def _scan(lines: list[str]) -> Any:
    # the current block: indent, container, is a sequence, is an indentless sequence
    # ("key:\n- a" with the dash at the key's column); parents on ``stack``
    cur_ind = -1
    cur_c: Any = None
    cur_seq = False
    cur_il = False
    stack: list[tuple[int, Any, bool, bool]] = []
    root: Any = None
    # pending block value: (container, key or index, indent of the key/dash, parent is map)
    pending: tuple[Any, Any, int, bool] | None = None
    # the last scalar set (its token and container): a plain one may continue on next lines
    last: Any = None
    last_c: Any = None
    parts: list[str] | None = None
    memo = _MEMO
    memo_get = memo.get
    prefix_get = _PREFIX.get
    tokenize = _tokenize
    tokenize_value = _tokenize_value
    n = len(lines)
    skip = 0
    for idx, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        tok = memo_get(line)
        if tok is None:
            i = line.find(": ")
            pre = prefix_get(line[:i]) if i > 0 else None
            tok = tokenize(line) if pre is None else tokenize_value(pre, line[i + 2:])
            if len(memo) < _MEMO_LIMIT and (tok is _BLANK or type(tok[3]) not in (list, dict)):
                memo[line] = tok
        if tok is _BLANK:
            last = None  # a blank or comment line ends a multi-line plain scalar
            continue
        ind, dash, key, v, plain = tok
        if key is _BARE:
            # continues the plain scalar of the line before, if more indented than its block
            if last is None or last[4] is None:
                raise _Refuse
            nokey = last[2] is _NOKEY
            if ind <= last[0] + (0 if nokey else last[1]):
                raise _Refuse
            if parts is None:
                parts = [last[4]]
            parts.append(_continuation(plain))
            last_c[len(last_c) - 1 if nokey else last[2]] = _plain(" ".join(parts))
            continue
        if parts is not None:
            parts = None
        if pending is not None:
            pc, pk, pind, pmap = pending
            pending = None
            if ind > pind:
                stack.append((cur_ind, cur_c, cur_seq, cur_il))
                cur_ind, cur_seq, cur_il = ind, bool(dash), False
                cur_c = [] if dash else {}
                pc[pk] = cur_c
            elif ind == pind and dash and pmap:
                stack.append((cur_ind, cur_c, cur_seq, cur_il))
                cur_ind, cur_c, cur_seq, cur_il = ind, [], True, True
                pc[pk] = cur_c
        if ind != cur_ind or (cur_il and not dash):
            if cur_c is None:
                if root is not None:
                    raise _Refuse
                cur_ind, cur_seq, cur_il = ind, bool(dash), False
                root = cur_c = [] if dash else {}
            else:
                while cur_ind > ind or (cur_il and cur_ind == ind and not dash):
                    if not stack:
                        raise _Refuse
                    cur_ind, cur_c, cur_seq, cur_il = stack.pop()
                if cur_ind != ind or cur_c is None:
                    raise _Refuse
        if dash:
            if not cur_seq:
                raise _Refuse
            seq = cur_c
            if key is _NOKEY:
                if v is _PENDING:
                    seq.append(None)
                    pending = (seq, len(seq) - 1, ind, False)
                    last = None
                    continue
                if type(v) is list:
                    v = list(v)
                elif type(v) is dict:
                    v = {}
                seq.append(v)
                last = tok
                last_c = seq
                continue
            # "- key: value": a mapping whose keys sit at the column after the dash
            mapping: Any = {}
            seq.append(mapping)
            stack.append((cur_ind, cur_c, cur_seq, cur_il))
            cur_ind, cur_c, cur_seq, cur_il = ind + dash, mapping, False, False
            ind = cur_ind
        elif cur_seq:
            raise _Refuse
        else:
            mapping = cur_c
        if key in mapping:
            raise _Refuse  # duplicate key: PyYAML keeps the last, others reject
        if v is _PENDING:
            mapping[key] = None
            pending = (mapping, key, ind, True)
            last = None
            continue
        mapping[key] = v
        last = tok
        last_c = mapping
        if dash and key == "path":
            # DVC's hash entry ("- path: …" then "hash: md5", "md5: …", "size: …",
            # "nfiles: …" at the key's column): read the following lines by exact prefix
            skip = _hash_entry(lines, idx + 1, n, ind, mapping)
            if skip:
                last = None  # a continuation line after the entry is refused, not guessed
    return root


_ENTRY_PREFIXES: dict[int, tuple[str, str, str, str]] = {}


def _hash_entry(lines: list[str], j: int, n: int, col: int, mapping: dict[Any, Any]) -> int:
    """Read the lines of a DVC hash entry after its ``- path:`` line; returns how many."""
    pre = _ENTRY_PREFIXES.get(col)
    if pre is None:
        pad = " " * col
        pre = _ENTRY_PREFIXES[col] = (pad + "hash: md5", pad + "md5: ", pad + "size: ",
                                      pad + "nfiles: ")
    hash_line, md5_pre, size_pre, nfiles_pre = pre
    start = j
    if j < n and lines[j] == hash_line:
        mapping["hash"] = "md5"
        j += 1
    if j >= n or not lines[j].startswith(md5_pre) or "md5" in mapping:
        return j - start
    val = lines[j][col + 5:]
    if val.isalnum() and val.isascii():
        mapping["md5"] = _plain(val)
    elif val[-4:] == ".dir" and val[:-4].isalnum() and val[:-4].isascii():
        mapping["md5"] = val
    else:
        return j - start
    j += 1
    if j >= n or not lines[j].startswith(size_pre):
        return j - start
    val = lines[j][col + 6:]
    if not (val.isdigit() and val.isascii()) or (val[0] == "0" and val != "0"):
        return j - start
    mapping["size"] = int(val)
    j += 1
    if j >= n or not lines[j].startswith(nfiles_pre):
        return j - start
    val = lines[j][col + 8:]
    if not (val.isdigit() and val.isascii()) or (val[0] == "0" and val != "0"):
        return j - start
    mapping["nfiles"] = int(val)
    return j + 1 - start


# -- full parsers ------------------------------------------------------------------------------
_LINE_RE = re.compile(r"line (\d+)")
# characters YAML forbids that yaml-rs lets through: such a document goes to PyYAML, which
# rejects it with a line number
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


# a plain (unquoted) merge key: ``<<: *base`` or ``- <<: [*a, *b]``
_MERGE_KEY = re.compile(r"^[ \t]*(?:-[ \t]+)*<<[ \t]*:", re.MULTILINE)


def _merged(v: Any) -> Any:
    """Merge keys (``<<``) applied as ruamel.yaml (DVC's parser) and PyYAML apply them, for
    yaml-rs, which reads YAML 1.2 and keeps ``<<`` as an ordinary key: the mapping's own keys
    first and winning, then those of the merged mappings (in a list, the first one wins)."""
    if isinstance(v, list):
        return [_merged(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {k: _merged(x) for k, x in v.items() if k != "<<"}
    if "<<" in v:
        src = _merged(v["<<"])
        for m in src if isinstance(src, list) else [src]:
            if not isinstance(m, dict):
                raise DvcYamlError("not valid YAML: a merge key (<<) needs a mapping or a "
                                   "list of mappings", None)
            for k, x in m.items():
                out.setdefault(k, x)
    return out


_STRICT: dict[bool, _SafeLoader] = {}


def _strict_loader(pure: bool = False) -> _SafeLoader:
    """PyYAML's safe loader refusing a key given twice in one mapping, as DVC's ruamel.yaml
    and yaml-rs do (PyYAML keeps the last one: a lock file whose merge conflict was resolved
    badly would silently give one of two stage entries)."""
    if pure not in _STRICT:
        import yaml

        class UniqueKeys(yaml.constructor.SafeConstructor):
            def construct_mapping(self, node: yaml.MappingNode, deep: bool = False
                                  ) -> dict[Hashable, Any]:
                seen: set[tuple[str, str]] = set()
                pairs: list[tuple[yaml.Node, yaml.Node]] = node.value  # (the stubs: Any)
                for key, _ in pairs:
                    if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
                        continue
                    if (key.tag, key.value) in seen:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            f"found duplicate key {key.value!r}", key.start_mark)
                    seen.add((key.tag, key.value))
                return super().construct_mapping(node, deep)

        # pure: with ruamel.yaml's rule for tabs (:class:`_RuamelTabs`); else libyaml's loader
        # when PyYAML has it. The bases are chosen at run time, so type() makes the class: a
        # safe loader either way
        bases = ((_RuamelTabs, yaml.SafeLoader) if pure else
                 (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader,))
        _STRICT[pure] = cast("_SafeLoader", type("Strict", (UniqueKeys, *bases), {}))
    return _STRICT[pure]


# a line that starts or ends a document ("---", "..."): YAML allows them nowhere else
_DOC_MARK = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)


def _yaml_error(exc: yaml.YAMLError, note: str = "") -> DvcYamlError:
    """A PyYAML error as :class:`DvcYamlError`: its problem, context and line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    cmark = getattr(exc, "context_mark", None)
    if context and cmark is not None and mark is not None and cmark.line != mark.line:
        context = f"{context} (line {cmark.line + 1})"
    msg = f"{context}, {problem}" if context else str(problem)
    return DvcYamlError(f"not valid YAML: {msg}{note}", line)


def _one_document(text: str) -> None:
    """Raise :class:`DvcYamlError` when ``text`` holds more than one YAML document: DVC reads
    a file as one (ruamel.yaml: "expected a single document in the stream")."""
    import yaml

    try:  # (a parser's events carry their marks: the stubs allow None, for events made by hand)
        starts = [e.start_mark.line + 1 for e in yaml.parse(text, Loader=_base_loader())
                  if isinstance(e, yaml.DocumentStartEvent) and e.start_mark is not None]
    except yaml.YAMLError:
        return  # a YAML 1.1 parser's own objection: the YAML 1.2 reading stands
    if len(starts) > 1:
        raise DvcYamlError(f"not valid YAML: the file holds {len(starts)} YAML documents "
                           f"(the second starts on line {starts[1]}); DVC reads a file of one "
                           "document only", starts[1])


class _RuamelTabs(_PurePython):
    """A mixin for PyYAML's pure-Python scanner: tabs are white space in flow context, as
    ruamel.yaml (DVC's parser) takes them, and nowhere else, as both take them."""

    def scan_to_next_token(self) -> None:
        if self.index == 0 and self.peek() == "\ufeff":
            self.forward()
        white = " \t" if self.flow_level else " "
        while True:
            while self.peek() in white:
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                return


_TABS: dict[str, type[_RuamelTabs]] = {}


def _tab_parser() -> type[_RuamelTabs]:
    """PyYAML's pure-Python reader, scanner and parser, with ruamel.yaml's rule for tabs."""
    if "parser" not in _TABS:
        import yaml

        class TabParser(_RuamelTabs, yaml.reader.Reader, yaml.scanner.Scanner,
                        yaml.parser.Parser):
            def __init__(self, stream: str) -> None:
                yaml.reader.Reader.__init__(self, stream)
                yaml.scanner.Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)

        _TABS["parser"] = TabParser
    return _TABS["parser"]


def _parse_events(text: str, tokens: bool = False) -> yaml.YAMLError | None:
    """None when :func:`_tab_parser` reads ``text`` through (its tokens only, or its events),
    else its error."""
    import yaml

    parser = _tab_parser()(text)
    check, get = (parser.check_token, parser.get_token) if tokens else \
        (parser.check_event, parser.get_event)
    try:
        while check():
            get()
    except yaml.YAMLError as exc:
        return exc
    return None


def _tabs_as_dvc_reads_them(text: str) -> None:
    """Raise :class:`DvcYamlError` where DVC's ruamel.yaml refuses a tab that yaml-rs (or
    libyaml) accepts.

    ruamel.yaml (PyYAML's scanner) takes a tab as white space only inside flow collections
    (``[a,<TAB>b]``), and keeps it inside quoted and block scalars and comments; anywhere else
    (indentation, after ``key:`` or ``-``, before a comment, at the end of a line, inside a
    plain scalar) DVC calls the file corrupted, while yaml-rs and libyaml read it. PyYAML's
    pure-Python parser with ruamel.yaml's flow-context rule decides; only its objections to a
    tab count — a tab it cannot take as a token, an error right after a tab (``[a<TAB>b]``: two
    scalars), or one that goes away when the tabs are spaces — not a YAML 1.1 parser's other
    objections, which do not overrule the YAML 1.2 reading."""
    import yaml

    # the tokens first: the parser may stop earlier, at a construct only YAML 1.1 refuses
    exc = _parse_events(text, tokens=True)
    if not (isinstance(exc, yaml.scanner.ScannerError) and "'\\t'" in str(exc.problem)):
        exc = _parse_events(text)
        if exc is None:
            return
        mark = getattr(exc, "problem_mark", None)
        # a scalar right after a tab: one plain scalar for YAML 1.2, two for ruamel.yaml
        after_tab = mark is not None and "<scalar>" in str(getattr(exc, "problem", "")) \
            and text[: mark.index].rstrip(" ").endswith("\t")
        if not after_tab and _parse_events(text.replace("\t", " ")) is not None:
            return
    raise _yaml_error(exc, " (a tab where DVC's YAML parser takes none)") from None


def _block_scalar_at_eof(text: str, value: Any) -> Any:
    """yaml-rs ends a block scalar (``|``, ``>``) that ends a file with no final line break
    with one all the same; ruamel.yaml (and YAML) does not: ``desc: >`` on the last lines of
    a dvc.yaml without a newline at the end. The last node of the document, when it is such a
    scalar, gets PyYAML's reading of it (a block scalar is a string under every schema)."""
    import yaml

    try:
        last = None
        for e in yaml.parse(text, Loader=_base_loader()):
            if isinstance(e, yaml.ScalarEvent | yaml.AliasEvent | yaml.CollectionStartEvent):
                last = e
    except yaml.YAMLError:
        return value
    if not isinstance(last, yaml.ScalarEvent) or last.style not in ("|", ">"):
        return value
    if isinstance(value, str):
        return last.value
    cur = value
    while isinstance(cur, dict | list) and cur:
        key: Any = next(reversed(cur)) if isinstance(cur, dict) else len(cur) - 1
        if isinstance(cur[key], str):
            cur[key] = last.value
            break
        cur = cur[key]
    return value


def _base_loader() -> type[yaml.CBaseLoader] | type[yaml.BaseLoader]:
    import yaml

    return yaml.CBaseLoader if yaml.__with_libyaml__ else yaml.BaseLoader


def _full_parse(data: str | bytes) -> tuple[Any, str]:
    text: str | None
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    else:
        text = data
    if text is not None and not _CONTROL.search(text):
        try:
            import yaml_rs

            value = yaml_rs.loads(text)
        except ImportError:
            pass
        except Exception:  # noqa: BLE001 - yaml-rs is stricter in places: let PyYAML decide
            pass
        else:
            # what yaml-rs lets through and DVC's ruamel.yaml refuses: more than one document
            # (yaml-rs returns them as a list), a tab outside flow collections and quotes
            if _DOC_MARK.search(text):
                _one_document(text)
            if "\t" in text:
                _tabs_as_dvc_reads_them(text)
            if not text.endswith("\n") and ("|" in text or ">" in text):
                value = _block_scalar_at_eof(text, value)
            if _MERGE_KEY.search(text):  # YAML 1.2 has no merge keys; DVC's ruamel.yaml has
                value = _merged(value)
            return value, "yaml-rs"
    import yaml

    try:
        value = yaml.load(data, Loader=_strict_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        if text is None or "\t" not in text:
            raise _yaml_error(exc) from None
        try:  # libyaml refuses tabs ruamel.yaml takes (in a block scalar's first line …)
            value = yaml.load(text, Loader=_strict_loader(pure=True))  # noqa: S506
        except yaml.YAMLError:
            raise _yaml_error(exc) from None
    except Exception as exc:  # noqa: BLE001 - e.g. an unsupported tag's constructor error
        m = _LINE_RE.search(str(exc))
        raise DvcYamlError(f"not valid YAML: {exc}", int(m.group(1)) if m else None) from None
    if text is not None and "\t" in text:  # libyaml takes tabs where ruamel.yaml does not
        _tabs_as_dvc_reads_them(text)
    return value, "pyyaml"


def load(data: str | bytes) -> tuple[Any, str]:
    """Parse a document: the fast scanner, else a full parser.

    Returns ``(value, parser)`` with parser ``"scan"``, ``"yaml-rs"`` or ``"pyyaml"``.
    Raises :class:`DvcYamlError` (with the 1-based line when known) when nothing can read it.
    """
    v = scan(data)
    if v is not REFUSED:
        return v, "scan"
    return _full_parse(data)
