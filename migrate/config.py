"""`[tool.kfp-migrate]` in pyproject.toml: found by walking up from the files, validated strictly.

Like ruff, the closest pyproject.toml that has the table wins (a pyproject.toml without it is passed
over), paths in it are relative to its directory, and the command line overrides it. Every mistake (an
unknown key, a value of the wrong type, a code that names no rule) is an error naming the file and key:
a typo must never silently switch a rule off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TABLE = "kfp-migrate"
OUTPUT_FORMATS = ("text", "grouped", "json", "sarif", "github", "junit", "gitlab")
# Directories never worth walking into; `exclude` replaces this list, `extend-exclude` adds to it.
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".kfp_migrate_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class ConfigError(ValueError):
    """A configuration mistake; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """Settings from one pyproject.toml (or the defaults when there is none)."""

    root: Path  # the directory relative paths are taken from
    source: Path | None = None  # the pyproject.toml, None for the defaults
    select: tuple[str, ...] | None = None  # None: every rule enabled by default
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pattern, codes)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    unsafe_fixes: bool = False
    output_format: str = "text"
    cache_dir: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def excluded(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude


def _strings(value: Any, key: str, where: Path) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    return tuple(value)


def _bool(value: Any, key: str, where: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false, got {value!r}")
    return value


def _format(value: Any, key: str, where: Path) -> str:
    if value not in OUTPUT_FORMATS:
        raise ConfigError(f"{where}: `{key}` must be one of {', '.join(OUTPUT_FORMATS)}; got {value!r}")
    return str(value)


def _per_file(value: Any, key: str, where: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a table of glob = [codes], got {value!r}")
    return tuple((pattern, _strings(codes, f"{key}.{pattern}", where)) for pattern, codes in value.items())


def _path(value: Any, key: str, where: Path) -> Path:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: `{key}` must be a path string, got {value!r}")
    return where.parent / value


_KEYS = {
    "select": ("select", _strings),
    "ignore": ("ignore", _strings),
    "extend-select": ("extend_select", _strings),
    "per-file-ignores": ("per_file_ignores", _per_file),
    "exclude": ("exclude", _strings),
    "extend-exclude": ("extend_exclude", _strings),
    "respect-gitignore": ("respect_gitignore", _bool),
    "unsafe-fixes": ("unsafe_fixes", _bool),
    "output-format": ("output_format", _format),
    "cache-dir": ("cache_dir", _path),
}


def parse(table: Mapping[str, Any], source: Path) -> Config:
    """A Config from the `[tool.kfp-migrate]` table of `source`."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            hint = f" (did you mean `{key.replace('_', '-')}`?)" if key.replace("_", "-") in _KEYS else ""
            raise ConfigError(f"{source}: unknown key `{key}` in [tool.{TABLE}]{hint}; known keys: {known}")
        attribute, convert = _KEYS[key]
        values[attribute] = convert(value, key, source)
    return Config(root=source.parent, source=source, **values)


def load(source: Path) -> Config:
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: invalid TOML: {error}") from None
    table = data.get("tool", {}).get(TABLE)
    if table is None:
        return Config(root=source.parent)
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.{TABLE}] must be a table")
    return parse(table, source)


def _has_table(pyproject: Path) -> bool:
    """Cheap first look: most pyproject.toml files are not ours, so read them fully only when they mention us."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return f"tool.{TABLE}" in text or f'tool."{TABLE}"' in text


def find(start: Path) -> Path | None:
    """The closest pyproject.toml with a [tool.kfp-migrate] table at or above `start`."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
    return None


def common_start(paths: Sequence[Path], cwd: Path) -> Path:
    """Where to start looking for the configuration: the deepest directory holding every path."""
    absolute = [(p if p.is_absolute() else cwd / p) for p in paths] or [cwd]
    resolved = [Path(*_normalized(p.parts)) for p in absolute]
    common = resolved[0] if resolved[0].is_dir() else resolved[0].parent
    for path in resolved[1:]:
        while common not in (path, *path.parents):
            common = common.parent
    return common


def _normalized(parts: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for part in parts:
        if part == "..":
            if len(kept) > 1:
                kept.pop()
        elif part != ".":
            kept.append(part)
    return kept


def discover_config(paths: Sequence[Path], cwd: Path, explicit: Path | None = None, isolated: bool = False) -> Config:
    """The configuration for a run: `--config FILE`, else the closest pyproject.toml with our table."""
    if isolated:
        return Config(root=cwd)
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        config = load(explicit)
        if config.source is None:
            raise ConfigError(f"{explicit}: has no [tool.{TABLE}] table")
        return config
    found = find(common_start(paths, cwd))
    return load(found) if found is not None else Config(root=cwd)
