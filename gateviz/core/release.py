"""Free a replaced trace's memory on a background thread, one array at a time.

Torch frees a large CPU tensor with the GIL held, page by page: the 2.4 GB of a 100k-step
2x256 bidirectional LSTM trace took ~0.2 s, and dropping the last reference on the GUI thread
(when a new trace replaces it) froze the window that long (issue 17). Here a daemon thread
drops the references instead, and takes a sole-owned trace apart array by array, so the GIL
changes hands between two frees and the GUI thread waits for one tensor at most.
"""

from __future__ import annotations

import queue
import sys
import threading

from .trace import Trace

_queue: queue.SimpleQueue = queue.SimpleQueue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def release_later(*traces: Trace | None) -> None:
    """Hand these references to the releasing thread (pass them straight from where they were, and
    keep none). Whatever else still holds a trace keeps it alive and whole, as before."""
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_release_forever, name="gateviz-release", daemon=True)
            _thread.start()
    _queue.put(traces)


def flush(timeout: float = 10.0) -> bool:
    """Wait until everything handed over so far is released (tests); False on timeout."""
    done = threading.Event()
    _queue.put(done)
    release_later()  # makes sure the thread runs
    return done.wait(timeout)


def _release_forever() -> None:
    while True:
        item = _queue.get()
        if isinstance(item, threading.Event):
            item.set()
            continue
        for trace in item:
            if trace is not None:
                _take_apart(trace)
        item = trace = None  # the last references: what _take_apart left is freed here


# references to a trace that only the handed-over tuple holds: the tuple's slot, the loop's
# variable, _take_apart's argument and getrefcount's own
_SOLE_OWNER_REFS = 4


def _take_apart(trace: Trace) -> None:
    """Drop a sole-owned trace's arrays one by one, each free a separate hold of the GIL. A trace
    someone else still holds is left whole."""
    if sys.getrefcount(trace) > _SOLE_OWNER_REFS:
        return
    for quantities in trace.states.values():
        for quantity in list(quantities):
            del quantities[quantity]
