"""The compare view's state: two to four traced models on one input and one shared time cursor.

``CompareState`` holds the models (``compare_models.ComparedModel``: name, model, trace,
gradients) and one ViewState per model, so the existing panels (heatmaps, cell diagram) draw
any of them unchanged; moving the shared step moves every ViewState's step. Gradients follow
the step: each change asks for every model's gradients at the new t*, computed off the GUI
thread (``TraceRunner``: only the newest request waits); ``sync=True`` (headless export, tests
that want them at once) computes them in the caller instead.

    modelsChanged()      a new set of traced models
    stepChanged(int)     the shared cursor moved
    gradientsChanged()   every model's gradients at the newest step arrived
    themeChanged()       theme changed
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gateviz.ui import errors
from gateviz.ui.compare_models import ComparedModel, check_count, compute_all
from gateviz.ui.state import Theme, ViewState


class CompareState(QObject):
    modelsChanged = Signal()
    stepChanged = Signal(int)
    gradientsChanged = Signal()
    themeChanged = Signal()
    failed = Signal(str)  # a gradient computation failed: what to tell the user

    def __init__(self, parent: QObject | None = None, *, sync: bool = False):
        super().__init__(parent)
        self.entries: list[ComparedModel] = []
        self.states: list[ViewState] = []
        self.input_name = ""  # where the shared input came from, for the caption
        self.step = 0
        self.theme = Theme()
        self.sync = sync
        self.gradient_step: int | None = None  # the t* of the gradients the entries hold now
        self.target_output: int | None = None  # the head's class/output K for every model (None: the default y)
        self._runner = None
        if not sync:
            from gateviz.ui.runner import TraceRunner

            self._runner = TraceRunner(self)
            self._runner.done.connect(self._gradients_done)
            self._runner.failed.connect(self._gradients_failed)

    @property
    def length(self) -> int:
        return self.entries[0].trace.length if self.entries else 0

    def set_entries(self, entries: list[ComparedModel], input_name: str = "", step: int | None = None) -> None:
        """Show these traced models (same input, same length); the cursor goes to ``step`` (default the
        last). With ``sync`` a target the models cannot take raises CompareError here."""
        check_count(len(entries))
        self.entries, self.input_name = list(entries), input_name
        T = self.length
        self.step = T - 1 if step is None else max(0, min(int(step), T - 1))
        self.states = []
        for e in self.entries:
            s = ViewState(self)
            s.theme = self.theme
            s.step = self.step
            s.set_trace(e.model, e.trace, e.sequence, e.task)
            from gateviz.tasks.base import story_units_for

            s.set_pinned(story_units_for(e.model, e.task, e.sequence, e.trace, layer=0, direction=s.direction))
            self.states.append(s)
        self.gradient_step = None
        for e in self.entries:
            e.gradients = None
        self.modelsChanged.emit()
        self._request_gradients()

    def set_step(self, step: int) -> None:
        if not self.entries:
            return
        step = int(max(0, min(step, self.length - 1)))
        if step == self.step:
            return
        self.step = step
        for s in self.states:
            s.set_step(step)
        self.stepChanged.emit(step)
        self._request_gradients()

    def set_theme(self, theme: Theme) -> None:
        if theme != self.theme:
            self.theme = theme
            for s in self.states:
                s.set_theme(theme)
            self.themeChanged.emit()

    # ---- gradients ----------------------------------------------------------
    def _request_gradients(self) -> None:
        entries, step, output = list(self.entries), self.step, self.target_output
        if self.sync:
            self._apply(entries, step, compute_all(entries, step, output))
        else:
            self._runner.submit((tuple(id(e) for e in entries), step),
                                lambda _report: compute_all(entries, step, output))

    def _gradients_done(self, tag, result) -> None:
        ids, step = tag
        if ids != tuple(id(e) for e in self.entries):
            return  # gradients of a set of models no longer shown
        self._apply(self.entries, step, result)

    def _apply(self, entries, step: int, result: list) -> None:
        for e, g in zip(entries, result):
            e.gradients = g
        for s, g in zip(self.states, result):
            s.set_gradients(g)
        self.gradient_step = step
        self.gradientsChanged.emit()

    def _gradients_failed(self, _tag, exc) -> None:
        self.failed.emit(errors.error_text(exc))

    @property
    def busy(self) -> bool:
        return self._runner is not None and self._runner.is_busy

    def wait(self, msecs: int = 30000) -> None:
        if self._runner is not None:
            self._runner.wait(msecs)
