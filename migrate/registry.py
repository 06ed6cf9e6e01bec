"""Finds every rule under `rules/` and selects them by code prefix."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache

from migrate.model import Rule
from migrate.rule_index import RULES

CODE_PATTERN = re.compile(r"^(KFP[0-9]\d\d|GW\d\d\d)$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class UnknownCodeError(ValueError):
    """A --select/--ignore value that names no rule and no prefix of one."""


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every concrete rule class, sorted by code. Modules whose name starts with `_` are helpers."""
    import rules

    found: dict[str, type[Rule]] = {}
    for module_info in pkgutil.walk_packages(rules.__path__, "rules."):
        if module_info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            is_rule = isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__
            if is_rule and getattr(value, "code", None):
                if value.code in found and found[value.code] is not value:
                    raise RuntimeError(f"rule code {value.code} is defined twice")
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def validate(selectors: Iterable[str], where: str = "") -> list[str]:
    """`selectors` upper-cased; an error for one that is neither `ALL` nor a code or prefix of one."""
    codes = [row[0] for row in RULES]
    cleaned = [s.strip().upper() for s in selectors if s.strip()]
    for selector in cleaned:
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            raise UnknownCodeError(
                f"{where}`{selector}` is not a rule code or a prefix of one (see `kfp-migrate rules`)"
            )
    return cleaned


def select_codes(
    select: Iterable[str] | None = (), ignore: Iterable[str] = (), extend_select: Iterable[str] = ()
) -> tuple[str, ...]:
    """Codes starting with a `select` prefix (those enabled by default when none is given) or an
    `extend_select` prefix, and with no `ignore` prefix. A rule off by default runs only when a selector
    names it: by its code or prefix, or `ALL`. Reads the generated index: imports no rule."""
    chosen = validate(select or ())
    ignored = validate(ignore)
    extended = validate(extend_select)
    picked = [
        code
        for code, _, _, default in RULES
        if (any(_matches(code, s) for s in chosen) if chosen else default) or any(_matches(code, s) for s in extended)
    ]
    return tuple(code for code in picked if not any(_matches(code, s) for s in ignored))


def select(
    select: Iterable[str] | None = (), ignore: Iterable[str] = (), extend_select: Iterable[str] = ()
) -> tuple[type[Rule], ...]:
    """The rule classes `select_codes` picks."""
    return rule_classes(select_codes(select, ignore, extend_select))


@cache
def rule_classes(codes: Iterable[str], languages: frozenset[str] | None = None) -> tuple[type[Rule], ...]:
    """The classes of `codes`, importing only their modules (and, given `languages`, only rules for those)."""
    wanted = set(codes)
    modules = {
        module for code, module, language, _ in RULES if code in wanted and (not languages or language in languages)
    }
    found: list[type[Rule]] = []
    for module_name in sorted(modules):
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            is_rule = isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module_name
            if is_rule and getattr(value, "code", None) in wanted:
                found.append(value)
    return tuple(sorted(found, key=lambda rule: rule.code))
