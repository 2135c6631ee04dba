"""What every panel shares: gate descriptions, value ranges, colour maps, theme styling, the base class.

A panel is a QWidget built as ``Panel(state, parent=None)``. It draws what the state holds at
construction and listens to the state's four signals:

    traceChanged      -> rebuild()        (new arrays: update items in place, create them only
                                            when the cell kind / layout changes)
    stepChanged(int)  -> on_step(step)    (cheap: move cursors, relabel; never redraw images)
    selectionChanged  -> on_selection()   (layer/direction, pinned units, row order)
    themeChanged      -> apply_theme()
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmapCache
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsObject, QGraphicsTextItem, QGraphicsView,
                               QWidget)

from gateviz.core.view_products import levels_for, nonfinite_counts, symmetric_limit, unit_limits  # noqa: F401 (the panels' names)
from gateviz.core.trace import SIGMOID_GATES, SYMBOLS
from gateviz.ui.guard import guarded
from gateviz.ui.state import Theme, ViewState

from . import axis_labels, notation

pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")
axis_labels.install()  # before any axis is made: unchanged labels are not re-parsed on every range change


@dataclass(frozen=True)
class QuantityInfo:
    symbol: str
    name: str
    kind: str  # "sigmoid" (0..1), "tanh" (-1..1) or "cell" (unbounded, symmetric range from data)
    tip: str  # one sentence with the formula, for tooltips


translate = QCoreApplication.translate

# the notation (time indices, one form for every gate) lives in notation.py; GRU formulas follow the
# frameworks' (Cho 2014) convention unless the theme asks for the textbook one (gate-conventions.md §5)
QUANTITY_INFO: dict[str, QuantityInfo] = {
    q: QuantityInfo(notation.symbol(q), name, kind, notation.TIPS[q]) for q, name, kind in (
        ("input_gate", QT_TRANSLATE_NOOP("Quantity", "input gate"), "sigmoid"),
        ("forget_gate", QT_TRANSLATE_NOOP("Quantity", "forget gate"), "sigmoid"),
        ("cell_candidate", QT_TRANSLATE_NOOP("Quantity", "cell candidate"), "tanh"),
        ("output_gate", QT_TRANSLATE_NOOP("Quantity", "output gate"), "sigmoid"),
        ("cell_state", QT_TRANSLATE_NOOP("Quantity", "cell state"), "cell"),
        ("hidden_state", QT_TRANSLATE_NOOP("Quantity", "hidden state"), "tanh"),
        ("reset_gate", QT_TRANSLATE_NOOP("Quantity", "reset gate"), "sigmoid"),
        ("update_gate", QT_TRANSLATE_NOOP("Quantity", "update gate"), "sigmoid"),
        ("candidate", QT_TRANSLATE_NOOP("Quantity", "candidate"), "tanh"))}  # English: display_info translates

HIDDEN_TIPS = notation.HIDDEN_TIPS

DIVERGING_MAP = "CET-D1A"  # blue-white-red, for signed quantities (g, n, c, h)
# NaN values (a model with a NaN weight) are drawn in a colour that none of the colour maps holds
# (viridis, cividis, magma, CET-D1A) and that the plots' titles and the cell diagram name
NAN_COLOUR = "#ff00ff"


def nan_note(a: np.ndarray | None, theme: Theme, counts: tuple[int, int] | None = None) -> str:
    """Title markup that explains the NaN colour ("■ NaN: 1568 values") when ``a`` holds NaN; "" otherwise.
    ``counts``: ``a``'s (NaN, ±inf) counts when known (view_products), so no pass over ``a`` is made."""
    n_nan, n_inf = counts if counts is not None else nonfinite_counts(a)
    parts = []
    if n_nan:
        text = (translate("Panels", "NaN: {n} values") if n_nan != 1 else translate("Panels", "NaN: {n} value"))
        parts.append(f"<span style='color:{NAN_COLOUR}'>■</span> " + text.format(n=n_nan))
    if n_inf:
        parts.append(translate("Panels", "±inf: {n} at the range's ends").format(n=n_inf))
    if not parts:
        return ""
    return f" <span style='color:{theme.foreground}; font-size:{theme.font_pt - 1}pt'>&nbsp;{' · '.join(parts)}</span>"


def direction_name(direction: str) -> str:
    """'forward' / 'backward' in the interface language (the state keeps the English key)."""
    names = {"forward": QT_TRANSLATE_NOOP("Panels", "forward"), "backward": QT_TRANSLATE_NOOP("Panels", "backward")}
    return translate("Panels", names[direction]) if direction in names else direction


# what y is (gateviz.core.gradients._definition, Qt-free and English): its patterns, to say it again
# in the interface language; a definition matching none is shown as it is
_STEP = r" at step (?P<step>\d+)"
_DEFINITIONS = (
    (re.compile(r"h of unit (?P<unit>\d+) \(layer (?P<layer>\d+) (?P<direction>forward|backward)\)" + _STEP + "$"),
     QT_TRANSLATE_NOOP("Panels", "h of unit {unit} (layer {layer} {direction}) at step {step}")),
    (re.compile(r"sum of layer (?P<layer>\d+)'s output" + _STEP + r" \(the head reads only the final states\)$"),
     QT_TRANSLATE_NOOP("Panels", "sum of layer {layer}'s output at step {step} (the head reads only the final "
                                 "states)")),
    (re.compile(r"sum of layer (?P<layer>\d+)'s output" + _STEP + "$"),
     QT_TRANSLATE_NOOP("Panels", "sum of layer {layer}'s output at step {step}")),
    (re.compile(r"sum of the model's outputs" + _STEP + "$"),
     QT_TRANSLATE_NOOP("Panels", "sum of the model's outputs at step {step}")),
    (re.compile(r"log p\((?P<name>.*)\) \(predicted\)" + _STEP + "$"),
     QT_TRANSLATE_NOOP("Panels", "log p({name}) (predicted) at step {step}")),
    (re.compile(r"log p\((?P<name>.*)\)" + _STEP + "$"), QT_TRANSLATE_NOOP("Panels", "log p({name}) at step {step}")),
    (re.compile(r"output (?P<name>.*)" + _STEP + "$"), QT_TRANSLATE_NOOP("Panels", "output {name} at step {step}")),
)


def gradient_definition(definition: str) -> str:
    """What y is ("log p(depth 0) (predicted) at step 36", made by the Qt-free core in English) in the
    interface language; the same text in English."""
    intervened = definition.endswith(" (intervened run)")
    core = definition[: -len(" (intervened run)")] if intervened else definition
    for pattern, template in _DEFINITIONS:
        m = pattern.match(core)
        if m:
            parts = m.groupdict()
            if "direction" in parts:
                parts["direction"] = direction_name(parts["direction"])
            core = translate("Panels", template)
            for key, value in parts.items():  # not str.format: a class name may hold braces
                core = core.replace("{" + key + "}", value)
            break
    return core + (translate("Panels", " (intervened run)") if intervened else "")


def tooltip(quantity: str, cell: str, convention: str = "framework") -> str:
    """One sentence with the quantity's formula; ``convention``: the GRU convention shown (Theme.gru_convention)."""
    return notation.tip(quantity, cell, convention)


def display_info(quantity: str, theme: Theme) -> QuantityInfo:
    """The quantity as the panels show it under the theme's GRU convention, in the interface language:
    the textbook update gate is the frameworks' 1 − z (its name says so) and the textbook candidate is
    written h̃."""
    info = QUANTITY_INFO[quantity]
    name = translate("Quantity", info.name)
    if theme.gru_convention != "textbook" or quantity not in ("update_gate", "candidate", "reset_gate"):
        return QuantityInfo(info.symbol, name, info.kind, notation.tip(quantity, ""))
    if quantity == "update_gate":
        name = translate("Quantity", "update gate (textbook: 1 − z of PyTorch)")
    return QuantityInfo(notation.symbol(quantity, "textbook"), name, info.kind,
                        notation.tip(quantity, "gru", "textbook"))


def per_unit_scaled(quantity: str, theme: Theme) -> bool:
    """Does this quantity's heatmap show each unit against its own range (View > Cell state per unit)?"""
    return QUANTITY_INFO[quantity].kind == "cell" and theme.cell_scale == "unit"


def title_html(quantity: str, theme: Theme, per_unit: bool = False) -> str:
    """A plot title: symbol, name and range; ``per_unit`` when each unit is shown against its own max."""
    info = display_info(quantity, theme)
    rng = {"sigmoid": "σ ∈ [0, 1]", "tanh": "∈ [−1, 1]", "cell": translate("Panels", "unbounded")}[info.kind]
    if per_unit:
        rng = translate("Panels", "each unit ÷ its max |c|")
    return (f"<span style='color:{theme.foreground}; font-size:{theme.font_pt + 1}pt'><b>{info.symbol}</b>"
            f"&nbsp; {info.name}</span> <span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'>"
            f"&nbsp;{rng}</span>")


def colormap_for(quantity: str, theme: Theme) -> pg.ColorMap:
    if quantity in SIGMOID_GATES:
        return pg.colormap.get(theme.colormap if theme.colormap in pg.colormap.listMaps() else "viridis")
    return pg.colormap.get(DIVERGING_MAP)


def muted(theme: Theme) -> str:
    return "#707070" if theme.name == "light" else "#a0a0a0"


def grid_colour(theme: Theme) -> QColor:
    c = QColor(theme.foreground)
    c.setAlpha(40)
    return c


LONG_CURVE = 600  # points


# blocks of samples per pixel column a long curve keeps (pyqtgraph: 5): with "peak" downsampling
# each block is a min-max stroke, so one per column draws the same envelope as more (renders at
# 1600x900 differ only in which line's spike lands on top) with half the segments of 2: a
# 100k-step trace's eight input lines painted in ~26 instead of ~35 ms
DOWNSAMPLE_PER_PIXEL = 1.0
DENSE_PER_PIXEL = 2.0  # visible steps per pixel column from which a line is drawn without antialiasing


def shows_dense(item: pg.PlotDataItem) -> bool:
    """Whether ``item`` (a line over evenly spaced steps) shows at least DENSE_PER_PIXEL steps per
    pixel column of its view box as the view stands: then pyqtgraph draws each column's min and max
    joined by near-vertical segments."""
    vb, xs = item.getViewBox(), item.xData
    if vb is None or xs is None or len(xs) < 2 or vb.width() <= 0:
        return False
    spacing = (float(xs[-1]) - float(xs[0])) / (len(xs) - 1)
    if not spacing > 0:
        return False
    x0, x1 = vb.viewRange()[0]
    visible = min(x1, float(xs[-1])) - max(x0, float(xs[0]))
    return visible / spacing >= DENSE_PER_PIXEL * vb.width()


def _update_items_antialiased_where_sparse(item: pg.PlotDataItem, styleUpdate: bool = True) -> None:  # noqa: N803
    # pyqtgraph calls this on new data and on every view range change (its downsampling follows the
    # range); it hands the item's antialias option to the curve each time
    item.opts["antialias"] = not shows_dense(item)
    pg.PlotDataItem.updateItems(item, styleUpdate)


def cache_static(item, n_points: int = 0) -> None:
    """Cache a curve that does not change with the step as a device pixmap.

    Antialiased 2000-point curves cost milliseconds to stroke; with the cache a cursor move
    blits them instead. Qt drops the cache when the item's data or the view transform change.
    """
    target = getattr(item, "curve", item)  # a PlotDataItem draws through its PlotCurveItem child
    target.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    # Qt strokes a wide antialiased polyline ~15x slower than separate segments. Segments show faint
    # dots at their joints, invisible only where joints are dense: long curves get segments, short
    # ones (cheap anyway) stay one clean path.
    if hasattr(target, "opts") and "segmentedLineMode" in target.opts:
        target.opts["segmentedLineMode"] = "on" if n_points > LONG_CURVE else "auto"
    if isinstance(item, pg.PlotDataItem):
        # a long curve's auto "peak" downsampling keeps min and max of one block per pixel column
        # instead of pyqtgraph's ~5 (10 points per pixel): the same envelope, 5x fewer segments to
        # stroke (a 100k-step input line was 30 ms a paint)
        item.opts["autoDownsampleFactor"] = DOWNSAMPLE_PER_PIXEL
        # A dense line (2+ steps per pixel column: every column a near-vertical min-max stroke) is drawn
        # without antialiasing, which changes nothing a pixel column can show but strokes ~3x faster
        # (eight noisy 100k-step input lines: ~20 -> ~6 ms each); zoomed in until it is sparse, or
        # exported (pyqtgraph's exports force antialiasing), it is antialiased as before.
        if n_points > LONG_CURVE:
            item.updateItems = types.MethodType(_update_items_antialiased_where_sparse, item)
        else:
            item.__dict__.pop("updateItems", None)
            item.opts["antialias"] = pg.getConfigOption("antialias")


def mark_dynamic(item):
    """Keep ``item`` out of ``cache_static_items``: it changes with the step (a cursor, a marker)."""
    item.gateviz_dynamic = True
    return item


_STATIC_KINDS = (pg.AxisItem, pg.ImageItem, pg.PlotCurveItem, pg.ScatterPlotItem, pg.BarGraphItem, pg.InfiniteLine,
                 QGraphicsTextItem)  # InfiniteLine: fixed ones (zero lines, boundaries); TimeCursor is dynamic


def cache_static_items(view: pg.GraphicsView) -> None:
    """Give every item of ``view`` that draws something and does not change with the step a
    device-pixel cache (axes with their grids, heatmap images, curves, titles, scatters).

    A step then repaints thin stripes around the moving cursors and markers, and inside them
    Qt blits the cached pixels instead of calling each item's (Python) paint and re-stroking
    or re-scaling it. Qt drops an item's cache when the item changes or the view is resized
    or zoomed; vector export (SVG, PDF) switches caches off while it draws.
    """
    for item in view.items():
        if isinstance(item, pg.ViewBox) and item.border.style() == Qt.PenStyle.NoPen:
            # a view box without border paints nothing itself: skip its Python paint() per exposure
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        if isinstance(item, _STATIC_KINDS) and not getattr(item, "gateviz_dynamic", False) \
                and item.cacheMode() == QGraphicsItem.CacheMode.NoCache:
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class TimeCursor(pg.InfiniteLine):
    """The vertical time cursor: an InfiniteLine whose ``setValue`` is one C++ ``setPos``.

    pyqtgraph's ``InfiniteLine.setPos`` recomputes the line's bounding rect (Python, ~40 us)
    and notifies the view box on every move. A vertical line's bounding rect in its own
    coordinates does not depend on where it sits along x, so a move keeps it; pyqtgraph
    still recomputes it when the view range or size changes (``viewTransformChanged``).
    """

    def __init__(self, **kwargs):
        super().__init__(angle=90, movable=False, **kwargs)
        # no itemChange round trip into Python per move (the view box ignores it: auto-range is off)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges, False)
        mark_dynamic(self)

    def setValue(self, v) -> None:  # noqa: N802 (pyqtgraph's name)
        x = float(v)
        if self.p[0] != x:
            self.p = [x, 0.0]
            QGraphicsObject.setPos(self, QPointF(x, 0.0))


class EncoderBoundary(pg.InfiniteLine):
    """Where a decoder traced with its encoder takes over (core/seq2seq.py): a dashed vertical line
    between the encoder's last step and the decoder's first, labelled on the panel's top plot.
    Created once per plot; ``update_for(trace)`` moves or hides it."""

    stays_in_figures = True  # a still figure keeps it (time cursors over heatmaps become triangles)

    def __init__(self, labelled: bool = False):
        super().__init__(angle=90, movable=False, pen=pg.mkPen((230, 160, 40), width=2, style=Qt.PenStyle.DashLine),
                         label=translate("Panels", "encoder │ decoder") if labelled else None,
                         labelOpts={"position": 0.97, "anchors": [(0.5, 0), (0.5, 0)], "color": (230, 160, 40)})
        self.setZValue(20)
        self.setVisible(False)

    def update_for(self, trace) -> None:
        steps = trace.meta.get("encoder_steps") if trace is not None else None
        self.setVisible(bool(steps))
        if steps:
            self.setValue(steps - 0.5)  # step t is centred on x = t


class StepMarker(QGraphicsEllipseItem):
    """A round marker of fixed pixel size at a data point (the value at the current step).

    Drawn by Qt (a vector ellipse, so SVG/PDF exports keep it a shape) and moved with one
    ``setPos`` per step, where a one-point ScatterPlotItem costs ~0.2 ms per ``setData`` and
    again per paint.
    """

    def __init__(self, size: float = 7.0):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # size in pixels
        self.set_size(size)
        mark_dynamic(self)

    def set_size(self, size: float) -> None:
        self.setRect(-size / 2, -size / 2, size, size)

    @guarded
    def paint(self, painter, option, widget=None) -> None:
        # pyqtgraph's views leave antialiasing to each item; a round marker needs it
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        super().paint(painter, option, widget)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph's name)
        """([x], [y]) like a one-point ScatterPlotItem."""
        return np.array([self.x()]), np.array([self.y()])


# The item caches live in QPixmapCache (10 MB by default): a dashboard of long curves at full-HD
# needs more, or every frame evicts and re-renders them.
if QPixmapCache.cacheLimit() < 128 * 1024:
    QPixmapCache.setCacheLimit(128 * 1024)  # KB


def symbol(quantity: str) -> str:
    return SYMBOLS.get(quantity, quantity)


def tick_font(theme: Theme) -> QFont:
    """The font of axis tick labels (one point below the theme's)."""
    font = QFont()
    font.setPointSize(max(6, theme.font_pt - 1))
    return font


def title_font(theme: Theme) -> QFont:
    """The font of a plot title's symbol and name (``title_html``: one point above the theme's)."""
    font = QFont()
    font.setPointSize(theme.font_pt + 1)
    font.setBold(True)
    return font


def style_axis(axis: pg.AxisItem, theme: Theme) -> None:
    fg = theme.foreground
    axis.setPen(pg.mkPen(fg, width=1))
    axis.setTextPen(pg.mkPen(fg))
    axis.setStyle(tickFont=tick_font(theme))
    if axis.labelText:
        axis.setLabel(axis.labelText, units=axis.labelUnits, color=fg, **{"font-size": f"{theme.font_pt}pt"})


def style_plot(plot: pg.PlotItem, theme: Theme) -> None:
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        style_axis(axis, theme)


class Panel(QWidget):
    """Base class: wires the state's signals to the four hooks and draws the current state."""

    panel_id = ""
    title = ""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(self.description())
        self.build()
        # the hooks run guarded: an exception in one panel is reported and the others still update
        state.traceChanged.connect(self._trace_changed)
        state.stepChanged.connect(self._follow_step)
        state.selectionChanged.connect(self._selection_changed)
        state.themeChanged.connect(self._theme_changed)
        # after the hooks above (slots run in connection order): cache what they (re)created
        for signal in (state.traceChanged, state.selectionChanged, state.themeChanged):
            signal.connect(self._cache_static)
        self._theme_changed()
        if state.trace is not None:
            self._trace_changed()
        self._cache_static()

    _step_pending = False
    # a long trace shown panel by panel (ui/staged_show.py): while deferring, a new trace only marks
    # the panel pending, and selection, step and cache work wait for ``catch_up``
    _deferring = False
    _trace_pending = False
    _selection_pending = False  # a layer, direction or pin change on a long trace, also caught up in a pass

    def defer_trace(self) -> None:
        """Until ``catch_up``: a new trace only marks this panel pending."""
        self._deferring = True

    @guarded
    def catch_up(self) -> None:
        """Take the trace that arrived while deferring (its rebuild, the current step, the caches)."""
        self._deferring = False
        rebuild, self._trace_pending = self._trace_pending, False
        select, self._selection_pending = self._selection_pending, False
        if not (rebuild or select):
            return
        if self.state.trace is not None:
            if rebuild:
                self.rebuild()
            else:
                self.on_selection()
            self._follow_step(self.state.step)  # a hidden panel waits until shown, as for any step
        self.cache_static()

    # bound methods, not lambdas holding self: PySide keeps bound slots weakly
    @guarded
    def _trace_changed(self) -> None:
        if self._deferring:
            self._trace_pending = True
            return
        self.rebuild()

    @guarded
    def _selection_changed(self) -> None:
        if self._trace_pending or self._selection_pending:
            return  # the catch-up to come shows the new selection
        stager = getattr(self.state, "stager", None)  # the window's StagedShow (none for a bare state)
        if stager is not None and stager.stages(self.state.trace):
            stager.defer_selection(self)  # a long trace: each panel follows in a pass of its own
            return
        self.on_selection()

    @guarded
    def _theme_changed(self) -> None:
        self.apply_theme()

    @guarded
    def _cache_static(self) -> None:
        if self._trace_pending or self._selection_pending:
            return
        self.cache_static()

    @guarded
    def _follow_step(self, step: int) -> None:
        if self._trace_pending or self._selection_pending:
            return  # catch_up moves to the step
        # a panel the user hid (View menu) skips step work and catches up when shown again;
        # a parentless panel (tests, headless export) always follows
        if self.isHidden() and self.parentWidget() is not None:
            self._step_pending = True
            return
        self.on_step(step)

    @guarded
    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._step_pending:
            self._step_pending = False
            if self.state.trace is not None:
                self.on_step(self.state.step)

    def cache_static(self) -> None:
        for view in self.findChildren(pg.GraphicsView):
            cache_static_items(view)
            # a step dirties thin stripes (cursors, markers) in several plots; repainting their
            # bounding rectangle from the item caches costs less than clipping to a region of
            # dozens of small rectangles (traces: ~1.7 -> ~1.0 ms a step)
            view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)

    # ---- hooks ------------------------------------------------------------------
    def description(self) -> str:
        return translate("Dashboard", self.title)  # the titles' translations: PANEL_TITLES (dashboard.py)

    def build(self) -> None:
        """Create the widgets that do not depend on the trace."""

    def rebuild(self) -> None:
        raise NotImplementedError

    def on_step(self, step: int) -> None:
        raise NotImplementedError

    def on_selection(self) -> None:
        self.rebuild()

    def apply_theme(self) -> None:
        raise NotImplementedError

    def readable_size(self) -> QSize:
        """The smallest size (logical pixels) at which this panel, in the current theme, shows every
        label without overlap or clipping and every plot with a usable height.

        Layouts never squeeze a panel below it: in presentation mode on a small screen they show
        fewer panels instead. Panels override it with what their own content needs.
        """
        px = self.state.theme.font_pt * 96 / 72  # the theme's font size in logical pixels
        return QSize(int(24 * px), int(12 * px))
