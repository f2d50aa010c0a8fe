"""The root commit's files are changes like any other commit's, whatever ``log.showRoot`` says."""

from __future__ import annotations

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def test_dvc_files_of_the_root_commit_with_log_show_root_off(git_repo: GitRepo) -> None:
    git_repo.write("data.csv.dvc", f"outs:\n- md5: {'a' * 32}\n  size: 1\n  path: data.csv\n")
    root = git_repo.commit("root commit with data")
    git_repo.git("config", "log.showRoot", "false")  # a user's taste: no diff for root commits
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "dvc"])
    with api.open_store(git_repo.path) as store:
        data = {n.id: n.attrs for n in store.iter_nodes(NodeKind.DATA)}
    assert [a["first_commit"] for a in data.values()] == [root]
