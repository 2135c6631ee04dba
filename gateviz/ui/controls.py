"""The controls dock: model, sequence and unit selection.

Three group boxes stacked in one scrollable column. They only emit signals or call
ViewState setters; the window decides what loading or tracing means. The column scrolls
vertically and is never narrower than its content (it has no horizontal scroll bar, so a
narrower dock cut off whatever sat at its right edge).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget)

from gateviz.ui import i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, localized, translate
from gateviz.ui.state import ViewState

ORDERINGS = (("index", QT_TRANSLATE_NOOP("Controls", "Unit index"),
              QT_TRANSLATE_NOOP("Controls", "Rows in unit order 0, 1, 2, …")),
             ("variance", QT_TRANSLATE_NOOP("Controls", "Variance over time"),
              QT_TRANSLATE_NOOP("Controls", "Most active units (largest variance of h over time) first")),
             ("saturation", QT_TRANSLATE_NOOP("Controls", "Saturation"),
              QT_TRANSLATE_NOOP("Controls", "Units whose gates sit most often near 0 or 1 first")),
             ("correlation", QT_TRANSLATE_NOOP("Controls", "Correlation with input"),
              QT_TRANSLATE_NOOP("Controls", "Units whose h follows the input most closely first")))
DIRECTIONS = {"forward": QT_TRANSLATE_NOOP("Controls", "forward"),
              "backward": QT_TRANSLATE_NOOP("Controls", "backward")}


class ModelBox(QGroupBox):
    """Which model: bundled choice, file, training, saving; a one-paragraph summary."""

    bundledChosen = Signal(str)
    openRequested = Signal()
    trainRequested = Signal()
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        i18n.bind(self, "setTitle", "Controls", QT_TRANSLATE_NOOP("Controls", "Model"))
        self.bundled_combo = QComboBox(self)
        i18n.bind(self.bundled_combo, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Pretrained models that ship with gateviz, one per task and cell kind"))
        self.bundled_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.bundled_combo.setMinimumContentsLength(16)
        self.bundled_combo.activated.connect(self._bundled_activated)
        self.open_button = i18n.bound(QPushButton(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Open…"))
        i18n.bind(self.open_button, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Open a model file: gateviz .gvm, PyTorch .pt/.pth/.safetensors, Keras .h5/.keras or "
                        "ONNX .onnx (Ctrl+O). You can also drop a file on the window."))
        self.open_button.clicked.connect(self.openRequested)
        self.train_button = i18n.bound(QPushButton(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Train…"))
        i18n.bind(self.train_button, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Train a small model on a built-in task and watch its loss (Ctrl+T)"))
        self.train_button.clicked.connect(self.trainRequested)
        self.save_button = i18n.bound(QPushButton(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Save…"))
        i18n.bind(self.save_button, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Save the current model as a gateviz model file (.gvm) (Ctrl+S)"))
        self.save_button.clicked.connect(self.saveRequested)
        self.summary = QLabel("", self)
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        for b in (self.open_button, self.train_button, self.save_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bundled_combo)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        self._shown = (None, None)
        i18n.notifier.languageChanged.connect(self._language_changed)

    def _language_changed(self, _code: str) -> None:
        self.show_current(*self._shown)
        if self.bundled_combo.count():
            self.bundled_combo.setItemText(0, translate("Controls", "Bundled models…"))

    def set_bundled(self, entries: list[tuple[str, str]]) -> None:
        """entries: (name, label) pairs."""
        with QSignalBlocker(self.bundled_combo):
            self.bundled_combo.clear()
            self.bundled_combo.addItem(translate("Controls", "Bundled models…"), None)
            for name, label in entries:
                self.bundled_combo.addItem(localized(label, "Bundled"), name)
            shown = self._shown[1]  # refilled (a language switch): the model shown stays selected
            self.bundled_combo.setCurrentIndex(max(0, self.bundled_combo.findData(shown)) if shown else 0)
        self.bundled_combo.setVisible(bool(entries))

    def show_current(self, model, bundled_name: str | None) -> None:
        self._shown = (model, bundled_name)
        with QSignalBlocker(self.bundled_combo):
            index = self.bundled_combo.findData(bundled_name) if bundled_name else -1
            self.bundled_combo.setCurrentIndex(max(0, index))
        if model is None:
            self.summary.setText("")
            return
        layers = model.layers
        units = "×".join(str(layer.units) for layer in layers)
        bi = translate("Controls", ", bidirectional") if any(layer.bidirectional for layer in layers) else ""
        task = (model.task or {}).get("name")
        lines = [f"<b>{model.name}</b>", translate("Controls", "{cell} {units} units, {layers} layer(s){bi}").format(
            cell=model.cell.upper(), units=units, layers=len(layers), bi=bi)]
        if model.input.kind == "raw":
            lines.append(translate("Controls", "input: {n} feature(s) per step").format(n=model.input.features))
        elif model.input.vocab:
            lines.append(translate("Controls", "input: text, {n} characters").format(n=len(model.input.vocab)))
        elif model.input.embedding is not None:  # an embedding without a vocabulary (a Keras/PyTorch file)
            lines.append(translate("Controls", "input: token ids 0–{last}, embedded in {e} features").format(
                last=int(model.input.embedding.shape[0]) - 1, e=int(model.input.embedding.shape[1])))
        if task:
            lines.append(translate("Controls", "task: {task}").format(task=localized(task, "Bundled")))
        if model.framework:
            lines.append(translate("Controls", "from: {framework}").format(framework=model.framework))
        self.summary.setText("<br>".join(lines))
        self.summary.setToolTip("\n".join(model.summary_lines()))

    @guarded
    def _bundled_activated(self, index: int) -> None:
        name = self.bundled_combo.itemData(index)
        if name:
            self.bundledChosen.emit(name)


class SequenceBox(QGroupBox):
    """Which input: the task's samples, an editor fitted to the model, or a file."""

    sampleChosen = Signal(int)
    loadRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        i18n.bind(self, "setTitle", "Controls", QT_TRANSLATE_NOOP("Controls", "Input sequence"))
        self.sample_combo = QComboBox(self)
        i18n.bind(self.sample_combo, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Inputs chosen to tell a story for this model's task"))
        self.sample_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sample_combo.setMinimumContentsLength(16)
        self.sample_combo.activated.connect(self._sample_activated)
        self.description = QLabel("", self)
        self.description.setObjectName("hint")
        self.description.setWordWrap(True)
        self.load_button = i18n.bound(QPushButton(self), "Controls",
                                      QT_TRANSLATE_NOOP("Controls", "Load sequence file…"))
        i18n.bind(self.load_button, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Read an input from .npy (T, features), .csv (one row per step) or .txt (text models)"))
        self.load_button.clicked.connect(self.loadRequested)
        self.editor_stack = QStackedWidget(self)
        self.editor_stack.setObjectName("editor_stack")
        # the group box's own background shows through (the dark theme paints every plain QWidget darker)
        self.editor_stack.setStyleSheet("QStackedWidget#editor_stack { background: transparent; }")
        self.editor_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._samples: list = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.sample_combo)
        layout.addWidget(self.description)
        layout.addWidget(self.editor_stack)
        layout.addWidget(self.load_button)
        self._current: str | None = None
        i18n.notifier.languageChanged.connect(self._language_changed)  # a method: disconnected when deleted

    @guarded
    def _language_changed(self, _code: str) -> None:
        self.set_samples(self._samples, self._current)

    def set_samples(self, samples: list, current: str | None) -> None:
        self._samples = list(samples)
        with QSignalBlocker(self.sample_combo):
            self.sample_combo.clear()
            for s in self._samples:  # task samples' words are Qt-free English Messages: translated here
                self.sample_combo.addItem(localized(s.name))
                self.sample_combo.setItemData(self.sample_combo.count() - 1, localized(s.description),
                                              Qt.ItemDataRole.ToolTipRole)
            self.sample_combo.addItem(translate("Controls", "(your own input)"))
        self.show_current(current)

    def show_current(self, name: str | None) -> None:
        self._current = name
        names = [s.name for s in self._samples]
        with QSignalBlocker(self.sample_combo):
            if name in names:
                k = names.index(name)
                self.sample_combo.setCurrentIndex(k)
                self.description.setText(localized(self._samples[k].description))
            else:
                self.sample_combo.setCurrentIndex(self.sample_combo.count() - 1)
                self.description.setText(translate("Controls", "from {name}").format(name=localized(name)) if name else "")
        self.sample_combo.setEnabled(bool(self._samples))

    def set_editor(self, editor: QWidget | None) -> None:
        while self.editor_stack.count():
            w = self.editor_stack.widget(0)
            self.editor_stack.removeWidget(w)
            w.deleteLater()
        if editor is not None:
            self.editor_stack.addWidget(editor)
        self.editor_stack.setVisible(editor is not None)

    @property
    def editor(self) -> QWidget | None:
        return self.editor_stack.currentWidget()

    @guarded
    def _sample_activated(self, index: int) -> None:
        if 0 <= index < len(self._samples):
            self.description.setText(localized(self._samples[index].description))
            self.sampleChosen.emit(index)


class UnitsBox(QGroupBox):
    """Layer and direction, heatmap row order, pinned units: all straight into the ViewState."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        i18n.bind(self, "setTitle", "Controls", QT_TRANSLATE_NOOP("Controls", "Units"))
        self.state = state
        self.layer_combo = QComboBox(self)
        i18n.bind(self.layer_combo, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Which layer and direction every panel shows"))
        self.layer_combo.activated.connect(self._layer_activated)
        self.order_combo = QComboBox(self)
        for key, _label, _tip in ORDERINGS:
            self.order_combo.addItem("", key)
        self._translate_orderings()
        i18n.bind(self.order_combo, "setToolTip", "Controls",
                  QT_TRANSLATE_NOOP("Controls", "Order of the heatmap rows"))
        self.order_combo.activated.connect(lambda _i: self.apply_order())
        self.pins_edit = QLineEdit(self)
        i18n.bind(self.pins_edit, "setPlaceholderText", "Controls", QT_TRANSLATE_NOOP("Controls", "e.g. 0, 5, 12"))
        i18n.bind(self.pins_edit, "setToolTip", "Controls", QT_TRANSLATE_NOOP(
            "Controls", "Pinned units (comma separated, up to 8): their traces, diagram values and text "
                        "colouring. Clicking a heatmap row pins or unpins that unit."))
        self.pins_edit.editingFinished.connect(self._pins_edited)
        self.pins_legend = QLabel("", self)
        self.pins_legend.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(i18n.bound(QLabel(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Layer")), self.layer_combo)
        form.addRow(i18n.bound(QLabel(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Sort rows")),
                    self.order_combo)
        form.addRow(i18n.bound(QLabel(self), "Controls", QT_TRANSLATE_NOOP("Controls", "Pinned")), self.pins_edit)
        form.addRow("", self.pins_legend)
        state.traceChanged.connect(self._on_trace)
        state.selectionChanged.connect(self._on_selection)
        i18n.notifier.languageChanged.connect(self._language_changed)

    def _translate_orderings(self) -> None:
        for index, (_key, label, tip) in enumerate(ORDERINGS):
            self.order_combo.setItemText(index, translate("Controls", label))
            self.order_combo.setItemData(index, translate("Controls", tip), Qt.ItemDataRole.ToolTipRole)

    @guarded
    def _language_changed(self, _code: str) -> None:
        self._translate_orderings()
        keep = (self.state.layer, self.state.direction)
        with QSignalBlocker(self.order_combo):
            self._on_trace()
        if (self.state.layer, self.state.direction) != keep:  # (it never changes them; belt and braces)
            self.state.set_layer_direction(*keep)

    # ---- from the state --------------------------------------------------------
    @guarded
    def _on_trace(self) -> None:
        trace = self.state.trace
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.clear()
            if trace is not None:
                for k in range(trace.num_layers):
                    for d in trace.directions(k):
                        label = translate("Controls", "layer {k}").format(k=k)
                        if len(trace.directions(k)) > 1 or d != "forward":
                            label += " · " + translate("Controls", DIRECTIONS.get(d, d))
                        self.layer_combo.addItem(translate("Controls", "{layer}  ({n} units)").format(
                            layer=label, n=trace.units(k)), (k, d))
        self.layer_combo.setEnabled(self.layer_combo.count() > 1)
        self._on_selection()
        if self.order_combo.currentData() != "index":
            self.apply_order()  # keep the chosen ordering for the new trace

    @guarded
    def _on_selection(self) -> None:
        s = self.state
        with QSignalBlocker(self.layer_combo):
            # (findData does not compare Python tuples; look the pair up by hand)
            for index in range(self.layer_combo.count()):
                if tuple(self.layer_combo.itemData(index)) == (s.layer, s.direction):
                    self.layer_combo.setCurrentIndex(index)
                    break
        if not self.pins_edit.hasFocus():
            self.pins_edit.setText(", ".join(str(u) for u in s.pinned))
        self.pins_legend.setText("  ".join(
            f"<span style='color:{s.pin_colour(u)}; font-size:14pt'>■</span> "
            + translate("Controls", "unit {u}").format(u=u) for u in s.pinned))
        if s.row_order is None and self.order_combo.currentData() != "index":
            with QSignalBlocker(self.order_combo):
                self.order_combo.setCurrentIndex(0)

    # ---- to the state ----------------------------------------------------------
    @guarded
    def _layer_activated(self, index: int) -> None:
        data = self.layer_combo.itemData(index)
        if data:
            keep = self.order_combo.currentData()
            self.state.set_layer_direction(*data)
            if keep != "index":
                with QSignalBlocker(self.order_combo):
                    self.order_combo.setCurrentIndex(self.order_combo.findData(keep))
                self.apply_order()

    @guarded
    def apply_order(self) -> None:
        by = self.order_combo.currentData()
        s = self.state
        if s.trace is None:
            return
        if by == "index":
            s.set_row_order(None)
            return
        s.set_row_order(compute_order(s, by))

    @guarded
    def _pins_edited(self) -> None:
        s = self.state
        if s.trace is None:
            return
        units = s.trace.units(s.layer)
        picked = []
        for part in self.pins_edit.text().replace(";", ",").replace(" ", ",").split(","):
            part = part.strip()
            if part.isdigit() and int(part) < units:
                picked.append(int(part))
        if picked:
            s.set_pinned(picked)
        self._on_selection()


def compute_order(state: ViewState, by: str) -> np.ndarray:
    """Heatmap row order (unit indices) for the current layer and direction, best first.

    Correlation is with the model's input features (time-aligned at every layer); a trace
    without inputs (read from a file) falls back to variance.
    """
    from gateviz.core.analysis import unit_order

    trace = state.trace
    quantities = trace.states[(state.layer, state.direction)]
    if by == "correlation" and trace.inputs is None:
        by = "variance"
    return np.asarray(unit_order(quantities, by=by, inputs=trace.inputs))


class ControlsPanel(QScrollArea):
    """The dock's content: the three boxes in a scrollable column."""

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        self.model_box = ModelBox()
        self.sequence_box = SequenceBox()
        self.units_box = UnitsBox(state)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.model_box)
        column.addWidget(self.sequence_box)
        column.addWidget(self.units_box)
        column.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(self.MIN_WIDTH)
        inner.installEventFilter(self)  # its layout changes (another editor, other fonts): fit the width

    MIN_WIDTH = 250

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit_width()
        return super().eventFilter(watched, event)

    def needed_width(self) -> int:
        """The narrowest width that shows the whole column, with room for the vertical scroll bar."""
        inner = self.widget()
        return inner.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def fit_width(self) -> None:
        need = max(self.MIN_WIDTH, self.needed_width())
        if need != self.minimumWidth():
            self.setMinimumWidth(need)
