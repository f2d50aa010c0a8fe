"""`lineage show` as a person reads it: subjects and commands cut short say so."""

from __future__ import annotations

from typer.testing import CliRunner

from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()

SUBJECT = ("Retrain churn on January data (drift alert churn-psi-2026-01-09, see ML-14 "
           "for the analysis)")


def test_a_long_commit_subject_is_cut_with_an_ellipsis(git_repo: GitRepo) -> None:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit(SUBJECT + "\n\nBody text that is never shown.")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    repo = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", repo]).exit_code == 0
    assert runner.invoke(app, ["harvest", "-C", repo]).exit_code == 0
    res = runner.invoke(app, ["show", "churn@v1.0.0", "-C", repo], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "tagged ← commit" in x)
    shown = line.split("tagged ← commit ", 1)[1].split(" ", 1)[1].rstrip()
    # either the whole subject, or a prefix of it that says it goes on
    assert shown == SUBJECT or (shown.endswith("…") and SUBJECT.startswith(shown[:-1])), line
    assert "Body text" not in res.output


def test_alerts_documents_and_retrainings_say_what_they_are(quickstart_demo: object) -> None:
    res = runner.invoke(app, ["show", "churn@v1.1.0"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    alert = next(x for x in lines if "alerts ← alert churn-psi-2026-01-09" in x)
    assert "psi=0.31" in alert and "open" in alert, alert
    assert any("alert churn-psi-2026-01-21" in x and "resolved" in x for x in lines), lines
    assert any("retraining churn-v1.1.0 drift" in x for x in lines), lines
    assert any("document churn-v1.1.0-model-card model_card" in x for x in lines), lines


def _wrapped_mid_paragraph(help_text: str, width: int) -> list[tuple[str, str]]:
    """Pairs of prose lines of a ``--help`` text broken although the next word fitted."""
    body = help_text.split("Usage:", 1)[1].split("Examples:", 1)[0]
    lines = [x.strip() for x in body.splitlines()[1:]]
    out = []
    for prev, nxt in zip(lines, lines[1:], strict=False):
        if prev and nxt and len(prev) + 1 + len(nxt.split()[0]) <= width - 4:
            out.append((prev, nxt))
    return out


def test_help_paragraphs_are_wrapped_by_the_terminal_not_the_source() -> None:
    res = runner.invoke(app, ["show", "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert _wrapped_mid_paragraph(res.output, 80) == [], res.output
    assert "lineage show churn@v1.1.0" in res.output
