"""A check on a quick tree (built from `ast` by migrate.cst_from_ast) finds exactly what the LibCST tree finds.

Compared for every Python fixture and rule example with every Python rule: code, message, place, severity,
and whether there is a fix and how safe it is; the fixes' edits too, unless rules read whitespace the quick tree
does not know (then the fix is `provisional`). `fix` with quick re-checks writes the same text as without.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from migrate import python_source
from migrate.engine import check_text, fix_text
from migrate.model import Edit, Finding, FixSafety, Located, PythonRule, Severity, any_provisional
from migrate.registry import all_rules
from tests.conftest import FIXTURES

PYTHON_RULES = tuple(rule for rule in all_rules() if issubclass(rule, PythonRule))


def _texts() -> Iterator[tuple[str, str]]:
    for path in sorted(FIXTURES.glob("**/*.py")):
        yield str(path.relative_to(FIXTURES)), path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    for rule in PYTHON_RULES:
        for i, text in enumerate(rule.valid):
            yield f"{rule.code}-valid-{i}", text
        for i, example in enumerate(rule.invalid):
            yield f"{rule.code}-invalid-{i}", example.source
            if example.fixed is not None:
                yield f"{rule.code}-fixed-{i}", example.fixed


TEXTS = dict(_texts())


def _seen(findings: list[Finding]) -> list[tuple[object, ...]]:
    """What a check shows of each finding: all but the fix's edits."""
    return [
        (f.code, f.message, f.line, f.col, f.end_line, f.end_col, f.severity, f.fix and (f.fix.title, f.fix.safety))
        for f in findings
    ]


def _quick_built(text: str) -> bool:
    return python_source.PythonSource(text, "m.py", quick=True).quick


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_quick_findings_are_libcst_findings(name: str) -> None:
    text = TEXTS[name]
    exact = check_text(text, "module.py", PYTHON_RULES)
    quick = check_text(text, "module.py", PYTHON_RULES, quick=True)
    assert _seen(quick) == _seen(exact)
    assert not any(f.fix and f.fix.provisional for f in exact)
    # A fix found without reading the whitespace the quick tree does not know is LibCST's fix, edits and all.
    assert _edits(quick) == [edits if not provisional else None for edits, provisional in _edits(exact, quick)]


def _edits(findings: list[Finding], quick: list[Finding] | None = None) -> list:
    if quick is None:
        return [None if f.fix is None or f.fix.provisional else f.fix.edits for f in findings]
    return [
        (f.fix and f.fix.edits, q.fix is not None and q.fix.provisional) for f, q in zip(findings, quick, strict=True)
    ]


def test_most_quick_fixes_are_exact() -> None:
    """Quick trees save `fix` a LibCST parse only where rules read no whitespace: most fixes."""
    fixes = [f.fix for text in TEXTS.values() for f in check_text(text, "module.py", PYTHON_RULES, quick=True) if f.fix]
    assert sum(not fix.provisional for fix in fixes) > 0.8 * len(fixes)


def test_most_examples_get_a_quick_tree() -> None:
    """The comparison above means little if the quick builder declined every text."""
    built = [name for name, text in TEXTS.items() if "kfp" in text and _quick_built(text)]
    assert len(built) > 0.9 * sum(1 for text in TEXTS.values() if "kfp" in text)


@pytest.mark.parametrize("name", sorted(n for n in TEXTS if n.endswith(".in.py")))
def test_fix_with_quick_rechecks_writes_the_same(name: str) -> None:
    text = TEXTS[name]
    exact = fix_text(text, "module.py", PYTHON_RULES, unsafe=True)
    quick = fix_text(text, "module.py", PYTHON_RULES, unsafe=True, quick=True)
    assert quick.fixed == exact.fixed
    assert quick.applied == exact.applied
    assert _seen(list(quick.findings)) == _seen(list(exact.findings))


def test_a_text_ast_rejects_is_reported_as_without_quick() -> None:
    text = "import kfp\ndef f(:\n    pass\n"
    assert check_text(text, "m.py", PYTHON_RULES, quick=True) == check_text(text, "m.py", PYTHON_RULES)


def _provisional(name: str) -> bool:
    return any_provisional(check_text(TEXTS[name], "module.py", PYTHON_RULES, quick=True))


def test_fixes_found_reading_whitespace_are_provisional_and_never_applied(tmp_path: Path) -> None:
    name = next(n for n in sorted(TEXTS) if n.endswith(".in.py") and _quick_built(TEXTS[n]) and _provisional(n))
    findings = check_text(TEXTS[name], "module.py", PYTHON_RULES, quick=True)
    fixed = [f for f in findings if f.fix is not None]
    assert fixed and all(f.fix is not None and f.fix.provisional for f in fixed)
    # Given as known findings, provisional fixes are found again with LibCST before anything is applied.
    outcome = fix_text(TEXTS[name], "module.py", PYTHON_RULES, unsafe=True, known=findings, quick=True)
    assert outcome.fixed == fix_text(TEXTS[name], "module.py", PYTHON_RULES, unsafe=True).fixed


class _NeedsWhitespace(PythonRule):
    """Reads a comment, which a quick tree leaves out: a quick check must not fail on such a rule."""

    code = "KFP999"
    name = "needs-whitespace"
    summary = message = rationale = "test only"
    severity = Severity.INFO
    fix_safety = FixSafety.NONE

    def check(self, src: python_source.PythonSource) -> Iterator[Located]:
        statement = src.module.body[0]
        assert isinstance(statement, cst.SimpleStatementLine)
        comment = statement.trailing_whitespace.comment
        assert comment is not None
        yield Located(*src.span(comment), "a comment")


class _FixesAtTop(_NeedsWhitespace):
    """A fix that reads no whitespace: it reads code as written, and codegen of a one-line expression."""

    code = "KFP998"
    fix_safety = FixSafety.SAFE

    def check(self, src: python_source.PythonSource) -> Iterator[Located]:
        python_source.node_code(src.module.body[1], as_written=True)
        python_source.node_code(src.module.body[1].test, as_written=False)
        yield Located(0, 0, "here", self.fix(Edit(0, 0, "# here\n")))


@pytest.mark.parametrize("read", ["len", "isinstance", "iterate", "code"])
def test_a_fix_that_read_whitespace_is_provisional(read: str) -> None:
    class ReadsWhitespace(_FixesAtTop):
        def check(self, src: python_source.PythonSource) -> Iterator[Located]:
            statement = src.module.body[-1]
            assert isinstance(statement, cst.SimpleStatementLine)
            if read == "len":
                len(statement.leading_lines)
            elif read == "isinstance":
                isinstance(statement.trailing_whitespace.newline, cst.Newline)
            elif read == "iterate":
                list(src.module.header)
            else:  # an indented block's code generation is not its text
                python_source.node_code(src.module.body[1], as_written=False)
            yield from super().check(src)

    text = "import kfp\nif kfp:\n    pass\n\n\nx = 1\n"
    assert python_source.PythonSource(text, "m.py", quick=True).quick
    assert any_provisional(check_text(text, "m.py", [ReadsWhitespace], quick=True))
    untouched = check_text(text, "m.py", [_FixesAtTop], quick=True)
    assert untouched and not any_provisional(untouched)


def test_a_rule_a_quick_tree_cannot_serve_gets_libcsts_tree() -> None:
    text = "import kfp  # the comment\n"
    assert python_source.PythonSource(text, "m.py", quick=True).quick
    quick = check_text(text, "m.py", [_NeedsWhitespace], quick=True)
    assert _seen(quick) == _seen(check_text(text, "m.py", [_NeedsWhitespace])) != []
