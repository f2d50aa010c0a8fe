"""The submodule commit a gitlink records is a commit property (``submodule:<path>``), whatever
the configuration says about ignoring submodules in diffs."""

from __future__ import annotations

from pathlib import Path

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def test_ignored_submodules_are_still_recorded(git_repo: GitRepo, tmp_path: Path) -> None:
    sub = GitRepo(tmp_path / "sub")
    first = sub.commit("sub one")
    git_repo.commit("root")
    git_repo.tick += 1
    git_repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path),
                 "vendor/lib")
    added = git_repo.commit("add submodule")
    # .gitmodules (committed) and the clone's own config both say: ignore it in diffs
    git_repo.git("config", "-f", ".gitmodules", "submodule.vendor/lib.ignore", "all")
    git_repo.commit("ignore it in diffs")
    second = sub.commit("sub two")
    git_repo.git("-C", "vendor/lib", "fetch", "-q", str(sub.path), "main")
    git_repo.git("-C", "vendor/lib", "checkout", "-q", second)
    git_repo.git("add", "vendor/lib")
    bumped = git_repo.commit("bump submodule")
    git_repo.git("config", "diff.ignoreSubmodules", "all")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git"])
    with api.open_store(git_repo.path) as store:
        props = {n.id: n.attrs.get("properties", {}) for n in store.iter_nodes(NodeKind.COMMIT)}
    assert props[f"commit:{added}"] == {"submodule:vendor/lib": first}
    assert props[f"commit:{bumped}"] == {"submodule:vendor/lib": second}
