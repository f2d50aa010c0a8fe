"""Build the demo ML repository: real git history, a real DVC pipeline, GTO tags, runs
recorded by lineage, and governance records — with a few deliberate audit gaps.

History (dates pinned, so commit shas are the same on every machine):

1. raw data (``dvc add``), pipeline, ``dvc repro`` → model v1.0.0 (GTO tag ``churn@v1.0.0``)
2. risk assessment (high risk: credit-adjacent customer scoring), model card, approvals of
   v1.0.0 for staging and prod by two reviewers; deployments; GTO ``churn#prod#1``
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
from dataclasses import dataclass, field
from pathlib import Path

from connectors.demo import project

IDENTITIES = {
    "ada": ("Ada Lovelace", "ada@example.com"),       # ML engineer, trains the model
    "rita": ("Rita Risk", "rita@example.com"),        # model risk officer
    "max": ("Max Müller", "max@example.com"),         # ML platform lead
}


@dataclass
class Demo:
    path: Path
    commits: dict[str, str] = field(default_factory=dict)
    planted_gaps: list[tuple[str, str]] = field(default_factory=list)


class _Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tick = 0
        bindir = str(Path(sys.executable).parent)
        self.base_env = {
            **os.environ,
            "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "DVC_NO_ANALYTICS": "1",
            "DVC_NO_ANALYTICS_MSG": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
        self.who = "ada"

    def env(self) -> dict[str, str]:
        name, email = IDENTITIES[self.who]
        date = f"2026-0{1 + self.tick // 28}-{1 + self.tick % 28:02d}T09:30:00+00:00"
        return {**self.base_env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
                "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                "LINEAGE_ACTOR": email}

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

    def commit(self, message: str) -> str:
        self.tick += 1
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, message: str) -> None:
        self.tick += 1
        self.git("tag", "-a", name, "-m", message)


def build_demo(path: str | Path, *, force: bool = False) -> Demo:
    """Create the demo repository at ``path`` (must not exist unless ``force``)."""
    path = Path(path).resolve()
    if path.exists() and any(path.iterdir()):
        if not force:
            raise FileExistsError(f"{path} exists and is not empty")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    r = _Repo(path)
    demo = Demo(path)
    r.git("init", "-q", "-b", "main")
    r.git("config", "commit.gpgsign", "false")
    r.git("remote", "add", "origin", "https://github.com/example-org/churn-model.git")
    r.dvc("init", "-q")
    r.dvc("config", "core.autostage", "true")
    r.write("params.yaml", project.PARAMS)
    r.write("dvc.yaml", project.DVC_YAML)
    r.write("src/prepare.py", project.PREPARE_PY)
    r.write("src/train.py", project.TRAIN_PY)
    r.write("data/raw.csv", project.raw_csv(600, seed=1))
    r.write(".gitignore", "/metrics.json.lock\n")
    r.dvc("add", "-q", "data/raw.csv")
    demo.commits["setup"] = r.commit("Add customer data and churn training pipeline")
    # the store exists before training so the training script records its run
    _lineage(r, "init")
    r.dvc("repro", "-q")
    demo.commits["v1.0.0"] = r.commit("Train churn model v1.0.0")
    r.tag("churn@v1.0.0", "Register churn v1.0.0")
    return demo


def _lineage(r: _Repo, *args: str) -> str:
    return r.run(sys.executable, "-m", "lineage", *args)
