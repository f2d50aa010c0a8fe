"""`transparency-notice` counts documents as `high-risk-docs` does: a transparency notice
recorded as a repository path whose file is not there pins no content (the harvest only
warns), so it proves no notice exists and does not satisfy the rule; the finding names the
document and why. A URL notice counts as recorded, and so does the path once its file is
committed and the notice recorded again. Real git repository; records through the CLI, but for
the hand-written record file that names a file nobody committed."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


def _cli(repo: GitRepo, *args: str) -> None:
    res = runner.invoke(app, [*args[:2], "-C", str(repo.path), *args[2:]])
    assert res.exit_code == 0, res.output


def _notice_findings(repo: GitRepo) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              "transparency-notice"])
    assert res.exit_code in (0, 1), res.output
    return list(json.loads(res.stdout)["findings"])


def _limited_model(r: GitRepo) -> None:
    """churn@v1.0.0 of a limited-risk group, with a transparency notice recorded by hand as
    docs/notice.md, a file never committed."""
    r.write("model.bin", "m\n")
    r.write("governance/document/notice.yaml", "id: notice\nkind: document\n"
            "doc_kind: transparency_notice\nuri: docs/notice.md\nmodel: churn@v1.0.0\n"
            "at: 2026-01-02T00:00:00Z\n")
    r.commit("model and its notice's record")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    api.init(r.path)
    res = api.harvest(r.path)
    assert any("docs/notice.md" in w.message for w in res.report.warnings)
    _cli(r, "record", "assessment", "--group", "churn", "--tier", "limited", "--assessor",
         "rita@example.com", "--date", "2026-01-05", "--next-review", "2027-06-01")


def test_a_notice_path_with_no_file_does_not_count(git_repo: GitRepo) -> None:
    r = git_repo
    _limited_model(r)

    (f,) = _notice_findings(r)
    assert f["message"].startswith("churn@v1.0.0 has no transparency notice ("), f["message"]
    assert "transparency_notice: document notice names docs/notice.md" in f["message"]
    assert "no content pin" in f["message"]
    assert "commit each document's file" in f["remediation"]
    assert "document:notice" in f["evidence"]

    # the file committed and the notice recorded again with it: pinned, it counts
    r.write("docs/notice.md", "# what churn does with your data\n")
    r.commit("the notice")
    _cli(r, "record", "document", "--model", "churn@v1.0.0", "--type", "transparency_notice",
         "--uri", "docs/notice.md", "--at", "2026-01-02", "--prop", "supersedes=notice")
    assert _notice_findings(r) == []


def test_a_notice_given_as_a_url_counts(git_repo: GitRepo) -> None:
    r = git_repo
    _limited_model(r)
    _cli(r, "record", "document", "--model", "churn@v1.0.0", "--type", "transparency_notice",
         "--uri", "https://wiki.example.com/churn/notice", "--at", "2026-01-03")
    assert _notice_findings(r) == []
