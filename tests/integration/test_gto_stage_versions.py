"""Which version a GTO stage tag names, and what a version no tag derives any more still says,
cross-checked against ``gto show`` on real tags."""

from __future__ import annotations

import gto.api
import pytest

from lineage import api
from lineage.model import EdgeKind, NodeKind
from tests.conftest import GitRepo


def _gto_stages(repo: GitRepo, name: str) -> dict[str, str]:
    """``gto show``'s stage → version map for ``name``."""
    state = gto.api.show(str(repo.path), deprecated=True)
    return {k: v for k, v in state[name]["stage"].items() if v} if name in state else {}


def _our_stages(repo: GitRepo, name: str) -> tuple[dict[str, str], dict[str, str]]:
    """lineage's stage → version maps: from the versions' ``stage``/``properties.stages``
    and from the deployments not retired."""
    graph = api.open_store(repo.path).load_graph()
    versions: dict[str, str] = {}
    live: dict[str, str] = {}
    for n in graph.nodes(NodeKind.MODEL):
        if n.attrs.get("group") != name:
            continue
        stages = (n.attrs.get("properties") or {}).get("stages", "")
        for stage in filter(None, stages.split(",")):
            versions[stage] = n.attrs["version"]
        if n.attrs.get("stage"):
            assert n.attrs["stage"] in stages.split(","), n.attrs
    for d in graph.nodes(NodeKind.DEPLOYMENT):
        if not d.attrs.get("retired_at") and d.attrs["model"].startswith(f"model:{name}@"):
            assert d.attrs["environment"] not in live, "two live deployments in one stage"
            live[d.attrs["environment"]] = graph.attrs(d.attrs["model"])["version"]
    return versions, live


@pytest.mark.parametrize("later", [False, True], ids=["same-second", "registered-later"])
def test_a_stage_tag_names_the_version_registered_at_its_commit_whenever_registered(
        git_repo: GitRepo, later: bool) -> None:
    """GTO reads every version tag before the stage tags: a stage tag names the version
    registered at its commit even when the registration tag is dated the same second
    (``gto register`` then ``gto assign --simple true`` in one script) or later."""
    git_repo.write("model.pkl", "1")
    c1 = git_repo.commit("train")
    api.init(git_repo.path)
    git_repo.tag("churn#prod", "promote")
    if later:
        api.harvest(git_repo.path, only=["git", "gto"])  # the commit-named version first
        git_repo.tag("churn@v1.0.0", "register")
    else:  # no tick: both tags carry the same tagger date
        git_repo.git("tag", "-a", "churn@v1.0.0", "-m", "register")
    api.harvest(git_repo.path, only=["git", "gto"])
    assert _gto_stages(git_repo, "churn") == {"prod": "v1.0.0"}
    assert _our_stages(git_repo, "churn") == ({"prod": "v1.0.0"}, {"prod": "v1.0.0"})
    store = api.open_store(git_repo.path)
    try:
        v1 = store.get_node("model:churn@v1.0.0")
        assert v1 is not None and v1.attrs["stage"] == "prod"
        assert v1.attrs["status"] == "registered"
        deployed = [(e.source, e.target) for e in store.iter_edges(EdgeKind.DEPLOYED_AS)]
        assert [src for src, _ in deployed] == ["model:churn@v1.0.0"], deployed
        sha_named = store.get_node(f"model:churn@{c1}")
        if later:  # the store keeps it (an audit trail), but no longer in a stage
            assert sha_named is not None and sha_named.attrs.get("stage") is None
            assert "stages" not in sha_named.attrs["properties"]
        else:
            assert sha_named is None
    finally:
        store.close()


def test_a_version_whose_tag_is_deleted_is_no_longer_said_to_be_in_a_stage(
        git_repo: GitRepo) -> None:
    """``gto deprecate churn v1.0.0 --delete`` deletes the version's tags: the version kept in
    the store for the trail is deregistered and in no stage (``properties.stages`` too)."""
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn#prod#1", "promote")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn@v1.0.0")
    git_repo.git("tag", "-d", "churn#prod#1")
    api.harvest(git_repo.path, only=["git", "gto"])
    assert _our_stages(git_repo, "churn") == ({}, {})
    store = api.open_store(git_repo.path)
    try:
        v1 = store.get_node("model:churn@v1.0.0")
        assert v1 is not None and v1.attrs["status"] == "deregistered"
        assert v1.attrs.get("stage") is None and "stages" not in v1.attrs["properties"]
    finally:
        store.close()


def test_a_stage_tag_left_by_a_moved_registration_tag_no_longer_deploys_that_version(
        git_repo: GitRepo) -> None:
    """A registration tag deleted and made again at another commit takes the version off the
    first commit: a stage tag there now names the commit (as ``gto show`` says), and the
    version is no longer said to be deployed by it (its ``deployed_as`` edge is withdrawn)."""
    git_repo.write("model.pkl", "1")
    c1 = git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn#prod#1", "promote")
    git_repo.write("model.pkl", "2")
    git_repo.commit("retrain")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn@v1.0.0")
    git_repo.tag("churn@v1.0.0", "register the retrained model")
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert any("now names" in str(w) for w in res.report.warnings), res.report.warnings
    assert _gto_stages(git_repo, "churn") == {"prod": c1}
    assert _our_stages(git_repo, "churn") == ({"prod": c1}, {"prod": c1})
    store = api.open_store(git_repo.path)
    try:
        deployed = [e.source for e in store.iter_edges(EdgeKind.DEPLOYED_AS)]
        assert deployed == [f"model:churn@{c1}"]
        assert store.verify().ok
    finally:
        store.close()
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0


def test_a_stage_assigned_to_a_deregistered_version_counts_only_once_it_is_registered_again(
        git_repo: GitRepo) -> None:
    """``gto assign`` on a deregistered version makes the tag (after a warning), but GTO does
    not count it while the version is deregistered: the stage stays with the version it had.
    Registered again, the version takes the stage, as ``gto show`` says."""
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn#prod#1", "promote")
    git_repo.write("model.pkl", "2")
    git_repo.commit("retrain")
    git_repo.tag("churn@v2.0.0", "register")
    git_repo.tag("churn@v2.0.0!", "deregister")
    git_repo.tag("churn#prod#2", "promote the deregistered version")
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert any("churn#prod#2" in str(w) and "deregistered" in str(w)
               for w in res.report.warnings), res.report.warnings
    assert _gto_stages(git_repo, "churn") == {"prod": "v1.0.0"}
    assert _our_stages(git_repo, "churn") == ({"prod": "v1.0.0"}, {"prod": "v1.0.0"})
    git_repo.tag("churn@v2.0.0#3", "register again")
    api.harvest(git_repo.path, only=["git", "gto"])
    assert _gto_stages(git_repo, "churn") == {"prod": "v2.0.0"}
    assert _our_stages(git_repo, "churn") == ({"prod": "v2.0.0"}, {"prod": "v2.0.0"})


def test_unassigning_a_commit_named_version_warns_that_gto_show_still_shows_it(
        git_repo: GitRepo) -> None:
    """GTO 1.10 files an unassignment at a commit with no registered version under a new
    commit-named version: ``gto history`` lists it, ``gto show`` still names the commit in
    the stage. lineage follows the unassignment and says that ``gto show`` disagrees."""
    git_repo.write("model.pkl", "1")
    c1 = git_repo.commit("train")
    git_repo.tag("fraud#prod", "promote")
    git_repo.tag("fraud#prod!", "take it out of prod")
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert _gto_stages(git_repo, "fraud") == {"prod": c1}  # GTO's own inconsistency
    assert _our_stages(git_repo, "fraud") == ({}, {})
    warns = [str(w) for w in res.report.warnings if "fraud#prod!" in str(w)]
    assert len(warns) == 1 and "gto show" in warns[0], res.report.warnings
