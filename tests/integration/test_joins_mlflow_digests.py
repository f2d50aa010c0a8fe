"""MLflow runs at one commit that read one DVC-tracked file with different MLflow digests, on a
real git + DVC repository and a store written by real MLflow (the review's reproduction).

MLflow's digest hashes the logged dataframe (its first 10,000 rows), not the file: it cannot
be compared with DVC's md5. But two runs at one commit whose digests of one path differ did
not read the same data, and at most one of them read what the commit records: neither is
pinned to the commit's version (each keeps MLflow's weak pin), with one warning naming both
runs, the path, the commit and the digests, and what to do. A digest that is an md5 (MLflow
computes none from a file's bytes: a user passes ``digest=``) is compared with DVC's."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.model import EdgeKind
from tests.conftest import GitRepo
from tests.mlflow_train import run_mlflow

DATA = "x,y\n1,0\n2,1\n"
EDITED = "x,y\n1,0\n2,1\n3,1\n"  # changed in the work tree, never `dvc add`ed

TRAIN = """
digest = sys.argv[1] if len(sys.argv) > 1 else None
with mlflow.start_run() as r:
    df = pd.read_csv("train.csv")
    if os.environ.get("DIGEST_OF_BYTES"):  # the user hashes the bytes it read
        digest = hashlib.md5(open("train.csv", "rb").read()).hexdigest()
    mlflow.log_input(mlflow.data.from_pandas(df, source="train.csv", name="train",
                                             digest=digest))
out["run"] = r.info.run_id
"""


def _md5(text: str) -> str:
    return "md5:" + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """train.csv added with `dvc add` and committed; MLflow's store beside it, ignored."""
    r = git_repo
    r.dvc("init", "-q")
    r.write("train.csv", DATA)
    r.dvc("add", "-q", "train.csv")
    r.write(".gitignore", "mlflow.db\nmlruns/\ntrain.py\n")
    r.commit("data added")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    api.init(r.path)
    return r


def _train(r: GitRepo, **env: str) -> str:
    import os

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return f"run:mlflow:mlflow.db:{run_mlflow(r.path, TRAIN)['run']}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pins(r: GitRepo, rid: str) -> list[str]:
    graph = api.open_store(r.path).load_graph()
    return sorted(str(e.attrs.get("pin")) for e in graph.in_edges(rid, EdgeKind.INPUT))


def _digest(r: GitRepo, rid: str) -> str:
    graph = api.open_store(r.path).load_graph()
    (e,) = [e for e in graph.in_edges(rid, EdgeKind.INPUT) if e.attrs.get("pin") == "weak"]
    return str(e.attrs["digest"])


def _data_findings(r: GitRepo) -> dict[str, list[dict[str, Any]]]:
    res = CliRunner().invoke(app, ["audit", "-C", str(r.path), "--format", "json"])
    out: dict[str, list[dict[str, Any]]] = {}
    for f in json.loads(res.stdout)["findings"]:
        if f["rule"] == "run-data-pinned":
            out.setdefault(f["subject"], []).append(f)
    return out


def test_two_runs_with_different_digests_at_one_commit_are_not_pinned(repo: GitRepo) -> None:
    r = repo
    sha = r.git("rev-parse", "HEAD")
    first = _train(r)
    res = api.harvest(r.path)
    assert res.report.warnings == []
    # one run alone: the commit's word is all there is, and it is taken
    assert _pins(r, first) == ["strong", "weak"]
    r.write("train.csv", EDITED)  # edited, not added to DVC, trained again at the same commit
    second = _train(r)
    res = api.harvest(r.path)
    assert _pins(r, first) == ["weak"] and _pins(r, second) == ["weak"]
    d1, d2 = _digest(r, first), _digest(r, second)
    assert d1 != d2 and len(d1) == 8  # MLflow's own: 8 hex digits of a dataframe hash
    (w,) = [w for w in res.report.warnings if w.source == "joins"]
    assert w.commit == sha
    for part in (first, second, "train.csv", sha[:12], d1, d2, _md5(DATA), "dvc add",
                 "track_run"):
        assert part in w.message, (part, w.message)
    # the strong pin the first harvest derived is withdrawn, and the audit sees both runs
    joins = next(h for h in res.harvesters if h.name == "joins")
    assert joins.stats.edges_withdrawn == {"input": 1}
    findings = _data_findings(r)
    assert first in findings and second in findings
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0


def test_runs_logging_the_same_splits_are_pinned(repo: GitRepo) -> None:
    """Two runs that each log the train and test splits of one file (two digests each, the
    same two) read the same data: both are pinned."""
    r = repo
    body = """
with mlflow.start_run() as r:
    df = pd.read_csv("train.csv")
    for ctx, part in (("training", df.head(2)), ("testing", df.tail(1))):
        mlflow.log_input(mlflow.data.from_pandas(part, source="train.csv", name=ctx),
                         context=ctx)
out["run"] = r.info.run_id
"""
    runs = [f"run:mlflow:mlflow.db:{run_mlflow(r.path, body)['run']}" for _ in range(2)]
    res = api.harvest(r.path)
    assert res.report.warnings == []
    for rid in runs:  # both splits are the one DVC version: one strong pin
        assert _pins(r, rid) == ["strong", "weak", "weak"]


def test_a_digest_that_is_the_files_md5_is_compared(repo: GitRepo) -> None:
    """MLflow computes no digest from a file's bytes (its digests hash a dataframe, a config,
    a Spark plan); one a user gives as the md5 of the bytes read is compared with DVC's: the
    run that read the committed bytes is pinned, the one that read edited bytes is not."""
    r = repo
    sha = r.git("rev-parse", "HEAD")
    good = _train(r, DIGEST_OF_BYTES="1")
    r.write("train.csv", EDITED)
    bad = _train(r, DIGEST_OF_BYTES="1")
    res = api.harvest(r.path)
    assert _pins(r, good) == ["strong", "weak"]
    assert _pins(r, bad) == ["weak"]
    (w,) = [w for w in res.report.warnings if w.source == "joins"]
    assert w.message == (f"{bad} reports {_md5(EDITED)} for train.csv, but its commit "
                         f"{sha[:12]} records {_md5(DATA)}: the input stays weakly pinned")


def test_a_store_joined_before_loses_both_pins(repo: GitRepo,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A store the earlier rules joined (both runs pinned to the commit's version): the first
    harvest after the upgrade withdraws both pins although MLflow wrote nothing new, the log
    still verifies, and the harvest after writes nothing."""
    from connectors.harvesters import joins

    r = repo
    first = _train(r)
    r.write("train.csv", EDITED)
    second = _train(r)
    with monkeypatch.context() as m:  # the rules before: MLflow digests never compared
        m.setattr(joins, "RULES_VERSION", "3")
        m.setattr(joins, "_digest_clashes", lambda inputs: {})
        assert api.harvest(r.path).report.warnings == []
    assert _pins(r, first) == ["strong", "weak"] and _pins(r, second) == ["strong", "weak"]
    res = api.harvest(r.path)
    assert [(h.name, h.stats.edges_withdrawn) for h in res.harvesters
            if h.stats.total] == [("joins", {"input": 2})]
    assert _pins(r, first) == ["weak"] and _pins(r, second) == ["weak"]
    store = api.open_store(r.path)
    assert store.verify().ok
    store.close()
    assert api.harvest(r.path).new_events == 0
