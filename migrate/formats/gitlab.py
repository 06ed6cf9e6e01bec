"""GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array, one issue per finding.

GitLab reads `description`, `check_name`, `fingerprint`, `severity`, `location.path` (relative) and
`location.lines.begin`; it rejects a byte order mark, which `json.dumps` never writes. Equal fingerprints are
shown as one issue, so each finding's is unique, and it leaves out line numbers so that an issue keeps its
identity when lines are inserted above it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.formats._shared import CiPaths, fingerprints, json_array, sorted_findings
from migrate.model import Severity

if TYPE_CHECKING:
    from migrate.runner import FileReport

SEVERITIES = {Severity.ERROR: "major", Severity.CHANGE: "minor", Severity.INFO: "info"}


def gitlab_report(reports: Sequence[FileReport], root: Path | None = None) -> str:
    paths = CiPaths(root)
    findings = sorted_findings(reports)
    issues: list[dict[str, Any]] = [
        {
            "description": f"{finding.code}: {finding.message}",
            "check_name": finding.code,
            "fingerprint": mark,
            "severity": SEVERITIES[finding.severity],
            "location": {
                "path": paths.portable(finding.path),
                "lines": {"begin": finding.line, "end": finding.end_line},
            },
        }
        for finding, mark in zip(findings, fingerprints(findings, paths), strict=True)
    ]
    return json_array(issues)
