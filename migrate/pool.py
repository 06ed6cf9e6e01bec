"""The processes a run shares out its files to: this one and `jobs - 1` workers.

No threads: this process feeds the workers between its own tasks. (A process pool's feeding threads wait for
the interpreter lock while this process works, and the workers wait for them.)"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from migrate.discovery import Candidate
from migrate.processing import FileReport, Options, safe_process

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 16

# Chunks a worker holds ahead of the one it is on: enough that it never waits while this process is busy
# with a big file, few enough that the last chunks are shared out evenly.
_AHEAD = 3

T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(RuntimeError):
    """A worker process ended while it held tasks (killed, out of memory, crashed in native code)."""


@dataclass(eq=False)
class _Chunk:
    function: Callable[[Any], Any]
    items: Sequence[Any]
    batch: int  # which `map` queued it
    results: list[Any] | None = None
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.results is not None or self.error is not None


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    tasks: Connection  # written here
    results: Connection  # read here
    holding: deque[_Chunk] = field(default_factory=deque)
    alive: bool = True


class Pool:
    """`jobs` processes: this one and `jobs - 1` workers, started on first use (a run the cache answers never
    starts one). Chunks are taken in the order they were queued, by whichever process is free: this one takes
    the next one while it waits for a result."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._workers: list[_Worker] | None = None
        self._queue: deque[_Chunk] = deque()
        self._batches = 0

    def warm(self, options: Options) -> None:
        """Start the workers now, so that what processing imports (LibCST and the rules: a quarter of a second)
        is imported while this process goes on finding the files. Workers forked from this process share what
        it has imported: LibCST is imported here first, once rather than in each."""
        import multiprocessing

        if multiprocessing.get_start_method() == "fork":
            import migrate.python_source  # noqa: F401
        self._start(options)

    @property
    def started(self) -> bool:
        return self._workers is not None

    def map(self, function: Callable[[T], R], items: Sequence[T], chunksize: int) -> Iterator[R]:
        """`function` of each item, in order, computed by all the processes. The chunks are queued now; the
        results are collected as the iterator is read."""
        self._start(None)
        self._batches += 1
        chunks = [
            _Chunk(function, items[start : start + chunksize], self._batches)
            for start in range(0, len(items), chunksize)
        ]
        self._queue.extend(chunks)
        self._feed()
        return self._results(chunks)

    def _results(self, chunks: list[_Chunk]) -> Iterator[Any]:
        for chunk in chunks:
            self._wait_for(chunk)
            if chunk.error is not None:
                raise chunk.error
            yield from chunk.results or ()

    def _wait_for(self, chunk: _Chunk) -> None:
        from multiprocessing.connection import wait

        while not chunk.done:
            if self._queue:
                self._do_here(self._queue.popleft())
                continue
            busy = [worker.results for worker in self._workers or () if worker.alive and worker.holding]
            if not busy:
                raise WorkerDied("a chunk of work was lost")  # cannot happen: every chunk is queued or held
            wait(busy)
            self._feed()

    def _do_here(self, chunk: _Chunk) -> None:
        results = []
        try:
            for item in chunk.items:
                results.append(chunk.function(item))
                self._feed()  # between files: a worker waits at most one file for its next chunk
        except Exception as error:  # raised where the results are read, as a worker's is
            chunk.error = error
        else:
            chunk.results = results

    def _feed(self) -> None:
        """Collect what the workers finished, and give each its next chunks."""
        for worker in self._workers or ():
            if not worker.alive:
                continue
            try:
                while worker.holding and worker.results.poll():
                    outcome, value = worker.results.recv()
                    chunk = worker.holding.popleft()
                    if outcome == "ok":
                        chunk.results = value
                    else:
                        chunk.error = value
                while self._queue and (len(worker.holding) < _AHEAD or self._unlike(worker.holding)):
                    chunk = self._queue.popleft()
                    try:
                        worker.tasks.send((chunk.function, chunk.items))
                    except OSError:
                        self._queue.appendleft(chunk)  # never sent: still to do
                        raise
                    worker.holding.append(chunk)
            except (EOFError, OSError):
                self._lost(worker)

    def _unlike(self, holding: deque[_Chunk]) -> bool:
        """Whether a worker holds no chunk like the next one (one more is sent): the chunks of one `map` take
        alike, and a worker holding only quick ones (YAML files) would finish them, then wait, while this
        process does one of the next, slow ones (the biggest modules) before it feeds the worker again."""
        return len(holding) <= _AHEAD and all(chunk.batch != self._queue[0].batch for chunk in holding)

    def _lost(self, worker: _Worker) -> None:
        worker.alive = False
        worker.process.join(timeout=1)  # its pipe closed as it ended: its exit code follows at once
        code = worker.process.exitcode
        for chunk in worker.holding:
            chunk.error = WorkerDied(f"a worker process ended (exit code {code}) while checking files")
        worker.holding.clear()

    def _start(self, options: Options | None) -> None:
        if self._workers is not None:
            return
        import multiprocessing  # only for runs that use it

        self._workers = []
        for _ in range(max(1, self.jobs - 1)):
            tasks_out, tasks_in = multiprocessing.Pipe(duplex=False)
            results_out, results_in = multiprocessing.Pipe(duplex=False)
            process = multiprocessing.Process(target=_serve, args=(tasks_out, results_in, options), daemon=True)
            process.start()
            tasks_out.close()
            results_in.close()
            self._workers.append(_Worker(process, tasks_in, results_out))

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_: object) -> None:
        for worker in self._workers or ():
            if worker.alive and not worker.holding:
                try:
                    worker.tasks.send(None)
                except OSError:
                    worker.process.terminate()
            else:
                worker.process.terminate()  # it holds work nobody will read: a run that failed
        for worker in self._workers or ():
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
            worker.tasks.close()
            worker.results.close()
        self._workers = None
        self._queue.clear()


def _serve(tasks: Connection, results: Connection, options: Options | None) -> None:
    """A worker: imports what processing needs (when warmed), then does chunks until told to stop. A thread
    takes the tasks as they come: the other process, writing a big one, never waits for this one to finish
    its chunk (which may be waiting to write a big result: neither would go on)."""
    import queue
    import threading

    todo: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while (task := tasks.recv()) is not None:
                todo.put(task)
        except (EOFError, OSError):
            pass
        todo.put(None)

    threading.Thread(target=receive, daemon=True).start()
    try:
        if options is not None:
            _warm(options)
        while (task := todo.get()) is not None:
            function, items = task
            try:
                outcome: tuple[str, object] = ("ok", [function(item) for item in items])
            except Exception as error:  # given back, to be raised where the results are read
                outcome = ("error", error)
            try:
                results.send(outcome)
            except (OSError, EOFError):
                raise
            except Exception as error:  # a result or error that cannot be pickled
                results.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    except (EOFError, KeyboardInterrupt, OSError):
        pass  # the run ended or was interrupted: nothing more to do


def _warm(options: Options) -> None:
    """Import what checking a file of either language needs."""
    import migrate.engine
    import migrate.python_source
    import migrate.yaml_source  # noqa: F401

    options.rules_for("warm.py")
    options.rules_for("warm.yaml")


def _in_pool(pool: Pool | None, count: int) -> TypeGuard[Pool]:
    """Whether `count` files go to the pool: when there are many, or when it is running anyway."""
    return pool is not None and (count >= POOL_THRESHOLD or (pool.started and count > 1))


def queued(todo: Sequence[Candidate], options: Options, pool: Pool | None) -> Iterator[FileReport | None]:
    """`processed`, its tasks queued in the pool now and collected as the result is read."""
    if _in_pool(pool, len(todo)):
        return pool.map(partial(safe_process, options=options), todo, chunksize=8)
    return (safe_process(candidate, options) for candidate in todo)


def processed(
    todo: Sequence[Candidate],
    options: Options,
    pool: Pool | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileReport | None]:
    """Each candidate's report, in order: in the pool when there are many, or when it is running anyway."""
    reports: list[FileReport | None] = []
    if _in_pool(pool, len(todo)):
        chunk = max(1, min(8, len(todo) // (4 * pool.jobs)))  # a few files: one each, spread over the workers
        for report in pool.map(partial(safe_process, options=options), todo, chunksize=chunk):
            reports.append(report)
            if progress is not None:
                progress(len(reports), len(todo))
    else:
        for candidate in todo:
            reports.append(safe_process(candidate, options))
            if progress is not None:
                progress(len(reports), len(todo))
    return reports
