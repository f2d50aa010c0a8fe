"""A document record that names a file of the repository (``uri: docs/model_card.md``) is a
link in DataHub: the file's page on the repository's host, so the model card is one click
from the model in the DataHub UI. The link's description keeps the content hash the record
pins and the path, and reading the catalog back gives the record once, not the record and a
second document made of its link.

The quickstart demo (its remote: github.com/example-org/churn-model), pushed to DataHub Lite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

pytest.importorskip("datahub")

runner = CliRunner()
V1 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
WEB = "https://github.com/example-org/churn-model"


def _lite_get(repo: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    from connectors.sinks.datahub.sink import lite_config

    db = get_datahub_lite(lite_config(repo / ".lineage" / "datahub-lite.db", read_only=True),
                          read_only=True)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def _catalog(repo: Path) -> Any:
    from connectors.sinks.datahub.reader import read_lite

    return read_lite(repo / ".lineage" / "datahub-lite.db")


def _sha256_at(repo: Path, sha: str, path: str) -> str:
    import hashlib
    import subprocess

    blob = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{path}"],
                          capture_output=True, check=True).stdout
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def test_a_model_card_in_the_repository_is_a_link_to_its_page(quickstart_demo: Path) -> None:
    """The link is the page of the version the record pins: at the first commit holding
    that content, not the file as it is on the default branch today."""
    links = {e["url"]: e["description"]
             for e in _lite_get(quickstart_demo, V1)["institutionalMemory"]["elements"]}
    [card] = [u for u in links if u.endswith("/docs/model_card.md")]
    sha = card.removeprefix(f"{WEB}/blob/").removesuffix("/docs/model_card.md")
    assert len(sha) == 40 and sha != "HEAD"
    with api.open_store(quickstart_demo) as store:
        record = store.get_node("document:churn-v1.0.0-model-card")
    assert record is not None
    assert _sha256_at(quickstart_demo, sha, "docs/model_card.md") == \
        record.attrs["content_hash"]
    assert record.attrs["content_hash"] in links[card]
    assert links[card].endswith("repository file docs/model_card.md")

    # read back: the records, each once, with the path they name (not the link)
    graph = _catalog(quickstart_demo)
    docs = {n: graph.attrs(n) for n in graph.node_ids() if n.startswith("document:")}
    with api.open_store(quickstart_demo) as store:
        local = {n for n in store.load_graph().node_ids() if n.startswith("document:")}
    assert set(docs) == local
    assert docs["document:churn-v1.0.0-model-card"]["uri"] == "docs/model_card.md"
    assert not [n for n, a in docs.items() if str(a.get("uri", "")).startswith("https://")]


def test_audits_of_the_store_and_of_lite_agree(quickstart_demo: Path) -> None:
    def audit(*source: str) -> list[dict[str, Any]]:
        r = runner.invoke(app, ["audit", "--format", "json", *source])
        assert r.exit_code in (0, 1), r.output
        return json.loads(r.stdout)["findings"]  # type: ignore[no-any-return]

    lite = quickstart_demo / ".lineage" / "datahub-lite.db"
    assert audit("--source", "datahub-lite", str(lite)) == audit()


def _links(*repos: tuple[str, str | None]) -> list[str]:
    from connectors.sinks.datahub.render import render
    from lineage.graph import LineageGraph
    from lineage.model import Edge, EdgeKind, Node, NodeKind

    g = LineageGraph()
    g.add([*(Node.make(NodeKind.REPOSITORY, rid, url=url) for rid, url in repos),
           Node.make(NodeKind.MODEL_GROUP, "model_group:churn", name="churn"),
           Node.make(NodeKind.MODEL, "model:churn@v1", group="churn", version="v1"),
           Edge.make(EdgeKind.VERSION_OF, "model:churn@v1", "model_group:churn"),
           Node.make(NodeKind.DOCUMENT, "document:card", doc_kind="model_card",
                     uri="docs/model card.md", content_hash="sha256:" + "a" * 64),
           Edge.make(EdgeKind.DOCUMENTS, "document:card", "model:churn@v1")])
    return [e.url for m in render(g) if m.aspectName == "institutionalMemory"
            for e in m.aspect.elements]


def test_the_link_needs_one_repository_with_a_web_page() -> None:
    assert _links(("repository:github.com/acme/churn", "git@github.com:acme/churn.git")) == \
        ["https://github.com/acme/churn/blob/HEAD/docs/model%20card.md"]
    # known only by its root commit: no page to link to (the path stays a custom property)
    assert _links(("repository:root:" + "0" * 40, None)) == []
    # two repositories: which one holds the file is not known
    assert _links(("repository:github.com/acme/churn", None),
                  ("repository:gitlab.com/acme/features", None)) == []


def test_a_document_link_is_pinned_to_the_commit_holding_the_recorded_content(
        git_repo: GitRepo, tmp_path: Path) -> None:
    """Recorded before its file is committed, a document links to the default branch; once
    committed, the next harvest pins it to that commit, and an edit of the file after the
    record (committed or not) leaves the link at the version the record pins."""
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    git_repo.git("remote", "add", "origin", "https://github.com/acme/churn.git")
    api.init(git_repo.path)
    git_repo.write("docs/card.md", "# churn model card\n\nv1\n")
    lite = tmp_path / "catalog.db"
    group = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"

    def links() -> list[str]:
        r = runner.invoke(app, ["push", str(lite), "--repo", str(git_repo.path)])
        assert r.exit_code == 0, r.output
        from datahub.lite.lite_util import get_datahub_lite

        from connectors.sinks.datahub.sink import lite_config

        db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
        try:
            memory = (db.get(group, None) or {}).get("institutionalMemory") or {}
        finally:
            db.close()
        return [e["url"] for e in memory.get("elements", [])]

    r = runner.invoke(app, ["record", "document", "--type", "model_card", "--uri",
                            "docs/card.md", "--group", "churn", "--repo", str(git_repo.path)])
    assert r.exit_code == 0, r.output
    api.harvest(git_repo.path)
    assert links() == ["https://github.com/acme/churn/blob/HEAD/docs/card.md"]

    pinned = git_repo.commit("add the model card")
    git_repo.write("docs/card.md", "# churn model card\n\nv2\n")
    git_repo.commit("model card v2")
    api.harvest(git_repo.path)
    assert links() == [f"https://github.com/acme/churn/blob/{pinned}/docs/card.md"]

    # joined again (another record): the pin is kept as it is; nothing new: a re-push
    # writes nothing
    r = runner.invoke(app, ["record", "document", "--type", "datasheet", "--uri",
                            "https://wiki.example.com/churn-data", "--group", "churn",
                            "--repo", str(git_repo.path)])
    assert r.exit_code == 0, r.output
    api.harvest(git_repo.path)
    assert sorted(links()) == [f"https://github.com/acme/churn/blob/{pinned}/docs/card.md",
                               "https://wiki.example.com/churn-data"]
    api.harvest(git_repo.path)
    r = runner.invoke(app, ["push", str(lite), "--json", "--repo", str(git_repo.path)])
    assert r.exit_code == 0 and json.loads(r.stdout)["written"] == 0, r.output
    with api.open_store(git_repo.path) as store:
        assert store.verify().ok
