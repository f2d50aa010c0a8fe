"""A ``dvc.lock`` entry of a stage the commit's ``dvc.yaml`` no longer defines (a stage renamed
or deleted: ``dvc repro`` keeps the old entry) is not what DVC says of the path at that commit:
DVC 3.67 builds its index from ``dvc.yaml`` and ignores such entries. So neither a model
version's artifact, nor ``lineage show PATH``, nor a run's strong pin takes its hash. Real git,
real ``dvc`` and ``gto``."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

runner = CliRunner()
RUN = "0190a5b2-0000-7000-8000-0000000000f1"
RID = f"run:openlineage:{RUN}"


def _bin(name: str) -> Path:
    exe = Path(sys.executable).with_name(name)
    if not exe.exists():
        pytest.skip(f"{name} is not installed")
    return exe


def _md5(p: Path) -> str:
    return "md5:" + hashlib.md5(p.read_bytes()).hexdigest()


def _dvc_hash(r: GitRepo, path: str, rev: str | None = None) -> str:
    """What DVC itself says the path's hash is (at ``rev``): ``dvc ls --show-hash``."""
    out = r.dvc("ls", ".", path, "--json", "--show-hash", *(("--rev", rev) if rev else ()))
    [entry] = json.loads(out)
    return f"md5:{entry['md5']}"


def _run_reading(r: GitRepo, path: str, sha: str) -> None:
    """One OpenLineage COMPLETE event: a training run at ``sha`` that read ``path``."""
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-10T10:00:00Z",
             "producer": "https://example.com/ci", "run": {"runId": RUN},
             "job": {"namespace": "ml", "name": "train", "facets": {"sourceCodeLocation": {
                 "type": "git", "url": "https://example.com/repo", "version": sha}}},
             "inputs": [{"namespace": "file", "name": str(r.path / path)}], "outputs": []}
    r.write("openlineage/run.json", json.dumps(event))


def _pins(r: GitRepo) -> dict[str, str]:
    """data id → pin of the run's INPUT edges."""
    graph = api.open_store(r.path).load_graph()
    return {e.source: str(e.attrs.get("pin")) for e in graph.in_edges(RID, EdgeKind.INPUT)}


def _show(r: GitRepo, ref: str) -> tuple[dict[str, object], str]:
    res = runner.invoke(app, ["show", ref, "-C", str(r.path), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), res.stderr


PREP = "stages:\n  prep:\n    cmd: cat raw.csv > prepared.csv\n    deps: [raw.csv]\n" \
       "    outs: [prepared.csv]\n"


def _renamed_prep(r: GitRepo) -> tuple[str, str, str]:
    """``prep`` reproduced and committed; then renamed ``prepare``, writing other bytes,
    reproduced and committed. Returns (old md5, new md5, the rename commit)."""
    r.dvc("init", "-q")
    r.write("raw.csv", "a\n1\n")
    r.dvc("add", "-q", "raw.csv")
    r.write("dvc.yaml", PREP)
    r.dvc("repro", "-q")
    r.commit("base")
    old = _md5(r.path / "prepared.csv")
    r.write("dvc.yaml", PREP.replace("  prep:", "  prepare:")
            .replace("cat raw.csv >", "cat raw.csv raw.csv >"))
    r.dvc("repro", "-q")
    lock = (r.path / "dvc.lock").read_text()
    assert "  prep:" in lock and "  prepare:" in lock  # DVC keeps the old entry
    sha = r.commit("rename stage prep -> prepare")
    new = _md5(r.path / "prepared.csv")
    assert old != new and _dvc_hash(r, "prepared.csv") == new
    return old, new, sha


def test_a_renamed_stage_gives_its_gto_version_the_new_artifact(git_repo: GitRepo) -> None:
    gto = _bin("gto")
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", "a\n1\n")
    r.dvc("add", "-q", "raw.csv")
    yaml = ("stages:\n  train:\n    cmd: cat raw.csv > model.bin\n    deps: [raw.csv]\n"
            "    outs: [model.bin]\nartifacts:\n  churn:\n    path: model.bin\n"
            "    type: model\n")
    r.write("dvc.yaml", yaml)
    r.dvc("repro", "-q")
    r.commit("base")
    r.run(str(gto), "register", "churn", "--version", "v1.0.0", "HEAD")
    r.write("dvc.yaml", yaml.replace("  train:", "  train_v2:")
            .replace("cat raw.csv >", "cat raw.csv raw.csv >"))
    r.dvc("repro", "-q")
    r.commit("rename stage train -> train_v2, new model")
    r.run(str(gto), "register", "churn", "--version", "v2.0.0", "HEAD")
    v1, v2 = _dvc_hash(r, "model.bin", "churn@v1.0.0"), _dvc_hash(r, "model.bin",
                                                                   "churn@v2.0.0")
    assert v1 != v2 and v2 == _md5(r.path / "model.bin")

    api.init(r.path)
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    for version, want in (("v1.0.0", v1), ("v2.0.0", v2)):
        mid = f"model:churn@{version}"
        assert graph.attrs(mid)["artifact_hash"] == want, version
        [art] = graph.predecessors(mid, EdgeKind.ARTIFACT)
        assert art.endswith(f"model.bin@{want}"), (version, art)
    res = runner.invoke(app, ["show", "churn@v2.0.0", "-C", str(r.path)],
                        env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert f"artifact ← data model.bin {v2[:20]}" in res.stdout.splitlines()[1], res.stdout


def test_show_and_a_run_after_a_stage_rename_take_the_new_entry(git_repo: GitRepo) -> None:
    r = git_repo
    old, new, sha = _renamed_prep(r)
    _run_reading(r, "prepared.csv", sha)
    api.init(r.path)
    res = api.harvest(r.path)
    assert not [w for w in res.report.warnings if w.source in ("dvc", "joins")], \
        res.report.warnings
    doc, err = _show(r, "prepared.csv")
    assert str(doc["node"]).endswith(f"@{new}"), doc["node"]
    assert "warnings" not in doc and err == "", (doc.get("warnings"), err)
    pins = _pins(r)
    assert {p for d, p in pins.items() if d.endswith(f"prepared.csv@{new}")} == {"strong"}, pins
    assert not any(d.endswith(f"@{old}") for d in pins), pins


def test_a_stage_deleted_from_dvc_yaml_whose_output_git_then_keeps_is_not_pinned(
        git_repo: GitRepo) -> None:
    """``prep`` deleted from dvc.yaml (another stage stays), ``prepared.csv`` rewritten and
    committed to git: DVC does not track it there, and the old entry left in dvc.lock is no
    version of it. A run reading it keeps its weak pin; ``lineage show`` says the checkout's
    DVC files do not track it."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", "a\n1\n")
    r.dvc("add", "-q", "raw.csv")
    other = "  other:\n    cmd: cat raw.csv > other.txt\n    deps: [raw.csv]\n" \
            "    outs: [other.txt]\n"
    r.write("dvc.yaml", PREP + other)
    r.dvc("repro", "-q")
    base = r.commit("base")
    old = _md5(r.path / "prepared.csv")
    r.write("dvc.yaml", "stages:\n" + other)
    r.dvc("repro", "-q")
    assert "prepared.csv" in (r.path / "dvc.lock").read_text()  # the entry DVC left
    r.write(".gitignore", "/other.txt\n")
    r.write("prepared.csv", "hand made\n")
    sha = r.commit("prepared.csv kept in git")
    assert "prepared.csv" not in r.dvc("status", "--json")
    _run_reading(r, "prepared.csv", sha)
    api.init(r.path)
    api.harvest(r.path)
    assert set(_pins(r).values()) <= {"weak", "none"}, _pins(r)
    doc, err = _show(r, "prepared.csv")
    assert str(doc["node"]).endswith(f"@{old}")  # the one version the store has
    [said] = doc["warnings"]  # type: ignore[misc]
    assert "prepared.csv" in said and "not the checkout's" in said, said
    assert "do not track" in said and base[:12] in said, said


def test_a_foreach_item_dropped_from_dvc_yaml_is_not_tracked_any_more(
        git_repo: GitRepo) -> None:
    """``train@eu`` dropped from a foreach list: its entry stays in dvc.lock, DVC no longer
    tracks ``model_eu.txt``; ``train@us`` (an expanded name dvc.yaml still defines) does."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("raw.csv", "a\n1\n")
    r.dvc("add", "-q", "raw.csv")
    yaml = ("stages:\n  train:\n    foreach: [us, eu]\n    do:\n"
            "      cmd: echo ${item} > model_${item}.txt\n      outs:\n      - model_${item}.txt\n")
    r.write("dvc.yaml", yaml)
    r.dvc("repro", "-q")
    r.commit("two regions")
    r.write("dvc.yaml", yaml.replace("[us, eu]", "[us]"))
    r.dvc("repro", "-q")
    assert "train@eu" in (r.path / "dvc.lock").read_text()
    r.write("model_eu.txt", "retired\n")
    sha = r.commit("eu retired")
    us = _dvc_hash(r, "model_us.txt")
    _run_reading(r, "model_eu.txt", sha)
    api.init(r.path)
    api.harvest(r.path)
    assert "strong" not in _pins(r).values(), _pins(r)
    from lineage.hashing import recorded

    assert recorded(r.path, "model_eu.txt") is None
    rec = recorded(r.path, "model_us.txt")
    assert rec is not None and rec.hash == us


def test_an_orphan_entry_says_nothing_to_the_lookup_of_a_commit(git_repo: GitRepo) -> None:
    """The harvester's look-up (used by the joins and GTO) against hand-written files: an
    entry of a stage dvc.yaml does not define gives no hash and no "tracked" verdict; with
    no dvc.yaml beside the lock, none of its entries does (DVC reads no pipeline there). A
    commit whose dvc.lock cannot be read (a merge's conflict markers) is told apart."""
    from connectors.harvesters.dvc import artifact_data_at
    from lineage.config import Config
    from lineage.plugins import HarvestContext
    from lineage.report import RunReport

    r = git_repo
    md5a, md5b = "a" * 32, "b" * 32
    lock = ("schema: '2.0'\nstages:\n  gone:\n    cmd: x\n    outs:\n    - path: out.csv\n"
            f"      hash: md5\n      md5: {md5a}\n      size: 1\n  kept:\n    cmd: y\n"
            f"    outs:\n    - path: kept.csv\n      hash: md5\n      md5: {md5b}\n"
            "      size: 1\n")
    r.write(".dvc/config", "")
    r.write("dvc.lock", lock)
    r.write("dvc.yaml", "stages:\n  kept:\n    cmd: y\n    outs: [kept.csv]\n")
    c1 = r.commit("one stage defined")
    (r.path / "dvc.yaml").unlink()
    c2 = r.commit("pipeline file deleted")
    r.write("dvc.lock", "<<<<<<< HEAD\n" + lock + "=======\n" + lock + ">>>>>>> feat\n")
    r.write("dvc.yaml", "stages:\n  kept:\n    cmd: y\n    outs: [kept.csv]\n")
    c3 = r.commit("conflict committed")
    api.init(r.path)
    ctx = HarvestContext(r.path, Config(), api.open_store(r.path), RunReport())
    pairs = [(p, c) for c in (c1, c2, c3) for p in ("out.csv", "kept.csv")]
    untracked: set[tuple[str, str]] = set()
    unreadable: dict[tuple[str, str], str] = {}
    found = artifact_data_at(ctx, "", pairs, untracked=untracked, unreadable=unreadable)
    assert {k: v[1] for k, v in found.items()} == {("kept.csv", c1): f"md5:{md5b}"}
    assert untracked == {("out.csv", c1), ("out.csv", c2), ("kept.csv", c2)}
    assert unreadable == {("out.csv", c3): "dvc.lock", ("kept.csv", c3): "dvc.lock"}


def test_a_frozen_stage_renamed_keeps_what_its_entry_said(git_repo: GitRepo) -> None:
    """HEAD's dvc.yaml says whether the stages of HEAD's dvc.lock are frozen; of the entry it
    no longer defines (renamed), it says nothing: that stage node keeps its ``frozen``."""
    r = git_repo
    entry = ("    cmd: make\n    outs:\n    - path: out.csv\n      hash: md5\n"
             f"      md5: {'c' * 32}\n      size: 1\n")
    r.write(".dvc/config", "")
    r.write("dvc.yaml", "stages:\n  fit:\n    cmd: make\n    frozen: true\n    outs: [out.csv]\n")
    r.write("dvc.lock", "schema: '2.0'\nstages:\n  fit:\n" + entry)
    r.commit("frozen stage")
    api.init(r.path)
    api.harvest(r.path)
    r.write("dvc.yaml", "stages:\n  fit2:\n    cmd: make\n    outs: [out.csv]\n")
    r.write("dvc.lock", "schema: '2.0'\nstages:\n  fit:\n" + entry + "  fit2:\n" + entry)
    r.commit("renamed, unfrozen")
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    frozen = {str(n.attrs["name"]): n.attrs["frozen"] for n in graph.nodes()
              if str(n.kind) == "stage"}
    assert frozen == {"fit": True, "fit2": False}, frozen


def test_a_store_joined_by_the_old_rule_gets_its_version_s_artifact_right(
        git_repo: GitRepo) -> None:
    """A store harvested before: v2.0.0 (registered after the rename) got the ARTIFACT edge
    from the old stage's leftover entry, and its artifact_hash. The next harvest, with no new
    commit or tag, links the version to what the commit records and withdraws the old edge;
    the log still verifies."""
    from lineage.model import Edge, Node, NodeKind

    gto = _bin("gto")
    r = git_repo
    old, new, sha = _renamed_prep(r)
    r.write("dvc.yaml", (r.path / "dvc.yaml").read_text()
            + "artifacts:\n  prep:\n    path: prepared.csv\n")
    sha = r.commit("declare the artifact")
    r.run(str(gto), "register", "prep", "--version", "v2.0.0", "HEAD")
    api.init(r.path)
    api.harvest(r.path)
    store = api.open_store(r.path)
    mid = "model:prep@v2.0.0"
    [right] = [e.source for e in store.edges_of(mid) if e.kind == EdgeKind.ARTIFACT]
    assert right.endswith(f"prepared.csv@{new}")
    # what the rule before wrote: the leftover entry's version, the watermark not yet set
    wrong = right.replace(new, old)
    with store.transaction():
        store.upsert([
            Node.make(NodeKind.DATA, wrong, path="prepared.csv", hash=old, hash_kind="md5"),
            Edge.make(EdgeKind.ARTIFACT, wrong, mid, commit=sha),
            Node.make(NodeKind.MODEL, mid, group="prep", version="v2.0.0", artifact_hash=old,
                      artifact_uri="prepared.csv")])
        store.append_event("harvest", "test", {"harvester": "dvc (older rule)"})
        store.conn.execute("DELETE FROM watermarks WHERE scope = 'artifacts'")
    store.close()

    api.harvest(r.path)
    store = api.open_store(r.path)
    try:
        arts = sorted(e.source for e in store.edges_of(mid) if e.kind == EdgeKind.ARTIFACT)
        assert arts == [right], arts
        node = store.get_node(mid)
        assert node is not None and node.attrs["artifact_hash"] == new
        assert store.verify().ok
        head = store.head()
    finally:
        store.close()
    # once only: a harvest after it writes nothing
    api.harvest(r.path)
    store = api.open_store(r.path)
    try:
        assert store.head() == head
    finally:
        store.close()
