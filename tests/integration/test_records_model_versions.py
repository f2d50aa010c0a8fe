"""A model version (group + version) is immutable: a run may re-state its bytes (a retry) or
produce a version that does not exist yet, never give a registered version other bytes — by
``lineage record run`` or by a governance run file (all or nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.records import next_version

runner = CliRunner()
V110 = "model:churn@v1.1.0"
REGISTERED_HASH = "md5:149a1092d4c2ea7aeec1ee63dbc9d869"


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    return quickstart_demo


def _invoke(demo: Path, *args: str):
    return runner.invoke(app, [*args, "-C", str(demo)])


def _state(demo: Path):
    store = api.open_store(demo)
    try:
        return store.head(), {n.id: n.attrs for n in store.iter_nodes()}, sorted(
            (e.kind, e.source, e.target) for e in store.iter_edges())
    finally:
        store.close()


def _artifact_edges(demo: Path, mid: str) -> list[str]:
    store = api.open_store(demo)
    try:
        return sorted(e.source for e in store.iter_edges() if e.target == mid
                      and str(e.kind) == "artifact")
    finally:
        store.close()


def test_a_run_giving_a_registered_version_other_bytes_is_refused(demo: Path) -> None:
    before = _state(demo)
    registered = before[1][V110]
    assert registered["artifact_hash"] == REGISTERED_HASH
    (demo / "models" / "churn.json").write_text('{"tampered":1}\n')
    res = _invoke(demo, "record", "run", "--name", "retrain",
                  "--model", "churn@v1.1.0=models/churn.json")
    assert res.exit_code == 2, res.output
    assert "churn@v1.1.0" in res.stderr
    assert REGISTERED_HASH in res.stderr and registered["commit"] in res.stderr
    assert "--model churn@v1.2.0=models/churn.json" in res.stderr
    assert _state(demo) == before  # nothing written

    # a version that does not exist yet is recorded
    res = _invoke(demo, "record", "run", "--name", "retrain",
                  "--model", "churn@v1.2.0=models/churn.json")
    assert res.exit_code == 0, res.output


def test_a_retry_re_stating_the_bytes_keeps_the_registration(demo: Path) -> None:
    registered = _state(demo)[1][V110]
    for _ in range(2):  # the same bytes, from HEAD (not the registration commit), twice
        res = _invoke(demo, "record", "run", "--name", "retrain",
                      "--model", "churn@v1.1.0=models/churn.json")
        assert res.exit_code == 0, res.output
        assert "warning" not in res.stderr
    now = _state(demo)[1][V110]
    for key in ("artifact_hash", "commit", "run_id", "created_at"):
        assert now[key] == registered[key], key
    assert len(_artifact_edges(demo, V110)) == 1


def test_a_run_file_giving_a_version_other_bytes_fails_the_harvest(demo: Path) -> None:
    assert _invoke(demo, "harvest").exit_code == 0
    before = _state(demo)
    (demo / "governance" / "run").mkdir(exist_ok=True)
    (demo / "governance" / "run" / "a-new-version.yaml").write_text(
        "kind: run\nid: fine\nname: train\nmodels:\n"
        "  - {name: churn, version: v9.0.0, hash: 'md5:00000000000000000000000000000001'}\n")
    (demo / "governance" / "run" / "retrain.yaml").write_text(
        "kind: run\nid: bad\nname: retrain\nmodels:\n"
        "  - name: churn\n    version: v1.1.0\n    path: models/churn.json\n"
        "    hash: md5:c57b15e081c26fa767195814cf240a06\n")
    res = _invoke(demo, "harvest")
    assert res.exit_code == 2, res.output
    assert "governance/run/retrain.yaml:4" in res.stderr
    assert "churn@v1.1.0" in res.stderr and REGISTERED_HASH in res.stderr
    assert "version: v1.2.0" in res.stderr
    assert _state(demo) == before  # all or nothing: not even the good file

    (demo / "governance" / "run" / "retrain.yaml").write_text(
        "kind: run\nid: bad\nname: retrain\nmodels:\n"
        f"  - {{name: churn, version: v1.1.0, hash: '{REGISTERED_HASH}'}}\n")
    res = _invoke(demo, "harvest")
    assert res.exit_code == 0, res.output
    after = _state(demo)[1]
    assert after[V110]["commit"] == before[1][V110]["commit"]
    assert "model:churn@v9.0.0" in after


def test_two_run_files_giving_one_new_version_other_bytes_fail_the_harvest(demo: Path) -> None:
    """Neither version is stored yet: the files contradict each other, not the store."""
    assert _invoke(demo, "harvest").exit_code == 0
    before = _state(demo)
    runs = demo / "governance" / "run"
    runs.mkdir(exist_ok=True)
    (runs / "a.yaml").write_text(
        "kind: run\nid: run-a\nname: train\nmodels:\n"
        "  - {name: churn, version: v9.0.0, hash: 'md5:00000000000000000000000000000001'}\n")
    (runs / "b.yaml").write_text(
        "kind: run\nid: run-b\nname: train\nmodels:\n"
        "  - name: churn\n    version: v9.0.0\n"
        "    hash: 'md5:00000000000000000000000000000002'\n")
    res = _invoke(demo, "harvest")
    assert res.exit_code == 2, res.output
    assert "churn@v9.0.0" in res.stderr
    assert "governance/run/a.yaml:4" in res.stderr and "governance/run/b.yaml:4" in res.stderr
    assert "md5:00000000000000000000000000000001" in res.stderr
    assert "version: v9.1.0" in res.stderr  # the fix: name the other version
    assert _state(demo) == before  # all or nothing

    # the same bytes stated by two runs (a retry) is one version
    (runs / "b.yaml").write_text(
        "kind: run\nid: run-b\nname: train\nmodels:\n"
        "  - {name: churn, version: v9.0.0, hash: 'md5:00000000000000000000000000000001'}\n")
    res = _invoke(demo, "harvest")
    assert res.exit_code == 0, res.output
    after = _state(demo)[1]
    assert after["model:churn@v9.0.0"]["artifact_hash"] == "md5:00000000000000000000000000000001"


@pytest.mark.parametrize(("version", "suggested"), [
    ("v1.1.0", "v1.2.0"), ("3", "4"), ("v2", "v3"), ("1.4.2-rc1", "1.5.0"),
    ("latest", "latest-2")])
def test_next_version(version: str, suggested: str) -> None:
    assert next_version(version) == suggested


def test_track_run_giving_a_registered_version_other_bytes_says_how_in_python(
        demo: Path) -> None:
    from connectors.tracking import track_run
    from lineage.errors import InputError

    before = _state(demo)
    with pytest.raises(InputError) as exc, track_run(demo, name="retrain") as run:
        (demo / "models" / "churn.json").write_text('{"tampered":1}\n')
        run.log_model(demo / "models" / "churn.json", name="churn", version="v1.1.0")
    assert REGISTERED_HASH in exc.value.message
    assert 'run.log_model(..., version="v1.2.0")' in (exc.value.hint or "")
    assert _state(demo) == before


def test_a_failed_run_file_claims_no_version_and_the_finished_retry_does(
        git_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run file saying a FAILED run wrote churn@v9.0.0 (its bytes) next to the retry that
    finished with other bytes: the failed run produced nothing, the retry produced the
    version (before, the two contradicted each other and the harvest failed)."""
    monkeypatch.chdir(git_repo.path)
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    run = ("kind: run\nid: {id}\nname: train\nstatus: {status}\nmodels:\n"
           "  - {{name: churn, version: v9.0.0, hash: 'md5:{hash}'}}\n")
    git_repo.write("governance/run/a.yaml", run.format(id="a1", status="FAILED", hash="0" * 32))
    git_repo.write("governance/run/b.yaml", run.format(id="b1", status="FINISHED",
                                                       hash="1" * 32))
    res = runner.invoke(app, ["harvest"])
    assert res.exit_code == 0, res.output
    assert "a FAILED run claims no model" in res.output.replace("\n", " ")
    store = api.open_store(git_repo.path)
    try:
        version = store.get_node("model:churn@v9.0.0")
        assert version is not None and version.attrs["artifact_hash"] == "md5:" + "1" * 32
        assert {e.source for e in store.iter_edges("produced")} == {"run:lineage:b1"}
        failed = store.get_node("run:lineage:a1")
        assert failed is not None and failed.attrs["status"] == "FAILED"
    finally:
        store.close()
