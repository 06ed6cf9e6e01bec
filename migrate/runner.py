"""A run over many files: the cache, the cross-file facts, the pool, and the order `fix` takes modules in."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migrate.cache import Cache, Entry, digest, foreign_key
from migrate.callers import CrossFile
from migrate.cross_file import Contents, Early, with_callers
from migrate.discovery import Candidate, discover
from migrate.languages import is_python
from migrate.model import any_provisional, applicable
from migrate.pool import POOL_THRESHOLD, Pool, processed, queued
from migrate.processing import FileReport, Options, check_stdin_text, decode, process, small_bytes

__all__ = [
    "POOL_THRESHOLD",
    "Candidate",
    "FileReport",
    "Options",
    "Pool",
    "check_stdin_text",
    "decode",
    "discover",
    "process",
    "run",
    "with_callers",
]

# Findings that say the run went wrong rather than the file: never cached.
_UNCACHED = frozenset({"KFP006", "KFP007"})


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
    with contextlib.nullcontext(pool) if pool is not None else Pool(options.jobs) as chosen:
        shared = chosen if options.jobs > 1 else None
        setting = _Run(options, cache, progress, context, shared, Contents(cache))
        return _fix(candidates, setting) if options.fix else _check(candidates, setting)


@dataclass(frozen=True)
class _Run:
    """What one run's steps share."""

    options: Options
    cache: Cache
    progress: Callable[[int, int], None] | None
    context: Sequence[Path]  # more modules whose calls count
    pool: Pool | None  # None: every file is processed here
    contents: Contents


def _fix(candidates: Sequence[Candidate], run: _Run) -> list[FileReport]:
    """A fix takes a module after the modules it imports (`_waves`), so it sees them fixed."""
    options, cache, progress, pool, contents = run.options, run.cache, run.progress, run.pool, run.contents
    candidates = with_callers(candidates, options, cache, run.context, pool, contents)
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
        for i, candidate, report in zip(wave, todo, processed(todo, options, pool, counted), strict=True):
            index, _, content, foreign = pending[i]
            current[index] = candidate
            results[index] = report
            _remember(cache, candidate, content, foreign_key(candidate.foreign) if content else foreign, report)
        done += len(wave)
    # Modules that import each other, and those the cache answered.
    _after_fixed_imports(current, results, run)
    cache.save()
    return [report for _, report in sorted(results.items()) if report is not None]


def _check(candidates: Sequence[Candidate], run: _Run) -> list[FileReport]:
    """A check processes each file once: a YAML file at once (no other file's facts concern it), a module
    along with its cross-file facts (`Early`), and again only when the other modules' facts differ from what
    it saw then. The YAML files are queued first: the workers take them while the facts come in."""
    options, cache, progress, pool, contents = run.options, run.cache, run.progress, run.pool, run.contents
    results: dict[int, FileReport | None] = {}
    ahead: list[tuple[int, Candidate, str | None]] = []  # (index, candidate, content digest)
    for index, candidate in enumerate(candidates):
        if not is_python(str(candidate.path)):
            report, content, _ = _cached(candidate, cache, contents, options)
            if report is not None:
                results[index] = None if report is _NOT_KFP else report
            else:
                ahead.append((index, candidate, content))
    answers = queued([candidate for _, candidate, _ in ahead], options, pool)
    early: dict[Path, Early] = {}
    total, done = len(candidates) - len(results), 0

    def count() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    candidates = with_callers(candidates, options, cache, run.context, pool, contents, early, count)
    counted = set(early)  # modules counted as their early reports came in

    def settled(candidate: Candidate) -> None:  # each candidate counts once, whatever report it gets
        if candidate.path in counted:
            counted.discard(candidate.path)
        else:
            count()

    for (index, candidate, content), report in zip(ahead, answers, strict=True):
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
    for (index, candidate, content, foreign), report in zip(pending, processed(todo, options, pool), strict=True):
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


_FIXED_IMPORT_ROUNDS = 3


def _after_fixed_imports(candidates: Sequence[Candidate], results: dict[int, FileReport | None], run: _Run) -> None:
    """Fix again the modules that import a module this run fixed but did not see it fixed (modules importing each
    other, modules the cache answered): what they pass it may now need a fix, or be wrong (a type the fix
    declared). Without this, a second run would find more."""
    options, cache, contents = run.options, run.cache, run.contents
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
        reports = processed(list(again.values()), options, run.pool, None)
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
        data = small_bytes(candidate.path)  # the file as written is what the next run will read
        if data is None:
            return
        content = digest(data)  # no stamp: a file written just now is never trusted by one
    findings = report.findings if report is not None else None
    cache.store(name, Entry(content, candidate.explicit, foreign, findings, report is None or report.kfp))
