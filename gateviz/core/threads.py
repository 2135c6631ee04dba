"""How many threads a trace asks torch for: the cores no other process is using right now.

Why (issue 17): torch's CPU kernels run on OpenMP threads that spin while they wait for each
other. With another busy process on a 2-core machine, a 2-thread LSTM forward lost its second
core to that process and its spinning threads made it up to 9x slower; on one thread it lost
nothing. OMP_WAIT_POLICY=passive avoids the spin but cost 1.5-4x on an idle machine (measured,
benchmarks/big_models.py's shapes), so gateviz leaves the wait policy alone and instead uses,
for each trace, only the cores that are free when it starts.

Linux tells how many tasks are runnable system-wide (/proc/loadavg's fourth field); this
process's own running threads are taken off that count. Elsewhere, or when unreadable, torch's
own thread count is kept. Qt-free.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _own_running_threads() -> int:
    """This process's threads in state R (running or runnable) now."""
    running = 0
    for stat in Path("/proc/self/task").glob("*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # a thread that just ended
        running += text[text.rfind(")") + 2:][:1] == "R"  # the state follows the (name)
    return running


def free_cores(samples: int = 4, gap_s: float = 0.003) -> int | None:
    """Cores of this process's CPU set that other processes leave free now (>= 1), or None when the
    system does not say (not Linux). The runnable count is a snapshot: the most free cores of a few
    samples ``gap_s`` apart, so a process that ran for a moment does not halve an idle machine's
    threads (one thread instead of two cost 3.6x for a 1024-unit LSTM)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return None
    best = None
    for k in range(samples):
        if k:
            time.sleep(gap_s)
        try:
            runnable = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        free = cores_left(cores, runnable, _own_running_threads())
        best = free if best is None else max(best, free)
    return best


def cores_left(cores: int, runnable: int, own_running: int) -> int:
    """Cores left by other processes: ``runnable`` tasks system-wide, ``own_running`` of them ours."""
    return max(1, cores - max(0, runnable - own_running))


# Unit-steps (steps x units, summed over layers and directions) below which a trace keeps torch's
# threads without looking: it takes a few ms, less than the ~10 ms the samples cost
SMALL_TRACE_UNIT_STEPS = 2_000_000


@contextmanager
def threads_for_free_cores(unit_steps: float | None = None) -> Iterator[int]:
    """Inside: torch uses at most the free cores (never more than its own setting); the thread count
    it had is restored after. torch's count is per calling thread under OpenMP, so a trace job's
    worker does not change the GUI thread's. ``unit_steps``: the trace's size; a small one is not
    worth the samples."""
    import torch

    default = torch.get_num_threads()
    free = None if unit_steps is not None and unit_steps < SMALL_TRACE_UNIT_STEPS else free_cores()
    wanted = default if free is None else max(1, min(default, free))
    if wanted == default:
        yield default
        return
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(default)
