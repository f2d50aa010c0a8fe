"""A DVC path too long for a DataHub urn: GMS refuses an urn longer than 512 bytes once
URL-encoded, and a batch holding one is refused whole. The push cuts such a name in the urn
(its head and a digest of the whole), keeps the whole path as the dataset's name and
qualified name, and reads it back whole.

A real git + DVC repository with a deeply nested data path; pushed to the stand-in GMS (which
refuses long urns as GMS does) and to DataHub Lite, then audited from Lite.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.standins.gms import check_proposal, java_url_encoded_bytes, running_gms

pytest.importorskip("datahub")

runner = CliRunner()

DEEP = "/".join(f"segment_{i:02d}_with_a_rather_descriptive_folder_name" for i in range(11))
LONG_RAW = f"data/{DEEP}/raw features.csv"
LONG_OUT = f"data/{DEEP}/prepared features.csv"


@pytest.fixture
def long_repo(git_repo: GitRepo) -> GitRepo:
    repo = git_repo
    repo.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    repo.dvc("init", "-q")
    repo.write(LONG_RAW, "id,churned\n1,0\n2,1\n")
    repo.dvc("add", "-q", LONG_RAW)
    repo.write("dvc.yaml", "stages:\n  prepare:\n"
                           f"    cmd: cp '{LONG_RAW}' '{LONG_OUT}'\n"
                           f"    deps: ['{LONG_RAW}']\n    outs: ['{LONG_OUT}']\n")
    repo.dvc("repro", "-q")
    repo.commit("deeply nested data and its pipeline")
    res = runner.invoke(app, ["init", "--repo", str(repo.path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["harvest", "--repo", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    return repo


def _datasets(aspects: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """qualifiedName → (urn, properties) of every dataset held."""
    out = {}
    for urn, held in aspects.items():
        props = held.get("datasetProperties")
        if urn.startswith("urn:li:dataset:") and props:
            out[props["qualifiedName"]] = {"urn": urn, **props}
    return out


def test_push_to_gms_cuts_a_long_path_in_the_urn_and_keeps_it_whole_in_the_name(
        long_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(LONG_RAW) > 512  # far past what GMS takes, before the repository and encoding
    with running_gms() as gms:  # refuses an urn over 512 bytes, as GMS does
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        res = runner.invoke(app, ["push", "--to", "datahub-rest", "--json",
                                  "--repo", str(long_repo.path)])
        assert res.exit_code == 0, res.output
        summary = json.loads(res.stdout)
        assert summary["failed"] == 0 and summary["written"] == len(gms.proposals)
        held = {u: dict(a) for u, a in gms.state.aspects.items()}
    assert all(java_url_encoded_bytes(u) <= 512 for u in held)
    datasets = _datasets(held)
    raw = datasets[f"github.com/acme/churn/{LONG_RAW}"]
    out = datasets[f"github.com/acme/churn/{LONG_OUT}"]
    assert raw["name"] == LONG_RAW and out["name"] == LONG_OUT
    assert raw["urn"] != out["urn"]  # the two paths share their first 600 characters
    # the cut keeps the head of the name, so the urn still says what it is
    assert "github.com%2Facme%2Fchurn%2Fdata%2Fsegment_00" in raw["urn"].replace("/", "%2F")
    # the stage reads and writes them under those urns
    stage = next(a for u, a in held.items() if u.startswith("urn:li:dataJob:")
                 and "dataJobInputOutput" in a)["dataJobInputOutput"]
    assert stage["inputDatasets"] == [raw["urn"]] and stage["outputDatasets"] == [out["urn"]]


def test_lite_holds_the_same_urns_and_reads_back_the_whole_path(
        long_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.reader import graph_from_mcps
    from connectors.sinks.datahub.sink import lite_config
    from lineage.model import NodeKind

    res = runner.invoke(app, ["push", "--to", "datahub-lite", "--json",
                              "--repo", str(long_repo.path)])
    assert res.exit_code == 0, res.output
    lite = long_repo.path / ".lineage" / "datahub-lite.db"
    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        mcps = list(db.get_all_aspects())
    finally:
        db.close()
    lite_urns = {str(m.entityUrn) for m in mcps if str(m.entityUrn).startswith("urn:li:data")}
    with running_gms() as gms:  # the same urns on every target
        monkeypatch.setenv("DATAHUB_GMS_URL", gms.url)
        assert runner.invoke(app, ["push", "--to", "datahub-rest",
                                   "--repo", str(long_repo.path)]).exit_code == 0
        gms_urns = {u for u in gms.state.aspects if u.startswith("urn:li:data")}
    assert lite_urns == gms_urns
    graph = graph_from_mcps(mcps)
    paths = {graph.attrs(n).get("path") for n in graph.node_ids(NodeKind.DATA)}
    assert {LONG_RAW, LONG_OUT} <= paths
    assert not [p for p in paths if p and "..." in p]


def test_the_stand_in_refuses_an_urn_longer_than_gms_takes() -> None:
    def proposal(name: str) -> dict[str, Any]:
        return {"entityType": "dataset", "changeType": "UPSERT", "aspectName": "status",
                "entityUrn": f"urn:li:dataset:(urn:li:dataPlatform:dvc,{name},PROD)",
                "aspect": {"contentType": "application/json", "value": '{"removed": false}'}}

    fits = "a" * (512 - java_url_encoded_bytes(proposal("")["entityUrn"]))
    assert check_proposal(proposal(fits)) is None
    assert "longer than 512 bytes" in str(check_proposal(proposal(fits + "a")))
    # a slash is one character but three bytes once URL-encoded
    assert check_proposal(proposal(fits[:-2] + "/")) is not None


@pytest.mark.parametrize("seed", range(5))
def test_urn_bytes_measures_as_java_url_encoding(seed: int) -> None:
    from connectors.sinks.datahub.render import urn_bytes

    rng = random.Random(seed)
    alphabet = "aZ09.-*_ ~/:,()%+é中😀\t"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert urn_bytes(text) == java_url_encoded_bytes(text), text


def test_cut_names_are_stable_distinct_and_fit() -> None:
    from connectors.sinks.datahub.render import is_short_name, urn_builders, urn_bytes

    u = urn_builders("dvc", "PROD")
    short = "data/train.csv"
    assert u["dataset"](short) == "urn:li:dataset:(urn:li:dataPlatform:dvc,data/train.csv,PROD)"
    a, b = "x/" * 300 + "a.csv", "x/" * 300 + "b.csv"
    ua, ub = u["dataset"](a), u["dataset"](b)
    assert ua == u["dataset"](a) and ua != ub
    assert urn_bytes(ua) <= 512 and urn_bytes(ub) <= 512
    assert urn_bytes(u["dataset"]("é" * 200)) <= 512
    name = ua.split(",", 1)[1].rsplit(",", 1)[0]
    assert is_short_name(name, a) and not is_short_name(name, b)
    # a job's urn holds its flow's: a flow cut to fit leaves room for the job
    flow = u["flow"]("f" * 600)
    assert urn_bytes(u["job"](flow, "j" * 600)) <= 512
    assert urn_bytes(u["job"](flow, "train")) <= 512
