"""The shell around the engine: finds files, reads them safely, runs the engine, writes atomically."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate import callers
from migrate.cache import Cache, Entry, Stamp, digest, foreign_key, identity
from migrate.callers import AskedCrossFile, CrossFile
from migrate.discovery import YAML_SUFFIXES, Candidate, discover
from migrate.languages import BOM, imports_kfp, is_python
from migrate.model import Finding, NewFile, Rule, Severity, any_provisional, applicable
from migrate.registry import rule_classes
from migrate.settings import PerFileIgnores

__all__ = ["Candidate", "FileReport", "Options", "check_stdin_text", "discover", "process", "run"]

MAX_FILE_BYTES = 10 * 1024 * 1024
_PYTHON_RULES, _YAML_RULES = frozenset({"python", "file"}), frozenset({"yaml", "file"})
_FILE_RULES = frozenset({"file"})
# Findings that say the run went wrong rather than the file: never cached.
_UNCACHED = frozenset({"KFP006", "KFP007"})
# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 16


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
    kfp: bool = True  # False: looked at on a mere mention of `kfp`/`implementation`, but no KFP code


@dataclass(frozen=True)
class Options:
    """What a run does. `codes` (from the command line) defers importing rules until a file needs them,
    and then only its language's; `rules` (classes, as tests give them) is used when `codes` is None."""

    rules: tuple[type[Rule], ...] = ()
    fix: bool = False
    unsafe: bool = False
    write: bool = True
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    per_file_ignores: PerFileIgnores = field(default_factory=PerFileIgnores)
    codes: tuple[str, ...] | None = None
    keep_text: bool = True  # reports carry each file's text (JSON and SARIF turn fix offsets into positions)

    @property
    def selected_codes(self) -> tuple[str, ...]:
        return self.codes if self.codes is not None else tuple(rule.code for rule in self.rules)

    def all_rules(self) -> tuple[type[Rule], ...]:
        return self.rules if self.codes is None else rule_classes(self.codes)

    def rules_for(self, path: str, python_rules: bool = True) -> tuple[type[Rule], ...]:
        chosen = self.rules
        if self.codes is not None:
            languages = (_PYTHON_RULES if python_rules else _FILE_RULES) if is_python(path) else _YAML_RULES
            chosen = rule_classes(self.codes, languages)
        ignored = self.per_file_ignores.ignored(path)
        return tuple(rule for rule in chosen if rule.code not in ignored) if ignored else chosen

    def codes_for(self, path: str) -> set[str]:
        """The codes that apply to `path`, without importing any rule."""
        return set(self.selected_codes) - self.per_file_ignores.ignored(path)


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
    selected = options.codes_for(name)
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
    # A module that imports no kfp gets no Python rule: do not import them (and LibCST) for it.
    rules = options.rules_for(name, python_rules=not is_python(name) or imports_kfp(decoded))
    from migrate.engine import check_file, fix_text  # a run the cache answers never imports the engine

    # A tree built from `ast` serves unless a rule read whitespace it does not know (`Fix.provisional`): a report
    # that shows the fixes' edits then checks again on LibCST's.
    quick = not options.keep_text
    findings, is_kfp = check_file(decoded, name, rules, candidate.explicit, candidate.foreign, quick=True)
    if options.keep_text and any_provisional(findings):
        findings, is_kfp = check_file(decoded, name, rules, candidate.explicit, candidate.foreign)
    shown = decoded if options.keep_text else None  # the text is sent back from a worker only when needed
    if not options.fix or not findings:
        return FileReport(name, tuple(findings), text=shown, kfp=is_kfp or bool(findings))
    outcome = fix_text(decoded, name, rules, options.unsafe, candidate.foreign, known=findings, quick=quick)
    if outcome.fixed is None:
        return FileReport(name, outcome.findings, outcome.applied, text=shown)
    if path.is_symlink():
        detail = f"is a symlink to {os.path.realpath(path)}: not rewritten; fix the target instead"
        refusal = _file_finding("KFP006", detail, name)
        return FileReport(name, (refusal, *findings), text=shown)
    created, refusals = _new_files(path, outcome.created)
    if refusals:
        # A fix whose new file would replace a different one is not applied at all, its edits included.
        kept = tuple(f for f in findings if f.code in outcome.creators and f.code in selected)
        if kept:
            refusals = tuple(replace(r, line=kept[0].line, col=kept[0].col) for r in refusals)
            refusals = tuple(replace(r, end_line=r.line, end_col=r.col) for r in refusals)
        held_back = tuple(rule for rule in rules if rule.code not in outcome.creators)
        outcome = fix_text(decoded, name, held_back, options.unsafe, candidate.foreign, quick=quick)
        outcome = replace(outcome, findings=(*refusals, *(replace(f, fix=None) for f in kept), *outcome.findings))
        created = ()
    if outcome.fixed is None:  # the held-back fix was the only change
        return FileReport(name, outcome.findings, outcome.applied, text=shown)
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
    import tempfile  # only runs that write import it

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
    import tempfile

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


class Contents:
    """Each file's bytes and digest, read at most once per run, shared by the cross-file facts and the cache
    lookups. A file whose identity (inode, size, times) the cache recorded is not read at all."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.started = time.time()
        self._bytes: dict[Path, bytes | None] = {}
        self._stamps: dict[Path, Stamp | None] = {}

    def read(self, path: Path) -> bytes | None:
        if path not in self._bytes:
            self._bytes[path] = _small_bytes(path)
        return self._bytes[path]

    def stamp(self, path: Path) -> Stamp | None:
        """The file's digest and whether it mentions kfp; None when it cannot be read or is too big."""
        if path not in self._stamps:
            self._stamps[path] = self._stamp(path)
        return self._stamps[path]

    def _stamp(self, path: Path) -> Stamp | None:
        name = str(path)
        try:
            info = path.stat()
        except OSError:
            return None
        if info.st_size > MAX_FILE_BYTES:
            return None
        known = self.cache.stamp(name, info)
        if known is not None:
            return known
        data = self.read(path)
        if data is None:
            return None
        stamp = Stamp(identity(info), digest(data), b"kfp" in data)
        self.cache.store_stamp(name, info, stamp.content, stamp.mentions_kfp, self.started)
        return stamp


def with_callers(
    candidates: Sequence[Candidate],
    options: Options | None = None,
    cache: Cache | None = None,
    context: Sequence[Path] = (),
    pool: Pool | None = None,
    contents: Contents | None = None,
    early: dict[Path, Early] | None = None,
    progress: Callable[[], None] | None = None,
) -> list[Candidate]:
    """Give each Python candidate what the other Python files say about it: what they pass to the names it
    defines, and the texts of the component files and modules it loads or imports. When fixing, a loaded
    component that is itself being fixed is seen as it will be once fixed, so one run converges. `context`:
    more modules whose calls count (the rest of the project, when only some files are named).

    With `early` (a check, not a fix), each candidate whose facts are collected is checked in the same step,
    from the same parse (`Early`); `progress` is called as each is done."""
    cache = cache if cache is not None else Cache.disabled()
    contents = contents or Contents(cache)
    gathered: dict[Path, callers.Facts] = {}
    # (path, digest, text) of modules the cache does not know; with no cache, (path, None, None): the task
    # reads the file (one read, in parallel) and tells whether it mentions kfp.
    missing: list[tuple[Path, str | None, str | None]] = []
    modules = list(dict.fromkeys([c.path for c in candidates if is_python(str(c.path))] + list(context)))
    for path in modules:
        if cache.path is None:
            missing.append((path, None, None))
            continue
        stamp = contents.stamp(path)
        if stamp is None or not stamp.mentions_kfp:
            continue
        known = cache.facts_for(str(path), stamp.content)
        if known is not None:
            gathered[path] = known
            continue
        data = contents.read(path)
        if data is not None:
            missing.append((path, stamp.content, data.decode("utf-8", "replace").removeprefix(BOM)))
    speculating = {c.path: c for c in candidates} if early is not None and options is not None else {}
    if pool is not None and len(missing) >= POOL_THRESHOLD:
        missing.sort(key=_size, reverse=True)  # the last tasks are small: the workers finish together
    jobs = [(text, str(path), speculating.get(path), options) for path, _, text in missing]
    if pool is not None and len(missing) >= POOL_THRESHOLD:
        computed = pool.get().map(_facts_and_early, jobs, chunksize=8)
    else:
        computed = map(_facts_and_early, jobs)
    for (path, content, _), (found_facts, report) in zip(missing, computed, strict=True):
        if found_facts is not None:
            if content is not None:
                cache.store_facts(str(path), content, found_facts)
            gathered[path] = found_facts
        if early is not None and report is not None:
            early[path] = report
            if progress is not None:
                progress()
    if not gathered:
        return list(candidates)
    # In the modules' order, whichever the cache answered: the calls' order is part of what a module sees.
    found = callers.index(gathered[path].calls for path in modules if path in gathered)
    gathered = {c.path: gathered[c.path] for c in candidates if c.path in gathered}
    # A component many pipelines load is read (and fixed) once.
    files = [file for facts in gathered.values() for _, file in facts.dependencies]
    seen = _dependencies(files, candidates, options, pool)
    return [
        replace(c, foreign=CrossFile(callers.for_file(found, str(c.path)), _sources(gathered[c.path], seen)))
        if c.path in gathered
        else c
        for c in candidates
    ]


def _size(job: tuple[Path, str | None, str | None]) -> int:
    path, _, text = job
    if text is not None:
        return len(text)
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _sources(facts: callers.Facts, seen: dict[Path, callers.Dependency | None]) -> dict[str, callers.Dependency]:
    return {key: dependency for key, file in facts.dependencies if (dependency := seen[file]) is not None}


@dataclass(frozen=True)
class Early:
    """A module's report made with its cross-file facts, before the other modules' were known: it saw no calls
    from them, and its dependencies as they are on disk. It stands for a candidate named as its own was
    (`explicit`: a file both named and found in a named folder is two candidates) when the run's facts give
    the same dependencies (`sources`, as `foreign_key` reduces them) and no call to a name its rules asked
    about (`asked`); else the module is checked again."""

    sources: str
    asked: frozenset[str]
    explicit: bool
    report: FileReport | None

    def stands_for(self, candidate: Candidate) -> bool:
        foreign = candidate.foreign
        return (
            self.explicit == candidate.explicit
            and self.sources == foreign_key(CrossFile((), foreign.sources))
            and next(iter(foreign.calls_to(self.asked)), None) is None
        )


def _facts_and_early(
    job: tuple[str | None, str, Candidate | None, Options | None],
) -> tuple[callers.Facts | None, Early | None]:
    """A module's facts (None for a file that cannot be read or does not mention kfp); for a candidate, also
    its `Early` report. (A worker's task: both read one parse.) With no text, the file is read here."""
    text, name, candidate, options = job
    uncached = text is None
    if uncached:
        data = _small_bytes(Path(name))
        if data is not None and b"kfp" in data:
            text = data.decode("utf-8", "replace").removeprefix(BOM)
    try:
        found = callers.facts(text, name) if text is not None else None
    except (RecursionError, MemoryError):  # what nests too deep for `ast` says nothing of other files
        found = None
    if uncached and found is not None:
        found = replace(found, probes=())  # what a cache would check them by: most of what is sent back
    if candidate is None or options is None:
        return found, None
    sources: dict[str, callers.Dependency] = {}
    if found is not None:
        sources = _sources(found, _dependencies([file for _, file in found.dependencies], (), None, None))
    foreign = AskedCrossFile((), sources)
    report = _safe_process(replace(candidate, foreign=foreign), options)
    return found, Early(foreign_key(CrossFile((), sources)), frozenset(foreign.asked), candidate.explicit, report)


def _small_bytes(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _small_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", "replace").removeprefix(BOM) if len(data) <= MAX_FILE_BYTES else None


def _dependencies(
    files: Sequence[Path], candidates: Sequence[Candidate], options: Options | None, pool: Pool | None
) -> dict[Path, callers.Dependency | None]:
    """The loaded components and imported modules, by resolved path; a YAML component this run fixes is seen
    fixed (fixed in the pool when there are many)."""
    found: dict[Path, callers.Dependency | None] = {}
    to_fix: list[tuple[Path, str]] = []
    fixing = set()
    if options is not None and options.fix:
        fixing = {c.path.resolve() for c in candidates if c.path.suffix.lower() in YAML_SUFFIXES}
    for file in dict.fromkeys(files):
        text = _small_text(file)
        is_yaml = file.suffix.lower() in YAML_SUFFIXES
        if text is None or not (is_yaml or "kfp" in text):
            found[file] = None
        elif is_yaml and file in fixing:
            to_fix.append((file, text))
        else:
            found[file] = callers.Dependency(str(file), text, text)
    if to_fix and options is not None:
        jobs = [(text, str(file), options.rules_for(str(file)), options.unsafe) for file, text in to_fix]
        if pool is not None and len(jobs) >= POOL_THRESHOLD:
            fixed = list(pool.get().map(_fixed_component, jobs, chunksize=4))
        else:
            fixed = [_fixed_component(job) for job in jobs]
        for (file, text), new in zip(to_fix, fixed, strict=True):
            found[file] = callers.Dependency(str(file), new if new is not None else text, text)
    return found


def _fixed_component(job: tuple[str, str, tuple[type[Rule], ...], bool]) -> str | None:
    from migrate.engine import fix_text

    text, name, rules, unsafe = job
    return fix_text(text, name, rules, unsafe).fixed


def run(
    candidates: Sequence[Candidate],
    options: Options,
    cache: Cache | None = None,
    progress: Callable[[int, int], None] | None = None,
    context: Sequence[Path] = (),
    pool: Pool | None = None,
) -> list[FileReport]:
    """Process every candidate, in parallel when there are many; one file's failure never stops the rest.
    Files the cache knows, unchanged in text, settings and dependencies, are not parsed again. `pool`: one the
    caller started (and shuts down); else one is started when needed."""
    cache = cache if cache is not None else Cache.disabled()
    if pool is not None:
        return _run(candidates, options, cache, progress, context, pool if options.jobs > 1 else None)
    with Pool(options.jobs) as own:
        return _run(candidates, options, cache, progress, context, own if options.jobs > 1 else None)


class Pool:
    """A process pool started on first use: a run the cache answers never starts one."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: Executor | None = None

    def warm(self, options: Options) -> None:
        """Start the workers now, each importing what processing needs (LibCST, the rules: a quarter of a
        second) while this process goes on finding the files. Workers forked from this process share what it
        has imported: LibCST is imported here first, once rather than in each (the rules, in the workers,
        take about as long as finding the files)."""
        import multiprocessing

        if multiprocessing.get_start_method() == "fork":
            import migrate.python_source  # noqa: F401
        pool = self.get()
        for _ in range(self.jobs):
            pool.submit(_warm, options)

    def get(self) -> Executor:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only for runs that use it

            self._pool = ProcessPoolExecutor(max_workers=self.jobs)
        return self._pool

    @property
    def started(self) -> bool:
        return self._pool is not None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def _warm(options: Options) -> None:
    import migrate.engine
    import migrate.python_source
    import migrate.yaml_source  # noqa: F401

    options.rules_for("warm.py")
    options.rules_for("warm.yaml")


def _run(
    candidates: Sequence[Candidate],
    options: Options,
    cache: Cache,
    progress: Callable[[int, int], None] | None,
    context: Sequence[Path],
    pool: Pool | None,
) -> list[FileReport]:
    contents = Contents(cache)
    if not options.fix:
        return _check(candidates, options, cache, progress, context, pool, contents)
    candidates = with_callers(candidates, options, cache, context, pool, contents)
    results: dict[int, FileReport | None] = {}
    pending: list[tuple[int, Candidate, str | None, str]] = []  # (index, candidate, content digest, foreign key)
    for index, candidate in enumerate(candidates):
        report, content, foreign = _cached(candidate, cache, contents, options)
        if report is not None:
            results[index] = None if report is _NOT_KFP else report
        else:
            pending.append((index, candidate, content, foreign))
    current = list(candidates)
    done = 0
    for wave in _waves([candidate for _, candidate, _, _ in pending]):
        # A module importing modules that earlier waves fixed sees them fixed.
        fixed = _fixed_texts(results)
        todo = [_seeing(pending[i][1], fixed) for i in wave]
        counted = None if progress is None else (lambda n, _, start=done: progress(start + n, len(pending)))
        for i, candidate, report in zip(wave, todo, _processed(todo, options, pool, counted), strict=True):
            index, _, content, foreign = pending[i]
            current[index] = candidate
            results[index] = report
            _remember(cache, candidate, content, foreign_key(candidate.foreign) if content else foreign, report)
        done += len(wave)
    # Modules that import each other, and those the cache answered.
    _after_fixed_imports(current, results, options, cache, pool, contents)
    cache.save()
    return [report for _, report in sorted(results.items()) if report is not None]


def _check(
    candidates: Sequence[Candidate],
    options: Options,
    cache: Cache,
    progress: Callable[[int, int], None] | None,
    context: Sequence[Path],
    pool: Pool | None,
    contents: Contents,
) -> list[FileReport]:
    """A check processes each file once: a YAML file at once (no other file's facts concern it), a module
    along with its cross-file facts (`Early`), and again only when the other modules' facts differ from what
    it saw then. The YAML files are queued first: the workers take them while the facts come in."""
    results: dict[int, FileReport | None] = {}
    ahead: list[tuple[int, Candidate, str | None]] = []  # (index, candidate, content digest)
    for index, candidate in enumerate(candidates):
        if not is_python(str(candidate.path)):
            report, content, _ = _cached(candidate, cache, contents, options)
            if report is not None:
                results[index] = None if report is _NOT_KFP else report
            else:
                ahead.append((index, candidate, content))
    queued = _queued([candidate for _, candidate, _ in ahead], options, pool)
    early: dict[Path, Early] = {}
    total, done = len(candidates) - len(results), 0

    def count() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    candidates = with_callers(candidates, options, cache, context, pool, contents, early, count)
    counted = set(early)  # modules counted as their early reports came in

    def settled(candidate: Candidate) -> None:  # each candidate counts once, whatever report it gets
        if candidate.path in counted:
            counted.discard(candidate.path)
        else:
            count()

    for (index, candidate, content), report in zip(ahead, queued, strict=True):
        results[index] = report
        _remember(cache, candidate, content, "", report)
        settled(candidate)
    pending: list[tuple[int, Candidate, str | None, str]] = []
    for index, candidate in enumerate(candidates):
        if index in results:
            continue
        report, content, foreign = _cached(candidate, cache, contents, options)
        made = early.get(candidate.path)
        if report is None and made is not None and made.stands_for(candidate):
            report = made.report
            _remember(cache, candidate, content, foreign, report)
            results[index] = report
            settled(candidate)
        elif report is not None:
            results[index] = None if report is _NOT_KFP else report
            settled(candidate)
        else:
            pending.append((index, candidate, content, foreign))
    todo = [candidate for _, candidate, _, _ in pending]
    for (index, candidate, content, foreign), report in zip(pending, _processed(todo, options, pool), strict=True):
        results[index] = report
        _remember(cache, candidate, content, foreign, report)
        settled(candidate)
    cache.save()
    return [report for _, report in sorted(results.items()) if report is not None]


def _cached(
    candidate: Candidate, cache: Cache, contents: Contents, options: Options
) -> tuple[FileReport | None, str | None, str]:
    """What the cache says of the file (`_NOT_KFP`: not a KFP file; None: it must be processed), and the file's
    content digest and cross-file facts key (None and "" when the cache is off)."""
    stamp = contents.stamp(candidate.path) if cache.path is not None and not candidate.path.is_symlink() else None
    content, foreign = (stamp.content, foreign_key(candidate.foreign)) if stamp is not None else (None, "")
    entry = cache.lookup(str(candidate.path), content, candidate.explicit, foreign) if content else None
    return (_from_cache(candidate, entry, contents, options) if entry is not None else None), content, foreign


def _queued(todo: Sequence[Candidate], options: Options, pool: Pool | None) -> Iterator[FileReport | None]:
    """`_processed`, its tasks queued in the pool now and collected as the result is read."""
    if pool is not None and (len(todo) >= POOL_THRESHOLD or (pool.started and len(todo) > 1)):
        return pool.get().map(_safe_process, todo, [options] * len(todo), chunksize=8)
    return (_safe_process(candidate, options) for candidate in todo)


_MOST_WAVES = 8


def _waves(candidates: Sequence[Candidate]) -> list[list[int]]:
    """The candidates (by position) in the order `fix` takes them: a module after the modules it imports from
    among them (waves of one pool map each); modules importing each other share the last wave."""
    where = {os.path.realpath(c.path): i for i, c in enumerate(candidates)}
    imports = [
        {where[d.path] for key, d in c.foreign.sources.items() if key.startswith("py:") and where.get(d.path, i) != i}
        for i, c in enumerate(candidates)
    ]
    level = [0] * len(candidates)
    for _ in range(_MOST_WAVES):
        changed = False
        for i, found in enumerate(imports):
            wanted = min(_MOST_WAVES - 1, 1 + max(level[j] for j in found)) if found else 0
            if wanted != level[i]:
                level[i], changed = wanted, True
        if not changed:
            break
    waves: dict[int, list[int]] = {}
    for i, number in enumerate(level):
        waves.setdefault(number, []).append(i)
    return [waves[number] for number in sorted(waves)]


def _fixed_texts(results: dict[int, FileReport | None]) -> dict[str, str]:
    return {os.path.realpath(r.path): r.fixed for r in results.values() if r is not None and r.fixed is not None}


def _seeing(candidate: Candidate, fixed: dict[str, str]) -> Candidate:
    """`candidate` seeing the modules it imports as this run fixed them."""
    sources = candidate.foreign.sources
    seen = {
        key: replace(dependency, text=fixed[dependency.path])
        if key.startswith("py:") and dependency.path in fixed and dependency.text != fixed[dependency.path]
        else dependency
        for key, dependency in sources.items()
    }
    return candidate if seen == sources else replace(candidate, foreign=CrossFile(candidate.foreign.calls, seen))


def _processed(
    todo: Sequence[Candidate],
    options: Options,
    pool: Pool | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileReport | None]:
    processed: list[FileReport | None] = []
    if pool is not None and (len(todo) >= POOL_THRESHOLD or (pool.started and len(todo) > 1)):
        chunk = max(1, min(8, len(todo) // (4 * pool.jobs)))  # a few files: one each, spread over the workers
        for report in pool.get().map(_safe_process, todo, [options] * len(todo), chunksize=chunk):
            processed.append(report)
            if progress is not None:
                progress(len(processed), len(todo))
    else:
        for candidate in todo:
            processed.append(_safe_process(candidate, options))
            if progress is not None:
                progress(len(processed), len(todo))
    return processed


_FIXED_IMPORT_ROUNDS = 3


def _after_fixed_imports(
    candidates: Sequence[Candidate],
    results: dict[int, FileReport | None],
    options: Options,
    cache: Cache,
    pool: Pool | None,
    contents: Contents,
) -> None:
    """Fix again the modules that import a module this run fixed but did not see it fixed (modules importing each
    other, modules the cache answered): what they pass it may now need a fix, or be wrong (a type the fix
    declared). Without this, a second run would find more."""
    current = list(candidates)
    for _ in range(_FIXED_IMPORT_ROUNDS):
        fixed = _fixed_texts(results)
        again: dict[int, Candidate] = {}
        for index, candidate in enumerate(current):
            seeing = _seeing(candidate, fixed)
            if seeing is not candidate:
                again[index] = seeing
        if not again:
            return
        reports = _processed(list(again.values()), options, pool, None)
        for (index, candidate), report in zip(again.items(), reports, strict=True):
            current[index] = candidate
            results[index] = _after(results[index], report, options)
            stamp = contents.stamp(candidate.path) if cache.path is not None else None
            if stamp is not None:
                _remember(cache, candidate, stamp.content, foreign_key(candidate.foreign), results[index])


def _after(first: FileReport | None, then: FileReport | None, options: Options) -> FileReport | None:
    """One report of a file fixed (`first`), then fixed again from where the first one left it on disk (or,
    when nothing was written, from the start)."""
    if first is None or then is None or not options.write or first.fixed is None:
        return then
    if then.fixed is None:
        return replace(first, findings=then.findings)
    return replace(then, applied=first.applied + then.applied, original=first.original, written=True)


def _still_true(entry: Entry, options: Options) -> bool:
    """A cached check answers a fix run only when none of its findings has a fix that run would apply."""
    return not options.fix or not any(applicable(f.fix, options.unsafe) for f in entry.findings or ())


# What `_from_cache` answers for a file the cache knows is no KFP file (the run reports nothing for it).
_NOT_KFP = FileReport("", ())


def _from_cache(candidate: Candidate, entry: Entry, contents: Contents, options: Options) -> FileReport | None:
    """The cached report, or None when the cache cannot answer (the file must be processed)."""
    if not _still_true(entry, options):
        return None
    if entry.findings is None:
        return _NOT_KFP
    if options.keep_text and any_provisional(entry.findings):
        return None  # this report shows the fixes' edits: find them with LibCST
    text = None
    if options.keep_text:
        data = contents.read(candidate.path)
        if data is None:
            return None
        decoded = decode(data, str(candidate.path))
        text = decoded if isinstance(decoded, str) else None
    return FileReport(str(candidate.path), entry.findings, text=text, kfp=entry.kfp)


def _remember(cache: Cache, candidate: Candidate, content: str | None, foreign: str, report: FileReport | None) -> None:
    if content is None or cache.path is None:
        return
    if report is not None and any(f.code in _UNCACHED for f in report.findings):
        return  # an internal error or a refused write is worth retrying
    name = str(candidate.path)
    if report is not None and report.written:
        data = _small_bytes(candidate.path)  # the file as written is what the next run will read
        if data is None:
            return
        content = digest(data)  # no stamp: a file written just now is never trusted by one
    findings = report.findings if report is not None else None
    cache.store(name, Entry(content, candidate.explicit, foreign, findings, report is None or report.kfp))


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
    from migrate.engine import check_text, fix_text

    decoded = decode(data, name)
    if isinstance(decoded, Finding):
        return FileReport(name, (decoded,)), data.decode("utf-8", "replace")
    had_bom = data.startswith(BOM.encode())
    if not options.fix:
        return FileReport(name, tuple(check_text(decoded, name, options.rules_for(name))), text=decoded), decoded
    outcome = fix_text(decoded, name, options.rules_for(name), options.unsafe)
    if outcome.created:  # standard input has no folder to write a new file into: skip those fixes
        rules = tuple(r for r in options.rules_for(name) if r.code not in outcome.creators)
        outcome = fix_text(decoded, name, rules, options.unsafe)
    text = outcome.fixed if outcome.fixed is not None else decoded
    report = FileReport(name, outcome.findings, outcome.applied, decoded, outcome.fixed, text=text)
    return report, (BOM if had_bom else "") + text
