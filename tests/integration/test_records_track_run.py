"""track_run: the dirty flag ignores what dvc repro writes itself."""

from __future__ import annotations


def test_files_dvc_rewrites_during_repro_do_not_make_the_run_dirty(tmp_path) -> None:
    from conftest import GitRepo

    from connectors.tracking import git_state

    repo = GitRepo(tmp_path / "r")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n    outs:\n"
                           "      - model.pkl\n    metrics:\n      - metrics.json:\n"
                           "          cache: false\n")
    repo.write("dvc.lock", "schema: '2.0'\nstages: {}\n")
    repo.write("metrics.json", "{}\n")
    repo.write("train.py", "print('train')\n")
    repo.write(".gitignore", "")
    repo.commit("pipeline")
    repo.write("dvc.lock", "schema: '2.0'\nstages:\n  prepare: {}\n")
    repo.write("metrics.json", '{"acc": 1}\n')
    repo.write(".gitignore", "/model.pkl\n")
    assert git_state(repo.path).dirty is False
    repo.write("train.py", "print('changed')\n")
    assert git_state(repo.path).dirty is True
