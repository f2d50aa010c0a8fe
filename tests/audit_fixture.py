"""Seeded generator of lineage graphs with a known set of planted audit gaps.

``make_fixture(seed)`` builds a graph of several AI systems (model groups), each with git
commits, DVC data, training runs, two versions (the second spelled by two registries and
joined by ``same_as``), a risk assessment, deployments, approvals, documents, monitoring alerts
and retraining records. Some systems carry one planted gap of a known rule; ``expected`` is the
set of ``(rule, subject)`` pairs the audit must report. ``make_fixture(seed, fixed=True)``
builds the same systems with every gap repaired: the audit must report nothing.

The seed varies names, dates, the number of clean systems, their tiers and filler history, so
the rules are not tuned to one graph. ``scale`` multiplies the systems (benchmarks).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.model import Edge, EdgeKind, Node, NodeKind

NOW = datetime(2026, 6, 1, tzinfo=UTC)
REPO = "repository:github.com/acme/ml"
AUTHOR = {"name": "Ada Author", "email": "ada@example.com"}
APPROVERS = (("bob@example.com", "model-risk"), ("carol@example.com", "product-owner"))
HIGH_DOCS = ("model_card", "data_governance", "evaluation", "bias_report")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _sha(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def _md5(*parts: Any) -> str:
    return "md5:" + hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


@dataclass
class Fixture:
    items: list[Node | Edge] = field(default_factory=list)
    expected: set[tuple[str, str]] = field(default_factory=set)
    now: datetime = NOW

    def node(self, kind: NodeKind, nid: str, **attrs: Any) -> str:
        self.items.append(Node.make(kind, nid, **attrs))
        return nid

    def edge(self, kind: EdgeKind, s: str, t: str, **attrs: Any) -> None:
        self.items.append(Edge.make(kind, s, t, **attrs))

    def graph(self) -> Any:
        from lineage.graph import LineageGraph

        g = LineageGraph()
        g.add(self.items)
        return g

    @property
    def node_count(self) -> int:
        return len({i.id for i in self.items if isinstance(i, Node)})


@dataclass
class System:
    """Knobs of one AI system; every default is the healthy case."""

    name: str
    tier: str | None = "high"  # None: no risk assessment
    assessed_days_ago: int = 30
    review_in_days: int = 300
    approvals_prod: tuple[tuple[str, str], ...] = APPROVERS
    approval_after_deploy: bool = False
    staging_approvals: tuple[tuple[str, str], ...] | None = None  # None: no staging deploy
    produced: bool = True
    dirty: bool = False
    unknown_commit: bool = False
    unseen_commit: bool = False
    pin: str = "strong"
    missing_data: bool = False
    no_inputs: bool = False
    docs: tuple[str, ...] | None = None  # None: what the tier needs
    retraining: str = "ok"  # ok | none | no-reason
    monitoring: str = "ok"  # ok | none | stale | open-alert
    ghost_approval: bool = False
    retired_v1_deploy: bool = False
    prod_retired: bool = False
    # a later assessment lowering the tier after the deployment: by the run's user ("author")
    # or by someone independent ("independent")
    downgrade: str | None = None


def add_system(fx: Fixture, s: System, rng: random.Random) -> dict[str, str]:
    """Add one system; return its main ids (v2 = the version as the audit reports it: the GTO
    spelling ``@v1.1.0`` the deployment names, with its MLflow twin ``@3`` as ``v2m``)."""
    now = fx.now
    n = s.name
    gid = fx.node(NodeKind.MODEL_GROUP, f"model_group:{n}", name=n, registry="gto",
                  owner="team-ml", intended_purpose=f"{n} scoring")
    commits = []
    parent: str | None = None
    for i in range(2 + rng.randrange(3)):
        sha = _sha(n, "c", i)
        t = now - timedelta(days=200 - i)
        cid = fx.node(NodeKind.COMMIT, f"commit:{sha}", sha=sha, repository=REPO,
                      author={**AUTHOR, "time": _iso(t)}, committer={**AUTHOR, "time": _iso(t)},
                      message=f"{n}: change {i}", parents=[parent] if parent else [])
        fx.edge(EdgeKind.CONTAINS, REPO, cid)
        if parent:
            fx.edge(EdgeKind.PARENT, f"commit:{parent}", cid)
        parent = sha
        commits.append(cid)
    data = fx.node(NodeKind.DATA, f"data:github.com/acme/ml:data/{n}.csv@{_md5(n)}",
                   path=f"data/{n}.csv", repository=REPO, hash=_md5(n), hash_kind="md5")
    v1 = fx.node(NodeKind.MODEL, f"model:{n}@v1.0.0", group=n, version="v1.0.0", registry="gto",
                 created_at=_iso(now - timedelta(days=120)))
    v2 = fx.node(NodeKind.MODEL, f"model:{n}@v1.1.0", group=n, version="v1.1.0",
                 registry="gto", created_at=_iso(now - timedelta(days=20)))
    v2m = fx.node(NodeKind.MODEL, f"model:{n}@3", group=n, version="3", registry="mlflow",
                  created_at=_iso(now - timedelta(days=20)))
    for m in (v1, v2, v2m):
        fx.edge(EdgeKind.VERSION_OF, m, gid)
    fx.edge(EdgeKind.SAME_AS, v2, v2m)
    fx.edge(EdgeKind.PREVIOUS_VERSION, v1, v2)
    runs = []
    extra: dict[str, str] = {}
    for i, (model, commit) in enumerate(((v1, commits[0]), (v2m, commits[-1]))):
        rid = f"run:mlflow:{_sha(n, 'run', i)[:16]}"
        sha = commit.removeprefix("commit:")
        second = i == 1
        if second and s.unknown_commit:
            sha = _sha(n, "lost")
        fx.node(NodeKind.RUN, rid, source="mlflow", run_id=rid.rsplit(":", 1)[1],
                user="ada", commit=sha, dirty=bool(second and s.dirty), status="FINISHED",
                start_time=_iso(now - timedelta(days=130 - 100 * i)))
        if not (second and s.unknown_commit):
            fx.edge(EdgeKind.CODE, commit, rid, dirty=bool(second and s.dirty))
        if second and s.unseen_commit:
            fx.node(NodeKind.COMMIT, commit, sha=sha, placeholder=True)
        if not (second and s.no_inputs):
            src = data
            if second and s.missing_data:
                src = f"data:github.com/acme/ml:data/{n}-extra.csv@{_md5(n, 'gone')}"
                extra["missing_data"] = src
            fx.edge(EdgeKind.INPUT, src, rid, pin=s.pin if second else "strong",
                    path=f"data/{n}.csv")
        if not (second and not s.produced):
            fx.edge(EdgeKind.PRODUCED, rid, model)
        runs.append(rid)
    if s.tier is not None:
        ra = fx.node(NodeKind.RISK_ASSESSMENT, f"risk_assessment:{n}-ra", model_group=gid,
                     tier=s.tier, assessor="dana@example.com",
                     assessed_at=_iso(now - timedelta(days=s.assessed_days_ago)),
                     next_review=_iso(now + timedelta(days=s.review_in_days)),
                     record_file=f"governance/{n}/risk.yaml")
        fx.edge(EdgeKind.ASSESSES, ra, gid)
        if s.downgrade is not None:
            ra2 = fx.node(NodeKind.RISK_ASSESSMENT, f"risk_assessment:{n}-ra2",
                          model_group=gid, tier="minimal", rationale="narrower use",
                          assessor="ada" if s.downgrade == "author" else "erin@example.com",
                          assessed_at=_iso(now - timedelta(days=5)),
                          next_review=_iso(now + timedelta(days=s.review_in_days)))
            fx.edge(EdgeKind.ASSESSES, ra2, gid)
    deployed = now - timedelta(days=10)
    dep = fx.node(NodeKind.DEPLOYMENT, f"deployment:{n}:prod:{_iso(deployed)}", model=v2,
                  environment="prod", deployed_at=_iso(deployed), deployed_by="ci",
                  retired_at=_iso(now - timedelta(days=1)) if s.prod_retired else None,
                  record_file=f"governance/{n}/deploy-prod.yaml")
    fx.edge(EdgeKind.DEPLOYED_AS, v2, dep)
    decided = deployed + timedelta(days=1) if s.approval_after_deploy else deployed - timedelta(1)
    for i, (who, role) in enumerate(s.approvals_prod):
        ap = fx.node(NodeKind.APPROVAL, f"approval:{n}-prod-{i}", approver=who, role=role,
                     decided_at=_iso(decided), model=v2, environment="prod",
                     record_file=f"governance/{n}/approval-prod-{i}.yaml")
        fx.edge(EdgeKind.APPROVES, ap, v2)
    if s.staging_approvals is not None:
        at = now - timedelta(days=15)
        sdep = fx.node(NodeKind.DEPLOYMENT, f"deployment:{n}:staging:{_iso(at)}", model=v2m,
                       environment="staging", deployed_at=_iso(at))
        extra["sdep"] = sdep
        fx.edge(EdgeKind.DEPLOYED_AS, v2m, sdep)
        for i, (who, role) in enumerate(s.staging_approvals):
            ap = fx.node(NodeKind.APPROVAL, f"approval:{n}-staging-{i}", approver=who, role=role,
                         decided_at=_iso(at - timedelta(days=1)), model=v2m,
                         environment="staging")
            fx.edge(EdgeKind.APPROVES, ap, v2m)
    if s.retired_v1_deploy:
        at = now - timedelta(days=110)
        d1 = fx.node(NodeKind.DEPLOYMENT, f"deployment:{n}:prod:{_iso(at)}", model=v1,
                     environment="prod", deployed_at=_iso(at),
                     retired_at=_iso(now - timedelta(days=10)))
        fx.edge(EdgeKind.DEPLOYED_AS, v1, d1)
        for i, (who, role) in enumerate(APPROVERS):
            ap = fx.node(NodeKind.APPROVAL, f"approval:{n}-v1-{i}", approver=who, role=role,
                         decided_at=_iso(at - timedelta(days=1)), model=v1, environment="prod")
            fx.edge(EdgeKind.APPROVES, ap, v1)
    if s.ghost_approval:
        ghost = f"model:{n}@v9.9.9"
        fx.node(NodeKind.APPROVAL, f"approval:{n}-ghost", approver="bob@example.com",
                role="model-risk", decided_at=_iso(now - timedelta(days=3)), model=ghost,
                environment="prod")
    docs = s.docs
    if docs is None:
        docs = {"high": HIGH_DOCS, "limited": ("transparency_notice",)}.get(s.tier or "", ())
    for kind in docs:
        doc = fx.node(NodeKind.DOCUMENT, f"document:{n}-{kind}", doc_kind=kind,
                      uri=f"docs/{n}/{kind}.md", model_group=gid,
                      content_hash=f"sha256:{_sha(n, 'doc', kind)}{_sha(n, 'doc', kind)[:24]}")
        fx.edge(EdgeKind.DOCUMENTS, doc, gid)
    if s.retraining != "none":
        rt = fx.node(NodeKind.RETRAINING, f"retraining:{n}-rt", trigger="drift",
                     reason=None if s.retraining == "no-reason" else "PSI above 0.2 on tenure",
                     previous_model=v1, new_model=v2, run=runs[1],
                     at=_iso(now - timedelta(days=21)))
        fx.edge(EdgeKind.RETRAINS, v1, rt)
        fx.edge(EdgeKind.RETRAINS, rt, v2)
    alert_at = {"ok": 2, "stale": 90, "open-alert": 20}.get(s.monitoring)
    if alert_at is not None:
        status = "open" if s.monitoring == "open-alert" else "resolved"
        al = fx.node(NodeKind.ALERT, f"alert:{n}-drift", model=v2m, metric="psi", value=0.05,
                     threshold=0.2, at=_iso(now - timedelta(days=alert_at)), status=status)
        fx.edge(EdgeKind.ALERTS, al, v2m)
        extra["alert"] = al
    return {"group": gid, "v1": v1, "v2": v2, "v2m": v2m, "dep": dep, "run1": runs[0], "run2": runs[1],
            "data": data, **extra}


def _planted(prefix: str) -> list[tuple[System, Any]]:
    """(system, expected(ids) -> set of (rule, subject)) for every planted gap."""

    def ids_of(n: str) -> str:
        return f"{prefix}{n}"

    stage_approvals = (APPROVERS[0],)
    return [
        (System(ids_of("noappr"), approvals_prod=()),
         lambda i: {("deployment-approved", i["dep"])}),
        (System(ids_of("lateappr"), tier="minimal", approval_after_deploy=True),
         lambda i: {("deployment-approved", i["dep"])}),
        (System(ids_of("selfappr"), approvals_prod=(("ada@example.com", "model-risk"),
                                                    APPROVERS[1]),
                staging_approvals=stage_approvals),
         lambda i: {("four-eyes", i["dep"]), ("four-eyes", i["sdep"])}),
        (System(ids_of("norun"), tier="minimal", produced=False),
         lambda i: {("model-has-run", i["v2"])}),
        (System(ids_of("dirty"), dirty=True), lambda i: {("run-code-pinned", i["run2"])}),
        (System(ids_of("lostcommit"), tier="limited", unknown_commit=True),
         lambda i: {("run-code-pinned", i["run2"])}),
        (System(ids_of("unseencommit"), tier="minimal", unseen_commit=True),
         lambda i: {("run-code-pinned", i["run2"])}),
        (System(ids_of("weakpin"), pin="weak"), lambda i: {("run-data-pinned", i["run2"])}),
        (System(ids_of("missingdata"), tier="minimal", missing_data=True),
         lambda i: {("run-data-pinned", i["run2"]), ("lineage-continuity", i["missing_data"])}),
        (System(ids_of("noinputs"), tier="limited", no_inputs=True),
         lambda i: {("run-data-pinned", i["run2"])}),
        (System(ids_of("notier"), tier=None), lambda i: {("risk-tier-set", i["group"])}),
        (System(ids_of("stale"), tier="minimal", assessed_days_ago=400, review_in_days=-35),
         lambda i: {("risk-tier-set", i["group"])}),
        (System(ids_of("banned"), tier="unacceptable", retired_v1_deploy=True),
         lambda i: {("prohibited-not-deployed", i["v2"])}),
        (System(ids_of("nodocs"), docs=("model_card", "evaluation", "data_governance")),
         lambda i: {("high-risk-docs", i["v1"]), ("high-risk-docs", i["v2"])}),
        (System(ids_of("noretrain"), tier="minimal", retraining="none"),
         lambda i: {("retraining-logged", i["v2"])}),
        (System(ids_of("noreason"), tier="limited", retraining="no-reason"),
         lambda i: {("retraining-logged", i["v2"])}),
        (System(ids_of("unmonitored"), monitoring="none"),
         lambda i: {("monitoring-active", i["v2"])}),
        (System(ids_of("stalemon"), monitoring="stale"),
         lambda i: {("monitoring-active", i["v2"])}),
        (System(ids_of("openalert"), monitoring="open-alert"),
         lambda i: {("monitoring-active", i["alert"])}),
        (System(ids_of("opaque"), tier="limited", docs=()),
         lambda i: {("transparency-notice", i["v1"]), ("transparency-notice", i["v2"])}),
        (System(ids_of("downgraded"), tier="limited", downgrade="author"),
         lambda i: {("risk-downgrade-independent",
                     i["group"].replace("model_group:", "risk_assessment:") + "-ra2")}),
        (System(ids_of("ghost"), tier="minimal", ghost_approval=True),
         lambda i: {("lineage-continuity", i["group"].replace("model_group:", "model:")
                     + "@v9.9.9")}),
    ]


def _repair(s: System) -> System:
    healthy = System(s.name, tier=s.tier or "minimal")
    healthy.prod_retired = s.tier == "unacceptable"
    healthy.retired_v1_deploy = s.retired_v1_deploy
    healthy.downgrade = "independent" if s.downgrade else None
    if s.staging_approvals is not None:
        healthy.staging_approvals = APPROVERS
    return healthy


def make_fixture(seed: int = 0, *, fixed: bool = False, scale: int = 1,
                 filler_commits: int = 0) -> Fixture:
    """A graph with every planted gap (or, ``fixed``, the same systems repaired)."""
    rng = random.Random(seed)
    fx = Fixture()
    fx.node(NodeKind.REPOSITORY, REPO, url="https://github.com/acme/ml.git")
    tag = f"s{seed}"
    for k in range(scale):
        prefix = f"{tag}k{k}-" if scale > 1 else f"{tag}-"
        for system, expect in _planted(prefix):
            if fixed:
                add_system(fx, _repair(system), rng)
            else:
                ids = add_system(fx, system, rng)
                fx.expected |= expect(ids)
        for j in range(2 + rng.randrange(4)):
            tier = rng.choice(["high", "limited", "minimal"])
            add_system(fx, System(f"{prefix}clean{j}", tier=tier), rng)
    parent = None
    for i in range(filler_commits):
        sha = _sha(tag, "filler", i)
        cid = f"commit:{sha}"
        fx.items.append(Node.trusted(NodeKind.COMMIT, cid, {
            "sha": sha, "repository": REPO, "author": AUTHOR, "message": f"filler {i}"}))
        if parent:
            fx.items.append(Edge.model_construct(kind=EdgeKind.PARENT, source=parent,
                                                 target=cid, attrs={}))
        parent = cid
    return fx


def write_store(fx: Fixture, store_dir: Any) -> Any:
    """Write the fixture into a real store (Store.init, one transaction, one event), on the
    fixture's day (``fx.now``): an audit on that day finds every record written, as a store
    kept since then would (documents have no date of their own but their writing)."""
    from unittest import mock

    from lineage.store import Store

    store = Store.init(store_dir)
    with mock.patch("lineage.store.now_utc", lambda: fx.now), store.transaction():
        store.upsert(fx.items)
        store.append_event("harvest", "fixture", {"harvester": "audit-fixture"})
    return store
