"""The views of the input/output panel, one per task (and a generic one).

Each view is a QWidget with ``rebuild(decoded)`` (a new trace: ``decoded`` is what the task's
``decode`` returned, or None), ``on_step(step)`` (cheap: cursors and markers), ``on_selection()``
(pinned units / layer changed), ``apply_theme()`` and ``caption()`` (one line of HTML the panel
shows above the view).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

from .common import DIVERGING_MAP, TimeCursor, cache_static, mark_dynamic, muted, style_plot

SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"]
MAX_LINES = 8  # more features / outputs than this are drawn as an image
TITLE_ROW = 30  # pyqtgraph's PlotItem title row height (px)


def series_colour(k: int, theme) -> str:
    c = SERIES_COLOURS[k % len(SERIES_COLOURS)]
    return c


def legend_html(names: list[str], colours: list[int] | None = None) -> str:
    """Series names in their line colours (the legend of a small plot's title); ``colours``: the
    series' indices into SERIES_COLOURS when they are not 0, 1, 2, ..."""
    colours = colours or list(range(len(names)))
    return ", ".join(f"<span style='color:{SERIES_COLOURS[k % len(SERIES_COLOURS)]}'>━ {n}</span>"
                     for k, n in zip(colours, names))


def new_plot(layout: pg.GraphicsLayout, row: int, col: int = 0, **kw) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=col, **kw)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=True, y=False)
    plot.disableAutoRange()
    plot.getAxis("left").setWidth(44)
    return plot


def nice_ticks(lo: float, hi: float, max_ticks: int = 3) -> list[float]:
    """At most ``max_ticks`` round values from ``lo`` to ``hi`` (0..8 -> 0, 4, 8), so a short plot's
    y labels do not overlap."""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return [lo] if np.isfinite(lo) else []
    scale = 10.0 ** np.floor(np.log10(span))
    step = next((m * scale for m in (0.1, 0.2, 0.4, 0.5, 1, 2, 4, 5, 10)
                 if np.floor(span / (m * scale) + 1e-9) + 1 <= max_ticks), 10 * scale)
    first = np.ceil(lo / step - 1e-9) * step
    return [round(float(v), 9) + 0.0 for v in np.arange(first, hi + step * 1e-6, step)][:max_ticks]


def set_y_ticks(plot: pg.PlotItem, values: list[float]) -> None:
    """Fixed major y ticks (labels without trailing zeros), no minor ones."""
    plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in values], []])


def fit_y_range(plot: pg.PlotItem, lo: float, hi: float, min_pad: float = 0.08) -> None:
    """Show ``lo``..``hi`` plus half a tick label at each end (``min_pad`` of the span at least),
    so the end ticks are drawn: pyqtgraph drops a label that pokes out of the view box.
    Depends on the view box's height in pixels: call it again when the box is resized."""
    span = hi - lo
    label_px = 0.5 * QFontMetricsF(plot.getAxis("left").style["tickFont"] or QFont()).height()
    view_px = plot.vb.height()
    frac = label_px / (view_px - 2 * label_px) if view_px > 4 * label_px else 0.25
    pad = span * max(min_pad, frac)
    plot.setYRange(lo - pad, hi + pad, padding=0)


def size_bottom_axis(axis: pg.AxisItem, theme) -> None:
    """Room for one row of tick labels in the axis's font, end labels allowed to overhang.

    pyqtgraph grows the row only after it has drawn a label, and draws none that does not fit:
    in presentation fonts the default row (18 px) kept a bar chart without its class labels."""
    font = axis.style["tickFont"] or QFont()
    row = int(np.ceil(QFontMetricsF(font).height() * 0.8)) + 2
    axis.setStyle(hideOverlappingLabels=int(theme.font_pt), autoExpandTextSpace=False, tickTextHeight=row)


def new_cursor(plot: pg.PlotItem) -> pg.InfiniteLine:
    line = TimeCursor()
    line.setZValue(20)
    plot.addItem(line)
    return line


def plot_title(text: str, theme, small: str = "") -> str:
    extra = f" <span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'>{small}</span>" if small else ""
    return f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{text}</span>{extra}"


def value_colour(value: float, cmap: pg.ColorMap, lo: float = -1.0, hi: float = 1.0) -> QColor:
    if not np.isfinite(value):
        return QColor("#888888")
    t = float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))
    return cmap.map(t, mode=pg.ColorMap.QCOLOR)


def readable_on(colour: QColor) -> QColor:
    """Black or white text, whichever reads better on ``colour``."""
    lum = 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
    return QColor("#000000") if lum > 0.5 else QColor("#ffffff")


class IOView(QWidget):
    """Base of the io panel's views."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.decoded: dict | None = None

    def rebuild(self, decoded: dict | None) -> None:
        raise NotImplementedError

    def on_step(self, step: int) -> None:
        raise NotImplementedError

    def on_selection(self) -> None:
        pass

    def apply_theme(self) -> None:
        raise NotImplementedError

    def caption(self) -> str:
        return ""


class PlotView(IOView):
    """A view made of pyqtgraph plots stacked in one GraphicsLayoutWidget, each with a cursor."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(4)
        layout.addWidget(self.graphics)
        self.plots: list[pg.PlotItem] = []
        self.cursors: list[pg.InfiniteLine] = []
        self.titles: dict[int, tuple[str, str]] = {}

    def fit_y(self, plot: pg.PlotItem, lo: float, hi: float) -> None:
        """Show ``lo``..``hi`` with round y ticks, as many as the plot's height has room for, and
        room for the end labels; kept so when the plot is resized."""
        plot.gateviz_y_data = (lo, hi)
        if not getattr(plot, "gateviz_fits_y", False):
            plot.gateviz_fits_y = True
            plot.vb.sigResized.connect(self._refit_y)
        self._refit_y(plot.vb)

    def _refit_y(self, vb) -> None:
        plot = next((p for p in self.plots if p.vb is vb), None)
        if plot is None:
            return
        lo, hi = plot.gateviz_y_data
        fit_y_range(plot, lo, hi)
        label_px = QFontMetricsF(plot.getAxis("left").style["tickFont"] or QFont()).height()
        max_ticks = int(np.clip(vb.height() / (1.8 * label_px), 2, 5))
        set_y_ticks(plot, nice_ticks(lo, hi, max_ticks))

    def add_plot(self, row: int, title: str, small: str = "", cursor: bool = True, **kw) -> pg.PlotItem:
        plot = new_plot(self.graphics.ci, row, **kw)
        self.plots.append(plot)
        self.titles[id(plot)] = (title, small)
        if cursor:
            self.cursors.append(new_cursor(plot))
        return plot

    def on_step(self, step: int) -> None:
        for c in self.cursors:
            c.setValue(step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.graphics.setBackground(theme.background)
        for plot in self.plots:
            style_plot(plot, theme)
            size_bottom_axis(plot.getAxis("bottom"), theme)
            title, small = self.titles[id(plot)]
            plot.setTitle(plot_title(title, theme, small))
            plot.showGrid(x=False, y=True, alpha=0.15)
        for c in self.cursors:
            c.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
        # room at the right for the last x tick label, which is centred on the plot's right edge
        self.graphics.ci.setContentsMargins(1, 1, int(theme.font_pt * 1.6), 1)
        self._fit_titles()
        for plot in self.plots:
            if getattr(plot, "gateviz_fits_y", False):
                self._refit_y(plot.vb)  # the tick font changed

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_titles()

    def _fit_titles(self) -> None:
        """Wrap a title (with its legend) that is wider than its column onto more lines.

        pyqtgraph makes a plot at least as wide as its title's one line; a long legend in
        presentation fonts would otherwise push the plots past the panel's right edge."""
        columns = max(1, self.graphics.ci.layout.columnCount())
        for plot in self.plots:
            # the view fills the widget (no margins); the title spans the view box's column only,
            # right of the left axis: wider text would widen the plot past the panel's edge
            room = (self.width() - self.graphics.ci.layout.getContentsMargins()[2]) / columns \
                - plot.getAxis("left").width() - 16
            label = plot.titleLabel
            text = label.item
            text.setTextWidth(-1)  # one line: its natural width
            height = TITLE_ROW  # pyqtgraph's fixed title row
            if room > 40 and text.boundingRect().width() > room:
                option = text.document().defaultTextOption()
                option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                text.document().setDefaultTextOption(option)
                text.setTextWidth(room)
                height = max(TITLE_ROW, int(text.boundingRect().height()) + 2)
            plot.layout.setRowFixedHeight(0, height)
            label.setMaximumHeight(height)
            label.updateMin()  # the label's minimum size follows the (wrapped) text
            label.resizeEvent(None)
            label.updateGeometry()
            text.update()  # a cached title (cache_static_items) must be redrawn at its new width


def _series_block(plot: pg.PlotItem, data: np.ndarray, names: list[str], levels=None):
    """Lines for up to MAX_LINES columns of data (T, K), an image (K rows) beyond that.

    Returns the created items (to restyle them on theme changes).
    """
    T, K = data.shape
    steps = np.arange(T, dtype=np.float32)
    if K <= MAX_LINES:
        items = []
        for k in range(K):
            item = plot.plot(steps, np.ascontiguousarray(data[:, k], dtype=np.float32), name=names[k])
            cache_static(item, T)
            items.append(item)
        lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
        if not np.isfinite(lo) or hi - lo < 1e-9:
            lo, hi = (lo - 1, hi + 1) if np.isfinite(lo) else (-1, 1)
        pad = 0.06 * (hi - lo)
        plot.setYRange(lo - pad, hi + pad, padding=0)
        plot.invertY(False)
        return items
    image = pg.ImageItem(axisOrder="row-major")
    img = np.ascontiguousarray(data.T, dtype=np.float32)  # (K, T)
    if levels is None:
        lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
        levels = (lo, hi if hi > lo else lo + 1)
    image.setImage(img, levels=levels, autoLevels=False)
    image.setColorMap(pg.colormap.get("viridis"))
    image.setRect(QRectF(0, 0, T, K))
    plot.addItem(image)
    plot.invertY(True)
    plot.setYRange(0, K, padding=0)
    return [image]


class GenericView(PlotView):
    """Any numeric model: its input features and its output over time."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        trace, model = self.state.trace, self.state.model
        T = trace.length
        inputs = trace.inputs
        self.lines: list[tuple[pg.PlotDataItem, int]] = []
        if inputs is not None:
            inputs = np.asarray(inputs).reshape(T, -1)
            names = (model.input.feature_names if model is not None and model.input.feature_names else None) or \
                [f"x{k}" for k in range(inputs.shape[1])]
            kind = "as an image" if inputs.shape[1] > MAX_LINES else legend_html(names)
            plot = self.add_plot(0, "input", f"{inputs.shape[1]} feature(s): {kind}")
            items = _series_block(plot, inputs, names)
            self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
            plot.setXRange(0, max(T - 1, 1), padding=0.01)
            if inputs.shape[1] > MAX_LINES:
                plot.setLabel("left", "feature")
        out = trace.output
        if out is not None:
            out = np.asarray(out)
            labels = model.head.labels if model is not None and model.head is not None and model.head.labels else None
            names = labels or [f"y{k}" for k in range(out.shape[-1])]
            act = model.head.activation if model is not None and model.head is not None else ""
            if out.shape[0] == 1 and T > 1:  # only the final state's output exists (bidirectional head)
                plot = self.add_plot(1, "output", f"final state, {act}", cursor=False)
                bars = pg.BarGraphItem(x=np.arange(out.shape[1]), height=out[0], width=0.7,
                                       brush=SERIES_COLOURS[0])
                plot.addItem(bars)
                lo, hi = min(0.0, float(out.min())), max(float(out.max()), 1e-6)
                plot.setYRange(lo, hi * 1.08, padding=0)
                plot.setXRange(-0.6, out.shape[1] - 0.4, padding=0)
                plot.getAxis("bottom").setTicks([[(k, n) for k, n in enumerate(names)]] if len(names) <= 20 else None)
            else:
                mode = (trace.meta.get("output_mode") or "per step").replace("_", " ")
                shown = "as an image" if out.shape[-1] > MAX_LINES else legend_html(names)
                plot = self.add_plot(1, "output", f"{mode}, {act}: {shown}")
                items = _series_block(plot, out.reshape(out.shape[0], -1), names)
                self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
                plot.setXRange(0, max(T - 1, 1), padding=0.01)
                if out.shape[-1] > MAX_LINES:
                    plot.setLabel("left", "output")
        if self.plots:
            self.plots[-1].setLabel("bottom", "step")
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        for item, k in getattr(self, "lines", []):
            item.setPen(pg.mkPen(series_colour(k, theme), width=theme.line_width))

    def caption(self) -> str:
        trace, model = self.state.trace, self.state.model
        if trace is None:
            return ""
        parts = [f"{trace.length} steps"]
        if model is not None and model.head is not None:
            parts.append(f"head: linear {model.head.in_features} → {model.head.out_features}, {model.head.activation}")
        elif trace.output is None:
            parts.append("no read-out head: the last layer's h is the output")
        return " · ".join(parts)


class CharGrid(QWidget):
    """Characters in a wrapped grid, each on a cell coloured by a value in [-1, 1] (Karpathy et al. 2015).

    The current step's character is outlined. Only the visible rows are painted; when the text
    does not fit, the rows scroll so the current character stays in view.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chars: list[str] = []
        self.values = np.zeros(0, dtype=np.float32)
        self.step = 0
        self.cmap = pg.colormap.get(DIVERGING_MAP)
        self.background = QColor("#ffffff")
        self.foreground = QColor("#202020")
        self.font_pt = 11
        self.setMinimumHeight(60)

    def set_text(self, chars: list[str], values: np.ndarray) -> None:
        if chars != self.chars:
            self._fit_key = None
        self.chars, self.values = chars, np.asarray(values, dtype=np.float32)
        self.update()

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def _metrics(self, pt: float):
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(pt)
        fm = QFontMetricsF(font)
        return font, fm.horizontalAdvance("M") + 4, fm.height() + 6

    def _layout(self, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of every character: wrapped at ``cols`` and after each newline."""
        rows_of = np.empty(len(self.chars), dtype=np.int64)
        cols_of = np.empty(len(self.chars), dtype=np.int64)
        r = c = 0
        for k, ch in enumerate(self.chars):
            if c >= cols:
                r, c = r + 1, 0
            rows_of[k], cols_of[k] = r, c
            c += 1
            if ch == "\n":
                r, c = r + 1, 0
        return rows_of, cols_of

    MARGIN = 6

    def _fit_in(self, width: int, height: int):
        """(font, cell width, cell height, rows_of, cols_of, n_rows) for the largest font (up to 2.6x
        the theme's) at which the whole text fits in width x height; else the theme's (it scrolls)."""
        margin = self.MARGIN
        best = None
        for pt in np.arange(self.font_pt * 2.6, self.font_pt - 0.1, -1.0):
            font, cw, ch = self._metrics(float(pt))
            cols = max(1, int((width - 2 * margin) // cw))
            rows_of, cols_of = self._layout(cols)
            n_rows = int(rows_of[-1]) + 1 if len(rows_of) else 1
            best = (font, cw, ch, rows_of, cols_of, n_rows)
            if n_rows * ch <= height - 2 * margin:
                break
        return best

    def _fit(self):
        key = (self.width(), self.height(), len(self.chars), self.font_pt)
        if getattr(self, "_fit_key", None) == key:
            return self._fit_value
        self._fit_key, self._fit_value = key, self._fit_in(self.width(), self.height())
        return self._fit_value

    def height_needed(self, width: int, max_height: int) -> int:
        """The height the wrapped text takes at ``width`` in the largest font that fits in
        ``max_height`` (at least one row); ``max_height`` when even the theme's font overflows."""
        if not self.chars:
            return min(max_height, self.minimumHeight())
        _, _, ch, _, _, n_rows = self._fit_in(width, max_height)
        return int(min(max_height, np.ceil(n_rows * ch + 2 * self.MARGIN)))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        if not self.chars:
            p.end()
            return
        font, cw, ch, rows_of, cols_of, n_rows = self._fit()
        p.setFont(font)
        margin = self.MARGIN
        rows_fit = max(1, int((self.height() - 2 * margin) // ch))
        cur_row = int(rows_of[min(self.step, len(rows_of) - 1)])
        first = 0 if n_rows <= rows_fit else int(np.clip(cur_row - rows_fit // 2, 0, n_rows - rows_fit))
        visible = np.flatnonzero((rows_of >= first) & (rows_of < first + rows_fit))
        centre = Qt.AlignmentFlag.AlignCenter
        for k in visible.tolist():
            rect = QRectF(margin + cols_of[k] * cw, margin + (rows_of[k] - first) * ch, cw - 1, ch - 1)
            colour = value_colour(float(self.values[k]) if k < len(self.values) else np.nan, self.cmap)
            p.fillRect(rect, colour)
            glyph = {"\n": "↵", "\t": "→", " ": ""}.get(self.chars[k], self.chars[k])
            if glyph:
                p.setPen(readable_on(colour))
                p.drawText(rect, centre, glyph)
        if 0 <= self.step < len(self.chars) and first <= rows_of[self.step] < first + rows_fit:
            rect = QRectF(margin + cols_of[self.step] * cw - 1.5, margin + (rows_of[self.step] - first) * ch - 1.5,
                          cw + 2, ch + 2)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(self.foreground, 4))  # a double frame reads on any cell colour
            p.drawRect(rect)
            p.setPen(QPen(self.background, 1.5))
            p.drawRect(rect)
        p.end()


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
        layout.addWidget(self.grid, 0)  # as tall as the wrapped text needs (``_fit_grid``)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)  # the plot takes the rest
        self.plot = new_plot(self.graphics.ci, 0)
        self.cursor = new_cursor(self.plot)
        self.curves: list[pg.PlotDataItem] = []
        self.chars: list[str] = []
        self.plot_title = ("", "")
        self._y_data = (-1.0, 1.0)  # the plotted data's range; the y range adds room for the end tick labels
        self.plot.vb.sigResized.connect(self._fit_y_range)

    PLOT_SHARE = 0.66  # the plot keeps at least this share of the view's height ...
    PLOT_MIN_PX = 150  # ... and at least this many pixels (x1.3 in presentation mode)

    def _unit(self) -> int:
        return self.state.pinned[0] if self.state.pinned else 0

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_title(self) -> None:
        """A title row as tall as its one line of text, not pyqtgraph's fixed 30 px: the plot is short."""
        label = self.plot.titleLabel
        height = int(np.ceil(label.item.boundingRect().height())) + 2
        self.plot.layout.setRowFixedHeight(0, height)
        label.setMaximumHeight(height)

    def _fit_y_range(self, *_) -> None:
        """The data's y range with room for the end tick labels (0 and the deepest level)."""
        fit_y_range(self.plot, *self._y_data)

    def _fit_grid(self) -> None:
        """Give the text block the height its wrapped rows need, at most what the plot leaves.

        A block that stretched with the view left the plot below 20-40 px tall (depth 0..8 looked
        flat); text that does not fit the block scrolls to keep the current character in view."""
        height = self.height()
        if height <= 0:
            return
        plot_min = max(self.PLOT_SHARE * height,
                       self.PLOT_MIN_PX * (1.3 if self.state.theme.presentation else 1.0))
        room = int(max(self.grid.minimumSizeHint().height(), 40, height - plot_min))
        needed = self.grid.height_needed(self.width(), room)
        if needed != self.grid.height() or self.grid.maximumHeight() != needed:
            self.grid.setFixedHeight(needed)
            self.layout().activate()  # the plot takes the freed height now, not at the next event loop pass

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
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
            self.curves.append(self.plot.plot(steps[: len(s)], np.nan_to_num(s, nan=0.0)))
            finite = s[np.isfinite(s)]
            hi = max(float(finite.max()), 1.0) if len(finite) else 1.0
            self._y_data = (0.0, hi)
            set_y_ticks(self.plot, nice_ticks(0.0, hi))
            self.plot_title = ("surprisal of the next character", "bits, −log₂ p(next)")
        elif task == "brackets":
            depth = np.asarray(decoded["depth"], dtype=np.float32)
            self.curves.append(self.plot.plot(steps, depth, name="true depth"))
            if decoded.get("predicted") is not None:
                self.curves.append(self.plot.plot(steps, np.asarray(decoded["predicted"], dtype=np.float32),
                                                  name="predicted"))
            values = np.concatenate([c.getData()[1] for c in self.curves])
            values = values[np.isfinite(values)]
            lo = min(0.0, float(values.min())) if len(values) else 0.0
            hi = max(float(values.max()), lo + 1.0) if len(values) else 1.0
            self._y_data = (lo, hi)
            set_y_ticks(self.plot, nice_ticks(np.ceil(lo), np.floor(hi)))
            self.plot_title = ("nesting depth", legend_html(["true", "predicted (dashed)"]))
        else:
            self.curves.append(self.plot.plot(steps, np.zeros(T, dtype=np.float32)))
            self._y_data = (-1.0, 1.0)
            set_y_ticks(self.plot, [-1.0, 0.0, 1.0])
            self.plot_title = ("", "")
        for c in self.curves:
            cache_static(c, T)
        self._fit_y_range()
        self.plot.setXRange(0, max(T - 1, 1), padding=0.01)
        self.plot.setLabel("bottom", "step")
        self.apply_theme()
        self.on_selection()

    def on_selection(self) -> None:
        state = self.state
        if state.trace is None:
            return
        unit = self._unit()
        h = state.quantity("hidden_state")[:, unit]
        self.grid.set_text(self.chars, h)
        self._fit_grid()
        if not self.plot_title[0]:  # no task curve: plot the unit itself
            self.curves[0].setData(np.arange(len(h), dtype=np.float32), np.ascontiguousarray(h, dtype=np.float32))
            self.plot.setTitle(plot_title(f"h of unit {unit}", state.theme,
                                          f"layer {state.layer}, {state.direction}"))
            self._fit_title()
            self.curves[0].setPen(pg.mkPen(state.pin_colour(unit), width=state.theme.line_width))

    def on_step(self, step: int) -> None:
        self.grid.set_step(step)
        self.cursor.setValue(step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.grid.background = QColor(theme.background)
        self.grid.foreground = QColor(theme.foreground)
        self.grid.font_pt = theme.font_pt
        self.grid.update()
        self._fit_grid()
        self.graphics.setBackground(theme.background)
        style_plot(self.plot, theme)
        self._fit_y_range()  # the tick font's size changed
        size_bottom_axis(self.plot.getAxis("bottom"), theme)
        # thin margins (pyqtgraph's are 9 px), room at the right for the last x label
        self.graphics.ci.setContentsMargins(2, 2, int(theme.font_pt * 1.6), 2)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        if self.plot_title[0]:
            self.plot.setTitle(plot_title(self.plot_title[0], theme, self.plot_title[1]))
            self._fit_title()
        styles = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine]
        for k, c in enumerate(self.curves):  # the first (true) curve wider, so a perfect prediction on it shows both
            width = theme.line_width * (2.2 if k == 0 and len(self.curves) > 1 else 1.0)
            c.setPen(pg.mkPen(series_colour(k, theme), width=width, style=styles[k % 2]))
        self.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
        if self.state.trace is not None and self.curves:
            self.on_selection()

    def caption(self) -> str:
        state = self.state
        unit = self._unit()
        lo, hi = (value_colour(v, self.grid.cmap).name() for v in (-1.0, 1.0))
        return (f"each character coloured by h of unit {unit} (layer {state.layer}, {state.direction}): "
                f"<span style='color:{lo}'>■</span> −1 … <span style='color:{hi}'>■</span> +1")


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SineView(PlotView):
    """Next-step prediction of a sine window: the window, the one-step predictions, the rollout."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        window = np.asarray(d["window"], dtype=np.float32)
        W = len(window)
        steps = np.arange(W, dtype=np.float32)
        legend = legend_html(["input window", "prediction of the next value", "rollout (fed back)", "truth"],
                             [0, 1, 2, 7])  # truth: grey (SERIES_COLOURS[7]), as its dotted line
        plot = self.add_plot(0, "sine: next-step prediction", legend)
        self.curves = []
        self.curves.append((plot.plot(steps, window), 0, Qt.PenStyle.SolidLine))
        if d.get("predictions") is not None:  # output at step t predicts the value at t + 1
            self.curves.append((plot.plot(steps + 1, np.asarray(d["predictions"], dtype=np.float32)), 1,
                                Qt.PenStyle.DashLine))
        R = 0
        if d.get("rollout") is not None:
            roll = np.asarray(d["rollout"], dtype=np.float32)
            R = len(roll)
            self.curves.append((plot.plot(np.arange(W, W + R, dtype=np.float32), roll), 2, Qt.PenStyle.SolidLine))
        if d.get("truth") is not None and len(d["truth"]):
            truth = np.asarray(d["truth"], dtype=np.float32)
            R = max(R, len(truth))
            self.curves.append((plot.plot(np.arange(W, W + len(truth), dtype=np.float32), truth), 7,
                                Qt.PenStyle.DotLine))
        for item, _, _ in self.curves:
            cache_static(item)
        self.boundary = pg.InfiniteLine(pos=W - 0.5, angle=90, movable=False)
        plot.addItem(self.boundary)
        self.marker = mark_dynamic(pg.ScatterPlotItem(pxMode=True))
        self.marker.setZValue(30)
        plot.addItem(self.marker)
        values = np.concatenate([c[0].getData()[1] for c in self.curves])
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        self.fit_y(plot, lo, hi if hi > lo else lo + 1)
        plot.setXRange(-0.5, W + R, padding=0.01)
        plot.setLabel("bottom", "step (the rollout continues past the window)")
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        for item, k, style in getattr(self, "curves", []):
            colour = "#888888" if k == 7 else series_colour(k, theme)
            item.setPen(pg.mkPen(colour, width=theme.line_width, style=style))
        if hasattr(self, "boundary"):
            self.boundary.setPen(pg.mkPen(muted(theme), width=1, style=Qt.PenStyle.DashDotLine))

    def on_step(self, step: int) -> None:
        super().on_step(step)
        d = self.decoded
        window = d["window"]
        spots = [dict(pos=(step, float(window[step])), brush=pg.mkBrush(series_colour(0, None)), size=10)]
        if d.get("predictions") is not None:
            spots.append(dict(pos=(step + 1, float(d["predictions"][step])), brush=pg.mkBrush(series_colour(1, None)),
                              size=10))
        self.marker.setData(spots)

    def caption(self) -> str:
        d = self.decoded or {}
        parts = []
        if d.get("prediction") is not None:
            p = f"after the window the model predicts {d['prediction']:.3f}"
            if d.get("target") is not None:
                p += f" (true {d['target']:.3f})"
            parts.append(p)
        if d.get("rollout") is not None:
            parts.append(f"then feeds its own output back for {len(d['rollout'])} steps")
        return ", ".join(parts)


class BitGrid(QWidget):
    """Rows of bits in time order (least significant first), one column per step, the current one marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[tuple[str, np.ndarray, np.ndarray | None, str]] = []  # label, bits, shade (0..1), right text
        self.step = 0
        self.background, self.foreground, self.muted = QColor("#ffffff"), QColor("#202020"), QColor("#707070")
        self.on_colour, self.font_pt = QColor("#0072B2"), 10
        self.wrong: np.ndarray | None = None  # columns where the prediction is wrong
        self.setMinimumHeight(120)

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.background)
        if not self.rows:
            p.end()
            return
        n = len(self.rows[0][1])
        small = QFont()
        small.setPixelSize(int(max(9, self.font_pt * 1.3)))
        fm = QFontMetricsF(small)  # the label columns fit their text (presentation fonts too)
        label_w = max(fm.horizontalAdvance(row[0]) for row in self.rows) + 16
        right_w = max(fm.horizontalAdvance(row[3]) for row in self.rows) + 16
        margin = 10.0
        head_h = max(26.0, fm.height() + 6)
        cell = min((self.width() - label_w - right_w - 2 * margin) / max(n, 1),
                   (self.height() - head_h - 2 * margin) / (len(self.rows) + 0.3))
        cell = max(cell, 6.0)
        x0 = label_w + margin
        y0 = margin + head_h
        font = QFont()
        font.setPixelSize(int(max(9, min(cell * 0.5, self.font_pt * 2.2))))
        font.setBold(True)
        p.setFont(small)
        p.setPen(self.muted)
        p.drawText(QRectF(x0, margin, self.width() - x0 - margin, head_h - 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   "time →   (bit 0, the least significant, first)")
        # the current step's column
        if 0 <= self.step < n:
            hl = QColor(self.foreground)
            hl.setAlpha(40)
            p.setBrush(hl)
            p.setPen(QPen(self.foreground, 2.5))
            p.drawRoundedRect(QRectF(x0 + self.step * cell - 3, y0 - 4, cell + 6, len(self.rows) * cell + 8), 6, 6)
        for r, (label, bits, shade, right) in enumerate(self.rows):
            y = y0 + r * cell
            p.setFont(small)
            p.setPen(self.foreground)
            p.drawText(QRectF(margin, y, label_w - 8, cell), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       label)
            p.drawText(QRectF(x0 + n * cell + 12, y, right_w, cell),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, right)
            for t in range(n):
                rect = QRectF(x0 + t * cell + 2, y + 2, cell - 4, cell - 4)
                level = float(shade[t]) if shade is not None else float(bits[t])
                fill = QColor(self.on_colour)
                fill.setAlphaF(0.12 + 0.88 * level)
                p.setBrush(fill)
                wrong = shade is not None and self.wrong is not None and self.wrong[t]
                p.setPen(QPen(QColor("#D55E00") if wrong else self.muted, 3 if wrong else 1))
                p.drawRoundedRect(rect, 4, 4)
                p.setFont(font)
                p.setPen(readable_on(fill) if level > 0.5 else self.foreground)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(bits[t])))
        p.end()


class BinaryAdditionView(IOView):
    """Binary addition, least significant bit first: both operands, the true sum and the predicted bits."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.grid = BitGrid()
        layout.addWidget(self.grid)

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        rows = [("a", d["a_bits"], None, f"= {d['a']}"), ("b", d["b_bits"], None, f"= {d['b']}"),
                ("a + b (true)", d["sum_bits"], None, f"= {d['sum']}")]
        if d.get("predicted_bits") is not None:
            mark = "✓" if d["correct"] else "✗"
            rows.append(("network's sum", d["predicted_bits"], np.asarray(d["probabilities"]),
                         f"= {d['predicted_sum']} {mark}"))
            self.grid.wrong = np.asarray(d["predicted_bits"]) != np.asarray(d["sum_bits"])
        self.grid.rows = rows
        self.grid.update()

    def on_step(self, step: int) -> None:
        self.grid.set_step(step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.grid.background, self.grid.foreground = QColor(theme.background), QColor(theme.foreground)
        self.grid.muted = QColor(muted(theme))
        self.grid.on_colour = QColor("#0072B2" if theme.name == "light" else "#56B4E9")
        self.grid.font_pt = theme.font_pt
        self.grid.update()

    def caption(self) -> str:
        d = self.decoded or {}
        if not d:
            return ""
        text = f"{d['a']} + {d['b']} = {d['sum']}"
        if d.get("predicted_sum") is not None:
            verdict = "right" if d["correct"] else "wrong"
            text += f"; the network says {d['predicted_sum']} ({verdict}). Shading of its bits: P(bit = 1)."
        return text


class DigitsView(PlotView):
    """A digit read one row per step: the image with the current row framed, class probabilities over time."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        image = np.asarray(d["image"], dtype=np.float32)  # (rows = steps, columns)
        rows, cols = image.shape
        img_plot = self.add_plot(0, "the input image", "row t is fed at step t", cursor=False, rowspan=2)
        img_plot.invertY(True)
        img_plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        lo, hi = float(image.min()), float(image.max())
        self.image.setImage(np.ascontiguousarray(image), levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        img_plot.addItem(self.image)
        img_plot.setRange(xRange=(0, cols), yRange=(0, rows), padding=0.02)
        img_plot.hideAxis("bottom")
        img_plot.getAxis("left").setLabel("row = step")
        self.row_box = QGraphicsRectItemCompat(0, 0, cols, 1)
        img_plot.addItem(self.row_box)
        self.img_plot = img_plot
        self.bar_plot = self.prob_plot = None
        probs = d.get("probabilities")
        if probs is not None:
            probs = self.probs = np.asarray(probs, dtype=np.float32)  # (T, classes)
            T, K = probs.shape
            labels = [str(k) for k in range(K)]
            if T > 1:
                prob_plot = self.add_plot(0, "class probabilities over time", "one row per class", col=1)
                pimg = pg.ImageItem(axisOrder="row-major")
                pimg.setImage(np.ascontiguousarray(probs.T), levels=(0, 1), autoLevels=False)
                pimg.setColorMap(pg.colormap.get(self.state.theme.colormap if self.state.theme.colormap in
                                                 pg.colormap.listMaps() else "viridis"))
                pimg.setRect(QRectF(-0.5, 0, T, K))
                prob_plot.addItem(pimg)
                prob_plot.setRange(xRange=(-0.5, T - 0.5), yRange=(0, K), padding=0)
                prob_plot.setLabel("bottom", "step")
                self.prob_plot = prob_plot
                prob_plot.vb.sigResized.connect(self._fit_class_ticks)
            bar_plot = self.add_plot(1, "probabilities at this step", "", cursor=False, col=1)
            self.bars = mark_dynamic(pg.BarGraphItem(x=np.arange(K), height=probs[0], width=0.7))
            bar_plot.addItem(self.bars)
            bar_plot.setXRange(-0.6, K - 0.4, padding=0)
            bar_plot.getAxis("bottom").setTicks([[(k, labels[k]) for k in range(K)]])
            self.bar_plot = bar_plot
            bar_plot.vb.sigResized.connect(self._fit_bar_range)
            # the heatmap and the bars share the right column's height evenly
            self.graphics.ci.layout.setRowStretchFactor(0, 1)
            self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.apply_theme()

    prob_plot = None
    bar_plot = None

    def _fit_class_ticks(self, *_) -> None:
        """One label per class where the heatmap rows are tall enough, else every 2nd or 5th."""
        if self.prob_plot is None:
            return
        K = self.probs.shape[1]
        axis = self.prob_plot.getAxis("left")
        label_px = QFontMetricsF(axis.style["tickFont"] or QFont()).height() * 0.9
        row_px = self.prob_plot.vb.height() / max(K, 1)
        stride = next((s for s in (1, 2, 5) if s * row_px >= label_px), K)
        axis.setTicks([[(k + 0.5, str(k)) for k in range(0, K, stride)], []])

    def _fit_bar_range(self, *_) -> None:
        """Probabilities 0..1 with room for the end labels; a short chart labels 0 and 1 only."""
        if self.bar_plot is None:
            return
        fit_y_range(self.bar_plot, 0.0, 1.0, min_pad=0.04)
        label_px = QFontMetricsF(self.bar_plot.getAxis("left").style["tickFont"] or QFont()).height()
        set_y_ticks(self.bar_plot, [0.0, 0.5, 1.0] if self.bar_plot.vb.height() > 3.5 * label_px else [0.0, 1.0])

    def on_step(self, step: int) -> None:
        super().on_step(step)
        rows = self.decoded["image"].shape[0]
        self.row_box.setRect(QRectF(0, min(step, rows - 1), self.decoded["image"].shape[1], 1))
        if self.bar_plot is not None:
            p = self.probs[min(step, len(self.probs) - 1)]
            best = int(np.argmax(p))
            theme = self.state.theme
            brushes = [pg.mkBrush("#D55E00" if k == best else series_colour(0, theme)) for k in range(len(p))]
            self.bars.setOpts(height=p, brushes=brushes)

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        grey = pg.ColorMap([0, 1], [(255, 255, 255), (0, 0, 0)] if theme.name == "light" else
                           [(0, 0, 0), (255, 255, 255)])
        if hasattr(self, "image"):
            self.img_plot.showGrid(x=False, y=False)
            self.image.setColorMap(grey)
            self.row_box.setPen(pg.mkPen("#D55E00", width=theme.line_width + 1.5))
            self.row_box.setBrush(pg.mkBrush(None))
        self._fit_class_ticks()  # the tick font's size changed
        self._fit_bar_range()
        if self.state.trace is not None and getattr(self, "bar_plot", None) is not None:
            self.on_step(self.state.step)

    def caption(self) -> str:
        d = self.decoded or {}
        if d.get("predicted") is None:
            return "a digit read one row per step"
        text = f"the network reads the digit row by row and says {d['predicted']} ({d['confidence']:.0%})"
        if d.get("label") is not None:
            text += f"; it is a {d['label']}"
        return text


class QGraphicsRectItemCompat(pg.QtWidgets.QGraphicsRectItem):
    """A plain rectangle in a plot (QGraphicsRectItem with pyqtgraph-style setPen/setBrush)."""


class AddingView(PlotView):
    """The adding problem: values, the two marked steps, and the running prediction of their sum."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        values = np.asarray(d["values"], dtype=np.float32)
        T = len(values)
        steps = np.arange(T, dtype=np.float32)
        plot = self.add_plot(0, "inputs", legend_html(["value", "marked (to be added)"]))
        self.value_curve = plot.plot(steps, values)
        cache_static(self.value_curve, T)
        self.marked = pg.ScatterPlotItem(x=np.asarray(d["marked"], dtype=np.float32),
                                         y=values[d["marked"]], pxMode=True, size=14, symbol="o")
        plot.addItem(self.marked)
        self.fit_y(plot, min(0.0, float(values.min())), max(float(values.max()), 1e-6))
        plot.setXRange(0, max(T - 1, 1), padding=0.01)
        out = self.add_plot(1, "running prediction of the sum", legend_html(["prediction", "target"]))
        self.pred_curve = None
        hi = d["target"]
        if d.get("running") is not None:
            self.pred_curve = out.plot(steps, np.asarray(d["running"], dtype=np.float32))
            cache_static(self.pred_curve, T)
            hi = max(hi, float(np.max(d["running"])))
        self.target = pg.InfiniteLine(pos=d["target"], angle=0, movable=False)
        out.addItem(self.target)
        self.fit_y(out, min(0.0, float(np.min(d["running"])) if d.get("running") is not None else 0.0), hi)
        out.setXRange(0, max(T - 1, 1), padding=0.01)
        out.setLabel("bottom", "step")
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        if not hasattr(self, "value_curve"):
            return
        self.value_curve.setPen(pg.mkPen(series_colour(0, theme), width=theme.line_width))
        self.marked.setBrush(pg.mkBrush(series_colour(1, theme)))
        self.marked.setPen(pg.mkPen(theme.foreground, width=1))
        if self.pred_curve is not None:
            self.pred_curve.setPen(pg.mkPen(series_colour(0, theme), width=theme.line_width))
        self.target.setPen(pg.mkPen(series_colour(1, theme), width=theme.line_width, style=Qt.PenStyle.DashLine))

    def caption(self) -> str:
        d = self.decoded or {}
        if not d:
            return ""
        text = (f"target: the sum of the two marked values (steps {', '.join(str(t) for t in d['marked'])}) "
                f"= {d['target']:.3f}")
        if d.get("prediction") is not None:
            text += f"; the network says {d['prediction']:.3f}"
        return text


VIEW_CLASSES: dict[str, type[IOView]] = {
    "sine": SineView,
    "binary-addition": BinaryAdditionView,
    "digits": DigitsView,
    "brackets": TextView,
    "adding": AddingView,
    "text": TextView,
}
