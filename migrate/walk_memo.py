"""A directory walk remembered across runs, as git's untracked cache does: its list of files stays right
while every folder it listed (or looked into for `.git`) is unchanged, since adding, removing or renaming
an entry changes its folder's times, and every `.gitignore` it read has the same inode, size and times.
Nothing changed within seconds of being recorded is trusted: its times may not move on its next change."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from migrate.cache import Identity, identity, settled


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
        """Nothing it depends on changed so recently that a change could leave the times as they are."""
        seen = [stamp for stamp in (*self.folders.values(), *self.files.values()) if stamp is not None]
        return all(settled(stamp, self.started) for stamp in seen)

    def still_valid(self) -> bool:
        return all(_identity(path) == known for path, known in (*self.folders.items(), *self.files.items()))


def _identity(path: str) -> Identity | None:
    try:
        return identity(os.stat(path))
    except OSError:
        return None
