"""The audit of DataHub Lite scopes the same runs as the audit of the store: an OpenLineage job
writing a folder the demo's training runs read (``data/prepared``) is upstream of the models in
the catalog too, so its findings (``run-code-pinned``, ``run-data-pinned``) are not lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from lineage.model import NodeKind
from tests.integration.test_audit_run_scope import AS_OF, PREP, _airflow_events

pytest.importorskip("datahub")

runner = CliRunner()


def _audit(repo: Path, *args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["audit", "-C", str(repo), *AS_OF, "--json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_catalog_audit_scopes_the_runs_the_store_audit_scopes(quickstart_demo: Path) -> None:
    demo = quickstart_demo
    (demo / "openlineage").mkdir()
    (demo / "openlineage" / "nightly.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in _airflow_events(demo)))
    for cmd in (["harvest"], ["push", "--to", "datahub-lite"]):
        res = runner.invoke(app, [*cmd, "-C", str(demo)])
        assert res.exit_code == 0, res.output
    store = _audit(demo)
    lite = _audit(demo, "--source", "datahub-lite")
    assert store["summary"]["runs_out_of_scope"] == 2
    assert lite["summary"]["runs_out_of_scope"] == 2
    found = {(f["rule"], f["subject"]) for f in lite["findings"]}
    assert ("run-code-pinned", f"run:openlineage:{PREP}") in found
    assert ("run-data-pinned", f"run:openlineage:{PREP}") in found
    assert sorted(found) == sorted((f["rule"], f["subject"]) for f in store["findings"])


def test_run_edges_keep_their_repository_path(quickstart_demo: Path) -> None:
    """The paths a run's edges name come back as the store has them, and no other."""
    from connectors.sinks.datahub.reader import read_lite
    from lineage import api

    demo = quickstart_demo
    (demo / "openlineage").mkdir()
    (demo / "openlineage" / "nightly.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in _airflow_events(demo)))
    api.harvest(demo)
    res = runner.invoke(app, ["push", "--to", "datahub-lite", "-C", str(demo)])
    assert res.exit_code == 0, res.output

    def paths(graph: Any) -> dict[tuple[str, str, str], Any]:
        return {(e.source, e.kind.value, e.target): e.attrs.get("path")
                for r in graph.node_ids(NodeKind.RUN)
                for e in [*graph.in_edges(r), *graph.out_edges(r)]
                if e.kind.value in ("input", "output")}

    store = api.open_store(demo).load_graph()
    lite = read_lite(repo=demo)
    prepared = f"data:file:{demo}/data/prepared@unversioned"
    assert paths(lite)[(f"run:openlineage:{PREP}", "output", prepared)] == "data/prepared"
    assert paths(lite) == paths(store)
