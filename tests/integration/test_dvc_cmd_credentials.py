"""A stage command that downloads with credentials in its URL keeps them out of the store,
``lineage show`` and what is pushed, as the DVC harvester does for import URLs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

runner = CliRunner()
SECRET_CMD = ("curl -o data.csv 'https://alice:s3cret@Example.com/data.csv?sig=abc&v=1' "
              "&& aws s3 cp s3://bucket/x?X-Amz-Signature=zzz x")
CLEAN_CMD = ("curl -o data.csv 'https://example.com/data.csv?sig=REDACTED&v=1' "
             "&& aws s3 cp s3://bucket/x?X-Amz-Signature=REDACTED x")


def _lock(cmd: str) -> str:
    return ("schema: '2.0'\nstages:\n  get:\n    cmd:\n    - " + json.dumps(cmd) + "\n"
            "    - echo done\n    outs:\n    - path: data.csv\n      hash: md5\n"
            f"      md5: {'a' * 32}\n      size: 3\n")


def test_credentials_in_a_stage_command_are_not_kept(git_repo: GitRepo) -> None:
    r = git_repo
    r.write("dvc.yaml", "stages:\n  get:\n    cmd:\n    - " + json.dumps(SECRET_CMD)
            + "\n    - echo done\n    outs: [data.csv]\n")
    r.write("dvc.lock", _lock(SECRET_CMD))
    r.commit("download")
    api.init(r.path)
    assert api.harvest(r.path).report.warnings == []
    graph = api.open_store(r.path).load_graph()
    [stage] = [n for n in graph.nodes() if str(n.kind) == "stage"]
    assert stage.attrs["cmd"] == [CLEAN_CMD, "echo done"]
    res = runner.invoke(app, ["export", "--repo", str(r.path)])
    assert res.exit_code == 0
    for secret in ("s3cret", "alice", "abc", "zzz"):
        assert secret not in res.stdout, secret
    res = runner.invoke(app, ["show", "data.csv", "--repo", str(r.path)])
    assert res.exit_code == 0 and "s3cret" not in res.output


def test_connection_strings_in_a_stage_command_are_not_kept(git_repo: GitRepo) -> None:
    """JDBC and SQL Server connection strings (Oracle thin writes its password before '@' with
    no '://') lose their credentials as every URL in a command does."""
    cmd = ("python export.py --src 'jdbc:oracle:thin:scott/T1ger2026@db.example.com:1521:orcl' "
           "--dst 'jdbc:sqlserver://wh:1433;user=sa;password=Pa/ss#2026'")
    r = git_repo
    r.write("dvc.yaml", "stages:\n  get:\n    cmd:\n    - " + json.dumps(cmd)
            + "\n    - echo done\n    outs: [data.csv]\n")
    r.write("dvc.lock", _lock(cmd))
    r.commit("export")
    api.init(r.path)
    api.harvest(r.path)
    graph = api.open_store(r.path).load_graph()
    [stage] = [n for n in graph.nodes() if str(n.kind) == "stage"]
    assert stage.attrs["cmd"] == [
        "python export.py --src 'jdbc:oracle:thin:@db.example.com:1521:orcl' "
        "--dst 'jdbc:sqlserver://wh:1433;user=sa;password=REDACTED'", "echo done"]
    db = (r.path / ".lineage" / "lineage.db").read_bytes()
    assert b"T1ger2026" not in db and b"Pa/ss" not in db
