"""Keeps ``state.gradients`` following the time cursor: gradients of y at t* = the cursor's step.

Whenever the step, the trace or the target (``state.gradient_output`` / ``gradient_unit``) changes,
the follower computes ``gateviz.core.gradients.compute_gradients`` for the new t* in a worker
thread. One job runs at a time: a change that arrives while one runs only marks the result stale,
and when the job ends its result is shown at once (with its own t*, which the panels mark) and the
newest step is asked for next. So playback never waits, and the panels follow at the rate the
gradients can be computed (every frame for the bundled models). ``sync=True`` (headless export,
tests) computes in the caller instead, so an exported frame always shows the gradients of its step.

It works only while someone looks (``set_active``): the memory panel is on screen or the input is
shaded by memory. A refusal (a trace too long for the memory budget) is kept in
``state.gradient_error`` for the panel to show, never a dialog per step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gateviz.ui.state import ViewState


class GradientFollower(QObject):
    computing = Signal(bool)  # a job started / the last one ended

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
        if not sync:
            from gateviz.ui.workers import TraceRunner

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
        self.request()

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
        self._running_key = key
        self.computing.emit(True)
        self._runner.submit(key, lambda report: compute_gradients(model, trace, target, progress=report))

    def _done(self, key, result) -> None:
        self._finish(key, result, None)

    def _failed(self, key, exc) -> None:
        from gateviz.core.errors import GatevizError

        if isinstance(exc, GatevizError):
            message = str(exc)
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
