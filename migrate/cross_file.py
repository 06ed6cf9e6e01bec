"""What the other files say about each module of a run (`migrate.callers` finds it in one module): gathered
in the pool, with each module's own check when that can go along (`Early`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migrate import callers
from migrate.cache import Cache, Stamp, digest, foreign_key, identity
from migrate.callers import AskedCrossFile, CrossFile
from migrate.discovery import YAML_SUFFIXES, Candidate
from migrate.languages import BOM, is_python
from migrate.model import Rule
from migrate.pool import POOL_THRESHOLD, Pool
from migrate.processing import MAX_FILE_BYTES, FileReport, Options, safe_process, small_bytes, small_text


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
            self._bytes[path] = small_bytes(path)
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
    run = callers.run_token()
    jobs = [(text, str(path), speculating.get(path), options, run) for path, _, text in missing]
    if pool is not None and len(missing) >= POOL_THRESHOLD:
        computed = pool.map(_facts_and_early, jobs, chunksize=8)
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
    found = callers.through_reexports(found, _text_of)
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


def _text_of(file: str) -> str | None:
    return small_text(Path(file))


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
    job: tuple[str | None, str, Candidate | None, Options | None, str],
) -> tuple[callers.Facts | None, Early | None]:
    """A module's facts (None for a file that cannot be read or does not mention kfp); for a candidate, also
    its `Early` report. (A worker's task: both read one parse.) With no text, the file is read here. `run`:
    the run's token, under which the existence checks are shared."""
    text, name, candidate, options, run = job
    uncached = text is None
    if uncached:
        data = small_bytes(Path(name))
        if data is not None and b"kfp" in data:
            text = data.decode("utf-8", "replace").removeprefix(BOM)
    try:
        found = callers.facts(text, name, run) if text is not None else None
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
    report = safe_process(replace(candidate, foreign=foreign), options)
    return found, Early(foreign_key(CrossFile((), sources)), frozenset(foreign.asked), candidate.explicit, report)


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
        text = small_text(file)
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
            fixed = list(pool.map(_fixed_component, jobs, chunksize=4))
        else:
            fixed = [_fixed_component(job) for job in jobs]
        for (file, text), new in zip(to_fix, fixed, strict=True):
            found[file] = callers.Dependency(str(file), new if new is not None else text, text)
    return found


def _fixed_component(job: tuple[str, str, tuple[type[Rule], ...], bool]) -> str | None:
    from migrate.engine import fix_text

    text, name, rules, unsafe = job
    return fix_text(text, name, rules, unsafe).fixed
