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

from .common import DIVERGING_MAP, cache_static, muted, style_plot

SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"]
MAX_LINES = 8  # more features / outputs than this are drawn as an image


def series_colour(k: int, theme) -> str:
    c = SERIES_COLOURS[k % len(SERIES_COLOURS)]
    return c


def legend_html(names: list[str]) -> str:
    """Series names in their line colours (the legend of a small plot's title)."""
    return ", ".join(f"<span style='color:{SERIES_COLOURS[k % len(SERIES_COLOURS)]}'>━ {n}</span>"
                     for k, n in enumerate(names))


def new_plot(layout: pg.GraphicsLayout, row: int, col: int = 0, **kw) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=col, **kw)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=True, y=False)
    plot.disableAutoRange()
    plot.getAxis("left").setWidth(44)
    return plot


def new_cursor(plot: pg.PlotItem) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=90, movable=False)
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
            title, small = self.titles[id(plot)]
            plot.setTitle(plot_title(title, theme, small))
            plot.showGrid(x=False, y=True, alpha=0.15)
        for c in self.cursors:
            c.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))


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
            cache_static(item)
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
        self.chars, self.values = chars, np.asarray(values, dtype=np.float32)
        self.update()

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def _metrics(self):
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(self.font_pt + 1)
        fm = QFontMetricsF(font)
        cw = fm.horizontalAdvance("M") + 4
        ch = fm.height() + 6
        return font, cw, ch

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        if not self.chars:
            p.end()
            return
        font, cw, ch = self._metrics()
        p.setFont(font)
        margin = 6
        cols = max(1, int((self.width() - 2 * margin) // cw))
        rows_fit = max(1, int((self.height() - 2 * margin) // ch))
        n_rows = -(-len(self.chars) // cols)
        cur_row = self.step // cols
        first = 0 if n_rows <= rows_fit else int(np.clip(cur_row - rows_fit // 2, 0, n_rows - rows_fit))
        start, stop = first * cols, min(len(self.chars), (first + rows_fit) * cols)
        for k in range(start, stop):
            r, c = divmod(k, cols)
            rect = QRectF(margin + c * cw, margin + (r - first) * ch, cw - 1, ch - 1)
            colour = value_colour(float(self.values[k]) if k < len(self.values) else np.nan, self.cmap)
            p.fillRect(rect, colour)
            glyph = {"\n": "↵", "\t": "→", " ": ""}.get(self.chars[k], self.chars[k])
            if glyph:
                p.setPen(readable_on(colour))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)
        if start <= self.step < stop:
            r, c = divmod(self.step, cols)
            rect = QRectF(margin + c * cw - 1.5, margin + (r - first) * ch - 1.5, cw + 2, ch + 2)
            p.setPen(QPen(self.foreground, 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
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
        layout.addWidget(self.grid, 3)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 2)
        self.plot = new_plot(self.graphics.ci, 0)
        self.cursor = new_cursor(self.plot)
        self.curves: list[pg.PlotDataItem] = []
        self.chars: list[str] = []
        self.plot_title = ("", "")

    def _unit(self) -> int:
        return self.state.pinned[0] if self.state.pinned else 0

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
            hi = float(np.nanmax(s)) if len(s) and np.isfinite(np.nanmax(s)) else 1.0
            self.plot.setYRange(0, max(hi, 1.0) * 1.05, padding=0)
            self.plot_title = ("surprisal of the next character", "bits, −log₂ p(next)")
        elif task == "brackets":
            depth = np.asarray(decoded["depth"], dtype=np.float32)
            self.curves.append(self.plot.plot(steps, depth, name="true depth"))
            if decoded.get("predicted") is not None:
                self.curves.append(self.plot.plot(steps, np.asarray(decoded["predicted"], dtype=np.float32),
                                                  name="predicted"))
            self.plot.setYRange(-0.3, float(depth.max()) + 0.5 if len(depth) else 1, padding=0)
            self.plot_title = ("nesting depth", "true (solid) and predicted (dashed)")
        else:
            self.curves.append(self.plot.plot(steps, np.zeros(T, dtype=np.float32)))
            self.plot.setYRange(-1.05, 1.05, padding=0)
            self.plot_title = ("", "")
        for c in self.curves:
            cache_static(c)
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
        if not self.plot_title[0]:  # no task curve: plot the unit itself
            self.curves[0].setData(np.arange(len(h), dtype=np.float32), np.ascontiguousarray(h, dtype=np.float32))
            self.plot.setTitle(plot_title(f"h of unit {unit}", state.theme,
                                          f"layer {state.layer}, {state.direction}"))
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
        self.graphics.setBackground(theme.background)
        style_plot(self.plot, theme)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        if self.plot_title[0]:
            self.plot.setTitle(plot_title(self.plot_title[0], theme, self.plot_title[1]))
        styles = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine]
        for k, c in enumerate(self.curves):
            c.setPen(pg.mkPen(series_colour(k, theme), width=theme.line_width, style=styles[k % 2]))
        self.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
        if self.state.trace is not None and self.curves:
            self.on_selection()

    def caption(self) -> str:
        state = self.state
        unit = self._unit()
        lo, hi = (value_colour(v, self.grid.cmap).name() for v in (-1.0, 1.0))
        return (f"each character coloured by h of unit {unit} (layer {state.layer}, {state.direction}): "
                f"<span style='color:{lo}'>■</span> −1 … <span style='color:{hi}'>■</span> +1")


VIEW_CLASSES: dict[str, type[IOView]] = {
    "text": TextView,
    "brackets": TextView,
}
