"""DVC harvester on real git + DVC repositories built in tmp dirs with pinned identities.

One template repository is built per session with the real ``dvc`` CLI (``dvc init``,
``dvc add``, ``dvc stage add``-style dvc.yaml + ``dvc repro``, foreach + matrix stages, an
``artifacts:`` section, a data change, a corrupt dvc.lock commit, GTO tags) and copied per test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage import api
from lineage.ids import data_id
from lineage.model import EdgeKind, NodeKind
from tests.conftest import GitRepo

pytest.importorskip("dvc")

DVC_YAML = """\
stages:
  prepare:
    cmd: cp "data/raw.csv" "data/prepared data.csv"
    deps:
    - data/raw.csv
    params:
    - prepare.split
    outs:
    - data/prepared data.csv
  train:
    cmd:
    - cat "data/prepared data.csv" > model.pkl
    - printf '{"acc":0.9}' > metrics.json
    deps:
    - data/prepared data.csv
    - data/imgs
    params:
    - train
    outs:
    - model.pkl
    metrics:
    - metrics.json:
        cache: false
  per_region:
    foreach:
    - us
    - eu
    do:
      cmd: echo ${item} > out_${item}.txt
      outs:
      - out_${item}.txt
  grid:
    matrix:
      m: [a, b]
    cmd: echo ${item.m} > grid_${item.m}.txt
    outs:
    - grid_${item.m}.txt
artifacts:
  churn:
    path: model.pkl
    type: model
    desc: Churn classifier
    labels:
    - tabular
    meta:
      owner: ada
"""


def dvc(repo: GitRepo, *args: str) -> str:
    return repo.run(sys.executable, "-m", "dvc", *args)


@dataclass
class Template:
    path: Path
    c_raw: str
    c_pipeline: str
    c_newdata: str
    c_corrupt: str
    c_fixed: str
    tick: int


@pytest.fixture(scope="session")
def dvc_template(tmp_path_factory: pytest.TempPathFactory) -> Template:

    from tests.conftest import pinned_env

    with pinned_env():
        repo = GitRepo(tmp_path_factory.mktemp("dvc-template") / "repo")
        dvc(repo, "init", "-q")
        dvc(repo, "config", "core.autostage", "true")
        repo.write("data/raw.csv", "id,label\n1,0\n2,1\n")
        repo.write("data/imgs/1.txt", "one\n")
        repo.write("data/imgs/2.txt", "two\n")
        dvc(repo, "add", "-q", "data/raw.csv", "data/imgs")
        repo.write("params.yaml", "prepare:\n  split: 0.2\ntrain:\n  n_est: 50\n  opt:\n"
                   "    name: adam\n    betas: [0.9, 0.99]\n")
        c_raw = repo.commit("add raw data")
        repo.write("dvc.yaml", DVC_YAML)
        dvc(repo, "repro", "-q")
        c_pipeline = repo.commit("pipeline")
        repo.tag("churn@v1.0.0", "register churn v1")
        repo.write("data/raw.csv", "id,label\n1,0\n2,1\n3,1\n")
        dvc(repo, "add", "-q", "data/raw.csv")
        dvc(repo, "repro", "-q")
        c_newdata = repo.commit("more data")
        repo.tag("churn@v2.0.0", "register churn v2")
        good = (repo.path / "dvc.lock").read_text()
        lines = good.splitlines(keepends=True)
        (repo.path / "dvc.lock").write_text("".join(lines[:6]) + "    - path: [broken\n"
                                            + "".join(lines[6:]))
        c_corrupt = repo.commit("corrupt lock")
        (repo.path / "dvc.lock").write_text(good)
        c_fixed = repo.commit("fix lock")
        return Template(repo.path, c_raw, c_pipeline, c_newdata, c_corrupt, c_fixed, repo.tick)


@pytest.fixture
def dvc_repo(dvc_template: Template, tmp_path: Path) -> tuple[GitRepo, Template]:
    dst = tmp_path / "repo"
    shutil.copytree(dvc_template.path, dst, symlinks=True)
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.tick = dst, dvc_template.tick
    return repo, dvc_template


def harvest(path: Path) -> api.HarvestResult:
    if not (path / ".lineage").exists():
        api.init(path)
    return api.harvest(path, only=["git", "dvc", "gto"])


def graph(path: Path):  # noqa: ANN201
    store = api.open_store(path)
    try:
        return store.load_graph()
    finally:
        store.close()


def nodes(path: Path, kind: NodeKind) -> dict[str, dict]:
    store = api.open_store(path)
    try:
        return {n.id: n.attrs for n in store.iter_nodes(kind)}
    finally:
        store.close()


def edges(path: Path, kind: EdgeKind) -> set[tuple[str, str]]:
    store = api.open_store(path)
    try:
        return {(e.source, e.target) for e in store.iter_edges(kind)}
    finally:
        store.close()


def test_real_dvc_repo_harvest(dvc_repo: tuple[GitRepo, Template]) -> None:
    repo, t = dvc_repo
    res = harvest(repo.path)
    data = nodes(repo.path, NodeKind.DATA)
    stages = nodes(repo.path, NodeKind.STAGE)
    by_path: dict[str, list[dict]] = {}
    for a in data.values():
        by_path.setdefault(a["path"], []).append(a)

    # raw data: two versions (the data changed), each defined at its first commit
    raw = sorted(by_path["data/raw.csv"], key=lambda a: a["first_commit"] != t.c_raw)
    assert [a["first_commit"] for a in raw] == [t.c_raw, t.c_newdata]
    assert raw[0]["hash"] != raw[1]["hash"] and raw[0]["hash"].startswith("md5:")
    assert raw[0]["hash_kind"] == "md5" and raw[0]["size"] == len("id,label\n1,0\n2,1\n")
    # a directory: .dir hash, nfiles, is_dir; unchanged, so one node for all commits
    (imgs,) = by_path["data/imgs"]
    assert imgs["hash"].endswith(".dir") and imgs["nfiles"] == 2 and imgs["is_dir"] is True
    assert imgs["first_commit"] == t.c_raw
    # a path with a space resolved from the repo root
    assert len(by_path["data/prepared data.csv"]) == 2

    # stages: prepare/train at two commits (their lock entries changed), foreach/matrix once
    names = sorted(a["name"] for a in stages.values())
    assert names == sorted(["prepare", "prepare", "train", "train", "per_region@us",
                            "per_region@eu", "grid@a", "grid@b"])
    us = next(a for a in stages.values() if a["name"] == "per_region@us")
    assert us["foreach_key"] == "us" and us["commit"] == t.c_pipeline
    assert us["cmd"] == "echo us > out_us.txt" and us["dvc_yaml"] == "dvc.yaml"
    train = [a for a in stages.values() if a["name"] == "train"]
    assert {a["commit"] for a in train} == {t.c_pipeline, t.c_newdata}
    assert train[0]["cmd"][0] == 'cat "data/prepared data.csv" > model.pkl'
    assert train[0]["params"]["params.yaml"]["train"]["opt"]["betas"] == [0.9, 0.99]
    assert "metrics.json" in train[0]["outs"] and "data/imgs" in train[0]["deps"]

    # edges: INPUT data → stage, OUTPUT stage → data, DEFINES commit → first appearance
    sid = next(k for k, a in stages.items() if a["name"] == "prepare"
               and a["commit"] == t.c_newdata)
    raw2 = data_id(_repo_id(repo.path), "data/raw.csv",
                   raw[1]["hash"])
    assert (raw2, sid) in edges(repo.path, EdgeKind.INPUT)
    outs = {d for s, d in edges(repo.path, EdgeKind.OUTPUT) if s == sid}
    assert {data[d]["path"] for d in outs} == {"data/prepared data.csv"}
    defines = edges(repo.path, EdgeKind.DEFINES)
    assert (f"commit:{t.c_newdata}", raw2) in defines
    assert (f"commit:{t.c_newdata}", sid) in defines
    assert not any(s == f"commit:{t.c_fixed}" for s, _ in defines)  # nothing new there
    assert (f"commit:{t.c_raw}", imgs_id(data)) in defines

    # artifacts: → model group with its path; GTO versions → the model.pkl version at the tag
    (group,) = [a for a in nodes(repo.path, NodeKind.MODEL_GROUP).values()
                if a["name"] == "churn"]
    assert group["path"] == "model.pkl" and group["type"] == "model"
    assert group["labels"] == ["tabular"] and group["properties"]["owner"] == "ada"
    art = edges(repo.path, EdgeKind.ARTIFACT)
    models = nodes(repo.path, NodeKind.MODEL)
    pkl = {a["first_commit"]: k for k, a in data.items() if a["path"] == "model.pkl"}
    assert (pkl[t.c_pipeline], "model:churn@v1.0.0") in art
    assert (pkl[t.c_newdata], "model:churn@v2.0.0") in art
    assert models["model:churn@v2.0.0"]["artifact_hash"] == data[pkl[t.c_newdata]]["hash"]
    assert models["model:churn@v2.0.0"]["registry"] == "gto"  # GTO's node, same id

    # the corrupt lock: one warning naming commit, file and line; the rest was harvested
    warns = [w for w in res.report.warnings if w.source == "dvc"]
    assert len(warns) == 1, warns
    w = warns[0]
    # the broken flow sequence opens on line 7; YAML notices on line 8, and says both
    assert w.commit == t.c_corrupt and w.file == "dvc.lock" and w.line == 8
    assert "not valid YAML" in w.message and "(line 7)" in w.message


def imgs_id(data: dict[str, dict]) -> str:
    return next(k for k, a in data.items() if a["path"] == "data/imgs")


def _repo_id(path: Path) -> str:
    (rid,) = nodes(path, NodeKind.REPOSITORY)
    return rid


def test_reharvest_is_idempotent_and_parses_nothing(dvc_repo: tuple[GitRepo, Template],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo, t = dvc_repo
    harvest(repo.path)
    counts = api.open_store(repo.path).counts()
    import connectors.harvesters.dvc as dvcmod

    calls: list[str] = []
    real = dvcmod.parse_blob
    monkeypatch.setattr(dvcmod, "parse_blob", lambda k, d: calls.append(k) or real(k, d))
    again = harvest(repo.path)
    assert again.new_events == 0 and calls == []
    assert api.open_store(repo.path).counts() == counts
    # a new commit re-using known blobs: cached summaries, no parse, no new nodes
    repo.git("checkout", "-q", t.c_pipeline, "--", "dvc.lock", "data/raw.csv.dvc")
    repo.commit("revert to the first data")
    third = harvest(repo.path)
    assert calls == []
    dvc_stats = next(h for h in third.harvesters if h.name == "dvc").stats
    assert dvc_stats.nodes_new == {}


def test_hashes_match_dvc_own_api(dvc_repo: tuple[GitRepo, Template]) -> None:
    """Every output DVC itself sees at HEAD is a data node with the same md5."""
    from dvc.repo import Repo

    repo, _ = dvc_repo
    harvest(repo.path)
    rid = _repo_id(repo.path)
    data = nodes(repo.path, NodeKind.DATA)
    with Repo(str(repo.path)) as r:
        outs = [(o.fs_path, o.hash_info.value) for s in r.index.stages for o in s.outs]
    assert len(outs) >= 8
    for fs_path, md5 in outs:
        rel = Path(fs_path).relative_to(repo.path).as_posix()
        assert data_id(rid, rel, f"md5:{md5}") in data, (rel, md5)


# -- historic formats, hand-written and committed with git ---------------------------------------

LOCK_1X = """\
prepare:
  cmd: python prepare.py
  deps:
  - path: data/raw.csv
    md5: 1a2b3c4d5e6f708192a3b4c5d6e7f809
  - path: prepare.py
    md5: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
  outs:
  - path: data/prepared
    md5: aaaabbbbccccddddeeeeffff00001111.dir
"""

LOCK_2X = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      md5: 1a2b3c4d5e6f708192a3b4c5d6e7f809
      size: 12
    outs:
    - path: data/prepared
      md5: aaaabbbbccccddddeeeeffff00001111.dir
      size: 40
      nfiles: 3
"""

DVC_0X = """\
md5: 9c1185a5c5e9fc54612808977ee8f548
cmd: python train.py
wdir: .
deps:
- md5: aaaabbbbccccddddeeeeffff00001111.dir
  path: ../data/prepared
- md5: 3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e
  path: train.py
outs:
- md5: deadbeefdeadbeefdeadbeefdeadbeef
  path: model.pkl
  cache: true
  metric: false
  persist: false
"""

IMPORT_DVC = """\
md5: 11112222333344445555666677778888
frozen: true
deps:
- path: datasets/ünïcode set.csv
  repo:
    url: https://github.com/example/registry
    rev: main
    rev_lock: 0123456789abcdef0123456789abcdef01234567
outs:
- md5: cafebabecafebabecafebabecafebabe
  size: 99
  hash: md5
  path: "ünïcode set.csv"
  remote: storage
"""


@pytest.fixture
def historic(git_repo: GitRepo) -> GitRepo:
    git_repo.write(".dvc/config", "")
    git_repo.write("dvc.yaml", "stages:\n  prepare:\n    cmd: python prepare.py\n")
    git_repo.write("dvc.lock", LOCK_1X)
    git_repo.commit("dvc 1.x lock")
    git_repo.write("dvc.lock", LOCK_2X)
    git_repo.commit("dvc 2.x lock")
    git_repo.write("models/train.dvc", DVC_0X)
    git_repo.write("data/ünïcode set.csv.dvc", IMPORT_DVC)
    git_repo.commit("0.x stage file and an import")
    big = ["schema: '2.0'", "stages:", "  big:", "    cmd: python big.py", "    deps:"]
    for i in range(3000):
        big += [f"    - path: shards/part {i:05d}.csv", "      hash: md5",
                f"      md5: {i:08x}aaaabbbbccccddddeeeeffff", "      size: 10"]
    big += ["    outs:", "    - path: merged.csv", "      hash: md5",
            "      md5: 00000000aaaabbbbccccddddeeeeffff", "      size: 30000"]
    git_repo.write("big/dvc.lock", "\n".join(big) + "\n")
    git_repo.write("bad.dvc", "outs:\n- md5: abc\n  path: x\n -: [\n")
    git_repo.commit("a very large stage and a corrupt .dvc")
    return git_repo


def test_historic_formats(historic: GitRepo) -> None:
    res = harvest(historic.path)
    data = nodes(historic.path, NodeKind.DATA)
    stages = nodes(historic.path, NodeKind.STAGE)
    by_path: dict[str, list[dict]] = {}
    for a in data.values():
        by_path.setdefault(a["path"], []).append(a)
    # 1.x and 2.x lock entries hash the same data: one node, first commit = the 1.x one
    (raw,) = by_path["data/raw.csv"]
    first = historic.git("rev-list", "--max-parents=0", "HEAD")
    assert raw["first_commit"] == first and raw["hash_kind"] == "md5-dos2unix"
    (prepared,) = by_path["data/prepared"]
    assert prepared["hash"] == "md5:aaaabbbbccccddddeeeeffff00001111.dir"
    assert prepared["is_dir"] is True
    assert len([a for a in stages.values() if a["name"] == "prepare"]) == 2  # 1.x and 2.x
    # DVC 0.x stage file: a stage named after the file, paths resolved from its folder
    (old,) = [a for a in stages.values() if a["name"] == "train.dvc"]
    assert old["dvc_yaml"] == "models/train.dvc" and old["cmd"] == "python train.py"
    assert set(old["deps"]) == {"data/prepared", "models/train.py"}
    assert old["outs"] == ["models/model.pkl"]
    assert (f"data:{_repo_id(historic.path).removeprefix('repository:')}:data/prepared@"
            f"{prepared['hash']}", next(k for k, a in stages.items()
                                        if a["name"] == "train.dvc")
            ) in edges(historic.path, EdgeKind.INPUT)
    # dvc import: source repository recorded; non-ASCII path with a space
    (imp,) = by_path["data/ünïcode set.csv"]
    assert imp["import_url"] == "https://github.com/example/registry"
    assert imp["import_rev"] == "main"
    assert imp["import_rev_lock"] == "0123456789abcdef0123456789abcdef01234567"
    assert imp["remote"] == "storage" and imp["hash_kind"] == "md5"
    # a very large stage
    (big,) = [a for a in stages.values() if a["name"] == "big"]
    assert len(big["deps"]) == 3000 and big["deps"][7] == "big/shards/part 00007.csv"
    assert len([p for p in by_path if p.startswith("big/shards/")]) == 3000
    # the corrupt .dvc: a warning with commit, file and line
    (w,) = [w for w in res.report.warnings if w.source == "dvc"]
    assert w.file == "bad.dvc" and w.line == 4
    assert w.commit == historic.git("rev-parse", "HEAD")


def test_same_hash_at_two_commits_is_one_node(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    out = "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 5\n  hash: md5\n  path: d.csv\n"
    git_repo.write("data/d.csv.dvc", out)
    c1 = git_repo.commit("add")
    git_repo.write("data/d.csv.dvc", out.replace("0123", "9999", 1))
    git_repo.commit("change")
    git_repo.write("data/d.csv.dvc", out)
    git_repo.commit("back to the first version")
    harvest(git_repo.path)
    data = nodes(git_repo.path, NodeKind.DATA)
    assert len(data) == 2
    (first,) = [a for a in data.values() if a["hash"].startswith("md5:0123")]
    assert first["first_commit"] == c1


def test_corrupt_lock_at_one_commit_is_not_fatal_even_on_cli(git_repo: GitRepo) -> None:
    from typer.testing import CliRunner

    from lineage.cli.main import app

    git_repo.write(".dvc/config", "")
    git_repo.write("dvc.lock", "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n"
                   "    - path: o\n      md5: abc: def\n      size: 1\n")
    bad = git_repo.commit("bad")
    git_repo.write("dvc.lock", LOCK_2X)
    git_repo.commit("good")
    api.init(git_repo.path)
    res = CliRunner().invoke(app, ["harvest", "--repo", str(git_repo.path), "--json"])
    assert res.exit_code == 0, res.output
    import json

    out = json.loads(res.stdout)
    (w,) = [w for w in out["warnings"] if w["source"] == "dvc"]
    assert w["commit"] == bad and w["file"] == "dvc.lock" and w["line"] == 7
    assert out["harvesters"]["dvc"]["nodes_new"]["stage"] == 1


def test_repo_without_dvc_writes_nothing(git_repo: GitRepo) -> None:
    git_repo.write("a.txt", "x")
    git_repo.commit("no dvc here")
    res = harvest(git_repo.path)
    (h,) = [h for h in res.harvesters if h.name == "dvc"]
    assert h.stats.total == 0 and h.event_seq is None


def test_artifact_in_subfolder_is_named_like_gto(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    git_repo.write("models/churn/dvc.yaml", "artifacts:\n  clf:\n    path: out/m.pkl\n"
                   "    type: model\n")
    git_repo.write("models/churn/out/m.pkl.dvc",
                   "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: m.pkl\n")
    c = git_repo.commit("declare")
    git_repo.tag("models/churn=clf@v0.1.0", "register")
    harvest(git_repo.path)
    groups = nodes(git_repo.path, NodeKind.MODEL_GROUP)
    assert groups["model_group:models/churn:clf"]["path"] == "models/churn/out/m.pkl"
    art = edges(git_repo.path, EdgeKind.ARTIFACT)
    (src, dst), = art
    assert dst == "model:models/churn:clf@v0.1.0"
    assert nodes(git_repo.path, NodeKind.DATA)[src]["first_commit"] == c


def test_harvest_by_subprocess_cli_never_tracebacks(historic: GitRepo) -> None:
    api.init(historic.path)
    proc = subprocess.run([sys.executable, "-m", "lineage", "harvest", "--repo",
                           str(historic.path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "bad.dvc" in proc.stdout + proc.stderr


def test_frozen_and_wdir_from_dvc_yaml_also_on_incremental_harvest(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    git_repo.write("pipe/dvc.yaml", "stages:\n  fit:\n    wdir: ../work\n    frozen: true\n"
                   "    cmd: python fit.py\n    outs:\n    - out.bin\n")

    def lock(md5: str) -> str:
        return ("schema: '2.0'\nstages:\n  fit:\n    cmd: python fit.py\n    outs:\n"
                f"    - path: out.bin\n      hash: md5\n      md5: {md5}\n      size: 3\n")

    git_repo.write("pipe/dvc.lock", lock("0123456789abcdef0123456789abcdef"))
    git_repo.commit("pipeline and lock in one commit")
    harvest(git_repo.path)
    git_repo.write("pipe/dvc.lock", lock("fedcba9876543210fedcba9876543210"))
    c2 = git_repo.commit("only the lock moves")
    harvest(git_repo.path)
    stages = nodes(git_repo.path, NodeKind.STAGE)
    assert len(stages) == 2
    assert all(a["frozen"] is True and a["dvc_yaml"] == "pipe/dvc.yaml" for a in stages.values())
    assert {a["outs"][0] for a in stages.values()} == {"work/out.bin"}
    latest = next(a for a in stages.values() if a["commit"] == c2)
    assert latest["name"] == "fit"


def test_model_aliases_apply_to_dvc_artifacts_and_their_join(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    git_repo.write("lineage.yaml", "model_aliases:\n  clf: churn-classifier\n")
    git_repo.write("dvc.yaml", "artifacts:\n  clf:\n    path: m.pkl\n")
    git_repo.write("m.pkl.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: m.pkl\n")
    git_repo.commit("declare")
    git_repo.tag("clf@v1.0.0", "register")
    harvest(git_repo.path)
    assert "model_group:churn-classifier" in nodes(git_repo.path, NodeKind.MODEL_GROUP)
    assert "model_group:clf" not in nodes(git_repo.path, NodeKind.MODEL_GROUP)
    (_, dst), = edges(git_repo.path, EdgeKind.ARTIFACT)
    assert dst == "model:churn-classifier@v1.0.0"


def test_changed_artifact_declaration_keeps_gto_registry(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: a.pkl\n")
    git_repo.commit("declare")
    git_repo.tag("churn@v1.0.0", "register")
    harvest(git_repo.path)
    assert nodes(git_repo.path, NodeKind.MODEL_GROUP)["model_group:churn"]["registry"] == "gto"
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: b.pkl\n    desc: moved\n")
    git_repo.commit("move the artifact")
    harvest(git_repo.path)  # no new tag: GTO has nothing to say this time
    group = nodes(git_repo.path, NodeKind.MODEL_GROUP)["model_group:churn"]
    assert group["registry"] == "gto" and group["path"] == "b.pkl"
    assert group["description"] == "moved"


def test_artifact_produced_by_a_pipeline_in_another_folder(git_repo: GitRepo) -> None:
    git_repo.write(".dvc/config", "")
    git_repo.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/m.pkl\n")
    git_repo.write("pipelines/train/dvc.yaml", "stages:\n  fit:\n    cmd: python fit.py\n"
                   "    outs: [../../models/m.pkl]\n")
    git_repo.write("pipelines/train/dvc.lock",
                   "schema: '2.0'\nstages:\n  fit:\n    cmd: python fit.py\n    outs:\n"
                   "    - path: ../../models/m.pkl\n      hash: md5\n"
                   "      md5: 0123456789abcdef0123456789abcdef\n      size: 3\n")
    git_repo.commit("train elsewhere")
    git_repo.tag("churn@v1.0.0", "register")
    harvest(git_repo.path)
    (src, dst), = edges(git_repo.path, EdgeKind.ARTIFACT)
    assert dst == "model:churn@v1.0.0"
    assert nodes(git_repo.path, NodeKind.DATA)[src]["path"] == "models/m.pkl"


@pytest.mark.parametrize("legacy_watermark", [False, True])
def test_remote_added_later_rekeys_the_dvc_facts(dvc_repo: tuple[GitRepo, Template],
                                                 legacy_watermark: bool) -> None:
    """A remote added after a first harvest changes the repository id that data and stage ids
    embed: the DVC facts of the whole history are harvested again under it, the GTO versions'
    artifact edges point at nodes that exist, and the next harvest writes nothing."""
    import sqlite3

    repo, _ = dvc_repo
    harvest(repo.path)
    old = _repo_id(repo.path)
    assert old.startswith("repository:root:")
    old_keys = {(a["path"], a.get("hash")) for a in nodes(repo.path, NodeKind.DATA).values()}
    if legacy_watermark:  # a store whose DVC watermark predates the recorded repository id
        db = repo.path / ".lineage" / "lineage.db"
        with sqlite3.connect(db) as conn:
            (wm,) = conn.execute("SELECT value FROM watermarks WHERE harvester='dvc' "
                                 "AND scope='refs'").fetchone()
            conn.execute("UPDATE watermarks SET value=? WHERE harvester='dvc' AND scope='refs'",
                         (json.dumps(json.loads(wm)["refs"]),))
    repo.git("remote", "add", "origin", "https://u:tok@GitHub.com/Org/Churn.git")
    repo.write("data/raw.csv", "id,label\n1,0\n2,1\n3,1\n4,0\n")
    dvc(repo, "add", "-q", "data/raw.csv")
    dvc(repo, "repro", "-q")
    repo.commit("even more data")
    repo.tag("churn@v3.0.0", "register churn v3")
    harvest(repo.path)
    key = "github.com/Org/Churn"
    data = nodes(repo.path, NodeKind.DATA)
    new = {(a["path"], a.get("hash")) for i, a in data.items() if i.startswith(f"data:{key}:")}
    assert old_keys < new  # every version of the history, and the new ones
    stages = nodes(repo.path, NodeKind.STAGE)
    assert any(i.startswith(f"stage:{key}:") for i in stages)
    g = graph(repo.path)
    for src, dst in edges(repo.path, EdgeKind.ARTIFACT):
        assert not g.is_placeholder(src), (src, dst)
    arts = edges(repo.path, EdgeKind.ARTIFACT)  # (the old id's edges stay in the trail)
    for version in ("v1.0.0", "v2.0.0", "v3.0.0"):
        assert any(src.startswith(f"data:{key}:") for src, dst in arts
                   if dst == f"model:churn@{version}"), version
    again = harvest(repo.path)
    assert again.new_events == 0
    store = api.open_store(repo.path)
    try:
        assert store.verify().ok
    finally:
        store.close()


def test_dvc_0x_default_stage_file_dvcfile(git_repo: GitRepo) -> None:
    """``dvc run`` of DVC 0.x wrote its stage to ``Dvcfile`` unless told otherwise."""
    git_repo.write("Dvcfile", DVC_0X.replace("../data/prepared", "data/prepared"))
    git_repo.write("sub/Dvcfile", DVC_0X.replace("deadbeef", "cafebabe"))
    c = git_repo.commit("dvc run (0.x)")
    res = harvest(git_repo.path)
    assert [w for w in res.report.warnings if w.source == "dvc"] == []
    stages = {a["dvc_yaml"]: a for a in nodes(git_repo.path, NodeKind.STAGE).values()}
    assert set(stages) == {"Dvcfile", "sub/Dvcfile"}
    top = stages["Dvcfile"]
    assert top["name"] == "Dvcfile" and top["cmd"] == "python train.py" and top["commit"] == c
    assert set(top["deps"]) == {"data/prepared", "train.py"} and top["outs"] == ["model.pkl"]
    assert stages["sub/Dvcfile"]["outs"] == ["sub/model.pkl"]
    data = {a["path"]: a for a in nodes(git_repo.path, NodeKind.DATA).values()}
    assert data["model.pkl"]["hash"] == "md5:deadbeefdeadbeefdeadbeefdeadbeef"
    assert data["sub/model.pkl"]["hash"] == "md5:cafebabecafebabecafebabecafebabe"


TEMPLATED_WDIR_YAML = """\
vars:
  - sub: work
stages:
  proc:
    foreach: [us, eu]
    do:
      wdir: ${item}
      cmd: cp in.txt out.txt
      deps: [in.txt]
      outs: [out.txt]
  byname:
    foreach:
      north: {dir: us}
    do:
      wdir: ${item.dir}/${key}
      cmd: cp ../in.txt n.txt
      deps: [../in.txt]
      outs: [n.txt]
  grid:
    matrix:
      region: [us, eu]
    wdir: ${item.region}
    cmd: cp in.txt grid.txt
    deps: [in.txt]
    outs: [grid.txt]
  one:
    wdir: ${sub}
    cmd: echo hi > o.txt
    outs: [o.txt]
  fromparams:
    foreach: ${regions}
    do:
      wdir: ${item}
      cmd: cp in.txt p.txt
      deps: [in.txt]
      outs: [p.txt]
"""


def test_templated_wdir_resolves_like_dvc(git_repo: GitRepo) -> None:
    """``wdir: ${item}`` (foreach, matrix, vars): DVC resolves it per stage and the lock records
    paths relative to it; lineage gives the paths DVC's own index gives. A wdir whose values
    live outside dvc.yaml (params.yaml) is a warning, never a silent ``${item}/…`` path."""
    from dvc.repo import Repo

    dvc(git_repo, "init", "-q")
    for region in ("us", "eu"):
        git_repo.write(f"{region}/in.txt", f"{region}\n")
    git_repo.write("us/north/.keep", "")
    git_repo.write("work/.keep", "")
    git_repo.write("params.yaml", "regions: [us, eu]\n")
    git_repo.write("dvc.yaml", TEMPLATED_WDIR_YAML)
    dvc(git_repo, "repro", "-q")
    git_repo.commit("templated wdir")
    res = harvest(git_repo.path)
    warns = [str(w) for w in res.report.warnings]
    rid = _repo_id(git_repo.path)
    data = nodes(git_repo.path, NodeKind.DATA)
    stages = {a["name"]: a for a in nodes(git_repo.path, NodeKind.STAGE).values()}
    with Repo(str(git_repo.path)) as r:
        theirs = {s.name: [(Path(o.fs_path).relative_to(git_repo.path).as_posix(),
                                  o.hash_info.value) for o in s.outs]
                  for s in r.index.stages if not s.path.endswith(".dvc")}
    resolved = {k: v for k, v in theirs.items() if "fromparams" not in k}
    assert len(resolved) == 6
    for name, outs in resolved.items():
        assert stages[name]["outs"] == [p for p, _ in outs], name
        for rel, md5 in outs:
            assert data_id(rid, rel, f"md5:{md5}") in data, (rel, md5)
    assert stages["byname@north"]["deps"] == ["us/in.txt"]
    unresolved = {"fromparams@us", "fromparams@eu"}
    kept = {p for n in unresolved for p in stages[n]["deps"] + stages[n]["outs"]}
    assert kept == {"${item}/in.txt", "${item}/p.txt"}  # as written, and said so:
    for name in unresolved:
        assert any(f"stage {name!r}" in w and "${item}" in w for w in warns), warns
    assert not [w for w in warns if not any(n in w for n in unresolved)], warns
    assert not any("${" in a["path"] for a in data.values() if a["path"] not in kept)


def test_file_names_with_a_colon_stay_in_their_folder(git_repo: GitRepo) -> None:
    """``data/a: b.csv`` and ``data/c:x.csv`` are relative paths (a Windows drive is a letter,
    a colon and a slash): their data versions are under ``data/`` as ``dvc add`` tracks them."""
    dvc(git_repo, "init", "-q")
    for name in ("a: b.csv", "c:x.csv", "d:"):
        git_repo.write(f"data/{name}", f"{name}\n")
        dvc(git_repo, "add", "-q", f"data/{name}")
    git_repo.commit("names with a colon")
    assert not harvest(git_repo.path).report.warnings
    paths = {a["path"] for a in nodes(git_repo.path, NodeKind.DATA).values()}
    assert paths == {"data/a: b.csv", "data/c:x.csv", "data/d:"}


def test_yaml_merge_keys_in_dvc_yaml_count_as_dvc_reads_them(git_repo: GitRepo) -> None:
    """``<<: *base`` in dvc.yaml: DVC (ruamel.yaml) merges the anchored stage's keys, so stage
    ``b`` runs in ``src`` like ``a``; its data versions are under ``src/`` as DVC's index says."""
    from dvc.repo import Repo

    dvc(git_repo, "init", "-q")
    git_repo.write("src/in.txt", "in\n")
    git_repo.write("dvc.yaml", "stages:\n  a: &base\n    wdir: src\n    frozen: false\n"
                   "    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n"
                   "  b:\n    <<: *base\n    cmd: cp in.txt b.txt\n    outs: [b.txt]\n")
    dvc(git_repo, "repro", "-q")
    git_repo.commit("stages sharing keys through a merge key")
    assert not harvest(git_repo.path).report.warnings
    stages = {a["name"]: a for a in nodes(git_repo.path, NodeKind.STAGE).values()}
    with Repo(str(git_repo.path)) as r:
        theirs = {s.name: [Path(o.fs_path).relative_to(git_repo.path).as_posix()
                           for o in s.outs] for s in r.index.stages}
    assert theirs == {"a": ["src/a.txt"], "b": ["src/b.txt"]}
    assert {n: stages[n]["outs"] for n in theirs} == theirs
    assert stages["b"]["deps"] == ["src/in.txt"]


def test_wdir_in_force_is_the_branch_own_dvc_yaml(git_repo: GitRepo) -> None:
    """Two branches: main moves the stage's wdir to ``b``; a branch made before that re-runs
    the stage in ``a``. Each lock entry resolves against its own commit's dvc.yaml, whatever
    order the history is replayed in, and a fresh harvest equals incremental ones."""
    dvc(git_repo, "init", "-q")
    git_repo.write("a/in.txt", "1\n")
    git_repo.write("b/in.txt", "1\n")
    git_repo.write("dvc.yaml", "stages:\n  s:\n    wdir: a\n    cmd: cp in.txt out.txt\n"
                   "    deps: [in.txt]\n    outs: [out.txt]\n")
    dvc(git_repo, "repro", "-q")
    c0 = git_repo.commit("stage in a")
    harvest(git_repo.path)
    git_repo.write("dvc.yaml", "stages:\n  s:\n    wdir: b\n    cmd: cp in.txt out.txt\n"
                   "    deps: [in.txt]\n    outs: [out.txt]\n")
    git_repo.write("b/in.txt", "3\n")
    dvc(git_repo, "repro", "-q")
    m1 = git_repo.commit("stage moves to b")
    git_repo.git("checkout", "-q", "-b", "feat", c0)
    git_repo.write("a/in.txt", "2\n")
    dvc(git_repo, "repro", "-q")
    f1 = git_repo.commit("new data in a, on a branch")
    order = git_repo.git("log", "--all", "--topo-order", "--reverse", "--format=%H").split()
    assert order.index(m1) < order.index(f1)  # main's change is replayed first
    harvest(git_repo.path)  # incremental: both new commits

    def by_commit() -> dict[str, tuple[list[str], list[str]]]:
        return {a["commit"]: (a["deps"], a["outs"])
                for a in nodes(git_repo.path, NodeKind.STAGE).values()}

    expected = {c0: (["a/in.txt"], ["a/out.txt"]), m1: (["b/in.txt"], ["b/out.txt"]),
                f1: (["a/in.txt"], ["a/out.txt"])}
    assert by_commit() == expected
    shutil.rmtree(git_repo.path / ".lineage")
    harvest(git_repo.path)  # fresh
    assert by_commit() == expected


def test_artifact_path_is_the_one_declared_at_the_tagged_commit(git_repo: GitRepo) -> None:
    """``artifacts: churn: path:`` changes from model.pkl to churn.pkl after v1.0.0 was
    registered: v1.0.0's artifact is still model.pkl as dvc.yaml declared it at its commit."""
    dvc(git_repo, "init", "-q")
    git_repo.write("w.txt", "w\n")
    yaml_v1 = ("stages:\n  train:\n    cmd: cp w.txt model.pkl\n    deps: [w.txt]\n"
               "    outs: [model.pkl]\nartifacts:\n  churn:\n    path: model.pkl\n")
    git_repo.write("dvc.yaml", yaml_v1)
    dvc(git_repo, "repro", "-q")
    c1 = git_repo.commit("v1")
    git_repo.tag("churn@v1.0.0", "register v1")
    (git_repo.path / "model.pkl").unlink()
    git_repo.write("dvc.yaml", yaml_v1.replace("model.pkl", "churn.pkl"))
    dvc(git_repo, "repro", "-q")
    git_repo.commit("v2 writes churn.pkl")
    git_repo.tag("churn@v2.0.0", "register v2")
    harvest(git_repo.path)
    g = graph(git_repo.path)
    arts = {e.target: g.attrs(e.source)["path"] for e in g.edges(EdgeKind.ARTIFACT)}
    assert arts == {"model:churn@v1.0.0": "model.pkl", "model:churn@v2.0.0": "churn.pkl"}
    v1 = g.attrs("model:churn@v1.0.0")
    assert v1["artifact_uri"] == "model.pkl" and v1["commit"] == c1


def test_model_group_is_described_as_the_checkout_declares_it(git_repo: GitRepo) -> None:
    """main renames the artifact's path; a branch made before, replayed after it (a later
    commit), still edits the old declaration: the model group says what HEAD's dvc.yaml says,
    on a fresh harvest as on incremental ones."""
    yaml_old = ("stages: {}\nartifacts:\n  churn:\n    path: model.pkl\n    type: model\n"
                "    desc: {desc}\n")
    git_repo.write(".dvc/config", "")
    git_repo.write("dvc.yaml", yaml_old.replace("{desc}", "first"))
    c0 = git_repo.commit("declare churn")
    git_repo.write("dvc.yaml", yaml_old.replace("{desc}", "renamed").replace("model.pkl",
                                                                              "churn.pkl"))
    m1 = git_repo.commit("main: the artifact is churn.pkl now")
    harvest(git_repo.path)
    git_repo.git("checkout", "-q", "-b", "old-branch", c0)
    git_repo.write("dvc.yaml", yaml_old.replace("{desc}", "branch edit"))
    f1 = git_repo.commit("a branch edits the old declaration")
    git_repo.git("checkout", "-q", "main")
    order = git_repo.git("log", "--all", "--topo-order", "--reverse", "--format=%H").split()
    assert order.index(m1) < order.index(f1)
    for fresh in (False, True):
        if fresh:
            shutil.rmtree(git_repo.path / ".lineage")
        harvest(git_repo.path)
        group = nodes(git_repo.path, NodeKind.MODEL_GROUP)["model_group:churn"]
        assert (group["path"], group["description"]) == ("churn.pkl", "renamed"), fresh


GOOD_MD5 = "0123456789abcdef0123456789abcdef"


def test_a_folder_name_with_a_newline_does_not_shift_other_folders(git_repo: GitRepo) -> None:
    """Lock-only changes in two folders, one named with a newline: each lock is read with its
    own folder's dvc.yaml (wdir), the odd name never misaligns the others' lookups."""
    odd = "x\ny"
    git_repo.write(".dvc/config", "")
    for folder, wdir in ((odd, "w"), ("z", "q")):
        git_repo.write(f"{folder}/dvc.yaml", f"stages:\n  s:\n    wdir: {wdir}\n    cmd: c\n")
    git_repo.commit("pipelines")

    def locks(md5: str) -> None:
        for folder in (odd, "z"):
            git_repo.write(f"{folder}/dvc.lock", "schema: '2.0'\nstages:\n  s:\n    cmd: c\n"
                           f"    outs:\n    - path: o.bin\n      hash: md5\n      md5: {md5}\n")

    locks(GOOD_MD5)
    git_repo.commit("locks")
    harvest(git_repo.path)
    locks(GOOD_MD5[::-1])
    git_repo.commit("only the locks move")
    assert not harvest(git_repo.path).report.warnings
    paths = {a["path"] for a in nodes(git_repo.path, NodeKind.DATA).values()}
    assert paths == {f"{odd}/w/o.bin", "z/q/o.bin"}


def test_dvc_freeze_after_repro_marks_the_stage_frozen(git_repo: GitRepo) -> None:
    """``dvc freeze`` edits dvc.yaml only: the lock entry, hence the stage node, stays the
    same. The stage says what HEAD's dvc.yaml says (``dvc stage list``, ``dvc status``), after
    an incremental harvest and a fresh one, and again after ``dvc unfreeze``."""
    dvc(git_repo, "init", "-q")
    git_repo.write("in.txt", "1\n")
    git_repo.write("dvc.yaml", "stages:\n  prep:\n    cmd: cp in.txt out.txt\n"
                   "    deps: [in.txt]\n    outs: [out.txt]\n")
    dvc(git_repo, "repro", "-q")
    git_repo.commit("prep")
    harvest(git_repo.path)

    def frozen() -> bool:
        (attrs,) = nodes(git_repo.path, NodeKind.STAGE).values()
        return attrs["frozen"]

    assert frozen() is False
    dvc(git_repo, "freeze", "prep")
    assert "frozen: true" in (git_repo.path / "dvc.yaml").read_text()
    git_repo.commit("freeze prep", "dvc.yaml")
    harvest(git_repo.path)
    assert frozen() is True
    shutil.rmtree(git_repo.path / ".lineage")
    harvest(git_repo.path)
    assert frozen() is True
    dvc(git_repo, "unfreeze", "prep")
    git_repo.commit("unfreeze prep", "dvc.yaml")
    harvest(git_repo.path)
    assert frozen() is False


def test_dvc_0x_lock_of_a_stage_file_marks_the_stage_frozen(git_repo: GitRepo) -> None:
    """DVC 0.x's ``dvc lock`` added ``locked: true`` to the stage file, whose stage (cmd,
    deps, outs) did not change."""
    git_repo.write(".dvc/config", "")
    stage = ("cmd: python train.py\ndeps:\n- md5: 0123456789abcdef0123456789abcdef\n"
             "  path: data.csv\nouts:\n- md5: fedcba9876543210fedcba9876543210\n"
             "  path: model.pkl\n")
    git_repo.write("train.dvc", stage)
    git_repo.commit("stage")
    harvest(git_repo.path)
    git_repo.write("train.dvc", stage + "locked: true\n")
    git_repo.commit("dvc lock train.dvc")
    harvest(git_repo.path)
    (attrs,) = nodes(git_repo.path, NodeKind.STAGE).values()
    assert attrs["frozen"] is True and attrs["dvc_yaml"] == "train.dvc"


@pytest.fixture
def dvc_source(tmp_path: Path) -> GitRepo:
    """A git + DVC repository to ``dvc import`` from (a local remote holds its data)."""
    src = GitRepo(tmp_path / "src")
    dvc(src, "init", "-q")
    dvc(src, "remote", "add", "-q", "-d", "local", str(tmp_path / "remote"))
    src.write("d.txt", "hello\n")
    dvc(src, "add", "-q", "d.txt")
    src.commit("data")
    dvc(src, "push", "-q")
    return src


def _imported(path: Path) -> dict:
    (attrs,) = [a for a in nodes(path, NodeKind.DATA).values() if a["path"] == "d.txt"]
    return attrs


def test_dvc_update_to_a_new_source_commit_updates_the_import(git_repo: GitRepo,
                                                              dvc_source: GitRepo) -> None:
    """``dvc update`` moves ``rev_lock`` to the source's new commit; the content (the data
    id) stays: the data version says where HEAD's .dvc file imports it from."""
    dvc(git_repo, "init", "-q")
    git_repo.commit("init")
    dvc(git_repo, "import", "-q", str(dvc_source.path), "d.txt")
    git_repo.commit("import d.txt")
    harvest(git_repo.path)
    first = dvc_source.git("rev-parse", "HEAD")
    assert _imported(git_repo.path)["import_rev_lock"] == first
    dvc_source.write("other.txt", "x\n")
    second = dvc_source.commit("unrelated change in the source")
    dvc(git_repo, "update", "-q", "d.txt.dvc")
    assert second in (git_repo.path / "d.txt.dvc").read_text()
    git_repo.commit("dvc update")
    harvest(git_repo.path)
    attrs = _imported(git_repo.path)
    assert attrs["import_rev_lock"] == second
    assert attrs["import_url"] == str(dvc_source.path)
    shutil.rmtree(git_repo.path / ".lineage")
    harvest(git_repo.path)
    assert _imported(git_repo.path)["import_rev_lock"] == second


def test_a_path_added_then_imported_gets_its_import_source(git_repo: GitRepo,
                                                           dvc_source: GitRepo) -> None:
    dvc(git_repo, "init", "-q")
    git_repo.write("d.txt", "hello\n")  # the same bytes as the source's d.txt
    dvc(git_repo, "add", "-q", "d.txt")
    git_repo.commit("dvc add d.txt")
    harvest(git_repo.path)
    assert "import_url" not in _imported(git_repo.path)
    dvc(git_repo, "remove", "-q", "d.txt.dvc")
    (git_repo.path / "d.txt").unlink(missing_ok=True)
    dvc(git_repo, "import", "-q", str(dvc_source.path), "d.txt")
    git_repo.commit("now imported from the source")
    harvest(git_repo.path)
    attrs = _imported(git_repo.path)
    assert attrs["import_url"] == str(dvc_source.path)
    assert attrs["import_rev_lock"] == dvc_source.git("rev-parse", "HEAD")
    assert attrs["properties"]["import_path"] == "d.txt"
