"""A store harvested from a shallow CI clone (``git clone --depth 1``) lacks the history and the
GTO tags outside it: the production deployment those tags record, and its critical finding,
are not in the graph. The audit must say so (``harvest-complete``, failing the gate) rather
than pass; a clone made whole again clears it. Real git repositories, cloned with ``git clone
--depth 1 file://…``; records through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _origin(tmp_path: Path) -> GitRepo:
    """A model registered and assigned to prod with GTO's tags on the first commit, and a
    risk assessment (tier high) committed after it: a clone of depth 1 holds the assessment
    but neither the model's commit nor its tags."""
    r = GitRepo(tmp_path / "origin")
    r.write("model.bin", "m\n")
    r.commit("model")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    api.init(r.path)
    res = runner.invoke(app, ["record", "assessment", "-C", str(r.path), "--model-group",
                              "churn", "--tier", "high", "--assessor", "rita@example.com",
                              "--date", "2026-01-01", "--next-review", "2027-06-01",
                              "--purpose", "churn scoring", "--write-file"])
    assert res.exit_code == 0, res.output
    r.commit("risk assessment", "governance")
    return r


def _clone(origin: GitRepo, dest: Path, *opts: str) -> GitRepo:
    origin.run("git", "clone", "-q", *opts, f"file://{origin.path}", str(dest))
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, 10
    return clone


def _harvest(repo: GitRepo) -> None:
    api.init(repo.path)
    api.harvest(repo.path)


def _audit(repo: GitRepo, *args: str) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def _rules(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def test_a_shallow_clone_fails_the_gate_and_says_how_to_fetch_the_rest(
        tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    full = _clone(origin, tmp_path / "full")
    shallow = _clone(origin, tmp_path / "shallow", "--depth", "1")
    _harvest(full)
    _harvest(shallow)

    code, report = _audit(full, "--fail-on", "high")
    found = _rules(report)
    assert code == 1 and "deployment-approved" in found
    assert "harvest-complete" not in found

    code, report = _audit(shallow, "--fail-on", "high")
    found = _rules(report)
    assert code == 1, report
    assert "deployment-approved" not in found  # the prod deployment is not in the graph
    (gap,) = found["harvest-complete"]
    assert gap["severity"] == "critical"  # an incomplete clone vouches for no threshold
    assert gap["subject"].startswith("repository:")
    assert "shallow clone" in gap["message"] and "model_group:churn" in gap["message"]
    assert "git fetch --unshallow --tags" in gap["remediation"]
    assert "fetch-depth: 0" in gap["remediation"]
    assert gap["articles"] == ["EU AI Act Art. 12"]
    assert gap["controls"] == ["ISO/IEC 42001 A.6.2.8"]
    # the dangling group: the clone may hold it, not some other source
    (cont,) = found["lineage-continuity"]
    assert "shallow clone" in cont["remediation"]
    assert "git fetch --unshallow --tags" in cont["remediation"]

    # fetched whole: the watermark is cleared, the critical finding appears
    shallow.git("fetch", "-q", "--unshallow", "--tags")
    api.harvest(shallow.path)
    code, report = _audit(shallow, "--fail-on", "high")
    found = _rules(report)
    assert "harvest-complete" not in found
    assert [f["severity"] for f in found["deployment-approved"]] == ["critical"]


def test_the_finding_gates_every_filter(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    # the deployment's version is in the clone (the tags point at its HEAD), the history
    # before it is not
    origin.write("model.bin", "m2\n")
    origin.commit("model 2")
    origin.tag("churn@v2.0.0", "Registering artifact churn version v2.0.0")
    origin.tag("churn#staging#2", "Assigning stage staging to artifact churn version v2.0.0")
    shallow = _clone(origin, tmp_path / "shallow", "--depth", "1")
    _harvest(shallow)
    for args in (["--model", "churn"], ["--model", "churn@v2.0.0"], ["--env", "staging"]):
        code, report = _audit(shallow, "--fail-on", "high", *args)
        assert code == 1 and "harvest-complete" in _rules(report), (args, report)


def test_a_filter_naming_nothing_in_a_shallow_clone_says_why(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    shallow = _clone(origin, tmp_path / "shallow", "--depth", "1")
    _harvest(shallow)
    res = runner.invoke(app, ["audit", "-C", str(shallow.path), "--env", "prod"])
    assert res.exit_code == 2, res.output
    assert "shallow clone" in res.output and "git fetch --unshallow --tags" in res.output


def test_a_clone_made_shallower_after_a_full_harvest_lacks_nothing(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    clone = _clone(origin, tmp_path / "clone")
    _harvest(clone)
    clone.git("fetch", "-q", "--depth", "1")
    assert (clone.path / ".git" / "shallow").is_file()
    api.harvest(clone.path)
    _, report = _audit(clone)
    assert "harvest-complete" not in _rules(report)


def test_a_clone_without_tags_fails_only_when_a_record_names_what_it_lacks(
        tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    notags = _clone(origin, tmp_path / "notags", "--no-tags")
    _harvest(notags)
    code, report = _audit(notags, "--fail-on", "high")
    (gap,) = _rules(report)["harvest-complete"]
    assert code == 1
    assert "fetched no tags" in gap["message"] and "model_group:churn" in gap["message"]
    assert "git fetch --tags" in gap["remediation"]
    assert "--unshallow" not in gap["remediation"]  # a complete history: it would fail

    # nothing names a model the graph lacks: the repository may have no tag at all; a warning
    plain = GitRepo(tmp_path / "plain")
    plain.write("a.txt", "a\n")
    plain.commit("a")
    bare = _clone(plain, tmp_path / "plain-clone", "--no-tags")
    _harvest(bare)
    code, report = _audit(bare)
    assert "harvest-complete" not in _rules(report)
    assert any("fetches no tags" in w for w in report["warnings"]), report["warnings"]

    # tags fetched: nothing to say
    notags.git("fetch", "-q", "--tags")
    api.harvest(notags.path)
    _, report = _audit(notags)
    assert "harvest-complete" not in _rules(report)
    assert "deployment-approved" in _rules(report)


def test_a_clone_without_tags_of_a_repository_declaring_gto_artifacts_fails(
        tmp_path: Path) -> None:
    """The CI clone of a repository whose dvc.yaml declares its models (GTO's artifacts),
    made with --no-tags: no record names a version it lacks (a run recorded by lineage
    describes it), yet GTO's stage assignments — the deployments, and their findings — are
    all missing. The harvest warns, and the audit fails the gate."""
    origin = GitRepo(tmp_path / "origin")
    origin.write("model.bin", "m\n")
    origin.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.bin\n    type: model\n")
    origin.commit("model")
    origin.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    origin.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    notags = _clone(origin, tmp_path / "notags", "--no-tags")
    api.init(notags.path)
    res = runner.invoke(app, ["harvest", "-C", str(notags.path), "--json"])
    assert res.exit_code == 0, res.output
    said = [w["message"] for w in json.loads(res.stdout)["warnings"] if w["source"] == "git"]
    assert any(w.startswith("this clone fetches no tags (remote.origin.tagOpt is --no-tags")
               and "git fetch --tags" in w for w in said), said
    code, report = _audit(notags)
    (gap,) = _rules(report)["harvest-complete"]
    assert code == 1
    assert "fetched no tags" in gap["message"], gap
    assert "dvc.yaml declares churn (artifacts: the models GTO registers)" in gap["message"]
    assert "git fetch --tags" in gap["remediation"]
    # the finding says it: no warning besides it that the repository may have no tag
    assert not any("fetches no tags" in w for w in report["warnings"]), report["warnings"]
    # with its tags, the deployment GTO recorded is judged instead
    notags.git("fetch", "-q", "--tags")
    api.harvest(notags.path)
    _, report = _audit(notags)
    assert "harvest-complete" not in _rules(report)
    assert "deployment-approved" in _rules(report)


def _fetched(origin: GitRepo, dest: Path) -> GitRepo:
    """A clone with the whole history and no tag, made the way CI checkouts (Jenkins) and
    fetch scripts make it: a fetch refspec naming branches only, and no ``remote.origin.tagOpt``
    (``git clone --no-tags`` is not how it was made)."""
    dest.mkdir()
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.tick = dest, 10
    clone.run("git", "init", "-q", "-b", "main")
    clone.run("git", "remote", "add", "origin", f"file://{origin.path}")
    clone.run("git", "fetch", "-q", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
    clone.run("git", "checkout", "-q", "-B", "main", "origin/main")
    assert clone.git("tag") == "" and clone.git("config", "--get", "remote.origin.tagOpt",
                                                 check=False) == ""
    return clone


def _gto_origin(tmp_path: Path) -> GitRepo:
    """dvc.yaml declares the churn model (GTO's artifacts), registered and assigned to prod by
    GTO's tags; no record names it."""
    origin = GitRepo(tmp_path / "origin")
    origin.run("git", "branch", "-M", "main")
    origin.write("model.bin", "m\n")
    origin.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.bin\n    type: model\n")
    origin.commit("model")
    origin.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    origin.tag("churn#prod#1", "Assigning stage prod to artifact churn version v1.0.0")
    return origin


def _git_warnings(repo: GitRepo) -> list[str]:
    api.init(repo.path)
    res = runner.invoke(app, ["harvest", "-C", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    return [w["message"] for w in json.loads(res.stdout)["warnings"] if w["source"] == "git"]


def test_a_clone_whose_fetch_brought_no_tags_fails_as_one_made_with_no_tags(
        tmp_path: Path) -> None:
    """A CI checkout fetching branches only (no tagOpt: ``git clone --no-tags`` was not run) of
    a repository declaring GTO artifacts: the deployment GTO recorded, and its critical finding,
    are missing. The harvest warns (dvc.yaml declares artifacts) and the gate fails, with the
    fix for a fetch refspec without tags."""
    origin = _gto_origin(tmp_path)
    ci = _fetched(origin, tmp_path / "ci")
    said = _git_warnings(ci)
    assert any(w.startswith("this clone holds no tags (its fetch brought none")
               and "dvc.yaml declares model artifacts" in w and "git fetch --tags origin" in w
               for w in said), said
    code, report = _audit(ci, "--fail-on", "high")
    found = _rules(report)
    (gap,) = found["harvest-complete"]
    assert code == 1 and "deployment-approved" not in found
    assert gap["severity"] == "critical"
    assert "that holds no tags (its fetch brought none" in gap["message"], gap
    assert "dvc.yaml declares churn (artifacts: the models GTO registers)" in gap["message"]
    assert "git fetch --tags" in gap["remediation"]
    assert "+refs/tags/*:refs/tags/*" in gap["remediation"]
    assert "tagOpt" not in gap["remediation"] and "--unshallow" not in gap["remediation"]
    # nothing of the tag-less clone is said as if it were --no-tags
    assert not any("fetches no tags" in w for w in report["warnings"]), report["warnings"]

    # its tags fetched: the harvest says nothing, the deployment is judged
    ci.git("fetch", "-q", "--tags", "origin")
    assert _git_warnings(ci) == []
    _, report = _audit(ci, "--fail-on", "high")
    found = _rules(report)
    assert "harvest-complete" not in found
    assert "deployment-approved" in found


def test_a_clone_whose_fetch_brought_no_tags_fails_when_a_record_names_what_it_lacks(
        tmp_path: Path) -> None:
    """No dvc.yaml: the harvest cannot tell (no warning), the audit does — the risk assessment
    names churn, which only GTO's tags register."""
    ci = _fetched(_origin(tmp_path), tmp_path / "ci")
    assert _git_warnings(ci) == []
    code, report = _audit(ci, "--fail-on", "high")
    found = _rules(report)
    (gap,) = found["harvest-complete"]
    assert code == 1
    assert "holds no tags" in gap["message"] and "model_group:churn" in gap["message"], gap
    assert "git fetch --tags" in gap["remediation"]
    # the dangling group: the clone may hold it
    (cont,) = found["lineage-continuity"]
    assert "a clone that holds no tags" in cont["remediation"], cont
    assert "git fetch --tags" in cont["remediation"]
    # a filter naming what the clone lacks says why
    res = runner.invoke(app, ["audit", "-C", str(ci.path), "--env", "prod"])
    assert res.exit_code == 2, res.output
    assert "holds no tags" in res.output and "git fetch --tags" in res.output


def test_a_repository_with_no_tag_and_no_artifact_is_no_false_alarm(tmp_path: Path) -> None:
    """Most repositories have no tag: their CI clone holds none, declares no artifact and no
    record names a model it lacks. The harvest says nothing of tags and the audit fails
    nothing; as the store holds no model version at all (an audit that checked nothing), the
    report says once that a clone holding no tags may lack GTO's (``gto register`` needs no
    declaration). Nothing either of a repository (no remote: not a clone) declaring artifacts
    it has not tagged yet."""
    plain = GitRepo(tmp_path / "plain")
    plain.run("git", "branch", "-M", "main")
    plain.write("a.txt", "a\n")
    plain.write("sub/dvc.yaml", "stages:\n  s:\n    cmd: echo\n")
    plain.commit("a")
    ci = _fetched(plain, tmp_path / "ci")
    assert _git_warnings(ci) == []
    code, report = _audit(ci)
    assert code == 0 and "harvest-complete" not in _rules(report)
    said = [w for w in report["warnings"] if "tags" in w]
    assert len(said) == 1 and "holds no model version" in said[0], report["warnings"]

    local = GitRepo(tmp_path / "local")
    local.write("model.bin", "m\n")
    local.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.bin\n")
    local.commit("model")
    assert _git_warnings(local) == []
    _, report = _audit(local)
    assert "harvest-complete" not in _rules(report)


def test_artifacts_declared_in_a_nested_dvc_yaml_warn_at_harvest(tmp_path: Path) -> None:
    """GTO reads every dvc.yaml: one in a folder declaring artifacts counts (named by path);
    a dvc.yaml with an empty ``artifacts:`` does not."""
    origin = GitRepo(tmp_path / "origin")
    origin.run("git", "branch", "-M", "main")
    origin.write("dvc.yaml", "artifacts:\n")
    origin.write("models/churn/model.bin", "m\n")
    origin.write("models/churn/dvc.yaml", "artifacts:\n  churn:\n    path: model.bin\n")
    origin.commit("model")
    # a GTO tag the clone does not fetch (a remote holding no GTO tag leaves it lacking none)
    origin.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    ci = _fetched(origin, tmp_path / "ci")
    said = _git_warnings(ci)
    assert any("while models/churn/dvc.yaml declares model artifacts" in w for w in said), said
    code, report = _audit(ci)
    (gap,) = _rules(report)["harvest-complete"]
    assert code == 1 and "dvc.yaml declares models/churn:churn" in gap["message"], gap
