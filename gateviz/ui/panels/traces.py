"""Unit traces: line plots over time of the pinned units' gates and states.

One small plot per quantity (two columns), one line per pinned unit in its pin colour, a
legend, the shared time cursor and a dot on each line at the current step. Lines are created
when the pinned set changes (a selection change) and only their data is set otherwise.

Each plot keeps round y ticks, as many as its height holds, and a title that fits its column
(the value range, then the name, give way to the symbol alone when the column is narrow);
``readable_size`` is the room below which a plot would lose its ticks or go flat.

Interventions (issue 13): while the original run is compared (``overlay.comparing``), each pinned
unit's line has the original run's line behind it, faint and dashed in the same colour.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gateviz.core.view_products import holds_nan, products_for
from gateviz.ui.guard import guarded

from .common import (NAN_COLOUR, QUANTITY_INFO, EncoderBoundary, Panel, StepMarker, TimeCursor, cache_static,
                     display_info, direction_name, levels_for, muted, style_plot, title_html, tooltip, translate)
from .masking import MASKED_GREY, masked_runs
from .overlay import comparing, original_displayed, original_pen
from .plot_fit import (MIN_VIEW_LINES, EvenRows, axis_width_for, bottom_axis_height, fit_title_row_at_shared_detail,
                       label_px, relayout, size_bottom_axis, y_fit)

SIGMOID = ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate")
SPACING = 2  # pixels between the plots
MIN_PLOT_EMS = 11  # a plot is at least this many tick-label heights wide (room for 4 x labels)


class _TracePlot:
    def __init__(self, quantity: str, layout: pg.GraphicsLayout, row: int, col: int):
        self.quantity = quantity
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col, enableMenu=False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.disableAutoRange()
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")  # long traces stay fast
        self.y = y_fit(self.plot, min_pad=0.04)
        self.zero = pg.InfiniteLine(angle=0, movable=False)
        self.plot.addItem(self.zero)
        self.cursor = TimeCursor()
        self.plot.addItem(self.cursor)
        self.boundary = EncoderBoundary(labelled=row == 0 and col == 0)  # a decoder traced with its encoder
        self.plot.addItem(self.boundary)
        # steps where a pinned unit's value is NaN (a curve has a gap there): shaded in the NaN colour
        self.nan_band = pg.ImageItem(axisOrder="row-major")
        self.nan_band.setZValue(-5)
        self.nan_band.setVisible(False)
        self.plot.addItem(self.nan_band)
        # steps a Keras mask skips (issue 14): grey bands, the lines there repeat the last state
        self.mask_band = pg.ImageItem(axisOrder="row-major")
        self.mask_band.setZValue(-6)
        self.mask_band.setVisible(False)
        self.plot.addItem(self.mask_band)
        self.lines: dict[int, pg.PlotDataItem] = {}
        self.originals: dict[int, pg.PlotDataItem] = {}  # unit -> the original run's line (interventions)
        self.dots: dict[int, StepMarker] = {}  # unit -> its marker at the current step
        # (line, marker, original) of units no longer pinned, hidden: re-used for the next pinned unit
        # (removing and making 3 items in each of 6 plots was ~40 ms of a pin at 100k steps)
        self.spare: list[tuple[pg.PlotDataItem, StepMarker, pg.PlotDataItem]] = []
        self.data: np.ndarray | None = None  # (T, units)
        self.shown: set[int] = set()  # units whose line already shows their column of shown_data
        self.shown_data: np.ndarray | None = None  # the array those lines show


class TracesPanel(Panel):
    panel_id = "traces"
    title = "Unit traces"

    def description(self) -> str:
        return translate("Traces", "The pinned units' gates and states over time, one line per unit. Click a heatmap "
                                   "row to pin a unit.")

    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(SPACING)
        self.even_rows = EvenRows(self.view)  # every row's plots as tall as the last row's (with its axis)
        self.legend = QLabel()  # the pinned units in their colours
        self.legend.setContentsMargins(8, 2, 8, 0)
        self.legend.setWordWrap(True)  # eight pinned units must not widen the panel
        layout.addWidget(self.legend)
        layout.addWidget(self.view, 1)
        self.plots: list[_TracePlot] = []
        self.length = 0
        self.legend_units: list[int] = []
        self.state.comparisonChanged.connect(self._comparison_changed)

    @guarded
    def _comparison_changed(self) -> None:
        self.on_selection()  # the original's lines come or go

    @property
    def columns(self) -> int:
        return 2 if len(self.plots) > 2 else 1

    def _make_plots(self, quantities: tuple[str, ...]) -> None:
        self.view.ci.clear()
        cols = 2 if len(quantities) > 2 else 1
        self.plots = [_TracePlot(q, self.view.ci, k // cols, k % cols) for k, q in enumerate(quantities)]
        n_rows = (len(quantities) + cols - 1) // cols
        for k, p in enumerate(self.plots):
            if k // cols == n_rows - 1 or k + cols >= len(self.plots):
                p.plot.setLabel("bottom", translate("Panels", "step"))
            else:
                p.plot.getAxis("bottom").setStyle(showValues=False)
            p.plot.vb.sigRangeChangedManually.connect(self._synced_by_sender)
            p.plot.vb.sigResized.connect(self._fit_axes)  # after the plot's own YFit: new ticks, new widths
            self.even_rows.watch(p.plot)
        self._style_plots()  # the caller (rebuild) draws the lines next: not here as well

    @guarded
    def _synced_by_sender(self, *_args) -> None:
        # a bound method, not a lambda holding self: PySide keeps bound slots weakly, so a
        # panel dropped by Python is not kept alive (then destroyed mid-teardown) by its own plots
        self._sync_x(self.sender())

    def _sync_x(self, source) -> None:
        x0, x1 = source.viewRange()[0]
        for p in self.plots:
            if p.plot.vb is not source:
                p.plot.setXRange(x0, x1, padding=0)

    # ---- layout -----------------------------------------------------------------------
    def _axis_width(self) -> int:
        """One left-axis width for every plot (the columns line up), wide enough for every label."""
        if not self.plots:
            return 0
        return max(axis_width_for(p.plot.getAxis("left"), p.y.labels() or ["−0.5"]) for p in self.plots)

    @guarded
    def _fit_axes(self, *_args) -> None:
        width = self._axis_width()
        for p in self.plots:
            axis = p.plot.getAxis("left")
            if axis.width() != width:
                axis.setWidth(width)
        self._fit_titles()

    def _title_variants(self, quantity: str) -> list[str]:
        theme = self.state.theme
        info = display_info(quantity, theme)
        span = f"<span style='color:{theme.foreground}; font-size:{theme.font_pt + 1}pt'>"
        return [title_html(quantity, theme), f"{span}<b>{info.symbol}</b>&nbsp; {info.name}</span>",
                f"{span}<b>{info.symbol}</b></span>"]

    def _fit_titles(self) -> None:
        """Each title as long as its column allows, in a row as tall as its line."""
        if not self.plots:
            return
        left, _top, right, _bottom = self.view.ci.layout.getContentsMargins()
        inner = self.view.width() - left - right - SPACING * (self.columns - 1)
        room = inner / self.columns - self._axis_width() - 4
        variants = [(p.plot, self._title_variants(p.quantity)) for p in self.plots]
        fit_title_row_at_shared_detail(variants, room)
        relayout(self.view)

    @guarded
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_titles()

    def readable_size(self) -> QSize:
        """Every plot at least MIN_VIEW_LINES tick labels tall (three round ticks) and MIN_PLOT_EMS
        wide, with its title's line, the last row's step axis and the legend's line."""
        theme = self.state.theme
        n = len(self.plots) or 6
        cols = 2 if n > 2 else 1
        rows = (n + cols - 1) // cols
        probe = self.plots[-1].plot if self.plots else None
        line = label_px(probe.getAxis("left")) if probe else theme.font_pt * 96 / 72 * 1.2
        title = (theme.font_pt + 1) * 96 / 72 * 1.25 + 2
        axis_w = self._axis_width() or 4 * line
        width = cols * (axis_w + MIN_PLOT_EMS * line) + SPACING * (cols - 1) + 2 * 9 + theme.font_pt * 1.6
        bottom = bottom_axis_height(probe.getAxis("bottom")) if probe else 2.5 * line
        legend = self.legend.heightForWidth(int(np.ceil(width))) if self.legend.text() else 2 * line
        height = legend + rows * (title + MIN_VIEW_LINES * line) + SPACING * (rows - 1) + bottom + 2 * 9
        return QSize(int(np.ceil(width)), int(np.ceil(height)))

    # ---- hooks ----------------------------------------------------------------------
    def rebuild(self) -> None:
        trace = self.state.trace
        if trace is None:
            return
        quantities = tuple(trace.quantities)
        self.length = trace.length
        if tuple(p.quantity for p in self.plots) != quantities:
            self._make_plots(quantities)
        self._convention = self.state.theme.gru_convention
        for p in self.plots:
            p.data = self.state.displayed(p.quantity)
            tip = tooltip(p.quantity, trace.cell, self._convention)
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
        # the pinned units' columns: gathered by the trace job (view_products), else here once
        products = products_for(self.state.trace)
        layer, direction, convention = self.state.layer, self.state.direction, self.state.theme.gru_convention
        width = self.state.theme.line_width
        compare = comparing(self.state)
        for p in self.plots:
            p.data = self.state.displayed(p.quantity)  # a GRU's z as the theme's convention shows it
            was = original_displayed(self.state, p.quantity) if compare else None  # (T, units)
            if p.shown_data is not p.data:  # another layer, direction or trace: every line is redrawn
                p.shown, p.shown_data = set(), p.data
            for u in list(p.lines):
                if u not in pinned:  # kept hidden for the next pinned unit: no items removed and made
                    items = (p.lines.pop(u), p.dots.pop(u), p.originals.pop(u))
                    for item in items:
                        item.setVisible(False)
                    p.spare.append(items)
            size = 7 + 3 * self.state.theme.presentation
            for u in pinned:
                if u not in p.lines and p.spare:
                    p.lines[u], p.dots[u], p.originals[u] = p.spare.pop()
                    p.lines[u].setVisible(True)
                    p.dots[u].setVisible(True)
                elif u not in p.lines:
                    p.lines[u] = p.plot.plot()
                    # one marker item per unit with its own style: a step only moves it
                    p.dots[u] = StepMarker()
                    p.dots[u].setZValue(10)
                    p.plot.addItem(p.dots[u])
                    p.originals[u] = p.plot.plot()
                    p.originals[u].setZValue(-1)  # behind every unit's intervened line
                if was is not None:
                    p.originals[u].setData(steps, np.ascontiguousarray(was[:, u], dtype=np.float32))
                    cache_static(p.originals[u], self.length)
                    p.originals[u].setPen(original_pen(self.state.pin_colour(u), self.state.theme))
                elif p.originals[u].isVisible():
                    p.originals[u].setData([], [])
                p.originals[u].setVisible(was is not None)
                if u not in p.shown:  # a line already showing this column keeps its data
                    p.lines[u].setData(steps, products.column(layer, direction, p.quantity, convention, u, p.data))
                    # a line lives on across traces: its drawing mode follows this trace's length
                    # (a line made for 50 steps and kept for 100k would stroke one slow path)
                    cache_static(p.lines[u], self.length)
                    p.shown.add(u)
                p.lines[u].setPen(pg.mkPen(self.state.pin_colour(u), width=width))
                p.dots[u].setBrush(pg.mkBrush(self.state.pin_colour(u)))
                p.dots[u].setPen(pg.mkPen(self.state.theme.foreground, width=1))
                p.dots[u].set_size(size)
            p.shown.intersection_update(pinned)  # an unpinned unit's line went to the spares
            if QUANTITY_INFO[p.quantity].kind != "cell":  # a fixed range: no pass over the pinned columns
                levels = levels_for(p.quantity)
            else:
                shown = p.data[:, pinned] if pinned else None
                if shown is not None and was is not None:  # an unbounded c's range holds the original's too
                    shown = np.concatenate([shown, was[:, pinned]])
                levels = levels_for(p.quantity, shown)
            p.y.set_range(*levels)
            self._shade_nan(p, pinned, levels)
            self._shade_masked(p, levels)
            p.boundary.update_for(self.state.trace)
        self._fit_axes()
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
                y = float(p.data[step, u])
                finite = bool(np.isfinite(y))
                if dot.isVisible() != finite:
                    dot.setVisible(finite)  # no marker at NaN (the curve has a gap there)
                if finite:
                    dot.setPos(x, y)

    def apply_theme(self) -> None:
        self._style_plots()
        if self.state.trace is not None and self.plots:
            if getattr(self, "_convention", None) != self.state.theme.gru_convention:
                self.rebuild()  # a GRU's z and the tooltips follow the convention
            else:
                self.on_selection()

    def _style_plots(self) -> None:
        """The theme's colours, fonts and pens on every plot; the lines are left as they are."""
        theme = self.state.theme
        self.view.setBackground(theme.background)
        self.setStyleSheet(f"TracesPanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        # room at the right for the last x label, which is centred on the plot's right edge
        self.view.ci.setContentsMargins(9, 4, int(theme.font_pt * 1.6), 4)
        for p in self.plots:
            style_plot(p.plot, theme)
            bottom = p.plot.getAxis("bottom")
            size_bottom_axis(bottom, theme)
            # the x range starts half a step left of 0: let the "0" label reach past the axis's left
            # end instead of being hidden (pyqtgraph hides labels that overhang by default)
            bottom.setStyle(hideOverlappingLabels=int(theme.font_pt))
            p.y.refit()  # the tick font changed: new label height, new tick count
            p.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
            p.zero.setPen(pg.mkPen(muted(theme), width=0.8, style=pg.QtCore.Qt.PenStyle.DashLine))
            p.zero.setVisible(p.quantity not in SIGMOID)
            p.plot.showGrid(x=False, y=True, alpha=0.15)
        self._fit_axes()

    def _shade_nan(self, p: _TracePlot, pinned: list[int], levels: tuple[float, float]) -> None:
        """Shade the steps at which a pinned unit is NaN, over the plot's value range."""
        # holds_nan: the float array's remembered max, no pass over it when it has no NaN
        nan = np.isnan(p.data[:, pinned]).any(axis=1) if pinned and holds_nan(p.data) else None
        if nan is None or not nan.any():
            p.nan_band.setVisible(False)
            return
        colour = QColor(NAN_COLOUR)
        rgba = np.zeros((1, len(nan), 4), dtype=np.uint8)
        rgba[0, nan] = (colour.red(), colour.green(), colour.blue(), 70)
        p.nan_band.setImage(rgba, autoLevels=False)
        lo, hi = levels
        p.nan_band.setRect(QRectF(-0.5, lo, len(nan), hi - lo))
        p.nan_band.setVisible(True)

    def _shade_masked(self, p: _TracePlot, levels: tuple[float, float]) -> None:
        """Grey bands over the steps a Keras mask skips, over the plot's value range."""
        runs = masked_runs(self.state.trace)
        if not runs:
            p.mask_band.setVisible(False)
            return
        c = MASKED_GREY
        rgba = np.zeros((1, self.length, 4), dtype=np.uint8)  # (1, T, RGBA): one column per step
        for first, n in runs:
            rgba[0, first:first + n] = (c.red(), c.green(), c.blue(), 110)
        p.mask_band.setImage(rgba, autoLevels=False)
        lo, hi = levels
        p.mask_band.setRect(QRectF(-0.5, lo, self.length, hi - lo))
        p.mask_band.setVisible(True)

    def _update_legend(self, pinned: list[int]) -> None:
        theme = self.state.theme
        unit = translate("Traces", "unit {unit}")
        entries = [f"<span style='color:{self.state.pin_colour(u)}'>&#9473;&#9473;</span>&nbsp;" + unit.format(unit=u)
                   for u in pinned]
        if any(p.nan_band.isVisible() for p in self.plots):
            entries.append(f"<span style='color:{NAN_COLOUR}'>&#9608;</span>&nbsp;" + translate("Traces", "NaN (no line)"))
        if comparing(self.state):
            entries.append(f"<span style='color:{muted(theme)}'>┅┅ "
                           + translate("Traces", "faint dashed: the original run, without the interventions")
                           + "</span>")
        where = translate("Traces", "layer {layer}, {direction}").format(
            layer=self.state.layer, direction=direction_name(self.state.direction))
        pinned_word = translate("Traces", "pinned:")
        self.legend.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{pinned_word} "
                            + " &nbsp; ".join(entries)
                            + f" &nbsp; <span style='color:{muted(theme)}'>({where})</span></span>")
        self.legend_units = list(pinned)
