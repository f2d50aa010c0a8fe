"""`high-risk-docs` and a document recorded as a repository path whose file is not there: the
harvest pins no content for it (it only warns), so it proves no document exists and does not
satisfy the requirement; the finding names the document and why. A URL document counts as
recorded. Real git repository; records through the CLI, but for the hand-written record file
that names a file nobody committed."""

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


def _docs_findings(repo: GitRepo) -> list[dict[str, Any]]:
    res = runner.invoke(app, ["audit", "-C", str(repo.path), "--format", "json", "--rule",
                              "high-risk-docs"])
    assert res.exit_code in (0, 1), res.output
    return list(json.loads(res.stdout)["findings"])


def test_a_document_path_with_no_file_does_not_count_a_url_does(git_repo: GitRepo) -> None:
    r = git_repo
    r.write("model.bin", "m\n")
    r.write("lineage-policy.yaml", "high_risk_documents: [model_card, bias_report]\n")
    # written by hand, naming a file that was never committed
    r.write("governance/document/card.yaml", "id: card\nkind: document\ndoc_kind: model_card\n"
            "uri: docs/model_card.md\nmodel: churn@v1.0.0\nat: 2026-01-02T00:00:00Z\n")
    r.commit("model and its card's record")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    api.init(r.path)
    res = api.harvest(r.path)
    assert any("docs/model_card.md" in w.message for w in res.report.warnings)
    _cli(r, "record", "assessment", "--group", "churn", "--tier", "high", "--assessor",
         "rita@example.com", "--date", "2026-01-05", "--next-review", "2027-06-01")
    _cli(r, "record", "document", "--model", "churn@v1.0.0", "--type", "bias_report",
         "--uri", "https://wiki.example.com/churn/bias", "--at", "2026-01-03")

    (f,) = _docs_findings(r)
    assert f["message"].startswith("churn@v1.0.0 lacks: model_card ("), f["message"]
    assert "document card names docs/model_card.md" in f["message"]
    assert "no content pin" in f["message"]
    assert "bias_report" not in f["message"].split(" (", 1)[0]  # the URL counts
    assert "commit each document's file" in f["remediation"]
    # show says the same of the document, where it lists it
    shown = runner.invoke(app, ["show", "-C", str(r.path), "churn@v1.0.0"],
                          env={"COLUMNS": "240"})
    assert shown.exit_code == 0, shown.output
    assert "does not count:" in shown.output, shown.output

    # the file committed and the document recorded again with it: pinned, it counts
    r.write("docs/model_card.md", "# churn\n")
    r.commit("the card")
    _cli(r, "record", "document", "--model", "churn@v1.0.0", "--type", "model_card",
         "--uri", "docs/model_card.md", "--at", "2026-01-02", "--prop", "supersedes=card")
    assert _docs_findings(r) == []
