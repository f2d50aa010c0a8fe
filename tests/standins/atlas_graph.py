"""A small lineage graph with every node kind and the edges between them (Atlas tests)."""

from __future__ import annotations

from lineage import ids
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind

REPO = ids.repository_id("https://github.com/acme/churn.git")
SHA1 = "1" * 40
SHA2 = "2" * 40
C1, C2 = ids.commit_id(SHA1), ids.commit_id(SHA2)
RAW = ids.data_id(REPO, "data/raw.csv", "md5:aaaa")
FEAT = ids.data_id(REPO, "data/features", "md5:bbbb.dir")
MODEL_FILE = ids.data_id(REPO, "models/model.pkl", "md5:cccc")
STAGE = ids.stage_id(REPO, "dvc.yaml", "featurize", "lock1")
RUN1 = ids.run_id("mlflow", "localhost:r1")
RUN2 = ids.run_id("mlflow", "localhost:r2")
GROUP = ids.model_group_id("churn")
V1, V2 = ids.model_id("churn", "v1.0.0"), ids.model_id("churn", "v1.1.0")
V2_MLFLOW = ids.model_id("churn", "3")
DEPLOY = ids.deployment_id("churn", "prod", "2026-01-05T10:00:00Z")
APPROVAL = ids.record_id("approval", "APR-7")
APPROVAL_DEP = ids.record_id("approval", "APR-8")
RISK = ids.record_id("risk_assessment", "RA-1")
RETRAIN = ids.record_id("retraining", "RT-1")
ALERT = ids.record_id("alert", "AL-1")
DOC = ids.record_id("document", "DOC-1")
RISK_FIX = ids.record_id("risk_assessment", "RA-2")  # with ``corrected``: supersedes RA-1
APPROVAL_FIX = ids.record_id("approval", "APR-9")  # with ``corrected``: APR-7 was for v1.0.0
GHOST_COMMIT = ids.commit_id("9" * 40)  # named by a run, never harvested


def build_graph(*, tier: str = "high", approver: str = "erin", corrected: bool = False
                ) -> LineageGraph:
    """``corrected``: RA-2 (tier limited, no Annex III area, rationale or review date)
    supersedes RA-1, and APR-9 (the same approval, for v1.0.0) supersedes APR-7, so v1.1.0
    and its deployment have no approval left."""
    person = {"name": "Ada Author", "email": "ada@example.com", "time": "2026-01-01T01:00:00Z"}
    nodes = [
        Node.make(NodeKind.REPOSITORY, REPO, url="https://github.com/acme/churn.git",
                  root_commit=SHA1),
        Node.make(NodeKind.COMMIT, C1, sha=SHA1, repository=REPO, author=person,
                  committer=person, message="add raw data\n\nbody", refs=["main"]),
        Node.make(NodeKind.COMMIT, C2, sha=SHA2, repository=REPO, parents=[SHA1],
                  author=person, committer=person, message="train v1.1"),
        Node.make(NodeKind.DATA, RAW, path="data/raw.csv", repository=REPO, hash="md5:aaaa",
                  hash_kind="md5", size=1234, first_commit=SHA1),
        Node.make(NodeKind.DATA, FEAT, path="data/features", repository=REPO,
                  hash="md5:bbbb.dir", is_dir=True, nfiles=3, size=999),
        Node.make(NodeKind.DATA, MODEL_FILE, path="models/model.pkl", hash="md5:cccc"),
        Node.make(NodeKind.STAGE, STAGE, name="featurize", repository=REPO,
                  cmd="python featurize.py", deps=["data/raw.csv"], outs=["data/features"],
                  params={"seed": 7, "split": 0.2}, commit=SHA1),
        Node.make(NodeKind.RUN, RUN1, source="mlflow", run_id="r1", name="train-v1",
                  status="FINISHED", start_time="2026-01-02T00:00:00Z",
                  end_time="2026-01-02T00:10:00Z", params={"lr": 0.1},
                  metrics={"auc": 0.81}, commit=SHA1, dirty=False, experiment="churn"),
        Node.make(NodeKind.RUN, RUN2, source="mlflow", run_id="r2", status="FINISHED",
                  metrics={"auc": 0.84}, commit="9" * 40, tags={"team": "risk"}),
        Node.make(NodeKind.MODEL_GROUP, GROUP, name="churn", registry="gto", owner="ml-team",
                  intended_purpose="predict customer churn", description="Churn model"),
        Node.make(NodeKind.MODEL, V1, group="churn", version="v1.0.0", registry="gto",
                  commit=SHA1, created_at="2026-01-02T01:00:00Z", metrics={"auc": 0.81}),
        Node.make(NodeKind.MODEL, V2, group="churn", version="v1.1.0", registry="gto",
                  artifact_hash="md5:cccc", commit=SHA2, aliases=["champion"],
                  created_at="2026-01-04T01:00:00Z", created_by="ada"),
        Node.make(NodeKind.MODEL, V2_MLFLOW, group="churn", version="3", registry="mlflow"),
        Node.make(NodeKind.DEPLOYMENT, DEPLOY, model=V2, environment="prod",
                  endpoint="https://api.acme/churn", deployed_at="2026-01-05T10:00:00Z",
                  deployed_by="ops-bot", source="record"),
        Node.make(NodeKind.APPROVAL, APPROVAL, approver=approver, role="risk-officer",
                  decision="approved", decided_at="2026-01-04T12:00:00Z", model=V2,
                  environment="prod", evidence="JIRA-42"),
        Node.make(NodeKind.APPROVAL, APPROVAL_DEP, approver="frank", role="release-manager",
                  decision="conditional", decided_at="2026-01-05T09:00:00Z"),
        Node.make(NodeKind.RISK_ASSESSMENT, RISK, model_group=GROUP, tier=tier,
                  annex_iii_area="5(b) creditworthiness", rationale="affects access to credit",
                  assessor="grace", assessed_at="2026-01-01T00:00:00Z",
                  next_review="2027-01-01T00:00:00Z"),
        Node.make(NodeKind.ALERT, ALERT, model=V1, metric="psi", value=0.31, threshold=0.2,
                  at="2026-01-03T00:00:00Z", status="acknowledged"),
        Node.make(NodeKind.RETRAINING, RETRAIN, trigger="drift", reason="PSI above 0.2",
                  previous_model=V1, new_model=V2, run=RUN2, within_change_plan=True,
                  at="2026-01-03T06:00:00Z", alert=ALERT),
        Node.make(NodeKind.DOCUMENT, DOC, doc_kind="model_card", uri="https://docs.acme/churn",
                  model=V2),
    ]
    edges = [
        Edge.make(EdgeKind.CONTAINS, REPO, C1), Edge.make(EdgeKind.CONTAINS, REPO, C2),
        Edge.make(EdgeKind.PARENT, C1, C2),
        Edge.make(EdgeKind.DEFINES, C1, STAGE), Edge.make(EdgeKind.DEFINES, C1, RAW),
        Edge.make(EdgeKind.INPUT, RAW, STAGE, pin="strong"),
        Edge.make(EdgeKind.OUTPUT, STAGE, FEAT),
        Edge.make(EdgeKind.INPUT, FEAT, RUN1, pin="strong"),
        Edge.make(EdgeKind.INPUT, FEAT, RUN2, pin="weak"),
        Edge.make(EdgeKind.CODE, C1, RUN1, dirty=False),
        Edge.make(EdgeKind.CODE, GHOST_COMMIT, RUN2),
        Edge.make(EdgeKind.OUTPUT, RUN2, MODEL_FILE),
        Edge.make(EdgeKind.PRODUCED, RUN1, V1), Edge.make(EdgeKind.PRODUCED, RUN2, V2),
        Edge.make(EdgeKind.ARTIFACT, MODEL_FILE, V2),
        Edge.make(EdgeKind.TAGGED, C2, V2),
        Edge.make(EdgeKind.VERSION_OF, V1, GROUP), Edge.make(EdgeKind.VERSION_OF, V2, GROUP),
        Edge.make(EdgeKind.VERSION_OF, V2_MLFLOW, GROUP),
        Edge.make(EdgeKind.PREVIOUS_VERSION, V1, V2),
        Edge.make(EdgeKind.SAME_AS, V2, V2_MLFLOW),
        Edge.make(EdgeKind.DEPLOYED_AS, V2, DEPLOY),
        Edge.make(EdgeKind.APPROVES, APPROVAL, V2),
        Edge.make(EdgeKind.APPROVES, APPROVAL_DEP, DEPLOY),
        Edge.make(EdgeKind.ASSESSES, RISK, GROUP),
        Edge.make(EdgeKind.ALERTS, ALERT, V1),
        Edge.make(EdgeKind.TRIGGERS, ALERT, RETRAIN),
        Edge.make(EdgeKind.RETRAINS, V1, RETRAIN), Edge.make(EdgeKind.RETRAINS, RETRAIN, RUN2),
        Edge.make(EdgeKind.RETRAINS, RETRAIN, V2),
        Edge.make(EdgeKind.DOCUMENTS, DOC, V2),
        Edge.make(EdgeKind.UPSTREAM_RUN, RUN1, RUN2),
    ]
    if corrected:
        nodes += [
            Node.make(NodeKind.RISK_ASSESSMENT, RISK_FIX, model_group=GROUP, tier="limited",
                      assessor="grace", assessed_at="2026-01-02T00:00:00Z",
                      properties={"supersedes": "RA-1"}),
            Node.make(NodeKind.APPROVAL, APPROVAL_FIX, approver=approver, role="risk-officer",
                      decision="approved", decided_at="2026-01-04T12:00:00Z", model=V1,
                      environment="prod", properties={"supersedes": "APR-7"}),
        ]
        edges += [Edge.make(EdgeKind.ASSESSES, RISK_FIX, GROUP),
                  Edge.make(EdgeKind.APPROVES, APPROVAL_FIX, V1)]
    g = LineageGraph()
    g.add(nodes)
    g.add(edges)
    return g


def node_kinds(graph: LineageGraph) -> set[NodeKind]:
    return {n.kind for n in graph.nodes()}
