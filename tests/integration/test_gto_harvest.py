"""GTO harvester on real tags, cross-checked against the `gto` package itself."""

from __future__ import annotations

import pytest

from connectors.harvesters.gto import (
    ASSIGN,
    CREATE,
    DEPRECATE,
    DEREGISTER,
    REGISTER,
    UNASSIGN,
    parse_tag_name,
    semver_key,
)
from lineage import api
from lineage.model import Node, NodeKind
from tests.conftest import GitRepo

TAG_NAMES = [
    "churn@v1.2.0", "churn@v1.2.0!", "churn#prod#3", "churn#prod!#4", "churn@deprecated",
    "models/dir=churn@v1.2.0", "churn@v1.0.0#1", "churn#prod", "churn#prod!", "churn@created",
    "a@v1.0.0-rc.1+build.5", "churn-model_2@v10.20.30", "dir.x/y=my-model#staging#12",
    # not GTO
    "v1.0.0", "churn@1.0.0", "churn@v1.0", "churn@", "@v1.0.0", "churn#", "churn#prod#x",
    "-bad@v1.0.0", "churn@v01.0.0", "churn@deprecated!", "churn##prod", "churn@latest",
    "churn#prod#1#2", "release-2024", "x@v1.0.0", "churn#p",
]


@pytest.mark.parametrize("name", TAG_NAMES)
def test_grammar_matches_gto(name: str) -> None:
    from gto.constants import Action
    from gto.tag import parse_name

    ours = parse_tag_name(name)
    theirs = parse_name(name, raise_on_fail=False)
    if not theirs:
        assert ours is None
        return
    assert ours is not None
    actions = {Action.REGISTER: REGISTER, Action.DEREGISTER: DEREGISTER, Action.ASSIGN: ASSIGN,
               Action.UNASSIGN: UNASSIGN, Action.DEPRECATE: DEPRECATE}
    assert ours.artifact == theirs["name"]
    assert ours.action == actions.get(theirs.get("action"), CREATE)
    assert ours.version == theirs.get("version")
    assert ours.stage == theirs.get("stage")
    assert ours.counter == theirs.get("counter")


def test_semver_order_matches_gto() -> None:
    from gto.versions import SemVer

    versions = ["v1.0.0", "v1.0.0-rc.1", "v1.0.0-rc.10", "v1.0.0-rc.2", "v1.0.0-alpha",
                "v1.0.0-alpha.beta", "v0.9.9", "v1.10.0", "v1.2.0", "v2.0.0+build"]
    assert sorted(versions, key=semver_key) == sorted(versions, key=SemVer)


def _registry_repo(repo: GitRepo) -> dict[str, str]:
    repo.write("model.pkl", "1")
    c1 = repo.commit("train v1")
    repo.tag("churn@v1.0.0", "Registering churn v1.0.0")
    repo.tag("churn#staging#1", "to staging")
    repo.tag("churn#prod#2", "to prod")
    repo.write("model.pkl", "2")
    c2 = repo.commit("train v2")
    repo.tag("churn@v1.1.0#3", "Registering churn v1.1.0")
    repo.tag("churn#prod#4", "v1.1.0 to prod")  # supersedes v1.0.0 in prod
    repo.tag("churn#staging!#5", "out of staging", ref=c1)
    repo.tag("churn@v1.0.0!", "deregister v1.0.0", ref=c1)
    repo.write("model.pkl", "3")
    c3 = repo.commit("monorepo model")
    repo.tag("models/nlp=sentiment@v0.1.0", "nlp model")
    repo.tag("models/nlp=sentiment@deprecated", "retired model")
    repo.tag("fraud#dev")  # lightweight, no version registered at this commit
    repo.tag("churn@v9", "malformed")  # GTO-looking but malformed
    repo.tag("churn#prod#x")  # malformed, lightweight
    repo.tag("release-1", "plain release tag")
    return {"c1": c1, "c2": c2, "c3": c3}


def test_registry_facts(git_repo: GitRepo) -> None:
    c = _registry_repo(git_repo)
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    warnings = [str(w) for w in res.report.warnings]
    assert sum("does not follow the GTO grammar" in w for w in warnings) == 2
    assert any("'churn@v9'" in w for w in warnings)
    graph = api.open_store(git_repo.path).load_graph()

    v1 = graph.attrs("model:churn@v1.0.0")
    assert v1["commit"] == c["c1"] and v1["status"] == "deregistered"
    assert v1["created_by"] == "Carl Committer"  # the tagger
    assert v1["created_at"] == "2026-01-01T02:00:00Z"
    assert v1["properties"]["created_by_email"] == "carl@example.com"
    assert "annotated tag churn@v1.0.0" in v1["properties"]["evidence"]
    assert v1.get("stage") is None
    v11 = graph.attrs("model:churn@v1.1.0")
    assert v11["stage"] == "prod" and v11["commit"] == c["c2"]
    assert graph.attrs("model_group:churn")["registry"] == "gto"

    edges = {(e.kind.value, e.source, e.target) for e in graph.edges()}
    assert ("tagged", f"commit:{c['c1']}", "model:churn@v1.0.0") in edges
    assert ("version_of", "model:churn@v1.1.0", "model_group:churn") in edges
    assert ("previous_version", "model:churn@v1.0.0", "model:churn@v1.1.0") in edges

    deps = {n.id: n.attrs for n in graph.nodes(NodeKind.DEPLOYMENT)}
    prod1 = deps["deployment:churn:prod:2026-01-01T04:00:00Z"]
    assert prod1["model"] == "model:churn@v1.0.0" and prod1["environment"] == "prod"
    assert prod1["retired_at"] == "2026-01-01T07:00:00Z"  # when v1.1.0 took prod
    assert "superseded by v1.1.0" in prod1["properties"]["retired_reason"]
    assert prod1["deployed_by"] == "Carl Committer" and prod1["source"] == "gto"
    staging = deps["deployment:churn:staging:2026-01-01T03:00:00Z"]
    assert staging["retired_at"] == "2026-01-01T08:00:00Z"
    assert "unassigned" in staging["properties"]["retired_reason"]
    prod2 = deps["deployment:churn:prod:2026-01-01T07:00:00Z"]
    assert prod2["model"] == "model:churn@v1.1.0" and prod2.get("retired_at") is None
    assert ("deployed_as", "model:churn@v1.1.0",
            "deployment:churn:prod:2026-01-01T07:00:00Z") in edges

    # monorepo artifact and deprecation
    s = graph.attrs("model:models/nlp:sentiment@v0.1.0")
    assert s["deprecated"] is True and s["group"] == "models/nlp:sentiment"
    assert "deprecated_at" in graph.attrs("model_group:models/nlp:sentiment")["properties"]
    # lightweight stage tag at a commit without a registration: GTO's commit-named version
    fraud = graph.attrs(f"model:fraud@{c['c3']}")
    assert fraud["status"] == "unregistered"
    dep = next(a for a in deps.values() if a["model"] == f"model:fraud@{c['c3']}")
    assert "lightweight tag fraud#dev" in dep["properties"]["evidence"]
    assert dep["deployed_at"] == graph.attrs(f"commit:{c['c3']}")["committer"]["time"]
    for n in graph.nodes():
        if n.kind in (NodeKind.MODEL, NodeKind.DEPLOYMENT, NodeKind.MODEL_GROUP):
            Node.make(n.kind, n.id, **{k: v for k, v in n.attrs.items() if v is not None})


def test_versions_and_stages_agree_with_gto(git_repo: GitRepo) -> None:
    import gto.api

    _registry_repo(git_repo)
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    graph = api.open_store(git_repo.path).load_graph()
    theirs = gto.api.show(str(git_repo.path), "churn")
    assert theirs
    for v in theirs:
        ours = graph.attrs(f"model:churn@{v['version']}")
        assert ours["commit"] == v["commit_hexsha"]
        stages = sorted(s["stage"] for s in v["stages"])
        assert sorted(filter(None, ours.get("properties", {}).get("stages", "").split(","))) \
            == stages
        if v["registrations"]:
            assert ours["created_at"].replace("T", " ").replace("Z", "+00:00") == \
                str(v["registrations"][0]["created_at"])


def test_incremental_and_aliases(git_repo: GitRepo) -> None:
    git_repo.write("lineage.yaml", "model_aliases:\n  churn-gto: churn\n")
    git_repo.commit("one")
    git_repo.tag("churn-gto@v1.0.0", "reg")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    with api.open_store(git_repo.path) as store:
        assert store.has_node("model:churn@v1.0.0")
        assert not store.has_node("model_group:churn-gto")
        head = store.head()
    res = api.harvest(git_repo.path)
    assert res.new_events == 0
    with api.open_store(git_repo.path) as store:
        assert store.head() == head
    git_repo.tag("churn-gto#prod", "promote")
    res = api.harvest(git_repo.path)
    gto_res = next(h for h in res.harvesters if h.name == "gto")
    assert gto_res.stats.nodes_new == {"deployment": 1}
    assert gto_res.stats.nodes_changed == {"model": 1}  # its stage
    with api.open_store(git_repo.path) as store:
        assert store.get_node("model:churn@v1.0.0").attrs["stage"] == "prod"
        assert store.verify().ok


def test_odd_registries_warn_and_go_on(git_repo: GitRepo) -> None:
    c1 = git_repo.commit("one")
    git_repo.tag("m@v1.0.0", "reg")
    git_repo.tag("m@v1.1.0", "second version on the same commit")
    git_repo.tag("m#prod", "prod")  # assigns the greatest version registered at c1
    c2 = git_repo.commit("two")
    git_repo.tag("m@v1.0.0#7", "same version again, other commit")
    git_repo.tag("m@v3.0.0!", "deregister a version never registered")
    git_repo.tag("m#qa!", "unassign a stage never assigned")
    tree = git_repo.git("rev-parse", "HEAD^{tree}")
    git_repo.git("tag", "-a", "m@v4.0.0", "-m", "tag of a tree", tree)
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    text = "\n".join(str(w) for w in res.report.warnings)
    assert "registers m v1.0.0 again" in text
    assert "never registered" in text
    assert "not in that stage" in text
    graph = api.open_store(git_repo.path).load_graph()
    assert graph.attrs("model:m@v1.0.0")["commit"] == c1
    assert graph.attrs("model:m@v1.1.0")["stage"] == "prod"
    assert graph.attrs("model:m@v1.0.0").get("stage") is None
    assert graph.attrs("model:m@v3.0.0")["status"] == "unregistered"
    assert "model:m@v4.0.0" not in graph
    assert f"model:m@{c2}" not in graph  # a rejected unassignment invents no version
    assert c2 in {graph.attrs(n)["sha"] for n in graph.node_ids(NodeKind.COMMIT)}


def test_deleted_and_moved_tags_are_marked_not_kept_current(git_repo: GitRepo) -> None:
    """GTO's state is its tags. ``gto deregister --delete`` / ``gto unassign --delete`` delete a
    tag, and a tag can be deleted and made again elsewhere: the store keeps what was (an audit
    trail) but no longer shows it as current."""
    from typer.testing import CliRunner

    from lineage.cli.main import app
    from lineage.model import EdgeKind

    git_repo.write("model.pkl", "w1")
    c1 = git_repo.commit("train v1")
    git_repo.tag("churn@v1.0.0", "register v1.0.0")
    git_repo.tag("churn#prod#1", "promote")
    git_repo.write("model.pkl", "w2")
    c2 = git_repo.commit("train v1.1")
    git_repo.tag("churn@v1.1.0", "register v1.1.0")
    git_repo.tag("churn#staging#1", "stage")
    git_repo.write("model.pkl", "w3")
    c3 = git_repo.commit("train v1.0 again")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn#staging#1")
    git_repo.git("tag", "-d", "churn@v1.1.0")
    git_repo.git("tag", "-d", "churn@v1.0.0")
    git_repo.tag("churn@v1.0.0", "register v1.0.0 at the retrained commit", ref=c3)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    warns = [str(w) for w in res.report.warnings if w.source == "gto"]
    assert any("churn#staging#1 is gone" in w for w in warns), warns
    assert any("churn@v1.1.0 is gone" in w for w in warns), warns
    assert any("churn@v1.0.0 moved from" in w for w in warns), warns
    # the warning says what a move means for the audit
    [moved] = [w for w in warns if "churn@v1.0.0 moved from" in w]
    assert "model-has-run" in moved and "deployment-approved" in moved, moved
    store = api.open_store(git_repo.path)
    try:
        v11 = store.get_node("model:churn@v1.1.0")
        assert v11 is not None and v11.attrs["status"] == "deregistered"
        assert v11.attrs["properties"]["deregistration_tag"] == "churn@v1.1.0 deleted"
        assert v11.attrs.get("stage") is None
        staging = [n for n in store.iter_nodes(NodeKind.DEPLOYMENT)
                   if n.attrs["environment"] == "staging"]
        assert len(staging) == 1 and staging[0].attrs["retired_at"]
        assert "deleted" in staging[0].attrs["properties"]["retired_reason"]
        prod = [n for n in store.iter_nodes(NodeKind.DEPLOYMENT)
                if n.attrs["environment"] == "prod"]
        assert all(not n.attrs.get("retired_at") for n in prod)  # its tag is still there
        v10 = store.get_node("model:churn@v1.0.0")
        assert v10 is not None and v10.attrs["commit"] == c3
        tagged = {(e.source, e.target): e.attrs for e in store.iter_edges(EdgeKind.TAGGED)}
        assert tagged[(f"commit:{c1}", "model:churn@v1.0.0")]["moved_to"] == c3
        # when it moved (the new tag's date) and when the old tag had registered the version
        old = tagged[(f"commit:{c1}", "model:churn@v1.0.0")]
        assert old["moved_at"] == v10.attrs["created_at"]
        assert old["registered_at"] < old["moved_at"]
        assert "moved_to" not in tagged[(f"commit:{c3}", "model:churn@v1.0.0")]
        assert (f"commit:{c2}", "model:churn@v1.1.0") in tagged  # the trail keeps it
        assert store.verify().ok
    finally:
        store.close()
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0
    # `show churn`: the latest version is no longer the deleted one
    out = CliRunner().invoke(app, ["show", "churn", "--repo", str(git_repo.path), "--json"])
    assert out.exit_code == 0 and '"node": "model:churn@v1.0.0"' in out.stdout, out.output


def test_stage_falls_back_to_the_earlier_assignment_as_gto_shows(git_repo: GitRepo) -> None:
    """GTO keeps every assignment that was not unassigned: ``gto show`` names the latest one
    per stage, so when that version leaves the stage (unassigned, or deregistered) the stage
    goes back to the version assigned before it, which is then in production again."""
    import gto.api

    git_repo.write("model.pkl", "w1")
    c1 = git_repo.commit("train v1")
    git_repo.tag("churn@v1.0.0", "register v1.0.0")
    git_repo.write("model.pkl", "w2")
    c2 = git_repo.commit("train v2")
    git_repo.tag("churn@v2.0.0", "register v2.0.0")
    git_repo.tag("churn#prod#1", "v1.0.0 to prod", ref=c1)
    git_repo.tag("churn#staging#2", "v1.0.0 to staging", ref=c1)
    git_repo.tag("churn#prod#3", "v2.0.0 to prod", ref=c2)
    git_repo.tag("churn#staging#4", "v2.0.0 to staging", ref=c2)
    git_repo.tag("churn#staging!#5", "out of staging", ref=c1)  # v1.0.0, no longer shown
    git_repo.tag("churn#prod!#6", "v2.0.0 out of prod", ref=c2)
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert not [str(w) for w in res.report.warnings if w.source == "gto"]
    theirs = gto.api.show(str(git_repo.path))["churn"]["stage"]
    assert theirs == {"prod": "v1.0.0", "staging": "v2.0.0"}

    def current() -> dict[str, str]:
        with api.open_store(git_repo.path) as store:
            live = {n.attrs["environment"]: n.attrs["model"]
                    for n in store.iter_nodes(NodeKind.DEPLOYMENT)
                    if not n.attrs.get("retired_at")}
            staged = {n.attrs["stage"]: n.id for n in store.iter_nodes(NodeKind.MODEL)
                      if n.attrs.get("stage")}
        assert staged == live
        return {env: mid.removeprefix("model:churn@") for env, mid in live.items()}

    assert current() == theirs
    with api.open_store(git_repo.path) as store:
        back = next(n for n in store.iter_nodes(NodeKind.DEPLOYMENT)
                    if n.attrs["environment"] == "prod" and not n.attrs.get("retired_at"))
        assert back.attrs["deployed_at"] == "2026-01-01T10:00:00Z"  # when v2.0.0 left
        assert "churn#prod!#6" in back.attrs["properties"]["gto_tag"]
        assert "v2.0.0" in back.attrs["properties"]["returned_after"]

    # deregistering the version shown in a stage: the stage goes back as well
    git_repo.tag("churn@v2.0.0!", "deregister v2.0.0", ref=c2)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert not [str(w) for w in res.report.warnings if w.source == "gto"]
    theirs = gto.api.show(str(git_repo.path))["churn"]["stage"]
    assert current() == theirs == {"prod": "v1.0.0"}
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0


def test_tag_of_a_tag_is_peeled_to_its_commit(git_repo: GitRepo) -> None:
    """``git tag -a churn@v1.0.0 -m … other-tag`` (an annotated tag of an annotated tag): GTO
    registers the version; lineage too, at the commit the tags lead to, with the outer tag's
    tagger as the evidence (never silently left out)."""
    import gto.api

    git_repo.write("model.pkl", "w1")
    c1 = git_repo.commit("train")
    git_repo.tag("release-1", "a release")
    git_repo.tag("churn@v1.0.0", "register on the release tag", ref="release-1")
    assert [v["version"] for v in gto.api.show(str(git_repo.path), "churn")] == ["v1.0.0"]
    api.init(git_repo.path)
    res = api.harvest(git_repo.path, only=["git", "gto"])
    assert not res.report.warnings
    graph = api.open_store(git_repo.path).load_graph()
    v1 = graph.attrs("model:churn@v1.0.0")
    assert v1["commit"] == c1 and v1["status"] == "registered"
    assert v1["created_at"] == "2026-01-01T03:00:00Z"  # the outer tag's date
    assert v1["properties"]["gto_message"] == "register on the release tag"
    assert "refs/tags/churn@v1.0.0" in graph.attrs(f"commit:{c1}")["refs"]


@pytest.mark.parametrize("how", ["register again", "delete the deregistration tag"])
def test_a_version_registered_again_is_back_in_its_stages_as_gto_shows(
        git_repo: GitRepo, how: str) -> None:
    """GTO keeps a deregistered version's assignments; they only stop counting while it is
    deregistered. Registered again (``gto register --simple false`` makes ``churn@v2.0.0#N``)
    or with its deregistration tag deleted, the version is in those stages again."""
    import gto.api

    git_repo.write("model.pkl", "w1")
    c1 = git_repo.commit("train v1")
    git_repo.tag("churn@v1.0.0", "register v1.0.0")
    git_repo.write("model.pkl", "w2")
    c2 = git_repo.commit("train v2")
    git_repo.tag("churn@v2.0.0", "register v2.0.0")
    git_repo.tag("churn#prod#1", "v1.0.0 to prod", ref=c1)
    git_repo.tag("churn#prod#2", "v2.0.0 to prod", ref=c2)
    git_repo.tag("churn#staging#3", "v2.0.0 to staging", ref=c2)
    git_repo.tag("churn@v2.0.0!", "deregister v2.0.0", ref=c2)
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    assert gto.api.show(str(git_repo.path))["churn"]["stage"] == {"prod": "v1.0.0"}
    if how == "register again":
        git_repo.tag("churn@v2.0.0#4", "register v2.0.0 again", ref=c2)
    else:
        git_repo.git("tag", "-d", "churn@v2.0.0!")
    res = api.harvest(git_repo.path, only=["git", "gto"])
    warns = [str(w) for w in res.report.warnings if w.source == "gto"]
    if how == "register again":
        assert not warns
    else:  # the deployment of v1.0.0 the deregistration brought back is gone with it
        assert len(warns) == 1 and "tag churn@v2.0.0! is gone" in warns[0], warns
    theirs = gto.api.show(str(git_repo.path))["churn"]["stage"]
    assert theirs == {"prod": "v2.0.0", "staging": "v2.0.0"}
    with api.open_store(git_repo.path) as store:
        live = {n.attrs["environment"]: n.attrs["model"]
                for n in store.iter_nodes(NodeKind.DEPLOYMENT) if not n.attrs.get("retired_at")}
        v2 = store.get_node("model:churn@v2.0.0")
        v1 = store.get_node("model:churn@v1.0.0")
    assert {env: mid.removeprefix("model:churn@") for env, mid in live.items()} == theirs
    assert v2 is not None and v2.attrs["status"] == "registered"
    assert sorted(v2.attrs["properties"]["stages"].split(",")) == ["prod", "staging"]
    assert v1 is not None and v1.attrs.get("stage") is None
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0


def test_a_deleted_assignment_behind_a_fallback_is_named_in_the_warning(
        git_repo: GitRepo) -> None:
    """prod went back to v1.0.0 when v2.0.0 was unassigned; deleting v1.0.0's assignment tag
    ends that deployment: the warning names the deleted tag, not the unassignment."""
    git_repo.write("model.pkl", "w1")
    c1 = git_repo.commit("train v1")
    git_repo.tag("churn@v1.0.0", "register v1.0.0")
    git_repo.write("model.pkl", "w2")
    c2 = git_repo.commit("train v2")
    git_repo.tag("churn@v2.0.0", "register v2.0.0")
    git_repo.tag("churn#prod#1", "v1.0.0 to prod", ref=c1)
    git_repo.tag("churn#prod#2", "v2.0.0 to prod", ref=c2)
    git_repo.tag("churn#prod!#3", "v2.0.0 out of prod", ref=c2)
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn#prod#1")
    res = api.harvest(git_repo.path, only=["git", "gto"])
    (w,) = [str(w) for w in res.report.warnings if w.source == "gto"]
    assert "churn#prod#1" in w and "is gone" in w and "churn#prod!#3 is gone" not in w, w
    with api.open_store(git_repo.path) as store:
        live = [n for n in store.iter_nodes(NodeKind.DEPLOYMENT) if not n.attrs.get("retired_at")]
        fallback = [n for n in store.iter_nodes(NodeKind.DEPLOYMENT)
                    if n.attrs["properties"].get("gto_tag") == "churn#prod!#3"]
    assert live == []
    (fb,) = fallback
    assert "churn#prod#1" in fb.attrs["properties"]["retired_reason"]
