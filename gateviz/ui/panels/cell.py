"""The animated cell diagram: the LSTM / GRU / RNN cell as a slide-ready schematic.

Drawn with QPainter from a ``Scene`` (cell_scene.py) that the layout (cell_layout.py) makes for
the widget's size: one text size for every label, never below the theme's readable size; with
little room the diagram shows less (no bar charts, no formulas, no names) instead of shrinking its
text, with much room its text grows. The same scene is drawn on screen, into a QImage, an SVG or a
PDF (vector: no OpenGL; only raster devices cache the static part as a pixmap). Every element is
coloured and labelled with the first pinned unit's real value at the current step, in one notation
with time indices and true subscripts (notation.py).

GRUs follow ``Theme.gru_convention``: the frameworks' h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t by default,
or the textbook's h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t, whose z_t is the frameworks' 1 − z_t.

``labels`` (key -> markup) holds what each element says at the current step and ``values`` the
numbers; ``text_boxes``, ``wire_segments`` and ``outlines`` give the drawn geometry (tests).

Interventions (issue 13): a gate that the trace's interventions replace for the shown unit at the
current step gets a dashed vermillion outline and a small padlock (``clamp_marks``); a replaced c or
h is named in a line at the diagram's foot. The values shown are the intervened run's.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEngine, QPixmap
from PySide6.QtWidgets import QToolTip

from gateviz.core.nonfinite import max_abs_finite
from gateviz.core.view_products import holds_nan
from gateviz.core.trace import SIGMOID_GATES

from . import cell_clamps, cell_layout, cell_scene, cell_values, notation
from .cell_schematics import GATE_QUANTITY
from .cell_values import DECODER, ENCODER, MASKED, fmt, where_label, widest_value
from gateviz.ui.guard import guarded

from .common import (DIVERGING_MAP, NAN_COLOUR, QUANTITY_INFO, Panel, muted, per_unit_scaled, symmetric_limit,
                     tooltip, unit_limits)
from .masking import masked_steps, paint_cell_veil

translate = QCoreApplication.translate
LAYOUTS_KEPT = 8  # layouts remembered per panel (each a few hundred small rectangles and strings)



class CellDiagramPanel(Panel):
    panel_id = "cell"
    title = "Cell diagram"

    def description(self) -> str:
        return translate("CellDiagram", "The cell drawn as a schematic, each gate coloured and labelled with the first "
                         "pinned unit's value at the current step; with room, the formulas and the whole layer's "
                         "gates at this step.")

    def build(self) -> None:
        self.labels: dict[str, str] = {}
        self.values: dict[str, float] = {}
        self.unit = 0
        self.step = 0
        self.c_limit = 1.0  # ±range of the cell state shared by every unit
        self._c_unit_limits: np.ndarray | None = None  # (units,) each unit's max |c|, made on first use
        self.layer_data: dict[str, np.ndarray] = {}  # quantity -> (T, units) as displayed (GRU convention)
        self.limits: dict[str, tuple[float, float]] = {}
        self._magnitude: dict[str, float] = {}  # quantity -> max |value| over the layer (label widths)
        self._rnn_split: tuple[np.ndarray, np.ndarray] | None = None  # (T,) from x_t and from h_{t−1}
        self._shown = None  # (trace id, layer, direction) of layer_data
        self._content: cell_layout.Content | None = None
        self._scene: cell_scene.Scene | None = None
        self._scene_key = None
        # recent layouts by what they lay out: flipping between two layers re-uses each one's layout
        # (a layout tries several text sizes and arrangements, ~25 ms at 1600x900)
        self._layouts: dict[tuple, cell_scene.Scene] = {}
        self._static: QPixmap | None = None  # cached drawing of what does not change with the step
        self._static_key = None
        self.setMinimumSize(160, 100)
        self.clamp_marks: list[str] = []  # gate symbols marked as replaced at this step (interventions)
        self.clamped_states: list[str] = []  # every quantity replaced at this step, in words ("forget gate f")
        self.clamp_line: str | None = None  # the line naming them, when drawn
        self.masked: frozenset[int] = frozenset()  # steps a Keras mask skips (issue 14)
        self.masked_veil: QRectF | None = None  # the grey drawn over the diagram at such a step, when drawn
        self.masked_label: tuple[str, QRectF] | None = None  # its note and box, when drawn
        self._apply_colours()

    # ---- state hooks ------------------------------------------------------------------
    def rebuild(self) -> None:
        state = self.state
        if state.trace is None:
            return
        self.layer_data = {q: state.displayed(q) for q in state.trace.quantities}
        self.c_limit = symmetric_limit(self.layer_data["cell_state"]) if "cell_state" in self.layer_data else 1.0
        self._c_unit_limits = None  # a pass over the whole trace: only when the per-unit view asks for it
        self.limits = {}
        self._magnitude = {}
        for q, a in self.layer_data.items():
            kind = QUANTITY_INFO[q].kind
            self.limits[q] = (0.0, 1.0) if kind == "sigmoid" else (-1.0, 1.0) if kind == "tanh" else \
                (-self.c_limit, self.c_limit)
            self._magnitude[q] = max_abs_finite(a, default=1.0)
        self._shown = (id(state.trace), state.layer, state.direction, state.theme.gru_convention)
        self.masked = frozenset(masked_steps(state.trace))
        self._new_selection()

    def on_selection(self) -> None:
        if self.state.trace is None:
            return
        if self._shown != (id(self.state.trace), self.state.layer, self.state.direction,
                           self.state.theme.gru_convention):
            self.rebuild()
        else:  # another pinned unit: new values, a new layout (its number, its own ranges)
            self._new_selection()

    def _new_selection(self) -> None:
        state = self.state
        units = state.trace.units(state.layer)
        self.unit = next((p for p in state.pinned if p < units), 0)
        self._rnn_split = self._rnn_contributions(self.unit) if state.trace.cell == "rnn" else None
        self._content = None
        self.invalidate()
        self.on_step(state.step)

    def on_step(self, step: int) -> None:
        if self.state.trace is None:
            return
        self._compute_values(step)
        self.update()

    def apply_theme(self) -> None:
        self._apply_colours()
        if self.state.trace is not None and self._shown is not None and \
                self._shown[3] != self.state.theme.gru_convention:
            self.rebuild()  # the update gate's values and every GRU label change
            return
        self._content = None
        self.invalidate()

    def invalidate(self) -> None:
        """Forget the layout and the cached static layer (size, theme, cell, layer or pinned unit changed)."""
        self._scene = None
        self._static = None
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._scene = None
        self._static = None
        super().resizeEvent(event)

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
        self._nan_colour = QColor(NAN_COLOUR)

    # ---- values at the step ------------------------------------------------------------------
    def _prev_index(self, step: int) -> int | None:
        """Where the previous state lives: t-1 forward, t+1 for a (time-aligned) backward direction."""
        prev = step + 1 if self.state.direction == "backward" else step - 1
        return prev if 0 <= prev < self.state.trace.length else None

    def _symbol(self, quantity: str) -> str:
        return notation.symbol(quantity, self.state.theme.gru_convention)

    def _compute_values(self, step: int) -> None:
        state = self.state
        u = self.unit
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
            textbook = state.theme.gru_convention == "textbook"
            z_kept = 1.0 - v["z"] if textbook else v["z"]  # the share of h_{t−1} kept (the frameworks' z)
            v["1-z"] = 1.0 - v["z"]
            v["kept"] = z_kept * v["h-1"]
            v["written"] = (1.0 - z_kept) * v["n"]
        elif self._rnn_split is not None:
            v["from x"], v["from h"] = float(self._rnn_split[0][step]), float(self._rnn_split[1][step])
        self.values = v
        self.step = step
        self.labels = self._labels(v, step)
        self.clamp_marks, self.clamped_states = cell_clamps.find(self.state, self.layer_data, self.unit, step)

    def _terms(self) -> dict[str, str]:
        """The markup naming each value key (c-1 -> c_{t−1}, kept -> f_t⊙c_{t−1}, …)."""
        cell = self.state.trace.cell
        terms = {"h-1": "h_{t−1}", "c-1": "c_{t−1}", "c": "c_t", "h": "h_t",
                 "from x": translate("CellDiagram", "from x_t: W x_t + b"),
                 "from h": translate("CellDiagram", "from h_{t−1}: U h_{t−1} + b")}
        if cell == "lstm":
            terms["kept"], terms["written"] = notation.LSTM_KEPT, notation.LSTM_WRITTEN
        elif cell == "gru":
            terms["kept"], terms["written"] = notation.gru_kept_written(self.state.theme.gru_convention)
        for q in self.layer_data:
            sym = QUANTITY_INFO[q].symbol
            terms.setdefault(sym, notation.at_t(self._symbol(q)))
        return {key: self._in_direction(term) for key, term in terms.items()}

    def _in_direction(self, markup: str) -> str:
        """A backward direction runs from the end: its previous state is the one at t+1."""
        return markup.replace("t−1", "t+1") if self.state.direction == "backward" else markup

    def _labels(self, v: dict[str, float], step: int) -> dict[str, str]:
        terms = self._terms()
        labels = {}
        for key, value in v.items():
            text = fmt(value)
            labels["v:" + key] = text
            if key in terms:
                labels[key] = f"{terms[key]} = {text}"
        labels["x"] = self._input_label(step)
        state = self.state
        te = state.trace.meta.get("encoder_steps")  # a decoder traced with its encoder: say whose step
        part = "" if not te else (ENCODER() if step < te else DECODER())
        part += MASKED() if step in self.masked else ""
        labels["where"] = where_label(state, self.unit, str(step), part)
        labels["layer at"] = translate("CellDiagram", "whole layer at step {step}").format(step=step)
        return labels

    def _rnn_contributions(self, u: int) -> tuple[np.ndarray, np.ndarray] | None:
        return cell_values.rnn_contributions(self.state, u)

    def _input_label(self, step: int) -> str:
        return cell_values.input_label(self.state, step)

    # ---- what the diagram writes: its content, its layout ----------------------------------------
    def content(self) -> cell_layout.Content:
        if self._content is None:
            self._content = self._make_content()
        return self._content

    def _make_content(self) -> cell_layout.Content:
        state = self.state
        cell = state.trace.cell
        convention = state.theme.gru_convention
        layer = state.model.layers[state.layer] if state.model is not None else None
        terms = self._terms()
        mag = self._magnitude
        c_lim = max(self.c_limit, mag.get("cell_state", 1.0))
        h_lim = mag.get("hidden_state", 1.0)
        widest = {QUANTITY_INFO[q].symbol: widest_value(max(m, 1.0)) for q, m in mag.items()}
        widest.update({"h-1": widest["h"], "c-1": widest.get("c", "−0.00"), "tanh c": "−0.00", "1-z": "0.00"})
        if cell == "lstm":
            widest["kept"], widest["written"] = widest_value(c_lim), "−0.00"
        elif cell == "gru":
            widest["kept"], widest["written"] = widest_value(h_lim), "−0.00"
        elif self._rnn_split is not None:
            for key, a in zip(("from x", "from h"), self._rnn_split):
                widest[key] = widest_value(max_abs_finite(a) if a.size else 1.0)
        templates = {"v:" + k: w for k, w in widest.items()}
        for key, w in widest.items():
            if key in terms:
                term = terms[key]
                if cell == "gru" and key in ("kept", "written"):  # the same room in both conventions
                    other = notation.gru_kept_written("textbook" if convention == "framework" else "framework")
                    alt = other[0 if key == "kept" else 1]
                    term = max((term, alt), key=lambda m: cell_layout.typeset(100).width(m))
                templates[key] = f"{term} = {w}"
        templates["x"] = cell_values.input_template(self.state, cell_layout.typeset(100).width)
        digits = "8" * len(str(state.trace.length - 1))
        part = max(ENCODER(), DECODER(), key=len) if state.trace.meta.get("encoder_steps") else ""  # the wider
        part += MASKED() if masked_steps(state.trace) else ""
        templates["where"] = where_label(state, self.unit, digits, part)
        templates["layer at"] = translate("CellDiagram", "whole layer at step {step}").format(step=digits)
        if cell == "gru":
            templates["sym:n"] = self._symbol("candidate")
        formulas = notation.formulas(cell, convention=convention,
                                     reset_after=layer.reset_after if layer is not None else True,
                                     peepholes=bool(layer is not None and getattr(layer, "has_peepholes", False)),
                                     activation=layer.activation.name if layer is not None else "tanh")
        formulas = [(self._in_direction(m), note) for m, note in formulas]
        split_rows, split_range = [], ("−1", "+1")
        kept, written = translate("CellDiagram", "kept"), translate("CellDiagram", "written")
        if cell == "lstm":
            split_rows = [(f"{kept}  {terms['kept']}", "kept"), (f"{written}  {terms['written']}", "written"),
                          (translate("CellDiagram", "new c_t"), "c")]
            lim = self.c_range()
            split_range = (f"−{lim:.3g}", f"+{lim:.3g}")
        elif cell == "gru":
            split_rows = [(f"{kept}  {terms['kept']}", "kept"), (f"{written}  {terms['written']}", "written"),
                          (translate("CellDiagram", "new h_t"), "h")]
        charts = []
        for q in self.layer_data:
            lo, hi = self.limits[q]
            ticks = ("+max", "−max") if q == "cell_state" and self.per_unit() else (f"{hi:g}", f"{lo:g}".replace("-", "−"))
            charts.append((notation.at_t(self._symbol(q)), q) + ticks)
        units = state.trace.units(state.layer)
        note = translate("CellDiagram", "{units} units; unit {unit} in its pin colour").format(units=units, unit=self.unit)
        if any(holds_nan(a) for a in self.layer_data.values()):  # remembered per array: no pass per pin
            note += translate("CellDiagram", "; NaN in magenta")
        return cell_layout.Content(
            cell=cell, templates=templates, title=translate("CellDiagram", "{cell} cell").format(cell=cell.upper()),
            formulas=formulas, convention=convention,
            activation=layer.activation.name if layer is not None else "tanh", split_rows=split_rows,
            split_range=split_range, charts=charts, charts_note=note,
            split_title=translate("CellDiagram", "update of unit {unit}").format(unit=self.unit))

    def scene(self) -> cell_scene.Scene | None:
        """The layout for the widget's current size (made when first needed after a change)."""
        if self.state.trace is None or not self.values:
            return None
        key = (self.width(), self.height(), self.state.theme)
        if self._scene is None or self._scene_key != key:
            content = self.content()
            layout_key = (repr(content), self.width(), self.height(), self.state.theme.presentation)
            scene = self._layouts.pop(layout_key, None)
            if scene is None:
                scene = cell_layout.layout(content, (float(self.width()), float(self.height())),
                                           self.state.theme.presentation)
            self._layouts[layout_key] = scene  # the most recent last
            while len(self._layouts) > LAYOUTS_KEPT:
                del self._layouts[next(iter(self._layouts))]
            self._scene = scene
            self._scene_key = key
            self._static = None
        return self._scene

    def typeset(self):
        scene = self.scene()
        return cell_layout.typeset(scene.em) if scene is not None else None

    def readable_size(self) -> QSize:
        """The smallest size at which the compact diagram (gates, their values, every wire's value) has
        labels at the theme's readable size (capitals 12 px tall, 18 px in presentation mode)."""
        if self.state.trace is None or not self.layer_data:
            return super().readable_size()
        content, presentation = self.content(), self.state.theme.presentation
        cached = getattr(self, "_readable", None)  # layouts ask often while they fit; it changes with the content
        if cached is None or cached[0] is not content or cached[1] != presentation:
            cached = self._readable = (content, presentation, cell_layout.readable_size(content, presentation))
        return QSize(cached[2])

    def text_height(self) -> float:
        """How tall the diagram's capitals and digits are now, in logical pixels (cell_text's definition)."""
        ts = self.typeset()
        return ts.cap_height if ts is not None else 0.0

    # ---- geometry, for tests and tooltips --------------------------------------------------------
    def text_boxes(self) -> list[tuple[str, QRectF]]:
        """Every text the diagram draws now with its line box, in widget coordinates."""
        scene = self.scene()
        if scene is None:
            return []
        ts = cell_layout.typeset(scene.em)
        out = []
        for lb in scene.labels:
            text = self.label_text(lb.key) if lb.key is not None else lb.markup
            e = ts.extent(text, lb.style)
            r = lb.rect
            x = r.left() if lb.align == "l" else r.right() - e.width if lb.align == "r" else r.center().x() - e.width / 2
            out.append((text, QRectF(x, r.center().y() - e.height / 2, e.width, e.height)))
        return out

    def wire_segments(self) -> list[tuple[QPointF, QPointF, float]]:
        """Every straight piece of every wire (and arrow head) with its drawn width, widget coordinates."""
        scene = self.scene()
        return scene.wire_segments() if scene is not None else []

    def outlines(self) -> list[tuple[str, QRectF]]:
        """(kind, rectangle) of the cell frame, gate boxes, nodes, ellipses and charts, widget coordinates."""
        scene = self.scene()
        return scene.outlines() if scene is not None else []

    def gate_rects(self) -> dict[str, QRectF]:
        """Gate symbol -> its box in widget coordinates (the tooltips' hit areas)."""
        scene = self.scene()
        return dict(scene.hits) if scene is not None else {}

    @guarded(fallback=False)
    def event(self, ev) -> bool:
        """Tooltips: hovering a gate explains it in one sentence with its formula."""
        if ev.type() == QEvent.Type.ToolTip and self.state.trace is not None:
            pos = QPointF(ev.pos())
            for symbol, rect in self.gate_rects().items():
                if rect.contains(pos) and symbol in GATE_QUANTITY:
                    QToolTip.showText(ev.globalPos(), self.gate_tooltip(symbol), self)
                    return True
            QToolTip.showText(ev.globalPos(), self.description(), self)
            return True
        return super().event(ev)

    def gate_tooltip(self, symbol: str) -> str:
        cell = self.state.trace.cell
        where = translate("CellDiagram", "(unit {unit}, step {step})").format(unit=self.unit, step=self.step)
        return f"{tooltip(GATE_QUANTITY[symbol], cell, self.state.theme.gru_convention)}\n{self.labels.get(symbol, '')} {where}"

    # ---- what the scene asks while painting (cell_scene.paint's context) -------------------------
    def value_colour(self, key: str) -> QColor:
        return self.colour_of(key, self.values.get(key, 0.0))

    def colour_of(self, symbol: str, value: float) -> QColor:
        value = float(value)
        if value != value:  # NaN: its own colour, which no colour map uses (an int of NaN raised in paintEvent)
            return self._nan_colour
        if symbol in ("i", "f", "o", "r", "z", "1-z"):
            return self._seq_lut[int(round(min(max(value, 0.0), 1.0) * 255))]  # (no np.clip: µs per scalar)
        lim = self.c_range() if symbol in ("c", "c-1", "kept", "written") and self.state.trace.cell == "lstm" else 1.0
        if not lim > 0 or lim == float("inf"):
            lim = 1.0
        # ±inf lands on the map's ends
        return self._div_lut[int(round(min(max((value / lim + 1) / 2, 0.0), 1.0) * 255))]

    def nan_colour(self) -> QColor:
        return self._nan_colour

    @staticmethod
    def text_on(colour: QColor) -> QColor:
        lum = 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
        return QColor("#000000") if lum > 0.5 else QColor("#ffffff")

    def label_text(self, key: str) -> str:
        return self.labels.get(key, "")

    def split(self, key: str) -> tuple[float, float]:
        return self.values.get(key, 0.0), (self.c_range() if self.state.trace.cell == "lstm" else 1.0)

    def chart(self, quantity: str) -> cell_scene.ChartData | None:
        a = self.layer_data.get(quantity)
        if a is None:
            return None
        data = a[self.step]
        lo, hi = self.limits[quantity]
        if quantity == "cell_state" and self.per_unit():
            data = data / self.c_unit_limits()  # (units,) each within ±1 of its own max |c|
            lo, hi = -1.0, 1.0
        colour = self._seq_lut[89] if quantity in SIGMOID_GATES else QColor("#7f7f7f")
        return cell_scene.ChartData(data, lo, hi, colour, self.unit, QColor(self.state.pin_colour(self.unit)))

    # ---- painting --------------------------------------------------------------------------------
    @guarded
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        try:  # ended whatever happens: a painter left active on a pixmap that dies first crashes Qt
            self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        scene = self.scene()
        if scene is None:
            p.fillRect(self.rect(), self.bg)
            p.setPen(self.muted)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, translate("CellDiagram", "no trace yet"))
            return
        ts = cell_layout.typeset(scene.em)
        engine = p.paintEngine()
        if engine is not None and engine.type() == QPaintEngine.Type.Raster:
            # on screen / into an image: what does not change with the step comes from a cached pixmap;
            # only values are drawn per frame. Vector devices (SVG, PDF) get everything drawn.
            dpr = max(self.devicePixelRatioF(), abs(p.deviceTransform().m11()))
            key = (self.width(), self.height(), dpr, id(scene))
            if self._static is None or self._static_key != key:
                pm = QPixmap(max(1, int(self.width() * dpr)), max(1, int(self.height() * dpr)))
                pm.setDevicePixelRatio(dpr)
                pm.fill(self.bg)
                q = QPainter(pm)
                try:
                    cell_scene.paint(q, scene, ts, self, static=True, dynamic=False, cached=True)
                finally:
                    q.end()
                self._static, self._static_key = pm, key
            p.drawPixmap(QRectF(0, 0, self.width(), self.height()), self._static, QRectF(self._static.rect()))
            cell_scene.paint(p, scene, ts, self, static=False, dynamic=True, cached=True)
        else:
            p.fillRect(self.rect(), self.bg)
            cell_scene.paint(p, scene, ts, self, static=True, dynamic=True, cached=False)
        self.clamp_line = cell_clamps.paint(p, self, ts)
        # a step a Keras mask skips: veiled, and a note says so (masking.py)
        self.masked_veil, self.masked_label = paint_cell_veil(p, self, ts) if self.step in self.masked else (None, None)
