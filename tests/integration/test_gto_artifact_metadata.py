"""What the model group of a GTO artifact says: the metadata its ``dvc.yaml`` ``artifacts:``
entry declares (as ``gto show`` and ``dvc`` read it) next to GTO's deprecation record."""

from __future__ import annotations

from typing import Any

from lineage import api
from tests.conftest import GitRepo

DVC_YAML = """\
artifacts:
  sentiment:
    path: model.pt
    type: model
    desc: NLP sentiment
    labels: [nlp]
    meta:
      owner: team-nlp
"""


def _group(repo: GitRepo, name: str) -> dict[str, Any]:
    store = api.open_store(repo.path)
    try:
        node = store.get_node(f"model_group:{name}")
        assert node is not None
        return dict(node.attrs)
    finally:
        store.close()


def test_deprecating_an_artifact_keeps_its_declared_metadata(git_repo: GitRepo) -> None:
    git_repo.write("models/nlp/dvc.yaml", DVC_YAML)
    git_repo.write("models/nlp/model.pt", "w")
    git_repo.commit("nlp model")
    git_repo.tag("models/nlp=sentiment@v0.1.0", "register")
    git_repo.tag("models/nlp=sentiment@deprecated", "deprecate")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "dvc", "gto"])
    g = _group(git_repo, "models/nlp:sentiment")
    assert g["description"] == "NLP sentiment" and g["path"] == "models/nlp/model.pt"
    assert g["type"] == "model" and g["labels"] == ["nlp"]
    props = g["properties"]
    assert props["owner"] == "team-nlp"  # dvc.yaml meta
    assert props["deprecation_tag"] == "models/nlp=sentiment@deprecated"
    assert props["deprecated_by"] == "Carl Committer"

    # the deprecation tag deleted: the group is no longer said to be deprecated, as GTO says
    git_repo.git("tag", "-d", "models/nlp=sentiment@deprecated")
    api.harvest(git_repo.path, only=["git", "dvc", "gto"])
    props = _group(git_repo, "models/nlp:sentiment")["properties"]
    assert props == {"owner": "team-nlp"}
    assert api.harvest(git_repo.path, only=["git", "dvc", "gto"]).new_events == 0


def test_a_deprecation_tag_deleted_leaves_no_deprecation_behind(git_repo: GitRepo) -> None:
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn@deprecated", "deprecate")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    assert _group(git_repo, "churn")["properties"]["deprecation_tag"] == "churn@deprecated"
    git_repo.git("tag", "-d", "churn@deprecated")
    api.harvest(git_repo.path, only=["git", "gto"])
    assert not _group(git_repo, "churn").get("properties")
    store = api.open_store(git_repo.path)
    try:
        v1 = store.get_node("model:churn@v1.0.0")
        assert v1 is not None and v1.attrs["deprecated"] is False
    finally:
        store.close()


def test_a_version_kept_for_the_trail_follows_the_artifact_deprecation(
        git_repo: GitRepo) -> None:
    """A version whose tag was deleted stays in the store, deregistered; deprecating the
    artifact afterwards (``gto deprecate churn``) deprecates it too, as every other version."""
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.write("model.pkl", "2")
    git_repo.commit("retrain")
    git_repo.tag("churn@v1.1.0", "register")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn@v1.1.0")
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.tag("churn@deprecated", "deprecate")
    api.harvest(git_repo.path, only=["git", "gto"])
    store = api.open_store(git_repo.path)
    try:
        for v in ("v1.0.0", "v1.1.0"):
            node = store.get_node(f"model:churn@{v}")
            assert node is not None and node.attrs["deprecated"] is True, (v, node)
        gone = store.get_node("model:churn@v1.1.0")
        assert gone is not None and gone.attrs["status"] == "deregistered"
    finally:
        store.close()
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0


def test_a_dvc_yaml_edit_keeps_the_deprecation(git_repo: GitRepo) -> None:
    """The DVC harvester rewrites the group when its ``artifacts:`` entry changes; GTO's
    deprecation record (no tag changed, so GTO does not run) stays, as a fresh harvest has it,
    and a ``meta`` key removed from dvc.yaml leaves."""
    git_repo.write("models/nlp/dvc.yaml", DVC_YAML.replace("      owner: team-nlp\n",
                                                           "      owner: team-nlp\n"
                                                           "      tier: gold\n"))
    git_repo.write("models/nlp/model.pt", "w")
    git_repo.commit("nlp model")
    git_repo.tag("models/nlp=sentiment@v0.1.0", "register")
    git_repo.tag("models/nlp=sentiment@deprecated", "deprecate")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "dvc", "gto"])
    git_repo.write("models/nlp/dvc.yaml", DVC_YAML.replace("NLP sentiment", "NLP sentiment v2"))
    git_repo.commit("describe it better")
    api.harvest(git_repo.path, only=["git", "dvc", "gto"])
    g = _group(git_repo, "models/nlp:sentiment")
    assert g["description"] == "NLP sentiment v2"
    props = g["properties"]
    assert props["deprecation_tag"] == "models/nlp=sentiment@deprecated", props
    assert props["owner"] == "team-nlp" and "tier" not in props, props
    assert api.harvest(git_repo.path, only=["git", "dvc", "gto"]).new_events == 0


def test_every_tag_deleted_leaves_no_deprecation_behind(git_repo: GitRepo) -> None:
    """``gto deprecate churn --delete`` and ``gto deregister churn v1.0.0 --delete``: GTO no
    longer knows the artifact at all. The store keeps the version (deregistered) and the
    group for the trail, but neither is said to be deprecated any more, as when only the
    deprecation tag goes."""
    git_repo.write("model.pkl", "1")
    git_repo.commit("train")
    git_repo.tag("churn@v1.0.0", "register")
    git_repo.tag("churn@deprecated", "deprecate")
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git", "gto"])
    git_repo.git("tag", "-d", "churn@deprecated")
    git_repo.git("tag", "-d", "churn@v1.0.0")
    api.harvest(git_repo.path, only=["git", "gto"])
    assert not _group(git_repo, "churn").get("properties")
    store = api.open_store(git_repo.path)
    try:
        v1 = store.get_node("model:churn@v1.0.0")
        assert v1 is not None and v1.attrs["status"] == "deregistered"
        assert v1.attrs["deprecated"] is False
    finally:
        store.close()
    assert api.harvest(git_repo.path, only=["git", "gto"]).new_events == 0
