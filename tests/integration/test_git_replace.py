"""Replace refs (``git replace``, ``git replace --graft``) are a clone's private view.

git log and git cat-file show a replaced object's replacement unless told not to; a commit's
facts are those of the object its sha names, the same from every clone, and the replacement
objects themselves (reachable only from ``refs/replace/*``) are not the repository's history.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def _facts(path: Path) -> dict[str, dict[str, Any]]:
    api.init(path)
    api.harvest(path, only=["git", "dvc"])
    with api.open_store(path) as store:
        return {n.id: n.attrs for n in store.iter_nodes()
                if n.kind in (NodeKind.COMMIT, NodeKind.DATA)}


def test_a_grafted_clone_harvests_the_commits_as_they_are(git_repo: GitRepo,
                                                        tmp_path: Path) -> None:
    git_repo.write("data.csv.dvc", "outs:\n- md5: 11111111111111111111111111111111\n"
                   "  size: 1\n  path: data.csv\n")
    c0 = git_repo.commit("c0")
    git_repo.write("data.csv.dvc", "outs:\n- md5: 22222222222222222222222222222222\n"
                   "  size: 2\n  path: data.csv\n")
    c1 = git_repo.commit("c1")
    c2 = git_repo.commit("c2")
    clean, grafted = tmp_path / "clean", tmp_path / "grafted"
    for dest in (clean, grafted):
        subprocess.run(["git", "clone", "-q", f"file://{git_repo.path}", str(dest)], check=True)
    # the grafted clone cuts its history at c1 and rewrites c2's message locally
    subprocess.run(["git", "-C", str(grafted), "replace", "--graft", c1], check=True)
    blob = subprocess.run(["git", "-C", str(grafted), "hash-object", "-w", "--stdin"],
                          input=b"outs:\n- md5: 33333333333333333333333333333333\n  size: 3\n"
                          b"  path: data.csv\n", capture_output=True, check=True)
    old_blob = subprocess.run(["git", "-C", str(grafted), "rev-parse", f"{c1}:data.csv.dvc"],
                              capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "-C", str(grafted), "replace", old_blob,
                    blob.stdout.decode().strip()], check=True)
    assert subprocess.run(["git", "-C", str(grafted), "log", "--format=%H"], capture_output=True,
                          text=True, check=True).stdout.split() == [c2, c1]  # git's own view
    in_clean, in_grafted = _facts(clean), _facts(grafted)
    assert f"commit:{c0}" in in_grafted
    assert in_grafted[f"commit:{c1}"]["parents"] == [c0]
    assert in_grafted == in_clean
