"""Gate heatmaps: one units x time image per gate and state of the chosen layer and direction.

Items are created once per cell kind and updated in place (``setImage``); the time cursor is an
``InfiniteLine`` that moves on stepChanged, so playback never re-uploads an image. Long traces
are reduced for display by block means (``analysis.downsample_time``); the image keeps step
coordinates (``setRect``), so cursors, clicks and tooltips stay in steps.

Interventions (issue 13): with ``state.show_difference`` and an original run, every row shows
intervened − original on the diverging map, centred on 0 with symmetric levels, and its title says
"Δ (intervened − original)".
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QVBoxLayout

from gateviz.core.analysis import downsample_time
from gateviz.core.view_products import MAX_COLUMNS, nonfinite_counts, products_for

from gateviz.ui.guard import guarded

from .common import (DIVERGING_MAP, NAN_COLOUR, EncoderBoundary, Panel, TimeCursor, colormap_for, muted,
                     nan_note, per_unit_scaled, style_axis, style_plot, tick_font, title_font, title_html, tooltip,
                     translate)
from .indexed_image import IndexedImageItem
from .masking import MASKED_GREY, masked_runs
from .overlay import original_displayed, showing_difference, symmetric_levels
from .plot_fit import EvenRows, fit_title_row, set_axis_ticks



def _nice_step(n: int, ticks: int = 6) -> int:
    return _nice_step_at_least(n / ticks)


def _nice_step_at_least(raw: float) -> int:
    """The smallest round step (1, 2, 5 x 10^k) that is at least ``raw``."""
    raw = max(1.0, raw)
    base = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * base >= raw:
            return int(m * base)
    return int(10 * base)


class _HeatRow:
    """The items of one heatmap: plot, image, colour bar, cursor (with a halo), pin markers."""

    def __init__(self, quantity: str, layout: pg.GraphicsLayout, row: int):
        self.quantity = quantity
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=0, enableMenu=False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.disableAutoRange()
        self.plot.invertY(True)  # unit rows from the top
        self.plot.setLabel("left", translate("Panels", "unit"))
        self.plot.getAxis("left").setWidth(44)
        self.image = IndexedImageItem(axisOrder="row-major")
        # pyqtgraph draws NaN pixels transparent: this rectangle under the image shows them in the NaN colour
        self.nan_back = QGraphicsRectItem()
        self.nan_back.setPen(pg.mkPen(None))
        self.nan_back.setBrush(QBrush(QColor(NAN_COLOUR)))
        self.nan_back.setZValue(-1)
        self.nan_back.setVisible(False)
        self.plot.addItem(self.nan_back)
        self.plot.addItem(self.image)
        self.masked = QGraphicsPathItem()  # translucent grey over masked steps' columns
        self.masked.setPen(pg.mkPen(None))
        self.masked.setBrush(QBrush(MASKED_GREY))
        self.plot.addItem(self.masked)
        self.boundary = EncoderBoundary(labelled=row == 0)  # a decoder traced with its encoder
        self.plot.addItem(self.boundary)
        self.cursor_halo = TimeCursor()
        self.cursor = TimeCursor()
        self.plot.addItem(self.cursor_halo)
        self.plot.addItem(self.cursor)
        self.pins = pg.ScatterPlotItem(symbol="t2", pxMode=True)
        self.plot.addItem(self.pins)
        self.bar = pg.ColorBarItem(values=(0, 1), width=14, interactive=False, colorMapMenu=False)
        self.bar.setImageItem(self.image)
        layout.addItem(self.bar, row=row, col=1)
        self.data: np.ndarray | None = None  # (T, units) full resolution, for tooltips
        self.levels = (0.0, 1.0)
        self.unit_limits: np.ndarray | None = None  # (units,) when each row is shown against its own max |value|
        self.nan_counts = (0, 0)  # (NaN, ±inf) values in data
        self.nan_note = ""  # the title's explanation of the NaN colour ("■ NaN: 1568 values")
        self.difference = False  # the image shows intervened − original (interventions)


class HeatmapPanel(Panel):
    panel_id = "heatmaps"
    title = "Gate heatmaps"

    def description(self) -> str:
        return translate("Heatmaps", "Units × time for every gate and state of the chosen layer and direction. "
                         "Click a row to pin that unit; hover for its value.")

    # ---- construction ---------------------------------------------------------------
    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.even_rows = EvenRows(self.view)  # every image as tall as the last one (above the step axis)
        self.view.ci.setSpacing(4)
        layout.addWidget(self.view)
        self.rows: list[_HeatRow] = []
        self.order = np.arange(0)  # display row -> unit
        self.length = 0
        self._cache: dict[tuple, tuple[np.ndarray, int]] = {}  # (id(trace), layer, dir, q) -> (disp (C, U), block)
        self._cache_trace = None
        self._shown = None  # (trace id, layer, direction, row order) the images show
        self._shown_cell_scale = None  # the theme's cell_scale the images were made with
        self.view.scene().sigMouseClicked.connect(self._clicked)
        self.view.scene().sigMouseMoved.connect(self._hovered)
        self.state.comparisonChanged.connect(self._comparison_changed)

    @guarded
    def _comparison_changed(self) -> None:
        if self.state.trace is not None and any(r.difference != showing_difference(self.state) for r in self.rows):
            self.rebuild()  # the images switch between the run and its difference to the original
            self.apply_theme()  # their colour maps and titles

    def _row_title(self, row: _HeatRow, theme) -> str:
        """The row's title: the quantity, and "Δ (intervened − original)" when it shows the difference."""
        if row.difference:
            info = title_html(row.quantity, theme).split("</span>")[0] + "</span>"  # symbol and name, no range
            delta = translate("Heatmaps", "Δ (intervened − original)")
            zero = translate("Heatmaps", "0 = unchanged")
            return (f"{info} <span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>"
                    f"&nbsp;<b>{delta}</b></span>"
                    f"<span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'>&nbsp; {zero}</span>"
                    + row.nan_note)
        return title_html(row.quantity, theme, per_unit_scaled(row.quantity, theme)) + row.nan_note

    def _make_rows(self, quantities: tuple[str, ...]) -> None:
        self.view.ci.clear()
        self.rows = [_HeatRow(q, self.view.ci, r) for r, q in enumerate(quantities)]
        for row in self.rows:
            self.even_rows.watch(row.plot)
        for row in self.rows:  # zoom/pan in time together (by value, not pixel-linked like setXLink)
            row.plot.vb.sigRangeChangedManually.connect(self._synced_by_sender)
            row.plot.vb.sigResized.connect(self._resized_by_sender)
        for row in self.rows[:-1]:
            row.plot.getAxis("bottom").setStyle(showValues=False)
        self.rows[-1].plot.setLabel("bottom", translate("Panels", "step"))
        self.apply_theme()

    # ---- hooks ------------------------------------------------------------------------
    def rebuild(self) -> None:
        state, trace = self.state, self.state.trace
        if trace is None:
            return
        if self._cache_trace is not trace:
            self._cache.clear()
            self._cache_trace = trace
        quantities = tuple(trace.quantities)
        if tuple(r.quantity for r in self.rows) != quantities:
            self._make_rows(quantities)
        T = trace.length
        self.length = T
        units = trace.units(state.layer)
        order = state.row_order if state.row_order is not None and len(state.row_order) == units else None
        self.order = np.arange(units) if order is None else np.asarray(order, dtype=int)
        margin = T * 0.015  # room left of the image for the pin markers
        difference = showing_difference(state)
        products = products_for(trace)  # precomputed by the trace job (view_products); else made here once
        for row in self.rows:
            data = state.displayed(row.quantity)  # (T, units); a GRU's z as the theme's convention shows it
            row.data = data
            was_difference, row.difference = row.difference, difference
            row.unit_limits = None
            indices = None  # the image's colour-table entries, made by the trace job
            if difference:  # (T, units) intervened − original, as displayed (a textbook z: (1 − z) − (1 − z'))
                data = data - original_displayed(state, row.quantity)
                row.data = data
                img, has_nan, counts, labels = self._difference_image(row, data, order)
            else:
                heat = products.heat(state.layer, state.direction, row.quantity, state.theme.gru_convention,
                                     per_unit_scaled(row.quantity, state.theme), data)
                row.levels, row.unit_limits, has_nan, counts = heat.levels, heat.unit_limits, heat.has_nan, heat.counts
                labels = (("−max", "0", "+max") if heat.unit_limits is not None else
                          tuple(f"{v:g}" for v in (row.levels[0], sum(row.levels) / 2, row.levels[1])))
                img = heat.image if order is None else heat.image[self.order]  # (units, C) rows in display order
                indices = heat.indices if order is None or heat.indices is None else heat.indices[self.order]
            row.nan_counts = counts
            row.image.set_indexed_image(img, indices, row.levels)
            row.image.setRect(QRectF(-0.5, 0, T, units))  # step t's column is centred on x = t
            row.nan_back.setRect(QRectF(-0.5, 0, T, units))
            row.nan_back.setVisible(has_nan)
            path = QPainterPath()
            for first, n in masked_runs(trace):
                path.addRect(QRectF(first - 0.5, 0, n, units))
            row.masked.setPath(path)
            row.boundary.update_for(trace)
            note = nan_note(data, state.theme, counts)
            if note != row.nan_note or was_difference != difference:
                row.nan_note = note
                fit_title_row(row.plot, self._row_title(row, state.theme))
            if was_difference != difference:
                row.bar.setColorMap(pg.colormap.get(DIVERGING_MAP) if difference else
                                    colormap_for(row.quantity, state.theme))
            if tuple(row.bar.levels()) != tuple(row.levels):  # unchanged: the bar's axis keeps its drawing
                row.bar.setLevels(values=row.levels)
            row.bar_labels = labels
            # limits first: a view box clamps every new range to its current limits, so setting the
            # range before them kept the previous model's (e.g. 16 units x 37 steps of a 128 x 209 trace)
            row.plot.setLimits(xMin=-0.5 - margin, xMax=T - 0.5, yMin=0, yMax=units)
            row.plot.setXRange(-0.5 - margin, T - 0.5, padding=0)
            row.plot.setYRange(0, units, padding=0)
            self._size_unit_axis(row)
            self._fit_ticks(row)
            tip = tooltip(row.quantity, trace.cell, state.theme.gru_convention)
            row.plot.setToolTip(tip)
            row.image.setToolTip(tip)
        self._shown = (id(trace), state.layer, state.direction,
                       None if order is None else np.array(order, copy=True))
        self._shown_cell_scale = (state.theme.cell_scale, state.theme.gru_convention)
        self._update_pins()
        self.on_step(state.step)

    def _difference_image(self, row: _HeatRow, data: np.ndarray, order):
        """The image of intervened − original (``data``, (T, units)) on the diverging map, centred on 0:
        (image (units, C) in display order, has NaN, (NaN, inf) counts, the colour bar's labels)."""
        key = (self.state.layer, self.state.direction, row.quantity, self.state.theme.gru_convention,
               id(self.state.original))
        if key not in self._cache:
            self._cache[key] = downsample_time(data, MAX_COLUMNS)
        disp, _ = self._cache[key]  # (C, units)
        row.levels = symmetric_levels(data)
        img = disp.T if order is None else disp[:, self.order].T
        img = np.ascontiguousarray(img, dtype=np.float32)
        has_nan = bool(np.isnan(img).any())
        if np.isinf(img).any():
            img = np.clip(img, row.levels[0], row.levels[1])  # NaN stays NaN
        return img, has_nan, nonfinite_counts(data), (f"−{row.levels[1]:g}", "0", f"+{row.levels[1]:g}")

    def on_step(self, step: int) -> None:
        for row in self.rows:
            row.cursor_halo.setValue(step)
            row.cursor.setValue(step)

    def on_selection(self) -> None:
        state = self.state
        if state.trace is None:
            return
        order = state.row_order
        same_rows = (self._shown is not None and self._shown[:3] == (id(state.trace), state.layer, state.direction)
                     and ((order is None and self._shown[3] is None) or
                          (order is not None and self._shown[3] is not None and np.array_equal(order, self._shown[3]))))
        if same_rows:  # only the pinned units changed: move the markers, keep the images
            self._update_pins()
        else:
            self.rebuild()

    def apply_theme(self) -> None:
        theme = self.state.theme
        if self._shown is not None and self._shown_cell_scale != (theme.cell_scale, theme.gru_convention):
            self.rebuild()  # an image itself changes (c: shared or per-unit range; a GRU's z: 1 − z)
        self.view.setBackground(theme.background)
        dark_halo = theme.name == "light"
        for row in self.rows:
            style_plot(row.plot, theme)
            style_axis(row.bar.axis, theme)
            self._size_unit_axis(row)
            row.bar.setColorMap(pg.colormap.get(DIVERGING_MAP) if row.difference else colormap_for(row.quantity, theme))
            note = nan_note(row.data, theme, row.nan_counts) if row.nan_note else ""  # its colours follow the theme
            row.nan_note = note
            fit_title_row(row.plot, self._row_title(row, theme))
            w = theme.line_width
            row.cursor_halo.setPen(pg.mkPen("#000000" if dark_halo else "#ffffff", width=w + 2.5))
            row.cursor.setPen(pg.mkPen("#ffffff" if dark_halo else "#000000", width=w))
        self._update_pins()

    @guarded
    def _synced_by_sender(self, *_args) -> None:
        # a bound method, not a lambda holding self: PySide keeps bound slots weakly, so a
        # panel dropped by Python is not kept alive (then destroyed mid-teardown) by its own plots
        self._sync_x(self.sender())

    def _sync_x(self, source) -> None:
        x0, x1 = source.viewRange()[0]
        for row in self.rows:
            if row.plot.vb is not source:
                row.plot.setXRange(x0, x1, padding=0)

    # ---- pins, ticks ----------------------------------------------------------------
    def _row_of_unit(self) -> dict[int, int]:
        return {int(u): r for r, u in enumerate(self.order)}

    def _update_pins(self) -> None:
        if not self.rows or self.state.trace is None:
            return
        where = self._row_of_unit()
        pinned = [u for u in self.state.pinned if u in where]
        x = -0.5 - self.length * 0.015 / 2
        size = 9 + 3 * self.state.theme.presentation
        spots = [dict(pos=(x, where[u] + 0.5), brush=pg.mkBrush(self.state.pin_colour(u)),
                      pen=pg.mkPen(self.state.theme.foreground, width=0.8), size=size) for u in pinned]
        for row in self.rows:
            row.pins.setData(spots)

    # ---- what fits: ticks by pixel room, the panel's readable size ------------------------
    def _line_px(self) -> float:
        """The height of one line of tick text in logical pixels."""
        return QFontMetricsF(tick_font(self.state.theme)).height()

    @guarded
    def _resized_by_sender(self, *_args) -> None:
        vb = self.sender()
        for row in self.rows:
            if row.plot.vb is vb:
                self._fit_ticks(row)

    @guarded
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._overhead_theme = self.state.theme  # the overhead measured from now on belongs to this theme

    _overhead_theme = None

    def _size_unit_axis(self, row: _HeatRow) -> None:
        """The unit axis as wide as its widest number and its rotated "unit" title need, so the two
        never print over each other (three-digit units in presentation fonts did)."""
        widest = str(max(len(self.order) - 1, 0))
        numbers = QFontMetricsF(tick_font(self.state.theme)).horizontalAdvance("8" * len(widest))
        axis = row.plot.getAxis("left")
        title = axis.label.boundingRect().height() * 0.8 if axis.label.isVisible() else 0.0
        width = int(numbers + title + max(0, axis.style["tickLength"]) + axis.style["tickTextOffset"][0] + 6)
        if axis.fixedWidth != width:  # the same width again: the axis keeps its drawing
            axis.setWidth(width)

    def _align_bar(self, row: _HeatRow) -> None:
        """Line the colour bar up with the image: skip the plot's title above and its axis below."""
        plot_rect = row.plot.geometry()
        image_rect = row.plot.vb.geometry()  # in the plot's coordinates
        if plot_rect.height() <= 0 or image_rect.height() <= 0:
            return
        top = int(round(image_rect.top()))
        bottom = int(round(plot_rect.height() - image_rect.bottom()))
        _left, old_top, _right, old_bottom = row.bar.layout.getContentsMargins()
        if (old_top, old_bottom) != (top, bottom):
            row.bar.layout.setContentsMargins(0, top, 0, bottom)

    def _fit_ticks(self, row: _HeatRow) -> None:
        """As many unit ticks and colour-bar labels as the plot's height holds without overlap."""
        units = len(self.order)
        if not units:
            return
        self._align_bar(row)
        height = max(1.0, row.plot.vb.height())
        slots = max(1, int(height // (1.25 * self._line_px())))  # labels that fit one above the other
        step = max(_nice_step(units), _nice_step_at_least(units / slots)) if units > 1 else 1
        shown = list(range(0, units, step))
        if len(shown) > slots:
            shown = shown[:slots]
        set_axis_ticks(row.plot.getAxis("left"), [[(r + 0.5, str(int(self.order[r]))) for r in shown], []])
        lo, hi = row.levels
        labels = getattr(row, "bar_labels", None) or tuple(f"{v:g}" for v in (lo, (lo + hi) / 2, hi))
        values = ((lo, labels[0]), ((lo + hi) / 2, labels[1]), (hi, labels[2]))
        if slots < 3:
            values = (values[0], values[2])  # the ends say the range; the middle would collide
        shown = list(values) if slots >= 2 else []
        set_axis_ticks(row.bar.axis, [shown, []])
        # room for "−88.8" or the widest label if longer: pyqtgraph drops a label wider than its axis
        # ("−81.5" in 16 pt), and one width for most ranges keeps the images of every row where they were
        fm = QFontMetricsF(tick_font(self.state.theme))
        widest = max([fm.horizontalAdvance("−88.8")] + [fm.horizontalAdvance(t) for _, t in shown])
        axis = row.bar.axis
        width = int(widest + max(0, axis.style["tickLength"]) + axis.style["tickTextOffset"][0] + 4)
        if axis.width() != width:
            axis.setWidth(width)

    def min_plot_height(self) -> float:
        """A heatmap row's plot shows at least two unit ticks (and the colour bar its two ends)."""
        return max(36.0, 2 * 1.25 * self._line_px())  # two labels with _fit_ticks' spacing

    def readable_size(self) -> QSize:
        """Every heatmap row keeps its title and a plot ``min_plot_height`` tall; the step axis below."""
        theme = self.state.theme
        line = self._line_px()
        rows = len(self.rows) or 6
        plots = [row.plot.vb.height() for row in self.rows]
        if self.rows and self.height() > 0 and min(plots) > 0 and self._overhead_theme == theme:
            # what each row's title and axes take besides its image, and the spacing between rows,
            # measured in the current layout (it depends on the fonts, not on the panel's height)
            layout = self.view.ci.layout
            _, top, _, bottom = layout.getContentsMargins()
            overhead = (sum(row.plot.geometry().height() - row.plot.vb.height() for row in self.rows)
                        + layout.verticalSpacing() * (rows - 1) + top + bottom
                        + self.height() - self.view.viewport().height())
        else:  # not laid out in this theme yet: an estimate from the fonts
            title = QFontMetricsF(title_font(theme)).height() + 10
            overhead = rows * (title + 6) + 2 * line + 16
        height = overhead + rows * self.min_plot_height()
        width = int(24 + 2.4 * theme.font_pt) + 12 * line + 14 + 3 * line  # unit axis, image, bar and labels
        return QSize(int(width), int(height))

    # ---- mouse ------------------------------------------------------------------------
    def _row_at(self, scene_pos):
        for row in self.rows:
            if row.plot.vb.sceneBoundingRect().contains(scene_pos):
                p = row.plot.vb.mapSceneToView(scene_pos)
                r, t = int(math.floor(p.y())), int(math.floor(p.x() + 0.5))
                if 0 <= r < len(self.order):
                    return row, r, t
        return None

    def unit_at_row(self, r: int) -> int:
        return int(self.order[r])

    @guarded
    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.state.trace is None:
            return
        hit = self._row_at(ev.scenePos())
        if hit is not None:
            ev.accept()
            self.state.toggle_pin(self.unit_at_row(hit[1]))

    @guarded
    def _hovered(self, scene_pos) -> None:
        hit = self._row_at(scene_pos)
        if hit is None or hit[0].data is None:
            return
        row, r, t = hit
        unit = self.unit_at_row(r)
        t = min(max(t, 0), self.length - 1)
        value = float(row.data[t, unit])
        shown = f"{value:.3f}" if math.isfinite(value) else "NaN" if math.isnan(value) else f"{value:+}"
        scale = "" if row.unit_limits is None else translate("Heatmaps", "   (this unit's max |c| is {m})").format(
            m=f"{float(row.unit_limits[unit]):.3g}")
        if row.difference:
            shown = (translate("Heatmaps", "Δ = {d} (intervened − original)").format(d=f"{value:+.3f}")
                     if math.isfinite(value) else f"Δ = {shown}")
        where = translate("Heatmaps", "unit {unit}, step {step}: {value}{scale}   (click to pin)").format(
            unit=unit, step=t, value=shown, scale=scale)
        row.plot.vb.setToolTip(f"{tooltip(row.quantity, self.state.trace.cell, self.state.theme.gru_convention)}\n{where}")
