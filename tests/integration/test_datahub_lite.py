"""Push to a real DataHub Lite file; read it back through acryl-datahub's Lite API and CLI."""

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

from fixture_graph import MD5_TRAIN, SHA2, fixed_graph  # noqa: E402

from connectors.sinks.datahub.render import render  # noqa: E402
from connectors.sinks.datahub.sink import DataHubLiteSink, lite_config  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import SinkError, ValidationFailed  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Node, NodeKind  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402

DATAHUB = Path(sys.executable).with_name("datahub")
MODEL_V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx_for(store: Store, tmp_path: Path, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path, options=options)


def read_lite(path: Path) -> Any:
    from datahub.lite.lite_util import get_datahub_lite

    return get_datahub_lite(lite_config(path, read_only=True), read_only=True)


def versions(path: Path) -> dict[tuple[str, str], int]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return {(u, a): n for u, a, n in conn.execute(
            "SELECT urn, aspect_name, max(version) FROM metadata_aspect_v2 GROUP BY 1, 2")}


def test_default_file_fast_options_and_chain_readable(store: Store, tmp_path: Path) -> None:
    result = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    assert result.written == len(render(fixed_graph())) and result.failed == 0
    assert result.details["destination"] == str(lite_file.resolve())
    import sqlite3

    with sqlite3.connect(lite_file) as conn:  # the fast options are on the file
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    lite = read_lite(lite_file)
    try:
        # deployment → version → run → data, with the edge properties
        dep_urn = next(u for u in lite.list_ids() if u.startswith("urn:li:mlModelDeployment:"))
        model = lite.get(MODEL_V2, None)
        props = model["mlModelProperties"]
        assert props["deployments"] == [dep_urn]
        dep = lite.get(dep_urn, None)
        assert dep["mlModelDeploymentProperties"]["version"]["versionTag"] == "v1.1.0"
        run_urn = props["trainingJobs"][0]
        run = lite.get(run_urn, None)
        assert run["subTypes"]["typeNames"] == ["ML Training Run"]
        edge = run["dataProcessInstanceInput"]["inputEdges"][0]
        assert edge["properties"]["dvc_md5"] == MD5_TRAIN.removeprefix("md5:")
        assert edge["properties"]["git_commit"] == SHA2
        data = lite.get(edge["destinationUrn"], None)
        assert data["datasetProperties"]["name"] == "data/train.csv"
        assert MODEL_V2 in [e["destinationUrn"]
                            for e in run["dataProcessInstanceOutput"]["outputEdges"]]
        sp = {p["propertyUrn"]: p["values"]
              for p in model["structuredProperties"]["properties"]}
        assert sp["urn:li:structuredProperty:io.lineage.riskTier"] == [{"string": "high"}]
    finally:
        lite.close()


def _cli(home: Path, *args: str) -> str:
    env = {**os.environ, "HOME": str(home), "DATAHUB_TELEMETRY_ENABLED": "false"}
    out = subprocess.run([str(DATAHUB), *args], env=env, capture_output=True, text=True,
                         timeout=120, cwd=home)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not installed next to python")
def test_datahub_lite_cli_shows_the_entities(store: Store, tmp_path: Path) -> None:
    lite_file = tmp_path / "catalog.db"
    DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path, dest=str(lite_file)))
    home = tmp_path / "home"
    home.mkdir()
    # the `datahub lite` CLI reads its configuration from ~/.datahubenv only
    (home / ".datahubenv").write_text(
        "gms:\n  server: http://localhost:8080\n"
        f"lite:\n  type: sqlite\n  config:\n    file: {lite_file}\n")
    top = _cli(home, "lite", "ls", "/").split()
    assert {"mlmodeldeployments", "incidents"} <= set(top)
    # model groups and versions are browsed under their repository, beside its DVC files
    repo = "/data_platforms/dvc/instances/default/repositorys/churn"
    assert {"mlmodels", "mlmodelgroups"} <= set(_cli(home, "lite", "ls", repo).split())
    assert MODEL_V2 in _cli(home, "lite", "ls", f"{repo}/mlmodels").split()
    found = [json.loads(line) for line in _cli(home, "lite", "search", "churn").splitlines()
             if line.startswith("{")]
    assert MODEL_V2 in {f["id"] for f in found}
    got = json.loads(_cli(home, "lite", "get", "--urn", MODEL_V2))
    assert got["mlModelProperties"]["name"] == "churn_v1.1.0"
    assert got["institutionalMemory"]["elements"][0]["url"] == \
        "https://tickets.acme.example/APR-7"


def test_repush_writes_nothing_and_change_writes_only_the_change(store: Store,
                                                                  tmp_path: Path) -> None:
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    first = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    again = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    assert (again.written, again.unchanged) == (0, first.written)
    before = versions(lite_file)
    changed = DataHubLiteSink().push(fixed_graph(v2_metric=0.95), ctx_for(store, tmp_path))
    assert changed.written == 2 and changed.unchanged == first.written - 2
    after = versions(lite_file)
    bumped = {k for k in after if after[k] != before.get(k)}
    assert {a for _, a in bumped} == {"mlModelProperties", "mlTrainingRunProperties"}
    assert MODEL_V2 in {u for u, _ in bumped}
    events = [e for e in store.events() if e.kind == "push"]
    assert [e.payload["written"] for e in events] == [first.written, 0, 2]


class FlakyLite(DataHubLiteSink):
    """Writes ``budget`` MCPs, then fails like a target that went away mid-batch."""

    budget = 30

    def _write(self, mcps: list[Any]) -> None:
        for m in mcps:
            if FlakyLite.budget <= 0:
                raise SinkError("target went away")
            FlakyLite.budget -= 1
            self.lite.write(m)


def test_failed_push_resumes_without_loss_or_duplicates(store: Store, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    total = len(render(fixed_graph()))
    monkeypatch.setattr(FlakyLite, "batch_size", 20)
    FlakyLite.budget = 30
    with pytest.raises(SinkError) as info:
        FlakyLite().push(fixed_graph(), ctx_for(store, tmp_path))
    partial = info.value.result  # type: ignore[attr-defined]
    assert partial.written == 20 and partial.failed == total - 20  # one batch acknowledged
    resumed = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    assert resumed.written == total - 20 and resumed.unchanged == 20
    assert DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path)).written == 0
    # nothing lost: the Lite file holds every aspect; nothing duplicated: one version each
    v = versions(lite_file)
    assert set(v) == {(m.entityUrn, m.aspectName) for m in render(fixed_graph())}
    assert set(v.values()) == {1}
    failed = [e.payload for e in store.events() if e.kind == "push" and not e.payload["ok"]]
    assert failed and failed[0]["written"] == 20


def test_lost_lite_file_gets_everything_again(store: Store, tmp_path: Path) -> None:
    lite_file = tmp_path / "x" / "lite.db"
    first = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path, dest=str(lite_file)))
    lite_file.unlink()
    again = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path, dest=str(lite_file)))
    assert again.written == first.written
    full = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path, dest=str(lite_file),
                                                         full=True))
    assert full.written == first.written


def test_invalid_mcp_stops_the_push_before_anything_leaves(store: Store, tmp_path: Path) -> None:
    g: LineageGraph = fixed_graph()
    bad = dict(g.attrs("risk_assessment:RA-1"), tier="extreme")
    g.add_node(Node.trusted(NodeKind.RISK_ASSESSMENT, "risk_assessment:RA-1", bad))
    with pytest.raises(ValidationFailed, match="model_group:churn"):
        DataHubLiteSink().push(g, ctx_for(store, tmp_path))
    assert not (tmp_path / ".lineage" / "datahub-lite.db").exists()
    assert not [e for e in store.events() if e.kind == "push"]


def _edges(path: Path) -> set[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return set(conn.execute("SELECT * FROM metadata_edge_v2"))


def test_browse_index_equals_a_full_reindex(store: Store, tmp_path: Path) -> None:
    import shutil

    from datahub.lite.lite_util import get_datahub_lite

    lite_file = tmp_path / "lite.db"
    DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path, dest=str(lite_file)))
    DataHubLiteSink().push(fixed_graph(v2_metric=0.5), ctx_for(store, tmp_path,
                                                               dest=str(lite_file)))
    ours = _edges(lite_file)
    copy = tmp_path / "reindexed.db"
    shutil.copy(lite_file, copy)
    lite = get_datahub_lite(lite_config(copy))
    lite.close()  # Lite's own close() rebuilds the whole browse index
    assert ours == _edges(copy) and len(ours) > 50


def test_revert_after_a_failed_push_is_not_mistaken_for_no_change(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    monkeypatch.setattr(FlakyLite, "batch_size", 1)
    FlakyLite.budget = 1  # the changed model aspect lands, the changed run aspect does not
    with pytest.raises(SinkError):
        FlakyLite().push(fixed_graph(v2_metric=0.5), ctx_for(store, tmp_path))
    back = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    assert back.written == 1  # the model aspect is put back to what the graph says
    lite = read_lite(lite_file)
    try:
        metrics = lite.get(MODEL_V2, None)["mlModelProperties"]["trainingMetrics"]
        assert metrics == [{"name": "auc", "value": "0.91"}]
    finally:
        lite.close()


KILLED_PUSH = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {golden!r})
from fixture_graph import fixed_graph
from connectors.sinks.datahub.sink import DataHubLiteSink
from lineage.config import Config
from lineage.plugins import PushContext
from lineage.store import Store

class Killed(DataHubLiteSink):
    batch_size = 20
    calls = 0
    def _write(self, mcps):
        Killed.calls += 1
        if Killed.calls == 3:  # half of a batch lands in Lite, then the process dies
            for m in mcps[:10]:
                self.lite.write(m)
            os.kill(os.getpid(), signal.SIGKILL)
        super()._write(mcps)

store = Store.open(Path({root!r}) / ".lineage")
Killed().push(fixed_graph(), PushContext(store=store, config=Config(), repo_path=Path({root!r})))
"""


def test_killed_push_resumes_without_loss_or_duplicates(store: Store, tmp_path: Path) -> None:
    golden = str(Path(__file__).resolve().parents[1] / "golden" / "datahub")
    script = KILLED_PUSH.format(golden=golden, root=str(tmp_path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    resumed = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    total = len(render(fixed_graph()))
    assert resumed.unchanged == 40 and resumed.written == total - 40
    v = versions(lite_file)
    assert set(v) == {(m.entityUrn, m.aspectName) for m in render(fixed_graph())}
    assert set(v.values()) == {1}


def test_a_node_the_mapping_cannot_render_is_named(store: Store, tmp_path: Path) -> None:
    g = fixed_graph()  # a node written without validation (Node.trusted) with a bad value
    bad = dict(g.attrs("alert:DRIFT-3"), value="very high")
    g.add_node(Node.trusted(NodeKind.ALERT, "alert:DRIFT-3", bad))
    with pytest.raises(ValidationFailed, match=r"alert:DRIFT-3\): cannot be rendered"):
        DataHubLiteSink().push(g, ctx_for(store, tmp_path))
    assert not (tmp_path / ".lineage" / "datahub-lite.db").exists()


def test_corrupt_lite_file_rebuilt_on_an_incremental_push(store: Store, tmp_path: Path) -> None:
    first = DataHubLiteSink().push(fixed_graph(), ctx_for(store, tmp_path))
    lite_file = tmp_path / ".lineage" / "datahub-lite.db"
    lite_file.write_bytes(b"\0garbage")
    changed = DataHubLiteSink().push(fixed_graph(v2_metric=0.95), ctx_for(store, tmp_path))
    assert changed.written == first.written and "set aside" in changed.details["rebuilt"]
    assert read_lite(lite_file).get(MODEL_V2, None) is not None
    again = DataHubLiteSink().push(fixed_graph(v2_metric=0.95), ctx_for(store, tmp_path))
    assert (again.written, again.unchanged) == (0, first.written)
    assert "rebuilt" not in again.details
