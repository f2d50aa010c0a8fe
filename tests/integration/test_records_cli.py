"""`lineage record …` through the CLI: events, nodes, --write-file round trip, CI use."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.records import parse_file
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(churn_repo: GitRepo) -> GitRepo:
    return churn_repo


def _invoke(repo: GitRepo, *args: str):
    return runner.invoke(app, ["record", *args, "-C", str(repo.path)])


APPROVAL = ["approval", "--model", "churn@v1.1.0", "--env", "prod", "--approver", "alice",
            "--role", "risk-officer", "--decision", "approved", "--evidence", "JIRA-123",
            "--decided-at", "2026-01-20T10:00:00Z"]


def test_record_approval_writes_an_event_and_a_node(repo: GitRepo, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "ci-bot")
    res = _invoke(repo, *APPROVAL, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    nid = out["node"]
    assert nid.startswith("approval:") and out["event"] == 1
    store = api.open_store(repo.path)
    node = store.get_node(nid)
    assert node is not None
    assert node.attrs["approver"] == "alice" and node.attrs["model"] == "model:churn@v1.1.0"
    assert node.attrs["decided_at"] == "2026-01-20T10:00:00Z"
    (event,) = list(store.events())
    assert (event.kind, event.actor) == ("record", "ci-bot")
    assert event.payload["record_kind"] == "approval" and event.payload["node"] == nid
    assert event.payload["record"]["evidence"] == "JIRA-123"
    assert event.payload["facts"]["count"] == 3  # node + approves + version_of
    store.close()
    verify = runner.invoke(app, ["verify", "-C", str(repo.path)])
    assert verify.exit_code == 0 and "OK" in verify.stdout


def test_json_has_one_list_of_warnings(repo: GitRepo) -> None:
    """One shape, as docs/records.md gives it: `warnings` is a list (empty when none); the
    `warning` text beside it, null or the same warnings joined, is gone."""
    keys = {"node", "record", "event", "facts_written", "file", "warnings"}
    out = json.loads(_invoke(repo, *APPROVAL, "--json").stdout)
    assert set(out) == keys and out["warnings"] == []
    repo.write("docs/card.md", "# card\n")
    res = _invoke(repo, "document", "--type", "model_card", "--uri", "docs", "--model",
                  "churn@v1.1.0", "--json")
    out = json.loads(res.stdout)
    assert set(out) == keys and out["warnings"] == [
        "document docs is a folder, not a file: its content is not pinned (name the "
        "document's file)"]
    res = _invoke(repo, "run", "--name", "train", "--status", "FAILED", "--model",
                  "churn@v9=models/none.pkl", "--json")
    out = json.loads(res.stdout)  # the command's own warnings and the record's, in one list
    assert set(out) == {*keys} and len(out["warnings"]) == 1
    assert "FAILED run claims no model" in out["warnings"][0]


def test_write_file_is_a_valid_record_read_back_to_the_same_node(repo: GitRepo) -> None:
    res = _invoke(repo, "deployment", "--model", "churn@v1.1.0", "--env", "prod",
                  "--endpoint", "https://models.example.com/churn", "--deployed-by", "deploy-bot",
                  "--deployed-at", "2026-01-21T08:00:00Z", "--write-file", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["node"] == "deployment:churn:prod:2026-01-21T08:00:00Z"
    path = repo.path / out["file"]
    assert out["file"].startswith("governance/deployment/") and path.is_file()
    (loaded,) = parse_file(path, repo.path)  # itself a valid record
    assert loaded.node_id == out["node"]
    head = api.open_store(repo.path).head()
    harvest = api.harvest(repo.path, only=["records"])
    assert harvest.new_events == 0 and harvest.harvesters[0].stats.total == 0
    assert harvest.counts["nodes"] == {"deployment": 1}
    assert api.open_store(repo.path).head() == head


def test_document_write_file_pins_content_and_reads_back(repo: GitRepo) -> None:
    card = repo.write("docs/model_card.md", "# churn model card\n")
    res = _invoke(repo, "document", "--type", "model_card", "--uri", "docs/model_card.md",
                  "--model", "churn@v1.1.0", "--write-file", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    expected = "sha256:" + hashlib.sha256(card.read_bytes()).hexdigest()
    assert out["record"]["content_hash"] == expected
    assert f"content_hash: {expected}" in (repo.path / out["file"]).read_text()
    assert api.harvest(repo.path, only=["records"]).new_events == 0


def test_every_kind_from_the_command_line(repo: GitRepo) -> None:
    cmds = [
        ["assessment", "--group", "churn", "--tier", "high", "--annex-iii", "5(b)",
         "--date", "2026-01-10", "--next-review", "2027-01-10"],
        ["alert", "--model", "churn@v1.0.0", "--metric", "psi", "--value", "0.31",
         "--threshold", "0.2", "--id", "psi-1"],
        ["retraining", "--trigger", "drift", "--previous", "churn@v1.0.0", "--new",
         "churn@v1.1.0", "--alert", "psi-1", "--within-plan"],
        APPROVAL,
    ]
    for cmd in cmds:
        res = _invoke(repo, *cmd)
        assert res.exit_code == 0, res.output
        assert res.stdout.startswith("Recorded ")
    store = api.open_store(repo.path)
    edges = {(e.kind.value, e.source, e.target) for e in store.iter_edges()}
    retr = next(store.iter_nodes("retraining"))
    assert retr.attrs["within_change_plan"] is True
    assert ("triggers", "alert:psi-1", retr.id) in edges
    assert ("retrains", "model:churn@v1.0.0", retr.id) in edges
    assert store.head()[0] == 4 and store.verify().ok


def test_invalid_record_exits_2_with_field_and_writes_nothing(repo: GitRepo) -> None:
    res = _invoke(repo, *[a if a != "approved" else "maybe" for a in APPROVAL], "--write-file")
    assert res.exit_code == 2
    assert ("error: command line (--decision): Input should be 'approved', 'rejected' or "
            "'conditional' (got 'maybe')") in res.stderr
    assert api.open_store(repo.path).head()[0] == 0
    assert not (repo.path / "governance").exists()


def test_without_a_store_says_to_init(git_repo: GitRepo) -> None:
    git_repo.commit("init")
    res = _invoke(git_repo, *APPROVAL)
    assert res.exit_code == 2 and "lineage init" in res.stderr


def test_record_run_pins_inputs_and_model(repo: GitRepo, monkeypatch) -> None:
    data = repo.write("data/train.csv", "a,b\n1,2\n")
    head = repo.git("rev-parse", "HEAD")
    model = repo.write("models/model.pkl", b"\x80model-bytes")
    res = _invoke(repo, "run", "--name", "train", "--input", "data/train.csv",
                  "--param", "lr=0.1", "--param", "depth=6", "--metric", "auc=0.91",
                  "--model", "churn@v2=models/model.pkl", "--clean", "--json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)["record"]
    assert rec["commit"] == head  # read from .git without running git
    assert rec["params"] == {"lr": 0.1, "depth": 6} and rec["metrics"] == {"auc": 0.91}
    md5 = hashlib.md5(data.read_bytes()).hexdigest()
    assert rec["inputs"] == [{"path": "data/train.csv", "hash": f"md5:{md5}", "size": 8}]
    assert rec["models"][0]["hash"] == "md5:" + hashlib.md5(model.read_bytes()).hexdigest()
    store = api.open_store(repo.path)
    run = store.get_node(json.loads(res.stdout)["node"])
    assert run is not None and run.attrs["dirty"] is False and run.attrs["source"] == "lineage"
    pins = [e.attrs["pin"] for e in store.iter_edges("input")]
    assert pins == ["strong"]
    # in CI the commit is still the checked-out HEAD (a warning names $GITHUB_SHA when it
    # differs); a model without version gets md5-<hash>
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    res = _invoke(repo, "run", "--model", "churn=models/model.pkl", "--json")
    rec = json.loads(res.stdout)["record"]
    assert rec["commit"] == head and "GITHUB_SHA" in res.stderr
    assert rec["models"][0]["version"] == "md5-" + rec["models"][0]["hash"][4:16]


def test_record_run_checks_the_work_tree_when_the_run_is_at_head(repo: GitRepo) -> None:
    """A CI job's run on a checkout with changed tracked files is dirty (run-code-pinned),
    as track_run records it; untracked outputs, files DVC writes and --clean/--dirty as given
    do not count; a run at another commit stays unknown (its tree is not this one)."""
    first = repo.git("rev-parse", "HEAD")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
                           "    outs: [models/model.pkl]\n    metrics: [{metrics.json: {cache: false}}]\n")
    repo.write("metrics.json", '{"auc": 0.5}\n')
    repo.write("train.py", "print('train')\n")
    repo.commit("pipeline")
    repo.write("models/model.pkl", b"weights")  # untracked output

    def dirty(*extra: str) -> object:
        res = _invoke(repo, "run", "--name", "train", "--model", "churn=models/model.pkl",
                      "--json", *extra)
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)["record"].get("dirty")

    assert dirty() is False
    repo.write("metrics.json", '{"auc": 0.9}\n')  # written by dvc repro: not a code change
    assert dirty() is False
    repo.write("train.py", "print('tweaked')\n")  # trained with uncommitted code
    assert dirty() is True
    assert dirty("--clean") is False  # as given
    assert dirty("--commit", first) is None  # not the checked-out commit: unknown
    res = runner.invoke(app, ["audit", "--rule", "run-code-pinned", "--format", "json",
                              "-C", str(repo.path)])
    findings = json.loads(res.stdout)["findings"]
    assert any("dirty" in f["message"] for f in findings), findings


def test_retiring_a_deployment_completes_its_file(repo: GitRepo) -> None:
    base = ["deployment", "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-21T08:00:00Z", "--write-file", "--json"]
    first = json.loads(_invoke(repo, *base, "--endpoint", "https://m/churn").stdout)
    res = _invoke(repo, *base, "--retired-at", "2026-06-01")
    assert res.exit_code == 0, res.output
    second = json.loads(res.stdout)
    assert second["node"] == first["node"] and second["file"] == first["file"]
    (loaded,) = parse_file(repo.path / first["file"], repo.path)
    assert loaded.record.endpoint == "https://m/churn"
    assert loaded.record.retired_at is not None
    assert api.harvest(repo.path, only=["records"]).new_events == 0
    # a contradiction is refused and leaves file and store as they were
    head = api.open_store(repo.path).head()
    res = _invoke(repo, *base, "--endpoint", "https://other")
    assert res.exit_code == 2
    assert "(endpoint): the record file already says otherwise about endpoint" in res.stderr
    assert api.open_store(repo.path).head() == head


def test_ci_job_configures_through_the_environment(git_repo: GitRepo, tmp_path,
                                                    monkeypatch) -> None:
    head = git_repo.commit("init")
    store_dir = tmp_path / "ci-store"
    monkeypatch.setenv("LINEAGE_STORE", str(store_dir))
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    monkeypatch.setenv("GITHUB_SHA", head)
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = _invoke(git_repo, "run", "--name", "nightly", "--clean")
    assert res.exit_code == 0, res.output
    assert not (git_repo.path / ".lineage").exists() and (store_dir / "lineage.db").exists()
    (event,) = list(api.open_store(git_repo.path).events())
    assert event.actor == "octocat" and event.payload["record"]["commit"] == head
    assert event.payload["record"]["user"] == "octocat"


def test_validate_reports_every_bad_file_without_a_store(git_repo: GitRepo) -> None:
    from tests.conftest import copy_examples

    copy_examples(git_repo)
    git_repo.commit("records")
    ok = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path)])
    assert ok.exit_code == 0, ok.output
    assert "OK: 10 record(s) in 7 file(s)" in ok.stdout and ok.stderr == ""
    git_repo.write("governance/a.yaml", "kind: alert\nmodel: churn\nmetric: psi\nat: 2026-01-01\n")
    git_repo.write("governance/b.yaml", "kind: approvall\n")
    res = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path), "--json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert [(e["file"], e["line"], e["field"]) for e in out["errors"]] == [
        ("governance/a.yaml", 2, "model"), ("governance/b.yaml", 1, "kind")]
    one = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path),
                              str(git_repo.path / "governance/churn")])
    assert one.exit_code == 0


# -- QA: blank fields, immutable ids, dates in order, one-line errors ---------------------------
@pytest.mark.parametrize("blank", [" ", ""])
def test_a_blank_approver_is_refused_naming_the_field(repo: GitRepo, blank: str) -> None:
    args = [blank if a == "alice" else a for a in APPROVAL]
    res = _invoke(repo, *args)
    assert res.exit_code == 2, res.output
    assert "error: command line (--approver): must not be empty or only whitespace" in res.stderr
    assert "hint: `approver` needs a value" in res.stderr
    assert api.open_store(repo.path).head()[0] == 0


def test_a_blank_assessor_and_environment_are_refused(repo: GitRepo) -> None:
    res = _invoke(repo, "assessment", "--group", "churn", "--tier", "high", "--assessor", "  ")
    assert res.exit_code == 2 and "(--assessor): must not be empty" in res.stderr
    res = _invoke(repo, "deployment", "--model", "churn@v1.1.0", "--env", "\t")
    assert res.exit_code == 2 and "(--env): must not be empty" in res.stderr
    assert api.open_store(repo.path).head()[0] == 0


def _approval(repo: GitRepo, approver: str, decision: str, *extra: str):
    return _invoke(repo, "approval", "--model", "churn@v1.1.0", "--env", "prod", "--id", "appr-1",
                   "--approver", approver, "--decision", decision,
                   "--decided-at", "2026-01-19T12:30:00Z", *extra)


def test_the_same_id_saying_otherwise_is_refused_and_nothing_changes(repo: GitRepo) -> None:
    assert _approval(repo, "rita", "approved").exit_code == 0
    head = api.open_store(repo.path).head()
    res = _approval(repo, "mallory", "rejected")
    assert res.exit_code == 2, res.output
    assert ("error: record approval:appr-1 is already recorded with approver 'rita', decision "
            "'approved': this record says otherwise about approver, decision") in res.stderr
    assert "a new --id" in res.stderr and "supersedes=appr-1" in res.stderr
    store = api.open_store(repo.path)
    node = store.get_node("approval:appr-1")
    assert node is not None and (node.attrs["approver"], node.attrs["decision"]) == (
        "rita", "approved")
    assert store.head() == head
    store.close()
    # with --write-file too: the store is checked, not only the file
    res = _approval(repo, "mallory", "rejected", "--write-file")
    assert res.exit_code == 2 and "already recorded" in res.stderr
    assert not (repo.path / "governance").exists()


def test_the_identical_record_again_changes_nothing(repo: GitRepo) -> None:
    assert _approval(repo, "rita", "approved").exit_code == 0
    again = _approval(repo, "rita", "approved", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["facts_written"] == 0
    # a retirement completes a deployment; a different retirement contradicts it
    base = ["deployment", "--model", "churn@v1.1.0", "--env", "prod",
            "--deployed-at", "2026-01-21T08:00:00Z"]
    assert _invoke(repo, *base).exit_code == 0
    assert _invoke(repo, *base, "--retired-at", "2026-06-01").exit_code == 0
    res = _invoke(repo, *base, "--retired-at", "2026-07-01")
    assert res.exit_code == 2 and "says otherwise about retired_at" in res.stderr


@pytest.mark.parametrize("args,option,example", [
    (["approval", "--model", "churn@v1.1.0", "--approver", "a", "--prop", "novalue"], "--prop",
     "ticket=JIRA-123"),
    (["run", "--param", "lr"], "--param", "lr=0.1"),
    (["run", "--metric", "auc"], "--metric", "auc=0.91"),
])
def test_a_pair_without_value_is_one_line(repo: GitRepo, args: list[str], option: str,
                                          example: str) -> None:
    res = _invoke(repo, *args)
    assert res.exit_code == 2, res.exception  # not a ConfigError escaping as a traceback
    assert res.stderr.splitlines() == [f"error: {option} {args[-1]!r} is not KEY=VALUE",
                                       f"hint: e.g. {option} {example}"]
    assert api.open_store(repo.path).head()[0] == 0


@pytest.mark.parametrize("args,field,earlier", [
    (["deployment", "--model", "churn@v1.1.0", "--env", "prod", "--deployed-at", "2026-01-20",
      "--retired-at", "2025-01-01"], "retired_at", "deployed_at"),
    (["assessment", "--group", "churn", "--tier", "high", "--date", "2026-01-01",
      "--next-review", "2020-01-01"], "next_review", "assessed_at"),
])
def test_dates_out_of_order_are_refused(repo: GitRepo, args: list[str], field: str,
                                        earlier: str) -> None:
    res = _invoke(repo, *args)
    assert res.exit_code == 2, res.output
    flag = "--" + field.replace("_", "-")
    assert f"error: command line ({flag}): {field} is before {earlier} " in res.stderr
    assert api.open_store(repo.path).head()[0] == 0


def test_a_bad_id_gets_a_hint_about_ids(repo: GitRepo) -> None:
    res = _invoke(repo, *APPROVAL, "--id", "bad id/with slash")
    assert res.exit_code == 2
    assert "(--id): expected an id of letters, digits and . _ @ + -" in res.stderr
    assert "name@version" not in res.stderr
    assert "hint: write the id without spaces or slashes" in res.stderr


def test_validate_prints_errors_as_text_with_their_hint(git_repo: GitRepo) -> None:
    git_repo.write("governance/c.yaml", b"\xff\xfe not utf-8\n")
    git_repo.write("governance/d.yaml", "kind: approval\nmodel: churn@v1\napprover: a\n"
                   "decision: '[bold]maybe[/]'\ndecided_at: 2026-01-01\n")
    one = "kind: approval\nid: appr-1\nmodel: churn@v1\ndecision: approved\ndecided_at: 2026-01-01\n"
    git_repo.write("governance/e.yaml", one + "approver: rita\n")
    git_repo.write("governance/f.yaml", one + "approver: mallory\n")
    git_repo.commit("records")
    res = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path)])
    assert res.exit_code == 1
    assert "[bold red]" not in res.stderr and "[yellow]" not in res.stderr
    lines = res.stderr.splitlines()
    assert "error: governance/c.yaml:1: not UTF-8 text (byte 0xff at offset 0)" in lines
    assert ("error: governance/d.yaml:4 (decision): Input should be 'approved', 'rejected' or "
            "'conditional' (got '[bold]maybe[/]')") in lines
    assert ("error: governance/f.yaml:6 (approver): record approval:appr-1 is also in "
            "governance/e.yaml:6, which says otherwise about approver") in lines
    assert "hint: use one of the values listed" in lines


def test_validate_skips_the_policy_file_in_the_governance_folder_as_the_harvest_does(
        git_repo: GitRepo) -> None:
    git_repo.write("lineage.yaml", "policy: governance/policy.yaml\n")
    git_repo.write("governance/policy.yaml", "rules:\n  four-eyes: {enabled: false}\n")
    git_repo.write("governance/a.yaml", "kind: approval\nmodel: churn@v1\nenvironment: prod\n"
                   "approver: alice\ndecision: approved\ndecided_at: 2026-01-20\n")
    git_repo.commit("records and policy")
    res = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    assert "OK: 1 record(s) in 1 file(s)" in res.stdout
    res = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path),
                              str(git_repo.path / "governance")])
    assert res.exit_code == 0, res.output


def test_record_run_keeps_param_values_as_given(repo: GitRepo) -> None:
    """A param is recorded as a number, boolean or list only when that is what was written;
    YAML read `1.10` as 1.1, `007` as 7, `no` as false, and dropped `null`."""
    res = _invoke(repo, "run", "--param", "lr=0.1", "--param", "depth=6",
                  "--param", "version=1.10", "--param", "zip=007", "--param", "flag=no",
                  "--param", "shuffle=true", "--param", "layers=[64, 32]",
                  "--param", "note=a: b", "--param", "seed=null", "--param", "tol=1e3",
                  "--metric", "auc=0.91", "--metric", "loss=1e-3", "--clean", "--json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)["record"]
    assert rec["params"] == {"lr": 0.1, "depth": 6, "version": "1.10", "zip": "007",
                             "flag": "no", "shuffle": True, "layers": [64, 32],
                             "note": "a: b", "seed": "null", "tol": "1e3"}
    assert rec["metrics"] == {"auc": 0.91, "loss": 0.001}


def test_a_governance_folder_at_the_repository_root_skips_the_config_and_policy(
        git_repo: GitRepo) -> None:
    """A repository that holds only governance (`governance_dir: .`): lineage.yaml and
    lineage-policy.yaml are no records, for the harvest as for record validate."""
    git_repo.write("lineage.yaml", "governance_dir: .\n")
    git_repo.write("lineage-policy.yaml", "rules:\n  four-eyes: {enabled: false}\n")
    git_repo.write("approvals.yaml", "kind: approval\nmodel: churn@v1\nenvironment: prod\n"
                   "approver: alice\ndecision: approved\ndecided_at: 2026-01-20\n")
    git_repo.commit("governance repository")
    res = runner.invoke(app, ["record", "validate", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    assert "OK: 1 record(s) in 1 file(s)" in res.stdout
    api.init(git_repo.path)
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    with api.open_store(git_repo.path) as store:
        assert len(list(store.iter_nodes("approval"))) == 1
