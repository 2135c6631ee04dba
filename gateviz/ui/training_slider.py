"""The training time-lapse in the window (issue 16): a "training step" slider under the time slider.

A model with training snapshots (``model.snapshots``, gateviz.core.snapshots) gets a second row in
the playback bar: Play (animate training), the snapshot slider, the snapshot's title and a small
loss/metric curve with a marker at the snapshot shown. Moving the slider puts that snapshot's model
(``model_at_snapshot``) and its trace of the current input into the ViewState with ``set_trace``,
so every panel follows while layer, direction, pins and step stay. The last position shows the
loaded model itself (its own trace): exactly the trained model.

Traces come from one ``SnapshotTraces`` per (model, input): a cached snapshot is shown at once on the
GUI thread; an uncached one is traced by this controller's own ``TraceRunner`` (the newest request
wins), and a daemon thread prefetches the other snapshots, nearest first. With interventions on, the
snapshot's plain trace (cached) is the original and the intervened run is traced in the runner.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from gateviz.ui import i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.workers import TraceRunner

PLAY_PER_SECOND = 3.0  # snapshots per second while "training" plays
PREFETCH_DELAY_MS = 500  # the other snapshots are traced ahead this long after a new model or input


def snapshot_title(model, index: int) -> str:
    """Snapshot ``index``'s title in the interface language (the time-lapse export's words)."""
    snaps = model.snapshots
    if i18n.current_language() == "en":
        return snaps[index].title(total_steps=snaps[-1].step)
    from gateviz.export.timelapse import _translated_title

    return _translated_title(snaps[index], snaps[-1].step)


class TrainingScrubber(QObject):
    """Which snapshot of the window's model is shown, and getting its trace there.

    Signals: ``snapshotsChanged()`` (a new model with snapshots, or none: ``base`` is None),
    ``indexChanged(int)`` (the slider's position), ``shown(int)`` (the state now holds that
    snapshot's trace)."""

    snapshotsChanged = Signal()
    indexChanged = Signal(int)
    shown = Signal(int)
    playingChanged = Signal(bool)

    def __init__(self, window):
        super().__init__(window)
        self.window, self.state = window, window.state
        self.base = None  # the loaded model that carries the snapshots
        self.traces = None  # SnapshotTraces of base on the state's sequence
        self.index = -1
        self.trace_jobs = 0  # jobs handed to the runner (a cached snapshot needs none)
        self._prefetching = None  # the prefetching thread, joined when the app quits
        self._quitting = False
        self._models: dict[int, int] = {}  # id(model shown) -> snapshot index (the last: base itself)
        self._base_plain = None  # (sequence, base's trace without interventions)
        self.runner = TraceRunner(self)
        self.runner.done.connect(self._job_done)
        self.runner.failed.connect(self._job_failed)
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(int(1000 / PLAY_PER_SECOND))
        self.play_timer.timeout.connect(self._play_tick)
        self.state.traceChanged.connect(self._on_trace)

    # ---- what is shown -------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.base.snapshots) if self.base is not None else 0

    @property
    def last(self) -> int:
        return self.count - 1

    @guarded
    def _on_trace(self) -> None:
        model, sequence = self.state.model, self.state.sequence
        known = self.base is not None and id(model) in self._models
        if not known:
            if model is None or not getattr(model, "snapshots", None):
                if self.base is not None:
                    self.pause()
                    self.base, self.traces, self._models, self.index = None, None, {}, -1
                    self.snapshotsChanged.emit()
                return
            self.pause()  # a newly opened model with snapshots: shown at its last (the model itself)
            self.base, self.traces, self.index = model, None, len(model.snapshots) - 1
            self._models = {id(model): self.index}
            self._base_plain = None
            for k in range(self.last):  # built here, once: the prefetching thread must find them built
                self.model_at(k)
            self.snapshotsChanged.emit()
        if model is self.base:
            self._base_plain = (sequence, self.state.original or self.state.trace)
        if self.traces is None or self.traces.sequence is not sequence:
            from gateviz.core.snapshots import SnapshotTraces

            self.traces = traces = SnapshotTraces(self.base, sequence)  # a new input: its own cache
            # after the window has drawn what it just got (a model opened at start-up first of all)
            QTimer.singleShot(PREFETCH_DELAY_MS, self, lambda: self._prefetch(traces))
        index = self._models[id(model)]
        if index != self.index:
            self.index = index
            self.indexChanged.emit(index)

    def model_at(self, index: int):
        """The model slider position ``index`` shows: that snapshot's weights; the last, base itself."""
        if index == self.last:
            return self.base
        from gateviz.core.snapshots import model_at_snapshot

        model = model_at_snapshot(self.base, index)
        self._models[id(model)] = index
        return model

    def set_index(self, index: int) -> None:
        """Show snapshot ``index`` (clamped): at once when its trace is cached, else from a job."""
        if self.base is None or self.traces is None:
            return
        index = max(0, min(int(index), self.last))
        if index != self.index:
            self.index = index
            self.indexChanged.emit(index)
        model, sequence, traces = self.model_at(index), self.state.sequence, self.traces
        active = self.state.active_interventions()
        plain = self._plain_if_known(index)
        if plain is not None and not active:
            self.runner.cancel_pending()  # an older request's trace must not replace this one
            self._show(index, model, sequence, plain, None)
            return
        base_plain = self._base_plain if self._base_plain and self._base_plain[0] is sequence else None

        def job(progress):
            from gateviz.ui.workers import trace_intervened

            if index == self.last:
                original = base_plain[1] if base_plain else _plain_trace(model, sequence)
            else:
                original = traces.get(index)
            return trace_intervened(model, sequence, active, original, progress) if active else original

        self.trace_jobs += 1
        self.runner.submit(("snapshot", self.base, index, model, sequence), job)

    def _plain_if_known(self, index: int):
        if index == self.last:
            known = self._base_plain
            return known[1] if known and known[0] is self.state.sequence else None
        return self.traces.get(index) if self.traces.cached(index) else None

    def _show(self, index: int, model, sequence, trace, original) -> None:
        s = self.state
        s.set_trace(model, trace, sequence, s.task, original=original)
        self.shown.emit(index)

    @guarded
    def _job_done(self, tag, result) -> None:
        _, base, index, model, sequence = tag
        if base is not self.base or sequence is not self.state.sequence or index != self.index:
            return  # the model, the input or the position changed meanwhile
        trace, original = self.window.interventions.unpack(result)
        self._show(index, model, sequence, trace, original)

    @guarded
    def _job_failed(self, _tag, exc) -> None:
        self.pause()
        from gateviz.ui import errors

        self.window.statusBar().showMessage(translate("Training", "Cannot trace this training snapshot: {why}").format(
            why=errors.describe_exception(exc)), 10000)

    def _prefetch(self, traces) -> None:
        """Trace every snapshot of ``traces`` in a daemon thread, nearest the shown one first; it
        stops when the input or model changes (a newer SnapshotTraces replaced it)."""
        if self.traces is not traces:
            return  # replaced before it started
        start = self.index

        def work() -> None:
            order = sorted(range(len(traces) - 1), key=lambda k: (abs(k - start), k))
            for k in order:
                if self.traces is not traces or self._quitting:
                    return
                try:
                    traces.get(k)
                except Exception:  # noqa: BLE001 - the slider's own job reports it when that snapshot is asked for
                    return

        thread = threading.Thread(target=work, name="gateviz-snapshot-prefetch", daemon=True)
        if self._prefetching is None:  # once: the app's end waits for the thread (a thread still inside
            from PySide6.QtWidgets import QApplication  # torch at exit aborts the process)

            QApplication.instance().aboutToQuit.connect(self._stop_prefetching)
        self._prefetching = thread
        thread.start()

    def _stop_prefetching(self) -> None:
        self._quitting = True
        if self._prefetching is not None:
            self._prefetching.join(5.0)

    # ---- playing "training" ---------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.play_timer.isActive()

    def play(self) -> None:
        if self.base is None or self.playing:
            return
        if self.index >= self.last:
            self.set_index(0)
        self.play_timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self.play_timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    @guarded
    def _play_tick(self) -> None:
        if self.runner.is_busy:
            return  # the snapshot shown is still being traced: wait for it, never skip ahead
        if self.index >= self.last:
            self.pause()
            return
        self.set_index(self.index + 1)


def _plain_trace(model, sequence):
    from gateviz.core.engine import Tracer

    return Tracer(model).trace(sequence)


class TrainingBar(QWidget):
    """Play training | training step slider | the snapshot's title | loss/metric curve (hidden
    without snapshots)."""

    def __init__(self, scrubber: TrainingScrubber, parent: QWidget | None = None):
        super().__init__(parent)
        self.scrubber = scrubber
        self.play_button = QToolButton(self)
        self.play_button.setAutoRaise(True)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        i18n.bind(self.play_button, "setToolTip", "Training",
                  QT_TRANSLATE_NOOP("Training", "Play training: show the snapshots one after another"))
        self.play_button.clicked.connect(scrubber.toggle)
        self.caption = i18n.bound(QLabel(self), "Training", QT_TRANSLATE_NOOP("Training", "training step"))
        # not shown: a lecture screen (1024x768, presentation) had no room for it and clipped it; the
        # slider's tooltip and the snapshot's title ("step 96/192 · loss …") say what the slider is
        self.caption.setVisible(False)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setMinimum(0)
        i18n.bind(self.slider, "setToolTip", "Training", QT_TRANSLATE_NOOP(
            "Training", "Training step: drag to trace this input with the weights of that snapshot of training"))
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.setMinimumWidth(40)  # a narrow window (700 px) still fits the whole row
        self.title = _ElidedLabel(self)

        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curve = None
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.caption)
        row.addWidget(self.slider, 1)
        row.addWidget(self.title, 3)
        self._row = row
        scrubber.snapshotsChanged.connect(self._on_snapshots)
        scrubber.indexChanged.connect(self._on_index)
        scrubber.playingChanged.connect(self._on_playing)
        scrubber.state.themeChanged.connect(self._on_theme)
        i18n.notifier.languageChanged.connect(self._on_language)
        self._on_theme()
        self._on_snapshots()

    @guarded
    def _on_snapshots(self) -> None:
        s = self.scrubber
        self.setVisible(s.base is not None)
        if s.base is None:
            return
        if self.curve is None:
            self.curve = TrainingCurve(self)
            self._row.addWidget(self.curve)
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(s.last)
            self.slider.setPageStep(max(1, s.count // 5))
            self.slider.setValue(s.index)
        if self.curve is not None:
            self.curve.set_snapshots(s.base.snapshots, self.scrubber.state.theme)
        self._fit_title()
        self._on_index(s.index)

    def _fit_title(self) -> None:
        """Room for the widest snapshot's title where the row has it (elided where not), the same
        for every snapshot so the sliders keep their length while scrubbing."""
        s, metrics = self.scrubber, self.title.fontMetrics()
        widest = max(metrics.horizontalAdvance(_compact(snapshot_title(s.base, k))) for k in range(s.count))
        self.title.setMaximumWidth(widest + 8)

    @guarded
    def _on_index(self, index: int) -> None:
        s = self.scrubber
        if s.base is None:
            return
        with QSignalBlocker(self.slider):
            self.slider.setValue(index)
        text = snapshot_title(s.base, index)
        self.title.setText(_compact(text))
        self.title.setToolTip(translate("Training", "Snapshot {k} of {n}: {title}").format(
            k=index + 1, n=s.count, title=text))
        if self.curve is not None:
            self.curve.mark(index)

    @guarded
    def _on_language(self, _code: str) -> None:
        if self.scrubber.base is not None:
            self._fit_title()
            self._on_index(self.scrubber.index)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.FontChange and self.scrubber.base is not None:  # presentation mode
            self._fit_title()

    @guarded
    def _slider_moved(self, value: int) -> None:
        self.scrubber.set_index(value)

    @guarded
    def _on_playing(self, _playing: bool) -> None:
        from gateviz.ui.player import playback_icon

        self.play_button.setIcon(playback_icon("pause" if self.scrubber.playing else "play",
                                               self.scrubber.state.theme.foreground))

    @guarded
    def _on_theme(self) -> None:
        self._on_playing(self.scrubber.playing)
        if self.curve is not None and self.scrubber.base is not None:
            self.curve.set_snapshots(self.scrubber.base.snapshots, self.scrubber.state.theme)
            self.curve.mark(self.scrubber.index)


class _ElidedLabel(QLabel):
    """A one-line label that ends in "…" when narrower than its text (the whole text in the tooltip)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        from PySide6.QtWidgets import QSizePolicy

        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)  # elided to nothing in a narrow window; the tooltip keeps the text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


def _compact(title: str) -> str:
    """The bar's shorter title: step, loss and metric (the epoch, and the whole title, in the tooltip)."""
    parts = title.split(" · ")
    return " · ".join(parts[:1] + parts[2:])


LOSS_COLOUR, METRIC_COLOUR = "#0072B2", "#D55E00"


class TrainingCurve(QWidget):
    """The snapshots' loss (and metric, when known) over training steps, each scaled to its own range,
    with a marker at the snapshot shown. Compact and painted directly (no axes, no pyqtgraph scene):
    the tooltip says what is drawn."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # one text line high (the row must not cost the dashboard a panel); up to 150 px wide, and it
        # gives its width up first in a narrow window
        from PySide6.QtWidgets import QSizePolicy

        self.setFixedHeight(22)
        self.setMaximumWidth(150)
        self.setMinimumWidth(0)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._x = self._loss = self._metric = None
        self._index = -1
        self._theme = None

    def set_snapshots(self, snapshots, theme) -> None:
        import numpy as np

        self._theme = theme
        steps = np.array([s.step for s in snapshots], dtype=float)
        x = np.log1p(steps)  # snapshots are log-spaced over the steps: equal room for each
        self._x = (x - x.min()) / (x.max() - x.min()) if x.max() > x.min() else np.full_like(x, 0.5)
        self._loss = _scaled([s.loss for s in snapshots], log=True)
        self._metric = _scaled([s.metric for s in snapshots], log=False)
        name = next((s.metric_name for s in snapshots if s.metric_name), "")
        tip = translate("Training", "Training loss (blue) at each snapshot, log scale")
        if np.isfinite(self._metric).any():
            tip += translate("Training", "; {metric} on held-out data (orange)").format(metric=name)
        self.setToolTip(tip + translate("Training", ". Each curve uses its own range; the line marks the snapshot "
                                                    "shown. Steps on a log scale."))
        self.update()

    def mark(self, index: int) -> None:
        self._index = index
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt name)
        import numpy as np
        from PySide6.QtCore import QPointF
        from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

        if self._x is None or self._theme is None or self.width() < 24:  # squeezed out by a narrow window
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(self._theme.background))
        pad = 3.0
        w, h = self.width() - 2 * pad, self.height() - 2 * pad

        def point(k: int, values) -> QPointF:  # y = 1 at the top
            return QPointF(pad + self._x[k] * w, pad + (1.0 - values[k]) * h)

        if 0 <= self._index < len(self._x):
            p.setPen(QPen(QColor("#888888"), 1))
            xm = pad + self._x[self._index] * w
            p.drawLine(QPointF(xm, 0), QPointF(xm, self.height()))
        for values, colour in ((self._loss, LOSS_COLOUR), (self._metric, METRIC_COLOUR)):
            path, drawing = QPainterPath(), False
            for k in range(len(values)):
                if not np.isfinite(values[k]):
                    drawing = False
                    continue
                path.lineTo(point(k, values)) if drawing else path.moveTo(point(k, values))
                drawing = True
            p.setPen(QPen(QColor(colour), 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            if 0 <= self._index < len(values) and np.isfinite(values[self._index]):
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(colour))
                p.drawEllipse(point(self._index, values), 3.5, 3.5)
        p.end()


def _scaled(values, *, log: bool):
    """Values in 0..1 over their own range (log10 first for a positive loss); None/NaN stay NaN."""
    import numpy as np

    a = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    a[~np.isfinite(a)] = np.nan
    finite = a[np.isfinite(a)]
    if not finite.size:
        return a
    if log and finite.min() > 0:
        a, finite = np.log10(a), np.log10(finite)
    lo, hi = finite.min(), finite.max()
    return (a - lo) / (hi - lo) if hi > lo else np.full_like(a, 0.5)


def install_training_slider(window) -> TrainingBar:
    """The scrubber (``window.training``) and its bar, at the end of the playback bar's row."""
    window.training = TrainingScrubber(window)
    bar = TrainingBar(window.training, window.playback_bar)
    window.playback_bar.add_part(bar, 2)  # the time slider keeps a third of the room
    window.training_bar = bar
    _install_play_action(window)
    return bar


PLAY_TRAINING_KEY = "Ctrl+Shift+Space"


def _install_play_action(window) -> None:
    """Playback ▸ Play training (Ctrl+Shift+Space), enabled for a model with snapshots."""
    from PySide6.QtGui import QAction, QKeySequence

    action = QAction(window)
    i18n.bind(action, "setText", "Training", QT_TRANSLATE_NOOP("Training", "Play / pause training"),
              after="\t" + QKeySequence(PLAY_TRAINING_KEY).toString(QKeySequence.SequenceFormat.NativeText))
    i18n.bind(action, "setStatusTip", "Training", QT_TRANSLATE_NOOP(
        "Training", "Show the model's training snapshots one after another (models trained with snapshots)"))
    action.setShortcut(QKeySequence(PLAY_TRAINING_KEY))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(window.training.toggle)
    action.setEnabled(False)
    window.training.snapshotsChanged.connect(lambda: action.setEnabled(window.training.base is not None))
    window.addAction(action)  # the key works while the menu bar is hidden too
    loop = getattr(window, "loop_action", None)
    menu = next((a.menu() for a in window.menuBar().actions() if a.menu() is not None and loop is not None
                 and loop in a.menu().actions()), None)
    if menu is not None:
        menu.addSeparator()
        menu.addAction(action)
    window.play_training_action = action
