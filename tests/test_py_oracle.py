"""kfp 2 judges the Python fixtures: each `.in.py`, migrated with every rule, imports and compiles under
kfp 2 and keeps the component interface kfp 1.8.22 gave it (`<case>.kfp1.json`, recorded with
tests/record_kfp1_interfaces.py). A `<case>.human` marker says the fixture is left to a human on purpose."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from migrate.engine import fix_text
from migrate.model import Finding, Severity
from migrate.registry import all_rules
from rules.pipeline_dsl._wiring import sanitize
from tests.conftest import FIXTURES
from tests.py_oracle import ModuleOutcome, inspect_module

CASES = sorted(FIXTURES.glob("KFP[23]*/*.in.py"))
V1_COMPONENTS = re.compile(r"kfp\.components|from\s+kfp\s+import\s+[^\n]*\bcomponents\b")
RECORD = "record it: /tmp/kfp1/bin/python tests/record_kfp1_interfaces.py {}"


def case_stem(path: Path) -> Path:
    """`dir/case.in.py` -> `dir/case`."""
    return path.with_name(path.name.removesuffix(".in.py"))


def case_id(path: Path) -> str:
    """`KFP203/stripped_path`."""
    return f"{path.parent.name}/{case_stem(path).name}"


def sibling(path: Path, suffix: str) -> Path:
    """The fixture file of the same case with `suffix` (`.out.py`, `.kfp1.json`, `.human`)."""
    stem = case_stem(path)
    return stem.with_name(stem.name + suffix)


@cache
def outcome_of(path: Path) -> ModuleOutcome:
    """kfp 2's verdict on a module, computed once per run."""
    return inspect_module(path)


def kfp1_interfaces(case: Path) -> dict[str, dict[str, list[str]]] | None:
    """The recorded kfp 1 interfaces, or None; fails when a v1 fixture needing them was never recorded."""
    recorded = sibling(case, ".kfp1.json")
    if recorded.exists():
        return json.loads(recorded.read_text(encoding="utf-8"))
    if V1_COMPONENTS.search(case.read_text(encoding="utf-8-sig")) and not outcome_of(case).ok:
        pytest.fail(RECORD.format(case.relative_to(FIXTURES.parent)))
    return None


def warnings_about_kfp_v2(outcome: ModuleOutcome) -> list[str]:
    """The DeprecationWarnings kfp 2 gives for importing `kfp.v2`."""
    return [w for w in outcome.warnings if w.startswith("DeprecationWarning") and "kfp.v2" in w]


def interface_mismatches(outcome: ModuleOutcome, expected: dict[str, dict[str, list[str]]]) -> list[str]:
    """One line per kfp 1 component missing from the kfp 2 module or with different input/output names."""
    problems = []
    for name, kfp1 in sorted(expected.items()):
        kfp2 = outcome.components.get(name)
        if kfp2 is None:
            problems.append(f"{name}: no kfp 2 component of that name (have {sorted(outcome.components)})")
            continue
        for side in ("inputs", "outputs"):
            # kfp 2 sanitizes the names of loaded v1 YAML components (`Model Dir` -> `model_dir`); expected.
            if set(kfp2[side]) not in (set(kfp1[side]), {sanitize(n) for n in kfp1[side]}):
                problems.append(f"{name} {side}: kfp 1 {kfp1[side]} != kfp 2 {kfp2[side]}")
    return problems


def migrated(case: Path, tmp_path: Path) -> tuple[Path, list[Finding]]:
    """The fixture after `fix --unsafe-fixes` with every rule, written beside a copy of its siblings."""
    text = case.read_bytes().decode("utf-8").removeprefix("\ufeff")
    outcome = fix_text(text, case.name, all_rules(), unsafe=True)
    target = tmp_path / case.name.replace(".in.py", ".py")
    target.write_text(outcome.fixed if outcome.fixed is not None else text, encoding="utf-8", newline="")
    errors = [f for f in outcome.findings if f.severity is Severity.ERROR]
    return target, errors


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_python_fixture_under_kfp2(case: Path, tmp_path: Path) -> None:
    """Fully migrated, the module imports and compiles under kfp 2 and keeps kfp 1's interface names."""
    expected = kfp1_interfaces(case)
    target, errors = migrated(case, tmp_path)
    outcome = inspect_module(target)
    if errors:  # what is left for a human must be a real kfp 2 failure
        assert not outcome.ok, f"{[f.code for f in errors]} remain, yet kfp 2 imports the module"
        return
    if sibling(case, ".human").exists():
        pytest.skip(f"an unsafe fix is expected to break it: {outcome.error}")
    assert outcome.ok, f"{case.name} migrated does not import under kfp 2: {outcome.error}"
    failed = {name: result for name, result in outcome.pipelines.items() if result != "ok"}
    assert not failed, f"{case.name} migrated: pipelines fail to compile: {failed}"
    assert not warnings_about_kfp_v2(outcome), f"{case.name} migrated still imports kfp.v2"
    if expected is not None:
        problems = interface_mismatches(outcome, expected)
        assert not problems, f"{case.name} migrated changes component interfaces:\n" + "\n".join(problems)
