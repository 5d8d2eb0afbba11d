"""Which release a server runs, for the API's ETags: the RELEASE setting, or else the commit of
the git checkout it runs from, read from `.git` (no git program needed)."""

from pathlib import Path


def git_commit(checkout: Path) -> str:
    """The commit the checkout's HEAD names; "" outside a git checkout or when unreadable."""
    try:
        git = _git_dir(checkout / ".git")
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head  # a detached HEAD names its commit
        return _ref_commit(git, head.removeprefix("ref: "))
    except OSError:
        return ""


def _git_dir(dot_git: Path) -> Path:
    """A worktree's or submodule's `.git` is a file naming the real directory."""
    if dot_git.is_file():
        return (dot_git.parent / dot_git.read_text().removeprefix("gitdir:").strip()).resolve()
    return dot_git


def _ref_commit(git: Path, ref: str) -> str:
    common = git
    if (git / "commondir").is_file():  # a worktree keeps its branches in the main repository
        common = (git / (git / "commondir").read_text().strip()).resolve()
    for directory in (git, common):
        if (directory / ref).is_file():
            return (directory / ref).read_text().strip()
    for line in (common / "packed-refs").read_text().splitlines():
        commit, _, name = line.partition(" ")
        if name == ref:
            return commit
    return ""
