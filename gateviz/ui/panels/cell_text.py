"""Text of the cell diagram: one font size, true subscripts, sizes measured in cap heights.

Every label of the diagram is set in one size, ``em`` logical pixels (a value, a gate's name, a
formula alike), so what is readable in one place is readable everywhere. Subscripts (``c_{t−1}``,
notation.py's markup) are drawn as separate runs ``SUB_SCALE`` times smaller and lowered by
``SUB_DROP`` em, with real text runs on every device: PNG, SVG and PDF show the same.

How tall text is. "Text height" here is the **cap height**: the ink height of capital letters
and digits ("0.42"), in pixels of the output. For the default sans (DejaVu Sans) it is 0.73 em,
so a 25 px font has 18 px tall digits. ``cap_ratio`` measures it for the font in use; ``em_for_cap``
gives the smallest integer pixel size whose digits are at least that tall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QStaticText

from .notation import runs

SUB_SCALE = 0.72  # a subscript's size relative to its label
SUB_DROP = 0.24  # how far a subscript's baseline sits below the label's, in em
STYLES = ("regular", "bold", "italic")


@lru_cache(maxsize=8)
def cap_ratio(family: str = "") -> float:
    """Cap height / pixel size of the diagram's font, measured large (no hinting steps)."""
    font = base_font(family)
    font.setPixelSize(400)
    return QFontMetricsF(font).capHeight() / 400.0


def em_for_cap(cap_px: float, family: str = "") -> int:
    """The smallest integer font pixel size whose capitals and digits are at least ``cap_px`` tall."""
    return int(math.ceil(cap_px / cap_ratio(family) - 1e-6))


def base_font(family: str = "") -> QFont:
    font = QFont()
    if family:
        font.setFamily(family)
    return font


@dataclass(frozen=True)
class Extent:
    """A label's size: its advance width, and its line box above and below the baseline."""
    width: float
    ascent: float
    descent: float

    @property
    def height(self) -> float:
        return self.ascent + self.descent


class Typeset:
    """The diagram's fonts at one size (``em`` integer logical pixels), measuring and drawing labels."""

    def __init__(self, em: int, family: str = ""):
        self.em = int(em)
        self.family = family
        self._fonts: dict[tuple[str, bool], QFont] = {}
        self._metrics: dict[tuple[str, bool], QFontMetricsF] = {}
        self._extents: dict[tuple[str, str], Extent] = {}
        self._static: dict[tuple, QStaticText] = {}

    def font(self, style: str = "regular", sub: bool = False) -> QFont:
        key = (style, sub)
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = base_font(self.family)
            font.setPixelSize(max(1, round(self.em * SUB_SCALE)) if sub else self.em)
            font.setBold(style == "bold")
            font.setItalic(style == "italic")
        return font

    def metrics(self, style: str = "regular", sub: bool = False) -> QFontMetricsF:
        key = (style, sub)
        m = self._metrics.get(key)
        if m is None:
            m = self._metrics[key] = QFontMetricsF(self.font(style, sub))
        return m

    @property
    def cap_height(self) -> float:
        """How tall this size's capitals and digits are, in logical pixels (see the module docstring)."""
        return self.em * cap_ratio(self.family)

    @property
    def line(self) -> float:
        """The height of a line of labels (room for subscripts included)."""
        return self.extent("x").height

    def extent(self, markup: str, style: str = "regular") -> Extent:
        key = (markup, style)
        e = self._extents.get(key)
        if e is None:
            main, sub = self.metrics(style), self.metrics(style, True)
            width = sum((sub if is_sub else main).horizontalAdvance(text) for text, is_sub in runs(markup))
            # every label gets the same line box, room for a subscript included: rows line up
            descent = max(main.descent(), SUB_DROP * self.em + sub.descent())
            e = self._extents[key] = Extent(width, main.ascent(), descent)
        return e

    def width(self, markup: str, style: str = "regular") -> float:
        return self.extent(markup, style).width

    def widest(self, texts, style: str = "regular") -> float:
        return max((self.width(t, style) for t in texts), default=0.0)

    def draw(self, p: QPainter, markup: str, x: float, baseline: float, style: str = "regular",
             cached: bool = False) -> None:
        """Draw ``markup`` from ``x`` on ``baseline``. ``cached``: through QStaticText laid out once per
        run (raster frames redraw the same values over and over; vector devices get plain drawText)."""
        drop = SUB_DROP * self.em
        for text, is_sub in runs(markup):
            font = self.font(style, is_sub)
            metrics = self.metrics(style, is_sub)
            y = baseline + drop if is_sub else baseline
            if cached:
                key = (text, style, is_sub)
                static = self._static.get(key)
                if static is None:
                    if len(self._static) > 2048:
                        self._static.clear()
                    static = self._static[key] = QStaticText(text)
                    static.setTextFormat(Qt.TextFormat.PlainText)
                    static.prepare(p.transform(), font)
                p.setFont(font)
                p.drawStaticText(QPointF(x, y - metrics.ascent()), static)
            else:
                p.setFont(font)
                p.drawText(QPointF(x, y), text)
            x += metrics.horizontalAdvance(text)

    def draw_in(self, p: QPainter, markup: str, rect: QRectF, align: str, style: str = "regular",
                cached: bool = False) -> QRectF:
        """Draw ``markup`` in ``rect`` (its line box: the text's baseline sits ascent below its top),
        aligned left, centre or right; returns the rectangle the text takes."""
        e = self.extent(markup, style)
        x = rect.left() if align == "l" else rect.right() - e.width if align == "r" else \
            rect.center().x() - e.width / 2
        top = rect.center().y() - e.height / 2 if rect.height() > e.height else rect.top()
        self.draw(p, markup, x, top + e.ascent, style, cached)
        return QRectF(x, top, e.width, e.height)

    def box(self, markup: str, x: float, cy: float, align: str, style: str = "regular") -> QRectF:
        """The line box of ``markup`` anchored at ``x`` (left, centre or right edge) around ``cy``."""
        e = self.extent(markup, style)
        left = x if align == "l" else x - e.width if align == "r" else x - e.width / 2
        return QRectF(left, cy - e.height / 2, e.width, e.height)
