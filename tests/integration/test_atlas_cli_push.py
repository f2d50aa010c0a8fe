"""`lineage push --to atlas` end to end through the real CLI (once lineage/cli/push.py exists)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.store import Store
from tests.standins import atlas_graph as G
from tests.standins.atlas import running_atlas

pytest.importorskip("lineage.cli.push")


def test_lineage_push_to_atlas(git_repo, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from lineage import api
    from lineage.cli.main import app

    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    store_dir = api.init(git_repo.path)
    graph = G.build_graph()
    with Store.open(Path(store_dir)) as store, store.transaction():
        store.upsert([*graph.nodes(include_placeholders=False), *graph.edges()])
        store.append_event("record", "test", {"what": "atlas cli test"})
    with running_atlas({"admin": "pw-cli"}) as atlas:
        monkeypatch.setenv("ATLAS_URL", atlas.url)
        monkeypatch.setenv("ATLAS_USERNAME", "admin")
        monkeypatch.setenv("ATLAS_PASSWORD", "pw-cli")
        res = CliRunner().invoke(app, ["push", "--to", "atlas", "--repo", str(git_repo.path)])
        assert res.exit_code == 0, res.output
        assert "pw-cli" not in res.output
        assert ("lineage_deployment", G.DEPLOY + "@lineage") in atlas.unique
        monkeypatch.setenv("ATLAS_PASSWORD", "Wr0ng-pw")
    with running_atlas({"admin": "pw-cli"}) as other:
        # --server wins over ATLAS_URL (which points at the server stopped above)
        res = CliRunner().invoke(app, ["push", "--to", "atlas", "--server", other.url,
                                       "--repo", str(git_repo.path)])
        assert res.exit_code == 3, res.output
        assert "rejected the credentials" in res.output
        assert "ATLAS_PASSWORD" in res.output and "Wr0ng-pw" not in res.output
