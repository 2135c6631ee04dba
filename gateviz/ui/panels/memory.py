"""Memory through time: which earlier inputs and states the output at t* depends on.

Four plots share the time axis (t* = the step of the gradients shown, marked by a dashed line;
the solid line is the time cursor, which the gradients follow):

    connectivity    bars ||∂y/∂x_t||: which earlier inputs matter now (Distill's connectivity)
    gradient norms  ||∂y/∂h_t|| (solid) and, for an LSTM, ||∂y/∂c_t|| (dashed) per layer and
                    direction on a log axis: this model's vanishing-gradient curve on this input
    heatmap         ∂y/∂c_t (LSTM) or ∂y/∂h_t of the selected layer and direction, units × time,
                    a diverging map scaled to the largest |value|; pinned units marked at the left
    carousel        LSTM: the forget product ∏_{s=t+1..t*} f_s of the pinned units (solid) beside
                    their forget gate f_t (thin): how much of c_t still reaches c_{t*}

Exact zeros (an h_t that cannot reach y, e.g. after t* in a forward layer) are gaps on the log
axis, never a made-up floor. The gradients come from ``state.gradients`` (a GradientFollower
computes them off the GUI thread); until they arrive the title says so.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout

from gateviz.core.gradients import forget_product
from gateviz.ui.guard import guarded

from .common import (DIVERGING_MAP, Panel, TimeCursor, direction_name, gradient_definition, muted, style_plot,
                     translate)
from .io_generic import localized_names
from .plot_fit import label_px, log_ticks, power_label

# one colour per layer and direction (Okabe-Ito); the dark theme starts with the lighter ones
DIRECTION_COLOURS = {"light": ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"],
                     "dark": ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00"]}


def _log_ready(values: np.ndarray) -> np.ndarray:
    """log10 of positive values, NaN (a gap) where a value is 0 or not finite."""
    out = np.full(values.shape, np.nan)
    good = np.isfinite(values) & (values > 0)
    out[good] = np.log10(values[good])
    return out


class _PowerAxis(pg.AxisItem):
    """A left axis for log10 data: ticks at whole powers of ten, written 10⁻³ (and 1)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802,N803 (pyqtgraph's names)
        lo, hi = int(np.ceil(minVal)), int(np.floor(maxVal))
        if hi < lo:
            return [(1.0, [float(np.round((minVal + maxVal) / 2))])]
        room = max(2, int(size // max(1.0, label_px(self) * 1.6)))  # as many labels as the height holds
        exponents = log_ticks(lo, hi, room)
        spacing = float(exponents[1] - exponents[0]) if len(exponents) > 1 else 1.0
        return [(spacing, [float(v) for v in exponents])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return ["1" if int(v) == 0 else power_label(int(v)) for v in values]


class MemoryPanel(Panel):
    panel_id = "memory"
    title = "Memory through time"

    def description(self) -> str:
        return translate("Memory", "Which earlier inputs and states the output at t* depends on: the connectivity "
                         "||∂y/∂x_t||, the gradient norms ||∂y/∂h_t|| (and ||∂y/∂c_t||) on a log axis, ∂y/∂c_t per "
                         "unit, and the forget gates' product along the cell state. t* follows the time cursor.")

    def build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 4, 0)
        self.caption = QLabel()
        self.caption.setContentsMargins(8, 2, 8, 2)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(self.caption, 1)
        # what y is: the model's output (its predicted class), one head output/class, or a pinned unit's h
        self.target_box = QComboBox()
        self.target_box.setToolTip(translate("Memory", "What y is: the model's output at the cursor (a softmax head: "
                                             "the log-probability of the predicted class), one output or class, or "
                                             "one pinned unit's hidden state"))
        self.target_box.activated.connect(self._target_chosen)
        header.addWidget(self.target_box)
        layout.addLayout(header)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(2)
        layout.addWidget(self.view, 1)
        ci = self.view.ci
        self.conn_plot = ci.addPlot(row=0, col=0, enableMenu=False)
        self.norm_plot = ci.addPlot(row=1, col=0, axisItems={"left": _PowerAxis("left")}, enableMenu=False)
        self.heat_plot = ci.addPlot(row=2, col=0, enableMenu=False)
        self.carousel_plot = ci.addPlot(row=3, col=0, enableMenu=False)
        self._carousel_shown = True
        self.plots = [self.conn_plot, self.norm_plot, self.heat_plot, self.carousel_plot]
        for p in self.plots:
            p.hideButtons()
            p.setMouseEnabled(x=True, y=False)
            p.disableAutoRange()
            p.getAxis("left").setWidth(56)
            if p is not self.conn_plot:
                p.setXLink(self.conn_plot)
        ci.layout.setRowStretchFactor(0, 2)
        ci.layout.setRowStretchFactor(1, 4)
        ci.layout.setRowStretchFactor(2, 4)
        ci.layout.setRowStretchFactor(3, 3)
        self.conn_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" crowds a short axis
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#0072B2", pen=None)
        self.conn_plot.addItem(self.bars)
        self.norm_lines: dict[tuple[int, str, str], pg.PlotDataItem] = {}
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(pg.colormap.get(DIVERGING_MAP))
        self.heat_plot.addItem(self.heat)
        self.pin_frames: dict[int, pg.PlotDataItem] = {}  # a frame around each pinned unit's row
        self.product_lines: dict[int, pg.PlotDataItem] = {}
        self.forget_lines: dict[int, pg.PlotDataItem] = {}
        self.cursors, self.target_lines = [], []
        for p in self.plots:
            cursor = TimeCursor()
            cursor.setZValue(20)
            p.addItem(cursor)
            self.cursors.append(cursor)
            line = pg.InfiniteLine(angle=90, movable=False)
            line.marks_target_step = True  # t* of the gradients shown: it lags the cursor while they compute
            line.setZValue(19)
            p.addItem(line)
            self.target_lines.append(line)
        self.length = 0
        self.state.gradientsChanged.connect(self._gradients_changed)  # the base class wires the other four

    # ---- hooks ---------------------------------------------------------------
    def rebuild(self) -> None:
        trace = self.state.trace
        self.length = trace.length
        lstm = trace.cell == "lstm"
        if lstm != self._carousel_shown:  # a hidden plot would keep its row: take it out of the grid
            if lstm:
                self.view.ci.addItem(self.carousel_plot, row=3, col=0)
            else:
                self.view.ci.removeItem(self.carousel_plot)
            self.carousel_plot.setVisible(lstm)
            self._carousel_shown = lstm
        for p in self.plots:
            p.setXRange(-0.5, self.length - 0.5, padding=0)
        self.conn_plot.setLabel("left", "‖∂y/∂x‖")
        self.heat_plot.setLabel("left", translate("Panels", "unit"))
        self.carousel_plot.setYRange(0, 1.02, padding=0)
        self.carousel_plot.setLabel("left", "∏ f")
        # three fixed ticks: a product in [0, 1] reads at any height (auto ticks crowd a short plot)
        self.carousel_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        for p in self.plots:
            p.getAxis("bottom").setStyle(showValues=p is self.last_plot())
        self.last_plot().setLabel("bottom", translate("Memory", "step t"))
        self._fill_targets()
        self._update_gradients()
        self.on_step(self.state.step)  # the cursor starts where the state's step is

    def on_step(self, step: int) -> None:
        for cursor in self.cursors:
            cursor.setValue(step)
        self._update_caption()

    def on_selection(self) -> None:
        self._fill_targets()
        self._update_gradients()

    # ---- the target ------------------------------------------------------------
    MAX_CLASSES = 64  # a head with more outputs (a text model's vocabulary) lists only its default

    def _fill_targets(self) -> None:
        s = self.state
        box = self.target_box
        box.blockSignals(True)
        box.clear()
        self._targets: list[tuple] = []  # (output, unit) per entry (Qt would turn tuples into lists)

        def add(text: str, target: tuple) -> None:
            box.addItem(text)
            self._targets.append(target)

        head = s.model.head if s.model is not None else None
        add(translate("Memory", "y: the model's output") if head is not None
            else translate("Memory", "y: the top layer's output"), (None, None))
        if head is not None and head.out_features <= self.MAX_CLASSES:
            labels = localized_names(head.labels or [])
            word = "log p" if head.activation == "softmax" else translate("Memory", "output")
            for k in range(head.out_features):
                name = labels[k] if k < len(labels) else str(k)
                add(f"y: {word}({name!r})" if labels else f"y: {word} {k}", (k, None))
        unit_y = translate("Memory", "y: h of unit {unit} (layer {layer} {direction})")
        for u in s.pinned:
            add(unit_y.format(unit=u, layer=s.layer, direction=direction_name(s.direction)),
                (None, (s.layer, s.direction, u)))
        wanted = (s.gradient_output, s.gradient_unit)
        if wanted not in self._targets:  # a unit no longer pinned stays the target, listed
            k, d, u = s.gradient_unit
            add(unit_y.format(unit=u, layer=k, direction=direction_name(d)), wanted)
        index = self._targets.index(wanted)
        box.setCurrentIndex(index)
        box.blockSignals(False)

    @guarded
    def _target_chosen(self, index: int) -> None:
        if 0 <= index < len(self._targets):
            self.state.set_gradient_target(*self._targets[index])

    def last_plot(self) -> pg.PlotItem:
        return self.carousel_plot if self._carousel_shown else self.heat_plot

    @guarded
    def _gradients_changed(self) -> None:
        self._update_gradients()

    # ---- drawing -------------------------------------------------------------
    def _update_caption(self) -> None:
        s, theme = self.state, self.state.theme
        g = s.gradients
        small = f"font-size:{theme.font_pt - 1}pt; color:{muted(theme)}"
        if s.gradient_error:
            text = f"<span style='{small}'>" + translate("Memory", "gradients unavailable: {error}").format(
                error=s.gradient_error) + "</span>"
        elif g is None:
            text = f"<span style='{small}'>" + translate("Memory", "computing gradients for step {step}…").format(
                step=s.step) + "</span>"
        else:
            lag = "" if g.target.step == s.step else translate("Memory", " (computing step {step}…)").format(step=s.step)
            text = (f"<span style='font-size:{theme.font_pt}pt; color:{theme.foreground}'><b>y</b> = "
                    f"{gradient_definition(g.definition)}</span><span style='{small}'>&nbsp; t* = {g.target.step}{lag}</span>")
        self.caption.setText(text)

    def _update_gradients(self) -> None:
        s = self.state
        if s.trace is None:
            return
        g = s.gradients
        self._update_caption()
        if g is None or g.input.shape[0] != self.length:
            self.bars.setOpts(x=[], height=[])
            for line in list(self.norm_lines.values()) + list(self.product_lines.values()) + \
                    list(self.forget_lines.values()):
                line.setData([], [])
            self.heat.clear()
            for frame in self.pin_frames.values():
                frame.setData([], [])
            return
        t_star = g.target.step
        for line in self.target_lines:
            line.setValue(t_star)
        steps = np.arange(self.length)
        conn = np.nan_to_num(g.connectivity.astype(np.float64), nan=0.0, posinf=0.0)
        self.bars.setOpts(x=steps, height=conn, width=0.8)
        top = float(conn.max()) if conn.size and conn.max() > 0 else 1.0
        self.conn_plot.setYRange(0, top * 1.05, padding=0)
        self._draw_norms(g, steps)
        self._draw_heatmap(g)
        self._draw_carousel(g, steps, t_star)

    def _draw_norms(self, g, steps: np.ndarray) -> None:
        theme = self.state.theme
        wanted = []
        for k, d in g.hidden:
            wanted.append((k, d, "hidden"))
            if (k, d) in g.cell:
                wanted.append((k, d, "cell"))
        for key in list(self.norm_lines):
            if key not in wanted:
                self.norm_plot.removeItem(self.norm_lines.pop(key))
        lows, highs = [], []
        names = []
        for n, key in enumerate(dict.fromkeys((k, d) for k, d, _ in wanted)):
            palette = DIRECTION_COLOURS["dark" if theme.name == "dark" else "light"]
            colour = palette[n % len(palette)]
            names.append((key, colour))
            for which in ("hidden", "cell"):
                if (key[0], key[1], which) not in wanted:
                    continue
                y = _log_ready(g.norms(key[0], key[1], which))
                line = self.norm_lines.get((key[0], key[1], which))
                if line is None:
                    line = self.norm_lines[(key[0], key[1], which)] = self.norm_plot.plot(connect="finite")
                style = Qt.PenStyle.SolidLine if which == "hidden" else Qt.PenStyle.DashLine
                line.setPen(pg.mkPen(colour, width=theme.line_width, style=style))
                line.setData(steps, y, connect="finite")
                finite = y[np.isfinite(y)]
                if finite.size:
                    lows.append(finite.min())
                    highs.append(finite.max())
        if lows:
            lo, hi = np.floor(min(lows)), np.ceil(max(highs))
            if hi - lo < 1:
                lo, hi = lo - 0.5, hi + 0.5
            self.norm_plot.setYRange(lo, hi, padding=0.02)
        fg = theme.foreground
        layer_dir = translate("Memory", "layer {layer} {direction}")
        parts = [f"<span style='color:{c}'>━ " + layer_dir.format(layer=k, direction=direction_name(d)) + "</span>"
                 if len(names) > 1 else "" for (k, d), c in names]
        legend = " ".join(p for p in parts if p)
        has_cell = any(w == "cell" for *_, w in wanted)
        kinds = "‖∂y/∂h<sub>t</sub>‖ ━" + (" &nbsp;‖∂y/∂c<sub>t</sub>‖ ╌" if has_cell else "")
        self.norm_plot.setTitle(f"<span style='color:{fg}; font-size:{theme.font_pt}pt'>{kinds}</span> "
                                f"<span style='font-size:{theme.font_pt - 1}pt'>{legend}</span>")

    def _draw_heatmap(self, g) -> None:
        s, theme = self.state, self.state.theme
        key = (s.layer, s.direction)
        lstm = key in g.cell
        data = g.cell[key] if lstm else g.hidden.get(key)
        if data is None:
            self.heat.clear()
            return
        img = np.ascontiguousarray(data.T, dtype=np.float32)  # (units, T): one row per unit
        finite = np.abs(img[np.isfinite(img)])
        m = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        self.heat.setImage(img, levels=(-m, m), autoLevels=False)
        self.heat.setRect(-0.5, -0.5, self.length, img.shape[0])
        self.heat_plot.setYRange(-0.5, img.shape[0] - 0.5, padding=0)
        self.heat_plot.invertY(True)
        pins = [u for u in s.pinned if u < img.shape[0]]
        for u in list(self.pin_frames):
            if u not in pins:
                self.heat_plot.removeItem(self.pin_frames.pop(u))
        right = self.length - 0.5
        for u in pins:
            frame = self.pin_frames.get(u) or self.pin_frames.setdefault(u, self.heat_plot.plot())
            frame.setPen(pg.mkPen(s.pin_colour(u), width=max(1.5, theme.line_width)))
            frame.setData([-0.5, right, right, -0.5, -0.5], [u - 0.5, u - 0.5, u + 0.5, u + 0.5, u - 0.5])
        what = "∂y/∂c<sub>t</sub>" if lstm else "∂y/∂h<sub>t</sub>"
        where = (translate("Memory", "layer {layer} {direction}").format(layer=key[0], direction=direction_name(key[1]))
                 if (s.trace.num_layers > 1 or len(s.trace.directions(0)) > 1) else "")
        colours = translate("Memory", "(blue − · red +; pinned units framed)")
        self.heat_plot.setTitle(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{what}</span>"
                                f"<span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'> &nbsp;{where}"
                                f" ±{m:.2g} {colours}</span>")

    def _draw_carousel(self, g, steps: np.ndarray, t_star: int) -> None:
        s, theme = self.state, self.state.theme
        if s.trace.cell != "lstm":
            return
        f = s.trace.get(s.layer, s.direction, "forget_gate")
        reverse = s.direction == "backward"
        pins = [u for u in s.pinned if u < f.shape[1]]
        carrier = self._carrier(g, t_star, reverse)
        if carrier is not None and carrier not in pins:
            pins = pins + [carrier]  # the unit whose c carries y furthest: the carousel, even unpinned
        for store in (self.product_lines, self.forget_lines):
            for u in list(store):
                if u not in pins:
                    self.carousel_plot.removeItem(store.pop(u))
        product = forget_product(f[:, pins], t_star, reverse=reverse) if pins else None
        for n, u in enumerate(pins):
            colour = QColor(s.pin_colour(u) if u in s.pinned else theme.foreground)
            line = self.product_lines.get(u) or self.product_lines.setdefault(u, self.carousel_plot.plot())
            line.setPen(pg.mkPen(colour, width=theme.line_width * 1.4))
            line.setData(steps, product[:, n], connect="finite")
            faint = QColor(colour)
            faint.setAlpha(150)
            thin = self.forget_lines.get(u) or self.forget_lines.setdefault(u, self.carousel_plot.plot())
            thin.setPen(pg.mkPen(faint, width=max(1.0, theme.line_width * 0.6), style=Qt.PenStyle.DotLine))
            thin.setData(steps, np.asarray(f[:, u], dtype=np.float64), connect="finite")
        unit, furthest = translate("Memory", "unit {unit}"), translate("Memory", " (carries y furthest)")
        units = translate("Memory", ", ").join(
            f"<span style='color:{s.pin_colour(u) if u in s.pinned else theme.foreground}'>"
            + unit.format(unit=u) + ("" if u in s.pinned else furthest) + "</span>" for u in pins)
        head = translate("Memory", "∏ f<sub>s</sub> from t to t*")
        product = translate("Memory", "product")
        self.carousel_plot.setTitle(
            f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{head}"
            f"</span><span style='color:{muted(theme)}; font-size:{theme.font_pt - 1}pt'> &nbsp;━ {product} ┈ f<sub>t</sub>"
            f" &nbsp;{units}</span>")

    def _carrier(self, g, t_star: int, reverse: bool) -> int | None:
        """The unit of this layer and direction whose ∂y/∂c_t is largest, summed over the steps
        before t* (after it for a backward direction): where the carousel carries y."""
        dc = g.cell.get((self.state.layer, self.state.direction))
        if dc is None:
            return None
        part = dc[t_star + 1:] if reverse else dc[:t_star]
        if not part.size:
            return None
        totals = np.nansum(np.abs(part.astype(np.float64)), axis=0)
        return int(np.argmax(totals)) if totals.max() > 0 else None

    # ---- theme and size ------------------------------------------------------
    def apply_theme(self) -> None:
        theme = self.state.theme
        self.view.setBackground(theme.background)
        axis_width = max(56, int(theme.font_pt * 96 / 72 * 4.4))  # tick labels and the rotated name side by side
        for p in self.plots:
            style_plot(p, theme)
            p.getAxis("left").setWidth(axis_width)
        accent = "#56B4E9" if theme.name == "dark" else "#0072B2"
        self.bars.setOpts(brush=pg.mkBrush(accent))
        for cursor in self.cursors:
            cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width))
        for line in self.target_lines:
            line.setPen(pg.mkPen("#D55E00", width=theme.line_width, style=Qt.PenStyle.DashLine))
        self.setStyleSheet(f"background:{theme.background}")
        if self.state.trace is not None:
            self._update_gradients()

    def readable_size(self) -> QSize:
        theme = self.state.theme
        line = theme.font_pt * 96 / 72 * 1.3
        rows = 4 if (self.state.trace is not None and self.state.trace.cell == "lstm") else 3
        return QSize(int(40 * line), int(rows * 5.5 * line + 2 * line))
