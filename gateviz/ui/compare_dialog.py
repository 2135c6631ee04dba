"""File ▸ Compare models…: pick two to four models (bundled or files) and, optionally, an input file.

Pre-filled by the main window with the current model and its task's bundled siblings (the
LSTM, GRU and RNN of one task). The models are only checked when the compare window loads
them (input sizes, the input fitting each): the window says what is wrong in one message.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QPushButton, QVBoxLayout, QWidget)

from gateviz.ui.compare_models import MAX_MODELS, MIN_MODELS
from gateviz.ui.i18n import localized, translate
from gateviz.ui.window_loading import SEQUENCE_FILTER


class CompareDialog(QDialog):
    def __init__(self, specs: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(translate("Compare", "Compare models"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(translate("Compare", "Models to compare on one input ({low} to {high}), in legend "
                                                     "order:").format(low=MIN_MODELS, high=MAX_MODELS)))
        self.list = QListWidget()
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.bundled = QComboBox()
        self.bundled.setToolTip(translate("Compare", "A bundled model to add"))
        try:
            from gateviz.bundled import list_bundled

            for entry in list_bundled():
                self.bundled.addItem(f"{localized(entry.label, 'Bundled')} ({entry.name})", f"bundled:{entry.name}")
        except Exception:  # no bundled models in this installation: files only
            pass
        self.add_bundled = QPushButton(translate("Compare", "Add"))
        self.add_file = QPushButton(translate("Compare", "Add file…"))
        self.remove = QPushButton(translate("Compare", "Remove"))
        for w in (self.bundled, self.add_bundled, self.add_file, self.remove):
            row.addWidget(w)
        layout.addLayout(row)
        input_row = QHBoxLayout()
        self.input_edit = QLineEdit()
        self.input_edit.setPlaceholderText(translate("Compare", "the first model's task's sample"))
        self.input_edit.setToolTip(translate(
            "Compare", "An input file (.npy, .csv, .txt) every model reads; empty: the task's sample"))
        browse = QPushButton(translate("Compare", "Browse…"))
        input_row.addWidget(QLabel(translate("Compare", "Input:")))
        input_row.addWidget(self.input_edit, 1)
        input_row.addWidget(browse)
        layout.addLayout(input_row)
        self.note = QLabel()
        layout.addWidget(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("Compare", "Compare"))
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.add_bundled.clicked.connect(lambda: self.add(self.bundled.currentData()))
        self.add_file.clicked.connect(self._browse_model)
        self.remove.clicked.connect(self._remove)
        browse.clicked.connect(self._browse_input)
        for spec in specs[:MAX_MODELS]:
            self.add(spec)
        self._update()
        self.resize(560, 360)

    def add(self, spec: str | None) -> None:
        if spec and self.list.count() < MAX_MODELS:
            self.list.addItem(spec)
        self._update()

    def specs(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def input_path(self) -> str | None:
        return self.input_edit.text().strip() or None

    def _remove(self) -> None:
        for item in self.list.selectedItems() or [self.list.item(self.list.count() - 1)]:
            if item is not None:
                self.list.takeItem(self.list.row(item))
        self._update()

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, translate("Compare", "Add a model to compare"), os.getcwd())
        if path:
            self.add(path)

    def _browse_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, translate("Compare", "Input for every model"), os.getcwd(),
                                              translate("Loading", SEQUENCE_FILTER))
        if path:
            self.input_edit.setText(path)

    def _update(self) -> None:
        n = self.list.count()
        ok = MIN_MODELS <= n <= MAX_MODELS
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.add_bundled.setEnabled(n < MAX_MODELS and self.bundled.count() > 0)
        self.add_file.setEnabled(n < MAX_MODELS)
        self.remove.setEnabled(n > 0)
        self.note.setText("" if ok else translate("Compare", "Add {n} more.").format(n=MIN_MODELS - n)
                          if n < MIN_MODELS else "")
