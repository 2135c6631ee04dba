"""Playback: a QTimer that moves ``ViewState.step``, and the bar of buttons that drive it.

The timer never redraws anything itself: it calls ``state.set_step`` and every panel
moves its own cursor on ``stepChanged``. Speed is in steps per second; above ~60
steps/s the timer ticks at 60 Hz and advances several steps per tick, so fast
playback does not ask for more frames than a screen shows.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget)

from gateviz.ui import i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP
from gateviz.ui.state import ViewState

MAX_TICK_HZ = 60.0
SPEEDS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


class Player(QObject):
    """Play, pause, step and seek through the trace held by a ViewState."""

    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    loopChanged = Signal(bool)

    def __init__(self, state: ViewState, parent: QObject | None = None):
        super().__init__(parent)
        self.state = state
        self._speed = 10.0  # steps per second
        self._loop = True
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._carry = 0.0  # fractional steps owed by the clock
        self._last_tick = 0.0
        state.traceChanged.connect(self._on_trace)

    # ---- properties ---------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def loop(self) -> bool:
        return self._loop

    @property
    def length(self) -> int:
        return self.state.trace.length if self.state.trace is not None else 0

    # ---- commands -----------------------------------------------------------
    def set_speed(self, steps_per_second: float) -> None:
        speed = float(min(max(steps_per_second, 0.1), 10000.0))
        if speed != self._speed:
            self._speed = speed
            if self.playing:
                self._timer.setInterval(self._interval_ms())
            self.speedChanged.emit(speed)

    def set_loop(self, loop: bool) -> None:
        if bool(loop) != self._loop:
            self._loop = bool(loop)
            self.loopChanged.emit(self._loop)

    def play(self) -> None:
        if self.playing or self.length < 2:
            return
        if self.state.step >= self.length - 1:  # at the end: start over
            self.state.set_step(0)
        self._carry = 0.0
        self._last_tick = time.perf_counter()
        self._timer.start(self._interval_ms())
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step_by(self, delta: int) -> None:
        self.pause()
        self.state.set_step(self.state.step + delta)

    def seek(self, step: int) -> None:
        self.state.set_step(step)

    def to_start(self) -> None:
        self.pause()
        self.state.set_step(0)

    def to_end(self) -> None:
        self.pause()
        self.state.set_step(self.length - 1)

    # ---- internals ----------------------------------------------------------
    def _interval_ms(self) -> int:
        return max(1, int(round(1000.0 / min(self._speed, MAX_TICK_HZ))))

    @guarded
    def _tick(self) -> None:
        n = self.length
        if n < 2:
            self.pause()
            return
        now = time.perf_counter()
        # advance by elapsed wall time so a slow frame does not slow the playback clock
        self._carry += (now - self._last_tick) * self._speed
        self._last_tick = now
        advance = int(self._carry)
        if advance < 1:
            return
        self._carry -= advance
        advance = min(advance, max(1, math.ceil(self._speed / MAX_TICK_HZ) * 2))  # no huge jumps after a stall
        target = self.state.step + advance
        if target > n - 1:
            if self._loop:
                target = 0
            else:
                self.state.set_step(n - 1)
                self.pause()
                return
        self.state.set_step(target)

    @guarded
    def _on_trace(self) -> None:
        if self.length < 2:
            self.pause()


def playback_icon(kind: str, colour: str, size: int = 64) -> QIcon:
    """Media icons drawn in the theme's text colour (the style's own icons vanish on a dark theme).

    kind: play, pause, back (one step), forward (one step), start, end.
    """
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    s = size / 64.0

    def tri(x0: float, x1: float) -> None:  # a triangle pointing from x0 towards x1
        p.drawPolygon(QPolygonF([QPointF(x0 * s, 14 * s), QPointF(x0 * s, 50 * s), QPointF(x1 * s, 32 * s)]))

    def bar(x: float, w: float = 7) -> None:
        p.drawRect(QRectF(x * s, 14 * s, w * s, 36 * s))

    if kind == "play":
        tri(18, 50)
    elif kind == "pause":
        bar(18, 10)
        bar(36, 10)
    elif kind == "forward":
        tri(16, 42)
        bar(44)
    elif kind == "back":
        tri(48, 22)
        bar(13)
    elif kind == "end":
        tri(10, 32)
        tri(30, 52)
        bar(52, 6)
    elif kind == "start":
        tri(54, 32)
        tri(34, 12)
        bar(6, 6)
    p.end()
    return QIcon(pm)


def _tool_button(parent: QWidget, tip: str, slot) -> QToolButton:
    """``tip``: the English source in context "Player" (marked where written); it follows the language."""
    b = QToolButton(parent)
    i18n.bind(b, "setToolTip", "Player", tip)
    b.setAutoRaise(True)
    b.clicked.connect(slot)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window shortcuts
    return b


class PlaybackBar(QWidget):
    """Start | step back | play/pause | step forward | end | time slider | step label | speed | loop."""

    def __init__(self, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.player = player
        self.state = player.state
        self.start_button = _tool_button(self, QT_TRANSLATE_NOOP("Player", "Jump to the first step (Home)"),
                                         player.to_start)
        self.back_button = _tool_button(self, QT_TRANSLATE_NOOP("Player", "One step back (←)"),
                                        lambda: player.step_by(-1))
        self.play_button = _tool_button(self, QT_TRANSLATE_NOOP("Player", "Play / pause (Space)"), player.toggle)
        self.forward_button = _tool_button(self, QT_TRANSLATE_NOOP("Player", "One step forward (→)"),
                                           lambda: player.step_by(1))
        self.end_button = _tool_button(self, QT_TRANSLATE_NOOP("Player", "Jump to the last step (End)"), player.to_end)
        self._icon_colour = "#202020"

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        i18n.bind(self.slider, "setToolTip", "Player",
                  QT_TRANSLATE_NOOP("Player", "Time: drag to move every panel's cursor to that step"))
        self.slider.setMinimum(0)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.step_label = QLabel("t = – / –", self)
        i18n.bind(self.step_label, "setToolTip", "Player",
                  QT_TRANSLATE_NOOP("Player", "Current time step t / last step (steps count from 0)"))
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance("t = 00000 / 00000"))

        self.speed_box = QDoubleSpinBox(self)
        self.speed_box.setRange(0.5, 5000)
        self.speed_box.setDecimals(1)
        i18n.bind(self.speed_box, "setSuffix", "Player", QT_TRANSLATE_NOOP("Player", " steps/s"))
        self.speed_box.setValue(player.speed)
        i18n.bind(self.speed_box, "setToolTip", "Player",
                  QT_TRANSLATE_NOOP("Player", "Playback speed in time steps per second"))
        self.speed_box.valueChanged.connect(player.set_speed)
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # never the default focus: arrows are playback keys
        self.speed_box.editingFinished.connect(self.speed_box.clearFocus)

        self.loop_box = i18n.bound(QCheckBox(self), "Player", QT_TRANSLATE_NOOP("Player", "Loop"))
        self.loop_box.setChecked(player.loop)
        i18n.bind(self.loop_box, "setToolTip", "Player",
                  QT_TRANSLATE_NOOP("Player", "Start again from step 0 after the last step"))
        self.loop_box.toggled.connect(player.set_loop)
        self.loop_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        row = QHBoxLayout(self)
        self._row = row
        row.setContentsMargins(6, 2, 6, 2)
        for w in (self.start_button, self.back_button, self.play_button, self.forward_button, self.end_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(self.speed_box)
        row.addWidget(self.loop_box)

        player.playingChanged.connect(self._on_playing)
        player.speedChanged.connect(self._on_speed)
        player.loopChanged.connect(self.loop_box.setChecked)
        self.state.stepChanged.connect(self._on_step)
        self.state.traceChanged.connect(self._on_trace)
        self.state.themeChanged.connect(self._on_theme)
        self._on_theme()
        self._on_trace()

    def add_part(self, widget: QWidget, stretch: int = 0) -> None:
        """More controls at the end of the row (the training slider of a model with snapshots, issue 16):
        in the same row, so the panels keep their height."""
        self._row.addWidget(widget, stretch)

    @guarded
    def _on_theme(self) -> None:
        theme = self.state.theme
        self._icon_colour = theme.foreground
        px = 22 if theme.presentation else 16
        for button, kind in ((self.start_button, "start"), (self.back_button, "back"),
                             (self.forward_button, "forward"), (self.end_button, "end")):
            button.setIcon(playback_icon(kind, self._icon_colour))
            button.setIconSize(button.iconSize().scaled(px, px, Qt.AspectRatioMode.IgnoreAspectRatio))
        self.play_button.setIconSize(self.start_button.iconSize())
        self._on_playing(self.player.playing)

    @guarded
    def _on_playing(self, playing: bool) -> None:
        self.play_button.setIcon(playback_icon("pause" if playing else "play", self._icon_colour))

    @guarded
    def _on_speed(self, speed: float) -> None:
        with QSignalBlocker(self.speed_box):
            self.speed_box.setValue(speed)

    @guarded
    def _on_trace(self) -> None:
        n = self.player.length
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(max(0, n - 1))
            self.slider.setPageStep(max(1, n // 20))
            self.slider.setValue(self.state.step)
        self.setEnabled(n > 0)
        self._fit_label()
        self._update_label()

    @guarded
    def _on_step(self, step: int) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(step)
        self._update_label()

    @guarded
    def _slider_moved(self, value: int) -> None:
        self.state.set_step(value)

    def _update_label(self) -> None:
        n = self.player.length
        self.step_label.setText(f"t = {self.state.step} / {n - 1}" if n else "t = – / –")

    def _fit_label(self) -> None:
        """Room for the widest step in the current font, so the slider keeps its length while playing."""
        last = max(self.player.length - 1, 99999)
        widest = f"t = {'8' * len(str(last))} / {last}"
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance(widest) + 4)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a theme or presentation mode changed the font size
            self._fit_label()
