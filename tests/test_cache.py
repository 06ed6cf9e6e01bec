"""The content-hash cache: hits skip parsing, and every change that could alter a finding misses.
Parallel and serial runs give the same findings and the same fixed files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import migrate
import migrate.cache as cache_module
import migrate.runner as runner_module
from migrate import cross_file, processing
from migrate.cache import Cache, settings_key
from migrate.cli import app
from migrate.registry import select
from migrate.runner import Options, discover, run
from tests.conftest import FIXTURES

ALL = select()
UNTYPED = "name: t\ninputs:\n- {name: a}\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
PIPELINE = (
    "from kfp import components, dsl\n\nop = components.load_component_from_file('c.yaml')\n\n\n"
    "@dsl.pipeline(name='p')\ndef p():\n    op(1)\n"
)


@pytest.fixture
def processed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the runner really parsed (not answered from the cache)."""
    seen: list[str] = []
    real = processing.process

    def counting(candidate, options):  # type: ignore[no-untyped-def]
        seen.append(Path(candidate.path).name)
        return real(candidate, options)

    monkeypatch.setattr(processing, "process", counting)
    return seen


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "c.yaml").write_text(UNTYPED)
    (root / "other.yaml").write_text(UNTYPED.replace("name: t", "name: u"))
    (root / "pipe.py").write_text(PIPELINE)
    return root


def _run(root: Path, cache_dir: Path, **options: object) -> list[runner_module.FileReport]:
    chosen = Options(rules=ALL, jobs=1, **options)  # type: ignore[arg-type]
    key = settings_key(sorted(r.code for r in chosen.rules), chosen.fix, chosen.unsafe)
    return run(list(discover([root])), chosen, Cache.open(cache_dir, key))


def _findings(reports: list[runner_module.FileReport]) -> list[tuple[str, int, str]]:
    return sorted((Path(r.path).name, f.line, f.code) for r in reports for f in r.findings)


def test_a_second_run_parses_nothing_and_reports_the_same(tmp_path: Path, processed: list[str]) -> None:
    root = _tree(tmp_path)
    first = _run(root, tmp_path / "cache")
    assert sorted(processed) == ["c.yaml", "other.yaml", "pipe.py"]
    processed.clear()
    second = _run(root, tmp_path / "cache")
    assert processed == []
    assert _findings(second) == _findings(first) and _findings(first)
    assert [r.text for r in second] == [r.text for r in first]  # offsets in JSON/SARIF still resolve


def test_a_changed_file_and_the_files_that_load_it_are_parsed_again(tmp_path: Path, processed: list[str]) -> None:
    root = _tree(tmp_path)
    _run(root, tmp_path / "cache")
    processed.clear()
    (root / "c.yaml").write_text(UNTYPED.replace("{name: a}", "{name: a, type: Integer}"))
    reports = _run(root, tmp_path / "cache")
    assert sorted(processed) == ["c.yaml", "pipe.py"]  # pipe.py loads c.yaml: its wiring may change
    assert "c.yaml" not in {Path(r.path).name for r in reports if any(f.code == "KFP101" for f in r.findings)}


def test_a_changed_setting_or_version_misses(
    tmp_path: Path, processed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    _run(root, tmp_path / "cache")
    processed.clear()
    chosen = Options(rules=select(["KFP1"]), jobs=1)
    key = settings_key(sorted(r.code for r in chosen.rules), chosen.fix, chosen.unsafe)
    run(list(discover([root])), chosen, Cache.open(tmp_path / "cache", key))
    assert len(processed) == 3
    processed.clear()
    monkeypatch.setattr(migrate, "__version__", "999.0.0")
    _run(root, tmp_path / "cache")
    assert len(processed) == 3


def test_fix_then_fix_again_is_answered_from_the_cache(tmp_path: Path, processed: list[str]) -> None:
    root = _tree(tmp_path)
    _run(root, tmp_path / "cache", fix=True)
    fixed = {p.name: p.read_bytes() for p in root.iterdir()}
    processed.clear()
    again = _run(root, tmp_path / "cache", fix=True)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == fixed
    assert all(r.applied == 0 for r in again)
    _run(root, tmp_path / "cache", fix=True)
    assert processed.count("c.yaml") <= 1  # at most once more, as its dependants' view of it settles


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose bytes the runner read (to digest, gather facts or show)."""
    seen: list[str] = []
    real = processing.small_bytes

    def counting(path: Path) -> bytes | None:
        seen.append(Path(path).name)
        return real(path)

    for module in (cross_file, runner_module):
        monkeypatch.setattr(module, "small_bytes", counting)
    return seen


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust stamps of files changed a moment ago, as a run an hour later would (change times cannot be
    set back)."""
    monkeypatch.setattr(cache_module, "_RACY_SECONDS", -3600.0)


def test_an_unchanged_stamp_spares_reading_the_file(
    tmp_path: Path, processed: list[str], reads: list[str], trusting: None
) -> None:
    root = _tree(tmp_path)
    _run(root, tmp_path / "cache", keep_text=False)
    assert sorted(set(reads)) == ["c.yaml", "other.yaml", "pipe.py"]
    reads.clear()
    processed.clear()
    second = _run(root, tmp_path / "cache", keep_text=False)
    assert (reads, processed) == ([], [])
    assert _findings(second) and all(r.text is None for r in second)
    # Same size, other bytes, other time: read, digested and checked again.
    (root / "other.yaml").write_text((root / "other.yaml").read_text().replace("name: u", "name: v"))
    third = _run(root, tmp_path / "cache", keep_text=False)
    assert "other.yaml" in reads and processed == ["other.yaml"]
    assert _findings(third) == _findings(second)


def test_a_file_changed_just_now_is_always_read(tmp_path: Path, reads: list[str]) -> None:
    root = _tree(tmp_path)  # written this instant: its time may not change on its next edit
    _run(root, tmp_path / "cache", keep_text=False)
    reads.clear()
    _run(root, tmp_path / "cache", keep_text=False)
    assert sorted(set(reads)) == ["c.yaml", "other.yaml", "pipe.py"]


def test_a_single_file_run_loads_only_its_shard(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for index in range(40):
        (root / f"more{index}.yaml").write_text(UNTYPED.replace("name: t", f"name: m{index}"))
    _run(root, tmp_path / "cache")
    shards = list((tmp_path / "cache").rglob("*.pickle"))
    assert len(shards) > 10
    chosen = Options(rules=ALL, jobs=1)
    cache = Cache.open(tmp_path / "cache", settings_key(sorted(r.code for r in ALL), False, False))
    reports = run([runner_module.Candidate(root / "c.yaml", explicit=True)], chosen, cache)
    assert _findings(reports) == [("c.yaml", 3, "KFP101")]
    assert len(cache._shards) == 1


def test_an_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    _run(root, tmp_path / "cache")
    for pickle in (tmp_path / "cache").rglob("*.pickle"):
        pickle.write_bytes(b"not a pickle")
    assert _findings(_run(root, tmp_path / "cache"))


def test_cli_no_cache_writes_no_cache(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    CliRunner().invoke(app, ["check", "--no-cache", "--cache-dir", str(tmp_path / "c"), str(root)])
    assert not (tmp_path / "c").exists()
    CliRunner().invoke(app, ["check", "--cache-dir", str(tmp_path / "c"), str(root)])
    assert (tmp_path / "c" / "CACHEDIR.TAG").is_file() and (tmp_path / "c" / ".gitignore").read_text().endswith("*\n")


def _fixture_tree(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    for source in sorted(FIXTURES.glob("*/*.in.*"))[::3]:  # a third of them: enough for the pool, and quick
        target = root / source.parent.name / source.name.replace(".in.", ".")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root


def test_the_pool_starts_early_only_for_a_run_that_processes_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    warmed: list[int] = []
    monkeypatch.setattr(runner_module.Pool, "warm", lambda self, options: warmed.append(self.jobs))
    cache, folder = ["--cache-dir", str(tmp_path / "c")], str(root)
    runs = (["--no-cache", folder], [*cache, folder], [*cache, folder], ["-j1", "--no-cache", folder])
    for args in (*runs, ["--no-cache", str(root / "c.yaml")]):
        assert CliRunner().invoke(app, ["check", "-j2", *args]).exit_code == 1
        warmed.append(0)
    assert warmed == [2, 0, 2, 0, 0, 0, 0]  # --no-cache, an empty cache; not a filled one, one job, a file
    plain = tmp_path / "plain"
    plain.mkdir()
    for i in range(20):
        (plain / f"m{i}.py").write_text("import os\n")
        (plain / f"c{i}.yaml").write_text("a: 1\n")
    warmed.clear()
    assert CliRunner().invoke(app, ["check", "-j2", "--no-cache", str(plain)]).exit_code == 0
    assert warmed == []  # no KFP code: neither LibCST nor the rules are needed


def test_what_other_modules_pass_is_seen_in_one_order_whichever_facts_the_cache_holds(
    tmp_path: Path, processed: list[str]
) -> None:
    """A module whose callers did not change is answered by the cache, even when the facts of some callers
    came from the cache and others were collected again."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "comps.py").write_text(
        "from kfp.components import InputPath, create_component_from_func\n\n"
        "def show(data_path: InputPath()):\n    print(open(data_path).read())\n\n"
        "show_op = create_component_from_func(show)\n"
    )
    for name in ("a", "b"):
        (root / f"{name}.py").write_text(
            f"from kfp import dsl\nfrom comps import show_op\n\n@dsl.pipeline(name='p')\ndef p():\n"
            f"    show_op('gs://{name}/x')\n"
        )
    cold = _run(root, tmp_path / "c")
    (root / "a.py").write_text((root / "a.py").read_text() + "# changed: its facts are collected again\n")
    processed.clear()
    again = _run(root, tmp_path / "c")
    assert sorted(set(processed)) == ["a.py"]
    assert [r.findings for r in again] == [r.findings for r in cold]
    assert any("a.py" in f.message and "b.py" in f.message for r in again for f in r.findings)


@pytest.mark.parametrize("fix", [False, True])
def test_parallel_and_serial_runs_agree(tmp_path: Path, fix: bool) -> None:
    serial, parallel = _fixture_tree(tmp_path, "serial"), _fixture_tree(tmp_path, "parallel")
    for root in (serial, parallel):
        assert len(list(root.rglob("*.*"))) >= 2 * runner_module.POOL_THRESHOLD
    options = {"rules": ALL, "fix": fix, "unsafe": True}
    one = run(list(discover([serial])), Options(jobs=1, **options))  # type: ignore[arg-type]
    two = run(list(discover([parallel])), Options(jobs=2, **options))  # type: ignore[arg-type]

    def relative(reports: list[runner_module.FileReport], root: Path) -> list[tuple[str, str, int, int, str]]:
        return sorted(
            (str(Path(r.path).relative_to(root)), f.code, f.line, f.col, f.message) for r in reports for f in r.findings
        )

    assert relative(one, serial) == relative(two, parallel)
    files = sorted(p.relative_to(serial) for p in serial.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(parallel) for p in parallel.rglob("*") if p.is_file())
    assert all((serial / f).read_bytes() == (parallel / f).read_bytes() for f in files)


def test_a_stamp_belongs_to_the_file_not_to_how_it_was_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusting: None
) -> None:
    """`p.py` run from two folders is two files, even with the same size and time (a tar extraction)."""
    for folder, body in (("p1", UNTYPED), ("p2", UNTYPED.replace("{name: a}", "{name: a, type: Integer}"))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "c.yaml").write_text(body.ljust(len(UNTYPED) + 30))
        os.utime(tmp_path / folder / "c.yaml", ns=(10**18, 10**18))
    findings = []
    for folder in ("p1", "p2"):
        monkeypatch.chdir(tmp_path / folder)
        chosen = Options(rules=ALL, jobs=1)
        cache = Cache.open(tmp_path / "cache", settings_key(sorted(r.code for r in ALL), False, False))
        findings.append(_findings(run([runner_module.Candidate(Path("c.yaml"), explicit=True)], chosen, cache)))
        cache.save()
    assert findings[0] == [("c.yaml", 3, "KFP101")] and findings[1] == []


def test_a_report_showing_edits_never_takes_provisional_fixes_from_the_cache(
    tmp_path: Path, processed: list[str]
) -> None:
    """A text check stores fixes found on a quick tree; a JSON check needs their edits: it parses again where a
    rule read whitespace the quick tree does not know (KFP213 writes a dict over several lines as LibCST does)."""
    root = _tree(tmp_path)
    (root / "op.py").write_bytes((FIXTURES / "KFP213" / "nested_multiline_dict.in.py").read_bytes())
    quick = _run(root, tmp_path / "cache", keep_text=False)
    assert any(f.fix and f.fix.provisional for r in quick for f in r.findings if r.path.endswith("op.py"))
    assert not any(f.fix and f.fix.provisional for r in quick for f in r.findings if r.path.endswith("pipe.py"))
    processed.clear()
    exact = _run(root, tmp_path / "cache", keep_text=True)
    assert processed == ["op.py"]  # the YAML entries and pipe.py's hold exact fixes: still answered
    assert not any(f.fix and f.fix.provisional for r in exact for f in r.findings)
    assert _findings(exact) == _findings(quick)


def test_an_importer_the_cache_answers_sees_the_module_it_imports_fixed(tmp_path: Path) -> None:
    """The cache answers pipeline.py in the fix run (no fix of its own); comp.py is fixed in that run, which
    makes pipeline.py's argument wrong for kfp 2: the run reports it."""
    from tests.test_engine import COMPONENT_MODULE, PIPELINE_MODULE

    root = tmp_path / "tree"
    root.mkdir()
    (root / "comp.py").write_text(COMPONENT_MODULE)
    (root / "pipeline.py").write_text(PIPELINE_MODULE)
    assert _findings(_run(root, tmp_path / "cache")) == [("comp.py", 1, "KFP202"), ("comp.py", 8, "KFP202")]
    fixed = _run(root, tmp_path / "cache", fix=True)
    assert _findings(fixed) == [("pipeline.py", 8, "KFP318")]
