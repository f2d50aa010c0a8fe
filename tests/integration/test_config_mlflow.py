"""``mlflow:`` in lineage.yaml: the tracking and registry stores as MLflow's environment
variables name them (which win over the file), each URI checked when the file is loaded."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.config import load_config
from tests.conftest import GitRepo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow"
_REGISTRY_TABLES = ("model_version_tags", "registered_model_aliases", "model_versions",
                    "registered_model_tags", "registered_models")


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The fixture store split as MLflow writes it with a registry URI of its own: the runs
    in mlflow.db, the registry in registry.db (both files hold the whole schema)."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    tracking, registry = git_repo.path / "mlflow.db", git_repo.path / "registry.db"
    shutil.copy(FIXTURES / "mlflow.db", tracking)
    shutil.copy(FIXTURES / "mlflow.db", registry)
    for db, tables in ((tracking, _REGISTRY_TABLES),
                       (registry, ("tags", "params", "latest_metrics", "metrics", "inputs",
                                   "runs"))):
        conn = sqlite3.connect(db)
        with conn:
            for table in tables:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        conn.close()
    git_repo.write("README.md", "demo\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


def test_registry_uri_in_lineage_yaml_is_where_the_registry_is_read(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "mlflow:\n  tracking_uri: sqlite:///mlflow.db\n"
                               "  registry_uri: sqlite:///registry.db\n")
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    v1 = store.get_node("model:churn-model@1")
    store.close()
    assert v1 is not None and v1.attrs["aliases"] == ["champion"]
    assert api.harvest(repo.path, only=["mlflow"]).new_events == 0


def test_mlflow_registry_uri_wins_over_the_file(repo: GitRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("lineage.yaml", "mlflow:\n  tracking_uri: sqlite:///mlflow.db\n"
                               "  registry_uri: sqlite:///nowhere.db\n")
    assert load_config(repo.path).mlflow.registry_uri == "sqlite:///nowhere.db"
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///registry.db")
    assert load_config(repo.path).mlflow.registry_uri == "sqlite:///registry.db"
    res = api.harvest(repo.path, only=["mlflow"])
    assert res.report.warnings == []
    store = api.open_store(repo.path)
    assert store.get_node("model:churn-model@2") is not None
    store.close()


@pytest.mark.parametrize("uri", ["sqlite:/mlflow.db", "sqlite://bob:s3cretpw@mlflow.db"])
@pytest.mark.parametrize("key", ["tracking_uri", "registry_uri"])
def test_a_sqlite_uri_mlflow_cannot_read_is_a_config_error_naming_the_line(
        repo: GitRepo, key: str, uri: str) -> None:
    """``sqlite:/mlflow.db`` (one slash), ``sqlite://mlflow.db`` (a host): the error names the
    file, the line and the field, and how a SQLite store is written, when the file is loaded;
    a password in the URI is not shown."""
    other = "registry_uri" if key == "tracking_uri" else "tracking_uri"
    repo.write("lineage.yaml", f"store: .lineage\nmlflow:\n  {other}: sqlite:///mlflow.db\n"
                               f"  {key}: '{uri}'\n")
    for args in (["harvest", "-C", str(repo.path), "--only", "mlflow"],
                 ["-v", "harvest", "-C", str(repo.path), "--only", "mlflow"]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2, res.output
        assert f"error: {repo.path / 'lineage.yaml'}:4: field mlflow.{key}: " in res.output, \
            res.output
        assert "sqlite:///" in res.output and "s3cretpw" not in res.output, res.output
        assert args[0] == "-v" or "Traceback" not in res.output, res.output


def test_a_registry_uri_without_a_tracking_uri_says_so(repo: GitRepo) -> None:
    """MLflow reads a registry with its tracking store: a registry URI alone read nothing,
    silently."""
    repo.write("lineage.yaml", "mlflow:\n  registry_uri: sqlite:///registry.db\n")
    res = api.harvest(repo.path)
    said = [w for w in res.report.warnings if w.source == "mlflow"]
    assert len(said) == 1, res.report.warnings
    assert "registry" in said[0].message and "tracking" in said[0].message
    assert said[0].field == "mlflow.registry_uri"
    assert "MLFLOW_TRACKING_URI" in said[0].message
