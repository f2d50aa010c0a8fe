"""A run record that names a model version describes its model group too, so a correctly
recorded repository has no lineage-continuity gap nothing could close; the group a registry
(GTO, MLflow) describes keeps its facts; and the audit of the DataHub Lite file `lineage push`
wrote gives the store's findings, also for a risk assessment of a group only a run record (or
no source at all) describes.

Everything goes through the CLI on real git repositories: record, harvest, audit, push, audit
of the catalog.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import Node, NodeKind
from lineage.records import RunModel, RunRecord, to_facts
from tests.conftest import GitRepo

runner = CliRunner()
GROUP = "model_group:fraud"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The QA repro: data.csv and model.bin committed, `lineage init && lineage harvest`."""
    monkeypatch.chdir(git_repo.path)
    git_repo.write("data.csv", "a,b\n1,2\n")
    git_repo.write("model.bin", "weights\n")
    git_repo.commit("data and model")
    _ok("init")
    _ok("harvest")
    return git_repo


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _record_run(repo: GitRepo, *extra: str) -> None:
    # run (and its version made) by the audit's date: later ones are out of its scope
    _ok("record", "run", "--name", "train", "--commit", repo.git("rev-parse", "HEAD"),
        "--clean", "--input", "data.csv", "--model", "fraud@1=model.bin",
        "--start", "2026-05-01T10:00:00Z", "--end", "2026-05-01T11:00:00Z", *extra)


def _assess(*extra: str) -> None:
    _ok("record", "assessment", "--group", "fraud", "--tier", "high", "--annex-iii", "5(b)",
        "--assessed-at", "2026-01-10", "--next-review", "2027-01-10", *extra)


def _audit(*source: str) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "--as-of", "2026-06-01", "--format", "json", *source])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _findings(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule"], f["subject"]) for f in report["findings"]}


def _push() -> dict[str, Any]:
    return json.loads(_ok("push", "--to", "datahub-lite", "--json"))  # type: ignore[no-any-return]


def _both_audits(repo: GitRepo) -> dict[str, Any]:
    """Push, then require the catalog's audit to be the store's: same findings, same checks."""
    pytest.importorskip("datahub")
    local = _audit()
    push = _push()
    assert push["failed"] == 0
    remote = _audit("--source", "datahub-lite", str(repo.path / ".lineage" / "datahub-lite.db"))
    assert remote["findings"] == local["findings"]
    assert remote["summary"] == local["summary"]
    # (commits and the repository are not carried: docs/datahub-remote.md)
    assert {k: v for k, v in remote["stats"].items() if k != "nodes"} == \
        {k: v for k, v in local["stats"].items() if k != "nodes"}
    # pushed again, nothing changed: nothing is written
    again = _push()
    assert (again["written"], again["failed"]) == (0, 0)
    return local


def _node(repo: GitRepo, nid: str) -> dict[str, Any] | None:
    store = api.open_store(repo.path)
    try:
        n = store.get_node(nid)
        return None if n is None else n.attrs
    finally:
        store.close()


def test_a_recorded_model_version_has_its_group(repo: GitRepo) -> None:
    _record_run(repo)
    assert _node(repo, GROUP) == {"name": "fraud", "registry": "lineage"}
    report = _audit()
    assert not [f for f in report["findings"] if f["rule"] == "lineage-continuity"]
    # a harvest re-applies nothing new; the group is not rewritten
    head = api.open_store(repo.path)
    try:
        before = head.head()
    finally:
        head.close()
    _ok("harvest")
    store = api.open_store(repo.path)
    try:
        assert store.head() == before
    finally:
        store.close()


def test_high_tier_group_recorded_by_a_run_audits_the_same_in_datahub(repo: GitRepo) -> None:
    _record_run(repo)
    _assess()
    local = _both_audits(repo)
    found = _findings(local)
    assert ("high-risk-docs", "model:fraud@1") in found
    assert ("risk-tier-set", GROUP) not in found
    assert not [s for r, s in found if r == "lineage-continuity"]


def test_assessment_before_any_version(repo: GitRepo) -> None:
    """Assessed before a version exists: the group is a gap (records point, they do not
    describe), in the store and in the catalog alike; the first run closes it."""
    _assess()
    before = _both_audits(repo)
    assert ("lineage-continuity", GROUP) in _findings(before)
    _record_run(repo)
    assert _node(repo, GROUP) == {"name": "fraud", "registry": "lineage"}
    after = _both_audits(repo)
    found = _findings(after)
    assert ("lineage-continuity", GROUP) not in found
    assert ("risk-tier-set", GROUP) not in found
    assert ("high-risk-docs", "model:fraud@1") in found


def test_written_run_file_harvests_to_the_same_group(repo: GitRepo) -> None:
    _record_run(repo, "--write-file")
    store = api.open_store(repo.path)
    try:
        before = store.head()
    finally:
        store.close()
    repo.commit("record the run")
    _ok("harvest", "--only", "records")
    assert _node(repo, GROUP) == {"name": "fraud", "registry": "lineage"}
    store = api.open_store(repo.path)
    try:  # the file lands on the facts `lineage record` wrote: no fact changed
        assert all(e.payload.get("facts", 0) == 0 for e in store.events(before[0]))
    finally:
        store.close()


def test_a_group_gto_describes_keeps_its_facts(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    store = api.open_store(demo)
    try:
        gto = store.get_node("model_group:churn")
    finally:
        store.close()
    assert gto is not None and gto.attrs["registry"] == "gto"
    (demo / "models" / "next.json").write_text('{"w": [1, 2]}\n')
    _ok("record", "run", "--name", "retrain", "--model", "churn@v1.2.0=models/next.json")
    _ok("harvest")
    store = api.open_store(demo)
    try:
        group = store.get_node("model_group:churn")
        assert group is not None and group.attrs == gto.attrs
        assert store.get_node("model:churn@v1.2.0") is not None
    finally:
        store.close()


def test_a_group_mlflow_describes_under_an_alias_keeps_its_facts(repo: GitRepo) -> None:
    """The MLflow harvester names the group by its canonical name (``model_aliases``) and
    keeps MLflow's own name: a run naming the canonical group adds nothing to it."""
    mlflow_group = Node.make(NodeKind.MODEL_GROUP, GROUP, name="fraud", registry="mlflow",
                             description="fraud scorer", tags={"team": "risk"},
                             properties={"mlflow_name": "fraud-model"})
    store = api.open_store(repo.path)
    try:
        api.record(store, [mlflow_group], event_kind="harvest", payload={})
    finally:
        store.close()
    _record_run(repo)
    assert _node(repo, GROUP) == mlflow_group.attrs


def test_run_mapping_names_the_group() -> None:
    rec = RunRecord(kind="run", id="r1", name="train",
                    models=[RunModel(name="fraud", version="1", hash="md5:" + "0" * 32)])
    nodes = [f for f in to_facts(rec) if isinstance(f, Node) and f.kind == NodeKind.MODEL_GROUP]
    assert [(n.id, n.attrs) for n in nodes] == [(GROUP, {"name": "fraud",
                                                         "registry": "lineage"})]


def test_mlflow_describes_a_group_a_run_recorded_first(git_repo: GitRepo,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run recorded before MLflow's first harvest made the group (``registry: lineage``):
    MLflow, a registry, then describes it (registry, description, tags), as GTO may."""
    from tests.mlflow_history import FIXTURES

    monkeypatch.chdir(git_repo.path)
    git_repo.write("model.bin", "weights\n")
    git_repo.commit("model")
    shutil.copy(FIXTURES / "mlflow.db", git_repo.path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    _ok("init")
    _ok("record", "run", "--name", "train", "--commit", git_repo.git("rev-parse", "HEAD"),
        "--clean", "--model", "churn-model@9=model.bin")
    assert _node(git_repo, "model_group:churn-model")["registry"] == "lineage"
    _ok("harvest", "--only", "mlflow")
    group = _node(git_repo, "model_group:churn-model")
    assert group["registry"] == "mlflow" and group["description"] == "Customer churn classifier"
