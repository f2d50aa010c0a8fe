"""A run that started after a model version was registered did not produce it, whatever it
wrote at the artifact's path: the review's reproduction on a real git + DVC repository with a
GTO registration tag, and real OpenLineage events.

``joins`` credits a run with PRODUCED by the artifact's md5 (or its commit, or the version's
URI); a run that started more than the tolerated clock skew (the audit's ``RECORD_SKEW``, 5
minutes) after the version's registration gets no such edge, with one warning naming run and
version, so ``model-has-run`` still reports a version no run is known to have produced. Times
compare as instants, whatever time zone each is written in."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

MODEL = '{"weights": [0.1, 0.2]}\n'
RUN = "0190a5b2-0000-7000-8000-0000000000{:02x}"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def registered(git_repo: GitRepo) -> tuple[GitRepo, datetime]:
    """model.json added with `dvc add`, declared a GTO artifact in dvc.yaml, committed and
    registered as churn@v1.0.0 (GTO's annotated tag); returns the tag's date."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("model.json", MODEL)
    r.dvc("add", "-q", "model.json")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: model.json\n    type: model\n")
    r.commit("model trained")
    r.tag("churn@v1.0.0", "Registering artifact churn version v1.0.0")
    when = r.git("for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/churn@v1.0.0")
    api.init(r.path)
    return r, datetime.fromisoformat(when)


def _events(r: GitRepo, *times: str) -> list[str]:
    """One OpenLineage run per time: a COMPLETE event (no START: it started then) writing
    model.json with its md5, at the tagged commit. Their node ids."""
    sha = r.git("rev-parse", "HEAD")
    lines = []
    for i, t in enumerate(times):
        lines.append(json.dumps({
            "eventType": "COMPLETE", "eventTime": t, "producer": "https://example.com/ci",
            "run": {"runId": RUN.format(i)},
            "job": {"namespace": "ci", "name": "train", "facets": {"sourceCodeLocation": {
                "type": "git", "url": "https://example.com/churn", "version": sha}}},
            "outputs": [{"namespace": "file", "name": str(r.path / "model.json"), "facets": {
                "version": {"datasetVersion": _md5(MODEL)}}}]}))
    r.write("openlineage/events.jsonl", "\n".join(lines) + "\n")
    return [f"run:openlineage:{RUN.format(i)}" for i in range(len(times))]


def _producers(r: GitRepo) -> list[str]:
    graph = api.open_store(r.path).load_graph()
    return sorted(e.source for e in graph.in_edges("model:churn@v1.0.0", EdgeKind.PRODUCED))


def _iso(t: datetime, offset_hours: int = 0) -> str:
    return t.astimezone(UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=offset_hours))).isoformat()


def test_a_run_that_started_after_the_registration_did_not_produce_it(
        registered: tuple[GitRepo, datetime]) -> None:
    r, tagged = registered
    (late,) = _events(r, _iso(tagged + timedelta(hours=1)))
    res = api.harvest(r.path)
    assert _producers(r) == []
    (w,) = [w for w in res.report.warnings if w.source == "joins"]
    assert late in w.message and "churn@v1.0.0" in w.message and "5 minutes" in w.message
    assert "did not produce it" in w.message
    show = CliRunner().invoke(app, ["show", "-C", str(r.path), "churn@v1.0.0"])
    assert show.exit_code == 0, show.stdout
    assert late not in show.stdout
    audit = CliRunner().invoke(app, ["audit", "-C", str(r.path), "--format", "json"])
    rules = {(f["rule"], f["subject"]) for f in json.loads(audit.stdout)["findings"]}
    assert ("model-has-run", "model:churn@v1.0.0") in rules
    assert api.harvest(r.path).new_events == 0  # told once: nothing new, nothing joined


def test_runs_before_or_within_the_clock_skew_produced_it(
        registered: tuple[GitRepo, datetime]) -> None:
    """Before the tag, within 5 minutes after it (clock skew between CI and the machine that
    tagged), and before it written in another time zone whose clock reads later: producers.
    Six minutes after: not."""
    r, tagged = registered
    before, skewed, zoned, late = _events(
        r, _iso(tagged - timedelta(minutes=30)), _iso(tagged + timedelta(minutes=4)),
        _iso(tagged - timedelta(minutes=30), offset_hours=5),  # reads 4:30 later than the tag
        _iso(tagged + timedelta(minutes=6), offset_hours=-8))  # reads 8 hours earlier
    res = api.harvest(r.path)
    assert _producers(r) == sorted([before, skewed, zoned])
    assert [late in w.message for w in res.report.warnings if w.source == "joins"] == [True]


def test_a_store_joined_before_loses_the_edge(registered: tuple[GitRepo, datetime],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A store the earlier rules joined (the late run credited): the first harvest after the
    upgrade withdraws its PRODUCED edge, the log verifies, and the next writes nothing."""
    from connectors.harvesters import joins
    from lineage.audit import registry

    r, tagged = registered
    (late,) = _events(r, _iso(tagged + timedelta(days=2)))
    with monkeypatch.context() as m:  # the rules before: no time compared
        m.setattr(joins, "RULES_VERSION", "3")
        m.setattr(registry, "RECORD_SKEW", timedelta(days=36500))
        assert api.harvest(r.path).report.warnings == []
    assert _producers(r) == [late]
    res = api.harvest(r.path)
    assert [(h.name, h.stats.edges_withdrawn) for h in res.harvesters
            if h.stats.total] == [("joins", {"produced": 1})]
    assert _producers(r) == []
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0
