"""``dvc import`` sources re-pointed on real git + DVC repositories.

A data node is one path with one content hash, so the same bytes imported from another
revision, or no longer imported at all, stay one node: it is described as HEAD's ``.dvc``
file says, and a source attribute that file no longer states leaves the node. Another
content is another node, with its own source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage import api
from tests.conftest import GitRepo

IMPORT_KEYS = ("import_url", "import_rev", "import_rev_lock")


@pytest.fixture
def source(tmp_path: Path) -> GitRepo:
    """A DVC repository with d.csv ("hello") tagged v1 and v1b (same commit), then v2."""
    src = GitRepo(tmp_path / "src")
    src.dvc("init", "-q")
    src.write("d.csv", "hello\n")
    src.dvc("add", "-q", "d.csv")
    src.commit("v1")
    src.tag("v1")
    src.tag("v1b")
    src.write("d.csv", "hello again\n")
    src.dvc("add", "-q", "d.csv")
    src.commit("v2")
    src.tag("v2")
    return src


def _data(r: GitRepo) -> dict[str, dict]:
    graph = api.open_store(r.path).load_graph()
    return {n.id.rsplit("@", 1)[1]: dict(n.attrs) for n in graph.nodes()
            if str(n.kind) == "data" and n.attrs.get("path") == "d.csv"}


def _import_facts(attrs: dict) -> dict:
    out = {k: attrs.get(k) for k in IMPORT_KEYS if attrs.get(k) is not None}
    path = (attrs.get("properties") or {}).get("import_path")
    if path is not None:
        out["import_path"] = path
    return out


@pytest.mark.parametrize("harvests", ["each commit", "once"])
def test_an_import_repointed_then_added_is_described_as_heads_dvc_file(
        git_repo: GitRepo, source: GitRepo, harvests: str) -> None:
    r = git_repo
    r.dvc("init", "-q")
    r.commit("dvc init")
    api.init(r.path)
    url = str(source.path)
    lock = source.git("rev-parse", "v1")

    def step(message: str) -> None:
        r.commit(message)
        if harvests == "each commit":
            assert api.harvest(r.path).report.warnings == []

    r.dvc("import", "-q", url, "d.csv", "--rev", "v1")
    step("import v1")
    r.dvc("update", "-q", "--rev", "v1b", "d.csv.dvc")  # same commit, same bytes
    step("import v1b")
    if harvests == "once":
        api.harvest(r.path)
    [(h, attrs)] = _data(r).items()
    assert _import_facts(attrs) == {"import_url": url, "import_rev": "v1b",
                                    "import_rev_lock": lock, "import_path": "d.csv"}
    r.dvc("import", "-q", "-f", url, "d.csv")  # no --rev: the default branch (v2's bytes)
    step("import the default branch")
    r.dvc("import", "-q", "-f", url, "d.csv", "--rev", "v1")
    r.dvc("import", "-q", "-f", url, "d.csv", "--rev", lock)
    step("import v1 again, by its sha")
    # the same bytes no longer imported: dvc add of the file as it is
    (r.path / "d.csv.dvc").unlink()
    r.dvc("add", "-q", "d.csv")
    step("tracked here from now on")
    if harvests == "once":
        assert api.harvest(r.path).report.warnings == []
    data = _data(r)
    assert len(data) == 2
    assert _import_facts(data[h]) == {}, data[h]  # what HEAD's d.csv.dvc says: no import
    [other] = [a for k, a in data.items() if k != h]  # v2's bytes keep their own source
    assert _import_facts(other) == {"import_url": url,
                                    "import_rev_lock": source.git("rev-parse", "v2"),
                                    "import_path": "d.csv"}
    before = api.open_store(r.path).head()
    api.harvest(r.path)
    assert api.open_store(r.path).head() == before  # nothing new: nothing written


def test_an_import_repointed_to_a_rev_without_rev_drops_the_old_rev(
        git_repo: GitRepo, source: GitRepo) -> None:
    """``--rev v1`` then the same bytes by sha without ``rev``: import_rev leaves."""
    r = git_repo
    r.dvc("init", "-q")
    r.commit("dvc init")
    api.init(r.path)
    url = str(source.path)
    lock = source.git("rev-parse", "v1")
    r.dvc("import", "-q", url, "d.csv", "--rev", "v1")
    r.commit("import v1")
    api.harvest(r.path)
    # the .dvc file edited by hand: the source pinned by rev_lock only
    text = (r.path / "d.csv.dvc").read_text()
    assert "    rev: v1\n" in text
    r.write("d.csv.dvc", text.replace("    rev: v1\n", ""))
    r.commit("pin by sha only")
    assert api.harvest(r.path).report.warnings == []
    [attrs] = _data(r).values()
    assert _import_facts(attrs) == {"import_url": url, "import_rev_lock": lock,
                                    "import_path": "d.csv"}
