"""`lineage show DATA_PATH` names the data version of the repository as it is named now.

A remote added after a first harvest moves the repository's identity (data ids embed it): the
DVC facts are harvested again under the new id, and the old id's stay in the audit trail with
the same path and hash. `show` must not pick the old one because its id sorts first.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo


@pytest.mark.parametrize("remote", ["https://source.example.com/acme/zzz.git",
                                    "https://example.com/acme/aaa.git"])
def test_show_after_a_remote_was_added_is_the_new_identitys_version(
        git_repo: GitRepo, remote: str, monkeypatch: pytest.MonkeyPatch) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.write("data/x.csv", "a,1\n")
    r.dvc("add", "-q", "data/x.csv")
    r.commit("data")
    api.init(r.path)
    api.harvest(r.path)
    old = api.open_store(r.path).load_graph()
    (old_id,) = [n.id for n in old.nodes() if n.attrs.get("path") == "data/x.csv"]
    r.git("remote", "add", "origin", remote)
    api.harvest(r.path)
    monkeypatch.chdir(r.path)
    res = CliRunner().invoke(app, ["show", "data/x.csv", "--json"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    key = remote.removeprefix("https://").removesuffix(".git")
    assert shown["node"].startswith(f"data:{key}:"), (shown["node"], old_id)
