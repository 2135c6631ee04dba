"""Editors for the input sequence, chosen to fit the model and its task.

    text models              TextEditor      type or paste; re-traces 300 ms after the last key
    binary-addition          AdditionEditor  the two operands (0..255 for 8 bits)
    digits                   DigitEditor     pick a held-out image, or draw one on the grid
    one numeric feature      SignalEditor    draw the signal with the mouse

Every editor emits ``sequenceEdited(sequence, name)`` and shows a sequence given to
``show_sequence`` without emitting (so choosing a sample updates the editor quietly).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy, QSpinBox,
                               QVBoxLayout, QWidget)

from gateviz.ui import i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate

TEXT_DEBOUNCE_MS = 300


def editor_for(model, task) -> QWidget | None:
    """The editor that fits this model (None: samples and files only)."""
    task_name = getattr(task, "name", None)
    if task_name == "binary-addition":
        return AdditionEditor(task)
    if task_name == "digits":
        return DigitEditor(task)
    if model.input.takes_tokens and model.input.vocab:
        return TextEditor(model.input.vocab)
    if not model.input.takes_tokens and model.input.features == 1:
        return SignalEditor()
    return None


# --------------------------------------------------------------------------- text


class TextEditor(QWidget):
    sequenceEdited = Signal(object, str)

    def __init__(self, vocab: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.vocab = set(vocab)
        self.edit = QPlainTextEdit(self)
        i18n.bind(self.edit, "setPlaceholderText", "Editors",
                  QT_TRANSLATE_NOOP("Editors", "Type or paste text; the model re-reads it as you type"))
        i18n.bind(self.edit, "setToolTip", "Editors", QT_TRANSLATE_NOOP(
            "Editors", "The model's input. Characters outside its vocabulary are dropped (shown below)."))
        self.edit.setMaximumHeight(140)
        self.note = QLabel("", self)
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TEXT_DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)
        self.edit.textChanged.connect(self._timer.start)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.note)

    def show_sequence(self, sequence) -> None:
        if isinstance(sequence, str) and sequence != self.edit.toPlainText():
            with QSignalBlocker(self.edit):
                self.edit.setPlainText(sequence)
            self.note.setText("")

    def _emit(self) -> None:
        text = self.edit.toPlainText()
        kept = "".join(ch for ch in text if ch in self.vocab)
        dropped = sorted({ch for ch in text if ch not in self.vocab})
        skipped = translate("Editors", "not in the vocabulary, skipped: ")
        self.note.setText(skipped + " ".join(repr(c) for c in dropped[:12]) if dropped else "")
        if kept:
            self.sequenceEdited.emit(kept, translate("Editors", "typed text"))


# --------------------------------------------------------------------------- 1-D signal


class SignalCanvas(QWidget):
    """Draw a 1-D signal: press and drag; the curve follows the mouse column by column."""

    drawn = Signal()
    RANGE = 1.25  # the canvas shows values in [-RANGE, RANGE]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.values = np.zeros(50, dtype=np.float32)
        self._last: tuple[int, float] | None = None
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        i18n.bind(self, "setToolTip", "Editors", QT_TRANSLATE_NOOP(
            "Editors", "Draw the input with the mouse: press and drag left to right. Release to re-trace."))

    def set_values(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=np.float32).reshape(-1).copy()
        self.update()

    def _to_point(self, pos: QPointF) -> tuple[int, float]:
        n = len(self.values)
        w, h = max(1, self.width()), max(1, self.height())
        index = int(np.clip(round(pos.x() / w * (n - 1)), 0, n - 1))
        value = float(np.clip((0.5 - pos.y() / h) * 2 * self.RANGE, -self.RANGE, self.RANGE))
        return index, value

    @guarded
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = self._to_point(event.position())
            self.values[self._last[0]] = self._last[1]
            self.update()

    @guarded
    def mouseMoveEvent(self, event) -> None:
        if self._last is None:
            return
        i1, v1 = self._to_point(event.position())
        i0, v0 = self._last
        lo, hi = sorted((i0, i1))
        if hi > lo:  # fill the columns the mouse skipped, linearly
            idx = np.arange(lo, hi + 1)
            self.values[idx] = np.interp(idx, [i0, i1] if i0 < i1 else [i1, i0], [v0, v1] if i0 < i1 else [v1, v0])
        else:
            self.values[i1] = v1
        self._last = (i1, v1)
        self.update()

    @guarded
    def mouseReleaseEvent(self, event) -> None:
        if self._last is not None:
            self._last = None
            self.drawn.emit()

    @guarded
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        w, h = self.width(), self.height()
        grid = QColor(pal.text().color())
        grid.setAlpha(60)
        p.setPen(QPen(grid, 1, Qt.PenStyle.DashLine))
        for v in (-1.0, 0.0, 1.0):
            y = h * (0.5 - v / (2 * self.RANGE))
            p.drawLine(QPointF(0, y), QPointF(w, y))
        n = len(self.values)
        if n:
            path = QPainterPath()
            for i, v in enumerate(self.values):
                pt = QPointF(i / max(1, n - 1) * w, h * (0.5 - float(v) / (2 * self.RANGE)))
                path.moveTo(pt) if i == 0 else path.lineTo(pt)
            p.setPen(QPen(QColor("#0072B2"), 2))
            p.drawPath(path)
        p.setPen(QPen(pal.text().color()))
        p.drawText(QRectF(4, 2, w - 8, 16), Qt.AlignmentFlag.AlignLeft, "+1")
        p.drawText(QRectF(4, h - 18, w - 8, 16), Qt.AlignmentFlag.AlignLeft, "−1")
        p.end()


class SignalEditor(QWidget):
    sequenceEdited = Signal(object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = SignalCanvas(self)
        self.canvas.drawn.connect(self._emit)
        self.steps = QSpinBox(self)
        self.steps.setRange(2, 100000)
        self.steps.setValue(50)
        i18n.bind(self.steps, "setToolTip", "Editors",
                  QT_TRANSLATE_NOOP("Editors", "Number of time steps of the drawn signal"))
        self.steps.editingFinished.connect(self._resize)
        sine = i18n.bound(QPushButton(self), "Editors", QT_TRANSLATE_NOOP("Editors", "Sine"))
        i18n.bind(sine, "setToolTip", "Editors",
                  QT_TRANSLATE_NOOP("Editors", "Reset the drawing to one and a half periods of a sine"))
        sine.clicked.connect(self._sine)
        flat = i18n.bound(QPushButton(self), "Editors", QT_TRANSLATE_NOOP("Editors", "Flat"))
        i18n.bind(flat, "setToolTip", "Editors", QT_TRANSLATE_NOOP("Editors", "Reset the drawing to zeros"))
        flat.clicked.connect(lambda: self._fill(np.zeros(self.steps.value(), dtype=np.float32)))
        row = QHBoxLayout()
        row.addWidget(i18n.bound(QLabel(self), "Editors", QT_TRANSLATE_NOOP("Editors", "steps")))
        row.addWidget(self.steps)
        row.addStretch(1)
        row.addWidget(sine)
        row.addWidget(flat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        layout.addLayout(row)

    def show_sequence(self, sequence) -> None:
        arr = np.asarray(sequence, dtype=np.float32)
        if arr.ndim in (1, 2) and arr.size and (arr.ndim == 1 or arr.shape[1] == 1):
            self.canvas.set_values(arr.reshape(-1))
            with QSignalBlocker(self.steps):
                self.steps.setValue(len(self.canvas.values))

    def _fill(self, values: np.ndarray) -> None:
        self.canvas.set_values(values)
        self._emit()

    def _sine(self) -> None:
        n = self.steps.value()
        self._fill(np.sin(np.linspace(0, 3 * np.pi, n)).astype(np.float32))

    def _resize(self) -> None:
        n = self.steps.value()
        old = self.canvas.values
        if n != len(old):
            self._fill(np.interp(np.linspace(0, len(old) - 1, n), np.arange(len(old)), old).astype(np.float32))

    def _emit(self) -> None:
        self.sequenceEdited.emit(self.canvas.values[:, None].copy(), "drawn signal")  # (T, 1)


# --------------------------------------------------------------------------- binary addition


class AdditionEditor(QWidget):
    sequenceEdited = Signal(object, str)

    def __init__(self, task, parent: QWidget | None = None):
        super().__init__(parent)
        self.task = task
        bits = int(getattr(task, "bits", 8))
        top = (1 << bits) - 1
        self.a_box, self.b_box = QSpinBox(self), QSpinBox(self)
        for box, name in ((self.a_box, "a"), (self.b_box, "b")):
            box.setRange(0, top)
            i18n.bind(box, "setToolTip", "Editors", QT_TRANSLATE_NOOP(
                "Editors", "Operand {name} (0..{top}); fed least significant bit first"), name=name, top=top)
            box.valueChanged.connect(self._changed)
        self.result = QLabel("", self)
        self.result.setObjectName("hint")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("a", self.a_box)
        form.addRow("b", self.b_box)
        form.addRow("", self.result)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._emit)

    def show_sequence(self, sequence) -> None:
        from gateviz.tasks.binary_addition import from_bits

        seq = np.asarray(sequence)
        if seq.ndim != 2 or seq.shape[1] != 2:
            return
        a, b = (int(from_bits(np.round(seq[:, k]).astype(int))) for k in (0, 1))
        with QSignalBlocker(self.a_box), QSignalBlocker(self.b_box):
            self.a_box.setValue(min(a, self.a_box.maximum()))
            self.b_box.setValue(min(b, self.b_box.maximum()))
        self.result.setText(f"{a} + {b} = {a + b}")

    def _changed(self) -> None:
        a, b = self.a_box.value(), self.b_box.value()
        self.result.setText(f"{a} + {b} = {a + b}")
        self._timer.start()

    def _emit(self) -> None:
        a, b = self.a_box.value(), self.b_box.value()
        sample = self.task.sample(a, b)
        self.sequenceEdited.emit(sample.sequence, f"{a} + {b}")


# --------------------------------------------------------------------------- digits


class DigitCanvas(QWidget):
    """A rows x cols grid: left button paints ink, right button erases. Values in [0, 1]."""

    drawn = Signal()

    def __init__(self, rows: int = 8, cols: int = 8, parent: QWidget | None = None):
        super().__init__(parent)
        self.image = np.zeros((rows, cols), dtype=np.float32)
        self._button = None
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(180)
        self.setCursor(Qt.CursorShape.CrossCursor)
        i18n.bind(self, "setToolTip", "Editors", QT_TRANSLATE_NOOP(
            "Editors", "Draw a digit: left button paints, right button erases. Each row is one time step."))

    def set_image(self, image: np.ndarray) -> None:
        self.image = np.clip(np.asarray(image, dtype=np.float32), 0, 1).copy()
        self.update()

    def _cell_rect(self) -> tuple[float, float, float]:
        rows, cols = self.image.shape
        size = min(self.width() / cols, self.height() / rows)
        x0 = (self.width() - size * cols) / 2
        return x0, 0.0, size

    def _paint_at(self, pos: QPointF) -> None:
        rows, cols = self.image.shape
        x0, y0, size = self._cell_rect()
        c, r = int((pos.x() - x0) // size), int((pos.y() - y0) // size)
        if not (0 <= r < rows and 0 <= c < cols):
            return
        if self._button == Qt.MouseButton.RightButton:
            self.image[r, c] = 0.0
        else:
            self.image[r, c] = 1.0
            if rows > 8:  # a soft pen on the 28x28 grid, like real MNIST strokes
                for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < rows and 0 <= cc < cols:
                        self.image[rr, cc] = max(self.image[rr, cc], 0.5)
        self.update()

    @guarded
    def mousePressEvent(self, event) -> None:
        self._button = event.button()
        self._paint_at(event.position())

    @guarded
    def mouseMoveEvent(self, event) -> None:
        if self._button is not None:
            self._paint_at(event.position())

    @guarded
    def mouseReleaseEvent(self, event) -> None:
        if self._button is not None:
            self._button = None
            self.drawn.emit()

    @guarded
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        rows, cols = self.image.shape
        x0, y0, size = self._cell_rect()
        line = QColor(self.palette().text().color())
        line.setAlpha(50)
        # ink as the input panel shows it: dark on a light theme's paper, bright on a dark theme's
        bright_ink = self.palette().base().color().lightness() < 128
        for r in range(rows):
            for c in range(cols):
                value = float(self.image[r, c])
                v = int(round(255 * (value if bright_ink else 1.0 - value)))
                p.fillRect(QRectF(x0 + c * size, y0 + r * size, size, size), QColor(v, v, v))
        p.setPen(QPen(line, 1))
        for r in range(rows + 1):
            p.drawLine(QPointF(x0, y0 + r * size), QPointF(x0 + cols * size, y0 + r * size))
        for c in range(cols + 1):
            p.drawLine(QPointF(x0 + c * size, y0), QPointF(x0 + c * size, y0 + rows * size))
        p.end()


class DigitEditor(QWidget):
    sequenceEdited = Signal(object, str)

    def __init__(self, task, parent: QWidget | None = None):
        super().__init__(parent)
        self.task = task
        rows, cols = getattr(task, "image_shape", (8, 8))
        self.canvas = DigitCanvas(rows, cols, self)
        self.canvas.drawn.connect(lambda: self._emit("drawn digit"))
        self.index_box = QSpinBox(self)
        i18n.bind(self.index_box, "setToolTip", "Editors",
                  QT_TRANSLATE_NOOP("Editors", "Pick any held-out test image by its index"))
        self.index_box.setRange(0, max(0, self._test_count() - 1))
        pick = self.pick_button = i18n.bound(QPushButton(self), "Editors", QT_TRANSLATE_NOOP("Editors", "From data"))
        i18n.bind(pick, "setToolTip", "Editors",
                  QT_TRANSLATE_NOOP("Editors", "Show the held-out test image with this index"))
        pick.clicked.connect(self._pick)
        clear = self.clear_button = i18n.bound(QPushButton(self), "Editors", QT_TRANSLATE_NOOP("Editors", "Clear"))
        i18n.bind(clear, "setToolTip", "Editors", QT_TRANSLATE_NOOP("Editors", "Erase the grid"))
        clear.clicked.connect(lambda: (self.canvas.set_image(np.zeros_like(self.canvas.image)),
                                       self._emit("drawn digit")))
        # two short rows, not one long one: a row wider than the dock was cut off at its right edge
        # (Clear, and with it the dock's other right-hand controls, out of reach)
        pick_row = QHBoxLayout()
        pick_row.addWidget(i18n.bound(QLabel(self), "Editors", QT_TRANSLATE_NOOP("Editors", "test image")))
        pick_row.addWidget(self.index_box)
        pick_row.addWidget(pick)
        pick_row.addStretch(1)
        draw_row = QHBoxLayout()
        hint = i18n.bound(QLabel(self), "Editors", QT_TRANSLATE_NOOP("Editors", "left button inks, right erases"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        draw_row.addWidget(hint, 1)
        draw_row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        layout.addLayout(draw_row)
        layout.addLayout(pick_row)

    def _test_count(self) -> int:
        try:
            return int(len(self.task.data()["test_x"]))
        except Exception:  # MNIST files gone: drawing still works
            return 0

    def show_sequence(self, sequence) -> None:
        img = np.asarray(sequence, dtype=np.float32)
        if img.shape == self.canvas.image.shape:
            self.canvas.set_image(img)

    def _pick(self) -> None:
        try:
            d = self.task.data()
            k = self.index_box.value()
            img, label = d["test_x"][k], int(d["test_y"][k])
        except Exception:
            return
        self.canvas.set_image(img)
        self._emit(translate("Editors", "test image {k} (a {label})").format(k=k, label=label))

    def _emit(self, name: str) -> None:
        self.sequenceEdited.emit(self.canvas.image.copy(), name)  # (rows, cols): one row per step
