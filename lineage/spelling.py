"""Names a user may have mistyped: the "did you mean …?" of hints, and the typing slip that
makes a name read as another one.

Pure and cheap to import (difflib only when a hint is built).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_DIGITS = re.compile(r"\d")


def closest(value: str, names: Iterable[str], *, ignore_case: bool = False) -> str | None:
    """The name of ``names`` closest to ``value`` (difflib's ratio, at least 0.6), or None.
    ``ignore_case`` compares lower-cased spellings (``finised`` → ``FINISHED``)."""
    import difflib

    spelled = sorted(set(names))
    if not ignore_case:
        found = difflib.get_close_matches(value, spelled, n=1)
        return found[0] if found else None
    lowered = {n.lower(): n for n in reversed(spelled)}  # the first spelling of each wins
    found = difflib.get_close_matches(value.lower(), sorted(lowered), n=1)
    return lowered[found[0]] if found else None


def did_you_mean(value: str, names: Iterable[str], *, ignore_case: bool = False) -> str | None:
    """``did you mean 'x'?`` for the name of ``names`` closest to ``value``, or None."""
    near = closest(value, names, ignore_case=ignore_case)
    return f"did you mean {near!r}?" if near is not None else None


def one_slip(a: str, b: str) -> bool:
    """``a`` is ``b`` with one typing slip: another case, or one letter added, dropped or
    changed, or two neighbours swapped (Damerau-Levenshtein distance 1); names of at least
    three letters (``dev`` and ``de`` are not taken for each other)."""
    a, b = a.lower(), b.lower()
    return a == b or _one_edit(a, b)


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance 1, as spelt (case counts), names of 3+ letters."""
    if a == b or min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short_, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1:] == short_ for k in range(len(long_)))


def typo_of(value: str, names: Iterable[str]) -> str | None:
    """The name of ``names`` that ``value`` reads as a typo of, or None: the same name in
    another case (``Prod``, ``V1.1.0``), else one typing slip away (a letter added, dropped or
    changed, two neighbours swapped) that is not a renumbering. ``chrun`` for ``churn``,
    ``prdo`` for ``prod``, ``1.1.0`` or ``v1.1.O`` for ``v1.1.0`` are typos; ``v1.2.0`` next to
    ``v1.1.0``, ``eu-2`` next to ``eu-1`` or ``churn2`` next to ``churn`` differ in their
    digits alone, and ``env-z`` next to ``env-c`` in a one-letter label: a new name given on
    purpose, as often as a slip."""
    others = sorted(set(names) - {value})
    case = [n for n in others if n.lower() == value.lower()]
    if case:
        return case[0]
    bare = _DIGITS.sub("", value)
    near = [n for n in others if _one_edit(value, n) and _DIGITS.sub("", n) != bare
            and not _another_label(value, n)]
    return near[0] if near else None


def _another_label(a: str, b: str) -> bool:
    """``a`` and ``b`` differ in one letter that is a segment of its own (``env-c`` and
    ``env-z``, ``model-a`` and ``model-b``): letters used as labels, like digits as numbers."""
    if len(a) != len(b):
        return False
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) != 1:
        return False
    k = diff[0]

    def alone(s: str) -> bool:
        return s[k].isalpha() and all(not s[j].isalnum() for j in (k - 1, k + 1)
                                      if 0 <= j < len(s))

    return alone(a) and alone(b)



def meant_by(err: Any, model: Any, loc: tuple[Any, ...]) -> str | None:
    """``did you mean …?`` for the pydantic error ``err`` of ``model`` at ``loc``: a mistyped
    choice (``severity: hgh``) or key (``waviers:``); None for any other error."""
    got = err.get("input")
    if err["type"] == "literal_error" and isinstance(got, str):
        choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        return did_you_mean(got, choices, ignore_case=True)
    if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
        return did_you_mean(loc[-1], _keys_at(model, loc[:-1]))
    return None


def _keys_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys the pydantic model nested at ``loc`` (list indexes and map keys skipped)
    takes, by name and alias; none when ``loc`` leads to no model."""
    import typing

    from pydantic import BaseModel

    def models_of(annotation: Any) -> list[Any]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models_of(arg)]

    current = [model]
    for part in loc:
        fields = [c.model_fields[part] for c in current
                  if isinstance(part, str) and part in c.model_fields]
        if fields:  # else a list index or a map key (a rule id): the same models
            current = [m for f in fields for m in models_of(f.annotation)]
    return sorted({k for c in current for name, f in c.model_fields.items()
                   for k in (name, f.alias) if k})


__all__ = ["closest", "did_you_mean", "meant_by", "one_slip", "typo_of"]
