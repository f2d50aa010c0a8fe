"""``ds://`` dependencies (DVC datasets, ``dvc ds add``): DVC records no content hash for them
in ``dvc.lock`` but the dataset's lock — its source and the revision (``rev_lock``), version
or file hashes it was locked at. The DVC harvester pins the dependency by that lock: one data
version per locked source, ``data:<repo>:ds://<name>@dataset:<digest>``, described like a
``dvc import`` source. A ``dvc`` dataset is built with real DVC from a local git + DVC
repository (offline); the ``dc`` (DataChain) and ``url`` locks need a server, so their
``dvc.lock`` entries are written in the shape DVC's own code gives them
(``dvc/repo/datasets.py``: ``DatachainDatasetLock``, ``URLDatasetLock``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage import api
from lineage.model import EdgeKind
from tests.conftest import GitRepo


def _stage_inputs(repo: GitRepo) -> dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]]:
    """Stage name → (data id, data attrs, edge attrs) of its ``ds://`` inputs."""
    graph = api.open_store(repo.path).load_graph()
    out: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
    for e in graph.edges(EdgeKind.INPUT):
        if e.target.startswith("stage:") and str(graph.attrs(e.source)["path"]).startswith(
                "ds://"):
            out.setdefault(graph.attrs(e.target)["name"], []).append(
                (e.source, graph.attrs(e.source), e.attrs))
    return out


@pytest.fixture
def source(tmp_path: Path) -> GitRepo:
    """A git + DVC repository whose data.csv a dataset points at."""
    src = GitRepo(tmp_path / "src")
    src.dvc("init", "-q")
    src.write("data.csv", "age,churned\n31,0\n")
    src.dvc("add", "-q", "data.csv")
    src.commit("data v1")
    return src


def test_a_dvc_dataset_dependency_is_pinned_by_its_locked_source_commit(
        git_repo: GitRepo, source: GitRepo) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.dvc("ds", "add", "--dvc", str(source.path), "--path", "data.csv", "src")
    r.write("train.py", "open('model.pkl', 'w').write('m')\n")
    with (r.path / "dvc.yaml").open("a") as f:
        f.write(f"stages:\n  train:\n    cmd: {sys.executable} train.py\n"
                "    deps: [ds://src, train.py]\n    outs: [model.pkl]\n")
    r.dvc("repro", "-q")
    c1 = r.commit("train on src")
    v1 = source.git("rev-parse", "HEAD")
    (dep,) = [d for d in yaml.safe_load((r.path / "dvc.lock").read_text())["stages"]["train"]
              ["deps"] if d["path"] == "ds://src"]
    # what DVC writes: the dataset's lock, no content hash
    assert dep["dataset"] == {"name": "src", "url": str(source.path), "type": "dvc",
                              "path": "data.csv", "rev_lock": v1}, dep
    assert not {"md5", "etag", "checksum"} & set(dep)
    # the code changes (a new lock entry), the dataset does not: the same data version
    r.write("train.py", "open('model.pkl', 'w').write('m2')\n")
    r.dvc("repro", "-q")
    r.commit("new code")
    # the source moves on, the dataset is updated: another data version
    source.write("data.csv", "age,churned\n31,0\n45,1\n")
    source.dvc("add", "-q", "data.csv")
    v2 = source.commit("data v2")
    r.dvc("ds", "update", "src")
    r.dvc("repro", "-q")
    c3 = r.commit("src updated")
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    inputs = _stage_inputs(r)["train"]
    assert len(inputs) == 3  # three lock entries of the stage, two data versions
    by_id = {did: (data, edge) for did, data, edge in inputs}
    assert len(by_id) == 2
    for did, (data, edge) in by_id.items():
        assert did.startswith("data:") and ":ds://src@dataset:" in did
        assert data["hash"] == did.rsplit("@", 1)[1] and data["hash_kind"] == "dataset"
        assert edge == {"pin": "strong", "path": "ds://src"}
    (first,) = [d for d, _ in by_id.values() if d["import_rev_lock"] == v1]
    (second,) = [d for d, _ in by_id.values() if d["import_rev_lock"] == v2]
    assert first["first_commit"] == c1 and second["first_commit"] == c3
    assert first["import_url"] == str(source.path)
    assert first["properties"] == {"dataset_type": "dvc", "import_path": "data.csv",
                                   "dataset_name": "src"}
    assert api.harvest(r.path).new_events == 0


LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: ds://{name}
      dataset:
{dataset}
    outs:
    - path: model.pkl
      hash: md5
      md5: 0cc175b9c0f1b6a831c399e269772661
      size: 1
"""

# the dataset locks DVC writes for a DataChain and a url dataset (DVC's own shapes)
DC = {"name": "churn", "url": "dc://churn@v3", "type": "dc", "version": 3,
      "created_at": "2026-01-02T10:00:00+00:00"}
URL = {"name": "raw", "url": "s3://bucket/raw", "type": "url",
       "meta": {"isdir": True, "size": 10, "nfiles": 2},
       "files": [{"relpath": "a.csv", "etag": "1a2b", "version_id": "v1", "size": 4},
                 {"relpath": "b.csv", "etag": "3c4d", "version_id": "v9", "size": 6}]}
URL_UNLOCKED = {"name": "raw", "url": "s3://bucket/raw", "type": "url"}


@pytest.mark.parametrize("dataset,pin,kind", [
    (DC, "weak", "dc"),
    (URL, "strong", "url"),
    (URL_UNLOCKED, "none", None),
], ids=["datachain-version", "url-file-hashes", "url-nothing-locked"])
def test_datachain_and_url_dataset_locks(git_repo: GitRepo, dataset: dict[str, Any], pin: str,
                                         kind: str | None) -> None:
    """A DataChain dataset is pinned by its version number in the registry, which names
    immutable data but is no content hash: weak. A url dataset is pinned by its files'
    hashes; one whose lock holds none stays unversioned, pinned none."""
    r = git_repo
    block = "".join(f"        {line}\n" for line in
                    yaml.safe_dump(dataset, sort_keys=False).splitlines())
    r.write("dvc.yaml", f"stages:\n  train:\n    cmd: python train.py\n"
            f"    deps: [ds://{dataset['name']}]\n    outs: [model.pkl]\n")
    r.write("dvc.lock", LOCK.format(name=dataset["name"], dataset=block.rstrip("\n")))
    r.commit("pipeline")
    api.init(r.path)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    ((did, data, edge),) = _stage_inputs(r)["train"]
    assert edge["pin"] == pin
    if kind is None:
        assert did.endswith(f":ds://{dataset['name']}@unversioned")
        return
    assert did.endswith(data["hash"]) and data["hash"].startswith("dataset:")
    assert data["import_url"] == dataset["url"]
    assert data["properties"]["dataset_type"] == kind
    if kind == "dc":
        assert data["properties"]["dataset_version"] == "3"


def test_a_dataset_lock_that_is_not_a_mapping_is_a_warning(git_repo: GitRepo) -> None:
    r = git_repo
    r.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
            "    deps: [ds://src]\n    outs: [model.pkl]\n")
    lock = LOCK.format(name="src", dataset="        5").replace("dataset:\n        5",
                                                                "dataset: 5")
    r.write("dvc.lock", lock)
    c = r.commit("pipeline")
    api.init(r.path)
    (w,) = api.harvest(r.path).report.warnings
    assert (w.commit, w.file, w.field) == (c, "dvc.lock", "stages.train.deps.0.dataset")
    assert "dataset of 'ds://src' is 5, not a mapping" in w.message
    ((did, _, edge),) = _stage_inputs(r)["train"]
    assert did.endswith(":ds://src@unversioned") and edge["pin"] == "none"


def test_the_same_lock_with_credentials_in_its_url_is_one_version_without_them(
        git_repo: GitRepo) -> None:
    """The dataset's source URL loses its credentials before it names the data version."""
    r = git_repo
    plain = {**URL, "url": "https://example.com/raw"}
    secret = {**URL, "url": "https://user:hunter2@example.com/raw"}
    for i, ds in enumerate((plain, secret)):
        block = "".join(f"        {line}\n" for line in
                        yaml.safe_dump(ds, sort_keys=False).splitlines())
        r.write("dvc.yaml", f"stages:\n  train:\n    cmd: python train.py {i}\n"
                "    deps: [ds://raw]\n    outs: [model.pkl]\n")
        r.write("dvc.lock", LOCK.format(name="raw", dataset=block.rstrip("\n")).replace(
            "cmd: python train.py", f"cmd: python train.py {i}"))
        r.commit(f"lock {i}")
    api.init(r.path)
    api.harvest(r.path)
    ids = {did for did, _, _ in _stage_inputs(r)["train"]}
    assert len(ids) == 1
    store_text = b"".join(p.read_bytes() for p in (r.path / ".lineage").rglob("*")
                          if p.is_file())
    assert b"hunter2" not in store_text


def test_a_store_harvested_before_gets_the_version_the_dataset_lock_pins(
        git_repo: GitRepo, source: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose DVC harvest linked the stage to ``ds://src@unversioned``, pinned none
    (the dataset's lock not read): the first harvest after the upgrade replays the history.
    The stage's lock entry, read with its dataset's lock, is a new stage node linked to the
    version the lock pins, and the stage node the older reading made is withdrawn with its
    edges, nothing else changed; the log still verifies, and the harvest after writes
    nothing."""
    from connectors.harvesters import dvc

    r = git_repo
    r.dvc("init", "-q")
    r.dvc("ds", "add", "--dvc", str(source.path), "--path", "data.csv", "src")
    with (r.path / "dvc.yaml").open("a") as f:
        f.write(f"stages:\n  train:\n    cmd: {sys.executable} -c \"open('m', 'w')\"\n"
                "    deps: [ds://src]\n    outs: [m]\n")
    r.dvc("repro", "-q")
    r.commit("train on src")
    api.init(r.path)
    with monkeypatch.context() as m:  # the earlier reading: the dataset's lock not read
        m.setattr(dvc, "_dataset", lambda *a: {})
        m.setattr(dvc, "READER_VERSION", "1")
        m.setattr(dvc, "_CACHE_VERSION", "10")
        api.harvest(r.path)
    ((did, _, edge),) = _stage_inputs(r)["train"]
    assert did.endswith(":ds://src@unversioned") and edge["pin"] == "none"
    res = api.harvest(r.path)
    assert res.report.warnings == []
    (dvc_stats,) = [h.stats for h in res.harvesters if h.name == "dvc"]
    assert (dvc_stats.nodes_new, dvc_stats.nodes_withdrawn) == (
        {"data": 1, "stage": 1}, {"stage": 1})
    assert dvc_stats.edges_withdrawn == {"input": 1, "output": 1, "defines": 1}
    ((did, data, edge),) = _stage_inputs(r)["train"]
    assert ":ds://src@dataset:" in did and edge["pin"] == "strong"
    assert data["import_rev_lock"] == source.git("rev-parse", "HEAD")
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0
