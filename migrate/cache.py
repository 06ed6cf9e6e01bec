"""A content-hash cache, like `.ruff_cache`: a file whose text, settings and dependencies are unchanged is
not parsed again.

Per settings key, a folder of 32 pickles under `<cache dir>/<version>/`, each holding the entries of the
files whose paths hash to it. The key covers the tool's version and its own source files (so an edited rule
in a development checkout never serves stale findings), and every setting that changes findings. An entry
is used only when the file's bytes, whether it was named on the command line, and what the other files say
about it (callers, loaded components: `CrossFile`) are all the same. Facts gathered across files are cached
too, with the existence checks they relied on. A cache that cannot be read or written is ignored: it only
ever saves time. A file whose device, inode, size and times are as recorded is not read again to learn its
digest (as git's index trusts them), unless it changed within seconds of being recorded (`settled`).
Directory walks are remembered by the same rule (`migrate.walk_memo`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import migrate
from migrate.callers import CrossFile, Facts
from migrate.model import Finding

if TYPE_CHECKING:
    from migrate.walk_memo import WalkRecord

DIRECTORY_NAME = ".kfp_migrate_cache"
_FORMAT = 3
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a cache of kfp-migrate.\n"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@lru_cache(maxsize=1)
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


# A file changed this recently may change again within the file system's timestamp resolution without its
# times moving: what it said is not trusted (git's "racily clean" entries).
_RACY_SECONDS = 2.0
SHARDS = 32  # a run over a few files (pre-commit) loads and rewrites a 32nd of a repository's entries


def _shard(name: str) -> int:
    return int(hashlib.blake2b(name.encode("utf-8", "surrogateescape"), digest_size=2).hexdigest(), 16) % SHARDS


Identity = tuple[int, int, int, int, int]


def identity(info: os.stat_result) -> Identity:
    """Device, inode, size, modification and change time: a copy that keeps its mtime (`cp -p`, tar) is
    another inode or a new ctime, as git's index sees it."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def settled(found: Identity, since: float) -> bool:
    """Whether a file or folder with this identity last changed long enough before `since` (seconds since
    the epoch) for a change after it to move its times."""
    return max(found[3], found[4]) < (since - _RACY_SECONDS) * 1e9


@dataclass(frozen=True)
class Stamp:
    """What a file's identity (`identity`) said its content was, when it was recorded."""

    identity: Identity
    content: str  # digest of the bytes
    mentions_kfp: bool


def _absolute(name: str) -> str:
    """Cross-file facts and stamps hold what one file is, whatever the working folder the run started in."""
    return name if os.path.isabs(name) else _absolute_in(os.getcwd(), name)


@lru_cache(maxsize=1 << 16)
def _absolute_in(folder: str, name: str) -> str:  # the same names are asked for by each lookup of a run
    return os.path.normpath(os.path.join(folder, name))


@dataclass
class _Shard:
    entries: dict[str, Entry] = field(default_factory=dict)
    facts: dict[tuple[str, str], Facts] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    changed: bool = False


@dataclass
class Cache:
    """Entries by file path, in `SHARDS` pickles loaded when a path of theirs is first looked up."""

    path: Path | None  # the folder of this settings key's shards; None: caching is off
    exists: dict[str, bool] = field(default_factory=dict)  # file checks made this run, shared by all facts
    _shards: dict[int, _Shard] = field(default_factory=dict)
    _walks: dict[str, WalkRecord] = field(default_factory=dict)  # recorded this run, to save

    @classmethod
    def disabled(cls) -> Cache:
        return cls(None)

    @classmethod
    def open(cls, directory: Path, key: str) -> Cache:
        return cls(directory / migrate.__version__ / key)

    @property
    def empty(self) -> bool:
        """Nothing recorded for these settings (off, or never saved): every file will be processed."""
        return self.path is None or not self.path.is_dir()

    def _for(self, name: str) -> _Shard:
        number = _shard(name)
        shard = self._shards.get(number)
        if shard is None:
            shard = self._shards[number] = self._load(number)
        return shard

    def _load(self, number: int) -> _Shard:
        if self.path is None:
            return _Shard()
        import pickle  # with tempfile, only for runs that use the cache: --no-cache starts faster

        try:
            with (self.path / f"{number:02d}.pickle").open("rb") as handle:
                shard = pickle.load(handle)
            if isinstance(shard, _Shard):
                shard.changed = False
                return shard
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            pass
        return _Shard()

    def lookup(self, name: str, content: str, explicit: bool, foreign: str) -> Entry | None:
        entry = self._for(name).entries.get(name)
        if entry is None or (entry.content, entry.explicit, entry.foreign) != (content, explicit, foreign):
            return None
        return entry

    def store(self, name: str, entry: Entry) -> None:
        if self.path is None:
            return
        shard = self._for(name)
        if shard.entries.get(name) != entry:
            shard.entries[name] = entry
            shard.changed = True

    def facts_for(self, name: str, content: str) -> Facts | None:
        name = _absolute(name)
        found = self._for(name).facts.get((name, content))
        return found if found is not None and found.still_valid(self.exists) else None

    def store_facts(self, name: str, content: str, found: Facts) -> None:
        if self.path is not None:
            name = _absolute(name)
            shard = self._for(name)
            # Modules of one folder probe the same paths: one string each, which pickle then writes once.
            probes = tuple((sys.intern(path), exists) for path, exists in found.probes)
            shard.facts[(name, content)] = replace(found, probes=probes)
            shard.changed = True

    def stamp(self, name: str, info: os.stat_result) -> Stamp | None:
        """The recorded content of a file whose identity (`identity`) is unchanged."""
        if self.path is None:
            return None
        name = _absolute(name)
        known = self._for(name).stamps.get(name)
        if known is None or known.identity != identity(info):
            return None
        return known

    def store_stamp(self, name: str, info: os.stat_result, content: str, mentions_kfp: bool, now: float) -> None:
        if self.path is None or not settled(identity(info), now):
            return
        name = _absolute(name)
        shard = self._for(name)
        stamp = Stamp(identity(info), content, mentions_kfp)
        if shard.stamps.get(name) != stamp:
            shard.stamps[name] = stamp
            shard.changed = True

    def walk(self, key: str) -> WalkRecord | None:
        """A directory walk a former run recorded (see `migrate.walk_memo`)."""
        if self.path is None:
            return None
        import pickle

        try:
            with (self.path.parent / "walks" / f"{key}.pickle").open("rb") as handle:
                found = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            return None
        from migrate.walk_memo import WalkRecord

        return found if isinstance(found, WalkRecord) else None

    def store_walk(self, key: str, record: WalkRecord) -> None:
        if self.path is not None:
            self._walks[key] = record

    def save(self) -> None:
        """Write each changed shard atomically; never fail the run for it."""
        if self.path is None:
            return
        changed = {number: shard for number, shard in self._shards.items() if shard.changed}
        if not changed and not self._walks:
            return
        import pickle
        import tempfile

        try:
            _prepare(self.path.parent.parent)
            self.path.mkdir(parents=True, exist_ok=True)
            writes: list[tuple[Path, object]] = [(self.path / f"{n:02d}.pickle", s) for n, s in changed.items()]
            walks = self.path.parent / "walks"
            if self._walks:
                walks.mkdir(exist_ok=True)
            writes += [(walks / f"{key}.pickle", record) for key, record in self._walks.items()]
            for target, content in writes:
                handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
                try:
                    with os.fdopen(handle, "wb") as out:
                        pickle.dump(content, out, protocol=pickle.HIGHEST_PROTOCOL)
                    os.replace(temp, target)
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
