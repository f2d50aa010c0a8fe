"""`datahub.lowercase_urns` in lineage.yaml: the push lower-cases dataset urn names as
`-o lowercase_urns=true` does (the option wins); a value that is no boolean is an error
naming the file, line and field."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from lineage.config import load_config
from lineage.errors import ConfigError


def test_lowercase_urns_in_lineage_yaml(tmp_path: Path) -> None:
    pytest.importorskip("datahub")
    from connectors.sinks.datahub.sink import DataHubFileSink

    (tmp_path / "lineage.yaml").write_text("datahub:\n  lowercase_urns: true\n")
    cfg = load_config(tmp_path)
    assert cfg.datahub.lowercase_urns is True
    sink = DataHubFileSink()
    assert sink._lowercase(SimpleNamespace(options={}, config=cfg)) is True
    off = SimpleNamespace(options={"lowercase_urns": "false"}, config=cfg)
    assert sink._lowercase(off) is False
    assert load_config(tmp_path / "none").datahub.lowercase_urns is False


def test_a_lowercase_urns_that_is_no_boolean_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "lineage.yaml").write_text("datahub:\n  env: PROD\n  lowercase_urns: maybe\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    text = str(err.value)
    assert "lineage.yaml:3" in text and "datahub.lowercase_urns" in text, text
