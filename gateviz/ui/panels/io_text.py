"""The text view of the input/output panel: characters coloured by a unit's h (the Karpathy figure)
with a small plot below (surprisal, bracket depth, or the unit itself)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

from .common import cache_static, direction_name, style_plot, translate
from .io_base import IOView, legend_html, new_cursor, new_plot, plot_title, series_colour
from .io_chargrid import CharGrid, ColourLegend
from .overlay import legend_pair, original_displayed, original_pen, was_now
from .plot_fit import (MIN_VIEW_LINES, bottom_axis_height, fit_title_row, label_px, relayout, size_bottom_axis,
                       y_fit)

TEXT_ROWS = 2  # the readable size shows at least this many rows of text


class TextView(IOView):
    """Text models (and brackets): each character coloured by the selected unit's h (the Karpathy figure).

    Below the text, a small plot over time: the surprisal of the next character (text task), the
    bracket depth and its prediction (brackets task), or the unit's value (no task).
    """

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.grid = CharGrid()
        self.grid.stepClicked.connect(state.set_step)
        layout.addWidget(self.grid, 0)  # as tall as the wrapped text needs (``_fit_grid``)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)  # the plot takes the rest
        self.legend = ColourLegend()  # the io panel shows it beside the caption
        self.plot = new_plot(self.graphics.ci, 0)
        self.y = y_fit(self.plot)
        self.cursor = new_cursor(self.plot)
        self.curves: list[pg.PlotDataItem] = []
        self.chars: list[str] = []
        self.plot_title = ("", "")
        self.mode = "unit"  # what the plot shows: "text" (surprisal), "brackets" (depth) or "unit" (its h)
        # interventions (issue 13): the original run's version of the plotted series, faint, behind it
        self.original_curve = self.plot.plot()
        self.original_curve.setZValue(-1)
        self.original_curve.setVisible(False)

    PLOT_SHARE = 0.66  # the plot keeps at least this share of the view's height (and what it needs)

    def _unit(self) -> int:
        return self.state.pinned[0] if self.state.pinned else 0

    def caption_widget(self) -> QWidget:
        return self.legend

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_title()
        self._fit_grid()

    def _title_variants(self) -> list[str]:
        theme = self.state.theme
        if self.plot_title[0]:
            title, small = self.plot_title
        else:
            title = translate("IO", "h of unit {unit}").format(unit=self._unit())
            small = translate("IO", "layer {layer}, {direction}").format(
                layer=self.state.layer, direction=direction_name(self.state.direction))
        return [plot_title(title, theme, small), plot_title(title, theme)]

    def _fit_title(self) -> None:
        """A title row as tall as its one line, without its legend when the panel is narrow."""
        room = self.width() - self.plot.getAxis("left").width() - self.graphics.ci.layout.getContentsMargins()[2] - 16
        fit_title_row(self.plot, self._title_variants(), room)
        relayout(self.graphics)

    def plot_need(self) -> float:
        """The plot's smallest readable height: its title, MIN_VIEW_LINES tick labels, its axis."""
        title = self.plot.layout.rowMaximumHeight(0)
        return title + MIN_VIEW_LINES * label_px(self.plot.getAxis("left")) \
            + bottom_axis_height(self.plot.getAxis("bottom")) + 4

    def _fit_grid(self) -> None:
        """Give the text block the height its wrapped rows need, at most what the plot leaves,
        and at least TEXT_ROWS rows.

        A block that stretched with the view left the plot below 20-40 px tall (depth 0..8 looked
        flat); text that does not fit the block scrolls to keep the current character in view."""
        height = self.height()
        if height <= 0:
            return
        plot_min = max(self.PLOT_SHARE * height, self.plot_need())
        room = int(max(self.grid.rows_height(TEXT_ROWS), height - plot_min))
        needed = self.grid.height_needed(self.width(), room)
        if needed != self.grid.height() or self.grid.maximumHeight() != needed:
            self.grid.setFixedHeight(needed)
            self.layout().activate()  # the plot takes the freed height now, not at the next event loop pass

    def readable_size(self) -> QSize:
        """TEXT_ROWS rows of text (about 24 characters each) above a plot of MIN_VIEW_LINES tick labels."""
        line = self.line_px()
        width = max(26 * line, 24 * self.grid._metrics(float(self.state.theme.font_pt))[1] + 2 * CharGrid.MARGIN)
        return QSize(int(np.ceil(width)), int(np.ceil(self.grid.rows_height(TEXT_ROWS) + self.plot_need())))

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        self.original = None  # the panel hands the original's decoding over after the rebuild
        seq = self.state.sequence
        if decoded is not None and "chars" in decoded:
            self.chars = list(decoded["chars"])
        elif isinstance(seq, str):
            self.chars = list(seq)
        else:
            vocab = self.state.model.input.vocab if self.state.model is not None else None
            tokens = self.state.trace.tokens
            self.chars = [vocab[int(t)] for t in tokens] if vocab is not None and tokens is not None else []
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        T = self.state.trace.length
        steps = np.arange(T, dtype=np.float32)
        task = self.state.task.name if self.state.task is not None and decoded is not None else None
        if task == "text" and decoded.get("surprisal") is not None:
            s = np.asarray(decoded["surprisal"], dtype=np.float32)  # (T-1,): bits to read char t+1 at step t
            # NaN (a model with NaN weights) leaves a gap, not a curve at 0 that reads as certainty
            self.curves.append(self.plot.plot(steps[: len(s)], s, connect="finite"))
            self.mode = "text"
        elif task == "brackets":
            depth = np.asarray(decoded["depth"], dtype=np.float32)
            self.curves.append(self.plot.plot(steps, depth, name="true depth"))
            if decoded.get("predicted") is not None:
                self.curves.append(self.plot.plot(steps, np.asarray(decoded["predicted"], dtype=np.float32),
                                                  name="predicted"))
            self.mode = "brackets"
        else:
            self.curves.append(self.plot.plot(steps, np.zeros(T, dtype=np.float32)))
            self.mode = "unit"
        self.original_curve.setVisible(False)
        self._set_plot_title()
        self._fit_y()
        for c in self.curves:
            cache_static(c, T)
        self.plot.setXRange(0, max(T - 1, 1), padding=0.01)
        self.plot.setLabel("bottom", translate("Panels", "step"))
        self.apply_theme()
        self.on_selection()

    def _set_plot_title(self) -> None:
        was = self.original is not None
        if self.mode == "text":
            small = translate("IO", "bits, −log₂ p(next)")
            pair = legend_pair(series_colour(0, None), self.state.theme)
            self.plot_title = (translate("IO", "surprisal of the next character"),
                               f"{small} &nbsp;{pair}" if was else small)
        elif self.mode == "brackets":
            names = ([translate("IO", "true"), translate("IO", "predicted, intervened (dashed)"),
                      "┅ " + translate("IO", "original's prediction")] if was else
                     [translate("IO", "true"), translate("IO", "predicted (dashed)")])
            self.plot_title = (translate("IO", "nesting depth"), legend_html(names, [0, 1, 1]))
        else:
            self.plot_title = ("", "")

    def _fit_y(self) -> None:
        """The plot's y range over its curves, the original's too while it shows."""
        curves = self.curves + ([self.original_curve] if self.original_curve.isVisible() else [])
        values = np.concatenate([np.asarray(c.getData()[1], dtype=np.float64) for c in curves
                                 if c.getData()[1] is not None] or [np.zeros(0)])
        values = values[np.isfinite(values)]
        if self.mode == "text":
            self.y.set_range(0.0, max(float(values.max()), 1.0) if len(values) else 1.0)
        elif self.mode == "brackets":
            lo = min(0.0, float(values.min())) if len(values) else 0.0
            hi = max(float(values.max()), lo + 1.0) if len(values) else 1.0
            self.y.set_range(lo, hi, integer=True)  # a depth: whole-number ticks
        else:
            self.y.set_range(-1.0, 1.0)

    def on_original(self, decoded: dict | None) -> None:
        """Overlay the original run: its surprisal or predicted depth faint behind the intervened one,
        its h as a strip along each character's foot (None: hidden)."""
        self.original = decoded
        series = None
        if decoded is not None and self.mode == "text":
            series = decoded.get("surprisal")
        elif decoded is not None and self.mode == "brackets":
            series = decoded.get("predicted")
        if series is not None:
            series = np.ascontiguousarray(series, dtype=np.float32)
            self.original_curve.setData(np.arange(len(series), dtype=np.float32), series, connect="finite")
        self.original_curve.setVisible(series is not None)  # the unit's own curve: on_selection
        self._set_plot_title()
        self.apply_theme()  # restyles, refits, and on_selection sets the strip and the unit's curve

    def _original_h(self, unit: int) -> np.ndarray | None:
        """(T,) the original run's h of ``unit`` while compared, else None."""
        state = self.state
        if self.original is None or state.original is None:
            return None
        return original_displayed(state, "hidden_state")[:, unit]

    def on_selection(self) -> None:
        state = self.state
        if state.trace is None:
            return
        unit = self._unit()
        h = state.quantity("hidden_state")[:, unit]
        self.grid.value_name = translate("IO", "h of unit {unit}").format(unit=unit)
        self.grid.set_text(self.chars, h)
        was = self._original_h(unit)
        self.grid.set_original(was)
        self.legend.set_show_nan(h.dtype.kind == "f" and bool(np.isnan(h).any()))
        self._fit_grid()
        if not self.plot_title[0]:  # no task curve: plot the unit itself
            steps = np.arange(len(h), dtype=np.float32)
            self.curves[0].setData(steps, np.ascontiguousarray(h, dtype=np.float32))
            self._fit_title()
            self.curves[0].setPen(pg.mkPen(state.pin_colour(unit), width=state.theme.line_width))
            if was is not None:
                self.original_curve.setData(steps, np.ascontiguousarray(was, dtype=np.float32))
                self.original_curve.setPen(original_pen(state.pin_colour(unit), state.theme))
            self.original_curve.setVisible(was is not None)

    memory_mark = QT_TRANSLATE_NOOP("IO", "t* underlined")
    memory_replaces_caption = True  # the cells show the shading, not the unit's h

    def on_gradients(self, shade) -> None:
        """The Distill figure: each character's cell shaded by its connectivity to y at t*, in
        place of the unit's colours (and of their −1..+1 scale) while the shading is on."""
        from .io_memory import accent, mark_colour

        theme = self.state.theme
        self.grid.accent, self.grid.mark = accent(theme), mark_colour(theme)
        self.grid.set_shade(None if shade is None else shade.levels, 0 if shade is None else shade.step)
        if self.legend.isHidden() != (shade is not None):
            self.legend.setHidden(shade is not None)

    def on_step(self, step: int) -> None:
        self.grid.set_step(step)
        self.cursor.setValue(step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        for widget in (self.grid, self.legend):
            widget.background = QColor(theme.background)
            widget.foreground = QColor(theme.foreground)
            widget.font_pt = theme.font_pt
            widget.update()
        self.legend.updateGeometry()
        self.graphics.setBackground(theme.background)
        style_plot(self.plot, theme)
        size_bottom_axis(self.plot.getAxis("bottom"), theme)
        self.y.refit()  # the tick font's size changed
        # thin margins (pyqtgraph's are 9 px), room at the right for the last x label
        self.graphics.ci.setContentsMargins(2, 2, int(theme.font_pt * 1.6), 2)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self._fit_title()
        self._fit_grid()
        styles = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine]
        for k, c in enumerate(self.curves):  # the first (true) curve wider, so a perfect prediction on it shows both
            width = theme.line_width * (2.2 if k == 0 and len(self.curves) > 1 else 1.0)
            c.setPen(pg.mkPen(series_colour(k, theme), width=width, style=styles[k % 2]))
        self.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
        if self.mode == "brackets":  # the intervened prediction is dashed: the original's dotted
            self.original_curve.setPen(original_pen(series_colour(1, theme), theme, style=Qt.PenStyle.DotLine))
        elif self.mode == "text":
            self.original_curve.setPen(original_pen(series_colour(0, theme), theme))
        if self.state.trace is not None and self.curves:
            self._fit_y()
            self.on_selection()

    def caption(self) -> str:
        state = self.state
        text = translate("IO", "each character coloured by h of unit {unit} (layer {layer}, {direction})").format(
            unit=self._unit(), layer=state.layer, direction=direction_name(state.direction))
        if self.original is None:
            return text + translate("IO", ":")
        d, o = self.decoded or {}, self.original
        if self.mode == "brackets" and d.get("correct") is not None and o.get("correct") is not None:
            n = len(d["correct"])
            text = translate("IO", "steps with the right depth: {right} of {n}; ").format(
                right=was_now(int(np.sum(d["correct"])), int(np.sum(o["correct"]))), n=n) + text
        elif self.mode == "text" and d.get("surprisal") is not None and o.get("surprisal") is not None:
            now, was = (float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
                        for x in (d["surprisal"], o["surprisal"]))
            text = translate("IO", "mean surprisal {bits} bits per character; ").format(
                bits=was_now(round(now, 2), round(was, 2), "{:.2f}")) + text
        return text + translate("IO", ", its foot by the original run's h:")
