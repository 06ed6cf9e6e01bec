"""Renders file reports as text or ruff-shaped JSON. Pure: returns strings, prints nothing."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from migrate.engine import applicable
from migrate.lines import LineIndex
from migrate.model import Finding, FixSafety
from migrate.runner import FileReport


def _fix_marker(finding: Finding) -> str:
    if applicable(finding.fix, unsafe=False):
        return " [*]"
    if applicable(finding.fix, unsafe=True):
        return " [-]"  # fixable with --unsafe-fixes
    return ""


def text_report(
    reports: Sequence[FileReport], fixing: bool, unsafe: bool, show_fixes: bool = True, dry_run: bool = False
) -> str:
    """One line per finding, `path:line:col: CODE message`, then a summary."""
    lines: list[str] = []
    findings = [f for report in reports for f in report.findings]
    for finding in sorted(findings, key=Finding.sort_key):
        marker = _fix_marker(finding) if show_fixes else ""
        lines.append(f"{finding.path}:{finding.line}:{finding.col}: {finding.code}{marker} {finding.message}")
    lines.append(summary(reports, fixing, unsafe, dry_run))
    return "\n".join(lines) + "\n"


def summary(reports: Sequence[FileReport], fixing: bool, unsafe: bool, dry_run: bool = False) -> str:
    findings = [f for report in reports for f in report.findings]
    fixed = sum(report.applied for report in reports)
    safe = sum(1 for f in findings if applicable(f.fix, unsafe=False))
    more = sum(1 for f in findings if applicable(f.fix, unsafe=True)) - safe
    parts: list[str] = []
    if fixing:
        changed = sum(1 for report in reports if report.fixed is not None)
        verb = "Would fix" if dry_run else "Fixed"
        parts.append(f"{verb} {fixed} finding{_s(fixed)} in {changed} file{_s(changed)}")
        parts.append(f"{len(findings)} remaining" if findings else "nothing remaining")
        if more and not unsafe:
            parts.append(f"{more} fixable with `--unsafe-fixes`")
        return ", ".join(parts) + "."
    if not findings:
        return f"All checks passed ({len(reports)} component file{_s(len(reports))})."
    parts.append(f"Found {len(findings)} finding{_s(len(findings))} in {len({f.path for f in findings})} file(s)")
    if safe:
        parts.append(f"{safe} fixable with `kfp-migrate fix` [*]")
    if more:
        parts.append(f"{more} more with `--unsafe-fixes` [-]")
    return ", ".join(parts) + "."


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def json_report(reports: Sequence[FileReport]) -> str:
    """A JSON array shaped like ruff's `--output-format json`; one line per file never wraps."""
    items: list[dict[str, Any]] = []
    for report in reports:
        lines = LineIndex.for_path(report.text or "", report.path)
        for finding in sorted(report.findings, key=Finding.sort_key):
            items.append(_json_finding(finding, lines))
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


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
                for edit in finding.fix.edits
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


def unified_diff(report: FileReport) -> str:
    """The fixed file's changes, then each file the fixes create, as a diff from /dev/null (as git shows one)."""
    if report.original is None or report.fixed is None:
        return ""
    parts = [_diff(report.original, report.fixed, f"a/{report.path}", f"b/{report.path}")]
    parts.extend(_diff("", new.text, "/dev/null", f"b/{new.name}") for new in report.created)
    return "".join(parts)


def _diff(old: str, new: str, fromfile: str, tofile: str) -> str:
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=fromfile, tofile=tofile
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in diff)
