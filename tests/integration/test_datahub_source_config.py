"""The DataHub ingestion source's own `platform` / `env` are checked as lineage.yaml's
`datahub.platform` / `datahub.env` are: a recipe naming one DataHub refuses (or that would
write broken urns) fails before anything is read or sent, saying what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("datahub")

from pydantic import ValidationError  # noqa: E402

from connectors.sinks.datahub.source import LineageSourceConfig  # noqa: E402
from lineage.config import DataHubConfig  # noqa: E402


@pytest.mark.parametrize("config,field,needle", [
    ({"platform": "bad,x"}, "platform", "lowercase letters, digits"),
    ({"platform": "DVC"}, "platform", "lowercase letters, digits"),
    ({"platform": ""}, "platform", "lowercase letters, digits"),
    ({"env": "production"}, "env", "is not a DataHub environment: use one of DEV, TEST"),
    ({"harvesters": []}, "harvesters", "remove it to run every harvester"),
])
def test_a_bad_platform_env_or_empty_harvester_list_is_refused(config: dict, field: str,
                                                              needle: str) -> None:
    with pytest.raises(ValidationError) as exc:
        LineageSourceConfig.model_validate(config)
    (err,) = exc.value.errors()
    assert err["loc"] == (field,)
    assert needle in err["msg"], err["msg"]


@pytest.mark.parametrize("value", ["prod", "Prod", "PROD", "sandbox"])
def test_env_reads_as_lineage_yaml_reads_it(value: str) -> None:
    # the same check, the same result: any case, written upper case into urns
    assert LineageSourceConfig.model_validate({"env": value}).env == \
        DataHubConfig.model_validate({"env": value}).env == value.upper()


def test_unset_platform_and_env_keep_their_defaults() -> None:
    cfg = LineageSourceConfig.model_validate({"platform": "my-platform.v2"})
    assert (cfg.platform, cfg.env, cfg.harvesters) == ("my-platform.v2", None, None)


DATAHUB = Path(__import__("sys").executable).with_name("datahub")


@pytest.mark.skipif(not DATAHUB.exists(), reason="datahub CLI not in this environment")
def test_datahub_ingest_fails_the_recipe_naming_the_setting(git_repo, tmp_path) -> None:
    from tests.integration.test_datahub_source import run_ingest

    git_repo.commit("init")
    out = tmp_path / "mcps.json"
    proc = run_ingest(tmp_path, {"repo_path": str(git_repo.path), "harvest": True,
                                 "platform": "My Platform"}, out)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "'My Platform' is not a DataHub platform name" in text, text[-3000:]
    assert not (git_repo.path / ".lineage").exists()  # failed before any harvest
