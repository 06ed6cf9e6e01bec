"""The pool: this process and `jobs - 1` workers share the chunks; results come back in order, errors at
their place, and a worker that dies is an error, never a hang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrate.pool import Pool, WorkerDied

ROOT = Path(__file__).resolve().parent.parent


def _slow_pid(item: int) -> tuple[int, int]:
    time.sleep(0.002)
    return item, os.getpid()


def _fails_on_seven(item: int) -> int:
    if item == 7:
        raise ValueError("seven")
    return item * 2


@pytest.mark.parametrize("jobs", [2, 3])
def test_results_come_in_order_and_every_process_works(jobs: int) -> None:
    with Pool(jobs) as pool:
        results = list(pool.map(_slow_pid, list(range(200)), chunksize=4))
    assert [item for item, _ in results] == list(range(200))
    doers = {pid for _, pid in results}
    assert os.getpid() in doers  # this process took chunks while it waited
    assert len(doers) == jobs


def test_the_pool_serves_several_maps_queued_before_they_are_read() -> None:
    with Pool(2) as pool:
        first = pool.map(_slow_pid, list(range(40)), chunksize=3)
        second = pool.map(_fails_on_seven, list(range(5)), chunksize=2)
        assert list(second) == [0, 2, 4, 6, 8]
        assert [item for item, _ in first] == list(range(40))


def test_a_worker_holding_only_quick_chunks_gets_a_chunk_of_the_next_map_first() -> None:
    """Else it would finish its quick chunks (YAML files) and wait while this process does a slow one (the
    biggest module), unable to feed it until that is done."""
    with Pool(2) as pool:
        quick = pool.map(abs, list(range(-6, 0)), chunksize=2)  # three chunks: all held by the worker
        slow = list(pool.map(_slow_pid, list(range(4)), chunksize=1))
        assert list(quick) == [6, 5, 4, 3, 2, 1]
    assert slow[0][1] != os.getpid()  # sent to the worker beside its quick chunks
    assert slow[1][1] == os.getpid()  # the next one, done here


def test_an_error_is_raised_where_its_result_is_read() -> None:
    with Pool(2) as pool:
        results = pool.map(_fails_on_seven, list(range(40)), chunksize=1)
        read = [next(results) for _ in range(7)]
        assert read == [0, 2, 4, 6, 8, 10, 12]
        with pytest.raises(ValueError, match="seven"):
            next(results)


def _doubled(text: str) -> str:
    return text + text


def test_big_tasks_and_big_results_do_not_wait_on_each_other() -> None:
    """Each side writing more than a pipe holds while the other writes too: a deadlock unless the worker
    takes its tasks as they come."""

    def give_up(*_: object) -> None:
        raise TimeoutError("the pool hung")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(60)
    try:
        with Pool(2) as pool:
            texts = [str(n) * 400_000 for n in range(12)]
            assert list(pool.map(_doubled, texts, chunksize=1)) == [t + t for t in texts]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with Pool(2) as pool:
        results = pool.map(os._exit, [3], chunksize=1)  # the only chunk goes to the worker at once
        with pytest.raises(WorkerDied, match="exit code 3"):
            list(results)
        # The pool still works: this process does what is left.
        assert list(pool.map(abs, [-1, -2], chunksize=1)) == [1, 2]


def test_the_pool_works_when_workers_are_spawned() -> None:
    """macOS and Windows start workers by spawning, not forking: they import everything themselves."""
    script = (
        "import multiprocessing\n"
        "from migrate.pool import Pool\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('spawn')\n"
        "    with Pool(2) as pool:\n"
        "        print(sum(pool.map(abs, list(range(-300, 0)), chunksize=5)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sum(range(1, 301)))
