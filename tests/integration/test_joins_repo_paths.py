"""What a pin names a run input or model by (lineage.hashing.repo_path): a path of the
repository, never a URL turned into one. ``https://host/x`` read as a path became the
"repository file" ``https:/host/x``, its ``user:password@`` left in (the credential scrubber
looks for ``://``), and the run claimed to read a file of the work tree that never existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage import api
from lineage.errors import InputError
from lineage.hashing import repo_path
from tests.conftest import GitRepo

SECRET = "pa55SECRETword"
URL = f"https://etl:{SECRET}@data.example.com/churn/train.csv?token={SECRET}"


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    git_repo.write("data.csv", "a,1\n")
    git_repo.commit("data")
    api.init(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    return git_repo


@pytest.mark.parametrize("url", [URL, f"s3://AKIA:{SECRET}@bucket/x.csv", "file:///srv/x.csv",
                                 # what pathlib.Path makes of a URL: '//' collapsed to '/'
                                 str(Path(URL)), str(Path("s3://bucket/x.csv"))])
def test_a_url_is_no_repository_path(repo: GitRepo, url: str) -> None:
    with pytest.raises(InputError) as err:
        repo_path(repo.path, url)
    assert "URL" in str(err.value) and SECRET not in str(err.value)
    assert SECRET not in str(err.value.hint)


def test_paths_are_still_paths(repo: GitRepo) -> None:
    assert repo_path(repo.path, "data.csv") == ("data.csv", True)
    assert repo_path(repo.path, repo.path / "data.csv") == ("data.csv", True)
    assert repo_path(repo.path, "c:/data.csv")[0] == "c:/data.csv"  # a folder named c:
    assert repo_path(repo.path, "runs:2026/x.csv")[0] == "runs:2026/x.csv"


def test_track_run_refuses_a_url_given_as_a_path(repo: GitRepo) -> None:
    """``track_run(inputs=[Path(url)])``: the URL, collapsed by pathlib, is refused before the
    run starts, and nothing holding its password is recorded."""
    from connectors.tracking import track_run

    with pytest.raises(InputError) as err, track_run(name="train", inputs=[Path(URL)]):
        pass
    assert SECRET not in str(err.value)
    store = api.open_store(repo.path)
    assert SECRET not in json.dumps(store.load_graph().to_node_link())
    store.close()
