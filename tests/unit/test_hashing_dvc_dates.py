"""A DVC file with a value PyYAML would build as an impossible date (``when: 2026-02-30``,
which DVC — ruamel.yaml — keeps as a string) is read as DVC reads it: the hash it records
is found, and a training run's dirty check still knows the pipeline's outputs."""

from __future__ import annotations

from pathlib import Path

from connectors.tracking import git_state
from lineage.hashing import recorded
from tests.conftest import GitRepo

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_a_dvc_file_with_an_impossible_date_still_gives_its_hash(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "a.txt.dvc").write_text(
        f"outs:\n- md5: {MD5}\n  size: 0\n  path: a.txt\nmeta:\n  when: 2026-02-30\n")
    got = recorded(tmp_path, "a.txt")
    assert got is not None and got.hash == f"md5:{MD5}" and got.source == ".dvc"


def test_the_dirty_check_reads_a_pipeline_with_an_impossible_date(git_repo: GitRepo) -> None:
    git_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
                   "    outs: [model.pkl]\n    meta: {reviewed: 2026-02-30}\n")
    git_repo.write("model.pkl", "m1\n")
    git_repo.commit("pipeline")
    (git_repo.path / "model.pkl").write_text("m2\n")  # what dvc repro rewrites: not code
    assert git_state(git_repo.path).dirty is False
