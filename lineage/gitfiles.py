"""Reading a repository's git files directly (no subprocess): for the core, which runs no git.

Handles linked worktrees, whose ``.git`` is a file naming the git dir, and their common dir.
"""

from __future__ import annotations

from pathlib import Path


def git_dirs(repo_root: Path) -> tuple[Path, Path] | None:
    """(git dir, common dir) of a work tree, following ``.git`` files of linked worktrees."""
    dot = repo_root / ".git"
    if dot.is_dir():
        return dot, dot
    if dot.is_file():
        text = dot.read_text().strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text[7:].strip())
            gitdir = gitdir if gitdir.is_absolute() else (repo_root / gitdir).resolve()
            common = gitdir
            cd = gitdir / "commondir"
            if cd.is_file():
                c = Path(cd.read_text().strip())
                common = c if c.is_absolute() else (gitdir / c).resolve()
            return gitdir, common
    return None


def shallow_identity_message(rid: str) -> str:
    """What to say of a repository without a remote named after its shallow boundary (its
    root commit is not in the clone): the harvest's warning, ``track_run``'s and ``lineage
    record run``'s."""
    boundary = rid.removeprefix("repository:root:")
    return ("shallow clone without a remote: a repository without a remote is named "
            f"after its root commit, which is not in the clone; it is named {rid} after its "
            f"shallow boundary {boundary[:12]} for now, which a clone of another depth does "
            "not share. Add the remote it was cloned from (git remote add origin <url>: the URL "
            "names every clone) or fetch all of its history (git fetch --unshallow <url>); the "
            "next harvest moves the facts to that identity, once, and says so")


def named_after_boundary(root: Path, rid: str | None) -> bool:
    """Whether ``rid`` (the repository id the git harvester gives ``root``) names the
    repository after a shallow boundary of the clone, not after its root commit: it has no
    remote and its history stops there."""
    if rid is None or not rid.startswith("repository:root:"):
        return False
    dirs = git_dirs(root)
    if dirs is None:
        return False
    try:
        shallow = set((dirs[1] / "shallow").read_text(errors="replace").split())
    except OSError:
        return False
    return rid.removeprefix("repository:root:") in shallow


def git_remote_url(repo_root: Path, remote: str = "origin") -> str | None:
    """``remote.origin.url`` read from the git config file (no subprocess)."""
    import configparser

    dirs = git_dirs(repo_root)
    if dirs is None:
        return None
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(dirs[1] / "config")
        return parser.get(f'remote "{remote}"', "url", fallback=None)
    except (configparser.Error, OSError):
        return None


_SYMREF_DEPTH = 5  # as git: a longer chain of symbolic refs (or a loop) names no commit


def git_head(repo_root: Path) -> str | None:
    """The sha HEAD points at, read from the git files (loose refs, then packed-refs),
    following symbolic refs (``master`` kept as ``ref: refs/heads/main``)."""
    dirs = git_dirs(repo_root)
    if dirs is None:
        return None
    gitdir, common = dirs
    try:
        value = (gitdir / "HEAD").read_text().strip()
    except OSError:
        return None
    packed: dict[str, str] | None = None
    for _ in range(_SYMREF_DEPTH + 1):
        if not value.startswith("ref:"):
            return value or None
        ref = value[4:].strip()
        for base in (gitdir, common):
            f = base / ref
            if f.is_file():
                value = f.read_text().strip()
                break
        else:
            if packed is None:
                packed = _packed_refs(common)
            found = packed.get(ref)
            if found is None:
                return None
            value = found
    return None


def _packed_refs(common: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = (common / "packed-refs").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2 and not line.startswith(("#", "^")):
            out[parts[1]] = parts[0]
    return out


__all__ = ["git_dirs", "git_head", "git_remote_url"]
