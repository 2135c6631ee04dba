"""The LSTM, GRU and RNN cells as schematics, laid out for one font size (after colah's figures).

Every distance is a multiple of the font size ``em`` or a measured text width, so a schematic has
the same proportions at every size and no label can run into a wire: each label has a place of its
own, sized for the widest text it will ever show (``Templates``: e.g. "c_{t−1} = −8.00" when the
cell state reaches ±8), and the wires are routed around those places. Inputs come in from the
left (c_{t−1}, h_{t−1}) and from below (x_t); outputs leave on the right (c_t, h_t). Labels of the
wires that cross the dashed cell frame sit outside it, in a row above or below.

    build(cell, typeset, templates, names=…, funcs=…, convention=…) -> Scene (top-left at 0, 0)

``names``: the gates' names in a row under the bus (the RNN: its pre-activation split into what
comes from x_t and from h_{t−1}); ``funcs``: σ / tanh above each gate's symbol.
Keys of the dynamic labels and colours are the panel's value keys ("f", "c-1", "kept", …;
"v:f" is the bare value of f).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QRectF

from . import notation
from .cell_scene import Label, Scene, Shape, Wire
from .cell_text import Typeset

# English (context "Quantity", as the plot titles); name_lines translates them when a schematic is built
GATE_NAMES = {"i": QT_TRANSLATE_NOOP("Quantity", "input gate"), "f": QT_TRANSLATE_NOOP("Quantity", "forget gate"),
              "g": QT_TRANSLATE_NOOP("Quantity", "cell candidate"), "o": QT_TRANSLATE_NOOP("Quantity", "output gate"),
              "r": QT_TRANSLATE_NOOP("Quantity", "reset gate"), "z": QT_TRANSLATE_NOOP("Quantity", "update gate"),
              "n": QT_TRANSLATE_NOOP("Quantity", "candidate")}
GATE_QUANTITY = {"i": "input_gate", "f": "forget_gate", "g": "cell_candidate", "o": "output_gate",
                 "r": "reset_gate", "z": "update_gate", "n": "candidate"}


CJK = re.compile("[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")  # hanzi, CJK and full-width punctuation


def upright(markup: str, style: str) -> str:
    """Chinese is never set in italics (a slanted hanzi is a synthetic, unreadable oblique): an
    italic label holding CJK characters is drawn regular."""
    return "regular" if style == "italic" and CJK.search(markup) else style


class Builder:
    """Places labels, wires and shapes into a Scene at one font size."""

    def __init__(self, ts: Typeset, templates: dict[str, str]):
        self.ts, self.t = ts, templates
        E = self.E = float(ts.em)
        self.ln = ts.line
        self.g = 0.4 * E  # the gap between a label and anything else
        self.r = 0.6 * E  # ⊙ / + node radius
        self.thin = max(1.2, 0.085 * E)
        self.mid = max(2.0, 0.2 * E)
        self.thick = max(3.0, 0.32 * E)
        self.scene = Scene(em=ts.em, stroke=max(1.0, 0.07 * E))

    def w(self, markup: str, style: str = "regular") -> float:
        return self.ts.width(markup, upright(markup, style))

    def clear(self, width: float, arrow: bool = True) -> float:
        """How far a label must stay from the centre line of a wire of ``width`` (its arrow head's half
        width when it has one), the gap included."""
        head = Wire([(0, 0), (0, 1)], width).arrow_size() * 0.55 if arrow else width / 2
        return max(width / 2, head) + self.g

    def arrow(self, width: float) -> float:
        """The length of a wire's arrow head."""
        return Wire([(0, 0), (0, 1)], width).arrow_size()

    def ellipse_size(self, markup: str, style: str) -> tuple[float, float]:
        """An ellipse that holds the text's line box inside its curve, not only inside its bounding box."""
        w, h = self.w(markup, style) + 0.15 * self.E, self.ln + 0.15 * self.E  # the line box and a hair around it
        width = w + 1.8 * self.E
        return width, h / (1.0 - (w / width) ** 2) ** 0.5 + 0.2 * self.E

    def label(self, markup: str, x: float, cy: float, align: str = "c", style: str = "regular", colour: str = "fg",
              key: str | None = None) -> QRectF:
        style = upright(markup, style)
        rect = self.ts.box(markup, x, cy, align, style)
        self.scene.labels.append(Label(markup, rect, style, colour, align, key))
        return rect

    def value(self, key: str, x: float, cy: float, align: str = "l", colour: str = "fg",
              style: str = "regular") -> QRectF:
        """A dynamic label, its place made for the widest text it shows (templates[key])."""
        return self.label(self.t[key], x, cy, align, style, colour, key=key)

    def wire(self, pts, width: float | None = None, colour: str = "muted", arrow: bool = True) -> None:
        self.scene.wires.append(Wire([(float(x), float(y)) for x, y in pts], width or self.thin, colour, arrow))

    def node(self, cx: float, cy: float, op: str) -> None:
        self.scene.shapes.append(Shape("node", QRectF(cx - self.r, cy - self.r, 2 * self.r, 2 * self.r), op=op))

    def dot(self, cx: float, cy: float) -> None:
        d = max(2.5, 0.16 * self.E)
        self.scene.shapes.append(Shape("dot", QRectF(cx - d, cy - d, 2 * d, 2 * d)))

    def frame(self, left: float, top: float, right: float, bottom: float) -> None:
        self.scene.shapes.insert(0, Shape("frame", QRectF(left, top, right - left, bottom - top)))

    def frame_around(self, left: float, top: float, right: float, y_bus: float,
                     names: dict[str, float] | None = None, pitch: float = 0.0) -> float:
        """The cell's frame from ``top`` down to below the bus (and the gates' names under it, when
        given as {symbol: x}); returns the y of the row of labels under the frame (h_{t−1}, x_t)."""
        bottom = self.names(names, y_bus + 0.35 * self.E, pitch) if names else y_bus
        frame_b = bottom + 0.6 * self.E
        self.frame(left, top, right, frame_b)
        return frame_b + self.g + self.ln / 2

    def highway(self, y: float, x_mult: float, x_add: float, x_end: float, prev: str, out: str) -> None:
        """The state's highway across the top: ``prev`` -> (⊙ what is kept) -> (+ what is written) -> ``out``,
        each end labelled with its value."""
        r = self.r
        self.wire([(0, y), (x_mult - r, y)], self.thick, prev, arrow=False)
        self.wire([(x_mult + r, y), (x_add - r, y)], self.thick, "kept", arrow=False)
        self.wire([(x_add + r, y), (x_end, y)], self.thick, out)
        self.value(prev, 0, self.ln / 2, "l")
        self.value(out, x_end, self.ln / 2, "r")

    # ---- gates ---------------------------------------------------------------------------------
    def gate_lines(self, sym: str, func: str, funcs: bool) -> list[tuple[str, str, str | None]]:
        """(markup, style, dynamic key) of each line in a gate's box: [σ,] f_t, its value."""
        lines = [(func, "italic", None)] if funcs else []
        return lines + [(notation.at_t(self.sym(sym)), "regular", None), (self.t["v:" + sym], "bold", "v:" + sym)]

    def sym(self, s: str) -> str:
        return self.t.get("sym:" + s, s)

    def box_size(self, gates: list[tuple[str, str]], funcs: bool) -> tuple[float, float]:
        width = max(self.w(m, style) for sym, func in gates for m, style, _ in self.gate_lines(sym, func, funcs))
        lines = 3 if funcs else 2
        return width + 1.0 * self.E, lines * self.ln + 0.35 * self.E

    def gate(self, cx: float, top: float, sym: str, func: str, size: tuple[float, float], funcs: bool) -> QRectF:
        w, h = size
        rect = QRectF(cx - w / 2, top, w, h)
        self.scene.shapes.append(Shape("box", rect, fill=sym))
        self.scene.hits[sym] = QRectF(rect)
        lines = self.gate_lines(sym, func, funcs)
        y = top + (h - len(lines) * self.ln) / 2 + self.ln / 2
        for markup, style, key in lines:
            self.label(markup, cx, y, "c", style, f"on:{sym}", key=key)
            y += self.ln
        return rect

    def name_lines(self, sym: str, width: float) -> list[str]:
        """The gate's name on one line, or on two when one is wider than ``width``."""
        name = QCoreApplication.translate("Quantity", GATE_NAMES[sym])
        if self.w(name) <= width or " " not in name:
            return [name]
        return name.split(" ", 1)

    def names_width(self, syms, pitch: float) -> float:
        return max(max(self.w(line) for line in self.name_lines(s, pitch - self.g)) for s in syms)

    def names(self, xs: dict[str, float], top: float, pitch: float) -> float:
        """Each gate's name centred under it (muted); returns the bottom of the row."""
        bottom = top
        for sym, x in xs.items():
            y = top + self.ln / 2
            for line in self.name_lines(sym, pitch - self.g):
                self.label(line, x, y, "c", "italic", "muted")
                y += self.ln
            bottom = max(bottom, y - self.ln / 2)
        return bottom


# ---- the three cells ------------------------------------------------------------------------------
def lstm(b: Builder, names: bool, funcs: bool) -> None:
    E, ln, g, r = b.E, b.ln, b.g, b.r
    gates = [("f", "σ"), ("i", "σ"), ("g", "tanh"), ("o", "σ")]
    size = b.box_size(gates, funcs)
    box_w, box_h = size
    pitch = box_w + 0.8 * E
    if names:
        pitch = max(pitch, b.names_width("figo", pitch) + 2 * g)
    w_kept, w_written = b.w(b.t["kept"]), b.w(b.t["written"])
    ell_w, ell_h = b.ellipse_size("tanh", "italic")
    # ---- x: inputs on the left, the gates, the output column (tanh(c_t), ⊙ o_t)
    frame_l = 0.6 * E
    x_x = max(b.w(b.t["h-1"]) + g, frame_l + 0.8 * E)  # x_t joins the bus here, right of h_{t−1}'s label
    x_f = max(x_x + 0.9 * E, frame_l + g + box_w / 2)
    if names:
        x_f = max(x_f, x_x + b.thin / 2 + g + b.names_width("f", pitch) / 2)
    x_i = x_f + pitch
    x_g = max(x_i + pitch, x_f + b.clear(b.thin) + w_kept + b.clear(b.mid))  # kept: between f's wire and i⊙g's
    x_o = x_g + pitch
    x_out = max(x_o + box_w / 2 + g + b.mid, x_o + r + 1.6 * E,
                x_g + b.clear(b.mid) + w_written + g + ell_w / 2)  # written: between i⊙g's wire and tanh(c_t)
    frame_r = x_out + ell_w / 2 + 0.6 * E
    x_end = max(frame_r + 1.2 * E, b.w(b.t["c-1"]) + 2 * g + b.w(b.t["c"]),
                x_x + b.thin / 2 + g + b.w(b.t["x"]) + 2 * g + b.w(b.t["h"]))
    # ---- y: c_{t−1} / c_t row, the highway, kept / written, the products, gates, bus, names, x_t row
    frame_t = ln + g
    y_h = frame_t + r + 0.4 * E
    y_tag = y_h + r + 0.15 * E + ln / 2
    y_ig = max(y_tag + ln / 2 + g + r * 0.5, y_h + 2 * r + 0.8 * E)
    ell_t = y_h + b.thick / 2 + 0.6 * E
    y_on = max(ell_t + ell_h + 0.5 * E + r, y_ig)
    y_bt = max(y_ig, y_on) + r + 0.9 * E
    y_bus = y_bt + box_h + 0.9 * E
    y_row = b.frame_around(frame_l, frame_t, frame_r, y_bus,
                           {"f": x_f, "i": x_i, "g": x_g, "o": x_o} if names else None, pitch)
    # the cell-state highway: c_{t−1} -> (⊙ f_t) -> (+ i_t⊙g_t) -> c_t
    b.highway(y_h, x_f, x_g, x_end, "c-1", "c")
    # the bus: h_{t−1} from the left, x_t from below, a tap up into each gate
    b.wire([(0, y_bus), (x_o, y_bus)], arrow=False)
    b.wire([(x_x, y_row + ln / 2), (x_x, y_bus)], arrow=False)
    b.dot(x_x, y_bus)
    b.value("h-1", 0, y_row, "l")
    b.value("x", x_x + b.thin / 2 + g, y_row, "l")
    for x in (x_f, x_i, x_g, x_o):
        b.wire([(x, y_bus), (x, y_bt + box_h)])
        b.dot(x, y_bus)
    # gates and their products
    b.wire([(x_f, y_bt), (x_f, y_h + r)])
    b.wire([(x_i, y_bt), (x_i, y_ig), (x_g - r, y_ig)])
    b.wire([(x_g, y_bt), (x_g, y_ig + r)])
    b.wire([(x_g, y_ig - r), (x_g, y_h + r)], b.mid, "written")
    b.wire([(x_o, y_bt), (x_o, y_on), (x_out - r, y_on)])
    for x, (sym, func) in zip((x_f, x_i, x_g, x_o), gates):
        b.gate(x, y_bt, sym, func, size, funcs)
    b.node(x_f, y_h, "*")
    b.node(x_g, y_h, "+")
    b.node(x_g, y_ig, "*")
    b.node(x_out, y_on, "*")
    b.value("kept", x_f + b.clear(b.thin), y_tag, "l")
    b.value("written", x_g + b.clear(b.mid), y_tag, "l")
    # the output: tanh(c_t), ⊙ o_t, h_t
    b.wire([(x_out, y_h + b.thick / 2), (x_out, ell_t)], b.mid, "c")
    b.scene.shapes.append(Shape("ellipse", QRectF(x_out - ell_w / 2, ell_t, ell_w, ell_h), fill="tanh c"))
    b.label("tanh", x_out, ell_t + ell_h / 2, "c", "italic", "on:tanh c")
    b.wire([(x_out, ell_t + ell_h), (x_out, y_on - r)])
    b.wire([(x_out, y_on + r), (x_out, y_bus), (x_end, y_bus)], b.mid, "h")
    b.value("h", x_end, y_row, "r")


def gru(b: Builder, names: bool, funcs: bool, convention: str) -> None:
    E, ln, g, r = b.E, b.ln, b.g, b.r
    gates = [("z", "σ"), ("n", "tanh"), ("r", "σ")]
    size = b.box_size(gates, funcs)
    box_w, box_h = size
    pitch = box_w + 1.0 * E
    if names:
        pitch = max(pitch, b.names_width("znr", pitch) + 2 * g)
    one_minus = "1−z_t"
    b1_w, b1_h = b.w(one_minus, "bold") + 0.8 * E, ln + 0.3 * E
    w_kept, w_written = b.w(b.t["kept"]), b.w(b.t["written"])
    # ---- x
    frame_l = 0.6 * E
    x_d = frame_l + 0.9 * E  # h_{t−1} drops from the highway into the bus here
    x_x = x_d + 0.9 * E  # x_t joins the bus
    x_z = max(x_x + 0.9 * E, x_d + b.thin / 2 + g + max(box_w, b1_w) / 2)
    if names:
        x_z = max(x_z, x_x + b.thin / 2 + g + b.names_width("z", pitch) / 2)
    kept_l = x_z + b1_w / 2 + g  # right of z's wire, and of the textbook's 1−z box on it
    x_m = x_z + b.arrow(b.thin) + 0.5 * E + b1_w / 2  # the frameworks' 1−z box, on the way from z to the n⊙ node
    x_n = max(x_z + pitch, x_m + b1_w / 2 + 0.9 * E + r, kept_l + w_kept + b.clear(b.mid))
    x_r = x_n + pitch
    written_l = x_n + b.clear(b.mid)
    frame_r = max(x_r + box_w / 2 + 0.6 * E, written_l + w_written + g)
    x_end = max(frame_r + 1.2 * E, b.w(b.t["h-1"]) + 2 * g + b.w(b.t["h"]))
    # ---- y
    frame_t = ln + g
    y_h = frame_t + r + 0.4 * E
    # the tag row; in the textbook convention the 1−z box sits in it, under the ⊙ node with an arrow between
    y_tag = y_h + r + b.arrow(b.thin) + 0.5 * E + max(ln, b1_h) / 2
    y_m = y_tag + max(ln, b1_h) / 2 + g + b1_h / 2
    y_bt = y_m + r + 1.0 * E
    y_mid = y_bt + box_h / 2
    y_bus = y_bt + box_h + 0.9 * E
    y_row = b.frame_around(frame_l, frame_t, frame_r, y_bus, {"z": x_z, "n": x_n, "r": x_r} if names else None,
                           pitch)
    # the hidden-state highway: h_{t−1} -> (⊙ kept share) -> (+ written) -> h_t
    b.highway(y_h, x_z, x_n, x_end, "h-1", "h")
    # the bus
    b.wire([(x_d, y_h + b.thick / 2), (x_d, y_bus), (x_r, y_bus)], arrow=False)
    b.wire([(x_x, y_row + ln / 2), (x_x, y_bus)], arrow=False)
    b.dot(x_x, y_bus)
    b.value("x", x_x + b.thin / 2 + g, y_row, "l")
    for x in (x_z, x_n, x_r):
        b.wire([(x, y_bus), (x, y_bt + box_h)])
        b.dot(x, y_bus)
    # z splits at J into the share kept on the highway and the share of the candidate written
    b.wire([(x_z, y_bt), (x_z, y_m)], arrow=False)
    b.dot(x_z, y_m)
    if convention == "textbook":  # kept: (1−z_t)⊙h_{t−1}; written: z_t⊙h̃_t
        b.wire([(x_z, y_m), (x_z, y_tag + b1_h / 2)])
        b.wire([(x_z, y_tag - b1_h / 2), (x_z, y_h + r)])
        b.wire([(x_z, y_m), (x_n - r, y_m)])
        one = QRectF(x_z - b1_w / 2, y_tag - b1_h / 2, b1_w, b1_h)
    else:  # kept: z_t⊙h_{t−1}; written: (1−z_t)⊙n_t
        b.wire([(x_z, y_m), (x_z, y_h + r)])
        b.wire([(x_z, y_m), (x_m - b1_w / 2, y_m)])
        b.wire([(x_m + b1_w / 2, y_m), (x_n - r, y_m)])
        one = QRectF(x_m - b1_w / 2, y_m - b1_h / 2, b1_w, b1_h)
    b.scene.shapes.append(Shape("box", one, fill="1-z"))
    b.label(one_minus, one.center().x(), one.center().y(), "c", "bold", "on:1-z")
    b.wire([(x_n, y_bt), (x_n, y_m + r)])
    b.wire([(x_n, y_m - r), (x_n, y_h + r)], b.mid, "written")
    b.wire([(x_r - box_w / 2, y_mid), (x_n + box_w / 2, y_mid)])  # r_t enters the candidate
    for x, (sym, func) in zip((x_z, x_n, x_r), gates):
        b.gate(x, y_bt, sym, func, size, funcs)
    b.node(x_z, y_h, "*")
    b.node(x_n, y_h, "+")
    b.node(x_n, y_m, "*")
    b.value("kept", kept_l, y_tag, "l")
    b.value("written", written_l, y_tag, "l")


def rnn(b: Builder, names: bool, funcs: bool, activation: str) -> None:
    E, ln, g = b.E, b.ln, b.g
    size = b.box_size([("h", activation)], funcs)
    box_w, box_h = size
    # the pre-activation split into what comes from x_t and from h_{t−1}: annotations, like gate names
    split = names and "from x" in b.t
    tags_w = max(b.w(b.t["from x"]), b.w(b.t["from h"])) if split else 0.0
    frame_l = 0.6 * E
    x_x = max(b.w(b.t["h-1"]) + g, frame_l + 0.8 * E)
    x_b = max(x_x + 0.9 * E, frame_l + g + box_w / 2)
    frame_r = max(x_b + box_w / 2 + 1.6 * E, x_b + b.thin / 2 + g + tags_w + g)
    x_end = max(frame_r + g + b.w(b.t["h"]) + 0.4 * E,
                x_x + b.thin / 2 + g + b.w(b.t["x"]) + g)
    frame_t = 0.0
    y_bt = frame_t + 0.8 * E
    y_mid = y_bt + box_h / 2
    y_tags = y_bt + box_h + g + ln / 2
    y_bus = (y_tags + ln + g + ln / 2 + 0.3 * E) if split else y_bt + box_h + 1.2 * E
    y_row = b.frame_around(frame_l, frame_t, frame_r, y_bus)
    b.wire([(0, y_bus), (x_b, y_bus)], arrow=False)
    b.wire([(x_x, y_row + ln / 2), (x_x, y_bus)], arrow=False)
    b.dot(x_x, y_bus)
    b.wire([(x_b, y_bus), (x_b, y_bt + box_h)])
    b.value("h-1", 0, y_row, "l")
    b.value("x", x_x + b.thin / 2 + g, y_row, "l")
    b.gate(x_b, y_bt, "h", activation, size, funcs)
    b.wire([(x_b + box_w / 2, y_mid), (x_end, y_mid)], b.mid, "h")
    b.value("h", x_end, y_mid - b.mid / 2 - g - ln / 2, "r")
    if split:
        b.value("from x", x_b + b.thin / 2 + g, y_tags, "l")
        b.value("from h", x_b + b.thin / 2 + g, y_tags + ln + 0.5 * g, "l")


def build(cell: str, ts: Typeset, templates: dict[str, str], *, names: bool, funcs: bool,
          convention: str = "framework", activation: str = "tanh") -> Scene:
    b = Builder(ts, templates)
    if cell == "lstm":
        lstm(b, names, funcs)
    elif cell == "gru":
        gru(b, names, funcs, convention)
    else:
        rnn(b, names, funcs, activation)
    return b.scene
