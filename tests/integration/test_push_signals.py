"""A push interrupted from outside — Ctrl-C (SIGINT) or SIGTERM (CI cancelling a job,
``timeout``) — says what is true: the batches the target acknowledged were sent and are
remembered, and the next push resumes after them. The interrupted push is a failed ``push``
event in the log, like any other failed push.

Real processes: ``python -m lineage push --to datahub-rest`` against a stand-in GMS that
accepts two batches, then stalls on the third until the push is signalled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from lineage.cli.main import app  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins import gms as standin  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BATCH = 10
pytestmark = pytest.mark.serial  # times a signal against a push held by the stand-in

def _ctrl_c_reaches_it() -> None:
    """Run in the child before exec: a job a non-interactive shell starts in the background
    (``… &``, as some CI runners do) inherits Ctrl-C ignored, and Python then installs no
    KeyboardInterrupt handler; the child takes SIGINT as a terminal's foreground job does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)



@pytest.fixture
def repo(git_repo: Any) -> Path:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    assert CliRunner().invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    graph = fixed_graph()
    with Store.open(git_repo.path / ".lineage") as store, store.transaction():
        store.upsert([*graph.nodes(include_placeholders=False), *graph.edges()])
        store.append_event("record", "test", {"what": "fixture graph"})
    return Path(git_repo.path)


class Stall:
    """Accept ``after`` ingest requests, then hold the next one until released (and then
    refuse it: the push it came from is gone)."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.reached = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()


@pytest.fixture
def stalling_gms() -> Iterator[tuple[standin.StandInGms, Stall]]:
    # two batches of 10 are three requests: the second batch holds the last structured
    # property definitions, sent ahead of the values in it (GMS checks values against the
    # definitions it holds)
    stall = Stall(after=3)

    class Handler(standin._Handler):
        def do_POST(self) -> None:  # noqa: N802
            if self.path.startswith("/aspects"):
                with stall.lock:
                    stall.after -= 1
                    hold = stall.after < 0
                if hold:
                    stall.reached.set()
                    stall.release.wait(60)
                    self._body()
                    return self._send(503, standin._error(503, "going away"))
            super().do_POST()

    gms = standin.StandInGms()
    gms._server.RequestHandlerClass = Handler
    gms.start()
    try:
        yield gms, stall
    finally:
        stall.release.set()
        gms.stop()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAHUB_GMS")}
    return {**env, "PYTHONPATH": str(ROOT)}


def _lineage(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lineage", *args, "-C", str(repo)], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_interrupted_push_says_what_was_sent_logs_it_and_resumes(
        repo: Path, stalling_gms: tuple[standin.StandInGms, Stall], sig: int, code: int,
        word: str) -> None:
    gms, stall = stalling_gms
    total = len(__import__("connectors.sinks.datahub.render", fromlist=["render"])
                .render(fixed_graph()))
    args = ["push", "--to", "datahub-rest", "--server", gms.url, "-o", f"batch_size={BATCH}",
            "-o", "retries=0", "--json"]
    proc = subprocess.Popen([sys.executable, "-m", "lineage", *args, "-C", str(repo)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_ctrl_c_reaches_it)
    try:
        assert stall.reached.wait(60), proc.communicate(timeout=5)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    sent = 2 * BATCH
    assert f"{word}: {sent} MCPs were sent and are remembered; the next push resumes" in err
    assert "nothing was written" not in err and "Traceback" not in err
    assert len(gms.proposals) == sent
    log = json.loads(_lineage(repo, "log", "--json").stdout)
    [event] = [e["payload"] for e in log if e["kind"] == "push"]
    assert event["ok"] is False and event.get("interrupted") is True
    assert (event["written"], event["failed"]) == (sent, total - sent)
    stall.release.set()
    stall.after = 10**6
    again = _lineage(repo, *args)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["written"], summary["unchanged"]) == (total - sent, sent)
    assert gms.keys() == {(p["entityUrn"], p["aspectName"]) for p in gms.proposals}
    assert len(gms.keys()) == total


def test_interrupt_before_anything_was_sent_says_so(repo: Path) -> None:
    """SIGTERM while the push waits on a server that never answers: nothing was sent."""
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        proc = subprocess.Popen([sys.executable, "-m", "lineage", "push", "--to",
                                 "datahub-rest", "--server", url, "-C", str(repo)], cwd=ROOT,
                                env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                preexec_fn=_ctrl_c_reaches_it)
        try:
            conn, _ = silent.accept()  # the push is connected and waiting
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
            conn.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 143, err
    assert "terminated: nothing was sent; run the push again" in err
