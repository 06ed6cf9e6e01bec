"""The worker processes a run shares out its files to."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor

from migrate.discovery import Candidate
from migrate.processing import FileReport, Options, safe_process

# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 16


class Pool:
    """A process pool started on first use: a run the cache answers never starts one."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: Executor | None = None

    def warm(self, options: Options) -> None:
        """Start the workers now, so that what processing imports (LibCST and the rules: a quarter of a second)
        is imported while this process goes on finding the files. Workers forked from this process share what
        it has imported: LibCST is imported here first, once rather than in each; the rules, imported in the
        workers, take about as long as finding the files."""
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
    """A worker's first task: import what checking a file of either language needs."""
    import migrate.engine
    import migrate.python_source
    import migrate.yaml_source  # noqa: F401

    options.rules_for("warm.py")
    options.rules_for("warm.yaml")


def queued(todo: Sequence[Candidate], options: Options, pool: Pool | None) -> Iterator[FileReport | None]:
    """`processed`, its tasks queued in the pool now and collected as the result is read."""
    if pool is not None and (len(todo) >= POOL_THRESHOLD or (pool.started and len(todo) > 1)):
        return pool.get().map(safe_process, todo, [options] * len(todo), chunksize=8)
    return (safe_process(candidate, options) for candidate in todo)


def processed(
    todo: Sequence[Candidate],
    options: Options,
    pool: Pool | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileReport | None]:
    """Each candidate's report, in order: in the pool when there are many, or when it is running anyway."""
    reports: list[FileReport | None] = []
    if pool is not None and (len(todo) >= POOL_THRESHOLD or (pool.started and len(todo) > 1)):
        chunk = max(1, min(8, len(todo) // (4 * pool.jobs)))  # a few files: one each, spread over the workers
        for report in pool.get().map(safe_process, todo, [options] * len(todo), chunksize=chunk):
            reports.append(report)
            if progress is not None:
                progress(len(reports), len(todo))
    else:
        for candidate in todo:
            reports.append(safe_process(candidate, options))
            if progress is not None:
                progress(len(reports), len(todo))
    return reports
