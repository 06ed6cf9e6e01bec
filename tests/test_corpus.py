"""The real corpus: 213 public v1 components. kfp 2 compiles 126 of the 210 container ones as they are."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate.engine import check_text
from migrate.model import Severity
from migrate.registry import all_rules
from migrate.runner import Options, discover, run
from tests.conftest import shared_dir
from tests.kfp_oracle import Outcome, compile_component_text

ALL = all_rules()


@dataclass(frozen=True)
class Measured:
    files: dict[str, str]  # relative path -> text
    outcomes: dict[str, Outcome]

    def compiling(self) -> set[str]:
        return {path for path, outcome in self.outcomes.items() if outcome.ok}


def _measure(root: Path) -> Measured:
    files = {str(p.relative_to(root)): p.read_text(encoding="utf-8-sig") for p in sorted(root.rglob("*.y*ml"))}
    return Measured(files, {path: compile_component_text(text) for path, text in files.items()})


def _graph(text: str) -> bool:
    return "\n  graph:" in text


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Measured]:
    source = shared_dir("corpus", "kfp-v1-components")
    measured = {"before": _measure(source)}
    for label, unsafe in (("safe", False), ("unsafe", True)):
        copy = tmp_path_factory.mktemp(label) / "corpus"
        shutil.copytree(source, copy)
        run(list(discover([copy])), Options(rules=ALL, fix=True, unsafe=unsafe, jobs=2))
        measured[label] = _measure(copy)
        second = run(list(discover([copy])), Options(rules=ALL, fix=True, unsafe=unsafe, jobs=1))
        assert not [r.path for r in second if r.fixed is not None], "a second fix changed files"
    return measured


def _containers(measured: Measured) -> set[str]:
    return {path for path, text in measured.files.items() if not _graph(text)}


def test_baseline_is_what_the_notice_says(corpus: dict[str, Measured]) -> None:
    before = corpus["before"]
    assert len(before.files) == 213
    assert len(_containers(before)) == 210
    assert len(before.compiling()) == 126


def test_safe_fixes_make_at_least_208_of_210_compile(corpus: dict[str, Measured]) -> None:
    assert len(corpus["safe"].compiling() & _containers(corpus["safe"])) >= 208


def test_unsafe_fixes_make_all_210_compile(corpus: dict[str, Measured]) -> None:
    after = corpus["unsafe"]
    failing = {path: after.outcomes[path].error for path in _containers(after) - after.compiling()}
    assert not failing


def test_every_file_that_still_fails_has_an_error_finding(corpus: dict[str, Measured]) -> None:
    for label in ("before", "safe", "unsafe"):
        measured = corpus[label]
        for path, outcome in measured.outcomes.items():
            if not outcome.ok:
                findings = check_text(measured.files[path], path, ALL)
                assert any(f.severity is Severity.ERROR for f in findings), f"{label}: {path}: {outcome.error}"


def test_components_that_compile_get_no_failure_claim(corpus: dict[str, Measured]) -> None:
    before = corpus["before"]
    for path in before.compiling():
        errors = [f for f in check_text(before.files[path], path, ALL) if f.severity is Severity.ERROR]
        assert not errors, f"{path} compiles under kfp 2, yet: {errors}"


def test_fix_only_touches_what_it_must(corpus: dict[str, Measured]) -> None:
    """Comments and every line that no finding is about survive: the diff is small and local."""
    before, after = corpus["before"], corpus["safe"]
    for path, text in before.files.items():
        old = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        new = [line for line in after.files[path].splitlines() if line.lstrip().startswith("#")]
        assert old == new, f"comments changed in {path}"
