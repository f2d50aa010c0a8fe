"""Commit facts are the same from every clone; branch heads are the repository's state.

A commit's identity is its sha, and its attributes must not depend on the clone it was read
from: local branches, remote-tracking refs and a detached HEAD are per-clone, moving state.
They are recorded on the repository node (``properties["branch:<name>"]``), so a branch move
is a change of the repository, not a rewrite of old commits. Tags are shared facts and stay on
the commits.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def _clone(src: GitRepo, dest: Path, *args: str) -> GitRepo:
    subprocess.run(["git", "clone", "-q", *args, f"file://{src.path}", str(dest)], check=True)
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, src.tick + 10
    return clone


def _harvest(path: Path) -> api.HarvestResult:
    if not (path / ".lineage").exists():
        api.init(path)
    return api.harvest(path, only=["git"])


def _commits(path: Path) -> dict[str, dict[str, Any]]:
    with api.open_store(path) as store:
        return {n.id: n.attrs for n in store.iter_nodes(NodeKind.COMMIT)}


def _repository(path: Path) -> dict[str, Any]:
    with api.open_store(path) as store:
        repos = list(store.iter_nodes(NodeKind.REPOSITORY))
    assert len(repos) == 1
    return repos[0].attrs


def _upstream(git_repo: GitRepo) -> list[str]:
    shas = [git_repo.commit(f"c{i}") for i in range(3)]
    git_repo.tag("v1", "release one", ref=shas[1])
    git_repo.git("branch", "feature", shas[1])
    return shas


def test_two_clones_give_the_same_commit_facts(git_repo: GitRepo, tmp_path: Path) -> None:
    c0, c1, c2 = _upstream(git_repo)
    a = _clone(git_repo, tmp_path / "a")
    a.git("checkout", "-q", "-b", "my-private-work", c1)  # a local branch only this clone has
    b = _clone(git_repo, tmp_path / "b")
    b.git("checkout", "-q", "--detach", c0)  # a CI checkout: detached HEAD
    _harvest(a.path)
    _harvest(b.path)
    in_a, in_b = _commits(a.path), _commits(b.path)
    assert set(in_a) == {f"commit:{c}" for c in (c0, c1, c2)}
    assert in_a == in_b
    assert in_a[f"commit:{c1}"]["refs"] == ["refs/tags/v1"]  # tags are shared facts
    assert "refs" not in in_a[f"commit:{c2}"] and "refs" not in in_a[f"commit:{c0}"]


def test_branch_heads_are_the_repositorys_remote_branches(git_repo: GitRepo,
                                                          tmp_path: Path) -> None:
    _, c1, c2 = _upstream(git_repo)
    a = _clone(git_repo, tmp_path / "a")
    a.git("checkout", "-q", "-b", "my-private-work", c1)
    _harvest(a.path)
    props = _repository(a.path)["properties"]
    # refs/remotes/origin/{main,feature} normalized; origin/HEAD and the local branch left out
    assert props == {"branch:main": c2, "branch:feature": c1}


def test_without_a_remote_the_local_branches_are_the_heads(git_repo: GitRepo) -> None:
    _, c1, c2 = _upstream(git_repo)
    _harvest(git_repo.path)
    assert _repository(git_repo.path)["properties"] == {"branch:main": c2, "branch:feature": c1}
    assert "refs" not in _commits(git_repo.path)[f"commit:{c2}"]


def test_a_branch_move_rewrites_no_commit(git_repo: GitRepo, tmp_path: Path) -> None:
    c0, c1, c2 = _upstream(git_repo)
    a = _clone(git_repo, tmp_path / "a")
    _harvest(a.path)
    before = _commits(a.path)
    # upstream moves feature back and adds a commit on main; the clone fetches
    git_repo.git("branch", "-f", "feature", c0)
    c3 = git_repo.commit("c3")
    a.git("fetch", "-q", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*")
    res = _harvest(a.path)
    stats = res.harvesters[0].stats
    assert stats.nodes_new == {"commit": 1}
    assert stats.nodes_changed == {"repository": 1}  # no old commit is rewritten
    after = _commits(a.path)
    assert {k: v for k, v in after.items() if k != f"commit:{c3}"} == before
    assert _repository(a.path)["properties"] == {"branch:main": c3, "branch:feature": c0}
    # a deleted branch leaves the repository's heads
    git_repo.git("branch", "-D", "feature")
    a.git("fetch", "-q", "--prune", "origin")
    res = _harvest(a.path)
    assert res.harvesters[0].stats.nodes_changed == {"repository": 1}
    assert _repository(a.path)["properties"] == {"branch:main": c3}
    assert _harvest(a.path).new_events == 0  # no change: nothing written
    with api.open_store(a.path) as store:
        assert store.verify().ok


def test_a_local_checkout_or_branch_changes_nothing(git_repo: GitRepo, tmp_path: Path) -> None:
    _, c1, _ = _upstream(git_repo)
    a = _clone(git_repo, tmp_path / "a")
    _harvest(a.path)
    a.git("checkout", "-q", "-b", "scratch", c1)
    a.git("checkout", "-q", "--detach", c1)
    assert _harvest(a.path).new_events == 0


def test_a_store_with_branch_refs_on_commits_is_cleaned_once(git_repo: GitRepo) -> None:
    c0, c1, c2 = _upstream(git_repo)
    _harvest(git_repo.path)
    # a store written before: branch names on the commits
    with api.open_store(git_repo.path) as store, store.transaction():
        from lineage.model import Node

        for sha, refs in ((c2, ["refs/heads/main"]), (c1, ["refs/heads/feature", "refs/tags/v1"]),
                          (c0, ["HEAD", "refs/remotes/origin/old"])):
            attrs = dict(store.get_node(f"commit:{sha}").attrs, refs=refs)
            store.upsert([Node.trusted(NodeKind.COMMIT, f"commit:{sha}", attrs)])
        store.append_event("harvest", "test", {"harvester": "git (earlier version)"})
        store.conn.execute("DELETE FROM watermarks WHERE harvester='git' AND scope='commit_refs'")
    res = _harvest(git_repo.path)
    assert res.harvesters[0].stats.nodes_changed == {"commit": 3}
    commits = _commits(git_repo.path)
    assert commits[f"commit:{c1}"]["refs"] == ["refs/tags/v1"]
    assert commits[f"commit:{c2}"]["refs"] == [] and commits[f"commit:{c0}"]["refs"] == []
    assert _harvest(git_repo.path).new_events == 0


def test_a_tag_deleted_while_the_watermark_was_lost_leaves_its_commit(git_repo: GitRepo) -> None:
    """The refs watermark says which tags moved since the last harvest; one that is lost or
    changed outside lineage (taken as absent: the history is walked again) must not leave a
    deleted tag on its commit forever: the walk compares the commits' stored tags with the
    clone's."""
    c0, c1, c2 = _upstream(git_repo)
    git_repo.tag("v2", "release two", ref=c2)
    _harvest(git_repo.path)
    assert _commits(git_repo.path)[f"commit:{c2}"]["refs"] == ["refs/tags/v2"]
    git_repo.git("tag", "-d", "v1")
    git_repo.git("tag", "-d", "v2")
    other = "commit:" + "ab" * 20  # another repository's, harvested into the same store
    with api.open_store(git_repo.path) as store, store.transaction():
        from lineage.model import Node

        store.upsert([Node.make(NodeKind.COMMIT, other, sha="ab" * 20, refs=["refs/tags/x1"],
                                repository="repository:github.com/org/other")])
        store.append_event("harvest", "test", {"harvester": "git (another clone)"})
        store.conn.execute("DELETE FROM watermarks WHERE harvester='git' AND scope='refs'")
    _harvest(git_repo.path)
    commits = _commits(git_repo.path)
    assert commits[f"commit:{c1}"]["refs"] == [] and commits[f"commit:{c2}"]["refs"] == []
    assert commits[other]["refs"] == ["refs/tags/x1"]
    assert _harvest(git_repo.path).new_events == 0


def test_a_deleted_tag_of_a_commit_no_branch_reaches_leaves_it(git_repo: GitRepo) -> None:
    """A tag on a commit only it reached (a release branch deleted after tagging): deleted
    too, and the watermark lost, the commit (still in the store) keeps no tag."""
    git_repo.write("a.txt", "a\n")
    git_repo.commit("a")
    git_repo.git("checkout", "-q", "-b", "release")
    git_repo.write("b.txt", "b\n")
    tagged = git_repo.commit("release fix")
    git_repo.tag("v0.9", ref=tagged)
    git_repo.git("checkout", "-q", "main")
    git_repo.git("branch", "-D", "release")
    _harvest(git_repo.path)
    assert _commits(git_repo.path)[f"commit:{tagged}"]["refs"] == ["refs/tags/v0.9"]
    git_repo.git("tag", "-d", "v0.9")
    with api.open_store(git_repo.path) as store, store.transaction():
        store.conn.execute("DELETE FROM watermarks WHERE harvester='git' AND scope='refs'")
    _harvest(git_repo.path)
    assert _commits(git_repo.path)[f"commit:{tagged}"]["refs"] == []
