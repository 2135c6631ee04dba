"""Free a replaced trace's memory on a background thread, one array at a time.

Torch frees a large CPU tensor with the GIL held, page by page: the 2.4 GB of a 100k-step
2x256 bidirectional LSTM trace took ~0.2 s, and dropping the last reference on the GUI thread
(when a new trace replaces it) froze the window that long (issue 17). Here a daemon thread
drops the references instead, and takes a sole-owned trace apart array by array, so the GIL
changes hands between two frees and the GUI thread waits for one tensor at most.

A failed or cancelled job leaves its arrays in the frames of its exception's traceback (the
layers traced so far, the trace whose panels were being prepared). The job's wrapper keeps the
exception, so they formed a cycle that the GUI thread's collector freed at some later moment: a
layer switch after a cancelled 100k-step trace took 160 ms, 150 of them that free.
``release_frames_later`` empties those frames and hands what they held to the same thread.
"""

from __future__ import annotations

import queue
import sys
import threading
from types import TracebackType

from .trace import Trace

_queue: queue.SimpleQueue = queue.SimpleQueue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def release_later(*traces) -> None:
    """Hand these references (traces, or anything a failed job held) to the releasing thread (pass
    them straight from where they were, and keep none). Whatever else still holds one keeps it alive
    and whole, as before."""
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_release_forever, name="gateviz-release", daemon=True)
            _thread.start()
    _queue.put(traces)


def release_frames_later(exc: BaseException) -> None:
    """Empty the finished frames of ``exc``'s traceback (and of the exceptions it chains) and hand
    their locals to the releasing thread. The traceback keeps its files and lines (for a message or
    a log); the frame still running (the caller's) is left as it is."""
    running = set()  # this thread's frames still running (the caller's among them): left alone, and
    frame = sys._getframe(1)  # not even read (a snapshot of their locals, kept in the frame, would hold
    while frame is not None:  # the exception the caller just caught: a cycle again)
        running.add(id(frame))
        frame = frame.f_back
    held: list = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb: TracebackType | None = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if id(frame) not in running:
                values = list(frame.f_locals.values())  # references, before the frame lets go of them
                try:
                    frame.clear()
                except RuntimeError:  # running after all (another thread's): leave it
                    values = []
                frame.f_locals  # Python 3.11 keeps the snapshot just read in the frame: read again, it is empty
                held.extend(values)
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    frame = tb = values = None
    if held:
        release_later(*_handed_over(held))


def _handed_over(held: list):
    """The held values one at a time, each dropped from the list as it is handed on."""
    while held:
        yield held.pop()


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
        for value in item:
            if value is not None:
                _take_apart(value)
        item = value = None  # the last references: what _take_apart left is freed here


# references to a trace (or dict) that only the handed-over tuple holds: the tuple's slot, the
# loop's variable, _take_apart's argument and getrefcount's own
_SOLE_OWNER_REFS = 4
# ... and to an entry popped from a sole-owned dict: the local it was popped into, the argument
# and getrefcount's own
_POPPED_REFS = 3


def _take_apart(obj, refs: int = _SOLE_OWNER_REFS) -> None:
    """Drop a sole-owned trace's arrays one by one, each free a separate hold of the GIL; a dict
    (a failed job's layers traced so far: (layer, direction) -> quantity -> array) the same way,
    entry by entry. Whatever someone else still holds is left whole."""
    if sys.getrefcount(obj) > refs:
        return
    if isinstance(obj, Trace):
        for quantities in obj.states.values():
            for quantity in list(quantities):
                del quantities[quantity]
    elif type(obj) is dict:
        while obj:
            _key, value = obj.popitem()
            _take_apart(value, _POPPED_REFS)
            value = None
