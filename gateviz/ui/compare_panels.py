"""The compare view's two shared plots (issue 12) and its per-model detail.

``OutputsPlot``: the shared input (grey) and every model's output over time in the model's
colour, a legend naming the models, and the shared time cursor.
``GradientCurves``: every model's ||dy/dh_t|| against the distance back in time t*−t on one
log axis (powers of ten labelled), the target definition in the title; zeros are gaps.
``DetailView``: one model's heatmaps or cell diagram — the app's own panels, each drawing that
model's ViewState (``CompareState.states``), created when first picked.
Items are created once per set of models and updated in place (setData) when the step or the
gradients change; ranges are set explicitly, never auto-ranged.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from gateviz.ui.compare_models import curve_layer, gradient_curve, input_series, output_series, target_title
from gateviz.ui.compare_state import CompareState
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, localized, translate
from gateviz.ui.panels.common import TimeCursor, style_plot
from gateviz.ui.panels.plot_fit import (axis_width_for, log_ticks, max_y_ticks, power_label, size_bottom_axis,
                                        y_fit)

INPUT_COLOUR = "#999999"
NB_HYPHEN = "\u2011"
class _PlotBox(QWidget):
    """A title label above one pyqtgraph plot (a QLabel wraps a long title; a plot title cannot)."""

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(parent)
        self.cstate = cstate
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setContentsMargins(8, 4, 8, 2)
        layout.addWidget(self.title)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)
        self.plot = self.graphics.addPlot(enableMenu=False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.disableAutoRange()
        self.plot.getAxis("left").setWidth(52)
        self._title_text = ""
        self.legend_names: list[str] = []
        cstate.themeChanged.connect(self._themed)

    def set_title(self, text: str) -> None:
        self._title_text = text
        theme = self.cstate.theme
        self.title.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt + 1}pt'>{text}</span>")

    @guarded
    def _themed(self) -> None:
        self.apply_theme()

    def apply_theme(self) -> None:
        theme = self.cstate.theme
        self.graphics.setBackground(theme.background)
        self.setStyleSheet(f"background: {theme.background};")
        style_plot(self.plot, theme)
        size_bottom_axis(self.plot.getAxis("bottom"), theme)
        self.fit_left_axis()
        self.set_title(self._title_text)

    def tick_labels(self) -> list[str]:
        return y_fit(self.plot).labels()

    def fit_left_axis(self) -> None:
        """The left axis as wide as its labels (and title) in the theme's font: nothing overlaps."""
        axis = self.plot.getAxis("left")
        axis.setWidth(axis_width_for(axis, self.tick_labels() or ["−0.5"]))

    def legend_line(self, items: list[tuple[str, str]]) -> str:
        """The legend as the title's second line (inside the plot it would cover curves): (name, colour)."""
        self.legend_names = [name for name, _ in items]
        # a non-breaking hyphen: a wrapped line never splits "sine-lstm" after its hyphen
        return "&nbsp;&nbsp; ".join(f"<span style='color:{c}'>━</span>&nbsp;"
                                    f"{html.escape(name, quote=False).replace('-', NB_HYPHEN)}" for name, c in items)


class OutputsPlot(_PlotBox):
    """The input and every model's output over time, one colour per model, the shared cursor."""

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(cstate, parent)
        self.input_curves: list[pg.PlotDataItem] = []
        self.curves: list[pg.PlotDataItem] = []  # one per model (None-free: a model without a head has none)
        self.cursor = TimeCursor()
        self.plot.addItem(self.cursor)
        self.plot.setLabel("bottom", translate("Compare", "step t"))
        cstate.modelsChanged.connect(self._models_changed)
        cstate.stepChanged.connect(self._step)
        self.apply_theme()

    @guarded
    def _models_changed(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        entries = self.cstate.entries
        for item in self.input_curves + self.curves:
            self.plot.removeItem(item)
        self.input_curves, self.curves, legend = [], [], []
        T = self.cstate.length
        values = []
        first = entries[0]
        x_in = input_series(first)
        if x_in is not None and x_in.shape[1] <= 4:  # a few input features in grey, under the outputs
            for k in range(x_in.shape[1]):
                item = self.plot.plot(np.arange(T, dtype=np.float64), x_in[:, k], connect="finite")
                self.input_curves.append(item)
                values.append(x_in[:, k])
            what_in = (translate("Compare", "input") if x_in.shape[1] == 1
                       else translate("Compare", "input ({n} features)").format(n=x_in.shape[1]))
            legend.append((f"{what_in}: {localized(self.cstate.input_name)}" if self.cstate.input_name else what_in,
                           INPUT_COLOUR))
        # sine: the output at step t predicts the input at t + 1, so it is drawn at t + 1 over the input
        shift = 1.0 if first.task is not None and first.task.name == "sine" else 0.0
        what = set()
        for e in entries:
            series = output_series(e)
            if series is None:
                continue
            steps, y, label = series
            what.add(label)
            item = self.plot.plot(steps + shift, y, connect="finite",
                                  symbol="o" if len(steps) == 1 else None, symbolSize=10, symbolBrush=e.colour)
            item.gateviz_model = e.name
            self.curves.append(item)
            legend.append((e.name, e.colour))
            values.append(y)
        legend_line = self.legend_line(legend)
        self.apply_theme()
        finite = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values]) if values else np.zeros(1)
        finite = finite[np.isfinite(finite)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        y_fit(self.plot).set_range(lo, hi)
        self.fit_left_axis()
        self.plot.setXRange(-0.5, T - 0.5 + shift, padding=0.01)
        self._char_ticks(first.sequence, T)
        outputs = " / ".join(sorted(what)) or translate("Compare", "no output (no head)")
        next_value = translate("Compare", ", drawn at t + 1 (it predicts the next value)") if shift else ""
        self.set_title(translate("Compare", "<b>Outputs</b>: each model's {outputs}{next}").format(
            outputs=outputs, next=next_value) + f"<br>{legend_line}")
        self._step(self.cstate.step)

    def _char_ticks(self, sequence, T: int) -> None:
        """A text input is the x axis: each step labelled with its character, when they fit."""
        axis = self.plot.getAxis("bottom")
        if isinstance(sequence, str) and T <= 80:
            shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
            axis.setTicks([[(float(t), shown.get(ch, ch)) for t, ch in enumerate(sequence)], []])
            self.plot.setLabel("bottom", translate("Compare", "input character at step t"))
        else:
            axis.setTicks(None)
            self.plot.setLabel("bottom", translate("Compare", "step t"))

    @guarded
    def _step(self, step: int) -> None:
        self.cursor.setValue(step)

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.cstate.theme
        for item in self.input_curves:
            item.setPen(pg.mkPen(INPUT_COLOUR, width=theme.line_width, style=Qt.PenStyle.SolidLine))
        colours = {e.name: e.colour for e in self.cstate.entries}
        for item in self.curves:
            item.setPen(pg.mkPen(colours.get(item.gateviz_model, "#000000"), width=theme.line_width + 0.5))
        self.cursor.setPen(pg.mkPen(theme.foreground, width=1, style=Qt.PenStyle.DashLine))


class GradientCurves(_PlotBox):
    """||dy/dh_t|| against t*−t, every model on one log axis: the vanishing-gradient figure."""

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(cstate, parent)
        self.curves: list[pg.PlotDataItem] = []
        self.plot.setLogMode(x=False, y=True)
        self.plot.setLabel("bottom", translate("Compare", "steps back in time, t* − t"))
        self.plot.setLabel("left", "‖∂y/∂h<sub>t</sub>‖")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # the ticks are powers of ten: no "(x0.001)"
        self.range_log: tuple[float, float] | None = None  # the visible y range as log10 values
        self._labels: list[tuple[float, str]] = []
        self._exponents: tuple[int, int] | None = None  # the labelled decades, lowest and highest
        self.plot.vb.sigResized.connect(self._log_ticks)
        cstate.modelsChanged.connect(self._models_changed)
        cstate.gradientsChanged.connect(self._gradients_changed)
        self.apply_theme()

    @guarded
    def _models_changed(self) -> None:
        for item in self.curves:
            self.plot.removeItem(item)
        self.curves = []
        for e in self.cstate.entries:
            item = self.plot.plot([], [], connect="finite")
            item.setLogMode(False, True)
            item.gateviz_model = e.name
            self.curves.append(item)
        self.apply_theme()
        self.set_title(translate("Compare", "<b>Gradients through time</b> (computing…)"))

    @guarded
    def _gradients_changed(self) -> None:
        self.update_curves()

    def tick_labels(self) -> list[str]:
        return [label for _, label in getattr(self, "_labels", [])] or ["10⁻⁰"]

    @guarded
    def _log_ticks(self, *_args) -> None:
        """Powers of ten, as many as the plot's height holds without labels touching."""
        if self._exponents is None:
            return
        self._labels = [(float(e), power_label(e)) for e in log_ticks(*self._exponents, max_y_ticks(self.plot, 7))]
        self.plot.getAxis("left").setTicks([self._labels, []])
        self.fit_left_axis()

    def update_curves(self) -> None:
        entries = self.cstate.entries
        if not entries or any(e.gradients is None for e in entries):
            return
        found, gaps = [], []
        step = entries[0].gradients.target.step
        layers = set()
        for item, e in zip(self.curves, entries):
            layer, direction = curve_layer(e)
            layers.add((layer, direction, e.trace.num_layers > 1 or len(e.trace.directions(0)) > 1))
            x, y = gradient_curve(e.gradients, layer, direction)
            item.setData(x, y, connect="finite")
            found.append(y[np.isfinite(y)])
            if np.isnan(y).any():  # say what a gap is, and where it starts
                gaps.append(translate("Compare", "{name} from {n} steps back").format(
                    name=e.name, n=int(np.argmax(np.isnan(y)))))
        values = np.concatenate(found) if found else np.zeros(0)
        if values.size:
            lo_exp, hi_exp = int(np.floor(np.log10(values.min()))), int(np.ceil(np.log10(values.max())))
        else:  # every gradient is zero: nothing reaches y
            lo_exp, hi_exp = -1, 1
        if hi_exp <= lo_exp:
            hi_exp = lo_exp + 1
        self.range_log = (lo_exp - 0.05 * (hi_exp - lo_exp), hi_exp + 0.05 * (hi_exp - lo_exp))
        self.plot.setYRange(*self.range_log, padding=0)
        self._exponents = (lo_exp, hi_exp)
        self._log_ticks()
        self.plot.setXRange(-0.5, max(step, 1) + 0.5, padding=0.01)
        where = ""
        if any(multi for _, _, multi in layers):
            where = " (" + ", ".join(sorted({translate("Compare", "layer {k} {direction}").format(
                k=k, direction=translate("Controls", d)) for k, d, _ in layers})) + ")"
        note = translate("Compare", " — every gradient is zero") if not values.size else \
            translate("Compare", " — a gap is an exact zero ({gaps})").format(gaps="; ".join(gaps)) if gaps else ""
        legend = self.legend_line([(e.name, e.colour) for e in entries])
        self.set_title(translate("Compare", "<b>‖∂y/∂h<sub>t</sub>‖ against t* − t</b>") + f"{where}, "
                       f"{html.escape(target_title(entries), quote=False)}{note}<br>{legend}")

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.cstate.theme
        colours = {e.name: e.colour for e in self.cstate.entries}
        for item in self.curves:
            item.setPen(pg.mkPen(colours.get(item.gateviz_model, "#000000"), width=theme.line_width + 0.5))


class DetailView(QWidget):
    """One model's heatmaps or cell diagram (the app's panels on that model's ViewState)."""

    PANELS = (("heatmaps", QT_TRANSLATE_NOOP("Compare", "heatmaps")),
              ("cell", QT_TRANSLATE_NOOP("Compare", "cell diagram")))

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(parent)
        self.cstate = cstate
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(8, 2, 8, 2)
        self.model_box = QComboBox()
        self.model_box.setToolTip(translate("Compare", "Whose gates to show below"))
        self.panel_box = QComboBox()
        for pid, label in self.PANELS:
            self.panel_box.addItem(translate("Compare", label), pid)
        self.label = QLabel(translate("Compare", "Show"))
        row.addWidget(self.label)
        row.addWidget(self.model_box)
        row.addWidget(self.panel_box)
        row.addStretch(1)
        layout.addLayout(row)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.panels: dict[tuple[int, str], QWidget] = {}
        self.model_box.currentIndexChanged.connect(self._pick)
        self.panel_box.currentIndexChanged.connect(self._pick)
        cstate.modelsChanged.connect(self._models_changed)

    @guarded
    def _models_changed(self) -> None:
        for panel in self.panels.values():
            self.stack.removeWidget(panel)
            panel.deleteLater()
        self.panels = {}
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for e in self.cstate.entries:
            self.model_box.addItem(e.name)
        self.model_box.blockSignals(False)
        self.select(0, self.panel_box.currentData() or "heatmaps")

    def select(self, index: int, panel_id: str) -> QWidget:
        """Show model ``index``'s ``panel_id`` ("heatmaps" or "cell") and return the panel."""
        self.model_box.blockSignals(True)
        self.panel_box.blockSignals(True)
        self.model_box.setCurrentIndex(index)
        self.panel_box.setCurrentIndex(self.panel_box.findData(panel_id))
        self.model_box.blockSignals(False)
        self.panel_box.blockSignals(False)
        return self._show(index, panel_id)

    @guarded
    def _pick(self, *_args) -> None:
        self._show(self.model_box.currentIndex(), self.panel_box.currentData())

    def _show(self, index: int, panel_id: str) -> QWidget | None:
        if not 0 <= index < len(self.cstate.states):
            return None
        key = (index, panel_id)
        panel = self.panels.get(key)
        if panel is None:
            from gateviz.ui.panels import PANEL_CLASSES

            panel = self.panels[key] = PANEL_CLASSES[panel_id](self.cstate.states[index])
            self.stack.addWidget(panel)
        self.stack.setCurrentWidget(panel)
        return panel

    def current(self) -> QWidget | None:
        return self.stack.currentWidget()

    def apply_theme(self) -> None:
        theme = self.cstate.theme
        self.label.setStyleSheet(f"color: {theme.foreground};")
