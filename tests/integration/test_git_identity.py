"""Repository identity without a remote: the root commit, which a shallow clone lacks.

A shallow clone with no remote cannot see its root commit: it is named after its shallow
boundary for now (a clone of another depth has another boundary), the harvest says how to
give it its lasting identity, and once the history is fetched the identity moves to the real
root commit, with a warning, as every full clone of the repository names it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _shallow_without_remote(origin: GitRepo, dest: Path, depth: int) -> Path:
    subprocess.run(["git", "clone", "-q", "--depth", str(depth), f"file://{origin.path}",
                    str(dest)], check=True)
    _git(dest, "remote", "remove", "origin")
    return dest


def _unshallow(clone: Path, origin: GitRepo) -> None:
    _git(clone, "fetch", "-q", "--unshallow", f"file://{origin.path}", "main")


def _harvest(path: Path) -> api.HarvestResult:
    if not (path / ".lineage").exists():
        api.init(path)
    return api.harvest(path, only=["git"])


def _repository_of_commits(path: Path) -> set[str]:
    with api.open_store(path) as store:
        return {str(n.attrs["repository"]) for n in store.iter_nodes(NodeKind.COMMIT)}


def _origin(git_repo: GitRepo) -> tuple[str, list[str]]:
    shas = [git_repo.commit(f"c{i}") for i in range(5)]
    return shas[0], shas


def test_a_shallow_clone_without_a_remote_says_how_to_name_it(git_repo: GitRepo,
                                                               tmp_path: Path) -> None:
    _, shas = _origin(git_repo)
    clone = _shallow_without_remote(git_repo, tmp_path / "shallow", 2)
    res = _harvest(clone)
    said = [str(w) for w in res.report.warnings if "without a remote" in str(w)]
    assert len(said) == 1, res.report.warnings
    assert shas[3][:12] in said[0]  # the boundary it is named after for now
    assert "git remote add origin" in said[0] and "--unshallow" in said[0]
    # `git fetch --unshallow` alone fails without a remote: the advice names the URL to give
    assert not any("run git fetch --unshallow to" in str(w) for w in res.report.warnings)
    assert _harvest(clone).new_events == 0


def test_unshallowed_it_takes_the_root_commit_with_a_warning(git_repo: GitRepo,
                                                            tmp_path: Path) -> None:
    root, _ = _origin(git_repo)
    api.init(git_repo.path)
    _harvest(git_repo.path)
    full = _repository_of_commits(git_repo.path)
    assert full == {f"repository:root:{root}"}
    clone = _shallow_without_remote(git_repo, tmp_path / "shallow", 2)
    _harvest(clone)
    _unshallow(clone, git_repo)
    res = _harvest(clone)
    assert any("identity changed" in str(w) and root in str(w) for w in res.report.warnings)
    assert _repository_of_commits(clone) == full  # the id every full clone gives
    assert _harvest(clone).new_events == 0


def test_two_depths_meet_once_unshallowed(git_repo: GitRepo, tmp_path: Path) -> None:
    root, _ = _origin(git_repo)
    a = _shallow_without_remote(git_repo, tmp_path / "a", 2)
    b = _shallow_without_remote(git_repo, tmp_path / "b", 3)
    _harvest(a)
    _harvest(b)
    _unshallow(a, git_repo)
    _unshallow(b, git_repo)
    _harvest(a)
    _harvest(b)
    assert _repository_of_commits(a) == _repository_of_commits(b) == {f"repository:root:{root}"}


def test_a_boundary_remembered_as_root_is_corrected(git_repo: GitRepo, tmp_path: Path) -> None:
    """An earlier version remembered a shallow clone's boundary as its root commit for good."""
    root, shas = _origin(git_repo)
    clone = _shallow_without_remote(git_repo, tmp_path / "shallow", 2)
    _harvest(clone)
    with api.open_store(clone) as store, store.transaction():
        store.cache_put_many("gitscan", [("root_commit", shas[3])])
    _unshallow(clone, git_repo)
    res = _harvest(clone)
    assert any("identity changed" in str(w) for w in res.report.warnings)
    assert _repository_of_commits(clone) == {f"repository:root:{root}"}


def test_after_a_remote_change_the_checkout_is_the_new_repositorys(git_repo: GitRepo) -> None:
    """Records and tracked runs find the repository by its checkout path: only the current
    identity may claim it (the old id sorts first here)."""
    from lineage.records import repository_of

    _origin(git_repo)
    git_repo.git("remote", "add", "origin", "https://github.com/Org/A.git")
    _harvest(git_repo.path)
    git_repo.git("remote", "set-url", "origin", "https://github.com/Org/B.git")
    _harvest(git_repo.path)
    with api.open_store(git_repo.path) as store:
        assert repository_of(git_repo.path, store) == "repository:github.com/Org/B"
        old = store.get_node("repository:github.com/Org/A")
        assert old is not None and old.attrs.get("path") is None
        # the branch heads are the checkout's, now the new identity's: the old node shows none
        assert not any(k.startswith("branch:") for k in old.attrs.get("properties") or {})
        new = store.get_node("repository:github.com/Org/B")
        assert new is not None
        assert any(k.startswith("branch:") for k in new.attrs.get("properties") or {})
    assert _harvest(git_repo.path).new_events == 0


def test_a_remote_written_with_an_insteadof_shorthand_names_the_same_repository(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """``gh:Org/Repo`` with ``url.https://github.com/.insteadOf gh:`` is the URL git fetches
    from (``git remote get-url``); the longest matching prefix wins, as in git."""
    _origin(git_repo)
    git_repo.git("remote", "add", "origin", "gh:Org/Repo.git")
    git_repo.git("config", "url.https://github.com/.insteadOf", "gh:")
    git_repo.git("config", "url.https://tok3n@gitlab.example.com/.insteadOf", "gh:Org/")
    assert git_repo.git("remote", "get-url", "origin") == \
        "https://tok3n@gitlab.example.com/Repo.git"
    _harvest(git_repo.path)
    with api.open_store(git_repo.path) as store:
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
    assert repo.id == "repository:gitlab.example.com/Repo"
    assert repo.attrs["url"] == "https://gitlab.example.com/Repo.git"


def test_repository_identity_is_what_the_harvest_names(git_repo: GitRepo, tmp_path: Path) -> None:
    """For code that names the repository without harvesting it (a run recorded before the
    first harvest embeds it in its data ids): the id the git harvester gives, in the cases
    where a simpler rule (origin only, the smallest root sha) differs."""
    from connectors.harvesters.gitscan import repository_identity

    def harvested(path: Path) -> str:
        _harvest(path)
        with api.open_store(path) as store:
            ids = [n.id for n in store.iter_nodes(NodeKind.REPOSITORY)
                   if n.attrs.get("path") == str(path)]
        assert len(ids) == 1
        return ids[0]

    # two root commits (unrelated histories merged): the first of HEAD's history
    _origin(git_repo)
    git_repo.git("checkout", "-q", "--orphan", "other")
    git_repo.git("commit", "-q", "--allow-empty", "-m", "other root")
    git_repo.git("checkout", "-q", "main")
    git_repo.tick += 1
    git_repo.git("merge", "-q", "--allow-unrelated-histories", "--no-edit", "other")
    assert repository_identity(git_repo.path) == harvested(git_repo.path)
    with api.open_store(git_repo.path) as store:  # the root the store remembers
        assert repository_identity(git_repo.path, store) == harvested(git_repo.path)
    # a shallow clone without a remote: named after its boundary for now
    shallow = _shallow_without_remote(git_repo, tmp_path / "shallow", 2)
    assert repository_identity(shallow) == harvested(shallow)
    # the only remote is not origin
    git_repo.git("remote", "add", "upstream", "https://tok3n@github.com/Org/Up.git")
    assert repository_identity(git_repo.path) == "repository:github.com/Org/Up" == \
        harvested(git_repo.path)


def test_a_clone_without_a_remote_made_shallow_is_told_the_url_to_fetch(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """A full clone without a remote, harvested (the store remembers its root commit), then
    made shallow (``git fetch --depth 1 <url>``): it keeps its name, and the shallow warning
    names the URL to give, as ``git fetch --unshallow`` alone fails without a remote."""
    root, _ = _origin(git_repo)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", f"file://{git_repo.path}", str(clone)], check=True)
    _git(clone, "remote", "remove", "origin")
    _harvest(clone)
    _git(clone, "fetch", "-q", "--depth", "1", f"file://{git_repo.path}", "main")
    res = _harvest(clone)
    assert _repository_of_commits(clone) == {f"repository:root:{root}"}
    said = [str(w) for w in res.report.warnings if "shallow" in str(w)]
    assert len(said) == 1 and "git fetch --unshallow <url>" in said[0], said
    # what the warning must not suggest alone: without a remote it fetches nothing (and
    # says nothing: git 2.39 exits 0), the clone stays shallow
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"],
                   capture_output=True, text=True)
    assert (clone / ".git" / "shallow").is_file()
