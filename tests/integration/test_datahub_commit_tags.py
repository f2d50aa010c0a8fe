"""A training commit's tags (``refs/tags/*``) show in DataHub on the runs and versions it
made; its branches and remote-tracking refs, which differ from clone to clone, never do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """A run and a model version recorded at a commit tagged ``v1.0`` (lightweight) and
    ``release-2026-01`` (annotated), with a second local branch pointing at it."""
    git_repo.write("model.json", "{}\n")
    git_repo.commit("train")
    git_repo.tag("v1.0")
    git_repo.tag("release-2026-01", "January release")
    git_repo.git("branch", "experiment")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    res = runner.invoke(app, ["record", "run", "-C", str(git_repo.path), "--name", "train",
                              "--run-id", "run-1", "--model", "churn@v1=model.json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path)])
    assert res.exit_code == 0, res.output
    return git_repo


def _render(graph: Any) -> list[dict[str, Any]]:
    from connectors.sinks.datahub.render import render

    return [m.to_obj(simplified_structure=True) for m in render(graph)]


def _custom(mcps: list[dict[str, Any]], aspect: str) -> dict[str, str]:
    found = [m["aspect"]["json"]["customProperties"] for m in mcps if m["aspectName"] == aspect]
    assert len(found) == 1, aspect
    return found[0]  # type: ignore[no-any-return]


def _graph(repo: GitRepo) -> Any:
    from lineage import api

    store = api.open_store(repo.path)
    try:
        return store.load_graph()
    finally:
        store.close()


def test_commit_tags_show_on_runs_and_versions(repo: GitRepo) -> None:
    mcps = _render(_graph(repo))
    for aspect in ("dataProcessInstanceProperties", "mlModelProperties"):
        assert json.loads(_custom(mcps, aspect)["git_tags"]) == ["release-2026-01", "v1.0"]


def test_branches_and_remote_refs_of_a_clone_change_nothing(repo: GitRepo) -> None:
    """The same commit in another clone has other local branches and ``refs/remotes/origin/*``:
    its DataHub aspects are the same."""
    from lineage.model import NodeKind

    graph = _graph(repo)
    before = _render(graph)
    for cid in graph.node_ids(NodeKind.COMMIT):
        attrs = graph.attrs(cid)
        attrs["refs"] = sorted({*(attrs.get("refs") or []), "refs/heads/main",
                                "refs/heads/hotfix", "refs/remotes/origin/main",
                                "refs/remotes/origin/HEAD"})
    after = _render(graph)
    assert after == before
    assert "refs/" not in json.dumps(after)


def test_read_back_the_commit_keeps_its_tags(repo: GitRepo) -> None:
    from connectors.sinks.datahub.reader import read_lite
    from lineage.model import NodeKind

    res = runner.invoke(app, ["push", "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    back = read_lite(repo=repo.path)
    commits = back.node_ids(NodeKind.COMMIT)
    assert len(commits) == 1
    assert back.attrs(commits[0]).get("refs") == ["refs/tags/release-2026-01", "refs/tags/v1.0"]
