"""Which files a run looks at: walks directories, honours `exclude` and `.gitignore` (via pathspec).

Files named on the command line are always taken, and a YAML file that does not parse is reported even when
it is no component, as ruff does. `force_exclude` (what the pre-commit hooks pass, since pre-commit names
every staged file) treats named files as if a walk had found them: exclusions apply, and files that are no
component or kfp module are skipped quietly. Directory symlinks are never followed: they can loop or leave
the tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.config import Config
from migrate.languages import PYTHON_SUFFIXES

if TYPE_CHECKING:
    import pathspec

    from migrate.cache import Cache
    from migrate.walk_memo import WalkRecord

YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = YAML_SUFFIXES + PYTHON_SUFFIXES


# A pattern with no glob, slash, escape or negation: a file or folder name.
_PLAIN = re.compile(r"[^*?\[\]/\\!#\s]+")
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


@dataclass(frozen=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line, not found by walking a directory
    foreign: CrossFile = NO_CROSS_FILE  # what the other scanned files say about this one


@dataclass(frozen=True, eq=False)
class _Ignores:
    """The `.gitignore` of one directory, matched against paths relative to it."""

    directory: str
    spec: pathspec.GitIgnoreSpec

    @cached_property
    def _any_pattern(self) -> re.Pattern[str] | None:
        """One expression matching where any pattern does. Most paths match none, and one search is much
        cheaper than pathspec trying each pattern in turn; only paths it matches get the ordered check."""
        expressions = [e for e in (getattr(p, "regex", None) for p in self.spec.patterns) if e is not None]
        if not expressions:
            return None
        sources = [str(e.pattern) for e in expressions]
        # pathspec names a group in each pattern, and names may not repeat in one expression. Where the
        # text that looks like a group is not one (inside a bracket expression), pathspec decides alone.
        if any(len(_NAMED_GROUP.findall(s)) != len(e.groupindex) for s, e in zip(sources, expressions, strict=True)):
            return re.compile("")
        try:
            return re.compile("|".join(f"(?:{_NAMED_GROUP.sub('(?:', source)})" for source in sources))
        except re.error:
            return re.compile("")  # matches everything: pathspec decides alone

    def may_match(self, relative: str) -> bool:
        return self._any_pattern is not None and self._any_pattern.search(relative) is not None


class Discovery:
    def __init__(self, config: Config, force_exclude: bool = False, memo: Cache | None = None) -> None:
        self.config = config
        self.force_exclude = force_exclude
        self.memo = memo if memo is not None and memo.path is not None else None  # remembers walks
        self._record: WalkRecord | None = None  # what the walk under way looks at
        self._root = str(config.root.resolve())
        self._root_prefix = self._root.rstrip(os.sep) + os.sep
        self._gitignores: dict[str, _Ignores | None] = {}
        self._chains: dict[str, list[_Ignores] | None] = {}
        self._repository_roots: dict[str, bool] = {}  # folder -> holds `.git`

    @cached_property
    def _plain_names(self) -> frozenset[str]:
        """Exclusions that are bare names (`.venv`, `build`): git matches them against every path component,
        and a set lookup does that without a regular expression per pattern per file."""
        patterns = self.config.excluded
        if any(p.startswith("!") for p in patterns):
            return frozenset()  # a negation depends on pattern order: leave everything to pathspec
        return frozenset(p for p in patterns if _PLAIN.fullmatch(p))

    @cached_property
    def _other_patterns(self) -> pathspec.GitIgnoreSpec | None:
        import pathspec  # a single named file (pre-commit) never needs it

        rest = [p for p in self.config.excluded if p not in self._plain_names]
        return pathspec.GitIgnoreSpec.from_lines(rest) if rest else None

    def excluded(self, relative: str) -> bool:
        """Whether `relative` (posix, a trailing `/` for folders) matches `exclude`/`extend-exclude`."""
        if self._plain_names and not self._plain_names.isdisjoint(relative.rstrip("/").split("/")):
            return True
        return self._other_patterns is not None and self._other_patterns.match_file(relative)

    def candidates(self, paths: Iterable[Path]) -> Iterator[Candidate]:
        """YAML and Python files under `paths`, in a stable order."""
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                if self.force_exclude and self.skipped(path, is_dir=True):
                    continue
                yield from self._remembered_walk(path)
            elif not (self.force_exclude and self.skipped(path, is_dir=False)):
                yield Candidate(path, explicit=not self.force_exclude)

    def _remembered_walk(self, top: Path) -> Iterator[Candidate]:
        """`_walk`, answered from the last run's when nothing it depended on has changed."""
        if self.memo is None:
            yield from self._walk(top)
            return
        from migrate.cache import settings_key  # the tool's version and own sources, as for findings
        from migrate.walk_memo import WalkRecord

        where = (os.path.abspath(top), str(top), self._root)
        key = settings_key("walk", *where, self.config.excluded, self.config.respect_gitignore)
        known = self.memo.walk(key)
        if known is not None and known.still_valid():
            yield from (Candidate(Path(name), explicit=False) for name in known.found)
            return
        # What earlier walks (or a `force_exclude` check) learnt about the folders above must be learnt
        # again inside this record, or the record would not depend on it.
        self._chains.clear()
        self._gitignores.clear()
        self._repository_roots.clear()
        self._record = WalkRecord()
        try:
            found = list(self._walk(top))
        finally:
            record, self._record = self._record, None
        record.found = [str(candidate.path) for candidate in found]
        if record.trustworthy():
            self.memo.store_walk(key, record)
        yield from found

    def _walk(self, top: Path) -> Iterator[Candidate]:
        yield from self._walk_folder(str(top), os.path.abspath(top))

    def _walk_folder(self, shown: str, absolute: str) -> Iterator[Candidate]:
        """`os.walk` order (a folder's files, then its subfolders, each sorted by name), with `os.scandir`'s
        entry types instead of a `stat` per name. `shown` is the folder as the user spelt it."""
        if self._record is not None:
            self._record.folder(absolute)  # before listing: a change while listing makes the record stale
        try:
            with os.scandir(shown) as listing:
                entries = list(listing)
        except OSError:
            return
        names = {entry.name for entry in entries}
        if ".gitignore" not in names:
            self._gitignores.setdefault(absolute, None)  # spares an `open` that would fail
        self._repository_roots.setdefault(absolute, ".git" in names)
        folders: list[str] = []
        files: list[tuple[str, bool]] = []
        for entry in entries:
            try:
                link = entry.is_symlink()
                if entry.is_dir():  # a link to a folder is never followed: it can loop or leave the tree
                    if not link:
                        folders.append(entry.name)
                elif entry.name.endswith(SUFFIXES):
                    files.append((entry.name, link))
            except OSError:
                continue
        for name, link in sorted(files):
            path = os.path.join(absolute, name)
            if not self._skipped_absolute(os.path.realpath(path) if link else path, ""):
                yield Candidate(Path(shown, name), explicit=False)
        for name in sorted(folders):
            path = os.path.join(absolute, name)
            if not self._skipped_absolute(path, "/"):
                yield from self._walk_folder(os.path.join(shown, name), path)

    def skipped(self, path: Path, is_dir: bool) -> bool:
        """Excluded by the configuration, or ignored by a `.gitignore` between the git root and the file."""
        return self._skipped(str(path), "/" if is_dir else "")

    def _skipped(self, path: str, suffix: str) -> bool:
        absolute = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
        return self._skipped_absolute(absolute, suffix)

    def _skipped_absolute(self, absolute: str, suffix: str) -> bool:
        # Strings, not Path objects: this runs for every file and folder of the tree.
        if absolute.startswith(self._root_prefix):
            relative = absolute[len(self._root_prefix) :].replace(os.sep, "/")
        elif absolute == self._root:
            relative = "."
        else:
            relative = os.path.basename(absolute)  # outside the project: only name patterns can match
        if relative != "." and self.excluded(relative + suffix):
            return True
        return self.config.respect_gitignore and self._gitignored(absolute, suffix)

    def _gitignored(self, absolute: str, suffix: str) -> bool:
        verdict = False
        for ignores in self._chain(os.path.dirname(absolute)) or ():
            relative = absolute[len(ignores.directory) :].lstrip(os.sep).replace(os.sep, "/")
            if not ignores.may_match(relative + suffix):
                continue
            result = ignores.spec.check_file(relative + suffix)
            if result.include is not None:  # a deeper .gitignore overrides a shallower one, as in git
                verdict = result.include
        return verdict

    def _chain(self, directory: str) -> list[_Ignores] | None:
        """The `.gitignore` files from the repository root down to `directory` (outermost first); None
        outside a git repository, where git ignores nothing. Each folder is looked at once per run."""
        if directory in self._chains:
            return self._chains[directory]
        own = self._gitignore(directory)
        chain: list[_Ignores] | None
        is_root = self._repository_roots.get(directory)
        if is_root is None:
            if self._record is not None:
                self._record.folder(directory)  # a `.git` appearing there changes its time
            is_root = self._repository_roots[directory] = os.path.exists(os.path.join(directory, ".git"))
        if is_root:
            chain = [own] if own else []
        else:
            parent = os.path.dirname(directory)
            above = self._chain(parent) if parent != directory else None
            chain = None if above is None else above + ([own] if own else [])
        self._chains[directory] = chain
        return chain

    def _gitignore(self, directory: str) -> _Ignores | None:
        if directory not in self._gitignores:
            path = os.path.join(directory, ".gitignore")
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    if self._record is not None:
                        self._record.file(path, os.fstat(handle.fileno()))
                    lines = handle.read().splitlines()
            except OSError:
                if self._record is not None:
                    self._record.file(path, None)
                self._gitignores[directory] = None
            else:
                import pathspec

                self._gitignores[directory] = _Ignores(directory, pathspec.GitIgnoreSpec.from_lines(lines))
        return self._gitignores[directory]


def project_modules(config: Config, exclude: Iterable[Path]) -> list[Path]:
    """The Python files of the project around `config` (its root, with its exclusions), except `exclude`:
    read for what they pass to the named files' components, never checked or written."""
    named = {Path(os.path.abspath(p)) for p in exclude}
    found = Discovery(config).candidates([config.root])
    return [c.path for c in found if c.path.suffix == ".py" and Path(os.path.abspath(c.path)) not in named]


def discover(
    paths: Iterable[Path], config: Config | None = None, force_exclude: bool = False, memo: Cache | None = None
) -> Iterator[Candidate]:
    """The candidate files under `paths` with `config`'s exclusions (the defaults when None). `memo`: a cache
    that remembers walks across runs."""
    chosen = config if config is not None else Config(root=Path.cwd())
    return Discovery(chosen, force_exclude, memo).candidates(paths)
