"""Keep glibc's heap warm for blocks up to 32 MB, so that a trace's repeated large temporaries
(oneDNN's training workspaces, ``onednn_gates``) reuse memory instead of faulting fresh pages in.

Why (issue 17): glibc serves a block above its mmap threshold with a fresh mapping and unmaps it on
free; a later block of that size faults every page in again, each page zeroed by the kernel. The
threshold starts at 128 KB and rises to the size of a freed mapped block (at most 32 MB), the trim
threshold with it to twice that, so whether a 28 MB workspace is reused depends on what the process
allocated and freed before. Measured on 2 cores, one sequence of 1,000 steps through LSTM(1024)
(three 28 MB workspaces a trace): ~15,000 page faults per trace and 1.31-1.48x torch's forward with
glibc's own thresholds, ~2,000 (the trace's new arrays) and 1.21-1.25x once they were fixed at their
usual steady state: 32 MB for mmap, 64 MB kept free at the heap's top. 64 sequences of 128 units in
20-step calls took 20.6-23 ms (~7,000 faults) against 14.0 ms, depending on what ran before.

``keep_heap_warm`` fixes them there, once per process, on glibc only (elsewhere it does nothing).
Blocks above 32 MB are still mapped and unmapped, and at most 64 MB of free heap is held back
from the system. Qt-free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading

log = logging.getLogger(__name__)

MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's own ceiling for its dynamic mmap threshold (64-bit)
TRIM_THRESHOLD_BYTES = 64 << 20  # twice that, as glibc's dynamic rule sets it
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>

_lock = threading.Lock()
_done: bool | None = None  # None: not tried yet; then whether the thresholds were set


def keep_heap_warm() -> bool:
    """Fix glibc's mmap and trim thresholds at their steady state (once); True when they are set."""
    global _done
    with _lock:
        if _done is None:
            _done = _set_thresholds()
        return _done


def _set_thresholds() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt  # glibc and some others; musl has none
        if not hasattr(libc, "gnu_get_libc_version"):
            return False  # another libc: its mallopt may mean something else
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    log.debug("glibc heap thresholds fixed at 32/64 MB: %s", ok)
    return ok
