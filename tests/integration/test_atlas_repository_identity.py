"""A repository harvested before its remote was added, pushed to Atlas: one entity per data
version and stage lock entry.

The harvest after the move writes every file version and lock entry again under the new
repository id (the former id's stay in the store's audit trail, its repository
``superseded_by`` the new one). Atlas holds one entity per node, so the former id's twins are
not sent: what named them (a run recorded before the move) refers to the current entity.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sinks.atlas.render import render_graph
from connectors.sinks.atlas.sink import AtlasSink
from lineage import api
from lineage.config import Config
from lineage.plugins import PushContext
from tests.conftest import GitRepo
from tests.standins.atlas import AtlasStandin, running_atlas

PASSWORD = "S3cret-Pa55"
NEW = "github.com/acme/churn"


@pytest.fixture
def atlas() -> Iterator[AtlasStandin]:
    with running_atlas({"admin": PASSWORD}) as s:
        yield s


def _qualified(repo: Path, kind: str) -> set[str]:
    with api.open_store(repo) as store:
        items = render_graph(store.load_graph())
    return {i["qualifiedName"] for i in items if i["entity"]["typeName"] == kind}


def test_one_entity_per_version_and_lock_entry(remote_added_repo: GitRepo) -> None:
    data = _qualified(remote_added_repo.path, "lineage_data")
    assert data and all(q.startswith(f"data:{NEW}:") for q in data)
    stages = _qualified(remote_added_repo.path, "lineage_dvc_stage")
    assert len(stages) == 1 and all(q.startswith(f"stage:{NEW}:") for q in stages)
    with api.open_store(remote_added_repo.path) as store:
        items = render_graph(store.load_graph())
    (run,) = [i for i in items if i["entity"]["typeName"] == "lineage_training_run"]
    inputs = [r["uniqueAttributes"]["qualifiedName"]
              for r in run["entity"]["attributes"]["inputs"] if r["typeName"] == "lineage_data"]
    assert inputs == [q for q in data if ":data/prepared.csv@" in q]
    assert list(run["entity"]["attributes"]["inputPins"]) == inputs


def test_pushed_to_atlas_every_reference_resolves(remote_added_repo: GitRepo,
                                                  atlas: AtlasStandin) -> None:
    with api.open_store(remote_added_repo.path) as store:
        ctx = PushContext(store, Config(), remote_added_repo.path,
                          options={"url": atlas.url, "username": "admin",
                                   "password": PASSWORD})
        result = AtlasSink().push(store.load_graph(), ctx)
    assert result.failed == 0
    held = {qn for (_, qn) in atlas.unique}
    assert not {q for q in held if q.startswith(("data:root:", "stage:root:"))}
    assert {q for q in held if q.startswith(f"data:{NEW}:")}
