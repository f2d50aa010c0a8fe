"""A fixed lineage graph covering every node kind, for the DataHub golden and push tests."""

from __future__ import annotations

from lineage import ids
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind

REPO = "repository:github.com/acme/churn"
SHA1 = "1111111111111111111111111111111111111111"
SHA2 = "2222222222222222222222222222222222222222"
MD5_TRAIN = "md5:0f3c9a1e2b7d4c5f6a8b9c0d1e2f3a4b"
MD5_MODEL1 = "md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
MD5_MODEL2 = "md5:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def fixed_graph(*, v2_metric: float = 0.91) -> LineageGraph:
    """Two versions of `churn`, the second retrained after a drift alert and deployed."""
    g = LineageGraph()
    n = Node.make
    e = Edge.make
    train = ids.data_id(REPO, "data/train.csv", MD5_TRAIN)
    art1 = ids.data_id(REPO, "models/churn.pkl", MD5_MODEL1)
    art2 = ids.data_id(REPO, "models/churn.pkl", MD5_MODEL2)
    stage1 = ids.stage_id(REPO, "dvc.yaml", "train", "lock1")
    stage2 = ids.stage_id(REPO, "dvc.yaml", "train", "lock2")
    run1 = ids.run_id("mlflow", "run0001")
    run2 = ids.run_id("mlflow", "run0002")
    grp = ids.model_group_id("churn")
    m1 = ids.model_id("churn", "v1.0.0")
    m2 = ids.model_id("churn", "v1.1.0")
    dep = ids.deployment_id("churn", "prod", "2026-01-05T10:00:00+00:00")
    g.add([
        n(NodeKind.REPOSITORY, REPO, url="https://github.com/acme/churn.git"),
        n(NodeKind.COMMIT, ids.commit_id(SHA1), sha=SHA1, repository=REPO, message="train v1",
          committer={"name": "Carl Committer", "time": "2026-01-01T00:00:00Z"}),
        n(NodeKind.COMMIT, ids.commit_id(SHA2), sha=SHA2, repository=REPO, parents=[SHA1],
          message="retrain", committer={"name": "Carl Committer", "time": "2026-01-03T00:00:00Z"}),
        e(EdgeKind.CONTAINS, REPO, ids.commit_id(SHA1)),
        e(EdgeKind.CONTAINS, REPO, ids.commit_id(SHA2)),
        e(EdgeKind.PARENT, ids.commit_id(SHA1), ids.commit_id(SHA2)),
        n(NodeKind.DATA, train, path="data/train.csv", repository=REPO, hash=MD5_TRAIN,
          hash_kind="md5", size=1234, remote="s3://acme-dvc", first_commit=SHA1),
        e(EdgeKind.DEFINES, ids.commit_id(SHA1), train),
        n(NodeKind.DATA, art1, path="models/churn.pkl", repository=REPO, hash=MD5_MODEL1),
        n(NodeKind.DATA, art2, path="models/churn.pkl", repository=REPO, hash=MD5_MODEL2),
        n(NodeKind.STAGE, stage1, name="train", repository=REPO, cmd="python train.py",
          deps=["data/train.csv", "train.py"], outs=["models/churn.pkl"], commit=SHA1,
          params={"lr": 0.1}),
        n(NodeKind.STAGE, stage2, name="train", repository=REPO, cmd="python train.py",
          deps=["data/train.csv", "train.py"], outs=["models/churn.pkl"], commit=SHA2,
          params={"lr": 0.05}),
        e(EdgeKind.DEFINES, ids.commit_id(SHA1), stage1),
        e(EdgeKind.DEFINES, ids.commit_id(SHA2), stage2),
        e(EdgeKind.INPUT, train, stage1, pin="strong"),
        e(EdgeKind.INPUT, train, stage2, pin="strong"),
        e(EdgeKind.OUTPUT, stage1, art1),
        e(EdgeKind.OUTPUT, stage2, art2),
        n(NodeKind.RUN, run1, source="mlflow", run_id="run0001", name="train-1",
          experiment="churn", experiment_id="1", status="FINISHED", user="ada@example.com",
          start_time="2026-01-01T01:00:00Z", end_time="2026-01-01T01:10:00Z",
          params={"lr": "0.1"}, metrics={"auc": 0.88}, commit=SHA1, dirty=False, job="train"),
        n(NodeKind.RUN, run2, source="mlflow", run_id="run0002", name="train-2",
          experiment="churn", experiment_id="1", status="FINISHED", user="ada@example.com",
          start_time="2026-01-03T01:00:00Z", end_time="2026-01-03T01:10:00Z",
          params={"lr": "0.05"}, metrics={"auc": v2_metric}, commit=SHA2, dirty=False,
          job="train"),
        e(EdgeKind.CODE, ids.commit_id(SHA1), run1, dirty=False),
        e(EdgeKind.CODE, ids.commit_id(SHA2), run2, dirty=False),
        e(EdgeKind.INPUT, train, run1, pin="strong", path="data/train.csv"),
        e(EdgeKind.INPUT, train, run2, pin="strong", path="data/train.csv"),
        n(NodeKind.MODEL_GROUP, grp, name="churn", registry="gto",
          description="Customer churn classifier", owner="ada@example.com",
          intended_purpose="Rank customers by churn risk for retention offers"),
        n(NodeKind.MODEL, m1, group="churn", version="v1.0.0", registry="gto", commit=SHA1,
          artifact_hash=MD5_MODEL1, created_at="2026-01-01T02:00:00Z",
          created_by="ada@example.com", metrics={"auc": 0.88}),
        n(NodeKind.MODEL, m2, group="churn", version="v1.1.0", registry="gto", commit=SHA2,
          artifact_hash=MD5_MODEL2, created_at="2026-01-03T02:00:00Z",
          created_by="ada@example.com", aliases=["prod"], stage="prod",
          metrics={"auc": v2_metric}),
        e(EdgeKind.PRODUCED, run1, m1),
        e(EdgeKind.PRODUCED, run2, m2),
        e(EdgeKind.ARTIFACT, art1, m1),
        e(EdgeKind.ARTIFACT, art2, m2),
        e(EdgeKind.TAGGED, ids.commit_id(SHA1), m1),
        e(EdgeKind.TAGGED, ids.commit_id(SHA2), m2),
        e(EdgeKind.VERSION_OF, m1, grp),
        e(EdgeKind.VERSION_OF, m2, grp),
        e(EdgeKind.PREVIOUS_VERSION, m1, m2),
        n(NodeKind.DEPLOYMENT, dep, model=m2, environment="prod",
          endpoint="https://churn.acme.example/predict", deployed_at="2026-01-05T10:00:00Z",
          deployed_by="ops@example.com", source="gto"),
        e(EdgeKind.DEPLOYED_AS, m2, dep),
        n(NodeKind.APPROVAL, "approval:APR-7", approver="bob@example.com",
          role="model-risk-officer", decision="approved", decided_at="2026-01-04T09:00:00Z",
          model=m2, environment="prod", evidence="https://tickets.acme.example/APR-7"),
        e(EdgeKind.APPROVES, "approval:APR-7", m2),
        e(EdgeKind.APPROVES, "approval:APR-7", dep),
        n(NodeKind.RISK_ASSESSMENT, "risk_assessment:RA-1", model_group=grp, tier="high",
          annex_iii_area="5(b) creditworthiness", rationale="affects access to services",
          assessor="carol@example.com", assessed_at="2025-12-20T00:00:00Z",
          next_review="2026-12-20T00:00:00Z"),
        e(EdgeKind.ASSESSES, "risk_assessment:RA-1", grp),
        n(NodeKind.ALERT, "alert:DRIFT-3", model=m1, metric="psi", value=0.31, threshold=0.2,
          at="2026-01-02T12:00:00Z", status="resolved"),
        e(EdgeKind.ALERTS, "alert:DRIFT-3", m1),
        n(NodeKind.RETRAINING, "retraining:RT-2", trigger="drift", reason="PSI above 0.2",
          previous_model=m1, new_model=m2, run=run2, within_change_plan=True,
          at="2026-01-03T00:30:00Z", alert="alert:DRIFT-3"),
        e(EdgeKind.TRIGGERS, "alert:DRIFT-3", "retraining:RT-2"),
        e(EdgeKind.RETRAINS, m1, "retraining:RT-2"),
        e(EdgeKind.RETRAINS, "retraining:RT-2", run2),
        e(EdgeKind.RETRAINS, "retraining:RT-2", m2),
        n(NodeKind.DOCUMENT, "document:MC-2", doc_kind="model_card",
          uri="https://docs.acme.example/churn/v1.1.0/model-card", title="Churn model card",
          content_hash="sha256:abc123", model=m2),
        e(EdgeKind.DOCUMENTS, "document:MC-2", m2),
    ])
    return g
