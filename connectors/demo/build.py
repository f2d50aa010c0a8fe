"""Build the demo ML repository: real git history, a real DVC pipeline, GTO tags, runs
recorded by lineage, and governance records — with a few deliberate audit gaps.

History (git dates pinned; the training runs' records carry their real time and a random id,
so commit shas differ from one build to the next). Each commit and tag is made at or after the time of what it records, the day it happens, as a team commits its
records: `lineage show` marks none of them as recorded late. The records a job writes with
``lineage record --write-file`` (the drift alerts, the CD deployment) are written by that job's
own store, as on a CI runner, and reach the demo's store through their committed files, so the
commit that added each is when it was first recorded.

1. raw data (``dvc add``), pipeline, ``dvc repro`` → model v1.0.0 (GTO tag ``churn@v1.0.0``)
2. risk assessment (high risk: credit-adjacent customer scoring), audit policy, model card,
   approvals of v1.0.0 for staging and prod by two reviewers; deployments (GTO
   ``churn#staging#1``, ``churn#prod#2``)
3. a drift alert on v1.0.0 (PSI above threshold)
4. new month of data → ``dvc repro`` → v1.1.0, with a retraining record triggered by the alert
5. v1.1.0 approved for staging by the engineer who trained it (four-eyes gap), deployed to
   prod with no prod approval (deployment-approved gap), no bias report (high-risk-docs gap)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from connectors.demo import project
from lineage.errors import ConfigError

IDENTITIES = {
    "ada": ("Ada Lovelace", "ada@example.com"),       # ML engineer, trains the model
    "rita": ("Rita Risk", "rita@example.com"),        # model risk officer
    "max": ("Max Müller", "max@example.com"),         # ML platform lead
}


# the demo's "today": audits of the demo are evaluated as of this date
AS_OF = "2026-01-22"


@dataclass
class Demo:
    path: Path
    as_of: str = AS_OF
    commits: dict[str, str] = field(default_factory=dict)
    # (audit rule, model version) pairs the demo leaves open on purpose
    planted_gaps: list[tuple[str, str]] = field(default_factory=list)


class _Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        bindir = str(Path(sys.executable).parent)
        # the training script and `python -m lineage` in the demo use this very installation
        source_root = str(Path(__file__).resolve().parents[2])
        pythonpath = os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p)
        self.base_env = {
            **os.environ,
            "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONPATH": pythonpath,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "DVC_NO_ANALYTICS": "1",
            "DVC_NO_ANALYTICS_MSG": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
        self.who = "ada"
        # the demo's clock: the git date of what is committed or tagged next (UTC)
        self.now = "2026-01-02T09:00:00Z"
        self.store: str | None = None  # LINEAGE_STORE of a job's own store (see job_store)

    def at(self, when: str) -> None:
        """Moves the demo's clock to ``when``: never back, so history reads in order."""
        if when < self.now:
            raise RuntimeError(f"demo clock moved back: {when} < {self.now}")
        self.now = when

    def env(self) -> dict[str, str]:
        name, email = IDENTITIES[self.who]
        date = self.now.replace("Z", "+00:00")
        env = {**self.base_env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
               "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
               "LINEAGE_ACTOR": email, "DEMO_CLOCK": self.now}
        if self.store is not None:
            env["LINEAGE_STORE"] = self.store
        return env

    def run(self, *cmd: str) -> str:
        proc = subprocess.run(list(cmd), cwd=self.path, env=self.env(), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"demo step failed: {' '.join(cmd)}\n{proc.stderr.strip()}")
        return proc.stdout.strip()

    def git(self, *args: str) -> str:
        return self.run("git", *args)

    def dvc(self, *args: str) -> str:
        return self.run(sys.executable, "-m", "dvc", *args)

    def write(self, rel: str, text: str) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def commit(self, message: str, at: str) -> str:
        self.at(at)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, message: str, at: str, ref: str = "HEAD") -> None:
        self.at(at)
        self.git("tag", "-a", name, "-m", message, ref)

    @contextmanager
    def job_store(self) -> Iterator[None]:
        """A job run elsewhere (CD, monitoring) records with its own store, thrown away after
        it: the record reaches the demo's store through the file it commits, dated by that
        commit — not by the real time the demo is built, months after its dates."""
        with tempfile.TemporaryDirectory(prefix="lineage-demo-job-") as tmp:
            self.store = str(Path(tmp) / "store")
            try:
                _lineage(self, "init")
                yield
            finally:
                self.store = None


DEMO_ORIGIN = "https://github.com/example-org/churn-model.git"


def is_demo(folder: Path) -> bool:
    """Whether ``folder`` is a demo repository :func:`build_demo` built (at its root: a
    folder inside one, or one holding it, is not)."""
    from lineage.gitfiles import git_remote_url
    from lineage.ids import normalize_repo_url

    url = git_remote_url(folder)  # read from FOLDER/.git only
    return url is not None and normalize_repo_url(url) == normalize_repo_url(DEMO_ORIGIN)


def build_demo(path: str | Path, *, force: bool = False) -> Demo:
    """Create the demo repository at ``path`` (absent or empty; with ``force``, a demo built
    before is replaced — never another folder)."""
    path = Path(path).resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file, not a directory",
                          hint="choose a directory for the demo (absent or empty)")
    try:
        if any(path.iterdir()) if path.exists() else False:
            if not force:
                raise FileExistsError(f"{path} exists and is not empty")
            if not is_demo(path):
                raise ConfigError(f"{path} is not a lineage demo: force replaces only a demo "
                                  "built before, never another folder",
                                  hint="choose an absent or empty directory for the demo")
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise
    except OSError as exc:  # a read-only parent, a file on the way, a folder not removable
        what = "replace" if force and path.exists() else "create"
        raise ConfigError(f"cannot {what} {path}: {exc.strerror or exc}",
                          hint="choose a writable location for the demo, e.g. "
                               "lineage quickstart ~/lineage-demo") from None
    r = _Repo(path)
    demo = Demo(path)
    r.git("init", "-q", "-b", "main")
    r.git("config", "commit.gpgsign", "false")
    r.git("remote", "add", "origin", DEMO_ORIGIN)
    r.dvc("init", "-q")
    r.dvc("config", "core.autostage", "true")
    r.write("params.yaml", project.PARAMS)
    r.write("dvc.yaml", project.DVC_YAML)
    r.write("src/prepare.py", project.PREPARE_PY)
    r.write("src/train.py", project.TRAIN_PY)
    r.write("data/raw.csv", project.raw_csv(600, seed=1))
    r.write(".gitignore", "/metrics.json.lock\n")
    r.dvc("add", "-q", "data/raw.csv")
    demo.commits["setup"] = r.commit("Add customer data and churn training pipeline",
                                     "2026-01-02T09:30:00Z")
    # the store exists before training so the training script records its run
    _lineage(r, "init")
    r.base_env["MODEL_VERSION"] = "v1.0.0"
    r.dvc("repro", "-q")
    demo.commits["v1.0.0"] = r.commit("Train churn model v1.0.0", "2026-01-03T09:30:00Z")

    # the risk officer classifies the system the day it is trained (assessed_at 2026-01-03)
    r.who = "rita"
    r.write("governance/risk_assessment.yaml", RISK_ASSESSMENT)
    r.write("lineage-policy.yaml", POLICY)
    demo.commits["assessment"] = r.commit("Risk assessment and audit policy of the churn system",
                                          "2026-01-03T16:00:00Z")
    r.who = "ada"
    r.tag("churn@v1.0.0", "Register churn v1.0.0", "2026-01-04T09:30:00Z",
          demo.commits["v1.0.0"])

    # documents issued and two-person approvals for staging and prod, all on 2026-01-04,
    # committed when the last approval is in
    r.who = "rita"
    r.write("docs/model_card.md", MODEL_CARD)
    r.write("docs/bias_report.md", BIAS_REPORT)
    r.write("docs/evaluation.md", EVALUATION)
    r.write("docs/datasheet.md", DATASHEET)
    r.write("governance/documents.yaml", DOCUMENTS_V1)
    r.write("governance/approvals.yaml", APPROVALS_V1)
    demo.commits["governance"] = r.commit("Documentation and approvals for churn v1.0.0",
                                          "2026-01-04T16:30:00Z")
    r.who = "max"
    # GTO stage assignments point at the commit of the version they deploy
    r.tag("churn#staging#1", "Deploy churn v1.0.0 to staging", "2026-01-06T09:30:00Z",
          demo.commits["v1.0.0"])
    r.tag("churn#prod#2", "Deploy churn v1.0.0 to prod", "2026-01-07T09:30:00Z",
          demo.commits["v1.0.0"])

    # monitoring raises a drift alert on the production model; the job commits it at once
    with r.job_store():
        _lineage(r, "record", "alert", "--model", "churn@v1.0.0", "--metric", "psi",
                 "--value", "0.31", "--threshold", "0.2", "--at", "2026-01-09T06:00:00Z",
                 "--id", "churn-psi-2026-01-09",
                 "--description", "population stability index of monthly_charges above 0.2",
                 "--write-file")
    demo.commits["alert"] = r.commit("Record drift alert on churn v1.0.0",
                                     "2026-01-09T06:15:00Z")

    # retrain on the new month of data (charges drifted up) → v1.1.0
    r.who = "ada"
    r.write("data/raw.csv", project.raw_csv(600, seed=1) + project.raw_csv(300, seed=2, drift=0.15)
            .split("\n", 1)[1])
    r.dvc("add", "-q", "data/raw.csv")
    demo.commits["january-data"] = r.commit("Add January customer data", "2026-01-12T09:30:00Z")
    r.base_env["MODEL_VERSION"] = "v1.1.0"
    r.dvc("repro", "-q")
    r.write("governance/retraining.yaml", RETRAINING)
    demo.commits["v1.1.0"] = r.commit(
        "Retrain churn on January data (drift alert churn-psi-2026-01-09)", "2026-01-12T12:30:00Z")
    r.tag("churn@v1.1.0", "Register churn v1.1.0", "2026-01-14T09:30:00Z")
    r.write("governance/documents_v1.1.0.yaml", DOCUMENTS_V2)
    # planted gap (four-eyes): the engineer who trained v1.1.0 approves it herself
    r.write("governance/approvals_v1.1.0.yaml", APPROVALS_V2)
    demo.commits["v1.1.0-governance"] = r.commit(
        "Model card and staging approval for churn v1.1.0", "2026-01-14T10:30:00Z")
    r.who = "max"
    r.tag("churn#staging#3", "Deploy churn v1.1.0 to staging", "2026-01-16T09:30:00Z",
          demo.commits["v1.1.0"])
    demo.planted_gaps.append(("four-eyes", "model:churn@v1.1.0"))
    demo.planted_gaps.append(("high-risk-docs", "model:churn@v1.1.0"))

    # planted gap (deployment-approved): CD deploys v1.1.0 to prod with no prod approval, and
    # commits the record of the deployment right after it
    with r.job_store():
        _lineage(r, "record", "deployment", "--model", "churn@v1.1.0", "--env", "prod",
                 "--endpoint", "https://models.example.com/churn", "--deployed-at",
                 "2026-01-20T08:00:00Z", "--deployed-by", "deploy-bot",
                 "--id", "churn-prod-2026-01-20", "--write-file")
    demo.commits["deploy-v1.1.0"] = r.commit("Deploy churn v1.1.0 to prod", "2026-01-20T08:15:00Z")
    demo.planted_gaps.append(("deployment-approved", "model:churn@v1.1.0"))

    # monitoring checks the new production model the next day: no drift
    with r.job_store():
        _lineage(r, "record", "alert", "--model", "churn@v1.1.0", "--metric", "psi",
                 "--value", "0.04", "--threshold", "0.2", "--status", "resolved",
                 "--at", "2026-01-21T06:00:00Z", "--id", "churn-psi-2026-01-21",
                 "--description", "daily drift check: no drift", "--write-file")
    demo.commits["monitoring"] = r.commit("Record monitoring check on churn v1.1.0",
                                          "2026-01-21T06:15:00Z")
    return demo


def _lineage(r: _Repo, *args: str) -> str:
    return r.run(sys.executable, "-m", "lineage", *args)


RISK_ASSESSMENT = """\
# EU AI Act classification of the churn system (reviewed yearly)
kind: risk_assessment
id: churn-2026
model_group: churn
tier: high
annex_iii_area: "5(b): access to essential private services"
intended_purpose: >-
  Rank retail customers by churn likelihood; the score feeds the credit-limit retention offer.
rationale: >-
  The score influences access to credit terms (Annex III 5(b)), so the system is high-risk and
  needs human oversight, documentation, logging and post-market monitoring.
assessor: rita@example.com
assessed_at: 2026-01-03
next_review: 2027-01-03
"""

# the built-in default written out (the audit finds the same gaps), as a team starts its own
POLICY = """\
# Audit policy of the churn system (docs/audit.md): `lineage audit` reads it from the
# repository root. A policy says what differs from the built-in default; this one writes the
# default out, to be tightened.
version: 1
approvals:                  # first match wins; otherwise one approver
  - tiers: [high]
    count: 2                # two independent approvers for a high-risk deployment
risk_assessment:
  max_age_days: 365
monitoring:
  max_age_days: 30          # `lineage audit --as-of 2026-06-30`: the monitoring is stale by then
  alert_follow_up_days: 14
high_risk_documents: [model_card, data_governance, evaluation, bias_report]
"""

MODEL_CARD = "# Model card: churn\n\nLogistic regression on four account features.\n"
BIAS_REPORT = "# Bias report: churn v1.0.0\n\nNo protected attributes are used as features.\n"
EVALUATION = "# Evaluation: churn v1.0.0\n\nHeld-out accuracy 0.85 on 150 customers.\n"
DATASHEET = "# Datasheet: customer table\n\nSynthetic customers; monthly snapshots.\n"

DOCUMENTS_V1 = """\
- kind: document
  id: churn-v1.0.0-model-card
  doc_kind: model_card
  uri: docs/model_card.md
  model: churn@v1.0.0
  at: 2026-01-04T09:00:00Z
- kind: document
  id: churn-v1.0.0-bias-report
  doc_kind: bias_report
  uri: docs/bias_report.md
  model: churn@v1.0.0
  at: 2026-01-04T09:00:00Z
- kind: document
  id: churn-v1.0.0-evaluation
  doc_kind: evaluation
  uri: docs/evaluation.md
  model: churn@v1.0.0
  at: 2026-01-04T09:00:00Z
- kind: document
  id: churn-datasheet
  doc_kind: datasheet
  uri: docs/datasheet.md
  model_group: churn
  at: 2026-01-04T09:00:00Z
- kind: document
  id: churn-data-governance
  doc_kind: data_governance
  uri: docs/datasheet.md
  model_group: churn
  at: 2026-01-04T09:00:00Z
"""

APPROVALS_V1 = """\
- kind: approval
  id: churn-v1.0.0-staging
  model: churn@v1.0.0
  environment: staging
  approver: max@example.com
  role: ml-lead
  decision: approved
  decided_at: 2026-01-04T10:00:00Z
  evidence: https://tracker.example.com/browse/ML-7
- kind: approval
  id: churn-v1.0.0-staging-risk
  model: churn@v1.0.0
  environment: staging
  approver: rita@example.com
  role: risk-officer
  decision: approved
  decided_at: 2026-01-04T11:00:00Z
  evidence: https://tracker.example.com/browse/ML-7
- kind: approval
  id: churn-v1.0.0-prod
  model: churn@v1.0.0
  environment: prod
  approver: rita@example.com
  role: risk-officer
  decision: approved
  decided_at: 2026-01-04T15:00:00Z
  evidence: https://tracker.example.com/browse/ML-8
- kind: approval
  id: churn-v1.0.0-prod-lead
  model: churn@v1.0.0
  environment: prod
  approver: max@example.com
  role: ml-lead
  decision: approved
  decided_at: 2026-01-04T16:00:00Z
  evidence: https://tracker.example.com/browse/ML-8
"""

RETRAINING = """\
kind: retraining
id: churn-v1.1.0
trigger: drift
reason: PSI 0.31 on monthly_charges (alert churn-psi-2026-01-09); retrained with January data
alert: churn-psi-2026-01-09
previous_model: churn@v1.0.0
new_model: churn@v1.1.0
within_change_plan: true
at: 2026-01-12T12:00:00Z
"""

DOCUMENTS_V2 = """\
- kind: document
  id: churn-v1.1.0-model-card
  doc_kind: model_card
  uri: docs/model_card.md
  model: churn@v1.1.0
  at: 2026-01-14T09:45:00Z
- kind: document
  id: churn-v1.1.0-evaluation
  doc_kind: evaluation
  uri: docs/evaluation.md
  model: churn@v1.1.0
  at: 2026-01-14T09:45:00Z
"""

APPROVALS_V2 = """\
- kind: approval
  id: churn-v1.1.0-staging
  model: churn@v1.1.0
  environment: staging
  approver: ada@example.com
  role: ml-engineer
  decision: approved
  decided_at: 2026-01-14T10:00:00Z
  evidence: https://tracker.example.com/browse/ML-12
"""
