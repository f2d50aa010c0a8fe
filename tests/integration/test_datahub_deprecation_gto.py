"""GTO's deregistrations and deprecations reach DataHub's ``deprecation`` aspect, and the
version DataHub orders last in its version set (the one it marks latest) is the one
``lineage show`` names: a real git repository with GTO tags, pushed to a real DataHub Lite
file and to an MCP file checked by ``datahub check metadata-file``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402

runner = CliRunner()
DATAHUB = Path(sys.executable).with_name("datahub")
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,fraud,PROD)"
V1 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,fraud_v1.0.0,PROD)"
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,fraud_v1.1.0,PROD)"
# the tag times of the fixture (GitRepo: one hour per commit or tag)
DEREGISTERED_AT = "2026-01-01T04:00:00Z"
DEPRECATED_AT = "2026-01-01T05:00:00Z"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture
def fraud(git_repo: GitRepo) -> GitRepo:
    """fraud v1.0.0 and v1.1.0 registered, v1.1.0 deregistered (``fraud@v1.1.0!``), then the
    artifact deprecated (``fraud@deprecated``); harvested and pushed to DataHub Lite."""
    git_repo.write("models/fraud.json", '{"w":1}\n')
    git_repo.commit("v1")
    git_repo.tag("fraud@v1.0.0", "register")
    git_repo.tag("fraud@v1.1.0", "register")
    git_repo.tag("fraud@v1.1.0!", "withdrawn: scored the wrong population")
    git_repo.tag("fraud@deprecated", "fraud scoring moves to the new platform")
    lineage("init", "-C", str(git_repo.path))
    lineage("harvest", "-C", str(git_repo.path))
    lineage("push", "-C", str(git_repo.path))
    return git_repo


def lite_get(lite: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def latest_shown(repo: GitRepo) -> str | None:
    from lineage import api

    store = api.open_store(repo.path)
    try:
        return api.latest_model_version(store.load_graph(), "model_group:fraud")
    finally:
        store.close()


def test_deregistered_version_and_deprecated_group_are_deprecated_in_datahub(
        fraud: GitRepo) -> None:
    lite = fraud.path / ".lineage" / "datahub-lite.db"
    v2 = lite_get(lite, V2)["deprecation"]
    assert v2["deprecated"] is True
    assert "fraud@v1.1.0!" in v2["note"] and "Carl Committer" in v2["note"], v2["note"]
    assert DEREGISTERED_AT in v2["note"]
    assert v2["decommissionTime"] == _ms(DEREGISTERED_AT)
    assert v2["actor"] == "urn:li:corpuser:carl@example.com"
    # the version lineage show names instead
    assert v2["replacement"] == V1
    group = lite_get(lite, GROUP)["deprecation"]
    assert group["deprecated"] is True
    assert "fraud@deprecated" in group["note"] and "carl@example.com" in group["note"]
    assert group["decommissionTime"] == _ms(DEPRECATED_AT)
    assert group["actor"] == "urn:li:corpuser:carl@example.com"
    # GTO deprecates the artifact: every version of it
    v1 = lite_get(lite, V1)["deprecation"]
    assert v1["deprecated"] is True and "fraud@deprecated" in v1["note"]


def test_the_version_datahub_orders_last_is_the_latest_lineage_show_names(
        fraud: GitRepo) -> None:
    lite = fraud.path / ".lineage" / "datahub-lite.db"
    assert latest_shown(fraud) == "model:fraud@v1.0.0"
    sort = {urn: lite_get(lite, urn)["versionProperties"]["sortId"] for urn in (V1, V2)}
    # DataHub marks the greatest sortId of a version set its latest
    assert max(sort, key=lambda u: sort[u]) == V1, sort


def test_registered_again_the_deprecation_is_lifted_on_the_next_push(
        fraud: GitRepo, tmp_path: Path) -> None:
    lite = fraud.path / ".lineage" / "datahub-lite.db"
    # a fresh clone pushing to the same catalog: it never pushed the deprecation it lifts
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(fraud.path), str(clone)], check=True)
    other = tmp_path / "other-catalog.db"
    shutil.copy(lite, other)
    assert lite_get(other, V2)["deprecation"]["deprecated"] is True
    # GTO registers v1.1.0 again (a counter: the tag name was taken), which also ends the
    # artifact's deprecation
    fraud.tag("fraud@v1.1.0#2", "register again: the population is fixed")
    lineage("harvest", "-C", str(fraud.path))
    out = json.loads(lineage("push", "-C", str(fraud.path), "--json").stdout)
    assert out["written"] > 0
    assert latest_shown(fraud) == "model:fraud@v1.1.0"
    v2 = lite_get(lite, V2)
    assert v2["deprecation"]["deprecated"] is False
    assert lite_get(lite, V1)["deprecation"]["deprecated"] is False
    group = lite_get(lite, GROUP)["deprecation"]
    assert group["deprecated"] is False and "brought it back" in group["note"]
    assert v2["versionProperties"]["sortId"] > lite_get(lite, V1)["versionProperties"]["sortId"]
    # an unchanged graph sends nothing
    again = json.loads(lineage("push", "-C", str(fraud.path), "--json").stdout)
    assert again["written"] == 0
    # the clone's store, pushed where the old one showed the deprecation: lifted there too
    fraud.run("git", "-C", str(clone), "fetch", "-q", "--tags", str(fraud.path))
    lineage("init", "-C", str(clone))
    lineage("harvest", "-C", str(clone))
    lineage("push", "-C", str(clone), "--to", "datahub-lite", str(other))
    assert lite_get(other, V2)["deprecation"]["deprecated"] is False
    assert lite_get(other, GROUP)["deprecation"]["deprecated"] is False


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not installed next to python")
def test_datahub_checks_the_deprecations(fraud: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "mcps.json"
    lineage("push", "-C", str(fraud.path), "--to", "datahub-file", str(out))
    sent = json.loads(out.read_text())
    assert {m["entityUrn"] for m in sent if m["aspectName"] == "deprecation"} == \
        {GROUP, V1, V2}
    check = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "all valid" in check.stdout
