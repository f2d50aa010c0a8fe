"""A governance folder kept as a symbolic link to another folder (``governance ->
compliance/records``, a layout shared with other tools), in a sparse checkout that leaves the
link's target out: the harvest says which record files it could not read and the fix that
works — adding the folder the link names (``git sparse-checkout add compliance/records``) —
not ``git sparse-checkout add governance``, which adds nothing (a cone pattern naming a file,
the link, which the checkout already holds). The audit's harvest-complete names that folder
too. The fix, run as said, has the records harvested. A real bare origin, a partial clone, a
real sparse checkout."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
RISK = textwrap.dedent("""\
    kind: risk_assessment
    id: churn-2026
    model_group: churn
    tier: high
    assessor: carol
    assessed_at: 2026-01-10
""")
DEPLOYMENT = textwrap.dedent("""\
    kind: deployment
    model: churn@v1.0.0
    environment: prod
    deployed_at: 2026-01-21T08:00:00Z
""")


def _lineage(root: Path, *args: str) -> Result:
    return runner.invoke(app, [args[0], "-C", str(root), *args[1:]])


def _origin(tmp_path: Path, link: str, target: str) -> Path:
    src = GitRepo(tmp_path / "src")
    src.write("src/train.py", "print('train')\n")
    src.write("models/churn.json", '{"w": 1}\n')
    src.write(f"{target}/risk.yaml", RISK)
    src.write(f"{target}/deployment/prod.yaml", DEPLOYMENT)
    (src.path / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(src.path / target, (src.path / link).parent), src.path / link)
    if link != "governance":
        src.write("lineage.yaml", f"governance_dir: {link}\n")
    src.commit("churn v1.0.0 in prod, unapproved")
    bare = tmp_path / "origin.git"
    src.run("git", "clone", "-q", "--bare", str(src.path), str(bare))
    src.run("git", "-C", str(bare), "config", "uploadpack.allowFilter", "true")
    return bare


def _sparse_clone(origin: Path, dest: Path, *cone: str) -> GitRepo:
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = dest, 10
    other = GitRepo.__new__(GitRepo)
    other.path, other.tick = origin, 10
    other.run("git", "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{origin}",
              str(dest))
    repo.run("git", "sparse-checkout", "set", "--cone", *cone)
    repo.run("git", "checkout", "-q", "main")
    return repo


def _said(res: Result) -> str:
    assert res.exit_code == 0, res.output
    [said] = [str(w["message"]) for w in json.loads(res.stdout)["warnings"]
              if "sparse checkout" in w["message"]]
    return said


@pytest.mark.parametrize(("link", "target"), [
    ("governance", "compliance/records"),   # a link at the root, cone mode keeps it
    ("ml/governance", "compliance/records"),  # a link in a folder the checkout holds
])
def test_the_fix_named_is_the_folder_the_link_points_to(tmp_path: Path, link: str,
                                                         target: str) -> None:
    origin = _origin(tmp_path, link, target)
    cone = ["src", "models"] + (["ml"] if "/" in link else [])
    repo = _sparse_clone(origin, tmp_path / "sparse", *cone)
    assert (repo.path / link).is_symlink() and not (repo.path / target).exists()
    api.init(repo.path)

    said = _said(_lineage(repo.path, "harvest", "--json"))
    assert f"{target}/risk.yaml" in said and f"{target}/deployment/prod.yaml" in said, said
    assert f"`git sparse-checkout add {target}`" in said, said
    assert f"sparse-checkout add {link}`" not in said, said

    res = _lineage(repo.path, "audit", "--json")
    assert res.exit_code == 1, res.output
    [gap] = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "harvest-complete"
             and "sparse checkout" in f["message"]]
    assert f"git sparse-checkout add {target};" in gap["remediation"], gap

    # the fix as said: the records are read, nothing is said any more
    repo.run("git", "sparse-checkout", "add", target)
    res = _lineage(repo.path, "harvest", "--json")
    assert res.exit_code == 0, res.output
    assert not [w for w in json.loads(res.stdout)["warnings"]
                if "sparse checkout" in w["message"]]
    with api.open_store(repo.path) as store:
        assert store.has_node("risk_assessment:churn-2026")
    res = _lineage(repo.path, "audit", "--json")
    assert not [f for f in json.loads(res.stdout)["findings"]
                if f["rule"] == "harvest-complete" and "sparse checkout" in f["message"]]


def test_the_old_fix_did_not_work(tmp_path: Path) -> None:
    """What the harvest said before (`git sparse-checkout add governance`) is refused by git:
    the link is a file, no folder (why the fix must name the link's target)."""
    origin = _origin(tmp_path, "governance", "compliance/records")
    repo = _sparse_clone(origin, tmp_path / "sparse", "src", "models")
    out = subprocess.run(["git", "sparse-checkout", "add", "governance"], cwd=repo.path,
                         env=repo.env(), capture_output=True, text=True)
    assert out.returncode != 0 and "not a directory" in out.stderr, out
    assert not (repo.path / "compliance" / "records" / "risk.yaml").exists()
