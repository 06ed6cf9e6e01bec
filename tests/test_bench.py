"""The benchmark's synthetic repository: deterministic, the requested size and mix, and KFP code that really
needs migrating next to unrelated files that need nothing. Timings are bench/bench.py's business, not a test's."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.synthetic import GITIGNORE, IGNORED_DIR, KFP_SHARE, PYTHON_KINDS, V1_KINDS, Kind, allocate, generate
from migrate.registry import all_rules
from migrate.runner import Options, discover, run

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SYNTHETIC = Path(__file__).resolve().parent.parent / "bench" / "synthetic.py"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def scanned(root: Path) -> list[str]:
    """The YAML and Python files a run reads: everything but the .gitignore'd build output."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in (".py", ".yaml", ".yml") and not p.relative_to(root).as_posix().startswith("build/")
    )


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = tree_bytes(generate(tmp_path / "a", 120, seed=7).root)
    # Another process with another string-hash seed, through the command line: set order must not leak in.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [sys.executable, str(SYNTHETIC), str(tmp_path / "b"), "--files", "120", "--seed", "7"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert first == tree_bytes(tmp_path / "b")
    assert tree_bytes(generate(tmp_path / "c", 120, seed=8).root) != first


def test_requested_number_of_files_and_mix(tmp_path: Path) -> None:
    manifest = generate(tmp_path, 300, seed=1)
    assert len(manifest.files) == 300
    assert scanned(tmp_path) == sorted(f.path for f in manifest.files)
    counts = manifest.counts()
    assert counts == Counter(allocate(300))
    assert set(counts) == set(Kind)
    assert sum(counts[k] for k in V1_KINDS) == round(300 * KFP_SHARE)
    # Python and YAML in about the 1.8.5 proportion (1120 to 842).
    python = sum(counts[k] for k in PYTHON_KINDS)
    assert 0.5 < python / 300 < 0.65
    assert {Path(f.path).parts[0] for f in manifest.files} >= {"components", "manifests", "samples", ".github"}
    assert max(len(Path(f.path).parts) for f in manifest.files) >= 5
    assert (tmp_path / ".gitignore").read_text() == GITIGNORE
    assert manifest.ignored and all(path.startswith(IGNORED_DIR + "/") for path in manifest.ignored)
    assert all((tmp_path / path).is_file() for path in manifest.ignored)


@pytest.mark.parametrize(("share", "python_only"), [(1.0, False), (1.0, True), (0.0, False)])
def test_kfp_share_and_python_only(tmp_path: Path, share: float, python_only: bool) -> None:
    manifest = generate(tmp_path, 40, seed=2, kfp_share=share, python_only=python_only)
    kinds = set(manifest.counts())
    assert len(manifest.files) == 40
    assert kinds <= V1_KINDS if share == 1.0 else not kinds & V1_KINDS
    if python_only:
        assert kinds <= PYTHON_KINDS
        assert all(f.path.endswith(".py") for f in manifest.files)


def test_files_parse(tmp_path: Path) -> None:
    manifest = generate(tmp_path, 150, seed=3)
    for file in manifest.files:
        text = (tmp_path / file.path).read_text(encoding="utf-8")
        if file.path.endswith(".py"):
            ast.parse(text, file.path)
        else:
            documents = [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d is not None]
            assert documents and all(isinstance(d, dict) for d in documents), file.path
            is_component = file.kind in (Kind.V1_COMPONENT, Kind.TYPED_COMPONENT)
            assert ("implementation" in documents[0]) == is_component, file.path
        # The tool's cheap pre-filters must not let unrelated files through: they mirror the real tree's.
        if file.kind in (Kind.LIBRARY, Kind.TEST, Kind.K8S, Kind.CI):
            assert "kfp" not in text and "implementation" not in text, file.path


def test_kfp_files_have_findings_and_the_rest_none(tmp_path: Path) -> None:
    manifest = generate(tmp_path, 20, seed=4)
    kinds = {str(tmp_path / f.path): f.kind for f in manifest.files}
    reports = run(list(discover([tmp_path])), Options(rules=tuple(all_rules()), jobs=1))
    codes: dict[Kind, Counter[str]] = {kind: Counter() for kind in Kind}
    flagged: Counter[Kind] = Counter()
    for report in reports:
        kind = kinds.get(report.path)
        if kind is None:
            continue  # the ignored copies under build/ (no .git here, so .gitignore does not apply)
        codes[kind].update(f.code for f in report.findings)
        flagged[kind] += bool(report.findings)
    for kind in Kind:
        if kind not in V1_KINDS:
            assert not codes[kind], (kind, codes[kind])
    families = {Kind.V1_COMPONENT: "KFP1", Kind.V1_PY_COMPONENTS: "KFP2", Kind.V1_PIPELINE: "KFP3"}
    for kind, family in families.items():
        assert any(code.startswith(family) for code in codes[kind]), (kind, codes[kind])
        assert flagged[kind] >= 0.8 * manifest.counts()[kind], (kind, flagged[kind])


def test_the_two_commands_of_a_ratio_are_timed_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker against two: a machine slowing down during the benchmark must not count against either."""
    monkeypatch.syspath_prepend(str(SYNTHETIC.parent))
    from bench import bench as bench_module

    timer = object.__new__(bench_module.Bench)
    timer.repeat, timer.flags = 3, {"--jobs"}
    order: list[str] = []
    seconds = iter([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    monkeypatch.setattr(timer, "run", lambda args, cwd: order.append(args[0]) or next(seconds))
    one, two = timer.timed_pair("t", ("one", "two"), (["one"], ["two"]), Path("."), ("--jobs",))
    assert order == ["one", "two"] * 3
    assert (one.runs, one.value, two.runs, two.value) == ([1.0, 3.0, 5.0], 3.0, [2.0, 4.0, 6.0], 4.0)


def test_a_probe_runs_after_each_round_of_a_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SYNTHETIC.parent))
    from bench import bench as bench_module

    timer = object.__new__(bench_module.Bench)
    timer.repeat, timer.flags = 2, set()
    order: list[str] = []
    monkeypatch.setattr(timer, "run", lambda args, cwd: order.append(args[0]) or 1.0)
    timer.timed_pair("t", ("one", "two"), (["one"], ["two"]), Path("."), between=lambda: order.append("probe"))
    assert order == ["one", "two", "probe"] * 2


@pytest.mark.parametrize(
    ("one", "floor", "efficiency", "expected"),
    [
        (4.0, 0.0, 1.0, 2.0),
        (4.0, 4.0, 1.0, 1.0),
        (3.3, 0.4, 1.0, 3.3 / 1.85),
        (4.0, 0.0, 0.9, 1.8),
        (4.0, 1.0, 0.75, 4 / 3),
    ],
)
def test_speed_up_ceiling(
    monkeypatch: pytest.MonkeyPatch, one: float, floor: float, efficiency: float, expected: float
) -> None:
    """Serial time stays, the rest is halved and slowed by how fast two processes run at once."""
    monkeypatch.syspath_prepend(str(SYNTHETIC.parent))
    from bench.machine import ceiling

    assert ceiling(one, floor, efficiency) == pytest.approx(expected)
    with pytest.raises(ValueError):
        ceiling(one, floor, 1.5)
