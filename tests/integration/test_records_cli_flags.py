"""A bad value given to `lineage record …` is named by the option typed, not the YAML field."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()


@pytest.mark.parametrize(("args", "said", "hint"), [
    (["document", "--type", "bias-report", "--uri", "https://example.com/b", "-m", "churn@v1"],
     "command line (--type): Input should be 'model_card', 'datasheet', 'bias_report', "
     "'evaluation', 'transparency_notice', 'data_governance' or 'other' (got 'bias-report')",
     "did you mean 'bias_report'?"),
    (["document", "--doc-kind=bias-report", "--uri", "https://example.com/b", "-m", "churn@v1"],
     "command line (--doc-kind): Input should be", "did you mean 'bias_report'?"),
    (["approval", "-m", "churn@v1", "--approver", "rita", "--decided-at", "2026-02-30"],
     "command line (--decided-at): Input should be a valid datetime or date, day value is "
     "outside expected range (got '2026-02-30')", "write a date that exists"),
    (["assessment", "--group", "churn", "--tier", "hgh"],
     "command line (--tier): Input should be 'unacceptable', 'high', 'limited' or 'minimal' "
     "(got 'hgh')", "did you mean 'high'?"),
    (["retraining", "--trigger", "data_change"],
     "command line (--trigger): Input should be 'drift', 'schedule', 'data-change' or "
     "'manual' (got 'data_change')", "did you mean 'data-change'?"),
    (["alert", "-m", "churn@v1", "--metric", "psi", "--status", "Resolvd"],
     "command line (--status):", "did you mean 'resolved'?"),
    (["approval", "--model", "churn", "--approver", "rita"],
     "command line (--model): expected a model version as name@version (got 'churn')",
     "write model versions as name@version"),
    (["assessment", "-g", "churn", "--tier", "high", "--date", "soon"],
     "command line (--date):", "write a date that exists"),
])
def test_the_option_typed_is_named_with_the_value_meant(churn_repo: GitRepo, args: list[str],
                                                        said: str, hint: str) -> None:
    res = runner.invoke(app, ["record", *args, "-C", str(churn_repo.path)])
    assert res.exit_code == 2, res.output
    assert f"error: {said}" in res.stderr
    assert f"hint: {hint}" in res.stderr
    assert api.open_store(churn_repo.path).head()[0] == 0


def test_every_bad_option_is_listed_each_with_its_fix(churn_repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "approval", "-m", "churn@v1", "--approver", "rita",
                              "--decision", "aproved", "--decided-at", "yesterday",
                              "-C", str(churn_repo.path)])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == [
        "error: command line (--decision): Input should be 'approved', 'rejected' or "
        "'conditional' (got 'aproved') — did you mean 'approved'?",
        "command line (--decided-at): Input should be a valid datetime or date, input is too "
        "short (got 'yesterday') — write a date that exists, in ISO 8601: 2026-01-20 or "
        "2026-01-20T10:00:00Z"]
