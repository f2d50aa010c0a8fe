"""Dates DataHub shows from the records, and approval where a version ran and runs no more.

A link (``institutionalMemory``) is added at the time of the record it comes from and by its
person, and an ``ownership`` aspect was last modified at the latest record naming its owners:
DataHub's UI shows these as dates, and time 0 reads as 1 January 1970. Nothing is dated by the
clock of the push (renders stay reproducible). A retired deployment's environment is said as
retired, with the audit's verdict on it (docs/datahub.md, "Approval status").
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "datahub"
sys.path.insert(0, str(GOLDEN_DIR))

from fixture_graph import SHA2, fixed_graph  # noqa: E402

from connectors.sinks.datahub.render import property_urn, render  # noqa: E402
from connectors.sinks.datahub.validate import validate_mcps  # noqa: E402
from lineage import ids  # noqa: E402
from lineage.audit.context import audit_context  # noqa: E402
from lineage.audit.policy import parse_policy  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.model import Edge, EdgeKind, Node, NodeKind  # noqa: E402

V1 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.0.0,PROD)"
V2 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
M1 = ids.model_id("churn", "v1.0.0")
M2 = ids.model_id("churn", "v1.1.0")
SHA3 = "3333333333333333333333333333333333333333"


def ms(t: str) -> int:
    return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)


def aspect(mcps: list[Any], urn: str, name: str) -> Any:
    (hit,) = [m.aspect for m in mcps if m.entityUrn == urn and m.aspectName == name]
    return hit


def links(mcps: list[Any], urn: str) -> dict[str, tuple[int, str]]:
    return {el.url: (el.createStamp.time, el.createStamp.actor)
            for el in aspect(mcps, urn, "institutionalMemory").elements}


def documented() -> LineageGraph:
    """The fixed graph, with documents of v1.1.0 dated every way a record can be, recorded
    in a commit by Rita."""
    g = fixed_graph()
    g.add([
        Node.make(NodeKind.COMMIT, ids.commit_id(SHA3), sha=SHA3, parents=[SHA2],
                  message="documents",
                  author={"name": "Rita Risk", "email": "rita@example.com",
                          "time": "2026-01-04T16:30:00Z"},
                  committer={"name": "Carl Committer", "time": "2026-01-04T16:30:00Z"}),
        # issued before it was committed: its issue date
        Node.make(NodeKind.DOCUMENT, "document:EVAL", doc_kind="evaluation",
                  uri="https://docs.acme.example/eval", model=M2, at="2026-01-04T09:00:00Z",
                  committed_at="2026-01-04T16:30:00Z", committed_in=SHA3),
        # no issue date: when it was committed
        Node.make(NodeKind.DOCUMENT, "document:BIAS", doc_kind="bias_report",
                  uri="https://docs.acme.example/bias", model=M2,
                  committed_at="2026-01-04T16:30:00Z", committed_in=SHA3),
        # dated after it was written (a claim about the future): when it was written
        Node.make(NodeKind.DOCUMENT, "document:LATE", doc_kind="other",
                  uri="https://docs.acme.example/late", model=M2, at="2026-03-01T00:00:00Z",
                  committed_at="2026-01-04T16:30:00Z", committed_in=SHA3),
        # recorded with the CLI (no file): when the store first wrote it
        Node.make(NodeKind.DOCUMENT, "document:CLI", doc_kind="other",
                  uri="https://docs.acme.example/cli", model=M2),
        *(Edge.make(EdgeKind.DOCUMENTS, d, M2)
          for d in ("document:EVAL", "document:BIAS", "document:LATE", "document:CLI")),
    ])
    return g


TIMES = {"document:CLI": ("2026-01-05T07:00:00Z", "2026-01-06T07:00:00Z")}


def test_a_link_is_added_when_and_by_whom_its_record_was_made() -> None:
    mcps = render(documented(), record_times=TIMES)
    got = links(mcps, V2)
    rita = "urn:li:corpuser:rita@example.com"
    assert got["https://docs.acme.example/eval"] == (ms("2026-01-04T09:00:00Z"), rita)
    assert got["https://docs.acme.example/bias"] == (ms("2026-01-04T16:30:00Z"), rita)
    assert got["https://docs.acme.example/late"] == (ms("2026-01-04T16:30:00Z"), rita)
    assert got["https://docs.acme.example/cli"] == (ms("2026-01-05T07:00:00Z"),
                                                    "urn:li:corpuser:lineage")
    # an approval's link: its decision, by its approver
    assert got["https://tickets.acme.example/APR-7"] == (ms("2026-01-04T09:00:00Z"),
                                                         "urn:li:corpuser:bob@example.com")
    # a record nothing dates keeps the schema's "missing data" (0), never the push's clock
    assert got["https://docs.acme.example/churn/v1.1.0/model-card"] == (
        0, "urn:li:corpuser:lineage")
    validate_mcps(mcps)


def test_ownership_was_last_modified_by_the_latest_record_naming_an_owner() -> None:
    mcps = render(fixed_graph())

    def stamp(urn: str) -> tuple[int, str]:
        last = aspect(mcps, urn, "ownership").lastModified
        return last.time, last.actor

    # v1.1.0: its creator (2026-01-03) and bob's approval (2026-01-04), the later
    assert stamp(V2) == (ms("2026-01-04T09:00:00Z"), "urn:li:corpuser:bob@example.com")
    # v1.0.0: its creator alone
    assert stamp(V1) == (ms("2026-01-01T02:00:00Z"), "urn:li:corpuser:ada@example.com")
    # the group: the assessor's assessment (the group's owner is undated)
    assert stamp(GROUP) == (ms("2025-12-20T00:00:00Z"), "urn:li:corpuser:carol@example.com")
    # the deployment and its job: deployed (2026-01-05) after bob approved (2026-01-04)
    dep = next(m.entityUrn for m in mcps if m.entityUrn.startswith("urn:li:mlModelDeployment"))
    job = next(m.entityUrn for m in mcps if m.aspectName == "dataJobInfo"
               and m.entityUrn.startswith("urn:li:dataJob:(urn:li:dataFlow:(dvc,deployments/"))
    assert stamp(dep) == stamp(job) == (ms("2026-01-05T10:00:00Z"),
                                        "urn:li:corpuser:ops@example.com")


def test_the_dates_do_not_depend_on_when_the_push_runs() -> None:
    def dated(now: datetime) -> list[Any]:
        g = documented()
        mcps = render(g, record_times=TIMES, audit=audit_context(g, now=now))
        return [m.to_obj() for m in mcps
                if m.aspectName in ("ownership", "institutionalMemory")]

    assert dated(datetime(2026, 6, 1, tzinfo=UTC)) == dated(datetime(2031, 6, 1, tzinfo=UTC))


def retired_in_staging() -> LineageGraph:
    """v1.0.0 deployed to staging on one approval (the default policy asks two at the high
    tier: four-eyes refuses it) and retired since."""
    g = fixed_graph()
    dep = ids.deployment_id("churn", "staging", "2026-01-02T10:00:00+00:00")
    g.add([
        Node.make(NodeKind.APPROVAL, "approval:APR-1", approver="bob@example.com",
                  role="model-risk-officer", decision="approved",
                  decided_at="2026-01-01T09:00:00Z", model=M1, environment="staging"),
        Edge.make(EdgeKind.APPROVES, "approval:APR-1", M1),
        Node.make(NodeKind.DEPLOYMENT, dep, model=M1, environment="staging",
                  deployed_at="2026-01-02T10:00:00Z", retired_at="2026-01-03T10:00:00Z",
                  deployed_by="ops@example.com", source="gto"),
        Edge.make(EdgeKind.DEPLOYED_AS, M1, dep),
    ])
    return g


def approval(mcps: list[Any], urn: str) -> dict[str, list[Any]]:
    return {p.propertyUrn: p.values
            for p in aspect(mcps, urn, "structuredProperties").properties
            if "approv" in p.propertyUrn}


def test_a_retired_deployment_the_audit_refused_keeps_the_version_unapproved() -> None:
    sp = approval(render(retired_in_staging()), V1)
    assert sp[property_urn("approvalByEnvironment")] == ["staging: unapproved, retired"]
    assert sp[property_urn("approvalStatus")] == ["unapproved"]
    assert property_urn("approvedEnvironments") not in sp
    assert sp[property_urn("approvedBy")] == ["bob@example.com"]


def test_a_retired_deployment_no_rule_judged_is_retired_by_the_approvals_in_force() -> None:
    """The policy turns both approval rules off: the audit judges no deployment, the
    approvals in force speak, and the environment is said as retired, not "not deployed"."""
    g = retired_in_staging()
    policy = parse_policy("rules:\n  four-eyes:\n    enabled: false\n"
                          "  deployment-approved:\n    enabled: false\n", "lineage-policy.yaml")
    sp = approval(render(g, audit=audit_context(g, policy=policy)), V1)
    assert sp[property_urn("approvalByEnvironment")] == ["staging: approved, not checked, retired"]
    assert sp[property_urn("approvedEnvironments")] == ["staging"]
    assert sp[property_urn("approvalStatus")] == ["approved"]  # the latest decision
