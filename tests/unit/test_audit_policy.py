"""Policy as code: schema drift, validation errors with file:line and field, resolution."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from lineage.audit.policy import (
    DEFAULT_POLICY,
    POLICY_FILE,
    Policy,
    load_policy,
    parse_policy,
    resolve_policy,
    schema_text,
)
from lineage.errors import ConfigError

ROOT = Path(__file__).parents[2]


def test_schema_file_matches_the_model() -> None:
    committed = (ROOT / "schemas" / "policy.schema.json").read_text()
    assert committed == schema_text(), (
        "schemas/policy.schema.json is stale: python -m lineage.audit.schema > "
        "schemas/policy.schema.json")


def _docs_example() -> str:
    text = (ROOT / "docs" / "audit.md").read_text()
    m = re.search(r"<!-- policy-example -->\s*```yaml\n(.*?)```", text, re.S)
    assert m, "docs/audit.md lost its policy example"
    return m.group(1)


def test_documented_example_is_valid_for_model_and_schema() -> None:
    text = _docs_example()
    policy = parse_policy(text, "docs/audit.md")
    assert policy.waivers and policy.rules and policy.approvals
    data = yaml.safe_load(text)
    for w in data.get("waivers", []):
        w["expires"] = str(w["expires"])
    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize(("text", "line", "fld"), [
    ("rules:\n  four-eys:\n    enabled: false\n", 2, "rules.four-eys"),
    ("version: 1\napprovals:\n  - tiers: [high]\n    count: 0\n", 4, "approvals.0.count"),
    ("waivers:\n  - rule: four-eyes\n    node: x\n    owner: o\n    reason: r\n"
     "    expires: soon\n", 6, "waivers.0.expires"),
    ("waivers:\n  - rule: four-eyes\n    node: x\n    reason: r\n    expires: 2026-01-01\n",
     2, "waivers.0.owner"),
    ("rules:\n  four-eyes:\n    severity: {high: urgent}\n", 3, "rules.four-eyes.severity.high"),
    ("monitoring:\n  max_age_days: 30\n  freshness: 3\n", 3, "monitoring.freshness"),
    ("rules:\n  four-eyes:\n    tiers: [hihg]\n", 3, "rules.four-eyes.tiers.0"),
    ("version: true\n", 1, "version"),
    ("version: '1'\n", 1, "version"),
    ("version: 2\n", 1, "version"),
])
def test_invalid_policy_names_file_line_and_field(tmp_path: Path, text: str, line: int,
                                                   fld: str) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    assert exc.value.message.startswith(f"{p}:{line}: field {fld}:"), exc.value.message


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("rules:\n  four-eyes: {enabled: false\n")
    with pytest.raises(ConfigError, match=re.escape(str(p)) + r":\d+: not valid YAML"):
        load_policy(p)


def test_missing_policy_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yaml")


def test_resolution_order(tmp_path: Path) -> None:
    assert resolve_policy(tmp_path) == (DEFAULT_POLICY, "built-in default")
    (tmp_path / POLICY_FILE).write_text("risk_assessment: {max_age_days: 100}\n")
    pol, where = resolve_policy(tmp_path)
    assert pol.risk_assessment.max_age_days == 100 and where.endswith(POLICY_FILE)
    (tmp_path / "gov").mkdir()
    (tmp_path / "gov" / "p.yaml").write_text("risk_assessment: {max_age_days: 200}\n")
    pol, _ = resolve_policy(tmp_path, configured="gov/p.yaml")
    assert pol.risk_assessment.max_age_days == 200
    (tmp_path / "x.yaml").write_text("risk_assessment: {max_age_days: 300}\n")
    pol, where = resolve_policy(tmp_path, tmp_path / "x.yaml", configured="gov/p.yaml")
    assert pol.risk_assessment.max_age_days == 300 and where == str(tmp_path / "x.yaml")


def test_partial_policy_keeps_defaults() -> None:
    pol = parse_policy("rules:\n  four-eyes: {severity: high}\n", "p.yaml")
    assert pol.approvals == Policy().approvals
    assert pol.high_risk_documents == DEFAULT_POLICY.high_risk_documents
    assert pol.requirement("high", "prod").count == 2
    assert pol.requirement("minimal", "prod").count == 1


@pytest.mark.parametrize(("value", "why"), [
    ("2026-02-30", "day is out of range for month"),
    ("2026-13-01", "month must be in 1..12"),
])
def test_a_date_that_does_not_exist_names_file_line_and_field(tmp_path: Path, value: str,
                                                              why: str) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("version: 1\nwaivers:\n  - rule: four-eyes\n    node: x\n    owner: a\n"
                 f"    reason: r\n    expires: {value}\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    assert exc.value.message == (f"{p}:7: field waivers.0.expires: invalid date {value!r} "
                                 f"({why})")


def test_a_policy_that_is_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.message == f"{p}:2: not UTF-8 text (byte 0xe9 at offset 16)"
    p.write_bytes(b"\xef\xbb\xbfversion: 1\n")  # a UTF-8 byte order mark is fine
    assert load_policy(p) == DEFAULT_POLICY


@pytest.mark.parametrize(("text", "line", "fld", "first"), [
    ("rules:\n  four-eyes:\n    enabled: true\n    enabled: false\n", 4,
     "rules.four-eyes.enabled", 3),
    ("monitoring:\n  max_age_days: 30\nmonitoring:\n  max_age_days: 90\n", 3, "monitoring", 1),
    ("waivers:\n  - rule: four-eyes\n    node: a\n    owner: o\n    reason: r\n"
     "    expires: 2026-01-01\n    owner: p\n", 7, "waivers.0.owner", 4),
])
def test_a_key_given_twice_names_file_and_line(tmp_path: Path, text: str, line: int, fld: str,
                                               first: int) -> None:
    # YAML keeps the last one silently: a rule turned off below one turned on would go unseen
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    assert exc.value.message == f"{p}:{line}: field {fld} given twice (first on line {first})"


def test_the_same_key_in_two_waivers_is_fine() -> None:
    one = "  - rule: four-eyes\n    node: {n}\n    owner: o\n    reason: r\n    expires: 2026-01-01\n"
    policy = parse_policy("waivers:\n" + one.format(n="a") + one.format(n="b"), "p.yaml")
    assert [w.node for w in policy.waivers] == ["a", "b"]


def test_every_error_of_a_policy_is_reported_at_once(tmp_path: Path) -> None:
    # an unknown rule id must not hide the other mistakes: the user fixes them all in one go
    p = tmp_path / "policy.yaml"
    p.write_text("rules:\n"
                 "  four-eye:\n"                      # 2: unknown rule (a typo)
                 "    enabled: false\n"
                 "  model-has-run:\n"
                 "    severity: urgent\n"             # 5: not a severity
                 "approvals:\n"
                 "  - tiers: [high]\n"
                 "    count: 0\n"                     # 8: below 1
                 "waivers:\n"
                 "  - rule: nosuch-rule\n"            # 10: unknown rule
                 "    node: x\n"
                 "    owner: o\n"
                 "    reason: r\n"
                 "    expires: 2026-01-01\n"
                 "  - rule: four-eyes\n"              # 15: waiver without owner
                 "    node: y\n"
                 "    reason: ' '\n"                  # 17: blank reason
                 "    expires: 2026-01-01\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    lines = exc.value.message.splitlines()
    assert [ln.split(": field ")[0] for ln in lines] == [
        f"{p}:{n}" for n in (2, 5, 8, 10, 15, 17)], lines
    assert "field rules.four-eye: unknown rule 'four-eye'" in lines[0]
    assert "did you mean 'four-eyes'?" in lines[0]
    assert "field rules.model-has-run.severity:" in lines[1] and "(got 'urgent')" in lines[1]
    assert "field approvals.0.count:" in lines[2]
    assert "field waivers.0.rule: unknown rule 'nosuch-rule'" in lines[3]
    assert "field waivers.1.owner:" in lines[4]
    assert "field waivers.1.reason:" in lines[5]


def test_one_unknown_rule_alone_keeps_its_hint(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("rules:\n  four-eye:\n    enabled: false\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.message == f"{p}:2: field rules.four-eye: unknown rule 'four-eye'"
    assert exc.value.hint == "did you mean 'four-eyes'?"


def test_a_key_given_twice_is_reported_with_the_other_errors(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("rules:\n  four-eyes:\n    enabled: true\n    enabled: false\n"
                 "  nosuch: {enabled: false}\n"
                 "monitoring:\n  max_age_days: 0\n  max_age_days: 30\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.message.splitlines() == [
        f"{p}:4: field rules.four-eyes.enabled given twice (first on line 3) — keep one of "
        "them (see docs/audit.md#policy)",
        f"{p}:5: field rules.nosuch: unknown rule 'nosuch' — known rules: "
        "deployment-approved, four-eyes, model-has-run, run-code-pinned, run-data-pinned, "
        "risk-tier-set, risk-downgrade-independent, prohibited-not-deployed, high-risk-docs, "
        "retraining-logged, monitoring-active, transparency-notice, lineage-continuity, "
        "harvest-complete",
        f"{p}:8: field monitoring.max_age_days given twice (first on line 7) — keep one of "
        "them (see docs/audit.md#policy)",
    ]


def test_a_rule_id_in_other_case_suggests_the_id_and_a_map_key_is_named_plainly(
        tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("waivers:\n  - rule: FOUR-EYES\n    node: x\n    owner: o\n    reason: r\n"
                 "    expires: 2026-01-01\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.hint == "did you mean 'four-eyes'?"
    p.write_text("rules:\n  four-eyes:\n    severity: {high: low, extreme: high}\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.message.startswith(
        f"{p}:3: field rules.four-eyes.severity.extreme: Input should be 'unacceptable'"), (
        exc.value.message)


def test_an_empty_tier_list_is_refused_not_a_silent_off_switch(tmp_path: Path) -> None:
    # `tiers: []` applied the rule to no tier: Article 5's check was off without saying so
    p = tmp_path / "policy.yaml"
    p.write_text("rules:\n"
                 "  prohibited-not-deployed:\n"
                 "    tiers: []\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    text = exc.value.message + " " + (exc.value.hint or "")
    assert f"{p}:3" in text and "rules.prohibited-not-deployed.tiers" in text
    assert "enabled: false" in text
    p.write_text("rules:\n"
                 "  prohibited-not-deployed:\n"
                 "    enabled: false\n")
    assert not load_policy(p).rules["prohibited-not-deployed"].enabled


@pytest.mark.parametrize(("key", "line"), [("tiers", 2), ("environments", 3)])
def test_an_empty_list_in_an_approvals_entry_is_refused(tmp_path: Path, key: str,
                                                        line: int) -> None:
    # `environments: []` (or `tiers: []`) matched no deployment: the entry's two approvers
    # were never asked for, and the deployments fell back to one approver without a word
    p = tmp_path / "policy.yaml"
    entry = {"tiers": "[high]", "environments": "[prod]"}
    entry[key] = "[]"
    p.write_text("approvals:\n"
                 f"  - tiers: {entry['tiers']}\n"
                 f"    environments: {entry['environments']}\n"
                 "    count: 2\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.exit_code == 2
    assert exc.value.message.startswith(f"{p}:{line}:"), exc.value.message
    assert f"field approvals.0.{key}: an empty list matches no deployment" in \
        exc.value.message
    # leaving the key out means every one
    p.write_text("approvals:\n  - tiers: [high]\n    count: 2\n")
    assert load_policy(p).requirement("high", "prod").count == 2


def test_an_empty_list_of_high_risk_documents_is_refused(tmp_path: Path) -> None:
    # `high_risk_documents: []` required nothing: high-risk-docs passed every version
    p = tmp_path / "policy.yaml"
    p.write_text("version: 1\nhigh_risk_documents: []\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(p)
    assert exc.value.message.startswith(f"{p}:2: field high_risk_documents: an empty list "), \
        exc.value.message
    assert "enabled: false" in exc.value.message
