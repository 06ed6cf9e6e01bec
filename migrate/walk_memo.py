"""A directory walk remembered across runs, as git's untracked cache does: its list of files stays right
while every folder it listed (or looked into for `.git`) has the same modification time, since adding,
removing or renaming an entry changes its folder's time, and every `.gitignore` it read has the same size
and time. A folder changed within seconds of being recorded is not trusted: its time may not move on its
next change."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from migrate.cache import _own_sources, digest

RACY_SECONDS = 2.0


@dataclass
class WalkRecord:
    """What one walk saw, and the files it found (paths as the walk spelt them)."""

    folders: dict[str, int] = field(default_factory=dict)  # folder -> st_mtime_ns when looked at
    files: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # .gitignore -> (size, mtime)
    found: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def folder(self, path: str) -> None:
        if path not in self.folders:
            try:
                self.folders[path] = os.stat(path).st_mtime_ns
            except OSError:
                self.folders[path] = -1

    def file(self, path: str, info: os.stat_result | None) -> None:
        self.files[path] = (info.st_size, info.st_mtime_ns) if info is not None else None

    def trustworthy(self) -> bool:
        """Nothing it depends on was modified so recently that a change could leave the time as it is."""
        newest = (self.started - RACY_SECONDS) * 1e9
        stamps = [m for m in self.folders.values() if m >= 0]
        stamps += [stamp[1] for stamp in self.files.values() if stamp is not None]
        return all(stamp < newest for stamp in stamps)

    def still_valid(self) -> bool:
        for path, mtime in self.folders.items():
            try:
                now = os.stat(path).st_mtime_ns
            except OSError:
                now = -1
            if now != mtime:
                return False
        for path, stamp in self.files.items():
            try:
                info = os.stat(path)
            except OSError:
                if stamp is not None:
                    return False
                continue
            if stamp != (info.st_size, info.st_mtime_ns):
                return False
        return True


def walk_key(*parts: object) -> str:
    """The key of a walk: its arguments, and the tool's own sources (a development checkout)."""
    return digest(repr((_own_sources(), parts)).encode("utf-8", "surrogateescape"))
