"""Records harvester on real git repositories: examples, idempotence, all-or-nothing errors."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.errors import InputError
from tests.conftest import GitRepo, store_state


@pytest.fixture
def repo(governance_repo: GitRepo) -> GitRepo:
    return governance_repo


def test_examples_harvest_once_and_reharvest_writes_nothing(repo: GitRepo) -> None:
    first = api.harvest(repo.path, only=["records"])
    assert first.new_events == 1 and not first.report.warnings
    nodes = first.counts["nodes"]
    assert nodes == {"alert": 1, "approval": 2, "data": 2, "deployment": 2, "document": 2,
                     "model": 1, "model_group": 1, "retraining": 1, "risk_assessment": 1, "run": 1}
    head = store_state(repo)[0]
    again = api.harvest(repo.path, only=["records"])
    assert again.new_events == 0 and again.harvesters[0].stats.total == 0
    assert store_state(repo)[0] == head
    store = api.open_store(repo.path)
    assert store.verify().ok
    card = store.get_node("document:churn-model-card-v1.1.0")
    assert card is not None and card.attrs["record_file"] == "governance/churn/documents.yaml"
    assert card.attrs["content_hash"].startswith("sha256:")
    url_doc = store.get_node("document:churn-transparency-notice")
    assert url_doc is not None and "content_hash" not in url_doc.attrs
    store.close()


def test_unchanged_files_are_not_parsed_again(repo: GitRepo, monkeypatch) -> None:
    api.harvest(repo.path, only=["records"])
    import connectors.harvesters.records as mod

    def no_parse(*a, **k):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(mod, "parse_file", no_parse)
    assert api.harvest(repo.path, only=["records"]).new_events == 0
    # a changed file is parsed (and what it adds lands; records are immutable, so a change
    # can only add facts the record lacked)
    monkeypatch.undo()
    p = repo.path / "governance/churn/alerts.json"
    text = p.read_text()
    assert '"status": "resolved",' in text
    p.write_text(text.replace('"status": "resolved",',
                              '"status": "resolved",\n    "properties": {"ticket": "OPS-7"},'))
    res = api.harvest(repo.path, only=["records"])
    assert res.new_events == 1
    assert res.harvesters[0].stats.nodes_changed == {"alert": 1}


BAD = """\
kind: approval
model: churn@v1.1.0
decision: approve
approver: dave
decided_at: 2026-02-01
"""


def test_invalid_file_fails_the_harvest_and_leaves_the_store_unchanged(repo: GitRepo) -> None:
    api.harvest(repo.path, only=["records"])
    before = store_state(repo)
    repo.write("governance/churn/z_new_ok.yaml",
               "kind: alert\nmodel: churn@v1.1.0\nmetric: ks_statistic\nat: 2026-02-01\n")
    repo.write("governance/churn/bad.yaml", BAD)
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 2
    assert ("error: governance/churn/bad.yaml:3 (decision): Input should be 'approved', "
            "'rejected' or 'conditional' (got 'approve')") in res.stderr
    assert "hint: did you mean 'approved'?" in res.stderr
    assert store_state(repo) == before  # neither the bad nor the good new file was applied


def test_every_invalid_file_is_counted(repo: GitRepo) -> None:
    repo.write("governance/a.yaml", BAD)
    repo.write("governance/b.yaml", "kind: nope\n")
    with pytest.raises(InputError) as exc:
        api.harvest(repo.path, only=["records"])
    assert exc.value.file == "governance/a.yaml" and exc.value.line == 3
    assert "(and 1 more invalid file(s): governance/b.yaml)" in str(exc.value)


def test_a_changed_document_pins_the_hash_its_record_gives(repo: GitRepo) -> None:
    """A record's content_hash is what it pins: the file edited since (here before the first
    harvest, as in a fresh clone of a repository whose card moved on) fails nothing, and a
    commit holds that content: no warning either."""
    card = repo.path / "docs/examples/model_card.md"
    recorded = "sha256:" + hashlib.sha256(card.read_bytes()).hexdigest()
    card.write_text("# edited after review\n")
    res = api.harvest(repo.path, only=["records"])
    assert not res.report.warnings
    with api.open_store(repo.path) as store:
        node = store.get_node("document:churn-model-card-v1.1.0")
    assert node is not None and node.attrs["content_hash"] == recorded


def test_missing_document_file_is_a_warning(repo: GitRepo) -> None:
    repo.write("governance/x.yaml", "kind: document\ndoc_kind: bias_report\n"
               "uri: reports/bias.html\nmodel: churn@v1.1.0\n")
    res = api.harvest(repo.path, only=["records"])
    assert [(w.file, w.line, w.field) for w in res.report.warnings] == [
        ("governance/x.yaml", 3, "uri")]


def test_one_id_for_two_different_records_is_an_error(repo: GitRepo) -> None:
    repo.write("governance/dup.yaml", "kind: risk_assessment\nid: churn-2026\n"
               "model_group: churn\ntier: high\nassessed_at: 2026-03-01\n")
    with pytest.raises(InputError) as exc:
        api.harvest(repo.path, only=["records"])
    msg = str(exc.value)
    assert msg.startswith("governance/dup.yaml:5 (assessed_at): record risk_assessment:churn-2026"
                          " is also in governance/churn/risk_assessment.yaml:12, which says "
                          "otherwise about assessed_at, tier")


def test_records_of_one_node_that_agree_are_merged(repo: GitRepo) -> None:
    # the retirement of a deployment, in its own file, completes the deployment record
    repo.write("governance/retire.yaml", "kind: deployment\nmodel: churn@v1.1.0\n"
               "environment: prod\ndeployed_at: 2026-01-21T08:00:00Z\n"
               "retired_at: 2026-06-01T00:00:00Z\n")
    api.harvest(repo.path, only=["records"])
    node = api.open_store(repo.path).get_node("deployment:churn:prod:2026-01-21T08:00:00Z")
    assert node is not None
    assert node.attrs["retired_at"] == "2026-06-01T00:00:00Z"
    assert node.attrs["endpoint"] == "https://models.example.com/churn"


def test_governance_dir_is_configurable(repo: GitRepo) -> None:
    (repo.path / "governance").rename(repo.path / "compliance")
    assert api.harvest(repo.path, only=["records"]).harvesters == []  # nothing to read
    repo.write("lineage.yaml", "governance_dir: compliance\n")
    assert api.harvest(repo.path, only=["records"]).new_events == 1


@pytest.mark.parametrize("text,line,field", [
    # an unquoted impossible date: YAML cannot make a date of it
    (BAD.replace("decision: approve", "decision: approved").replace("2026-02-01", "2026-02-30"),
     5, "decided_at"),
    (BAD.replace("decision: approve", "decision: approved").replace("dave", "''"), 4, "approver"),
    ("kind: deployment\nmodel: churn@v1.1.0\nenvironment: prod\ndeployed_at: 2026-01-20\n"
     "retired_at: 2025-01-01\n", 5, "retired_at"),
    # valid ISO times whose UTC instant is past year 9999 / before year 1: were a traceback
    ("kind: deployment\nmodel: churn@v1.1.0\nenvironment: prod\n"
     "deployed_at: 9999-12-31T23:00:00-05:00\n", 4, "deployed_at"),
    ("kind: risk_assessment\nmodel_group: churn\ntier: high\n"
     "assessed_at: 0001-01-01T00:00:00+01:00\n", 4, "assessed_at"),
])
def test_invalid_values_fail_the_harvest_naming_file_line_field(repo: GitRepo, text: str,
                                                                line: int, field: str) -> None:
    api.harvest(repo.path, only=["records"])
    before = store_state(repo)
    repo.write("governance/bad.yaml", text)
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 2, res.exception  # an invalid record file, not a traceback
    assert res.stderr.startswith(f"error: governance/bad.yaml:{line} ({field}): ")
    assert store_state(repo) == before
    check = CliRunner().invoke(app, ["record", "validate", "-C", str(repo.path)])
    assert check.exit_code == 1, check.exception
    assert check.stderr.startswith(f"error: governance/bad.yaml:{line} ({field}): ")


def test_three_records_of_one_id_are_each_compared_with_all_before_them(
        governance_repo) -> None:
    """A deployment, then two retirements of it giving two dates: the third is compared with
    the second too, not only with the first (the last file read silently won)."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    repo = governance_repo
    dep = ("kind: deployment\nid: churn-prod-x\nmodel: churn@v1.1.0\nenvironment: prod\n"
           "deployed_at: 2026-02-01T08:00:00Z\n")
    repo.write("governance/x/a.yaml", dep)
    repo.write("governance/x/b.yaml", dep + "retired_at: 2026-03-01T00:00:00Z\n")
    repo.write("governance/x/c.yaml", dep + "retired_at: 2026-04-01T00:00:00Z\n")
    repo.commit("two retirements")
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path)])
    assert res.exit_code == 2, res.output
    assert ("governance/x/c.yaml:6 (retired_at): record deployment:churn-prod-x is also in "
            "governance/x/b.yaml:6, which says otherwise about retired_at") in res.stderr


@pytest.mark.parametrize("args", [
    ["approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver", "x@example.com",
     "--role", "lead", "--evidence", "E-1", "--decided-at", "0001-01-01T00:00:00+01:00"],
    ["deployment", "--model", "churn@v1.1.0", "--env", "prod",
     "--deployed-at", "9999-12-31T23:00:00-05:00"],
    ["run", "--name", "train", "--start", "9999-12-31T23:00:00-05:00"],
])
def test_record_command_time_out_of_range_is_one_line(repo: GitRepo, args: list[str]) -> None:
    before = store_state(repo)
    res = CliRunner().invoke(app, ["record", *args, "-C", str(repo.path)])
    assert res.exit_code == 2, res.exception
    first, hint = res.stderr.splitlines()
    assert first.startswith("error: command line (") and first.endswith(
        f"): its UTC time is before year 1 or after year 9999 (got '{args[-1]}')")
    assert hint.startswith("hint: ")
    assert store_state(repo) == before


def test_a_policy_put_in_the_governance_folder_is_named_as_one(repo: GitRepo) -> None:
    """``governance/lineage-policy.yaml`` is neither the policy the audit reads (only the
    repository root's or the one lineage.yaml names) nor a record: the error says so."""
    before = store_state(repo)
    repo.write("governance/lineage-policy.yaml",
               "version: 1\nrules:\n  four-eyes: {severity: critical}\n"
               "approvals:\n  - {tiers: [high], count: 2}\n")
    res = CliRunner().invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert res.exit_code == 2
    assert "governance/lineage-policy.yaml:1 (kind): missing `kind:`" in res.stderr
    assert "this looks like an audit policy, not a record" in res.stderr
    assert "policy: <path>" in res.stderr
    assert store_state(repo) == before
