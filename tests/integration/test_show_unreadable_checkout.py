"""`lineage show DATA_PATH` when the checkout's DVC file naming the path cannot be read: it
says so (file, line, the version shown instead, what to do) and still shows a version."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo, dvc_pipeline

runner = CliRunner()


def _version(repo: GitRepo, path: str, tick: str) -> str:
    """The hash of ``path`` in the store's data version that the commit ``tick`` defines."""
    graph = api.open_store(repo.path).load_graph()
    [node] = [n for n in graph.nodes() if str(n.kind) == "data"
              and n.attrs.get("path") == path and n.attrs.get("first_commit") == tick]
    return str(node.attrs["hash"])


@pytest.fixture
def two_versions(git_repo: GitRepo) -> tuple[GitRepo, str, str, str]:
    """``data/prepared.csv`` reproduced twice (two commits), harvested; the work tree then
    holds the first commit's ``dvc.lock`` (``git checkout FIRST -- dvc.lock``): the checkout
    names the older version, history the newer. Returns (repo, older, newer, newer's sha)."""
    first = dvc_pipeline(git_repo)
    git_repo.write("data/raw.csv", "id,churned\n1,0\n2,1\n3,1\n")
    git_repo.dvc("add", "-q", "data/raw.csv")
    git_repo.dvc("repro", "-q")
    second = git_repo.commit("more data")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    older = _version(git_repo, "data/prepared.csv", first)
    newer = _version(git_repo, "data/prepared.csv", second)
    assert older != newer
    git_repo.git("checkout", first, "--", "dvc.lock")
    return git_repo, older, newer, second


def _show(repo: GitRepo, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["show", "data/prepared.csv", "-C", str(repo.path), *args],
                        env={"COLUMNS": "100"})
    return res.exit_code, res.stdout, res.stderr


def test_a_readable_checkout_names_its_version_without_a_word(
        two_versions: tuple[GitRepo, str, str, str]) -> None:
    repo, older, _, _ = two_versions
    code, out, err = _show(repo, "--json")
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["node"].endswith(f"@{older}") and "warnings" not in doc, doc.get("warnings")
    code, out, err = _show(repo)
    assert code == 0 and "warning" not in err, err


def test_a_corrupt_dvc_lock_is_told_with_the_version_shown_instead(
        two_versions: tuple[GitRepo, str, str, str]) -> None:
    repo, older, newer, second = two_versions
    lock = repo.path / "dvc.lock"
    lines = lock.read_text().splitlines()
    # a merge left half done: an unclosed flow sequence on line 3
    lines[2] = lines[2] + " [oops"
    lock.write_text("\n".join(lines) + "\n")

    code, out, err = _show(repo, "--json")
    assert code == 0, out + err
    doc = json.loads(out)
    # the version history names (the checkout's lock no longer says which), told
    assert doc["node"].endswith(f"@{newer}"), doc["node"]
    [said] = doc["warnings"]
    # where YAML gave up (as the harvest names it), and where the construct began
    assert said.startswith("dvc.lock:4: not valid YAML: while parsing a flow sequence "
                           "(line 3), did not find expected ',' or ']'; "), said
    assert f"data/prepared.csv {newer} is shown" in said, said
    assert f"commit {second[:12]}" in said and "not the checkout's" in said, said
    assert "git checkout -- dvc.lock" in said, said
    assert err == "", err  # --json: the warning is in the document, stdout stays JSON

    code, out, err = _show(repo)
    assert code == 0, out + err
    [line] = [x for x in err.splitlines() if x]  # one line, whatever the terminal's width
    assert line == f"warning: {said}", (line, said)
    assert newer[:20] in out and older[:20] not in out, out
    # put back, the checkout names its version again, without a word
    repo.git("checkout", "HEAD", "--", "dvc.lock")
    code, out, err = _show(repo, "--json")
    assert code == 0 and "warnings" not in json.loads(out), out
    assert json.loads(out)["node"].endswith(f"@{newer}")


def test_a_corrupt_dvc_file_of_a_path_another_file_records(
        two_versions: tuple[GitRepo, str, str, str]) -> None:
    """``data/raw.csv.dvc`` cannot be read, ``dvc.lock`` records the path as the prepare
    stage's dependency: the version the lock names is shown, and the broken file told."""
    repo, _, _, _ = two_versions
    (repo.path / "data" / "raw.csv.dvc").write_text("outs:\n- md5: [\n")
    res = runner.invoke(app, ["show", "data/raw.csv", "-C", str(repo.path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    [said] = doc["warnings"]
    assert said.startswith("data/raw.csv.dvc:3: not valid YAML: "), said
    assert "as the checkout's other DVC files record it" in said, said
    assert "git checkout -- data/raw.csv.dvc, or dvc add data/raw.csv" in said, said
    # the first commit's lock (the work tree's) names raw.csv's first version
    graph = api.open_store(repo.path).load_graph()
    assert graph.attrs(doc["node"])["hash"] in said


def test_as_of_reads_no_checkout_and_warns_of_none(
        two_versions: tuple[GitRepo, str, str, str]) -> None:
    repo, _, _, _ = two_versions
    (repo.path / "dvc.lock").write_text("stages: [\n")
    code, out, err = _show(repo, "--json", "--as-of", "2026-12-31")
    assert code == 0, out + err
    assert "warnings" not in json.loads(out), out
