"""Directory hashes agree with `dvc add` on real DVC repositories, whatever the folder holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from connectors.tracking import track_run
from lineage import api
from lineage.hashing import compute, content_hash
from tests.conftest import GitRepo

DVC = "/work/main/.venv/bin/dvc" if Path("/work/main/.venv/bin/dvc").exists() else "dvc"


def _gitignore(repo: GitRepo) -> None:
    repo.write("imgs/a.txt", "a\n")
    repo.write("imgs/sub/b.txt", "b\n")
    repo.write("imgs/.gitignore", "*.tmp\n")
    repo.write("imgs/x.tmp", "k\n")


def _root_dvcignore(repo: GitRepo) -> None:
    repo.write(".dvcignore", "*.log\n!keep.log\nskip/\n/imgs/only-here.txt\n# a comment\n")
    repo.write("imgs/a.txt", "a\n")
    repo.write("imgs/run.log", "noise\n")
    repo.write("imgs/keep.log", "kept\n")
    repo.write("imgs/skip/s.txt", "skipped\n")
    repo.write("imgs/deep/skip/t.txt", "skipped too\n")
    repo.write("imgs/only-here.txt", "anchored\n")
    repo.write("imgs/deep/only-here.txt", "not anchored there\n")


def _parent_dvcignore(repo: GitRepo) -> None:
    repo.write(".dvcignore", "*.bak\n")
    repo.write("data/.dvcignore", "imgs/raw/\n!*.keep.bak\n")
    repo.write("data/imgs/a.txt", "a\n")
    repo.write("data/imgs/a.bak", "old\n")
    repo.write("data/imgs/b.keep.bak", "kept\n")
    repo.write("data/imgs/raw/r.txt", "raw\n")


def _nested_and_empty(repo: GitRepo) -> None:
    repo.write("imgs/a/b/c/d.txt", "deep\n")
    repo.write("imgs/__pycache__/m.pyc", b"\x00pyc")
    repo.write("imgs/.hidden", "dot file\n")
    repo.write("imgs/.dvcignore.txt", "not an ignore file\n")
    (repo.path / "imgs/empty/inner").mkdir(parents=True)


def _symlinks(repo: GitRepo) -> None:
    repo.write("imgs/a.txt", "a\n")
    repo.write("imgs/sub/b.txt", "b\n")
    os.symlink("a.txt", repo.path / "imgs/link.txt")
    os.symlink("sub", repo.path / "imgs/linkdir")


LAYOUTS = {"gitignore-inside": (_gitignore, "imgs"),
           "root-dvcignore": (_root_dvcignore, "imgs"),
           "dvcignore-in-a-parent": (_parent_dvcignore, "data/imgs"),
           "nested-and-empty-dirs": (_nested_and_empty, "imgs"),
           "symlinks": (_symlinks, "imgs")}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_directory_hash_is_the_one_dvc_add_records(tmp_path: Path, layout: str) -> None:
    build, target = LAYOUTS[layout]
    repo = GitRepo(tmp_path / "repo")
    repo.run(DVC, "init", "-q")
    build(repo)
    repo.run(DVC, "add", "-q", target)
    out = yaml.safe_load((repo.path / f"{target}.dvc").read_text())["outs"][0]
    h = compute(repo.path / target)
    assert (h.hash, h.nfiles, h.size) == (f"md5:{out['md5']}", out["nfiles"], out["size"])
    # the pin comes from DVC's own record, so the run joins DVC's data node
    pinned = content_hash(repo.path, target)
    assert (pinned.hash, pinned.source) == (f"md5:{out['md5']}", ".dvc")


def test_track_run_pins_a_folder_with_a_gitignore_to_the_dvc_hash(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.run(DVC, "init", "-q")
    _gitignore(repo)
    repo.run(DVC, "add", "-q", "imgs")
    repo.commit("images")
    api.init(repo.path)
    out = yaml.safe_load((repo.path / "imgs.dvc").read_text())["outs"][0]
    with track_run(repo.path, name="train", inputs=["imgs"]) as run:
        pass
    assert run.inputs == [{"path": "imgs", "hash": f"md5:{out['md5']}", "size": out["size"],
                           "nfiles": 4}]


def test_a_changed_dvcignore_changes_the_hash_of_an_unchanged_folder(tmp_path: Path) -> None:
    """The stat cache does not hide a .dvcignore edit: it decides what is in the hash."""
    repo = GitRepo(tmp_path / "repo")
    repo.run(DVC, "init", "-q")
    _root_dvcignore(repo)
    (repo.path / ".lineage").mkdir()
    before = content_hash(repo.path, "imgs")
    (repo.path / ".dvcignore").write_text("skip/\n")
    after = content_hash(repo.path, "imgs")
    assert after.hash != before.hash and after.hash == compute(repo.path / "imgs").hash
    repo.run(DVC, "add", "-q", "imgs")
    out = yaml.safe_load((repo.path / "imgs.dvc").read_text())["outs"][0]
    assert after.hash == f"md5:{out['md5']}"
