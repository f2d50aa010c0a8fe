"""`lineage show RUN` takes an OpenLineage run under any spelling of its UUID runId, as the
harvester and the records do (it is stored lower case and hyphenated)."""

from __future__ import annotations

import pytest

from lineage import api
from lineage.errors import ConfigError
from lineage.graph import LineageGraph
from lineage.model import Node, NodeKind

RUN = "run:openlineage:0190a5b2-0000-7000-8000-00000000abcd"


@pytest.mark.parametrize("typed", [
    RUN, RUN.upper().replace("RUN:OPENLINEAGE:", "run:openlineage:"),
    "run:openlineage:0190a5b200007000800000000000abcd"])
def test_a_run_under_another_spelling_of_its_run_id(typed: str) -> None:
    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, RUN, source="openlineage", run_id=RUN.split(":")[-1],
                     status="COMPLETE")])
    assert api.resolve_ref(g, typed) == RUN


def test_another_run_id_is_still_nothing() -> None:
    g = LineageGraph()
    g.add([Node.make(NodeKind.RUN, RUN, source="openlineage", run_id=RUN.split(":")[-1],
                     status="COMPLETE")])
    with pytest.raises(ConfigError, match="nothing in the lineage graph matches"):
        api.resolve_ref(g, "run:openlineage:0190a5b200007000800000000000abce")
