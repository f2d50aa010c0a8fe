"""A mistyped policy key or choice is told with what was meant."""

from __future__ import annotations

import pytest


def test_a_mistyped_key_or_choice_is_told_with_what_was_meant(tmp_path) -> None:
    """Every mistake at once, each with its "did you mean": a key one slip away from a
    policy key (at the top, or nested), a severity one slip away from a severity."""
    from lineage.audit.policy import load_policy
    from lineage.errors import ConfigError

    f = tmp_path / "lineage-policy.yaml"
    f.write_text("version: 1\nrisk_assesment:\n  max_age_days: 365\nmonitoring:\n"
                 "  alert_folow_up_days: 14\nrules:\n  four-eyes:\n    severity: hgh\n")
    with pytest.raises(ConfigError) as err:
        load_policy(f)
    text = str(err.value.message)
    assert "field risk_assesment: Extra inputs are not permitted — did you mean " \
        "'risk_assessment'?" in text
    assert "did you mean 'alert_follow_up_days'?" in text
    assert "(got 'hgh') — did you mean 'high'?" in text
