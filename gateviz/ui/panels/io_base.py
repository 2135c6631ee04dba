"""What the input/output panel's views share: the base classes (``IOView``, ``PlotView``), colours,
plot helpers.

Each view is a QWidget with ``rebuild(decoded)`` (a new trace: ``decoded`` is what the task's
``decode`` returned, or None), ``on_step(step)`` (cheap: cursors and markers), ``on_selection()``
(pinned units / layer changed), ``apply_theme()``, ``caption()`` (one line of HTML the panel
shows above the view) and ``readable_size()`` (the smallest size at which it stays readable).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

from .common import NAN_COLOUR, TimeCursor, cache_static, muted, style_plot, translate
from .masking import MASKED_GREY, MaskedSteps, add_masked_steps
from .overlay import original_pen
from .plot_fit import MIN_VIEW_LINES, EvenRows, bottom_axis_height, label_px, relayout, size_bottom_axis, y_fit

SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"]
MAX_LINES = 8  # more features / outputs than this are drawn as an image


def series_colour(k: int, theme) -> str:
    c = SERIES_COLOURS[k % len(SERIES_COLOURS)]
    return c


def legend_html(names: list[str], colours: list[int] | None = None) -> str:
    """Series names in their line colours (the legend of a small plot's title); ``colours``: the
    series' indices into SERIES_COLOURS when they are not 0, 1, 2, ..."""
    colours = colours or list(range(len(names)))
    return translate("IO", ", ").join(f"<span style='color:{SERIES_COLOURS[k % len(SERIES_COLOURS)]}'>━ {n}</span>"
                     for k, n in zip(colours, names))


def new_plot(layout: pg.GraphicsLayout, row: int, col: int = 0, **kw) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=col, enableMenu=False, **kw)
    plot.hideButtons()
    plot.setMouseEnabled(x=True, y=False)
    plot.disableAutoRange()
    # long inputs and outputs: draw what the pixels can show, as the unit traces do
    # (a 100k-step input's uncached paint took 0.6 s as full lines)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.getAxis("left").setWidth(44)
    return plot


def new_cursor(plot: pg.PlotItem) -> pg.InfiniteLine:
    line = TimeCursor()
    line.setZValue(20)
    plot.addItem(line)
    return line


def plot_title(text: str, theme, small: str = "") -> str:
    extra = f" <span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'>{small}</span>" if small else ""
    return f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{text}</span>{extra}"


def value_colour(value: float, cmap: pg.ColorMap, lo: float = -1.0, hi: float = 1.0) -> QColor:
    if np.isnan(value):
        return QColor(NAN_COLOUR)  # no colour map holds it; the legends name it
    t = float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))  # ±inf: the map's ends
    return cmap.map(t, mode=pg.ColorMap.QCOLOR)


def shade_colour(level: float, background: QColor, colour: QColor) -> QColor:
    """``background`` blended toward ``colour`` by ``level`` in [0, 1] (the memory shading); NaN: NaN's colour."""
    if level != level:
        return QColor(NAN_COLOUR)
    t = min(max(float(level), 0.0), 1.0)
    below = (background.redF(), background.greenF(), background.blueF())
    return QColor.fromRgbF(*(b + t * (a - b) for b, a in zip(below, (colour.redF(), colour.greenF(), colour.blueF()))))


def shade_colours(levels: np.ndarray, background: QColor, colour: QColor) -> list[tuple[QColor, QColor]]:
    """(cell, text) colours for many ``levels`` at once: ``shade_colour`` and ``readable_on`` of each,
    vectorised (a text view's 200 cells at every step of playback)."""
    t = np.clip(np.asarray(levels, dtype=np.float64), 0.0, 1.0)  # (N,), NaN stays NaN
    below = np.array([background.redF(), background.greenF(), background.blueF()])
    above = np.array([colour.redF(), colour.greenF(), colour.blueF()])
    rgb = below + t[:, None] * (above - below)  # (N, 3)
    with np.errstate(invalid="ignore"):
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])  # WCAG relative luminance, as readable_on
    black_text = (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05)
    black, white, nan = QColor("#000000"), QColor("#ffffff"), QColor(NAN_COLOUR)
    nan_text = readable_on(nan)
    return [(nan, nan_text) if v != v else (QColor.fromRgbF(*c), black if b else white)
            for v, c, b in zip(t.tolist(), rgb.tolist(), black_text.tolist())]


def relative_luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance (linear light) of a colour."""
    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def readable_on(colour: QColor) -> QColor:
    """Black or white text, whichever contrasts more with ``colour`` (WCAG): at least 4.6:1 on any colour.

    A threshold on the gamma-encoded luminance put white on mid blues at under 4:1."""
    lum = relative_luminance(colour)
    return QColor("#000000") if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else QColor("#ffffff")


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

    # the memory shading (issue 12): how a view marks t*, and which of its inputs it shades
    memory_mark = QT_TRANSLATE_NOOP("IO", "▼ at t*")  # English; the panel translates it
    memory_replaces_caption = False  # True: the view's caption describes colours the shading replaces

    def on_gradients(self, shade) -> None:
        """Shade the input by ``shade`` (an ``io_memory.MemoryShade``), or remove the shading (None).
        Called when the gradients or the theme change: it updates items in place."""

    # interventions (issue 13): the original run's decoding while it is drawn beside the intervened one
    original: dict | None = None

    def on_original(self, decoded: dict | None) -> None:
        """Overlay the original run (``decoded``: what the task decodes from ``state.original``; for
        the generic view, an empty dict: it reads ``state.original`` itself), or hide the overlay
        (None). Called after each rebuild and when the comparison is toggled: items are updated
        in place."""
        self.original = decoded

    def line_px(self) -> float:
        """One tick label's height in the theme's fonts (the unit readable sizes are counted in)."""
        font = QFont()
        font.setPointSize(max(6, self.state.theme.font_pt - 1))  # style_axis's tick font
        return QFontMetricsF(font).height()

    def readable_size(self) -> QSize:
        """The smallest size at which this view shows its labels and plots readably."""
        line = self.line_px()
        return QSize(int(24 * line), int(12 * line))


class PlotView(IOView):
    """A view made of pyqtgraph plots stacked in one GraphicsLayoutWidget, each with a cursor."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(4)
        layout.addWidget(self.graphics)
        self.even_rows = EvenRows(self.graphics)  # stacked plots get view boxes of one height
        self.plots: list[pg.PlotItem] = []
        self.cursors: list[pg.InfiniteLine] = []
        self.titles: dict[int, tuple[str, str]] = {}
        self.memory_band = None  # io_memory.MemoryBand on memory_plot(), made on the first shading
        self.original_curves: list[tuple[pg.PlotDataItem, int]] = []  # (item, colour index), made by rebuild
        self.masked_items: list[tuple[pg.PlotItem, MaskedSteps]] = []  # grey over Keras-masked steps (issue 14)

    def add_original_curve(self, plot: pg.PlotItem, k: int, style=Qt.PenStyle.DashLine) -> pg.PlotDataItem:
        """An empty, hidden curve for the original run's version of series ``k`` (colour
        SERIES_COLOURS[k], faint, ``style``), behind the intervened one; ``show_original`` fills it."""
        item = plot.plot()
        item.setZValue(-1)
        item.setVisible(False)
        item.gateviz_style = style
        self.original_curves.append((item, k))
        return item

    @staticmethod
    def show_original(item: pg.PlotDataItem, x: np.ndarray | None, y: np.ndarray | None) -> None:
        """Set an original curve's data and show it; hide it when ``y`` is None."""
        if y is None:
            item.setVisible(False)
            item.setData([], [])
            return
        with np.errstate(over="ignore"):
            item.setData(np.asarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.float32), connect="finite")
        item.setVisible(True)

    def memory_plot(self) -> pg.PlotItem | None:
        """The plot whose time axis the memory shading runs along (the input's); None: no shading."""
        return self.plots[0] if self.plots else None

    def memory_strip(self) -> tuple[float, float] | None:
        """(y0, y1) of an opaque shading strip in ``memory_plot``; None: shade behind its curves."""
        return None

    def on_gradients(self, shade) -> None:
        from .io_memory import MemoryBand  # io_memory builds on this module

        plot = self.memory_plot()
        band = self.memory_band
        if band is not None and band.plot is not plot:  # a rebuild made new plots
            band = self.memory_band = None
        if shade is None or plot is None:
            if band is not None:
                band.set(None)
            return
        if band is None:
            band = self.memory_band = MemoryBand(plot, self.state.trace.length, self.memory_strip())
            band.apply_theme(self.state.theme)
        band.set(shade)

    def fit_y(self, plot: pg.PlotItem, lo: float, hi: float) -> None:
        """Show ``lo``..``hi`` with round y ticks, as many as the plot's height has room for, and
        room for the end labels; kept so when the plot is resized."""
        y_fit(plot).set_range(lo, hi)

    def add_plot(self, row: int, title: str, small: str = "", cursor: bool = True, **kw) -> pg.PlotItem:
        plot = new_plot(self.graphics.ci, row, **kw)
        self.plots.append(plot)
        self.even_rows.watch(plot)
        self.titles[id(plot)] = (title, small)
        if cursor:  # a plot with a cursor has the step on x: it greys the steps a Keras mask skips
            self.cursors.append(new_cursor(plot))
            self.masked_items = [(p, m) for p, m in self.masked_items if p in self.plots]  # not a rebuilt view's
            masked = add_masked_steps(plot, self.state.trace)
            if masked is not None:
                self.masked_items.append((plot, masked))
        return plot

    def raise_masked_over_images(self) -> None:
        """Behind lines the masked steps' grey is light; over an image (many features, a row per class) it
        would be hidden behind it, so there it lies over the image, as in the heatmaps."""
        for plot, item in self.masked_items:
            if any(isinstance(i, pg.ImageItem) and i.isVisible() for i in plot.items):
                item.setZValue(15)
                item.brush.setColor(MASKED_GREY)

    def on_step(self, step: int) -> None:
        for c in self.cursors:
            c.setValue(step)

    def plot_need(self, plot: pg.PlotItem, width: float, lines: float = MIN_VIEW_LINES) -> float:
        """The height one plot needs at a view ``width``: its (wrapped) title, ``lines`` tick
        labels of plot, its bottom axis."""
        text = plot.titleLabel.item
        title = 0.0
        if plot.titleLabel.isVisible() and text.toPlainText():
            doc = text.document().clone()
            doc.setDocumentMargin(1)
            doc.setTextWidth(-1)  # its one-line width (the title may be wrapped for the current size)
            room = self.title_room(plot, width)
            doc.setTextWidth(room if room > 40 and doc.idealWidth() > room else -1)
            title = doc.size().height() + 2
        bottom = plot.getAxis("bottom")
        axis = bottom_axis_height(bottom) if bottom.isVisible() else 0.0
        return title + lines * label_px(plot.getAxis("left")) + axis

    def readable_size(self) -> QSize:
        """Each plot row at least MIN_VIEW_LINES tick labels tall with its title and axis, at a
        width of about 26 tick labels (room for the x labels and a two-line title)."""
        if not self.plots:
            return super().readable_size()
        line = self.line_px()
        width = 26 * line
        rows: dict[int, float] = {}
        for plot in self.plots:
            row = self._row_of(plot)
            rows[row] = max(rows.get(row, 0.0), self.plot_need(plot, width))
        spacing = self.graphics.ci.layout.verticalSpacing() * (len(rows) - 1)
        return QSize(int(np.ceil(width)), int(np.ceil(sum(rows.values()) + spacing + 2)))

    def _row_of(self, plot: pg.PlotItem) -> int:
        cells = self.graphics.ci.items.get(plot) or [(0, 0)]  # (row, column) of every cell it spans
        return cells[0][0]

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
        for item, k in self.original_curves:
            item.setPen(original_pen(series_colour(k, theme), theme, style=item.gateviz_style))
        if self.memory_band is not None:
            self.memory_band.apply_theme(theme)
        # room at the right for the last x tick label, which is centred on the plot's right edge
        self.graphics.ci.setContentsMargins(1, 1, int(theme.font_pt * 1.6), 1)
        self._fit_titles()
        for plot in self.plots:
            fit = getattr(plot, "gateviz_y_fit", None)
            if fit is not None:
                fit.refit()  # the tick font changed

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_titles()

    def title_room(self, plot: pg.PlotItem, width: float | None = None) -> float:
        """The width a plot's title may take at a view ``width``: the view box's column, right of
        the left axis (wider text would widen the plot past the panel's edge)."""
        width = self.width() if width is None else width
        columns = max(1, self.graphics.ci.layout.columnCount())
        return (width - self.graphics.ci.layout.getContentsMargins()[2]) / columns - plot.getAxis("left").width() - 16

    def _fit_titles(self) -> None:
        """Wrap a title (with its legend) that is wider than its column onto more lines, in a row
        as tall as its lines.

        pyqtgraph makes a plot at least as wide as its title's one line; a long legend in
        presentation fonts would otherwise push the plots past the panel's right edge."""
        for plot in self.plots:
            room = self.title_room(plot)
            label = plot.titleLabel
            text = label.item
            text.document().setDocumentMargin(1)  # Qt's 4 px above and below cost the plot 6 px
            text.setTextWidth(-1)  # one line: its natural width
            if room > 40 and text.boundingRect().width() > room:
                option = text.document().defaultTextOption()
                option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                text.document().setDefaultTextOption(option)
                text.setTextWidth(room)
            height = int(np.ceil(text.boundingRect().height())) + 2
            plot.layout.setRowFixedHeight(0, height)
            label.setMaximumHeight(height)
            label.updateMin()  # the label's minimum size follows the (wrapped) text
            label.resizeEvent(None)
            label.updateGeometry()
            text.update()  # a cached title (cache_static_items) must be redrawn at its new width
        relayout(self.graphics)


def _series_block(plot: pg.PlotItem, data: np.ndarray, names: list[str], levels=None):
    """Lines for up to MAX_LINES columns of data (T, K), an image (K rows) beyond that.

    Returns the created items (to restyle them on theme changes).
    """
    T, K = data.shape
    steps = np.arange(T, dtype=np.float32)
    if K <= MAX_LINES:
        items = []
        for k in range(K):
            item = plot.plot(steps, line_column(data, k), name=names[k])
            cache_static(item, T)
            items.append(item)
        fit_lines_y(plot, data)
        plot.invertY(False)
        return items
    image = pg.ImageItem(axisOrder="row-major")
    with np.errstate(over="ignore"):
        img = np.ascontiguousarray(data.T, dtype=np.float32)  # (K, T)
    if levels is None:
        levels = finite_range(img, pad_flat=False)
    image.setImage(img, levels=levels, autoLevels=False)
    image.setColorMap(pg.colormap.get("viridis"))
    image.setRect(QRectF(0, 0, T, K))
    plot.addItem(image)
    plot.invertY(True)
    plot.setYRange(0, K, padding=0)
    return [image]


def line_column(data: np.ndarray, k: int) -> np.ndarray:
    """Column ``k`` of (T, K) ``data`` as a line's contiguous float32 y values."""
    with np.errstate(over="ignore"):  # beyond float32 is ±inf, drawn off the plot like NaN gaps
        return np.ascontiguousarray(data[:, k], dtype=np.float32)


def fit_lines_y(plot: pg.PlotItem, data: np.ndarray) -> None:
    """Show every finite value of ``data`` on ``plot``'s y axis, with 6% of room above and below."""
    lo, hi = finite_range(data)
    pad = 0.06 * (hi - lo)
    plot.setYRange(lo - pad, hi + pad, padding=0)


def finite_range(data: np.ndarray, *, pad_flat: bool = True) -> tuple[float, float]:
    """(lo, hi) of the finite values, kept within what a view range can hold (values near ±1e308 would
    overflow to ±inf once padded); (-1, 1) when nothing is finite (all NaN). ``pad_flat`` widens a flat
    series by 1 each way, else only hi moves."""
    a = np.asarray(data)
    lo = hi = math.nan
    if a.size and a.dtype.kind == "f":  # all finite (the usual case): min and max, no filtered copy
        lo, hi = float(np.min(a)), float(np.max(a))  # NaN when a NaN is there
    if not (math.isfinite(lo) and math.isfinite(hi)):
        finite = np.asarray(data, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if not finite.size:
            return -1.0, 1.0
        lo, hi = float(finite.min()), float(finite.max())
    lo, hi = (float(np.clip(v, -1e300, 1e300)) for v in (lo, hi))
    if hi - lo < 1e-9:
        return (lo - 1, hi + 1) if pad_flat else (lo, lo + 1)
    return lo, hi
