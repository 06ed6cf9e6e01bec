"""A directory walk remembered across runs, as git's untracked cache does: its list of files stays right
while every folder it listed (or looked into for `.git`) is unchanged, since adding, removing or renaming
an entry changes its folder's times, and every `.gitignore` it read has the same inode, size and times.
Nothing changed within seconds of being recorded is trusted: its times may not move on its next change."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from migrate.cache import _own_sources, digest, identity

RACY_SECONDS = 2.0


Identity = tuple[int, int, int, int, int]  # `migrate.cache.identity`: device, inode, size, mtime, ctime


@dataclass
class WalkRecord:
    """What one walk saw, and the files it found (paths as the walk spelt them)."""

    folders: dict[str, Identity | None] = field(default_factory=dict)  # None: could not be looked at
    files: dict[str, Identity | None] = field(default_factory=dict)  # .gitignore files; None: absent
    found: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def folder(self, path: str) -> None:
        if path not in self.folders:
            self.folders[path] = _identity(path)

    def file(self, path: str, info: os.stat_result | None) -> None:
        self.files[path] = identity(info) if info is not None else None

    def trustworthy(self) -> bool:
        """Nothing it depends on was modified so recently that a change could leave the times as they are."""
        newest = (self.started - RACY_SECONDS) * 1e9
        seen = [stamp for stamp in (*self.folders.values(), *self.files.values()) if stamp is not None]
        return all(max(stamp[3], stamp[4]) < newest for stamp in seen)

    def still_valid(self) -> bool:
        return all(_identity(path) == known for path, known in (*self.folders.items(), *self.files.items()))


def _identity(path: str) -> Identity | None:
    try:
        return identity(os.stat(path))
    except OSError:
        return None


def walk_key(*parts: object) -> str:
    """The key of a walk: its arguments, and the tool's own sources (a development checkout)."""
    return digest(repr((_own_sources(), parts)).encode("utf-8", "surrogateescape"))
