"""The pure core: text in, findings and fixed text out. Nothing here touches the disk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.languages import BOM, IMPORTS_KFP, LOOKS_LIKE_COMPONENT, LOOKS_LIKE_KFP, imports_kfp, is_python
from migrate.lines import LineIndex
from migrate.model import (
    Edit,
    Finding,
    Fix,
    Located,
    NewFile,
    PythonRule,
    Rule,
    Severity,
    YamlRule,
    any_provisional,
    applicable,
    joined_edits,
)
from migrate.suppressions import Suppression, split, suppressions, unused

if TYPE_CHECKING:
    from migrate.python_source import PythonSource
    from migrate.yaml_source import YamlProblem

__all__ = ["BOM", "IMPORTS_KFP", "Outcome", "applicable", "check_file", "check_text", "fix_text", "is_python"]

MAX_PASSES = 25


@dataclass(frozen=True)
class Outcome:
    """What came of one file: the findings left, the fixed text (None if unchanged), fixes applied."""

    findings: tuple[Finding, ...]
    fixed: str | None = None
    applied: int = 0
    created: tuple[NewFile, ...] = ()  # files the applied fixes create beside this one
    creators: frozenset[str] = frozenset()  # codes of the rules whose fixes create them


def problem_finding(problem: YamlProblem, text: str, path: str) -> Finding:
    line, col = LineIndex(text).position(problem.offset)
    return Finding(problem.code, problem.message, path, line, col, line, col, Severity.ERROR)


def _to_finding(rule: type[Rule], located: Located, lines: LineIndex, path: str) -> Finding:
    line, col = lines.position(located.start)
    end_line, end_col = lines.position(located.end)
    severity = located.severity or rule.severity
    return Finding(rule.code, located.message, path, line, col, end_line, end_col, severity, located.fix)


def check_text(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    explicit: bool = True,
    foreign: CrossFile = NO_CROSS_FILE,
    quick: bool = False,
) -> list[Finding]:
    """Findings for one file's text (BOM already removed); the suffix of `path` picks the language.
    `foreign`: what the other scanned files say about this one (callers, loaded components). `quick`: a Python
    module is read on a tree built from `ast` where it can be (cheaper); its fixes are `provisional` (no edits to
    trust) where a rule read whitespace that tree does not know."""
    return check_file(text, path, rules, explicit, foreign, quick)[0]


def check_file(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    explicit: bool = True,
    foreign: CrossFile = NO_CROSS_FILE,
    quick: bool = False,
) -> tuple[list[Finding], bool]:
    """`check_text`, and whether the text is KFP code: a v1 component, or a module that imports kfp (also
    when it does not parse but plainly looks like one)."""
    if is_python(path):
        return _check_python(text, path, rules, explicit, foreign, quick)
    return _check_yaml(text, path, rules, explicit)


def _check_python(
    text: str, path: str, rules: Sequence[type[Rule]], explicit: bool, foreign: CrossFile, quick: bool
) -> tuple[list[Finding], bool]:
    """Modules that do not import kfp yield none."""
    if not imports_kfp(text):
        # No kfp import: no rule applies. A named file still gets its syntax error, from `ast` (no LibCST).
        return (_syntax_error(text, path, rules) if explicit else []), False
    from migrate.python_source import PythonProblem, PythonSource  # LibCST: only when a module is parsed
    from migrate.unknown_whitespace import reads as whitespace_reads

    try:
        src = PythonSource(text, path, foreign, quick)
    except PythonProblem as problem:
        looks_like_kfp = LOOKS_LIKE_KFP.search(text) is not None
        if (explicit or looks_like_kfp) and _selected("KFP008", rules):
            finding = Finding("KFP008", problem.message, path, problem.line, problem.col, problem.line, problem.col)
            return [finding], looks_like_kfp
        return [], looks_like_kfp
    reads = whitespace_reads()
    try:
        found = _python_findings(src, rules)
    except Exception:  # a rule wanting what a quick tree leaves out (whitespace): LibCST's tree has it
        if not src.quick:
            raise
        src = PythonSource(text, path, foreign)
        found = _python_findings(src, rules)
    if found is None:
        return [], False
    if src.quick and whitespace_reads() != reads:  # the rules read whitespace the quick tree does not know
        found = [replace(f, fix=replace(f.fix, provisional=True)) if f.fix else f for f in found]
    return _unsuppressed(found, suppressions(text, src.lines, python=True), text, path, rules), True


def _python_findings(src: PythonSource, rules: Sequence[type[Rule]]) -> list[Finding] | None:
    """The Python rules' findings; None for a module that is no KFP code."""
    from migrate.python_source import reading
    from rules._python import kfp_module

    findings: list[Finding] = []
    with reading(src):
        if not kfp_module(src).is_kfp():
            return None
        for rule in rules:
            if issubclass(rule, PythonRule):
                findings.extend(_to_finding(rule, located, src.lines, src.path) for located in rule().check(src))
    return findings


def _syntax_error(text: str, path: str, rules: Sequence[type[Rule]]) -> list[Finding]:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not errors
            ast.parse(text)
    except SyntaxError as error:
        if _selected("KFP008", rules):
            line, col = error.lineno or 1, error.offset or 1
            return [Finding("KFP008", f"Python syntax error: {error.msg}", path, line, col, line, col)]
    except (ValueError, RecursionError, MemoryError):
        pass
    return []


def _check_yaml(text: str, path: str, rules: Sequence[type[Rule]], explicit: bool) -> tuple[list[Finding], bool]:
    """Non-component YAML yields none."""
    from migrate.yaml_source import YamlProblem, YamlSource  # PyYAML: only when a YAML file is parsed
    from rules.yaml_components._common import component

    try:
        src = YamlSource(text, path)
    except YamlProblem as problem:
        looks_like_component = LOOKS_LIKE_COMPONENT.search(text) is not None
        if (explicit or looks_like_component) and _selected(problem.code, rules):
            return [problem_finding(problem, text, path)], looks_like_component
        return [], looks_like_component
    is_component = component(src) is not None
    if not is_component and not explicit:
        return [], False
    findings: list[Finding] = []
    for rule in rules:
        if issubclass(rule, YamlRule) and (is_component or rule.applies_to_non_components):
            findings.extend(_to_finding(rule, located, src.lines, path) for located in rule().check(src))
    src.cache.clear()  # its analyses refer back to `src`: without the cycle the tree is freed at once
    found = suppressions(text, src.lines, python=False, root=src.root)
    return _unsuppressed(findings, found, text, path, rules), is_component


def _unsuppressed(
    findings: list[Finding], found: list[Suppression], text: str, path: str, rules: Sequence[type[Rule]]
) -> list[Finding]:
    """Drop what suppression comments cover (before any fix is chosen), and report unused ones (KFP009)."""
    if found:
        findings, used = split(findings, found)
        if _selected("KFP009", rules):
            selected = {rule.code for rule in rules}
            findings.extend(unused(text, path, found, used, selected, known_codes()))
    return sorted(_without_unmet_requirements(findings), key=Finding.sort_key)


def _without_unmet_requirements(findings: list[Finding]) -> list[Finding]:
    """A fix whose `requires` are not all fixes of findings here (a rule not selected, a finding suppressed)
    cannot be applied: the finding is left without it."""
    if not any(f.fix is not None and f.fix.requires for f in findings):
        return findings  # (most files: nothing to look up)
    while True:
        # (the fixes required are as their rule made them: not provisional)
        present = {replace(f.fix, provisional=False) for f in findings if f.fix is not None}
        unmet = [f for f in findings if f.fix is not None and not present.issuperset(f.fix.requires)]
        if not unmet:
            return findings
        findings = [replace(f, fix=None) if f in unmet else f for f in findings]


def known_codes() -> set[str]:
    from migrate.rule_index import RULES  # every code, without importing a rule

    return {row[0] for row in RULES}


def _selected(code: str, rules: Sequence[type[Rule]]) -> bool:
    return any(rule.code == code for rule in rules)


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, int]:
    """Apply every fix that overlaps no fix already taken, in order of its first edit."""
    chosen = chosen_fixes(fixes)
    edits = sorted(
        joined_edits(edit for fix in chosen for edit in fix.edits), key=lambda e: (e.start, e.end), reverse=True
    )
    for edit in edits:
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text, len(chosen)


def chosen_fixes(fixes: Sequence[Fix]) -> list[Fix]:
    """The fixes one pass applies: each conflicts with no fix taken before it, in order of its first edit, and
    comes with every fix it `requires` (those first: a fix is taken once they are). Insertions that join
    (`Edit.joins`) do not conflict."""
    taken: list[Edit] = []
    chosen: list[Fix] = []
    waiting = sorted(fixes, key=lambda f: min((e.start, e.end) for e in f.edits))
    while waiting:
        held: list[Fix] = []
        for fix in waiting:
            if fix.requires and not all(required in chosen for required in fix.requires):
                held.append(fix)
                continue
            edits = fix.edits
            if any(_conflict(edit, other) for edit in edits for other in taken):
                continue
            if any(_conflict(a, b) for i, a in enumerate(edits) for b in edits[i + 1 :]):
                continue
            taken.extend(edits)
            chosen.append(fix)
        if len(held) == len(waiting):
            break  # what they require is not taken this pass
        waiting = held
    return chosen


def _conflict(a: Edit, b: Edit) -> bool:
    if a.joins(b) or _inserted_beside_deletion(a, b) or _inserted_beside_deletion(b, a):
        return False
    return _overlaps((a.start, a.end), (b.start, b.end))


def _inserted_beside_deletion(insertion: Edit, deletion: Edit) -> bool:
    """Text inserted at either end of a deletion: the same result whichever is taken as first."""
    return (
        insertion.start == insertion.end
        and not deletion.text
        and deletion.start < deletion.end
        and insertion.start in (deletion.start, deletion.end)
    )


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # An insertion touching another edit's span conflicts with it: which text comes first would be
    # arbitrary. The later fix is retried on the next pass, against the re-parsed text.
    if a[0] == a[1] or b[0] == b[1]:
        return b[0] <= a[0] <= b[1] or a[0] <= b[0] <= a[1]
    return a[0] < b[1] and b[0] < a[1]


def fix_text(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    unsafe: bool = False,
    foreign: CrossFile = NO_CROSS_FILE,
    known: Sequence[Finding] | None = None,
    quick: bool = False,
) -> Outcome:
    """Fix until nothing applicable is left (at most MAX_PASSES), re-parsing after every pass. `known`: the
    findings of `text` with these rules, when the caller has them already. `quick`: each pass's result is first
    checked on a quick tree (`check_text`), and parsed with LibCST only when a fix is left to apply; the findings
    left may then have provisional fixes."""
    current, applied = text, 0
    created: dict[str, NewFile] = {}
    creators: set[str] = set()
    checked: tuple[str, list[Finding]] | None = (text, list(known)) if known is not None else None

    def check(current: str, exact: bool = True) -> list[Finding]:
        """The findings of `current`; with `exact`, with edits that can be applied."""
        nonlocal checked
        if checked is None or checked[0] != current or (exact and any_provisional(checked[1])):
            checked = (current, check_text(current, path, rules, foreign=foreign, quick=not exact))
        return checked[1]

    for _ in range(MAX_PASSES):
        if quick and is_python(path):  # (YAML has no quick tree: its findings are exact already)
            findings = check(current, exact=False)
            fixable = {f.code for f in findings if applicable(f.fix, unsafe)}
            if not fixable:
                break
            if any_provisional(findings):
                # Only the rules with a fix to apply find it again on LibCST's tree: the others add no fix.
                findings = check_text(current, path, _fixing(rules, fixable), foreign=foreign)
        else:
            findings = check(current)
        fixes = [f.fix for f in findings if f.fix is not None and applicable(f.fix, unsafe)]
        if not fixes:
            break
        for fix in chosen_fixes(fixes):
            if fix.creates:
                created.update((new.name, new) for new in fix.creates)
                creators.update(f.code for f in findings if f.fix is fix)
        candidate, count = apply_fixes(current, fixes)
        broken = _parse_problem(candidate, path, quick)
        if broken:
            return _refused(text, path, rules, f"a fix produced {broken}; nothing was written", foreign)
        if candidate == current:
            break
        current, applied = candidate, applied + count
    else:
        if any(applicable(f.fix, unsafe) for f in check(current)):
            detail = f"fixes did not settle after {MAX_PASSES} passes; nothing was written"
            return _refused(text, path, rules, detail, foreign)
    remaining = tuple(check(current, exact=not quick))
    if current == text:
        created.clear()
    return Outcome(
        remaining, current if current != text else None, applied, tuple(created.values()), frozenset(creators)
    )


def _fixing(rules: Sequence[type[Rule]], fixable: set[str]) -> Sequence[type[Rule]]:
    """The rules that find the fixes of `fixable`; all of them where one is KFP009's (which suppressions are
    unused depends on every rule's findings)."""
    if "KFP009" in fixable:
        return rules
    return [rule for rule in rules if rule.code in fixable or not issubclass(rule, PythonRule)]


def _parse_problem(text: str, path: str, quick: bool = False) -> str | None:
    """Why `text` does not parse in its language, or None. `quick`: as `PythonSource` with `quick` sees it."""
    if is_python(path):
        from migrate.python_source import PythonProblem, PythonSource

        try:
            PythonSource(text, path, quick=quick)
        except PythonProblem as problem:
            return f"invalid Python ({problem.message}, line {problem.line})"
        return None
    from migrate.yaml_source import YamlProblem, YamlSource

    try:
        YamlSource(text, path)
    except YamlProblem as problem:
        return f"invalid YAML ({problem})"
    return None


def _refused(text: str, path: str, rules: Sequence[type[Rule]], detail: str, foreign: CrossFile) -> Outcome:
    findings = check_text(text, path, rules, foreign=foreign)
    refusal = Finding("KFP007", detail, path, 1, 1, 1, 1, Severity.ERROR)
    return Outcome(tuple([refusal, *(replace(f, fix=None) for f in findings)]))
