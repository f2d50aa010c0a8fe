"""Pure helpers of the run harvesters."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.harvesters.dvc_exp import flatten
from connectors.harvesters.mlflow import (
    Emitter,
    normalize_hash,
    redact,
    repo_relative,
    shown_uri,
)
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


def test_shown_uri_drops_credentials_and_secret_parameters_only() -> None:
    assert shown_uri("sqlite://alice:pw123@/mlflow.db") == "sqlite:///mlflow.db"
    assert shown_uri("sqlite:////abs/mlflow.db") == "sqlite:////abs/mlflow.db"
    assert shown_uri("https://127.0.0.1:9/?token=abcd1234TOKEN&x=1") == \
        "https://127.0.0.1:9/?token=REDACTED&x=1"
    assert shown_uri("https://bob:pw@mlflow.example.com:8443/") == \
        "https://mlflow.example.com:8443/"
    for plain in ("databricks", "./mlruns", "file:///srv/mlruns", "http://h:5000"):
        assert shown_uri(plain) == plain


def test_redact_scrubs_the_raw_uri_from_client_errors() -> None:
    raw = "https://alice:pw12@127.0.0.1:9/?token=TOK123"
    text = redact(f"API request to {raw}/api/2.0/mlflow/runs/search failed: Max retries "
                  "exceeded with url: /?token=TOK123/api/2.0/mlflow/runs/search; "
                  "auth TOK123 rejected", raw)
    assert "TOK123" not in text and "pw12" not in text and "alice" not in text
    assert "https://127.0.0.1:9/?token=REDACTED" in text
    assert "Max retries exceeded with url: /?token=REDACTED" in text


def test_openlineage_lifecycle_ignores_the_order_of_events() -> None:
    import itertools

    from connectors.harvesters.openlineage import lifecycle, parse_time

    t = [parse_time(f"2026-01-03T10:0{i}:00Z") for i in range(6)]
    events = [(t[1], "START"), (t[2], "RUNNING"), (t[4], "FAIL"), (t[3], "OTHER")]
    for order in itertools.permutations(events):
        assert lifecycle(order) == ("FAIL", t[1], t[4])
    assert lifecycle([(t[2], "RUNNING"), (t[1], "START")]) == ("RUNNING", t[1], None)
    # no START, or only one re-sent after the end: the earliest event starts the run
    assert lifecycle([(t[4], "COMPLETE"), (t[2], "OTHER")]) == ("COMPLETE", t[2], t[4])
    assert lifecycle([(t[4], "COMPLETE"), (t[5], "START")]) == ("COMPLETE", t[4], t[4])
    # two terminal events: the latest; at the same instant, the failure
    assert lifecycle([(t[4], "FAIL"), (t[5], "COMPLETE")])[0] == "COMPLETE"
    assert lifecycle([(t[4], "COMPLETE"), (t[4], "FAIL")])[0] == "FAIL"
