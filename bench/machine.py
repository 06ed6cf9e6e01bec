"""What the machine allows a two-worker run at best, whatever the tool does.

Two figures bound the speed-up of `--jobs 2` over `--jobs 1`:
- the serial floor: time every run spends before any work can be shared out, at the least starting the CLI
  and importing LibCST (each process that checks Python needs it);
- the machine's parallel efficiency: how fast two processes that share nothing run at once, against one
  alone. On a VM whose two CPUs are hyperthreads of one core, or shared with other guests, it is below 1.

With `one` the one-worker time, the ceiling is `one / (floor + (one - floor) / (2 * efficiency))`: the floor
as it is, the rest halved and slowed by the efficiency.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

# A pure arithmetic loop: no memory traffic and no I/O, so the only thing two copies share is the CPU.
_LOOP = "x = 0\nfor i in range(6_000_000):\n    x += i ^ (i >> 3)\n"


def ceiling(one: float, floor: float, efficiency: float) -> float:
    """The best speed-up two processes can give over one: `floor` seconds stay serial, the rest is halved
    and then slowed by `efficiency` (1: two processes run as fast as one alone)."""
    if not 0 < efficiency <= 1 or not 0 <= floor <= one:
        raise ValueError(f"need 0 < efficiency <= 1 and 0 <= floor <= one, got {efficiency}, {floor}, {one}")
    return one / (floor + (one - floor) / (2 * efficiency))


def parallel_efficiency(repeat: int) -> list[float]:
    """For each round, the time of the loop run alone over the time of two copies run at once (in turn, so a
    machine slowing down slows both)."""
    efficiencies = []
    for _ in range(repeat):
        alone = _wall([[sys.executable, "-I", "-c", _LOOP]])
        both = _wall([[sys.executable, "-I", "-c", _LOOP]] * 2)
        efficiencies.append(min(1.0, alone / both))
    return efficiencies


def _wall(commands: Sequence[Sequence[str]]) -> float:
    """Seconds from starting all the commands at once to the last one ending."""
    start = time.perf_counter()
    running = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for command in commands]
    for process in running:
        if process.wait() != 0:
            raise RuntimeError(f"{' '.join(process.args)} exited {process.returncode}")  # type: ignore[arg-type]
    return time.perf_counter() - start
