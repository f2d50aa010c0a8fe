"""A run record is compared with what records pinned of a model version — the run's own
output that is the version's artifact — not with the version's node, whose ``artifact_hash``
the DVC harvester rewrites with the artifact at the commit the GTO tag names now. A registry
that names other bytes than a recorded run (a tag moved with ``git tag -f``, or placed on
other bytes) is a warning naming the tag, its commit and both hashes, never a failed harvest;
a new run giving a version other bytes than records or the registry hold is still refused,
naming who holds which bytes.

The repository: ``models/m.bin`` tracked by DVC and declared as the artifact ``m``; the run
``good`` recorded with ``--write-file`` (ended 01:30Z) and committed (02:00Z); the tag
``m@v1.0.0`` on it (03:00Z). Then the file is swapped (04:00Z) and the tag moved onto the swap
(05:00Z): all on 2026-01-01."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
GOOD, EVIL = "weights of v1\n", "EVIL\n"
MODEL = "model:m@v1.0.0"


def md5(text: str) -> str:
    return "md5:" + hashlib.md5(text.encode()).hexdigest()


def where(repo: GitRepo | Path) -> Path:
    return repo if isinstance(repo, Path) else repo.path


def invoke(repo: GitRepo | Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "-C", str(where(repo))])


def harvest(repo: GitRepo | Path) -> dict[str, Any]:
    res = invoke(repo, "harvest", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def warnings_of(summary: dict[str, Any], source: str = "records") -> list[dict[str, Any]]:
    return [w for w in summary["warnings"] if w["source"] == source]


def said(summary: dict[str, Any]) -> list[str]:
    return [w["message"] for w in warnings_of(summary)]


def node(repo: GitRepo | Path, nid: str) -> dict[str, Any]:
    store = api.open_store(where(repo))
    try:
        n = store.get_node(nid)
        assert n is not None, nid
        return dict(n.attrs)
    finally:
        store.close()


def state(repo: GitRepo) -> tuple[Any, ...]:
    store = api.open_store(repo.path)
    try:
        return store.head(), sorted((n.id, json.dumps(n.attrs, sort_keys=True))
                                    for n in store.iter_nodes())
    finally:
        store.close()


def trained(repo: GitRepo) -> str:
    """The model committed with DVC, the run recorded to a file and committed."""
    repo.dvc("init", "-q")
    repo.write("models/m.bin", GOOD)
    repo.dvc("add", "-q", "models/m.bin")
    repo.write("dvc.yaml", "artifacts:\n  m:\n    path: models/m.bin\n    type: model\n")
    first = repo.commit("train m")
    api.init(repo.path)
    res = invoke(repo, "record", "run", "--run-id", "good", "--name", "train", "--model",
                 "m@v1.0.0=models/m.bin", "--start", "2026-01-01T01:00:00Z", "--end",
                 "2026-01-01T01:30:00Z", "--write-file")
    assert res.exit_code == 0, res.output
    repo.commit("record the run")
    return first


def swapped(repo: GitRepo) -> str:
    repo.write("models/m.bin", EVIL)
    repo.dvc("add", "-q", "models/m.bin")
    return repo.commit("swap the weights")


@pytest.fixture
def moved(git_repo: GitRepo) -> tuple[GitRepo, str]:
    """Harvested with the tag on the run's bytes, then the tag moved to other bytes."""
    trained(git_repo)
    git_repo.tag("m@v1.0.0", "register")
    assert said(harvest(git_repo)) == []
    second = swapped(git_repo)
    git_repo.tick += 1
    git_repo.git("tag", "-f", "-a", "m@v1.0.0", "-m", "register")
    return git_repo, second


def disagreement(second: str) -> str:
    return (f"model version m@v1.0.0: GTO tag m@v1.0.0 at commit {second} names artifact hash "
            f"{md5(EVIL)}; run run:lineage:good recorded it with {md5(GOOD)} (models/m.bin)")


def test_a_moved_tag_does_not_fail_the_harvest_of_the_unchanged_run_file(
        moved: tuple[GitRepo, str]) -> None:
    repo, second = moved
    summary = harvest(repo)  # was exit 2, citing the swapped bytes as if the store held them
    [w] = warnings_of(summary)
    assert w["message"].startswith(disagreement(second)), w
    assert "model-has-run" in w["message"]
    assert (w["file"], w["line"], w["field"]) == ("governance/run/good.yaml", 10, "models")
    # the registry's view is the tag's, the run's pin stays what it recorded
    assert node(repo, MODEL)["artifact_hash"] == md5(EVIL)
    store = api.open_store(repo.path)
    try:
        outputs = [store.get_node(e.target) for e in store.iter_edges()
                   if e.source == "run:lineage:good" and str(e.kind) == "output"]
    finally:
        store.close()
    assert [o.attrs["hash"] for o in outputs if o is not None] == [md5(GOOD)]
    # said once: the next harvest reads the run file again, and says nothing new
    assert warnings_of(harvest(repo)) == []
    # the audit reports the disagreement
    res = invoke(repo, "audit", "--format", "json", "--rule", "model-has-run")
    assert res.exit_code == 1, res.output
    [f] = json.loads(res.stdout)["findings"]
    assert md5(GOOD) in f["message"] and md5(EVIL) in f["message"]


def test_a_fresh_clone_of_the_moved_tag_harvests(moved: tuple[GitRepo, str],
                                                 tmp_path: Path) -> None:
    repo, second = moved
    clone = tmp_path / "clone"
    repo.run("git", "clone", "-q", str(repo.path), str(clone))
    shutil.rmtree(clone / ".lineage", ignore_errors=True)
    api.init(clone)
    summary = harvest(clone)
    assert [m for m in said(summary) if m.startswith(disagreement(second))], summary
    assert node(clone, MODEL)["artifact_hash"] == md5(EVIL)
    assert node(clone, "run:lineage:good")["status"] == "FINISHED"


def test_a_run_file_edited_to_other_bytes_is_refused_naming_its_own_record(
        moved: tuple[GitRepo, str]) -> None:
    repo, _ = moved
    harvest(repo)
    before = state(repo)
    run_file = repo.path / "governance" / "run" / "good.yaml"
    run_file.write_text(run_file.read_text().replace(md5(GOOD), md5(EVIL)))
    res = invoke(repo, "harvest")
    assert res.exit_code == 2, res.output
    assert (f"model version m@v1.0.0 is already recorded with artifact hash {md5(GOOD)} by "
            "run run:lineage:good (governance/run/good.yaml): this run says its hash is "
            f"{md5(EVIL)}") in res.stderr
    assert state(repo) == before


def test_a_new_run_is_compared_with_what_records_pinned(moved: tuple[GitRepo, str]) -> None:
    repo, second = moved
    harvest(repo)
    # the swapped bytes the tag names now are not the bytes the run recorded: refused
    before = state(repo)
    res = invoke(repo, "record", "run", "--name", "retrain", "--model", "m@v1.0.0=models/m.bin")
    assert res.exit_code == 2, res.output
    assert (f"model version m@v1.0.0 is already recorded with artifact hash {md5(GOOD)} by "
            "run run:lineage:good (governance/run/good.yaml): this run says its hash is "
            f"{md5(EVIL)} (models/m.bin)") in res.stderr
    assert "--model m@v1.1.0=models/m.bin" in res.stderr
    assert state(repo) == before
    # a retry re-stating the recorded bytes is recorded, the registry's disagreement said
    (repo.path / "models" / "m.bin").write_text(GOOD)
    res = invoke(repo, "record", "run", "--name", "retrain", "--model", "m@v1.0.0=models/m.bin",
                 "--json")
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["node"]
    assert json.loads(res.stdout)["warnings"] == [
        disagreement(second).replace("run:lineage:good", run) + ": the registry now names "
        "other bytes than the run that produced the version; the audit reports it "
        "(model-has-run) until the registration is put back on those bytes, or the new bytes "
        "are registered as a new version trained by a recorded run"]


def test_a_new_run_giving_a_registered_version_other_bytes_names_the_tag(
        git_repo: GitRepo) -> None:
    """No run recorded the version: the registry's bytes (the artifact at the tag's commit)
    are the version's, and a run claiming other ones after it was registered is refused."""
    git_repo.dvc("init", "-q")
    git_repo.write("models/m.bin", GOOD)
    git_repo.dvc("add", "-q", "models/m.bin")
    git_repo.write("dvc.yaml", "artifacts:\n  m:\n    path: models/m.bin\n    type: model\n")
    first = git_repo.commit("train m")
    git_repo.tag("m@v1.0.0", "register")  # 2026-01-01T02:00Z
    api.init(git_repo.path)
    harvest(git_repo)
    git_repo.write("models/m.bin", EVIL)
    res = invoke(git_repo, "record", "run", "--name", "retrain", "--model",
                 "m@v1.0.0=models/m.bin")
    assert res.exit_code == 2, res.output
    assert (f"model version m@v1.0.0 is registered with artifact hash {md5(GOOD)} by GTO tag "
            f"m@v1.0.0 at commit {first}: this run says its hash is {md5(EVIL)} "
            "(models/m.bin)") in res.stderr
    # a run file claiming it is refused by the harvest the same way, all or nothing
    git_repo.write("governance/run/late.yaml",
                   "kind: run\nid: late\nname: retrain\nmodels:\n"
                   f"  - {{name: m, version: v1.0.0, hash: '{md5(EVIL)}'}}\n")
    res = invoke(git_repo, "harvest")
    assert res.exit_code == 2, res.output
    assert "governance/run/late.yaml:4" in res.stderr and f"at commit {first}" in res.stderr
    # a run that ended before the registration made its bytes first: the registry disagrees
    git_repo.write("governance/run/late.yaml",
                   "kind: run\nid: late\nname: retrain\nend_time: 2026-01-01T01:00:00Z\n"
                   "models:\n"
                   f"  - {{name: m, version: v1.0.0, hash: '{md5(EVIL)}'}}\n")
    summary = harvest(git_repo)
    assert [m for m in said(summary) if m.startswith(
        f"model version m@v1.0.0: GTO tag m@v1.0.0 at commit {first} names artifact hash "
        f"{md5(GOOD)}; run run:lineage:late recorded it with {md5(EVIL)}")], summary
    assert node(git_repo, MODEL)["artifact_hash"] == md5(GOOD)
