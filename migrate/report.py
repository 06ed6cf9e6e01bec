"""The renderers the command line has always imported from here; they now live in `migrate.formats`."""

from __future__ import annotations

from migrate.formats.diff import unified_diff
from migrate.formats.ruff_json import json_report
from migrate.formats.text import summary, text_report

__all__ = ["json_report", "summary", "text_report", "unified_diff"]
