"""Keeps ``state.gradients`` following the time cursor: gradients of y at t* = the cursor's step.

Whenever the step, the trace or the target (``state.gradient_output`` / ``gradient_unit``) changes,
the follower computes ``gateviz.core.gradients.compute_gradients`` for the new t* in a worker
thread. One job runs at a time: a change that arrives while one runs only marks the result stale,
and when the job ends its result is shown at once (with its own t*, which the panels mark) and the
newest step is asked for next, but no sooner than ``MIN_INTERVAL_S`` after the previous job began:
during playback the gradients are computed at most a few times a second (the worker thread would
otherwise take a CPU core from the GUI for every frame), the last result stays shown with its own t*
marked, and a single step after a pause, a new trace or a new target are computed at once. So
playback never waits. ``sync=True`` (headless export, tests) computes in the caller instead, so an
exported frame always shows the gradients of its step.

It works only while someone looks (``set_active``): the memory panel is on screen or the input is
shaded by memory. A refusal (a trace too long for the memory budget) is kept in
``state.gradient_error`` for the panel to show, never a dialog per step.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from gateviz.ui import errors
from gateviz.ui.state import ViewState


class GradientFollower(QObject):
    computing = Signal(bool)  # a job started / the last one ended
    MIN_INTERVAL_S = 0.2  # between the starts of two jobs: at most 5 computations a second

    def __init__(self, state: ViewState, parent: QObject | None = None, *, sync: bool = False,
                 active: bool = True):
        super().__init__(parent)
        self.state = state
        self.sync = sync
        self.active = active
        self._trace_generation = 0  # counts traces: an id() could be reused by the next trace
        self._shown_key = None  # what state.gradients holds: (trace generation, step, output, unit)
        self._running_key = None  # what the worker computes now
        self._runner = None
        self._last_start = float("-inf")  # time.monotonic() when the last job began
        self._last_key = None  # and what it computed
        self._later = QTimer(self)  # asks again when the interval since the last job's start is over
        self._later.setSingleShot(True)
        self._later.timeout.connect(self.request)
        if not sync:
            from gateviz.ui.runner import TraceRunner

            self._runner = TraceRunner(self)
            self._runner.done.connect(self._done)
            self._runner.failed.connect(self._failed)
        state.traceChanged.connect(self._new_trace)
        state.stepChanged.connect(self.request)
        state.gradientsChanged.connect(self.request)  # the target changed (or new gradients: no-op)
        self.request()

    # ---- public --------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            self.request()

    @property
    def busy(self) -> bool:
        return self._running_key is not None

    def wait(self, msecs: int = 30000) -> None:
        if self._runner is not None:
            self._runner.wait(msecs)

    # ---- the work ------------------------------------------------------------
    def _new_trace(self) -> None:
        self._trace_generation += 1
        if self.sync:
            self.request()
        else:  # after the new trace is shown: the job's start (torch's import, the first time) never
            QTimer.singleShot(0, self, self.request)  # competes with the panels being drawn

    def _wanted(self):
        s = self.state
        if s.trace is None or s.model is None or s.trace.batched:
            return None
        return (self._trace_generation, s.step, s.gradient_output, s.gradient_unit)

    def request(self, *_args) -> None:
        key = self._wanted()
        if not self.active or key is None:
            return
        if key == self._shown_key:
            return  # shown already (or refused: the panel says why)
        if self._running_key is not None:
            return  # the running job's end asks again for whatever is wanted then
        from gateviz.core.gradients import GradientTarget, compute_gradients

        s = self.state
        model, trace = s.model, s.trace
        target = GradientTarget(step=s.step, output=s.gradient_output, unit=s.gradient_unit)
        if self.sync:
            try:
                result = compute_gradients(model, trace, target)
            except Exception as exc:  # noqa: BLE001 - shown in the panel
                self._failed(key, exc)
            else:
                self._done(key, result)
            return
        # only a moving cursor waits: a new trace or target is computed at once
        just_the_step = self._last_key is not None and (key[0], *key[2:]) == (self._last_key[0], *self._last_key[2:])
        wait = self.MIN_INTERVAL_S - (time.monotonic() - self._last_start)
        if just_the_step and wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return
        self._last_start, self._last_key = time.monotonic(), key
        self._running_key = key
        self.computing.emit(True)
        self._runner.submit(key, lambda report: compute_gradients(model, trace, target, progress=report))

    def _done(self, key, result) -> None:
        self._finish(key, result, None)

    def _failed(self, key, exc) -> None:
        from gateviz.core.errors import GatevizError

        if isinstance(exc, GatevizError):
            message = errors.error_text(exc)
        else:
            message = f"the gradients could not be computed ({type(exc).__name__}: {exc})"
        self._finish(key, None, message)

    def _finish(self, key, result, error: str | None) -> None:
        was_running = self._running_key is not None
        self._running_key = None
        if key[0] == self._trace_generation:  # not a trace replaced meanwhile
            self._shown_key = key
            self.state.gradient_error = error
            self.state.set_gradients(result)
            if result is None:
                self.state.gradientsChanged.emit()  # the error changed even when gradients stay None
        if was_running:
            self.computing.emit(False)
        self.request()  # the cursor may have moved on meanwhile
