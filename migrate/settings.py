"""One run's settings: the configuration file's, overridden by the command line, as ruff resolves them.

`select` on the command line replaces the file's; `ignore` and `extend-select` add to it; `exclude`
replaces the default list and `extend-exclude` adds; flags given on the command line win.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.config import Config, ConfigError
from migrate.registry import UnknownCodeError, select_codes, validate
from migrate.rule_index import RULES

if TYPE_CHECKING:
    import pathspec


@dataclass(frozen=True)
class CommandLine:
    """What the command line says; None (or empty) where it says nothing."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool | None = None
    unsafe_fixes: bool | None = None
    output_format: str | None = None
    cache_dir: Path | None = None


def merge(config: Config, cli: CommandLine) -> Config:
    """The configuration with the command line's overrides applied."""
    return replace(
        config,
        select=cli.select if cli.select is not None else config.select,
        ignore=config.ignore + cli.ignore,
        extend_select=config.extend_select + cli.extend_select,
        exclude=cli.exclude if cli.exclude is not None else config.exclude,
        extend_exclude=config.extend_exclude + cli.extend_exclude,
        respect_gitignore=config.respect_gitignore if cli.respect_gitignore is None else cli.respect_gitignore,
        unsafe_fixes=config.unsafe_fixes if cli.unsafe_fixes is None else cli.unsafe_fixes,
        output_format=cli.output_format or config.output_format,
        cache_dir=cli.cache_dir or config.cache_dir,
    )


def selected_codes(config: Config) -> tuple[str, ...]:
    """The rules a run uses; an unknown code is an error naming where it was written."""
    where = f"{config.source}: " if config.source is not None else ""
    try:
        for _, codes in config.per_file_ignores:
            validate(codes, where)
        return select_codes(config.select, config.ignore, config.extend_select)
    except UnknownCodeError as error:
        if where and where not in str(error):
            raise ConfigError(f"{where}{error}") from None
        raise ConfigError(str(error)) from None


@dataclass(frozen=True)
class PerFileIgnores:
    """`per-file-ignores`: glob patterns (relative to the configuration's directory) to code prefixes."""

    root: str = ""
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def ignored(self, path: str) -> frozenset[str]:
        """The codes switched off for `path`; matched as a path relative to the root and by file name."""
        if not self.entries:
            return frozenset()
        absolute = Path(path).absolute()
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            relative = absolute.name
        prefixes = [c.upper() for pattern, codes in self.entries if _spec(pattern).match_file(relative) for c in codes]
        return frozenset(code for code, *_ in RULES if any(p == "ALL" or code.startswith(p) for p in prefixes))


@cache
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def per_file_ignores(config: Config) -> PerFileIgnores:
    return PerFileIgnores(str(config.root.resolve()), config.per_file_ignores)
