"""Training scripts run by real MLflow in a test repository: the runs, datasets and model
versions MLflow itself writes to a SQLite tracking store (``mlflow.db`` at the repository
root), as a user's ``python train.py`` leaves them. Skipped where MLflow is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PINNED_ENV

# what every script starts with: the repository's store, one experiment
PROLOGUE = """
import hashlib, json, os, sys
import mlflow
import pandas as pd
from mlflow import MlflowClient
mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment("churn")
out = {}
"""


def run_mlflow(repo: Path, body: str, name: str = "train.py") -> dict[str, Any]:
    """Run ``body`` (after :data:`PROLOGUE`; it fills the dict ``out``) with this Python as
    ``<repo>/<name>``, from the repository root as a user would; returns ``out``. The script
    file is left in the repository (MLflow names it the run's source)."""
    pytest.importorskip("mlflow")
    pytest.importorskip("pandas")
    script = repo / name
    script.write_text(PROLOGUE + body + "\nprint('OUT=' + json.dumps(out))\n")
    env = {**os.environ, **PINNED_ENV, "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}
    env.pop("MLFLOW_REGISTRY_URI", None)
    res = subprocess.run([sys.executable, name], cwd=repo, env=env, capture_output=True,
                         text=True)
    if res.returncode != 0:
        raise AssertionError(f"{name}: exit {res.returncode}: {res.stderr[-3000:]}")
    line = next(x for x in reversed(res.stdout.splitlines()) if x.startswith("OUT="))
    return dict(json.loads(line[len("OUT="):]))
