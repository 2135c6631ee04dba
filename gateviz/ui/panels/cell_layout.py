"""How the cell diagram uses its room: which parts it shows and how large its text is.

The diagram has one text size, ``em``. It must not go below the theme's readable size
(``min_em``: capitals and digits 12 logical pixels tall, 18 in presentation mode; a slide export
draws a 1280x720 layout at 1.5x, so 12 becomes 18 there), so instead of shrinking the text the
diagram shows less when it has little room. From the richest level to the barest:

    full       title, schematic with gate names and σ/tanh, the formulas, and beside or under it
               the update split and the whole layer's gates as bar charts
    formulas   title, schematic, formulas (then the same without the gates' names)
    schematic  title, schematic (then without the gates' names)
    compact    the schematic alone: gates with their symbols and values, every wire's value

``layout`` picks the richest level that fits the widget at ``min_em`` or more, then grows the text
to fill the room (up to ``MAX_GROWTH`` times the readable size). ``readable_size`` is the room the
compact level needs at ``min_em``: layouts never give the panel less.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, QSize

from .cell_scene import Chart, Scene, SplitBar
from .cell_schematics import Builder, build
from .cell_text import Typeset, em_for_cap

READABLE_CAP = {False: 12.0, True: 18.0}  # logical px of a capital's height: normal theme, presentation
MAX_GROWTH = 2.5  # the text grows with the room up to this many times the readable size
MARGIN = 0.4  # em around the drawing


@dataclass(frozen=True)
class Level:
    name: str
    title: bool
    names: bool
    funcs: bool
    formulas: bool
    side: bool


LEVELS = (Level("full", True, True, True, True, True),
          Level("formulas", True, True, True, True, False),
          Level("formulas, no names", True, False, True, True, False),
          Level("schematic", True, True, True, False, False),
          Level("schematic, no names", True, False, True, False, False),
          Level("compact", False, False, False, False, False))


@dataclass
class Content:
    """Everything the diagram writes, for one cell, unit and theme (made by the panel on rebuild)."""
    cell: str
    templates: dict[str, str]  # dynamic label key -> the widest text it can show
    title: str
    formulas: list[tuple[str, bool]]  # (markup, is_note)
    convention: str = "framework"
    activation: str = "tanh"
    split_rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value key): the update split
    split_range: tuple[str, str] = ("−1", "+1")  # the tracks' ends
    split_title: str = ""
    charts: list[tuple[str, str, str, str]] = field(default_factory=list)  # (symbol, quantity, top tick, bottom)
    charts_note: str = ""
    family: str = ""


def min_em(presentation: bool, family: str = "") -> int:
    """The smallest text size (pixel size of the font) at which the diagram's labels stay readable."""
    return em_for_cap(READABLE_CAP[bool(presentation)], family)


_TYPESETS: dict[tuple[int, str], Typeset] = {}


def typeset(em: int, family: str = "") -> Typeset:
    key = (int(em), family)
    ts = _TYPESETS.get(key)
    if ts is None:
        if len(_TYPESETS) > 64:
            _TYPESETS.clear()
        ts = _TYPESETS[key] = Typeset(em, family)
    return ts


# ---- the parts -----------------------------------------------------------------------------------
def _title(b: Builder, c: Content, width: float) -> float:
    """The title row: cell on the left, where (layer, direction, unit, step) on the right."""
    b.label(c.title, 0, b.ln / 2, "l", "bold")
    b.value("where", max(width, b.w(c.title, "bold") + 1.5 * b.E + b.w(c.templates["where"])), b.ln / 2, "r",
            colour="muted")
    return b.ln + 0.6 * b.E


def _title_width(b: Builder, c: Content) -> float:
    return b.w(c.title, "bold") + 1.5 * b.E + b.w(c.templates["where"])


# where a line may break: at spaces, and before any hanzi (Chinese has no spaces between words),
# never before closing punctuation ("，。）：" end their line) nor after an opening one ("（" starts it)
_PIECES = re.compile(r"\s+|[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
_CLOSING, _OPENING = "，。）、：；！？”’》】", "（“‘《【"


def _wrap(b: Builder, text: str, width: float, style: str) -> list[str]:
    lines, current = [], ""
    for piece in _PIECES.findall(text):
        joined = current + piece
        may_break = not piece.isspace() and piece[0] not in _CLOSING and current.rstrip()[-1:] not in _OPENING
        if current.strip() and may_break and b.w(joined.rstrip(), style) > width:
            lines.append(current.rstrip())
            current = piece
        else:
            current = joined if current or not piece.isspace() else ""
    return lines + [current.rstrip()] if current.strip() else lines


def _formulas(b: Builder, c: Content, top: float, width: float) -> float:
    """The formulas in as many columns as ``width`` holds, notes wrapped under them; returns the bottom."""
    eqs = [m for m, note in c.formulas if not note]
    notes = [m for m, note in c.formulas if note]
    col_w = max((b.w(m) for m in eqs), default=0.0)
    gap = 1.5 * b.E
    cols = max(1, min(3, int((width + gap) // (col_w + gap)))) if col_w else 1
    rows = math.ceil(len(eqs) / cols)
    y = top + b.ln / 2
    for k, m in enumerate(eqs):  # column-major: the LSTM's gates down the first column
        col, row = divmod(k, rows)
        b.label(m, col * (col_w + gap), y + row * b.ln, "l")
    y += rows * b.ln + 0.2 * b.E
    for note in notes:
        for line in _wrap(b, note, max(width, col_w), "italic"):
            b.label(line, 0, y, "l", "italic", "muted")
            y += b.ln
    return y - b.ln / 2


def _formulas_width(b: Builder, c: Content) -> float:
    return max((b.w(m) for m, note in c.formulas if not note), default=0.0)


def _side(b: Builder, c: Content) -> None:
    """The update split (horizontal bars from zero) and the whole layer's gates as bar charts."""
    E, ln, g = b.E, b.ln, b.g
    y = ln / 2
    width = 0.0
    if c.split_rows:
        b.label(c.split_title, 0, y, "l", "bold")
        y += ln + 0.2 * E
        label_w = max(b.w(lab) for lab, _ in c.split_rows)
        value_w = max(b.w(c.templates["v:" + key]) for _, key in c.split_rows)
        track_l, track_w = label_w + g, 7.0 * E
        for lab, key in c.split_rows:
            b.label(lab, 0, y, "l")
            b.scene.splits.append(SplitBar(key, QRectF(track_l, y - 0.35 * E, track_w, 0.7 * E)))
            b.value("v:" + key, track_l + track_w + g, y, "l")
            y += ln + 0.1 * E
        b.label(c.split_range[0], track_l, y, "l", colour="muted")
        b.label(c.split_range[1], track_l + track_w, y, "r", colour="muted")
        width = track_l + track_w + g + value_w
        y += ln + 0.6 * E
    b.value("layer at", 0, y, "l", style="bold")
    y += ln
    b.label(c.charts_note, 0, y, "l", colour="muted")
    width = max(width, b.w(c.templates["layer at"], "bold"), b.w(c.charts_note))
    y += ln / 2 + 0.4 * E
    sym_w = max((b.w(s, "bold") for s, *_ in c.charts), default=0.0) + g
    tick_w = max((b.w(t) for _, _, hi, lo in c.charts for t in (hi, lo)), default=0.0)
    chart_w = max(8.0 * E, width - sym_w - g - tick_w)
    row_h = 2 * ln + 0.3 * E
    for sym, quantity, hi, lo in c.charts:
        rect = QRectF(sym_w, y, chart_w, row_h - 0.3 * E)
        b.label(sym, 0, rect.center().y(), "l", "bold")
        b.scene.charts.append(Chart(quantity, rect))
        b.label(hi, rect.right() + g / 2, rect.top() + ln / 2, "l", colour="muted")
        b.label(lo, rect.right() + g / 2, rect.bottom() - ln / 2, "l", colour="muted")
        y += row_h


def compose(c: Content, level: Level, em: int, side_right: bool = True, formulas_right: bool = False) -> Scene:
    """The diagram at one level and text size, its top-left corner at (0, 0): the title over the
    schematic, the formulas under it (or beside it, in one column, for a wide room), the bar charts
    beside or under both."""
    ts = typeset(em, c.family)
    schematic = build(c.cell, ts, c.templates, names=level.names, funcs=level.funcs, convention=c.convention,
                      activation=c.activation)
    b = Builder(ts, c.templates)
    scene = b.scene
    body = schematic.bounds()
    formulas = level.formulas and bool(c.formulas)
    formulas_w = _formulas_width(b, c) if formulas else 0.0
    gap = 1.5 * b.E
    width = body.width() + (gap + formulas_w if formulas and formulas_right else 0.0)
    y = 0.0
    if level.title:
        width = max(width, _title_width(b, c))
        y = _title(b, c, width)
    schematic.translate(-body.left(), y - body.top())
    scene.extend(schematic)
    if formulas:
        block = Builder(ts, c.templates)
        if formulas_right:
            _formulas(block, c, 0.0, formulas_w)
            height = block.scene.bounds().height()
            block.scene.translate(body.width() + gap, y + max(0.0, (body.height() - height) / 2))
        else:
            _formulas(block, c, 0.0, max(width, formulas_w))
            block.scene.translate(0, y + body.height() + 0.6 * b.E)
        scene.extend(block.scene)
    if level.side:
        main = scene.bounds()
        side = Builder(ts, c.templates)
        _side(side, c)
        box = side.scene.bounds()
        if side_right:
            side.scene.translate(main.right() + gap - box.left(), main.top() - box.top())
        else:
            side.scene.translate(main.left() - box.left(), main.bottom() + 1.0 * b.E - box.top())
        scene.extend(side.scene)
    scene.detail = level.name
    return scene


def _outer(scene: Scene) -> tuple[float, float]:
    box = scene.bounds()
    m = 2 * MARGIN * scene.em
    return box.width() + m, box.height() + m


def _fits(scene: Scene, room: tuple[float, float]) -> bool:
    w, h = _outer(scene)
    return w <= room[0] + 0.01 and h <= room[1] + 0.01


def _largest(c: Content, level: Level, arrangement: tuple[bool, bool], room: tuple[float, float], lo: int,
             hi: int) -> Scene | None:
    """The largest text size in lo..hi at which this level, so arranged, fits ``room`` (None when not even lo)."""
    first = compose(c, level, lo, *arrangement)
    if not _fits(first, room):
        return None
    w, h = _outer(first)
    em = min(hi, int(lo * min(room[0] / w, room[1] / h)))  # sizes scale with em (text widths nearly so)
    best = first
    while em > lo:
        scene = compose(c, level, em, *arrangement)
        if _fits(scene, room):
            return scene
        em -= 1
    return best


def layout(c: Content, room: tuple[float, float], presentation: bool) -> Scene:
    """The richest level of detail that fits ``room`` at a readable size, its text as large as fits,
    centred in the room. Too small a room for even the compact level: the compact level, smaller."""
    lo = min_em(presentation, c.family)
    hi = int(lo * MAX_GROWTH)
    chosen = None
    for level in LEVELS:
        arrangements = [(side_right, formulas_right) for side_right in ((True, False) if level.side else (True,))
                        for formulas_right in ((False, True) if level.formulas else (False,))]
        candidates = [_largest(c, level, arrangement, room, lo, hi) for arrangement in arrangements]
        candidates = [s for s in candidates if s is not None]
        if candidates:
            chosen = max(candidates, key=lambda s: s.em)
            break
    if chosen is None:  # below the readable size: the compact level, as large as fits
        compact = LEVELS[-1]
        chosen = compose(c, compact, lo)
        w, h = _outer(chosen)
        em = max(4, int(lo * min(room[0] / w, room[1] / h)))
        while em > 4:
            chosen = compose(c, compact, em)
            if _fits(chosen, room):
                break
            em -= 1
    box = chosen.bounds()
    chosen.translate((room[0] - box.width()) / 2 - box.left(), (room[1] - box.height()) / 2 - box.top())
    return chosen


def readable_size(c: Content, presentation: bool) -> QSize:
    """The smallest room (logical pixels) in which the compact diagram has readable text."""
    w, h = _outer(compose(c, LEVELS[-1], min_em(presentation, c.family)))
    return QSize(math.ceil(w), math.ceil(h))
