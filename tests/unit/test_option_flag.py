"""`lineage.plugins.option_flag`: the one reader of a sink's true-or-false `-o KEY=VALUE`."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.errors import ConfigError
from lineage.plugins import option_flag


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("yes", True), ("On", True), ("1", True), (" true ", True),
    ("false", False), ("False", False), ("no", False), ("OFF", False), ("0", False),
    ("", False), (None, False), (True, True), (False, False), (1, True), (0, False)])
def test_the_words_it_takes(value: Any, expected: bool) -> None:
    assert option_flag({"full": value}, "full") is expected


def test_a_missing_option_is_false() -> None:
    assert option_flag({}, "remove_stale") is False


@pytest.mark.parametrize("value", ["maybe", "ture", "2", "y", "enabled", "a\nb", 2])
def test_anything_else_is_refused_in_one_line_naming_option_value_and_words(value: Any) -> None:
    with pytest.raises(ConfigError) as exc:
        option_flag({"remove_stale": value}, "remove_stale")
    assert exc.value.message == (f"option remove_stale={value!r} must be true or false: one of "
                              "true, yes, on, 1, false, no, off, 0")
    assert "\n" not in exc.value.message
    assert exc.value.exit_code == 2
    assert exc.value.hint == "e.g. -o remove_stale=true"


def test_a_sink_gives_its_own_hint() -> None:
    with pytest.raises(ConfigError) as exc:
        option_flag({"full": "maybe"}, "full", hint="e.g. -o full=true, or --full")
    assert exc.value.hint == "e.g. -o full=true, or --full"
