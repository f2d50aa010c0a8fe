"""A deployment recorded without ``id:`` is named by model group + environment + time in UTC,
written as GTO's tag times are (``…Z``), so the record of a deployment GTO made lands on GTO's
node; a store written when record ids said ``+00:00`` keeps those nodes, and a retirement
recorded later completes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.ids import deployment_id, legacy_deployment_id
from lineage.model import Edge, EdgeKind, Node, NodeKind
from tests.conftest import GitRepo

runner = CliRunner()
AT = "2026-01-01T03:00:00Z"  # the promotion tag's time (pinned dates: one hour a tick)
GTO_DEPLOYMENT = f"deployment:churn:prod:{AT}"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.chdir(git_repo.path)
    git_repo.write("model.bin", "weights\n")
    git_repo.commit("model")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn#prod#1", "promote")
    _ok("init")
    return git_repo


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _deployments(repo: GitRepo) -> dict[str, dict[str, Any]]:
    with api.open_store(repo.path) as store:
        return {n.id: n.attrs for n in store.iter_nodes() if n.id.startswith("deployment:")}


def test_the_id_writes_utc_with_z_as_gto_does() -> None:
    from datetime import timedelta, timezone

    at = datetime(2026, 1, 1, 4, 0, tzinfo=timezone(timedelta(hours=1)))
    assert deployment_id("churn", "prod", at) == GTO_DEPLOYMENT
    assert legacy_deployment_id("churn", "prod", at) == (
        "deployment:churn:prod:2026-01-01T03:00:00+00:00")


def test_a_recorded_deployment_is_the_deployment_gto_made(repo: GitRepo) -> None:
    _ok("harvest")
    assert list(_deployments(repo)) == [GTO_DEPLOYMENT]
    out = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                         "--deployed-at", "2026-01-01T04:00:00+01:00",
                         "--endpoint", "https://models.example.com/churn", "--json"))
    assert out["node"] == GTO_DEPLOYMENT
    deployments = _deployments(repo)
    assert list(deployments) == [GTO_DEPLOYMENT]
    assert deployments[GTO_DEPLOYMENT]["source"] == "gto"


def test_a_deployment_stored_with_the_old_id_is_completed_not_doubled(repo: GitRepo) -> None:
    old = legacy_deployment_id("churn", "prod", datetime(2026, 2, 1, 8, tzinfo=UTC))
    with api.open_store(repo.path) as store, store.transaction():  # as an earlier lineage wrote it
        api.record(store, [
            Node.make(NodeKind.DEPLOYMENT, old, model="model:churn@v1.0.0", environment="prod",
                      deployed_at="2026-02-01T08:00:00Z", source="record"),
            Edge.make(EdgeKind.DEPLOYED_AS, "model:churn@v1.0.0", old)],
            event_kind="record", payload={"record_kind": "deployment", "node": old})
    out = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                         "--deployed-at", "2026-02-01T08:00:00Z",
                         "--retired-at", "2026-03-01T08:00:00Z", "--json"))
    assert out["node"] == old
    assert _deployments(repo) == {old: {"model": "model:churn@v1.0.0", "environment": "prod",
                                        "deployed_at": "2026-02-01T08:00:00Z",
                                        "retired_at": "2026-03-01T08:00:00Z",
                                        "source": "record"}}
    # a governance file of that deployment lands on it too
    (repo.path / "governance").mkdir()
    (repo.path / "governance" / "deployments.yaml").write_text(
        "kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
        "deployed_at: 2026-02-01T08:00:00Z\nretired_at: 2026-03-01T08:00:00Z\n")
    _ok("harvest", "--only", "records")
    assert list(_deployments(repo)) == [old]
    assert runner.invoke(app, ["verify"]).exit_code == 0


def test_retiring_a_deployment_recorded_with_its_own_id_completes_it(
        quickstart_demo: Path) -> None:
    """The quickstart's prod deployment has `id:`; recording its retirement by model,
    environment and time (as `record deployment --help` shows) retires that deployment
    instead of adding a second one that is retired while the first stays live."""
    demo = quickstart_demo
    dep = "deployment:churn-prod-2026-01-20"
    res = runner.invoke(app, ["record", "deployment", "--model", "churn@v1.1.0", "--env",
                              "prod", "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at",
                              "2026-02-01T00:00:00Z", "--json", "-C", str(demo)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["node"] == dep
    with api.open_store(demo) as store:
        deps = {n.id: n.attrs for n in store.iter_nodes("deployment")
                if n.attrs.get("model") == "model:churn@v1.1.0"
                and n.attrs.get("environment") == "prod"}
    assert list(deps) == [dep] and deps[dep]["retired_at"] == "2026-02-01T00:00:00Z"
    assert deps[dep]["endpoint"] == "https://models.example.com/churn"


def test_the_retirement_written_for_review_goes_into_the_deployments_own_file(
        quickstart_demo: Path) -> None:
    demo = quickstart_demo
    own = demo / "governance" / "deployment" / "churn-prod-2026-01-20.yaml"
    assert "id: churn-prod-2026-01-20" in own.read_text()
    assert runner.invoke(app, ["harvest", "-C", str(demo)]).exit_code == 0  # the copy's path
    res = runner.invoke(app, ["record", "deployment", "--model", "churn@v1.1.0", "--env",
                              "prod", "--deployed-at", "2026-01-20T08:00:00Z", "--retired-at",
                              "2026-02-01T00:00:00Z", "--write-file", "--json",
                              "-C", str(demo)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["file"] == "governance/deployment/churn-prod-2026-01-20.yaml"
    text = own.read_text()
    assert "id: churn-prod-2026-01-20" in text and "retired_at: '2026-02-01T00:00:00Z'" in text
    assert sorted(p.name for p in own.parent.iterdir()) == ["churn-prod-2026-01-20.yaml"]
    with api.open_store(demo) as store:
        head = store.head()
    assert runner.invoke(app, ["harvest", "-C", str(demo)]).exit_code == 0
    with api.open_store(demo) as store:
        assert store.head() == head  # the file says what the store holds


def test_two_deployments_in_one_second_are_two_deployments(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CD job recording two deployments of one version to one environment (two regions)
    within one second, without --deployed-at: each is its own node and file; neither is
    merged into the other (0 facts written) nor refused as a contradiction."""
    import lineage.serialize

    clock = iter([datetime(2026, 2, 1, 8, 0, 0, 100_000, tzinfo=UTC),
                  datetime(2026, 2, 1, 8, 0, 0, 900_000, tzinfo=UTC)])
    monkeypatch.setattr(lineage.serialize, "now_utc", lambda: next(clock))
    out = [json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                          "--endpoint", f"https://{region}.example.com/churn",
                          "--deployed-by", "cd-bot", "--write-file", "--json"))
           for region in ("eu", "us")]
    eu, us = out[0]["node"], out[1]["node"]
    assert eu != us and all(o["facts_written"] > 0 for o in out)
    assert out[0]["file"] != out[1]["file"]
    deployments = _deployments(repo)
    assert deployments[eu]["endpoint"] == "https://eu.example.com/churn"
    assert deployments[us]["endpoint"] == "https://us.example.com/churn"
    # the files written for review land on the same nodes: harvesting them changes nothing
    from tests.conftest import store_state

    _ok("harvest")
    state = store_state(repo)
    _ok("harvest")
    assert store_state(repo) == state
    # retiring one, by model, environment and the time it printed, retires that one only
    res = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                         "--deployed-at", out[0]["record"]["deployed_at"],
                         "--retired-at", "2026-03-01T00:00:00Z", "--write-file", "--json"))
    assert res["node"] == eu and res["file"] == out[0]["file"]
    deployments = _deployments(repo)
    assert deployments[eu]["retired_at"] == "2026-03-01T00:00:00Z"
    assert "retired_at" not in deployments[us]


def test_a_retirement_written_for_review_completes_the_file_that_recorded_the_deployment(
        repo: GitRepo) -> None:
    """Wherever the deployment's file is (named by an earlier lineage, moved, renamed), its
    retirement recorded with --write-file completes that file rather than adding a second."""
    own = repo.path / "governance" / "deployment" / "churn-prod-20260201T080000Z.yaml"
    own.parent.mkdir(parents=True)
    own.write_text("kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
                   "deployed_at: '2026-02-01T08:00:00.250000Z'\ndeployed_by: cd-bot\n")
    _ok("harvest")
    res = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                         "--deployed-at", "2026-02-01T08:00:00.25Z", "--retired-at",
                         "2026-03-01T00:00:00Z", "--write-file", "--json"))
    assert res["file"] == "governance/deployment/churn-prod-20260201T080000Z.yaml"
    assert sorted(p.name for p in own.parent.iterdir()) == [own.name]
    assert "retired_at: '2026-03-01T00:00:00Z'" in own.read_text()


def test_a_second_deployment_given_the_same_time_is_refused_with_how_to_record_it(
        repo: GitRepo) -> None:
    args = ["record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
            "--deployed-at", "2026-02-01T08:00:00Z"]
    _ok(*args, "--endpoint", "https://eu.example.com/churn")
    res = runner.invoke(app, [*args, "--endpoint", "https://us.example.com/churn"])
    assert res.exit_code == 2, res.output
    assert ("hint: if this is another deployment of the same version to the same environment "
            "at that time, give it its own --id") in res.stderr
    _ok(*args, "--endpoint", "https://us.example.com/churn", "--id", "churn-prod-us")
    assert _deployments(repo)["deployment:churn-prod-us"]["endpoint"] == (
        "https://us.example.com/churn")


def test_a_retirement_without_deployed_at_is_refused_naming_the_live_deployments(
        repo: GitRepo) -> None:
    """Without --deployed-at the deployment would be a new one deployed now and retired at
    once, and the live one would stay live: the user is told which time to give."""
    _ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
        "--deployed-at", "2026-02-01T08:00:00Z")
    before = _deployments(repo)
    res = runner.invoke(app, ["record", "deployment", "--model", "churn@v1.0.0", "--env",
                              "prod", "--retired-at", "2026-03-01T00:00:00Z"])
    assert res.exit_code == 2, res.output
    assert "--retired-at retires a recorded deployment: give its --deployed-at" in res.stderr
    assert "--deployed-at 2026-02-01T08:00:00Z --retired-at 2026-03-01T00:00:00Z" in (
        res.stderr.replace("\n", " "))
    assert _deployments(repo) == before


def test_a_retirement_file_lands_on_the_deployment_with_its_own_id_in_the_same_harvest(
        repo: GitRepo) -> None:
    """The deployment recorded with `id:` and its retirement recorded by model, environment
    and time are one deployment whether the two files are harvested one after the other or
    together (a fresh clone): the graph does not depend on harvest order."""
    gov = repo.path / "governance"
    gov.mkdir()
    (gov / "a.yaml").write_text("kind: deployment\nid: churn-prod-1\nmodel: churn@v1.0.0\n"
                                "environment: prod\ndeployed_at: 2026-02-01T08:00:00Z\n"
                                "endpoint: https://models.example.com/churn\n")
    (gov / "b.yaml").write_text("kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
                                "deployed_at: 2026-02-01T09:00:00+01:00\n"
                                "retired_at: 2026-03-01T00:00:00Z\n")
    _ok("harvest")
    recorded = {k: v for k, v in _deployments(repo).items() if k != GTO_DEPLOYMENT}
    assert list(recorded) == ["deployment:churn-prod-1"]
    dep = recorded["deployment:churn-prod-1"]
    assert dep["retired_at"] == "2026-03-01T00:00:00Z"
    assert dep["endpoint"] == "https://models.example.com/churn"
    # a record of that version, environment and time saying otherwise about it is another
    # deployment at that time (two regions), as it is when harvested after it
    (gov / "c.yaml").write_text("kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
                                "deployed_at: 2026-02-01T08:00:00Z\nendpoint: https://other\n")
    _ok("harvest")
    recorded = {k: v for k, v in _deployments(repo).items() if k != GTO_DEPLOYMENT}
    assert sorted(recorded) == ["deployment:churn-prod-1",
                                "deployment:churn:prod:2026-02-01T08:00:00Z"]
    assert recorded["deployment:churn:prod:2026-02-01T08:00:00Z"]["endpoint"] == "https://other"
    assert recorded["deployment:churn-prod-1"]["endpoint"] == (
        "https://models.example.com/churn")


def test_one_harvest_and_two_harvests_of_the_same_files_give_the_same_deployments(
        git_repo: GitRepo, tmp_path: Path) -> None:
    files = {"a.yaml": "kind: deployment\nid: churn-prod-1\nmodel: churn@v1.0.0\n"
                       "environment: prod\ndeployed_at: 2026-02-01T08:00:00Z\n"
                       "endpoint: https://eu\n",
             "b.yaml": "kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
                       "deployed_at: 2026-02-01T08:00:00Z\nretired_at: 2026-03-01T00:00:00Z\n",
             "c.yaml": "kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
                       "deployed_at: 2026-02-01T08:00:00Z\nendpoint: https://us\n"}
    graphs = []
    for steps in ([["a.yaml", "b.yaml", "c.yaml"]], [["a.yaml"], ["b.yaml"], ["c.yaml"]]):
        repo = GitRepo(tmp_path / f"r{len(steps)}")
        repo.write("README.md", "x\n")
        repo.commit("init")
        _ok("init", "-C", str(repo.path))
        for step in steps:
            for name in step:
                repo.write(f"governance/{name}", files[name])
            _ok("harvest", "-C", str(repo.path))
        with api.open_store(repo.path) as store:
            graphs.append({n.id: {k: v for k, v in n.attrs.items() if k != "record_file"}
                           for n in store.iter_nodes("deployment")})
    assert graphs[0] == graphs[1]
    assert graphs[0]["deployment:churn-prod-1"]["retired_at"] == "2026-03-01T00:00:00Z"


def test_record_validate_compares_a_retirement_with_the_deployment_it_names(
        repo: GitRepo) -> None:
    gov = repo.path / "governance"
    gov.mkdir()
    (gov / "a.yaml").write_text("kind: deployment\nid: churn-prod-1\nmodel: churn@v1.0.0\n"
                                "environment: prod\ndeployed_at: 2026-02-01T08:00:00Z\n"
                                "endpoint: https://models.example.com/churn\n")
    retired = ("kind: deployment\nmodel: churn@v1.0.0\nenvironment: prod\n"
               "deployed_at: 2026-02-01T08:00:00Z\nretired_at: {}\n")
    (gov / "b.yaml").write_text(retired.format("2026-03-01T00:00:00Z"))
    (gov / "c.yaml").write_text(retired.format("2026-04-01T00:00:00Z"))
    res = runner.invoke(app, ["record", "validate"])
    assert res.exit_code == 1, res.output
    assert ("governance/c.yaml:5 (retired_at): record deployment:churn-prod-1 is also in "
            "governance/b.yaml:5, which says otherwise about retired_at") in res.stderr


def test_a_deployment_file_name_is_one_file_whatever_the_environment_is_called(
        repo: GitRepo) -> None:
    """An environment named `eu-west/prod` or `k8s:prod` is a file name, not a folder and a
    drive-letter colon."""
    res = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env",
                         "eu west/prod:1", "--deployed-at", "2026-02-01T08:00:00Z",
                         "--write-file", "--json"))
    assert res["file"] == "governance/deployment/churn-eu-west-prod-1-20260201T080000Z.yaml"
    assert (repo.path / res["file"]).is_file()
    _ok("harvest")  # the file is the record: same node, nothing new
    assert res["node"] in _deployments(repo)



def test_a_deployment_recorded_with_an_id_is_retired_by_its_id(repo: GitRepo) -> None:
    _ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod", "--id",
        "churn-prod-7", "--deployed-at", "2026-02-01T08:00:00Z", "--endpoint", "https://m")
    out = json.loads(_ok("record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
                         "--id", "churn-prod-7", "--retired-at", "2026-03-01T00:00:00Z",
                         "--json"))
    assert out["node"] == "deployment:churn-prod-7"
    dep = _deployments(repo)["deployment:churn-prod-7"]
    assert dep["retired_at"] == "2026-03-01T00:00:00Z" and dep["endpoint"] == "https://m"
    # an id of another version or environment is no shortcut: its time is asked for
    res = runner.invoke(app, ["record", "deployment", "--model", "churn@v1.0.0", "--env",
                              "staging", "--id", "churn-prod-7", "--retired-at",
                              "2026-03-01T00:00:00Z"])
    assert res.exit_code == 2 and "give its --deployed-at" in res.stderr
