"""LineageGraph merges, walks and provenance; stable ids."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lineage import ids
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind


@pytest.mark.parametrize("url", [
    "https://github.com/Org/Repo.git",
    "https://user:s3cret@GitHub.com/Org/Repo",
    "git@github.com:Org/Repo.git",
    "ssh://git@github.com/Org/Repo.git/",
])
def test_remote_urls_normalize_to_one_repository(url: str) -> None:
    assert ids.repository_id(url) == "repository:github.com/Org/Repo"


def test_credentials_are_stripped() -> None:
    assert ids.strip_credentials("https://bob:tok@host.org/x.git") == "https://host.org/x.git"
    assert "tok" not in ids.repository_id("https://bob:tok@host.org/x.git")


@pytest.mark.parametrize("url,secret", [
    ("https://acc.blob.core.windows.net/c/f.csv?sv=2020-08-04&sp=r&sig=abc%2Bdef%3D", "abc"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIAEXAMPLE"
     "&X-Amz-Signature=f00d&X-Amz-Security-Token=tok3n", "AKIA"),
    ("https://storage.googleapis.com/b/o?X-Goog-Credential=svc%40p&X-Goog-Signature=0bad",
     "0bad"),
    ("https://u:pw@example.com/data.csv?api_key=k3y&token=t0k", "k3y"),
    ("https://example.com/d.csv?key=AIzaSecret", "AIza"),
])
def test_secret_query_parameters_are_redacted(url: str, secret: str) -> None:
    clean = ids.strip_credentials(url)
    assert secret not in clean and "REDACTED" in clean
    assert clean.split("?")[0] == url.split("?")[0].replace("u:pw@", "")


def test_urls_without_secrets_are_kept_as_written() -> None:
    for url in ("https://example.com/d.csv?path=a/b&monkey=1&version=3", "s3://bucket/path",
                "git@github.com:o/r.git", "https://host.org/x.git", "gs://b/o?generation=2",
                "sqlite:///mlflow.db", "file:///tmp/mlruns", "sqlite:////abs/path.db"):
        assert ids.strip_credentials(url) == url


def test_repository_without_remote_uses_root_commit() -> None:
    assert ids.repository_id(None, "abc") == "repository:root:abc"


def test_node_make_validates_and_compacts() -> None:
    n = Node.make(NodeKind.COMMIT, ids.commit_id("ABC"), sha="abc", message=None)
    assert n.id == "commit:abc" and "message" not in n.attrs
    with pytest.raises(ValidationError):
        Node.make(NodeKind.RISK_ASSESSMENT, "risk_assessment:x", model_group="g", tier="extreme")


def _chain() -> LineageGraph:
    g = LineageGraph()
    raw = ids.data_id("repository:r", "data/raw.csv", "md5:1")
    c0, c1 = ids.commit_id("0" * 40), ids.commit_id("1" * 40)
    run = ids.run_id("lineage", "r1")
    m = ids.model_id("churn", "v1")
    g.add([
        Node.make(NodeKind.COMMIT, c0, sha="0" * 40),
        Node.make(NodeKind.COMMIT, c1, sha="1" * 40, parents=["0" * 40]),
        Node.make(NodeKind.DATA, raw, path="data/raw.csv", hash="md5:1"),
        Node.make(NodeKind.RUN, run, source="lineage", run_id="r1"),
        Node.make(NodeKind.MODEL, m, group="churn", version="v1"),
        Edge.make(EdgeKind.PARENT, c0, c1),
        Edge.make(EdgeKind.CODE, c1, run, dirty=False),
        Edge.make(EdgeKind.INPUT, raw, run, pin="strong"),
        Edge.make(EdgeKind.PRODUCED, run, m),
        Edge.make(EdgeKind.DEPLOYED_AS, m, "deployment:churn:prod:2026"),
    ])
    return g


def test_provenance_is_everything_upstream_without_commit_history() -> None:
    g = _chain()
    prov = g.provenance("model:churn@v1")
    assert set(prov.node_ids()) == {
        "model:churn@v1", "run:lineage:r1", "commit:" + "1" * 40, "data:r:data/raw.csv@md5:1",
    }
    assert g.downstream("data:r:data/raw.csv@md5:1") == {
        "run:lineage:r1", "model:churn@v1", "deployment:churn:prod:2026"}


def test_dangling_reference_becomes_placeholder_until_described() -> None:
    g = _chain()
    assert g.is_placeholder("deployment:churn:prod:2026")
    g.add_node(Node.make(NodeKind.DEPLOYMENT, "deployment:churn:prod:2026",
                         model="model:churn@v1", environment="prod"))
    assert not g.is_placeholder("deployment:churn:prod:2026")


def test_merge_is_deterministic_and_node_link_round_trips() -> None:
    a, b = _chain(), _chain()
    b.add_node(Node.make(NodeKind.COMMIT, ids.commit_id("1" * 40), sha="1" * 40))
    assert a.to_node_link() == b.to_node_link()
    again = LineageGraph.from_node_link(a.to_node_link())
    assert again.to_node_link() == a.to_node_link()


def test_provenance_follows_same_as_both_ways() -> None:
    g = _chain()
    g.add_edge(Edge.make(EdgeKind.SAME_AS, "model:churn@v1", "model:churn@3"))
    g.add_edge(Edge.make(EdgeKind.TAGGED, "commit:" + "0" * 40, "model:churn@3"))
    assert {"model:churn@v1", "run:lineage:r1"} <= set(g.provenance("model:churn@3").node_ids())
    assert "model:churn@3" in g.provenance("model:churn@v1").node_ids()
