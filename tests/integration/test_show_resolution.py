"""`lineage show REF` on real repositories: which node a data path, a model name or a short
sha stands for when several could (ties in time, reverts, branches, semver, MLflow numbers)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind
from tests.conftest import PINNED_ENV, GitRepo

runner = CliRunner()
SAME_SECOND = "2024-01-01T00:00:00+00:00"
A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)


class SameSecondRepo(GitRepo):
    """Every commit and tag made in the same second (what a script or CI job does)."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "GIT_AUTHOR_DATE": SAME_SECOND,
                "GIT_COMMITTER_DATE": SAME_SECOND}


@pytest.fixture
def repo(tmp_path: Path) -> SameSecondRepo:
    r = SameSecondRepo(tmp_path / "repo")
    api.init(r.path)
    return r


def _daily_repo(tmp_path: Path) -> GitRepo:
    """A repository whose commits and tags are an hour apart (conftest's pinned dates)."""
    r = GitRepo(tmp_path / "repo")
    api.init(r.path)
    return r


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _show(repo: GitRepo, ref: str) -> str:
    """Harvest, then the node id `lineage show REF --json` resolves to."""
    code, out = _run("harvest", "--repo", str(repo.path))
    assert code == 0, out
    res = runner.invoke(app, ["show", ref, "--repo", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    node: str = json.loads(res.stdout)["node"]
    return node


def _dvc(repo: GitRepo, md5: str, message: str | None = None, path: str = "d.csv") -> str:
    repo.write(f"{path}.dvc", f"outs:\n- md5: {md5}\n  size: 3\n  path: {Path(path).name}\n")
    return repo.commit(message or f"data {md5[:4]}")


def _hash(node_id: str) -> str:
    return node_id.rsplit("@md5:", 1)[1]


# -- data paths ---------------------------------------------------------------------------

@pytest.mark.parametrize("first, then", [(B, A), (A, B)])
def test_data_path_is_the_version_at_head_when_times_tie(repo: GitRepo, first: str,
                                                          then: str) -> None:
    _dvc(repo, first)
    _dvc(repo, then)
    assert _hash(_show(repo, "d.csv")) == then
    code, tree = _run("show", "d.csv", "--repo", str(repo.path))
    assert code == 0 and f"md5:{then[:16]}" in tree


def test_data_path_follows_a_revert(repo: GitRepo) -> None:
    _dvc(repo, A)
    _dvc(repo, B)
    _dvc(repo, A, "revert data")  # the same content again: one node, first seen at commit 1
    assert _hash(_show(repo, "d.csv")) == A


def test_data_path_at_an_older_checkout(repo: GitRepo) -> None:
    first = _dvc(repo, A)
    _dvc(repo, B)
    repo.git("checkout", "-q", first)  # detached HEAD
    assert _hash(_show(repo, "d.csv")) == A
    repo.git("checkout", "-q", "main")
    assert _hash(_show(repo, "d.csv")) == B


def test_data_path_on_another_branch_does_not_win(tmp_path: Path) -> None:
    # the side branch's commit is the newest one, the checkout is on main
    repo = _daily_repo(tmp_path)
    _dvc(repo, A)
    repo.git("checkout", "-q", "-b", "side")
    repo.tick = 20
    _dvc(repo, C, "side data")
    repo.git("checkout", "-q", "main")
    repo.tick = 1  # main's next commit is older than the side branch's
    _dvc(repo, B)
    assert _hash(_show(repo, "d.csv")) == B


def test_data_path_removed_at_head_is_its_latest_version_in_history(repo: GitRepo) -> None:
    _dvc(repo, B)
    _dvc(repo, A)
    repo.git("rm", "-q", "d.csv.dvc")
    repo.commit("stop tracking d.csv")
    assert _hash(_show(repo, "d.csv")) == A


def test_uncommitted_dvc_change_falls_back_to_heads_history(repo: GitRepo) -> None:
    _dvc(repo, B)
    repo.git("checkout", "-q", "-b", "side")
    _dvc(repo, C, "side data")
    repo.git("checkout", "-q", "main")
    _dvc(repo, A)
    # `dvc add` ran again but nothing is committed: the graph has no such version
    repo.write("d.csv.dvc", f"outs:\n- md5: {D}\n  size: 3\n  path: d.csv\n")
    assert _hash(_show(repo, "d.csv")) == A


def test_dvc_lock_output_in_a_subfolder(repo: GitRepo) -> None:
    def lock(md5: str) -> None:
        repo.write("pipe/dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
                   "    outs:\n    - model.pkl\n")
        repo.write("pipe/dvc.lock", "schema: '2.0'\nstages:\n  train:\n"
                   "    cmd: python train.py\n    outs:\n"
                   f"    - path: model.pkl\n      md5: {md5}\n      size: 3\n")
        repo.commit(f"train {md5[:4]}")

    lock(A)
    lock(B)
    lock(A)
    assert _hash(_show(repo, "pipe/model.pkl")) == A


def test_data_path_without_a_work_tree_uses_history_order(repo: GitRepo) -> None:
    _dvc(repo, B)
    _dvc(repo, A)
    _run("harvest", "--repo", str(repo.path))
    graph = api.open_store(repo.path).load_graph()
    assert _hash(api.resolve_ref(graph, "d.csv")) == A


# -- model groups -----------------------------------------------------------------------------

def _gto_latest(repo: GitRepo, name: str) -> str | None:
    import gto.api

    v = gto.api.find_latest_version(str(repo.path), name)
    return v.version if v else None


@pytest.mark.parametrize("tags, latest", [
    (["m@v1.9.0", "m@v1.10.0"], "v1.10.0"),
    (["m@v1.10.0", "m@v1.9.0"], "v1.10.0"),
    (["m@v1.11.0", "m@v1.2.0"], "v1.11.0"),
    (["m@v2.0.0-rc.1", "m@v1.10.0"], "v2.0.0-rc.1"),
    (["m@v2.0.0", "m@v2.0.0-rc.1"], "v2.0.0"),
    (["m@v1.0.0", "m@v1.0.1", "m@v1.0.1!"], "v1.0.0"),  # deregistered
])
def test_model_name_is_the_greatest_semver_as_gto(repo: GitRepo, tags: list[str],
                                                  latest: str) -> None:
    repo.commit("train")
    for t in tags:
        repo.tag(t, f"tag {t}")
    assert _show(repo, "m") == f"model:m@{latest}"
    assert _gto_latest(repo, "m") == latest


def test_model_name_is_the_greatest_semver_across_days(tmp_path: Path) -> None:
    repo = _daily_repo(tmp_path)
    repo.commit("train")
    repo.tag("m@v1.11.0", "first")
    repo.commit("retrain an old line")
    repo.tag("m@v1.2.0", "a day later")
    assert _show(repo, "m") == "model:m@v1.11.0"
    assert _gto_latest(repo, "m") == "v1.11.0"


def test_stage_without_registration_is_not_latest(tmp_path: Path) -> None:
    repo = _daily_repo(tmp_path)
    repo.commit("train")
    repo.tag("m@v1.0.0", "register")
    repo.commit("retrain")
    repo.tag("m#prod", "promote a commit no version was registered at")
    assert _show(repo, "m") == "model:m@v1.0.0"
    assert _gto_latest(repo, "m") == "v1.0.0"


def test_deprecated_model_still_has_a_latest_version(repo: GitRepo) -> None:
    repo.commit("train")
    repo.tag("m@v1.0.0", "register")
    repo.tag("m@v1.1.0", "register")
    repo.tag("m@deprecated", "retire the model")
    assert _show(repo, "m") == "model:m@v1.1.0"
    assert _gto_latest(repo, "m") == "v1.1.0"


def test_every_version_deregistered_shows_the_group(repo: GitRepo) -> None:
    repo.commit("train")
    repo.tag("m@v1.0.0", "register")
    repo.tag("m@v1.0.0!", "deregister")
    assert _show(repo, "m") == "model_group:m"
    assert _gto_latest(repo, "m") is None


def test_mlflow_versions_compare_as_numbers(repo: GitRepo,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = repo.path / "mlflow.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "mlflow" / "mlflow.db", db)
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(model_versions)")]
    row = dict(zip(cols, conn.execute(
        "SELECT * FROM model_versions WHERE name = 'churn-model' AND version = 2").fetchone(),
        strict=True))
    for version in (9, 10):  # registered in the same millisecond
        row["version"] = version
        conn.execute(f"INSERT INTO model_versions ({', '.join(cols)}) VALUES "
                     f"({', '.join('?' * len(cols))})", [row[c] for c in cols])
    conn.commit()
    conn.close()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    repo.commit("train")
    assert _show(repo, "churn-model") == "model:churn-model@10"


def _group(versions: list[tuple[str, str | None]]) -> LineageGraph:
    g = LineageGraph()
    g.add_node(Node.make(NodeKind.MODEL_GROUP, "model_group:m", name="m"))
    for version, created in versions:
        mid = f"model:m@{version}"
        g.add_node(Node.make(NodeKind.MODEL, mid, group="m", version=version,
                             created_at=created))
        g.add_edge(Edge.make(EdgeKind.VERSION_OF, mid, "model_group:m"))
    return g


def test_mixed_spellings_fall_back_to_creation_time_then_natural_order() -> None:
    # a GTO semver next to an MLflow number: no common scale, the newest registration wins
    g = _group([("v1.0.0", "2024-01-02T00:00:00Z"), ("3", "2024-01-01T00:00:00Z")])
    assert api.resolve_ref(g, "m") == "model:m@v1.0.0"
    g = _group([("v1.0.0", "2024-01-01T00:00:00Z"), ("3", "2024-01-02T00:00:00Z")])
    assert api.resolve_ref(g, "m") == "model:m@3"
    # same time: digits compare as numbers
    g = _group([("build-9", SAME_SECOND), ("build-10", SAME_SECOND), ("1.0", SAME_SECOND)])
    assert api.resolve_ref(g, "m") == "model:m@build-10"


def test_semver_without_v_and_build_metadata() -> None:
    g = _group([("1.10.0", None), ("1.9.0", None), ("1.10.0-beta.2", None),
                ("1.10.0-beta.11", None)])
    assert api.resolve_ref(g, "m") == "model:m@1.10.0"
    g = _group([("1.10.0-beta.2", None), ("1.10.0-beta.11", None), ("1.10.0-alpha", None)])
    assert api.resolve_ref(g, "m") == "model:m@1.10.0-beta.11"


# -- short shas -------------------------------------------------------------------------------

def _colliding_messages(prefix_len: int = 4) -> tuple[str, str, str]:
    """Two commit messages whose root commits (empty tree, SAME_SECOND) share a sha prefix."""
    ident = "1704067200 +0000"
    seen: dict[str, str] = {}
    for i in range(1_000_000):
        msg = f"experiment {i} [ci skip]" if i % 2 else f"experiment {i}"
        body = (f"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                f"author {PINNED_ENV['GIT_AUTHOR_NAME']} <{PINNED_ENV['GIT_AUTHOR_EMAIL']}> "
                f"{ident}\ncommitter {PINNED_ENV['GIT_COMMITTER_NAME']} "
                f"<{PINNED_ENV['GIT_COMMITTER_EMAIL']}> {ident}\n\n{msg}\n").encode()
        sha = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        if sha[:prefix_len] in seen:
            return sha[:prefix_len], seen[sha[:prefix_len]], msg
        seen[sha[:prefix_len]] = msg
    raise AssertionError("no collision")


def test_ambiguous_short_sha_lists_the_candidates(repo: GitRepo) -> None:
    prefix, one, two = _colliding_messages()
    shas = []
    for i, msg in enumerate((one, two)):
        sha = subprocess.run(["git", "commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
                              "-m", msg], cwd=repo.path, env=repo.env(), check=True,
                             capture_output=True, text=True).stdout.strip()
        assert sha.startswith(prefix)
        repo.git("branch", f"b{i}", sha)
        shas.append(sha)
    _run("harvest", "--repo", str(repo.path))
    code, out = _run("show", prefix, "--repo", str(repo.path))
    assert code == 2, out
    assert f"short sha '{prefix}' is ambiguous" in out
    assert "nothing in the lineage graph matches" not in out
    for sha, msg in zip(shas, (one, two), strict=True):
        assert f"{sha[:12]}  {msg}" in out  # [ci skip] printed as written, not as markup
    # git says the same; a longer prefix resolves
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", prefix], cwd=repo.path,
                          capture_output=True).returncode != 0
    for sha in shas:
        assert _show(repo, sha[:10]) == f"commit:{sha}"
    with pytest.raises(api.AmbiguousRefError) as err:
        api.resolve_ref(api.open_store(repo.path).load_graph(), prefix.upper())
    assert [c[0] for c in err.value.candidates] == sorted(shas)


def test_short_sha_still_resolves_and_unknown_ref_says_so(repo: GitRepo) -> None:
    sha = repo.commit("only commit")
    assert _show(repo, sha[:4]) == f"commit:{sha}"
    code, out = _run("show", "ffff" if not sha.startswith("ffff") else "eeee",
                     "--repo", str(repo.path))
    assert code == 2 and "nothing in the lineage graph matches" in out
