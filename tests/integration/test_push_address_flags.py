"""`lineage push` without `--to` writes the DataHub Lite file in `.lineage/`. A `--server` or
`--token` given to a target that reads neither is refused (the graph would silently go to
Lite while the user meant a server), a DataHub server configured in the environment is
named in a note, and an interrupt that lands after the push finished says so instead of
"nothing was sent"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from lineage.store import Store
from tests.conftest import GitRepo

pytest.importorskip("datahub")

runner = CliRunner()
SECRET = "s3cr3t-token-value"


@pytest.fixture
def repo(git_repo: GitRepo) -> Path:
    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    path = str(git_repo.path)
    assert runner.invoke(app, ["init", "-C", path]).exit_code == 0
    assert runner.invoke(app, ["harvest", "-C", path]).exit_code == 0
    return Path(git_repo.path)


def _events(repo: Path) -> list[tuple[str, dict[str, Any]]]:
    with Store.open(repo / ".lineage") as store:
        return [(e.kind, e.payload) for e in store.events()]


@pytest.mark.parametrize("args, flag", [
    (["--server", "http://gms.example.internal:8080"], "--server"),
    (["--server", "http://gms.example.internal:8080", "--token", SECRET], "--server"),
    (["--token", SECRET], "--token"),
])
def test_server_or_token_without_to_is_refused(repo: Path, args: list[str], flag: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAHUB_GMS_URL", raising=False)
    before = _events(repo)
    res = runner.invoke(app, ["push", "-C", str(repo), *args])
    assert res.exit_code == 2, res.output
    assert f"push target 'datahub-lite' takes no {flag}" in res.output, res.output
    assert "lineage push --to datahub-rest" in res.output, res.output
    assert SECRET not in res.output
    assert _events(repo) == before  # nothing pushed, nothing logged
    assert not (repo / ".lineage" / "datahub-lite.db").exists()


def test_token_for_an_mcp_file_is_refused(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "metadata.json"
    res = runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-file", str(out),
                              "--token", SECRET])
    assert res.exit_code == 2, res.output
    assert "push target 'datahub-file' takes no --token (it is for datahub-rest)" in res.output
    assert SECRET not in res.output
    assert not out.exists()


def test_atlas_takes_server_but_no_token(repo: Path) -> None:
    res = runner.invoke(app, ["push", "-C", str(repo), "--to", "atlas", "--server",
                              "http://127.0.0.1:9", "--token", SECRET])
    assert res.exit_code == 2, res.output
    assert "push target 'atlas' takes no --token" in res.output, res.output
    assert SECRET not in res.output


def test_a_configured_server_is_named_when_the_push_goes_to_lite(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAHUB_GMS_URL", "http://gms.example.internal:8080")
    res = runner.invoke(app, ["push", "-C", str(repo)])
    assert res.exit_code == 0, res.output
    assert "note: DATAHUB_GMS_URL names a DataHub server, but this push went to DataHub " \
        "Lite (the default target); lineage push --to datahub-rest" in res.stderr, res.stderr
    # --to given: the user chose Lite, no note
    res = runner.invoke(app, ["push", "-C", str(repo), "--to", "datahub-lite"])
    assert res.exit_code == 0, res.output
    assert "note:" not in res.stderr, res.stderr


def test_lineage_yaml_server_is_named_too(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAHUB_GMS_URL", raising=False)
    (repo / "lineage.yaml").write_text("datahub:\n  server: http://gms.example.internal:8080\n")
    res = runner.invoke(app, ["push", "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    assert "note: datahub.server in lineage.yaml names a DataHub server" in res.stderr
    # stdout stays JSON
    import json
    assert json.loads(res.stdout)["target"] == "datahub-lite"


def test_no_note_without_a_configured_server(repo: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAHUB_GMS_URL", raising=False)
    res = runner.invoke(app, ["push", "-C", str(repo)])
    assert res.exit_code == 0, res.output
    assert "note:" not in res.stderr, res.stderr


def test_an_interrupt_after_the_push_finished_says_it_finished(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C landing once the sink has logged its successful push (the window between the
    event and the command's end) must not report "nothing was sent"."""
    from connectors.sinks.datahub.sink import DataHubLiteSink

    log_event = DataHubLiteSink._log_event

    def then_interrupted(self: Any, ctx: Any, result: Any, full: bool, **kw: Any) -> None:
        log_event(self, ctx, result, full, **kw)
        if kw.get("ok"):
            raise KeyboardInterrupt

    monkeypatch.setattr(DataHubLiteSink, "_log_event", then_interrupted)
    res = runner.invoke(app, ["push", "-C", str(repo)])
    assert res.exit_code == 130, res.output
    kind, payload = _events(repo)[-1]
    assert kind == "push" and payload["ok"] is True and payload["written"] > 0
    seq = len(_events(repo))
    said = " ".join(res.stderr.split())  # the terminal may wrap it
    assert (f"interrupted: the push had finished before the interrupt (event {seq}: "
            f"{payload['written']} MCPs written); nothing is lost") in said, res.stderr
    assert "nothing was sent" not in res.output
