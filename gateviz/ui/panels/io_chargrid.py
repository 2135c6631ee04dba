"""The coloured text of the text view (Karpathy et al. 2015): ``CharGrid``, characters in a wrapped
grid, each on a cell coloured by a value in [-1, 1]; ``ColourLegend``, the colour scale beside it.

Full-width characters (Unicode East Asian Width W or F: hanzi, kana, 。，！ and the full-width
forms) get full-width cells, two columns of the half-width grid, as in a terminal; any cell is
also as wide as its glyph, measured with the font metrics of whatever font draws it, so nothing
overlaps in a font whose glyphs are wider. The colouring and the memory shading fill the same
cells. Clicking a character moves the time cursor to its step; hovering shows its step and value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from gateviz.ui.guard import guarded

from .common import DIVERGING_MAP, NAN_COLOUR, translate
from .io_base import readable_on, shade_colours, value_colour

GLYPHS = {"\n": "↵", "\t": "→", " ": ""}  # what a cell shows for characters without a visible glyph


def grid_font(pt: float) -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(pt)
    return font


@dataclass
class GridFit:
    """Where every character sits at one font size: its row, first column and column span."""

    font: QFont
    cw: float  # one column's width (px)
    ch: float  # one row's height (px)
    rows_of: np.ndarray
    cols_of: np.ndarray
    spans: np.ndarray
    n_rows: int


class CharGrid(QWidget):
    """Characters in a wrapped grid, each on a cell coloured by a value in [-1, 1].

    The current step's character is outlined. Only the visible rows are painted; when the text
    does not fit, the rows scroll so the current character stays in view.
    """

    stepClicked = Signal(int)  # the step of the character clicked
    MARGIN = 6
    MAX_SCALE = 2.6  # the font grows up to this times the theme's while the whole text still fits

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chars: list[str] = []
        self.values = np.zeros(0, dtype=np.float32)
        self.step = 0
        self.cmap = pg.colormap.get(DIVERGING_MAP)
        self.background = QColor("#ffffff")
        self.foreground = QColor("#202020")
        self.font_pt = 11
        self.value_name = "h"  # for tooltips: "step 12: 'e', h of unit 3 = +0.52"
        # the memory shading (issue 12): levels (T,) in [0, 1] replace the values' colours while set
        self.shade: np.ndarray | None = None
        self.shade_step = 0  # t*, underlined
        self.accent = QColor("#E69F00")
        self.mark = QColor("#7A3E00")
        # interventions (issue 13): the original run's values, drawn as a strip along each cell's foot
        self.original_values: np.ndarray | None = None
        self._fit_key = None
        self._spans_cache: dict[float, np.ndarray] = {}
        self.setMinimumHeight(60)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_text(self, chars: list[str], values: np.ndarray) -> None:
        if chars != self.chars:
            self._fit_key = None
            self._spans_cache = {}
        self.chars, self.values = chars, np.asarray(values, dtype=np.float32)
        self._colours_key = None
        self.update()

    def set_original(self, values: np.ndarray | None) -> None:
        """The original run's values (T,): each cell's foot shows their colour; None: no strip."""
        self.original_values = None if values is None else np.asarray(values, dtype=np.float32)
        self._colours_key = None
        self.update()

    STRIP = 0.28  # the original's strip: this share of a cell's height, at its foot

    def strip_rect(self, rect: QRectF) -> QRectF:
        """The part of a cell's ``rect`` that shows the original run's colour."""
        h = max(3.0, rect.height() * self.STRIP)
        return QRectF(rect.left(), rect.bottom() - h, rect.width(), h)

    def set_shade(self, levels: np.ndarray | None, step: int = 0) -> None:
        """Shade each character's cell by ``levels`` (its connectivity to y at t* = ``step``); None:
        colour the cells by their values again."""
        self.shade = None if levels is None else np.asarray(levels, dtype=np.float32)
        self.shade_step = int(step)
        self._colours_key = None
        self.update()

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    # ---- layout ------------------------------------------------------------------------
    def _metrics(self, pt: float) -> tuple[QFont, float, float]:
        font = grid_font(pt)
        fm = QFontMetricsF(font)
        return font, fm.horizontalAdvance("M") + 4, fm.height() + 6

    def _spans(self, font: QFont, cw: float) -> np.ndarray:
        """How many columns each character's cell spans: two for a full-width character (East
        Asian Width W or F), one for the others; more when its glyph's advance needs them."""
        key = round(font.pointSizeF(), 2)
        cached = self._spans_cache.get(key)
        if cached is not None:
            return cached
        fm = QFontMetricsF(font)
        width_of: dict[str, int] = {}
        spans = np.empty(len(self.chars), dtype=np.int64)
        for k, c in enumerate(self.chars):
            if c not in width_of:
                glyph = GLYPHS.get(c, c)
                advance = fm.horizontalAdvance(glyph) if glyph else 0.0
                full = unicodedata.east_asian_width(c) in ("W", "F")
                width_of[c] = max(2 if full else 1, int(np.ceil((advance + 4) / cw - 1e-6)))
            spans[k] = width_of[c]
        self._spans_cache[key] = spans
        return spans

    def _layout(self, cols: int, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, first column) of every character: wrapped where the next cell does not fit in
        ``cols`` columns, and after each newline."""
        rows_of = np.empty(len(self.chars), dtype=np.int64)
        cols_of = np.empty(len(self.chars), dtype=np.int64)
        r = c = 0
        for k, ch in enumerate(self.chars):
            span = int(spans[k])
            if c > 0 and c + span > cols:
                r, c = r + 1, 0
            rows_of[k], cols_of[k] = r, c
            c += span
            if ch == "\n":
                r, c = r + 1, 0
        return rows_of, cols_of

    def _fit_in(self, width: int, height: int) -> GridFit:
        """The layout in the largest font (up to MAX_SCALE x the theme's) at which the whole text
        fits in width x height; else the theme's (it scrolls)."""
        margin = self.MARGIN
        best = None
        sizes = [*np.arange(self.font_pt * self.MAX_SCALE, self.font_pt + 0.5, -1.0), self.font_pt]  # ends on the theme's
        for pt in sizes:
            font, cw, ch = self._metrics(float(pt))
            spans = self._spans(font, cw)
            widest = int(spans.max()) if len(spans) else 1
            cols = max(widest, int((width - 2 * margin) // cw))
            rows_of, cols_of = self._layout(cols, spans)
            n_rows = int(rows_of[-1]) + 1 if len(rows_of) else 1
            best = GridFit(font, cw, ch, rows_of, cols_of, spans, n_rows)
            if n_rows * ch <= height - 2 * margin:
                break
        return best

    def _fit(self) -> GridFit:
        key = (self.width(), self.height(), len(self.chars), self.font_pt)
        if self._fit_key != key:
            self._fit_key, self._fit_value = key, self._fit_in(self.width(), self.height())
        return self._fit_value

    def height_needed(self, width: int, max_height: int) -> int:
        """The height the wrapped text takes at ``width`` in the largest font that fits in
        ``max_height`` (at least one row); when even the theme's font overflows, the whole rows
        that fit in ``max_height`` (the text scrolls; the plot below gets the rest)."""
        if not self.chars:
            return min(max_height, self.minimumHeight())
        fit = self._fit_in(width, max_height)
        rows = min(fit.n_rows, max(1, int((max_height - 2 * self.MARGIN) // fit.ch)))
        return int(min(max_height, np.ceil(rows * fit.ch + 2 * self.MARGIN)))

    def rows_height(self, rows: int) -> int:
        """The height ``rows`` rows of text take in the theme's font."""
        _, _, ch = self._metrics(float(self.font_pt))
        return int(np.ceil(rows * ch + 2 * self.MARGIN))

    def _first_row(self, fit: GridFit) -> tuple[int, int]:
        """(first visible row, rows that fit): the rows scroll to keep the current character in view."""
        rows_fit = max(1, int((self.height() - 2 * self.MARGIN) // fit.ch))
        if not len(fit.rows_of) or fit.n_rows <= rows_fit:
            return 0, rows_fit
        cur_row = int(fit.rows_of[min(self.step, len(fit.rows_of) - 1)])
        return int(np.clip(cur_row - rows_fit // 2, 0, fit.n_rows - rows_fit)), rows_fit

    def cell_rects(self) -> dict[int, QRectF]:
        """The cell of every visible character (index -> rectangle in widget coordinates)."""
        if not self.chars:
            return {}
        fit = self._fit()
        first, rows_fit = self._first_row(fit)
        visible = np.flatnonzero((fit.rows_of >= first) & (fit.rows_of < first + rows_fit))
        m = self.MARGIN
        return {k: QRectF(m + fit.cols_of[k] * fit.cw, m + (fit.rows_of[k] - first) * fit.ch,
                          fit.spans[k] * fit.cw - 1, fit.ch - 1) for k in visible.tolist()}

    def char_at(self, pos: QPointF) -> int | None:
        """The index (= step) of the character under ``pos``, None between or outside the cells."""
        return next((k for k, rect in self.cell_rects().items() if rect.contains(pos)), None)

    def text_boxes(self) -> list[tuple[str, QRectF]]:
        """Each visible character's cell (for tests that check that no two overlap)."""
        return [(GLYPHS.get(self.chars[k], self.chars[k]) or "␣", rect) for k, rect in self.cell_rects().items()]

    # ---- events ------------------------------------------------------------------------
    @guarded
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        k = self.char_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and k is not None:
            self.stepClicked.emit(k)
        else:
            super().mousePressEvent(event)

    @guarded(fallback=False)
    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            k = self.char_at(QPointF(event.pos()))
            if k is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_for(k), self)
            return True
        return super().event(event)

    def tooltip_for(self, k: int) -> str:
        if self.shade is not None:
            level = float(self.shade[k]) if k < len(self.shade) else float("nan")
            shown = "NaN" if np.isnan(level) else f"{level:.2f}"
            return translate("IO", "step {step}: {char}, ‖∂y/∂x‖ = {value} of its largest, y at step {target} (click "
                             "to go to this step)").format(step=k, char=repr(self.chars[k]), value=shown,
                                                           target=self.shade_step)
        def shown(values) -> str:
            value = float(values[k]) if k < len(values) else float("nan")
            return "NaN" if np.isnan(value) else f"{value:+.2f}".replace("-", "−")

        was = "" if self.original_values is None else translate("IO", " (original: {value})").format(
            value=shown(self.original_values))
        return translate("IO", "step {step}: {char}, {name} = {value}{was} (click to go to this step)").format(
            step=k, char=repr(self.chars[k]), name=self.value_name, value=shown(self.values), was=was)

    _colours_key = None
    _original_colours = None

    def _cell_colours(self) -> list[tuple[QColor, QColor]]:
        """(cell, text) colours of every character, kept until the values, the shading or the
        colours change: a step repaints the grid, and mapping 200 values through the colour map
        at each paint cost ~15 ms, more than a frame at 60 steps/s."""
        key = (self.background.rgb(), self.accent.rgb(), len(self.chars))  # set_text/set_shade reset it
        if key != self._colours_key:
            n, shade = len(self.chars), self.shade
            if shade is not None:  # which earlier characters matter for y at t*
                levels = np.zeros(n, dtype=np.float32)
                levels[: min(n, len(shade))] = shade[:n]
                self._colours = shade_colours(levels, self.background, self.accent)
            else:
                cells = [value_colour(float(self.values[k]) if k < len(self.values) else np.nan, self.cmap)
                         for k in range(n)]
                self._colours = [(c, readable_on(c)) for c in cells]
            was = self.original_values
            self._original_colours = None if was is None or shade is not None else [
                value_colour(float(was[k]) if k < len(was) else np.nan, self.cmap) for k in range(n)]
            self._colours_key = key
        return self._colours

    @guarded
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        if not self.chars:
            p.end()
            return
        fit = self._fit()
        p.setFont(fit.font)
        centre = Qt.AlignmentFlag.AlignCenter
        rects = self.cell_rects()
        shade = self.shade
        colours = self._cell_colours()
        was = self._original_colours  # the original run's colours (interventions), None when not compared
        for k, rect in rects.items():
            colour, text = colours[k]
            p.fillRect(rect, colour)
            text_rect = rect
            if was is not None:  # its foot in the original's colour, set off by a line of the background
                strip = self.strip_rect(rect)
                p.fillRect(strip, was[k])
                p.fillRect(QRectF(strip.left(), strip.top() - 1, strip.width(), 1), self.background)
                text_rect = rect.adjusted(0, 0, 0, -strip.height())
            glyph = GLYPHS.get(self.chars[k], self.chars[k])
            if glyph:
                p.setPen(text)
                p.drawText(text_rect, centre, glyph)
        if shade is not None and self.shade_step in rects:  # t* underlined, below the glyph
            rect = rects[self.shade_step]
            bar = max(3.0, rect.height() * 0.12)
            p.fillRect(QRectF(rect.left() + 2, rect.bottom() - bar - 1, rect.width() - 4, bar), self.mark)
        if self.step in rects:
            rect = rects[self.step].adjusted(-1.5, -1.5, 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(self.foreground, 4))  # a double frame reads on any cell colour
            p.drawRect(rect)
            p.setPen(QPen(self.background, 1.5))
            p.drawRect(rect)
        p.end()


class ColourLegend(QWidget):
    """"−1 [colour bar] +1": the text colouring's scale, the bar outlined in the text colour so both
    ends stand out from the background (the navy −1 end vanished on the dark theme)."""

    BAR_EMS = 6  # the bar is this many label heights long

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cmap = pg.colormap.get(DIVERGING_MAP)
        self.foreground = QColor("#202020")
        self.background = QColor("#ffffff")
        self.font_pt = 10
        self.ends = ("−1", "+1")
        self.show_nan = False  # the text holds NaN values: a swatch of their colour follows "+1"
        self.setToolTip(translate("IO", "The colour of a character: the unit's value at that step, from −1 to +1"))

    def set_show_nan(self, on: bool) -> None:
        if on != self.show_nan:
            self.show_nan = on
            self.setToolTip(translate("IO", "The colour of a character: the unit's value at that step, from −1 to +1")
                            + (translate("IO", "; magenta: NaN") if on else ""))
            self.updateGeometry()
            self.update()

    def colour_at(self, t: float) -> QColor:
        """The bar's colour at ``t`` in [0, 1] from its left end."""
        return value_colour(-1.0 + 2.0 * t, self.cmap)

    def _font(self) -> QFont:
        font = QFont()
        font.setPointSize(self.font_pt)
        return font

    NAN_TEXT = "NaN"

    def _nan_parts(self) -> tuple[QRectF, QRectF] | None:
        """(swatch, label) of the NaN colour after "+1", when shown."""
        if not self.show_nan:
            return None
        fm = QFontMetricsF(self._font())
        h = fm.height()
        right = self._parts()[2]
        swatch = QRectF(right.right() + 0.8 * h, right.top() + 0.15 * h, 0.7 * h, 0.7 * h)
        return swatch, QRectF(swatch.right() + 0.3 * h, right.top(), fm.horizontalAdvance(self.NAN_TEXT), h)

    def _parts(self) -> tuple[QRectF, QRectF, QRectF]:
        """(left label, bar, right label) rectangles, vertically centred."""
        fm = QFontMetricsF(self._font())
        h = fm.height()
        left_w, right_w = (fm.horizontalAdvance(t) for t in self.ends)
        bar_w, bar_h = self.BAR_EMS * h, 0.7 * h
        y = (self.height() - h) / 2
        left = QRectF(2, y, left_w, h)
        bar = QRectF(left.right() + 0.4 * h, y + (h - bar_h) / 2, bar_w, bar_h)
        right = QRectF(bar.right() + 0.4 * h, y, right_w, h)
        return left, bar, right

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        fm = QFontMetricsF(self._font())
        left, bar, right = self._parts()
        nan = self._nan_parts()
        end = nan[1].right() if nan is not None else right.right()
        return QSize(int(np.ceil(end + 4)), int(np.ceil(fm.height() + 4)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self.sizeHint()

    def text_boxes(self) -> list[tuple[str, QRectF]]:
        left, _bar, right = self._parts()
        nan = self._nan_parts()
        return [(self.ends[0], left), (self.ends[1], right)] + ([(self.NAN_TEXT, nan[1])] if nan else [])

    def bar_rect(self) -> QRectF:
        return self._parts()[1]

    @guarded
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, bar, right = self._parts()
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for t in np.linspace(0.0, 1.0, 9):
            gradient.setColorAt(float(t), self.colour_at(float(t)))
        p.fillRect(bar, gradient)
        p.setPen(QPen(self.foreground, 1.5))  # both ends stand out on any background
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(bar.adjusted(-0.75, -0.75, 0.75, 0.75))
        p.setFont(self._font())
        p.drawText(left, Qt.AlignmentFlag.AlignCenter, self.ends[0])
        p.drawText(right, Qt.AlignmentFlag.AlignCenter, self.ends[1])
        nan = self._nan_parts()
        if nan is not None:
            p.fillRect(nan[0], QColor(NAN_COLOUR))
            p.drawText(nan[1], Qt.AlignmentFlag.AlignCenter, self.NAN_TEXT)
        p.end()
