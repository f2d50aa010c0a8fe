"""Git harvester and the shared git scan on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from connectors.harvesters import gitscan
from connectors.harvesters.git import commit_attrs
from lineage import api
from lineage.config import Config
from lineage.model import ATTRS_MODELS, Node, NodeKind
from lineage.plugins import HarvestContext
from lineage.report import RunReport
from lineage.store import Store
from tests.conftest import GitRepo


def _harvest(repo: GitRepo) -> api.HarvestResult:
    if not (repo.path / ".lineage").exists():
        api.init(repo.path)
    return api.harvest(repo.path, only=["git"])


def _store(repo: GitRepo) -> Store:
    return api.open_store(repo.path)


def _ctx(path: Path) -> HarvestContext:
    return HarvestContext(path, Config(), None, RunReport())  # type: ignore[arg-type]


def test_commits_parents_refs_and_identity(git_repo: GitRepo) -> None:
    git_repo.write("a.txt", "1")
    c1 = git_repo.commit("first\n\nbody line")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("b.txt", "2")
    c2 = git_repo.commit("feature work")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("c.txt", "3")
    c3 = git_repo.commit("main work")
    git_repo.tick += 1
    git_repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    merge = git_repo.git("rev-parse", "HEAD")
    git_repo.tag("v1", "release one")
    res = _harvest(git_repo)
    assert res.harvesters[0].stats.nodes_new == {"commit": 4, "repository": 1}
    with _store(git_repo) as store:
        repo_node = store.iter_nodes(NodeKind.REPOSITORY).__next__()
        assert repo_node.id == f"repository:root:{c1}"
        n1 = store.get_node(f"commit:{c1}")
        assert n1 is not None
        assert n1.attrs["message"] == "first\n\nbody line"
        assert n1.attrs["author"] == {"name": "Ada Author", "email": "ada@example.com",
                                      "time": "2026-01-01T01:00:00Z"}
        assert n1.attrs["committer"]["name"] == "Carl Committer"
        assert "parents" not in n1.attrs
        m = store.get_node(f"commit:{merge}")
        assert m is not None and m.attrs["parents"] == [c3, c2]
        # tags are the commit's; branch heads are the repository's (clone-private state)
        assert m.attrs["refs"] == ["refs/tags/v1"]
        assert "refs" not in store.get_node(f"commit:{c2}").attrs
        assert repo_node.attrs["properties"] == {"branch:main": merge, "branch:feature": c2}
        edges = {(e.kind.value, e.source, e.target) for e in store.iter_edges()}
        assert ("parent", f"commit:{c3}", f"commit:{merge}") in edges
        assert ("parent", f"commit:{c2}", f"commit:{merge}") in edges
        assert ("contains", repo_node.id, f"commit:{c2}") in edges
        # the trusted hot-path attrs are exactly what validation would produce
        for node in store.iter_nodes(NodeKind.COMMIT):
            made = Node.make(NodeKind.COMMIT, node.id, **node.attrs)
            assert made.attrs == node.attrs
            ATTRS_MODELS[NodeKind.COMMIT].model_validate(node.attrs)


def test_commit_attrs_match_node_make() -> None:
    rec = gitscan.CommitRecord("a" * 40, ("b" * 40,), "A", "a@x", "2026-01-01T00:00:00Z", "C",
                               "c@x", "", "msg", True)
    attrs = commit_attrs(rec, "repository:x/y", ["refs/heads/main"], {"submodule:lib": "c" * 40})
    made = Node.make(NodeKind.COMMIT, "commit:" + "a" * 40, **attrs)
    assert made.attrs == attrs


def test_fast_constructors_equal_pydantic_construct() -> None:
    from connectors.harvesters.git import fast_edge, fast_node
    from lineage.model import Edge, EdgeKind

    attrs = {"sha": "a" * 40, "signed": False}
    n = fast_node(NodeKind.COMMIT, "commit:" + "a" * 40, attrs)
    m = Node.model_construct(kind=NodeKind.COMMIT, id="commit:" + "a" * 40, attrs=attrs)
    assert n == m and n.model_dump() == m.model_dump() and isinstance(n, Node)
    assert n.__pydantic_fields_set__ == m.__pydantic_fields_set__
    e = fast_edge(EdgeKind.PARENT, "commit:a", "commit:b")
    f = Edge.model_construct(kind=EdgeKind.PARENT, source="commit:a", target="commit:b", attrs={})
    assert e == f and e.key == f.key and e.model_dump() == f.model_dump()
    assert e.model_copy(update={"target": "commit:c"}).target == "commit:c"


def test_remote_identity_strips_credentials(git_repo: GitRepo) -> None:
    git_repo.git("remote", "add", "upstream", "https://u:secret@Example.com/Org/Other.git")
    git_repo.git("remote", "add", "origin", "https://bob:tok3n@GitHub.com/Org/Repo.git")
    git_repo.commit("one")
    _harvest(git_repo)
    with _store(git_repo) as store:
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
        assert repo.id == "repository:github.com/Org/Repo"
        assert repo.attrs["url"] == "https://github.com/Org/Repo.git"
        commit = next(store.iter_nodes(NodeKind.COMMIT))
        assert commit.attrs["repository"] == repo.id
    db = (git_repo.path / ".lineage" / "lineage.db").read_bytes()
    assert b"tok3n" not in db and b"secret" not in db


def test_reharvest_runs_no_git_log_and_writes_nothing(git_repo: GitRepo, monkeypatch) -> None:
    git_repo.commit("one")
    git_repo.commit("two")
    _harvest(git_repo)
    with _store(git_repo) as store:
        head = store.head()
        counts = store.counts()
    calls: list[object] = []
    real = gitscan.run_log
    monkeypatch.setattr(gitscan, "run_log", lambda *a: calls.append(a) or real(*a))
    res = _harvest(git_repo)
    assert calls == []
    assert res.new_events == 0
    with _store(git_repo) as store:
        assert store.head() == head
        assert store.counts() == counts


def test_incremental_new_commits_and_moving_refs(git_repo: GitRepo) -> None:
    c1 = git_repo.commit("one")
    c2 = git_repo.commit("two")
    git_repo.tag("v1", ref=c1)
    _harvest(git_repo)
    c3 = git_repo.commit("three")
    res = _harvest(git_repo)
    stats = res.harvesters[0].stats
    assert stats.nodes_new == {"commit": 1}
    assert stats.nodes_changed == {"repository": 1}  # main moved: no commit rewritten
    with _store(git_repo) as store:
        assert "refs" not in store.get_node(f"commit:{c3}").attrs
        assert "refs" not in store.get_node(f"commit:{c2}").attrs
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
        assert repo.attrs["properties"] == {"branch:main": c3}
    # move main back (no new commit) and a tag: only the tag's commits change, no git log
    git_repo.git("branch", "old", c1)
    git_repo.git("reset", "-q", "--hard", c2)
    git_repo.git("tag", "-f", "v1", c2)
    res = _harvest(git_repo)
    assert res.harvesters[0].stats.nodes_new == {}
    assert res.harvesters[0].stats.nodes_changed == {"commit": 2, "repository": 1}
    with _store(git_repo) as store:
        assert store.get_node(f"commit:{c2}").attrs["refs"] == ["refs/tags/v1"]
        assert store.get_node(f"commit:{c1}").attrs["refs"] == []
        assert "refs" not in store.get_node(f"commit:{c3}").attrs
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
        assert repo.attrs["properties"] == {"branch:main": c2, "branch:old": c1}
        assert store.verify().ok


def test_vanished_previous_tip_is_tolerated(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    git_repo.git("checkout", "-q", "-b", "tmp")
    git_repo.commit("dangling")
    git_repo.git("checkout", "-q", "main")
    _harvest(git_repo)
    git_repo.git("branch", "-q", "-D", "tmp")
    git_repo.git("reflog", "expire", "--expire=now", "--all")
    git_repo.git("gc", "-q", "--prune=now")
    c3 = git_repo.commit("after gc")
    res = _harvest(git_repo)
    assert res.harvesters[0].stats.nodes_new == {"commit": 1}
    with _store(git_repo) as store:
        assert store.has_node(f"commit:{c3}")


def test_detached_head_commit_is_harvested(git_repo: GitRepo) -> None:
    c1 = git_repo.commit("one")
    c2 = git_repo.commit("two")
    git_repo.git("checkout", "-q", "--detach", c1)
    c3 = git_repo.commit("on detached head")
    _harvest(git_repo)
    with _store(git_repo) as store:
        # reachable from HEAD only: harvested; HEAD is the clone's state, not the commit's
        assert store.get_node(f"commit:{c3}").attrs["parents"] == [c1]
        assert "refs" not in store.get_node(f"commit:{c3}").attrs
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
        assert repo.attrs["properties"] == {"branch:main": c2}


def test_non_utf8_messages_and_signatures(git_repo: GitRepo) -> None:
    (git_repo.path / "msg").write_bytes("caf\xe9 latin-1\n".encode("latin-1"))
    git_repo.tick += 1
    git_repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty",
                 "-F", "msg")
    latin = git_repo.git("rev-parse", "HEAD")
    (git_repo.path / "msg").write_bytes(b"broken \xff\xfe bytes\n")
    git_repo.tick += 1
    git_repo.git("commit", "-q", "--allow-empty", "-F", "msg")
    broken = git_repo.git("rev-parse", "HEAD")
    tree = git_repo.git("rev-parse", "HEAD^{tree}")
    raw = (f"tree {tree}\nparent {broken}\nauthor S <s@x> 1767225600 +0100\n"
           f"committer S <s@x> 1767225600 +0100\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n"
           " iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n")
    signed = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"],
                            cwd=git_repo.path, input=raw.encode(), capture_output=True,
                            check=True).stdout.decode().strip()
    git_repo.git("update-ref", "refs/heads/main", signed)
    (git_repo.path / "msg").unlink()
    _harvest(git_repo)
    with _store(git_repo) as store:
        assert store.get_node(f"commit:{latin}").attrs["message"] == "café latin-1"
        # invalid UTF-8 with no encoding header: readable text, never a crash
        msg = store.get_node(f"commit:{broken}").attrs["message"]
        assert msg.startswith("broken ") and msg.endswith(" bytes")
        msg.encode("utf-8")
        s = store.get_node(f"commit:{signed}").attrs
        assert s["signed"] is True and s["message"] == "signed"
        assert s["author"]["time"] == "2026-01-01T00:00:00Z"  # epoch is UTC whatever the offset
        assert store.get_node(f"commit:{broken}").attrs["signed"] is False


def test_shallow_clone_warns_and_harvests_what_is_there(git_repo: GitRepo, tmp_path: Path) -> None:
    for i in range(5):
        git_repo.write("f.txt", str(i))
        git_repo.commit(f"c{i}")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{git_repo.path}", str(clone)],
                   check=True)
    api.init(clone)
    res = api.harvest(clone, only=["git"])
    assert any("shallow clone" in str(w) and "--unshallow" in str(w)
               for w in res.report.warnings)
    with api.open_store(clone) as store:
        commits = list(store.iter_nodes(NodeKind.COMMIT))
        assert len(commits) == 2
        boundary = [c for c in commits if "shallow_boundary" in c.attrs.get("properties", {})]
        assert len(boundary) == 1
        # no PARENT edge points at a commit that is not in the clone
        ids = {c.id for c in commits}
        assert all(e.source in ids for e in store.iter_edges("parent"))
        # the origin URL (a local path) names the repository
        repo = next(store.iter_nodes(NodeKind.REPOSITORY))
        assert repo.id.endswith(str(git_repo.path).lstrip("/"))


def test_dvc_changes_paths_merges_and_submodules(git_repo: GitRepo, tmp_path: Path) -> None:
    sub = GitRepo(tmp_path / "sub")
    sub_sha = sub.commit("sub root")
    git_repo.write("data/my data ü.csv.dvc", "outs:\n- md5: 1\n  path: my data ü.csv\n")
    git_repo.write("dvc.lock", "schema: '2.0'\n")
    git_repo.write("notes.txt", "not dvc")
    c1 = git_repo.commit("add data")
    git_repo.tick += 1
    git_repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q",
                 str(sub.path), "vendor/lib")
    c2 = git_repo.commit("add submodule")
    git_repo.git("checkout", "-q", "-b", "side")
    git_repo.write("dvc.lock", "schema: '2.0'\nstages: {}\n")
    side = git_repo.commit("side lock")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("dvc.yaml", "stages: {}\n")
    git_repo.commit("main yaml")
    git_repo.tick += 1
    git_repo.git("merge", "-q", "--no-edit", "side")
    merge = git_repo.git("rev-parse", "HEAD")
    git_repo.git("rm", "-q", "data/my data ü.csv.dvc")
    gone = git_repo.commit("remove data")
    s = gitscan.scan(_ctx(git_repo.path), None)
    by = [(c.commit, c.path, c.blob is not None) for c in s.changes]
    assert (c1, "data/my data ü.csv.dvc", True) in by
    assert (c1, "dvc.lock", True) in by
    assert all(p != "notes.txt" for _, p, _ in by)
    assert (side, "dvc.lock", True) in by
    # the merge brings the side branch's lock into main: reported against the first parent
    assert (merge, "dvc.lock", True) in by
    assert (gone, "data/my data ü.csv.dvc", False) in by
    assert [(x.commit, x.path, x.sha) for x in s.submodules] == [(c2, "vendor/lib", sub_sha)]
    order = [c.sha for c in s.commits]
    assert order.index(c1) < order.index(c2) < order.index(merge)
    blobs = gitscan.cat_blobs(git_repo.path, [c.blob for c in s.changes if c.blob])
    assert blobs[next(c.blob for c in s.changes if c.commit == side)] == \
        b"schema: '2.0'\nstages: {}\n"
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git"])
    with _store(git_repo) as store:
        props = store.get_node(f"commit:{c2}").attrs["properties"]
        assert props == {"submodule:vendor/lib": sub_sha}


def test_streaming_parser_equals_whole_parse(git_repo: GitRepo) -> None:
    # a file literally named like a commit header must not split the stream
    git_repo.write("commit " + "a" * 40, "x")
    git_repo.write("dvc.lock", "1")
    git_repo.commit("odd names\n\n    indented line\n")
    git_repo.write("sub/x.dvc", "2")
    git_repo.git("add", "-A")
    git_repo.git("commit", "-q", "--allow-empty-message", "-m", "")
    git_repo.commit("empty")
    data = subprocess.run(["git", *gitscan._LOG_ARGS], cwd=git_repo.path, input=b"HEAD\n",
                          capture_output=True, check=True).stdout
    whole = gitscan.parse_log(data)
    assert [c.message for c in whole[0]] == ["odd names\n\n    indented line", "", "empty"]
    for size in (1, 7, 64, len(data)):
        p = gitscan.LogParser()
        for i in range(0, len(data), size):
            p.feed(data[i : i + size])
        assert p.finish() == whole


def test_one_git_log_for_all_harvesters_of_a_run(git_repo: GitRepo, monkeypatch) -> None:
    git_repo.commit("one")
    calls: list[object] = []
    real = gitscan.run_log
    monkeypatch.setattr(gitscan, "run_log", lambda *a: calls.append(a) or real(*a))
    ctx = _ctx(git_repo.path)
    a = gitscan.scan(ctx, None)
    b = gitscan.scan(ctx, None)
    assert a is b and len(calls) == 1
    assert gitscan.refs_watermark(a.refs) == gitscan.refs_watermark(dict(reversed(a.refs.items())))


def test_empty_repository_then_remote_added(git_repo: GitRepo) -> None:
    res = _harvest(git_repo)
    assert res.harvesters[0].stats.total == 0 and not res.report.warnings
    c1 = git_repo.commit("one")
    _harvest(git_repo)
    git_repo.git("remote", "add", "origin", "git@github.com:Org/Repo.git")
    res = _harvest(git_repo)
    assert any("identity changed" in str(w) for w in res.report.warnings)
    with _store(git_repo) as store:
        assert store.get_node(f"commit:{c1}").attrs["repository"] == \
            "repository:github.com/Org/Repo"
    assert _harvest(git_repo).new_events == 0


def test_not_a_repository_error(tmp_path: Path) -> None:
    import pytest

    from lineage.errors import NotARepositoryError

    with pytest.raises(NotARepositoryError):
        api.harvest(tmp_path)


def test_full_harvest_walks_history_once(git_repo: GitRepo, monkeypatch) -> None:
    git_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    git_repo.commit("pipeline")
    git_repo.tag("m@v1.0.0", "reg")
    git_repo.commit("two")
    calls: list[object] = []
    real = gitscan.run_log
    monkeypatch.setattr(gitscan, "run_log", lambda *a: calls.append(a) or real(*a))
    api.init(git_repo.path)
    res = api.harvest(git_repo.path)
    assert "git" in [h.name for h in res.harvesters]
    assert len(calls) == 1
    git_repo.commit("three")
    api.harvest(git_repo.path)
    assert len(calls) == 2  # one incremental pass for every harvester
