"""The window's status bar: the model and step, the first pinned unit's values (or the value under
the mouse on a heatmap), which panels the layout left out for lack of room, and the progress of
background work (a bar and the running seconds, shown only for jobs longer than a quarter second).

It listens to the ``ViewState`` like a panel does; the window tells it about jobs and layouts.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QToolButton, QWidget

from gateviz.ui import i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.state import ViewState

LAYOUT_HINT = QT_TRANSLATE_NOOP(
    "StatusBar", "They would be unreadable at this window and font size. Enlarge the window, leave presentation "
                 "mode (F5) or choose a layout with fewer panels (View ▸ Layout, Ctrl+1 … Ctrl+8).")


class FittingLabel(QLabel):
    """A label that shows the first of several texts (longest first) that fits its width, never a
    cut-off one. It ignores its text's width when laid out, so a read-out changing every step never
    re-lays out the window; in a narrow window (presentation mode at 1024 px) a shorter form shows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._variants: list[str] = []

    def set_variants(self, variants: list[str]) -> None:
        self._variants = list(variants)
        self._pick()

    def _pick(self) -> None:
        fm = self.fontMetrics()
        room = self.contentsRect().width()
        self.setText(next((v for v in self._variants if fm.horizontalAdvance(v) <= room), ""))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._pick()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode's larger font
            self._pick()


class StatusBar(QStatusBar):
    cancelRequested = Signal()  # the Cancel button beside a running job's progress (Esc does the same)
    interventionsClicked = Signal()  # "2 interventions active": show the list

    def __init__(self, state: ViewState, is_busy: Callable[[], bool], parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self._is_busy = is_busy
        self.model_label = QLabel(translate("StatusBar", "no model"))
        i18n.bind(self.model_label, "setToolTip", "StatusBar",
                  QT_TRANSLATE_NOOP("StatusBar", "The current model and input"))
        self.model_label.setContentsMargins(4, 0, 16, 0)  # keep the step apart from the unit read-out
        self.value_label = FittingLabel()
        i18n.bind(self.value_label, "setToolTip", "StatusBar", QT_TRANSLATE_NOOP(
            "StatusBar", "The first pinned unit's gates and states at the current step"))
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setVisible(False)
        i18n.bind(self.progress_bar, "setToolTip", "StatusBar", QT_TRANSLATE_NOOP(
            "StatusBar", "Loading or tracing in the background; the window stays usable"))
        self.progress_label = QLabel("")  # what runs and for how long: "tracing 10000 steps… 3.2 s"
        self.progress_label.setVisible(False)
        # a slow or stuck open (a hostile file can hang a reader) must never leave the user waiting
        self.cancel_button = QToolButton()
        i18n.bind(self.cancel_button, "setText", "StatusBar", QT_TRANSLATE_NOOP("StatusBar", "Cancel"))
        i18n.bind(self.cancel_button, "setToolTip", "StatusBar", QT_TRANSLATE_NOOP(
            "StatusBar", "Stop waiting for this job (Esc) and keep the model shown now"))
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.fit_label = QLabel("")  # "2 panels left out", the list in its tooltip
        self.fit_label.setObjectName("hint")
        self.fit_label.setVisible(False)
        self.nonfinite_label = QLabel("")  # "NaN in the model": the whole warning in its tooltip
        self.nonfinite_label.setStyleSheet("color: #c000c0; font-weight: bold")
        self.nonfinite_label.setVisible(False)
        # "2 interventions active" (issue 13): the specs in its tooltip, a click shows the list
        self.interventions_button = QToolButton()
        self.interventions_button.setAutoRaise(True)
        self.interventions_button.setStyleSheet("color: #c05000; font-weight: bold")
        self.interventions_button.setVisible(False)
        self.interventions_button.clicked.connect(self.interventionsClicked)
        self.addWidget(self.model_label)
        self.addWidget(self.value_label, 1)
        self.addPermanentWidget(self.interventions_button)
        self.addPermanentWidget(self.nonfinite_label)
        self.addPermanentWidget(self.fit_label)
        self.addPermanentWidget(self.progress_label)
        self.addPermanentWidget(self.progress_bar)
        self.addPermanentWidget(self.cancel_button)
        self._progress_timer = QTimer(self)  # short jobs never flash a progress bar
        self._progress_timer.setSingleShot(True)
        self._progress_timer.timeout.connect(self._show_progress)
        self._elapsed_timer = QTimer(self)  # the elapsed seconds tick while a job runs
        self._elapsed_timer.setInterval(200)
        self._elapsed_timer.timeout.connect(self._update_progress_text)
        self._job_started = 0.0
        self._job_message = ""
        self._width_key = None
        for signal in (state.stepChanged, state.selectionChanged, state.traceChanged, state.themeChanged):
            signal.connect(self.update_readout)
        state.interventionsChanged.connect(self.show_interventions)
        self._dropped: tuple[str, ...] = ()
        self._nonfinite: str | None = None
        i18n.notifier.languageChanged.connect(self._language_changed)

    def _language_changed(self, _code: str) -> None:
        self._width_key = None
        self.update_readout()
        self.show_interventions()
        self.show_left_out(self._dropped)
        self.show_nonfinite(self._nonfinite)

    @guarded
    def show_interventions(self) -> None:
        """How many interventions are on; the tooltip lists them in words and as specs."""
        active = self.state.active_interventions()
        n, off = len(active), len(self.state.interventions) - len(active)
        if n:
            self.interventions_button.setText(
                (translate("StatusBar", "⚡ {n} intervention active") if n == 1
                 else translate("StatusBar", "⚡ {n} interventions active")).format(n=n))
            from gateviz.ui.intervention_menu import describe_intervention

            lines = [f"{iv}   ({describe_intervention(iv)})" for iv in active]
            if off:
                lines.append(translate("StatusBar", "({n} more switched off)").format(n=off))
            self.interventions_button.setToolTip(
                translate("StatusBar", "The shown run is intervened:") + "\n" + "\n".join(lines) + "\n"
                + translate("StatusBar", "Click to show the Interventions list (Ctrl+I)."))
        self.interventions_button.setVisible(bool(n))

    def show_nonfinite(self, text: str | None) -> None:
        """Say that the model or its trace holds NaN/Inf (``text``: the whole warning), or clear it."""
        self._nonfinite = text
        if text:
            self.nonfinite_label.setText("⚠ NaN/Inf: " + text.split(";")[0])
            self.nonfinite_label.setToolTip(text + translate(
                "StatusBar", ". Panels draw NaN in magenta; gateviz info MODEL names the tensors."))
        self.nonfinite_label.setVisible(bool(text))

    # ---- the model, the step and the pinned unit's values ---------------------------------------
    @guarded
    def update_readout(self, *_args) -> None:
        s = self.state
        if s.model is None or s.trace is None:
            self.model_label.setText(translate("StatusBar", "no model"))
            self.value_label.set_variants([])
            return
        last = s.trace.length - 1
        head = f"{s.model.name} · {s.model.cell.upper()} · t = "
        width_key = (head, last, self.model_label.font().key())
        if width_key != self._width_key:
            # room for the widest step, so the unit read-out does not jump sideways while playing;
            # computed once per model/font: a size change each step would re-layout the window
            self._width_key = width_key
            widest = self.model_label.fontMetrics().horizontalAdvance(head + "8" * len(str(last)) + f" / {last}")
            self.model_label.setMinimumWidth(widest + 24)
        self.model_label.setText(f"{head}{s.step} / {last}")
        unit = s.pinned[0] if s.pinned else 0
        try:
            quantities = s.trace.states[(s.layer, s.direction)]
        except KeyError:
            return
        from gateviz.ui.panels.notation import symbol

        # a GRU's z as the theme's convention shows it (the textbook's z is the frameworks' 1 − z)
        values = [(symbol(q, s.theme.gru_convention), float(s.displayed(q)[s.step, unit]))
                  for q, a in quantities.items() if unit < a.shape[-1]]
        name = translate("StatusBar", "unit {u}").format(u=unit)
        self._show([f"{name}:  " + "   ".join(f"{sym} {_num(v, 3)}" for sym, v in values),
                    f"{name}: " + "  ".join(f"{sym} {_num(v, 2)}" for sym, v in values),
                    f"u{unit} " + " ".join(f"{sym}{_num(v, 1)}" for sym, v in values)])

    def _show(self, variants: list[str]) -> None:
        self.value_label.set_variants(variants)
        self.value_label.setToolTip(translate(
            "StatusBar", "The first pinned unit's gates and states at the current step:") + "\n" + variants[0])

    @guarded
    def show_heatmap_hover(self, heat, scene_pos) -> None:
        """The value under the mouse on a heatmap (cheap: one array lookup); elsewhere the pinned unit's."""
        s = self.state
        if s.trace is None:
            return
        try:
            for row in heat.rows:
                vb = row.plot.vb
                if vb.sceneBoundingRect().contains(scene_pos):
                    p = vb.mapSceneToView(scene_pos)
                    # the image spans one view unit per step and per row; its left edge says where step 0 starts
                    image = getattr(row, "image", None)
                    left = image.mapRectToParent(image.boundingRect()).left() if image is not None else 0.0
                    r, t = int(np.floor(p.y())), int(np.floor(p.x() - left))
                    unit = heat.unit_at_row(r)
                    a = s.displayed(row.quantity)
                    if 0 <= t < a.shape[0] and 0 <= unit < a.shape[1]:
                        from gateviz.ui.panels.notation import symbol

                        sym, v = symbol(row.quantity, s.theme.gru_convention), float(a[t, unit])
                        self._show([translate("StatusBar", "under the mouse: {sym} of unit {unit} at t = {t}: {v}")
                                    .format(sym=sym, unit=unit, t=t, v=_num(v, 4)),
                                    translate("StatusBar", "{sym} of unit {unit}, t = {t}: {v}")
                                    .format(sym=sym, unit=unit, t=t, v=_num(v, 3)),
                                    f"u{unit} t{t} {sym}{_num(v, 2)}"])
                        return
        except (IndexError, AttributeError, KeyError):
            pass
        self.update_readout()

    # ---- the layout ------------------------------------------------------------------------------
    def show_left_out(self, dropped: tuple[str, ...]) -> None:
        """Say which panels the layout leaves out for lack of room (never silently)."""
        from gateviz.ui.dashboard import panel_title

        self._dropped = tuple(dropped)
        if dropped:
            names = translate("StatusBar", ", ").join(panel_title(p, lower=True) for p in dropped)
            n = len(dropped)
            self.fit_label.setText((translate("StatusBar", "{n} panel left out") if n == 1
                                    else translate("StatusBar", "{n} panels left out")).format(n=n))
            self.fit_label.setToolTip(translate("StatusBar", "Not shown for lack of room: {names}.").format(names=names)
                                      + " " + translate("StatusBar", LAYOUT_HINT))
        self.fit_label.setVisible(bool(dropped))

    # ---- background work -------------------------------------------------------------------------
    def job_busy(self, busy: bool) -> None:
        if busy:
            self._job_started = time.monotonic()
            self._job_message = translate("StatusBar", "working")
            self.progress_bar.setRange(0, 0)  # busy indicator until a report gives a fraction
            self._progress_timer.start(250)
        else:
            self._progress_timer.stop()
            self._elapsed_timer.stop()
            self.progress_bar.setVisible(False)
            self.progress_label.setVisible(False)
            self.cancel_button.setVisible(False)

    def _show_progress(self) -> None:
        busy = self._is_busy()
        self.progress_bar.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self._update_progress_text()
            self._elapsed_timer.start()

    def job_progress(self, fraction: float, message: str) -> None:
        self._job_message = progress_text(message)
        if fraction <= 0.0:
            # the engine reports between layers only: while one layer runs there is no fraction to show,
            # so a busy bar and the running seconds say it is alive (not a bar stuck at 0 %)
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(int(round(100 * fraction)))
        self._update_progress_text()

    def _update_progress_text(self) -> None:
        elapsed = time.monotonic() - self._job_started
        message = self._job_message[:1].upper() + self._job_message[1:]
        self.progress_label.setText(translate("StatusBar", "{message}… {seconds} s").format(
            message=message, seconds=f"{elapsed:.1f}"))


def progress_text(message: str) -> str:
    """A progress message of the core (Qt-free, English) in the interface language; unknown ones as they are."""
    import re

    m = re.fullmatch(r"tracing layer (\d+) of (\d+)", message)
    if m:
        return translate("Progress", "tracing layer {k} of {n}").format(k=m[1], n=m[2])
    m = re.fullmatch(r"silenced (-?\d+) of (\d+) units(?: \(input (\d+) of (\d+)\))?", message)
    if m:
        text = translate("Progress", "silenced {k} of {n} units").format(k=m[1], n=m[2])
        if m[3]:
            text += translate("Progress", " (input {i} of {n})").format(i=m[3], n=m[4])
        return text
    if message == "done":
        return translate("Progress", "done")
    return message


def _num(v: float, digits: int) -> str:
    """A signed read-out value; NaN says "NaN" (not "+nan")."""
    return "NaN" if v != v else f"{v:+.{digits}f}"
