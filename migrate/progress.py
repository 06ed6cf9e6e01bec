"""A progress bar on standard error for long runs; never on standard output, which carries the report."""

from __future__ import annotations

import sys
from collections.abc import Callable


def bar(threshold: int) -> Callable[[int, int], None]:
    """A callback `(done, total)` drawing one self-overwriting line once `total` reaches `threshold`."""
    width = 30
    last: list[int] = [-1]

    def update(done: int, total: int) -> None:
        if total < threshold:
            return
        filled = width * done // total
        if filled == last[0] and done != total:
            return
        last[0] = filled
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        if done == total:
            sys.stderr.write("\r" + " " * (width + 2 + 2 * len(str(total)) + 8) + "\r")
        sys.stderr.flush()

    return update
