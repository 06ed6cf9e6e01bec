"""Which files a run looks at: walks directories, honours `exclude` and `.gitignore` (via pathspec).

Files named on the command line are always taken, and a YAML file that does not parse is reported even when
it is no component, as ruff does. `force_exclude` (what the pre-commit hooks pass, since pre-commit names
every staged file) treats named files as if a walk had found them: exclusions apply, and files that are no
component or kfp module are skipped quietly. Directory symlinks are never followed: they can loop or leave
the tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.config import Config

YAML_SUFFIXES = (".yaml", ".yml")
PYTHON_SUFFIXES = (".py",)
SUFFIXES = YAML_SUFFIXES + PYTHON_SUFFIXES


@dataclass(frozen=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line, not found by walking a directory
    foreign: CrossFile = NO_CROSS_FILE  # what the other scanned files say about this one


@dataclass(frozen=True)
class _Ignores:
    """The `.gitignore` of one directory, matched against paths relative to it."""

    directory: Path
    spec: pathspec.GitIgnoreSpec


class Discovery:
    def __init__(self, config: Config, force_exclude: bool = False) -> None:
        self.config = config
        self.force_exclude = force_exclude
        self.root = config.root.resolve()
        self.excluded = pathspec.GitIgnoreSpec.from_lines(config.excluded)
        self._gitignores: dict[Path, _Ignores | None] = {}
        self._chains: dict[Path, list[_Ignores]] = {}

    def candidates(self, paths: Iterable[Path]) -> Iterator[Candidate]:
        """YAML and Python files under `paths`, in a stable order."""
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                if self.force_exclude and self.skipped(path, is_dir=True):
                    continue
                yield from self._walk(path)
            elif not (self.force_exclude and self.skipped(path, is_dir=False)):
                yield Candidate(path, explicit=not self.force_exclude)

    def _walk(self, top: Path) -> Iterator[Candidate]:
        for root, dirs, files in os.walk(top):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and not self.skipped(here / d, is_dir=True))
            for name in sorted(files):
                if name.endswith(SUFFIXES) and not self.skipped(here / name, is_dir=False):
                    yield Candidate(here / name, explicit=False)

    def skipped(self, path: Path, is_dir: bool) -> bool:
        """Excluded by the configuration, or ignored by a `.gitignore` between the git root and the file."""
        absolute = path.resolve() if path.is_symlink() else Path(os.path.abspath(path))
        suffix = "/" if is_dir else ""
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            relative = absolute.name  # outside the project: only name patterns (`build`, `*.tmp`) can match
        if relative != "." and self.excluded.match_file(relative + suffix):
            return True
        return self.config.respect_gitignore and self._gitignored(absolute, suffix)

    def _gitignored(self, absolute: Path, suffix: str) -> bool:
        verdict = False
        for ignores in self._ignores_above(absolute.parent):
            result = ignores.spec.check_file(absolute.relative_to(ignores.directory).as_posix() + suffix)
            if result.include is not None:  # a deeper .gitignore overrides a shallower one, as in git
                verdict = result.include
        return verdict

    def _ignores_above(self, directory: Path) -> list[_Ignores]:
        """The `.gitignore` files from the repository root down to `directory` (outermost first)."""
        if directory not in self._chains:
            self._chains[directory] = self._find_chain(directory)
        return self._chains[directory]

    def _find_chain(self, directory: Path) -> list[_Ignores]:
        chain: list[_Ignores] = []
        for candidate in (directory, *directory.parents):
            found = self._gitignore(candidate)
            if found is not None:
                chain.append(found)
            if (candidate / ".git").exists():
                break
        else:
            return []  # not in a git repository: git ignores nothing there
        return chain[::-1]

    def _gitignore(self, directory: Path) -> _Ignores | None:
        if directory not in self._gitignores:
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._gitignores[directory] = None
            else:
                self._gitignores[directory] = _Ignores(directory, pathspec.GitIgnoreSpec.from_lines(lines))
        return self._gitignores[directory]


def project_modules(config: Config, exclude: Iterable[Path]) -> list[Path]:
    """The Python files of the project around `config` (its root, with its exclusions), except `exclude`:
    read for what they pass to the named files' components, never checked or written."""
    named = {Path(os.path.abspath(p)) for p in exclude}
    found = Discovery(config).candidates([config.root])
    return [c.path for c in found if c.path.suffix == ".py" and Path(os.path.abspath(c.path)) not in named]


def discover(paths: Iterable[Path], config: Config | None = None, force_exclude: bool = False) -> Iterator[Candidate]:
    """The candidate files under `paths` with `config`'s exclusions (the defaults when None)."""
    chosen = config if config is not None else Config(root=Path.cwd())
    return Discovery(chosen, force_exclude).candidates(paths)
