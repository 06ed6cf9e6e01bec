"""kfp 2 is the judge: fixed output must load and compile, and findings must match real failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.engine import check_text, fix_text
from migrate.model import Severity
from migrate.registry import all_rules
from tests.conftest import FIXTURES, shared_dir
from tests.kfp_oracle import compile_component_text

ALL = all_rules()
# A fixed graph component is still a graph (kfp 2 cannot load it); tests/test_graph_oracle.py compiles the
# `@dsl.pipeline` module its fix writes instead.
OUT_FIXTURES = sorted(p for p in FIXTURES.glob("KFP1*/*.out.yaml") if p.parent.name != "KFP141")


def _errors(text: str) -> list[str]:
    return [f"{f.code} {f.message}" for f in check_text(text, "x.yaml", ALL) if f.severity is Severity.ERROR]


@pytest.mark.parametrize("path", OUT_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixed_fixture_compiles_under_kfp2(path: Path) -> None:
    outcome = compile_component_text(path.read_text(encoding="utf-8-sig"))
    assert outcome.ok, outcome.error


def _probes() -> list[Path]:
    try:
        return sorted(shared_dir("kfp-probes", "yaml").glob("*.yaml"))
    except BaseException:  # collected before CI checks for shared/: the test below reports it
        return []


def _expected_stage(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# expect:"):
            return line.split(":", 1)[1].split()[0]
    return "ok"


# Probes whose failure lies in how the pipeline calls the component, not in the component itself
# (issue 4's pipeline rules cover these).
CALL_SITE_PROBES = {
    "y1a_in_untyped_const_to_inputPath.yaml": "a constant passed to an artifact input (KFP317)",
    "y48_required_param_omitted.yaml": "a required argument left out by the caller",
    "y66_task_final_status_non_exit.yaml": "PipelineTaskFinalStatus outside an exit handler",
}


def test_probes_are_present() -> None:
    shared_dir("kfp-probes", "yaml")  # a skip locally, an error in CI, when shared/ is missing
    assert len(_probes()) >= 60


@pytest.mark.parametrize("path", _probes(), ids=lambda p: p.stem)
def test_probe_findings_match_kfp2(path: Path) -> None:
    """A probe kfp 2 rejects gets an error finding; one kfp 2 accepts gets none."""
    text = path.read_text(encoding="utf-8")
    expected = _expected_stage(text)
    actual = compile_component_text(text)
    errors = _errors(text)
    if expected == "ok":
        assert not errors, f"kfp 2 accepts {path.name}, yet: {errors}"
    elif path.name not in CALL_SITE_PROBES and expected in ("load", "call"):
        assert errors, f"kfp 2 fails ({actual.error}) and no error finding was reported"


@pytest.mark.parametrize("path", _probes(), ids=lambda p: p.stem)
def test_probe_after_unsafe_fix_compiles_or_is_reported(path: Path) -> None:
    """After `fix --unsafe-fixes`, a probe either compiles under kfp 2 or still carries an error finding."""
    text = path.read_text(encoding="utf-8")
    outcome = fix_text(text, path.name, ALL, unsafe=True)
    fixed = outcome.fixed if outcome.fixed is not None else text
    result = compile_component_text(fixed)
    if not result.ok and path.name not in CALL_SITE_PROBES:
        assert _errors(fixed), f"still fails under kfp 2 ({result.error}) with no error finding left"
    if outcome.fixed is not None and not _errors(fixed):
        assert result.ok, f"fixed, no error finding left, yet kfp 2 fails: {result.error}"
