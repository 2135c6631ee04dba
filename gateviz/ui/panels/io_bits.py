"""The binary-addition view of the input/output panel: operands, true sum and predicted bits as a grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

from gateviz.ui.guard import guarded

from .common import NAN_COLOUR, muted, translate
from .io_base import IOView, readable_on, shade_colour
from .overlay import ORIGINAL_ALPHA, was_now


HEADER = QT_TRANSLATE_NOOP("IO", "time →   (bit 0, the least significant, first)")  # English; header() translates


def header() -> str:
    return translate("IO", HEADER)
MARGIN = 10.0
MIN_CELL = 2.0  # a bit's cell is at least this many label heights (its digit as large as the labels)


def over(top: QColor, below: QColor) -> QColor:
    """``top`` (with its alpha) composited over the opaque ``below``."""
    a = top.alphaF()
    return QColor.fromRgbF(*(a * t + (1 - a) * b for t, b in zip(
        (top.redF(), top.greenF(), top.blueF()), (below.redF(), below.greenF(), below.blueF()))))


class BitGrid(QWidget):
    """Rows of bits in time order (least significant first), one column per step, the current one marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[tuple[str, np.ndarray, np.ndarray | None, str]] = []  # label, bits, shade (0..1), right text
        self.step = 0
        self.background, self.foreground, self.muted = QColor("#ffffff"), QColor("#202020"), QColor("#707070")
        self.on_colour, self.font_pt = QColor("#0072B2"), 10
        self.wrong: np.ndarray | None = None  # columns where the prediction is wrong
        self.wrong_rows: dict[int, np.ndarray] = {}  # row -> its own wrong columns (the original's row)
        self.faint_rows: set[int] = set()  # rows drawn faint: the original run's bits (interventions)
        # the memory shading (issue 12): levels (T,) in [0, 1] tint each step's column; ▲ under t*'s
        self.memory: np.ndarray | None = None
        self.memory_step = 0
        self.accent, self.mark = QColor("#E69F00"), QColor("#7A3E00")
        self.setMinimumHeight(120)

    def set_memory(self, levels: np.ndarray | None, step: int = 0) -> None:
        self.memory = None if levels is None else np.asarray(levels, dtype=np.float32)
        self.memory_step = int(step)
        self.update()

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def _small_font(self) -> QFont:
        small = QFont()
        small.setPixelSize(int(max(9, self.font_pt * 1.3)))
        return small

    def _columns(self) -> tuple[float, float, float]:
        """(label column, right text column, header row) in the labels' font: they fit their text."""
        fm = QFontMetricsF(self._small_font())
        label_w = max(fm.horizontalAdvance(row[0]) for row in self.rows) + 16
        right_w = max(fm.horizontalAdvance(row[3]) for row in self.rows) + 16
        return label_w, right_w, max(26.0, fm.height() + 6)

    def _cell(self) -> float:
        n = len(self.rows[0][1])
        label_w, right_w, head_h = self._columns()
        cell = min((self.width() - label_w - right_w - 2 * MARGIN) / max(n, 1),
                   (self.height() - head_h - 2 * MARGIN) / (len(self.rows) + 0.3))
        return max(cell, 6.0)

    def readable_size(self) -> QSize:
        """Cells MIN_CELL label heights wide (a bit as large as the labels), the labels, the header."""
        if not self.rows:
            return QSize(240, 120)
        fm = QFontMetricsF(self._small_font())
        label_w, right_w, head_h = self._columns()
        cell = MIN_CELL * fm.height()
        n = len(self.rows[0][1])
        width = max(label_w + n * cell + 12 + right_w, label_w + fm.horizontalAdvance(header())) + 2 * MARGIN
        height = head_h + (len(self.rows) + 0.3) * cell + 2 * MARGIN
        return QSize(int(np.ceil(width)), int(np.ceil(height)))

    def text_boxes(self) -> list[tuple[str, QRectF]]:
        """The labels, the header and the sums on the right (for tests of overlap and clipping)."""
        if not self.rows:
            return []
        fm = QFontMetricsF(self._small_font())
        label_w, right_w, head_h = self._columns()
        cell, n = self._cell(), len(self.rows[0][1])
        x0, y0 = label_w + MARGIN, MARGIN + head_h
        boxes = [(header(), QRectF(x0, MARGIN + (head_h - 4 - fm.height()) / 2, fm.horizontalAdvance(header()),
                                 fm.height()))]
        for r, (label, _bits, _shade, right) in enumerate(self.rows):
            y = y0 + r * cell + (cell - fm.height()) / 2
            width = fm.horizontalAdvance(label)
            boxes.append((label, QRectF(MARGIN + label_w - 8 - width, y, width, fm.height())))
            boxes.append((right, QRectF(x0 + n * cell + 12, y, fm.horizontalAdvance(right), fm.height())))
        return boxes

    @guarded
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.background)
        if not self.rows:
            p.end()
            return
        n = len(self.rows[0][1])
        small = self._small_font()
        label_w, right_w, head_h = self._columns()
        margin = MARGIN
        cell = self._cell()
        x0 = label_w + margin
        y0 = margin + head_h
        font = QFont()
        font.setPixelSize(int(max(9, min(cell * 0.5, self.font_pt * 2.2))))
        font.setBold(True)
        p.setFont(small)
        p.setPen(self.muted)
        p.drawText(QRectF(x0, margin, self.width() - x0 - margin, head_h - 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   header())
        memory = self.memory
        columns = [self.background] * n  # what each column's cells are drawn on
        if memory is not None:  # which earlier bits matter for y at t*: each column tinted
            p.setPen(Qt.PenStyle.NoPen)
            for t in range(n):
                columns[t] = shade_colour(float(memory[t]) if t < len(memory) else 0.0, self.background, self.accent)
                p.setBrush(columns[t])
                p.drawRoundedRect(QRectF(x0 + t * cell - 3, y0 - 4, cell + 6, len(self.rows) * cell + 8), 6, 6)
            if 0 <= self.memory_step < n:  # ▲ under t*'s column
                cx, top, half = x0 + (self.memory_step + 0.5) * cell, y0 + len(self.rows) * cell + 6, cell * 0.14
                p.setBrush(self.mark)
                p.setPen(QPen(self.background, 1))
                p.drawPolygon([QPointF(cx, top), QPointF(cx + 1.2 * half, top + 1.6 * half),
                               QPointF(cx - 1.2 * half, top + 1.6 * half)])
        # the current step's column
        if 0 <= self.step < n:
            hl = QColor(self.foreground)
            hl.setAlpha(40)
            p.setBrush(hl)
            p.setPen(QPen(self.foreground, 2.5))
            p.drawRoundedRect(QRectF(x0 + self.step * cell - 3, y0 - 4, cell + 6, len(self.rows) * cell + 8), 6, 6)
            columns[self.step] = over(hl, columns[self.step])
        for r, (label, bits, shade, right) in enumerate(self.rows):
            y = y0 + r * cell
            p.setOpacity(ORIGINAL_ALPHA if r in self.faint_rows else 1.0)
            p.setFont(small)
            p.setPen(self.foreground)
            p.drawText(QRectF(margin, y, label_w - 8, cell), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       label)
            p.drawText(QRectF(x0 + n * cell + 12, y, right_w, cell),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, right)
            for t in range(n):
                rect = QRectF(x0 + t * cell + 2, y + 2, cell - 4, cell - 4)
                level = float(shade[t]) if shade is not None else float(bits[t])
                if level == level:
                    fill = QColor(self.on_colour)
                    fill.setAlphaF(0.12 + 0.88 * min(max(level, 0.0), 1.0))
                else:  # a NaN prediction (a model with NaN weights)
                    fill = QColor(NAN_COLOUR)
                p.setBrush(fill)
                wrong_of_row = self.wrong_rows.get(r, self.wrong)
                wrong = shade is not None and wrong_of_row is not None and wrong_of_row[t]
                p.setPen(QPen(QColor("#D55E00") if wrong else self.muted, 3 if wrong else 1))
                p.drawRoundedRect(rect, 4, 4)
                p.setFont(font)
                if memory is not None:  # the digit on the cell's fill over its column's tint
                    p.setPen(readable_on(over(fill, columns[t])))
                else:
                    p.setPen(readable_on(fill) if level > 0.5 else self.foreground)
                bit = float(bits[t])
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(bit)) if bit == bit else "?")
        p.setOpacity(1.0)
        p.end()


class BinaryAdditionView(IOView):
    """Binary addition, least significant bit first: both operands, the true sum and the predicted bits."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(state, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.grid = BitGrid()
        layout.addWidget(self.grid)

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        self.original = None
        self._set_rows()

    def _set_rows(self) -> None:
        """The operands, the true sum, the network's bits; while compared (interventions), the
        original run's bits in a faint row below, with its own wrong bits marked."""
        d, o = self.decoded, self.original
        rows = [("a", d["a_bits"], None, f"= {d['a']}"), ("b", d["b_bits"], None, f"= {d['b']}"),
                (translate("IO", "a + b (true)"), d["sum_bits"], None, f"= {d['sum']}")]
        self.grid.wrong_rows, self.grid.faint_rows = {}, set()
        if d.get("predicted_bits") is not None:
            mark = "✓" if d["correct"] else "✗"
            label = translate("IO", "network (intervened)") if o is not None else translate("IO", "network's sum")
            rows.append((label, d["predicted_bits"], np.asarray(d["probabilities"]), f"= {d['predicted_sum']} {mark}"))
            self.grid.wrong = np.asarray(d["predicted_bits"]) != np.asarray(d["sum_bits"])
        if o is not None and o.get("predicted_bits") is not None:
            mark = "✓" if o["correct"] else "✗"
            rows.append((translate("IO", "network (original)"), o["predicted_bits"], np.asarray(o["probabilities"]),
                         f"= {o['predicted_sum']} {mark}"))
            self.grid.wrong_rows[len(rows) - 1] = np.asarray(o["predicted_bits"]) != np.asarray(o["sum_bits"])
            self.grid.faint_rows.add(len(rows) - 1)
        self.grid.rows = rows
        self.grid.updateGeometry()
        self.grid.update()

    def on_original(self, decoded: dict | None) -> None:
        self.original = decoded
        self._set_rows()

    memory_mark = QT_TRANSLATE_NOOP("IO", "▲ at t*")

    def on_gradients(self, shade) -> None:
        from .io_memory import accent, mark_colour

        self.grid.accent, self.grid.mark = accent(self.state.theme), mark_colour(self.state.theme)
        self.grid.set_memory(None if shade is None else shade.levels, 0 if shade is None else shade.step)

    def on_step(self, step: int) -> None:
        self.grid.set_step(step)

    def readable_size(self) -> QSize:
        return self.grid.readable_size()

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.grid.background, self.grid.foreground = QColor(theme.background), QColor(theme.foreground)
        self.grid.muted = QColor(muted(theme))
        self.grid.on_colour = QColor("#0072B2" if theme.name == "light" else "#56B4E9")
        self.grid.font_pt = theme.font_pt
        self.grid.update()

    def caption(self) -> str:
        d = self.decoded or {}
        if not d:
            return ""
        text = f"{d['a']} + {d['b']} = {d['sum']}"
        if d.get("predicted_sum") is not None:
            verdict = translate("IO", "right") if d["correct"] else translate("IO", "wrong")
            was = (self.original or {}).get("predicted_sum")
            text += translate("IO", "; the network says {sum} ({verdict}). Shading of its bits: P(bit = 1).").format(
                sum=was_now(d["predicted_sum"], was), verdict=verdict)
            if was is not None:
                text += translate("IO", " Faint row: the original run, without the intervention.")
        return text
