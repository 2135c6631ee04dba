"""File ▸ Export figure… / Export animation… / Export data…, and Ctrl+Shift+C (copy picture).

Every export renders a private offscreen copy of what the window shows (same state,
same theme, the panels the user shows), so it never resizes the window or moves its
time cursor, and it draws exactly what ``gateviz export`` draws (``export.headless``).

Animations (the time cursor's frames or the training time-lapse) are export_animation's.
An existing file is replaced only after the user says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QMessageBox,
                               QPushButton, QSpinBox, QWidget)

from gateviz.ui import errors, i18n
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate


# English sources; shown through translate("Export", ...)
PANEL_LABELS = {"dashboard": QT_TRANSLATE_NOOP("Export", "Whole dashboard"),
                "io": QT_TRANSLATE_NOOP("Export", "Input and output"),
                "heatmaps": QT_TRANSLATE_NOOP("Export", "Gate heatmaps"),
                "traces": QT_TRANSLATE_NOOP("Export", "Unit traces"),
                "cell": QT_TRANSLATE_NOOP("Export", "Cell diagram"),
                "saturation": QT_TRANSLATE_NOOP("Export", "Saturation"),
                "memory": QT_TRANSLATE_NOOP("Export", "Memory through time")}
FIGURE_SIZES = [(QT_TRANSLATE_NOOP("Export", "Current size"), None, None),
                (QT_TRANSLATE_NOOP("Export", "Slide 1920×1080"), (1920, 1080), None),
                (QT_TRANSLATE_NOOP("Export", "Print 300 dpi"), None, 300.0),
                (QT_TRANSLATE_NOOP("Export", "Custom…"), "custom", None)]
ANIMATION_SIZES = [(QT_TRANSLATE_NOOP("Export", "Current size"), None),
                   (QT_TRANSLATE_NOOP("Export", "Slide 1920×1080"), (1920, 1080)),
                   (QT_TRANSLATE_NOOP("Export", "HD 1280×720"), (1280, 720)),
                   (QT_TRANSLATE_NOOP("Export", "Small 640×360"), (640, 360)),
                   (QT_TRANSLATE_NOOP("Export", "Custom…"), "custom")]


def panel_label(panel_id: str, lower: bool = False) -> str:
    """A panel's (or the dashboard's) name in the interface language; ``lower`` inside a sentence."""
    text = translate("Export", PANEL_LABELS[panel_id]) if panel_id in PANEL_LABELS else panel_id
    return text.lower() if lower else text


# --------------------------------------------------------------------------- helpers


def current_panel_id(window) -> str:
    """The panel holding the keyboard focus (or under the mouse), else the dashboard."""
    panels = getattr(window, "panels", {}) or {}
    for probe in (QApplication.focusWidget(), QApplication.widgetAt(window.cursor().pos())):
        w = probe
        while w is not None:
            for pid, panel in panels.items():
                if panel is w:
                    return pid
            w = w.parentWidget()
    return "dashboard"


def _view_widget(window, panel_id: str) -> QWidget | None:
    if panel_id == "dashboard":
        return getattr(window, "dashboard", None)
    return (getattr(window, "panels", {}) or {}).get(panel_id)


def _visible_panels(window) -> list[str] | None:
    """The panels the user wants (View ▸ Panels); the export fits them to its own size, as the window does."""
    dashboard = getattr(window, "dashboard", None)
    if dashboard is None or not hasattr(dashboard, "is_panel_wanted"):
        return None
    return [pid for pid in getattr(window, "panels", {}) if dashboard.is_panel_wanted(pid)]


def _layout(window, panel_id: str) -> str | None:
    """The window's lecture layout, for an export of the dashboard."""
    dashboard = getattr(window, "dashboard", None)
    return getattr(dashboard, "layout_name", None) if panel_id == "dashboard" else None


def confirm_overwrite(parent: QWidget, path: str) -> bool:
    """True when ``path`` is free or the user agrees to replace it."""
    if not os.path.exists(path):
        return True
    answer = QMessageBox.question(
        parent, translate("Export", "Replace file?"),
        translate("Export", "{name} already exists in {folder}.\nDo you want to replace it?").format(
            name=os.path.basename(path), folder=os.path.dirname(path) or "."),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _with_suffix(path: str, fmt: str) -> str:
    p = Path(path)
    return str(p) if p.suffix.lower() == f".{fmt}" else str(p.with_suffix(f".{fmt}") if p.suffix else Path(f"{p}.{fmt}"))


def _default_folder() -> str:
    return os.path.expanduser("~")


class _PathRow(QWidget):
    """A file name box with a Browse… button (the overwrite question comes at export time)."""

    def __init__(self, caption: str, filters: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption, self.filters = caption, filters
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(translate("Export", "file to write"))
        browse = QPushButton(translate("Export", "Browse…"))
        browse.clicked.connect(self.browse)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def browse(self) -> None:
        start = self.edit.text() or _default_folder()
        path, _ = QFileDialog.getSaveFileName(self, self.caption, start, self.filters,
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.edit.setText(path)


class _ExportDialog(QDialog):
    """Shared frame: options in a form, a file row, Export/Cancel; errors become a message box."""

    exported = Signal(str)

    def __init__(self, window, title: str, filters: str):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.path_row = _PathRow(title, filters)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(translate("Export", "Export"),
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

    def finish_form(self) -> None:
        self.form.addRow(translate("Export", "File:"), self.path_row)
        self.form.addRow(self.buttons)

    def chosen_path(self, fmt: str) -> str | None:
        """The file to write, or None (no name picked, or the user declined to replace a file).

        A name ending in another format this dialog writes switches the format to it
        (picking "talk.svg" in the file dialog writes SVG); otherwise the format's
        extension is added."""
        text = self.path_row.edit.text().strip()
        if not text:
            self.path_row.browse()
            text = self.path_row.edit.text().strip()
            if not text:
                return None
        combo = getattr(self, "format", None)
        suffix = Path(text).suffix.lower().lstrip(".")
        if combo is not None and suffix != fmt and combo.findData(suffix) >= 0:
            combo.setCurrentIndex(combo.findData(suffix))
            fmt = suffix
        self.chosen_format = fmt
        path = _with_suffix(os.path.expanduser(text), fmt)
        self.path_row.edit.setText(path)
        if not confirm_overwrite(self, path):
            return None
        return path

    def fail(self, exc: BaseException) -> None:
        QMessageBox.warning(self, translate("Export", "Export failed"), errors.error_text(exc) or type(exc).__name__)

    def export(self) -> None:  # overridden
        raise NotImplementedError


def _panel_combo(window) -> QComboBox:
    combo = QComboBox()
    ids = ["dashboard"] + [pid for pid in (getattr(window, "panels", {}) or {})]
    for pid in ids:
        combo.addItem(panel_label(pid), pid)
    current = current_panel_id(window)
    combo.setCurrentIndex(max(0, ids.index(current) if current in ids else 0))
    return combo


def _size_spins(default=(1920, 1080)) -> tuple[QSpinBox, QSpinBox]:
    w, h = QSpinBox(), QSpinBox()
    for spin, value in ((w, default[0]), (h, default[1])):
        spin.setRange(16, 16384)
        spin.setValue(value)
        spin.setSuffix(" px")
    return w, h


# --------------------------------------------------------------------------- figure


class FigureDialog(_ExportDialog):
    def __init__(self, window):
        super().__init__(window, translate("Export", "Export figure"),
                         translate("Export", "PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)"))
        self.panel = _panel_combo(window)
        self.format = QComboBox()
        for label, fmt in ((QT_TRANSLATE_NOOP("Export", "PNG image"), "png"),
                           (QT_TRANSLATE_NOOP("Export", "SVG (vector)"), "svg"),
                           (QT_TRANSLATE_NOOP("Export", "PDF (vector)"), "pdf")):
            self.format.addItem(translate("Export", label), fmt)
        self.preset = QComboBox()
        for label, size, dpi in FIGURE_SIZES:
            self.preset.addItem(translate("Export", label), (size, dpi))
        self.preset.setCurrentIndex(1)
        self.width_spin, self.height_spin = _size_spins()
        self.dpi_spin = QDoubleSpinBox()
        self.dpi_spin.setRange(0, 2400)
        self.dpi_spin.setDecimals(0)
        self.dpi_spin.setSpecialValueText(translate("Export", "auto"))
        self.dpi_spin.setSuffix(" dpi")
        self.transparent = QCheckBox(translate("Export", "Transparent background"))
        # the step the window shows; heatmaps mark it under its column, covering no cell
        self.step_spin = QSpinBox()
        trace = getattr(getattr(window, "state", None), "trace", None)
        last = trace.length - 1 if trace is not None else 0
        self.step_spin.setRange(0, last)
        self.step_spin.setValue(min(max(getattr(window.state, "step", last), 0), last) if trace is not None else 0)
        self.step_spin.setSuffix(translate("Export", " of 0–{last}").format(last=last))
        self.step_spin.setToolTip(translate(
            "Export", "The step the figure shows (the window's current step). Heatmaps mark it with a triangle under "
                      "its column instead of drawing the cursor over the data; the file's title names it."))
        size_row = QWidget()
        row = QHBoxLayout(size_row)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.width_spin, self.height_spin, self.dpi_spin):
            row.addWidget(w)
        self.size_row = size_row
        self.form.addRow(translate("Export", "Show:"), self.panel)
        self.form.addRow(translate("Export", "Step:"), self.step_spin)
        self.form.addRow(translate("Export", "Format:"), self.format)
        self.form.addRow(translate("Export", "Size:"), self.preset)
        self.form.addRow(translate("Export", "Custom size:"), size_row)
        self.form.addRow("", self.transparent)
        self.finish_form()
        self.preset.currentIndexChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        size, _ = self.preset.currentData()
        self.size_row.setEnabled(size == "custom")

    def options(self) -> dict:
        size, dpi = self.preset.currentData()
        if size == "custom":
            size = (self.width_spin.value(), self.height_spin.value())
            dpi = self.dpi_spin.value() or None
        return {"size": size, "dpi": dpi, "transparent": self.transparent.isChecked(), "step": self.step_spin.value()}

    def export(self) -> None:
        from gateviz.export import headless

        window = self.window_
        fmt = self.format.currentData()
        panel_id = self.panel.currentData()
        path = self.chosen_path(fmt)
        if path is None:
            return
        fmt = self.chosen_format
        live = _view_widget(window, panel_id)
        logical = (live.width(), live.height()) if live is not None and live.isVisible() else None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a 300-dpi dashboard takes a second or two
        try:
            plan = headless.export_view(window.state, panel_id, path, fmt, overwrite=True, logical_size=logical,
                                        visible_panels=_visible_panels(window), layout=_layout(window, panel_id),
                                        **self.options())
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            QApplication.restoreOverrideCursor()
            self.fail(exc)
            return
        QApplication.restoreOverrideCursor()
        w, h = plan.pixels
        _status(window, translate("Export", "Exported {panel} at step {step} to {path} ({w}×{h} px)").format(
            panel=panel_label(panel_id, lower=True), step=self.step_spin.value(), path=path, w=w, h=h))
        self.exported.emit(path)
        self.accept()


# --------------------------------------------------------------------------- data


class DataDialog(_ExportDialog):
    def __init__(self, window):
        super().__init__(window, translate("Export", "Export data"),
                         translate("Export", "Trace file (*.npz);;Tidy table (*.csv)"))
        self.format = QComboBox()
        self.format.addItem(translate("Export", "Trace file (.npz, every layer and quantity)"), "npz")
        self.format.addItem(translate("Export", "Tidy table (.csv, a row per step and unit)"), "csv")
        self.only_view = QCheckBox(translate("Export", "CSV: only the shown layer and direction"))
        self.only_pinned = QCheckBox(translate("Export", "CSV: only the pinned units"))
        self.form.addRow(translate("Export", "Format:"), self.format)
        self.form.addRow("", self.only_view)
        self.form.addRow("", self.only_pinned)
        self.finish_form()
        self.format.currentIndexChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        csv = self.format.currentData() == "csv"
        self.only_view.setEnabled(csv)
        self.only_pinned.setEnabled(csv)

    def export(self) -> None:
        from gateviz.export.data import save_csv, save_npz

        state = self.window_.state
        if state.trace is None:
            self.fail(RuntimeError(translate("Export", "nothing to export: no model is traced yet")))
            return
        fmt = self.format.currentData()
        path = self.chosen_path(fmt)
        if path is None:
            return
        fmt = self.chosen_format
        try:
            if fmt == "npz":
                save_npz(state.trace, path, overwrite=True)
                message = translate("Export", "Exported the trace file to {path}").format(path=path)
            else:
                only = self.only_view.isChecked()
                rows = save_csv(state.trace, path, overwrite=True, layer=state.layer if only else None,
                                direction=state.direction if only else None,
                                units=list(state.pinned) if self.only_pinned.isChecked() else None)
                message = translate("Export", "Exported {n} rows to {path}").format(n=rows, path=path)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)
            return
        _status(self.window_, message)
        self.exported.emit(path)
        self.accept()


# --------------------------------------------------------------------------- window hooks


def _status(window, message: str) -> None:
    bar = window.statusBar() if hasattr(window, "statusBar") else None
    if bar is not None:
        bar.showMessage(message, 8000)


def copy_picture(window) -> None:
    """Ctrl+Shift+C: the focused panel (or the whole dashboard) as it is now, on the clipboard."""
    from gateviz.export.figure import copy_to_clipboard

    panel_id = current_panel_id(window)
    widget = _view_widget(window, panel_id) or window.centralWidget()
    if widget is None or not widget.isVisible():
        _status(window, translate("Export", "Nothing to copy yet"))
        return
    image = copy_to_clipboard(widget)
    _status(window, translate("Export", "Copied {panel} to the clipboard ({w}×{h} px)").format(
        panel=panel_label(panel_id, lower=True), w=image.width(), h=image.height()))


def open_dialog(window, cls) -> _ExportDialog:
    dialog = cls(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window._export_dialog = dialog  # keep a reference (tests reach it here too)
    dialog.open()
    return dialog


def install_export_actions(window) -> dict[str, QAction]:
    """Add the export actions to the window's File menu (created if missing); returns them by name."""
    from gateviz.ui.export_animation import AnimationDialog  # it imports this module's helpers

    bar = window.menuBar()
    menu = getattr(window, "file_menu", None)
    if menu is None:
        menu = next((a.menu() for a in bar.actions() if a.menu() is not None
                     and a.text().replace("&", "").lower() == "file"), None) or bar.addMenu(translate("Menu", "&File"))
    before = getattr(window, "export_separator", None)
    specs = [
        ("figure", QT_TRANSLATE_NOOP("Export", "Export &figure…"), "Ctrl+E",
         QT_TRANSLATE_NOOP("Export", "A panel or the dashboard as PNG, SVG or PDF"),
         lambda: open_dialog(window, FigureDialog)),
        ("animation", QT_TRANSLATE_NOOP("Export", "Export &animation…"), "Ctrl+Shift+E",
         QT_TRANSLATE_NOOP("Export", "A range of steps as MP4 or GIF"),
         lambda: open_dialog(window, AnimationDialog)),
        ("data", QT_TRANSLATE_NOOP("Export", "Export &data…"), None,
         QT_TRANSLATE_NOOP("Export", "The trace as a .npz trace file or a tidy .csv"),
         lambda: open_dialog(window, DataDialog)),
        ("copy", QT_TRANSLATE_NOOP("Export", "&Copy picture"), "Ctrl+Shift+C",
         QT_TRANSLATE_NOOP("Export", "The focused panel (or the dashboard) to the clipboard"),
         lambda: copy_picture(window)),
    ]
    actions = {}
    for name, text, shortcut, tip, slot in specs:
        action = i18n.bound(QAction(window), "Export", text)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        i18n.bind(action, "setStatusTip", "Export", tip)
        action.triggered.connect(slot)
        if before is not None:
            menu.insertAction(before, action)
        else:
            menu.addAction(action)
        window.addAction(action)  # shortcuts work while the menu bar is hidden too
        actions[name] = action
    window.export_actions = actions
    return actions

