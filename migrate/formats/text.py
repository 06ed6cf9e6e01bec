"""Text for people: one line per finding (`text`), or findings under their file (`grouped`), then a summary.

Colour is ANSI and only ever added when asked for. Nothing depends on the terminal's width, so no line wraps
or is cut."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from migrate.formats._shared import fix_marker, sorted_findings
from migrate.model import Finding, applicable

if TYPE_CHECKING:
    from migrate.runner import FileReport

BOLD = "\x1b[1m"
RED = "\x1b[31m"
CYAN = "\x1b[36m"
RESET = "\x1b[0m"


def paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and text else text


def _marker(finding: Finding, show_fixes: bool, color: bool) -> str:
    marker = fix_marker(finding) if show_fixes else ""
    return " " + paint(marker, CYAN, color) if marker else ""


def text_report(
    reports: Sequence[FileReport],
    fixing: bool,
    unsafe: bool,
    show_fixes: bool = True,
    dry_run: bool = False,
    color: bool = False,
) -> str:
    """One line per finding, `path:line:col: CODE message`, then a summary."""
    lines: list[str] = []
    colon = paint(":", CYAN, color)
    for finding in sorted_findings(reports):
        location = f"{paint(finding.path, BOLD, color)}{colon}{finding.line}{colon}{finding.col}{colon}"
        code = paint(finding.code, BOLD + RED, color)
        lines.append(f"{location} {code}{_marker(finding, show_fixes, color)} {finding.message}")
    lines.append(summary(reports, fixing, unsafe, dry_run))
    return "\n".join(lines) + "\n"


def grouped_report(reports: Sequence[FileReport], fixing: bool, unsafe: bool, color: bool = False) -> str:
    """Each file with findings as a header, its findings indented beneath as `line:col CODE [*] message`
    (line and column padded to line up within the file), a blank line after each file, then the summary."""
    lines: list[str] = []
    for path, group in groupby(sorted_findings(reports), key=lambda finding: finding.path):
        findings = list(group)
        row_width = max(len(str(f.line)) for f in findings)
        col_width = max(len(str(f.col)) for f in findings)
        lines.append(paint(path, BOLD, color) + paint(":", CYAN, color))
        for finding in findings:
            position = f"{finding.line:>{row_width}}:{finding.col:<{col_width}}"
            code = paint(finding.code, BOLD + RED, color)
            lines.append(f"  {position} {code}{_marker(finding, True, color)} {finding.message}")
        lines.append("")
    lines.append(summary(reports, fixing, unsafe))
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
