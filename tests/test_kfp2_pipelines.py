"""Code already written for kfp 2 (kfp's own test pipelines, tests/data/kfp2_pipelines) gets no findings
beyond the deprecations kfp 2 itself warns about, and fixing it touches nothing else."""

from __future__ import annotations

import difflib
from pathlib import Path

from migrate.registry import all_rules
from migrate.runner import Options, discover, run

PIPELINES = Path(__file__).parent / "data" / "kfp2_pipelines"
# kfp 2 warns about these itself: `dsl.Condition` (DeprecationWarning: use dsl.If) and the `kfp.v2` alias.
DEPRECATIONS = {"KFP314": "Condition", "KFP216": "kfp.v2"}


def test_kfp2_pipelines_get_only_deprecation_findings() -> None:
    reports = run(list(discover([PIPELINES])), Options(rules=all_rules(), jobs=1))
    assert len(reports) > 100
    unexpected = [
        f"{Path(r.path).name}:{f.line} {f.code} {f.message}"
        for r in reports
        for f in r.findings
        if f.code not in DEPRECATIONS
    ]
    assert not unexpected, "\n".join(unexpected)


def test_fixing_kfp2_pipelines_changes_only_deprecated_names() -> None:
    reports = run(list(discover([PIPELINES])), Options(rules=all_rules(), fix=True, unsafe=True, write=False, jobs=1))
    changed = [r for r in reports if r.fixed is not None]
    assert changed, "the deprecations should be fixed"
    for report in changed:
        assert report.original is not None and report.fixed is not None
        assert not report.findings, report.findings
        diff = difflib.ndiff(report.original.splitlines(), report.fixed.splitlines())
        removed = [line[2:] for line in diff if line.startswith("- ")]
        assert all(any(word in line for word in DEPRECATIONS.values()) for line in removed), (report.path, removed)
