"""An input given as a URL (a remote dataset) is recorded as that URL, without the
credentials it holds — not read as a local path, which folded `https://` into `https:/` and
kept the user and token out of reach of the URL scrubber, in the hash-chained log for good."""

from __future__ import annotations

import json
import warnings

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
SECRET = "ghp_s3cr3tT0ken"
URL = f"https://bot:{SECRET}@data.example.com/sets/train.csv"


@pytest.fixture
def repo(churn_repo: GitRepo) -> GitRepo:
    return churn_repo


def _stored(repo: GitRepo) -> str:
    with api.open_store(repo.path) as store:
        return json.dumps([e.payload for e in store.events()]) + json.dumps(
            [n.attrs for n in store.iter_nodes()]) + json.dumps(
            [[e.source, e.attrs] for e in store.iter_edges()])


def test_record_run_input_url_is_recorded_without_its_credentials(repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path), "--input", URL, "--json"])
    assert res.exit_code == 0, res.output
    assert SECRET not in res.output
    out = json.loads(res.stdout)
    assert out["record"]["inputs"] == [{"path": "https://data.example.com/sets/train.csv"}]
    assert any("credentials removed" in w for w in out["warnings"]), out["warnings"]
    assert SECRET not in _stored(repo)


def test_track_run_input_url_is_recorded_without_its_credentials(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run

    monkeypatch.chdir(repo.path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with track_run(repo.path, name="train", inputs=[URL]) as run:
            pass
    assert all(SECRET not in str(w.message) for w in seen)
    assert run.result is not None
    assert run.result.record.inputs[0].path == "https://data.example.com/sets/train.csv"  # type: ignore[attr-defined]
    assert SECRET not in _stored(repo)


def test_a_model_given_as_a_url_is_refused_without_showing_its_credentials(
        repo: GitRepo) -> None:
    res = runner.invoke(app, ["record", "run", "-C", str(repo.path),
                              "--model", f"churn@v1={URL}"])
    assert res.exit_code == 2, res.output
    assert SECRET not in res.output and "not a URL" in res.stderr


def test_track_run_refuses_a_model_url_without_showing_its_credentials(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.tracking import track_run
    from lineage.errors import InputError

    monkeypatch.chdir(repo.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError) as err, track_run(repo.path, name="train") as run:
            run.log_model(URL, name="churn")
    assert SECRET not in str(err.value) and "not a URL" in str(err.value)
    assert SECRET not in _stored(repo)
