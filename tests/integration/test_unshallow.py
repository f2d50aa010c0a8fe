"""A shallow clone harvested, then unshallowed or deepened: the older history is harvested.

Real git repositories (pinned identities and dates): an origin with DVC files, a merge and GTO
tags; a ``git clone --depth 2`` of it harvested; then ``git fetch --unshallow`` (or
``--deepen``) and a harvest again. The result is compared with a fresh harvest of a full clone.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.harvesters import dvc as dvcmod
from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

DVC_YAML = """\
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - data/raw.csv
    outs:
    - data/prep.csv
  train:
    cmd: python train.py
    deps:
    - data/prep.csv
    outs:
    - model.pkl
artifacts:
  churn:
    path: model.pkl
    type: model
"""


def _dvc_file(path: str, md5: str) -> str:
    return f"outs:\n- md5: {md5}\n  size: 10\n  hash: md5\n  path: {path}\n"


def _lock(raw: str, prep: str, model: str | None) -> str:
    out = ["schema: '2.0'", "stages:", "  prepare:", "    cmd: python prepare.py", "    deps:",
           "    - path: data/raw.csv", f"      md5: {raw}", "      size: 10", "    outs:",
           "    - path: data/prep.csv", f"      md5: {prep}", "      size: 10"]
    if model is not None:
        out += ["  train:", "    cmd: python train.py", "    deps:",
                "    - path: data/prep.csv", f"      md5: {prep}", "      size: 10", "    outs:",
                "    - path: model.pkl", f"      md5: {model}", "      size: 10"]
    return "\n".join(out) + "\n"


def _md5(c: str) -> str:
    # a digest as DVC writes it (never digits alone: unquoted, YAML would read a number)
    return hashlib.md5(c.encode()).hexdigest()


def _git(path: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _origin(tmp_path: Path) -> GitRepo:
    """c0 … c6: DVC files (one never changed after c0), a merge, GTO tags old and new."""
    repo = GitRepo(tmp_path / "origin")
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", DVC_YAML)
    repo.write("data/raw.csv.dvc", _dvc_file("raw.csv", _md5("a")))
    repo.write("data/labels.csv.dvc", _dvc_file("labels.csv", _md5("1")))  # never changes
    repo.write("dvc.lock", _lock(_md5("a"), _md5("b"), None))
    repo.commit("c0 data and pipeline")
    repo.write("data/raw.csv.dvc", _dvc_file("raw.csv", _md5("c")))
    repo.write("dvc.lock", _lock(_md5("c"), _md5("d"), _md5("e")))
    repo.commit("c1 first model")
    repo.tag("churn@v1.0.0", "register churn v1.0.0")
    repo.tag("churn#prod", "promote v1.0.0")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "x = 1\n")
    repo.commit("c2 feature")
    repo.git("checkout", "-q", "main")
    repo.write("main.py", "y = 1\n")
    repo.commit("c3 main")
    repo.tick += 1
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    repo.write("data/raw.csv.dvc", _dvc_file("raw.csv", _md5("f")))
    repo.write("dvc.lock", _lock(_md5("f"), _md5("0"), _md5("9")))
    repo.commit("c5 retrain")
    repo.write("README.md", "churn\n")
    repo.commit("c6 docs")
    repo.tag("churn@v1.1.0", "register churn v1.1.0")
    return repo


def _clone(origin: GitRepo, dest: Path, *depth: str) -> Path:
    subprocess.run(["git", "clone", "-q", *depth, f"file://{origin.path}", str(dest)],
                   check=True, capture_output=True)
    return dest


def _harvest(path: Path) -> api.HarvestResult:
    if not (path / ".lineage").exists():
        api.init(path)
    return api.harvest(path)


def _facts(path: Path) -> tuple[dict[str, dict[str, Any]], set[tuple[str, str, str]]]:
    with api.open_store(path) as store:
        nodes = {n.id: n.attrs for n in store.iter_nodes()}
        edges = {(e.kind.value, e.source, e.target) for e in store.iter_edges()}
    return nodes, edges


def _wrote_nothing(res: api.HarvestResult) -> bool:
    return res.new_events == 0 and all(h.stats.total == 0 for h in res.harvesters)


def _deepened(res: api.HarvestResult) -> list[str]:
    return [str(n) for n in res.report.notes if n.source == "git" and "deepened" in n.message]


def _boundaries(nodes: dict[str, dict[str, Any]]) -> set[str]:
    return {nid for nid, a in nodes.items()
            if nid.startswith("commit:") and "shallow_boundary" in a.get("properties", {})}


def _verify(path: Path) -> None:
    res = CliRunner().invoke(app, ["verify", "--repo", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True


def _same_as_fresh(deep: Path, fresh: Path, old_boundaries: set[str]) -> None:
    """The deepened store holds what a fresh harvest of a full clone holds; the only extra
    facts are the DEFINES edges the old boundary commits drew while they looked like roots."""
    dn, de = _facts(deep)
    fn, fe = _facts(fresh)

    def norm(nodes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out = {}
        for nid, a in nodes.items():
            a = {k: v for k, v in a.items() if not (k == "properties" and v == {})}
            if nid.startswith("repository:"):
                a.pop("path", None)
            out[nid] = a
        return out

    assert norm(dn) == norm(fn)
    assert fe <= de
    extra = de - fe
    assert all(k == EdgeKind.DEFINES.value and s in old_boundaries for k, s, _ in extra), extra


@pytest.fixture(params=["in-process", "replay-worker"])
def replay(request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> tuple[bool, list[str]]:
    """The DVC replay in this process, or in a forked worker (whose outcomes are listed)."""
    outcomes: list[str] = []
    worker = request.param == "replay-worker"
    if worker:
        monkeypatch.setattr(dvcmod, "_PARALLEL_MIN", 1)
        real = dvcmod.DvcHarvester._replay_in_worker

        def spy(self: Any, *args: Any) -> Any:
            outcome = yield from real(self, *args)
            outcomes.append(outcome)
            return outcome

        monkeypatch.setattr(dvcmod.DvcHarvester, "_replay_in_worker", spy)
    return worker, outcomes


def test_unshallow_harvests_the_older_history(tmp_path: Path,
                                              replay: tuple[bool, list[str]]) -> None:
    worker, outcomes = replay
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "2")
    c5 = _git(clone, "rev-parse", "HEAD~1")
    res = _harvest(clone)
    assert any("shallow clone" in str(w) for w in res.report.warnings)
    nodes, _ = _facts(clone)
    assert _boundaries(nodes) == {f"commit:{c5}"}
    labels = next(a for a in nodes.values() if a.get("path") == "data/labels.csv")
    assert labels["first_commit"] == c5  # the boundary looks like a root commit

    # more history arrives: the rest of it, and a new commit on main
    origin.write("train.py", "z = 1\n")
    origin.commit("c7 after the shallow harvest")
    _git(clone, "fetch", "-q", "--unshallow")
    _git(clone, "merge", "-q", "--ff-only", "origin/main")
    assert not (clone / ".git" / "shallow").exists()

    outcomes.clear()
    res = _harvest(clone)
    assert _deepened(res), res.report.notes
    assert not any("deepened" in w.message for w in res.report.warnings)  # a note, not a problem
    assert outcomes == (["done"] if worker else [])  # the deepened history, in the worker
    assert not any("shallow clone" in str(w) for w in res.report.warnings)
    nodes, edges = _facts(clone)
    every = set(_git(clone, "rev-list", "--all").split())
    assert {n.removeprefix("commit:") for n in nodes if n.startswith("commit:")} == every
    assert _boundaries(nodes) == set()
    for sha in every:  # every parent edge, the old boundary's included
        for p in nodes[f"commit:{sha}"].get("parents", []):
            assert ("parent", f"commit:{p}", f"commit:{sha}") in edges
    c0 = _git(clone, "rev-list", "--max-parents=0", "HEAD")
    # DVC facts of the older commits, first commits corrected, GTO tags into that history
    paths = {(a.get("path"), a.get("hash")): a for a in nodes.values() if "first_commit" in a}
    assert paths[("data/raw.csv", f"md5:{_md5('a')}")]["first_commit"] == c0
    assert paths[("data/labels.csv", f"md5:{_md5('1')}")]["first_commit"] == c0
    assert len([a for a in nodes.values() if a.get("name") == "prepare"]) == 3
    assert "model:churn@v1.0.0" in nodes and "model:churn@v1.1.0" in nodes
    c1 = nodes["model:churn@v1.0.0"]["commit"]
    assert ("tagged", f"commit:{c1}", "model:churn@v1.0.0") in edges
    assert nodes["model:churn@v1.0.0"]["stage"] == "prod"
    _verify(clone)

    fresh = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(fresh)
    _same_as_fresh(clone, fresh, {f"commit:{c5}"})

    again = _harvest(clone)
    assert _wrote_nothing(again), [h.stats.as_dict() for h in again.harvesters]
    assert not _deepened(again) and not again.report.warnings
    _verify(clone)


def test_deepen_harvests_what_became_available_and_warns_again(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "2")
    c5 = _git(clone, "rev-parse", "HEAD~1")
    _harvest(clone)

    _git(clone, "fetch", "-q", "--deepen", "1")  # c5's parent, the merge, is fetched
    merge = _git(clone, "rev-parse", "HEAD~2")
    assert (clone / ".git" / "shallow").read_text().split() == [merge]
    res = _harvest(clone)
    assert _deepened(res)
    assert any("shallow clone" in str(w) and merge[:12] in str(w) for w in res.report.warnings)
    nodes, edges = _facts(clone)
    assert _boundaries(nodes) == {f"commit:{merge}"}
    assert ("parent", f"commit:{merge}", f"commit:{c5}") in edges
    assert len([n for n in nodes if n.startswith("commit:")]) == 3
    assert not any(t == f"commit:{merge}" for k, _, t in edges if k == "parent")
    again = _harvest(clone)
    assert _wrote_nothing(again) and not _deepened(again)

    # a second deepening reaches past the merge into both of its parents' histories
    _git(clone, "fetch", "-q", "--deepen", "2")
    res = _harvest(clone)
    assert _deepened(res)
    nodes, edges = _facts(clone)
    now_shallow = set((clone / ".git" / "shallow").read_text().split())
    assert _boundaries(nodes) == {f"commit:{s}" for s in now_shallow}
    assert ("parent", next(f"commit:{p}" for p in nodes[f"commit:{merge}"]["parents"]),
            f"commit:{merge}") in edges
    _verify(clone)

    _git(clone, "fetch", "-q", "--unshallow")
    res = _harvest(clone)
    assert _deepened(res)
    fresh = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(fresh)
    _same_as_fresh(clone, fresh, {f"commit:{c5}", f"commit:{merge}",
                                  *(f"commit:{s}" for s in now_shallow)})
    assert _wrote_nothing(_harvest(clone))
    _verify(clone)


def test_store_harvested_before_the_boundary_was_recorded(tmp_path: Path) -> None:
    """A store whose watermarks predate the shallow record: the boundary commits it marked
    tell that the last harvest saw a shallow history."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "2")
    c5 = _git(clone, "rev-parse", "HEAD~1")
    _harvest(clone)
    with api.open_store(clone) as store, store.transaction():
        store.conn.execute("DELETE FROM watermarks WHERE scope = 'shallow'")
    # still shallow: nothing to do, and the record is written
    assert _wrote_nothing(_harvest(clone))
    with api.open_store(clone) as store:
        assert {h: store.get_watermark(h, "shallow") for h in ("git", "dvc")} == {
            "git": json.dumps([c5]), "dvc": json.dumps([c5])}

    with api.open_store(clone) as store, store.transaction():
        store.conn.execute("DELETE FROM watermarks WHERE scope = 'shallow'")
    _git(clone, "fetch", "-q", "--unshallow")
    res = _harvest(clone)
    assert _deepened(res)
    fresh = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(fresh)
    _same_as_fresh(clone, fresh, {f"commit:{c5}"})
    assert _wrote_nothing(_harvest(clone))
    _verify(clone)


def test_never_shallow_store_walks_nothing_again(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An old store of a full clone: one look at the store, no second walk of the history."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "full")
    _harvest(clone)
    with api.open_store(clone) as store, store.transaction():
        store.conn.execute("DELETE FROM watermarks WHERE scope = 'shallow'")
    from connectors.harvesters import gitscan

    walks: list[int] = []
    real = gitscan.run_log

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gitscan, "run_log", counted)
    res = _harvest(clone)
    assert _wrote_nothing(res) and not _deepened(res) and walks == []
