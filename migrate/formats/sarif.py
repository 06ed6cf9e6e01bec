"""SARIF 2.1.0, as GitHub code scanning reads it (docs: "SARIF support for code scanning").

What GitHub asks beyond the schema, and how it is met here:
- every rule has `id`, `shortDescription.text`, `fullDescription.text` (both at most 1024 characters) and
  `help.text`; `name` at most 255 characters. `help.markdown` is shown instead of `help.text`: it is the rule's
  page from docs/rules.md.
- every result has `message.text` and a location whose `physicalLocation` has `artifactLocation.uri` and a
  region with `startLine`, `startColumn`, `endLine`, `endColumn`.
- URIs are relative to the repository root (here: `root`, by default the working directory), symlinks
  resolved, with `uriBaseId` `%SRCROOT%`; files outside it get an absolute `file:` URI.
- `partialFingerprints`: GitHub tracks alerts by `primaryLocationLineHash` only, which `upload-sarif` computes
  from the checked-out file when it is missing (a hash of the line's text, which this renderer does not
  imitate). `kfpMigrateFindingHash/v1` is this tool's own identity (code, path, message; no line numbers).
- columns count Unicode code points (`columnKind`), as the engine does; `fixes` use the same line/column
  regions, so no byte or UTF-16 offset is ever needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from migrate import __version__
from migrate.formats._shared import (
    PROJECT_URL,
    CiPaths,
    fingerprints,
    rule_for,
    rule_url,
    sorted_findings,
)
from migrate.lines import LineIndex
from migrate.model import Finding, Fix, FixSafety, Rule, Severity, applicable

if TYPE_CHECKING:
    from migrate.runner import FileReport

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "kfpMigrateFindingHash/v1"
LEVELS = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "note"}
# GitHub's problem.severity, which with precision decides what is shown by default.
PROBLEM_SEVERITIES = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "recommendation"}
DESCRIPTION_LIMIT = 1024
NAME_LIMIT = 255


def sarif_report(reports: Sequence[FileReport], rules_used: Iterable[type[Rule]] = (), root: Path | None = None) -> str:
    """One SARIF run: the rules that ran (and any other rule a finding names), then one result per finding.
    Paths are made relative to `root`, by default the working directory."""
    paths = CiPaths(root)
    findings = sorted_findings(reports)
    rules = _rules(rules_used, findings)
    index = {rule.code: position for position, rule in enumerate(rules)}
    places = _Places(paths, {report.path: report.text for report in reports})
    marks = fingerprints(findings, paths)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kfp-migrate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": paths.root.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": [],
            }
        ],
    }
    results = [
        _result(finding, index.get(finding.code), mark, places) for finding, mark in zip(findings, marks, strict=True)
    ]
    return _dump(log, results)


def _dump(log: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """The log indented, each result on one line of its own: readable, and five times faster to write than
    indenting everything (an indented dump runs in pure Python)."""
    text = json.dumps(log, indent=2, ensure_ascii=False)
    if results:
        lines = ",\n".join("        " + json.dumps(result, ensure_ascii=False) for result in results)
        # Quotes inside strings are escaped, so `"results": []` occurs once: where the results belong.
        text = text.replace('"results": []', f'"results": [\n{lines}\n      ]', 1)
    return text + "\n"


def _rules(rules_used: Iterable[type[Rule]], findings: Sequence[Finding]) -> list[type[Rule]]:
    chosen = {rule.code: rule for rule in rules_used}
    for finding in findings:
        rule = rule_for(finding.code)
        if rule is not None:
            chosen.setdefault(rule.code, rule)
    return [chosen[code] for code in sorted(chosen)]


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    from migrate.docs import fix_availability, render_rule

    url = rule_url(rule)
    fix = f"{fix_availability(rule)} {rule.fix_safety_note}".strip()
    return {
        "id": rule.code,
        "name": _clip(rule.name, NAME_LIMIT),
        "shortDescription": {"text": _clip(rule.summary, DESCRIPTION_LIMIT)},
        "fullDescription": {"text": _clip(rule.rationale, DESCRIPTION_LIMIT)},
        "help": {
            "text": f"{rule.summary}\n\n{rule.rationale.strip()}\n\nFix: {fix}\n\nSee {url}",
            "markdown": render_rule(rule, level=2) + f"\n[Rule page]({url})\n",
        },
        "helpUri": url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": [rule.family()],
            "problem.severity": PROBLEM_SEVERITIES[rule.severity],
            "kfp2": rule.severity.value,
            "fixSafety": rule.fix_safety.value,
        },
    }


class _Places:
    """Artifact locations and line indexes, each worked out once per file."""

    def __init__(self, paths: CiPaths, texts: dict[str, str | None]) -> None:
        self.paths = paths
        self.texts = texts
        self._lines: dict[str, LineIndex] = {}
        self._artifacts: dict[str, dict[str, str]] = {}

    def artifact(self, path: str) -> dict[str, str]:
        if path not in self._artifacts:
            relative = self.paths.relative(path)
            if relative is None:
                self._artifacts[path] = {"uri": self.paths.absolute(path).as_uri()}
            else:  # from bytes, so that a file name that is not UTF-8 still gets its own bytes percent-encoded
                self._artifacts[path] = {"uri": quote(os.fsencode(relative), safe="/"), "uriBaseId": "%SRCROOT%"}
        return dict(self._artifacts[path])

    def lines(self, path: str) -> LineIndex | None:
        text = self.texts.get(path)
        if text is None:
            return None
        if path not in self._lines:
            self._lines[path] = LineIndex.for_path(text, path)
        return self._lines[path]


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict[str, int]:
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def _result(finding: Finding, rule_index: int | None, mark: str, places: _Places) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = LEVELS[finding.severity]
    result["message"] = {"text": finding.message}
    region = _region((finding.line, finding.col), (finding.end_line, finding.end_col))
    result["locations"] = [{"physicalLocation": {"artifactLocation": places.artifact(finding.path), "region": region}}]
    result["partialFingerprints"] = {FINGERPRINT_KEY: mark}
    lines = places.lines(finding.path)
    if finding.fix is not None and lines is not None and applicable(finding.fix, unsafe=True):
        result["fixes"] = [_fix(finding, finding.fix, lines, places)]
        result["properties"] = {"fixSafety": finding.fix.safety.value}
    return result


def _fix(finding: Finding, fix: Fix, lines: LineIndex, places: _Places) -> dict[str, Any]:
    """`fix` as SARIF replacements, in lines and columns of the text the edits' offsets are in."""
    replacements = []
    for edit in fix.complete_edits():
        replacement: dict[str, Any] = {"deletedRegion": _region(lines.position(edit.start), lines.position(edit.end))}
        if edit.text:
            replacement["insertedContent"] = {"text": edit.text}
        replacements.append(replacement)
    changes = [{"artifactLocation": places.artifact(finding.path), "replacements": replacements}]
    for new in fix.complete_creates():  # a new file: its whole text inserted at the start of an empty one
        created = str(Path(finding.path).parent / new.name)
        insertion = {"deletedRegion": _region((1, 1), (1, 1)), "insertedContent": {"text": new.text}}
        changes.append({"artifactLocation": places.artifact(created), "replacements": [insertion]})
    title = fix.title or f"Fix {finding.code}"
    if fix.safety is FixSafety.UNSAFE:
        title += " (unsafe: applied by `kfp-migrate fix --unsafe-fixes`)"
    return {"description": {"text": title}, "artifactChanges": changes}
