"""After an upgrade of lineage whose DataHub mapping writes an aspect differently, the next
push sends the aspects that changed, also of entities whose facts did not: the entities are
planned again, not skipped as unchanged views (the catalog kept the old mapping's aspects
until a --full push)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

from connectors.sinks.datahub import render as render_module  # noqa: E402
from connectors.sinks.datahub.sink import DataHubFileSink  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.model import NodeKind  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402

GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"


def _group_props(dest: Path) -> dict[str, Any]:
    got = [m["aspect"]["json"] for m in json.loads(dest.read_text())
           if m["entityUrn"] == GROUP and m["aspectName"] == "mlModelGroupProperties"]
    return got[-1]["customProperties"]  # the file is a change log: its last record counts


def test_a_new_mapping_reaches_a_catalog_of_unchanged_facts(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    graph = fixed_graph()
    (group,) = graph.node_ids(NodeKind.MODEL_GROUP)
    graph.attrs(group).pop("intended_purpose")
    graph.attrs("risk_assessment:RA-1")["intended_purpose"] = "Rank customers"
    dest = tmp_path / "mcps.json"
    # the lineage before the upgrade: its mapping code (another render.py) wrote the group
    # without the property the current mapping adds
    older = tmp_path / "render.py"
    shutil.copy(render_module.__file__, older)
    older.write_text(older.read_text() + "\n# an earlier release\n")
    current = render_module._BUILDERS["group"]

    def old_group(p: Any) -> Any:
        for urn, aspect in current(p):
            if aspect.get_aspect_name() == "mlModelGroupProperties":
                aspect.customProperties.pop("intended_purpose_of", None)
            yield urn, aspect

    with Store.init(tmp_path / ".lineage") as store:
        ctx = PushContext(store=store, config=Config(), repo_path=tmp_path,
                          options={"dest": str(dest)})
        with monkeypatch.context() as m:
            m.setattr(render_module, "__file__", str(older))
            m.setitem(render_module._BUILDERS, "group", old_group)
            assert DataHubFileSink().push(graph, ctx).written > 0
        assert "intended_purpose_of" not in _group_props(dest)
        upgraded = DataHubFileSink().push(graph, ctx)
        assert upgraded.written == 1  # the group's properties, nothing else changed
        assert _group_props(dest)["intended_purpose_of"] == "risk_assessment"
        assert DataHubFileSink().push(graph, ctx).written == 0
