"""A document's repository-relative path is one path however it is written: `./README.md`,
`README.md` and `docs/../README.md` are one document node, hashed; URLs are left as written."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import Node, NodeKind
from lineage.records import node_id_of, validate_data
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("README.md", "churn model card\n")
    git_repo.write("docs/model_card.md", "card\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


def _document(repo: GitRepo, uri: str, *extra: str):
    res = runner.invoke(app, ["record", "document", "-C", str(repo.path), "--type",
                              "model_card", "--uri", uri, "--model", "churn@v1", *extra,
                              "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_one_file_written_three_ways_is_one_document(repo: GitRepo) -> None:
    first = _document(repo, "README.md")
    for uri in ("./README.md", "docs/../README.md", "./docs/../README.md"):
        out = _document(repo, uri)
        assert out["node"] == first["node"], uri
        assert out["record"]["uri"] == "README.md"
        assert out["record"]["content_hash"] == first["record"]["content_hash"]
        assert out["warnings"] == [] and out["facts_written"] == 0
    with api.open_store(repo.path) as store:
        docs = list(store.iter_nodes(NodeKind.DOCUMENT))
    assert [d.id for d in docs] == [first["node"]]


def test_a_path_leaving_the_repository_is_still_outside(repo: GitRepo) -> None:
    outside = repo.path.parent / "card.md"
    outside.write_text("a card kept next to the repository\n")
    out = _document(repo, "docs/../../card.md")
    # read as --input reads a path outside the repository: recorded by its absolute path
    assert out["record"]["uri"] == outside.as_posix()
    assert any("outside the repository" in w for w in out["warnings"])


def test_normalized_paths_and_urls_keep_their_ids() -> None:
    card = validate_data({"kind": "document", "doc_kind": "model_card",
                          "uri": "docs/model_card.md", "model": "churn@v1",
                          "content_hash": "sha256:" + "0" * 64}, file="x")
    assert node_id_of(card) == "document:f8ca0d15b0fc39c6"
    url = validate_data({"kind": "document", "doc_kind": "model_card",
                         "uri": "https://example.com/a/../card.md", "model": "churn@v1"},
                        file="x")
    assert url.uri == "https://example.com/a/../card.md"  # type: ignore[attr-defined]
    assert node_id_of(url) == "document:8d65c3e570d84a64"


def test_a_record_stored_with_a_dotted_path_is_the_same_record(repo: GitRepo) -> None:
    # a store written before paths were normalized holds `./README.md`
    out = _document(repo, "README.md", "--id", "card-1")
    with api.open_store(repo.path) as store, store.transaction():
        node = store.get_node("document:card-1")
        assert node is not None
        store.upsert([Node(kind=node.kind, id=node.id,
                           attrs={**node.attrs, "uri": "./README.md"})])
        store.append_event("record", "test", {"node": node.id})
    repo.write("governance/card.yaml", "kind: document\nid: card-1\ndoc_kind: model_card\n"
                                       "uri: ./README.md\nmodel: churn@v1\n")
    harvest = runner.invoke(app, ["harvest", "-C", str(repo.path), "--only", "records"])
    assert harvest.exit_code == 0, harvest.output
    again = _document(repo, "./README.md", "--id", "card-1")
    assert again["node"] == out["node"]


def test_a_folder_is_not_said_to_be_missing(repo: GitRepo) -> None:
    out = _document(repo, "docs")
    assert out["warnings"] == ["document docs is a folder, not a file: its content is not "
                               "pinned (name the document's file)"]
