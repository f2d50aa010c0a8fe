"""A record retiring the deployment a GTO stage tag made (``lineage record deployment
--deployed-at <the tag's time> --retired-at …``: one group, environment and time are one
deployment) is not undone by the next harvest of the tags: GTO's stage still naming the
version says nothing of when it stopped serving. A long-lived store and a fresh clone agree;
GTO's own retirement, when earlier, wins."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _ok(*args: str) -> Result:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def _tag_time(repo: GitRepo, tag: str) -> str:
    return repo.git("for-each-ref", "--format=%(taggerdate:iso-strict)",
                    f"refs/tags/{tag}").replace("+00:00", "Z")


def _retired(path: Path, dep: str) -> Any:
    with api.open_store(path) as store:
        node = store.get_node(dep)
        assert node is not None, dep
        return node.attrs.get("retired_at")


def test_a_recorded_retirement_survives_the_next_tag_harvest(git_repo: GitRepo,
                                                             tmp_path: Path) -> None:
    r = git_repo
    r.write("model.bin", "v1\n")
    r.commit("c1")
    r.tag("churn@v1.0.0", "register v1.0.0")
    r.tag("churn#prod#1", "v1.0.0 to prod")
    _ok("init", "-C", str(r.path))
    _ok("harvest", "-C", str(r.path))
    at = _tag_time(r, "churn#prod#1")
    dep = f"deployment:churn:prod:{at}"
    assert _retired(r.path, dep) is None  # live, as GTO says
    # the service was switched off: recorded, for review, against GTO's deployment
    _ok("record", "deployment", "-C", str(r.path), "--model", "churn@v1.0.0", "--env", "prod",
        "--deployed-at", at, "--retired-at", "2026-03-01T00:00:00Z", "--write-file")
    _ok("harvest", "-C", str(r.path))
    assert _retired(r.path, dep) == "2026-03-01T00:00:00Z"
    r.commit("prod switched off", "governance")
    # any later tag makes the GTO harvester write its deployments again
    r.write("model.bin", "v2\n")
    r.commit("c2")
    r.tag("churn@v1.1.0", "register v1.1.0")
    _ok("harvest", "-C", str(r.path))
    assert _retired(r.path, dep) == "2026-03-01T00:00:00Z"
    shown = _ok("show", "churn@v1.0.0", "-C", str(r.path)).stdout
    assert "state: retired 2026-03-01T00:00:00Z" in shown, shown

    # a fresh clone (tags, then records) holds the same
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", f"file://{r.path}", str(ci)], check=True,
                   capture_output=True)
    _ok("init", "-C", str(ci))
    _ok("harvest", "-C", str(ci))
    assert _retired(ci, dep) == "2026-03-01T00:00:00Z"

    # GTO's own retirement, earlier than the record's, wins in both
    r.tag("churn#prod#2", "v1.1.0 to prod")
    _ok("harvest", "-C", str(r.path))
    assert _retired(r.path, dep) == min(_tag_time(r, "churn#prod#2"), "2026-03-01T00:00:00Z")
