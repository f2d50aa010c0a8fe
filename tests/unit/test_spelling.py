"""Typos told apart from new names (`lineage record`'s check of the names a record gives)."""

from __future__ import annotations

import pytest

from lineage.spelling import did_you_mean, one_slip, typo_of


@pytest.mark.parametrize(("value", "known", "meant"), [
    ("chrun", ["churn", "credit"], "churn"),      # two letters swapped
    ("prdo", ["prod", "staging"], "prod"),
    ("Prod", ["prod"], "prod"),                     # another case
    ("churn@V1.1.0", ["churn@v1.0.0", "churn@v1.1.0"], "churn@v1.1.0"),
    ("1.1.0", ["v1.1.0"], "v1.1.0"),                # a letter dropped
    ("v1.1.O", ["v1.1.0"], "v1.1.0"),               # a letter for a digit
    ("stagng", ["prod", "staging"], "staging"),
    ("churm", ["churn"], "churn"),                  # a letter changed inside a word
])
def test_one_typing_slip_is_a_typo(value: str, known: list[str], meant: str) -> None:
    assert typo_of(value, known) == meant


@pytest.mark.parametrize(("value", "known"), [
    ("v1.2.0", ["v1.1.0"]),          # a new version: its digits alone differ
    ("churn2", ["churn"]),
    ("eu-2", ["eu-1"]),
    ("env-z", ["env-c", "prod"]),    # another one-letter label
    ("model-b", ["model-a"]),
    ("credit", ["churn"]),           # another name
    ("dev", ["de"]),                 # too short to tell
    ("churn", ["churn"]),            # known: no typo
])
def test_a_renumbering_or_another_name_is_no_typo(value: str, known: list[str]) -> None:
    assert typo_of(value, known) is None


def test_the_policy_reading_of_a_slip_and_the_hint() -> None:
    assert one_slip("Prod", "prod") and one_slip("prod2", "prod") and not one_slip("de", "dev")
    assert did_you_mean("hgh", ["unacceptable", "high", "limited", "minimal"]) == \
        "did you mean 'high'?"
    assert did_you_mean("zzz", ["high"]) is None
