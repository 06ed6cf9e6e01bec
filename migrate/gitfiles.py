"""`--changed-since REF`: the files git says differ from REF (committed, staged, unstaged or untracked)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """git is missing, the directory is not a repository, or the ref does not exist."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise GitError(f"--changed-since needs git: {error}") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"git {args[0]} failed"
        raise GitError(f"--changed-since: {message}")
    return done.stdout


def changed_files(ref: str, directory: Path) -> set[Path]:
    """Absolute paths of files changed since `ref` in the repository holding `directory`, plus untracked
    files git does not ignore (a new component is a change too)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], directory).strip())
    changed = _git(["diff", "--name-only", "-z", "--no-renames", ref, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    names = [n for n in (changed + untracked).split("\0") if n]
    return {Path(os.path.abspath(top / name)) for name in names}


def toplevel(directory: Path) -> Path | None:
    """The top of the git work tree holding `directory`, or None outside one (or without git)."""
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], directory).strip())
    except GitError:
        return None
