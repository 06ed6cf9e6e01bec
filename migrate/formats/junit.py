"""JUnit XML as ruff writes it: a testsuite per file, a testcase with a `<failure>` per finding; a file with no
findings is one passing testcase, so CI dashboards count checked files as passed tests."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from migrate.formats._shared import sorted_reports
from migrate.model import Finding

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from migrate.runner import FileReport

PACKAGE = "kfp-migrate"
PASSED = "No errors found"
# Characters XML 1.0 cannot hold even escaped; a message quoting them from a file shows them as \xNN instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _classname(path: str) -> str:
    return _xml_text(os.path.splitext(path)[0])


def _suite(parent: Element, name: str, tests: int, failures: int) -> Element:
    from xml.etree import ElementTree as ET

    attributes = {"name": _xml_text(name), "tests": str(tests), "disabled": "0", "errors": "0"}
    return ET.SubElement(parent, "testsuite", {**attributes, "failures": str(failures), "package": PACKAGE})


def junit_report(reports: Sequence[FileReport]) -> str:
    from xml.etree import ElementTree as ET  # only this format needs it: keeps start-up light

    ordered = sorted_reports(reports)
    tests = sum(max(len(report.findings), 1) for report in ordered)
    failures = sum(len(report.findings) for report in ordered)
    root = ET.Element("testsuites", {"name": PACKAGE, "tests": str(tests or 1), "failures": str(failures)})
    root.set("errors", "0")
    for report in ordered:
        suite = _suite(root, report.path, max(len(report.findings), 1), len(report.findings))
        if not report.findings:
            ET.SubElement(suite, "testcase", {"name": PASSED, "classname": _classname(report.path)})
        for finding in sorted(report.findings, key=Finding.sort_key):
            _testcase(suite, finding)
    if not ordered:  # no file at all: one passing case, so the report is never empty
        ET.SubElement(_suite(root, PACKAGE, 1, 0), "testcase", {"name": PASSED, "classname": PACKAGE})
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite: Element, finding: Finding) -> None:
    from xml.etree import ElementTree as ET

    attributes = {"name": f"{PACKAGE}.{finding.code}", "classname": _classname(finding.path)}
    case = ET.SubElement(suite, "testcase", {**attributes, "line": str(finding.line), "column": str(finding.col)})
    failure = ET.SubElement(case, "failure", {"message": _xml_text(finding.message)})
    body = f"line {finding.line}, col {finding.col}, {finding.message}"
    if finding.fix is not None and finding.fix.title:
        body += f"\n\n{finding.fix.title}"
    failure.text = _xml_text(body)
