"""A clone that holds no tag, or a shallow one, cannot tell a GTO tag it did not fetch from a
deleted one: it asks its remote (``git ls-remote --tags``). What the remote does not hold was
deleted (recorded so, and the clone lacks nothing); what it holds the clone lacks (kept, and
``harvest-complete`` fails); a remote that cannot answer leaves the facts kept and the gate
failing, with the reason said.

Real git: a bare origin, clones made as people and CI make them, tags really deleted on the
origin (what ``gto deprecate … --delete --push`` pushes), ``.lineage/`` copied between jobs as
actions/cache does; the CLI through ``CliRunner``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.harvesters.gitscan import remote_tags
from tests.conftest import GitRepo
from tests.integration.test_gate_clone_tags import (
    FULL,
    _audit,
    _bare,
    _git,
    _gto_facts,
    _harvest,
    _job,
    _rules,
    _warnings,
)


def _registered(tmp_path: Path, **files: str) -> GitRepo:
    """A repository registering churn v1.0.0 and assigning it to prod (GTO's tags, same
    commit), then one more commit."""
    r = GitRepo(tmp_path / "src")
    r.write("model.bin", "m\n")
    for path, text in files.items():
        r.write(path, text)
    r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    r.write("README.md", "churn\n")
    r.commit("readme")
    return r


def test_deleting_the_last_gto_tags_is_recorded_and_the_gate_passes(tmp_path: Path) -> None:
    """Every GTO tag deleted on the remote: a whole clone holds no tag, its remote holds none,
    so the version is deregistered and the deployment retired, and the clone lacks nothing."""
    origin = _bare(_registered(tmp_path).path, tmp_path / "origin.git")
    run1 = _job(origin, tmp_path / "run1", depth1=False)
    _harvest(run1)
    assert _gto_facts(run1)["model:churn@v1.0.0"][0] == "registered"
    # gto deprecate churn v1.0.0 prod --delete --push; gto deprecate churn v1.0.0 --delete --push
    _git(origin, "tag", "-d", "churn#prod#1")
    _git(origin, "tag", "-d", "churn@v1.0.0")
    run2 = _job(origin, tmp_path / "run2", depth1=False, cache=run1 / ".lineage")
    h = _harvest(run2)
    gto = _warnings(h, "gto")
    assert not any("kept" in w for w in gto), gto
    assert any("churn@v1.0.0 marked deregistered" in w for w in gto), gto
    facts = _gto_facts(run2)
    assert facts["model:churn@v1.0.0"][0] == "deregistered"
    (dep,) = [v for k, v in facts.items() if k.startswith("deployment:churn:prod")]
    assert dep[1] is not None  # retired
    code, report = _audit(run2, "--verify", "--fail-on", "critical")
    assert "harvest-complete" not in _rules(report), report["findings"]
    assert code == 0, report
    assert not [w for w in report["warnings"] if "holds no tags" in w]
    # harvested again (the advised fetch brings nothing): still recorded, still passing
    _git(run2, "fetch", "-q", "--tags", "origin")
    _harvest(run2)
    code, report = _audit(run2, "--verify", "--fail-on", "critical")
    assert code == 0 and "harvest-complete" not in _rules(report), report


def test_a_tag_push_checkout_deregisters_nothing_and_fails_the_gate(tmp_path: Path) -> None:
    """actions/checkout on a stage tag's push: depth 1, that tag alone. The version tag of the
    same commit was not fetched, the remote holds it: not deregistered, and the gate fails."""
    src = _registered(tmp_path)
    origin = _bare(src.path, tmp_path / "origin.git")
    run1 = _job(origin, tmp_path / "run1", depth1=False)
    _harvest(run1)
    before = _gto_facts(run1)
    ci = tmp_path / "tagpush"
    ci.mkdir()
    _git(ci, "init", "-q")
    _git(ci, "remote", "add", "origin", str(origin))
    _git(ci, "fetch", "-q", "--no-tags", "--depth=1", "origin",
         "+refs/tags/churn#prod#1:refs/tags/churn#prod#1")
    _git(ci, "checkout", "-q", "refs/tags/churn#prod#1")
    assert (ci / ".git" / "shallow").exists() and _git(ci, "tag") == "churn#prod#1"
    shutil.copytree(run1 / ".lineage", ci / ".lineage")
    h = _harvest(ci)
    gto = _warnings(h, "gto")
    assert not any("marked deregistered" in w or "marked retired" in w for w in gto), gto
    assert _gto_facts(ci)["model:churn@v1.0.0"] == before["model:churn@v1.0.0"]
    kept = [w for w in gto if "kept" in w]
    assert len(kept) == 1 and "churn@v1.0.0" in kept[0] and "still holds" in kept[0], gto
    code, report = _audit(ci, "--fail-on", "critical")
    (gap,) = _rules(report)["harvest-complete"]
    assert code == 1 and gap["severity"] == "critical"
    assert "churn@v1.0.0" in gap["message"], gap["message"]


def test_a_shallow_clone_whose_remote_cannot_answer_judges_no_tag_gone(tmp_path: Path) -> None:
    """A tag deleted on the remote while the clone's remote is unreachable at the harvest:
    a shallow clone holding the tag's commit judges nothing gone; the warning says why."""
    src = _registered(tmp_path)
    src.write("model.bin", "m2\n")
    src.commit("model 2")
    src.tag("churn@v2.0.0", "Registering artifact churn version v2.0.0")
    src.tag("churn#staging#1", "Assigning stage staging to artifact churn version v2.0.0")
    origin = _bare(src.path, tmp_path / "origin.git")
    full = _job(origin, tmp_path / "full", depth1=False)
    _harvest(full)
    before = _gto_facts(full)
    _git(origin, "tag", "-d", "churn#staging#1")
    shallow = tmp_path / "shallow"
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    origin.rename(tmp_path / "moved.git")  # offline
    shutil.copytree(full / ".lineage", shallow / ".lineage")
    h = _harvest(shallow)
    gto = _warnings(h, "gto")
    assert _gto_facts(shallow) == before, gto
    (kept,) = [w for w in gto if "kept" in w]
    assert "could not be asked" in kept and "churn#staging#1" in kept, kept
    code, report = _audit(shallow, "--fail-on", "critical")
    (gap,) = _rules(report)["harvest-complete"]
    assert code == 1 and "churn#staging#1" in gap["message"]


def test_a_tagless_clone_whose_remote_cannot_answer_keeps_the_facts(tmp_path: Path) -> None:
    origin = _bare(_registered(tmp_path).path, tmp_path / "origin.git")
    run1 = _job(origin, tmp_path / "run1", depth1=False)
    _harvest(run1)
    before = _gto_facts(run1)
    _git(origin, "tag", "-d", "churn#prod#1")
    _git(origin, "tag", "-d", "churn@v1.0.0")
    run2 = _job(origin, tmp_path / "run2", depth1=False, cache=run1 / ".lineage")
    origin.rename(tmp_path / "moved.git")
    h = _harvest(run2)
    (kept,) = [w for w in _warnings(h, "gto") if "kept" in w]
    assert "could not be asked" in kept and "git fetch --tags" in kept, kept
    assert _gto_facts(run2) == before
    code, report = _audit(run2, "--fail-on", "critical")
    assert code == 1 and "harvest-complete" in _rules(report)


def test_a_full_clone_of_a_repository_with_no_tag_yet_passes(tmp_path: Path) -> None:
    """gto in requirements.txt, or artifacts: in dvc.yaml, and nothing registered yet: the
    remote holds no tag, so the clone lacks none."""
    for name, files in (
            ("req", {"requirements.txt": "scikit-learn\ngto==1.7.1\n"}),
            ("dvc", {"dvc.yaml": "artifacts:\n  churn:\n    path: model.bin\n    type: model\n"})):
        r = GitRepo(tmp_path / name / "src")
        r.write("model.bin", "m\n")
        for path, text in files.items():
            r.write(path, text)
        r.commit("init")
        origin = _bare(r.path, tmp_path / name / "origin.git")
        ci = _job(origin, tmp_path / name / "ci", depth1=False)
        h = _harvest(ci)
        assert not [w for w in _warnings(h, "git") if "holds no tags" in w], h
        code, report = _audit(ci, "--fail-on", "critical")
        assert code == 0 and "harvest-complete" not in _rules(report), (name, report)
        # its first registration, not fetched by a branch-only fetch: now the clone lacks it
        r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
        _git(r.path, "push", "-q", str(origin), "--tags")
        # (a harvest of the clone as it was asks the remote nothing: the answer recorded
        # holds until the clone fetches)
        h = _harvest(ci)
        assert not [w for w in _warnings(h, "git") if "holds no tags" in w], h
        _git(ci, "fetch", "-q", "--no-tags", "origin", FULL[0])
        h = _harvest(ci)
        assert any("remote origin holds 1 GTO tags (churn@v1.0.0)" in w
                   for w in _warnings(h, "git")), h
        code, report = _audit(ci, "--fail-on", "critical")
        (gap,) = _rules(report)["harvest-complete"]
        assert code == 1 and "churn@v1.0.0" in gap["message"], gap["message"]
        _git(ci, "fetch", "-q", "--tags", "origin")
        _harvest(ci)
        code, report = _audit(ci, "--fail-on", "critical")
        assert "harvest-complete" not in _rules(report), (name, report)


def test_asking_the_remote_says_no_credentials(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "src")
    r.write("a", "a\n")
    r.commit("a")
    r.run("git", "remote", "add", "origin", "https://ci:s3cr3t-token@127.0.0.1:9/x.git")
    tags, why = remote_tags(r.path, "origin", timeout=10)
    assert tags is None and "s3cr3t" not in why and why.startswith("git ls-remote origin")
    tags, why = remote_tags(r.path, None)
    assert tags is None and why


def test_an_ssh_remote_that_cannot_answer_says_why(tmp_path: Path) -> None:
    # git ends every ssh failure with "fatal: Could not read from remote repository.";
    # the line ssh printed before it is the cause a user can act on
    if shutil.which("ssh") is None:
        pytest.skip("no ssh client on this machine")
    r = GitRepo(tmp_path / "src")
    r.write("a", "a\n")
    r.commit("a")
    r.run("git", "remote", "add", "origin", "ssh://git@lineage-no-such-host.invalid/x.git")
    tags, why = remote_tags(r.path, "origin", timeout=10)
    assert tags is None
    assert why.startswith("git ls-remote origin failed: ssh:"), why
    assert "lineage-no-such-host.invalid" in why and "Could not read" not in why, why
