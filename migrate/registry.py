"""Finds every rule under `rules/` and selects them by code prefix."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache

from migrate.model import Rule

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


def select(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> tuple[type[Rule], ...]:
    """Rules whose code starts with a `select` prefix (all when empty) and with no `ignore` prefix."""
    chosen = [s.strip().upper() for s in select if s.strip()]
    ignored = [s.strip().upper() for s in ignore if s.strip()]
    codes = [rule.code for rule in all_rules()]
    for selector in chosen + ignored:
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            raise UnknownCodeError(f"`{selector}` is not a rule code or a prefix of one (see `kfp-migrate rules`)")
    return tuple(
        rule
        for rule in all_rules()
        if (not chosen or any(_matches(rule.code, s) for s in chosen))
        and not any(_matches(rule.code, s) for s in ignored)
    )
