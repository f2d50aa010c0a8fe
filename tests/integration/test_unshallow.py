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


# -- a clone that holds less history than the store ----------------------------------------------

def _shallower(res: api.HarvestResult) -> list[str]:
    return [str(n) for n in res.report.notes if n.source == "git" and "less history" in n.message]


def _walks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The exclusions of every ``git log`` walk (``[]``: the whole history)."""
    from connectors.harvesters import gitscan

    walks: list[list[str]] = []
    real = gitscan.run_log

    def counted(root: Path, tips: Any, exclude: Any, *args: Any, **kwargs: Any) -> Any:
        walks.append(sorted(exclude))
        return real(root, tips, exclude, *args, **kwargs)

    monkeypatch.setattr(gitscan, "run_log", counted)
    return walks


def _git_processes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The git commands the harvesters run (their first argument)."""
    from connectors.harvesters import gitscan

    ran: list[str] = []
    real_git, real_run = gitscan._git, gitscan.run_git

    def git(root: Path, *args: str, **kwargs: Any) -> Any:
        ran.append(args[0])
        return real_git(root, *args, **kwargs)

    def run_git(root: Path, args: list[str], *rest: Any, **kwargs: Any) -> Any:
        ran.append(args[0])
        return real_run(root, args, *rest, **kwargs)

    monkeypatch.setattr(gitscan, "_git", git)
    monkeypatch.setattr(gitscan, "run_git", run_git)
    return ran


def test_fetch_depth_1_on_a_shallow_clone_keeps_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``git fetch --depth 1`` after a harvest of a ``--depth 3`` clone: less history in the
    clone than in the store. Said once in a note, no walk, nothing written, the old boundary
    stays marked (the store still lacks its parents); unshallowed later, all of it arrives."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "3")
    c6 = _git(clone, "rev-parse", "HEAD")
    old = set((clone / ".git" / "shallow").read_text().split())
    _harvest(clone)
    before = _facts(clone)
    assert _boundaries(before[0]) == {f"commit:{s}" for s in old}

    _git(clone, "fetch", "-q", "--depth", "1")
    assert c6 in (clone / ".git" / "shallow").read_text().split()
    walks = _walks(monkeypatch)
    res = _harvest(clone)
    assert not _deepened(res), res.report.notes
    assert len(_shallower(res)) == 1, res.report.notes
    assert c6[:12] in _shallower(res)[0]
    assert not any("less history" in w.message for w in res.report.warnings)
    assert walks == []  # no re-walk of anything
    assert _wrote_nothing(res), [h.stats.as_dict() for h in res.harvesters]
    assert _facts(clone) == before  # c6 keeps its parent edge, the old boundary its mark

    ran = _git_processes(monkeypatch)
    again = _harvest(clone)
    assert _wrote_nothing(again) and not _shallower(again) and not _deepened(again)
    assert sorted(ran) == ["config", "for-each-ref"]  # the no-change path, nothing more
    _verify(clone)

    _git(clone, "fetch", "-q", "--unshallow")
    res = _harvest(clone)
    assert _deepened(res) and not _shallower(res)
    fresh = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(fresh)
    _same_as_fresh(clone, fresh, {f"commit:{s}" for s in old})
    assert _wrote_nothing(_harvest(clone))
    _verify(clone)


def test_pull_depth_1_harvests_only_the_new_commit(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``git fetch --depth=1`` bringing a new commit, checked out: that commit is walked alone
    (it is the new boundary); its parent is in the store, so it gets its parent edge and no
    boundary mark; the rest of the store stays as it was."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "2")
    c5 = _git(clone, "rev-parse", "HEAD~1")
    c6 = _git(clone, "rev-parse", "HEAD")
    _harvest(clone)
    nodes0, edges0 = _facts(clone)

    origin.write("data/raw.csv.dvc", _dvc_file("raw.csv", _md5("g")))
    c7 = origin.commit("c7 new raw data")
    # (``git pull --depth=1`` refuses: c7, shallow, shares no history with c6 in the clone)
    _git(clone, "fetch", "-q", "--depth=1")
    _git(clone, "reset", "-q", "--hard", "origin/main")
    assert c7 in (clone / ".git" / "shallow").read_text().split()
    walks = _walks(monkeypatch)
    res = _harvest(clone)
    assert not _deepened(res) and len(_shallower(res)) == 1, res.report.notes
    assert walks == [[c6]]  # the new commit only, as an incremental harvest
    nodes, edges = _facts(clone)
    assert set(nodes) - set(nodes0) == {
        f"commit:{c7}", *(n for n in nodes if n.endswith(f"@md5:{_md5('g')}"))}
    assert len(set(nodes) - set(nodes0)) == 2
    # no stored commit is rewritten (main's move is the repository's)
    assert {k: nodes[k] for k in nodes0 if not k.startswith("repository:")} == {
        k: v for k, v in nodes0.items() if not k.startswith("repository:")}
    assert edges0 <= edges
    assert _boundaries(nodes) == {f"commit:{c5}"}
    assert nodes[f"commit:{c7}"]["parents"] == [c6]
    assert ("parent", f"commit:{c6}", f"commit:{c7}") in edges
    again = _harvest(clone)
    assert _wrote_nothing(again) and not _shallower(again) and not _deepened(again)
    _verify(clone)


def test_reclone_at_a_lower_depth_with_the_same_store(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The clone removed and cloned again, shallower, in the same place; the store kept."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "3")
    _harvest(clone)
    before = _facts(clone)
    kept = tmp_path / "kept-store"
    (clone / ".lineage").rename(kept)
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    _clone(origin, clone, "--depth", "1")
    kept.rename(clone / ".lineage")

    walks = _walks(monkeypatch)
    res = _harvest(clone)
    assert not _deepened(res) and len(_shallower(res)) == 1, res.report.notes
    assert walks == []
    # no fact written; what the clone lacks did not change: its new boundary's history is
    # held, the history before the old boundary is in neither (no event)
    assert all(h.stats.total == 0 for h in res.harvesters), res.harvesters
    assert [h.name for h in res.harvesters if h.event_seq is not None] == []
    assert _facts(clone)[0] == {k: v for k, v in before[0].items()}
    assert _wrote_nothing(_harvest(clone))


def _origin_with_side(tmp_path: Path) -> tuple[GitRepo, list[str]]:
    """The origin of :func:`_origin` and a branch ``side`` from c0: s1 … s4, raw data changed
    at s1 and s2."""
    origin = _origin(tmp_path)
    c0 = origin.git("rev-list", "--max-parents=0", "HEAD")
    origin.git("checkout", "-q", "-b", "side", c0)
    side = []
    for i, content in enumerate(["s1", "s2", None, None], 1):
        if content is not None:
            origin.write("data/raw.csv.dvc", _dvc_file("raw.csv", _md5(content)))
        origin.write(f"side{i}.txt", f"{i}\n")
        side.append(origin.commit(f"s{i}"))
    origin.git("checkout", "-q", "main")
    return origin, side


def test_boundary_moving_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One line cut shorter (``side``, fetched at depth 1), the other deepened (``main``):
    the deepened history is harvested, the side line keeps what the store knows (its data
    versions keep their first commit, its new boundary gets no mark it does not deserve)."""
    origin, side = _origin_with_side(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "3", "--no-single-branch")
    merge = _git(clone, "rev-parse", "HEAD~2")
    assert set((clone / ".git" / "shallow").read_text().split()) == {merge, side[1]}
    _harvest(clone)
    nodes0, _ = _facts(clone)
    s2_data = next(k for k, a in nodes0.items() if a.get("hash") == f"md5:{_md5('s2')}")
    assert nodes0[s2_data]["first_commit"] == side[1]

    _git(clone, "fetch", "-q", "--deepen", "1", "origin", "main")
    _git(clone, "fetch", "-q", "--depth", "1", "origin", "side")
    now = set((clone / ".git" / "shallow").read_text().split())
    assert merge not in now and side[3] in now
    assert side[1] not in _git(clone, "rev-list", "--all").split()
    res = _harvest(clone)
    assert len(_deepened(res)) == 1 and len(_shallower(res)) == 1, res.report.notes
    nodes, edges = _facts(clone)
    assert nodes[s2_data] == nodes0[s2_data]  # not moved to s4, which only looks like a root
    assert not any(t == s2_data and s == f"commit:{side[3]}" for _, s, t in edges)
    assert nodes[f"commit:{side[3]}"] == nodes0[f"commit:{side[3]}"]  # no boundary mark
    assert f"commit:{merge}" not in _boundaries(nodes)
    assert ("parent", f"commit:{nodes[f'commit:{merge}']['parents'][0]}",
            f"commit:{merge}") in edges
    again = _harvest(clone)
    assert _wrote_nothing(again) and not _deepened(again) and not _shallower(again)
    _verify(clone)


# -- a store from before the shallow record, harvested one harvester at a time ------------------

def _old_unshallowed_store(tmp_path: Path) -> tuple[GitRepo, Path, str]:
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "shallow", "--depth", "2")
    c5 = _git(clone, "rev-parse", "HEAD~1")
    _harvest(clone)
    with api.open_store(clone) as store, store.transaction():
        store.conn.execute("DELETE FROM watermarks WHERE scope = 'shallow'")
    _git(clone, "fetch", "-q", "--unshallow")
    return origin, clone, c5


@pytest.mark.parametrize("order", [["git"], ["dvc", "git"], ["git", "gto"]])
def test_old_store_unshallowed_then_one_harvester_at_a_time(tmp_path: Path,
                                                            order: list[str]) -> None:
    """``lineage harvest --only git`` (or ``--only dvc`` first) after unshallowing a store that
    predates the shallow record: every harvester still harvests the older history, whichever
    runs first and whatever the git harvester did to the boundary's mark meanwhile."""
    origin, clone, c5 = _old_unshallowed_store(tmp_path)
    for name in order:
        res = CliRunner().invoke(app, ["harvest", "--repo", str(clone), "--only", name])
        assert res.exit_code == 0, res.output
    res = _harvest(clone)  # then everything
    fresh = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(fresh)
    _same_as_fresh(clone, fresh, {f"commit:{c5}"})
    assert _wrote_nothing(_harvest(clone))
    _verify(clone)


def test_full_clone_made_shallow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``git fetch --depth 1`` on a full clone: the store keeps the whole history, nothing is
    walked or written, no commit is marked a boundary (the store holds every parent)."""
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "full", "--single-branch")
    _harvest(clone)
    before = _facts(clone)
    _git(clone, "fetch", "-q", "--depth", "1")
    assert (clone / ".git" / "shallow").exists()
    walks = _walks(monkeypatch)
    res = _harvest(clone)
    assert len(_shallower(res)) == 1 and not _deepened(res), res.report.notes
    assert walks == [] and _wrote_nothing(res)
    assert _facts(clone) == before and _boundaries(before[0]) == set()
    again = _harvest(clone)
    assert _wrote_nothing(again) and not _shallower(again)
