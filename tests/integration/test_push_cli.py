"""`lineage push` through the CLI on a real git repository with a real store."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden" / "datahub"))

from fixture_graph import fixed_graph  # noqa: E402

from lineage.cli.main import app  # noqa: E402
from lineage.store import Store  # noqa: E402

runner = CliRunner()


@pytest.fixture
def repo(git_repo: Any) -> Path:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    assert runner.invoke(app, ["init", "-C", str(git_repo.path)]).exit_code == 0
    graph = fixed_graph()
    with Store.open(git_repo.path / ".lineage") as store, store.transaction():
        store.upsert([*graph.nodes(include_placeholders=False), *graph.edges()])
        store.append_event("record", "test", {"what": "fixture graph"})
    return git_repo.path


def lineage(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_push_defaults_to_lite_and_is_incremental(repo: Path) -> None:
    first = lineage("push", "-C", str(repo), "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["target"] == "datahub-lite" and summary["written"] > 50
    assert summary["failed"] == 0 and summary["unchanged"] == 0
    assert (repo / ".lineage" / "datahub-lite.db").exists()
    again = json.loads(lineage("push", "-C", str(repo), "--json").stdout)
    assert (again["written"], again["unchanged"]) == (0, summary["written"])
    table = lineage("push", "-C", str(repo))
    assert "Nothing changed since the last push." in table.stdout
    assert "datahub-lite.db" in table.stdout
    full = json.loads(lineage("push", "-C", str(repo), "--full", "--json").stdout)
    assert full["written"] == summary["written"]
    log = json.loads(lineage("log", "-C", str(repo), "--json").stdout)
    assert [e["payload"]["written"] for e in log if e["kind"] == "push"][-4:] == \
        [summary["written"], 0, 0, summary["written"]]


def test_push_to_file(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "metadata.json"
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["written"] == len(json.loads(out.read_text()))


def test_usage_errors_exit_2(repo: Path) -> None:
    res = lineage("push", "-C", str(repo), "--to", "datahub-fil")
    assert res.exit_code == 2
    assert "did you mean 'datahub-file'" in res.output
    res = lineage("push", "-C", str(repo), "--to", "datahub-file")
    assert res.exit_code == 2 and "needs a destination file" in res.output
    res = lineage("push", "-C", str(repo), "-o", "novalue")
    assert res.exit_code == 2 and "KEY=VALUE" in res.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (no space left)")
def test_refused_target_exits_3_and_reports_counts(repo: Path) -> None:
    # a destination that takes the file but refuses its bytes (a full disk)
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", "/dev/full", "--json")
    assert res.exit_code == 3, res.output
    summary = json.loads(res.stdout)
    assert summary["written"] == 0 and summary["failed"] > 50
    assert "error:" in res.stderr


@pytest.mark.parametrize("to", ["datahub-file", "datahub-lite"])
def test_directory_dest_is_a_usage_error_exit_2(repo: Path, tmp_path: Path, to: str) -> None:
    folder = tmp_path / "a-directory.json"
    folder.mkdir()
    res = lineage("push", "-C", str(repo), "--to", to, str(folder), "--json")
    assert res.exit_code == 2, res.output
    assert f"{folder} is a directory" in res.stderr and "Traceback" not in res.output
    assert list(folder.iterdir()) == []
    # nothing was remembered as sent: a push to a file in it writes everything
    res = lineage("push", "-C", str(repo), "--to", to, str(folder / "out.json"), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["unchanged"] == 0, res.output


@pytest.mark.parametrize("to", ["datahub-file", "datahub-lite"])
def test_dest_in_a_folder_that_does_not_exist_is_a_usage_error(repo: Path, tmp_path: Path,
                                                               to: str) -> None:
    """As `audit -o` and `export -o`: a mistyped folder is said, never made."""
    dest = tmp_path / "no-such-folder" / "deeper" / "out.json"
    res = lineage("push", "-C", str(repo), "--to", to, str(dest))
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"error: cannot write {dest}: the folder {dest.parent} does "
                                 "not exist"), res.stderr
    assert "mkdir -p" in res.stderr and not (tmp_path / "no-such-folder").exists()


def test_destination_that_is_not_an_mcp_array_exits_2_and_is_kept(repo: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "notes.json"
    out.write_text('{"not": "an array"}\n')
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out), "--json")
    assert res.exit_code == 2, res.output
    assert "notes.json" in res.stderr and "not a JSON array of MCPs" in res.stderr
    assert "--full" in res.stderr  # says what to do next
    summary = json.loads(res.stdout)
    assert summary["written"] == 0 and summary["failed"] > 50
    assert out.read_text() == '{"not": "an array"}\n'
    # nothing was remembered as sent: the next push to a good file writes everything
    good = tmp_path / "good.json"
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", str(good), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["written"] == summary["failed"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_token_is_never_printed(repo: Path) -> None:
    secret = "tok-SECRET-123456"
    server = f"http://127.0.0.1:{_closed_port()}"
    res = lineage("push", "-C", str(repo), "--to", "datahub-rest", "--server", server,
                  "--token", secret, "-o", "retries=0", "--json")
    assert res.exit_code == 3, res.output
    assert secret not in res.output and secret not in res.stderr


def test_no_change_push_does_not_even_load_the_graph(repo: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage.model import Node, NodeKind

    first = json.loads(lineage("push", "-C", str(repo), "--json").stdout)

    def boom(self: Store) -> None:
        raise AssertionError("the graph was loaded")

    with monkeypatch.context() as m:
        m.setattr(Store, "load_graph", boom)
        again = lineage("push", "-C", str(repo), "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["written"] == 0
    with Store.open(repo / ".lineage") as store, store.transaction():
        run = store.get_node("run:mlflow:run0002")
        assert run is not None
        store.upsert([Node.make(NodeKind.RUN, run.id, **{**run.attrs, "metrics": {"auc": 0.5}})])
        store.append_event("record", "test", {"what": "metric fixed"})
    changed = json.loads(lineage("push", "-C", str(repo), "--json").stdout)
    assert changed["written"] == 1 and changed["unchanged"] == first["written"] - 1


def test_a_failed_lite_push_does_not_invite_browsing(repo: Path) -> None:
    (repo / ".lineage" / "datahub-lite.db").write_text("not a database\n")
    res = lineage("push", "-C", str(repo))
    assert res.exit_code == 3, res.output
    assert "cannot open DataHub Lite file" in res.output and "Browse it" not in res.output
    (repo / ".lineage" / "datahub-lite.db").unlink()
    res = lineage("push", "-C", str(repo))
    assert res.exit_code == 0 and "Browse it" in res.output


def test_log_rejects_a_count_below_one(repo: Path) -> None:
    res = lineage("log", "-C", str(repo), "-n", "-1")
    assert res.exit_code == 2 and "-n" in res.output


# -- the destination is checked before "nothing changed" is believed -------------------------
def _lite_urns(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {u for (u,) in conn.execute("SELECT DISTINCT urn FROM metadata_aspect_v2")}


def test_a_corrupt_lite_file_is_rebuilt_by_the_next_push(repo: Path) -> None:
    first = json.loads(lineage("push", "-C", str(repo), "--json").stdout)
    db = repo / ".lineage" / "datahub-lite.db"
    urns = _lite_urns(db)
    db.write_text("garbage\n")
    res = lineage("push", "-C", str(repo))
    assert res.exit_code == 0, res.output
    assert "Nothing changed" not in res.stdout
    assert "rebuilt" in res.output and "datahub-lite.db.corrupt" in res.output
    assert (repo / ".lineage" / "datahub-lite.db.corrupt").read_text() == "garbage\n"
    assert _lite_urns(db) == urns
    again = json.loads(lineage("push", "-C", str(repo), "--json").stdout)
    assert (again["written"], again["unchanged"]) == (0, first["written"])
    log = json.loads(lineage("log", "-C", str(repo), "--json").stdout)
    assert [e["payload"]["written"] for e in log if e["kind"] == "push"][-3:] == \
        [first["written"], first["written"], 0]


def test_a_lite_file_that_lost_our_aspects_gets_everything_again(repo: Path) -> None:
    import sqlite3

    first = json.loads(lineage("push", "-C", str(repo), "--json").stdout)
    db = repo / ".lineage" / "datahub-lite.db"
    with sqlite3.connect(db) as conn:  # another tool emptied it: still a Lite file
        conn.execute("DELETE FROM metadata_aspect_v2")
    res = lineage("push", "-C", str(repo), "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["written"] == first["written"] and "rebuilt" in summary
    assert len(_lite_urns(db)) > 10
    assert not (repo / ".lineage" / "datahub-lite.db.corrupt").exists()  # nothing to set aside


@pytest.mark.parametrize("content", ['{"a":1}\n', "truncated"])
def test_a_replaced_or_truncated_mcp_file_is_refused(repo: Path, tmp_path: Path,
                                                      content: str) -> None:
    out = tmp_path / "m.json"
    first = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out), "--json")
    assert first.exit_code == 0, first.output
    text = content if content != "truncated" else out.read_text()[:5000]
    out.write_text(text)
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out))
    assert res.exit_code == 2, res.output
    assert "m.json" in res.stderr and "--full" in res.stderr
    assert "Nothing changed" not in res.stdout
    assert out.read_text() == text  # left as it is
    full = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out), "--full", "--json")
    assert full.exit_code == 0 and json.loads(full.stdout)["written"] == \
        json.loads(first.stdout)["written"] == len(json.loads(out.read_text()))


def test_an_mcp_file_replaced_by_another_array_is_refused(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    assert lineage("push", "-C", str(repo), "--to", "datahub-file", str(out)).exit_code == 0
    out.write_text("[]\n")
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out))
    assert res.exit_code == 2, res.output
    assert "changed since the last push" in res.stderr and out.read_text() == "[]\n"


def test_a_deleted_mcp_file_gets_everything_again(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    first = json.loads(lineage("push", "-C", str(repo), "--to", "datahub-file", str(out),
                               "--json").stdout)
    out.unlink()
    again = lineage("push", "-C", str(repo), "--to", "datahub-file", str(out), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["written"] == first["written"] == \
        len(json.loads(out.read_text()))


# -- DEST on the command line is relative to the current directory ----------------------------
def test_relative_dest_is_relative_to_the_current_directory(repo: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    res = lineage("push", "-C", str(repo), "--to", "datahub-file", "out.json", "--json")
    assert res.exit_code == 0, res.output
    assert (here / "out.json").exists() and not (repo / "out.json").exists()
    assert json.loads(res.stdout)["destination"] == str((here / "out.json").resolve())
    res = lineage("push", "-C", str(repo), "lite.db", "--json")
    assert res.exit_code == 0 and (here / "lite.db").exists()
    # lineage.yaml's datahub.lite_file stays relative to the repository root
    (repo / "lineage.yaml").write_text("datahub:\n  lite_file: catalog/lite.db\n")
    res = lineage("push", "-C", str(repo), "--json")
    assert res.exit_code == 0, res.output
    assert (repo / "catalog" / "lite.db").exists()


# -- -o KEY=VALUE: unknown keys are refused ----------------------------------------------------
def test_unknown_option_is_refused_naming_the_valid_ones(repo: Path) -> None:
    res = lineage("push", "-C", str(repo), "-o", "batchsize=5")
    assert res.exit_code == 2, res.output
    assert "batchsize" in res.stderr and "did you mean batch_size" in res.stderr
    res = lineage("push", "-C", str(repo), "--to", "datahub-rest", "--server",
                  "http://127.0.0.1:1", "-o", "nosuchopt=1")
    assert res.exit_code == 2, res.output
    assert "nosuchopt" in res.stderr and "retries" in res.stderr and "openapi" in res.stderr
    assert not (repo / ".lineage" / "datahub-lite.db").exists()
    ok = lineage("push", "-C", str(repo), "-o", "batch_size=5", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["written"] > 50
