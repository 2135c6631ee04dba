"""The text view of the input/output panel: characters coloured by a unit's h (the Karpathy figure)
with a small plot below (surprisal, bracket depth, or the unit itself)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

from .common import DIVERGING_MAP, cache_static
from .io_base import (IOView, fit_y_range, legend_html, new_cursor, new_plot, nice_ticks, plot_title, readable_on,
                      series_colour, set_y_ticks, size_bottom_axis, style_plot, value_colour)


class CharGrid(QWidget):
    """Characters in a wrapped grid, each on a cell coloured by a value in [-1, 1] (Karpathy et al. 2015).

    The current step's character is outlined. Only the visible rows are painted; when the text
    does not fit, the rows scroll so the current character stays in view.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chars: list[str] = []
        self.values = np.zeros(0, dtype=np.float32)
        self.step = 0
        self.cmap = pg.colormap.get(DIVERGING_MAP)
        self.background = QColor("#ffffff")
        self.foreground = QColor("#202020")
        self.font_pt = 11
        self.setMinimumHeight(60)

    def set_text(self, chars: list[str], values: np.ndarray) -> None:
        if chars != self.chars:
            self._fit_key = None
        self.chars, self.values = chars, np.asarray(values, dtype=np.float32)
        self.update()

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def _metrics(self, pt: float):
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(pt)
        fm = QFontMetricsF(font)
        return font, fm.horizontalAdvance("M") + 4, fm.height() + 6

    def _layout(self, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of every character: wrapped at ``cols`` and after each newline."""
        rows_of = np.empty(len(self.chars), dtype=np.int64)
        cols_of = np.empty(len(self.chars), dtype=np.int64)
        r = c = 0
        for k, ch in enumerate(self.chars):
            if c >= cols:
                r, c = r + 1, 0
            rows_of[k], cols_of[k] = r, c
            c += 1
            if ch == "\n":
                r, c = r + 1, 0
        return rows_of, cols_of

    MARGIN = 6

    def _fit_in(self, width: int, height: int):
        """(font, cell width, cell height, rows_of, cols_of, n_rows) for the largest font (up to 2.6x
        the theme's) at which the whole text fits in width x height; else the theme's (it scrolls)."""
        margin = self.MARGIN
        best = None
        for pt in np.arange(self.font_pt * 2.6, self.font_pt - 0.1, -1.0):
            font, cw, ch = self._metrics(float(pt))
            cols = max(1, int((width - 2 * margin) // cw))
            rows_of, cols_of = self._layout(cols)
            n_rows = int(rows_of[-1]) + 1 if len(rows_of) else 1
            best = (font, cw, ch, rows_of, cols_of, n_rows)
            if n_rows * ch <= height - 2 * margin:
                break
        return best

    def _fit(self):
        key = (self.width(), self.height(), len(self.chars), self.font_pt)
        if getattr(self, "_fit_key", None) == key:
            return self._fit_value
        self._fit_key, self._fit_value = key, self._fit_in(self.width(), self.height())
        return self._fit_value

    def height_needed(self, width: int, max_height: int) -> int:
        """The height the wrapped text takes at ``width`` in the largest font that fits in
        ``max_height`` (at least one row); ``max_height`` when even the theme's font overflows."""
        if not self.chars:
            return min(max_height, self.minimumHeight())
        _, _, ch, _, _, n_rows = self._fit_in(width, max_height)
        return int(min(max_height, np.ceil(n_rows * ch + 2 * self.MARGIN)))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        if not self.chars:
            p.end()
            return
        font, cw, ch, rows_of, cols_of, n_rows = self._fit()
        p.setFont(font)
        margin = self.MARGIN
        rows_fit = max(1, int((self.height() - 2 * margin) // ch))
        cur_row = int(rows_of[min(self.step, len(rows_of) - 1)])
        first = 0 if n_rows <= rows_fit else int(np.clip(cur_row - rows_fit // 2, 0, n_rows - rows_fit))
        visible = np.flatnonzero((rows_of >= first) & (rows_of < first + rows_fit))
        centre = Qt.AlignmentFlag.AlignCenter
        for k in visible.tolist():
            rect = QRectF(margin + cols_of[k] * cw, margin + (rows_of[k] - first) * ch, cw - 1, ch - 1)
            colour = value_colour(float(self.values[k]) if k < len(self.values) else np.nan, self.cmap)
            p.fillRect(rect, colour)
            glyph = {"\n": "↵", "\t": "→", " ": ""}.get(self.chars[k], self.chars[k])
            if glyph:
                p.setPen(readable_on(colour))
                p.drawText(rect, centre, glyph)
        if 0 <= self.step < len(self.chars) and first <= rows_of[self.step] < first + rows_fit:
            rect = QRectF(margin + cols_of[self.step] * cw - 1.5, margin + (rows_of[self.step] - first) * ch - 1.5,
                          cw + 2, ch + 2)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(self.foreground, 4))  # a double frame reads on any cell colour
            p.drawRect(rect)
            p.setPen(QPen(self.background, 1.5))
            p.drawRect(rect)
        p.end()


class TextView(IOView):
    """Text models (and brackets): each character coloured by the selected unit's h (the Karpathy figure).

    Below the text, a small plot over time: the surprisal of the next character (text task), the
    bracket depth and its prediction (brackets task), or the unit's value (no task).
    """

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.grid = CharGrid()
        layout.addWidget(self.grid, 0)  # as tall as the wrapped text needs (``_fit_grid``)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)  # the plot takes the rest
        self.plot = new_plot(self.graphics.ci, 0)
        self.cursor = new_cursor(self.plot)
        self.curves: list[pg.PlotDataItem] = []
        self.chars: list[str] = []
        self.plot_title = ("", "")
        self._y_data = (-1.0, 1.0)  # the plotted data's range; the y range adds room for the end tick labels
        self.plot.vb.sigResized.connect(self._fit_y_range)

    PLOT_SHARE = 0.66  # the plot keeps at least this share of the view's height ...
    PLOT_MIN_PX = 150  # ... and at least this many pixels (x1.3 in presentation mode)

    def _unit(self) -> int:
        return self.state.pinned[0] if self.state.pinned else 0

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_title(self) -> None:
        """A title row as tall as its one line of text, not pyqtgraph's fixed 30 px: the plot is short."""
        label = self.plot.titleLabel
        height = int(np.ceil(label.item.boundingRect().height())) + 2
        self.plot.layout.setRowFixedHeight(0, height)
        label.setMaximumHeight(height)

    def _fit_y_range(self, *_) -> None:
        """The data's y range with room for the end tick labels (0 and the deepest level)."""
        fit_y_range(self.plot, *self._y_data)

    def _fit_grid(self) -> None:
        """Give the text block the height its wrapped rows need, at most what the plot leaves.

        A block that stretched with the view left the plot below 20-40 px tall (depth 0..8 looked
        flat); text that does not fit the block scrolls to keep the current character in view."""
        height = self.height()
        if height <= 0:
            return
        plot_min = max(self.PLOT_SHARE * height,
                       self.PLOT_MIN_PX * (1.3 if self.state.theme.presentation else 1.0))
        room = int(max(self.grid.minimumSizeHint().height(), 40, height - plot_min))
        needed = self.grid.height_needed(self.width(), room)
        if needed != self.grid.height() or self.grid.maximumHeight() != needed:
            self.grid.setFixedHeight(needed)
            self.layout().activate()  # the plot takes the freed height now, not at the next event loop pass

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        seq = self.state.sequence
        if decoded is not None and "chars" in decoded:
            self.chars = list(decoded["chars"])
        elif isinstance(seq, str):
            self.chars = list(seq)
        else:
            vocab = self.state.model.input.vocab if self.state.model is not None else None
            tokens = self.state.trace.tokens
            self.chars = [vocab[int(t)] for t in tokens] if vocab is not None and tokens is not None else []
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        T = self.state.trace.length
        steps = np.arange(T, dtype=np.float32)
        task = self.state.task.name if self.state.task is not None and decoded is not None else None
        if task == "text" and decoded.get("surprisal") is not None:
            s = np.asarray(decoded["surprisal"], dtype=np.float32)  # (T-1,): bits to read char t+1 at step t
            self.curves.append(self.plot.plot(steps[: len(s)], np.nan_to_num(s, nan=0.0)))
            finite = s[np.isfinite(s)]
            hi = max(float(finite.max()), 1.0) if len(finite) else 1.0
            self._y_data = (0.0, hi)
            set_y_ticks(self.plot, nice_ticks(0.0, hi))
            self.plot_title = ("surprisal of the next character", "bits, −log₂ p(next)")
        elif task == "brackets":
            depth = np.asarray(decoded["depth"], dtype=np.float32)
            self.curves.append(self.plot.plot(steps, depth, name="true depth"))
            if decoded.get("predicted") is not None:
                self.curves.append(self.plot.plot(steps, np.asarray(decoded["predicted"], dtype=np.float32),
                                                  name="predicted"))
            values = np.concatenate([c.getData()[1] for c in self.curves])
            values = values[np.isfinite(values)]
            lo = min(0.0, float(values.min())) if len(values) else 0.0
            hi = max(float(values.max()), lo + 1.0) if len(values) else 1.0
            self._y_data = (lo, hi)
            set_y_ticks(self.plot, nice_ticks(np.ceil(lo), np.floor(hi)))
            self.plot_title = ("nesting depth", legend_html(["true", "predicted (dashed)"]))
        else:
            self.curves.append(self.plot.plot(steps, np.zeros(T, dtype=np.float32)))
            self._y_data = (-1.0, 1.0)
            set_y_ticks(self.plot, [-1.0, 0.0, 1.0])
            self.plot_title = ("", "")
        for c in self.curves:
            cache_static(c, T)
        self._fit_y_range()
        self.plot.setXRange(0, max(T - 1, 1), padding=0.01)
        self.plot.setLabel("bottom", "step")
        self.apply_theme()
        self.on_selection()

    def on_selection(self) -> None:
        state = self.state
        if state.trace is None:
            return
        unit = self._unit()
        h = state.quantity("hidden_state")[:, unit]
        self.grid.set_text(self.chars, h)
        self._fit_grid()
        if not self.plot_title[0]:  # no task curve: plot the unit itself
            self.curves[0].setData(np.arange(len(h), dtype=np.float32), np.ascontiguousarray(h, dtype=np.float32))
            self.plot.setTitle(plot_title(f"h of unit {unit}", state.theme,
                                          f"layer {state.layer}, {state.direction}"))
            self._fit_title()
            self.curves[0].setPen(pg.mkPen(state.pin_colour(unit), width=state.theme.line_width))

    def on_step(self, step: int) -> None:
        self.grid.set_step(step)
        self.cursor.setValue(step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.grid.background = QColor(theme.background)
        self.grid.foreground = QColor(theme.foreground)
        self.grid.font_pt = theme.font_pt
        self.grid.update()
        self._fit_grid()
        self.graphics.setBackground(theme.background)
        style_plot(self.plot, theme)
        self._fit_y_range()  # the tick font's size changed
        size_bottom_axis(self.plot.getAxis("bottom"), theme)
        # thin margins (pyqtgraph's are 9 px), room at the right for the last x label
        self.graphics.ci.setContentsMargins(2, 2, int(theme.font_pt * 1.6), 2)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        if self.plot_title[0]:
            self.plot.setTitle(plot_title(self.plot_title[0], theme, self.plot_title[1]))
            self._fit_title()
        styles = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine]
        for k, c in enumerate(self.curves):  # the first (true) curve wider, so a perfect prediction on it shows both
            width = theme.line_width * (2.2 if k == 0 and len(self.curves) > 1 else 1.0)
            c.setPen(pg.mkPen(series_colour(k, theme), width=width, style=styles[k % 2]))
        self.cursor.setPen(pg.mkPen(theme.foreground, width=theme.line_width * 0.8))
        if self.state.trace is not None and self.curves:
            self.on_selection()

    def caption(self) -> str:
        state = self.state
        unit = self._unit()
        lo, hi = (value_colour(v, self.grid.cmap).name() for v in (-1.0, 1.0))
        return (f"each character coloured by h of unit {unit} (layer {state.layer}, {state.direction}): "
                f"<span style='color:{lo}'>■</span> −1 … <span style='color:{hi}'>■</span> +1")
