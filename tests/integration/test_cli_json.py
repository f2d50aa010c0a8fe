"""`--json` for pipelines: one JSON document on stdout and nothing else, the same shape when
there is nothing to do, and errors on stderr only (docs/ARCHITECTURE.md, Output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()

COMMANDS: list[tuple[str, ...]] = [
    ("harvest", "--json"),
    ("verify", "--json"),
    ("log", "--json", "-n", "3"),
    ("push", "--json"),
    ("audit", "--json"),
    ("audit", "--format", "json"),
    ("show", "churn@v1.1.0", "--json"),
    ("export",),
]


def _json(args: tuple[str, ...]) -> tuple[int, Any, str]:
    res = runner.invoke(app, list(args))
    assert "\x1b[" not in res.stdout + res.stderr, res.output
    return res.exit_code, json.loads(res.stdout), res.stderr


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted(value)
    if isinstance(value, list):
        return sorted({k for v in value if isinstance(v, dict) for k in v})
    return type(value).__name__


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_stdout_is_one_json_document_of_one_shape(quickstart_demo: Path,
                                                  args: tuple[str, ...]) -> None:
    code, first, _ = _json(args)
    assert code == (1 if args[0] == "audit" else 0)
    # again, with nothing new to harvest or push: the same keys
    code, again, _ = _json(args)
    assert code == (1 if args[0] == "audit" else 0)
    assert _keys(again) == _keys(first)


@pytest.mark.parametrize("args", [("harvest", "--json"), ("verify", "--json"),
                                  ("push", "--json"), ("audit", "--json"),
                                  ("show", "churn", "--json"), ("log", "--json")])
def test_an_error_under_json_is_on_stderr_only(git_repo: Any, args: tuple[str, ...]) -> None:
    git_repo.commit("first")  # a repository without a store
    res = runner.invoke(app, [*args, "-C", str(git_repo.path)])
    assert res.exit_code == 2, res.output
    assert res.stdout == "", res.stdout
    assert res.stderr.startswith("error: no lineage store"), res.stderr


def test_push_json_names_its_event_as_harvest_and_record_do(quickstart_demo: Path) -> None:
    code, out, _ = _json(("push", "--json"))
    assert code == 0
    log = json.loads(runner.invoke(app, ["log", "-n", "1", "--json"]).stdout)
    assert out["event"] == log[0]["seq"] and log[0]["kind"] == "push"
