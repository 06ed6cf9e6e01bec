"""A content-hash cache, like `.ruff_cache`: a file whose text, settings and dependencies are unchanged is
not parsed again.

One pickle per settings key, under `<cache dir>/<version>/`. The key covers the tool's version and its own
source files (so an edited rule in a development checkout never serves stale findings), and every setting
that changes findings. An entry is used only when the file's bytes, whether it was named on the command
line, and what the other files say about it (callers, loaded components: `CrossFile`) are all the same.
Facts gathered across files are cached too, with the existence checks they relied on. A cache that cannot
be read or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import migrate
from migrate.callers import CrossFile, Facts
from migrate.model import Finding

DIRECTORY_NAME = ".kfp_migrate_cache"
_FORMAT = 1
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a cache of kfp-migrate.\n"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _own_sources() -> str:
    """Sizes and times of the tool's own modules: a development checkout changes them without a new version."""
    roots = [Path(migrate.__file__).parent, Path(migrate.__file__).parent.parent / "rules"]
    parts = []
    for root in roots:
        for directory, _, files in os.walk(root):
            for name in sorted(files):
                if name.endswith(".py"):
                    info = os.stat(os.path.join(directory, name))
                    parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return digest("\n".join(sorted(parts)).encode())


def settings_key(*settings: Any) -> str:
    return digest(repr((_FORMAT, migrate.__version__, _own_sources(), settings)).encode())


def foreign_key(foreign: CrossFile) -> str:
    """What the other files say about one file, reduced to a hash (texts and callers, not object ids)."""
    if not foreign.calls and not foreign.sources:
        return ""
    sources = sorted(
        (key, dep.path, digest(dep.text.encode()), digest(dep.original.encode()))
        for key, dep in foreign.sources.items()
    )
    return digest(repr((foreign.calls, sources)).encode())


@dataclass(frozen=True)
class Entry:
    content: str  # digest of the file's bytes
    explicit: bool
    foreign: str
    findings: tuple[Finding, ...] | None  # None: not a KFP file (nothing to report)
    kfp: bool = True  # as `FileReport.kfp`


@dataclass
class Cache:
    path: Path | None  # None: caching is off
    entries: dict[str, Entry] = field(default_factory=dict)
    facts: dict[tuple[str, str], Facts] = field(default_factory=dict)
    changed: bool = False
    exists: dict[str, bool] = field(default_factory=dict)  # file checks made this run, shared by all facts

    @classmethod
    def disabled(cls) -> Cache:
        return cls(None)

    @classmethod
    def open(cls, directory: Path, key: str) -> Cache:
        path = directory / migrate.__version__ / f"{key}.pickle"
        try:
            with path.open("rb") as handle:
                entries, facts = pickle.load(handle)
            if isinstance(entries, dict) and isinstance(facts, dict):
                return cls(path, entries, facts)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            pass
        return cls(path)

    def lookup(self, name: str, content: str, explicit: bool, foreign: str) -> Entry | None:
        entry = self.entries.get(name)
        if entry is None or (entry.content, entry.explicit, entry.foreign) != (content, explicit, foreign):
            return None
        return entry

    def store(self, name: str, entry: Entry) -> None:
        if self.path is not None and self.entries.get(name) != entry:
            self.entries[name] = entry
            self.changed = True

    def facts_for(self, name: str, content: str) -> Facts | None:
        found = self.facts.get((name, content))
        return found if found is not None and found.still_valid(self.exists) else None

    def store_facts(self, name: str, content: str, found: Facts) -> None:
        if self.path is not None:
            self.facts[(name, content)] = found
            self.changed = True

    def save(self) -> None:
        """Write atomically; never fail the run for it."""
        if self.path is None or not self.changed:
            return
        try:
            _prepare(self.path.parent.parent)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(handle, "wb") as out:
                    pickle.dump((self.entries, self.facts), out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temp, self.path)
            finally:
                Path(temp).unlink(missing_ok=True)
        except OSError:
            pass


def _prepare(directory: Path) -> None:
    """Mark the cache as one: git ignores it, backup tools skip it (CACHEDIR.TAG)."""
    if (directory / "CACHEDIR.TAG").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".gitignore").write_text("# Automatically created by kfp-migrate.\n*\n", encoding="utf-8")
    (directory / "CACHEDIR.TAG").write_text(_TAG, encoding="utf-8")


def cache_directory(configured: Path | None, root: Path) -> Path:
    environment = os.environ.get("KFP_MIGRATE_CACHE_DIR")
    if configured is not None:
        return configured
    return Path(environment) if environment else root / DIRECTORY_NAME
