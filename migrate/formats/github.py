"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from migrate.formats._shared import rule_name, sorted_findings
from migrate.model import Finding, Severity

if TYPE_CHECKING:
    from migrate.runner import FileReport

COMMANDS = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """The escaping GitHub's toolkit applies to a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value also escapes `:` and `,`, which end the value otherwise."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    title = f"{finding.code} {rule_name(finding.code)}".rstrip()
    properties = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.col),
        "endLine": str(finding.end_line),
        "endColumn": str(finding.end_col),
        "title": title,
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(finding.message)}"


def github_report(reports: Sequence[FileReport]) -> str:
    """One workflow command per finding; nothing at all when there is nothing to annotate."""
    return "".join(annotation(finding) + "\n" for finding in sorted_findings(reports))
