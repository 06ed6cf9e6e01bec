"""Every rule's own valid and invalid examples, as in Fixit."""

from __future__ import annotations

import pytest

from migrate.engine import check_text, fix_text
from migrate.model import Example, FileRule, Rule
from migrate.registry import all_rules
from migrate.runner import decode


def _source_text(rule: type[Rule], source: str) -> str | None:
    """File rules' examples are raw bytes written as str (surrogateescape); decode as the runner does."""
    decoded = decode(source.encode("utf-8", "surrogateescape"), "example.yaml")
    return decoded if isinstance(decoded, str) else None


VALID = [(rule, i, source) for rule in all_rules() for i, source in enumerate(rule.valid)]
INVALID = [(rule, i, example) for rule in all_rules() for i, example in enumerate(rule.invalid)]


@pytest.mark.parametrize(("rule", "index", "source"), VALID, ids=[f"{r.code}-valid-{i}" for r, i, _ in VALID])
def test_valid_example_has_no_finding(rule: type[Rule], index: int, source: str) -> None:
    assert check_text(source, rule.example_path(), [rule]) == []


@pytest.mark.parametrize(("rule", "index", "example"), INVALID, ids=[f"{r.code}-invalid-{i}" for r, i, _ in INVALID])
def test_invalid_example_is_found_and_fixed(rule: type[Rule], index: int, example: Example) -> None:
    if issubclass(rule, FileRule) and rule.code == "KFP001":
        decoded = decode(example.source.encode("utf-8", "surrogateescape"), "example.yaml")
        assert not isinstance(decoded, str) and decoded.code == rule.code
        return
    findings = check_text(example.source, rule.example_path(), [rule])
    assert [f.code for f in findings] and {f.code for f in findings} == {rule.code}
    safe = fix_text(example.source, rule.example_path(), [rule], unsafe=False)
    unsafe = fix_text(example.source, rule.example_path(), [rule], unsafe=True)
    if example.fixed is None:
        assert unsafe.fixed is None
    elif example.unsafe:
        assert safe.fixed is None, "an unsafe example must not be fixed without --unsafe-fixes"
        assert unsafe.fixed == example.fixed
    else:
        assert safe.fixed == example.fixed
