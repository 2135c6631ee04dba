"""Training shown live in the main window (issue 16): the newest snapshot on the current input.

While the Train dialog trains (with snapshots), a QTimer on the GUI thread polls a few times per
second. The training thread only publishes (``Trainer`` keeps its snapshots under a lock); nothing
here ever makes it wait. Each poll that finds no live trace still running hands one job to this
object's own ``TraceRunner``: read the snapshots so far, and when there is a newer one, trace the
window's current input with its weights (``model_at_snapshot``; with the window's interventions
on, as the window would). The result goes into the ViewState with ``set_trace``, so layer, pins and
step stay. A model whose input does not fit the window's (another task) is opened once the usual
way, which brings its task's samples and input editor; later snapshots then use that input.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from gateviz.ui.guard import guarded
from gateviz.ui.runner import TraceRunner

POLL_MS = 300  # at most ~3 updates per second


def same_input(a, b) -> bool:
    """Do two models read the same inputs (the window's current sequence fits both)?"""
    if a is None or b is None:
        return False
    sa, sb = a.input, b.input
    return ((a.task or {}).get("name") == (b.task or {}).get("name") and sa.kind == sb.kind
            and sa.features == sb.features and list(sa.vocab or []) == list(sb.vocab or []))


class LiveTraining(QObject):
    """Polls ``holder["trainer"]`` (set by the training thread) while ``active``; ``updated(int)``:
    the window now shows snapshot k of the run."""

    updated = Signal(int)

    def __init__(self, window, holder: dict, parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.holder = window, holder
        self.shown = -1  # the snapshot index shown last
        self.polls = self.skipped = 0
        self.runner = TraceRunner(self)
        self.runner.done.connect(self._done)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)

    def start(self, holder: dict | None = None) -> None:
        if holder is not None:
            self.holder = holder
        self.shown = -1
        self.timer.start(POLL_MS)

    def stop(self) -> None:
        self.timer.stop()
        self.runner.cancel_pending()  # a trace still running is not shown

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    @guarded
    def poll(self) -> None:
        trainer = self.holder.get("trainer")
        self.polls += 1
        if trainer is None or self.window.runner.is_busy:
            return  # the data is still being made, or the window is opening something
        if self.runner.is_busy:
            self.skipped += 1  # the previous live trace is still running: skip, never queue
            return
        state = self.window.state
        current, sequence, shown = state.model, state.sequence, self.shown
        interventions = self.window.interventions

        def job(progress):
            from gateviz.core.snapshots import model_at_snapshot

            snaps = trainer.snapshots  # converted under the trainer's lock; the training thread only appends
            if len(snaps) - 1 <= shown:
                return None
            model = trainer.model(snapshots=False)
            model.snapshots = snaps
            live = model_at_snapshot(model, len(snaps) - 1)
            if not same_input(live, current):
                return len(snaps) - 1, live, None
            return len(snaps) - 1, live, interventions.trace_job(live, sequence)(progress)

        self.runner.submit(("live", current, sequence), job)

    @guarded
    def _done(self, tag, result) -> None:
        if result is None or not self.active:
            return
        index, live, traced = result
        state = self.window.state
        _, current, sequence = tag
        self.shown = index
        if traced is None:  # another task's input: open it the usual way (samples, editor, task)
            self.window.open_model(live)
            self.updated.emit(index)
            return
        if not same_input(live, state.model) or sequence is not state.sequence:
            self.shown = index - 1  # the window moved on meanwhile: the next poll traces its input
            return
        trace, original = self.window.interventions.unpack(traced)
        state.set_trace(live, trace, sequence, state.task, original=original)
        self.updated.emit(index)
