"""A CD job records the deployment GTO made: after ``gto assign churn --version v1.2.0 --stage
prod`` (the annotated tag ``churn#prod#2``), ``lineage record deployment --model churn@v1.2.0
--env prod --endpoint …`` without ``--deployed-at`` completes the deployment the stage tag made
(its time is the tag's: one group, environment and time are one deployment) instead of
recording a second one, named by the time now, that GTO's rollback would leave live. Whether
or not a harvest read the tag first: the tags are read from the repository. A version GTO does
not have in that environment is a deployment of its own, with a warning naming GTO's.

Real git repositories and GTO tags, the CLI through typer's runner."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
ENDPOINT = "https://models.example.com/churn"


class Churn:
    """churn v1.1.0 (commit c1) and v1.2.0 (c2) registered, v1.1.0 in prod (``churn#prod#1``),
    a store; the tags' times follow the pinned clock (one hour a tick)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        repo.write("model.bin", "v1\n")
        self.c1 = repo.commit("c1")
        repo.tag("churn@v1.1.0", "register v1.1.0")
        repo.write("model.bin", "v2\n")
        self.c2 = repo.commit("c2")
        repo.tag("churn@v1.2.0", "register v1.2.0")
        repo.tag("churn#prod#1", "v1.1.0 to prod", ref=self.c1)
        _ok("init", "-C", str(repo.path))

    def assign(self, tag: str, commit: str) -> str:
        """A stage tag at ``commit`` (as ``gto assign`` makes it); returns the deployment id
        GTO's harvest gives it (``deployment:churn:prod:<tag time>``)."""
        self.repo.tag(tag, f"{tag} at {commit[:7]}", ref=commit)
        return f"deployment:churn:prod:{self.tag_time(tag)}"

    def tag_time(self, tag: str) -> str:
        out = self.repo.git("for-each-ref", "--format=%(taggerdate:iso-strict)",
                            f"refs/tags/{tag}")
        return out.replace("+00:00", "Z")

    def harvest(self) -> None:
        _ok("harvest", "-C", str(self.repo.path))

    def record(self, *args: str) -> Result:
        res = runner.invoke(app, ["record", "deployment", "-C", str(self.repo.path), *args])
        assert res.exit_code == 0, res.output
        return res

    def deployments(self, version: str) -> dict[str, dict[str, Any]]:
        with api.open_store(self.repo.path) as store:
            return {n.id: n.attrs for n in store.iter_nodes("deployment")
                    if n.attrs.get("model") == f"model:churn@{version}"
                    and n.attrs.get("environment") == "prod"}


def _ok(*args: str) -> Result:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def churn(git_repo: GitRepo) -> Churn:
    return Churn(git_repo)


@pytest.mark.parametrize("harvested", [False, True], ids=["tag-not-harvested", "harvested"])
def test_the_cd_record_completes_the_deployment_gto_made_and_a_rollback_retires_it(
        churn: Churn, harvested: bool) -> None:
    churn.harvest()
    gto = churn.assign("churn#prod#2", churn.c2)  # gto assign churn --version v1.2.0 ...
    if harvested:
        churn.harvest()
    res = churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint", ENDPOINT,
                       "--deployed-by", "deploy-bot", "--json")
    out = json.loads(res.stdout)
    at = churn.tag_time("churn#prod#2")
    assert out["node"] == gto
    assert out["record"]["deployed_at"] == at
    assert out["warnings"] == []
    name = gto.removeprefix("deployment:")
    assert (f"note: completes deployment {name} (GTO tag churn#prod#2): deployed at the "
            "tag's time") in res.stderr.splitlines()
    churn.harvest()
    deployments = churn.deployments("v1.2.0")
    assert list(deployments) == [gto]  # one deployment: GTO's, with the record's endpoint
    assert deployments[gto]["endpoint"] == ENDPOINT
    assert deployments[gto]["source"] == "gto"
    assert not deployments[gto].get("retired_at")

    # rollback: gto assign churn --version v1.1.0 --stage prod --force
    churn.assign("churn#prod#3", churn.c1)
    churn.harvest()
    deployments = churn.deployments("v1.2.0")
    assert list(deployments) == [gto]
    assert deployments[gto]["retired_at"] == churn.tag_time("churn#prod#3")
    shown = _ok("show", "churn@v1.2.0", "-C", str(churn.repo.path)).stdout
    section = shown.split("\nDeployments\n", 1)[1].split("\nDocuments", 1)[0]
    assert re.findall(r"^churn:prod:\S+", section, re.M) == [name]
    assert "state: live" not in section
    assert f"state: retired {churn.tag_time('churn#prod#3')}" in section


def test_the_record_written_for_review_is_of_gtos_deployment(churn: Churn) -> None:
    """With --write-file the file names the tag's time: committed and harvested (a fresh
    clone reads it with the tags) it lands on GTO's deployment."""
    gto = churn.assign("churn#prod#2", churn.c2)
    out = json.loads(churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint",
                                  ENDPOINT, "--write-file", "--json").stdout)
    at = churn.tag_time("churn#prod#2")
    assert out["node"] == gto
    text = (churn.repo.path / out["file"]).read_text()
    assert f"deployed_at: '{at}'" in text
    churn.harvest()
    assert list(churn.deployments("v1.2.0")) == [gto]


def test_a_version_gto_does_not_have_there_is_recorded_apart_with_a_warning(
        churn: Churn) -> None:
    """GTO has v1.1.0 in prod: a CD job recording v1.2.0 there records a deployment of its
    own, deployed now, and says the registry disagrees, naming GTO's assignment."""
    churn.harvest()
    gto = "deployment:churn:prod:" + churn.tag_time("churn#prod#1")
    res = churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint", ENDPOINT,
                       "--json")
    out = json.loads(res.stdout)
    assert out["node"] != gto and out["node"].startswith("deployment:churn:prod:")
    assert out["record"]["deployed_at"] != churn.tag_time("churn#prod#1")
    said = (f"GTO's registry has churn@v1.1.0 in prod, not churn@v1.2.0 (tag churn#prod#1, "
            f"deployment {gto.removeprefix('deployment:')})")
    assert [w for w in out["warnings"] if w.startswith(said)], out["warnings"]
    assert "`gto assign churn --version v1.2.0 --stage prod`" in out["warnings"][0]
    assert f"warning: {said}" in res.stderr
    assert "completes deployment" not in res.stderr
    assert list(churn.deployments("v1.2.0")) == [out["node"]]
    assert not churn.deployments("v1.1.0")[gto].get("endpoint")


def test_no_version_of_gto_in_the_environment_any_more_is_said(churn: Churn) -> None:
    churn.repo.tag("churn#prod!#2", "unassign prod", ref=churn.c1)
    res = churn.record("--model", "churn@v1.1.0", "--env", "prod", "--json")
    out = json.loads(res.stdout)
    assert out["node"] != "deployment:churn:prod:" + churn.tag_time("churn#prod#1")
    assert out["warnings"][0].startswith(
        "GTO's registry has no version of churn in prod now (the last, churn@v1.1.0, by tag "
        f"churn#prod#1, left it at {churn.tag_time('churn#prod!#2')})")


def test_an_explicit_deployed_at_is_taken_as_given(churn: Churn) -> None:
    churn.assign("churn#prod#2", churn.c2)
    res = churn.record("--model", "churn@v1.2.0", "--env", "prod", "--deployed-at",
                       "2026-03-01T08:00:00Z", "--json")
    out = json.loads(res.stdout)
    assert out["node"] == "deployment:churn:prod:2026-03-01T08:00:00Z"
    assert out["warnings"] == [] and "GTO" not in res.stderr


def test_a_deployment_with_its_own_id_stays_its_own(churn: Churn) -> None:
    churn.assign("churn#prod#2", churn.c2)
    out = json.loads(churn.record("--model", "churn@v1.2.0", "--env", "prod", "--id",
                                  "churn-prod-eu", "--json").stdout)
    assert out["node"] == "deployment:churn-prod-eu"
    assert out["record"]["deployed_at"] != churn.tag_time("churn#prod#2")


def test_a_second_region_is_another_deployment_said_so(churn: Churn) -> None:
    """GTO's deployment completed with one endpoint: a record of the same version with
    another endpoint is another deployment (a second region), not refused as a clash."""
    gto = churn.assign("churn#prod#2", churn.c2)
    eu = json.loads(churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint",
                                 "https://eu.example.com/churn", "--json").stdout)
    assert eu["node"] == gto
    res = churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint",
                       "https://us.example.com/churn", "--json")
    us = json.loads(res.stdout)
    assert us["node"] != gto
    assert (f"note: deployment {gto.removeprefix('deployment:')} (GTO tag churn#prod#2) is "
            "recorded with endpoint 'https://eu.example.com/churn': this is another "
            "deployment of churn@v1.2.0 to prod") in res.stderr
    deployments = churn.deployments("v1.2.0")
    assert deployments[gto]["endpoint"] == "https://eu.example.com/churn"
    assert deployments[us["node"]]["endpoint"] == "https://us.example.com/churn"


def test_a_checkout_without_the_tags_reads_the_harvested_store(churn: Churn) -> None:
    """A CD job's clone that fetched no tags, with the store a harvest wrote: the record
    completes the deployment that harvest read from the tags."""
    gto = churn.assign("churn#prod#2", churn.c2)
    churn.harvest()
    for tag in churn.repo.git("tag").split():
        churn.repo.git("tag", "-d", tag)
    out = json.loads(churn.record("--model", "churn@v1.2.0", "--env", "prod", "--endpoint",
                                  ENDPOINT, "--json").stdout)
    assert out["node"] == gto
    assert churn.deployments("v1.2.0")[gto]["endpoint"] == ENDPOINT


def test_the_lines_a_record_prints_are_not_wrapped(churn: Churn, tmp_path: Path) -> None:
    """Not a terminal (a CI log, a pipe): each line whole, however long, as scripts grep it."""
    env = "production-europe-west-1"
    res = churn.record("--model", "churn@v1.2.0", "--env", env, "--allow-new",
                       "--endpoint", ENDPOINT, "--write-file")
    files = list((churn.repo.path / "governance" / "deployment").iterdir())
    assert len(files) == 1
    wrote = f"wrote governance/deployment/{files[0].name}: commit it for review"
    assert len(wrote) > 80
    assert wrote in res.stderr.splitlines()
    recorded = [ln for ln in res.stdout.splitlines() if ln.startswith("Recorded deployment")]
    assert len(recorded) == 1 and recorded[0].endswith("fact(s) written)"), res.stdout
