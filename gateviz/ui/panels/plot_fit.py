"""Fitting small pyqtgraph plots to their room: round ticks as many as a plot's size holds, a y
range with room for the end labels, axes as wide as their labels, titles that fit their column.

Shared by the input/output views, the unit traces and the saturation scatter, so that a plot
keeps readable labels at any size from a panel's readable size up, in normal and
presentation fonts.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont, QFontMetricsF, QTextDocument
from PySide6.QtWidgets import QGraphicsLayout

from gateviz.ui.guard import guarded

# round steps, nicest first: 1, 2, 5 of a power of ten, then 2.5 and 4 (0, 0.25, ..., 1; 0, 4, 8)
_MANTISSAS = (1.0, 2.0, 5.0, 2.5, 4.0)
TICK_GAP = 1.4  # y tick labels at least this many label heights apart, centre to centre
UNBOUNDED = 16777215  # Qt's QWIDGETSIZE_MAX: no maximum
MIN_VIEW_LINES = 4.0  # a usable plot is at least this many tick-label heights tall (three ticks fit)


def nice_ticks(lo: float, hi: float, max_ticks: int = 3, integer: bool = False) -> list[float]:
    """At most ``max_ticks`` round values from ``lo`` to ``hi``: as many as allowed, among as many
    those that land on both ends, then the roundest step (0..1 -> 0, 0.5, 1; 0..8 -> 0, 4, 8;
    0..12 -> 0, 5, 10; -1..1 in two -> -1, 1); ``integer``: whole-number steps only (a depth)."""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return [lo] if np.isfinite(lo) else []
    max_ticks = max(1, int(max_ticks))
    best, best_key = None, None
    if max_ticks >= 2 and _is_round(lo) and _is_round(hi):
        best, best_key = [lo + 0.0, hi + 0.0], (2, True, -len(_MANTISSAS))  # -1..1 in two labels: -1, 1
    top = 10.0 ** np.floor(np.log10(span))
    for scale in (top / 100, top / 10, top, top * 10):
        for rank, m in enumerate(_MANTISSAS):
            step = m * scale
            if integer and (step < 1 or step != round(step)):
                continue
            first = np.ceil(lo / step - 1e-9) * step
            values = [round(float(v), 9) + 0.0 for v in np.arange(first, hi + step * 1e-6, step)]
            if not values or len(values) > max_ticks:
                continue
            ends = abs(values[0] - lo) <= 1e-9 * span and abs(values[-1] - hi) <= 1e-9 * span
            key = (len(values), ends, -rank)
            if best_key is None or key > best_key:
                best, best_key = values, key
    return best if best is not None else [lo]


def _is_round(v: float) -> bool:
    return bool(np.isfinite(v)) and abs(round(v, 2) - v) < 1e-9


def tick_font(axis: pg.AxisItem) -> QFont:
    return axis.style["tickFont"] or QFont()


def label_px(axis: pg.AxisItem) -> float:
    """The height of one tick label in ``axis``'s font (logical pixels)."""
    return QFontMetricsF(tick_font(axis)).height()


def tick_label(v: float) -> str:
    return f"{v:g}".replace("-", "−")


def set_ticks(axis: pg.AxisItem, values: list[float]) -> None:
    """Fixed major ticks (labels without trailing zeros, a true minus sign), no minor ones."""
    set_axis_ticks(axis, [[(v, tick_label(v)) for v in values], []])


def set_axis_ticks(axis: pg.AxisItem, ticks: list) -> None:
    """``axis.setTicks(ticks)`` unless it has those ticks already: pyqtgraph drops the axis's drawing
    on every call, and a layer switch that keeps the ranges re-set them all (18 axes, ~20 ms a paint)."""
    if axis._tickLevels != ticks:
        axis.setTicks(ticks)


def set_y_ticks(plot: pg.PlotItem, values: list[float]) -> None:
    set_ticks(plot.getAxis("left"), values)


def fit_y_range(plot: pg.PlotItem, lo: float, hi: float, min_pad: float = 0.08) -> None:
    """Show ``lo``..``hi`` plus half a tick label at each end (``min_pad`` of the span at least),
    so the end ticks are drawn: pyqtgraph drops a label that pokes out of the view box.
    Depends on the view box's height in pixels: call it again when the box is resized."""
    span = hi - lo
    half = 0.5 * label_px(plot.getAxis("left"))
    view_px = plot.vb.height()
    frac = half / (view_px - 2 * half) if view_px > 4 * half else 0.25
    pad = span * max(min_pad, frac)
    plot.setYRange(lo - pad, hi + pad, padding=0)


def max_y_ticks(plot: pg.PlotItem, most: int = 5) -> int:
    """How many y tick labels the plot's height holds, TICK_GAP label heights apart (2..most)."""
    line = label_px(plot.getAxis("left"))
    return int(np.clip((plot.vb.height() - line) / (TICK_GAP * line) + 1, 2, most))


def axis_width_for(axis: pg.AxisItem, labels: list[str]) -> int:
    """A left axis wide enough for its widest tick label (and its rotated title, if any)."""
    fm = QFontMetricsF(tick_font(axis))
    width = max((fm.horizontalAdvance(t) for t in labels), default=fm.horizontalAdvance("0"))
    width += axis.style["tickTextOffset"][0] + 3  # pyqtgraph's gap to the axis line, a little air
    if axis.label.isVisible() and axis.labelText:
        width += axis.label.boundingRect().height() * 0.8  # as pyqtgraph counts a rotated title
    return int(np.ceil(width))


def size_bottom_axis(axis: pg.AxisItem, theme) -> None:
    """Room for one row of tick labels in the axis's font, end labels allowed to overhang.

    pyqtgraph grows the row only after it has drawn a label, and draws none that does not fit:
    in presentation fonts the default row (18 px) kept a bar chart without its class labels."""
    row = int(np.ceil(label_px(axis) * 0.8)) + 2
    axis.setStyle(hideOverlappingLabels=int(theme.font_pt), autoExpandTextSpace=False, tickTextHeight=row)


def bottom_axis_height(axis: pg.AxisItem) -> float:
    """The bottom axis's height: its tick row and its title, as pyqtgraph lays them out."""
    height = axis.style["tickTextHeight"] + max(0, axis.style["tickLength"]) + axis.style["tickTextOffset"][1]
    if axis.label.isVisible() and axis.labelText:
        height += axis.label.boundingRect().height() * 0.8
    return height


def title_width(plot: pg.PlotItem, html: str) -> float:
    """How wide ``html`` is as the plot's one-line title."""
    doc = QTextDocument()
    doc.setDefaultFont(plot.titleLabel.item.font())
    doc.setDocumentMargin(1)
    doc.setHtml(html)
    return doc.idealWidth()


def shared_detail(plots_variants: list[tuple[pg.PlotItem, list[str]]], room: float) -> int:
    """The most detailed variant index at which every plot's title fits ``room`` (a row of titles
    at one level of detail, not "i  input gate  σ ∈ [0, 1]" beside a bare "f  forget gate")."""
    levels = min((len(v) for _, v in plots_variants), default=1)
    for level in range(levels):
        if all(title_width(plot, variants[level]) <= room for plot, variants in plots_variants):
            return level
    return levels - 1


def fit_title_row_at_shared_detail(plots_variants: list[tuple[pg.PlotItem, list[str]]], room: float) -> None:
    """Every plot's title at the one level of detail at which all fit ``room`` (``shared_detail``),
    each in a row as tall as its line (``fit_title_row``)."""
    level = shared_detail(plots_variants, room)
    for plot, titles in plots_variants:
        fit_title_row(plot, titles[level:], room)


def fit_title_row(plot: pg.PlotItem, text_html: str | list[str], room: float | None = None) -> None:
    """The plot's title, in a row as tall as its one line (pyqtgraph's is a fixed 30 px).

    ``text_html``: the title, or its variants from longest to shortest; the first that fits
    ``room`` pixels is shown (a short column shows "i" instead of "i  input gate  σ ∈ [0, 1]")."""
    variants = [text_html] if isinstance(text_html, str) else list(text_html)
    label = plot.titleLabel
    label.item.document().setDocumentMargin(1)  # Qt's 4 px above and below cost a plot 6 px a row
    for variant in variants:
        plot.setTitle(variant)
        label.item.setTextWidth(-1)
        if room is None or label.item.boundingRect().width() <= room:
            break
    height = int(np.ceil(label.item.boundingRect().height())) + 2
    plot.layout.setRowFixedHeight(0, height)
    label.setMaximumHeight(height)
    label.setMinimumWidth(0)  # a long title must not widen the plot past its column
    label.item.update()  # a cached title (cache_static_items) is redrawn


def relayout(view: pg.GraphicsView) -> None:
    """Lay the view's central item out again at the view's size. Call it after re-fitting titles on
    a resize: Qt resizes the view before its panel's resizeEvent re-wraps them, so a title wrapped
    for the old, wider panel had held the plots wider than the new one."""
    central = view.centralWidget
    # the plots' layouts and the central item's (pyqtgraph names them ``layout``) cache old minimum sizes
    layouts = [getattr(item, "layout", None) for item in [*getattr(central, "items", {}), central]]
    layouts = [layout for layout in layouts if isinstance(layout, QGraphicsLayout)]
    for layout in layouts:
        layout.invalidate()
    pg.GraphicsView.resizeEvent(view, None)
    for layout in reversed(layouts):  # now, not at the next event-loop pass: an export draws right away
        layout.activate()


class YFit(QObject):
    """Keeps a plot's y range at ``lo``..``hi`` with room for the end labels and round ticks as
    many as its height holds, re-fitted whenever the plot is resized or its font changes."""

    def __init__(self, plot: pg.PlotItem, min_pad: float = 0.08, most: int = 5):
        super().__init__(plot.vb)  # lives and dies with the view box
        self.plot, self.min_pad, self.most = plot, min_pad, most
        self.lo, self.hi = 0.0, 1.0
        self.integer = False
        self.ticks: list[float] = []
        plot.vb.sigResized.connect(self.refit)

    def set_range(self, lo: float, hi: float, integer: bool = False) -> None:
        """Show ``lo``..``hi``; ``integer``: ticks on whole numbers only."""
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            lo, hi = (lo - 1, lo + 1) if np.isfinite(lo) else (-1.0, 1.0)
        self.lo, self.hi, self.integer = float(lo), float(hi), integer
        self.refit()

    @guarded
    def refit(self, *_args) -> None:
        fit_y_range(self.plot, self.lo, self.hi, self.min_pad)
        lo, hi = (float(np.ceil(self.lo)), float(np.floor(self.hi))) if self.integer else (self.lo, self.hi)
        y0, y1 = self.plot.vb.viewRange()[1]
        px = self.plot.vb.height() / max(y1 - y0, 1e-12)  # pixels per unit
        line = label_px(self.plot.getAxis("left"))
        for most in range(max_y_ticks(self.plot, self.most), 0, -1):
            self.ticks = nice_ticks(lo, hi, most, integer=self.integer)
            # ticks that cover part of the range stand closer: fewer until no two labels touch
            if len(self.ticks) < 2 or min(np.diff(self.ticks)) * px >= 1.15 * line:
                break
        set_y_ticks(self.plot, self.ticks)

    def labels(self) -> list[str]:
        return [tick_label(v) for v in self.ticks]


def y_fit(plot: pg.PlotItem, min_pad: float = 0.08, most: int = 5) -> YFit:
    """The plot's YFit, created on first use."""
    fit = getattr(plot, "gateviz_y_fit", None)
    if fit is None:
        fit = plot.gateviz_y_fit = YFit(plot, min_pad, most)
    return fit


class EvenRows(QObject):
    """Gives the plot rows of a GraphicsLayout view boxes of one height, whatever each row's title
    and axes take (Qt's own share left the rows without a step axis 20 % shorter); refitted
    whenever a view box is resized. Plots that span several rows keep Qt's layout.

    A resize that arrives while a fit is laying the rows out (a plot's title or axis settling as
    its row changes height) is fitted again on the next event-loop pass: dropped, it left a
    1600x900 window's last heatmap row 24 px tall beside 63 px rows until the window was resized."""

    REFITS = 4  # fits in a row started by resizes during a fit (they stop when nothing changes)

    def __init__(self, view: pg.GraphicsLayoutWidget):
        super().__init__(view)
        self.view = view
        self._busy = False
        self._again = False  # a view box was resized while a fit ran
        self._refits = 0
        view.installEventFilter(self)  # a taller view: taller rows (fixed rows do not resize their boxes)

    @guarded(fallback=False)
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def watch(self, plot: pg.PlotItem) -> None:
        plot.vb.sigResized.connect(self.fit)

    @guarded
    def fit(self, *_args) -> None:
        if self._busy:
            self._again = True
            return
        self._again = False
        self._fit()
        if self._again and self._refits < self.REFITS:
            self._refits += 1
            QTimer.singleShot(0, self, self.fit)  # with self as context: not after the view is gone
        else:
            self._refits = 0

    def _fit(self) -> None:
        ci = self.view.ci
        fixed: dict[int, float] = {}  # row -> the most its plots take besides their view box
        for item, cells in ci.items.items():
            rows = {r for r, _ in cells}
            if isinstance(item, pg.PlotItem) and not isinstance(item, pg.ColorBarItem) and len(rows) == 1:
                (row,) = rows
                fixed[row] = max(fixed.get(row, 0.0), item.geometry().height() - item.vb.geometry().height())
        layout = ci.layout
        stale = [r for r in range(layout.rowCount()) if r not in fixed or len(fixed) < 2]
        for row in stale:  # rows of plots since removed, or one plot alone: Qt's own share
            if layout.rowMaximumHeight(row) < UNBOUNDED:
                layout.setRowMinimumHeight(row, 0)
                layout.setRowMaximumHeight(row, UNBOUNDED)
        if len(fixed) < 2:
            return
        _, top, _, bottom = ci.layout.getContentsMargins()
        free = self.view.height() - top - bottom - ci.layout.verticalSpacing() * (len(fixed) - 1)
        each = max(0.0, (free - sum(fixed.values())) / len(fixed))
        self._busy = True
        try:
            changed = False
            for row, extra in fixed.items():
                height = extra + each
                if abs(ci.layout.rowMaximumHeight(row) - height) > 0.5:
                    ci.layout.setRowFixedHeight(row, height)
                    changed = True
            if changed:
                layout.activate()  # now, not at the next event-loop pass: an export draws right away
        finally:
            self._busy = False


# --------------------------------------------------------------------------- log axes
# A log scale drawn as log10 values on a linear axis: ticks at whole powers of ten, written 10⁻³.

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(exponent: int) -> str:
    """10^e as text: 10⁻³, 10⁰, 10²."""
    return "10" + str(int(exponent)).translate(SUPERSCRIPT)


def log_ticks(lo_exp: int, hi_exp: int, most: int = 7) -> list[int]:
    """Integer exponents lo..hi, every k-th so that at most ``most`` are labelled."""
    span = max(hi_exp - lo_exp, 0)
    every = max(1, int(np.ceil((span + 1) / most)))
    first = int(np.ceil(lo_exp / every) * every)
    return list(range(first, hi_exp + 1, every))
