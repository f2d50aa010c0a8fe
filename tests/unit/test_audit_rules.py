"""Audit rules on seeded fixture graphs with planted gaps: recall, precision, classes, policy."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from audit_fixture import NOW, make_fixture, write_store

from lineage.audit import RULES, AuditIndex, Policy, run_audit
from lineage.audit.policy import ApprovalRequirement, RulePolicy, Waiver
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind


def pairs(report) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in report.findings}


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_finds_every_planted_gap_and_nothing_else(seed: int) -> None:
    fx = make_fixture(seed)
    report = run_audit(fx.graph(), now=fx.now)
    got = pairs(report)
    assert fx.expected - got == set(), "missed planted gaps"
    assert got - fx.expected == set(), "reported gaps that were not planted"


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_no_findings_once_the_gaps_are_fixed(seed: int) -> None:
    fx = make_fixture(seed, fixed=True)
    report = run_audit(fx.graph(), now=fx.now)
    assert report.findings == []
    # the fixed graph is audited, not skipped: every rule checked something (but
    # harvest-complete: a graph keeps no clone state, only a harvested store)
    assert {c.rule for c in report.checks} == set(RULES) - {"harvest-complete"}


def test_fixture_plants_a_gap_of_every_rule() -> None:
    # harvest-complete is about the clone a store was harvested from, not the graph: planted
    # in real shallow clones (tests/integration/test_audit_shallow_clone.py)
    assert {rule for rule, _ in make_fixture(3).expected} == set(RULES) - {"harvest-complete"}


def test_store_index_and_graph_index_agree(tmp_path: Path) -> None:
    fx = make_fixture(5)
    store = write_store(fx, tmp_path / ".lineage")
    from_store = run_audit(store, now=fx.now)
    from_graph = run_audit(store.load_graph(), now=fx.now)
    assert [f.as_dict() for f in from_store.findings] == [f.as_dict() for f in from_graph.findings]
    assert [(c.rule, c.subject) for c in from_store.checks] == \
        [(c.rule, c.subject) for c in from_graph.checks]
    assert pairs(from_store) == fx.expected
    store.close()


def test_findings_carry_evidence_mapping_and_remediation() -> None:
    fx = make_fixture(2)
    report = run_audit(fx.graph(), now=fx.now)
    g = fx.graph()
    for f in report.findings:
        # evidence is graph nodes, or the dangling reference the finding is about
        assert f.evidence and all(e in g or e.removeprefix("commit:")[:12] in f.message
                                  for e in f.evidence), f
        assert f.articles or f.controls
        assert "lineage " in f.remediation or "dvc" in f.remediation
    noappr = next(f for f in report.findings if f.rule == "deployment-approved"
                  and "noappr" in f.subject)
    assert noappr.severity == "critical" and noappr.tier == "high"
    # an approval recorded now would be dated after the deployment: the fix says so, naming
    # the version as the deployment does (not its MLflow twin @3)
    assert ("lineage record approval --model s2-noappr@v1.1.0 --env prod --approver … --role … "
            "--decided-at <before 2026-05-22T00:00:00Z>") in noappr.remediation
    assert "deploy again" in noappr.remediation and "waive" in noappr.remediation
    assert noappr.location == {"file": "governance/s2-noappr/deploy-prod.yaml",
                               "node": noappr.subject}
    assert noappr.model == "model:s2-noappr@v1.1.0"
    assert "model:s2-noappr@3" in noappr.aliases


def _without(graph_items, kind: EdgeKind, source: str, target: str) -> LineageGraph:
    g = LineageGraph()
    g.add([i for i in graph_items if not (isinstance(i, Edge) and i.kind == kind
                                          and i.source == source and i.target == target)])
    return g


def test_same_as_spellings_are_one_version() -> None:
    """The run is on the MLflow spelling, approvals/deployment on the GTO one: one version.
    Cutting the same_as edge splits them and the gaps appear."""
    fx = make_fixture(4, fixed=True)
    name = "s4-noappr"
    v2, v2m = f"model:{name}@v1.1.0", f"model:{name}@3"
    assert run_audit(fx.graph(), now=fx.now).findings == []
    split = run_audit(_without(fx.items, EdgeKind.SAME_AS, v2, v2m), now=fx.now)
    got = pairs(split)
    assert ("model-has-run", v2) in got  # the GTO spelling alone has no run
    assert ("monitoring-active", v2) in got  # alerts are on the MLflow spelling


def test_four_eyes_author_is_the_commit_author_or_run_user() -> None:
    fx = make_fixture(0, fixed=True)
    g = fx.graph()
    dep = next(n for n in g.node_ids() if n.startswith("deployment:s0-noappr:prod"))
    for ap in [n for n in g.node_ids() if n.startswith("approval:s0-noappr-prod-")]:
        a = dict(g.attrs(ap))
        if a["approver"] == "bob@example.com":
            from lineage.model import Node, NodeKind

            g.add_node(Node.trusted(NodeKind.APPROVAL, ap, {**a, "approver": "Ada Author"}))
    report = run_audit(g, now=fx.now)
    f = next(f for f in report.findings if f.rule == "four-eyes")
    assert f.subject == dep and "Ada Author" in f.message
    assert any(e.startswith("commit:") for e in f.evidence)


def test_policy_rule_overrides() -> None:
    fx = make_fixture(1)
    g = fx.graph()
    base = pairs(run_audit(g, now=fx.now))
    off = Policy(rules={"four-eyes": RulePolicy(enabled=False)})
    assert {p for p in pairs(run_audit(g, off, now=fx.now)) if p[0] == "four-eyes"} == set()
    sev = Policy(rules={"run-code-pinned": RulePolicy(severity="info")})
    assert {f.severity for f in run_audit(g, sev, now=fx.now).findings
            if f.rule == "run-code-pinned"} == {"info"}
    wider = Policy(rules={"transparency-notice": RulePolicy(tiers=["limited", "minimal"])})
    more = pairs(run_audit(g, wider, now=fx.now)) - base
    assert more and all(r == "transparency-notice" for r, _ in more)


def test_policy_approver_count_and_roles() -> None:
    fx = make_fixture(1)
    g = fx.graph()
    sdep = next(n for n in g.node_ids() if n.startswith("deployment:s1-selfappr:staging"))
    one = Policy(approvals=[ApprovalRequirement(tiers=["high"], count=1)])
    got = pairs(run_audit(g, one, now=fx.now))
    assert ("four-eyes", sdep) not in got
    roles = Policy(approvals=[ApprovalRequirement(environments=["staging"], count=1,
                                                  roles=["product-owner"])])
    f = next(f for f in run_audit(g, roles, now=fx.now).findings if f.subject == sdep)
    assert "product-owner" in f.message and "--role product-owner" in f.remediation


def test_staleness_follows_the_clock() -> None:
    fx = make_fixture(1, fixed=True)
    later = run_audit(fx.graph(), now=NOW + timedelta(days=400))
    assert {f.rule for f in later.findings} >= {"risk-tier-set", "monitoring-active"}


def test_waivers_suppress_until_they_expire() -> None:
    fx = make_fixture(1)
    g = fx.graph()
    weak = next(f.subject for f in run_audit(g, now=fx.now).findings
                if f.rule == "run-data-pinned" and f.group == "model_group:s1-noinputs")
    active = Waiver(rule="run-data-pinned", node=weak, owner="dana@example.com",
                    reason="legacy export, re-trained next quarter", expires=date(2026, 9, 30))
    expired = Waiver(rule="transparency-notice", node="model:s1-opaque@3", owner="erin",
                     reason="notice in review", expires=date(2026, 5, 1))
    unused = Waiver(rule="four-eyes", node="deployment:nothing", owner="x", reason="y",
                    expires=date(2027, 1, 1))
    report = run_audit(g, Policy(waivers=[active, expired, unused]), now=fx.now)
    got = pairs(report)
    assert ("run-data-pinned", weak) not in got
    assert [(f.rule, f.subject) for f in report.waived] == [("run-data-pinned", weak)]
    assert report.waived[0].waiver["owner"] == "dana@example.com"
    assert ("transparency-notice", "model:s1-opaque@v1.1.0") in got
    f = next(f for f in report.findings if f.subject == "model:s1-opaque@v1.1.0"
             and f.rule == "transparency-notice")
    assert f.waiver["status"] == "expired"
    assert [(w.waiver.rule, w.status) for w in report.waivers] == [
        ("run-data-pinned", "used"), ("transparency-notice", "expired"), ("four-eyes", "unused")]
    assert got | {("run-data-pinned", weak)} == fx.expected
    # the day after expiry the active waiver stops suppressing too
    after = run_audit(g, Policy(waivers=[active]), now=fx.now.replace(year=2026, month=10))
    assert ("run-data-pinned", weak) in pairs(after)


def test_waiver_on_a_model_version_covers_its_findings() -> None:
    fx = make_fixture(1)
    w = Waiver(rule="high-risk-docs", node="model:s1-nodocs@3", owner="o", reason="r",
               expires=date(2027, 1, 1))
    report = run_audit(fx.graph(), Policy(waivers=[w]), now=fx.now)
    assert ("high-risk-docs", "model:s1-nodocs@v1.1.0") not in pairs(report)
    assert ("high-risk-docs", "model:s1-nodocs@v1.0.0") in pairs(report)


def test_filters_by_model_and_environment() -> None:
    fx = make_fixture(1)
    g = fx.graph()
    only = run_audit(g, now=fx.now, model="s1-selfappr")
    assert {f.group for f in only.findings} == {"model_group:s1-selfappr"}
    version = run_audit(g, now=fx.now, model="s1-nodocs@v1.0.0")
    assert pairs(version) == {("high-risk-docs", "model:s1-nodocs@v1.0.0")}
    staging = run_audit(g, now=fx.now, env="staging")
    assert {f.rule for f in staging.findings} == {"four-eyes"}
    assert all(f.environment in (None, "staging") for f in staging.findings)
    prod = pairs(run_audit(g, now=fx.now, env="prod"))
    assert prod and not any("staging" in s for _, s in prod)


def test_index_is_lighter_than_the_graph(tmp_path: Path) -> None:
    fx = make_fixture(1, filler_commits=500)
    store = write_store(fx, tmp_path / ".lineage")
    idx = AuditIndex.from_store(store)
    assert idx.node_count == fx.node_count
    assert len(idx.attrs) + len(idx.refs) < fx.node_count - 500
    assert pairs(run_audit(idx, now=fx.now)) == fx.expected
    store.close()


def test_dvc_experiment_findings_point_at_dvc_yaml() -> None:
    from lineage.model import Node, NodeKind

    fx = make_fixture(1)
    g = fx.graph()
    run = next(f.subject for f in run_audit(g, now=fx.now).findings
               if f.rule == "run-code-pinned" and f.group == "model_group:s1-dirty")
    g.add_node(Node.trusted(NodeKind.RUN, run, {**g.attrs(run), "source": "dvc-exp"}))
    f = next(f for f in run_audit(g, now=fx.now).findings if f.subject == run)
    assert f.location == {"file": "dvc.yaml", "node": run}


def _add_version(fx, name: str, version: str, days_ago: int, previous: str | None = None) -> str:
    """A new version of system ``name``, produced by a run of its own, with an explicit
    previous version or none (then only its creation time orders it)."""
    from lineage.model import NodeKind

    at = (fx.now - timedelta(days=days_ago)).isoformat()
    v = fx.node(NodeKind.MODEL, f"model:{name}@{version}", group=name, version=version,
                registry="gto", created_at=at)
    fx.edge(EdgeKind.VERSION_OF, v, f"model_group:{name}")
    run = fx.node(NodeKind.RUN, f"run:lineage:{name}-{version}", source="lineage",
                  run_id=f"{name}-{version}", status="FINISHED", start_time=at)
    fx.edge(EdgeKind.PRODUCED, run, v)
    if previous is not None:
        fx.edge(EdgeKind.PREVIOUS_VERSION, previous, v)
    return v


def test_retraining_orders_versions_without_an_edge_by_creation_time(tmp_path: Path
                                                                      ) -> None:
    """A group with previous_version edges still checks its other versions: each follows the
    version created just before it, edge or not; versions with an edge keep it."""
    fx = make_fixture(2, fixed=True)
    name = "s2-noretrain"
    # v1.0.0 (120 days ago) → v1.1.0 = @3 (edge, 20 days ago) → v1.2.0 (no edge, 5 days ago);
    # the joined version is reported as the GTO spelling its deployment names
    v3 = _add_version(fx, name, "v1.2.0", 5)
    # a hotfix of v1.0.0 named as such, created after v1.2.0: its edge wins over time order
    hot = _add_version(fx, name, "v1.0.1", 3, previous=f"model:{name}@v1.0.0")
    # and a version without an edge after it follows it by time
    v4 = _add_version(fx, name, "v1.3.0", 1)
    report = run_audit(fx.graph(), now=fx.now, rules=["retraining-logged"])
    msgs = {f.subject: f.message for f in report.findings}
    assert msgs == {
        v3: f"{name}@v1.2.0 replaces {name}@v1.1.0 but no retraining is recorded",
        hot: f"{name}@v1.0.1 replaces {name}@v1.0.0 but no retraining is recorded",
        v4: f"{name}@v1.3.0 replaces {name}@v1.0.1 but no retraining is recorded",
    }
    checked = {c.subject for c in report.checks if c.model and name in c.model}
    assert checked == {f"model:{name}@v1.1.0", v3, hot, v4}  # every version but the first
    # the same findings from a real store's index
    store = write_store(fx, tmp_path / ".lineage")
    from_store = run_audit(store, now=fx.now, rules=["retraining-logged"])
    store.close()
    assert [f.as_dict() for f in from_store.findings] == [f.as_dict() for f in report.findings]


def test_filters_that_name_nothing_are_usage_errors() -> None:
    from lineage.errors import ConfigError

    fx = make_fixture(3)
    g = fx.graph()
    with pytest.raises(ConfigError, match="no model version or group named 'nosuch'; known: "
                       "s3-banned, ") as exc:
        run_audit(g, now=fx.now, model="nosuch")
    assert exc.value.exit_code == 2
    with pytest.raises(ConfigError, match=r"known versions of s3-nodocs: s3-nodocs@3, "
                       r"s3-nodocs@v1\.0\.0, s3-nodocs@v1\.1\.0"):
        run_audit(g, now=fx.now, model="s3-nodocs@v2")
    with pytest.raises(ConfigError, match="no deployment to an environment named 'qa'; "
                       "known: prod, staging"):
        run_audit(g, now=fx.now, env="qa")
    with pytest.raises(ConfigError) as exc:
        run_audit(g, now=fx.now, model="s3-nodoc")
    assert exc.value.hint == "did you mean 's3-nodocs'?"
    # a version only a record names is known: its lineage-continuity finding is about it
    ghost = run_audit(g, now=fx.now, model="s3-ghost@v9.9.9")
    assert pairs(ghost) == {("lineage-continuity", "model:s3-ghost@v9.9.9")}


def test_a_version_produced_only_by_a_failed_run_has_no_run() -> None:
    """A run that failed (or was killed) after writing the model does not vouch for it: the
    version is a model-has-run finding naming that run, until a finished run produces it."""
    from lineage.model import Node, NodeKind

    fx = make_fixture(0, fixed=True)
    g = fx.graph()
    assert run_audit(g, now=fx.now).findings == []
    produced = {}
    for e in g.edges():
        if e.kind == EdgeKind.PRODUCED:
            produced.setdefault(e.target, []).append(e.source)
    version, (run,) = next((v, rs) for v, rs in sorted(produced.items()) if len(rs) == 1)
    attrs = dict(g.attrs(run))
    # MLflow's RUNNING / SCHEDULED: still going, or killed without a word (the OOM killer);
    # OpenLineage's FAIL / ABORT / START / RUNNING; another source's word for finished
    for status in ("FAILED", "KILLED", "RUNNING", "SCHEDULED", "FAIL", "ABORT", "START",
                   "running", "COMPLETE", "success"):
        g.add_node(Node.trusted(NodeKind.RUN, run, {**attrs, "status": status}))
        findings = [f for f in run_audit(g, now=fx.now).findings if f.rule == "model-has-run"]
        assert len(findings) == 1 and run in findings[0].evidence, (status, findings)
        assert "did not finish" in findings[0].message
        assert f"{run}: {status})" in findings[0].message
    # each source's own word: MLflow, OpenLineage, DVC experiments
    for source, status in (("mlflow", "FINISHED"), ("openlineage", "COMPLETE"),
                           ("dvc-exp", "success"), ("mlflow", "finished")):
        g.add_node(Node.trusted(NodeKind.RUN, run, {**attrs, "source": source,
                                                    "status": status}))
        assert run_audit(g, now=fx.now).findings == [], status
