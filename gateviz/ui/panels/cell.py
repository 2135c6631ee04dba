"""The animated cell diagram: the LSTM / GRU / RNN cell as a slide-ready schematic.

Drawn with QPainter in a fixed logical coordinate system that is scaled uniformly to the
widget, so it renders identically on screen, into a QImage, an SVG or a PDF (vector: no
OpenGL, no cached pixmaps). Every element is coloured and labelled with the first pinned
unit's real value at the current step; beside it, the cell update split into what is kept
and what is written, and the whole layer's gate vectors at the step as small bar charts.

The GRU is drawn in the frameworks' convention, h = z⊙h₋₁ + (1−z)⊙n (gate-conventions.md §5),
and the formulas under the diagram say so.

``labels`` (name -> text) holds what each element shows at the current step; tests read it.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QStaticText, QPainter, QPainterPath, QPaintEngine, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QToolTip

from gateviz.core.trace import SIGMOID_GATES

from .common import DIVERGING_MAP, QUANTITY_INFO, Panel, muted, per_unit_scaled, symmetric_limit, tooltip, unit_limits

DIAGRAM_W, DIAGRAM_H = 1000.0, 600.0  # the schematic
FORMULA_H = 150.0  # formulas under it
SIDE_W = 430.0  # the update split and the layer's bars beside it
BASE_FONT_PT = 10  # the standard theme's font size; label sizes below are designed for it
# alignment flags combined once (combining PySide6 enums costs microseconds per call, per frame)
_ALIGN = {"c": Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
          "l": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
          "r": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter}


def fmt(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:+.2f}".replace("+", " ").replace("-", "−").strip()


class CellDiagramPanel(Panel):
    panel_id = "cell"
    title = "Cell diagram"

    def description(self) -> str:
        return ("The cell drawn as a schematic, each gate coloured and labelled with the first pinned unit's value "
                "at the current step; beside it the whole layer's gates at this step.")

    def build(self) -> None:
        self.labels: dict[str, str] = {}
        self.values: dict[str, float] = {}
        self.unit = 0
        self.c_limit = 1.0  # ±range of the cell state shared by every unit
        self._c_unit_limits: np.ndarray | None = None  # (units,) each unit's max |c|, made on first use
        self.layer_data: dict[str, np.ndarray] = {}
        self.limits: dict[str, tuple[float, float]] = {}
        self.setMinimumSize(320, 200)
        self._fonts: dict[tuple, QFont] = {}
        self._fitted: dict[tuple, QFont] = {}
        self._static_texts: dict[tuple, QStaticText] = {}  # dynamic labels, laid out for the current scale
        self._scale = 1.0
        self._shown = None  # (trace id, layer, direction) of layer_data
        self._hits: dict[str, QRectF] = {}  # gate symbol -> its box (logical coordinates), for tooltips
        self._to_logical = None  # widget -> logical coordinates of the last paint
        self._to_widget = None
        self._static: QPixmap | None = None  # cached drawing of what does not change with the step
        self._static_key = None
        self.S = self.D = True  # which phase _paint is drawing: static parts, dynamic parts
        self._raster = False
        self._bar_buffers: list[np.ndarray] = []
        self._bar_levels: dict[int, np.ndarray] = {}
        self._apply_colours()

    # ---- state hooks ------------------------------------------------------------------
    def rebuild(self) -> None:
        state = self.state
        if state.trace is None:
            return
        self.layer_data = {q: state.quantity(q) for q in state.trace.quantities}
        self.c_limit = symmetric_limit(self.layer_data["cell_state"]) if "cell_state" in self.layer_data else 1.0
        self._c_unit_limits = None  # a pass over the whole trace: only when the per-unit view asks for it
        self.limits = {}
        for q in self.layer_data:
            kind = QUANTITY_INFO[q].kind
            self.limits[q] = (0.0, 1.0) if kind == "sigmoid" else (-1.0, 1.0) if kind == "tanh" else \
                (-self.c_limit, self.c_limit)
        self._static = None
        self._shown = (id(state.trace), state.layer, state.direction)
        self.on_step(state.step)

    def on_selection(self) -> None:
        if self.state.trace is None:
            return
        if self._shown != (id(self.state.trace), self.state.layer, self.state.direction):
            self.rebuild()
        else:  # another pinned unit: new values and a new static layer (its pin colour, its number)
            self._static = None
            self.on_step(self.state.step)

    def on_step(self, step: int) -> None:
        if self.state.trace is None:
            return
        self._compute_values(step)
        self.update()

    def per_unit(self) -> bool:
        """Are cell states drawn against each unit's own max |c| (View > Cell state per unit)?"""
        return "cell_state" in self.layer_data and per_unit_scaled("cell_state", self.state.theme)

    def c_unit_limits(self) -> np.ndarray:
        """(units,) each unit's max |c| over the trace."""
        if self._c_unit_limits is None:
            self._c_unit_limits = unit_limits(self.layer_data["cell_state"])
        return self._c_unit_limits

    def c_range(self) -> float:
        """The ± range of the pinned unit's cell state in the diagram and its update bars."""
        if self.per_unit() and self.unit < len(self.c_unit_limits()):
            return float(self.c_unit_limits()[self.unit])
        return self.c_limit

    def apply_theme(self) -> None:
        self._apply_colours()
        self._fonts, self._fitted, self._static_texts = {}, {}, {}
        self.invalidate()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._static = None
        self._static_texts = {}  # prepared for the old scale
        super().resizeEvent(event)

    def _apply_colours(self) -> None:
        theme = self.state.theme
        self.bg = QColor(theme.background)
        self.fg = QColor(theme.foreground)
        self.muted = QColor(muted(theme))
        self.seq_map = pg.colormap.get(theme.colormap if theme.colormap in pg.colormap.listMaps() else "viridis")
        self.div_map = pg.colormap.get(DIVERGING_MAP)
        # 256-entry colour tables: ColorMap.map costs ~50 us per scalar, the diagram needs ~30 a frame
        self._seq_lut = [QColor(*c) for c in self.seq_map.getLookupTable(nPts=256, alpha=False).tolist()]
        self._div_lut = [QColor(*c) for c in self.div_map.getLookupTable(nPts=256, alpha=False).tolist()]
        self.box_fill = QColor("#f4f4f4" if theme.name == "light" else "#2a2a2a")

    # ---- values at the step ------------------------------------------------------------------
    def _prev_index(self, step: int) -> int | None:
        """Where the previous state lives: t-1 forward, t+1 for a (time-aligned) backward direction."""
        prev = step + 1 if self.state.direction == "backward" else step - 1
        return prev if 0 <= prev < self.state.trace.length else None

    def _compute_values(self, step: int) -> None:
        state = self.state
        units = state.trace.units(state.layer)
        self.unit = u = next((p for p in state.pinned if p < units), 0)
        step = min(step, state.trace.length - 1)
        prev = self._prev_index(step)
        v: dict[str, float] = {}
        for q, a in self.layer_data.items():
            v[QUANTITY_INFO[q].symbol] = float(a[step, u])
        h_all = self.layer_data["hidden_state"]
        v["h-1"] = float(h_all[prev, u]) if prev is not None and h_all.shape[-1] > u else 0.0
        cell = state.trace.cell
        if cell == "lstm":
            c_prev = float(self.layer_data["cell_state"][prev, u]) if prev is not None else 0.0
            v["c-1"] = c_prev
            v["kept"] = v["f"] * c_prev
            v["written"] = v["i"] * v["g"]
            v["tanh c"] = float(np.tanh(v["c"]))
        elif cell == "gru":
            v["1-z"] = 1.0 - v["z"]
            v["kept"] = v["z"] * v["h-1"]
            v["written"] = (1.0 - v["z"]) * v["n"]
        if cell == "rnn":
            v.update(self._rnn_contributions(step, u, prev))
        self.values = v
        self.step = step
        names = {"from x": "from xₜ: Wx + b", "from h": "from h₋₁: Uh₋₁ + b",
                 "h-1": "h₋₁", "c-1": "c₋₁", "kept": "kept", "written": "written", "tanh c": "tanh c", "1-z": "1−z"}
        self.labels = {k: f"{names.get(k, k)} = {fmt(val)}" for k, val in v.items()}
        self.labels["x"] = self._input_label(step)

    def _layer_input(self, step: int) -> np.ndarray | None:
        """The features the current layer read at ``step`` (None when they cannot be rebuilt)."""
        state = self.state
        if state.layer == 0:
            x = state.trace.inputs
            return None if x is None else np.asarray(x).reshape(state.trace.length, -1)[step]
        below = state.model.layers[state.layer - 1]
        hs = [state.trace.get(state.layer - 1, d, "hidden_state")[step] for d in below.direction_names()]
        if len(hs) == 1:
            return hs[0]
        a, b = hs
        return {"concat": lambda: np.concatenate([a, b]), "sum": lambda: a + b, "mul": lambda: a * b,
                "ave": lambda: (a + b) / 2}[below.merge]()

    def _rnn_contributions(self, step: int, u: int, prev: int | None) -> dict[str, float]:
        """RNN pre-activation of unit u split into Wx x + bx and Wh h₋₁ + bh (from the model's weights)."""
        state = self.state
        if state.model is None:
            return {}
        try:
            layer = state.model.layers[state.layer]
            d = layer.directions[layer.direction_names().index(state.direction)]
            x = self._layer_input(step)
            if x is None:
                return {}
            h_prev = state.quantity("hidden_state")[prev] if prev is not None else np.zeros(d.Wh.shape[1])
            from_x = float(d.Wx[u] @ x + d.bx[u])
            from_h = float(d.Wh[u] @ h_prev + d.bh[u])
        except (IndexError, KeyError, ValueError):
            return {}
        return {"from x": from_x, "from h": from_h}

    def _input_label(self, step: int) -> str:
        state = self.state
        seq = state.sequence
        if isinstance(seq, str) and step < len(seq):
            ch = {"\n": "↵", " ": "␣", "\t": "→"}.get(seq[step], seq[step])
            return f"xₜ = '{ch}'"
        x = state.trace.inputs
        if x is None:
            return "xₜ"
        if state.layer > 0:
            return f"xₜ = layer {state.layer - 1}'s h"
        row = np.asarray(x).reshape(state.trace.length, -1)[step]
        if row.size <= 3:
            return "xₜ = (" + ", ".join(fmt(float(a)) for a in row) + ")" if row.size > 1 else f"xₜ = {fmt(float(row[0]))}"
        return f"xₜ ∈ ℝ^{row.size}"

    # ---- colours ---------------------------------------------------------------------------------
    def colour_of(self, symbol: str, value: float) -> QColor:
        if symbol in ("i", "f", "o", "r", "z", "1-z"):
            return self._seq_lut[int(round(min(max(float(value), 0.0), 1.0) * 255))]  # (no np.clip: µs per scalar)
        lim = self.c_range() if symbol in ("c", "c-1", "kept", "written") and self.state.trace.cell == "lstm" else 1.0
        return self._div_lut[int(round(min(max((float(value) / lim + 1) / 2, 0.0), 1.0) * 255))]

    @staticmethod
    def text_on(colour: QColor) -> QColor:
        lum = 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
        return QColor("#000000") if lum > 0.5 else QColor("#ffffff")

    # ---- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        engine = p.paintEngine()
        if self.state.trace is None or not self.values:
            p.fillRect(self.rect(), self.bg)
            p.setPen(self.muted)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no trace yet")
            p.end()
            return
        if engine is not None and engine.type() == QPaintEngine.Type.Raster:
            # on screen / into an image: the parts that do not change with the step come from a cached
            # pixmap; only values are drawn per frame. Vector devices (SVG, PDF) get everything drawn.
            dpr = self.devicePixelRatioF()
            key = (self.width(), self.height(), dpr)
            if self._static is None or self._static_key != key:
                pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
                pm.setDevicePixelRatio(dpr)
                pm.fill(self.bg)
                q = QPainter(pm)
                self._paint(q, static=True, dynamic=False, raster=True)
                q.end()
                self._static, self._static_key = pm, key
            p.drawPixmap(0, 0, self._static)
            self._paint(p, static=False, dynamic=True, raster=True)
            p.end()
            self._bar_buffers = []
            return
        else:
            p.fillRect(self.rect(), self.bg)
            self._paint(p, static=True, dynamic=True, raster=False)
        p.end()

    def _paint(self, p: QPainter, *, static: bool, dynamic: bool, raster: bool) -> None:
        self.S, self.D, self._raster = static, dynamic, raster
        self._bar_buffers = []
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        W, H = self.width(), self.height()
        formula_h = FORMULA_H * self.text_scale()
        left_h = DIAGRAM_H + formula_h
        # side panel beside the diagram or under it, whichever draws the diagram larger
        wide_scale = min(W / (DIAGRAM_W + SIDE_W), H / left_h)
        tall_scale = min(W / DIAGRAM_W, H / (left_h + 520.0))
        wide = wide_scale >= tall_scale
        total_w = DIAGRAM_W + SIDE_W if wide else DIAGRAM_W
        total_h = left_h if wide else left_h + 520.0
        scale = wide_scale if wide else tall_scale
        p.translate((W - total_w * scale) / 2, (H - total_h * scale) / 2)
        p.scale(scale, scale)
        self._scale = scale
        self._to_widget = p.transform()
        self._to_logical = self._to_widget.inverted()[0]
        self._draw_title(p)
        cell = self.state.trace.cell
        {"lstm": self._draw_lstm, "gru": self._draw_gru, "rnn": self._draw_rnn}[cell](p)
        if self.S:
            self._draw_formulas(p, QRectF(10, DIAGRAM_H, DIAGRAM_W - 20, formula_h))
        side = QRectF(DIAGRAM_W, 10, SIDE_W - 10, left_h - 20) if wide else QRectF(40, left_h, DIAGRAM_W - 80, 500)
        self._draw_side(p, side)

    def event(self, ev) -> bool:
        """Tooltips: hovering a gate explains it in one sentence with its formula."""
        if ev.type() == QEvent.Type.ToolTip and self.state.trace is not None and self._to_logical is not None:
            pos = self._to_logical.map(QPointF(ev.pos()))
            for symbol, rect in self._hits.items():
                if rect.contains(pos):
                    QToolTip.showText(ev.globalPos(), self.gate_tooltip(symbol), self)
                    return True
            QToolTip.showText(ev.globalPos(), self.description(), self)
            return True
        return super().event(ev)

    def gate_tooltip(self, symbol: str) -> str:
        name = {"i": "input_gate", "f": "forget_gate", "g": "cell_candidate", "o": "output_gate",
                "r": "reset_gate", "z": "update_gate", "n": "candidate"}[symbol]
        return f"{tooltip(name, self.state.trace.cell)}\n{self.labels.get(symbol, '')} (unit {self.unit}, step {self.step})"

    def invalidate(self) -> None:
        """Forget the cached static layer (size, theme, cell, layer or pinned unit changed)."""
        self._static = None
        self.update()

    # primitives (logical coordinates) -----------------------------------------------------
    def text_scale(self) -> float:
        """How much larger than the standard theme's the text is (presentation mode: 16 pt / 10 pt)."""
        return self.state.theme.font_pt / BASE_FONT_PT

    def font(self, px: float, bold=False, italic=False) -> QFont:
        """The font for a label designed at ``px`` logical pixels, grown with the theme's font size."""
        key = (px, bold, italic, self.state.theme.font_pt)
        cached = self._fonts.get(key)
        if cached is not None:
            return cached
        f = self._fonts[key] = QFont()
        f.setPixelSize(max(1, int(round(px * self.text_scale()))))
        f.setBold(bold)
        f.setItalic(italic)
        return f

    def fitted_font(self, s: str, px: float, bold: bool, italic: bool, w: float) -> QFont:
        """``font(px)``, made smaller (down to the standard size) where the grown text would not fit in ``w``."""
        font = self.font(px, bold, italic)
        if self.text_scale() <= 1.0:
            return font
        key = (s, px, bold, italic, w, self.state.theme.font_pt)
        fitted = self._fitted.get(key)
        if fitted is None:
            advance = QFontMetricsF(font).horizontalAdvance(s)
            size = font.pixelSize()
            if advance > w - 4:
                size = max(int(round(px)), int(size * (w - 4) / advance))
            if size == font.pixelSize():
                fitted = font
            else:
                fitted = QFont(font)
                fitted.setPixelSize(size)
            if len(self._fitted) > 4096:  # labels with values: bounded, but do not grow forever
                self._fitted.clear()
            self._fitted[key] = fitted
        return fitted

    def text(self, p: QPainter, x: float, y: float, s: str, px=17, colour=None, align="c", bold=False,
             italic=False, w=240.0, bg: QColor | None = None, dyn=False) -> None:
        if not (self.D if dyn else self.S):
            return
        font = self.fitted_font(s, px, bold, italic, w)
        p.setFont(font)
        px = font.pixelSize()  # the rectangles below are sized for the text as drawn
        if bg is not None:  # a label sitting on a wire: clear the wire behind the text
            tw = p.fontMetrics().horizontalAdvance(s) + 8
            bx = {"c": x - tw / 2, "l": x - 4, "r": x - tw + 4}[align]
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(QRectF(bx, y - px * 0.62, tw, px * 1.24), 3, 3)
        p.setPen(colour or self.fg)
        x0 = x - w / 2 if align == "c" else x if align == "l" else x - w
        if dyn and self._raster:
            # labels redrawn every step: a laid-out QStaticText (cached per string) draws ~3x faster
            # than drawText's layout pass; vector devices keep real drawText calls
            key = (s, px, bold, italic)
            static = self._static_texts.get(key)
            if static is None:
                if len(self._static_texts) > 4096:
                    self._static_texts.clear()
                static = self._static_texts[key] = QStaticText(s)
                static.setTextFormat(Qt.TextFormat.PlainText)
                static.prepare(p.transform(), font)
            size = static.size()
            left = x0 + (w - size.width()) / 2 if align == "c" else x0 if align == "l" else x0 + w - size.width()
            p.drawStaticText(QPointF(left, y - size.height() / 2), static)
            return
        p.drawText(QRectF(x0, y - px, w, 2 * px), _ALIGN[align], s)

    def wire(self, p: QPainter, pts, colour=None, width=3.0, arrow=True, outline=False) -> None:
        """A polyline with an arrow head. outline=True: a value-coloured (dynamic) wire with a rim."""
        if not (self.D if outline else self.S):
            return
        colour = colour or self.muted
        if self.state.theme.presentation:  # thicker lines for the back of a lecture hall
            width *= 1.4
        path = QPainterPath(QPointF(*pts[0]))
        for pt in pts[1:]:
            path.lineTo(QPointF(*pt))
        if outline:  # a value-coloured wire: a dark rim keeps values near 0 (white) visible
            rim = QPen(self.fg, width + 3)
            rim.setCapStyle(Qt.PenCapStyle.FlatCap)
            rim.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            p.setPen(rim)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap if outline else Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin if outline else Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        if arrow:
            (x0, y0), (x1, y1) = pts[-2], pts[-1]
            d = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / d, (y1 - y0) / d
            size = 7 + width
            tip = QPointF(x1, y1)
            a = QPointF(x1 - ux * size - uy * size * 0.55, y1 - uy * size + ux * size * 0.55)
            b = QPointF(x1 - ux * size + uy * size * 0.55, y1 - uy * size - ux * size * 0.55)
            p.setBrush(colour)
            p.setPen(QPen(self.fg, 1.5) if outline else Qt.PenStyle.NoPen)
            p.drawPolygon(QPolygonF([tip, a, b]))

    def gate_box(self, p: QPainter, cx: float, cy: float, symbol: str, func: str, w=120.0, h=64.0) -> None:
        k = min(self.text_scale(), 1.35)  # taller boxes for larger text (the gates sit side by side: not wider)
        h *= k
        value = self.values[symbol]
        fill = self.colour_of(symbol, value)
        self._hits[symbol] = QRectF(cx - w / 2, cy - h / 2, w, h)
        if self.D:
            p.setPen(QPen(self.fg, 2))
            p.setBrush(fill)
            p.drawRoundedRect(QRectF(cx - w / 2, cy - h / 2, w, h), 10, 10)
        ink = self.text_on(fill)
        self.text(p, cx, cy - 13 * k, func, px=15, colour=ink, italic=True, w=w, dyn=True)
        self.text(p, cx, cy + 12 * k, f"{symbol} = {fmt(value)}", px=19, colour=ink, bold=True, w=w, dyn=True)
        name = QUANTITY_INFO[{"i": "input_gate", "f": "forget_gate", "g": "cell_candidate", "o": "output_gate",
                              "r": "reset_gate", "z": "update_gate", "n": "candidate"}[symbol]].name
        self.text(p, cx, cy + h / 2 + 16 * k, name, px=14, colour=self.muted, w=w + 30, bg=self.box_fill)

    def node(self, p: QPainter, cx: float, cy: float, op: str, r=17.0) -> None:
        if not self.S:
            return
        p.setPen(QPen(self.fg, 2))
        p.setBrush(self.box_fill)
        p.drawEllipse(QPointF(cx, cy), r, r)
        pen = QPen(self.fg, 2.6)
        p.setPen(pen)
        k = r * 0.5
        if op == "+":
            p.drawLine(QPointF(cx - k, cy), QPointF(cx + k, cy))
            p.drawLine(QPointF(cx, cy - k), QPointF(cx, cy + k))
        else:  # ⊙: a dot in the circle (element-wise product)
            p.setBrush(self.fg)
            p.drawEllipse(QPointF(cx, cy), r * 0.2, r * 0.2)

    def value_tag(self, p: QPainter, x: float, y: float, key: str, align="c", px=16, w=240.0, prefix="") -> None:
        """A label with a small swatch of the value's colour."""
        if not self.D:
            return
        s = prefix + self.labels[key]
        colour = self.colour_of(key, self.values[key])
        p.setFont(self.font(px))
        tw = p.fontMetrics().horizontalAdvance(s) / 1.0
        sw = px * 0.8 * self.text_scale()
        x_text = {"c": x - tw / 2, "l": x, "r": x - tw}[align]
        p.setPen(QPen(self.fg, 1))
        p.setBrush(colour)
        p.drawRoundedRect(QRectF(x_text - sw - 6, y - sw / 2, sw, sw), 2, 2)
        self.text(p, x_text, y, s, px=px, align="l", w=tw + 10, dyn=True)

    def highway_pen_colour(self, key: str) -> QColor:
        return self.colour_of(key, self.values[key])

    def cell_box(self, p: QPainter, rect: QRectF) -> None:
        if not self.S:
            return
        p.setPen(QPen(self.muted, 2, Qt.PenStyle.DashLine))
        p.setBrush(self.box_fill)
        p.drawRoundedRect(rect, 24, 24)

    def _draw_title(self, p: QPainter) -> None:
        s = self.state
        cell = s.trace.cell.upper()
        self.text(p, 20, 22, f"{cell} cell", px=24, align="l", bold=True, w=300)
        where = f"layer {s.layer} · {s.direction} · unit {self.unit} · step {self.step}"
        self.text(p, DIAGRAM_W - 20, 22, where, px=17, align="r", colour=self.muted, w=560, dyn=True)

    # the three cells -----------------------------------------------------------------------------
    def _bus(self, p: QPainter, taps: list[float], h_prev_y: float, y_bus: float, h_prev_from_top: float | None = None):
        """h₋₁ and xₜ joined into one bus under the gates, with a tap up into each gate."""
        fg = self.muted
        if h_prev_from_top is None:
            self.wire(p, [(30, h_prev_y), (150, h_prev_y), (150, y_bus)], fg, arrow=False)
            self.value_tag(p, 40, h_prev_y - 22, "h-1", align="l")
        else:  # the GRU: h₋₁ arrives on the highway and drops down into the bus
            self.wire(p, [(150, h_prev_from_top), (150, y_bus)], fg, arrow=False)
        self.wire(p, [(230, 590), (230, y_bus)], fg, arrow=False)
        self.text(p, 240, 578, self.labels["x"], px=16, align="l", w=320, dyn=True)
        self.wire(p, [(150, y_bus), (max(taps), y_bus)], fg, arrow=False)
        if not self.S:
            return
        p.setBrush(fg)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QPointF(230, y_bus), 5, 5)
        for x in taps:
            p.setBrush(fg)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(QPointF(x, y_bus), 4.5, 4.5)

    def _draw_lstm(self, p: QPainter) -> None:
        hy, y_g, y_bus = 110.0, 380.0, 500.0
        xf, xi, xg, xo, xt = 300.0, 450.0, 590.0, 740.0, 870.0
        self.cell_box(p, QRectF(90, 60, 860, 470))
        # the cell-state highway: c₋₁ -> (⊙ f) -> (+ i⊙g) -> c
        w = 9.0
        self.wire(p, [(20, hy), (xf - 17, hy)], self.highway_pen_colour("c-1"), w, arrow=False, outline=True)
        self.wire(p, [(xf + 17, hy), (xg - 17, hy)], self.highway_pen_colour("kept"), w, arrow=False, outline=True)
        self.wire(p, [(xg + 17, hy), (985, hy)], self.highway_pen_colour("c"), w, outline=True)
        self.value_tag(p, 30, hy - 30, "c-1", align="l")
        self.value_tag(p, 985, hy - 30, "c", align="r", px=18)
        self.text(p, 500, 72, "cell state: the memory highway", px=14, colour=self.muted, italic=True, w=400)
        self._bus(p, [xf, xi, xg, xo], 500.0, y_bus)
        for x in (xf, xi, xg, xo):
            self.wire(p, [(x, y_bus), (x, y_g + 34)], self.muted)
        # gates
        self.wire(p, [(xf, y_g - 32), (xf, hy + 19)], self.muted)
        self.wire(p, [(xi, y_g - 32), (xi, 250), (xg - 19, 250)], self.muted)
        self.wire(p, [(xg, y_g - 32), (xg, 250 + 19)], self.muted)
        self.wire(p, [(xg, 250 - 17), (xg, hy + 19)], self.highway_pen_colour("written"), 4, outline=True)
        self.wire(p, [(xo, y_g - 32), (xo, 300), (xt - 19, 300)], self.muted)
        eh = 36 * min(self.text_scale(), 1.35)  # the tanh(c) ellipse's height (room for larger text)
        self.wire(p, [(xt, hy), (xt, 200 - eh / 2)], self.highway_pen_colour("c"), 3, outline=True)
        self.wire(p, [(xt, 200 + eh / 2), (xt, 300 - 19)], self.muted)
        self.wire(p, [(xt, 300 + 17), (xt, y_bus), (985, y_bus)], self.highway_pen_colour("h"), 5, outline=True)
        self.gate_box(p, xf, y_g, "f", "σ")
        self.gate_box(p, xi, y_g, "i", "σ")
        self.gate_box(p, xg, y_g, "g", "tanh")
        self.gate_box(p, xo, y_g, "o", "σ")
        self.node(p, xf, hy, "*")
        self.node(p, xg, hy, "+")
        self.node(p, xg, 250, "*")
        self.node(p, xt, 300, "*")
        # tanh(c)
        fill = self.colour_of("h", self.values["tanh c"])
        if self.D:
            p.setPen(QPen(self.fg, 2))
            p.setBrush(fill)
            p.drawEllipse(QRectF(xt - 56, 200 - eh / 2, 112, eh))
        self.text(p, xt, 200, f"tanh {fmt(self.values['tanh c'])}", px=15, colour=self.text_on(fill), bold=True,
                  w=112, dyn=True)
        # the update split
        self.value_tag(p, xf + 26, hy + 38, "kept", align="l", prefix="", px=16)
        self.text(p, xf + 26 + 8, hy + 60, "f⊙c₋₁", px=14, colour=self.muted, align="l", w=120)
        self.value_tag(p, xg - 28, 250 - 22, "written", align="r", px=16)
        self.text(p, xg - 28, 250 + 18, "i⊙g", px=14, colour=self.muted, align="r", w=120)
        self.value_tag(p, 985, y_bus - 26, "h", align="r", px=18)
        self.text(p, xt + 12, 330, "o⊙tanh c", px=14, colour=self.muted, align="l", w=120)

    def _draw_gru(self, p: QPainter) -> None:
        hy, y_g, y_bus = 110.0, 400.0, 500.0
        xz, xm, xn, xr = 320.0, 460.0, 620.0, 840.0
        self.cell_box(p, QRectF(90, 60, 860, 470))
        w = 9.0
        self.wire(p, [(20, hy), (xz - 17, hy)], self.highway_pen_colour("h-1"), w, arrow=False, outline=True)
        self.wire(p, [(xz + 17, hy), (xn - 17, hy)], self.highway_pen_colour("kept"), w, arrow=False, outline=True)
        self.wire(p, [(xn + 17, hy), (985, hy)], self.highway_pen_colour("h"), w, outline=True)
        self.value_tag(p, 30, hy - 30, "h-1", align="l")
        self.value_tag(p, 985, hy - 30, "h", align="r", px=18)
        self.text(p, 520, 72, "hidden state: kept where z is high", px=14, colour=self.muted, italic=True, w=400)
        self._bus(p, [xz, xn, xr], hy, y_bus, h_prev_from_top=hy)
        for x in (xz, xn, xr):
            self.wire(p, [(x, y_bus), (x, y_g + 34)], self.muted)
        # z: keeps h₋₁ (⊙ on the highway) and lets (1−z) of n in
        self.wire(p, [(xz, y_g - 32), (xz, hy + 19)], self.muted)
        self.wire(p, [(xz, 260), (xm - 30, 260)], self.muted)
        self.wire(p, [(xm + 30, 260), (xn - 19, 260)], self.muted)
        self.wire(p, [(xn, y_g - 32), (xn, 260 + 19)], self.muted)
        self.wire(p, [(xn, 260 - 17), (xn, hy + 19)], self.highway_pen_colour("written"), 4, outline=True)
        # r enters the candidate (r⊙(U_n h₋₁ + b) for reset-after)
        self.wire(p, [(xr - 60, y_g), (xn + 62, y_g)], self.muted)
        reset_after = self.state.model is None or self.state.model.layers[self.state.layer].reset_after
        self.text(p, (xr + xn) / 2 + 2, y_g - 16, "r⊙(Uₙh₋₁+b)" if reset_after else "Uₙ(r⊙h₋₁)", px=13,
                  colour=self.muted, w=100)  # the gap between the n and r boxes
        if self.S:
            p.setBrush(self.muted)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(QPointF(xz, 260), 4.5, 4.5)
        self.gate_box(p, xz, y_g, "z", "σ")
        self.gate_box(p, xn, y_g, "n", "tanh")
        self.gate_box(p, xr, y_g, "r", "σ")
        # 1 − z
        fill = self.colour_of("1-z", self.values["1-z"])
        if self.D:
            p.setPen(QPen(self.fg, 2))
            p.setBrush(fill)
            p.drawRoundedRect(QRectF(xm - 30, 244, 60, 32), 8, 8)
        self.text(p, xm, 260, "1−z", px=15, colour=self.text_on(fill), bold=True, w=60, dyn=True)
        self.text(p, xm, 292, fmt(self.values["1-z"]), px=14, colour=self.muted, w=60, dyn=True)
        self.node(p, xz, hy, "*")
        self.node(p, xn, hy, "+")
        self.node(p, xn, 260, "*")
        self.value_tag(p, xz + 26, hy + 38, "kept", align="l", px=16)
        self.text(p, xz + 34, hy + 60, "z⊙h₋₁", px=14, colour=self.muted, align="l", w=120)
        self.value_tag(p, xn + 28, 228, "written", align="l", px=16)
        self.text(p, xn + 36, 206, "(1−z)⊙n", px=14, colour=self.muted, align="l", w=120)

    def _draw_rnn(self, p: QPainter) -> None:
        hy, y_bus, xb = 250.0, 450.0, 600.0
        self.cell_box(p, QRectF(90, 60, 860, 470))
        self._bus(p, [xb], 450.0, y_bus)
        self.wire(p, [(xb, y_bus), (xb, hy + 40)], self.muted)
        act = self.state.model.layers[self.state.layer].activation.name if self.state.model else "tanh"
        fill = self.colour_of("h", self.values["h"])
        if self.D:
            p.setPen(QPen(self.fg, 2))
            p.setBrush(fill)
            p.drawRoundedRect(QRectF(xb - 70, hy - 40, 140, 80), 12, 12)
        self.text(p, xb, hy - 14, act, px=16, colour=self.text_on(fill), italic=True, w=140, dyn=True)
        self.text(p, xb, hy + 14, f"h = {fmt(self.values['h'])}", px=20, colour=self.text_on(fill), bold=True, w=140,
                  dyn=True)
        self.wire(p, [(xb + 70, hy), (985, hy)], self.highway_pen_colour("h"), 7, outline=True)
        self.value_tag(p, 985, hy - 26, "h", align="r", px=18)
        self.text(p, 985, hy + 26, "→ output, and h₋₁ at the next step", px=14, colour=self.muted, italic=True,
                  align="r", w=300)
        if "from x" in self.values:  # the pre-activation split into what comes from the input and from the past
            self.value_tag(p, xb + 16, 360, "from x", align="l", px=16)
            self.value_tag(p, xb + 16, 388, "from h", align="l", px=16)
            self.text(p, xb + 16, 412, "pre-activation = sum of both", px=13, colour=self.muted, align="l", w=260)

    # formulas ---------------------------------------------------------------------------------------
    def _formula_lines(self) -> list[tuple[str, bool]]:
        """(text, muted) lines for the current cell."""
        cell = self.state.trace.cell
        layer = self.state.model.layers[self.state.layer] if self.state.model else None
        if cell == "lstm":
            lines = [("i = σ(Wᵢx + Uᵢh₋₁ + bᵢ)     f = σ(W_f x + U_f h₋₁ + b_f)     o = σ(W_o x + U_o h₋₁ + b_o)", False),
                     ("g = tanh(W_g x + U_g h₋₁ + b_g)", False),
                     ("c = f⊙c₋₁ + i⊙g   (kept + written)          h = o⊙tanh(c)", False)]
            if layer is not None and layer.has_peepholes:
                lines.append(("with peepholes: + p⊙c₋₁ inside i and f, + p⊙c inside o", True))
            return lines
        if cell == "gru":
            reset_after = layer.reset_after if layer is not None else True
            n = ("n = tanh(Wₙx + bₙ + r⊙(Uₙh₋₁ + b_hn))" if reset_after else "n = tanh(Wₙx + Uₙ(r⊙h₋₁) + bₙ)")
            return [("r = σ(W_r x + U_r h₋₁ + b_r)       z = σ(W_z x + U_z h₋₁ + b_z)", False),
                    (n, False),
                    ("h = z⊙h₋₁ + (1−z)⊙n      (kept + written)", False),
                    ("Convention of PyTorch, Keras and ONNX (Cho et al. 2014): a high z keeps the old state. Textbooks "
                     "writing h = (1−z)⊙h₋₁ + z⊙h̃ call our 1−z their z.", True)]
        act = layer.activation.name if layer is not None else "tanh"
        return [(f"h = {act}(W x + U h₋₁ + b)", False), ("the plain RNN has no gates: h is overwritten at every step",
                                                          True)]

    def _wrapped_formulas(self, width: float) -> list[tuple[str, bool]]:
        """The formula lines; with larger (presentation) text, a line of several formulas that does
        not fit is broken between its formulas instead of being shrunk."""
        if self.text_scale() <= 1.0:
            return self._formula_lines()
        metrics = QFontMetricsF(self.font(18))
        out = []
        for line, is_note in self._formula_lines():
            if is_note or metrics.horizontalAdvance(line) <= width:
                out.append((line, is_note))
                continue
            current = ""
            for part in re.split(r" {3,}", line):
                joined = f"{current}     {part}" if current else part
                if current and metrics.horizontalAdvance(joined) > width:
                    out.append((current, False))
                    current = part
                else:
                    current = joined
            out.append((current, False))
        return out

    def _draw_formulas(self, p: QPainter, rect: QRectF) -> None:
        p.setPen(QPen(self.muted, 1))
        p.drawLine(QPointF(rect.left() + 20, rect.top() + 4), QPointF(rect.right() - 20, rect.top() + 4))
        y = rect.top() + 12
        for line, is_note in self._wrapped_formulas(rect.width() - 36):
            px = 14 if is_note else 18
            # formulas stay one line each (smaller where the grown text would not fit); notes wrap
            font = self.font(px, italic=True) if is_note else self.fitted_font(line, px, False, False,
                                                                                   rect.width() - 36)
            p.setFont(font)
            p.setPen(self.muted if is_note else self.fg)
            r = QRectF(rect.left() + 20, y, rect.width() - 40, 4 * font.pixelSize())
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            bound = p.boundingRect(r, flags, line)
            p.drawText(r, flags, line)
            y += bound.height() + 8

    # the side: update split and the layer's vectors ----------------------------------------------------
    def _draw_side(self, p: QPainter, rect: QRectF) -> None:
        cell = self.state.trace.cell
        y = rect.top() + 12
        if cell in ("lstm", "gru"):
            y = self._draw_update_split(p, QRectF(rect.left(), y, rect.width(), 150)) + 18
        k = self.text_scale()
        self.text(p, rect.left() + 10, y + 8 * k, f"whole layer at step {self.step}", px=18, align="l", bold=True,
                  w=400, dyn=True)
        self.text(p, rect.left() + 10, y + 30 * k, f"{self.state.trace.units(self.state.layer)} units; "
                  f"unit {self.unit} in its pin colour", px=13, align="l", colour=self.muted, w=400)
        y += 48 * k
        names = list(self.layer_data)
        avail = rect.bottom() - y
        row_h = min(88.0, avail / max(1, len(names)))
        for k, q in enumerate(names):
            self._draw_bars(p, q, QRectF(rect.left(), y + k * row_h, rect.width(), row_h - 8))

    def _draw_update_split(self, p: QPainter, rect: QRectF) -> float:
        """Horizontal bars from zero: what is kept, what is written, and the new state."""
        v = self.values
        cell = self.state.trace.cell
        if cell == "lstm":
            rows = [("kept  f⊙c₋₁", v["kept"]), ("written  i⊙g", v["written"]), ("new c", v["c"])]
            lim = max(self.c_range(), abs(v["kept"]), abs(v["written"]), abs(v["c"]))
        else:
            rows = [("kept  z⊙h₋₁", v["kept"]), ("written  (1−z)⊙n", v["written"]), ("new h", v["h"])]
            lim = 1.0
        self.text(p, rect.left() + 10, rect.top() + 8, f"update of unit {self.unit}", px=18, align="l", bold=True,
                  w=400)
        label_w = 150.0 * min(self.text_scale(), 1.3)
        x0 = rect.left() + label_w
        bw = rect.width() - label_w - 20
        zero = x0 + bw / 2
        y = rect.top() + 34
        if self.S:
            p.setPen(QPen(self.muted, 1.2))
            p.drawLine(QPointF(zero, y - 4), QPointF(zero, y + 3 * 32))
        for k, (name, val) in enumerate(rows):
            cy = y + k * 32 + 14
            self.text(p, rect.left() + 10, cy, name, px=15, align="l", w=label_w)
            key = ("kept", "written", "c" if cell == "lstm" else "h")[k]
            colour = self.colour_of(key, val)
            length = min(max(float(val) / lim, -1.0), 1.0) * bw / 2
            if self.D:
                p.setPen(QPen(self.fg, 1))
                p.setBrush(colour)
                p.drawRect(QRectF(min(zero, zero + length), cy - 10, abs(length), 20))
            anchor = zero + length + (6 if length >= 0 else -6)
            self.text(p, anchor, cy, fmt(val), px=14, align="l" if length >= 0 else "r", w=80, dyn=True)
        self.text(p, x0, y + 3 * 32 + 6, f"−{lim:.3g}", px=12, colour=self.muted, align="l", w=60, dyn=True)
        self.text(p, x0 + bw, y + 3 * 32 + 6, f"+{lim:.3g}", px=12, colour=self.muted, align="r", w=60, dyn=True)
        return y + 3 * 32 + 14

    def _draw_bars(self, p: QPainter, quantity: str, rect: QRectF) -> None:
        data = self.layer_data[quantity][self.step]  # (units,)
        lo, hi = self.limits[quantity]
        tick_labels = (f"{hi:g}", f"{lo:g}")
        tick_w = 42.0 if self.per_unit() else 30.0  # room for "−max"; every row alike, so the charts line up
        if quantity == "cell_state" and self.per_unit():
            data = data / self.c_unit_limits()  # (units,) each within ±1 of its own max |c|
            lo, hi, tick_labels = -1.0, 1.0, ("+max", "−max")
        sym = QUANTITY_INFO[quantity].symbol
        label_w = 44.0
        chart = QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w - tick_w - 4, rect.height())
        n = len(data)
        base = (0 - lo) / (hi - lo)  # where 0 sits, as a fraction of the chart height from the bottom
        y0 = chart.bottom() - base * chart.height()
        if self.S:
            self.text(p, rect.left() + 10, rect.center().y(), sym, px=20, align="l", bold=True, w=label_w)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self.box_fill)
            p.drawRect(chart)
            p.setPen(QPen(self.muted, 1))
            p.drawLine(QPointF(chart.left(), y0), QPointF(chart.right(), y0))
            self.text(p, chart.right() + 4, chart.top() + 7, tick_labels[0], px=12, colour=self.muted, align="l",
                      w=tick_w)
            self.text(p, chart.right() + 4, chart.bottom() - 7, tick_labels[1], px=12, colour=self.muted, align="l",
                      w=tick_w)
        if not self.D or n == 0:
            return
        vals = (np.asarray(data, dtype=np.float64) - lo) * (1.0 / (hi - lo))  # (units,) in 0..1
        np.clip(vals, 0.0, 1.0, out=vals)
        colour = self._seq_lut[89] if quantity in SIGMOID_GATES else \
            QColor("#7f7f7f")
        step_w = chart.width() / n
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._raster and n * 2 > chart.width() * self._scale:
            # more units than ~2 px each: paint the bars as a (rows, units) image, one column per unit
            rows = max(8, int(chart.height() * self._scale))
            level = self._bar_levels.get(rows)
            if level is None:  # (rows, 1) value fraction at each image row, top row first
                level = self._bar_levels[rows] = (1.0 - (np.arange(rows) + 0.5) / rows)[:, None]
            lo_v, hi_v = np.minimum(vals, base), np.maximum(vals, base)  # (units,)
            mask = (level >= lo_v) & (level <= hi_v)  # (rows, units)
            argb = mask * np.uint32(colour.rgba())  # (rows, units) uint32: the colour where a bar is
            self._bar_buffers.append(argb)  # QImage borrows the buffer until painting is done
            img = QImage(argb.data, n, rows, 4 * n, QImage.Format.Format_ARGB32)
            p.drawImage(chart, img)
        else:
            ys = chart.bottom() - vals * chart.height()
            gap = 0.1 * step_w if step_w * self._scale > 3 else 0.0
            top = np.minimum(ys, y0)
            height = np.abs(ys - y0)
            xs = chart.left() + np.arange(n) * step_w + gap
            width = step_w - 2 * gap
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRects([QRectF(x, t, width, h) for x, t, h in zip(xs.tolist(), top.tolist(), height.tolist())])
        if self.unit < n:  # the pinned unit in its pin colour, at least 2.5 px wide
            w_pin = max(step_w * 0.8, 2.5 / max(self._scale, 1e-6))
            cx = chart.left() + (self.unit + 0.5) * step_w
            y_val = chart.bottom() - float(vals[self.unit]) * chart.height()
            top, bottom = sorted((y_val, float(y0)))
            p.fillRect(QRectF(cx - w_pin / 2, top, w_pin, max(bottom - top, 1.0 / self._scale)),
                       QColor(self.state.pin_colour(self.unit)))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
