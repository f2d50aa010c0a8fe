"""Deployments gone from the graph: what a push leaves live in DataHub, and what it removes.

A long-lived store harvests a GTO deployment (``fraud#prod#1``) and pushes it; the tag is
deleted (``gto unassign --delete``); a CI job's fresh clone — which never sees the old
deployment — pushes to the same DataHub. The version the clone writes listed that deployment
and its proxy job before: the push reads that listing before it overwrites it, warns about the
deployment the destination still holds live, counts it as stale, and soft-deletes it with
``-o remove_stale=true``, so the audit of the catalog agrees with the clone's own audit.

A deployment's plan emits two entities (the ``mlModelDeployment`` and its proxy ``dataJob``):
a push's stale tracking covers both, and a store pushed by a lineage that tracked only the
first gets its old proxy jobs cleaned too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage import api  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()
URL = "https://github.com/acme/fraud.git"
DEPLOYMENT = ("urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,"
              "fraud_v1.0.0_prod_20260101T030000Z,{env})")
JOB = ("urn:li:dataJob:(urn:li:dataFlow:(dvc,deployments/fraud,{env}),"
       "fraud_v1.0.0_prod_20260101T030000Z)")
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,fraud_v1.0.0,PROD)"
RISK = """\
kind: risk_assessment
id: ra1
model_group: fraud
tier: high
assessor: rita@acme.io
assessed_at: 2026-01-01
"""


def _origin(tmp_path: Path) -> GitRepo:
    """A GTO repository: ``fraud@v1.0.0`` registered and assigned to prod (``fraud#prod#1``),
    a high-risk assessment (so a live deployment is an audit finding)."""
    repo = GitRepo(tmp_path / "origin")
    repo.git("remote", "add", "origin", URL)
    repo.write("models/fraud.json", '{"w": 1}\n')
    repo.write("governance/ra.yaml", RISK)
    repo.commit("v1")
    repo.tag("fraud@v1.0.0", "register")
    repo.tag("fraud#prod#1", "assign")
    return repo


def _harvested(repo: GitRepo) -> GitRepo:
    api.init(repo.path)
    api.harvest(repo.path)
    return repo


def _clone(origin: GitRepo, tmp_path: Path) -> GitRepo:
    """A CI job's fresh clone of ``origin`` (its remote named as the team's), harvested."""
    path = tmp_path / "ci"
    origin.run("git", "clone", "-q", str(origin.path), str(path))
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = path, 50
    clone.git("remote", "set-url", "origin", URL)
    return _harvested(clone)


def _push(repo: GitRepo, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["push", *args, "--json", "--repo", str(repo.path)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _human(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, ["push", *args, "--repo", str(repo.path)],
                        env={"COLUMNS": "400"}, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def _held(lite: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                          read_only=True)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def _findings(repo: GitRepo, *source: str) -> set[tuple[str, str]]:
    res = runner.invoke(app, ["audit", *source, "--json", "--repo", str(repo.path)],
                        catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    return {(f["rule"], f["subject"]) for f in json.loads(res.stdout)["findings"]}


def test_a_fresh_clone_removes_the_deployment_whose_tag_is_gone(tmp_path: Path) -> None:
    lite = tmp_path / "team-lite.db"
    origin = _harvested(_origin(tmp_path))
    _push(origin, str(lite))
    dep, job = DEPLOYMENT.format(env="PROD"), JOB.format(env="PROD")
    assert _held(lite, dep)["mlModelDeploymentProperties"]["status"] == "IN_SERVICE"
    origin.git("tag", "-d", "fraud#prod#1")  # = gto unassign --delete
    ci = _clone(origin, tmp_path)

    # without the option: named in one warning, left in place
    said = _human(ci, str(lite))
    assert ("2 entities pushed before are no longer in the graph or the repository's HEAD "
            "(left in place; "
            f"-o remove_stale=true soft-deletes them): {job}, {dep}") in said
    assert _held(lite, dep)["status"] == {"removed": False}
    # the version the clone wrote no longer lists it: the push still knows it is there
    assert not _held(lite, VERSION)["mlModelProperties"].get("deployments")
    assert ("deployment-approved", "deployment:fraud:prod:2026-01-01T03:00:00Z") in \
        _findings(ci, "--source", "datahub-lite", str(lite))

    out = _push(ci, str(lite), "-o", "remove_stale=true")
    assert out["removed_entities"] == 2 and "stale_entities" not in out
    assert _held(lite, dep)["status"] == {"removed": True}
    assert _held(lite, job)["status"] == {"removed": True}
    # the catalog now says what the clone's store says
    assert _findings(ci, "--source", "datahub-lite", str(lite)) == _findings(ci)
    # nothing left to remove
    again = _push(ci, str(lite), "-o", "remove_stale=true")
    assert "removed_entities" not in again and "stale_entities" not in again


def test_a_deployment_only_another_store_recorded_is_left(tmp_path: Path) -> None:
    """A deployment recorded with ``lineage record`` into the long-lived store only is a
    record the clone never knew (records are never removed): it is not called stale."""
    lite = tmp_path / "team-lite.db"
    origin = _harvested(_origin(tmp_path))
    res = runner.invoke(app, ["record", "deployment", "--model", "fraud@v1.0.0", "--env",
                              "staging", "--deployed-at", "2026-01-05T00:00:00Z",
                              "--repo", str(origin.path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    _push(origin, str(lite))
    ci = _clone(origin, tmp_path)
    out = _push(ci, str(lite), "-o", "remove_stale=true")
    assert "stale_entities" not in out and "removed_entities" not in out
    staging = ("urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,"
               "fraud_v1.0.0_staging_20260105T000000Z,PROD)")
    assert _held(lite, staging)["status"] == {"removed": False}


def test_the_same_over_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = _harvested(_origin(tmp_path))
    dep, job = DEPLOYMENT.format(env="PROD"), JOB.format(env="PROD")
    with running_gms() as gms:
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        _push(origin, "--to", "datahub-rest")
        assert gms.aspect(dep, "status") == {"removed": False}
        origin.git("tag", "-d", "fraud#prod#1")
        ci = _clone(origin, tmp_path)
        out = _push(ci, "--to", "datahub-rest")
        assert out["stale_entities"] == 2 and sorted(out["stale_urns"]) == sorted([dep, job])
        assert gms.aspect(dep, "status") == {"removed": False}
        out = _push(ci, "--to", "datahub-rest", "-o", "remove_stale=true")
        assert out["removed_entities"] == 2
        assert gms.aspect(dep, "status") == {"removed": True}
        assert gms.aspect(job, "status") == {"removed": True}


def _tagged(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r2")
    repo.write("models/fraud.json", '{"w": 1}\n')
    repo.commit("v1")
    repo.tag("fraud@v1.0.0", "register")
    repo.tag("fraud#prod#1", "assign")
    return _harvested(repo)


def test_remove_stale_removes_the_deployment_and_its_proxy_job(tmp_path: Path) -> None:
    repo = _tagged(tmp_path)
    lite = repo.path / ".lineage" / "datahub-lite.db"
    _push(repo)
    (repo.path / "lineage.yaml").write_text("datahub: {env: DEV}\n")  # every urn changes
    out = _push(repo, "-o", "remove_stale=true")
    job = JOB.format(env="PROD")
    assert _held(lite, DEPLOYMENT.format(env="PROD"))["status"] == {"removed": True}
    assert _held(lite, job)["status"] == {"removed": True}
    assert _held(lite, JOB.format(env="DEV"))["status"] == {"removed": False}
    # nothing of the former environment is left live, and each is counted
    former = [u for u in _lite_urns(lite) if ",PROD" in u]
    assert [u for u in former if _held(lite, u).get("status") != {"removed": True}] == []
    assert out["removed_entities"] == len(former)


def test_a_store_pushed_before_jobs_were_tracked_gets_its_old_proxy_jobs_cleaned(
        tmp_path: Path) -> None:
    """A store whose push state names only each plan's main urn (as lineage did before)."""
    from lineage.store import Store

    repo = _tagged(tmp_path)
    lite = repo.path / ".lineage" / "datahub-lite.db"
    _push(repo)
    job = JOB.format(env="PROD")
    store = Store.open(repo.path / ".lineage")
    try:
        ns = f"push:datahub-lite:{os.path.realpath(lite)}"
        assert f"{job}|dataJobInfo" in store.state_get_all(ns)
        with store.transaction():
            store.state_delete(ns, [f"view|{job}"])
    finally:
        store.close()
    (repo.path / "lineage.yaml").write_text("datahub: {env: DEV}\n")
    out = _push(repo)
    assert job in out["stale_urns"]
    _push(repo, "-o", "remove_stale=true")
    assert _held(lite, job)["status"] == {"removed": True}
    assert _held(lite, JOB.format(env="DEV"))["status"] == {"removed": False}


def _lite_urns(lite: Path) -> list[str]:
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                          read_only=True)
    try:
        return list(db.list_ids())
    finally:
        db.close()


def test_kafka_cannot_be_read_and_the_push_says_so(tmp_path: Path) -> None:
    """A store that never pushed to a DataHub it reaches through Kafka cannot learn what the
    versions it writes listed there: the push says so and how to check."""
    pytest.importorskip("confluent_kafka")
    from tests.standins.kafka import running_kafka

    origin = _harvested(_origin(tmp_path))
    with running_kafka() as kafka:
        to = ["--to", "datahub-kafka", "-o", f"bootstrap={kafka.bootstrap}", "-o",
              f"schema_registry_url={kafka.registry_url}", "-o", "producer.log_level=0"]
        said = _human(origin, *to)
        assert ("note: 2 model versions and groups this store writes to kafka://"
                in said and "were not checked for deployments another store pushed there "
                "that the graph no longer has" in said and "--to datahub-rest" in said)
        ci = _clone(origin, tmp_path)
        assert _push(ci, *to)["stale_unchecked"] == 2
        # a store that pushed there before knows what it sent: nothing to say
        origin.tag("fraud@v1.1.0", "register")
        api.harvest(origin.path)
        out = _push(origin, *to)
        assert out["written"] > 0 and "stale_unchecked" not in out
