"""What the cell diagram draws, as data: labels, wires, shapes and bar charts in widget coordinates.

The layout (cell_layout.py, cell_schematics.py) builds a ``Scene`` once per size, theme and cell;
painting only reads it. So the geometry a test checks (``text_boxes``, ``wire_segments``,
``outlines``) is exactly the geometry drawn. Items whose colour or text follows the values at the
step are *dynamic*; the rest is *static* and cached as a pixmap on raster devices.

``paint`` takes a context (the panel) that resolves what depends on the step:

    ctx.fg, ctx.muted, ctx.box_fill          QColors of the theme
    ctx.value_colour(key) -> QColor          colour of a value ("f", "c-1", "kept", …)
    ctx.nan_colour() -> QColor               the colour of NaN values (no colour map holds it)
    ctx.text_on(colour) -> QColor            black or white, readable on that colour
    ctx.label_text(key) -> str               a dynamic label's markup at the step
    ctx.chart(quantity) -> ChartData | None  the whole layer's values at the step
    ctx.split(key) -> (value, limit)         an update bar's value and the ± range of its track
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF

from .cell_text import Typeset


@dataclass
class Label:
    markup: str  # static text; for a dynamic label the widest text it can show (its rect is made for it)
    rect: QRectF  # the line box it may fill
    style: str = "regular"
    colour: str = "fg"  # "fg", "muted" or "on:<key>" (black or white on that value's colour)
    align: str = "c"
    key: str | None = None  # dynamic: ctx.label_text(key) is drawn, aligned in rect

    @property
    def dynamic(self) -> bool:
        return self.key is not None or self.colour.startswith("on:")


@dataclass
class Wire:
    points: list[tuple[float, float]]
    width: float
    colour: str = "muted"  # "muted", or a value key: drawn in that value's colour with a rim
    arrow: bool = True

    @property
    def dynamic(self) -> bool:
        return self.colour != "muted"

    def arrow_size(self) -> float:
        return 2.2 * self.width + 5.0


@dataclass
class Shape:
    kind: str  # "frame" (the dashed cell outline), "box", "ellipse", "node", "dot", "chart"
    rect: QRectF
    fill: str = ""  # box / ellipse: the value key that colours it
    op: str = ""  # node: "+" or "*" (⊙)

    @property
    def dynamic(self) -> bool:
        return bool(self.fill)


@dataclass
class Chart:
    """The whole layer's values of one quantity at the step, one bar per unit, in ``rect``."""
    quantity: str
    rect: QRectF


@dataclass
class SplitBar:
    """One horizontal bar from zero (the update split): ``track`` is its full ± range."""
    key: str
    track: QRectF


@dataclass
class ChartData:
    values: np.ndarray  # (units,) at the step
    lo: float
    hi: float
    colour: QColor
    unit: int
    pin_colour: QColor


@dataclass
class Scene:
    em: int
    stroke: float  # the thin line width at this size
    labels: list[Label] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    splits: list[SplitBar] = field(default_factory=list)
    hits: dict[str, QRectF] = field(default_factory=dict)  # gate symbol -> its box, for tooltips
    detail: str = ""  # which level of detail the layout chose (cell_layout.LEVELS)

    def bounds(self) -> QRectF:
        rects = [lb.rect for lb in self.labels] + [s.rect for s in self.shapes] + [c.rect for c in self.charts] + \
                [b.track for b in self.splits]
        for w in self.wires:
            xs, ys = [x for x, _ in w.points], [y for _, y in w.points]
            pad = max(w.width, w.arrow_size() if w.arrow else 0) / 2 + 1.5
            rects.append(QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad))
        if not rects:
            return QRectF()
        out = QRectF(rects[0])
        for r in rects[1:]:
            out = out.united(r)
        return out

    def translate(self, dx: float, dy: float) -> None:
        for lb in self.labels:
            lb.rect.translate(dx, dy)
        for w in self.wires:
            w.points = [(x + dx, y + dy) for x, y in w.points]
        for s in self.shapes:
            s.rect.translate(dx, dy)
        for c in self.charts:
            c.rect.translate(dx, dy)
        for b in self.splits:
            b.track.translate(dx, dy)
        for r in self.hits.values():
            r.translate(dx, dy)

    def extend(self, other: "Scene") -> None:
        self.labels += other.labels
        self.wires += other.wires
        self.shapes += other.shapes
        self.charts += other.charts
        self.splits += other.splits
        self.hits.update(other.hits)

    # ---- geometry for tests and tooltips ----------------------------------------------------
    def wire_segments(self) -> list[tuple[QPointF, QPointF, float]]:
        """Every straight piece of every wire as (p1, p2, width): the stroke covers the rectangle from p1
        to p2, ``width`` wide across it (a rim included). Pieces run on through a bend by half the width
        (the mitred corner); an arrow head is a piece from its base to its tip, as wide as the head."""
        out = []
        for w in self.wires:
            width = w.width + (3.0 if w.dynamic else 0.0)
            pts = [QPointF(x, y) for x, y in w.points]
            for k, (a, b) in enumerate(zip(pts, pts[1:])):
                d = math.hypot(b.x() - a.x(), b.y() - a.y()) or 1.0
                ux, uy = (b.x() - a.x()) / d * width / 2, (b.y() - a.y()) / d * width / 2
                start = QPointF(a.x() - ux, a.y() - uy) if k > 0 else a
                end = QPointF(b.x() + ux, b.y() + uy) if k < len(pts) - 2 else b
                out.append((start, end, width))
            if w.arrow:
                (x0, y0), (x1, y1) = w.points[-2], w.points[-1]
                d = math.hypot(x1 - x0, y1 - y0) or 1.0
                size = w.arrow_size()
                back = QPointF(x1 - (x1 - x0) / d * size, y1 - (y1 - y0) / d * size)
                out.append((back, QPointF(x1, y1), size))
        return out

    def outlines(self) -> list[tuple[str, QRectF]]:
        """(kind, rectangle) of every drawn outline: the cell frame, gate boxes, ellipses, nodes, charts."""
        return [(s.kind, QRectF(s.rect)) for s in self.shapes] + [("chart", QRectF(c.rect)) for c in self.charts] + \
               [("bar", QRectF(b.track)) for b in self.splits]


# ---- painting ------------------------------------------------------------------------------------
def paint(p: QPainter, scene: Scene, ts: Typeset, ctx, *, static: bool, dynamic: bool, cached: bool) -> None:
    """Draw the static and/or the dynamic items of ``scene`` (static first: they lie underneath)."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    for phase_dynamic in (False, True):
        if (phase_dynamic and not dynamic) or (not phase_dynamic and not static):
            continue
        for s in scene.shapes:
            if s.kind == "frame" and not phase_dynamic:
                _frame(p, s, scene, ctx)
        for w in scene.wires:
            if w.dynamic == phase_dynamic:
                _wire(p, w, ctx)
        for s in scene.shapes:
            if s.kind != "frame" and s.dynamic == phase_dynamic:
                _shape(p, s, scene, ctx)
        for c in scene.charts:
            _chart(p, c, scene, ctx, phase_dynamic, cached)
        for b in scene.splits:
            _split(p, b, scene, ctx, phase_dynamic)
        for lb in scene.labels:
            if lb.dynamic == phase_dynamic:
                _label(p, lb, ts, ctx, cached and phase_dynamic)


def _colour(role: str, ctx) -> QColor:
    if role == "fg":
        return ctx.fg
    if role == "muted":
        return ctx.muted
    if role.startswith("on:"):
        return ctx.text_on(ctx.value_colour(role[3:]))
    return ctx.value_colour(role)


def _label(p: QPainter, lb: Label, ts: Typeset, ctx, cached: bool) -> None:
    p.setPen(_colour(lb.colour, ctx))
    text = ctx.label_text(lb.key) if lb.key is not None else lb.markup
    ts.draw_in(p, text, lb.rect, lb.align, lb.style, cached)


def _frame(p: QPainter, s: Shape, scene: Scene, ctx) -> None:
    p.setPen(QPen(ctx.muted, scene.stroke, Qt.PenStyle.DashLine))
    p.setBrush(ctx.box_fill)
    radius = 0.9 * scene.em
    p.drawRoundedRect(s.rect, radius, radius)


def _shape(p: QPainter, s: Shape, scene: Scene, ctx) -> None:
    r = s.rect
    if s.kind == "dot":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ctx.muted)
        p.drawEllipse(r)
        return
    if s.kind == "node":
        p.setPen(QPen(ctx.fg, scene.stroke * 1.3))
        p.setBrush(ctx.box_fill)
        p.drawEllipse(r)
        c, k = r.center(), r.width() * 0.26
        if s.op == "+":
            p.setPen(QPen(ctx.fg, scene.stroke * 1.6))
            p.drawLine(QPointF(c.x() - k, c.y()), QPointF(c.x() + k, c.y()))
            p.drawLine(QPointF(c.x(), c.y() - k), QPointF(c.x(), c.y() + k))
        else:  # ⊙: a dot in the circle (element-wise product)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(ctx.fg)
            p.drawEllipse(c, r.width() * 0.1, r.width() * 0.1)
        return
    p.setPen(QPen(ctx.fg, scene.stroke * 1.3))
    p.setBrush(ctx.value_colour(s.fill) if s.fill else ctx.box_fill)
    if s.kind == "ellipse":
        p.drawEllipse(r)
    else:
        radius = 0.35 * scene.em
        p.drawRoundedRect(r, radius, radius)


def _wire(p: QPainter, w: Wire, ctx) -> None:
    colour = ctx.muted if w.colour == "muted" else ctx.value_colour(w.colour)
    pts = [QPointF(x, y) for x, y in w.points]
    if w.arrow:  # the line stops inside the head, so a thick line (or its rim) does not poke out of the tip
        (x0, y0), (x1, y1) = w.points[-2], w.points[-1]
        d = math.hypot(x1 - x0, y1 - y0) or 1.0
        size = w.arrow_size()
        ux, uy = (x1 - x0) / d, (y1 - y0) / d
        pts[-1] = QPointF(x1 - ux * size * 0.6, y1 - uy * size * 0.6)
    path = QPainterPath(pts[0])
    for pt in pts[1:]:
        path.lineTo(pt)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if w.dynamic:  # a value-coloured wire: a dark rim keeps values near 0 (white) visible
        rim = QPen(ctx.fg, w.width + 3)
        rim.setCapStyle(Qt.PenCapStyle.FlatCap)
        rim.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        p.setPen(rim)
        p.drawPath(path)
    pen = QPen(colour, w.width)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin if w.dynamic else Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.drawPath(path)
    if w.arrow:
        tip = QPointF(x1, y1)
        a = QPointF(x1 - ux * size - uy * size * 0.5, y1 - uy * size + ux * size * 0.5)
        b = QPointF(x1 - ux * size + uy * size * 0.5, y1 - uy * size - ux * size * 0.5)
        p.setBrush(colour)
        p.setPen(QPen(ctx.fg, 1.2) if w.dynamic else Qt.PenStyle.NoPen)
        p.drawPolygon(QPolygonF([tip, a, b]))


def _split(p: QPainter, b: SplitBar, scene: Scene, ctx, phase_dynamic: bool) -> None:
    track = b.track
    zero = track.center().x()
    if not phase_dynamic:  # the track and its zero
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ctx.box_fill)
        p.drawRect(track)
        p.setPen(QPen(ctx.muted, scene.stroke))
        p.drawLine(QPointF(zero, track.top() - 0.15 * scene.em), QPointF(zero, track.bottom() + 0.15 * scene.em))
        return
    value, limit = ctx.split(b.key)
    value = float(value)
    p.setPen(QPen(ctx.fg, 1))
    p.setBrush(ctx.value_colour(b.key))
    if value != value:  # NaN: the whole track in the NaN colour (a NaN length drew nothing)
        p.drawRect(track)
        return
    length = min(max(value / limit, -1.0), 1.0) * track.width() / 2 if 0 < limit < math.inf else 0.0
    p.drawRect(QRectF(min(zero, zero + length), track.top(), abs(length), track.height()))


_LEVELS: dict[int, np.ndarray] = {}
_BUFFERS: list[np.ndarray] = []  # QImage borrows its buffer until the frame is painted


def _chart(p: QPainter, c: Chart, scene: Scene, ctx, phase_dynamic: bool, cached: bool) -> None:
    data = ctx.chart(c.quantity)
    if data is None:
        return
    r = c.rect
    base = (0 - data.lo) / (data.hi - data.lo)  # where 0 sits, as a fraction of the height from the bottom
    y0 = r.bottom() - base * r.height()
    if not phase_dynamic:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ctx.box_fill)
        p.drawRect(r)
        p.setPen(QPen(ctx.muted, 1))
        p.drawLine(QPointF(r.left(), y0), QPointF(r.right(), y0))
        return
    n = len(data.values)
    if n == 0:
        return
    vals = (np.asarray(data.values, dtype=np.float64) - data.lo) * (1.0 / (data.hi - data.lo))  # (units,) in 0..1
    nan = np.isnan(vals)  # NaN units: full-height bars in the NaN colour
    if nan.any():
        vals[nan] = 1.0 if base < 0.5 else 0.0
    np.clip(vals, 0.0, 1.0, out=vals)
    step_w = r.width() / n
    device_scale = abs(p.transform().m11()) or 1.0
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    if cached and n * 2 > r.width() * device_scale:
        # more units than ~2 px each: the bars as a (rows, units) image, one column per unit
        rows = max(8, int(r.height() * device_scale))
        level = _LEVELS.get(rows)
        if level is None:  # (rows, 1) value fraction at each image row, top row first
            level = _LEVELS[rows] = (1.0 - (np.arange(rows) + 0.5) / rows)[:, None]
        lo_v, hi_v = np.minimum(vals, base), np.maximum(vals, base)  # (units,)
        colours = np.where(nan, np.uint32(ctx.nan_colour().rgba()), np.uint32(data.colour.rgba()))  # (units,)
        argb = ((level >= lo_v) & (level <= hi_v)) * colours  # (rows, units)
        if len(_BUFFERS) > 64:
            del _BUFFERS[:32]
        _BUFFERS.append(argb)
        p.drawImage(r, QImage(argb.data, n, rows, 4 * n, QImage.Format.Format_ARGB32))
    else:
        ys = r.bottom() - vals * r.height()
        gap = 0.1 * step_w if step_w * device_scale > 3 else 0.0
        top = np.minimum(ys, y0)
        height = np.abs(ys - y0)
        xs = r.left() + np.arange(n) * step_w + gap
        p.setPen(Qt.PenStyle.NoPen)
        for colour, which in ((data.colour, ~nan), (ctx.nan_colour(), nan)):
            if which.any():
                p.setBrush(colour)
                p.drawRects([QRectF(x, t, step_w - 2 * gap, h)
                             for x, t, h in zip(xs[which].tolist(), top[which].tolist(), height[which].tolist())])
    if data.unit < n:  # the pinned unit in its pin colour, at least 2.5 device px wide
        w_pin = max(step_w * 0.8, 2.5 / device_scale)
        cx = r.left() + (data.unit + 0.5) * step_w
        y_val = r.bottom() - float(vals[data.unit]) * r.height()
        top, bottom = sorted((y_val, float(y0)))
        p.fillRect(QRectF(cx - w_pin / 2, top, w_pin, max(bottom - top, 1.0 / device_scale)), data.pin_colour)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
