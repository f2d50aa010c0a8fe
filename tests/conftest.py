"""Shared fixtures: real git repositories with pinned identities and dates."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# pytest-xdist's workers set COLUMNS=80 before the CLI's module-level rich consoles are built:
# a console built with COLUMNS set keeps that width for good, while every test says the
# width it prints at (CliRunner's env) — as one `lineage` process a command does
os.environ.pop("COLUMNS", None)

if TYPE_CHECKING:
    from tests.standins.atlas import AtlasStandin

PINNED_ENV = {
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Carl Committer",
    "GIT_COMMITTER_EMAIL": "carl@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "DVC_NO_ANALYTICS": "1",
    "DVC_NO_ANALYTICS_MSG": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@contextmanager
def pinned_env() -> Iterator[None]:
    """:data:`PINNED_ENV` set in this process (for a session fixture that runs ``dvc``, which
    reads git's identity from the environment), put back as it was after."""
    saved = {k: os.environ.get(k) for k in PINNED_ENV}
    os.environ.update(PINNED_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class GitRepo:
    """A real git repository in a tmp dir; commits get pinned dates (1 day apart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Ada Author")
        self.git("config", "user.email", "ada@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")

    def env(self) -> dict[str, str]:
        date = f"2026-01-{1 + self.tick // 24:02d}T{self.tick % 24:02d}:00:00+00:00"
        return {**os.environ, **PINNED_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def git(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["git", *args], cwd=self.path, env=self.env(), check=check,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def run(self, *cmd: str) -> str:
        out = subprocess.run(list(cmd), cwd=self.path, env=self.env(),
                             capture_output=True, text=True)
        if out.returncode != 0:  # what git or dvc said, not only its exit status
            raise AssertionError(f"{' '.join(cmd)}: exit {out.returncode}: "
                                 f"{(out.stderr or out.stdout).strip()}")
        return out.stdout

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        return p

    def commit(self, message: str, *paths: str) -> str:
        self.tick += 1
        self.git("add", "-A", *paths)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def dvc(self, *args: str) -> str:
        """Run the real ``dvc`` (the one installed next to this Python); skip the test when
        it is not installed."""
        import sys

        dvc = Path(sys.executable).with_name("dvc")
        if not dvc.exists():
            pytest.skip("dvc is not installed")
        return self.run(str(dvc), *args)

    @classmethod
    def shallow_clone_without_remote(cls, tmp_path: Path, commits: int = 3) -> GitRepo:
        """``git clone --depth 1`` of a repository of ``commits`` commits (``data.csv``
        changed in each), its remote removed: its root commit is not in the clone."""
        origin = cls(tmp_path / "origin")
        for i in range(commits):
            origin.write("data.csv", f"row {i}\n")
            origin.commit(f"commit {i}")
        clone = tmp_path / "clone"
        origin.run("git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone))
        repo = cls.__new__(cls)
        repo.path, repo.tick = clone, 10
        repo.git("remote", "remove", "origin")
        return repo

    def tag(self, name: str, message: str | None = None, ref: str = "HEAD") -> None:
        self.tick += 1
        if message is None:
            self.git("tag", name, ref)
        else:
            self.git("tag", "-a", name, "-m", message, ref)


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k, v in PINNED_ENV.items():
        monkeypatch.setenv(k, v)
    from lineage.hashing import COMMIT_ENV

    # a test run inside CI must not take its commit variables for the tests' own
    for k in ("MLFLOW_TRACKING_URI", "DATAHUB_GMS_URL", "DATAHUB_GMS_TOKEN", "ATLAS_URL",
              "LINEAGE_STORE", "LINEAGE_BUSY_TIMEOUT", *COMMIT_ENV):
        monkeypatch.delenv(k, raising=False)
    yield


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def churn_repo(git_repo: GitRepo) -> GitRepo:
    """A git repository with one commit (a README) and a store (``lineage init``): what a
    team has before it records its first run or approval."""
    from lineage import api

    git_repo.write("README.md", "churn\n")
    git_repo.commit("init")
    api.init(git_repo.path)
    return git_repo


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """``paths`` immutable (``chattr +i``) for as long as the block runs: even root cannot
    write them, as on a read-only mount. Skips the test where chattr cannot."""
    names = [str(p) for p in paths]
    if subprocess.run(["chattr", "+i", *names], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs ext4/xfs and CAP_LINUX_IMMUTABLE)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *names], capture_output=True, check=True)

def recording_repo(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository at ``root`` with one empty commit (2026-01-01) and a store (`lineage
    init`), made the working directory: tests record governance into it with the CLI."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    root.mkdir()
    env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=root, check=True,
                   env=env)
    monkeypatch.chdir(root)
    res = CliRunner().invoke(app, ["init"])
    assert res.exit_code == 0, res.output
    return root


EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def copy_examples(repo: GitRepo) -> None:
    """The example governance folder (docs/examples/governance) as ``governance/`` of
    ``repo``, and the document it records where lineage's own checkout has it."""
    import shutil

    shutil.copytree(EXAMPLES / "governance", repo.path / "governance", dirs_exist_ok=True)
    shutil.copytree(EXAMPLES, repo.path / "docs" / "examples", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("governance"))


@pytest.fixture
def governance_repo(git_repo: GitRepo) -> GitRepo:
    """A git repository holding the example governance folder (docs/examples), committed, with
    a store (``lineage init``)."""
    from lineage import api

    copy_examples(git_repo)
    git_repo.commit("governance records")
    api.init(git_repo.path)
    return git_repo


def dvc_pipeline(repo: GitRepo) -> str:
    """``dvc add`` of ``data/raw.csv`` and a one-stage pipeline (``prepare``: raw →
    ``data/prepared.csv``) reproduced and committed; returns the commit."""
    repo.dvc("init", "-q")
    repo.write("data/raw.csv", "id,churned\n1,0\n2,1\n")
    repo.dvc("add", "-q", "data/raw.csv")
    repo.write("dvc.yaml", "stages:\n  prepare:\n    cmd: cp data/raw.csv data/prepared.csv\n"
                           "    deps: [data/raw.csv]\n    outs: [data/prepared.csv]\n")
    repo.dvc("repro", "-q")
    return repo.commit("data and pipeline")


REMOTE_ADDED_URL = "https://github.com/acme/churn.git"


@pytest.fixture
def remote_added_repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A DVC pipeline harvested, and a run recorded (reading ``data/prepared.csv``), while the
    repository had no remote; then the remote added (:data:`REMOTE_ADDED_URL`) and harvested
    again: its facts are under two identities, ``root:<sha>`` and ``github.com/acme/churn``."""
    from typer.testing import CliRunner

    from lineage import api
    from lineage.cli.main import app

    dvc_pipeline(git_repo)
    api.init(git_repo.path)
    api.harvest(git_repo.path)
    monkeypatch.chdir(git_repo.path)
    res = CliRunner().invoke(app, [
        "record", "run", "--name", "train", "--run-id", "r-before-remote", "--input",
        "data/prepared.csv", "--start", "2026-01-02T00:00:00Z", "--end", "2026-01-02T01:00:00Z"])
    assert res.exit_code == 0, res.output
    api.harvest(git_repo.path)
    git_repo.git("remote", "add", "origin", REMOTE_ADDED_URL)
    api.harvest(git_repo.path)
    return git_repo


@pytest.fixture(scope="session")
def quickstart_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart demo (git, DVC, GTO, recorded runs, governance records; harvested and
    pushed to DataHub Lite), built once per test session. Never change it: copy it first."""
    from typer.testing import CliRunner

    from lineage.cli.main import app

    target = tmp_path_factory.mktemp("quickstart") / "demo"
    res = CliRunner().invoke(app, ["quickstart", str(target), "--json"])
    assert res.exit_code == 0, res.output
    return target


@pytest.fixture
def quickstart_demo(quickstart_built: Path, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the quickstart demo, made the current directory (tests change it)."""
    import shutil

    repo = tmp_path / "demo"
    shutil.copytree(quickstart_built, repo, symlinks=True)
    monkeypatch.chdir(repo)
    return repo


def store_state(repo: GitRepo) -> tuple[tuple[int, str], dict[str, dict[str, int]]]:
    """The store's event-log head and its counts of nodes and edges by kind."""
    from lineage import api

    store = api.open_store(repo.path)
    try:
        return store.head(), store.counts()
    finally:
        store.close()


@pytest.fixture
def atlas_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[AtlasStandin]:
    """An Atlas stand-in (user ``admin``, password ``pw``) that ``lineage push --to atlas``
    reaches through ``ATLAS_URL`` / ``ATLAS_USERNAME`` / ``ATLAS_PASSWORD``."""
    from tests.standins.atlas import running_atlas

    with running_atlas({"admin": "pw"}) as s:
        monkeypatch.setenv("ATLAS_URL", s.url)
        monkeypatch.setenv("ATLAS_USERNAME", "admin")
        monkeypatch.setenv("ATLAS_PASSWORD", "pw")
        yield s
