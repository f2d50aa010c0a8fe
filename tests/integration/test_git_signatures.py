"""Signed commits are told apart by their ``gpgsig`` header, without running gpg or ssh-keygen
(docs/harvest.md), whatever the user's git configuration says (``log.showSignature``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lineage import api
from lineage.model import NodeKind
from tests.conftest import GitRepo


def test_log_show_signature_runs_no_verifier(git_repo: GitRepo, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    calls = tmp_path / "verifier-calls"
    verifier = tmp_path / "verifier"
    verifier.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nexec ssh-keygen \"$@\"\n")
    verifier.chmod(0o755)
    git_repo.git("config", "gpg.format", "ssh")
    git_repo.git("config", "user.signingkey", f"{key}.pub")
    git_repo.git("config", "gpg.ssh.program", str(verifier))
    allowed = tmp_path / "allowed"
    allowed.write_text(f"ada@example.com {(tmp_path / 'key.pub').read_text()}")
    git_repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    unsigned = git_repo.commit("unsigned")
    git_repo.tick += 1
    git_repo.git("commit", "-q", "-S", "--allow-empty", "-m", "signed")
    signed = git_repo.git("rev-parse", "HEAD")
    git_repo.git("config", "log.showSignature", "true")
    calls.unlink(missing_ok=True)  # (signing ran it)
    assert "Good" in git_repo.git("log", "-1")  # git log verifies, through the verifier
    assert calls.read_text()
    calls.unlink()
    api.init(git_repo.path)
    api.harvest(git_repo.path, only=["git"])
    assert not calls.exists()
    with api.open_store(git_repo.path) as store:
        facts = {n.id: n.attrs for n in store.iter_nodes(NodeKind.COMMIT)}
    assert facts[f"commit:{signed}"]["signed"] is True
    assert facts[f"commit:{signed}"]["message"] == "signed"
    assert facts[f"commit:{unsigned}"]["signed"] is False
