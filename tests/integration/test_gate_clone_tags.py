"""A CI job audits a clone that may lack the GTO tags (GitHub Actions' default checkout fetches
one commit and no tag) with a store it restored from a cache. What the clone cannot show must
neither be written into the trail as deleted nor let the gate pass: the store's GTO facts are
kept, ``harvest-complete`` fails every ``--fail-on`` threshold but ``never``, under every
``--rule`` selection.

Real git repositories: a bare origin the quickstart demo (or a small GTO repository) is
pushed to, checkouts made as CI makes them (``git fetch`` of heads and tags, or ``git fetch
--no-tags --depth=1`` and a detached checkout), ``.lineage/`` copied between jobs as
actions/cache does; the CLI through ``CliRunner``."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import PINNED_ENV, GitRepo

runner = CliRunner()

FULL = ("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")


def _git(cwd: Path, *args: str) -> str:
    import os

    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, **PINNED_ENV})
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout.strip()


def _bare(src: Path, dest: Path) -> Path:
    """A bare origin holding ``src``'s main branch and every tag."""
    _git(dest.parent, "init", "-q", "--bare", "-b", "main", str(dest))
    _git(src, "push", "-q", str(dest), "main", "--tags")
    return dest


def _job(origin: Path, dest: Path, *, depth1: bool, cache: Path | None = None,
         tags: bool = True) -> Path:
    """A CI checkout: ``depth1`` as actions/checkout's default (one commit, no tag), else the
    whole history (with its tags, else ``--no-tags``); ``cache`` restored as
    ``.lineage``; then ``lineage init`` as a CI script runs it."""
    dest.mkdir()
    _git(dest, "init", "-q")
    _git(dest, "remote", "add", "origin", str(origin))
    if depth1:
        _git(dest, "fetch", "-q", "--no-tags", "--depth=1", "origin",
             "+refs/heads/main:refs/remotes/origin/main")
    else:
        _git(dest, "fetch", "-q", *(() if tags else ("--no-tags",)), "origin",
             *(FULL if tags else FULL[:1]))
    _git(dest, "checkout", "-q", "--detach", "origin/main")
    if cache is not None:
        shutil.copytree(cache, dest / ".lineage", symlinks=True)
    res = runner.invoke(app, ["init", "-C", str(dest)])
    assert res.exit_code == 0, res.output
    return dest


def _harvest(repo: Path) -> dict[str, Any]:
    res = runner.invoke(app, ["harvest", "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


def _warnings(harvest: dict[str, Any], source: str) -> list[str]:
    return [str(w.get("message", w)) if isinstance(w, dict) else str(w)
            for w in harvest.get("warnings", [])
            if not isinstance(w, dict) or w.get("source") == source]


def _audit(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo), "--json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def _rules(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def _gto_facts(repo: Path) -> dict[str, tuple[Any, Any]]:
    """GTO's versions (status) and deployments (retired_at), as the store holds them."""
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db")
    try:
        rows = conn.execute(
            "SELECT id, json_extract(attrs, '$.status'), json_extract(attrs, '$.retired_at') "
            "FROM nodes WHERE (kind = 'model' AND json_extract(attrs, '$.registry') = 'gto') "
            "OR (kind = 'deployment' AND json_extract(attrs, '$.source') = 'gto')").fetchall()
    finally:
        conn.close()
    return {str(i): (s, r) for i, s, r in rows}


@pytest.fixture
def demo_origin(quickstart_built: Path, tmp_path: Path) -> Path:
    return _bare(quickstart_built, tmp_path / "origin.git")


def test_a_cached_store_in_a_default_checkout_keeps_gto_facts_and_fails_the_gate(
        demo_origin: Path, tmp_path: Path) -> None:
    """Run 1 (whole clone) saves .lineage; run 2 (actions/checkout's default) restores it:
    nothing GTO recorded is retired or deregistered, the harvest says so in one line, and
    the gate fails; run 3 (whole again) finds the store as run 1 left it."""
    full = _job(demo_origin, tmp_path / "run1", depth1=False)
    _harvest(full)
    before = _gto_facts(full)
    assert any(r is None for s, r in before.values() if s is None)  # a live deployment
    code, report = _audit(full, "--verify", "--fail-on", "high")
    assert code == 1 and "harvest-complete" not in _rules(report)

    gha = _job(demo_origin, tmp_path / "run2", depth1=True, cache=full / ".lineage")
    h = _harvest(gha)
    gto = _warnings(h, "gto")
    assert not any("marked retired" in w or "marked deregistered" in w for w in gto), gto
    kept = [w for w in gto if "kept" in w]
    assert len(kept) == 1, gto
    assert "git fetch --tags" in kept[0] and "\n" not in kept[0]
    assert _gto_facts(gha) == before  # nothing written into the trail as deleted

    for args in ([], ["--rule", "monitoring-active"], ["--model", "churn@v1.0.0"]):
        code, report = _audit(gha, "--verify", "--fail-on", "high", *args)
        found = _rules(report)
        assert code == 1, (args, report)
        (gap,) = found["harvest-complete"]
        assert gap["severity"] == "critical"
        assert "churn#prod#2" in gap["message"], gap["message"]
        assert "git fetch --tags" in gap["remediation"]

    again = _job(demo_origin, tmp_path / "run3", depth1=False, cache=gha / ".lineage")
    h = _harvest(again)
    assert not any("marked retired" in w or "marked deregistered" in w
                   for w in _warnings(h, "gto"))
    assert _gto_facts(again) == before
    code, report = _audit(again, "--verify", "--fail-on", "high")
    assert code == 1 and "harvest-complete" not in _rules(report)


def test_a_default_checkout_fails_under_every_rule_selection(
        demo_origin: Path, tmp_path: Path) -> None:
    """A fresh store in a depth-1, tag-less checkout: --rule X fails on harvest-complete (a
    whole clone of the demo fails --rule four-eyes --fail-on high on its own findings)."""
    gha = _job(demo_origin, tmp_path / "gha", depth1=True)
    _harvest(gha)
    for rules in ("four-eyes", "model-has-run,risk-tier-set", "HARVEST-COMPLETE"):
        code, report = _audit(gha, "--rule", rules, "--fail-on", "high")
        assert code == 1, (rules, report)
        assert "harvest-complete" in _rules(report)
        assert "harvest-complete" in {r["id"] for r in report["rules"]}


def test_a_default_checkout_fails_every_threshold_but_never(
        demo_origin: Path, tmp_path: Path) -> None:
    """An audit of an incomplete clone vouches for no threshold: critical, as a failed
    --verify fails every one."""
    gha = _job(demo_origin, tmp_path / "gha", depth1=True)
    _harvest(gha)
    for fail_on in ("critical", "high", "info"):
        code, report = _audit(gha, "--fail-on", fail_on)
        assert code == 1, (fail_on, report)
        (gap,) = _rules(report)["harvest-complete"]
        assert gap["severity"] == "critical"
    code, _ = _audit(gha, "--fail-on", "never")
    assert code == 0


def _small_gto(tmp_path: Path, *, gto_file: bool) -> GitRepo:
    """A repository that registers a model with GTO's tags and declares no artifact."""
    r = GitRepo(tmp_path / "src")
    r.write("model.bin", "m\n")
    if gto_file:
        r.write(".gto", "type_allowed: [model]\n")
    r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    r.write("README.md", "churn\n")
    r.commit("readme")
    return r


def test_a_tagless_clone_of_a_gto_repository_with_a_gto_config_fails(tmp_path: Path) -> None:
    src = _small_gto(tmp_path, gto_file=True)
    origin = _bare(src.path, tmp_path / "origin.git")
    full = _job(origin, tmp_path / "full", depth1=False)
    _harvest(full)
    code, _ = _audit(full, "--fail-on", "high")
    assert code == 1
    bare = _job(origin, tmp_path / "bare", depth1=False, tags=False)
    _harvest(bare)
    code, report = _audit(bare, "--fail-on", "high")
    assert code == 1, report
    (gap,) = _rules(report)["harvest-complete"]
    assert ".gto" in gap["message"] and gap["severity"] == "critical"


def test_a_tagless_clone_with_no_model_at_all_is_said_in_the_report(tmp_path: Path) -> None:
    """No sign of GTO in the work tree: not failed, but the report says the store holds no
    model version and the clone no tag, and how to fetch them."""
    src = _small_gto(tmp_path, gto_file=False)
    origin = _bare(src.path, tmp_path / "origin.git")
    bare = _job(origin, tmp_path / "bare", depth1=False, tags=False)
    _harvest(bare)
    code, report = _audit(bare, "--fail-on", "high")
    assert code == 0 and report["findings"] == []
    said = [w for w in report["warnings"] if "holds no tags" in w]
    assert len(said) == 1 and "no model version" in said[0] and "git fetch --tags" in said[0]
    res = runner.invoke(app, ["audit", "-C", str(bare)])
    assert "holds no tags" in res.output


def test_a_shallow_clone_judges_gone_only_the_tags_its_remote_lacks(tmp_path: Path) -> None:
    """A depth-1 clone (it promises no commit's tags): a stage tag deleted on the remote is
    judged gone (the remote, asked, lacks it); the tags of older commits, which the remote
    still holds, are not."""
    src = _small_gto(tmp_path, gto_file=False)
    src.write("model.bin", "m2\n")
    src.commit("model 2")
    src.tag("churn@v2.0.0", "Registering artifact churn version v2.0.0")
    src.tag("churn#staging#2", "Assigning stage staging to artifact churn version v2.0.0")
    origin = _bare(src.path, tmp_path / "origin.git")
    full = _job(origin, tmp_path / "full", depth1=False)
    _harvest(full)
    before = _gto_facts(full)
    # unassigned with its tag deleted (gto unassign --delete), then a shallow clone
    _git(origin, "tag", "-d", "churn#staging#2")
    shallow = tmp_path / "shallow"
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    assert _git(shallow, "tag") == "churn@v2.0.0"
    shutil.copytree(full / ".lineage", shallow / ".lineage")
    h = _harvest(shallow)
    gto = _warnings(h, "gto")
    after = _gto_facts(shallow)
    staging = next(d for d in after if d.startswith("deployment:churn:staging"))
    assert after[staging][1] is not None, gto  # judged: its commit is in the clone
    assert {k: v for k, v in after.items() if k != staging} == {
        k: v for k, v in before.items() if k != staging}, gto
    assert sum("kept" in w for w in gto) == 1, gto
    code, report = _audit(shallow, "--fail-on", "critical")
    assert code == 1
    (gap,) = _rules(report)["harvest-complete"]
    assert "churn#prod#1" in gap["message"] and "--unshallow" in gap["remediation"]
