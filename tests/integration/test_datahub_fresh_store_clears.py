"""A store that never pushed to a destination (a CI job's fresh clone) and pushes to one an
earlier lineage push filled: what that push showed of a model version and the graph no longer
renders (the evidence link of an approval a correction superseded) is cleared, as the store
that pushed it would clear it. Only what a lineage push wrote there is: an aspect another tool
wrote is left as it is. The real DataHub Lite file, through the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.sink import lite_config  # noqa: E402
from lineage.cli.main import app  # noqa: E402

runner = CliRunner()
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
PROD_V2 = ("urn:li:mlModelDeployment:(urn:li:dataPlatform:dvc,"
           "churn_v1.1.0_prod_20260120T080000Z,PROD)")
EVIDENCE = "https://tracker.example.com/browse/ML-12"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def push(repo: Path, lite: Path, *args: str) -> dict[str, Any]:
    out = lineage("push", "-C", str(repo), "--to", "datahub-lite", str(lite), "--json", *args)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def lite_get(lite: Path, urn: str) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    db = get_datahub_lite(lite_config(lite, read_only=True), read_only=True)
    try:
        return db.get(urn, None) or {}
    finally:
        db.close()


def links(lite: Path, urn: str) -> list[str]:
    held = lite_get(lite, urn).get("institutionalMemory") or {"elements": []}
    return [e["url"] for e in held["elements"]]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def fresh_clone(repo: Path, dest: Path) -> Path:
    """The repository as a CI job gets it: its files and history, no store."""
    shutil.copytree(repo, dest, symlinks=True)
    shutil.rmtree(dest / ".lineage")
    lineage("init", "-C", str(dest))
    lineage("harvest", "-C", str(dest))
    return dest


def correct_the_staging_approval(repo: Path) -> None:
    """v1.1.0's staging approval corrected by one with no evidence link, committed as a
    governance file (what a fresh clone harvests)."""
    lineage("record", "approval", "-C", str(repo), "--model", "churn@v1.1.0", "--env",
            "staging", "--approver", "ada@example.com", "--role", "ml-lead",
            "--decided-at", "2026-01-14T10:00:00Z", "--id", "churn-v1.1.0-staging-fix",
            "--prop", "supersedes=churn-v1.1.0-staging", "--write-file")
    git(repo, "add", "governance")
    git(repo, "commit", "-q", "-m", "correct the staging approval")


@pytest.fixture
def demo(quickstart_demo: Path) -> Path:
    """The demo without its remote (no web page: document files are no links), so v1.1.0's
    only link is its staging approval's evidence."""
    git(quickstart_demo, "remote", "remove", "origin")
    lineage("harvest", "-C", str(quickstart_demo))
    return quickstart_demo


def test_a_fresh_store_clears_what_an_earlier_push_showed(demo: Path, tmp_path: Path) -> None:
    lite = tmp_path / "team-catalog.db"
    push(demo, lite)
    assert links(lite, V2) == [EVIDENCE]
    correct_the_staging_approval(demo)
    clone = fresh_clone(demo, tmp_path / "ci")
    out = push(clone, lite)
    assert out["failed"] == 0 and not out.get("kept_records")
    assert links(lite, V2) == []  # the superseded approval's evidence is no longer shown
    assert out.get("cleared_aspects") == 1
    # what the store that pushed first shows now is the same
    fix = push(demo, lite)
    assert links(lite, V2) == [] and fix["failed"] == 0
    # and the clone, having pushed, has nothing left to send
    assert push(clone, lite)["written"] == 0


def test_what_another_tool_wrote_is_left(demo: Path, tmp_path: Path) -> None:
    """A link a person added in the UI to a deployment whose page lineage shows no link
    for: a fresh store's push does not know it and leaves it."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata import schema_classes as sc

    lite = tmp_path / "team-catalog.db"
    push(demo, lite)
    assert links(lite, PROD_V2) == []
    runbook = "https://wiki.example.com/churn/runbook"
    db = get_datahub_lite(lite_config(lite))
    try:
        db.write(MetadataChangeProposalWrapper(entityUrn=PROD_V2, aspect=sc.InstitutionalMemoryClass(
            elements=[sc.InstitutionalMemoryMetadataClass(
                url=runbook, description="Runbook",
                createStamp=sc.AuditStampClass(time=0, actor="urn:li:corpuser:ops"))])))
    finally:
        db.close()
    clone = fresh_clone(demo, tmp_path / "ci")
    out = push(clone, lite)
    assert links(lite, PROD_V2) == [runbook]
    assert "cleared_aspects" not in out


def test_a_destination_an_older_push_filled_is_left(demo: Path, tmp_path: Path) -> None:
    """Entities without the list of what lineage showed on them (pushed by a version before
    it, or by another tool under our urns) are not reconciled: nothing is cleared."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite

    lite = tmp_path / "team-catalog.db"
    push(demo, lite)
    db = get_datahub_lite(lite_config(lite))
    try:
        props = db.get(V2, ["mlModelProperties"])["mlModelProperties"]
        props["customProperties"].pop("lineage_aspects")
        from datahub.metadata.schema_classes import MLModelPropertiesClass

        db.write(MetadataChangeProposalWrapper(
            entityUrn=V2, aspect=MLModelPropertiesClass.from_obj(props)))
    finally:
        db.close()
    correct_the_staging_approval(demo)
    clone = fresh_clone(demo, tmp_path / "ci")
    out = push(clone, lite)
    assert links(lite, V2) == [EVIDENCE] and "cleared_aspects" not in out


def test_the_rendered_entities_say_what_lineage_shows_on_them(demo: Path,
                                                               tmp_path: Path) -> None:
    lite = tmp_path / "team-catalog.db"
    push(demo, lite)
    v2 = lite_get(lite, V2)
    listed = v2["mlModelProperties"]["customProperties"]["lineage_aspects"].split(",")
    governed = {"institutionalMemory", "structuredProperties", "glossaryTerms", "ownership",
                "incidentsSummary"}
    assert set(listed) == governed & set(v2) and "institutionalMemory" in listed
    group = lite_get(lite, GROUP)
    assert set(group["mlModelGroupProperties"]["customProperties"]["lineage_aspects"]
               .split(",")) == governed & set(group)


def test_a_fresh_store_clears_it_on_a_gms_too(demo: Path, tmp_path: Path) -> None:
    """The same through `--to datahub-rest` (the stand-in GMS: what it holds is read with
    ``GET /aspects/{urn}?aspect=…``, as on a real GMS), read once per entity."""
    from tests.standins.gms import running_gms

    def rest(repo: Path) -> dict[str, Any]:
        out = lineage("push", "-C", str(repo), "--to", "datahub-rest", "--server", gms.url,
                      "--json")
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    with running_gms() as gms:
        rest(demo)
        held = gms.aspect(V2, "institutionalMemory")
        assert [e["url"] for e in held["elements"]] == [EVIDENCE]
        correct_the_staging_approval(demo)
        clone = fresh_clone(demo, tmp_path / "ci")
        n = len(gms.requests)
        out = rest(clone)
        assert out["cleared_aspects"] == 1 and out["failed"] == 0
        assert gms.aspect(V2, "institutionalMemory")["elements"] == []
        reads = [r for r in gms.requests[n:] if r.method == "GET"
                 and "aspect=mlModelProperties" in r.path and "churn_v1.1.0" in
                 urllib.parse.unquote(r.path)]
        assert len(reads) == 1  # (the records' check reads the same aspect: not again)
        assert rest(clone)["written"] == 0
