"""``lineage show``'s provenance tree gives each run its start and end (UTC, to the second, as
the rest of show prints times), so a reader can compare them with the version's registration;
a run whose source kept no time says nothing of it. A run the audit does not take as the
version's (it started after the version was registered) is marked in the tree."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from lineage.cli.show import _notes, _provenance_tree
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind

VERSION = "model:churn@v1.0.0"


def _graph(**run_times: Any) -> LineageGraph:
    g = LineageGraph()
    g.add_node(Node.make(NodeKind.MODEL, VERSION, group="churn", version="v1.0.0",
                         registry="gto", created_at="2026-01-01T02:00:00Z"))
    g.add_node(Node.make(NodeKind.RUN, "run:lineage:late", source="lineage", run_id="late",
                         status="FINISHED", **run_times))
    g.add_edge(Edge.make(EdgeKind.PRODUCED, "run:lineage:late", VERSION))
    return g


def _text(g: LineageGraph, notes: dict[str, str] | None = None) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(_provenance_tree(g, VERSION, 12, notes))
    return console.export_text()


def test_a_runs_start_and_end_are_in_the_tree() -> None:
    out = _text(_graph(start_time="2026-01-01T04:00:00+00:00",
                       end_time="2026-01-01T06:30:00.250000+01:00"))
    (line,) = [ln for ln in out.splitlines() if "run:lineage:late" not in ln and "late" in ln]
    assert "FINISHED" in line
    assert "started 2026-01-01T04:00:00Z" in line and "ended 2026-01-01T05:30:00Z" in line, line


def test_a_run_without_times_says_none() -> None:
    out = _text(_graph())
    assert "started" not in out and "ended" not in out, out


def test_a_run_that_started_after_the_registration_is_marked() -> None:
    gov = {"version": VERSION, "runs": [{"id": "run:lineage:late", "started_after_registration": {
        "registered_at": "2026-01-01T02:00:00Z", "by": "its GTO tag churn@v1.0.0",
        "node": VERSION}}]}
    out = _text(_graph(start_time="2026-01-01T04:00:00Z"), _notes(gov))
    assert "started after churn@v1.0.0 was registered (2026-01-01T02:00:00Z)" in out, out
    assert "not the run that produced it" in out, out


def test_a_run_shown_again_refers_to_the_line_with_its_times() -> None:
    """The run wrote the version's artifact and produced it: two lines, its times on the
    first, the second ``(see above)``."""
    g = _graph(start_time="2026-01-01T01:00:00Z", end_time="2026-01-01T01:30:00Z")
    data = "data:example.com/churn:models/churn.bin@md5:00000000000000000000000000000000"
    g.add_node(Node.make(NodeKind.DATA, data, path="models/churn.bin",
                         hash="md5:00000000000000000000000000000000"))
    g.add_edge(Edge.make(EdgeKind.OUTPUT, "run:lineage:late", data))
    g.add_edge(Edge.make(EdgeKind.ARTIFACT, data, VERSION))
    lines = [ln for ln in _text(g).splitlines() if "lineage:late" in ln]
    assert len(lines) == 2, lines
    assert "started 2026-01-01T01:00:00Z ended 2026-01-01T01:30:00Z" in lines[0], lines
    assert lines[1].rstrip().endswith("FINISHED (see above)"), lines
