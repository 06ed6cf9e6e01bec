"""`--output-format json`: a JSON array shaped like ruff's, one object per finding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from migrate.formats._shared import json_array, sorted_reports
from migrate.lines import LineIndex
from migrate.model import Finding, FixSafety

if TYPE_CHECKING:
    from migrate.runner import FileReport


def json_report(reports: Sequence[FileReport]) -> str:
    """A JSON array of objects shaped like ruff's `--output-format json`, one per line: never wrapped."""
    items: list[dict[str, Any]] = []
    for report in sorted_reports(reports):
        lines = _NO_EDITS
        if any(finding.fix is not None and finding.fix.edits for finding in report.findings):
            lines = LineIndex.for_path(report.text or "", report.path)
        for finding in sorted(report.findings, key=Finding.sort_key):
            items.append(_json_finding(finding, lines))
    return json_array(items)


_NO_EDITS = LineIndex("")  # a report without edits needs no positions


def _location(lines: LineIndex, offset: int) -> dict[str, int]:
    row, column = lines.position(offset)
    return {"row": row, "column": column}


def _json_finding(finding: Finding, lines: LineIndex) -> dict[str, Any]:
    fix = None
    if finding.fix is not None and finding.fix.safety is not FixSafety.NONE and finding.fix.edits:
        fix = {
            "applicability": finding.fix.safety.value,
            "message": finding.fix.title,
            "edits": [
                {
                    "content": edit.text,
                    "location": _location(lines, edit.start),
                    "end_location": _location(lines, edit.end),
                }
                for edit in finding.fix.complete_edits()
            ],
        }
    return {
        "cell": None,
        "code": finding.code,
        "message": finding.message,
        "severity": finding.severity.value,
        "filename": finding.path,
        "location": {"row": finding.line, "column": finding.col},
        "end_location": {"row": finding.end_line, "column": finding.end_col},
        "noqa_row": finding.line,
        "fix": fix,
        "url": None,
    }
