"""A CI run that names this repository only by its ``sourceCodeLocation.url``. In the
OpenLineage spec ``url`` is the facet's required field ("the full http URL to locate the
file") and ``repoUrl`` optional; producers write the file's web URL on the git host
(Airflow: ``https://github.com/<org>/<repo>/blob/<sha>/dags/x.py``, GitLab's ``/-/blob/``,
Bitbucket's ``/src/``). Such a run's files of its CI checkout
(``/home/runner/work/churn/churn/…``) are this repository's paths: the input is pinned to
DVC's content, and the model file it wrote at the registration commit produced the version.
A run that names no repository at all is not guessed at, but a warning says why its path
is joined to nothing (as for MLflow); one that names another repository says nothing. On a
real git + DVC + GTO repository, harvested through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api, ids
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo

pytest.importorskip("dvc")

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0"
RUN = "01900000-0000-7000-8000-0000000000a1"
RID = f"run:openlineage:{RUN}"
CI = "/home/runner/work/churn/churn"
MODEL = "model:churn@v1.0.0"
runner = CliRunner()


def make_repo(r: GitRepo, remote: str) -> str:
    """data/train.csv and models/churn.json added with DVC, the model a GTO artifact
    registered as churn@v1.0.0 at that commit; its sha."""
    r.git("remote", "add", "origin", remote)
    r.dvc("init", "-q")
    r.write("data/train.csv", "age,churn\n31,0\n")
    r.write("models/churn.json", '{"w": 1}\n')
    r.write("notes/readme.txt", "not tracked by DVC\n")
    r.dvc("add", "-q", "data/train.csv", "models/churn.json")
    r.write("dvc.yaml", "artifacts:\n  churn:\n    path: models/churn.json\n    type: model\n")
    sha = r.commit("data and model")
    r.git("tag", "-a", "churn@v1.0.0", "-m", "Registering artifact churn version v1.0.0")
    api.init(r.path)
    return sha


def harvest(r: GitRepo, sha: str, url: str | None, *, inputs: list[str] | None = None,
            outputs: list[str] | None = None, namespace: str = "github-actions"
            ) -> list[dict[str, Any]]:
    """One CI run (START, COMPLETE) whose sourceCodeLocation has ``url`` and no repoUrl,
    read by ``lineage harvest --json``: its warnings."""
    code: dict[str, Any] = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/"
                            "facets/1-0-0/SourceCodeLocationJobFacet.json", "type": "git",
                            "version": sha}
    if url is not None:
        code["url"] = url.format(sha=sha)
    ins = [{"namespace": "file", "name": p} for p in
           (inputs if inputs is not None else [f"{CI}/data/train.csv"])]
    outs = [{"namespace": "file", "name": p} for p in
            (outputs if outputs is not None else [f"{CI}/models/churn.json"])]
    lines = [{"eventType": state, "eventTime": at, "producer": PRODUCER, "run": {"runId": RUN},
              "job": {"namespace": namespace, "name": "churn.train",
                      "facets": {"sourceCodeLocation": code}},
              "inputs": ins, "outputs": outs}
             for state, at in (("START", "2025-12-31T22:00:00Z"),
                               ("COMPLETE", "2025-12-31T23:00:00Z"))]
    r.write("openlineage/ci.jsonl", "".join(json.dumps(e) + "\n" for e in lines))
    res = runner.invoke(app, ["harvest", "-C", str(r.path), "--json"])
    assert res.exit_code == 0, res.output
    return list(json.loads(res.stdout)["warnings"])


def joined(r: GitRepo) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The run's inputs and outputs (data id → edge attrs), and what it PRODUCED."""
    graph = api.open_store(r.path).load_graph()
    ins = {e.source: e.attrs for e in graph.in_edges(RID, EdgeKind.INPUT)}
    outs = {e.target: e.attrs for e in graph.out_edges(RID, EdgeKind.OUTPUT)}
    made = sorted(e.target for e in graph.out_edges(RID, EdgeKind.PRODUCED))
    return ins, outs, made


@pytest.mark.parametrize("remote,url", [
    # the Airflow provider: the DAG file at the commit
    ("https://github.com/acme/churn.git", "https://github.com/acme/churn/blob/{sha}/dags/churn.py"),
    ("git@github.com:acme/churn.git", "https://github.com/acme/churn/tree/main/dags"),
    ("https://github.com/acme/churn.git", "https://github.com/acme/churn"),
    ("https://github.com/acme/churn.git", "https://GitHub.com/Acme/Churn/blob/main/train.py#L10"),
    ("https://gitlab.com/acme/ml/churn.git", "https://gitlab.com/acme/ml/churn/-/blob/{sha}/train.py"),
    ("git@bitbucket.org:acme/churn.git", "https://bitbucket.org/acme/churn/src/{sha}/train.py"),
    # a CI checkout's remote with its token: the same repository (the token is not kept)
    ("https://github.com/acme/churn.git",
     "https://x-access-token:ghs_0123456789abcdef@github.com/acme/churn.git"),
])
def test_the_url_names_the_repository(git_repo: GitRepo, remote: str, url: str) -> None:
    sha = make_repo(git_repo, remote)
    assert harvest(git_repo, sha, url) == []
    ins, outs, made = joined(git_repo)
    assert outs[f"data:file:{CI}/models/churn.json@unversioned"]["path"] == "models/churn.json"
    assert made == [MODEL]
    assert ins[f"data:file:{CI}/data/train.csv@unversioned"]["path"] == "data/train.csv"
    strong = [s for s, a in ins.items() if a.get("pin") == "strong"]
    assert [s.split("@")[0] for s in strong] == [
        f"data:{ids.normalize_repo_url(remote)}:data/train.csv"]
    store = git_repo.path / ".lineage" / "lineage.db"
    assert b"ghs_0123456789abcdef" not in store.read_bytes()


def test_a_run_of_another_repository_is_not_joined_and_says_nothing(git_repo: GitRepo) -> None:
    sha = make_repo(git_repo, "https://github.com/acme/churn.git")
    assert harvest(git_repo, sha, "https://github.com/acme/other/blob/{sha}/train.py") == []
    ins, outs, made = joined(git_repo)
    assert "path" not in outs[f"data:file:{CI}/models/churn.json@unversioned"]
    assert "path" not in ins[f"data:file:{CI}/data/train.csv@unversioned"]
    assert made == []


@pytest.mark.parametrize("url", [None, "https://airflow.acme.internal/dags/churn/grid"])
def test_a_run_that_names_no_repository_is_not_guessed_but_told(git_repo: GitRepo,
                                                                url: str | None) -> None:
    sha = make_repo(git_repo, "https://github.com/acme/churn.git")
    warnings = harvest(git_repo, sha, url)
    ins, outs, made = joined(git_repo)
    assert "path" not in outs[f"data:file:{CI}/models/churn.json@unversioned"]
    assert "path" not in ins[f"data:file:{CI}/data/train.csv@unversioned"]
    assert made == []
    told = sorted((w["field"], w["message"]) for w in warnings)
    assert [w["source"] for w in warnings] == ["openlineage", "openlineage"], warnings
    assert {w["file"] for w in warnings} == {"openlineage/ci.jsonl"}
    assert [f for f, _ in told] == ["inputs[0].name", "outputs[0].name"]
    (_, inp), (_, out) = told
    assert f"{CI}/models/churn.json, which is no file of this repository" in out, out
    assert "not taken for models/churn.json" in out and RID in out
    assert "repoUrl" in out
    assert "not taken for data/train.csv" in inp


def test_no_warning_for_a_path_of_this_machine_or_one_dvc_does_not_track(
        git_repo: GitRepo, tmp_path: Path) -> None:
    sha = make_repo(git_repo, "https://github.com/acme/churn.git")
    shared = tmp_path / "share" / "churn" / "data" / "train.csv"  # a shared drive here
    shared.parent.mkdir(parents=True)
    shared.write_text("age,churn\n31,0\n")
    assert harvest(git_repo, sha, None, inputs=[str(shared)],
                   outputs=["/home/runner/work/churn/churn/reports/plot.png"]) == []
    assert harvest(git_repo, sha, "https://github.com/acme/churn/blob/main/train.py",
                   inputs=[], outputs=[f"{CI}/notes/readme.txt"]) == []


def test_a_path_many_runs_name_is_told_once(git_repo: GitRepo) -> None:
    """Daily runs of one job, read in one harvest: one warning for the path, not one a run."""
    sha = make_repo(git_repo, "https://github.com/acme/churn.git")
    events = [{"eventType": "COMPLETE", "eventTime": f"2025-12-{day:02d}T23:00:00Z",
               "producer": PRODUCER, "run": {"runId": f"01900000-0000-7000-8000-0000000000{day:02d}"},
               "job": {"namespace": "airflow", "name": "churn.train", "facets": {
                   "sourceCodeLocation": {"type": "git", "url": "https://airflow.acme.internal/dags",
                                          "version": sha}}},
               "outputs": [{"namespace": "file", "name": f"{CI}/models/churn.json"}]}
              for day in (1, 2, 3)]
    git_repo.write("openlineage/daily.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path), "--json"])
    assert res.exit_code == 0, res.output
    (w,) = json.loads(res.stdout)["warnings"]
    assert w["line"] == 1 and "0000000001 (and 2 other runs) writes" in w["message"], w
    # nothing new: nothing told again
    res = runner.invoke(app, ["harvest", "-C", str(git_repo.path), "--json"])
    assert json.loads(res.stdout)["warnings"] == []
