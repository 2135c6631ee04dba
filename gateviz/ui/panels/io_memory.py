"""Which earlier inputs matter now (issue 12), drawn on the input itself: every io view shades its
input by the connectivity ||dy/dx_t|| of the target y at step t* (Madsen, "Visualizing memorization
in RNNs", Distill 2019), normalised to its largest value over t, and marks t*.

``memory_shade(state)`` reads the newest gradients (``state.gradients``, filled off the GUI thread
by ``GradientFollower``) and says what to draw, or None when the shading is off (the view state's
``show_memory``), not computed yet, or belongs to another trace. One accent colour, from nothing
(the background) at 0 to the full accent at the largest connectivity: ``shade_colour`` for painted
cells (text, bits), ``MemoryBand`` for plots (a one-row image behind the curves, updated in place
with ``setImage``), ``RowShade`` for an image read row by row, ``MemoryKey`` for the row above the
view that says what the shading is, with its 0..max scale (``MemoryLegend``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QHBoxLayout, QWidget

from gateviz.ui.guard import guarded

from .common import gradient_definition, mark_dynamic, translate
from .io_base import shade_colour
from .io_chargrid import ColourLegend

# Okabe-Ito orange on both themes: apart from the plots' series colours (blue, vermillion, green),
# the blue of the bits and the magenta of NaN; it darkens the light background and brightens the
# dark one, and text stays readable on every blend (readable_on picks black or white per cell)
ACCENT = {"light": "#E69F00", "dark": "#E69F00"}
# t*'s mark, drawn over the accent: dark brown on the light theme, pale on the dark one
MARK = {"light": "#7A3E00", "dark": "#FFE2A6"}
BAND_ALPHA = 0.55  # a plot's band at the largest connectivity: curves stay visible through it


def accent(theme) -> QColor:
    return QColor(ACCENT.get(theme.name, ACCENT["light"]))


def mark_colour(theme) -> QColor:
    return QColor(MARK.get(theme.name, MARK["light"]))


@dataclass
class MemoryShade:
    """What the views draw: ``levels`` (T,) in [0, 1] (NaN where the gradient is NaN), t*, and
    the words for the caption."""

    levels: np.ndarray
    step: int  # t*
    definition: str  # what y is, one line
    peak: float  # the largest ||dy/dx_t||, the legend's "max"
    peak_step: int
    embedding: bool  # x_t is a token's embedding vector


def memory_shade(state) -> MemoryShade | None:
    """The shading for the state's trace, or None (off, not computed yet, another trace's)."""
    g = getattr(state, "gradients", None)
    trace = state.trace
    if not state.show_memory or g is None or trace is None:
        return None
    c = np.asarray(g.connectivity, dtype=np.float64)  # (T,)
    step = g.target.step
    if c.ndim != 1 or len(c) != trace.length or step is None or not 0 <= step < len(c):
        return None  # a late result for a previous trace
    finite = np.isfinite(c)
    peak = float(c[finite].max()) if finite.any() else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        levels = np.where(finite, c / peak if peak > 0 else 0.0, np.nan).astype(np.float32)
    levels[np.isinf(c)] = 1.0  # an overflowed gradient: as strong as it gets
    return MemoryShade(levels, int(step), g.definition, peak,
                       int(np.nanargmax(np.where(finite, c, -1.0))) if finite.any() else int(step),
                       (g.meta or {}).get("input") == "embedding vector")


def placeholder_shade(state) -> MemoryShade:
    """A shading as long in words as a typical one, before any gradients (to size the caption)."""
    T = state.trace.length if state.trace is not None else 1
    embedding = state.model is not None and state.model.input.kind == "embedding"
    return MemoryShade(np.zeros(T, dtype=np.float32), T - 1, f"sum of the model's outputs at step {T - 1}",
                       0.00123, T - 1, embedding)


def memory_caption(shade: MemoryShade, mark: str) -> str:
    """One line of plain text: what the shading shows, for which y, how t* is marked (``mark``,
    e.g. "▼ at t*")."""
    x = translate("IO", " (x_t: an embedding)") if shade.embedding else ""
    return translate("IO", "shading ‖∂y/∂xₜ‖{x} for y = {y}, {mark}: which earlier inputs matter now").format(
        x=x, y=gradient_definition(shade.definition), mark=mark)


def memory_tip(shade: MemoryShade, mark: str) -> str:
    """The key's tooltip: its words and the scale's largest value."""
    return memory_caption(shade, mark) + translate(
        "IO", ".\nEach input step t is shaded by ‖∂y/∂xₜ‖, the size of the gradient of y with respect to the input "
        "at step t, relative to its largest: {peak} at step {step}.").format(peak=f"{shade.peak:.3g}",
                                                                          step=shade.peak_step)


class MemoryLegend(ColourLegend):
    """"0 [background → accent] max": the shading's scale, beside the io panel's caption."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.accent = QColor(ACCENT["light"])
        self.ends = ("0", translate("IO", "max"))
        self.setToolTip(translate("IO", "Which earlier inputs matter now: each input step shaded by ||∂y/∂x_t||, "
                                  "the size of the gradient of y (at step t*) with respect to the input at step t, "
                                  "from 0 to its largest over t"))

    BAR_EMS = 4

    def colour_at(self, t: float) -> QColor:
        return shade_colour(t, self.background, self.accent)


class MemoryBand:
    """A plot's shading along time: a one-row image behind the curves (x = step, the plot's full
    height), its colour the accent with an alpha rising with connectivity; a ▼ at t* at the top.
    With ``strip`` (y0, y1): an opaque strip there instead, over whatever the plot draws (a plot
    that shows its input as an image has no background left to shade).

    Created once per plot; ``set`` updates both in place."""

    def __init__(self, plot: pg.PlotItem, length: int, strip: tuple[float, float] | None = None):
        self.plot, self.length, self.strip = plot, length, strip
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-50 if strip is None else 10)  # behind the curves and the grid
        mark_dynamic(self.image)  # it changes with the step: no device cache to rebuild each time
        plot.addItem(self.image)
        self.marker = mark_dynamic(pg.ScatterPlotItem(pxMode=True, symbol="t", size=14))
        self.marker.setZValue(40)
        plot.addItem(self.marker)
        plot.vb.sigYRangeChanged.connect(self._fit_height)
        self._levels = np.zeros((1, length), dtype=np.float32)
        self.visible = False
        self.image.setVisible(False)
        self.marker.setVisible(False)

    def apply_theme(self, theme) -> None:
        colour = accent(theme)
        lut = np.zeros((256, 4), dtype=np.uint8)  # transparent at 0 up to the accent at BAND_ALPHA
        if self.strip is None:
            lut[:, :3] = (colour.red(), colour.green(), colour.blue())
            lut[:, 3] = np.round(np.linspace(0.0, 255 * BAND_ALPHA, 256)).astype(np.uint8)
        else:  # opaque: the background blended toward the accent
            lut[:] = [shade_colour(t, QColor(theme.background), colour).getRgb() for t in np.linspace(0, 1, 256)]
        self.image.setLookupTable(lut)
        mark = mark_colour(theme)
        self.marker.setBrush(pg.mkBrush(mark))
        self.marker.setPen(pg.mkPen(theme.background, width=1))

    def remove(self) -> None:
        """Take the band off its plot (the plot stays: refilled for a trace of another length)."""
        self.plot.vb.sigYRangeChanged.disconnect(self._fit_height)
        self.plot.removeItem(self.image)
        self.plot.removeItem(self.marker)

    def set(self, shade: MemoryShade | None) -> None:
        if shade is None:
            if self.visible:
                self.visible = False
                self.image.setVisible(False)
                self.marker.setVisible(False)
            return
        n = min(self.length, len(shade.levels))
        self._levels[0, :n] = np.nan_to_num(shade.levels[:n], nan=0.0)  # (1, T): one row, a column per step
        self._levels[0, n:] = 0.0
        self.image.setImage(self._levels, levels=(0.0, 1.0), autoLevels=False)
        self._step = shade.step
        if not self.visible:
            self.visible = True
            self.image.setVisible(True)
            self.marker.setVisible(True)
        self._fit_height()

    @guarded
    def _fit_height(self, *_) -> None:
        """The band fills the plot's visible height; the ▼ sits at its top."""
        if not self.visible:
            return
        lo, hi = self.plot.vb.viewRange()[1]
        y0, y1 = (lo, hi) if self.strip is None else self.strip
        self.image.setRect(QRectF(-0.5, y0, self.length, y1 - y0))
        inset = 8 * self.plot.vb.viewPixelSize()[1]  # the ▼'s half height: inside the box, not clipped by it
        top = hi - inset if not self.plot.vb.yInverted() else lo + inset
        self.marker.setData([self._step], [top])


class RowShade:
    """An image read one row per step (digits): each row tinted by its connectivity, an overlay of
    the accent whose alpha rises with it, and a ◀ inside the image's right edge at t*'s row."""

    ALPHA = 0.6

    def __init__(self, plot: pg.PlotItem, rows: int, cols: int):
        self.plot, self.rows, self.cols = plot, rows, cols
        self.image = mark_dynamic(pg.ImageItem(axisOrder="row-major"))
        self.image.setZValue(5)  # over the digit: its strokes stay visible through the tint
        plot.addItem(self.image)
        self.marker = mark_dynamic(pg.ScatterPlotItem(pxMode=True, symbol="t3", size=13))
        self.marker.setZValue(40)
        plot.addItem(self.marker)
        self._levels = np.zeros((rows, 1), dtype=np.float32)  # (rows, 1): one value per row = step

    def apply_theme(self, theme) -> None:
        colour = accent(theme)
        lut = np.zeros((256, 4), dtype=np.uint8)
        lut[:, :3] = (colour.red(), colour.green(), colour.blue())
        lut[:, 3] = np.round(np.linspace(0.0, 255 * self.ALPHA, 256)).astype(np.uint8)
        self.image.setLookupTable(lut)
        self.marker.setBrush(pg.mkBrush(mark_colour(theme)))
        self.marker.setPen(pg.mkPen(theme.background, width=1.5))

    def set(self, shade: MemoryShade | None) -> None:
        on = shade is not None
        self.image.setVisible(on)
        self.marker.setVisible(on)
        if not on:
            return
        n = min(self.rows, len(shade.levels))
        self._levels[:n, 0] = np.nan_to_num(shade.levels[:n], nan=0.0)
        self._levels[n:, 0] = 0.0
        self.image.setImage(self._levels, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(QRectF(0, 0, self.cols, self.rows))
        self.marker.setData([self.cols - 0.4], [min(shade.step, self.rows - 1) + 0.5])


class MemoryKey(QWidget):
    """The shading's key, one row above the view: what it is (elided to one line; the whole
    sentence in the tooltip) and its 0..max scale. One row whatever the width, so the panel's
    layout does not depend on the words (they change with every step)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = ""
        self.foreground = QColor("#202020")
        self.font_pt = 10
        self.legend = MemoryLegend(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 8, 1)
        layout.addStretch(1)
        layout.addWidget(self.legend, 0)

    def set_text(self, text: str, tip: str = "") -> None:
        if text != self.text:
            self.text = text
            self.setToolTip(tip or text)
            self.update()

    def apply_theme(self, theme) -> None:
        self.foreground, self.font_pt = QColor(theme.foreground), theme.font_pt
        legend = self.legend
        legend.background, legend.foreground = QColor(theme.background), QColor(theme.foreground)
        legend.accent, legend.font_pt = accent(theme), theme.font_pt
        legend.updateGeometry()
        legend.update()
        self.updateGeometry()
        self.update()

    def _font(self) -> QFont:
        font = QFont()
        font.setPointSize(self.font_pt)
        return font

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        height = max(QFontMetricsF(self._font()).height(), self.legend.sizeHint().height()) + 2
        return QSize(self.legend.sizeHint().width() + 120, int(np.ceil(height)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(self.legend.sizeHint().width() + 40, self.sizeHint().height())

    def text_rect(self) -> QRectF:
        return QRectF(8, 0, max(0.0, self.legend.geometry().left() - 8 - 12), self.height())

    def shown_text(self) -> str:
        """The text as drawn: elided at the right when the row is too narrow for it."""
        rect = self.text_rect()
        return QFontMetricsF(self._font()).elidedText(self.text, Qt.TextElideMode.ElideRight, rect.width())

    def text_boxes(self) -> list[tuple[str, QRectF]]:
        rect = self.text_rect()
        shown = self.shown_text()
        fm = QFontMetricsF(self._font())
        return [(shown, QRectF(rect.left(), (self.height() - fm.height()) / 2, fm.horizontalAdvance(shown),
                               fm.height()))] if shown else []

    @guarded
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setFont(self._font())
        p.setPen(self.foreground)
        p.drawText(self.text_rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.shown_text())
        p.end()
