"""The fast DVC YAML scanner equals yaml.safe_load whenever it accepts a document."""

from __future__ import annotations

import math
import random

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.harvesters.dvcyaml import REFUSED, DvcYamlError, load, scan

try:
    from dvc.utils.serialize import dumps_yaml as dvc_dumps  # DVC's own writer (ruamel)
except ImportError:  # pragma: no cover - dvc is in the test extra
    dvc_dumps = None


def safe_load_or_error(text: str | bytes) -> object:
    try:
        return ("ok", yaml.safe_load(text))
    except yaml.YAMLError:
        return ("error", None)


def assert_equivalent(text: str | bytes) -> bool:
    """Scanner result == safe_load when it accepts; never accepts what safe_load rejects."""
    got = scan(text)
    if got is REFUSED:
        return False
    status, want = safe_load_or_error(text)
    assert status == "ok", f"scanner accepted invalid YAML:\n{text!r}\n→ {got!r}"
    assert got == want, f"scanner differs from safe_load on:\n{text!r}\n{got!r}\n!=\n{want!r}"
    return True


# -- hand-written odd documents ---------------------------------------------------------------
ODD = [
    # DVC 3 lock with quoted paths, spaces, non-ASCII, folded cmd
    "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py --in 'data/a b.csv' --out "
    "model.pkl --very-long-option-name\n      value --another\n    deps:\n    - path: "
    "data/a b.csv\n      hash: md5\n      md5: 0f343b0931126a20f133d67c2b018a3b\n      size: "
    "10\n    - path: 'data/ünïcödé ✓.csv'\n      md5: 9e107d9d372bb6826bd81d3542a419d6\n"
    "    outs:\n    - path: \"model: v1.pkl\"\n      md5: 5d41402abc4b2a76b9719d911017c592.dir\n"
    "      nfiles: 3\n",
    # comments everywhere
    "# header\nstages:  # trailing\n  a:   # stage a\n    cmd: echo a # comment\n\n"
    "    deps:\n      # inside\n      - x  # x\n      - 'y' # y\n",
    # flow style
    "stages:\n  a:\n    foreach: [us, eu, 3]\n    do:\n      cmd: echo ${item}\n      outs: []\n",
    "a: {x: 1}\n",
    "a: [x, [y]]\n",
    "a: [x,\n  y]\n",
    # anchors, aliases, tags, block scalars
    "base: &b\n  cmd: echo\nother: *b\n",
    "a: !!str 1\n",
    "cmd: |\n  python a.py\n  python b.py\n",
    "cmd: >-\n  python a.py\n  --x 1\n",
    # multi-line cmd lists
    "cmd:\n- python prepare.py --input data/raw.csv --output data/prepared.csv --seed 42\n"
    "  --split 0.2\n- python check.py\n",
    "cmd:\n  - echo a\n  - echo b\n",
    # params with nested dicts
    "params:\n  params.yaml:\n    train:\n      lr: 0.01\n      layers:\n      - 64\n      - 32\n"
    "      opt:\n        name: adam\n        beta: [0.9, 0.999]\n    seed: 1\n",
    # Windows line endings
    "outs:\r\n- md5: e5ebd4c02cefbe7955977c67ada242b7\r\n  size: 8\r\n  path: raw.csv\r\n",
    "a: 1\rb: 2\n",
    # YAML 1.1 vs 1.2 scalars
    "a: yes\nb: off\n", "lr: 1e-3\n", "x: 017\n", "t: 1:20\n", "d: 2024-01-02\n",
    "i: .inf\n", "n: .nan\n", "u: 1_000\n", "h: 0x1F\n", "o: 0o17\n", "f: 1.5e+3\n",
    "k: -.5\n", "m: <<\n",
    # scalars that must stay strings
    "md5: 1234567890abcdef1234567890abcdef\nsize: 0\nneg: -3\nf: 3.\nz: 0\n",
    "a: ~\nb: null\nc: NULL\nd: True\ne: FALSE\nf: ''\ng: \"\"\n",
    # quoting
    "a: 'it''s'\nb: \"say \\\"hi\\\"\"\nc: \"tab\\there\\u00e9\\x41\"\nd: \"bad \\q\"\n",
    "'quoted key': 1\n\"dq key\": 2\n",
    "a: 'unterminated\n  continues'\n",
    # bad indentation and structure: safe_load rejects, the scanner must refuse
    "a:\n  b: 1\n c: 2\n", "a: 1\n  b: 2\n", "- a\nb: 1\n", "a: b: c\n", "a:\n- x\n  - y\n",
    "a: - x\n", "key:value\n", "- - x\n", "a: 1\na: 2\n", "a: [1, 2\n", "a: 'x' y\n",
    "stages:\n\tx: 1\n", "a: @x\n", "a: `x`\n", "---\na: 1\n", "%YAML 1.1\n---\na: 1\n",
    "? a\n: b\n", "a:\n  value on next line\n", "a: x\n\n  y\n", "a: x\n  # c\n  y\n",
    # odd but valid
    "  a: 1\n  b:\n    - 2\n", "-   path: x\n    md5: y\n", "a:\n-\n  b: 1\n- \n", "a:\n",
    "a: x #not a comment\nb: x#y\nc: x # a comment\n", "a: -x\nb: --flag\nc: +x\n",
    "a: \u00a0x\n", "\ufeffa: 1\n", "a: x\u2028y\n", "a: x\x85y\n", "a: \x07\n",
    "deps:\n- path: data\n  nfiles: 2\nouts:\n- path: out\n", "",
    "# just a comment\n", "[]\n", "{}\n", "x\n", "a: [ ]\n", "a: {  }  # c\n",
    "a: 1 # c\n  b: 2\n", "a: 'x'#c\n", "- 'a': 1\n  b: 2\n", "a:\n  b:\n  c: 1\n",
    # a comment ends a plain scalar: the next line cannot continue it (invalid YAML)
    "- a # c\n  a\n", "k: a # c\n  b\n", "k:\n  - a #x\n    b\n",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_documents(text: str) -> None:
    assert_equivalent(text)
    assert_equivalent(text.encode())


def test_scanner_accepts_the_layout_dvc_writes() -> None:
    accepted = [t for t in ODD if scan(t) is not REFUSED]
    refused = [t for t in ODD if scan(t) is REFUSED]
    # the DVC-shaped ones (first entries) are read by the scanner, not the fallback
    assert ODD[0] in accepted and ODD[1] in accepted and ODD[2] in accepted
    assert "base: &b\n  cmd: echo\nother: *b\n" in refused
    assert "lr: 1e-3\n" in refused  # 1.1 says str, 1.2 (DVC's ruamel) says float: fall back


def test_load_falls_back_and_reports_line() -> None:
    value, parser = load("cmd: |\n  python a.py\n")
    assert value == {"cmd": "python a.py\n"} and parser != "scan"
    value, parser = load("outs:\n- md5: ab\n  path: x\n")
    assert parser == "scan" and value == {"outs": [{"md5": "ab", "path": "x"}]}
    # the 1.1/1.2 ambiguous float gets DVC's (YAML 1.2) reading
    assert load("lr: 1e-3\n")[0] == {"lr": 0.001}
    with pytest.raises(DvcYamlError) as exc:
        load("schema: '2.0'\nstages:\n  a:\n    cmd: [echo\n    deps: x\n")
    assert exc.value.line is not None and exc.value.line >= 4


MERGE_DOCS = [
    "stages:\n  a: &base\n    wdir: src\n    cmd: echo a\n  b:\n    <<: *base\n    cmd: echo b\n",
    "x: &x {wdir: w, frozen: true}\ny: &y {wdir: v, cmd: c}\nz:\n  <<: [*x, *y]\n  cmd: d\n",
    "s:\n- <<: {path: p}\n  md5: ab\n",
    "k:\n  '<<': {a: 1}\n",  # quoted: an ordinary key, in every parser
    "k:\n  <<:\n    a: 1\n  b: 2\n",
]


@pytest.mark.parametrize("text", MERGE_DOCS)
def test_merge_keys_read_as_dvc_reads_them(text: str) -> None:
    """DVC parses its files with ruamel.yaml, which applies YAML merge keys (``<<``; in a
    list the first mapping wins, where PyYAML lets the last one win). The fallback reads them
    as DVC does, key order included."""
    from ruamel.yaml import YAML

    theirs = YAML(typ="rt", pure=True).load(text)
    value, _ = load(text)
    assert value == theirs == YAML(typ="safe", pure=True).load(text)
    assert list(value) == list(theirs) and [list(v) for v in value.values()] == [
        list(v) for v in theirs.values()]


# -- generated DVC-shaped documents -----------------------------------------------------------
hexdigits = st.text("0123456789abcdef", min_size=32, max_size=32)
path_chars = st.sampled_from(list("abcxyz_-./ 0123456789") + ["ü", "ñ", "✓", "数", ":", "#", "'",
                                                               '"', "@", "&", "[", "{", "!"])
paths = st.lists(path_chars, min_size=1, max_size=24).map("".join).filter(lambda s: s.strip())
scalars = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(), st.none(), paths, hexdigits,
    st.sampled_from(["yes", "off", "1e-3", "017", "1:20", "2024-01-02", "~", "", " x", "x ",
                     "a: b", "a #b", "-", "- x", "---", "null", "True", ".5", "0x1f", "1_0"]),
)
params = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner,
                                            max_size=3)),
    max_leaves=8,
)


@st.composite
def hash_entry(draw: st.DrawFn) -> dict[str, object]:
    e: dict[str, object] = {"path": draw(paths)}
    if draw(st.booleans()):
        e["hash"] = "md5"
    md5 = draw(hexdigits)
    is_dir = draw(st.booleans())
    e["md5"] = md5 + (".dir" if is_dir else "")
    e["size"] = draw(st.integers(0, 10**10))
    if is_dir:
        e["nfiles"] = draw(st.integers(0, 10**5))
    return e


@st.composite
def lock_doc(draw: st.DrawFn) -> dict[str, object]:
    stages = {}
    for name in draw(st.lists(st.from_regex(r"[a-z][a-z0-9_@-]{0,12}", fullmatch=True),
                              min_size=1, max_size=4, unique=True)):
        cmd = draw(st.one_of(paths, st.lists(paths, min_size=1, max_size=3),
                             st.text(min_size=1, max_size=120)))
        s: dict[str, object] = {"cmd": cmd}
        if draw(st.booleans()):
            s["deps"] = draw(st.lists(hash_entry(), max_size=4))
        if draw(st.booleans()):
            s["params"] = {"params.yaml": draw(st.dictionaries(
                st.from_regex(r"[a-z.]{1,10}", fullmatch=True), params, max_size=3))}
        s["outs"] = draw(st.lists(hash_entry(), min_size=1, max_size=3))
        stages[name] = s
    if draw(st.booleans()):
        return {"schema": "2.0", "stages": stages}
    return stages  # DVC 1.x: stages at the top level


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(lock_doc())
def test_generated_lock_files_through_dvc_writer(doc: dict[str, object]) -> None:
    if dvc_dumps is None:
        pytest.skip("dvc not installed")
    text = dvc_dumps(doc)
    assert_equivalent(text)
    assert_equivalent(text.replace("\n", "\r\n"))


@SETTINGS
@given(lock_doc(), st.sampled_from(["default", "flow", "sorted", "width"]))
def test_generated_lock_files_through_pyyaml(doc: dict[str, object], style: str) -> None:
    kw: dict[str, object] = {"allow_unicode": True}
    if style == "flow":
        kw["default_flow_style"] = None
    elif style == "sorted":
        kw["sort_keys"] = True
        kw["indent"] = 4
    elif style == "width":
        kw["width"] = 30
    assert_equivalent(yaml.safe_dump(doc, **kw))


def test_dvc_writer_output_is_scanned_not_fallen_back() -> None:
    """Plain DVC lock content (hex hashes, ordinary paths, ints) never needs the fallback."""
    if dvc_dumps is None:
        pytest.skip("dvc not installed")
    rng = random.Random(7)
    for _ in range(60):
        stages = {}
        for i in range(rng.randint(1, 4)):
            def entry() -> dict[str, object]:
                p = rng.choice(["data/raw.csv", "data/a b.csv", "models/ü.pkl", "out"])
                return {"path": p, "hash": "md5",
                        "md5": f"{rng.getrandbits(128):032x}", "size": rng.randint(0, 10**9)}
            stages[f"s{i}"] = {
                "cmd": "python train.py " + " ".join(f"--opt{j} {j}" for j in
                                                     range(rng.randint(0, 30))),
                "deps": [entry() for _ in range(rng.randint(0, 5))],
                "params": {"params.yaml": {"train.lr": 0.01, "train.n": 5, "name": "x"}},
                "outs": [entry() for _ in range(rng.randint(1, 3))],
            }
        text = dvc_dumps({"schema": "2.0", "stages": stages})
        md5s = [e["md5"] for s in stages.values() for e in s["deps"] + s["outs"]]  # type: ignore[operator]
        if any(all(ch.isdigit() or ch == "e" for ch in m) for m in md5s):
            continue  # an all-digit "hash" is number-like: quoted by DVC, fine either way
        assert assert_equivalent(text), text


# -- line-level fuzzing: random YAML-ish text, mostly invalid or odd --------------------------
FRAGMENTS = ["a", "b", "path", "md5", "'q k'", '"d k"', "- ", "-", "  ", "    ", ": ", ":",
             " # c", "#", "x y", "1", "-1", "1.5", "yes", "[a, b]", "[]", "{}", "{a: 1}",
             "'s''q'", '"e\\n"', "&a ", "*a", "|", ">", "ü", "\r", "---", "? ", "~", "1e3",
             "2020-01-01", "\t", ",", "]"]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join), max_size=8))
def test_fuzzed_lines(lines: list[str]) -> None:
    assert_equivalent("\n".join(lines) + "\n")


@settings(max_examples=200, deadline=None)
@given(lock_doc(), st.integers(0, 10**6), st.sampled_from(["del", "dup", "indent", "dedent",
                                                           "comment", "blank", "tab", "cut"]))
def test_mutated_documents(doc: dict[str, object], seed: int, op: str) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=False)
    lines = text.split("\n")
    i = seed % max(len(lines), 1)
    if op == "del":
        del lines[i]
    elif op == "dup":
        lines.insert(i, lines[i])
    elif op == "indent":
        lines[i] = " " + lines[i]
    elif op == "dedent":
        lines[i] = lines[i][1:]
    elif op == "comment":
        lines.insert(i, " " * (seed % 7) + "# note")
    elif op == "blank":
        lines.insert(i, " " * (seed % 3))
    elif op == "tab":
        lines[i] = "\t" + lines[i]
    else:
        lines[i] = lines[i][: seed % (len(lines[i]) + 1)]
    assert_equivalent("\n".join(lines))


def test_floats_compare_exactly() -> None:
    for text in ("a: 0.1\n", "a: 1.\n", "a: -0.0\n", "a: 12345678901234567890.5\n"):
        got = scan(text)
        want = yaml.safe_load(text)
        assert got == want and math.copysign(1, got["a"]) == math.copysign(1, want["a"])


def test_summaries_of_odd_files_are_errors_not_exceptions() -> None:
    from connectors.harvesters.dvc import parse_blob

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    lock = "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    params:\n      p.yaml:\n" + "".join(
        "        " + line + "\n" for line in bomb.splitlines())
    for kind, text in [("lock", lock), ("lock", "stages: 3\nschema: '2.0'\n"),
                       ("dvc", "outs: {a: 1}\n"), ("dvc", "outs:\n- [1, 2]\n"),
                       ("yaml", "artifacts:\n  m: {}\n"), ("lock", "- 1\n"),
                       ("dvc", "\x00\x01 binary"), ("lock", "a: !!python/object:os.system x\n")]:
        out = parse_blob(kind, text.encode())
        assert {"error", "line"} <= set(out) <= {"error", "line", "field"}, (text, out)


# -- what DVC (ruamel.yaml) refuses, lineage refuses --------------------------------------------
def ruamel_load(text: str) -> tuple[str, object]:
    """How DVC reads a DVC file: ``dvc.utils.serialize.parse_yaml`` → ruamel.yaml, typ safe."""
    ruamel = pytest.importorskip("ruamel.yaml")
    try:
        return "ok", ruamel.YAML(typ="safe").load(text)
    except ruamel.YAMLError:
        return "error", None


def lineage_load(text: str) -> tuple[str, object]:
    try:
        return "ok", load(text)[0]
    except DvcYamlError:
        return "error", None


TABS = [
    "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 3\t\n  path: data.csv\n",
    "outs:\n- md5: abc\n  size:\t3\n  path: x\n",  # libyaml takes this one
    "outs:\n- md5: abc\n\tsize: 3\n  path: x\n",
    "outs:\n-\tmd5: abc\n  path: x\n",
    "outs:\t\n- path: x\n",
    "a: 1\t# comment\n",
    "a: x\ty\n",  # a tab inside a plain scalar
    "a: [x\ty, z]\n",  # inside a flow sequence: two scalars for ruamel.yaml
    "a: {b:\t1, c: [x,\ty]}\n",  # white space in flow context: taken
    "a: 'x\ty'\nb: \"x\\ty\"\n",  # quoted: taken
    "a: 1 # a\tcomment\n",  # in a comment: taken
    "cmd: |\n  python\ttrain.py\n\t\n",  # a tab-only line after a block scalar
    "cmd: >\n \t folded\n  text\n",  # a tab in a block scalar's first line: taken
    "a: 1\n\t\n",
]


@pytest.mark.parametrize("text", TABS)
def test_tabs_are_refused_where_dvc_refuses_them(text: str) -> None:
    """yaml-rs (YAML 1.2) and libyaml take tabs that ruamel.yaml, which DVC reads its files
    with, calls a corrupted file: lineage refuses exactly those, and reads the others as DVC."""
    assert lineage_load(text) == ruamel_load(text)


def test_tab_mutations_match_dvc() -> None:
    docs = [ODD[0], ODD[1], "stages:\n  t:\n    cmd: |\n      python t.py\n    deps: [a.csv, "
            "b.csv]\n    outs:\n    - m.pkl:\n        cache: false\n", "a: {b: 1, c: [x, y]}\n"]
    rng = random.Random(7)
    for _ in range(1500):
        chars = list(rng.choice(docs))
        for _ in range(rng.choice((1, 1, 2))):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(("\t", " \t", "\t ")))
        text = "".join(chars)
        assert lineage_load(text) == ruamel_load(text), repr(text)



def test_several_documents_are_refused_as_dvc_refuses_them() -> None:
    for text, line in (("a: 1\n---\nb: 2\n", 2), ("---\n- a\n---\n- b\n", 3),
                       ("a: 1\n---\n", 2), ("a: 1\n...\n---\nb: [1,\n  2]\n", 3)):
        assert ruamel_load(text)[0] == "error"
        with pytest.raises(DvcYamlError, match="2 YAML documents") as exc:
            load(text)
        assert exc.value.line == line
    for text in ("---\na: 1\n", "a: 1\n...\n", "%YAML 1.2\n---\na: [1, 2]\n"):
        assert lineage_load(text) == ruamel_load(text) == ("ok", ruamel_load(text)[1])


@pytest.mark.parametrize("text", [
    "artifacts:\n  m:\n    path: m.pkl\n    desc: >\n      churn\n      model",
    "cmd: |\n  a\n  b",
    "cmd: |+\n  a\n  b",
    "cmd: |-\n  a\n  b",
    "s:\n- x\n- |\n  last",
    "a: |\n  kept\nb: \"ends with a newline\\n\"",
    "a: |\n  kept\nb: [x, y]",
    "a: >\n  one\n  two\n",
])
def test_a_block_scalar_ending_the_file_reads_as_dvc_reads_it(text: str) -> None:
    """No line break at the end of the file: a block scalar there has none either."""
    assert lineage_load(text) == ruamel_load(text)
