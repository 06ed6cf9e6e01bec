"""`kfp-migrate report`: what `fix` resolves, what needs a human and how ready a repository is for kfp 2, as
Markdown and as one self-contained HTML page. Pure: file reports in, strings out."""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from migrate import __version__
from migrate.formats._shared import rule_for, rule_url
from migrate.languages import PYTHON_SUFFIXES
from migrate.model import Finding, Severity, applicable
from migrate.rule_index import RULES

if TYPE_CHECKING:
    from migrate.runner import FileReport

COMMANDS = ("now", "after `kfp-migrate fix`", "after `kfp-migrate fix --unsafe-fixes`")
FIX_COMMANDS = ("fix", "fix --unsafe-fixes")
# What each severity means for a file, said once per finding: the "why" behind it.
CONSEQUENCE = {
    Severity.ERROR: "kfp 2 rejects this",
    Severity.CHANGE: "kfp 2 accepts this but behaves differently from kfp 1, silently",
    Severity.INFO: "no behaviour change; worth knowing",
}
READINESS_DEFINITION = (
    "A file is ready when no error finding is left in it: nothing kfp-migrate knows kfp 2 to reject "
    "when it loads, calls or compiles the code. Change findings (kfp 2 accepts the code but behaves "
    "differently from kfp 1, silently) do not block readiness; the files ready with such findings are "
    "counted apart, for review. A file kfp-migrate could not read or parse is never ready. Percentages are "
    "of the KFP files found: v1 component YAML files and Python modules that import kfp. They measure what "
    "kfp-migrate's rules can see; they are not a compile test."
)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# Files the engine could not read or parse (KFP007 in a check run: an internal error). Not KFP006, which only a
# fixing run reports, nor KFP009, an unused suppression comment.
UNREADABLE = frozenset({"KFP001", "KFP002", "KFP003", "KFP004", "KFP005", "KFP007", "KFP008"})


@dataclass(frozen=True)
class FileSection:
    """One KFP file. Findings of the check run are split by what becomes of them, so that
    `fixed + fixed_unsafe + remaining` is exactly what was found; their lines are in the file as it is now."""

    path: str  # relative to the report's root, forward slashes
    source: str  # the path as the runner gave it
    kind: str  # "component" or "python"
    unreadable: bool  # kfp-migrate could not read, parse or process it
    fixed: tuple[Finding, ...]  # gone after `fix`
    fixed_unsafe: tuple[Finding, ...]  # gone only after `fix --unsafe-fixes`
    remaining: tuple[Finding, ...]  # still there after every fix the report ran
    introduced: tuple[Finding, ...]  # found only once fixed: their lines are in the fixed text
    applied: tuple[int, ...]  # fixes applied, per fixing run
    created: tuple[str, ...]  # files the last fixing run would create
    ready: tuple[bool, ...]  # per stage: now, after fix[, after fix --unsafe-fixes]
    changes: tuple[bool, ...]  # per stage: a CHANGE finding is left

    @property
    def found(self) -> int:
        return len(self.fixed) + len(self.fixed_unsafe) + len(self.remaining)

    @property
    def needs_human(self) -> bool:
        return bool(self.remaining or self.introduced)


@dataclass(frozen=True)
class Stage:
    """The whole repository at one stage (now, after fix, after fix --unsafe-fixes)."""

    title: str
    ready: int
    ready_with_changes: int
    findings: Counter[Severity]


@dataclass(frozen=True)
class RuleRow:
    """One rule's findings across the repository, split as in FileSection."""

    code: str
    fixed: int
    fixed_unsafe: int
    remaining: int
    introduced: int

    @property
    def found(self) -> int:
        return self.fixed + self.fixed_unsafe + self.remaining


@dataclass(frozen=True)
class MigrationReport:
    root: str
    files: tuple[FileSection, ...]  # needing a human first, then by path
    stages: tuple[Stage, ...]
    rules: tuple[RuleRow, ...]  # most findings first
    other_files: int  # reported by the runner but not KFP code (a mention of `kfp` or `implementation`)
    unsafe_run: bool
    unchecked: tuple[str, ...]  # default rules left out by --select/--ignore or configuration

    @property
    def total(self) -> int:
        return len(self.files)


def build_report(
    before: Sequence[FileReport],
    after_safe: Sequence[FileReport],
    after_unsafe: Sequence[FileReport] | None = None,
    *,
    root: str,
    checked: Iterable[str] | None = None,
) -> MigrationReport:
    """The report from a check run, a dry-run `fix` and optionally a dry-run `fix --unsafe-fixes` of the same files.
    `checked`: the codes of the rules that ran (`Options.rules`); the report says which default rules were left
    out, since readiness then means less. None: the default rules."""
    runs = [_by_path(before), _by_path(after_safe)] + ([_by_path(after_unsafe)] if after_unsafe is not None else [])
    if any(run.keys() != runs[0].keys() for run in runs):
        raise ValueError("the check and fix runs must cover the same files")
    sections: list[FileSection] = []
    other = 0
    for path, report in runs[0].items():
        kind = _kind(report)
        if kind is None:
            other += 1
            continue
        sections.append(_section(report, [run[path] for run in runs[1:]], kind, root))
    sections.sort(key=lambda s: (_group(s), s.path))
    kfp = {s.source for s in sections}
    stages = tuple(
        _stage(COMMANDS[i], i, sections, [r for path, r in run.items() if path in kfp]) for i, run in enumerate(runs)
    )
    codes = set(checked) if checked is not None else None
    unchecked = tuple(code for code, _, _, default in RULES if default and codes is not None and code not in codes)
    return MigrationReport(
        root, tuple(sections), stages, _rule_rows(sections), other, after_unsafe is not None, unchecked
    )


def _by_path(reports: Sequence[FileReport]) -> dict[str, FileReport]:
    return {report.path: report for report in reports}


def _kind(report: FileReport) -> str | None:
    """ "component" or "python" for KFP code, None for a file the runner passed on a mere mention of `kfp` or
    `implementation`: the engine reports no finding for those, and counting them would inflate readiness."""
    if not (report.findings or report.kfp):
        return None
    return "python" if report.path.endswith(PYTHON_SUFFIXES) else "component"


def _match(before: Sequence[Finding], after: Sequence[Finding]) -> tuple[set[int], list[Finding]]:
    """Which findings of `before` (by index) are still in `after`, and the findings of `after` that are new.
    A finding is the same when code and message agree; then, among the rest, when the code alone does (a fix
    elsewhere in the file can change a message), so the counts per code are exact multiset differences."""
    kept: set[int] = set()
    unmatched = list(after)
    for same in (_same_message, _same_code):
        left: list[Finding] = []
        for finding in unmatched:
            index = next((i for i, old in enumerate(before) if i not in kept and same(old, finding)), None)
            if index is None:
                left.append(finding)
            else:
                kept.add(index)
        unmatched = left
    return kept, unmatched


def _same_message(old: Finding, new: Finding) -> bool:
    return old.code == new.code and old.message == new.message


def _same_code(old: Finding, new: Finding) -> bool:
    return old.code == new.code


def _section(report: FileReport, fixes: Sequence[FileReport], kind: str, root: str) -> FileSection:
    found = sorted(report.findings, key=Finding.sort_key)
    kept_safe, _ = _match(found, fixes[0].findings)
    kept_last, introduced = _match(found, fixes[-1].findings)
    fixed = [f for i, f in enumerate(found) if i not in kept_safe and i not in kept_last]
    fixed_unsafe = [f for i, f in enumerate(found) if i in kept_safe and i not in kept_last]
    stages = [report, *fixes]
    return FileSection(
        path=_relative(report.path, root),
        source=report.path,
        kind=kind,
        unreadable=any(f.code in UNREADABLE for f in report.findings),
        fixed=tuple(fixed),
        fixed_unsafe=tuple(fixed_unsafe),
        remaining=tuple(f for i, f in enumerate(found) if i in kept_last),
        introduced=tuple(sorted(introduced, key=Finding.sort_key)),
        applied=tuple(run.applied for run in fixes),
        created=tuple(sorted(_relative(new.name, root) for new in fixes[-1].created)),
        ready=tuple(not any(f.severity is Severity.ERROR for f in s.findings) for s in stages),
        changes=tuple(any(f.severity is Severity.CHANGE for f in s.findings) for s in stages),
    )


def _relative(path: str, root: str) -> str:
    full, base = PurePath(os.path.abspath(path)), PurePath(os.path.abspath(root))
    if full == base:
        return full.name
    return full.relative_to(base).as_posix() if full.is_relative_to(base) else full.as_posix()


def _group(section: FileSection) -> int:
    """Files that stay unready first, then those with findings left, then the fully fixed, then the clean."""
    if not section.ready[-1]:
        return 0
    if section.needs_human:
        return 1
    return 2 if section.found else 3


def _stage(title: str, index: int, sections: Sequence[FileSection], reports: Iterable[FileReport]) -> Stage:
    return Stage(
        title,
        sum(1 for s in sections if s.ready[index]),
        sum(1 for s in sections if s.ready[index] and s.changes[index]),
        Counter(f.severity for report in reports for f in report.findings),
    )


def _rule_rows(sections: Sequence[FileSection]) -> tuple[RuleRow, ...]:
    parts = [Counter[str]() for _ in range(4)]
    for s in sections:
        for counter, findings in zip(parts, (s.fixed, s.fixed_unsafe, s.remaining, s.introduced), strict=True):
            counter.update(f.code for f in findings)
    codes = set().union(*parts)
    rows = [RuleRow(code, *(counter[code] for counter in parts)) for code in codes]
    return tuple(sorted(rows, key=lambda r: (-(r.found + r.introduced), r.code)))


def percentage(count: int, total: int) -> str:
    """`99.6% (249 of 250)`: as many decimals as it takes for a near miss not to read as 0% or 100%."""
    if total == 0:
        return "no KFP files found"
    for digits in range(1, 10):
        shown = f"{100 * count / total:.{digits}f}"
        if not ((count < total and float(shown) >= 100) or (count > 0 and float(shown) == 0)):
            break
    return f"{shown}% ({count} of {total})"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{code} x{n}" for code, n in sorted(counter.items()))


# --- Markdown ---------------------------------------------------------------------------------------------


def _md_text(text: str) -> str:
    """Inline Markdown from a message: its `code spans` kept, everything else escaped so nothing in a path or a
    user's name becomes markup or raw HTML."""
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_md_escape(text[position : span.start()]))
        parts.append(_md_code(span.group(2)))
        position = span.end()
    parts.append(_md_escape(text[position:]))
    return "".join(parts)


def _md_escape(text: str) -> str:
    text = _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#!~])", r"\\\1", text)


def _md_code(text: str) -> str:
    """A code span that holds any text: a fence longer than any run of backticks inside it."""
    text = _one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def _md_rule(code: str) -> str:
    rule = rule_for(code)
    return f"[{code}]({rule_url(rule)})" if rule is not None else code


def _md_finding(finding: Finding, hint: bool = False) -> str:
    return (
        f"line {finding.line}: {_md_rule(finding.code)}{_name(finding)}: {_md_text(finding.message)}. "
        f"*Why:* {_md_text(_why(finding, hint))}"
    )


def _name(finding: Finding) -> str:
    rule = rule_for(finding.code)
    return f" {rule.name}" if rule is not None else ""


def _why(finding: Finding, hint: bool) -> str:
    """What kfp 2 does with it; with `hint`, whether `--unsafe-fixes` (not tried by the report) would fix it."""
    unsafe_only = applicable(finding.fix, unsafe=True) and not applicable(finding.fix, unsafe=False)
    return CONSEQUENCE[finding.severity] + (". Fixable with `--unsafe-fixes`." if hint and unsafe_only else ".")


def to_markdown(report: MigrationReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    out = [f"# kfp 2 migration report: {_md_code(report.root)}", ""]
    out += [f"**{_md_text(headline(report))}**", "", _md_text(_intro(report)), ""]
    if not report.files:
        return "\n".join(out).rstrip() + "\n"
    out += ["## Readiness", "", _md_text(READINESS_DEFINITION), ""]
    stages = report.stages
    out += ["| | " + " | ".join(s.title for s in stages) + " |", "|---" * (len(stages) + 1) + "|"]
    for label, cells in _readiness_rows(report):
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", "## Findings by rule", ""]
    if not report.rules:
        out += ["No findings.", ""]
    else:
        head = ["code", "name", "kfp 2", "fix", "found", "resolved by `fix`"]
        head += ["resolved by `--unsafe-fixes`"] if report.unsafe_run else []
        head += ["left for a human", "new after fixing"]
        out += ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
        for row in report.rules:
            out.append("| " + " | ".join(_rule_cells(row, report.unsafe_run, _md_rule(row.code))) + " |")
        out.append("")
    out += ["## Files", ""]
    for title, group in _file_groups(report):
        out += [f"### {title} ({len(group)})", ""]
        if group and not group[0].found and not group[0].introduced:
            out += [f"- {_md_code(s.path)}" for s in group] + [""]
            continue
        for section in group:
            out += _md_section(section, report.unsafe_run)
    return "\n".join(out).rstrip() + "\n"


def _md_section(section: FileSection, unsafe_run: bool) -> list[str]:
    out = [f"#### {_md_code(section.path)}", "", _md_text(_verdict(section)), ""]
    if section.fixed:
        out.append(f"- {_md_text(_fixed_line(section))}")
    for heading, findings, hint in _finding_lists(section, unsafe_run):
        out.append(f"- {_md_text(heading)}")
        out += [f"  - {_md_finding(f, hint)}" for f in findings]
    if section.created:
        out.append("- Fixing creates " + ", ".join(_md_code(name) for name in section.created) + ".")
    return [*out, ""]


# --- Plain text shared by both renderers: backticks mark code, nothing else is markup -------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(report: MigrationReport) -> str:
    """One sentence: the readiness at each stage (what `kfp-migrate report` prints)."""
    if not report.files:
        return "No KFP files found."
    stages = ", ".join(f"{percentage(s.ready, report.total)} {s.title}" for s in report.stages)
    return f"Ready for kfp 2: {stages}."


def _intro(report: MigrationReport) -> str:
    if not report.files:
        text = (
            "No KFP files found: no v1 component YAML file (a top-level `implementation`) and no Python module "
            "that imports kfp. There is nothing to migrate here, or the path is not the one meant."
        )
    else:
        components = sum(1 for s in report.files if s.kind == "component")
        text = (
            f"kfp-migrate {__version__} found {_plural(report.total, 'KFP file')}: "
            f"{_plural(components, 'v1 component YAML file')} and "
            f"{_plural(report.total - components, 'Python module')} importing kfp."
        )
        unreadable = sum(1 for s in report.files if s.unreadable)
        if unreadable:
            text += f" {unreadable} of them could not be read or parsed: listed below, they never count as ready."
        if not report.unsafe_run:
            text += " `fix --unsafe-fixes` was not tried."
    if report.other_files:
        text += (
            f" {_plural(report.other_files, 'other file')} {'mentions' if report.other_files == 1 else 'mention'} "
            "`kfp` or `implementation` without being KFP code: not counted."
        )
    if report.unchecked:
        text += (
            f" {_plural(len(report.unchecked), 'rule')} kfp-migrate runs by default "
            f"{'was' if len(report.unchecked) == 1 else 'were'} left out ({_short_list(report.unchecked)}): "
            "the counts cover only the rules that ran."
        )
    return text


def _short_list(codes: Sequence[str], most: int = 8) -> str:
    shown = ", ".join(codes[:most])
    return shown + (f" and {len(codes) - most} more" if len(codes) > most else "")


def _readiness_rows(report: MigrationReport) -> list[tuple[str, list[str]]]:
    total = report.total
    return [
        ("ready for kfp 2", [percentage(s.ready, total) for s in report.stages]),
        ("of which with silent behaviour changes to review", [str(s.ready_with_changes) for s in report.stages]),
        ("not ready: an error left", [str(total - s.ready) for s in report.stages]),
        (
            "findings left: errors / changes / info",
            [
                f"{s.findings.total()}: {s.findings[Severity.ERROR]} / {s.findings[Severity.CHANGE]} / "
                f"{s.findings[Severity.INFO]}"
                for s in report.stages
            ],
        ),
    ]


def _rule_cells(row: RuleRow, unsafe_run: bool, code_cell: str) -> list[str]:
    rule = rule_for(row.code)
    about = [rule.name, rule.severity.value, rule.fix_safety.value] if rule is not None else ["", "", ""]
    counts = [row.found, row.fixed] + ([row.fixed_unsafe] if unsafe_run else []) + [row.remaining, row.introduced]
    return [code_cell, *about, *(str(n) for n in counts)]


def _file_groups(report: MigrationReport) -> list[tuple[str, list[FileSection]]]:
    titles = (
        "Not ready after every fix" if report.unsafe_run else "Not ready after `fix`",
        "Ready, with findings left for a human",
        "Fully fixed by kfp-migrate",
        "Nothing found",
    )
    groups: list[list[FileSection]] = [[] for _ in titles]
    for section in report.files:
        groups[_group(section)].append(section)
    return [(title, group) for title, group in zip(titles, groups, strict=True) if group]


def _fixed_line(section: FileSection) -> str:
    return f"`fix` resolves {len(section.fixed)}: {_counts(Counter(f.code for f in section.fixed))}."


def _finding_lists(section: FileSection, unsafe_run: bool) -> list[tuple[str, tuple[Finding, ...], bool]]:
    """(heading, findings, whether to say `--unsafe-fixes` would fix one) for each list a file shows."""
    lists = [
        (
            f"`fix --unsafe-fixes` also resolves {len(section.fixed_unsafe)}; review each change:",
            section.fixed_unsafe,
            False,
        ),
        (f"Needs a human ({len(section.remaining)}):", section.remaining, not unsafe_run),
        (f"Found only once fixed ({len(section.introduced)}; lines in the fixed file):", section.introduced, False),
    ]
    return [entry for entry in lists if entry[1]]


def _verdict(section: FileSection) -> str:
    if section.unreadable:
        return "kfp-migrate could not read, parse or process it: not ready until a human repairs it."
    states = []
    for title, ready, changes in zip(COMMANDS, section.ready, section.changes, strict=False):
        state = "ready, with changes to review" if ready and changes else "ready" if ready else "not ready"
        states.append(f"{title} {state}")
    applied = [
        f"`{command}` applies {count}" for command, count in zip(FIX_COMMANDS, section.applied, strict=False) if count
    ]
    return "Readiness: " + ", ".join(states) + "." + (f" Fixes: {', '.join(applied)}." if applied else "")


# --- HTML -------------------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1b1b1b; margin: 0; background: #fafafa; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; background: #fff; }
code { font: 0.9em ui-monospace, monospace; background: #f0f0f0; padding: 0 0.2em; border-radius: 3px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td a code { white-space: nowrap; }
p.headline { font-size: 1.15em; font-weight: 600; }
section.file { border-top: 1px solid #e4e4e4; padding-top: 0.3rem; }
h4 { margin: 0.6rem 0 0.2rem; }
.legend span { display: inline-block; margin-right: 1.2rem; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em; }
.fixed { fill: #2e7d32; background: #2e7d32; } .unsafe { fill: #f9a825; background: #f9a825; }
.left { fill: #c62828; background: #c62828; } .new { fill: #757575; background: #757575; }
svg text { font: 12px ui-monospace, monospace; fill: #1b1b1b; }
"""
# The chart's parts, in the order each bar stacks them: (css class, legend).
_SEGMENTS = (
    ("fixed", "resolved by `fix`"),
    ("unsafe", "resolved by `fix --unsafe-fixes`"),
    ("left", "left for a human"),
    ("new", "found only once fixed"),
)
_ROW, _LABEL, _BARS, _TAIL = 22, 300, 360, 70


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _html_text(text: str) -> str:
    """HTML from a message: its `code spans` as <code>, everything escaped."""
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_esc(text[position : span.start()]))
        parts.append(f"<code>{_esc(span.group(2))}</code>")
        position = span.end()
    parts.append(_esc(text[position:]))
    return "".join(parts)


def _html_rule(code: str) -> str:
    rule = rule_for(code)
    return f'<a href="{_esc(rule_url(rule))}"><code>{_esc(code)}</code></a>' if rule is not None else _esc(code)


def _html_finding(finding: Finding, hint: bool = False) -> str:
    return (
        f"<li>line {finding.line}: {_html_rule(finding.code)}{_esc(_name(finding))}: {_html_text(finding.message)}. "
        f"<em>Why:</em> {_html_text(_why(finding, hint))}</li>"
    )


def _chart(rows: Sequence[RuleRow]) -> str:
    """A horizontal stacked bar per rule, drawn as inline SVG: one `<g class="bar">` each."""
    longest = max(row.found + row.introduced for row in rows)
    scale = _BARS / longest
    height = _ROW * len(rows) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LABEL + _BARS + _TAIL}" height="{height}" '
        f'viewBox="0 0 {_LABEL + _BARS + _TAIL} {height}" role="img" aria-label="Findings by rule">'
    ]
    for index, row in enumerate(rows):
        rule = rule_for(row.code)
        label = f"{row.code} {rule.name}" if rule is not None else row.code
        out.append(f'<g class="bar" data-code="{_esc(row.code)}" transform="translate(0,{index * _ROW + 2})">')
        out.append(f'<text x="0" y="15">{_esc(label[:40])}</text>')
        x = float(_LABEL)
        for (css, legend), count in zip(
            _SEGMENTS, (row.fixed, row.fixed_unsafe, row.remaining, row.introduced), strict=True
        ):
            if count:
                width = max(count * scale, 1.5)
                title = f"{row.code}: {count} {legend.replace('`', '')}"
                out.append(
                    f'<rect class="{css}" x="{x:.1f}" y="3" width="{width:.1f}" height="{_ROW - 6}">'
                    f"<title>{_esc(title)}</title></rect>"
                )
                x += width
        total = f"{row.found}" + (f" + {row.introduced} new" if row.introduced else "")
        out.append(f'<text x="{x + 6:.1f}" y="15">{_esc(total)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _html_table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int) -> str:
    """A table whose cells are already HTML; columns from `numeric_from` on are right-aligned."""
    out = ["<table>", "<tr>" + "".join(f"<th>{cell}</th>" for cell in head) + "</tr>"]
    for row in rows:
        cells = (
            f'<td class="n">{cell}</td>' if i >= numeric_from else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(report: MigrationReport) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched."""
    title = f"kfp 2 migration report: {report.root}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>kfp 2 migration report: <code>{_esc(report.root)}</code></h1>",
        f'<p class="headline">{_html_text(headline(report))}</p>',
        f"<p>{_html_text(_intro(report))}</p>",
    ]
    if report.files:
        out += ["<h2>Readiness</h2>", f"<p>{_html_text(READINESS_DEFINITION)}</p>"]
        head = ["", *(_html_text(s.title) for s in report.stages)]
        rows = [[_esc(label), *(_esc(cell) for cell in cells)] for label, cells in _readiness_rows(report)]
        out.append(_html_table(head, rows, 1))
        out.append("<h2>Findings by rule</h2>")
        if report.rules:
            out.append(_chart(report.rules))
            legend = [
                f'<span><i class="{css}"></i>{_html_text(text)}</span>'
                for css, text in _SEGMENTS
                if report.unsafe_run or css != "unsafe"
            ]
            out.append(f'<p class="legend">{"".join(legend)}</p>')
            head = ["code", "name", "kfp 2", "fix", "found", "resolved by <code>fix</code>"]
            head += ["resolved by <code>--unsafe-fixes</code>"] if report.unsafe_run else []
            head += ["left for a human", "new after fixing"]
            cells = (
                [c if i == 0 else _esc(c) for i, c in enumerate(_rule_cells(r, report.unsafe_run, _html_rule(r.code)))]
                for r in report.rules
            )
            out.append(_html_table(head, cells, 4))
        else:
            out.append("<p>No findings.</p>")
        out.append("<h2>Files</h2>")
        for group_title, group in _file_groups(report):
            out.append(f"<h3>{_html_text(group_title)} ({len(group)})</h3>")
            if not group[0].found and not group[0].introduced:
                out.append("<ul>" + "".join(f"<li><code>{_esc(s.path)}</code></li>" for s in group) + "</ul>")
                continue
            out += [_html_section(section, report.unsafe_run) for section in group]
    out += ["</main></body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_section(section: FileSection, unsafe_run: bool) -> str:
    out = [
        '<section class="file">',
        f"<h4><code>{_esc(section.path)}</code></h4>",
        f"<p>{_html_text(_verdict(section))}</p>",
        "<ul>",
    ]
    if section.fixed:
        out.append(f"<li>{_html_text(_fixed_line(section))}</li>")
    for heading, findings, hint in _finding_lists(section, unsafe_run):
        items = "".join(_html_finding(f, hint) for f in findings)
        out.append(f"<li>{_html_text(heading)}<ul>{items}</ul></li>")
    if section.created:
        names = ", ".join(f"<code>{_esc(name)}</code>" for name in section.created)
        out.append(f"<li>Fixing creates {names}.</li>")
    out += ["</ul>", "</section>"]
    return "\n".join(out)
