"""Karpathy's saturation scatter (Karpathy, Johnson, Fei-Fei 2015, §4.2; gate-conventions.md §6).

Per sigmoid gate, one point per unit: the fraction of steps the gate is right-saturated
(> 0.9, x) against left-saturated (< 0.1, y), coloured by layer (every layer of the current
direction), pinned units of the current layer ringed in their pin colours. Points near the
top-left corner are gates that are almost always closed, near the bottom-right almost always
open; the dashed diagonal x + y = 1 is the limit (never unsaturated). A plain RNN has no
sigmoid gate: its tanh state's saturation (h < −0.9 vs h > 0.9) is shown instead.

The statistics do not depend on the time step; they are computed when the trace or the
direction changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gateviz.core.analysis import LEFT_SATURATED, RIGHT_SATURATED, saturation_fractions
from gateviz.core.trace import SIGMOID_GATES

from .common import QUANTITY_INFO, Panel, muted, style_plot

LAYER_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"]


def tanh_saturation(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) fractions of a tanh state: h < −0.9 and h > 0.9 per unit."""
    return (h < -RIGHT_SATURATED).mean(axis=0, dtype=np.float64), (h > RIGHT_SATURATED).mean(axis=0, dtype=np.float64)


class _GatePlot:
    def __init__(self, quantity: str, layout: pg.GraphicsLayout, col: int):
        self.quantity = quantity
        self.plot: pg.PlotItem = layout.addPlot(row=0, col=col)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=(-0.03, 1.03), yRange=(-0.03, 1.03), padding=0)
        self.plot.setLabel("bottom", f"right-saturated (> {RIGHT_SATURATED:g})")
        self.plot.setLabel("left", f"left-saturated (&lt; {LEFT_SATURATED:g})")
        self.diagonal = pg.PlotCurveItem([0, 1], [1, 0])
        self.plot.addItem(self.diagonal)
        self.layers: list[pg.ScatterPlotItem] = []
        self.pins = pg.ScatterPlotItem(pxMode=True)
        self.pins.setZValue(10)
        self.plot.addItem(self.pins)
        self.points: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # layer -> (left, right)


class SaturationPanel(Panel):
    panel_id = "saturation"
    title = "Gate saturation"

    def description(self) -> str:
        return ("Karpathy's saturation scatter: for each unit, how often a sigmoid gate is fully open (> 0.9, x) "
                "or fully closed (< 0.1, y) over the sequence, coloured by layer.")

    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend = QLabel()
        self.legend.setContentsMargins(8, 3, 8, 3)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(8)
        layout.addWidget(self.view, 1)
        self.plots: list[_GatePlot] = []
        self.layer_ids: list[int] = []

    def _gates(self) -> tuple[str, ...]:
        qs = self.state.trace.quantities
        gates = tuple(q for q in qs if q in SIGMOID_GATES)
        return gates or ("hidden_state",)

    # ---- hooks --------------------------------------------------------------------------
    def rebuild(self) -> None:
        trace = self.state.trace
        if trace is None:
            return
        gates = self._gates()
        if tuple(g.quantity for g in self.plots) != gates:
            self.view.ci.clear()
            self.plots = [_GatePlot(q, self.view.ci, k) for k, q in enumerate(gates)]
        direction = self.state.direction
        self.layer_ids = [k for k in range(trace.num_layers) if direction in trace.directions(k)]
        for gp in self.plots:
            for item in gp.layers:
                gp.plot.removeItem(item)
            gp.layers, gp.points = [], {}
            for k in self.layer_ids:
                a = trace.get(k, direction, gp.quantity)
                left, right = tanh_saturation(a) if gp.quantity == "hidden_state" else saturation_fractions(a)
                gp.points[k] = (left, right)
                units = np.arange(len(left))
                item = pg.ScatterPlotItem(x=right, y=left, data=[(k, int(u)) for u in units], pxMode=True,
                                          hoverable=True, tip=self._tip(gp.quantity))
                gp.plot.addItem(item)
                gp.layers.append(item)
            sym = QUANTITY_INFO[gp.quantity].symbol
            tip = (f"Gate {sym}: a point per unit; x = fraction of steps with {sym} > {RIGHT_SATURATED:g} (open), "
                   f"y = fraction with {sym} &lt; {LEFT_SATURATED:g} (closed).")
            gp.plot.setToolTip(tip)
        self.apply_theme()

    def _tip(self, quantity: str):
        sym = QUANTITY_INFO[quantity].symbol

        def tip(x: float, y: float, data) -> str:
            layer, unit = data
            return f"layer {layer}, unit {unit}: {sym} open {x:.0%} / closed {y:.0%} of the steps"

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
        self.view.setBackground(theme.background)
        self.setStyleSheet(f"SaturationPanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        size = 7 + 3 * theme.presentation
        for gp in self.plots:
            style_plot(gp.plot, theme)
            sym = QUANTITY_INFO[gp.quantity].symbol
            name = QUANTITY_INFO[gp.quantity].name
            title = f"<b>{sym}</b>&nbsp; {name}" if gp.quantity != "hidden_state" else "<b>h</b>&nbsp; tanh state (h &lt; −0.9 / &gt; 0.9)"
            gp.plot.setTitle(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt + 1}pt'>{title}</span>")
            gp.diagonal.setPen(pg.mkPen(muted(theme), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            gp.plot.showGrid(x=True, y=True, alpha=0.12)
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
                continue
            left, right = gp.points[layer]
            spots = [dict(pos=(right[u], left[u]), size=size, brush=pg.mkBrush(None),
                          pen=pg.mkPen(self.state.pin_colour(u), width=2.5 + self.state.theme.presentation))
                     for u in self.state.pinned if u < len(left)]
            gp.pins.setData(spots)

    def _update_legend(self) -> None:
        theme = self.state.theme
        if self.state.trace is None:
            return
        layers = " &nbsp; ".join(f"<span style='color:{LAYER_COLOURS[k % len(LAYER_COLOURS)]}'>●</span> layer {k}"
                                 for k in self.layer_ids)
        pins = " ".join(f"<span style='color:{self.state.pin_colour(u)}'>◯</span>{u}" for u in self.state.pinned)
        self.legend.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{layers}"
                            f" &nbsp;·&nbsp; {self.state.direction} &nbsp;·&nbsp; pinned (layer {self.state.layer}): "
                            f"{pins}</span>")
