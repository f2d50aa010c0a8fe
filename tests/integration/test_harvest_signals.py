"""A harvest killed from outside — SIGTERM (CI cancelling a job, ``timeout``) or SIGKILL — leaves
no worker behind and the store as it was: the DVC replay worker and the parse workers end with
the process that forked them, and SIGTERM ends ``lineage harvest`` as Ctrl-C does (rolled back,
one line, exit code 143).

Real processes: ``python -m lineage harvest`` on a generated history large enough for the
workers (≥ ``dvc._PARALLEL_MIN`` distinct DVC blobs), signalled once they run. Each harvest
starts a session of its own, so its whole process tree — workers reparented after a parent's
death included — is the set of processes of that session."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from benchmarks.gen_history import generate
from connectors.harvesters import dvc

ROOT = Path(__file__).resolve().parents[2]
COMMITS = 3000  # ≈ 2,900 distinct DVC blobs: the replay worker and its parse worker run

def _ctrl_c_reaches_it() -> None:
    """Run in the child before exec: a job a non-interactive shell starts in the background
    (``… &``, as some CI runners do) inherits Ctrl-C ignored, and Python then installs no
    KeyboardInterrupt handler; the child takes SIGINT as a terminal's foreground job does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


pytestmark = [pytest.mark.skipif(not Path("/proc/self/stat").exists()
                                 or "fork" not in __import__("multiprocessing")
                                 .get_all_start_methods(),
                                 reason="needs /proc and fork"),
              pytest.mark.serial]  # times a signal against the harvest's workers


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(COMMITS, tmp_path_factory.mktemp("signals") / "repo")


def _stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(state, ppid, process group, session, start time) of a live process, else None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    f = raw[raw.rindex(")") + 2:].split()
    return f[0], int(f[1]), int(f[2]), int(f[3]), int(f[19])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _session(sid: int) -> dict[int, tuple[str, int, int, int, int]]:
    """Every process of session ``sid`` still running (zombies are dead: left out)."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            if st[3] == sid and st[0] not in ("Z", "X"):
                out[int(name)] = st
    return out


def _env(store: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LINEAGE_STORE": str(store)}


def _lineage(repo: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lineage", *args, "--repo", str(repo)],
                          cwd=ROOT, env=_env(store), capture_output=True, text=True,
                          timeout=120)


def _dump(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the store."""
    conn = sqlite3.connect(store / "lineage.db")
    try:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables}
    finally:
        conn.close()


@pytest.fixture
def harvests() -> Iterator[list[subprocess.Popen[str]]]:
    """Started harvests; whatever of their sessions a failing test leaves is killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        for pid in _session(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.kill()
        proc.wait()


def _start(repo: Path, store: Path, started: list[subprocess.Popen[str]]
           ) -> subprocess.Popen[str]:
    """``lineage harvest`` in a session of its own; its output in files next to the store
    (not pipes: a worker left behind would hold them open)."""
    with open(store.parent / "stdout", "w") as out, open(store.parent / "stderr", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "lineage", "harvest", "--repo",
                                 str(repo)], cwd=ROOT, env=_env(store), stdout=out, stderr=err,
                                text=True, start_new_session=True,
                                preexec_fn=_ctrl_c_reaches_it)
    started.append(proc)
    return proc


def _stderr(store: Path) -> str:
    return (store.parent / "stderr").read_text()


def _workers(proc: subprocess.Popen[str], depth: int) -> dict[int, tuple[str, int, int, int, int]]:
    """Wait until the harvest runs a chain of ``depth`` forked workers (processes of its own
    command line: not git); then every process of its session, by pid."""
    me = b"".join(os.fsencode(a) + b"\0" for a in cast("list[str]", proc.args))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the harvest ended (exit code {proc.returncode}) before its "
                                 "workers ran")
        procs = _session(proc.pid)
        chain, parent = [], proc.pid
        while True:
            child = next((p for p, st in procs.items()
                          if st[1] == parent and _cmdline(p) == me), None)
            if child is None:
                break
            chain.append(child)
            parent = child
        if len(chain) >= depth:
            return procs
        time.sleep(0.01)
    raise AssertionError("no worker started within 30 s")


def _assert_gone(procs: dict[int, tuple[str, int, int, int, int]], sid: int,
                 grace: float = 5.0) -> None:
    """None of ``procs`` (the same process: same start time) nor any process of the session
    still runs after ``grace`` seconds."""
    deadline = time.monotonic() + grace
    while True:
        left = {p: st for p, st in procs.items()
                if (now := _stat(p)) is not None and now[4] == st[4] and now[0] not in "ZX"}
        left.update(_session(sid))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, "still running after the harvest died: " + ", ".join(
        f"{p} ({_cmdline(p).replace(bytes(1), b' ')[:60]!r}, state {st[0]}, parent {st[1]})"
        for p, st in sorted(left.items()))


def _first_harvest(history: Path, store: Path) -> dict[str, list[tuple[object, ...]]]:
    """A store holding the git facts, not the DVC ones yet: the next harvest is DVC's first,
    replayed in the replay worker. Its rows, every table."""
    assert _lineage(history, store, "init").returncode == 0
    done = _lineage(history, store, "harvest", "--only", "git")
    assert done.returncode == 0, done.stderr
    rows = _dump(store)
    assert len(rows["nodes"]) > COMMITS and rows["events"]
    return rows


def _assert_store_unchanged(history: Path, store: Path,
                            before: dict[str, list[tuple[object, ...]]]) -> None:
    verify = _lineage(history, store, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert _dump(store) == before


def test_sigterm_rolls_the_harvest_back_and_ends_its_workers(
        history: Path, tmp_path: Path, harvests: list[subprocess.Popen[str]]) -> None:
    store = tmp_path / "store"
    before = _first_harvest(history, store)
    proc = _start(history, store, harvests)
    procs = _workers(proc, depth=2)  # the replay worker and its parse worker
    assert len(procs) >= 3
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the harvest did not end within 10 s of SIGTERM")
    _assert_gone(procs, proc.pid)
    err = _stderr(store)
    assert proc.returncode == 143, err  # 128 + SIGTERM, after its own clean-up
    assert err.strip().splitlines() == [
        "terminated: nothing was written (the store is unchanged)"], err
    _assert_store_unchanged(history, store, before)


def test_sigkill_of_the_harvest_ends_its_workers(
        history: Path, tmp_path: Path, harvests: list[subprocess.Popen[str]]) -> None:
    store = tmp_path / "store"
    before = _first_harvest(history, store)
    proc = _start(history, store, harvests)
    procs = _workers(proc, depth=2)
    proc.kill()
    proc.wait(timeout=10)
    _assert_gone(procs, proc.pid)
    _assert_store_unchanged(history, store, before)  # the next open rolls the journal back


def _incremental(history: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A clone whose store holds the first 100 commits' facts, then fetches the rest: the
    next harvest replays in the harvesting process, with a parse worker of its own (no replay
    worker), in the harvesting process's process group."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(history), str(repo)], check=True)
    git = ["git", "-C", str(repo)]
    tags = subprocess.run([*git, "tag"], check=True, capture_output=True, text=True).stdout
    subprocess.run([*git, "tag", "-d", *tags.split()], check=True, capture_output=True)
    subprocess.run([*git, "remote", "remove", "origin"], check=True)
    subprocess.run([*git, "reset", "-q", "--hard", f"HEAD~{COMMITS - 100}"], check=True)
    store = tmp_path / "store"
    assert _lineage(repo, store, "init").returncode == 0
    assert _lineage(repo, store, "harvest").returncode == 0  # the first 100 commits
    subprocess.run([*git, "fetch", "-q", str(history), "+refs/heads/*:refs/remotes/h/*",
                    "+refs/tags/*:refs/tags/*"], check=True)
    assert dvc._PARALLEL_MIN < 2800
    return repo, store


def test_sigkill_of_an_incremental_harvest_ends_its_parse_worker(
        history: Path, tmp_path: Path, harvests: list[subprocess.Popen[str]]) -> None:
    repo, store = _incremental(history, tmp_path)
    before = _dump(store)
    assert before["nodes"]
    proc = _start(repo, store, harvests)
    procs = _workers(proc, depth=1)  # the parse worker
    proc.kill()
    proc.wait(timeout=10)
    _assert_gone(procs, proc.pid)
    _assert_store_unchanged(repo, store, before)


def test_ctrl_c_of_an_incremental_harvest_prints_one_line(
        history: Path, tmp_path: Path, harvests: list[subprocess.Popen[str]]) -> None:
    """Ctrl-C at a terminal signals the whole foreground process group, the parse worker
    included: the harvest rolls back and says so in one line; the worker prints nothing."""
    repo, store = _incremental(history, tmp_path)
    before = _dump(store)
    proc = _start(repo, store, harvests)
    me = b"".join(os.fsencode(a) + b"\0" for a in cast("list[str]", proc.args))
    workers: list[int] = []
    # the first child with our command line may be a git subprocess forked and not yet exec'd
    # (it stops being a candidate once it execs); look again until the worker is there
    retry_until = time.monotonic() + 30
    while not workers and time.monotonic() < retry_until:
        procs = _workers(proc, depth=1)
        candidates = [p for p, st in procs.items() if st[1] == proc.pid and p != proc.pid
                      and _cmdline(p) == me]
        for pid in candidates:
            # SIGINT (2) is ignored by the worker, or still blocked if it was forked a moment
            # ago and has not set it to ignored yet: either way a Ctrl-C never reaches its
            # Python code. A git subprocess not yet exec'd is not a worker once its command
            # line changes (the race between fork and the worker's first step is tested on
            # its own, below)
            deadline = time.monotonic() + 5
            while _cmdline(pid) == me:
                try:
                    text = Path(f"/proc/{pid}/status").read_text()
                except OSError:  # gone: a subprocess that ended
                    break
                status = dict(x.split(":\t", 1) for x in text.splitlines() if ":\t" in x)
                if (int(status["SigIgn"], 16) | int(status["SigBlk"], 16)) & \
                        (1 << (signal.SIGINT - 1)):
                    workers.append(pid)
                    break
                assert time.monotonic() < deadline, f"parse worker {pid} takes Ctrl-C"
                time.sleep(0.01)
        if not workers:
            time.sleep(0.01)
    assert workers
    time.sleep(0.3)  # the parse worker busy in its chunk
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    err = _stderr(store)
    _assert_gone(procs, proc.pid)
    assert "interrupted: nothing was written" in err and "Traceback" not in err, err
    _assert_store_unchanged(repo, store, before)


def test_the_cli_harvest_puts_the_sigterm_handler_back(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM is the CLI harvest's only while it runs: the handler before it is back after,
    and the library's harvest (used in-process by users) never touches it."""
    from typer.testing import CliRunner

    from lineage import api
    from lineage.cli.main import app

    repo = generate(5, tmp_path / "repo")
    monkeypatch.setenv("LINEAGE_STORE", str(tmp_path / "store"))
    api.init(repo)

    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        seen = []
        res = CliRunner().invoke(app, ["harvest", "--repo", str(repo), "--json"])
        assert res.exit_code == 0, res.output
        assert signal.getsignal(signal.SIGTERM) is mine
        api.harvest(repo, progress=lambda *a: seen.append(signal.getsignal(signal.SIGTERM)))
        assert seen and all(h is mine for h in seen)
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_in_process_harvest_that_fails_ends_its_workers_at_once(
        history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``api.harvest`` in a user's own process (a notebook keeps the traceback): when the
    store writes fail half way, the DVC replay worker and its parse worker are gone when the
    error reaches the caller, not when the traceback is released."""
    from lineage import api
    from lineage.store import Store

    monkeypatch.setenv("LINEAGE_STORE", str(tmp_path / "store"))
    api.init(history)
    real = Store._write_rows
    workers: dict[int, tuple[str, int, int, int, int]] = {}

    def fail_on_third_chunk(self: Store, rows: object, stats: object) -> None:
        real(self, rows, stats)  # type: ignore[arg-type]
        fail_on_third_chunk.calls += 1  # type: ignore[attr-defined]
        if fail_on_third_chunk.calls == 3:  # type: ignore[attr-defined]
            me = os.getpid()
            for p in Path("/proc").iterdir():  # the replay worker and its parse worker
                st = _stat(int(p.name)) if p.name.isdigit() else None
                if st is not None and st[0] != "Z" and (st[1] == me or st[1] in workers):
                    workers[int(p.name)] = st
            raise RuntimeError("disk full")

    fail_on_third_chunk.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(Store, "_write_rows", fail_on_third_chunk)
    with pytest.raises(RuntimeError, match="disk full") as excinfo:
        api.harvest(history)
    assert len(workers) >= 1, "the harvest ran no worker"
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        alive = {pid for pid, st in workers.items()
                 if (now := _stat(pid)) is not None and now[0] != "Z" and now[4] == st[4]}
        if not alive:
            break
        time.sleep(0.05)
    assert not alive, (alive, excinfo.value)


def test_a_ctrl_c_while_a_worker_is_forked_never_reaches_it() -> None:
    """Between the fork and the worker's first step (which sets SIGINT to ignored) a Ctrl-C
    used to raise KeyboardInterrupt in the child, with a traceback of its own: the parent
    blocks SIGINT across the fork, so it stays pending in the child and is dropped."""
    from connectors.harvesters.dvc import _as_worker, _forking

    parent = os.getpid()
    go_r, go_w = os.pipe()
    ready_r, ready_w = os.pipe()
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
    try:
        with _forking():
            pid = os.fork()
            if pid == 0:  # the child: Ctrl-C comes before it starts as a worker
                try:
                    os.write(ready_w, b"r")
                    os.read(go_r, 1)
                    _as_worker(parent)
                    time.sleep(0.2)  # a KeyboardInterrupt would have been raised by now
                    os._exit(0)
                except BaseException:  # noqa: BLE001 - the Ctrl-C reached the child
                    os._exit(3)
    finally:
        signal.signal(signal.SIGINT, before)
    os.read(ready_r, 1)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.1)
    os.write(go_w, b"x")
    _, status = os.waitpid(pid, 0)
    for fd in (go_r, go_w, ready_r, ready_w):
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, "the Ctrl-C reached the forked worker"
