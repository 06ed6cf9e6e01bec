"""Before/after fixture pairs under fixtures/<CODE>/, collected automatically.

`<case>.in.yaml` is checked with only <CODE> selected; `<case>.findings` holds the expected findings
(`line:col CODE message`), `<case>.out.yaml` the text after safe and unsafe fixes (absent: unchanged).
Run with UPDATE_FIXTURES=1 to rewrite the expectations, then review `git diff`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate.engine import check_text, fix_text
from migrate.registry import rule_by_code
from tests.conftest import FIXTURES

CASES = sorted(p for p in FIXTURES.glob("KFP*/*.in.*"))


def _expected_paths(case: Path) -> tuple[Path, Path]:
    stem = case.name.split(".in.")[0]
    return case.with_name(f"{stem}.findings"), case.with_name(f"{stem}.out{case.suffix}")


def _render(findings: list) -> str:
    return "".join(f"{f.line}:{f.col} {f.code} {f.message}\n" for f in findings)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name.split('.in.')[0]}")
def test_fixture(case: Path) -> None:
    rule = rule_by_code(case.parent.name)
    assert rule is not None, f"fixtures/{case.parent.name} names no rule"
    text = case.read_bytes().decode("utf-8").removeprefix("\ufeff")
    findings_path, out_path = _expected_paths(case)
    findings = check_text(text, case.name, [rule])
    outcome = fix_text(text, case.name, [rule], unsafe=True)
    fixed = outcome.fixed if outcome.fixed is not None else text
    if os.environ.get("UPDATE_FIXTURES"):
        findings_path.write_text(_render(findings), encoding="utf-8", newline="")
        if outcome.fixed is not None:
            out_path.write_bytes(fixed.encode("utf-8"))
        elif out_path.exists():
            out_path.unlink()
    assert findings, "a fixture must trigger its rule"
    assert _render(findings) == findings_path.read_text(encoding="utf-8")
    expected = out_path.read_bytes().decode("utf-8") if out_path.exists() else text
    assert fixed == expected
    again = fix_text(fixed, case.name, [rule], unsafe=True)
    assert again.fixed is None, "fixing the fixed text changed it again"
