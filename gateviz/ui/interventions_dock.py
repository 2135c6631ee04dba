"""The Interventions dock (issue 13): the list of specs with on/off switches, Edit, Remove, Add…,
Clear all, and the lecture presets as buttons.

Each row is a spec in its canonical text (``layer0.forward.forget_gate[8]=0@10:``) with a check box;
its tooltip says it in words. Edit and Add open ``InterventionDialog``: the spec text, checked as
you type against the shown model and input (``Intervention.parse`` + ``check``), the reason shown
under the field and OK disabled until it is valid; fields below build the text for those who would
rather pick than type.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSizePolicy,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from gateviz.core.interventions import Intervention, InterventionError
from gateviz.core.trace import QUANTITIES
from gateviz.ui import errors, i18n
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.intervention_menu import describe_intervention, quantity_name

EMPTY_HINT = QT_TRANSLATE_NOOP(
    "InterventionsDock", "No interventions. Right-click a heatmap row, a unit's line in the unit traces or a gate in "
                         "the cell diagram, pick a preset below, or Add… a spec.")


class InterventionsPanel(QWidget):
    """The dock's content; every change goes through the controller (``ctl``)."""

    def __init__(self, ctl, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctl, self.state = ctl, ctl.state
        self.dialog: InterventionDialog | None = None  # the open Add/Edit dialog (tests fill it)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.hint = i18n.bound(QLabel(), "InterventionsDock", EMPTY_HINT)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        self.list = QListWidget()
        i18n.bind(self.list, "setToolTip", "InterventionsDock", QT_TRANSLATE_NOOP(
            "InterventionsDock", "Tick to switch an intervention on, untick to compare without it; "
                                 "double-click to edit"))
        self.list.itemChanged.connect(self._item_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.edit_dialog(self.list.row(item)))
        self.list.currentRowChanged.connect(lambda _row: self._sync_buttons())
        layout.addWidget(self.list, 1)
        buttons = QGridLayout()
        self.add_button = self._button(
            QT_TRANSLATE_NOOP("InterventionsDock", "Add…"),
            QT_TRANSLATE_NOOP("InterventionsDock", "Type a spec, e.g. layer0.forward.forget_gate[8]=0@10:"),
            self.add_dialog)
        self.edit_button = self._button(QT_TRANSLATE_NOOP("InterventionsDock", "Edit…"),
                                        QT_TRANSLATE_NOOP("InterventionsDock", "Change the selected spec"),
                                        lambda: self.edit_dialog())
        self.remove_button = self._button(QT_TRANSLATE_NOOP("InterventionsDock", "Remove"),
                                          QT_TRANSLATE_NOOP("InterventionsDock", "Remove the selected spec"),
                                          self._remove)
        self.clear_button = self._button(
            QT_TRANSLATE_NOOP("InterventionsDock", "Clear all"),
            QT_TRANSLATE_NOOP("InterventionsDock", "Remove every intervention and show the original run "
                                                   "(Ctrl+Shift+Backspace)"), lambda: self.ctl.clear())
        for k, b in enumerate((self.add_button, self.edit_button, self.remove_button, self.clear_button)):
            buttons.addWidget(b, k // 2, k % 2)
        layout.addLayout(buttons)
        self.presets_label = i18n.bound(QLabel(), "InterventionsDock", QT_TRANSLATE_NOOP(
            "InterventionsDock", "Lecture presets (every unit of the shown layer):"))
        self.presets_label.setWordWrap(True)
        layout.addWidget(self.presets_label)
        self.presets_box = QVBoxLayout()
        layout.addLayout(self.presets_box)
        self.preset_buttons: list[QToolButton] = []
        self.state.interventionsChanged.connect(self.refresh)
        self.state.traceChanged.connect(self.refresh)
        i18n.notifier.languageChanged.connect(self.refresh)
        self.refresh()

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        """``text``, ``tip``: English sources in context "InterventionsDock" (marked where written)."""
        b = i18n.bound(QPushButton(), "InterventionsDock", text)
        i18n.bind(b, "setToolTip", "InterventionsDock", tip)
        b.clicked.connect(lambda *_: slot())
        return b

    # ---- the list ------------------------------------------------------------------------------
    @guarded
    def refresh(self, *_args) -> None:
        entries = self.state.interventions
        applied = set(self.ctl.applied_specs())
        row = self.list.currentRow()
        with QSignalBlocker(self.list):
            self.list.clear()
            for iv, on in entries:
                item = QListWidgetItem(str(iv))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                state = (translate("InterventionsDock", "applied to the shown run") if str(iv) in applied
                         else translate("InterventionsDock", "on (re-tracing…)") if on
                         else translate("InterventionsDock", "off"))
                item.setToolTip(f"{describe_intervention(iv)}\n{state}")
                self.list.addItem(item)
            if entries:
                self.list.setCurrentRow(min(max(row, 0), len(entries) - 1))
        self.hint.setVisible(not entries)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        selected = 0 <= self.list.currentRow() < len(self.state.interventions)
        self.edit_button.setEnabled(selected)
        self.remove_button.setEnabled(selected)
        self.clear_button.setEnabled(bool(self.state.interventions))
        self.add_button.setEnabled(self.state.model is not None)

    @guarded
    def _item_changed(self, item: QListWidgetItem) -> None:
        self.ctl.set_enabled(self.list.row(item), item.checkState() == Qt.CheckState.Checked)

    def _remove(self) -> None:
        self.ctl.remove(self.list.currentRow())

    # ---- presets -------------------------------------------------------------------------------
    def show_presets(self, actions) -> None:
        """One button per preset action (their text, tooltip and enabled state follow the action)."""
        for b in self.preset_buttons:
            self.presets_box.removeWidget(b)
            b.deleteLater()
        self.preset_buttons = []
        for a in actions:
            b = QToolButton()
            b.setDefaultAction(a)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.presets_box.addWidget(b)
            self.preset_buttons.append(b)

    # ---- dialogs -------------------------------------------------------------------------------
    def add_dialog(self) -> None:
        s = self.state
        if s.model is None:
            return
        default = f"layer{s.layer}.{s.direction}.{'forget_gate' if s.model.cell == 'lstm' else 'hidden_state'}" \
                  f"[{s.pinned[0] if s.pinned else 0}]=0@{s.step}:"
        self._open(InterventionDialog(self.state, default, translate("InterventionsDock", "Add an intervention"), self),
                   None)

    def edit_dialog(self, index: int | None = None) -> None:
        index = self.list.currentRow() if index is None else index
        if not 0 <= index < len(self.state.interventions):
            return
        self._open(InterventionDialog(self.state, str(self.state.interventions[index][0]),
                                      translate("InterventionsDock", "Edit the intervention"), self), index)

    def _open(self, dialog: "InterventionDialog", index: int | None) -> None:
        self.dialog = dialog

        def accepted() -> None:
            if dialog.intervention is None:
                return
            if index is None:
                self.ctl.add(dialog.intervention)
            else:
                self.ctl.replace(index, dialog.intervention)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.open()  # window-modal, not a nested event loop


class InterventionDialog(QDialog):
    """One spec: its text checked live (the reason under the field, OK disabled until valid), and
    fields that write the text (layer and direction, quantity, units, how, value, steps)."""

    def __init__(self, state, text: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.state = state
        self.intervention: Intervention | None = None
        self._writing = False
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(translate("InterventionsDock", "Spec:") + " "
                                + "layer{k}.{direction}.{quantity}[{units}]={value}@{steps}"))
        self.text = QLineEdit(text)
        self.text.setMinimumWidth(420)
        self.text.textChanged.connect(self._text_changed)
        layout.addWidget(self.text)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c00000")
        layout.addWidget(self.error)
        self.words = QLabel("")  # the valid spec in words
        self.words.setWordWrap(True)
        layout.addWidget(self.words)
        layout.addWidget(self._fields())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._text_changed(text)

    def _fields(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 6, 0, 0)
        model = self.state.model
        self.where = QComboBox()
        for k, layer in enumerate(model.layers if model is not None else []):
            for d in layer.direction_names():
                self.where.addItem(translate("InterventionsDock", "layer {k} {direction}").format(
                    k=k, direction=translate("Controls", d)), (k, d))
        self.quantity = QComboBox()
        cells = {layer.cell for layer in model.layers} if model is not None else set()
        for q in dict.fromkeys(q for c in sorted(cells) for q in QUANTITIES[c]):
            # English keeps the spec's own word ("forget gate"); other languages name it ("遗忘门 f")
            self.quantity.addItem(q.replace("_", " ") if i18n.current_language() == "en" else quantity_name(q), q)
        self.units = QLineEdit()
        self.units.setPlaceholderText("8   3,5,8   8-11   *")
        self.op = QComboBox()
        for label, op in ((QT_TRANSLATE_NOOP("InterventionsDock", "set to"), ""),
                          (QT_TRANSLATE_NOOP("InterventionsDock", "scale by"), "*"),
                          (QT_TRANSLATE_NOOP("InterventionsDock", "add"), "+")):
            self.op.addItem(translate("InterventionsDock", label), op)
        self.value = QDoubleSpinBox()
        self.value.setRange(-1e6, 1e6)
        self.value.setDecimals(4)
        self.value.setSingleStep(0.1)
        length = self.state.trace.length if self.state.trace is not None else 1
        self.start, self.stop = QSpinBox(), QSpinBox()
        self.start.setRange(0, max(length - 1, 0))
        self.stop.setRange(1, max(length, 1))
        steps = QHBoxLayout()
        steps.addWidget(QLabel(translate("InterventionsDock", "from")))
        steps.addWidget(self.start)
        steps.addWidget(QLabel(translate("InterventionsDock", "up to (not incl.)")))
        steps.addWidget(self.stop)
        form.addRow(translate("InterventionsDock", "where"), self.where)
        form.addRow(translate("InterventionsDock", "quantity"), self.quantity)
        form.addRow(translate("InterventionsDock", "units"), self.units)
        row = QHBoxLayout()
        row.addWidget(self.op)
        row.addWidget(self.value, 1)
        form.addRow(translate("InterventionsDock", "how"), row)
        form.addRow(translate("InterventionsDock", "steps"), steps)
        for w in (self.where, self.quantity, self.op):
            w.currentIndexChanged.connect(self._fields_changed)
        self.units.textChanged.connect(self._fields_changed)
        for w in (self.value, self.start, self.stop):
            w.valueChanged.connect(self._fields_changed)
        return box

    def set_text(self, text: str) -> None:
        self.text.setText(text)

    @guarded
    def _text_changed(self, text: str) -> None:
        """Check the text against the shown model and input; the fields follow a valid one."""
        self.intervention = None
        try:
            iv = Intervention.parse(text)
            if self.state.model is not None and self.state.trace is not None:
                iv.check(self.state.model, self.state.trace.length)
        except InterventionError as exc:
            self.error.setText(errors.error_text(exc))
            self.words.setText("")
            self.ok_button.setEnabled(False)
            return
        self.intervention = iv
        self.error.setText("")
        self.words.setText(describe_intervention(iv))
        self.ok_button.setEnabled(True)
        if not self._writing:
            self._show_fields(iv)

    def _show_fields(self, iv: Intervention) -> None:
        blockers = [QSignalBlocker(w) for w in (self.where, self.quantity, self.units, self.op, self.value,
                                                self.start, self.stop)]
        self.where.setCurrentIndex(max(0, self.where.findData((iv.layer, iv.direction))))
        self.quantity.setCurrentIndex(max(0, self.quantity.findData(iv.quantity)))
        self.units.setText(str(iv).split("[", 1)[1].split("]", 1)[0])
        self.op.setCurrentIndex(max(0, self.op.findData({"set": "", "scale": "*", "add": "+"}[iv.op])))
        self.value.setValue(iv.value)
        length = self.state.trace.length if self.state.trace is not None else 1
        self.start.setValue(0 if iv.start is None else iv.start)
        self.stop.setValue(length if iv.stop is None else iv.stop)
        del blockers

    @guarded
    def _fields_changed(self, *_args) -> None:
        """Write the text from the fields (a full-length step range is left out: every step)."""
        where = self.where.currentData() or (0, "forward")
        length = self.state.trace.length if self.state.trace is not None else 1
        start, stop = self.start.value(), self.stop.value()
        steps = "" if (start, stop) == (0, length) else f"@{start}:{'' if stop == length else stop}"
        text = (f"layer{where[0]}.{where[1]}.{self.quantity.currentData()}[{self.units.text().strip() or '*'}]"
                f"={self.op.currentData()}{self.value.value():g}{steps}")
        self._writing = True
        try:
            self.text.setText(text)
        finally:
            self._writing = False
