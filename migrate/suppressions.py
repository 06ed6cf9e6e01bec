"""`# noqa: KFP101` and `# kfp-migrate: ignore[KFP101]` comments, in YAML and Python alike.

A suppression covers findings that start on its line. A bare `# noqa` or `# kfp-migrate: ignore` covers
every code there, as in ruff. A suppressed finding is dropped before fixes are chosen, so `fix` leaves its
text alone too. Only real comments count: a `#` inside a Python string or a YAML scalar (a block script,
a quoted value) is text, not a directive. Codes that are not ours (`# noqa: E501`) are left to their tools.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate.lines import LineIndex
from migrate.model import Edit, Finding, Fix, FixSafety, Severity

if TYPE_CHECKING:
    from migrate.yaml_source import Node

# Cheap first look: most files have no directive at all, and then nothing is tokenized.
ANY_DIRECTIVE = re.compile(r"#\s*(?:noqa|kfp-migrate\s*:)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+|\s+[A-Z]+[0-9]+)*))?", re.I)
_OWN = re.compile(r"#\s*kfp-migrate\s*:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]+[0-9]+")
OUR_CODE = re.compile(r"^(KFP|GW)[0-9]+$")


@dataclass(frozen=True)
class CodeSpan:
    code: str
    start: int  # offsets of the code in the text, for a fix that removes it
    end: int


@dataclass(frozen=True)
class Suppression:
    line: int
    start: int  # the directive's `#`
    end: int  # the end of the directive
    codes: tuple[CodeSpan, ...] | None  # None: every code (a bare directive)

    def covers(self, code: str) -> bool:
        return self.codes is None or any(span.code == code for span in self.codes)


def python_comments(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each comment, from the tokenizer; a file it cannot read has none we trust."""
    lines = LineIndex(text)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                yield lines.starts[row - 1] + col, token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def yaml_comments(text: str, root: Node | None) -> Iterator[tuple[int, str]]:
    """(offset, text) of each `#` that starts a YAML comment: after a space or at a line start, and not
    inside any scalar's text."""
    inside = sorted(_scalar_spans(root))
    for match in re.finditer(r"(?:(?<=[ \t])|^)#[^\r\n]*", text, re.MULTILINE):
        offset = match.start()
        if not any(start <= offset < end for start, end in inside):
            yield offset, match.group()


def _scalar_spans(root: Node | None) -> Iterator[tuple[int, int]]:
    from migrate.yaml_source import children  # PyYAML: only for YAML files

    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        below = children(node)
        if below:
            stack.extend(below)
        elif isinstance(node.value, str):
            yield node.start_mark.index, node.end_mark.index


def parse(comments: Iterable[tuple[int, str]], lines: LineIndex) -> list[Suppression]:
    found: list[Suppression] = []
    for offset, comment in comments:
        # A comment can hold several directives: a noqa for another tool, then ours.
        for pattern in (_NOQA, _OWN):
            for match in pattern.finditer(comment):
                raw = match.group("codes")
                line = lines.position(offset)[0]
                if raw is None:
                    codes = None
                else:
                    base = offset + match.start("codes")
                    codes = tuple(
                        CodeSpan(m.group().upper(), base + m.start(), base + m.end()) for m in _CODE.finditer(raw)
                    )
                found.append(Suppression(line, offset + match.start(), offset + match.end(), codes))
    return found


def suppressions(text: str, lines: LineIndex, python: bool, root: Node | None = None) -> list[Suppression]:
    if not ANY_DIRECTIVE.search(text):
        return []
    comments = python_comments(text) if python else yaml_comments(text, root)
    return parse(comments, lines)


def split(findings: Sequence[Finding], found: Sequence[Suppression]) -> tuple[list[Finding], set[tuple[int, str]]]:
    """The findings no suppression covers, and which (suppression index, code) pairs were used."""
    by_line: dict[int, list[int]] = {}
    for index, suppression in enumerate(found):
        by_line.setdefault(suppression.line, []).append(index)
    kept: list[Finding] = []
    used: set[tuple[int, str]] = set()
    for finding in findings:
        covering = [i for i in by_line.get(finding.line, ()) if found[i].covers(finding.code)]
        if not covering:
            kept.append(finding)
        for index in covering:
            used.add((index, finding.code if found[index].codes is not None else "*"))
    return kept, used


def unused(
    text: str, path: str, found: Sequence[Suppression], used: set[tuple[int, str]], selected: set[str], known: set[str]
) -> Iterator[Finding]:
    """KFP009 findings: our codes in a suppression that covered nothing although the rule ran, and codes
    that name no rule. Bare directives and other tools' codes are never reported."""
    lines = LineIndex.for_path(text, path)
    for index, suppression in enumerate(found):
        for span in suppression.codes or ():
            if not OUR_CODE.match(span.code):
                continue
            if span.code not in known:
                detail = f"`{span.code}` in a suppression comment is not a kfp-migrate rule code"
            elif span.code in selected and (index, span.code) not in used:
                detail = f"Unused suppression: no `{span.code}` finding on this line"
            else:
                continue
            line, col = lines.position(span.start)
            end_line, end_col = lines.position(span.end)
            fix = _removal(text, suppression, span)
            yield Finding("KFP009", detail, path, line, col, end_line, end_col, Severity.INFO, fix)


def _removal(text: str, suppression: Suppression, span: CodeSpan) -> Fix | None:
    """Remove one code from a list, or the whole directive when it is the comment's only content."""
    codes = suppression.codes or ()
    if len(codes) > 1:
        position = codes.index(span)
        start, end = (codes[position - 1].end, span.end) if position else (span.start, codes[1].start)
        return Fix(f"Remove `{span.code}` from the suppression", FixSafety.SAFE, (Edit(start, end, ""),))
    line_end = len(text)
    for stop in ("\r", "\n"):
        found = text.find(stop, suppression.end)
        if found != -1:
            line_end = min(line_end, found)
    if text[suppression.end : line_end].strip():
        return None  # the comment goes on after the directive: removing the directive would break the line
    line_start = max(text.rfind("\n", 0, suppression.start), text.rfind("\r", 0, suppression.start)) + 1
    before = text[line_start : suppression.start]
    if not before.strip():  # a comment-only line: remove the line
        after = line_end + (2 if text.startswith("\r\n", line_end) else 1 if line_end < len(text) else 0)
        return Fix("Remove the unused suppression", FixSafety.SAFE, (Edit(line_start, after, ""),))
    start = line_start + len(before.rstrip(" \t"))
    return Fix("Remove the unused suppression", FixSafety.SAFE, (Edit(start, line_end, ""),))
