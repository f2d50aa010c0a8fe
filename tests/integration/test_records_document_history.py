"""`lineage record document --content-hash H` names the document's file as it is, or a
version of it some commit of the repository holds (any branch or tag): the correction the
audit suggests for a document recorded before its file changed names the hash it was recorded
with. The command says which commit holds it; a hash no version of the file ever had is
refused, with the file's hash now in the hint."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo
from tests.integration.test_audit_as_of_records import _Clock, record
from tests.integration.test_audit_as_of_records import clock as clock  # noqa: F401 (fixture)

runner = CliRunner()
V1, V2 = "# Bias report\n", "# Bias report, edited in July\n"


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def document(repo: GitRepo, *args: str) -> Any:
    return runner.invoke(app, ["record", "document", "--type", "bias_report", "--group",
                               "churn", "--uri", "docs/bias.md", *args, "--json", "-C",
                               str(repo.path)])


def events(repo: GitRepo) -> int:
    store = api.open_store(repo.path)
    try:
        return store.head()[0]
    finally:
        store.close()


def edited(git_repo: GitRepo) -> str:
    """docs/bias.md committed as V1, then V2 committed on top: returns the V1 commit."""
    git_repo.write("docs/bias.md", V1)
    first = git_repo.commit("bias report")
    git_repo.write("docs/bias.md", V2)
    git_repo.commit("edit the bias report")
    api.init(git_repo.path)
    return first


def test_a_hash_a_commit_holds_is_recorded_naming_the_commit(git_repo: GitRepo) -> None:
    first = edited(git_repo)
    res = document(git_repo, "--content-hash", sha256(V1).upper().replace("SHA256", "sha256"),
                   "--id", "bias-v1")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["record"]["content_hash"] == sha256(V1)
    assert out["warnings"] == [
        f"document docs/bias.md: content_hash {sha256(V1)} is the file as commit {first} "
        f"holds it (the work tree's file has {sha256(V2)} now): the record pins that version"]
    # the harvest pins it to that commit (the joins' defines edge), as a fresh record would be
    assert runner.invoke(app, ["harvest", "-C", str(git_repo.path)]).exit_code == 0
    store = api.open_store(git_repo.path)
    try:
        defines = [e.source for e in store.iter_edges()
                   if e.target == "document:bias-v1" and str(e.kind) == "defines"]
    finally:
        store.close()
    assert defines == [f"commit:{first}"]


def test_a_hash_of_another_branch_counts(git_repo: GitRepo) -> None:
    git_repo.write("docs/bias.md", V2)
    git_repo.commit("bias report")
    git_repo.git("checkout", "-q", "-b", "draft")
    git_repo.write("docs/bias.md", V1)
    draft = git_repo.commit("draft of the report")
    git_repo.git("checkout", "-q", "main")
    api.init(git_repo.path)
    res = document(git_repo, "--content-hash", sha256(V1))
    assert res.exit_code == 0, res.output
    assert f"commit {draft}" in json.loads(res.stdout)["warnings"][0]


def test_a_hash_no_version_had_is_refused_with_the_file_s_hash(git_repo: GitRepo) -> None:
    edited(git_repo)
    before = events(git_repo)
    wrong = "sha256:" + "0" * 64
    res = document(git_repo, "--content-hash", wrong)
    assert res.exit_code == 2, res.output
    assert (f"error: command line (--content-hash): content_hash {wrong} is no version of "
            f"docs/bias.md: neither the file ({sha256(V2)} now) nor any commit of the "
            "repository has that content") in res.stderr
    assert f"hint: check the hash: the file as it is now has {sha256(V2)}" in res.stderr
    assert events(git_repo) == before
    # the file as it is, uncommitted, is a version of it
    git_repo.write("docs/bias.md", "# Bias report, draft 3\n")
    res = document(git_repo, "--content-hash", sha256("# Bias report, draft 3\n"))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["warnings"] == []


def test_a_deleted_file_is_recorded_by_the_hash_a_commit_holds(git_repo: GitRepo) -> None:
    first = edited(git_repo)
    git_repo.git("rm", "-q", "docs/bias.md")
    git_repo.commit("drop the report")
    res = document(git_repo, "--content-hash", sha256(V1))
    assert res.exit_code == 0, res.output
    assert f"commit {first} holds it (it is no file any more)" in \
        json.loads(res.stdout)["warnings"][0]
    # without a hash it pins nothing: refused as before
    res = document(git_repo)
    assert res.exit_code == 2
    assert "document docs/bias.md names no file in the repository" in res.stderr
    res = document(git_repo, "--content-hash", sha256(V1 + "x"))
    assert res.exit_code == 2
    assert "names no file" in res.stderr


def test_the_audit_s_correction_of_a_committed_document_changed_since(clock: _Clock) -> None:
    """The case tests/integration/test_audit_document_fix.py leaves refused is a file never
    committed: its first content is no version of the repository any more. Committed, the
    correction the audit prints is recorded after the file changed."""
    Path("docs").mkdir()
    Path("docs/bias.md").write_text(V1)
    env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "add", "docs/bias.md"], check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "bias report"], check=True, env=env)
    record(clock, "2026-06-15T00:00:00Z", "document", "--model", "churn@v2.0.0", "--type",
           "bias_report", "--uri", "docs/bias.md", "--id", "churn-bias")
    res = runner.invoke(app, ["audit", "--format", "json", "--as-of", "2026-03-01"])
    [fix] = [f["remediation"] for f in json.loads(res.stdout)["findings"]
             if f["rule"] == "high-risk-docs" and f["subject"] == "model:churn@v2.0.0"]
    assert f"--content-hash {sha256(V1)}" in fix, fix
    Path("docs/bias.md").write_text(V2)
    cmd = shlex.split(fix.split(": ", 1)[1].replace("<date issued>", "2026-02-01"))
    record(clock, "2026-07-02T00:00:00Z", *cmd[2:])
    res = runner.invoke(app, ["audit", "--format", "json", "--as-of", "2026-03-01"])
    assert "model:churn@v2.0.0" not in {f["subject"] for f in json.loads(res.stdout)["findings"]
                                        if f["rule"] == "high-risk-docs"}
