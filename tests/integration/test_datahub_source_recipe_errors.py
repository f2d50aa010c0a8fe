"""A recipe the lineage source cannot run with fails when `datahub ingest` configures the
source: one red line naming the setting, its value and the fix, exit 1, no traceback, no
ingestion report, nothing harvested or sent. Run through the real `datahub ingest` CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("datahub")

from tests.integration.test_datahub_source import DATAHUB, run_ingest, seed  # noqa: E402

pytestmark = pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")

HEAD = "Failed to configure the source ("


def config_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line `datahub ingest` printed for a configuration error, checked to be all it
    printed on stdout (no traceback, no report: the pipeline never ran)."""
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(HEAD), proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    return lines[0]


@pytest.fixture
def repo(git_repo):
    git_repo.commit("init")
    seed(git_repo.path)  # a store in .lineage/ holding the fixed graph
    return git_repo.path


def _missing(repo: Path, tmp: Path) -> Path:
    return tmp / "stores" / "churn"


def _a_file(repo: Path, tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("not a store\n")
    return tmp / "notes.txt"


def _empty_folder(repo: Path, tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _the_repository(repo: Path, tmp: Path) -> Path:
    return repo


def _the_store_file(repo: Path, tmp: Path) -> Path:
    return repo / ".lineage" / "lineage.db"


def _text_as_db(repo: Path, tmp: Path) -> Path:
    (tmp / "junk").mkdir()
    (tmp / "junk" / "lineage.db").write_text("junk\n")
    return tmp / "junk"


def _other_sqlite(repo: Path, tmp: Path) -> Path:
    (tmp / "other").mkdir()
    with sqlite3.connect(tmp / "other" / "lineage.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    return tmp / "other"


@pytest.mark.parametrize("make,says", [
    (_missing, ["does not exist — fix the path (the repository's store is {repo}/.lineage), or, "
                "to start a store there, run `lineage init` and `lineage harvest` in {repo} "
                "with LINEAGE_STORE=", "(or create the empty folder and set harvest: true)"]),
    (_a_file, ["is a file, not a lineage store folder",
               "point store_path at the folder holding lineage.db"]),
    (_empty_folder, ["holds no lineage store (no lineage.db in it)", "`lineage harvest`",
                     "set harvest: true"]),
    (_the_repository, ["holds no lineage.db, its .lineage/ folder does — point store_path at "
                       "{repo}/.lineage"]),
    (_the_store_file, ["is the store's file, not its folder — point store_path at "
                       "{repo}/.lineage"]),
    (_text_as_db, ["holds a lineage.db that is no lineage store (not an SQLite database)",
                   "start the store there: run `lineage init` and `lineage harvest` in",
                   "with LINEAGE_STORE="]),
    (_other_sqlite, ["holds a lineage.db that is no lineage store (an SQLite database without "
                     "lineage's tables)"]),
], ids=lambda v: getattr(v, "__name__", "").lstrip("_") or None)
def test_a_wrong_store_path_is_one_line_naming_it_its_value_and_the_fix(
        repo, tmp_path, make, says) -> None:
    store = make(repo, tmp_path)
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": False,
                                 "store_path": str(store)}, tmp_path / "out.json")
    line = config_error(proc)
    assert f"source.config.store_path: '{store}' " in line, line
    for needle in says:
        assert needle.format(repo=repo) in line, line
    assert not (tmp_path / "stores").exists()


def test_a_relative_store_path_is_in_the_repository_and_shows_the_folder_it_names(
        repo, tmp_path) -> None:
    # relative to the repository, as lineage.yaml's `store:` is, wherever `datahub ingest` runs
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": False,
                                 "store_path": "stores/churn"}, tmp_path / "out.json",
                      cwd=tmp_path)
    line = config_error(proc)
    assert f"store_path: 'stores/churn' ({repo}/stores/churn) does not exist" in line, line


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("value", [".lineag", "{repo}/.linage"])
def test_harvest_true_refuses_a_mistyped_store_path_and_names_the_store(
        repo, tmp_path, value) -> None:
    """A typo in store_path would start a new, empty store and harvest into it, and DataHub
    would be sent a graph without the team's records: it fails the recipe instead, naming the
    store the repository has."""
    value = value.format(repo=repo)
    before = _bytes(repo / ".lineage")
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": True,
                                 "store_path": value}, tmp_path / "out.json", cwd=tmp_path)
    line = config_error(proc)
    typo = repo / Path(value).name
    shown = repr(value) if value == str(typo) else f"{value!r} ({typo})"
    assert (f"source.config.store_path: {shown} holds no lineage store (it does not exist): a "
            "harvest would start a new, empty one there — did you mean "
            f"{repo}/.lineage? Fix the path, or, to start a store there, run `lineage init` in "
            f"{repo} with LINEAGE_STORE={typo} first (or create the empty folder)") in line, line
    assert not typo.exists() and not (tmp_path / ".lineag").exists()
    assert _bytes(repo / ".lineage") == before
    out = tmp_path / "out.json"  # the file sink opens it before the source is configured
    assert not out.exists() or "urn:li:" not in out.read_text()  # nothing sent


def test_harvest_true_refuses_a_folder_holding_other_files(repo, tmp_path) -> None:
    """A store_path naming a folder of the repository (`data`, `models`) would get a lineage.db
    and a .gitignore of `*` that hides the folder's files from git."""
    data = repo / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n")
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": True,
                                 "store_path": "data"}, tmp_path / "out.json")
    line = config_error(proc)
    assert (f"source.config.store_path: 'data' ({data}) holds no lineage store (no lineage.db "
            "in it) but other files: a harvest would start a new, empty store among them — fix "
            f"the path (the repository's store is {repo}/.lineage), or, to start a store there, "
            f"run `lineage init` in {repo} with LINEAGE_STORE={data} first") in line, line
    assert sorted(p.name for p in data.iterdir()) == ["train.csv"]


@pytest.mark.parametrize("store", [None, "stores/churn"])
def test_harvest_true_starts_the_store_lineage_init_would(git_repo, tmp_path, store) -> None:
    """store_path naming the repository's own store location (`.lineage/`, or lineage.yaml's
    `store:`) starts the store there, as `lineage init` would, relative to the repository."""
    if store is not None:
        git_repo.write("lineage.yaml", f"store: {store}\n")
    git_repo.commit("init")
    value = store or ".lineage"
    proc = run_ingest(tmp_path, {"repo_path": str(git_repo.path), "harvest": True,
                                 "store_path": value}, tmp_path / "out.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (git_repo.path / value / "lineage.db").is_file()
    assert not (tmp_path / value).exists()


def test_harvest_true_refuses_a_store_it_would_harvest_into_and_keeps_it(repo, tmp_path) -> None:
    junk = _text_as_db(repo, tmp_path)
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": True,
                                 "store_path": str(junk)}, tmp_path / "out.json")
    assert "holds a lineage.db that is no lineage store" in config_error(proc)
    assert (junk / "lineage.db").read_text() == "junk\n"


def test_unreadable_store_path(repo, tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("this user reads any folder (root)")
        proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": False,
                                     "store_path": str(locked)}, tmp_path / "out.json")
    finally:
        locked.chmod(0o755)
    line = config_error(proc)
    assert f"store_path: '{locked}' cannot be read" in line, line
    assert "let the user running `datahub ingest` read it" in line, line


def test_no_store_yet_with_harvest_false(git_repo, tmp_path) -> None:
    git_repo.commit("init")
    proc = run_ingest(tmp_path, {"repo_path": str(git_repo.path), "harvest": False},
                      tmp_path / "out.json")
    line = config_error(proc)
    assert (f"source.config.harvest: false, but {git_repo.path} has no lineage store to read "
            f"({git_repo.path}/.lineage/lineage.db: it does not exist)") in line, line
    assert "run `lineage init` and `lineage harvest` there, set harvest: true" in line, line


def test_a_wrong_repo_path_or_harvester_fails_before_any_harvest(git_repo, tmp_path) -> None:
    git_repo.commit("init")
    nowhere = tmp_path / "nowhere"
    line = config_error(run_ingest(tmp_path, {"repo_path": str(nowhere)}, tmp_path / "a.json"))
    assert f"source.config.repo_path: '{nowhere}' does not exist — point repo_path at" in line
    line = config_error(run_ingest(tmp_path, {"repo_path": str(git_repo.path),
                                              "harvesters": ["gti"]}, tmp_path / "b.json"))
    assert "source.config.harvesters: unknown harvester 'gti' — did you mean 'gto'?" in line
    assert not (git_repo.path / ".lineage").exists()  # nothing was initialised or harvested


def test_unknown_keys_and_wrong_types_name_the_key_never_the_value(repo, tmp_path) -> None:
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "store_pth": "/srv/lineage",
                                 "token": "s3cr3t-t0ken", "harvest": "s3cr3t-b00l"},
                      tmp_path / "out.json")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.splitlines() == [
        f"{HEAD}connectors.sinks.datahub.source.LineageSource): 3 settings are wrong",
        "  source.config.harvest: expected true or false",
        "  source.config: unknown key 'store_pth' — did you mean store_path? (keys: repo_path, "
        "store_path, harvest, harvesters, platform, env, convert_urns_to_lowercase)",
        "  source.config: unknown key 'token' — keys: repo_path, store_path, harvest, "
        "harvesters, platform, env, convert_urns_to_lowercase",
    ], proc.stdout
    assert "s3cr3t" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_stateful_ingestion_key_says_why_it_is_refused(repo, tmp_path) -> None:
    proc = run_ingest(tmp_path, {"repo_path": str(repo),
                                 "stateful_ingestion": {"enabled": True}}, tmp_path / "out.json")
    assert "unknown key 'stateful_ingestion' — this source keeps no state between runs" in \
        config_error(proc)


def test_a_store_path_elsewhere_is_read_or_created(repo, tmp_path) -> None:
    from connectors.sinks.datahub.render import render
    from tests.golden.datahub.fixture_graph import fixed_graph

    # the seeded store, named relative to the repository from elsewhere, read as it is
    out = tmp_path / "read.json"
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": False,
                                 "store_path": ".lineage"}, out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted((m["entityUrn"], m["aspectName"]) for m in json.loads(out.read_text())) == \
        sorted((m.entityUrn, m.aspectName) for m in render(fixed_graph()))
    # an empty folder made for it, harvested into
    fresh = tmp_path / "stores" / "churn"
    fresh.mkdir(parents=True)
    proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": True,
                                 "store_path": str(fresh)}, tmp_path / "fresh.json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (fresh / "lineage.db").is_file()


def test_harvest_false_reads_a_store_nobody_can_write(repo, tmp_path) -> None:
    """A store on read-only media (a copy handed over, a mounted volume) is read as it is:
    with harvest: false the source only reads it, as `lineage audit` does."""
    from tests.conftest import read_only

    folder = repo / ".lineage"
    for side in ("lineage.db-wal", "lineage.db-shm"):
        (folder / side).unlink(missing_ok=True)
    out = tmp_path / "out.json"
    with read_only(folder, *(p for p in folder.iterdir() if p.is_file())):
        proc = run_ingest(tmp_path, {"repo_path": str(repo), "harvest": False,
                                     "store_path": str(folder)}, out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "model:churn@v1.1.0" in json.dumps(json.loads(out.read_text()))
