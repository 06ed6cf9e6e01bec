"""Rule metadata is complete and well formed; docs/rules.md is generated from it and up to date."""

from __future__ import annotations

import pytest

from migrate.docs import RULE_INDEX, RULES_MD, render_all, render_index
from migrate.model import FileRule, FixSafety, Rule
from migrate.registry import CODE_PATTERN, NAME_PATTERN, all_rules
from tests.conftest import FIXTURES

RULES = all_rules()


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_metadata_is_complete(rule: type[Rule]) -> None:
    assert CODE_PATTERN.match(rule.code)
    assert NAME_PATTERN.match(rule.name)
    assert rule.summary.startswith("Checks for ") and rule.summary.endswith(".")
    assert not rule.message.endswith(".")
    assert rule.rationale
    assert rule.fix_safety is FixSafety.SAFE or rule.fix_safety_note
    assert rule.valid, "every rule needs a valid example"
    if rule.fix_safety is not FixSafety.NONE:
        assert rule.fix_title
    if not issubclass(rule, FileRule):
        assert rule.invalid, "every rule needs an invalid example"
        assert (FIXTURES / rule.code).is_dir(), f"fixtures/{rule.code} is missing"


def test_no_orphaned_fixture_dirs() -> None:
    codes = {r.code for r in RULES}
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in codes) == []


def test_rules_md_is_up_to_date() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == render_all(), "run `python -m migrate.docs`"


def test_rule_index_is_up_to_date() -> None:
    assert RULE_INDEX.read_text(encoding="utf-8") == render_index(), "run `python -m migrate.docs`"
