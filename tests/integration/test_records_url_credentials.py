"""Credentials in a record's URLs (uri, evidence, endpoint, properties, a run's paths …) never
reach the immutable, hash-chained log, a written record file or a catalog push: they are
removed at validation (``lineage.ids.strip_credentials``), with one warning that never shows
the secret. A record file holding them fails ``lineage record validate`` (the PR gate)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from lineage.records import credentials_removed, native_id, validate_data
from tests.conftest import GitRepo

SECRETS = ("ghp_SECRET123", "SECRET456", "SECRET789", "bot:", "u:")
CARD = "https://bot:ghp_SECRET123@raw.githubusercontent.com/acme/x/card.md?token=SECRET456"
TICKET = "https://u:SECRET789@jira.example.com/browse/X-1"
runner = CliRunner()


@pytest.fixture
def repo(governance_repo: GitRepo) -> GitRepo:
    return governance_repo


def _invoke(repo: GitRepo, *args: str):
    return runner.invoke(app, [*args, "-C", str(repo.path)])


def _everything(repo: GitRepo) -> str:
    """Every byte a secret could hide in: the store's files and the work tree."""
    out = []
    for p in repo.path.rglob("*"):
        if p.is_file() and ".git" not in p.relative_to(repo.path).parts:
            out.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


def _no_secret(text: str) -> None:
    for s in SECRETS[:3]:
        assert s not in text


def test_record_document_and_approval_keep_no_credentials(repo: GitRepo) -> None:
    res = _invoke(repo, "record", "document", "--type", "model_card", "--uri", CARD, "--model",
                  "churn@v3.0.0", "--json", "--write-file")
    assert res.exit_code == 0, res.output
    _no_secret(res.stdout + res.stderr)
    data = json.loads(res.stdout)
    assert data["record"]["uri"] == ("https://raw.githubusercontent.com/acme/x/card.md"
                                     "?token=REDACTED")
    assert res.stderr.count("credentials removed") == 1
    assert "uri" in res.stderr and "rotate" in res.stderr
    written = (repo.path / data["file"]).read_text()
    assert "REDACTED" in written
    _no_secret(written)
    # the id derives from the scrubbed content: the same record written without the secret
    clean = validate_data({"kind": "document", "doc_kind": "model_card",
                           "uri": data["record"]["uri"], "model": "churn@v3.0.0"}, file="x")
    assert data["node"] == f"document:{native_id(clean)}"

    res = _invoke(repo, "record", "approval", "--model", "churn@v1.1.0", "--approver", "rita",
                  "--decision", "approved", "--evidence", TICKET,
                  "--prop", f"link=see {TICKET} and {CARD}")
    assert res.exit_code == 0, res.output
    _no_secret(res.stdout + res.stderr)
    assert "evidence, properties.link" in res.stderr

    out = repo.path / "metadata.json"
    res = _invoke(repo, "push", "--to", "datahub-file", str(out))
    assert res.exit_code == 0, res.output
    pushed = out.read_text()
    assert "jira.example.com/browse/X-1" in pushed
    _no_secret(pushed)
    _no_secret(_everything(repo))
    res = _invoke(repo, "verify")
    assert res.exit_code == 0, res.output


def test_a_governance_file_with_credentials_is_harvested_without_them(repo: GitRepo) -> None:
    f = repo.path / "governance" / "churn" / "deploy-secret.yaml"
    f.write_text(f"""kind: deployment
id: churn-secret
model: churn@v1.1.0
environment: prod
endpoint: https://svc:SECRET789@models.example.com/churn?api_key=SECRET456
deployed_at: 2026-01-21T08:00:00Z
properties:
  dashboard: {CARD}
""")
    repo.commit("deployment")
    res = _invoke(repo, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert res.output.count("credentials removed") == 1
    assert "deploy-secret.yaml" in res.output and "rotate" in res.output
    _no_secret(res.output)
    store = api.open_store(repo.path)
    try:
        node = store.get_node("deployment:churn-secret")
        assert node is not None
        assert node.attrs["endpoint"] == ("https://models.example.com/churn"
                                          "?api_key=REDACTED")
        assert "REDACTED" in node.attrs["properties"]["dashboard"]
    finally:
        store.close()
    for p in (repo.path / ".lineage").rglob("*"):
        if p.is_file():
            _no_secret(p.read_bytes().decode("utf-8", "replace"))
    # said once: the next harvest reads the file from the cache
    res = _invoke(repo, "harvest", "--only", "records")
    assert res.exit_code == 0, res.output
    assert "credentials removed" not in res.output

    # before merging, the pull request's check fails on it, naming file, line and field
    res = _invoke(repo, "record", "validate", "--json")
    assert res.exit_code == 1, res.output
    _no_secret(res.stdout)
    errors = json.loads(res.stdout)["errors"]
    assert [(e["file"], e["line"], e["field"]) for e in errors] == [
        ("governance/churn/deploy-secret.yaml", 5, "endpoint")]
    res = _invoke(repo, "record", "validate")
    assert "rotate" in res.stderr
    _no_secret(res.stdout + res.stderr)


def test_every_url_valued_field_is_scrubbed() -> None:
    rec = validate_data({
        "kind": "run", "id": "r1", "repository": "https://u:SECRET789@github.com/acme/x",
        "params": {"tracking": "https://u:SECRET789@mlflow.example.com"},
        "tags": {"src": "s3://bucket/x?X-Amz-Signature=SECRET456"},
        "inputs": [{"path": "https://u:SECRET789@data.example.com/train.csv"}],
        "models": [{"name": "churn", "version": "v1", "path": "s3://k:SECRET456@b/m.pkl"}],
    }, file="x")
    assert credentials_removed(rec) == ["repository", "params.tracking", "tags.src",
                                        "inputs.0.path", "models.0.path"]
    _no_secret(rec.model_dump_json())
    plain = validate_data({"kind": "alert", "model": "churn@v1", "metric": "psi",
                           "at": "2026-01-01", "description": "see https://grafana.example.com/d"},
                          file="x")
    assert credentials_removed(plain) == []


def test_connection_strings_in_evidence_lose_their_credentials() -> None:
    """An Oracle thin URL (no ``://`` before its credentials) and a SQL Server property in
    free text are scrubbed as URLs are, and the harvest says which field lost them."""
    from lineage.records import scrub_credentials

    removed: list[str] = []
    value = {"evidence": "validated on jdbc:oracle:thin:scott/Tiger2026@db.example.com:1521:orcl",
             "properties": {"dsn": "jdbc:sqlserver://db:1433;user=sa;password=Pa/ss#2026"}}
    clean = scrub_credentials(value, (), removed)
    assert clean == {"evidence": "validated on jdbc:oracle:thin:@db.example.com:1521:orcl",
                     "properties": {"dsn": "jdbc:sqlserver://db:1433;user=sa;password=REDACTED"}}
    assert removed == ["evidence", "properties.dsn"]
