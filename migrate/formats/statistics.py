"""`--statistics`, as ruff prints it: how many findings of each code, whether `fix` repairs them, the rule's name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from migrate.formats._shared import rule_name, sorted_findings
from migrate.formats.text import BOLD, CYAN, RED, paint, summary
from migrate.model import applicable

if TYPE_CHECKING:
    from migrate.runner import FileReport


@dataclass(frozen=True)
class CodeCount:
    code: str
    name: str
    count: int
    fixable: int  # repaired by `fix`
    unsafe_fixable: int  # repaired only by `fix --unsafe-fixes`

    @property
    def marker(self) -> str:
        if self.fixable:
            return "[*]"
        return "[-]" if self.unsafe_fixable else ""


def code_counts(reports: Sequence[FileReport]) -> list[CodeCount]:
    """One entry per code found, the most frequent first, ties by code."""
    by_code: dict[str, list[int]] = {}
    for finding in sorted_findings(reports):
        counts = by_code.setdefault(finding.code, [0, 0, 0])
        counts[0] += 1
        if applicable(finding.fix, unsafe=False):
            counts[1] += 1
        elif applicable(finding.fix, unsafe=True):
            counts[2] += 1
    entries = [CodeCount(code, rule_name(code), *counts) for code, counts in by_code.items()]
    return sorted(entries, key=lambda entry: (-entry.count, entry.code))


def statistics_report(reports: Sequence[FileReport], fixing: bool, unsafe: bool = False, color: bool = False) -> str:
    """`count<TAB>code<TAB>[*] name` per code, padded to the widest count and code, then the usual summary.
    `[*]`: some of these `fix` repairs; `[-]`: only `fix --unsafe-fixes` does; blank: a human must."""
    entries = code_counts(reports)
    lines: list[str] = []
    if entries:
        count_width = max(len(str(entry.count)) for entry in entries)
        code_width = max(len(entry.code) for entry in entries)
        for entry in entries:
            code = paint(entry.code.ljust(code_width), BOLD + RED, color)
            marker = paint(entry.marker, CYAN, color) + " " * (3 - len(entry.marker))
            lines.append(f"{entry.count:>{count_width}}\t{code}\t{marker} {entry.name}".rstrip())
    lines.append(summary(reports, fixing, unsafe))
    return "\n".join(lines) + "\n"


def statistics_json(reports: Sequence[FileReport]) -> str:
    """The same counts as a JSON array: code, name, count, fixable (bool, as ruff), and both fixable counts."""
    rows: list[dict[str, Any]] = [
        {
            "code": entry.code,
            "name": entry.name,
            "count": entry.count,
            "fixable": entry.fixable > 0,
            "fixable_count": entry.fixable,
            "unsafe_fixable_count": entry.unsafe_fixable,
        }
        for entry in code_counts(reports)
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
