"""track_run(clock=…): a job replaying past training times its run on its own clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.tracking import track_run
from lineage import api
from tests.conftest import GitRepo


def test_a_replayed_run_keeps_the_clock_it_was_given(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("train.py", "print('train')\n")
    repo.commit("code")
    api.init(repo.path)
    ticks = iter([datetime(2026, 1, 3, 9, 30, tzinfo=UTC),
                  datetime(2026, 1, 3, 9, 42, tzinfo=UTC)])
    with track_run(repo.path, name="train", clock=lambda: next(ticks)) as run:
        run.log_metric("accuracy", 0.9)
    store = api.open_store(repo.path)
    try:
        node = store.get_node(run.node_id)
    finally:
        store.close()
    assert node is not None
    assert node.attrs["start_time"].startswith("2026-01-03T09:30:00")
    assert node.attrs["end_time"].startswith("2026-01-03T09:42:00")
    assert node.attrs["status"] == "FINISHED"


def test_without_a_clock_the_run_is_timed_now(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("train.py", "print('train')\n")
    repo.commit("code")
    api.init(repo.path)
    before = datetime.now(UTC)
    with track_run(repo.path, name="train") as run:
        pass
    store = api.open_store(repo.path)
    try:
        node = store.get_node(run.node_id)
    finally:
        store.close()
    assert node is not None
    start = datetime.fromisoformat(node.attrs["start_time"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= start <= datetime.now(UTC)
