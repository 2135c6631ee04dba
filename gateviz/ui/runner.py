"""The window's background jobs: ``TraceRunner`` runs jobs on threads and coalesces requests
(see its docstring); Qt objects live and die on the GUI thread only (``_Bridge``,
``collect_garbage_on_gui_thread``). Split from workers.py, which holds the Qt-free jobs.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from gateviz.core.release import release_frames_later


class TraceRunner(QObject):
    """Background jobs; the newest request wins.

    A request normally waits for the running job: typing re-traces one job at a time, only the newest
    request waits, and the running job stops at its next progress report. A request submitted with
    ``now=True`` (opening a model) starts at once instead, and never makes a later request wait: a
    reader can hang on a hostile file and a Python thread cannot be killed, so such a job is
    abandoned (its daemon thread left to end or not, its result ignored). ``cancel()`` abandons the
    running job and forgets the queued one.

    Signals (delivered on the GUI thread):
        busy(bool)                   a job started / everything finished (or was cancelled)
        progress(float, str)         fraction 0..1 and what is happening
        done(object, object)         (tag, result) of the newest request
        failed(object, object)       (tag, exception) of the newest request
    """

    busy = Signal(bool)
    progress = Signal(float, str)
    done = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._running = None  # (generation, thread, bridge, abandonable)
        self._pending = None  # (generation, tag, fn, now)
        self._abandoned: dict[int, tuple] = {}  # generation -> (thread, bridge): results ignored when they come
        self.current_tag = None  # the tag of the request whose result is awaited (None: none)

    @property
    def is_busy(self) -> bool:
        return self._running is not None or self._pending is not None

    def submit(self, tag, fn: Callable[[Callable[[float, str], None]], Any], *, now: bool = False) -> int:
        """Run ``fn(progress)`` in the background; returns the request's generation. ``now``: start at
        once, abandoning the running job, and never make a later request wait for this one."""
        self._generation += 1
        self._pending = (self._generation, tag, fn, now)
        self.current_tag = tag
        if self._running is not None and (now or self._running[3]):
            self._abandon_running()
        if self._running is None:
            self._start_pending()
        return self._generation

    def cancel(self) -> bool:
        """Stop waiting: the running job is abandoned, the queued one forgotten; True if there was one."""
        had = self.is_busy
        self._pending, self.current_tag = None, None
        self._generation += 1
        if self._running is not None:
            self._abandon_running()
        if had:
            self.busy.emit(False)
        return had

    def cancel_pending(self) -> None:
        """Forget queued work and ignore the running job's result."""
        self._pending, self.current_tag = None, None
        self._generation += 1

    def _abandon_running(self) -> None:
        generation, thread, bridge, _ = self._running
        self._abandoned[generation] = (thread, bridge)  # keeps its bridge alive until it reports, if ever
        self._running = None

    def _start_pending(self) -> None:
        generation, tag, fn, now = self._pending
        self._pending = None
        # The bridge lives on the GUI thread and its signals are queued from the worker thread. Its
        # parent owns it, so the worker dropping the last Python reference (when its closure ends)
        # never deletes it on the wrong thread; ``_finish`` hands it to deleteLater on the GUI thread,
        # and a runner deleted with its window takes its bridges, and their queued results, along.
        bridge = _Bridge(self)
        bridge.progress.connect(lambda f, msg, g=generation: self._on_progress(g, f, msg))
        bridge.finished.connect(lambda result, exc, g=generation, t=tag, b=bridge: self._finish(g, t, result, exc, b))

        def report(fraction: float, message: str) -> None:
            # a newer request (or cancel) supersedes this job: stop it at its next progress
            # report instead of finishing a trace nobody will see (the engine's loops report every
            # 1000 steps; a raising callback cancels the trace)
            if generation != self._generation:
                raise Superseded(f"request {generation} was superseded")
            try:
                bridge.report(fraction, message)
            except RuntimeError:  # the runner was deleted (its window closed): nobody is waiting
                raise Superseded(f"request {generation}: its runner is gone") from None

        def work() -> None:
            try:
                outcome = (fn(report), None)
            except BaseException as exc:  # noqa: BLE001 - every failure reaches the GUI as a dialog
                # what the failed job held (a cancelled trace's layers, a trace whose products were
                # being made) is freed array by array on the releasing thread, not by the GUI
                # thread's collector when the exception's frames are collected
                release_frames_later(exc)
                outcome = (None, exc)
            try:
                bridge.finished.emit(*outcome)
            except RuntimeError:
                pass  # the runner, and with it the bridge, was deleted while the job ran: drop the result
            outcome = None  # this frame no longer holds the exception: no cycle through its traceback

        # a plain daemon thread: superqt's workers would put its import (~0.5 s) on the start-up path,
        # and an abandoned job must not keep the app from exiting
        thread = threading.Thread(target=work, name=f"gateviz-job-{generation}", daemon=True)
        self._running = (generation, thread, bridge, now)
        self.busy.emit(True)
        thread.start()

    def _on_progress(self, generation: int, fraction: float, message: str) -> None:
        if generation == self._generation:
            self.progress.emit(fraction, message)

    def _finish(self, generation: int, tag, result, exc, bridge: QObject) -> None:
        bridge.deleteLater()  # never deleted inside its own signal's delivery
        if self._abandoned.pop(generation, None) is not None:
            return  # cancelled or replaced while it ran: nobody waits for it
        self._running = None
        current = generation == self._generation
        if self._pending is not None:
            self._start_pending()
        else:
            self.busy.emit(False)
        if current:
            self.current_tag = None
            if exc is None:
                self.done.emit(tag, result)
            else:
                self.failed.emit(tag, exc)

    def wait(self, msecs: int = 30000) -> None:
        """Block until the running job ends (closing the window, tests)."""
        running = self._running
        if running is not None:
            running[1].join(msecs / 1000.0)


class Superseded(Exception):
    """Raised inside a job's progress callback when a newer request replaced it (never shown)."""


_gui_collector = None
_THRESHOLDS = (700, 10, 10)  # Python's defaults, read again when the collector is installed


def collect_due_garbage() -> None:
    """Collect the oldest generation over its threshold, as the automatic collector would (GUI thread)."""
    import gc

    counts = gc.get_count()
    generation = -1
    for g in range(3):
        if counts[g] > _THRESHOLDS[g]:
            generation = g
        else:
            break
    if generation >= 0:
        gc.collect(generation)


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cycle collector only on the GUI thread, from a timer (idempotent).

    Left automatic, the collector runs on whichever thread happens to allocate: a trace job's
    worker thread could then free a cycle holding a Qt object and delete it there, while the GUI
    thread is using it, which crashes the process. pyqtgraph's GarbageCollector does the same;
    this one avoids importing pyqtgraph on the start-up path. Collection follows the usual
    per-generation thresholds, checked every 250 ms.
    """
    global _gui_collector, _THRESHOLDS
    if _gui_collector is not None:
        return
    import gc

    _THRESHOLDS = gc.get_threshold()

    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(collect_due_garbage)
    gc.disable()
    timer.start()
    _gui_collector = timer


class _Bridge(QObject):
    """Carries a job's progress and result from its thread to the GUI thread (queued signals)."""

    progress = Signal(float, str)
    finished = Signal(object, object)  # (result, exception)

    def report(self, fraction: float, message: str) -> None:
        self.progress.emit(float(fraction), str(message))
