"""The DataHub ingestion source, run by the real `datahub ingest` CLI to a file sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("datahub")

WORKTREE = Path(__file__).resolve().parents[2]
DATAHUB = Path(sys.executable).with_name("datahub")
# the project is not installed where these tests run, so its entry point is not registered:
# recipes name the class path instead (same class the `lineage` entry point loads)
SOURCE_TYPE = "connectors.sinks.datahub.source.LineageSource"


def run_ingest(tmp_path: Path, config: dict, out: Path,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    import yaml

    recipe = tmp_path / "recipe.yml"
    recipe.write_text(yaml.safe_dump({
        "source": {"type": SOURCE_TYPE, "config": config},
        "sink": {"type": "file", "config": {"filename": str(out)}},
    }))
    env = {**os.environ, "PYTHONPATH": str(WORKTREE), "HOME": str(tmp_path),
           "DATAHUB_TELEMETRY_ENABLED": "false", "DATAHUB_SUPPRESS_LOGGING_MANAGER": "1"}
    env.pop("DATAHUB_GMS_URL", None)
    env.pop("DATAHUB_GMS_TOKEN", None)
    return subprocess.run([str(DATAHUB), "ingest", "-c", str(recipe)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def seed(repo: Path):
    from lineage import api
    from tests.golden.datahub.fixture_graph import fixed_graph

    api.init(repo)
    g = fixed_graph()
    with api.open_store(repo) as st:
        api.record(st, [*g.nodes(include_placeholders=False), *g.edges()],
                   event_kind="harvest", payload={"fixture": "fixed_graph"})
    return g


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")
def test_datahub_ingest_with_the_lineage_source_writes_the_rendered_graph(
        git_repo, tmp_path) -> None:
    from connectors.sinks.datahub.render import render

    git_repo.commit("init")
    graph = seed(git_repo.path)
    out = tmp_path / "mcps.json"
    proc = run_ingest(tmp_path, {"repo_path": str(git_repo.path), "harvest": False,
                                 "platform": "dvc", "env": "PROD"}, out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    written = json.loads(out.read_text())
    want = render(graph, platform="dvc", env="PROD")
    assert sorted((m["entityUrn"], m["aspectName"]) for m in written) == sorted(
        (m.entityUrn, m.aspectName) for m in want)
    # the file is what `datahub ingest` sinks take: read it back as our graph
    from datahub.ingestion.source.file import read_metadata_file

    from connectors.sinks.datahub.reader import graph_from_mcps

    back = graph_from_mcps(read_metadata_file(out))
    assert "model:churn@v1.1.0" in back and back.node_ids()


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")
def test_harvest_first_then_render_and_a_clear_failure_outside_a_repository(
        git_repo, tmp_path) -> None:
    git_repo.commit("init")
    out = tmp_path / "a.json"
    ok = run_ingest(tmp_path, {"repo_path": str(git_repo.path), "harvest": True}, out)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert (git_repo.path / ".lineage").is_dir()  # the store the harvest wrote
    aspects = {m["aspectName"] for m in json.loads(out.read_text())}
    assert "propertyDefinition" in aspects  # governance definitions always go first
    nowhere = tmp_path / "not-a-repo"
    nowhere.mkdir()
    bad = run_ingest(tmp_path, {"repo_path": str(nowhere), "harvest": False},
                     tmp_path / "b.json")
    assert bad.returncode != 0
    assert "not inside a git repository" in bad.stdout + bad.stderr


def test_entry_point_is_declared_for_datahub() -> None:
    import tomllib

    data = tomllib.loads((WORKTREE / "pyproject.toml").read_text())
    eps = data["project"]["entry-points"]["datahub.ingestion.source.plugins"]
    assert eps["lineage"] == "connectors.sinks.datahub.source:LineageSource"
    from connectors.sinks.datahub.source import LineageSource

    assert LineageSource.get_platform_id() == "lineage"


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")
def test_the_sample_recipe_ingests_into_a_gms_with_its_datahub_rest_sink(
        git_repo, tmp_path) -> None:
    """docker/datahub/recipe.yml as shipped (URL/token from DataHub's env vars), into the
    stand-in GMS, which validates every proposal as GMS does."""
    import yaml

    from connectors.sinks.datahub.render import render
    from tests.standins.gms import running_gms

    git_repo.commit("init")
    graph = seed(git_repo.path)
    recipe = yaml.safe_load((WORKTREE / "docker/datahub/recipe.yml").read_text())
    assert recipe["source"]["type"] == "lineage"
    recipe["source"]["type"] = SOURCE_TYPE
    recipe["source"]["config"].update({"repo_path": str(git_repo.path), "harvest": False})
    path = tmp_path / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))
    with running_gms(token="recipe-token") as gms:
        env = {**os.environ, "PYTHONPATH": str(WORKTREE), "HOME": str(tmp_path),
               "DATAHUB_TELEMETRY_ENABLED": "false", "DATAHUB_GMS_URL": gms.url,
               "DATAHUB_GMS_TOKEN": "recipe-token"}
        proc = subprocess.run([str(DATAHUB), "ingest", "-c", str(path)], env=env,
                              capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert all(r.status == 200 for r in gms.requests)
        assert {(m.entityUrn, m.aspectName) for m in render(graph)} <= gms.keys()
