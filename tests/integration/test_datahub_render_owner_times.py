"""A dataset's owners, as an OpenLineage ``ownership`` facet names them, were last modified by
the run that named them: DataHub's ``ownership.lastModified`` is that run's time (its end),
not 0 (which DataHub's UI shows as 1 January 1970), nor the time of the push."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

pytest.importorskip("datahub")

runner = CliRunner()
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
TABLE = {"namespace": "postgres://db.internal:5432", "name": "crm.customers"}


def _event(run_id: str, state: str, at: str, owner: str | None) -> dict[str, object]:
    facets = {"ownership": {"owners": [{"name": owner}]}} if owner else {}
    return {"eventType": state, "eventTime": at, "producer": PRODUCER,
            "run": {"runId": run_id}, "job": {"namespace": "airflow", "name": "crm_sync"},
            "inputs": [{**TABLE, "facets": facets}]}


def _ms(t: str) -> int:
    return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)


def test_a_datasets_owners_were_last_modified_by_the_run_that_named_them(
        git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("README.md", "crm\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    run = "0190a5b2-0000-7000-8000-000000000001"
    log = git_repo.path / "openlineage" / "events.jsonl"
    log.parent.mkdir()
    log.write_text("".join(json.dumps(e) + "\n" for e in (
        _event(run, "START", "2026-01-04T10:00:00Z", None),
        _event(run, "COMPLETE", "2026-01-04T10:05:00Z", "team:crm"))))
    res = api.harvest(git_repo.path, only=["openlineage"])
    assert [str(w) for w in res.report.warnings] == []

    out = tmp_path / "mcps.json"
    pushed = runner.invoke(app, ["push", "--to", "datahub-file", str(out),
                                 "--repo", str(git_repo.path)])
    assert pushed.exit_code == 0, pushed.output
    (owned,) = [m for m in json.loads(out.read_text()) if m["aspectName"] == "ownership"
                and "crm.customers" in m["entityUrn"]]
    got = owned["aspect"]["json"]
    assert [o["owner"] for o in got["owners"]] == ["urn:li:corpGroup:crm"]
    assert got["lastModified"] == {"time": _ms("2026-01-04T10:05:00Z"),
                                   "actor": "urn:li:corpuser:lineage"}
