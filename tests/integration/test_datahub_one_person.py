"""One person is one DataHub corpuser in every role (docs/datahub.md, "Owners"): an email
address in any case is that address (``ADA@bank.example`` is ``ada@bank.example``, as the audit's
:func:`lineage.audit.rules.person` reads it), and a bare display name is the address the store
pairs it with — a commit by ``Ada Dev <ada@bank.example>`` — when it pairs it with exactly one.
A name the store pairs with no address, or with several, stays a corpuser of its own.

The repository: a model file committed by Ada Dev <ada@bank.example> and registered with the GTO
tag ``churn@v1.0.0``; approvals recorded through the CLI; pushed to a real DataHub Lite file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

pytest.importorskip("datahub")

runner = CliRunner()
VERSION = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
ADA = "urn:li:corpuser:ada@bank.example"


def lineage(repo: GitRepo, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo.path)])
    assert res.exit_code == 0, res.output
    return res.stdout


def identity(repo: GitRepo, monkeypatch: pytest.MonkeyPatch, name: str, email: str) -> None:
    """Who authors and commits (and tags) in ``repo`` from now on (the pinned identity of
    the conftest module its class comes from)."""
    pinned = sys.modules[type(repo).__module__].PINNED_ENV
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setitem(pinned, f"GIT_{role}_NAME", name)
        monkeypatch.setitem(pinned, f"GIT_{role}_EMAIL", email)


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    identity(git_repo, monkeypatch, "Ada Dev", "ada@bank.example")
    git_repo.write("models/churn.pkl", "weights\n")
    git_repo.commit("train churn")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    return git_repo


def approve(repo: GitRepo, rid: str, approver: str, env: str = "prod") -> None:
    lineage(repo, "record", "approval", "--model", "churn@v1.0.0", "--env", env,
            "--approver", approver, "--role", "ml-lead", "--decided-at",
            "2026-01-10T09:00:00Z", "--evidence", "https://tracker.example.com/ML-1",
            "--id", rid)


def pushed(repo: GitRepo, tmp_path: Path) -> dict[str, Any]:
    from datahub.lite.lite_util import get_datahub_lite

    lite = tmp_path / "catalog.db"
    lineage(repo, "push", "--to", "datahub-lite", str(lite))
    db = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite), "read_only": True}},
                          read_only=True)
    try:
        return db.get(VERSION, None) or {}
    finally:
        db.close()


def corpusers(entity: dict[str, Any]) -> dict[str, set[str]]:
    """Owner urn → its ownership types (``approver`` for the model_approver type)."""
    out: dict[str, set[str]] = {}
    for o in entity["ownership"]["owners"]:
        out.setdefault(o["owner"], set()).add(
            "approver" if o.get("typeUrn", "").endswith("model_approver") else o["type"])
    return out


def property_values(entity: dict[str, Any], name: str) -> list[str]:
    for prop in entity["structuredProperties"]["properties"]:
        if prop["propertyUrn"].endswith(f".{name}"):
            return [v["string"] for v in prop["values"]]
    return []


def test_an_email_in_any_case_and_the_name_git_pairs_with_it_are_one_corpuser(
        repo: GitRepo, tmp_path: Path) -> None:
    approve(repo, "by-upper", "ADA@bank.example", env="staging")
    approve(repo, "by-name", "Ada Dev")
    entity = pushed(repo, tmp_path)
    owners = corpusers(entity)
    assert set(owners) == {ADA}, owners
    assert owners[ADA] == {"TECHNICAL_OWNER", "approver"}  # the creator approved her own
    assert property_values(entity, "approvedBy") == ["ada@bank.example"]
    # the records themselves keep the spelling their author gave
    props = entity["mlModelProperties"]["customProperties"]
    assert json.loads(props["approval.by-name"])["attrs"]["approver"] == "Ada Dev"
    stamps = {e["createStamp"]["actor"] for e in entity["institutionalMemory"]["elements"]}
    assert stamps == {ADA}


def test_a_name_the_store_pairs_with_no_address_stays_its_own_corpuser(
        repo: GitRepo, tmp_path: Path) -> None:
    approve(repo, "by-max", "Max Müller")
    owners = corpusers(pushed(repo, tmp_path))
    assert set(owners) == {ADA, "urn:li:corpuser:max.müller"}, owners


def test_a_name_the_store_pairs_with_two_addresses_is_no_one_s(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two people named Ada Dev committed: the name alone cannot say which one approved."""
    identity(repo, monkeypatch, "Ada Dev", "ada.dev@other.example")
    repo.write("README.md", "churn\n")
    repo.commit("describe")
    api.harvest(repo.path)
    approve(repo, "by-name", "Ada Dev")
    owners = corpusers(pushed(repo, tmp_path))
    assert owners == {ADA: {"TECHNICAL_OWNER"}, "urn:li:corpuser:ada.dev": {"approver"}}, owners


def test_the_catalog_s_audit_agrees_with_the_store_s(repo: GitRepo, tmp_path: Path) -> None:
    approve(repo, "by-upper", "ADA@bank.example")
    approve(repo, "by-name", "Ada Dev", env="staging")
    lineage(repo, "record", "deployment", "--model", "churn@v1.0.0", "--env", "prod",
            "--deployed-at", "2026-01-12T08:00:00Z", "--deployed-by", "deploy-bot",
            "--id", "churn-prod")
    lite = tmp_path / "agree.db"
    lineage(repo, "push", "--to", "datahub-lite", str(lite))

    def audit(*source: str) -> list[tuple[str, str, str]]:
        res = runner.invoke(app, ["audit", "-C", str(repo.path), "--json", *source])
        assert res.exit_code in (0, 1), res.output
        return sorted((f["rule"], f["subject"], f["message"])
                      for f in json.loads(res.stdout)["findings"])

    assert audit("--source", "datahub-lite", str(lite)) == audit()
