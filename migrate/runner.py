"""The shell around the engine: finds files, reads them safely, runs the engine, writes atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate import callers
from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.engine import BOM, PYTHON_SUFFIXES, Outcome, check_text, fix_text, is_python
from migrate.model import Finding, NewFile, Rule, Severity

YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = YAML_SUFFIXES + PYTHON_SUFFIXES
MAX_FILE_BYTES = 10 * 1024 * 1024
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__"})
# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 16


@dataclass(frozen=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line, not found by walking a directory
    foreign: CrossFile = NO_CROSS_FILE  # what the other scanned files say about this one


@dataclass(frozen=True)
class FileReport:
    """What happened to one file."""

    path: str
    findings: tuple[Finding, ...]
    applied: int = 0
    original: str | None = None
    fixed: str | None = None  # set when fixes changed the text (written unless --diff)
    written: bool = False
    text: str | None = None  # the text the findings' offsets refer to
    created: tuple[NewFile, ...] = ()  # files the fixes create (written unless --diff); names are full paths


@dataclass(frozen=True)
class Options:
    rules: tuple[type[Rule], ...]
    fix: bool = False
    unsafe: bool = False
    write: bool = True
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)


def discover(paths: Iterable[Path]) -> Iterator[Candidate]:
    """YAML and Python files under `paths`; directory symlinks are not followed (they can loop or leave the tree)."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not Path(root, d).is_symlink())
                for name in sorted(files):
                    if name.endswith(SUFFIXES):
                        yield Candidate(Path(root, name), explicit=False)
        else:
            yield Candidate(path, explicit=True)


def decode(data: bytes, path: str) -> str | Finding:
    """The text of a file (without its BOM), or a KFP001 finding saying why it is not text."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return _file_finding("KFP001", "binary file (contains NUL bytes): not a component", path, line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        detail = f"not UTF-8 (byte 0x{data[error.start]:02x}); kfp reads component files as UTF-8"
        return _file_finding("KFP001", detail, path, line, col)
    return text.removeprefix(BOM)


def _file_finding(code: str, detail: str, path: str, line: int = 1, col: int = 1) -> Finding:
    return Finding(code, detail, path, line, col, line, col, Severity.ERROR)


def process(candidate: Candidate, options: Options) -> FileReport | None:
    """Check or fix one file. None when the file is not a v1 component and was not asked for."""
    path = candidate.path
    name = str(path)
    selected = {rule.code for rule in options.rules}
    try:
        info = path.stat()
        if info.st_size > MAX_FILE_BYTES:
            if not candidate.explicit:
                return None
            detail = f"file is {info.st_size} bytes, over the {MAX_FILE_BYTES} byte limit: not processed"
            return _only(name, _file_finding("KFP005", detail, name), selected)
        data = path.read_bytes()
    except OSError as error:
        return _only(name, _file_finding("KFP001", f"cannot read: {error.strerror or error}", name), selected)
    # Cheap pre-filters: every v1 component has an `implementation` key, all KFP Python mentions kfp.
    marker = b"kfp" if is_python(name) else b"implementation"
    if not candidate.explicit and marker not in data:
        return None
    decoded = decode(data, name)
    if isinstance(decoded, Finding):
        return _only(name, decoded, selected) if candidate.explicit or marker in data else None
    had_bom = data.startswith(BOM.encode())
    findings = check_text(decoded, name, options.rules, candidate.explicit, candidate.foreign)
    if not options.fix or not findings:
        return FileReport(name, tuple(findings), text=decoded)
    outcome: Outcome = fix_text(decoded, name, options.rules, options.unsafe, candidate.foreign)
    if outcome.fixed is None:
        return FileReport(name, outcome.findings, outcome.applied, text=decoded)
    if path.is_symlink():
        detail = f"is a symlink to {os.path.realpath(path)}: not rewritten; fix the target instead"
        refusal = _file_finding("KFP006", detail, name)
        return FileReport(name, (refusal, *findings), text=decoded)
    created, refusals = _new_files(path, outcome.created)
    if refusals:
        # A fix whose new file would replace a different one is not applied at all, its edits included.
        rules = tuple(rule for rule in options.rules if rule.code not in outcome.creators)
        kept = tuple(f for f in findings if f.code in outcome.creators and f.code in selected)
        if kept:
            refusals = tuple(replace(r, line=kept[0].line, col=kept[0].col) for r in refusals)
            refusals = tuple(replace(r, end_line=r.line, end_col=r.col) for r in refusals)
        outcome = fix_text(decoded, name, rules, options.unsafe, candidate.foreign)
        outcome = replace(outcome, findings=(*refusals, *(replace(f, fix=None) for f in kept), *outcome.findings))
        created = ()
    if outcome.fixed is None:  # the held-back fix was the only change
        return FileReport(name, outcome.findings, outcome.applied, text=decoded)
    if options.write:
        for new in created:  # first: a comment in the fixed file may name them
            _create_atomic(Path(new.name), new.text, path)
        _write_atomic(path, (BOM if had_bom else "") + outcome.fixed)
    return FileReport(
        name, outcome.findings, outcome.applied, decoded, outcome.fixed, options.write, outcome.fixed, created
    )


def _new_files(path: Path, files: Sequence[NewFile]) -> tuple[tuple[NewFile, ...], tuple[Finding, ...]]:
    """The files to create beside `path` (full paths; those already there with the same text are left out),
    and a refusal for each that exists with other content: it is never overwritten."""
    created: list[NewFile] = []
    refusals: list[Finding] = []
    for new in files:
        target = path.parent / new.name
        if not (target.exists() or target.is_symlink()):
            created.append(NewFile(str(target), new.text))
            continue
        try:
            same = target.is_file() and target.read_bytes().decode("utf-8") == new.text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            detail = (
                f"not fixed: the fix would create {target}, which exists with other content; it is never "
                "overwritten: move it away (or compare it with the fix's) and run again"
            )
            refusals.append(_file_finding("KFP007", detail, str(path)))
    return tuple(created), tuple(refusals)


def _only(name: str, finding: Finding, selected: set[str]) -> FileReport:
    return FileReport(name, (finding,) if finding.code in selected else ())


def _create_atomic(target: Path, text: str, source: Path) -> None:
    """Create `target` through a temporary file, with `source`'s mode minus exec bits; never replace a file."""
    mode = stat.S_IMODE(source.stat().st_mode) & ~(stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".kfp-migrate")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        try:
            os.link(temp, target)  # raises FileExistsError if the file appeared meanwhile; os.replace would not
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system
            if target.exists() or target.is_symlink():
                raise FileExistsError(f"{target} appeared while it was being created") from None
            os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, keeping the file's mode."""
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".kfp-migrate")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def with_callers(candidates: Sequence[Candidate], options: Options | None = None) -> list[Candidate]:
    """Give each Python candidate what the other Python files say about it: what they pass to the names it
    defines, and the texts of the component files and modules it loads or imports. When fixing, a loaded
    component that is itself being fixed is seen as it will be once fixed, so one run converges."""
    python = [c for c in candidates if is_python(str(c.path))]
    texts: dict[Path, str] = {}
    for candidate in python:
        text = _small_text(candidate.path)
        if text is not None and "kfp" in text:
            texts[candidate.path] = text
    if not texts:
        return list(candidates)
    found = callers.index(callers.collect(text, str(path)) for path, text in texts.items())
    fixing = {c.path.resolve() for c in candidates} if options is not None and options.fix else set()
    sources: dict[Path, dict[str, callers.Dependency]] = {}
    seen: dict[Path, callers.Dependency | None] = {}  # a component many pipelines load is read (and fixed) once
    for path, text in texts.items():
        for key, file in callers.dependencies(text, str(path)):
            if file not in seen:
                seen[file] = _dependency_text(file, fixing, options)
            dependency = seen[file]
            if dependency is not None:
                sources.setdefault(path, {})[key] = dependency
    return [
        replace(c, foreign=CrossFile(callers.for_file(found, str(c.path)), sources.get(c.path, {})))
        if c.path in texts
        else c
        for c in candidates
    ]


def _small_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", "replace").removeprefix(BOM) if len(data) <= MAX_FILE_BYTES else None


def _dependency_text(file: Path, fixing: set[Path], options: Options | None) -> callers.Dependency | None:
    """A loaded component or imported module; a YAML component this run fixes is seen fixed."""
    text = _small_text(file)
    is_yaml = file.suffix.lower() in YAML_SUFFIXES
    if text is None or not (is_yaml or "kfp" in text):
        return None
    if options is not None and is_yaml and file in fixing:
        fixed = fix_text(text, str(file), options.rules, options.unsafe).fixed
        return callers.Dependency(str(file), fixed if fixed is not None else text, text)
    return callers.Dependency(str(file), text, text)


def run(candidates: Sequence[Candidate], options: Options) -> list[FileReport]:
    """Process every candidate, in parallel when there are many; one file's failure never stops the rest."""
    candidates = with_callers(candidates, options)
    if options.jobs > 1 and len(candidates) >= POOL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=options.jobs) as pool:
            results = list(pool.map(_safe_process, candidates, [options] * len(candidates), chunksize=8))
    else:
        results = [_safe_process(candidate, options) for candidate in candidates]
    return [report for report in results if report is not None]


def _safe_process(candidate: Candidate, options: Options) -> FileReport | None:
    try:
        return process(candidate, options)
    except RecursionError:
        detail = "nesting too deep to process"
    except Exception as error:
        detail = f"internal error ({type(error).__name__}: {error}); nothing was written; please report it"
    return FileReport(str(candidate.path), (_file_finding("KFP007", detail, str(candidate.path)),))


def check_stdin_text(data: bytes, options: Options, name: str = "-") -> tuple[FileReport, str]:
    """Check or fix text read from stdin; returns the report and the text to print when fixing."""
    decoded = decode(data, name)
    if isinstance(decoded, Finding):
        return FileReport(name, (decoded,)), data.decode("utf-8", "replace")
    had_bom = data.startswith(BOM.encode())
    if not options.fix:
        return FileReport(name, tuple(check_text(decoded, name, options.rules)), text=decoded), decoded
    outcome = fix_text(decoded, name, options.rules, options.unsafe)
    if outcome.created:  # standard input has no folder to write a new file into: skip those fixes
        rules = tuple(r for r in options.rules if r.code not in outcome.creators)
        outcome = fix_text(decoded, name, rules, options.unsafe)
    text = outcome.fixed if outcome.fixed is not None else decoded
    report = FileReport(name, outcome.findings, outcome.applied, decoded, outcome.fixed, text=text)
    return report, (BOM if had_bom else "") + text
