"""Showing a long trace one panel per event-loop pass, so the window never freezes for all of them.

When a 100k-step trace arrives, every panel takes its new arrays and then Qt paints them all:
~60 ms of updates and ~70 ms of painting in one block (2x256 biLSTM, 1600x900), during which
nothing can be clicked and no animation runs. Staged, the state still takes the new trace at
once (every control, the player and the status bar follow it as before), but the panels defer
their rebuild; each then catches up in its own pass of the event loop, and Qt paints it before
the next one starts. A panel the user is looking at changes a few milliseconds after another.

A layer, direction or pin change on a long trace is staged the same way: the state changes at
once, each panel follows in its own pass (``defer_selection``).

Only long traces are staged (``STAGED_FROM`` unit-steps): a short one is shown in one pass, as
before. ``finish()`` catches every panel up at once (a new trace arriving, a failure, anything
that needs the panels current). Whoever started the staging gets ``done`` after the last panel.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer

# trace steps x units (all layers and directions) from which a trace is shown panel by panel: a
# 20k-step 2x64 LSTM took ~30 ms to show whole; staging costs a pass per panel
STAGED_FROM = 2_000_000
STAGE_GAP_MS = 5  # between two panels' catch-ups (see StagedShow.__init__)


def worth_staging(trace) -> bool:
    if trace is None or getattr(trace, "batched", False):
        return False
    units = sum(trace.units(k) * len(trace.directions(k)) for k in range(trace.num_layers))
    return trace.length * units >= STAGED_FROM


class StagedShow(QObject):
    """Defers the panels' trace rebuilds while ``begin()`` is in effect, then catches them up one per
    event-loop pass. Panels honour it through ``Panel.defer_trace`` / ``Panel.catch_up``."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._waiting: list = []  # panels still to catch up, in order
        self._done: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        # a short pause between panels: Qt paints a panel a few event-loop passes after its update
        # (the scene's dirty items, then the window's update request); with no pause the next
        # panel's update ran before that paint and the two made one block again
        self._timer.setInterval(STAGE_GAP_MS)
        self._timer.timeout.connect(self._next)

    @property
    def active(self) -> bool:
        return bool(self._waiting)

    def begin(self, panels) -> None:
        """From now on these panels defer a new trace (call before the state takes it)."""
        self.finish()
        self._waiting = list(panels)
        for panel in self._waiting:
            panel.defer_trace()

    def start(self, done: Callable[[], None] | None = None) -> None:
        """The state holds the new trace: catch the panels up, one per pass; then ``done()``."""
        if done is not None:
            self._done.append(done)
        if self._waiting:
            self._timer.start()
        else:
            self._finished()

    def stages(self, trace) -> bool:
        """Are this trace's panel updates staged (selection changes too)?"""
        return worth_staging(trace)

    def defer_selection(self, panel) -> None:
        """A layer, direction or pin change on a long trace: ``panel`` follows it in a pass of its own
        (``Panel.catch_up`` calls its ``on_selection``)."""
        panel._selection_pending = True
        if panel not in self._waiting:
            self._waiting.append(panel)
        if not self._timer.isActive():
            self._timer.start()

    def after(self, callback: Callable[[], None]) -> None:
        """``callback()`` once the panels have caught up (now, when none is waiting)."""
        if self._waiting:
            self._done.append(callback)
        else:
            callback()

    def finish(self) -> None:
        """Catch every waiting panel up now (and call ``done``)."""
        self._timer.stop()
        while self._waiting:
            self._waiting.pop(0).catch_up()
        self._finished()

    def _next(self) -> None:
        if self._waiting:
            self._waiting.pop(0).catch_up()
        if self._waiting:
            self._timer.start()
        else:
            self._finished()

    def _finished(self) -> None:
        done, self._done = self._done, []
        for callback in done:
            callback()
