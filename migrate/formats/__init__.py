"""Output formats. Each renderer is pure: file reports in, one string out; it prints nothing, reads no
terminal width and sorts what it shows, so the same findings always give the same bytes.

`FORMATS` maps each `--output-format` name to a renderer with one signature, `(reports, options) -> str`;
`render` is the same with keyword arguments."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.formats._shared import DOCS_URL, PROJECT_URL
from migrate.model import Rule

if TYPE_CHECKING:
    from migrate.formats.diff import unified_diff
    from migrate.formats.github import github_report
    from migrate.formats.gitlab import gitlab_report
    from migrate.formats.junit import junit_report
    from migrate.formats.ruff_json import json_report
    from migrate.formats.sarif import sarif_report
    from migrate.formats.statistics import statistics_json, statistics_report
    from migrate.formats.text import grouped_report, summary, text_report
    from migrate.runner import FileReport

# Where each renderer lives: a run imports only the one it prints with (`__getattr__`).
_HOMES = {
    "unified_diff": "diff",
    "github_report": "github",
    "gitlab_report": "gitlab",
    "junit_report": "junit",
    "json_report": "ruff_json",
    "sarif_report": "sarif",
    "statistics_json": "statistics",
    "statistics_report": "statistics",
    "grouped_report": "text",
    "summary": "text",
    "text_report": "text",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


@dataclass(frozen=True)
class RenderOptions:
    fixing: bool = False  # the findings are what `fix` left; the summary says what it fixed
    unsafe: bool = False  # --unsafe-fixes was given
    color: bool = False  # ANSI colour (text formats only)
    rules: tuple[type[Rule], ...] = ()  # the rules that ran: SARIF describes them all
    root: Path | None = None  # what CI paths are relative to (SARIF, GitLab); None: the working directory


# Formats that place fix edits (str offsets into a file's text) by line and column: they need the texts.
NEEDS_TEXT = frozenset({"json", "sarif"})

Renderer = Callable[[Sequence["FileReport"], RenderOptions], str]

FORMATS: dict[str, Renderer] = {
    "text": lambda reports, o: __getattr__("text_report")(reports, o.fixing, o.unsafe, color=o.color),
    "grouped": lambda reports, o: __getattr__("grouped_report")(reports, o.fixing, o.unsafe, color=o.color),
    "json": lambda reports, o: __getattr__("json_report")(reports),
    "sarif": lambda reports, o: __getattr__("sarif_report")(reports, o.rules, o.root),
    "github": lambda reports, o: __getattr__("github_report")(reports),
    "junit": lambda reports, o: __getattr__("junit_report")(reports),
    "gitlab": lambda reports, o: __getattr__("gitlab_report")(reports, o.root),
}


def render(
    name: str,
    reports: Sequence[FileReport],
    *,
    fixing: bool = False,
    unsafe: bool = False,
    color: bool = False,
    rules: Sequence[type[Rule]] = (),
    root: Path | None = None,
) -> str:
    """`reports` in the format called `name` (a key of `FORMATS`)."""
    if name not in FORMATS:
        raise ValueError(f"unknown output format `{name}`; choose one of: {', '.join(FORMATS)}")
    return FORMATS[name](reports, RenderOptions(fixing, unsafe, color, tuple(rules), root))


__all__ = [
    "DOCS_URL",
    "FORMATS",
    "NEEDS_TEXT",
    "PROJECT_URL",
    "RenderOptions",
    "Renderer",
    "github_report",
    "gitlab_report",
    "grouped_report",
    "json_report",
    "junit_report",
    "render",
    "sarif_report",
    "statistics_json",
    "statistics_report",
    "summary",
    "text_report",
    "unified_diff",
]
