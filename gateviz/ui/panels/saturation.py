"""Karpathy's saturation scatter (Karpathy, Johnson, Fei-Fei 2015, §4.2; gate-conventions.md §6).

Per sigmoid gate, one point per unit: the fraction of steps the gate is right-saturated
(> 0.9, x) against left-saturated (< 0.1, y), coloured by layer (every layer of the current
direction), pinned units of the current layer ringed in their pin colours. Points near the
top-left corner are gates that are almost always closed, near the bottom-right almost always
open; the dashed diagonal x + y = 1 is the limit (never unsaturated). A plain RNN has no
sigmoid gate: its tanh state's saturation (h < −0.9 vs h > 0.9) is shown instead, and the
axes, title and tooltips say so.

The plots share one line below them that says what x and y count (three copies of two long
axis labels did not fit side by side in presentation fonts); ticks are as many round fractions
as each plot's size holds. The statistics do not depend on the time step; they are computed when
the trace or the direction changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gateviz.core.analysis import LEFT_SATURATED, RIGHT_SATURATED
from gateviz.core.view_products import fractions_of_valid_steps, products_for, tanh_saturation  # noqa: F401 (moved)
from gateviz.core.trace import SIGMOID_GATES

from gateviz.ui.guard import guarded

from .common import NAN_COLOUR, QUANTITY_INFO, Panel, direction_name, display_info, muted, style_plot, translate
from .masking import MASKED_GREY, masked_steps
from .overlay import CLAMP_COLOUR, clamped_anywhere
from .plot_fit import (MIN_VIEW_LINES, TICK_GAP, axis_width_for, bottom_axis_height, fit_title_row_at_shared_detail,
                       label_px, nice_ticks, relayout, set_ticks, size_bottom_axis, tick_font, tick_label)

LAYER_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"]
SPACING = 8  # pixels between the plots
MIN_PLOT_LINES = 1.5 * MIN_VIEW_LINES  # a scatter is at least this many tick-label heights wide and tall
PAD = 0.03  # the view shows -0.03..1.03: points on the edges stay whole


@dataclass(frozen=True)
class Thresholds:
    """What x and y count (HTML), in the same words for the axes' line, the title and the tooltips."""

    x_axis: str  # "right-saturated (> 0.9)"
    y_axis: str
    x_test: str  # "i > 0.9": one point's x, for tooltips
    y_test: str

    def axes_html(self) -> str:
        return (f"→&nbsp;x: {self.x_axis} &nbsp; ↑&nbsp;y: {self.y_axis} &nbsp; "
                + translate("Saturation", "(fractions of the steps)"))


def thresholds(quantity: str, theme=None) -> Thresholds:
    """``theme``: its GRU convention names the update gate (the textbook's 1 − z)."""
    if quantity == "hidden_state":  # a tanh state saturates at both ends of [-1, 1]
        hi, lo = f"h &gt; {RIGHT_SATURATED:g}", f"h &lt; −{RIGHT_SATURATED:g}"
        return Thresholds(hi, lo, hi, lo)
    sym = display_info(quantity, theme).symbol if theme is not None else QUANTITY_INFO[quantity].symbol
    return Thresholds(translate("Saturation", "right-saturated (&gt; {v})").format(v=f"{RIGHT_SATURATED:g}"),
                      translate("Saturation", "left-saturated (&lt; {v})").format(v=f"{LEFT_SATURATED:g}"),
                      f"{sym} &gt; {RIGHT_SATURATED:g}", f"{sym} &lt; {LEFT_SATURATED:g}")


class _GatePlot:
    def __init__(self, quantity: str, layout: pg.GraphicsLayout, col: int):
        self.quantity = quantity
        self.plot: pg.PlotItem = layout.addPlot(row=0, col=col, enableMenu=False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=(-PAD, 1 + PAD), yRange=(-PAD, 1 + PAD), padding=0)
        self.diagonal = pg.PlotCurveItem([0, 1], [1, 0])
        self.plot.addItem(self.diagonal)
        self.layers: list[pg.ScatterPlotItem] = []
        self.pins = pg.ScatterPlotItem(pxMode=True)
        self.pins.setZValue(10)
        self.plot.addItem(self.pins)
        # units whose gate an intervention replaces (issue 13): a vermillion square around their point
        self.clamps = pg.ScatterPlotItem(pxMode=True, symbol="s")
        self.clamps.setZValue(11)
        self.plot.addItem(self.clamps)
        self.clamped: np.ndarray = np.zeros(0, dtype=int)  # the units marked
        self.points: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # layer -> (left, right)


class SaturationPanel(Panel):
    panel_id = "saturation"
    title = "Gate saturation"

    def description(self) -> str:
        return translate("Saturation", "Karpathy's saturation scatter: for each unit, how often a sigmoid gate is "
                         "fully open (> 0.9, x) or fully closed (< 0.1, y) over the sequence, coloured by layer.")

    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend = QLabel()
        self.legend.setContentsMargins(8, 3, 8, 3)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(SPACING)
        layout.addWidget(self.view, 1)
        self.plots: list[_GatePlot] = []
        self.axes_label = QLabel()  # what x and y count, for every plot
        self.axes_label.setContentsMargins(8, 0, 8, 4)
        self.axes_label.setWordWrap(True)
        layout.addWidget(self.axes_label)
        self.layer_ids: list[int] = []

    def _gates(self) -> tuple[str, ...]:
        qs = self.state.trace.quantities
        gates = tuple(q for q in qs if q in SIGMOID_GATES)
        return gates or ("hidden_state",)

    def _make_plots(self, gates: tuple[str, ...]) -> None:
        self.view.ci.clear()
        self.plots = [_GatePlot(q, self.view.ci, k) for k, q in enumerate(gates)]
        for gp in self.plots:
            gp.plot.vb.sigResized.connect(self._fit)

    # ---- layout -----------------------------------------------------------------------
    @guarded
    def _fit(self, *_args) -> None:
        """Ticks as many as each plot holds, room for the end labels, titles that fit their column."""
        if not self.plots:
            return
        first = self.plots[0].plot
        axis = first.getAxis("left")
        line = label_px(axis)
        fm = QFontMetricsF(tick_font(axis))
        size = first.vb.size()
        most_y = int(np.clip((size.height() - line) / (TICK_GAP * line) + 1, 2, 6))
        wide = fm.horizontalAdvance("0.25")  # the widest label a fraction tick gets
        most_x = int(np.clip((size.width() - wide) / (1.3 * wide) + 1, 2, 6))
        y_ticks, x_ticks = nice_ticks(0.0, 1.0, most_y), nice_ticks(0.0, 1.0, most_x)
        # the end labels (0 and 1) need half a label of room beyond the data, or pyqtgraph drops them
        # (with a grid, pyqtgraph lets no label overhang its axis, not even by a pixel)
        height = size.height()
        pad_y = max(PAD, 0.5 * line / (height - line)) if height > 2 * line else 0.25
        half_x = 0.5 * fm.horizontalAdvance("0") + 1
        pad_x = max(PAD, half_x / (size.width() - 2 * half_x)) if size.width() > 4 * half_x else 0.25
        width = axis_width_for(axis, [tick_label(v) for v in y_ticks])
        for gp in self.plots:
            gp.plot.setRange(xRange=(-pad_x, 1 + pad_x), yRange=(-pad_y, 1 + pad_y), padding=0)
            set_ticks(gp.plot.getAxis("left"), y_ticks)
            set_ticks(gp.plot.getAxis("bottom"), x_ticks)
            left = gp.plot.getAxis("left")
            if left.width() != width:
                left.setWidth(width)
        self._fit_titles()

    def _fit_titles(self) -> None:
        theme = self.state.theme
        n = len(self.plots)
        left, _top, right, _bottom = self.view.ci.layout.getContentsMargins()
        column = (self.view.width() - left - right - SPACING * (n - 1)) / max(n, 1)
        span = f"<span style='color:{theme.foreground}; font-size:{theme.font_pt + 1}pt'>"
        variants = []
        for gp in self.plots:
            info = display_info(gp.quantity, theme)
            name = translate("Saturation", "tanh state") if gp.quantity == "hidden_state" else info.name
            variants.append((gp.plot, [f"{span}<b>{info.symbol}</b>&nbsp; {name}</span>",
                                       f"{span}<b>{info.symbol}</b></span>"]))
        room = column - (self.plots[0].plot.getAxis("left").width() if self.plots else 0) - 4
        fit_title_row_at_shared_detail(variants, room)  # every title at one level of detail
        relayout(self.view)

    @guarded
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_titles()

    def readable_size(self) -> QSize:
        """Every scatter at least MIN_PLOT_LINES tick labels wide and tall, with its title and axes,
        the legend and the axes' line (wrapped at that width)."""
        theme = self.state.theme
        n = len(self.plots) or 3
        axis = self.plots[0].plot.getAxis("left") if self.plots else None
        line = label_px(axis) if axis is not None else theme.font_pt * 96 / 72 * 1.2
        view = MIN_PLOT_LINES * line
        ticks = ["0", "0.5", "1"]
        axis_w = axis_width_for(axis, ticks) if axis is not None else 3 * line
        width = n * (axis_w + view) + SPACING * (n - 1) + 9 + theme.font_pt * 1.2
        width = max(width, 16 * line)  # the legend and the axes' line in two or three lines, not seven
        title = (theme.font_pt + 1) * 96 / 72 * 1.25 + 2
        bottom = bottom_axis_height(self.plots[0].plot.getAxis("bottom")) if self.plots else 1.5 * line
        texts = sum(label.heightForWidth(int(width)) if label.text() else 2 * line
                    for label in (self.legend, self.axes_label))
        height = texts + title + view + bottom + 2 * 4
        return QSize(int(np.ceil(width)), int(np.ceil(height)))

    # ---- hooks --------------------------------------------------------------------------
    def rebuild(self) -> None:
        trace = self.state.trace
        if trace is None:
            return
        gates = self._gates()
        made = tuple(g.quantity for g in self.plots) != gates
        if made:
            self._make_plots(gates)
        direction = self.state.direction
        self._convention = self.state.theme.gru_convention
        self.layer_ids = [k for k in range(trace.num_layers) if direction in trace.directions(k)]
        nan_steps = False
        skipped = masked_steps(trace)  # Keras-masked steps: their gates were computed but not used
        products = products_for(trace)  # precomputed by the trace job (view_products); else made here once
        for gp in self.plots:
            # one scatter per layer, kept while the layer count stays (another direction, another trace
            # of the same model): new points only, instead of new items styled from scratch
            reuse = len(gp.layers) == len(self.layer_ids)
            if not reuse:
                for item in gp.layers:
                    gp.plot.removeItem(item)
                gp.layers = []
            gp.points = {}
            for j, k in enumerate(self.layer_ids):
                sat = products.saturation(k, direction, gp.quantity, self._convention, skipped,
                                          self.state.displayed(gp.quantity, k, direction))  # textbook GRU: 1 − z
                left, right = sat.left, sat.right
                nan_steps = nan_steps or sat.nan_steps
                gp.points[k] = (left, right)
                shown = np.flatnonzero(~np.isnan(left))  # a unit NaN at every step has no point
                if reuse:
                    gp.layers[j].setData(x=right[shown], y=left[shown], data=[(k, int(u)) for u in shown])
                    continue
                item = pg.ScatterPlotItem(x=right[shown], y=left[shown], data=[(k, int(u)) for u in shown],
                                          pxMode=True, hoverable=True, tip=self._tip(gp.quantity))
                gp.plot.addItem(item)
                gp.layers.append(item)
            words = thresholds(gp.quantity, self.state.theme)
            what = translate("Saturation", "Gate") if gp.quantity != "hidden_state" else \
                translate("Saturation", "Tanh state")
            gp.plot.setToolTip(translate("Saturation", "{what} {symbol}: a point per unit; x = fraction of steps with "
                                         "{x}, y = fraction with {y}.").format(
                what=what, symbol=display_info(gp.quantity, self.state.theme).symbol, x=words.x_test, y=words.y_test))
        self._masked_info = len(skipped)
        self._nan_info = (nan_steps, sum(int(np.isnan(left).sum()) for gp in self.plots
                                         for left, _ in gp.points.values()))
        if made:
            self.apply_theme()
        else:  # the plots and their axes are styled already: only the points are new
            self._show_points(self.state.theme)

    def _tip(self, quantity: str):
        words = thresholds(quantity, self.state.theme)
        x_test, y_test = (w.replace("&gt;", ">").replace("&lt;", "<") for w in (words.x_test, words.y_test))

        def tip(x: float, y: float, data) -> str:
            layer, unit = data
            return translate("Saturation", "layer {layer}, unit {unit}: {x_test} {x} / {y_test} {y} of the steps").format(
                layer=layer, unit=unit, x_test=x_test, x=f"{x:.0%}", y_test=y_test, y=f"{y:.0%}")

        return tip

    def on_step(self, step: int) -> None:
        pass  # saturation is a statistic of the whole sequence

    def on_selection(self) -> None:
        if self.state.trace is None:
            return
        if self.state.direction != getattr(self, "_direction", None):
            self._direction = self.state.direction
            self.rebuild()
            return
        self._update_pins()
        self._update_legend()

    def apply_theme(self) -> None:
        theme = self.state.theme
        if self.plots and self.state.trace is not None and getattr(self, "_convention", None) != theme.gru_convention:
            self.rebuild()  # a GRU's z under the other convention: its points move (then comes back here)
            return
        self.view.setBackground(theme.background)
        self.setStyleSheet(f"SaturationPanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        # room at the right for the last x label ("1"), centred on the plot's right edge
        self.view.ci.setContentsMargins(9, 4, int(theme.font_pt * 1.2), 4)
        for gp in self.plots:
            style_plot(gp.plot, theme)
            size_bottom_axis(gp.plot.getAxis("bottom"), theme)
            gp.diagonal.setPen(pg.mkPen(muted(theme), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            gp.plot.showGrid(x=True, y=True, alpha=0.12)
        if self.plots:
            self.axes_label.setText(f"<span style='color:{muted(theme)}; font-size:{theme.font_pt}pt'>"
                                    f"{thresholds(self.plots[0].quantity).axes_html()}</span>")
        self._fit()
        self._show_points(theme)

    def _show_points(self, theme) -> None:
        """Every layer's points in the layer's colour at the theme's size, the pinned units marked,
        the legend for the current direction."""
        size = 7 + 3 * theme.presentation
        for gp in self.plots:
            for k, item in zip(self.layer_ids, gp.layers):
                colour = pg.mkColor(LAYER_COLOURS[k % len(LAYER_COLOURS)])
                colour.setAlpha(190)
                item.setBrush(pg.mkBrush(colour))
                item.setPen(pg.mkPen(theme.background, width=0.5))
                item.setSize(size)
        self._direction = self.state.direction
        self._update_pins()
        self._update_legend()

    def _update_pins(self) -> None:
        if self.state.trace is None:
            return
        layer = self.state.layer
        size = 16 + 5 * self.state.theme.presentation
        for gp in self.plots:
            if layer not in gp.points:
                gp.pins.setData([])
                gp.clamps.setData([])
                gp.clamped = np.zeros(0, dtype=int)
                continue
            left, right = gp.points[layer]
            spots = [dict(pos=(right[u], left[u]), size=size, brush=pg.mkBrush(None),
                          pen=pg.mkPen(self.state.pin_colour(u), width=2.5 + self.state.theme.presentation))
                     for u in self.state.pinned if u < len(left) and not np.isnan(left[u])]
            gp.pins.setData(spots)
            mask = clamped_anywhere(self.state, gp.quantity, len(left)) & ~np.isnan(left)
            gp.clamped = np.flatnonzero(mask)
            gp.clamps.setData(x=right[gp.clamped], y=left[gp.clamped], size=size + 6, brush=pg.mkBrush(None),
                              pen=pg.mkPen(CLAMP_COLOUR, width=2 + self.state.theme.presentation))

    def _update_legend(self) -> None:
        theme = self.state.theme
        if self.state.trace is None:
            return
        layer = translate("Saturation", "layer {layer}")
        layers = " &nbsp; ".join(f"<span style='color:{LAYER_COLOURS[k % len(LAYER_COLOURS)]}'>●</span> "
                                 + layer.format(layer=k) for k in self.layer_ids)
        pins = " ".join(f"<span style='color:{self.state.pin_colour(u)}'>◯</span>{u}" for u in self.state.pinned)
        nan_steps, nan_units = getattr(self, "_nan_info", (False, 0))
        note = ""
        if nan_steps:  # NaN steps are left out of the fractions; an all-NaN unit has no point
            gates = (translate("Saturation", ", {n} all-NaN gates not drawn") if nan_units != 1 else
                     translate("Saturation", ", {n} all-NaN gate not drawn")).format(n=nan_units)
            note = (f" &nbsp;·&nbsp; <span style='color:{NAN_COLOUR}'>■</span> "
                    + translate("Saturation", "NaN steps not counted") + (gates if nan_units else ""))
        masked = getattr(self, "_masked_info", 0)
        if masked:
            steps = (translate("Saturation", "{n} masked steps not counted") if masked != 1 else
                     translate("Saturation", "{n} masked step not counted")).format(n=masked)
            note += f" &nbsp;·&nbsp; <span style='color:{MASKED_GREY.name()}'>■</span> {steps}"
        if any(len(gp.clamped) for gp in self.plots):
            note += (f" &nbsp;·&nbsp; <span style='color:{CLAMP_COLOUR}'>□</span> "
                     + translate("Saturation", "gate replaced by an intervention"))
        pinned = translate("Saturation", "pinned (layer {layer}):").format(layer=self.state.layer)
        self.legend.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{layers}"
                            f" &nbsp;·&nbsp; {direction_name(self.state.direction)} &nbsp;·&nbsp; {pinned} "
                            f"{pins}{note}</span>")
