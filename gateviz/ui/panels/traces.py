"""Unit traces: line plots over time of the pinned units' gates and states.

One small plot per quantity (two columns), one line per pinned unit in its pin colour, a
legend, the shared time cursor and a dot on each line at the current step. Lines are created
when the pinned set changes (a selection change) and only their data is set otherwise.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout

from .common import Panel, StepMarker, TimeCursor, cache_static, levels_for, muted, style_plot, title_html, tooltip


class _TracePlot:
    def __init__(self, quantity: str, layout: pg.GraphicsLayout, row: int, col: int):
        self.quantity = quantity
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.disableAutoRange()
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")  # long traces stay fast
        self.plot.getAxis("left").setWidth(40)
        self.zero = pg.InfiniteLine(angle=0, movable=False)
        self.plot.addItem(self.zero)
        self.cursor = TimeCursor()
        self.plot.addItem(self.cursor)
        self.lines: dict[int, pg.PlotDataItem] = {}
        self.dots: dict[int, StepMarker] = {}  # unit -> its marker at the current step
        self.data: np.ndarray | None = None  # (T, units)


class TracesPanel(Panel):
    panel_id = "traces"
    title = "Unit traces"

    def description(self) -> str:
        return "The pinned units' gates and states over time, one line per unit. Click a heatmap row to pin a unit."

    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(2)
        self.legend = QLabel()  # the pinned units in their colours
        self.legend.setContentsMargins(8, 2, 8, 0)
        layout.addWidget(self.legend)
        layout.addWidget(self.view, 1)
        self.plots: list[_TracePlot] = []
        self.length = 0
        self.legend_units: list[int] = []

    def _make_plots(self, quantities: tuple[str, ...]) -> None:
        self.view.ci.clear()
        cols = 2 if len(quantities) > 2 else 1
        self.plots = [_TracePlot(q, self.view.ci, k // cols, k % cols) for k, q in enumerate(quantities)]
        n_rows = (len(quantities) + cols - 1) // cols
        for k, p in enumerate(self.plots):
            if k // cols == n_rows - 1 or k + cols >= len(self.plots):
                p.plot.setLabel("bottom", "step")
            else:
                p.plot.getAxis("bottom").setStyle(showValues=False)
            p.plot.vb.sigRangeChangedManually.connect(self._synced_by_sender)
        self.apply_theme()

    def _synced_by_sender(self, *_args) -> None:
        # a bound method, not a lambda holding self: PySide keeps bound slots weakly, so a
        # panel dropped by Python is not kept alive (then destroyed mid-teardown) by its own plots
        self._sync_x(self.sender())

    def _sync_x(self, source) -> None:
        x0, x1 = source.viewRange()[0]
        for p in self.plots:
            if p.plot.vb is not source:
                p.plot.setXRange(x0, x1, padding=0)

    # ---- hooks ----------------------------------------------------------------------
    def rebuild(self) -> None:
        trace = self.state.trace
        if trace is None:
            return
        quantities = tuple(trace.quantities)
        self.length = trace.length  # before _make_plots: its apply_theme redraws the lines with this length
        if tuple(p.quantity for p in self.plots) != quantities:
            self._make_plots(quantities)
        for p in self.plots:
            p.data = self.state.quantity(p.quantity)
            tip = tooltip(p.quantity, trace.cell)
            p.plot.setToolTip(tip)
            p.plot.vb.setToolTip(tip)
            p.plot.setXRange(-0.5, max(self.length - 0.5, 1), padding=0)
        self.on_selection()

    def on_selection(self) -> None:
        if self.state.trace is None or not self.plots:
            return
        units = self.state.trace.units(self.state.layer)
        pinned = [u for u in self.state.pinned if u < units]
        steps = np.arange(self.length, dtype=np.float32)
        width = self.state.theme.line_width
        for p in self.plots:
            p.data = self.state.quantity(p.quantity)
            for u in list(p.lines):
                if u not in pinned:
                    p.plot.removeItem(p.lines.pop(u))
                    p.plot.removeItem(p.dots.pop(u))
            size = 7 + 3 * self.state.theme.presentation
            for u in pinned:
                if u not in p.lines:
                    p.lines[u] = p.plot.plot()
                    cache_static(p.lines[u], self.length)
                    # one marker item per unit with its own style: a step only moves it
                    p.dots[u] = StepMarker()
                    p.dots[u].setZValue(10)
                    p.plot.addItem(p.dots[u])
                p.lines[u].setData(steps, np.ascontiguousarray(p.data[:, u], dtype=np.float32))
                p.lines[u].setPen(pg.mkPen(self.state.pin_colour(u), width=width))
                p.dots[u].setBrush(pg.mkBrush(self.state.pin_colour(u)))
                p.dots[u].setPen(pg.mkPen(self.state.theme.foreground, width=1))
                p.dots[u].set_size(size)
            lo, hi = levels_for(p.quantity, p.data[:, pinned] if pinned else None)
            pad = 0.1 * (hi - lo)  # room for the end labels
            p.plot.setYRange(lo - pad, hi + pad, padding=0)
            mid = (lo + hi) / 2
            p.plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (lo, mid, hi)],
                                             [(v, "") for v in np.linspace(lo, hi, 5)]])
        self._update_legend(pinned)
        self.on_step(self.state.step)

    def on_step(self, step: int) -> None:
        if self.state.trace is None:
            return
        step = min(step, self.length - 1)
        x = float(step)
        for p in self.plots:
            p.cursor.setValue(step)
            if p.data is None:
                continue
            for u, dot in p.dots.items():
                dot.setPos(x, float(p.data[step, u]))

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.view.setBackground(theme.background)
        self.setStyleSheet(f"TracesPanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        for p in self.plots:
            style_plot(p.plot, theme)
            # the x range starts half a step left of 0: let the "0" label reach past the axis's left
            # end instead of being hidden (pyqtgraph hides labels that overhang by default)
            p.plot.getAxis("bottom").setStyle(hideOverlappingLabels=int(theme.font_pt))
            p.plot.setTitle(title_html(p.quantity, theme))
            p.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
            p.zero.setPen(pg.mkPen(muted(theme), width=0.8, style=pg.QtCore.Qt.PenStyle.DashLine))
            p.zero.setVisible(p.quantity not in ("input_gate", "forget_gate", "output_gate",
                                                 "reset_gate", "update_gate"))
            p.plot.showGrid(x=False, y=True, alpha=0.15)
        if self.state.trace is not None and self.plots:
            self.on_selection()

    def _update_legend(self, pinned: list[int]) -> None:
        theme = self.state.theme
        entries = [f"<span style='color:{self.state.pin_colour(u)}'>&#9473;&#9473;</span>&nbsp;unit {u}" for u in pinned]
        where = f"layer {self.state.layer}, {self.state.direction}"
        self.legend.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>pinned: "
                            + " &nbsp;&nbsp; ".join(entries)
                            + f" &nbsp;&nbsp; <span style='color:{muted(theme)}'>({where})</span></span>")
        self.legend_units = list(pinned)
