"""`lineage push --to atlas` end to end through the real CLI (once lineage/cli/push.py exists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.sinks.atlas.sink import AtlasSink
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


def _closed_port() -> int:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def test_a_push_that_never_reached_atlas_says_so_and_keeps_everything(
        quickstart_demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage.cli.main import app

    repo = str(quickstart_demo)
    monkeypatch.setenv("ATLAS_USERNAME", "admin")
    monkeypatch.setenv("ATLAS_PASSWORD", "Never-Sh0wn")
    runner = CliRunner()

    def push(url: str) -> tuple[int, dict, list[str], str]:  # type: ignore[type-arg]
        res = runner.invoke(app, ["push", "--to", "atlas", "--server", url, "--json", "-C", repo])
        lines = [line for line in res.stderr.splitlines() if line.startswith("error:")]
        return res.exit_code, json.loads(res.stdout), lines, res.output

    def last_push_event() -> dict:  # type: ignore[type-arg]
        with Store.open(quickstart_demo / ".lineage") as store:
            return [e.payload for e in store.events() if e.kind == "push"][-1]

    # nothing listens there: the typedefs were not checked, nothing was written
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, errors, output = push(url)
    assert code == 3
    assert out["typedefs"] == "not checked"
    assert (out["written"], out["unchanged"]) == (0, 0) and out["failed"] > 0
    assert errors == [f"error: cannot reach Atlas at {url} (ConnectionError)"]
    assert "--server" in output  # the hint names where the URL came from
    assert "Never-Sh0wn" not in output
    assert last_push_event()["typedefs"] == "not checked"
    total = out["failed"]
    with running_atlas({"admin": "R1ght-one"}) as atlas:
        # Atlas answers, but refuses the credentials: the typedefs failed
        code, out, errors, output = push(atlas.url)
        assert code == 3
        assert out["typedefs"] == "failed" and out["written"] == 0 and out["failed"] == total
        assert len(errors) == 1 and "rejected the credentials of user 'admin'" in errors[0]
        assert "Never-Sh0wn" not in output
        assert last_push_event()["typedefs"] == "failed"
        assert atlas.entities == {}
        # the next push with the right password sends everything
        monkeypatch.setenv("ATLAS_PASSWORD", "R1ght-one")
        code, out, errors, output = push(atlas.url)
        assert code == 0, output
        assert out["typedefs"] == "created" and out["written"] == total
        assert len(atlas.entities) == total and "R1ght-one" not in output


def test_two_clones_of_one_repository_push_the_same_repository_entity(
        git_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A laptop (ssh remote) and a CI runner (https remote, another checkout path) push the same
    repository: one entity that neither push rewrites, carrying no local path."""
    import subprocess

    from connectors.sinks.atlas.client import AtlasHttp
    from lineage.cli.main import app

    git_repo.git("remote", "add", "origin", "git@GitHub.com:Example-Org/churn.git")
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    ci = tmp_path / "builds" / "runner-7" / "churn"
    subprocess.run(["git", "clone", "-q", str(git_repo.path), str(ci)], check=True)
    subprocess.run(["git", "-C", str(ci), "remote", "set-url", "origin",
                    "https://github.com/Example-Org/churn.git"], check=True)
    runner = CliRunner()
    repo_qn = "repository:github.com/Example-Org/churn@lineage"
    with running_atlas({"admin": "pw"}) as atlas:
        monkeypatch.setenv("ATLAS_URL", atlas.url)
        monkeypatch.setenv("ATLAS_USERNAME", "admin")
        monkeypatch.setenv("ATLAS_PASSWORD", "pw")
        # what an earlier version pushed from the laptop: the checkout path and the ssh URL
        AtlasHttp(atlas.url, "admin", "pw").create_typedefs(AtlasSink().typedefs)
        AtlasHttp(atlas.url, "admin", "pw").bulk({"entities": [{
            "guid": "-1", "typeName": "lineage_repository", "attributes": {
                "qualifiedName": repo_qn, "name": "git@GitHub.com:Example-Org/churn.git",
                "url": "git@GitHub.com:Example-Org/churn.git", "path": str(git_repo.path),
                "lineageId": "repository:github.com/Example-Org/churn"}}]})
        for checkout in (git_repo.path, ci):
            for cmd in (["init"], ["harvest"], ["push", "--to", "atlas"]):
                res = runner.invoke(app, [*cmd, "-C", str(checkout)])
                assert res.exit_code == 0, res.output
        guid = atlas.unique[("lineage_repository", repo_qn)]
        entity = atlas.entities[guid]
        attrs = entity["attributes"]
        assert attrs["name"] == attrs["url"] == "github.com/Example-Org/churn"
        assert not attrs.get("path")  # the old local path is gone
        assert str(tmp_path) not in json.dumps(attrs)
        # branch heads are each clone's moving state, not the repository entity's
        assert not any(k.startswith("branch:") for k in attrs.get("properties") or {})
        version = entity["version"]
        # each pushes again after a new commit: the repository entity is not rewritten
        for checkout in (git_repo.path, ci):
            subprocess.run(["git", "-C", str(checkout), "commit", "-q", "--allow-empty", "-m",
                            "more"], check=True)
            for cmd in (["harvest"], ["push", "--to", "atlas"]):
                res = runner.invoke(app, [*cmd, "-C", str(checkout)])
                assert res.exit_code == 0, res.output
        assert atlas.entities[guid]["version"] == version


def test_a_commit_shows_its_tags_and_no_branch_it_left(
        git_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Branches move and differ per clone (a CI checkout has remote-tracking refs and no
    local branch): a commit entity carries its tags, the same everywhere, and no stale or
    per-clone branch."""
    import subprocess

    from lineage.cli.main import app

    git_repo.git("remote", "add", "origin", "https://github.com/example-org/churn.git")
    first = git_repo.commit("init")
    git_repo.tag("churn@v1.0.0", "Register churn v1.0.0")
    runner = CliRunner()

    def run(checkout: Path, *cmds: list[str]) -> None:
        for cmd in cmds:
            res = runner.invoke(app, [*cmd, "-C", str(checkout)])
            assert res.exit_code == 0, res.output

    def refs(atlas, sha: str) -> list[str]:  # type: ignore[no-untyped-def]
        guid = atlas.unique[("lineage_commit", f"commit:{sha}@lineage")]
        return atlas.entities[guid]["attributes"].get("refs") or []

    with running_atlas({"admin": "pw"}) as atlas:
        monkeypatch.setenv("ATLAS_URL", atlas.url)
        monkeypatch.setenv("ATLAS_USERNAME", "admin")
        monkeypatch.setenv("ATLAS_PASSWORD", "pw")
        run(git_repo.path, ["init"], ["harvest"], ["push", "--to", "atlas"])
        assert refs(atlas, first) == ["refs/tags/churn@v1.0.0"]
        second = git_repo.commit("train")
        run(git_repo.path, ["harvest"], ["push", "--to", "atlas"])
        assert refs(atlas, first) == ["refs/tags/churn@v1.0.0"]  # main moved on
        assert refs(atlas, second) == []
        versions = {g: e["version"] for g, e in atlas.entities.items()
                    if e["typeName"] == "lineage_commit"}
        ci = tmp_path / "ci" / "churn"
        subprocess.run(["git", "clone", "-q", str(git_repo.path), str(ci)], check=True)
        subprocess.run(["git", "-C", str(ci), "checkout", "-q", "--detach"], check=True)
        subprocess.run(["git", "-C", str(ci), "remote", "set-url", "origin",
                        "https://github.com/example-org/churn.git"], check=True)
        run(ci, ["init"], ["harvest"], ["push", "--to", "atlas"])
        assert {g: e["version"] for g, e in atlas.entities.items()
                if e["typeName"] == "lineage_commit"} == versions  # not rewritten


def test_a_page_that_is_not_atlas_is_one_clear_error(quickstart_demo: Path) -> None:
    """A single-sign-on proxy answers every request with a login page (HTTP 200, HTML): one
    error line and its hint, no traceback from the Atlas client library."""
    import http.server
    import os
    import subprocess
    import sys
    import threading
    from typing import Any

    class LoginPage(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _page(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><body>Please sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _page

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "ATLAS_USERNAME": "admin",
           "ATLAS_PASSWORD": "pw"}
    try:
        res = subprocess.run([sys.executable, "-m", "lineage", "push", "--to", "atlas",
                              "--server", url, "--json"], cwd=quickstart_demo, env=env,
                             capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == 3
    assert json.loads(res.stdout)["typedefs"] == "failed"
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("hint:"), res.stderr
    assert lines[0].startswith(f"error: {url} answered POST /api/atlas/v2/types/typedefs "
                               "with something that is not an Atlas answer (HTTP 200, text/html")
