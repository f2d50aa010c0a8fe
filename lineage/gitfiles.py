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


def git_head(repo_root: Path) -> str | None:
    """The sha HEAD points at, read from the git files (loose refs, then packed-refs)."""
    dirs = git_dirs(repo_root)
    if dirs is None:
        return None
    gitdir, common = dirs
    try:
        head = (gitdir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[4:].strip()
    for base in (gitdir, common):
        f = base / ref
        if f.is_file():
            return f.read_text().strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    return None


__all__ = ["git_dirs", "git_head", "git_remote_url"]
