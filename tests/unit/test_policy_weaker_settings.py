"""What a policy asks less than the built-in default: `rules_off` and `weaker_than_default`
(each setting a policy can weaken, none for one that asks as much or more)."""

from __future__ import annotations

import pytest

from lineage.audit.policy import DEFAULT_POLICY, parse_policy, rules_off, weaker_than_default


def weaker(text: str) -> list[tuple[str, str]]:
    return [(w.field, w.text) for w in weaker_than_default(parse_policy(text, "p.yaml"))]


def test_the_default_is_not_weaker_than_itself() -> None:
    assert rules_off(DEFAULT_POLICY) == []
    assert weaker_than_default(DEFAULT_POLICY) == []


@pytest.mark.parametrize(("text", "field", "said"), [
    ("rules: {monitoring-active: {tiers: [limited]}}", "rules.monitoring-active.tiers",
     "monitoring-active checks limited only, not high (default: high)"),
    ("rules: {four-eyes: {severity: low}}", "rules.four-eyes.severity",
     "four-eyes findings are low for tier high (default critical)"),
    ("rules: {run-data-pinned: {severity: {high: medium}}}", "rules.run-data-pinned.severity",
     "run-data-pinned findings are medium for tier high (default high)"),
    ("approvals: [{tiers: [high], count: 1}]", "approvals",
     "four-eyes: high-risk deployments need 1 approver (default 2)"),
    ("approvals: [{tiers: [high], environments: [prod], count: 2}]", "approvals",
     "four-eyes: high-risk deployments to other environments need 1 approver (default 2)"),
    ("risk_assessment: {max_age_days: 730}", "risk_assessment.max_age_days",
     "a risk assessment stays current for 730 days (default 365)"),
    ("monitoring: {max_age_days: 90}", "monitoring.max_age_days",
     "monitoring evidence may be 90 days old (default 30)"),
    ("monitoring: {alert_follow_up_days: 30}", "monitoring.alert_follow_up_days",
     "an open alert needs a follow-up after 30 days (default 14)"),
    ("high_risk_documents: [model_card, evaluation]", "high_risk_documents",
     "high-risk versions need no data_governance, bias_report (default: model_card, "
     "data_governance, evaluation, bias_report)"),
    ("retraining: {require_reason: false}", "retraining.require_reason",
     "a retraining record need not give a reason (default: it must)"),
])
def test_each_weaker_setting_is_named(text: str, field: str, said: str) -> None:
    assert weaker(text) == [(field, said)]


def test_rules_turned_off_are_listed_and_their_settings_are_not() -> None:
    p = parse_policy("rules: {four-eyes: {enabled: false}, monitoring-active: {enabled: false}}\n"
                     "approvals: [{tiers: [high], count: 1}]\nmonitoring: {max_age_days: 90}\n",
                     "p.yaml")
    assert rules_off(p) == ["four-eyes", "monitoring-active"]
    assert weaker_than_default(p) == []


def test_asking_more_is_not_weaker() -> None:
    assert weaker("approvals: [{tiers: [high], count: 3, roles: [risk-officer]},"
                  " {tiers: [high], environments: [staging], count: 1}]\n"
                  "rules: {transparency-notice: {tiers: [limited, high]},"
                  " four-eyes: {tiers: [high, limited]}, lineage-continuity: {severity: critical}}\n"
                  "monitoring: {max_age_days: 7, alert_follow_up_days: 1}\n"
                  "risk_assessment: {max_age_days: 180}\n"
                  "high_risk_documents: [model_card, data_governance, evaluation, bias_report,"
                  " datasheet]\n") == []


def test_a_role_the_default_does_not_ask_for_is_no_weakening_but_a_dropped_count_is() -> None:
    # an earlier entry for prod wins over the one for every environment: prod needs 1
    assert weaker("approvals: [{tiers: [high], environments: [prod], count: 1, "
                  "roles: [risk-officer]}, {tiers: [high], count: 2}]") == [
        ("approvals", "four-eyes: high-risk deployments to prod need 1 approver (default 2)")]
