"""Push to an MCP JSON file: DataHub's own tools accept it; appends only changes; resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden" / "datahub"))

from fixture_graph import fixed_graph  # noqa: E402

from connectors.sinks.datahub.render import render  # noqa: E402
from connectors.sinks.datahub.sink import DataHubFileSink  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import ConfigError, InputError, SinkError  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402

DATAHUB = Path(sys.executable).with_name("datahub")
needs_cli = pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not installed")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def push(store: Store, tmp_path: Path, graph: Any = None, sink: Any = None,
         **options: Any) -> Any:
    ctx = PushContext(store=store, config=Config(), repo_path=tmp_path, options=options)
    return (sink or DataHubFileSink()).push(graph or fixed_graph(), ctx)


def records(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())


def datahub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd), "DATAHUB_TELEMETRY_ENABLED": "false"}
    return subprocess.run([str(DATAHUB), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=180)


def test_file_equals_acryl_file_sink_output(store: Store, tmp_path: Path) -> None:
    from datahub.ingestion.sink.file import write_metadata_file

    out = tmp_path / "mcps.json"
    result = push(store, tmp_path, dest="mcps.json")  # relative to the repository
    ref = tmp_path / "ref.json"
    write_metadata_file(ref, render(fixed_graph()))
    assert result.written == len(records(ref)) > 50
    assert records(out) == records(ref)


def test_destination_is_required(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a destination file"):
        push(store, tmp_path)


@needs_cli
def test_check_metadata_file_and_ingest_accept_it(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    push(store, tmp_path, dest=str(out))
    push(store, tmp_path, graph=fixed_graph(v2_metric=0.97), dest=str(out))  # an appended delta
    check = datahub("check", "metadata-file", str(out), cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert f"{len(records(out))} MCEs found - all valid" in check.stdout
    lite = tmp_path / "ingested.db"
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(f"source:\n  type: file\n  config:\n    path: {out}\n"
                      f"sink:\n  type: datahub-lite\n  config:\n    type: sqlite\n"
                      f"    config:\n      file: {lite}\n")
    ingest = datahub("ingest", "-c", str(recipe), cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stdout[-3000:] + ingest.stderr[-3000:]
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                          read_only=True)
    try:
        model = db.get("urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)", None)
        metrics = model["mlModelProperties"]["trainingMetrics"]  # the replay ends current
        assert metrics == [{"name": "auc", "value": "0.97"}]
    finally:
        db.close()


def test_appends_only_changes_and_replay_gives_current_state(store: Store,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    first = push(store, tmp_path, dest=str(out))
    snapshot = out.read_bytes()
    again = push(store, tmp_path, dest=str(out))
    assert again.written == 0 and out.read_bytes() == snapshot  # untouched
    changed = push(store, tmp_path, graph=fixed_graph(v2_metric=0.95), dest=str(out))
    recs = records(out)
    assert changed.written == 2 and len(recs) == first.written + 2
    assert {r["aspectName"] for r in recs[first.written:]} == \
        {"mlModelProperties", "mlTrainingRunProperties"}
    replay = {(r["entityUrn"], r["aspectName"]): r for r in recs}
    current = {(m.entityUrn, m.aspectName): m.to_obj(simplified_structure=True)
               for m in render(fixed_graph(v2_metric=0.95))}
    assert replay == current


def test_full_rewrites_and_a_lost_file_is_rebuilt(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    push(store, tmp_path, dest=str(out))
    push(store, tmp_path, graph=fixed_graph(v2_metric=0.95), dest=str(out))
    n = len(render(fixed_graph()))
    assert len(records(out)) == n + 2
    full = push(store, tmp_path, graph=fixed_graph(v2_metric=0.95), dest=str(out), full=True)
    assert full.written == n and len(records(out)) == n
    out.unlink()
    rebuilt = push(store, tmp_path, graph=fixed_graph(v2_metric=0.95), dest=str(out))
    assert rebuilt.written == n and len(records(out)) == n


class FailingSecondBatch(DataHubFileSink):
    batch_size = 25
    calls = 0

    def _write(self, mcps: list[Any]) -> None:
        FailingSecondBatch.calls += 1
        if FailingSecondBatch.calls == 2:
            raise OSError("disk full")
        super()._write(mcps)


def test_failure_half_way_leaves_a_valid_file_and_resumes(store: Store,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    n = len(render(fixed_graph()))
    with pytest.raises(SinkError, match="disk full") as info:
        push(store, tmp_path, sink=FailingSecondBatch(), dest=str(out))
    assert info.value.result.written == 25  # type: ignore[attr-defined]
    assert len(records(out)) == 25  # still a valid JSON array
    resumed = push(store, tmp_path, dest=str(out))
    assert resumed.written == n - 25
    keys = [(r["entityUrn"], r["aspectName"]) for r in records(out)]
    assert len(keys) == len(set(keys)) == n  # nothing lost, nothing twice


def test_refuses_to_append_to_a_file_that_is_not_an_mcp_array(store: Store,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    push(store, tmp_path, dest=str(out))
    out.write_text('{"not": "an array"}')
    with pytest.raises(InputError, match="not a JSON array"):
        push(store, tmp_path, graph=fixed_graph(v2_metric=0.5), dest=str(out))
    assert out.read_text() == '{"not": "an array"}'
