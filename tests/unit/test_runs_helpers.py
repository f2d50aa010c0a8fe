"""Pure helpers of the run harvesters."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.harvesters.dvc_exp import flatten
from connectors.harvesters.mlflow import Emitter, normalize_hash, redact, repo_relative
from connectors.harvesters.openlineage import parse_time, repo_path_of


def test_repo_relative(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    assert repo_relative("data/train.csv", root) == "data/train.csv"
    assert repo_relative("./data/../data/train.csv", root) == "data/train.csv"
    assert repo_relative(str(root / "data" / "x.csv"), root) == "data/x.csv"
    assert repo_relative((root / "data" / "a b.csv").as_uri(), root) == "data/a b.csv"
    for outside in ("s3://bucket/train.csv", "models:/m-1", "runs:/abc/model",
                    str(tmp_path / "other.csv"), "../other.csv", "", None, "."):
        assert repo_relative(outside, root) is None, outside


def test_normalize_hash() -> None:
    md5 = "3F2A9C1B0D8E7F6A5B4C3D2E1F0A9B8C"
    assert normalize_hash(md5) == f"md5:{md5.lower()}"
    assert normalize_hash(f"MD5:{md5}") == f"md5:{md5.lower()}"
    assert normalize_hash(f"{md5}.dir") == f"md5:{md5.lower()}.dir"
    assert normalize_hash("sha256:abc") == "sha256:abc"
    assert normalize_hash("v7") == "v7"


def test_redact() -> None:
    assert redact("GET https://u:p@h:5000/api failed") == "GET https://h:5000/api failed"
    assert redact("no url here") == "no url here"
    assert redact("https://x-access-token:ghs_abc@github.com/o/r.git") == "https://github.com/o/r.git"


def test_alias_moves() -> None:
    moves = Emitter._alias_moves
    assert moves(None, {"churn": {"champion": "1"}}) == {}  # first sight is no move
    assert moves({"churn": {"champion": "1"}}, {"churn": {"champion": "1"}}) == {}
    assert moves({"churn": {"champion": "1"}}, {"churn": {"champion": "2"}}) == {
        "model:churn@2": {"champion": "1 -> 2"}}
    assert moves({"churn": {"champion": "1"}}, {"churn": {}}) == {
        "model:churn@1": {"champion": "1 -> none"}}
    assert moves({}, {"churn": {"prod": "3"}}) == {"model:churn@3": {"prod": "none -> 3"}}


def test_parse_time() -> None:
    assert parse_time("2026-01-03T10:00:01.123456789Z").isoformat() == \
        "2026-01-03T10:00:01.123456+00:00"
    assert parse_time("2026-01-03T12:00:00+02:00").utcoffset().total_seconds() == 7200
    for bad in ("2026-01-03T10:00:00", "yesterday", 17, None):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_repo_path_of(tmp_path: Path) -> None:
    assert repo_path_of("file", str(tmp_path / "d" / "x.csv"), tmp_path) == "d/x.csv"
    assert repo_path_of("file://host", "d/x.csv", tmp_path) == "d/x.csv"
    assert repo_path_of("file", (tmp_path / "d" / "x.csv").as_uri(), tmp_path) == "d/x.csv"
    assert repo_path_of("s3://bucket", "d/x.csv", tmp_path) is None
    assert repo_path_of("file", "/elsewhere/x.csv", tmp_path) is None


def test_flatten() -> None:
    assert flatten({"train": {"lr": 0.1, "layers": [1, 2]}, "seed": 7}) == {
        "train.lr": 0.1, "train.layers": [1, 2], "seed": 7}
    assert flatten(3) == {}
