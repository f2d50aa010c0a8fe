"""``lineage audit --source datahub-lite|datahub-rest`` of a catalog holding nothing of ours
(an empty or zero-byte Lite file, the wrong file, a GMS without ML entities) is an error, not a
clean audit: with nothing to check, the gate passed (exit 0, "no findings")."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("datahub")

from connectors.sinks.datahub.reader import read_lite, read_rest  # noqa: E402
from lineage.cli.main import app  # noqa: E402
from lineage.errors import ConfigError  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.standins.gms import running_gms  # noqa: E402

runner = CliRunner()


def _empty_lite(path: Path) -> Path:
    from datahub.lite.lite_util import get_datahub_lite

    get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}}).close()
    return path


@pytest.mark.parametrize("make", ["empty", "zero-bytes"])
def test_auditing_an_empty_lite_file_fails(git_repo: GitRepo, tmp_path: Path,
                                           make: str) -> None:
    git_repo.commit("init")
    catalog = tmp_path / "catalog.db"
    if make == "empty":
        _empty_lite(catalog)
    else:
        catalog.touch()
    res = runner.invoke(app, ["audit", "--repo", str(git_repo.path), "--source",
                              "datahub-lite", str(catalog)])
    assert res.exit_code == 2, res.output
    assert "holds no ML lineage" in res.output
    assert "lineage push" in res.output  # what to do next


def test_read_lite_of_a_catalog_of_other_tools_only(tmp_path: Path) -> None:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata.schema_classes import DatasetPropertiesClass

    catalog = tmp_path / "tables.db"
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(catalog)}})
    lite.write(MetadataChangeProposalWrapper(
        entityUrn="urn:li:dataset:(urn:li:dataPlatform:snowflake,sales.customers,PROD)",
        aspect=DatasetPropertiesClass(name="customers")))
    lite.close()
    with pytest.raises(ConfigError) as err:
        read_lite(str(catalog))
    assert "holds no ML lineage" in str(err.value)


def test_read_rest_of_a_gms_without_ml_entities() -> None:
    with running_gms() as gms, pytest.raises(ConfigError) as err:
        read_rest(gms.url)
    assert "holds no ML lineage" in str(err.value) and gms.url in str(err.value)
