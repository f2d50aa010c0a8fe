"""ATLAS_URL naming a server without Atlas's API there (a path prefix left out behind a proxy,
another service): its 404 says to check the URL, not to read a server log."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app


class _NotFound(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def no_atlas_here() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_404_at_the_typedefs_says_to_check_atlas_url(quickstart_demo: Path,
                                                       no_atlas_here: str) -> None:
    res = CliRunner().invoke(app, ["push", "--to", "atlas", "--repo", str(quickstart_demo)],
                             env={"ATLAS_URL": no_atlas_here, "ATLAS_USERNAME": "admin",
                                  "ATLAS_PASSWORD": "s3cret-pw", "COLUMNS": "200"})
    assert res.exit_code == 3, res.output
    first, hint = res.stderr.splitlines()[:2]
    assert first == (f"error: Atlas at {no_atlas_here} has no POST "
                     "/api/atlas/v2/types/typedefs (HTTP 404)"), first
    assert hint.startswith("hint: check ATLAS_URL: Atlas serves /api/atlas/v2 at its root"), hint
    assert "s3cret-pw" not in res.output
